"""Helpers for the ReplicaSet and Deployment controllers' tests: nothing runs pods, so the tests
make them ready themselves."""

from __future__ import annotations

from typing import Any

from setpoint.apimachinery.clock import now_rfc3339
from setpoint.apimachinery.types import Obj
from setpoint.controllers.inprocess import InProcessClient
from setpoint.runtime import errors
from setpoint.runtime.client import items
from setpoint.runtime.resource import Kind

POD = Kind("v1", "Pod")
REPLICA_SET = Kind("apps/v1", "ReplicaSet")
DEPLOYMENT = Kind("apps/v1", "Deployment")
EVENT = Kind("v1", "Event")


def template(labels: dict[str, str], image: str = "nginx:1") -> dict[str, Any]:
    return {"metadata": {"labels": labels}, "spec": {"containers": [{"name": "app", "image": image}]}}


def replica_set(name: str, replicas: int, labels: dict[str, str], **spec: Any) -> dict[str, Any]:
    return {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": name, "namespace": "default"},
            "spec": {"replicas": replicas, "selector": {"matchLabels": labels}, "template": template(labels),
                     **spec}}


def deployment(name: str, replicas: int, labels: dict[str, str], image: str = "nginx:1",
               **spec: Any) -> dict[str, Any]:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": "default"},
            "spec": {"replicas": replicas, "selector": {"matchLabels": labels},
                     "template": template(labels, image), **spec}}


async def pods(client: InProcessClient, selector: str, namespace: str = "default") -> list[Obj]:
    return list(items(await client.list(POD, namespace, label_selector=selector)))


async def make_ready(client: InProcessClient, pod: Obj, ready: bool = True) -> None:
    """What a kubelet would do: Running, and the Ready condition."""
    status = "True" if ready else "False"
    patch = {"status": {"phase": "Running", "conditions": [
        {"type": "Ready", "status": status, "lastTransitionTime": now_rfc3339()}]}}
    try:
        await client.patch(POD, pod["metadata"]["name"], patch, pod["metadata"]["namespace"], subresource="status")
    except errors.NotFound:
        pass


async def events_of(client: InProcessClient, name: str, namespace: str = "default") -> list[Obj]:
    return [e for e in items(await client.list(EVENT, namespace))
            if e["involvedObject"].get("name") == name]
