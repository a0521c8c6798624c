"""The compiled hot modules against the same modules as Python: CPU a request through the API layer.

Each run is a fresh process that sends creates (ConfigMaps, or Events) through ``APIServer.handle``
on memory storage, 64 at a time, no HTTP, and prints the process's CPU time a request. Runs of the
compared trees alternate, round after round (these machines are noisy); the medians and their ratio
are printed.

    .venv/bin/python benchmarks/native.py --rounds 6                   # compiled vs SETPOINT_PURE_PYTHON
    .venv/bin/python benchmarks/native.py --baseline /tmp/old/src      # and an older checkout's src, as it is
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import orjson

CONCURRENCY = 64


def _body(kind: str, i: int) -> bytes:
    if kind == "event":
        return orjson.dumps({
            "apiVersion": "v1", "kind": "Event", "metadata": {"name": f"ev-{i}", "namespace": "default"},
            "involvedObject": {"kind": "Pod", "name": "p", "namespace": "default"}, "reason": "Started",
            "message": "Started container", "type": "Normal", "firstTimestamp": "2026-01-01T00:00:00Z",
            "lastTimestamp": "2026-01-01T00:00:00Z", "count": 1, "source": {"component": "kubelet"}})
    return orjson.dumps({"apiVersion": "v1", "kind": "ConfigMap",
                         "metadata": {"name": f"cm-{i}", "namespace": "default"}, "data": {"key": "x" * 200}})


async def _measure(kind: str, n: int) -> float:
    """CPU microseconds a create, after a warm-up of the same size."""
    from setpoint import storage
    from setpoint.apiserver.http import Request
    from setpoint.apiserver.server import APIServer
    from setpoint.cli import tune_interpreter

    tune_interpreter()
    store = await storage.open_storage("memory://", compact_interval=0)
    api = APIServer(store)
    await api.start("127.0.0.1", 0)
    path = f"/api/v1/namespaces/default/{'events' if kind == 'event' else 'configmaps'}"
    headers = {"content-type": "application/json", "accept": "application/json"}
    counter = iter(range(10**9))

    async def worker(count: int) -> None:
        for _ in range(count):
            r = await api.handle(Request("POST", path, headers=headers, body=_body(kind, next(counter))))
            assert r.status == 201, r.status
            await asyncio.sleep(0)

    per = n // CONCURRENCY
    await asyncio.gather(*(worker(per) for _ in range(CONCURRENCY)))
    start = time.process_time()
    await asyncio.gather(*(worker(per) for _ in range(CONCURRENCY)))
    spent = time.process_time() - start
    await api.stop()
    await store.close()
    return 1e6 * spent / (per * CONCURRENCY)


def _run(src: str | None, pure: bool, kind: str, n: int) -> float:
    env = dict(os.environ)
    env.pop("SETPOINT_PURE_PYTHON", None)
    if pure:
        env["SETPOINT_PURE_PYTHON"] = "1"
    if src is not None:
        env["PYTHONPATH"] = src
    out = subprocess.run([sys.executable, __file__, "--child", kind, str(n)], env=env, check=True,
                         capture_output=True, text=True)
    return float(out.stdout.split()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kind", choices=("configmap", "event"), action="append")
    ap.add_argument("--requests", type=int, default=30000)
    ap.add_argument("--rounds", type=int, default=6)
    ap.add_argument("--baseline", help="the src directory of another checkout, run as it is")
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(asyncio.run(_measure(args.child[0], int(args.child[1]))))
        return
    import setpoint
    from setpoint import native

    if not setpoint.COMPILED:
        sys.exit(f"setpoint is not compiled here ({native.state()}): run `python -m setpoint.nativebuild`")
    src = str(Path(setpoint.__file__).resolve().parent.parent)
    trees: list[tuple[str, str | None, bool]] = [("compiled", src, False), ("python", src, True)]
    if args.baseline:
        trees.append(("baseline", args.baseline, False))
    print(f"command: {' '.join(sys.argv)}")
    for kind in args.kind or ["configmap", "event"]:
        results: dict[str, list[float]] = {name: [] for name, _, _ in trees}
        for _ in range(args.rounds):
            for name, tree, pure in trees:
                results[name].append(_run(tree, pure, kind, args.requests))
        medians = {name: statistics.median(v) for name, v in results.items()}
        for name, v in results.items():
            ratio = medians[name] / medians["python"]
            print(f"{kind:9} {name:8} median {medians[name]:6.1f} us CPU a create  ({ratio:.2f} of python)  "
                  f"runs {', '.join(f'{x:.1f}' for x in v)}")


if __name__ == "__main__":
    main()
