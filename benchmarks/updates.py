"""Updates through the object store: one at a time (latency) and from 64 tasks at once (rate).

    .venv/bin/python benchmarks/updates.py [--storage etcd|sqlite|memory] [--baseline OTHER/src] [--rounds 2]

Each run is a fresh process: an ``ObjectStore`` (no HTTP, no admission plugins) over the storage,
64 ConfigMaps created, then 300 unconditional updates of one of them one after the other (p50 of
their latency), then 5 s of 64 tasks each updating its own ConfigMap as fast as it can. With
``--baseline``, the checkout whose ``src`` is given runs beside this one, alternating. etcd is a
throwaway 1-member cluster on tmpfs (Debian's ``etcd-server``), one for each round.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TASKS = 64
SEQUENTIAL = 300
SECONDS = 5.0


def _configmap(name: str, value: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": {"k": value}}


async def _measure(url: str, namespace: str) -> dict[str, float]:
    from apiserver import _rate  # this directory's: the same load loop as its etcd ceilings
    from setpoint.apiserver import builtin
    from setpoint.apiserver.registry.objectstore import ObjectStore
    from setpoint.apiserver.registry.resources import Registry
    from setpoint.storage import open_storage

    registry = Registry()
    builtin.register_builtins(registry)
    cm = registry.get("", "v1", "configmaps")
    assert cm is not None
    store = await open_storage(url)
    objects = ObjectStore(store)
    await objects.start()
    try:
        for i in range(TASKS):
            await objects.create(cm, namespace, _configmap(f"c{i}", "0"))
        await objects.get(cm, namespace, f"c{TASKS - 1}")  # the cache has caught up
        latencies = []
        for j in range(SEQUENTIAL):
            started = time.perf_counter()
            await objects.update(cm, namespace, "c0", _configmap("c0", str(j)))
            latencies.append(time.perf_counter() - started)

        async def update(key: bytes) -> None:  # "task/call": the task's own ConfigMap, a new value
            task, _, call = key.decode().partition("/")
            await objects.update(cm, namespace, f"c{task}", _configmap(f"c{task}", call))

        return {"update p50 ms (one at a time)": 1000 * statistics.median(latencies),
                f"updates/s ({TASKS} tasks)": await _rate(update, TASKS, SECONDS)}
    finally:
        await objects.close()
        await store.close()


def _run(src: Path, url: str, namespace: str) -> dict[str, float]:
    out = subprocess.run([sys.executable, __file__, "--worker", url, namespace], check=True, capture_output=True,
                         text=True, env={"PYTHONPATH": str(src), "PATH": "/usr/bin:/bin"}).stdout
    return json.loads(out.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--storage", choices=("etcd", "sqlite", "memory"), default="etcd")
    parser.add_argument("--baseline", type=Path, help="another checkout's src, run beside this one")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(asyncio.run(_measure(*args.worker))))
        return
    checkouts = [("this checkout", ROOT / "src")]
    if args.baseline is not None:
        checkouts.insert(0, (f"baseline ({args.baseline})", args.baseline.resolve()))
    figures: dict[str, list[dict[str, float]]] = {label: [] for label, _ in checkouts}
    sys.path.insert(0, str(ROOT / "tests"))
    from etcd_cluster import EtcdCluster, etcd_binary, scratch_dir

    for round_ in range(args.rounds):
        with tempfile.TemporaryDirectory(prefix="setpoint-updates-") as tmp:
            cluster = None
            if args.storage == "etcd":
                binary, reason = etcd_binary()
                if binary is None:
                    raise SystemExit(reason)
                cluster = EtcdCluster(scratch_dir(Path(tmp)) / "etcd", members=1, binary=binary)
                cluster.start()
            try:
                order = checkouts if round_ % 2 == 0 else checkouts[::-1]
                for n, (label, src) in enumerate(order):
                    url = ("etcd://" + ",".join(cluster.endpoints) if cluster is not None
                           else f"sqlite:///{tmp}/state-{n}.db" if args.storage == "sqlite" else "memory://")
                    result = _run(src, url, f"run-{round_}-{n}")
                    figures[label].append(result)
                    print(f"  round {round_ + 1} {label}: " + ", ".join(f"{k} {v:.2f}" for k, v in result.items()))
            finally:
                if cluster is not None:
                    cluster.stop()
    print(f"{args.storage}, medians of {args.rounds} rounds:")
    for label, results in figures.items():
        print(f"  {label}: " + ", ".join(f"{k} {statistics.median(r[k] for r in results):.2f}" for k in results[0]))


if __name__ == "__main__":
    main()
