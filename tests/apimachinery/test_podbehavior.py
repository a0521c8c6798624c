"""Declared behaviour of simulated containers: parsing, precedence and defaults."""

from __future__ import annotations

from typing import Any

import pytest

from setpoint.apimachinery import podbehavior as pb


def _pod(annotation: str | None = None, restart_policy: str = "Always", **container: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": "web-1", "namespace": "shop"}
    if annotation is not None:
        meta["annotations"] = {pb.ANNOTATION: annotation}
    c = {"name": "app", "image": "nginx:1.27", **container}
    return {"metadata": meta, "spec": {"nodeName": "node-1", "restartPolicy": restart_policy,
                                       "containers": [c, {"name": "side", "image": "busybox:1"}]}}


def test_nothing_declared_starts_and_is_ready_at_once_and_runs_forever() -> None:
    pod = _pod()
    b = pb.container_behavior(pod, pod["spec"]["containers"][0])
    assert (b.start_delay, b.ready_after, b.exit_after, b.logs) == (0.0, 0.0, None, ())


def test_run_to_completion_pods_exit_zero_after_a_second() -> None:
    pod = _pod(restart_policy="Never")
    b = pb.container_behavior(pod, pod["spec"]["containers"][0])
    assert (b.exit_after, b.exit_code) == (pb.COMPLETION_AFTER, 0)


def test_readiness_probe_delay_is_the_default_ready_after() -> None:
    pod = _pod(readinessProbe={"initialDelaySeconds": 7})
    assert pb.container_behavior(pod, pod["spec"]["containers"][0]).ready_after == 7.0


def test_annotation_then_container_entry_override_image_rule() -> None:
    rules, problems = pb.parse_rules({"a-busybox": "image: busybox*\nlogs: [from-rule]\nstartDelay: 3s",
                                      "b-nginx": "image: nginx*\ncpu: 10m"})
    assert problems == []
    pod = _pod("readyAfter: 1m30s\nlogs: ['up {pod} on {node}']\ncontainers:\n  side: {exitAfter: 2, exitCode: 3}")
    app, side = (pb.container_behavior(pod, c, rules) for c in pod["spec"]["containers"])
    assert (app.ready_after, app.cpu_milli, app.start_delay) == (90.0, 10, 0.0)
    assert pb.render_logs(app, pod, "app") == ["up web-1 on node-1"]
    # The rule's startDelay stays; the annotation's logs and the container's own entry win.
    assert (side.start_delay, side.logs, side.exit_after, side.exit_code) == (3.0, ("up {pod} on {node}",), 2.0, 3)


def test_usage_quantities() -> None:
    b = pb.container_behavior(_pod("cpu: 1.5\nmemory: 64Mi"), {"name": "app", "image": "x"})
    assert (b.cpu_milli, b.memory_bytes) == (1500, 64 * 1024 * 1024)


@pytest.mark.parametrize(("text", "message"), [
    ("startDelay: soon", 'startDelay: time: invalid duration "soon"'),
    ("readyAfter: -1", "readyAfter: must not be negative"),
    ("exitCode: 300", "exitCode: must be an integer from 0 to 255"),
    ("cpu: lots", "cpu: must be a quantity such as 100m or 64Mi, not 'lots'"),
    ("restarts: 3", "restarts: unknown field"),
    ("containers:\n  app: {containers: {}}", "containers.app.containers: unknown field"),
    ("[1, 2]", "behavior: must be a mapping of fields"),
])
def test_bad_annotations_say_which_field(text: str, message: str) -> None:
    with pytest.raises(pb.BehaviorError, match="^" + message.replace("(", r"\(").replace("[", r"\[")):
        pb.parse_annotation(text)


def test_rules_without_an_image_glob_are_reported_and_left_out() -> None:
    rules, problems = pb.parse_rules({"ok": "image: '*'\nexitAfter: 1s", "nope": "logs: [x]"})
    assert [r.key for r in rules] == ["ok"]
    assert problems == ["nope: needs an `image` glob, such as `image: busybox*`"]
