"""Running the integration the way the Autohive platform does, outside the platform.

In production the SDK is vendored into dependencies/ beside config.json, and the no-argument
`Integration.load()` finds config.json from there. From a virtualenv it would look inside site-packages, so
this module points it at the repository's config.json before the entry point is imported.
"""

import importlib
from pathlib import Path

from autohive_integrations_sdk import ExecutionContext, Integration

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "config.json"


def load_integration():
    """Import tiktok.py with Integration.load() resolving config.json beside it; returns the module."""
    original = Integration.load.__func__
    if not getattr(Integration.load, "_tiktok_local", False):

        def load(cls, config_path=None):
            return original(cls, config_path or CONFIG)

        patched = classmethod(load)
        load._tiktok_local = True
        Integration.load = patched
    return importlib.import_module("tiktok")


def platform_auth(access_token: str) -> dict:
    """The envelope the platform passes for platform OAuth."""
    return {"auth_type": "PlatformOauth2", "credentials": {"access_token": access_token}}


def make_context(access_token: str) -> ExecutionContext:
    return ExecutionContext(auth=platform_auth(access_token))
