"""``pods/eviction``: PodDisruptionBudgets checked and decremented as kube's eviction REST does."""

from __future__ import annotations

from typing import Any

import orjson

from setpoint.apiserver.http import Request, Response
from setpoint.apiserver.server import APIServer

Obj = dict[str, Any]
PODS = "/api/v1/namespaces/default/pods"
PDBS = "/apis/policy/v1/namespaces/default/poddisruptionbudgets"


async def call(api: APIServer, method: str, path: str, body: Obj | None = None,
               query: bytes = b"") -> tuple[int, Obj, list[tuple[str, str]]]:
    request = Request(method, path, query_string=query, headers={"content-type": "application/json"},
                      body=orjson.dumps(body) if body is not None else b"")
    response = await api.handle(request)
    assert isinstance(response, Response)
    return response.status, orjson.loads(response.body), list(response.headers or [])


async def running_pod(api: APIServer, name: str, *, ready: bool = True, labels: dict[str, str] | None = None) -> Obj:
    status, pod, _ = await call(api, "POST", PODS, {
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": labels or {"app": "web"}},
        "spec": {"containers": [{"name": "c", "image": "nginx"}]}})
    assert status == 201, pod
    pod["status"] = {"phase": "Running", "conditions": [{"type": "Ready", "status": "True" if ready else "False"}]}
    status, pod, _ = await call(api, "PUT", f"{PODS}/{name}/status", pod)
    assert status == 200, pod
    return pod


async def budget(api: APIServer, name: str = "web", *, allowed: int, healthy: int = 2, desired: int = 2,
                 **spec: Any) -> Obj:
    status, pdb, _ = await call(api, "POST", PDBS, {
        "apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": name},
        "spec": {"selector": {"matchLabels": {"app": "web"}}, "minAvailable": desired, **spec}})
    assert status == 201, pdb
    # What the disruption controller would write.
    pdb["status"] = {"disruptionsAllowed": allowed, "currentHealthy": healthy, "desiredHealthy": desired,
                     "expectedPods": healthy, "observedGeneration": 1}
    status, pdb, _ = await call(api, "PUT", f"{PDBS}/{name}/status", pdb)
    assert status == 200, pdb
    return pdb


def eviction(name: str, **delete_options: Any) -> Obj:
    body: Obj = {"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": name, "namespace": "default"}}
    if delete_options:
        body["deleteOptions"] = delete_options
    return body


async def test_refused_with_429_when_the_budget_allows_no_disruption(api: APIServer) -> None:
    await running_pod(api, "web-0")
    await budget(api, allowed=0, healthy=2, desired=2)
    status, body, headers = await call(api, "POST", f"{PODS}/web-0/eviction", eviction("web-0"))
    assert status == 429
    assert body == {
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": "Cannot evict pod as it would violate the pod's disruption budget.",
        "reason": "TooManyRequests",
        "details": {"causes": [{"reason": "DisruptionBudget",
                                "message": "The disruption budget web needs 2 healthy pods and has 2 currently"}]},
        "code": 429}
    assert not any(k.lower() == "retry-after" for k, _ in headers)
    assert (await call(api, "GET", f"{PODS}/web-0"))[0] == 200


async def test_allowed_eviction_deletes_the_pod_and_decrements_the_budget(api: APIServer) -> None:
    await running_pod(api, "web-0")
    await running_pod(api, "web-1")
    await budget(api, allowed=1, healthy=2, desired=1)
    status, body, _ = await call(api, "POST", f"{PODS}/web-0/eviction", eviction("web-0"))
    assert (status, body) == (201, {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                                    "code": 201})
    assert (await call(api, "GET", f"{PODS}/web-0"))[0] == 404
    _, pdb, _ = await call(api, "GET", f"{PDBS}/web")
    assert pdb["status"]["disruptionsAllowed"] == 0
    assert set(pdb["status"]["disruptedPods"]) == {"web-0"}
    [cond] = pdb["status"]["conditions"]
    assert (cond["type"], cond["status"], cond["reason"]) == ("DisruptionAllowed", "False", "InsufficientPods")
    # Now the budget is used up: the next eviction is refused.
    status, body, _ = await call(api, "POST", f"{PODS}/web-1/eviction", eviction("web-1"))
    assert status == 429 and body["reason"] == "TooManyRequests"


async def test_dry_run_changes_nothing(api: APIServer) -> None:
    await running_pod(api, "web-0")
    await budget(api, allowed=1, healthy=2, desired=1)
    status, _, _ = await call(api, "POST", f"{PODS}/web-0/eviction", eviction("web-0"), query=b"dryRun=All")
    assert status == 201
    status, _, _ = await call(api, "POST", f"{PODS}/web-0/eviction", eviction("web-0", dryRun=["All"]))
    assert status == 201
    assert (await call(api, "GET", f"{PODS}/web-0"))[0] == 200
    _, pdb, _ = await call(api, "GET", f"{PDBS}/web")
    assert pdb["status"]["disruptionsAllowed"] == 1 and "disruptedPods" not in pdb["status"]


async def test_pending_pods_and_pods_without_budget_are_deleted(api: APIServer) -> None:
    status, _, _ = await call(api, "POST", PODS, {
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "pending", "labels": {"app": "web"}},
        "spec": {"containers": [{"name": "c", "image": "nginx"}]}})
    assert status == 201
    await budget(api, allowed=0)
    assert (await call(api, "POST", f"{PODS}/pending/eviction", eviction("pending")))[0] == 201
    await running_pod(api, "other", labels={"app": "other"})
    assert (await call(api, "POST", f"{PODS}/other/eviction", eviction("other")))[0] == 201
    assert (await call(api, "GET", f"{PODS}/other"))[0] == 404


async def test_unready_pod_goes_when_the_budget_is_met(api: APIServer) -> None:
    await running_pod(api, "sick", ready=False)
    await budget(api, allowed=0, healthy=2, desired=2)
    assert (await call(api, "POST", f"{PODS}/sick/eviction", eviction("sick")))[0] == 201
    _, pdb, _ = await call(api, "GET", f"{PDBS}/web")
    assert "disruptedPods" not in pdb["status"]


async def test_delete_options_and_bad_requests(api: APIServer) -> None:
    await running_pod(api, "web-0")
    await budget(api, allowed=5, healthy=2, desired=1)
    status, body, _ = await call(api, "POST", f"{PODS}/web-0/eviction",
                                 eviction("web-0", preconditions={"uid": "not-this-one"}))
    assert status == 409 and body["reason"] == "Conflict"
    assert "the UID in the precondition (not-this-one) does not match" in body["message"]
    status, body, _ = await call(api, "POST", f"{PODS}/web-0/eviction", eviction("web-1"))
    assert (status, body["message"]) == (400, "name in URL does not match name in Eviction object")
    status, body, _ = await call(api, "POST", f"{PODS}/nope/eviction", eviction("nope"))
    assert (status, body["message"]) == (404, 'pods "nope" not found')
    assert (await call(api, "GET", f"{PODS}/web-0/eviction"))[0] == 405
    # Two budgets on one pod: kube's 500.
    await budget(api, "second", allowed=1)
    status, body, _ = await call(api, "POST", f"{PODS}/web-0/eviction", eviction("web-0"))
    assert status == 500
    assert body["message"] == ("This pod has more than one PodDisruptionBudget, which the eviction subresource "
                               "does not support.")


async def test_stale_budget_asks_to_retry(api: APIServer) -> None:
    await running_pod(api, "web-0")
    pdb = await budget(api, allowed=1, healthy=2, desired=1)
    pdb["spec"]["minAvailable"] = 0
    assert (await call(api, "PUT", f"{PDBS}/web", pdb))[0] == 200  # generation 2, observed 1
    status, body, headers = await call(api, "POST", f"{PODS}/web-0/eviction", eviction("web-0"))
    assert status == 429
    assert body["details"] == {"causes": [{
        "reason": "DisruptionBudget", "message": "The disruption budget web is still being processed by the server."}],
        "retryAfterSeconds": 10}
    assert ("Retry-After", "10") in headers


async def test_discovery_lists_pods_eviction(api: APIServer) -> None:
    _, body, _ = await call(api, "GET", "/api/v1")
    [entry] = [r for r in body["resources"] if r["name"] == "pods/eviction"]
    assert (entry["group"], entry["version"], entry["kind"], entry["verbs"]) == ("policy", "v1", "Eviction", ["create"])
