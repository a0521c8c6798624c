"""From a request to the (policy, binding, param) invocations it runs: kube's
``generic.PolicyDispatcher`` and ``CollectParams``, shared by both policy kinds.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from setpoint.apimachinery import labels
from setpoint.apimachinery.types import Obj
from setpoint.apiserver.admission.policy.authz import authorizer_functions, authorizer_value
from setpoint.apiserver.admission.policy.expressions import Activation
from setpoint.apiserver.admission.policy.matching import operation
from setpoint.apiserver.admission.policy.source import Binding, Hook, Policy, PolicySource
from setpoint.apiserver.encoding import errors
from setpoint.apiserver.registry.admission import Attributes

_OPTIONS = {"CREATE": "CreateOptions", "UPDATE": "UpdateOptions", "DELETE": "DeleteOptions"}


@dataclass
class Invocation:
    policy: Policy
    binding: Binding
    param: Obj | None


@dataclass
class ConfigError:
    """A policy or binding that cannot be evaluated (``failed to configure ...``)."""

    policy: Policy
    binding: Binding | None
    message: str


@dataclass
class Request:
    """What every evaluation of one admission call shares, built on first need."""

    source: PolicySource
    attrs: Attributes
    authorize: Callable[[Attributes], tuple[bool, str]] | None
    obj: Obj | None = None
    _request: Obj | None = None
    _namespace: Obj | None = None
    _namespace_read: bool = False
    _cache: dict[str, Any] = field(default_factory=dict)

    def namespace_object(self) -> Obj | None:
        """kube's ``CreateNamespaceObject``: the request's Namespace (None when cluster-scoped)."""
        if not self._namespace_read:
            self._namespace_read = True
            name = "" if self.attrs.resource == "namespaces" and not self.attrs.group else self.attrs.namespace
            ns = self.source.namespace(name) if name else None
            if ns is not None:
                meta = {k: v for k, v in (ns.get("metadata") or {}).items()
                        if k not in ("managedFields", "ownerReferences", "selfLink")}
                ns = {"metadata": meta, "spec": ns.get("spec") or {}, "status": ns.get("status") or {}}
            self._namespace = ns
        return self._namespace

    def namespace_labels(self) -> Mapping[str, str] | None:
        """The labels the namespaceSelector sees (a Namespace created or updated: its own)."""
        a = self.attrs
        if a.resource == "namespaces" and not a.group and not a.subresource:
            if self.obj is not None:
                meta = self.obj.get("metadata")
                return (meta.get("labels") or {}) if isinstance(meta, dict) else {}
            ns = self.source.namespace(a.name)
        else:
            ns = self.source.namespace(a.namespace)
        meta = ns.get("metadata") if ns is not None else None
        return (meta.get("labels") or {}) if isinstance(meta, dict) else {}

    def admission_request(self) -> Obj:
        """kube's ``CreateAdmissionRequest`` (objects left out), as CEL's ``request``."""
        if self._request is None:
            a = self.attrs
            op = operation(a)
            gvk = {"group": a.group, "version": a.version, "kind": a.kind}
            gvr = {"group": a.group, "version": a.version, "resource": a.resource}
            user: Obj = {}
            if a.user.name:
                user["username"] = a.user.name
            if a.user.uid:
                user["uid"] = a.user.uid
            if a.user.groups:
                user["groups"] = list(a.user.groups)
            if a.user.extra:
                user["extra"] = {k: list(v) for k, v in a.user.extra.items()}
            req: Obj = {"uid": "", "kind": gvk, "resource": gvr, "requestKind": gvk, "requestResource": gvr,
                        "operation": op, "userInfo": user, "dryRun": a.dry_run,
                        "options": {"kind": _OPTIONS[op], "apiVersion": "meta.k8s.io/v1"} if op in _OPTIONS else None}
            if a.subresource:
                req["subResource"] = req["requestSubResource"] = a.subresource
            if a.name:
                req["name"] = a.name
            if a.namespace:
                req["namespace"] = a.namespace
            self._request = req
        return self._request

    def activation(self, inv: Invocation, obj: Obj | None, old: Obj | None) -> Activation:
        """The inputs of one evaluation: only those the policy reads, each cut to the fields it
        selects (the interpreter converts every value it is given)."""
        policy = inv.policy
        inputs: dict[str, Any] = {}
        for name, fields in policy.reads.items():
            if name == "variables":
                continue
            value = (obj if name == "object" else old if name == "oldObject" else self.admission_request()
                     if name == "request" else inv.param if name == "params" else self.namespace_object()
                     if name == "namespaceObject" else authorizer_value(self.attrs) if name == "authorizer" else None)
            if fields is not None and isinstance(value, dict):
                value = {k: value[k] for k in fields if k in value}
            inputs[name] = value
        functions = policy.functions
        if policy.uses_authorizer:
            functions = {**functions, **authorizer_functions(self.attrs, self.authorize)}
        return Activation(inputs, policy.variables, functions)


def _param_kind_text(policy: Policy) -> str:
    assert policy.param_kind is not None
    return f"&ParamKind{{APIVersion:{policy.param_kind[0]},Kind:{policy.param_kind[1]},}}"


def collect_params(source: PolicySource, policy: Policy, binding: Binding, namespace: str) -> list[Obj | None]:
    """kube's ``CollectParams``: [None] without params; raises ValueError on a configuration error."""
    ref = binding.param_ref
    if policy.param_kind is None or ref is None:
        return [None]
    resource = source.param_resource(*policy.param_kind)
    if resource is None:
        raise ValueError(f"paramKind kind `{_param_kind_text(policy)}` not known")
    ns: str | None = None
    if resource.namespaced:
        ns = str(ref.get("namespace") or "") or namespace
        if not ns:
            raise ValueError("cannot use namespaced paramRef in policy binding that matches cluster-scoped resources")
    elif ref.get("namespace"):
        raise ValueError("paramRef.namespace must not be provided for a cluster-scoped `paramKind`")
    name = str(ref.get("name") or "")
    selector: Callable[[Mapping[str, str]], bool] | None = None
    if not name:
        raw = ref.get("selector")
        if raw is None:
            raise ValueError("one of name or selector must be provided")
        try:
            selector = labels.as_selector(raw).matches
        except labels.SelectorError as exc:
            raise ValueError(str(exc)) from None
    params: list[Obj | None] = list(source.params(resource, ns, name, selector))
    if not params and ref.get("parameterNotFoundAction") == "Deny":
        raise ValueError("no params found for policy binding with `Deny` parameterNotFoundAction")
    return params


def invocations(source: PolicySource, hooks: list[Hook], req: Request, obj: Obj | None,
                old: Obj | None) -> tuple[list[Invocation], list[ConfigError]]:
    """The (policy, binding, param) triples a request runs, and the configuration errors met."""
    out: list[Invocation] = []
    errs: list[ConfigError] = []
    attrs = req.attrs
    for hook in hooks:
        policy = hook.policy
        matched = policy.match.matches(attrs, obj, old, req.namespace_labels)
        if matched is False:
            continue
        if isinstance(matched, str):
            errs.append(ConfigError(policy, None, f"failed to configure policy: {matched}"))
            continue
        for binding in hook.bindings:
            if binding.match is not None:
                bm = binding.match.matches(attrs, obj, old, req.namespace_labels)
                if bm is False:
                    continue
                if isinstance(bm, str):
                    errs.append(ConfigError(policy, binding, f"failed to configure binding: {bm}"))
                    continue
            try:
                params = collect_params(source, policy, binding, attrs.namespace)
            except ValueError as exc:
                errs.append(ConfigError(policy, binding, f"failed to configure binding: {exc}"))
                continue
            out.extend(Invocation(policy, binding, p) for p in params)
    return out, errs


def forbidden(attrs: Attributes, obj: Obj | None, message: str, reason: str, code: int) -> errors.StatusError:
    """``admission.NewForbidden`` with the policy's reason and code, the message as its one cause."""
    name = attrs.name or "Unknown"  # kube's extractResourceName: the request's name, else the object's
    meta = obj.get("metadata") if isinstance(obj, dict) else None
    if not attrs.name and isinstance(meta, dict):
        name = str(meta.get("name") or meta.get("generateName") or "Unknown")
    qualified = f"{attrs.resource}.{attrs.group}" if attrs.group else attrs.resource
    details: Obj = {"name": name}
    if attrs.group:
        details["group"] = attrs.group
    details["kind"] = attrs.resource
    details["causes"] = [{"message": message}]
    return errors.StatusError(code, reason, f'{qualified} "{name}" is forbidden: {message}', details=details)
