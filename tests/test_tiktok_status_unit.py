"""get_post_status: one request or polling until the post settles, exact ids, plain explanations."""

import pytest
import tiktok_posting
from autohive_integrations_sdk import ResultType

from tiktok_testkit import (
    BIG_ID,
    BIG_ID_TEXT,
    PUBLISH_ID,
    STATUS,
    data_of,
    fetched,
    message_of,
    ok,
    request,
    status_data,
)

pytestmark = pytest.mark.unit


# ---- get_post_status ------------------------------------------------------------------------------------------------


class TestGetPostStatus:
    async def test_one_request_without_waiting(self, integration, mock_context):
        mock_context.fetch.side_effect = [ok(status_data("PROCESSING_UPLOAD", uploaded_bytes=1024))]

        result = await integration.execute_action("get_post_status", {"publish_id": f"  {PUBLISH_ID} "}, mock_context)

        assert fetched(mock_context) == [request(STATUS, body={"publish_id": PUBLISH_ID})]
        assert data_of(result) == {
            "publish_id": PUBLISH_ID,
            "status": "PROCESSING_UPLOAD",
            "published": False,
            "failed": False,
            "is_final": False,
            "waiting_on_user": False,
            "fail_reason": None,
            "publicaly_available_post_id": [],
            "uploaded_bytes": 1024,
            "downloaded_bytes": None,
            "explanation": "TikTok is receiving and processing the uploaded video.",
            "post_id": None,
            "post_url": None,
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

    async def test_waiting_is_bounded_by_wait_seconds(
        self, integration, mock_context, tiktok_module, monkeypatch, clock
    ):
        monkeypatch.setattr(tiktok_posting, "STATUS_POLL_INTERVAL_S", 0.25)
        mock_context.fetch.side_effect = lambda *args, **kwargs: ok(status_data("PROCESSING_UPLOAD"))

        started = clock.now
        result = await integration.execute_action(
            "get_post_status", {"publish_id": PUBLISH_ID, "wait_seconds": 1}, mock_context
        )

        assert clock.now - started == 1.0  # polled at 0, 0.25, 0.5, 0.75 and 1 s, then the wait was over
        assert fetched(mock_context) == [request(STATUS, body={"publish_id": PUBLISH_ID})] * 5
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

    async def test_blank_publish_id_sends_nothing(self, integration, mock_context):
        message = message_of(await integration.execute_action("get_post_status", {"publish_id": "   "}, mock_context))

        assert "publish_id must not be empty" in message
        mock_context.fetch.assert_not_awaited()

    @pytest.mark.parametrize(
        "inputs",
        [
            {},
            {"publish_id": PUBLISH_ID, "wait_seconds": 26},
            {"publish_id": PUBLISH_ID, "wait_seconds": -1},
        ],
    )
    async def test_schema_rejections_send_nothing(self, integration, mock_context, inputs):
        result = await integration.execute_action("get_post_status", inputs, mock_context)

        assert result.type == ResultType.VALIDATION_ERROR
        assert result.result["source"] == "input"
        mock_context.fetch.assert_not_awaited()
