"""Tests of setpoint.apiserver.encoding.patch: JSON patch, merge patch, strategic merge patch, dispatch."""

from __future__ import annotations

import copy
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from setpoint.apiserver.builtin.definitions import patch_schema
from setpoint.apiserver.encoding.errors import StatusError
from setpoint.apiserver.encoding.patch import (
    CUSTOM_RESOURCE_PATCH_CONTENT_TYPES,
    OBJECT_META_SCHEMA,
    PATCH_CONTENT_TYPES,
    SCALE_PATCH_SCHEMA,
    PatchSchema,
    apply_json_patch,
    apply_merge_patch,
    apply_patch,
    apply_strategic_merge_patch,
    decode_apply,
    object_schema,
)


def _builtin(group: str, version: str, kind: str) -> PatchSchema:
    schema = patch_schema(group, version, kind)
    assert schema is not None
    return schema


# The built-in kinds' metadata, derived from kube's definitions (builtin.definitions).
CONFIG_MAP_SCHEMA = _builtin("", "v1", "ConfigMap")
POD_SCHEMA = _builtin("", "v1", "Pod")
SERVICE_ACCOUNT_SCHEMA = _builtin("", "v1", "ServiceAccount")
SERVICE_SCHEMA = _builtin("", "v1", "Service")
NODE_SCHEMA = _builtin("", "v1", "Node")
DEPLOYMENT_SCHEMA = _builtin("apps", "v1", "Deployment")

JSON = Any

GENERIC_422 = {
    "kind": "Status",
    "apiVersion": "v1",
    "metadata": {},
    "status": "Failure",
    "message": "the server rejected our request due to an error in our request",
    "reason": "Invalid",
    "details": {},
    "code": 422,
}


def canonical(value: JSON) -> bytes:
    """Type-exact comparison key (``1``, ``1.0`` and ``true`` differ)."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def raises_status(fn: Any, *args: Any) -> StatusError:
    with pytest.raises(StatusError) as info:
        fn(*args)
    return info.value


# --------------------------------------------------------------------------- RFC 7386


# RFC 7386 appendix A, the rows whose original and patch are objects.
RFC7386_OBJECT_ROWS = [
    ({"a": "b"}, {"a": "c"}, {"a": "c"}),
    ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
    ({"a": "b"}, {"a": None}, {}),
    ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
    ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
    ({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}),
    ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
    ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
    ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
    ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
]


@pytest.mark.parametrize(("original", "patch", "expected"), RFC7386_OBJECT_ROWS)
def test_rfc7386_appendix(original: JSON, patch: JSON, expected: JSON) -> None:
    snapshot = copy.deepcopy(original)
    assert apply_merge_patch(original, patch) == expected
    assert original == snapshot


@pytest.mark.parametrize("patch", [None, "bar", 3, True])
def test_merge_patch_that_is_not_an_object_or_array_is_bad_request(patch: JSON) -> None:
    # RFC rows {"a":"foo"} + null / "bar": kube answers errBadJSONPatch.
    err = raises_status(apply_merge_patch, {"a": "foo"}, patch)
    assert (err.code, err.reason, err.message) == (400, "BadRequest", "Invalid JSON Patch")


def test_merge_patch_array_replaces_document_which_kube_cannot_decode() -> None:
    # RFC row {"a":"b"} + ["c"] gives ["c"]; for kube that is not an object.
    err = raises_status(apply_merge_patch, {"a": "b"}, ["c", None])
    assert (err.code, err.reason) == (422, "Invalid")
    assert err.message.startswith(' "" is invalid: patch: Invalid value: "[\\"c\\"]": ')
    assert err.details is not None and err.details["causes"][0]["field"] == "patch"


def test_merge_patch_drops_nulls_inside_new_arrays_like_evanphx() -> None:
    assert apply_merge_patch({}, {"a": [1, None, {"b": None, "c": 2}]}) == {"a": [1, {"c": 2}]}


def test_merge_patch_shares_untouched_subtrees() -> None:
    doc = {"spec": {"x": 1}, "status": {"big": [1, 2, 3]}}
    out = apply_merge_patch(doc, {"spec": {"x": 2}})
    assert out == {"spec": {"x": 2}, "status": {"big": [1, 2, 3]}}
    assert out["status"] is doc["status"]
    assert doc["spec"] == {"x": 1}


# A tiny merge-patch generator (``CreateMergePatch``) for the round-trip property.

json_scalars = st.one_of(
    st.booleans(),
    st.integers(-(2**31), 2**31),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=5),
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=3), children, max_size=3)
    ),
    max_leaves=12,
)
json_objects = st.dictionaries(st.text(max_size=3), json_values, max_size=4)


def create_merge_patch(original: dict[str, JSON], target: dict[str, JSON]) -> dict[str, JSON]:
    patch: dict[str, JSON] = {key: None for key in original if key not in target}
    for key, value in target.items():
        if key not in original:
            patch[key] = value
        elif isinstance(value, dict) and isinstance(original[key], dict):
            sub = create_merge_patch(original[key], value)
            if sub:
                patch[key] = sub
        elif canonical(value) != canonical(original[key]):
            patch[key] = value
    return patch


@settings(max_examples=300, deadline=None)
@given(json_objects, json_objects)
def test_merge_patch_of_generated_diff_yields_target(doc: dict[str, JSON], target: dict[str, JSON]) -> None:
    snapshot = canonical(doc)
    patch = create_merge_patch(doc, target)
    assert canonical(apply_merge_patch(doc, patch)) == canonical(target)
    assert canonical(doc) == snapshot


# --------------------------------------------------------------------------- RFC 6902


RFC6902_DOC: dict[str, JSON] = {"foo": {"bar": "baz", "list": [1, 2, 3]}, "other": {"k": "v"}}


@pytest.mark.parametrize(
    ("ops", "expected"),
    [
        (
            [{"op": "add", "path": "/foo/new", "value": {"x": 1}}],
            {"foo": {"bar": "baz", "list": [1, 2, 3], "new": {"x": 1}}},
        ),
        ([{"op": "add", "path": "/foo/list/1", "value": 9}], {"foo": {"bar": "baz", "list": [1, 9, 2, 3]}}),
        ([{"op": "add", "path": "/foo/list/-", "value": 4}], {"foo": {"bar": "baz", "list": [1, 2, 3, 4]}}),
        ([{"op": "remove", "path": "/foo/bar"}], {"foo": {"list": [1, 2, 3]}}),
        (
            [{"op": "replace", "path": "/foo/list/0", "value": "one"}],
            {"foo": {"bar": "baz", "list": ["one", 2, 3]}},
        ),
        (
            [{"op": "move", "from": "/foo/bar", "path": "/moved"}],
            {"foo": {"list": [1, 2, 3]}, "moved": "baz"},
        ),
        (
            [{"op": "copy", "from": "/foo/list", "path": "/copied"}],
            {"foo": {"bar": "baz", "list": [1, 2, 3]}, "copied": [1, 2, 3]},
        ),
        (
            [{"op": "test", "path": "/foo/bar", "value": "baz"}, {"op": "remove", "path": "/foo/list"}],
            {"foo": {"bar": "baz"}},
        ),
        # evanphx: testing an absent member against null succeeds
        ([{"op": "test", "path": "/foo/absent", "value": None}], {"foo": {"bar": "baz", "list": [1, 2, 3]}}),
        ([{"op": "add", "path": "/a~1b", "value": 1}], {"foo": {"bar": "baz", "list": [1, 2, 3]}, "a/b": 1}),
    ],
)
def test_json_patch_operations(ops: list[JSON], expected: dict[str, JSON]) -> None:
    doc = copy.deepcopy(RFC6902_DOC)
    snapshot = copy.deepcopy(doc)
    result = apply_json_patch(doc, ops)
    assert {k: v for k, v in result.items() if k != "other"} == expected
    assert result["other"] is doc["other"]  # untouched subtree shared, not copied
    assert doc == snapshot


def test_json_patch_later_ops_see_earlier_ones_without_touching_the_patch() -> None:
    doc = {"spec": {"m": {"k": "v"}}}
    ops = [
        {"op": "add", "path": "/spec/n", "value": {"z": 1}},
        {"op": "add", "path": "/spec/n/y", "value": 2},
        {"op": "move", "from": "/spec/m", "path": "/m2"},
        {"op": "add", "path": "/m2/q", "value": 3},
    ]
    ops_snapshot = copy.deepcopy(ops)
    result = apply_json_patch(doc, ops)
    assert result == {"spec": {"n": {"z": 1, "y": 2}}, "m2": {"k": "v", "q": 3}}
    assert doc == {"spec": {"m": {"k": "v"}}}
    assert ops == ops_snapshot


@pytest.mark.parametrize(
    "ops",
    [
        [{"op": "test", "path": "/foo/bar", "value": "nope"}],
        [{"op": "test", "path": "/foo/list/0", "value": True}],  # true is not 1
        [{"op": "test", "path": "/foo/list/0", "value": 1.0}],  # evanphx compares encodings
        [{"op": "remove", "path": "/missing"}],
        [{"op": "replace", "path": "/missing", "value": 1}],
        [{"op": "add", "path": "/missing/child", "value": 1}],
        [{"op": "add", "path": "", "value": {}}],
        [{"op": "frobnicate", "path": "/foo"}],
        [{"path": "/foo"}],
        [{"op": "add", "path": "no-slash", "value": 1}],
        [None],
        [{"op": "add", "path": "/x", "value": 1}, {"op": "test", "path": "/x", "value": 2}],
    ],
)
def test_json_patch_that_cannot_apply_is_kubes_generic_422(ops: list[JSON]) -> None:
    doc = copy.deepcopy(RFC6902_DOC)
    err = raises_status(apply_json_patch, doc, ops)
    assert err.status() == GENERIC_422
    assert doc == RFC6902_DOC


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        ({"op": "add"}, "json: cannot unmarshal object into Go value of type jsonpatch.Patch"),
        ("x", "json: cannot unmarshal string into Go value of type jsonpatch.Patch"),
        ([1], "json: cannot unmarshal number into Go value of type jsonpatch.Operation"),
        ([["op"]], "json: cannot unmarshal array into Go value of type jsonpatch.Operation"),
    ],
)
def test_json_patch_that_is_not_a_list_of_operations_is_bad_request(patch: JSON, message: str) -> None:
    err = raises_status(apply_json_patch, {}, patch)
    assert (err.code, err.reason, err.message) == (400, "BadRequest", message)


def test_json_patch_operation_limit_is_413() -> None:
    err = raises_status(apply_json_patch, {}, [{"op": "test", "path": "/a", "value": None}] * 10001)
    assert (err.code, err.reason) == (413, "RequestEntityTooLarge")
    assert err.message == (
        "Request entity too large: The allowed maximum operations in a JSON patch is 10000, got 10001"
    )


def test_json_patch_replacing_the_root_with_an_array_cannot_be_decoded() -> None:
    err = raises_status(apply_json_patch, {"a": 1}, [{"op": "replace", "path": "", "value": [1]}])
    assert (err.code, err.reason) == (422, "Invalid")
    assert "couldn't get version/kind" in err.message


def test_json_patch_null_is_empty() -> None:
    doc = {"a": 1}
    assert apply_json_patch(doc, None) == {"a": 1}
    assert apply_json_patch(doc, []) == {"a": 1}


# --------------------------------------------------------------------------- strategic merge patch


def pod(*containers: dict[str, JSON], **spec: JSON) -> dict[str, JSON]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "namespace": "default", "labels": {"app": "web"}},
        "spec": {"containers": list(containers), **spec},
    }


def names(items: list[dict[str, JSON]], key: str = "name") -> list[JSON]:
    return [item[key] for item in items]


def smp(doc: dict[str, JSON], patch: dict[str, JSON], schema: PatchSchema = POD_SCHEMA) -> dict[str, JSON]:
    """Apply, and check that neither input was modified."""
    doc_snapshot, patch_snapshot = copy.deepcopy(doc), copy.deepcopy(patch)
    out = apply_strategic_merge_patch(doc, patch, schema)
    assert doc == doc_snapshot
    assert patch == patch_snapshot
    return out


def test_smp_updates_one_container_by_merge_key() -> None:
    doc = pod({"name": "a", "image": "a:1", "ports": [{"containerPort": 80}]}, {"name": "b", "image": "b:1"})
    out = smp(doc, {"spec": {"containers": [{"name": "b", "image": "b:2"}]}})
    assert out["spec"]["containers"] == [
        {"name": "a", "image": "a:1", "ports": [{"containerPort": 80}]},
        {"name": "b", "image": "b:2"},
    ]
    assert out["spec"]["containers"][0] is doc["spec"]["containers"][0]
    assert out["metadata"] is doc["metadata"]


def test_smp_adds_a_container_first_like_kube() -> None:
    # Without $setElementOrder, kube puts the patch's items before the live ones.
    doc = pod({"name": "a"}, {"name": "b"})
    out = smp(doc, {"spec": {"containers": [{"name": "c", "image": "c:1"}]}})
    assert out["spec"]["containers"] == [{"name": "c", "image": "c:1"}, {"name": "a"}, {"name": "b"}]


def test_smp_merges_nested_lists_by_their_own_keys() -> None:
    doc = pod(
        {
            "name": "a",
            "env": [{"name": "X", "value": "1"}, {"name": "Y", "value": "2"}],
            "volumeMounts": [{"mountPath": "/data", "name": "d"}],
            "args": ["--one", "--two"],
        }
    )
    patch = {
        "spec": {
            "containers": [
                {
                    "name": "a",
                    "env": [{"name": "Y", "value": "3"}],
                    "volumeMounts": [{"mountPath": "/data", "readOnly": True}],
                    "args": ["--three"],
                }
            ]
        }
    }
    (container,) = smp(doc, patch)["spec"]["containers"]
    assert container["env"] == [{"name": "X", "value": "1"}, {"name": "Y", "value": "3"}]
    assert container["volumeMounts"] == [{"mountPath": "/data", "name": "d", "readOnly": True}]
    assert container["args"] == ["--three"]  # no strategy: replaced


def test_smp_delete_directive_in_list() -> None:
    doc = pod({"name": "a"}, {"name": "b"}, {"name": "c"})
    out = smp(doc, {"spec": {"containers": [{"$patch": "delete", "name": "b"}]}})
    assert names(out["spec"]["containers"]) == ["a", "c"]


def test_smp_replace_directive_in_list() -> None:
    doc = pod({"name": "a", "image": "a"}, {"name": "b"})
    out = smp(doc, {"spec": {"containers": [{"name": "z", "image": "z"}, {"$patch": "replace"}]}})
    assert out["spec"]["containers"] == [{"name": "z", "image": "z"}]


def test_smp_replace_directive_in_map() -> None:
    doc = pod({"name": "a"})
    doc["metadata"]["labels"] = {"app": "web", "tier": "front"}
    out = smp(doc, {"metadata": {"labels": {"$patch": "replace", "only": "this"}}})
    assert out["metadata"]["labels"] == {"only": "this"}
    assert out["metadata"]["name"] == "p"


def test_smp_delete_directive_in_map_empties_it() -> None:
    doc = pod({"name": "a"})
    out = smp(doc, {"metadata": {"labels": {"$patch": "delete"}}})
    assert out["metadata"]["labels"] == {}
    assert out["metadata"]["name"] == "p"


def test_smp_null_deletes_a_key() -> None:
    doc = pod({"name": "a"}, restartPolicy="Always")
    out = smp(doc, {"spec": {"restartPolicy": None}, "metadata": {"labels": {"app": None}}})
    assert "restartPolicy" not in out["spec"]
    assert out["metadata"]["labels"] == {}


def test_smp_unlisted_list_is_replaced_atomically() -> None:
    doc = pod({"name": "a"}, tolerations=[{"key": "k1", "operator": "Exists"}, {"key": "k2"}])
    out = smp(doc, {"spec": {"tolerations": [{"key": "k3", "operator": "Exists"}]}})
    assert out["spec"]["tolerations"] == [{"key": "k3", "operator": "Exists"}]


def test_smp_finalizers_merge_as_a_set() -> None:
    doc = {"metadata": {"name": "x", "finalizers": ["a.io/one", "a.io/two"]}}
    out = smp(doc, {"metadata": {"finalizers": ["a.io/two", "a.io/three"]}}, CONFIG_MAP_SCHEMA)
    # live items keep their place relative to the patch's (kube's mergeSortedSlice)
    assert out["metadata"]["finalizers"] == ["a.io/one", "a.io/two", "a.io/three"]
    out = smp(doc, {"metadata": {"finalizers": ["a.io/zero"]}}, CONFIG_MAP_SCHEMA)
    assert out["metadata"]["finalizers"] == ["a.io/zero", "a.io/one", "a.io/two"]


def test_smp_delete_from_primitive_list() -> None:
    doc = {"metadata": {"name": "x", "finalizers": ["a.io/one", "a.io/two", "a.io/three"]}}
    out = smp(
        doc,
        {"metadata": {"$deleteFromPrimitiveList/finalizers": ["a.io/two", "a.io/absent"]}},
        CONFIG_MAP_SCHEMA,
    )
    assert out["metadata"]["finalizers"] == ["a.io/one", "a.io/three"]
    # on a missing list it adds nothing
    out = smp(
        {"metadata": {}}, {"metadata": {"$deleteFromPrimitiveList/finalizers": ["a"]}}, CONFIG_MAP_SCHEMA
    )
    assert out == {"metadata": {}}


def test_smp_owner_references_merge_by_uid() -> None:
    doc = {
        "metadata": {
            "name": "x",
            "ownerReferences": [
                {"uid": "u1", "kind": "ReplicaSet", "name": "rs", "controller": True},
                {"uid": "u2", "kind": "Foo", "name": "f"},
            ],
        }
    }
    patch = {
        "metadata": {
            "ownerReferences": [
                {"uid": "u1", "blockOwnerDeletion": True},
                {"uid": "u3", "kind": "Bar", "name": "b"},
            ]
        }
    }
    refs = smp(doc, patch, CONFIG_MAP_SCHEMA)["metadata"]["ownerReferences"]
    assert names(refs, "uid") == ["u1", "u3", "u2"]
    assert refs[0] == {
        "uid": "u1",
        "kind": "ReplicaSet",
        "name": "rs",
        "controller": True,
        "blockOwnerDeletion": True,
    }


def test_smp_set_element_order() -> None:
    doc = pod({"name": "a"}, {"name": "b"}, {"name": "c"})
    patch = {
        "spec": {
            "$setElementOrder/containers": [{"name": "c"}, {"name": "a"}, {"name": "b"}],
            "containers": [{"name": "a", "image": "a:2"}],
        }
    }
    out = smp(doc, patch)
    assert out["spec"]["containers"] == [{"name": "c"}, {"name": "a", "image": "a:2"}, {"name": "b"}]


def test_smp_set_element_order_keeps_server_only_items_in_place() -> None:
    doc = pod({"name": "a"}, {"name": "server-only"}, {"name": "b"})
    patch = {"spec": {"$setElementOrder/containers": [{"name": "b"}, {"name": "a"}]}}
    assert names(smp(doc, patch)["spec"]["containers"]) == ["server-only", "b", "a"]


def test_smp_delete_and_add_with_set_element_order_orders_like_kube() -> None:
    # kube's deleteMatchingEntries shifts the live list in place and the append
    # reuses the freed slot; $setElementOrder then orders server-only items by
    # that array, putting "d" before the new "c" (kube's own test expectation).
    doc = pod({"name": "a"}, {"name": "b", "image": "b"}, {"name": "d", "image": "d"})
    patch = {
        "spec": {
            "$setElementOrder/containers": [{"name": "b"}, {"name": "c"}],
            "containers": [{"name": "c"}, {"name": "a", "$patch": "delete"}],
        }
    }
    assert names(smp(doc, patch)["spec"]["containers"]) == ["b", "d", "c"]


def test_smp_set_element_order_of_a_primitive_list() -> None:
    doc = {"metadata": {"finalizers": ["a", "b"]}}
    patch = {"metadata": {"$setElementOrder/finalizers": ["c", "b", "a"], "finalizers": ["c"]}}
    assert smp(doc, patch, CONFIG_MAP_SCHEMA)["metadata"]["finalizers"] == ["c", "b", "a"]


def test_smp_set_element_order_that_contradicts_the_patch_is_rejected() -> None:
    doc = pod({"name": "a"}, {"name": "b"})
    patch = {
        "spec": {"$setElementOrder/containers": [{"name": "b"}], "containers": [{"name": "a", "image": "x"}]}
    }
    err = raises_status(apply_strategic_merge_patch, doc, patch, POD_SCHEMA)
    assert err.code == 500
    assert err.message.startswith(
        "The order in patch list:\n[map[image:x name:a]]\n doesn't match $setElementOrder list"
    )


def test_smp_retain_keys_clears_other_fields() -> None:
    doc = {
        "spec": {
            "replicas": 2,
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}},
        }
    }
    # no explicit null: the directive alone clears the fields it does not list
    patch = {"spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate"}}}
    out = smp(doc, patch, DEPLOYMENT_SCHEMA)
    assert out["spec"] == {"replicas": 2, "strategy": {"type": "Recreate"}}


def test_smp_retain_keys_must_list_every_patched_field() -> None:
    patch = {"spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate", "extra": 1}}}
    doc = {"spec": {"strategy": {"type": "RollingUpdate"}}}
    err = raises_status(apply_strategic_merge_patch, doc, patch, DEPLOYMENT_SCHEMA)
    assert (err.code, err.reason, err.message) == (400, "BadRequest", "invalid patch format of retainKeys")


def test_smp_new_values_lose_nulls_and_directives() -> None:
    doc: dict[str, JSON] = {"metadata": {"name": "x"}}
    patch = {
        "metadata": {"labels": {"a": "1", "b": None}},
        "spec": {"template": {"$patch": "delete"}, "keep": {"x": None, "y": 1}},
    }
    out = smp(doc, patch, DEPLOYMENT_SCHEMA)
    assert out == {"metadata": {"name": "x", "labels": {"a": "1"}}, "spec": {"keep": {"y": 1}}}


def test_smp_whole_object_directives() -> None:
    doc = pod({"name": "a"})
    assert smp(doc, {"$patch": "delete"}) == {}
    assert smp(doc, {"$patch": "replace", "kind": "Pod", "gone": None}) == {"kind": "Pod"}
    assert apply_strategic_merge_patch(doc, None, POD_SCHEMA) is doc


def test_smp_merge_directive_is_rejected_like_kube() -> None:
    err = raises_status(
        apply_strategic_merge_patch, {"metadata": {}}, {"metadata": {"$patch": "merge"}}, POD_SCHEMA
    )
    assert (err.code, err.message) == (500, "unknown patch type: merge in map: map[$patch:merge]")
    doc = pod({"name": "a"})
    err = raises_status(
        apply_strategic_merge_patch,
        doc,
        {"spec": {"containers": [{"name": "a", "$patch": "merge"}]}},
        POD_SCHEMA,
    )
    assert (err.code, err.message) == (500, "merging lists cannot yet be specified in the patch")


def test_smp_element_without_merge_key_is_rejected() -> None:
    doc = pod({"name": "a"})
    err = raises_status(
        apply_strategic_merge_patch, doc, {"spec": {"containers": [{"image": "x"}]}}, POD_SCHEMA
    )
    assert (err.code, err.reason, err.message) == (
        500,
        "",
        "map: map[image:x] does not contain declared merge key: name",
    )


def test_smp_lists_of_lists_are_422() -> None:
    doc = {"metadata": {"finalizers": [["a"]]}}
    err = raises_status(
        apply_strategic_merge_patch, doc, {"metadata": {"finalizers": [["b"]]}}, CONFIG_MAP_SCHEMA
    )
    assert err.status() == GENERIC_422


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        (
            {"metadata": {"$deleteFromPrimitiveListfinalizers": ["a"]}},
            "invalid patch format of primitive list",
        ),
        ({"metadata": {"$setElementOrder": ["a"]}}, "invalid patch format of setElementOrder list"),
        ({"metadata": {"$retainKeys": "name"}}, "invalid patch format of retainKeys"),
    ],
)
def test_smp_malformed_directives_are_bad_request(patch: dict[str, JSON], message: str) -> None:
    err = raises_status(
        apply_strategic_merge_patch, {"metadata": {"finalizers": ["a"]}}, patch, CONFIG_MAP_SCHEMA
    )
    assert (err.code, err.reason, err.message) == (400, "BadRequest", message)


def test_service_ports_merge_by_port_and_service_account_lists() -> None:
    svc = {"spec": {"ports": [{"port": 80, "name": "http"}, {"port": 443, "name": "https"}]}}
    out = smp(svc, {"spec": {"ports": [{"port": 443, "targetPort": 8443}]}}, SERVICE_SCHEMA)
    assert out["spec"]["ports"] == [
        {"port": 80, "name": "http"},
        {"port": 443, "name": "https", "targetPort": 8443},
    ]

    sa = {"secrets": [{"name": "s1"}], "imagePullSecrets": [{"name": "p1"}]}
    out = smp(sa, {"secrets": [{"name": "s2"}], "imagePullSecrets": [{"name": "p2"}]}, SERVICE_ACCOUNT_SCHEMA)
    assert out["secrets"] == [{"name": "s2"}, {"name": "s1"}]  # patchStrategy merge, key name
    assert out["imagePullSecrets"] == [{"name": "p2"}]  # no strategy on ServiceAccount: atomic


def test_node_pod_cidrs_and_addresses() -> None:
    node = {
        "spec": {"podCIDRs": ["10.0.0.0/24"]},
        "status": {"addresses": [{"type": "InternalIP", "address": "1.1.1.1"}]},
    }
    patch = {
        "spec": {"podCIDRs": ["fd00::/64"]},
        "status": {"addresses": [{"type": "Hostname", "address": "n1"}]},
    }
    out = smp(node, patch, NODE_SCHEMA)
    assert out["spec"]["podCIDRs"] == ["fd00::/64", "10.0.0.0/24"]
    assert names(out["status"]["addresses"], "type") == ["Hostname", "InternalIP"]


def test_schemas_are_declared_from_the_go_struct_tags() -> None:
    assert OBJECT_META_SCHEMA.child("ownerReferences").merge_key == "uid"
    assert OBJECT_META_SCHEMA.child("finalizers").strategy == "merge"
    assert OBJECT_META_SCHEMA.child("managedFields").strategy == ""
    containers = POD_SCHEMA.child("spec").child("containers")
    assert (containers.strategy, containers.merge_key) == ("merge", "name")
    assert containers.element().child("ports").merge_key == "containerPort"
    assert containers.element().child("volumeMounts").merge_key == "mountPath"
    assert POD_SCHEMA.child("spec").child("tolerations").strategy == ""
    template = DEPLOYMENT_SCHEMA.child("spec").child("template")
    assert template.child("spec").child("initContainers").merge_key == "name"
    assert DEPLOYMENT_SCHEMA.child("spec").child("strategy").retain_keys
    assert SERVICE_ACCOUNT_SCHEMA.child("imagePullSecrets").strategy == ""
    assert patch_schema("", "v1", "ConfigMap") is CONFIG_MAP_SCHEMA
    assert patch_schema("apps", "v1", "Deployment") is DEPLOYMENT_SCHEMA
    assert patch_schema("example.com", "v1", "Widget") is None
    for gvk in [("", "v1", "Namespace"), ("", "v1", "Secret"), ("", "v1", "Event"), ("events.k8s.io", "v1", "Event"),
                ("coordination.k8s.io", "v1", "Lease"), ("apiextensions.k8s.io", "v1", "CustomResourceDefinition"),
                ("apps", "v1", "ReplicaSet")]:
        meta = _builtin(*gvk).child("metadata")
        assert meta.child("ownerReferences").merge_key == "uid"
        assert meta.child("finalizers").strategy == "merge"


def test_object_schema_and_map_of() -> None:
    widget = object_schema(
        {"items": PatchSchema.map_of(PatchSchema.fields({"tags": PatchSchema.merge_primitive_list()}))}
    )
    doc = {"metadata": {"finalizers": ["a"]}, "items": {"one": {"tags": ["x"]}}}
    patch = {"metadata": {"finalizers": ["b"]}, "items": {"one": {"tags": ["y"]}}}
    out = smp(doc, patch, widget)
    assert out == {"metadata": {"finalizers": ["b", "a"]}, "items": {"one": {"tags": ["y", "x"]}}}
    atomic = PatchSchema.fields({"blob": PatchSchema.atomic()})
    assert smp({"blob": {"a": 1, "b": 2}}, {"blob": {"c": 3}}, atomic) == {"blob": {"c": 3}}


# Patches as `kubectl apply` (client-side, three-way) sends them.

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


def test_kubectl_apply_configmap_label_change_and_removed_key() -> None:
    live = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": "cfg",
            "namespace": "default",
            "uid": "0b6f",
            "resourceVersion": "41",
            "labels": {"app": "demo", "team": "x"},
            "annotations": {
                LAST_APPLIED: '{"apiVersion":"v1","data":{"a":"1","b":"2"},"kind":"ConfigMap",'
                '"metadata":{"annotations":{},"labels":{"app":"demo"},"name":"cfg","namespace":"default"}}\n',
            },
        },
        "data": {"a": "1", "b": "2"},
    }
    new_last_applied = (
        '{"apiVersion":"v1","data":{"a":"1"},"kind":"ConfigMap",'
        '"metadata":{"annotations":{},"labels":{"app":"demo2"},"name":"cfg","namespace":"default"}}\n'
    )
    body = orjson.dumps(
        {
            "data": {"b": None},
            "metadata": {"annotations": {LAST_APPLIED: new_last_applied}, "labels": {"app": "demo2"}},
        }
    )
    out = apply_patch("application/strategic-merge-patch+json", live, body, CONFIG_MAP_SCHEMA)
    assert out["data"] == {"a": "1"}
    assert out["metadata"]["labels"] == {"app": "demo2", "team": "x"}
    assert out["metadata"]["annotations"] == {LAST_APPLIED: new_last_applied}
    assert out["metadata"]["uid"] == "0b6f"


def deployment(*containers: dict[str, JSON]) -> dict[str, JSON]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default", "finalizers": ["example.com/a", "example.com/b"]},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "web"}},
            "strategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"},
            },
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": list(containers), "restartPolicy": "Always"},
            },
        },
    }


def test_kubectl_apply_deployment_image_change() -> None:
    live = deployment(
        {"name": "web", "image": "nginx:1.25", "imagePullPolicy": "IfNotPresent"},
        {"name": "sidecar", "image": "envoy:1"},  # added by someone else
    )
    body = (
        b'{"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"web"}],'
        b'"containers":[{"image":"nginx:1.27","name":"web"}]}}}}'
    )
    out = apply_patch("application/strategic-merge-patch+json", live, body, DEPLOYMENT_SCHEMA)
    assert out["spec"]["template"]["spec"]["containers"] == [
        {"name": "web", "image": "nginx:1.27", "imagePullPolicy": "IfNotPresent"},
        {"name": "sidecar", "image": "envoy:1"},
    ]
    assert out["spec"]["strategy"] is live["spec"]["strategy"]


def test_kubectl_apply_deployment_removes_env_var_finalizer_and_switches_strategy() -> None:
    live = deployment(
        {"name": "web", "image": "nginx", "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]}
    )
    patch = {
        "metadata": {
            "$deleteFromPrimitiveList/finalizers": ["example.com/b"],
            "$setElementOrder/finalizers": ["example.com/a"],
        },
        "spec": {
            "strategy": {"$retainKeys": ["type"], "rollingUpdate": None, "type": "Recreate"},
            "template": {
                "spec": {
                    "$setElementOrder/containers": [{"name": "web"}],
                    "containers": [
                        {
                            "$setElementOrder/env": [{"name": "A"}],
                            "env": [{"$patch": "delete", "name": "B"}],
                            "name": "web",
                        }
                    ],
                }
            },
        },
    }
    out = apply_patch("application/strategic-merge-patch+json", live, orjson.dumps(patch), DEPLOYMENT_SCHEMA)
    assert out["metadata"]["finalizers"] == ["example.com/a"]
    assert out["spec"]["strategy"] == {"type": "Recreate"}
    assert out["spec"]["template"]["spec"]["containers"] == [
        {"name": "web", "image": "nginx", "env": [{"name": "A", "value": "1"}]}
    ]
    assert live["spec"]["template"]["spec"]["containers"][0]["env"][1] == {"name": "B", "value": "2"}


def test_kubectl_apply_adds_container_at_the_set_position() -> None:
    live = deployment({"name": "web", "image": "nginx"})
    patch = {
        "spec": {
            "template": {
                "spec": {
                    "$setElementOrder/containers": [{"name": "web"}, {"name": "log"}],
                    "containers": [{"image": "fluentbit", "name": "log"}],
                }
            }
        }
    }
    out = apply_patch("application/strategic-merge-patch+json", live, orjson.dumps(patch), DEPLOYMENT_SCHEMA)
    assert names(out["spec"]["template"]["spec"]["containers"]) == ["web", "log"]


# --------------------------------------------------------------------------- dispatch


def test_patch_content_types() -> None:
    assert PATCH_CONTENT_TYPES == (
        "application/json-patch+json",
        "application/merge-patch+json",
        "application/strategic-merge-patch+json",
        "application/apply-patch+yaml",
    )
    assert CUSTOM_RESOURCE_PATCH_CONTENT_TYPES == (
        "application/json-patch+json",
        "application/merge-patch+json",
        "application/apply-patch+yaml",
    )


def test_strategic_merge_patch_of_a_custom_resource_is_415() -> None:
    err = raises_status(apply_patch, "application/strategic-merge-patch+json", {"spec": {}}, b"{}", None)
    assert err.status() == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": "the body of the request was in an unknown format - accepted media types include: "
        "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml",
        "reason": "UnsupportedMediaType",
        "code": 415,
    }


def test_unknown_media_type_of_a_built_in_kind_is_go_restfuls_415() -> None:
    err = raises_status(apply_patch, "application/json", {}, b"{}", CONFIG_MAP_SCHEMA)
    assert (err.code, err.reason, err.message, err.details) == (
        415,
        "UnsupportedMediaType",
        "415: Unsupported Media Type",
        {},
    )
    # a blank go-restful tolerates reaches the handler, whose message lists the types
    err = raises_status(apply_patch, " application/merge-patch+json", {}, b"{}", CONFIG_MAP_SCHEMA)
    assert err.code == 415
    assert err.message.endswith("application/strategic-merge-patch+json, application/apply-patch+yaml")


def test_media_type_parameters_are_ignored() -> None:
    out = apply_patch("application/merge-patch+json; charset=utf-8", {"a": 1}, b'{"b":2}', None)
    assert out == {"a": 1, "b": 2}


def test_dispatch_by_media_type() -> None:
    doc = {"metadata": {"finalizers": ["a"]}, "spec": {"list": [1]}}
    body = b'{"metadata":{"finalizers":["b"]},"spec":{"list":[2]}}'
    assert apply_patch("application/merge-patch+json", doc, body, CONFIG_MAP_SCHEMA) == {
        "metadata": {"finalizers": ["b"]},
        "spec": {"list": [2]},
    }
    assert apply_patch("application/strategic-merge-patch+json", doc, body, CONFIG_MAP_SCHEMA) == {
        "metadata": {"finalizers": ["b", "a"]},
        "spec": {"list": [2]},
    }
    ops = b'[{"op":"add","path":"/spec/list/-","value":3}]'
    assert apply_patch("application/json-patch+json", doc, ops, None)["spec"] == {"list": [1, 3]}
    assert apply_patch("application/json-patch+json", doc, b"null", None) == doc


@pytest.mark.parametrize(
    ("content_type", "body", "message"),
    [
        ("application/json-patch+json", b"", "unexpected end of JSON input"),
        ("application/json-patch+json", b"[1,]", "invalid character ']' looking for beginning of value"),
        ("application/json-patch+json", b"x", "invalid character 'x' looking for beginning of value"),
        ("application/json-patch+json", b"nope", "invalid character 'o' in literal null (expecting 'u')"),
        ("application/strategic-merge-patch+json", b'{"a" 1}', "invalid character '1' after object key"),
        (
            "application/strategic-merge-patch+json",
            b"[]",
            "json: cannot unmarshal array into Go value of type map[string]interface {}",
        ),
        (
            "application/strategic-merge-patch+json",
            b'{"a":1} x',
            "invalid character 'x' after top-level value",
        ),
        ("application/merge-patch+json", b"{", "Invalid JSON Patch"),
        ("application/merge-patch+json", b"null", "Invalid JSON Patch"),
        (
            "application/apply-patch+yaml",
            b"- a\n",
            "error decoding YAML: error unmarshaling JSON: while decoding JSON: "
            "json: cannot unmarshal array into Go value of type map[string]interface {}",
        ),
        (
            "application/apply-patch+yaml",
            b"a: b: c\n",
            "error decoding YAML: error converting YAML to JSON: yaml: line 1: mapping values are not allowed in this context",
        ),
    ],
)
def test_malformed_bodies_are_bad_request(content_type: str, body: bytes, message: str) -> None:
    err = raises_status(apply_patch, content_type, {"a": 1}, body, CONFIG_MAP_SCHEMA)
    assert (err.code, err.reason, err.message) == (400, "BadRequest", message)


def test_apply_yaml_is_merged_like_a_merge_patch() -> None:
    live = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "c", "labels": {"a": "1"}},
        "data": {"x": "1"},
    }
    body = b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  labels:\n    b: '2'\ndata:\n  when: 2024-01-01\n  x: null\n"
    out = apply_patch("application/apply-patch+yaml", live, body, CONFIG_MAP_SCHEMA)
    assert out == {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "c", "labels": {"a": "1", "b": "2"}},
        "data": {"when": "2024-01-01"},  # YAML timestamps stay strings, as in sigs.k8s.io/yaml
    }
    assert apply_patch("application/apply-patch+yaml", {}, b'{"kind": "ConfigMap"}', None) == {
        "kind": "ConfigMap"
    }


def test_names_other_modules_use() -> None:
    scale = {"spec": {"replicas": 1}, "metadata": {"name": "x"}}
    assert apply_strategic_merge_patch(scale, {"spec": {"replicas": 3}}, SCALE_PATCH_SCHEMA) == {
        "spec": {"replicas": 3},
        "metadata": {"name": "x"},
    }


def test_decode_apply() -> None:
    assert decode_apply(b"kind: ConfigMap\nmetadata:\n  name: c\n") == {
        "kind": "ConfigMap",
        "metadata": {"name": "c"},
    }
    assert decode_apply(b"") == {}
    err = raises_status(decode_apply, b"[1]")
    assert (err.code, err.reason) == (400, "BadRequest")
    assert err.message.endswith("json: cannot unmarshal array into Go value of type map[string]interface {}")
