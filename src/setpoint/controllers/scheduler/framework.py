"""One scheduling cycle over a snapshot, as ``schedule_one.go``'s ``schedulePod``: filter the
nodes (kube's sample of them), score the feasible ones, pick the best (ties at random); or
explain why none fits (:class:`FitError`, with what preemption could do).
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from setpoint.apimachinery.types import Obj
from setpoint.controllers.scheduler import affinity, spread
from setpoint.controllers.scheduler import plugins as p
from setpoint.controllers.scheduler.plugins import NodeInfo, PodInfo, Status

MIN_FEASIBLE_NODES: int = 100
MIN_FEASIBLE_PERCENTAGE: int = 5
NO_NODE_AVAILABLE = "0/{} nodes are available"
NO_NODES = "no nodes available to schedule pods"


def num_feasible_nodes_to_find(num_all: int) -> int:
    """``numFeasibleNodesToFind`` with the default adaptive ``percentageOfNodesToScore``."""
    if num_all < MIN_FEASIBLE_NODES:
        return num_all
    percentage = max(50 - num_all // 125, MIN_FEASIBLE_PERCENTAGE)
    return max(num_all * percentage // 100, MIN_FEASIBLE_NODES)


def histogram(statuses: dict[str, Status]) -> str:
    """The reasons counted and sorted as strings, as ``FitError.Error`` writes them."""
    counts: dict[str, int] = {}
    for status in statuses.values():
        for reason in status.reasons:
            counts[reason] = counts.get(reason, 0) + 1
    return ", ".join(sorted(f"{n} {reason}" for reason, n in counts.items()))


@dataclass
class FitError(Exception):
    """No node fits: ``framework.FitError`` and its ``Diagnosis``."""

    num_all_nodes: int
    statuses: dict[str, Status]
    pre_filter_msg: str = ""
    post_filter_msg: str = ""

    def message(self) -> str:
        if self.num_all_nodes == 0:
            return NO_NODES
        text = NO_NODE_AVAILABLE.format(self.num_all_nodes) + ":"
        if self.pre_filter_msg:
            text += f" {self.pre_filter_msg}."
        else:
            reasons = histogram(self.statuses)
            if reasons:
                text += f" {reasons}."
        if self.post_filter_msg:
            text += f" {self.post_filter_msg}."
        return text

    def __str__(self) -> str:
        return self.message()


REGION = "topology.kubernetes.io/region"
ZONE = "topology.kubernetes.io/zone"


def zone_of(node: NodeInfo) -> str:
    """``utilnode.GetZoneKey``: region and zone, or "" for a node with neither."""
    region, zone = node.labels.get(REGION, ""), node.labels.get(ZONE, "")
    return f"{region}:\x00:{zone}" if region or zone else ""


def node_tree_order(nodes: Sequence[NodeInfo]) -> list[NodeInfo]:
    """kube's ``nodeTree.list``: the nodes taken one zone after another, round robin (zones
    in the order first seen), so a sample of them spans the zones."""
    zones: dict[str, list[NodeInfo]] = {}
    for n in nodes:
        zones.setdefault(zone_of(n), []).append(n)
    if len(zones) <= 1:
        return list(nodes)
    out: list[NodeInfo] = []
    columns = list(zones.values())
    for i in range(max(len(c) for c in columns)):
        out.extend(c[i] for c in columns if i < len(c))
    return out


@dataclass
class Snapshot:
    """The nodes (in a stable order) and, through them, the bound pods of one cycle."""

    nodes: Sequence[NodeInfo]
    by_name: dict[str, NodeInfo] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.by_name = {n.name: n for n in self.nodes}


@dataclass
class CycleState:
    """What PreFilter computed for one pod over the whole snapshot."""

    pod_affinity: affinity.AffinityState
    topology_spread: spread.SpreadState | None
    #: The filters to run, in kube's order.
    filters: list[p.Filter]


#: The filters every pod runs; a pod needing no others takes :meth:`Framework.find_nodes_that_fit`'s short cut.
_PLAIN_FILTERS: list[p.Filter] = [p.node_unschedulable, p.taint_toleration, p.fit]


def _no_labels(_: str) -> Mapping[str, str]:
    return {}


def _no_selectors(_: PodInfo) -> list[Obj]:
    return []


class Framework:
    """The default profile: its filters and weighted scores; a round-robin start over the
    nodes, as kube's ``nextStartNodeIndex``; a seedable random tie-break."""

    #: Score plugins with kube's default weights.
    WEIGHTS: dict[str, int] = {
        "NodeResourcesFit": 1, "NodeResourcesBalancedAllocation": 1, "NodeAffinity": 2,
        "TaintToleration": 3, "InterPodAffinity": 2, "PodTopologySpread": 2,
    }

    def __init__(self, rng: random.Random | None = None, *,
                 namespace_labels: affinity.NamespaceLabels = _no_labels,
                 selectors: Callable[[PodInfo], list[Obj]] = _no_selectors) -> None:
        self.rng = rng or random.Random()
        self.next_start = 0
        #: A namespace's labels (for affinity terms' ``namespaceSelector``).
        self.namespace_labels = namespace_labels
        #: The selectors of the Services and ReplicaSets selecting a pod (default spreading).
        self.selectors = selectors
        #: Pending pods nominated to a node (``status.nominatedNodeName``), by node and pod.
        self.nominated: dict[str, dict[tuple[str, str], PodInfo]] = {}
        #: The pod groups per topology value of every node scored against (the scheduler's), if kept.
        self.topology: p.TopologyGroups | None = None
        #: Take :meth:`_schedule_plain` for the pods it covers (off: every pod the general way).
        self.fast = True
        #: One :class:`_Gives` for each thing a node can give a pod of :meth:`_schedule_plain`.
        self._gives: dict[tuple[int, _SpreadKind | None], _Gives] = {}

    def pre_filter(self, pod: PodInfo, nodes: Sequence[NodeInfo]) -> CycleState:
        """PreFilter: the counts of affinity and spreading, and the filters this pod needs
        (those with nothing to check for it -- no node name, no selector, no host port,
        no affinity counted -- are skipped, as kube's PreFilter ``Skip``)."""
        pod_affinity = affinity.pre_filter(pod, nodes, self.namespace_labels)
        topology_spread = spread.pre_filter(pod, nodes)
        spec = pod.spec
        filters: list[p.Filter] = [p.node_unschedulable]
        if spec.get("nodeName"):
            filters.append(p.node_name)
        filters.append(p.taint_toleration)
        if spec.get("nodeSelector") or p.node_affinity_of(pod).get("requiredDuringSchedulingIgnoredDuringExecution"):
            filters.append(p.node_affinity)
        if pod.ports:
            filters.append(p.node_ports)
        filters.append(p.fit)
        if pod_affinity.active:
            filters.append(lambda _, node: affinity.filter_(pod_affinity, node))
        if topology_spread is not None:
            filters.append(lambda pod, node: spread.filter_(topology_spread, pod, node))
        return CycleState(pod_affinity, topology_spread, filters)

    def filter_node(self, pod: PodInfo, node: NodeInfo, state: CycleState) -> Status | None:
        """``RunFilterPluginsWithNominatedPods``: the pods nominated to the node (by preemption)
        with at least this pod's priority count as if bound there; the pod must fit both with
        and without them."""
        nominated = self.nominated.get(node.name)
        if nominated:
            own = int(pod.spec.get("priority") or 0)
            ahead = [n for n in nominated.values()
                     if n.key != pod.key and int(n.spec.get("priority") or 0) >= own]
            if ahead:
                with_them = NodeInfo(node.node)
                for info in (*node.pods.values(), *ahead):
                    with_them.add_pod(info)
                status = self._run_filters(pod, with_them, state)
                if status is not None:
                    return status
        return self._run_filters(pod, node, state)

    @staticmethod
    def _run_filters(pod: PodInfo, node: NodeInfo, state: CycleState) -> Status | None:
        for f in state.filters:
            status = f(pod, node)
            if status is not None:
                return status
        return None

    def find_nodes_that_fit(self, pod: PodInfo, snap: Snapshot) -> tuple[list[NodeInfo], dict[str, Status]]:
        """``findNodesThatPassFilters``: from ``next_start``, until enough feasible nodes are found.

        A pod whose filters are only the ever-present ones (unschedulable, taints, resources)
        takes a short cut on the nodes with no taint, not unschedulable and no pod nominated
        to them: the resource check inline, the plugins only to word a failure."""
        nodes = snap.nodes
        n = len(nodes)
        want = num_feasible_nodes_to_find(n)
        feasible: list[NodeInfo] = []
        statuses: dict[str, Status] = {}
        processed = 0
        state = self.pre_filter(pod, nodes)
        plain = state.filters == _PLAIN_FILTERS
        wants = [(name, amount) for name, amount in pod.requests.items() if name != "pods" and amount > 0]
        nominated = self.nominated
        start = self.next_start
        for i in range(n):
            node = nodes[(start + i) % n]
            processed += 1
            if plain and not node.unschedulable and not node.taints and node.name not in nominated:
                alloc, used = node.allocatable, node.requested
                status = None
                if len(node.pods) >= alloc.get("pods", 0):
                    status = p.fit(pod, node)
                else:
                    for name, amount in wants:
                        if amount > alloc.get(name, 0) - used.get(name, 0):
                            status = p.fit(pod, node)
                            break
            else:
                status = self.filter_node(pod, node, state)
            if status is None:
                feasible.append(node)
                if len(feasible) >= want:
                    break
            else:
                statuses[node.name] = status
        if n:
            self.next_start = (start + processed) % n
        return feasible, statuses

    def score(self, pod: PodInfo, nodes: list[NodeInfo], all_nodes: Sequence[NodeInfo]) -> dict[str, int]:
        """``prioritizeNodes``: every score plugin, normalized, times its weight, summed."""
        weights = self.WEIGHTS
        totals = dict.fromkeys((n.name for n in nodes), 0)
        plugin_scores: list[tuple[str, dict[str, int]]] = []
        balanced = bool(pod.requests.get("cpu", 0) or pod.requests.get("memory", 0))  # best-effort: Skip
        fit_w, balanced_w = weights["NodeResourcesFit"], weights["NodeResourcesBalancedAllocation"]
        sig = pod.signature
        for n in nodes:
            # A node that did not change since it scored such a pod scores it the same.
            remembered = n.memo.get(sig)
            if remembered is not None and remembered[0] == n.generation:
                totals[n.name] = remembered[1]
                continue
            s = p.least_allocated(pod, n) * fit_w
            if balanced:
                s += p.balanced_allocation(pod, n) * balanced_w
            if len(n.memo) > 16:
                n.memo.clear()
            n.memo[sig] = (n.generation, s)
            totals[n.name] = s
        if p.node_affinity_of(pod).get("preferredDuringSchedulingIgnoredDuringExecution"):
            scores = {n.name: p.node_affinity_score(pod, n) for n in nodes}
            p.default_normalize(scores)
            plugin_scores.append(("NodeAffinity", scores))
        if any(n.taints for n in nodes):
            taints = {n.name: p.taint_toleration_score(pod, n) for n in nodes}
            p.default_normalize(taints, reverse=True)
            plugin_scores.append(("TaintToleration", taints))
        else:  # no taint anywhere: every node scores the most, normalized in reverse
            top = p.MAX_NODE_SCORE * weights["TaintToleration"]
            for name in totals:
                totals[name] += top
        topology = affinity.pre_score(pod, all_nodes, self.namespace_labels)
        if topology:
            scores = {n.name: affinity.score(topology, n) for n in nodes}
            affinity.normalize(scores)
            plugin_scores.append(("InterPodAffinity", scores))
        spreading = spread.pre_score(pod, nodes, all_nodes, self.selectors(pod), self.topology)
        if spreading is not None:
            scores = spread.scores(spreading, pod, nodes)
            spread.normalize(spreading, scores)
            plugin_scores.append(("PodTopologySpread", scores))
        for name, scores in plugin_scores:
            weight = weights[name]
            for node, s in scores.items():
                totals[node] += s * weight
        return totals

    def select_host(self, totals: dict[str, int]) -> str:
        """The highest total; ties at random."""
        best = max(totals.values())
        return self.rng.choice([name for name, s in totals.items() if s == best])

    def schedule(self, pod: PodInfo, snap: Snapshot) -> str:
        """The node for ``pod``, or :class:`FitError`."""
        if not snap.nodes:
            raise FitError(0, {})
        if self.fast:
            chosen = self._schedule_plain(pod, snap)
            if chosen is not None:
                return chosen
        feasible, statuses = self.find_nodes_that_fit(pod, snap)
        if not feasible:
            raise FitError(len(snap.nodes), statuses)
        if len(feasible) == 1:
            return feasible[0].name
        return self.select_host(self.score(pod, feasible, snap.nodes))

    def state_with(self, pod: PodInfo, snap: Snapshot, node: NodeInfo, trial: NodeInfo,
                   state: CycleState) -> CycleState:
        """PreFilter's state with ``node`` replaced by ``trial`` (its victims gone): computed
        again only when affinity or spreading count pods at all."""
        if not (state.pod_affinity.active or state.topology_spread is not None):
            return state
        return self.pre_filter(pod, [trial if n is node else n for n in snap.nodes])

    def _schedule_plain(self, pod: PodInfo, snap: Snapshot) -> str | None:
        """:meth:`schedule` for the common pod -- no node name, node selector or node affinity,
        no host ports, no pod (anti-)affinity of its own or on any node, no spreading
        constraints of its own -- on nodes without taints, none nominated to: the same filters,
        the same sample of nodes, the same scores summed in the same order and the same
        tie-break, with what each node gives such a pod remembered on the node until it changes.

        None when the pod or the cluster is not that case, or when no node fits (the general
        path then decides, and words the failure); nothing is changed then."""
        topology = self.topology
        nodes = snap.nodes
        n = len(nodes)
        spec = pod.spec
        if (topology is None or topology.affinity_pods or self.nominated or pod.has_affinity or pod.ports
                or spec.get("nodeName") or spec.get("nodeSelector") or spec.get("topologySpreadConstraints")
                or (spec.get("affinity") or {}).get("nodeAffinity") or len(topology) != n):
            return None
        ns = pod.key[0]
        constraints = spread.default_constraints(pod, self.selectors(pod))
        # What a node gives this pod depends on its requests and, when spreading, on what the
        # selector counts (its own matching pods, whether it has a hostname, its zone).
        # One string (its hash made once, not per node looked at), unlike any other memo key.
        memo_key = (f"plain\0{pod.signature}\0{constraints[0].selector}\0{ns}" if constraints
                    else f"plain\0{pod.signature}")
        want = num_feasible_nodes_to_find(n)
        start = self.next_start
        feasible: list[NodeInfo] = []
        # The feasible nodes (their places in ``feasible``) by what they give the pod (most nodes
        # give what many others do): the scores are summed once per group, not once per node.
        groups: dict[_Gives, list[int]] = {}
        processed = 0  # nodes looked at: where the next cycle starts
        order = itertools.chain(itertools.islice(nodes, start, None), itertools.islice(nodes, start))
        for processed, node in enumerate(order, 1):  # noqa: B007
            entry = node.memo.get(memo_key)
            if entry is None or entry[0] != node.generation:
                if node.unschedulable or node.taints:
                    return None
                entry = self._plain_entry(pod, node, constraints)
                if len(node.memo) > 16:
                    node.memo.clear()
                node.memo[memo_key] = entry
            gives = entry[1]
            if gives is not None:
                members = groups.get(gives)
                if members is None:
                    groups[gives] = [len(feasible)]
                else:
                    members.append(len(feasible))
                feasible.append(node)
                want -= 1
                if not want:
                    break
        if not feasible or feasible[0] not in topology:
            return None
        self.next_start = (start + processed) % n
        if len(feasible) == 1:
            return feasible[0].name
        # TaintToleration adds the same to every node here: left out of the sums.
        if constraints:
            totals = self._default_spreading(ns, groups, len(feasible), constraints, topology)
        else:
            totals = {gives: gives.score for gives in groups}
        best = max(totals.values())
        winners = [gives for gives, total in totals.items() if total == best]
        # The winners' nodes in the order they were found (one group's already are).
        places = groups[winners[0]] if len(winners) == 1 else sorted(
            itertools.chain.from_iterable(groups[gives] for gives in winners))
        return feasible[self.rng.choice(places)].name

    def _plain_entry(self, pod: PodInfo, node: NodeInfo, constraints: list[spread.Constraint]) -> _PlainEntry:
        """What ``node`` gives a pod of :meth:`_schedule_plain` (see there)."""
        if p.fit(pod, node) is not None:
            return (node.generation, None)
        weights = self.WEIGHTS
        s = p.least_allocated(pod, node) * weights["NodeResourcesFit"]
        if pod.requests.get("cpu", 0) or pod.requests.get("memory", 0):  # best-effort: Skip
            s += p.balanced_allocation(pod, node) * weights["NodeResourcesBalancedAllocation"]
        kind: _SpreadKind | None = None
        if constraints:
            by_host, by_zone = constraints
            labels = node.labels
            has_host = labels.get(by_host.topology_key) is not None
            own = by_host.count_groups(node.groups, pod.key[0]) if has_host else 0
            kind = (own, has_host, labels.get(by_zone.topology_key))
        gives = self._gives.get((s, kind))
        if gives is None:
            if len(self._gives) > _MAX_GIVES:
                self._gives.clear()  # two equal ones then group apart: their totals tie, no more
            gives = self._gives[(s, kind)] = _Gives(s, kind)
        return (node.generation, gives)

    def _default_spreading(self, ns: str, groups: Mapping[_Gives, list[int]], feasible: int,
                           constraints: list[spread.Constraint], topology: p.TopologyGroups) -> dict[_Gives, int]:
        """Each group's total: its resource score plus PodTopologySpread's score under kube's
        system defaults (by hostname, then by zone, over the selectors selecting the pod),
        normalized and weighted, over ``feasible`` nodes: :func:`spread.pre_score`,
        :func:`spread.scores` and :func:`spread.normalize` for this case, computed once per kind
        of node (its own matching pods, hostname label and zone)."""
        by_host, by_zone = constraints
        host_skew, zone_skew = by_host.max_skew - 1, by_zone.max_skew - 1
        kinds = {gives.spread for gives in groups if gives.spread is not None}  # (every group has one here)
        zone_groups = topology.of(by_zone.topology_key)
        zone_counts: dict[str | None, int] = {}
        for _, _, zone in kinds:
            if zone not in zone_counts:
                zone_counts[zone] = by_zone.count_groups(zone_groups.get(zone or "", {}), ns)
        # A node without the zone label is in the pair ("zone", "") for the pairs' count, but
        # scores nothing by zone.
        zones = len({zone or "" for zone in zone_counts})
        host_w, zone_w = math.log(feasible + 2), math.log(zones + 2)
        raw: dict[_SpreadKind | None, int] = {}
        for kind in kinds:
            own, has_host, zone = kind
            raw[kind] = math.floor((0.0 + (own * host_w + host_skew if has_host else 0.0))
                                   + (zone_counts[zone] * zone_w + zone_skew if zone is not None else 0.0) + 0.5)
        low, high = min(raw.values()), max(raw.values())
        weight = self.WEIGHTS["PodTopologySpread"]
        top = p.MAX_NODE_SCORE
        score = {kind: (top if high == 0 else top * (high + low - v) // high) * weight for kind, v in raw.items()}
        return {gives: gives.score + score[gives.spread] for gives in groups}


#: Its own pods the spreading selector matches, whether it has a hostname label, its zone.
_SpreadKind = tuple[int, bool, "str | None"]


class _Gives:
    """What a node gives a pod of :meth:`Framework._schedule_plain`: its resource score and its
    kind for spreading (None without spreading). One object for each (see
    ``Framework._gives``), compared by identity."""

    __slots__ = ("score", "spread")

    def __init__(self, score: int, spread: _SpreadKind | None) -> None:
        self.score = score
        self.spread = spread


#: What a node gives a pod of :meth:`Framework._schedule_plain`: (its generation, what it gives
#: the pod -- None when the pod does not fit).
_PlainEntry = tuple[int, "_Gives | None"]
#: The most :class:`_Gives` a framework keeps before it starts again.
_MAX_GIVES = 4096
