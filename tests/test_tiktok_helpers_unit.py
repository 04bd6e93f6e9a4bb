"""Pure functions, tested directly: chunk planning, UTF-16 limits, containers, normalisers, error translation, and
the media module's link guard and resolver, inline base64 decoding, source resolution and upload bookkeeping."""

import base64
import ipaddress
import socket
import struct

import pytest

import tiktok_transfer
from tiktok_api import (
    InputError,
    TikTokError,
    clean_detail,
    envelope_error,
    missing_user_scopes,
    normalize_status,
    normalize_video,
    post_id_string,
)
from tiktok_media import inspect_video, sniff_video_type
from tiktok_posting import check_creator_settings, check_text_limit
from tiktok_testkit import PULL_URL, VIDEO_INIT, creator, data_of, fetched, ok, urls
from tiktok_transfer import (
    MAX_CHUNK,
    MIN_CHUNK,
    PIECE_SIZE,
    BlockedAddressError,
    Chunk,
    ChunkPlan,
    InlineSource,
    LinkGuard,
    PublicOnlyResolver,
    address_problem,
    check_link,
    literal_address,
    plan_chunks,
    resolve_video_source,
    resume_index,
)

pytestmark = pytest.mark.unit

MiB = 1024 * 1024


# ---- Chunk plan (https://developers.tiktok.com/doc/content-posting-api-media-transfer-guide) ------------------------


@pytest.mark.parametrize(
    ("size", "chunk_size", "count", "last_range"),
    [
        (1, 1, 1, (0, 0)),
        (4_900_000, 4_900_000, 1, (0, 4_899_999)),
        (5 * MiB, 5 * MiB, 1, (0, 5 * MiB - 1)),
        (12_345_678, 12_345_678, 1, (0, 12_345_677)),
        (50_000_123, 50_000_123, 1, (0, 50_000_122)),
        (64_000_000, 64_000_000, 1, (0, 63_999_999)),
        (64 * MiB + 1, 10_000_000, 6, (50_000_000, 67_108_864)),
        (64_000_001, 10_000_000, 6, (50_000_000, 64_000_000)),
        (4 * 1024**3, 10_000_000, 429, (4_280_000_000, 4 * 1024**3 - 1)),
    ],
)
def test_plan_follows_tiktoks_rules(size, chunk_size, count, last_range):
    plan = plan_chunks(size)
    assert (plan.chunk_size, plan.count) == (chunk_size, count)
    ranges = plan.ranges()
    assert len(ranges) == count
    assert ranges[0][0] == 0 and ranges[-1] == last_range
    # Contiguous, every chunk within 5-64 MB except a whole-file upload, final chunk at most 128 MB.
    for (_, last), (first, _) in zip(ranges, ranges[1:]):
        assert first == last + 1
    if count > 1:
        assert all(MIN_CHUNK <= b - a + 1 <= MAX_CHUNK for a, b in ranges[:-1])
        assert ranges[-1][1] - ranges[-1][0] + 1 <= 128_000_000


def test_tiktoks_worked_example_ranges():
    """TikTok's media transfer guide: 50,000,123 bytes in five 10,000,000-byte chunks; the last range absorbs the
    123 trailing bytes."""
    plan = ChunkPlan(50_000_123, 10_000_000, 5)
    assert plan.ranges() == [
        (0, 9_999_999),
        (10_000_000, 19_999_999),
        (20_000_000, 29_999_999),
        (30_000_000, 39_999_999),
        (40_000_000, 50_000_122),
    ]
    assert plan.source_info() == {
        "source": "FILE_UPLOAD",
        "video_size": 50_000_123,
        "chunk_size": 10_000_000,
        "total_chunk_count": 5,
    }


def test_plan_refuses_empty_and_oversized_videos():
    with pytest.raises(InputError, match="empty"):
        plan_chunks(0)
    with pytest.raises(InputError, match="4 GB"):
        plan_chunks(4 * 1024**3 + 1)


def test_the_largest_video_needs_no_more_than_a_thousand_chunks_even_at_the_smallest_chunk():
    assert plan_chunks(4 * 1024**3, chunk_size=MIN_CHUNK).count <= 1000


# ---- Text limits -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "length"), [("abc", 3), ("é", 1), ("😀", 2), ("👍🏽", 4)])
def test_utf16_length_counts_astral_characters_twice(text, length):
    check_text_limit(text, length, "title")
    with pytest.raises(InputError, match=f"is {length} characters long"):
        check_text_limit(text, length - 1, "title")


def test_a_lone_surrogate_is_refused_in_plain_words():
    with pytest.raises(InputError, match="contains an invalid character"):
        check_text_limit("bad \ud83d", 2200, "title")


def test_caption_of_exactly_the_limit_is_accepted_and_one_more_unit_is_not():
    check_text_limit("a" * 2198 + "😀", 2200, "title")
    with pytest.raises(InputError, match="2201 characters.*at most 2200"):
        check_text_limit("a" * 2199 + "😀", 2200, "title")
    check_text_limit(None, 90, "photo title")


# ---- Privacy and interactions --------------------------------------------------------------------------------------


async def test_privacy_must_be_offered_and_the_message_lists_the_offer(mock_context):
    offer = creator(privacy_level_options=["PUBLIC_TO_EVERYONE", "SELF_ONLY"])
    mock_context.fetch.side_effect = [ok(offer), ok(offer)]
    await check_creator_settings(mock_context, "SELF_ONLY", False, {})
    with pytest.raises(InputError, match="FOLLOWER_OF_CREATOR.*It offers: PUBLIC_TO_EVERYONE, SELF_ONLY"):
        await check_creator_settings(mock_context, "FOLLOWER_OF_CREATOR", False, {})


async def test_branded_content_cannot_be_private(mock_context):
    mock_context.fetch.side_effect = [ok(creator()), ok(creator())]
    await check_creator_settings(mock_context, "PUBLIC_TO_EVERYONE", True, {})
    await check_creator_settings(mock_context, "SELF_ONLY", False, {})
    with pytest.raises(InputError, match="SELF_ONLY"):
        await check_creator_settings(mock_context, "SELF_ONLY", True, {})
    assert len(fetched(mock_context)) == 2  # refused before the creator info request


async def test_interactions_the_creator_disabled_are_forced_off_and_reported(mock_context):
    requested = {"disable_comment": False, "disable_duet": False, "disable_stitch": True}
    mock_context.fetch.side_effect = [ok(creator(comment_disabled=True, duet_disabled=False, stitch_disabled=True))]
    _, sent, forced = await check_creator_settings(mock_context, "SELF_ONLY", False, requested)
    assert sent == {"disable_comment": True, "disable_duet": False, "disable_stitch": True}
    assert forced == ["allow_comments"]


async def test_post_info_always_carries_both_brand_toggles(integration, mock_context):
    mock_context.fetch.side_effect = [ok(creator()), ok({"publish_id": "v_pub_url~v2.1"})] * 2
    inputs = {"video_url": PULL_URL, "pull_from_url": True, "privacy_level": "SELF_ONLY"}
    data_of(await integration.execute_action("create_video_post", inputs, mock_context))
    assert fetched(mock_context)[1].kwargs["json"]["post_info"] == {
        "privacy_level": "SELF_ONLY",
        "disable_comment": True,
        "disable_duet": True,
        "disable_stitch": True,
        "brand_content_toggle": False,
        "brand_organic_toggle": False,
    }
    full = {**inputs, "privacy_level": "PUBLIC_TO_EVERYONE", "caption": "Hi #fyp", "cover_frame_seconds": 1.5}
    full.update(brand_content_toggle=True, brand_organic_toggle=True, is_aigc=True)
    data_of(await integration.execute_action("create_video_post", full, mock_context))
    assert urls(mock_context)[3] == VIDEO_INIT
    info = fetched(mock_context)[3].kwargs["json"]["post_info"]
    assert info["title"] == "Hi #fyp" and info["video_cover_timestamp_ms"] == 1500 and info["is_aigc"] is True
    assert info["brand_content_toggle"] is True and info["brand_organic_toggle"] is True


# ---- Containers ----------------------------------------------------------------------------------------------------


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I4s", 8 + len(payload), kind) + payload


def _mvhd(version: int, timescale: int, duration: int) -> bytes:
    if version == 1:
        body = b"\x01\x00\x00\x00" + bytes(16) + struct.pack(">IQ", timescale, duration) + bytes(80)
    else:
        body = bytes(4) + bytes(8) + struct.pack(">II", timescale, duration) + bytes(80)
    return _box(b"mvhd", body)


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (_box(b"ftyp", b"isom\x00\x00\x02\x00"), "video/mp4"),
        (_box(b"ftyp", b"qt  \x00\x00\x02\x00"), "video/quicktime"),
        (_box(b"moov", bytes(8)), "video/quicktime"),
        (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm", "video/webm"),
        (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x88matroska", None),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", None),
        (_box(b"ftyp", b"heic\x00\x00\x00\x00mif1heic"), None),  # an iPhone photo is ISO-based, not a video
        (_box(b"ftyp", b"mif1\x00\x00\x00\x00"), None),
        (_box(b"ftyp", b"avif\x00\x00\x00\x00"), None),
        (_box(b"ftyp", b"M4A \x00\x00\x00\x00"), None),  # audio
        (_box(b"ftyp", b"mp42\x00\x00\x00\x00"), "video/mp4"),
        (b"GIF89a", None),
        (b"", None),
    ],
)
def test_sniff_reads_the_signature(head, expected):
    assert sniff_video_type(head) == expected


@pytest.mark.parametrize("version", [0, 1])
def test_duration_comes_from_mvhd(version):
    data = _box(b"ftyp", b"isom" + bytes(4)) + _box(b"moov", _mvhd(version, 600, 600 * 95)) + _box(b"mdat", bytes(50))
    assert inspect_video(lambda o, n: data[o : o + n], len(data)).duration_seconds == pytest.approx(95.0)


def test_duration_after_mdat_is_found_when_the_bytes_are_at_hand_and_unknown_otherwise():
    data = _box(b"ftyp", b"isom" + bytes(4)) + _box(b"mdat", bytes(5000)) + _box(b"moov", _mvhd(0, 1000, 12_000))
    assert inspect_video(lambda o, n: data[o : o + n], len(data)).duration_seconds == pytest.approx(12.0)
    first_part = data[:1000]
    assert inspect_video(lambda o, n: first_part[o : o + n], len(data)).duration_seconds is None


_FTYP = _box(b"ftyp", b"isom" + bytes(4))


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (_FTYP + struct.pack(">I4sQ", 1, b"mdat", 116) + bytes(100) + _box(b"moov", _mvhd(0, 1000, 5000)), 5.0),
        (_FTYP + struct.pack(">I4s", 0, b"moov") + _mvhd(0, 1000, 3000), 3.0),  # size 0: the box runs to the end
        (_FTYP + struct.pack(">I4s", 1, b"mdat"), None),  # a 64-bit size cut short
        (_FTYP + struct.pack(">I4s", 4, b"free") + bytes(50), None),  # a box smaller than its own header
        (_FTYP + _box(b"moov", _box(b"mvhd", bytes(10))), None),  # an mvhd too short to hold a duration
        (_FTYP + _box(b"moov", _mvhd(0, 0, 3000)), None),  # timescale 0
        (_FTYP + _box(b"moov", struct.pack(">I4s", 4, b"trak") + bytes(20)), None),  # a broken box inside moov
        (_FTYP + _box(b"mdat", bytes(20)), None),  # no moov at all
    ],
    ids=[
        "64-bit-mdat",
        "size-0-moov",
        "64-bit-cut",
        "box-too-small",
        "mvhd-too-short",
        "timescale-0",
        "bad-inner",
        "no-moov",
    ],
)
def test_duration_survives_every_box_layout(data, expected):
    duration = inspect_video(lambda o, n: data[o : o + n], len(data)).duration_seconds
    assert duration == (pytest.approx(expected) if expected is not None else None)


def test_a_chunk_size_outside_tiktoks_range_is_a_programming_error():
    with pytest.raises(ValueError, match="outside TikTok's 5-64 MB range"):
        plan_chunks(100_000_000, chunk_size=MIN_CHUNK - 1)
    with pytest.raises(ValueError, match="outside TikTok's 5-64 MB range"):
        plan_chunks(100_000_000, chunk_size=MAX_CHUNK + 1)


# ---- Normalising ---------------------------------------------------------------------------------------------------


def test_post_ids_stay_exact_text():
    assert post_id_string(7_261_463_769_757_501_445) == "7261463769757501445"
    assert post_id_string("7261463769757501445") == "7261463769757501445"
    assert post_id_string(True) is None and post_id_string(1.5) is None


def test_status_is_normalised_with_tiktoks_spelling_and_exact_ids():
    data = {"status": "PUBLISH_COMPLETE", "publicaly_available_post_id": [7261463769757501445], "uploaded_bytes": 5}
    out = normalize_status(data)
    assert out["publicaly_available_post_id"] == ["7261463769757501445"]
    assert out["is_final"] is True and out["waiting_on_user"] is False and out["uploaded_bytes"] == 5
    inbox = normalize_status({"status": "SEND_TO_USER_INBOX"})
    assert inbox["waiting_on_user"] is True and inbox["is_final"] is False and inbox["downloaded_bytes"] is None
    failed = normalize_status({"status": "FAILED", "fail_reason": "frame_rate_check_failed"})
    assert failed["fail_reason"] == "frame_rate_check_failed" and "23 to 60" in failed["explanation"]


def test_engagement_rate_and_zero_views():
    video = {"id": 7077642457847991554, "like_count": 30, "comment_count": 5, "share_count": 5, "view_count": 1000}
    out = normalize_video(video)
    assert out["id"] == "7077642457847991554" and out["engagement_rate"] == 4.0
    assert normalize_video({"id": "1", "view_count": 0, "like_count": 3})["engagement_rate"] == 0.0


def test_missing_scopes_are_named_when_their_fields_are_absent():
    user = {"open_id": "o", "display_name": "D", "username": "u"}
    scopes = ["user.info.basic", "user.info.profile", "user.info.stats"]
    assert missing_user_scopes(user, scopes) == ["user.info.stats"]
    assert missing_user_scopes(user, ["user.info.basic"]) == ["user.info.profile", "user.info.stats"]


# ---- Errors --------------------------------------------------------------------------------------------------------


def test_envelope_reads_log_id_and_the_tables_logid_spelling():
    assert envelope_error({"error": {"code": "ok", "message": "", "log_id": "L1"}}) == ("ok", "", "L1")
    assert envelope_error({"error": {"code": "x", "message": "m", "logid": "L2"}}) == ("x", "m", "L2")
    assert envelope_error("<html>") == (None, "", None)


def test_both_invalid_param_spellings_get_the_same_advice():
    singular = TikTokError("invalid_param", "The chunk size is invalid", "LOG1")
    plural = TikTokError("invalid_params", "The chunk size is invalid", "LOG1")
    assert str(singular).replace("invalid_param:", "invalid_params:") == str(plural)
    assert str(plural) == (
        "TikTok error invalid_params: TikTok rejected a value in the request. TikTok says: The chunk size is "
        "invalid. Check the inputs against the action's limits. (TikTok log_id: LOG1)"
    )


def test_error_details_never_carry_tokens_or_dumps():
    assert "act.secret" not in clean_detail("bad token act.secret123 sent")
    assert "Bearer" not in clean_detail("header Bearer abc.def")
    assert len(clean_detail("x" * 5000)) == 300
    assert clean_detail({"raw": "dict"}) == ""
    message = str(TikTokError(None, "", None, 502))
    assert message.startswith("TikTok answered with an error (HTTP 502) and no details")


# ==== The media module ======================================================================================

MP4_HEAD = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2"


# ---- Link guard -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://cdn.example.com/v.mp4", "https://"),
        ("ftp://cdn.example.com/v.mp4", "https://"),
        ("https://user:pw@cdn.example.com/v.mp4", "user name or password"),
        ("https://token@cdn.example.com/v.mp4", "user name or password"),
        ("https://127.0.0.1/v.mp4", "loopback"),
        ("https://2130706433/v.mp4", "loopback"),
        ("https://127.0.0.1./v.mp4", "loopback"),
        ("https://0x7f.1/v.mp4", "loopback"),
        ("https://017700000001/v.mp4", "loopback"),
        ("https://[::1]/v.mp4", "loopback"),
        ("https://[::ffff:127.0.0.1]/v.mp4", "loopback"),
        ("https://[::ffff:10.0.0.5]/v.mp4", "private"),
        ("https://10.1.2.3/v.mp4", "private"),
        ("https://172.16.0.1/v.mp4", "private"),
        ("https://192.168.1.10/v.mp4", "private"),
        ("https://[fd00::1]/v.mp4", "private"),
        ("https://169.254.169.254/latest/meta-data", "link-local"),
        ("https://[fe80::1]/v.mp4", "link-local"),
        ("https://224.0.0.1/v.mp4", "multicast"),
        ("https://[ff02::1]/v.mp4", "multicast"),
        ("https://240.0.0.1/v.mp4", "reserved"),
        ("https://0.0.0.0/v.mp4", "unspecified"),
        ("https://[::]/v.mp4", "unspecified"),
        ("https://100.64.0.1/v.mp4", "non-public"),
        ("https://[2002:7f00:1::]/v.mp4", "loopback"),
        ("https:///v.mp4", "no host"),
    ],
)
def test_links_that_are_not_plain_public_https_are_refused(url, reason):
    with pytest.raises(InputError, match=reason):
        check_link(url)


@pytest.mark.parametrize("url", ["https://cdn.example.com/v.mp4?sig=abc", "https://93.184.216.34/v.mp4"])
def test_public_https_links_pass(url):
    assert str(check_link(url)) == url


def test_literal_addresses_in_odd_spellings_are_recognised():
    assert literal_address("2130706433") == ipaddress.ip_address("127.0.0.1")
    assert literal_address("0x7f.0.0.1") == ipaddress.ip_address("127.0.0.1")
    assert literal_address("[::1]") == ipaddress.ip_address("::1")
    assert literal_address("cdn.example.com") is None
    assert address_problem(ipaddress.ip_address("8.8.8.8")) is None


class _FixedResolver:
    def __init__(self, *addresses):
        self.addresses = addresses
        self.closed = False

    async def resolve(self, host, port=0, family=socket.AF_INET):
        return [
            {"hostname": host, "host": a, "port": port, "family": family, "proto": 0, "flags": 0}
            for a in self.addresses
        ]

    async def close(self):
        self.closed = True


@pytest.mark.parametrize(
    "answers",
    [("127.0.0.1",), ("93.184.216.34", "10.0.0.7"), ("::ffff:192.168.0.1",), ("fe80::1%eth0",), ("169.254.169.254",)],
)
async def test_resolver_refuses_a_name_with_any_non_public_answer(answers):
    resolver = PublicOnlyResolver()
    resolver._inner = _FixedResolver(*answers)
    with pytest.raises(BlockedAddressError, match="video.example.com resolves to"):
        await resolver.resolve("video.example.com", 443)


async def test_resolver_passes_public_answers_through_and_closes_its_inner_resolver():
    resolver = PublicOnlyResolver()
    inner = resolver._inner = _FixedResolver("93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946")
    answers = await resolver.resolve("video.example.com", 443)
    assert [a["host"] for a in answers] == ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"]
    await resolver.close()
    assert inner.closed


async def test_the_download_session_resolves_through_the_guard():
    session = tiktok_transfer.new_download_session()
    try:
        assert isinstance(session.connector._resolver, PublicOnlyResolver)
        assert "Authorization" not in session.headers
        assert session.trust_env is False
    finally:
        await session.close()


@pytest.mark.parametrize(
    "url",
    [
        "http://open-upload.tiktokapis.com/video/?upload_id=1",
        "https://open-upload.tiktokapis.com.evil.example/video/",
        "https://eviltiktokapis.com/video/",
        "https://example.com/video/?host=open-upload.tiktokapis.com",
        None,
        "",
    ],
)
def test_video_bytes_only_go_to_tiktoks_upload_hosts(url):
    with pytest.raises(Exception, match="usable TikTok upload address"):
        LinkGuard().check_upload_url(url)


@pytest.mark.parametrize(
    "url",
    ["https://open-upload.tiktokapis.com/video/?upload_id=1&upload_token=t", "https://upload.us.tiktokapis.com/v/"],
)
def test_tiktok_upload_urls_are_used_verbatim(url):
    assert LinkGuard().check_upload_url(url) == url


# ---- Inline base64 ---------------------------------------------------------------------------------------------------


def _inline(data: bytes, prefix: str = "") -> InlineSource:
    return InlineSource(prefix + base64.b64encode(data).decode())


@pytest.mark.parametrize("size", [1, 2, 3, 4, 5, 100, PIECE_SIZE * 2 + 7])
async def test_inline_pieces_rebuild_the_exact_bytes_for_any_chunk_boundary(size):
    data = (bytes((i * 7 + 3) % 251 for i in range(251)) * (size // 251 + 1))[:size]
    source = _inline(data)
    assert source.size == size
    for first, last in [(0, size - 1), (size // 3, size - 1), (1 if size > 1 else 0, max(0, size // 2))]:
        chunk = await source.load(first, last)
        pieces = [bytes(p) async for p in chunk.pieces()]
        assert b"".join(pieces) == data[first : last + 1]
        assert all(len(p) <= PIECE_SIZE for p in pieces)
        # A resent chunk starts again from its first byte.
        assert b"".join([bytes(p) async for p in chunk.pieces()]) == data[first : last + 1]


def test_inline_accepts_a_data_url_prefix():
    source = _inline(MP4_HEAD, "data:video/mp4;base64,")
    assert source.size == len(MP4_HEAD) and source.read_at(0, 8) == MP4_HEAD[:8]


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("not base64!", "not valid base64"),
        ("QUJD\nREVG", "not valid base64"),
        ("QUJDRA=", "not valid base64"),
        ("QU=JD", "not valid base64"),
        ("data:video/mp4,AAAA", "without base64"),
        ("data:video/mp4;base64,", "empty"),
    ],
)
def test_inline_refuses_bad_base64(content, reason):
    with pytest.raises(InputError, match=reason):
        InlineSource(content)


# ---- One source from the inputs -------------------------------------------------------------------------------------


def _file(data=MP4_HEAD + bytes(100), **extra):
    return {"name": "clip.mp4", "contentType": "video/mp4", "content": base64.b64encode(data).decode(), **extra}


def test_inline_file_is_sniffed_from_its_own_signature():
    spec = resolve_video_source({**_file(), "contentType": "image/png"}, None, None, False)
    assert spec.kind == "inline" and spec.inline.content_type == "video/mp4"
    webm = b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm" + bytes(40)
    assert resolve_video_source(None, [_file(webm)], None, False).inline.content_type == "video/webm"


@pytest.mark.parametrize(
    ("file_obj", "files", "video_url", "pull", "reason"),
    [
        (None, None, None, False, "exactly one video source.*none"),
        (_file(), None, "https://cdn.example.com/v.mp4", False, "file and video_url"),
        (_file(), [_file()], None, False, "file and files"),
        ({}, None, None, False, "no content"),
        (_file(), None, None, True, "pull_from_url works only with video_url"),
        ({"name": "x.mp4"}, None, None, False, "no content"),
        ({"name": "x.mp4", "content": ""}, None, None, False, "no content"),
        (_file(url="https://cdn.example.com/v.mp4"), None, None, False, "both content and url"),
        (_file(b"\x89PNG\r\n\x1a\n" + bytes(64)), None, None, False, "not an MP4, MOV or WebM"),
        (
            {"name": "x.mp4", "url": "http://cdn.example.com/v.mp4"},
            None,
            None,
            False,
            "file link must start with https",
        ),
        (None, None, "https://192.168.0.10/v.mp4", False, "private"),
        (None, None, "https://192.168.0.10/v.mp4", True, "private"),
    ],
)
def test_bad_sources_are_refused_before_any_request(file_obj, files, video_url, pull, reason):
    with pytest.raises(InputError, match=reason):
        resolve_video_source(file_obj, files, video_url, pull)


def test_the_first_of_several_files_is_the_video():
    first, second = MP4_HEAD + b"first" + bytes(60), MP4_HEAD + b"second" + bytes(60)
    spec = resolve_video_source(None, [_file(first), _file(second)], None, False)
    assert spec.inline.read_at(0, len(first)) == first


def test_links_become_link_or_pull_sources():
    assert resolve_video_source(None, None, "https://cdn.example.com/v.mp4", False).kind == "link"
    assert resolve_video_source({"name": "v", "url": "https://cdn.example.com/v.mp4"}, None, None, False).kind == "link"
    pull = resolve_video_source(None, None, "https://media.example.com/v.mp4", True)
    assert (pull.kind, pull.url) == ("pull", "https://media.example.com/v.mp4")


# ---- Upload bookkeeping ----------------------------------------------------------------------------------------------

SPANS = [(0, 9_999_999), (10_000_000, 19_999_999), (20_000_000, 30_000_122)]


@pytest.mark.parametrize(
    ("progress", "expected"),
    [
        (None, 0),  # TikTok holds nothing
        (9_999_999, 1),  # last byte held
        (10_000_000, 1),  # byte count held: the other reading of the transfer guide
        (19_999_999, 2),
        (30_000_122, 3),  # everything held
        (30_000_123, 3),
        (12_345, None),  # not a chunk boundary under either reading
    ],
)
def test_resume_index_accepts_both_readings_of_tiktoks_progress(progress, expected):
    assert resume_index(progress, SPANS, 30_000_123) == expected


def test_a_chunk_knows_its_length():
    assert Chunk(10, 19, lambda: iter(())).length == 10
