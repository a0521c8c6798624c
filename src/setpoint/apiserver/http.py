"""A small, fast HTTP/1.1 server: ``asyncio.Protocol`` + ``httptools``, uvloop-friendly.

This is deliberately not ASGI.  The handler interface is one coroutine function::

    async def handler(request: Request) -> Response | StreamingResponse

and the per-request work is kept to the minimum: the request line and headers are
decoded once into plain ``str``/``dict`` values, the query string is parsed only
when asked for, and a :class:`Response` renders its status line and headers to
bytes once, when it is built.

Connection semantics:

* HTTP/1.1 keep-alive by default, ``Connection: close`` honoured, HTTP/1.0 closes
  unless ``Connection: keep-alive`` was asked for.
* Pipelined requests are queued (FIFO) and answered in order, one at a time per
  connection; different connections are served concurrently.
* ``Expect: 100-continue`` is answered with ``100 Continue`` before the body is read
  (or with 413 straight away when the announced body is too large).
* Errors the HTTP layer answers itself (400 malformed request, 413 body too large,
  431 header section too large, 500 handler failure) are built by the
  ``error_response`` callback; after a 400/413/431 the connection is closed.
* Over TLS (``start(..., ssl_context=context)``) the client's verified certificate is read once, when
  the connection is made, and every request of the connection carries it
  (:attr:`Request.peer_certificate`).
* A handler that is still running when its client goes away is *not* cancelled (its
  response is dropped); a :class:`StreamingResponse` being sent *is* cancelled, and
  its iterator closed, as soon as the disconnect is seen.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import ssl
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from http import HTTPStatus
from typing import Any, Final, NamedTuple, NoReturn, cast
from urllib.parse import parse_qs, unquote_to_bytes

import httptools
import orjson

__all__ = [
    "ErrorResponseFactory",
    "HTTPServer",
    "Handler",
    "PeerCertificate",
    "Request",
    "Response",
    "StreamingResponse",
    "default_error_response",
    "install_event_loop_policy",
    "warning_header",
]

logger = logging.getLogger(__name__)


# --------------------------------------------------------------------------- constants
# Everything here is built once at import and never mutated.

_STATUS_LINES: Final[dict[int, bytes]] = {
    int(s): b"HTTP/1.1 %d %s\r\n" % (int(s), s.phrase.encode("latin-1")) for s in HTTPStatus
}

_METHODS: Final[dict[bytes, str]] = {
    m.encode(): m for m in ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "CONNECT", "TRACE")
}

# Content-Type lines for the usual media types, so that building a Response with one
# of them needs no encoding or validation.
_CONTENT_TYPE_LINES: Final[dict[str | None, bytes]] = {
    None: b"",
    **{
        ct: b"Content-Type: %s\r\n" % ct.encode("latin-1")
        for ct in (
            "application/json",
            "application/json;stream=watch",
            "application/yaml",
            "application/vnd.kubernetes.protobuf",
            "application/vnd.kubernetes.protobuf;stream=watch",
            "application/openapi+json",
            "text/plain",
            "text/plain; charset=utf-8",
        )
    },
}

# Request header names as clients usually spell them -> their lower-case str.
_HEADER_NAMES: Final[dict[bytes, str]] = {
    spelling.encode("latin-1"): canonical.lower()
    for canonical in (
        "Host",
        "User-Agent",
        "Accept",
        "Accept-Encoding",
        "Accept-Language",
        "Authorization",
        "Connection",
        "Content-Length",
        "Content-Type",
        "Content-Encoding",
        "Transfer-Encoding",
        "Expect",
        "Upgrade",
        "Cookie",
        "Origin",
        "Referer",
        "X-Forwarded-For",
        "X-Forwarded-Proto",
        "X-Real-IP",
        "If-None-Match",
        "If-Modified-Since",
        "Cache-Control",
        "Kubectl-Command",
        "Kubectl-Session",
        "Impersonate-User",
        "Impersonate-Group",
        "Audit-ID",
        "X-Request-ID",
    )
    for spelling in (canonical, canonical.lower())
}

_CONTINUE: Final = b"HTTP/1.1 100 Continue\r\n\r\n"
_CONN_CLOSE: Final = b"Connection: close\r\n"
_CONN_KEEP_ALIVE: Final = b"Connection: keep-alive\r\n"
_CHUNKED: Final = b"Transfer-Encoding: chunked\r\n"
_LAST_CHUNK: Final = b"0\r\n\r\n"
_CRLF: Final = b"\r\n"

# Bodies up to this size are concatenated with the header block into one write;
# bigger ones are written separately to avoid copying them.
_COALESCE_LIMIT: Final = 64 * 1024
# Pipelined requests queued on one connection before reading from it is paused.
_PIPELINE_HIGH: Final = 16
# After answering 400/413/431 we half-close and drain the client for at most this
# long, so that it can read the error before the connection is torn down.
_LINGER_SECONDS: Final = 2.0

_INVALID_HEADER_NAME: Final = re.compile(r"[^!#$%&'*+\-.^_`|~0-9A-Za-z]")
_INVALID_HEADER_VALUE: Final = re.compile(r"[\r\n\x00]")


def _status_line(status: int) -> bytes:
    line = _STATUS_LINES.get(status)
    if line is None:
        if not 100 <= status <= 999:
            raise ValueError(f"invalid HTTP status code: {status}")
        line = b"HTTP/1.1 %d \r\n" % status
    return line


def _header_line(name: str, value: str) -> bytes:
    if not name or _INVALID_HEADER_NAME.search(name) or _INVALID_HEADER_VALUE.search(value):
        raise ValueError(f"invalid response header: {name!r}: {value!r}")
    # Go's net/http writes a header value's bytes as they are: UTF-8.
    return b"%s: %s\r\n" % (name.encode("latin-1"), value.encode("utf-8"))


def _render_head(
    status: int, content_type: str | None, headers: list[tuple[str, str]] | None, content_length: int | None
) -> bytes:
    """Status line + header lines, each CRLF-terminated, and the blank line."""
    parts = [_status_line(status)]
    if content_type is not None:
        parts.append(_header_line("Content-Type", content_type))
    if headers:
        for name, value in headers:
            parts.append(_header_line(name, value))
    if content_length is not None:
        parts.append(b"Content-Length: %d\r\n" % content_length)
    parts.append(_CRLF)
    return b"".join(parts)


# --------------------------------------------------------------------------- vocabulary


class PeerCertificate(NamedTuple):
    """The client certificate a TLS connection presented, verified against the server's client
    CAs during the handshake: its DER bytes and the ``ssl`` module's decoded form
    (``SSLObject.getpeercert()``: ``subject``, ``notAfter``, ...)."""

    der: bytes
    decoded: dict[str, Any]


class Request:
    """One parsed HTTP request.  Built by the server; cheap to build by hand in tests."""

    __slots__ = (
        "_keep_alive",
        "_query",
        "_state",
        "body",
        "client",
        "headers",
        "http_version",
        "method",
        "path",
        "peer_certificate",
        "query_string",
        "raw_path",
    )

    method: str
    path: str
    raw_path: bytes
    query_string: bytes
    headers: dict[str, str]
    body: bytes
    client: tuple[str, int] | None
    http_version: str
    #: The connection's verified TLS client certificate (None: plain HTTP or none presented).
    peer_certificate: PeerCertificate | None

    def __init__(
        self,
        method: str,
        path: str,
        raw_path: bytes | None = None,
        query_string: bytes = b"",
        headers: dict[str, str] | None = None,
        body: bytes = b"",
        client: tuple[str, int] | None = None,
        http_version: str = "1.1",
        peer_certificate: PeerCertificate | None = None,
    ) -> None:
        self.method = method
        self.path = path
        self.raw_path = path.encode("utf-8") if raw_path is None else raw_path
        self.query_string = query_string
        self.headers = {} if headers is None else headers
        self.body = body
        self.client = client
        self.http_version = http_version
        self.peer_certificate = peer_certificate
        self._query: dict[str, list[str]] | None = None
        self._state: dict[str, object] | None = None
        self._keep_alive = True

    @property
    def query(self) -> dict[str, list[str]]:
        """The query string parsed (blank values kept), on first access only."""
        query = self._query
        if query is None:
            qs = self.query_string
            query = parse_qs(qs.decode("utf-8", "replace"), keep_blank_values=True) if qs else {}
            self._query = query
        return query

    def query_one(self, name: str, default: str | None = None) -> str | None:
        """The first value of query parameter ``name``, or ``default``."""
        values = self.query.get(name)
        return values[0] if values else default

    @property
    def state(self) -> dict[str, object]:
        """Free-form per-request storage for the request pipeline (authenticated user, ...)."""
        state = self._state
        if state is None:
            state = self._state = {}
        return state

    def __repr__(self) -> str:
        qs = f"?{self.query_string.decode('latin-1')}" if self.query_string else ""
        return f"<Request {self.method} {self.path}{qs}>"


class Response:
    """A complete response.  Its status line and headers are rendered to bytes when it is
    built (an invalid header raises ``ValueError`` here, inside the handler); treat it as
    immutable afterwards.  ``Content-Length`` is always sent (except for 1xx/204/304).
    A ``Response`` may be reused for many requests: the bytes are cached."""

    __slots__ = ("_head", "_wire", "body", "content_type", "headers", "status")

    def __init__(
        self,
        status: int,
        body: bytes = b"",
        content_type: str | None = "application/json",
        headers: list[tuple[str, str]] | None = None,
    ) -> None:
        self.status = status
        self.body = body
        self.content_type = content_type
        self.headers = headers
        # head + body, for the common case (HTTP/1.1 keep-alive, not HEAD); made lazily.
        self._wire: bytes | None = None
        if status < 200 or status == 204 or status == 304:
            self.body = b""
            self._head = _render_head(status, content_type, headers, None)
            return
        status_line = _STATUS_LINES.get(status)
        content_type_line = _CONTENT_TYPE_LINES.get(content_type)
        if headers is None and status_line is not None and content_type_line is not None:
            self._head = b"%b%bContent-Length: %d\r\n\r\n" % (status_line, content_type_line, len(body))
        else:
            self._head = _render_head(status, content_type, headers, len(body))

    def with_headers(self, headers: list[tuple[str, str]], rendered: bytes) -> Response:
        """A copy with more headers; ``rendered`` is :func:`render_headers` of them (made once by
        the caller), so nothing is rendered again."""
        new = Response.__new__(Response)
        new.status = self.status
        new.body = self.body
        new.content_type = self.content_type
        new.headers = [*(self.headers or ()), *headers]
        new._head = self._head[:-2] + rendered + _CRLF
        new._wire = None
        return new

    def body_length(self) -> int:
        return len(self.body)

    def body_parts(self) -> list[bytes]:
        """The body as the pieces it was built from (one, here)."""
        return [self.body]

    def __repr__(self) -> str:
        return f"<Response {self.status} {len(self.body)} bytes>"


class GatheredResponse(Response):
    """A complete response whose body is ``parts`` one after the other: written with one
    ``writelines`` and never joined (a LIST spliced from the watch cache's encodings), unless
    something reads :attr:`body`."""

    __slots__ = ("_joined", "length", "parts")

    def __init__(self, status: int, parts: list[bytes], content_type: str | None = "application/json",
                 headers: list[tuple[str, str]] | None = None, length: int | None = None) -> None:
        """``length``: the parts' total length, when the caller has counted it already."""
        self.status = status
        self.parts = parts
        self.length = sum(map(len, parts)) if length is None else length
        self.content_type = content_type
        self.headers = headers
        self._wire = None
        self._joined: bytes | None = None
        self._head = _render_head(status, content_type, headers, self.length)

    @property
    def body(self) -> bytes:  # type: ignore[override]
        joined = self._joined
        if joined is None:
            joined = self._joined = b"".join(self.parts)
        return joined

    def with_headers(self, headers: list[tuple[str, str]], rendered: bytes) -> Response:
        new = GatheredResponse.__new__(GatheredResponse)
        new.status = self.status
        new.parts = self.parts
        new.length = self.length
        new.content_type = self.content_type
        new.headers = [*(self.headers or ()), *headers]
        new._head = self._head[:-2] + rendered + _CRLF
        new._wire = None
        new._joined = self._joined
        return new

    def body_length(self) -> int:
        return self.length

    def body_parts(self) -> list[bytes]:
        return self.parts

    def __repr__(self) -> str:
        return f"<GatheredResponse {self.status} {self.length} bytes>"


def render_headers(headers: list[tuple[str, str]]) -> bytes:
    """Header lines as a response writes them (for :meth:`Response.with_headers`)."""
    return b"".join(_header_line(name, value) for name, value in headers)


class StreamingResponse:
    """A response whose body is produced by an async iterator; sent chunked.  Every
    non-empty ``bytes`` the iterator yields is written as one chunk right away.  The
    iterator is closed (``aclose()``) when the client goes away or the server stops.

    ``direct``, when given, is handed the connection's :class:`ChunkSink` before the iterator
    is first read: a producer woken by something else than the response's own task (a watch's
    events, written as the watch cache fans them out) writes through it without a task switch
    per chunk. Wrappers that build a new response from this one pass ``direct`` on."""

    __slots__ = ("_head", "chunks", "content_type", "direct", "headers", "status")

    def __init__(
        self,
        status: int,
        chunks: AsyncIterator[bytes],
        content_type: str = "application/json",
        headers: list[tuple[str, str]] | None = None,
        direct: Callable[[ChunkSink], None] | None = None,
    ) -> None:
        self.status = status
        self.chunks = chunks
        self.content_type = content_type
        self.headers = headers
        self.direct = direct
        self._head = _render_head(status, content_type, headers, None)[:-2]

    def __repr__(self) -> str:
        return f"<StreamingResponse {self.status}>"


class ChunkSink:
    """Writes chunks of a :class:`StreamingResponse` straight to its connection (see its
    ``direct``). What it writes goes after every chunk the response's iterator has yielded, so
    a producer writes through it only while the iterator waits with nothing unsent."""

    __slots__ = ("_chunked", "_conn")

    def __init__(self, conn: _HTTPConnection, chunked: bool) -> None:
        self._conn = conn
        self._chunked = chunked

    def write(self, chunk: bytes) -> None:
        """Write one non-empty chunk (nothing once the connection is closed)."""
        conn = self._conn
        if conn._closed or not chunk:
            return
        transport = conn._transport
        if not self._chunked:  # HTTP/1.0: the body ends when the connection closes
            transport.write(chunk)
        elif len(chunk) <= _COALESCE_LIMIT:
            transport.write(b"%x\r\n%b\r\n" % (len(chunk), chunk))
        else:
            transport.writelines((b"%x\r\n" % len(chunk), chunk, _CRLF))  # no copy of a big chunk

    @property
    def closed(self) -> bool:
        return self._conn._closed

    @property
    def writable(self) -> bool:
        """Whether the connection takes more now: open, and its write buffer below the high mark."""
        conn = self._conn
        return not conn._closed and not conn._write_paused

    async def drain(self) -> None:
        """Wait until the connection takes more (or is closed)."""
        await self._conn._drain()


Handler = Callable[[Request], Awaitable[Response | StreamingResponse]]
ErrorResponseFactory = Callable[[int, str], Response]


def warning_header(message: str) -> tuple[str, str]:
    """A ``Warning: 299 - "<message>"`` header, quoted as kube's ``NewWarningHeader`` quotes it."""
    return "Warning", '299 - "' + message.replace("\\", "\\\\").replace('"', '\\"') + '"'


_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


def add_warning(headers: list[tuple[str, str]], message: str) -> None:
    """Append the Warning header for ``message``, unless kube's ``NewWarningHeader`` refuses
    the text (control characters), in which case kube's recorder drops the warning."""
    if not _CONTROL.search(message):
        headers.append(warning_header(message))


def default_error_response(status: int, message: str) -> Response:
    """A small JSON body shaped like a Kubernetes ``Status``."""
    return Response(
        status,
        orjson.dumps(
            {
                "kind": "Status",
                "apiVersion": "v1",
                "metadata": {},
                "status": "Failure",
                "message": message,
                "code": status,
            }
        ),
    )


def install_event_loop_policy() -> None:
    """Use uvloop's event loop when it is installed; otherwise keep asyncio's, silently."""
    try:
        import uvloop
    except ImportError:
        return
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())


async def _aclose(iterator: AsyncIterator[bytes]) -> None:
    aclose = getattr(iterator, "aclose", None)
    if aclose is None:
        return
    try:
        await aclose()
    except asyncio.CancelledError:
        raise
    except Exception:
        logger.exception("Error while closing a streaming response iterator")


# --------------------------------------------------------------------------- connection


class _Abort(Exception):
    """Raised from a parser callback to stop parsing; the status is on the connection."""


class _Failure:
    """A queued error answer (400/413/431): sent in turn, then the connection closes."""

    __slots__ = ("message", "status")

    def __init__(self, status: int, message: str) -> None:
        self.status = status
        self.message = message


class _HTTPConnection(asyncio.Protocol):
    __slots__ = (
        "_abort_message",
        "_abort_status",
        "_body_parts",
        "_body_size",
        "_client",
        "_closed",
        "_discard",
        "_drain_waiter",
        "_error_response",
        "_expect_close",
        "_handler",
        "_header_bytes",
        "_headers",
        "_headers_done",
        "_held",
        "_keep_alive",
        "_linger_handle",
        "_loop",
        "_max_body",
        "_max_body_digits",
        "_max_header",
        "_method",
        "_parser",
        "_peer_certificate",
        "_pending_continue",
        "_queue",
        "_reading_paused",
        "_server",
        "_shutting_down",
        "_streaming",
        "_task",
        "_transport",
        "_url",
        "_version",
        "_write_paused",
    )

    _transport: asyncio.Transport

    def __init__(self, server: HTTPServer, loop: asyncio.AbstractEventLoop) -> None:
        self._server = server
        self._loop = loop
        self._handler = server._handler
        self._error_response = server._error_response
        self._max_body = server._max_body_bytes
        self._max_body_digits = len(str(server._max_body_bytes))
        self._max_header = server._max_header_bytes
        self._parser = httptools.HttpRequestParser(self)
        self._client: tuple[str, int] | None = None
        self._peer_certificate: PeerCertificate | None = None
        # per-message parse state
        self._url = b""
        self._headers: dict[str, str] = {}
        self._headers_done = False
        self._header_bytes = 0
        self._body_parts: list[bytes] = []
        self._body_size = 0
        self._method = "GET"
        self._version = "1.1"
        self._keep_alive = True
        self._abort_status = 400
        self._abort_message = "Bad Request"
        # connection state
        self._queue: deque[Request | _Failure] = deque()
        self._task: asyncio.Task[None] | None = None
        self._streaming = False
        self._pending_continue = False
        self._expect_close = False
        self._discard = False
        self._closed = False
        self._shutting_down = False
        self._reading_paused = False
        self._write_paused = False
        self._drain_waiter: asyncio.Future[None] | None = None
        self._linger_handle: asyncio.TimerHandle | None = None
        #: Whole responses written but not yet handed to the transport (see :meth:`_hold`).
        self._held: list[bytes] = []

    # ---- asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports implement asyncio.Transport without subclassing it
        self._transport = cast(asyncio.Transport, transport)
        peer = transport.get_extra_info("peername")
        if isinstance(peer, tuple) and len(peer) >= 2:
            self._client = (str(peer[0]), int(peer[1]))
        ssl_object = transport.get_extra_info("ssl_object")
        if ssl_object is not None:
            # The handshake is over here (asyncio and uvloop call connection_made after it).
            der = ssl_object.getpeercert(binary_form=True)
            if der:
                self._peer_certificate = PeerCertificate(der, ssl_object.getpeercert())
        self._server._connections.add(self)
        if self._server._stopping:
            transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self._closed = True
        self._discard = True
        self._queue.clear()
        self._held.clear()
        if self._linger_handle is not None:
            self._linger_handle.cancel()
            self._linger_handle = None
        waiter = self._drain_waiter
        if waiter is not None:
            self._drain_waiter = None
            if not waiter.done():
                waiter.set_result(None)
        task = self._task
        if task is not None and self._streaming:
            task.cancel()
        self._server._connection_lost(self)

    def pause_writing(self) -> None:
        self._write_paused = True

    def resume_writing(self) -> None:
        self._write_paused = False
        waiter = self._drain_waiter
        if waiter is not None:
            self._drain_waiter = None
            if not waiter.done():
                waiter.set_result(None)

    def data_received(self, data: bytes) -> None:
        if self._discard:
            return
        if not self._headers_done:
            self._header_bytes += len(data)
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            # Protocol upgrades are not supported: a completed request is answered as
            # plain HTTP (on_headers_complete forced Connection: close); the rest is ignored.
            self._discard = True
            if self._headers_done:
                self._fail(400, "Protocol upgrade is not supported")
        except httptools.HttpParserCallbackError as exc:
            if not isinstance(exc.__context__, _Abort):
                logger.warning("Error in HTTP parser callback", exc_info=exc.__context__ or exc)
                self._abort_status, self._abort_message = 400, "Bad Request"
            self._fail(self._abort_status, self._abort_message)
        except httptools.HttpParserError as exc:
            if self._expect_close:  # bytes after a `Connection: close` request: ignore
                self._discard = True
            else:
                self._fail(400, f"Malformed HTTP request: {exc}")
        else:
            if not self._headers_done and self._header_bytes > self._max_header:
                self._fail(431, "Request header section too large")

    # ---- httptools callbacks

    def on_url(self, url: bytes) -> None:
        self._url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        key = _HEADER_NAMES.get(name)
        if key is None:
            key = name.decode("latin-1").lower()
        headers = self._headers
        old = headers.get(key)
        headers[key] = value.decode("latin-1") if old is None else f"{old}, {value.decode('latin-1')}"

    def on_headers_complete(self) -> None:
        self._headers_done = True
        parser = self._parser
        raw_method = parser.get_method()
        method = _METHODS.get(raw_method)
        self._method = raw_method.decode("latin-1") if method is None else method
        headers = self._headers
        keep_alive = parser.should_keep_alive()
        # get_http_version() formats a string (slow); an HTTP/1.0 request is only
        # keep-alive with a Connection header, so without one this is HTTP/1.1.
        version = "1.1" if keep_alive and "connection" not in headers else parser.get_http_version()
        if keep_alive and "upgrade" in headers and parser.should_upgrade():
            keep_alive = False  # upgrades are not supported: answer, then close
        self._version = version
        self._keep_alive = keep_alive
        content_length = headers.get("content-length")
        # (llhttp has validated the value: digits only)
        if (
            content_length is not None
            and len(content_length) >= self._max_body_digits
            and int(content_length) > self._max_body
        ):
            self._abort(413, f"Request body exceeds the limit of {self._max_body} bytes")
        expect = headers.get("expect")
        if expect is not None and version == "1.1" and expect.lower() == "100-continue":
            if self._task is None:
                self._release()
                self._transport.write(_CONTINUE)
            else:
                # A response is being written; send 100 once it is finished.
                self._pending_continue = True

    def on_body(self, body: bytes) -> None:
        size = self._body_size + len(body)
        if size > self._max_body:
            self._abort(413, f"Request body exceeds the limit of {self._max_body} bytes")
        self._body_size = size
        self._body_parts.append(body)

    def on_message_complete(self) -> None:
        url = self._url
        parts = self._body_parts
        if not parts:
            body = b""
        elif len(parts) == 1:
            body = parts[0]
            parts.clear()
        else:
            body = b"".join(parts)
            parts.clear()

        if url[:1] != b"/" and url != b"*":
            # absolute-form (as sent to proxies): keep the path and the query only
            try:
                parsed = httptools.parse_url(url)
            except httptools.HttpParserInvalidURLError:
                self._abort(400, "Malformed request target")
            url = (parsed.path or b"/") + (b"?" + parsed.query if parsed.query else b"")
        qpos = url.find(b"?")
        if qpos < 0:
            raw_path = url
            query_string = b""
        else:
            raw_path = url[:qpos]
            query_string = url[qpos + 1 :]
            hpos = query_string.find(b"#")
            if hpos >= 0:
                query_string = query_string[:hpos]
        if raw_path.find(b"%") >= 0:
            path = unquote_to_bytes(raw_path).decode("utf-8", "replace")
        else:
            path = raw_path.decode("utf-8", "replace")

        request = Request(
            self._method,
            path,
            raw_path,
            query_string,
            self._headers,
            body,
            self._client,
            self._version,
            self._peer_certificate,
        )
        keep_alive = self._keep_alive
        request._keep_alive = keep_alive

        # reset the per-message state
        self._url = b""
        self._headers = {}
        self._headers_done = False
        self._header_bytes = 0
        self._body_size = 0
        self._pending_continue = False  # the body is here: no 100 Continue needed any more
        if not keep_alive:
            self._expect_close = True
            self._discard = True

        if self._task is None:
            if request.method == "GET" and b"watch" not in query_string:
                self._task = _start(self._loop, self._serve(request))  # (most never wait)
            else:
                self._task = self._loop.create_task(self._serve(request))
        else:
            self._enqueue(request)

    # ---- request processing

    def _abort(self, status: int, message: str) -> NoReturn:
        self._abort_status = status
        self._abort_message = message
        raise _Abort

    def _enqueue(self, item: Request | _Failure) -> None:
        queue = self._queue
        queue.append(item)
        if len(queue) >= _PIPELINE_HIGH and not self._reading_paused and not self._transport.is_closing():
            self._reading_paused = True
            self._transport.pause_reading()

    def _fail(self, status: int, message: str) -> None:
        """Answer ``status`` after whatever is already queued, then close."""
        self._discard = True
        if self._task is None:
            self._send_failure(status, message)
        else:
            self._enqueue(_Failure(status, message))

    async def _serve(self, item: Request | _Failure) -> None:
        """Answer ``item`` and then every queued request, in order, one at a time."""
        handler = self._handler
        response: Response | StreamingResponse
        try:
            while True:
                if isinstance(item, _Failure):
                    self._send_failure(item.status, item.message)
                    self._task = None
                    return
                try:
                    response = await handler(item)
                except Exception:
                    logger.exception("Unhandled exception while handling %s %s", item.method, item.path)
                    response = self._make_error(500, "Internal Server Error")
                if self._closed:  # the client went away: drop the response
                    self._task = None
                    if isinstance(response, StreamingResponse):
                        await _aclose(response.chunks)
                    return
                if isinstance(response, Response):
                    keep_alive = self._send_response(item, response)
                elif isinstance(response, StreamingResponse):
                    keep_alive = await self._stream(response, item)
                else:
                    logger.error(
                        "Handler returned %r for %s %s; expected a Response", response, item.method, item.path
                    )
                    keep_alive = self._send_response(item, self._make_error(500, "Internal Server Error"))
                if self._closed:
                    self._task = None
                    return
                if not keep_alive:
                    self._task = None
                    self._release()
                    self._transport.close()
                    return
                if self._write_paused:  # the client is not reading: don't answer more yet
                    await self._drain()
                    if self._closed:
                        self._task = None
                        return
                queue = self._queue
                if not queue:
                    break
                item = queue.popleft()
                if self._reading_paused and len(queue) < _PIPELINE_HIGH // 2:
                    self._reading_paused = False
                    self._transport.resume_reading()
            self._task = None
            if self._shutting_down:
                self._release()
                self._transport.close()
            elif self._pending_continue:
                self._pending_continue = False
                self._release()
                self._transport.write(_CONTINUE)
        except asyncio.CancelledError:
            self._task = None
            self._release()
            self._transport.close()
            raise
        except Exception:
            self._task = None
            logger.exception("Internal error while serving an HTTP connection")
            self._transport.abort()

    def _send_response(self, request: Request, response: Response) -> bool:
        """Write ``response``; True to keep the connection open."""
        keep_alive = request._keep_alive and not self._shutting_down
        conn = (b"" if request.http_version == "1.1" else _CONN_KEEP_ALIVE) if keep_alive else _CONN_CLOSE
        self._write_response(response, conn, request.method == "HEAD")
        return keep_alive

    def _hold(self, wire: bytes) -> None:
        """Write a whole response at the end of this pass of the event loop, together with
        every other connection's: the peers are woken in one burst, not one at a time, which
        costs the kernel about half as much a response under load (the bytes of a connection
        keep their order: anything else written to it first writes what is held)."""
        held = self._held
        held.append(wire)
        if len(held) == 1:
            self._server._hold(self)

    def _release(self) -> None:
        """Hand what :meth:`_hold` kept to the transport now."""
        held = self._held
        if held:
            if not self._closed:
                if len(held) == 1:
                    self._transport.write(held[0])
                else:
                    self._transport.writelines(held)
            held.clear()

    def _write_response(self, response: Response, conn: bytes, head_only: bool) -> None:
        transport = self._transport
        if not conn and not head_only and not isinstance(response, GatheredResponse) \
                and len(response.body) <= _COALESCE_LIMIT:
            wire = response._wire
            if wire is None:
                wire = response._wire = response._head + response.body
            self._hold(wire)
            return
        self._release()
        if isinstance(response, GatheredResponse):
            transport.write(response._head[:-2] + conn + _CRLF if conn else response._head)
            if not head_only:
                transport.writelines(response.parts)
            return
        body = response.body
        if not conn:
            if head_only:
                transport.write(response._head)
            else:
                transport.write(response._head)
                transport.write(body)
        else:
            head = response._head[:-2] + conn + _CRLF
            if head_only or not body:
                transport.write(head)
            elif len(body) > _COALESCE_LIMIT:
                transport.write(head)
                transport.write(body)
            else:
                transport.write(head + body)

    async def _stream(self, response: StreamingResponse, request: Request) -> bool:
        """Send a streaming response; True to keep the connection open.  HTTP/1.0 clients
        get no chunked encoding: the end of the body is marked by closing the connection."""
        transport = self._transport
        chunks = response.chunks
        chunked = request.http_version == "1.1"
        keep_alive = chunked and request._keep_alive and not self._shutting_down
        conn = b"" if keep_alive else _CONN_CLOSE
        self._release()
        transport.write(b"".join((response._head, _CHUNKED if chunked else b"", conn, _CRLF)))
        if request.method == "HEAD":
            await _aclose(chunks)
            return keep_alive
        self._streaming = True
        sink = ChunkSink(self, chunked)
        if response.direct is not None:
            response.direct(sink)
        try:
            async for chunk in chunks:
                if not chunk:
                    continue  # an empty chunk would end the body
                if self._closed:
                    return False
                sink.write(chunk)
                if self._write_paused:
                    await self._drain()
                    if self._closed:
                        return False
        except asyncio.CancelledError:
            if self._shutting_down and chunked and not transport.is_closing():
                transport.write(_LAST_CHUNK)  # end the stream cleanly; the client re-watches
            raise
        except Exception:
            logger.exception("Streaming response for %s %s failed", request.method, request.path)
            transport.close()  # no last chunk: the client sees a truncated body
            return False
        finally:
            self._streaming = False
            await _aclose(chunks)
        if self._closed:
            return False
        if chunked:
            transport.write(_LAST_CHUNK)
        return keep_alive

    async def _drain(self) -> None:
        if self._closed or not self._write_paused:
            return
        waiter: asyncio.Future[None] = self._loop.create_future()
        self._drain_waiter = waiter
        try:
            await waiter
        finally:
            if self._drain_waiter is waiter:
                self._drain_waiter = None

    def _make_error(self, status: int, message: str) -> Response:
        try:
            return self._error_response(status, message)
        except Exception:
            logger.exception("error_response(%d, %r) failed; using the default", status, message)
            return default_error_response(status, message)

    def _send_failure(self, status: int, message: str) -> None:
        """Write an error answer, then half-close and drain briefly before closing."""
        self._discard = True
        transport = self._transport
        if transport.is_closing():
            return
        self._write_response(self._make_error(status, message), _CONN_CLOSE, False)
        if not transport.can_write_eof():
            # TLS has no half-close: keep reading (and dropping) what the client still sends for a
            # while, so that it gets to read the answer instead of a reset.
            if self._reading_paused:
                self._reading_paused = False
                transport.resume_reading()
            self._linger_handle = self._loop.call_later(_LINGER_SECONDS, transport.close)
            return
        try:
            transport.write_eof()
        except (OSError, RuntimeError):
            transport.close()
            return
        if self._reading_paused:
            self._reading_paused = False
            transport.resume_reading()
        self._linger_handle = self._loop.call_later(_LINGER_SECONDS, transport.close)

    # ---- shutdown

    def _begin_shutdown(self) -> None:
        self._shutting_down = True
        if self._task is None:
            self._release()
            self._transport.close()

    def _force_close(self) -> asyncio.Task[None] | None:
        task = self._task
        if task is not None and not task.done():
            task.cancel()
            return task
        self._release()
        self._transport.close()
        return None


# --------------------------------------------------------------------------- eager start


def _start(loop: asyncio.AbstractEventLoop, coro: Coroutine[Any, Any, None]) -> asyncio.Task[None] | None:
    """Run ``coro`` at once, up to where it first waits, and hand the rest to a task; None when it
    finished without waiting.

    A GET served from the watch cache never waits: answered here, it costs no task (whose making,
    scheduling and collection were a tenth of such a request's CPU). Python 3.12's eager task
    factory does this for every task; until then, for GETs other than watches only (writes wait
    for storage, and then paid for both). The first step runs outside any task
    (``asyncio.current_task()`` is None there): what needs one makes its own.
    """
    try:
        waited = coro.send(None)
    except StopIteration:
        return None
    return loop.create_task(_go_on(coro, waited))


async def _go_on(coro: Coroutine[Any, Any, None], waited: Any) -> None:
    """Drive ``coro`` on from where it waits on ``waited`` (an asyncio future, or None for a bare
    yield), as its task would have: it is resumed once the future is done and reads the outcome
    from it; a cancellation of this task is thrown into it where it waits."""
    while True:
        try:
            if waited is None:
                await asyncio.sleep(0)
            else:
                waited._asyncio_future_blocking = False  # taken, as a task takes what it is given
                await waited
        except asyncio.CancelledError as exc:
            if waited is None or not waited.cancelled():  # this task, not the future, was cancelled
                try:
                    waited = coro.throw(exc)
                except StopIteration:
                    return
                continue
        except Exception:  # the coroutine reads the future's error itself, below
            pass
        try:
            waited = coro.send(None)
        except StopIteration:
            return


# --------------------------------------------------------------------------- server


class HTTPServer:
    """Serves ``handler`` over HTTP/1.1.  Independent instances share no state."""

    def __init__(
        self,
        handler: Handler,
        *,
        max_body_bytes: int = 3 * 1024 * 1024,
        max_header_bytes: int = 64 * 1024,
        error_response: ErrorResponseFactory | None = None,
    ) -> None:
        self._handler = handler
        self._max_body_bytes = max_body_bytes
        self._max_header_bytes = max_header_bytes
        self._error_response: ErrorResponseFactory = (
            default_error_response if error_response is None else error_response
        )
        self._server: asyncio.AbstractServer | None = None
        self._port: int | None = None
        self._connections: set[_HTTPConnection] = set()
        #: Connections with responses held for the end of this pass of the loop (``_hold``).
        self._holding: list[_HTTPConnection] = []
        self._stopping = False
        self._all_closed: asyncio.Event | None = None

    async def start(self, host: str, port: int, *, ssl_context: ssl.SSLContext | None = None) -> None:
        """Bind and start accepting (over TLS with ``ssl_context``).  Raises ``OSError`` if the address is taken."""
        if self._server is not None:
            raise RuntimeError("HTTPServer is already started")
        loop = asyncio.get_running_loop()
        self._stopping = False
        self._server = await loop.create_server(
            lambda: _HTTPConnection(self, loop), host, port, reuse_address=True, backlog=1024, ssl=ssl_context
        )
        sockets = self._server.sockets
        self._port = int(sockets[0].getsockname()[1]) if sockets else port

    @property
    def port(self) -> int:
        """The bound port (useful after ``start(host, 0)``)."""
        if self._port is None:
            raise RuntimeError("HTTPServer is not started")
        return self._port

    def connection_count(self) -> int:
        return len(self._connections)

    async def stop(self, grace: float = 5.0) -> None:
        """Stop accepting; close idle connections now and the others once their current
        response is sent; after ``grace`` seconds cancel what is left (streams included)."""
        server = self._server
        if server is None:
            return
        self._server = None
        self._stopping = True
        self._all_closed = asyncio.Event()
        server.close()
        for conn in list(self._connections):
            conn._begin_shutdown()
        await self._wait_closed(grace)
        if self._connections:
            tasks = [t for conn in list(self._connections) if (t := conn._force_close()) is not None]
            if tasks:
                await asyncio.wait(tasks, timeout=1.0)
            await self._wait_closed(1.0)
            for conn in list(self._connections):
                conn._transport.abort()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(1.0):
                await server.wait_closed()
        self._all_closed = None

    async def _wait_closed(self, seconds: float) -> None:
        event = self._all_closed
        if not self._connections or event is None:
            return
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await event.wait()

    def _hold(self, conn: _HTTPConnection) -> None:
        holding = self._holding
        holding.append(conn)
        if len(holding) == 1:
            conn._loop.call_soon(self._release_held)

    def _release_held(self) -> None:
        holding = self._holding
        self._holding = []
        for conn in holding:
            conn._release()

    def _connection_lost(self, conn: _HTTPConnection) -> None:
        self._connections.discard(conn)
        if not self._connections and self._all_closed is not None:
            self._all_closed.set()
