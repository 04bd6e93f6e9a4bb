"""TikTok for Autohive: post videos and photos, send drafts to the inbox, read the account and its videos.

Reads top to bottom: constants, calling TikTok (one place for errors), the upload pipeline, then one small
handler per action. TikTok's contract as pure functions lives in tiktok_helpers.py; moving video bytes lives
in tiktok_media.py. Section numbers (§) point into shared/docs/tiktok-api.md.
"""

import asyncio
import contextlib
import contextvars
import functools
import logging
import math
import time
import traceback

import aiohttp
from autohive_integrations_sdk import (
    ActionError,
    ActionHandler,
    ActionResult,
    ConnectedAccountHandler,
    ConnectedAccountInfo,
    HTTPError,
    Integration,
    RateLimitError,
)

from tiktok_helpers import (
    CONTENT_INIT_URL,
    CREATOR_INFO_URL,
    INBOX_INIT_URL,
    JSON_HEADERS,
    LIST_PAGE_MAX,
    PHOTO_DESCRIPTION_MAX,
    PHOTO_TITLE_MAX,
    STATUS_URL,
    USER_FIELDS_BY_SCOPE,
    USER_INFO_URL,
    VIDEO_FIELDS,
    VIDEO_INIT_URL,
    VIDEO_LIST_URL,
    VIDEO_QUERY_URL,
    VIDEO_TITLE_MAX,
    InputError,
    TikTokError,
    UserFacingError,
    alternative_plan,
    check_branded_privacy,
    check_privacy_offered,
    check_text_limit,
    envelope_error,
    forced_interactions,
    format_size,
    missing_user_scopes,
    normalize_creator,
    normalize_status,
    normalize_user,
    normalize_videos,
    photo_init_body,
    plan_chunks,
    pull_source_info,
    read_envelope,
    redact,
    secrets_of,
    video_post_info,
)
from tiktok_helpers import (
    CREATOR_CAP_CODES,
    POST_LINK_FIELDS,
    POSTING_TAKES_MINUTES,
    SCOPE_REFUSALS,
    account_insights,
    cannot_post_reason,
    check_count,
    check_length,
    check_pattern,
    check_unique,
    empty_post_links,
    post_links,
    whole_number,
)
from tiktok_media import (
    TRANSFER_DEADLINE_S,
    SourceSpec,
    TransferError,
    TransferWatch,
    UploadUnconfirmed,
    check_link,
    check_upload_url,
    open_ranged,
    probe_link,
    probe_photos,
    require_video_type,
    resolve_video_source,
    transfer_watch,
    upload_chunks,
)
from tiktok_video import (
    NOT_A_VIDEO,
    NotAVideo,
    check_media,
    inspect_video,
    media_problems,
    photo_problem,
    unchecked_rules,
)

tiktok = Integration.load()
logger = logging.getLogger("tiktok")

# The platform gives a step about 30 s; every action plans to finish within this budget.
STEP_BUDGET_S = 27.0
# Each request gets at most this long (and never more than what is left of the step).
API_TIMEOUT_S = 15.0
# A read that hits a 429 or a network error is tried again after these pauses (seconds), while the step has
# time; a publish request never is.
READ_RETRY_DELAYS_S = (1.0, 3.0)
# get_post_status polls at most every 2 s: TikTok allows 30 status requests a minute (§11).
STATUS_POLL_INTERVAL_S = 2.0
USER_SCOPES = tuple(USER_FIELDS_BY_SCOPE)
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


# ---- Calling TikTok ------------------------------------------------------------------------------------------------


def sdk_retry_count(context) -> int:
    """The SDK resends a request after a network error or timeout, POSTs included, while the retry_count it is
    given is below config["max_retries"], pausing 1-2-4 s. A resent init could create a second post and the
    pauses alone would overrun the step, so every request is sent with retry_count at that limit: the SDK never
    resends it, and the shared context (and its config) is never changed."""
    config = getattr(context, "config", None)
    limit = config.get("max_retries") if isinstance(config, dict) else None
    if isinstance(limit, (int, float)) and not isinstance(limit, bool) and math.isfinite(limit):
        return max(0, math.ceil(limit))
    return 0


async def call_tiktok(
    context, url: str, *, method: str = "POST", params=None, body=None, publish=False, retry_429=True
) -> dict:
    """One TikTok v2 request; returns `data`. Success means error.code == "ok", whatever the HTTP status (§0.1).

    Reads are tried again after a network error, and after a 429 where retry_429 (not for creator info and
    status, whose limits are so low that a retry within the minute would only be refused again), while the step
    has room. Publish requests are sent exactly once. Every answer, whatever its form, goes through
    read_envelope: it becomes TikTok's data or a plain error, and for a publish request anything that is not a
    definite answer says that the post may have been created."""
    secrets = secrets_of(getattr(context, "auth", None))
    attempt = 0
    while True:
        left = time_left()
        if left < MIN_REQUEST_S:
            raise _out_of_time(publish)
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
        except RateLimitError as error:
            if not publish and retry_429 and await _pause_before_retry(attempt):
                attempt += 1
                continue
            raise _error_from_body(error.response_data, 429, publish, secrets) from None
        except HTTPError as error:
            raise _error_from_body(error.response_data, error.status, publish, secrets) from None
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            if not publish and await _pause_before_retry(attempt):
                attempt += 1
                continue
            raise _network_error(publish, error) from None
        except Exception as error:
            failure = _sdk_failure(error)
            if failure == "network":
                if not publish and await _pause_before_retry(attempt):
                    attempt += 1
                    continue
                raise _network_error(publish, error.__context__) from None
            if failure == "rate_limited" and not publish and retry_429 and await _pause_before_retry(attempt):
                attempt += 1
                continue
            logger.warning("TikTok's answer could not be read (%s)", type(error).__name__)
            raise _unreadable(publish, 429 if failure == "rate_limited" else None, error) from None
        status = getattr(reply, "status", None)
        payload = read_envelope(getattr(reply, "data", None))
        code, _detail, _log_id = envelope_error(payload)
        if code != "ok":  # also an answer that is no envelope at all (HTML, text, a list): never a success
            raise _error_from_body(payload, status, publish, secrets)
        data = payload.get("data")
        return data if isinstance(data, dict) else {}


def _sdk_failure(error: Exception) -> str:
    """What an unexpected exception out of context.fetch stands for, by its type.

    A network error can surface as another exception raised while the SDK handles it (a config without
    max_retries: "network"). The SDK parses a 429's Retry-After with int(), so a date or a decimal raises a plain
    ValueError ("rate_limited"). Anything else (a body it cannot decode, nesting too deep to parse, an SDK fault)
    is an answer that could not be read: for a publish request that means the post may have been created."""
    if isinstance(error.__context__, (aiohttp.ClientError, asyncio.TimeoutError)):
        return "network"
    return "rate_limited" if type(error) is ValueError else "unreadable"


async def _pause_before_retry(attempt: int) -> bool:
    """Wait before another try, if one is left and the step still has room for it after the pause."""
    if attempt >= len(READ_RETRY_DELAYS_S) or time_left() < READ_RETRY_DELAYS_S[attempt] + MIN_REQUEST_S:
        return False
    await asyncio.sleep(READ_RETRY_DELAYS_S[attempt])
    return True


def _error_from_body(body, http_status: int | None, publish: bool, secrets=()) -> TikTokError:
    code, detail, log_id = envelope_error(read_envelope(body))
    # A publish request that failed without a definite answer may still have created the post.
    uncertain = publish and (code in (None, "internal_error") or (http_status or 0) >= 500)
    advice = PUBLISH_UNCERTAIN if uncertain else None
    return TikTokError(code, detail, log_id, http_status, advice=advice, secrets=secrets)


def _unreadable(publish: bool, http_status: int | None, error: Exception) -> UserFacingError:
    """The SDK failed on TikTok's answer (an undecodable body, a Retry-After it cannot parse, a fault of its own)."""
    if http_status == 429:
        what = "TikTok answered that too many requests were made (HTTP 429)"
    else:
        what = f"TikTok's answer could not be read ({type(error).__name__})"
    if publish:
        return UserFacingError(f"{what} while the post was being created. {PUBLISH_UNCERTAIN}")
    return UserFacingError(f"{what}. Wait a minute and run the step again.")


class ConnectedAccountError(UserFacingError):
    """The connected account could not be read; the message is written for the person connecting it."""


def _out_of_time(publish: bool) -> UserFacingError:
    if publish:
        return UserFacingError(
            "The step ran out of time before the post could be sent to TikTok; nothing was sent. Run it again."
        )
    return UserFacingError("The step ran out of time waiting for TikTok. Run it again in a minute.")


def _network_error(publish: bool, error: BaseException) -> UserFacingError:
    kind = "did not answer in time" if isinstance(error, asyncio.TimeoutError) else "could not be reached"
    if publish:
        return UserFacingError(f"TikTok {kind} while the post was being created. {PUBLISH_UNCERTAIN}")
    return UserFacingError(f"TikTok {kind}. Check the connection and run the step again in a minute.")


def user_errors(execute):
    """Every failure reaches the user as an ActionError: the platform shows an escaped exception as a crash."""

    @functools.wraps(execute)
    async def wrapper(self, inputs, context):
        sent = _publish_sent.set(False)
        try:
            with step_budget():
                return await execute(self, inputs, context)
        except asyncio.CancelledError:
            # The platform stopped the step (a BaseException, which the handler below would miss).
            return ActionError(message=_stopped_message(_publish_sent.get()))
        except UserFacingError as error:
            # The last line of defence: no message carries a credential of the connection, whatever its shape.
            return ActionError(message=redact(str(error), secrets_of(getattr(context, "auth", None))))
        except Exception as error:
            # Only the type and place: exception texts can carry HTTP bodies.
            where = traceback.extract_tb(error.__traceback__)[-1]
            logger.error("unexpected %s at %s:%s", type(error).__name__, where.filename, where.lineno)
            if _publish_sent.get():
                return ActionError(
                    message=f"The TikTok step failed unexpectedly ({type(error).__name__}) after the post was sent "
                    f"to TikTok. {PUBLISH_UNCERTAIN} If it keeps happening, report it to the integration's maintainers."
                )
            return ActionError(
                message=f"The TikTok step failed unexpectedly ({type(error).__name__}); nothing was posted. Run it "
                "again; if it keeps failing, report it to the integration's maintainers."
            )
        finally:
            _publish_sent.reset(sent)

    return wrapper


def _stopped_message(publish_sent: bool) -> str:
    if publish_sent:
        return f"The step was stopped before it finished, after the post was sent to TikTok. {PUBLISH_UNCERTAIN}"
    return "The step was stopped before it finished; nothing was posted or changed. Run it again."


async def query_creator(context) -> dict:
    """creator_info answers posting caps with HTTP 200 and an error code (§6); call_tiktok turns them into errors."""
    return normalize_creator(await call_tiktok(context, CREATOR_INFO_URL, retry_429=False))


async def fetch_user(context, scopes) -> tuple[dict, list[str]]:
    """User fields for the scopes the account granted. TikTok does not say which it granted: it refuses fields it
    will not give (scope_permission_missed), so each optional scope is probed on its own after a refusal."""

    async def get(groups):
        fields = ",".join(f for g in groups for f in USER_FIELDS_BY_SCOPE[g])
        user = (await call_tiktok(context, USER_INFO_URL, method="GET", params={"fields": fields})).get("user")
        return user if isinstance(user, dict) else {}

    try:
        user = await get(scopes)
        return user, missing_user_scopes(user, scopes)
    except TikTokError as error:
        if error.code not in ("scope_permission_missed", "scope_not_authorized") or len(scopes) == 1:
            raise
    merged, granted = {}, ["user.info.basic"]
    # With a single optional scope the refusal already names it; probing it again would repeat the refusal.
    for scope in scopes[1:] if len(scopes) > 2 else ():
        try:
            merged.update(await get(["user.info.basic", scope]))
            granted.append(scope)
        except TikTokError as error:
            if error.code not in ("scope_permission_missed", "scope_not_authorized"):
                raise
    if not merged:
        merged = await get(["user.info.basic"])
    return merged, missing_user_scopes(merged, granted)


# ---- The upload pipeline -----------------------------------------------------------------------------------------


async def publish_video(context, init_url: str, spec, post_info: dict | None = None, max_duration=None) -> dict:
    """Init a video (with post_info for a direct post) and move its bytes; returns as soon as TikTok has them.

    The video's facts are read and TikTok's media rules applied before any init, for every kind of source."""
    body = {} if post_info is None else {"post_info": post_info}
    if spec.kind != "pull":
        return await upload_video(context, init_url, spec, body, max_duration)
    checked = await check_pull_link(spec.url, max_duration)
    try:
        pull_body = {**body, "source_info": pull_source_info(spec.url)}
        data = await call_tiktok(context, init_url, body=pull_body, publish=True)
    except TikTokError as refusal:
        # A definite refusal: TikTok created nothing, so the same step may upload the file itself. No other code
        # leads here, and an uncertain answer never does (it is not a TikTokError with this code).
        if refusal.code != "url_ownership_unverified" or not definite_refusal(refusal):
            raise
        return await upload_instead_of_pull(context, init_url, spec, body, max_duration, refusal, checked)
    return {"publish_id": _publish_id(data), "status": "PROCESSING_DOWNLOAD", "source": "PULL_FROM_URL"}


async def upload_instead_of_pull(context, init_url, spec, body, max_duration, refusal, checked) -> dict:
    """TikTok refused to pull from an unverified domain: upload from the same link (FILE_UPLOAD, streamed)."""
    link = SourceSpec("link", url=spec.url)
    try:
        result = await upload_video(context, init_url, link, body, max_duration, checked=checked)
    except UserFacingError as failure:
        # Both reasons, TikTok's refusal first (its code, detail and advice), its log_id still at the very end.
        told = str(refusal)
        suffix = f" (TikTok log_id: {refusal.log_id})" if refusal.log_id else ""
        if suffix and told.endswith(suffix):
            told = told[: -len(suffix)]
        raise UserFacingError(
            f"{told} The integration tried that in this step (it uploaded the file itself from the link), and the "
            f"upload failed too: {failure}{suffix}"
        ) from None
    return {**result, "pull_refused": "url_ownership_unverified"}


async def upload_video(context, init_url: str, spec, body: dict, max_duration, checked=None) -> dict:
    """FILE_UPLOAD: check the facts (unless `checked` holds the probe that already did), init with a chunk plan,
    then send the chunks."""
    # Moving the bytes (download and upload) has its own deadline; the init request between them is bounded by
    # its own timeout, so a slow TikTok is reported as such and never as a video too large to move.
    moving_until = time.monotonic() + min(TRANSFER_DEADLINE_S, time_left() - MIN_REQUEST_S)
    opening = open_ranged(spec.url, checked) if checked else open_checked_source(spec, max_duration)
    source = await within_transfer_deadline(opening, moving_until)
    try:
        content_type = source.content_type
        plan = plan_chunks(source.size)
        try:
            data = await call_tiktok(context, init_url, body={**body, "source_info": plan.source_info()}, publish=True)
        except TikTokError as refusal:
            if not chunk_size_refused(refusal, plan):
                raise
            plan, data = await init_with_another_plan(context, init_url, body, source, plan, refusal, moving_until)
        publish_id = _publish_id(data)
        upload_url = check_upload_url(data.get("upload_url"))
        status = "PROCESSING_UPLOAD"
        try:
            await within_transfer_deadline(upload_chunks(source, plan, upload_url, content_type), moving_until)
        except UploadUnconfirmed as unconfirmed:
            status = await settle_upload(context, publish_id, plan.video_size, unconfirmed)
        except TransferError:
            # A part read from the link as it was sent: when reading failed, say so rather than blame TikTok.
            failure = getattr(source, "failure", None)
            if failure is not None:
                raise failure from None
            raise
    finally:
        await source.aclose()
    return {
        "publish_id": publish_id,
        "status": status,
        "source": "FILE_UPLOAD",
        "video_size": plan.video_size,
        "chunk_count": plan.count,
        "content_type": content_type,
    }


def definite_refusal(error: TikTokError) -> bool:
    """A 4xx with TikTok's error code: the request created nothing. After a 5xx the post may exist, whatever the
    code says, so nothing that could post again (a fallback upload, a second init) may follow it."""
    return error.http_status is not None and 400 <= error.http_status < 500


def chunk_size_refused(error: TikTokError, plan) -> bool:
    """TikTok's definite refusal of a multi-chunk plan ("The chunk size is invalid"): nothing was created."""
    chunk_code = error.code in ("invalid_params", "invalid_param") and "chunk" in error.detail.lower()
    return chunk_code and plan.count > 1 and definite_refusal(error)


async def init_with_another_plan(context, init_url, body, source, refused, refusal, moving_until):
    """Init once more with another legal chunk plan; if TikTok refuses that too, say what the user can do."""
    plan = alternative_plan(refused)
    if plan is not None:
        if hasattr(source, "reprime"):
            await within_transfer_deadline(source.reprime(plan.ranges()[0][1] + 1), moving_until)
        try:
            data = await call_tiktok(context, init_url, body={**body, "source_info": plan.source_info()}, publish=True)
            return plan, data
        except TikTokError as second:
            if not chunk_size_refused(second, plan):
                raise
            refusal = second
    tried = " and ".join(f"{p.count} parts of {p.chunk_size:,} bytes" for p in (refused, plan) if p is not None)
    says = f" TikTok says: {refusal.detail.rstrip('.')}." if refusal.detail else ""
    log = f" (TikTok log_id: {refusal.log_id})" if refusal.log_id else ""
    raise UserFacingError(
        f"TikTok error {refusal.code}: TikTok refused to take this {format_size(refused.video_size)} video in "
        f"several parts (tried {tried}).{says} TikTok has been refusing uploads in several parts since about "
        "August 2026, and a video over 64 MB cannot go in one; nothing was posted. Post a file of at most "
        "64,000,000 bytes (it goes in one part), or host the video on a domain verified in your TikTok developer "
        f"portal and use pull_from_url.{log}"
    )


# A pull link is read for its facts within this long; a link that does not answer in time is left to TikTok.
PULL_PREFLIGHT_S = 8.0


async def read_video(spec):
    """The video's facts before any init: (facts, probe, source). A link's facts come from Range requests,
    without the token, through the link guard (the probe); a host that ignores Range gives its stream, which then
    is the upload's source. Inline content is its own source."""
    if spec.kind == "inline":
        return inspect_video(spec.inline.read_at, spec.inline.size), None, spec.inline
    probe = await probe_link(spec.url, keep_stream=True)
    if probe.source is None and probe.head:
        require_video_type(probe.head)
    return probe.facts, probe, probe.source


async def open_checked_source(spec, max_duration):
    """The upload's source, once the video's facts pass TikTok's media rules (refused before any init)."""
    facts, probe, source = await read_video(spec)
    try:
        check_media(facts, max_duration)
        return source if source is not None else await open_ranged(spec.url, probe)
    except BaseException:
        if source is not None:
            await source.aclose()
        raise


async def check_pull_link(url: str, max_duration):
    """TikTok pulls the very same public link, so it is read the same way first. A link that cannot be read from
    here is left to TikTok (a fact that could not be read is no reason to refuse). Returns the probe, if any."""
    try:
        async with asyncio.timeout(max(0.0, min(PULL_PREFLIGHT_S, time_left() - 2 * MIN_REQUEST_S))):
            probe = await probe_link(url, keep_stream=False)
    except (UserFacingError, TimeoutError):
        return None
    if probe.head:
        require_video_type(probe.head)
    check_media(probe.facts, max_duration)
    return probe


async def within_transfer_deadline(step, until: float):
    """Run one part of moving the bytes; past the deadline, stop with what the user can do about it, naming who
    stopped: the video's link host, TikTok's upload server, or neither (the video is too large for one step)."""
    watch = TransferWatch()
    token = transfer_watch.set(watch)
    try:
        async with asyncio.timeout(until - time.monotonic()) as deadline:
            return await step
    except TimeoutError:
        if not deadline.expired():
            raise
        if watch.last_part_sent:
            raise UploadUnconfirmed("TikTok's upload server stopped answering") from None
        if watch.uploading and watch.reading:
            raise TransferError(
                f"The video's link host stopped sending the video while part {watch.part} of {watch.parts} was "
                "being read, so it could not be passed on to TikTok within the step. Nothing was posted (TikTok "
                "discards an upload that never completes). Check that the link works and run the step again."
            ) from None
        if watch.stalled():
            raise TransferError(
                f"TikTok's upload server stopped answering while part {watch.part} of {watch.parts} of the video was "
                "being sent. Nothing was posted (TikTok discards an upload that never completes). Run the step again "
                "in a few minutes."
            ) from None
        raise TransferError(
            f"The video is too large to move to TikTok within one workflow step ({TRANSFER_DEADLINE_S:.0f} s at "
            "most). Nothing was posted. Host it on a domain verified in your TikTok developer portal and use "
            "pull_from_url, or post a smaller file."
        ) from None
    finally:
        transfer_watch.reset(token)


# Statuses that come only after TikTok holds the whole upload (FAILED also says no post exists).
AFTER_UPLOAD = ("SEND_TO_USER_INBOX", "PUBLISH_COMPLETE")


async def settle_upload(context, publish_id: str, video_size: int, unconfirmed: UploadUnconfirmed) -> str:
    """The last part went out but TikTok's upload server did not confirm it: ask TikTok's status before saying
    anything, since the post may exist. Returns the status when it shows that the whole video arrived."""
    status = None
    if time_left() >= MIN_REQUEST_S:
        try:
            answer = await call_tiktok(context, STATUS_URL, body={"publish_id": publish_id}, retry_429=False)
            status = normalize_status(answer)
        except UserFacingError:
            pass
    held = status["uploaded_bytes"] if status and status["status"] == "PROCESSING_UPLOAD" else None
    if status and (status["status"] in AFTER_UPLOAD or (held or 0) >= video_size):
        return status["status"]
    if status and status["status"] == "FAILED":
        raise TransferError(unconfirmed.refusal or f"{status['explanation']} Nothing was posted.")
    if unconfirmed.refusal and held is not None:
        raise TransferError(unconfirmed.refusal)  # refused, and TikTok's status confirms it lacks part of the video
    known = f" (it shows {format_size(held)} of {format_size(video_size)})" if held is not None else ""
    raise UserFacingError(
        f"The last part of the video was sent, but {unconfirmed.what} and TikTok's status does not show the whole "
        f"video yet{known}. TikTok may have received it and may post it, so do not run this step again: check Get "
        f"Post Status with publish_id {publish_id} in a few minutes, and post again only if it reports FAILED."
    )


def _publish_id(data: dict) -> str:
    publish_id = data.get("publish_id")
    if not isinstance(publish_id, str) or not publish_id:
        raise UserFacingError("TikTok accepted the request but returned no publish_id. Check the TikTok profile.")
    return publish_id


# ---- Photo posts ----------------------------------------------------------------------------------------------------


def check_photo_inputs(photo_urls: list[str], cover_index: int, title, description) -> None:
    for position, url in enumerate(photo_urls):
        check_link(url, f"photo link #{position + 1}")
    if cover_index >= len(photo_urls):
        raise InputError(
            f"photo_cover_index is {cover_index}, but there are only {len(photo_urls)} photos (the first is 0). "
            "Choose a photo that exists; nothing was posted."
        )
    check_text_limit(title, PHOTO_TITLE_MAX, "photo title")
    check_text_limit(description, PHOTO_DESCRIPTION_MAX, "description")


# The photos' heads are read within this long; a photo not read in time is left to TikTok.
PHOTO_PREFLIGHT_S = 8.0


def link_label(url: str) -> str:
    """A photo link as a refusal names it: host and file name, never the query (pre-signed links carry keys)."""
    parsed = check_link(url, "photo link")
    name = parsed.path.rstrip("/").rsplit("/", 1)[-1]
    label = f"{parsed.host}/…/{name}" if parsed.path.count("/") > 1 else f"{parsed.host}/{name}"
    return label if len(label) <= 80 else label[:79] + "…"


async def check_photo_media(photo_urls: list[str]) -> None:
    """Before the init, each photo's first 64 KiB (one ranged GET, no token, through the link guard): JPEG or
    WebP by signature, at most 20 MB (TikTok's image restrictions). A photo that cannot be read is left to TikTok,
    which still pulls the photos itself."""
    answers = await probe_photos(photo_urls, min(PHOTO_PREFLIGHT_S, time_left() - 2 * MIN_REQUEST_S))
    problems = [
        photo_problem(position, link_label(url), *answer)
        for position, (url, answer) in enumerate(zip(photo_urls, answers, strict=True), start=1)
        if answer is not None
    ]
    problems = [problem for problem in problems if problem]
    if problems:
        raise InputError(" ".join(problems) + " Nothing was posted.")


def refuse_direct_only(settings: dict) -> None:
    """With MEDIA_UPLOAD the creator decides these in the TikTok app: a value given here would be ignored."""
    given = [name for name, value in settings.items() if value is not None]
    if given:
        raise InputError(
            f"{', '.join(given)} only apply to DIRECT_POST; with MEDIA_UPLOAD the creator chooses them in the "
            "TikTok app. Remove them or use DIRECT_POST; nothing was posted."
        )


async def direct_photo_settings(context, chosen: dict) -> tuple[dict, dict, list[str]]:
    """post_info settings of a DIRECT_POST photo post, checked against the creator's current options (§10.2)."""
    privacy_level = chosen["privacy_level"]
    if privacy_level is None:
        raise InputError(
            "privacy_level is required for DIRECT_POST. Run Get Creator Info to see the options; nothing was posted."
        )
    brand_content = bool(chosen["brand_content_toggle"])
    check_branded_privacy(privacy_level, brand_content)
    creator = await query_creator(context)
    check_privacy_offered(privacy_level, creator["privacy_level_options"])
    # Comments stay off unless the user explicitly allowed them (TikTok's posting guidelines).
    interactions, forced = forced_interactions({"disable_comment": chosen["disable_comment"] is not False}, creator)
    settings = {
        "privacy_level": privacy_level,
        **interactions,
        "auto_add_music": bool(chosen["auto_add_music"]),
        "brand_content_toggle": brand_content,
        "brand_organic_toggle": bool(chosen["brand_organic_toggle"]),
    }
    return settings, creator, forced


# ---- Following a post and reading the account ----------------------------------------------------------------------


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
        cursor = _next_cursor(data.get("cursor"), cursor)
    return videos, cursor, has_more


def _next_cursor(value, previous):
    """TikTok's cursor is a number (a timestamp in ms); anything else keeps the previous one."""
    return value if isinstance(value, int) and not isinstance(value, bool) else previous


async def follow_post(context, publish_id: str, wait_seconds: int, privacy_level: str | None = None) -> dict:
    """The post's status, polled every STATUS_POLL_INTERVAL_S (TikTok allows 30 status requests a minute) for up to
    wait_seconds until it is final or waits on the creator, then its live links once TikTok reports a public id."""
    # Polling leaves room in the step for its last request and for the link lookup after it.
    stop_at = time.monotonic() + min(wait_seconds, time_left() - 2 * MIN_REQUEST_S)
    while True:
        answer = await call_tiktok(context, STATUS_URL, body={"publish_id": publish_id}, retry_429=False)
        status = normalize_status(answer)
        settled = status["is_final"] or status["waiting_on_user"]
        if settled or time.monotonic() + STATUS_POLL_INTERVAL_S > stop_at:
            break
        await asyncio.sleep(STATUS_POLL_INTERVAL_S)
    return {**status, **await live_links(context, status, privacy_level)}


async def live_links(context, status: dict, privacy_level: str | None) -> dict:
    """share_url and co. of the first public post id, from /v2/video/query/ (scope video.list, its own rate limit:
    https://developers.tiktok.com/doc/tiktok-api-v2-video-query). Never fails: the post is made whatever happens."""
    links = {**empty_post_links(), "missing_scopes": []}
    if status["status"] != "PUBLISH_COMPLETE":
        return links
    post_ids = status["publicaly_available_post_id"]
    if not post_ids:
        if privacy_level == "SELF_ONLY":
            why = (
                "Published as a private (SELF_ONLY) post: only the creator can see it, so TikTok gives it no public "
                "id or link."
            )
        else:
            why = (
                "Published. TikTok gives no public id or link to a private (SELF_ONLY) post; a public post gets them "
                "once it passes TikTok's moderation, which can take from a minute to hours: run Get Post Status "
                "again later."
            )
        return {**links, "explanation": why}
    post_id = post_ids[0]  # one inbox draft posted several times has several ids: the first is the link's
    body = {"filters": {"video_ids": [post_id]}}
    try:
        data = await call_tiktok(context, VIDEO_QUERY_URL, params={"fields": ",".join(POST_LINK_FIELDS)}, body=body)
    except TikTokError as error:
        if error.code in SCOPE_REFUSALS:
            why = (
                f"Published (post id {post_id}). Its share link needs the video.list permission, which the TikTok "
                "account did not grant (see missing_scopes); reconnect it with that permission to get links."
            )
            return {**links, "video_id": post_id, "missing_scopes": ["video.list"], "explanation": why}
        return {**links, "video_id": post_id, "explanation": f"Published (post id {post_id}); {_lookup_failed(error)}"}
    except UserFacingError as error:
        return {**links, "video_id": post_id, "explanation": f"Published (post id {post_id}); {_lookup_failed(error)}"}
    found = post_links(post_id, data.get("videos"))
    if found["share_url"] is None:
        why = f"Published (post id {post_id}); TikTok did not return its link yet: run Get Post Status again later."
    else:
        why = "Published and public: share_url links to the post."
    return {**links, **found, "explanation": why}


def _lookup_failed(error: UserFacingError) -> str:
    code = f" (TikTok error {error.code})" if isinstance(error, TikTokError) and error.code else ""
    return f"its link could not be looked up{code}: run Get Post Status again in a minute to get it."


async def confirm_post(context, publish_id: str, wait_seconds: int, privacy_level: str) -> dict:
    """After a direct post: with wait_seconds, its status and links within what is left of the step. A failure
    here never fails the step: the video is already with TikTok, and running the step again would post it twice."""
    pending = {
        "is_final": False,
        "fail_reason": None,
        "publicaly_available_post_id": [],
        **empty_post_links(),
        "missing_scopes": [],
        "explanation": POSTING_TAKES_MINUTES,
    }
    if not wait_seconds:
        return pending
    try:
        status = await follow_post(context, publish_id, wait_seconds, privacy_level)
    except UserFacingError as error:
        code = f" (TikTok error {error.code})" if isinstance(error, TikTokError) and error.code else ""
        why = (
            f"The video was sent to TikTok, but its status could not be checked within this step{code}. Do not run "
            f"this step again, or the video may be posted twice. {POSTING_TAKES_MINUTES}"
        )
        return {**pending, "explanation": why}
    if not status["is_final"]:
        status["explanation"] = f"{status['explanation']} {POSTING_TAKES_MINUTES}"
    return {"status": status["status"], **{key: status[key] for key in pending}}


def posting_allowed(creator: dict) -> dict:
    if not creator["privacy_level_options"]:
        reason = "TikTok offers no privacy level for this account right now, so it cannot post: try again later."
        return {"can_post": False, "cannot_post_reason": reason}
    return {"can_post": True, "cannot_post_reason": None}


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


# ---- Actions ---------------------------------------------------------------------------------------------------------


@tiktok.action("get_user_info")
class GetUserInfo(ActionHandler):
    @user_errors
    async def execute(self, inputs, context):
        user, missing = await fetch_user(context, list(USER_SCOPES))
        return ActionResult(data={**normalize_user(user), "missing_scopes": missing})


@tiktok.action("get_creator_info")
class GetCreatorInfo(ActionHandler):
    @user_errors
    async def execute(self, inputs, context):
        try:
            creator = await query_creator(context)
        except TikTokError as error:
            if error.code not in CREATOR_CAP_CODES:
                raise
            # A posting cap or ban is an answer a workflow can branch on; TikTok sends no creator details with it.
            unknown = {
                "creator_nickname": None,
                "creator_username": None,
                "creator_avatar_url": None,
                "privacy_level_options": [],
                "comment_disabled": None,
                "duet_disabled": None,
                "stitch_disabled": None,
                "max_video_post_duration_sec": None,
            }
            reason = cannot_post_reason(error.code, error.log_id)
            return ActionResult(data={**unknown, "can_post": False, "cannot_post_reason": reason})
        return ActionResult(data={**creator, **posting_allowed(creator)})


@tiktok.action("create_video_post")
class CreateVideoPost(ActionHandler):
    @user_errors
    async def execute(self, inputs, context):
        spec = resolve_video_source(
            inputs.get("file"), inputs.get("files"), inputs.get("video_url"), inputs.get("pull_from_url", False)
        )
        privacy_level = inputs["privacy_level"]
        title = inputs.get("title")
        brand_content = inputs.get("brand_content_toggle", False)
        wait_seconds = whole_number(inputs.get("wait_seconds", 0))
        check_text_limit(title, VIDEO_TITLE_MAX, "title")
        check_branded_privacy(privacy_level, brand_content)
        requested = {
            "disable_comment": inputs.get("disable_comment", True),
            "disable_duet": inputs.get("disable_duet", True),
            "disable_stitch": inputs.get("disable_stitch", True),
        }
        creator = await query_creator(context)
        check_privacy_offered(privacy_level, creator["privacy_level_options"])
        interactions, forced = forced_interactions(requested, creator)
        post_info = video_post_info(
            privacy_level,
            interactions,
            title,
            whole_number(inputs.get("video_cover_timestamp_ms")),
            brand_content,
            inputs.get("brand_organic_toggle", False),
            inputs.get("is_aigc", False),
        )
        result = await publish_video(context, VIDEO_INIT_URL, spec, post_info, creator["max_video_post_duration_sec"])
        return ActionResult(
            data={
                **result,
                "creator_nickname": creator["creator_nickname"],
                "privacy_level": privacy_level,
                "forced_settings": forced,
                **await confirm_post(context, result["publish_id"], wait_seconds, privacy_level),
            }
        )


@tiktok.action("upload_video_draft")
class UploadVideoDraft(ActionHandler):
    @user_errors
    async def execute(self, inputs, context):
        spec = resolve_video_source(
            inputs.get("file"), inputs.get("files"), inputs.get("video_url"), inputs.get("pull_from_url", False)
        )
        return ActionResult(data=await publish_video(context, INBOX_INIT_URL, spec))


SCOPE_CODES = ("scope_not_authorized", "scope_permission_missed")


async def duration_limit(context) -> tuple[int | None, str | None]:
    """The account's longest allowed video (from creator info, which needs video.publish), or None and why."""
    try:
        creator = await query_creator(context)
    except TikTokError as error:
        if error.code in SCOPE_CODES:
            return None, "the connection did not grant video.publish, which TikTok needs to tell it"
        if error.code == "access_token_invalid":
            raise
        return None, f"TikTok did not give it right now ({error.code or 'no error code'})"
    return creator["max_video_post_duration_sec"], None


async def video_report(spec, max_seconds: int | None, why_no_limit: str | None) -> dict:
    """check_video's answer: the facts, the rules they break and the rules that could not be checked."""
    report = {
        "ok": False,
        "problems": [],
        "container": None,
        "codec": None,
        "duration_seconds": None,
        "width": None,
        "height": None,
        "frame_rate": None,
        "size_bytes": None,
        "max_duration_seconds": max_seconds,
        "unchecked": [],
    }
    if spec is None:
        report["problems"] = [NOT_A_VIDEO]
        return report
    try:
        moving_until = time.monotonic() + min(TRANSFER_DEADLINE_S, time_left() - MIN_REQUEST_S)
        facts, probe, source = await within_transfer_deadline(read_video(spec), moving_until)
        size = source.size if source is not None else probe.size
    except NotAVideo:
        report["problems"] = [NOT_A_VIDEO]
        return report
    if source is not None:
        await source.aclose()
    problems = media_problems(facts, max_seconds)
    report.update(
        ok=not problems,
        problems=problems,
        container=facts.container,
        codec=facts.codec_name,
        duration_seconds=None if facts.duration_seconds is None else round(facts.duration_seconds, 3),
        width=facts.width,
        height=facts.height,
        frame_rate=facts.frame_rate,
        size_bytes=size,
        unchecked=unchecked_rules(facts, max_seconds, why_no_limit),
    )
    return report


@tiktok.action("check_video")
class CheckVideo(ActionHandler):
    @user_errors
    async def execute(self, inputs, context):
        try:
            spec = resolve_video_source(inputs.get("file"), inputs.get("files"), inputs.get("video_url"), False)
        except NotAVideo:
            spec = None
        max_seconds, why_no_limit = await duration_limit(context)
        return ActionResult(data=await video_report(spec, max_seconds, why_no_limit))


@tiktok.action("get_post_status")
class GetPostStatus(ActionHandler):
    @user_errors
    async def execute(self, inputs, context):
        publish_id = inputs["publish_id"].strip()
        wait_seconds = whole_number(inputs.get("wait_seconds", 0))
        if not publish_id:
            raise InputError("publish_id is empty. Use the publish_id returned by a post or draft step.")
        check_length(publish_id, "publish_id", maximum=64, advice="Use the publish_id a post or draft step returned.")
        status = await follow_post(context, publish_id, wait_seconds)
        return ActionResult(data={"publish_id": publish_id, **status})


@tiktok.action("get_videos")
class GetVideos(ActionHandler):
    @user_errors
    async def execute(self, inputs, context):
        max_count = whole_number(inputs.get("max_count", 20))
        cursor = whole_number(inputs.get("cursor"))
        videos, cursor, has_more = await list_videos(context, max_count, cursor)
        return ActionResult(data={"videos": videos, "cursor": cursor, "has_more": has_more})


@tiktok.action("get_video")
class GetVideo(ActionHandler):
    @user_errors
    async def execute(self, inputs, context):
        for position, video_id in enumerate(inputs["video_ids"]):
            check_pattern(
                video_id, r"\s*[0-9]{1,32}\s*", f"Video id #{position + 1}", "a TikTok video id (1 to 32 digits)"
            )
        video_ids = [v.strip() for v in inputs["video_ids"]]
        check_count(video_ids, "video_ids", 20, "ids", "Look them up in several steps.")
        check_unique(video_ids, "Video id")
        body = {"filters": {"video_ids": video_ids}}
        data = await call_tiktok(context, VIDEO_QUERY_URL, params={"fields": ",".join(VIDEO_FIELDS)}, body=body)
        videos = normalize_videos(data.get("videos"))
        found = {v["id"] for v in videos}
        return ActionResult(data={"videos": videos, "not_found": [v for v in video_ids if v not in found]})


@tiktok.action("create_photo_post")
class CreatePhotoPost(ActionHandler):
    @user_errors
    async def execute(self, inputs, context):
        photo_urls = inputs["photo_urls"]
        check_count(photo_urls, "photo_urls", 35, "links", "TikTok takes at most 35 photos in one post.")
        cover_index = whole_number(inputs.get("photo_cover_index", 0))
        post_mode = inputs.get("post_mode", "DIRECT_POST")
        title, description = inputs.get("title"), inputs.get("description")
        direct_only = {
            "privacy_level": inputs.get("privacy_level"),
            "disable_comment": inputs.get("disable_comment"),
            "auto_add_music": inputs.get("auto_add_music"),
            "brand_content_toggle": inputs.get("brand_content_toggle"),
            "brand_organic_toggle": inputs.get("brand_organic_toggle"),
        }
        check_photo_inputs(photo_urls, cover_index, title, description)
        await check_photo_media(photo_urls)
        post_info = {key: value for key, value in (("title", title), ("description", description)) if value}
        creator, forced = {}, []
        if post_mode == "MEDIA_UPLOAD":
            refuse_direct_only(direct_only)
        else:
            settings, creator, forced = await direct_photo_settings(context, direct_only)
            post_info.update(settings)
        body = photo_init_body(post_mode, post_info, photo_urls, cover_index)
        data = await call_tiktok(context, CONTENT_INIT_URL, body=body, publish=True)
        return ActionResult(
            data={
                "publish_id": _publish_id(data),
                "status": "PROCESSING_DOWNLOAD",
                "post_mode": post_mode,
                "photo_count": len(photo_urls),
                "creator_nickname": creator.get("creator_nickname"),
                "privacy_level": post_info.get("privacy_level"),
                "forced_settings": forced,
            }
        )


@tiktok.action("get_account_insights")
class GetAccountInsights(ActionHandler):
    @user_errors
    async def execute(self, inputs, context):
        video_count = whole_number(inputs.get("video_count", 20))
        try:
            user, missing = await fetch_user(context, ["user.info.stats"])
            missing = [scope for scope in missing if scope == "user.info.stats"]
        except TikTokError as error:
            if error.code not in SCOPE_REFUSALS:
                raise
            user, missing = {}, ["user.info.stats"]
        try:
            videos, _cursor, has_more = await list_videos(context, video_count, None)
        except TikTokError as error:
            if error.code not in SCOPE_REFUSALS:
                raise
            videos, has_more, missing = [], False, [*missing, "video.list"]
        videos, stats = videos[:video_count], normalize_user(user)
        return ActionResult(
            data={
                "follower_count": stats["follower_count"],
                "likes_count": stats["likes_count"],
                **account_insights(videos),
                "missing_scopes": missing,
                "explanation": insights_explanation(len(videos), video_count, has_more, missing),
            }
        )


@tiktok.connected_account()
class TikTokAccount(ConnectedAccountHandler):
    async def get_account_info(self, context):
        # On failure the SDK's guide asks for an exception with a clear message: the platform then logs it and
        # caches nothing, where an empty ConnectedAccountInfo would be cached as the account.
        try:
            with step_budget():
                user, _missing = await fetch_user(context, ["user.info.basic", "user.info.profile"])
        except UserFacingError as error:
            raise ConnectedAccountError(f"Could not read the connected TikTok account. {error}") from None
        except Exception as error:
            logger.warning("connected account lookup failed: %s", type(error).__name__)
            raise ConnectedAccountError(
                f"Could not read the connected TikTok account ({type(error).__name__}). Reconnect it, or try again "
                "in a minute."
            ) from None
        first, _, last = (user.get("display_name") or "").strip().partition(" ")
        return ConnectedAccountInfo(
            user_id=user.get("open_id"),
            username=user.get("username"),
            first_name=first or None,
            last_name=last.strip() or None,
            avatar_url=user.get("avatar_large_url") or user.get("avatar_url"),
        )
