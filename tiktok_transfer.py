"""Moving a video to TikTok: where the bytes come from, how links are fetched safely, and the chunked upload.

Nothing here sees the user's TikTok token: downloads and uploads use their own aiohttp sessions, and TikTok's
upload_url carries its own upload token (https://developers.tiktok.com/doc/content-posting-api-media-transfer-guide).
"""

import asyncio
import binascii
import contextvars
import ipaddress
import logging
import re
import socket
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from contextlib import aclosing, suppress
from dataclasses import dataclass, field
from itertools import pairwise

import aiohttp
from aiohttp.abc import AbstractResolver
from yarl import URL

from tiktok_api import InputError, UserFacingError, check_length, format_size
from tiktok_media import jpeg_runs_on, picture_size, require_video_type, wanted_span

MAX_VIDEO_BYTES = 4 * 1024**3


# "5 MB" is read as MiB and "64 MB" as decimal so that either reading of TikTok's units is satisfied.
MIN_CHUNK = 5 * 1024 * 1024


MAX_CHUNK = 64_000_000


# One chunk up to 64,000,000 bytes is the most compatible upload (multi-chunk inits have been refused since about
# August 2026); larger files go in 10,000,000-byte chunks, TikTok's own example size, which also bounds memory.
MULTI_CHUNK_SIZE = 10_000_000


@dataclass(frozen=True)
class ChunkPlan:
    video_size: int
    chunk_size: int
    count: int

    def ranges(self) -> list[tuple[int, int]]:
        """Inclusive (first, last) byte offsets; the last chunk absorbs the remainder."""
        starts = [index * self.chunk_size for index in range(self.count)]
        return [(first, following - 1) for first, following in pairwise([*starts, self.video_size])]

    def source_info(self) -> dict:
        return {
            "source": "FILE_UPLOAD",
            "video_size": self.video_size,
            "chunk_size": self.chunk_size,
            "total_chunk_count": self.count,
        }


def plan_chunks(video_size: int, chunk_size: int = MULTI_CHUNK_SIZE) -> ChunkPlan:
    """TikTok's chunk rules: whole file up to 64,000,000 bytes, else floor(size / chunk) chunks of 5-64 MB."""
    if video_size < 1:
        raise InputError("The video is empty. Choose a file that contains a video; nothing was posted.")
    if video_size > MAX_VIDEO_BYTES:
        raise InputError(
            f"The video is {format_size(video_size)}; TikTok accepts at most 4 GB. Compress or trim it; "
            "nothing was posted."
        )
    if video_size <= MAX_CHUNK:
        return ChunkPlan(video_size, video_size, 1)
    if not MIN_CHUNK <= chunk_size <= MAX_CHUNK:
        raise ValueError(f"chunk size {chunk_size} is outside TikTok's 5-64 MB range")
    # 4 GB / 5 MiB is under 1000 chunks, so TikTok's chunk-count limit cannot be reached from here.
    return ChunkPlan(video_size, chunk_size, video_size // chunk_size)


def alternative_plan(refused: ChunkPlan) -> ChunkPlan | None:
    """Another legal plan for a multi-chunk upload whose init TikTok refused as "The chunk size is invalid"
    (reported since about 2026-08-09 for every multi-chunk init, cause unknown; 10 MB chunks last reported working
    on 2026-07-24). Files over 64 MB must still go in several chunks, so only the chunk size can change:

    1. a chunk size that divides the file exactly, nearest above the refused one: every chunk, the last included,
       is then the same size, so floor(size / chunk) and ceil(size / chunk) agree and no chunk exceeds chunk_size,
       which satisfies every reading of the count and of the last chunk TikTok might now apply;
    2. else the fewest chunks TikTok allows (the largest chunk size, at most 64,000,000 bytes and at least two
       chunks), the plan least like the refused one.

    Always larger than the refused chunk size, so the first chunk already read from a link only has to grow."""
    size = refused.video_size
    # A single part (chunk_size == video_size) has no alternative: upper is at most half of it, so None below.
    upper = min(MAX_CHUNK, size // 2)
    # Chunk sizes that divide the file are size // k for the k that divide it (k is under 1,000 for 4 GB).
    exact = [size // k for k in range(2, size // MIN_CHUNK + 1) if size % k == 0]
    chunk = min((c for c in exact if refused.chunk_size < c <= upper), default=upper)
    return ChunkPlan(size, chunk, size // chunk) if chunk > refused.chunk_size else None


logger = logging.getLogger("tiktok.transfer")

# The platform gives a step about 30 s; moving the bytes gets most of it, the API calls the rest.
TRANSFER_DEADLINE_S = 24.0
CONNECT_TIMEOUT_S = 10.0
READ_STALL_TIMEOUT_S = 20.0
MAX_REDIRECTS = 3
CHUNK_ATTEMPTS = 3
CHUNK_RETRY_DELAY_S = 0.5
# Bodies go out in pieces so a chunk is never copied whole and the event loop stays responsive.
PIECE_SIZE = 3 * 2**18  # a multiple of 3 keeps base64 pieces aligned to whole 4-character groups
SNIFF_BYTES = 64
# A chunk from a link is held until TikTok has it (so it can be resent): in memory up to this size, else on disk.
IN_MEMORY_CHUNK_MAX = 16 * 2**20
UPLOAD_HOST_SUFFIX = ".tiktokapis.com"
REDIRECT_STATUSES = (301, 302, 303, 307, 308)


class TransferError(UserFacingError):
    """Moving the video's bytes failed; TikTok discards an unfinished upload, so nothing is posted."""


# ---- Link safety ------------------------------------------------------------------------------------------------


# Cloud metadata services on public-looking or unusual addresses (the link-local 169.254.169.254 of AWS, GCP,
# Azure and Oracle is refused as link-local already): Azure's WireServer, AWS's IPv6 instance metadata endpoint
# (and its DNS), Alibaba Cloud's metadata service.
CLOUD_METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a) for a in ("168.63.129.16", "fd00:ec2::254", "fd00:ec2::253", "100.100.100.200")
)


def address_problem(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """Why an address must not be reached from a workflow input, or None for a public address."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.scope_id:
            ip = ipaddress.IPv6Address(str(ip).split("%")[0])
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is not None:
            return address_problem(embedded)
    if ip in CLOUD_METADATA_ADDRESSES:
        return "a cloud metadata address"
    for label, flag in (
        ("a loopback", ip.is_loopback),
        ("an unspecified", ip.is_unspecified),
        ("a link-local", ip.is_link_local),
        ("a multicast", ip.is_multicast),
        ("a reserved", ip.is_reserved),
        ("a private", ip.is_private),  # after the above: Python counts most of them as private too
        ("a non-public", not ip.is_global),
    ):
        if flag:
            return f"{label} address"
    return None


def literal_address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address a host names by itself, in any spelling a resolver accepts (2130706433, 0x7f.1, [::1])."""
    host = host.rstrip(".")  # "127.0.0.1." is the same address in fully qualified form
    with suppress(ValueError):
        return ipaddress.ip_address(host.strip("[]").split("%")[0])
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except (OSError, ValueError):  # ValueError: a NUL byte or a character outside ASCII
        return None


# A DNS label: letters, digits, hyphens (not at either end) and, as some storage hosts use them, underscores.
_DNS_LABEL = re.compile(r"(?!-)[a-z0-9_-]{1,63}(?<!-)")
# A last label that URL parsers and getaddrinfo read as (part of) an address: decimal, octal or hex.
_NUMERIC_LABEL = re.compile(r"0x[0-9a-f]*|[0-9]+")


def host_problem(host: str) -> str | None:
    """Why a link's host (in its ASCII form: IDNA already applied) must not be connected to, or None.

    Only a valid DNS name or a plainly written public address passes. A name ending in a number is an address to
    aiohttp and getaddrinfo, which then never ask our resolver: such a host passes only as a plain dotted quad
    (checked like any address); 1.2.3.4.5, 4294967297, 0x7f.1 and the like are refused outright, as is an IPv6
    literal that does not parse strictly ([::ffff:127.1])."""
    name = host.lower().removesuffix(".")
    labels = name.split(".")
    ipv6 = ":" in host
    if ipv6 or _NUMERIC_LABEL.fullmatch(labels[-1]):
        try:  # an IPv6 literal as given, an IPv4 one as a plain dotted quad
            return address_problem(ipaddress.ip_address(host if ipv6 else name))
        except ValueError:
            # Any other spelling is refused; a numeric one names the address it reads as when that is refused too.
            ip = None if ipv6 else literal_address(name)
            return (ip is not None and address_problem(ip)) or "an address written in an unusual form"
    if len(name) > 253 or not all(_DNS_LABEL.fullmatch(label) for label in labels):
        return "a host name that is not a valid internet name"
    try:
        _ = URL.build(scheme="https", host=name).host  # an xn-- label must decode (yarl decodes it to show it)
    except (ValueError, TypeError):  # UnicodeError
        return "a host name that is not a valid internet name"
    return None


class BlockedAddressError(OSError):
    """A name resolved to an address that must not be reached (raised by PublicOnlyResolver)."""


class PublicOnlyResolver(AbstractResolver):
    """Resolves names and refuses any non-public answer at connection time, so a name cannot be rebound."""

    def __init__(self) -> None:
        self._inner = aiohttp.ThreadedResolver()

    async def resolve(self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET):
        answers = await self._inner.resolve(host, port, family)
        for answer in answers:
            ip = literal_address(answer["host"])
            problem = "an unreadable address" if ip is None else address_problem(ip)
            if problem:
                raise BlockedAddressError(f"{host} resolves to {problem}")
        return answers

    async def close(self) -> None:
        await self._inner.close()


class LinkGuard:
    """Decides what the integration's own sessions may reach: links given as input (public https only, names
    resolved by PublicOnlyResolver) and TikTok's upload address (https on TikTok's upload hosts only).

    This is the one seam for tests: a test that serves media from its own loopback server replaces the module's
    `link_guard` with a subclass admitting that server. No other path around these checks exists."""

    def check_link(self, url: str, what: str = "video link") -> URL:
        """Refuse links that are not plain public https before anything connects."""
        try:
            parsed = URL(url)
        except (ValueError, TypeError):
            raise InputError(f"The {what} is not a valid URL. Give a full https:// link; nothing was posted.") from None
        host = None
        with suppress(ValueError, TypeError):
            host = parsed.raw_host  # the ASCII form: an international name arrives IDNA-encoded
        if parsed.scheme != "https":
            refusal = "must start with https://. Give a secure link"
        elif parsed.user is not None or parsed.password is not None:
            refusal = "contains a user name or password. Use a link without credentials, such as a pre-signed link"
        elif not host:
            refusal = "has no host name. Give a full https:// link"
        elif problem := host_problem(host):
            refusal = f"points to {problem}, which is not allowed. Use a public link"
        else:
            return parsed
        raise InputError(f"The {what} {refusal}; nothing was posted.")

    def check_upload_url(self, upload_url) -> str:
        """The video only ever goes to TikTok's own upload host, over https, exactly as TikTok issued the URL."""
        parsed = URL()  # what cannot be parsed is refused below like any URL that is not https
        with suppress(ValueError, TypeError):
            parsed = URL(upload_url)
        host = parsed.raw_host or ""
        if parsed.scheme != "https" or not (host + ".").endswith(UPLOAD_HOST_SUFFIX + "."):
            raise UserFacingError(
                "TikTok's answer did not contain a usable TikTok upload address, so the video was not sent anywhere. "
                "Run the step again; if it keeps happening, contact TikTok developer support."
            )
        return upload_url

    def download_connector(self) -> aiohttp.TCPConnector:
        return aiohttp.TCPConnector(resolver=PublicOnlyResolver(), use_dns_cache=False)


link_guard = LinkGuard()


def check_link(url: str, what: str = "video link") -> URL:
    return link_guard.check_link(url, what)


# ---- Where the bytes come from: one source abstraction for the inspector and the upload ------------------------

_BASE64 = re.compile(r"[A-Za-z0-9+/]*={0,2}")


async def _body(response, length: int, done: int = 0, size: int | None = None, piece_size: int = 2**20):
    """Up to `length` bytes of a download, piece by piece. A download that breaks off raises TransferError saying
    how far it got (`done`: the file's bytes read before these); so does a body that ends before `length` when the
    file's `size` is known (with it unknown, the body's end is the file's)."""
    while length > 0:
        try:
            piece = await response.content.read(min(piece_size, length))
        except (aiohttp.ClientError, asyncio.TimeoutError):
            piece = None
        if piece == b"" and size is None:
            return
        if not piece:
            of = f" of {format_size(size)}" if size else ""
            raise TransferError(
                f"The download of the video broke off after {format_size(done)}{of}. Nothing was posted (TikTok "
                "discards an upload that never completes). Check that the link still works and run the step again."
            )
        done, length = done + len(piece), length - len(piece)
        yield piece


@dataclass
class Chunk:
    """One part of the plan; pieces() yields its bytes afresh each time, so a resent part starts over."""

    first: int
    last: int
    pieces: Callable[[], AsyncIterator[bytes]]
    release: Callable[[], None] = lambda: None

    @property
    def length(self) -> int:
        return self.last + 1 - self.first


class VideoSource:
    """A video's bytes, whatever they come from (inline content, a spooled or streamed download, a link read by
    Range): `size` (None: unknown), `content_type`, `read_at(offset, length)`, the bytes at hand, which the
    inspector reads, and `load(first, last)`, a part for the upload whose pieces can be read again."""

    size: int | None = None
    content_type: str | None = None

    async def load(self, first: int, last: int) -> Chunk:
        return Chunk(first, last, lambda: self.pieces(first, last))

    async def pieces(self, first: int, last: int) -> AsyncIterator[bytes]:
        offset = first
        while offset <= last:
            piece = self.read_at(offset, min(PIECE_SIZE - offset % 3, last + 1 - offset))
            if not piece:
                raise TransferError("The stored video ended early. Run the step again; nothing was posted.")
            yield piece
            offset += len(piece)
            await asyncio.sleep(0)  # let the read-ahead of the next part progress between pieces

    async def aclose(self) -> None:
        pass


class InlineSource(VideoSource):
    """Base64 content from the workflow, decoded piece by piece as it is sent: no second full copy in memory."""

    def __init__(self, content: str):
        start = 0
        if content.startswith("data:"):
            comma = content.find(",", 0, 256)
            if comma < 0 or not content[:comma].endswith(";base64"):
                raise InputError(
                    "The file content is a data: URL without base64 data. Send base64; nothing was posted."
                )
            start = comma + 1
        if (len(content) - start) % 4 or not _BASE64.fullmatch(content, start):
            raise InputError(
                "The file content is not valid base64. Send the video as base64 (or give its link instead); "
                "nothing was posted."
            )
        self._text, self._start = content, start
        padding = content[max(start, len(content) - 2) :].count("=")  # valid base64 pads only its last group
        self.size = (len(content) - start) // 4 * 3 - padding
        if self.size == 0:
            raise InputError("The file content is empty. Attach the video itself; nothing was posted.")

    def read_at(self, offset: int, length: int) -> bytes:
        length = min(length, self.size - offset)
        if length <= 0:
            return b""
        # The whole 4-character groups (3 bytes each) that hold the bytes asked for.
        a, b = self._start + offset // 3 * 4, self._start + -(-(offset + length) // 3) * 4
        raw = binascii.a2b_base64(self._text[a:b], strict_mode=True)
        return raw[offset % 3 : offset % 3 + length]


class HeldBytes(VideoSource):
    """Bytes kept while TikTok may want them again (a part of a streamed link, or a whole download of unknown
    size): in memory up to IN_MEMORY_CHUNK_MAX, else in a temporary file, so memory stays flat at any size."""

    def __init__(self, length: int | None = None):
        self.size = 0
        self._file = tempfile.SpooledTemporaryFile(IN_MEMORY_CHUNK_MAX)  # noqa: SIM115 - see close()
        if length is None or length > IN_MEMORY_CHUNK_MAX:
            self._file.rollover()  # on disk from the first byte

    def append(self, piece: bytes) -> None:
        try:
            self._file.seek(self.size)  # after the bytes held, whatever read_at read last
            self._file.write(piece)
        except OSError:
            raise TransferError(
                "The video could not be kept in temporary storage while it was passed on (the disk may be full). "
                "Use pull_from_url with a verified domain for a video this large; nothing was posted."
            ) from None
        self.size += len(piece)

    def read_at(self, offset: int, length: int) -> bytes:
        self._file.seek(offset)
        return self._file.read(max(0, min(length, self.size - offset)))

    async def aclose(self) -> None:
        self.close()

    def close(self) -> None:
        self._file.close()


class StreamSource(VideoSource):
    """A download whose host ignores Range, with a known size: read one part at a time, each held until TikTok
    has it. The first part is read at once (primed): its head gives the video's facts before TikTok is asked."""

    def __init__(self, session: aiohttp.ClientSession, response: aiohttp.ClientResponse, size: int):
        self._session, self._response, self.size = session, response, size
        self._position = 0
        self._primed: HeldBytes | None = None

    def read_at(self, offset: int, length: int) -> bytes:
        return b"" if self._primed is None else self._primed.read_at(offset, length)

    async def prime(self, length: int) -> None:
        """Read the first part now, or grow it to `length` (TikTok refused the first chunk plan before anything
        was sent, and the next plan's first part is larger: see alternative_plan)."""
        self._primed = self._primed or HeldBytes(length)
        # A part grown past IN_MEMORY_CHUNK_MAX moves to disk by itself (SpooledTemporaryFile rolls over).
        await self._read(self._primed, length - self._primed.size)

    async def load(self, first: int, last: int) -> Chunk:
        if self._primed is not None and first == 0:
            held, self._primed = self._primed, None
        elif first != self._position:
            raise TransferError(
                "TikTok asked for a part of the video that was already passed on and cannot be read again from "
                "the link. Run the step again; nothing was posted."
            )
        else:
            held = await self._read(HeldBytes(last + 1 - first), last + 1 - first)
        return Chunk(first, last, lambda: held.pieces(0, last - first), held.close)

    async def _read(self, held: HeldBytes, length: int) -> HeldBytes:
        """The next `length` bytes of the download, added to `held` (closed if they cannot all be read)."""
        try:
            async for piece in _body(self._response, length, self._position, self.size):
                held.append(piece)
        except BaseException:
            held.close()
            raise
        self._position += length
        return held

    async def aclose(self) -> None:
        if self._primed is not None:
            self._primed.close()
        self._response.release()
        await self._session.close()


class ByteWindows(VideoSource):
    """Byte ranges read from a link, by offset; read_at serves the contiguous bytes at hand (or none). Alone, the
    head of a link the preflight reads for its facts only."""

    def __init__(self, size: int | None) -> None:
        self.size = size
        self.windows: dict[int, bytes] = {}  # the bytes read, by the offset they start at

    def read_at(self, offset: int, length: int) -> bytes:
        data = b""  # from the window that holds `offset`, on through the windows that continue it
        for start, window in sorted(self.windows.items()):
            if start <= offset + len(data) < start + len(window):
                data += window[offset + len(data) - start : offset + length - start]
        return data


class RangeSource(ByteWindows):
    """A link whose host answers Range requests: the inspector reads the windows the preflight fetched, and each
    part is read from the link while it is sent (memory stays at a piece), again by Range when TikTok wants it."""

    def __init__(self, url: str, size: int):
        super().__init__(size)
        self.url = url
        self._session: aiohttp.ClientSession | None = None
        # Why reading the link failed, if it did: the upload then reports this, not a refusal by TikTok.
        self.failure: UserFacingError | None = None

    async def pieces(self, first: int, last: int) -> AsyncIterator[bytes]:
        self.failure = None  # a read that failed once and then worked is no reason the upload failed
        self._session = self._session or new_download_session()
        try:
            response = await _follow(self._session, self.url, headers={"Range": f"bytes={first}-{last}"})
        except UserFacingError as error:
            self.failure = TransferError(f"Reading the video from the link failed while it was passed on: {error}")
            raise
        try:
            if response.status != 206 or content_range(response)[0] != first:
                raise TransferError(
                    "The video's host stopped answering requests for a part of the file, so it could not be passed "
                    "on to TikTok. Run the step again; nothing was posted."
                )
            async for piece in _body(response, last + 1 - first, first, self.size, PIECE_SIZE):
                yield piece
        except TransferError as failure:
            self.failure = failure
            raise
        finally:
            response.release()

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()


@dataclass(frozen=True)
class SourceSpec:
    """What the inputs name as the video, checked without any request."""

    kind: str  # "inline", "link" or "pull"
    inline: InlineSource | None = None
    url: str | None = None


def resolve_video_source(file_obj: dict | None, files: list | None, video_url: str | None, pull: bool) -> SourceSpec:
    """One source, from `file`, `files` or `video_url`; `pull_from_url` hands the link to TikTok instead."""
    inputs = {"file": file_obj, "files": files, "video_url": video_url}
    given = [name for name, value in inputs.items() if value is not None]
    if len(given) != 1:
        raise InputError(
            f"Give exactly one video source: file, files or video_url (given: {' and '.join(given) or 'none'}). "
            "Nothing was posted."
        )
    check_length(video_url, "video_url", minimum=1, advice="Give an https:// link to the video.")
    if pull and not video_url:
        raise InputError("pull_from_url works only with video_url. Give the link or turn it off; nothing was posted.")
    if video_url:
        check_link(video_url)
        return SourceSpec("pull" if pull else "link", url=video_url)
    if files is not None:
        file_obj = files[0]  # the platform's convention: a files list carries the video first
    content, link = file_obj.get("content"), file_obj.get("url")
    if content and link:
        raise InputError("The file has both content and url. Give only one of them; nothing was posted.")
    if link:
        check_link(link, "file link")
        return SourceSpec("link", url=link)
    if not content:
        raise InputError("The file has no content. Attach the video itself or give its link; nothing was posted.")
    return SourceSpec("inline", inline=_typed(InlineSource(content)))


def new_download_session() -> aiohttp.ClientSession:
    # Our own session: no Authorization header, no proxy from the environment, names resolved by the guard.
    connector = link_guard.download_connector()
    timeout = aiohttp.ClientTimeout(total=None, sock_connect=CONNECT_TIMEOUT_S, sock_read=READ_STALL_TIMEOUT_S)
    return aiohttp.ClientSession(connector=connector, timeout=timeout, trust_env=False, auto_decompress=True)


def _request_url(url: str, what: str = "video link") -> URL:
    """The URL to request, exactly as given (pre-signed links must keep their exact encoding), except that an
    international host name is sent in its IDNA form; a link that cannot be encoded is refused in words."""
    try:
        current = URL(url, encoded=True)
        if (host := current.raw_host) and not host.isascii():
            current = current.with_host(URL(url).raw_host)
        return current
    except (ValueError, TypeError):  # UnicodeError: a host IDNA cannot encode
        raise InputError(f"The {what} is not a valid URL. Give a full https:// link; nothing was posted.") from None


async def _follow(session: aiohttp.ClientSession, url: str, headers=None) -> aiohttp.ClientResponse:
    current = _request_url(url)
    headers = {"Accept-Encoding": "identity", **(headers or {})}
    for _hop in range(MAX_REDIRECTS + 1):
        try:
            response = await session.get(current, allow_redirects=False, headers=headers)
        except (aiohttp.ClientError, asyncio.TimeoutError, BlockedAddressError) as error:
            # The resolver's refusal arrives as the connector error's os_error (or its cause).
            causes = (error, getattr(error, "os_error", None), error.__cause__)
            if blocked := [cause for cause in causes if isinstance(cause, BlockedAddressError)]:
                failed = f"The video link is not allowed: {blocked[0]}. Use a public link"
            elif isinstance(error, aiohttp.ClientConnectorError):
                failed = f"Could not connect to {current.raw_host} to download the video. Check the link"
            else:
                failed = f"Could not download the video from {current.raw_host}. Check the link works"
            raise InputError(f"{failed}; nothing was posted.") from None
        if response.status in REDIRECT_STATUSES and "Location" in response.headers:
            response.release()
            try:
                current = current.join(_request_url(response.headers["Location"], "redirected video link"))
            except ValueError:
                raise InputError(
                    "The video link redirects to an address that is not a valid URL. Use a direct link; nothing "
                    "was posted."
                ) from None
            check_link(str(current), "redirected video link")
            continue
        if response.status != 200 and not (response.status == 206 and "Range" in headers):
            response.release()
            raise InputError(
                f"Downloading the video from {current.raw_host} failed with HTTP {response.status}. Check the link "
                "(pre-signed links expire); nothing was posted."
            )
        return response
    raise InputError(
        f"The video link redirects more than {MAX_REDIRECTS} times. Use a direct link; nothing was posted."
    )


async def _spool(response: aiohttp.ClientResponse) -> HeldBytes:
    """Store a download of unknown size (or compressed); its first bytes are checked before the rest is fetched."""
    held = HeldBytes()
    try:
        async for piece in _body(response, MAX_VIDEO_BYTES + 1):
            if held.size < SNIFF_BYTES <= held.size + len(piece):
                require_video_type(held.read_at(0, SNIFF_BYTES) + piece[: SNIFF_BYTES - held.size])
            if held.size + len(piece) > MAX_VIDEO_BYTES:
                raise InputError("The linked video is larger than TikTok's 4 GB limit. Nothing was posted.")
            held.append(piece)
        if held.size == 0:
            raise InputError("The linked file is empty. Nothing was posted.")
    except BaseException:
        held.close()
        raise
    return held


# ---- Reading a link's facts before the init (by HTTP Range) ------------------------------------------------------

# The preflight reads the head of a link, then (MP4/MOV with `moov` after `mdat`, or a fragmented MP4 whose length
# only its fragments give) a window of the same size from where the inspector ran out of bytes (the box headers say
# where the next box starts), and so on: at most 6 requests of 1 MiB.
PROBE_HEAD_BYTES = 2**20
PROBE_MAX_REQUESTS = 6
# From a host that ignores Range, a link read for its facts only is read until they are known, at most this far.
PROBE_READ_CAP = 8 * 2**20


def content_range(response: aiohttp.ClientResponse) -> tuple[int | None, int | None, int | None]:
    """(first, last, total) of a `Content-Range: bytes first-last/total` header (TikTok's progress header too);
    None for what it does not say (total `*`, or no such header)."""
    match = re.fullmatch(r"\s*bytes\s+(\d+)-(\d+)/(\d+|\*)\s*", response.headers.get("Content-Range") or "")
    if match is None:
        return None, None, None
    return int(match.group(1)), int(match.group(2)), None if match.group(3) == "*" else int(match.group(3))


async def _read_some(response: aiohttp.ClientResponse, limit: int) -> bytes:
    """Up to `limit` bytes of a body; a broken download gives what arrived."""
    data = bytearray()
    with suppress(TransferError):  # the download broke off: what arrived is all the preflight has
        async for piece in _body(response, limit):
            data += piece
    return bytes(data)


async def _read_window(session: aiohttp.ClientSession, url: str, first: int, length: int) -> bytes | None:
    """Up to `length` bytes of a link from `first`, by Range; None when the host did not answer that range."""
    response = await _follow(session, url, headers={"Range": f"bytes={first}-{first + length - 1}"})
    try:
        usable = response.status == 206 and not _encoded(response) and content_range(response)[0] == first
        return await _read_some(response, length) if usable else None
    finally:
        response.release()


def _encoded(response: aiohttp.ClientResponse) -> bool:
    return response.headers.get("Content-Encoding", "identity").lower() not in ("", "identity")


def _plain_length(response: aiohttp.ClientResponse) -> int | None:
    """The body's length in bytes of the file itself: unknown when the body is compressed on the way."""
    return None if _encoded(response) else response.content_length


async def open_link(url: str, *, whole: bool = True) -> VideoSource:
    """A linked video as a source, read without the token through the link guard, its facts at hand for the
    inspector. A host that answers Range with the file's size gives a RangeSource: its head and the windows the
    box headers point to (at most PROBE_MAX_REQUESTS requests). Otherwise, with `whole`, the download becomes the
    source (its first part read, or the file spooled when its size is unknown); without, it is read only until the
    facts are known, at most PROBE_READ_CAP bytes. Raises InputError or TransferError when the link cannot be read
    at all."""
    session = new_download_session()
    try:
        response = await _follow(session, url, headers={"Range": f"bytes=0-{PROBE_HEAD_BYTES - 1}"})
        got_first, _last, size = content_range(response)
        ranged = response.status == 206 and got_first == 0 and bool(size) and not _encoded(response)
        if response.status == 206 and not ranged:
            response.release()  # a range the preflight cannot use: the link is read from its start, without Range
            response = await _follow(session, url)
        size = size if ranged else _plain_length(response)
        if ranged or not whole:
            # The head, then what the inspector wants next (see wanted_span): by Range, a window per request; from a
            # host without Range (a link read for its facts only), the body read on in order, at most PROBE_READ_CAP
            # (as inflated, when the host compressed it although the identity encoding was asked for).
            source = RangeSource(url, size) if ranged else ByteWindows(size)
            source.windows[0] = await _read_some(response, PROBE_HEAD_BYTES)
            for read in range(1, PROBE_MAX_REQUESTS if ranged else PROBE_READ_CAP // PROBE_HEAD_BYTES):
                if (span := wanted_span(source.read_at, size, PROBE_HEAD_BYTES)) is None:
                    break
                if ranged:
                    window = await _read_window(session, url, *span)
                else:
                    span, window = (read * PROBE_HEAD_BYTES, 0), await _read_some(response, PROBE_HEAD_BYTES)
                if not window:
                    break
                source.windows[span[0]] = window
            response.release()
        elif size is None:
            source = await _spool(response)
            response.release()
        else:
            source, session = StreamSource(session, response, size), None  # the source owns the session now
        try:  # a source refused here (over 4 GB, not a video, a broken first part) closes what it holds
            if isinstance(source, StreamSource):
                await source.prime(plan_chunks(size).chunk_size)
            # A link read for its facts only whose head gave no bytes keeps no content type, for the caller to decide.
            return _typed(source) if whole or source.read_at(0, SNIFF_BYTES) else source
        except BaseException:
            await source.aclose()
            raise
    finally:
        if session is not None:
            await session.close()


def _typed(source: VideoSource) -> VideoSource:
    """The source with its content type, from the signature of its first bytes; refused unless it is a video TikTok
    takes."""
    source.content_type = require_video_type(source.read_at(0, SNIFF_BYTES))
    return source


# ---- Reading a photo link's head before the init -------------------------------------------------------------

PHOTO_HEAD_BYTES = 64 * 2**10
PHOTO_PROBES_AT_ONCE = 6


# What the probe reads of a photo: its head, its size and its picture size (None where unknown).
PhotoHead = tuple[bytes, int | None, tuple[int, int] | None]


async def _probe_photo(session: aiohttp.ClientSession, url: str) -> PhotoHead:
    """The first 64 KiB of a photo, its size (from Content-Range, else Content-Length) and its picture size, in one
    ranged GET; a second reads the next 192 KiB of a JPEG whose metadata pushes its frame header past the first."""
    response = await _follow(session, url, headers={"Range": f"bytes=0-{PHOTO_HEAD_BYTES - 1}"})
    try:
        ranged = response.status == 206 and not _encoded(response)
        size = content_range(response)[2] if response.status == 206 else _plain_length(response)
        head = await _read_some(response, PHOTO_HEAD_BYTES)
    finally:
        response.release()
    picture = picture_size(head)
    if picture is None and ranged and jpeg_runs_on(head) and len(head) < (size or 0):
        picture = picture_size(head + (await _read_window(session, url, len(head), 3 * PHOTO_HEAD_BYTES) or b""))
    return head, size, picture


async def probe_photos(urls: list[str], timeout: float) -> list[PhotoHead | None]:
    """(head, size, picture size) of each photo link, read without the token through the link guard; None for a
    photo that could not be read within `timeout` (TikTok, which pulls the photos itself, then decides)."""
    session = new_download_session()
    limit = asyncio.Semaphore(PHOTO_PROBES_AT_ONCE)

    async def one(url: str):
        async with limit:
            with suppress(UserFacingError, aiohttp.ClientError, asyncio.TimeoutError):
                return await _probe_photo(session, url)
        return None  # a photo that could not be read

    tasks = [asyncio.ensure_future(one(url)) for url in urls]
    try:
        if tasks and timeout > 0:
            await asyncio.wait(tasks, timeout=timeout)
        return [task.result() if task.done() and not task.cancelled() else None for task in tasks]
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await session.close()


# ---- The chunked upload: https://developers.tiktok.com/doc/content-posting-api-media-transfer-guide ----


def resume_index(progress_end: int | None, spans: list[tuple[int, int]], size: int) -> int | None:
    """The chunk to send next, from TikTok's progress header. The guide calls N the uploaded bytes, which reads
    either as the last byte held or as a byte count, so both are accepted where they fall on a chunk boundary."""
    candidates = [0] if progress_end is None else [progress_end + 1, progress_end]
    for next_byte in candidates:
        if next_byte >= size:
            return len(spans)
        for position, (first, _last) in enumerate(spans):
            if first == next_byte:
                return position
    return None


# How long the upload server may stay silent (no byte accepted, no answer given) before a deadline that hits
# then is reported as TikTok's upload server having stopped answering rather than as a video too large to move.
UPLOAD_SILENCE_S = 2.0


@dataclass
class TransferWatch:
    """What the upload was doing last, so that a deadline can say who stopped: the video's link host, TikTok's
    upload server, or neither (the video was simply too large to move within the step)."""

    uploading: bool = False
    part: int = 0
    parts: int = 0
    last_activity: float = field(default_factory=time.monotonic)
    unanswered: int = 0  # PUTs that got no answer at all
    # The highest part whose every byte was written to a socket at least once (also by a resend aiohttp makes by
    # itself, which the integration never sees): TikTok may hold every part up to it.
    written_through: int = -1
    reading: bool = False  # waiting for the video's bytes from its source (the link host), not for TikTok
    last_status: int | None = None  # TikTok's answer to the last PUT (None: no answer)

    @property
    def last_part_sent(self) -> bool:
        """Once every byte of the last part went out, the post may exist, whatever the answer (or none) says."""
        return self.parts > 0 and self.written_through >= self.parts - 1

    def stalled(self) -> bool:
        if not self.uploading or self.reading:
            return False
        # Silence since the last piece written or answer heard also covers a part whose bytes are all out and whose
        # answer has not come: its last piece was the last activity.
        return self.unanswered > 0 or time.monotonic() - self.last_activity >= UPLOAD_SILENCE_S


# Set by the deadline around upload_chunks (tiktok_posting.within_transfer_deadline); None elsewhere.
transfer_watch: contextvars.ContextVar[TransferWatch | None] = contextvars.ContextVar("transfer_watch", default=None)


class _PartBody:
    """A part as a request body whose every iteration starts again from the part's first byte: aiohttp builds the
    request anew from it when it resends an idempotent PUT by itself (after a kept-alive connection turned out
    closed), so a resend carries the whole part. The watch hears of each piece, of waits on the video's source,
    and of the last byte written."""

    def __init__(self, chunk: Chunk, watch: TransferWatch, index: int):
        self._chunk, self._watch, self._index = chunk, watch, index

    async def __aiter__(self):
        watch = self._watch
        async with aclosing(self._chunk.pieces()) as inner:  # a send cut short still releases the part's download
            # While the next piece is awaited, a stall is the source's (a link host), not TikTok's; left set when
            # the deadline cancels the read, which is when the deadline reads it.
            watch.reading = True
            async for piece in inner:
                watch.reading = False
                watch.last_activity = time.monotonic()
                yield piece
                watch.reading = True
            watch.reading = False  # the consumer asked for more: every byte has been written
            watch.written_through = max(watch.written_through, self._index)


class UploadUnconfirmed(TransferError):
    """Every byte of the last part went out, but TikTok's answers did not settle whether it holds the whole video:
    the post may exist, and the caller asks TikTok's status. `what` says what the upload server did; `refusal` is
    the plain message of a refusal it answered (not a 5xx), which holds only if the status shows the video
    incomplete (aiohttp may have resent the part by itself after TikTok had stored it, and a finished upload can
    answer 403 or 404)."""

    def __init__(self, what: str, refusal: str | None = None):
        super().__init__(what)
        self.what, self.refusal = what, refusal


async def upload_chunks(source, plan: ChunkPlan, url: str, content_type: str) -> None:
    """PUT every chunk in order to TikTok's upload `url`; chunk k+1 is read while chunk k is sent. Resends on
    5xx/timeouts, resumes on a 416 whose range is consistent with what was sent. Once the last part went out, a
    failure is never "nothing was posted": it raises UploadUnconfirmed."""
    spans = plan.ranges()
    watch = transfer_watch.get() or TransferWatch()  # the deadline's, where one is set
    watch.uploading, watch.parts = True, len(spans)
    watch.last_activity = time.monotonic()
    timeout = aiohttp.ClientTimeout(total=None, sock_connect=CONNECT_TIMEOUT_S, sock_read=READ_STALL_TIMEOUT_S)
    # However TikTok answers, the number of PUTs stays bounded.
    puts_left = len(spans) * CHUNK_ATTEMPTS
    async with aiohttp.ClientSession(timeout=timeout, trust_env=False) as session:
        index = 0
        pending = asyncio.ensure_future(source.load(*spans[0]))
        try:
            while index < len(spans):
                watch.reading = True  # (left set when the deadline cancels the read: the deadline reads it)
                chunk = await pending
                watch.reading = False
                if index + 1 < len(spans):
                    pending = asyncio.ensure_future(source.load(*spans[index + 1]))
                try:
                    for tries in range(CHUNK_ATTEMPTS):
                        if tries:  # TikTok wants this chunk again
                            await asyncio.sleep(CHUNK_RETRY_DELAY_S * tries)
                        puts_left -= 1
                        watch.part = index + 1
                        next_index = await _send_chunk(session, url, chunk, plan, content_type, index, tries, watch)
                        if next_index != index or puts_left <= 0:
                            break
                    if next_index == index:
                        raise TransferError(
                            f"TikTok kept failing to accept part {index + 1} of {len(spans)} of the video. "
                            "Nothing was posted (TikTok discards incomplete uploads). Run the step again in a "
                            "few minutes."
                        )
                finally:
                    chunk.release()
                if next_index != index + 1 and next_index < len(spans):
                    # TikTok holds a different amount than expected (416): continue from where it stands.
                    if puts_left <= 0:
                        raise TransferError(_put_failure(416, index, len(spans)))
                    _discard(pending)
                    # A link source refuses a part it has already passed on; inline and spooled ones can seek.
                    pending = asyncio.ensure_future(source.load(*spans[next_index]))
                logger.info("chunk %d of %d sent; TikTok wants chunk %d next", index + 1, len(spans), next_index + 1)
                index = next_index
        except TransferError as failure:
            if watch.last_part_sent and not isinstance(failure, UploadUnconfirmed):
                status = watch.last_status
                what = "gave no answer" if status is None else f"answered HTTP {status}"
                refusal = str(failure) if status is not None and status < 500 else None
                raise UploadUnconfirmed(f"TikTok's upload server {what}", refusal) from None
            raise
        finally:
            _discard(pending)
            if index >= len(spans):
                watch.uploading = False  # a deadline that hits after this is not the upload's


def _discard(task: asyncio.Future) -> None:
    """Stop a read-ahead that is no longer wanted, without leaving an unretrieved exception behind."""
    if not task.done():
        task.cancel()
    elif not task.cancelled() and task.exception() is None:
        task.result().release()


async def _send_chunk(session, upload_url, chunk: Chunk, plan: ChunkPlan, content_type: str, index, tries, watch):
    """Send one chunk; return the index of the chunk TikTok needs next (== index means resend, plan.count means
    TikTok holds the whole video). `tries`: how many times this chunk was sent before; `watch`: the upload's."""
    headers = {
        "Content-Type": content_type,
        "Content-Length": str(chunk.length),
        "Content-Range": f"bytes {chunk.first}-{chunk.last}/{plan.video_size}",
    }
    body = _PartBody(chunk, watch, index)
    try:
        # The upload URL is used exactly as issued, and a redirect away from it is never followed.
        target = URL(upload_url, encoded=True)
        async with session.put(target, data=body, headers=headers, allow_redirects=False) as response:
            status, progress = response.status, content_range(response)[1]
    except (aiohttp.ClientError, asyncio.TimeoutError):
        status = progress = None
    watch.last_status = status
    if status is None:
        watch.unanswered += 1
        logger.warning("chunk %d of %d: no answer from TikTok, sending it again", index + 1, plan.count)
        return index
    watch.last_activity = time.monotonic()
    resume = resume_index(progress, plan.ranges(), plan.video_size)  # where TikTok's range says it stands, if used
    if 200 <= status < 300:
        if index < plan.count - 1:
            return index + 1  # not the last part
        if status != 201 and not tries:
            return index  # not TikTok's documented 201: settled by sending the last part again
        # A 201, or a 2xx to a resend of the last part: TikTok holds it, unless its range names an earlier part.
        if status == 201 or progress is None:
            return plan.count
        if resume is not None:  # the whole file, or this last part or an earlier one
            return resume
    elif status >= 500:
        logger.warning("chunk %d of %d: TikTok answered HTTP %d, sending it again", index + 1, plan.count, status)
        return index
    elif status == 416:
        # TikTok's range says where it stands. It is followed only where it is consistent with what went out:
        # TikTok can hold no more than the parts whose bytes were all written (aiohttp may have sent this one in a
        # first attempt that it resent by itself). A range covering the whole file after the last part went out
        # is completion.
        if resume is not None and (resume <= index or resume <= watch.written_through + 1):
            return resume
    raise TransferError(_put_failure(status, index, plan.count))


def _put_failure(status: int, index: int, count: int) -> str:
    part = f"part {index + 1} of {count}"
    if status == 403:
        return (
            f"TikTok refused {part} of the video because the upload link expired (it lasts one hour). Run the step "
            "again to start a fresh upload; nothing was posted."
        )
    if status == 404:
        return f"TikTok no longer knows this upload ({part}). Run the step again; nothing was posted."
    if status in (200, 206, 416):
        return (
            f"TikTok and the integration disagree on how much of the video arrived ({part}). Run the step again; "
            "nothing was posted."
        )
    return (
        f"TikTok rejected {part} of the video (HTTP {status}). Run the step again; if it keeps happening, "
        "report it with this message. Nothing was posted."
    )
