"""Watch events written straight from the watch cache to the connections, over real sockets.

While a watch's handler waits, the watch cache writes each applied batch of plain JSON events to
its connection itself (no task switch per watcher and event); the handler takes over for what it
must do itself (converted versions, bookmarks, a connection that takes no more for now).
"""

from __future__ import annotations

import asyncio
import socket
import tempfile
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import orjson
import pytest

from setpoint.apiserver.endpoints import watch
from setpoint.controllers.inprocess import InProcessClient
from setpoint.controlplane import ControlPlane
from setpoint.runtime.resource import Kind
from setpoint.testing import eventually

TIMEOUT = 10.0
CONFIG_MAP = Kind("v1", "ConfigMap")


@pytest.fixture
async def plane() -> AsyncIterator[ControlPlane]:
    with tempfile.TemporaryDirectory(prefix="setpoint-test-") as tmp:
        cp = ControlPlane("memory://", port=0, data_dir=Path(tmp), tls_options=None, nodes=0, controllers=())
        await cp.start()
        try:
            yield cp
        finally:
            await cp.stop()


async def _open_watch(port: int, path: str, rcvbuf: int | None = None) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", port))
    reader, writer = await asyncio.open_connection(sock=sock, limit=1 << 24)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), TIMEOUT)
    assert head.startswith(b"HTTP/1.1 200"), head
    return reader, writer


async def _read_events(reader: asyncio.StreamReader, count: int) -> list[dict[str, object]]:
    """``count`` watch events from a chunked stream (chunks may hold several lines)."""
    events: list[dict[str, object]] = []
    pending = b""
    async with asyncio.timeout(TIMEOUT):
        while len(events) < count:
            size = int((await reader.readuntil(b"\r\n"))[:-2], 16)
            assert size, "the stream ended"
            pending += (await reader.readexactly(size + 2))[:-2]
            *lines, pending = pending.split(b"\n")
            events.extend(orjson.loads(line) for line in lines)
    return events


def _cacher_of_configmaps(cp: ControlPlane):  # type: ignore[no-untyped-def]
    r = cp.server.registry.get("", "v1", "configmaps")
    assert r is not None
    return cp.server.objects.cacher(r)


async def _watched_config_map(plane: ControlPlane, namespace: str) -> tuple[InProcessClient, str]:
    """A client, and the resourceVersion of a new ConfigMap ``w`` in a new namespace."""
    client = InProcessClient(plane.server.registry, plane.server.objects)
    await client.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}})
    cm = await client.create({"apiVersion": "v1", "kind": "ConfigMap",
                              "metadata": {"name": "w", "namespace": namespace}, "data": {"n": "0"}})
    return client, str(cm["metadata"]["resourceVersion"])


async def _until(predicate: Callable[[], bool]) -> None:
    await eventually(predicate, timeout=TIMEOUT, interval=0.01)


async def test_many_watchers_get_every_event_in_order_written_by_the_cache(plane: ControlPlane) -> None:
    client, rv = await _watched_config_map(plane, "fan")
    path = f"/api/v1/namespaces/fan/configmaps?watch=1&resourceVersion={rv}"
    watches = [await _open_watch(plane.port, path) for _ in range(50)]
    cacher = _cacher_of_configmaps(plane)
    # Each handler waits with the cache's writer attached: events will not wake it.
    await _until(lambda: sum(1 for w in cacher._watchers if w._writer is not None) == 50)

    updates = 40
    for n in range(1, updates + 1):
        await client.patch(CONFIG_MAP, "w", {"data": {"n": str(n)}}, "fan")
    for reader, _ in watches:
        events = await _read_events(reader, updates)
        assert [e["type"] for e in events] == ["MODIFIED"] * updates
        assert [e["object"]["data"]["n"] for e in events] == [str(n) for n in range(1, updates + 1)]  # type: ignore[index]
        revisions = [int(e["object"]["metadata"]["resourceVersion"]) for e in events]  # type: ignore[index]
        assert revisions == sorted(set(revisions))
    for _, writer in watches:
        writer.close()
    # A client gone ends its watch: nothing is left registered in the cache.
    await _until(lambda: not cacher._watchers)


async def test_a_watcher_that_stops_reading_gets_everything_once_it_reads_again(plane: ControlPlane) -> None:
    client, rv = await _watched_config_map(plane, "slow")
    reader, writer = await _open_watch(plane.port, f"/api/v1/namespaces/slow/configmaps?watch=1&resourceVersion={rv}",
                                       rcvbuf=8192)
    cacher = _cacher_of_configmaps(plane)
    await _until(lambda: any(w._writer is not None for w in cacher._watchers))
    big = "x" * 100_000
    # ~16 MB: four times the most the kernel buffers on the sending side (tcp_wmem's 4 MiB) and far
    # beyond the client's receive buffer: the connection must fill up while the client does not read.
    updates = 160
    for n in range(1, updates + 1):
        await client.patch(CONFIG_MAP, "w", {"data": {"n": str(n), "big": big}}, "slow")
    # The connection filled up: the cache stopped writing and left the rest to the handler.
    await _until(lambda: all(w._writer is None for w in cacher._watchers))
    events = await _read_events(reader, updates)
    assert [e["object"]["data"]["n"] for e in events] == [str(n) for n in range(1, updates + 1)]  # type: ignore[index]
    # Caught up, the handler hands its watch back to the cache.
    await _until(lambda: any(w._writer is not None for w in cacher._watchers))
    await client.patch(CONFIG_MAP, "w", {"data": {"n": "last"}}, "slow")
    (event,) = await _read_events(reader, 1)
    assert event["object"]["data"]["n"] == "last"  # type: ignore[index]
    writer.close()


async def test_tables_still_come_from_the_handler(plane: ControlPlane) -> None:
    client, rv = await _watched_config_map(plane, "tab")
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", plane.port))
    reader, writer = await asyncio.open_connection(sock=sock)
    writer.write(f"GET /api/v1/namespaces/tab/configmaps?watch=1&resourceVersion={rv} HTTP/1.1\r\nHost: x\r\n"
                 "Accept: application/json;as=Table;g=meta.k8s.io;v=v1\r\n\r\n".encode())
    await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), TIMEOUT)
    await client.patch(CONFIG_MAP, "w", {"data": {"n": "1"}}, "tab")
    (event,) = await _read_events(reader, 1)
    assert event["type"] == "MODIFIED"
    assert event["object"]["kind"] == "Table"  # type: ignore[index]
    writer.close()


async def test_a_bookmark_after_directly_written_events_carries_their_revision(
        plane: ControlPlane, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(watch, "BOOKMARK_INTERVAL", 0.2)
    client, rv = await _watched_config_map(plane, "bm")
    reader, writer = await _open_watch(
        plane.port, f"/api/v1/namespaces/bm/configmaps?watch=1&resourceVersion={rv}&allowWatchBookmarks=true")
    cacher = _cacher_of_configmaps(plane)
    await _until(lambda: any(w._writer is not None for w in cacher._watchers))
    written = await client.patch(CONFIG_MAP, "w", {"data": {"n": "1"}}, "bm")
    # (A bookmark may come first if the update took longer than the interval to arrive.)
    events = await _read_events(reader, 1)
    while not any(e["type"] == "MODIFIED" for e in events):
        events += await _read_events(reader, 1)
    after = events[[e["type"] for e in events].index("MODIFIED") + 1:]
    while not after:
        after = await _read_events(reader, 1)
    assert after[0]["type"] == "BOOKMARK"
    assert after[0]["object"]["metadata"]["resourceVersion"] == written["metadata"]["resourceVersion"]  # type: ignore[index]
    writer.close()
