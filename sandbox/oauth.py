"""TikTok's Login Kit, emulated: the authorize page's redirect, the token endpoint (authorization_code and
refresh_token, with refresh-token rotation) and revoke, so that `make login` and the refresh run end to end offline.

Behaviour follows TikTok's Login Kit for Desktop and token-management pages
(https://developers.tiktok.com/doc/login-kit-desktop, https://developers.tiktok.com/doc/oauth-user-access-token-management,
https://developers.tiktok.com/doc/oauth-error-handling): errors are flat ``{"error", "error_description", "log_id"}``
objects, sent with HTTP 200 as TikTok has been seen to do; a redirect URI may use the wildcard port ``*``.
What the authorize page does is decided in advance by the test: ``consent(approve=..., scopes=...)``.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterable
from urllib.parse import parse_qsl, urlencode, urlsplit

from .state import ALL_SCOPES
from .transport import HttpRequest, Reply

if TYPE_CHECKING:
    from .state import Account

AUTHORIZE_ORIGIN = "https://www.tiktok.com"
AUTHORIZE_PATH = "/v2/auth/authorize/"
OAUTH_ROUTES = {("POST", "/v2/oauth/token/"): "oauth_token", ("POST", "/v2/oauth/revoke/"): "oauth_revoke"}
ACCESS_TTL = 86_400
REFRESH_TTL = 31_536_000
CODE_TTL = 600
# Every code carries * and !, which a redirect percent-encodes: the client has to URL-decode it before exchanging it.
_CODE_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"


@dataclass
class OAuthApp:
    client_key: str
    client_secret: str
    redirect_uris: tuple[str, ...]
    pkce: str  # the challenge encoding this app's TikTok expects: "hex" or "base64url"


@dataclass
class Consent:
    approve: bool = True
    scopes: tuple[str, ...] | None = None  # None: every requested scope


@dataclass
class _Code:
    client_key: str
    redirect_uri: str
    challenge: str
    scopes: tuple[str, ...]
    issued_at: float
    used: bool = False


@dataclass
class _Refresh:
    client_key: str
    scopes: tuple[str, ...]
    expires_at: float
    access_token: str


@dataclass
class OAuthState:
    apps: dict[str, OAuthApp] = field(default_factory=dict)
    consent: Consent = field(default_factory=Consent)
    codes: dict[str, _Code] = field(default_factory=dict)
    refresh_tokens: dict[str, _Refresh] = field(default_factory=dict)
    rotate: bool = True
    issued: int = 0


def redirect_matches(registered: str, given: str) -> bool:
    """Exact match, or a registered `*` port that takes any port on the same scheme, host and path."""
    if registered == given:
        return True
    want, got = urlsplit(registered), urlsplit(given)
    return (
        want.netloc.endswith(":*")
        and (want.scheme, want.hostname, want.path) == (got.scheme, got.hostname, got.path)
        and got.port is not None
    )


def _challenge(verifier: str, encoding: str) -> str:
    digest = hashlib.sha256(verifier.encode())
    return digest.hexdigest() if encoding == "hex" else base64.urlsafe_b64encode(digest.digest()).decode().rstrip("=")


class OAuthEndpoints:
    """Mixed into TikTokSandbox, which provides clock, account, add_token, revoke_token and _next_log_id."""

    oauth: OAuthState
    account: Account

    def register_app(
        self,
        client_key: str,
        client_secret: str,
        redirect_uris: Iterable[str] = ("http://127.0.0.1:*/callback/",),
        *,
        pkce: str = "hex",
    ) -> OAuthApp:
        app = OAuthApp(client_key, client_secret, tuple(redirect_uris), pkce)
        self.oauth.apps[client_key] = app
        return app

    def consent(self, approve: bool = True, scopes: Iterable[str] | None = None) -> None:
        """What the user does on the next authorize page: approve (all or some scopes) or refuse."""
        self.oauth.consent = Consent(approve, None if scopes is None else tuple(scopes))

    def expire_refresh_token(self, refresh_token: str) -> None:
        self.oauth.refresh_tokens.pop(refresh_token, None)

    # -----------------------------------------------------------------------------------------------------------------

    def _authorize(self, request: HttpRequest) -> Reply:
        """The consent page, answered at once as the test decided: a 302 to the redirect URI, or an error page
        when the client or its redirect URI is unknown (TikTok never redirects to an unregistered URI)."""
        query = request.url.query
        app = self.oauth.apps.get(query.get("client_key", ""))
        redirect_uri = query.get("redirect_uri", "")
        if app is None or not any(redirect_matches(r, redirect_uri) for r in app.redirect_uris):
            return Reply(400, b"<html>redirect_uri or client_key is not registered</html>", "text/html")
        back = {"state": query["state"]} if "state" in query else {}
        consent = self.oauth.consent
        requested = tuple(s for s in query.get("scope", "").split(",") if s)
        if not consent.approve:
            back |= {"error": "access_denied", "error_description": "The user denied the authorization request."}
        else:
            scopes = requested if consent.scopes is None else tuple(s for s in requested if s in consent.scopes)
            code = "*".join("".join(secrets.choice(_CODE_ALPHABET) for _ in range(20)) for _ in range(2)) + "!"
            challenge = query.get("code_challenge", "")
            self.oauth.codes[code] = _Code(app.client_key, redirect_uri, challenge, scopes, self.clock())
            back |= {"code": code, "scopes": ",".join(scopes)}
        return Reply(302, b"", "text/html", {"Location": f"{redirect_uri}?{urlencode(back)}"})

    def _oauth(self, endpoint: str, request: HttpRequest) -> Reply:
        form = dict(parse_qsl(request.body.decode(), keep_blank_values=True))
        media_type = (request.content_type or "").split(";")[0].strip().lower()
        if media_type != "application/x-www-form-urlencoded":
            return self._oauth_error("invalid_request", "Content-Type must be application/x-www-form-urlencoded.")
        app = self.oauth.apps.get(form.get("client_key", ""))
        if app is None or not secrets.compare_digest(
            form.get("client_secret", "").encode(), app.client_secret.encode()
        ):
            return self._oauth_error("invalid_client", "Client key or secret is incorrect.")
        if endpoint == "oauth_revoke":
            self.revoke_token(form.get("token", ""))
            for refresh_token, grant in list(self.oauth.refresh_tokens.items()):
                if grant.access_token == form.get("token"):
                    del self.oauth.refresh_tokens[refresh_token]
            return Reply(200, b"", "application/json")
        grant_type = form.get("grant_type")
        if grant_type == "authorization_code":
            return self._exchange_code(app, form)
        if grant_type == "refresh_token":
            return self._refresh(app, form)
        return self._oauth_error("unsupported_grant_type", f"Grant type {grant_type!r} is not supported.")

    def _exchange_code(self, app: OAuthApp, form: dict[str, str]) -> Reply:
        grant = self.oauth.codes.get(form.get("code", ""))
        if grant is None or grant.used or grant.client_key != app.client_key:
            return self._oauth_error("invalid_grant", "Authorization code is expired.")
        if self.clock() - grant.issued_at > CODE_TTL:
            return self._oauth_error("invalid_grant", "Authorization code is expired.")
        if form.get("redirect_uri") != grant.redirect_uri:
            return self._oauth_error(
                "invalid_request", "Redirect_uri is not matched with the uri when requesting code."
            )
        if _challenge(form.get("code_verifier", ""), app.pkce) != grant.challenge:
            return self._oauth_error("invalid_request", "Code verifier or code challenge is invalid.")
        grant.used = True
        return self._issue(app, grant.scopes)

    def _refresh(self, app: OAuthApp, form: dict[str, str]) -> Reply:
        old = form.get("refresh_token", "")
        grant = self.oauth.refresh_tokens.get(old)
        if grant is None or grant.client_key != app.client_key or self.clock() >= grant.expires_at:
            return self._oauth_error("invalid_grant", "Refresh token is invalid or expired.")
        if self.oauth.rotate:
            del self.oauth.refresh_tokens[old]
        return self._issue(app, grant.scopes, None if self.oauth.rotate else old, grant.expires_at)

    def _issue(
        self, app: OAuthApp, scopes: tuple[str, ...], refresh_token: str | None = None, refresh_expires: float = 0
    ) -> Reply:
        self.oauth.issued += 1
        access_token = f"act.sandbox-{self.oauth.issued}-{secrets.token_hex(8)}"
        self.add_token(access_token, scopes or ALL_SCOPES[:1], self.account, expires_in=ACCESS_TTL)
        now = self.clock()
        if refresh_token is None:
            refresh_token = f"rft.sandbox-{self.oauth.issued}-{secrets.token_hex(8)}"
            refresh_expires = refresh_expires or now + REFRESH_TTL
        self.oauth.refresh_tokens[refresh_token] = _Refresh(app.client_key, scopes, refresh_expires, access_token)
        answer = {
            "access_token": access_token,
            "expires_in": ACCESS_TTL,
            "open_id": f"sandbox-open-id-{self.account.index}",
            "refresh_expires_in": int(refresh_expires - now),
            "refresh_token": refresh_token,
            "scope": ",".join(scopes),
        }
        # The token type, not a token.
        answer["token_type"] = "Bearer"  # nosec B105
        return Reply.json(200, answer)

    def _oauth_error(self, error: str, description: str) -> Reply:
        return Reply.json(200, {"error": error, "error_description": description, "log_id": self._next_log_id()})
