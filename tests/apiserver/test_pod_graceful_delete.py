"""Graceful deletion of pods, as kube-apiserver's ``rest.BeforeDelete`` and the pod strategy's
``CheckGracefulDelete`` do it: a bound, running pod is marked, not removed; the kubelet removes it."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from test_pod_subresources import PODS, call, pod

from setpoint.apimachinery.clock import parse_time
from setpoint.apiserver.server import APIServer


async def bound(api: APIServer, name: str, *, grace: int | None = None, phase: str | None = None) -> dict:
    body = pod(name)
    body["spec"]["nodeName"] = "node-1"
    if grace is not None:
        body["spec"]["terminationGracePeriodSeconds"] = grace
    status, out, _ = await call(api, "POST", PODS, body)
    assert status == 201, out
    if phase is not None:
        out["status"]["phase"] = phase
        status, out, _ = await call(api, "PUT", f"{PODS}/{name}/status", out)
        assert status == 200, out
    return out


def seconds_from_now(stamp: str) -> float:
    parsed = parse_time(stamp)
    assert parsed is not None
    return parsed.timestamp() - time.time()


async def test_a_bound_pod_is_marked_for_its_termination_grace_period(api: APIServer) -> None:
    await bound(api, "web", grace=45)
    status, out, _ = await call(api, "DELETE", f"{PODS}/web")
    assert status == 200
    meta = out["metadata"]
    assert meta["deletionGracePeriodSeconds"] == 45
    assert 43 <= seconds_from_now(meta["deletionTimestamp"]) <= 46
    status, got, _ = await call(api, "GET", f"{PODS}/web")
    assert status == 200 and got["metadata"]["deletionTimestamp"] == meta["deletionTimestamp"]
    # Deleting again with a longer (or no) grace period changes nothing.
    for query in (b"", b"gracePeriodSeconds=60"):
        status, again, _ = await call(api, "DELETE", f"{PODS}/web", query=query)
        assert status == 200 and again["metadata"]["resourceVersion"] == got["metadata"]["resourceVersion"]
    # A shorter one moves the deletion closer.
    status, shorter, _ = await call(api, "DELETE", f"{PODS}/web", query=b"gracePeriodSeconds=5")
    assert status == 200 and shorter["metadata"]["deletionGracePeriodSeconds"] == 5
    assert 3 <= seconds_from_now(shorter["metadata"]["deletionTimestamp"]) <= 6
    # Zero removes it at once; the answer is the pod as deleted.
    status, last, _ = await call(api, "DELETE", f"{PODS}/web", query=b"gracePeriodSeconds=0")
    assert status == 200 and last["kind"] == "Pod" and last["metadata"]["deletionGracePeriodSeconds"] == 0
    assert (await call(api, "GET", f"{PODS}/web"))[0] == 404


async def test_default_grace_body_grace_and_negative_grace(api: APIServer) -> None:
    await bound(api, "a")
    _, out, _ = await call(api, "DELETE", f"{PODS}/a")
    assert out["metadata"]["deletionGracePeriodSeconds"] == 30  # the defaulted terminationGracePeriodSeconds
    await bound(api, "b")
    _, out, _ = await call(api, "DELETE", f"{PODS}/b", {"kind": "DeleteOptions", "apiVersion": "v1",
                                                         "gracePeriodSeconds": 7})
    assert out["metadata"]["deletionGracePeriodSeconds"] == 7
    await bound(api, "c")
    _, out, _ = await call(api, "DELETE", f"{PODS}/c", query=b"gracePeriodSeconds=-5")
    assert out["metadata"]["deletionGracePeriodSeconds"] == 1
    status, out, _ = await call(api, "DELETE", f"{PODS}/c", query=b"gracePeriodSeconds=soon")
    assert (status, out["message"]) == (400, 'strconv.ParseInt: parsing "soon": invalid syntax')


async def test_unscheduled_and_terminal_pods_go_at_once(api: APIServer) -> None:
    assert (await call(api, "POST", PODS, pod("pending")))[0] == 201
    await bound(api, "done", phase="Succeeded")
    await bound(api, "failed", phase="Failed")
    for name in ("pending", "done", "failed"):
        status, out, _ = await call(api, "DELETE", f"{PODS}/{name}")
        assert status == 200 and out["metadata"]["deletionGracePeriodSeconds"] == 0, name
        assert (await call(api, "GET", f"{PODS}/{name}"))[0] == 404


async def test_finalizers_and_dry_run_with_grace(api: APIServer) -> None:
    body = pod("kept")
    body["metadata"]["finalizers"] = ["example.com/keep"]
    assert (await call(api, "POST", PODS, body))[0] == 201
    status, out, _ = await call(api, "DELETE", f"{PODS}/kept", query=b"gracePeriodSeconds=0")
    assert status == 200 and out["metadata"]["deletionGracePeriodSeconds"] == 0
    assert (await call(api, "GET", f"{PODS}/kept"))[0] == 200  # the finalizer holds it
    await bound(api, "dry")
    status, out, _ = await call(api, "DELETE", f"{PODS}/dry", query=b"dryRun=All")
    assert status == 200 and out["metadata"]["deletionGracePeriodSeconds"] == 30
    _, got, _ = await call(api, "GET", f"{PODS}/dry")
    assert "deletionTimestamp" not in got["metadata"]


async def test_a_uid_precondition_applies_to_graceful_deletes(api: APIServer) -> None:
    created = await bound(api, "web")
    status, out, _ = await call(api, "DELETE", f"{PODS}/web", {"preconditions": {"uid": "other"}})
    assert status == 409
    status, out, _ = await call(api, "DELETE", f"{PODS}/web",
                                {"preconditions": {"uid": created["metadata"]["uid"]}, "gracePeriodSeconds": 0})
    assert status == 200
    assert datetime.now(UTC).timestamp() - 5 <= parse_time(out["metadata"]["deletionTimestamp"]).timestamp()  # type: ignore[union-attr]
