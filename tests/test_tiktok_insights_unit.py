"""Get Account Insights: the account's stats and its recent videos summed up, through execute_action.

TikTok's contract is spelled out literally (https://developers.tiktok.com/doc/tiktok-api-v2-get-user-info,
https://developers.tiktok.com/doc/tiktok-api-v2-video-list); requests and results are asserted exactly.
"""

from unittest.mock import call

import pytest
import tiktok_api
from autohive_integrations_sdk import HTTPError

from tiktok_testkit import data_of, message_of, LOG_ID, ok

pytestmark = pytest.mark.unit

USER_INFO = "https://open.tiktokapis.com/v2/user/info/"
VIDEO_LIST = "https://open.tiktokapis.com/v2/video/list/"
JSON_UTF8 = {"Content-Type": "application/json; charset=UTF-8"}
TIMEOUT = 15
STATS_FIELDS = "follower_count,following_count,likes_count,video_count"
VIDEO_FIELDS = (
    "id,title,video_description,create_time,cover_image_url,share_url,embed_link,duration,width,height,"
    "like_count,comment_count,share_count,view_count"
)
STATS = {"follower_count": 1234, "following_count": 56, "likes_count": 78901, "video_count": 45}
CURSOR = 1764000000000


def request(url, method="POST", params=None, body=None):
    return call(url, method=method, params=params, json=body, headers=JSON_UTF8, timeout=TIMEOUT, retry_count=3)


USER_REQUEST = request(USER_INFO, "GET", params={"fields": STATS_FIELDS})


def list_request(max_count, cursor=None):
    body = {"max_count": max_count} if cursor is None else {"max_count": max_count, "cursor": cursor}
    return request(VIDEO_LIST, params={"fields": VIDEO_FIELDS}, body=body)


def refused(status, code):
    body = {"data": {}, "error": {"code": code, "message": f"TikTok says {code}.", "log_id": LOG_ID}}
    return HTTPError(status, str(body), body)


def fetched(mock_context):
    return mock_context.fetch.await_args_list


def video(number, views, likes=0, comments=0, shares=0, create_time=1764000000, title=None):
    return {
        "id": 7300000000000000000 + number,  # a 19-digit JSON number: kept exact as text
        "title": title,
        "share_url": f"https://www.tiktok.com/@ada.films/video/{7300000000000000000 + number}?utm_source=tt4d",
        "create_time": create_time,
        "view_count": views,
        "like_count": likes,
        "comment_count": comments,
        "share_count": shares,
    }


def page(videos, has_more=True, cursor=CURSOR):
    return ok({"videos": videos, "cursor": cursor, "has_more": has_more})


# Six recent videos, newest first: one viral, one brand new without views, the rest ordinary.
SIX = [
    video(1, 12000, 900, 48, 30, 1764500000, "Launch day"),
    video(2, 300, 12, 1, 0, 1764400000, "Behind the scenes"),
    video(3, 45000, 5000, 210, 340, 1764300000, "The one that took off"),
    video(4, 0, 0, 0, 0, 1764200000, "Just posted"),
    video(5, 8000, 400, 20, 16, 1764100000, "Tutorial"),
    video(6, 1500, 60, 4, 2, 1764000000, "Teaser"),
]
SIX_INSIGHTS = {
    "follower_count": 1234,
    "likes_count": 78901,
    "videos_analyzed": 6,
    "total_views": 66800,
    "median_views": 4750.0,  # (1500 + 8000) / 2
    "average_views": 11133.33,
    # (978 + 13 + 5550 + 0 + 436 + 66) / 66800 x 100: the totals, not the mean of the six rates (10.31)
    "average_engagement_rate": 10.54,
    "top_videos": [
        {
            "id": "7300000000000000003",
            "title": "The one that took off",
            "created_at": "2025-11-28T03:20:00Z",
            "share_url": "https://www.tiktok.com/@ada.films/video/7300000000000000003?utm_source=tt4d",
            "post_url": "https://www.tiktok.com/@ada.films/video/7300000000000000003",
            "view_count": 45000,
            "engagement_rate": 12.33,
        },
        {
            "id": "7300000000000000001",
            "title": "Launch day",
            "created_at": "2025-11-30T10:53:20Z",
            "share_url": "https://www.tiktok.com/@ada.films/video/7300000000000000001?utm_source=tt4d",
            "post_url": "https://www.tiktok.com/@ada.films/video/7300000000000000001",
            "view_count": 12000,
            "engagement_rate": 8.15,
        },
        {
            "id": "7300000000000000005",
            "title": "Tutorial",
            "created_at": "2025-11-25T19:46:40Z",
            "share_url": "https://www.tiktok.com/@ada.films/video/7300000000000000005?utm_source=tt4d",
            "post_url": "https://www.tiktok.com/@ada.films/video/7300000000000000005",
            "view_count": 8000,
            "engagement_rate": 5.45,
        },
    ],
    "first_video_time": 1764000000,
    "first_video_at": "2025-11-24T16:00:00Z",
    "last_video_time": 1764500000,
    "last_video_at": "2025-11-30T10:53:20Z",
    "missing_scopes": [],
    "explanation": "Analysed the 6 most recent public videos.",
}
NO_VIDEOS = {
    "videos_analyzed": 0,
    "total_views": 0,
    "median_views": None,
    "average_views": None,
    "average_engagement_rate": None,
    "top_videos": [],
    "first_video_time": None,
    "first_video_at": None,
    "last_video_time": None,
    "last_video_at": None,
}


class TestGetAccountInsights:
    async def test_a_realistic_account(self, integration, mock_context):
        mock_context.fetch.side_effect = [ok({"user": STATS}), page(SIX)]

        result = await integration.execute_action("get_account_insights", {"video_count": 6}, mock_context)

        assert fetched(mock_context) == [USER_REQUEST, list_request(6)]
        assert data_of(result) == SIX_INSIGHTS

    async def test_default_is_the_twenty_most_recent(self, integration, mock_context):
        videos = [video(n, 100 * n, n, 0, 0, 1764000000 + n) for n in range(20, 0, -1)]
        mock_context.fetch.side_effect = [ok({"user": STATS}), page(videos)]

        data = data_of(await integration.execute_action("get_account_insights", {}, mock_context))

        assert fetched(mock_context) == [USER_REQUEST, list_request(20)]
        assert data["videos_analyzed"] == 20 and data["total_views"] == 21000
        assert data["median_views"] == 1050.0 and data["average_views"] == 1050.0
        assert data["average_engagement_rate"] == 1.0
        assert [v["view_count"] for v in data["top_videos"]] == [2000, 1900, 1800]
        assert (data["first_video_time"], data["last_video_time"]) == (1764000001, 1764000020)
        assert data["explanation"] == "Analysed the 20 most recent public videos."

    async def test_pages_through_the_list_with_the_cursor(self, integration, mock_context):
        first = [video(n, 10) for n in range(20)]
        second = [video(n, 20) for n in range(20, 25)]
        mock_context.fetch.side_effect = [ok({"user": STATS}), page(first), page(second, cursor=CURSOR - 1)]

        data = data_of(await integration.execute_action("get_account_insights", {"video_count": 25}, mock_context))

        assert fetched(mock_context) == [USER_REQUEST, list_request(20), list_request(5, CURSOR)]
        assert (data["videos_analyzed"], data["total_views"], data["median_views"]) == (25, 300, 10)

    async def test_an_account_with_fewer_videos_than_asked(self, integration, mock_context):
        mock_context.fetch.side_effect = [ok({"user": STATS}), page(SIX[:4], has_more=False)]

        data = data_of(await integration.execute_action("get_account_insights", {"video_count": 10}, mock_context))

        assert fetched(mock_context) == [USER_REQUEST, list_request(10)]
        assert data["videos_analyzed"] == 4 and data["median_views"] == 6150.0  # (300 + 12000) / 2
        assert data["explanation"] == "The account has 4 public videos; all of them were analysed."

    async def test_fewer_videos_when_the_step_runs_short_and_it_says_so(
        self, integration, mock_context, tiktok_module, monkeypatch, clock
    ):
        monkeypatch.setattr(tiktok_api, "STEP_BUDGET_S", 6.0)  # MIN_PAGE_S is 5: one slow page uses the room

        async def answer(url, **kwargs):
            if url == USER_INFO:
                return ok({"user": STATS})
            clock.advance(1.1)
            return page([video(n, 10) for n in range(20)])

        mock_context.fetch.side_effect = answer

        data = data_of(await integration.execute_action("get_account_insights", {"video_count": 100}, mock_context))

        # The timeouts shrink with the step, so only what was asked for is compared here.
        assert [(c.args[0], c.kwargs["json"]) for c in fetched(mock_context)] == [
            (USER_INFO, None),
            (VIDEO_LIST, {"max_count": 20}),
        ]
        assert data["videos_analyzed"] == 20
        assert data["explanation"] == (
            "Analysed the 20 most recent public videos of the 100 asked for: TikTok did not return the rest within "
            "one step. Ask for fewer videos, or run the step again."
        )

    async def test_videos_without_views_have_a_zero_rate(self, integration, mock_context):
        mock_context.fetch.side_effect = [ok({"user": STATS}), page([video(1, 0, 3), video(2, 0)], has_more=False)]

        data = data_of(await integration.execute_action("get_account_insights", {"video_count": 2}, mock_context))

        assert (data["total_views"], data["median_views"], data["average_views"]) == (0, 0.0, 0.0)
        assert data["average_engagement_rate"] == 0.0
        assert [v["engagement_rate"] for v in data["top_videos"]] == [0.0, 0.0]

    @pytest.mark.parametrize(
        "answer", [refused(401, "scope_not_authorized"), ok({"user": {}})], ids=["refused", "dropped"]
    )
    async def test_without_user_info_stats_the_counts_are_null(self, integration, mock_context, answer):
        mock_context.fetch.side_effect = [answer, page(SIX)]

        data = data_of(await integration.execute_action("get_account_insights", {"video_count": 6}, mock_context))

        assert fetched(mock_context) == [USER_REQUEST, list_request(6)]
        assert data == {
            **SIX_INSIGHTS,
            "follower_count": None,
            "likes_count": None,
            "missing_scopes": ["user.info.stats"],
        }

    @pytest.mark.parametrize(("status", "code"), [(401, "scope_not_authorized"), (400, "scope_permission_missed")])
    async def test_without_video_list_no_videos_and_no_error(self, integration, mock_context, status, code):
        mock_context.fetch.side_effect = [ok({"user": STATS}), refused(status, code)]

        data = data_of(await integration.execute_action("get_account_insights", {}, mock_context))

        assert fetched(mock_context) == [USER_REQUEST, list_request(20)]
        assert data == {
            "follower_count": 1234,
            "likes_count": 78901,
            **NO_VIDEOS,
            "missing_scopes": ["video.list"],
            "explanation": "The TikTok account did not grant the video.list permission, so no videos were analysed "
            "(see missing_scopes).",
        }

    async def test_without_both_permissions_it_still_answers(self, integration, mock_context):
        mock_context.fetch.side_effect = [refused(401, "scope_not_authorized"), refused(401, "scope_not_authorized")]

        data = data_of(await integration.execute_action("get_account_insights", {}, mock_context))

        assert data["missing_scopes"] == ["user.info.stats", "video.list"]
        assert (data["follower_count"], data["videos_analyzed"]) == (None, 0)

    @pytest.mark.parametrize("failing", ["user", "list"])
    async def test_other_errors_fail_in_words(self, integration, mock_context, failing):
        error = refused(500, "internal_error")
        mock_context.fetch.side_effect = [error] if failing == "user" else [ok({"user": STATS}), error]

        message = message_of(await integration.execute_action("get_account_insights", {}, mock_context))

        assert message.startswith("TikTok error internal_error:") and message.endswith(f"(TikTok log_id: {LOG_ID})")
