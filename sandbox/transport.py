"""The aiohttp side of the sandbox: an aioresponses subclass that hands every request to the sandbox.

aioresponses patches ``ClientSession._request``; we keep its patching and response construction but replace
the request handler, because the stock one:

* deep-copies every request (body included) into ``aioresponses.requests``: with uploads of hundreds of MB
  that is a real memory cost, and the sandbox keeps its own compact log anyway;
* joins async-iterable bodies before anyone can see that they were streamed (aiohttp sends those chunked,
  without Content-Length, which the upload endpoint must be able to notice);
* cannot produce a body that breaks half way, which download tests need.
"""

from __future__ import annotations

import http
import json
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlencode

from aiohttp import (
    ClientPayloadError,
    ClientResponse,
    ClientSession,
    InvalidURL,
    StreamReader,
    TooManyRedirects,
    hdrs,
)
from aiohttp.client_proto import ResponseHandler
from aiohttp.payload import Payload
from aioresponses import aioresponses
from aioresponses.core import RequestMatch
from multidict import CIMultiDict
from yarl import URL

REDIRECT_STATUSES = (301, 302, 303, 307, 308)


@dataclass
class HttpRequest:
    """What the sandbox needs to know about one request, in the form aiohttp would put it on the wire."""

    method: str
    url: URL
    headers: CIMultiDict  # caller's headers merged with the session's default headers
    body: bytes
    streamed: bool
    content_type: str | None  # explicit Content-Type, else the one aiohttp derives from the body

    @property
    def declared_length(self) -> str | None:
        """Content-Length as sent: the explicit header, else the one aiohttp adds for sized bodies."""
        explicit = self.headers.get(hdrs.CONTENT_LENGTH)
        if explicit is not None:
            return explicit
        return None if self.streamed else str(len(self.body))


@dataclass
class Reply:
    """A response for the transport to turn into a ``ClientResponse``."""

    status: int
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    break_after: int | None = None  # deliver this many body bytes, then fail like a dropped connection

    @classmethod
    def json(cls, status: int, payload: Any, headers: dict[str, str] | None = None) -> Reply:
        return cls(status, json.dumps(payload).encode(), "application/json", headers or {})


class Handler(Protocol):
    """Whatever answers the requests: ``TikTokSandbox`` implements it. The transport knows nothing else about the
    sandbox, so the dependency runs one way only (tiktok_sandbox -> transport)."""

    def handle(self, request: HttpRequest) -> Reply: ...


async def _read_body(session: ClientSession, kwargs: dict[str, Any]) -> tuple[bytes, bool, str | None]:
    """Serialise the request body the way aiohttp would: (bytes, streamed?, implied Content-Type)."""
    data, payload = kwargs.get("data"), kwargs.get("json")
    if payload is not None:
        if data is not None:
            raise ValueError("data and json parameters can not be used at the same time")
        return session._json_serialize(payload).encode(), False, "application/json"
    if data is None:
        return b"", False, None
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data), False, "application/octet-stream"
    if isinstance(data, str):
        return data.encode(), False, "text/plain; charset=utf-8"
    if isinstance(data, dict):
        return urlencode(data, doseq=True).encode(), False, "application/x-www-form-urlencoded"
    if isinstance(data, Payload):
        # A payload object writes itself; a sized one goes out with Content-Length, like bytes.
        writer = _CollectingWriter()
        await data.write_with_length(writer, None)
        return b"".join(writer.parts), data.size is None, data.content_type
    if hasattr(data, "__aiter__"):
        parts = [bytes(part) async for part in data]
        return b"".join(parts), True, "application/octet-stream"
    if hasattr(data, "read"):  # a file object: aiohttp knows its size and sends Content-Length
        content = data.read()
        return (content.encode() if isinstance(content, str) else bytes(content)), False, "application/octet-stream"
    raise TypeError(f"the TikTok sandbox cannot send a body of type {type(data).__name__}")


class _CollectingWriter:
    """Stands in for aiohttp's stream writer when a Payload body writes itself."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    async def write(self, chunk: bytes | bytearray | memoryview) -> None:
        self.parts.append(bytes(chunk))


class _BrokenStream(StreamReader):
    """A response body that delivers what was fed, then fails as if the server had dropped the connection.

    ``StreamReader`` calls ``_wait`` whenever its buffer is empty and EOF has not been fed; raising there is
    the one hook every read method (read, readany, iter_chunked, ...) goes through.
    """

    async def _wait(self, func_name: str) -> None:
        error = ClientPayloadError("Response payload is not completed: connection lost (TikTok sandbox)")
        self.set_exception(error)
        raise error


class SandboxMock(aioresponses):
    """aioresponses with the request handler replaced by ``handler.handle`` (the sandbox's)."""

    def __init__(self, handler: Handler):
        super().__init__()
        self._handler = handler
        # Any RequestMatch can build a ClientResponse; we reuse one instead of creating one per response.
        self._builder = RequestMatch("https://sandbox.invalid/")

    def _build_request_call(self, *args: Any, **kwargs: Any) -> None:
        """Never deep-copy requests (the stock recorder would copy every upload body)."""
        return None

    async def _request_mock(self, orig_self: ClientSession, method: str, str_or_url: Any, *args: Any, **kwargs: Any):
        if orig_self.closed:
            raise RuntimeError("Session is closed")
        url = orig_self._build_url(str_or_url)
        if not url.absolute:
            raise InvalidURL(url)
        params = kwargs.get("params")
        if params:
            url = url.extend_query(params)
        headers = orig_self._prepare_headers(kwargs.get("headers"))
        body, streamed, implied_type = await _read_body(orig_self, kwargs)
        allow_redirects = kwargs.get("allow_redirects", True)
        max_redirects = kwargs.get("max_redirects", 10)

        method = method.upper()
        history: list[ClientResponse] = []
        while True:
            request = HttpRequest(method, url, headers, body, streamed, headers.get(hdrs.CONTENT_TYPE, implied_type))
            reply = self._handler.handle(request)
            response = self._build(request, reply)
            location = response.headers.get(hdrs.LOCATION)
            if not (allow_redirects and response.status in REDIRECT_STATUSES and location):
                break
            # Follow the redirect as aiohttp does: bounded, GET after 303 (or 301/302 of a POST), and no
            # Authorization header once the origin changes.
            history.append(response)
            if max_redirects and len(history) >= max_redirects:
                raise TooManyRedirects(history[0].request_info, tuple(history))
            target = url.join(URL(location))
            if (response.status == 303 and method != "HEAD") or (response.status in (301, 302) and method == "POST"):
                method, body, streamed = "GET", b"", False
            if target.origin() != url.origin():
                headers = CIMultiDict(headers)
                headers.popall(hdrs.AUTHORIZATION, None)
            url = target

        response._history = tuple(history)
        # Unlike stock aioresponses we do not keep every response until stop(): hosted downloads can be large,
        # and these responses hold no connection that would need closing.
        raise_for_status = kwargs.get("raise_for_status")
        if raise_for_status is None:
            raise_for_status = getattr(orig_self, "_raise_for_status", False)
        if callable(raise_for_status):
            await raise_for_status(response)
        elif raise_for_status:
            response.raise_for_status()
        return response

    def _build(self, request: HttpRequest, reply: Reply) -> ClientResponse:
        try:
            reason = http.HTTPStatus(reply.status).phrase
        except ValueError:
            reason = ""
        body = reply.body if reply.break_after is None else reply.body[: reply.break_after]
        response = self._builder._build_response(
            url=request.url,
            method=request.method,
            request_headers=request.headers,
            status=reply.status,
            body=body,
            content_type=reply.content_type,
            headers=CIMultiDict(reply.headers),
            reason=reason,
        )
        if reply.break_after is not None:
            loop = response._loop
            stream = _BrokenStream(ResponseHandler(loop=loop), 2**16, loop=loop)
            stream.feed_data(body)
            response.content = stream
        return response
