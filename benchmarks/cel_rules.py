"""µs per evaluation of typical x-kubernetes-validations rules (the rules of one CRD version,
compiled once, run on one object), median of 3 runs of N evaluations.

    PYTHONPATH=src python benchmarks/cel_rules.py [--n 20000]
"""

from __future__ import annotations

import argparse
import statistics
import time

from setpoint.apiserver.apiextensions.customresource import CustomResourceSchema

RULES = {
    "compare": "self.replicas <= self.maxReplicas",
    "string": "self.name.startsWith('web-') && self.name.size() < 20",
    "list": "self.ports.all(p, p > 0 && p < 65536)",
    "regex": "self.name.matches('^[a-z0-9-]+$')",
    "has": "!has(self.mode) || self.mode in ['a', 'b']",
    "isIP": "isIP(self.address)",
    "cidr": "cidr('10.0.0.0/8').containsIP(self.address)",
    "quantity": "quantity(self.memory).isLessThan(quantity('4Gi'))",
    "two-var": "self.ports.all(i, p, i == 0 || p > self.ports[i - 1])",
    "format": "!format.dns1123Label().validate(self.name).hasValue()",
    "optional": "self.?mode.orValue('a') == 'a' && self.ports[?5].orValue(0) == 0",
}
OBJ = {"replicas": 3, "maxReplicas": 5, "name": "web-frontend", "ports": [80, 443, 8080], "mode": "a",
       "address": "10.1.2.3", "memory": "512Mi"}
PROPS = {"replicas": {"type": "integer"}, "maxReplicas": {"type": "integer"},
         "name": {"type": "string", "maxLength": 32}, "mode": {"type": "string"},
         "ports": {"type": "array", "maxItems": 8, "items": {"type": "integer"}},
         "address": {"type": "string", "maxLength": 64}, "memory": {"type": "string", "maxLength": 16}}


def measure(rule: str, n: int) -> float | None:
    schema = CustomResourceSchema({"type": "object", "properties": PROPS, "x-kubernetes-validations": [{"rule": rule}]})
    if schema.validate(OBJ):
        return None  # not supported by this checkout
    runs = []
    for _ in range(3):
        t0 = time.perf_counter()
        for _ in range(n):
            schema.validate(OBJ)
        runs.append((time.perf_counter() - t0) / n * 1e6)
    return statistics.median(runs)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=20000)
    args = ap.parse_args()
    for name, rule in RULES.items():
        us = measure(rule, args.n)
        print(f"{name:10} {'unsupported' if us is None else f'{us:7.1f} µs'}  {rule}")


if __name__ == "__main__":
    main()
