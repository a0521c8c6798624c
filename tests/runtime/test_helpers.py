"""Helpers: conditions, merge patches, owner references, finalizers, events, create-or-patch."""

from __future__ import annotations

from typing import Any

import pytest
from runtime_helpers import CM, install_crd

from setpoint.runtime import Kind, conditions, finalizers, objects
from setpoint.runtime.events import EventRecorder
from setpoint.testing import ApiServer

EVENT = Kind("v1", "Event")


def test_conditions_move_transition_time_only_when_status_changes() -> None:
    conds: list[dict[str, Any]] = []
    assert conditions.set_condition(conds, "Ready", "False", "Waiting", "not yet", observed_generation=1,
                                    transition_time="2024-01-01T00:00:00Z")
    assert not conditions.set_condition(conds, "Ready", "False", "Waiting", "not yet", observed_generation=1)
    assert conditions.set_condition(conds, "Ready", "False", "StillWaiting", "hm", observed_generation=2)
    assert conds[0]["lastTransitionTime"] == "2024-01-01T00:00:00Z", "reason/message/generation do not move it"
    assert conds[0]["observedGeneration"] == 2
    assert conditions.set_condition(conds, "Ready", "True", "Done", transition_time="2024-01-02T00:00:00Z")
    assert conds[0]["lastTransitionTime"] == "2024-01-02T00:00:00Z"
    assert conditions.is_true(conds, "Ready") and not conditions.is_true(conds, "Other")
    assert conditions.remove_condition(conds, "Ready") and conds == []
    with pytest.raises(ValueError):
        conditions.set_condition(conds, "Ready", "yes", "Bad")


def test_merge_patch_is_minimal_and_empty_when_equal() -> None:
    old = {"a": 1, "b": {"c": 2, "d": 3}, "l": [1, 2], "gone": True}
    new = {"a": 1, "b": {"c": 2, "d": 4, "e": 5}, "l": [1, 2, 3]}
    assert objects.merge_patch(old, new) == {"b": {"d": 4, "e": 5}, "l": [1, 2, 3], "gone": None}
    assert objects.merge_patch(new, objects.mutable(new)) == {}


def test_controller_reference_refuses_a_second_controller() -> None:
    owner = {"apiVersion": "x/v1", "kind": "A", "metadata": {"name": "a", "namespace": "ns", "uid": "u1"}}
    other = {"apiVersion": "x/v1", "kind": "A", "metadata": {"name": "b", "namespace": "ns", "uid": "u2"}}
    child: dict[str, Any] = {"metadata": {"name": "c", "namespace": "ns"}}
    objects.set_controller_reference(owner, child)
    objects.set_controller_reference(owner, child)  # idempotent
    assert len(child["metadata"]["ownerReferences"]) == 1
    assert objects.is_controlled_by(child, owner)
    with pytest.raises(objects.AlreadyOwned):
        objects.set_controller_reference(other, child)
    with pytest.raises(ValueError):
        objects.set_controller_reference(owner, {"metadata": {"name": "x", "namespace": "elsewhere"}})


async def test_finalizers_add_remove_and_deletion(setpoint_api: ApiServer) -> None:
    c = setpoint_api.client
    obj = await c.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "f", "namespace": "default"}})
    with_f = await finalizers.add_finalizer(c, obj, "example.com/cleanup")
    assert with_f is not None and finalizers.has_finalizer(with_f, "example.com/cleanup")
    assert await finalizers.add_finalizer(c, with_f, "example.com/cleanup") is None
    await c.delete(CM, "f", "default")
    deleting = await c.get(CM, "f", "default")
    assert finalizers.is_being_deleted(deleting)
    assert await finalizers.remove_finalizer(c, deleting, "example.com/cleanup") is not None
    from setpoint.runtime import errors
    with pytest.raises(errors.NotFound):
        await c.get(CM, "f", "default")


async def test_events_are_aggregated_into_a_count(setpoint_api: ApiServer) -> None:
    c = setpoint_api.client
    obj = await c.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "e", "namespace": "default"}})
    recorder = EventRecorder(c, "tests")
    for _ in range(3):
        await recorder.normal(obj, "Synced", "all good")
    await recorder.warning(obj, "Failed", "oops")
    events = (await c.list(EVENT, "default"))["items"]
    synced = [e for e in events if e["reason"] == "Synced"]
    assert len(synced) == 1 and synced[0]["count"] == 3
    assert synced[0]["involvedObject"]["uid"] == obj["metadata"]["uid"]
    assert synced[0]["source"]["component"] == "tests"
    assert [e["type"] for e in events if e["reason"] == "Failed"] == ["Warning"]


async def test_create_or_patch_creates_updates_and_then_sends_nothing(setpoint_api: ApiServer) -> None:
    c = setpoint_api.client
    kind = await install_crd(c)

    def mutate(obj: dict[str, Any]) -> None:
        obj.setdefault("spec", {})["value"] = 5
        obj["status"] = {"phase": "Ready"}

    op, created = await objects.create_or_patch(c, kind, "cp", "default", mutate)
    assert op is objects.Operation.CREATED
    assert created["spec"] == {"value": 5} and created["status"] == {"phase": "Ready"}
    op, same = await objects.create_or_patch(c, kind, "cp", "default", mutate)
    assert op is objects.Operation.NONE
    patches = await setpoint_api.request_count(verb="PATCH")
    op, _ = await objects.create_or_patch(c, kind, "cp", "default", mutate, current=same)
    assert op is objects.Operation.NONE
    assert await setpoint_api.request_count(verb="PATCH") == patches

    def bump(obj: dict[str, Any]) -> None:
        obj["spec"]["value"] = 6
        obj["status"]["phase"] = "Updating"

    op, updated = await objects.create_or_patch(c, kind, "cp", "default", bump)
    assert op is objects.Operation.UPDATED
    assert updated["spec"]["value"] == 6 and updated["status"]["phase"] == "Updating"
