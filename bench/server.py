"""The benchmark's stand-in for a video host and TikTok's upload endpoint, run in its own process.

Its own process keeps its CPU time and memory out of the figures measured in the benchmark's process. It
keeps nothing it receives: an upload is counted, checked for order, and answered 206/201 as TikTok does.
Videos are served with HTTP Range (206 + Content-Range), as most hosts do: `/video/{size}.mp4` has its `moov`
first, `/video/{size}-last.mp4` after the media data with a `moov` of MOOV_LAST_SIZE bytes, as phones and
cameras write it. GET /stats returns (and clears) the path, Range header and bytes sent of every video request.
"""

import json
import re
import struct
import sys

from aiohttp import web

from sandbox.media import make_mp4

PIECE = 2**20
# A ten-minute phone video's moov (sample tables) is of this order.
MOOV_LAST_SIZE = 1_500_000


def build_video(name: str) -> bytes:
    size, _, layout = name.partition("-")
    data = make_mp4(int(size))
    if layout != "last":
        return data
    # ftyp, moov, mdat -> ftyp, mdat, moov (the moov grown with a `free` box to a realistic size)
    ftyp_size = struct.unpack(">I", data[:4])[0]
    moov_size = struct.unpack(">I", data[ftyp_size : ftyp_size + 4])[0]
    moov_body = data[ftyp_size + 8 : ftyp_size + moov_size]
    padding = MOOV_LAST_SIZE - 8 - len(moov_body) - 8
    moov = struct.pack(">I4s", MOOV_LAST_SIZE, b"moov") + moov_body + struct.pack(">I4s", padding + 8, b"free")
    moov += bytes(padding)
    mdat_size = int(size) - ftyp_size - MOOV_LAST_SIZE
    return data[:ftyp_size] + struct.pack(">I4s", mdat_size, b"mdat") + bytes(mdat_size - 8) + moov


async def serve_video(request: web.Request) -> web.StreamResponse:
    name = request.match_info["name"]
    data = request.app["videos"].get(name)
    if data is None:
        data = request.app["videos"][name] = build_video(name)
    first, last, status = 0, len(data) - 1, 200
    headers = {"Content-Type": "video/mp4"}
    wanted = re.fullmatch(r"bytes=(\d+)-(\d*)", request.headers.get("Range", ""))
    if wanted:
        first = int(wanted.group(1))
        last = min(int(wanted.group(2)), len(data) - 1) if wanted.group(2) else len(data) - 1
        status, headers["Content-Range"] = 206, f"bytes {first}-{last}/{len(data)}"
    headers["Content-Length"] = str(last + 1 - first)
    response = web.StreamResponse(status=status, headers=headers)
    await response.prepare(request)
    view = memoryview(data)[first : last + 1]
    sent = 0
    try:
        for offset in range(0, len(view), PIECE):
            await response.write(view[offset : offset + PIECE])
            sent += len(view[offset : offset + PIECE])
        await response.write_eof()
    finally:
        request.app["log"].append((name, request.headers.get("Range"), sent))
    return response


async def stats(request: web.Request) -> web.Response:
    log = list(request.app["log"])
    request.app["log"].clear()
    return web.Response(text=json.dumps(log), content_type="application/json")


async def receive_upload(request: web.Request) -> web.Response:
    uploads = request.app["uploads"]
    first_last, total = request.headers["Content-Range"].removeprefix("bytes ").split("/")
    first, last = (int(v) for v in first_last.split("-"))
    expected = uploads.get(request.match_info["upload_id"], 0)
    received = 0
    async for piece in request.content.iter_chunked(PIECE):
        received += len(piece)
    if first != expected or received != last - first + 1:
        return web.Response(status=416, headers={"Content-Range": f"bytes 0-{expected - 1}/{total}"})
    uploads[request.match_info["upload_id"]] = last + 1
    status = 201 if last + 1 == int(total) else 206
    return web.Response(status=status, headers={"Content-Range": f"bytes 0-{last}/{total}"})


def main() -> None:
    app = web.Application(client_max_size=256 * 2**20)
    app["videos"], app["uploads"], app["log"] = {}, {}, []
    app.router.add_get("/video/{name}.mp4", serve_video)
    app.router.add_get("/stats", stats)
    app.router.add_put("/upload/{upload_id}", receive_upload)
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None)


if __name__ == "__main__":
    main()
