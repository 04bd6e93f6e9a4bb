"""Run the exported folder's unit tests the way Autohive's CI does (run_tests.py of
autohive-integrations-tooling): from the monorepo root, in a folder named `tiktok`, with only what that CI
installs (pytest, pytest-asyncio, pytest-cov, the SDK, then requirements.txt), and the exact command it runs.

    python -m tools.export_ci --python .venv-ci/bin/python [--monorepo-root]

--monorepo-root places stand-ins for the monorepo's root conftest.py and pyproject.toml above the folder
(tools/monorepo_stand_in/); without it the folder stands alone. Fails when a test fails, when no test ran, or
when line coverage of the integration's modules is under 90% in total or under 80% for any one module.

--beside-other (with --monorepo-root) then also runs the tests the way the monorepo's CONTRIBUTING runs several
folders at once, `pytest hackernews/ tiktok/` from the root, beside a stand-in for another integration
(tools/monorepo_stand_in/hackernews: its own `tests` package, a conftest that puts its folder on sys.path), in
both orders. Every integration's tests folder is a package named `tests`, so a test that imported `tests.x`
would find the other folder's; each order must pass every test of both folders.
"""

import argparse
import json
import os
import re
import shutil
import subprocess  # nosec B404 - runs this repository's own test command
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXPORTED = ROOT / "dist" / "tiktok"
STAND_IN = ROOT / "tools" / "monorepo_stand_in"
TOTAL_MIN, MODULE_MIN = 90.0, 80.0


def ci_command(python: str) -> list[str]:
    return [
        python, "-m", "pytest", "--import-mode=importlib", "-m", "unit", "--tb=short", "--no-header", "-q",
        "--cov", "tiktok", "--cov-report=term-missing:skip-covered", "tiktok/tests/test_*_unit.py",
    ]  # fmt: skip


def module_coverage(python: str, where: Path) -> dict[str, tuple[int, int]]:
    """(covered, statements) per integration module (tests excluded), from the run's own coverage data."""
    report = where / "coverage.json"
    subprocess.run([python, "-m", "coverage", "json", "-q", "-o", str(report)], cwd=where, check=True)  # nosec B603
    files = json.loads(report.read_text())["files"]
    return {
        Path(name).name: (info["summary"]["covered_lines"], info["summary"]["num_statements"])
        for name, info in files.items()
        if "/tests/" not in f"/{name}" and Path(name).parent.name == "tiktok"
    }


OTHER = "hackernews"


def outcome(output: str) -> dict[str, int]:
    """{'passed': N, 'skipped': M, ...} from pytest's last summary line."""
    summary = [line for line in output.splitlines() if re.search(r"\d+ (passed|failed|error)", line)]
    return {word: int(n) for n, word in re.findall(r"(\d+) (\w+)", summary[-1])} if summary else {}


def run_pytest(python: str, where: Path, folders: list[str]) -> tuple[subprocess.CompletedProcess, dict[str, int]]:
    """The venv's `pytest` script (as CONTRIBUTING types it, so the root is not put on sys.path) from the root."""
    command = [str(Path(python).parent / "pytest"), "-q", "-p", "no:cacheprovider", *folders]
    run = subprocess.run(command, cwd=where, capture_output=True, text=True)  # nosec B603
    return run, outcome(run.stdout)


def beside_other(python: str, where: Path, alone: dict[str, int]) -> bool:
    """CONTRIBUTING's `pytest <folder>/ <folder>/` from the monorepo root, with the stand-in integration first,
    then last: both times every test of both folders runs and passes (as many as each folder alone)."""
    shutil.copytree(STAND_IN / OTHER, where / OTHER)
    _run, other = run_pytest(python, where, [f"{OTHER}/"])
    expected = {key: alone.get(key, 0) + other.get(key, 0) for key in ("passed", "skipped")}
    ok = True
    for order in ([f"{OTHER}/", "tiktok/"], ["tiktok/", f"{OTHER}/"]):
        run, got = run_pytest(python, where, order)
        shown = f"pytest {' '.join(order)}"
        if run.returncode == 0 and {key: got.get(key, 0) for key in expected} == expected:
            print(
                f"export_ci: `{shown}` from the monorepo root: {got['passed']} passed, {got.get('skipped', 0)} skipped"
            )
            continue
        print(run.stdout[-4000:], run.stderr[-2000:], sep="\n", file=sys.stderr)
        print(f"export_ci: `{shown}` from the monorepo root gave {got}, expected {expected}", file=sys.stderr)
        ok = False
    return ok


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--python", required=True)
    parser.add_argument("--monorepo-root", action="store_true")
    parser.add_argument("--beside-other", action="store_true")
    args = parser.parse_args()
    if args.beside_other and not args.monorepo_root:
        parser.error("--beside-other needs --monorepo-root (the runs use the root pyproject.toml's pytest settings)")
    args.python = os.path.abspath(args.python)  # not resolved: a venv's python is a link that must stay inside it
    if not EXPORTED.is_dir():
        print("export_ci: dist/tiktok is missing; run `make export` first", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="monorepo-") as scratch:
        where = Path(scratch)
        shutil.copytree(EXPORTED, where / "tiktok")
        if args.monorepo_root:
            for name in ("conftest.py", "pyproject.toml"):
                shutil.copyfile(STAND_IN / name, where / name)
        version = subprocess.run(  # nosec B603
            [args.python, "-c", "import aiohttp, pytest; print(aiohttp.__version__, pytest.__version__)"],
            capture_output=True, text=True, check=True,
        ).stdout.split()  # fmt: skip
        layout = "beside a monorepo root conftest.py + pyproject.toml" if args.monorepo_root else "standing alone"
        print(f"export_ci: Autohive's test command on dist/tiktok, aiohttp {version[0]}, pytest {version[1]}, {layout}")
        # Globs are expanded by CI's shell; here, by hand.
        command = ci_command(args.python)
        command[-1:] = sorted(str(p.relative_to(where)) for p in (where / "tiktok" / "tests").glob("test_*_unit.py"))
        if command[-1].startswith("--"):
            print("export_ci: dist/tiktok/tests holds no test_*_unit.py file", file=sys.stderr)
            return 1
        run = subprocess.run(command, cwd=where, capture_output=True, text=True)  # nosec B603
        print(run.stdout[-4000:], end="")
        if run.returncode != 0:
            print(run.stderr[-4000:], file=sys.stderr)
            print(f"export_ci: the exported tests failed (exit {run.returncode})", file=sys.stderr)
            return 1
        modules = module_coverage(args.python, where)
        if args.beside_other and not beside_other(args.python, where, outcome(run.stdout)):
            return 1
    covered = sum(c for c, _ in modules.values())
    statements = sum(s for _, s in modules.values())
    total = 100.0 * covered / max(statements, 1)
    problems = [f"total {total:.1f}% < {TOTAL_MIN:.0f}%"] if total < TOTAL_MIN else []
    for name, (c, s) in sorted(modules.items()):
        if s == 0:
            continue  # an empty module (__init__.py) has nothing to cover
        percent = 100.0 * c / s
        print(f"export_ci:   {name:<22} {percent:5.1f}% of {s} lines")
        if percent < MODULE_MIN:
            problems.append(f"{name} {percent:.1f}% < {MODULE_MIN:.0f}%")
    print(f"export_ci:   {'integration total':<22} {total:5.1f}%")
    for problem in problems:
        print(f"export_ci: coverage too low: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
