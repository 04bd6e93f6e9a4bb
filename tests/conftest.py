"""Fixtures for the TikTok tests, written to run wherever Autohive's CI runs them.

They need nothing beyond requirements.txt, pytest, pytest-asyncio and pytest-cov, and work with or without the
monorepo's root conftest.py (whose `mock_context` this file's own fixture overrides here), alone or beside other
integrations' tests in one run. The doubles follow Autohive's unit-test guide: a MagicMock context whose `fetch` is
an AsyncMock returning FetchResponse objects for requests to TikTok's API, and a real aiohttp.web server on
127.0.0.1 for what the integration moves with its own sessions (link downloads, chunk uploads).

Plain helpers and constants live in tiktok_testkit.py beside this file, imported by that unique name: every
integration's tests folder is a package named `tests`, so nothing here is ever imported as `tests.*`.
"""

import asyncio
import socket
import sys
from pathlib import Path
from unittest.mock import AsyncMock, MagicMock

import aiohttp
import pytest
from aiohttp import web

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.append(str(HERE))  # tiktok_testkit.py, by a name no other integration's tests use

import tiktok_testkit  # noqa: E402

if Path(tiktok_testkit.__file__).resolve().parent != HERE:
    raise ImportError(f"tiktok_testkit was imported from {tiktok_testkit.__file__}, not from {HERE}")

import tiktok_api  # noqa: E402 - the integration's modules, importable once tiktok_testkit is
import tiktok_posting  # noqa: E402
import tiktok_transfer  # noqa: E402


def pytest_configure(config):
    """What the monorepo's pyproject.toml sets for these tests, set here too so that the folder's tests run the
    same without that file above them: the markers, and pytest-asyncio's auto mode for the plain `async def`
    tests (unless --asyncio-mode is given)."""
    for marker in (
        "unit: offline tests (no network, no credentials)",
        "integration: live tests against real TikTok; need TIKTOK_ACCESS_TOKEN",
        "destructive: live tests that post to the connected TikTok account",
    ):
        config.addinivalue_line("markers", marker)
    if config.getoption("asyncio_mode", None) is None:
        config.option.asyncio_mode = "auto"


@pytest.fixture(scope="session")
def tiktok_module():
    return tiktok_testkit.load_entry_module()


@pytest.fixture(scope="session")
def integration(tiktok_module):
    return tiktok_module.tiktok


@pytest.fixture(autouse=True)
def no_waiting(monkeypatch, tiktok_module):
    """Retry and poll pauses are module constants so that tests run without real waiting."""
    monkeypatch.setattr(tiktok_api, "READ_RETRY_DELAYS_S", (0.0, 0.0))
    monkeypatch.setattr(tiktok_posting, "STATUS_POLL_INTERVAL_S", 0.01)
    monkeypatch.setattr(tiktok_transfer, "CHUNK_RETRY_DELAY_S", 0.0)


async def _no_lookup(self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET):
    raise OSError(f"{host} is not looked up in the tests")


@pytest.fixture(autouse=True)
def offline(monkeypatch):
    """The shipped tests never reach the network: a link to a made-up host (a photo or pull link the preflight
    reads) fails at once, as an unresolvable name does, instead of waiting on DNS. Links on the loopback server
    are addresses, never looked up."""
    monkeypatch.setattr(aiohttp.ThreadedResolver, "resolve", _no_lookup)


@pytest.fixture
def clock(monkeypatch, tiktok_module):
    """A FakeClock as the entry module's time.monotonic() and asyncio.sleep(): the step budget, read retries and
    status polling run on it, and a fetch double that stands for a slow answer calls clock.advance(seconds)."""
    fake = tiktok_testkit.FakeClock()
    for module in (tiktok_api, tiktok_posting):  # the step budget and read retries; status polling
        monkeypatch.setattr(module, "time", fake.time_module())
        monkeypatch.setattr(module, "asyncio", fake.asyncio_module())
    return fake


@pytest.fixture
def mock_context():
    ctx = MagicMock(name="ExecutionContext")
    ctx.fetch = AsyncMock(name="fetch")
    ctx.auth = {"auth_type": "PlatformOauth2", "credentials": {"access_token": tiktok_testkit.TOKEN}}
    ctx.config = {"max_retries": 3, "timeout": 30}
    return ctx


@pytest.fixture
async def loopback(monkeypatch, tiktok_module):
    """A LoopbackServer on 127.0.0.1, admitted by the link guard for this test only. The test's event loop and the
    integration's time.monotonic() run on a FastForward clock, which the server moves on while it leaves a request
    unanswered: a stall costs no real time."""
    loop = asyncio.get_running_loop()
    fast_forward = tiktok_testkit.FastForward(loop)
    monkeypatch.setattr(loop, "time", fast_forward.loop_time)
    for module in (tiktok_api, tiktok_posting, tiktok_transfer):
        monkeypatch.setattr(module, "time", fast_forward.time_module())
    server = tiktok_testkit.LoopbackServer()
    server.fast_forward = fast_forward
    app = web.Application(client_max_size=2**30)
    app.router.add_route("*", "/{tail:.*}", server.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    server.base = f"http://127.0.0.1:{port}"
    monkeypatch.setattr(tiktok_transfer, "link_guard", tiktok_testkit.LoopbackGuard(port))
    try:
        yield server
    finally:
        server.released.set()
        await runner.cleanup()
