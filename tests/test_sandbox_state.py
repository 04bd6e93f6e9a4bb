"""`make run`'s saved sandbox state (``.sandbox/state.json``) and INPUT, when they are damaged or cannot be handled
(repository only, not shipped).

Every test drives the runner the way `make run` does: ``sandbox.run.main`` with the action as its argument, INPUT in
the environment and the state in a temporary ``SANDBOX_STATE_DIR``. A state that cannot be used is refused before
the action runs, with one message that names `make sandbox-reset`, and is left exactly as it was; a state that
cannot be saved after the action ran does not replace the action's result; INPUT nested too deeply is bad usage.
"""

import json
import math
import os

import pytest

from sandbox import playground
from sandbox import run as runner
from sandbox.playground import STATE_ENV
from sandbox.samples import write_samples

pytestmark = pytest.mark.unit

HINT = "run `make sandbox-reset` to start over"
TIME_RANGE = "a Unix time from 1970-01-01T00:00:00Z to 9999-12-31T23:59:59Z"
CLOCK_RANGE = "a Unix time from 2026-11-21T00:00:00Z to 9999-12-31T23:59:59Z"
COUNT = "a whole number from 0 to 9223372036854775807"
URL = "https://media.sandbox.example/verified/samples/"
SCOPES = "user.info.basic, user.info.profile, user.info.stats, video.list, video.publish, video.upload"
STATUSES = "PROCESSING_UPLOAD, PROCESSING_DOWNLOAD, SEND_TO_USER_INBOX, PUBLISH_COMPLETE, FAILED"
ENDPOINTS = "user_info, video_list, video_query, creator_info, video_init, inbox_init, content_init, status, cancel"
DEEP = "it is nested too deeply (more than 32 levels of brackets)"


@pytest.fixture
def runs(tmp_path, monkeypatch, capsys):
    """run(action, input_text) -> (exit status, stdout, stderr), as `make run` runs it, in tmp_path; also records
    whether the action itself was started."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(STATE_ENV, str(tmp_path / "state"))
    for name in ("TIKTOK_ACCESS_TOKEN", "ACTION", "INPUT"):
        monkeypatch.delenv(name, raising=False)
    started = []
    execute = runner.execute

    async def recording_execute(action, inputs, token, poll=None):
        started.append(action)
        return await execute(action, inputs, token, poll)

    monkeypatch.setattr(runner, "execute", recording_execute)

    def run(action, input_text=None):
        if input_text is None:
            monkeypatch.delenv("INPUT", raising=False)
        else:
            monkeypatch.setenv("INPUT", input_text)
        capsys.readouterr()
        status = runner.main([action])
        out, err = capsys.readouterr()
        return status, out, err

    run.started = started
    return run


_RICH = {}


@pytest.fixture
def rich_state(tmp_path_factory, runs):
    """The text of a state that holds one of everything: an uploaded public video followed to PUBLISH_COMPLETE
    (a new library entry, post ids), a link pull, a photo post, rate-limit windows and app posters."""
    if "text" not in _RICH:
        folder = tmp_path_factory.mktemp("rich")
        write_samples(folder / "samples")
        posted = json.dumps({"file": str(folder / "samples" / "clip.mp4"), "privacy_level": "PUBLIC_TO_EVERYONE"})
        status, out, _ = runs("create_video_post", posted)
        assert status == 0, out
        follow = json.dumps({"publish_id": json.loads(out)["publish_id"]})
        for _ in range(2):
            assert runs("get_post_status", follow)[0] == 0
        pulled = json.dumps({"video_url": URL + "clip.mp4", "privacy_level": "SELF_ONLY", "caption": "pulled"})
        assert runs("create_video_post", pulled)[0] == 0
        photos = json.dumps({"photo_urls": [URL + "photo-1.jpg"], "privacy_level": "SELF_ONLY", "caption": "photo"})
        assert runs("create_photo_post", photos)[0] == 0
        _RICH["text"] = state_path().read_text()
    state = json.loads(_RICH["text"])
    assert state["uploads"] and state["publishes"] and state["rate_windows"] and state["app_posters"]
    assert state["accounts"][0]["post_times"] and any(p["post_ids"] for p in state["publishes"])
    return _RICH["text"]


def state_path():
    return playground.state_dir() / playground.STATE_FILE


def changed(change):
    """A case that edits the rich state's JSON with ``change(state)`` and writes it back as JSON."""

    def damage(path, rich):
        state = json.loads(rich)
        change(state)
        path.write_text(json.dumps(state, indent=1))

    return damage


def written(content):
    def damage(path, rich):
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)

    return damage


def as_directory(path, rich):
    path.mkdir()
    (path / "keep.txt").write_text("not the sandbox's")


def as_dangling_link(path, rich):
    path.symlink_to(path.parent / "gone.json")


def setter(*steps_and_value):
    *steps, value = steps_and_value

    def change(state):
        target = state
        for step in steps[:-1]:
            target = target[step]
        target[steps[-1]] = value

    return change


def deleted(key):
    return lambda state: state.pop(key)


def nested_post_info(state):
    value = []
    for _ in range(40):
        value = [value]
    state["publishes"][0]["post_info"]["extra"] = value


DAMAGED = [
    ("clock NaN", changed(setter("now", math.nan)), f"now must be {CLOCK_RANGE}, not NaN"),
    ("clock 1e300", changed(setter("now", 1e300)), f"now must be {CLOCK_RANGE}, not 1e+300"),
    ("clock -1e300", changed(setter("now", -1e300)), f"now must be {CLOCK_RANGE}, not -1e+300"),
    ("clock Infinity", changed(setter("now", math.inf)), f"now must be {CLOCK_RANGE}, not Infinity"),
    ("clock text", changed(setter("now", "soon")), f"now must be {CLOCK_RANGE}, not 'soon'"),
    ("clock before the epoch", changed(setter("now", 0)), f"now must be {CLOCK_RANGE}, not 0"),
    (
        "other format",
        changed(setter("format", 2)),
        "it was written by another version of the sandbox (format 2; this one reads format 1)",
    ),
    ("seq bool", changed(setter("seq", True)), f"seq must be {COUNT}, not true"),
    ("log_seq negative", changed(setter("log_seq", -1)), f"log_seq must be {COUNT}, not -1"),
    ("fail_next number", changed(setter("fail_next", 5)), "fail_next must be null or a string, not 5"),
    ("field missing", changed(deleted("tokens")), "the state has no field 'tokens'"),
    ("field unknown", changed(setter("extra", 1)), "the state has an unknown field 'extra'"),
    ("not a list", changed(setter("publishes", {})), "publishes must be a list, not an object"),
    ("account index", changed(setter("accounts", 0, "index", 2)), "accounts[0].index must be 1, not 2"),
    (
        "account count",
        changed(setter("accounts", 0, "follower_count", "many")),
        f"accounts[0].follower_count must be {COUNT}, not 'many'",
    ),
    (
        "account flag",
        changed(setter("accounts", 0, "banned", "no")),
        "accounts[0].banned must be true or false, not 'no'",
    ),
    (
        "account field missing",
        changed(lambda state: state["accounts"][0].pop("username")),
        "accounts[0] has no field 'username'",
    ),
    (
        "library video",
        changed(setter("accounts", 0, "library", 0, "create_time", 1.5)),
        "accounts[0].library[0].create_time must be a whole number from 0 to 253402300799, not 1.5",
    ),
    (
        "post time",
        changed(setter("accounts", 0, "post_times", 0, math.nan)),
        f"accounts[0].post_times[0] must be {TIME_RANGE}, not NaN",
    ),
    (
        "token account",
        changed(setter("tokens", 0, "account", 7)),
        "tokens[0].account must be the index of an account (1), not 7",
    ),
    (
        "token scope",
        changed(setter("tokens", 0, "scopes", ["video.everything"])),
        f"tokens[0].scopes[0] must be one of {SCOPES}, not 'video.everything'",
    ),
    (
        "sandbox token gone",
        changed(setter("tokens", 0, "token", "act.other")),
        "tokens must include the sandbox's token 'act.sandbox-demo'",
    ),
    (
        "upload head",
        changed(setter("uploads", 0, "head", "!!")),
        "uploads[0].head must be base64 text of at most 65536 bytes, not '!!'",
    ),
    (
        "upload digest",
        changed(setter("uploads", 0, "sha256", "abc")),
        "uploads[0].sha256 must be 64 lowercase hexadecimal digits, not 'abc'",
    ),
    (
        "chunk status",
        changed(setter("uploads", 0, "chunks", 0, "status", 99)),
        "uploads[0].chunks[0].status must be a whole number from 100 to 599, not 99",
    ),
    (
        "publish status",
        changed(setter("publishes", 0, "status", "DONE")),
        f"publishes[0].status must be one of {STATUSES}, not 'DONE'",
    ),
    (
        "publish upload",
        changed(setter("publishes", 0, "upload_id", "nope")),
        "publishes[0].upload_id must be the upload_id of one of the state's uploads, not 'nope'",
    ),
    (
        "publish title",
        changed(setter("publishes", 0, "post_info", "title", 5)),
        "publishes[0].post_info.title must be null or a string, not 5",
    ),
    (
        "publish post id",
        changed(setter("publishes", 0, "post_ids", ["1"])),
        "publishes[0].post_ids[0] must be a whole number from 1 to 9223372036854775807, not '1'",
    ),
    (
        "rate window endpoint",
        changed(setter("rate_windows", 0, ["act.sandbox-demo", "nowhere", []])),
        f"rate_windows[0][1] must be one of {ENDPOINTS}, not 'nowhere'",
    ),
    (
        "app poster time",
        changed(setter("app_posters", 0, [1e300, 1])),
        f"app_posters[0][0] must be {TIME_RANGE}, not 1e+300",
    ),
    ("nested in a field", changed(nested_post_info), DEEP),
    ("nested too deep to read", written("[" * 100_000), DEEP),
    (
        "not JSON",
        written("{"),
        "it is not valid JSON: Expecting property name enclosed in double quotes at line 1, column 2",
    ),
    ("empty", written(""), "it is not valid JSON: Expecting value at line 1, column 1"),
    ("not UTF-8", written(b'{"now": "\xff"}'), "it is not UTF-8 text"),
    ("not an object", written("[]"), "it is not a JSON object"),
    ("a directory", as_directory, "it is a directory, not a file"),
    ("a dangling link", as_dangling_link, "it is not a regular file"),
]


def snapshot_of(path):
    """What is at ``path``, to compare before and after (bytes, a link's target, a directory's names and bytes)."""
    if path.is_symlink():
        return os.readlink(path)
    if path.is_dir():
        return {child.name: child.read_bytes() for child in path.iterdir()}
    return path.read_bytes()


def document(data):
    """stdout exactly as the runner prints its one JSON document."""
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def damage_state(runs, rich_state, damage):
    assert runs("get_creator_info")[0] == 0
    path = state_path()
    path.unlink()
    damage(path, rich_state)
    return path


@pytest.mark.parametrize("damage, reason", [case[1:] for case in DAMAGED], ids=[case[0] for case in DAMAGED])
def test_a_damaged_state_is_refused_before_the_action_runs_and_kept_as_it_is(runs, rich_state, damage, reason):
    path = damage_state(runs, rich_state, damage)
    before = snapshot_of(path)
    runs.started.clear()
    status, out, err = runs("get_creator_info")
    message = f"the sandbox state in {path} cannot be used: {reason}; {HINT}"
    assert (status, out) == (2, document({"error": message, "type": "usage_error"}))
    assert "Traceback" not in err
    assert runs.started == []  # refused before the action ran
    assert snapshot_of(path) == before
    assert sorted(p.name for p in path.parent.iterdir()) == ["lock", "state.json"]


@pytest.mark.parametrize("damage", [case[1] for case in DAMAGED], ids=[case[0] for case in DAMAGED])
def test_make_sandbox_reset_clears_a_damaged_state(runs, rich_state, damage, capsys):
    path = damage_state(runs, rich_state, damage)
    assert runs("get_creator_info")[0] == 2
    assert playground.main() == 0  # make sandbox-reset
    assert capsys.readouterr().out == f"sandbox state cleared ({path.parent})\n"
    status, out, _ = runs("get_creator_info")
    assert status == 0 and json.loads(out)["creator_nickname"] == "Rivera Studio"
    assert json.loads(path.read_text())["format"] == 1


@pytest.mark.parametrize(
    "action, input_text, status",
    [
        ("get_creator_info", None, 0),
        ("get_post_status", '{"publish_id": "v_pub_file~v2-1.1"}', 1),
    ],
)
def test_a_state_that_cannot_be_saved_keeps_the_result(runs, tmp_path, monkeypatch, action, input_text, status):
    assert runs("get_creator_info")[0] == 0
    path = state_path()
    before = path.read_bytes()
    # The same run from the same state, where saving works: the document the failed save must not replace.
    twin = tmp_path / "twin"
    twin.mkdir()
    (twin / "state.json").write_bytes(before)
    monkeypatch.setenv(STATE_ENV, str(twin))
    expected_status, expected_out, _ = runs(action, input_text)
    monkeypatch.setenv(STATE_ENV, str(path.parent))
    assert expected_status == status

    partial = path.with_suffix(".tmp")
    partial.mkdir()  # the atomic write's partial file cannot be written
    got_status, out, err = runs(action, input_text)
    assert (got_status, out) == (status, expected_out)
    assert runs.started[-1] == action
    warning = (
        f"warning: the sandbox state could not be saved in {path} (Is a directory: {partial}); "
        f"this run's changes to the sandbox are lost; {HINT}"
    )
    assert warning in err.splitlines()
    assert path.read_bytes() == before

    assert playground.main() == 0  # the hint works: the partial file goes too
    assert not partial.exists() and runs("get_creator_info")[0] == 0 and path.is_file()


DEEP_INPUT = "INPUT is nested too deeply (more than 32 levels of brackets)"


@pytest.mark.parametrize(
    "input_text, message",
    [
        ('{"publish_id": ' + "[" * 100_000, DEEP_INPUT),
        ('{"publish_id": ' + "[" * 33 + "]" * 33 + "}", DEEP_INPUT),
        (
            "[" * 100_000,
            "INPUT must be a JSON object or the path of a JSON file; there is no file '" + "[" * 100 + "…'",
        ),
        ("deep.json", "deep.json is nested too deeply (more than 32 levels of brackets)"),
    ],
    ids=["unreadable", "readable", "array", "file"],
)
def test_deeply_nested_input_is_bad_usage(runs, tmp_path, input_text, message):
    (tmp_path / "deep.json").write_text('{"publish_id": ' + "[" * 100_000)
    status, out, err = runs("get_post_status", input_text)
    assert (status, out) == (2, document({"error": message, "type": "usage_error"}))
    assert "Traceback" not in err and runs.started == []
    assert not (tmp_path / "state").exists()  # nothing ran, nothing was saved


def test_an_intact_state_with_one_of_everything_is_restored(runs, rich_state):
    """The rich state itself is accepted (so each damaged case fails for its one change only)."""
    assert runs("get_creator_info")[0] == 0
    path = state_path()
    path.write_text(rich_state)
    rich = json.loads(rich_state)
    status, out, _ = runs("get_post_status", json.dumps({"publish_id": rich["publishes"][0]["publish_id"]}))
    assert status == 0 and json.loads(out)["status"] == "PUBLISH_COMPLETE"
    assert json.loads(path.read_text())["now"] == rich["now"] + playground.STEP_S  # restored, run, saved
