"""The README's `make run` lines run as written, in order, against a fresh sandbox (repository only, not shipped).

Each line is split the way a POSIX shell splits it, then run through the same code `make run` runs: the runner's
``main`` with ``ACTION`` as its argument and ``INPUT`` in the environment, in a temporary folder with its own
sandbox state. ``make sandbox-reset`` and ``make samples`` lines do what those targets do. The comment lines right
above a command document it: ``exit N`` is the status it must end with (0 otherwise), and a post status word
(PUBLISH_COMPLETE, FAILED, ...) is the ``status`` it must print. One more test spawns the real ``make run`` to
check the Makefile's part: INPUT taken verbatim and stdout holding nothing but the JSON.
"""

import json
import os
import re
import shlex
import shutil
import subprocess  # nosec B404 - runs this repository's own make target
from pathlib import Path

import pytest

from sandbox import run as runner
from sandbox.playground import STATE_ENV, reset_playground
from sandbox.samples import write_samples

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
STATUSES = ("PROCESSING_UPLOAD", "PROCESSING_DOWNLOAD", "SEND_TO_USER_INBOX", "PUBLISH_COMPLETE", "FAILED")


def readme_commands() -> list[tuple[int, list[str], int, str | None]]:
    """(line number, argv, expected exit status, expected post status) for each `make ...` line of the README's
    bash blocks, in order."""
    commands, comments, in_bash = [], [], False
    for number, line in enumerate(README.read_text().splitlines(), 1):
        stripped = line.strip()
        if stripped.startswith("```"):
            in_bash, comments = stripped == "```bash" and not in_bash, []
            continue
        if not in_bash:
            continue
        if stripped.startswith("#"):
            comments.append(stripped)
        elif stripped.startswith("make "):
            note = " ".join(comments)
            exit_status = re.search(r"\bexit (\d)\b", note)
            statuses = [word for word in re.findall(r"\b[A-Z_]+\b", note) if word in STATUSES]
            commands.append(
                (
                    number,
                    shlex.split(stripped, comments=True),
                    int(exit_status[1]) if exit_status else 0,
                    statuses[-1] if statuses else None,
                )
            )
            comments = []  # a comment documents the one command below it
        elif not stripped:
            comments = []
    return commands


def make_run_lines() -> list[tuple[int, list[str], int, str | None]]:
    return [command for command in readme_commands() if command[1][:2] == ["make", "run"]]


def test_every_make_run_mention_is_a_tested_line():
    """A `make run` written anywhere else in the README (prose, other blocks) would escape this suite."""
    mentions = len(re.findall(r"make run (?:ACTION|TRIGGER)=", README.read_text()))
    assert len(make_run_lines()) == mentions >= 13


def test_readme_make_run_lines_in_order(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # `file` inputs such as samples/clip.mp4 are relative to where make runs
    monkeypatch.setenv(STATE_ENV, str(tmp_path / "state"))
    monkeypatch.delenv("TIKTOK_ACCESS_TOKEN", raising=False)
    seen_status = {}
    for number, argv, expected_exit, expected_status in readme_commands():
        target, assignments = argv[1], dict(arg.split("=", 1) for arg in argv[2:])
        if target == "sandbox-reset":
            reset_playground(tmp_path / "state")
            continue
        if target == "samples":
            write_samples(tmp_path / "samples")
            continue
        if target != "run":  # make demo, make test: the rest of the suite covers them
            continue
        for name in ("INPUT", "TRIGGER", "LAST_POLL_TS"):  # a trigger poll is `make run TRIGGER=name`
            monkeypatch.delenv(name, raising=False)
            if name in assignments:
                monkeypatch.setenv(name, assignments[name])
        status = runner.main([assignments["ACTION"]] if "ACTION" in assignments else [])
        out = capsys.readouterr().out
        where = f"README line {number} ({assignments.get('ACTION') or assignments['TRIGGER']})"
        document = json.loads(out)  # exactly one JSON document: trailing text would fail here
        assert out == json.dumps(document, indent=2, ensure_ascii=False) + "\n", where
        assert status == expected_exit, f"{where} exited {status}, the README says {expected_exit}: {document}"
        assert ("error" in document) == (expected_exit != 0), where
        if expected_status is not None:
            assert document.get("status") == expected_status, f"{where}: {document}"
            seen_status[number] = expected_status
    # The walk-through follows a post to PUBLISH_COMPLETE across two runs.
    assert "PUBLISH_COMPLETE" in seen_status.values()


MAKE = shutil.which("make")


@pytest.mark.skipif(MAKE is None, reason="needs make")
def test_make_run_passes_any_input_text_and_prints_only_json(tmp_path):
    """Through the real Makefile: an apostrophe, a $, a make-style $(...) and a newline arrive untouched, stdout
    holds only the JSON, and a post made by one `make run` is followed to PUBLISH_COMPLETE by the next two."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("MAKE") and key != "MFLAGS"}
    env.pop("TIKTOK_ACCESS_TOKEN", None)
    env[STATE_ENV] = str(tmp_path / "state")

    def make_run(action: str, inputs: str) -> subprocess.CompletedProcess:
        command = [MAKE, "run", f"ACTION={action}", f"INPUT={inputs}"]
        return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)  # nosec B603

    caption = "Don't miss it: $5 off, $(HOME) and $$ stay\nas typed"
    url = "https://media.sandbox.example/verified/samples/clip.mp4"
    posted = make_run(
        "create_video_post", json.dumps({"video_url": url, "privacy_level": "SELF_ONLY", "caption": caption})
    )
    assert posted.returncode == 0, posted.stderr
    publish_id = json.loads(posted.stdout)["publish_id"]
    state = json.loads((tmp_path / "state" / "state.json").read_text())
    assert [p["post_info"]["title"] for p in state["publishes"]] == [caption]  # as typed, byte for byte
    follow = json.dumps({"publish_id": publish_id})
    assert json.loads(make_run("get_post_status", follow).stdout)["status"] == "PROCESSING_UPLOAD"
    assert json.loads(make_run("get_post_status", follow).stdout)["status"] == "PUBLISH_COMPLETE"
    refused = make_run("get_post_status", "{not json")
    assert refused.returncode == 2 and json.loads(refused.stdout)["type"] == "usage_error"
    assert "Error 2" in refused.stderr  # make reports the runner's status


@pytest.mark.parametrize(
    "action, input_text, status, kind, words",
    [
        (None, None, 2, "usage_error", "no action given"),
        ("post_everything", None, 2, "usage_error", "unknown action 'post_everything'"),
        ("get_post_status", "{not json", 2, "usage_error", "INPUT is not valid JSON"),
        ("get_post_status", "[1, 2]", 2, "usage_error", "no file '[1, 2]'"),
        ("get_post_status", '["x"]', 2, "usage_error", "no file"),
        ("create_video_post", '{"file": "samples/nope.mp4"}', 2, "usage_error", "run `make samples`"),
        ("create_video_post", '{"privacy_level": 5}', 1, "validation_error", "5 is not of type 'string'"),
        ("get_post_status", '{"publish_id": "v_pub_file~v2-1.1"}', 1, "action_error", "invalid_publish_id"),
    ],
)
def test_runner_answers_every_failure_with_one_json_document(
    tmp_path, monkeypatch, capsys, action, input_text, status, kind, words
):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(STATE_ENV, str(tmp_path / "state"))
    monkeypatch.delenv("TIKTOK_ACCESS_TOKEN", raising=False)
    monkeypatch.delenv("ACTION", raising=False)
    monkeypatch.delenv("INPUT", raising=False)
    if input_text is not None:
        monkeypatch.setenv("INPUT", input_text)
    assert runner.main([action] if action else []) == status
    document = json.loads(capsys.readouterr().out)
    assert document["type"] == kind and words in document["error"]


def test_runner_reads_input_files_and_refuses_a_damaged_state(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(STATE_ENV, str(tmp_path / "state"))
    monkeypatch.delenv("TIKTOK_ACCESS_TOKEN", raising=False)
    (tmp_path / "inputs.json").write_text('{"max_count": 2}')
    monkeypatch.setenv("INPUT", "inputs.json")
    assert runner.main(["get_videos"]) == 0
    assert len(json.loads(capsys.readouterr().out)["videos"]) == 2
    (tmp_path / "state" / "state.json").write_text('{"format": 1, "now": 0}')
    assert runner.main(["get_videos"]) == 2
    document = json.loads(capsys.readouterr().out)
    assert document["type"] == "usage_error" and "make sandbox-reset" in document["error"]


def test_runner_polls_a_trigger_as_the_platform_does(tmp_path, monkeypatch, capsys):
    """TRIGGER runs one poll: the first (no LAST_POLL_TS) returns the newest video only, a later one the videos
    posted after LAST_POLL_TS less a day, oldest first; a poll that raises is one JSON error with status 1."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(STATE_ENV, str(tmp_path / "state"))
    for name in ("TIKTOK_ACCESS_TOKEN", "ACTION", "INPUT", "LAST_POLL_TS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TRIGGER", "new_video")
    assert runner.main([]) == 0
    first = json.loads(capsys.readouterr().out)
    assert [record["id"] for record in first] == [first[0]["data"]["id"]]
    monkeypatch.setenv("LAST_POLL_TS", "2026-11-17T00:00:00Z")  # the sandbox's clock starts on 2026-11-21
    assert runner.main([]) == 0
    later = json.loads(capsys.readouterr().out)
    times = [record["data"]["create_time"] for record in later]
    assert (
        len(later) > 1 and times == sorted(times) and min(times) > 1794873600 - 86400
    )  # 2026-11-17T00:00:00Z less a day
    assert later[-1]["id"] == first[0]["id"]
    monkeypatch.setenv("LAST_POLL_TS", "soon")
    assert runner.main([]) == 1
    document = json.loads(capsys.readouterr().out)
    assert document["type"] == "trigger_error" and "neither an ISO 8601 time nor a Unix time" in document["error"]
    monkeypatch.setenv("TRIGGER", "video_reached_views")
    monkeypatch.setenv("INPUT", '{"views": 1000}')
    assert runner.main([]) == 0
    reached = json.loads(capsys.readouterr().out)
    assert reached and all(r["data"]["view_count"] >= 1000 and r["id"].endswith(":1000") for r in reached)


@pytest.mark.parametrize(
    "action, trigger, input_text, status, kind, words",
    [
        (None, "new_videos", None, 2, "usage_error", "unknown trigger 'new_videos'; one of: new_video, video_"),
        ("get_videos", "new_video", None, 2, "usage_error", "give ACTION or TRIGGER, not both"),
        (None, "video_reached_views", '{"views": 0}', 1, "validation_error", "0 is less than the minimum of 1"),
    ],
)
def test_runner_refuses_a_wrong_trigger_run(
    tmp_path, monkeypatch, capsys, action, trigger, input_text, status, kind, words
):
    monkeypatch.setenv(STATE_ENV, str(tmp_path / "state"))
    for name in ("TIKTOK_ACCESS_TOKEN", "ACTION", "INPUT", "LAST_POLL_TS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TRIGGER", trigger)
    if input_text is not None:
        monkeypatch.setenv("INPUT", input_text)
    assert runner.main([action] if action else []) == status
    document = json.loads(capsys.readouterr().out)
    assert document["type"] == kind and words in document["error"]


@pytest.mark.skipif(MAKE is None, reason="needs make")
def test_make_run_passes_trigger_and_last_poll_ts(tmp_path):
    """Through the real Makefile: TRIGGER and LAST_POLL_TS reach the runner (a first poll would give one record)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("MAKE") and key != "MFLAGS"}
    env.pop("TIKTOK_ACCESS_TOKEN", None)
    env[STATE_ENV] = str(tmp_path / "state")
    command = [MAKE, "run", "TRIGGER=new_video", "LAST_POLL_TS=2026-11-17T00:00:00Z"]
    polled = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)  # nosec B603
    assert polled.returncode == 0, polled.stderr
    assert len(json.loads(polled.stdout)) > 1
