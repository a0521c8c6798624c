"""ResourceQuota: the kind, the resourcequota controller's status, and the quota admission's refusals."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest

from setpoint.apimachinery.types import Obj
from setpoint.apiserver.http import Request, Response
from setpoint.apiserver.server import APIServer
from setpoint.controllers.inprocess import InProcessClient
from setpoint.controllers.manager import ControllerManager
from setpoint.runtime import errors
from setpoint.runtime.resource import Kind
from setpoint.testing import eventually

QUOTA = Kind("v1", "ResourceQuota")
POD = Kind("v1", "Pod")
NS = "quota-test"
TIMEOUT = 10.0


@pytest.fixture
async def controllers(api: APIServer, client: InProcessClient) -> AsyncIterator[ControllerManager]:
    await client.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}})
    cm = ControllerManager(api.registry, api.objects, controllers=["resourcequota"])
    await cm.start()
    try:
        yield cm
    finally:
        await cm.stop()


def pod(name: str, **resources: Any) -> Obj:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": NS},
            "spec": {"containers": [{"name": "app", "image": "nginx", "resources": resources}]}}


async def quota(client: InProcessClient, hard: dict[str, str], name: str = "q") -> Obj:
    await client.create({"apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": name, "namespace": NS},
                         "spec": {"hard": hard}})

    async def synced() -> Obj:
        q = await client.get(QUOTA, name, NS)
        assert set((q.get("status") or {}).get("used") or {}) == set(hard), q
        return q

    return await eventually(synced, timeout=TIMEOUT)


async def used(client: InProcessClient, name: str = "q") -> dict[str, str]:
    out: dict[str, str] = (await client.get(QUOTA, name, NS))["status"]["used"]
    return out


async def test_pods_over_quota_are_refused_with_kubes_message(
        client: InProcessClient, controllers: ControllerManager) -> None:
    q = await quota(client, {"pods": "2", "count/configmaps": "5"})
    assert q["status"] == {"hard": {"pods": "2", "count/configmaps": "5"},
                           "used": {"pods": "0", "count/configmaps": "0"}}
    await client.create(pod("a"))
    await client.create(pod("b"))
    with pytest.raises(errors.Forbidden) as e:
        await client.create(pod("c"))
    assert e.value.status["message"] == (
        'pods "c" is forbidden: exceeded quota: q, requested: pods=1, used: pods=2, limited: pods=2')
    assert e.value.status["details"] == {"name": "c", "kind": "pods"}
    with pytest.raises(errors.NotFound):
        await client.get(POD, "c", NS)
    assert (await used(client))["pods"] == "2"
    # Deleting a pod gives its share back.
    await client.delete(POD, "a", NS)
    await eventually(lambda: _used_is(client, "pods", "1"), timeout=TIMEOUT)
    await client.create(pod("c"))
    await client.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm", "namespace": NS}})
    await eventually(lambda: _used_is(client, "count/configmaps", "1"), timeout=TIMEOUT)


async def _used_is(client: InProcessClient, name: str, value: str) -> bool:
    current = (await used(client)).get(name)
    assert current == value, current
    return True


async def test_compute_quota_needs_requests_and_sums_them(
        client: InProcessClient, controllers: ControllerManager) -> None:
    await quota(client, {"requests.cpu": "1", "limits.memory": "1Gi"})
    with pytest.raises(errors.Forbidden) as e:
        await client.create(pod("bare"))
    assert e.value.status["message"] == (
        'pods "bare" is forbidden: failed quota: q: must specify limits.memory for: app; requests.cpu for: app')
    await client.create(pod("one", requests={"cpu": "600m"}, limits={"memory": "512Mi"}))
    assert await used(client) == {"requests.cpu": "600m", "limits.memory": "512Mi"}
    with pytest.raises(errors.Forbidden) as e:
        await client.create(pod("two", requests={"cpu": "500m"}, limits={"memory": "256Mi"}))
    assert e.value.status["message"] == (
        'pods "two" is forbidden: exceeded quota: q, requested: requests.cpu=500m, used: requests.cpu=600m, '
        "limited: requests.cpu=1")
    await client.create(pod("two", requests={"cpu": "400m"}, limits={"memory": "512Mi"}))
    await eventually(lambda: _used_is(client, "limits.memory", "1Gi"), timeout=TIMEOUT)
    assert (await used(client))["requests.cpu"] == "1"


async def test_scopes_select_the_pods_counted(client: InProcessClient, controllers: ControllerManager) -> None:
    await client.create({"apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": "be", "namespace": NS},
                         "spec": {"hard": {"pods": "1"}, "scopes": ["BestEffort"]}})
    await eventually(lambda: _synced(client, "be"), timeout=TIMEOUT)
    await client.create(pod("besteffort"))
    await client.create(pod("burstable", requests={"cpu": "100m"}))  # not BestEffort: not counted
    with pytest.raises(errors.Forbidden):
        await client.create(pod("besteffort-2"))


async def _synced(client: InProcessClient, name: str) -> bool:
    q = await client.get(QUOTA, name, NS)
    assert (q.get("status") or {}).get("used") == {"pods": "0"}, q
    return True


async def test_quota_validation_and_columns(api: APIServer, client: InProcessClient) -> None:
    with pytest.raises(errors.Invalid) as e:
        await client.create({"apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": "bad", "namespace": "default"},
                             "spec": {"hard": {"pods": "-1", "foo": "1", "services": "1500m"},
                                      "scopes": ["BestEffort", "NotBestEffort"]}})
    causes = sorted((c["field"], c["message"]) for c in e.value.status["details"]["causes"])
    assert causes == [
        ("spec.hard[foo]", 'Invalid value: "foo": must be a standard resource for quota'),
        ("spec.hard[foo]", 'Invalid value: "foo": must be a standard resource type or fully qualified'),
        ("spec.hard[pods]", 'Invalid value: "-1": must be greater than or equal to 0'),
        ("spec.hard[services]", "Invalid value: resource.Quantity{i:resource.int64Amount{value:1500, scale:-3}, "
                                'd:resource.infDecAmount{Dec:(*inf.Dec)(nil)}, s:"1500m", Format:"DecimalSI"}: '
                                "must be an integer"),
        ("spec.scopes", 'Invalid value: []core.ResourceQuotaScope{"BestEffort", "NotBestEffort"}: conflicting scopes'),
    ]
    await client.create({"apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": "q", "namespace": "default"},
                         "spec": {"hard": {"pods": "3", "limits.cpu": "2", "requests.memory": "1Gi"}}})
    response = await api.handle(Request("GET", "/api/v1/namespaces/default/resourcequotas/q",
                                        headers={"accept": "application/json;as=Table;v=v1;g=meta.k8s.io"}))
    assert isinstance(response, Response)
    table = orjson.loads(response.body)
    assert [c["name"] for c in table["columnDefinitions"]] == ["Name", "Age", "Request", "Limit"]
    q = await client.get(QUOTA, "q", "default")
    await client.update_status({**q, "status": {"hard": {"pods": "3", "limits.cpu": "2", "requests.memory": "1Gi"},
                                                "used": {"pods": "1", "limits.cpu": "500m"}}})
    response = await api.handle(Request("GET", "/api/v1/namespaces/default/resourcequotas/q",
                                        headers={"accept": "application/json;as=Table;v=v1;g=meta.k8s.io"}))
    assert isinstance(response, Response)
    cells = orjson.loads(response.body)["rows"][0]["cells"]
    assert cells[2:] == ["pods: 1/3, requests.memory: 0/1Gi", "limits.cpu: 500m/2"]


async def test_claims_count_against_storage_quota(client: InProcessClient, controllers: ControllerManager) -> None:
    await quota(client, {"persistentvolumeclaims": "2", "requests.storage": "10Gi"})

    def claim(name: str, size: str) -> Obj:
        return {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": name, "namespace": NS},
                "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": size}}}}

    await client.create(claim("data", "8Gi"))
    with pytest.raises(errors.Forbidden) as e:
        await client.create(claim("more", "4Gi"))
    assert e.value.status["message"] == (
        'persistentvolumeclaims "more" is forbidden: exceeded quota: q, requested: requests.storage=4Gi, '
        "used: requests.storage=8Gi, limited: requests.storage=10Gi")
    await client.delete(Kind("v1", "PersistentVolumeClaim"), "data", NS)
    await eventually(lambda: _used_is(client, "requests.storage", "0"), timeout=TIMEOUT)
    await client.create(claim("more", "4Gi"))


async def test_object_counts_of_any_kind(client: InProcessClient, controllers: ControllerManager) -> None:
    await quota(client, {"count/deployments.apps": "1", "count/secrets": "1"})

    def deployment(name: str) -> Obj:
        return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": NS},
                "spec": {"selector": {"matchLabels": {"app": name}},
                         "template": {"metadata": {"labels": {"app": name}},
                                      "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}}

    await client.create(deployment("one"))
    with pytest.raises(errors.Forbidden) as e:
        await client.create(deployment("two"))
    assert e.value.status["message"] == (
        'deployments.apps "two" is forbidden: exceeded quota: q, requested: count/deployments.apps=1, '
        "used: count/deployments.apps=1, limited: count/deployments.apps=1")
    assert e.value.status["details"] == {"name": "two", "group": "apps", "kind": "deployments"}
    await client.create({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": NS}})
    with pytest.raises(errors.Forbidden):
        await client.create({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "t", "namespace": NS}})



async def test_recounts_never_undo_the_admissions_charge(
        client: InProcessClient, controllers: ControllerManager) -> None:
    """The quota admission charges a pod before the pod is stored: a recount between the two would
    see no pod and let one too many in. As kube's, the controller recounts when a quota's
    ``spec.hard`` changes and when a counted object is updated or deleted -- not on the admission's
    status writes, nor on creates."""
    await quota(client, {"pods": "3"})
    controller = controllers.manager.controllers["resourcequota"]
    inner = controller.reconcile
    calls: list[str] = []

    async def counted(request: Any) -> Any:
        calls.append(request.name)
        return await inner(request)

    controller.reconcile = counted
    q = await client.get(QUOTA, "q", NS)
    await client.update_status({**q, "status": {**q["status"], "used": {"pods": "1"}}})  # a charge
    await client.create(pod("charged"))  # charged by the admission: used 2
    assert (await used(client))["pods"] == "2"
    q = await client.get(QUOTA, "q", NS)
    await client.update({**q, "spec": {"hard": {"pods": "4"}}})
    await eventually(lambda: _used_pods(client, "1"), timeout=TIMEOUT)  # the recount: one pod
    assert calls == ["q"], "only the change of spec.hard recounted"


async def _used_pods(client: InProcessClient, want: str) -> bool:
    return (await used(client))["pods"] == want


async def test_configmaps_and_secrets_replenish_through_watches_that_keep_nothing(
        client: InProcessClient, controllers: ControllerManager) -> None:
    """ConfigMaps and Secrets are watched for their events only (no store of every one): a delete
    still recounts its namespace's quotas at once."""
    from setpoint.runtime.notifier import Notifier

    await quota(client, {"count/configmaps": "5", "count/secrets": "5"})
    sources = controllers.manager.controllers["resourcequota"].sources
    watched = {s.kind.kind: s.informer for s in sources}
    assert isinstance(watched["ConfigMap"], Notifier) and isinstance(watched["Secret"], Notifier)
    assert not isinstance(watched["Pod"], Notifier)
    await client.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm", "namespace": NS}})
    await client.create({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": NS}})
    await eventually(lambda: _used_is(client, "count/configmaps", "1"), timeout=TIMEOUT)
    await eventually(lambda: _used_is(client, "count/secrets", "1"), timeout=TIMEOUT)
    await client.delete(Kind("v1", "ConfigMap"), "cm", NS)
    await client.delete(Kind("v1", "Secret"), "s", NS)
    await eventually(lambda: _used_is(client, "count/configmaps", "0"), timeout=TIMEOUT)
    await eventually(lambda: _used_is(client, "count/secrets", "0"), timeout=TIMEOUT)
