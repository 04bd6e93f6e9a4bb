"""What the user is told is what happened: a last part TikTok stored whose answer was lost, answers that cannot be
read, odd numbers, and refusals that only count when TikTok's answer was definite.

aiohttp resends an idempotent PUT by itself, once, after the connection drops before an answer: the loopback
server's "stored-reset" keeps the part and drops the connection, "reset" drops it without keeping anything.
"""

import asyncio
import struct

import pytest
from aiohttp import web
from autohive_integrations_sdk import FetchResponse

import tiktok_posting
from tiktok_transfer import ChunkPlan
import tiktok_transfer
from tiktok_testkit import (
    request,
    CREATOR_INFO,
    INBOX_INIT,
    PULL_URL,
    STATUS,
    USER_INFO,
    VIDEO_INIT,
    VIDEO_LIST,
    VIDEO_QUERY,
    LoopbackGuard,
    answers_by_url,
    b64,
    creator,
    data_of,
    make_mp4,
    message_of,
    ok,
    status_data,
    tiktok_error,
    upload_answers,
    urls,
    video,
    webm,
)

pytestmark = pytest.mark.unit

SMALL = make_mp4(300_000)
PUBLISH_ID = "v_inbox_file~v2.77"
NOTHING_POSTED = "nothing was posted"
DEEP = "[" * 100_000  # past Python's JSON nesting limit


def source(loopback, kind: str, video: bytes) -> dict:
    if kind == "inline":
        return {"file": {"content": b64(video)}}
    url = loopback.host("/clip.mp4", video, ranges=kind == "link-ranged")
    return {"file": {"name": "clip.mp4", "url": url}}


def statuses(loopback) -> list:
    return [p["status"] for p in loopback.puts]


SOURCES = ["inline", "link-ranged", "link-streamed", "multi-part"]


def video_for(kind, monkeypatch):
    if kind == "multi-part":  # three parts of a third each (the last taking the remainder): no 64 MB video needed
        for module in (tiktok_posting, tiktok_transfer):  # the upload's plan, and a streamed link's first part
            monkeypatch.setattr(module, "plan_chunks", lambda size: ChunkPlan(size, size // 3, 3))
    return SMALL


def parts_before_last(kind) -> int:
    return 2 if kind == "multi-part" else 0


class TestTheLastPartStoredItsAnswerLost:
    @pytest.mark.parametrize("kind", SOURCES)
    async def test_the_resend_gets_a_whole_file_416_and_the_upload_completes(
        self, integration, mock_context, loopback, monkeypatch, kind
    ):
        clip = video_for(kind, monkeypatch)
        loopback.put_answers = [None] * parts_before_last(kind) + ["stored-reset"]
        mock_context.fetch.side_effect = upload_answers(loopback, INBOX_INIT, PUBLISH_ID)

        data = data_of(
            await integration.execute_action("upload_video_draft", source(loopback, kind, clip), mock_context)
        )

        assert (data["publish_id"], data["status"], data["video_size"]) == (PUBLISH_ID, "PROCESSING_UPLOAD", len(clip))
        assert statuses(loopback)[-2:] == [599, 416]  # the resend, by aiohttp itself or by the integration
        assert loopback.received == clip
        assert urls(mock_context) == [INBOX_INIT]  # one init, no status needed

    @pytest.mark.parametrize("kind", SOURCES)
    async def test_when_every_attempt_drops_tiktoks_status_settles_it(
        self, integration, mock_context, loopback, monkeypatch, kind
    ):
        clip = video_for(kind, monkeypatch)
        loopback.put_answers = [None] * parts_before_last(kind) + ["stored-reset"] + ["reset"] * 5
        complete = ok(status_data("PROCESSING_UPLOAD", uploaded_bytes=len(clip)))
        mock_context.fetch.side_effect = upload_answers(loopback, INBOX_INIT, PUBLISH_ID, **{STATUS: complete})

        data = data_of(
            await integration.execute_action("upload_video_draft", source(loopback, kind, clip), mock_context)
        )

        assert (data["publish_id"], data["status"]) == (PUBLISH_ID, "PROCESSING_UPLOAD")
        # Three tries of the integration's own, each perhaps resent once by aiohttp (not on every version).
        dropped = statuses(loopback)[parts_before_last(kind) :]
        assert set(dropped) == {599} and 3 <= len(dropped) <= 6
        assert urls(mock_context) == [INBOX_INIT, STATUS]
        assert mock_context.fetch.await_args_list[1] == request(STATUS, body={"publish_id": PUBLISH_ID})

    @pytest.mark.parametrize(
        ("answer", "known"),
        [
            (ok(status_data("PROCESSING_UPLOAD", uploaded_bytes=0)), " (it shows 0.0 MB of 0.3 MB)"),
            (tiktok_error(500, "internal_error"), ""),
        ],
        ids=["status-shows-fewer-bytes", "status-lookup-fails"],
    )
    async def test_an_unsettled_last_part_says_do_not_run_again_never_nothing_was_posted(
        self, integration, mock_context, loopback, answer, known
    ):
        loopback.put_answers = ["stored-reset"] + ["reset"] * 5
        mock_context.fetch.side_effect = upload_answers(loopback, INBOX_INIT, PUBLISH_ID, **{STATUS: answer})

        message = message_of(
            await integration.execute_action("upload_video_draft", source(loopback, "inline", SMALL), mock_context)
        )

        assert message == (
            "The last part of the video was sent, but TikTok's upload server gave no answer and TikTok's status does "
            f"not show the whole video yet{known}. TikTok may have received it and may post it, so do not run this "
            f"step again: check Get Post Status with publish_id {PUBLISH_ID} in a few minutes, and post again only "
            "if it reports FAILED."
        )
        assert NOTHING_POSTED not in message.lower()

    @pytest.mark.parametrize("resent", [True, False], ids=["its-resend-answered", "its-resend-dropped-too"])
    async def test_a_reset_on_a_middle_part_resumes_from_what_tiktok_holds(
        self, integration, mock_context, loopback, monkeypatch, resent
    ):
        video_for("multi-part", monkeypatch)
        loopback.put_answers = [None, "stored-reset"] + ([] if resent else ["reset"])
        mock_context.fetch.side_effect = upload_answers(loopback, INBOX_INIT, PUBLISH_ID)

        data = data_of(
            await integration.execute_action("upload_video_draft", source(loopback, "inline", SMALL), mock_context)
        )

        assert data["chunk_count"] == 3 and loopback.received == SMALL
        ranges = [p["headers"]["Content-Range"] for p in loopback.puts]
        second, third = "bytes 100000-199999/300000", "bytes 200000-299999/300000"
        resends = 1 if resent else 2
        assert ranges[1 : 3 + resends] == [second] * (1 + resends) + [third]
        assert statuses(loopback)[1 : 3 + resends] == [599] * resends + [416, 201]


class ResetAfterStoringServer:
    """TikTok's upload endpoint for many uploads at once: each upload path keeps its first PUT and drops the
    connection before answering; later PUTs of a complete upload get 416 with the whole range."""

    def __init__(self):
        self.stored: dict[str, bytes] = {}
        self.puts: dict[str, int] = {}

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.puts[request.path] = self.puts.get(request.path, 0) + 1
        if request.path not in self.stored:
            self.stored[request.path] = body
            request.transport.close()
            return web.Response(status=599)
        return web.Response(status=416, headers={"Content-Range": f"bytes 0-{len(body) - 1}/{len(body)}"})


class TestTwentyPostsOnOneSharedContext:
    async def test_each_post_completes_once_and_none_says_nothing_was_posted(
        self, integration, mock_context, loopback, monkeypatch
    ):
        server = ResetAfterStoringServer()
        app = web.Application()
        app.router.add_route("PUT", "/upload/{n}", server.handle)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        base = f"http://127.0.0.1:{runner.addresses[0][1]}"

        class Guard(LoopbackGuard):
            def check_upload_url(self, upload_url):
                return upload_url if upload_url.startswith(base) else super().check_upload_url(upload_url)

        monkeypatch.setattr(tiktok_transfer, "link_guard", Guard(0))
        inits = []

        async def fetch(url, **kwargs):
            if url == CREATOR_INFO:
                return ok(creator())
            assert url == VIDEO_INIT
            inits.append(len(inits))
            return ok({"publish_id": f"v_pub_{len(inits)}", "upload_url": f"{base}/upload/{len(inits)}"})

        mock_context.fetch.side_effect = fetch
        inputs = {"file": {"content": b64(SMALL)}, "privacy_level": "SELF_ONLY"}
        try:
            results = await asyncio.gather(
                *(integration.execute_action("create_video_post", inputs, mock_context) for _ in range(20))
            )
        finally:
            await runner.cleanup()

        assert sorted(data_of(r)["publish_id"] for r in results) == sorted(f"v_pub_{n}" for n in range(1, 21))
        assert len(inits) == 20
        assert all(stored == SMALL for stored in server.stored.values()) and len(server.stored) == 20
        assert set(server.puts.values()) == {2}  # the part, then aiohttp's own resend answered 416


def deep(status=200) -> FetchResponse:
    return FetchResponse(status=status, headers={"Content-Type": "text/plain"}, data=DEEP)


class TestAnswersTooDeepToRead:
    async def test_a_read_says_the_answer_could_not_be_read(self, integration, mock_context):
        mock_context.fetch.return_value = deep()

        message = message_of(await integration.execute_action("get_user_info", {}, mock_context))

        assert message.startswith("TikTok answered with an error (HTTP 200) and no details")

    async def test_a_publish_request_says_the_post_may_exist_and_not_to_run_again(self, integration, mock_context):
        mock_context.fetch.side_effect = answers_by_url((CREATOR_INFO, ok(creator())), (VIDEO_INIT, deep()))
        inputs = {"video_url": PULL_URL, "pull_from_url": True, "privacy_level": "SELF_ONLY"}

        message = message_of(await integration.execute_action("create_video_post", inputs, mock_context))

        assert "The post may have been created anyway, so the request was not sent again" in message
        assert "run it again" not in message.lower()

    @pytest.mark.parametrize("lookup", ["status", "link"])
    async def test_a_post_that_reached_publish_complete_stays_a_success(self, integration, mock_context, lookup):
        done = ok(status_data("PUBLISH_COMPLETE", publicaly_available_post_id=[7321456789012345678]))
        mock_context.fetch.side_effect = answers_by_url(
            (CREATOR_INFO, ok(creator())),
            (VIDEO_INIT, ok({"publish_id": "v_pub_url~1"})),
            (STATUS, deep() if lookup == "status" else done),
            (VIDEO_QUERY, deep()),
        )
        inputs = {"video_url": PULL_URL, "pull_from_url": True, "privacy_level": "PUBLIC_TO_EVERYONE"}

        data = data_of(
            await integration.execute_action("create_video_post", {**inputs, "wait_seconds": 5}, mock_context)
        )

        assert data["publish_id"] == "v_pub_url~1"
        assert "Do not run this step again" in data["explanation"] or "could not be looked up" in data["explanation"]
        assert data["status"] == ("PROCESSING_DOWNLOAD" if lookup == "status" else "PUBLISH_COMPLETE")

    async def test_an_sdk_fault_after_the_publish_request_never_says_run_it_again(
        self, integration, mock_context, monkeypatch
    ):
        async def broken(*args):
            raise RuntimeError("an SDK fault")

        monkeypatch.setattr(tiktok_posting, "confirm_post", broken)
        mock_context.fetch.side_effect = answers_by_url(
            (CREATOR_INFO, ok(creator())), (VIDEO_INIT, ok({"publish_id": "v_pub_url~1"}))
        )
        inputs = {"video_url": PULL_URL, "pull_from_url": True, "privacy_level": "SELF_ONLY"}

        message = message_of(await integration.execute_action("create_video_post", inputs, mock_context))

        assert message.startswith(
            "The TikTok step failed unexpectedly (RuntimeError) after the post was sent to TikTok."
        )
        assert "check the TikTok profile" in message and "Run it again" not in message


ODD_NUMBERS = [True, 1.5, "x", 1e308, 10**400, float("inf"), float("nan"), -3]


class TestOddNumbersInCounts:
    @pytest.mark.parametrize("odd", ODD_NUMBERS, ids=repr)
    async def test_insights_give_null_for_an_odd_account_count_and_finite_rates(self, integration, mock_context, odd):
        user = {"follower_count": odd, "following_count": 1, "likes_count": odd, "video_count": 2}
        mock_context.fetch.side_effect = answers_by_url(
            (USER_INFO, ok({"user": user})),
            (
                VIDEO_LIST,
                ok(
                    {
                        "videos": [
                            video(7300000000000000001, likes=odd, views=odd),
                            video(7300000000000000002, views=10, likes=1),
                        ],
                        "has_more": False,
                    }
                ),
            ),
        )

        data = data_of(await integration.execute_action("get_account_insights", {"video_count": 2}, mock_context))

        assert (data["follower_count"], data["likes_count"]) == (None, None)
        assert (data["total_views"], data["average_engagement_rate"]) == (10, 10.0)

    async def test_a_video_count_past_int64_is_null_and_its_rate_finite(self, integration, mock_context):
        mock_context.fetch.return_value = ok(
            {"videos": [video(7300000000000000001, likes=1e308, comments=2, views=10)], "has_more": False}
        )

        data = data_of(await integration.execute_action("get_videos", {"max_count": 1}, mock_context))

        assert (data["videos"][0]["like_count"], data["videos"][0]["engagement_rate"]) == (0, 20.0)

    async def test_a_webm_duration_too_large_for_a_number_is_unknown(self, integration, mock_context):
        mock_context.fetch.return_value = ok(creator())
        # A Duration of 1e300 ticks of 1e12 ns each: the seconds are past a float's range.
        clip = webm(seconds=10.0, scale=10**12).replace(struct.pack(">d", 0.01), struct.pack(">d", 1e300))

        data = data_of(await integration.execute_action("check_video", {"file": {"content": b64(clip)}}, mock_context))

        assert data["duration_seconds"] is None
        assert "The duration could not be read from the file, so it was not checked." in data["unchecked"]


class TestPlainRefusals:
    async def test_check_video_refuses_an_empty_link_in_words(self, integration, mock_context):
        message = message_of(await integration.execute_action("check_video", {"video_url": ""}, mock_context))

        assert (
            message
            == "video_url must not be empty (it has 0). Give an https:// link to the video. Nothing was sent to TikTok."
        )
        assert urls(mock_context) == []

    async def test_a_link_host_that_stalls_while_a_part_is_read_is_named(
        self, integration, mock_context, loopback, tiktok_module, monkeypatch
    ):
        monkeypatch.setattr(tiktok_posting, "TRANSFER_DEADLINE_S", 0.5)
        url = loopback.host("/clip.mp4", SMALL, stall_on_get=2)  # the preflight's read, then the part's read
        mock_context.fetch.side_effect = upload_answers(loopback, INBOX_INIT, PUBLISH_ID)

        message = message_of(
            await integration.execute_action(
                "upload_video_draft", {"file": {"name": "c.mp4", "url": url}}, mock_context
            )
        )

        assert message.startswith(
            "The video's link host stopped answering while part 1 of 1 of the video was being read."
        )
        assert "TikTok's upload server" not in message
        assert urls(mock_context) == [INBOX_INIT]

    @pytest.mark.parametrize(("status", "inits"), [(500, 1), (403, 2)], ids=["5xx-no-fallback", "4xx-fallback"])
    async def test_the_pull_fallback_starts_only_after_a_definite_4xx(
        self, integration, mock_context, loopback, status, inits
    ):
        url = loopback.host("/clip.mp4", SMALL)
        refusal = tiktok_error(status, "url_ownership_unverified")
        uploaded = ok({"publish_id": PUBLISH_ID, "upload_url": loopback.url("/upload/")})
        mock_context.fetch.side_effect = [ok(creator()), refusal, uploaded]
        inputs = {"video_url": url, "pull_from_url": True, "privacy_level": "SELF_ONLY"}

        result = await integration.execute_action("create_video_post", inputs, mock_context)

        assert urls(mock_context).count(VIDEO_INIT) == inits
        if status == 500:
            assert "The post may have been created anyway" in message_of(result) and loopback.puts == []
        else:
            assert data_of(result)["pull_refused"] == "url_ownership_unverified"

    async def test_a_chunk_size_refusal_in_a_5xx_starts_no_second_init(self, integration, mock_context, monkeypatch):
        video_for("multi-part", monkeypatch)
        refusal = tiktok_error(500, "invalid_params", "The chunk size is invalid")
        mock_context.fetch.side_effect = [refusal]

        message = message_of(
            await integration.execute_action("upload_video_draft", {"file": {"content": b64(SMALL)}}, mock_context)
        )

        assert "The post may have been created anyway" in message
        assert urls(mock_context) == [INBOX_INIT]


class TestWhatAFailedLinkLeavesBehind:
    async def test_a_link_that_is_not_a_video_closes_its_download(
        self, integration, mock_context, loopback, monkeypatch
    ):
        sessions, opened = [], tiktok_transfer.new_download_session

        def recording():
            sessions.append(opened())
            return sessions[-1]

        monkeypatch.setattr(tiktok_transfer, "new_download_session", recording)
        mock_context.fetch.return_value = ok(creator())
        url = loopback.host("/photo.mp4", b"\xff\xd8\xff" + bytes(300_000), ranges=False)  # a JPEG, no Range

        data = data_of(await integration.execute_action("check_video", {"file": {"url": url}}, mock_context))

        assert data["problems"][0].startswith("The file is not an MP4, MOV or WebM video")
        assert sessions and all(session.closed for session in sessions)

    async def test_a_link_read_that_failed_once_is_not_blamed_for_a_later_refusal(
        self, integration, mock_context, loopback, monkeypatch
    ):
        video_for("multi-part", monkeypatch)
        url = loopback.host("/clip.mp4", SMALL, cut_on_get=2)  # the preflight's head, then part 1 breaks off once
        loopback.put_answers = [None, (403, {})]  # part 1 (sent again) is stored; part 2 is refused
        mock_context.fetch.side_effect = upload_answers(loopback, INBOX_INIT, PUBLISH_ID)

        message = message_of(
            await integration.execute_action("upload_video_draft", {"file": {"url": url}}, mock_context)
        )

        assert message.startswith("TikTok refused part 2 of 3 of the video because the upload link expired")

    async def test_an_upload_leaves_no_watch_behind_in_its_callers_context(self, loopback):
        plan = ChunkPlan(len(SMALL), len(SMALL), 1)
        source = tiktok_transfer.InlineSource(b64(SMALL))

        await tiktok_transfer.upload_chunks(source, plan, loopback.url("/upload/"), "video/mp4")

        assert tiktok_transfer.transfer_watch.get() is None and loopback.received == SMALL
