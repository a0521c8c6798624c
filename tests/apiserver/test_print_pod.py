"""The Pod Table's READY, STATUS and RESTARTS cells, as kube's ``printPod`` computes them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from setpoint.apiserver.builtin.core import _pod_summary as print_pod

Obj = dict[str, Any]
RUNNING = {"running": {"startedAt": "2026-01-01T00:00:00Z"}}


def _pod(statuses: list[Obj], *, phase: str = "Running", init: list[Obj] | None = None,
         init_statuses: list[Obj] | None = None, conditions: list[Obj] | None = None, **extra: Any) -> Obj:
    containers = [{"name": s["name"], "image": "x"} for s in statuses] or [{"name": "c", "image": "x"}]
    status: Obj = {"phase": phase, "containerStatuses": statuses, "conditions": conditions or []}
    if init_statuses is not None:
        status["initContainerStatuses"] = init_statuses
    status.update(extra.pop("status", {}))
    return {"metadata": {"name": "p", **extra.pop("metadata", {})},
            "spec": {"containers": containers, "initContainers": init or []}, "status": status}


def _c(name: str, state: Obj, *, ready: bool = False, restarts: int = 0, **more: Any) -> Obj:
    return {"name": name, "state": state, "ready": ready, "restartCount": restarts, **more}


@pytest.mark.parametrize(("pod", "cells"), [
    (_pod([_c("a", RUNNING, ready=True)]), ("1/1", "Running", "0")),
    (_pod([_c("a", {"waiting": {"reason": "ContainerCreating"}})], phase="Pending"), ("0/1", "ContainerCreating", "0")),
    (_pod([_c("a", {"terminated": {"reason": "Completed", "exitCode": 0}})], phase="Succeeded"),
     ("0/1", "Completed", "0")),
    (_pod([_c("a", {"terminated": {"exitCode": 3}})], phase="Failed"), ("0/1", "ExitCode:3", "0")),
    (_pod([_c("a", {"terminated": {"exitCode": 137, "signal": 9}})], phase="Failed"), ("0/1", "Signal:9", "0")),
    # One container done, one still running: Running when the pod is Ready, else NotReady.
    (_pod([_c("a", {"terminated": {"reason": "Completed", "exitCode": 0}}), _c("b", RUNNING, ready=True)],
          conditions=[{"type": "Ready", "status": "False"}]), ("1/2", "NotReady", "0")),
    (_pod([_c("b", RUNNING, ready=True), _c("a", {"terminated": {"reason": "Completed", "exitCode": 0}})],
          conditions=[{"type": "Ready", "status": "True"}]), ("1/2", "Running", "0")),
    # Init containers.
    (_pod([_c("a", {"waiting": {"reason": "PodInitializing"}})], phase="Pending",
          init=[{"name": "i1"}, {"name": "i2"}], init_statuses=[_c("i1", RUNNING), _c("i2", {"waiting": {}})]),
     ("0/1", "Init:0/2", "0")),
    (_pod([_c("a", {"waiting": {"reason": "PodInitializing"}})], phase="Pending", init=[{"name": "i1"}],
          init_statuses=[_c("i1", {"terminated": {"reason": "Error", "exitCode": 1}}, restarts=2)]),
     ("0/1", "Init:Error", "2")),
    (_pod([_c("a", {"waiting": {"reason": "PodInitializing"}})], phase="Pending", init=[{"name": "i1"}],
          init_statuses=[_c("i1", {"waiting": {"reason": "CrashLoopBackOff"}})]),
     ("0/1", "Init:CrashLoopBackOff", "0")),
    # A restartable init container (a sidecar) counts among the containers.
    (_pod([_c("a", RUNNING, ready=True)], init=[{"name": "side", "restartPolicy": "Always"}],
          init_statuses=[_c("side", RUNNING, ready=True, started=True, restarts=1)],
          conditions=[{"type": "Initialized", "status": "True"}]), ("2/2", "Running", "1")),
    # Deleting.
    (_pod([_c("a", RUNNING, ready=True)], metadata={"deletionTimestamp": "2026-01-01T00:00:00Z"}),
     ("1/1", "Terminating", "0")),
    (_pod([_c("a", RUNNING, ready=True)], metadata={"deletionTimestamp": "2026-01-01T00:00:00Z"},
          status={"reason": "NodeLost"}), ("1/1", "Unknown", "0")),
    (_pod([], phase="Pending", conditions=[{"type": "PodScheduled", "status": "False", "reason": "SchedulingGated"}]),
     ("0/1", "SchedulingGated", "0")),
    (_pod([], phase="Failed", status={"reason": "Evicted"}), ("0/1", "Evicted", "0")),
])
def test_print_pod_as_kube(pod: Obj, cells: tuple[str, str, str]) -> None:
    assert print_pod(pod) == cells


def test_restarts_say_when_the_last_one_was() -> None:
    finished = (datetime.now(UTC) - timedelta(seconds=42)).strftime("%Y-%m-%dT%H:%M:%SZ")
    pod = _pod([_c("a", {"waiting": {"reason": "CrashLoopBackOff"}}, restarts=3,
                   lastState={"terminated": {"exitCode": 1, "reason": "Error", "finishedAt": finished}})])
    ready, status, restarts = print_pod(pod)
    assert (ready, status) == ("0/1", "CrashLoopBackOff")
    assert restarts in ("3 (42s ago)", "3 (43s ago)")
