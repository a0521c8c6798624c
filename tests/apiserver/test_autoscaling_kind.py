"""autoscaling/v2 HorizontalPodAutoscaler: defaults, validation, /status, printer columns."""

from __future__ import annotations

from typing import Any

import orjson

from setpoint.apiserver.builtin.autoscaling import format_hpa_metrics
from setpoint.apiserver.http import Request, Response
from setpoint.apiserver.server import APIServer

Obj = dict[str, Any]
HPAS = "/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers"
TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io"


async def call(api: APIServer, method: str, path: str, body: Obj | None = None, *,
               accept: str = "application/json") -> tuple[int, Obj]:
    request = Request(method, path, headers={"content-type": "application/json", "accept": accept},
                      body=orjson.dumps(body) if body is not None else b"")
    response = await api.handle(request)
    assert isinstance(response, Response)
    out: Obj = orjson.loads(response.body)
    return response.status, out


def hpa(name: str = "web", **spec: Any) -> Obj:
    return {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": name},
            "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                     "maxReplicas": 10, **spec}}


async def test_defaults_as_kube(api: APIServer) -> None:
    status, out = await call(api, "POST", HPAS, hpa(status={"currentReplicas": 3}))
    assert status == 201, out
    spec = out["spec"]
    assert spec["minReplicas"] == 1
    assert spec["metrics"] == [{"type": "Resource", "resource": {
        "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}}}]
    assert "behavior" not in spec
    assert out["status"] == {}
    # A behavior given (even partly) is filled with kube's rules.
    status, out = await call(api, "POST", HPAS, hpa("b", behavior={"scaleDown": {"stabilizationWindowSeconds": 60}}))
    assert status == 201, out
    assert out["spec"]["behavior"] == {
        "scaleUp": {"stabilizationWindowSeconds": 0, "selectPolicy": "Max",
                    "policies": [{"type": "Pods", "value": 4, "periodSeconds": 15},
                                 {"type": "Percent", "value": 100, "periodSeconds": 15}]},
        "scaleDown": {"stabilizationWindowSeconds": 60, "selectPolicy": "Max",
                      "policies": [{"type": "Percent", "value": 100, "periodSeconds": 15}]}}


async def test_validation_messages_and_paths(api: APIServer) -> None:
    body = hpa(minReplicas=0, maxReplicas=0)
    body["spec"]["scaleTargetRef"] = {"kind": "Deployment"}
    body["spec"]["metrics"] = [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization"}}}]
    status, out = await call(api, "POST", HPAS, body)
    assert status == 422
    causes = [(c["field"], c["message"]) for c in out["details"]["causes"]]
    assert causes == [
        ("spec.minReplicas", "Invalid value: 0: must be greater than or equal to 1"),
        ("spec.maxReplicas", "Invalid value: 0: must be greater than 0"),
        ("spec.scaleTargetRef.name", "Required value"),
        ("spec.metrics[0].resource.target.averageUtilization",
         "Required value: must set either a target raw value or a target utilization"),
        ("spec.metrics", "Forbidden: must specify at least one Object or External metric to support scaling to "
                         "zero replicas"),
    ]
    assert out["message"].startswith('HorizontalPodAutoscaler.autoscaling "web" is invalid: [spec.minReplicas')
    status, out = await call(api, "POST", HPAS, hpa(minReplicas=5, maxReplicas=2, behavior={
        "scaleUp": {"policies": [{"type": "Nope", "value": 0, "periodSeconds": 2000}], "selectPolicy": "Any"}}))
    causes = [(c["field"], c["message"]) for c in out["details"]["causes"]]
    assert causes == [
        ("spec.maxReplicas", "Invalid value: 2: must be greater than or equal to `minReplicas`"),
        ("spec.behavior.scaleUp.selectPolicy", 'Unsupported value: "Any": supported values: "Disabled", "Max", "Min"'),
        ("spec.behavior.scaleUp.policies[0].type", 'Unsupported value: "Nope": supported values: "Percent", "Pods"'),
        ("spec.behavior.scaleUp.policies[0].value", "Invalid value: 0: must be greater than zero"),
        ("spec.behavior.scaleUp.policies[0].periodSeconds", "Invalid value: 2000: must be less than or equal to 1800"),
    ]
    assert (await call(api, "GET", HPAS))[1]["items"] == []


async def test_status_and_table(api: APIServer) -> None:
    assert (await call(api, "POST", HPAS, hpa()))[0] == 201
    _, current = await call(api, "GET", f"{HPAS}/web")
    current["status"] = {"currentReplicas": 3, "desiredReplicas": 3, "currentMetrics": [
        {"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": 45,
                                                                      "averageValue": "225m"}}}]}
    current["spec"]["maxReplicas"] = 99  # ignored through /status
    status, out = await call(api, "PUT", f"{HPAS}/web/status", current)
    assert status == 200, out
    assert out["status"]["currentReplicas"] == 3 and out["spec"]["maxReplicas"] == 10
    out["status"]["desiredReplicas"] = -1
    status, bad = await call(api, "PUT", f"{HPAS}/web/status", out)
    assert status == 422
    assert bad["details"]["causes"] == [{"reason": "FieldValueInvalid", "field": "status.desiredReplicas",
                                         "message": "Invalid value: -1: must be greater than or equal to 0"}]
    status, table = await call(api, "GET", HPAS, accept=TABLE)
    assert [c["name"] for c in table["columnDefinitions"]] == [
        "Name", "Reference", "Targets", "MinPods", "MaxPods", "Replicas", "Age"]
    assert table["rows"][0]["cells"][:6] == ["web", "Deployment/web", "cpu: 45%/80%", "1", 10, 3]


def test_targets_column_formats() -> None:
    obj = {"spec": {"metrics": [
        {"type": "Resource", "resource": {"name": "memory", "target": {"type": "AverageValue", "averageValue": "100Mi"}}},
        {"type": "Pods", "pods": {"metric": {"name": "qps"}, "target": {"type": "AverageValue", "averageValue": "1k"}}},
        {"type": "External", "external": {"metric": {"name": "q"}, "target": {"type": "Value", "value": "3"}}},
    ]}, "status": {"currentMetrics": [
        {"type": "Resource", "resource": {"name": "memory", "current": {"averageValue": "52428800"}}}]}}
    assert format_hpa_metrics(obj) == "memory: 52428800/100Mi, <unknown>/1k + 1 more..."
    assert format_hpa_metrics({"spec": {}}) == "<none>"


V1 = "/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers"


async def test_v1_converts_to_and_from_v2(api: APIServer) -> None:
    body = {"apiVersion": "autoscaling/v1", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "old"},
            "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                     "maxReplicas": 5, "targetCPUUtilizationPercentage": 60}}
    status, out = await call(api, "POST", V1, body)
    assert status == 201, out
    assert out["spec"] == {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                           "minReplicas": 1, "maxReplicas": 5, "targetCPUUtilizationPercentage": 60}
    assert "annotations" not in out["metadata"]
    _, v2 = await call(api, "GET", f"{HPAS}/old")
    assert v2["spec"]["metrics"] == [{"type": "Resource", "resource": {
        "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 60}}}]
    # A v2 HPA with more than v1 can say: the rest rides in kube's annotations, and comes back.
    assert (await call(api, "POST", HPAS, hpa("rich", metrics=[
        {"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}}},
        {"type": "Resource", "resource": {"name": "memory", "target": {"type": "AverageValue",
                                                                       "averageValue": "100Mi"}}}],
        behavior={"scaleDown": {"stabilizationWindowSeconds": 30}})))[0] == 201
    _, v1 = await call(api, "GET", f"{V1}/rich")
    assert v1["spec"]["targetCPUUtilizationPercentage"] == 70
    annotations = v1["metadata"]["annotations"]
    assert orjson.loads(annotations["autoscaling.alpha.kubernetes.io/metrics"]) == [
        {"type": "Resource", "resource": {"name": "memory", "targetAverageValue": "100Mi"}}]
    assert "autoscaling.alpha.kubernetes.io/behavior" in annotations
    v1["spec"]["maxReplicas"] = 7
    status, out = await call(api, "PUT", f"{V1}/rich", v1)
    assert status == 200, out
    _, v2 = await call(api, "GET", f"{HPAS}/rich")
    assert v2["spec"]["maxReplicas"] == 7 and len(v2["spec"]["metrics"]) == 2
    assert v2["spec"]["behavior"]["scaleDown"]["stabilizationWindowSeconds"] == 30
    assert "annotations" not in v2["metadata"]
    # Validation and the table work through v1 too.
    body["metadata"]["name"], body["spec"]["maxReplicas"] = "bad", 0
    status, out = await call(api, "POST", V1, body)
    assert status == 422 and out["details"]["causes"][0]["field"] == "spec.maxReplicas"
    _, table = await call(api, "GET", V1, accept=TABLE)
    assert [r["cells"][2] for r in table["rows"]] == ["cpu: <unknown>/60%", "cpu: <unknown>/70%, memory: <unknown>/100Mi"]
