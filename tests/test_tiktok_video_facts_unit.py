"""The video inspector and TikTok's media rules, tested directly on media built byte by byte here."""

import struct
import time

import pytest

from tiktok_helpers import InputError
from tiktok_video import (
    VideoFacts,
    check_duration,
    check_media,
    inspect_video,
    media_problems,
    photo_problem,
    top_level_boxes,
    unchecked_rules,
)

pytestmark = pytest.mark.unit


# ---- Builders: MP4/MOV -------------------------------------------------------------------------------------------


def box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I4s", 8 + len(payload), kind) + payload


def full_box(kind: bytes, version: int, payload: bytes) -> bytes:
    return box(kind, bytes([version, 0, 0, 0]) + payload)


def mvhd(timescale: int, duration: int, version: int = 0) -> bytes:
    if version == 1:
        times = struct.pack(">QQIQ", 0, 0, timescale, duration)
    else:
        times = struct.pack(">IIII", 0, 0, timescale, duration)
    matrix = struct.pack(">9I", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)
    rest = struct.pack(">IH10x", 0x10000, 0x100) + matrix + bytes(24) + struct.pack(">I", 3)
    return full_box(b"mvhd", version, times + rest)


def tkhd(width: int, height: int, version: int = 0) -> bytes:
    if version == 1:
        times = struct.pack(">QQII", 0, 0, 1, 0) + struct.pack(">Q", 0)
    else:
        times = struct.pack(">IIIII", 0, 0, 1, 0, 0)
    matrix = struct.pack(">9I", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)
    rest = bytes(8) + struct.pack(">hhhH", 0, 0, 0, 0) + matrix + struct.pack(">II", width << 16, height << 16)
    return box(b"tkhd", bytes([version, 0, 0, 7]) + times + rest)


def mdhd(timescale: int, duration: int) -> bytes:
    return full_box(b"mdhd", 0, struct.pack(">IIIIHH", 0, 0, timescale, duration, 0x55C4, 0))


def hdlr(handler: bytes) -> bytes:
    return full_box(b"hdlr", 0, struct.pack(">I4s12x", 0, handler) + b"track\x00")


def visual_entry(fourcc: bytes, width: int, height: int) -> bytes:
    body = bytes(6) + struct.pack(">H", 1) + bytes(16) + struct.pack(">HH", width, height)
    body += struct.pack(">IIIH", 0x480000, 0x480000, 0, 1) + bytes(32) + struct.pack(">Hh", 0x18, -1)
    return box(fourcc, body)


def stts(entries) -> bytes:
    return full_box(b"stts", 0, struct.pack(">I", len(entries)) + b"".join(struct.pack(">II", *e) for e in entries))


def video_trak(fourcc=b"avc1", width=1080, height=1920, fps=30, seconds=10, tkhd_size=True, stts_entries=None):
    timescale = fps * 1000
    frames = fps * seconds
    entries = stts_entries if stts_entries is not None else [(frames, 1000)]
    stbl = box(
        b"stbl",
        full_box(b"stsd", 0, struct.pack(">I", 1) + visual_entry(fourcc, width, height))
        + stts(entries)
        + full_box(b"stsz", 0, struct.pack(">II", 0, 0))
        + full_box(b"stsc", 0, struct.pack(">I", 0))
        + full_box(b"stco", 0, struct.pack(">I", 0)),
    )
    minf = box(b"minf", full_box(b"vmhd", 0, bytes(8)) + stbl)
    mdia = box(b"mdia", mdhd(timescale, frames * 1000) + hdlr(b"vide") + minf)
    return box(b"trak", (tkhd(width, height) if tkhd_size else tkhd(0, 0)) + mdia)


def sound_trak() -> bytes:
    stbl = box(b"stbl", full_box(b"stsd", 0, struct.pack(">I", 1) + box(b"mp4a", bytes(28))) + stts([(430, 1024)]))
    return box(b"trak", tkhd(0, 0) + box(b"mdia", mdhd(44100, 440320) + hdlr(b"soun") + box(b"minf", stbl)))


def mp4(
    *,
    seconds=10.0,
    fourcc=b"avc1",
    width=1080,
    height=1920,
    fps=30,
    moov_last=False,
    brand=b"isom",
    mdat_size=1000,
    audio_first=True,
    mvhd_version=0,
    **trak,
) -> bytes:
    ftyp = box(b"ftyp", brand + struct.pack(">I", 0x200) + brand + b"iso2mp41")
    traks = video_trak(fourcc, width, height, fps, max(1, int(seconds)), **trak)
    if audio_first:
        traks = sound_trak() + traks
    moov = box(b"moov", mvhd(1000, int(seconds * 1000), mvhd_version) + traks)
    mdat = box(b"mdat", bytes(mdat_size))
    return ftyp + (mdat + moov if moov_last else moov + mdat)


# ---- Builders: WebM/Matroska ---------------------------------------------------------------------------------------


def vint_size(n: int) -> bytes:
    return (n | (1 << 56)).to_bytes(8, "big")  # 8-byte size: 0x01 marker then 7 bytes


def el(element_id: int, payload: bytes, unknown_size: bool = False) -> bytes:
    head = element_id.to_bytes((element_id.bit_length() + 7) // 8, "big")
    return head + (b"\x01\xff\xff\xff\xff\xff\xff\xff" if unknown_size else vint_size(len(payload))) + payload


def uint(element_id: int, value: int) -> bytes:
    return el(element_id, value.to_bytes(max(1, (value.bit_length() + 7) // 8), "big"))


def webm(
    *,
    seconds=10.0,
    codec=b"V_VP9",
    width=1280,
    height=720,
    fps=30,
    doctype=b"webm",
    scale=1_000_000,
    unknown_segment=False,
    float32=False,
) -> bytes:
    header = el(0x1A45DFA3, uint(0x4286, 1) + uint(0x42F7, 1) + el(0x4282, doctype) + uint(0x4287, 4))
    duration = struct.pack(">f", seconds * 1e9 / scale) if float32 else struct.pack(">d", seconds * 1e9 / scale)
    info = el(0x1549A966, uint(0x2AD7B1, scale) + el(0x4489, duration) + el(0x4D80, b"test"))
    video = el(0xE0, uint(0xB0, width) + uint(0xBA, height))
    entry = uint(0xD7, 1) + uint(0x83, 1) + el(0x86, codec) + video
    if fps:
        entry += uint(0x23E383, round(1e9 / fps))
    audio = el(0xAE, uint(0xD7, 2) + uint(0x83, 2) + el(0x86, b"A_OPUS"))
    tracks = el(0x1654AE6B, audio + el(0xAE, entry))
    cluster = el(0x1F43B675, uint(0xE7, 0) + el(0xA3, bytes(200)))
    return header + el(0x18538067, info + tracks + cluster, unknown_size=unknown_segment)


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
     ("av01", "av01"), ("V_AV1", "V_AV1"), (None, None)],
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


def test_a_file_cut_short_is_answered_with_what_is_at_hand():
    data = mp4(moov_last=True, mdat_size=5000)
    assert inspect_video(_cut(data, 3000), len(data)) == VideoFacts("mp4")
    assert inspect_video(_cut(data, len(data)), len(data)).duration_seconds == pytest.approx(10.0)


def test_reads_that_raise_give_unknown_facts():
    def broken(offset, length):
        raise OSError("gone")

    assert inspect_video(broken, 100) == VideoFacts()


@pytest.mark.parametrize(
    "flood",
    [
        box(b"ftyp", b"isom" + bytes(4)) + b"\x00\x00\x00\x08free" * (50 * 2**20 // 8),
        box(b"ftyp", b"isom" + bytes(4))
        + struct.pack(">I4s", 8 + 50 * 2**20, b"moov")
        + b"\x00\x00\x00\x08free" * (50 * 2**20 // 8),
        webm()[:60] + b"\xec\x80" * (25 * 2**20),  # 25 million empty Void elements
    ],
    ids=["top-level boxes", "boxes inside moov", "ebml voids"],
)
def test_a_box_flood_is_answered_within_milliseconds(flood):
    reads = []

    def read_at(offset, length):
        reads.append(length)
        return flood[offset : offset + length]

    started = time.perf_counter()
    facts = inspect_video(read_at, len(flood))
    elapsed = time.perf_counter() - started
    assert facts.duration_seconds is None
    assert elapsed < 0.05
    assert len(reads) <= 4200 and sum(reads) <= 4 * 2**20


def test_top_level_boxes_say_where_the_walk_ran_out_of_bytes():
    data = mp4(moov_last=True, mdat_size=5000)
    boxes, stopped = top_level_boxes(_cut(data, 1000), len(data))
    assert [kind for kind, _offset, _size in boxes] == [b"ftyp", b"mdat"]
    assert stopped == 28 + 5008
    assert top_level_boxes(_cut(data, len(data)), len(data)) == (
        [(b"ftyp", 0, 28), (b"mdat", 28, 5008), (b"moov", 5036, len(data) - 5036)],
        None,
    )


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
            ["encoded as av01; TikTok accepts H.264, H.265, VP8 or VP9"],
        ),
        (VideoFacts("webm", "V_AV1"), 60, ["encoded as V_AV1"]),
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
            ["encoded as mp4v", "120 frames per second", "320x240 pixels", "90.0 seconds long"],
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
    assert "mp4v" in str(refused.value) and "120 frames per second" in str(refused.value)
    check_media(VideoFacts("mp4", "avc1", 10.0, 1080, 1920, 30.0), 60)


def test_duration_check_only_refuses_a_known_overlong_video():
    check_duration(None, 60)
    check_duration(60.0, 60)
    check_duration(600.0, None)
    with pytest.raises(InputError, match="61.0 seconds.*at most 60"):
        check_duration(61.0, 60)


@pytest.mark.parametrize(
    ("facts", "limit", "known", "expected"),
    [
        (VideoFacts("mp4", "avc1", 10.0, 1080, 1920, 30.0), 60, True, []),
        (VideoFacts("mp4", "avc1", 10.0, 1080, 1920, 30.0), None, False, ["did not grant video.publish"]),
        (VideoFacts("mp4", "avc1", 10.0, 1080, 1920, 30.0), None, True, ["did not say how long"]),
        (
            VideoFacts("mp4"),
            60,
            True,
            ["codec could not", "frame rate could not", "picture size could not", "duration could not"],
        ),
    ],
)
def test_unchecked_rules_say_why(facts, limit, known, expected):
    found = unchecked_rules(facts, limit, known)
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
    problem = photo_problem(2, "https://x/p.jpg", head, size)
    assert problem == expected if expected is None else expected in problem
