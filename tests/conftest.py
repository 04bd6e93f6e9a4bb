"""Puts the integration folder on sys.path, loads it the way the platform does, and provides the doubles.

Two kinds of doubles (shared/docs/autohive-conventions.md §5): `mock_context`, a MagicMock whose fetch is an
AsyncMock returning FetchResponse objects, for request-shape tests; and `sandbox` + `context`, a real
ExecutionContext whose HTTP is answered by the TikTok sandbox through aioresponses.
"""

import sys
import types
from pathlib import Path
from unittest.mock import AsyncMock, MagicMock

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from autohive_integrations_sdk import FetchResponse  # noqa: E402
from autohive_integrations_sdk import integration as sdk_module  # noqa: E402

from sandbox import TikTokSandbox  # noqa: E402
from sandbox.platform import load_integration, make_context  # noqa: E402

# A fake token for tests.
TOKEN = "act.test-token"  # nosec B105


@pytest.fixture(scope="session")
def tiktok_module():
    return load_integration()


@pytest.fixture(scope="session")
def integration(tiktok_module):
    return tiktok_module.tiktok


@pytest.fixture(autouse=True)
def no_waiting(monkeypatch, tiktok_module):
    """Retry and poll pauses are module constants so tests run without real waiting."""
    import tiktok_media

    monkeypatch.setattr(tiktok_module, "READ_RETRY_DELAYS_S", (0.0, 0.0))
    monkeypatch.setattr(tiktok_module, "STATUS_POLL_INTERVAL_S", 0.01)
    monkeypatch.setattr(tiktok_media, "CHUNK_RETRY_DELAY_S", 0.0)


@pytest.fixture
def instant_sdk_backoff(monkeypatch):
    """The SDK sleeps 1-2-4 s between its own retries; tests that provoke them skip the wait."""
    import asyncio

    async def no_sleep(_seconds):
        await asyncio.sleep(0)

    shim = types.SimpleNamespace(sleep=no_sleep, TimeoutError=asyncio.TimeoutError)
    monkeypatch.setattr(sdk_module, "asyncio", shim)


@pytest.fixture
def sandbox():
    with TikTokSandbox() as sb:
        yield sb


@pytest.fixture
async def context(sandbox):
    async with make_context(sandbox.token) as ctx:
        yield ctx


def ok(data=None, status=200, log_id="202611210000000000000000000000LOG"):
    """A successful TikTok v2 envelope as FetchResponse."""
    body = {"data": data if data is not None else {}, "error": {"code": "ok", "message": "", "log_id": log_id}}
    return FetchResponse(status=status, headers={"Content-Type": "application/json"}, data=body)


@pytest.fixture
def mock_context():
    ctx = MagicMock(name="context")
    ctx.fetch = AsyncMock(name="fetch")
    ctx.auth = {"auth_type": "PlatformOauth2", "credentials": {"access_token": TOKEN}}
    return ctx
