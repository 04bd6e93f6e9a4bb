"""Request shapes, input checks and error translation for every action, run through execute_action.

Most tests use `mock_context` (a MagicMock whose fetch is an AsyncMock returning FetchResponse envelopes) and
assert the exact context.fetch calls and the exact result. Where the upload PUT is involved the `sandbox` +
`context` fixtures are used instead: the PUT goes through the integration's own aiohttp session, which a
MagicMock context cannot see. Deep upload and fault scenarios live in test_contract_unit.py.

Section numbers (§) point into shared/docs/tiktok-api.md.
"""

import asyncio
import base64
import json
import time
import types
from unittest.mock import call

import aiohttp
import pytest
from autohive_integrations_sdk import ConnectedAccountInfo, FetchResponse, HTTPError, RateLimitError, ResultType

from tests.conftest import TOKEN, ok

pytestmark = pytest.mark.unit

# ---- TikTok's contract, spelled out literally (never imported from the code under test) -----------------------------

USER_INFO = "https://open.tiktokapis.com/v2/user/info/"
CREATOR_INFO = "https://open.tiktokapis.com/v2/post/publish/creator_info/query/"
VIDEO_INIT = "https://open.tiktokapis.com/v2/post/publish/video/init/"
INBOX_INIT = "https://open.tiktokapis.com/v2/post/publish/inbox/video/init/"
CONTENT_INIT = "https://open.tiktokapis.com/v2/post/publish/content/init/"
STATUS = "https://open.tiktokapis.com/v2/post/publish/status/fetch/"
VIDEO_LIST = "https://open.tiktokapis.com/v2/video/list/"
VIDEO_QUERY = "https://open.tiktokapis.com/v2/video/query/"
INIT_URLS = (VIDEO_INIT, INBOX_INIT, CONTENT_INIT)

JSON_UTF8 = {"Content-Type": "application/json; charset=UTF-8"}
TIMEOUT = 15

BASIC_FIELDS = "open_id,union_id,avatar_url,avatar_url_100,avatar_large_url,display_name"
PROFILE_FIELDS = "username,bio_description,profile_deep_link,profile_web_link,is_verified"
STATS_FIELDS = "follower_count,following_count,likes_count,video_count"
ALL_USER_FIELDS = f"{BASIC_FIELDS},{PROFILE_FIELDS},{STATS_FIELDS}"
VIDEO_FIELDS = (
    "id,title,video_description,create_time,cover_image_url,share_url,embed_link,duration,width,height,"
    "like_count,comment_count,share_count,view_count"
)

LOG_ID = "20261121093000A1B2C3D4E5F6A7B8C9D0"
VERIFIED = "https://media.sandbox.example/verified/"
PULL_URL = VERIFIED + "clip.mp4"
PHOTOS = [VERIFIED + "one.webp", VERIFIED + "two.webp", VERIFIED + "three.webp"]
BIG_ID = 7321456789012345678  # a 19-digit id: a float would round it to ...5680
BIG_ID_TEXT = "7321456789012345678"


# ---- Doubles and helpers ------------------------------------------------------------------------------------------


def request(url, method="POST", params=None, body=None):
    """The exact context.fetch call the integration makes for one TikTok request."""
    return call(url, method=method, params=params, json=body, headers=JSON_UTF8, timeout=TIMEOUT, retry_count=3)


def envelope(code, message="", log_id=LOG_ID, log_key="log_id"):
    return {"data": {}, "error": {"code": code, "message": message, log_key: log_id}}


def tiktok_error(status, code, message=None, log_id=LOG_ID, log_key="log_id"):
    """A TikTok error delivered the way the SDK hands it over: 200 as a FetchResponse, 429 as RateLimitError with
    the JSON body as text, any other status as HTTPError with the parsed JSON body."""
    body = envelope(code, f"TikTok says {code}." if message is None else message, log_id, log_key)
    if status == 200:
        return FetchResponse(status=200, headers={"Content-Type": "application/json"}, data=body)
    if status == 429:
        return RateLimitError(60, 429, "Rate limit exceeded", json.dumps(body))
    return HTTPError(status, str(body), body)


def always(mock_context, answer):
    """Every fetch gets the same answer: raised if it is an exception, returned otherwise."""
    if isinstance(answer, BaseException):
        mock_context.fetch.side_effect = answer
    else:
        mock_context.fetch.return_value = answer


def fetched(mock_context):
    return mock_context.fetch.await_args_list


def urls(mock_context):
    return [c.args[0] for c in fetched(mock_context)]


def data_of(result):
    assert result.type == ResultType.ACTION, result.result
    return result.result.data


def message_of(result):
    assert result.type == ResultType.ACTION_ERROR, result.result
    return result.result.message


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def creator(**changes):
    data = {
        "creator_avatar_url": "https://p16.tiktokcdn.example/avatar.jpeg",
        "creator_username": "ada.films",
        "creator_nickname": "Ada Films",
        "privacy_level_options": ["PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "SELF_ONLY"],
        "comment_disabled": False,
        "duet_disabled": False,
        "stitch_disabled": False,
        "max_video_post_duration_sec": 300,
    }
    data.update(changes)
    return data


def video(video_id, likes=0, comments=0, shares=0, views=0, **extra):
    return {
        "id": video_id,
        "like_count": likes,
        "comment_count": comments,
        "share_count": shares,
        "view_count": views,
        **extra,
    }


def videos(count, start=7300000000000000000):
    return [video(str(start + n), views=10) for n in range(count)]


def status_data(status, **extra):
    return {"status": status, **extra}


# ---- get_user_info --------------------------------------------------------------------------------------------------

BASIC_USER = {
    "open_id": "-000abc123",
    "union_id": "c9c60f44-union",
    "avatar_url": "https://p16.example/a~168.jpeg",
    "avatar_url_100": "https://p16.example/a~100.jpeg",
    "avatar_large_url": "https://p16.example/a~1080.jpeg",
    "display_name": "Ada Lovelace",
}
PROFILE_USER = {
    "username": "ada.films",
    "bio_description": "Short films.",
    "profile_deep_link": "https://vm.tiktok.com/ZMabc/",
    "profile_web_link": "https://www.tiktok.com/@ada.films",
    "is_verified": False,
}
STATS_USER = {"follower_count": 1234, "following_count": 56, "likes_count": 78901, "video_count": 45}
NO_STATS = {"follower_count": None, "following_count": None, "likes_count": None, "video_count": None}
NO_PROFILE = {
    "username": None,
    "bio_description": None,
    "profile_deep_link": None,
    "profile_web_link": None,
    "is_verified": None,
}


class TestGetUserInfo:
    async def test_all_fields_in_the_query_string(self, integration, mock_context):
        mock_context.fetch.side_effect = [ok({"user": {**BASIC_USER, **PROFILE_USER, **STATS_USER}})]

        result = await integration.execute_action("get_user_info", {}, mock_context)

        assert fetched(mock_context) == [request(USER_INFO, "GET", params={"fields": ALL_USER_FIELDS})]
        assert data_of(result) == {**BASIC_USER, **PROFILE_USER, **STATS_USER, "missing_scopes": []}

    @pytest.mark.parametrize(("status", "code"), [(400, "scope_permission_missed"), (401, "scope_not_authorized")])
    async def test_refused_stats_degrade_to_basic_and_profile(self, integration, mock_context, status, code):
        mock_context.fetch.side_effect = [
            tiktok_error(status, code),
            ok({"user": {**BASIC_USER, **PROFILE_USER}}),
            tiktok_error(status, code),
        ]

        result = await integration.execute_action("get_user_info", {}, mock_context)

        assert fetched(mock_context) == [
            request(USER_INFO, "GET", params={"fields": ALL_USER_FIELDS}),
            request(USER_INFO, "GET", params={"fields": f"{BASIC_FIELDS},{PROFILE_FIELDS}"}),
            request(USER_INFO, "GET", params={"fields": f"{BASIC_FIELDS},{STATS_FIELDS}"}),
        ]
        assert data_of(result) == {**BASIC_USER, **PROFILE_USER, **NO_STATS, "missing_scopes": ["user.info.stats"]}

    async def test_only_basic_granted_asks_for_basic_alone(self, integration, mock_context):
        refused = tiktok_error(400, "scope_permission_missed")
        mock_context.fetch.side_effect = [refused, refused, refused, ok({"user": BASIC_USER})]

        result = await integration.execute_action("get_user_info", {}, mock_context)

        assert fetched(mock_context) == [
            request(USER_INFO, "GET", params={"fields": ALL_USER_FIELDS}),
            request(USER_INFO, "GET", params={"fields": f"{BASIC_FIELDS},{PROFILE_FIELDS}"}),
            request(USER_INFO, "GET", params={"fields": f"{BASIC_FIELDS},{STATS_FIELDS}"}),
            request(USER_INFO, "GET", params={"fields": BASIC_FIELDS}),
        ]
        assert data_of(result) == {
            **BASIC_USER,
            **NO_PROFILE,
            **NO_STATS,
            "missing_scopes": ["user.info.profile", "user.info.stats"],
        }

    async def test_silently_dropped_stats_fields_are_named_missing(self, integration, mock_context):
        mock_context.fetch.side_effect = [ok({"user": {**BASIC_USER, **PROFILE_USER}})]

        result = await integration.execute_action("get_user_info", {}, mock_context)

        assert fetched(mock_context) == [request(USER_INFO, "GET", params={"fields": ALL_USER_FIELDS})]
        assert data_of(result) == {**BASIC_USER, **PROFILE_USER, **NO_STATS, "missing_scopes": ["user.info.stats"]}

    async def test_invalid_token_asks_to_reconnect_and_ends_with_the_log_id(self, integration, mock_context):
        mock_context.fetch.side_effect = [tiktok_error(401, "access_token_invalid", "The access token is invalid.")]

        message = message_of(await integration.execute_action("get_user_info", {}, mock_context))

        assert "access_token_invalid" in message
        assert "Reconnect the TikTok account" in message
        assert message.endswith(f"(TikTok log_id: {LOG_ID})")
        assert TOKEN not in message
        assert len(fetched(mock_context)) == 1  # not probed scope by scope

    async def test_other_error_while_probing_is_reported(self, integration, mock_context):
        mock_context.fetch.side_effect = [
            tiktok_error(400, "scope_permission_missed"),
            tiktok_error(500, "internal_error"),
        ]

        message = message_of(await integration.execute_action("get_user_info", {}, mock_context))

        assert "internal_error" in message and LOG_ID in message
        assert len(fetched(mock_context)) == 2

    async def test_a_429_on_a_read_is_retried(self, integration, mock_context):
        user = {**BASIC_USER, **PROFILE_USER, **STATS_USER}
        mock_context.fetch.side_effect = [tiktok_error(429, "rate_limit_exceeded"), ok({"user": user})]

        result = await integration.execute_action("get_user_info", {}, mock_context)

        assert data_of(result) == {**user, "missing_scopes": []}
        assert fetched(mock_context) == [request(USER_INFO, "GET", params={"fields": ALL_USER_FIELDS})] * 2

    async def test_a_429_that_persists_ends_after_three_attempts(self, integration, mock_context):
        mock_context.fetch.side_effect = tiktok_error(429, "rate_limit_exceeded")

        message = message_of(await integration.execute_action("get_user_info", {}, mock_context))

        assert "rate_limit_exceeded" in message and "Wait a minute" in message
        assert len(fetched(mock_context)) == 3


# ---- get_creator_info -----------------------------------------------------------------------------------------------


class TestGetCreatorInfo:
    async def test_empty_post_and_every_field(self, integration, mock_context):
        mock_context.fetch.side_effect = [ok(creator(stitch_disabled=True))]

        result = await integration.execute_action("get_creator_info", {}, mock_context)

        assert fetched(mock_context) == [request(CREATOR_INFO)]
        assert data_of(result) == {
            "creator_nickname": "Ada Films",
            "creator_username": "ada.films",
            "creator_avatar_url": "https://p16.tiktokcdn.example/avatar.jpeg",
            "privacy_level_options": ["PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "SELF_ONLY"],
            "comment_disabled": False,
            "duet_disabled": False,
            "stitch_disabled": True,
            "max_video_post_duration_sec": 300,
            "can_post": True,
            "cannot_post_reason": None,
        }

    async def test_missing_flags_default_to_enabled_interactions(self, integration, mock_context):
        mock_context.fetch.side_effect = [ok({"creator_nickname": "Ada", "privacy_level_options": ["SELF_ONLY"]})]

        result = await integration.execute_action("get_creator_info", {}, mock_context)

        assert data_of(result) == {
            "creator_nickname": "Ada",
            "creator_username": None,
            "creator_avatar_url": None,
            "privacy_level_options": ["SELF_ONLY"],
            "comment_disabled": False,
            "duet_disabled": False,
            "stitch_disabled": False,
            "max_video_post_duration_sec": None,
            "can_post": True,
            "cannot_post_reason": None,
        }


# ---- create_video_post ----------------------------------------------------------------------------------------------

POSTED_EXPLANATION = (
    "TikTok may take a few minutes to process the post before it appears on the profile; run Get Post Status with "
    "the publish_id to follow it."
)
DEFAULT_POST_INFO = {
    "disable_comment": True,
    "disable_duet": True,
    "disable_stitch": True,
    "brand_content_toggle": False,
    "brand_organic_toggle": False,
}


class TestCreateVideoPost:
    async def test_pull_from_url_with_defaults(self, integration, mock_context):
        mock_context.fetch.side_effect = [ok(creator()), ok({"publish_id": "v_pub_url~v2.123456789"})]
        inputs = {"video_url": PULL_URL, "pull_from_url": True, "privacy_level": "PUBLIC_TO_EVERYONE"}

        result = await integration.execute_action("create_video_post", inputs, mock_context)

        assert fetched(mock_context) == [
            request(CREATOR_INFO),
            request(
                VIDEO_INIT,
                body={
                    "post_info": {"privacy_level": "PUBLIC_TO_EVERYONE", **DEFAULT_POST_INFO},
                    "source_info": {"source": "PULL_FROM_URL", "video_url": PULL_URL},
                },
            ),
        ]
        assert data_of(result) == {
            "publish_id": "v_pub_url~v2.123456789",
            "status": "PROCESSING_DOWNLOAD",
            "source": "PULL_FROM_URL",
            "creator_nickname": "Ada Films",
            "privacy_level": "PUBLIC_TO_EVERYONE",
            "forced_settings": [],
            "is_final": False,
            "fail_reason": None,
            "publicaly_available_post_id": [],
            "video_id": None,
            "share_url": None,
            "embed_link": None,
            "cover_image_url": None,
            "missing_scopes": [],
            "explanation": POSTED_EXPLANATION,
        }

    async def test_every_option_reaches_post_info(self, integration, mock_context):
        mock_context.fetch.side_effect = [ok(creator()), ok({"publish_id": "v_pub_url~v2.1"})]
        inputs = {
            "video_url": PULL_URL,
            "pull_from_url": True,
            "privacy_level": "MUTUAL_FOLLOW_FRIENDS",
            "title": "A #cat video for @friend 🐈",
            "disable_comment": False,
            "disable_duet": False,
            "disable_stitch": False,
            "video_cover_timestamp_ms": 1500,
            "brand_content_toggle": True,
            "brand_organic_toggle": True,
            "is_aigc": True,
        }

        result = await integration.execute_action("create_video_post", inputs, mock_context)

        assert fetched(mock_context)[1] == request(
            VIDEO_INIT,
            body={
                "post_info": {
                    "privacy_level": "MUTUAL_FOLLOW_FRIENDS",
                    "title": "A #cat video for @friend 🐈",
                    "disable_comment": False,
                    "disable_duet": False,
                    "disable_stitch": False,
                    "video_cover_timestamp_ms": 1500,
                    "brand_content_toggle": True,
                    "brand_organic_toggle": True,
                    "is_aigc": True,
                },
                "source_info": {"source": "PULL_FROM_URL", "video_url": PULL_URL},
            },
        )
        assert data_of(result)["forced_settings"] == []

    async def test_title_of_exactly_2200_utf16_units_is_sent(self, integration, mock_context):
        mock_context.fetch.side_effect = [ok(creator()), ok({"publish_id": "v_pub_url~v2.7"})]
        title = "😀" * 1100  # 1100 characters, 2200 UTF-16 units
        inputs = {"video_url": PULL_URL, "pull_from_url": True, "privacy_level": "SELF_ONLY", "title": title}

        data_of(await integration.execute_action("create_video_post", inputs, mock_context))

        assert fetched(mock_context)[1].kwargs["json"]["post_info"]["title"] == title

    async def test_interactions_the_creator_switched_off_are_forced(self, integration, mock_context):
        mock_context.fetch.side_effect = [
            ok(creator(comment_disabled=True, duet_disabled=True, stitch_disabled=True)),
            ok({"publish_id": "v_pub_url~v2.2"}),
        ]
        inputs = {
            "video_url": PULL_URL,
            "pull_from_url": True,
            "privacy_level": "SELF_ONLY",
            "disable_comment": False,
            "disable_duet": False,
            "disable_stitch": True,
        }

        result = await integration.execute_action("create_video_post", inputs, mock_context)

        body = fetched(mock_context)[1].kwargs["json"]
        assert body["post_info"] == {"privacy_level": "SELF_ONLY", **DEFAULT_POST_INFO}
        assert data_of(result)["forced_settings"] == ["disable_comment", "disable_duet"]

    @pytest.mark.parametrize("code", ["spam_risk_too_many_posts", "spam_risk_user_banned_from_posting"])
    async def test_creator_who_cannot_post_stops_before_init(self, integration, mock_context, code):
        mock_context.fetch.side_effect = [tiktok_error(200, code)]
        inputs = {"video_url": PULL_URL, "pull_from_url": True, "privacy_level": "PUBLIC_TO_EVERYONE"}

        message = message_of(await integration.execute_action("create_video_post", inputs, mock_context))

        assert code in message and LOG_ID in message
        assert urls(mock_context) == [CREATOR_INFO]

    async def test_inline_file_init_body_and_put_headers(self, integration, sandbox, context):
        clip = sandbox.make_mp4(4096, duration_s=12.0)
        inputs = {
            "file": {"name": "clip.mp4", "contentType": "video/mp4", "content": b64(clip)},
            "privacy_level": "PUBLIC_TO_EVERYONE",
            "title": "Sunset 🌅 #nofilter",
        }

        result = await integration.execute_action("create_video_post", inputs, context)

        data = data_of(result)
        assert list(sandbox.publishes) == [data["publish_id"]]
        assert data == {
            "publish_id": data["publish_id"],
            "status": "PROCESSING_UPLOAD",
            "source": "FILE_UPLOAD",
            "video_size": 4096,
            "chunk_count": 1,
            "content_type": "video/mp4",
            "creator_nickname": "Sandbox Creator",
            "privacy_level": "PUBLIC_TO_EVERYONE",
            "forced_settings": [],
            "is_final": False,
            "fail_reason": None,
            "publicaly_available_post_id": [],
            "video_id": None,
            "share_url": None,
            "embed_link": None,
            "cover_image_url": None,
            "missing_scopes": [],
            "explanation": POSTED_EXPLANATION,
        }
        assert [r.endpoint for r in sandbox.requests] == ["creator_info", "video_init", "upload"]
        (init,) = sandbox.calls("video_init")
        assert init.json == {
            "post_info": {"privacy_level": "PUBLIC_TO_EVERYONE", "title": "Sunset 🌅 #nofilter", **DEFAULT_POST_INFO},
            "source_info": {"source": "FILE_UPLOAD", "video_size": 4096, "chunk_size": 4096, "total_chunk_count": 1},
        }
        (put,) = sandbox.calls("upload")
        assert put.method == "PUT"
        assert dict(put.headers) == {
            "Content-Type": "video/mp4",
            "Content-Length": "4096",
            "Content-Range": "bytes 0-4095/4096",
        }
        assert put.token is None  # the TikTok login never goes to the upload host
        assert sandbox.upload_for(data["publish_id"]).received == 4096

    async def test_inline_file_with_comments_off_in_tiktok(self, integration, sandbox, context):
        sandbox.account.comment_disabled = True
        inputs = {
            "files": [{"name": "clip.mp4", "content": b64(sandbox.make_mp4(2048))}],
            "privacy_level": "SELF_ONLY",
            "disable_comment": False,
            "disable_duet": False,
        }

        result = await integration.execute_action("create_video_post", inputs, context)

        assert data_of(result)["forced_settings"] == ["disable_comment"]
        (init,) = sandbox.calls("video_init")
        assert init.json["post_info"] == {
            "privacy_level": "SELF_ONLY",
            "disable_comment": True,
            "disable_duet": False,
            "disable_stitch": True,
            "brand_content_toggle": False,
            "brand_organic_toggle": False,
        }
        assert len(sandbox.calls("upload")) == 1

    async def test_video_longer_than_the_creator_may_post_stops_before_init(self, integration, mock_context, sandbox):
        mock_context.fetch.side_effect = [ok(creator(max_video_post_duration_sec=60))]
        inputs = {"file": {"content": b64(sandbox.make_mp4(2048, duration_s=61.5))}, "privacy_level": "SELF_ONLY"}

        message = message_of(await integration.execute_action("create_video_post", inputs, mock_context))

        assert "61.5 seconds" in message and "at most 60" in message
        assert urls(mock_context) == [CREATOR_INFO]

    async def test_privacy_level_the_creator_does_not_offer_stops_before_init(self, integration, mock_context):
        options = ["FOLLOWER_OF_CREATOR", "MUTUAL_FOLLOW_FRIENDS", "SELF_ONLY"]
        mock_context.fetch.side_effect = [ok(creator(privacy_level_options=options))]
        inputs = {"video_url": PULL_URL, "pull_from_url": True, "privacy_level": "PUBLIC_TO_EVERYONE"}

        message = message_of(await integration.execute_action("create_video_post", inputs, mock_context))

        assert "does not offer the privacy level PUBLIC_TO_EVERYONE" in message
        assert "FOLLOWER_OF_CREATOR, MUTUAL_FOLLOW_FRIENDS, SELF_ONLY" in message
        assert urls(mock_context) == [CREATOR_INFO]

    async def test_init_answer_without_publish_id_is_an_error(self, integration, mock_context):
        mock_context.fetch.side_effect = [ok(creator()), ok({})]
        inputs = {"video_url": PULL_URL, "pull_from_url": True, "privacy_level": "SELF_ONLY"}

        message = message_of(await integration.execute_action("create_video_post", inputs, mock_context))

        assert "returned no publish_id" in message


# ---- upload_video_draft ---------------------------------------------------------------------------------------------


class TestUploadVideoDraft:
    async def test_pull_from_url_sends_source_info_only(self, integration, mock_context):
        mock_context.fetch.side_effect = [ok({"publish_id": "v_inbox_url~v2.123456789"})]
        inputs = {"video_url": PULL_URL, "pull_from_url": True}

        result = await integration.execute_action("upload_video_draft", inputs, mock_context)

        assert fetched(mock_context) == [
            request(INBOX_INIT, body={"source_info": {"source": "PULL_FROM_URL", "video_url": PULL_URL}})
        ]
        assert data_of(result) == {
            "publish_id": "v_inbox_url~v2.123456789",
            "status": "PROCESSING_DOWNLOAD",
            "source": "PULL_FROM_URL",
        }

    @pytest.mark.parametrize(
        ("make", "content_type"),
        [("make_mp4", "video/mp4"), ("make_mov", "video/quicktime"), ("make_webm", "video/webm")],
    )
    async def test_inline_file_init_body_and_put_headers(self, integration, sandbox, context, make, content_type):
        clip = getattr(sandbox, make)(3000)
        inputs = {"file": {"name": "clip", "content": "data:application/octet-stream;base64," + b64(clip)}}

        result = await integration.execute_action("upload_video_draft", inputs, context)

        data = data_of(result)
        assert data == {
            "publish_id": data["publish_id"],
            "status": "PROCESSING_UPLOAD",
            "source": "FILE_UPLOAD",
            "video_size": 3000,
            "chunk_count": 1,
            "content_type": content_type,
        }
        assert [r.endpoint for r in sandbox.requests] == ["inbox_init", "upload"]
        (init,) = sandbox.calls("inbox_init")
        assert init.json == {
            "source_info": {"source": "FILE_UPLOAD", "video_size": 3000, "chunk_size": 3000, "total_chunk_count": 1}
        }
        (put,) = sandbox.calls("upload")
        assert dict(put.headers) == {
            "Content-Type": content_type,
            "Content-Length": "3000",
            "Content-Range": "bytes 0-2999/3000",
        }
        assert sandbox.upload_for(data["publish_id"]).received == 3000


# ---- get_post_status ------------------------------------------------------------------------------------------------

PUBLISH_ID = "v_pub_file~v2-1.7321456789012345678"


class TestGetPostStatus:
    async def test_one_request_without_waiting(self, integration, mock_context):
        mock_context.fetch.side_effect = [ok(status_data("PROCESSING_UPLOAD", uploaded_bytes=1024))]

        result = await integration.execute_action("get_post_status", {"publish_id": f"  {PUBLISH_ID} "}, mock_context)

        assert fetched(mock_context) == [request(STATUS, body={"publish_id": PUBLISH_ID})]
        assert data_of(result) == {
            "publish_id": PUBLISH_ID,
            "status": "PROCESSING_UPLOAD",
            "is_final": False,
            "waiting_on_user": False,
            "fail_reason": None,
            "publicaly_available_post_id": [],
            "uploaded_bytes": 1024,
            "downloaded_bytes": None,
            "explanation": "TikTok is receiving and processing the uploaded video.",
            "video_id": None,
            "share_url": None,
            "embed_link": None,
            "cover_image_url": None,
            "missing_scopes": [],
        }

    async def test_wait_zero_is_one_request_even_while_processing(self, integration, mock_context):
        mock_context.fetch.side_effect = [ok(status_data("PROCESSING_DOWNLOAD", downloaded_bytes=5))]

        result = await integration.execute_action(
            "get_post_status", {"publish_id": PUBLISH_ID, "wait_seconds": 0}, mock_context
        )

        assert len(fetched(mock_context)) == 1
        assert data_of(result)["status"] == "PROCESSING_DOWNLOAD"
        assert data_of(result)["downloaded_bytes"] == 5

    @pytest.mark.parametrize(
        ("final", "is_final", "waiting_on_user"),
        [("PUBLISH_COMPLETE", True, False), ("FAILED", True, False), ("SEND_TO_USER_INBOX", False, True)],
    )
    async def test_waiting_polls_until_settled_then_stops(
        self, integration, mock_context, final, is_final, waiting_on_user
    ):
        mock_context.fetch.side_effect = [
            ok(status_data("PROCESSING_UPLOAD", uploaded_bytes=0)),
            ok(status_data("PROCESSING_UPLOAD", uploaded_bytes=2048)),
            ok(status_data(final)),
            ok(status_data("PUBLISH_COMPLETE")),  # must never be asked for
        ]

        result = await integration.execute_action(
            "get_post_status", {"publish_id": PUBLISH_ID, "wait_seconds": 10}, mock_context
        )

        assert fetched(mock_context) == [request(STATUS, body={"publish_id": PUBLISH_ID})] * 3
        data = data_of(result)
        assert (data["status"], data["is_final"], data["waiting_on_user"]) == (final, is_final, waiting_on_user)

    async def test_waiting_is_bounded_by_wait_seconds(self, integration, mock_context, tiktok_module, monkeypatch):
        monkeypatch.setattr(tiktok_module, "STATUS_POLL_INTERVAL_S", 0.2)
        mock_context.fetch.side_effect = lambda *args, **kwargs: ok(status_data("PROCESSING_UPLOAD"))

        started = time.monotonic()
        result = await integration.execute_action(
            "get_post_status", {"publish_id": PUBLISH_ID, "wait_seconds": 1}, mock_context
        )

        assert time.monotonic() - started < 1.5
        assert 2 <= len(fetched(mock_context)) <= 6
        assert data_of(result)["status"] == "PROCESSING_UPLOAD"
        assert data_of(result)["is_final"] is False

    async def test_post_ids_keep_all_19_digits(self, integration, mock_context):
        ids = [BIG_ID, 7321456789012345679, "7321456789012345680"]
        mock_context.fetch.side_effect = [
            ok(status_data("PUBLISH_COMPLETE", publicaly_available_post_id=ids)),
            ok({"videos": [{"id": BIG_ID_TEXT, "share_url": "https://www.tiktok.com/@ada.films/video/1"}]}),
        ]

        result = await integration.execute_action("get_post_status", {"publish_id": PUBLISH_ID}, mock_context)

        data = data_of(result)
        assert data["publicaly_available_post_id"] == [BIG_ID_TEXT, "7321456789012345679", "7321456789012345680"]
        assert data["is_final"] is True

    @pytest.mark.parametrize(
        ("reason", "advice"),
        [
            ("spam_risk_text", "judged the caption risky"),
            ("auth_removed", "Reconnect the TikTok account"),
            ("video_pull_failed", "could not download the video from the link"),
            ("frame_rate_check_failed", "23 to 60 frames per second"),
            ("internal", "Post again in a few minutes"),
            ("a_reason_from_the_future", "see TikTok's reason"),
        ],
    )
    async def test_fail_reason_is_explained(self, integration, mock_context, reason, advice):
        mock_context.fetch.side_effect = [ok(status_data("FAILED", fail_reason=reason, publicaly_available_post_id=[]))]

        data = data_of(await integration.execute_action("get_post_status", {"publish_id": PUBLISH_ID}, mock_context))

        assert data["fail_reason"] == reason
        assert data["explanation"].startswith(f"The post failed ({reason}): ")
        assert advice in data["explanation"]

    async def test_inbox_draft_tells_the_user_to_finish_it(self, integration, mock_context):
        mock_context.fetch.side_effect = [ok(status_data("SEND_TO_USER_INBOX"))]

        data = data_of(await integration.execute_action("get_post_status", {"publish_id": PUBLISH_ID}, mock_context))

        assert data["waiting_on_user"] is True and data["fail_reason"] is None
        assert "open the notification in the TikTok app" in data["explanation"]


# ---- get_videos -----------------------------------------------------------------------------------------------------


class TestGetVideos:
    async def test_default_is_one_request_of_twenty(self, integration, mock_context):
        mock_context.fetch.side_effect = [ok({"videos": videos(20), "cursor": 1700000000000, "has_more": True})]

        data = data_of(await integration.execute_action("get_videos", {}, mock_context))

        assert fetched(mock_context) == [request(VIDEO_LIST, params={"fields": VIDEO_FIELDS}, body={"max_count": 20})]
        assert len(data["videos"]) == 20
        assert (data["cursor"], data["has_more"]) == (1700000000000, True)

    async def test_pages_of_twenty_twenty_five_with_the_cursor_passed_on(self, integration, mock_context):
        mock_context.fetch.side_effect = [
            ok({"videos": videos(20, 7300000000000000100), "cursor": 1700000000000, "has_more": True}),
            ok({"videos": videos(20, 7300000000000000200), "cursor": 1690000000000, "has_more": True}),
            ok({"videos": videos(5, 7300000000000000300), "cursor": 1680000000000, "has_more": True}),
        ]

        data = data_of(await integration.execute_action("get_videos", {"max_count": 45}, mock_context))

        params = {"fields": VIDEO_FIELDS}
        assert fetched(mock_context) == [
            request(VIDEO_LIST, params=params, body={"max_count": 20}),
            request(VIDEO_LIST, params=params, body={"max_count": 20, "cursor": 1700000000000}),
            request(VIDEO_LIST, params=params, body={"max_count": 5, "cursor": 1690000000000}),
        ]
        assert len(data["videos"]) == 45
        assert data["videos"][0]["id"] == "7300000000000000100"
        assert data["videos"][-1]["id"] == "7300000000000000304"
        assert (data["cursor"], data["has_more"]) == (1680000000000, True)

    async def test_stops_when_has_more_is_false(self, integration, mock_context):
        mock_context.fetch.side_effect = [ok({"videos": videos(12), "cursor": 1600000000000, "has_more": False})]

        data = data_of(await integration.execute_action("get_videos", {"max_count": 45}, mock_context))

        assert len(fetched(mock_context)) == 1
        assert (len(data["videos"]), data["cursor"], data["has_more"]) == (12, 1600000000000, False)

    async def test_short_page_asks_for_the_rest(self, integration, mock_context):
        mock_context.fetch.side_effect = [
            ok({"videos": videos(8), "cursor": 1700000000000, "has_more": True}),
            ok({"videos": videos(12, 7300000000000000500), "cursor": 1650000000000, "has_more": False}),
        ]

        data = data_of(await integration.execute_action("get_videos", {"max_count": 20}, mock_context))

        assert [c.kwargs["json"] for c in fetched(mock_context)] == [
            {"max_count": 20},
            {"max_count": 12, "cursor": 1700000000000},
        ]
        assert (len(data["videos"]), data["has_more"]) == (20, False)

    async def test_given_cursor_goes_in_the_first_body(self, integration, mock_context):
        mock_context.fetch.side_effect = [ok({"videos": videos(3), "cursor": 1643332000000, "has_more": False})]

        await integration.execute_action("get_videos", {"max_count": 3, "cursor": 1643332803000}, mock_context)

        assert fetched(mock_context) == [
            request(VIDEO_LIST, params={"fields": VIDEO_FIELDS}, body={"max_count": 3, "cursor": 1643332803000})
        ]

    async def test_empty_pages_that_claim_more_are_bounded(self, integration, mock_context):
        mock_context.fetch.side_effect = lambda *a, **k: ok({"videos": [], "cursor": 1, "has_more": True})

        data = data_of(await integration.execute_action("get_videos", {"max_count": 20}, mock_context))

        assert len(fetched(mock_context)) == 4
        assert data == {"videos": [], "cursor": 1, "has_more": True}

    async def test_video_fields_engagement_and_exact_ids(self, integration, mock_context):
        full = video(
            BIG_ID,
            likes=30,
            comments=5,
            shares=5,
            views=1000,
            title="Title",
            video_description="Description #tag",
            create_time=1700000000,
            cover_image_url="https://p16.example/cover.jpeg",
            share_url="https://www.tiktok.com/@ada.films/video/7321456789012345678",
            embed_link="https://www.tiktok.com/embed/v2/7321456789012345678",
            duration=15,
            width=1080,
            height=1920,
        )
        mock_context.fetch.side_effect = [
            ok(
                {
                    "videos": [full, video("7300000000000000001", likes=1, views=3), video(7300000000000000002)],
                    "cursor": 1700000000000,
                    "has_more": False,
                }
            )
        ]

        data = data_of(await integration.execute_action("get_videos", {}, mock_context))

        assert data["videos"] == [
            {
                "id": BIG_ID_TEXT,
                "title": "Title",
                "video_description": "Description #tag",
                "create_time": 1700000000,
                "cover_image_url": "https://p16.example/cover.jpeg",
                "share_url": "https://www.tiktok.com/@ada.films/video/7321456789012345678",
                "embed_link": "https://www.tiktok.com/embed/v2/7321456789012345678",
                "duration": 15,
                "width": 1080,
                "height": 1920,
                "like_count": 30,
                "comment_count": 5,
                "share_count": 5,
                "view_count": 1000,
                "engagement_rate": 4.0,
            },
            {
                "id": "7300000000000000001",
                "title": None,
                "video_description": None,
                "create_time": None,
                "cover_image_url": None,
                "share_url": None,
                "embed_link": None,
                "duration": None,
                "width": None,
                "height": None,
                "like_count": 1,
                "comment_count": 0,
                "share_count": 0,
                "view_count": 3,
                "engagement_rate": 33.33,
            },
            {
                "id": "7300000000000000002",
                "title": None,
                "video_description": None,
                "create_time": None,
                "cover_image_url": None,
                "share_url": None,
                "embed_link": None,
                "duration": None,
                "width": None,
                "height": None,
                "like_count": 0,
                "comment_count": 0,
                "share_count": 0,
                "view_count": 0,
                "engagement_rate": 0.0,
            },
        ]


# ---- get_video ------------------------------------------------------------------------------------------------------


class TestGetVideo:
    async def test_filters_in_the_body_fields_in_the_query(self, integration, mock_context):
        mock_context.fetch.side_effect = [ok({"videos": [video(BIG_ID, likes=2, views=100)]})]
        inputs = {"video_ids": [f" {BIG_ID_TEXT} ", "7000000000000000001"]}

        data = data_of(await integration.execute_action("get_video", inputs, mock_context))

        assert fetched(mock_context) == [
            request(
                VIDEO_QUERY,
                params={"fields": VIDEO_FIELDS},
                body={"filters": {"video_ids": [BIG_ID_TEXT, "7000000000000000001"]}},
            )
        ]
        assert [v["id"] for v in data["videos"]] == [BIG_ID_TEXT]
        assert data["videos"][0]["engagement_rate"] == 2.0
        assert data["not_found"] == ["7000000000000000001"]

    async def test_none_found(self, integration, mock_context):
        mock_context.fetch.side_effect = [ok({"videos": [], "cursor": 0, "has_more": False})]

        data = data_of(await integration.execute_action("get_video", {"video_ids": ["1", "2"]}, mock_context))

        assert data == {"videos": [], "not_found": ["1", "2"]}


# ---- create_photo_post ----------------------------------------------------------------------------------------------


class TestCreatePhotoPost:
    async def test_direct_post_with_defaults(self, integration, mock_context):
        mock_context.fetch.side_effect = [ok(creator()), ok({"publish_id": "p_pub_url~v2.123456789"})]
        inputs = {"photo_urls": PHOTOS, "privacy_level": "PUBLIC_TO_EVERYONE"}

        result = await integration.execute_action("create_photo_post", inputs, mock_context)

        assert fetched(mock_context) == [
            request(CREATOR_INFO),
            request(
                CONTENT_INIT,
                body={
                    "media_type": "PHOTO",
                    "post_mode": "DIRECT_POST",
                    "post_info": {
                        "privacy_level": "PUBLIC_TO_EVERYONE",
                        "disable_comment": True,
                        "auto_add_music": False,
                        "brand_content_toggle": False,
                        "brand_organic_toggle": False,
                    },
                    "source_info": {"source": "PULL_FROM_URL", "photo_images": PHOTOS, "photo_cover_index": 0},
                },
            ),
        ]
        assert data_of(result) == {
            "publish_id": "p_pub_url~v2.123456789",
            "status": "PROCESSING_DOWNLOAD",
            "post_mode": "DIRECT_POST",
            "photo_count": 3,
            "creator_nickname": "Ada Films",
            "privacy_level": "PUBLIC_TO_EVERYONE",
            "forced_settings": [],
        }

    async def test_direct_post_with_every_option(self, integration, mock_context):
        mock_context.fetch.side_effect = [ok(creator()), ok({"publish_id": "p_pub_url~v2.9"})]
        inputs = {
            "photo_urls": PHOTOS,
            "photo_cover_index": 2,
            "post_mode": "DIRECT_POST",
            "privacy_level": "MUTUAL_FOLLOW_FRIENDS",
            "title": "Three 📸",
            "description": "Holiday #travel @friend",
            "disable_comment": False,
            "auto_add_music": True,
            "brand_content_toggle": True,
            "brand_organic_toggle": True,
        }

        await integration.execute_action("create_photo_post", inputs, mock_context)

        assert fetched(mock_context)[1] == request(
            CONTENT_INIT,
            body={
                "media_type": "PHOTO",
                "post_mode": "DIRECT_POST",
                "post_info": {
                    "title": "Three 📸",
                    "description": "Holiday #travel @friend",
                    "privacy_level": "MUTUAL_FOLLOW_FRIENDS",
                    "disable_comment": False,
                    "auto_add_music": True,
                    "brand_content_toggle": True,
                    "brand_organic_toggle": True,
                },
                "source_info": {"source": "PULL_FROM_URL", "photo_images": PHOTOS, "photo_cover_index": 2},
            },
        )

    async def test_title_and_description_at_their_utf16_limits_are_sent(self, integration, mock_context):
        mock_context.fetch.side_effect = [ok({"publish_id": "p_inbox_url~v2.8"})]
        title, description = "😀" * 45, "a" + "😀" * 1999 + "b"  # 90 and 4000 UTF-16 units
        inputs = {"photo_urls": PHOTOS, "post_mode": "MEDIA_UPLOAD", "title": title, "description": description}

        data_of(await integration.execute_action("create_photo_post", inputs, mock_context))

        assert fetched(mock_context)[0].kwargs["json"]["post_info"] == {"title": title, "description": description}

    async def test_comments_switched_off_in_tiktok_are_forced(self, integration, mock_context):
        mock_context.fetch.side_effect = [ok(creator(comment_disabled=True)), ok({"publish_id": "p_pub_url~v2.3"})]
        inputs = {"photo_urls": PHOTOS[:1], "privacy_level": "SELF_ONLY", "disable_comment": False}

        data = data_of(await integration.execute_action("create_photo_post", inputs, mock_context))

        assert fetched(mock_context)[1].kwargs["json"]["post_info"]["disable_comment"] is True
        assert data["forced_settings"] == ["disable_comment"]

    async def test_media_upload_skips_creator_info_and_post_settings(self, integration, mock_context):
        mock_context.fetch.side_effect = [ok({"publish_id": "p_inbox_url~v2.5"})]
        inputs = {"photo_urls": PHOTOS[:2], "post_mode": "MEDIA_UPLOAD", "title": "Draft", "description": "Later"}

        data = data_of(await integration.execute_action("create_photo_post", inputs, mock_context))

        assert fetched(mock_context) == [
            request(
                CONTENT_INIT,
                body={
                    "media_type": "PHOTO",
                    "post_mode": "MEDIA_UPLOAD",
                    "post_info": {"title": "Draft", "description": "Later"},
                    "source_info": {"source": "PULL_FROM_URL", "photo_images": PHOTOS[:2], "photo_cover_index": 0},
                },
            )
        ]
        assert data == {
            "publish_id": "p_inbox_url~v2.5",
            "status": "PROCESSING_DOWNLOAD",
            "post_mode": "MEDIA_UPLOAD",
            "photo_count": 2,
            "creator_nickname": None,
            "privacy_level": None,
            "forced_settings": [],
        }

    async def test_creator_at_the_app_cap_stops_before_init(self, integration, mock_context):
        mock_context.fetch.side_effect = [tiktok_error(200, "reached_active_user_cap")]
        inputs = {"photo_urls": PHOTOS, "privacy_level": "SELF_ONLY"}

        message = message_of(await integration.execute_action("create_photo_post", inputs, mock_context))

        assert "reached_active_user_cap" in message
        assert urls(mock_context) == [CREATOR_INFO]


# ---- Connected account ----------------------------------------------------------------------------------------------


class TestConnectedAccount:
    async def test_fills_every_field(self, integration, mock_context):
        mock_context.fetch.side_effect = [ok({"user": {**BASIC_USER, **PROFILE_USER, "display_name": "Ada  King "}})]

        result = await integration.get_connected_account(mock_context)

        assert fetched(mock_context) == [
            request(USER_INFO, "GET", params={"fields": f"{BASIC_FIELDS},{PROFILE_FIELDS}"})
        ]
        assert result.type == ResultType.CONNECTED_ACCOUNT
        assert result.result == ConnectedAccountInfo(
            user_id="-000abc123",
            username="ada.films",
            first_name="Ada",
            last_name="King",
            avatar_url="https://p16.example/a~1080.jpeg",
        )

    @pytest.mark.parametrize(
        ("display_name", "first", "last"),
        [("Ada Lovelace Byron", "Ada", "Lovelace Byron"), ("Ada", "Ada", None), ("", None, None), (None, None, None)],
    )
    async def test_display_name_split(self, integration, mock_context, display_name, first, last):
        mock_context.fetch.side_effect = [ok({"user": {"open_id": "-000x", "display_name": display_name}})]

        info = (await integration.get_connected_account(mock_context)).result

        assert (info.first_name, info.last_name) == (first, last)

    async def test_avatar_falls_back_to_the_small_one(self, integration, mock_context):
        user = {**BASIC_USER, **PROFILE_USER, "avatar_large_url": None}
        mock_context.fetch.side_effect = [ok({"user": user})]

        info = (await integration.get_connected_account(mock_context)).result

        assert info.avatar_url == "https://p16.example/a~168.jpeg"

    async def test_without_profile_scope_keeps_basic_fields(self, integration, mock_context):
        """basic+profile refused: the next request is basic alone (asking for basic+profile again cannot help)."""
        mock_context.fetch.side_effect = [tiktok_error(400, "scope_permission_missed"), ok({"user": BASIC_USER})]

        info = (await integration.get_connected_account(mock_context)).result

        assert fetched(mock_context) == [
            request(USER_INFO, "GET", params={"fields": f"{BASIC_FIELDS},{PROFILE_FIELDS}"}),
            request(USER_INFO, "GET", params={"fields": BASIC_FIELDS}),
        ]
        assert (info.user_id, info.username, info.first_name) == ("-000abc123", None, "Ada")

    @pytest.mark.parametrize(
        "failure",
        [
            tiktok_error(401, "access_token_invalid"),
            tiktok_error(400, "scope_permission_missed"),
            tiktok_error(429, "rate_limit_exceeded"),
            tiktok_error(500, "internal_error"),
            HTTPError(502, "<html>Bad Gateway</html>", "<html>Bad Gateway</html>"),
            asyncio.TimeoutError(),
            aiohttp.ClientConnectionError("connection reset"),
            RuntimeError("boom"),
            KeyError("user"),
        ],
        ids=lambda f: type(f).__name__,
    )
    async def test_any_failure_raises_a_clear_message_and_no_account_is_cached(
        self, integration, mock_context, failure
    ):
        """The SDK's connected-account guide: raise with a clear message; an empty account would be cached."""
        mock_context.fetch.side_effect = failure

        with pytest.raises(Exception, match=r"^Could not read the connected TikTok account") as raised:
            await integration.get_connected_account(mock_context)

        message = str(raised.value)
        assert TOKEN not in message and "<html>" not in message and "boom" not in message
        if isinstance(failure, (HTTPError, RateLimitError)) and isinstance(failure.response_data, dict):
            code = failure.response_data["error"]["code"]
            assert f"TikTok error {code}" in message and f"(TikTok log_id: {LOG_ID})" in message
        assert raised.value.__cause__ is None and raised.value.__suppress_context__

    async def test_http_200_error_code_raises_with_code_and_log_id(self, integration, mock_context):
        mock_context.fetch.side_effect = [tiktok_error(200, "internal_error")]

        with pytest.raises(Exception, match=r"TikTok error internal_error: .*\(TikTok log_id: ") as raised:
            await integration.get_connected_account(mock_context)

        assert str(raised.value).startswith("Could not read the connected TikTok account. TikTok error internal_error")


# ---- Bad inputs (item 6): refused before any request, or at least before any init ------------------------------------

MP4 = b64(bytes.fromhex("00000018667479706973736f6d0000020069736f6d69736f32") + bytes(200))
NOT_A_VIDEO = b64(b"GIF89a this is a picture, not a video at all" + bytes(40))

# (inputs, substring of the message): the integration refuses them before any request.
VIDEO_SOURCE_ERRORS = [
    ({}, "Give exactly one video source"),
    ({"file": {"content": MP4}, "video_url": PULL_URL}, "given: file and video_url"),
    ({"file": {"content": MP4}, "files": [{"content": MP4}]}, "given: file and files"),
    ({"file": {}}, "The file has no content"),
    ({"file": {"content": MP4}, "pull_from_url": True}, "pull_from_url works only with video_url"),
    ({"file": {"content": MP4, "url": VERIFIED + "a.mp4"}}, "both content and url"),
    ({"file": {"name": "clip.mp4"}}, "The file has no content"),
    ({"file": {"content": ""}}, "The file has no content"),
    ({"file": {"content": "not base64 at all!"}}, "not valid base64"),
    ({"file": {"content": "AAAAA"}}, "not valid base64"),
    ({"file": {"content": "data:video/mp4," + MP4}}, "data: URL without base64"),
    ({"file": {"content": "data:video/mp4;base64,"}}, "The file content is empty"),
    ({"file": {"content": NOT_A_VIDEO}}, "not an MP4, MOV or WebM video"),
    ({"file": {"url": "http://cdn.example.com/v.mp4"}}, "file link must start with https://"),
    ({"file": {"url": "https://10.0.0.5/v.mp4"}}, "private address"),
    ({"files": [{"url": "https://169.254.169.254/latest/meta-data"}]}, "link-local address"),
    ({"video_url": "https://127.0.0.1/v.mp4"}, "loopback address"),
    ({"video_url": "https://2130706433/v.mp4"}, "loopback address"),
    ({"video_url": "https://[::1]/v.mp4"}, "loopback address"),
    ({"video_url": "https://192.168.1.20/v.mp4", "pull_from_url": True}, "private address"),
    ({"video_url": "https://user:secret@cdn.example.com/v.mp4"}, "user name or password"),
]


class TestBadInputs:
    @pytest.mark.parametrize(("inputs", "reason"), VIDEO_SOURCE_ERRORS)
    @pytest.mark.parametrize("action", ["create_video_post", "upload_video_draft"])
    async def test_video_source_errors_send_nothing(self, integration, mock_context, action, inputs, reason):
        if action == "create_video_post":
            inputs = {**inputs, "privacy_level": "SELF_ONLY"}

        message = message_of(await integration.execute_action(action, inputs, mock_context))

        assert reason in message
        mock_context.fetch.assert_not_awaited()

    @pytest.mark.parametrize(
        ("inputs", "reason"),
        [
            ({"title": "😀" * 1101}, "2202 characters long as TikTok counts them"),
            ({"title": "half an emoji \ud83d here"}, "The title contains an invalid character"),
            ({"privacy_level": "SELF_ONLY", "brand_content_toggle": True}, "cannot be posted with privacy level"),
        ],
    )
    async def test_video_post_text_and_branding_errors_send_nothing(self, integration, mock_context, inputs, reason):
        inputs = {"video_url": PULL_URL, "pull_from_url": True, "privacy_level": "PUBLIC_TO_EVERYONE", **inputs}

        message = message_of(await integration.execute_action("create_video_post", inputs, mock_context))

        assert reason in message
        mock_context.fetch.assert_not_awaited()

    async def test_blank_publish_id_sends_nothing(self, integration, mock_context):
        message = message_of(await integration.execute_action("get_post_status", {"publish_id": "   "}, mock_context))

        assert "publish_id is empty" in message
        mock_context.fetch.assert_not_awaited()

    @pytest.mark.parametrize(
        ("inputs", "reason"),
        [
            ({"photo_urls": [PHOTOS[0], "https://192.168.1.10/b.jpg"]}, "photo link #2 points to a private address"),
            ({"photo_urls": ["https://user:pw@cdn.example.com/a.jpg"]}, "user name or password"),
            ({"photo_urls": PHOTOS[:2], "photo_cover_index": 2}, "photo_cover_index is 2, but there are only 2"),
            ({"photo_urls": PHOTOS, "title": "😀" * 46}, "photo title is 92 characters long"),
            ({"photo_urls": PHOTOS, "description": "😀" * 2001}, "description is 4002 characters long"),
            ({"photo_urls": PHOTOS}, "privacy_level is required for DIRECT_POST"),
            ({"photo_urls": PHOTOS, "post_mode": "DIRECT_POST"}, "privacy_level is required for DIRECT_POST"),
            (
                {"photo_urls": PHOTOS, "privacy_level": "SELF_ONLY", "brand_content_toggle": True},
                "cannot be posted with privacy level SELF_ONLY",
            ),
            (
                {"photo_urls": PHOTOS, "post_mode": "MEDIA_UPLOAD", "privacy_level": "SELF_ONLY"},
                "privacy_level only apply to DIRECT_POST",
            ),
            (
                {
                    "photo_urls": PHOTOS,
                    "post_mode": "MEDIA_UPLOAD",
                    "disable_comment": True,
                    "auto_add_music": False,
                    "brand_content_toggle": False,
                    "brand_organic_toggle": False,
                },
                "disable_comment, auto_add_music, brand_content_toggle, brand_organic_toggle only apply to DIRECT_POST",
            ),
        ],
    )
    async def test_photo_input_errors_send_nothing(self, integration, mock_context, inputs, reason):
        message = message_of(await integration.execute_action("create_photo_post", inputs, mock_context))

        assert reason in message
        mock_context.fetch.assert_not_awaited()

    @pytest.mark.parametrize(
        ("action", "inputs"),
        [
            ("create_video_post", {"video_url": PULL_URL, "pull_from_url": True, "privacy_level": "SELF_ONLY"}),
            ("create_photo_post", {"photo_urls": PHOTOS, "privacy_level": "SELF_ONLY"}),
        ],
    )
    async def test_privacy_not_offered_sends_no_init(self, integration, mock_context, action, inputs):
        options = ["PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS"]
        mock_context.fetch.side_effect = [ok(creator(privacy_level_options=options))]

        message = message_of(await integration.execute_action(action, inputs, mock_context))

        assert "does not offer the privacy level SELF_ONLY" in message
        assert urls(mock_context) == [CREATOR_INFO]

    @pytest.mark.parametrize(
        ("action", "inputs"),
        [
            ("create_video_post", {"video_url": PULL_URL}),
            ("create_video_post", {"video_url": PULL_URL, "privacy_level": "PRIVATE"}),
            (
                "create_video_post",
                {"video_url": PULL_URL, "privacy_level": "SELF_ONLY", "video_cover_timestamp_ms": -1},
            ),
            ("create_video_post", {"files": [], "privacy_level": "SELF_ONLY"}),
            ("create_video_post", {"video_url": PULL_URL, "privacy_level": "SELF_ONLY", "disable_comment": "no"}),
            ("upload_video_draft", {"files": []}),
            ("upload_video_draft", {"video_url": PULL_URL, "pull_from_url": "yes"}),
            ("get_post_status", {}),
            ("get_post_status", {"publish_id": PUBLISH_ID, "wait_seconds": 26}),
            ("get_post_status", {"publish_id": PUBLISH_ID, "wait_seconds": -1}),
            ("get_videos", {"max_count": 0}),
            ("get_videos", {"max_count": 101}),
            ("get_videos", {"max_count": "20"}),
            ("get_videos", {"cursor": -1}),
            ("get_video", {}),
            ("get_video", {"video_ids": []}),
            ("get_video", {"video_ids": [BIG_ID]}),
            ("create_photo_post", {}),
            ("create_photo_post", {"photo_urls": []}),
            ("create_photo_post", {"photo_urls": PHOTOS, "photo_cover_index": 35}),
            ("create_photo_post", {"photo_urls": PHOTOS, "photo_cover_index": -1}),
            ("create_photo_post", {"photo_urls": PHOTOS, "post_mode": "DRAFT"}),
            ("create_photo_post", {"photo_urls": PHOTOS, "privacy_level": "EVERYONE"}),
        ],
    )
    async def test_schema_rejections_send_nothing(self, integration, mock_context, action, inputs):
        result = await integration.execute_action(action, inputs, mock_context)

        assert result.type == ResultType.VALIDATION_ERROR
        assert result.result["source"] == "input"
        mock_context.fetch.assert_not_awaited()


# ---- Publish requests get exactly one attempt (item 7) ------------------------------------------------------------

PUBLISHES = [
    ("create_video_post", {"video_url": PULL_URL, "pull_from_url": True, "privacy_level": "SELF_ONLY"}, VIDEO_INIT),
    ("upload_video_draft", {"video_url": PULL_URL, "pull_from_url": True}, INBOX_INIT),
    ("create_photo_post", {"photo_urls": PHOTOS, "privacy_level": "SELF_ONLY"}, CONTENT_INIT),
    ("create_photo_post", {"photo_urls": PHOTOS, "post_mode": "MEDIA_UPLOAD"}, CONTENT_INIT),
]


class TestPublishRequestsAreSentOnce:
    @pytest.mark.parametrize(
        ("failure", "reason"),
        [
            (asyncio.TimeoutError(), "did not answer in time while the post was being created"),
            (aiohttp.ServerDisconnectedError(), "could not be reached while the post was being created"),
        ],
        ids=["timeout", "disconnect"],
    )
    @pytest.mark.parametrize(("action", "inputs", "init_url"), PUBLISHES)
    async def test_no_answer_is_not_resent(self, integration, mock_context, action, inputs, init_url, failure, reason):
        mock_context.fetch.side_effect = lambda url, **kw: ok(creator()) if url == CREATOR_INFO else _raise(failure)

        message = message_of(await integration.execute_action(action, inputs, mock_context))

        assert reason in message
        assert "may have been created anyway, so the request was not sent again" in message
        assert urls(mock_context).count(init_url) == 1

    @pytest.mark.parametrize(("action", "inputs", "init_url"), PUBLISHES)
    async def test_a_429_is_not_resent(self, integration, mock_context, action, inputs, init_url):
        limited = tiktok_error(429, "rate_limit_exceeded")
        mock_context.fetch.side_effect = lambda url, **kw: ok(creator()) if url == CREATOR_INFO else _raise(limited)

        message = message_of(await integration.execute_action(action, inputs, mock_context))

        assert "rate_limit_exceeded" in message and LOG_ID in message
        assert urls(mock_context).count(init_url) == 1

    @pytest.mark.parametrize("fault", ["timeout", "disconnect", "429", "500", "502_html"])
    @pytest.mark.parametrize(
        ("action", "inputs", "endpoint"),
        [
            (
                "create_video_post",
                {"video_url": PULL_URL, "pull_from_url": True, "privacy_level": "SELF_ONLY"},
                "video_init",
            ),
            ("upload_video_draft", {"video_url": PULL_URL, "pull_from_url": True}, "inbox_init"),
            ("create_photo_post", {"photo_urls": PHOTOS, "privacy_level": "SELF_ONLY"}, "content_init"),
        ],
    )
    async def test_the_real_sdk_sends_init_once(
        self, integration, sandbox, context, instant_sdk_backoff, action, inputs, endpoint, fault
    ):
        sandbox.inject(endpoint, fault)

        result = await integration.execute_action(action, inputs, context)

        assert result.type == ResultType.ACTION_ERROR
        assert len(sandbox.calls(endpoint)) == 1
        assert sandbox.publishes == {}
        assert context.config == {"max_retries": 3, "timeout": 30}  # restored for the requests that follow

    async def test_reads_are_still_tried_again(self, integration, sandbox, context, instant_sdk_backoff):
        sandbox.inject("creator_info", "timeout")

        result = await integration.execute_action("get_creator_info", {}, context)

        assert data_of(result)["creator_nickname"] == "Sandbox Creator"
        assert len(sandbox.calls("creator_info")) == 2
        assert context.config == {"max_retries": 3, "timeout": 30}


def _raise(error):
    raise error


# ---- Error translation (item 5) -------------------------------------------------------------------------------------

# Plain advice expected for each code: literal text, so a change of wording is a deliberate change of this test.
ADVICE = dict(
    [
        ("access_token_invalid", "Reconnect the TikTok account"),
        ("scope_not_authorized", "did not grant the permission this action needs"),
        ("scope_permission_missed", "did not grant a permission some fields need"),
        ("invalid_params", "rejected a value in the request"),
        ("invalid_param", "rejected a value in the request"),
        ("invalid_file_upload", "Use an MP4, MOV or WebM video"),
        ("rate_limit_exceeded", "too many requests were made to TikTok"),
        ("internal_error", "TikTok had an internal problem"),
        ("spam_risk_too_many_posts", "daily limit of posts made through apps"),
        ("spam_risk_user_banned_from_posting", "banned this account from posting"),
        ("reached_active_user_cap", "daily limit of accounts that may post through it"),
        ("spam_risk_too_many_pending_share", "5 drafts waiting in its TikTok inbox"),
        ("unaudited_client_can_only_post_to_private_accounts", "has not passed TikTok's audit yet"),
        ("url_ownership_unverified", "domain is not verified for this app"),
        ("privacy_level_option_mismatch", "choose one of its privacy_level_options"),
        ("app_version_check_failed", "TikTok app version 31.8 or later"),
        ("invalid_publish_id", "TikTok does not know this publish_id"),
        ("token_not_authorized_for_specified_publish_id", "belongs to another TikTok account or app"),
    ]
)

GLOBAL_CODES = [  # §1.2
    (401, "access_token_invalid"),
    (500, "internal_error"),
    (400, "invalid_file_upload"),
    (400, "invalid_params"),
    (429, "rate_limit_exceeded"),
    (401, "scope_not_authorized"),
    (400, "scope_permission_missed"),
]
CREATOR_INFO_CODES = [  # §6 (its HTTP-200 posting caps are answers, not errors: test_tiktok_confirm_unit.py)
    (401, "access_token_invalid"),
    (401, "scope_not_authorized"),
    (429, "rate_limit_exceeded"),
]
VIDEO_INIT_CODES = [  # §7.4
    (400, "invalid_param"),
    (400, "invalid_params"),
    (403, "spam_risk_too_many_posts"),
    (403, "spam_risk_user_banned_from_posting"),
    (403, "reached_active_user_cap"),
    (403, "unaudited_client_can_only_post_to_private_accounts"),
    (403, "url_ownership_unverified"),
    (403, "privacy_level_option_mismatch"),
    (401, "access_token_invalid"),
    (401, "scope_not_authorized"),
    (429, "rate_limit_exceeded"),
]
INBOX_INIT_CODES = [  # §8
    (400, "invalid_param"),
    (403, "spam_risk_too_many_pending_share"),
    (403, "spam_risk_user_banned_from_posting"),
    (403, "url_ownership_unverified"),
    (401, "access_token_invalid"),
    (401, "scope_not_authorized"),
    (429, "rate_limit_exceeded"),
]
PHOTO_INIT_CODES = [  # §10.4
    (400, "invalid_param"),
    (400, "app_version_check_failed"),
    (403, "spam_risk_too_many_posts"),
    (403, "spam_risk_user_banned_from_posting"),
    (403, "spam_risk_too_many_pending_share"),
    (403, "reached_active_user_cap"),
    (403, "unaudited_client_can_only_post_to_private_accounts"),
    (403, "url_ownership_unverified"),
    (403, "privacy_level_option_mismatch"),
    (401, "access_token_invalid"),
    (401, "scope_not_authorized"),
    (429, "rate_limit_exceeded"),
    (500, "internal_error"),
]
STATUS_CODES = [  # §11
    (400, "invalid_publish_id"),
    (400, "token_not_authorized_for_specified_publish_id"),
    (401, "access_token_invalid"),
    (401, "scope_not_authorized"),
    (429, "rate_limit_exceeded"),
    (500, "internal_error"),
]

READS = [
    ("get_user_info", {}),
    ("get_videos", {}),
    ("get_video", {"video_ids": [BIG_ID_TEXT]}),
]


def assert_translated(message, code):
    assert f"TikTok error {code}:" in message
    assert ADVICE[code] in message
    assert message.endswith(f"(TikTok log_id: {LOG_ID})")
    assert TOKEN not in message and "act.test" not in message
    assert "{" not in message and "'data'" not in message  # no raw body dump
    assert "[redacted]" in message  # TikTok's own message is shown, minus the token it carried


def failing(status, code):
    # TikTok's message carries the token here so the test proves it never reaches the user.
    return tiktok_error(status, code, f"Request with Authorization Bearer {TOKEN} refused ({code}).")


def one(*answers_by_url):
    """fetch answers by URL: {url: answer}; an exception is raised, anything else returned."""
    answers = dict(answers_by_url)

    def answer(url, **_kwargs):
        value = answers[url]
        if isinstance(value, BaseException):
            raise value
        return value

    return answer


class TestErrorTranslation:
    @pytest.mark.parametrize(("status", "code"), GLOBAL_CODES)
    @pytest.mark.parametrize(("action", "inputs"), READS)
    async def test_global_codes_on_reads(self, integration, mock_context, action, inputs, status, code):
        always(mock_context, failing(status, code))

        assert_translated(message_of(await integration.execute_action(action, inputs, mock_context)), code)

    @pytest.mark.parametrize(("status", "code"), CREATOR_INFO_CODES)
    async def test_creator_info_codes(self, integration, mock_context, status, code):
        always(mock_context, failing(status, code))

        assert_translated(message_of(await integration.execute_action("get_creator_info", {}, mock_context)), code)

    @pytest.mark.parametrize("code", ["spam_risk_too_many_posts", "reached_active_user_cap"])
    async def test_creator_info_http_200_codes_are_not_retried(self, integration, mock_context, code):
        mock_context.fetch.side_effect = [failing(200, code), ok(creator())]

        data = data_of(await integration.execute_action("get_creator_info", {}, mock_context))
        assert data["can_post"] is False and f"TikTok error {code}" in data["cannot_post_reason"]
        assert len(fetched(mock_context)) == 1

    @pytest.mark.parametrize(("status", "code"), VIDEO_INIT_CODES)
    async def test_video_init_codes(self, integration, mock_context, status, code):
        mock_context.fetch.side_effect = one((CREATOR_INFO, ok(creator())), (VIDEO_INIT, failing(status, code)))
        inputs = {"video_url": PULL_URL, "pull_from_url": True, "privacy_level": "PUBLIC_TO_EVERYONE"}

        assert_translated(message_of(await integration.execute_action("create_video_post", inputs, mock_context)), code)
        assert urls(mock_context) == [CREATOR_INFO, VIDEO_INIT]

    @pytest.mark.parametrize(("status", "code"), INBOX_INIT_CODES)
    async def test_inbox_init_codes(self, integration, mock_context, status, code):
        mock_context.fetch.side_effect = one((INBOX_INIT, failing(status, code)))
        inputs = {"video_url": PULL_URL, "pull_from_url": True}

        assert_translated(
            message_of(await integration.execute_action("upload_video_draft", inputs, mock_context)), code
        )
        assert urls(mock_context) == [INBOX_INIT]

    @pytest.mark.parametrize(("status", "code"), PHOTO_INIT_CODES)
    @pytest.mark.parametrize(
        "inputs",
        [{"photo_urls": PHOTOS, "privacy_level": "SELF_ONLY"}, {"photo_urls": PHOTOS, "post_mode": "MEDIA_UPLOAD"}],
        ids=["DIRECT_POST", "MEDIA_UPLOAD"],
    )
    async def test_photo_init_codes(self, integration, mock_context, inputs, status, code):
        mock_context.fetch.side_effect = one((CREATOR_INFO, ok(creator())), (CONTENT_INIT, failing(status, code)))

        assert_translated(message_of(await integration.execute_action("create_photo_post", inputs, mock_context)), code)
        assert urls(mock_context).count(CONTENT_INIT) == 1

    @pytest.mark.parametrize(("status", "code"), STATUS_CODES)
    async def test_status_codes(self, integration, mock_context, status, code):
        always(mock_context, failing(status, code))

        message = message_of(
            await integration.execute_action("get_post_status", {"publish_id": PUBLISH_ID}, mock_context)
        )

        assert_translated(message, code)

    @pytest.mark.parametrize(
        ("action", "inputs"),
        [*READS, ("get_creator_info", {}), ("get_post_status", {"publish_id": PUBLISH_ID})],
    )
    async def test_non_json_502(self, integration, mock_context, action, inputs):
        html = "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
        mock_context.fetch.side_effect = HTTPError(502, html, html)

        message = message_of(await integration.execute_action(action, inputs, mock_context))

        assert "TikTok answered with an error (HTTP 502) and no details" in message
        assert "Run the step again in a few minutes" in message
        assert "<html" not in message and "nginx" not in message

    @pytest.mark.parametrize(
        ("failure", "said"),
        [
            (HTTPError(502, "<html>bad gateway</html>", "<html>bad gateway</html>"), "(HTTP 502) and no details"),
            (tiktok_error(500, "internal_error"), "TikTok error internal_error"),
            (FetchResponse(status=200, headers={}, data={"data": {}}), "(HTTP 200) and no details"),
        ],
        ids=["html-502", "internal_error", "no-envelope"],
    )
    @pytest.mark.parametrize(("action", "inputs", "init_url"), PUBLISHES)
    async def test_a_publish_request_without_a_definite_answer_may_have_posted(
        self, integration, mock_context, action, inputs, init_url, failure, said
    ):
        # A gateway error can come after TikTok accepted the post: re-running blindly could post twice.
        answer = failure
        mock_context.fetch.side_effect = lambda url, **kw: (
            ok(creator()) if url == CREATOR_INFO else _raise(answer) if isinstance(answer, Exception) else answer
        )

        message = message_of(await integration.execute_action(action, inputs, mock_context))

        assert said in message
        assert "may have been created anyway, so the request was not sent again" in message
        assert urls(mock_context).count(init_url) == 1

    async def test_invalid_param_and_invalid_params_get_the_same_advice(self, integration, mock_context):
        messages = []
        for code in ("invalid_param", "invalid_params"):
            mock_context.fetch.side_effect = [tiktok_error(400, code, "The chunk size is invalid")]
            messages.append(message_of(await integration.execute_action("get_creator_info", {}, mock_context)))

        assert messages[0].replace("invalid_param:", "invalid_params:") == messages[1]

    async def test_http_200_without_an_error_object(self, integration, mock_context):
        mock_context.fetch.side_effect = [
            FetchResponse(status=200, headers={"Content-Type": "application/json"}, data={"data": {"videos": []}})
        ]

        message = message_of(await integration.execute_action("get_videos", {}, mock_context))

        assert "TikTok answered with an error (HTTP 200) and no details" in message

    async def test_http_200_with_a_text_body(self, integration, mock_context):
        mock_context.fetch.side_effect = [FetchResponse(status=200, headers={"Content-Type": "text/plain"}, data="OK")]

        message = message_of(await integration.execute_action("get_creator_info", {}, mock_context))

        assert "(HTTP 200) and no details" in message

    async def test_logid_spelling_is_read(self, integration, mock_context):
        mock_context.fetch.side_effect = [
            tiktok_error(400, "invalid_params", "The chunk size is invalid", log_key="logid")
        ]

        message = message_of(await integration.execute_action("get_creator_info", {}, mock_context))

        assert "TikTok error invalid_params:" in message
        assert "TikTok says: The chunk size is invalid." in message
        assert message.endswith(f"(TikTok log_id: {LOG_ID})")

    async def test_unknown_code(self, integration, mock_context):
        mock_context.fetch.side_effect = [tiktok_error(403, "brand_new_refusal", "Not today.")]

        message = message_of(await integration.execute_action("get_creator_info", {}, mock_context))

        assert message == (
            "TikTok error brand_new_refusal: TikTok refused the request. TikTok says: Not today. "
            f"Check the inputs and try again. (TikTok log_id: {LOG_ID})"
        )

    async def test_429_with_a_text_body(self, integration, mock_context):
        mock_context.fetch.side_effect = RateLimitError(60, 429, "Rate limit exceeded", "Too Many Requests")

        message = message_of(await integration.execute_action("get_videos", {}, mock_context))

        assert "(HTTP 429) and no details" in message
        assert len(fetched(mock_context)) == 3

    async def test_network_failure_on_a_read(self, integration, mock_context):
        mock_context.fetch.side_effect = aiohttp.ClientConnectionError("Cannot connect")

        message = message_of(await integration.execute_action("get_videos", {}, mock_context))

        assert message == "TikTok could not be reached. Check the connection and run the step again in a minute."
        assert len(fetched(mock_context)) == 3

    async def test_read_timeout_then_answer(self, integration, mock_context):
        mock_context.fetch.side_effect = [asyncio.TimeoutError(), ok({"videos": [], "has_more": False})]

        data = data_of(await integration.execute_action("get_videos", {"max_count": 5}, mock_context))

        assert data == {"videos": [], "cursor": None, "has_more": False}
        assert (
            fetched(mock_context) == [request(VIDEO_LIST, params={"fields": VIDEO_FIELDS}, body={"max_count": 5})] * 2
        )

    async def test_unexpected_exception_names_only_its_type(self, integration, mock_context):
        mock_context.fetch.side_effect = RuntimeError(f"Authorization: Bearer {TOKEN}")

        message = message_of(await integration.execute_action("get_creator_info", {}, mock_context))

        assert "failed unexpectedly (RuntimeError)" in message
        assert TOKEN not in message and "Bearer" not in message


class TestStepBudget:
    """The platform gives a step about 30 s: request timeouts, read retries and polling all stay inside it."""

    async def test_request_timeout_is_capped_by_what_is_left_of_the_step(
        self, integration, mock_context, tiktok_module, monkeypatch
    ):
        monkeypatch.setattr(tiktok_module, "STEP_BUDGET_S", 4.0)
        always(mock_context, ok({"user": BASIC_USER}))

        await integration.execute_action("get_user_info", {}, mock_context)

        timeout = fetched(mock_context)[0].kwargs["timeout"]
        assert 3.0 < timeout <= 4.0

    async def test_a_read_is_not_retried_when_the_step_has_no_room_left(
        self, integration, mock_context, tiktok_module, monkeypatch
    ):
        monkeypatch.setattr(tiktok_module, "STEP_BUDGET_S", 3.0)

        async def slow_timeout(url, **kwargs):
            await asyncio.sleep(1.2)  # leaves 1.8 s: less than a request needs (MIN_REQUEST_S = 2)
            raise asyncio.TimeoutError()

        mock_context.fetch.side_effect = slow_timeout

        message = message_of(await integration.execute_action("get_creator_info", {}, mock_context))

        assert message == "TikTok did not answer in time. Check the connection and run the step again in a minute."
        assert len(fetched(mock_context)) == 1

    async def test_no_request_is_started_without_time_for_an_answer(
        self, integration, mock_context, tiktok_module, monkeypatch
    ):
        monkeypatch.setattr(tiktok_module, "STEP_BUDGET_S", 1.5)

        message = message_of(await integration.execute_action("get_creator_info", {}, mock_context))

        assert message == "The step ran out of time waiting for TikTok. Run it again in a minute."
        assert fetched(mock_context) == []

    async def test_hung_requests_and_retries_together_stay_inside_the_budget(
        self, integration, mock_context, tiktok_module, monkeypatch
    ):
        # The worst case: every try hangs until its timeout. Scaled down: 1 s timeouts, a 3.5 s step.
        monkeypatch.setattr(tiktok_module, "STEP_BUDGET_S", 3.5)
        monkeypatch.setattr(tiktok_module, "API_TIMEOUT_S", 1.0)
        monkeypatch.setattr(tiktok_module, "MIN_REQUEST_S", 0.5)

        async def hang(url, **kwargs):
            await asyncio.sleep(kwargs["timeout"])
            raise asyncio.TimeoutError()

        mock_context.fetch.side_effect = hang
        started = time.monotonic()

        message = message_of(await integration.execute_action("get_videos", {}, mock_context))

        assert time.monotonic() - started < 3.5
        assert "did not answer in time" in message
        assert len(fetched(mock_context)) == 3

    async def test_status_waiting_ends_before_the_step_budget(
        self, integration, mock_context, tiktok_module, monkeypatch
    ):
        monkeypatch.setattr(tiktok_module, "STEP_BUDGET_S", 3.2)
        monkeypatch.setattr(tiktok_module, "STATUS_POLL_INTERVAL_S", 0.05)
        always(mock_context, ok(status_data("PROCESSING_UPLOAD")))
        started = time.monotonic()

        data = data_of(
            await integration.execute_action("get_post_status", {"publish_id": "p", "wait_seconds": 25}, mock_context)
        )

        assert data["status"] == "PROCESSING_UPLOAD"
        assert time.monotonic() - started < 1.5  # 3.2 s budget minus the 2 s a last request needs (MIN_REQUEST_S)

    async def test_a_slow_publish_request_is_reported_as_such_not_as_a_large_video(
        self, integration, mock_context, tiktok_module, monkeypatch
    ):
        monkeypatch.setattr(tiktok_module, "STEP_BUDGET_S", 2.6)
        monkeypatch.setattr(tiktok_module, "MIN_REQUEST_S", 0.5)

        async def answer(url, **kwargs):
            if url == CREATOR_INFO:
                return ok(creator())
            await asyncio.sleep(kwargs["timeout"])  # init hangs past the transfer deadline (2.6 - 0.5 s)
            raise asyncio.TimeoutError()

        mock_context.fetch.side_effect = answer
        inputs = {"file": {"name": "a.mp4", "content": MP4}, "privacy_level": "SELF_ONLY"}

        message = message_of(await integration.execute_action("create_video_post", inputs, mock_context))

        assert message.startswith("TikTok did not answer in time while the post was being created.")
        assert "too large" not in message
        assert urls(mock_context).count(VIDEO_INIT) == 1

    async def test_paging_stops_in_time_and_returns_what_it_has_with_a_cursor(
        self, integration, mock_context, tiktok_module, monkeypatch
    ):
        monkeypatch.setattr(tiktok_module, "STEP_BUDGET_S", 6.0)  # MIN_PAGE_S is 5: one slow page uses the room

        async def slow_page(url, **kwargs):
            await asyncio.sleep(1.1)
            return ok({"videos": videos(20), "cursor": 1700000000000, "has_more": True})

        mock_context.fetch.side_effect = slow_page

        data = data_of(await integration.execute_action("get_videos", {"max_count": 100}, mock_context))

        assert len(data["videos"]) == 20
        assert (data["cursor"], data["has_more"]) == (1700000000000, True)
        assert len(fetched(mock_context)) == 1

    async def test_connected_account_lookup_has_a_budget_too(
        self, integration, mock_context, tiktok_module, monkeypatch
    ):
        monkeypatch.setattr(tiktok_module, "STEP_BUDGET_S", 4.0)
        always(mock_context, ok({"user": {**BASIC_USER, **PROFILE_USER}}))

        await integration.get_connected_account(mock_context)

        assert fetched(mock_context)[0].kwargs["timeout"] <= 4.0


class TestPacing:
    """The real pauses, not the zeroed ones the other tests run with: TikTok's per-minute limits depend on them."""

    @pytest.fixture
    def slept(self, tiktok_module, monkeypatch):
        monkeypatch.undo()  # restore the real constants the autouse fixture zeroed
        pauses = []

        async def record(seconds):
            pauses.append(seconds)

        monkeypatch.setattr(tiktok_module, "asyncio", types.SimpleNamespace(**{**vars(asyncio), "sleep": record}))
        return pauses

    async def test_status_is_polled_every_two_seconds(self, integration, mock_context, slept):
        mock_context.fetch.side_effect = [
            ok(status_data("PROCESSING_UPLOAD")),
            ok(status_data("PROCESSING_UPLOAD")),
            ok(status_data("PUBLISH_COMPLETE")),
        ]

        data = data_of(
            await integration.execute_action("get_post_status", {"publish_id": "p", "wait_seconds": 20}, mock_context)
        )

        assert data["status"] == "PUBLISH_COMPLETE"
        assert slept == [2.0, 2.0]

    async def test_a_read_is_retried_after_one_then_three_seconds(self, integration, mock_context, slept):
        limited = tiktok_error(429, "rate_limit_exceeded")
        mock_context.fetch.side_effect = [limited, limited, ok({"videos": [], "has_more": False})]

        data_of(await integration.execute_action("get_videos", {}, mock_context))

        assert slept == [1.0, 3.0]
