"""Pytest fixtures of this repository's own suites (not shipped): the TikTok sandbox behind a real
ExecutionContext, whose HTTP aioresponses intercepts. Loaded by the repository's root conftest.py."""

import asyncio
import types

import pytest
from autohive_integrations_sdk import integration as sdk_module

from sandbox.platform import make_context
from sandbox.tiktok_sandbox import TikTokSandbox


@pytest.fixture
def instant_sdk_backoff(monkeypatch):
    """The SDK sleeps 1-2-4 s between its own retries; tests that provoke them skip the wait."""

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
