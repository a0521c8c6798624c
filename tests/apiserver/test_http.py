"""Tests for setpoint.apiserver.http, over real sockets on 127.0.0.1.

Most protocol checks use a raw ``asyncio.open_connection`` client so that the bytes on
the wire are checked exactly; a few use ``http.client`` in a thread.  The fixture-free
scenarios also run under uvloop (see ``test_scenario_on_uvloop`` at the end).
"""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import json
import logging
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import pytest
import uvloop

from setpoint.apiserver.http import (
    HTTPServer,
    Request,
    Response,
    StreamingResponse,
    install_event_loop_policy,
    warning_header,
)

TIMEOUT = 5.0

Handler = Callable[[Request], Awaitable[Response | StreamingResponse]]


# --------------------------------------------------------------------------- helpers


@contextlib.asynccontextmanager
async def serving(handler: Handler, **kwargs: object) -> AsyncIterator[HTTPServer]:
    server = HTTPServer(handler, **kwargs)  # type: ignore[arg-type]
    await server.start("127.0.0.1", 0)
    try:
        yield server
    finally:
        await server.stop(grace=0.5)


async def connect(
    server: HTTPServer, rcvbuf: int | None = None
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    if rcvbuf is None:
        return await asyncio.open_connection("127.0.0.1", server.port)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", server.port))
    return await asyncio.open_connection(sock=sock)


@dataclass
class RawResponse:
    status: int
    headers: dict[str, str]  # lower-cased names
    body: bytes


async def read_head(reader: asyncio.StreamReader) -> tuple[int, dict[str, str]]:
    async with asyncio.timeout(TIMEOUT):
        raw = await reader.readuntil(b"\r\n\r\n")
    lines = raw.decode("latin-1").split("\r\n")
    version, status, _reason = lines[0].split(" ", 2)
    assert version == "HTTP/1.1"
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if line:
            name, sep, value = line.partition(":")
            assert sep, line
            assert name.lower() not in headers, f"duplicate header {name}"
            headers[name.lower()] = value.strip()
    return int(status), headers


async def read_chunk(reader: asyncio.StreamReader) -> bytes:
    """One chunk of a chunked body; b"" for the last chunk (whose CRLF is consumed)."""
    async with asyncio.timeout(TIMEOUT):
        size_line = await reader.readuntil(b"\r\n")
        size = int(size_line[:-2], 16)
        data = await reader.readexactly(size + 2)
    assert data.endswith(b"\r\n")
    return data[:-2]


async def read_response(reader: asyncio.StreamReader, *, head_only: bool = False) -> RawResponse:
    status, headers = await read_head(reader)
    if head_only:
        body = b""
    elif headers.get("transfer-encoding") == "chunked":
        assert "content-length" not in headers
        parts = []
        while chunk := await read_chunk(reader):
            parts.append(chunk)
        body = b"".join(parts)
    elif "content-length" in headers:
        async with asyncio.timeout(TIMEOUT):
            body = await reader.readexactly(int(headers["content-length"]))
    else:
        async with asyncio.timeout(TIMEOUT):
            body = await reader.read()
    return RawResponse(status, headers, body)


async def read_eof(reader: asyncio.StreamReader) -> bytes:
    """Everything up to the server closing the connection (fails if it never does)."""
    async with asyncio.timeout(TIMEOUT):
        return await reader.read()


def get(path: str, *extra_headers: str) -> bytes:
    lines = [f"GET {path} HTTP/1.1", "Host: test", *extra_headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def post(path: str, body: bytes, *extra_headers: str) -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: test", f"Content-Length: {len(body)}", *extra_headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


async def echo(request: Request) -> Response:
    """Describes the request it got, as JSON."""
    return Response(
        200,
        json.dumps(
            {
                "method": request.method,
                "path": request.path,
                "raw_path": request.raw_path.decode("latin-1"),
                "query_string": request.query_string.decode("latin-1"),
                "query": request.query,
                "headers": request.headers,
                "body": request.body.decode("latin-1"),
                "client": list(request.client) if request.client else None,
                "http_version": request.http_version,
            }
        ).encode(),
        headers=[("X-Echo", "yes")],
    )


def custom_error(status: int, message: str) -> Response:
    return Response(status, b"custom:%d:%s" % (status, message.encode()), content_type="text/plain")


def http_client_request(
    port: int, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


# --------------------------------------------------------------------------- basics


async def test_get_and_post_with_bodies() -> None:
    async with serving(echo) as server:
        status, headers, body = await asyncio.to_thread(http_client_request, server.port, "GET", "/api/v1")
        assert status == 200
        assert headers["content-type"] == "application/json"
        assert headers["content-length"] == str(len(body))
        assert headers["x-echo"] == "yes"
        seen = json.loads(body)
        assert seen["method"] == "GET"
        assert seen["path"] == "/api/v1"
        assert seen["body"] == ""

        payload = json.dumps({"kind": "ConfigMap", "data": {"k": "v" * 100}}).encode()
        status, headers, body = await asyncio.to_thread(
            http_client_request,
            server.port,
            "POST",
            "/api/v1/namespaces/default/configmaps",
            payload,
            {"Content-Type": "application/json"},
        )
        assert status == 200
        seen = json.loads(body)
        assert seen["method"] == "POST"
        assert seen["body"].encode() == payload
        assert seen["headers"]["content-type"] == "application/json"
        assert seen["headers"]["content-length"] == str(len(payload))
        assert seen["client"][0] == "127.0.0.1"


async def test_chunked_request_body_is_reassembled() -> None:
    async with serving(echo) as server:
        reader, writer = await connect(server)
        writer.write(
            b"POST /x HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"5\r\nhello\r\n1\r\n \r\n5\r\nworld\r\n0\r\n\r\n"
        )
        resp = await read_response(reader)
        assert resp.status == 200
        assert json.loads(resp.body)["body"] == "hello world"
        writer.close()


async def test_path_query_and_headers_are_parsed() -> None:
    seen: list[Request] = []

    async def handler(request: Request) -> Response:
        seen.append(request)
        assert request.query is request.query  # parsed once, cached
        request.state["user"] = "alice"
        assert request.state == {"user": "alice"}
        return Response(200, b"{}")

    async with serving(handler) as server:
        reader, writer = await connect(server)
        writer.write(
            get(
                "/api/v1/na%20me/%E2%9C%93?labelSelector=app%3Dweb&x=1&x=2&empty=&plus=a+b",
                "X-Multi: one",
                "x-multi: two",
                "Accept: application/json",
            )
        )
        assert (await read_response(reader)).status == 200
        writer.close()

    (request,) = seen
    assert request.method == "GET"
    assert request.path == "/api/v1/na me/\u2713"
    assert request.raw_path == b"/api/v1/na%20me/%E2%9C%93"
    assert request.query_string == b"labelSelector=app%3Dweb&x=1&x=2&empty=&plus=a+b"
    assert request.query == {
        "labelSelector": ["app=web"],
        "x": ["1", "2"],
        "empty": [""],
        "plus": ["a b"],
    }
    assert request.query_one("x") == "1"
    assert request.query_one("empty") == ""
    assert request.query_one("missing") is None
    assert request.query_one("missing", "dflt") == "dflt"
    assert request.headers["x-multi"] == "one, two"
    assert request.headers["host"] == "test"
    assert request.headers["accept"] == "application/json"
    assert all(name == name.lower() for name in request.headers)
    assert request.body == b""
    assert request.http_version == "1.1"


def test_request_can_be_built_by_hand() -> None:
    request = Request("GET", "/x", query_string=b"watch=true&rv=")
    assert request.raw_path == b"/x"
    assert request.query_one("watch") == "true"
    assert request.query_one("rv") == ""
    assert request.headers == {}
    assert Request("GET", "/").query == {}


async def test_head_request_gets_length_but_no_body() -> None:
    async with serving(echo) as server:
        reader, writer = await connect(server)
        writer.write(b"HEAD /h HTTP/1.1\r\nHost: t\r\n\r\n")
        head = await read_response(reader, head_only=True)
        assert head.status == 200
        assert int(head.headers["content-length"]) > 0
        # no body bytes were sent: the next response starts right away
        writer.write(get("/next"))
        nxt = await read_response(reader)
        assert json.loads(nxt.body)["path"] == "/next"
        writer.close()


# --------------------------------------------------------------------------- connection management


async def test_keep_alive_serves_two_requests_on_one_connection() -> None:
    async with serving(echo) as server:
        reader, writer = await connect(server)
        writer.write(get("/one"))
        first = await read_response(reader)
        assert "connection" not in first.headers
        writer.write(post("/two", b"payload"))
        second = await read_response(reader)
        assert json.loads(first.body)["path"] == "/one"
        assert json.loads(second.body)["body"] == "payload"
        # the same client socket made both requests
        assert json.loads(first.body)["client"] == json.loads(second.body)["client"]
        assert server.connection_count() == 1
        writer.close()


async def test_pipelined_requests_are_answered_in_order() -> None:
    log: list[str] = []

    async def handler(request: Request) -> Response:
        log.append(f"start {request.path}")
        if request.path == "/slow":
            # Give any concurrently running handler every chance to finish first.
            for _ in range(20):
                await asyncio.sleep(0)
        log.append(f"end {request.path}")
        return Response(200, request.path.encode() + b":" + request.body)

    async with serving(handler) as server:
        reader, writer = await connect(server)
        writer.write(get("/slow") + post("/post", b"abc") + get("/fast"))  # one write
        bodies = [(await read_response(reader)).body for _ in range(3)]
        assert bodies == [b"/slow:", b"/post:abc", b"/fast:"]
        # one at a time: no handler started before the previous one ended
        assert log == ["start /slow", "end /slow", "start /post", "end /post", "start /fast", "end /fast"]
        writer.close()


async def test_pipelined_answers_of_every_kind_keep_their_order() -> None:
    """Small answers are written at the end of the loop's pass, all connections' together;
    whatever else the connection writes (a stream, a large body, a HEAD, a close) comes after them."""
    big = b"x" * 100_000

    async def chunks() -> AsyncIterator[bytes]:
        yield b"one"
        yield b"two"

    async def handler(request: Request) -> Response | StreamingResponse:
        if request.path == "/stream":
            return StreamingResponse(200, chunks())
        if request.path == "/big":
            return Response(200, big)
        return Response(200, request.path.encode())

    async with serving(handler) as server:
        reader, writer = await connect(server)
        writer.write(get("/a") + get("/stream") + get("/b") + get("/big") + get("/c")
                     + b"HEAD /head HTTP/1.1\r\nHost: test\r\n\r\n" + get("/d") + get("/last", "Connection: close"))
        bodies = [(await read_response(reader, head_only=i == 5)).body for i in range(8)]
        assert bodies == [b"/a", b"onetwo", b"/b", big, b"/c", b"", b"/d", b"/last"]
        assert await read_eof(reader) == b""
        writer.close()

    async with serving(handler) as server:  # many connections answered in the same passes
        pairs = [await connect(server) for _ in range(20)]
        for i, (_, w) in enumerate(pairs):
            w.write(get(f"/n{i}") + get(f"/m{i}"))
        for i, (r, w) in enumerate(pairs):
            assert [(await read_response(r)).body for _ in range(2)] == [f"/n{i}".encode(), f"/m{i}".encode()]
            w.close()


async def test_connection_close_is_honoured() -> None:
    async with serving(echo) as server:
        reader, writer = await connect(server)
        writer.write(get("/bye", "Connection: close"))
        resp = await read_response(reader)
        assert resp.status == 200
        assert resp.headers["connection"] == "close"
        assert await read_eof(reader) == b""
        writer.close()


async def test_http10_closes_unless_keep_alive_is_asked() -> None:
    async with serving(echo) as server:
        reader, writer = await connect(server)
        writer.write(b"GET /old HTTP/1.0\r\n\r\n")
        resp = await read_response(reader)
        assert resp.status == 200
        assert json.loads(resp.body)["http_version"] == "1.0"
        assert await read_eof(reader) == b""
        writer.close()

        reader, writer = await connect(server)
        writer.write(b"GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        resp = await read_response(reader)
        assert resp.headers["connection"].lower() == "keep-alive"
        writer.write(b"GET /b HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        assert json.loads((await read_response(reader)).body)["path"] == "/b"
        writer.close()


async def test_expect_100_continue_is_answered_before_the_body() -> None:
    calls: list[bytes] = []

    async def handler(request: Request) -> Response:
        calls.append(request.body)
        return Response(200, b"got %d" % len(request.body))

    async with serving(handler) as server:
        reader, writer = await connect(server)
        body = b"x" * 2000
        writer.write(
            b"PUT /big HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: %d\r\n\r\n" % len(body)
        )
        async with asyncio.timeout(TIMEOUT):
            interim = await reader.readuntil(b"\r\n\r\n")
        assert interim == b"HTTP/1.1 100 Continue\r\n\r\n"
        assert calls == []
        writer.write(body)
        final = await read_response(reader)
        assert (final.status, final.body) == (200, b"got 2000")
        assert calls == [body]
        # the connection is still usable
        writer.write(get("/again"))
        assert (await read_response(reader)).status == 200
        writer.close()


async def test_handlers_run_at_once_and_resume_as_tasks_would() -> None:
    # A handler that never waits is answered with no task; one that waits goes on in a task,
    # reading each awaited future's outcome (a result, an error, a cancellation) where it waits.
    loop = asyncio.get_running_loop()
    seen: list[tuple[str, bool]] = []

    async def handler(request: Request) -> Response:
        seen.append((request.path, asyncio.current_task() is None))
        if request.path == "/at-once":
            return Response(200, b"at once")
        for _ in range(3):
            await asyncio.sleep(0)  # bare yields
        failing: asyncio.Future[None] = loop.create_future()
        loop.call_soon(failing.set_exception, ValueError("broken"))
        try:
            await failing
        except ValueError as exc:
            error = str(exc)
        cancelled: asyncio.Future[None] = loop.create_future()
        loop.call_soon(cancelled.cancel)
        try:
            await cancelled
        except asyncio.CancelledError:
            error += " cancelled"
        done: asyncio.Future[bytes] = loop.create_future()
        loop.call_later(0.01, done.set_result, b" then done")
        return Response(200, error.encode() + await done + (b" in a task" if asyncio.current_task() else b""))

    async with serving(handler) as server:
        reader, writer = await connect(server)
        writer.write(get("/at-once") + get("/waits") + get("/at-once"))
        assert (await read_response(reader)).body == b"at once"
        assert (await read_response(reader)).body == b"broken cancelled then done in a task"
        assert (await read_response(reader)).body == b"at once"
        writer.close()
    # The first two began outside any task; the last was queued behind the second, in its task.
    assert seen == [("/at-once", True), ("/waits", True), ("/at-once", False)]


async def test_a_waiting_handler_is_cancelled_when_its_server_stops() -> None:
    started, finished = asyncio.Event(), []

    async def handler(request: Request) -> Response:
        started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            finished.append("cancelled where it waited")
            raise
        return Response(200)

    server = HTTPServer(handler)
    await server.start("127.0.0.1", 0)
    _reader, writer = await connect(server)
    writer.write(get("/forever"))
    await started.wait()
    await server.stop(grace=0.1)
    assert finished == ["cancelled where it waited"]
    writer.close()


async def test_slow_handler_does_not_block_other_connections() -> None:
    release = asyncio.Event()

    async def handler(request: Request) -> Response:
        if request.path == "/slow":
            await release.wait()
        return Response(200, request.path.encode())

    async with serving(handler) as server:
        slow_reader, slow_writer = await connect(server)
        slow_writer.write(get("/slow"))
        fast_reader, fast_writer = await connect(server)
        fast_writer.write(get("/fast"))
        assert (await read_response(fast_reader)).body == b"/fast"
        assert not release.is_set()
        release.set()
        assert (await read_response(slow_reader)).body == b"/slow"
        slow_writer.close()
        fast_writer.close()


# --------------------------------------------------------------------------- errors


async def test_oversized_body_with_content_length_gets_413_before_the_body_is_sent() -> None:
    errors: list[int] = []
    calls: list[Request] = []

    def error_response(status: int, message: str) -> Response:
        errors.append(status)
        return custom_error(status, message)

    async def handler(request: Request) -> Response:
        calls.append(request)
        return Response(200)

    async with serving(handler, max_body_bytes=1024, error_response=error_response) as server:
        reader, writer = await connect(server)
        # announce 10 MB, send none of it: the answer must not wait for the body
        writer.write(b"POST /x HTTP/1.1\r\nHost: t\r\nContent-Length: 10000000\r\n\r\n")
        resp = await read_response(reader)
        assert resp.status == 413
        assert resp.body.startswith(b"custom:413:")
        assert resp.headers["content-type"] == "text/plain"
        assert resp.headers["connection"] == "close"
        assert await read_eof(reader) == b""
        writer.close()

        # with Expect: 100-continue, no 100 is sent: the 413 comes instead
        reader, writer = await connect(server)
        writer.write(b"PUT /x HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 5000\r\n\r\n")
        resp = await read_response(reader)
        assert resp.status == 413
        assert await read_eof(reader) == b""
        writer.close()

        # exactly at the limit is fine
        reader, writer = await connect(server)
        writer.write(post("/ok", b"y" * 1024))
        assert (await read_response(reader)).status == 200
        writer.close()

    assert errors == [413, 413]
    assert [r.path for r in calls] == ["/ok"]


async def test_oversized_chunked_body_gets_413_as_soon_as_the_limit_is_passed() -> None:
    calls: list[Request] = []

    async def handler(request: Request) -> Response:
        calls.append(request)
        return Response(200)

    async with serving(handler, max_body_bytes=1024, error_response=custom_error) as server:
        reader, writer = await connect(server)
        writer.write(b"POST /x HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n")
        for _ in range(3):  # 1800 bytes, and the body is never terminated
            writer.write(b"258\r\n" + b"z" * 600 + b"\r\n")
        resp = await read_response(reader)
        assert resp.status == 413
        assert resp.body.startswith(b"custom:413:")
        assert await read_eof(reader) == b""
        writer.close()
    assert calls == []


async def test_malformed_request_gets_400_and_the_connection_closes() -> None:
    calls: list[Request] = []

    async def handler(request: Request) -> Response:
        calls.append(request)
        return Response(200)

    async with serving(handler, error_response=custom_error) as server:
        reader, writer = await connect(server)
        writer.write(b"THIS IS NOT HTTP AT ALL\r\n\r\n")
        resp = await read_response(reader)
        assert resp.status == 400
        assert resp.body.startswith(b"custom:400:")
        assert resp.headers["connection"] == "close"
        assert await read_eof(reader) == b""
        writer.close()

        # garbage after a good request: the good one is answered first
        reader, writer = await connect(server)
        writer.write(get("/good") + b"\x00\x01garbage\r\n\r\n")
        first = await read_response(reader)
        second = await read_response(reader)
        assert (first.status, second.status) == (200, 400)
        assert await read_eof(reader) == b""
        writer.close()
    assert [r.path for r in calls] == ["/good"]


async def test_oversized_header_section_gets_431() -> None:
    async with serving(echo, max_header_bytes=4096, error_response=custom_error) as server:
        reader, writer = await connect(server)
        writer.write(b"GET / HTTP/1.1\r\nHost: t\r\nX-Big: " + b"a" * 10000)  # never finished
        resp = await read_response(reader)
        assert resp.status == 431
        assert resp.body.startswith(b"custom:431:")
        writer.close()


async def test_handler_exception_gives_500_without_the_traceback(caplog: pytest.LogCaptureFixture) -> None:
    async def handler(request: Request) -> Response:
        if request.path == "/boom":
            raise RuntimeError("secret-internal-detail")
        return Response(200, b"fine")

    caplog.set_level(logging.ERROR, logger="setpoint.apiserver.http")
    async with serving(handler, error_response=custom_error) as server:
        reader, writer = await connect(server)
        writer.write(get("/boom"))
        resp = await read_response(reader)
        assert resp.status == 500
        assert resp.body.startswith(b"custom:500:")
        assert b"secret-internal-detail" not in resp.body
        assert b"Traceback" not in resp.body
        assert not any("secret" in v for v in resp.headers.values())
        # the connection survives a handler error
        writer.write(get("/ok"))
        assert (await read_response(reader)).body == b"fine"
        writer.close()

    logged = [r for r in caplog.records if r.exc_info is not None]
    assert logged, "the traceback must be logged"
    assert "secret-internal-detail" in str(logged[0].exc_info[1])  # type: ignore[index]


async def test_default_error_response_is_json() -> None:
    async def handler(request: Request) -> Response:
        raise ValueError("nope")

    async with serving(handler) as server:
        reader, writer = await connect(server)
        writer.write(get("/x"))
        resp = await read_response(reader)
        assert resp.status == 500
        assert resp.headers["content-type"] == "application/json"
        doc = json.loads(resp.body)
        assert doc["code"] == 500
        assert "nope" not in resp.body.decode()
        writer.close()


# --------------------------------------------------------------------------- streaming


async def test_stream_chunks_arrive_one_by_one() -> None:
    may_produce_second = asyncio.Event()
    produced: list[bytes] = []

    async def chunks() -> AsyncIterator[bytes]:
        produced.append(b"1")
        yield b'{"type":"ADDED"}\n'
        await may_produce_second.wait()
        produced.append(b"2")
        yield b""  # empty chunks are skipped, not sent as the terminator
        yield b'{"type":"MODIFIED"}\n'

    async def handler(request: Request) -> StreamingResponse | Response:
        if request.path == "/watch":
            return StreamingResponse(200, chunks(), headers=[("Cache-Control", "no-cache")])
        return Response(200, b"after")

    async with serving(handler) as server:
        reader, writer = await connect(server)
        writer.write(get("/watch"))
        status, headers = await read_head(reader)
        assert status == 200
        assert headers["transfer-encoding"] == "chunked"
        assert "content-length" not in headers
        assert headers["cache-control"] == "no-cache"
        assert await read_chunk(reader) == b'{"type":"ADDED"}\n'
        assert produced == [b"1"]  # the first chunk arrived before the second existed
        may_produce_second.set()
        assert await read_chunk(reader) == b'{"type":"MODIFIED"}\n'
        assert await read_chunk(reader) == b""  # terminating chunk
        # keep-alive: the connection serves the next request
        writer.write(get("/next"))
        assert (await read_response(reader)).body == b"after"
        writer.close()


@pytest.mark.parametrize("how", ["close", "abort"])
async def test_client_disconnect_mid_stream_closes_the_iterator(how: str) -> None:
    never = asyncio.Event()
    closed = asyncio.Event()

    async def chunks() -> AsyncIterator[bytes]:
        try:
            yield b"first\n"
            await never.wait()
            yield b"never sent\n"
        finally:
            closed.set()

    async def handler(request: Request) -> StreamingResponse:
        return StreamingResponse(200, chunks())

    async with serving(handler) as server:
        reader, writer = await connect(server)
        writer.write(get("/watch"))
        await read_head(reader)
        assert await read_chunk(reader) == b"first\n"
        assert not closed.is_set()
        if how == "abort":
            writer.transport.abort()
        else:
            writer.close()
        await asyncio.wait_for(closed.wait(), TIMEOUT)
        assert server.connection_count() == 0


async def test_stream_honours_back_pressure() -> None:
    chunk = b"w" * 65536
    limit = 200  # 12.5 MiB: far more than the socket buffers on both ends can hold
    produced = 0
    finished = asyncio.Event()

    async def chunks() -> AsyncIterator[bytes]:
        nonlocal produced
        try:
            while produced < limit:
                produced += 1
                yield chunk
                await asyncio.sleep(0)  # let the loop run, as a real producer would
        finally:
            finished.set()

    async def handler(request: Request) -> StreamingResponse:
        return StreamingResponse(200, chunks(), content_type="application/octet-stream")

    async with serving(handler) as server:
        reader, writer = await connect(server, rcvbuf=65536)
        writer.write(get("/flood"))
        # Don't read: the producer must stall once the buffers are full.
        last, stable = -1, 0
        async with asyncio.timeout(TIMEOUT):
            while stable < 10:
                await asyncio.sleep(0.02)
                stable = stable + 1 if produced == last else 0
                last = produced
        assert not finished.is_set()
        assert produced < limit, "producer was not paused by back-pressure"
        stalled_at = produced
        # Now read everything: the producer resumes and the stream completes intact.
        resp = await read_response(reader)
        assert resp.status == 200
        assert len(resp.body) == limit * len(chunk)
        assert produced == limit > stalled_at
        assert finished.is_set()
        writer.close()


async def test_stream_to_http10_client_is_delimited_by_close() -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b"a"
        yield b"b"

    async def handler(request: Request) -> StreamingResponse:
        return StreamingResponse(200, chunks(), content_type="text/plain")

    async with serving(handler) as server:
        reader, writer = await connect(server)
        writer.write(b"GET /s HTTP/1.0\r\n\r\n")
        resp = await read_response(reader)
        assert "transfer-encoding" not in resp.headers
        assert resp.body == b"ab"
        writer.close()


# --------------------------------------------------------------------------- lifecycle


async def test_stop_closes_connections() -> None:
    release = asyncio.Event()
    slow_started = asyncio.Event()
    never = asyncio.Event()
    stream_closed = asyncio.Event()

    async def chunks() -> AsyncIterator[bytes]:
        try:
            yield b"event\n"
            await never.wait()
        finally:
            stream_closed.set()

    async def handler(request: Request) -> Response | StreamingResponse:
        if request.path == "/watch":
            return StreamingResponse(200, chunks())
        if request.path == "/slow":
            slow_started.set()
            await release.wait()
        return Response(200, request.path.encode())

    server = HTTPServer(handler)
    await server.start("127.0.0.1", 0)
    port = server.port

    idle_reader, idle_writer = await connect(server)
    idle_writer.write(get("/idle"))
    assert (await read_response(idle_reader)).status == 200

    watch_reader, watch_writer = await connect(server)
    watch_writer.write(get("/watch"))
    await read_head(watch_reader)
    assert await read_chunk(watch_reader) == b"event\n"

    slow_reader, slow_writer = await connect(server)
    slow_writer.write(get("/slow"))
    await asyncio.wait_for(slow_started.wait(), TIMEOUT)
    assert server.connection_count() == 3

    stop = asyncio.create_task(server.stop(grace=1.0))
    # idle connections are closed at once
    assert await read_eof(idle_reader) == b""
    # no new connections
    with pytest.raises(OSError):
        await asyncio.open_connection("127.0.0.1", port)
    # an in-flight request is finished, then its connection closed
    release.set()
    slow = await read_response(slow_reader)
    assert (slow.status, slow.body) == (200, b"/slow")
    assert slow.headers["connection"] == "close"
    assert await read_eof(slow_reader) == b""
    # the stream is cancelled after the grace period, ended cleanly, and its producer closed
    assert await read_chunk(watch_reader) == b""
    assert await read_eof(watch_reader) == b""
    await asyncio.wait_for(stream_closed.wait(), TIMEOUT)
    await asyncio.wait_for(stop, TIMEOUT)
    assert server.connection_count() == 0
    for w in (idle_writer, watch_writer, slow_writer):
        w.close()


async def test_port_in_use_raises_and_servers_are_independent() -> None:
    async def one(request: Request) -> Response:
        return Response(200, b"one")

    async def two(request: Request) -> Response:
        return Response(200, b"two")

    first = HTTPServer(one)
    await first.start("127.0.0.1", 0)
    try:
        with pytest.raises(OSError):
            await HTTPServer(two).start("127.0.0.1", first.port)
        second = HTTPServer(two)
        await second.start("127.0.0.1", 0)
        assert second.port != first.port
        r1, w1 = await connect(first)
        r2, w2 = await connect(second)
        w1.write(get("/"))
        w2.write(get("/"))
        assert (await read_response(r1)).body == b"one"
        assert (await read_response(r2)).body == b"two"
        assert (first.connection_count(), second.connection_count()) == (1, 1)
        await second.stop(grace=0.5)
        assert await read_eof(r2) == b""
        # the first server is unaffected
        w1.write(get("/"))
        assert (await read_response(r1)).body == b"one"
        w1.close()
        w2.close()
    finally:
        await first.stop(grace=0.5)


# --------------------------------------------------------------------------- vocabulary


def test_response_rendering() -> None:
    resp = Response(201, b'{"a":1}', headers=[("Location", "/x"), ("Audit-Id", "abc")])
    assert resp._head == (
        b"HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nLocation: /x\r\nAudit-Id: abc\r\n"
        b"Content-Length: 7\r\n\r\n"
    )
    assert Response(200, b"hi", content_type=None)._head == b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n"
    assert Response(204)._head == b"HTTP/1.1 204 No Content\r\nContent-Type: application/json\r\n\r\n"
    assert Response(599, b"")._head.startswith(b"HTTP/1.1 599 \r\n")
    with pytest.raises(ValueError):
        Response(200, headers=[("X-Evil", "a\r\nSet-Cookie: x")])
    with pytest.raises(ValueError):
        Response(200, headers=[("Bad Name", "v")])


def test_install_event_loop_policy_uses_uvloop() -> None:
    old = asyncio.get_event_loop_policy()
    try:
        install_event_loop_policy()
        assert isinstance(asyncio.get_event_loop_policy(), uvloop.EventLoopPolicy)
    finally:
        asyncio.set_event_loop_policy(old)


# --------------------------------------------------------------------------- uvloop

_UVLOOP_SCENARIOS: dict[str, Callable[[], Awaitable[None]]] = {
    "get_post": test_get_and_post_with_bodies,
    "keep_alive": test_keep_alive_serves_two_requests_on_one_connection,
    "pipelining": test_pipelined_requests_are_answered_in_order,
    "pipelining_kinds": test_pipelined_answers_of_every_kind_keep_their_order,
    "connection_close": test_connection_close_is_honoured,
    "http10": test_http10_closes_unless_keep_alive_is_asked,
    "expect_continue": test_expect_100_continue_is_answered_before_the_body,
    "413_content_length": test_oversized_body_with_content_length_gets_413_before_the_body_is_sent,
    "413_chunked": test_oversized_chunked_body_gets_413_as_soon_as_the_limit_is_passed,
    "400": test_malformed_request_gets_400_and_the_connection_closes,
    "431": test_oversized_header_section_gets_431,
    "stream": test_stream_chunks_arrive_one_by_one,
    "stream_disconnect_close": lambda: test_client_disconnect_mid_stream_closes_the_iterator("close"),
    "stream_disconnect_abort": lambda: test_client_disconnect_mid_stream_closes_the_iterator("abort"),
    "stream_back_pressure": test_stream_honours_back_pressure,
    "stop": test_stop_closes_connections,
    "two_servers": test_port_in_use_raises_and_servers_are_independent,
}


@pytest.mark.parametrize("scenario", list(_UVLOOP_SCENARIOS.values()), ids=list(_UVLOOP_SCENARIOS))
def test_scenario_on_uvloop(scenario: Callable[[], Awaitable[None]]) -> None:
    async def main() -> None:
        assert "uvloop" in type(asyncio.get_running_loop()).__module__
        await scenario()

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(main())


def test_warning_header_quotes_like_kube() -> None:
    from_kube = '299 - "example.com/v1 Widget is deprecated; use \\"v2\\" (see C:\\\\docs)"'
    assert warning_header('example.com/v1 Widget is deprecated; use "v2" (see C:\\docs)') == ("Warning", from_kube)
