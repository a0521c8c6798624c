"""LimitRange (defaults, validation, LimitRanger admission) and PriorityClass (built-in classes,
validation, the Priority admission)."""

from __future__ import annotations

from typing import Any

import orjson

from setpoint.apiserver.http import Request, Response
from setpoint.apiserver.server import APIServer

Obj = dict[str, Any]
PODS = "/api/v1/namespaces/default/pods"
LIMITS = "/api/v1/namespaces/default/limitranges"
PCS = "/apis/scheduling.k8s.io/v1/priorityclasses"
TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io"


async def call(api: APIServer, method: str, path: str, body: Obj | None = None, *,
               accept: str = "application/json") -> tuple[int, Obj]:
    request = Request(method, path, headers={"content-type": "application/json", "accept": accept},
                      body=orjson.dumps(body) if body is not None else b"")
    response = await api.handle(request)
    assert isinstance(response, Response)
    return response.status, orjson.loads(response.body)


def pod(name: str, resources: Obj | None = None, **spec: Any) -> Obj:
    container: Obj = {"name": "app", "image": "nginx"}
    if resources is not None:
        container["resources"] = resources
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"containers": [container], **spec}}


def quantity(n: int) -> str:
    """A small whole ``resource.Quantity`` as Go's ``%#v`` prints it."""
    return (f"resource.Quantity{{i:resource.int64Amount{{value:{n}, scale:0}}, "
            f'd:resource.infDecAmount{{Dec:(*inf.Dec)(nil)}}, s:"{n}", Format:"DecimalSI"}}')


def limit_range(*items: Obj, name: str = "limits") -> Obj:
    return {"apiVersion": "v1", "kind": "LimitRange", "metadata": {"name": name}, "spec": {"limits": list(items)}}


async def test_limit_range_defaults_and_validation(api: APIServer) -> None:
    status, lr = await call(api, "POST", LIMITS, limit_range({"type": "Container", "max": {"cpu": "2"},
                                                               "min": {"memory": "64Mi"}}))
    assert status == 201, lr
    # SetDefaults_LimitRangeItem: a default limit from max, default requests from it and from min.
    assert lr["spec"]["limits"][0] == {"type": "Container", "max": {"cpu": "2"}, "min": {"memory": "64Mi"},
                                      "default": {"cpu": "2"}, "defaultRequest": {"cpu": "2", "memory": "64Mi"}}
    status, out = await call(api, "POST", LIMITS, limit_range(
        {"type": "Container", "min": {"cpu": "2"}, "max": {"cpu": "1"}},
        {"type": "Pod", "default": {"cpu": "1"}}, {"type": "Pod"}, {"type": "Widget"}, name="bad"))
    assert status == 422
    assert [(c["field"], c["message"]) for c in out["details"]["causes"]] == [
        ("spec.limits[0].min[cpu]", f"Invalid value: {quantity(2)}: min value 2 is greater than max value 1"),
        ("spec.limits[0].defaultRequest[cpu]",
         f"Invalid value: {quantity(1)}: min value 2 is greater than default request value 1"),
        ("spec.limits[0].default[cpu]", f"Invalid value: {quantity(2)}: min value 2 is greater than default value 1"),
        ("spec.limits[1].default", "Forbidden: may not be specified when `type` is 'Pod'"),
        ("spec.limits[2].type", 'Duplicate value: "Pod"'),
        ("spec.limits[3].type", 'Invalid value: "Widget": must be a standard limit type or fully qualified'),
    ]
    status, table = await call(api, "GET", LIMITS, accept=TABLE)
    assert [c["name"] for c in table["columnDefinitions"]] == ["Name", "Created At"]


async def test_limit_ranger_defaults_container_resources(api: APIServer) -> None:
    await call(api, "POST", LIMITS, limit_range({"type": "Container", "default": {"cpu": "500m", "memory": "256Mi"},
                                                  "defaultRequest": {"cpu": "100m"}}))
    status, created = await call(api, "POST", PODS, pod("web"))
    assert status == 201, created
    assert created["spec"]["containers"][0]["resources"] == {
        "limits": {"cpu": "500m", "memory": "256Mi"}, "requests": {"cpu": "100m", "memory": "256Mi"}}
    assert created["metadata"]["annotations"]["kubernetes.io/limit-ranger"] == (
        "LimitRanger plugin set: cpu, memory request for container app; cpu, memory limit for container app")
    assert created["status"]["qosClass"] == "Burstable"
    # What a container sets itself stays.
    status, created = await call(api, "POST", PODS, pod("own", {"limits": {"cpu": "1", "memory": "1Gi"}}))
    assert created["spec"]["containers"][0]["resources"] == {
        "limits": {"cpu": "1", "memory": "1Gi"}, "requests": {"cpu": "1", "memory": "1Gi"}}
    assert "annotations" not in created["metadata"]


async def test_limit_ranger_enforces_min_and_max(api: APIServer) -> None:
    await call(api, "POST", LIMITS, limit_range({"type": "Container", "max": {"cpu": "1"}, "min": {"cpu": "100m"}}))
    status, out = await call(api, "POST", PODS, pod("big", {"limits": {"cpu": "2"}, "requests": {"cpu": "2"}}))
    assert status == 403
    assert out["reason"] == "Forbidden"
    assert out["message"] == 'pods "big" is forbidden: maximum cpu usage per Container is 1, but limit is 2'
    status, _ = await call(api, "GET", f"{PODS}/big")
    assert status == 404
    status, out = await call(api, "POST", PODS, pod("small", {"limits": {"cpu": "50m"}, "requests": {"cpu": "50m"}}))
    assert (status, out["message"]) == (403, 'pods "small" is forbidden: minimum cpu usage per Container is 100m, '
                                             "but request is 50m")


async def test_system_priority_classes_exist(api: APIServer) -> None:
    _, out = await call(api, "GET", PCS)
    classes = {pc["metadata"]["name"]: pc for pc in out["items"]}
    assert classes["system-node-critical"]["value"] == 2000001000
    assert classes["system-cluster-critical"]["value"] == 2000000000
    assert classes["system-cluster-critical"]["preemptionPolicy"] == "PreemptLowerPriority"
    _status, table = await call(api, "GET", f"{PCS}/system-node-critical", accept=TABLE)
    assert [c["name"] for c in table["columnDefinitions"]] == [
        "Name", "Value", "Global-Default", "Age", "PreemptionPolicy"]
    assert table["rows"][0]["cells"][:3] == ["system-node-critical", 2000001000, False]
    assert table["rows"][0]["cells"][4] == "PreemptLowerPriority"
    status, out = await call(api, "DELETE", f"{PCS}/system-node-critical")
    assert (status, out["message"]) == (
        403, 'priorityclasses.scheduling.k8s.io "system-node-critical" is forbidden: this is a system priority class '
             "and cannot be deleted")


async def test_priority_class_rules(api: APIServer) -> None:
    def pc(name: str, value: int, **extra: Any) -> Obj:
        return {"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "metadata": {"name": name},
                "value": value, **extra}

    status, out = await call(api, "POST", PCS, pc("system-mine", 5))
    assert (status, out["details"]["causes"][0]["message"]) == (
        422, "Forbidden: priority class names with 'system-' prefix are reserved for system use only. "
             "error: system-mine is not a known system priority class")
    status, out = await call(api, "POST", PCS, pc("huge", 1_000_000_001))
    assert out["details"]["causes"] == [{"reason": "FieldValueForbidden", "field": "value",
                                         "message": "Forbidden: maximum allowed value of a user defined priority "
                                                    "is 1000000000"}]
    status, high = await call(api, "POST", PCS, pc("high", 1000, globalDefault=True))
    assert status == 201
    status, out = await call(api, "POST", PCS, pc("other", 10, globalDefault=True))
    assert (status, out["message"]) == (
        403, 'priorityclasses.scheduling.k8s.io "other" is forbidden: PriorityClass high is already marked as '
             "default. Only one default can exist")
    status, out = await call(api, "PUT", f"{PCS}/high", {**high, "value": 7})
    assert status == 422 and out["details"]["causes"] == [
        {"reason": "FieldValueForbidden", "field": "value", "message": "Forbidden: may not be changed in an update."}]


async def test_pods_get_their_priority(api: APIServer) -> None:
    status, created = await call(api, "POST", PODS, pod("plain"))
    assert (created["spec"]["priority"], created["spec"]["preemptionPolicy"]) == (0, "PreemptLowerPriority")
    assert "priorityClassName" not in created["spec"]
    status, created = await call(api, "POST", PODS, pod("critical", priorityClassName="system-cluster-critical"))
    assert status == 201 and created["spec"]["priority"] == 2000000000
    status, out = await call(api, "POST", PODS, pod("lost", priorityClassName="nope"))
    assert (status, out["reason"], out["message"]) == (
        403, "Forbidden", 'pods "lost" is forbidden: no PriorityClass with name nope was found')
    status, out = await call(api, "POST", PODS, pod("liar", priorityClassName="system-cluster-critical", priority=5))
    assert (status, out["message"]) == (
        403, 'pods "liar" is forbidden: the integer value of priority (5) must not be provided in pod spec; '
             "priority admission controller computed 2000000000 from the given PriorityClass name")
    await call(api, "POST", PCS, {"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass",
                                  "metadata": {"name": "default-pc"}, "value": 42, "globalDefault": True,
                                  "preemptionPolicy": "Never"})
    status, created = await call(api, "POST", PODS, pod("defaulted"))
    assert (created["spec"]["priorityClassName"], created["spec"]["priority"], created["spec"]["preemptionPolicy"]) == (
        "default-pc", 42, "Never")


async def test_limit_range_bounds_claims(api: APIServer) -> None:
    status, out = await call(api, "POST", LIMITS, limit_range({"type": "PersistentVolumeClaim",
                                                                "min": {"storage": "1Gi"}, "max": {"storage": "5Gi"}}))
    assert status == 201, out

    def claim(name: str, size: str) -> Obj:
        return {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": name},
                "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": size}}}}

    claims = "/api/v1/namespaces/default/persistentvolumeclaims"
    status, out = await call(api, "POST", claims, claim("big", "10Gi"))
    assert (status, out["message"]) == (
        403, 'persistentvolumeclaims "big" is forbidden: maximum storage usage per PersistentVolumeClaim is 5Gi, '
             "but request is 10Gi")
    status, out = await call(api, "POST", claims, claim("small", "512Mi"))
    assert (status, out["message"]) == (
        403, 'persistentvolumeclaims "small" is forbidden: minimum storage usage per PersistentVolumeClaim is 1Gi, '
             "but request is 512Mi")
    status, _ = await call(api, "POST", claims, claim("fine", "2Gi"))
    assert status == 201
    status, out = await call(api, "POST", LIMITS, limit_range({"type": "PersistentVolumeClaim"}, name="nothing"))
    assert out["details"]["causes"] == [{
        "reason": "FieldValueRequired", "field": "spec.limits[0].limits",
        "message": "Required value: either minimum or maximum storage value is required, but neither was provided"}]
