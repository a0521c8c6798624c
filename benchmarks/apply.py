"""Server-side apply benchmark, in-process (``APIServer.handle`` on memory storage, no HTTP).

Measures requests/s and µs per request of: a server-side apply of an unchanged 50-field
custom resource, of a changed one, and a JSON merge patch making the same change; and the
µs that recording managedFields adds to a create of the same object. Medians of 3 rounds.

    .venv/bin/python benchmarks/apply.py [--requests N]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from typing import Any

import orjson

from setpoint import storage
from setpoint.apiserver.fieldmanager import manager as fieldmanager
from setpoint.apiserver.http import Request, Response
from setpoint.apiserver.server import APIServer

FIELDS = 50
PATH = "/apis/bench.example.com/v1/namespaces/default/things/t"
CRD = {
    "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
    "metadata": {"name": "things.bench.example.com"},
    "spec": {"group": "bench.example.com", "scope": "Namespaced",
             "names": {"plural": "things", "singular": "thing", "kind": "Thing", "listKind": "ThingList"},
             "versions": [{"name": "v1", "served": True, "storage": True, "schema": {"openAPIV3Schema": {
                 "type": "object", "properties": {"spec": {"type": "object", "properties": {
                     f"field{i}": {"type": "string"} for i in range(FIELDS)}}}}}}]},
}


def thing(value: str) -> dict[str, Any]:
    spec = {f"field{i}": f"value-{i}" for i in range(FIELDS)}
    spec["field0"] = value
    return {"apiVersion": "bench.example.com/v1", "kind": "Thing", "metadata": {"name": "t"}, "spec": spec}


async def send(api: APIServer, method: str, path: str, body: bytes, ctype: str, query: str = "") -> int:
    response = await api.handle(Request(method, path, query_string=query.encode(),
                                        headers={"content-type": ctype}, body=body))
    assert isinstance(response, Response)
    return response.status


async def timed(n: int, make: Any) -> float:
    """Seconds per request over ``n`` requests."""
    start = time.perf_counter()
    for i in range(n):
        await make(i)
    return (time.perf_counter() - start) / n


async def run(n: int) -> dict[str, float]:
    store = await storage.open_storage("memory://", compact_interval=0)
    api = APIServer(store)
    await api.start("127.0.0.1", 0)
    try:
        served = asyncio.Event()
        api.registry.subscribe(lambda change, r: served.set() if r.plural == "things" else None)
        assert await send(api, "POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
                          orjson.dumps(CRD), "application/json") == 201
        if api.registry.get("bench.example.com", "v1", "things") is None:
            await asyncio.wait_for(served.wait(), 10)
        apply_q = "fieldManager=bench"
        # JSON bodies, as kubectl and the client libraries send apply patches.
        unchanged = orjson.dumps(thing("same"))
        assert await send(api, "PATCH", PATH, unchanged, "application/apply-patch+yaml", apply_q) == 201
        changed = [orjson.dumps(thing(f"v{i % 2}")) for i in range(2)]
        merges = [orjson.dumps({"spec": {"field0": f"m{i % 2}"}}) for i in range(2)]

        async def apply_same(i: int) -> None:
            assert await send(api, "PATCH", PATH, unchanged, "application/apply-patch+yaml", apply_q) == 200

        async def apply_changed(i: int) -> None:
            assert await send(api, "PATCH", PATH, changed[i % 2], "application/apply-patch+yaml", apply_q) == 200

        async def merge(i: int) -> None:
            assert await send(api, "PATCH", PATH, merges[i % 2], "application/merge-patch+json") == 200

        out = {"apply unchanged": await timed(n, apply_same), "apply changed": await timed(n, apply_changed),
               "merge patch changed": await timed(n, merge)}
        resource = api.registry.get("bench.example.com", "v1", "things")
        assert resource is not None
        fm = fieldmanager.for_resource(resource)
        obj = thing("x")
        start = time.perf_counter()
        for _ in range(n):
            fm.update(None, obj, "bench")
        out["managedFields on create"] = (time.perf_counter() - start) / n
        return out
    finally:
        await api.stop()
        await store.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args()
    rounds = [asyncio.run(run(args.requests)) for _ in range(3)]
    print(f"{'':28} {'req/s':>8} {'µs/req':>8}")
    for name in rounds[0]:
        per = statistics.median(r[name] for r in rounds)
        print(f"{name:28} {1 / per:8.0f} {per * 1e6:8.0f}")


if __name__ == "__main__":
    main()
