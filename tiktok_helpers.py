"""Pure helpers for the TikTok integration: TikTok's contract as data and functions, no I/O.

Everything here follows shared/docs/tiktok-api.md (TikTok for Developers API v2). Section numbers in
comments point into that file.
"""

import json
import re
from dataclasses import dataclass

# ---- Hosts and endpoints ------------------------------------------------------------------------------------

API_BASE = "https://open.tiktokapis.com"
USER_INFO_URL = f"{API_BASE}/v2/user/info/"
VIDEO_LIST_URL = f"{API_BASE}/v2/video/list/"
VIDEO_QUERY_URL = f"{API_BASE}/v2/video/query/"
CREATOR_INFO_URL = f"{API_BASE}/v2/post/publish/creator_info/query/"
VIDEO_INIT_URL = f"{API_BASE}/v2/post/publish/video/init/"
INBOX_INIT_URL = f"{API_BASE}/v2/post/publish/inbox/video/init/"
CONTENT_INIT_URL = f"{API_BASE}/v2/post/publish/content/init/"
STATUS_URL = f"{API_BASE}/v2/post/publish/status/fetch/"

# The Content Posting pages document this exact header; the Display API accepts it too.
JSON_HEADERS = {"Content-Type": "application/json; charset=UTF-8"}

# ---- Limits (§7.1, §9.2, §10, §12, §16.3) ---------------------------------------------------------------------

VIDEO_TITLE_MAX = 2200
PHOTO_TITLE_MAX = 90
PHOTO_DESCRIPTION_MAX = 4000
LIST_PAGE_MAX = 20
MAX_VIDEO_BYTES = 4 * 1024**3

# "5 MB" is read as MiB and "64 MB" as decimal so that either reading of TikTok's units is satisfied.
MIN_CHUNK = 5 * 1024 * 1024
MAX_CHUNK = 64_000_000
# One chunk up to 64,000,000 bytes is the most compatible upload (multi-chunk inits have been rejected, §15);
# larger files go in 10,000,000-byte chunks, TikTok's own example size, which also bounds memory per chunk.
MULTI_CHUNK_SIZE = 10_000_000

# §4.1: which scope unlocks which user field. The order is the order of the output.
USER_FIELDS_BY_SCOPE = {
    "user.info.basic": ("open_id", "union_id", "avatar_url", "avatar_url_100", "avatar_large_url", "display_name"),
    "user.info.profile": ("username", "bio_description", "profile_deep_link", "profile_web_link", "is_verified"),
    "user.info.stats": ("follower_count", "following_count", "likes_count", "video_count"),
}

# §5.3 minus embed_html (a large HTML snippet nobody maps in a workflow) and never the doc's bogus "fps".
VIDEO_FIELDS = (
    "id",
    "title",
    "video_description",
    "create_time",
    "cover_image_url",
    "share_url",
    "embed_link",
    "duration",
    "width",
    "height",
    "like_count",
    "comment_count",
    "share_count",
    "view_count",
)

FINAL_STATUSES = ("PUBLISH_COMPLETE", "FAILED")


class UserFacingError(Exception):
    """A failure whose message is already written for the person running the workflow."""


class InputError(UserFacingError):
    """The inputs cannot be sent to TikTok; raised before any request that posts or uploads."""


# ---- Text and input checks ------------------------------------------------------------------------------------


def utf16_length(text: str) -> int:
    """TikTok counts caption limits in UTF-16 code units: an emoji outside the BMP counts as two."""
    return len(text.encode("utf-16-le")) // 2


def check_text_limit(value: str | None, limit: int, name: str) -> None:
    if value is None:
        return
    try:
        length = utf16_length(value)
    except UnicodeEncodeError:  # a lone surrogate: not text TikTok could store
        raise InputError(
            f"The {name} contains an invalid character (half of an emoji or symbol). Remove it; nothing was posted."
        ) from None
    if length > limit:
        raise InputError(
            f"The {name} is {length} characters long as TikTok counts them (UTF-16 units, an emoji "
            f"counts as 2); TikTok allows at most {limit}. Shorten it; nothing was posted."
        )


def check_branded_privacy(privacy_level: str, brand_content: bool) -> None:
    """§12.4: branded content cannot be private (TikTok documents no error for it, so the client must refuse)."""
    if brand_content and privacy_level == "SELF_ONLY":
        raise InputError(
            "Branded content (brand_content_toggle) cannot be posted with privacy level SELF_ONLY: TikTok requires "
            "paid partnerships to be visible to others. Choose another privacy level or turn branded content off; "
            "nothing was posted."
        )


def check_privacy_offered(privacy_level: str, options: list[str]) -> None:
    """§6: the privacy level must be one of the creator's current privacy_level_options."""
    if privacy_level not in options:
        offered = ", ".join(options) if options else "none"
        raise InputError(
            f"This TikTok account does not offer the privacy level {privacy_level} right now. "
            f"It offers: {offered}. Choose one of those (run Get Creator Info to see them); nothing was posted."
        )


def forced_interactions(requested: dict[str, bool], creator: dict) -> tuple[dict[str, bool], list[str]]:
    """Interactions the creator switched off in TikTok must be sent disabled; report which ones were forced."""
    creator_flag = {
        "disable_comment": "comment_disabled",
        "disable_duet": "duet_disabled",
        "disable_stitch": "stitch_disabled",
    }
    result, forced = dict(requested), []
    for key, value in requested.items():
        if not value and creator.get(creator_flag[key]):
            result[key] = True
            forced.append(key)
    return result, forced


# ---- Chunk planning (§9.2) -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChunkPlan:
    video_size: int
    chunk_size: int
    count: int

    def ranges(self) -> list[tuple[int, int]]:
        """Inclusive (first, last) byte offsets; the last chunk absorbs the remainder."""
        spans = []
        for index in range(self.count):
            first = index * self.chunk_size
            last = self.video_size - 1 if index == self.count - 1 else first + self.chunk_size - 1
            spans.append((first, last))
        return spans

    def source_info(self) -> dict:
        return {
            "source": "FILE_UPLOAD",
            "video_size": self.video_size,
            "chunk_size": self.chunk_size,
            "total_chunk_count": self.count,
        }


def plan_chunks(video_size: int, chunk_size: int = MULTI_CHUNK_SIZE) -> ChunkPlan:
    """TikTok's chunk rules: whole file up to 64,000,000 bytes, else floor(size / chunk) chunks of 5-64 MB."""
    if video_size < 1:
        raise InputError("The video is empty. Choose a file that contains a video; nothing was posted.")
    if video_size > MAX_VIDEO_BYTES:
        raise InputError(
            f"The video is {format_size(video_size)}; TikTok accepts at most 4 GB. Compress or trim it; "
            "nothing was posted."
        )
    if video_size <= MAX_CHUNK:
        return ChunkPlan(video_size, video_size, 1)
    if not MIN_CHUNK <= chunk_size <= MAX_CHUNK:
        raise ValueError(f"chunk size {chunk_size} is outside TikTok's 5-64 MB range")
    # 4 GB / 5 MiB is under 1000 chunks, so TikTok's chunk-count limit cannot be reached from here.
    return ChunkPlan(video_size, chunk_size, video_size // chunk_size)


def alternative_plan(refused: ChunkPlan) -> ChunkPlan | None:
    """Another legal plan for a multi-chunk upload whose init TikTok refused as "The chunk size is invalid"
    (reported since about 2026-08-09 for every multi-chunk init, cause unknown; 10 MB chunks last reported working
    on 2026-07-24). Files over 64 MB must still go in several chunks, so only the chunk size can change:

    1. a chunk size that divides the file exactly, nearest above the refused one: every chunk, the last included,
       is then the same size, so floor(size / chunk) and ceil(size / chunk) agree and no chunk exceeds chunk_size,
       which satisfies every reading of the count and of the last chunk TikTok might now apply;
    2. else the fewest chunks TikTok allows (the largest chunk size, at most 64,000,000 bytes and at least two
       chunks), the plan least like the refused one.

    Always larger than the refused chunk size, so the first chunk already read from a link only has to grow."""
    size = refused.video_size
    if refused.count < 2:
        return None
    upper = min(MAX_CHUNK, size // 2)
    exact = [c for c in _divisors(size) if refused.chunk_size < c <= upper and c >= MIN_CHUNK]
    if exact:
        chunk = min(exact)
        return ChunkPlan(size, chunk, size // chunk)
    if upper > refused.chunk_size:
        return ChunkPlan(size, upper, size // upper)
    return None


def _divisors(number: int) -> list[int]:
    """All divisors of a video size (at most 4 GB: trial division up to 65,536 is instant)."""
    primes, rest, factor = {}, number, 2
    while factor * factor <= rest:
        while rest % factor == 0:
            primes[factor] = primes.get(factor, 0) + 1
            rest //= factor
        factor += 1
    if rest > 1:
        primes[rest] = primes.get(rest, 0) + 1
    divisors = [1]
    for prime, power in primes.items():
        divisors = [d * prime**k for d in divisors for k in range(power + 1)]
    return sorted(divisors)


def format_size(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"


# ---- Request building ----------------------------------------------------------------------------------------------


def video_post_info(
    privacy_level: str,
    interactions: dict[str, bool],
    title: str | None,
    cover_timestamp_ms: int | None,
    brand_content: bool,
    brand_organic: bool,
    is_aigc: bool,
) -> dict:
    """post_info for a direct video post (§7.1): both brand toggles are always sent explicitly."""
    info = {
        "privacy_level": privacy_level,
        **interactions,
        "brand_content_toggle": brand_content,
        "brand_organic_toggle": brand_organic,
    }
    if title:
        info["title"] = title
    if cover_timestamp_ms is not None:
        info["video_cover_timestamp_ms"] = cover_timestamp_ms
    if is_aigc:
        info["is_aigc"] = True
    return info


def photo_init_body(post_mode: str, post_info: dict, photo_urls: list[str], cover_index: int) -> dict:
    """§10: photos are always pulled by TikTok from the given links."""
    return {
        "media_type": "PHOTO",
        "post_mode": post_mode,
        "post_info": post_info,
        "source_info": {"source": "PULL_FROM_URL", "photo_images": photo_urls, "photo_cover_index": cover_index},
    }


def pull_source_info(url: str) -> dict:
    return {"source": "PULL_FROM_URL", "video_url": url}


# ---- Response normalising ------------------------------------------------------------------------------------------


def post_id_string(value) -> str | None:
    """Post ids are 19-digit integers: keep them exact as text (never through float)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and value.strip().isdigit() and value.strip().isascii():
        return value.strip()
    return None


def _text(value) -> str | None:
    """A text field of TikTok's answer, or None when it is missing or not text."""
    return value if isinstance(value, str) else None


def _flag(value) -> bool | None:
    return value if isinstance(value, bool) else None


def _fields(value) -> dict:
    """An object of TikTok's answer; anything else (a list, a string, null) reads as an empty object."""
    return value if isinstance(value, dict) else {}


USER_FIELD_TYPES = {"is_verified": _flag, **{name: None for name in USER_FIELDS_BY_SCOPE["user.info.stats"]}}


def normalize_user(user: dict) -> dict:
    user = _fields(user)
    out = {}
    for fields in USER_FIELDS_BY_SCOPE.values():
        for name in fields:
            kind = USER_FIELD_TYPES.get(name, _text)
            out[name] = _count(user.get(name)) if kind is None else kind(user.get(name))
    return out


def missing_user_scopes(user: dict, requested_scopes: list[str]) -> list[str]:
    """A scope counts as missing when TikTok returned none of its fields (some TikToks drop them silently)."""
    user = _fields(user)
    missing = []
    for scope, fields in USER_FIELDS_BY_SCOPE.items():
        if scope not in requested_scopes or not any(user.get(f) is not None for f in fields):
            missing.append(scope)
    return [s for s in missing if s != "user.info.basic"]


def normalize_creator(data: dict) -> dict:
    data = _fields(data)
    options = data.get("privacy_level_options")
    return {
        "creator_nickname": _text(data.get("creator_nickname")),
        "creator_username": _text(data.get("creator_username")),
        "creator_avatar_url": _text(data.get("creator_avatar_url")),
        "privacy_level_options": [o for o in options if isinstance(o, str)] if isinstance(options, list) else [],
        "comment_disabled": bool(data.get("comment_disabled", False)),
        "duet_disabled": bool(data.get("duet_disabled", False)),
        "stitch_disabled": bool(data.get("stitch_disabled", False)),
        "max_video_post_duration_sec": _count(data.get("max_video_post_duration_sec")),
    }


# TikTok's counts are int64; anything beyond is no count, and keeps every sum and rate finite.
COUNT_MAX = 2**63 - 1


def _count(value) -> int | None:
    """A whole number from TikTok's answer (also when sent as digits or as 12.0), or None for anything else
    (a bool, a fraction, text, NaN, infinity, a negative number or one past int64)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    elif isinstance(value, str) and value.strip().isdigit() and value.strip().isascii() and len(value) <= 30:
        value = int(value.strip())
    return value if isinstance(value, int) and 0 <= value <= COUNT_MAX else None


VIDEO_TEXT_FIELDS = ("title", "video_description", "cover_image_url", "share_url", "embed_link")
VIDEO_NUMBER_FIELDS = ("create_time", "duration", "width", "height")


def normalize_video(video: dict) -> dict | None:
    """One video of a list or query answer; None for an entry that is not an object (callers skip it)."""
    if not isinstance(video, dict):
        return None
    likes, comments = _count(video.get("like_count")) or 0, _count(video.get("comment_count")) or 0
    shares, views = _count(video.get("share_count")) or 0, _count(video.get("view_count")) or 0
    out = {name: video.get(name) for name in VIDEO_FIELDS}
    out.update({name: _text(video.get(name)) for name in VIDEO_TEXT_FIELDS})
    out.update({name: _count(video.get(name)) for name in VIDEO_NUMBER_FIELDS})
    raw_id = video.get("id")
    out["id"] = post_id_string(raw_id) or (raw_id if isinstance(raw_id, str) else "")
    out.update(like_count=likes, comment_count=comments, share_count=shares, view_count=views)
    out["engagement_rate"] = round((likes + comments + shares) / views * 100, 2) if views > 0 else 0.0
    return out


def normalize_videos(videos) -> list[dict]:
    """The videos of an answer: entries that are not objects are skipped, a non-list reads as no videos."""
    if not isinstance(videos, list):
        return []
    return [v for v in (normalize_video(item) for item in videos) if v is not None]


STATUS_EXPLANATIONS = {
    "PROCESSING_UPLOAD": "TikTok is receiving and processing the uploaded video.",
    "PROCESSING_DOWNLOAD": "TikTok is downloading the media from the link.",
    "SEND_TO_USER_INBOX": "The draft is in the creator's TikTok inbox: open the notification in the TikTok app to "
    "finish and post it.",
    "PUBLISH_COMPLETE": "Published. A public post can take a while to pass moderation before its id appears.",
    "FAILED": "The post failed.",
}

FAIL_REASONS = {
    "file_format_check_failed": "TikTok does not support this file's format. Use MP4 (H.264) or WebM.",
    "duration_check_failed": "The video is too long or too short for this account. Trim it and post again.",
    "frame_rate_check_failed": "TikTok supports 23 to 60 frames per second. Re-export the video and post again.",
    "picture_size_check_failed": "The resolution is not supported (360 to 4096 pixels each side for video, at "
    "most 1080p for photos). Resize and post again.",
    "internal": "A part of TikTok was temporarily unavailable. Post again in a few minutes.",
    "video_pull_failed": "TikTok could not download the video from the link within an hour. Check the link is "
    "public and fast, then post again.",
    "photo_pull_failed": "TikTok could not download the photos. Check the links are public, then post again.",
    "publish_cancelled": "The upload was cancelled before TikTok finished it.",
    "auth_removed": "The creator removed this app's access during the post. Reconnect the TikTok account; do not "
    "retry before that.",
    "spam_risk_too_many_posts": "The account reached TikTok's daily limit of posts made through apps. Post from "
    "the TikTok app or try again tomorrow.",
    "spam_risk_user_banned_from_posting": "TikTok has banned this account from posting. Do not retry.",
    "spam_risk_text": "TikTok judged the caption risky or spammy. Change it before posting again.",
    "spam_risk": "TikTok judged the post risky. Do not retry it unchanged.",
}


def normalize_status(data: dict) -> dict:
    data = _fields(data)
    status = _text(data.get("status")) or "UNKNOWN"
    fail_reason = _text(data.get("fail_reason")) or _text(data.get("reason")) or None
    ids = data.get("publicaly_available_post_id")
    post_ids = [p for p in (post_id_string(v) for v in ids) if p] if isinstance(ids, list) else []
    explanation = STATUS_EXPLANATIONS.get(status, f"TikTok reports the status {clean_detail(status, limit=80)}.")
    if status == "FAILED" and fail_reason:
        reason = clean_detail(fail_reason, limit=80)
        explanation = f"The post failed ({reason}): " + FAIL_REASONS.get(fail_reason, "see TikTok's reason.")
    return {
        "status": status,
        "is_final": status in FINAL_STATUSES,
        "waiting_on_user": status == "SEND_TO_USER_INBOX",
        "fail_reason": fail_reason if status == "FAILED" else None,
        "publicaly_available_post_id": post_ids,
        "uploaded_bytes": _count(data.get("uploaded_bytes")),
        "downloaded_bytes": _count(data.get("downloaded_bytes")),
        "explanation": explanation,
    }


# ---- TikTok error translation (§1.2, §6-§11) ---------------------------------------------------------------------

RECONNECT = "Reconnect the TikTok account in Autohive and approve every permission it asks for."
TRY_LATER = "Wait a minute and run the step again."

ERROR_ADVICE = {
    "access_token_invalid": ("the TikTok connection has expired or was revoked", RECONNECT),
    "scope_not_authorized": ("the connected account did not grant the permission this action needs", RECONNECT),
    "scope_permission_missed": ("the connected account did not grant a permission some fields need", RECONNECT),
    "invalid_params": ("TikTok rejected a value in the request", "Check the inputs against the action's limits."),
    "invalid_file_upload": ("the file does not meet TikTok's requirements", "Use an MP4, MOV or WebM video."),
    "rate_limit_exceeded": (
        "too many requests were made to TikTok for this account in the last minute (TikTok allows 6 post or draft "
        "starts, 20 creator checks and 30 status checks a minute)",
        TRY_LATER,
    ),
    "internal_error": ("TikTok had an internal problem", "Run the step again in a few minutes."),
    "spam_risk_too_many_posts": (
        "the account reached TikTok's daily limit of posts made through apps (about 15 a day)",
        "Try again tomorrow, or post from the TikTok app.",
    ),
    "spam_risk_user_banned_from_posting": ("TikTok has banned this account from posting", "Do not retry."),
    "reached_active_user_cap": (
        "this app reached TikTok's daily limit of accounts that may post through it",
        "Try again tomorrow.",
    ),
    "spam_risk_too_many_pending_share": (
        "the account already has 5 drafts waiting in its TikTok inbox from the last 24 hours",
        "Open the TikTok app and post or delete the waiting drafts, then try again.",
    ),
    "unaudited_client_can_only_post_to_private_accounts": (
        "this TikTok app has not passed TikTok's audit yet, so it may only post as SELF_ONLY to private accounts",
        "Set the TikTok account to private in the TikTok app and use privacy level SELF_ONLY.",
    ),
    "url_ownership_unverified": (
        "the link's domain is not verified for this app in the TikTok developer portal",
        "Verify the domain or URL prefix in the developer portal, or turn pull_from_url off so the integration "
        "uploads the file itself.",
    ),
    "privacy_level_option_mismatch": (
        "the privacy level is not one this account offers",
        "Run Get Creator Info and choose one of its privacy_level_options.",
    ),
    "app_version_check_failed": (
        "sending to the TikTok inbox needs TikTok app version 31.8 or later on the creator's phone",
        "Update the TikTok app and try again.",
    ),
    "invalid_publish_id": ("TikTok does not know this publish_id", "Check it was copied from a post step."),
    "token_not_authorized_for_specified_publish_id": (
        "this publish_id belongs to another TikTok account or app",
        "Use the TikTok connection that created the post.",
    ),
}
ERROR_ADVICE["invalid_param"] = ERROR_ADVICE["invalid_params"]

_TOKENISH = re.compile(r"\b(?:act|rft|clt)\.[\w.\-~%]+|Bearer\s+\S+", re.IGNORECASE)
# TikTok's own texts are cut to these lengths in messages (one answer carried a 200,092-character message).
DETAIL_MAX = 300
LOG_ID_MAX = 64
CODE_MAX = 64
# Credential values shorter than this are not searched for: they would match ordinary words.
SECRET_MIN = 8
_ERROR_CODE = re.compile(r"[A-Za-z0-9_.\-]+")


_SECRET_KEY = re.compile(r"token|secret|password|key|code", re.IGNORECASE)


def secrets_of(auth) -> tuple[str, ...]:
    """The connection's secret values (access and refresh token, any secret or key), to be removed from any text
    shown, whatever their shape. Values such as the granted scopes are not secrets and stay readable."""
    credentials = auth.get("credentials") if isinstance(auth, dict) else None
    if not isinstance(credentials, dict):
        return ()
    values = {
        value.strip()
        for key, value in credentials.items()
        if isinstance(key, str)
        and _SECRET_KEY.search(key)
        and key != "token_type"
        and isinstance(value, str)
        and len(value.strip()) >= SECRET_MIN
    }
    return tuple(sorted(values, key=len, reverse=True))


def redact(text: str, secrets=()) -> str:
    """The text without the connection's exact credentials and without anything shaped like a TikTok token."""
    for secret in secrets:
        text = text.replace(secret, "[redacted]")
    return _TOKENISH.sub("[redacted]", text)


def clean_detail(text, secrets=(), limit: int = DETAIL_MAX) -> str:
    """TikTok's own text, made safe to show: one line, no tokens, bounded. Redaction comes before the cut, so a
    token is never left half in place."""
    if not isinstance(text, str):
        return ""
    text = redact(" ".join(text.split()), secrets)
    text = "".join(c for c in text if c.isprintable())
    return text if len(text) <= limit else text[: limit - 3] + "..."


class TikTokError(UserFacingError):
    """TikTok answered with an error code; the message names it, explains it and carries the log_id."""

    def __init__(
        self,
        code: str | None,
        detail: str = "",
        log_id: str | None = None,
        http_status: int | None = None,
        advice: str | None = None,
        secrets=(),
    ):
        self.code, self.http_status = code, http_status
        self.log_id = clean_detail(log_id, secrets, LOG_ID_MAX) or None
        self.detail = clean_detail(detail, secrets)
        shown_code = clean_detail(code, secrets, CODE_MAX) or None
        super().__init__(describe_tiktok_error(shown_code, self.detail, self.log_id, http_status, advice))


def describe_tiktok_error(
    code: str | None, detail: str, log_id: str | None, http_status: int | None, advice: str | None = None
) -> str:
    """What happened, TikTok's own detail, what to do (advice replaces the usual step), then the log_id."""
    if code:
        what, todo = ERROR_ADVICE.get(code, ("TikTok refused the request", "Check the inputs and try again."))
        message = f"TikTok error {code}: {what}."
    else:
        status = f" (HTTP {http_status})" if http_status else ""
        todo = "Run the step again in a few minutes."
        message = f"TikTok answered with an error{status} and no details; it is probably a temporary problem."
    todo = advice or todo
    if detail:
        message += f" TikTok says: {detail}"
        message += "" if detail.endswith(".") else "."
    message += f" {todo}"
    if log_id:
        message += f" (TikTok log_id: {log_id})"
    return message


def read_envelope(body) -> dict | None:
    """TikTok's v2 envelope from whatever the SDK handed back: parsed JSON, JSON sent as text (a missing or wrong
    Content-Type), bytes; None when the body is not a JSON object (HTML, empty, undecodable, a list...)."""
    if isinstance(body, (bytes, bytearray)):
        try:
            body = bytes(body).decode("utf-8")
        except UnicodeDecodeError:
            return None
    if isinstance(body, str):
        try:
            body = json.loads(body)
        except (ValueError, RecursionError):  # not JSON, or nested deeper than Python's parser goes
            return None
    return body if isinstance(body, dict) else None


def envelope_error(body) -> tuple[str | None, str, str | None]:
    """(code, message, log_id) from a v2 envelope; the reference tables spell log_id as logid, so read both.

    A code that is not a short identifier (a list, a number, a page of text) reads as no code at all: such an
    answer is not a definite one."""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return None, "", None
    code = error.get("code")
    if not isinstance(code, str) or len(code) > CODE_MAX or not _ERROR_CODE.fullmatch(code):
        code = None
    message = error.get("message")
    log_id = error.get("log_id") or error.get("logid")
    return code, message if isinstance(message, str) else "", log_id if isinstance(log_id, str) else None


# ---- Plain input checks, post links, posting caps, account insights ----------------------------------------------

# The fields the post-link lookup asks /v2/video/query/ for (§5.2, §5.3).
POST_LINK_FIELDS = ("id", "share_url", "embed_link", "cover_image_url")
# creator_info answers these with HTTP 200 (§6): the account cannot post now, which Get Creator Info reports as data.
CREATOR_CAP_CODES = ("spam_risk_too_many_posts", "spam_risk_user_banned_from_posting", "reached_active_user_cap")
# A refusal that means a permission (scope) was not granted, not a failure.
SCOPE_REFUSALS = ("scope_not_authorized", "scope_permission_missed")
POSTING_TAKES_MINUTES = (
    "TikTok may take a few minutes to process the post before it appears on the profile; run Get Post Status "
    "with the publish_id to follow it."
)


def whole_number(value):
    """JSON Schema counts 20.0 as an integer, so a form may send it: use it as the int it is."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def check_length(
    value: str | None, name: str, *, minimum: int = 0, maximum: int | None = None, advice: str = "Correct it."
) -> None:
    """A string length rule, refused in a plain sentence stating the rule and the length found (never the text)."""
    if value is None:
        return
    length = len(value)
    if length < minimum:
        needed = "must not be empty" if minimum == 1 else f"needs at least {minimum} characters"
        raise InputError(f"{name} {needed} (it has {length}). {advice} Nothing was sent to TikTok.")
    if maximum is not None and length > maximum:
        raise InputError(
            f"{name} is {length} characters long; at most {maximum} are allowed. {advice} Nothing was sent to TikTok."
        )


def check_pattern(value: str | None, pattern: str, name: str, rule: str) -> None:
    """A string pattern rule, refused in plain words: `rule` says what is expected; the value is never echoed."""
    if value is None or re.fullmatch(pattern, value):
        return
    raise InputError(
        f"{name} must be {rule}; the value given ({len(value)} characters) is not. Nothing was sent to TikTok."
    )


def check_count(items: list, name: str, maximum: int, what: str, advice: str) -> None:
    """A list's size limit in plain words, without echoing the list (links may carry signatures)."""
    if len(items) > maximum:
        raise InputError(
            f"{name} has {len(items)} {what}; at most {maximum} are allowed. {advice} Nothing was sent to TikTok."
        )


def check_unique(values: list[str], what: str) -> None:
    """Refuse a repeated value by position, never by content."""
    seen: dict[str, int] = {}
    for position, value in enumerate(values, start=1):
        if value in seen:
            raise InputError(
                f"{what} #{position} repeats {what.lower()} #{seen[value]}; give each one once. Nothing was sent to "
                "TikTok."
            )
        seen[value] = position


def empty_post_links() -> dict:
    return {"video_id": None, "share_url": None, "embed_link": None, "cover_image_url": None}


def post_links(post_id: str | None, videos) -> dict:
    """The live post's links from a /v2/video/query/ answer; video_id is the public post id itself."""
    links = {**empty_post_links(), "video_id": post_id}
    for video in videos if isinstance(videos, list) else []:
        if isinstance(video, dict) and post_id_string(video.get("id")) == post_id:
            for name in ("share_url", "embed_link", "cover_image_url"):
                value = video.get(name)
                links[name] = value if isinstance(value, str) and value else None
            break
    return links


def cannot_post_reason(code: str, log_id: str | None) -> str:
    """One plain sentence for a creator_info posting cap or ban, with TikTok's code and log_id."""
    what, todo = ERROR_ADVICE[code]
    reference = f"TikTok error {code}" + (f", log_id {log_id}" if log_id else "")
    return f"{what[0].upper()}{what[1:]}: {todo[0].lower()}{todo[1:].rstrip('.')} ({reference})."


def account_insights(videos: list[dict]) -> dict:
    """Totals over normalised videos; the engagement rate is get_videos' formula applied to the totals."""
    views = [v["view_count"] for v in videos]
    total_views = sum(views)
    engaged = sum(v["like_count"] + v["comment_count"] + v["share_count"] for v in videos)
    ordered = sorted(views)
    middle = len(ordered) // 2
    if not ordered:
        median = None
    elif len(ordered) % 2:
        median = ordered[middle]
    else:
        median = (ordered[middle - 1] + ordered[middle]) / 2
    times = [t for t in (v.get("create_time") for v in videos) if isinstance(t, int) and not isinstance(t, bool)]
    top = sorted(videos, key=lambda v: v["view_count"], reverse=True)[:3]  # stable: newer first among equals
    return {
        "videos_analyzed": len(videos),
        "total_views": total_views,
        "median_views": median,
        "average_views": round(total_views / len(videos), 2) if videos else None,
        "average_engagement_rate": (round(engaged / total_views * 100, 2) if total_views else 0.0) if videos else None,
        "top_videos": [
            {
                "id": v["id"],
                "title": v.get("title"),
                "share_url": v.get("share_url"),
                "view_count": v["view_count"],
                "engagement_rate": v["engagement_rate"],
            }
            for v in top
        ],
        "first_video_time": min(times) if times else None,
        "last_video_time": max(times) if times else None,
    }
