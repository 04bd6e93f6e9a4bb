"""The video inspector and TikTok's media rules, tested directly on media built byte by byte here."""

import struct

import pytest

from tiktok_testkit import box, mp4, mvhd, webm
from tiktok_api import InputError
from tiktok_media import (
    VideoFacts,
    check_media,
    inspect_video,
    media_problems,
    photo_verdict,
    unchecked_rules,
    wanted_span,
)

pytestmark = pytest.mark.unit


def facts_of(data: bytes, size: int | None = -1) -> VideoFacts:
    return inspect_video(lambda offset, length: data[offset : offset + length], len(data) if size == -1 else size)


# ---- The inspector -----------------------------------------------------------------------------------------------

# The builders above were checked with ffprobe while writing them: it reads the same codec, size, rate and duration.


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (mp4(), VideoFacts("mp4", "avc1", 10.0, 1080, 1920, 30.0)),
        (mp4(moov_last=True), VideoFacts("mp4", "avc1", 10.0, 1080, 1920, 30.0)),
        (mp4(brand=b"qt  ", fourcc=b"hvc1", fps=25), VideoFacts("mov", "hvc1", 10.0, 1080, 1920, 25.0)),
        (mp4(fourcc=b"hev1", audio_first=False), VideoFacts("mp4", "hev1", 10.0, 1080, 1920, 30.0)),
        (mp4(fourcc=b"vp09", seconds=700), VideoFacts("mp4", "vp09", 700.0, 1080, 1920, 30.0)),
        (mp4(mvhd_version=1, seconds=61.5), VideoFacts("mp4", "avc1", 61.5, 1080, 1920, 30.0)),
        (mp4(fourcc=b"mp4v", width=320, height=240), VideoFacts("mp4", "mp4v", 10.0, 320, 240, 30.0)),
        (mp4(tkhd_size=False, width=640, height=480), VideoFacts("mp4", "avc1", 10.0, 640, 480, 30.0)),
        (mp4(stts_entries=[(100, 1001), (200, 1001)], fps=30), VideoFacts("mp4", "avc1", 10.0, 1080, 1920, 29.97)),
        (webm(), VideoFacts("webm", "V_VP9", 10.0, 1280, 720, 30.0)),
        (webm(codec=b"V_VP8", fps=0, float32=True), VideoFacts("webm", "V_VP8", 10.0, 1280, 720, None)),
        (webm(unknown_segment=True, scale=1000), VideoFacts("webm", "V_VP9", 10.0, 1280, 720, 30.0)),
        (
            webm(doctype=b"matroska", codec=b"V_MPEG4/ISO/AVC"),
            VideoFacts("matroska", "V_MPEG4/ISO/AVC", 10.0, 1280, 720, 30.0),
        ),
        (webm(codec=b"V_AV1", fps=120), VideoFacts("webm", "V_AV1", 10.0, 1280, 720, 120.0)),
    ],
)
def test_facts_are_read_from_the_headers(data, expected):
    assert facts_of(data) == expected


@pytest.mark.parametrize(
    ("codec", "name"),
    [("avc1", "H.264"), ("avc3", "H.264"), ("hvc1", "H.265"), ("hev1", "H.265"), ("vp08", "VP8"), ("vp09", "VP9"),
     ("V_MPEG4/ISO/AVC", "H.264"), ("V_MPEGH/ISO/HEVC", "H.265"), ("V_VP8", "VP8"), ("V_VP9", "VP9"),
     ("av01", "AV1"), ("V_AV1", "AV1"), ("mp4v", "MPEG-4 Part 2"), ("V_MPEG4/ISO/ASP", "MPEG-4 Part 2"),
     *[(fourcc, "ProRes") for fourcc in ("apch", "apcn", "apcs", "apco", "ap4h", "ap4x")], ("s263", "s263"),
     (None, None)],
)  # fmt: skip
def test_codec_names_are_readable(codec, name):
    assert VideoFacts(codec=codec).codec_name == name


def _cut(data: bytes, keep: int):
    return lambda offset, length: data[offset : min(offset + length, keep)]


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x00" * 64,
        box(b"ftyp", b"isom" + bytes(4)) + b"\xff" * 100,
        box(b"ftyp", b"isom" + bytes(4)) + struct.pack(">I4s", 3, b"moov"),  # a box smaller than its header
        box(b"ftyp", b"isom" + bytes(4)) + struct.pack(">I4sQ", 1, b"moov", 2**63),  # a huge 64-bit size
        box(b"ftyp", b"isom" + bytes(4)) + box(b"moov", box(b"trak", b"\xff" * 40)),
        box(b"ftyp", b"isom" + bytes(4)) + box(b"moov", box(b"mvhd", b"\x00" * 20)),  # timescale 0
        b"\x1a\x45\xdf\xa3" + b"\xff" * 60,
        b"\x1a\x45\xdf\xa3\x00" + bytes(60),
        webm()[:40],
        webm()[:80],
        mp4()[:60],
    ],
)
def test_malformed_or_truncated_input_gives_unknown_facts_never_an_exception(data):
    facts = facts_of(data)
    assert facts.duration_seconds is None and facts.codec is None and facts.frame_rate is None


@pytest.mark.parametrize("ticks", [0, 0xFFFFFFFF])
def test_a_duration_the_header_leaves_open_is_unknown(ticks):
    data = box(b"ftyp", b"isom" + bytes(4)) + box(b"moov", mvhd(1000, ticks)) + box(b"mdat", bytes(10))
    assert facts_of(data) == VideoFacts("mp4")


def test_a_file_cut_short_is_answered_with_what_is_at_hand():
    data = mp4(moov_last=True, mdat_size=5000)
    assert inspect_video(_cut(data, 3000), len(data)) == VideoFacts("mp4")
    assert inspect_video(_cut(data, len(data)), len(data)).duration_seconds == pytest.approx(10.0)


def test_reads_that_raise_give_unknown_facts():
    def broken(offset, length):
        raise OSError("gone")

    assert inspect_video(broken, 100) == VideoFacts()


def endless(head: bytes, unit: bytes, size: int):
    """A read_at over a file of `size` bytes: `head`, then `unit` repeated to the end, made up as it is read (a
    4 GB flood costs no memory), and the length of every read kept in `read_at.reads`."""
    reads = []

    def read_at(offset, length):
        reads.append(length)
        end = min(offset + length, size)
        data = head[offset:end]
        start = max(offset, len(head))
        if end > start:
            phase = (start - len(head)) % len(unit)
            data += (unit * ((phase + end - start) // len(unit) + 1))[phase : phase + end - start]
        return data

    read_at.reads = reads
    return read_at


FOUR_GB = 4 * 10**9
FTYP = box(b"ftyp", b"isom" + bytes(4))


@pytest.mark.parametrize(
    ("head", "unit"),
    [
        (FTYP, b"\x00\x00\x00\x08free"),
        (FTYP + struct.pack(">I4s", FOUR_GB - len(FTYP), b"moov"), b"\x00\x00\x00\x08free"),
        (webm()[:60], b"\xec\x80"),  # empty Void elements
    ],
    ids=["top-level boxes", "boxes inside moov", "ebml voids"],
)
def test_a_box_flood_is_given_up_after_a_bounded_number_of_reads(head, unit):
    # The work is bounded by counting, never by a clock: at most MAX_NODES boxes or elements (4096) are visited,
    # each with one small read, and at most MAX_READ_BYTES (4 MiB) are read, however large the file.
    read_at = endless(head, unit, FOUR_GB)

    facts = inspect_video(read_at, FOUR_GB)

    assert facts.duration_seconds is None
    assert len(read_at.reads) <= 4200 and sum(read_at.reads) <= 4 * 2**20


def test_the_span_wanted_next_starts_where_the_bytes_at_hand_ran_out():
    data = mp4(moov_last=True, mdat_size=5000)
    moov_at = 28 + 5008  # after ftyp and mdat, found by their headers alone
    assert wanted_span(_cut(data, 1000), len(data), 256) == (moov_at, 256)
    assert wanted_span(_cut(data, 1000), len(data), 2**20) == (moov_at, len(data) - moov_at)  # to the file's end
    assert wanted_span(_cut(data, moov_at + 100), len(data), 256) == (moov_at + 100, 256)
    assert wanted_span(_cut(data, len(data)), len(data), 256) is None
    assert wanted_span(_cut(mp4(mdat_size=5000), 1000), None, 4096) is None  # moov first: nothing else is read


# ---- TikTok's rules ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("facts", "limit", "problems"),
    [
        (VideoFacts("mp4", "avc1", 59.9, 1080, 1920, 30.0), 60, []),
        (VideoFacts("mp4", "avc1", 60.0, 360, 4096, 23.0), 60, []),
        (VideoFacts("webm", "V_VP8", 600.0, 4096, 360, 60.0), None, []),
        (
            VideoFacts("mp4", "avc1", 61.5, 1080, 1920, 30.0),
            60,
            ["61.5 seconds long, but this TikTok account may post at most 60 seconds"],
        ),
        (
            VideoFacts("mp4", "av01", None, None, None, None),
            60,
            ["encoded as AV1; TikTok accepts H.264, H.265, VP8 or VP9"],
        ),
        (VideoFacts("webm", "V_AV1"), 60, ["encoded as AV1"]),
        (VideoFacts("mp4", "avc1", frame_rate=120.0), 60, ["runs at 120 frames per second; TikTok accepts 23 to 60"]),
        (VideoFacts("mp4", "avc1", frame_rate=15.0), 60, ["runs at 15 frames per second"]),
        (VideoFacts("mp4", "avc1", frame_rate=22.97), 60, []),  # 23 within rounding
        (VideoFacts("mp4", "avc1", frame_rate=22.5), 60, ["runs at 22.50 frames per second"]),
        (
            VideoFacts("mp4", "avc1", width=320, height=240),
            60,
            ["is 320x240 pixels; TikTok accepts 360 to 4096 pixels on each side"],
        ),
        (VideoFacts("mp4", "avc1", width=4097, height=2160), 60, ["is 4097x2160 pixels"]),
        (VideoFacts("matroska", "V_VP9"), 60, ["is a Matroska file; TikTok accepts only MP4, MOV and WebM"]),
        (VideoFacts(), 60, []),  # nothing known, nothing refused: TikTok decides
        (VideoFacts("mp4", "avc1", 1.0, 1080, 1920, 30.0), 60, []),  # no invented minimum duration
        (
            VideoFacts("mp4", "mp4v", 90.0, 320, 240, 120.0),
            60,
            ["encoded as MPEG-4 Part 2", "120 frames per second", "320x240 pixels", "90.0 seconds long"],
        ),
    ],
)
def test_rules_name_the_value_and_the_rule(facts, limit, problems):
    found = media_problems(facts, limit)
    assert len(found) == len(problems)
    for sentence, expected in zip(found, problems, strict=True):
        assert expected in sentence


def test_a_refusal_joins_the_sentences_and_says_nothing_was_posted():
    with pytest.raises(InputError) as refused:
        check_media(VideoFacts("mp4", "mp4v", frame_rate=120.0), 60)
    assert str(refused.value).endswith("Nothing was posted.")
    assert "MPEG-4 Part 2" in str(refused.value) and "120 frames per second" in str(refused.value)
    check_media(VideoFacts("mp4", "avc1", 10.0, 1080, 1920, 30.0), 60)


def test_duration_check_only_refuses_a_known_overlong_video():
    check_media(VideoFacts(duration_seconds=None), 60)
    check_media(VideoFacts(duration_seconds=60.0), 60)
    check_media(VideoFacts(duration_seconds=600.0), None)
    with pytest.raises(InputError, match="61.0 seconds.*at most 60"):
        check_media(VideoFacts(duration_seconds=61.0), 60)


@pytest.mark.parametrize(
    ("facts", "limit", "why", "expected"),
    [
        (VideoFacts("mp4", "avc1", 10.0, 1080, 1920, 30.0), 60, None, []),
        (
            VideoFacts("mp4", "avc1", 10.0, 1080, 1920, 30.0),
            None,
            "the connection did not grant video.publish",
            ["not checked against the account's limit: the connection did not grant video.publish."],
        ),
        (VideoFacts("mp4", "avc1", 10.0, 1080, 1920, 30.0), None, None, ["did not say how long"]),
        (
            VideoFacts("mp4"),
            60,
            None,
            ["codec could not", "frame rate could not", "picture size could not", "duration could not"],
        ),
    ],
)
def test_unchecked_rules_say_why(facts, limit, why, expected):
    found = unchecked_rules(facts, limit, why)
    assert len(found) == len(expected)
    for sentence, part in zip(found, expected, strict=True):
        assert part in sentence


@pytest.mark.parametrize(
    ("head", "size", "expected"),
    [
        (b"\xff\xd8\xff\xe0" + bytes(60), 5_000_000, None),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", 20_000_000, None),
        (
            b"\xff\xd8\xff\xe0" + bytes(60),
            20_000_001,
            "Photo #2 (https://x/p.jpg) is 20.0 MB; TikTok accepts photos of at most 20 MB",
        ),
        (
            b"\x89PNG\r\n\x1a\n" + bytes(20),
            1000,
            "Photo #2 (https://x/p.jpg) is a PNG image; TikTok accepts only JPEG and WebP",
        ),
        (b"GIF89a" + bytes(20), 1000, "is a GIF image"),
        (b"<html>" + bytes(20), 1000, "is not a JPEG or WebP image"),
        (b"", None, None),  # unreadable: left to TikTok
        (b"\xff\xd8\xff\xe0", None, None),
    ],
)
def test_photo_rules(head, size, expected):
    problem, warning = photo_verdict(2, "https://x/p.jpg", head, size)
    assert warning is None and (problem == expected if expected is None else expected in problem)
