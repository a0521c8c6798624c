"""The simulated kubelet: pods bound to a Node played out from their declared behaviour, on a
fake clock (every transition is reached by moving the clock, never by waiting)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from controllers_helpers import running

from setpoint.apimachinery.clock import FakeClock, format_time
from setpoint.apimachinery.podbehavior import dump
from setpoint.apimachinery.types import Obj
from setpoint.apiserver.http import Request, Response, StreamingResponse
from setpoint.apiserver.server import APIServer
from setpoint.controllers.inprocess import InProcessClient
from setpoint.controllers.kubelet.pods import Kubelet, add_kubelet
from setpoint.controllers.options import ControllerOptions
from setpoint.runtime import errors, metrics
from setpoint.runtime.manager import Manager
from setpoint.runtime.reconcile import Request as ReconcileRequest
from setpoint.runtime.resource import Kind
from setpoint.testing import eventually

POD = Kind("v1", "Pod")
EVENT = Kind("v1", "Event")
NS = "sim"


@pytest.fixture
async def fleet(client: InProcessClient, clock: FakeClock) -> AsyncIterator[tuple[Kubelet, Manager]]:
    """The kubelet of two nodes (``node-a`` with a pod CIDR), and the manager running it."""
    for name, cidr in (("node-a", "10.244.1.0/24"), ("node-b", None)):
        node: Obj = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name}}
        if cidr:
            node["spec"] = {"podCIDR": cidr, "podCIDRs": [cidr]}
        created = await client.create(node)
        created["status"] = {"addresses": [{"type": "InternalIP", "address": "172.18.0.2" if cidr else "172.18.0.3"},
                                           {"type": "Hostname", "address": name}]}
        await client.update_status(created)
    found: list[Kubelet] = []

    def add(manager: Manager) -> None:
        found.append(add_kubelet(manager, client, ControllerOptions(clock=clock)))

    async with running(client, NS, add) as manager:
        yield found[0], manager


@pytest.fixture
def kubelet(fleet: tuple[Kubelet, Manager]) -> Kubelet:
    return fleet[0]


def pod(name: str, *, behavior: dict[str, Any] | None = None, node: str = "node-a", restart: str = "Always",
        containers: list[Obj] | None = None, init: list[Obj] | None = None, **spec: Any) -> Obj:
    meta: Obj = {"name": name, "namespace": NS}
    if behavior is not None:
        meta["annotations"] = {"setpoint.io/behavior": dump(behavior)}
    body: Obj = {"nodeName": node, "restartPolicy": restart,
                 "containers": containers or [{"name": "app", "image": "nginx:1.27"}], **spec}
    if init:
        body["initContainers"] = init
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": body}


async def get(client: InProcessClient, name: str) -> Obj:
    return await client.get(POD, name, NS)


def cond(p: Obj, kind: str) -> Obj:
    return next(c for c in p["status"].get("conditions") or [] if c["type"] == kind)


def container(p: Obj, name: str = "app", key: str = "containerStatuses") -> Obj:
    return next(c for c in p["status"].get(key) or [] if c["name"] == name)


async def events(client: InProcessClient, name: str) -> list[tuple[str, str, str]]:
    listed = await client.list(EVENT, NS)
    return [(e["type"], e["reason"], e["message"]) for e in listed["items"]
            if e["involvedObject"]["name"] == name and e["source"]["component"] == "kubelet"]


async def settled_events(client: InProcessClient, kubelet: Kubelet, name: str) -> list[tuple[str, str, str]]:
    """The pod's kubelet Events once every queued one is written."""
    await kubelet.flush_events()
    return await events(client, name)


async def test_a_pod_with_nothing_declared_is_running_and_ready_in_one_status_write(
        client: InProcessClient, kubelet: Kubelet, clock: FakeClock) -> None:
    watch = await client.watch(POD, NS, resource_version=None)
    created = await client.create(pod("web"))
    seen: list[Obj] = []

    async def ready() -> bool:
        async for event in watch:
            if event.type != "ADDED" or event.object["metadata"]["resourceVersion"] != \
                    created["metadata"]["resourceVersion"]:
                seen.append(event.object)
            if (event.object.get("status") or {}).get("phase") == "Running":
                return True
        return False

    assert await asyncio.wait_for(ready(), 5)
    assert len(seen) == 1  # bound -> Running and Ready in one write
    p = seen[0]
    status = p["status"]
    assert status["phase"] == "Running"
    assert status["hostIP"] == "172.18.0.2" and status["hostIPs"] == [{"ip": "172.18.0.2"}]
    assert status["podIP"] == "10.244.1.2" and status["podIPs"] == [{"ip": "10.244.1.2"}]
    assert status["startTime"] == format_time(clock.now())
    assert status["qosClass"] == "BestEffort"
    assert {c["type"]: c["status"] for c in status["conditions"]} == {
        "PodReadyToStartContainers": "True", "Initialized": "True", "Ready": "True", "ContainersReady": "True"}
    cs = container(p)
    assert cs["ready"] is True and cs["started"] is True and cs["restartCount"] == 0
    assert cs["image"] == "docker.io/library/nginx:1.27"
    assert cs["imageID"].startswith("docker.io/library/nginx@sha256:")
    assert cs["containerID"].startswith("containerd://") and len(cs["containerID"]) == len("containerd://") + 64
    assert cs["state"] == {"running": {"startedAt": format_time(clock.now())}} and cs["lastState"] == {}
    assert await settled_events(client, kubelet, "web") == [
        ("Normal", "Pulled", 'Container image "nginx:1.27" already present on machine'),
        ("Normal", "Created", "Created container: app"),
        ("Normal", "Started", "Started container app"),
    ]
    listed = await client.list(EVENT, NS)
    assert {e["source"]["host"] for e in listed["items"]} == {"node-a"}


def reconciles() -> float:
    return sum(metrics.REGISTRY.get_sample_value("controller_runtime_reconcile_total",
                                                 {"controller": "kubelet", "result": result}) or 0.0
               for result in ("success", "requeue", "requeue_after", "error"))


async def test_its_own_status_write_does_not_wake_it_but_anyone_elses_is_put_right(
        client: InProcessClient, fleet: tuple[Kubelet, Manager]) -> None:
    # Every pod's status write comes back from the watch a moment later: that echo carries
    # nothing the kubelet did not write, and must not cost a second reconcile of every pod.
    kubelet, manager = fleet
    controller = manager.controllers["kubelet"]
    request = ReconcileRequest(NS, "web")

    async def settled(phase: str) -> bool:
        server = await get(client, "web")
        cached = kubelet.cache.get(POD, "web", NS)
        return ((server.get("status") or {}).get("phase") == phase and cached is not None
                and cached["metadata"]["resourceVersion"] == server["metadata"]["resourceVersion"]
                and request not in controller.queue)

    before = reconciles()
    await client.create(pod("web"))
    await eventually(lambda: settled("Running"), timeout=5)
    assert reconciles() == before + 1  # the bound pod, and not its Running status coming back
    await client.patch(POD, "web", {"status": {"phase": "Pending"}}, NS, subresource="status")
    await eventually(lambda: settled("Running"), timeout=5)  # put right
    assert reconciles() == before + 2


async def until(client: InProcessClient, name: str, check: Any) -> Obj:
    """The pod once ``check(pod)`` holds."""
    async def look() -> Obj:
        p = await get(client, name)
        try:
            ok = check(p)
        except (StopIteration, KeyError):
            ok = False  # not there yet
        assert ok, p.get("status")
        return p
    return await eventually(look, timeout=5)


def phase(want: str) -> Any:
    return lambda p: (p.get("status") or {}).get("phase") == want


async def test_start_delay_and_ready_after_play_out_on_the_clock(
        client: InProcessClient, kubelet: Kubelet, clock: FakeClock) -> None:
    start = clock.now()
    await client.create(pod("slow", behavior={"startDelay": "2s", "readyAfter": "3s"},
                            containers=[{"name": "app", "image": "busybox"}]))
    p = await until(client, "slow", lambda p: "containerStatuses" in p.get("status", {}))
    assert p["status"]["phase"] == "Pending"
    assert container(p)["state"] == {"waiting": {"reason": "ContainerCreating"}}
    assert container(p)["started"] is False and "containerID" not in container(p)
    assert cond(p, "Ready") | {"lastTransitionTime": None} == {
        "type": "Ready", "status": "False", "reason": "ContainersNotReady",
        "message": "containers with unready status: [app]", "lastTransitionTime": None}
    assert cond(p, "Initialized")["status"] == "True"
    clock.step(2)
    p = await until(client, "slow", phase("Running"))
    assert container(p)["started"] is True and container(p)["ready"] is False
    assert container(p)["state"]["running"]["startedAt"] == format_time(clock.now())
    assert cond(p, "Ready")["status"] == "False"
    clock.step(3)
    p = await until(client, "slow", lambda p: cond(p, "Ready")["status"] == "True")
    assert cond(p, "Ready")["lastTransitionTime"] == format_time(clock.now())
    assert p["status"]["startTime"] == format_time(start)
    found = await settled_events(client, kubelet, "slow")
    assert [e[1] for e in found] == ["Pulling", "Pulled", "Created", "Started"]
    assert found[0][2] == 'Pulling image "busybox"'
    assert found[1][2].startswith('Successfully pulled image "busybox" in 2s (2s including waiting). Image size: ')


async def test_a_crashing_container_backs_off_10s_doubling(
        client: InProcessClient, kubelet: Kubelet, clock: FakeClock) -> None:
    created = await client.create(pod("crash", behavior={"exitAfter": "5s", "exitCode": 1}))
    uid = created["metadata"]["uid"]
    await until(client, "crash", phase("Running"))
    clock.step(5)  # exits; the first restart is at once
    p = await until(client, "crash", lambda p: container(p)["restartCount"] == 1)
    cs = container(p)
    assert "running" in cs["state"]
    last = cs["lastState"]["terminated"]
    assert last["exitCode"] == 1 and last["reason"] == "Error" and last["finishedAt"] == format_time(clock.now())
    expected_restarts = 1
    for backoff in ("10s", "20s", "40s"):
        clock.step(5)  # exits again: back-off
        p = await until(client, "crash", lambda p: "waiting" in container(p)["state"])
        cs = container(p)
        assert cs["state"]["waiting"] == {
            "reason": "CrashLoopBackOff",
            "message": f"back-off {backoff} restarting failed container=app pod=crash_{NS}({uid})"}
        assert cs["restartCount"] == expected_restarts and cs["ready"] is False
        assert p["status"]["phase"] == "Running"
        assert cond(p, "Ready")["reason"] == "ContainersNotReady"
        clock.step(int(backoff[:-1]) - 1)
        await asyncio.sleep(0.05)
        assert "waiting" in container(await get(client, "crash"))["state"]
        clock.step(1)
        expected_restarts += 1
        await until(client, "crash", lambda p, n=expected_restarts: container(p)["restartCount"] == n
                    and "running" in container(p)["state"])
    found = await settled_events(client, kubelet, "crash")
    assert ("Warning", "BackOff", f"Back-off restarting failed container app in pod crash_{NS}({uid})") in found


async def test_a_long_healthy_run_resets_the_back_off(
        client: InProcessClient, kubelet: Kubelet, clock: FakeClock) -> None:
    await client.create(pod("flaky", behavior={"exitAfter": "11m", "exitCode": 1}))
    await until(client, "flaky", phase("Running"))
    clock.step(660)
    await until(client, "flaky", lambda p: container(p)["restartCount"] == 1)
    clock.step(660)  # ran 11 minutes since the last restart: restarted at once again
    p = await until(client, "flaky", lambda p: container(p)["restartCount"] == 2)
    assert "running" in container(p)["state"]


async def test_a_failing_liveness_probe_kills_and_restarts(
        client: InProcessClient, kubelet: Kubelet, clock: FakeClock) -> None:
    probe = {"httpGet": {"path": "/healthz", "port": 8080}}
    await client.create(pod("sick", behavior={"livenessFailAfter": "4s"},
                            containers=[{"name": "app", "image": "nginx:1.27", "livenessProbe": probe}]))
    await client.create(pod("unprobed", behavior={"livenessFailAfter": "4s"}))
    await until(client, "sick", phase("Running"))
    await until(client, "unprobed", phase("Running"))
    clock.step(4)
    p = await until(client, "sick", lambda p: container(p)["restartCount"] == 1)
    assert container(p)["lastState"]["terminated"]["exitCode"] == 137
    found = await settled_events(client, kubelet, "sick")
    assert ("Warning", "Unhealthy", "Liveness probe failed: simulated failure") in found
    assert ("Normal", "Killing", "Container app failed liveness probe, will be restarted") in found
    assert container(await get(client, "unprobed"))["restartCount"] == 0  # no livenessProbe: nothing fails


async def test_job_pods_succeed_or_fail_by_restart_policy(
        client: InProcessClient, kubelet: Kubelet, clock: FakeClock) -> None:
    await client.create(pod("done", restart="Never"))
    await client.create(pod("broken", restart="Never", behavior={"exitCode": 2}))
    await client.create(pod("retried", restart="OnFailure", behavior={"exitCode": 3}))
    for name in ("done", "broken", "retried"):
        await until(client, name, phase("Running"))
    clock.step(1)  # run-to-completion containers exit after 1 s by default
    p = await until(client, "done", phase("Succeeded"))
    term = container(p)["state"]["terminated"]
    assert term["exitCode"] == 0 and term["reason"] == "Completed"
    assert cond(p, "Ready")["reason"] == "PodCompleted" and cond(p, "ContainersReady")["reason"] == "PodCompleted"
    assert cond(p, "Initialized") | {"lastTransitionTime": None} == {
        "type": "Initialized", "status": "True", "reason": "PodCompleted",
        "lastTransitionTime": None}
    p = await until(client, "broken", phase("Failed"))
    assert container(p)["state"]["terminated"]["exitCode"] == 2
    assert cond(p, "Ready")["reason"] == "PodFailed"
    p = await until(client, "retried", lambda p: container(p)["restartCount"] == 1)
    assert p["status"]["phase"] == "Running"
    clock.step(60)
    assert (await get(client, "done"))["status"]["phase"] == "Succeeded"


async def test_init_containers_run_to_completion_in_order(
        client: InProcessClient, kubelet: Kubelet, clock: FakeClock) -> None:
    init = [{"name": "migrate", "image": "busybox:1.36"}, {"name": "seed", "image": "busybox:1.36"}]
    await client.create(pod("fast-init", init=init))
    p = await until(client, "fast-init", phase("Running"))  # nothing declared: done in the first write
    assert [c["state"]["terminated"]["reason"] for c in p["status"]["initContainerStatuses"]] == ["Completed"] * 2
    assert all(c["ready"] for c in p["status"]["initContainerStatuses"])
    await client.create(pod("slow-init", init=init, behavior={"containers": {"migrate": {"exitAfter": "2s"}}}))
    p = await until(client, "slow-init", lambda p: "initContainerStatuses" in p.get("status", {}))
    assert p["status"]["phase"] == "Pending"
    assert cond(p, "Initialized")["message"] == "containers with incomplete status: [migrate seed]"
    assert "running" in container(p, "migrate", "initContainerStatuses")["state"]
    assert container(p, "seed", "initContainerStatuses")["state"] == {"waiting": {"reason": "PodInitializing"}}
    assert container(p)["state"] == {"waiting": {"reason": "PodInitializing"}}
    clock.step(2)
    p = await until(client, "slow-init", phase("Running"))
    assert cond(p, "Initialized")["status"] == "True" and cond(p, "Ready")["status"] == "True"


async def test_an_unreadable_behavior_is_reported_and_the_pod_runs_with_defaults(
        client: InProcessClient, kubelet: Kubelet, clock: FakeClock) -> None:
    body = pod("odd")
    body["metadata"]["annotations"] = {"setpoint.io/behavior": "startDelay: soon"}
    await client.create(body)
    await until(client, "odd", lambda p: cond(p, "Ready")["status"] == "True")
    found = await settled_events(client, kubelet, "odd")
    warnings = [e for e in found if e[0] == "Warning"]
    assert warnings == [("Warning", "InvalidBehavior",
                         'annotation setpoint.io/behavior ignored: startDelay: time: invalid duration "soon"')]


async def test_an_image_that_cannot_be_pulled(client: InProcessClient, kubelet: Kubelet, clock: FakeClock) -> None:
    await client.create(pod("nopull", behavior={"pullError": True}))
    p = await until(client, "nopull", lambda p: "containerStatuses" in p.get("status", {}))
    assert p["status"]["phase"] == "Pending"
    assert container(p)["state"]["waiting"]["reason"] == "ErrImagePull"
    clock.step(1)
    p = await until(client, "nopull", lambda p: container(p)["state"]["waiting"]["reason"] == "ImagePullBackOff")
    assert container(p)["state"]["waiting"]["message"].startswith('Back-off pulling image "nginx:1.27": ErrImagePull: ')
    found = await settled_events(client, kubelet, "nopull")
    assert ("Warning", "Failed", "Error: ErrImagePull") in found
    assert ("Normal", "BackOff", 'Back-off pulling image "nginx:1.27"') in found
    assert ("Warning", "Failed", "Error: ImagePullBackOff") in found


async def test_pods_get_unique_ips_from_their_node(client: InProcessClient, kubelet: Kubelet) -> None:
    for i in range(3):
        await client.create(pod(f"a{i}"))
        await client.create(pod(f"b{i}", node="node-b"))
    ips = []
    for name in ("a0", "a1", "a2", "b0", "b1", "b2"):
        p = await until(client, name, phase("Running"))
        ips.append(p["status"]["podIP"])
    assert sorted(ips[:3]) == ["10.244.1.2", "10.244.1.3", "10.244.1.4"]
    assert len(set(ips)) == 6 and all(ip.startswith("10.88.") for ip in ips[3:])
    assert (await get(client, "b0"))["status"]["hostIP"] == "172.18.0.3"


async def test_pods_of_unknown_nodes_are_left_alone(client: InProcessClient, kubelet: Kubelet) -> None:
    await client.create(pod("nowhere", node="ghost"))
    await client.create(pod("here"))
    await until(client, "here", phase("Running"))
    assert (await get(client, "nowhere"))["status"] == {"phase": "Pending", "qosClass": "BestEffort"}


async def gone(client: InProcessClient, name: str) -> bool:
    try:
        await get(client, name)
    except errors.NotFound:
        return True
    return False


async def test_graceful_deletion_waits_for_the_containers_within_the_grace_period(
        client: InProcessClient, kubelet: Kubelet, clock: FakeClock) -> None:
    await client.create(pod("quick"))
    await client.create(pod("slow", behavior={"terminationDelay": "5s"}))
    await client.create(pod("stuck", behavior={"terminationDelay": "2m"}, terminationGracePeriodSeconds=10))
    for name in ("quick", "slow", "stuck"):
        await until(client, name, phase("Running"))
        deleted = await client.delete(POD, name, NS)
        assert deleted["metadata"]["deletionTimestamp"]
    await eventually(lambda: gone(client, "quick"))  # stops at once
    await asyncio.sleep(0.05)
    assert (await get(client, "slow"))["metadata"]["deletionGracePeriodSeconds"] == 30
    clock.step(4)
    await asyncio.sleep(0.05)
    assert not await gone(client, "slow")
    clock.step(1)
    await eventually(lambda: gone(client, "slow"))
    assert not await gone(client, "stuck")
    clock.step(5)  # the grace period (10 s) caps the container's 2 minutes
    await eventually(lambda: gone(client, "stuck"))
    found = await settled_events(client, kubelet, "slow")
    assert found[-1] == ("Normal", "Killing", "Stopping container app")


async def test_a_shorter_grace_period_ends_the_stop_sooner(
        client: InProcessClient, kubelet: Kubelet, clock: FakeClock) -> None:
    await client.create(pod("web", behavior={"terminationDelay": "1m"}))
    await until(client, "web", phase("Running"))
    await client.delete(POD, "web", NS)
    await until(client, "web", lambda p: bool(p["metadata"].get("deletionTimestamp")))
    await asyncio.sleep(0.05)
    clock.step(5)
    await client.delete(POD, "web", NS, grace_period_seconds=10)
    await asyncio.sleep(0.05)
    assert not await gone(client, "web")
    clock.step(5)
    await eventually(lambda: gone(client, "web"))


async def logs(api: APIServer, name: str, query: bytes = b"") -> tuple[int, str]:
    response = await api.handle(Request("GET", f"/api/v1/namespaces/{NS}/pods/{name}/log", query_string=query))
    assert isinstance(response, Response)
    return response.status, response.body.decode()


async def test_pods_log_serves_the_declared_lines(
        api: APIServer, client: InProcessClient, kubelet: Kubelet, clock: FakeClock) -> None:
    await client.create({"apiVersion": "v1", "kind": "ConfigMap",
                         "metadata": {"name": "setpoint-behaviors", "namespace": "kube-system"},
                         "data": {"busybox": "image: busybox*\nlogs: [from the image rule]"}})
    lines = ["hello from {pod} in {namespace}", "on {node}", "run {restart}"]
    await client.create(pod("talker", behavior={"logs": lines, "exitAfter": "5s", "exitCode": 1}))
    await client.create(pod("boxed", containers=[{"name": "box", "image": "busybox:1.36"}]))
    p = await until(client, "talker", phase("Running"))
    await until(client, "boxed", phase("Running"))
    assert await logs(api, "talker") == (200, f"hello from talker in {NS}\non node-a\nrun 0\n")
    assert await logs(api, "boxed") == (200, "from the image rule\n")
    assert await logs(api, "talker", b"tailLines=1") == (200, "run 0\n")
    assert await logs(api, "talker", b"tailLines=0") == (200, "")
    assert await logs(api, "talker", b"limitBytes=5") == (200, "hello")
    started = container(p)["state"]["running"]["startedAt"]
    stamp = started.replace("Z", ".000000000Z")
    assert await logs(api, "talker", b"timestamps=true&tailLines=1") == (200, f"{stamp} run 0\n")
    assert (await logs(api, "talker", b"sinceTime=2000-01-01T00:00:00Z"))[1].count("\n") == 3
    assert await logs(api, "talker", b"sinceTime=2999-01-01T00:00:00Z") == (200, "")
    status, body = await logs(api, "talker", b"previous=true")
    assert status == 400 and 'previous terminated container \\"app\\" in pod \\"talker\\" not found' in body
    clock.step(5)  # exits and restarts at once
    await until(client, "talker", lambda p: container(p)["restartCount"] == 1 and "running" in container(p)["state"])
    assert (await logs(api, "talker"))[1].endswith("run 1\n")
    assert (await logs(api, "talker", b"previous=true"))[1].endswith("run 0\n")


async def test_pods_log_follow_streams_until_the_container_stops_or_the_pod_goes(
        api: APIServer, client: InProcessClient, kubelet: Kubelet, clock: FakeClock) -> None:
    await client.create(pod("short", behavior={"logs": ["one", "two"], "exitAfter": "10s"}, restart="Never"))
    await client.create(pod("long", behavior={"logs": ["forever"]}))
    await until(client, "short", phase("Running"))
    await until(client, "long", phase("Running"))
    for name, end in (("short", lambda: clock.step(10)), ("long", None)):
        response = await api.handle(Request("GET", f"/api/v1/namespaces/{NS}/pods/{name}/log",
                                            query_string=b"follow=true"))
        assert isinstance(response, StreamingResponse)
        chunks = response.chunks
        first = await asyncio.wait_for(chunks.__anext__(), 5)
        assert first == (b"one\ntwo\n" if name == "short" else b"forever\n")
        pending = asyncio.ensure_future(chunks.__anext__())
        await asyncio.sleep(0.1)
        assert not pending.done()  # held open while the container runs
        if end is not None:
            end()  # the container exits
        else:
            await client.delete(POD, name, NS, grace_period_seconds=0)
        with pytest.raises(StopAsyncIteration):
            await asyncio.wait_for(pending, 5)
    # A finished container's log is served whole, with follow too.
    response = await api.handle(Request("GET", f"/api/v1/namespaces/{NS}/pods/short/log", query_string=b"follow=true"))
    assert isinstance(response, Response) and response.body == b"one\ntwo\n"


async def test_a_sidecar_init_container_runs_beside_the_others(
        client: InProcessClient, kubelet: Kubelet, clock: FakeClock) -> None:
    init = [{"name": "proxy", "image": "envoyproxy/envoy:v1.31.0", "restartPolicy": "Always"},
            {"name": "migrate", "image": "busybox:1.36"}]
    await client.create(pod("meshed", init=init, behavior={"containers": {"proxy": {"readyAfter": "2s"}}}))
    p = await until(client, "meshed", phase("Running"))
    proxy = container(p, "proxy", "initContainerStatuses")
    assert "running" in proxy["state"] and proxy["started"] is True and proxy["ready"] is False
    assert container(p, "migrate", "initContainerStatuses")["state"]["terminated"]["reason"] == "Completed"
    assert cond(p, "Initialized")["status"] == "True"
    assert cond(p, "Ready")["message"] == "containers with unready status: [proxy]"
    clock.step(2)
    p = await until(client, "meshed", lambda p: cond(p, "Ready")["status"] == "True")
    assert container(p, "proxy", "initContainerStatuses")["ready"] is True


async def test_a_new_kubelet_picks_pods_up_where_they_were(
        client: InProcessClient, kubelet: Kubelet, clock: FakeClock) -> None:
    await client.create(pod("steady", behavior={"readyAfter": "3s", "logs": ["hi"]}))
    await until(client, "steady", phase("Running"))
    clock.step(5)
    before = await until(client, "steady", lambda p: cond(p, "Ready")["status"] == "True")
    await kubelet.flush_events()
    events_before = await events(client, "steady")
    manager = Manager(client)
    again = add_kubelet(manager, client, ControllerOptions(clock=clock))
    task = manager.start()
    await manager.wait_ready()
    try:
        await eventually(lambda: (NS, "steady") in again.runs)
        await asyncio.sleep(0.1)
        after = await get(client, "steady")
        assert after["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]  # nothing to change
        await again.flush_events()
        assert await events(client, "steady") == events_before  # nothing recorded twice
    finally:
        await manager.close()
        task.cancel()
