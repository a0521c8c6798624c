"""The floor: the least an asyncio HTTP server in Python can do per request.

uvloop + httptools: a POST's body is kept in a dict and echoed with 201, anything else is
answered with one fixed ~400-byte JSON object (no routing, no decoding, no storage). Plain HTTP,
or TLS with the certificate and key given. ``benchmarks/apiserver.py`` measures it beside
setpoint in the same run and prints setpoint's share of it.

    .venv/bin/python benchmarks/floor_server.py PORT [CERT KEY]
"""

from __future__ import annotations

import asyncio
import ssl
import sys
from typing import cast

import httptools
import uvloop

BODY = (b'{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"g","namespace":"bench",'
        b'"uid":"1f2e3d4c-5b6a-4789-8abc-000000000001","resourceVersion":"5",'
        b'"creationTimestamp":"2026-12-06T10:00:00Z"},"data":{"k":"' + b"v" * 100 + b'"}}')
RESPONSE = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
            + str(len(BODY)).encode() + b"\r\n\r\n" + BODY)
CREATED = b"HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: "
#: Every POST's body, as a store would keep it.
STORED: dict[int, bytes] = {}


class FloorProtocol(asyncio.Protocol):
    """Parse each request, answer it with :data:`RESPONSE`."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's are not asyncio's classes
        self.parser = httptools.HttpRequestParser(self)
        self.body: list[bytes] = []

    def data_received(self, data: bytes) -> None:
        self.parser.feed_data(data)

    def on_body(self, body: bytes) -> None:
        self.body.append(body)

    def on_message_complete(self) -> None:
        if self.parser.get_method() == b"POST":
            body = b"".join(self.body)
            self.body.clear()
            STORED[len(STORED)] = body
            self.transport.write(CREATED + str(len(body)).encode() + b"\r\n\r\n" + body)
        else:
            self.transport.write(RESPONSE)


async def serve(port: int, cert: str | None, key: str | None) -> None:
    context = None
    if cert and key:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)
    server = await asyncio.get_running_loop().create_server(FloorProtocol, "127.0.0.1", port, ssl=context,
                                                            backlog=1024)
    print("ready", flush=True)
    await server.serve_forever()


if __name__ == "__main__":
    uvloop.install()
    asyncio.run(serve(int(sys.argv[1]), *(sys.argv[2:4] if len(sys.argv) >= 4 else (None, None))))
