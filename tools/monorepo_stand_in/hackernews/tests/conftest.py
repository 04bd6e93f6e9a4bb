"""The stand-in's conftest does what many of the monorepo's do: it puts its own directory on sys.path, and it
defines helpers under the generic names a test could be tempted to import from `tests.conftest` (TOKEN, ok)."""

import os
import sys

from autohive_integrations_sdk import FetchResponse

sys.path.insert(0, os.path.dirname(__file__))

TOKEN = "stand-in-token"  # nosec B105
LOG_ID = "stand-in"


def ok(data):
    return FetchResponse(status=200, headers={}, data=data)
