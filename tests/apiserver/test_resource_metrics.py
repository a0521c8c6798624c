"""metrics.k8s.io/v1beta1 served as metrics-server serves it: discovery, get, list, selectors, Table."""

from __future__ import annotations

from typing import Any

import orjson

from setpoint.apimachinery import podusage as pu
from setpoint.apiserver.http import Request, Response
from setpoint.apiserver.server import APIServer

Obj = dict[str, Any]
METRICS = "/apis/metrics.k8s.io/v1beta1"
TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io"


async def call(api: APIServer, method: str, path: str, body: Obj | None = None, query: bytes = b"",
               accept: str = "application/json", ctype: str = "application/json") -> tuple[int, Obj]:
    request = Request(method, path, query_string=query,
                      headers={"content-type": ctype, "accept": accept},
                      body=orjson.dumps(body) if body is not None else b"")
    response = await api.handle(request)
    assert isinstance(response, Response)
    return response.status, orjson.loads(response.body)


async def pod(api: APIServer, name: str, ns: str = "default", *, phase: str = "Running", node: str = "",
              labels: dict[str, str] | None = None, annotations: dict[str, str] | None = None,
              containers: tuple[str, ...] = ("app",)) -> None:
    spec: Obj = {"containers": [{"name": c, "image": "nginx"} for c in containers]}
    status, created = await call(api, "POST", f"/api/v1/namespaces/{ns}/pods", {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "labels": labels or {}, "annotations": annotations or {}}, "spec": spec})
    assert status == 201, created
    if node:
        status, bound = await call(api, "POST", f"/api/v1/namespaces/{ns}/pods/{name}/binding", {
            "apiVersion": "v1", "kind": "Binding", "metadata": {"name": name},
            "target": {"apiVersion": "v1", "kind": "Node", "name": node}})
        assert status == 201, bound
    status, created = await call(api, "GET", f"/api/v1/namespaces/{ns}/pods/{name}")
    created["status"] = {"phase": phase, "containerStatuses": [
        {"name": c, "ready": True, "restartCount": 0, "image": "nginx", "imageID": "",
         "state": {"running": {"startedAt": "2026-01-01T00:00:00Z"}}} for c in containers]}
    status, written = await call(api, "PUT", f"/api/v1/namespaces/{ns}/pods/{name}/status", created)
    assert status == 200, written


async def node(api: APIServer, name: str, ready: str | None = None, labels: dict[str, str] | None = None) -> None:
    body: Obj = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": labels or {}}}
    status, created = await call(api, "POST", "/api/v1/nodes", body)
    assert status == 201, created
    if ready is not None:
        created["status"] = {"conditions": [{"type": "Ready", "status": ready}]}
        status, written = await call(api, "PUT", f"/api/v1/nodes/{name}/status", created)
        assert status == 200, written


async def test_discovery_as_metrics_server_appears(api: APIServer) -> None:
    status, body = await call(api, "GET", METRICS)
    assert status == 200
    assert body == {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": "metrics.k8s.io/v1beta1",
                    "resources": [
                        {"name": "nodes", "singularName": "", "namespaced": False, "kind": "NodeMetrics",
                         "verbs": ["get", "list"]},
                        {"name": "pods", "singularName": "", "namespaced": True, "kind": "PodMetrics",
                         "verbs": ["get", "list"]}]}
    status, groups = await call(api, "GET", "/apis")
    names = [g["name"] for g in groups["groups"]]
    assert names[-1] == "metrics.k8s.io"  # priority 100: after every built-in group
    status, aggregated = await call(api, "GET", "/apis",
                                    accept="application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList")
    entry = next(i for i in aggregated["items"] if i["metadata"]["name"] == "metrics.k8s.io")
    assert entry["versions"] == [{"version": "v1beta1", "freshness": "Current", "resources": [
        {"resource": "nodes", "responseKind": {"group": "", "version": "", "kind": "NodeMetrics"},
         "scope": "Cluster", "singularResource": "", "verbs": ["get", "list"]},
        {"resource": "pods", "responseKind": {"group": "", "version": "", "kind": "PodMetrics"},
         "scope": "Namespaced", "singularResource": "", "verbs": ["get", "list"]}]}]


async def test_pod_metrics_get_and_list(api: APIServer) -> None:
    await pod(api, "web-1", labels={"app": "web"}, annotations={"setpoint.io/behavior": "cpu: 250m\nmemory: 64Mi"},
              containers=("app", "side"))
    await pod(api, "web-2", labels={"app": "web"})
    await pod(api, "other", labels={"app": "db"})
    await pod(api, "waiting", phase="Pending")
    await call(api, "POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace",
                                                  "metadata": {"name": "shop"}})
    await pod(api, "cart", "shop")

    status, one = await call(api, "GET", f"{METRICS}/namespaces/default/pods/web-1")
    assert status == 200, one
    assert one["kind"] == "PodMetrics" and one["apiVersion"] == "metrics.k8s.io/v1beta1"
    assert one["metadata"]["labels"] == {"app": "web"} and one["metadata"]["namespace"] == "default"
    assert one["window"] == "15s" and one["timestamp"].endswith("Z")
    assert one["containers"] == [{"name": "app", "usage": {"cpu": "250m", "memory": "64Mi"}},
                                 {"name": "side", "usage": {"cpu": "250m", "memory": "64Mi"}}]

    status, listed = await call(api, "GET", f"{METRICS}/namespaces/default/pods")
    assert listed["kind"] == "PodMetricsList" and listed["metadata"] == {}
    assert [i["metadata"]["name"] for i in listed["items"]] == ["other", "web-1", "web-2"]  # not Pending
    assert "kind" not in listed["items"][0]
    status, listed = await call(api, "GET", f"{METRICS}/namespaces/default/pods", query=b"labelSelector=app%3Dweb")
    assert [i["metadata"]["name"] for i in listed["items"]] == ["web-1", "web-2"]
    status, listed = await call(api, "GET", f"{METRICS}/namespaces/default/pods",
                                query=b"fieldSelector=metadata.name%3Dweb-2")
    assert [i["metadata"]["name"] for i in listed["items"]] == ["web-2"]
    default = {"cpu": f"{pu.DEFAULT_CPU_MILLI}m", "memory": "4Mi"}
    assert listed["items"][0]["containers"] == [{"name": "app", "usage": default}]
    status, listed = await call(api, "GET", f"{METRICS}/pods")
    assert [(i["metadata"]["namespace"], i["metadata"]["name"]) for i in listed["items"]] == [
        ("default", "other"), ("default", "web-1"), ("default", "web-2"), ("shop", "cart")]

    # Field selectors are metadata's only, in kube's default words.
    status, err = await call(api, "GET", f"{METRICS}/pods", query=b"fieldSelector=spec.nodeName%3Dx")
    assert (status, err["message"]) == (400, '"spec.nodeName" is not a known field selector: only '
                                             '"metadata.name", "metadata.namespace"')
    # Not found: the pod lister's words; a pod without metrics: the metrics resource's.
    status, err = await call(api, "GET", f"{METRICS}/namespaces/default/pods/nope")
    assert (status, err["message"], err["details"]) == (404, 'pods "nope" not found', {"name": "nope", "kind": "pods"})
    status, err = await call(api, "GET", f"{METRICS}/namespaces/default/pods/waiting")
    assert (status, err["message"]) == (404, 'podmetrics.metrics.k8s.io "default/waiting" not found')
    # Read-only, and no watch.
    status, err = await call(api, "DELETE", f"{METRICS}/namespaces/default/pods/web-1")
    assert status == 405
    status, err = await call(api, "GET", f"{METRICS}/pods", query=b"watch=true")
    assert (status, err["message"]) == (405, 'watch is not supported on resources of kind "pods.metrics.k8s.io"')


async def test_node_metrics_sum_the_running_pods_and_the_system_share(api: APIServer) -> None:
    await node(api, "n1", labels={"zone": "a"})
    await node(api, "n2", ready="True")
    await node(api, "down", ready="Unknown")
    await pod(api, "a", node="n1", annotations={"setpoint.io/cpu-usage": "300m", "setpoint.io/memory-usage": "100Mi"})
    await pod(api, "b", node="n1")
    await pod(api, "c", node="n1", phase="Succeeded")
    status, listed = await call(api, "GET", f"{METRICS}/nodes")
    assert status == 200
    assert [i["metadata"]["name"] for i in listed["items"]] == ["n1", "n2"]  # a NotReady kubelet is not scraped
    n1 = listed["items"][0]
    assert n1["metadata"]["labels"] == {"zone": "a"} and "namespace" not in n1["metadata"]
    assert n1["usage"] == {"cpu": f"{pu.SYSTEM_CPU_MILLI + 300 + pu.DEFAULT_CPU_MILLI}m",
                           "memory": f"{(pu.SYSTEM_MEMORY_BYTES + pu.DEFAULT_MEMORY_BYTES) // 2**20 + 100}Mi"}
    status, one = await call(api, "GET", f"{METRICS}/nodes/n2")
    assert one["kind"] == "NodeMetrics" and one["usage"] == {"cpu": f"{pu.SYSTEM_CPU_MILLI}m", "memory": "256Mi"}
    status, listed = await call(api, "GET", f"{METRICS}/nodes", query=b"labelSelector=zone%3Da")
    assert [i["metadata"]["name"] for i in listed["items"]] == ["n1"]
    status, err = await call(api, "GET", f"{METRICS}/nodes/nope")
    assert (status, err["message"]) == (404, 'node "nope" not found')
    status, err = await call(api, "GET", f"{METRICS}/nodes/down")
    assert (status, err["message"]) == (404, 'nodemetrics.metrics.k8s.io "down" not found')


async def test_tables_as_metrics_server_renders_them(api: APIServer) -> None:
    status, empty = await call(api, "GET", f"{METRICS}/namespaces/default/pods", accept=TABLE)
    assert status == 200 and (empty["columnDefinitions"], empty["rows"]) == (None, None)
    await pod(api, "web-1", annotations={"setpoint.io/behavior": "cpu: 250m\nmemory: 64Mi"}, containers=("a", "b"))
    status, tab = await call(api, "GET", f"{METRICS}/namespaces/default/pods", accept=TABLE)
    assert status == 200 and [c["name"] for c in tab["columnDefinitions"]] == ["Name", "cpu", "memory", "Window"]
    assert tab["rows"][0]["cells"] == ["web-1", "500m", "128Mi", "15s"]
    assert tab["rows"][0]["object"]["kind"] == "PartialObjectMetadata"


async def test_usage_follows_the_image_rules_and_the_pod(api: APIServer) -> None:
    await node(api, "n1")
    await pod(api, "web-1", node="n1")
    path = f"{METRICS}/namespaces/default/pods/web-1"
    status, one = await call(api, "GET", path)
    assert one["containers"][0]["usage"]["cpu"] == f"{pu.DEFAULT_CPU_MILLI}m"
    rules = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "setpoint-behaviors"},
             "data": {"nginx": "image: nginx*\ncpu: 300m"}}
    status, _ = await call(api, "POST", "/api/v1/namespaces/kube-system/configmaps", rules)
    assert status == 201
    status, one = await call(api, "GET", path)
    assert one["containers"][0]["usage"]["cpu"] == "300m"
    status, n1 = await call(api, "GET", f"{METRICS}/nodes/n1")
    assert n1["usage"]["cpu"] == f"{pu.SYSTEM_CPU_MILLI + 300}m"
    # The pod's own declaration overrides the image rule.
    status, _ = await call(api, "PATCH", "/api/v1/namespaces/default/pods/web-1",
                           {"metadata": {"annotations": {"setpoint.io/behavior": "cpu: 2"}}},
                           ctype="application/merge-patch+json")
    assert status == 200
    status, one = await call(api, "GET", path)
    assert status == 200 and one["containers"][0]["usage"]["cpu"] == "2"
    status, _ = await call(api, "DELETE", "/api/v1/namespaces/kube-system/configmaps/setpoint-behaviors")
    status, n1 = await call(api, "GET", f"{METRICS}/nodes/n1")
    assert n1["usage"]["cpu"] == f"{pu.SYSTEM_CPU_MILLI + 2000}m"
