"""Pure helpers, tested directly: chunk planning, UTF-16 limits, containers, normalisers, error translation."""

import struct

import pytest

from tiktok_helpers import (
    MAX_CHUNK,
    MIN_CHUNK,
    ChunkPlan,
    InputError,
    TikTokError,
    check_branded_privacy,
    check_privacy_offered,
    check_text_limit,
    clean_detail,
    envelope_error,
    forced_interactions,
    missing_user_scopes,
    normalize_status,
    normalize_video,
    plan_chunks,
    post_id_string,
    utf16_length,
    video_post_info,
)
from tiktok_video import check_duration, mp4_duration_seconds, sniff_video_type

pytestmark = pytest.mark.unit

MiB = 1024 * 1024


# ---- Chunk plan (§9.2) -------------------------------------------------------------------------------------------


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
    """§9.3: 50,000,123 bytes in five 10,000,000-byte chunks; the last range absorbs the 123 trailing bytes."""
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


def test_utf16_length_counts_astral_characters_twice():
    assert utf16_length("abc") == 3
    assert utf16_length("é") == 1
    assert utf16_length("😀") == 2
    assert utf16_length("👍🏽") == 4


def test_a_lone_surrogate_is_refused_in_plain_words():
    with pytest.raises(InputError, match="contains an invalid character"):
        check_text_limit("bad \ud83d", 2200, "title")


def test_caption_of_exactly_the_limit_is_accepted_and_one_more_unit_is_not():
    check_text_limit("a" * 2198 + "😀", 2200, "title")
    with pytest.raises(InputError, match="2201 characters.*at most 2200"):
        check_text_limit("a" * 2199 + "😀", 2200, "title")
    check_text_limit(None, 90, "photo title")


# ---- Privacy and interactions --------------------------------------------------------------------------------------


def test_privacy_must_be_offered_and_the_message_lists_the_offer():
    check_privacy_offered("SELF_ONLY", ["PUBLIC_TO_EVERYONE", "SELF_ONLY"])
    with pytest.raises(InputError, match="FOLLOWER_OF_CREATOR.*It offers: PUBLIC_TO_EVERYONE, SELF_ONLY"):
        check_privacy_offered("FOLLOWER_OF_CREATOR", ["PUBLIC_TO_EVERYONE", "SELF_ONLY"])


def test_branded_content_cannot_be_private():
    check_branded_privacy("PUBLIC_TO_EVERYONE", True)
    check_branded_privacy("SELF_ONLY", False)
    with pytest.raises(InputError, match="SELF_ONLY"):
        check_branded_privacy("SELF_ONLY", True)


def test_interactions_the_creator_disabled_are_forced_off_and_reported():
    requested = {"disable_comment": False, "disable_duet": False, "disable_stitch": True}
    creator = {"comment_disabled": True, "duet_disabled": False, "stitch_disabled": True}
    sent, forced = forced_interactions(requested, creator)
    assert sent == {"disable_comment": True, "disable_duet": False, "disable_stitch": True}
    assert forced == ["disable_comment"]


def test_post_info_always_carries_both_brand_toggles():
    info = video_post_info("SELF_ONLY", {"disable_comment": True}, None, None, False, False, False)
    assert info == {
        "privacy_level": "SELF_ONLY",
        "disable_comment": True,
        "brand_content_toggle": False,
        "brand_organic_toggle": False,
    }
    full = video_post_info("PUBLIC_TO_EVERYONE", {}, "Hi #fyp", 1500, True, True, True)
    assert full["title"] == "Hi #fyp" and full["video_cover_timestamp_ms"] == 1500 and full["is_aigc"] is True


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
    assert mp4_duration_seconds(lambda o, n: data[o : o + n], len(data)) == pytest.approx(95.0)


def test_duration_after_mdat_is_found_when_the_bytes_are_at_hand_and_unknown_otherwise():
    data = _box(b"ftyp", b"isom" + bytes(4)) + _box(b"mdat", bytes(5000)) + _box(b"moov", _mvhd(0, 1000, 12_000))
    assert mp4_duration_seconds(lambda o, n: data[o : o + n], len(data)) == pytest.approx(12.0)
    first_part = data[:1000]
    assert mp4_duration_seconds(lambda o, n: first_part[o : o + n], len(data)) is None


def test_duration_check_only_refuses_a_known_overlong_video():
    check_duration(None, 60)
    check_duration(60.0, 60)
    check_duration(600.0, None)
    with pytest.raises(InputError, match="61.0 seconds.*at most 60"):
        check_duration(61.0, 60)


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
