"""A disruption budget across clusters, in the manner of x-pdb (form3tech-oss/x-pdb).

An ``XPodDisruptionBudget`` (``fleet.setpoint.dev/v1alpha1``) names a label selector and a
``minAvailable`` or ``maxUnavailable`` (a count or a percentage) that hold for the pods it selects
in its namespace *across every member cluster* of a :class:`~setpoint.runtime.fleet.Fleet`.

Each member gets a validating webhook on ``pods/eviction``, served by :class:`XPDBWebhook`. For the
eviction of a pod some budget selects, the webhook:

1. locks the budget: one Lease ``xpdb-<budget>`` in the pod's namespace on *every* member, taken in
   the members' name order (so two deciders never wait on each other crosswise), each held for
   ``lease_seconds`` at most;
2. reads the pods the selector matches on every member (live lists, not caches), and counts the
   healthy ones: Ready, not being deleted, and not granted an eviction already (the Leases carry
   the pods granted and not yet gone, like a PodDisruptionBudget's ``status.disruptedPods``); the
   pods expected are their controllers' desired replicas (``/scale``) plus the pods without one,
   which is what a percentage or ``maxUnavailable`` counts against;
3. allows the eviction only if the healthy total stays at or above the budget's minimum without
   the pod; an allowed pod is recorded in the local Lease by a compare-and-swap write, which fails
   -- and the eviction is refused -- if the lock expired meanwhile;
4. releases the Leases.

A member that cannot be reached, or a lock not taken within ``lock_timeout``, refuses the eviction
(x-pdb's choice: an unknown state is no state to disrupt in). Refusals are kube's 429, which
``kubectl drain`` retries.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import random
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
from aiohttp import web
from pydantic import Field

from setpoint.models import CRDModel, CustomResource, PrinterColumn, Rule, crd_for
from setpoint.runtime import Client, Kind, errors
from setpoint.runtime.fleet import Fleet, Member
from setpoint.runtime.labels import from_label_selector
from setpoint.webhookcerts import WebhookCertificates, make_webhook_certificates

log = logging.getLogger(__name__)

POD = Kind("v1", "Pod")
LEASE = Kind("coordination.k8s.io/v1", "Lease")
CRD = Kind("apiextensions.k8s.io/v1", "CustomResourceDefinition")
VWC = Kind("admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration")
DISRUPTED = "fleet.setpoint.dev/disrupted-pods"
#: how long a granted eviction counts against the budget if its pod does not go (kube's DeletionTimeout)
DELETION_TIMEOUT = 120.0


class LabelSelector(CRDModel):
    """Which pods the budget covers (``matchLabels``)."""

    match_labels: dict[str, str] = Field(default_factory=dict, description="Labels the pods must all have.")


class XPodDisruptionBudgetSpec(CRDModel):
    """A budget for the pods ``selector`` matches in this namespace on every member cluster."""

    selector: LabelSelector
    min_available: int | str | None = Field(None, description="Healthy pods to keep across clusters: a count "
                                            "or a percentage of the pods selected.")
    max_unavailable: int | str | None = Field(None, description="Pods that may be unhealthy across clusters: "
                                              "a count or a percentage of the pods selected.")

    __validations__ = (Rule("has(self.minAvailable) != has(self.maxUnavailable)",
                            message="set exactly one of minAvailable and maxUnavailable"),)


class XPodDisruptionBudget(CustomResource, group="fleet.setpoint.dev", version="v1alpha1", short_names=("xpdb",),
                           printer_columns=(PrinterColumn("Min-Available", ".spec.minAvailable"),
                                            PrinterColumn("Max-Unavailable", ".spec.maxUnavailable"))):
    """A PodDisruptionBudget that holds across the member clusters of a fleet."""

    spec: XPodDisruptionBudgetSpec


XPDB = Kind("fleet.setpoint.dev/v1alpha1", "XPodDisruptionBudget")


def minimum_healthy(spec: XPodDisruptionBudgetSpec, expected: int) -> int:
    """The healthy pods the budget keeps, of ``expected`` selected (percentages round up, as kube's)."""
    def scaled(value: int | str) -> int:
        if isinstance(value, str) and value.endswith("%"):
            return math.ceil(expected * int(value[:-1]) / 100)
        return int(value)

    if spec.min_available is not None:
        return scaled(spec.min_available)
    assert spec.max_unavailable is not None
    return max(0, expected - scaled(spec.max_unavailable))


def pod_healthy(pod: dict[str, Any]) -> bool:
    """Ready and not being deleted."""
    if pod["metadata"].get("deletionTimestamp"):
        return False
    return any(c.get("type") == "Ready" and c.get("status") == "True"
               for c in (pod.get("status") or {}).get("conditions") or ())


#: controllers whose ``/scale`` says how many pods they want
SCALABLE = {("apps/v1", "ReplicaSet"), ("apps/v1", "StatefulSet"), ("v1", "ReplicationController")}


async def expected_pods(client: Client, pods: list[dict[str, Any]]) -> int:
    """How many of these pods should exist (kube's disruption controller's expected count): the
    desired replicas of their controllers (``/scale``), plus the pods without one, not being deleted."""
    owners: set[tuple[str, str, str, str]] = set()
    alone = 0
    for p in pods:
        ref = next((r for r in p["metadata"].get("ownerReferences") or () if r.get("controller")), None)
        if ref is not None and (ref["apiVersion"], ref["kind"]) in SCALABLE:
            owners.add((ref["apiVersion"], ref["kind"], ref["name"], p["metadata"]["namespace"]))
        elif not p["metadata"].get("deletionTimestamp"):
            alone += 1
    scales = await asyncio.gather(*(client.get(Kind(v, k), n, ns, subresource="scale") for v, k, n, ns in owners))
    return alone + sum(int((s.get("spec") or {}).get("replicas") or 0) for s in scales)


def _microtime(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _parse_time(text: str | None) -> float:
    if not text:
        return 0.0
    return datetime.strptime(text.replace("Z", "+0000"), "%Y-%m-%dT%H:%M:%S.%f%z").timestamp()


class LockTimeout(Exception):
    """A budget's Lease was not taken in time."""


@dataclass
class HeldLease:
    """A budget's Lease on one member, held by us."""

    cluster: str
    client: Client
    lease: dict[str, Any]
    disrupted: dict[str, float] = field(default_factory=dict)


async def acquire(cluster: str, client: Client, namespace: str, name: str, holder: str, *,
                  lease_seconds: int, deadline: float) -> HeldLease:
    """Take the Lease ``name`` (create it, or take it over when free or expired), retrying until ``deadline``."""
    while True:
        now = time.time()
        body = {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                "metadata": {"name": name, "namespace": namespace},
                "spec": {"holderIdentity": holder, "leaseDurationSeconds": lease_seconds,
                         "acquireTime": _microtime(now), "renewTime": _microtime(now)}}
        try:
            lease = await client.create(body)
            return HeldLease(cluster, client, lease)
        except errors.AlreadyExists:
            pass
        lease = await client.get(LEASE, name, namespace)
        spec = lease.get("spec") or {}
        expired = _parse_time(spec.get("renewTime")) + int(spec.get("leaseDurationSeconds") or 0) < now
        if not spec.get("holderIdentity") or expired:
            lease["spec"] = {**spec, **body["spec"]}
            with contextlib.suppress(errors.Conflict):
                taken = await client.update(lease)
                annotations = (taken["metadata"].get("annotations") or {}).get(DISRUPTED)
                return HeldLease(cluster, client, taken, orjson.loads(annotations) if annotations else {})
        if time.monotonic() >= deadline:
            raise LockTimeout(f"the Lease {namespace}/{name} on {cluster} is held by {spec.get('holderIdentity')}")
        await asyncio.sleep(0.005 + random.random() * 0.02)


async def peek(cluster: str, client: Client, namespace: str, name: str) -> HeldLease:
    """The Lease's record of granted evictions, without taking it (for a dry run)."""
    try:
        lease = await client.get(LEASE, name, namespace)
    except errors.NotFound:
        return HeldLease(cluster, client, {})
    annotations = (lease["metadata"].get("annotations") or {}).get(DISRUPTED)
    return HeldLease(cluster, client, lease, orjson.loads(annotations) if annotations else {})


async def release(held: HeldLease) -> dict[str, Any]:
    """Free the Lease, keeping its record of granted evictions; a compare-and-swap write (Conflict:
    the lock had expired and someone else took it)."""
    lease = held.lease
    lease["spec"] = {**lease["spec"], "holderIdentity": None}
    lease["metadata"].setdefault("annotations", {})[DISRUPTED] = orjson.dumps(held.disrupted).decode()
    return await held.client.update(lease)


@dataclass
class Decision:
    """One eviction decided: what was seen and what was answered (the webhook's history)."""

    cluster: str
    pod: str
    allowed: bool
    healthy: int
    minimum: int
    started: float
    finished: float
    reason: str


class XPDBWebhook:
    """The validating webhook of ``pods/eviction`` for every member of ``fleet``, on one HTTPS port."""

    def __init__(self, fleet: Fleet, *, lease_seconds: int = 5, lock_timeout: float = 8.0,
                 certs: WebhookCertificates | None = None) -> None:
        self.fleet = fleet
        self.lease_seconds = lease_seconds
        self.lock_timeout = lock_timeout
        self.certs = certs or make_webhook_certificates("127.0.0.1", "localhost")
        self.port = 0
        #: every decision, in the order they were made
        self.history: list[Decision] = []
        self._runner: web.AppRunner | None = None

    # -- serving --------------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> XPDBWebhook:
        app = web.Application()
        app.router.add_post("/evict/{cluster}", self._serve)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port, ssl_context=self.certs.server_context())
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def install(self, member: Member) -> None:
        """Serve the budget's CRD and this webhook on ``member`` (a fleet setup function)."""
        with contextlib.suppress(errors.AlreadyExists):
            await member.client.create(crd_for(XPodDisruptionBudget))
        config = {
            "apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingWebhookConfiguration",
            "metadata": {"name": "xpdb.fleet.setpoint.dev"},
            "webhooks": [{
                "name": "xpdb.fleet.setpoint.dev",
                "clientConfig": {"url": f"https://127.0.0.1:{self.port}/evict/{member.name}",
                                 "caBundle": self.certs.ca_bundle},
                "rules": [{"apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods/eviction"],
                           "operations": ["CREATE"]}],
                "failurePolicy": "Fail", "sideEffects": "NoneOnDryRun", "timeoutSeconds": 15,
                "admissionReviewVersions": ["v1"]}]}
        try:
            await member.client.create(config)
        except errors.AlreadyExists:
            current = await member.client.get(VWC, "xpdb.fleet.setpoint.dev")
            await member.client.update({**config, "metadata": current["metadata"]})

    async def _serve(self, request: web.Request) -> web.Response:
        review = await request.json()
        req = review["request"]
        cluster = request.match_info["cluster"]
        try:
            allowed, message = await self.decide(cluster, req["namespace"], req["name"],
                                                 dry_run=bool(req.get("dryRun")))
        except Exception as e:  # an unknown state: refuse, as x-pdb does
            log.warning("xpdb: eviction of %s/%s on %s refused: %r", req["namespace"], req["name"], cluster, e)
            allowed, message = False, f"cannot check the fleet's disruption budget: {e}"
        response: dict[str, Any] = {"uid": req["uid"], "allowed": allowed}
        if not allowed:
            response["status"] = {"code": 429, "reason": "TooManyRequests", "message": message}
        return web.json_response({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
                                  "response": response})

    # -- deciding -------------------------------------------------------------------------------

    async def decide(self, cluster: str, namespace: str, name: str, *, dry_run: bool = False) -> tuple[bool, str]:
        """Whether the pod ``namespace/name`` of member ``cluster`` may be evicted, and why."""
        started = time.monotonic()
        local = self.fleet.cluster(cluster).client
        try:
            pod = await local.get(POD, name, namespace)
        except errors.NotFound:
            return True, "no such pod"
        labels = pod["metadata"].get("labels") or {}
        budgets = [XPodDisruptionBudget.parse(b) for b in (await local.list(XPDB, namespace))["items"]]
        budgets = [b for b in budgets if b.spec.selector.match_labels
                   and from_label_selector({"matchLabels": b.spec.selector.match_labels}).matches(labels)]
        if not budgets:
            return True, "no XPodDisruptionBudget selects the pod"
        if len(budgets) > 1:
            return False, "more than one XPodDisruptionBudget selects the pod"
        if not pod_healthy(pod):
            return True, "the pod is not healthy: evicting it costs no availability"
        budget = budgets[0]
        selector = ",".join(f"{k}={v}" for k, v in sorted(budget.spec.selector.match_labels.items()))
        members = sorted(self.fleet.members)
        holder = f"{cluster}/{namespace}/{name}/{uuid.uuid4().hex[:8]}"
        deadline = time.monotonic() + self.lock_timeout
        held: list[HeldLease] = []
        lease_name = f"xpdb-{budget.metadata.name}"
        try:
            for member in members:
                if dry_run:  # no side effect: read the Leases' records without taking them
                    held.append(await peek(member, self.fleet.cluster(member).client, namespace, lease_name))
                    continue
                held.append(await acquire(member, self.fleet.cluster(member).client, namespace, lease_name, holder,
                                          lease_seconds=self.lease_seconds, deadline=deadline))
            listed = await asyncio.gather(*(self.fleet.cluster(m).client.list(POD, namespace, label_selector=selector)
                                            for m in members))
            now = time.time()
            granted = {k: t for h in held for k, t in h.disrupted.items() if now - t < DELETION_TIMEOUT}
            healthy = expected = 0
            present: set[str] = set()
            for member, pods in zip(members, listed, strict=True):
                expected += await expected_pods(self.fleet.cluster(member).client, pods["items"])
                for p in pods["items"]:
                    key = f"{member}/{p['metadata']['name']}"
                    present.add(key)
                    if pod_healthy(p) and key not in granted:
                        healthy += 1
            for h in held:  # forget granted evictions whose pods are gone (or too old)
                h.disrupted = {k: t for k, t in h.disrupted.items() if k in present and k in granted}
            minimum = minimum_healthy(budget.spec, expected)
            allowed = healthy - 1 >= minimum
            reason = (f"{healthy} of {expected} pods healthy across {len(members)} clusters, "
                      f"the budget {budget.metadata.name} keeps {minimum}")
            if allowed and not dry_run:
                local_held = next(h for h in held if h.cluster == cluster)
                local_held.disrupted[f"{cluster}/{name}"] = now
                held.remove(local_held)
                # the commit: fails (Conflict) if our lock expired and was taken meanwhile
                await release(local_held)
            self.history.append(Decision(cluster, name, allowed, healthy, minimum, started, time.monotonic(), reason))
            return allowed, ("allowed: " if allowed else "refused: ") + reason
        finally:
            for h in held if not dry_run else ():
                with contextlib.suppress(errors.ApiError):
                    await release(h)


__all__ = ["XPDB", "Decision", "XPDBWebhook", "XPodDisruptionBudget", "minimum_healthy", "pod_healthy"]
