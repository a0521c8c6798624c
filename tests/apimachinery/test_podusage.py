"""Simulated usage: declared behaviour, then the whole-pod annotation, then the defaults."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from setpoint.apimachinery import podbehavior as pb
from setpoint.apimachinery import podusage as pu

MI = 1024 * 1024


def _pod(phase: str = "Running", annotations: dict[str, str] | None = None, *, statuses: bool = True,
         running: tuple[str, ...] = ("app", "side")) -> dict[str, Any]:
    pod: dict[str, Any] = {
        "metadata": {"name": "web-1", "namespace": "shop", "annotations": annotations or {}},
        "spec": {"nodeName": "node-1", "containers": [{"name": "app", "image": "nginx:1.27"},
                                                      {"name": "side", "image": "busybox:1"}]},
        "status": {"phase": phase}}
    if statuses:
        pod["status"]["containerStatuses"] = [
            {"name": n, "state": {"running": {"startedAt": "2026-01-01T00:00:00Z"}} if n in running
             else {"waiting": {"reason": "ContainerCreating"}}} for n in ("app", "side")]
    return pod


def test_running_containers_use_the_defaults() -> None:
    usage = pu.pod_usage(_pod())
    assert usage == pu.PodUsage((pu.ContainerUsage("app", pu.DEFAULT_CPU_MILLI, pu.DEFAULT_MEMORY_BYTES),
                                 pu.ContainerUsage("side", pu.DEFAULT_CPU_MILLI, pu.DEFAULT_MEMORY_BYTES)))
    # Only the running ones count.
    one = pu.pod_usage(_pod(running=("side",)))
    assert one is not None and [c.name for c in one.containers] == ["side"]
    assert pu.pod_usage(_pod(running=())) is None


def test_running_sidecars_count_other_init_containers_do_not() -> None:
    pod = _pod()
    pod["spec"]["initContainers"] = [{"name": "setup", "image": "busybox"},
                                     {"name": "proxy", "image": "envoy", "restartPolicy": "Always"}]
    pod["status"]["initContainerStatuses"] = [
        {"name": "setup", "state": {"terminated": {"exitCode": 0}}},
        {"name": "proxy", "state": {"running": {"startedAt": "2026-01-01T00:00:00Z"}}}]
    usage = pu.pod_usage(pod)
    assert usage is not None and [c.name for c in usage.containers] == ["proxy", "app", "side"]


def test_only_running_pods_have_metrics() -> None:
    for phase in ("Pending", "Succeeded", "Failed"):
        assert pu.pod_usage(_pod(phase, {"setpoint.io/cpu-usage": "100m"})) is None
        assert pu.usage_of(_pod(phase, {"setpoint.io/cpu-usage": "100m"}), "cpu") is None


def test_declared_behaviour_wins_then_the_annotation_then_the_defaults() -> None:
    rules, _ = pb.parse_rules({"nginx": "image: nginx*\ncpu: 150m"})
    pod = _pod(annotations={"setpoint.io/cpu-usage": "1", "setpoint.io/memory-usage": "100Mi",
                            pb.ANNOTATION: "containers:\n  side: {memory: 10Mi}"})
    usage = pu.pod_usage(pod, rules)
    assert usage is not None
    # cpu: the image rule declares app's, so side takes the default (the annotation is not used);
    # memory: side declares its own, app the default.
    assert [(c.cpu_milli, c.memory_bytes) for c in usage.containers] == [
        (150, pu.DEFAULT_MEMORY_BYTES), (pu.DEFAULT_CPU_MILLI, 10 * MI)]
    # Without the rule, cpu comes from the whole-pod annotation, shared by the containers.
    usage = pu.pod_usage(pod)
    assert usage is not None and [c.cpu_milli for c in usage.containers] == [500, 500]
    assert pu.usage_of(pod, "cpu") == Decimal(1000)
    assert pu.usage_of(pod, "memory") == Decimal((pu.DEFAULT_MEMORY_BYTES + 10 * MI) * 1000)
    assert pu.usage_of(pod, "ephemeral-storage") is None


def test_a_pod_without_a_kubelet_has_metrics_only_when_declared() -> None:
    bare = _pod(statuses=False)
    assert pu.pod_usage(bare) is None
    declared = _pod(annotations={"setpoint.io/cpu-usage": "250m"}, statuses=False)
    assert pu.usage_of(declared, "cpu") == Decimal(250)
    # The undeclared resource takes the default.
    assert pu.usage_of(declared, "memory") == Decimal(2 * pu.DEFAULT_MEMORY_BYTES * 1000)


def test_an_unreadable_behaviour_is_nothing_declared() -> None:
    usage = pu.pod_usage(_pod(annotations={pb.ANNOTATION: "cpu: lots"}))
    assert usage is not None and usage.cpu_milli == 2 * pu.DEFAULT_CPU_MILLI


def test_node_usage_is_its_running_pods_plus_the_system_share() -> None:
    pods = [_pod(annotations={"setpoint.io/cpu-usage": "100m"}), _pod("Pending")]
    node = pu.node_usage(pu.pod_usage(p) for p in pods)
    assert node == pu.NodeUsage(pu.SYSTEM_CPU_MILLI + 100, pu.SYSTEM_MEMORY_BYTES + 2 * pu.DEFAULT_MEMORY_BYTES)


def test_rules_of_a_configmap() -> None:
    assert pu.rules_of(None) == []
    rules = pu.rules_of({"data": {"a": "image: nginx*\ncpu: 1", "bad": "cpu: 1"}})
    assert [r.key for r in rules] == ["a"]
