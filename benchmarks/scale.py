"""The API server at scale: 100,000 objects held, listed and restarted with; watch fan-out to 1,000.

    PYTHONPATH=src .venv/bin/python benchmarks/scale.py [--objects 100000] [--watchers 1000]
        [--updates 1000] [--processes 4] [--storage URL] [--json FILE]

``setpoint up --nodes 0`` (SQLite in a temp dir unless ``--storage``), plain HTTP. It is filled
with ``--objects`` ConfigMaps of ~300 bytes (10,000 of them in a namespace of their own, the rest in
another) by 32 keep-alive connections, then measures:

* a paged list (``limit=500``, following ``continue``) of every ConfigMap: total seconds;
* an unpaged list of the 10,000 (median of 5);
* the server's RSS after that full list (``VmRSS``), and what that is an object over the idle RSS;
* a restart (SIGTERM, then ``setpoint up`` on the same data): spawn to the first ``/readyz`` 200,
  and the RSS after another full list;
* watch fan-out: ``--watchers`` watches of one namespace held by ``--processes`` processes (so the
  load generator is not the bottleneck: each runs uvloop with one protocol a watch, reads raw
  chunks and pulls the timestamp out with a regex, no JSON decoding), then ``--updates`` patches of one ConfigMap carrying the time they were
  sent, each ``--pace`` (2 ms) after the last one's response, as ``apiserver.py``'s fan-out; delivery
  latency = receipt - send, p50 and p99 (``--watchers 0``: not measured).

Goals: RSS under 150 MiB after the full list of 100,000; restart under 2 s; paged list under 2 s;
unpaged 10,000 under 50 ms; fan-out p99 under 50 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import multiprocessing
import re
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson
import uvloop

from apiserver import ensure_namespace, free_port, request, rss_mib, start_server

TEN = "scale-ten"
BULK = "scale-bulk"
WATCHED = "scale-watch"
_STAMP = re.compile(rb'"t":"([0-9.]+)"')


# --- filling -----------------------------------------------------------------------------------


async def _post_all(port: int, bodies: list[tuple[str, bytes]], connections: int = 32) -> None:
    """POST every (path, body) over ``connections`` keep-alive connections."""
    queue = list(reversed(bodies))

    async def worker() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while queue:
                path, body = queue.pop()
                writer.write(f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                             f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
                head = await reader.readuntil(b"\r\n\r\n")
                m = re.search(rb"(?i)content-length: (\d+)", head)
                assert m is not None
                payload = await reader.readexactly(int(m.group(1)))
                if not head.startswith(b"HTTP/1.1 201"):
                    raise SystemExit(f"create failed: {head[:40]!r} {payload[:300]!r}")
        finally:
            writer.close()

    await asyncio.gather(*(worker() for _ in range(connections)))


def fill(port: int, objects: int) -> float:
    """Create the ConfigMaps; creates/s."""
    for ns in (TEN, BULK):
        ensure_namespace(port, ns)
    ten = min(10_000, objects)
    bodies = []
    for i in range(objects):
        ns = TEN if i < ten else BULK
        cm = {"apiVersion": "v1", "kind": "ConfigMap",
              "metadata": {"name": f"cm-{i:06d}", "labels": {"app": "scale"}},
              "data": {"k": "v" * 180}}
        bodies.append((f"/api/v1/namespaces/{ns}/configmaps", json.dumps(cm).encode()))
    started = time.perf_counter()
    asyncio.run(_post_all(port, bodies))
    return objects / (time.perf_counter() - started)


# --- lists --------------------------------------------------------------------------------------


def _get(conn: http.client.HTTPConnection, path: str) -> bytes:
    conn.request("GET", path, headers={"Accept": "application/json"})
    response = conn.getresponse()
    body = response.read()
    if response.status != 200:
        raise SystemExit(f"GET {path}: {response.status} {body[:300]!r}")
    return body


def paged_list(port: int, limit: int = 500) -> tuple[float, int]:
    """Seconds to list every ConfigMap ``limit`` at a time, and how many came (one keep-alive
    connection; each page decoded with orjson, as a client must to find ``continue``)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    started = time.perf_counter()
    token, count = "", 0
    while True:
        page = orjson.loads(_get(conn, f"/api/v1/configmaps?limit={limit}" + (f"&continue={token}" if token else "")))
        count += len(page["items"])
        token = page["metadata"].get("continue") or ""
        if not token:
            conn.close()
            return time.perf_counter() - started, count


def unpaged_list(port: int, runs: int = 5) -> float:
    """Median milliseconds of a list of the 10,000, to the last byte received (not decoded)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        _get(conn, f"/api/v1/namespaces/{TEN}/configmaps")
        times.append((time.perf_counter() - started) * 1000)
    conn.close()
    return statistics.median(times)


# --- watch fan-out ------------------------------------------------------------------------------


class _Watcher(asyncio.Protocol):
    """One watch, read as raw bytes: each timestamp found is a delivery at the time of the read
    (uvloop and a protocol, not streams and a task: the load generator must not be the bottleneck)."""

    def __init__(self, request: bytes, expected: int, latencies: list[float], opened: list[int],
                 all_open: asyncio.Event, done: asyncio.Future[None]) -> None:
        self.request, self.expected, self.latencies = request, expected, latencies
        self.opened, self.all_open, self.done = opened, all_open, done
        self.seen, self.tail, self.head_seen = 0, b"", False
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        transport.write(self.request)  # type: ignore[attr-defined]

    def data_received(self, data: bytes) -> None:
        now = time.time()
        data = self.tail + data
        if not self.head_seen:
            end = data.find(b"\r\n\r\n")
            if end < 0:
                self.tail = data
                return
            self.head_seen = True
            data = data[end + 4:]
            self.opened[0] -= 1
            if self.opened[0] == 0:
                self.all_open.set()
        last = 0
        latencies = self.latencies
        for m in _STAMP.finditer(data):
            latencies.append(now - float(m.group(1)))
            last = m.end()
            self.seen += 1
        self.tail = data[max(last, len(data) - 64):]
        if self.seen >= self.expected and self.transport is not None:
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.done.done():
            self.done.set_result(None)


def _watch_process(port: int, path: str, count: int, expected: int, ready: Any, out: Any) -> None:
    async def run() -> list[float]:
        loop = asyncio.get_running_loop()
        latencies: list[float] = []
        opened, all_open = [count], asyncio.Event()
        request = f"GET {path} HTTP/1.1\r\nHost: x\r\nAccept: application/json\r\n\r\n".encode()
        done = [loop.create_future() for _ in range(count)]
        for fut in done:
            await loop.create_connection(
                lambda fut=fut: _Watcher(request, expected, latencies, opened, all_open, fut), "127.0.0.1", port)
        await asyncio.wait_for(all_open.wait(), 120)
        ready.set()
        await asyncio.wait_for(asyncio.gather(*done), 300)
        return latencies

    uvloop.install()
    out.put(asyncio.run(run()))


async def _patches(port: int, updates: int, pace: float) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    for _ in range(updates):
        if pace:
            await asyncio.sleep(pace)
        body = json.dumps({"data": {"t": repr(time.time())}}).encode()
        writer.write(f"PATCH /api/v1/namespaces/{WATCHED}/configmaps/w HTTP/1.1\r\nHost: x\r\n"
                     f"Content-Type: application/merge-patch+json\r\nContent-Length: {len(body)}\r\n\r\n".encode()
                     + body)
        head = await reader.readuntil(b"\r\n\r\n")
        m = re.search(rb"(?i)content-length: (\d+)", head)
        assert m is not None
        await reader.readexactly(int(m.group(1)))
    writer.close()


def fan_out(port: int, watchers: int, updates: int, processes: int, pace: float) -> tuple[float, float, int]:
    """Delivery latency p50 and p99 (ms) of ``updates`` patches to ``watchers`` watches, and how many."""
    ensure_namespace(port, WATCHED)
    cm = request(port, "POST", f"/api/v1/namespaces/{WATCHED}/configmaps",
                 {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "w"}, "data": {"t": "0"}})
    rv = cm["metadata"]["resourceVersion"]  # type: ignore[index]
    path = f"/api/v1/namespaces/{WATCHED}/configmaps?watch=1&resourceVersion={rv}"
    ctx = multiprocessing.get_context("fork")
    out = ctx.Queue()
    readies, procs = [], []
    for i in range(processes):
        count = watchers // processes + (1 if i < watchers % processes else 0)
        ready = ctx.Event()
        proc = ctx.Process(target=_watch_process, args=(port, path, count, updates, ready, out))
        proc.start()
        readies.append(ready)
        procs.append(proc)
    for ready in readies:
        if not ready.wait(120):
            raise SystemExit("the watchers did not all connect")
    asyncio.run(_patches(port, updates, pace))
    latencies: list[float] = []
    for _ in procs:
        latencies.extend(out.get(timeout=300))
    for proc in procs:
        proc.join(30)
    latencies.sort()
    p50 = statistics.median(latencies) * 1000
    p99 = latencies[max(int(len(latencies) * 0.99) - 1, 0)] * 1000
    return p50, p99, len(latencies)


# --- main ---------------------------------------------------------------------------------------


def _stop(proc: Any) -> None:
    proc.send_signal(signal.SIGTERM)
    proc.wait(60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--objects", type=int, default=100_000)
    parser.add_argument("--watchers", type=int, default=1000, help="watches for the fan-out (0: no fan-out)")
    parser.add_argument("--updates", type=int, default=1000)
    parser.add_argument("--processes", type=int, default=4, help="processes holding the watches")
    parser.add_argument("--pace", type=float, default=0.002,
                        help="seconds between a patch's response and the next patch (0: none)")
    parser.add_argument("--storage", default=None, help="storage URL (default: SQLite in the temp dir)")
    parser.add_argument("--json", help="write the figures to this file")
    args = parser.parse_args()
    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="setpoint-scale-") as tmp:
        data = Path(tmp)
        port = free_port()
        proc = start_server(data, port, args.storage, None, "--nodes", "0")
        try:
            out["idle RSS MiB"] = rss_mib(proc.pid)
            out["creates/s (32 connections)"] = fill(port, args.objects)
            seconds, count = paged_list(port)
            out["paged list s (limit 500)"] = seconds
            out["objects listed"] = count
            out["unpaged list of 10,000 ms"] = unpaged_list(port)
            out["RSS after the full list MiB"] = rss_mib(proc.pid)
            out["KiB an object over idle"] = (out["RSS after the full list MiB"] - out["idle RSS MiB"]) * 1024 / count
            if args.storage is None or not args.storage.startswith("memory"):
                _stop(proc)
                started = time.perf_counter()
                proc = start_server(data, port, args.storage, None, "--nodes", "0")
                out["restart to /readyz s"] = time.perf_counter() - started
                out["paged list after restart s"] = paged_list(port)[0]
                out["RSS after restart and a full list MiB"] = rss_mib(proc.pid)
            if args.watchers > 0:
                p50, p99, n = fan_out(port, args.watchers, args.updates, args.processes, args.pace)
                out["fan-out p50 ms"], out["fan-out p99 ms"], out["events delivered"] = p50, p99, n
        finally:
            _stop(proc)
    print(f"scale ({args.objects:,} ConfigMaps, {args.watchers:,} watchers x {args.updates:,} updates):")
    for key, value in out.items():
        print(f"  {key}: {value:,.2f}" if isinstance(value, float) else f"  {key}: {value:,}")
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    sys.exit(main())
