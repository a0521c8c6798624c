"""Server-side apply: field sets and their FieldsV1 form, typed merges, and apply through
``APIServer.handle`` (managers, conflicts, force, removal, managedFields on every write)."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
import pytest

from setpoint.apiserver.builtin import builtin_resources
from setpoint.apiserver.fieldmanager import manager, typed
from setpoint.apiserver.fieldmanager.fieldpath import Set, field, key, path_string, value
from setpoint.apiserver.http import Request, Response
from setpoint.apiserver.server import APIServer
from setpoint.testing import eventually

Obj = dict[str, Any]
CMS = "/api/v1/namespaces/default/configmaps"
PODS = "/api/v1/namespaces/default/pods"
APPLY = "application/apply-patch+yaml"


# --- field sets ----------------------------------------------------------------------


def test_fields_v1_round_trip_markers_and_kube_order() -> None:
    s = Set.of(
        (field("metadata"), field("labels")),
        (field("metadata"), field("labels"), field("app")),
        (field("spec"), field("containers"), key([("name", "b")])),
        (field("spec"), field("containers"), key([("name", "b")]), field("image")),
        (field("spec"), field("containers"), key([("name", "a")]), field("image")),
        (field("spec"), field("finalizers"), value("x")),
        (field("data"), field("b")),
        (field("data"), field("B")),
    )
    fields = s.to_fields()
    # Field names sort bytewise, keys by their fields; "." marks a member with children.
    assert list(fields) == ["f:data", "f:metadata", "f:spec"]
    assert list(fields["f:data"]) == ["f:B", "f:b"]
    assert fields["f:metadata"] == {"f:labels": {".": {}, "f:app": {}}}
    assert list(fields["f:spec"]["f:containers"]) == ['k:{"name":"a"}', 'k:{"name":"b"}']
    assert fields["f:spec"]["f:containers"]['k:{"name":"b"}'] == {".": {}, "f:image": {}}
    assert fields["f:spec"]["f:finalizers"] == {'v:"x"': {}}
    assert Set.from_fields(orjson.loads(orjson.dumps(fields))) == s


def test_set_algebra_and_paths() -> None:
    a = Set.of((field("data"), field("x")), (field("data"), field("y")))
    b = Set.of((field("data"), field("y")), (field("data"), field("z")))
    assert a.intersection(b).to_fields() == {"f:data": {"f:y": {}}}
    assert a.difference(b).to_fields() == {"f:data": {"f:x": {}}}
    assert a.union(b).to_fields() == {"f:data": {"f:x": {}, "f:y": {}, "f:z": {}}}
    assert a.recursive_difference(Set.of((field("data"),))).empty()
    assert path_string((field("spec"), field("containers"), key([("name", "c")]), field("image"))) == \
        '.spec.containers[name="c"].image'


def _pods_atom() -> typed.Atom:
    pods = next(r for r in builtin_resources() if r.plural == "pods")
    return typed.root(pods.schema)


def test_merge_keeps_live_list_map_items_and_fields() -> None:
    atom = _pods_atom()
    live = {"spec": {"containers": [{"name": "a", "image": "x", "imagePullPolicy": "Always"},
                                    {"name": "b", "image": "y"}]}}
    config = {"spec": {"containers": [{"name": "a", "image": "z"}]}}
    merged = typed.merge(live, config, atom)
    assert merged["spec"]["containers"] == [{"name": "a", "image": "z", "imagePullPolicy": "Always"},
                                            {"name": "b", "image": "y"}]
    fields = typed.to_set(config, atom).to_fields()
    assert fields == {"f:spec": {"f:containers": {'k:{"name":"a"}': {".": {}, "f:image": {}, "f:name": {}}}}}
    removed = typed.remove_items(merged, Set.of((field("spec"), field("containers"), key([("name", "b")]))), atom)
    assert [c["name"] for c in removed["spec"]["containers"]] == ["a"]


_CREATED = [
    ("configmaps", {"apiVersion": "v1", "kind": "ConfigMap",
                    "metadata": {"name": "c", "namespace": "d", "uid": "u", "labels": {"a": "b"}, "annotations": {},
                                 "finalizers": ["x/y"], "ownerReferences": [
                                     {"apiVersion": "v1", "kind": "Node", "name": "n", "uid": "1"}]},
                    "data": {"k": "v", "e": ""}, "binaryData": None}),
    ("configmaps", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "bare"}}),
    ("configmaps", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {}, "data": {}}),
    ("pods", {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "generateName": "p-"},
              "spec": {"containers": [{"name": "a", "image": "x", "ports": [{"containerPort": 80, "protocol": "TCP"},
                                                                           {"containerPort": 80, "protocol": "UDP"}],
                                       "env": [{"name": "E", "value": "1"}, {"name": "E", "value": "2"}]},
                                      {"name": "b", "image": "y", "args": ["1", "2"]}],
                       "tolerations": [{"key": "k", "operator": "Exists"}], "nodeSelector": {}},
              "status": {"phase": "Pending"}}),
    ("pods", {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {}}),
    ("pods", {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": None}),
    ("pods", {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": "wrong"}),
    ("pods", {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
              "spec": {"containers": [{"image": "no name"}]}}),
    ("deployments", {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
                     "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "d"}},
                              "template": {"metadata": {"labels": {"app": "d"}},
                                           "spec": {"containers": [{"name": "c", "image": "i"}]}}}}),
]


@pytest.mark.parametrize(("plural", "obj"), _CREATED)
def test_a_creates_managed_fields_are_the_comparison_with_the_zero_object(plural: str, obj: Obj) -> None:
    """The one-walk path of a create gives what the general comparison gives."""
    resource = next(r for r in builtin_resources() if r.plural == plural)
    fm = manager.FieldManager.of(resource)
    fast = fm.update(None, obj, "m")
    try:
        general = manager.encode(fm._update_managers(fm.empty, obj, {}, "m", ""))
    except typed.TypedError:
        general = None
    got = fast["metadata"].get("managedFields")
    assert (got is None) == (general is None)
    if got is not None and general is not None:
        assert [e["fieldsV1"] for e in got] == [e["fieldsV1"] for e in general]
        assert [{k: v for k, v in e.items() if k != "time"} for e in got] == [
            {k: v for k, v in e.items() if k != "time"} for e in general]



def test_a_custom_resources_create_is_compared_with_nothing() -> None:
    schema = {"type": "object", "properties": {
        "spec": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
        "status": {"type": "object", "properties": {"n": {"type": "integer"}}}}}
    fm = manager.FieldManager("example.com/v1", schema, has_status=True, custom=True, kind="Widget")
    obj = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w", "labels": {"a": "b"}},
           "spec": {"free": {"form": [1, {"x": 2}]}, "empty": {}}, "status": {"n": 1}}
    got = fm.update(None, obj, "m")["metadata"]["managedFields"]
    general = manager.encode(fm._update_managers(fm.empty, obj, {}, "m", ""))
    assert general is not None
    assert got[0]["fieldsV1"] == general[0]["fieldsV1"] == {
        "f:metadata": {"f:labels": {".": {}, "f:a": {}}},
        "f:spec": {".": {}, "f:empty": {}, "f:free": {".": {}, "f:form": {}}}}


# --- through the server ---------------------------------------------------------------------


async def call(api: APIServer, method: str, path: str, body: Any = None, *, query: str = "",
               content_type: str = "application/json", agent: str = "") -> tuple[int, Obj]:
    headers = {"content-type": content_type} if body is not None else {}
    if agent:
        headers["user-agent"] = agent
    raw = b"" if body is None else (body if isinstance(body, bytes) else orjson.dumps(body))
    response = await api.handle(Request(method, path, query_string=query.encode(), headers=headers, body=raw))
    assert isinstance(response, Response), response
    out: Obj = orjson.loads(response.body)
    return response.status, out


async def apply(api: APIServer, path: str, obj: Obj, manager: str, *, force: bool = False,
                extra: str = "") -> tuple[int, Obj]:
    query = f"fieldManager={manager}" + ("&force=true" if force else "") + extra
    # JSON, as kubectl sends it (PyYAML writes the string "y" unquoted, which Go's YAML reads as true).
    return await call(api, "PATCH", path, orjson.dumps(obj), query=query, content_type=APPLY)


def cm(data: dict[str, str], **meta: Any) -> Obj:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "shared", **meta}, "data": data}


def entries(obj: Obj) -> dict[str, Obj]:
    return {e["manager"]: e for e in obj["metadata"]["managedFields"]}


async def test_two_managers_conflict_force_and_shared_ownership(api: APIServer) -> None:
    status, created = await apply(api, CMS + "/shared", cm({"a": "1", "b": "2"}), "alice")
    assert status == 201
    alice = entries(created)["alice"]
    assert alice["operation"] == "Apply" and alice["apiVersion"] == "v1" and alice["fieldsType"] == "FieldsV1"
    assert alice["fieldsV1"] == {"f:data": {"f:a": {}, "f:b": {}}}
    assert alice["time"].endswith("Z") and len(alice["time"]) == 20

    # Bob sets a value alice owns: a conflict, and nothing changes.
    status, body = await apply(api, CMS + "/shared", cm({"a": "9", "c": "3"}), "bob")
    assert status == 409 and body["reason"] == "Conflict"
    assert body["message"] == 'Apply failed with 1 conflict: conflict with "alice": .data.a'
    assert body["details"]["causes"] == [
        {"reason": "FieldManagerConflict", "message": 'conflict with "alice"', "field": ".data.a"}]
    status, got = await call(api, "GET", CMS + "/shared")
    assert got["data"] == {"a": "1", "b": "2"}

    # The same value is shared: both own it.
    status, shared = await apply(api, CMS + "/shared", cm({"a": "1", "c": "3"}), "bob")
    assert status == 200 and shared["data"] == {"a": "1", "b": "2", "c": "3"}
    assert entries(shared)["bob"]["fieldsV1"] == {"f:data": {"f:a": {}, "f:c": {}}}

    # Force takes it over.
    status, forced = await apply(api, CMS + "/shared", cm({"a": "7", "c": "3"}), "bob", force=True)
    assert status == 200 and forced["data"]["a"] == "7"
    assert entries(forced)["alice"]["fieldsV1"] == {"f:data": {"f:b": {}}}

    # Alice drops b: removed, as no one else applies it. Bob's c stays.
    bare = {k: v for k, v in cm({}).items() if k != "data"}
    status, dropped = await apply(api, CMS + "/shared", bare, "alice")
    assert status == 200 and dropped["data"] == {"a": "7", "c": "3"}
    assert set(entries(dropped)) == {"bob"}


async def test_conflicts_with_an_updater_and_plural_message(api: APIServer) -> None:
    status, _ = await call(api, "POST", CMS, cm({"a": "1", "b": "2"}), agent="kubectl-create/v1.34.0 (linux/amd64)")
    assert status == 201
    status, body = await apply(api, CMS + "/shared", cm({"a": "x", "b": "y"}), "alice")
    assert status == 409
    assert body["message"] == ('Apply failed with 2 conflicts: conflicts with "kubectl-create" using v1:\n'
                               "- .data.a\n- .data.b")
    assert [c["field"] for c in body["details"]["causes"]] == [".data.a", ".data.b"]


async def test_updates_record_managers_from_the_user_agent_and_merge_per_manager(api: APIServer) -> None:
    status, created = await call(api, "POST", CMS, cm({"a": "1"}, labels={"x": "y"}), agent="kubectl-create/v1.34")
    assert entries(created)["kubectl-create"]["fieldsV1"] == {
        "f:data": {".": {}, "f:a": {}}, "f:metadata": {"f:labels": {".": {}, "f:x": {}}}}
    status, patched = await call(api, "PATCH", CMS + "/shared", {"data": {"b": "2"}},
                                 content_type="application/merge-patch+json", query="fieldManager=editor")
    assert status == 200
    assert entries(patched)["editor"]["operation"] == "Update"
    assert entries(patched)["editor"]["fieldsV1"] == {"f:data": {"f:b": {}}}
    status, again = await call(api, "PATCH", CMS + "/shared", {"data": {"c": "3"}},
                               content_type="application/merge-patch+json", query="fieldManager=editor")
    assert entries(again)["editor"]["fieldsV1"] == {"f:data": {"f:b": {}, "f:c": {}}}
    assert len(again["metadata"]["managedFields"]) == 2
    # Leaving managedFields out keeps them; [{}] (or, as kube 1.37 reads it, []) resets them.
    status, kept = await call(api, "PUT", CMS + "/shared", {**cm({"d": "4"}), "metadata": {"name": "shared"}},
                              query="fieldManager=editor")
    assert status == 200 and set(entries(kept)) == {"kubectl-create", "editor"}
    status, reset = await call(api, "PATCH", CMS + "/shared", [
        {"op": "replace", "path": "/metadata/managedFields", "value": [{}]}],
        content_type="application/json-patch+json", query="fieldManager=editor")
    assert status == 200 and "managedFields" not in reset["metadata"]


async def test_apply_options_are_validated(api: APIServer) -> None:
    status, body = await call(api, "PATCH", CMS + "/shared", b"data: {}", content_type=APPLY)
    assert status == 422 and body["reason"] == "Invalid"
    assert body["message"] == 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch'
    status, body = await apply(api, CMS + "/shared", cm({}), "m" * 129)
    assert status == 422 and body["details"]["causes"][0]["field"] == "fieldManager"
    status, body = await call(api, "PATCH", CMS + "/x", {"data": {}}, query="force=true",
                              content_type="application/merge-patch+json")
    assert status == 422 and "force: Forbidden: may not be specified for non-apply patch" in body["message"]


async def test_apply_body_must_name_the_resources_group_version_and_kind(api: APIServer) -> None:
    """kube's versionCheckManager: 400 ``invalid object type: <group>/<version>, Kind=<kind>``,
    nothing defaulted, before any merge; a rejected apply creates or changes nothing."""
    deployment = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}}
    without_type = {"metadata": {"name": "web"}, "data": {"a": "1"}}
    cases: list[tuple[str, Obj, str]] = [
        (PODS + "/web", deployment, "invalid object type: apps/v1, Kind=Deployment"),
        (CMS + "/web", without_type, "invalid object type: /, Kind="),
        (CMS + "/web", {**without_type, "kind": "ConfigMap"}, "invalid object type: /, Kind=ConfigMap"),
        (CMS + "/web", {**without_type, "apiVersion": "v1", "kind": "Secret"}, "invalid object type: /v1, Kind=Secret"),
        (CMS + "/web", {**without_type, "apiVersion": "a/b/c", "kind": "ConfigMap"}, "invalid object type: /, Kind="),
    ]
    for path, body, message in cases:
        for extra in ("", "&dryRun=All"):
            status, out = await apply(api, path, body, "m", extra=extra)
            assert (status, out["reason"], out["message"]) == (400, "BadRequest", message), (body, out)
    assert (await call(api, "GET", CMS + "/web"))[0] == 404

    # The same for an object that exists, and the stored object is unchanged.
    status, created = await apply(api, CMS + "/web", cm({"a": "1"}, name="web"), "m")
    assert status == 201
    status, out = await apply(api, CMS + "/web", {**cm({"a": "2"}, name="web"), "apiVersion": "apps/v1"}, "m")
    assert (status, out["message"]) == (400, "invalid object type: apps/v1, Kind=ConfigMap")
    status, got = await call(api, "GET", CMS + "/web")
    assert got["data"] == {"a": "1"} and got["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]


async def test_dry_run_apply_creates_and_changes_nothing(api: APIServer) -> None:
    status, obj = await apply(api, CMS + "/shared", cm({"a": "1"}), "alice", extra="&dryRun=All")
    assert status == 201 and obj["data"] == {"a": "1"} and entries(obj)["alice"]
    status, _ = await call(api, "GET", CMS + "/shared")
    assert status == 404


POD: Obj = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web"},
            "spec": {"containers": [{"name": "app", "image": "nginx:1", "ports": [{"containerPort": 80}]}]}}


async def test_reapplying_an_unchanged_pod_changes_nothing(api: APIServer) -> None:
    status, first = await apply(api, PODS + "/web", POD, "kubectl")
    assert status == 201
    assert first["spec"]["containers"][0]["imagePullPolicy"] == "IfNotPresent"  # defaulted, kept below
    status, again = await apply(api, PODS + "/web", POD, "kubectl")
    assert status == 200, again
    assert again["metadata"]["resourceVersion"] == first["metadata"]["resourceVersion"]
    assert again["metadata"]["managedFields"] == first["metadata"]["managedFields"]
    ports = entries(first)["kubectl"]["fieldsV1"]["f:spec"]["f:containers"]['k:{"name":"app"}']["f:ports"]
    assert list(ports) == ['k:{"containerPort":80,"protocol":"TCP"}']
    # A second container owner by another manager: list-map items owned separately.
    status, body = await apply(api, PODS + "/web", {**POD, "spec": {"containers": [
        {"name": "app", "image": "nginx:2"}]}}, "other")
    assert status == 409 and body["details"]["causes"][0]["field"] == '.spec.containers[name="app"].image'


async def test_status_writes_are_recorded_with_their_subresource(api: APIServer) -> None:
    status, _ = await apply(api, PODS + "/web", POD, "kubectl")
    status, got = await call(api, "GET", PODS + "/web")
    got["status"] = {**got["status"], "message": "hi"}
    status, updated = await call(api, "PUT", PODS + "/web/status", got, query="fieldManager=kubelet")
    assert status == 200
    kubelet = entries(updated)["kubelet"]
    assert kubelet["subresource"] == "status" and kubelet["fieldsV1"] == {"f:status": {"f:message": {}}}


async def test_update_managers_beyond_ten_merge_into_ancient_changes(api: APIServer) -> None:
    status, _ = await call(api, "POST", CMS, cm({"k0": "0"}), query="fieldManager=m00")
    for i in range(1, 12):
        status, obj = await call(api, "PATCH", CMS + "/shared", {"data": {f"k{i}": str(i)}},
                                 content_type="application/merge-patch+json", query=f"fieldManager=m{i:02d}")
        assert status == 200
    names = [e["manager"] for e in obj["metadata"]["managedFields"]]
    assert len(names) == 10 and "ancient-changes" in names
    ancient = entries(obj)["ancient-changes"]["fieldsV1"]["f:data"]
    assert {"f:k0", "f:k1", "f:k2"} <= set(ancient)


async def test_apply_through_status_owns_status_only(api: APIServer) -> None:
    status, _ = await apply(api, PODS + "/web", POD, "kubectl")
    body = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web"}, "status": {"message": "up"},
            "spec": {"containers": [{"name": "app", "image": "ignored"}]}}
    status, obj = await apply(api, PODS + "/web/status", body, "kubelet")
    assert status == 200, obj
    assert obj["status"]["message"] == "up" and obj["spec"]["containers"][0]["image"] == "nginx:1"
    kubelet = entries(obj)["kubelet"]
    assert kubelet["subresource"] == "status" and kubelet["fieldsV1"] == {"f:status": {"f:message": {}}}


SCALED_CRD = {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
              "metadata": {"name": "pools.example.com"},
              "spec": {"group": "example.com", "scope": "Namespaced",
                       "names": {"plural": "pools", "singular": "pool", "kind": "Pool"},
                       "versions": [{"name": "v1", "served": True, "storage": True,
                                     "subresources": {"scale": {"specReplicasPath": ".spec.replicas",
                                                                "statusReplicasPath": ".status.replicas"}},
                                     "schema": {"openAPIV3Schema": {"type": "object", "properties": {
                                         "spec": {"type": "object", "properties": {
                                             "replicas": {"type": "integer"}, "size": {"type": "string"}}},
                                         "status": {"type": "object", "properties": {
                                             "replicas": {"type": "integer"}}}}}}}]}}
POOLS = "/apis/example.com/v1/namespaces/default/pools"


async def test_scale_writes_move_the_replicas_between_managers_as_kube_does(api: APIServer) -> None:
    status, _ = await call(api, "POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", SCALED_CRD)
    assert status == 201

    async def served() -> bool:
        return (await call(api, "GET", POOLS))[0] == 200

    assert await eventually(served)
    pool = {"apiVersion": "example.com/v1", "kind": "Pool", "metadata": {"name": "p"},
            "spec": {"replicas": 1, "size": "s"}}
    status, _ = await apply(api, POOLS + "/p", pool, "alice")
    assert status == 201

    # kubectl scale: an update of the Scale steals the replicas from alice.
    status, scale = await call(api, "PATCH", POOLS + "/p/scale", {"spec": {"replicas": 3}},
                               query="fieldManager=bob", content_type="application/merge-patch+json")
    assert status == 200 and scale["spec"]["replicas"] == 3 and "managedFields" not in scale["metadata"]
    status, got = await call(api, "GET", POOLS + "/p")
    managers = entries(got)
    assert managers["alice"]["fieldsV1"] == {"f:spec": {"f:size": {}}}
    assert managers["bob"] == {"manager": "bob", "operation": "Update", "apiVersion": "example.com/v1",
                               "fieldsType": "FieldsV1", "fieldsV1": {"f:spec": {"f:replicas": {}}},
                               "subresource": "scale"}  # no time: kube keeps the parent's, and bob had none

    # An apply of the Scale conflicts with bob's replicas, then forces them.
    config = {"apiVersion": "autoscaling/v1", "kind": "Scale", "metadata": {"name": "p"}, "spec": {"replicas": 5}}
    status, body = await apply(api, POOLS + "/p/scale", config, "hpa")
    assert status == 409 and body["message"] == 'Apply failed with 1 conflict: conflict with "bob" ' \
                                                'with subresource "scale" using autoscaling/v1: .spec.replicas', body
    status, scale = await apply(api, POOLS + "/p/scale", config, "hpa", force=True)
    assert status == 200 and scale["spec"]["replicas"] == 5
    status, got = await call(api, "GET", POOLS + "/p")
    managers = entries(got)
    assert "bob" not in managers and got["spec"] == {"replicas": 5, "size": "s"}
    assert managers["hpa"]["operation"] == "Apply" and managers["hpa"]["subresource"] == "scale"
    assert managers["hpa"]["fieldsV1"] == {"f:spec": {"f:replicas": {}}}

    # The applied Scale names its own group, version and kind (kube's versionCheckManager, which
    # answers before structured-merge-diff's "Incorrect version specified in apply patch").
    status, body = await apply(api, POOLS + "/p/scale", {**config, "apiVersion": "v1"}, "hpa")
    assert status == 400 and body["message"] == "invalid object type: /v1, Kind=Scale"
    status, body = await apply(api, POOLS + "/p", {**pool, "apiVersion": None}, "alice")
    assert status == 400 and body["message"] == "invalid object type: /, Kind=Pool"


async def test_an_applied_configuration_that_does_not_fit_the_schema_creates_nothing(api: APIServer) -> None:
    # kube: a plain error of structured-merge-diff's typed conversion, so a 500 without a reason
    for body, message in [
        ({"apiVersion": "v1", "kind": "ConfigMap", "metadata": 5},
         "failed to create typed patch object (/v1, Kind=ConfigMap /): .metadata: expected map, got &{5}"),
        ({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "typed"}, "data": {"a": 1}},
         "failed to create typed patch object (/v1, Kind=ConfigMap /typed): .data.a: expected string, got &{1}"),
    ]:
        status, out = await call(api, "PATCH", CMS + "/typed", body, query="fieldManager=m", content_type=APPLY)
        assert (status, out["reason"], out["message"]) == (500, "", message)
        assert (await call(api, "GET", CMS + "/typed"))[0] == 404


async def test_reapplying_with_creation_timestamp_null_is_a_no_op(api: APIServer) -> None:
    """kubectl's generated YAML carries ``creationTimestamp: null``; kube's rest.BeforeUpdate
    ignores changes to the timestamp, so a second apply changes nothing rather than failing."""
    body = cm({"a": "1"}, creationTimestamp=None)
    status, first = await apply(api, CMS + "/shared", body, "kubectl")
    assert status == 201 and first["metadata"]["creationTimestamp"]
    status, again = await apply(api, CMS + "/shared", body, "kubectl")
    assert status == 200, again
    assert again["metadata"]["resourceVersion"] == first["metadata"]["resourceVersion"]
    assert again["metadata"]["creationTimestamp"] == first["metadata"]["creationTimestamp"]
    # A PUT that changes it (or empties the uid) keeps the stored ones.
    put = {**again, "metadata": {**again["metadata"], "creationTimestamp": "2001-01-01T00:00:00Z", "uid": ""},
           "data": {"a": "2"}}
    status, updated = await call(api, "PUT", CMS + "/shared", put)
    assert status == 200, updated
    assert updated["metadata"]["creationTimestamp"] == first["metadata"]["creationTimestamp"]
    assert updated["metadata"]["uid"] == first["metadata"]["uid"]


ROUTE_CRD: Obj = {
    "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
    "metadata": {"name": "routes.example.com"},
    "spec": {"group": "example.com", "scope": "Namespaced",
             "names": {"plural": "routes", "singular": "route", "kind": "Route", "listKind": "RouteList"},
             "versions": [{"name": "v1", "served": True, "storage": True, "schema": {"openAPIV3Schema": {
                 "type": "object", "properties": {"spec": {"type": "object", "properties": {"rules": {
                     "type": "array", "x-kubernetes-list-type": "atomic", "items": {
                         "type": "object", "properties": {"name": {"type": "string"},
                                                          "weight": {"type": "integer", "default": 1}}}}}}}}}}]}}


async def test_reapply_that_only_moves_managed_fields_times_writes_nothing(
        api: APIServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """An atomic list with defaulted items: the applied list (without the defaults) differs from
    the live one, so the applier's time moves; once defaulted the object is unchanged, and kube's
    IgnoreManagedFieldsTimestampsTransformer keeps the old time so nothing is written."""
    status, _ = await call(api, "POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", ROUTE_CRD)
    assert status == 201
    path = "/apis/example.com/v1/namespaces/default/routes/r"
    body = {"apiVersion": "example.com/v1", "kind": "Route", "metadata": {"name": "r"},
            "spec": {"rules": [{"name": "a"}]}}
    async with asyncio.timeout(10):
        while True:  # until the CRD is served
            status, created = await apply(api, path, body, "m")
            if status != 404:
                break
            await asyncio.sleep(0.01)
    assert status == 201 and created["spec"]["rules"] == [{"name": "a", "weight": 1}]
    monkeypatch.setattr(manager, "now_rfc3339", lambda: "2099-01-01T00:00:00Z")
    status, again = await apply(api, path, body, "m")
    assert status == 200
    assert again["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]
    assert again["metadata"]["managedFields"] == created["metadata"]["managedFields"]
    # A real change still moves the time.
    status, changed = await apply(api, path, {**body, "spec": {"rules": [{"name": "b"}]}}, "m")
    assert status == 200 and changed["metadata"]["managedFields"][0]["time"] == "2099-01-01T00:00:00Z"
