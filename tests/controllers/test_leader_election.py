"""The built-in controllers under leader election: two API servers on one store, in-process.

Each server's ControllerManager is a candidate for the Leases kube-system/kube-controller-manager
and kube-scheduler (short timings here). One leads and reconciles; a leader whose Lease is taken
from it stops at once and stands by again; a leader that stops hands over.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from setpoint import storage
from setpoint.apiserver.server import APIServer
from setpoint.controllers.manager import CONTROLLER_MANAGER_LEASE, LEASE_NAMESPACE, ControllerManager
from setpoint.runtime.leader import LEASE, LeaderElection, micro_time
from setpoint.runtime.resource import Kind
from setpoint.testing import eventually

DEPLOYMENT = Kind("apps/v1", "Deployment")
REPLICA_SET = Kind("apps/v1", "ReplicaSet")
TIMEOUT = 20.0


def _election(identity: str) -> LeaderElection:
    return LeaderElection("ignored", identity=identity, lease_duration=1.0, renew_deadline=0.8, retry_period=0.2)


@pytest.fixture
async def pair() -> AsyncIterator[list[ControllerManager]]:
    store = await storage.open_storage("memory://", compact_interval=0)
    servers = [APIServer(store), APIServer(store)]
    managers: list[ControllerManager] = []
    try:
        for i, server in enumerate(servers):
            await server.start("127.0.0.1", 0)
            cm = ControllerManager(server.registry, server.objects, controllers=["deployment", "replicaset"],
                                   nodes=0, scheduler=True, leader_elect=True, election=_election(f"server-{i}"))
            managers.append(cm)
            await cm.start()
        yield managers
    finally:
        for cm in managers:
            await cm.stop()
        for server in servers:
            await server.stop()
        await store.close()


def _leaders(managers: list[ControllerManager], lease: str = CONTROLLER_MANAGER_LEASE) -> list[str]:
    return [cm.election.identity for cm in managers if cm.elected[lease].is_leader]


def _deployment(name: str) -> dict[str, object]:
    labels = {"app": name}
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": "default"},
            "spec": {"replicas": 1, "selector": {"matchLabels": labels},
                     "template": {"metadata": {"labels": labels},
                                  "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}}


async def _reconciled(cm: ControllerManager, name: str) -> None:
    await cm.client.create(_deployment(name))

    async def has_replica_set() -> bool:
        sets = (await cm.client.list(REPLICA_SET, namespace="default"))["items"]
        return any(rs["metadata"]["ownerReferences"][0]["name"] == name for rs in sets)

    await eventually(has_replica_set, timeout=TIMEOUT)


async def test_one_leads_a_lost_lease_stops_it_and_a_stop_hands_over(pair: list[ControllerManager]) -> None:
    client = pair[0].client
    await eventually(lambda: len(_leaders(pair)) == 1, timeout=TIMEOUT)
    await eventually(lambda: len(_leaders(pair, "kube-scheduler")) == 1, timeout=TIMEOUT)
    for cm in pair:  # the API server's own runs everywhere; the rest only under a Lease
        assert set(cm.manager.controllers) == {"customresourcecleanup"}
        assert {"deployment", "replicaset"} <= set(cm.elected[CONTROLLER_MANAGER_LEASE].controllers)
        assert set(cm.elected["kube-scheduler"].controllers) == {"default-scheduler"}
    lease = await client.get(LEASE, CONTROLLER_MANAGER_LEASE, LEASE_NAMESPACE)
    (leader_id,) = _leaders(pair)
    assert lease["spec"]["holderIdentity"] == leader_id
    await _reconciled(pair[0], "first")
    assert len(_leaders(pair)) == 1

    # Another holder takes the Lease (as after a partition): the leader stops at once and stands by.
    leader = next(cm for cm in pair if cm.election.identity == leader_id)
    lost = leader.elected[CONTROLLER_MANAGER_LEASE]
    lease["spec"].update({"holderIdentity": "intruder", "renewTime": micro_time(), "leaseDurationSeconds": 1})
    await client.update(lease)
    await eventually(lambda: not lost.is_leader, timeout=TIMEOUT)
    await eventually(lambda: leader.elected[CONTROLLER_MANAGER_LEASE] is not lost, timeout=TIMEOUT)  # a new standby
    # The intruder never renews: after its lease duration a server leads again, and reconciles.
    await eventually(lambda: len(_leaders(pair)) == 1, timeout=TIMEOUT)
    await _reconciled(pair[1], "second")

    # The leader stops cleanly: it releases the Lease and the other one leads.
    (leader_id,) = _leaders(pair)
    leader = next(cm for cm in pair if cm.election.identity == leader_id)
    other = next(cm for cm in pair if cm is not leader)
    await leader.stop()
    pair.remove(leader)
    await eventually(lambda: other.elected[CONTROLLER_MANAGER_LEASE].is_leader, timeout=TIMEOUT)
    lease = await client.get(LEASE, CONTROLLER_MANAGER_LEASE, LEASE_NAMESPACE)
    assert lease["spec"]["holderIdentity"] == other.election.identity
    await _reconciled(other, "third")


async def test_without_leader_election_no_lease(api: APIServer) -> None:
    """The default (SQLite, memory): every controller on the one manager, no Lease written."""
    cm = ControllerManager(api.registry, api.objects, controllers=["deployment", "replicaset"], scheduler=True)
    assert cm.elected == {}
    assert {"deployment", "replicaset", "default-scheduler"} <= set(cm.manager.controllers)
    await cm.start()
    try:
        await _reconciled(cm, "plain")
        leases = await cm.client.list(LEASE, namespace=LEASE_NAMESPACE)
        assert leases["items"] == []
    finally:
        await cm.stop()
