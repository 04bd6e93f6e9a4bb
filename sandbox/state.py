"""Plain data the TikTok sandbox keeps: constants from tiktok-api.md, accounts, tokens, uploads, publishes,
hosted files, request records, the manual clock and the sliding-window rate limiter.

Nothing here talks HTTP; the endpoint logic lives in ``display.py`` and ``posting.py``.
"""

from __future__ import annotations

import calendar
import hashlib
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from multidict import CIMultiDictProxy

# ---------------------------------------------------------------------------------------------------------------------
# Constants (section numbers refer to /work/shared/docs/tiktok-api.md)
# ---------------------------------------------------------------------------------------------------------------------

ALL_SCOPES = (
    "user.info.basic",
    "user.info.profile",
    "user.info.stats",
    "video.list",
    "video.publish",
    "video.upload",
)

# §4.1: every user field and the scope that unlocks it.
USER_FIELD_SCOPES = {
    "open_id": "user.info.basic",
    "union_id": "user.info.basic",
    "avatar_url": "user.info.basic",
    "avatar_url_100": "user.info.basic",
    "avatar_large_url": "user.info.basic",
    "display_name": "user.info.basic",
    "bio_description": "user.info.profile",
    "profile_deep_link": "user.info.profile",
    "profile_web_link": "user.info.profile",
    "is_verified": "user.info.profile",
    "username": "user.info.profile",
    "follower_count": "user.info.stats",
    "following_count": "user.info.stats",
    "likes_count": "user.info.stats",
    "video_count": "user.info.stats",
}

# §5.3: the only values `fields` may name on /v2/video/list/ and /v2/video/query/ (`fps` is a doc typo).
VIDEO_FIELDS = (
    "id",
    "create_time",
    "cover_image_url",
    "share_url",
    "video_description",
    "duration",
    "height",
    "width",
    "title",
    "embed_html",
    "embed_link",
    "like_count",
    "comment_count",
    "share_count",
    "view_count",
)

PUBLIC_OPTIONS = ("PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "SELF_ONLY")
PRIVATE_OPTIONS = ("FOLLOWER_OF_CREATOR", "MUTUAL_FOLLOW_FRIENDS", "SELF_ONLY")

# §1.3: requests per one-minute sliding window, per access token, each endpoint counted on its own.
DEFAULT_RATE_LIMITS: dict[str, int | None] = {
    "user_info": 600,
    "video_list": 600,
    "video_query": 600,
    "creator_info": 20,
    "video_init": 6,
    "inbox_init": 6,
    "content_init": 6,
    "status": 30,
    "cancel": None,  # not documented
}

# §9.2 chunk rules, with the conservative unit reading the doc recommends.
MIN_CHUNK = 5 * 1024 * 1024
MAX_CHUNK = 64_000_000
MAX_FINAL_CHUNK = 128_000_000
MAX_CHUNKS = 1000
MAX_VIDEO_SIZE = 4 * 1024 * 1024 * 1024

UPLOAD_CONTENT_TYPES = ("video/mp4", "video/quicktime", "video/webm")
VIDEO_TITLE_MAX = 2200
PHOTO_TITLE_MAX = 90
PHOTO_DESCRIPTION_MAX = 4000
MAX_PHOTOS = 35
MAX_QUERY_IDS = 20
MAX_LIST_COUNT = 20
DEFAULT_LIST_COUNT = 10
MIN_INBOX_APP_VERSION = (31, 8)

DAY = 24 * 3600
# 2026-11-21T00:00:00Z: the manual clock starts here so ids and log_ids look like real ones and never vary.
DEFAULT_EPOCH = float(calendar.timegm((2026, 11, 21, 0, 0, 0)))

# Used only to derive stable, realistic-looking open_id/union_id values.
_ID_NAMESPACE = uuid.UUID("6f1d3c52-2b7e-4f8e-9a43-5d7c1e0b9a11")


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit TikTok's caption limits use (non-BMP emoji count twice)."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def parse_version(version: str) -> tuple[int, ...]:
    """ "31.8.2" -> (31, 8, 2); anything unparsable counts as (0,) so it fails version gates."""
    parts = []
    for piece in str(version).split("."):
        if not piece.isdigit():
            break
        parts.append(int(piece))
    return tuple(parts) or (0,)


def snowflake(seconds: float, low: int) -> int:
    """A 19-digit id shaped like TikTok's: the creation second in the high bits, ``low`` in the bottom 32."""
    value = (int(seconds) << 32) | (low & 0xFFFFFFFF)
    if not 10**18 <= value < 2**63:  # a custom clock far from the present: keep the 19-digit shape anyway
        value = 7 * 10**18 + value % 10**18
    return value


def is_int(value: Any) -> bool:
    """JSON integers only: TikTok's Go backend rejects floats, strings and booleans for int64 fields."""
    return isinstance(value, int) and not isinstance(value, bool)


class ManualClock:
    """The default sandbox clock: frozen until ``advance`` is called, so time-based rules are reproducible."""

    def __init__(self, start: float = DEFAULT_EPOCH):
        self.now = float(start)

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> float:
        if seconds < 0:
            raise ValueError("the sandbox clock only moves forward")
        self.now += seconds
        return self.now


class SlidingWindow:
    """Per-key log of request times; a request is allowed if fewer than ``limit`` fell in the last 60 s."""

    WINDOW = 60.0

    def __init__(self) -> None:
        self._hits: dict[tuple[str, str], deque[float]] = {}

    def allow(self, key: tuple[str, str], limit: int, now: float) -> bool:
        hits = self._hits.setdefault(key, deque())
        while hits and hits[0] <= now - self.WINDOW:
            hits.popleft()
        if len(hits) >= limit:
            # Throttled requests are not logged, so a client that backs off recovers after the window.
            return False
        hits.append(now)
        return True

    def clear(self) -> None:
        self._hits.clear()


# ---------------------------------------------------------------------------------------------------------------------
# Accounts and tokens
# ---------------------------------------------------------------------------------------------------------------------


@dataclass(eq=False)
class Account:
    """A TikTok creator. Every attribute may be changed while the sandbox runs (e.g. ``account.banned = True``)."""

    index: int
    username: str
    display_name: str = "Sandbox Creator"
    open_id: str = ""
    union_id: str = ""
    avatar_url: str = ""
    avatar_url_100: str = ""
    avatar_large_url: str = ""
    bio_description: str = "Posting from the TikTok sandbox."
    profile_deep_link: str = ""
    profile_web_link: str = ""
    is_verified: bool = False
    follower_count: int = 1234
    following_count: int = 56
    likes_count: int = 78901
    video_count: int | None = None  # None: the size of the video library
    private: bool = False
    comment_disabled: bool = False
    duet_disabled: bool = False  # the creator's own Duet setting; private accounts report true regardless
    stitch_disabled: bool = False
    max_video_post_duration_sec: int = 600
    banned: bool = False
    app_version: str = "35.1.0"
    library_size: int = 45
    posts_last_24h: int = 0  # posts made elsewhere that already count toward the shared daily cap
    # Filled by the sandbox:
    library: list[dict[str, Any]] = field(default_factory=list, repr=False)
    post_times: list[float] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        tag = f"{self.index}:{self.username}"
        self.open_id = self.open_id or f"-000{uuid.uuid5(_ID_NAMESPACE, 'open:' + tag).hex[:28]}"
        self.union_id = self.union_id or str(uuid.uuid5(_ID_NAMESPACE, "union:" + tag))
        avatar = f"https://p16-sign.sandbox.example/tos-avatar/{self.open_id}"
        self.avatar_url = self.avatar_url or f"{avatar}~c5_168x168.jpeg"
        self.avatar_url_100 = self.avatar_url_100 or f"{avatar}~c5_100x100.jpeg"
        self.avatar_large_url = self.avatar_large_url or f"{avatar}~c5_1080x1080.jpeg"
        self.profile_deep_link = self.profile_deep_link or f"https://vm.tiktok.com/sandbox-{self.index}/"
        self.profile_web_link = self.profile_web_link or f"https://www.tiktok.com/@{self.username}"

    @property
    def privacy_level_options(self) -> list[str]:
        return list(PRIVATE_OPTIONS if self.private else PUBLIC_OPTIONS)


@dataclass(eq=False)
class Token:
    token: str
    scopes: frozenset[str]
    account: Account
    expires_at: float | None = None  # None: never expires


# ---------------------------------------------------------------------------------------------------------------------
# Uploads and publishes
# ---------------------------------------------------------------------------------------------------------------------


@dataclass
class ChunkRecord:
    """One PUT to an upload URL, accepted or not. The bytes themselves are never kept."""

    content_range: str | None
    content_length: str | None  # as sent: the explicit header, or the one aiohttp adds for a sized body
    content_type: str | None  # as sent: the explicit header, or the one aiohttp derives from the body
    body_length: int
    status: int
    authorization: str | None = None  # recorded because TikTok ignores it here; a client should not send one


@dataclass(eq=False)
class Upload:
    upload_id: str
    upload_token: str
    upload_url: str
    publish_id: str
    issued_at: float
    expires_at: float
    video_size: int
    chunk_size: int
    total_chunk_count: int
    next_index: int = 0
    received: int = 0
    completed_at: float | None = None
    chunks: list[ChunkRecord] = field(default_factory=list)
    head: bytes = b""  # first HEAD_BYTES of the file, enough to sniff the container when check_media is on
    # The guide writes the progress header as `bytes 0-{UPLOADED_BYTES}/{TOTAL}`: by default N is the last byte
    # held (as in any Content-Range); with progress_as_count it is the number of bytes held, the other reading.
    progress_as_count: bool = False
    _hash: Any = field(default_factory=hashlib.sha256, repr=False)

    HEAD_BYTES = 64 * 1024

    @property
    def complete(self) -> bool:
        return self.completed_at is not None

    @property
    def sha256(self) -> str:
        """Hex SHA-256 of every byte accepted so far, in order."""
        return self._hash.hexdigest()

    def expected_range(self, index: int) -> tuple[int, int]:
        """Inclusive byte range of chunk ``index``; the last chunk absorbs the remainder (§9.2)."""
        first = index * self.chunk_size
        last = self.video_size - 1 if index == self.total_chunk_count - 1 else first + self.chunk_size - 1
        return first, last

    def accept(self, body: bytes) -> None:
        self._hash.update(body)
        if len(self.head) < self.HEAD_BYTES:
            self.head += bytes(body[: self.HEAD_BYTES - len(self.head)])
        self.received += len(body)
        self.next_index += 1

    def progress_header(self) -> str:
        """The ``Content-Range`` TikTok answers with to show what it holds."""
        if self.received == 0:
            return f"bytes */{self.video_size}"
        held = self.received if self.progress_as_count else self.received - 1
        return f"bytes 0-{held}/{self.video_size}"


@dataclass(eq=False)
class Publish:
    publish_id: str
    token: str
    account: Account
    media: str  # "video" | "photo"
    mode: str  # "direct" | "inbox"
    source: str  # "FILE_UPLOAD" | "PULL_FROM_URL"
    created_at: float
    post_info: dict[str, Any]
    source_info: dict[str, Any]
    privacy_level: str | None = None
    upload: Upload | None = None
    status: str = ""
    fail_reason: str | None = None
    polls_left: int = 0  # status fetches still answered "processing" once the media is all in
    polls_total: int = 0
    download_size: int = 0
    downloaded_bytes: int = 0
    post_ids: list[int] = field(default_factory=list)  # every post made from this publish
    public_post_ids: list[int] = field(default_factory=list)  # the ones reported in publicaly_available_post_id
    fail_on_completion: str | None = None

    @property
    def pending_share(self) -> bool:
        """An inbox share the creator has not posted yet (the 5-per-24h cap counts these)."""
        return self.mode == "inbox" and self.status not in ("PUBLISH_COMPLETE", "FAILED")


# ---------------------------------------------------------------------------------------------------------------------
# Hosted download links and the request log
# ---------------------------------------------------------------------------------------------------------------------


@dataclass
class HostedFile:
    url: str
    data: bytes
    content_type: str = "video/mp4"
    send_length: bool = True
    break_after: int | None = None
    redirect_to: str | None = None
    status: int = 200


@dataclass
class RequestRecord:
    """One request the sandbox saw (TikTok API, upload PUT, download or any other host)."""

    endpoint: str
    method: str
    url: str  # without the query string
    query: dict[str, str]
    headers: CIMultiDictProxy  # as sent by the client (case-insensitive lookup)
    json: Any  # parsed JSON body, None if there was none or it was not JSON (never parsed for uploads)
    body_length: int
    content_type: str | None  # the Content-Type aiohttp would send (explicit header, else implied by the body)
    streamed: bool  # body came from an async iterable (aiohttp sends it chunked, without Content-Length)
    time: float
    token: str | None = None  # bearer token, if an Authorization header carried one
    status: int | None = None  # HTTP status answered; None when the request ended in an exception
    fault: str | None = None  # injected fault kind applied to this request, if any


class ApiError(Exception):
    """Raised by endpoint code; the sandbox turns it into TikTok's ``{"data": {}, "error": {...}}`` envelope."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
