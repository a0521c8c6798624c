"""PodTopologySpread: ``DoNotSchedule`` constraints as a filter (``maxSkew``, ``minDomains``,
``nodeAffinityPolicy`` Honor and ``nodeTaintsPolicy`` Ignore by default, ``matchLabelKeys``),
``ScheduleAnyway`` constraints -- or, for a pod with none, kube's system defaults over the
selectors of the Services and ReplicaSets that select it -- as a score: kube's
``plugins/podtopologyspread`` (``filtering.go``, ``scoring.go``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from setpoint.apimachinery import labels as labelsel
from setpoint.apimachinery.types import Obj
from setpoint.controllers.scheduler import plugins as p
from setpoint.controllers.scheduler.plugins import NodeInfo, PodInfo, Status

HOSTNAME = "kubernetes.io/hostname"
ZONE = "topology.kubernetes.io/zone"
#: kube's ``systemDefaultConstraints``.
SYSTEM_DEFAULTS: tuple[tuple[str, int], ...] = ((HOSTNAME, 3), (ZONE, 5))


@dataclass
class Constraint:
    """``topologySpreadConstraint``."""

    max_skew: int
    topology_key: str
    selector: labelsel.Selector
    min_domains: int = 1
    honor_affinity: bool = True
    honor_taints: bool = False

    #: Label groups (see :attr:`NodeInfo.groups`) this selector matches or not, remembered.
    matched: dict[p.LabelGroup, bool] = field(default_factory=dict)

    def includes(self, pod: PodInfo, node: NodeInfo) -> bool:
        """``matchNodeInclusionPolicies``."""
        if self.honor_affinity and _has_node_affinity(pod) and p.node_affinity(pod, node) is not None:
            return False
        return not (self.honor_taints and p.taint_toleration(pod, node) is not None)

    def count(self, node: NodeInfo, namespace: str) -> int:
        """``countPodsMatchSelector``: the node's pods of ``namespace``, not being deleted,
        that the selector matches (counted over the node's label groups)."""
        return self.count_groups(node.groups, namespace)

    def count_groups(self, groups: Mapping[p.LabelGroup, int], namespace: str) -> int:
        """The pods of ``namespace`` among ``groups`` that the selector matches."""
        n = 0
        matched = self.matched
        for group, count in groups.items():
            if group[0] != namespace:
                continue
            hit = matched.get(group)
            if hit is None:
                hit = matched[group] = self.selector.matches(dict(group[1]))
            if hit:
                n += count
        return n


def _has_node_affinity(pod: PodInfo) -> bool:
    """A node selector or required node affinity: what :func:`p.node_affinity` could refuse."""
    return bool(pod.spec.get("nodeSelector")
                or p.node_affinity_of(pod).get("requiredDuringSchedulingIgnoredDuringExecution"))


def constraints_of(pod: PodInfo, when: str) -> list[Constraint]:
    """The pod's constraints with ``whenUnsatisfiable == when`` (``filterTopologySpreadConstraints``)."""
    out = []
    labels = pod.labels
    for c in pod.spec.get("topologySpreadConstraints") or []:
        if c.get("whenUnsatisfiable") != when:
            continue
        raw = c.get("labelSelector")
        selector = dict(raw) if isinstance(raw, dict) else None
        keys = [k for k in c.get("matchLabelKeys") or [] if k in labels]
        if selector is not None and keys:
            selector["matchExpressions"] = [*(selector.get("matchExpressions") or []),
                                            *({"key": k, "operator": "In", "values": [labels[k]]} for k in keys)]
        try:
            sel = labelsel.as_selector(selector)
        except labelsel.SelectorError:
            continue
        out.append(Constraint(int(c.get("maxSkew") or 1), str(c.get("topologyKey") or ""), sel,
                              int(c.get("minDomains") or 1),
                              (c.get("nodeAffinityPolicy") or "Honor") == "Honor",
                              (c.get("nodeTaintsPolicy") or "Ignore") == "Honor"))
    return out


def default_constraints(pod: PodInfo, selectors: Sequence[Obj]) -> list[Constraint]:
    """``buildDefaultConstraints``: the system defaults over the merged selectors of the
    Services and ReplicaSets selecting the pod (none when nothing selects it)."""
    requirements: dict[str, str] = {}
    exprs: list[Obj] = []
    for s in selectors:
        requirements.update(s.get("matchLabels") or {})
        exprs.extend(s.get("matchExpressions") or [])
    if not requirements and not exprs:
        return []
    try:
        sel = labelsel.as_selector({"matchLabels": requirements, "matchExpressions": exprs})
    except labelsel.SelectorError:
        return []
    return [Constraint(skew, key, sel, 1, True, False) for key, skew in SYSTEM_DEFAULTS]


def _has_keys(node: NodeInfo, constraints: Sequence[Constraint]) -> bool:
    labels = node.labels
    return all(c.topology_key in labels for c in constraints)


@dataclass
class SpreadState:
    """PreFilter's counts per constraint and topology value."""

    constraints: list[Constraint]
    counts: list[dict[str, int]] = field(default_factory=list)

    def min_match(self, i: int) -> int:
        counts = self.counts[i]
        if len(counts) < self.constraints[i].min_domains:
            return 0
        return min(counts.values()) if counts else 1 << 31


def pre_filter(pod: PodInfo, nodes: Sequence[NodeInfo]) -> SpreadState | None:
    constraints = constraints_of(pod, "DoNotSchedule")
    if not constraints:
        return None
    state = SpreadState(constraints, [{} for _ in constraints])
    ns = pod.key[0]
    for node in nodes:
        if not _has_keys(node, constraints):
            continue
        for i, c in enumerate(constraints):
            if not c.includes(pod, node):
                continue
            value = node.labels[c.topology_key]
            state.counts[i][value] = state.counts[i].get(value, 0) + c.count(node, ns)
    return state


def filter_(state: SpreadState, pod: PodInfo, node: NodeInfo) -> Status | None:
    """``Filter``: existing matches + the pod itself - the global minimum <= maxSkew."""
    labels = node.labels
    own = pod.labels
    for i, c in enumerate(state.constraints):
        value = labels.get(c.topology_key)
        if value is None:
            return p.unresolvable(p.ERR_SPREAD_LABEL)
        self_match = 1 if c.selector.matches(own) else 0
        if state.counts[i].get(value, 0) + self_match - state.min_match(i) > c.max_skew:
            return p.unschedulable(p.ERR_SPREAD)
    return None


@dataclass
class SpreadScore:
    """PreScore's state: the constraints, pods per topology pair, nodes left out."""

    constraints: list[Constraint]
    pair_counts: dict[tuple[str, str], int]
    weights: list[float]
    ignored: set[str]


def pre_score(pod: PodInfo, filtered: Sequence[NodeInfo], all_nodes: Sequence[NodeInfo],
              selectors: Sequence[Obj], topology: p.TopologyGroups | None = None) -> SpreadScore | None:
    """``PreScore``: the pods matching each constraint per topology pair of the filtered nodes,
    counted over all nodes -- from ``topology`` (kept per value) when it holds exactly
    ``all_nodes`` and no node can be left out (system defaults, no node affinity to honor)."""
    own = bool(pod.spec.get("topologySpreadConstraints"))
    constraints = constraints_of(pod, "ScheduleAnyway") if own else default_constraints(pod, selectors)
    if not constraints:
        return None
    require_all = own  # system defaults: nodes without a zone still spread by hostname
    ignored: set[str] = set()
    pair_counts: dict[tuple[str, str], int] = {}
    sizes = [0] * len(constraints)
    for node in filtered:
        if require_all and not _has_keys(node, constraints):
            ignored.add(node.name)
            continue
        for i, c in enumerate(constraints):
            if c.topology_key == HOSTNAME:
                continue
            pair = (c.topology_key, node.labels.get(c.topology_key, ""))
            if pair not in pair_counts:
                pair_counts[pair] = 0
                sizes[i] += 1
    weights = []
    for i, c in enumerate(constraints):
        size = len(filtered) - len(ignored) if c.topology_key == HOSTNAME else sizes[i]
        weights.append(math.log(size + 2))
    ns = pod.key[0]
    # Pairs by hostname are never in pair_counts (the score counts a node's own pods): only
    # the other constraints count, and node inclusion is checked only when it can refuse.
    counted = [(c, c.topology_key, (c.honor_affinity and _has_node_affinity(pod)) or c.honor_taints)
               for c in constraints if c.topology_key != HOSTNAME]
    if not counted:
        return SpreadScore(constraints, pair_counts, weights, ignored)
    if topology is not None and not require_all and not any(check for _, _, check in counted) \
            and len(all_nodes) == len(topology) and (not filtered or filtered[0] in topology):
        for c, key, _ in counted:
            by_value = topology.of(key)
            for pair in pair_counts:
                if pair[0] == key:
                    pair_counts[pair] += c.count_groups(by_value.get(pair[1], {}), ns)
        return SpreadScore(constraints, pair_counts, weights, ignored)
    for node in all_nodes:
        if require_all and not _has_keys(node, constraints):
            continue
        labels = node.labels
        for c, key, check in counted:
            pair = (key, labels.get(key, ""))
            if pair in pair_counts and (not check or c.includes(pod, node)):
                pair_counts[pair] += c.count(node, ns)
    return SpreadScore(constraints, pair_counts, weights, ignored)


def score(state: SpreadScore, pod: PodInfo, node: NodeInfo) -> int:
    if node.name in state.ignored:
        return 0
    total = 0.0
    for i, c in enumerate(state.constraints):
        value = node.labels.get(c.topology_key)
        if value is None:
            continue
        if c.topology_key == HOSTNAME:
            count = c.count(node, pod.key[0])
        else:
            count = state.pair_counts.get((c.topology_key, value), 0)
        total += count * state.weights[i] + (c.max_skew - 1)
    return math.floor(total + 0.5)  # Go's math.Round: halves away from zero


def scores(state: SpreadScore, pod: PodInfo, nodes: Sequence[NodeInfo]) -> dict[str, int]:
    """:func:`score` for each of ``nodes``, by name (the same sums, the loop made once)."""
    ns = pod.key[0]
    # A node's own count (by hostname) is remembered on it until its pods change.
    parts = [(c, c.topology_key, ("spread", str(c.selector), ns) if c.topology_key == HOSTNAME else None,
              state.weights[i], c.max_skew - 1) for i, c in enumerate(state.constraints)]
    ignored, pair_counts = state.ignored, state.pair_counts
    out: dict[str, int] = {}
    for node in nodes:
        if node.name in ignored:
            out[node.name] = 0
            continue
        labels = node.labels
        total = 0.0
        for c, key, by_host, weight, skew in parts:
            value = labels.get(key)
            if value is None:
                continue
            if by_host is None:
                count = pair_counts.get((key, value), 0)
            else:
                remembered = node.memo.get(by_host)
                if remembered is not None and remembered[0] == node.generation:
                    count = remembered[1]
                else:
                    count = c.count_groups(node.groups, ns)
                    node.memo[by_host] = (node.generation, count)
            total += count * weight + skew
        out[node.name] = math.floor(total + 0.5)
    return out


def normalize(state: SpreadScore, scores: dict[str, int]) -> None:
    """``NormalizeScore``: fewer matching pods, higher score; ignored nodes 0."""
    valid = [v for k, v in scores.items() if k not in state.ignored]
    low = min(valid, default=0)
    high = max(valid, default=0)
    for k, v in scores.items():
        if k in state.ignored:
            scores[k] = 0
        elif high == 0:
            scores[k] = p.MAX_NODE_SCORE
        else:
            scores[k] = p.MAX_NODE_SCORE * (high + low - v) // high
