"""Live tests against real TikTok. Skipped unless TIKTOK_ACCESS_TOKEN is set (see .env.example).

Safe first:   pytest tests/test_tiktok_integration.py -m "integration and not destructive"
Posting too:  TIKTOK_TEST_VIDEO=/path/to/real.mp4 pytest tests/test_tiktok_integration.py -m integration
The destructive tests post a SELF_ONLY video (visible only to the account owner) and send a draft to the
account's TikTok inbox; delete them in the TikTok app afterwards.
"""

import base64
import os
from pathlib import Path

import pytest
from autohive_integrations_sdk import ExecutionContext

TOKEN = os.environ.get("TIKTOK_ACCESS_TOKEN")
VIDEO = os.environ.get("TIKTOK_TEST_VIDEO")

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not TOKEN, reason="TIKTOK_ACCESS_TOKEN is not set"),
]


@pytest.fixture
async def live():
    auth = {"auth_type": "PlatformOauth2", "credentials": {"access_token": TOKEN}}
    async with ExecutionContext(auth=auth) as ctx:
        yield ctx


def _video_file() -> dict:
    if not VIDEO:
        pytest.skip("TIKTOK_TEST_VIDEO (a real MP4 of a few seconds) is not set")
    path = Path(VIDEO)
    return {"name": path.name, "contentType": "video/mp4", "content": base64.b64encode(path.read_bytes()).decode()}


async def test_user_info_reads_the_connected_account(integration, live):
    result = await integration.execute_action("get_user_info", {}, live)
    assert result.type.value == "action", result.result
    assert result.result.data["open_id"]


async def test_creator_info_lists_privacy_options(integration, live):
    result = await integration.execute_action("get_creator_info", {}, live)
    assert result.type.value == "action", result.result
    assert "SELF_ONLY" in result.result.data["privacy_level_options"]


async def test_video_list_returns_string_ids(integration, live):
    result = await integration.execute_action("get_videos", {"max_count": 5}, live)
    assert result.type.value == "action", result.result
    assert all(isinstance(v["id"], str) and v["id"].isdigit() for v in result.result.data["videos"])


@pytest.mark.destructive
async def test_post_a_private_video(integration, live):
    inputs = {"file": _video_file(), "privacy_level": "SELF_ONLY", "caption": "Autohive integration test #test"}
    result = await integration.execute_action("create_video_post", inputs, live)
    assert result.type.value == "action", result.result
    status = await integration.execute_action(
        "get_post_status", {"publish_id": result.result.data["publish_id"], "wait_seconds": 20}, live
    )
    assert status.type.value == "action", status.result
    assert status.result.data["status"] in ("PROCESSING_UPLOAD", "PUBLISH_COMPLETE")


@pytest.mark.destructive
async def test_send_a_draft_to_the_inbox(integration, live):
    result = await integration.execute_action("upload_video_draft", {"file": _video_file()}, live)
    assert result.type.value == "action", result.result
    assert result.result.data["publish_id"]
