"""CRD creation checks, per CRD of a vendored real project: how long ``validate_crd`` takes
(structural schema, defaults, and every ``x-kubernetes-validations`` rule compiled and its
cost estimated), and the share of it spent estimating CEL costs.

    PYTHONPATH=src .venv/bin/python benchmarks/crd_cel_cost.py [tests/data/crds/gateway-api.yaml.gz] [--runs 5]

Run it once per checkout (``PYTHONPATH=<checkout>/src``) to compare two versions.
"""

from __future__ import annotations

import argparse
import gzip
import statistics
import time
from pathlib import Path
from typing import Any

import yaml

from setpoint.apiserver.apiextensions import crd_validation
from setpoint.apiserver.apiextensions.cel import cost

HERE = Path(__file__).resolve().parent


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """Go's YAML reads ``- =`` as the string "="."""


_Loader.add_constructor("tag:yaml.org,2002:value", lambda loader, node: "=")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("file", nargs="?", default=str(HERE.parent / "tests/data/crds/gateway-api.yaml.gz"))
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with gzip.open(args.file) as f:
        crds = [d for d in yaml.load_all(f, Loader=_Loader) if isinstance(d, dict)]
    spent = [0.0]
    estimate = cost.estimate

    def timed(*a: Any) -> Any:
        t = time.perf_counter()
        try:
            return estimate(*a)
        finally:
            spent[0] += time.perf_counter() - t

    cost.estimate = timed  # type: ignore[assignment]
    print(f"{'CRD':<50} {'ms':>8} {'cost ms':>8} {'rules':>6} errors")
    total = 0.0
    for crd in crds:
        times, in_cost = [], []
        errors: list[Any] = []
        for _ in range(args.runs):
            spent[0] = 0.0
            t = time.perf_counter()
            errors = crd_validation.validate_crd(crd)
            times.append(time.perf_counter() - t)
            in_cost.append(spent[0])
        rules = str(count_rules(crd))
        ms = statistics.median(times) * 1000
        total += ms
        print(f"{crd['metadata']['name']:<50} {ms:8.1f} {statistics.median(in_cost) * 1000:8.1f} {rules:>6} "
              f"{len(errors)}")
    print(f"{'total':<50} {total:8.1f}")


def count_rules(obj: Any) -> int:
    """How many x-kubernetes-validations rules a document holds."""
    if isinstance(obj, dict):
        own = len(obj["x-kubernetes-validations"]) if isinstance(obj.get("x-kubernetes-validations"), list) else 0
        return own + sum(count_rules(v) for v in obj.values())
    if isinstance(obj, list):
        return sum(count_rules(v) for v in obj)
    return 0


if __name__ == "__main__":
    main()
