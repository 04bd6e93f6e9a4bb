"""The sandbox behind `make run`: one creator whose state lives in a JSON file between runs.

``.sandbox/state.json`` (or ``$SANDBOX_STATE_DIR/state.json``) holds the clock, the id counters, the creator, its
tokens, publishes and uploads, and the rate-limit windows, so a post made by one `make run` can be followed by the
next. `make sandbox-reset` deletes the file. From a fresh state every run does the same thing, so publish ids
are the same for everyone (the README shows them).

A state that cannot be used (not a file, not JSON, nested too deeply, any field of the wrong type or out of range;
see ``state_check.py``) is refused before anything runs, with the `make sandbox-reset` hint, and left as it is. A
state that cannot be saved leaves the previous one in place.

Each run is ``STEP_S`` seconds later in the sandbox than the one before. A post finishes on the second status
check after TikTok has all of its media (``processing_polls=1``), in one run with ``wait_seconds`` or across runs.
Media checks are on: the sandbox fails a post whose video is too long or not 23-60 fps, or whose photo is not
JPEG/WebP, as TikTok would.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import fcntl
import json
import os
import shutil
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .samples import SAMPLES, sample_bytes
from .state import Account, ChunkRecord, Publish, Token, Upload
from .state_check import UNKNOWN_DIGEST, Damaged, check_state, load_json
from .tiktok_sandbox import TikTokSandbox

STATE_ENV = "SANDBOX_STATE_DIR"
DEFAULT_STATE_DIR = Path(__file__).resolve().parent.parent / ".sandbox"
STATE_FILE = "state.json"
FORMAT = 1
STEP_S = 30.0
SETTINGS = {"check_media": True, "processing_polls": 1, "display_name": "Rivera Studio", "username": "rivera.studio"}
RESET_HINT = "run `make sandbox-reset` to start over"


class StateError(Exception):
    """The saved state cannot be used (written by another version of the sandbox, or damaged)."""


class SaveError(Exception):
    """The state could not be written; the one saved before (if any) is still in place."""


def state_dir() -> Path:
    return Path(os.environ.get(STATE_ENV) or DEFAULT_STATE_DIR)


@contextlib.contextmanager
def exclusive(folder: Path | None = None) -> Iterator[None]:
    """One run at a time per state folder: a second `make run` waits for the first to save its state."""
    folder = folder or state_dir()
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def open_playground(folder: Path | None = None) -> TikTokSandbox:
    """The sandbox as the last run left it (or fresh), one step later, with every sample link hosted."""
    path = (folder or state_dir()) / STATE_FILE
    sandbox = TikTokSandbox(**SETTINGS)
    state = read_state(path, sandbox.token)
    if state is not None:
        try:
            restore(sandbox, state)
        except (ValueError, KeyError, TypeError, AttributeError) as error:  # check_state should leave nothing here
            raise StateError(_refusal(path, f"it cannot be restored ({type(error).__name__}: {error})")) from None
    sandbox.advance(STEP_S)
    for sample in SAMPLES:
        sandbox.host_file(sample.url, sample_bytes(sample.name), content_type=sample.content_type)
    return sandbox


def read_state(path: Path, token: str) -> dict[str, Any] | None:
    """The saved state at ``path``, checked field by field; None if there is none. Nothing is ever written here."""
    if not os.path.lexists(path):
        return None
    try:
        if path.is_dir():
            raise Damaged("it is a directory, not a file")
        if not path.is_file():
            raise Damaged("it is not a regular file")
        try:
            text = path.read_bytes().decode("utf-8")
        except UnicodeDecodeError:
            raise Damaged("it is not UTF-8 text") from None
        state = load_json(text, "it")
        check_state(state, FORMAT, token)
    except OSError as error:
        raise StateError(_refusal(path, f"it cannot be read ({error.strerror or error})")) from None
    except Damaged as error:
        raise StateError(_refusal(path, str(error))) from None
    return state


def _refusal(path: Path, reason: str) -> str:
    return f"the sandbox state in {path} cannot be used: {reason}; {RESET_HINT}"


def save_playground(sandbox: TikTokSandbox, folder: Path | None = None) -> Path:
    """Write the state atomically (a run that is interrupted leaves the previous state). ``SaveError`` if it
    cannot be written: the previous state is then left as it was."""
    folder = folder or state_dir()
    path = folder / STATE_FILE
    partial = path.with_suffix(".tmp")
    try:
        text = json.dumps(snapshot(sandbox), indent=1)
        folder.mkdir(parents=True, exist_ok=True)
        partial.write_text(text)
        os.replace(partial, path)
    except Exception as error:  # whatever it is, the caller still has a result to give
        with contextlib.suppress(OSError):
            if partial.is_file():
                partial.unlink()
        raise SaveError(
            f"the sandbox state could not be saved in {path} ({_why(error)}); "
            f"this run's changes to the sandbox are lost; {RESET_HINT}"
        ) from error
    return path


def _why(error: Exception) -> str:
    if isinstance(error, OSError) and error.strerror:
        return f"{error.strerror}: {error.filename}" if error.filename else error.strerror
    return f"{type(error).__name__}: {error}"


def reset_playground(folder: Path | None = None) -> bool:
    """Forget everything, whatever is in the state's place (a directory too) and any half-written state;
    True if there was a state to forget."""
    path = (folder or state_dir()) / STATE_FILE
    existed = os.path.lexists(path)
    for leftover in (path, path.with_suffix(".tmp")):
        if leftover.is_dir() and not leftover.is_symlink():
            shutil.rmtree(leftover)
        elif os.path.lexists(leftover):
            leftover.unlink()
    return existed


# ---------------------------------------------------------------------------------------------------------------------
# State <-> JSON. Hosted links, injected faults and the request log are not kept: each run starts without them.
# ---------------------------------------------------------------------------------------------------------------------


def snapshot(sb: TikTokSandbox) -> dict[str, Any]:
    index = {id(account): account.index for account in sb.accounts}
    return {
        "format": FORMAT,
        "now": sb.clock(),
        "seq": sb._seq,
        "log_seq": sb._log_seq,
        "fail_next": sb._fail_next,
        "accounts": [dataclasses.asdict(account) for account in sb.accounts],
        "tokens": [
            {"token": t.token, "scopes": sorted(t.scopes), "account": index[id(t.account)], "expires_at": t.expires_at}
            for t in sb.tokens.values()
        ],
        "uploads": [_upload_json(upload) for upload in sb.uploads.values()],
        "publishes": [_publish_json(publish, index) for publish in sb.publishes.values()],
        "rate_windows": [[token, endpoint, list(hits)] for (token, endpoint), hits in sb._limiter._hits.items()],
        "app_posters": [[t, index[id(account)]] for t, account in sb._app_posters],
    }


def restore(sb: TikTokSandbox, state: dict[str, Any]) -> None:
    """Put a state that ``check_state`` accepted back into ``sb``."""
    sb.clock.now = float(state["now"])
    sb._seq, sb._log_seq, sb._fail_next = state["seq"], state["log_seq"], state["fail_next"]
    sb.accounts = [Account(**fields) for fields in state["accounts"]]
    accounts = {account.index: account for account in sb.accounts}
    sb.tokens = {
        t["token"]: Token(t["token"], frozenset(t["scopes"]), accounts[t["account"]], t["expires_at"])
        for t in state["tokens"]
    }
    sb.account = sb.tokens[sb.token].account
    sb.uploads = {u["upload_id"]: _upload_from(u) for u in state["uploads"]}
    sb.publishes = {}
    for fields in state["publishes"]:
        fields = dict(fields, account=accounts[fields["account"]])
        upload_id = fields.pop("upload_id")
        publish = Publish(**fields, upload=sb.uploads[upload_id] if upload_id else None)
        sb.publishes[publish.publish_id] = publish
    sb._limiter._hits = {(token, endpoint): deque(hits) for token, endpoint, hits in state["rate_windows"]}
    sb._app_posters = [(t, accounts[i]) for t, i in state["app_posters"]]


def _publish_json(publish: Publish, index: dict[int, int]) -> dict[str, Any]:
    fields = {f.name: getattr(publish, f.name) for f in dataclasses.fields(publish) if f.name not in ("upload",)}
    fields["account"] = index[id(publish.account)]
    fields["upload_id"] = publish.upload.upload_id if publish.upload is not None else None
    return fields


def _upload_json(upload: Upload) -> dict[str, Any]:
    fields = {f.name: getattr(upload, f.name) for f in dataclasses.fields(upload) if f.name not in ("_hash", "chunks")}
    fields["head"] = base64.b64encode(upload.head).decode()
    fields["chunks"] = [dataclasses.asdict(chunk) for chunk in upload.chunks]
    fields["sha256"] = upload.sha256
    return fields


def _upload_from(fields: dict[str, Any]) -> Upload:
    fields = dict(fields)
    digest = fields.pop("sha256")
    fields["head"] = base64.b64decode(fields["head"])
    fields["chunks"] = [ChunkRecord(**chunk) for chunk in fields["chunks"]]
    return Upload(**fields, _hash=_KeptDigest(digest))


class _KeptDigest:
    """The SHA-256 of the bytes received in an earlier run (hash state itself cannot be saved)."""

    def __init__(self, hexdigest: str) -> None:
        self._hex = hexdigest

    def hexdigest(self) -> str:
        return self._hex

    def update(self, _data: bytes) -> None:
        self._hex = UNKNOWN_DIGEST


def main() -> int:
    """``make sandbox-reset``."""
    folder = state_dir()
    print(f"sandbox state {'cleared' if reset_playground(folder) else 'was already empty'} ({folder})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
