"""The polling triggers new_video and video_reached_views, through execute_polling_trigger: which pages of
video.list they ask for (https://developers.tiktok.com/doc/tiktok-api-v2-video-list), the records they return, and
the plain sentence they raise when TikTok refuses."""

import time

import pytest
import tiktok_api
from autohive_integrations_sdk import FetchResponse, ValidationError

from tiktok_testkit import LOG_ID, VIDEO_FIELDS, VIDEO_LIST, ok, request, tiktok_error, video

pytestmark = pytest.mark.unit

T = 1_790_000_000  # 2026-09-21T14:13:20Z, the last poll in these tests
HOUR = 3600
DAY = 86400
OVERLAP = DAY  # new_video's look-back before last_poll_ts


def listed(max_count, cursor=None):
    body = {"max_count": max_count} if cursor is None else {"max_count": max_count, "cursor": cursor}
    return request(VIDEO_LIST, params={"fields": VIDEO_FIELDS}, body=body)


def page(clips, cursor=1, has_more=True):
    return ok({"videos": clips, "cursor": cursor, "has_more": has_more})


def clip(number, created, views=10, **extra):
    return video(str(7400000000000000000 + number), views=views, create_time=created, **extra)


def ids(records):
    return [r["id"] for r in records]


def numbers(records):
    """The clip numbers of new_video's records, in order."""
    return [int(r["id"]) - 7400000000000000000 for r in records]


REFUSALS = [
    pytest.param(
        tiktok_error(401, "scope_not_authorized", "The user did not authorize the scope."),
        1,
        "TikTok error scope_not_authorized: the connected account did not grant the permission this action needs. "
        "TikTok says: The user did not authorize the scope. Reconnect the TikTok account in Autohive and approve "
        f"every permission it asks for. (TikTok log_id: {LOG_ID})",
        id="video.list-not-granted",
    ),
    pytest.param(
        tiktok_error(401, "access_token_invalid", "The access token is invalid or not found in the request."),
        1,
        "TikTok error access_token_invalid: the TikTok connection has expired or was revoked. TikTok says: The "
        "access token is invalid or not found in the request. Reconnect the TikTok account in Autohive and approve "
        f"every permission it asks for. (TikTok log_id: {LOG_ID})",
        id="dead-token",
    ),
    pytest.param(
        tiktok_error(429, "rate_limit_exceeded", "Too many requests."),
        3,  # a read is tried twice more after a 429
        "TikTok error rate_limit_exceeded: too many requests were made to TikTok for this account in the last minute "
        "(TikTok allows 6 post or draft starts, 20 creator checks and 30 status checks a minute). TikTok says: Too "
        f"many requests. Wait a minute and run the step again. (TikTok log_id: {LOG_ID})",
        id="rate-limited",
    ),
    pytest.param(
        FetchResponse(status=200, headers={"Content-Type": "text/html"}, data="<html>maintenance</html>"),
        1,
        "TikTok answered with an error (HTTP 200) and no details; it is probably a temporary problem. Run the step "
        "again in a few minutes.",
        id="not-an-envelope",
    ),
]


async def refused(integration, mock_context, name, inputs, answer):
    if isinstance(answer, BaseException):
        mock_context.fetch.side_effect = answer
    else:
        mock_context.fetch.return_value = answer
    with pytest.raises(tiktok_api.UserFacingError) as raised:
        await integration.execute_polling_trigger(name, inputs, str(T), mock_context)
    return str(raised.value)


class TestNewVideo:
    async def test_first_poll_returns_only_the_newest_video(self, integration, mock_context):
        newest = clip(1, T, views=200, likes=30, comments=4, shares=6, title="Launch", share_url="https://t.example/1")
        mock_context.fetch.side_effect = [page([newest], cursor=T * 1000)]

        records = await integration.execute_polling_trigger("new_video", {}, None, mock_context)

        assert mock_context.fetch.await_args_list == [listed(1)]
        assert records == [
            {
                "id": "7400000000000000001",
                "data": {
                    "id": "7400000000000000001",
                    "title": "Launch",
                    "video_description": None,
                    "create_time": T,
                    "cover_image_url": None,
                    "share_url": "https://t.example/1",
                    "embed_link": None,
                    "duration": None,
                    "width": None,
                    "height": None,
                    "like_count": 30,
                    "comment_count": 4,
                    "share_count": 6,
                    "view_count": 200,
                    "created_at": "2026-09-21T14:13:20Z",
                    "duration_seconds": None,
                    "post_url": "https://t.example/1",
                    "engagement_rate": 20.0,
                },
            }
        ]

    @pytest.mark.parametrize("first", [None, "", "0", 0])
    async def test_first_poll_of_an_account_without_videos_is_empty(self, integration, mock_context, first):
        mock_context.fetch.side_effect = [page([], cursor=0, has_more=False)]

        assert await integration.execute_polling_trigger("new_video", {}, first, mock_context) == []
        assert mock_context.fetch.await_args_list == [listed(1)]

    @pytest.mark.parametrize(
        "last_poll_ts",
        [
            "2026-09-21T14:13:20Z",
            "2026-09-21T14:13:20.000+00:00",
            "2026-09-21T16:13:20+02:00",
            "2026-09-21T14:13:20",  # no offset: UTC
            str(T),
            T,
            float(T),
            str(T * 1000),
            T * 1000,
            f" {T}.0 ",
        ],
    )
    async def test_later_polls_return_what_was_posted_after_last_poll_ts_less_a_day(
        self, integration, mock_context, last_poll_ts
    ):
        newest_first = [
            clip(4, T + 600),
            clip(3, T - 1),
            clip(2, T - OVERLAP + 1),
            clip(1, T - OVERLAP),
            clip(0, T - 2 * DAY),
        ]
        newest_first += [clip(-n, T - 2 * DAY - n) for n in range(1, 16)]  # a full page: TikTok's 20
        mock_context.fetch.side_effect = [page(newest_first, cursor=(T - 2 * DAY) * 1000)]

        records = await integration.execute_polling_trigger("new_video", {}, last_poll_ts, mock_context)

        assert mock_context.fetch.await_args_list == [listed(20)]
        assert numbers(records) == [2, 3, 4]  # oldest first; created exactly a day before is not new
        assert [r["data"]["create_time"] for r in records] == [T - OVERLAP + 1, T - 1, T + 600]

    async def test_an_iso_time_without_offset_is_utc_whatever_the_servers_zone(
        self, integration, mock_context, monkeypatch
    ):
        monkeypatch.setenv("TZ", "Pacific/Auckland")
        time.tzset()
        try:
            mock_context.fetch.side_effect = [page([clip(2, T - OVERLAP + 1), clip(1, T - OVERLAP)], has_more=False)]

            records = await integration.execute_polling_trigger("new_video", {}, "2026-09-21T14:13:20", mock_context)
        finally:
            monkeypatch.undo()
            time.tzset()

        assert numbers(records) == [2]

    async def test_nothing_new_is_one_request_and_no_record(self, integration, mock_context):
        mock_context.fetch.side_effect = [page([clip(n, T - OVERLAP - n) for n in range(20)], cursor=5)]

        assert await integration.execute_polling_trigger("new_video", {}, str(T), mock_context) == []
        assert mock_context.fetch.await_args_list == [listed(20)]

    async def test_pages_on_across_a_page_boundary_with_the_cursor(self, integration, mock_context):
        mock_context.fetch.side_effect = [
            page([clip(100 - n, T + 100 - n) for n in range(20)], cursor=(T + 81) * 1000),
            page([clip(80 - n, T + 80 - n) for n in range(20)], cursor=(T + 61) * 1000),
        ]

        records = await integration.execute_polling_trigger("new_video", {}, str(T + OVERLAP + 75), mock_context)

        assert mock_context.fetch.await_args_list == [listed(20), listed(20, (T + 81) * 1000)]
        assert numbers(records) == list(range(76, 101))

    async def test_a_hundred_new_videos_take_five_pages_and_come_oldest_first(self, integration, mock_context):
        cursors = [(T + 1000 - 20 * p) * 1000 for p in range(1, 6)]
        mock_context.fetch.side_effect = [
            page([clip(100 - 20 * p - n, T + 100 - 20 * p - n) for n in range(20)], cursor=cursors[p]) for p in range(5)
        ]

        records = await integration.execute_polling_trigger("new_video", {}, str(T + OVERLAP), mock_context)

        assert mock_context.fetch.await_args_list == [listed(20)] + [listed(20, c) for c in cursors[:4]]
        assert numbers(records) == list(range(1, 101))
        assert len(set(ids(records))) == 100

    async def test_too_slow_to_reach_the_last_poll_raises_instead_of_skipping_older_videos(
        self, integration, mock_context, clock
    ):
        def slow_page(*_args, **_kwargs):
            clock.advance(12)  # 24 s of the 27 s step are gone after two pages
            return page([clip(n, T + n) for n in range(20)], cursor=T * 1000)

        mock_context.fetch.side_effect = slow_page

        with pytest.raises(tiktok_api.UserFacingError) as raised:
            await integration.execute_polling_trigger("new_video", {}, str(T), mock_context)

        assert mock_context.fetch.await_count == 2
        assert str(raised.value) == (
            "TikTok answered too slowly to list every new video within one poll (40 read). None was returned, so "
            "the next poll lists them again."
        )

    async def test_odd_counts_read_as_get_videos_reads_them(self, integration, mock_context):
        odd = clip(7, T + 5, views="2000", likes=" 150 ", comments=None, shares=-3, duration=12.0, width="wide")
        no_time = video("7400000000000000008", views=True)  # no create_time: counted as new, never as old
        mock_context.fetch.side_effect = [page([no_time, odd, clip(1, T - OVERLAP)], cursor=9, has_more=False)]

        records = await integration.execute_polling_trigger("new_video", {}, str(T), mock_context)

        assert numbers(records) == [7, 8]
        data = records[0]["data"]
        assert (data["view_count"], data["like_count"], data["comment_count"], data["share_count"]) == (2000, 150, 0, 0)
        assert (data["duration"], data["width"], data["engagement_rate"]) == (12, None, 7.5)
        assert (records[1]["data"]["create_time"], records[1]["data"]["view_count"]) == (None, 0)

    @pytest.mark.parametrize("last_poll_ts", ["yesterday", "-5", -5, True, "nan", "1e999", [T]])
    async def test_a_last_poll_ts_that_is_no_time_is_refused_before_any_request(
        self, integration, mock_context, last_poll_ts
    ):
        with pytest.raises(tiktok_api.UserFacingError) as raised:
            await integration.execute_polling_trigger("new_video", {}, last_poll_ts, mock_context)

        mock_context.fetch.assert_not_awaited()
        assert "is neither an ISO 8601 time nor a Unix time, so the poll cannot tell which videos are new" in str(
            raised.value
        )

    @pytest.mark.parametrize(("answer", "requests", "message"), REFUSALS)
    async def test_a_refusal_is_raised_as_its_plain_sentence(
        self, integration, mock_context, answer, requests, message
    ):
        assert await refused(integration, mock_context, "new_video", {}, answer) == message
        assert mock_context.fetch.await_args_list == [listed(20)] * requests

    async def test_an_unexpected_failure_is_raised_as_a_plain_sentence(self, integration, mock_context, monkeypatch):
        async def broken(*_args):
            raise KeyError("videos")

        monkeypatch.setattr(tiktok_api, "list_videos", broken)

        message = await refused(integration, mock_context, "new_video", {}, ok())

        assert message == (
            "The TikTok step failed unexpectedly (KeyError); nothing was posted. Run it again; if it keeps failing, "
            "report it to the integration's maintainers."
        )

    async def test_a_token_in_a_refusal_is_never_shown(self, integration, mock_context):
        token = mock_context.auth["credentials"]["access_token"]
        answer = tiktok_error(401, "access_token_invalid", f"Token {token} expired.")

        message = await refused(integration, mock_context, "new_video", {}, answer)

        assert token not in message and "Token [redacted] expired." in message


@pytest.fixture
def wall_clock(monkeypatch, clock):
    """The poll's "now" for within_days: T + one hour."""
    monkeypatch.setattr(tiktok_api.time, "time", lambda: T + HOUR)


@pytest.mark.usefixtures("wall_clock")
class TestVideoReachedViews:
    async def test_defaults_every_video_of_the_last_30_days_with_10000_views(self, integration, mock_context):
        window = T + HOUR - 30 * DAY
        newest_first = [
            clip(5, T, views=12000, likes=600, comments=60, shares=40),
            clip(4, T - DAY, views=9999),
            clip(3, window + 1, views=10000),
            clip(2, window, views=50000),  # posted 30 days ago to the second: outside the window
        ]
        mock_context.fetch.side_effect = [page(newest_first, cursor=window * 1000, has_more=False)]

        records = await integration.execute_polling_trigger("video_reached_views", {}, None, mock_context)

        assert mock_context.fetch.await_args_list == [listed(20)]
        assert ids(records) == ["7400000000000000003:10000", "7400000000000000005:10000"]
        first, second = (r["data"] for r in records)
        assert (first["view_count"], first["views_threshold"], first["engagement_rate"]) == (10000, 10000, 0.0)
        assert (second["like_count"], second["comment_count"], second["share_count"]) == (600, 60, 40)
        assert (second["view_count"], second["engagement_rate"], second["create_time"]) == (12000, 5.83, T)

    async def test_its_own_threshold_and_window_across_a_page_boundary(self, integration, mock_context):
        mock_context.fetch.side_effect = [
            page([clip(40 - n, T - n * HOUR, views=1000 + n) for n in range(20)], cursor=(T - 19 * HOUR) * 1000),
            page([clip(20 - n, T - (20 + 2 * n) * HOUR, views=999) for n in range(20)], cursor=(T - 58 * HOUR) * 1000),
        ]
        inputs = {"views": 1000.0, "within_days": 2}  # a form may send whole numbers as floats

        records = await integration.execute_polling_trigger("video_reached_views", inputs, str(T), mock_context)

        assert mock_context.fetch.await_args_list == [listed(20), listed(20, (T - 19 * HOUR) * 1000)]
        assert ids(records) == [f"{7400000000000000000 + n}:1000" for n in range(21, 41)]
        assert {r["data"]["views_threshold"] for r in records} == {1000}

    async def test_a_window_with_more_than_100_videos_checks_the_newest_100(self, integration, mock_context):
        cursors = [(T - 20 * p) * 1000 for p in range(1, 6)]
        mock_context.fetch.side_effect = [
            page([clip(200 - 20 * p - n, T - 20 * p - n, views=20000) for n in range(20)], cursor=cursors[p])
            for p in range(5)
        ]

        records = await integration.execute_polling_trigger("video_reached_views", {}, None, mock_context)

        assert mock_context.fetch.await_count == 5
        assert ids(records) == [f"{7400000000000000000 + n}:10000" for n in range(101, 201)]

    async def test_odd_counts_are_read_before_the_threshold_is_applied(self, integration, mock_context):
        odd = [
            clip(4, T, views="15000", likes="1500"),
            clip(3, T, views=15000.0),
            clip(2, T, views="lots"),
            clip(1, T, views=-20000),
        ]
        mock_context.fetch.side_effect = [page(odd, has_more=False)]

        records = await integration.execute_polling_trigger("video_reached_views", {}, None, mock_context)

        assert ids(records) == ["7400000000000000003:10000", "7400000000000000004:10000"]
        assert records[1]["data"]["engagement_rate"] == 10.0

    @pytest.mark.parametrize(
        "inputs", [{"views": 0}, {"views": "1000"}, {"within_days": 0}, {"within_days": 366}, {"within_days": 1.5}]
    )
    async def test_inputs_outside_the_schema_are_refused_before_any_request(self, integration, mock_context, inputs):
        with pytest.raises(ValidationError):
            await integration.execute_polling_trigger("video_reached_views", inputs, None, mock_context)

        mock_context.fetch.assert_not_awaited()

    @pytest.mark.parametrize(("answer", "requests", "message"), REFUSALS)
    async def test_a_refusal_is_raised_as_its_plain_sentence(
        self, integration, mock_context, answer, requests, message
    ):
        assert await refused(integration, mock_context, "video_reached_views", {"views": 5}, answer) == message
        assert mock_context.fetch.await_args_list == [listed(20)] * requests


def test_both_triggers_declare_their_defaults_and_an_output_schema_for_every_field(integration):
    triggers = integration.config.polling_triggers
    assert {name: t.polling_interval.total_seconds() for name, t in triggers.items()} == {
        "new_video": 300,
        "video_reached_views": 900,
    }
    properties = triggers["video_reached_views"].input_schema["properties"]
    assert (properties["views"]["default"], properties["within_days"]["default"]) == (10000, 30)
    reached = dict(triggers["video_reached_views"].output_schema["properties"])
    assert reached.pop("views_threshold")["type"] == "integer"
    assert reached == triggers["new_video"].output_schema["properties"]
