"""A stateful, deterministic emulator of TikTok's v2 API for offline tests and the demo.

It follows /work/shared/docs/tiktok-api.md and plugs into aiohttp through aioresponses, so code that uses a plain
``aiohttp.ClientSession`` or the Autohive SDK's ``ExecutionContext.fetch`` runs against it unchanged::

    with TikTokSandbox() as sb:
        ...  # every aiohttp request now goes to the sandbox; nothing reaches the network

Endpoint logic is split by API family: ``display.py`` (user info, video list/query) and ``posting.py``
(Content Posting API). This module holds configuration, routing, authentication, rate limiting, fault
injection, hosted download links and the request log.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections import deque
from dataclasses import dataclass, fields
from typing import Any, Callable, Iterable

from aiohttp import ClientConnectionError, ServerDisconnectedError, hdrs
from multidict import CIMultiDictProxy
from yarl import URL

from .display import DisplayEndpoints
from .media import make_mov, make_mp4, make_webm
from .oauth import AUTHORIZE_ORIGIN, AUTHORIZE_PATH, OAUTH_ROUTES, OAuthEndpoints, OAuthState
from .posting import PostingEndpoints
from .state import (
    ALL_SCOPES,
    DAY,
    DEFAULT_RATE_LIMITS,
    Account,
    ApiError,
    HostedFile,
    ManualClock,
    Publish,
    RequestRecord,
    SlidingWindow,
    Token,
    Upload,
    snowflake,
)
from .transport import HttpRequest, Reply, SandboxMock

# A fake token that only the sandbox accepts.
DEFAULT_TOKEN = "act.sandbox-demo"  # nosec B105
API_BASE = "https://open.tiktokapis.com"
DEFAULT_UPLOAD_BASE = "https://open-upload.tiktokapis.com/video/"
DEFAULT_VERIFIED_PREFIXES = ("https://media.sandbox.example/verified/",)
NEXT = "next"  # fail_publish(NEXT, reason): fail the next publish created

ENDPOINTS = (
    "user_info",
    "creator_info",
    "video_init",
    "inbox_init",
    "content_init",
    "upload",
    "status",
    "cancel",
    "video_list",
    "video_query",
    "download",
)
FAULT_KINDS = ("500", "502_html", "timeout", "disconnect", "429")

# (method, path) on the API host -> endpoint name. Paths keep TikTok's trailing slash; anything else is 404.
_API_ROUTES = {
    ("GET", "/v2/user/info/"): "user_info",
    ("POST", "/v2/post/publish/creator_info/query/"): "creator_info",
    ("POST", "/v2/post/publish/video/init/"): "video_init",
    ("POST", "/v2/post/publish/inbox/video/init/"): "inbox_init",
    ("POST", "/v2/post/publish/content/init/"): "content_init",
    ("POST", "/v2/post/publish/status/fetch/"): "status",
    ("POST", "/v2/post/publish/cancel/"): "cancel",
    ("POST", "/v2/video/list/"): "video_list",
    ("POST", "/v2/video/query/"): "video_query",
}

_BAD_GATEWAY_HTML = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n"
)
_ACCOUNT_SETTINGS = {f.name for f in fields(Account)} - {"index", "library", "post_times"}


@dataclass
class _Fault:
    kind: str
    remaining: int
    after_receive: bool


class TikTokSandbox(DisplayEndpoints, PostingEndpoints, OAuthEndpoints):
    """TikTok's v2 API, emulated. See the module docstring and tests/test_sandbox.py for the rules it enforces.

    Keyword arguments not listed below are settings of the default creator account (see ``state.Account``),
    e.g. ``TikTokSandbox(private=True, display_name="Alice")``.
    """

    def __init__(
        self,
        *,
        audited: bool = True,
        token: str = DEFAULT_TOKEN,
        scopes: Iterable[str] = ALL_SCOPES,
        clock: Callable[[], float] | None = None,
        upload_base: str = DEFAULT_UPLOAD_BASE,
        verified_url_prefixes: Iterable[str] = DEFAULT_VERIFIED_PREFIXES,
        verified_domains: Iterable[str] = (),
        invalid_param_code: str = "invalid_params",
        silently_drop_unpermitted_fields: bool = False,
        processing_polls: int = 1,
        daily_post_cap: int = 15,
        pending_share_cap: int = 5,
        unaudited_user_cap: int = 5,
        active_user_cap: int | None = None,
        rate_limits: dict[str, int | None] | None = None,
        upload_url_ttl: float = 3600.0,
        require_json_content_type: bool = True,
        require_brand_toggles: bool = False,
        reject_multi_chunk: bool = False,
        check_media: bool = False,
        progress_as_count: bool = False,
        **account_settings: Any,
    ):
        self.audited = audited
        self.clock: Callable[[], float] = clock if clock is not None else ManualClock()
        self.upload_base = upload_base
        self.verified_url_prefixes = list(verified_url_prefixes)
        self.verified_domains = [d.lower().strip(".") for d in verified_domains]
        self.invalid_param_code = invalid_param_code
        self.silently_drop_unpermitted_fields = silently_drop_unpermitted_fields
        self.processing_polls = processing_polls
        self.daily_post_cap = daily_post_cap
        self.pending_share_cap = pending_share_cap
        self.unaudited_user_cap = unaudited_user_cap
        self.active_user_cap = active_user_cap
        self.rate_limits = {**DEFAULT_RATE_LIMITS, **(rate_limits or {})}
        self.upload_url_ttl = upload_url_ttl
        self.require_json_content_type = require_json_content_type
        self.require_brand_toggles = require_brand_toggles
        self.reject_multi_chunk = reject_multi_chunk
        self.check_media = check_media
        self.progress_as_count = progress_as_count

        self.requests: list[RequestRecord] = []
        self.accounts: list[Account] = []
        self.tokens: dict[str, Token] = {}
        self.publishes: dict[str, Publish] = {}
        self.uploads: dict[str, Upload] = {}
        self.hosted: dict[str, HostedFile] = {}
        self._faults: dict[str, deque[_Fault]] = {}
        self._limiter = SlidingWindow()
        self._app_posters: list[tuple[float, Account]] = []  # (time, creator) of every accepted direct post
        self._fail_next: str | None = None
        self._seq = 0
        self._log_seq = 0
        self._mock = SandboxMock(self)
        self.oauth = OAuthState()

        self.token = token
        self.account = self.add_token(token, scopes=scopes, **account_settings)

    # -----------------------------------------------------------------------------------------------------------------
    # Lifecycle
    # -----------------------------------------------------------------------------------------------------------------

    def start(self) -> TikTokSandbox:
        self._mock.start()
        return self

    def stop(self) -> None:
        self._mock.stop()

    def __enter__(self) -> TikTokSandbox:
        return self.start()

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()

    async def __aenter__(self) -> TikTokSandbox:
        return self.start()

    async def __aexit__(self, *exc_info: Any) -> None:
        self.stop()

    # -----------------------------------------------------------------------------------------------------------------
    # Accounts, tokens, time
    # -----------------------------------------------------------------------------------------------------------------

    def add_account(self, **settings: Any) -> Account:
        """Create a creator account. Settings are ``Account`` fields (display_name, private, banned, ...)."""
        unknown = set(settings) - _ACCOUNT_SETTINGS
        if unknown:
            raise TypeError(f"unknown account settings: {', '.join(sorted(unknown))}")
        index = len(self.accounts) + 1
        settings.setdefault("username", "sandbox.creator" if index == 1 else f"sandbox.creator{index}")
        account = Account(index=index, **settings)
        account.library = self._build_library(account)
        self.accounts.append(account)
        return account

    def add_token(
        self,
        token: str,
        scopes: Iterable[str] = ALL_SCOPES,
        account: Account | None = None,
        *,
        expires_in: float | None = None,
        **account_settings: Any,
    ) -> Account:
        """Register an access token. Without ``account`` a new creator is created from ``account_settings``;
        pass an existing ``Account`` to give one creator several tokens. Returns the token's account."""
        if account is None:
            account = self.add_account(**account_settings)
        elif account_settings:
            raise TypeError("pass either an existing account or settings for a new one, not both")
        expires_at = None if expires_in is None else self.clock() + expires_in
        self.tokens[token] = Token(token, frozenset(scopes), account, expires_at)
        return account

    def revoke_token(self, token: str) -> None:
        """Make ``token`` unknown: every later call with it answers 401 access_token_invalid."""
        self.tokens.pop(token, None)

    def advance(self, seconds: float) -> float:
        """Move the default manual clock forward (rate-limit windows, URL expiry and 24 h caps follow it)."""
        if not isinstance(self.clock, ManualClock):
            raise TypeError("advance() needs the default ManualClock; move your own clock instead")
        return self.clock.advance(seconds)

    def clear_rate_limits(self) -> None:
        self._limiter.clear()

    # -----------------------------------------------------------------------------------------------------------------
    # Fault injection, publish control, hosted links, request log
    # -----------------------------------------------------------------------------------------------------------------

    def inject(self, endpoint: str, kind: str, times: int = 1, *, after_receive: bool = False) -> None:
        """Make the next ``times`` requests to ``endpoint`` fail with ``kind``. Faults queue per endpoint and are
        used in the order injected. With ``after_receive`` the request is fully processed first (state changes,
        chunk stored) and only the response is lost or replaced."""
        if endpoint not in ENDPOINTS:
            raise ValueError(f"unknown endpoint {endpoint!r}; expected one of {', '.join(ENDPOINTS)}")
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {', '.join(FAULT_KINDS)}")
        if times < 1:
            raise ValueError("times must be at least 1")
        self._faults.setdefault(endpoint, deque()).append(_Fault(kind, times, after_receive))

    def clear_faults(self) -> None:
        self._faults.clear()

    def fail_publish(self, publish_id: str = NEXT, reason: str = "internal") -> None:
        """FAIL a publish with ``fail_reason=reason``: a known publish_id fails at once; ``NEXT`` ("next") arms
        a failure for the next publish created, which fails when its processing would have finished."""
        if publish_id == NEXT:
            self._fail_next = reason
            return
        publish = self._publish(publish_id)
        publish.status = "FAILED"
        publish.fail_reason = reason

    def user_posts_from_inbox(self, publish_id: str, privacy_level: str | None = None) -> int:
        """The creator opens the inbox draft and posts it: SEND_TO_USER_INBOX -> PUBLISH_COMPLETE.
        May be called again (one draft can become several posts). Returns the new post id."""
        publish = self._publish(publish_id)
        if publish.mode != "inbox" or publish.status not in ("SEND_TO_USER_INBOX", "PUBLISH_COMPLETE"):
            raise ValueError(f"{publish_id} is a {publish.mode} publish in status {publish.status or 'new'}")
        if privacy_level is None:
            privacy_level = "FOLLOWER_OF_CREATOR" if publish.account.private else "PUBLIC_TO_EVERYONE"
        post_id = self._make_post(publish, privacy_level)
        publish.status = "PUBLISH_COMPLETE"
        return post_id

    def upload_for(self, publish_id: str) -> Upload:
        """The upload record (sha256, received, chunks) behind a FILE_UPLOAD publish."""
        upload = self._publish(publish_id).upload
        if upload is None:
            raise ValueError(f"{publish_id} is not a FILE_UPLOAD publish")
        return upload

    def _publish(self, publish_id: str) -> Publish:
        try:
            return self.publishes[publish_id]
        except KeyError:
            raise KeyError(f"no publish {publish_id!r} in the sandbox") from None

    def host_file(
        self,
        url: str,
        data: bytes,
        *,
        content_type: str = "video/mp4",
        send_length: bool = True,
        break_after: int | None = None,
        redirect_to: str | None = None,
        status: int = 200,
    ) -> str:
        """Serve ``data`` at ``url`` (exact match, query included) to GET/HEAD. ``redirect_to`` answers 302 instead;
        ``break_after`` drops the connection after that many body bytes. Returns the URL."""
        # Keyed by the link exactly as written: clients that keep a pre-signed link's encoding ask for it verbatim.
        self.hosted[str(URL(url, encoded=True))] = HostedFile(
            url, bytes(data), content_type, send_length, break_after, redirect_to, status
        )
        return url

    def calls(self, endpoint: str) -> list[RequestRecord]:
        """Requests the sandbox saw for one endpoint name (see ``ENDPOINTS``; also "external" and "unknown")."""
        return [record for record in self.requests if record.endpoint == endpoint]

    @property
    def tiktok_requests(self) -> list[RequestRecord]:
        """Requests to TikTok's hosts (API and upload), i.e. everything but downloads and other hosts."""
        return [record for record in self.requests if record.endpoint not in ("download", "external")]

    make_mp4 = staticmethod(make_mp4)
    make_mov = staticmethod(make_mov)
    make_webm = staticmethod(make_webm)

    # -----------------------------------------------------------------------------------------------------------------
    # Request handling (called by the transport for every aiohttp request while the sandbox is active)
    # -----------------------------------------------------------------------------------------------------------------

    def handle(self, request: HttpRequest) -> Reply:
        """Log the request, apply any injected fault, and answer it (or raise, like a failed connection)."""
        endpoint = self._route(request)
        record = self._record(endpoint, request)
        fault = self._take_fault(endpoint)
        if fault is not None and not fault.after_receive:
            return self._apply_fault(fault, record)
        if endpoint == "upload":
            reply = self._upload(request)
        elif endpoint in ("download", "external"):
            reply = self._download(request)
        elif endpoint == "authorize":
            reply = self._authorize(request)
        elif endpoint in OAUTH_ROUTES.values():
            reply = self._oauth(endpoint, request)
        else:
            reply = self._api(endpoint, request, record)
        if fault is not None:
            return self._apply_fault(fault, record)
        record.status = reply.status
        return reply

    def _route(self, request: HttpRequest) -> str:
        url = request.url
        origin_path = str(url.with_query(None).with_fragment(None))
        upload_base = URL(self.upload_base)
        if url.origin() == URL(API_BASE).origin():
            return _API_ROUTES.get((request.method, url.path)) or OAUTH_ROUTES.get(
                (request.method, url.path), "unknown"
            )
        if url.origin() == URL(AUTHORIZE_ORIGIN).origin() and url.path == AUTHORIZE_PATH and request.method == "GET":
            return "authorize"
        if origin_path == str(upload_base.with_query(None)):
            return "upload"
        return "download" if request.method in ("GET", "HEAD") else "external"

    def _record(self, endpoint: str, request: HttpRequest) -> RequestRecord:
        parsed = None
        if request.body and endpoint not in ("upload", "download") and len(request.body) <= 1_000_000:
            try:
                parsed = json.loads(request.body)
            except ValueError:
                parsed = None
        record = RequestRecord(
            endpoint=endpoint,
            method=request.method,
            url=str(request.url.with_query(None).with_fragment(None)),
            query=dict(request.url.query),
            headers=CIMultiDictProxy(request.headers.copy()),
            json=parsed,
            body_length=len(request.body),
            content_type=request.content_type,
            streamed=request.streamed,
            time=self.clock(),
            token=_bearer(request),
        )
        self.requests.append(record)
        return record

    def _take_fault(self, endpoint: str) -> _Fault | None:
        queue = self._faults.get(endpoint)
        if not queue:
            return None
        fault = queue[0]
        fault.remaining -= 1
        if fault.remaining == 0:
            queue.popleft()
        return fault

    def _apply_fault(self, fault: _Fault, record: RequestRecord) -> Reply:
        record.fault = fault.kind
        record.status = None
        if fault.kind == "timeout":
            raise asyncio.TimeoutError()
        if fault.kind == "disconnect":
            raise ServerDisconnectedError("Server disconnected (TikTok sandbox fault injection)")
        if fault.kind == "502_html":
            record.status = 502
            return Reply(502, _BAD_GATEWAY_HTML, "text/html")
        if fault.kind == "429":
            record.status = 429
            return self._error_reply(ApiError(429, "rate_limit_exceeded", "API rate limit exceeded, try later."))
        record.status = 500
        return self._error_reply(ApiError(500, "internal_error", "Something went wrong. Please try again later."))

    # -----------------------------------------------------------------------------------------------------------------
    # TikTok API envelope, authentication and rate limiting
    # -----------------------------------------------------------------------------------------------------------------

    def _next_log_id(self) -> str:
        """34 characters like TikTok's: a UTC timestamp (YYYYMMDDhhmmss) then 20 uppercase hex digits."""
        self._log_seq += 1
        stamp = time.strftime("%Y%m%d%H%M%S", time.gmtime(self.clock()))
        return f"{stamp}{self._log_seq:020X}"

    def _reply(self, status: int, data: dict[str, Any], code: str = "ok", message: str = "") -> Reply:
        log_id = self._next_log_id()
        payload = {"data": data, "error": {"code": code, "message": message, "log_id": log_id}}
        return Reply.json(status, payload, {"X-Tt-Logid": log_id})

    def _error_reply(self, error: ApiError) -> Reply:
        return self._reply(error.status, {}, error.code, error.message)

    def _api(self, endpoint: str, request: HttpRequest, record: RequestRecord) -> Reply:
        try:
            if endpoint == "unknown":
                raise ApiError(404, "not_found", f"No API at {request.method} {request.url.path}.")
            token = self._authenticate(record.token)
            limit = self.rate_limits.get(endpoint)
            if limit is not None and not self._limiter.allow((token.token, endpoint), limit, self.clock()):
                raise ApiError(429, "rate_limit_exceeded", "API rate limit exceeded, try later.")
            data = getattr(self, f"_ep_{endpoint}")(request, token)
        except ApiError as error:
            return self._error_reply(error)
        return self._reply(200, data)

    def _authenticate(self, bearer: str | None) -> Token:
        token = self.tokens.get(bearer) if bearer else None
        if token is None or (token.expires_at is not None and self.clock() >= token.expires_at):
            raise ApiError(401, "access_token_invalid", "The access token is invalid or not found in the request.")
        return token

    @staticmethod
    def _require_scope(token: Token, *scopes: str) -> None:
        """At least one of ``scopes`` must have been granted."""
        if not token.scopes.intersection(scopes):
            raise ApiError(
                401,
                "scope_not_authorized",
                f"The user did not authorize the scope required for completing this request ({' or '.join(scopes)}).",
            )

    def _json_body(self, request: HttpRequest, code: str) -> dict[str, Any]:
        """The request's JSON object body; an absent body counts as ``{}``."""
        if not request.body:
            return {}
        media_type = (request.content_type or "").split(";")[0].strip().lower()
        if self.require_json_content_type and media_type != "application/json":
            raise ApiError(400, code, f"Content-Type must be application/json, got {request.content_type!r}.")
        try:
            body = json.loads(request.body)
        except ValueError:
            raise ApiError(400, code, "The request body is not valid JSON.") from None
        if not isinstance(body, dict):
            raise ApiError(400, code, "The request body must be a JSON object.")
        return body

    def _next_id(self) -> int:
        """A 19-digit, increasing id shaped like TikTok's (creation second in the high bits, a counter below)."""
        self._seq += 1
        return snowflake(self.clock(), self._seq)

    def _opaque(self, label: str) -> str:
        """A deterministic token-looking string (upload tokens)."""
        self._seq += 1
        return hashlib.sha256(f"{label}:{self._seq}".encode()).hexdigest()[:32]

    # -----------------------------------------------------------------------------------------------------------------
    # Caps shared by the posting endpoints
    # -----------------------------------------------------------------------------------------------------------------

    def _posts_last_day(self, account: Account) -> int:
        now = self.clock()
        return account.posts_last_24h + sum(1 for t in account.post_times if t > now - DAY)

    def _active_user_cap_reached(self, account: Account) -> bool:
        """True if this creator would be one active publishing user too many for the app in the last 24 h."""
        caps = [cap for cap in (self.active_user_cap, None if self.audited else self.unaudited_user_cap) if cap]
        if not caps:
            return False
        now = self.clock()
        active = {creator for t, creator in self._app_posters if t > now - DAY}
        return account not in active and len(active) >= min(caps)

    def _pending_shares(self, account: Account) -> int:
        now = self.clock()
        return sum(
            1
            for publish in self.publishes.values()
            if publish.account is account and publish.pending_share and publish.created_at > now - DAY
        )

    # -----------------------------------------------------------------------------------------------------------------
    # Downloads and other hosts
    # -----------------------------------------------------------------------------------------------------------------

    def _download(self, request: HttpRequest) -> Reply:
        hosted = self.hosted.get(str(request.url))
        if hosted is None:
            # No real network: anything that is not TikTok or a hosted link is unreachable.
            raise ClientConnectionError(f"Cannot connect to host {request.url.host} (TikTok sandbox: no network)")
        if request.method not in ("GET", "HEAD"):
            return Reply(405, b"Method Not Allowed", "text/plain", {"Allow": "GET, HEAD"})
        if hosted.redirect_to is not None:
            return Reply(
                hosted.status if 300 <= hosted.status < 400 else 302, b"", "text/html", {"Location": hosted.redirect_to}
            )
        headers = {"Content-Length": str(len(hosted.data))} if hosted.send_length else {}
        if request.method == "HEAD":
            return Reply(hosted.status, b"", hosted.content_type, headers)
        return Reply(hosted.status, hosted.data, hosted.content_type, headers, hosted.break_after)


def _bearer(request: HttpRequest) -> str | None:
    value = request.headers.get(hdrs.AUTHORIZATION)
    if not value:
        return None
    scheme, _, credentials = value.partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        return None
    return credentials.strip()
