"""What a simulated container does: when it starts, becomes ready, exits or fails its
liveness probe, what it logs and how much CPU and memory it uses.

setpoint's nodes run no containers; the simulated kubelet plays each container out from a
:class:`Behavior`, declared the way KWOK's Stage resources declare pod lifecycles:

- per pod (or per pod template) in the ``setpoint.io/behavior`` annotation, YAML or JSON;
  top-level fields apply to every container, ``containers.<name>`` overrides one of them::

      metadata:
        annotations:
          setpoint.io/behavior: |
            startDelay: 2s
            readyAfter: 5s
            logs: ["listening on :8080"]
            cpu: 150m
            memory: 64Mi
            containers:
              sidecar: {logs: ["proxy up"]}

- per image in the ``setpoint-behaviors`` ConfigMap of ``kube-system``: each data value is a
  behaviour with an ``image`` glob (``fnmatch``: ``busybox*``, ``*/nginx:*``) that it applies to.
  Entries are tried in key order; the first that matches a container's image is used.

A container's behaviour is the defaults, then its image's entry, then the pod's annotation,
then the annotation's entry for the container. With nothing declared a container starts at once,
is ready at once (or after its readinessProbe's ``initialDelaySeconds``), and runs until it is
stopped -- or, in a pod whose ``restartPolicy`` is not ``Always`` (a Job's), exits 0 after one
second.

Durations are Go durations (``1m30s``) or numbers of seconds. Fields:

``startDelay``
    time in ``ContainerCreating`` (pulling the image, creating the container).
``readyAfter``
    time from start until the container is ready.
``exitAfter``, ``exitCode``
    the container exits this long after it starts, with this code (default 0).
``livenessFailAfter``
    the container's liveness probe starts failing this long after it starts; the kubelet
    kills it (exit code 137) and restarts it by the pod's ``restartPolicy``.
``terminationDelay``
    how long the container takes to stop once asked to (capped by the pod's
    ``terminationGracePeriodSeconds``; default 0: it stops at once).
``pullError``
    true: the image cannot be pulled (``ErrImagePull``, then ``ImagePullBackOff``).
``logs``
    the lines the container writes when it starts (``{pod}``, ``{namespace}``,
    ``{container}``, ``{node}`` and ``{restart}`` are filled in).
``cpu``, ``memory``
    the usage ``kubectl top`` (metrics.k8s.io) and the autoscaler see, as quantities.
"""

from __future__ import annotations

import fnmatch
import functools
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any, Final

import yaml

from setpoint.apimachinery import quantity
from setpoint.apimachinery.clock import parse_duration

__all__ = [
    "ANNOTATION",
    "COMPLETION_AFTER",
    "DEFAULT",
    "RULES_CONFIGMAP",
    "RULES_NAMESPACE",
    "Behavior",
    "BehaviorError",
    "ImageRule",
    "container_behavior",
    "dump",
    "parse_annotation",
    "parse_rules",
    "render_logs",
    "runs_to_completion",
    "usage",
]

#: The pod annotation that declares its containers' behaviour.
ANNOTATION: Final = "setpoint.io/behavior"
#: The ConfigMap (namespace, name) whose entries declare behaviour per image.
RULES_NAMESPACE: Final = "kube-system"
RULES_CONFIGMAP: Final = "setpoint-behaviors"
#: How long a container of a run-to-completion pod (restartPolicy Never or OnFailure) runs by default.
COMPLETION_AFTER: Final = 1.0


class BehaviorError(ValueError):
    """A behaviour that cannot be read; the message says which field and why."""


@dataclass(frozen=True, slots=True)
class Behavior:
    """One container's declared behaviour (times in seconds from the container's start)."""

    start_delay: float = 0.0
    ready_after: float | None = None
    exit_after: float | None = None
    exit_code: int = 0
    liveness_fail_after: float | None = None
    termination_delay: float = 0.0
    pull_error: bool = False
    logs: tuple[str, ...] = ()
    #: Usage in millicores and bytes (None: not declared).
    cpu_milli: int | None = None
    memory_bytes: int | None = None


#: Nothing declared.
DEFAULT: Final = Behavior()

_FIELDS: Final = {
    "startDelay": "start_delay", "readyAfter": "ready_after", "exitAfter": "exit_after",
    "exitCode": "exit_code", "livenessFailAfter": "liveness_fail_after",
    "terminationDelay": "termination_delay", "pullError": "pull_error", "logs": "logs",
    "cpu": "cpu_milli", "memory": "memory_bytes",
}
_DURATIONS: Final = frozenset({"startDelay", "readyAfter", "exitAfter", "livenessFailAfter", "terminationDelay"})


@dataclass(frozen=True, slots=True)
class _Declared:
    """A parsed declaration: the fields it sets (as :class:`Behavior` attribute names)."""

    fields: tuple[tuple[str, Any], ...] = ()
    containers: tuple[tuple[str, _Declared], ...] = ()

    def apply(self, base: Behavior) -> Behavior:
        return replace(base, **dict(self.fields)) if self.fields else base

    def for_container(self, name: str) -> _Declared | None:
        for cname, declared in self.containers:
            if cname == name:
                return declared
        return None


@dataclass(frozen=True, slots=True)
class ImageRule:
    """One entry of the per-image ConfigMap."""

    key: str
    image: str
    declared: _Declared = field(default_factory=_Declared)

    def matches(self, image: str) -> bool:
        return fnmatch.fnmatchcase(image, self.image)


def _duration(value: object, path: str) -> float:
    if isinstance(value, bool):
        raise BehaviorError(f"{path}: must be a duration, not {value!r}")
    if isinstance(value, int | float):
        if value < 0:
            raise BehaviorError(f"{path}: must not be negative")
        return float(value)
    if isinstance(value, str):
        try:
            seconds = parse_duration(value)
        except ValueError as exc:
            raise BehaviorError(f"{path}: {exc}") from None
        if seconds < 0:
            raise BehaviorError(f"{path}: must not be negative")
        return seconds
    raise BehaviorError(f"{path}: must be a duration such as 5s, not {value!r}")


def _quantity(value: object, path: str, scale: int) -> int:
    text = str(value) if isinstance(value, int | float | str) and not isinstance(value, bool) else None
    if text is None or quantity.parse_error(text) is not None:
        raise BehaviorError(f"{path}: must be a quantity such as 100m or 64Mi, not {value!r}")
    amount = quantity.value(text) * scale
    if amount < 0:
        raise BehaviorError(f"{path}: must not be negative")
    return int(amount.to_integral_value(rounding="ROUND_CEILING"))


def _declared(data: object, path: str, *, nested: bool) -> _Declared:
    if not isinstance(data, Mapping):
        raise BehaviorError(f"{path or 'behavior'}: must be a mapping of fields, not {data!r}")
    fields: list[tuple[str, Any]] = []
    containers: list[tuple[str, _Declared]] = []
    prefix = f"{path}." if path else ""
    for key, value in data.items():
        where = f"{prefix}{key}"
        if key == "containers" and nested:
            if not isinstance(value, Mapping):
                raise BehaviorError(f"{where}: must map container names to behaviours")
            for cname, cdata in value.items():
                containers.append((str(cname), _declared(cdata, f"{where}.{cname}", nested=False)))
            continue
        if key == "image" and path.startswith("image:"):
            continue
        attr = _FIELDS.get(key)
        if attr is None:
            known = ", ".join(sorted([*_FIELDS, *(("containers",) if nested else ())]))
            raise BehaviorError(f"{where}: unknown field (known: {known})")
        if value is None:
            fields.append((attr, getattr(DEFAULT, attr)))
        elif key in _DURATIONS:
            fields.append((attr, _duration(value, where)))
        elif key == "exitCode":
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 255:
                raise BehaviorError(f"{where}: must be an integer from 0 to 255")
            fields.append((attr, value))
        elif key == "pullError":
            if not isinstance(value, bool):
                raise BehaviorError(f"{where}: must be true or false")
            fields.append((attr, value))
        elif key == "logs":
            if isinstance(value, str):
                value = value.splitlines()
            if not isinstance(value, list) or not all(isinstance(v, str | int | float) for v in value):
                raise BehaviorError(f"{where}: must be a list of lines")
            fields.append((attr, tuple(str(v) for v in value)))
        elif key == "cpu":
            fields.append((attr, _quantity(value, where, 1000)))
        else:  # memory
            fields.append((attr, _quantity(value, where, 1)))
    return _Declared(tuple(fields), tuple(containers))


def _load(text: str, path: str) -> object:
    try:
        return yaml.safe_load(text) if text.strip() else {}
    except yaml.YAMLError as exc:
        raise BehaviorError(f"{path}: not YAML or JSON: {str(exc).splitlines()[0]}") from None


@functools.lru_cache(maxsize=1024)
def parse_annotation(text: str) -> _Declared:
    """The ``setpoint.io/behavior`` annotation, parsed (cached by text); :class:`BehaviorError`
    when it cannot be read."""
    return _declared(_load(text, ANNOTATION), "", nested=True)


def parse_rules(data: Mapping[str, str]) -> tuple[list[ImageRule], list[str]]:
    """The per-image ConfigMap's ``data``: its rules in key order, and a message for each
    entry that cannot be read (those entries are left out)."""
    rules: list[ImageRule] = []
    problems: list[str] = []
    for key in sorted(data):
        where = f"image:{key}"
        try:
            loaded = _load(data[key], key)
            if not isinstance(loaded, Mapping) or not isinstance(loaded.get("image"), str):
                raise BehaviorError(f"{key}: needs an `image` glob, such as `image: busybox*`")
            rules.append(ImageRule(key, loaded["image"], _declared(loaded, where, nested=False)))
        except BehaviorError as exc:
            problems.append(str(exc))
    return rules, problems


def runs_to_completion(pod: Mapping[str, Any]) -> bool:
    """Whether the pod's containers are meant to finish: restartPolicy Never or OnFailure."""
    return ((pod.get("spec") or {}).get("restartPolicy") or "Always") != "Always"


def _readiness_delay(container: Mapping[str, Any]) -> float:
    probe = container.get("readinessProbe")
    if isinstance(probe, Mapping):
        delay = probe.get("initialDelaySeconds")
        if isinstance(delay, int) and not isinstance(delay, bool) and delay > 0:
            return float(delay)
    return 0.0


def container_behavior(pod: Mapping[str, Any], container: Mapping[str, Any],
                       rules: Iterable[ImageRule] = ()) -> Behavior:
    """The behaviour of one of ``pod``'s containers: defaults, the first image rule that
    matches, the pod's annotation, the annotation's entry for the container.

    Raises :class:`BehaviorError` when the pod's annotation cannot be read."""
    base = DEFAULT
    if runs_to_completion(pod):
        base = replace(base, exit_after=COMPLETION_AFTER)
    image = container.get("image")
    if isinstance(image, str):
        for rule in rules:
            if rule.matches(image):
                base = rule.declared.apply(base)
                break
    text = ((pod.get("metadata") or {}).get("annotations") or {}).get(ANNOTATION)
    if isinstance(text, str):
        declared = parse_annotation(text)
        base = declared.apply(base)
        own = declared.for_container(str(container.get("name", "")))
        if own is not None:
            base = own.apply(base)
    if base.ready_after is None:
        base = replace(base, ready_after=_readiness_delay(container))
    return base


def render_logs(behavior: Behavior, pod: Mapping[str, Any], container: str, restart: int = 0) -> list[str]:
    """The container's log lines, placeholders filled in."""
    meta = pod.get("metadata") or {}
    values = {"pod": meta.get("name", ""), "namespace": meta.get("namespace", ""), "container": container,
              "node": (pod.get("spec") or {}).get("nodeName", ""), "restart": str(restart)}
    out: list[str] = []
    for line in behavior.logs:
        try:
            out.append(line.format_map(values))
        except (KeyError, ValueError, IndexError):
            out.append(line)
    return out


def dump(declared: Mapping[str, Any]) -> str:
    """A behaviour mapping as annotation text (JSON, one line)."""
    return json.dumps(declared, separators=(",", ":"))


def usage(behavior: Behavior) -> tuple[Decimal | None, Decimal | None]:
    """The declared (CPU millicores, memory bytes), None where not declared."""
    return (None if behavior.cpu_milli is None else Decimal(behavior.cpu_milli),
            None if behavior.memory_bytes is None else Decimal(behavior.memory_bytes))
