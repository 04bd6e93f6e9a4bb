"""Shared helpers of the TikTok unit tests: TikTok's contract spelled out literally (URLs, fields, envelopes), the
expected shape of a context.fetch call, media built byte by byte, and a loopback server for the integration's own
sessions.

Its name is the integration's own on purpose. Every integration in Autohive's monorepo has a package named `tests`,
and several folders run in one pytest (`pytest hackernews/ tiktok/`), so `from tests.conftest import ...` would get
whichever folder's `tests` was imported first. tests/conftest.py makes this module importable as `tiktok_testkit`
(no other integration uses that name); the test files import it by that name and nothing from `tests.*`.
It imports nothing from pytest, so the standalone repository's sandbox and benchmark use it too.
"""

import asyncio
import base64
import hashlib
import importlib.util
import json
import re
import struct
import sys
import time
import types
from pathlib import Path
from unittest.mock import call

import aiohttp
from aiohttp import web
from autohive_integrations_sdk import FetchResponse, HTTPError, Integration, RateLimitError, ResultType
from yarl import URL

FOLDER = Path(__file__).resolve().parent.parent
if str(FOLDER) not in sys.path:
    sys.path.insert(0, str(FOLDER))  # the entry module imports its sibling modules by their own names

import tiktok_transfer  # noqa: E402

# In the monorepo the folder itself is named `tiktok`, so `import tiktok` would find the folder's package: the
# entry module is loaded from its file under a name of its own.
ENTRY_MODULE = "tiktok_integration_under_test"

TOKEN = "act.test-token-0123456789abcdef"  # nosec B105
LOG_ID = "20261121093000A1B2C3D4E5F6A7B8C9D0"


def load_entry_module():
    """tiktok.py as the platform loads it, with its no-argument Integration.load() finding config.json beside it
    (the SDK looks inside its own package when it is installed in a virtualenv rather than vendored)."""
    if ENTRY_MODULE in sys.modules:
        return sys.modules[ENTRY_MODULE]
    spec = importlib.util.spec_from_file_location(ENTRY_MODULE, FOLDER / "tiktok.py")
    module = importlib.util.module_from_spec(spec)
    original = Integration.load
    Integration.load = classmethod(lambda cls, config_path=None: original.__func__(cls, FOLDER / "config.json"))
    sys.modules[ENTRY_MODULE] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[ENTRY_MODULE]
        raise
    finally:
        Integration.load = original
    return module


def ok(data=None, status=200, log_id=LOG_ID):
    """A successful TikTok v2 envelope, as context.fetch hands it back."""
    body = {"data": data if data is not None else {}, "error": {"code": "ok", "message": "", "log_id": log_id}}
    return FetchResponse(status=status, headers={"Content-Type": "application/json"}, data=body)


# ---- A fake clock -------------------------------------------------------------------------------------------------

_real_sleep = asyncio.sleep


class FakeClock:
    """Time for the step budget without waiting: stands in for time.monotonic() and asyncio.sleep() in the entry
    module (the `clock` fixture puts it there). Time moves only when the code sleeps, or when a test says how long
    a request took (`advance`), so a test about the budget takes no time and always sees the same times."""

    def __init__(self, now: float = 1000.0):
        self.now = now
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    async def sleep(self, seconds, result=None):
        self.slept.append(seconds)
        self.now += max(0.0, seconds)
        await _real_sleep(0)  # still a suspension point, as a real sleep is
        return result

    def time_module(self):
        return types.SimpleNamespace(**{**vars(time), "monotonic": self.monotonic})

    def asyncio_module(self):
        return types.SimpleNamespace(**{**vars(asyncio), "sleep": self.sleep})


class FastForward:
    """Virtual time for a test's event loop and for time.monotonic() in the integration's modules: real time plus
    what `forward()` added. While the loopback server leaves a request unanswered, it moves time on in small steps
    until the client gives up, so the read timeout or deadline the integration waits for fires at once, and its
    timers still fire in their real order (the `loopback` fixture installs it)."""

    STEP_S = 0.05
    LIMIT_S = 120.0  # a client still waiting after this much virtual time is a bug: the server then waits for real

    def __init__(self, loop):
        self.offset = 0.0
        self._real_loop_time = loop.time

    def loop_time(self) -> float:
        return self._real_loop_time() + self.offset

    def monotonic(self) -> float:
        return time.monotonic() + self.offset

    def forward(self, seconds: float) -> None:
        self.offset += seconds

    def time_module(self):
        return types.SimpleNamespace(**{**vars(time), "monotonic": self.monotonic})

    async def while_unanswered(self, request: web.Request, released: asyncio.Event) -> None:
        """Move time on while `request`'s client still waits for an answer and the test has not ended."""
        moved = 0.0
        while not released.is_set() and moved < self.LIMIT_S:
            transport = request.transport
            if transport is None or transport.is_closing():
                return  # the client gave up and closed the connection
            self.forward(self.STEP_S)
            moved += self.STEP_S
            await _real_sleep(0)
        await released.wait()


# ---- Requests and answers ------------------------------------------------------------------------------------------
# TikTok's contract is spelled out literally here, never imported from the code under test. `request` is the one
# place that knows the shape of a context.fetch call: a change to it is a one-line edit.

USER_INFO = "https://open.tiktokapis.com/v2/user/info/"
CREATOR_INFO = "https://open.tiktokapis.com/v2/post/publish/creator_info/query/"
VIDEO_INIT = "https://open.tiktokapis.com/v2/post/publish/video/init/"
INBOX_INIT = "https://open.tiktokapis.com/v2/post/publish/inbox/video/init/"
CONTENT_INIT = "https://open.tiktokapis.com/v2/post/publish/content/init/"
STATUS = "https://open.tiktokapis.com/v2/post/publish/status/fetch/"
VIDEO_LIST = "https://open.tiktokapis.com/v2/video/list/"
VIDEO_QUERY = "https://open.tiktokapis.com/v2/video/query/"

JSON_UTF8 = {"Content-Type": "application/json; charset=UTF-8"}
TIMEOUT = 15

BASIC_FIELDS = "open_id,union_id,avatar_url,avatar_url_100,avatar_large_url,display_name"
PROFILE_FIELDS = "username,bio_description,profile_deep_link,profile_web_link,is_verified"
STATS_FIELDS = "follower_count,following_count,likes_count,video_count"
ALL_USER_FIELDS = f"{BASIC_FIELDS},{PROFILE_FIELDS},{STATS_FIELDS}"
VIDEO_FIELDS = (
    "id,title,video_description,create_time,cover_image_url,share_url,embed_link,duration,width,height,"
    "like_count,comment_count,share_count,view_count"
)

VERIFIED = "https://media.sandbox.example/verified/"
PULL_URL = VERIFIED + "clip.mp4"
PHOTOS = [VERIFIED + "one.webp", VERIFIED + "two.webp", VERIFIED + "three.webp"]
BIG_ID = 7321456789012345678  # a 19-digit id: a float would round it to ...5680
BIG_ID_TEXT = "7321456789012345678"
PUBLISH_ID = "v_pub_file~v2-1.7321456789012345678"

BASIC_USER = {
    "open_id": "-000abc123",
    "union_id": "c9c60f44-union",
    "avatar_url": "https://p16.example/a~168.jpeg",
    "avatar_url_100": "https://p16.example/a~100.jpeg",
    "avatar_large_url": "https://p16.example/a~1080.jpeg",
    "display_name": "Ada Lovelace",
}
PROFILE_USER = {
    "username": "ada.films",
    "bio_description": "Short films.",
    "profile_deep_link": "https://vm.tiktok.com/ZMabc/",
    "profile_web_link": "https://www.tiktok.com/@ada.films",
    "is_verified": False,
}
STATS_USER = {"follower_count": 1234, "following_count": 56, "likes_count": 78901, "video_count": 45}


def request(url, method="POST", params=None, body=None):
    """The exact context.fetch call the integration makes for one TikTok request."""
    return call(url, method=method, params=params, json=body, headers=JSON_UTF8, timeout=TIMEOUT, retry_count=3)


def envelope(code, message="", log_id=LOG_ID, log_key="log_id"):
    return {"data": {}, "error": {"code": code, "message": message, log_key: log_id}}


def tiktok_error(status, code, message=None, log_id=LOG_ID, log_key="log_id"):
    """A TikTok error delivered the way the SDK hands it over: 200 as a FetchResponse, 429 as RateLimitError with
    the JSON body as text, any other status as HTTPError with the parsed JSON body."""
    body = envelope(code, f"TikTok says {code}." if message is None else message, log_id, log_key)
    if status == 200:
        return FetchResponse(status=200, headers={"Content-Type": "application/json"}, data=body)
    if status == 429:
        return RateLimitError(60, 429, "Rate limit exceeded", json.dumps(body))
    return HTTPError(status, str(body), body)


def raise_(error):
    raise error


def always(mock_context, answer):
    """Every fetch gets the same answer: raised if it is an exception, returned otherwise."""
    if isinstance(answer, BaseException):
        mock_context.fetch.side_effect = answer
    else:
        mock_context.fetch.return_value = answer


def answers_by_url(*pairs):
    """A fetch side effect answering by URL, from (url, answer) pairs; an exception is raised, anything else
    returned. A URL that has no answer fails the test."""
    answers = dict(pairs)

    def answer(url, **_kwargs):
        value = answers[url]
        if isinstance(value, BaseException):
            raise value
        return value

    return answer


def fetched(mock_context):
    return mock_context.fetch.await_args_list


def urls(mock_context):
    return [c.args[0] for c in fetched(mock_context)]


def data_of(result):
    assert result.type == ResultType.ACTION, result.result
    return result.result.data


def message_of(result):
    assert result.type == ResultType.ACTION_ERROR, result.result
    return result.result.message


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def sha256(data) -> str:
    return hashlib.sha256(data).hexdigest()


def creator(**changes):
    data = {
        "creator_avatar_url": "https://p16.tiktokcdn.example/avatar.jpeg",
        "creator_username": "ada.films",
        "creator_nickname": "Ada Films",
        "privacy_level_options": ["PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "SELF_ONLY"],
        "comment_disabled": False,
        "duet_disabled": False,
        "stitch_disabled": False,
        "max_video_post_duration_sec": 300,
    }
    data.update(changes)
    return data


def video(video_id, likes=0, comments=0, shares=0, views=0, **extra):
    return {
        "id": video_id,
        "like_count": likes,
        "comment_count": comments,
        "share_count": shares,
        "view_count": views,
        **extra,
    }


def videos(count, start=7300000000000000000):
    return [video(str(start + n), views=10) for n in range(count)]


def status_data(status, **extra):
    return {"status": status, **extra}


UPLOAD_PATH = "/upload/?upload_id=7321456789&upload_token=upload-token-0123"
# What aiohttp's client adds to every request by itself; the rest of a PUT's headers are the integration's own.
CLIENT_DEFAULT_HEADERS = ("Host", "Accept", "Accept-Encoding", "User-Agent")


def upload_answers(loopback, init_url, publish_id="v_pub_file~v2-1.7321456789", creator_data=None, **more):
    """A fetch side effect for an upload: creator info (when given) and an init answer whose upload_url points at
    the loopback server. `more` maps further URLs to answers."""
    pairs = [(init_url, ok({"publish_id": publish_id, "upload_url": loopback.url(UPLOAD_PATH)}))]
    if creator_data is not None:
        pairs.append((CREATOR_INFO, ok(creator_data)))
    return answers_by_url(*pairs, *more.items())


def sent_headers(record) -> dict:
    """The headers the integration itself set on a request the loopback server received."""
    return {k: v for k, v in record["headers"].items() if k not in CLIENT_DEFAULT_HEADERS}


MP4 = b64(bytes.fromhex("00000018667479706973736f6d0000020069736f6d69736f32") + bytes(200))


# ---- Small but well-formed videos: the container headers a client looks at, then zero padding ----------------------


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I4s", 8 + len(payload), kind) + payload


def make_mp4(size: int, duration_s: float = 10.0, brand: bytes = b"isom") -> bytes:
    """An MP4 (or, with brand b"qt  ", a MOV) of exactly `size` bytes: ftyp, moov/mvhd (timescale 1000), mdat."""
    mvhd = _box(b"mvhd", bytes(4) + bytes(8) + struct.pack(">II", 1000, round(duration_s * 1000)) + bytes(80))
    head = _box(b"ftyp", brand + struct.pack(">I", 0x200) + brand + b"iso2") + _box(b"moov", mvhd)
    return head + struct.pack(">I4s", size - len(head), b"mdat") + bytes(size - len(head) - 8)


def make_mov(size: int, duration_s: float = 10.0) -> bytes:
    return make_mp4(size, duration_s, b"qt  ")


def make_webm(size: int) -> bytes:
    """A WebM of exactly `size` bytes: an EBML header whose DocType is webm, then padding."""
    head = b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm"
    return head + bytes(size - len(head))


# ---- A loopback server for the integration's own sessions ----------------------------------------------------------


class LoopbackGuard(tiktok_transfer.LinkGuard):
    """The production guard, except that it admits the test's own server on 127.0.0.1 over plain http (a loopback
    server has no certificate TikTok's https rule could check)."""

    def __init__(self, port: int):
        self.port = port

    def _ours(self, url) -> bool:
        try:
            parsed = URL(str(url))
        except (TypeError, ValueError):
            return False
        return parsed.scheme == "http" and parsed.host == "127.0.0.1" and parsed.port == self.port

    def check_link(self, url, what="video link"):
        return URL(url) if self._ours(url) else super().check_link(url, what)

    def check_upload_url(self, upload_url):
        return upload_url if self._ours(upload_url) else super().check_upload_url(upload_url)

    def download_connector(self):
        return aiohttp.TCPConnector(use_dns_cache=False)


class LoopbackServer:
    """Hosts videos at paths and plays TikTok's upload endpoint; records every request it gets.

    `host(path, body, length=False)` serves without Content-Length (chunked); `cut_after=N` sends N bytes of the
    body and then drops the connection; `stall_on_get=k` sends half of the k-th GET's body, then nothing more
    (time fast-forwards until the client gives up); `cut_on_get=k` sends half of the k-th GET's body, then drops
    the connection; a GET with a Range header gets 206 and Content-Range, as most
    hosts answer, unless `ranges=False` (a host that ignores Range and always sends the whole file). Uploads answer as
    TikTok documents (206 for a part, 201 after the last one, 416 with TikTok's progress header `bytes 0-N/T` when
    a part does not continue what arrived) unless `put_answers` holds scripted answers, used in order, each one of:
      - None: answered as TikTok does;
      - a status, or a (status, headers) pair: answered at once, the part discarded;
      - "stall": no answer at all: time fast-forwards (FastForward) until the client gives up;
      - "lost": the part is kept, but the answer never comes (TikTok stored it, the reply was lost);
      - "reset" / "stored-reset": the connection drops before any answer, the part discarded / kept (aiohttp then
        resends a PUT by itself, once, on a fresh connection: that resend takes the next answer).
    `progress_as_count` writes N in the progress header as a byte count instead of the last byte held (the
    guide's wording allows both readings)."""

    def __init__(self):
        self.files: dict[str, dict] = {}
        self.requests: list[dict] = []
        self.put_answers: list = []
        self.received = bytearray()
        self.progress_as_count = False
        self.base = ""
        self.released = asyncio.Event()
        self.fast_forward: FastForward | None = None

    def url(self, path: str) -> str:
        return f"{self.base}{path}"

    def host(
        self,
        path: str,
        body: bytes,
        *,
        length: bool = True,
        status: int = 200,
        headers=None,
        ranges: bool = True,
        cut_after=None,
        stall_on_get=None,
        cut_on_get=None,
    ) -> str:
        self.files[path] = {
            "body": body,
            "length": length,
            "status": status,
            "headers": headers or {},
            "ranges": ranges,
            "cut_after": cut_after,
            "stall_on_get": stall_on_get,
            "cut_on_get": cut_on_get,
        }
        return self.url(path)

    def served(self, path: str) -> list[tuple[str | None, int]]:
        """(Range header, bytes sent) of every GET of `path`, in order."""
        return [
            (r["headers"].get("Range"), r["sent"])
            for r in self.requests
            if r["method"] == "GET" and r["path"].split("?")[0] == path
        ]

    @property
    def puts(self) -> list[dict]:
        return [r for r in self.requests if r["method"] == "PUT"]

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        record = {
            "method": request.method,
            "path": request.path_qs,
            "raw_path": request.raw_path,
            "headers": dict(request.headers),
            "body": body,
        }
        self.requests.append(record)
        if request.method == "PUT":
            record["status"] = None  # until answered: a stalled or lost answer stays None
            response = await self._answer_put(request, body)
            if response is None:  # no answer: the client gave up (or the test ended), the status stays None
                return web.Response(status=504)
            record["status"] = response.status
            return response
        hosted = self.files.get(request.path)
        if hosted is None:
            return web.Response(status=404)
        status, body, headers = hosted["status"], hosted["body"], dict(hosted["headers"])
        if "Range" in request.headers and hosted["ranges"] and status == 200:
            span = _byte_range(request.headers["Range"], len(body))
            if span is None:
                self.requests[-1]["sent"] = 0
                return web.Response(status=416, headers={"Content-Range": f"bytes */{len(body)}"})
            first, last = span
            status, body = 206, body[first : last + 1]
            headers["Content-Range"] = f"bytes {first}-{last}/{len(hosted['body'])}"
        self.requests[-1]["sent"] = len(body)
        if hosted["stall_on_get"] == len(self.served(request.path)):
            response = web.StreamResponse(status=status, headers=headers)
            response.content_length = len(body)
            await response.prepare(request)
            await response.write(body[: len(body) // 2])
            await self.fast_forward.while_unanswered(request, self.released)
            return response
        if hosted["cut_after"] is not None or hosted["cut_on_get"] == len(self.served(request.path)):
            response = web.StreamResponse(status=status, headers=headers)
            if hosted["length"]:
                response.content_length = len(body)
            else:
                response.enable_chunked_encoding()
            await response.prepare(request)
            await response.write(body[: len(body) // 2 if hosted["cut_after"] is None else hosted["cut_after"]])
            request.transport.close()  # what was written still goes out, then the connection drops
            return response
        if not hosted["length"]:
            # Sent in 64 KiB pieces, `sent` counting those the socket took: a client that stops reading stops this
            # (give or take what the sockets buffer).
            response = web.StreamResponse(status=status, headers=headers)
            response.enable_chunked_encoding()
            await response.prepare(request)
            self.requests[-1]["sent"] = 0
            try:
                for at in range(0, len(body), 2**16):
                    await response.write(body[at : at + 2**16])
                    self.requests[-1]["sent"] += len(body[at : at + 2**16])
                await response.write_eof()
            except ConnectionError:
                pass  # the client stopped reading and closed the connection
            return response
        return web.Response(status=status, body=body, headers=headers)

    async def _answer_put(self, request: web.Request, body: bytes) -> web.Response | None:
        answer = self.put_answers.pop(0) if self.put_answers else None
        if answer in ("reset", "stored-reset"):
            if answer == "stored-reset":
                self._store(request, body)
            request.transport.close()
            return web.Response(status=599)  # never reaches the client
        if answer == "lost":
            self._store(request, body)
            answer = "stall"
        if answer == "stall":
            await self.fast_forward.while_unanswered(request, self.released)
            return None
        if answer is not None:
            status, headers = answer if isinstance(answer, tuple) else (answer, {})
            return web.Response(status=status, headers=headers)
        return self._store(request, body)

    def _store(self, request: web.Request, body: bytes) -> web.Response:
        first, last, total = _content_range(request.headers.get("Content-Range", ""))
        if first != len(self.received) or last - first + 1 != len(body):
            return web.Response(status=416, headers={"Content-Range": self.progress(total)})
        self.received += body
        return web.Response(status=201 if last + 1 == total else 206)

    def progress(self, total: int) -> str:
        if not self.received:
            return f"bytes */{total}"
        held = len(self.received) if self.progress_as_count else len(self.received) - 1
        return f"bytes 0-{held}/{total}"


def _byte_range(value: str, size: int) -> tuple[int, int] | None:
    """(first, last) of a single `bytes=` range within a body of `size` bytes; None when it cannot be served."""
    match = re.fullmatch(r"bytes=(\d*)-(\d*)", value.strip())
    if match is None or not (match.group(1) or match.group(2)):
        return None
    if not match.group(1):
        first, last = max(0, size - int(match.group(2))), size - 1
    else:
        first = int(match.group(1))
        last = min(int(match.group(2)), size - 1) if match.group(2) else size - 1
    return (first, last) if first <= last and first < size else None


def _content_range(value: str) -> tuple[int, int, int]:
    span, _, total = value.removeprefix("bytes ").partition("/")
    first, _, last = span.partition("-")
    return int(first), int(last), int(total)


# ---- Media built byte by byte (checked with ffprobe while they were written; never a test dependency) -------------


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
