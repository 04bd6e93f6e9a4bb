"""Files made by real encoders (tests/media, each with the command that made it in tests/media/README.md): a
QuickTime .mov with a data handler, ProRes, fragmented MP4 with and without mehd/sidx, WebP of each kind, JPEG over
1080 pixels and with a large EXIF block. Through execute_action, inline and by link (a host that answers Range and
one that ignores it), then the pure readers on the same bytes. The expected facts are ffprobe's reading of each
file (format=duration, stream=codec_tag_string, width, height, r_frame_rate).

Rules: https://developers.tiktok.com/doc/content-posting-api-media-transfer-guide (video and image restrictions).
"""

import base64
import gzip
import hashlib
import struct
from pathlib import Path

import pytest
from autohive_integrations_sdk import ResultType

import tiktok_transfer
from tiktok_media import FRAGMENTS_UNREAD, VideoFacts, inspect_video, photo_verdict, picture_size
from tiktok_testkit import box, data_of, full_box, mp4, mvhd, ok, video_trak

pytestmark = pytest.mark.unit

MEDIA = Path(__file__).resolve().parent / "media"
CREATOR_INFO = "https://open.tiktokapis.com/v2/post/publish/creator_info/query/"
CONTENT_INIT = "https://open.tiktokapis.com/v2/post/publish/content/init/"
MiB = 2**20

# ffprobe's reading of each video.
VIDEOS = {
    "h264-data-handler.mov": VideoFacts("mov", "avc1", 0.5, 64, 64, 30.0),
    "prores-proxy.mov": VideoFacts("mov", "apco", 0.2, 64, 64, 30.0),
    "fragmented.mp4": VideoFacts("mp4", "avc1", 1.0, 64, 64, 30.0),
    "fragmented-mehd.mp4": VideoFacts("mp4", "avc1", 1.0, 64, 64, 30.0),
    "fragmented-sidx.mp4": VideoFacts("mp4", "avc1", 1.0, 64, 64, 30.0),
    "fragmented-dash.mp4": VideoFacts("mp4", "avc1", 1.0, 64, 64, 30.0),
}
PRORES = (
    "The video is encoded as ProRes; TikTok accepts H.264, H.265, VP8 or VP9. Re-export it as H.264 (the most "
    "compatible)."
)
TOO_SMALL = "The video is 64x64 pixels; TikTok accepts 360 to 4096 pixels on each side. Resize it."
HOSTS = ("inline", "Range", "no Range")


@pytest.fixture(autouse=True)
def loopback_links(integration, monkeypatch):
    """The loopback server is plain http: video_url's and photo_urls' https pattern is widened for these tests."""
    for action in integration.config.actions.values():
        properties = action.input_schema.get("properties", {})
        for field in (properties.get("video_url"), properties.get("photo_urls", {}).get("items")):
            if field and "pattern" in field:
                monkeypatch.setitem(field, "pattern", "^https?://")


def read(name: str) -> bytes:
    return (MEDIA / name).read_bytes()


def creator() -> dict:
    return {
        "creator_nickname": "Kiri",
        "privacy_level_options": ["SELF_ONLY"],
        "comment_disabled": False,
        "duet_disabled": False,
        "stitch_disabled": False,
        "max_video_post_duration_sec": 600,
    }


def video_input(host: str, name: str, loopback) -> dict:
    data = read(name)
    if host == "inline":
        return {"file": {"name": name, "content": base64.b64encode(data).decode("ascii")}}
    return {"video_url": loopback.host(f"/{name}", data, ranges=host == "Range")}


def refusal(result) -> str:
    assert result.type == ResultType.ACTION_ERROR, result.result
    return result.result.message


def api_urls(mock_context) -> list[str]:
    return [c.args[0] for c in mock_context.fetch.await_args_list]


def facts_of(report: dict) -> dict:
    return {key: report[key] for key in ("container", "codec", "duration_seconds", "width", "height", "frame_rate")}


class TestCheckVideoReadsRealFiles:
    @pytest.mark.parametrize("host", HOSTS)
    @pytest.mark.parametrize("name", list(VIDEOS))
    async def test_facts_and_verdict_match_ffprobe(self, integration, mock_context, loopback, name, host):
        mock_context.fetch.return_value = ok(creator())

        report = data_of(
            await integration.execute_action("check_video", video_input(host, name, loopback), mock_context)
        )

        expected = VIDEOS[name]
        assert facts_of(report) == {
            "container": expected.container,
            "codec": "ProRes" if name.startswith("prores") else "H.264",
            "duration_seconds": expected.duration_seconds,
            "width": 64,
            "height": 64,
            "frame_rate": 30.0,
        }
        assert report["problems"] == ([PRORES] if name.startswith("prores") else []) + [TOO_SMALL]
        assert report["unchecked"] == [] and report["ok"] is False
        if host != "inline":
            assert len(loopback.served(f"/{name}")) == 1  # the whole file is in the first read

    async def test_fragments_past_the_reading_budget_are_reported_unchecked(
        self, integration, mock_context, loopback, monkeypatch
    ):
        monkeypatch.setattr(tiktok_transfer, "PROBE_HEAD_BYTES", 1024)  # moov and the first fragment
        monkeypatch.setattr(tiktok_transfer, "PROBE_MAX_REQUESTS", 1)
        mock_context.fetch.return_value = ok(creator())

        inputs = video_input("Range", "fragmented.mp4", loopback)
        report = data_of(await integration.execute_action("check_video", inputs, mock_context))

        assert report["duration_seconds"] is None and report["frame_rate"] == 30.0
        assert report["unchecked"] == [FRAGMENTS_UNREAD]
        assert loopback.served("/fragmented.mp4") == [("bytes=0-1023", 1024)]

    @pytest.mark.parametrize(
        ("name", "served"),
        [
            ("fragmented-mehd.mp4", [("bytes=0-1023", 1024)]),  # the head holds moov (with mehd) and one fragment
            ("fragmented-sidx.mp4", [("bytes=0-1023", 1024), ("bytes=2277-2381", 105)]),  # the sidx's end: mfra
        ],
    )
    async def test_mehd_or_an_index_of_every_fragment_gives_the_duration_without_the_fragments(
        self, integration, mock_context, loopback, monkeypatch, name, served
    ):
        monkeypatch.setattr(tiktok_transfer, "PROBE_HEAD_BYTES", 1024)
        monkeypatch.setattr(tiktok_transfer, "PROBE_MAX_REQUESTS", 2)
        mock_context.fetch.return_value = ok(creator())

        report = data_of(
            await integration.execute_action("check_video", video_input("Range", name, loopback), mock_context)
        )

        assert report["duration_seconds"] == 1.0 and report["frame_rate"] == 30.0 and report["unchecked"] == []
        assert loopback.served(f"/{name}") == served

    async def test_fragments_are_read_by_their_box_headers_in_ranged_windows(
        self, integration, mock_context, loopback, monkeypatch
    ):
        monkeypatch.setattr(tiktok_transfer, "PROBE_HEAD_BYTES", 1024)
        mock_context.fetch.return_value = ok(creator())

        inputs = video_input("Range", "fragmented.mp4", loopback)
        report = data_of(await integration.execute_action("check_video", inputs, mock_context))

        assert report["duration_seconds"] == 1.0 and report["frame_rate"] == 30.0 and report["unchecked"] == []
        # The window starts at the second fragment's moof, the first header the head did not hold.
        assert loopback.served("/fragmented.mp4") == [("bytes=0-1023", 1024), ("bytes=1645-2305", 661)]


class TestCheckVideoOfALinkThatSendsNothing:
    @pytest.mark.parametrize("ranges", [True, False], ids=["Range", "no Range"])
    async def test_is_not_ok(self, integration, mock_context, loopback, ranges):
        mock_context.fetch.return_value = ok(creator())
        # The host announces the file, then drops the connection before its first byte.
        url = loopback.host("/v.mp4", read("h264-data-handler.mov"), ranges=ranges, cut_after=0)

        report = data_of(await integration.execute_action("check_video", {"video_url": url}, mock_context))

        assert report["ok"] is False and report["unchecked"] == []
        assert report["problems"] == ["The video link sent no data, so nothing could be checked. Check the link."]
        assert facts_of(report) == dict.fromkeys(facts_of(report))


class TestCheckVideoWithoutRange:
    """A host that ignores Range: the check reads only until the facts are known, or at most PROBE_READ_CAP."""

    async def test_reading_stops_once_the_facts_are_known(self, integration, mock_context, loopback, monkeypatch):
        monkeypatch.setattr(tiktok_transfer, "PROBE_READ_CAP", 48 * MiB)
        mock_context.fetch.return_value = ok(creator())
        url = loopback.host("/v.mp4", mp4(mdat_size=64 * MiB), ranges=False, length=False)

        report = data_of(await integration.execute_action("check_video", {"video_url": url}, mock_context))

        assert report["ok"] is True and report["duration_seconds"] == 10.0 and report["unchecked"] == []
        [(header, sent)] = loopback.served("/v.mp4")
        assert header == f"bytes=0-{tiktok_transfer.PROBE_HEAD_BYTES - 1}"
        assert sent < 24 * MiB  # the first MiB and what the sockets buffered, far from the cap (48 MiB here)

    async def test_facts_past_the_cap_are_reported_unchecked_and_nothing_is_spooled(
        self, integration, mock_context, loopback, monkeypatch
    ):
        monkeypatch.setattr(tiktok_transfer, "HeldBytes", None)  # a spool would fail: the check never builds one
        mock_context.fetch.return_value = ok(creator())
        url = loopback.host("/v.mp4", mp4(mdat_size=64 * MiB, moov_last=True), ranges=False, length=False)

        report = data_of(await integration.execute_action("check_video", {"video_url": url}, mock_context))

        assert facts_of(report) == {**dict.fromkeys(facts_of(report)), "container": "mp4"}
        assert report["unchecked"][0] == (
            "Only the first 8.4 MB of the video were read: its host does not send parts of a file on request, so the "
            "rest was not downloaded to check it."
        )
        assert len(report["unchecked"]) == 5 and report["problems"] == []
        [(_header, sent)] = loopback.served("/v.mp4")
        assert sent < 24 * MiB  # the 8 MiB cap, and the sockets' buffers

    async def test_a_compressed_body_is_inflated_only_up_to_the_cap(
        self, integration, mock_context, loopback, monkeypatch
    ):
        inflated = []
        read_some = tiktok_transfer._read_some

        async def counting(response, limit):
            data = await read_some(response, limit)
            inflated.append(len(data))
            return data

        monkeypatch.setattr(tiktok_transfer, "_read_some", counting)
        mock_context.fetch.return_value = ok(creator())
        # 32 MiB that gzip cannot shrink (a 1 MiB block of hash output repeats beyond its 32 KiB window), moov last.
        noise = b"".join(hashlib.sha256(n.to_bytes(4, "big")).digest() for n in range(MiB // 32))
        video = mp4(mdat_size=0, moov_last=True)
        video = video[:32] + noise * 32 + video[32:]
        body = gzip.compress(video, compresslevel=1)
        url = loopback.host("/v.mp4", body, ranges=False, headers={"Content-Encoding": "gzip"})

        report = data_of(await integration.execute_action("check_video", {"video_url": url}, mock_context))

        assert report["container"] == "mp4" and report["duration_seconds"] is None
        assert sum(inflated) == tiktok_transfer.PROBE_READ_CAP
        [request] = [r for r in loopback.requests if r["path"] == "/v.mp4"]
        assert request["headers"]["Accept-Encoding"] == "identity"


class TestCreateVideoPostRefusesRealFiles:
    @pytest.mark.parametrize("host", HOSTS)
    @pytest.mark.parametrize(
        ("name", "message"),
        [("prores-proxy.mov", f"{PRORES} {TOO_SMALL}"), ("h264-data-handler.mov", TOO_SMALL)],
    )
    async def test_refused_before_any_init(self, integration, mock_context, loopback, name, message, host):
        mock_context.fetch.side_effect = [ok(creator())]
        inputs = {**video_input(host, name, loopback), "privacy_level": "SELF_ONLY"}

        result = await integration.execute_action("create_video_post", inputs, mock_context)

        assert refusal(result) == f"{message} Nothing was posted."
        assert api_urls(mock_context) == [CREATOR_INFO]  # no init
        assert loopback.puts == []


def long_recording(seconds: int, *, mehd: bool) -> bytes:
    """A fragmented MP4 as screen recorders write it, built box by box: an empty moov with mvex (trex: 1/30 s a
    sample; mehd: the whole length, when given), then one moof/mdat pair per 30 s, whose tfhd carries the default
    duration and whose trun counts the samples."""
    movie_length = full_box(b"mehd", 0, struct.pack(">I", seconds * 1000)) if mehd else b""
    mvex = box(b"mvex", movie_length + full_box(b"trex", 0, struct.pack(">5I", 1, 1, 1000, 0, 0)))
    moov = box(b"moov", mvhd(1000, 0) + video_trak(seconds=0, stts_entries=[]) + mvex)
    fragments = b""
    for number in range(seconds // 30):
        # tfhd flags: default-base-is-moof and a default sample duration (1000 ticks of 30000: 30 fps).
        tfhd = box(b"tfhd", bytes([0]) + (0x020008).to_bytes(3, "big") + struct.pack(">II", 1, 1000))
        trun = full_box(b"trun", 0, struct.pack(">I", 30 * 30))
        moof = box(b"moof", full_box(b"mfhd", 0, struct.pack(">I", number + 1)) + box(b"traf", tfhd + trun))
        fragments += moof + box(b"mdat", bytes(64))
    return box(b"ftyp", b"iso5" + struct.pack(">I", 512) + b"iso5iso6mp41") + moov + fragments


class TestALongFragmentedRecording:
    """The 15-minute screen recording that used to be uploaded whole and then refused by TikTok."""

    @pytest.mark.parametrize("mehd", [True, False], ids=["mehd", "fragments"])
    @pytest.mark.parametrize("host", HOSTS)
    async def test_is_refused_before_any_init(self, integration, mock_context, loopback, host, mehd):
        recording = long_recording(900, mehd=mehd)
        if host == "inline":
            source = {"file": {"name": "screen.mp4", "content": base64.b64encode(recording).decode("ascii")}}
        else:
            source = {"video_url": loopback.host("/screen.mp4", recording, ranges=host == "Range")}
        mock_context.fetch.side_effect = [ok(creator())]

        result = await integration.execute_action(
            "create_video_post", {**source, "privacy_level": "SELF_ONLY"}, mock_context
        )

        assert "900" in refusal(result) and "600" in refusal(result)
        assert refusal(result).endswith("Nothing was posted.")
        assert api_urls(mock_context) == [CREATOR_INFO]  # no init
        assert loopback.puts == []

    @pytest.mark.parametrize("mehd", [True, False], ids=["mehd", "fragments"])
    def test_facts(self, mehd):
        recording = long_recording(900, mehd=mehd)

        facts = inspect_video(lambda at, length: recording[at : at + length], len(recording))

        assert (facts.duration_seconds, facts.frame_rate, facts.width, facts.height) == (900.0, 30.0, 1080, 1920)


def photo_links(loopback, names, ranges=True) -> list[str]:
    return [loopback.host(f"/{name}", read(name), ranges=ranges) for name in names]


def init_answer():
    return ok({"publish_id": "p_inbox_url~v2.1"})


class TestCreatePhotoPostPictureSize:
    @pytest.mark.parametrize("ranges", [True, False], ids=["Range", "no Range"])
    async def test_a_carousel_of_each_webp_kind_passes(self, integration, mock_context, loopback, ranges):
        mock_context.fetch.side_effect = [init_answer()]
        urls = photo_links(loopback, ["vp8.webp", "vp8l.webp", "vp8x.webp"], ranges)

        inputs = {"photo_urls": urls, "post_mode": "MEDIA_UPLOAD"}
        data = data_of(await integration.execute_action("create_photo_post", inputs, mock_context))

        assert data["photo_warnings"] == [] and api_urls(mock_context) == [CONTENT_INIT]

    @pytest.mark.parametrize("ranges", [True, False], ids=["Range", "no Range"])
    async def test_over_1080_on_the_shorter_side_is_refused_by_number_and_link(
        self, integration, mock_context, loopback, ranges
    ):
        urls = photo_links(loopback, ["vp8.webp", "1200x1300.jpg"], ranges)

        inputs = {"photo_urls": urls, "post_mode": "MEDIA_UPLOAD"}
        message = refusal(await integration.execute_action("create_photo_post", inputs, mock_context))

        assert message == (
            "Photo #2 (127.0.0.1/1200x1300.jpg) is 1200x1300 pixels; TikTok accepts at most 1080 pixels. Resize it. "
            "Nothing was posted."
        )
        assert api_urls(mock_context) == []

    async def test_a_frame_header_past_the_first_read_is_read_in_a_second(
        self, integration, mock_context, loopback, monkeypatch
    ):
        monkeypatch.setattr(tiktok_transfer, "PHOTO_HEAD_BYTES", 4096)  # the EXIF block runs to byte 8,006
        urls = photo_links(loopback, ["exif-1200x1300.jpg"])

        inputs = {"photo_urls": urls, "post_mode": "MEDIA_UPLOAD"}
        message = refusal(await integration.execute_action("create_photo_post", inputs, mock_context))

        assert message.startswith("Photo #1 (127.0.0.1/exif-1200x1300.jpg) is 1200x1300 pixels;")
        assert loopback.served("/exif-1200x1300.jpg") == [("bytes=0-4095", 4096), ("bytes=4096-16383", 12288)]
        assert api_urls(mock_context) == []

    async def test_without_range_a_frame_header_past_the_first_read_is_left_to_tiktok(
        self, integration, mock_context, loopback, monkeypatch
    ):
        monkeypatch.setattr(tiktok_transfer, "PHOTO_HEAD_BYTES", 4096)
        mock_context.fetch.side_effect = [init_answer()]
        urls = photo_links(loopback, ["exif-1200x1300.jpg"], ranges=False)

        inputs = {"photo_urls": urls, "post_mode": "MEDIA_UPLOAD"}
        data = data_of(await integration.execute_action("create_photo_post", inputs, mock_context))

        assert data["photo_warnings"] == [] and api_urls(mock_context) == [CONTENT_INIT]
        assert len(loopback.served("/exif-1200x1300.jpg")) == 1

    @pytest.mark.parametrize("ranges", [True, False], ids=["Range", "no Range"])
    async def test_over_1080_wide_only_passes_with_a_warning(self, integration, mock_context, loopback, ranges):
        mock_context.fetch.side_effect = [init_answer()]
        urls = photo_links(loopback, ["vp8x.webp", "1200x720.jpg"], ranges)

        inputs = {"photo_urls": urls, "post_mode": "MEDIA_UPLOAD"}
        data = data_of(await integration.execute_action("create_photo_post", inputs, mock_context))

        assert data["photo_warnings"] == [
            "Photo #2 (127.0.0.1/1200x720.jpg) is 1200 pixels wide; TikTok may refuse a photo wider than 1080 pixels "
            "(its limit does not say which side). If TikTok refuses the post, resize it to 1080 pixels wide."
        ]
        assert api_urls(mock_context) == [CONTENT_INIT]


# ---- The pure readers ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(VIDEOS))
def test_the_inspector_reads_what_ffprobe_reads(name):
    data = read(name)
    assert inspect_video(lambda offset, length: data[offset : offset + length], len(data)) == VIDEOS[name]


@pytest.mark.parametrize(
    ("name", "size"),
    [("vp8.webp", (64, 48)), ("vp8l.webp", (64, 48)), ("vp8x.webp", (64, 48)), ("1200x1300.jpg", (1200, 1300)),
     ("1200x720.jpg", (1200, 720)), ("exif-1200x1300.jpg", (1200, 1300))],
)  # fmt: skip
def test_picture_size_from_the_header(name, size):
    assert picture_size(read(name)[:16384]) == size


def test_a_frame_header_not_at_hand_gives_no_picture_size():
    assert picture_size(read("exif-1200x1300.jpg")[:4096]) is None


@pytest.mark.parametrize(
    ("picture", "problem", "warned"),
    [((1080, 1920), None, False), ((1081, 1081), "is 1081x1081 pixels", False), ((1920, 1080), None, True),
     (None, None, False)],
)  # fmt: skip
def test_photo_verdicts_on_the_picture_size(picture, problem, warned):
    found, warning = photo_verdict(1, "x/p.jpg", b"\xff\xd8\xff\xe0", 1000, picture)
    assert (found is None if problem is None else problem in found) and (warning is not None) == warned


@pytest.mark.parametrize("flags", [0x000205, 0x000305], ids=["default durations", "per-sample durations"])
def test_a_track_run_claiming_four_billion_samples_is_read_in_bounded_time(flags):
    data = bytearray(read("fragmented.mp4"))
    trun = data.find(b"trun")  # the first fragment's: version/flags, then the sample count
    data[trun + 4 : trun + 12] = flags.to_bytes(4, "big") + (2**32 - 1).to_bytes(4, "big")

    facts = inspect_video(lambda offset, length: bytes(data[offset : offset + length]), len(data))

    assert facts.codec == "avc1" and facts.frame_rate is not None
