"""The horizontal pod autoscaler controller over simulated usage, on a fake clock."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from setpoint.apimachinery.clock import FakeClock
from setpoint.apimachinery.types import Obj
from setpoint.controllers.inprocess import InProcessClient
from setpoint.controllers.options import ControllerOptions
from setpoint.controllers.podautoscaler import Calculator, MetricError, add_hpa_controller
from setpoint.runtime.manager import Manager
from setpoint.runtime.resource import Kind
from setpoint.testing import eventually

RS = Kind("apps/v1", "ReplicaSet")
HPA = Kind("autoscaling/v2", "HorizontalPodAutoscaler")
POD = Kind("v1", "Pod")
EVENT = Kind("v1", "Event")
NS = "default"


@pytest.fixture
def options() -> ControllerOptions:
    return ControllerOptions(clock=FakeClock(datetime.now(UTC)), hpa_sync_period=0.02)


@pytest.fixture
async def hpa_controller(client: InProcessClient, options: ControllerOptions) -> AsyncIterator[Manager]:
    mgr = Manager(client)
    add_hpa_controller(mgr, client, options)
    async with mgr.running():
        await mgr.wait_ready()
        yield mgr


async def make_rs(client: InProcessClient, name: str, replicas: int) -> None:
    await client.create({"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": name, "namespace": NS},
                         "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                                  "template": {"metadata": {"labels": {"app": name}},
                                               "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}}, NS)


async def make_pod(client: InProcessClient, name: str, app: str, usage: str | None, request: str = "100m") -> None:
    annotations = {"setpoint.io/cpu-usage": usage} if usage is not None else {}
    pod = await client.create({"apiVersion": "v1", "kind": "Pod",
                               "metadata": {"name": name, "namespace": NS, "labels": {"app": app},
                                            "annotations": annotations},
                               "spec": {"containers": [{"name": "c", "image": "nginx",
                                                        "resources": {"requests": {"cpu": request}}}]}}, NS)
    pod["status"] = {"phase": "Running", "startTime": "2026-01-01T00:00:00Z", "conditions": [
        {"type": "Ready", "status": "True", "lastTransitionTime": "2026-01-01T00:00:00Z"}]}
    await client.update_status(pod)


async def set_usage(client: InProcessClient, name: str, usage: str) -> None:
    await client.patch(POD, name, {"metadata": {"annotations": {"setpoint.io/cpu-usage": usage}}}, NS)


def hpa(name: str, target: str, **spec: Any) -> Obj:
    return {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": name, "namespace": NS},
            "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": target},
                     "minReplicas": 1, "maxReplicas": 10,
                     "metrics": [{"type": "Resource", "resource": {
                         "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 50}}}], **spec}}


async def replicas(client: InProcessClient, name: str, want: int) -> bool:
    rs = await client.get(RS, name, NS)
    assert rs["spec"]["replicas"] == want, rs["spec"]["replicas"]
    return True


def condition(obj: Obj, kind: str) -> tuple[str, str]:
    c = next((c for c in obj["status"].get("conditions") or [] if c["type"] == kind), {})
    return c.get("status", ""), c.get("reason", "")


async def events(client: InProcessClient, involved: str) -> list[tuple[str, str]]:
    listed = await client.list(EVENT, NS)
    return [(e["reason"], e["message"]) for e in listed["items"] if e["involvedObject"]["name"] == involved]


def test_replica_calculation_as_kube() -> None:
    calc = Calculator((0.1, 0.1))
    pods = [{"metadata": {"name": f"p{i}", "annotations": {"setpoint.io/cpu-usage": u}},
             "spec": {"containers": [{"name": "c", "resources": {"requests": {"cpu": "100m"}}}]},
             "status": {"phase": "Running", "startTime": "x", "conditions": [{"type": "Ready", "status": "True"}]}}
            for i, u in enumerate(("250m", "150m"))]
    assert calc.utilization_replicas(2, 50, "cpu", pods) == (8, 200, 200)
    assert calc.utilization_replicas(2, 190, "cpu", pods) == (2, 200, 200)  # within the 10% tolerance
    # A pod without a sample, on a scale-down, counts as using max(100%, target) of its request:
    # 800m of 300m against 400% is a ratio of 0.67 over three pods (two without it: 1).
    pods.append({**pods[0], "metadata": {"name": "p2", "annotations": {}}})
    assert calc.utilization_replicas(3, 400, "cpu", pods)[0] == 2
    assert calc.average_value_replicas(2, Decimal(100), "cpu", pods[:2]) == (4, Decimal(200))
    # A sidecar's request counts with the containers', as its usage does.
    sidecar = {"metadata": {"name": "s"}, "spec": {
        "containers": [{"name": "c", "resources": {"requests": {"cpu": "100m"}}}],
        "initContainers": [{"name": "proxy", "restartPolicy": "Always", "resources": {"requests": {"cpu": "50m"}}},
                           {"name": "setup", "resources": {"requests": {"cpu": "1"}}}]}}
    assert calc.requests([sidecar], "cpu") == {"s": Decimal(150)}


async def test_scales_up_then_down_after_the_stabilization_window(
        client: InProcessClient, options: ControllerOptions, hpa_controller: Manager) -> None:
    clock = options.clock
    assert isinstance(clock, FakeClock)
    await make_rs(client, "web", 2)
    await make_pod(client, "web-0", "web", "100m")
    await make_pod(client, "web-1", "web", "100m")
    await client.create(hpa("web", "web"), NS)
    # 100% of request against 50%: twice as many pods.
    await eventually(lambda: replicas(client, "web", 4))
    await eventually(lambda: _has(events(client, "web"), (
        "SuccessfulRescale", "New size: 4; reason: cpu resource utilization (percentage of request) above target")))
    got = await eventually(lambda: _status(client, "web", desired=4))
    assert got["status"]["currentMetrics"] == [{"type": "Resource", "resource": {
        "name": "cpu", "current": {"averageUtilization": 100, "averageValue": "100m"}}}]
    assert condition(got, "ScalingActive") == ("True", "ValidMetricFound")
    assert got["status"]["lastScaleTime"]

    # Usage drops: the recommendation is 1, held at 4 for the 5-minute downscale window.
    await set_usage(client, "web-0", "10m")
    await set_usage(client, "web-1", "10m")
    held = await eventually(lambda: _abletoscale(client, "web", "ScaleDownStabilized"))
    assert held["status"]["desiredReplicas"] == 4
    assert await replicas(client, "web", 4)
    clock.step(301)
    await eventually(lambda: replicas(client, "web", 1))
    await eventually(lambda: _has(events(client, "web"), (
        "SuccessfulRescale", "New size: 1; reason: All metrics below target")))


async def test_behavior_policies_limit_the_rate(
        client: InProcessClient, options: ControllerOptions, hpa_controller: Manager) -> None:
    clock = options.clock
    assert isinstance(clock, FakeClock)
    await make_rs(client, "api", 2)
    await make_pod(client, "api-0", "api", "100m")
    await make_pod(client, "api-1", "api", "100m")
    await client.create(hpa("api", "api", behavior={
        "scaleUp": {"stabilizationWindowSeconds": 0, "policies": [{"type": "Pods", "value": 1, "periodSeconds": 60}]}}),
        NS)
    await eventually(lambda: replicas(client, "api", 3))
    limited = await eventually(lambda: _status(client, "api", desired=3))
    assert condition(limited, "ScalingLimited") == ("True", "ScaleUpLimit")
    clock.step(61)
    await eventually(lambda: replicas(client, "api", 4))


async def test_min_max_and_missing_metrics(
        client: InProcessClient, options: ControllerOptions, hpa_controller: Manager) -> None:
    await make_rs(client, "big", 20)
    await make_pod(client, "big-0", "big", None)
    await client.create(hpa("big", "big"), NS)
    await eventually(lambda: replicas(client, "big", 10))
    await eventually(lambda: _has(events(client, "big"), (
        "SuccessfulRescale", "New size: 10; reason: Current number of replicas above Spec.MaxReplicas")))
    # Within range now; but no pod reports usage.
    failing = await eventually(lambda: _scaling_active(client, "big", "False"))
    assert condition(failing, "ScalingActive") == ("False", "FailedGetResourceMetric")
    message = next(c["message"] for c in failing["status"]["conditions"] if c["type"] == "ScalingActive")
    assert message == ("the HPA was unable to compute the replica count: failed to get cpu resource metric value: "
                       "failed to get cpu utilization: unable to get metrics for resource cpu: no metrics returned "
                       "from resource metrics API")
    await eventually(lambda: _has_reason(events(client, "big"), "FailedComputeMetricsReplicas"))
    # As kube's: the failed metric's status is a zero one, the desired count the last one.
    assert failing["status"]["currentMetrics"] == [{"type": ""}]
    assert (failing["status"]["currentReplicas"], failing["status"]["desiredReplicas"]) == (10, 10)
    # A target that does not exist.
    await client.create(hpa("ghost", "nope"), NS)
    ghost = await eventually(lambda: _ablefalse(client, "ghost"))
    assert condition(ghost, "AbleToScale") == ("False", "FailedGetScale")
    message = next(c["message"] for c in ghost["status"]["conditions"] if c["type"] == "AbleToScale")
    assert message == ("the HPA controller was unable to get the target's current scale: "
                       'replicasets.apps "nope" not found')


async def test_usage_from_declared_behaviour_as_kubectl_top_sees_it(
        client: InProcessClient, options: ControllerOptions, hpa_controller: Manager) -> None:
    # No usage annotation: the image rule of kube-system/setpoint-behaviors declares 100m a container.
    await client.create({"apiVersion": "v1", "kind": "ConfigMap",
                         "metadata": {"name": "setpoint-behaviors", "namespace": "kube-system"},
                         "data": {"nginx": "image: nginx*\ncpu: 100m"}}, "kube-system")
    await make_rs(client, "ruled", 2)
    await make_pod(client, "ruled-0", "ruled", None)
    await make_pod(client, "ruled-1", "ruled", None)
    await client.create(hpa("ruled", "ruled"), NS)
    await eventually(lambda: replicas(client, "ruled", 4))
    got = await eventually(lambda: _status(client, "ruled", desired=4))
    assert got["status"]["currentMetrics"] == [{"type": "Resource", "resource": {
        "name": "cpu", "current": {"averageUtilization": 100, "averageValue": "100m"}}}]


def test_container_resource_metrics_read_one_container() -> None:
    calc = Calculator((0.1, 0.1))
    running = [{"name": c, "state": {"running": {}}} for c in ("app", "proxy")]
    pods = [{"metadata": {"name": f"p{i}", "namespace": NS,
                          "annotations": {"setpoint.io/behavior": "containers: {app: {cpu: 200m}, proxy: {cpu: 10m}}"}},
             "spec": {"containers": [{"name": "app", "resources": {"requests": {"cpu": "100m"}}},
                                     {"name": "proxy", "resources": {"requests": {"cpu": "100m"}}}]},
             "status": {"phase": "Running", "startTime": "x", "containerStatuses": running,
                        "conditions": [{"type": "Ready", "status": "True"}]}} for i in range(2)]
    # The pod as a whole uses 210m of 200m (105%: within tolerance of 100%); its app container 200%.
    assert calc.utilization_replicas(2, 100, "cpu", pods) == (2, 105, 210)
    assert calc.utilization_replicas(2, 100, "cpu", pods, "app") == (4, 200, 200)
    assert calc.average_value_replicas(2, Decimal(10), "cpu", pods, "proxy") == (2, Decimal(10))
    with pytest.raises(MetricError, match="container nope not present in metrics for pod default/p0"):
        calc.utilization_replicas(2, 100, "cpu", pods, "nope")


async def test_container_resource_hpa(client: InProcessClient, options: ControllerOptions,
                                      hpa_controller: Manager) -> None:
    await make_rs(client, "side", 2)
    await make_pod(client, "side-0", "side", "100m")
    await make_pod(client, "side-1", "side", "100m")
    container_hpa = hpa("side", "side")
    container_hpa["spec"]["metrics"] = [{"type": "ContainerResource", "containerResource": {
        "name": "cpu", "container": "c", "target": {"type": "Utilization", "averageUtilization": 50}}}]
    await client.create(container_hpa, NS)
    await eventually(lambda: replicas(client, "side", 4))
    got = await eventually(lambda: _status(client, "side", desired=4))
    assert got["status"]["currentMetrics"] == [{"type": "ContainerResource", "containerResource": {
        "name": "cpu", "container": "c", "current": {"averageUtilization": 100, "averageValue": "100m"}}}]
    await eventually(lambda: _has(events(client, "side"), (
        "SuccessfulRescale", "New size: 4; reason: cpu container resource utilization (percentage of request) "
                             "above target")))
    # A container the pods do not have.
    missing = hpa("gone", "side")
    missing["spec"]["metrics"] = [{"type": "ContainerResource", "containerResource": {
        "name": "cpu", "container": "nope", "target": {"type": "Utilization", "averageUtilization": 50}}}]
    await client.create(missing, NS)
    failing = await eventually(lambda: _scaling_active(client, "gone", "False"))
    assert condition(failing, "ScalingActive") == ("False", "FailedGetContainerResourceMetric")
    message = next(c["message"] for c in failing["status"]["conditions"] if c["type"] == "ScalingActive")
    assert message.startswith("the HPA was unable to compute the replica count: failed to get nope container metric "
                              "value: failed to get cpu utilization: unable to get metrics for resource cpu: failed "
                              "to get container metrics: container nope not present in metrics for pod default/side-")


async def _has(found: Any, want: tuple[str, str]) -> bool:
    got = await found
    assert want in got, got
    return True


async def _has_reason(found: Any, reason: str) -> bool:
    got = await found
    assert any(r == reason for r, _ in got), got
    return True


async def _status(client: InProcessClient, name: str, *, desired: int) -> Obj:
    got = await client.get(HPA, name, NS)
    assert got["status"].get("desiredReplicas") == desired and got["status"].get("currentMetrics"), got["status"]
    return got


async def _abletoscale(client: InProcessClient, name: str, reason: str) -> Obj:
    got = await client.get(HPA, name, NS)
    assert condition(got, "AbleToScale")[1] == reason, got["status"]
    return got


async def _scaling_active(client: InProcessClient, name: str, status: str) -> Obj:
    got = await client.get(HPA, name, NS)
    assert condition(got, "ScalingActive")[0] == status, got["status"]
    return got


async def _ablefalse(client: InProcessClient, name: str) -> Obj:
    got = await client.get(HPA, name, NS)
    assert condition(got, "AbleToScale")[0] == "False", got["status"]
    return got


async def test_a_clock_jump_syncs_every_hpa_at_once(client: InProcessClient) -> None:
    """With kube's 15 s sync period the HPA would wait; a jump of the fake clock wakes it."""
    clock = FakeClock(datetime.now(UTC))
    options = ControllerOptions(clock=clock, hpa_sync_period=3600)
    mgr = Manager(client)
    add_hpa_controller(mgr, client, options)
    async with mgr.running():
        await mgr.wait_ready()
        await make_rs(client, "slow", 2)
        await make_pod(client, "slow-0", "slow", "100m")
        await make_pod(client, "slow-1", "slow", "100m")
        await client.create(hpa("slow", "slow", behavior={"scaleDown": {"stabilizationWindowSeconds": 60}}), NS)
        await eventually(lambda: replicas(client, "slow", 4))
        await set_usage(client, "slow-0", "10m")
        await set_usage(client, "slow-1", "10m")
        clock.step(60)  # to the window's end: the recommendation of 1 applies once a jump wakes the HPA

        async def tick_then_check() -> bool:
            clock.step(1)  # (the controller's pod cache may see the new usage a moment later)
            await asyncio.sleep(0.05)
            return await replicas(client, "slow", 1)

        await eventually(tick_then_check)
