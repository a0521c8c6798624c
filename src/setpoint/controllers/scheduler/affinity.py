"""InterPodAffinity: required pod affinity and anti-affinity (the incoming pod's, and the
anti-affinity of the pods already placed) as a filter, preferred terms as a score -- kube's
``plugins/interpodaffinity`` (``filtering.go``, ``scoring.go``), counting matches per
topology pair ``(topologyKey, the node's value)``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from setpoint.apimachinery import labels as labelsel
from setpoint.apimachinery.types import Obj
from setpoint.controllers.scheduler import plugins as p
from setpoint.controllers.scheduler.plugins import NodeInfo, PodInfo, Status

#: The labels of a namespace, by name (for ``namespaceSelector``).
NamespaceLabels = Callable[[str], Mapping[str, str]]
Pair = tuple[str, str]

#: ``InterPodAffinityArgs.hardPodAffinityWeight``'s default.
HARD_POD_AFFINITY_WEIGHT = 1


@dataclass
class Term:
    """``framework.AffinityTerm``: which pods (namespaces and selector) in which topology."""

    topology_key: str
    selector: labelsel.Selector
    namespaces: frozenset[str]
    namespace_selector: labelsel.Selector | None
    weight: int = 0

    def matches(self, pod: Obj, ns_labels: NamespaceLabels) -> bool:
        meta = pod["metadata"]
        ns = meta.get("namespace") or ""
        if ns not in self.namespaces and (self.namespace_selector is None
                                          or not self.namespace_selector.matches(ns_labels(ns))):
            return False
        return self.selector.matches(meta.get("labels") or {})


def _term(raw: Obj, owner: Obj, weight: int = 0) -> Term:
    meta = owner["metadata"]
    own_labels: Mapping[str, str] = meta.get("labels") or {}
    selector = dict(raw.get("labelSelector") or {}) if raw.get("labelSelector") is not None else None
    if selector is not None:
        # matchLabelKeys / mismatchLabelKeys: the owner's values of those keys, In / NotIn.
        exprs = list(selector.get("matchExpressions") or [])
        for key in raw.get("matchLabelKeys") or []:
            if key in own_labels:
                exprs.append({"key": key, "operator": "In", "values": [own_labels[key]]})
        for key in raw.get("mismatchLabelKeys") or []:
            if key in own_labels:
                exprs.append({"key": key, "operator": "NotIn", "values": [own_labels[key]]})
        selector["matchExpressions"] = exprs
    try:
        sel = labelsel.as_selector(selector)
    except labelsel.SelectorError:
        sel = labelsel.as_selector(None)
    namespaces = frozenset(raw.get("namespaces") or ())
    ns_selector_raw = raw.get("namespaceSelector")
    ns_selector = None
    if ns_selector_raw is not None:
        try:
            ns_selector = labelsel.as_selector(ns_selector_raw)
        except labelsel.SelectorError:
            ns_selector = None
    if not namespaces and ns_selector is None:
        namespaces = frozenset((meta.get("namespace") or "",))
    return Term(str(raw.get("topologyKey") or ""), sel, namespaces, ns_selector, weight)


@dataclass
class AffinityTerms:
    """A pod's parsed affinity terms (``framework.PodInfo``'s)."""

    required_affinity: list[Term] = field(default_factory=list)
    required_anti_affinity: list[Term] = field(default_factory=list)
    preferred_affinity: list[Term] = field(default_factory=list)
    preferred_anti_affinity: list[Term] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.required_affinity or self.required_anti_affinity or self.preferred_affinity
                    or self.preferred_anti_affinity)


def terms_of(pod: Obj) -> AffinityTerms:
    affinity = (pod.get("spec") or {}).get("affinity") or {}
    out = AffinityTerms()
    for kind, req, pref in (("podAffinity", out.required_affinity, out.preferred_affinity),
                            ("podAntiAffinity", out.required_anti_affinity, out.preferred_anti_affinity)):
        rules = affinity.get(kind) or {}
        req.extend(_term(t, pod) for t in rules.get("requiredDuringSchedulingIgnoredDuringExecution") or [])
        pref.extend(_term(t.get("podAffinityTerm") or {}, pod, int(t.get("weight") or 0))
                    for t in rules.get("preferredDuringSchedulingIgnoredDuringExecution") or [])
    return out


def _terms(info: PodInfo) -> AffinityTerms:
    """The terms of a pod, parsed once and kept on its :class:`PodInfo`."""
    cached = info.extra.get("affinity")
    if not isinstance(cached, AffinityTerms):
        cached = info.extra["affinity"] = terms_of(info.pod)
    return cached


def _count(counts: dict[Pair, int], node: NodeInfo, key: str, value: int) -> None:
    tv = node.labels.get(key)
    if tv is not None:
        pair = (key, tv)
        counts[pair] = counts.get(pair, 0) + value
        if counts[pair] == 0:
            del counts[pair]


@dataclass
class AffinityState:
    """PreFilter's counts for one incoming pod."""

    pod: PodInfo
    terms: AffinityTerms
    existing_anti_affinity: dict[Pair, int]
    affinity: dict[Pair, int]
    anti_affinity: dict[Pair, int]
    ns_labels: NamespaceLabels

    @property
    def active(self) -> bool:
        """Anything for the filter to check."""
        return bool(self.terms.required_affinity or self.terms.required_anti_affinity
                    or self.existing_anti_affinity)


def pre_filter(pod: PodInfo, nodes: Sequence[NodeInfo], ns_labels: NamespaceLabels) -> AffinityState:
    """Count, per topology pair, the existing pods whose required anti-affinity the pod
    matches, and the existing pods that match the pod's required (anti-)affinity terms."""
    terms = _terms(pod)
    existing: dict[Pair, int] = {}
    affinity: dict[Pair, int] = {}
    anti: dict[Pair, int] = {}
    every_pod = bool(terms.required_affinity or terms.required_anti_affinity)
    for node in nodes:
        if every_pod:
            others: Iterable[PodInfo] = node.pods.values()
        elif node.with_required_anti_affinity:
            others = [node.pods[k] for k in node.with_required_anti_affinity]
        else:
            continue
        for other in others:
            other_terms = _terms(other)
            for t in other_terms.required_anti_affinity:
                if t.matches(pod.pod, ns_labels):
                    _count(existing, node, t.topology_key, 1)
            if terms.required_affinity and all(t.matches(other.pod, ns_labels) for t in terms.required_affinity):
                for t in terms.required_affinity:
                    _count(affinity, node, t.topology_key, 1)
            for t in terms.required_anti_affinity:
                if t.matches(other.pod, ns_labels):
                    _count(anti, node, t.topology_key, 1)
    return AffinityState(pod, terms, existing, affinity, anti, ns_labels)


def filter_(state: AffinityState, node: NodeInfo) -> Status | None:
    """``Filter``: affinity, then the pod's anti-affinity, then the existing pods' anti-affinity."""
    labels = node.labels
    pods_exist = True
    for t in state.terms.required_affinity:
        tv = labels.get(t.topology_key)
        if tv is None:
            return p.unresolvable(p.ERR_AFFINITY)
        if state.affinity.get((t.topology_key, tv), 0) <= 0:
            pods_exist = False
    # The first of a group of pods with affinity to each other may go anywhere.
    if not pods_exist and (state.affinity or not all(t.matches(state.pod.pod, state.ns_labels)
                                                     for t in state.terms.required_affinity)):
        return p.unresolvable(p.ERR_AFFINITY)
    if state.anti_affinity:
        for t in state.terms.required_anti_affinity:
            tv = labels.get(t.topology_key)
            if tv is not None and state.anti_affinity.get((t.topology_key, tv), 0) > 0:
                return p.unschedulable(p.ERR_ANTI_AFFINITY)
    if state.existing_anti_affinity:
        for pair in labels.items():
            if state.existing_anti_affinity.get(pair, 0) > 0:
                return p.unschedulable(p.ERR_EXISTING_ANTI_AFFINITY)
    return None


def _process(scores: dict[str, dict[str, int]], terms: Iterable[Term], pod: Obj, ns_labels: NamespaceLabels,
             node: NodeInfo, multiplier: int, weight: int | None = None) -> None:
    for t in terms:
        if t.matches(pod, ns_labels):
            tv = node.labels.get(t.topology_key)
            if tv is not None:
                by_value = scores.setdefault(t.topology_key, {})
                by_value[tv] = by_value.get(tv, 0) + (t.weight if weight is None else weight) * multiplier


def pre_score(pod: PodInfo, nodes: Sequence[NodeInfo], ns_labels: NamespaceLabels) -> dict[str, dict[str, int]]:
    """``PreScore``: weights per topology key and value, from the pod's preferred terms
    matching existing pods, and existing pods' required affinity (``hardPodAffinityWeight``)
    and preferred terms matching the pod."""
    terms = _terms(pod)
    has_constraints = bool(terms.preferred_affinity or terms.preferred_anti_affinity)
    scores: dict[str, dict[str, int]] = {}
    for node in nodes:
        if not node.labels:
            continue
        if has_constraints:
            others: Iterable[PodInfo] = node.pods.values()
        elif node.with_affinity:
            others = [node.pods[k] for k in node.with_affinity]
        else:
            continue
        for other in others:
            other_terms = _terms(other)
            _process(scores, terms.preferred_affinity, other.pod, ns_labels, node, 1)
            _process(scores, terms.preferred_anti_affinity, other.pod, ns_labels, node, -1)
            _process(scores, other_terms.required_affinity, pod.pod, ns_labels, node, 1, HARD_POD_AFFINITY_WEIGHT)
            _process(scores, other_terms.preferred_affinity, pod.pod, ns_labels, node, 1)
            _process(scores, other_terms.preferred_anti_affinity, pod.pod, ns_labels, node, -1)
    return scores


def score(topology_scores: Mapping[str, Mapping[str, int]], node: NodeInfo) -> int:
    labels = node.labels
    return sum(values.get(labels[key], 0) for key, values in topology_scores.items() if key in labels)


def normalize(scores: dict[str, int]) -> None:
    """``NormalizeScore``: scaled between the lowest (0) and the highest (100)."""
    if not scores:
        return
    low, high = min(scores.values()), max(scores.values())
    diff = high - low
    for k, v in scores.items():
        scores[k] = int(p.MAX_NODE_SCORE * ((v - low) / diff)) if diff > 0 else 0
