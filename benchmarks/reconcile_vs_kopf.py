"""Controller runtime benchmark: a setpoint controller and a kopf operator, side by side, one server.

Both operators do the same job: for every ``BenchObject`` custom object, make
``status.observed`` equal to ``spec.value``. One run of this script:

1. starts setpoint's embedded API server (in-memory storage) in this process and
   installs the ``BenchObject`` CRD;
2. for each operator in turn, in a namespace of its own: starts it as a separate
   process (loading the server's kubeconfig, as it would a real cluster's), waits
   until it handles a canary object, then
   * creates N objects (``spec.value: 1``) and times until every one has
     ``status.observed == 1`` (*create*),
   * changes every ``spec.value`` to 2 and times until every one is observed (*update*);
3. reads the operator's CPU seconds and peak RSS from ``/proc`` and the requests it
   sent from the server's ``apiserver_request_total`` (minus this harness's own);
4. prints a table and the ratios (``--json`` writes them too).

The kopf operator is idiomatic kopf (``@kopf.on.create`` + ``@kopf.on.update`` on
``spec.value``, patching status), with Kubernetes Event posting turned off so that it
sends no more kinds of requests than the setpoint controller. The setpoint controller
reads the shared cache and writes status with ``update_status`` (nothing when equal).

    .venv/bin/python benchmarks/reconcile_vs_kopf.py [--objects 2000] [--workers N] [--json out.json]

With no ``--workers`` the setpoint controller runs with setpoint's defaults, as a user's would.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import ssl
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

GROUP, VERSION, PLURAL, KIND = "bench.setpoint.dev", "v1", "benchobjects", "BenchObject"
API_VERSION = f"{GROUP}/{VERSION}"
CRD = {
    "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
    "metadata": {"name": f"{PLURAL}.{GROUP}"},
    "spec": {"group": GROUP, "scope": "Namespaced",
             "names": {"kind": KIND, "plural": PLURAL, "singular": KIND.lower(), "listKind": f"{KIND}List"},
             "versions": [{"name": VERSION, "served": True, "storage": True, "subresources": {"status": {}},
                           "schema": {"openAPIV3Schema": {"type": "object",
                                                          "x-kubernetes-preserve-unknown-fields": True}}}]},
}
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


# -- the two operators (each runs in its own process) ------------------------------------------------

async def run_setpoint_operator(kubeconfig: str, namespace: str, workers: int | None) -> None:
    from setpoint.runtime import Builder, HTTPClient, Kind, Manager, Request, predicate
    from setpoint.runtime.status import update_status

    kind = Kind(API_VERSION, KIND)
    client = HTTPClient.from_kubeconfig(kubeconfig)
    mgr = Manager(client)

    async def reconcile(req: Request) -> None:
        obj = mgr.cache.get(kind, req.name, req.namespace)
        if obj is not None:
            await update_status(client, obj, {"observed": obj["spec"]["value"]})

    builder = Builder(mgr).for_(kind, predicate.generation_changed(), namespace=namespace)
    if workers is not None:  # else setpoint's defaults, untuned
        builder.with_options(max_concurrent_reconciles=workers)
    builder.complete(reconcile)
    await mgr.run(handle_signals=True)
    await client.close()


def run_kopf_operator(kubeconfig: str, namespace: str) -> None:
    import kopf

    os.environ["KUBECONFIG"] = kubeconfig

    @kopf.on.login()
    def login(**kwargs: Any) -> Any:
        return kopf.login_with_kubeconfig(**kwargs)

    @kopf.on.startup()
    def configure(settings: kopf.OperatorSettings, **_: Any) -> None:
        settings.posting.enabled = False

    @kopf.on.create(GROUP, VERSION, PLURAL)
    @kopf.on.update(GROUP, VERSION, PLURAL, field="spec.value")
    def observe(spec: Any, patch: kopf.Patch, **_: Any) -> None:
        patch.status["observed"] = spec["value"]

    stop = asyncio.Event()

    async def main() -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await kopf.operator(standalone=True, namespaces=[namespace], stop_flag=stop)

    asyncio.run(main())


# -- the harness ---------------------------------------------------------------------------------------

def proc_usage(pid: int) -> tuple[float, float]:
    """(CPU seconds, peak RSS in MiB) of a live process."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    status = Path(f"/proc/{pid}/status").read_text()
    match = re.search(r"VmHWM:\s+(\d+) kB", status)
    return cpu, (int(match.group(1)) / 1024 if match else 0.0)


async def server_requests(client: Any) -> int:
    text = await client.request_text("/metrics")
    return int(sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
                   if line.startswith("apiserver_request_total{")))


class Convergence:
    """Watches the objects of one namespace and tells when every one observes ``value``."""

    def __init__(self, client: Any, namespace: str) -> None:
        from setpoint.runtime import Kind
        from setpoint.runtime.informer import FuncHandler, Informer

        self.informer = Informer(client, Kind(API_VERSION, KIND), namespace=namespace)
        self.value = 0
        self.expected = 0
        self.done_names: set[str] = set()
        self.event = asyncio.Event()
        self.informer.add_handler(FuncHandler(on_add=self._see, on_update=lambda old, new: self._see(new)))

    def _see(self, obj: Any) -> None:
        name = obj["metadata"]["name"]
        if obj["spec"]["value"] == self.value and (obj.get("status") or {}).get("observed") == self.value:
            self.done_names.add(name)
        else:
            self.done_names.discard(name)
        if self.expected and len(self.done_names) >= self.expected:
            self.event.set()

    def expect(self, value: int, count: int) -> None:
        self.value, self.expected = value, count
        self.done_names = set()
        self.event.clear()
        for obj in self.informer.store:
            self._see(obj)

    async def wait(self, limit: float) -> None:
        await asyncio.wait_for(self.event.wait(), limit)


async def gather_limited(n: int, coros: Any) -> None:
    sem = asyncio.Semaphore(n)

    async def one(c: Any) -> None:
        async with sem:
            await c

    await asyncio.gather(*(one(c) for c in coros))


async def bench_one(name: str, api: Any, args: argparse.Namespace, logs: Path) -> dict[str, Any]:
    from setpoint.runtime import Kind

    client = api.client
    kind = Kind(API_VERSION, KIND)
    objects, limit = args.objects, args.timeout
    namespace = f"bench-{name}"
    await client.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}})
    watch = Convergence(client, namespace)
    watch.informer.start()
    await watch.informer.wait_synced()

    cmd = [sys.executable, __file__, "--operator", name, "--kubeconfig", str(api.kubeconfig),
           "--namespace", namespace, *(["--workers", str(args.workers)] if args.workers else [])]
    log_path = logs / f"{name}.log"
    with log_path.open("wb") as log:
        proc = await asyncio.create_subprocess_exec(*cmd, stdout=log, stderr=log)

    def pause() -> None:
        if not args.live:
            proc.send_signal(signal.SIGSTOP)

    def resume() -> None:
        if not args.live:
            proc.send_signal(signal.SIGCONT)

    try:
        started = time.perf_counter()
        # readiness, the same for both: the operator has handled a canary object
        await client.create({"apiVersion": API_VERSION, "kind": KIND,
                             "metadata": {"name": "canary", "namespace": namespace}, "spec": {"value": 1}})
        watch.expect(1, 1)
        await watch.wait(limit)
        ready_after = time.perf_counter() - started

        requests_before = await server_requests(client)
        sent_before = client.requests_sent
        names = [f"obj-{i:05d}" for i in range(objects)]

        # creates: sent while the operator is paused (SIGSTOP), timed from when it may run again
        watch.expect(1, objects + 1)
        pause()
        t0 = time.perf_counter()
        await gather_limited(args.concurrency, (client.create({
            "apiVersion": API_VERSION, "kind": KIND, "metadata": {"name": n, "namespace": namespace},
            "spec": {"value": 1}}) for n in names))
        creates_sent = time.perf_counter() - t0
        if not args.live:
            t0 = time.perf_counter()
        resume()
        await watch.wait(limit)
        create_s = time.perf_counter() - t0

        # updates of every spec, the same way
        watch.expect(2, objects)
        pause()
        t0 = time.perf_counter()
        await gather_limited(args.concurrency, (client.patch(kind, n, {"spec": {"value": 2}}, namespace)
                                                for n in names))
        updates_sent = time.perf_counter() - t0
        if not args.live:
            t0 = time.perf_counter()
        resume()
        await watch.wait(limit)
        update_s = time.perf_counter() - t0

        cpu, rss = proc_usage(proc.pid)
        harness_sent = client.requests_sent - sent_before + 1  # + the /metrics read below
        requests = await server_requests(client) - requests_before - harness_sent
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGCONT)
            proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(proc.wait(), 30)
            except TimeoutError:
                proc.kill()
                await proc.wait()
        await watch.informer.stop()
    if proc.returncode not in (0, -signal.SIGTERM):
        sys.stderr.write(log_path.read_text()[-3000:])
    return {"operator": name, "mode": "live" if args.live else "paused", "objects": objects,
            "ready_s": ready_after, "create_converge_s": create_s, "creates_sent_s": creates_sent,
            "update_converge_s": update_s, "updates_sent_s": updates_sent, "converge_s": create_s + update_s, "cpu_s": cpu,
            "peak_rss_mib": rss, "requests": requests}


class ServerProcess:
    """``setpoint up --storage memory://`` in a process of its own, shaped like ``testing.ApiServer``."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.kubeconfig = data_dir / "kubeconfig"
        self.proc: asyncio.subprocess.Process | None = None

    async def __aenter__(self) -> ServerProcess:
        import socket
        import urllib.request

        from setpoint.runtime import HTTPClient

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        exe = Path(sys.executable).parent / "setpoint"
        self.proc = await asyncio.create_subprocess_exec(
            str(exe), "up", "--data-dir", str(self.data_dir), "--port", str(port), "--storage", "memory://",
            "--log-level", "warning", stdout=asyncio.subprocess.DEVNULL)
        deadline = time.monotonic() + 30

        def ready() -> bool:
            try:
                # (readiness only, before the kubeconfig is read: unverified)
                with urllib.request.urlopen(f"https://127.0.0.1:{port}/readyz", timeout=1,
                                            context=ssl._create_unverified_context()) as r:
                    return bool(r.status == 200)
            except OSError:
                return False

        while not await asyncio.to_thread(ready):
            if time.monotonic() > deadline or self.proc.returncode is not None:
                raise SystemExit("setpoint up did not become ready")
            await asyncio.sleep(0.05)
        self.client = HTTPClient.from_kubeconfig(self.kubeconfig)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.client.close()
        if self.proc is not None and self.proc.returncode is None:
            self.proc.terminate()
            await self.proc.wait()


async def harness(args: argparse.Namespace) -> list[dict[str, Any]]:
    from setpoint.testing import start_api_server

    results = []
    with tempfile.TemporaryDirectory(prefix="setpoint-bench-") as tmp:
        server = ServerProcess(Path(tmp)) if args.server_process else start_api_server(data_dir=Path(tmp))
        async with server as api:
            await api.client.create(CRD)
            from setpoint.runtime import Kind, errors

            for _ in range(500):
                api.client.forget_discovery()
                try:
                    await api.client.resource(Kind(API_VERSION, KIND))
                    break
                except errors.NotFound:
                    await asyncio.sleep(0.01)
            for name in args.only or ["setpoint", "kopf"]:
                print(f"running {name} ...", file=sys.stderr)
                results.append(await bench_one(name, api, args, Path(tmp)))
    return results


def report(results: list[dict[str, Any]]) -> str:
    rows = [("", *[r["operator"] for r in results])]
    live = bool(results) and results[0]["mode"] == "live"
    sent = [("  (creates sent in, s)", "creates_sent_s", "{:.2f}")] if live else []
    sent_u = [("  (updates sent in, s)", "updates_sent_s", "{:.2f}")] if live else []
    fmt = [("objects", "objects", "{:d}"), ("converge after creates (s)", "create_converge_s", "{:.2f}"), *sent,
           ("converge after updates (s)", "update_converge_s", "{:.2f}"), *sent_u,
           ("time to converge, total (s)", "converge_s", "{:.2f}"), ("operator CPU (s)", "cpu_s", "{:.2f}"),
           ("operator peak RSS (MiB)", "peak_rss_mib", "{:.0f}"), ("requests sent", "requests", "{:d}"),
           ("startup until first object handled (s)", "ready_s", "{:.2f}")]
    for label, key, f in fmt:
        rows.append((label, *[f.format(r[key]) for r in results]))
    width = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["| " + " | ".join(cell.ljust(width[i]) for i, cell in enumerate(row)) + " |" for row in rows]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in width) + "|")
    by = {r["operator"]: r for r in results}
    if "setpoint" in by and "kopf" in by:
        s, k = by["setpoint"], by["kopf"]
        lines.append("")
        lines.append(f"setpoint converges {k['converge_s'] / s['converge_s']:.1f}x faster "
                     f"(creates {k['create_converge_s'] / s['create_converge_s']:.1f}x, "
                     f"updates {k['update_converge_s'] / s['update_converge_s']:.1f}x), "
                     f"uses {s['cpu_s'] / k['cpu_s']:.2f}x the CPU, {s['peak_rss_mib'] / k['peak_rss_mib']:.2f}x "
                     f"the memory and {s['requests'] / max(1, k['requests']):.2f}x the requests of kopf")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=32, help="harness requests in flight")
    parser.add_argument("--server-process", action="store_true",
                        help="run the API server as `setpoint up` in its own process instead of in the harness")
    parser.add_argument("--workers", type=int, default=None,
                        help="setpoint max_concurrent_reconciles (default: setpoint's default, untuned)")
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument("--only", action="append", choices=["setpoint", "kopf"])
    parser.add_argument("--json", type=Path)
    parser.add_argument("--live", action="store_true",
                        help="keep the operators running while changes are sent (default: pause them with "
                             "SIGSTOP, send, resume, and time from the resume)")
    parser.add_argument("--operator", choices=["setpoint", "kopf"], help=argparse.SUPPRESS)
    parser.add_argument("--kubeconfig", help=argparse.SUPPRESS)
    parser.add_argument("--namespace", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.operator == "setpoint":
        asyncio.run(run_setpoint_operator(args.kubeconfig, args.namespace, args.workers))
        return
    if args.operator == "kopf":
        run_kopf_operator(args.kubeconfig, args.namespace)
        return
    from setpoint.apiserver.http import install_event_loop_policy

    install_event_loop_policy()
    results = asyncio.run(harness(args))
    if args.workers is None:
        from setpoint.runtime.controller import DEFAULT_MAX_CONCURRENT_RECONCILES

        print(f"setpoint with its defaults ({DEFAULT_MAX_CONCURRENT_RECONCILES} workers a controller, no "
              "client rate limit), kopf with its defaults (Event posting off)")
    else:
        print(f"setpoint with {args.workers} workers, kopf with its defaults (Event posting off)")
    print(report(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
