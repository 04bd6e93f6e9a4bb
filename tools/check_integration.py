"""The Autohive tooling's structural checks, run locally: layout, config.json, config/code sync, fetch pattern.

The platform's validator (hiveup) is not on PyPI, so `make test` runs this re-statement of its rules (see
shared/docs/autohive-conventions.md §1, §2 and §6). Any finding, error or warning, fails the build.
"""

import ast
import io
import json
import re
import struct
import sys
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SKIP_DIRS = {
    ".venv", ".venv-ci", ".venv-ci-oldest", "venv", "dependencies", "dist", "__pycache__", ".git", ".pytest_cache",
    ".ruff_cache", "monorepo_stand_in",
}  # fmt: skip
# This folder replaces the monorepo's tiktok/ at this version, with breaking changes (README "Changes from 1.x"):
# the CI's version step then asks for a major bump.
REPLACED_VERSION = (1, 0, 0)
ACTION_FIELDS = ("display_name", "description", "input_schema", "output_schema")
TRIGGER_FIELDS = ("description", "polling_interval", "input_schema", "output_schema")


def python_files():
    for path in sorted(ROOT.rglob("*.py")):
        if not SKIP_DIRS.intersection(path.relative_to(ROOT).parts):
            yield path


def check_structure(config: dict) -> list[str]:
    problems = []
    for name in ("config.json", "requirements.txt", "README.md", "__init__.py", "tests/__init__.py"):
        if not (ROOT / name).is_file():
            problems.append(f"missing {name}")
    if not ((ROOT / "tests/conftest.py").is_file() or (ROOT / "tests/context.py").is_file()):
        problems.append("missing tests/conftest.py or tests/context.py")
    if not list((ROOT / "tests").glob("test_*_unit.py")):
        problems.append("missing tests/test_*_unit.py")
    icon = ROOT / "icon.png"
    if not icon.is_file():
        problems.append("missing icon.png")
    else:
        head = icon.read_bytes()[:24]
        if head[:8] != b"\x89PNG\r\n\x1a\n" or struct.unpack(">II", head[16:24]) != (512, 512):
            problems.append("icon.png must be a 512x512 PNG")
    for line in (ROOT / "__init__.py").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#") and not re.match(r"^(from\s+\.\w+\s+import\s+\w+|__all__\s*=)", line):
            problems.append(f"__init__.py should be minimal, found: {line!r}")
    requirements = (ROOT / "requirements.txt").read_text()
    if not re.search(r"autohive-integrations-sdk\s*~=\s*2\.\d+\.\d+", requirements):
        problems.append("requirements.txt must pin autohive-integrations-sdk with ~= 2.x")
    for key in ("name", "display_name", "version", "description", "entry_point", "actions"):
        if not config.get(key):
            problems.append(f"config.json lacks {key}")
    problems += check_version(str(config.get("version", "")))
    entry = ROOT / config.get("entry_point", "")
    if not entry.is_file() or not re.search(rf"^{entry.stem}\s*=\s*\w*Integration\.load\(\)", entry.read_text(), re.M):
        problems.append(f"{entry.name} must define '{entry.stem} = Integration.load()' at module scope")
    for name, action in config.get("actions", {}).items():
        if name != name.lower():
            problems.append(f"action {name} is not lowercase")
        if sorted(action) != sorted(ACTION_FIELDS):
            problems.append(f"action {name} must have exactly {', '.join(ACTION_FIELDS)}")
    for name, trigger in config.get("polling_triggers", {}).items():
        # The SDK reads exactly these (display_name is the form's label); its interval parser takes "<n>s|m|h|d".
        if name != name.lower() or not set(TRIGGER_FIELDS) <= set(trigger) <= {*TRIGGER_FIELDS, "display_name"}:
            problems.append(f"polling trigger {name} must be lowercase with {', '.join(TRIGGER_FIELDS)}")
        if not re.fullmatch(r"[1-9][0-9]*[smhd]", str(trigger.get("polling_interval"))):
            problems.append(f"polling trigger {name}: polling_interval must be like 30s, 5m, 1h or 1d")
    auth = config.get("auth", {})
    if auth.get("type") != "platform" or not auth.get("provider") or not isinstance(auth.get("scopes"), list):
        problems.append("auth must be platform OAuth with a provider and a scopes list")
    texts = " ".join(
        f"{n} {a.get('display_name', '')} {a.get('description', '')}" for n, a in config["actions"].items()
    ).lower()
    for scope in auth.get("scopes", []):
        words = [w for w in re.split(r"[:._-]", scope.lower()) if len(w) > 3 and w not in ("read", "write", "admin")]
        if words and not any(w in texts for w in words):
            problems.append(f"scope {scope} is not mentioned by any action")
    return problems


def check_version(version: str) -> list[str]:
    """What the CI's version step checks for a replacement: semver, and a major bump over the replaced version."""
    if not re.fullmatch(r"\d+\.\d+\.\d+", version):
        return [f"config.json version {version!r} is not x.y.z"]
    if tuple(int(part) for part in version.split("."))[0] <= REPLACED_VERSION[0]:
        replaced = ".".join(map(str, REPLACED_VERSION))
        return [f"config.json version {version} must be a major bump over {replaced} (breaking changes)"]
    return []


def check_exported() -> list[str]:
    """dist/tiktok holds exactly the files tools/export.py ships, and its Python imports nothing that Autohive's
    CI does not install (the standalone repository's sandbox, aioresponses)."""
    from tools.export import FOLDER, shipped_files

    if not FOLDER.is_dir():
        return ["dist/tiktok is missing; run make export"]
    found = {str(p.relative_to(FOLDER)) for p in FOLDER.rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    expected = set(shipped_files())
    problems = [f"dist/tiktok holds {name}, which is not shipped" for name in sorted(found - expected)]
    problems += [f"dist/tiktok lacks {name}" for name in sorted(expected - found)]
    if (FOLDER / "README.md").is_file():
        for target in relative_links((FOLDER / "README.md").read_text()):
            if not (FOLDER / target).exists():
                problems.append(f"dist/tiktok/README.md links to {target}, which is not shipped (repo-only part?)")
    siblings = {p.stem for p in FOLDER.glob("*.py")} | {p.stem for p in FOLDER.glob("tests/tiktok_*.py")}
    for path in sorted(FOLDER.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                top = name.split(".")[0]
                if top not in siblings and top not in sys.stdlib_module_names and top not in SHIPPED_IMPORTS:
                    problems.append(f"dist/tiktok/{path.relative_to(FOLDER)} imports {name}, which CI does not install")
    return problems


# The sizes a maintainer of the monorepo reads first (issue "Lean and native"): the exported README's words, and
# the lengths of the descriptions the form shows and an agent chooses inputs by.
README_WORDS_MAX = 2000
ACTION_DESCRIPTION_MAX = 300
INPUT_DESCRIPTION_MAX = 200


def check_house_sizes() -> list[str]:
    """The exported README, the descriptions and the citations read like the monorepo's neighbours: no shipped file
    cites this repository's notes (shared/ or their section numbers)."""
    from tools.export import FOLDER

    problems = []
    words = len((FOLDER / "README.md").read_text().split())
    if words > README_WORDS_MAX:
        problems.append(f"the exported README has {words} words; at most {README_WORDS_MAX}")
    config = json.loads((FOLDER / "config.json").read_text())
    for name, action in {**config.get("actions", {}), **config.get("polling_triggers", {})}.items():
        if len(action.get("description", "")) > ACTION_DESCRIPTION_MAX:
            problems.append(f"{name}: its description is over {ACTION_DESCRIPTION_MAX} characters")
        pending = [(name, action.get("input_schema") or {})]
        while pending:
            where, schema = pending.pop()
            for key, field in schema.get("properties", {}).items():
                if len(field.get("description", "")) > INPUT_DESCRIPTION_MAX:
                    problems.append(f"{where}.{key}: its description is over {INPUT_DESCRIPTION_MAX} characters")
                items = field.get("items")
                pending += [(f"{where}.{key}", s) for s in (field, items) if isinstance(s, dict) and "properties" in s]
    for path in sorted(FOLDER.rglob("*")):
        if (
            path.is_file()
            and path.suffix in (".py", ".md", ".json")
            and ("shared/" in path.read_text() or "§" in path.read_text())
        ):
            problems.append(f"dist/tiktok/{path.relative_to(FOLDER)} cites shared/ or a § section; cite TikTok's pages")
    return problems


# Code lines of the shipped modules (comments, docstrings and blank lines do not count), with every behaviour the
# issues ask for: a maintainer reviews size as well as correctness.
CODE_LINES_MAX = 2200


def code_lines(source: str) -> int:
    """Lines holding a token other than a comment, a line break or a string standing alone as a statement."""
    standalone = {
        line
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)
        for line in range(node.lineno, node.end_lineno + 1)
    }
    skip = (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER)
    lines = set()
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type not in skip:
            lines.update(range(token.start[0], token.end[0] + 1))
    return len(lines - standalone)


def check_code_size() -> list[str]:
    from tools.export import FOLDER

    modules = sorted(p for p in FOLDER.glob("*.py") if p.name != "__init__.py")
    total = sum(code_lines(p.read_text()) for p in modules)
    return [] if total <= CODE_LINES_MAX else [f"the shipped modules hold {total} code lines; at most {CODE_LINES_MAX}"]


# What Autohive's CI installs for the tests: requirements.txt (the SDK with aiohttp, yarl, multidict; imagesize) and
# the pytest trio.
SHIPPED_IMPORTS = {"autohive_integrations_sdk", "aiohttp", "yarl", "imagesize", "multidict", "pytest", "pytest_asyncio"}


def _is_inputs_read(node) -> tuple[str, str] | None:
    """('direct'|'get', key) for inputs["key"] / inputs.get("key", ...)."""
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and node.value.id == "inputs":
        if isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str):
            return "direct", node.slice.value
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "get"
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "inputs"
        and node.args
        and isinstance(node.args[0], ast.Constant)
    ):
        return "get", node.args[0].value
    return None


# The decorator of each kind of handler, and the method that reads its inputs.
HANDLER_KINDS = {"action": ("actions", "execute"), "polling_trigger": ("polling_triggers", "poll")}


def check_sync(config: dict) -> list[str]:
    """Every action and polling trigger of config.json has one handler and the other way round, and each handler
    reads exactly the inputs its schema declares, required ones with inputs[...] and optional ones with .get()."""
    problems, handled = [], {kind: {} for kind in HANDLER_KINDS}
    for path in python_files():
        tree = ast.parse(path.read_text(), str(path))
        for cls in (n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)):
            for deco in cls.decorator_list:
                if (
                    isinstance(deco, ast.Call)
                    and isinstance(deco.func, ast.Attribute)
                    and deco.func.attr in HANDLER_KINDS
                    and deco.args
                    and isinstance(deco.args[0], ast.Constant)
                ):
                    method_name = HANDLER_KINDS[deco.func.attr][1]
                    method = next(
                        (
                            f
                            for f in cls.body
                            if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef)) and f.name == method_name
                        ),
                        None,
                    )
                    reads: dict[str, set] = {}
                    for node in ast.walk(method) if method else ():
                        found = _is_inputs_read(node)
                        if found:
                            reads.setdefault(found[1], set()).add(found[0])
                    handled[deco.func.attr][deco.args[0].value] = reads
    for kind, (section, _method) in HANDLER_KINDS.items():
        what = kind.replace("_", " ")
        entries = config.get(section, {})
        for name in entries.keys() - handled[kind].keys():
            problems.append(f"{what} {name} is in config.json but has no @{kind} handler")
        for name in handled[kind].keys() - entries.keys():
            problems.append(f"{what} handler {name} is not in config.json")
        for name in entries.keys() & handled[kind].keys():
            schema, reads = entries[name]["input_schema"], handled[kind][name]
            declared, required = set(schema.get("properties", {})), set(schema.get("required", []))
            for key in reads.keys() - declared:
                problems.append(f"{name}: input {key!r} is read but not declared")
            for key in declared - reads.keys():
                problems.append(f"{name}: input {key!r} is declared but never read")
            for key in declared & reads.keys():
                if key in required and reads[key] == {"get"}:
                    problems.append(f"{name}: required input {key!r} is read with inputs.get()")
                if key not in required and reads[key] == {"direct"}:
                    problems.append(f"{name}: optional input {key!r} is read with inputs[...]")
    return problems


def relative_links(markdown: str) -> list[str]:
    """Targets of the Markdown links that point into the repository (no scheme, no bare #anchor), anchors cut."""
    targets = re.findall(r"\]\(([^)\s]+)\)", markdown)
    return [t.split("#")[0] for t in targets if not re.match(r"^[a-z][a-z0-9+.-]*:|^#", t, re.I)]


def check_doc_links() -> list[str]:
    """README.md and docs/*.md link only to files that exist in this repository."""
    problems = []
    for page in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for target in relative_links(page.read_text()):
            if not (page.parent / target).exists():
                problems.append(f"{page.relative_to(ROOT)} links to {target}, which does not exist")
    return problems


def check_shared_names() -> list[str]:
    """Nothing imports `tests` or `tests.*`: every integration's tests folder in the monorepo is a package named
    `tests`, so in one pytest run over several folders that name means whichever folder came first. A helper module
    beside the tests carries the integration's prefix (tests/tiktok_testkit.py) and is imported by that name."""
    problems = []
    for path in python_files():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                if name.split(".")[0] in ("tests", "conftest"):
                    where = f"{path.relative_to(ROOT)}:{node.lineno}"
                    problems.append(f"{where}: imports {name}; another integration's tests can hold that name")
    for path in sorted((ROOT / "tests").glob("*.py")):
        if path.name not in ("__init__.py", "conftest.py") and not path.name.startswith(("test_", "tiktok_")):
            problems.append(f"tests/{path.name}: a helper module needs the integration's prefix (tiktok_*.py)")
    return problems


def check_fetch_pattern() -> list[str]:
    problems = []
    for path in python_files():
        tree = ast.parse(path.read_text(), str(path))
        tracked = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                call = node.value.value if isinstance(node.value, ast.Await) else node.value
                if (
                    isinstance(call, ast.Call)
                    and isinstance(call.func, ast.Attribute)
                    and call.func.attr == "fetch"
                    and isinstance(call.func.value, ast.Name)
                    and call.func.value.id == "context"
                ):
                    tracked.add(node.targets[0].id)
        for node in ast.walk(tree):
            bad = (
                (isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and node.value.id in tracked)
                or (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "get"
                    and isinstance(node.func.value, ast.Name)
                    and node.func.value.id in tracked
                )
                or (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Name)
                    and node.func.id == "isinstance"
                    and node.args
                    and isinstance(node.args[0], ast.Name)
                    and node.args[0].id in tracked
                )
            )
            if bad:
                problems.append(f"{path.relative_to(ROOT)}:{node.lineno}: use the fetch result through .data")
    return problems


def main() -> int:
    if sys.argv[1:] == ["--exported"]:
        problems = check_exported() + check_house_sizes() + check_code_size()
        for problem in problems:
            print(f"check_integration: {problem}", file=sys.stderr)
        if not problems:
            print("check_integration: dist/tiktok holds exactly the shipped files and imports only what CI installs")
        return 1 if problems else 0
    config = json.loads((ROOT / "config.json").read_text())
    problems = check_structure(config) + check_sync(config) + check_fetch_pattern()
    problems += check_doc_links() + check_shared_names()
    for problem in problems:
        print(f"check_integration: {problem}", file=sys.stderr)
    if not problems:
        counts = f"{len(config['actions'])} actions, {len(config.get('polling_triggers', {}))} polling triggers"
        print(f"check_integration: structure, config/code sync and fetch pattern OK ({counts})")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
