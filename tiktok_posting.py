"""Posting: the init, the upload or the pull, their fallbacks, and following a post to its live link.

TikTok's Content Posting API: https://developers.tiktok.com/doc/content-posting-api-reference-direct-post and
https://developers.tiktok.com/doc/content-posting-api-media-transfer-guide.
"""

import asyncio
import contextlib
import dataclasses
import time

from tiktok_api import (
    CONTENT_INIT_URL,
    MIN_REQUEST_S,
    SCOPE_REFUSALS,
    STATUS_URL,
    VIDEO_INIT_URL,
    InputError,
    TikTokError,
    UserFacingError,
    call_tiktok,
    check_count,
    format_size,
    normalize_status,
    query_creator,
    query_videos,
    status_flags,
    time_left,
)
import tiktok_media
import tiktok_transfer
from tiktok_transfer import plan_chunks, TRANSFER_DEADLINE_S

VIDEO_TITLE_MAX = 2200


PHOTO_TITLE_MAX = 90


PHOTO_DESCRIPTION_MAX = 4000


def check_text_limit(value: str | None, limit: int, name: str) -> None:
    """TikTok counts caption limits in UTF-16 code units: an emoji outside the BMP counts as two."""
    try:
        length = len((value or "").encode("utf-16-le")) // 2
    except UnicodeEncodeError:  # a lone surrogate: not text TikTok could store
        raise InputError(
            f"The {name} contains an invalid character (half of an emoji or symbol). Remove it; nothing was posted."
        ) from None
    if length > limit:
        raise InputError(
            f"The {name} is {length} characters long as TikTok counts them (UTF-16 units, an emoji "
            f"counts as 2); TikTok allows at most {limit}. Shorten it; nothing was posted."
        )


# TikTok's interaction settings and the inputs that turn them on.
ALLOW_INPUTS = {"disable_comment": "allow_comments", "disable_duet": "allow_duet", "disable_stitch": "allow_stitch"}


async def check_creator_settings(context, privacy_level: str, brand_content: bool, requested: dict[str, bool]):
    """The creator's current options, once the settings fit them; returns them with the interactions to send and
    those forced off. Interactions the creator switched off in TikTok must be sent disabled."""
    # Branded content cannot be private (TikTok documents no error for it, so the client must refuse).
    if brand_content and privacy_level == "SELF_ONLY":
        raise InputError(
            "Branded content (brand_content_toggle) cannot be posted with privacy level SELF_ONLY: TikTok requires "
            "paid partnerships to be visible to others. Choose another privacy level or turn branded content off; "
            "nothing was posted."
        )
    creator = await query_creator(context)
    options = creator["privacy_level_options"]
    if privacy_level not in options:
        offered = ", ".join(options) if options else "none"
        raise InputError(
            f"This TikTok account does not offer the privacy level {privacy_level} right now. "
            f"It offers: {offered}. Choose one of those (run Get Creator Info to see them); nothing was posted."
        )
    # disable_comment is forced on when the creator has comment_disabled, and so on for duet and stitch.
    forced = [
        key for key, value in requested.items() if not value and creator.get(f"{key.removeprefix('disable_')}_disabled")
    ]
    return creator, {**requested, **dict.fromkeys(forced, True)}, [ALLOW_INPUTS[key] for key in forced]


# The fields the post-link lookup asks /v2/video/query/ for (https://developers.tiktok.com/doc/tiktok-api-v2-video-query).
POST_LINK_FIELDS = ("id", "share_url", "embed_link", "cover_image_url")
# A post's links before TikTok gives them; post_id is the public post id itself, post_url its share_url's address.
NO_POST_LINKS = dict.fromkeys(("post_id", "post_url", *POST_LINK_FIELDS[1:]))


# Who sees a post at each privacy level, as the explanations say it.
AUDIENCE = {
    "PUBLIC_TO_EVERYONE": "everyone",
    "FOLLOWER_OF_CREATOR": "the creator's followers",
    "MUTUAL_FOLLOW_FRIENDS": "the creator's friends",
    "SELF_ONLY": "the creator only",
}


FOLLOW_IT = "run Get Post Status with the publish_id to follow it."


def posting_explanation(privacy_level: str | None, what: str = "the video") -> str:
    """What happens after a post or draft starts: a direct post shows for its audience, an inbox post waits for
    the creator (privacy_level None)."""
    if privacy_level is None:
        return (
            f"TikTok is taking {what}; the creator then gets a notification in the TikTok app to finish and post it "
            f"(status SEND_TO_USER_INBOX): {FOLLOW_IT}"
        )
    return (
        f"TikTok is processing {what}; the post appears for {AUDIENCE[privacy_level]} within a few minutes: {FOLLOW_IT}"
    )


# get_post_status polls at most every 2 s: TikTok allows 30 status requests a minute
# (https://developers.tiktok.com/doc/tiktok-api-v2-rate-limit).
STATUS_POLL_INTERVAL_S = 2.0


async def publish_video(context, init_url: str, spec, post_info: dict | None = None, max_duration=None) -> dict:
    """Init a video (with post_info for a direct post) and move its bytes; returns as soon as TikTok has them.

    The video's facts are read and TikTok's media rules applied before any init, for every kind of source."""
    body = {} if post_info is None else {"post_info": post_info}
    if spec.kind != "pull":
        return await upload_video(context, init_url, spec, body, max_duration)
    checked = await check_pull_link(spec.url, max_duration, post_info)
    try:
        pull_body = {**body, "source_info": {"source": "PULL_FROM_URL", "video_url": spec.url}}
        data = await call_tiktok(context, init_url, body=pull_body, publish=True)
        return {"publish_id": _publish_id(data), "status": "PROCESSING_DOWNLOAD", "source": "PULL_FROM_URL"}
    except TikTokError as error:
        # A definite refusal: TikTok created nothing, so the same step may upload the file itself. No other code
        # leads here, and an uncertain answer never does (it is not a TikTokError with this code).
        if error.code != "url_ownership_unverified" or not definite_refusal(error):
            raise
        refusal = error
    # TikTok refused to pull from an unverified domain: upload from the same link (FILE_UPLOAD, streamed).
    try:
        link = tiktok_transfer.SourceSpec("link", url=spec.url)
        result = await upload_video(context, init_url, link, body, max_duration, checked=checked)
    except UserFacingError as failure:
        # Both reasons in a line: TikTok's refusal, then why the integration's own upload failed, TikTok's log_id last.
        suffix = f" (TikTok log_id: {refusal.log_id})" if refusal.log_id else ""
        raise UserFacingError(
            "TikTok error url_ownership_unverified: TikTok only pulls from domains the app's owner verified, so the "
            f"integration uploaded the file from the link itself, and that failed too: {failure}{suffix}"
        ) from None
    return {**result, "pull_refused": "url_ownership_unverified"}


async def upload_video(context, init_url: str, spec, body: dict, max_duration, checked=None) -> dict:
    """FILE_UPLOAD: check the facts (unless `checked` is the link's source whose facts the pull preflight already
    checked), init with a chunk plan, then send the chunks."""
    # Moving the bytes (download and upload) has its own deadline; the init request between them is bounded by
    # its own timeout, so a slow TikTok is reported as such and never as a video too large to move.
    moving_until = time.monotonic() + min(TRANSFER_DEADLINE_S, time_left() - MIN_REQUEST_S)
    source = checked or await within_transfer_deadline(open_video(spec), moving_until)
    try:
        if not checked:  # refused before any init
            check_facts(tiktok_media.inspect_video(source.read_at, source.size), max_duration, body.get("post_info"))
        # After TikTok's definite refusal of the first plan's chunk size, one other legal plan; never a third init.
        plans = [plan_chunks(source.size)]
        for plan in plans:
            try:
                source_info = plan.source_info()
                data = await call_tiktok(context, init_url, body={**body, "source_info": source_info}, publish=True)
                break
            except TikTokError as refusal:
                if not chunk_size_refused(refusal, plan):
                    raise
                if len(plans) > 1 or (another := tiktok_transfer.alternative_plan(plan)) is None:
                    raise chunk_plans_refused(plans, refusal) from None
                # A streamed source's first part, already read, grows to the new plan's.
                if isinstance(source, tiktok_transfer.StreamSource):
                    await within_transfer_deadline(source.prime(another.ranges()[0][1] + 1), moving_until)
                plans.append(another)
        publish_id = _publish_id(data)
        upload_url = tiktok_transfer.link_guard.check_upload_url(data.get("upload_url"))
        status = "PROCESSING_UPLOAD"
        try:
            await within_transfer_deadline(
                tiktok_transfer.upload_chunks(source, plan, upload_url, source.content_type), moving_until
            )
        except tiktok_transfer.UploadUnconfirmed as unconfirmed:
            status = await settle_upload(context, publish_id, plan.video_size, unconfirmed)
        except tiktok_transfer.TransferError:
            # A part read from the link as it was sent: when reading failed, say so rather than blame TikTok.
            if (failure := getattr(source, "failure", None)) is not None:
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
        "content_type": source.content_type,
    }


def definite_refusal(error: TikTokError) -> bool:
    """A 4xx with TikTok's error code: the request created nothing. After a 5xx the post may exist, whatever the
    code says, so nothing that could post again (a fallback upload, a second init) may follow it."""
    return error.http_status is not None and 400 <= error.http_status < 500


def chunk_size_refused(error: TikTokError, plan) -> bool:
    """TikTok's definite refusal of a multi-chunk plan ("The chunk size is invalid"): nothing was created."""
    chunk_code = error.code in ("invalid_params", "invalid_param") and "chunk" in error.detail.lower()
    return chunk_code and plan.count > 1 and definite_refusal(error)


def chunk_plans_refused(plans, refusal: TikTokError) -> UserFacingError:
    """TikTok refused every chunk plan tried: what the user can do."""
    tried = " and ".join(f"{p.count} parts of {p.chunk_size:,} bytes" for p in plans)
    says = f" TikTok says: {refusal.detail.rstrip('.')}." if refusal.detail else ""
    log = f" (TikTok log_id: {refusal.log_id})" if refusal.log_id else ""
    return UserFacingError(
        f"TikTok error {refusal.code}: TikTok refused to take this {format_size(plans[0].video_size)} video in "
        f"several parts (tried {tried}).{says} TikTok has been refusing uploads in several parts since about "
        "August 2026, and a video over 64 MB cannot go in one; nothing was posted. Post a file of at most "
        f"64,000,000 bytes (it goes in one part).{log}"
    )


# A pull link's facts and the photos' heads are read within this long; what does not answer in time is left to TikTok.
PREFLIGHT_S = 8.0


async def open_video(spec, whole: bool = True) -> tiktok_transfer.VideoSource:
    """The video as a source with its facts at hand, before any init: inline content is its own source; a link
    is read without the token through the link guard, by Range where its host answers Range (see open_link)."""
    return spec.inline if spec.kind == "inline" else await tiktok_transfer.open_link(spec.url, whole=whole)


def check_facts(facts: tiktok_media.VideoFacts, max_duration, post_info: dict | None) -> None:
    """TikTok's media rules, then the cover frame chosen: TikTok takes one past the end without a word."""
    tiktok_media.check_media(facts, max_duration)
    cover_ms = (post_info or {}).get("video_cover_timestamp_ms") or 0
    if facts.duration_seconds is not None and cover_ms >= facts.duration_seconds * 1000 > 0:
        raise InputError(
            f"cover_frame_seconds is {cover_ms / 1000:g}, but the video is {round(facts.duration_seconds, 3):g} "
            "seconds long. Choose a moment within the video, or leave it out for the first frame; nothing was posted."
        )


async def check_pull_link(url: str, max_duration, post_info: dict | None) -> tiktok_transfer.VideoSource | None:
    """TikTok pulls the very same public link, so it is read the same way first. A link that cannot be read from
    here is left to TikTok (a fact that could not be read is no reason to refuse). Returns the link's source when
    its host answers Range (the fallback upload reads it from there), else None."""
    try:
        async with asyncio.timeout(max(0.0, min(PREFLIGHT_S, time_left() - 2 * MIN_REQUEST_S))):
            source = await tiktok_transfer.open_link(url, whole=False)
    except tiktok_media.NotAVideo:
        raise  # read, and not a video
    except (UserFacingError, TimeoutError):
        return None
    check_facts(tiktok_media.inspect_video(source.read_at, source.size), max_duration, post_info)
    return source if isinstance(source, tiktok_transfer.RangeSource) and source.content_type else None


async def within_transfer_deadline(step, until: float):
    """Run one part of moving the bytes; past the deadline, stop with what the user can do about it, naming who
    stopped: the video's link host, TikTok's upload server, or neither (the video is too large for one step)."""
    watch = tiktok_transfer.TransferWatch()
    token = tiktok_transfer.transfer_watch.set(watch)
    try:
        async with asyncio.timeout(until - time.monotonic()) as deadline:
            return await step
    except TimeoutError:
        if not deadline.expired():
            raise
        if watch.last_part_sent:
            raise tiktok_transfer.UploadUnconfirmed("TikTok's upload server stopped answering") from None
        link_stalled = watch.uploading and watch.reading
        if link_stalled or watch.stalled():
            who, doing = ("The video's link host", "read") if link_stalled else ("TikTok's upload server", "sent")
            advice = "Check the link and run the step again" if link_stalled else "Run the step again in a few minutes"
            raise tiktok_transfer.TransferError(
                f"{who} stopped answering while part {watch.part} of {watch.parts} of the video was being {doing}. "
                f"Nothing was posted (TikTok discards an upload that never completes). {advice}."
            ) from None
        raise tiktok_transfer.TransferError(
            f"The video is too large to move to TikTok within one workflow step ({TRANSFER_DEADLINE_S:.0f} s at "
            "most). Nothing was posted. Post a smaller file, or use pull_from_url if the link is on a domain "
            "TikTok pulls from (one the app's owner verified)."
        ) from None
    finally:
        tiktok_transfer.transfer_watch.reset(token)


# Statuses that come only after TikTok holds the whole upload (FAILED also says no post exists).
AFTER_UPLOAD = ("SEND_TO_USER_INBOX", "PUBLISH_COMPLETE")


async def settle_upload(
    context, publish_id: str, video_size: int, unconfirmed: tiktok_transfer.UploadUnconfirmed
) -> str:
    """The last part went out but TikTok's upload server did not confirm it: ask TikTok's status before saying
    anything, since the post may exist. Returns the status when it shows that the whole video arrived."""
    status = {}
    # No answer (call_tiktok sends nothing when the step has no time left) says nothing either way.
    with contextlib.suppress(UserFacingError):
        answer = await call_tiktok(context, STATUS_URL, body={"publish_id": publish_id}, retry_429=False)
        status = normalize_status(answer)
    held = status["uploaded_bytes"] if status.get("status") == "PROCESSING_UPLOAD" else None
    if status.get("status") in AFTER_UPLOAD or (held or 0) >= video_size:
        return status["status"]
    if status.get("status") == "FAILED":
        raise tiktok_transfer.TransferError(unconfirmed.refusal or f"{status['explanation']} Nothing was posted.")
    # Refused, and TikTok's status confirms it lacks part of the video.
    if unconfirmed.refusal and held is not None:
        raise tiktok_transfer.TransferError(unconfirmed.refusal)
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


async def follow_post(context, publish_id: str, wait_seconds: int, privacy_level: str | None = None) -> dict:
    """The post's status, polled every STATUS_POLL_INTERVAL_S (TikTok allows 30 status requests a minute) for up to
    wait_seconds until it is final or waits on the creator, then its live links once TikTok reports a public id."""
    # Polling leaves room in the step for its last request and for the link lookup after it.
    stop_at = time.monotonic() + min(wait_seconds, time_left() - 2 * MIN_REQUEST_S)
    while True:
        answer = await call_tiktok(context, STATUS_URL, body={"publish_id": publish_id}, retry_429=False)
        status = normalize_status(answer)
        if status["is_final"] or status["waiting_on_user"] or time.monotonic() + STATUS_POLL_INTERVAL_S > stop_at:
            break
        await asyncio.sleep(STATUS_POLL_INTERVAL_S)
    return {**status, **await live_links(context, status, privacy_level)}


async def live_links(context, status: dict, privacy_level: str | None) -> dict:
    """share_url and co. of the first public post id, from /v2/video/query/ (scope video.list, its own rate limit:
    https://developers.tiktok.com/doc/tiktok-api-v2-video-query). Never fails: the post is made whatever happens."""
    links = {**NO_POST_LINKS, "missing_scopes": []}
    if status["status"] != "PUBLISH_COMPLETE":
        return links
    post_ids = status["publicaly_available_post_id"]
    if not post_ids:
        # A post everyone sees gets its public id once it passes moderation, any other post never does; Get Post
        # Status does not know the privacy level (None), so it says both.
        why = (
            "Published. A post everyone sees gets its public id and link once it passes TikTok's moderation (a minute "
            "to hours): run Get Post Status again later."
            + (" Other posts never get them." if privacy_level is None else "")
        )
        if privacy_level not in (None, "PUBLIC_TO_EVERYONE"):
            why = f"Published for {AUDIENCE[privacy_level]}: only a post everyone sees gets a public id and link."
        return {**links, "explanation": why}
    # One inbox draft posted several times has several ids: the first is the link's.
    post_id = links["post_id"] = post_ids[0]
    try:
        videos = await query_videos(context, [post_id], POST_LINK_FIELDS)
    except UserFacingError as error:
        if getattr(error, "code", None) in SCOPE_REFUSALS:
            why = (
                f"Published (post id {post_id}). Its share link needs the video.list permission, which the TikTok "
                "account did not grant (see missing_scopes); reconnect it with that permission to get links."
            )
            return {**links, "missing_scopes": ["video.list"], "explanation": why}
        why = f"its link could not be looked up{_code_note(error)}: run Get Post Status again in a minute to get it."
        return {**links, "explanation": f"Published (post id {post_id}); {why}"}
    found = next((video for video in videos if video["id"] == post_id), {})
    links.update({name: found.get(name) or None for name in (*POST_LINK_FIELDS[1:], "post_url")})
    if links["share_url"] is None:
        why = f"Published (post id {post_id}); TikTok did not return its link yet: run Get Post Status again later."
    else:
        why = "Published and public: post_url links to the post."
    return {**links, "explanation": why}


def _code_note(error: UserFacingError) -> str:
    return f" (TikTok error {error.code})" if isinstance(error, TikTokError) and error.code else ""


async def confirm_post(context, publish_id: str, wait_seconds: int, privacy_level: str) -> dict:
    """After a direct post: with wait_seconds, its status and links within what is left of the step. A failure
    here never fails the step: the video is already with TikTok, and running the step again would post it twice."""
    pending = {
        # Not published, failed or final yet: TikTok has only just taken the video.
        **dict.fromkeys(("published", "failed", "is_final"), False),
        "fail_reason": None,
        "publicaly_available_post_id": [],
        **NO_POST_LINKS,
        "missing_scopes": [],
        "explanation": posting_explanation(privacy_level),
    }
    if not wait_seconds:
        return pending
    try:
        status = await follow_post(context, publish_id, wait_seconds, privacy_level)
    except UserFacingError as error:
        why = (
            f"The video was sent to TikTok, but its status could not be checked within this step{_code_note(error)}. "
            f"Do not run this step again, or the video may be posted twice. {pending['explanation']}"
        )
        return {**pending, "explanation": why}
    if not status["is_final"]:
        status["explanation"] = f"{status['explanation']} {pending['explanation']}"
    return {"status": status["status"], **{key: status[key] for key in pending}}


async def video_report(context, spec) -> dict:
    """check_video's answer: the facts, the rules they break and the rules that could not be checked. The account's
    longest allowed video comes from creator info, which needs video.publish; without it, unchecked says why."""
    max_seconds = why_no_limit = None
    try:
        max_seconds = (await query_creator(context))["max_video_post_duration_sec"]
    except TikTokError as error:
        if error.code == "access_token_invalid":
            raise
        why_no_limit = f"TikTok did not give it right now ({error.code or 'no error code'})"
        if error.code in SCOPE_REFUSALS:
            why_no_limit = "the connection did not grant video.publish, which TikTok needs to tell it"
    report = dict.fromkeys(("container", "codec", "duration_seconds", "width", "height", "frame_rate", "size_bytes"))
    report.update(ok=False, problems=[tiktok_media.NOT_A_VIDEO], max_duration_seconds=max_seconds, unchecked=[])
    if spec is None:
        return report
    try:
        moving_until = time.monotonic() + min(TRANSFER_DEADLINE_S, time_left() - MIN_REQUEST_S)
        source = await within_transfer_deadline(open_video(spec, whole=False), moving_until)
    except tiktok_media.NotAVideo:
        return report
    facts, size = tiktok_media.inspect_video(source.read_at, source.size), source.size
    await source.aclose()
    if source.content_type is None:  # the link answered with no bytes (see open_link): there is nothing to check
        return report | {"problems": ["The video link sent no data, so nothing could be checked. Check the link."]}
    problems = tiktok_media.media_problems(facts, max_seconds)
    duration = None if facts.duration_seconds is None else round(facts.duration_seconds, 3)
    unchecked = tiktok_media.unchecked_rules(facts, max_seconds, why_no_limit)
    # A host without Range is read in order, only up to a cap: say so when the facts lie further in.
    cap = tiktok_transfer.PROBE_READ_CAP
    if unchecked and type(source) is tiktok_transfer.ByteWindows and len(source.read_at(0, cap)) >= cap:
        why = "its host does not send parts of a file on request, so the rest was not downloaded to check it"
        unchecked.insert(0, f"Only the first {format_size(cap)} of the video were read: {why}.")
    report.update(dataclasses.asdict(facts), codec=facts.codec_name, duration_seconds=duration, size_bytes=size)
    return report | {"ok": not problems, "problems": problems, "unchecked": unchecked}


async def post_video(context, spec, post_info: dict, wait_seconds: int) -> dict:
    """create_video_post: the settings and the creator's current options checked, the video's facts checked and its
    bytes moved (or pulled), then the post followed for wait_seconds. `post_info` holds the settings by TikTok's
    names (https://developers.tiktok.com/doc/content-posting-api-reference-direct-post), None where not given."""
    privacy_level, brand_content = post_info["privacy_level"], post_info["brand_content_toggle"]
    check_text_limit(post_info["title"], VIDEO_TITLE_MAX, "caption")
    requested = {name: post_info[name] for name in ALLOW_INPUTS}
    creator, interactions, forced = await check_creator_settings(context, privacy_level, brand_content, requested)
    # Both brand toggles are always sent; the caption, the cover frame and the AI label (None when off) only when
    # given.
    post_info = {key: value for key, value in (post_info | interactions).items() if value not in (None, "")}
    result = await publish_video(context, VIDEO_INIT_URL, spec, post_info, creator["max_video_post_duration_sec"])
    return {
        **result,
        "creator_nickname": creator["creator_nickname"],
        "privacy_level": privacy_level,
        "forced_settings": forced,
        **await confirm_post(context, result["publish_id"], wait_seconds, privacy_level),
    }


def link_label(link) -> str:
    """A photo link as a refusal names it: host and file name, never the query (pre-signed links carry keys)."""
    name = link.path.rstrip("/").rsplit("/", 1)[-1]
    label = f"{link.host}/…/{name}" if link.path.count("/") > 1 else f"{link.host}/{name}"
    return label if len(label) <= 80 else label[:79] + "…"


async def post_photos(context, photo_urls: list[str], cover_photo: int, post_mode: str, text: dict, direct_only: dict):
    """create_photo_post: up to 35 photo links checked (each one's head read), then handed to TikTok to pull, as a
    direct post or to the creator's inbox. `text`: title and description by TikTok's names; `direct_only`: the
    inputs only a DIRECT_POST takes (with MEDIA_UPLOAD the creator chooses them in the TikTok app)."""
    check_count(photo_urls, "photo_urls", 35, "links", "TikTok takes at most 35 photos in one post.")
    links = [
        tiktok_transfer.check_link(url, f"photo link #{position}") for position, url in enumerate(photo_urls, start=1)
    ]
    count = len(photo_urls)
    if not 1 <= cover_photo <= count:
        choose = "1, the only photo" if count == 1 else f"a number from 1 to {count}"
        raise InputError(
            f"cover_photo is {cover_photo}, but photos are counted from 1 and this post has {count}: choose "
            f"{choose}. Nothing was posted."
        )
    check_text_limit(text["title"], PHOTO_TITLE_MAX, "photo title")
    check_text_limit(text["description"], PHOTO_DESCRIPTION_MAX, "caption")
    # Before the init, each photo's first 64 KiB (one ranged GET, no token, through the link guard): JPEG or WebP by
    # signature, at most 20 MB and 1080 pixels (TikTok's image restrictions). A photo that cannot be read is left to
    # TikTok, which still pulls the photos itself.
    answers = await tiktok_transfer.probe_photos(photo_urls, min(PREFLIGHT_S, time_left() - 2 * MIN_REQUEST_S))
    verdicts = [
        tiktok_media.photo_verdict(position, link_label(link), *answer)
        for position, (link, answer) in enumerate(zip(links, answers, strict=True), start=1)
        if answer is not None
    ]
    if problems := [problem for problem, _warning in verdicts if problem]:
        raise InputError(" ".join(problems) + " Nothing was posted.")
    post_info = {key: value for key, value in text.items() if value}
    creator, forced = {}, []
    if post_mode == "MEDIA_UPLOAD":
        # With MEDIA_UPLOAD the creator decides these in the TikTok app: a value given here would be ignored. A
        # false toggle is the schema's default (a form may send it) and asks for nothing.
        if given := [name for name, value in direct_only.items() if value not in (None, False)]:
            names = f"{', '.join(given[:-1])} and {given[-1]}" if len(given) > 1 else given[0]
            raise InputError(
                f"With MEDIA_UPLOAD the creator chooses {names} in the TikTok app: leave "
                f"{'them' if len(given) > 1 else 'it'} out, or use DIRECT_POST. Nothing was posted."
            )
    else:
        # A DIRECT_POST's settings, checked against the creator's current options
        # (https://developers.tiktok.com/doc/content-posting-api-reference-photo-post).
        privacy_level, brand_content = direct_only["privacy_level"], bool(direct_only["brand_content_toggle"])
        if privacy_level is None:
            raise InputError(
                "privacy_level is required for DIRECT_POST. Run Get Creator Info for the options; nothing was posted."
            )
        # Comments stay off unless the user allowed them (TikTok's posting guidelines).
        requested = {"disable_comment": not direct_only["allow_comments"]}
        creator, interactions, forced = await check_creator_settings(context, privacy_level, brand_content, requested)
        post_info |= {
            "privacy_level": privacy_level,
            **interactions,
            "auto_add_music": bool(direct_only["auto_add_music"]),
            "brand_content_toggle": brand_content,
            "brand_organic_toggle": bool(direct_only["brand_organic_toggle"]),
        }
    body = {
        "media_type": "PHOTO",
        "post_mode": post_mode,
        "post_info": post_info,
        # Photos are always pulled by TikTok from the given links.
        "source_info": {"source": "PULL_FROM_URL", "photo_images": photo_urls, "photo_cover_index": cover_photo - 1},
    }
    data = await call_tiktok(context, CONTENT_INIT_URL, body=body, publish=True)
    return {
        "publish_id": _publish_id(data),
        "status": "PROCESSING_DOWNLOAD",
        **status_flags("PROCESSING_DOWNLOAD"),
        "post_mode": post_mode,
        "photo_count": count,
        "creator_nickname": creator.get("creator_nickname"),
        "privacy_level": post_info.get("privacy_level"),
        "forced_settings": forced,
        "explanation": posting_explanation(post_info.get("privacy_level"), "the photos"),
        "photo_warnings": [warning for _problem, warning in verdicts if warning],
    }
