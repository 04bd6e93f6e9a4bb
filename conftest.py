"""This standalone repository's pytest root: its own suites' sandbox fixtures, and the `env_credentials` helper that
the integrations monorepo's root conftest.py gives the live tests. Not part of the exported folder (in Autohive's
monorepo the root conftest.py is the monorepo's).

Unlike the monorepo's, it does not load .env: `make live-test` does, so that no offline suite ever sees a real token."""

import os

import pytest

pytest_plugins = ("sandbox.fixtures",)


@pytest.fixture
def env_credentials():
    """A variable's value from the environment, or None when it is unset or empty (the monorepo's helper)."""

    def read(name: str) -> str | None:
        return os.environ.get(name) or None

    return read
