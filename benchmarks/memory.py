"""What each ConfigMap held by a control plane costs, and where: ``tracemalloc`` in-process.

    PYTHONPATH=src .venv/bin/python benchmarks/memory.py [--objects 5000] [--storage URL]
        [--controllers '*'] [--top 12]

A :class:`~setpoint.controlplane.ControlPlane` (``--nodes 0``, its controllers as ``--controllers``
says; ``''``: none) on ``--storage`` (SQLite in a temp dir unless given) gets ``--objects`` ConfigMaps
of ~300 bytes (as ``scale.py`` makes them) through the in-process client, 32 at a time; 3 s later
the bytes still allocated since the first create are printed per object, in total and for the
``--top`` allocation sites (their last frames). Memory outside Python's allocator (SQLite's page
caches) is not seen: ``scale.py`` measures RSS.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import sys
import tempfile
import tracemalloc
from pathlib import Path

from setpoint.controllers.inprocess import InProcessClient
from setpoint.controlplane import ControlPlane


async def measure(objects: int, storage: str, controllers: tuple[str, ...], top: int) -> None:
    cp = ControlPlane(storage, port=0, compact_interval=0, nodes=0, controllers=controllers, tls_options=None)
    await cp.start()
    try:
        client = InProcessClient(cp.server.registry, cp.server.objects)
        await client.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "memory"}})
        bodies = [{"apiVersion": "v1", "kind": "ConfigMap",
                   "metadata": {"name": f"cm-{i:06d}", "namespace": "memory", "labels": {"app": "scale"}},
                   "data": {"k": "v" * 180}} for i in range(objects)]
        gc.collect()
        tracemalloc.start(8)
        before = tracemalloc.take_snapshot()
        queue = list(reversed(bodies))

        async def worker() -> None:
            while queue:
                await client.create(queue.pop())

        await asyncio.gather(*(worker() for _ in range(32)))
        del bodies
        await asyncio.sleep(3)
        gc.collect()
        stats = tracemalloc.take_snapshot().compare_to(before, "traceback")
        tracemalloc.stop()
        print(f"{objects:,} ConfigMaps on {storage.split(':')[0]}, controllers {','.join(controllers) or 'none'}: "
              f"{sum(s.size_diff for s in stats) / objects:,.0f} B an object")
        for st in stats[:top]:
            print(f"{st.size_diff / objects:7.0f} B  {st.count_diff / objects:4.1f} blocks")
            for line in st.traceback.format()[-6:]:
                if line.strip().startswith("File"):
                    print("        ", line.strip().replace(str(Path(__file__).parents[1]) + "/", ""))
    finally:
        await cp.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--objects", type=int, default=5000)
    parser.add_argument("--storage", default=None, help="storage URL (default: SQLite in a temp dir)")
    parser.add_argument("--controllers", default="*", help="controllers to run, comma-separated ('': none)")
    parser.add_argument("--top", type=int, default=12, help="allocation sites to show")
    args = parser.parse_args()
    controllers = tuple(c for c in args.controllers.split(",") if c)
    with tempfile.TemporaryDirectory(prefix="setpoint-memory-") as tmp:
        storage = args.storage or f"sqlite://{tmp}/memory.db"
        asyncio.run(measure(args.objects, storage, controllers, args.top))


if __name__ == "__main__":
    sys.exit(main())
