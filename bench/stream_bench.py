"""`make bench`: how create_video_post moves large videos, next to a plain copy loop over the same bytes.

Cases: videos of 64,000,000 B (one chunk), 64 MiB and 256 MiB streamed from a link, and a 64 MiB video given
inline as base64. For each:
wall time, CPU time and peak Python memory (tracemalloc) of the action, and of a plain loop that reads the
same bytes and PUTs them to the same upload endpoint in the same chunks. Not part of `make test`.

Then the preflight: what reading a link's facts costs besides the upload (requests and bytes the host sent with
a Range header; at most 3 small requests and 2 MiB plus the moov), for a moov before and after the media data,
and the inspector's time on a 50 MB box flood (an `ftyp`, then 8-byte boxes; must stay under 50 ms).

The video host and the upload endpoint run in a separate process on 127.0.0.1 (bench/server.py), so their
work is not counted here, and nothing keeps a record of the bytes (aioresponses would). TikTok's API calls
(creator info, init) are answered in memory by a stand-in context. The host is on loopback over http, which the
link guard refuses: the benchmark admits its own server through the one seam the tests use too, a LoopbackGuard
(tests/tiktok_testkit.py) as tiktok_transfer.link_guard. Everything else about the guard stays as shipped.

`--small` (or BENCH_SMALL=1) runs every case once on small sizes (3 MB and 65 MB links, a 3 MiB inline video,
a 5 MB flood) in seconds: `make test` runs it so that the benchmark cannot break unseen. It fails on an error
and on a missed preflight bound (requests and bytes are counted, not timed); the time and memory figures and
their checks only mean something in the full run (`make bench`).
"""

import argparse
import asyncio
import base64
import gc
import itertools
import json
import os
import struct
import socket
import statistics
import subprocess  # nosec B404
import sys
import time
import tracemalloc

import aiohttp
from autohive_integrations_sdk import FetchResponse
from yarl import URL

from sandbox.media import make_mp4
from sandbox.platform import load_integration, tiktok_testkit

MiB = 2**20
# 64,000,000 bytes is the largest single-chunk upload (held on disk until TikTok has it); 64 MiB and 256 MiB
# go in 10,000,000-byte chunks.
LINK_SIZES = (64_000_000, 64 * MiB, 256 * MiB)
INLINE_SIZE = 64 * MiB
REPEATS = 3
# --small: one link in one chunk, one just over the single-chunk limit (several chunks), once each.
SMALL_LINK_SIZES = (3_000_000, 65_000_000)
SMALL_INLINE_SIZE = 3 * MiB
UPLOAD_IDS = itertools.count(1)  # every upload, the action's or the loop's, gets a fresh id on the server

tiktok = load_integration()
import tiktok_media  # noqa: E402 - after the integration is loaded the way the platform loads it
import tiktok_transfer  # noqa: E402


class StandInContext:
    """Answers creator info and init like TikTok; upload_url points at the local upload endpoint."""

    config = {"max_retries": 0}

    def __init__(self, base: str, watch_host: bool = False):
        self.base, self.watch_host = base, watch_host
        self.before_init: list = []  # with watch_host: the video requests the host saw before the init

    async def fetch(self, url, method="GET", params=None, json=None, headers=None, timeout=None, **_):
        if self.watch_host and url.endswith("/init/"):
            self.before_init = await server_log(self.base)
        if url.endswith("/creator_info/query/"):
            data = {
                "creator_nickname": "Bench",
                "privacy_level_options": ["SELF_ONLY"],
                "max_video_post_duration_sec": 600,
            }
        else:
            upload_id = next(UPLOAD_IDS)
            data = {"publish_id": f"v_pub_file~bench.{upload_id}", "upload_url": f"{self.base}/upload/{upload_id}"}
        return FetchResponse(200, {}, {"data": data, "error": {"code": "ok", "message": "", "log_id": "bench"}})


def admit_loopback(port: int) -> None:
    """The benchmark's server on 127.0.0.1:port over http passes the link and upload-host checks and is reached
    with a plain connector: the tests' seam (a LinkGuard subclass as tiktok_transfer.link_guard), nothing else."""
    tiktok_transfer.link_guard = tiktok_testkit.LoopbackGuard(port)


async def run_action(base: str, inputs: dict, context: StandInContext | None = None) -> None:
    result = await tiktok.tiktok.execute_action("create_video_post", inputs, context or StandInContext(base))
    if result.type.value != "action":
        raise SystemExit(f"the action failed: {result.result}")


async def plain_link_copy(base: str, size: int) -> None:
    plan, upload_id = tiktok_transfer.plan_chunks(size), next(UPLOAD_IDS)
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{base}/video/{size}.mp4") as download:
            for first, last in plan.ranges():
                data = await download.content.readexactly(last + 1 - first)
                await _put(session, f"{base}/upload/{upload_id}", data, first, last, size)


async def plain_inline_copy(base: str, content: str) -> None:
    data = memoryview(base64.b64decode(content))
    plan, upload_id = tiktok_transfer.plan_chunks(len(data)), next(UPLOAD_IDS)
    async with aiohttp.ClientSession() as session:
        for first, last in plan.ranges():
            await _put(session, f"{base}/upload/{upload_id}", data[first : last + 1], first, last, len(data))


async def _put(session, url, data, first, last, size) -> None:
    headers = {"Content-Type": "video/mp4", "Content-Range": f"bytes {first}-{last}/{size}"}
    async with session.put(url, data=data, headers=headers) as answer:
        if answer.status not in (201, 206):
            raise SystemExit(f"upload endpoint answered {answer.status}")


def measure(make_coroutine, repeats: int = REPEATS) -> dict:
    """Median wall and CPU time over `repeats` runs, then one run under tracemalloc for the peak."""
    walls, cpus = [], []
    for _ in range(repeats):
        gc.collect()
        wall, cpu = time.perf_counter(), time.process_time()
        asyncio.run(make_coroutine())
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    gc.collect()
    tracemalloc.start()
    asyncio.run(make_coroutine())
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return {"wall": statistics.median(walls), "cpu": statistics.median(cpus), "peak": peak / 1e6}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(base: str) -> None:
    for _ in range(100):
        try:
            with socket.create_connection((URL(base).host, URL(base).port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("the benchmark server did not start")


PREFLIGHT_CASES = ((64_000_000, ""), (64 * MiB, "-last"), (256 * MiB, "-last"))
SMALL_PREFLIGHT_CASES = ((3_000_000, ""), (65_000_000, "-last"))
FLOOD_SIZE = 50_000_000
SMALL_FLOOD_SIZE = 5_000_000


async def server_log(base: str) -> list:
    async with aiohttp.ClientSession() as session, session.get(f"{base}/stats") as answer:
        return json.loads(await answer.text())


async def warm_up(url: str) -> None:
    async with aiohttp.ClientSession() as session, session.get(url, headers={"Range": "bytes=0-0"}) as answer:
        await answer.read()


def preflight_costs(base: str, cases=PREFLIGHT_CASES) -> list[tuple]:
    """For each case: the ranged requests and bytes the action read before the upload, and the moov's size."""
    from bench.server import MOOV_LAST_SIZE

    rows = []
    for size, layout in cases:
        url = f"{base}/video/{size}{layout}.mp4"
        asyncio.run(warm_up(url))  # the server builds the video on its first request
        asyncio.run(server_log(base))  # clear
        context = StandInContext(base, watch_host=True)
        started = time.perf_counter()
        asyncio.run(run_action(base, {"file": {"name": "v.mp4", "url": url}, "privacy_level": "SELF_ONLY"}, context))
        wall = time.perf_counter() - started
        upload = asyncio.run(server_log(base))
        preflight = [sent for _name, _header, sent in context.before_init]
        moov = MOOV_LAST_SIZE if layout else first_moov_size()
        sent_for_upload = sum(sent for _name, _header, sent in upload)
        rows.append((size, layout or "-first", len(preflight), sum(preflight), moov, upload, sent_for_upload, wall))
    return rows


def first_moov_size() -> int:
    small = make_mp4(1000)
    ftyp_size = struct.unpack(">I", small[:4])[0]
    return struct.unpack(">I", small[ftyp_size : ftyp_size + 4])[0]


def flood_times(flood_size: int = FLOOD_SIZE) -> list[tuple[str, float]]:
    ftyp = struct.pack(">I4s", 16, b"ftyp") + b"isom" + bytes(4)
    empty = struct.pack(">I4s", 8, b"free")
    flat = ftyp + empty * ((flood_size - len(ftyp)) // 8)
    nested = ftyp + struct.pack(">I4s", flood_size - len(ftyp), b"moov") + empty * ((flood_size - len(ftyp) - 8) // 8)
    ebml = b"\x1a\x45\xdf\xa3\x87\x42\x82\x84webm" + b"\x18\x53\x80\x67\x01\xff\xff\xff\xff\xff\xff\xff"
    voids = ebml + b"\xec\x80" * ((flood_size - len(ebml)) // 2)
    results = []
    for name, data in (("top-level boxes", flat), ("boxes inside moov", nested), ("WebM Void elements", voids)):
        times = []
        for _ in range(5):
            started = time.perf_counter()
            tiktok_media.inspect_video(lambda offset, length, data=data: data[offset : offset + length], len(data))
            times.append(time.perf_counter() - started)
        results.append((name, statistics.median(times) * 1000))
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", action="store_true", help="small sizes, once each (also BENCH_SMALL=1)")
    small = parser.parse_args().small or os.environ.get("BENCH_SMALL", "") not in ("", "0")
    link_sizes, inline_size = (SMALL_LINK_SIZES, SMALL_INLINE_SIZE) if small else (LINK_SIZES, INLINE_SIZE)
    repeats = 1 if small else REPEATS
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    # Only ever our own server module, with the interpreter running this benchmark.
    server = subprocess.Popen([sys.executable, "-m", "bench.server", str(port)])  # nosec
    try:
        wait_for(base)
        admit_loopback(port)
        rows = []
        for size in link_sizes:
            asyncio.run(plain_link_copy(base, size))  # the server builds the video on first request
            url = f"{base}/video/{size}.mp4"
            linked = {"name": "linked.mp4", "url": url}  # the platform's file object with a download link
            action = measure(
                lambda linked=linked: run_action(base, {"file": linked, "privacy_level": "SELF_ONLY"}), repeats
            )
            loop = measure(lambda size=size: plain_link_copy(base, size), repeats)
            rows.append((f"link, {size:,} B", size, action, loop))
        content = base64.b64encode(make_mp4(inline_size)).decode()
        file_obj = {"name": "inline.mp4", "contentType": "video/mp4", "content": content}
        action = measure(lambda: run_action(base, {"file": file_obj, "privacy_level": "SELF_ONLY"}), repeats)
        loop = measure(lambda: plain_inline_copy(base, content), repeats)
        rows.append((f"inline base64, {inline_size:,} B", inline_size, action, loop))
        costs = preflight_costs(base, SMALL_PREFLIGHT_CASES if small else PREFLIGHT_CASES)
    finally:
        server.terminate()
        server.wait(timeout=10)
    if small:
        print("small run (--small): sizes below, each measured once; `make bench` gives the figures that count")
    report(rows, repeats, checked=not small)
    flood_size = SMALL_FLOOD_SIZE if small else FLOOD_SIZE
    missed = report_preflight(costs, flood_times(flood_size), flood_size, timed=not small)
    return 1 if small and missed else 0


def report_preflight(costs, floods, flood_size: int = FLOOD_SIZE, timed: bool = True) -> list[str]:
    """Prints the preflight table and its checks; returns the counted checks (requests, bytes) that were missed."""
    print("\npreflight per link (before the init; the upload's own reads counted apart)")
    print("| case | preflight requests | bytes read | moov bytes | limit (2 MiB + moov) | upload GETs | action s |")
    print("|---|---|---|---|---|---|---|")
    for size, layout, requests, read, moov, upload, _sent, wall in costs:
        limit = 2 * MiB + moov
        cells = (f"{size:,} B, moov {layout[1:]}", requests, f"{read:,}", f"{moov:,}", f"{limit:,}", len(upload))
        print("| " + " | ".join(str(cell) for cell in cells) + f" | {wall:.2f} |")
    print(f"\ninspector on a {flood_size // 1_000_000} MB flood (median of 5)")
    for name, ms in floods:
        print(f"| {name} | {ms:.2f} ms |")
    print()
    counted = [
        ("preflight: at most 3 ranged requests per link", all(c[2] <= 3 for c in costs)),
        ("preflight: at most 2 MiB + moov read per link", all(c[3] <= 2 * MiB + c[4] for c in costs)),
        ("the upload reads each byte once (one ranged GET per part)", all(c[6] == c[0] for c in costs)),
    ]
    timed_checks = [("inspector under 50 ms on a 50 MB flood", all(ms < 50 for _name, ms in floods))] if timed else []
    for label, passed in counted + timed_checks:
        print(f"{'met ' if passed else 'MISSED'}  {label}")
    return [label for label, passed in counted if not passed]


def report(rows, repeats: int = REPEATS, checked: bool = True) -> None:
    runs = f"medians of {repeats} runs" if repeats > 1 else "one run each"
    print(f"\nchunk size {tiktok_transfer.MULTI_CHUNK_SIZE:,} bytes; {runs}; peak = tracemalloc peak")
    header = ("case", "action s", "loop s", "MB/s", "action CPU s", "loop CPU s", "CPU ratio", "action MB", "loop MB")
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for name, size, action, loop in rows:
        cells = (
            name,
            f"{action['wall']:.2f}",
            f"{loop['wall']:.2f}",
            f"{size / 1e6 / action['wall']:.0f}",
            f"{action['cpu']:.2f}",
            f"{loop['cpu']:.2f}",
            f"{action['cpu'] / loop['cpu']:.2f}",
            f"{action['peak']:.1f}",
            f"{loop['peak']:.1f}",
        )
        print("| " + " | ".join(cells) + " |")
    if not checked:
        return  # time and memory bounds are for the full sizes
    links, inline = [row[2] for row in rows[:-1]], rows[-1][2]
    chunk_mb = tiktok_transfer.MULTI_CHUNK_SIZE / 1e6
    single, mib64, mib256 = links
    checks = [
        ("link peak <= 80 MB", max(link["peak"] for link in links) <= 80),
        (
            "256 MiB peak within 10% of 64 MiB peak (flat in size)",
            abs(mib256["peak"] - mib64["peak"]) <= 0.1 * mib64["peak"],
        ),
        ("single-chunk 64,000,000 B peak no higher than 64 MiB peak", single["peak"] <= 1.1 * mib64["peak"]),
        (f"inline peak <= one chunk + 16 MB ({chunk_mb + 16:.0f} MB)", inline["peak"] <= chunk_mb + 16),
        ("action CPU <= 1.3 x loop CPU (links)", all(r[2]["cpu"] <= 1.3 * r[3]["cpu"] for r in rows[:-1])),
        ("action CPU <= 1.3 x loop CPU (inline)", rows[-1][2]["cpu"] <= 1.3 * rows[-1][3]["cpu"]),
    ]
    print()
    for label, passed in checks:
        print(f"{'met ' if passed else 'MISSED'}  {label}")


if __name__ == "__main__":
    sys.exit(main())
