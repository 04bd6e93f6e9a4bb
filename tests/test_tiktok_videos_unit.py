"""get_videos and get_video: paging with the cursor, exact 19-digit ids, engagement, not-found ids."""

import pytest
from autohive_integrations_sdk import ResultType

from tiktok_testkit import (
    BIG_ID,
    BIG_ID_TEXT,
    VIDEO_FIELDS,
    VIDEO_LIST,
    VIDEO_QUERY,
    data_of,
    fetched,
    ok,
    request,
    video,
    videos,
)

pytestmark = pytest.mark.unit


def _schema_rejected(result, mock_context):
    assert result.type == ResultType.VALIDATION_ERROR
    assert result.result["source"] == "input"
    mock_context.fetch.assert_not_awaited()


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
            share_url="https://www.tiktok.com/@ada.films/video/7321456789012345678?utm_campaign=tt4d_open_api",
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
                "created_at": "2023-11-14T22:13:20Z",
                "cover_image_url": "https://p16.example/cover.jpeg",
                "share_url": "https://www.tiktok.com/@ada.films/video/7321456789012345678?utm_campaign=tt4d_open_api",
                "post_url": "https://www.tiktok.com/@ada.films/video/7321456789012345678",
                "embed_link": "https://www.tiktok.com/embed/v2/7321456789012345678",
                "duration": 15,
                "duration_seconds": 15,
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
                "created_at": None,
                "cover_image_url": None,
                "share_url": None,
                "post_url": None,
                "embed_link": None,
                "duration": None,
                "duration_seconds": None,
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
                "created_at": None,
                "cover_image_url": None,
                "share_url": None,
                "post_url": None,
                "embed_link": None,
                "duration": None,
                "duration_seconds": None,
                "width": None,
                "height": None,
                "like_count": 0,
                "comment_count": 0,
                "share_count": 0,
                "view_count": 0,
                "engagement_rate": 0.0,
            },
        ]

    @pytest.mark.parametrize("inputs", [{"max_count": 0}, {"max_count": 101}, {"max_count": "20"}, {"cursor": -1}])
    async def test_schema_rejections_send_nothing(self, integration, mock_context, inputs):
        _schema_rejected(await integration.execute_action("get_videos", inputs, mock_context), mock_context)


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

    async def test_video_links_and_numeric_ids_are_read(self, integration, mock_context):
        mock_context.fetch.side_effect = [ok({"videos": [video(BIG_ID)]})]
        inputs = {
            "video_ids": [
                BIG_ID,  # a JSON number: kept exact
                f"https://www.tiktok.com/@ada.films/video/{BIG_ID + 1}?is_from_webapp=1&sender_device=pc",
                f" tiktok.com/@ada.films/video/{BIG_ID + 2} ",
                f"https://m.tiktok.com/@ada/video/{BIG_ID + 3}/",
            ]
        }

        data = data_of(await integration.execute_action("get_video", inputs, mock_context))

        ids = [BIG_ID_TEXT, *(str(BIG_ID + n) for n in (1, 2, 3))]
        assert fetched(mock_context) == [
            request(VIDEO_QUERY, params={"fields": VIDEO_FIELDS}, body={"filters": {"video_ids": ids}})
        ]
        assert data["not_found"] == ids[1:]

    async def test_a_video_given_as_its_id_and_its_link_is_looked_up_once(self, integration, mock_context):
        mock_context.fetch.side_effect = [ok({"videos": [], "cursor": 0, "has_more": False})]
        inputs = {"video_ids": [BIG_ID_TEXT, f"https://www.tiktok.com/@ada/video/{BIG_ID_TEXT}", BIG_ID]}

        data = data_of(await integration.execute_action("get_video", inputs, mock_context))

        assert fetched(mock_context) == [
            request(VIDEO_QUERY, params={"fields": VIDEO_FIELDS}, body={"filters": {"video_ids": [BIG_ID_TEXT]}})
        ]
        assert data["not_found"] == [BIG_ID_TEXT]

    async def test_none_found(self, integration, mock_context):
        mock_context.fetch.side_effect = [ok({"videos": [], "cursor": 0, "has_more": False})]

        data = data_of(await integration.execute_action("get_video", {"video_ids": ["1", "2"]}, mock_context))

        assert data == {"videos": [], "not_found": ["1", "2"]}

    @pytest.mark.parametrize(
        "inputs",
        [
            {},
            {"video_ids": []},
            {"video_ids": [True]},
            {"video_ids": [1.5]},
        ],
    )
    async def test_schema_rejections_send_nothing(self, integration, mock_context, inputs):
        _schema_rejected(await integration.execute_action("get_video", inputs, mock_context), mock_context)
