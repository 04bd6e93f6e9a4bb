"""Running the integration the way the Autohive platform does, outside the platform.

The entry module is loaded exactly as the shipped tests load it (tests/tiktok_testkit.py, by that unique name and
never as `tests.*`), so the sandbox suites, the runner, the demo and the bench all drive the same module instance.
"""

import sys
from pathlib import Path

from autohive_integrations_sdk import ExecutionContext

TESTS = Path(__file__).resolve().parent.parent / "tests"
if str(TESTS) not in sys.path:
    sys.path.append(str(TESTS))

import tiktok_testkit  # noqa: E402

load_entry_module = tiktok_testkit.load_entry_module


def load_integration():
    """tiktok.py with Integration.load() resolving config.json beside it; returns the module."""
    return load_entry_module()


def platform_auth(access_token: str) -> dict:
    """The envelope the platform passes for platform OAuth."""
    return {"auth_type": "PlatformOauth2", "credentials": {"access_token": access_token}}


def make_context(access_token: str) -> ExecutionContext:
    return ExecutionContext(auth=platform_auth(access_token))
