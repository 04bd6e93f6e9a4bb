"""create_video_post, upload_video_draft and create_photo_post: exact init bodies, forced settings, the upload PUT
(through the loopback server), and every input refused before anything is sent."""

import pytest
from autohive_integrations_sdk import ResultType

from tiktok_testkit import (
    CONTENT_INIT,
    CREATOR_INFO,
    INBOX_INIT,
    LOG_ID,
    MP4,
    PHOTOS,
    PULL_URL,
    UPLOAD_PATH,
    VERIFIED,
    VIDEO_INIT,
    b64,
    creator,
    data_of,
    fetched,
    make_mov,
    make_mp4,
    make_webm,
    message_of,
    ok,
    request,
    sent_headers,
    sha256,
    tiktok_error,
    upload_answers,
    urls,
)

pytestmark = pytest.mark.unit

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


def schema_rejected(result, mock_context):
    assert result.type == ResultType.VALIDATION_ERROR
    assert result.result["source"] == "input"
    mock_context.fetch.assert_not_awaited()


# ---- create_video_post ----------------------------------------------------------------------------------------------

POSTED_EXPLANATION = (
    "TikTok is processing the video; the post appears for everyone within a few minutes: run Get Post Status with "
    "the publish_id to follow it."
)
DRAFT_EXPLANATION = (
    "TikTok is taking the video; the creator then gets a notification in the TikTok app to finish and post it (status "
    "SEND_TO_USER_INBOX): run Get Post Status with the publish_id to follow it."
)
NOT_YET = {"published": False, "failed": False}
NO_LINKS = {"post_id": None, "post_url": None, "share_url": None, "embed_link": None, "cover_image_url": None}
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
            **NOT_YET,
            "is_final": False,
            "fail_reason": None,
            "publicaly_available_post_id": [],
            **NO_LINKS,
            "missing_scopes": [],
            "explanation": POSTED_EXPLANATION,
        }

    async def test_every_option_reaches_post_info(self, integration, mock_context):
        mock_context.fetch.side_effect = [ok(creator()), ok({"publish_id": "v_pub_url~v2.1"})]
        inputs = {
            "video_url": PULL_URL,
            "pull_from_url": True,
            "privacy_level": "MUTUAL_FOLLOW_FRIENDS",
            "caption": "A #cat video for @friend 🐈",
            "allow_comments": True,
            "allow_duet": True,
            "allow_stitch": True,
            "cover_frame_seconds": 1.5,
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
        inputs = {"video_url": PULL_URL, "pull_from_url": True, "privacy_level": "SELF_ONLY", "caption": title}

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
            "allow_comments": True,
            "allow_duet": True,
            "allow_stitch": False,
        }

        result = await integration.execute_action("create_video_post", inputs, mock_context)

        body = fetched(mock_context)[1].kwargs["json"]
        assert body["post_info"] == {"privacy_level": "SELF_ONLY", **DEFAULT_POST_INFO}
        assert data_of(result)["forced_settings"] == ["allow_comments", "allow_duet"]

    @pytest.mark.parametrize("code", ["spam_risk_too_many_posts", "spam_risk_user_banned_from_posting"])
    async def test_creator_who_cannot_post_stops_before_init(self, integration, mock_context, code):
        mock_context.fetch.side_effect = [tiktok_error(200, code)]
        inputs = {"video_url": PULL_URL, "pull_from_url": True, "privacy_level": "PUBLIC_TO_EVERYONE"}

        message = message_of(await integration.execute_action("create_video_post", inputs, mock_context))

        assert code in message and LOG_ID in message
        assert urls(mock_context) == [CREATOR_INFO]

    async def test_inline_file_init_body_and_put_headers(self, integration, mock_context, loopback):
        clip = make_mp4(4096, duration_s=12.0)
        mock_context.fetch.side_effect = upload_answers(loopback, VIDEO_INIT, "v_pub_file~v2.41", creator())
        inputs = {
            "file": {"name": "clip.mp4", "contentType": "video/mp4", "content": b64(clip)},
            "privacy_level": "PUBLIC_TO_EVERYONE",
            "caption": "Sunset 🌅 #nofilter",
        }

        result = await integration.execute_action("create_video_post", inputs, mock_context)

        assert data_of(result) == {
            "publish_id": "v_pub_file~v2.41",
            "status": "PROCESSING_UPLOAD",
            "source": "FILE_UPLOAD",
            "video_size": 4096,
            "chunk_count": 1,
            "content_type": "video/mp4",
            "creator_nickname": "Ada Films",
            "privacy_level": "PUBLIC_TO_EVERYONE",
            "forced_settings": [],
            **NOT_YET,
            "is_final": False,
            "fail_reason": None,
            "publicaly_available_post_id": [],
            **NO_LINKS,
            "missing_scopes": [],
            "explanation": POSTED_EXPLANATION,
        }
        assert fetched(mock_context) == [
            request(CREATOR_INFO),
            request(
                VIDEO_INIT,
                body={
                    "post_info": {
                        "privacy_level": "PUBLIC_TO_EVERYONE",
                        "title": "Sunset 🌅 #nofilter",
                        **DEFAULT_POST_INFO,
                    },
                    "source_info": {
                        "source": "FILE_UPLOAD",
                        "video_size": 4096,
                        "chunk_size": 4096,
                        "total_chunk_count": 1,
                    },
                },
            ),
        ]
        (put,) = loopback.requests
        assert (put["method"], put["path"]) == ("PUT", UPLOAD_PATH)
        assert sent_headers(put) == {
            "Content-Type": "video/mp4",
            "Content-Length": "4096",
            "Content-Range": "bytes 0-4095/4096",
        }
        assert "Authorization" not in put["headers"]  # the TikTok login never goes to the upload host
        assert sha256(loopback.received) == sha256(clip)

    async def test_inline_file_with_comments_off_in_tiktok(self, integration, mock_context, loopback):
        mock_context.fetch.side_effect = upload_answers(
            loopback, VIDEO_INIT, creator_data=creator(comment_disabled=True)
        )
        inputs = {
            "files": [{"name": "clip.mp4", "content": b64(make_mp4(2048))}],
            "privacy_level": "SELF_ONLY",
            "allow_comments": True,
            "allow_duet": True,
        }

        result = await integration.execute_action("create_video_post", inputs, mock_context)

        assert data_of(result)["forced_settings"] == ["allow_comments"]
        assert urls(mock_context) == [CREATOR_INFO, VIDEO_INIT]
        assert fetched(mock_context)[1].kwargs["json"]["post_info"] == {
            "privacy_level": "SELF_ONLY",
            "disable_comment": True,
            "disable_duet": False,
            "disable_stitch": True,
            "brand_content_toggle": False,
            "brand_organic_toggle": False,
        }
        assert len(loopback.puts) == 1

    async def test_video_longer_than_the_creator_may_post_stops_before_init(self, integration, mock_context):
        mock_context.fetch.side_effect = [ok(creator(max_video_post_duration_sec=60))]
        inputs = {"file": {"content": b64(make_mp4(2048, duration_s=61.5))}, "privacy_level": "SELF_ONLY"}

        message = message_of(await integration.execute_action("create_video_post", inputs, mock_context))

        assert "61.5 seconds" in message and "at most 60" in message
        assert urls(mock_context) == [CREATOR_INFO]

    @pytest.mark.parametrize(("seconds", "sent"), [(0, 0), (11.9994, 11999)])
    async def test_a_cover_frame_within_the_video_is_sent_in_ms(
        self, integration, mock_context, loopback, seconds, sent
    ):
        mock_context.fetch.side_effect = upload_answers(loopback, VIDEO_INIT, creator_data=creator())
        inputs = {"file": {"content": b64(make_mp4(2048, duration_s=12.0))}, "privacy_level": "SELF_ONLY"}

        data_of(
            await integration.execute_action(
                "create_video_post", {**inputs, "cover_frame_seconds": seconds}, mock_context
            )
        )

        assert fetched(mock_context)[1].kwargs["json"]["post_info"]["video_cover_timestamp_ms"] == sent

    @pytest.mark.parametrize("seconds", [12, 60])
    async def test_a_cover_frame_past_the_end_stops_before_init(self, integration, mock_context, seconds):
        mock_context.fetch.side_effect = [ok(creator())]
        inputs = {"file": {"content": b64(make_mp4(2048, duration_s=12.0))}, "privacy_level": "SELF_ONLY"}

        message = message_of(
            await integration.execute_action(
                "create_video_post", {**inputs, "cover_frame_seconds": seconds}, mock_context
            )
        )

        assert message == (
            f"cover_frame_seconds is {seconds}, but the video is 12 seconds long. Choose a moment within the video, or "
            "leave it out for the first frame; nothing was posted."
        )
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

    @pytest.mark.parametrize(("inputs", "reason"), VIDEO_SOURCE_ERRORS)
    async def test_video_source_errors_send_nothing(self, integration, mock_context, inputs, reason):
        inputs = {**inputs, "privacy_level": "SELF_ONLY"}

        message = message_of(await integration.execute_action("create_video_post", inputs, mock_context))

        assert reason in message
        mock_context.fetch.assert_not_awaited()

    @pytest.mark.parametrize(
        ("inputs", "reason"),
        [
            ({"caption": "😀" * 1101}, "The caption is 2202 characters long as TikTok counts them"),
            ({"caption": "half an emoji \ud83d here"}, "The caption contains an invalid character"),
            ({"privacy_level": "SELF_ONLY", "brand_content_toggle": True}, "cannot be posted with privacy level"),
        ],
    )
    async def test_video_post_text_and_branding_errors_send_nothing(self, integration, mock_context, inputs, reason):
        inputs = {"video_url": PULL_URL, "pull_from_url": True, "privacy_level": "PUBLIC_TO_EVERYONE", **inputs}

        message = message_of(await integration.execute_action("create_video_post", inputs, mock_context))

        assert reason in message
        mock_context.fetch.assert_not_awaited()

    async def test_privacy_not_offered_sends_no_init(self, integration, mock_context):
        mock_context.fetch.side_effect = [
            ok(creator(privacy_level_options=["PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS"]))
        ]
        inputs = {"video_url": PULL_URL, "pull_from_url": True, "privacy_level": "SELF_ONLY"}

        message = message_of(await integration.execute_action("create_video_post", inputs, mock_context))

        assert "does not offer the privacy level SELF_ONLY" in message
        assert urls(mock_context) == [CREATOR_INFO]

    @pytest.mark.parametrize(
        "inputs",
        [
            {"video_url": PULL_URL},
            {"video_url": PULL_URL, "privacy_level": "PRIVATE"},
            {"video_url": PULL_URL, "privacy_level": "SELF_ONLY", "cover_frame_seconds": -1},
            {"video_url": PULL_URL, "privacy_level": "SELF_ONLY", "cover_frame_seconds": "2s"},
            # Past an hour (no TikTok post is that long), and never a number that overflows milliseconds.
            {"video_url": PULL_URL, "privacy_level": "SELF_ONLY", "cover_frame_seconds": 1e306},
            {"files": [], "privacy_level": "SELF_ONLY"},
            {"video_url": PULL_URL, "privacy_level": "SELF_ONLY", "allow_comments": "no"},
        ],
    )
    async def test_schema_rejections_send_nothing(self, integration, mock_context, inputs):
        schema_rejected(await integration.execute_action("create_video_post", inputs, mock_context), mock_context)


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
            **NOT_YET,
            "source": "PULL_FROM_URL",
            "explanation": DRAFT_EXPLANATION,
        }

    @pytest.mark.parametrize(
        ("make", "content_type"),
        [(make_mp4, "video/mp4"), (make_mov, "video/quicktime"), (make_webm, "video/webm")],
        ids=["mp4", "mov", "webm"],
    )
    async def test_inline_file_init_body_and_put_headers(self, integration, mock_context, loopback, make, content_type):
        clip = make(3000)
        mock_context.fetch.side_effect = upload_answers(loopback, INBOX_INIT, "v_inbox_file~v2.42")
        inputs = {"file": {"name": "clip", "content": "data:application/octet-stream;base64," + b64(clip)}}

        result = await integration.execute_action("upload_video_draft", inputs, mock_context)

        assert data_of(result) == {
            "publish_id": "v_inbox_file~v2.42",
            "status": "PROCESSING_UPLOAD",
            "source": "FILE_UPLOAD",
            "video_size": 3000,
            "chunk_count": 1,
            "content_type": content_type,
            **NOT_YET,
            "explanation": DRAFT_EXPLANATION,
        }
        assert fetched(mock_context) == [
            request(
                INBOX_INIT,
                body={
                    "source_info": {
                        "source": "FILE_UPLOAD",
                        "video_size": 3000,
                        "chunk_size": 3000,
                        "total_chunk_count": 1,
                    }
                },
            )
        ]
        (put,) = loopback.requests
        assert (put["method"], put["path"]) == ("PUT", UPLOAD_PATH)
        assert sent_headers(put) == {
            "Content-Type": content_type,
            "Content-Length": "3000",
            "Content-Range": "bytes 0-2999/3000",
        }
        assert sha256(loopback.received) == sha256(clip)

    @pytest.mark.parametrize(("inputs", "reason"), VIDEO_SOURCE_ERRORS)
    async def test_video_source_errors_send_nothing(self, integration, mock_context, inputs, reason):
        message = message_of(await integration.execute_action("upload_video_draft", inputs, mock_context))

        assert reason in message
        mock_context.fetch.assert_not_awaited()

    @pytest.mark.parametrize(
        "inputs",
        [
            {"files": []},
            {"video_url": PULL_URL, "pull_from_url": "yes"},
        ],
    )
    async def test_schema_rejections_send_nothing(self, integration, mock_context, inputs):
        schema_rejected(await integration.execute_action("upload_video_draft", inputs, mock_context), mock_context)


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
            **NOT_YET,
            "explanation": "TikTok is processing the photos; the post appears for everyone within a few minutes: run "
            "Get Post Status with the publish_id to follow it.",
            "photo_warnings": [],
        }

    async def test_direct_post_with_every_option(self, integration, mock_context):
        mock_context.fetch.side_effect = [ok(creator()), ok({"publish_id": "p_pub_url~v2.9"})]
        inputs = {
            "photo_urls": PHOTOS,
            "cover_photo": 3,
            "post_mode": "DIRECT_POST",
            "privacy_level": "MUTUAL_FOLLOW_FRIENDS",
            "title": "Three 📸",
            "caption": "Holiday #travel @friend",
            "allow_comments": True,
            "auto_add_music": True,
            "brand_content_toggle": True,
            "brand_organic_toggle": True,
        }

        data = data_of(await integration.execute_action("create_photo_post", inputs, mock_context))

        assert data["explanation"] == (  # a friends-only post is explained as one, never as SELF_ONLY
            "TikTok is processing the photos; the post appears for the creator's friends within a few minutes: run "
            "Get Post Status with the publish_id to follow it."
        )
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
        inputs = {"photo_urls": PHOTOS, "post_mode": "MEDIA_UPLOAD", "title": title, "caption": description}

        data_of(await integration.execute_action("create_photo_post", inputs, mock_context))

        assert fetched(mock_context)[0].kwargs["json"]["post_info"] == {"title": title, "description": description}

    async def test_comments_switched_off_in_tiktok_are_forced(self, integration, mock_context):
        mock_context.fetch.side_effect = [ok(creator(comment_disabled=True)), ok({"publish_id": "p_pub_url~v2.3"})]
        inputs = {"photo_urls": PHOTOS[:1], "privacy_level": "SELF_ONLY", "allow_comments": True}

        data = data_of(await integration.execute_action("create_photo_post", inputs, mock_context))

        assert fetched(mock_context)[1].kwargs["json"]["post_info"]["disable_comment"] is True
        assert data["forced_settings"] == ["allow_comments"]

    @pytest.mark.parametrize(
        "defaults",
        [
            {},
            dict.fromkeys(("allow_comments", "auto_add_music", "brand_content_toggle", "brand_organic_toggle"), False),
        ],
        ids=["left-out", "schema-defaults-sent"],
    )
    async def test_media_upload_skips_creator_info_and_post_settings(self, integration, mock_context, defaults):
        mock_context.fetch.side_effect = [ok({"publish_id": "p_inbox_url~v2.5"})]
        inputs = {"photo_urls": PHOTOS[:2], "post_mode": "MEDIA_UPLOAD", "title": "Draft", "caption": "Later"}
        inputs |= defaults  # a form that fills in every schema default sends these

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
            **NOT_YET,
            "explanation": "TikTok is taking the photos; the creator then gets a notification in the TikTok app to "
            "finish and post it (status SEND_TO_USER_INBOX): run Get Post Status with the publish_id to follow it.",
            "photo_warnings": [],
        }

    async def test_creator_at_the_app_cap_stops_before_init(self, integration, mock_context):
        mock_context.fetch.side_effect = [tiktok_error(200, "reached_active_user_cap")]
        inputs = {"photo_urls": PHOTOS, "privacy_level": "SELF_ONLY"}

        message = message_of(await integration.execute_action("create_photo_post", inputs, mock_context))

        assert "reached_active_user_cap" in message
        assert urls(mock_context) == [CREATOR_INFO]

    @pytest.mark.parametrize(
        ("inputs", "reason"),
        [
            ({"photo_urls": [PHOTOS[0], "https://192.168.1.10/b.jpg"]}, "photo link #2 points to a private address"),
            ({"photo_urls": ["https://user:pw@cdn.example.com/a.jpg"]}, "user name or password"),
            (
                {"photo_urls": PHOTOS[:2], "cover_photo": 3},
                "cover_photo is 3, but photos are counted from 1 and this post has 2: choose a number from 1 to 2. "
                "Nothing was posted.",
            ),
            (
                {"photo_urls": PHOTOS[:1], "cover_photo": 0},
                "cover_photo is 0, but photos are counted from 1 and this post has 1: choose 1, the only photo. "
                "Nothing was posted.",
            ),
            ({"photo_urls": PHOTOS, "title": "😀" * 46}, "photo title is 92 characters long"),
            ({"photo_urls": PHOTOS, "caption": "😀" * 2001}, "caption is 4002 characters long"),
            ({"photo_urls": PHOTOS}, "privacy_level is required for DIRECT_POST"),
            ({"photo_urls": PHOTOS, "post_mode": "DIRECT_POST"}, "privacy_level is required for DIRECT_POST"),
            (
                {"photo_urls": PHOTOS, "privacy_level": "SELF_ONLY", "brand_content_toggle": True},
                "cannot be posted with privacy level SELF_ONLY",
            ),
            (
                {"photo_urls": PHOTOS, "post_mode": "MEDIA_UPLOAD", "privacy_level": "SELF_ONLY"},
                "With MEDIA_UPLOAD the creator chooses privacy_level in the TikTok app: leave it out, or use "
                "DIRECT_POST. Nothing was posted.",
            ),
            (
                {
                    "photo_urls": PHOTOS,
                    "post_mode": "MEDIA_UPLOAD",
                    "allow_comments": True,
                    "auto_add_music": True,
                    "brand_content_toggle": True,
                    "brand_organic_toggle": True,
                },
                "With MEDIA_UPLOAD the creator chooses allow_comments, auto_add_music, brand_content_toggle and "
                "brand_organic_toggle in the TikTok app: leave them out, or use DIRECT_POST. Nothing was posted.",
            ),
        ],
    )
    async def test_photo_input_errors_send_nothing(self, integration, mock_context, inputs, reason):
        message = message_of(await integration.execute_action("create_photo_post", inputs, mock_context))

        assert reason in message
        mock_context.fetch.assert_not_awaited()

    async def test_privacy_not_offered_sends_no_init(self, integration, mock_context):
        mock_context.fetch.side_effect = [
            ok(creator(privacy_level_options=["PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS"]))
        ]
        inputs = {"photo_urls": PHOTOS, "privacy_level": "SELF_ONLY"}

        message = message_of(await integration.execute_action("create_photo_post", inputs, mock_context))

        assert "does not offer the privacy level SELF_ONLY" in message
        assert urls(mock_context) == [CREATOR_INFO]

    @pytest.mark.parametrize(
        "inputs",
        [
            {},
            {"photo_urls": []},
            {"photo_urls": PHOTOS, "cover_photo": 1.5},
            {"photo_urls": PHOTOS, "post_mode": "DRAFT"},
            {"photo_urls": PHOTOS, "privacy_level": "EVERYONE"},
        ],
    )
    async def test_schema_rejections_send_nothing(self, integration, mock_context, inputs):
        schema_rejected(await integration.execute_action("create_photo_post", inputs, mock_context), mock_context)
