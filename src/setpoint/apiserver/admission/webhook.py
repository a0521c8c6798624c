"""Admission webhooks: MutatingWebhookConfiguration and ValidatingWebhookConfiguration.

kube's ``k8s.io/apiserver/pkg/admission/plugin/webhook`` (``generic``, ``mutating``,
``validating``, ``predicates``, ``request``), as one admission plugin: ``admit`` runs the
mutating webhooks one after the other (configurations ordered by name, webhooks in their
order; ``reinvocationPolicy: IfNeeded`` webhooks once more when a later one changed the
object), ``validate`` runs the validating webhooks at once. Each is called with an
``admission.k8s.io/v1`` AdmissionReview when the request matches its ``rules`` (operations,
groups, versions, resources with subresources and ``*``, scope; with ``matchPolicy:
Equivalent`` also through the other versions of the same storage), ``namespaceSelector``,
``objectSelector`` and ``matchConditions`` (CEL, on the engine of ``x-kubernetes-validations``).

The configurations are read from the watch cache and compiled once per change (rules,
selectors, CEL programs, the client target with its SSL context): a request with no
configuration pays two dictionary lookups. Requests on the admission configuration kinds
themselves never go to webhooks (kube's ``IsExemptAdmissionConfigurationResource``).

Answers as kube's: a denial is ``admission webhook "NAME" denied the request: MSG`` with the
webhook's code (400 when it gives none below 400); a webhook that cannot be called fails the
request with ``Internal error occurred: failed calling webhook "NAME": ...`` (500) unless its
``failurePolicy`` is ``Ignore``; ``warnings`` become ``Warning`` headers and
``auditAnnotations`` are kept on the request's :class:`Attributes` as ``NAME/KEY``.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
import uuid
from dataclasses import dataclass
from typing import Any

import orjson

from setpoint.apimachinery import labels
from setpoint.apimachinery.types import Obj
from setpoint.apiserver.admission.webhookclient import CallError, Target, WebhookClient
from setpoint.apiserver.apiextensions.cel import evaluate
from setpoint.apiserver.apiextensions.cel.library import LIBRARY
from setpoint.apiserver.encoding import errors
from setpoint.apiserver.encoding.patch import apply_json_patch
from setpoint.apiserver.registry.admission import Attributes
from setpoint.apiserver.registry.objectstore import ObjectStore
from setpoint.apiserver.registry.resources import Registry, Resource

log = logging.getLogger(__name__)

GROUP = "admissionregistration.k8s.io"
_EXEMPT_KINDS = frozenset({"ValidatingWebhookConfiguration", "MutatingWebhookConfiguration",
                           "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding",
                           "MutatingAdmissionPolicy", "MutatingAdmissionPolicyBinding"})
_OPERATIONS = {"create": "CREATE", "update": "UPDATE", "patch": "UPDATE", "delete": "DELETE",
               "deletecollection": "DELETE", "connect": "CONNECT"}
_OPTIONS_KINDS = {"CREATE": "CreateOptions", "UPDATE": "UpdateOptions", "DELETE": "DeleteOptions"}


# --- compiled configurations ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Rule:
    """A ``RuleWithOperations``."""

    operations: frozenset[str]
    groups: frozenset[str]
    versions: frozenset[str]
    resources: tuple[tuple[str, str], ...]
    scope: str

    def matches(self, op: str, group: str, version: str, resource: str, sub: str, namespace: str) -> bool:
        if self.scope == "Namespaced" and (not namespace or (group == "" and resource == "namespaces")):
            return False
        if self.scope == "Cluster" and namespace and not (group == "" and resource == "namespaces"):
            return False
        if "*" not in self.operations and op not in self.operations:
            return False
        if "*" not in self.groups and group not in self.groups:
            return False
        if "*" not in self.versions and version not in self.versions:
            return False
        return any((res == "*" or res == resource) and (s == "*" or s == sub) for res, s in self.resources)


@dataclass(slots=True)
class Hook:
    """One webhook of a configuration, compiled."""

    name: str
    configuration: str
    mutating: bool
    rules: tuple[Rule, ...]
    ignore_failures: bool
    equivalent: bool
    namespace_selector: labels.Selector | None  # None: matches everything
    object_selector: labels.Selector | None
    selector_error: str
    side_effects: str
    timeout: float
    review_version: str  # "" when it accepts none setpoint sends
    reinvoke: bool
    conditions: tuple[tuple[str, Any, str], ...]  # (name, program, compile error)
    target: Target


def _selector(raw: Any) -> tuple[labels.Selector | None, str]:
    if raw is None:
        return None, ""
    try:
        sel = labels.as_selector(raw)
    except labels.SelectorError as exc:
        return None, str(exc)
    return (None if sel.empty else sel), ""


def _strings(raw: Any) -> frozenset[str]:
    return frozenset(str(v) for v in raw or [])


def compile_hook(raw: Obj, configuration: str, mutating: bool, client: WebhookClient) -> Hook:
    rules = []
    for r in raw.get("rules") or []:
        if not isinstance(r, dict):
            continue
        resources = tuple((*res.split("/", 1), "")[:2] for res in (str(x) for x in r.get("resources") or []))
        rules.append(Rule(_strings(r.get("operations")), _strings(r.get("apiGroups")),
                          _strings(r.get("apiVersions")), tuple((a, b) for a, b in resources),
                          str(r.get("scope") or "*")))
    ns_sel, ns_err = _selector(raw.get("namespaceSelector"))
    obj_sel, obj_err = _selector(raw.get("objectSelector"))
    conditions = []
    for c in raw.get("matchConditions") or []:
        program, error = None, ""
        try:
            program = evaluate.compile_program(str(c.get("expression") or ""))
        except Exception as exc:  # the interpreter's syntax errors
            error = evaluate.syntax_error(str(c.get("expression") or ""), exc)
        conditions.append((str(c.get("name") or ""), program, error))
    versions = [str(v) for v in raw.get("admissionReviewVersions") or []]
    review = next((v for v in versions if v in ("v1", "v1beta1")), "")
    return Hook(
        name=str(raw.get("name") or ""), configuration=configuration, mutating=mutating, rules=tuple(rules),
        ignore_failures=raw.get("failurePolicy") == "Ignore", equivalent=raw.get("matchPolicy") != "Exact",
        namespace_selector=ns_sel, object_selector=obj_sel, selector_error=ns_err or obj_err,
        side_effects=str(raw.get("sideEffects") or ""), timeout=float(raw.get("timeoutSeconds") or 10),
        review_version=review, reinvoke=raw.get("reinvocationPolicy") == "IfNeeded",
        conditions=tuple(conditions), target=client.target(raw.get("clientConfig")))


class _Source:
    """The webhooks of one configuration kind, recompiled when the cached configurations change."""

    def __init__(self, objects: ObjectStore, resource: Resource, client: WebhookClient) -> None:
        self._objects = objects
        self._resource = resource
        self._client = client
        self._mutating = resource.kind.startswith("Mutating")
        self._fingerprint: tuple[tuple[str, int], ...] = ()
        self._hooks: tuple[Hook, ...] = ()

    def idle(self) -> bool:
        """No configuration of this kind, told without an await (as :meth:`hooks` would find
        once the cache holds this server's own writes)."""
        c = self._objects.cacher(self._resource)
        return c.holds_own_writes and not c.count(self._resource.key_prefix)

    async def hooks(self) -> tuple[Hook, ...]:
        c = self._objects.cacher(self._resource)
        if not c.holds_own_writes:  # a configuration just written through this server applies at once
            await c.wait_own_writes()
        prefix = self._resource.key_prefix
        if not c.count(prefix):
            return ()
        cached = c.list(prefix)
        fingerprint = tuple((co.key, co.revision) for co in cached)
        if fingerprint != self._fingerprint:
            hooks = []
            # Ordered by configuration name (the keys sort so), webhooks in their order.
            for co in sorted(cached, key=lambda co: str(co.obj["metadata"]["name"])):
                name = str(co.obj["metadata"]["name"])
                for raw in co.obj.get("webhooks") or []:
                    if isinstance(raw, dict):
                        hooks.append(compile_hook(raw, name, self._mutating, self._client))
            self._hooks, self._fingerprint = tuple(hooks), fingerprint
        return self._hooks


# --- the plugin ----------------------------------------------------------------------------------


@dataclass(slots=True)
class _Invocation:
    """A webhook to call and the version it sees the request in."""

    hook: Hook
    resource: Resource | None  # the equivalent resource matched (None: the request's own)


class WebhookAdmission:
    """The MutatingAdmissionWebhook and ValidatingAdmissionWebhook plugins."""

    def __init__(self, registry: Registry, objects: ObjectStore, client: WebhookClient) -> None:
        self._registry = registry
        self._objects = objects
        self._client = client
        mutating = registry.get(GROUP, "v1", "mutatingwebhookconfigurations")
        validating = registry.get(GROUP, "v1", "validatingwebhookconfigurations")
        assert mutating is not None and validating is not None
        self._mutating = _Source(objects, mutating, client)
        self._validating = _Source(objects, validating, client)

    def admits(self, attrs: Attributes, obj: Obj | None, old: Obj | None) -> bool:
        return not self._mutating.idle()

    def validates(self, attrs: Attributes, obj: Obj | None, old: Obj | None) -> bool:
        return not self._validating.idle()

    async def admit(self, attrs: Attributes, obj: Obj | None, old: Obj | None) -> None:
        hooks = await self._mutating.hooks()
        if not hooks or (attrs.group == GROUP and attrs.kind in _EXEMPT_KINDS):
            return
        invoked_reinvocable: list[int] = []
        reinvoke: set[int] = set()
        for i, hook in enumerate(hooks):
            inv = await self._should_call(hook, attrs, obj, old)
            if inv is None:
                continue
            if await self._call_mutating(inv, attrs, obj, old, 0, i):
                reinvoke.update(invoked_reinvocable)
            if hook.reinvoke:
                invoked_reinvocable.append(i)
        if not reinvoke:
            return
        for i, hook in enumerate(hooks):
            if i in reinvoke:
                inv = await self._should_call(hook, attrs, obj, old)
                if inv is not None:
                    await self._call_mutating(inv, attrs, obj, old, 1, i)

    async def validate(self, attrs: Attributes, obj: Obj | None, old: Obj | None) -> None:
        hooks = await self._validating.hooks()
        if not hooks or (attrs.group == GROUP and attrs.kind in _EXEMPT_KINDS):
            return
        invocations = []
        for hook in hooks:
            inv = await self._should_call(hook, attrs, obj, old)
            if inv is not None:
                invocations.append(inv)
        if not invocations:
            return
        results = await asyncio.gather(*(self._call_validating(inv, attrs, obj, old, i)
                                         for i, inv in enumerate(invocations)), return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                raise result

    # --- matching ------------------------------------------------------------------------------

    async def _should_call(self, hook: Hook, attrs: Attributes, obj: Obj | None,
                           old: Obj | None) -> _Invocation | None:
        """kube's ``ShouldCallHook``: selectors, rules (and equivalents), then match conditions."""
        ns_match, ns_error = await self._namespace_matches(hook, attrs, obj)
        if not ns_match and ns_error is None:
            return None
        obj_match = hook.object_selector is None or any(
            o is not None and hook.object_selector.matches((o.get("metadata") or {}).get("labels"))
            for o in (obj, old))
        if not obj_match and not hook.selector_error:
            return None
        op = _OPERATIONS.get(attrs.verb, attrs.verb.upper())
        inv = None
        if any(r.matches(op, attrs.group, attrs.version, attrs.resource, attrs.subresource, attrs.namespace)
               for r in hook.rules):
            inv = _Invocation(hook, None)
        elif hook.equivalent:
            own = self._registry.get(attrs.group, attrs.version, attrs.resource)
            for rule in hook.rules:
                for eq in self._registry.find_storage(own.key_prefix) if own is not None else []:
                    if eq is own or (eq.plural != attrs.resource and eq.storage_resource != attrs.resource):
                        continue
                    if rule.matches(op, eq.group, eq.version, eq.plural, attrs.subresource, attrs.namespace):
                        inv = _Invocation(hook, eq)
                        break
                if inv is not None:
                    break
        if inv is None:
            return None
        if ns_error is not None:
            raise ns_error
        if hook.selector_error:
            raise errors.internal_error(hook.selector_error)
        if hook.conditions and not await self._conditions_match(inv, attrs, obj, old):
            return None
        return inv

    async def _namespace_matches(self, hook: Hook, attrs: Attributes,
                                 obj: Obj | None) -> tuple[bool, errors.StatusError | None]:
        sel = hook.namespace_selector
        is_namespace = attrs.group == "" and attrs.resource == "namespaces"
        if sel is None or (not attrs.namespace and not is_namespace):
            return True, None
        if is_namespace and not attrs.subresource and attrs.verb in ("create", "update", "patch") and obj is not None:
            return sel.matches((obj.get("metadata") or {}).get("labels")), None
        name = attrs.namespace or attrs.name
        ns = self._registry.get("", "v1", "namespaces")
        cached = None if ns is None else self._objects.cacher(ns).get(ns.key(None, name))
        if cached is None:
            return False, errors.not_found("namespaces", "", name)
        return sel.matches((cached.obj.get("metadata") or {}).get("labels")), None

    async def _conditions_match(self, inv: _Invocation, attrs: Attributes, obj: Obj | None,
                                old: Obj | None) -> bool:
        """kube's matchconditions matcher: any false skips; errors follow the failure policy."""
        hook = inv.hook
        new, prior = await self._versioned(inv, obj, old)
        request = _request(inv, attrs, new, prior, str(uuid.uuid4()))
        request.pop("object", None)
        request.pop("oldObject", None)
        ctx = evaluate.interpreter().Context(
            variables={"object": new, "oldObject": prior, "request": request}, functions=dict(LIBRARY))
        failures: list[str] = []
        for name, program, error in hook.conditions:
            if program is None:
                failures.append(f"compilation failed: {error}")
                continue
            try:
                result = program.execute(ctx)
            except Exception as exc:  # an evaluation error, worded by the CEL engine
                failures.append(f"expression '{name}' resulted in error: {evaluate._eval_error(exc)}")
                continue
            if result is False:
                return False
            if result is not True:
                failures.append(f"expression '{name}' resulted in error: no such overload")
        if failures:
            if hook.ignore_failures:
                return False
            message = failures[0] if len(failures) == 1 else "[" + ", ".join(failures) + "]"
            qualified = f"{attrs.resource}.{attrs.group}" if attrs.group else attrs.resource
            details: Obj = {"name": attrs.name} if attrs.name else {}
            if attrs.group:
                details["group"] = attrs.group
            details["kind"] = attrs.resource
            raise errors.StatusError(403, "Forbidden", f'{qualified} "{attrs.name}" is forbidden: {message}',
                                     details=details)
        return True

    async def _versioned(self, inv: _Invocation, obj: Obj | None, old: Obj | None) -> tuple[Obj | None, Obj | None]:
        """The objects as the matched (equivalent) version shows them."""
        if inv.resource is None:
            return obj, old
        return (None if obj is None else await self._objects.convert_to(inv.resource, obj),
                None if old is None else await self._objects.convert_to(inv.resource, old))

    # --- calls ---------------------------------------------------------------------------------

    async def _review(self, inv: _Invocation, attrs: Attributes, obj: Obj | None,
                      old: Obj | None) -> tuple[str, Obj]:
        hook = inv.hook
        if attrs.dry_run and hook.side_effects not in ("None", "NoneOnDryRun"):
            raise errors.bad_request(f'admission webhook "{hook.name}" does not support dry run')
        if not hook.review_version:
            raise CallError("could not create admission objects: webhook does not accept known AdmissionReview "
                            "versions (v1, v1beta1)")
        uid = str(uuid.uuid4())
        new, prior = await self._versioned(inv, obj, old)
        return uid, {"kind": "AdmissionReview", "apiVersion": f"admission.k8s.io/{hook.review_version}",
                     "request": _request(inv, attrs, new, prior, uid)}

    async def _call(self, inv: _Invocation, attrs: Attributes, obj: Obj | None, old: Obj | None) -> Obj:
        """Send the review; the verified response (kube's ``VerifyAdmissionResponse``)."""
        hook = inv.hook
        uid, review = await self._review(inv, attrs, obj, old)
        try:
            answer = await self._client.post(hook.target, review, hook.timeout)
        except CallError as exc:
            raise CallError(f"failed to call webhook: {exc}") from None
        response = answer.get("response") if isinstance(answer, dict) else None
        if not isinstance(response, dict):
            raise CallError("received invalid webhook response: webhook response was absent")
        if hook.review_version == "v1":
            if response.get("uid") != uid:
                raise CallError(f'received invalid webhook response: expected response.uid="{uid}", '
                                f'got "{response.get("uid", "")}"')
            gvk = f"{answer.get('apiVersion', '')}, Kind={answer.get('kind', '')}"
            if answer.get("apiVersion") != "admission.k8s.io/v1" or answer.get("kind") != "AdmissionReview":
                raise CallError("received invalid webhook response: expected webhook response of "
                                f"admission.k8s.io/v1, Kind=AdmissionReview, got {gvk.lstrip('/')}")
            patch, patch_type = response.get("patch"), response.get("patchType")
            if hook.mutating:
                if patch and patch_type is None:
                    raise CallError("received invalid webhook response: webhook returned response.patch but not "
                                    "response.patchType")
                if not patch and patch_type is not None:
                    raise CallError("received invalid webhook response: webhook returned response.patchType but "
                                    "not response.patch")
            else:
                if patch:
                    raise CallError("received invalid webhook response: validating webhook may not return "
                                    "response.patch")
                if patch_type is not None:
                    raise CallError("received invalid webhook response: validating webhook may not return "
                                    "response.patchType")
        for key, value in (response.get("auditAnnotations") or {}).items():
            attrs.annotations[f"{hook.name}/{key}"] = str(value)
        for warning in response.get("warnings") or []:
            if isinstance(warning, str) and warning not in attrs.warnings:
                attrs.warnings.append(warning)
        if response.get("allowed") is not True:
            raise _denied(hook.name, response.get("status"))
        return response

    async def _call_mutating(self, inv: _Invocation, attrs: Attributes, obj: Obj | None, old: Obj | None,
                             round_: int, index: int) -> bool:
        """Call one mutating webhook and apply its patch to ``obj``; whether it changed it."""
        hook = inv.hook
        changed = False
        try:
            response = await self._call(inv, attrs, obj, old)
            changed = await self._apply_patch(inv, attrs, obj, response, round_, index)
        except CallError as exc:
            if not hook.ignore_failures:
                raise errors.internal_error(f'failed calling webhook "{hook.name}": {exc}') from None
            log.warning("Failed calling webhook, failing open %s: %s", hook.name, exc)
            attrs.annotations[f"failed-open.mutation.webhook.admission.k8s.io/round_{round_}_index_{index}"] = (
                hook.name)
        finally:
            attrs.annotations[f"mutation.webhook.admission.k8s.io/round_{round_}_index_{index}"] = orjson.dumps(
                {"configuration": hook.configuration, "webhook": hook.name, "mutated": changed}).decode()
        return changed

    async def _apply_patch(self, inv: _Invocation, attrs: Attributes, obj: Obj | None, response: Obj,
                           round_: int, index: int) -> bool:
        hook = inv.hook
        raw = response.get("patch")
        if not raw:
            return False
        try:
            decoded = orjson.loads(base64.b64decode(str(raw), validate=True))
        except (binascii.Error, ValueError, orjson.JSONDecodeError) as exc:
            raise CallError(f"received undecodable patch in webhook response: {exc}") from None
        if response.get("patchType") != "JSONPatch":
            raise CallError(f'unsupported patch type "{response.get("patchType")}"')
        if not isinstance(decoded, list):
            raise CallError("received undecodable patch in webhook response: json: cannot unmarshal "
                            "object into Go value of type jsonpatch.Patch")
        if not decoded:
            return False
        if obj is None:
            raise errors.internal_error(f'admission webhook "{hook.name}" attempted to modify the object, which is '
                                        "not supported for this operation")
        versioned = obj if inv.resource is None else await self._objects.convert_to(inv.resource, obj)
        try:
            patched = apply_json_patch(versioned, decoded)
        except errors.StatusError as exc:
            raise errors.internal_error(exc.message) from None
        if inv.resource is not None:
            own = self._registry.get(attrs.group, attrs.version, attrs.resource)
            if own is not None:
                patched = await self._objects.convert_to(own, patched)
        attrs.annotations[f"patch.webhook.admission.k8s.io/round_{round_}_index_{index}"] = orjson.dumps(
            {"configuration": hook.configuration, "webhook": hook.name, "patch": decoded,
             "patchType": "JSONPatch"}).decode()
        if patched == obj:
            return False
        obj.clear()
        obj.update(patched)
        return True

    async def _call_validating(self, inv: _Invocation, attrs: Attributes, obj: Obj | None, old: Obj | None,
                               index: int) -> None:
        hook = inv.hook
        try:
            await self._call(inv, attrs, obj, old)
        except CallError as exc:
            if not hook.ignore_failures:
                raise errors.internal_error(f'failed calling webhook "{hook.name}": {exc}') from None
            log.warning("Failed calling webhook, failing open %s: %s", hook.name, exc)
            attrs.annotations[f"failed-open.validating.webhook.admission.k8s.io/round_0_index_{index}"] = hook.name


def _gvk(group: str, version: str, kind: str) -> Obj:
    return {"group": group, "version": version, "kind": kind}


def _gvr(group: str, version: str, resource: str) -> Obj:
    return {"group": group, "version": version, "resource": resource}


def _request(inv: _Invocation, attrs: Attributes, obj: Obj | None, old: Obj | None, uid: str) -> Obj:
    """An ``AdmissionRequest`` (kube's ``CreateV1AdmissionReview``; empty strings omitted)."""
    op = _OPERATIONS.get(attrs.verb, attrs.verb.upper())
    eq = inv.resource
    user = attrs.user
    user_info: Obj = {"username": user.name}
    if user.uid:
        user_info["uid"] = user.uid
    if user.groups:
        user_info["groups"] = list(user.groups)
    if user.extra:
        user_info["extra"] = user.extra
    group, version = attrs.kind_group_version or (attrs.group, attrs.version)
    request: Obj = {
        "uid": uid,
        "kind": (_gvk(eq.group, eq.version, eq.kind) if eq is not None and attrs.kind_group_version is None
                 else _gvk(group, version, attrs.kind)),
        "resource": (_gvr(eq.group, eq.version, eq.plural) if eq is not None
                     else _gvr(attrs.group, attrs.version, attrs.resource)),
    }
    if attrs.subresource:
        request["subResource"] = attrs.subresource
    request["requestKind"] = _gvk(group, version, attrs.kind)
    request["requestResource"] = _gvr(attrs.group, attrs.version, attrs.resource)
    if attrs.subresource:
        request["requestSubResource"] = attrs.subresource
    if attrs.name:
        request["name"] = attrs.name
    if attrs.namespace:
        request["namespace"] = attrs.namespace
    request["operation"] = op
    request["userInfo"] = user_info
    request["object"] = obj
    request["oldObject"] = old
    request["dryRun"] = attrs.dry_run
    options: Obj | None = None
    if op in _OPTIONS_KINDS:
        options = {"kind": _OPTIONS_KINDS[op], "apiVersion": "meta.k8s.io/v1"}
        if attrs.dry_run:
            options["dryRun"] = ["All"]
    request["options"] = options
    return request


def _denied(name: str, result: Any) -> errors.StatusError:
    """kube's ``webhookerrors.ToStatusErr``."""
    result = result if isinstance(result, dict) else {}
    code = result.get("code")
    code = code if isinstance(code, int) and code >= 400 else 400
    message, reason = str(result.get("message") or ""), str(result.get("reason") or "")
    denied_by = f'admission webhook "{name}" denied the request'
    if message:
        text = f"{denied_by}: {message}"
    elif reason:
        text = f"{denied_by}: {reason}"
    else:
        text = f"{denied_by} without explanation"
    details = result.get("details")
    return errors.StatusError(code, reason, text, details=details if isinstance(details, dict) else None)

