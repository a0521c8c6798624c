"""The StatefulSet controller over the in-process client: ordered and parallel pods, scale
down in reverse, partitioned rolling updates, claims from templates, revisions, status."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sets_helpers import (
    PVC,
    REVISION,
    STS,
    event_messages,
    get_or_none,
    pod_names,
    pods_are,
    set_pod_ready,
    workload,
)

from setpoint.apimachinery.types import Obj
from setpoint.apiserver.server import APIServer
from setpoint.controllers import history
from setpoint.controllers.inprocess import InProcessClient
from setpoint.controllers.manager import ControllerManager
from setpoint.runtime.client import PatchType
from setpoint.runtime.resource import Kind
from setpoint.testing import eventually

POD = Kind("v1", "Pod")
NAMESPACE = Kind("v1", "Namespace")
NS = "sets"


@pytest.fixture
async def controllers(api: APIServer, client: InProcessClient) -> AsyncIterator[ControllerManager]:
    await client.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}})
    cm = ControllerManager(api.registry, api.objects,
                           controllers=["statefulset-controller", "garbage-collector-controller"])
    await cm.start()
    try:
        yield cm
    finally:
        await cm.stop()


async def status_of(client: InProcessClient, name: str) -> Obj:
    return dict((await client.get(STS, name, NS)).get("status") or {})


async def ready_all(client: InProcessClient, names: list[str]) -> None:
    for n in names:
        await set_pod_ready(client, n, NS)


async def test_ordered_ready_creates_one_pod_at_a_time(client: InProcessClient, controllers: ControllerManager) -> None:
    await client.create(workload("StatefulSet", "web", NS, replicas=3, serviceName="nginx"))
    await eventually(lambda: pods_are(client, NS, ["web-0"]))
    # Running but not Ready: web-1 waits.
    await set_pod_ready(client, "web-0", NS, ready=False)
    await eventually(lambda: _assert_status(client, "web", replicas=1, observedGeneration=1))
    assert await pod_names(client, NS) == ["web-0"]
    await set_pod_ready(client, "web-0", NS)
    await eventually(lambda: pods_are(client, NS, ["web-0", "web-1"]))
    await eventually(lambda: _assert_status(client, "web", replicas=2, readyReplicas=1))
    assert await pod_names(client, NS) == ["web-0", "web-1"]
    await set_pod_ready(client, "web-1", NS)
    await eventually(lambda: pods_are(client, NS, ["web-0", "web-1", "web-2"]))
    await set_pod_ready(client, "web-2", NS)
    status = await eventually(lambda: _assert_status(client, "web", replicas=3, readyReplicas=3,
                                                     availableReplicas=3, currentReplicas=3, updatedReplicas=3))
    assert status["currentRevision"] == status["updateRevision"] and status["collisionCount"] == 0
    pod = await client.get(POD, "web-1", NS)
    assert pod["metadata"]["labels"] == {"app": "web", "statefulset.kubernetes.io/pod-name": "web-1",
                                         "apps.kubernetes.io/pod-index": "1",
                                         "controller-revision-hash": status["updateRevision"]}
    assert pod["metadata"]["generateName"] == "web-"
    assert pod["spec"]["hostname"] == "web-1" and pod["spec"]["subdomain"] == "nginx"
    ref = pod["metadata"]["ownerReferences"][0]
    assert (ref["kind"], ref["name"], ref["controller"], ref["blockOwnerDeletion"]) == ("StatefulSet", "web", True, True)
    assert (await event_messages(client, NS, "web"))[:3] == [
        "create Pod web-0 in StatefulSet web successful", "create Pod web-1 in StatefulSet web successful",
        "create Pod web-2 in StatefulSet web successful"]


async def _assert_status(client: InProcessClient, name: str, **want: object) -> Obj:
    status = await status_of(client, name)
    assert {k: status.get(k) for k in want} == want, status
    return status


async def test_parallel_creates_all_and_scale_down_goes_in_reverse(
        client: InProcessClient, controllers: ControllerManager) -> None:
    await client.create(workload("StatefulSet", "db", NS, replicas=3, podManagementPolicy="Parallel"))
    await eventually(lambda: pods_are(client, NS, ["db-0", "db-1", "db-2"]))
    await client.delete(STS, "db", NS)
    await eventually(lambda: pods_are(client, NS, []))

    await client.create(workload("StatefulSet", "web", NS, replicas=3))
    for i in range(3):
        await eventually(lambda i=i: get_or_none(client, POD, f"web-{i}", NS))
        await set_pod_ready(client, f"web-{i}", NS)
    await eventually(lambda: _assert_status(client, "web", readyReplicas=3))
    deleted: list[str] = []
    watch = await client.watch(POD, NS)

    async def record() -> None:
        async for event in watch:
            if event.type == "DELETED":
                deleted.append(event.object["metadata"]["name"])

    task = asyncio.ensure_future(record())
    try:
        await client.patch(STS, "web", {"spec": {"replicas": 0}}, NS, subresource="scale")
        await eventually(lambda: pods_are(client, NS, []))
        await eventually(lambda: len(deleted) == 3)
    finally:
        watch.close()
        task.cancel()
    assert deleted == ["web-2", "web-1", "web-0"]
    assert "delete Pod web-2 in StatefulSet web successful" in await event_messages(client, NS, "web")


async def test_partitioned_rolling_update_replaces_only_ordinals_from_the_partition(
        client: InProcessClient, controllers: ControllerManager) -> None:
    await client.create(workload("StatefulSet", "web", NS, replicas=3, podManagementPolicy="Parallel"))
    await eventually(lambda: pods_are(client, NS, ["web-0", "web-1", "web-2"]))
    await ready_all(client, ["web-0", "web-1", "web-2"])
    first = await eventually(lambda: _assert_status(client, "web", readyReplicas=3, currentReplicas=3))
    uids = {n: (await client.get(POD, n, NS))["metadata"]["uid"] for n in ("web-0", "web-1", "web-2")}
    await client.patch(STS, "web", {"spec": {
        "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": 1}},
        "template": {"spec": {"containers": [{"name": "app", "image": "nginx:1.28"}]}}}}, NS,
        type=PatchType.STRATEGIC)

    async def replaced(name: str) -> Obj:
        pod = await client.get(POD, name, NS)
        assert pod["metadata"]["uid"] != uids[name] and pod["spec"]["containers"][0]["image"] == "nginx:1.28"
        return pod

    pod2 = await eventually(lambda: replaced("web-2"))
    assert pod2["metadata"]["labels"]["controller-revision-hash"] != first["currentRevision"]
    await set_pod_ready(client, "web-2", NS)
    pod1 = await eventually(lambda: replaced("web-1"))
    await set_pod_ready(client, "web-1", NS)
    status = await eventually(lambda: _assert_status(client, "web", readyReplicas=3, updatedReplicas=2,
                                                     currentReplicas=1, observedGeneration=2))
    assert status["currentRevision"] == first["currentRevision"] != status["updateRevision"]
    assert pod1["metadata"]["labels"]["controller-revision-hash"] == status["updateRevision"]
    web0 = await client.get(POD, "web-0", NS)
    assert web0["metadata"]["uid"] == uids["web-0"] and web0["spec"]["containers"][0]["image"] == "nginx:1.27"
    revisions = (await client.list(REVISION, NS))["items"]
    assert sorted((r["revision"], r["metadata"]["name"]) for r in revisions) == [
        (1, first["currentRevision"]), (2, status["updateRevision"])]
    for r in revisions:
        assert r["metadata"]["labels"]["app"] == "web"
        assert r["metadata"]["name"] == f"web-{r['metadata']['labels']['controller.kubernetes.io/hash']}"
        assert r["data"]["spec"]["template"]["$patch"] == "replace"
    # Partition 0 finishes the roll-out; the current revision becomes the update revision.
    await client.patch(STS, "web", {"spec": {"updateStrategy": {"rollingUpdate": {"partition": 0}}}}, NS)
    await eventually(lambda: replaced("web-0"))
    await set_pod_ready(client, "web-0", NS)
    done = await eventually(lambda: _assert_status(client, "web", readyReplicas=3, updatedReplicas=3,
                                                   currentReplicas=3))
    assert done["currentRevision"] == done["updateRevision"] == status["updateRevision"]


async def test_claims_from_templates_and_retention(client: InProcessClient, controllers: ControllerManager) -> None:
    claim = {"metadata": {"name": "www", "labels": {"tier": "data"}},
             "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}
    body = workload("StatefulSet", "web", NS, replicas=2, podManagementPolicy="Parallel",
                    volumeClaimTemplates=[claim],
                    persistentVolumeClaimRetentionPolicy={"whenDeleted": "Retain", "whenScaled": "Delete"})
    body["spec"]["template"]["spec"]["volumes"] = [{"name": "config", "emptyDir": {}}]
    sts = await client.create(body)
    pvc = await eventually(lambda: get_or_none(client, PVC, "www-web-1", NS))
    assert pvc["metadata"]["labels"] == {"tier": "data", "app": "web"}
    assert pvc["spec"]["accessModes"] == ["ReadWriteOnce"] and pvc["status"]["phase"] == "Pending"
    pod = await eventually(lambda: get_or_none(client, POD, "web-1", NS))
    # (then the API token volume the ServiceAccount admission plugin adds)
    assert pod["spec"]["volumes"][:2] == [{"name": "www", "persistentVolumeClaim": {"claimName": "www-web-1"}},
                                          {"name": "config", "emptyDir": {}}]
    assert "create Claim www-web-0 Pod web-0 in StatefulSet web success" in await event_messages(client, NS, "web")
    await ready_all(client, ["web-0", "web-1"])
    # whenScaled: Delete -- the claim of the pod scaled away goes with it.
    await client.patch(STS, "web", {"spec": {"replicas": 1}}, NS)
    await eventually(lambda: _absent(client, PVC, "www-web-1"))
    kept = await client.get(PVC, "www-web-0", NS)
    assert kept["metadata"].get("ownerReferences") is None
    # whenDeleted: Delete -- the claims of the pods in range are the set's (a controller reference).
    await client.patch(STS, "web", {"spec": {"persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Delete"}}}, NS)

    async def owned_by_set() -> bool:
        refs = (await client.get(PVC, "www-web-0", NS))["metadata"].get("ownerReferences")
        assert refs == [{"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "web", "uid": sts["metadata"]["uid"],
                         "controller": True, "blockOwnerDeletion": True}], refs
        return True

    await eventually(owned_by_set)
    # Deleting the set deletes its pods and, through those references, the claims.
    await client.delete(STS, "web", NS)
    await eventually(lambda: _absent(client, PVC, "www-web-0"))
    await eventually(lambda: pods_are(client, NS, []))


async def test_orphan_pods_of_its_name_are_adopted(client: InProcessClient, controllers: ControllerManager) -> None:
    await client.create(workload("StatefulSet", "web", NS, replicas=1, podManagementPolicy="Parallel"))
    await eventually(lambda: pods_are(client, NS, ["web-0"]))
    orphan = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web-3", "namespace": NS,
                                                              "labels": {"app": "web"}},
              "spec": {"containers": [{"name": "app", "image": "nginx:1.27"}]}}
    await client.create(orphan)
    # Adopted, then deleted as beyond the replicas.
    await eventually(lambda: pods_are(client, NS, ["web-0"]))
    assert "delete Pod web-3 in StatefulSet web successful" in await event_messages(client, NS, "web")


async def _absent(client: InProcessClient, kind: Kind, name: str) -> bool:
    return await get_or_none(client, kind, name, NS) is None


async def test_ondelete_replaces_only_deleted_pods(client: InProcessClient, controllers: ControllerManager) -> None:
    await client.create(workload("StatefulSet", "web", NS, replicas=2, podManagementPolicy="Parallel",
                                 updateStrategy={"type": "OnDelete"}))
    await eventually(lambda: pods_are(client, NS, ["web-0", "web-1"]))
    await ready_all(client, ["web-0", "web-1"])
    await eventually(lambda: _assert_status(client, "web", readyReplicas=2))
    await client.patch(STS, "web", {"spec": {"template": {"spec": {"containers": [
        {"name": "app", "image": "nginx:1.28"}]}}}}, NS, type=PatchType.STRATEGIC)
    status = await eventually(lambda: _assert_status(client, "web", observedGeneration=2, updatedReplicas=None))
    assert status["currentRevision"] != status["updateRevision"]
    assert (await client.get(POD, "web-1", NS))["spec"]["containers"][0]["image"] == "nginx:1.27"
    await client.delete(POD, "web-1", NS)

    async def new_image() -> bool:
        pod = await get_or_none(client, POD, "web-1", NS)
        return pod is not None and pod["spec"]["containers"][0]["image"] == "nginx:1.28"

    await eventually(new_image)
    assert (await client.get(POD, "web-0", NS))["spec"]["containers"][0]["image"] == "nginx:1.27"


async def test_max_unavailable_replaces_several_pods_at_once(
        client: InProcessClient, controllers: ControllerManager) -> None:
    await client.create(workload("StatefulSet", "web", NS, replicas=4, podManagementPolicy="Parallel",
                                 updateStrategy={"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 2}}))
    await eventually(lambda: pods_are(client, NS, ["web-0", "web-1", "web-2", "web-3"]))
    await ready_all(client, ["web-0", "web-1", "web-2", "web-3"])
    await eventually(lambda: _assert_status(client, "web", readyReplicas=4))
    await client.patch(STS, "web", {"spec": {"template": {"spec": {"containers": [
        {"name": "app", "image": "nginx:1.28"}]}}}}, NS, type=PatchType.STRATEGIC)

    async def new_images() -> list[str]:
        pods = (await client.list(POD, NS))["items"]
        return sorted(p["metadata"]["name"] for p in pods if p["spec"]["containers"][0]["image"] == "nginx:1.28")

    async def replaced(expected: list[str]) -> bool:
        got = await new_images()
        assert got == expected, got
        return True

    # The two highest ordinals go together; the others wait until those are healthy.
    await eventually(lambda: replaced(["web-2", "web-3"]))
    await eventually(lambda: _assert_status(client, "web", updatedReplicas=2, readyReplicas=2))
    assert await new_images() == ["web-2", "web-3"]
    await ready_all(client, ["web-2", "web-3"])
    await eventually(lambda: replaced(["web-0", "web-1", "web-2", "web-3"]))


def test_revision_names_hash_as_kube() -> None:
    """The revision of a known template is named with the hash kube gives it."""
    template = {"metadata": {"annotations": {"test": "value"}, "labels": {"app": "foo"}},
                "spec": {"containers": [{"image": "test", "imagePullPolicy": "Always", "name": "test", "resources": {},
                                         "terminationMessagePath": "/dev/termination-log",
                                         "terminationMessagePolicy": "File"}],
                         "dnsPolicy": "ClusterFirst", "restartPolicy": "Always", "schedulerName": "default-scheduler",
                         "securityContext": {}, "terminationGracePeriodSeconds": 30}}
    owner = {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "test", "namespace": "default",
                                                                          "uid": "u"}}
    revision = history.new_revision(owner, template["metadata"]["labels"], history.template_patch(template), 2, 0)
    assert revision["metadata"]["name"] == "test-776999688b"
    assert revision["metadata"]["labels"] == {"app": "foo", "controller.kubernetes.io/hash": "776999688b"}


async def test_failed_pods_are_recreated(client: InProcessClient, controllers: ControllerManager) -> None:
    await client.create(workload("StatefulSet", "web", NS, replicas=1))
    first = await eventually(lambda: get_or_none(client, POD, "web-0", NS))
    await set_pod_ready(client, "web-0", NS, ready=False, phase="Failed")

    async def recreated() -> Obj:
        pod = await get_or_none(client, POD, "web-0", NS)
        assert pod is not None and pod["metadata"]["uid"] != first["metadata"]["uid"]
        return pod

    await eventually(recreated)
    messages = await event_messages(client, NS, "web")
    assert f"StatefulSet {NS}/web is recreating failed Pod web-0" in messages
    assert messages.count("create Pod web-0 in StatefulSet web successful") == 1  # counted, not repeated


async def test_ordinals_start_and_min_ready_seconds(client: InProcessClient, controllers: ControllerManager) -> None:
    await client.create(workload("StatefulSet", "web", NS, replicas=2, podManagementPolicy="Parallel",
                                 ordinals={"start": 5}, minReadySeconds=1))
    await eventually(lambda: pods_are(client, NS, ["web-5", "web-6"]))
    assert (await client.get(POD, "web-6", NS))["metadata"]["labels"]["apps.kubernetes.io/pod-index"] == "6"
    await ready_all(client, ["web-5", "web-6"])
    # Ready at once, available only after minReadySeconds (the controller looks again then).
    await eventually(lambda: _assert_status(client, "web", readyReplicas=2, availableReplicas=0))
    await eventually(lambda: _assert_status(client, "web", readyReplicas=2, availableReplicas=2), timeout=5)


async def test_a_stale_claim_blocks_its_pod(api: APIServer, client: InProcessClient) -> None:
    """A claim still owned by an earlier pod of the name (whenScaled: Delete) is about to be collected:
    the pod waits for it to go (no garbage collector runs here, so the test deletes it)."""
    await client.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}})
    cm = ControllerManager(api.registry, api.objects, controllers=["statefulset-controller"])
    await cm.start()
    try:
        await client.create({"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {
            "name": "www-web-1", "namespace": NS, "ownerReferences": [
                {"apiVersion": "v1", "kind": "Pod", "name": "web-1", "uid": "gone", "controller": True}]},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}})
        claim = {"metadata": {"name": "www"},
                 "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}
        await client.create(workload("StatefulSet", "web", NS, replicas=2, podManagementPolicy="Parallel",
                                     volumeClaimTemplates=[claim],
                                     persistentVolumeClaimRetentionPolicy={"whenScaled": "Delete"}))
        await eventually(lambda: _assert_status(client, "web", replicas=1, observedGeneration=1))
        assert await pod_names(client, NS) == ["web-0"]
        await client.delete(PVC, "www-web-1", NS)
        await eventually(lambda: pods_are(client, NS, ["web-0", "web-1"]))
        fresh = await eventually(lambda: get_or_none(client, PVC, "www-web-1", NS))
        assert fresh["metadata"].get("ownerReferences") is None
    finally:
        await cm.stop()


async def test_history_is_truncated_to_the_limit(client: InProcessClient, controllers: ControllerManager) -> None:
    await client.create(workload("StatefulSet", "web", NS, replicas=0, revisionHistoryLimit=1))
    for image in ("nginx:1.28", "nginx:1.29", "nginx:1.30"):
        await eventually(lambda: _assert_status(client, "web", replicas=0))
        await client.patch(STS, "web", {"spec": {"template": {"spec": {"containers": [
            {"name": "app", "image": image}]}}}}, NS, type=PatchType.STRATEGIC)

    async def kept() -> bool:
        status = await status_of(client, "web")
        revisions = sorted((r["revision"], r["metadata"]["name"]) for r in (await client.list(REVISION, NS))["items"])
        assert status.get("observedGeneration") == 4 and [n for n, _ in revisions] == [3, 4], revisions
        assert revisions[1][1] == status["updateRevision"] == status["currentRevision"]
        return True

    await eventually(kept)


async def test_a_pod_that_cannot_be_created_is_reported(client: InProcessClient, controllers: ControllerManager) -> None:
    """kube accepts a StatefulSet whose template has no containers; its pods are refused."""
    body = workload("StatefulSet", "web", NS, replicas=1)
    body["spec"]["template"]["spec"]["containers"] = []
    await client.create(body)
    status = await eventually(lambda: _assert_status(client, "web", replicas=0, observedGeneration=1))
    assert status["updateRevision"].startswith("web-")

    async def failed() -> list[str]:
        messages = [m for m in await event_messages(client, NS, "web") if m.startswith("create Pod web-0")]
        assert messages, messages
        return messages

    messages = await eventually(failed)
    assert messages[0] == ('create Pod web-0 in StatefulSet web failed error: Pod "web-0" is invalid: '
                           "spec.containers: Required value")


async def test_orphaned_pods_are_adopted_by_a_new_set(client: InProcessClient, controllers: ControllerManager) -> None:
    await client.create(workload("StatefulSet", "web", NS, replicas=2, podManagementPolicy="Parallel"))
    await eventually(lambda: pods_are(client, NS, ["web-0", "web-1"]))
    uids = {n: (await client.get(POD, n, NS))["metadata"]["uid"] for n in ("web-0", "web-1")}
    await client.delete(STS, "web", NS, propagation_policy="Orphan")

    async def orphaned() -> bool:
        assert await get_or_none(client, STS, "web", NS) is None
        for n in uids:
            assert not (await client.get(POD, n, NS))["metadata"].get("ownerReferences")
        return True

    await eventually(orphaned)
    again = await client.create(workload("StatefulSet", "web", NS, replicas=2, podManagementPolicy="Parallel"))

    async def adopted() -> bool:
        for n, uid in uids.items():
            pod = await client.get(POD, n, NS)
            assert pod["metadata"]["uid"] == uid
            assert [r["uid"] for r in pod["metadata"].get("ownerReferences") or []] == [again["metadata"]["uid"]]
        revisions = (await client.list(REVISION, NS))["items"]
        assert [[r["uid"] for r in x["metadata"]["ownerReferences"]] for x in revisions] == [[again["metadata"]["uid"]]]
        return True

    await eventually(adopted)
