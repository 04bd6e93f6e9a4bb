"""Run one action exactly as the platform does, and print the IntegrationResult as JSON.

    python -m sandbox.run get_user_info
    python -m sandbox.run create_video_post --input '{"file": "clip.mp4", "privacy_level": "SELF_ONLY"}'
    python -m sandbox.run get_videos --input inputs.json

Against the built-in sandbox by default; against real TikTok when TIKTOK_ACCESS_TOKEN is set. A `file` input
given as a plain string is read as a local path and sent as the platform's base64 file object. Upload progress
goes to stderr.
"""

import argparse
import asyncio
import base64
import dataclasses
import enum
import json
import logging
import mimetypes
import os
import sys
from pathlib import Path

from sandbox.platform import load_integration, make_context

CONNECTED_ACCOUNT = "connected_account"


def read_inputs(text: str | None) -> dict:
    if not text:
        return {}
    path = Path(text)
    raw = path.read_text() if not text.lstrip().startswith("{") and path.is_file() else text
    inputs = json.loads(raw)
    if not isinstance(inputs, dict):
        raise SystemExit("inputs must be a JSON object")
    if isinstance(inputs.get("file"), str):
        inputs["file"] = file_object(Path(inputs["file"]))
    return inputs


def file_object(path: Path) -> dict:
    if not path.is_file():
        raise SystemExit(f"file not found: {path}")
    content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return {"name": path.name, "contentType": content_type, "content": base64.b64encode(path.read_bytes()).decode()}


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


async def execute(action: str, inputs: dict, token: str):
    module = load_integration()
    async with make_context(token) as context:
        if action == CONNECTED_ACCOUNT:
            return await module.tiktok.get_connected_account(context)
        return await module.tiktok.execute_action(action, inputs, context)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", help=f"an action name from config.json, or {CONNECTED_ACCOUNT}")
    parser.add_argument("--input", help="inputs as inline JSON or a path to a JSON file")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="  %(message)s")
    inputs = read_inputs(args.input)
    live_token = os.environ.get("TIKTOK_ACCESS_TOKEN")
    if live_token:
        print("running against real TikTok (TIKTOK_ACCESS_TOKEN is set)", file=sys.stderr)
        result = asyncio.run(execute(args.action, inputs, live_token))
    else:
        from sandbox import TikTokSandbox

        print("running against the built-in TikTok sandbox (set TIKTOK_ACCESS_TOKEN for real TikTok)", file=sys.stderr)
        with TikTokSandbox() as sandbox:
            result = asyncio.run(execute(args.action, inputs, sandbox.token))
    print(json.dumps(to_jsonable(result), indent=2, ensure_ascii=False))
    kind = getattr(result, "type", None)
    return 0 if getattr(kind, "value", "") in ("action", "connected_account") else 1


if __name__ == "__main__":
    sys.exit(main())
