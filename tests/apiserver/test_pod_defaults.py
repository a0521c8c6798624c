"""Pod defaulting as kube-apiserver does it on create: container ports, requests from limits, QoS class."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
import yaml

from setpoint.apiserver.builtin.core import pod_qos_class
from setpoint.apiserver.http import Request, Response
from setpoint.apiserver.server import APIServer

Obj = dict[str, Any]
PODS = "/api/v1/namespaces/default/pods"


async def create(api: APIServer, containers: list[Obj], *, apply: bool = False) -> Obj:
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web"}, "spec": {"containers": containers}}
    if apply:
        request = Request("PATCH", PODS + "/web", query_string=b"fieldManager=helm",
                          headers={"content-type": "application/apply-patch+yaml"},
                          body=yaml.safe_dump(pod).encode())
    else:
        request = Request("POST", PODS, headers={"content-type": "application/json"}, body=orjson.dumps(pod))
    response = await api.handle(request)
    assert isinstance(response, Response)
    assert response.status == 201, response.body
    out: Obj = orjson.loads(response.body)
    return out


@pytest.mark.parametrize("apply", [False, True], ids=["create", "apply"])
async def test_limits_default_requests_and_make_the_pod_guaranteed(api: APIServer, apply: bool) -> None:
    # What a Helm chart typically renders: limits only, a port without its protocol.
    pod = await create(api, [{"name": "app", "image": "nginx:1.27", "ports": [{"containerPort": 80}],
                              "resources": {"limits": {"cpu": "100m", "memory": "64Mi"}}}], apply=apply)
    container = pod["spec"]["containers"][0]
    assert container["ports"] == [{"containerPort": 80, "protocol": "TCP"}]
    assert container["resources"] == {"limits": {"cpu": "100m", "memory": "64Mi"},
                                      "requests": {"cpu": "100m", "memory": "64Mi"}}
    assert pod["status"]["qosClass"] == "Guaranteed"


async def test_a_request_of_its_own_is_kept(api: APIServer) -> None:
    pod = await create(api, [{"name": "app", "image": "nginx", "resources": {
        "limits": {"cpu": "1", "memory": "1Gi"}, "requests": {"cpu": "500m"}}}])
    assert pod["spec"]["containers"][0]["resources"]["requests"] == {"cpu": "500m", "memory": "1Gi"}
    assert pod["status"]["qosClass"] == "Burstable"


async def test_no_resources_is_best_effort(api: APIServer) -> None:
    pod = await create(api, [{"name": "app", "image": "nginx"}])
    assert pod["spec"]["containers"][0]["resources"] == {}
    assert pod["status"]["qosClass"] == "BestEffort"


def c(requests: dict[str, str] | None = None, limits: dict[str, str] | None = None) -> Obj:
    res: Obj = {}
    if requests is not None:
        res["requests"] = requests
    if limits is not None:
        res["limits"] = limits
    return {"name": "x", "resources": res}


@pytest.mark.parametrize(("spec", "qos"), [
    ({"containers": [c()]}, "BestEffort"),
    ({"containers": [c({"cpu": "0"}, {"memory": "0"})]}, "BestEffort"),  # zero amounts do not count
    ({"containers": [c({"ephemeral-storage": "1Gi"})]}, "BestEffort"),  # only cpu and memory count
    ({"containers": [c({"cpu": "1", "memory": "1Gi"}, {"cpu": "1", "memory": "1Gi"})]}, "Guaranteed"),
    ({"containers": [c({"cpu": "1000m", "memory": "1024Mi"}, {"cpu": "1", "memory": "1Gi"})]}, "Guaranteed"),
    ({"containers": [c({"cpu": "1", "memory": "1Gi"}, {"cpu": "2", "memory": "1Gi"})]}, "Burstable"),
    ({"containers": [c({"cpu": "1"}, {"cpu": "1"})]}, "Burstable"),  # a memory limit is missing
    # Every container (init containers too) needs both limits.
    ({"containers": [c({"cpu": "1", "memory": "1Gi"}, {"cpu": "1", "memory": "1Gi"})],
      "initContainers": [c({"cpu": "1"})]}, "Burstable"),
    ({"containers": [c({"cpu": "1", "memory": "1Gi"}, {"cpu": "1", "memory": "1Gi"}), c()]}, "Burstable"),
    # Pod-level resources decide when they are set.
    ({"resources": {"requests": {"cpu": "1", "memory": "1Gi"}, "limits": {"cpu": "1", "memory": "1Gi"}},
      "containers": [c()]}, "Guaranteed"),
    ({"resources": {"limits": {"cpu": "1"}}, "containers": [c()]}, "Burstable"),
])
def test_qos_class_is_kubes(spec: Obj, qos: str) -> None:
    assert pod_qos_class(spec) == qos
