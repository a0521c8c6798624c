"""The namespace controller and the CRD finalizer, on setpoint.runtime over the in-process client.

What they keep while content is left (kube's conditions and messages), how a failed
delete is retried (per-item exponential backoff, counted in the controller-runtime
metrics), and that releasing the content releases the namespace or the CRD.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from controllers_helpers import RefuseDeletes

from setpoint.apimachinery.types import Obj
from setpoint.apiserver.server import APIServer
from setpoint.controllers.inprocess import InProcessClient
from setpoint.controllers.manager import ControllerManager
from setpoint.runtime import conditions, errors
from setpoint.runtime import metrics as m
from setpoint.runtime.reconcile import Request
from setpoint.runtime.resource import Kind
from setpoint.testing import eventually

CONFIG_MAP = Kind("v1", "ConfigMap")
NAMESPACE = Kind("v1", "Namespace")
CRD = Kind("apiextensions.k8s.io/v1", "CustomResourceDefinition")
WIDGET = Kind("example.com/v1", "Widget")
TIMEOUT = 10.0

WIDGET_CRD: Obj = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "widgets.example.com"},
    "spec": {
        "group": "example.com",
        "scope": "Namespaced",
        "names": {"plural": "widgets", "singular": "widget", "kind": "Widget", "listKind": "WidgetList"},
        "versions": [{
            "name": "v1", "served": True, "storage": True,
            "schema": {"openAPIV3Schema": {"type": "object", "properties": {
                "spec": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}}}},
        }],
    },
}


@pytest.fixture
async def controllers(api: APIServer) -> AsyncIterator[ControllerManager]:
    cm = ControllerManager(api.registry, api.objects)
    await cm.start()
    try:
        yield cm
    finally:
        await cm.stop()


def configmap(name: str, namespace: str, **meta: Any) -> Obj:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": namespace, **meta}}


def sample(metric: str, **labels: str) -> float:
    return m.REGISTRY.get_sample_value(metric, labels) or 0.0


async def gone(client: InProcessClient, kind: Kind, name: str, namespace: str | None = None) -> bool:
    try:
        await client.get(kind, name, namespace)
    except errors.NotFound:
        return True
    return False


def condition(obj: Obj, type_: str) -> Obj:
    found = conditions.get_condition((obj.get("status") or {}).get("conditions"), type_)
    assert found is not None, (type_, obj.get("status"))
    return dict(found)


async def namespace_condition(client: InProcessClient, name: str, type_: str, status: str) -> Obj:
    ns = await client.get(NAMESPACE, name)
    c = condition(ns, type_)
    assert c["status"] == status, c
    return c


def waiting(check: Callable[[], Awaitable[Any]]) -> Awaitable[Any]:
    return eventually(check, timeout=TIMEOUT)


async def test_finalizing_content_keeps_the_namespace_until_released(
        client: InProcessClient, controllers: ControllerManager) -> None:
    await client.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "doomed"}})
    await client.create(configmap("plain", "doomed"))
    await client.create(configmap("held", "doomed", finalizers=["example.com/hold"]))
    successes = sample("controller_runtime_reconcile_total", controller="namespace", result="success")

    await client.delete(NAMESPACE, "doomed")
    remaining = await waiting(lambda: namespace_condition(client, "doomed", "NamespaceContentRemaining", "True"))
    assert (remaining["reason"], remaining["message"]) == (
        "SomeResourcesRemain", "Some resources are remaining: configmaps. has 1 resource instances")
    held = await namespace_condition(client, "doomed", "NamespaceFinalizersRemaining", "True")
    assert (held["reason"], held["message"]) == (
        "SomeFinalizersRemain", "Some content in the namespace has finalizers remaining: example.com/hold in 1 "
        "resource instances")
    ok = await namespace_condition(client, "doomed", "NamespaceDeletionContentFailure", "False")
    assert (ok["reason"], ok["message"]) == ("ContentDeleted",
                                             "All content successfully deleted, may be waiting on finalization")
    assert await gone(client, CONFIG_MAP, "plain", "doomed")
    ns = await client.get(NAMESPACE, "doomed")
    assert ns["status"]["phase"] == "Terminating" and ns["spec"]["finalizers"] == ["kubernetes"]
    assert [c["type"] for c in ns["status"]["conditions"]] == [
        "NamespaceDeletionDiscoveryFailure", "NamespaceDeletionGroupVersionParsingFailure",
        "NamespaceDeletionContentFailure", "NamespaceContentRemaining", "NamespaceFinalizersRemaining"]

    await client.patch(CONFIG_MAP, "held", {"metadata": {"finalizers": None}}, "doomed")
    await waiting(lambda: gone(client, NAMESPACE, "doomed"))
    assert sample("controller_runtime_reconcile_total", controller="namespace", result="success") > successes
    assert 'controller_runtime_reconcile_total{controller="namespace",result="success"}' in m.render().decode()


async def test_a_failing_delete_is_retried_with_backoff(
        client: InProcessClient, controllers: ControllerManager, refuse: RefuseDeletes) -> None:
    await client.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "stuck"}})
    await client.create(configmap("stubborn", "stuck"))
    refuse.names.add("stubborn")
    errors_before = sample("controller_runtime_reconcile_errors_total", controller="namespace")
    retries_before = sample("workqueue_retries_total", name="namespace", controller="namespace")

    await client.delete(NAMESPACE, "stuck")
    failed = await waiting(lambda: namespace_condition(client, "stuck", "NamespaceDeletionContentFailure", "True"))
    assert (failed["reason"], failed["message"]) == (
        "ContentDeletionFailed",
        'Failed to delete all resource types, 1 remaining: configmaps "stubborn" is forbidden: not yet')
    queue = controllers.manager.controllers["namespace"].queue
    await waiting(lambda: len(refuse.attempts["stubborn"]) >= 7)
    assert queue.num_requeues(Request("", "stuck")) >= 4
    # Exponential: 5, 10, 20, 40 ms... between retries (longer under load, never shorter). Of 7 attempts
    # at most 2 come at once, from the namespace's own changes (its deletion, its first conditions).
    attempts = refuse.attempts["stubborn"]
    assert attempts[6] - attempts[0] >= 0.005 + 0.010 + 0.020 + 0.040
    assert sample("controller_runtime_reconcile_errors_total", controller="namespace") >= errors_before + 3
    assert sample("workqueue_retries_total", name="namespace", controller="namespace") >= retries_before + 3
    assert not await gone(client, NAMESPACE, "stuck")

    refuse.names.clear()
    await waiting(lambda: gone(client, NAMESPACE, "stuck"))
    assert queue.num_requeues(Request("", "stuck")) == 0, "success forgets the backoff"


async def test_deleting_a_crd_deletes_its_objects_then_releases_it(
        api: APIServer, client: InProcessClient, controllers: ControllerManager, refuse: RefuseDeletes) -> None:
    await client.create(copy.deepcopy(WIDGET_CRD))

    async def served() -> bool:
        crd = await client.get(CRD, "widgets.example.com")
        return conditions.is_true(crd["status"].get("conditions"), "Established")

    await waiting(served)
    widget = {"apiVersion": "example.com/v1", "kind": "Widget", "spec": {}}
    await client.create({**widget, "metadata": {"name": "w1", "namespace": "default"}})
    await client.create({**widget, "metadata": {"name": "w2", "namespace": "default",
                                                "finalizers": ["example.com/hold"]}})
    refuse.names.add("w1")

    await client.delete(CRD, "widgets.example.com")

    async def terminating(reason: str) -> Obj:
        c = condition(await client.get(CRD, "widgets.example.com"), "Terminating")
        assert c["reason"] == reason, c
        return c

    failed = await waiting(lambda: terminating("InstanceDeletionFailed"))
    assert (failed["status"], failed["message"]) == (
        "True", 'could not issue all deletes: widgets "w1" is forbidden: not yet')
    assert sample("controller_runtime_reconcile_errors_total", controller="customresourcecleanup") >= 1
    refuse.names.clear()
    progress = await waiting(lambda: terminating("InstanceDeletionInProgress"))
    assert (progress["status"], progress["message"]) == ("True", "CustomResource deletion is in progress")
    await waiting(lambda: gone(client, WIDGET, "w1", "default"))
    crd = await client.get(CRD, "widgets.example.com")
    assert "customresourcecleanup.apiextensions.k8s.io" in crd["metadata"]["finalizers"], "w2 holds it"

    unserved = asyncio.Event()
    api.registry.subscribe(lambda change, r: unserved.set() if (change, r.plural) == ("removed", "widgets") else None)
    await client.patch(WIDGET, "w2", {"metadata": {"finalizers": None}}, "default")
    await waiting(lambda: gone(client, CRD, "widgets.example.com"))
    await asyncio.wait_for(unserved.wait(), TIMEOUT)  # the CRD controller stops serving what is gone
    assert api.registry.get("example.com", "v1", "widgets") is None
    assert (await api.storage.range("/registry/example.com/widgets/")).kvs == []
