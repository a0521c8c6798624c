"""apps/v1 Deployment and ReplicaSet, core/v1 Service and Node: defaults, validation, tables, /scale."""

from __future__ import annotations

import ipaddress
from typing import Any

import orjson

from setpoint.apiserver.http import Request, Response
from setpoint.apiserver.server import APIServer

Obj = dict[str, Any]
DEPLOYMENTS = "/apis/apps/v1/namespaces/default/deployments"
REPLICASETS = "/apis/apps/v1/namespaces/default/replicasets"
SERVICES = "/api/v1/namespaces/default/services"
TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io"


async def call(api: APIServer, method: str, path: str, body: Obj | None = None, *,
               content_type: str = "application/json", accept: str = "application/json",
               query: bytes = b"") -> tuple[int, Obj]:
    request = Request(method, path, query_string=query, headers={"content-type": content_type, "accept": accept},
                      body=orjson.dumps(body) if body is not None else b"")
    response = await api.handle(request)
    assert isinstance(response, Response)
    out: Obj = orjson.loads(response.body)
    return response.status, out


def deployment(name: str = "web", labels: dict[str, str] | None = None, **spec: Any) -> Obj:
    labels = labels or {"app": name}
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
            "spec": {"selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": labels},
                                  "spec": {"containers": [{"name": "nginx", "image": "nginx"}]}}, **spec}}


async def test_deployment_defaults_as_kube(api: APIServer) -> None:
    status, out = await call(api, "POST", DEPLOYMENTS, deployment())
    assert status == 201, out
    spec = out["spec"]
    assert spec["replicas"] == 1
    assert spec["strategy"] == {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}}
    assert spec["revisionHistoryLimit"] == 10
    assert spec["progressDeadlineSeconds"] == 600
    pod = spec["template"]["spec"]
    assert pod["restartPolicy"] == "Always" and pod["dnsPolicy"] == "ClusterFirst"
    assert pod["schedulerName"] == "default-scheduler" and pod["terminationGracePeriodSeconds"] == 30
    assert pod["securityContext"] == {} and "enableServiceLinks" not in pod
    assert pod["containers"][0] == {"name": "nginx", "image": "nginx", "imagePullPolicy": "Always", "resources": {},
                                    "terminationMessagePath": "/dev/termination-log",
                                    "terminationMessagePolicy": "File"}
    assert out["status"] == {}
    assert out["metadata"]["generation"] == 1


async def test_selector_must_match_template_labels(api: APIServer) -> None:
    status, out = await call(api, "POST", DEPLOYMENTS, deployment(labels={"app": "other", "tier": "x"}))
    assert status == 422
    assert out["details"]["causes"] == [{
        "reason": "FieldValueInvalid", "field": "spec.template.metadata.labels",
        "message": 'Invalid value: map[string]string{"app":"other", "tier":"x"}: '
                   "`selector` does not match template `labels`"}]
    status, _ = await call(api, "GET", DEPLOYMENTS + "/web")
    assert status == 404


async def test_missing_selector_and_negative_replicas(api: APIServer) -> None:
    body = deployment(replicas=-1)
    del body["spec"]["selector"]
    status, out = await call(api, "POST", DEPLOYMENTS, body)
    assert status == 422
    assert [(c["field"], c["message"]) for c in out["details"]["causes"]] == [
        ("spec.replicas", "Invalid value: -1: must be greater than or equal to 0"),
        ("spec.selector", "Required value"),
    ]


async def test_selector_is_immutable_and_spec_changes_bump_generation(api: APIServer) -> None:
    await call(api, "POST", DEPLOYMENTS, deployment())
    status, out = await call(api, "PATCH", DEPLOYMENTS + "/web",
                             {"spec": {"selector": {"matchLabels": {"app": "web", "x": "y"}},
                                       "template": {"metadata": {"labels": {"app": "web", "x": "y"}}}}},
                             content_type="application/merge-patch+json")
    assert status == 422
    assert out["details"]["causes"] == [{
        "reason": "FieldValueInvalid", "field": "spec.selector",
        "message": 'Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"web", "x":"y"}, '
                   "MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable"}]
    status, out = await call(api, "PATCH", DEPLOYMENTS + "/web", {"spec": {"minReadySeconds": 5}},
                             content_type="application/merge-patch+json")
    assert status == 200 and out["metadata"]["generation"] == 2
    status, out = await call(api, "PATCH", DEPLOYMENTS + "/web/status", {"status": {"replicas": 3}},
                             content_type="application/merge-patch+json")
    assert status == 200 and out["metadata"]["generation"] == 2 and out["status"] == {"replicas": 3}


async def test_scale_subresource(api: APIServer) -> None:
    for path, body in ((DEPLOYMENTS, deployment()), (REPLICASETS, {**deployment(), "kind": "ReplicaSet"})):
        status, _ = await call(api, "POST", path, body)
        assert status == 201
        status, scale = await call(api, "GET", path + "/web/scale")
        assert status == 200
        assert scale["spec"] == {"replicas": 1} and scale["status"] == {"replicas": 0, "selector": "app=web"}
        status, scale = await call(api, "PATCH", path + "/web/scale", {"spec": {"replicas": 4}},
                                   content_type="application/merge-patch+json")
        assert status == 200 and scale["spec"] == {"replicas": 4}
        _, out = await call(api, "GET", path + "/web")
        assert out["spec"]["replicas"] == 4


async def test_deployment_and_replicaset_tables(api: APIServer) -> None:
    await call(api, "POST", DEPLOYMENTS, deployment(replicas=2))
    await call(api, "POST", REPLICASETS, {**deployment(replicas=3), "kind": "ReplicaSet"})
    status, table = await call(api, "GET", DEPLOYMENTS, accept=TABLE)
    assert status == 200
    assert [c["name"] for c in table["columnDefinitions"]] == [
        "Name", "Ready", "Up-to-date", "Available", "Age", "Containers", "Images", "Selector"]
    cells = table["rows"][0]["cells"]
    assert cells[:4] == ["web", "0/2", 0, 0] and cells[5:] == ["nginx", "nginx", "app=web"]
    _, table = await call(api, "GET", REPLICASETS, accept=TABLE)
    assert [c["name"] for c in table["columnDefinitions"]] == [
        "Name", "Desired", "Current", "Ready", "Age", "Containers", "Images", "Selector"]
    assert table["rows"][0]["cells"][:4] == ["web", 3, 0, 0]


def service(name: str = "web", **spec: Any) -> Obj:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
            "spec": {"selector": {"app": name}, "ports": [{"port": 80}], **spec}}


async def test_service_defaults_and_cluster_ip(api: APIServer) -> None:
    status, out = await call(api, "POST", SERVICES, service())
    assert status == 201, out
    spec = out["spec"]
    assert spec["type"] == "ClusterIP" and spec["sessionAffinity"] == "None"
    assert spec["ports"] == [{"port": 80, "protocol": "TCP", "targetPort": 80}]
    ip = spec["clusterIP"]
    assert ipaddress.IPv4Address(ip) in ipaddress.IPv4Network("10.96.0.0/12")
    assert spec["clusterIPs"] == [ip] and spec["ipFamilies"] == ["IPv4"] and spec["ipFamilyPolicy"] == "SingleStack"
    assert spec["internalTrafficPolicy"] == "Cluster"
    assert out["status"] == {"loadBalancer": {}}
    # An update that leaves the allocated address out keeps it; changing it is refused.
    body = service()
    body["metadata"]["resourceVersion"] = out["metadata"]["resourceVersion"]
    status, updated = await call(api, "PUT", SERVICES + "/web", body)
    assert status == 200 and updated["spec"]["clusterIP"] == ip
    status, err = await call(api, "PATCH", SERVICES + "/web", {"spec": {"clusterIP": "10.96.0.77"}},
                             content_type="application/merge-patch+json")
    assert status == 422 and err["details"]["causes"][0]["field"] == "spec.clusterIPs[0]"
    _, table = await call(api, "GET", SERVICES, accept=TABLE)
    assert [c["name"] for c in table["columnDefinitions"]] == [
        "Name", "Type", "Cluster-IP", "External-IP", "Port(s)", "Age", "Selector"]
    assert table["rows"][0]["cells"][:5] == ["web", "ClusterIP", ip, "<none>", "80/TCP"]
    assert table["rows"][0]["cells"][6] == "app=web"


async def test_service_needs_ports(api: APIServer) -> None:
    status, out = await call(api, "POST", SERVICES, service(ports=[]))
    assert status == 422 and out["details"]["causes"] == [
        {"reason": "FieldValueRequired", "field": "spec.ports", "message": "Required value"}]


async def test_node_is_cluster_scoped_with_status_column(api: APIServer) -> None:
    node = {"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": "n1", "labels": {"node-role.kubernetes.io/control-plane": ""}},
            "status": {"conditions": [{"type": "Ready", "status": "True"}],
                       "nodeInfo": {"kubeletVersion": "v1.37.0"}}}
    status, out = await call(api, "POST", "/api/v1/nodes", node)
    assert status == 201, out
    assert "namespace" not in out["metadata"]
    _, table = await call(api, "GET", "/api/v1/nodes", accept=TABLE)
    assert [c["name"] for c in table["columnDefinitions"]][:5] == ["Name", "Status", "Roles", "Age", "Version"]
    cells = table["rows"][0]["cells"]
    assert cells[:3] == ["n1", "Ready", "control-plane"] and cells[4] == "v1.37.0"
