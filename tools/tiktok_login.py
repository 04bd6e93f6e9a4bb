"""`make login`, `make logout` and the token refresh behind `make run LIVE=1` and `make live-test`: a maintainer's
own TikTok access token, from the terminal. Repository-only (tools/export.py ships none of tools/).

In Autohive the platform runs TikTok's sign-in; this is only for running the integration against real TikTok by
hand. It follows TikTok's Login Kit for Desktop (https://developers.tiktok.com/doc/login-kit-desktop): the authorize
page redirects to a loopback URI, where this tool listens for exactly one callback, then exchanges the code
(https://developers.tiktok.com/doc/oauth-user-access-token-management).

    python -m tools.tiktok_login login [--redirect-uri URI] [--pkce hex|base64url] [--no-browser]
    python -m tools.tiktok_login refresh      # only when under an hour is left (--force: always)
    python -m tools.tiktok_login logout

TIKTOK_CLIENT_KEY and TIKTOK_CLIENT_SECRET come from the environment or `.env`; the tokens and their expiry times
(ISO 8601, UTC) go to `.env` (gitignored, mode 0600, its other lines kept). No token and no secret is ever printed.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import json
import os
import re
import secrets
import sys
import time
import webbrowser
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

import aiohttp
from aiohttp import web

ROOT = Path(__file__).resolve().parent.parent
AUTHORIZE_URL = "https://www.tiktok.com/v2/auth/authorize/"
TOKEN_URL = "https://open.tiktokapis.com/v2/oauth/token/"  # nosec B105 - an address, not a secret
REVOKE_URL = "https://open.tiktokapis.com/v2/oauth/revoke/"
# A fixed port, so that the URI can be registered as it is; TikTok also accepts `http://127.0.0.1:*/callback/`.
DEFAULT_REDIRECT_URI = "http://127.0.0.1:8765/callback/"
REFRESH_MARGIN_S = 3600  # refresh when less than this is left of the access token's 24 hours
CALLBACK_TIMEOUT_S = 300
HTTP_TIMEOUT_S = 30
PKCE_ENCODINGS = ("hex", "base64url")
# TikTok's desktop page shows the challenge as the hex SHA-256 of the verifier, unlike RFC 7636 (base64url);
# TIKTOK_PKCE_ENCODING=base64url switches if TikTok answers "Code verifier or code challenge is invalid".
DEFAULT_PKCE_ENCODING = "hex"

ACCESS_TOKEN = "TIKTOK_ACCESS_TOKEN"  # nosec B105 - .env key names, not secrets
ACCESS_EXPIRES = "TIKTOK_ACCESS_TOKEN_EXPIRES_AT"
REFRESH_TOKEN = "TIKTOK_REFRESH_TOKEN"  # nosec B105
REFRESH_EXPIRES = "TIKTOK_REFRESH_TOKEN_EXPIRES_AT"
GRANTED_SCOPES = "TIKTOK_GRANTED_SCOPES"
TOKEN_KEYS = (ACCESS_TOKEN, ACCESS_EXPIRES, REFRESH_TOKEN, REFRESH_EXPIRES, GRANTED_SCOPES)

# What each scope unlocks, as the README's scope table says: printed for the scopes a user did not grant.
LEFT_OUT_WITHOUT = {
    "user.info.basic": "get_user_info and the connected account",
    "user.info.profile": "get_user_info's handle, bio, links and verified badge",
    "user.info.stats": "get_user_info's counts and get_account_insights' follower and like totals",
    "video.list": "get_videos, get_video, get_account_insights, the triggers, and a live post's links",
    "video.publish": "create_video_post, create_photo_post (DIRECT_POST), get_creator_info",
    "video.upload": "upload_video_draft and create_photo_post (MEDIA_UPLOAD)",
}


class LoginError(Exception):
    """A plain one-line reason the sign-in, refresh or revoke did not happen."""


# ---------------------------------------------------------------------------------------------------------------------
# .env
# ---------------------------------------------------------------------------------------------------------------------


def env_file() -> Path:
    return Path(os.environ.get("TIKTOK_ENV_FILE") or ROOT / ".env")


def read_env(path: Path) -> dict[str, str]:
    values = {}
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            key, sep, value = line.strip().partition("=")
            if sep and not key.startswith("#"):
                values[key.strip()] = value.strip().strip("'\"")
    return values


def update_env(path: Path, values: Mapping[str, str | None]) -> None:
    """Set (or, for None, remove) keys in .env, keeping every other line; the file is readable by its owner only."""
    lines = path.read_text(encoding="utf-8").splitlines() if path.is_file() else []
    pending = dict(values)
    kept = []
    for line in lines:
        key = line.strip().partition("=")[0].strip()
        if "=" in line and key in pending:
            value = pending.pop(key)
            if value is not None:
                kept.append(f"{key}={value}")
        else:
            kept.append(line)
    kept += [f"{key}={value}" for key, value in pending.items() if value is not None]
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)  # an existing, wider file is narrowed too
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write("".join(f"{line}\n" for line in kept))


def setting(name: str, stored: Mapping[str, str]) -> str:
    """The environment first (a one-off override), then .env."""
    return os.environ.get(name) or stored.get(name, "")


def app_credentials(stored: Mapping[str, str]) -> tuple[str, str]:
    key, secret = setting("TIKTOK_CLIENT_KEY", stored), setting("TIKTOK_CLIENT_SECRET", stored)
    if not key or not secret:
        raise LoginError(
            "TIKTOK_CLIENT_KEY and TIKTOK_CLIENT_SECRET are needed (your app's Client key and Client secret from "
            "developers.tiktok.com > Manage apps), in the environment or in .env"
        )
    return key, secret


def iso(epoch: float) -> str:
    return datetime.fromtimestamp(int(epoch), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def epoch(text: str) -> float | None:
    try:
        return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp()
    except ValueError:
        return None


# ---------------------------------------------------------------------------------------------------------------------
# The authorize request
# ---------------------------------------------------------------------------------------------------------------------


def config_scopes() -> list[str]:
    return json.loads((ROOT / "config.json").read_text())["auth"]["scopes"]


def code_challenge(verifier: str, encoding: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii"))
    if encoding == "hex":
        return digest.hexdigest()
    return base64.urlsafe_b64encode(digest.digest()).decode("ascii").rstrip("=")


def new_verifier() -> str:
    """64 characters of RFC 7636's unreserved alphabet (43-128 allowed), 384 random bits."""
    return secrets.token_urlsafe(48)


def authorize_url(client_key: str, redirect_uri: str, scopes: list[str], state: str, challenge: str) -> str:
    query = {
        "client_key": client_key,
        "response_type": "code",
        "scope": ",".join(scopes),
        "redirect_uri": redirect_uri,
        "state": state,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    return f"{AUTHORIZE_URL}?{urlencode(query)}"


def pkce_encoding(choice: str | None) -> str:
    encoding = choice or os.environ.get("TIKTOK_PKCE_ENCODING") or DEFAULT_PKCE_ENCODING
    if encoding not in PKCE_ENCODINGS:
        raise LoginError(f"TIKTOK_PKCE_ENCODING must be hex or base64url, not {encoding!r}")
    return encoding


# ---------------------------------------------------------------------------------------------------------------------
# The callback
# ---------------------------------------------------------------------------------------------------------------------


def loopback(redirect_uri: str) -> tuple[str, int, str]:
    parts = urlsplit(redirect_uri)
    if parts.scheme != "http" or parts.hostname not in ("127.0.0.1", "localhost") or parts.query or parts.fragment:
        raise LoginError(
            f"the redirect URI must be http://127.0.0.1:<port>/<path> or http://localhost:<port>/<path> (TikTok's "
            f"desktop rule, and this tool listens there), not {redirect_uri!r}"
        )
    return parts.hostname, 80 if parts.port is None else parts.port, parts.path or "/"


class Callback:
    """A loopback server that takes exactly one request on the redirect path and keeps what it carried."""

    def __init__(self, redirect_uri: str):
        self.host, self.port, self.path = loopback(redirect_uri)
        self.redirect_uri = redirect_uri
        self.query: asyncio.Future[Mapping[str, str]] = asyncio.get_running_loop().create_future()
        self._runner: web.AppRunner | None = None

    async def __aenter__(self) -> Callback:
        app = web.Application()
        app.router.add_get(self.path, self._receive)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        try:
            await site.start()
        except OSError as error:
            await self._runner.cleanup()
            raise LoginError(f"cannot listen on {self.host}:{self.port} ({error.strerror or error})") from None
        if self.port == 0:  # tests ask for any free port; the URI sent to TikTok must name the real one
            self.port = self._runner.addresses[0][1]
            parts = urlsplit(self.redirect_uri)
            self.redirect_uri = urlunsplit(parts._replace(netloc=f"{parts.hostname}:{self.port}"))
        return self

    async def __aexit__(self, *exc_info) -> None:
        await self._runner.cleanup()

    async def _receive(self, request: web.Request) -> web.Response:
        if self.query.done():
            return web.Response(status=409, text="This sign-in already received its callback.\n")
        self.query.set_result(dict(request.query))  # aiohttp has URL-decoded every value, the code included
        return web.Response(text="TikTok sign-in received. You can close this tab and return to the terminal.\n")

    async def wait(self, timeout: float) -> Mapping[str, str]:
        try:
            return await asyncio.wait_for(asyncio.shield(self.query), timeout)
        except TimeoutError:
            raise LoginError(
                f"no answer from TikTok's sign-in page within {int(timeout)} seconds; if the page showed an error, "
                f"register {self.redirect_uri} for the app under Login Kit for Desktop (or set TIKTOK_REDIRECT_URI)"
            ) from None


def code_from(query: Mapping[str, str], state: str) -> tuple[str, list[str]]:
    """(code, granted scopes) from the callback, or the plain reason it cannot be used."""
    if not secrets.compare_digest(query.get("state", "").encode(), state.encode()):
        what = "carried no state" if not query.get("state") else "carried a state this sign-in did not send"
        raise LoginError(f"refused the callback: it {what} (a forged or stale redirect); nothing was exchanged")
    if query.get("error"):
        raise LoginError(oauth_error_line(query))
    if not query.get("code"):
        raise LoginError("TikTok's callback carried no code; run make login again")
    return query["code"], split_scopes(query.get("scopes", ""))


def split_scopes(text: str) -> list[str]:
    return [scope for scope in re.split(r"[,\s]+", text) if scope]


# ---------------------------------------------------------------------------------------------------------------------
# TikTok's OAuth endpoints and their errors
# ---------------------------------------------------------------------------------------------------------------------


def oauth_error_line(body: Mapping[str, str], hidden: tuple[str, ...] = ()) -> str:
    """One plain line for TikTok's flat OAuth error (https://developers.tiktok.com/doc/oauth-error-handling)."""
    code = str(body.get("error") or "unknown_error")
    description = str(body.get("error_description") or "")
    lowered = description.lower()
    if code == "access_denied":
        line = "TikTok: the account did not approve the app (access_denied); run make login again to retry"
    elif code == "invalid_client":
        line = "TikTok refused the app's credentials (invalid_client): check TIKTOK_CLIENT_KEY and TIKTOK_CLIENT_SECRET"
    elif code == "invalid_grant":
        line = "TikTok refused the code or refresh token (invalid_grant: invalid, expired, revoked or already used)"
    elif "redirect" in lowered:
        line = (
            "TikTok: the redirect URI does not match one registered for the app: register it under Login Kit, "
            "or set TIKTOK_REDIRECT_URI to one that is"
        )
    elif "code verifier" in lowered or "code challenge" in lowered:
        line = (
            "TikTok refused the PKCE code verifier: run make login again with the other challenge encoding "
            "(--pkce or TIKTOK_PKCE_ENCODING: hex or base64url)"
        )
    elif code == "invalid_scope":
        line = "TikTok: a scope in config.json is not enabled for the app (invalid_scope): add it in the portal"
    else:
        line = f"TikTok OAuth error {code}"
    if description:
        line += f". TikTok says: {description}"
    for value in hidden:
        if value:
            line = line.replace(value, "***")
    return line + (f" (log_id {body['log_id']})" if body.get("log_id") else "")


async def post_form(url: str, form: dict[str, str], secrets_in_form: tuple[str, ...]) -> dict:
    """POST form-encoded; the flat answer, or LoginError. OAuth errors may come with HTTP 200: the `error` key
    decides, not the status."""
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Cache-Control": "no-cache"}
    timeout = aiohttp.ClientTimeout(total=HTTP_TIMEOUT_S)
    try:
        async with aiohttp.ClientSession(timeout=timeout) as session:
            async with session.post(url, data=form, headers=headers) as response:
                status, text = response.status, await response.text()
    except (aiohttp.ClientError, TimeoutError) as error:
        raise LoginError(f"could not reach TikTok at {url} ({type(error).__name__})") from None
    try:
        body = json.loads(text) if text.strip() else {}
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("error"), str) and body["error"]:
        raise LoginError(oauth_error_line(body, secrets_in_form))
    if status >= 400 or not isinstance(body, dict):
        raise LoginError(f"TikTok answered HTTP {status} at {url} without a usable answer")
    return body


def store_tokens(path: Path, answer: Mapping, now: float, granted: list[str] | None = None) -> list[str]:
    """Write the token answer to .env; returns the scopes it holds. A refresh answer without a new refresh token
    keeps the stored one; one with a different token replaces it (TikTok may rotate it)."""
    if not answer.get("access_token") or not answer.get("expires_in"):
        raise LoginError("TikTok's token answer has no access_token or expires_in")
    scopes = split_scopes(str(answer.get("scope") or "")) or granted or []
    values = {
        ACCESS_TOKEN: answer["access_token"],
        ACCESS_EXPIRES: iso(now + float(answer["expires_in"])),
        GRANTED_SCOPES: ",".join(scopes) or None,
    }
    if answer.get("refresh_token"):
        values[REFRESH_TOKEN] = answer["refresh_token"]
        if answer.get("refresh_expires_in"):
            values[REFRESH_EXPIRES] = iso(now + float(answer["refresh_expires_in"]))
    update_env(path, values)
    return scopes


def scope_report(granted: list[str], requested: list[str]) -> list[str]:
    missing = [scope for scope in requested if scope not in granted]
    lines = [f"granted scopes: {', '.join(granted) or 'none reported'}"]
    lines += [
        f"not granted: {scope}, which leaves out {LEFT_OUT_WITHOUT.get(scope, 'nothing known')}" for scope in missing
    ]
    return lines


# ---------------------------------------------------------------------------------------------------------------------
# The three commands
# ---------------------------------------------------------------------------------------------------------------------


async def login(
    *,
    path: Path,
    open_browser: Callable[[str], object] = webbrowser.open,
    say: Callable[[str], None] = print,
    clock: Callable[[], float] = time.time,
    redirect_uri: str | None = None,
    encoding: str | None = None,
    timeout: float = CALLBACK_TIMEOUT_S,
) -> list[str]:
    """The whole desktop flow; returns the granted scopes."""
    stored = read_env(path)
    client_key, client_secret = app_credentials(stored)
    encoding = pkce_encoding(encoding)
    redirect_uri = redirect_uri or setting("TIKTOK_REDIRECT_URI", stored) or DEFAULT_REDIRECT_URI
    requested = config_scopes()
    state, verifier = secrets.token_urlsafe(32), new_verifier()
    async with Callback(redirect_uri) as callback:
        url = authorize_url(client_key, callback.redirect_uri, requested, state, code_challenge(verifier, encoding))
        say(f"Open this page to sign in to TikTok (PKCE challenge: {encoding}):\n\n  {url}\n")
        say(f"Waiting for TikTok to redirect to {callback.redirect_uri} ...")
        try:
            opened = open_browser(url)
        except Exception:  # no browser here: the printed URL is the way
            opened = False
        if opened is False:
            say("(no browser could be opened: open the page above yourself)")
        code, granted = code_from(await callback.wait(timeout), state)
    form = {
        "client_key": client_key,
        "client_secret": client_secret,
        "code": code,
        "grant_type": "authorization_code",
        "redirect_uri": callback.redirect_uri,
        "code_verifier": verifier,
    }
    answer = await post_form(TOKEN_URL, form, (client_secret, code))
    granted = store_tokens(path, answer, clock(), granted)
    say(f"Signed in: the access token and refresh token are in {path} (mode 0600), with their expiry times.")
    for line in scope_report(granted, requested):
        say(line)
    return granted


async def refresh(
    *, path: Path, clock: Callable[[], float] = time.time, force: bool = False, say: Callable[[str], None] = print
) -> str | None:
    """The stored access token, refreshed first when under REFRESH_MARGIN_S is left (or with force). None when
    nothing is stored."""
    stored = read_env(path)
    token = stored.get(ACCESS_TOKEN)
    if not token:
        return None
    now = clock()
    expires = epoch(stored.get(ACCESS_EXPIRES, ""))
    if not force and expires is not None and expires - now >= REFRESH_MARGIN_S:
        return token
    refresh_token = stored.get(REFRESH_TOKEN)
    if not refresh_token:
        if expires is None and not force:
            return token  # put in .env by hand: nothing here knows when it expires
        raise LoginError("no TikTok refresh token is stored to renew the access token: run make login again")
    refresh_expires = epoch(stored.get(REFRESH_EXPIRES, ""))
    if refresh_expires is not None and refresh_expires <= now:
        raise LoginError("the TikTok refresh token has expired (it lasts 365 days): run make login again")
    client_key, client_secret = app_credentials(stored)
    form = {
        "client_key": client_key,
        "client_secret": client_secret,
        "grant_type": "refresh_token",
        "refresh_token": refresh_token,
    }
    try:
        answer = await post_form(TOKEN_URL, form, (client_secret, refresh_token))
    except LoginError as error:
        if "invalid_grant" in str(error):
            raise LoginError(
                f"TikTok no longer accepts the refresh token (expired or revoked): run make login again. {error}"
            ) from None
        raise
    store_tokens(path, answer, now, split_scopes(stored.get(GRANTED_SCOPES, "")))
    rotated = answer.get("refresh_token") not in (None, "", refresh_token)
    say(f"Refreshed the TikTok access token{' (and its rotated refresh token)' if rotated else ''} in {path}.")
    return answer["access_token"]


async def logout(*, path: Path, say: Callable[[str], None] = print) -> bool:
    """Revoke the access token at TikTok, then clear the tokens from .env (even if TikTok refused: a token TikTok
    no longer honours is of no use here). True when TikTok confirmed."""
    stored = read_env(path)
    token = stored.get(ACCESS_TOKEN)
    if not token:
        say(f"No TikTok token is stored in {path}: nothing to revoke.")
        return True
    client_key, client_secret = app_credentials(stored)
    form = {"client_key": client_key, "client_secret": client_secret, "token": token}
    try:
        await post_form(REVOKE_URL, form, (client_secret, token, stored.get(REFRESH_TOKEN, "")))
        confirmed = True
        say("Revoked at TikTok: the app no longer has access to the account.")
    except LoginError as error:
        confirmed = False
        say(f"TikTok did not confirm the revoke: {error}")
    update_env(path, dict.fromkeys(TOKEN_KEYS))
    say(f"Cleared the TikTok tokens from {path}.")
    return confirmed


def fresh_token_for_run(environ: Mapping[str, str], path: Path | None = None) -> str | None:
    """The token `make run` uses against real TikTok: TIKTOK_ACCESS_TOKEN from the environment, or with LIVE=1 the
    one `make login` stored. A stored token is refreshed first when under an hour is left. None: the sandbox."""
    given = environ.get(ACCESS_TOKEN)
    if not given and environ.get("LIVE") != "1":
        return None
    path = path or env_file()
    stored = read_env(path).get(ACCESS_TOKEN)
    if given and given != stored:
        return given  # a token from elsewhere: nothing here knows its expiry
    token = asyncio.run(refresh(path=path, say=lambda line: print(line, file=sys.stderr)))
    if not token:
        raise LoginError(f"LIVE=1 but no TikTok token is stored in {path}: run make login first")
    return token


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=("login", "refresh", "logout"))
    parser.add_argument("--redirect-uri", help=f"default: $TIKTOK_REDIRECT_URI or {DEFAULT_REDIRECT_URI}")
    parser.add_argument(
        "--pkce", choices=PKCE_ENCODINGS, help=f"default: $TIKTOK_PKCE_ENCODING or {DEFAULT_PKCE_ENCODING}"
    )
    parser.add_argument("--no-browser", action="store_true", help="only print the sign-in page's address")
    parser.add_argument("--force", action="store_true", help="refresh even with more than an hour left")
    args = parser.parse_args(argv)
    path = env_file()
    try:
        if args.command == "login":
            browser = (lambda url: None) if args.no_browser else webbrowser.open
            asyncio.run(login(path=path, open_browser=browser, redirect_uri=args.redirect_uri, encoding=args.pkce))
        elif args.command == "refresh":
            if asyncio.run(refresh(path=path, force=args.force)) is None:
                print(f"No TikTok token is stored in {path}: run make login.")
                return 1
        else:
            return 0 if asyncio.run(logout(path=path)) else 1
    except LoginError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("cancelled: nothing was stored", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
