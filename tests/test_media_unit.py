"""Media handling tested directly: the link guard and its resolver, inline base64 decoding, source resolution."""

import base64
import ipaddress
import socket

import pytest

import tiktok_media
from tiktok_helpers import InputError
from tiktok_media import (
    PIECE_SIZE,
    BlockedAddressError,
    Chunk,
    ChunkPayload,
    InlineSource,
    PublicOnlyResolver,
    address_problem,
    check_link,
    check_upload_url,
    literal_address,
    resolve_video_source,
    resume_index,
)

pytestmark = pytest.mark.unit

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
    session = tiktok_media.new_download_session()
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
        check_upload_url(url)


@pytest.mark.parametrize(
    "url",
    ["https://open-upload.tiktokapis.com/video/?upload_id=1&upload_token=t", "https://upload.us.tiktokapis.com/v/"],
)
def test_tiktok_upload_urls_are_used_verbatim(url):
    assert check_upload_url(url) == url


# ---- Inline base64 ---------------------------------------------------------------------------------------------------


def _inline(data: bytes, prefix: str = "") -> InlineSource:
    return InlineSource.from_text(prefix + base64.b64encode(data).decode())


@pytest.mark.parametrize("size", [1, 2, 3, 4, 5, 100, PIECE_SIZE * 2 + 7])
async def test_inline_pieces_rebuild_the_exact_bytes_for_any_chunk_boundary(size):
    data = bytes((i * 7 + 3) % 251 for i in range(size))
    source = _inline(data)
    assert source.size == size
    for first, last in [(0, size - 1), (size // 3, size - 1), (1 if size > 1 else 0, max(0, size // 2))]:
        chunk = await source.load(first, last)
        pieces = [bytes(p) for p in chunk.pieces()]
        assert b"".join(pieces) == data[first : last + 1]
        assert all(len(p) <= PIECE_SIZE for p in pieces)
        # A resent chunk starts again from its first byte.
        assert b"".join(bytes(p) for p in chunk.pieces()) == data[first : last + 1]


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
        InlineSource.from_text(content)


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
        (10_000_000, 1),  # byte count held: the other reading of §9.4
        (19_999_999, 2),
        (30_000_122, 3),  # everything held
        (30_000_123, 3),
        (12_345, None),  # not a chunk boundary under either reading
    ],
)
def test_resume_index_accepts_both_readings_of_tiktoks_progress(progress, expected):
    assert resume_index(progress, SPANS, 30_000_123) == expected


class _Writer:
    def __init__(self):
        self.data = bytearray()

    async def write(self, piece):
        self.data += piece


async def test_a_chunk_payload_writes_the_whole_chunk_every_time_it_is_sent():
    # aiohttp may write the same body twice (a resend on a fresh connection): each write starts at byte one.
    data = bytes(range(256)) * 4000
    source = InlineSource.from_text(base64.b64encode(data).decode())
    chunk = await source.load(100, 900_099)
    payload = ChunkPayload(chunk, "video/mp4")
    assert payload.size == 900_000 and payload.content_type == "video/mp4"
    for _attempt in range(2):
        writer = _Writer()
        await payload.write(writer)
        assert bytes(writer.data) == data[100:900_100]


def test_a_chunk_knows_its_length():
    assert Chunk(10, 19, lambda: iter(())).length == 10
