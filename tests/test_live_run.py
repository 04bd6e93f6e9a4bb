"""`make live-test`'s summary (tools/live_run.py): every action and trigger has exactly one live test, and a run
without credentials writes a dated block in which each of them is skipped and says why. Offline: without a token
the live tests skip before anything is sent."""

import importlib.util
from datetime import UTC, datetime

import pytest

from tools import live_run

pytestmark = pytest.mark.unit


def live_test_names() -> list[str]:
    spec = importlib.util.spec_from_file_location("tiktok_live_tests", live_run.LIVE_TESTS)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return [name for name in vars(module) if name.startswith("test_")]


def test_every_action_and_trigger_has_exactly_one_live_test():
    names = live_run.subjects()

    covered = [live_run.subject_of(test, names) for test in live_test_names()]

    assert sorted(covered) == sorted(names)


@pytest.mark.parametrize(
    "test, subject",
    [
        ("test_get_videos_returns_ids", "get_videos"),
        ("test_get_video_reads_one", "get_video"),
        ("test_get_video_status_follows", "get_video_status"),
        ("test_other", None),
    ],
)
def test_a_test_belongs_to_the_longest_action_name_it_starts_with(test, subject):
    assert live_run.subject_of(test, ["get_video", "get_videos", "get_video_status"]) == subject


def test_a_run_without_a_token_records_every_action_as_skipped_with_the_reason(tmp_path, monkeypatch):
    summary = tmp_path / "live-runs.md"
    summary.write_text("# Live runs\n\nearlier run\n")
    monkeypatch.setattr(live_run, "SUMMARY", summary)
    monkeypatch.setenv("TIKTOK_ENV_FILE", str(tmp_path / "absent.env"))
    for name in ("TIKTOK_ACCESS_TOKEN", "TIKTOK_LIVE_POSTS"):
        monkeypatch.delenv(name, raising=False)

    exit_code = live_run.main(["-q"])

    text = summary.read_text()
    assert exit_code == 0
    assert text.startswith("# Live runs\n\nearlier run\n\n## ")
    block = text.split("## ", 1)[1].splitlines()
    assert block[0].endswith("UTC (pytest exit status 0)")
    assert block[2:] == [f"- `{name}`: skipped (TIKTOK_ACCESS_TOKEN is not set)" for name in live_run.subjects()]


def test_a_summary_block_is_dated_and_appended(tmp_path):
    path = tmp_path / "live-runs.md"

    live_run.write_summary(["- `get_user_info`: passed"], datetime(2026, 12, 7, 9, 5, tzinfo=UTC), 0, path)

    assert (
        path.read_text()
        == "# Live runs\n\n## 2026-12-07 09:05 UTC (pytest exit status 0)\n\n- `get_user_info`: passed\n"
    )
