"""Publish and confirm: the live link of a post, waiting for it after posting, and whether the account can post.

Every test runs through execute_action with `mock_context` and asserts the exact requests sent to TikTok and the
exact result. TikTok's contract is spelled out literally here, never imported from the code under test
(https://developers.tiktok.com/doc/content-posting-api-reference-get-video-status,
https://developers.tiktok.com/doc/tiktok-api-v2-video-query,
https://developers.tiktok.com/doc/content-posting-api-reference-query-creator-info).
"""

import json
from unittest.mock import call

import pytest
import tiktok_posting
import tiktok_api
from autohive_integrations_sdk import FetchResponse, HTTPError, RateLimitError

from tiktok_testkit import fetched, creator, data_of, message_of, LOG_ID, TOKEN, ok

pytestmark = pytest.mark.unit

CREATOR_INFO = "https://open.tiktokapis.com/v2/post/publish/creator_info/query/"
VIDEO_INIT = "https://open.tiktokapis.com/v2/post/publish/video/init/"
STATUS = "https://open.tiktokapis.com/v2/post/publish/status/fetch/"
VIDEO_QUERY = "https://open.tiktokapis.com/v2/video/query/"
JSON_UTF8 = {"Content-Type": "application/json; charset=UTF-8"}
TIMEOUT = 15
LINK_FIELDS = "id,share_url,embed_link,cover_image_url"

PUBLISH_ID = "v_pub_url~v2-1.7321456789012345678"
POST_ID = "7321456789012345678"  # 19 digits: a float would round it
OTHER_POST_ID = "7321456789012345679"
POST_URL = "https://www.tiktok.com/@ada.films/video/7321456789012345678"
SHARE_URL = f"{POST_URL}?utm_campaign=tt4d_open_api&utm_source=awbx37vxswqcvsf6"
EMBED_LINK = "https://www.tiktok.com/embed/v2/7321456789012345678"
COVER_URL = "https://p16-sign.tiktokcdn.example/cover.jpeg?x-expires=1764600000"
PULL_URL = "https://media.sandbox.example/verified/clip.mp4"

POSTED_LATER = (
    "TikTok is processing the video; the post appears for everyone within a few minutes: run Get Post Status with "
    "the publish_id to follow it."
)
NO_LINKS = {"post_id": None, "post_url": None, "share_url": None, "embed_link": None, "cover_image_url": None}
ID_ONLY = {**NO_LINKS, "post_id": POST_ID}
LIVE = {
    "post_id": POST_ID,
    "post_url": POST_URL,
    "share_url": SHARE_URL,
    "embed_link": EMBED_LINK,
    "cover_image_url": COVER_URL,
}
PUBLISHED = {"published": True, "failed": False}
IN_PROGRESS = {"published": False, "failed": False}


def request(url, method="POST", params=None, body=None):
    return call(url, method=method, params=params, json=body, headers=JSON_UTF8, timeout=TIMEOUT, retry_count=3)


def status_request():
    return request(STATUS, body={"publish_id": PUBLISH_ID})


def link_request(post_id=POST_ID):
    return request(VIDEO_QUERY, params={"fields": LINK_FIELDS}, body={"filters": {"video_ids": [post_id]}})


def tiktok_error(status, code, message=None):
    """A TikTok error as the SDK hands it over: 200 as a FetchResponse, 429 as RateLimitError, else HTTPError."""
    body = {"data": {}, "error": {"code": code, "message": message or f"TikTok says {code}.", "log_id": LOG_ID}}
    if status == 200:
        return FetchResponse(status=200, headers={"Content-Type": "application/json"}, data=body)
    if status == 429:
        return RateLimitError(60, 429, "Rate limit exceeded", json.dumps(body))
    return HTTPError(status, str(body), body)


def status_data(status, **extra):
    return ok({"status": status, **extra})


def live_video(**changes):
    video = {"id": POST_ID, "share_url": SHARE_URL, "embed_link": EMBED_LINK, "cover_image_url": COVER_URL}
    return {**video, **changes}


def completed(ids, **extra):
    return status_data("PUBLISH_COMPLETE", publicaly_available_post_id=ids, **extra)


def status_result(**changes):
    """get_post_status' full output for a completed post, changed by `changes`."""
    data = {
        "publish_id": PUBLISH_ID,
        "status": "PUBLISH_COMPLETE",
        **PUBLISHED,
        "is_final": True,
        "waiting_on_user": False,
        "fail_reason": None,
        "publicaly_available_post_id": [POST_ID],
        "uploaded_bytes": None,
        "downloaded_bytes": None,
        **LIVE,
        "missing_scopes": [],
        "explanation": "Published and public: post_url links to the post.",
    }
    return {**data, **changes}


# ---- get_post_status ------------------------------------------------------------------------------------------------


class TestGetPostStatus:
    async def test_public_post_gets_its_link_from_video_query(self, integration, mock_context):
        mock_context.fetch.side_effect = [completed([int(POST_ID)]), ok({"videos": [live_video()]})]

        result = await integration.execute_action("get_post_status", {"publish_id": PUBLISH_ID}, mock_context)

        assert fetched(mock_context) == [status_request(), link_request()]
        assert data_of(result) == status_result()

    async def test_private_post_has_no_link_and_says_why_without_an_error(self, integration, mock_context):
        mock_context.fetch.side_effect = [completed([])]

        result = await integration.execute_action("get_post_status", {"publish_id": PUBLISH_ID}, mock_context)

        assert fetched(mock_context) == [status_request()]
        assert data_of(result) == status_result(
            publicaly_available_post_id=[],
            **NO_LINKS,
            explanation="Published. A post everyone sees gets its public id and link once it passes TikTok's "
            "moderation (a minute to hours): run Get Post Status again later. Other posts never get them.",
        )

    @pytest.mark.parametrize(("status", "code"), [(401, "scope_not_authorized"), (400, "scope_permission_missed")])
    async def test_without_video_list_the_links_are_null_and_named_missing(
        self, integration, mock_context, status, code
    ):
        mock_context.fetch.side_effect = [completed([POST_ID]), tiktok_error(status, code)]

        result = await integration.execute_action("get_post_status", {"publish_id": PUBLISH_ID}, mock_context)

        assert fetched(mock_context) == [status_request(), link_request()]
        assert data_of(result) == status_result(
            **ID_ONLY,
            missing_scopes=["video.list"],
            explanation=f"Published (post id {POST_ID}). Its share link needs the video.list permission, which the "
            "TikTok account did not grant (see missing_scopes); reconnect it with that permission to get links.",
        )

    async def test_several_ids_link_the_first_and_keep_them_all(self, integration, mock_context):
        mock_context.fetch.side_effect = [completed([int(POST_ID), OTHER_POST_ID]), ok({"videos": [live_video()]})]

        result = await integration.execute_action("get_post_status", {"publish_id": PUBLISH_ID}, mock_context)

        assert fetched(mock_context) == [status_request(), link_request(POST_ID)]
        assert data_of(result) == status_result(publicaly_available_post_id=[POST_ID, OTHER_POST_ID])

    async def test_a_failed_lookup_keeps_the_status_and_says_how_to_get_the_link(self, integration, mock_context):
        mock_context.fetch.side_effect = [completed([POST_ID]), tiktok_error(500, "internal_error")]

        result = await integration.execute_action("get_post_status", {"publish_id": PUBLISH_ID}, mock_context)

        assert fetched(mock_context) == [status_request(), link_request()]
        assert data_of(result) == status_result(
            **ID_ONLY,
            explanation=f"Published (post id {POST_ID}); its link could not be looked up (TikTok error "
            "internal_error): run Get Post Status again in a minute to get it.",
        )

    async def test_a_post_video_query_does_not_return_yet_has_its_id_only(self, integration, mock_context):
        mock_context.fetch.side_effect = [completed([POST_ID]), ok({"videos": []})]

        result = await integration.execute_action("get_post_status", {"publish_id": PUBLISH_ID}, mock_context)

        assert data_of(result) == status_result(
            **ID_ONLY,
            explanation=f"Published (post id {POST_ID}); TikTok did not return its link yet: run Get Post Status "
            "again later.",
        )

    @pytest.mark.parametrize("status", ["PROCESSING_UPLOAD", "SEND_TO_USER_INBOX", "FAILED"])
    async def test_no_lookup_before_the_post_is_published(self, integration, mock_context, status):
        mock_context.fetch.side_effect = [status_data(status, publicaly_available_post_id=[])]

        data = data_of(await integration.execute_action("get_post_status", {"publish_id": PUBLISH_ID}, mock_context))

        assert fetched(mock_context) == [status_request()]
        assert {key: data[key] for key in (*NO_LINKS, "missing_scopes")} == {**NO_LINKS, "missing_scopes": []}

    async def test_the_lookup_follows_the_wait(self, integration, mock_context):
        mock_context.fetch.side_effect = [
            status_data("PROCESSING_UPLOAD", uploaded_bytes=10),
            completed([POST_ID], uploaded_bytes=20),
            ok({"videos": [live_video()]}),
        ]

        result = await integration.execute_action(
            "get_post_status", {"publish_id": PUBLISH_ID, "wait_seconds": 10}, mock_context
        )

        assert fetched(mock_context) == [status_request(), status_request(), link_request()]
        assert data_of(result) == status_result(uploaded_bytes=20)


# ---- create_video_post ----------------------------------------------------------------------------------------------

POST_INPUTS = {"video_url": PULL_URL, "pull_from_url": True, "privacy_level": "PUBLIC_TO_EVERYONE"}
INIT = request(
    VIDEO_INIT,
    body={
        "post_info": {
            "privacy_level": "PUBLIC_TO_EVERYONE",
            "disable_comment": True,
            "disable_duet": True,
            "disable_stitch": True,
            "brand_content_toggle": False,
            "brand_organic_toggle": False,
        },
        "source_info": {"source": "PULL_FROM_URL", "video_url": PULL_URL},
    },
)


def posted(**changes):
    """create_video_post's full output for POST_INPUTS, changed by `changes`."""
    data = {
        "publish_id": PUBLISH_ID,
        "status": "PROCESSING_DOWNLOAD",
        "source": "PULL_FROM_URL",
        "creator_nickname": "Ada Films",
        "privacy_level": "PUBLIC_TO_EVERYONE",
        "forced_settings": [],
        **IN_PROGRESS,
        "is_final": False,
        "fail_reason": None,
        "publicaly_available_post_id": [],
        **NO_LINKS,
        "missing_scopes": [],
        "explanation": POSTED_LATER,
    }
    return {**data, **changes}


class TestCreateVideoPost:
    @pytest.mark.parametrize("inputs", [POST_INPUTS, {**POST_INPUTS, "wait_seconds": 0}], ids=["default", "zero"])
    async def test_without_waiting_it_returns_at_once_and_says_it_takes_minutes(
        self, integration, mock_context, inputs
    ):
        mock_context.fetch.side_effect = [ok(creator()), ok({"publish_id": PUBLISH_ID})]

        result = await integration.execute_action("create_video_post", inputs, mock_context)

        assert fetched(mock_context) == [request(CREATOR_INFO), INIT]
        assert data_of(result) == posted()

    async def test_waiting_returns_the_final_status_and_the_live_link(self, integration, mock_context):
        mock_context.fetch.side_effect = [
            ok(creator()),
            ok({"publish_id": PUBLISH_ID}),
            status_data("PROCESSING_DOWNLOAD", downloaded_bytes=512),
            completed([POST_ID]),
            ok({"videos": [live_video()]}),
        ]

        result = await integration.execute_action(
            "create_video_post", {**POST_INPUTS, "wait_seconds": 20}, mock_context
        )

        assert fetched(mock_context) == [
            request(CREATOR_INFO),
            INIT,
            status_request(),
            status_request(),
            link_request(),
        ]
        assert data_of(result) == posted(
            status="PUBLISH_COMPLETE",
            **PUBLISHED,
            is_final=True,
            publicaly_available_post_id=[POST_ID],
            **LIVE,
            explanation="Published and public: post_url links to the post.",
        )

    @pytest.mark.parametrize(
        ("privacy_level", "audience"),
        [
            ("SELF_ONLY", "the creator only"),
            ("MUTUAL_FOLLOW_FRIENDS", "the creator's friends"),
            ("FOLLOWER_OF_CREATOR", "the creator's followers"),
        ],
    )
    async def test_a_post_not_for_everyone_that_completes_says_it_has_no_link(
        self, integration, mock_context, privacy_level, audience
    ):
        options = ["PUBLIC_TO_EVERYONE", privacy_level]
        mock_context.fetch.side_effect = [
            ok(creator(privacy_level_options=options)),
            ok({"publish_id": PUBLISH_ID}),
            completed([]),
        ]
        inputs = {**POST_INPUTS, "privacy_level": privacy_level, "wait_seconds": 20}

        result = await integration.execute_action("create_video_post", inputs, mock_context)

        assert fetched(mock_context)[2:] == [status_request()]
        assert data_of(result) == posted(
            status="PUBLISH_COMPLETE",
            **PUBLISHED,
            is_final=True,
            privacy_level=privacy_level,
            explanation=f"Published for {audience}: only a post everyone sees gets a public id and link.",
        )

    async def test_a_public_post_without_its_id_yet_says_to_look_again(self, integration, mock_context):
        mock_context.fetch.side_effect = [ok(creator()), ok({"publish_id": PUBLISH_ID}), completed([])]

        result = await integration.execute_action(
            "create_video_post", {**POST_INPUTS, "wait_seconds": 20}, mock_context
        )

        assert data_of(result)["explanation"] == (
            "Published. A post everyone sees gets its public id and link once it passes TikTok's moderation (a "
            "minute to hours): run Get Post Status again later."
        )

    async def test_without_video_list_the_post_still_succeeds(self, integration, mock_context):
        mock_context.fetch.side_effect = [
            ok(creator()),
            ok({"publish_id": PUBLISH_ID}),
            completed([POST_ID]),
            tiktok_error(401, "scope_not_authorized"),
        ]

        result = await integration.execute_action("create_video_post", {**POST_INPUTS, "wait_seconds": 5}, mock_context)

        assert fetched(mock_context)[2:] == [status_request(), link_request()]
        assert data_of(result) == posted(
            status="PUBLISH_COMPLETE",
            **PUBLISHED,
            is_final=True,
            publicaly_available_post_id=[POST_ID],
            post_id=POST_ID,
            missing_scopes=["video.list"],
            explanation=f"Published (post id {POST_ID}). Its share link needs the video.list permission, which the "
            "TikTok account did not grant (see missing_scopes); reconnect it with that permission to get links.",
        )

    async def test_a_failed_post_reports_its_reason(self, integration, mock_context):
        mock_context.fetch.side_effect = [
            ok(creator()),
            ok({"publish_id": PUBLISH_ID}),
            status_data("FAILED", fail_reason="video_pull_failed", publicaly_available_post_id=[]),
        ]

        result = await integration.execute_action("create_video_post", {**POST_INPUTS, "wait_seconds": 5}, mock_context)

        assert fetched(mock_context)[2:] == [status_request()]
        assert data_of(result) == posted(
            status="FAILED",
            failed=True,
            is_final=True,
            fail_reason="video_pull_failed",
            explanation="The post failed (video_pull_failed): TikTok could not download the video from the link "
            "within an hour. Check the link is public and fast, then post again.",
        )

    async def test_waiting_ends_on_time_with_the_last_status(
        self, integration, mock_context, tiktok_module, monkeypatch, clock
    ):
        monkeypatch.setattr(tiktok_posting, "STATUS_POLL_INTERVAL_S", 0.25)
        answers = iter([ok(creator()), ok({"publish_id": PUBLISH_ID})])
        mock_context.fetch.side_effect = lambda *a, **k: next(answers, None) or status_data("PROCESSING_DOWNLOAD")

        started = clock.now
        result = await integration.execute_action("create_video_post", {**POST_INPUTS, "wait_seconds": 1}, mock_context)

        assert clock.now - started == 1.0  # polled at 0, 0.25, 0.5, 0.75 and 1 s, then the wait was over
        assert fetched(mock_context)[2:] == [status_request()] * 5
        assert data_of(result) == posted(explanation=f"TikTok is downloading the media from the link. {POSTED_LATER}")

    async def test_waiting_stays_inside_the_step_budget(
        self, integration, mock_context, tiktok_module, monkeypatch, clock
    ):
        # A 5 s step: polling must stop leaving room for its last request and the link lookup (2 x MIN_REQUEST_S).
        monkeypatch.setattr(tiktok_api, "STEP_BUDGET_S", 5.0)
        monkeypatch.setattr(tiktok_posting, "STATUS_POLL_INTERVAL_S", 0.25)
        answers = iter([ok(creator()), ok({"publish_id": PUBLISH_ID})])
        mock_context.fetch.side_effect = lambda *a, **k: next(answers, None) or status_data("PROCESSING_DOWNLOAD")

        started = clock.now
        data = data_of(
            await integration.execute_action("create_video_post", {**POST_INPUTS, "wait_seconds": 20}, mock_context)
        )

        assert clock.now - started == 1.0  # 5 s budget minus 4 s kept for the last two requests
        assert (data["status"], data["is_final"]) == ("PROCESSING_DOWNLOAD", False)
        assert [c.args[0] for c in fetched(mock_context)].count(VIDEO_INIT) == 1

    async def test_a_status_failure_after_posting_is_no_error_and_warns_against_posting_twice(
        self, integration, mock_context
    ):
        mock_context.fetch.side_effect = [
            ok(creator()),
            ok({"publish_id": PUBLISH_ID}),
            tiktok_error(429, "rate_limit_exceeded"),
        ]

        result = await integration.execute_action("create_video_post", {**POST_INPUTS, "wait_seconds": 5}, mock_context)

        assert fetched(mock_context) == [request(CREATOR_INFO), INIT, status_request()]  # status 429s are not retried
        assert data_of(result) == posted(
            explanation="The video was sent to TikTok, but its status could not be checked within this step "
            "(TikTok error rate_limit_exceeded). Do not run this step again, or the video may be posted twice. "
            f"{POSTED_LATER}"
        )

    async def test_a_creator_who_cannot_post_is_still_refused_before_init(self, integration, mock_context):
        mock_context.fetch.side_effect = [tiktok_error(200, "spam_risk_too_many_posts")]

        message = message_of(
            await integration.execute_action("create_video_post", {**POST_INPUTS, "wait_seconds": 5}, mock_context)
        )

        assert message.startswith("TikTok error spam_risk_too_many_posts:")
        assert fetched(mock_context) == [request(CREATOR_INFO)]


# ---- get_creator_info -----------------------------------------------------------------------------------------------

UNKNOWN_CREATOR = {
    "creator_nickname": None,
    "creator_username": None,
    "creator_avatar_url": None,
    "privacy_level_options": [],
    "comment_disabled": None,
    "duet_disabled": None,
    "stitch_disabled": None,
    "max_video_post_duration_sec": None,
}


class TestGetCreatorInfo:
    async def test_an_account_that_can_post(self, integration, mock_context):
        mock_context.fetch.side_effect = [ok(creator())]

        result = await integration.execute_action("get_creator_info", {}, mock_context)

        assert fetched(mock_context) == [request(CREATOR_INFO)]
        assert data_of(result) == {**creator(), "can_post": True, "cannot_post_reason": None}

    @pytest.mark.parametrize("status", [200, 403], ids=["http-200-as-documented", "http-403"])
    @pytest.mark.parametrize(
        ("code", "reason"),
        [
            (
                "spam_risk_too_many_posts",
                "The account reached TikTok's daily limit of posts made through apps (about 15 a day): try again "
                "tomorrow, or post from the TikTok app",
            ),
            ("spam_risk_user_banned_from_posting", "TikTok has banned this account from posting: do not retry"),
            (
                "reached_active_user_cap",
                "This app reached TikTok's daily limit of accounts that may post through it: try again tomorrow",
            ),
        ],
    )
    async def test_a_posting_cap_is_an_answer_to_branch_on(self, integration, mock_context, status, code, reason):
        mock_context.fetch.side_effect = [tiktok_error(status, code, f"Bearer {TOKEN} may not post.")]

        result = await integration.execute_action("get_creator_info", {}, mock_context)

        assert fetched(mock_context) == [request(CREATOR_INFO)]  # not retried
        assert data_of(result) == {
            **UNKNOWN_CREATOR,
            "can_post": False,
            "cannot_post_reason": f"{reason} (TikTok error {code}, log_id {LOG_ID}).",
        }

    async def test_no_privacy_level_offered_means_it_cannot_post(self, integration, mock_context):
        mock_context.fetch.side_effect = [ok(creator(privacy_level_options=[]))]

        data = data_of(await integration.execute_action("get_creator_info", {}, mock_context))

        assert data == {
            **creator(privacy_level_options=[]),
            "can_post": False,
            "cannot_post_reason": "TikTok offers no privacy level for this account right now, so it cannot post: "
            "try again later.",
        }

    @pytest.mark.parametrize(
        ("status", "code"),
        [(401, "access_token_invalid"), (401, "scope_not_authorized"), (200, "spam_risk_too_many_pending_share")],
    )
    async def test_other_errors_still_fail(self, integration, mock_context, status, code):
        mock_context.fetch.side_effect = [tiktok_error(status, code)]

        message = message_of(await integration.execute_action("get_creator_info", {}, mock_context))

        assert message.startswith(f"TikTok error {code}:") and message.endswith(f"(TikTok log_id: {LOG_ID})")
        assert fetched(mock_context) == [request(CREATOR_INFO)]
