"""Live tests: every action and polling trigger once against real TikTok. Never part of the unit run.

Skipped without TIKTOK_ACCESS_TOKEN (a user access token with the scopes in config.json). Variables, as the root
.env.example lists them:
    TIKTOK_ACCESS_TOKEN     the token; without it every test is skipped
    TIKTOK_TEST_VIDEO       a real MP4 of a few seconds (check_video; the video posts)
    TIKTOK_LIVE_POSTS       1 to run the posting tests too
    TIKTOK_TEST_PHOTO_URL   a JPEG on a URL prefix verified for the app (the photo post)

Safe first:   pytest tiktok/tests/test_tiktok_integration.py -m "integration and not destructive"
Posting too:  TIKTOK_LIVE_POSTS=1 pytest tiktok/tests/test_tiktok_integration.py -m integration
The posting tests make a SELF_ONLY video (visible only to the account owner), a draft in the account's TikTok
inbox and a SELF_ONLY photo post; delete them in the TikTok app afterwards. Test names start with the action or
trigger they run, so a run can be summarised one line per action.
"""

import base64
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from autohive_integrations_sdk import ExecutionContext

pytestmark = pytest.mark.integration

CAPTION = "Autohive live test #test"
POSTED = {}  # publish ids made in this run, for get_post_status


@pytest.fixture
async def live(env_credentials):
    token = env_credentials("TIKTOK_ACCESS_TOKEN")
    if not token:
        pytest.skip("TIKTOK_ACCESS_TOKEN is not set")
    auth = {"auth_type": "PlatformOauth2", "credentials": {"access_token": token}}
    async with ExecutionContext(auth=auth) as context:
        yield context


@pytest.fixture
def video_file(env_credentials) -> dict:
    path = env_credentials("TIKTOK_TEST_VIDEO")
    if not path:
        pytest.skip("TIKTOK_TEST_VIDEO (a real MP4 of a few seconds) is not set")
    video = Path(path)
    return {"name": video.name, "contentType": "video/mp4", "content": base64.b64encode(video.read_bytes()).decode()}


@pytest.fixture
def posting(env_credentials):
    if env_credentials("TIKTOK_LIVE_POSTS") != "1":
        pytest.skip("posts only with TIKTOK_LIVE_POSTS=1")


def data(result) -> dict:
    assert result.type.value == "action", result.result
    return result.result.data


def thirty_days_ago() -> str:
    return (datetime.now(UTC) - timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")


async def test_get_user_info_reads_the_connected_account(integration, live):
    user = data(await integration.execute_action("get_user_info", {}, live))

    assert user["open_id"] and user["display_name"] is not None


async def test_get_creator_info_lists_privacy_options(integration, live):
    creator = data(await integration.execute_action("get_creator_info", {}, live))

    assert "SELF_ONLY" in creator["privacy_level_options"]
    assert isinstance(creator["can_post"], bool)


async def test_get_videos_returns_string_ids(integration, live):
    page = data(await integration.execute_action("get_videos", {"max_count": 5}, live))

    assert all(isinstance(v["id"], str) and v["id"].isdigit() for v in page["videos"])
    assert isinstance(page["has_more"], bool)


async def test_get_video_reads_the_newest_video_by_its_id(integration, live):
    page = data(await integration.execute_action("get_videos", {"max_count": 1}, live))
    if not page["videos"]:
        pytest.skip("the account has no public video to read")
    video_id = page["videos"][0]["id"]

    found = data(await integration.execute_action("get_video", {"video_ids": [video_id]}, live))

    assert [v["id"] for v in found["videos"]] == [video_id] and found["not_found"] == []


async def test_get_account_insights_sums_recent_videos(integration, live):
    insights = data(await integration.execute_action("get_account_insights", {"video_count": 5}, live))

    assert insights["videos_analyzed"] <= 5 and insights["total_views"] >= 0


async def test_check_video_reads_the_test_video(integration, live, video_file):
    facts = data(await integration.execute_action("check_video", {"file": video_file}, live))

    assert isinstance(facts["ok"], bool) and facts["container"] and facts["duration_seconds"] > 0


async def test_new_video_polls_the_last_thirty_days(integration, live):
    events = await integration.execute_polling_trigger("new_video", {}, thirty_days_ago(), live)

    assert isinstance(events, list)
    assert all(isinstance(event, dict) for event in events)


async def test_video_reached_views_polls_the_last_thirty_days(integration, live):
    inputs = {"views": 1, "within_days": 30}

    events = await integration.execute_polling_trigger("video_reached_views", inputs, thirty_days_ago(), live)

    assert isinstance(events, list)
    assert all(isinstance(event, dict) for event in events)


@pytest.mark.destructive
async def test_create_video_post_posts_a_private_video(integration, live, posting, video_file):
    inputs = {
        "file": video_file,
        "privacy_level": "SELF_ONLY",
        "caption": CAPTION,
        "allow_comments": False,
        "allow_duet": False,
        "allow_stitch": False,
        "cover_frame_seconds": 0,
    }

    post = data(await integration.execute_action("create_video_post", inputs, live))

    assert post["publish_id"] and post["privacy_level"] == "SELF_ONLY"
    POSTED["video"] = post["publish_id"]


@pytest.mark.destructive
async def test_get_post_status_follows_the_private_video(integration, live, posting):
    if "video" not in POSTED:
        pytest.skip("no video was posted in this run")
    inputs = {"publish_id": POSTED["video"], "wait_seconds": 20}

    status = data(await integration.execute_action("get_post_status", inputs, live))

    assert status["status"] in ("PROCESSING_UPLOAD", "PUBLISH_COMPLETE"), status


@pytest.mark.destructive
async def test_upload_video_draft_sends_a_draft_to_the_inbox(integration, live, posting, video_file):
    draft = data(await integration.execute_action("upload_video_draft", {"file": video_file}, live))

    assert draft["publish_id"]


@pytest.mark.destructive
async def test_create_photo_post_posts_a_private_photo(integration, live, posting, env_credentials):
    photo_url = env_credentials("TIKTOK_TEST_PHOTO_URL")
    if not photo_url:
        pytest.skip("TIKTOK_TEST_PHOTO_URL (a JPEG on a verified URL prefix) is not set")
    inputs = {
        "photo_urls": [photo_url],
        "caption": CAPTION,
        "title": "Autohive live test",
        "cover_photo": 1,
        "allow_comments": False,
        "privacy_level": "SELF_ONLY",
        "post_mode": "DIRECT_POST",
    }

    post = data(await integration.execute_action("create_photo_post", inputs, live))

    assert post["publish_id"] and post["photo_count"] == 1
