"""Sample media for trying the integration: built byte by byte from ``media.py`` (nothing binary is in git).

The sandbox hosts every sample at ``SAMPLE_BASE + name`` (a prefix its TikTok app has verified, so the photos
and ``pull_from_url`` work), and ``make samples`` writes the same bytes to ``samples/`` for ``file`` inputs.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .media import make_jpeg, make_mp4, make_png, make_webm

SAMPLE_BASE = "https://media.sandbox.example/verified/samples/"


@dataclass(frozen=True)
class Sample:
    name: str
    content_type: str
    what: str
    build: Callable[[], bytes]

    @property
    def url(self) -> str:
        return SAMPLE_BASE + self.name


SAMPLES = (
    Sample(
        "clip.mp4",
        "video/mp4",
        "10 s, 30 fps, 1080x1920 H.264 MP4, moov first",
        lambda: make_mp4(600_000, 10.0, fps=30),
    ),
    Sample(
        "clip-moov-last.mp4",
        "video/mp4",
        "12 s, 30 fps MP4 with its moov after the media, as many cameras write it",
        lambda: make_mp4(600_000, 12.0, fps=30, moov_last=True),
    ),
    Sample(
        "too-long.mp4",
        "video/mp4",
        "15 min MP4: longer than the sandbox creator's 600 s limit",
        lambda: make_mp4(600_000, 900.0, fps=30),
    ),
    Sample(
        "clip-120fps.mp4",
        "video/mp4",
        "10 s MP4 at 120 fps (TikTok takes 23-60)",
        lambda: make_mp4(600_000, 10.0, fps=120),
    ),
    Sample("clip.webm", "video/webm", "10 s, 30 fps, 1080x1920 VP9 WebM", lambda: make_webm(300_000, 10.0, fps=30)),
    Sample("photo-1.jpg", "image/jpeg", "1080x1920 JPEG", lambda: make_jpeg(1080, 1920)),
    Sample("photo-2.jpg", "image/jpeg", "1080x1920 JPEG", lambda: make_jpeg(1080, 1920)),
    Sample("photo-3.jpg", "image/jpeg", "1080x1080 JPEG", lambda: make_jpeg(1080, 1080)),
    Sample(
        "photo.png",
        "image/png",
        "1080x1080 PNG (TikTok's photo posts take JPEG and WebP)",
        lambda: make_png(1080, 1080),
    ),
)
BY_NAME = {sample.name: sample for sample in SAMPLES}


@functools.cache
def sample_bytes(name: str) -> bytes:
    """The sample's bytes, built on first use and then kept for the process."""
    return BY_NAME[name].build()


def write_samples(folder: Path) -> list[Path]:
    """Write every sample into ``folder`` (created if needed); returns the paths written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for sample in SAMPLES:
        path = folder / sample.name
        path.write_bytes(sample_bytes(sample.name))
        written.append(path)
    return written


def main() -> int:
    """``make samples``: the list goes to stdout, one line per file."""
    folder = Path(__file__).resolve().parent.parent / "samples"
    for path, sample in zip(write_samples(folder), SAMPLES):
        print(f"samples/{path.name:<20} {path.stat().st_size:>8,} B  {sample.what}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
