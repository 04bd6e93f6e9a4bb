"""`make export`: write dist/tiktok/, exactly the folder a pull request to Autohive's integrations monorepo would
contain, and dist/ROOT_ENV_EXAMPLE.txt, the block for the monorepo root's .env.example.

What ships is named here and nowhere else (tools/check_integration.py checks the result against it): the
integration's files, its README without the passages about this standalone repository (between
`<!-- repo-only -->` and `<!-- /repo-only -->` lines), and its tests that run with nothing but requirements.txt
and pytest, pytest-asyncio and pytest-cov.
"""

import re
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DIST = ROOT / "dist"
FOLDER = DIST / "tiktok"
ENV_BLOCK = DIST / "ROOT_ENV_EXAMPLE.txt"

TOP_LEVEL = ("config.json", "__init__.py", "requirements.txt", "icon.png", "README.md")
ENTRY_AND_SIBLINGS = "tiktok*.py"
TEST_FILES = (
    "tests/__init__.py",
    "tests/conftest.py",
    "tests/tiktok_testkit.py",
    "tests/test_tiktok_*_unit.py",
    "tests/test_tiktok_integration.py",
    "tests/media/*",
)
LIVE_TESTS = ROOT / "tests" / "test_tiktok_integration.py"
REPO_ONLY = re.compile(r"^<!-- repo-only -->\n.*?^<!-- /repo-only -->\n", re.M | re.S)


def shipped_files() -> list[str]:
    """Paths, relative to the repository root, of everything the exported folder holds."""
    names = list(TOP_LEVEL) + sorted(p.name for p in ROOT.glob(ENTRY_AND_SIBLINGS))
    for pattern in TEST_FILES:
        names += sorted(str(p.relative_to(ROOT)) for p in ROOT.glob(pattern))
    return names


def live_test_variables() -> list[str]:
    """Every environment variable the live tests read (the monorepo's root .env.example must list each)."""
    return sorted(set(re.findall(r"\b(TIKTOK_[A-Z0-9_]+)\b", LIVE_TESTS.read_text())))


def integration_readme(text: str) -> str:
    stripped = REPO_ONLY.sub("", text)
    if "repo-only -->" in stripped:
        raise SystemExit("export: README.md has an unbalanced <!-- repo-only --> marker")
    return re.sub(r"\n{3,}", "\n\n", stripped)


def env_block() -> str:
    lines = [
        "# -- TikTok --",
        "# A user access token (act....) with the scopes in tiktok/config.json, from a TikTok app's Login Kit flow.",
        "# Optional: TIKTOK_TEST_VIDEO, a real MP4 of a few seconds (check_video and the posts); TIKTOK_LIVE_POSTS=1",
        "# to run the posting tests; TIKTOK_TEST_PHOTO_URL, a JPEG on a URL prefix verified for the app.",
    ]
    lines += [f"# {name}=" for name in live_test_variables()]
    return "\n".join(lines) + "\n"


def main() -> int:
    if DIST.exists():
        shutil.rmtree(DIST)
    for name in shipped_files():
        target = FOLDER / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if name == "README.md":
            target.write_text(integration_readme((ROOT / name).read_text()))
        else:
            shutil.copyfile(ROOT / name, target)
    ENV_BLOCK.write_text(env_block())
    count = sum(1 for p in FOLDER.rglob("*") if p.is_file())
    print(f"export: {count} files in {FOLDER.relative_to(ROOT)}, root .env.example block in {ENV_BLOCK.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
