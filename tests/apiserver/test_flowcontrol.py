"""API Priority and Fairness: the queues' fairness, classification, 429s, bootstrap objects,
and one noisy user's LIST storm not starving a quiet user and leader election.

Users come from a small header authenticator (``X-User``, ``X-Groups``), as a token file
would give them; without the header a request is the ``system:masters`` admin (exempt).
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import orjson
import pytest

from setpoint import storage
from setpoint.apiserver.flowcontrol.queueset import QUEUE_FULL, Dealer, QueueSet
from setpoint.apiserver.http import Request
from setpoint.apiserver.registry.admission import UserInfo
from setpoint.apiserver.server import APIServer
from setpoint.testing import eventually

FC = "/apis/flowcontrol.apiserver.k8s.io/v1"
Obj = dict[str, Any]


class HeaderAuthenticator:
    """``X-User`` (and ``X-Groups``, comma-separated) name the user; none: the admin."""

    def authenticate(self, request: Request) -> UserInfo | None:
        name = request.headers.get("x-user")
        if not name:
            return UserInfo("system:admin", ("system:masters", "system:authenticated"))
        groups = tuple(g for g in request.headers.get("x-groups", "").split(",") if g)
        return UserInfo(name, (*groups, "system:authenticated"))


@pytest.fixture
async def api() -> AsyncIterator[APIServer]:
    store = await storage.open_storage("memory://")
    server = APIServer(store, authenticator=HeaderAuthenticator())
    await server.start("127.0.0.1", 0)
    try:
        yield server
    finally:
        await server.stop()
        await store.close()


@pytest.fixture
async def http(api: APIServer) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(f"http://127.0.0.1:{api.port}",
                                     connector=aiohttp.TCPConnector(limit=0)) as session:
        yield session


def user(name: str, *groups: str) -> dict[str, str]:
    return {"X-User": name, "X-Groups": ",".join(groups)}


# --- the queues -------------------------------------------------------------------------


def test_dealer_deals_distinct_cards_as_kube() -> None:
    dealer = Dealer(128, 6)
    assert dealer.deal(0) == (0, 1, 2, 3, 4, 5)
    for h in range(0, 2**64, 2**64 // 997):
        hand = dealer.deal(h)
        assert len(set(hand)) == 6 and all(0 <= c < 128 for c in hand)
        assert dealer.deal(h) == hand == Dealer(128, 6).deal(h)  # remembered, and as dealt afresh


async def test_a_quiet_flow_is_served_before_a_noisy_flows_backlog() -> None:
    qs = QueueSet(2, queues=8, hand_size=2, queue_length_limit=50)
    assert qs.try_take(1) and qs.try_take(1)
    noisy = [qs.enqueue(1, 1) for _ in range(20)]
    quiet = qs.enqueue(2**40 + 7, 1)
    assert not isinstance(quiet, str) and all(not isinstance(w, str) for w in noisy)
    order: list[str] = []
    for _ in range(6):  # each end of a request frees one seat: the next is dispatched
        qs.release(1, None, 0.0, 0.0)
        done = [w for w in noisy if not isinstance(w, str) and w.future.done() and w not in order]
        if quiet.future.done() and "quiet" not in order:
            order.append("quiet")
        order.extend("noisy" for _ in done)
        for w in done:
            noisy.remove(w)
    # The noisy flow's backlog is spread over its hand of two queues; the quiet flow's queue
    # gets the third turn at the latest, not the twenty-first a FIFO would give it.
    assert "quiet" in order[:3], order


async def test_a_narrow_request_goes_before_a_wide_one_of_the_same_virtual_start() -> None:
    # Eight seats: a wide LIST holds seven; another waits for eight (it does not fit), then a
    # one-seat GET of another flow arrives. Both queues start at the same virtual time; the GET
    # finishes first in virtual time, so it takes the free seat at once (kube picks by finish).
    qs = QueueSet(8, queues=64, hand_size=1, queue_length_limit=50)
    assert qs.try_take(7)
    wide = qs.enqueue(1, 8)
    narrow = qs.enqueue(2, 1)
    assert not isinstance(wide, str) and not isinstance(narrow, str) and wide.queue is not narrow.queue
    assert narrow.future.done() and not wide.future.done()
    qs.release(1, narrow.queue, 0.0, 0.0)
    qs.release(7, None, 0.0, 0.0)
    assert wide.future.done()


async def test_a_full_queue_refuses() -> None:
    qs = QueueSet(1, queues=1, hand_size=1, queue_length_limit=2)
    assert qs.try_take(1)
    assert not isinstance(qs.enqueue(5, 1), str)
    assert not isinstance(qs.enqueue(5, 1), str)
    assert qs.enqueue(5, 1) == QUEUE_FULL


# --- the server -------------------------------------------------------------------------


async def test_bootstrap_configuration_and_headers(api: APIServer, http: aiohttp.ClientSession) -> None:
    async with http.get(f"{FC}/flowschemas") as r:
        schemas = {o["metadata"]["name"]: o for o in (await r.json())["items"]}
    assert {"exempt", "catch-all", "probes", "system-leader-election", "workload-leader-election",
            "kube-controller-manager", "service-accounts", "global-default"} <= set(schemas)
    assert schemas["exempt"]["metadata"]["annotations"] == {"apf.kubernetes.io/autoupdate-spec": "true"}
    async with http.get(f"{FC}/prioritylevelconfigurations/global-default") as r:
        gd = await r.json()
    assert gd["spec"]["limited"]["nominalConcurrencyShares"] == 20
    async with http.get("/api/v1/namespaces/default/configmaps", headers=user("alice")) as r:
        assert r.status == 200
        assert r.headers["X-Kubernetes-PF-FlowSchema-UID"] == schemas["global-default"]["metadata"]["uid"]
        assert r.headers["X-Kubernetes-PF-PriorityLevel-UID"] == gd["metadata"]["uid"]
    async with http.get("/api/v1/namespaces/default/configmaps") as r:  # system:masters: exempt
        assert r.headers["X-Kubernetes-PF-FlowSchema-UID"] == schemas["exempt"]["metadata"]["uid"]
    async with http.get("/metrics") as r:
        text = await r.text()
    assert 'apiserver_flowcontrol_nominal_limit_seats{priority_level="global-default"} 49.0' in text
    assert ('apiserver_flowcontrol_dispatched_requests_total{flow_schema="global-default",'
            'priority_level="global-default"} 1.0') in text


async def test_non_resource_requests_are_classified_by_path(api: APIServer, http: aiohttp.ClientSession) -> None:
    """Health probes go to kube's ``probes`` schema (exempt), a user's discovery and /version to
    ``global-default``, as kube-apiserver's filter classifies every request, not only resources."""
    async with http.get(f"{FC}/flowschemas") as r:
        schemas = {o["metadata"]["name"]: o["metadata"]["uid"] for o in (await r.json())["items"]}
    for path in ("/healthz", "/readyz", "/livez"):
        async with http.get(path, headers=user("kubelet-probe")) as r:
            assert r.status == 200
            assert r.headers["X-Kubernetes-PF-FlowSchema-UID"] == schemas["probes"], path
    for path in ("/version", "/apis", "/api/v1", "/openapi/v2"):
        async with http.get(path, headers=user("alice")) as r:
            assert r.status == 200, path
            assert r.headers["X-Kubernetes-PF-FlowSchema-UID"] == schemas["global-default"], path
    async with http.get("/nowhere", headers=user("alice")) as r:
        assert r.status == 404
        assert r.headers["X-Kubernetes-PF-FlowSchema-UID"] == schemas["global-default"]
    async with http.get("/metrics") as r:
        text = await r.text()
    assert 'apiserver_flowcontrol_dispatched_requests_total{flow_schema="probes",priority_level="exempt"} 3.0' in text
    assert ('apiserver_flowcontrol_dispatched_requests_total{flow_schema="global-default",'
            'priority_level="global-default"} 5.0') in text


async def test_a_reject_level_without_seats_answers_429(api: APIServer, http: aiohttp.ClientSession) -> None:
    pl = {"apiVersion": "flowcontrol.apiserver.k8s.io/v1", "kind": "PriorityLevelConfiguration",
          "metadata": {"name": "none"},
          "spec": {"type": "Limited", "limited": {"nominalConcurrencyShares": 0,
                                                  "limitResponse": {"type": "Reject"}}}}
    fs = {"apiVersion": "flowcontrol.apiserver.k8s.io/v1", "kind": "FlowSchema", "metadata": {"name": "mallory"},
          "spec": {"priorityLevelConfiguration": {"name": "none"}, "matchingPrecedence": 50,
                   "distinguisherMethod": {"type": "ByUser"},
                   "rules": [{"subjects": [{"kind": "User", "user": {"name": "mallory"}}],
                              "resourceRules": [{"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"],
                                                 "namespaces": ["*"], "clusterScope": True}]}]}}
    async with http.post(f"{FC}/prioritylevelconfigurations", json=pl) as r:
        assert r.status == 201, await r.text()
    async with http.post(f"{FC}/flowschemas", json=fs) as r:
        assert r.status == 201, await r.text()
        assert (await r.json())["spec"]["matchingPrecedence"] == 50

    async def refused() -> bool:
        async with http.post("/api/v1/namespaces/default/configmaps", headers=user("mallory"),
                             json={"metadata": {"name": "nope"}}) as r:
            if r.status != 429:
                assert r.status == 201
                return False
            assert r.headers["Retry-After"] == "1"
            assert await r.text() == "Too many requests, please try again later.\n"
            return True

    await eventually(refused)
    async with http.get("/api/v1/namespaces/default/configmaps/nope") as r:
        assert r.status == 404  # a refused request changed nothing
    async with http.get("/api/v1/namespaces/default/configmaps", headers=user("bob")) as r:
        assert r.status == 200  # another user is not affected
    async with http.get("/metrics") as r:
        assert ('apiserver_flowcontrol_rejected_requests_total{flow_schema="mallory",priority_level="none",'
                'reason="concurrency-limit"}') in await r.text()


async def test_a_schema_without_its_level_dangles(api: APIServer, http: aiohttp.ClientSession) -> None:
    fs = {"apiVersion": "flowcontrol.apiserver.k8s.io/v1", "kind": "FlowSchema", "metadata": {"name": "lost"},
          "spec": {"priorityLevelConfiguration": {"name": "nowhere"},
                   "rules": [{"subjects": [{"kind": "Group", "group": {"name": "*"}}],
                              "nonResourceRules": [{"verbs": ["*"], "nonResourceURLs": ["*"]}]}]}}
    async with http.post(f"{FC}/flowschemas", json=fs) as r:
        assert r.status == 201

    async def dangling() -> Obj | None:
        async with http.get(f"{FC}/flowschemas/lost") as r:
            conditions = ((await r.json()).get("status") or {}).get("conditions") or []
        return next((c for c in conditions if c["type"] == "Dangling"), None)

    condition = await eventually(dangling)
    assert condition["status"] == "True" and condition["reason"] == "NotFound"
    assert condition["message"] == ('This FlowSchema references the PriorityLevelConfiguration object named '
                                    '"nowhere" but there is no such object')


async def test_a_list_storm_does_not_starve_a_quiet_user_or_leader_election(
        api: APIServer, http: aiohttp.ClientSession) -> None:
    """One user LISTs 3 MB of Secrets 20 at a time; another user's GETs and a controller
    manager's Lease renewals all succeed, and the storm's LISTs waited in their queues."""
    blob = base64.b64encode(b"x" * 10 * 1024).decode()
    secrets = [{"metadata": {"name": f"s{i}"}, "data": {"blob": blob}} for i in range(300)]
    for chunk in range(0, len(secrets), 50):
        await asyncio.gather(*(http.post("/api/v1/namespaces/default/secrets", json=s)
                               for s in secrets[chunk:chunk + 50]))
    async with http.post("/api/v1/namespaces/default/configmaps", json={"metadata": {"name": "quiet"}}) as r:
        assert r.status == 201
    lease = {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": {"name": "kcm"},
             "spec": {"holderIdentity": "kcm-1", "leaseDurationSeconds": 15}}
    kcm = user("system:kube-controller-manager")
    async with http.post("/apis/coordination.k8s.io/v1/namespaces/kube-system/leases", json=lease,
                         headers=kcm) as r:
        assert r.status == 201
    stop = asyncio.Event()
    noisy_codes: list[int] = []

    async def storm() -> None:
        while not stop.is_set():
            async with http.get("/api/v1/namespaces/default/secrets", headers=user("noisy")) as r:
                await r.read()
                noisy_codes.append(r.status)

    storms = [asyncio.create_task(storm()) for _ in range(20)]
    quiet_codes: list[int] = []
    renewals: list[int] = []
    try:
        await eventually(lambda: len(noisy_codes) >= 5)
        for i in range(40):
            async with http.get("/api/v1/namespaces/default/configmaps/quiet", headers=user("quiet")) as r:
                quiet_codes.append(r.status)
            if i % 4 == 0:
                path = "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kcm"
                async with http.get(path, headers=kcm) as r:
                    current = await r.json()
                current["spec"]["renewTime"] = f"2026-01-01T00:00:{i:02d}.000000Z"
                async with http.put(path, json=current, headers=kcm) as r:
                    renewals.append(r.status)
    finally:
        stop.set()
        await asyncio.gather(*storms)
    assert quiet_codes == [200] * 40
    assert renewals == [200] * 10
    assert set(noisy_codes) <= {200, 429}
    async with http.get("/metrics") as r:
        text = await r.text()
    waited = [line for line in text.splitlines() if line.startswith(
        'apiserver_flowcontrol_request_wait_duration_seconds_count{execute="true",flow_schema="global-default"')]
    assert waited and float(waited[0].rsplit(" ", 1)[1]) > 0, waited
    assert ('apiserver_flowcontrol_dispatched_requests_total{flow_schema="system-leader-election",'
            'priority_level="leader-election"}') in text


async def test_a_large_list_is_written_whole_from_its_pieces(api: APIServer, http: aiohttp.ClientSession) -> None:
    """A 3 MB LIST is sent from the cached encodings without joining them: with a Content-Length
    to an exempt user, in chunks (seats held until written) to a queued one; both the same JSON."""
    blob = base64.b64encode(b"y" * 10 * 1024).decode()
    for chunk in range(0, 300, 50):
        await asyncio.gather(*(http.post("/api/v1/namespaces/default/configmaps",
                                         json={"metadata": {"name": f"c{i:03d}"}, "data": {"blob": blob}})
                               for i in range(chunk, chunk + 50)))
    bodies = []
    for headers in ({}, user("reader")):
        async with http.get("/api/v1/namespaces/default/configmaps", headers=headers) as r:
            assert r.status == 200
            body = await r.read()
            if headers:
                assert r.headers.get("Transfer-Encoding") == "chunked"
            else:
                assert r.headers.get("Content-Length") == str(len(body))
            bodies.append(body)
    assert bodies[0] == bodies[1]
    listing = orjson.loads(bodies[0])
    assert listing["kind"] == "ConfigMapList"
    assert [c["metadata"]["name"] for c in listing["items"]] == [f"c{i:03d}" for i in range(300)]
    assert all(c["data"]["blob"] == blob for c in listing["items"])
    assert len(bodies[0]) > 3_000_000


class _Blocker:
    """An admission plugin that holds creates of ConfigMap ``block`` until released."""

    def __init__(self) -> None:
        self.entered = asyncio.Event()
        self.release = asyncio.Event()

    async def admit(self, attrs: Any, obj: Any, old: Any) -> None:
        if attrs.verb == "create" and obj is not None and obj["metadata"].get("name") == "block":
            self.entered.set()
            await self.release.wait()

    async def validate(self, attrs: Any, obj: Any, old: Any) -> None:
        return None


async def test_a_busy_level_queues_then_refuses_when_the_queue_is_full() -> None:
    from setpoint.apiserver.registry.admission import AdmissionChain

    store = await storage.open_storage("memory://")
    blocker = _Blocker()
    api = APIServer(store, authenticator=HeaderAuthenticator(), admission=AdmissionChain([blocker]),
                    max_requests_inflight=1, max_mutating_requests_inflight=1)
    await api.start("127.0.0.1", 0)
    try:
        async with aiohttp.ClientSession(f"http://127.0.0.1:{api.port}") as http:
            pl = {"apiVersion": "flowcontrol.apiserver.k8s.io/v1", "kind": "PriorityLevelConfiguration",
                  "metadata": {"name": "one"},
                  "spec": {"type": "Limited", "limited": {
                      "nominalConcurrencyShares": 1, "limitResponse": {
                          "type": "Queue", "queuing": {"queues": 1, "handSize": 1, "queueLengthLimit": 1}}}}}
            fs = {"apiVersion": "flowcontrol.apiserver.k8s.io/v1", "kind": "FlowSchema", "metadata": {"name": "one"},
                  "spec": {"priorityLevelConfiguration": {"name": "one"}, "matchingPrecedence": 50,
                           "rules": [{"subjects": [{"kind": "User", "user": {"name": "carol"}}],
                                      "resourceRules": [{"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"],
                                                         "namespaces": ["*"], "clusterScope": True}]}]}}
            for path, obj in ((f"{FC}/prioritylevelconfigurations", pl), (f"{FC}/flowschemas", fs)):
                async with http.post(path, json=obj) as r:
                    assert r.status == 201, await r.text()
            await eventually(lambda: "one" in api.flowcontrol.levels if api.flowcontrol else False)
            assert api.flowcontrol is not None and api.flowcontrol.levels["one"].nominal_limit == 1
            path = "/api/v1/namespaces/default/configmaps"

            async def create(name: str) -> int:
                async with http.post(path, json={"metadata": {"name": name}}, headers=user("carol")) as r:
                    await r.read()
                    return r.status

            held = asyncio.create_task(create("block"))  # takes the level's one seat
            await asyncio.wait_for(blocker.entered.wait(), 10)
            queued = asyncio.create_task(create("queued"))  # waits in the one queue
            await eventually(lambda: api.flowcontrol is not None
                             and api.flowcontrol.levels["one"].queues.waiting == 1)
            assert await create("refused") == 429  # the queue is full
            blocker.release.set()
            assert await held == 201 and await queued == 201
            async with http.get(f"{path}/refused") as r:
                assert r.status == 404
            async with http.get("/metrics") as r:
                assert ('apiserver_flowcontrol_rejected_requests_total{flow_schema="one",priority_level="one",'
                        'reason="queue-full"} 1.0') in await r.text()
    finally:
        blocker.release.set()
        await api.stop()
        await store.close()
