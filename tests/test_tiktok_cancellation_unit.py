"""The platform stopping a step: an asyncio.CancelledError reaching an action becomes an ActionError that says
whether the post may exist, instead of escaping as a crash."""

import asyncio

import pytest
from autohive_integrations_sdk import ResultType

from tiktok_testkit import ok

pytestmark = pytest.mark.unit

CREATOR_INFO = "https://open.tiktokapis.com/v2/post/publish/creator_info/query/"
VIDEO_INIT = "https://open.tiktokapis.com/v2/post/publish/video/init/"
INBOX_INIT = "https://open.tiktokapis.com/v2/post/publish/inbox/video/init/"
CONTENT_INIT = "https://open.tiktokapis.com/v2/post/publish/content/init/"
PULL_URL = "https://media.example.com/verified/clip.mp4"
PHOTO_URL = "https://media.example.com/verified/one.webp"
CREATOR = {"creator_nickname": "Ada", "privacy_level_options": ["SELF_ONLY"], "max_video_post_duration_sec": 300}

NOTHING_CHANGED = "The step was stopped before it finished; nothing was posted or changed. Run it again."
MAY_EXIST = (
    "The step was stopped before it finished, after the post was sent to TikTok. The post may have been created "
    "anyway, so the request was not sent again: check the TikTok profile (or the creator's inbox) before running "
    "the step again."
)


def stopped_at(stop_url):
    """A fetch that answers like TikTok until the request to stop_url, where the platform stops the step."""

    async def fetch(url, **_):
        if url == stop_url:
            raise asyncio.CancelledError()
        return ok({"user": {"open_id": "x"}, **CREATOR})

    return fetch


def message_of(result):
    assert result.type == ResultType.ACTION_ERROR, result.result
    return result.result.message


class TestGetUserInfo:
    async def test_stopped_read_says_nothing_changed(self, integration, mock_context):
        mock_context.fetch.side_effect = asyncio.CancelledError()

        result = await integration.execute_action("get_user_info", {}, mock_context)

        assert message_of(result) == NOTHING_CHANGED

    async def test_a_real_task_cancel_ends_in_an_answer(self, integration, mock_context):
        started = asyncio.Event()

        async def hang(*_args, **_kwargs):
            started.set()
            await asyncio.Event().wait()

        mock_context.fetch.side_effect = hang
        task = asyncio.ensure_future(integration.execute_action("get_user_info", {}, mock_context))
        await started.wait()
        task.cancel()

        assert message_of(await task) == NOTHING_CHANGED


class TestCreateVideoPost:
    async def test_stopped_before_the_init_says_nothing_was_posted(self, integration, mock_context):
        mock_context.fetch.side_effect = stopped_at(CREATOR_INFO)
        inputs = {"video_url": PULL_URL, "pull_from_url": True, "privacy_level": "SELF_ONLY"}

        result = await integration.execute_action("create_video_post", inputs, mock_context)

        assert message_of(result) == NOTHING_CHANGED
        assert [c.args[0] for c in mock_context.fetch.await_args_list] == [CREATOR_INFO]


class TestStoppedDuringAnInit:
    @pytest.mark.parametrize(
        ("action", "inputs", "init_url"),
        [
            (
                "create_video_post",
                {"video_url": PULL_URL, "pull_from_url": True, "privacy_level": "SELF_ONLY"},
                VIDEO_INIT,
            ),
            ("upload_video_draft", {"video_url": PULL_URL, "pull_from_url": True}, INBOX_INIT),
            ("create_photo_post", {"photo_urls": [PHOTO_URL], "post_mode": "MEDIA_UPLOAD"}, CONTENT_INIT),
        ],
        ids=["create_video_post", "upload_video_draft", "create_photo_post"],
    )
    async def test_it_says_the_post_may_exist(self, integration, mock_context, action, inputs, init_url):
        mock_context.fetch.side_effect = stopped_at(init_url)

        result = await integration.execute_action(action, inputs, mock_context)

        assert message_of(result) == MAY_EXIST
        assert [c.args[0] for c in mock_context.fetch.await_args_list][-1] == init_url


class TestCreatePhotoPost:
    async def test_a_later_run_on_the_same_context_starts_clean(self, integration, mock_context):
        """Whether a post was sent belongs to one run: the next run that is stopped early says nothing was posted."""
        mock_context.fetch.side_effect = stopped_at(CONTENT_INIT)
        inputs = {"photo_urls": [PHOTO_URL], "post_mode": "MEDIA_UPLOAD"}
        assert message_of(await integration.execute_action("create_photo_post", inputs, mock_context)) == MAY_EXIST

        mock_context.fetch.side_effect = asyncio.CancelledError()

        assert message_of(await integration.execute_action("get_creator_info", {}, mock_context)) == NOTHING_CHANGED
