"""Pure helpers for the TikTok integration: TikTok's contract as data and functions, no I/O.

Everything here follows shared/docs/tiktok-api.md (TikTok for Developers API v2). Section numbers in
comments point into that file.
"""

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
    if isinstance(value, str) and value.strip().isdigit():
        return value.strip()
    return None


def normalize_user(user: dict) -> dict:
    out = {}
    for fields in USER_FIELDS_BY_SCOPE.values():
        for name in fields:
            out[name] = user.get(name)
    return out


def missing_user_scopes(user: dict, requested_scopes: list[str]) -> list[str]:
    """A scope counts as missing when TikTok returned none of its fields (some TikToks drop them silently)."""
    missing = []
    for scope, fields in USER_FIELDS_BY_SCOPE.items():
        if scope not in requested_scopes or not any(user.get(f) is not None for f in fields):
            missing.append(scope)
    return [s for s in missing if s != "user.info.basic"]


def normalize_creator(data: dict) -> dict:
    return {
        "creator_nickname": data.get("creator_nickname"),
        "creator_username": data.get("creator_username"),
        "creator_avatar_url": data.get("creator_avatar_url"),
        "privacy_level_options": list(data.get("privacy_level_options") or []),
        "comment_disabled": bool(data.get("comment_disabled", False)),
        "duet_disabled": bool(data.get("duet_disabled", False)),
        "stitch_disabled": bool(data.get("stitch_disabled", False)),
        "max_video_post_duration_sec": data.get("max_video_post_duration_sec"),
    }


def _count(value) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def normalize_video(video: dict) -> dict:
    likes, comments = _count(video.get("like_count")), _count(video.get("comment_count"))
    shares, views = _count(video.get("share_count")), _count(video.get("view_count"))
    out = {name: video.get(name) for name in VIDEO_FIELDS}
    out["id"] = post_id_string(video.get("id")) or str(video.get("id", ""))
    out.update(like_count=likes, comment_count=comments, share_count=shares, view_count=views)
    out["engagement_rate"] = round((likes + comments + shares) / views * 100, 2) if views else 0.0
    return out


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
    status = data.get("status") or "UNKNOWN"
    fail_reason = data.get("fail_reason") or data.get("reason") or None
    post_ids = [p for p in (post_id_string(v) for v in data.get("publicaly_available_post_id") or []) if p]
    explanation = STATUS_EXPLANATIONS.get(status, f"TikTok reports the status {status}.")
    if status == "FAILED" and fail_reason:
        explanation = f"The post failed ({fail_reason}): " + FAIL_REASONS.get(fail_reason, "see TikTok's reason.")
    return {
        "status": status,
        "is_final": status in FINAL_STATUSES,
        "waiting_on_user": status == "SEND_TO_USER_INBOX",
        "fail_reason": fail_reason if status == "FAILED" else None,
        "publicaly_available_post_id": post_ids,
        "uploaded_bytes": _count(data.get("uploaded_bytes")) if "uploaded_bytes" in data else None,
        "downloaded_bytes": _count(data.get("downloaded_bytes")) if "downloaded_bytes" in data else None,
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

_TOKENISH = re.compile(r"\b(?:act|rft|clt)\.[\w.\-~]+|Bearer\s+\S+", re.IGNORECASE)


def clean_detail(text) -> str:
    """TikTok's own error message, made safe to show: one line, no tokens, bounded."""
    if not isinstance(text, str):
        return ""
    text = _TOKENISH.sub("[redacted]", " ".join(text.split()))
    return text if len(text) <= 300 else text[:297] + "..."


class TikTokError(UserFacingError):
    """TikTok answered with an error code; the message names it, explains it and carries the log_id."""

    def __init__(
        self,
        code: str | None,
        detail: str = "",
        log_id: str | None = None,
        http_status: int | None = None,
        advice: str | None = None,
    ):
        self.code, self.log_id, self.http_status = code, log_id, http_status
        self.detail = clean_detail(detail)
        super().__init__(describe_tiktok_error(code, self.detail, log_id, http_status, advice))


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


def envelope_error(body) -> tuple[str | None, str, str | None]:
    """(code, message, log_id) from a v2 envelope; the reference tables spell log_id as logid, so read both."""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return None, "", None
    log_id = error.get("log_id") or error.get("logid")
    return error.get("code"), error.get("message") or "", log_id if isinstance(log_id, str) else None
