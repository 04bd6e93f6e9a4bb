"""The benchmark's stand-in for a video host and TikTok's upload endpoint, run in its own process.

Its own process keeps its CPU time and memory out of the figures measured in the benchmark's process. It
keeps nothing it receives: an upload is counted, checked for order, and answered 206/201 as TikTok does.
"""

import sys

from aiohttp import web

from sandbox.media import make_mp4

PIECE = 2**20


async def serve_video(request: web.Request) -> web.StreamResponse:
    data = request.app["videos"].setdefault(int(request.match_info["size"]), None)
    if data is None:
        data = request.app["videos"][int(request.match_info["size"])] = make_mp4(int(request.match_info["size"]))
    response = web.StreamResponse(headers={"Content-Type": "video/mp4", "Content-Length": str(len(data))})
    await response.prepare(request)
    view = memoryview(data)
    for offset in range(0, len(data), PIECE):
        await response.write(view[offset : offset + PIECE])
    await response.write_eof()
    return response


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
    app["videos"], app["uploads"] = {}, {}
    app.router.add_get("/video/{size}.mp4", serve_video)
    app.router.add_put("/upload/{upload_id}", receive_upload)
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None)


if __name__ == "__main__":
    main()
