"""`make run`: run one action exactly as the platform does and print its result as one JSON document.

    make run ACTION=get_creator_info
    make run ACTION=create_video_post INPUT='{"file": "samples/clip.mp4", "privacy_level": "SELF_ONLY"}'
    make run ACTION=get_videos INPUT=inputs.json
    make run TRIGGER=new_video LAST_POLL_TS=2026-11-20T00:00:00Z
    make run TRIGGER=video_reached_views INPUT='{"views": 1000}'

    python -m sandbox.run ACTION [--input JSON_OR_PATH]     (without --input, INPUT is read from the environment)
    TRIGGER=new_video [LAST_POLL_TS=...] python -m sandbox.run      (one poll of a polling trigger)

Output: stdout carries exactly one JSON document: the action's data (a trigger's list of records), or
``{"error": "...", "type": "..."}``.
Everything else (the SDK's prints, logs, which TikTok is used) goes to stderr. Exit status: 0 for a result,
1 when the action or poll (or the SDK's input check) refused or failed, 2 for bad usage (no or unknown ACTION, INPUT
that is not a JSON object or a readable file or is nested too deeply, a `file` path that does not exist, a
sandbox state that cannot be used). A sandbox state that cannot be saved after the action ran does not change
the document or the status: a warning on stderr says so.

INPUT travels in the environment, never through shell quoting inside make, so any caption works (apostrophes,
``$``, newlines). A ``file`` input given as a string is read as a local path and sent as the platform's base64
file object.

Against the built-in sandbox by default, whose state persists between runs in ``.sandbox/`` (see
``sandbox/playground.py``); against real TikTok when TIKTOK_ACCESS_TOKEN is set, or with LIVE=1 (the token
`make login` stored, refreshed when under an hour is left).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import dataclasses
import enum
import json
import logging
import mimetypes
import os
import sys
from pathlib import Path

from autohive_integrations_sdk import ValidationError

from sandbox.platform import load_integration, make_context
from sandbox.state_check import Damaged, load_json
from tools.tiktok_login import LoginError, fresh_token_for_run

CONNECTED_ACCOUNT = "connected_account"
OK, FAILED, USAGE = 0, 1, 2
CONFIG = Path(__file__).resolve().parent.parent / "config.json"


class UsageError(Exception):
    """The command itself is wrong: nothing was run."""


def read_inputs(text: str | None) -> dict:
    """INPUT as inline JSON or the path of a JSON file; a string ``file`` becomes a base64 file object."""
    if not text or not text.strip():
        return {}
    if text.lstrip().startswith("{"):
        raw, origin = text, "INPUT"
    else:
        path = Path(text.strip())
        if not is_file(path):
            raise UsageError(
                f"INPUT must be a JSON object or the path of a JSON file; there is no file {shown(path)!r}"
            )
        try:
            raw, origin = path.read_text(encoding="utf-8"), str(path)
        except (OSError, UnicodeDecodeError) as error:
            reason = getattr(error, "strerror", None) or error
            raise UsageError(f"INPUT file {shown(path)!r} cannot be read: {reason}") from None
    try:
        inputs = load_json(raw, origin)
    except Damaged as error:
        raise UsageError(str(error)) from None
    if not isinstance(inputs, dict):
        raise UsageError(f'{origin} must be a JSON object, like {{"publish_id": "..."}}')
    if isinstance(inputs.get("file"), str):
        inputs["file"] = file_object(Path(inputs["file"]))
    return inputs


def file_object(path: Path) -> dict:
    if not is_file(path):
        hint = " (run `make samples` to create the sample files)" if path.parent.name == "samples" else ""
        raise UsageError(f"file not found: {shown(path)}{hint}")
    content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    try:
        content = path.read_bytes()
    except OSError as error:
        raise UsageError(f"file {shown(path)} cannot be read: {error.strerror or error}") from None
    return {"name": path.name, "contentType": content_type, "content": base64.b64encode(content).decode()}


def is_file(path: Path) -> bool:
    """Path.is_file, which raises for a name the system refuses (too long, say) instead of answering False."""
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


def shown(path: Path, limit: int = 100) -> str:
    """A path as typed, cut short if it is long (a whole mistyped document would drown the message)."""
    name = str(path)
    return name if len(name) <= limit else name[:limit] + "…"


def known_actions() -> list[str]:
    return sorted(json.loads(CONFIG.read_text())["actions"])


def known_triggers() -> list[str]:
    return sorted(json.loads(CONFIG.read_text()).get("polling_triggers", {}))


def to_jsonable(value):
    if dataclasses.is_dataclass(value):
        return {k: to_jsonable(v) for k, v in dataclasses.asdict(value).items()}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dict):
        return {k: to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    return value


def outcome(result) -> tuple[dict, int]:
    """(the JSON document to print, the exit status) for an SDK IntegrationResult, or for a poll's records or the
    exception it raised (the SDK has no result type for polling triggers)."""
    if isinstance(result, list):
        return to_jsonable(result), OK
    if isinstance(result, Exception):
        kind = "validation_error" if isinstance(result, ValidationError) else "trigger_error"
        return {"error": str(result), "type": kind}, FAILED
    kind = result.type.value
    if kind == "action":
        return to_jsonable(result.result.data), OK
    if kind == CONNECTED_ACCOUNT:
        return to_jsonable(result.result), OK
    payload = result.result
    message = payload.get("message") if isinstance(payload, dict) else getattr(payload, "message", str(payload))
    return {"error": message, "type": kind}, FAILED


async def execute(action: str, inputs: dict, token: str, poll: tuple[str, str | None] | None = None):
    """The action's result, or with `poll` (trigger, last_poll_ts) one poll's records or what it raised."""
    module = load_integration()
    async with make_context(token) as context:
        if poll:
            try:
                return await module.tiktok.execute_polling_trigger(poll[0], inputs, poll[1], context)
            except (ValidationError, module.tiktok_api.UserFacingError) as error:
                return error
        if action == CONNECTED_ACCOUNT:
            return await module.tiktok.get_connected_account(context)
        return await module.tiktok.execute_action(action, inputs, context)


def run(
    action: str | None, input_text: str | None, trigger: str | None = None, last_poll_ts: str | None = None
) -> tuple[dict, int]:
    """Everything but the printing: (document, exit status). Prints of the SDK go to stderr. With `trigger`, one
    poll of that polling trigger, given last_poll_ts (none: the first poll)."""
    poll = (trigger, last_poll_ts or None) if trigger else None
    try:
        if action and trigger:
            raise UsageError("give ACTION or TRIGGER, not both")
        if trigger and trigger not in known_triggers():
            raise UsageError(f"unknown trigger {trigger!r}; one of: {', '.join(known_triggers())}")
        if not action and not trigger:
            raise UsageError(
                "no action given: make run ACTION=name [INPUT='{json}' | INPUT=path.json], or "
                "make run TRIGGER=name [LAST_POLL_TS=time]"
            )
        if action and action != CONNECTED_ACCOUNT and action not in known_actions():
            raise UsageError(f"unknown action {action!r}; one of: {', '.join(known_actions())}, {CONNECTED_ACCOUNT}")
        inputs = read_inputs(input_text)
    except UsageError as error:
        return {"error": str(error), "type": "usage_error"}, USAGE
    try:
        live_token = live_access_token()
    except LoginError as error:
        return {"error": str(error), "type": "login_error"}, FAILED
    with contextlib.redirect_stdout(sys.stderr):  # the SDK prints its HTTP errors; stdout is for the JSON only
        try:
            if live_token:
                print("running against real TikTok (TIKTOK_ACCESS_TOKEN is set)")
                return outcome(asyncio.run(execute(action, inputs, live_token, poll)))
            return run_in_sandbox(action, inputs, poll)
        except Exception as error:  # a crash still answers with one JSON document
            logging.getLogger(__name__).exception("the action crashed")
            return {"error": f"{type(error).__name__}: {error}", "type": "error"}, FAILED


def live_access_token() -> str | None:
    """Real TikTok's token: TIKTOK_ACCESS_TOKEN, or with LIVE=1 the one `make login` stored in .env, refreshed
    first when under an hour is left. None: the sandbox."""
    return fresh_token_for_run(os.environ)


def run_in_sandbox(action: str, inputs: dict, poll=None) -> tuple[dict, int]:
    """A state that cannot be used is refused before the action runs (and is not saved back); one that cannot be
    saved after it ran only adds a warning on stderr: the action's result (or crash) is still what is reported."""
    from sandbox.playground import SaveError, StateError, exclusive, open_playground, save_playground, state_dir

    print(f"running against the built-in TikTok sandbox, state in {state_dir()} (TIKTOK_ACCESS_TOKEN for real TikTok)")
    with exclusive():
        try:
            sandbox = open_playground()
        except StateError as error:
            return {"error": str(error), "type": "usage_error"}, USAGE
        try:
            with sandbox:
                return outcome(asyncio.run(execute(action, inputs, sandbox.token, poll)))
        finally:
            try:
                save_playground(sandbox)
            except SaveError as error:
                print(f"warning: {error}", file=sys.stderr)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", nargs="?", help=f"an action name from config.json, or {CONNECTED_ACCOUNT}")
    parser.add_argument("--input", help="inputs as inline JSON or a path to a JSON file (default: $INPUT)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="  %(message)s")
    input_text = args.input if args.input is not None else os.environ.get("INPUT")
    trigger, last_poll_ts = os.environ.get("TRIGGER"), os.environ.get("LAST_POLL_TS")
    document, status = run(args.action or os.environ.get("ACTION"), input_text, trigger, last_poll_ts)
    print(json.dumps(document, indent=2, ensure_ascii=False))
    return status


if __name__ == "__main__":
    sys.exit(main())
