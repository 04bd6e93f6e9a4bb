"""Stand-in for the integrations monorepo's root conftest.py, written from its documented behaviour (not copied):
Integration.load() resolves config.json beside the calling module, and bare `mock_context` and `env_credentials`
fixtures exist.
tools/export_ci.py places it above the exported folder to prove the tests work beside it."""

import inspect
import os
from pathlib import Path
from unittest.mock import AsyncMock, MagicMock

import pytest
from autohive_integrations_sdk import Integration

_original_load = Integration.load.__func__


def _load_beside_caller(cls, config_path=None):
    if config_path is None:
        config_path = Path(inspect.stack()[1].filename).resolve().parent / "config.json"
    return _original_load(cls, config_path)


Integration.load = classmethod(_load_beside_caller)


@pytest.fixture
def mock_context():
    ctx = MagicMock(name="ExecutionContext")
    ctx.fetch = AsyncMock(name="fetch")
    ctx.auth = {}
    return ctx


@pytest.fixture
def env_credentials():
    def read(name):
        return os.environ.get(name) or None

    return read
