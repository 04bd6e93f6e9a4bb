"""`make live-test`: refresh the stored TikTok token when under an hour is left, run the live suite
(tests/test_tiktok_integration.py, marker `integration`) with .env's variables, and add a dated summary to
docs/live-runs.md: one line per action and trigger, passed, failed, or skipped and why.

    python -m tools.live_run [pytest options, e.g. -k get_user]

Posting actions run only with TIKTOK_LIVE_POSTS=1 (in the environment or .env). Repository-only.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tools.tiktok_login import LoginError, env_file, read_env, refresh

ROOT = Path(__file__).resolve().parent.parent
LIVE_TESTS = ROOT / "tests" / "test_tiktok_integration.py"
SUMMARY = ROOT / "docs" / "live-runs.md"
TRIGGERS = ("new_video", "video_reached_views")  # polling triggers the live suite runs


def subjects() -> list[str]:
    """Every action in config.json and every polling trigger, in the order the summary lists them."""
    config = json.loads((ROOT / "config.json").read_text())
    return list(dict.fromkeys([*config["actions"], *config.get("polling_triggers", {}), *TRIGGERS]))


def subject_of(test_name: str, names: list[str]) -> str | None:
    """The action a test runs: its name starts with `test_<action>_`; the longest name that fits wins, where one
    action's name starts with another's and an underscore."""
    bare = test_name.removeprefix("test_") + "_"
    fitting = [name for name in names if bare.startswith(name + "_")]
    return max(fitting, key=len, default=None)


class Outcomes:
    """A pytest plugin that keeps each live test's outcome by the action it runs."""

    def __init__(self, names: list[str]):
        self.names = names
        self.results: dict[str, list[str]] = {}

    def pytest_runtest_logreport(self, report):
        if report.when != "call" and not (report.skipped or report.failed):
            return
        name = subject_of(report.nodeid.rpartition("::")[2].partition("[")[0], self.names)
        if name is None:
            return
        if report.skipped:
            reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
            outcome = f"skipped ({reason.removeprefix('Skipped: ')})"
        elif report.failed:
            message = report.longrepr.reprcrash.message if hasattr(report.longrepr, "reprcrash") else "failed"
            outcome = f"failed ({message.splitlines()[0][:200] if message else report.when})"
        else:
            outcome = "passed"
        self.results.setdefault(name, []).append(outcome)

    def lines(self) -> list[str]:
        return [f"- `{name}`: {'; '.join(self.results.get(name, ['not run']))}" for name in self.names]


def write_summary(lines: list[str], now: datetime, exit_code: int, path: Path) -> None:
    heading = f"## {now.strftime('%Y-%m-%d %H:%M')} UTC (pytest exit status {exit_code})"
    existing = path.read_text(encoding="utf-8") if path.is_file() else "# Live runs\n"
    path.write_text(existing.rstrip("\n") + "\n\n" + "\n".join([heading, "", *lines]) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    path = env_file()
    try:
        asyncio.run(refresh(path=path))
    except LoginError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    for key, value in read_env(path).items():  # as the monorepo's conftest does: the environment wins
        os.environ.setdefault(key, value)
    outcomes = Outcomes(subjects())
    args = [str(LIVE_TESTS), "-m", "integration", "-p", "no:cacheprovider", *(argv or [])]
    exit_code = int(pytest.main(args, plugins=[outcomes]))
    write_summary(outcomes.lines(), datetime.now(UTC), exit_code, SUMMARY)
    print(f"summary added to {SUMMARY}")
    return exit_code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
