"""Run the exported folder's unit tests the way Autohive's CI does (run_tests.py of
autohive-integrations-tooling): from the monorepo root, in a folder named `tiktok`, with only what that CI
installs (pytest, pytest-asyncio, pytest-cov, the SDK, then requirements.txt), and the exact command it runs.

    python -m tools.export_ci --python .venv-ci/bin/python [--monorepo-root]

--monorepo-root places stand-ins for the monorepo's root conftest.py and pyproject.toml above the folder
(tools/monorepo_stand_in/); without it the folder stands alone. Fails when a test fails, when no test ran, or
when line coverage of the integration's modules is under 90% in total or under 80% for any one module.
"""

import argparse
import json
import os
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


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--python", required=True)
    parser.add_argument("--monorepo-root", action="store_true")
    args = parser.parse_args()
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
