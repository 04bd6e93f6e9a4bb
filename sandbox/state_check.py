"""What a saved sandbox state (``.sandbox/state.json``) may hold, checked before `make run` uses it.

``playground.restore`` trusts its input; this module is what makes that safe. Every field the state holds is
checked for its type and range, and every reference (a token's or publish's account, a publish's upload) for
pointing somewhere, so a damaged or hand-edited state is refused with one plain sentence instead of failing
later inside an action (or being saved back). JSON text is also refused when it nests deeper than ``MAX_DEPTH``:
nothing the sandbox writes comes close, and Python's own JSON reader and writer give up at a few hundred levels.
"""

from __future__ import annotations

import base64
import binascii
import calendar
import dataclasses
import json
import math
import re
import time
from typing import Any, Callable

from .state import ALL_SCOPES, DEFAULT_EPOCH, DEFAULT_RATE_LIMITS, Account, Upload

MAX_DEPTH = 32
MAX_INT = 2**63 - 1  # TikTok's ids and counters are int64
MAX_TIME = calendar.timegm((9999, 12, 31, 23, 59, 59))
STATUSES = ("PROCESSING_UPLOAD", "PROCESSING_DOWNLOAD", "SEND_TO_USER_INBOX", "PUBLISH_COMPLETE", "FAILED")
UNKNOWN_DIGEST = "unknown: bytes were added after the sandbox was restored"
_HEX64 = re.compile(r"[0-9a-f]{64}")


class Damaged(ValueError):
    """The state (or INPUT) cannot be used; the message says why in plain words."""


# ---------------------------------------------------------------------------------------------------------------------
# JSON text
# ---------------------------------------------------------------------------------------------------------------------


def too_deep(value: Any, limit: int = MAX_DEPTH) -> bool:
    """True if ``value`` nests lists and objects more than ``limit`` levels deep (checked without recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            if depth > limit:
                return True
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return False


def load_json(text: str, subject: str, limit: int = MAX_DEPTH) -> Any:
    """``json.loads`` that refuses, as ``Damaged`` naming ``subject``, text that is not JSON or nests deeper than
    ``limit`` (Python's reader gives up with a RecursionError at a few hundred levels; its writer too)."""
    too_deeply = f"{subject} is nested too deeply (more than {limit} levels of brackets)"
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise Damaged(
            f"{subject} is not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}"
        ) from None
    except RecursionError:
        raise Damaged(too_deeply) from None
    except ValueError as error:  # e.g. an integer with more digits than Python converts
        raise Damaged(f"{subject} is not valid JSON: {error}") from None
    if too_deep(value, limit):
        raise Damaged(too_deeply)
    return value


# ---------------------------------------------------------------------------------------------------------------------
# Values
# ---------------------------------------------------------------------------------------------------------------------


def show(value: Any) -> str:
    """A value as the person who edited the JSON would recognise it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str) and len(value) > 60:
        return repr(value[:60] + "…")
    return repr(value)


def _utc(seconds: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def _fail(where: str, expected: str, value: Any) -> None:
    raise Damaged(f"{where} must be {expected}, not {show(value)}")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def whole(where: str, value: Any, low: int = 0, high: int = MAX_INT) -> None:
    if not (_is_int(value) and low <= value <= high):
        _fail(where, f"a whole number from {low} to {high}", value)


def moment(where: str, value: Any, low: float = 0) -> None:
    """A time in seconds since 1970 (the sandbox's clock), finite and within years 1970-9999."""
    number = _is_int(value) or (isinstance(value, float) and math.isfinite(value))
    if not (number and low <= value <= MAX_TIME):
        _fail(where, f"a Unix time from {_utc(int(low))} to {_utc(MAX_TIME)}", value)


def text(where: str, value: Any) -> None:
    if not isinstance(value, str):
        _fail(where, "a string", value)


def name(where: str, value: Any) -> None:
    if not (isinstance(value, str) and value):
        _fail(where, "a non-empty string", value)


def flag(where: str, value: Any) -> None:
    if not isinstance(value, bool):
        _fail(where, "true or false", value)


def one_of(options: tuple[str, ...]) -> Callable[[str, Any], None]:
    def check(where: str, value: Any) -> None:
        if not (isinstance(value, str) and value in options):
            _fail(where, f"one of {', '.join(options)}", value)

    return check


def optional(check: Callable[[str, Any], None], description: str) -> Callable[[str, Any], None]:
    def check_optional(where: str, value: Any) -> None:
        if value is None:
            return
        try:
            check(where, value)
        except Damaged:
            _fail(where, f"null or {description}", value)

    return check_optional


def listing(where: str, value: Any, item: Callable[[str, Any], None] | None = None) -> list:
    if not isinstance(value, list):
        _fail(where, "a list", value)
    if item is not None:
        for i, element in enumerate(value):
            item(f"{where}[{i}]", element)
    return value


def obj(where: str, value: Any, fields: dict[str, Callable[[str, Any], None]]) -> dict:
    """An object with exactly ``fields``, each checked."""
    if not isinstance(value, dict):
        _fail(where or "the state", "a JSON object", value)
    owner = where or "the state"
    for key in fields:
        if key not in value:
            raise Damaged(f"{owner} has no field {key!r}")
    for key in value:
        if key not in fields:
            raise Damaged(f"{owner} has an unknown field {key!r}")
    for key, check in fields.items():
        check(f"{where}.{key}" if where else key, value[key])
    return value


def row(*checks: Callable[[str, Any], None]) -> Callable[[str, Any], None]:
    """A list of exactly ``len(checks)`` items, item i checked by ``checks[i]``."""

    def check(where: str, value: Any) -> None:
        if not (isinstance(value, list) and len(value) == len(checks)):
            _fail(where, f"a list of {len(checks)} items", value)
        for i, item in enumerate(checks):
            item(f"{where}[{i}]", value[i])

    return check


count = whole
optional_text = optional(text, "a string")
optional_count = optional(count, f"a whole number from 0 to {MAX_INT}")
optional_moment = optional(moment, f"a Unix time from {_utc(0)} to {_utc(MAX_TIME)}")


def head(where: str, value: Any) -> None:
    try:
        ok = isinstance(value, str) and len(base64.b64decode(value, validate=True)) <= Upload.HEAD_BYTES
    except (binascii.Error, ValueError):
        ok = False
    if not ok:
        _fail(where, f"base64 text of at most {Upload.HEAD_BYTES} bytes", value)


def digest(where: str, value: Any) -> None:
    if not (isinstance(value, str) and (_HEX64.fullmatch(value) or value == UNKNOWN_DIGEST)):
        _fail(where, "64 lowercase hexadecimal digits", value)


def post_id(where: str, value: Any) -> None:
    whole(where, value, 1)


def free_object(where: str, value: Any) -> None:
    if not isinstance(value, dict):
        _fail(where, "a JSON object", value)


# ---------------------------------------------------------------------------------------------------------------------
# The state, field by field (the shape ``playground.snapshot`` writes)
# ---------------------------------------------------------------------------------------------------------------------

_VIDEO = {
    "id": name,
    "create_time": lambda where, value: whole(where, value, 0, MAX_TIME),
    "share_url": text,
    "video_description": text,
    "duration": count,
    "height": count,
    "width": count,
    "title": text,
    "embed_html": text,
    "embed_link": text,
    "like_count": count,
    "comment_count": count,
    "share_count": count,
    "view_count": count,
}
_ACCOUNT_TYPES = {"str": text, "bool": flag, "int": count}
_ACCOUNT_SPECIAL = {
    "index": count,  # and its position, checked below
    "video_count": optional_count,
    "library": lambda where, value: listing(where, value, lambda w, v: obj(w, v, _VIDEO)),
    "post_times": lambda where, value: listing(where, value, moment),
}
_CHUNK = {
    "content_range": optional_text,
    "content_length": optional_text,
    "content_type": optional_text,
    "body_length": count,
    "status": lambda where, value: whole(where, value, 100, 599),
    "authorization": optional_text,
}
_UPLOAD = {
    "upload_id": name,
    "upload_token": name,
    "upload_url": name,
    "publish_id": name,
    "issued_at": moment,
    "expires_at": moment,
    "video_size": count,
    "chunk_size": count,
    "total_chunk_count": count,
    "next_index": count,
    "received": count,
    "completed_at": optional_moment,
    "head": head,
    "progress_as_count": flag,
    "chunks": lambda where, value: listing(where, value, lambda w, v: obj(w, v, _CHUNK)),
    "sha256": digest,
}
_PUBLISH = {
    "publish_id": name,
    "token": name,
    "account": count,  # an account's index, checked below
    "media": one_of(("video", "photo")),
    "mode": one_of(("direct", "inbox")),
    "source": one_of(("FILE_UPLOAD", "PULL_FROM_URL")),
    "created_at": moment,
    "post_info": free_object,  # as TikTok was sent it; what the sandbox reads again is checked below
    "source_info": free_object,
    "privacy_level": optional_text,
    "status": one_of(STATUSES),
    "fail_reason": optional_text,
    "polls_left": count,
    "polls_total": count,
    "download_size": count,
    "downloaded_bytes": count,
    "post_ids": lambda where, value: listing(where, value, post_id),
    "public_post_ids": lambda where, value: listing(where, value, post_id),
    "fail_on_completion": optional_text,
    "upload_id": optional(name, "a non-empty string"),  # an upload's id, checked below
}
_TOKEN = {
    "token": name,
    "scopes": lambda where, value: listing(where, value, one_of(ALL_SCOPES)),
    "account": count,  # an account's index, checked below
    "expires_at": optional_moment,
}


def _account_fields() -> dict[str, Callable[[str, Any], None]]:
    fields = {}
    for field in dataclasses.fields(Account):
        if field.name in _ACCOUNT_SPECIAL:
            fields[field.name] = _ACCOUNT_SPECIAL[field.name]
        else:
            kind = field.type if isinstance(field.type, str) else field.type.__name__
            fields[field.name] = _ACCOUNT_TYPES[kind]
    return fields


_ACCOUNT = _account_fields()


def check_state(state: Any, format_: int, token: str) -> None:
    """Raise ``Damaged`` unless ``state`` is a saved state of format ``format_`` that holds the sandbox's ``token``.

    The fields are exactly those ``playground.snapshot`` writes (from the dataclasses in ``state.py``): a field
    added there and not here makes every saved state "unknown field", which the playground tests catch."""
    if not isinstance(state, dict):
        raise Damaged("it is not a JSON object")
    version = state.get("format")
    if _is_int(version) and version != format_:
        raise Damaged(
            f"it was written by another version of the sandbox (format {version}; this one reads format {format_})"
        )

    def the_format(where: str, value: Any) -> None:
        if not (_is_int(value) and value == format_):
            _fail(where, str(format_), value)

    obj(
        "",
        state,
        {
            "format": the_format,
            "now": lambda where, value: moment(where, value, DEFAULT_EPOCH),
            "seq": count,
            "log_seq": count,
            "fail_next": optional_text,
            "accounts": lambda where, value: listing(where, value, lambda w, v: obj(w, v, _ACCOUNT)),
            "tokens": lambda where, value: listing(where, value, lambda w, v: obj(w, v, _TOKEN)),
            "uploads": lambda where, value: listing(where, value, lambda w, v: obj(w, v, _UPLOAD)),
            "publishes": lambda where, value: listing(where, value, lambda w, v: obj(w, v, _PUBLISH)),
            "rate_windows": lambda where, value: listing(
                where,
                value,
                row(name, one_of(tuple(DEFAULT_RATE_LIMITS)), lambda w, v: listing(w, v, moment)),
            ),
            "app_posters": lambda where, value: listing(where, value, row(moment, count)),
        },
    )
    _check_references(state, token)


def _check_references(state: dict[str, Any], token: str) -> None:
    """What ``restore`` looks up: accounts by index, uploads by id, the sandbox's own token."""
    for i, account in enumerate(state["accounts"]):
        if account["index"] != i + 1:
            _fail(f"accounts[{i}].index", str(i + 1), account["index"])
    indexes = range(1, len(state["accounts"]) + 1)
    known = f"the index of an account ({', '.join(map(str, indexes))})" if indexes else "the index of an account"

    def account_ref(where: str, value: int) -> None:
        if value not in indexes:
            _fail(where, known, value)

    _unique("tokens", [t["token"] for t in state["tokens"]], "token")
    for i, entry in enumerate(state["tokens"]):
        account_ref(f"tokens[{i}].account", entry["account"])
    if token not in {t["token"] for t in state["tokens"]}:
        raise Damaged(f"tokens must include the sandbox's token {token!r}")
    uploads = {u["upload_id"] for u in state["uploads"]}
    _unique("uploads", [u["upload_id"] for u in state["uploads"]], "upload_id")
    _unique("publishes", [p["publish_id"] for p in state["publishes"]], "publish_id")
    for i, publish in enumerate(state["publishes"]):
        where = f"publishes[{i}]"
        account_ref(f"{where}.account", publish["account"])
        upload_id = publish["upload_id"]
        if publish["source"] == "FILE_UPLOAD" and upload_id not in uploads:
            _fail(f"{where}.upload_id", "the upload_id of one of the state's uploads", upload_id)
        if publish["source"] == "PULL_FROM_URL" and upload_id is not None:
            _fail(f"{where}.upload_id", "null for a PULL_FROM_URL publish", upload_id)
        _check_media(where, publish)
    seen = set()
    for i, (entry_token, endpoint, _hits) in enumerate(state["rate_windows"]):
        if (entry_token, endpoint) in seen:
            raise Damaged(f"rate_windows[{i}] repeats the window of {entry_token!r} on {endpoint}")
        seen.add((entry_token, endpoint))
    for i, (_time, index) in enumerate(state["app_posters"]):
        account_ref(f"app_posters[{i}][1]", index)


def _check_media(where: str, publish: dict[str, Any]) -> None:
    """The parts of post_info and source_info the sandbox reads again after the post was accepted."""
    post_info, source_info = publish["post_info"], publish["source_info"]
    optional_text(f"{where}.post_info.title", post_info.get("title"))
    if publish["media"] == "photo":
        if publish["source"] != "PULL_FROM_URL":
            _fail(f"{where}.source", "PULL_FROM_URL for a photo post", publish["source"])
        images = source_info.get("photo_images")
        if not (isinstance(images, list) and images):
            _fail(f"{where}.source_info.photo_images", "a list of photo links", images)
        for i, image in enumerate(images):
            name(f"{where}.source_info.photo_images[{i}]", image)
    elif publish["source"] == "PULL_FROM_URL":
        name(f"{where}.source_info.video_url", source_info.get("video_url"))


def _unique(where: str, values: list[str], key: str) -> None:
    seen = set()
    for value in values:
        if value in seen:
            raise Damaged(f"{where} holds {key} {value!r} twice")
        seen.add(value)
