"""``/openapi/v3`` and ``/openapi/v2``, built from the :class:`Registry`.

``/openapi/v3`` is an index of one OpenAPI 3.0 document per group-version
(``api/v1``, ``apis/<group>/<version>``), each linked with a ``?hash=`` of
its content so that clients cache it (kubectl keeps them on disk by hash).
A document holds:

* ``components.schemas``: the kinds, named as kube names them
  (``io.k8s.api.core.v1.ConfigMap``; custom resources
  ``<reversed group>.<version>.<Kind>``) with ``x-kubernetes-group-version-kind``,
  ``$ref``s (wrapped in ``allOf`` when they have siblings) to the shared
  ``meta/v1`` schemas;
* ``paths``: every operation of every resource with the query parameters
  kube declares and ``x-kubernetes-action``/``x-kubernetes-group-version-kind``.
  kubectl reads them: ``kubectl explain`` finds a resource's kind through its
  paths, ``QueryParamVerifierV3`` looks for ``fieldValidation`` among the PATCH
  parameters (then ``--validate=strict`` becomes ``fieldValidation=Strict``),
  and ``kubectl apply`` uses strategic merge patch only when PATCH accepts
  ``application/strategic-merge-patch+json``.

``/openapi/v2`` is the same as one Swagger 2.0 document, served as JSON.

Documents are rendered to bytes once per registry generation; a document's
hash changes only when its own content does.
"""

from __future__ import annotations

import copy
import hashlib
import struct
import time
from collections.abc import Iterable
from dataclasses import dataclass
from email.utils import formatdate
from urllib.parse import quote

import orjson

from setpoint.apimachinery.types import Obj
from setpoint.apiserver.builtin import definitions
from setpoint.apiserver.encoding import errors
from setpoint.apiserver.http import Request, Response
from setpoint.apiserver.registry.resources import Registry, Resource

JSON = "application/json"
PROTOBUF_V3 = "application/com.github.proto-openapi.spec.v3.v1.0+protobuf"
PROTOBUF_V3_DEPRECATED = "application/com.github.proto-openapi.spec.v3@v1.0+protobuf"
PROTOBUF_V2 = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"
PROTOBUF_V2_DEPRECATED = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf"

REF = definitions.REF_PREFIX
_INFO = {"title": "Kubernetes", "version": "unversioned"}
_SECURITY_SCHEMES = {
    "BearerToken": {
        "description": "Bearer Token authentication",
        "in": "header",
        "name": "authorization",
        "type": "apiKey",
    }
}
_SECURITY: list[dict[str, list[str]]] = [{"BearerToken": []}]

# --- parameters, as kube declares them ------------------------------------------


def _param(name: str, kind: str, description: str, where: str = "query", required: bool = False) -> Obj:
    out: Obj = {
        "description": description,
        "in": where,
        "name": name,
        "schema": {"type": kind, "uniqueItems": True},
    }
    if required:
        out["required"] = True
    return out


_P: dict[str, Obj] = {
    "allowWatchBookmarks": _param(
        "allowWatchBookmarks",
        "boolean",
        'allowWatchBookmarks requests watch events with type "BOOKMARK". Servers that do not implement bookmarks '
        "may ignore this flag and bookmarks are sent at the server's discretion. Clients should not assume "
        "bookmarks are returned at any specific interval, nor may they assume the server will send any BOOKMARK "
        "event during a session. If this is not a watch, this field is ignored.",
    ),
    "continue": _param(
        "continue",
        "string",
        "The continue option should be set when retrieving more results from the server. Since this value is "
        "server defined, clients may only use the continue value from a previous query result with identical "
        "query parameters (except for the value of continue) and the server may reject a continue value it does "
        "not recognize. If the specified continue value is no longer valid whether due to expiration (generally "
        "five to fifteen minutes) or a configuration change on the server, the server will respond with a 410 "
        "ResourceExpired error together with a continue token. If the client needs a consistent list, it must "
        "restart their list without the continue field. Otherwise, the client may send another list request "
        "with the token received with the 410 error, the server will respond with a list starting from the next "
        "key, but from the latest snapshot, which is inconsistent from the previous list results - objects that "
        "are created, modified, or deleted after the first list request will be included in the response, as "
        'long as their keys are after the "next key".\n\nThis field is not supported when watch is true. '
        "Clients may start a watch from the last resourceVersion value returned by the server and not miss any "
        "modifications.",
    ),
    "dryRun": _param(
        "dryRun",
        "string",
        "When present, indicates that modifications should not be persisted. An invalid or unrecognized dryRun "
        "directive will result in an error response and no further processing of the request. Valid values are: "
        "- All: all dry run stages will be processed",
    ),
    "fieldManager": _param(
        "fieldManager",
        "string",
        "fieldManager is a name associated with the actor or entity that is making these changes. The value must "
        "be less than or 128 characters long, and only contain printable characters, as defined by "
        "https://golang.org/pkg/unicode/#IsPrint.",
    ),
    "fieldManagerPatch": _param(
        "fieldManager",
        "string",
        "fieldManager is a name associated with the actor or entity that is making these changes. The value must "
        "be less than or 128 characters long, and only contain printable characters, as defined by "
        "https://golang.org/pkg/unicode/#IsPrint. This field is required for apply requests "
        "(application/apply-patch) but optional for non-apply patch types (JsonPatch, MergePatch, "
        "StrategicMergePatch).",
    ),
    "fieldSelector": _param(
        "fieldSelector",
        "string",
        "A selector to restrict the list of returned objects by their fields. Defaults to everything.",
    ),
    "fieldValidation": _param(
        "fieldValidation",
        "string",
        "fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) "
        "containing unknown or duplicate fields. Valid values are: - Ignore: This will ignore any unknown fields "
        "that are silently dropped from the object, and will ignore all but the last duplicate field that the "
        "decoder encounters. This is the default behavior prior to v1.23. - Warn: This will send a warning via "
        "the standard warning response header for each unknown field that is dropped from the object, and for "
        "each duplicate field that is encountered. The request will still succeed if there are no other errors, "
        "and will only persist the last of any duplicate fields. This is the default in v1.23+ - Strict: This "
        "will fail the request with a BadRequest error if any unknown fields would be dropped from the object, "
        "or if any duplicate fields are present. The error returned from the server will contain all unknown "
        "and duplicate fields encountered.",
    ),
    "force": _param(
        "force",
        "boolean",
        'Force is going to "force" Apply requests. It means user will re-acquire conflicting fields owned by '
        "other people. Force flag must be unset for non-apply patch requests.",
    ),
    "gracePeriodSeconds": _param(
        "gracePeriodSeconds",
        "integer",
        "The duration in seconds before the object should be deleted. Value must be non-negative integer. The "
        "value zero indicates delete immediately. If this value is nil, the default grace period for the "
        "specified type will be used. Defaults to a per object value if not specified. zero means delete "
        "immediately.",
    ),
    "ignoreStoreReadErrorWithClusterBreakingPotential": _param(
        "ignoreStoreReadErrorWithClusterBreakingPotential",
        "boolean",
        "if set to true, it will trigger an unsafe deletion of the resource in case the normal deletion flow "
        "fails with a corrupt object error. A resource is considered corrupt if it can not be retrieved from the "
        "underlying storage successfully because of a) its data can not be transformed e.g. decryption failure, "
        "or b) it fails to decode into an object. NOTE: unsafe deletion ignores finalizer constraints, skips "
        "precondition checks, and removes the object from the storage. WARNING: This may potentially break the "
        "cluster if the workload associated with the resource being unsafe-deleted relies on normal deletion "
        "flow. Use only if you REALLY know what you are doing. The default value is false, and the user must opt "
        "in to enable it",
    ),
    "labelSelector": _param(
        "labelSelector",
        "string",
        "A selector to restrict the list of returned objects by their labels. Defaults to everything.",
    ),
    "limit": _param(
        "limit",
        "integer",
        "limit is a maximum number of responses to return for a list call. If more items exist, the server will "
        "set the `continue` field on the list metadata to a value that can be used with the same initial query "
        "to retrieve the next set of results. Setting a limit may return fewer than the requested amount of "
        "items (up to zero items) in the event all requested objects are filtered out and clients should only "
        "use the presence of the continue field to determine whether more results are available. Servers may "
        "choose not to support the limit argument and will return all of the available results. If limit is "
        "specified and the continue field is empty, clients may assume that no more results are available. This "
        "field is not supported if watch is true.\n\nThe server guarantees that the objects returned when using "
        "continue will be identical to issuing a single list call without a limit - that is, no objects "
        "created, modified, or deleted after the first request is issued will be included in any subsequent "
        "continued requests. This is sometimes referred to as a consistent snapshot, and ensures that a client "
        "that is using limit to receive smaller chunks of a very large result can ensure they see all possible "
        "objects. If objects are updated during a chunked list the version of the object that was present at "
        "the time the first list result was calculated is returned.",
    ),
    "orphanDependents": _param(
        "orphanDependents",
        "boolean",
        "Deprecated: please use the PropagationPolicy, this field will be deprecated in 1.7. Should the "
        'dependent objects be orphaned. If true/false, the "orphan" finalizer will be added to/removed from the '
        "object's finalizers list. Either this field or PropagationPolicy may be set, but not both.",
    ),
    "pretty": _param(
        "pretty",
        "string",
        "If 'true', then the output is pretty printed. Defaults to 'false' unless the user-agent indicates a "
        "browser or command-line HTTP tool (curl and wget).",
    ),
    "propagationPolicy": _param(
        "propagationPolicy",
        "string",
        "Whether and how garbage collection will be performed. Either this field or OrphanDependents may be set, "
        "but not both. The default policy is decided by the existing finalizer set in the metadata.finalizers "
        "and the resource-specific default policy. Acceptable values are: 'Orphan' - orphan the dependents; "
        "'Background' - allow the garbage collector to delete the dependents in the background; 'Foreground' - "
        "a cascading policy that deletes all dependents in the foreground.",
    ),
    "resourceVersion": _param(
        "resourceVersion",
        "string",
        "resourceVersion sets a constraint on what resource versions a request may be served from. See "
        "https://kubernetes.io/docs/reference/using-api/api-concepts/#resource-versions for details.\n\n"
        "Defaults to unset",
    ),
    "resourceVersionMatch": _param(
        "resourceVersionMatch",
        "string",
        "resourceVersionMatch determines how resourceVersion is applied to list calls. It is highly recommended "
        "that resourceVersionMatch be set for list calls where resourceVersion is set See "
        "https://kubernetes.io/docs/reference/using-api/api-concepts/#resource-versions for details.\n\n"
        "Defaults to unset",
    ),
    "sendInitialEvents": _param(
        "sendInitialEvents",
        "boolean",
        "`sendInitialEvents=true` may be set together with `watch=true`. In that case, the watch stream will "
        "begin with synthetic events to produce the current state of objects in the collection. Once all such "
        'events have been sent, a synthetic "Bookmark" event  will be sent. The bookmark will report the '
        "ResourceVersion (RV) corresponding to the set of objects, and be marked with "
        '`"k8s.io/initial-events-end": "true"` annotation. Afterwards, the watch stream will proceed as usual, '
        "sending watch events corresponding to changes (subsequent to the RV) to objects watched.\n\nWhen "
        "`sendInitialEvents` option is set, we require `resourceVersionMatch` option to also be set. The "
        "semantic of the watch request is as following: - `resourceVersionMatch` = NotOlderThan\n  is "
        'interpreted as "data at least as new as the provided `resourceVersion`"\n  and the bookmark event is '
        "send when the state is synced\n  to a `resourceVersion` at least as fresh as the one provided by the "
        'ListOptions.\n  If `resourceVersion` is unset, this is interpreted as "consistent read" and the\n  '
        "bookmark event is send when the state is synced at least to the moment\n  when request started being "
        "processed.\n- `resourceVersionMatch` set to any other value or unset\n  Invalid error is returned.\n\n"
        'Defaults to true if `resourceVersion=""` or `resourceVersion="0"` (for backward compatibility reasons) '
        "and to false otherwise.",
    ),
    "timeoutSeconds": _param(
        "timeoutSeconds",
        "integer",
        "Timeout for the list/watch call. This limits the duration of the call, regardless of any activity or "
        "inactivity.",
    ),
    "watch": _param(
        "watch",
        "boolean",
        "Watch for changes to the described resources and return them as a stream of add, update, and remove "
        "notifications. Specify resourceVersion.",
    ),
}
_NAMESPACE_PARAM = _param(
    "namespace", "string", "object name and auth scope, such as for teams and projects", "path", True
)

_LIST_PARAMS = (
    "allowWatchBookmarks",
    "continue",
    "fieldSelector",
    "labelSelector",
    "limit",
    "resourceVersion",
    "resourceVersionMatch",
    "sendInitialEvents",
    "timeoutSeconds",
    "watch",
)
_WRITE_PARAMS = ("dryRun", "fieldManager", "fieldValidation")
_PATCH_PARAMS = ("dryRun", "fieldManagerPatch", "fieldValidation", "force")
_DELETE_PARAMS = (
    "dryRun",
    "gracePeriodSeconds",
    "ignoreStoreReadErrorWithClusterBreakingPotential",
    "orphanDependents",
    "propagationPolicy",
)
_DELETE_COLLECTION_PARAMS = (
    "continue",
    "dryRun",
    "fieldSelector",
    "gracePeriodSeconds",
    "ignoreStoreReadErrorWithClusterBreakingPotential",
    "labelSelector",
    "limit",
    "orphanDependents",
    "propagationPolicy",
    "resourceVersion",
    "resourceVersionMatch",
    "sendInitialEvents",
    "timeoutSeconds",
)

_PATCH_TYPES = (
    "application/apply-patch+yaml",
    "application/json-patch+json",
    "application/merge-patch+json",
    "application/strategic-merge-patch+json",
)

# --- names ------------------------------------------------------------------------


def _title(part: str) -> str:
    return part[:1].upper() + part[1:]


def _group_words(group: str) -> list[str]:
    if not group:
        return ["core"]
    return [p for p in group.removesuffix(".k8s.io").replace("-", ".").split(".") if p]


def _operation_prefix(group: str, version: str) -> str:
    """``CoreV1``, ``CoordinationV1``, ``StableExampleComV1``: the middle of kube's operationIds."""
    return "".join(_title(w) for w in _group_words(group)) + _title(version)


def _tag(group: str, version: str) -> str:
    words = _group_words(group)
    return words[0] + "".join(_title(w) for w in words[1:]) + "_" + version


def gv_path(group: str, version: str) -> str:
    """The index key of a group-version: ``api/v1`` or ``apis/<group>/<version>``."""
    return f"apis/{group}/{version}" if group else f"api/{version}"


def _gvk(group: str, version: str, kind: str) -> Obj:
    return {"group": group, "kind": kind, "version": version}


# --- the document of one group-version ----------------------------------------------


def _content(ref: str, types: Iterable[str]) -> Obj:
    return {t: {"schema": {"$ref": REF + ref}} for t in types}


class _DocumentBuilder:
    """Builds the OpenAPI v3 document of one group-version."""

    def __init__(self, group: str, version: str, resources: list[Resource]) -> None:
        self.group = group
        self.version = version
        self.resources = resources
        self.schemas: dict[str, Obj] = {}
        self.paths: dict[str, Obj] = {}
        self.prefix = f"/apis/{group}/{version}" if group else f"/api/{version}"
        self.op_prefix = _operation_prefix(group, version)
        self.tag = _tag(group, version)

    # -- schemas

    def _kind_schemas(self, r: Resource) -> tuple[str, str]:
        """Add the kind's and its list's schemas; return their names."""
        gvk = (r.group, r.version, r.kind)
        list_gvk = (r.group, r.version, r.list_kind)
        if not r.custom and gvk in definitions.GVK_DEFINITIONS and list_gvk in definitions.GVK_DEFINITIONS:
            name, list_name = definitions.GVK_DEFINITIONS[gvk], definitions.GVK_DEFINITIONS[list_gvk]
            for n in definitions.closure([name, list_name]):
                self.schemas.setdefault(n, definitions.DEFINITIONS[n])
            return name, list_name
        if not r.custom and gvk in definitions.GVK_DEFINITIONS and "list" not in r.verbs:
            # A create-only kind with no list (v1 Binding): its own schema only.
            name = definitions.GVK_DEFINITIONS[gvk]
            for n in definitions.closure([name]):
                self.schemas.setdefault(n, definitions.DEFINITIONS[n])
            return name, ""
        name = definitions.definition_name(r.group, r.version, r.kind)
        list_name = name + "List"
        self.schemas[name] = custom_kind_schema(r)
        self.schemas[list_name] = {
            "description": f"{r.list_kind} is a list of {r.kind}",
            "properties": {
                "apiVersion": definitions.DEFINITIONS[definitions.STATUS]["properties"]["apiVersion"],
                "items": {
                    "description": f"List of {r.plural}. More info: "
                    "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md",
                    "items": {"$ref": REF + name},
                    "type": "array",
                },
                "kind": definitions.DEFINITIONS[definitions.STATUS]["properties"]["kind"],
                "metadata": {
                    "allOf": [{"$ref": REF + definitions.LIST_META}],
                    "description": "Standard list metadata. More info: "
                    "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds",
                },
            },
            "required": ["items"],
            "type": "object",
            "x-kubernetes-group-version-kind": [_gvk(r.group, r.version, r.list_kind)],
        }
        for n in definitions.closure([definitions.OBJECT_META, definitions.LIST_META]):
            self.schemas.setdefault(n, definitions.DEFINITIONS[n])
        return name, list_name

    def _shared_schemas(self) -> None:
        for n in definitions.closure([definitions.STATUS, definitions.DELETE_OPTIONS, definitions.PATCH]):
            self.schemas.setdefault(n, definitions.DEFINITIONS[n])
        delete_options = copy.deepcopy(definitions.DEFINITIONS[definitions.DELETE_OPTIONS])
        gvks = [_gvk("", "v1", "DeleteOptions")]
        if (self.group, self.version) != ("", "v1"):
            gvks.append(_gvk(self.group, self.version, "DeleteOptions"))
        delete_options["x-kubernetes-group-version-kind"] = gvks
        self.schemas[definitions.DELETE_OPTIONS] = delete_options

    # -- operations

    def _op(
        self,
        action: str,
        op_id: str,
        description: str,
        gvk: Obj,
        *,
        params: Iterable[str] = (),
        body: str | None = None,
        body_types: Iterable[str] = (JSON,),
        responses: Obj,
    ) -> Obj:
        op: Obj = {"description": description, "operationId": op_id}
        plist = [_P[p] for p in params]
        if plist:
            op["parameters"] = plist
        if body is not None:
            op["requestBody"] = {"content": _content(body, body_types), "required": True}
        op["responses"] = responses
        op["tags"] = [self.tag]
        op["x-kubernetes-action"] = action
        op["x-kubernetes-group-version-kind"] = gvk
        return op

    def _responses(self, ref: str, codes: Iterable[tuple[str, str]], types: tuple[str, ...]) -> Obj:
        return {code: {"content": _content(ref, types), "description": text} for code, text in codes}

    def _add_resource(self, r: Resource) -> None:
        kind_name, list_name = self._kind_schemas(r)
        verbs = set(r.verbs)
        gvk = _gvk(r.group, r.version, r.kind)
        types = (
            (JSON, "application/yaml")
            if r.custom
            else (JSON, "application/yaml", "application/vnd.kubernetes.protobuf")
        )
        watch_types = (
            (*types, "application/json;stream=watch")
            if r.custom
            else (*types, "application/json;stream=watch", "application/vnd.kubernetes.protobuf;stream=watch")
        )
        patch_types = _PATCH_TYPES if r.patch_schema is not None and not r.custom else _PATCH_TYPES[:3]
        ok = (("200", "OK"),)
        namespaced = "Namespaced" if r.namespaced else ""
        base = (
            f"{self.prefix}/namespaces/{{namespace}}/{r.plural}"
            if r.namespaced
            else f"{self.prefix}/{r.plural}"
        )
        scope_params = [_NAMESPACE_PARAM] if r.namespaced else []
        kind, op = r.kind, self.op_prefix

        collection: Obj = {}
        if "list" in verbs:
            collection["get"] = self._op(
                "list",
                f"list{op}{namespaced}{kind}",
                f"list or watch objects of kind {kind}",
                gvk,
                params=_LIST_PARAMS,
                responses=self._responses(list_name, ok, tuple(sorted(watch_types))),
            )
        if "create" in verbs:
            collection["post"] = self._op(
                "post",
                f"create{op}{namespaced}{kind}",
                f"create {_article(kind)}",
                gvk,
                params=_WRITE_PARAMS,
                body=kind_name,
                responses=self._responses(
                    kind_name, (("200", "OK"), ("201", "Created"), ("202", "Accepted")), types
                ),
            )
        if "deletecollection" in verbs:
            collection["delete"] = self._op(
                "deletecollection",
                f"deleteCollection{op}{namespaced}{kind}",
                f"delete collection of {kind}",
                gvk,
                params=_DELETE_COLLECTION_PARAMS,
                body=definitions.DELETE_OPTIONS,
                responses=self._responses(definitions.STATUS, ok, types),
            )
        if collection:
            collection["parameters"] = [*scope_params, _P["pretty"]]
            self.paths[base] = collection

        item: Obj = {}
        if "get" in verbs:
            item["get"] = self._op(
                "get",
                f"read{op}{namespaced}{kind}",
                f"read the specified {kind}",
                gvk,
                responses=self._responses(kind_name, ok, types),
            )
        if "update" in verbs:
            item["put"] = self._op(
                "put",
                f"replace{op}{namespaced}{kind}",
                f"replace the specified {kind}",
                gvk,
                params=_WRITE_PARAMS,
                body=kind_name,
                responses=self._responses(kind_name, (("200", "OK"), ("201", "Created")), types),
            )
        if "patch" in verbs:
            item["patch"] = self._op(
                "patch",
                f"patch{op}{namespaced}{kind}",
                f"partially update the specified {kind}",
                gvk,
                params=_PATCH_PARAMS,
                body=definitions.PATCH,
                body_types=patch_types,
                responses=self._responses(kind_name, (("200", "OK"), ("201", "Created")), types),
            )
        if "delete" in verbs:
            item["delete"] = self._op(
                "delete",
                f"delete{op}{namespaced}{kind}",
                f"delete {_article(kind)}",
                gvk,
                params=_DELETE_PARAMS,
                body=definitions.DELETE_OPTIONS,
                responses=self._responses(
                    kind_name if r.strategy.return_deleted_object else definitions.STATUS,
                    (("200", "OK"), ("202", "Accepted")),
                    types,
                ),
            )
        name_param = _param("name", "string", f"name of the {kind}", "path", True)
        if item:
            item["parameters"] = [name_param, *scope_params, _P["pretty"]]
            self.paths[f"{base}/{{name}}"] = item

        for sub in sorted(r.subresources & {"status", "scale"}):
            if sub == "scale":
                sub_name, sub_gvk, title = definitions.SCALE, _gvk("autoscaling", "v1", "Scale"), "Scale"
                for n in definitions.closure([definitions.SCALE]):
                    self.schemas.setdefault(n, definitions.DEFINITIONS[n])
                what = f"scale of the specified {kind}"
            else:
                sub_name, sub_gvk, title = kind_name, gvk, "Status"
                what = f"status of the specified {kind}"
            ops: Obj = {
                "get": self._op(
                    "get",
                    f"read{op}{namespaced}{kind}{title}",
                    f"read {what}",
                    sub_gvk,
                    responses=self._responses(sub_name, ok, types),
                ),
                "patch": self._op(
                    "patch",
                    f"patch{op}{namespaced}{kind}{title}",
                    f"partially update {what}",
                    sub_gvk,
                    params=_PATCH_PARAMS,
                    body=definitions.PATCH,
                    body_types=patch_types,
                    responses=self._responses(sub_name, (("200", "OK"), ("201", "Created")), types),
                ),
                "put": self._op(
                    "put",
                    f"replace{op}{namespaced}{kind}{title}",
                    f"replace {what}",
                    sub_gvk,
                    params=_WRITE_PARAMS,
                    body=sub_name,
                    responses=self._responses(sub_name, (("200", "OK"), ("201", "Created")), types),
                ),
                "parameters": [
                    _param("name", "string", f"name of the {title}", "path", True),
                    *scope_params,
                    _P["pretty"],
                ],
            }
            self.paths[f"{base}/{{name}}/{sub}"] = ops

        if "finalize" in r.subresources:
            self.paths[f"{base}/{{name}}/finalize"] = {
                "put": self._op(
                    "put",
                    f"replace{op}{namespaced}{kind}Finalize",
                    f"replace finalize of the specified {kind}",
                    gvk,
                    params=_WRITE_PARAMS,
                    body=kind_name,
                    responses=self._responses(kind_name, (("200", "OK"), ("201", "Created")), types),
                ),
                "parameters": [name_param, *scope_params, _P["pretty"]],
            }

        if r.namespaced and "list" in verbs:
            self.paths[f"{self.prefix}/{r.plural}"] = {
                "get": self._op(
                    "list",
                    f"list{op}{kind}ForAllNamespaces",
                    f"list or watch objects of kind {kind}",
                    gvk,
                    responses=self._responses(list_name, ok, tuple(sorted(watch_types))),
                ),
                "parameters": [_P[p] for p in sorted((*_LIST_PARAMS, "pretty"))],
            }

    def build(self) -> Obj:
        for r in sorted(self.resources, key=lambda r: r.plural):
            self._add_resource(r)
        self._shared_schemas()
        return {
            "openapi": "3.0.0",
            "info": _INFO,
            "paths": self.paths,
            "components": {"schemas": self.schemas, "securitySchemes": _SECURITY_SCHEMES},
            "security": _SECURITY,
        }


def _article(kind: str) -> str:
    return f"an {kind}" if kind[:1] in "AEIOU" else f"a {kind}"


_PERMISSIVE: Obj = {"type": "object", "x-kubernetes-preserve-unknown-fields": True}


def custom_kind_schema(r: Resource) -> Obj:
    """The component schema of a kind served from an (inline) ``Resource.schema``, as the
    apiextensions-apiserver publishes a custom resource's: the schema with ``apiVersion``,
    ``kind`` and ``metadata`` (a reference to ObjectMeta) and the group-version-kind.
    Without a schema, a ``x-kubernetes-preserve-unknown-fields`` object."""
    out = copy.deepcopy(r.schema) if r.schema is not None else copy.deepcopy(_PERMISSIVE)
    out.setdefault("type", "object")
    props = out.setdefault("properties", {})
    status_props = definitions.DEFINITIONS[definitions.STATUS]["properties"]
    props["apiVersion"] = status_props["apiVersion"]
    props["kind"] = status_props["kind"]
    props["metadata"] = {
        "allOf": [{"$ref": REF + definitions.OBJECT_META}],
        "description": "Standard object's metadata. More info: "
        "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata",
    }
    out["x-kubernetes-group-version-kind"] = [_gvk(r.group, r.version, r.kind)]
    return out


# --- Swagger 2.0 ------------------------------------------------------------------------


_V2_DROPPED = frozenset({"allOf", "anyOf", "oneOf", "not", "default", "nullable"})


def _to_v2_schema(schema: Obj) -> Obj:
    """A v3 schema as Swagger 2.0 has it, and as kubectl's v2 model parser copes with it.

    ``#/definitions/`` references (an ``allOf`` wrapper becomes a ``$ref`` with
    siblings), no defaults, a ``oneOf`` of string and another type (Quantity,
    IntOrString) as ``type: string``, and what apiextensions' ``ToStructuralOpenAPIV2`` does
    to custom resource schemas: no ``allOf``/``anyOf``/``oneOf``/``not``; a
    nullable schema loses its type, items and properties; a
    ``x-kubernetes-preserve-unknown-fields`` one its items and properties; an
    array without items its type.
    """
    all_of = schema.get("allOf")
    out: Obj = {}
    if isinstance(all_of, list) and len(all_of) == 1 and isinstance(all_of[0], dict) and "$ref" in all_of[0]:
        out["$ref"] = all_of[0]["$ref"]
    for key, value in schema.items():
        if key in _V2_DROPPED:
            continue
        if key == "properties" and isinstance(value, dict):
            out[key] = {name: _to_v2_schema(sub) for name, sub in value.items() if isinstance(sub, dict)}
        elif key in ("items", "additionalProperties") and isinstance(value, dict):
            out[key] = _to_v2_schema(value)
        else:
            out[key] = copy.deepcopy(value)
    ref = out.get("$ref")
    if isinstance(ref, str):
        out["$ref"] = ref.replace(REF, "#/definitions/")
    if schema.get("nullable") is True:
        for key in ("type", "items", "properties"):
            out.pop(key, None)
    if schema.get("x-kubernetes-preserve-unknown-fields") is True:
        out.pop("items", None)
        out.pop("properties", None)
    if out.get("type") == "array" and "items" not in out:
        del out["type"]
    one_of = schema.get("oneOf")
    if "type" not in schema and isinstance(one_of, list) and {"type": "string"} in one_of:
        # Quantity and IntOrString: v2 has their OpenAPISchemaType, "string" (v3 their oneOf).
        out["type"] = "string"
    return out


def _to_v2_operation(op: Obj) -> Obj:
    out: Obj = {
        "consumes": ["*/*"],
        "description": op["description"],
        "operationId": op["operationId"],
        "produces": sorted({t for r in op["responses"].values() for t in r.get("content", {})}),
        "schemes": ["https"],
        "tags": op["tags"],
        "x-kubernetes-action": op["x-kubernetes-action"],
        "x-kubernetes-group-version-kind": op["x-kubernetes-group-version-kind"],
    }
    params = [_to_v2_param(p) for p in op.get("parameters", [])]
    body = op.get("requestBody")
    if body is not None:
        types = list(body["content"])
        if op["x-kubernetes-action"] == "patch":
            out["consumes"] = types
        ref = next(iter(body["content"].values()))["schema"]["$ref"]
        params.insert(
            0,
            {
                "in": "body",
                "name": "body",
                "required": True,
                "schema": {"$ref": ref.replace(REF, "#/definitions/")},
            },
        )
    if params:
        out["parameters"] = params
    out["responses"] = {
        code: {
            "description": resp["description"],
            "schema": {
                "$ref": next(iter(resp["content"].values()))["schema"]["$ref"].replace(REF, "#/definitions/")
            },
        }
        for code, resp in op["responses"].items()
    }
    out["responses"]["401"] = {"description": "Unauthorized"}
    return out


def _to_v2_param(p: Obj) -> Obj:
    out: Obj = {
        "description": p["description"],
        "in": p["in"],
        "name": p["name"],
        "type": p["schema"]["type"],
        "uniqueItems": True,
    }
    if p.get("required"):
        out["required"] = True
    return out


def swagger(documents: Iterable[Obj]) -> Obj:
    """One Swagger 2.0 document made of the v3 group-version documents."""
    paths: Obj = {}
    definitions: Obj = {}
    for doc in documents:
        for name, schema in doc["components"]["schemas"].items():
            v2 = _to_v2_schema(schema)
            if name in definitions and "x-kubernetes-group-version-kind" in v2:
                known = definitions[name].get("x-kubernetes-group-version-kind", [])
                v2["x-kubernetes-group-version-kind"] = known + [
                    g for g in v2["x-kubernetes-group-version-kind"] if g not in known
                ]
            definitions[name] = v2
        for path, item in doc["paths"].items():
            v2_item: Obj = {}
            for method, op in item.items():
                if method == "parameters":
                    v2_item["parameters"] = [_to_v2_param(p) for p in op]
                else:
                    v2_item[method] = _to_v2_operation(op)
            paths[path] = v2_item
    return {
        "swagger": "2.0",
        "info": _INFO,
        "paths": paths,
        "definitions": definitions,
        "securityDefinitions": {"BearerToken": _SECURITY_SCHEMES["BearerToken"]},
        "security": _SECURITY,
    }


# --- Swagger 2.0 as gnostic's protobuf ------------------------------------------------------
# client-go fetches /openapi/v2 only as ``application/com.github.proto-openapi.spec.v2@v1.0+protobuf``
# (an ``openapi.v2.Document`` of github.com/google/gnostic); kubectl needs it to validate
# ``kind: List`` manifests client-side. Field numbers are those of gnostic's OpenAPIv2.proto.


def _varint(n: int) -> bytes:
    out = bytearray()
    n &= (1 << 64) - 1
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _pb_bytes(field: int, data: bytes) -> bytes:
    return _varint(field << 3 | 2) + _varint(len(data)) + data


def _pb_str(field: int, value: object) -> bytes:
    return _pb_bytes(field, str(value).encode()) if value not in (None, "") else b""


def _pb_bool(field: int, value: object) -> bytes:
    return _varint(field << 3) + b"\x01" if value is True else b""


def _pb_int(field: int, value: object) -> bytes:
    return _varint(field << 3) + _varint(int(value)) if isinstance(value, int) and value else b""


def _pb_double(field: int, value: object) -> bytes:
    return (
        _varint(field << 3 | 1) + struct.pack("<d", float(value)) if isinstance(value, int | float) else b""
    )


def _pb_any(field: int, value: object) -> bytes:
    """An ``openapi.v2.Any`` holding ``value`` as YAML (JSON is YAML)."""
    return _pb_bytes(field, _pb_str(2, orjson.dumps(value).decode()))


def _pb_extensions(field: int, node: Obj) -> bytes:
    return b"".join(
        _pb_bytes(field, _pb_str(1, key) + _pb_any(2, value))
        for key, value in node.items()
        if key.startswith("x-")
    )


def _pb_schema(s: Obj) -> bytes:
    out = [
        _pb_str(1, s.get("$ref")),
        _pb_str(2, s.get("format")),
        _pb_str(3, s.get("title")),
        _pb_str(4, s.get("description")),
        _pb_double(6, s.get("multipleOf")),
        _pb_double(7, s.get("maximum")),
        _pb_bool(8, s.get("exclusiveMaximum")),
        _pb_double(9, s.get("minimum")),
        _pb_bool(10, s.get("exclusiveMinimum")),
        _pb_int(11, s.get("maxLength")),
        _pb_int(12, s.get("minLength")),
        _pb_str(13, s.get("pattern")),
        _pb_int(14, s.get("maxItems")),
        _pb_int(15, s.get("minItems")),
        _pb_bool(16, s.get("uniqueItems")),
        _pb_int(17, s.get("maxProperties")),
        _pb_int(18, s.get("minProperties")),
    ]
    out.extend(_pb_str(19, r) for r in s.get("required") or ())
    out.extend(_pb_any(20, e) for e in s.get("enum") or ())
    additional = s.get("additionalProperties")
    if isinstance(additional, dict):
        out.append(_pb_bytes(21, _pb_bytes(1, _pb_schema(additional))))
    elif isinstance(additional, bool):
        out.append(_pb_bytes(21, _varint(2 << 3) + (b"\x01" if additional else b"\x00")))
    kind = s.get("type")
    if isinstance(kind, str) and kind:
        out.append(_pb_bytes(22, _pb_str(1, kind)))
    items = s.get("items")
    if isinstance(items, dict):
        out.append(_pb_bytes(23, _pb_bytes(1, _pb_schema(items))))
    out.extend(_pb_bytes(24, _pb_schema(sub)) for sub in s.get("allOf") or () if isinstance(sub, dict))
    props = s.get("properties")
    if isinstance(props, dict):
        out.append(
            _pb_bytes(
                25,
                b"".join(_pb_bytes(1, _pb_str(1, k) + _pb_bytes(2, _pb_schema(v))) for k, v in props.items()),
            )
        )
    out.append(_pb_bool(27, s.get("readOnly")))
    out.append(_pb_extensions(31, s))
    return b"".join(out)


def _pb_parameter(p: Obj) -> bytes:
    if p.get("in") == "body":
        body = _pb_str(1, p.get("description")) + _pb_str(2, p["name"]) + _pb_str(3, "body")
        body += _pb_bool(4, p.get("required")) + _pb_bytes(5, _pb_schema(p.get("schema") or {}))
        parameter = _pb_bytes(1, body)
    else:
        where = p.get("in")
        sub = _pb_bool(1, p.get("required")) + _pb_str(2, where) + _pb_str(3, p.get("description"))
        sub += _pb_str(4, p["name"])
        if where == "path":  # PathParameterSubSchema: type 5, unique_items 19
            sub += _pb_str(5, p.get("type")) + _pb_bool(19, p.get("uniqueItems"))
            non_body = _pb_bytes(4, sub)
        else:  # QueryParameterSubSchema: type 6, unique_items 20
            sub += _pb_str(6, p.get("type")) + _pb_bool(20, p.get("uniqueItems"))
            non_body = _pb_bytes(3, sub)
        parameter = _pb_bytes(2, non_body)
    return _pb_bytes(1, parameter)  # ParametersItem.parameter


def _pb_operation(op: Obj) -> bytes:
    out = [_pb_str(1, t) for t in op.get("tags") or ()]
    out.append(_pb_str(3, op.get("description")))
    out.append(_pb_str(5, op.get("operationId")))
    out.extend(_pb_str(6, t) for t in op.get("produces") or ())
    out.extend(_pb_str(7, t) for t in op.get("consumes") or ())
    out.extend(_pb_bytes(8, _pb_parameter(p)) for p in op.get("parameters") or ())
    codes = []
    for code, resp in (op.get("responses") or {}).items():
        response = _pb_str(1, resp.get("description"))
        if isinstance(resp.get("schema"), dict):
            response += _pb_bytes(2, _pb_bytes(1, _pb_schema(resp["schema"])))
        codes.append(_pb_bytes(1, _pb_str(1, code) + _pb_bytes(2, _pb_bytes(1, response))))
    out.append(_pb_bytes(9, b"".join(codes)))
    out.extend(_pb_str(10, t) for t in op.get("schemes") or ())
    out.append(_pb_extensions(13, op))
    return b"".join(out)


_PB_METHODS = {"get": 2, "put": 3, "post": 4, "delete": 5, "options": 6, "head": 7, "patch": 8}


def swagger_protobuf(doc: Obj) -> bytes:
    """A Swagger 2.0 document as gnostic's ``openapi.v2.Document`` protobuf."""
    info = doc.get("info") or {}
    paths = []
    for path, item in (doc.get("paths") or {}).items():
        body = b"".join(
            _pb_bytes(_PB_METHODS[m], _pb_operation(op)) for m, op in item.items() if m in _PB_METHODS
        )
        body += b"".join(_pb_bytes(9, _pb_parameter(p)) for p in item.get("parameters") or ())
        paths.append(_pb_bytes(2, _pb_str(1, path) + _pb_bytes(2, body)))
    definitions = b"".join(
        _pb_bytes(1, _pb_str(1, name) + _pb_bytes(2, _pb_schema(schema)))
        for name, schema in (doc.get("definitions") or {}).items()
    )
    security_definitions = b"".join(
        _pb_bytes(
            1,
            _pb_str(1, name)
            + _pb_bytes(
                2,
                _pb_bytes(
                    2,
                    _pb_str(1, d.get("type"))
                    + _pb_str(2, d.get("name"))
                    + _pb_str(3, d.get("in"))
                    + _pb_str(4, d.get("description")),
                ),
            ),
        )
        for name, d in (doc.get("securityDefinitions") or {}).items()
    )
    security = b"".join(
        _pb_bytes(
            12,
            b"".join(
                _pb_bytes(1, _pb_str(1, k) + _pb_bytes(2, b"".join(_pb_str(1, x) for x in v)))
                for k, v in req.items()
            ),
        )
        for req in doc.get("security") or ()
    )
    return b"".join(
        (
            _pb_str(1, doc.get("swagger", "2.0")),
            _pb_bytes(2, _pb_str(1, info.get("title")) + _pb_str(2, info.get("version"))),
            _pb_bytes(8, b"".join(paths)),
            _pb_bytes(9, definitions),
            security,
            _pb_bytes(13, security_definitions) if security_definitions else b"",
        )
    )


# --- the service ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Rendered:
    """A document rendered once, with its hash (kube's: uppercase hex SHA-512 of the JSON)."""

    body: bytes
    hash: str


def _render(doc: Obj) -> Rendered:
    body = orjson.dumps(doc, option=orjson.OPT_SORT_KEYS)
    return Rendered(body, hashlib.sha512(body).hexdigest().upper())


def _accepts(accept: str | None, offered: Iterable[str]) -> str | None:
    """The first type of ``offered`` that ``accept`` allows (goautoneg-like; order and q honoured)."""
    if not accept:
        return next(iter(offered))
    clauses: list[tuple[float, int, str]] = []
    for index, clause in enumerate(accept.split(",")):
        pieces = [p.strip() for p in clause.split(";")]
        q = 1.0
        for piece in pieces[1:]:
            key, _, value = piece.partition("=")
            if key.strip() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if q > 0 and pieces[0]:
            clauses.append((-q, index, pieces[0].lower()))
    offered = list(offered)
    for _, _, media in sorted(clauses):
        kind, _, sub = media.partition("/")
        for o in offered:
            okind, _, osub = o.partition("/")
            if (kind in ("*", okind)) and (sub in ("*", osub)):
                return o
    return None


class OpenAPI:
    """``/openapi/v3`` (index and group-version documents) and ``/openapi/v2`` of a registry."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self._generation = -1
        self._documents: dict[str, Obj] = {}
        self._rendered: dict[str, Rendered] = {}
        self._index: Rendered | None = None
        self._swagger: Rendered | None = None
        self._swagger_pb: Rendered | None = None

    def _refresh(self) -> None:
        if self._generation == self.registry.generation:
            return
        by_gv: dict[str, list[Resource]] = {}
        keys: dict[str, tuple[str, str]] = {}
        for r in self.registry.all():
            key = gv_path(r.group, r.version)
            by_gv.setdefault(key, []).append(r)
            keys[key] = (r.group, r.version)
        documents = {key: _DocumentBuilder(*keys[key], by_gv[key]).build() for key in sorted(by_gv)}
        rendered = {key: _render(doc) for key, doc in documents.items()}
        # Keep the rendering of an unchanged document: same bytes, same hash.
        for key, new in rendered.items():
            old = self._rendered.get(key)
            if old is not None and old.hash == new.hash:
                rendered[key] = old
        self._documents = documents
        self._rendered = rendered
        self._index = None
        self._swagger = None
        self._swagger_pb = None
        self._generation = self.registry.generation

    # -- documents

    def index(self) -> Obj:
        """``/openapi/v3``: ``{"paths": {"<gv path>": {"serverRelativeURL": "/openapi/v3/<gv path>?hash=<HASH>"}}}``."""
        self._refresh()
        return {"paths": {key: {"serverRelativeURL": self.url(key)} for key in self._rendered}}

    def url(self, key: str) -> str:
        self._refresh()
        return f"/openapi/v3/{key}?hash={quote(self._rendered[key].hash)}"

    def document(self, key: str) -> Obj | None:
        """The OpenAPI v3 document of ``api/v1`` or ``apis/<group>/<version>``, or None."""
        self._refresh()
        return self._documents.get(key)

    def render_index(self) -> Rendered:
        self._refresh()
        if self._index is None:
            self._index = _render(self.index())
        return self._index

    def render_document(self, key: str) -> Rendered | None:
        self._refresh()
        return self._rendered.get(key)

    def swagger(self) -> Obj:
        """``/openapi/v2``: every group-version in one Swagger 2.0 document."""
        self._refresh()
        return swagger(self._documents.values())

    def render_swagger(self) -> Rendered:
        self._refresh()
        if self._swagger is None:
            self._swagger = _render(self.swagger())
        return self._swagger

    def render_swagger_protobuf(self) -> Rendered:
        """``/openapi/v2`` as gnostic's protobuf (what client-go asks for)."""
        self._refresh()
        if self._swagger_pb is None:
            body = swagger_protobuf(orjson.loads(self.render_swagger().body))
            self._swagger_pb = Rendered(body, hashlib.sha512(body).hexdigest().upper())
        return self._swagger_pb

    # -- HTTP

    def handle(self, request: Request, parts: list[str]) -> Response:
        """``GET /openapi/<parts...>``."""
        if parts == ["v3"]:
            rendered = self.render_index()
            return _serve(request, rendered, JSON, [("Etag", f'"{rendered.hash}"')])
        if len(parts) >= 2 and parts[0] == "v3":
            key = "/".join(parts[1:])
            document = self.render_document(key)
            if document is None:
                raise _not_found()
            rendered = document
            offered = (JSON, PROTOBUF_V3, PROTOBUF_V3_DEPRECATED)
            chosen = _accepts(request.headers.get("accept"), offered)
            if chosen != JSON:
                return Response(406, b"", None, [("Vary", "Accept")])
            headers = [("Etag", f'"{rendered.hash}"'), ("Vary", "Accept")]
            wanted = request.query_one("hash")
            if wanted:
                if wanted != rendered.hash:
                    return Response(301, b"", None, [("Location", self.url(key)), *headers])
                headers.append(("Cache-Control", "public, immutable"))
                headers.append(("Expires", formatdate(time.time() + 365 * 86400, usegmt=True)))
            return _serve(request, rendered, JSON, headers)
        if parts == ["v2"]:
            offered = (JSON, PROTOBUF_V2_DEPRECATED, PROTOBUF_V2)
            chosen = _accepts(request.headers.get("accept"), offered)
            if chosen is None:
                return Response(406, b"", None, [("Vary", "Accept")])
            if chosen == JSON:
                rendered = self.render_swagger()
            else:  # kube answers the deprecated "@" type with the parseable one
                rendered, chosen = self.render_swagger_protobuf(), PROTOBUF_V2
            return _serve(request, rendered, chosen, [("Etag", f'"{rendered.hash}"'), ("Vary", "Accept")])
        raise _not_found()


def _serve(
    request: Request, rendered: Rendered, content_type: str, headers: list[tuple[str, str]]
) -> Response:
    if request.headers.get("if-none-match") == f'"{rendered.hash}"':
        return Response(304, b"", content_type, headers)
    return Response(200, rendered.body, content_type, headers)


def _not_found() -> errors.StatusError:
    return errors.StatusError(404, "NotFound", "the server could not find the requested resource", details={})
