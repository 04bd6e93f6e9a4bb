"""TikTok for Autohive: post videos and photos, send drafts to the inbox, read the account and its videos.

One small handler per action. Calling TikTok and reading its answers live in tiktok_api.py; posting (init,
upload or pull, their fallbacks, following a post) in tiktok_posting.py; moving bytes (sources, link safety,
the chunked upload) in tiktok_transfer.py; a video's and a photo's facts and TikTok's media rules in
tiktok_media.py.
"""

import os
import sys

# The platform imports this file from its folder; the sibling modules (tiktok_*.py, names no other integration
# uses) are found beside it however the folder was put on the path.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from autohive_integrations_sdk import (
    ActionHandler,
    ActionResult,
    ConnectedAccountHandler,
    ConnectedAccountInfo,
    Integration,
    PollingTriggerHandler,
)

import tiktok_api
from tiktok_media import NotAVideo
from tiktok_posting import follow_post, post_photos, post_video, posting_explanation, publish_video, video_report
from tiktok_transfer import resolve_video_source


class CheckedIntegration(Integration):
    """The SDK's Integration, with what every handler shares in one place: an input the action or trigger does not
    declare is refused in words before it runs (no typo is dropped silently), and every failure reaches the user
    as a plain sentence: an ActionError from an action, the exception the SDK passes on from a trigger."""

    def action(self, name: str):
        register = super().action(name)

        def decorator(handler):
            handler.execute = tiktok_api.user_errors(handler.execute, self.config.actions[name])
            return register(handler)

        return decorator

    def polling_trigger(self, name: str):
        register = super().polling_trigger(name)

        def decorator(handler):
            handler.poll = tiktok_api.trigger_errors(handler.poll, self.config.polling_triggers[name])
            return register(handler)

        return decorator


tiktok = CheckedIntegration.load()


@tiktok.action("get_user_info")
class GetUserInfo(ActionHandler):
    async def execute(self, inputs, context):
        user, missing = await tiktok_api.fetch_user(context, list(tiktok_api.USER_FIELDS_BY_SCOPE))
        return ActionResult(data={**tiktok_api.normalize_user(user), "missing_scopes": missing})


@tiktok.action("get_creator_info")
class GetCreatorInfo(ActionHandler):
    async def execute(self, inputs, context):
        reason = "TikTok offers no privacy level for this account right now, so it cannot post: try again later."
        try:
            creator = await tiktok_api.query_creator(context)
            reason = None if creator["privacy_level_options"] else reason
        except tiktok_api.TikTokError as error:
            if error.code not in tiktok_api.CREATOR_CAP_CODES:
                raise
            # A posting cap or ban is an answer a workflow can branch on; TikTok sends no creator details with it.
            creator = dict.fromkeys(tiktok_api.normalize_creator({})) | {"privacy_level_options": []}
            reason = tiktok_api.cannot_post_reason(error.code, error.log_id)
        return ActionResult(data={**creator, "can_post": reason is None, "cannot_post_reason": reason})


@tiktok.action("create_video_post")
class CreateVideoPost(ActionHandler):
    async def execute(self, inputs, context):
        spec = resolve_video_source(
            inputs.get("file"), inputs.get("files"), inputs.get("video_url"), inputs.get("pull_from_url", False)
        )
        cover_seconds = inputs.get("cover_frame_seconds")
        # By TikTok's names: interactions are sent as disable_*, the cover frame in milliseconds.
        post_info = {
            "privacy_level": inputs["privacy_level"],
            "title": inputs.get("caption"),
            "disable_comment": not inputs.get("allow_comments", False),
            "disable_duet": not inputs.get("allow_duet", False),
            "disable_stitch": not inputs.get("allow_stitch", False),
            "video_cover_timestamp_ms": None if cover_seconds is None else round(cover_seconds * 1000),
            "brand_content_toggle": inputs.get("brand_content_toggle", False),
            "brand_organic_toggle": inputs.get("brand_organic_toggle", False),
            "is_aigc": inputs.get("is_aigc", False) or None,
        }
        wait_seconds = tiktok_api.whole_number(inputs.get("wait_seconds", 0))
        return ActionResult(data=await post_video(context, spec, post_info, wait_seconds))


@tiktok.action("upload_video_draft")
class UploadVideoDraft(ActionHandler):
    async def execute(self, inputs, context):
        spec = resolve_video_source(
            inputs.get("file"), inputs.get("files"), inputs.get("video_url"), inputs.get("pull_from_url", False)
        )
        result = await publish_video(context, tiktok_api.INBOX_INIT_URL, spec)
        explanation = posting_explanation(None)
        return ActionResult(data={**result, **tiktok_api.status_flags(result["status"]), "explanation": explanation})


@tiktok.action("check_video")
class CheckVideo(ActionHandler):
    async def execute(self, inputs, context):
        try:
            spec = resolve_video_source(inputs.get("file"), inputs.get("files"), inputs.get("video_url"), False)
        except NotAVideo:
            spec = None
        return ActionResult(data=await video_report(context, spec))


@tiktok.action("get_post_status")
class GetPostStatus(ActionHandler):
    async def execute(self, inputs, context):
        publish_id = inputs["publish_id"].strip()
        wait_seconds = tiktok_api.whole_number(inputs.get("wait_seconds", 0))
        advice = "Use the publish_id a post or draft step returned."
        tiktok_api.check_length(publish_id, "publish_id", minimum=1, maximum=64, advice=advice)
        status = await follow_post(context, publish_id, wait_seconds)
        return ActionResult(data={"publish_id": publish_id, **status})


@tiktok.action("get_videos")
class GetVideos(ActionHandler):
    async def execute(self, inputs, context):
        max_count = tiktok_api.whole_number(inputs.get("max_count", 20))
        cursor = tiktok_api.whole_number(inputs.get("cursor"))
        videos, cursor, has_more = await tiktok_api.list_videos(context, max_count, cursor)
        return ActionResult(data={"videos": videos, "cursor": cursor, "has_more": has_more})


@tiktok.action("get_video")
class GetVideo(ActionHandler):
    async def execute(self, inputs, context):
        video_ids = tiktok_api.read_video_ids(inputs["video_ids"])
        videos = await tiktok_api.query_videos(context, video_ids)
        found = {v["id"] for v in videos}
        return ActionResult(data={"videos": videos, "not_found": [v for v in video_ids if v not in found]})


@tiktok.action("create_photo_post")
class CreatePhotoPost(ActionHandler):
    async def execute(self, inputs, context):
        cover_photo = tiktok_api.whole_number(inputs.get("cover_photo", 1))
        post_mode = inputs.get("post_mode", "DIRECT_POST")
        text = {"title": inputs.get("title"), "description": inputs.get("caption")}
        # Given or not (None) by the user's names: with MEDIA_UPLOAD a given one is refused, else defaults apply.
        direct_only = {
            "privacy_level": inputs.get("privacy_level"),
            "allow_comments": inputs.get("allow_comments"),
            "auto_add_music": inputs.get("auto_add_music"),
            "brand_content_toggle": inputs.get("brand_content_toggle"),
            "brand_organic_toggle": inputs.get("brand_organic_toggle"),
        }
        data = await post_photos(context, inputs["photo_urls"], cover_photo, post_mode, text, direct_only)
        return ActionResult(data=data)


@tiktok.action("get_account_insights")
class GetAccountInsights(ActionHandler):
    async def execute(self, inputs, context):
        video_count = tiktok_api.whole_number(inputs.get("video_count", 20))
        stats = tiktok_api.fetch_user(context, ["user.info.stats"])
        user, missing = await tiktok_api.unless_scope_refused(stats, ({}, ["user.info.stats"]))
        missing = [scope for scope in missing if scope == "user.info.stats"]
        listing = await tiktok_api.unless_scope_refused(tiktok_api.list_videos(context, video_count, None), None)
        if listing is None:
            missing.append("video.list")
        videos, _cursor, has_more = listing or ([], None, False)
        videos, stats = videos[:video_count], tiktok_api.normalize_user(user)
        return ActionResult(
            data={
                "follower_count": stats["follower_count"],
                "likes_count": stats["likes_count"],
                **tiktok_api.account_insights(videos),
                "missing_scopes": missing,
                "explanation": tiktok_api.insights_explanation(len(videos), video_count, has_more, missing),
            }
        )


@tiktok.polling_trigger("new_video")
class NewVideo(PollingTriggerHandler):
    async def poll(self, inputs, last_poll_ts, context):
        return [{"id": video["id"], "data": video} for video in await tiktok_api.new_videos(context, last_poll_ts)]


@tiktok.polling_trigger("video_reached_views")
class VideoReachedViews(PollingTriggerHandler):
    async def poll(self, inputs, last_poll_ts, context):
        views = tiktok_api.whole_number(inputs.get("views", 10000))
        within_days = tiktok_api.whole_number(inputs.get("within_days", 30))
        return [
            {"id": f"{video['id']}:{views}", "data": {**video, "views_threshold": views}}
            for video in await tiktok_api.videos_reaching(context, views, within_days)
        ]


@tiktok.connected_account()
class TikTokAccount(ConnectedAccountHandler):
    async def get_account_info(self, context):
        # On failure the SDK's guide asks for an exception with a clear message: the platform then logs it and
        # caches nothing, where an empty ConnectedAccountInfo would be cached as the account.
        try:
            with tiktok_api.step_budget():
                user, _missing = await tiktok_api.fetch_user(context, ["user.info.basic", "user.info.profile"])
        except tiktok_api.UserFacingError as error:
            raise tiktok_api.ConnectedAccountError(f"Could not read the connected TikTok account. {error}") from None
        except Exception as error:
            tiktok_api.logger.warning("connected account lookup failed: %s", type(error).__name__)
            raise tiktok_api.ConnectedAccountError(
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
