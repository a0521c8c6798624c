"""Helpers for the StatefulSet and DaemonSet controllers' tests: objects, and pods driven
to Running and Ready as a kubelet would (through ``pods/status``)."""

from __future__ import annotations

from typing import Any

from setpoint.apimachinery.clock import now_rfc3339
from setpoint.apimachinery.types import Obj
from setpoint.runtime import errors
from setpoint.runtime.client import Client
from setpoint.runtime.resource import Kind

POD = Kind("v1", "Pod")
NODE = Kind("v1", "Node")
STS = Kind("apps/v1", "StatefulSet")
DS = Kind("apps/v1", "DaemonSet")
REVISION = Kind("apps/v1", "ControllerRevision")
PVC = Kind("v1", "PersistentVolumeClaim")
EVENT = Kind("v1", "Event")


def workload(kind: str, name: str, namespace: str, image: str = "nginx:1.27", **spec: Any) -> Obj:
    return {"apiVersion": "apps/v1", "kind": kind, "metadata": {"name": name, "namespace": namespace},
            "spec": {"selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [{"name": "app", "image": image}]}}, **spec}}


async def set_pod_ready(client: Client, name: str, namespace: str, ready: bool = True,
                        phase: str = "Running") -> Obj:
    """What a kubelet reports: the pod's phase and its Ready condition."""
    status = {"phase": phase, "conditions": [{"type": "Ready", "status": "True" if ready else "False",
                                              "lastTransitionTime": now_rfc3339()}]}
    return await client.patch(POD, name, {"status": status}, namespace, subresource="status")


async def pod_names(client: Client, namespace: str, selector: str | None = None) -> list[str]:
    listing = await client.list(POD, namespace, label_selector=selector)
    return sorted(p["metadata"]["name"] for p in listing.get("items") or [])


async def get_or_none(client: Client, kind: Kind, name: str, namespace: str | None = None) -> Obj | None:
    try:
        return await client.get(kind, name, namespace)
    except errors.NotFound:
        return None


async def event_messages(client: Client, namespace: str, name: str) -> list[str]:
    listing = await client.list(EVENT, namespace, field_selector=f"involvedObject.name={name}")
    return [e["message"] for e in sorted(listing.get("items") or [], key=lambda e: e["metadata"]["name"])]


def node(name: str, labels: dict[str, str] | None = None, taints: list[Obj] | None = None) -> Obj:
    spec: Obj = {"taints": taints} if taints else {}
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": {
        "kubernetes.io/hostname": name, **(labels or {})}}, "spec": spec}


async def pods_are(client: Client, namespace: str, expected: list[str]) -> bool:
    """An ``eventually`` check: the namespace's pods are exactly ``expected``."""
    names = await pod_names(client, namespace)
    assert names == expected, names
    return True
