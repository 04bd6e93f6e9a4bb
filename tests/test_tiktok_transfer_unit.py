"""Moving the video: link downloads and chunk uploads over real HTTP, through the loopback server.

The integration downloads links and PUTs chunks with its own aiohttp sessions, which a MagicMock context cannot
see: here they reach a real aiohttp.web server on 127.0.0.1 (the `loopback` fixture), admitted by the link guard
through its one seam. TikTok's API calls (creator info, init) still go through `mock_context.fetch`.
"""

import gzip
import socket

import aiohttp
import pytest
import tiktok_transfer
import tiktok_posting

from tiktok_transfer import ChunkPlan
from tiktok_testkit import (
    CREATOR_INFO,
    INBOX_INIT,
    STATUS,
    VIDEO_INIT,
    LoopbackGuard,
    b64,
    creator,
    data_of,
    fetched,
    make_mov,
    make_mp4,
    make_webm,
    message_of,
    ok,
    request,
    sent_headers,
    sha256,
    status_data,
    upload_answers,
    urls,
)

pytestmark = pytest.mark.unit

SMALL = make_mp4(300_000)
SMALL_RANGE = "bytes 0-299999/300000"
MiB = 1024 * 1024
# The smallest sizes TikTok's rules split in parts (more than 64,000,000 bytes: 10,000,000-byte chunks, the
# last one taking the remainder).
BIG_SIZE = 64 * MiB + 1
BIG_RANGES = [
    "bytes 0-9999999/67108865",
    "bytes 10000000-19999999/67108865",
    "bytes 20000000-29999999/67108865",
    "bytes 30000000-39999999/67108865",
    "bytes 40000000-49999999/67108865",
    "bytes 50000000-67108864/67108865",
]
BIG_LENGTHS = ["10000000"] * 5 + ["17108865"]


@pytest.fixture(scope="module")
def big():
    return make_mp4(BIG_SIZE)


@pytest.fixture
def spooled(monkeypatch):
    """Records each download that went to temporary storage (unknown size or encoded) instead of being streamed."""
    calls = []
    spool = tiktok_transfer._spool

    async def recording(response):
        calls.append(response.url.path)
        return await spool(response)

    monkeypatch.setattr(tiktok_transfer, "_spool", recording)
    return calls


@pytest.fixture
def quick_stall(monkeypatch):
    """An upload answer that never comes is given up after 0.3 s instead of 20 s (of the loopback fixture's
    fast-forwarded time: the three tries fit in the 24 s transfer deadline)."""
    monkeypatch.setattr(tiktok_transfer, "READ_STALL_TIMEOUT_S", 0.3)


def draft(mock_context, loopback, **more):
    mock_context.fetch.side_effect = upload_answers(loopback, INBOX_INIT, "v_inbox_file~v2.77", **more)


def link(url):
    """A video given by link: as a file link (the schema takes only https in video_url; the guard checks both)."""
    return {"file": {"name": "clip.mp4", "url": url}}


def gets(loopback):
    return [r["path"] for r in loopback.requests if r["method"] == "GET"]


def put_ranges(loopback):
    return [p["headers"]["Content-Range"] for p in loopback.puts]


def inbox_init(size, chunk_size, count):
    source_info = {"source": "FILE_UPLOAD", "video_size": size, "chunk_size": chunk_size, "total_chunk_count": count}
    return request(INBOX_INIT, body={"source_info": source_info})


class TestLinkDownload:
    async def test_a_link_with_a_length_is_streamed_without_the_token_and_uploaded_intact(
        self, integration, mock_context, loopback, spooled
    ):
        url = loopback.host("/media/clip.mp4", SMALL, ranges=False)
        draft(mock_context, loopback)

        data = data_of(await integration.execute_action("upload_video_draft", link(url), mock_context))

        assert {key: data[key] for key in ("publish_id", "status", "source", "video_size", "chunk_count")} == {
            "publish_id": "v_inbox_file~v2.77",
            "status": "PROCESSING_UPLOAD",
            "source": "FILE_UPLOAD",
            "video_size": 300_000,
            "chunk_count": 1,
        }
        assert data["content_type"] == "video/mp4"
        assert fetched(mock_context) == [inbox_init(300_000, 300_000, 1)]
        download, put = loopback.requests
        assert (download["method"], download["path"]) == ("GET", "/media/clip.mp4")
        assert download["headers"]["Accept-Encoding"] == "identity"
        assert "Authorization" not in download["headers"] and "Authorization" not in put["headers"]
        assert sent_headers(put) == {
            "Content-Type": "video/mp4",
            "Content-Length": "300000",
            "Content-Range": SMALL_RANGE,
        }
        assert sha256(loopback.received) == sha256(SMALL)
        assert spooled == []

    async def test_a_link_without_a_length_is_spooled_then_uploaded_intact(
        self, integration, mock_context, loopback, spooled
    ):
        url = loopback.host("/media/clip.mp4", SMALL, length=False, ranges=False)
        draft(mock_context, loopback)

        data = data_of(await integration.execute_action("upload_video_draft", link(url), mock_context))

        assert (data["video_size"], data["chunk_count"], data["content_type"]) == (300_000, 1, "video/mp4")
        assert fetched(mock_context) == [inbox_init(300_000, 300_000, 1)]
        assert spooled == ["/media/clip.mp4"]
        assert put_ranges(loopback) == [SMALL_RANGE]
        assert sha256(loopback.received) == sha256(SMALL)

    async def test_an_encoded_download_is_decoded_and_its_real_size_sent(
        self, integration, mock_context, loopback, spooled
    ):
        # A server may compress even when asked not to: the Content-Length then counts the compressed bytes.
        url = loopback.host("/media/clip.mp4", gzip.compress(SMALL), headers={"Content-Encoding": "gzip"})
        draft(mock_context, loopback)

        data = data_of(await integration.execute_action("upload_video_draft", link(url), mock_context))

        assert data["video_size"] == 300_000
        assert fetched(mock_context) == [inbox_init(300_000, 300_000, 1)]
        assert spooled == ["/media/clip.mp4"]
        assert sha256(loopback.received) == sha256(SMALL)

    async def test_a_pre_signed_link_keeps_its_exact_encoding(self, integration, mock_context, loopback):
        # Re-encoding %2F or %3D in a signed query would break the signature.
        query = "?X-Amz-Credential=AKIA%2F20261121%2Fus-east-1&X-Amz-Signature=ab%3Dcd"
        url = loopback.host("/bucket/v.mp4", SMALL) + query
        draft(mock_context, loopback)

        inputs = {"file": {"name": "v.mp4", "contentType": "video/mp4", "url": url}}
        data_of(await integration.execute_action("upload_video_draft", inputs, mock_context))

        assert loopback.requests[0]["raw_path"] == "/bucket/v.mp4" + query
        assert sha256(loopback.received) == sha256(SMALL)

    @pytest.mark.parametrize(
        ("make", "content_type"),
        [(make_mov, "video/quicktime"), (make_webm, "video/webm")],
        ids=["mov", "webm"],
    )
    async def test_the_type_comes_from_the_bytes_not_the_servers_header(
        self, integration, mock_context, loopback, make, content_type
    ):
        clip = make(200_000)
        url = loopback.host("/media/clip.bin", clip, headers={"Content-Type": "application/octet-stream"})
        draft(mock_context, loopback)

        data = data_of(await integration.execute_action("upload_video_draft", link(url), mock_context))

        assert data["content_type"] == content_type
        assert {p["headers"]["Content-Type"] for p in loopback.puts} == {content_type}
        assert sha256(loopback.received) == sha256(clip)

    async def test_redirects_are_followed_by_hand_each_hop_checked(self, integration, mock_context, loopback):
        loopback.host("/hop/1", b"", status=302, headers={"Location": "/hop/2"})
        loopback.host("/hop/2", b"", status=301, headers={"Location": loopback.url("/hop/3")})
        loopback.host("/hop/3", b"", status=307, headers={"Location": "/media/clip.mp4"})
        loopback.host("/media/clip.mp4", SMALL, ranges=False)
        draft(mock_context, loopback)
        checked = []
        guard = tiktok_transfer.link_guard
        original = guard.check_link

        def recording(url, what="video link"):
            checked.append((str(url), what))
            return original(url, what)

        guard.check_link = recording

        data_of(await integration.execute_action("upload_video_draft", link(loopback.url("/hop/1")), mock_context))

        assert gets(loopback) == ["/hop/1", "/hop/2", "/hop/3", "/media/clip.mp4"]
        assert checked == [
            (loopback.url("/hop/1"), "file link"),
            (loopback.url("/hop/2"), "redirected video link"),
            (loopback.url("/hop/3"), "redirected video link"),
            (loopback.url("/media/clip.mp4"), "redirected video link"),
        ]
        assert sha256(loopback.received) == sha256(SMALL)

    async def test_more_than_three_redirects_are_refused_before_init(self, integration, mock_context, loopback):
        for n in range(5):
            loopback.host(f"/hop/{n}", b"", status=302, headers={"Location": f"/hop/{n + 1}"})
        loopback.host("/hop/5", SMALL)

        result = await integration.execute_action("upload_video_draft", link(loopback.url("/hop/0")), mock_context)

        assert "redirects more than 3 times" in message_of(result)
        assert gets(loopback) == ["/hop/0", "/hop/1", "/hop/2", "/hop/3"]
        mock_context.fetch.assert_not_awaited()

    @pytest.mark.parametrize(
        ("location", "reason"),
        [
            ("https://10.0.0.1/x.mp4", "points to a private address"),
            ("https://169.254.169.254/latest/meta-data", "points to a link-local address"),
            ("http://cdn.example.com/x.mp4", "must start with https://"),
        ],
    )
    async def test_a_redirect_to_a_refused_address_is_not_followed(
        self, integration, mock_context, loopback, location, reason
    ):
        url = loopback.host("/jump.mp4", b"", status=302, headers={"Location": location})

        message = message_of(await integration.execute_action("upload_video_draft", link(url), mock_context))

        assert "redirected video link" in message and reason in message
        assert gets(loopback) == ["/jump.mp4"]
        mock_context.fetch.assert_not_awaited()

    @pytest.mark.parametrize("status", [403, 404, 500])
    async def test_an_http_error_from_the_host_is_refused_before_init(
        self, integration, mock_context, loopback, status
    ):
        url = loopback.host("/gone.mp4", b"<html>no</html>", status=status, headers={"Content-Type": "text/html"})

        message = message_of(await integration.execute_action("upload_video_draft", link(url), mock_context))

        assert f"Downloading the video from 127.0.0.1 failed with HTTP {status}" in message
        assert "<html" not in message
        mock_context.fetch.assert_not_awaited()

    @pytest.mark.parametrize("length", [True, False], ids=["streamed", "spooled"])
    async def test_a_file_that_is_not_a_video_is_refused_before_init(self, integration, mock_context, loopback, length):
        url = loopback.host("/notes.mp4", b"%PDF-1.7\n" + bytes(5000), length=length)

        message = message_of(await integration.execute_action("upload_video_draft", link(url), mock_context))

        assert "not an MP4, MOV or WebM video" in message
        mock_context.fetch.assert_not_awaited()

    async def test_an_empty_download_of_unknown_size_is_refused(self, integration, mock_context, loopback):
        url = loopback.host("/empty.mp4", b"", length=False, ranges=False)

        message = message_of(await integration.execute_action("upload_video_draft", link(url), mock_context))

        assert "The linked file is empty" in message
        mock_context.fetch.assert_not_awaited()

    async def test_a_linked_video_longer_than_the_creator_may_post_stops_before_init(
        self, integration, mock_context, loopback
    ):
        url = loopback.host("/long.mp4", make_mp4(400_000, duration_s=61.5))
        mock_context.fetch.side_effect = [ok(creator(max_video_post_duration_sec=60))]
        inputs = {**link(url), "privacy_level": "PUBLIC_TO_EVERYONE"}

        message = message_of(await integration.execute_action("create_video_post", inputs, mock_context))

        assert "61.5 seconds" in message and "at most 60" in message
        assert urls(mock_context) == [CREATOR_INFO]

    async def test_a_linked_video_at_the_duration_limit_is_posted(self, integration, mock_context, loopback):
        clip = make_mp4(400_000, duration_s=60)
        url = loopback.host("/ok.mp4", clip)
        mock_context.fetch.side_effect = upload_answers(
            loopback, VIDEO_INIT, creator_data=creator(max_video_post_duration_sec=60)
        )
        inputs = {**link(url), "privacy_level": "PUBLIC_TO_EVERYONE"}

        data_of(await integration.execute_action("create_video_post", inputs, mock_context))

        assert urls(mock_context) == [CREATOR_INFO, VIDEO_INIT]
        assert sha256(loopback.received) == sha256(clip)

    async def test_a_download_that_breaks_off_before_init_posts_nothing(self, integration, mock_context, loopback):
        url = loopback.host("/flaky.mp4", SMALL, cut_after=100_000, ranges=False)

        message = message_of(await integration.execute_action("upload_video_draft", link(url), mock_context))

        assert "The download of the video broke off after 0.1 MB of 0.3 MB" in message
        assert "Nothing was posted" in message
        mock_context.fetch.assert_not_awaited()

    async def test_a_spooled_download_that_breaks_off_posts_nothing(self, integration, mock_context, loopback):
        url = loopback.host("/flaky.mp4", SMALL, length=False, cut_after=100_000, ranges=False)

        message = message_of(await integration.execute_action("upload_video_draft", link(url), mock_context))

        assert message.startswith("The download of the video broke off after") and "Nothing was posted" in message
        mock_context.fetch.assert_not_awaited()

    async def test_a_download_that_breaks_off_after_init_stops_the_upload(
        self, integration, mock_context, loopback, big
    ):
        url = loopback.host("/flaky.mp4", big, cut_after=25_000_000, ranges=False)
        draft(mock_context, loopback)

        message = message_of(await integration.execute_action("upload_video_draft", link(url), mock_context))

        assert "The download of the video broke off after 25.0 MB of 67.1 MB" in message
        assert "Nothing was posted (TikTok discards an upload that never completes)" in message
        assert urls(mock_context) == [INBOX_INIT]
        assert put_ranges(loopback) == BIG_RANGES[:2]
        assert len(loopback.received) == 20_000_000

    async def test_a_host_that_cannot_be_reached_is_named(self, integration, mock_context, monkeypatch):
        with socket.socket() as probe:  # a port on which nothing listens
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        monkeypatch.setattr(tiktok_transfer, "link_guard", LoopbackGuard(port))

        inputs = link(f"http://127.0.0.1:{port}/v.mp4")
        message = message_of(await integration.execute_action("upload_video_draft", inputs, mock_context))

        assert message == "Could not connect to 127.0.0.1 to download the video. Check the link; nothing was posted."
        mock_context.fetch.assert_not_awaited()

    async def test_a_name_that_resolves_to_a_private_address_is_refused_at_connect_time(
        self, integration, mock_context, loopback, monkeypatch
    ):
        # The production resolver, fed an answer pointing at this machine: the connection is never made.
        class FixedAnswer:
            async def resolve(self, host, port=0, family=socket.AF_INET):
                return [{"hostname": host, "host": "127.0.0.1", "port": port, "family": family, "proto": 0, "flags": 0}]

            async def close(self):
                pass

        class NameGuard(LoopbackGuard):
            def check_link(self, url, what="video link"):
                return aiohttp.client.URL(url)

            def download_connector(self):
                resolver = tiktok_transfer.PublicOnlyResolver()
                resolver._inner = FixedAnswer()
                return aiohttp.TCPConnector(resolver=resolver, use_dns_cache=False)

        loopback.host("/v.mp4", SMALL)
        monkeypatch.setattr(tiktok_transfer, "link_guard", NameGuard(0))
        port = int(loopback.base.rsplit(":", 1)[1])

        inputs = link(f"http://video.example.test:{port}/v.mp4")
        message = message_of(await integration.execute_action("upload_video_draft", inputs, mock_context))

        assert "The video link is not allowed: video.example.test resolves to a loopback address" in message
        assert loopback.requests == []
        mock_context.fetch.assert_not_awaited()


class TestChunkUpload:
    async def test_a_12345678_byte_video_goes_in_one_part(self, integration, mock_context, loopback):
        clip = make_mp4(12_345_678)
        draft(mock_context, loopback)

        inputs = {"file": {"name": "clip.mp4", "content": b64(clip)}}
        data = data_of(await integration.execute_action("upload_video_draft", inputs, mock_context))

        assert (data["video_size"], data["chunk_count"]) == (12_345_678, 1)
        assert fetched(mock_context) == [inbox_init(12_345_678, 12_345_678, 1)]
        (put,) = loopback.puts
        assert sent_headers(put) == {
            "Content-Type": "video/mp4",
            "Content-Length": "12345678",
            "Content-Range": "bytes 0-12345677/12345678",
        }
        assert put["status"] == 201
        assert sha256(loopback.received) == sha256(clip)

    @pytest.mark.parametrize("source", ["inline", "streamed", "spooled"])
    async def test_64_mib_and_one_byte_go_in_six_exact_parts(self, integration, mock_context, loopback, big, source):
        if source == "inline":
            inputs = {"file": {"name": "big.mp4", "content": b64(big)}}
        else:
            inputs = link(loopback.host("/big.mp4", big, length=source == "streamed"))
        draft(mock_context, loopback)

        data = data_of(await integration.execute_action("upload_video_draft", inputs, mock_context))

        assert (data["video_size"], data["chunk_count"]) == (BIG_SIZE, 6)
        assert fetched(mock_context) == [inbox_init(BIG_SIZE, 10_000_000, 6)]
        assert put_ranges(loopback) == BIG_RANGES
        assert [p["headers"]["Content-Length"] for p in loopback.puts] == BIG_LENGTHS
        assert [p["status"] for p in loopback.puts] == [206] * 5 + [201]
        assert sha256(loopback.received) == sha256(big)

    async def test_the_last_part_is_done_on_201(self, integration, mock_context, loopback):
        loopback.put_answers = [201]
        draft(mock_context, loopback)

        data = data_of(
            await integration.execute_action("upload_video_draft", {"file": {"content": b64(SMALL)}}, mock_context)
        )

        assert data["chunk_count"] == 1
        assert put_ranges(loopback) == [SMALL_RANGE]

    @pytest.mark.parametrize("failures", [[500], [503, 502]], ids=["once", "twice"])
    async def test_a_part_answered_5xx_is_sent_again(self, integration, mock_context, loopback, failures):
        loopback.put_answers = list(failures)
        draft(mock_context, loopback)

        data_of(await integration.execute_action("upload_video_draft", {"file": {"content": b64(SMALL)}}, mock_context))

        assert [p["status"] for p in loopback.puts] == [*failures, 201]
        assert put_ranges(loopback) == [SMALL_RANGE] * (len(failures) + 1)
        assert [sha256(p["body"]) for p in loopback.puts] == [sha256(SMALL)] * (len(failures) + 1)
        assert urls(mock_context) == [INBOX_INIT]  # the upload is resent, never the init
        assert sha256(loopback.received) == sha256(SMALL)

    async def test_a_part_before_the_last_failing_three_times_gives_up(
        self, integration, mock_context, loopback, monkeypatch
    ):
        monkeypatch.setattr(tiktok_posting, "plan_chunks", lambda size: ChunkPlan(size, size // 3, 3))
        loopback.put_answers = [500, 500, 500]  # a fourth attempt would succeed: the integration stops at three
        draft(mock_context, loopback)

        message = message_of(
            await integration.execute_action("upload_video_draft", {"file": {"content": b64(SMALL)}}, mock_context)
        )

        assert message.startswith("TikTok kept failing to accept part 1 of 3 of the video. Nothing was posted")
        assert len(loopback.puts) == 3
        assert loopback.received == b""

    @pytest.mark.parametrize("as_count", [False, True], ids=["last-byte-held", "byte-count-held"])
    async def test_the_last_part_stored_but_its_answer_lost_then_416_completes(
        self, integration, mock_context, loopback, quick_stall, as_count
    ):
        loopback.put_answers = ["lost"]
        loopback.progress_as_count = as_count
        draft(mock_context, loopback)

        data_of(await integration.execute_action("upload_video_draft", {"file": {"content": b64(SMALL)}}, mock_context))

        assert put_ranges(loopback) == [SMALL_RANGE, SMALL_RANGE]
        assert [p["status"] for p in loopback.puts] == [None, 416]
        assert sha256(loopback.received) == sha256(SMALL)

    @pytest.mark.parametrize("as_count", [False, True], ids=["last-byte-held", "byte-count-held"])
    async def test_a_part_stored_but_its_answer_lost_then_416_continues_with_the_next(
        self, integration, mock_context, loopback, quick_stall, tiktok_module, monkeypatch, as_count
    ):
        # TikTok's progress header is `bytes 0-N/T`: N may be the last byte held or a count of bytes held. Three
        # parts of a small video (TikTok's own plans are tested above with 64 MiB and one byte).
        monkeypatch.setattr(tiktok_posting, "plan_chunks", lambda size: ChunkPlan(size, size // 3, 3))
        loopback.put_answers = ["lost"]
        loopback.progress_as_count = as_count
        draft(mock_context, loopback)

        data_of(await integration.execute_action("upload_video_draft", {"file": {"content": b64(SMALL)}}, mock_context))

        thirds = ["bytes 0-99999/300000", "bytes 100000-199999/300000", "bytes 200000-299999/300000"]
        assert put_ranges(loopback) == [thirds[0], *thirds]
        assert [p["status"] for p in loopback.puts] == [None, 416, 206, 201]
        assert sha256(loopback.received) == sha256(SMALL)

    async def test_a_restart_request_rewinds_an_inline_video(self, integration, mock_context, loopback):
        loopback.put_answers = [(416, {"Content-Range": "bytes */300000"})]
        draft(mock_context, loopback)

        data_of(await integration.execute_action("upload_video_draft", {"file": {"content": b64(SMALL)}}, mock_context))

        assert put_ranges(loopback) == [SMALL_RANGE, SMALL_RANGE]
        assert sha256(loopback.received) == sha256(SMALL)

    async def test_a_restart_request_cannot_rewind_a_link_and_says_so(self, integration, mock_context, loopback, big):
        # A host that ignores Range: a part already passed on cannot be read again (a Range host can: preflight tests).
        loopback.put_answers = [None, None, (416, {"Content-Range": f"bytes */{BIG_SIZE}"})]
        url = loopback.host("/big.mp4", big, ranges=False)
        draft(mock_context, loopback)

        message = message_of(await integration.execute_action("upload_video_draft", link(url), mock_context))

        assert "already passed on and cannot be read again from the link" in message
        assert "nothing was posted" in message
        assert put_ranges(loopback) == BIG_RANGES[:3]

    async def test_a_416_that_matches_no_part_is_reported_once_the_status_confirms_it(
        self, integration, mock_context, loopback
    ):
        loopback.put_answers = [(416, {"Content-Range": "bytes 0-12344/300000"})]
        draft(mock_context, loopback, **{STATUS: ok(status_data("PROCESSING_UPLOAD", uploaded_bytes=12345))})

        message = message_of(
            await integration.execute_action("upload_video_draft", {"file": {"content": b64(SMALL)}}, mock_context)
        )

        assert "disagree on how much of the video arrived (part 1 of 1)" in message
        assert len(loopback.puts) == 1
        assert fetched(mock_context)[1] == request(STATUS, body={"publish_id": "v_inbox_file~v2.77"})

    @pytest.mark.parametrize(
        ("status", "said"),
        [
            (403, "TikTok refused part 1 of 1 of the video because the upload link expired (it lasts one hour)"),
            (404, "TikTok no longer knows this upload (part 1 of 1). Run the step again; nothing was posted."),
            (400, "TikTok rejected part 1 of 1 of the video (HTTP 400)."),
            (307, "TikTok rejected part 1 of 1 of the video (HTTP 307)."),  # a redirect away is never followed
        ],
    )
    async def test_a_refused_part_ends_the_upload_in_plain_words(
        self, integration, mock_context, loopback, status, said
    ):
        loopback.put_answers = [(status, {"Location": loopback.url("/elsewhere")} if status == 307 else {})]
        # The last part's bytes went out, so TikTok's status is asked first: it confirms the video is incomplete.
        draft(mock_context, loopback, **{STATUS: ok(status_data("PROCESSING_UPLOAD", uploaded_bytes=0))})

        message = message_of(
            await integration.execute_action("upload_video_draft", {"file": {"content": b64(SMALL)}}, mock_context)
        )

        assert said in message
        assert len(loopback.puts) == 1 and gets(loopback) == []
        assert urls(mock_context) == [INBOX_INIT, STATUS]

    async def test_a_stalled_upload_is_sent_again_then_given_up(self, integration, mock_context, loopback, quick_stall):
        loopback.put_answers = ["stall", "stall", "stall"]
        draft(mock_context, loopback)

        message = message_of(
            await integration.execute_action("upload_video_draft", {"file": {"content": b64(SMALL)}}, mock_context)
        )

        assert message == (
            "The last part of the video was sent, but TikTok's upload server gave no answer and TikTok's status does "
            "not show the whole video yet. TikTok may have received it and may post it, so do not run this step "
            "again: check Get Post Status with publish_id v_inbox_file~v2.77 in a few minutes, and post again only if "
            "it reports FAILED."
        )
        assert put_ranges(loopback) == [SMALL_RANGE] * 3

    async def test_a_stalled_upload_that_recovers_completes(self, integration, mock_context, loopback, quick_stall):
        loopback.put_answers = ["stall"]
        draft(mock_context, loopback)

        data_of(await integration.execute_action("upload_video_draft", {"file": {"content": b64(SMALL)}}, mock_context))

        assert put_ranges(loopback) == [SMALL_RANGE] * 2
        assert sha256(loopback.received) == sha256(SMALL)

    async def test_moving_the_bytes_past_the_transfer_deadline_is_reported_as_too_large(
        self, integration, mock_context, loopback, tiktok_module, monkeypatch, big
    ):
        monkeypatch.setattr(tiktok_posting, "TRANSFER_DEADLINE_S", 0.5)
        loopback.put_answers = ["stall"]  # the first of six parts: silent for less than UPLOAD_SILENCE_S
        draft(mock_context, loopback)

        message = message_of(
            await integration.execute_action("upload_video_draft", {"file": {"content": b64(big)}}, mock_context)
        )

        assert message.startswith("The video is too large to move to TikTok within one workflow step (0 s at most).")
        assert urls(mock_context) == [INBOX_INIT]

    async def test_a_single_part_from_a_link_held_on_disk_is_resent_intact(
        self, integration, mock_context, loopback, monkeypatch
    ):
        # A whole video of up to 64 MB goes as one part; past the in-memory limit it is held in a temporary file.
        monkeypatch.setattr(tiktok_transfer, "IN_MEMORY_CHUNK_MAX", 1_000_000)
        clip = make_mp4(3_000_000)
        url = loopback.host("/three.mp4", clip)
        loopback.put_answers = [500]
        draft(mock_context, loopback)

        data_of(await integration.execute_action("upload_video_draft", link(url), mock_context))

        assert [(p["headers"]["Content-Range"], p["status"]) for p in loopback.puts] == [
            ("bytes 0-2999999/3000000", 500),
            ("bytes 0-2999999/3000000", 201),
        ]
        assert [sha256(p["body"]) for p in loopback.puts] == [sha256(clip)] * 2

    @pytest.mark.parametrize(
        "upload_url",
        ["https://upload.evil.example/video/?upload_id=1", "http://open-upload.tiktokapis.com/video/", None],
    )
    async def test_video_bytes_go_nowhere_but_tiktoks_upload_host(
        self, integration, mock_context, loopback, upload_url
    ):
        mock_context.fetch.side_effect = [ok({"publish_id": "v_inbox_file~v2.78", "upload_url": upload_url})]

        message = message_of(
            await integration.execute_action("upload_video_draft", {"file": {"content": b64(SMALL)}}, mock_context)
        )

        assert "did not contain a usable TikTok upload address, so the video was not sent anywhere" in message
        assert loopback.requests == []
        assert urls(mock_context) == [INBOX_INIT]
