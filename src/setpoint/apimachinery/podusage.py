"""How much CPU and memory a simulated pod uses: the one answer ``kubectl top`` (the
``metrics.k8s.io`` API) and the horizontal pod autoscaler both read.

As metrics-server's, only a ``Running`` pod has metrics. A pod's usage is resolved per
resource (cpu, memory):

1. the declared behaviour of its containers (:func:`podbehavior.container_behavior`'s
   ``cpu``/``memory``, from the pod's ``setpoint.io/behavior`` annotation or the image rules
   of ``kube-system/setpoint-behaviors``): a container that declares none uses the default;
2. else the whole-pod annotation ``setpoint.io/cpu-usage`` / ``setpoint.io/memory-usage``
   (a quantity), shared evenly by the containers;
3. else the defaults: :data:`DEFAULT_CPU_MILLI` and :data:`DEFAULT_MEMORY_BYTES` a container.

A pod's containers are those its ``containerStatuses`` show running (and its running sidecars,
restartable init containers, as the kubelet reports them). A pod whose status was
written without any (by a test, on a server with no simulated kubelet) counts all its
containers, but has a sample only when something above (1 or 2) is declared for it: as a
pod metrics-server has not scraped, it has no metrics, and the autoscaler treats it as
missing. A node's usage is the sum of its running pods' plus :data:`SYSTEM_CPU_MILLI` and
:data:`SYSTEM_MEMORY_BYTES` (the kubelet, the runtime and the system daemons).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

from setpoint.apimachinery import podbehavior, quantity
from setpoint.apimachinery.podbehavior import BehaviorError, ImageRule

__all__ = [
    "DEFAULT_CPU_MILLI",
    "DEFAULT_MEMORY_BYTES",
    "SYSTEM_CPU_MILLI",
    "SYSTEM_MEMORY_BYTES",
    "USAGE_ANNOTATION",
    "ContainerUsage",
    "NodeUsage",
    "PodUsage",
    "node_usage",
    "pod_usage",
    "rules_of",
    "usage_of",
]

#: The whole-pod usage annotations: ``setpoint.io/cpu-usage``, ``setpoint.io/memory-usage``.
USAGE_ANNOTATION: Final = "setpoint.io/{}-usage"
#: What a container uses when nothing is declared: an idle process.
DEFAULT_CPU_MILLI: Final = 1
DEFAULT_MEMORY_BYTES: Final = 4 * 1024 * 1024
#: What a node uses besides its pods.
SYSTEM_CPU_MILLI: Final = 50
SYSTEM_MEMORY_BYTES: Final = 256 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class ContainerUsage:
    """One container's usage: millicores and bytes."""

    name: str
    cpu_milli: int
    memory_bytes: int


@dataclass(frozen=True, slots=True)
class PodUsage:
    """A running pod's usage, container by container (in the pod's spec order)."""

    containers: tuple[ContainerUsage, ...]

    @property
    def cpu_milli(self) -> int:
        return sum(c.cpu_milli for c in self.containers)

    @property
    def memory_bytes(self) -> int:
        return sum(c.memory_bytes for c in self.containers)


@dataclass(frozen=True, slots=True)
class NodeUsage:
    """A node's usage: its running pods' and the system's."""

    cpu_milli: int
    memory_bytes: int


def rules_of(configmap: Mapping[str, Any] | None) -> list[ImageRule]:
    """The image rules of the ``setpoint-behaviors`` ConfigMap (none without it; entries that
    cannot be read are left out, as the kubelet leaves them)."""
    data = (configmap or {}).get("data")
    if not isinstance(data, Mapping):
        return []
    return podbehavior.parse_rules({str(k): str(v) for k, v in data.items()})[0]


def _running_containers(pod: Mapping[str, Any]) -> tuple[list[Mapping[str, Any]], bool]:
    """The containers that run -- the spec's, and its restartable init containers (sidecars) --,
    and whether a kubelet reported them (``containerStatuses``)."""
    spec = pod.get("spec") or {}
    sidecars = [c for c in spec.get("initContainers") or []
                if isinstance(c, Mapping) and c.get("restartPolicy") == "Always"]
    containers = [*sidecars, *(c for c in spec.get("containers") or [] if isinstance(c, Mapping))]
    status = pod.get("status") or {}
    statuses = status.get("containerStatuses")
    if not statuses:
        return [c for c in containers if c not in sidecars], False
    running = {s.get("name") for s in [*statuses, *(status.get("initContainerStatuses") or [])]
               if isinstance(s, Mapping) and isinstance(s.get("state"), Mapping) and "running" in s["state"]}
    return [c for c in containers if c.get("name") in running], True


def _annotation(pod: Mapping[str, Any], resource: str, scale: int) -> int | None:
    text = ((pod.get("metadata") or {}).get("annotations") or {}).get(USAGE_ANNOTATION.format(resource))
    if not isinstance(text, str) or quantity.parse_error(text) is not None:
        return None
    amount = quantity.value(text) * scale
    if amount < 0:
        return None
    return int(amount.to_integral_value(rounding="ROUND_CEILING"))


def _shares(total: int, count: int) -> list[int]:
    """``total`` split evenly over ``count`` (the first ones get the remainder)."""
    base, extra = divmod(total, count)
    return [base + (1 if i < extra else 0) for i in range(count)]


def pod_usage(pod: Mapping[str, Any], rules: Sequence[ImageRule] = ()) -> PodUsage | None:
    """The pod's usage (see the module), or None when it has no metrics."""
    if (pod.get("status") or {}).get("phase") != "Running":
        return None
    containers, measured = _running_containers(pod)
    if not containers:
        return None
    declared: list[tuple[int | None, int | None]] = []
    for c in containers:
        try:
            b = podbehavior.container_behavior(pod, c, rules)
        except BehaviorError:
            b = podbehavior.DEFAULT
        declared.append((b.cpu_milli, b.memory_bytes))
    values: list[list[int]] = []
    sampled = measured
    for index, (resource, scale, default) in enumerate(
            (("cpu", 1000, DEFAULT_CPU_MILLI), ("memory", 1, DEFAULT_MEMORY_BYTES))):
        own = [d[index] for d in declared]
        if any(v is not None for v in own):
            values.append([default if v is None else v for v in own])
            sampled = True
            continue
        whole = _annotation(pod, resource, scale)
        if whole is not None:
            values.append(_shares(whole, len(containers)))
            sampled = True
            continue
        values.append([default] * len(containers))
    if not sampled:
        return None
    return PodUsage(tuple(ContainerUsage(str(c.get("name", "")), cpu, memory)
                          for c, cpu, memory in zip(containers, values[0], values[1], strict=True)))


def usage_of(pod: Mapping[str, Any], resource: str, rules: Sequence[ImageRule] = ()) -> Decimal | None:
    """The pod's usage of ``resource`` (``cpu`` or ``memory``) in milli-units, as the
    autoscaler computes with; None without metrics (or for another resource)."""
    if resource not in ("cpu", "memory"):
        return None
    usage = pod_usage(pod, rules)
    if usage is None:
        return None
    return Decimal(usage.cpu_milli) if resource == "cpu" else Decimal(usage.memory_bytes) * 1000


def node_usage(pods: Iterable[PodUsage | None]) -> NodeUsage:
    """A node's usage: the system share plus its pods' (:func:`pod_usage` of the pods bound to
    it; those without metrics count nothing)."""
    cpu, memory = SYSTEM_CPU_MILLI, SYSTEM_MEMORY_BYTES
    for usage in pods:
        if usage is not None:
            cpu += usage.cpu_milli
            memory += usage.memory_bytes
    return NodeUsage(cpu, memory)
