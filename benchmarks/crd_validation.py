"""CRD validation benchmark: the cost of schema semantics per custom resource create.

1. In process: defaulting + pruning + schema validation + 3 CEL rules of one object of a
   CRD whose schema has 50 fields (µs per object, and the share of each step); the schema
   is compiled once, as the server does per CRD version.
2. In process, through the object store (no HTTP): µs per create of such an object, and
   of the same object of a schemaless CRD (``x-kubernetes-preserve-unknown-fields``).
3. Over HTTP: creates/s that ``setpoint up`` (memory storage) sustains for both CRDs,
   driven by ``wrk`` (Debian package ``wrk``) with ``wrk_create_cr.lua``.

    .venv/bin/python benchmarks/crd_validation.py [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import orjson  # noqa: E402

from apiserver import free_port, request, start_server  # noqa: E402
from setpoint.apiserver.apiextensions import structural  # noqa: E402
from setpoint.apiserver.apiextensions.cel import evaluate  # noqa: E402
from setpoint.apiserver.apiextensions.customresource import CustomResourceSchema  # noqa: E402

RULES = [
    {"rule": "self.replicas <= self.maxReplicas", "message": "replicas must not exceed maxReplicas"},
    {"rule": "self.owner.startsWith('team-')", "message": "owner must be a team"},
    {"rule": "self.tags.all(t, t.size() <= 32)", "message": "tags are short"},
]


def schema_50() -> dict[str, Any]:
    """A spec of 50 fields: strings (patterns, enums, lengths), integers (bounds, defaults),
    booleans, string lists (set, maxItems) and a nested object."""
    props: dict[str, Any] = {
        "replicas": {"type": "integer", "minimum": 0, "maximum": 100, "default": 1},
        "maxReplicas": {"type": "integer", "minimum": 1, "maximum": 100, "default": 10},
        "owner": {"type": "string", "maxLength": 63, "pattern": "^[a-z0-9-]+$"},
        "tags": {"type": "array", "maxItems": 16, "x-kubernetes-list-type": "set",
                 "items": {"type": "string", "maxLength": 64}},
        "mode": {"type": "string", "enum": ["fast", "safe", "off"], "default": "safe"},
    }
    for i in range(15):
        props[f"label{i}"] = {"type": "string", "maxLength": 63, "pattern": "^[a-zA-Z0-9._-]*$"}
    for i in range(12):
        props[f"count{i}"] = {"type": "integer", "minimum": 0, "maximum": 1_000_000}
    for i in range(7):
        props[f"flag{i}"] = {"type": "boolean", "default": False}
    for i in range(4):
        props[f"list{i}"] = {"type": "array", "maxItems": 10, "items": {"type": "string", "maxLength": 32}}
    nested = {f"n{i}": {"type": "string", "maxLength": 32} for i in range(7)}
    props["nested"] = {"type": "object", "properties": nested}
    leaf = sum(1 for p in props.values() if p.get("type") != "object") + len(nested)
    assert leaf == 50, leaf
    return {"type": "object", "properties": {
        "spec": {"type": "object", "x-kubernetes-validations": RULES, "properties": props},
        "status": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}}}


def object_50(name: str = "NAME") -> dict[str, Any]:
    spec: dict[str, Any] = {"replicas": 3, "maxReplicas": 5, "owner": "team-a", "tags": ["a", "b", "c"]}
    for i in range(15):
        spec[f"label{i}"] = f"value-{i}"
    for i in range(12):
        spec[f"count{i}"] = i * 1000
    for i in range(7):
        spec[f"flag{i}"] = i % 2 == 0
    for i in range(4):
        spec[f"list{i}"] = ["x", "y"]
    spec["nested"] = {f"n{i}": "v" for i in range(7)}
    return {"apiVersion": "bench.example.com/v1", "kind": "Bench", "metadata": {"name": name}, "spec": spec}


def crd(plural: str, kind: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": f"{plural}.bench.example.com"},
            "spec": {"group": "bench.example.com", "scope": "Namespaced",
                     "names": {"plural": plural, "kind": kind},
                     "versions": [{"name": "v1", "served": True, "storage": True,
                                   "schema": {"openAPIV3Schema": schema}}]}}


def bench(fn: Any, n: int) -> float:
    """Best µs per call over 7 rounds of n calls (the machine is shared: noise only adds)."""
    rounds = []
    for _ in range(7):
        t = time.perf_counter()
        for _ in range(n):
            fn()
        rounds.append((time.perf_counter() - t) / n * 1e6)
    return min(rounds)


def in_process(n: int) -> dict[str, float]:
    """µs per object of each step, on a freshly parsed body each time (as a request has)."""
    t = time.perf_counter()
    compiled = CustomResourceSchema(schema_50())
    compile_ms = (time.perf_counter() - t) * 1000
    assert compiled.node is not None
    node = compiled.node
    body = orjson.dumps(object_50("x"))
    fast = compiled._fast
    sample = orjson.loads(body)
    compiled.decode(sample)
    assert compiled.validate(sample) == []

    def parse() -> None:
        orjson.loads(body)

    def full() -> None:
        o = orjson.loads(body)
        compiled.decode(o)
        compiled.validate(o)

    def decode() -> None:
        compiled.decode(orjson.loads(body))

    def schema() -> None:
        o = orjson.loads(body)
        assert fast is not None and fast.is_valid(o)

    def schema_compiled() -> None:
        structural.validate(orjson.loads(body), node)

    def rules() -> None:
        evaluate.validate(orjson.loads(body), None, node)

    base = bench(parse, n)
    return {
        "compile_ms": compile_ms,
        "total_us": bench(full, n) - base,
        "decode_us": bench(decode, n) - base,
        "schema_us": bench(schema, n) - base,
        "schema_compiled_us": bench(schema_compiled, n) - base,
        "cel_us": bench(rules, n) - base,
    }


async def _store_creates(n: int) -> dict[str, float]:
    from setpoint.controlplane import ControlPlane

    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        plane = ControlPlane("memory://", port=0, data_dir=Path(tmp), tls_options=None)  # plain HTTP, for wrk
        await plane.start()
        try:
            server = plane.server
            assert server is not None
            crds = server.registry.get("apiextensions.k8s.io", "v1", "customresourcedefinitions")
            assert crds is not None
            kinds = {"schema": ("benches", "Bench", schema_50()),
                     "schemaless": ("looses", "Loose", {"type": "object",
                                                        "x-kubernetes-preserve-unknown-fields": True})}
            for plural, kind, schema in kinds.values():
                await server.objects.create(crds, None, crd(plural, kind, schema))
            for label, (plural, kind, _) in kinds.items():
                resource = None
                for _ in range(500):
                    resource = server.registry.get("bench.example.com", "v1", plural)
                    if resource is not None:
                        break
                    await asyncio.sleep(0.02)
                assert resource is not None
                body = object_50()
                body["kind"] = kind
                raw = orjson.dumps(body)
                best = float("inf")
                for r in range(3):
                    objs = []
                    for i in range(n):
                        o = orjson.loads(raw)
                        o["metadata"] = {"name": f"r{r}-{i}"}
                        objs.append(o)
                    t = time.perf_counter()
                    for o in objs:
                        await server.objects.create(resource, "default", o)
                    best = min(best, (time.perf_counter() - t) / n * 1e6)
                out[label] = best
        finally:
            await plane.stop()
    return out


def store_creates(n: int) -> dict[str, float]:
    return asyncio.run(_store_creates(n))


WRK_LINE = re.compile(r"WRK requests=(\d+) duration_s=([\d.]+) non2xx=(\d+) errors=(\d+) p50_ms=([\d.]+) "
                      r"p99_ms=([\d.]+)")


def creates_per_second(port: int, path: str, body_file: Path, connections: int, seconds: int,
                       prefix: str) -> dict[str, float]:
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "-s", str(HERE / "wrk_create_cr.lua"),
                          f"http://127.0.0.1:{port}", "--", path, str(body_file), prefix],
                         capture_output=True, text=True, check=True).stdout
    m = WRK_LINE.search(out)
    if not m:
        raise SystemExit(f"unexpected wrk output:\n{out}")
    reqs, dur, non2xx, errs, p50, p99 = m.groups()
    if int(non2xx) or int(errs):
        raise SystemExit(f"creates failed: {out}")
    return {"rate": int(reqs) / float(dur), "p50_ms": float(p50), "p99_ms": float(p99)}


def over_http(seconds: int, connections: int, runs: int) -> dict[str, dict[str, float]]:
    """Each CRD on a fresh server (a server holding the other run's objects is slower)."""
    out: dict[str, dict[str, float]] = {}
    kinds = {"schema": ("benches", "Bench", schema_50()),
             "schemaless": ("looses", "Loose", {"type": "object", "x-kubernetes-preserve-unknown-fields": True})}
    for label, (plural, kind, schema) in kinds.items():
        with tempfile.TemporaryDirectory() as tmp:
            port = free_port()
            proc = start_server(Path(tmp) / "data", port, "memory://")
            try:
                request(port, "POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
                        crd(plural, kind, schema))
                path = f"/apis/bench.example.com/v1/namespaces/default/{plural}"
                deadline = time.monotonic() + 10
                while True:
                    try:
                        request(port, "GET", path)
                        break
                    except Exception:
                        if time.monotonic() > deadline:
                            raise
                        time.sleep(0.05)
                body = object_50()
                body["kind"] = kind
                body_file = Path(tmp) / f"{label}.json"
                body_file.write_text(json.dumps(body))
                rates = [creates_per_second(port, path, body_file, connections, seconds, f"r{i}w")
                         for i in range(runs)]
                out[label] = sorted(rates, key=lambda r: r["rate"])[len(rates) // 2]
            finally:
                proc.terminate()
                proc.wait(10)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    n = 500 if args.quick else 2000
    res = in_process(n)
    print(f"compile schema + 3 rules: {res['compile_ms']:.1f} ms (once per CRD version)")
    print(f"per object: total {res['total_us']:.1f} us; default+prune {res['decode_us']:.1f} us, "
          f"schema {res['schema_us']:.1f} us (jsonschema-rs; the compiled validator that words errors: "
          f"{res['schema_compiled_us']:.1f} us), 3 CEL rules {res['cel_us']:.1f} us")
    store = store_creates(500 if args.quick else 2000)
    print(f"store.create, in process: {store['schema']:.0f} us with the schema, {store['schemaless']:.0f} us "
          f"schemaless (+{store['schema'] - store['schemaless']:.0f} us)")
    http = over_http(3 if args.quick else 10, 16, 1 if args.quick else 3)
    for label, r in http.items():
        print(f"creates/s {label:10}: {r['rate']:8.0f}  p50 {r['p50_ms']:.2f} ms  p99 {r['p99_ms']:.2f} ms")
    print(f"ratio schema/schemaless: {http['schema']['rate'] / http['schemaless']['rate']:.2f}")


if __name__ == "__main__":
    main()
