"""Name checks and ObjectMeta validation: kube's exact messages, and no crash on garbage."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from setpoint.apiserver.encoding.errors import FieldError, FieldErrorType
from setpoint.apiserver.registry.metadata import (
    is_dns1035_label,
    is_dns1123_label,
    is_dns1123_subdomain,
    is_qualified_name,
    is_valid_label_value,
    is_valid_path_segment_name,
    is_valid_path_segment_prefix,
    name_is_dns1035_label,
    name_is_dns_label,
    name_is_dns_subdomain,
    name_is_path_segment,
    validate_annotations,
    validate_finalizers,
    validate_label_selector,
    validate_labels,
    validate_managed_fields,
    validate_object_meta,
    validate_object_meta_update,
    validate_owner_references,
    validate_path_segment_name,
)

SUBDOMAIN = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must "
    "start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)
DNS_LABEL = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and "
    "end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
)
DNS1035 = (
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic "
    "character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for "
    "validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"
)
NAME_PART = (
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
    "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
)
LABEL_VALUE = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must "
    "start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used "
    "for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
)


def messages(errors: list[FieldError]) -> list[str]:
    return [e.message() for e in errors]


# --- name checks -------------------------------------------------------------


def test_dns1123_subdomain() -> None:
    for ok in ["a", "example.com", "a-b.c-d", "0", "a" * 253, "1.2.3.4"]:
        assert is_dns1123_subdomain(ok) == [], ok
    for bad in ["", "Foo", "-a", "a-", "a..b", ".a", "a.", "a_b", "é", "a\n", "a.b\n", "a.\nb"]:
        assert is_dns1123_subdomain(bad) == [SUBDOMAIN], bad
    assert is_dns1123_subdomain("a" * 254) == ["must be no more than 253 characters"]
    assert is_dns1123_subdomain("A" * 254) == ["must be no more than 253 characters", SUBDOMAIN]
    # length is in bytes, as Go's len()
    assert is_dns1123_subdomain("é" * 127) == ["must be no more than 253 characters", SUBDOMAIN]


def test_dns1123_label() -> None:
    assert is_dns1123_label("my-name") == []
    assert is_dns1123_label("a.b") == ["must not contain dots"]
    assert is_dns1123_label("Foo") == [DNS_LABEL]
    assert is_dns1123_label("") == [DNS_LABEL]
    assert is_dns1123_label("a" * 64) == ["must be no more than 63 characters"]
    assert is_dns1123_label("a." * 40 + "a") == [
        "must be no more than 63 characters",
        "must not contain dots",
    ]


def test_dns1035_label() -> None:
    assert is_dns1035_label("abc-123") == []
    assert is_dns1035_label("1abc") == [DNS1035]
    assert is_dns1035_label("a" * 64) == ["must be no more than 63 characters"]


def test_qualified_name() -> None:
    for ok in ["a", "A_b.c-1", "example.com/Name", "1.2.3.4/5678", "a" * 63, "a" * 253 + "/" + "b" * 63]:
        assert is_qualified_name(ok) == [], ok
    assert is_qualified_name("") == ["name part must be non-empty", NAME_PART]
    assert is_qualified_name("a_") == [NAME_PART]
    assert is_qualified_name("a" * 64) == ["name part must be no more than 63 bytes"]
    assert is_qualified_name("/a") == ["prefix part must be non-empty"]
    assert is_qualified_name("Example.com/a") == ["prefix part " + SUBDOMAIN]
    assert is_qualified_name("a" * 254 + "/a") == ["prefix part must be no more than 253 bytes"]
    assert is_qualified_name("a/b/c") == [
        "a valid label key must consist of alphanumeric characters, '-', '_' or '.', and must start and end "
        "with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "
        "validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and "
        "'/' (e.g. 'example.com/MyName')"
    ]
    assert is_qualified_name("a\n") == [NAME_PART]  # no $-before-newline leniency


def test_label_value() -> None:
    for ok in ["", "a", "A-b_c.d", "1234", "v" * 63]:
        assert is_valid_label_value(ok) == [], ok
    assert is_valid_label_value("-a") == [LABEL_VALUE]
    assert is_valid_label_value("a b") == [LABEL_VALUE]
    assert is_valid_label_value("v" * 64) == ["must be no more than 63 bytes"]
    assert is_valid_label_value("-" * 64) == ["must be no more than 63 bytes", LABEL_VALUE]


def test_path_segment_names() -> None:
    assert is_valid_path_segment_name("Any Thing:ok") == []
    assert is_valid_path_segment_name(".") == ["may not be '.'"]
    assert is_valid_path_segment_name("..") == ["may not be '..'"]
    assert is_valid_path_segment_name("a/b%c") == ["may not contain '/'", "may not contain '%'"]
    assert is_valid_path_segment_prefix("..") == []
    assert validate_path_segment_name("..", True) == []
    assert validate_path_segment_name("..", False) == ["may not be '..'"]
    assert name_is_path_segment is validate_path_segment_name


def test_name_functions_and_generate_name_masking() -> None:
    assert name_is_dns_subdomain("abc-", True) == []
    assert name_is_dns_subdomain("abc-", False) == [SUBDOMAIN]
    # kube masks the last *two* characters: "a.-" is checked as "aa"
    assert name_is_dns_subdomain("a.-", True) == []
    assert name_is_dns_subdomain("Ab-", True) == [SUBDOMAIN]
    assert name_is_dns_subdomain("-", True) == [SUBDOMAIN]
    assert name_is_dns_label("web-", True) == []
    assert name_is_dns_label("a.b-", True) == ["must not contain dots"]
    assert name_is_dns1035_label("svc-", True) == []
    assert name_is_dns1035_label("1svc", False) == [DNS1035]


# --- ObjectMeta on create ----------------------------------------------------


def meta_errors(meta: Any, **kwargs: Any) -> list[str]:
    kwargs.setdefault("namespaced", True)
    return messages(validate_object_meta(meta, **kwargs))


def test_valid_meta() -> None:
    meta = {
        "name": "web-1",
        "namespace": "default",
        "labels": {"app": "web", "example.com/tier": "Front_1"},
        "annotations": {"Example.COM/Note": "anything at all", "kubectl.kubernetes.io/last-applied": "{}"},
        "finalizers": ["example.com/cleanup", "kubernetes", "orphan", "example.com/cleanup"],
        "ownerReferences": [
            {
                "apiVersion": "apps/v1",
                "kind": "ReplicaSet",
                "name": "rs",
                "uid": "u1",
                "controller": True,
                "blockOwnerDeletion": True,
            },
            {"apiVersion": "v1", "kind": "ConfigMap", "name": "cm", "uid": "u2", "controller": False},
        ],
        "managedFields": [
            {
                "manager": "kubectl",
                "operation": "Apply",
                "fieldsType": "FieldsV1",
                "apiVersion": "v1",
                "fieldsV1": {},
            }
        ],
        "generation": 3,
        "uid": "abc",
        "resourceVersion": "12",
        "creationTimestamp": "2024-01-01T00:00:00Z",
        "deletionTimestamp": None,
        "labelsNull": None,
    }
    assert meta_errors(meta, builtin_finalizers=True) == []
    assert (
        meta_errors({"name": "x", "labels": None, "annotations": None, "finalizers": None}, namespaced=False)
        == []
    )


def test_name_errors() -> None:
    assert meta_errors({"name": "Foo", "namespace": "default"}) == [
        'metadata.name: Invalid value: "Foo": ' + SUBDOMAIN
    ]
    assert meta_errors({"namespace": "default"}) == [
        "metadata.name: Required value: name or generateName is required"
    ]
    # name generation is expected to have happened already, as in kube
    assert meta_errors({"generateName": "web-", "namespace": "default"}) == [
        "metadata.name: Required value: name or generateName is required"
    ]
    assert meta_errors({"generateName": "Web-", "name": "web-x1z2a", "namespace": "default"}) == [
        'metadata.generateName: Invalid value: "Web-": ' + SUBDOMAIN
    ]
    assert meta_errors({"name": "web.x", "namespace": "ns"}, name_fn=name_is_dns_label) == [
        'metadata.name: Invalid value: "web.x": must not contain dots'
    ]
    assert meta_errors({"name": "a/b"}, namespaced=False, name_fn=validate_path_segment_name) == [
        "metadata.name: Invalid value: \"a/b\": may not contain '/'"
    ]
    assert meta_errors({"name": "x"}, path="spec.template.metadata", namespaced=False) == []
    assert meta_errors({}, path="spec.template.metadata", namespaced=False) == [
        "spec.template.metadata.name: Required value: name or generateName is required"
    ]


def test_namespace_rules() -> None:
    assert meta_errors({"name": "x"}) == ["metadata.namespace: Required value"]
    assert meta_errors({"name": "x", "namespace": "Bad_NS"}) == [
        'metadata.namespace: Invalid value: "Bad_NS": ' + DNS_LABEL
    ]
    assert meta_errors({"name": "x", "namespace": "a.b"}) == [
        'metadata.namespace: Invalid value: "a.b": must not contain dots'
    ]
    assert meta_errors({"name": "x", "namespace": "default"}, namespaced=False) == [
        "metadata.namespace: Forbidden: not allowed on this type"
    ]
    assert meta_errors({}) == [
        "metadata.name: Required value: name or generateName is required",
        "metadata.namespace: Required value",
    ]


def test_labels() -> None:
    assert meta_errors({"name": "x", "namespace": "d", "labels": {"a b": "ok", "k": "-bad"}}) == [
        'metadata.labels: Invalid value: "a b": ' + NAME_PART,
        'metadata.labels: Invalid value: "-bad": ' + LABEL_VALUE,
    ]
    assert messages(validate_labels({"example.com/": "v"}, "metadata.labels")) == [
        'metadata.labels: Invalid value: "example.com/": name part must be non-empty',
        'metadata.labels: Invalid value: "example.com/": ' + NAME_PART,
    ]
    assert messages(validate_labels({"Example.com/a": "v"}, "metadata.labels")) == [
        'metadata.labels: Invalid value: "Example.com/a": prefix part ' + SUBDOMAIN
    ]
    assert messages(validate_labels({"a": "v" * 64}, "metadata.labels")) == [
        'metadata.labels: Invalid value: "' + "v" * 64 + '": must be no more than 63 bytes'
    ]


def test_annotations() -> None:
    # keys are checked case-insensitively, reported as written
    assert messages(validate_annotations({"Example.COM/Key_1": "x"}, "metadata.annotations")) == []
    assert messages(validate_annotations({"a b": "x"}, "metadata.annotations")) == [
        'metadata.annotations: Invalid value: "a b": ' + NAME_PART
    ]
    assert messages(validate_annotations({"a": "x" * (256 * 1024 - 1)}, "metadata.annotations")) == []
    big = {"a": "x" * (256 * 1024)}
    errs = validate_annotations(big, "metadata.annotations")
    assert messages(errs) == ["metadata.annotations: Too long: may not be more than 262144 bytes"]
    assert errs[0].type is FieldErrorType.TOO_LONG
    # size is counted in UTF-8 bytes
    assert messages(validate_annotations({"a": "é" * (128 * 1024)}, "metadata.annotations")) == [
        "metadata.annotations: Too long: may not be more than 262144 bytes"
    ]


def test_finalizers() -> None:
    assert messages(validate_finalizers(["orphan", "foregroundDeletion"], "metadata.finalizers")) == [
        'metadata.finalizers: Invalid value: ["orphan","foregroundDeletion"]: '
        "finalizer orphan and foregroundDeletion cannot be both set"
    ]
    assert messages(validate_finalizers(["ok/x", "a b"], "metadata.finalizers")) == [
        'metadata.finalizers: Invalid value: "a b": ' + NAME_PART
    ]
    # duplicates are accepted, as in kube
    assert validate_finalizers(["example.com/f", "example.com/f"], "metadata.finalizers") == []
    # built-in kinds also require unqualified finalizers to be standard ones
    assert meta_errors(
        {"name": "x", "namespace": "d", "finalizers": ["foo", "kubernetes", "a/b"]}, builtin_finalizers=True
    ) == [
        'metadata.finalizers[0]: Invalid value: "foo": name is neither a standard finalizer name nor is it '
        "fully qualified"
    ]
    assert meta_errors({"name": "x", "namespace": "d", "finalizers": ["foo"]}) == []


def test_owner_references() -> None:
    path = "metadata.ownerReferences"
    assert messages(validate_owner_references([{}], path)) == [
        "metadata.ownerReferences[0].apiVersion: Required value: must not be empty",
        "metadata.ownerReferences[0].kind: Required value: must not be empty",
        "metadata.ownerReferences[0].name: Required value: must not be empty",
        "metadata.ownerReferences[0].uid: Required value: must not be empty",
    ]
    ref = {"kind": "K", "name": "n", "uid": "u"}
    for bad in ["a/b/c", "apps/", "/"]:
        assert messages(validate_owner_references([{**ref, "apiVersion": bad}], path)) == [
            f'metadata.ownerReferences[0].apiVersion: Invalid value: "{bad}": must be <group>/<version> or <version>'
        ]
    assert messages(
        validate_owner_references([{"apiVersion": "v1", "kind": "Event", "name": "e", "uid": "1"}], path)
    ) == [
        'metadata.ownerReferences[0]: Invalid value: {"apiVersion":"v1","kind":"Event","name":"e","uid":"1"}: '
        "/v1, Kind=Event is disallowed from being an owner"
    ]
    assert (
        validate_owner_references(
            [{"apiVersion": "events.k8s.io/v1", "kind": "Event", "name": "e", "uid": "1"}], path
        )
        == []
    )
    two = [
        {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "a", "uid": "1", "controller": True},
        {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "name": "b",
            "uid": "2",
            "controller": True,
            "blockOwnerDeletion": False,
        },
    ]
    assert messages(validate_owner_references(two, path)) == [
        'metadata.ownerReferences: Invalid value: [{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"a",'
        '"uid":"1","controller":true},{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"b","uid":"2",'
        '"controller":true,"blockOwnerDeletion":false}]: Only one reference can have Controller set to true. '
        'Found "true" in references for ReplicaSet/a and ReplicaSet/b'
    ]
    assert messages(
        validate_owner_references([{**ref, "apiVersion": "v1", "blockOwnerDeletion": "yes"}], path)
    ) == [
        'metadata.ownerReferences[0].blockOwnerDeletion: Invalid value: "string": '
        'metadata.ownerReferences[0].blockOwnerDeletion in body must be of type boolean: "string"'
    ]


def test_generation_and_managed_fields() -> None:
    assert meta_errors({"name": "x", "namespace": "d", "generation": -1}) == [
        "metadata.generation: Invalid value: -1: must be greater than or equal to 0"
    ]
    path = "metadata.managedFields"
    assert messages(validate_managed_fields([{"manager": "m", "operation": "Foo"}], path)) == [
        'metadata.managedFields[0].operation: Unsupported value: "Foo": supported values: "Apply", "Update"'
    ]
    assert messages(validate_managed_fields([{"manager": "m"}], path)) == [
        "metadata.managedFields[0].operation: Required value: must not be empty"
    ]
    assert messages(validate_managed_fields([{"operation": "Update", "fieldsType": "FieldsV2"}], path)) == [
        'metadata.managedFields[0].fieldsType: Invalid value: "FieldsV2": must be `FieldsV1`'
    ]
    assert messages(
        validate_managed_fields(
            [{"operation": "Update", "manager": "m" * 129, "subresource": "s" * 257}], path
        )
    ) == [
        "metadata.managedFields[0].manager: Too long: may not be more than 128 bytes",
        "metadata.managedFields[0].subresource: Too long: may not be more than 256 bytes",
    ]
    errs = validate_managed_fields([{"operation": "Update", "manager": "é\x01"}], path)
    assert [e.detail for e in errs] == ["invalid character U+0001 (at position 2)"]


def test_label_selector_validation() -> None:
    path = "spec.selector"
    assert validate_label_selector(None, path) == []
    assert (
        validate_label_selector(
            {
                "matchLabels": {"a": "b"},
                "matchExpressions": [{"key": "k", "operator": "In", "values": ["v"]}],
            },
            path,
        )
        == []
    )
    assert messages(
        validate_label_selector(
            {
                "matchExpressions": [
                    {"key": "k", "operator": "In"},
                    {"key": "k", "operator": "Exists", "values": ["v"]},
                    {"key": "a b", "operator": "Near", "values": ["-v"]},
                ]
            },
            path,
        )
    ) == [
        "spec.selector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' "
        "or 'NotIn'",
        "spec.selector.matchExpressions[1].values: Forbidden: may not be specified when `operator` is 'Exists' "
        "or 'DoesNotExist'",
        'spec.selector.matchExpressions[2].operator: Invalid value: "Near": not a valid selector operator',
        'spec.selector.matchExpressions[2].key: Invalid value: "a b": ' + NAME_PART,
        'spec.selector.matchExpressions[2].values[0]: Invalid value: "-v": ' + LABEL_VALUE,
    ]
    assert messages(validate_label_selector({"matchLabels": {"a": "-"}}, path)) == [
        'spec.selector.matchLabels: Invalid value: "-": ' + LABEL_VALUE
    ]


# --- type errors -------------------------------------------------------------


def test_type_errors() -> None:
    assert meta_errors("nope") == [
        'metadata: Invalid value: "string": metadata in body must be of type object: "string"'
    ]
    assert meta_errors({"name": 5, "namespace": "d"}) == [
        'metadata.name: Invalid value: "integer": metadata.name in body must be of type string: "integer"'
    ]
    assert meta_errors({"name": "x", "namespace": "d", "labels": ["a"]}) == [
        'metadata.labels: Invalid value: "array": metadata.labels in body must be of type object: "array"'
    ]
    assert meta_errors({"name": "x", "namespace": "d", "labels": {"a": 1, "b": "-"}}) == [
        'metadata.labels.a: Invalid value: "integer": metadata.labels.a in body must be of type string: "integer"',
        'metadata.labels: Invalid value: "-": ' + LABEL_VALUE,
    ]
    assert meta_errors({"name": "x", "namespace": "d", "finalizers": "a", "generation": 1.5}) == [
        'metadata.generation: Invalid value: "number": metadata.generation in body must be of type integer: '
        '"number"',
        'metadata.finalizers: Invalid value: "string": metadata.finalizers in body must be of type array: '
        '"string"',
    ]
    assert meta_errors({"name": "x", "namespace": "d", "ownerReferences": [7]}) == [
        'metadata.ownerReferences[0]: Invalid value: "integer": metadata.ownerReferences[0] in body must be '
        'of type object: "integer"'
    ]
    assert meta_errors({"name": "x", "namespace": "d", "creationTimestamp": "yesterday"}) == [
        'metadata.creationTimestamp: Invalid value: "yesterday": metadata.creationTimestamp in body must be '
        'of type date-time: "yesterday"'
    ]
    assert meta_errors({"name": "x", "namespace": "d", "generation": True}) == [
        'metadata.generation: Invalid value: "boolean": metadata.generation in body must be of type integer: '
        '"boolean"'
    ]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=10,
)
META_KEYS = [
    "name",
    "generateName",
    "namespace",
    "labels",
    "annotations",
    "finalizers",
    "ownerReferences",
    "managedFields",
    "generation",
    "uid",
    "resourceVersion",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "selfLink",
]
garbage_meta = json_values | st.dictionaries(st.sampled_from(META_KEYS), json_values, max_size=8)


@settings(max_examples=400, deadline=None)
@given(garbage_meta, garbage_meta, st.booleans())
def test_garbage_never_raises(new: Any, old: Any, namespaced: bool) -> None:
    for errs in (
        validate_object_meta(new, namespaced=namespaced, builtin_finalizers=True),
        validate_object_meta_update(new, old, builtin_finalizers=True),
        validate_label_selector(new, "spec.selector"),
    ):
        for err in errs:
            assert isinstance(err, FieldError)
            assert isinstance(err.message(), str)
            err.cause()


@pytest.mark.parametrize(
    "garbage",
    [
        {"labels": {1: "a"}},
        {"ownerReferences": [{"apiVersion": 1, "kind": None, "name": [], "uid": {}, "controller": "yes"}]},
        {"managedFields": [{"operation": 1, "manager": 2, "fieldsType": 3, "subresource": 4}, None, "x"]},
        {"finalizers": [None, 1, "orphan", "foregroundDeletion"]},
        {"annotations": {"a": {"b": "c"}}},
        {"name": "\ud800", "namespace": "\udfff", "labels": {"\ud800": "\udc00"}},
        {"deletionTimestamp": 5, "creationTimestamp": ["x"], "deletionGracePeriodSeconds": "30"},
    ],
)
def test_specific_garbage(garbage: dict[str, Any]) -> None:
    meta = {"name": "x", "namespace": "d", **garbage}
    assert all(isinstance(e, FieldError) for e in validate_object_meta(meta, namespaced=True))
    assert all(isinstance(e, FieldError) for e in validate_object_meta_update(meta, {"name": "x"}))


# --- ObjectMeta on update ----------------------------------------------------

OLD = {
    "name": "x",
    "namespace": "d",
    "uid": "u1",
    "resourceVersion": "5",
    "generation": 2,
    "creationTimestamp": "2024-01-01T00:00:00Z",
}


def update_errors(new: dict[str, Any], old: dict[str, Any] | None = None, **kwargs: Any) -> list[str]:
    return messages(validate_object_meta_update({**OLD, **new}, old if old is not None else OLD, **kwargs))


def test_update_unchanged_is_valid() -> None:
    assert update_errors({}) == []
    # same instant, other zone and precision
    assert update_errors({"creationTimestamp": "2024-01-01T01:00:00+01:00"}) == []
    assert update_errors({"generation": 3}) == []


def test_update_immutable_fields() -> None:
    assert update_errors({"name": "y"}) == ['metadata.name: Invalid value: "y": field is immutable']
    assert update_errors({"namespace": "e"}) == ['metadata.namespace: Invalid value: "e": field is immutable']
    assert update_errors({"uid": "u2"}) == ['metadata.uid: Invalid value: "u2": field is immutable']
    assert update_errors({"creationTimestamp": "2024-01-02T00:00:00+00:00"}) == [
        'metadata.creationTimestamp: Invalid value: "2024-01-02T00:00:00Z": field is immutable'
    ]
    assert update_errors({"creationTimestamp": None}) == [
        "metadata.creationTimestamp: Invalid value: null: field is immutable"
    ]
    assert update_errors({"deletionTimestamp": "2024-01-03T00:00:00Z"}) == [
        'metadata.deletionTimestamp: Invalid value: "2024-01-03T00:00:00Z": field is immutable'
    ]
    assert update_errors({"deletionGracePeriodSeconds": 0}) == [
        "metadata.deletionGracePeriodSeconds: Invalid value: 0: field is immutable"
    ]


def test_update_resource_version_and_generation() -> None:
    assert update_errors({"resourceVersion": ""}) == [
        'metadata.resourceVersion: Invalid value: "": must be specified for an update'
    ]
    assert update_errors({"generation": 1}) == [
        "metadata.generation: Invalid value: 1: must not be decremented"
    ]
    assert update_errors({"generation": -1}) == [
        "metadata.generation: Invalid value: -1: must be greater than or equal to 0",
        "metadata.generation: Invalid value: -1: must not be decremented",
    ]


def test_update_deleting_object() -> None:
    deleting = {
        **OLD,
        "deletionTimestamp": "2024-01-03T00:00:00Z",
        "deletionGracePeriodSeconds": 30,
        "finalizers": ["a/x"],
    }
    assert (
        update_errors(
            {"deletionTimestamp": "2024-01-03T00:00:00Z", "deletionGracePeriodSeconds": 30, "finalizers": []},
            deleting,
        )
        == []
    )
    assert update_errors(
        {
            "deletionTimestamp": "2024-01-03T00:00:00Z",
            "deletionGracePeriodSeconds": 30,
            "finalizers": ["a/x", "c/z", "b/y"],
        },
        deleting,
    ) == [
        "metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, "
        'found new finalizers []string{"b/y", "c/z"}'
    ]
    assert update_errors({"finalizers": ["a/x"]}, deleting) == [
        "metadata.deletionTimestamp: Invalid value: null: field is immutable",
        "metadata.deletionGracePeriodSeconds: Invalid value: null: field is immutable",
    ]


def test_update_revalidates_metadata_maps_but_not_names() -> None:
    assert update_errors(
        {
            "labels": {"a": "-"},
            "annotations": {"a b": "c"},
            "ownerReferences": [{"apiVersion": "v1"}],
            "managedFields": [{"operation": "Nope"}],
        }
    ) == [
        'metadata.labels: Invalid value: "-": ' + LABEL_VALUE,
        'metadata.annotations: Invalid value: "a b": ' + NAME_PART,
        "metadata.ownerReferences[0].kind: Required value: must not be empty",
        "metadata.ownerReferences[0].name: Required value: must not be empty",
        "metadata.ownerReferences[0].uid: Required value: must not be empty",
        'metadata.managedFields[0].operation: Unsupported value: "Nope": supported values: "Apply", "Update"',
    ]
    # kube does not re-run name or finalizer-name validation on update
    bad = {**OLD, "name": "Bad_Name", "finalizers": ["a b"]}
    assert messages(validate_object_meta_update(bad, bad)) == []
    assert messages(
        validate_object_meta_update({**bad, "finalizers": ["foo"]}, bad, builtin_finalizers=True)
    ) == [
        'metadata.finalizers[0]: Invalid value: "foo": name is neither a standard finalizer name nor is it '
        "fully qualified"
    ]


def test_update_type_errors() -> None:
    assert update_errors({"name": 1, "generation": "2", "deletionGracePeriodSeconds": "x"}) == [
        'metadata.generation: Invalid value: "string": metadata.generation in body must be of type integer: '
        '"string"',
        'metadata.name: Invalid value: "integer": metadata.name in body must be of type string: "integer"',
        'metadata.deletionGracePeriodSeconds: Invalid value: "string": metadata.deletionGracePeriodSeconds in '
        'body must be of type integer: "string"',
    ]
    assert messages(validate_object_meta_update([], OLD)) == [
        'metadata: Invalid value: "array": metadata in body must be of type object: "array"'
    ]
