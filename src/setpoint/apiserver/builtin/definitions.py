"""OpenAPI v3 schemas of the built-in kinds, and unknown-field detection.

:data:`DEFINITIONS` holds kube-apiserver's component schemas (named as kube
names them, e.g. ``io.k8s.api.core.v1.ConfigMap``) with ``$ref``s between
them, exactly the shape ``/openapi/v3`` publishes and ``kubectl explain``
walks.  :data:`BUILTIN_SCHEMAS` holds the same kinds inlined into structural
schemas (the ``JSONSchemaProps`` shape CRDs use), keyed by group, version and
kind, for validation and for :func:`unknown_fields`.

Descriptions are kube's own (from the Go types' doc comments).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

Obj = dict[str, Any]

#: Where ``$ref`` points in an OpenAPI v3 document.
REF_PREFIX = "#/components/schemas/"

_M = "io.k8s.apimachinery.pkg.apis.meta.v1."
_CORE = "io.k8s.api.core.v1."
_APIEXT = "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1."

OBJECT_META = _M + "ObjectMeta"
LIST_META = _M + "ListMeta"
STATUS = _M + "Status"
DELETE_OPTIONS = _M + "DeleteOptions"
PATCH = _M + "Patch"
TIME = _M + "Time"
MICRO_TIME = _M + "MicroTime"
FIELDS_V1 = _M + "FieldsV1"
SCALE = "io.k8s.api.autoscaling.v1.Scale"

#: Every component schema, by kube's definition name.
DEFINITIONS: dict[str, Obj] = {}
#: The definition describing each group/version/kind (kinds and their lists).
GVK_DEFINITIONS: dict[tuple[str, str, str], str] = {}

_ATOMIC: Obj = {"x-kubernetes-list-type": "atomic"}
_OBJECT_META_DESC = (
    "Standard object's metadata. More info: "
    "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata"
)
_LIST_META_DESC = (
    "Standard list metadata. More info: "
    "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds"
)
_API_VERSION: Obj = {
    "description": "APIVersion defines the versioned schema of this representation of an object. "
    "Servers should convert recognized schemas to the latest internal value, and may reject "
    "unrecognized values. More info: "
    "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources",
    "type": "string",
}
_KIND: Obj = {
    "description": "Kind is a string value representing the REST resource this object represents. "
    "Servers may infer this from the endpoint the client submits requests to. Cannot be updated. "
    "In CamelCase. More info: "
    "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds",
    "type": "string",
}


def _string(description: str = "", *, format: str = "", enum: list[str] | None = None) -> Obj:
    out: Obj = {"type": "string"}
    if format:
        out["format"] = format
    if description:
        out["description"] = description
    if enum is not None:
        out["enum"] = enum
    return out


def _integer(description: str, *, format: str = "int32") -> Obj:
    return {"type": "integer", "format": format, "description": description}


def _boolean(description: str) -> Obj:
    return {"type": "boolean", "description": description}


def _map(values: Obj, description: str) -> Obj:
    return {"type": "object", "additionalProperties": values, "description": description}


def _ref(name: str, description: str = "", *, default_empty: bool = False) -> Obj:
    """A reference to another definition, wrapped in ``allOf`` when it has siblings (as kube does)."""
    ref: Obj = {"$ref": REF_PREFIX + name}
    if not description and not default_empty:
        return ref
    out: Obj = {"allOf": [ref]}
    if default_empty:
        out["default"] = {}
    if description:
        out["description"] = description
    return out


def _array(items: Obj, description: str, *, ext: Obj | None = None) -> Obj:
    if "$ref" in items:
        items = {"allOf": [items], "default": {}}
    out: Obj = {"type": "array", "items": items, "description": description}
    if ext:
        out.update(ext)
    return out


def _define(
    name: str,
    description: str,
    properties: Obj,
    *,
    required: list[str] | None = None,
    gvk: tuple[str, str, str] | None = None,
    ext: Obj | None = None,
) -> None:
    schema: Obj = {"description": description, "type": "object", "properties": properties}
    if required:
        schema["required"] = required
    if ext:
        schema.update(ext)
    if gvk is not None:
        group, version, kind = gvk
        schema["x-kubernetes-group-version-kind"] = [{"group": group, "kind": kind, "version": version}]
        GVK_DEFINITIONS[gvk] = name
    DEFINITIONS[name] = schema


def _define_list(
    name: str, item: str, description: str, items_description: str, gvk: tuple[str, str, str]
) -> None:
    _define(
        name,
        description,
        {
            "apiVersion": _API_VERSION,
            "items": _array(_ref(item), items_description),
            "kind": _KIND,
            "metadata": _ref(LIST_META, _LIST_META_DESC, default_empty=True),
        },
        required=["items"],
        gvk=gvk,
    )


# --- meta/v1 ---------------------------------------------------------------

DEFINITIONS[TIME] = {
    "description": "Time is a wrapper around time.Time which supports correct marshaling to YAML and JSON.  "
    "Wrappers are provided for many of the factory methods that the time package offers.",
    "format": "date-time",
    "type": "string",
}
DEFINITIONS[MICRO_TIME] = {
    "description": "MicroTime is version of Time with microsecond level precision.",
    "format": "date-time",
    "type": "string",
}
DEFINITIONS[FIELDS_V1] = {
    "description": "FieldsV1 stores a set of fields in a data structure like a Trie, in JSON format.\n\n"
    "Each key is either a '.' representing the field itself, and will always map to an empty set, "
    "or a string representing a sub-field or item. The string will follow one of these four formats: "
    "'f:<name>', where <name> is the name of a field in a struct, or key in a map 'v:<value>', where "
    "<value> is the exact json formatted value of a list item 'i:<index>', where <index> is position of "
    "a item in a list 'k:<keys>', where <keys> is a map of  a list item's key fields to their unique "
    "values If a key maps to an empty Fields value, the field that key represents is part of the set.\n\n"
    "The exact format is defined in sigs.k8s.io/structured-merge-diff",
    "type": "object",
}
DEFINITIONS[PATCH] = {
    "description": "Patch is provided to give a concrete name and type to the Kubernetes PATCH request body.",
    "type": "object",
}

# --- the built-in kinds and what they reference -------------------------------

_define(
    _M + "ObjectMeta",
    "ObjectMeta is metadata that all persisted resources must have, which includes all objects users must create.",
    {
        "annotations": _map(
            _string(),
            "Annotations is an unstructured key value map stored with a resource that may be set by external tools to store and retrieve arbitrary metadata. They are not queryable and should be preserved when modifying objects. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/annotations",
        ),
        "creationTimestamp": _ref(
            TIME,
            "CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.  Populated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata",
        ),
        "deletionGracePeriodSeconds": _integer(
            "Number of seconds allowed for this object to gracefully terminate before it will be removed from the system. Only set when deletionTimestamp is also set. May only be shortened. Read-only.",
            format="int64",
        ),
        "deletionTimestamp": _ref(
            TIME,
            "DeletionTimestamp is RFC 3339 date and time at which this resource will be deleted. This field is set by the server when a graceful deletion is requested by the user, and is not directly settable by a client. The resource is expected to be deleted (no longer visible from resource lists, and not reachable by name) after the time in this field, once the finalizers list is empty. As long as the finalizers list contains items, deletion is blocked. Once the deletionTimestamp is set, this value may not be unset or be set further into the future, although it may be shortened or the resource may be deleted prior to this time. For example, a user may request that a pod is deleted in 30 seconds. The Kubelet will react by sending a graceful termination signal to the containers in the pod. After that 30 seconds, the Kubelet will send a hard termination signal (SIGKILL) to the container and after cleanup, remove the pod from the API. In the presence of network partitions, this object may still exist after this timestamp, until an administrator or automated process can determine the resource is fully terminated. If not set, graceful deletion of the object has not been requested.  Populated by the system when a graceful deletion is requested. Read-only. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata",
        ),
        "finalizers": _array(
            _string(),
            "Must be empty before the object is deleted from the registry. Each entry is an identifier for the responsible component that will remove the entry from the list. If the deletionTimestamp of the object is non-nil, entries in this list can only be removed. Finalizers may be processed and removed in any order.  Order is NOT enforced because it introduces significant risk of stuck finalizers. finalizers is a shared field, any actor with permission can reorder it. If the finalizer list is processed in order, then this can lead to a situation in which the component responsible for the first finalizer in the list is waiting for a signal (field value, external system, or other) produced by a component responsible for a finalizer later in the list, resulting in a deadlock. Without enforced ordering finalizers are free to order amongst themselves and are not vulnerable to ordering changes in the list.",
            ext={"x-kubernetes-list-type": "set", "x-kubernetes-patch-strategy": "merge"},
        ),
        "generateName": _string(
            "GenerateName is an optional prefix, used by the server, to generate a unique name ONLY IF the Name field has not been provided. If this field is used, the name returned to the client will be different than the name passed. This value will also be combined with a unique suffix. The provided value has the same validation rules as the Name field, and may be truncated by the length of the suffix required to make the value unique on the server.  If this field is specified and the generated name exists, the server will return a 409.  Applied only if Name is not specified. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#idempotency"
        ),
        "generation": _integer(
            "A sequence number representing a specific generation of the desired state. Populated by the system. Read-only.",
            format="int64",
        ),
        "labels": _map(
            _string(),
            "Map of string keys and values that can be used to organize and categorize (scope and select) objects. May match selectors of replication controllers and services. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels",
        ),
        "managedFields": _array(
            _ref(_M + "ManagedFieldsEntry"),
            "ManagedFields maps workflow-id and version to the set of fields that are managed by that workflow. This is mostly for internal housekeeping, and users typically shouldn't need to set or understand this field. A workflow can be the user's name, a controller's name, or the name of a specific apply path like \"ci-cd\". The set of fields is always in the version that the workflow used when modifying the object.",
            ext=_ATOMIC,
        ),
        "name": _string(
            "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names"
        ),
        "namespace": _string(
            'Namespace defines the space within which each name must be unique. An empty namespace is equivalent to the "default" namespace, but "default" is the canonical representation. Not all objects are required to be scoped to a namespace - the value of this field for those objects will be empty.  Must be a DNS_LABEL. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/namespaces'
        ),
        "ownerReferences": _array(
            _ref(_M + "OwnerReference"),
            "List of objects depended by this object. If ALL objects in the list have been deleted, this object will be garbage collected. If this object is managed by a controller, then an entry in this list will point to this controller, with the controller field set to true. There cannot be more than one managing controller.",
            ext={
                "x-kubernetes-list-map-keys": ["uid"],
                "x-kubernetes-list-type": "map",
                "x-kubernetes-patch-merge-key": "uid",
                "x-kubernetes-patch-strategy": "merge",
            },
        ),
        "resourceVersion": _string(
            "An opaque value that represents the internal version of this object that can be used by clients to determine when objects have changed. May be used for optimistic concurrency, change detection, and the watch operation on a resource or set of resources. Clients must treat these values as opaque and passed unmodified back to the server. They may only be valid for a particular resource or set of resources.  Populated by the system. Read-only. Value must be treated as opaque by clients and . More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#concurrency-control-and-consistency"
        ),
        "selfLink": _string(
            "Deprecated: selfLink is a legacy read-only field that is no longer populated by the system."
        ),
        "uid": _string(
            "UID is the unique in time and space value for this object. It is typically generated by the server on successful creation of a resource and is not allowed to change on PUT operations.  Populated by the system. Read-only. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#uids"
        ),
    },
)
_define(
    _M + "OwnerReference",
    "OwnerReference contains enough information to let you identify an owning object. An owning object must be in the same namespace as the dependent, or be cluster-scoped, so there is no namespace field.",
    {
        "apiVersion": _string("API version of the referent."),
        "blockOwnerDeletion": _boolean(
            'If true, AND if the owner has the "foregroundDeletion" finalizer, then the owner cannot be deleted from the key-value store until this reference is removed. See https://kubernetes.io/docs/concepts/architecture/garbage-collection/#foreground-deletion for how the garbage collector interacts with this field and enforces the foreground deletion. Defaults to false. To set this field, a user needs "delete" permission of the owner, otherwise 422 (Unprocessable Entity) will be returned.'
        ),
        "controller": _boolean("If true, this reference points to the managing controller."),
        "kind": _string(
            "Kind of the referent. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds"
        ),
        "name": _string(
            "Name of the referent. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names"
        ),
        "uid": _string(
            "UID of the referent. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#uids"
        ),
    },
    required=["apiVersion", "kind", "name", "uid"],
)
_define(
    _M + "ManagedFieldsEntry",
    "ManagedFieldsEntry is a workflow-id, a FieldSet and the group version of the resource that the fieldset applies to.",
    {
        "apiVersion": _string(
            'APIVersion defines the version of this resource that this field set applies to. The format is "group/version" just like the top-level APIVersion field. It is necessary to track the version of a field set because it cannot be automatically converted.'
        ),
        "fieldsType": _string(
            'FieldsType is the discriminator for the different fields format and version. There is currently only one possible value: "FieldsV1"'
        ),
        "fieldsV1": _ref(
            FIELDS_V1, 'FieldsV1 holds the first JSON version format as described in the "FieldsV1" type.'
        ),
        "manager": _string("Manager is an identifier of the workflow managing these fields."),
        "operation": _string(
            "Operation is the type of operation which lead to this ManagedFieldsEntry being created. The only valid values for this field are 'Apply' and 'Update'."
        ),
        "subresource": _string(
            "Subresource is the name of the subresource used to update that object, or empty string if the object was updated through the main resource. The value of this field is used to distinguish between managers, even if they share the same name. For example, a status update will be distinct from a regular update using the same manager name. Note that the APIVersion field is not related to the Subresource field and it always corresponds to the version of the main resource."
        ),
        "time": _ref(
            TIME,
            "Time is the timestamp of when the ManagedFields entry was added. The timestamp will also be updated if a field is added, the manager changes any of the owned fields value or removes a field. The timestamp does not update when a field is removed from the entry because another manager took it over.",
        ),
    },
)
_define(
    _M + "ListMeta",
    "ListMeta describes metadata that synthetic resources must have, including lists and various status objects. A resource may have only one of {ObjectMeta, ListMeta}.",
    {
        "continue": _string(
            "continue may be set if the user set a limit on the number of items returned, and indicates that the server has more data available. The value is opaque and may be used to issue another request to the endpoint that served this list to retrieve the next set of available objects. Continuing a consistent list may not be possible if the server configuration has changed or more than a few minutes have passed. The resourceVersion field returned when using this continue value will be identical to the value in the first response, unless you have received this token from an error message."
        ),
        "remainingItemCount": _integer(
            "remainingItemCount is the number of subsequent items in the list which are not included in this list response. If the list request contained label or field selectors, then the number of remaining items is unknown and the field will be left unset and omitted during serialization. If the list is complete (either because it is not chunking or because this is the last chunk), then there are no more remaining items and this field will be left unset and omitted during serialization. Servers older than v1.15 do not set this field. The intended use of the remainingItemCount is *estimating* the size of a collection. Clients should not rely on the remainingItemCount to be set or to be exact.",
            format="int64",
        ),
        "resourceVersion": _string(
            "String that identifies the server's internal version of this object that can be used by clients to determine when objects have changed. Value must be treated as opaque by clients and passed unmodified back to the server. Populated by the system. Read-only. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#concurrency-control-and-consistency"
        ),
        "selfLink": _string(
            "Deprecated: selfLink is a legacy read-only field that is no longer populated by the system."
        ),
        "shardInfo": _ref(
            _M + "ShardInfo",
            "shardInfo is set when the list is a shard-filtered subset of the collection, selected by the shardSelector of the request.",
        ),
    },
)
_define(
    _M + "Status",
    "Status is a return value for calls that don't return other objects.",
    {
        "apiVersion": _API_VERSION,
        "code": _integer("Suggested HTTP return code for this status, 0 if not set."),
        "details": _ref(
            _M + "StatusDetails",
            "Extended data associated with the reason.  Each reason may define its own extended details. This field is optional and the data returned is not guaranteed to conform to any schema except that defined by the reason type.",
        ),
        "kind": _KIND,
        "message": _string("A human-readable description of the status of this operation."),
        "metadata": _ref(
            LIST_META,
            "Standard list metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds",
            default_empty=True,
        ),
        "reason": _string(
            'A machine-readable description of why this operation is in the "Failure" status. If this value is empty there is no information available. A Reason clarifies an HTTP status code but does not override it.'
        ),
        "status": _string(
            'Status of the operation. One of: "Success" or "Failure". More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#spec-and-status'
        ),
    },
)
_define(
    _M + "StatusDetails",
    "StatusDetails is a set of additional properties that MAY be set by the server to provide additional information about a response. The Reason field of a Status object defines what attributes will be set. Clients must ignore fields that do not match the defined type of each attribute, and should assume that any attribute may be empty, invalid, or under defined.",
    {
        "causes": _array(
            _ref(_M + "StatusCause"),
            "The Causes array includes more details associated with the StatusReason failure. Not all StatusReasons may provide detailed causes.",
            ext=_ATOMIC,
        ),
        "group": _string("The group attribute of the resource associated with the status StatusReason."),
        "kind": _string(
            "The kind attribute of the resource associated with the status StatusReason. On some operations may differ from the requested resource Kind. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds"
        ),
        "name": _string(
            "The name attribute of the resource associated with the status StatusReason (when there is a single name which can be described)."
        ),
        "retryAfterSeconds": _integer(
            "If specified, the time in seconds before the operation should be retried. Some errors may indicate the client must take an alternate action - for those errors this field may indicate how long to wait before taking the alternate action."
        ),
        "uid": _string(
            "UID of the resource. (when there is a single resource which can be described). More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#uids"
        ),
    },
)
_define(
    _M + "StatusCause",
    "StatusCause provides more information about an api.Status failure, including cases when multiple errors are encountered.",
    {
        "field": _string(
            'The field of the resource that has caused this error, as named by its JSON serialization. May include dot and postfix notation for nested attributes. Arrays are zero-indexed.  Fields may appear more than once in an array of causes due to fields having multiple errors. Optional.  Examples:   "name" - the field "name" on the current resource   "items[0].name" - the field "name" on the first array entry in "items"'
        ),
        "message": _string(
            "A human-readable description of the cause of the error.  This field may be presented as-is to a reader."
        ),
        "reason": _string(
            "A machine-readable description of the cause of the error. If this value is empty there is no information available."
        ),
    },
)
_define(
    _M + "DeleteOptions",
    "DeleteOptions may be provided when deleting an API object.",
    {
        "apiVersion": _API_VERSION,
        "dryRun": _array(
            _string(),
            "When present, indicates that modifications should not be persisted. An invalid or unrecognized dryRun directive will result in an error response and no further processing of the request. Valid values are: - All: all dry run stages will be processed",
            ext=_ATOMIC,
        ),
        "gracePeriodSeconds": _integer(
            "The duration in seconds before the object should be deleted. Value must be non-negative integer. The value zero indicates delete immediately. If this value is nil, the default grace period for the specified type will be used. Defaults to a per object value if not specified. zero means delete immediately.",
            format="int64",
        ),
        "ignoreStoreReadErrorWithClusterBreakingPotential": _boolean(
            "if set to true, it will trigger an unsafe deletion of the resource in case the normal deletion flow fails with a corrupt object error. A resource is considered corrupt if it can not be retrieved from the underlying storage successfully because of a) its data can not be transformed e.g. decryption failure, or b) it fails to decode into an object. NOTE: unsafe deletion ignores finalizer constraints, skips precondition checks, and removes the object from the storage. WARNING: This may potentially break the cluster if the workload associated with the resource being unsafe-deleted relies on normal deletion flow. Use only if you REALLY know what you are doing. The default value is false, and the user must opt in to enable it"
        ),
        "kind": _KIND,
        "orphanDependents": _boolean(
            'Deprecated: please use the PropagationPolicy, this field will be deprecated in 1.7. Should the dependent objects be orphaned. If true/false, the "orphan" finalizer will be added to/removed from the object\'s finalizers list. Either this field or PropagationPolicy may be set, but not both.'
        ),
        "preconditions": _ref(
            _M + "Preconditions",
            "Must be fulfilled before a deletion is carried out. If not possible, a 409 Conflict status will be returned.",
        ),
        "propagationPolicy": _string(
            "Whether and how garbage collection will be performed. Either this field or OrphanDependents may be set, but not both. The default policy is decided by the existing finalizer set in the metadata.finalizers and the resource-specific default policy. Acceptable values are: 'Orphan' - orphan the dependents; 'Background' - allow the garbage collector to delete the dependents in the background; 'Foreground' - a cascading policy that deletes all dependents in the foreground."
        ),
    },
)
_define(
    _M + "Preconditions",
    "Preconditions must be fulfilled before an operation (update, delete, etc.) is carried out.",
    {
        "resourceVersion": _string("Specifies the target ResourceVersion"),
        "uid": _string("Specifies the target UID."),
    },
)
_define(
    _CORE + "Namespace",
    "Namespace provides a scope for Names. Use of multiple namespaces is optional.",
    {
        "apiVersion": _API_VERSION,
        "kind": _KIND,
        "metadata": _ref(OBJECT_META, _OBJECT_META_DESC, default_empty=True),
        "spec": _ref(
            _CORE + "NamespaceSpec",
            "Spec defines the behavior of the Namespace. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#spec-and-status",
            default_empty=True,
        ),
        "status": _ref(
            _CORE + "NamespaceStatus",
            "Status describes the current status of a Namespace. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#spec-and-status",
            default_empty=True,
        ),
    },
)
_define(
    _CORE + "NamespaceSpec",
    "NamespaceSpec describes the attributes on a Namespace.",
    {
        "finalizers": _array(
            _string(),
            "Finalizers is an opaque list of values that must be empty to permanently remove object from storage. More info: https://kubernetes.io/docs/tasks/administer-cluster/namespaces/",
            ext=_ATOMIC,
        ),
    },
)
_define(
    _CORE + "NamespaceStatus",
    "NamespaceStatus is information about the current status of a Namespace.",
    {
        "conditions": _array(
            _ref(_CORE + "NamespaceCondition"),
            "Represents the latest available observations of a namespace's current state.",
            ext={
                "x-kubernetes-list-map-keys": ["type"],
                "x-kubernetes-list-type": "map",
                "x-kubernetes-patch-merge-key": "type",
                "x-kubernetes-patch-strategy": "merge",
            },
        ),
        "phase": _string(
            "Phase is the current lifecycle phase of the namespace. More info: https://kubernetes.io/docs/tasks/administer-cluster/namespaces/"
        ),
    },
)
_define(
    _CORE + "NamespaceCondition",
    "NamespaceCondition contains details about state of namespace.",
    {
        "lastTransitionTime": _ref(TIME, "Last time the condition transitioned from one status to another."),
        "message": _string("Human-readable message indicating details about last transition."),
        "reason": _string("Unique, one-word, CamelCase reason for the condition's last transition."),
        "status": _string("Status of the condition, one of True, False, Unknown."),
        "type": _string("Type of namespace controller condition."),
    },
    required=["status", "type"],
)
_define(
    _CORE + "ConfigMap",
    "ConfigMap holds configuration data for pods to consume.",
    {
        "apiVersion": _API_VERSION,
        "binaryData": _map(
            _string(format="byte"),
            "BinaryData contains the binary data. Each key must consist of alphanumeric characters, '-', '_' or '.'. BinaryData can contain byte sequences that are not in the UTF-8 range. The keys stored in BinaryData must not overlap with the ones in the Data field, this is enforced during validation process. Using this field will require 1.10+ apiserver and kubelet. Note: BinaryData keys are not currently propagated to container env vars via ConfigMapKeyRef or ConfigMapRef env sources; only Data keys are used.",
        ),
        "data": _map(
            _string(),
            "Data contains the configuration data. Each key must consist of alphanumeric characters, '-', '_' or '.'. Values with non-UTF-8 byte sequences must use the BinaryData field. The keys stored in Data must not overlap with the keys in the BinaryData field, this is enforced during validation process.",
        ),
        "immutable": _boolean(
            "Immutable, if set to true, ensures that data stored in the ConfigMap cannot be updated (only object metadata can be modified). If not set to true, the field can be modified at any time. Defaulted to nil."
        ),
        "kind": _KIND,
        "metadata": _ref(OBJECT_META, _OBJECT_META_DESC, default_empty=True),
    },
)
_define(
    _CORE + "Secret",
    "Secret holds secret data of a certain type. The total bytes of the values in the Data field must be less than MaxSecretSize bytes.",
    {
        "apiVersion": _API_VERSION,
        "data": _map(
            _string(format="byte"),
            "Data contains the secret data. Each key must consist of alphanumeric characters, '-', '_' or '.'. The serialized form of the secret data is a base64 encoded string, representing the arbitrary (possibly non-string) data value here. Described in https://tools.ietf.org/html/rfc4648#section-4",
        ),
        "immutable": _boolean(
            "Immutable, if set to true, ensures that data stored in the Secret cannot be updated (only object metadata can be modified). If not set to true, the field can be modified at any time. Defaulted to nil."
        ),
        "kind": _KIND,
        "metadata": _ref(OBJECT_META, _OBJECT_META_DESC, default_empty=True),
        "stringData": _map(
            _string(),
            "stringData allows specifying non-binary secret data in string form. It is provided as a write-only input field for convenience. All keys and values are merged into the data field on write, overwriting any existing values. The stringData field is never output when reading from the API.",
        ),
        "type": _string(
            "Used to facilitate programmatic handling of secret data. More info: https://kubernetes.io/docs/concepts/configuration/secret/#secret-types"
        ),
    },
)
_define(
    _CORE + "ServiceAccount",
    "ServiceAccount binds together: * a name, understood by users, and perhaps by peripheral systems, for an identity * a principal that can be authenticated and authorized * a set of secrets",
    {
        "apiVersion": _API_VERSION,
        "automountServiceAccountToken": _boolean(
            "AutomountServiceAccountToken indicates whether pods running as this service account should have an API token automatically mounted. Can be overridden at the pod level."
        ),
        "imagePullSecrets": _array(
            _ref(_CORE + "LocalObjectReference"),
            "ImagePullSecrets is a list of references to secrets in the same namespace to use for pulling any images in pods that reference this ServiceAccount. ImagePullSecrets are distinct from Secrets because Secrets can be mounted in the pod, but ImagePullSecrets are only accessed by the kubelet. More info: https://kubernetes.io/docs/concepts/containers/images/#specifying-imagepullsecrets-on-a-pod",
            ext=_ATOMIC,
        ),
        "kind": _KIND,
        "metadata": _ref(OBJECT_META, _OBJECT_META_DESC, default_empty=True),
        "secrets": _array(
            _ref(_CORE + "ObjectReference"),
            'Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use. Pods are only limited to this list if this service account has a "kubernetes.io/enforce-mountable-secrets" annotation set to "true". The "kubernetes.io/enforce-mountable-secrets" annotation is deprecated since v1.32. Prefer separate namespaces to isolate access to mounted secrets. This field should not be used to find auto-generated service account token secrets for use outside of pods. Instead, tokens can be requested directly using the TokenRequest API, or service account token secrets can be manually created. More info: https://kubernetes.io/docs/concepts/configuration/secret',
            ext={
                "x-kubernetes-list-map-keys": ["name"],
                "x-kubernetes-list-type": "map",
                "x-kubernetes-patch-merge-key": "name",
                "x-kubernetes-patch-strategy": "merge",
            },
        ),
    },
)
_define(
    _CORE + "ObjectReference",
    "ObjectReference contains enough information to let you inspect or modify the referred object.",
    {
        "apiVersion": _string("API version of the referent."),
        "fieldPath": _string(
            'If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement, such as desiredState.manifest.containers[2]. For example, if the object reference is to a container within a pod, this would take on a value like: "spec.containers{name}" (where "name" refers to the name of the container that triggered the event) or if no container name is specified "spec.containers[2]" (container with index 2 in this pod). This syntax is chosen only to have some well-defined way of referencing a part of an object.'
        ),
        "kind": _string(
            "Kind of the referent. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds"
        ),
        "name": _string(
            "Name of the referent. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names/#names"
        ),
        "namespace": _string(
            "Namespace of the referent. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/namespaces/"
        ),
        "resourceVersion": _string(
            "Specific resourceVersion to which this reference is made, if any. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#concurrency-control-and-consistency"
        ),
        "uid": _string(
            "UID of the referent. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names/#uids"
        ),
    },
)
_define(
    _CORE + "LocalObjectReference",
    "LocalObjectReference contains enough information to let you locate the referenced object inside the same namespace.",
    {
        "name": _string(
            "Name of the referent. This field is effectively required, but due to backwards compatibility is allowed to be empty. Instances of this type with an empty value here are almost certainly wrong. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names/#names"
        ),
    },
)
_define(
    _CORE + "Event",
    "Event is a report of an event somewhere in the cluster.  Events have a limited retention time and triggers and messages may evolve with time.  Event consumers should not rely on the timing of an event with a given Reason reflecting a consistent underlying trigger, or the continued existence of events with that Reason.  Events should be treated as informative, best-effort, supplemental data.",
    {
        "action": _string("What action was taken/failed regarding to the Regarding object."),
        "apiVersion": _API_VERSION,
        "count": _integer("The number of times this event has occurred."),
        "eventTime": _ref(MICRO_TIME, "Time when this Event was first observed."),
        "firstTimestamp": _ref(
            TIME, "The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)"
        ),
        "involvedObject": _ref(
            _CORE + "ObjectReference", "The object that this event is about.", default_empty=True
        ),
        "kind": _KIND,
        "lastTimestamp": _ref(
            TIME, "The time at which the most recent occurrence of this event was recorded."
        ),
        "message": _string("A human-readable description of the status of this operation."),
        "metadata": _ref(OBJECT_META, _OBJECT_META_DESC, default_empty=True),
        "reason": _string(
            "This should be a short, machine understandable string that gives the reason for the transition into the object's current status."
        ),
        "related": _ref(_CORE + "ObjectReference", "Optional secondary object for more complex actions."),
        "reportingComponent": _string(
            "Name of the controller that emitted this Event, e.g. `kubernetes.io/kubelet`."
        ),
        "reportingInstance": _string("ID of the controller instance, e.g. `kubelet-xyzf`."),
        "series": _ref(
            _CORE + "EventSeries",
            "Data about the Event series this event represents or nil if it's a singleton Event.",
        ),
        "source": _ref(
            _CORE + "EventSource",
            "The component reporting this event. Should be a short machine understandable string.",
            default_empty=True,
        ),
        "type": _string("Type of this event (Normal, Warning), new types could be added in the future"),
    },
    required=["involvedObject", "metadata"],
)
_define(
    _CORE + "EventSeries",
    "EventSeries contain information on series of events, i.e. thing that was/is happening continuously for some time.",
    {
        "count": _integer("Number of occurrences in this series up to the last heartbeat time"),
        "lastObservedTime": _ref(MICRO_TIME, "Time of the last occurrence observed"),
    },
)
_define(
    _CORE + "EventSource",
    "EventSource contains information for an event.",
    {
        "component": _string("Component from which the event is generated."),
        "host": _string("Node name on which the event is generated."),
    },
)
_define(
    "io.k8s.api.events.v1.Event",
    "Event is a report of an event somewhere in the cluster. It generally denotes some state change in the system. Events have a limited retention time and triggers and messages may evolve with time.  Event consumers should not rely on the timing of an event with a given Reason reflecting a consistent underlying trigger, or the continued existence of events with that Reason.  Events should be treated as informative, best-effort, supplemental data.",
    {
        "action": _string(
            "action is what action was taken/failed regarding to the regarding object. It is machine-readable. This field cannot be empty for new Events and it can have at most 128 characters."
        ),
        "apiVersion": _API_VERSION,
        "deprecatedCount": _integer(
            "deprecatedCount is the deprecated field assuring backward compatibility with core.v1 Event type."
        ),
        "deprecatedFirstTimestamp": _ref(
            TIME,
            "deprecatedFirstTimestamp is the deprecated field assuring backward compatibility with core.v1 Event type.",
        ),
        "deprecatedLastTimestamp": _ref(
            TIME,
            "deprecatedLastTimestamp is the deprecated field assuring backward compatibility with core.v1 Event type.",
        ),
        "deprecatedSource": _ref(
            _CORE + "EventSource",
            "deprecatedSource is the deprecated field assuring backward compatibility with core.v1 Event type.",
            default_empty=True,
        ),
        "eventTime": _ref(
            MICRO_TIME, "eventTime is the time when this Event was first observed. It is required."
        ),
        "kind": _KIND,
        "metadata": _ref(OBJECT_META, _OBJECT_META_DESC, default_empty=True),
        "note": _string(
            "note is a human-readable description of the status of this operation. Maximal length of the note is 1kB, but libraries should be prepared to handle values up to 64kB."
        ),
        "reason": _string(
            "reason is why the action was taken. It is human-readable. This field cannot be empty for new Events and it can have at most 128 characters."
        ),
        "regarding": _ref(
            _CORE + "ObjectReference",
            "regarding contains the object this Event is about. In most cases it's an Object reporting controller implements, e.g. ReplicaSetController implements ReplicaSets and this event is emitted because it acts on some changes in a ReplicaSet object.",
            default_empty=True,
        ),
        "related": _ref(
            _CORE + "ObjectReference",
            "related is the optional secondary object for more complex actions. E.g. when regarding object triggers a creation or deletion of related object.",
        ),
        "reportingController": _string(
            "reportingController is the name of the controller that emitted this Event, e.g. `kubernetes.io/kubelet`. This field cannot be empty for new Events."
        ),
        "reportingInstance": _string(
            "reportingInstance is the ID of the controller instance, e.g. `kubelet-xyzf`. This field cannot be empty for new Events and it can have at most 128 characters."
        ),
        "series": _ref(
            "io.k8s.api.events.v1.EventSeries",
            "series is data about the Event series this event represents or nil if it's a singleton Event.",
        ),
        "type": _string(
            "type is the type of this event (Normal, Warning), new types could be added in the future. It is machine-readable. This field cannot be empty for new Events."
        ),
    },
    required=["eventTime"],
)
_define(
    "io.k8s.api.events.v1.EventSeries",
    'EventSeries contain information on series of events, i.e. thing that was/is happening continuously for some time. How often to update the EventSeries is up to the event reporters. The default event reporter in "k8s.io/client-go/tools/events/event_broadcaster.go" shows how this struct is updated on heartbeats and can guide customized reporter implementations.',
    {
        "count": _integer("count is the number of occurrences in this series up to the last heartbeat time."),
        "lastObservedTime": _ref(
            MICRO_TIME,
            "lastObservedTime is the time when last Event from the series was seen before last heartbeat.",
        ),
    },
    required=["count", "lastObservedTime"],
)
_define(
    "io.k8s.api.coordination.v1.Lease",
    "Lease defines a lease concept.",
    {
        "apiVersion": _API_VERSION,
        "kind": _KIND,
        "metadata": _ref(
            OBJECT_META,
            "More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata",
            default_empty=True,
        ),
        "spec": _ref(
            "io.k8s.api.coordination.v1.LeaseSpec",
            "spec contains the specification of the Lease. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#spec-and-status",
            default_empty=True,
        ),
    },
)
_define(
    "io.k8s.api.coordination.v1.LeaseSpec",
    "LeaseSpec is a specification of a Lease.",
    {
        "acquireTime": _ref(MICRO_TIME, "acquireTime is a time when the current lease was acquired."),
        "holderIdentity": _string(
            "holderIdentity contains the identity of the holder of a current lease. If Coordinated Leader Election is used, the holder identity must be equal to the elected LeaseCandidate.metadata.name field."
        ),
        "leaseDurationSeconds": _integer(
            "leaseDurationSeconds is a duration that candidates for a lease need to wait to force acquire it. This is measured against the time of last observed renewTime."
        ),
        "leaseTransitions": _integer(
            "leaseTransitions is the number of transitions of a lease between holders."
        ),
        "preferredHolder": _string(
            "preferredHolder signals to a lease holder that the lease has a more optimal holder and should be given up. This field can only be set if Strategy is also set."
        ),
        "renewTime": _ref(
            MICRO_TIME, "renewTime is a time when the current holder of a lease has last updated the lease."
        ),
        "strategy": _string(
            "strategy indicates the strategy for picking the leader for coordinated leader election. If the field is not specified, there is no active coordination for this lease. (Alpha) Using this field requires the CoordinatedLeaderElection feature gate to be enabled."
        ),
    },
)
_define(
    "io.k8s.api.autoscaling.v1.Scale",
    "Scale represents a scaling request for a resource.",
    {
        "apiVersion": _API_VERSION,
        "kind": _KIND,
        "metadata": _ref(
            OBJECT_META,
            "Standard object metadata; More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata.",
            default_empty=True,
        ),
        "spec": _ref(
            "io.k8s.api.autoscaling.v1.ScaleSpec",
            "spec defines the behavior of the scale. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#spec-and-status.",
            default_empty=True,
        ),
        "status": _ref(
            "io.k8s.api.autoscaling.v1.ScaleStatus",
            "status is the current status of the scale. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#spec-and-status. Read-only.",
            default_empty=True,
        ),
    },
)
_define(
    "io.k8s.api.autoscaling.v1.ScaleSpec",
    "ScaleSpec describes the attributes of a scale subresource.",
    {
        "replicas": _integer("replicas is the desired number of instances for the scaled object."),
    },
)
_define(
    "io.k8s.api.autoscaling.v1.ScaleStatus",
    "ScaleStatus represents the current status of a scale subresource.",
    {
        "replicas": _integer("replicas is the actual number of observed instances of the scaled object."),
        "selector": _string(
            "selector is the label query over pods that should match the replicas count. This is same as the label selector but in the string format to avoid introspection by clients. The string will be in the same format as the query-param syntax. More info about label selectors: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/"
        ),
    },
    required=["replicas"],
)
_define(
    _APIEXT + "CustomResourceDefinition",
    "CustomResourceDefinition represents a resource that should be exposed on the API server.  Its name MUST be in the format <.spec.name>.<.spec.group>.",
    {
        "apiVersion": _API_VERSION,
        "kind": _KIND,
        "metadata": _ref(
            OBJECT_META,
            "Standard object's metadata More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata",
            default_empty=True,
        ),
        "spec": _ref(
            _APIEXT + "CustomResourceDefinitionSpec",
            "spec describes how the user wants the resources to appear",
            default_empty=True,
        ),
        "status": _ref(
            _APIEXT + "CustomResourceDefinitionStatus",
            "status indicates the actual state of the CustomResourceDefinition",
            default_empty=True,
        ),
    },
    required=["spec"],
)
_define(
    _APIEXT + "CustomResourceDefinitionSpec",
    "CustomResourceDefinitionSpec describes how a user wants their resource to appear",
    {
        "conversion": _ref(
            _APIEXT + "CustomResourceConversion", "conversion defines conversion settings for the CRD."
        ),
        "group": _string(
            "group is the API group of the defined custom resource. The custom resources are served under `/apis/<group>/...`. Must match the name of the CustomResourceDefinition (in the form `<names.plural>.<group>`)."
        ),
        "names": _ref(
            _APIEXT + "CustomResourceDefinitionNames",
            "names specify the resource and kind names for the custom resource.",
            default_empty=True,
        ),
        "preserveUnknownFields": _boolean(
            "preserveUnknownFields indicates that object fields which are not specified in the OpenAPI schema should be preserved when persisting to storage. apiVersion, kind, metadata and known fields inside metadata are always preserved. This field is deprecated in favor of setting `x-preserve-unknown-fields` to true in `spec.versions[*].schema.openAPIV3Schema`. See https://kubernetes.io/docs/tasks/extend-kubernetes/custom-resources/custom-resource-definitions/#field-pruning for details."
        ),
        "scope": _string(
            "scope indicates whether the defined custom resource is cluster- or namespace-scoped. Allowed values are `Cluster` and `Namespaced`."
        ),
        "versions": _array(
            _ref(_APIEXT + "CustomResourceDefinitionVersion"),
            'versions is the list of all API versions of the defined custom resource. Version names are used to compute the order in which served versions are listed in API discovery. If the version string is "kube-like", it will sort above non "kube-like" version strings, which are ordered lexicographically. "Kube-like" versions start with a "v", then are followed by a number (the major version), then optionally the string "alpha" or "beta" and another number (the minor version). These are sorted first by GA > beta > alpha (where GA is a version with no suffix such as beta or alpha), and then by comparing major version, then minor version. An example sorted list of versions: v10, v2, v1, v11beta2, v10beta3, v3beta1, v12alpha1, v11alpha2, foo1, foo10.',
            ext=_ATOMIC,
        ),
    },
    required=["group", "names", "scope", "versions"],
)
_define(
    _APIEXT + "CustomResourceDefinitionNames",
    "CustomResourceDefinitionNames indicates the names to serve this CustomResourceDefinition",
    {
        "categories": _array(
            _string(),
            "categories is a list of grouped resources this custom resource belongs to (e.g. 'all'). This is published in API discovery documents, and used by clients to support invocations like `kubectl get all`.",
            ext=_ATOMIC,
        ),
        "kind": _string(
            "kind is the serialized kind of the resource. It is normally CamelCase and singular. Custom resource instances will use this value as the `kind` attribute in API calls."
        ),
        "listKind": _string(
            'listKind is the serialized kind of the list for this resource. Defaults to "`kind`List".'
        ),
        "plural": _string(
            "plural is the plural name of the resource to serve. The custom resources are served under `/apis/<group>/<version>/.../<plural>`. Must match the name of the CustomResourceDefinition (in the form `<names.plural>.<group>`). Must be all lowercase."
        ),
        "shortNames": _array(
            _string(),
            "shortNames are short names for the resource, exposed in API discovery documents, and used by clients to support invocations like `kubectl get <shortname>`. It must be all lowercase.",
            ext=_ATOMIC,
        ),
        "singular": _string(
            "singular is the singular name of the resource. It must be all lowercase. Defaults to lowercased `kind`."
        ),
    },
    required=["kind", "plural"],
)
_define(
    _APIEXT + "CustomResourceDefinitionVersion",
    "CustomResourceDefinitionVersion describes a version for CRD.",
    {
        "additionalPrinterColumns": _array(
            _ref(_APIEXT + "CustomResourceColumnDefinition"),
            "additionalPrinterColumns specifies additional columns returned in Table output. See https://kubernetes.io/docs/reference/using-api/api-concepts/#receiving-resources-as-tables for details. If no columns are specified, a single column displaying the age of the custom resource is used.",
            ext=_ATOMIC,
        ),
        "deprecated": _boolean(
            "deprecated indicates this version of the custom resource API is deprecated. When set to true, API requests to this version receive a warning header in the server response. Defaults to false."
        ),
        "deprecationWarning": _string(
            "deprecationWarning overrides the default warning returned to API clients. May only be set when `deprecated` is true. The default warning indicates this version is deprecated and recommends use of the newest served version of equal or greater stability, if one exists."
        ),
        "name": _string(
            "name is the version name, e.g. “v1”, “v2beta1”, etc. The custom resources are served under this version at `/apis/<group>/<version>/...` if `served` is true."
        ),
        "schema": _ref(
            _APIEXT + "CustomResourceValidation",
            "schema describes the schema used for validation, pruning, and defaulting of this version of the custom resource.",
        ),
        "selectableFields": _array(
            _ref(_APIEXT + "SelectableField"),
            "selectableFields specifies paths to fields that may be used as field selectors. A maximum of 8 selectable fields are allowed. See https://kubernetes.io/docs/concepts/overview/working-with-objects/field-selectors",
            ext=_ATOMIC,
        ),
        "served": _boolean(
            "served is a flag enabling/disabling this version from being served via REST APIs"
        ),
        "storage": _boolean(
            "storage indicates this version should be used when persisting custom resources to storage. There must be exactly one version with storage=true."
        ),
        "subresources": _ref(
            _APIEXT + "CustomResourceSubresources",
            "subresources specify what subresources this version of the defined custom resource have.",
        ),
    },
    required=["name", "served", "storage"],
)
_define(
    _APIEXT + "CustomResourceValidation",
    "CustomResourceValidation is a list of validation methods for CustomResources.",
    {
        "openAPIV3Schema": _ref(
            _APIEXT + "JSONSchemaProps",
            "openAPIV3Schema is the OpenAPI v3 schema to use for validation and pruning.",
        ),
    },
)
_define(
    _APIEXT + "CustomResourceSubresources",
    "CustomResourceSubresources defines the status and scale subresources for CustomResources.",
    {
        "scale": _ref(
            _APIEXT + "CustomResourceSubresourceScale",
            "scale indicates the custom resource should serve a `/scale` subresource that returns an `autoscaling/v1` Scale object.",
        ),
        "status": _ref(
            _APIEXT + "CustomResourceSubresourceStatus",
            "status indicates the custom resource should serve a `/status` subresource. When enabled: 1. requests to the custom resource primary endpoint ignore changes to the `status` stanza of the object. 2. requests to the custom resource `/status` subresource ignore changes to anything other than the `status` stanza of the object.",
        ),
    },
)
_define(
    _APIEXT + "CustomResourceSubresourceScale",
    "CustomResourceSubresourceScale defines how to serve the scale subresource for CustomResources.",
    {
        "labelSelectorPath": _string(
            "labelSelectorPath defines the JSON path inside of a custom resource that corresponds to Scale `status.selector`. Only JSON paths without the array notation are allowed. Must be a JSON Path under `.status` or `.spec`. Must be set to work with HorizontalPodAutoscaler. The field pointed by this JSON path must be a string field (not a complex selector struct) which contains a serialized label selector in string form. More info: https://kubernetes.io/docs/tasks/access-kubernetes-api/custom-resources/custom-resource-definitions#scale-subresource If there is no value under the given path in the custom resource, the `status.selector` value in the `/scale` subresource will default to the empty string."
        ),
        "specReplicasPath": _string(
            "specReplicasPath defines the JSON path inside of a custom resource that corresponds to Scale `spec.replicas`. Only JSON paths without the array notation are allowed. Must be a JSON Path under `.spec`. If there is no value under the given path in the custom resource, the `/scale` subresource will return an error on GET."
        ),
        "statusReplicasPath": _string(
            "statusReplicasPath defines the JSON path inside of a custom resource that corresponds to Scale `status.replicas`. Only JSON paths without the array notation are allowed. Must be a JSON Path under `.status`. If there is no value under the given path in the custom resource, the `status.replicas` value in the `/scale` subresource will default to 0."
        ),
    },
    required=["specReplicasPath", "statusReplicasPath"],
)
_define(
    _APIEXT + "CustomResourceColumnDefinition",
    "CustomResourceColumnDefinition specifies a column for server side printing.",
    {
        "description": _string("description is a human readable description of this column."),
        "format": _string(
            "format is an optional OpenAPI type definition for this column. The 'name' format is applied to the primary identifier column to assist in clients identifying column is the resource name. See https://github.com/OAI/OpenAPI-Specification/blob/master/versions/2.0.md#data-types for details."
        ),
        "jsonPath": _string(
            "jsonPath is a simple JSON path (i.e. with array notation) which is evaluated against each custom resource to produce the value for this column."
        ),
        "name": _string("name is a human readable name for the column."),
        "priority": _integer(
            "priority is an integer defining the relative importance of this column compared to others. Lower numbers are considered higher priority. Columns that may be omitted in limited space scenarios should be given a priority greater than 0."
        ),
        "type": _string(
            "type is an OpenAPI type definition for this column. See https://github.com/OAI/OpenAPI-Specification/blob/master/versions/2.0.md#data-types for details."
        ),
    },
    required=["jsonPath", "name", "type"],
)
_define(
    _APIEXT + "CustomResourceConversion",
    "CustomResourceConversion describes how to convert different versions of a CR.",
    {
        "strategy": _string(
            'strategy specifies how custom resources are converted between versions. Allowed values are: - `"None"`: The converter only change the apiVersion and would not touch any other field in the custom resource. - `"Webhook"`: API Server will call to an external webhook to do the conversion. Additional information   is needed for this option. This requires spec.preserveUnknownFields to be false, and spec.conversion.webhook to be set.'
        ),
        "webhook": _ref(
            _APIEXT + "WebhookConversion",
            'webhook describes how to call the conversion webhook. Required when `strategy` is set to `"Webhook"`.',
        ),
    },
    required=["strategy"],
)
_define(
    _APIEXT + "WebhookConversion",
    "WebhookConversion describes how to call a conversion webhook",
    {
        "clientConfig": _ref(
            _APIEXT + "WebhookClientConfig",
            "clientConfig is the instructions for how to call the webhook if strategy is `Webhook`.",
        ),
        "conversionReviewVersions": _array(
            _string(),
            "conversionReviewVersions is an ordered list of preferred `ConversionReview` versions the Webhook expects. The API server will use the first version in the list which it supports. If none of the versions specified in this list are supported by API server, conversion will fail for the custom resource. If a persisted Webhook configuration specifies allowed versions and does not include any versions known to the API Server, calls to the webhook will fail.",
            ext=_ATOMIC,
        ),
    },
    required=["conversionReviewVersions"],
)
_define(
    _APIEXT + "WebhookClientConfig",
    "WebhookClientConfig contains the information to make a TLS connection with the webhook.",
    {
        "caBundle": _string(
            format="byte",
            description="caBundle is a PEM encoded CA bundle which will be used to validate the webhook's server certificate. If unspecified, system trust roots on the apiserver are used.",
        ),
        "service": _ref(
            _APIEXT + "ServiceReference",
            "service is a reference to the service for this webhook. Either service or url must be specified.\n\nIf the webhook is running within the cluster, then you should use `service`.",
        ),
        "url": _string(
            'url gives the location of the webhook, in standard URL form (`scheme://host:port/path`). Exactly one of `url` or `service` must be specified.  The `host` should not refer to a service running in the cluster; use the `service` field instead. The host might be resolved via external DNS in some apiservers (e.g., `kube-apiserver` cannot resolve in-cluster DNS as that would be a layering violation). `host` may also be an IP address.  Please note that using `localhost` or `127.0.0.1` as a `host` is risky unless you take great care to run this webhook on all hosts which run an apiserver which might need to make calls to this webhook. Such installs are likely to be non-portable, i.e., not easy to turn up in a new cluster.  The scheme must be "https"; the URL must begin with "https://".  A path is optional, and if present may be any string permissible in a URL. You may use the path to pass an arbitrary string to the webhook, for example, a cluster identifier.  Attempting to use a user or basic auth e.g. "user:password@" is not allowed. Fragments ("#...") and query parameters ("?...") are not allowed, either.'
        ),
    },
)
_define(
    _APIEXT + "ServiceReference",
    "ServiceReference holds a reference to Service.legacy.k8s.io",
    {
        "name": _string("name is the name of the service. Required"),
        "namespace": _string("namespace is the namespace of the service. Required"),
        "path": _string("path is an optional URL path at which the webhook will be contacted."),
        "port": _integer(
            "port is an optional service port at which the webhook will be contacted. `port` should be a valid port number (1-65535, inclusive). Defaults to 443 for backward compatibility."
        ),
    },
    required=["name", "namespace"],
)
_define(
    _APIEXT + "CustomResourceDefinitionStatus",
    "CustomResourceDefinitionStatus indicates the state of the CustomResourceDefinition",
    {
        "acceptedNames": _ref(
            _APIEXT + "CustomResourceDefinitionNames",
            "acceptedNames are the names that are actually being used to serve discovery. They may be different than the names in spec.",
            default_empty=True,
        ),
        "conditions": _array(
            _ref(_APIEXT + "CustomResourceDefinitionCondition"),
            "conditions indicate state for particular aspects of a CustomResourceDefinition",
            ext={"x-kubernetes-list-map-keys": ["type"], "x-kubernetes-list-type": "map"},
        ),
        "observedGeneration": _integer("The generation observed by the CRD controller.", format="int64"),
        "storedVersions": _array(
            _string(),
            "storedVersions lists all versions of CustomResources that were ever persisted. Tracking these versions allows a migration path for stored versions in etcd. The field is mutable so a migration controller can finish a migration to another version (ensuring no old objects are left in storage), and then remove the rest of the versions from this list. Versions may not be removed from `spec.versions` while they exist in this list.",
            ext=_ATOMIC,
        ),
    },
)
_define(
    _APIEXT + "CustomResourceDefinitionCondition",
    "CustomResourceDefinitionCondition contains details for the current condition of this pod.",
    {
        "lastTransitionTime": _ref(
            TIME, "lastTransitionTime last time the condition transitioned from one status to another."
        ),
        "message": _string("message is a human-readable message indicating details about last transition."),
        "observedGeneration": _integer(
            "observedGeneration represents the .metadata.generation that the condition was set based upon. For instance, if .metadata.generation is currently 12, but the .status.conditions[x].observedGeneration is 9, the condition is out of date with respect to the current state of the instance.",
            format="int64",
        ),
        "reason": _string(
            "reason is a unique, one-word, CamelCase reason for the condition's last transition."
        ),
        "status": _string("status is the status of the condition. Can be True, False, Unknown."),
        "type": _string(
            "type is the type of the condition. Types include Established, NamesAccepted and Terminating."
        ),
    },
    required=["status", "type"],
)
_define(
    _APIEXT + "SelectableField",
    "SelectableField specifies the JSON path of a field that may be used with field selectors.",
    {
        "jsonPath": _string(
            "jsonPath is a simple JSON path which is evaluated against each custom resource to produce a field selector value. Only JSON paths without the array notation are allowed. Must point to a field of type string, boolean or integer. Types with enum values and strings with formats are allowed. If jsonPath refers to absent field in a resource, the jsonPath evaluates to an empty string. Must not point to metdata fields. Required."
        ),
    },
    required=["jsonPath"],
)
_define(
    _M + "ShardInfo",
    "ShardInfo describes the shard selector that was applied to produce a list response. Its presence on a list response indicates the list is a filtered subset.",
    {
        "selector": _string(
            "selector is the shard selector string from the request, echoed back so clients can verify which shard they received and merge responses from multiple shards."
        ),
    },
    required=["selector"],
)

# --- definitions not generated from a single Go struct ------------------------

DEFINITIONS[_APIEXT + "CustomResourceSubresourceStatus"] = {
    "description": "CustomResourceSubresourceStatus defines how to serve the status subresource for "
    "CustomResources. Status is represented by the `.status` JSON path inside of a CustomResource. When set, "
    "* exposes a /status subresource for the custom resource * PUT requests to the /status subresource take "
    "a custom resource object, and ignore changes to anything except the status stanza * PUT/POST/PATCH "
    "requests to the custom resource ignore changes to the status stanza",
    "type": "object",
}
# The real JSONSchemaProps is recursive; it is published as an opaque object.
DEFINITIONS[_APIEXT + "JSONSchemaProps"] = {
    "description": "JSONSchemaProps is a JSON-Schema following Specification Draft 4 (http://json-schema.org/).",
    "type": "object",
    "x-kubernetes-preserve-unknown-fields": True,
}

for _name in (_M + "OwnerReference", _CORE + "ObjectReference", _CORE + "LocalObjectReference"):
    DEFINITIONS[_name]["x-kubernetes-map-type"] = "atomic"

_NAMESPACE_PHASE_DESC = (
    "Phase is the current lifecycle phase of the namespace. More info: "
    "https://kubernetes.io/docs/tasks/administer-cluster/namespaces/\n\nPossible enum values:\n"
    ' - `"Active"` means the namespace is available for use in the system\n'
    ' - `"Terminating"` means the namespace is undergoing graceful termination'
)
DEFINITIONS[_CORE + "NamespaceStatus"]["properties"]["phase"] = _string(
    _NAMESPACE_PHASE_DESC, enum=["Active", "Terminating"]
)


def _kind(name: str, gvk: tuple[str, str, str]) -> None:
    group, version, kind = gvk
    DEFINITIONS[name]["x-kubernetes-group-version-kind"] = [
        {"group": group, "kind": kind, "version": version}
    ]
    GVK_DEFINITIONS[gvk] = name


_kind(STATUS, ("", "v1", "Status"))
_kind(DELETE_OPTIONS, ("", "v1", "DeleteOptions"))
_kind(_CORE + "Namespace", ("", "v1", "Namespace"))
_kind(_CORE + "ConfigMap", ("", "v1", "ConfigMap"))
_kind(_CORE + "Secret", ("", "v1", "Secret"))
_kind(_CORE + "ServiceAccount", ("", "v1", "ServiceAccount"))
_kind(_CORE + "Event", ("", "v1", "Event"))
_kind("io.k8s.api.events.v1.Event", ("events.k8s.io", "v1", "Event"))
_kind("io.k8s.api.coordination.v1.Lease", ("coordination.k8s.io", "v1", "Lease"))
_kind(SCALE, ("autoscaling", "v1", "Scale"))
_kind(_APIEXT + "CustomResourceDefinition", ("apiextensions.k8s.io", "v1", "CustomResourceDefinition"))

_define_list(
    _CORE + "NamespaceList",
    _CORE + "Namespace",
    "NamespaceList is a list of Namespaces.",
    "Items is the list of Namespace objects in the list. More info: "
    "https://kubernetes.io/docs/concepts/overview/working-with-objects/namespaces/",
    ("", "v1", "NamespaceList"),
)
_define_list(
    _CORE + "ConfigMapList",
    _CORE + "ConfigMap",
    "ConfigMapList is a resource containing a list of ConfigMap objects.",
    "Items is the list of ConfigMaps.",
    ("", "v1", "ConfigMapList"),
)
_define_list(
    _CORE + "SecretList",
    _CORE + "Secret",
    "SecretList is a list of Secret.",
    "Items is a list of secret objects. More info: https://kubernetes.io/docs/concepts/configuration/secret",
    ("", "v1", "SecretList"),
)
_define_list(
    _CORE + "ServiceAccountList",
    _CORE + "ServiceAccount",
    "ServiceAccountList is a list of ServiceAccount objects",
    "List of ServiceAccounts. More info: "
    "https://kubernetes.io/docs/tasks/configure-pod-container/configure-service-account/",
    ("", "v1", "ServiceAccountList"),
)
_define_list(
    _CORE + "EventList",
    _CORE + "Event",
    "EventList is a list of events.",
    "List of events",
    ("", "v1", "EventList"),
)
_define_list(
    "io.k8s.api.events.v1.EventList",
    "io.k8s.api.events.v1.Event",
    "EventList is a list of Event objects.",
    "items is a list of schema objects.",
    ("events.k8s.io", "v1", "EventList"),
)
_define_list(
    "io.k8s.api.coordination.v1.LeaseList",
    "io.k8s.api.coordination.v1.Lease",
    "LeaseList is a list of Lease objects.",
    "items is a list of schema objects.",
    ("coordination.k8s.io", "v1", "LeaseList"),
)
_define_list(
    _APIEXT + "CustomResourceDefinitionList",
    _APIEXT + "CustomResourceDefinition",
    "CustomResourceDefinitionList is a list of CustomResourceDefinition objects.",
    "items list individual CustomResourceDefinition objects",
    ("apiextensions.k8s.io", "v1", "CustomResourceDefinitionList"),
)


# --- naming, references, inlining ---------------------------------------------


def definition_name(group: str, version: str, kind: str) -> str:
    """The component name of a kind: kube's for built-ins, ``<reversed group>.<version>.<Kind>`` else.

    ``stable.example.com/v1 CronTab`` is ``com.example.stable.v1.CronTab``, as
    the apiextensions-apiserver names custom resources.
    """
    known = GVK_DEFINITIONS.get((group, version, kind))
    if known is not None:
        return known
    reversed_group = ".".join(reversed(group.split("."))) if group else "io.k8s.api.core"
    return f"{reversed_group}.{version}.{kind}"


def refs_of(schema: object) -> Iterable[str]:
    """The definition names ``schema`` references directly (anywhere inside it)."""
    stack: list[object] = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith(REF_PREFIX):
                yield ref[len(REF_PREFIX) :]
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


def closure(names: Iterable[str]) -> list[str]:
    """``names`` and every definition they reference, transitively, sorted."""
    seen: set[str] = set()
    todo = [n for n in names if n in DEFINITIONS]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        todo.extend(r for r in refs_of(DEFINITIONS[name]) if r not in seen and r in DEFINITIONS)
    return sorted(seen)


#: Definitions that hold arbitrary JSON: inlined as preserve-unknown-fields.
_OPAQUE = {FIELDS_V1, PATCH, _M + "ManagedFieldsEntry", _APIEXT + "JSONSchemaProps"}


def _inline(schema: Obj) -> Obj:
    if "$ref" in schema:
        return _inline_ref(schema["$ref"])
    all_of = schema.get("allOf")
    if isinstance(all_of, list) and len(all_of) == 1 and "$ref" in all_of[0]:
        out = _inline_ref(all_of[0]["$ref"])
        for key, value in schema.items():
            if key not in ("allOf", "default"):
                out[key] = value
        return out
    out = {}
    for key, value in schema.items():
        if key == "properties":
            out[key] = {name: _inline(sub) for name, sub in value.items()}
        elif key in ("items", "additionalProperties") and isinstance(value, dict):
            out[key] = _inline(value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _inline_ref(ref: str) -> Obj:
    name = ref[len(REF_PREFIX) :]
    out = _inline(DEFINITIONS[name])
    out.pop("x-kubernetes-group-version-kind", None)
    if name in _OPAQUE:
        out["x-kubernetes-preserve-unknown-fields"] = True
    return out


def inline(name: str) -> Obj:
    """The definition ``name`` with every reference inlined: a structural schema."""
    out = _inline(DEFINITIONS[name])
    out.pop("x-kubernetes-group-version-kind", None)
    return out


#: Structural (fully inlined) schemas of the built-in kinds, by (group, version, kind).
BUILTIN_SCHEMAS: dict[tuple[str, str, str], Obj] = {
    gvk: inline(name) for gvk, name in GVK_DEFINITIONS.items() if not gvk[2].endswith("List")
}

_OBJECT_META_INLINE = inline(OBJECT_META)


# --- unknown fields -----------------------------------------------------------


def unknown_fields(obj: object, schema: Obj, path: str = "", *, prune: bool = False) -> list[str]:
    """The fields of ``obj`` that ``schema`` does not declare, as kube names them.

    Paths are those of kube-apiserver's strict decoding errors
    (``unknown field "spec.foo"``): dot-separated field names, ``[i]`` for
    list items, map keys as fields. ``additionalProperties``,
    ``x-kubernetes-preserve-unknown-fields`` and
    ``x-kubernetes-embedded-resource`` are honoured; at the root (``path``
    empty) and in embedded resources ``apiVersion``, ``kind`` and ``metadata``
    (as ObjectMeta) are always known. An object schema with neither
    ``properties`` nor ``additionalProperties`` declares no field at all.
    Nothing is allocated but the result when every field is known. With
    ``prune`` the unknown fields are also removed from ``obj`` (in place), as
    decoding into kube's typed structs drops them.
    """
    stack: list[str | int] = []
    found = _walk(obj, schema, stack, None, not path, prune)
    if found is None:
        return []
    if path:
        return [f"{path}{p}" if p.startswith("[") else f"{path}.{p}" for p in found]
    return found


def _format_path(stack: list[str | int]) -> str:
    parts: list[str] = []
    for item in stack:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        elif parts:
            parts.append("." + item)
        else:
            parts.append(item)
    return "".join(parts)


def _walk(
    value: object, schema: Obj, stack: list[str | int], out: list[str] | None, resource: bool, prune: bool
) -> list[str] | None:
    if isinstance(value, dict):
        props: Obj | None = schema.get("properties")
        additional = schema.get("additionalProperties")
        preserve = schema.get("x-kubernetes-preserve-unknown-fields") is True
        resource = resource or schema.get("x-kubernetes-embedded-resource") is True
        if (
            props is None
            and additional is None
            and not resource
            and (preserve or schema.get("type") != "object")
        ):
            return out
        unknown: list[str] | None = None
        for key, child in value.items():
            sub = props.get(key) if props is not None else None
            if resource and key in ("apiVersion", "kind", "metadata"):
                if key != "metadata":
                    continue
                if sub is None or "properties" not in sub:
                    sub = _OBJECT_META_INLINE
            if sub is None:
                if isinstance(additional, dict):
                    sub = additional
                elif additional is True or preserve:
                    continue
                else:
                    stack.append(key)
                    if out is None:
                        out = []
                    out.append(_format_path(stack))
                    stack.pop()
                    if prune:
                        unknown = [*(unknown or ()), key]
                    continue
            if isinstance(child, dict | list):
                stack.append(key)
                out = _walk(child, sub, stack, out, False, prune)
                stack.pop()
        for key in unknown or ():
            del value[key]
    elif isinstance(value, list):
        items = schema.get("items")
        if isinstance(items, dict):
            for index, child in enumerate(value):
                if isinstance(child, dict | list):
                    stack.append(index)
                    out = _walk(child, items, stack, out, False, prune)
                    stack.pop()
    return out
