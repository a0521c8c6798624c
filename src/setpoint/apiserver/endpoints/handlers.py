"""HTTP handlers for resource verbs: decode the request, call the store, encode.

One function per verb family (watch has its own module, :mod:`.watch`). Everything
kind-specific lives in the resource's strategy; everything storage-specific in
:mod:`~setpoint.apiserver.registry.objectstore`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
import yaml

from setpoint.apiserver.builtin import decoding, definitions
from setpoint.apiserver.encoding import errors, patch, protobuf, strictjson, yamljson
from setpoint.apiserver.endpoints import table
from setpoint.apiserver.fieldmanager import manager as fieldmanager
from setpoint.apiserver.http import GatheredResponse, Request, Response, add_warning
from setpoint.apiserver.registry import cacher as cache
from setpoint.apiserver.registry.admission import Attributes
from setpoint.apiserver.registry.eviction import EVICTION_VERSIONS, Evictions
from setpoint.apiserver.registry.objectstore import ListResult, ObjectStore
from setpoint.apiserver.registry.resources import Obj, Resource
from setpoint.apiserver.registry.selectors import selector_filter

JSON = "application/json"
_YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml")
PROTOBUF = "application/vnd.kubernetes.protobuf"
#: The media types a write body may have (the serializers' list in kube's 415 message).
_WRITE_TYPES = ["application/json", "application/yaml", PROTOBUF]
#: Custom resources have no protobuf encoding.
_CUSTOM_WRITE_TYPES = ["application/json", "application/yaml"]


@dataclass(slots=True)
class Call:
    """A resource request after routing."""

    request: Request
    resource: Resource
    namespace: str | None
    name: str | None
    subresource: str
    verb: str
    attrs: Attributes


# --- encoding -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Output:
    """What the client asked the response to be."""

    table: bool = False
    partial: bool = False
    yaml: bool = False
    include_object: str = "Metadata"


#: What a client that names no other form gets (one shared, frozen instance).
_PLAIN_OUTPUT = Output()


def negotiate(request: Request) -> Output:
    accept = request.headers.get("accept", "")
    if not accept or accept == "*/*" or accept == JSON:
        return _PLAIN_OUTPUT
    for part in accept.split(","):
        params = [p.strip() for p in part.split(";")]
        media = params[0]
        opts = dict(p.split("=", 1) for p in params[1:] if "=" in p)
        if media == JSON:
            as_ = opts.get("as")
            if as_ == "Table" and opts.get("g") == "meta.k8s.io" and opts.get("v") in ("v1", "v1beta1"):
                return Output(table=True, include_object=request.query_one("includeObject") or "Metadata")
            if as_ in ("PartialObjectMetadata", "PartialObjectMetadataList") and opts.get("g") == "meta.k8s.io":
                return Output(partial=True)
            if as_ is None:
                return Output()
        elif media in _YAML_TYPES:
            return Output(yaml=True)
        elif media in ("*/*", "application/*"):
            return Output()
    raise errors.not_acceptable([JSON, "application/yaml", "application/vnd.kubernetes.protobuf"])


def json_response(status: int, obj: Any, out: Output | None = None, headers: list[tuple[str, str]] | None = None) -> Response:
    if out is not None and out.yaml:
        return Response(status, yaml.safe_dump(obj, sort_keys=False).encode(), "application/yaml", headers)
    return Response(status, orjson.dumps(obj), JSON, headers)


def raw_response(status: int, body: bytes, headers: list[tuple[str, str]] | None = None) -> Response:
    return Response(status, body, JSON, headers)


def decode_body(request: Request, resource: Resource | None = None) -> Obj:
    """The request body as an object: JSON (also with no Content-Type), YAML or (built-ins) protobuf.

    A body that does not parse is a 400 worded as kube's ``transformDecodeError``
    when ``resource`` (the kind the body must be) is given.
    """
    body = request.body
    ctype = request.headers.get("content-type", "").split(";")[0].strip()
    custom = resource is not None and resource.custom
    if not body:
        raise errors.bad_request("the body of the request was empty")
    if ctype in _YAML_TYPES:
        try:
            data = yamljson.load(body)
        except (yaml.YAMLError, yamljson.YAMLToJSONError) as exc:
            raise _undecodable(resource, body, f"error converting YAML to JSON: {exc}") from None
    elif ctype == PROTOBUF and not custom:
        data = protobuf.decode(body)
    elif ctype in ("", JSON, "*/*"):
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise _undecodable(resource, body, f"couldn't get version/kind; json parse error: {exc}") from None
    else:
        # As negotiation.NewUnsupportedMediaTypeError: a message, no details.
        accepted = _CUSTOM_WRITE_TYPES if custom else _WRITE_TYPES
        raise errors.StatusError(
            415, "UnsupportedMediaType",
            f"the body of the request was in an unknown format - accepted media types include: {', '.join(accepted)}")
    if not isinstance(data, dict):
        raise errors.bad_request("Object 'Kind' is missing in request body: not a JSON object")
    if resource is not None and not custom and (meta_error := decoding.type_meta_error(data)) is not None:
        raise _undecodable(resource, body, f"couldn't get version/kind; json parse error: {meta_error}")
    return data


def _undecodable(resource: Resource | None, body: bytes, detail: str) -> errors.StatusError:
    """kube's ``transformDecodeError`` for a body whose kind could not be read."""
    if resource is None:
        return errors.bad_request(detail)
    # summarizeData(body, 30): JSON-looking bodies as text, others in hex.
    head = body[:30]
    summary = head.decode("utf-8", "replace") if body[:1] == b"{" else head.hex()
    if len(body) > 30:
        summary += " ..."
    return errors.bad_request(
        f"the object provided is unrecognized (must be of type {resource.kind}): {detail} ({summary})")


def check_kind(call: Call, obj: Obj) -> None:
    """apiVersion/kind in the body must match the URL (empty are defaulted)."""
    r = call.resource
    kind = obj.get("kind")
    api_version = obj.get("apiVersion")
    if call.subresource == "scale":
        return
    if not kind:
        obj["kind"] = r.kind
    elif kind != r.kind:
        raise errors.bad_request(
            f"the kind in the data ({kind}) does not match the expected kind ({r.kind})"
            if kind and api_version == r.group_version
            else f"Object 'Kind' is not {r.kind}: {kind}"
        )
    if not api_version:
        obj["apiVersion"] = r.group_version
    elif api_version != r.group_version:
        raise errors.bad_request(
            f"the API version in the data ({api_version}) does not match the expected API version ({r.group_version})"
        )


def _served_json(store: ObjectStore, r: Resource, cobj: cache.CachedObject) -> bytes:
    if cobj.api_version == r.group_version:
        return cobj.json()
    return orjson.dumps(store.to_served(r, cobj.obj))


def _dry_run(request: Request) -> bool:
    values = request.query.get("dryRun")
    if not values:
        return False
    for v in values:
        if v != "All":
            raise errors.bad_request(f'Invalid dry run value: "{v}"; only "All" is supported')
    return True


#: For the subresource handlers of other modules.
is_dry_run = _dry_run


def _field_validation(request: Request) -> str:
    value = request.query_one("fieldValidation") or ""
    if value and value not in ("Ignore", "Warn", "Strict"):
        raise errors.bad_request(
            f"fieldValidation parameter unsupported: {value}; supported values: Ignore, Warn, Strict"
        )
    return value


def _decode_check(call: Call, obj: Obj, headers: list[tuple[str, str]], *, patched: bool = False) -> None:
    """What decoding into kube's typed structs checks of a built-in object (of a custom
    resource: its ``metadata``, decoded into ObjectMeta): JSON of the wrong type is refused
    (400 BadRequest; 422 on ``patch`` for a patched object, as kube's patcher answers), then
    unknown fields are handled (:func:`_unknown_field_check`)."""
    r = call.resource
    if r.custom:
        meta = obj.get("metadata")
        error = None if meta is None else decoding.object_meta_error(meta)
    else:
        error = decoding.type_error(obj, r.group, r.version, r.kind)
    if error is not None:
        if patched:
            raise errors.invalid_object("", "", "", [errors.invalid(
                "patch", orjson.dumps(obj).decode(), error)])
        raise errors.bad_request(f'{r.kind} in version "{r.version}" cannot be handled as a {r.kind}: {error}')
    _unknown_field_check(call, obj, headers, duplicates=not patched)


def _unknown_field_check(call: Call, obj: Obj, headers: list[tuple[str, str]], *, duplicates: bool = False) -> None:
    """Unknown fields: fieldValidation=Strict rejects them; otherwise they are dropped
    (built-ins: decoding into kube's typed structs; custom resources: structural pruning),
    with a warning unless Ignore. Warn is the default, as in kube-apiserver. With
    ``duplicates``, duplicate fields of a JSON body are found as well (``duplicate field``)."""
    mode = _field_validation(call.request)
    dups: list[str] = []
    if duplicates and mode != "Ignore" and call.request.body[:1] == b"{":
        dups = [f'duplicate field "{d}"' for d in strictjson.duplicate_fields(call.request.body, obj)]
    schema = call.resource.schema
    # Custom resources: the CRD version's compiled schema defaults and prunes (crvalidation).
    decode = getattr(call.resource.strategy, "unknown_fields", None) if call.resource.custom else None
    if decode is not None:
        unknown = decode(obj)
    elif schema is not None:
        unknown = definitions.unknown_fields(obj, schema, prune=True)
    else:
        unknown = []
    if not unknown and not dups:
        return
    if call.resource.custom:
        unknown.sort()  # the CRD handler sorts the pruned paths
    messages = dups + [f'unknown field "{u.lstrip(".")}"' for u in unknown]
    if mode == "Strict":
        raise errors.bad_request("strict decoding error: " + ", ".join(messages))
    if mode != "Ignore":
        for m in messages:
            add_warning(headers, m)


# --- selectors ---------------------------------------------------------------


def build_matcher(call: Call) -> cache.Filter:
    """The list/watch filter from labelSelector and fieldSelector, or None."""
    return selector_filter(call.resource, call.request.query_one("labelSelector"),
                           call.request.query_one("fieldSelector"))


# --- reads -------------------------------------------------------------------


async def get(store: ObjectStore, call: Call) -> Response:
    out = negotiate(call.request)
    assert call.name is not None
    cobj = await store.get(call.resource, call.namespace, call.name)
    if call.resource.convert_batch is not None:
        await store.served_async(call.resource, [cobj.obj])  # a conversion webhook's call
    if call.subresource == "scale":
        return json_response(200, scale_of(call.resource, store.to_served(call.resource, cobj.obj)), out)
    if out.table:
        served = store.to_served(call.resource, cobj.obj)
        return json_response(200, table.render_table(call.resource, [served], include_object=out.include_object), out)
    if out.partial:
        return json_response(200, table.partial_object_metadata(cobj.obj), out)
    if out.yaml:
        return json_response(200, store.to_served(call.resource, cobj.obj), out)
    return raw_response(200, _served_json(store, call.resource, cobj))


def _list_params(request: Request) -> tuple[int, str, str, str]:
    limit_text = request.query_one("limit") or "0"
    try:
        limit = int(limit_text)
    except ValueError:
        raise errors.bad_request(f"invalid limit: {limit_text!r}") from None
    return (
        max(limit, 0),
        request.query_one("continue") or "",
        request.query_one("resourceVersion") or "",
        request.query_one("resourceVersionMatch") or "",
    )


async def list_(store: ObjectStore, call: Call) -> Response:
    out = negotiate(call.request)
    matches = build_matcher(call)
    limit, token, rv, rv_match = _list_params(call.request)
    result = await store.list(call.resource, call.namespace, matches, limit=limit, continue_token=token,
                              resource_version=rv, resource_version_match=rv_match)
    if call.resource.convert_batch is not None:
        await store.served_async(call.resource, [c.obj for c in result.items])  # one conversion review
    return encode_list(store, call.resource, result, out)


def _list_meta(result: ListResult) -> dict[str, Any]:
    meta: dict[str, Any] = {"resourceVersion": str(result.revision)}
    if result.continue_token:
        meta["continue"] = result.continue_token
        if result.remaining is not None:
            meta["remainingItemCount"] = result.remaining
    return meta


_LIST_END = b"]}"
#: A list whose items' encodings sum to more is written from its pieces, never joined.
GATHER_ABOVE = 256 * 1024


def encode_list(store: ObjectStore, r: Resource, result: ListResult, out: Output) -> Response:
    meta = _list_meta(result)
    if out.table:
        objs = [store.to_served(r, c.obj) for c in result.items]
        return json_response(200, table.render_table(r, objs, include_object=out.include_object, list_meta=meta), out)
    if out.partial:
        return json_response(200, {
            "kind": "PartialObjectMetadataList", "apiVersion": "meta.k8s.io/v1", "metadata": meta,
            "items": [table.partial_object_metadata(c.obj) for c in result.items]}, out)
    if out.yaml:
        return json_response(200, {"kind": r.list_kind, "apiVersion": r.group_version, "metadata": meta,
                                   "items": [store.to_served(r, c.obj) for c in result.items]}, out)
    # Splice the cached encodings: no re-encoding of objects, and no joining either (the parts are
    # written as they are; a list of 5,000 Secrets is 70 MB that would otherwise be copied twice).
    head = orjson.dumps({"kind": r.list_kind, "apiVersion": r.group_version, "metadata": meta})
    parts = [head[:-1] + b',"items":[']
    cache.append_encodings(parts, result.items, r.group_version, lambda c: orjson.dumps(store.to_served(r, c.obj)))
    parts.append(_LIST_END)
    length = sum(map(len, parts))
    if length < GATHER_ABOVE:
        return raw_response(200, b"".join(parts))
    return GatheredResponse(200, parts, JSON, length=length)


# --- writes ------------------------------------------------------------------


async def create(store: ObjectStore, call: Call) -> Response:
    out = negotiate(call.request)
    obj = decode_body(call.request, call.resource)
    check_kind(call, obj)
    headers: list[tuple[str, str]] = []
    _decode_check(call, obj, headers)
    meta = obj.get("metadata")
    if isinstance(meta, dict) and call.resource.namespaced:
        ns = meta.get("namespace")
        if ns and ns != call.namespace:
            raise errors.bad_request(
                "the namespace of the provided object does not match the namespace sent on the request")
    obj = fieldmanager.for_resource(call.resource).update(None, obj, _manager(call, "CreateOptions"))
    created = await store.create(call.resource, call.namespace, obj, dry_run=_dry_run(call.request), attrs=call.attrs)
    return json_response(201, store.to_served(call.resource, created), out, headers or None)


async def evict(evictions: Evictions, call: Call) -> Response:
    """POST ``pods/<name>/eviction``: a policy/v1 (or v1beta1) Eviction."""
    out = negotiate(call.request)
    body = decode_body(call.request)
    kind, api_version = body.get("kind"), body.get("apiVersion")
    if kind and kind != "Eviction":
        raise errors.bad_request(f"Object 'Kind' is not Eviction: {kind}")
    if api_version and api_version not in EVICTION_VERSIONS:
        raise errors.bad_request(
            f"the API version in the data ({api_version}) does not match the expected API version (policy/v1)")
    assert call.name is not None and call.namespace is not None
    status = await evictions.create(call.namespace, call.name, body, call.request.query.get("dryRun") or [],
                                    attrs=call.attrs)
    return json_response(201, status, out)


def _manager(call: Call, options: str) -> str:
    """The field manager of a write: ``fieldManager`` (validated), else from the user agent."""
    name = call.request.query_one("fieldManager") or ""
    fieldmanager.validate_manager(name, options)
    return fieldmanager.manager_or_user_agent(name, call.request.headers.get("user-agent", ""))


def _check_name(call: Call, obj: Obj) -> None:
    meta = obj.get("metadata")
    if not isinstance(meta, dict):
        meta = obj["metadata"] = {}
    name = meta.get("name")
    if not name:
        meta["name"] = call.name
    elif name != call.name:
        raise errors.bad_request(
            f"the name of the object ({name}) does not match the name on the URL ({call.name})")
    if call.resource.namespaced:
        ns = meta.get("namespace")
        if ns and ns != call.namespace:
            raise errors.bad_request(
                "the namespace of the provided object does not match the namespace sent on the request")
        meta["namespace"] = call.namespace


async def update(store: ObjectStore, call: Call) -> Response:
    out = negotiate(call.request)
    obj = decode_body(call.request, call.resource)
    assert call.name is not None
    if call.subresource == "scale":
        return await _update_scale(store, call, obj, out)
    check_kind(call, obj)
    headers: list[tuple[str, str]] = []
    _decode_check(call, obj, headers)
    _check_name(call, obj)
    dry_run = _dry_run(call.request)
    fm = fieldmanager.for_resource(call.resource)
    manager = _manager(call, "UpdateOptions")

    def managed(current: Obj | None, new: Obj) -> Obj:
        return fm.update(current, new, manager, call.subresource)

    result, created = await store.update(call.resource, call.namespace, call.name, obj,
                                         subresource=call.subresource, dry_run=dry_run, attrs=call.attrs,
                                         transform=managed)
    return json_response(201 if created else 200, store.to_served(call.resource, result), out, headers or None)


async def patch_(store: ObjectStore, call: Call) -> Response:
    out = negotiate(call.request)
    request = call.request
    assert call.name is not None
    ctype = request.headers.get("content-type", "").split(";")[0].strip()
    r = call.resource
    dry_run = _dry_run(request)
    headers: list[tuple[str, str]] = []
    if len(request.body) == 0:
        raise errors.bad_request("the body of the request was empty")
    is_apply = ctype == "application/apply-patch+yaml"
    force = request.query_one("force")
    if is_apply and not request.query_one("fieldManager"):
        raise errors.invalid_object("PatchOptions", "meta.k8s.io", "", [
            errors.required("fieldManager", "is required for apply patch")])
    if not is_apply and force is not None:
        raise errors.invalid_object("PatchOptions", "meta.k8s.io", "", [
            errors.forbidden("force", "may not be specified for non-apply patch")])
    manager = _manager(call, "PatchOptions")
    fm = fieldmanager.for_resource(r)
    config = _decode_apply(request.body) if is_apply else None
    if call.subresource == "scale":
        async def mutate_scale(current: Obj) -> Obj:
            def write(view: Obj) -> Obj:
                if config is not None:
                    return fieldmanager.for_scale().apply(view, config, manager, force=force == "true",
                                                          subresource="scale")
                patched = patch.apply_patch(ctype, view, request.body, patch.SCALE_PATCH_SCHEMA)
                return fieldmanager.for_scale().update(view, patched, manager, "scale")

            return _write_scale(r, current, write)

        result, _ = await store.guaranteed_update(r, call.namespace, call.name, mutate_scale, verb="patch",
                                                  dry_run=dry_run, attrs=call.attrs)
        return json_response(200, scale_of(r, store.to_served(r, result)), out)

    async def mutate(current: Obj) -> Obj:
        if config is not None:
            fm.check_apply_version(config)
            patched = fm.apply(current, config, manager, force=force == "true", subresource=call.subresource)
        else:
            patched = patch.apply_patch(ctype, current, request.body, r.patch_schema)
        if not isinstance(patched, dict):
            raise errors.bad_request("the patch did not produce an object")
        meta = patched.get("metadata")
        if not isinstance(meta, dict):
            if meta is not None:  # decoding the patched object refuses it first: the patcher's 422
                _decode_check(call, patched, [], patched=True)
            meta = {}
        meta = patched["metadata"] = dict(meta)  # a patch may share it with the current object
        if meta.get("name") != call.name:
            name = meta.get("name")
            raise errors.bad_request(f"the name of the object ({'' if name is None else name}) "
                                     f"does not match the name on the URL ({call.name})")
        if patched.get("kind") != current.get("kind") or patched.get("apiVersion") != current.get("apiVersion"):
            check_kind(call, patched)
        # A resourceVersion the patch does not set is not a precondition.
        patch_rv = ((config.get("metadata") or {}).get("resourceVersion") if config is not None
                    else _patch_resource_version(ctype, request.body))
        if patch_rv is None:
            meta.pop("resourceVersion", None)
        headers.clear()
        _decode_check(call, patched, headers, patched=True)
        if config is None:
            patched = fm.update(current, patched, manager, call.subresource)
        return patched

    create_missing = None
    if is_apply:
        async def create_missing_() -> Obj:
            assert config is not None
            fm.check_apply_version(config)
            fm.check_apply_shape(config)
            _check_name(call, config)
            obj = fm.apply({}, config, manager, force=force == "true")
            return await store.create(r, call.namespace, obj, dry_run=dry_run, attrs=call.attrs)

        create_missing = create_missing_
    result, created = await store.guaranteed_update(
        r, call.namespace, call.name, mutate, verb="patch", subresource=call.subresource, dry_run=dry_run,
        create_missing=create_missing, attrs=call.attrs)
    return json_response(201 if created else 200, store.to_served(r, result), out, headers or None)


def _decode_apply(body: bytes) -> Obj:
    """An apply body: JSON (what kubectl and the client libraries send) parsed as JSON,
    anything else as YAML."""
    if body[:1] == b"{":
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError:
            pass
        else:
            if isinstance(data, dict):
                return data
    return patch.decode_apply(body)


def _patch_resource_version(ctype: str, body: bytes) -> str | None:
    """The metadata.resourceVersion a merge-style patch sets, if any."""
    if ctype == "application/json-patch+json":
        try:
            ops = orjson.loads(body)
        except orjson.JSONDecodeError:
            return None
        if isinstance(ops, list):
            for op in ops:
                if isinstance(op, dict) and op.get("path") == "/metadata/resourceVersion" and op.get("op") in ("add", "replace"):
                    return str(op.get("value"))
        return None
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        try:
            data = yamljson.load(body)
        except (yaml.YAMLError, yamljson.YAMLToJSONError):
            return None
    if isinstance(data, dict):
        meta = data.get("metadata")
        if isinstance(meta, dict) and meta.get("resourceVersion"):
            return str(meta["resourceVersion"])
    return None


def _delete_options(request: Request) -> dict[str, Any]:
    opts: dict[str, Any] = {}
    if request.body:
        opts = decode_body(request)
    q = request.query
    if "propagationPolicy" in q:
        opts["propagationPolicy"] = q["propagationPolicy"][0]
    if "orphanDependents" in q:
        opts["orphanDependents"] = q["orphanDependents"][0] == "true"
    if "dryRun" in q:
        opts["dryRun"] = q["dryRun"]
    if "gracePeriodSeconds" in q:
        text = q["gracePeriodSeconds"][0]
        try:
            opts["gracePeriodSeconds"] = int(text)
        except ValueError:
            raise errors.bad_request(f'strconv.ParseInt: parsing "{text}": invalid syntax') from None
    grace = opts.get("gracePeriodSeconds")
    if grace is not None and (isinstance(grace, bool) or not isinstance(grace, int)):
        raise errors.bad_request("gracePeriodSeconds must be an integer")
    policy = opts.get("propagationPolicy")
    # As ValidateDeleteOptions.
    problems: list[errors.FieldError] = []
    if opts.get("orphanDependents") is not None and policy is not None:
        problems.append(errors.invalid("propagationPolicy", policy,
                                       "orphanDependents and deletionPropagation cannot be both set"))
    if policy not in (None, "Orphan", "Background", "Foreground"):
        problems.append(errors.not_supported("propagationPolicy", policy, ["Foreground", "Background", "Orphan", "nil"]))
    if problems:
        raise errors.invalid_object("DeleteOptions", "meta.k8s.io", "", problems)
    if opts.get("orphanDependents") is not None and policy is None:
        # As shouldOrphanDependents: an explicit orphanDependents decides alone.
        opts["propagationPolicy"] = "Orphan" if opts["orphanDependents"] else "Background"
    for v in opts.get("dryRun") or []:
        if v != "All":
            raise errors.bad_request(f'Invalid dry run value: "{v}"; only "All" is supported')
    return opts


async def delete(store: ObjectStore, call: Call) -> Response:
    out = negotiate(call.request)
    assert call.name is not None
    opts = _delete_options(call.request)
    pre = opts.get("preconditions") or {}
    r = call.resource
    headers: list[tuple[str, str]] = []
    warning = getattr(r.strategy, "delete_warning", "")
    if warning and opts.get("propagationPolicy") is None:
        # A kind whose DELETE orphans by default says so (kube's job REST Delete).
        add_warning(headers, warning)
    obj, gone = await store.delete(
        r, call.namespace, call.name, uid=pre.get("uid"), resource_version=pre.get("resourceVersion"),
        propagation=opts.get("propagationPolicy"), dry_run=bool(opts.get("dryRun")), attrs=call.attrs,
        grace_period_seconds=opts.get("gracePeriodSeconds"))
    served = store.to_served(r, obj)
    if gone and not r.strategy.return_deleted_object:
        meta = served.get("metadata") or {}
        details = {"name": meta.get("name"), "kind": r.plural, "uid": meta.get("uid")}
        if r.group:
            details["group"] = r.group
        return json_response(200, errors.status_success(details), out, headers)
    code = 202 if (not gone and opts.get("orphanDependents") is False) else 200
    return json_response(code, served, out, headers)


async def delete_collection(store: ObjectStore, call: Call) -> Response:
    out = negotiate(call.request)
    opts = _delete_options(call.request)
    matches = build_matcher(call)
    deleted = await store.delete_collection(call.resource, call.namespace, matches,
                                            propagation=opts.get("propagationPolicy"),
                                            dry_run=bool(opts.get("dryRun")), attrs=call.attrs,
                                            grace_period_seconds=opts.get("gracePeriodSeconds"))
    r = call.resource
    return json_response(200, {"kind": r.list_kind, "apiVersion": r.group_version, "metadata": {},
                               "items": [store.to_served(r, o) for o in deleted]}, out)


# --- scale subresource ---------------------------------------------------------


def _path_get(obj: Obj, path: str) -> Any:
    cur: Any = obj
    for part in path.lstrip(".").split("."):
        if not isinstance(cur, dict):
            return None
        cur = cur.get(part)
    return cur


def _path_set(obj: Obj, path: str, value: Any) -> Obj:
    parts = path.lstrip(".").split(".")
    out = dict(obj)
    cur = out
    for part in parts[:-1]:
        nxt = cur.get(part)
        nxt = dict(nxt) if isinstance(nxt, dict) else {}
        cur[part] = nxt
        cur = nxt
    cur[parts[-1]] = value
    return out


def scale_of(r: Resource, obj: Obj) -> Obj:
    """The autoscaling/v1 Scale view of an object (custom resources, workload kinds)."""
    spec_path, status_path, selector_path = _scale_paths(r)
    meta = obj.get("metadata") or {}
    status: Obj = {"replicas": _path_get(obj, status_path) or 0} if status_path else {"replicas": 0}
    selector_of = getattr(r.strategy, "scale_selector", None)
    sel = selector_of(obj) if selector_of is not None else _path_get(obj, selector_path) if selector_path else None
    if sel:
        status["selector"] = sel
    return {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {k: meta[k] for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp") if k in meta},
        "spec": {"replicas": _path_get(obj, spec_path) or 0},
        "status": status,
    }


def apply_scale(r: Resource, obj: Obj, scale: Obj) -> Obj:
    spec_path, _, _ = _scale_paths(r)
    replicas = (scale.get("spec") or {}).get("replicas")
    if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 0:
        raise errors.invalid_object("Scale", "autoscaling", str((obj.get("metadata") or {}).get("name", "")),
                                    [errors.invalid("spec.replicas", replicas, "must be greater than or equal to 0")])
    new = _path_set(obj, spec_path, replicas)
    rv = (scale.get("metadata") or {}).get("resourceVersion")
    new["metadata"] = {**new["metadata"], "resourceVersion": rv} if rv else {
        k: v for k, v in new["metadata"].items() if k != "resourceVersion"}
    return new


def _write_scale(r: Resource, current: Obj, write: Callable[[Obj], Obj]) -> Obj:
    """A write through ``/scale``, as kube's ScaleHandler makes it: ``write`` changes the Scale
    view of ``current`` (its managers those of the parent's replicas), and the new replicas and
    managers go back to the parent."""
    replicas = fieldmanager.replicas_path(_scale_paths(r)[0])
    view = scale_of(r, current)
    entries = fieldmanager.scale_entries(current, replicas)
    if entries:
        view["metadata"]["managedFields"] = entries
    scale = write(view)
    new = apply_scale(r, current, scale)
    meta = {k: v for k, v in new["metadata"].items() if k != "managedFields"}
    managed = fieldmanager.parent_entries(current, scale, replicas)
    if managed:
        meta["managedFields"] = managed
    new["metadata"] = meta
    return new


#: For the in-process client's writes through ``/scale``.
write_scale = _write_scale


def _scale_paths(r: Resource) -> tuple[str, str, str]:
    paths = getattr(r.strategy, "scale_paths", None)
    if paths is None:
        raise errors.not_found(r.plural + "/scale", r.group, "")
    return paths  # type: ignore[no-any-return]


async def _update_scale(store: ObjectStore, call: Call, body: Obj, out: Output) -> Response:
    r = call.resource
    assert call.name is not None

    manager = _manager(call, "UpdateOptions")

    async def mutate(current: Obj) -> Obj:
        return _write_scale(r, current, lambda view: fieldmanager.for_scale().update(view, body, manager, "scale"))

    result, _ = await store.guaranteed_update(r, call.namespace, call.name, mutate, dry_run=_dry_run(call.request),
                                              attrs=call.attrs)
    return json_response(200, scale_of(r, store.to_served(r, result)), out)

