"""Async etcd v3 clients for Python, measured against one local etcd in one run.

    .venv/bin/python benchmarks/etcd_clients.py [--site NAME=DIR ...] [--ops 3000] [--tasks 16]

Starts one etcd member (data on tmpfs when there is one) and, for each client, a worker process
(clients pin different grpcio/protobuf versions, so each may live in its own ``pip install
--target DIR``: pass ``--site NAME=DIR``). Each worker measures, with ``--tasks`` concurrent tasks:

* put/s: ``--ops`` puts of 1 KiB values to distinct keys, with the CPU each put cost the client
  (its process) and etcd (its process; the two share this machine's cores);
* create/s: ``--ops`` creates, each a transaction that puts a key only if it does not exist (what
  a storage backend's create sends: the compare of ``create_revision`` with 0, the put, and a range of
  the key in the failure branch), with its CPU in the client and in etcd; for the clients where it
  is written (the gateway-lean client, aetcd's stubs, setpoint's store, whose put is such a create);
* get/s: ``--ops`` single-key ranges of those keys;
* list ms: one range over 1,000 keys (1 KiB values), best of 5.

Clients: ``gateway`` (etcd's JSON gRPC gateway, /v3/..., over aiohttp), ``gateway-lean`` (the same
gateway over a minimal HTTP/1.1 client: one keep-alive connection a task, ``httptools`` parsing the
answers, ``orjson``), ``aetcd`` (its client API), ``aetcd-stubs`` (grpc.aio with the generated stubs aetcd ships, as the storage backend uses
them), ``etcetra``, ``etcd-client-py`` (Rust bindings), and ``setpoint-store``: setpoint's
``EtcdStorage`` itself (creates, gets, ranges through the storage protocol). A client that is not
installed is reported as skipped.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

CLIENTS = ["gateway", "gateway-lean", "aetcd-stubs", "aetcd", "etcetra", "etcd-client-py", "setpoint-store"]
VALUE = b"x" * 1024


# --- the workers -------------------------------------------------------------------------


async def _timed(ops: int, tasks: int, op: Callable[[int], Awaitable[Any]]) -> float:
    """Ops per second of ``op(i)`` for ``i`` in range(ops), ``tasks`` at a time."""
    counter = iter(range(ops))

    async def run() -> None:
        for i in counter:
            await op(i)

    start = time.perf_counter()
    await asyncio.gather(*(run() for _ in range(tasks)))
    return ops / (time.perf_counter() - start)


async def _list_ms(fn: Callable[[], Awaitable[int]]) -> float:
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        n = await fn()
        best = min(best, time.perf_counter() - start)
        assert n == 1000, n
    return best * 1000


#: etcd's pid, for the CPU it spends on a client's puts (set by the driver).
ETCD_PID = 0


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` so far (``/proc/PID/stat``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _costed(ops: int, tasks: int, op: Callable[[int], Awaitable[Any]]) -> tuple[float, float, float]:
    """Ops per second of ``op``, and the CPU microseconds an op cost this process and etcd."""
    own, etcd = time.process_time(), _cpu_seconds(ETCD_PID)
    rate = await _timed(ops, tasks, op)
    return rate, 1e6 * (time.process_time() - own) / ops, 1e6 * (_cpu_seconds(ETCD_PID) - etcd) / ops


async def _measure(
    put: Callable[[bytes, bytes], Awaitable[Any]],
    get: Callable[[bytes], Awaitable[Any]],
    list_prefix: Callable[[bytes], Awaitable[int]],
    name: str,
    ops: int,
    tasks: int,
    create: Callable[[bytes, bytes], Awaitable[Any]] | None = None,
) -> dict[str, float]:
    prefix = f"/bench/{name}/".encode()
    for i in range(1000):
        await put(prefix + b"list/%04d" % i, VALUE)
    out: dict[str, float] = {}
    out["put/s"], out["client us/put"], out["etcd us/put"] = await _costed(
        ops, tasks, lambda i: put(prefix + b"k/%06d" % i, VALUE))
    if create is not None:
        out["create/s"], out["client us/create"], out["etcd us/create"] = await _costed(
            ops, tasks, lambda i: create(prefix + b"c/%06d" % i, VALUE))
    out["get/s"] = await _timed(ops, tasks, lambda i: get(prefix + b"k/%06d" % i))
    out["list ms"] = await _list_ms(lambda: list_prefix(prefix + b"list/"))
    return out


def _prefix_end(prefix: bytes) -> bytes:
    return prefix[:-1] + bytes([prefix[-1] + 1])


async def _gateway(endpoint: str, ops: int, tasks: int) -> dict[str, float]:
    import aiohttp

    b64 = lambda b: base64.b64encode(b).decode()  # noqa: E731
    async with aiohttp.ClientSession(f"http://{endpoint}") as session:

        async def call(path: str, body: dict[str, Any]) -> dict[str, Any]:
            async with session.post(path, json=body) as r:
                r.raise_for_status()
                out: dict[str, Any] = await r.json()
                return out

        async def put(key: bytes, value: bytes) -> None:
            await call("/v3/kv/put", {"key": b64(key), "value": b64(value)})

        async def get(key: bytes) -> None:
            out = await call("/v3/kv/range", {"key": b64(key)})
            base64.b64decode(out["kvs"][0]["value"])

        async def list_prefix(prefix: bytes) -> int:
            out = await call("/v3/kv/range", {"key": b64(prefix), "range_end": b64(_prefix_end(prefix))})
            return len([base64.b64decode(kv["value"]) for kv in out["kvs"]])

        return await _measure(put, get, list_prefix, "gateway", ops, tasks)


class _GatewayConnection(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection to etcd's gateway, one request at a time."""

    def __init__(self) -> None:
        import httptools

        self._parser = httptools.HttpResponseParser(self)
        self._body: list[bytes] = []
        self._answer: asyncio.Future[tuple[int, bytes]] | None = None
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport

    def data_received(self, data: bytes) -> None:
        self._parser.feed_data(data)

    def on_body(self, body: bytes) -> None:
        self._body.append(body)

    def on_message_complete(self) -> None:
        body, self._body = b"".join(self._body), []
        answer, self._answer = self._answer, None
        if answer is not None and not answer.done():
            answer.set_result((self._parser.get_status_code(), body))

    def connection_lost(self, exc: Exception | None) -> None:
        if self._answer is not None and not self._answer.done():
            self._answer.set_exception(exc or ConnectionError("etcd closed the connection"))

    async def post(self, path: bytes, body: bytes) -> Any:
        import orjson

        assert self._transport is not None and self._answer is None
        self._answer = asyncio.get_running_loop().create_future()
        self._transport.write(b"POST %s HTTP/1.1\r\nHost: etcd\r\nContent-Type: application/json\r\n"
                              b"Content-Length: %d\r\n\r\n%s" % (path, len(body), body))
        status, answer = await self._answer
        if status != 200:
            raise RuntimeError(f"etcd's gateway answered {status}: {answer[:200]!r}")
        return orjson.loads(answer)


async def _gateway_lean(endpoint: str, ops: int, tasks: int) -> dict[str, float]:
    import orjson

    loop = asyncio.get_running_loop()
    host, port = endpoint.rsplit(":", 1)
    idle: list[_GatewayConnection] = [(await loop.create_connection(_GatewayConnection, host, int(port)))[1]
                                      for _ in range(tasks)]
    b64 = lambda b: base64.b64encode(b).decode()  # noqa: E731

    async def call(path: bytes, body: dict[str, Any]) -> Any:
        conn = idle.pop()
        try:
            return await conn.post(path, orjson.dumps(body))
        finally:
            idle.append(conn)

    async def put(key: bytes, value: bytes) -> None:
        await call(b"/v3/kv/put", {"key": b64(key), "value": b64(value)})

    async def get(key: bytes) -> None:
        out = await call(b"/v3/kv/range", {"key": b64(key)})
        base64.b64decode(out["kvs"][0]["value"])

    async def list_prefix(prefix: bytes) -> int:
        out = await call(b"/v3/kv/range", {"key": b64(prefix), "range_end": b64(_prefix_end(prefix))})
        return len([base64.b64decode(kv["value"]) for kv in out["kvs"]])

    async def create(key: bytes, value: bytes) -> None:
        k = b64(key)
        out = await call(b"/v3/kv/txn", {
            "compare": [{"key": k, "target": "CREATE", "result": "EQUAL", "create_revision": "0"}],
            "success": [{"request_put": {"key": k, "value": b64(value)}}],
            "failure": [{"request_range": {"key": k}}]})
        assert out.get("succeeded") and int(out["header"]["revision"])

    return await _measure(put, get, list_prefix, "gateway-lean", ops, tasks, create)


async def _aetcd_stubs(endpoint: str, ops: int, tasks: int) -> dict[str, float]:
    import grpc.aio
    from aetcd import rpc

    async with grpc.aio.insecure_channel(endpoint) as channel:
        kv = rpc.KVStub(channel)

        async def put(key: bytes, value: bytes) -> None:
            await kv.Put(rpc.PutRequest(key=key, value=value))

        async def get(key: bytes) -> None:
            assert (await kv.Range(rpc.RangeRequest(key=key))).kvs

        async def list_prefix(prefix: bytes) -> int:
            return len((await kv.Range(rpc.RangeRequest(key=prefix, range_end=_prefix_end(prefix)))).kvs)

        async def create(key: bytes, value: bytes) -> None:
            out = await kv.Txn(rpc.TxnRequest(
                compare=[rpc.Compare(key=key, target=rpc.Compare.CompareTarget.CREATE,
                                     result=rpc.Compare.CompareResult.EQUAL, create_revision=0)],
                success=[rpc.RequestOp(request_put=rpc.PutRequest(key=key, value=value))],
                failure=[rpc.RequestOp(request_range=rpc.RangeRequest(key=key))]))
            assert out.succeeded and out.header.revision

        return await _measure(put, get, list_prefix, "aetcd-stubs", ops, tasks, create)


async def _aetcd(endpoint: str, ops: int, tasks: int) -> dict[str, float]:
    import aetcd

    host, port = endpoint.rsplit(":", 1)
    async with aetcd.Client(host, int(port)) as client:

        async def get(key: bytes) -> None:
            assert (await client.get(key)) is not None

        async def list_once(prefix: bytes) -> int:
            return len(list(await client.get_prefix(prefix)))

        return await _measure(client.put, get, list_once, "aetcd", ops, tasks)


async def _etcetra(endpoint: str, ops: int, tasks: int) -> dict[str, float]:
    from etcetra import EtcdClient, HostPortPair

    client = EtcdClient(HostPortPair.parse(endpoint), encoding="latin-1")
    async with client.connect() as comm:

        async def put(key: bytes, value: bytes) -> None:
            await comm.put(key.decode("latin-1"), value.decode("latin-1"))

        async def get(key: bytes) -> None:
            assert (await comm.get(key.decode("latin-1"))) is not None

        async def list_prefix(prefix: bytes) -> int:
            return len(await comm.get_prefix(prefix.decode("latin-1")))

        return await _measure(put, get, list_prefix, "etcetra", ops, tasks)


async def _etcd_client_py(endpoint: str, ops: int, tasks: int) -> dict[str, float]:
    import etcd_client

    client = etcd_client.Client([endpoint])
    async with client.connect() as comm:

        async def put(key: bytes, value: bytes) -> None:
            await comm.put(key, value)

        async def get(key: bytes) -> None:
            assert (await comm.get(key)) is not None

        async def list_prefix(prefix: bytes) -> int:
            return len(await comm.get_prefix(prefix))

        return await _measure(put, get, list_prefix, "etcd-client-py", ops, tasks)


async def _setpoint_store(endpoint: str, ops: int, tasks: int) -> dict[str, float]:
    """setpoint's own EtcdStorage on aetcd's stubs: a put is a create (a txn comparing
    create_revision), a get a ``get``, a list a ``range``."""
    from setpoint.storage.etcd import EtcdStorage

    store = await EtcdStorage.open([endpoint], compact_interval=0)
    try:

        async def put(key: bytes, value: bytes) -> None:
            await store.create(key.decode(), value)

        async def get(key: bytes) -> None:
            assert await store.get(key.decode()) is not None

        async def list_prefix(prefix: bytes) -> int:
            return len((await store.range(prefix.decode())).kvs)

        return await _measure(put, get, list_prefix, "setpoint-store", ops, tasks)
    finally:
        await store.close()


WORKERS = {
    "gateway": _gateway,
    "gateway-lean": _gateway_lean,
    "aetcd-stubs": _aetcd_stubs,
    "aetcd": _aetcd,
    "etcetra": _etcetra,
    "etcd-client-py": _etcd_client_py,
    "setpoint-store": _setpoint_store,
}


# --- the driver ----------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start_etcd(directory: Path) -> tuple[subprocess.Popen[bytes], str]:
    binary = shutil.which("etcd") or "/usr/bin/etcd"
    client, peer = _free_port(), _free_port()
    url = f"http://127.0.0.1:{client}"
    proc = subprocess.Popen(
        [binary, "--name", "bench", "--data-dir", str(directory / "data"),
         "--listen-client-urls", url, "--advertise-client-urls", url,
         "--listen-peer-urls", f"http://127.0.0.1:{peer}",
         "--initial-advertise-peer-urls", f"http://127.0.0.1:{peer}",
         "--initial-cluster", f"bench=http://127.0.0.1:{peer}", "--log-level", "error"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 20
    while True:
        try:
            with urllib.request.urlopen(url + "/health", timeout=1) as r:
                if json.loads(r.read()).get("health") == "true":
                    return proc, f"127.0.0.1:{client}"
        except OSError:
            pass
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.kill()
            raise RuntimeError("etcd did not start")
        time.sleep(0.05)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--site", action="append", default=[], help="NAME=DIR: where a client is installed")
    parser.add_argument("--ops", type=int, default=3000)
    parser.add_argument("--tasks", type=int, default=16)
    parser.add_argument("--clients", default=",".join(CLIENTS))
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--endpoint", help=argparse.SUPPRESS)
    parser.add_argument("--etcd-pid", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        global ETCD_PID
        ETCD_PID = args.etcd_pid
        try:
            result: dict[str, Any] = asyncio.run(WORKERS[args.worker](args.endpoint, args.ops, args.tasks))
        except ImportError as exc:
            result = {"skipped": f"not installed ({exc})"}
        print(json.dumps(result))
        return
    sites = dict(item.split("=", 1) for item in args.site)
    shm = Path("/dev/shm") if Path("/dev/shm").is_dir() else None
    directory = Path(tempfile.mkdtemp(prefix="setpoint-etcd-bench-", dir=shm))
    proc, endpoint = _start_etcd(directory)
    rows: list[tuple[str, dict[str, Any]]] = []
    try:
        for name in args.clients.split(","):
            env = dict(os.environ)
            site = sites.get(name) or sites.get(name.split("-")[0])
            if site:
                env["PYTHONPATH"] = os.pathsep.join(p for p in (site, env.get("PYTHONPATH")) if p)
            out = subprocess.run(
                [sys.executable, __file__, "--worker", name, "--endpoint", endpoint, "--etcd-pid", str(proc.pid),
                 "--ops", str(args.ops), "--tasks", str(args.tasks)],
                env=env, capture_output=True, text=True, timeout=120,
            )
            try:
                rows.append((name, json.loads(out.stdout.strip().splitlines()[-1])))
            except (IndexError, ValueError):
                rows.append((name, {"skipped": "failed: " + out.stderr.strip().splitlines()[-1:][0]
                                    if out.stderr.strip() else "failed"}))
    finally:
        proc.terminate()
        proc.wait()
        shutil.rmtree(directory, ignore_errors=True)
    print(f"one etcd member, {args.tasks} tasks, {args.ops} ops, 1 KiB values")
    columns = ["put/s", "client us/put", "etcd us/put", "create/s", "client us/create", "etcd us/create",
               "get/s", "list ms"]
    print("| client | " + " | ".join(columns) + " |")
    print("|---|" + "---:|" * len(columns))
    for name, row in rows:
        if "skipped" in row:
            print(f"| {name} | {row['skipped']}")
        else:
            cells = [("-" if c not in row else f"{row[c]:,.1f}" if c == "list ms" else f"{row[c]:,.0f}")
                     for c in columns]
            print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
