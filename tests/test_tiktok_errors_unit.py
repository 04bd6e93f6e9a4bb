"""Error translation for every documented TikTok code, publish requests sent once, the step budget and pacing."""

import asyncio

import aiohttp
import pytest
import tiktok_posting
import tiktok_api
from autohive_integrations_sdk import FetchResponse, HTTPError, RateLimitError, ResultType

from tiktok_testkit import (
    FakeClock,
    BASIC_USER,
    BIG_ID_TEXT,
    CONTENT_INIT,
    CREATOR_INFO,
    INBOX_INIT,
    LOG_ID,
    MP4,
    PHOTOS,
    PROFILE_USER,
    PUBLISH_ID,
    PULL_URL,
    TOKEN,
    VIDEO_FIELDS,
    VIDEO_INIT,
    VIDEO_LIST,
    always,
    answers_by_url,
    creator,
    data_of,
    fetched,
    message_of,
    ok,
    raise_,
    request,
    status_data,
    tiktok_error,
    urls,
    videos,
)

pytestmark = pytest.mark.unit


# ---- Publish requests get exactly one attempt ---------------------------------------------------------------------

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
        mock_context.fetch.side_effect = lambda url, **kw: ok(creator()) if url == CREATOR_INFO else raise_(failure)

        message = message_of(await integration.execute_action(action, inputs, mock_context))

        assert reason in message
        assert "may have been created anyway, so the request was not sent again" in message
        assert urls(mock_context).count(init_url) == 1

    @pytest.mark.parametrize(("action", "inputs", "init_url"), PUBLISHES)
    async def test_a_429_is_not_resent(self, integration, mock_context, action, inputs, init_url):
        limited = tiktok_error(429, "rate_limit_exceeded")
        mock_context.fetch.side_effect = lambda url, **kw: ok(creator()) if url == CREATOR_INFO else raise_(limited)

        message = message_of(await integration.execute_action(action, inputs, mock_context))

        assert "rate_limit_exceeded" in message and LOG_ID in message
        assert urls(mock_context).count(init_url) == 1

    @pytest.mark.parametrize("fault", ["timeout", "disconnect", "429", "500", "502_html"])
    @pytest.mark.parametrize(
        ("action", "inputs", "init_url"),
        [
            (
                "create_video_post",
                {"video_url": PULL_URL, "pull_from_url": True, "privacy_level": "SELF_ONLY"},
                VIDEO_INIT,
            ),
            ("upload_video_draft", {"video_url": PULL_URL, "pull_from_url": True}, INBOX_INIT),
            ("create_photo_post", {"photo_urls": PHOTOS, "privacy_level": "SELF_ONLY"}, CONTENT_INIT),
        ],
    )
    async def test_the_sdk_is_told_not_to_resend_the_init(
        self, integration, mock_context, action, inputs, init_url, fault
    ):
        # The SDK resends a request after a network error while retry_count < config["max_retries"]: every request
        # goes out with retry_count at that maximum, so the SDK never resends; the shared config is never touched.
        seen = []

        def answer(url, **kwargs):
            seen.append((url, kwargs["retry_count"], dict(mock_context.config)))
            return ok(creator()) if url == CREATOR_INFO else raise_(FAULTS[fault])

        mock_context.fetch.side_effect = answer

        result = await integration.execute_action(action, inputs, mock_context)

        assert result.type == ResultType.ACTION_ERROR
        assert [(count, config) for url, count, config in seen if url == init_url] == [
            (3, {"max_retries": 3, "timeout": 30})
        ]
        assert mock_context.config == {"max_retries": 3, "timeout": 30}

    async def test_reads_are_still_tried_again(self, integration, mock_context):
        seen = []
        answers = [asyncio.TimeoutError(), ok(creator())]

        def answer(url, **kwargs):
            seen.append((kwargs["retry_count"], dict(mock_context.config)))
            value = answers.pop(0)
            return raise_(value) if isinstance(value, BaseException) else value

        mock_context.fetch.side_effect = answer

        result = await integration.execute_action("get_creator_info", {}, mock_context)

        assert data_of(result)["creator_nickname"] == "Ada Films"
        assert fetched(mock_context) == [request(CREATOR_INFO)] * 2  # tried again by the integration, not the SDK
        assert seen == [(3, {"max_retries": 3, "timeout": 30})] * 2
        assert mock_context.config == {"max_retries": 3, "timeout": 30}


FAULTS = {
    "timeout": asyncio.TimeoutError(),
    "disconnect": aiohttp.ServerDisconnectedError(),
    "429": tiktok_error(429, "rate_limit_exceeded"),
    "500": tiktok_error(500, "internal_error"),
    "502_html": HTTPError(502, "<html>Bad Gateway</html>", "<html>Bad Gateway</html>"),
}


# ---- Error translation -------------------------------------------------------------------------------------------

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
        ("url_ownership_unverified", "only pulls from domains the app's owner verified"),
        ("privacy_level_option_mismatch", "choose one of its privacy_level_options"),
        ("app_version_check_failed", "TikTok app version 31.8 or later"),
        ("invalid_publish_id", "TikTok does not know this publish_id"),
        ("token_not_authorized_for_specified_publish_id", "belongs to another TikTok account or app"),
    ]
)

GLOBAL_CODES = [  # https://developers.tiktok.com/doc/tiktok-api-v2-error-handling
    (401, "access_token_invalid"),
    (500, "internal_error"),
    (400, "invalid_file_upload"),
    (400, "invalid_params"),
    (429, "rate_limit_exceeded"),
    (401, "scope_not_authorized"),
    (400, "scope_permission_missed"),
]
# creator_info's HTTP-200 posting caps are answers, not errors (can_post: test_tiktok_confirm_unit.py).
CREATOR_INFO_CODES = [  # https://developers.tiktok.com/doc/content-posting-api-reference-query-creator-info
    (401, "access_token_invalid"),
    (401, "scope_not_authorized"),
    (429, "rate_limit_exceeded"),
]
VIDEO_INIT_CODES = [  # https://developers.tiktok.com/doc/content-posting-api-reference-direct-post
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
INBOX_INIT_CODES = [  # https://developers.tiktok.com/doc/content-posting-api-reference-upload-video
    (400, "invalid_param"),
    (403, "spam_risk_too_many_pending_share"),
    (403, "spam_risk_user_banned_from_posting"),
    (403, "url_ownership_unverified"),
    (401, "access_token_invalid"),
    (401, "scope_not_authorized"),
    (429, "rate_limit_exceeded"),
]
PHOTO_INIT_CODES = [  # https://developers.tiktok.com/doc/content-posting-api-reference-photo-post
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
STATUS_CODES = [  # https://developers.tiktok.com/doc/content-posting-api-reference-get-video-status
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
    # TikTok's own message is shown, minus the token it carried; a refused pull names the fallback's failure instead.
    assert "[redacted]" in message or "that failed too" in message


def failing(status, code):
    # TikTok's message carries the token here so the test proves it never reaches the user.
    return tiktok_error(status, code, f"Request with Authorization Bearer {TOKEN} refused ({code}).")


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
        mock_context.fetch.side_effect = answers_by_url(
            (CREATOR_INFO, ok(creator())), (VIDEO_INIT, failing(status, code))
        )
        inputs = {"video_url": PULL_URL, "pull_from_url": True, "privacy_level": "PUBLIC_TO_EVERYONE"}

        assert_translated(message_of(await integration.execute_action("create_video_post", inputs, mock_context)), code)
        assert urls(mock_context) == [CREATOR_INFO, VIDEO_INIT]

    @pytest.mark.parametrize(("status", "code"), INBOX_INIT_CODES)
    async def test_inbox_init_codes(self, integration, mock_context, status, code):
        mock_context.fetch.side_effect = answers_by_url((INBOX_INIT, failing(status, code)))
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
        mock_context.fetch.side_effect = answers_by_url(
            (CREATOR_INFO, ok(creator())), (CONTENT_INIT, failing(status, code))
        )

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
            ok(creator()) if url == CREATOR_INFO else raise_(answer) if isinstance(answer, Exception) else answer
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

        assert message == "TikTok's answer could not be read (RuntimeError). Wait a minute and run the step again."


class TestStepBudget:
    """The platform gives a step about 30 s: request timeouts, read retries and polling all stay inside it. These
    tests run on the fake clock: a slow answer is the fetch double moving the clock on, never a real wait."""

    async def test_request_timeout_is_capped_by_what_is_left_of_the_step(
        self, integration, mock_context, tiktok_module, monkeypatch, clock
    ):
        monkeypatch.setattr(tiktok_api, "STEP_BUDGET_S", 4.0)
        always(mock_context, ok({"user": BASIC_USER}))

        await integration.execute_action("get_user_info", {}, mock_context)

        assert fetched(mock_context)[0].kwargs["timeout"] == 4.0

    async def test_a_read_is_not_retried_when_the_step_has_no_room_left(
        self, integration, mock_context, tiktok_module, monkeypatch, clock
    ):
        monkeypatch.setattr(tiktok_api, "STEP_BUDGET_S", 3.0)

        async def slow_timeout(url, **kwargs):
            clock.advance(1.2)  # leaves 1.8 s: less than a request needs (MIN_REQUEST_S = 2)
            raise asyncio.TimeoutError()

        mock_context.fetch.side_effect = slow_timeout

        message = message_of(await integration.execute_action("get_creator_info", {}, mock_context))

        assert message == "TikTok did not answer in time. Check the connection and run the step again in a minute."
        assert len(fetched(mock_context)) == 1
        assert clock.slept == []

    async def test_no_request_is_started_without_time_for_an_answer(
        self, integration, mock_context, tiktok_module, monkeypatch
    ):
        monkeypatch.setattr(tiktok_api, "STEP_BUDGET_S", 1.5)

        message = message_of(await integration.execute_action("get_creator_info", {}, mock_context))

        assert message == "The step ran out of time waiting for TikTok. Run it again in a minute."
        assert fetched(mock_context) == []

    async def test_a_post_is_not_started_without_time_for_its_init(
        self, integration, mock_context, tiktok_module, monkeypatch, clock
    ):
        monkeypatch.setattr(tiktok_api, "STEP_BUDGET_S", 2.2)

        async def slow_creator_info(url, **kwargs):
            clock.advance(0.3)  # leaves 1.9 s: less than a request needs (MIN_REQUEST_S = 2)
            return ok(creator())

        mock_context.fetch.side_effect = slow_creator_info
        inputs = {"video_url": PULL_URL, "pull_from_url": True, "privacy_level": "SELF_ONLY"}

        message = message_of(await integration.execute_action("create_video_post", inputs, mock_context))

        assert message == (
            "The step ran out of time before the post could be sent to TikTok; nothing was sent. Run it again."
        )
        assert urls(mock_context) == [CREATOR_INFO]

    async def test_hung_requests_and_retries_together_stay_inside_the_budget(
        self, integration, mock_context, tiktok_module, monkeypatch, clock
    ):
        # The worst case: every try hangs until its timeout. Scaled down: 1 s timeouts, a 3.5 s step.
        monkeypatch.setattr(tiktok_api, "STEP_BUDGET_S", 3.5)
        monkeypatch.setattr(tiktok_api, "API_TIMEOUT_S", 1.0)
        monkeypatch.setattr(tiktok_api, "MIN_REQUEST_S", 0.5)

        async def hang(url, **kwargs):
            clock.advance(kwargs["timeout"])
            raise asyncio.TimeoutError()

        mock_context.fetch.side_effect = hang
        started = clock.now

        message = message_of(await integration.execute_action("get_videos", {}, mock_context))

        assert clock.now - started < 3.5
        assert "did not answer in time" in message
        assert [c.kwargs["timeout"] for c in fetched(mock_context)] == [1.0, 1.0, 1.0]

    async def test_status_waiting_ends_before_the_step_budget(
        self, integration, mock_context, tiktok_module, monkeypatch, clock
    ):
        monkeypatch.setattr(tiktok_api, "STEP_BUDGET_S", 5.0)
        monkeypatch.setattr(tiktok_posting, "STATUS_POLL_INTERVAL_S", 0.25)
        always(mock_context, ok(status_data("PROCESSING_UPLOAD")))
        started = clock.now

        data = data_of(
            await integration.execute_action("get_post_status", {"publish_id": "p", "wait_seconds": 25}, mock_context)
        )

        assert data["status"] == "PROCESSING_UPLOAD"
        # 5 s budget minus the 2 x 2 s (MIN_REQUEST_S) kept for a last request: polling stops after 1 s.
        assert clock.now - started == 1.0
        assert len(fetched(mock_context)) == 5

    async def test_a_slow_publish_request_is_reported_as_such_not_as_a_large_video(
        self, integration, mock_context, tiktok_module, monkeypatch, clock
    ):
        monkeypatch.setattr(tiktok_api, "STEP_BUDGET_S", 2.6)
        monkeypatch.setattr(tiktok_api, "MIN_REQUEST_S", 0.5)

        async def answer(url, **kwargs):
            if url == CREATOR_INFO:
                return ok(creator())
            clock.advance(kwargs["timeout"])  # init hangs past the transfer deadline (2.6 - 0.5 s)
            raise asyncio.TimeoutError()

        mock_context.fetch.side_effect = answer
        inputs = {"file": {"name": "a.mp4", "content": MP4}, "privacy_level": "SELF_ONLY"}

        message = message_of(await integration.execute_action("create_video_post", inputs, mock_context))

        assert message.startswith("TikTok did not answer in time while the post was being created.")
        assert "too large" not in message
        assert urls(mock_context).count(VIDEO_INIT) == 1

    async def test_paging_stops_in_time_and_returns_what_it_has_with_a_cursor(
        self, integration, mock_context, tiktok_module, monkeypatch, clock
    ):
        monkeypatch.setattr(tiktok_api, "STEP_BUDGET_S", 6.0)  # MIN_PAGE_S is 5: one slow page uses the room

        async def slow_page(url, **kwargs):
            clock.advance(1.1)
            return ok({"videos": videos(20), "cursor": 1700000000000, "has_more": True})

        mock_context.fetch.side_effect = slow_page

        data = data_of(await integration.execute_action("get_videos", {"max_count": 100}, mock_context))

        assert len(data["videos"]) == 20
        assert (data["cursor"], data["has_more"]) == (1700000000000, True)
        assert len(fetched(mock_context)) == 1

    async def test_connected_account_lookup_has_a_budget_too(
        self, integration, mock_context, tiktok_module, monkeypatch, clock
    ):
        monkeypatch.setattr(tiktok_api, "STEP_BUDGET_S", 4.0)
        always(mock_context, ok({"user": {**BASIC_USER, **PROFILE_USER}}))

        await integration.get_connected_account(mock_context)

        assert fetched(mock_context)[0].kwargs["timeout"] == 4.0


class TestPacing:
    """The real pauses, not the zeroed ones the other tests run with: TikTok's per-minute limits depend on them.
    Status polling is one function (follow_post) for get_post_status and create_video_post's wait_seconds."""

    @pytest.fixture
    def slept(self, tiktok_module, monkeypatch):
        monkeypatch.undo()  # restore the real constants the autouse fixture zeroed
        clock = FakeClock()
        for module in (tiktok_api, tiktok_posting):  # read retries, status polling
            monkeypatch.setattr(module, "time", clock.time_module())
            monkeypatch.setattr(module, "asyncio", clock.asyncio_module())
        return clock.slept

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
