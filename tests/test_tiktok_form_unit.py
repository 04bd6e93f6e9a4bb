"""The step form: labels and defaults on every input, misspelt inputs refused, limits in plain words, 20.0 as 20.

Tests go through execute_action with `mock_context`; a refusal must come before anything is sent to TikTok.
"""

import json
import re
from pathlib import Path
from unittest.mock import call

import pytest
import tiktok_api
from autohive_integrations_sdk import ResultType

from tiktok_testkit import data_of, message_of, ok

pytestmark = pytest.mark.unit

CONFIG = json.loads((Path(__file__).resolve().parent.parent / "config.json").read_text())
ACTIONS = CONFIG["actions"]

CREATOR_INFO = "https://open.tiktokapis.com/v2/post/publish/creator_info/query/"
VIDEO_INIT = "https://open.tiktokapis.com/v2/post/publish/video/init/"
CONTENT_INIT = "https://open.tiktokapis.com/v2/post/publish/content/init/"
STATUS = "https://open.tiktokapis.com/v2/post/publish/status/fetch/"
VIDEO_LIST = "https://open.tiktokapis.com/v2/video/list/"
USER_INFO = "https://open.tiktokapis.com/v2/user/info/"
JSON_UTF8 = {"Content-Type": "application/json; charset=UTF-8"}
VIDEO_FIELDS = (
    "id,title,video_description,create_time,cover_image_url,share_url,embed_link,duration,width,height,"
    "like_count,comment_count,share_count,view_count"
)
PULL_URL = "https://media.sandbox.example/verified/clip.mp4"
PHOTOS = ["https://media.sandbox.example/verified/one.webp", "https://media.sandbox.example/verified/two.webp"]
PUBLISH_ID = "v_pub_url~v2-1.7321456789012345678"
CREATOR = {
    "creator_nickname": "Ada Films",
    "privacy_level_options": ["PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "SELF_ONLY"],
}

# The smallest valid inputs of each action: a misspelt extra input is added to them.
VALID_INPUTS = {
    "get_user_info": {},
    "get_creator_info": {},
    "create_video_post": {"video_url": PULL_URL, "pull_from_url": True, "privacy_level": "SELF_ONLY"},
    "upload_video_draft": {"video_url": PULL_URL, "pull_from_url": True},
    "get_post_status": {"publish_id": PUBLISH_ID},
    "get_videos": {},
    "get_video": {"video_ids": ["7321456789012345678"]},
    "check_video": {"video_url": PULL_URL},
    "create_photo_post": {"photo_urls": PHOTOS, "privacy_level": "SELF_ONLY"},
    "get_account_insights": {},
}


def request(url, method="POST", params=None, body=None, timeout=15):
    return call(url, method=method, params=params, json=body, headers=JSON_UTF8, timeout=timeout, retry_count=3)


def fetched(mock_context):
    return mock_context.fetch.await_args_list


def inputs_of(schema, path=""):
    """(path, property schema) of every input, nested file fields included."""
    for name, prop in schema.get("properties", {}).items():
        yield f"{path}{name}", prop
        yield from inputs_of(prop, f"{path}{name}.")
        if "items" in prop:
            yield from inputs_of(prop["items"], f"{path}{name}[].")


EVERY_INPUT = [(action, path, prop) for action, a in ACTIONS.items() for path, prop in inputs_of(a["input_schema"])]
TOP_INPUTS = [
    (action, name, prop) for action, a in ACTIONS.items() for name, prop in a["input_schema"]["properties"].items()
]


class TestTheForm:
    """config.json as the form shows it; the actions' own classes below exercise it through execute_action."""

    @pytest.mark.parametrize(("action", "path", "prop"), EVERY_INPUT, ids=[f"{a}.{p}" for a, p, _ in EVERY_INPUT])
    def test_every_input_has_a_plain_label(self, action, path, prop):
        label = prop.get("label")
        assert isinstance(label, str) and label.strip() and "_" not in label, f"{action}.{path}"

    @pytest.mark.parametrize(("action", "name", "prop"), TOP_INPUTS, ids=[f"{a}.{n}" for a, n, _ in TOP_INPUTS])
    def test_every_description_says_the_default(self, action, name, prop):
        assert "default" in prop["description"].lower(), f"{action}.{name}"

    @pytest.mark.parametrize("action", sorted(ACTIONS))
    def test_no_input_schema_refuses_unknown_inputs_in_jsonschema_words(self, action):
        # The handler refuses them in words instead (TestUnknownInputs).
        assert "additionalProperties" not in json.dumps(ACTIONS[action]["input_schema"])

    @pytest.mark.parametrize(("action", "name", "prop"), TOP_INPUTS, ids=[f"{a}.{n}" for a, n, _ in TOP_INPUTS])
    def test_every_default_is_also_a_schema_default(self, action, name, prop):
        stated = re.search(r"Default:? (true|false|[0-9]+|[A-Z_]{4,})\b", prop["description"])
        expected = json.loads(stated[1]) if stated and not stated[1].isupper() else stated and stated[1]
        assert prop.get("default") == expected, f"{action}.{name}"

    @pytest.mark.parametrize(
        ("action", "reason"),
        [("create_video_post", "the step keeps time for the upload"), ("get_post_status", "a step has about 30 s")],
    )
    def test_wait_seconds_says_why_its_limit_is_what_it_is(self, action, reason):
        assert reason in ACTIONS[action]["input_schema"]["properties"]["wait_seconds"]["description"]

    @pytest.mark.parametrize("action", ["create_video_post", "create_photo_post"])
    def test_privacy_levels_are_explained_in_words(self, action):
        description = ACTIONS[action]["input_schema"]["properties"]["privacy_level"]["description"]
        for words in (
            "PUBLIC_TO_EVERYONE (anyone on TikTok",
            "FOLLOWER_OF_CREATOR (only the creator's followers",
            "MUTUAL_FOLLOW_FRIENDS (only friends",
            "SELF_ONLY (only the creator)",
        ):
            assert words in description

    @pytest.mark.parametrize("action", ["create_video_post", "create_photo_post"])
    def test_direct_posts_state_what_the_poster_agrees_to_with_the_links(self, action):
        assert (
            "By posting, you agree to TikTok's Music Usage Confirmation "
            "(https://www.tiktok.com/legal/page/global/music-usage-confirmation/en)"
        ) in ACTIONS[action]["description"]
        assert (
            "You then agree to TikTok's Branded Content Policy (https://www.tiktok.com/legal/page/global/bc-policy/en)"
        ) in ACTIONS[action]["input_schema"]["properties"]["brand_content_toggle"]["description"]

    def test_no_description_sends_the_user_to_a_developer_portal(self):
        assert "portal" not in json.dumps(CONFIG).lower()

    @pytest.mark.parametrize(
        ("value", "expected"), [(20.0, 20), (0.0, 0), (20, 20), (2.5, 2.5), (None, None), (True, True)]
    )
    def test_whole_number(self, value, expected):
        result = tiktok_api.whole_number(value)
        assert result == expected and type(result) is type(expected)


class TestUnknownInputs:
    """An input the action does not declare is refused by the handler, in words, before anything is sent."""

    @pytest.mark.parametrize(
        ("action", "extra", "expected"),
        [
            ("create_video_post", {"captoin": "Hi"}, "Create Video Post has no input captoin: did you mean caption?"),
            (
                "create_video_post",
                {"title": "Hi"},
                "Create Video Post has no title: version 2.0 renamed it to caption.",
            ),
            (
                "create_video_post",
                {"disable_comment": False},
                "Create Video Post has no disable_comment: version 2.0 renamed it to allow_comments, with the "
                "opposite meaning (true allows comments).",
            ),
            (
                "create_video_post",
                {"disable_duet": False, "disable_stitch": False},
                "Create Video Post has no disable_duet: version 2.0 renamed it to allow_duet, with the opposite "
                "meaning (true allows Duet). Create Video Post has no disable_stitch: version 2.0 renamed it to "
                "allow_stitch, with the opposite meaning (true allows Stitch).",
            ),
            (
                "create_video_post",
                {"video_cover_timestamp_ms": 1500},
                "Create Video Post has no video_cover_timestamp_ms: version 2.0 renamed it to cover_frame_seconds, "
                "in seconds (1500 ms is 1.5).",
            ),
            (
                "create_photo_post",
                {"description": "#launch"},
                "Create Photo Post has no description: version 2.0 renamed it to caption.",
            ),
            (
                "create_photo_post",
                {"photo_cover_index": 0},
                "Create Photo Post has no photo_cover_index: version 2.0 renamed it to cover_photo, counted from 1 "
                "(the first photo is 1).",
            ),
            (
                "create_photo_post",
                {"pull_from_url": True},
                "Create Photo Post has no pull_from_url: TikTok always downloads the photos from their links itself.",
            ),
            (
                "upload_video_draft",
                {"caption": "Hi"},
                "Upload Video Draft has no caption: TikTok's drafts take the video only; add the caption in the "
                "TikTok app.",
            ),
            (
                "upload_video_draft",
                {"title": "Hi"},
                "Upload Video Draft has no title: TikTok's drafts take the video only; add the caption in the "
                "TikTok app.",
            ),
            (
                "upload_video_draft",
                {"privacy_level": "SELF_ONLY"},
                "Upload Video Draft has no privacy_level: TikTok's drafts take the video only; the creator chooses "
                "the settings in the app.",
            ),
            (
                "check_video",
                {"caption": "Hi"},
                "Check Video has no caption: it only checks the video; the post's settings go in Create Video Post.",
            ),
            ("get_videos", {"max_counts": 5}, "Get Videos has no input max_counts: did you mean max_count?"),
            (
                "get_post_status",
                {"zzz": 1},
                "Get Post Status has no input zzz; its inputs are publish_id, wait_seconds.",
            ),
            ("get_user_info", {"caption": "Hi"}, "Get User Info has no input caption; it takes no inputs."),
        ],
        ids=lambda value: "-".join(value) if isinstance(value, dict) else None,
    )
    async def test_refused_in_words_naming_what_was_meant(self, integration, mock_context, action, extra, expected):
        result = await integration.execute_action(action, {**VALID_INPUTS[action], **extra}, mock_context)

        assert message_of(result) == f"{expected} Nothing was sent to TikTok."
        mock_context.fetch.assert_not_awaited()

    @pytest.mark.parametrize("action", sorted(VALID_INPUTS))
    async def test_every_action_refuses_an_unknown_input_before_anything_is_sent(
        self, integration, mock_context, action
    ):
        result = await integration.execute_action(action, {**VALID_INPUTS[action], "x" * 5000: "Hello"}, mock_context)

        message = message_of(result)  # the name shown is cut: inputs are not echoed whole
        assert f"has no {'x' * 37}..." in message or f"has no input {'x' * 37}..." in message
        assert "x" * 41 not in message
        mock_context.fetch.assert_not_awaited()


SECRET = "secret-caption-text-"  # nosec B105 - a marker that must never be seen in a message


class TestCreateVideoPost:
    async def test_a_long_caption_is_refused_in_words_without_echoing_it(self, integration, mock_context):
        caption = (SECRET * 111)[:2201]
        inputs = {**VALID_INPUTS["create_video_post"], "caption": caption}

        message = message_of(await integration.execute_action("create_video_post", inputs, mock_context))

        assert message == (
            "The caption is 2201 characters long as TikTok counts them (UTF-16 units, an emoji counts as 2); TikTok "
            "allows at most 2200. Shorten it; nothing was posted."
        )
        mock_context.fetch.assert_not_awaited()

    @pytest.mark.parametrize(
        "link", ["http://cdn.example.com/v.mp4?token=secret-caption-text-", "ftp://cdn.example.com/v"]
    )
    async def test_a_link_that_is_not_https_is_refused_in_words(self, integration, mock_context, link):
        inputs = {"video_url": link, "privacy_level": "SELF_ONLY"}

        message = message_of(await integration.execute_action("create_video_post", inputs, mock_context))

        assert "https://" in message and SECRET not in message and "cdn.example.com" not in message
        mock_context.fetch.assert_not_awaited()

    async def test_an_empty_link_is_refused_in_words(self, integration, mock_context):
        inputs = {"video_url": "", "privacy_level": "SELF_ONLY"}

        message = message_of(await integration.execute_action("create_video_post", inputs, mock_context))

        assert message == (
            "video_url must not be empty (it has 0). Give an https:// link to the video. Nothing was sent to TikTok."
        )
        mock_context.fetch.assert_not_awaited()

    async def test_whole_number_floats_are_sent_as_ints(self, integration, mock_context):
        mock_context.fetch.side_effect = [ok(CREATOR), ok({"publish_id": PUBLISH_ID}), ok({"status": "FAILED"})]
        inputs = {**VALID_INPUTS["create_video_post"], "cover_frame_seconds": 1.5, "wait_seconds": 2.0}

        data = data_of(await integration.execute_action("create_video_post", inputs, mock_context))

        cover = fetched(mock_context)[1].kwargs["json"]["post_info"]["video_cover_timestamp_ms"]
        assert cover == 1500 and type(cover) is int
        assert [c.args[0] for c in fetched(mock_context)] == [CREATOR_INFO, VIDEO_INIT, STATUS]
        assert data["status"] == "FAILED"


class TestUploadVideoDraft:
    async def test_a_link_that_is_not_https_is_refused_in_words(self, integration, mock_context):
        inputs = {"video_url": "ftp://cdn.example.com/secret-caption-text-.mp4"}

        message = message_of(await integration.execute_action("upload_video_draft", inputs, mock_context))

        assert message == "The video link must start with https://. Give a secure link; nothing was posted."
        mock_context.fetch.assert_not_awaited()

    async def test_an_empty_link_is_refused_in_words(self, integration, mock_context):
        message = message_of(await integration.execute_action("upload_video_draft", {"video_url": ""}, mock_context))

        assert message.startswith("video_url must not be empty (it has 0).")
        mock_context.fetch.assert_not_awaited()


class TestGetPostStatus:
    async def test_a_publish_id_over_64_characters_is_refused_in_words(self, integration, mock_context):
        publish_id = (SECRET * 4)[:65]

        message = message_of(
            await integration.execute_action("get_post_status", {"publish_id": publish_id}, mock_context)
        )

        assert message == (
            "publish_id is 65 characters long; at most 64 are allowed. Use the publish_id a post or draft step "
            "returned. Nothing was sent to TikTok."
        )
        mock_context.fetch.assert_not_awaited()

    async def test_an_empty_publish_id_is_refused_in_words(self, integration, mock_context):
        message = message_of(await integration.execute_action("get_post_status", {"publish_id": ""}, mock_context))

        assert message == (
            "publish_id must not be empty (it has 0). Use the publish_id a post or draft step returned. Nothing was "
            "sent to TikTok."
        )
        mock_context.fetch.assert_not_awaited()

    async def test_wait_seconds_as_a_whole_float_waits(self, integration, mock_context):
        mock_context.fetch.side_effect = [ok({"status": "PROCESSING_UPLOAD"}), ok({"status": "FAILED"})]

        data = data_of(
            await integration.execute_action(
                "get_post_status", {"publish_id": PUBLISH_ID, "wait_seconds": 10.0}, mock_context
            )
        )

        assert fetched(mock_context) == [request(STATUS, body={"publish_id": PUBLISH_ID})] * 2
        assert data["status"] == "FAILED"


class TestGetVideos:
    async def test_whole_number_floats_are_sent_as_ints(self, integration, mock_context):
        mock_context.fetch.side_effect = [ok({"videos": [], "cursor": 1700000000000, "has_more": False})]

        await integration.execute_action("get_videos", {"max_count": 20.0, "cursor": 1764000000000.0}, mock_context)

        assert fetched(mock_context) == [
            request(VIDEO_LIST, params={"fields": VIDEO_FIELDS}, body={"max_count": 20, "cursor": 1764000000000})
        ]
        body = fetched(mock_context)[0].kwargs["json"]
        assert type(body["max_count"]) is int and type(body["cursor"]) is int

    async def test_a_fractional_count_is_still_refused_by_the_schema(self, integration, mock_context):
        result = await integration.execute_action("get_videos", {"max_count": 20.5}, mock_context)

        assert result.type == ResultType.VALIDATION_ERROR
        mock_context.fetch.assert_not_awaited()


class TestGetVideo:
    async def test_what_is_not_an_id_or_a_video_link_is_refused_by_position(self, integration, mock_context):
        inputs = {
            "video_ids": [
                "7321456789012345678",
                "secret-caption-text-",
                "https://vm.tiktok.com/ZMsecret-caption-text-/",
                "https://www.tiktok.com/@ada/photo/7321456789012345670",
            ]
        }

        message = message_of(await integration.execute_action("get_video", inputs, mock_context))

        assert message == (
            "Could not read video_ids #2, #3, #4 as a TikTok video id or video link: give the id's digits or a link "
            "such as https://www.tiktok.com/@name/video/7300000000000000000. Nothing was sent to TikTok."
        )
        mock_context.fetch.assert_not_awaited()

    async def test_more_than_20_ids_are_refused_in_words(self, integration, mock_context):
        video_ids = [str(7000000000000000000 + n) for n in range(21)]

        message = message_of(await integration.execute_action("get_video", {"video_ids": video_ids}, mock_context))

        assert message == (
            "video_ids has 21 ids; at most 20 are allowed. Look them up in several steps. Nothing was sent to TikTok."
        )
        mock_context.fetch.assert_not_awaited()


class TestCreatePhotoPost:
    @pytest.mark.parametrize(
        ("changes", "expected"),
        [
            (
                {"title": (SECRET * 5)[:91]},
                "The photo title is 91 characters long as TikTok counts them (UTF-16 units, an emoji counts as 2); "
                "TikTok allows at most 90. Shorten it; nothing was posted.",
            ),
            (
                {"caption": (SECRET * 201)[:4001]},
                "The caption is 4001 characters long as TikTok counts them (UTF-16 units, an emoji counts as "
                "2); TikTok allows at most 4000. Shorten it; nothing was posted.",
            ),
            (
                {"photo_urls": [PHOTOS[0], "http://cdn.example.com/secret-caption-text-.jpg"]},
                "The photo link #2 must start with https://. Give a secure link; nothing was posted.",
            ),
            (
                {"photo_urls": [f"https://media.sandbox.example/secret-caption-text-{n}.jpg" for n in range(36)]},
                "photo_urls has 36 links; at most 35 are allowed. TikTok takes at most 35 photos in one post. "
                "Nothing was sent to TikTok.",
            ),
        ],
        ids=["title", "caption", "link", "too-many"],
    )
    async def test_limits_are_refused_in_words(self, integration, mock_context, changes, expected):
        inputs = {**VALID_INPUTS["create_photo_post"], **changes}

        message = message_of(await integration.execute_action("create_photo_post", inputs, mock_context))

        assert message == expected and SECRET not in message
        mock_context.fetch.assert_not_awaited()

    async def test_the_cover_photo_as_a_whole_float_is_sent_as_an_int(self, integration, mock_context):
        mock_context.fetch.side_effect = [ok(CREATOR), ok({"publish_id": "p_pub_url~v2.1"})]
        inputs = {**VALID_INPUTS["create_photo_post"], "cover_photo": 2.0}

        data_of(await integration.execute_action("create_photo_post", inputs, mock_context))

        index = fetched(mock_context)[1].kwargs["json"]["source_info"]["photo_cover_index"]
        assert index == 1 and type(index) is int


class TestGetAccountInsights:
    async def test_video_count_as_a_whole_float_is_sent_as_an_int(self, integration, mock_context):
        mock_context.fetch.side_effect = [ok({"user": {"follower_count": 1}}), ok({"videos": [], "has_more": False})]

        data = data_of(await integration.execute_action("get_account_insights", {"video_count": 3.0}, mock_context))

        body = fetched(mock_context)[1].kwargs["json"]
        assert body == {"max_count": 3} and type(body["max_count"]) is int
        assert data["explanation"] == "The account has no public videos yet, so there is nothing to analyse."
