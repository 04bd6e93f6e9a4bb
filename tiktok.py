"""TikTok for Autohive: post videos and photos, send drafts to the inbox, read the account and its videos.

One small handler per action. Calling TikTok and reading its answers live in tiktok_api.py; posting (init,
upload or pull, their fallbacks, following a post) in tiktok_posting.py; moving bytes (sources, link safety,
the chunked upload) in tiktok_transfer.py; a video's and a photo's facts and TikTok's media rules in
tiktok_media.py.
"""

import logging

from autohive_integrations_sdk import (
    ActionHandler,
    ActionResult,
    ConnectedAccountHandler,
    ConnectedAccountInfo,
    Integration,
    PollingTriggerHandler,
)

from tiktok_api import (
    CREATOR_CAP_CODES,
    INBOX_INIT_URL,
    SCOPE_REFUSALS,
    USER_FIELDS_BY_SCOPE,
    VIDEO_FIELDS,
    VIDEO_QUERY_URL,
    ConnectedAccountError,
    InputError,
    TikTokError,
    UserFacingError,
    account_insights,
    call_tiktok,
    cannot_post_reason,
    check_count,
    check_length,
    check_pattern,
    check_unique,
    fetch_user,
    insights_explanation,
    list_videos,
    normalize_creator,
    normalize_user,
    normalize_videos,
    query_creator,
    step_budget,
    user_errors,
    whole_number,
)
from tiktok_api import new_videos, trigger_errors, videos_reaching
from tiktok_media import NotAVideo
from tiktok_posting import follow_post, post_photos, post_video, publish_video, video_report
from tiktok_transfer import resolve_video_source

tiktok = Integration.load()


logger = logging.getLogger("tiktok")


@tiktok.action("get_user_info")
class GetUserInfo(ActionHandler):
    @user_errors
    async def execute(self, inputs, context):
        user, missing = await fetch_user(context, list(USER_FIELDS_BY_SCOPE))
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
            unknown = dict.fromkeys(normalize_creator({})) | {"privacy_level_options": []}
            reason = cannot_post_reason(error.code, error.log_id)
            return ActionResult(data={**unknown, "can_post": False, "cannot_post_reason": reason})
        if not creator["privacy_level_options"]:
            reason = "TikTok offers no privacy level for this account right now, so it cannot post: try again later."
            return ActionResult(data={**creator, "can_post": False, "cannot_post_reason": reason})
        return ActionResult(data={**creator, "can_post": True, "cannot_post_reason": None})


@tiktok.action("create_video_post")
class CreateVideoPost(ActionHandler):
    @user_errors
    async def execute(self, inputs, context):
        spec = resolve_video_source(
            inputs.get("file"), inputs.get("files"), inputs.get("video_url"), inputs.get("pull_from_url", False)
        )
        chosen = {
            "privacy_level": inputs["privacy_level"],
            "title": inputs.get("title"),
            "disable_comment": inputs.get("disable_comment", True),
            "disable_duet": inputs.get("disable_duet", True),
            "disable_stitch": inputs.get("disable_stitch", True),
            "video_cover_timestamp_ms": whole_number(inputs.get("video_cover_timestamp_ms")),
            "brand_content_toggle": inputs.get("brand_content_toggle", False),
            "brand_organic_toggle": inputs.get("brand_organic_toggle", False),
            "is_aigc": inputs.get("is_aigc", False),
        }
        wait_seconds = whole_number(inputs.get("wait_seconds", 0))
        return ActionResult(data=await post_video(context, spec, chosen, wait_seconds))


@tiktok.action("upload_video_draft")
class UploadVideoDraft(ActionHandler):
    @user_errors
    async def execute(self, inputs, context):
        spec = resolve_video_source(
            inputs.get("file"), inputs.get("files"), inputs.get("video_url"), inputs.get("pull_from_url", False)
        )
        return ActionResult(data=await publish_video(context, INBOX_INIT_URL, spec))


@tiktok.action("check_video")
class CheckVideo(ActionHandler):
    @user_errors
    async def execute(self, inputs, context):
        try:
            spec = resolve_video_source(inputs.get("file"), inputs.get("files"), inputs.get("video_url"), False)
        except NotAVideo:
            spec = None
        return ActionResult(data=await video_report(context, spec))


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
        for position, video_id in enumerate(inputs["video_ids"], start=1):
            check_pattern(video_id, r"\s*[0-9]{1,32}\s*", f"Video id #{position}", "a TikTok video id (1 to 32 digits)")
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
        cover_index = whole_number(inputs.get("photo_cover_index", 0))
        post_mode = inputs.get("post_mode", "DIRECT_POST")
        text = {"title": inputs.get("title"), "description": inputs.get("description")}
        direct_only = {
            "privacy_level": inputs.get("privacy_level"),
            "disable_comment": inputs.get("disable_comment"),
            "auto_add_music": inputs.get("auto_add_music"),
            "brand_content_toggle": inputs.get("brand_content_toggle"),
            "brand_organic_toggle": inputs.get("brand_organic_toggle"),
        }
        data = await post_photos(context, inputs["photo_urls"], cover_index, post_mode, text, direct_only)
        return ActionResult(data=data)


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


@tiktok.polling_trigger("new_video")
class NewVideo(PollingTriggerHandler):
    @trigger_errors
    async def poll(self, inputs, last_poll_ts, context):
        return [{"id": video["id"], "data": video} for video in await new_videos(context, last_poll_ts)]


@tiktok.polling_trigger("video_reached_views")
class VideoReachedViews(PollingTriggerHandler):
    @trigger_errors
    async def poll(self, inputs, last_poll_ts, context):
        views = whole_number(inputs.get("views", 10000))
        within_days = whole_number(inputs.get("within_days", 30))
        return [
            {"id": f"{video['id']}:{views}", "data": {**video, "views_threshold": views}}
            for video in await videos_reaching(context, views, within_days)
        ]


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
