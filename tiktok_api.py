"""Calling TikTok and reading its answers: the one request function, the step's time budget, the error translator
and the readers that turn every answer into plain data or a plain error.

TikTok's API v2 reference: https://developers.tiktok.com/doc/overview (errors:
https://developers.tiktok.com/doc/tiktok-api-v2-error-handling).
"""

import asyncio
import contextlib
import contextvars
import datetime
import difflib
import functools
import json
import logging
import math
import re
import statistics
import time
import traceback

import aiohttp
from autohive_integrations_sdk import ActionError, HTTPError, RateLimitError

logger = logging.getLogger("tiktok")

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


LIST_PAGE_MAX = 20


# Which scope unlocks which user field; the order is the order of the output.
# https://developers.tiktok.com/doc/tiktok-api-v2-get-user-info
USER_FIELDS_BY_SCOPE = {
    "user.info.basic": ("open_id", "union_id", "avatar_url", "avatar_url_100", "avatar_large_url", "display_name"),
    "user.info.profile": ("username", "bio_description", "profile_deep_link", "profile_web_link", "is_verified"),
    "user.info.stats": ("follower_count", "following_count", "likes_count", "video_count"),
}


# The Video Object minus embed_html (a large HTML snippet nobody maps in a workflow) and never the doc's bogus
# "fps": https://developers.tiktok.com/doc/tiktok-api-v2-video-object
VIDEO_FIELDS = ("id", "title", "video_description", "create_time", "cover_image_url", "share_url", "embed_link")
VIDEO_FIELDS += ("duration", "width", "height", "like_count", "comment_count", "share_count", "view_count")


class UserFacingError(Exception):
    """A failure whose message is already written for the person running the workflow."""


class InputError(UserFacingError):
    """The inputs cannot be sent to TikTok; raised before any request that posts or uploads."""


def format_size(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"


def _text(value) -> str | None:
    """A text field of TikTok's answer, or None when it is missing or not text."""
    return value if isinstance(value, str) else None


def _flag(value) -> bool | None:
    return value if isinstance(value, bool) else None


def _fields(value) -> dict:
    """An object of TikTok's answer; anything else (a list, a string, null) reads as an empty object."""
    return value if isinstance(value, dict) else {}


# TikTok's counts are int64; anything beyond is no count, and keeps every sum and rate finite.
COUNT_MAX = 2**63 - 1


def _count(value) -> int | None:
    """A whole number from TikTok's answer (also when sent as digits or as 12.0), or None for anything else
    (a bool, a fraction, text, NaN, infinity, a negative number or one past int64)."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    elif isinstance(value, str) and value.strip().isdigit() and value.strip().isascii() and len(value) <= 30:
        value = int(value.strip())
    # `type(...) is int`: a bool is an int subclass, and no count.
    return value if type(value) is int and 0 <= value <= COUNT_MAX else None


# How each user field is read; the fields not named here are text.
USER_FIELD_READERS = {"is_verified": _flag} | dict.fromkeys(USER_FIELDS_BY_SCOPE["user.info.stats"], _count)


def post_id_string(value) -> str | None:
    """Post ids are 19-digit int64 numbers, sent as numbers or text: keep them exact as text (never through float)."""
    return None if (number := _count(value)) is None else str(number)


def normalize_user(user: dict) -> dict:
    user = _fields(user)
    names = [name for fields in USER_FIELDS_BY_SCOPE.values() for name in fields]
    return {name: USER_FIELD_READERS.get(name, _text)(user.get(name)) for name in names}


def missing_user_scopes(user: dict, requested_scopes: list[str]) -> list[str]:
    """A scope counts as missing when TikTok returned none of its fields (some TikToks drop them silently)."""
    user = _fields(user)
    return [
        scope
        for scope, fields in USER_FIELDS_BY_SCOPE.items()
        if scope != "user.info.basic" and (scope not in requested_scopes or all(user.get(f) is None for f in fields))
    ]


def normalize_creator(data: dict) -> dict:
    data = _fields(data)
    options = data.get("privacy_level_options")
    return {
        **{name: _text(data.get(name)) for name in ("creator_nickname", "creator_username", "creator_avatar_url")},
        "privacy_level_options": [o for o in options if isinstance(o, str)] if isinstance(options, list) else [],
        **{name: bool(data.get(name, False)) for name in ("comment_disabled", "duet_disabled", "stitch_disabled")},
        "max_video_post_duration_sec": _count(data.get("max_video_post_duration_sec")),
    }


VIDEO_TEXT_FIELDS = ("title", "video_description", "cover_image_url", "share_url", "embed_link")


VIDEO_COUNT_FIELDS = ("like_count", "comment_count", "share_count", "view_count")


# The last second ISO 8601 writes with four digits; TikTok's int64 times go far beyond it.
ISO_TIME_MAX = 253402300799


def iso_time(seconds: int | None) -> str | None:
    """A Unix time in seconds as ISO 8601 UTC (2026-01-31T09:30:00Z), for the steps that take dates."""
    if seconds is None or seconds > ISO_TIME_MAX:
        return None
    return datetime.datetime.fromtimestamp(seconds, datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def normalize_video(video: dict) -> dict:
    """One video (an object) of a list or query answer, with the date, length and link in plain form beside
    TikTok's own fields."""
    # Every field is text or a number; the id is set apart below, and a missing count reads as 0.
    out = {name: (_text if name in VIDEO_TEXT_FIELDS else _count)(video.get(name)) for name in VIDEO_FIELDS}
    out["id"] = post_id_string(video.get("id")) or _text(video.get("id")) or ""
    out.update(created_at=iso_time(out["create_time"]), duration_seconds=out["duration"])
    # TikTok's share_url carries its tracking parameters; the post's own address is the link without them.
    out["post_url"] = out["share_url"] and out["share_url"].partition("?")[0]
    likes, comments, shares, views = (out[name] or 0 for name in VIDEO_COUNT_FIELDS)
    out.update(like_count=likes, comment_count=comments, share_count=shares, view_count=views)
    out["engagement_rate"] = round((likes + comments + shares) / views * 100, 2) if views > 0 else 0.0
    return out


def normalize_videos(videos) -> list[dict]:
    """The videos of an answer: entries that are not objects are skipped, a non-list reads as no videos."""
    return [normalize_video(v) for v in videos if isinstance(v, dict)] if isinstance(videos, list) else []


STATUS_EXPLANATIONS = {
    "PROCESSING_UPLOAD": "TikTok is receiving and processing the uploaded video.",
    "PROCESSING_DOWNLOAD": "TikTok is downloading the media from the link.",
    "SEND_TO_USER_INBOX": "The draft is in the creator's TikTok inbox: open the notification in the TikTok app to "
    "finish and post it.",
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


def status_flags(status: str) -> dict:
    """What a workflow branches on beside TikTok's status: is_final alone is true for FAILED too."""
    return {"published": status == "PUBLISH_COMPLETE", "failed": status == "FAILED"}


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
    flags = status_flags(status)
    return {
        "status": status,
        **flags,
        "is_final": flags["published"] or flags["failed"],
        "waiting_on_user": status == "SEND_TO_USER_INBOX",
        "fail_reason": fail_reason if status == "FAILED" else None,
        "publicaly_available_post_id": post_ids,
        "uploaded_bytes": _count(data.get("uploaded_bytes")),
        "downloaded_bytes": _count(data.get("downloaded_bytes")),
        "explanation": explanation,
    }


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
        "TikTok only pulls from domains the app's owner verified, and this link is on another",
        "For a video, leave pull_from_url off: the integration then uploads the file itself. For photos, host them "
        "where TikTok's pull works, or post a video.",
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
    credentials = _fields(_fields(auth).get("credentials"))
    values = {
        value.strip()
        for key, value in credentials.items()
        if isinstance(key, str) and _SECRET_KEY.search(key) and key != "token_type" and isinstance(value, str)
    }
    return tuple(sorted((v for v in values if len(v) >= SECRET_MIN), key=len, reverse=True))


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
    """TikTok answered with an error code. The message says what happened, TikTok's own detail, what to do (advice
    replaces the usual step), then the log_id."""

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
        if shown_code := clean_detail(code, secrets, CODE_MAX):
            what, todo = ERROR_ADVICE.get(shown_code, ("TikTok refused the request", "Check the inputs and try again."))
            message = f"TikTok error {shown_code}: {what}."
        else:
            status = f" (HTTP {http_status})" if http_status else ""
            todo = "Run the step again in a few minutes."
            message = f"TikTok answered with an error{status} and no details; it is probably a temporary problem."
        if self.detail:
            message += f" TikTok says: {self.detail}" + ("" if self.detail.endswith(".") else ".")
        message += f" {advice or todo}"
        if self.log_id:
            message += f" (TikTok log_id: {self.log_id})"
        super().__init__(message)


def read_envelope(body) -> dict | None:
    """TikTok's v2 envelope from whatever the SDK handed back: parsed JSON, JSON sent as text (a missing or wrong
    Content-Type), bytes; None when the body is not a JSON object (HTML, empty, undecodable, a list...)."""
    try:
        if isinstance(body, (bytes, bytearray)):
            body = bytes(body).decode("utf-8")
        if isinstance(body, str):
            body = json.loads(body)
    except (ValueError, RecursionError):  # not UTF-8, not JSON, or nested deeper than Python's parser goes
        return None
    return body if isinstance(body, dict) else None


def envelope_error(body) -> tuple[str | None, str, str | None]:
    """(code, message, log_id) from a v2 envelope; the reference tables spell log_id as logid, so read both.

    A code that is not a short identifier (a list, a number, a page of text) reads as no code at all: such an
    answer is not a definite one."""
    error = _fields(_fields(body).get("error"))
    code = error.get("code")
    if not isinstance(code, str) or len(code) > CODE_MAX or not _ERROR_CODE.fullmatch(code):
        code = None
    return code, _text(error.get("message")) or "", _text(error.get("log_id") or error.get("logid"))


# creator_info answers these with HTTP 200: the account cannot post now, which Get Creator Info reports as data.
CREATOR_CAP_CODES = ("spam_risk_too_many_posts", "spam_risk_user_banned_from_posting", "reached_active_user_cap")


# A refusal that means a permission (scope) was not granted, not a failure.
SCOPE_REFUSALS = ("scope_not_authorized", "scope_permission_missed")


async def unless_scope_refused(request, refused):
    """The request's answer, or `refused` when TikTok refuses it for a permission (scope) the account did not grant."""
    try:
        return await request
    except TikTokError as error:
        if error.code not in SCOPE_REFUSALS:
            raise
        return refused


def whole_number(value):
    """JSON Schema counts 20.0 as an integer, so a form may send it: use it as the int it is."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _refusal(problem: str) -> InputError:
    """An input refused before any request: what is wrong, then that nothing reached TikTok."""
    return InputError(f"{problem} Nothing was sent to TikTok.")


def check_length(value: str | None, name: str, *, minimum: int = 0, maximum: int | None = None, advice: str) -> None:
    """A string length rule, refused in a plain sentence stating the rule and the length found (never the text)."""
    if value is None:
        return
    length = len(value)
    if length < minimum:
        needed = "must not be empty" if minimum == 1 else f"needs at least {minimum} characters"
        raise _refusal(f"{name} {needed} (it has {length}). {advice}")
    if maximum is not None and length > maximum:
        raise _refusal(f"{name} is {length} characters long; at most {maximum} are allowed. {advice}")


def check_count(items: list, name: str, maximum: int, what: str, advice: str) -> None:
    """A list's size limit in plain words, without echoing the list (links may carry signatures)."""
    if len(items) > maximum:
        raise _refusal(f"{name} has {len(items)} {what}; at most {maximum} are allowed. {advice}")


# A video id, or a TikTok video link as the app shares it (https://www.tiktok.com/@name/video/7300..., a query
# string after it); the id is its one group either way.
_VIDEO_ID_OR_LINK = re.compile(
    r"([0-9]{1,32})|(?:https?://)?(?:www\.|m\.)?tiktok\.com/@[^/?#\s]*/video/([0-9]{1,32})(?:[/?#]\S*)?", re.IGNORECASE
)


def read_video_ids(values: list) -> list[str]:
    """get_video's ids from what people have: ids as text or numbers, and TikTok video links. Those it cannot read
    are refused by position, never echoed."""
    check_count(values, "video_ids", 20, "ids", "Look them up in several steps.")
    found = [_VIDEO_ID_OR_LINK.fullmatch(str(value).strip()) for value in values]
    if unread := [f"#{position}" for position, match in enumerate(found, start=1) if not match]:
        raise _refusal(
            f"Could not read video_ids {', '.join(unread)} as a TikTok video id or video link: give the id's digits "
            "or a link such as https://www.tiktok.com/@name/video/7300000000000000000."
        )
    # A video given twice (as an id and as its link, say) is looked up once.
    return list(dict.fromkeys(match[1] or match[2] for match in found))


def cannot_post_reason(code: str, log_id: str | None) -> str:
    """One plain sentence for a creator_info posting cap or ban, with TikTok's code and log_id."""
    what, todo = ERROR_ADVICE[code]
    reference = f"TikTok error {code}" + (f", log_id {log_id}" if log_id else "")
    return f"{what[0].upper()}{what[1:]}: {todo[0].lower()}{todo[1:].rstrip('.')} ({reference})."


# What Get Account Insights shows of each of its top videos.
TOP_VIDEO_FIELDS = ("id", "title", "created_at", "share_url", "post_url", "view_count", "engagement_rate")


def account_insights(videos: list[dict]) -> dict:
    """Totals over normalised videos; the engagement rate is get_videos' formula applied to the totals."""
    views = [v["view_count"] for v in videos]
    total_views = sum(views)
    engaged = sum(v["like_count"] + v["comment_count"] + v["share_count"] for v in videos)
    times = [v["create_time"] for v in videos if v["create_time"] is not None]
    first, last = min(times, default=None), max(times, default=None)
    top = sorted(videos, key=lambda v: v["view_count"], reverse=True)[:3]  # stable: newer first among equals
    return {
        "videos_analyzed": len(videos),
        "total_views": total_views,
        "median_views": statistics.median(views) if videos else None,
        "average_views": round(total_views / len(videos), 2) if videos else None,
        "average_engagement_rate": (round(engaged / total_views * 100, 2) if total_views else 0.0) if videos else None,
        "top_videos": [{key: v[key] for key in TOP_VIDEO_FIELDS} for v in top],
        "first_video_time": first,
        "first_video_at": iso_time(first),
        "last_video_time": last,
        "last_video_at": iso_time(last),
    }


# The platform gives a step about 30 s; every action plans to finish within this budget.
STEP_BUDGET_S = 27.0


# Each request gets at most this long (and never more than what is left of the step).
API_TIMEOUT_S = 15.0


# A read that hits a 429 or a network error is tried again after these pauses (seconds), while the step has
# time; a publish request never is.
READ_RETRY_DELAYS_S = (1.0, 3.0)


# A request is not started with less time than this left in the step: it could not get an answer.
MIN_REQUEST_S = 2.0


# get_videos starts another page only with at least this much of the step left; else it returns what it has.
MIN_PAGE_S = 5.0


PUBLISH_UNCERTAIN = (
    "The post may have been created anyway, so the request was not sent again: check the TikTok profile (or the "
    "creator's inbox) before running the step again."
)


# When the running step must be done (time.monotonic()); set by step_budget() for each action run.
_step_deadline: contextvars.ContextVar[float] = contextvars.ContextVar("step_deadline", default=math.inf)


# Whether the running step has sent a request that can create a post: if the step is stopped after that, the post
# may exist. Set by call_tiktok, read by user_errors.
_publish_sent: contextvars.ContextVar[bool] = contextvars.ContextVar("publish_sent", default=False)


def time_left() -> float:
    return _step_deadline.get() - time.monotonic()


@contextlib.contextmanager
def step_budget():
    """Start the step's clock: requests, retries, the transfer and status polling all stop within it."""
    token = _step_deadline.set(time.monotonic() + STEP_BUDGET_S)
    try:
        yield
    finally:
        _step_deadline.reset(token)


def sdk_retry_count(context) -> int:
    """The SDK resends a request after a network error or timeout, POSTs included, while the retry_count it is
    given is below config["max_retries"], pausing 1-2-4 s. A resent init could create a second post and the
    pauses alone would overrun the step, so every request is sent with retry_count at that limit: the SDK never
    resends it, and the shared context (and its config) is never changed."""
    limit = _fields(getattr(context, "config", None)).get("max_retries")
    # max_retries=True reads as 1, as the SDK's own `retry_count < max_retries` reads it.
    return max(0, math.ceil(limit)) if isinstance(limit, (int, float)) and math.isfinite(limit) else 0


async def call_tiktok(
    context, url: str, *, method: str = "POST", params=None, body=None, publish=False, retry_429=True
) -> dict:
    """One TikTok v2 request; returns `data`. Success means error.code == "ok", whatever the HTTP status
    (https://developers.tiktok.com/doc/tiktok-api-v2-error-handling).

    Reads are tried again after a network error, and after a 429 where retry_429 (not for creator info and
    status, whose limits are so low that a retry within the minute would only be refused again), while the step
    has room. Publish requests are sent exactly once. Every answer, whatever its form, goes through
    read_envelope: it becomes TikTok's data or a plain error, and for a publish request anything that is not a
    definite answer says that the post may have been created."""
    secrets = secrets_of(getattr(context, "auth", None))
    # Each try's pause before the next one; None: no try is left.
    for pause in (*READ_RETRY_DELAYS_S, None):
        left = time_left()
        if left < MIN_REQUEST_S:
            when = "before the post could be sent to TikTok; nothing was sent. Run it again" if publish else ""
            raise UserFacingError(f"The step ran out of time {when or 'waiting for TikTok. Run it again in a minute'}.")
        if publish:
            _publish_sent.set(True)
        try:
            reply = await context.fetch(
                url,
                method=method,
                params=params,
                json=body,
                headers=JSON_HEADERS,
                timeout=min(API_TIMEOUT_S, left),
                retry_count=sdk_retry_count(context),
            )
        except Exception as error:
            retry = _rate_limited(error) and retry_429 or _network(error) is not None
            # Another try only if one is left and the step still has room for it after the pause.
            if retry and not publish and pause is not None and time_left() >= pause + MIN_REQUEST_S:
                await asyncio.sleep(pause)
                continue
            raise _fetch_failure(error, publish, secrets) from None
        payload = read_envelope(getattr(reply, "data", None))
        # An answer that is no envelope at all (HTML, text, a list) has no code either: never a success.
        if envelope_error(payload)[0] != "ok":
            raise _error_from_body(payload, getattr(reply, "status", None), publish, secrets)
        return _fields(payload.get("data"))


def _network(error: Exception) -> BaseException | None:
    """The network error behind a failed fetch: raised as is, or while the SDK handled it (a config without
    max_retries makes its own retry fail with a KeyError)."""
    for cause in (error, error.__context__):
        if isinstance(cause, (aiohttp.ClientError, asyncio.TimeoutError)):
            return cause
    return None


def _rate_limited(error: Exception) -> bool:
    # The SDK parses a 429's Retry-After with int(): a date or a decimal raises a plain ValueError instead.
    return isinstance(error, RateLimitError) or type(error) is ValueError


def _fetch_failure(error: Exception, publish: bool, secrets) -> UserFacingError:
    """A failed fetch, by the type of what was raised, in plain words; after a publish request that got no
    definite answer, the post may exist."""
    if isinstance(error, HTTPError):
        return _error_from_body(error.response_data, 429 if _rate_limited(error) else error.status, publish, secrets)
    if network := _network(error):
        what = "did not answer in time" if isinstance(network, asyncio.TimeoutError) else "could not be reached"
        what, todo = f"TikTok {what}", "Check the connection and run the step again in a minute."
    elif _rate_limited(error):
        what, todo = "TikTok answered that too many requests were made (HTTP 429)", TRY_LATER
    else:  # a body the SDK cannot decode, nesting too deep to parse, a fault of the SDK's own
        logger.warning("TikTok's answer could not be read (%s)", type(error).__name__)
        what, todo = f"TikTok's answer could not be read ({type(error).__name__})", TRY_LATER
    if publish:
        return UserFacingError(f"{what} while the post was being created. {PUBLISH_UNCERTAIN}")
    return UserFacingError(f"{what}. {todo}")


def _error_from_body(body, http_status: int | None, publish: bool, secrets=()) -> TikTokError:
    code, detail, log_id = envelope_error(read_envelope(body))
    # A publish request that failed without a definite answer may still have created the post.
    advice = PUBLISH_UNCERTAIN if publish and (code in (None, "internal_error") or (http_status or 0) >= 500) else None
    return TikTokError(code, detail, log_id, http_status, advice=advice, secrets=secrets)


class ConnectedAccountError(UserFacingError):
    """The connected account could not be read; the message is written for the person connecting it."""


# Inputs version 1.x named otherwise: the 2.0 name, and what changed beyond the name.
RENAMED = {
    "title": "caption",
    "description": "caption",
    "disable_comment": "allow_comments, with the opposite meaning (true allows comments)",
    "disable_duet": "allow_duet, with the opposite meaning (true allows Duet)",
    "disable_stitch": "allow_stitch, with the opposite meaning (true allows Stitch)",
    "video_cover_timestamp_ms": "cover_frame_seconds, in seconds (1500 ms is 1.5)",
    "photo_cover_index": "cover_photo, counted from 1 (the first photo is 1)",
}


# Why an action does not take an input people bring from another action; (action, None) for any other input.
NOT_TAKEN = {
    ("upload_video_draft", "caption"): "TikTok's drafts take the video only; add the caption in the TikTok app",
    ("upload_video_draft", None): "TikTok's drafts take the video only; the creator chooses the settings in the app",
    ("check_video", None): "it only checks the video; the post's settings go in Create Video Post",
    ("create_photo_post", "pull_from_url"): "TikTok always downloads the photos from their links itself",
}


def unknown_input(action, name: str, known: list[str]) -> str:
    """One sentence for an input the action does not declare, naming the input meant where that is clear: a typo
    is never dropped silently. The schema allows any input, so the SDK's jsonschema words never show."""
    title, shown = action.name.replace("_", " ").title(), clean_detail(name, limit=40)
    close = difflib.get_close_matches(name, known, n=1)
    if (renamed := RENAMED.get(name, "")).partition(",")[0] in known:
        return f"{title} has no {shown}: version 2.0 renamed it to {renamed}."
    if why := NOT_TAKEN.get((action.name, RENAMED.get(name, name))) or (
        not close and NOT_TAKEN.get((action.name, None))
    ):
        return f"{title} has no {shown}: {why}."
    if close:
        return f"{title} has no input {shown}: did you mean {close[0]}?"
    inputs = f"its inputs are {', '.join(known)}." if known else "it takes no inputs."
    return f"{title} has no input {shown}; {inputs}"


def user_errors(execute, action):
    """Every failure reaches the user as an ActionError: the platform shows an escaped exception as a crash. An
    input `action` (the SDK's action config) does not declare is refused first."""

    # An action's execute(self, inputs, context) or a trigger's poll(self, inputs, last_poll_ts, context).
    @functools.wraps(execute)
    async def wrapper(self, inputs, *rest):
        context, sent = rest[-1], _publish_sent.set(False)
        try:
            known = list(action.input_schema.get("properties", {}))
            if unknown := [unknown_input(action, name, known) for name in inputs if name not in known]:
                raise _refusal(" ".join(unknown[:3]))
            with step_budget():
                return await execute(self, inputs, *rest)
        except asyncio.CancelledError:
            # The platform stopped the step (a BaseException, which the handler below would miss).
            after_post = f", after the post was sent to TikTok. {PUBLISH_UNCERTAIN}"
            outcome = after_post if _publish_sent.get() else "; nothing was posted or changed. Run it again."
            return ActionError(message=f"The step was stopped before it finished{outcome}")
        except UserFacingError as error:
            # The last line of defence: no message carries a credential of the connection, whatever its shape.
            return ActionError(message=redact(str(error), secrets_of(getattr(context, "auth", None))))
        except Exception as error:
            # Only the type and place: exception texts can carry HTTP bodies.
            where = traceback.extract_tb(error.__traceback__)[-1]
            logger.error("unexpected %s at %s:%s", type(error).__name__, where.filename, where.lineno)
            report = "report it to the integration's maintainers."
            if _publish_sent.get():
                outcome = f" after the post was sent to TikTok. {PUBLISH_UNCERTAIN} If it keeps happening, {report}"
            else:
                outcome = f"; nothing was posted. Run it again; if it keeps failing, {report}"
            return ActionError(message=f"The TikTok step failed unexpectedly ({type(error).__name__}){outcome}")
        finally:
            _publish_sent.reset(sent)

    return wrapper


async def query_creator(context) -> dict:
    """creator_info answers posting caps with HTTP 200 and an error code; call_tiktok turns them into errors."""
    return normalize_creator(await call_tiktok(context, CREATOR_INFO_URL, retry_429=False))


async def fetch_user(context, scopes) -> tuple[dict, list[str]]:
    """User fields for the scopes the account granted. TikTok does not say which it granted: it refuses fields it
    will not give (scope_permission_missed), so each optional scope is probed on its own after a refusal."""

    async def get(groups):
        fields = ",".join(f for g in groups for f in USER_FIELDS_BY_SCOPE[g])
        data = await call_tiktok(context, USER_INFO_URL, method="GET", params={"fields": fields})
        return _fields(data.get("user"))

    # A single scope's refusal is the caller's to read: it already names that scope.
    user = await (unless_scope_refused(get(scopes), None) if len(scopes) > 1 else get(scopes))
    if user is not None:
        return user, missing_user_scopes(user, scopes)
    merged, granted = {}, ["user.info.basic"]
    # With a single optional scope the refusal already names it; probing it again would repeat the refusal.
    for scope in scopes[1:] if len(scopes) > 2 else ():
        if (fields := await unless_scope_refused(get(["user.info.basic", scope]), None)) is not None:
            merged.update(fields)
            granted.append(scope)
    # No optional scope probed or granted: the basic fields alone.
    merged = merged or await get(["user.info.basic"])
    return merged, missing_user_scopes(merged, granted)


async def query_videos(context, video_ids: list[str], fields=VIDEO_FIELDS) -> list[dict]:
    """Those of video_ids that are the account's videos (/v2/video/query/, scope video.list)."""
    body = {"filters": {"video_ids": video_ids}}
    data = await call_tiktok(context, VIDEO_QUERY_URL, params={"fields": ",".join(fields)}, body=body)
    return normalize_videos(data.get("videos"))


async def list_videos(context, max_count: int, cursor) -> tuple[list[dict], object, bool]:
    """Up to max_count of the account's public videos, newest first, paging through TikTok's 20 per request; stops
    early (has_more still true) when the step has too little time left for another page."""
    videos, has_more = [], True
    # TikTok pages hold at most 20 and may hold fewer even when more exist, so the page count is bounded.
    for page in range(-(-max_count // LIST_PAGE_MAX) + 3):
        if len(videos) >= max_count or not has_more or (page and time_left() < MIN_PAGE_S):
            break  # with has_more still true, the cursor lets the next run continue
        body = {"max_count": min(LIST_PAGE_MAX, max_count - len(videos))}
        if cursor is not None:
            body["cursor"] = cursor
        data = await call_tiktok(context, VIDEO_LIST_URL, params={"fields": ",".join(VIDEO_FIELDS)}, body=body)
        videos += normalize_videos(data.get("videos"))
        has_more = bool(data.get("has_more"))
        # TikTok's cursor is a number (a timestamp in ms); anything else keeps the previous one.
        cursor = data["cursor"] if type(data.get("cursor")) is int else cursor
    return videos, cursor, has_more


def insights_explanation(analyzed: int, asked: int, has_more: bool, missing: list[str]) -> str:
    if "video.list" in missing:
        return (
            "The TikTok account did not grant the video.list permission, so no videos were analysed (see "
            "missing_scopes)."
        )
    if analyzed < asked and has_more:
        return (
            f"Analysed the {analyzed} most recent public videos of the {asked} asked for: TikTok did not return the "
            "rest within one step. Ask for fewer videos, or run the step again."
        )
    if not analyzed:
        return "The account has no public videos yet, so there is nothing to analyse."
    if analyzed < asked:
        return f"The account has {analyzed} public videos; all of them were analysed."
    return f"Analysed the {analyzed} most recent public videos."


# ---- Polling triggers -----------------------------------------------------------------------------------------------

# new_video also asks for the day before last_poll_ts: video.list shows a video only once TikTok has processed
# and reviewed it, minutes to hours after its create_time, and the platform's clock and TikTok's may differ. The
# platform keeps one record per id, so a video seen by several polls starts one workflow.
POLL_OVERLAP_S = 86400


# A poll reads at most this many videos (five pages of video.list), the newest ones.
POLL_VIDEOS_MAX = 100


def poll_time(last_poll_ts) -> float | None:
    """last_poll_ts in Unix seconds: None (or empty) on the first poll, else an ISO 8601 time (UTC unless it says
    otherwise) or a Unix time in seconds or milliseconds, as a number or as text."""
    text = "" if last_poll_ts is None else str(last_poll_ts).strip()
    if not text:
        return None
    # Digits are a Unix time even where ISO 8601's basic form could read them as a date; a bool, a negative number,
    # NaN or infinity is neither.
    with contextlib.suppress(ValueError):
        if re.fullmatch(r"[0-9]+(\.[0-9]+)?", text):
            number = float(text)
            # 10^11 seconds is the year 5138, 10^11 milliseconds 1973: larger numbers are milliseconds.
            return number / 1000 if number >= 1e11 else number
        moment = datetime.datetime.fromisoformat(text)
        return moment.replace(tzinfo=moment.tzinfo or datetime.UTC).timestamp()
    raise UserFacingError(
        f"last_poll_ts {clean_detail(text, limit=40)!r} is neither an ISO 8601 time nor a Unix time, so the poll "
        "cannot tell which videos are new."
    )


async def videos_since(context, since: float) -> list[dict]:
    """The account's videos created after `since` (Unix seconds), oldest first; of more than POLL_VIDEOS_MAX, the
    newest. video.list pages go from the newest down, so paging stops at the first page that reaches `since`. A
    video without a create_time counts as new (the platform keeps it once, by its id)."""
    found, cursor = [], None
    for page_number in range(POLL_VIDEOS_MAX // LIST_PAGE_MAX):
        # Returning only the newest pages would skip the older new videos for good: the next poll asks for videos
        # after its own last_poll_ts. A failed poll is tried again from the same one.
        if page_number and time_left() < MIN_PAGE_S:
            raise UserFacingError(
                f"TikTok answered too slowly to list every new video within one poll ({len(found)} read). None was "
                "returned, so the next poll lists them again."
            )
        page, cursor, has_more = await list_videos(context, LIST_PAGE_MAX, cursor)
        new = [v for v in page if v["create_time"] is None or v["create_time"] > since]
        found += new
        if len(new) < len(page) or not has_more or cursor is None:
            break
    return list({v["id"]: v for v in reversed(found) if v["id"]}.values())


async def new_videos(context, last_poll_ts) -> list[dict]:
    """new_video's videos: on the first poll the newest one only (a sample, not the account's history)."""
    since = poll_time(last_poll_ts)
    if not since:  # none, or the epoch itself: a first poll
        return (await list_videos(context, 1, None))[0][:1]
    return await videos_since(context, since - POLL_OVERLAP_S)


async def videos_reaching(context, views: int, within_days: int) -> list[dict]:
    """video_reached_views' videos: those of the last within_days days with at least `views` views."""
    recent = await videos_since(context, time.time() - within_days * 86400)
    return [v for v in recent if v["view_count"] >= views]


def trigger_errors(poll, trigger):
    """user_errors for a polling trigger (`trigger`: the SDK's trigger config): its failure is raised with the
    sentence an action would show, since the SDK has no error result for triggers and hands whatever poll raises
    to the platform."""
    checked = user_errors(poll, trigger)

    @functools.wraps(poll)
    async def wrapper(*args):
        if isinstance(outcome := await checked(*args), ActionError):
            raise UserFacingError(outcome.message)
        return outcome

    return wrapper
