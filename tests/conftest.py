"""Fixtures for the TikTok tests, written to run wherever Autohive's CI runs them.

They need nothing beyond requirements.txt, pytest, pytest-asyncio and pytest-cov, and work with or without the
monorepo's root conftest.py (whose `mock_context` this file's own fixture overrides here). The doubles follow
Autohive's unit-test guide: a MagicMock context whose `fetch` is an AsyncMock returning FetchResponse objects for
requests to TikTok's API, and a real aiohttp.web server on 127.0.0.1 for what the integration moves with its own
sessions (link downloads, chunk uploads).
"""

import importlib.util
import sys
from pathlib import Path
from unittest.mock import AsyncMock, MagicMock

import aiohttp
import pytest
from aiohttp import web
from autohive_integrations_sdk import FetchResponse, Integration
from yarl import URL

FOLDER = Path(__file__).resolve().parent.parent
if str(FOLDER) not in sys.path:
    sys.path.insert(0, str(FOLDER))  # the entry module imports its sibling modules by their own names

import tiktok_media  # noqa: E402

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


@pytest.fixture(scope="session")
def tiktok_module():
    return load_entry_module()


@pytest.fixture(scope="session")
def integration(tiktok_module):
    return tiktok_module.tiktok


@pytest.fixture(autouse=True)
def no_waiting(monkeypatch, tiktok_module):
    """Retry and poll pauses are module constants so that tests run without real waiting."""
    monkeypatch.setattr(tiktok_module, "READ_RETRY_DELAYS_S", (0.0, 0.0))
    monkeypatch.setattr(tiktok_module, "STATUS_POLL_INTERVAL_S", 0.01)
    monkeypatch.setattr(tiktok_media, "CHUNK_RETRY_DELAY_S", 0.0)


@pytest.fixture
def mock_context():
    ctx = MagicMock(name="ExecutionContext")
    ctx.fetch = AsyncMock(name="fetch")
    ctx.auth = {"auth_type": "PlatformOauth2", "credentials": {"access_token": TOKEN}}
    ctx.config = {"max_retries": 3, "timeout": 30}
    return ctx


def ok(data=None, status=200, log_id=LOG_ID):
    """A successful TikTok v2 envelope, as context.fetch hands it back."""
    body = {"data": data if data is not None else {}, "error": {"code": "ok", "message": "", "log_id": log_id}}
    return FetchResponse(status=status, headers={"Content-Type": "application/json"}, data=body)


# ---- A loopback server for the integration's own sessions ----------------------------------------------------------


class LoopbackGuard(tiktok_media.LinkGuard):
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

    Uploads answer as TikTok documents (206 for a part, 201 after the last one) unless `put_answers` holds
    scripted answers, each a status or a (status, headers) pair, used in order."""

    def __init__(self):
        self.files: dict[str, dict] = {}
        self.requests: list[dict] = []
        self.put_answers: list = []
        self.received = bytearray()
        self.base = ""

    def url(self, path: str) -> str:
        return f"{self.base}{path}"

    def host(self, path: str, body: bytes, *, length: bool = True, status: int = 200, headers=None) -> str:
        self.files[path] = {"body": body, "length": length, "status": status, "headers": headers or {}}
        return self.url(path)

    @property
    def puts(self) -> list[dict]:
        return [r for r in self.requests if r["method"] == "PUT"]

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        self.requests.append(
            {"method": request.method, "path": request.path_qs, "headers": dict(request.headers), "body": body}
        )
        if request.method == "PUT":
            return self._answer_put(request, body)
        hosted = self.files.get(request.path)
        if hosted is None:
            return web.Response(status=404)
        if not hosted["length"]:
            response = web.StreamResponse(status=hosted["status"], headers=hosted["headers"])
            response.enable_chunked_encoding()
            await response.prepare(request)
            await response.write(hosted["body"])
            await response.write_eof()
            return response
        return web.Response(status=hosted["status"], body=hosted["body"], headers=hosted["headers"])

    def _answer_put(self, request: web.Request, body: bytes) -> web.Response:
        if self.put_answers:
            answer = self.put_answers.pop(0)
            status, headers = answer if isinstance(answer, tuple) else (answer, {})
            return web.Response(status=status, headers=headers)
        first, last, total = _content_range(request.headers.get("Content-Range", ""))
        if first != len(self.received) or last - first + 1 != len(body):
            return web.Response(status=416, headers={"Content-Range": f"bytes 0-{len(self.received) - 1}/{total}"})
        self.received += body
        return web.Response(status=201 if last + 1 == total else 206)


def _content_range(value: str) -> tuple[int, int, int]:
    span, _, total = value.removeprefix("bytes ").partition("/")
    first, _, last = span.partition("-")
    return int(first), int(last), int(total)


@pytest.fixture
async def loopback(monkeypatch):
    """A LoopbackServer on 127.0.0.1, admitted by the link guard for this test only."""
    server = LoopbackServer()
    app = web.Application(client_max_size=2**30)
    app.router.add_route("*", "/{tail:.*}", server.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    server.base = f"http://127.0.0.1:{port}"
    monkeypatch.setattr(tiktok_media, "link_guard", LoopbackGuard(port))
    try:
        yield server
    finally:
        await runner.cleanup()
