"""kube-scheduler's default profile as pure functions over Pod and Node dicts.

Each filter takes the pod being scheduled (a :class:`PodInfo`) and one :class:`NodeInfo`
(the node and the pods bound to it) and answers ``None`` (fits) or a :class:`Status`
carrying kube's failure reasons (``pkg/scheduler/framework/plugins/...``). Each score
answers an integer for one node; :func:`default_normalize` is kube's
``helper.DefaultNormalizeScore``. The scheduler (:mod:`.scheduler`) runs them as
``schedule_one.go`` does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Final

from setpoint.apimachinery import quantity
from setpoint.apimachinery.taints import tolerates
from setpoint.apimachinery.types import Obj

MAX_NODE_SCORE: Final = 100
#: ``schedutil.DefaultMilliCPURequest`` / ``DefaultMemoryRequest``: what scoring counts for a
#: container that requests nothing.
DEFAULT_MILLI_CPU: Final = 100
DEFAULT_MEMORY: Final = 200 * 1024 * 1024

UNSCHEDULABLE: Final = "Unschedulable"
UNRESOLVABLE: Final = "UnschedulableAndUnresolvable"

ERR_NODE_NAME: Final = "node(s) didn't match the requested node name"
ERR_UNSCHEDULABLE: Final = "node(s) were unschedulable"
ERR_NODE_AFFINITY: Final = "node(s) didn't match Pod's node affinity/selector"
ERR_NODE_PORTS: Final = "node(s) didn't have free ports for the requested pod ports"
ERR_TOO_MANY_PODS: Final = "Too many pods"
ERR_EXISTING_ANTI_AFFINITY: Final = "node(s) didn't satisfy existing pods anti-affinity rules"
ERR_AFFINITY: Final = "node(s) didn't match pod affinity rules"
ERR_ANTI_AFFINITY: Final = "node(s) didn't match pod anti-affinity rules"
ERR_SPREAD: Final = "node(s) didn't match pod topology spread constraints"
ERR_SPREAD_LABEL: Final = ERR_SPREAD + " (missing required label)"
#: Since kube 1.35 (backported to 1.34) the reason names no taint key or value (they stay out of pod status).
ERR_TAINT: Final = "node(s) had untolerated taint(s)"

UNSCHEDULABLE_TAINT: Final = "node.kubernetes.io/unschedulable"


@dataclass(frozen=True)
class Status:
    """A filter's failure: kube's status code and reasons."""

    code: str
    reasons: tuple[str, ...]

    @property
    def unresolvable(self) -> bool:
        """Preemption cannot help (``UnschedulableAndUnresolvable``)."""
        return self.code == UNRESOLVABLE


def unschedulable(*reasons: str) -> Status:
    return Status(UNSCHEDULABLE, reasons)


def unresolvable(*reasons: str) -> Status:
    return Status(UNRESOLVABLE, reasons)


# -- resources ------------------------------------------------------------------------------------


def _amount(name: str, text: object) -> int:
    """A quantity as kube's scheduler counts it: milli-units for cpu, units (rounded up) else."""
    return _amount_of(name, str(text))


@lru_cache(maxsize=4096)
def _amount_of(name: str, text: str) -> int:
    """:func:`_amount`, remembered: a fleet's pods request a handful of distinct quantities."""
    try:
        v = quantity.value(text)
    except ValueError:
        return 0
    if name == "cpu":
        v = v * 1000
    return int(v.to_integral_value(rounding="ROUND_CEILING"))


def resource_list(values: Mapping[str, Any] | None) -> dict[str, int]:
    """A ``ResourceList`` as integers (``cpu`` in millicores)."""
    return {k: _amount(k, v) for k, v in (values or {}).items()}


def _add(into: dict[str, int], other: Mapping[str, int]) -> None:
    for k, v in other.items():
        into[k] = into.get(k, 0) + v


def _max(into: dict[str, int], other: Mapping[str, int]) -> None:
    for k, v in other.items():
        if v > into.get(k, 0):
            into[k] = v


def pod_requests(pod: Obj, *, non_zero: bool = False) -> dict[str, int]:
    """``resourcehelper.PodRequests``: the containers' requests summed, at least each init
    container's (restartable init containers -- sidecars -- add to what runs after them),
    plus the pod overhead. ``non_zero``: cpu and memory a container leaves unset count as
    kube's scoring defaults (100m, 200Mi)."""
    spec = pod.get("spec") or {}

    def of(container: Obj) -> dict[str, int]:
        req = resource_list((container.get("resources") or {}).get("requests"))
        if non_zero:
            req.setdefault("cpu", DEFAULT_MILLI_CPU)
            req.setdefault("memory", DEFAULT_MEMORY)
        return req

    total: dict[str, int] = {}
    for c in spec.get("containers") or []:
        _add(total, of(c))
    init_max: dict[str, int] = {}
    sidecars: dict[str, int] = {}
    for c in spec.get("initContainers") or []:
        req = of(c)
        if c.get("restartPolicy") == "Always":
            _add(sidecars, req)
            _max(init_max, sidecars)
        else:
            running = dict(sidecars)
            _add(running, req)
            _max(init_max, running)
    _add(total, sidecars)
    _max(total, init_max)
    overhead = spec.get("overhead")
    if overhead:
        _add(total, resource_list(overhead))
    return total


# -- the snapshot ---------------------------------------------------------------------------------


def _host_ports(pod: Obj) -> list[tuple[str, str, int]]:
    out = []
    for c in (pod.get("spec") or {}).get("containers") or []:
        for p in c.get("ports") or []:
            hp = p.get("hostPort")
            if isinstance(hp, int) and hp > 0:
                out.append((p.get("hostIP") or "0.0.0.0", p.get("protocol") or "TCP", hp))
    return out


#: A pod's namespace and its labels as a sorted tuple: what topology spreading counts pods by.
LabelGroup = tuple[str, tuple[tuple[str, str], ...]]


@dataclass
class PodInfo:
    """A pod with what the plugins read of it computed once."""

    pod: Obj
    requests: dict[str, int] = field(default_factory=dict)
    non_zero: dict[str, int] = field(default_factory=dict)
    ports: list[tuple[str, str, int]] = field(default_factory=list)
    #: Has pod affinity or anti-affinity terms (``PodsWithAffinity``).
    has_affinity: bool = False
    #: Has required pod anti-affinity terms (``PodsWithRequiredAntiAffinity``).
    has_required_anti_affinity: bool = False
    #: What other plugins compute once per pod (parsed affinity terms).
    extra: dict[str, object] = field(default_factory=dict)

    @classmethod
    def of(cls, pod: Obj) -> PodInfo:
        affinity = (pod.get("spec") or {}).get("affinity") or {}
        anti = affinity.get("podAntiAffinity") or {}
        return cls(pod, pod_requests(pod), pod_requests(pod, non_zero=True), _host_ports(pod),
                   bool(affinity.get("podAffinity") or anti),
                   bool(anti.get("requiredDuringSchedulingIgnoredDuringExecution")))

    key: tuple[str, str] = field(init=False, default=("", ""))
    labels: Mapping[str, str] = field(init=False, default_factory=dict)
    spec: Obj = field(init=False, default_factory=dict)
    #: The pod's (namespace, labels) for spreading; None while it is being deleted (not counted).
    group: LabelGroup | None = field(init=False, default=None)
    #: Its requests, as a key for what a node remembers of the scores it gave such a pod.
    signature: str = field(init=False, default="")

    def __post_init__(self) -> None:
        meta = self.pod["metadata"]
        self.key = (meta.get("namespace") or "", meta["name"])
        self.labels = meta.get("labels") or {}
        self.spec = self.pod.get("spec") or {}
        if not meta.get("deletionTimestamp"):
            self.group = (self.key[0], tuple(sorted(self.labels.items())))
        self.signature = repr((sorted(self.requests.items()), sorted(self.non_zero.items())))

    def with_status_of(self, pod: Obj) -> PodInfo:
        """The info of ``pod``, a newer version of this one whose spec is the same (a status
        update): what the spec and labels give is kept, not worked out again."""
        meta, own = pod["metadata"], self.pod["metadata"]
        if meta.get("labels") != own.get("labels") or meta.get("deletionTimestamp") != own.get("deletionTimestamp"):
            return PodInfo.of(pod)
        info = PodInfo.__new__(PodInfo)
        info.__dict__.update(self.__dict__)
        info.pod, info.spec, info.labels = pod, pod.get("spec") or {}, meta.get("labels") or {}
        return info

    def same_footprint(self, other: PodInfo) -> bool:
        """Counts against a node exactly as ``other`` does (requests, group, ports, affinity)."""
        return (self.signature == other.signature and self.group == other.group and self.ports == other.ports
                and self.has_affinity == other.has_affinity and not self.has_affinity)


@dataclass
class NodeInfo:
    """A node and the pods bound (or assumed bound) to it, with their totals."""

    node: Obj
    pods: dict[tuple[str, str], PodInfo] = field(default_factory=dict)
    requested: dict[str, int] = field(default_factory=dict)
    non_zero_requested: dict[str, int] = field(default_factory=dict)
    allocatable: dict[str, int] = field(default_factory=dict)
    #: The pods with (anti-)affinity terms, and with required anti-affinity terms.
    with_affinity: set[tuple[str, str]] = field(default_factory=set)
    with_required_anti_affinity: set[tuple[str, str]] = field(default_factory=set)
    #: The pods not being deleted, counted by namespace and labels: topology spreading counts
    #: the pods a selector matches over these groups (a few per node) rather than every pod.
    groups: dict[LabelGroup, int] = field(default_factory=dict)
    #: Where the node reports its groups under its topology labels (the scheduler's own nodes only).
    topology: TopologyGroups | None = None
    #: Bumped by every change the filters or scores could see; :attr:`memo` entries carry it.
    generation: int = 0
    #: What the node gave pods of one kind (e.g. scores per :attr:`PodInfo.signature`), each with the generation it holds for first.
    memo: dict[object, tuple[Any, ...]] = field(default_factory=dict)

    name: str = field(init=False, default="")
    labels: Mapping[str, str] = field(init=False, default_factory=dict)
    #: All the node's taints, and whether it is ``spec.unschedulable``.
    taints: list[Obj] = field(init=False, default_factory=list)
    unschedulable: bool = field(init=False, default=False)

    def __post_init__(self) -> None:
        self.set_node(self.node)

    def set_node(self, node: Obj) -> None:
        """The node changed (its labels, taints, allocatable)."""
        self.generation += 1
        if self.topology is not None and self.name:
            self.topology.untrack(self)
        self.node = node
        meta, spec = node["metadata"], node.get("spec") or {}
        self.name = str(meta["name"])
        self.labels = meta.get("labels") or {}
        self.taints = [t for t in spec.get("taints") or [] if isinstance(t, dict)]
        self.unschedulable = bool(spec.get("unschedulable"))
        self.allocatable = resource_list((node.get("status") or {}).get("allocatable"))
        if self.topology is not None:
            self.topology.track(self)

    def replace_pod(self, info: PodInfo) -> None:
        """A new version of a pod on the node: in place when it counts the same, else as a move."""
        old = self.pods.get(info.key)
        if old is not None and info.same_footprint(old):
            self.pods[info.key] = info
        else:
            self.add_pod(info)

    def add_pod(self, info: PodInfo) -> None:
        self.remove_pod(info.key)
        self.generation += 1
        self.pods[info.key] = info
        if info.has_affinity:
            self.with_affinity.add(info.key)
            if self.topology is not None:
                self.topology.affinity_changed(self, 1)
        if info.has_required_anti_affinity:
            self.with_required_anti_affinity.add(info.key)
        _add(self.requested, info.requests)
        _add(self.non_zero_requested, info.non_zero)
        if info.group is not None:
            self.groups[info.group] = self.groups.get(info.group, 0) + 1
            if self.topology is not None:
                self.topology.changed(self, info.group, 1)

    def remove_pod(self, key: tuple[str, str]) -> None:
        old = self.pods.pop(key, None)
        if old is None:
            return
        self.generation += 1
        if old.has_affinity:
            self.with_affinity.discard(key)
            if self.topology is not None:
                self.topology.affinity_changed(self, -1)
        self.with_required_anti_affinity.discard(key)
        for k, v in old.requests.items():
            self.requested[k] -= v
        for k, v in old.non_zero.items():
            self.non_zero_requested[k] -= v
        if old.group is not None:
            left = self.groups[old.group] - 1
            if left:
                self.groups[old.group] = left
            else:
                del self.groups[old.group]
            if self.topology is not None:
                self.topology.changed(self, old.group, -1)


class TopologyGroups:
    """The scheduler's nodes' pod groups (:attr:`NodeInfo.groups`) summed per value of a
    topology label (``""``: nodes without it), for each label asked about: what topology
    spreading counts per zone, kept as pods come and go instead of summed over every node
    in every cycle."""

    def __init__(self) -> None:
        self._nodes: dict[str, NodeInfo] = {}
        self._by_key: dict[str, dict[str, dict[LabelGroup, int]]] = {}
        #: How many pods on these nodes have pod (anti-)affinity terms: with none, inter-pod
        #: affinity has nothing to count for a pod without terms of its own.
        self.affinity_pods = 0

    def track(self, node: NodeInfo) -> None:
        self._nodes[node.name] = node
        self.affinity_pods += len(node.with_affinity)
        for key, by_value in self._by_key.items():
            self._add(by_value, node.labels.get(key, ""), node.groups, 1)

    def untrack(self, node: NodeInfo) -> None:
        if self._nodes.get(node.name) is not node:
            return
        del self._nodes[node.name]
        self.affinity_pods -= len(node.with_affinity)
        for key, by_value in self._by_key.items():
            self._add(by_value, node.labels.get(key, ""), node.groups, -1)

    def affinity_changed(self, node: NodeInfo, delta: int) -> None:
        if self._nodes.get(node.name) is node:
            self.affinity_pods += delta

    def changed(self, node: NodeInfo, group: LabelGroup, delta: int) -> None:
        if self._nodes.get(node.name) is not node:
            return
        for key, by_value in self._by_key.items():
            self._add(by_value, node.labels.get(key, ""), {group: 1}, delta)

    @staticmethod
    def _add(by_value: dict[str, dict[LabelGroup, int]], value: str, groups: Mapping[LabelGroup, int],
             sign: int) -> None:
        bucket = by_value.setdefault(value, {})
        for group, n in groups.items():
            total = bucket.get(group, 0) + sign * n
            if total:
                bucket[group] = total
            else:
                bucket.pop(group, None)
        if not bucket:
            del by_value[value]

    def of(self, key: str) -> Mapping[str, Mapping[LabelGroup, int]]:
        """Per value of ``key``: the pod groups on the nodes with that value, counted."""
        by_value = self._by_key.get(key)
        if by_value is None:
            by_value = self._by_key[key] = {}
            for node in self._nodes.values():
                self._add(by_value, node.labels.get(key, ""), node.groups, 1)
        return by_value

    def __contains__(self, node: NodeInfo) -> bool:
        return self._nodes.get(node.name) is node

    def __len__(self) -> int:
        return len(self._nodes)


# -- filters --------------------------------------------------------------------------------------

Filter = Callable[[PodInfo, NodeInfo], Status | None]


def node_name(pod: PodInfo, node: NodeInfo) -> Status | None:
    """NodeName."""
    want = pod.spec.get("nodeName")
    if want and want != node.name:
        return unresolvable(ERR_NODE_NAME)
    return None


def _tolerated(tolerations: Iterable[Obj], taint: Obj) -> bool:
    return any(tolerates(t, taint) for t in tolerations if isinstance(t, dict))


def node_unschedulable(pod: PodInfo, node: NodeInfo) -> Status | None:
    """NodeUnschedulable: ``spec.unschedulable`` unless the pod tolerates its taint."""
    if not node.unschedulable:
        return None
    if _tolerated(pod.spec.get("tolerations") or [], {"key": UNSCHEDULABLE_TAINT, "effect": "NoSchedule"}):
        return None
    return unresolvable(ERR_UNSCHEDULABLE)


def fit(pod: PodInfo, node: NodeInfo) -> Status | None:
    """NodeResourcesFit: requests against allocatable minus what the node's pods request."""
    reasons = []
    if len(node.pods) + 1 > node.allocatable.get("pods", 0):
        reasons.append(ERR_TOO_MANY_PODS)
    for name, want in pod.requests.items():
        if name == "pods" or want <= 0:
            continue
        if want > node.allocatable.get(name, 0) - node.requested.get(name, 0):
            reasons.append(f"Insufficient {name}")
    return unschedulable(*reasons) if reasons else None


def _requirement_matches(req: Obj, labels: Mapping[str, str]) -> bool:
    """A ``NodeSelectorRequirement`` (In, NotIn, Exists, DoesNotExist, Gt, Lt)."""
    key, op, values = req.get("key") or "", req.get("operator"), req.get("values") or []
    has = key in labels
    if op == "In":
        return has and labels[key] in values
    if op == "NotIn":
        return not has or labels[key] not in values
    if op == "Exists":
        return has
    if op == "DoesNotExist":
        return not has
    if op in ("Gt", "Lt") and has and len(values) == 1:
        try:
            a, b = int(labels[key]), int(values[0])
        except ValueError:
            return False
        return a > b if op == "Gt" else a < b
    return False


def term_matches(term: Obj, node: NodeInfo) -> bool:
    """A ``NodeSelectorTerm``: its expressions and fields all match (an empty term matches nothing)."""
    exprs = term.get("matchExpressions") or []
    fields = term.get("matchFields") or []
    if not exprs and not fields:
        return False
    if not all(_requirement_matches(r, node.labels) for r in exprs):
        return False
    return all(_requirement_matches(r, {"metadata.name": node.name}) for r in fields)


def node_affinity_of(pod: PodInfo) -> Obj:
    affinity: Obj = (pod.spec.get("affinity") or {}).get("nodeAffinity") or {}
    return affinity


def node_affinity(pod: PodInfo, node: NodeInfo) -> Status | None:
    """NodeAffinity: ``nodeSelector`` and required node affinity (its terms ORed)."""
    labels = node.labels
    for k, v in (pod.spec.get("nodeSelector") or {}).items():
        if labels.get(k) != v:
            return unresolvable(ERR_NODE_AFFINITY)
    required = node_affinity_of(pod).get("requiredDuringSchedulingIgnoredDuringExecution")
    if required is not None:
        terms = required.get("nodeSelectorTerms") or []
        if not any(term_matches(t, node) for t in terms):
            return unresolvable(ERR_NODE_AFFINITY)
    return None


def taint_toleration(pod: PodInfo, node: NodeInfo) -> Status | None:
    """TaintToleration: the first ``NoSchedule``/``NoExecute`` taint the pod does not tolerate."""
    if not node.taints:
        return None
    tolerations = pod.spec.get("tolerations") or []
    for taint in node.taints:
        if taint.get("effect") in ("NoSchedule", "NoExecute") and not _tolerated(tolerations, taint):
            return unresolvable(ERR_TAINT)
    return None


def _ports_conflict(a: tuple[str, str, int], b: tuple[str, str, int]) -> bool:
    if a[1] != b[1] or a[2] != b[2]:
        return False
    return a[0] == b[0] or "0.0.0.0" in (a[0], b[0])


def node_ports(pod: PodInfo, node: NodeInfo) -> Status | None:
    """NodePorts: a host port (ip, protocol, port) another pod on the node already uses."""
    if not pod.ports:
        return None
    for other in node.pods.values():
        for used in other.ports:
            if any(_ports_conflict(p, used) for p in pod.ports):
                return unschedulable(ERR_NODE_PORTS)
    return None


# -- scores ---------------------------------------------------------------------------------------


def default_normalize(scores: dict[str, int], *, reverse: bool = False) -> None:
    """``helper.DefaultNormalizeScore(MaxNodeScore, reverse, scores)``, in place."""
    top = max(scores.values(), default=0)
    if top == 0:
        if reverse:
            for k in scores:
                scores[k] = MAX_NODE_SCORE
        return
    for k, v in scores.items():
        v = MAX_NODE_SCORE * v // top
        scores[k] = MAX_NODE_SCORE - v if reverse else v


_SCORED: Final = (("cpu", 1), ("memory", 1))


def least_allocated(pod: PodInfo, node: NodeInfo) -> int:
    """NodeResourcesFit's LeastAllocated strategy (cpu and memory, weight 1 each), on
    non-zero requests."""
    total = weights = 0
    for name, weight in _SCORED:
        capacity = node.allocatable.get(name, 0)
        if capacity == 0:  # a resource the node does not have is left out
            continue
        requested = node.non_zero_requested.get(name, 0) + pod.non_zero.get(name, 0)
        score = 0 if requested > capacity else (capacity - requested) * MAX_NODE_SCORE // capacity
        total += score * weight
        weights += weight
    return total // weights if weights else 0


def balanced_allocation(pod: PodInfo, node: NodeInfo) -> int:
    """NodeResourcesBalancedAllocation: 100 * (1 - the standard deviation of the requested
    fractions of cpu and memory), on actual requests."""
    alloc, used, want = node.allocatable, node.requested, pod.requests
    cpu, memory = alloc.get("cpu", 0), alloc.get("memory", 0)
    if not cpu or not memory:
        return MAX_NODE_SCORE  # one fraction or none: no deviation
    f_cpu = min((used.get("cpu", 0) + want.get("cpu", 0)) / cpu, 1.0)
    f_memory = min((used.get("memory", 0) + want.get("memory", 0)) / memory, 1.0)
    return int((1 - abs(f_cpu - f_memory) / 2) * MAX_NODE_SCORE)


def node_affinity_score(pod: PodInfo, node: NodeInfo) -> int:
    """NodeAffinity: the weights of the preferred terms the node matches."""
    total = 0
    for term in node_affinity_of(pod).get("preferredDuringSchedulingIgnoredDuringExecution") or []:
        weight = term.get("weight") or 0
        if weight and term_matches(term.get("preference") or {}, node):
            total += weight
    return total


def taint_toleration_score(pod: PodInfo, node: NodeInfo) -> int:
    """TaintToleration: how many ``PreferNoSchedule`` taints the pod does not tolerate
    (normalized in reverse)."""
    if not node.taints:
        return 0
    tolerations = [t for t in pod.spec.get("tolerations") or []
                   if isinstance(t, dict) and (t.get("effect") or "PreferNoSchedule") == "PreferNoSchedule"]
    return sum(1 for t in node.taints if t.get("effect") == "PreferNoSchedule" and not _tolerated(tolerations, t))
