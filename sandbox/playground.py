"""The sandbox behind `make run`: one creator whose state lives in a JSON file between runs.

``.sandbox/state.json`` (or ``$SANDBOX_STATE_DIR/state.json``) holds the clock, the id counters, the creator, its
tokens, publishes and uploads, and the rate-limit windows, so a post made by one `make run` can be followed by the
next. `make sandbox-reset` deletes the file. From a fresh state every run does the same thing, so publish ids
are the same for everyone (the README shows them).

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
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .samples import SAMPLES, sample_bytes
from .state import Account, ChunkRecord, Publish, Token, Upload
from .tiktok_sandbox import TikTokSandbox

STATE_ENV = "SANDBOX_STATE_DIR"
DEFAULT_STATE_DIR = Path(__file__).resolve().parent.parent / ".sandbox"
STATE_FILE = "state.json"
FORMAT = 1
STEP_S = 30.0
SETTINGS = {"check_media": True, "processing_polls": 1, "display_name": "Rivera Studio", "username": "rivera.studio"}


class StateError(Exception):
    """The saved state cannot be used (written by another version of the sandbox, or damaged)."""


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
    if path.is_file():
        try:
            restore(sandbox, json.loads(path.read_text()))
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise StateError(
                f"the sandbox state in {path} cannot be read ({type(error).__name__}: {error}); "
                "run `make sandbox-reset` to start over"
            ) from None
    sandbox.advance(STEP_S)
    for sample in SAMPLES:
        sandbox.host_file(sample.url, sample_bytes(sample.name), content_type=sample.content_type)
    return sandbox


def save_playground(sandbox: TikTokSandbox, folder: Path | None = None) -> Path:
    """Write the state atomically (a run that is interrupted leaves the previous state)."""
    folder = folder or state_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / STATE_FILE
    partial = path.with_suffix(".tmp")
    partial.write_text(json.dumps(snapshot(sandbox), indent=1))
    os.replace(partial, path)
    return path


def reset_playground(folder: Path | None = None) -> bool:
    """Forget everything; True if there was a state to forget."""
    path = (folder or state_dir()) / STATE_FILE
    existed = path.is_file()
    path.unlink(missing_ok=True)
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
    if state.get("format") != FORMAT:
        raise ValueError("the sandbox state was written by another version; run `make sandbox-reset`")
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
        self._hex = "unknown: bytes were added after the sandbox was restored"


def main() -> int:
    """``make sandbox-reset``."""
    folder = state_dir()
    print(f"sandbox state {'cleared' if reset_playground(folder) else 'was already empty'} ({folder})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
