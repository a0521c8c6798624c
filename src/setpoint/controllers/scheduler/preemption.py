"""DefaultPreemption (``framework/preemption/preemption.go``, ``plugins/defaultpreemption``):
when no node fits a pod, find the node where deleting the fewest, least important pods of
lower priority makes room -- sparing pods whose PodDisruptionBudget allows no disruption
when possible -- or say why no node can be made to fit.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from setpoint.apimachinery import labels as labelsel
from setpoint.apimachinery.types import Obj
from setpoint.controllers.scheduler import plugins as p
from setpoint.controllers.scheduler.framework import CycleState, FitError, Framework, Snapshot
from setpoint.controllers.scheduler.plugins import NodeInfo, PodInfo, Status

NOT_HELPFUL = "Preemption is not helpful for scheduling"
NO_VICTIMS = "No preemption victims found for incoming pod"
NEVER = "not eligible due to preemptionPolicy=Never"
#: DynamicResources' PostFilter runs before DefaultPreemption's in kube's default profile (DRA is on
#: by default since 1.34): for a pod without ResourceClaims (setpoint serves none) it answers this,
#: and the framework joins the failed PostFilters' reasons with ", ".
NO_CLAIMS = "no new claims to deallocate"
PREFIX = NO_CLAIMS + ", preemption: "
#: ``DefaultPreemptionArgs``' defaults: how many candidates the dry run looks for.
MIN_CANDIDATE_NODES_PERCENTAGE = 10
MIN_CANDIDATE_NODES_ABSOLUTE = 100
#: Go's math.MaxInt32 + 1, added to each victim's priority before summing (kube's offset).
_PRIORITY_OFFSET = 1 << 31
#: What a pod that has not started counts as (``GetPodStartTime``: now, later than any time).
_NOT_STARTED = "9999-12-31T23:59:59Z"


def priority(info: PodInfo) -> int:
    return int(info.spec.get("priority") or 0)


def start_time(info: PodInfo) -> str:
    return str((info.pod.get("status") or {}).get("startTime") or _NOT_STARTED)


def more_important(a: PodInfo, b: PodInfo) -> bool:
    """``util.MoreImportantPod``: higher priority, then started earlier."""
    pa, pb = priority(a), priority(b)
    if pa != pb:
        return pa > pb
    return start_time(a) < start_time(b)


def _by_importance(pods: list[PodInfo]) -> list[PodInfo]:
    def cmp(a: PodInfo, b: PodInfo) -> int:
        return -1 if more_important(a, b) else (1 if more_important(b, a) else 0)
    return sorted(pods, key=functools.cmp_to_key(cmp))


def split_by_pdb(pods: Sequence[PodInfo], pdbs: Sequence[Obj]) -> tuple[list[PodInfo], list[PodInfo]]:
    """``filterPodsWithPDBViolation``: the pods whose eviction would take a matching PDB's
    ``disruptionsAllowed`` below zero, and the others."""
    allowed = [int((pdb.get("status") or {}).get("disruptionsAllowed") or 0) for pdb in pdbs]
    selectors: list[labelsel.Selector | None] = []
    for pdb in pdbs:
        try:
            raw = (pdb.get("spec") or {}).get("selector")
            selectors.append(labelsel.as_selector(raw) if raw else None)  # nil or empty: matches nothing
        except labelsel.SelectorError:
            selectors.append(None)
    violating: list[PodInfo] = []
    other: list[PodInfo] = []
    for info in pods:
        violated = False
        if info.labels:
            for i, pdb in enumerate(pdbs):
                selector = selectors[i]
                if pdb["metadata"].get("namespace") != info.key[0] or selector is None \
                        or not selector.matches(info.labels):
                    continue
                if info.key[1] in ((pdb.get("status") or {}).get("disruptedPods") or {}):
                    continue
                allowed[i] -= 1
                if allowed[i] < 0:
                    violated = True
        (violating if violated else other).append(info)
    return violating, other


@dataclass
class Candidate:
    """A node and the pods to delete there; how many of them a PDB protects."""

    node: NodeInfo
    victims: list[PodInfo]
    pdb_violations: int


@dataclass
class Outcome:
    """What PostFilter answers: a candidate to act on, or the message saying why none (with
    DynamicResources' reason before preemption's, as ``RunPostFilterPlugins`` joins them)."""

    candidate: Candidate | None
    message: str


class Evaluator:
    """The preemption ``Evaluator`` over one framework."""

    def __init__(self, framework: Framework) -> None:
        self.framework = framework

    def _fits(self, pod: PodInfo, snap: Snapshot, node: NodeInfo, trial: NodeInfo, state: CycleState) -> Status | None:
        fw = self.framework
        return fw.filter_node(pod, trial, fw.state_with(pod, snap, node, trial, state))

    def select_victims(self, pod: PodInfo, snap: Snapshot, node: NodeInfo,
                       state: CycleState, pdbs: Sequence[Obj]) -> tuple[Candidate | None, Status | None]:
        """``SelectVictimsOnNode``: remove every lower-priority pod; if the pod then fits, put
        back as many as possible, most important first (PDB-protected ones before others)."""
        own = priority(pod)
        potential = [info for info in node.pods.values() if priority(info) < own]
        if not potential:
            return None, p.unresolvable(NO_VICTIMS)
        trial = NodeInfo(node.node)
        victims_keys = {info.key for info in potential}
        for info in node.pods.values():
            if info.key not in victims_keys:
                trial.add_pod(info)
        status = self._fits(pod, snap, node, trial, state)
        if status is not None:
            return None, status
        violating, non_violating = split_by_pdb(_by_importance(potential), pdbs)
        victims: list[PodInfo] = []
        violations = 0
        for group, protected in ((violating, True), (non_violating, False)):
            for info in group:
                trial.add_pod(info)
                if self._fits(pod, snap, node, trial, state) is not None:
                    trial.remove_pod(info.key)
                    victims.append(info)
                    violations += protected
        return Candidate(node, _by_importance(victims), violations), None

    def preempt(self, pod: PodInfo, snap: Snapshot, statuses: Mapping[str, Status],
                pdbs: Sequence[Obj]) -> Outcome:
        """``Evaluator.Preempt``: eligibility, the dry run over the nodes where preemption
        might help, the best candidate."""
        if pod.spec.get("preemptionPolicy") == "Never":
            return Outcome(None, PREFIX + NEVER)
        fw = self.framework
        state = fw.pre_filter(pod, snap.nodes)
        results: dict[str, Status] = {}
        potential = []
        for node in snap.nodes:
            status = statuses.get(node.name)
            if status is not None and status.unresolvable:
                results[node.name] = p.unresolvable(NOT_HELPFUL)
            else:
                potential.append(node)
        wanted = min(max(len(potential) * MIN_CANDIDATE_NODES_PERCENTAGE // 100, MIN_CANDIDATE_NODES_ABSOLUTE),
                     len(potential))
        candidates: list[Candidate] = []
        offset = fw.rng.randrange(len(potential)) if potential else 0
        for i in range(len(potential)):
            node = potential[(offset + i) % len(potential)]
            candidate, status = self.select_victims(pod, snap, node, state, pdbs)
            if candidate is not None:
                candidates.append(candidate)
                if len(candidates) >= wanted:
                    break
            elif status is not None:
                results[node.name] = status
        if not candidates:
            return Outcome(None, PREFIX + FitError(len(results), results).message().removesuffix("."))
        return Outcome(pick_one(candidates), "")


def pick_one(candidates: list[Candidate]) -> Candidate:
    """``pickOneNodeForPreemption``: fewest PDB violations, then the lowest highest victim
    priority, the lowest sum of priorities, the fewest victims, the latest start of the
    most important victims; then the first."""
    def narrow(pool: list[Candidate], key: Callable[[Candidate], int]) -> list[Candidate]:
        scores = [key(c) for c in pool]
        best = min(scores)
        return [c for c, s in zip(pool, scores, strict=True) if s == best]

    pool = list(candidates)
    keys: tuple[Callable[[Candidate], int], ...] = (lambda c: c.pdb_violations,
                lambda c: priority(c.victims[0]) if c.victims else -_PRIORITY_OFFSET,
                lambda c: sum(priority(v) + _PRIORITY_OFFSET for v in c.victims),
                lambda c: len(c.victims))
    for key in keys:
        pool = narrow(pool, key)
        if len(pool) == 1:
            return pool[0]

    def earliest_top_start(c: Candidate) -> str:
        if not c.victims:
            return _NOT_STARTED
        top = priority(c.victims[0])
        return min(start_time(v) for v in c.victims if priority(v) == top)
    latest = max(earliest_top_start(c) for c in pool)
    return next(c for c in pool if earliest_top_start(c) == latest)
