"""admissionregistration.k8s.io/v1 admission policies (kube's ``pkg/registry/admissionregistration``).

ValidatingAdmissionPolicy (with ``/status``), ValidatingAdmissionPolicyBinding,
MutatingAdmissionPolicy and MutatingAdmissionPolicyBinding, all cluster-scoped. Defaulted as
kube's ``SetDefaults_*`` (``failurePolicy: Fail``, ``matchPolicy: Equivalent``, empty
namespace and object selectors, rule ``scope: "*"``) and validated as kube's
``ValidateValidatingAdmissionPolicy`` and friends, CEL expressions compiled (``compilation
failed: ...``). Declared from kube's definitions as :mod:`setpoint.apiserver.builtin` declares
its kinds; the server adds them beside the built-ins.
"""

from __future__ import annotations

from typing import Any

from setpoint.apimachinery.types import Obj
from setpoint.apiserver.admission.policy.expressions import compile_expression
from setpoint.apiserver.builtin.declare import declare
from setpoint.apiserver.encoding import errors
from setpoint.apiserver.encoding.errors import FieldError
from setpoint.apiserver.registry.resources import Column, Resource, Strategy

GROUP = "admissionregistration.k8s.io"
VERSION = "v1"
_OPERATIONS = ["*", "CONNECT", "CREATE", "DELETE", "UPDATE"]
_FAILURE_POLICIES = ["Fail", "Ignore"]
_MATCH_POLICIES = ["Equivalent", "Exact"]
_SCOPES = ["*", "Cluster", "Namespaced"]
_REASONS = ["Forbidden", "Invalid", "RequestEntityTooLarge", "Unauthorized"]
_ACTIONS = ["Audit", "Deny", "Warn"]
_NOT_FOUND_ACTIONS = ["Allow", "Deny"]
_PATCH_TYPES = ["ApplyConfiguration", "JSONPatch"]
_REINVOCATION = ["IfNeeded", "Never"]


def _dicts(value: Any) -> list[Obj]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def default_match_resources(m: Any) -> None:
    """``SetDefaults_MatchResources`` and ``SetDefaults_Rule`` of the rules in it."""
    if not isinstance(m, dict):
        return
    m.setdefault("matchPolicy", "Equivalent")
    m.setdefault("namespaceSelector", {})
    m.setdefault("objectSelector", {})
    for key in ("resourceRules", "excludeResourceRules"):
        for rule in _dicts(m.get(key)):
            rule.setdefault("scope", "*")


def _compile_errors(path: str, src: Any, variables: frozenset[str], what: str = "compilation failed") -> list[FieldError]:
    if not isinstance(src, str) or not src.strip():
        return [errors.required(path, "expression is not specified")]
    expr = compile_expression(src, variables)
    return [errors.invalid(path, src, f"{what}: {expr.error}")] if expr.error else []


def _validate_rules(rules: Any, path: str) -> list[FieldError]:
    out: list[FieldError] = []
    for i, rule in enumerate(_dicts(rules)):
        p = f"{path}[{i}]"
        ops = rule.get("operations")
        if not ops:
            out.append(errors.required(f"{p}.operations", ""))
        for j, op in enumerate(ops or []):
            if op not in _OPERATIONS:
                out.append(errors.not_supported(f"{p}.operations[{j}]", op, _OPERATIONS))
        for key in ("apiGroups", "apiVersions", "resources"):
            if not rule.get(key):
                out.append(errors.required(f"{p}.{key}", ""))
        scope = rule.get("scope")
        if scope is not None and scope not in _SCOPES:
            out.append(errors.not_supported(f"{p}.scope", scope, _SCOPES))
    return out


def _validate_match_resources(m: Any, path: str) -> list[FieldError]:
    if not isinstance(m, dict):
        return []
    out: list[FieldError] = []
    policy = m.get("matchPolicy")
    if policy is not None and policy not in _MATCH_POLICIES:
        out.append(errors.not_supported(f"{path}.matchPolicy", policy, _MATCH_POLICIES))
    out += _validate_rules(m.get("resourceRules"), f"{path}.resourceRules")
    out += _validate_rules(m.get("excludeResourceRules"), f"{path}.excludeResourceRules")
    return out


def _validate_common(spec: Obj, path: str) -> tuple[list[FieldError], frozenset[str]]:
    """failurePolicy, matchConstraints, matchConditions, variables: shared by both policy kinds."""
    out: list[FieldError] = []
    fp = spec.get("failurePolicy")
    if fp is not None and fp not in _FAILURE_POLICIES:
        out.append(errors.not_supported(f"{path}.failurePolicy", fp, _FAILURE_POLICIES))
    mc = spec.get("matchConstraints")
    if not isinstance(mc, dict):
        out.append(errors.required(f"{path}.matchConstraints", ""))
    else:
        out += _validate_match_resources(mc, f"{path}.matchConstraints")
        if not mc.get("resourceRules"):
            out.append(errors.required(f"{path}.matchConstraints.resourceRules", ""))
    names: set[str] = set()
    for i, v in enumerate(_dicts(spec.get("variables"))):
        p = f"{path}.variables[{i}]"
        name = v.get("name")
        if not isinstance(name, str) or not name:
            out.append(errors.required(f"{p}.name", "name is not specified"))
        out += _compile_errors(f"{p}.expression", v.get("expression"), frozenset(names))
        if isinstance(name, str):
            names.add(name)
    seen: set[str] = set()
    for i, c in enumerate(_dicts(spec.get("matchConditions"))):
        p = f"{path}.matchConditions[{i}]"
        name = c.get("name")
        if not name:
            out.append(errors.required(f"{p}.name", ""))
        elif name in seen:
            out.append(errors.duplicate(f"{p}.name", name))
        seen.add(str(name))
        out += _compile_errors(f"{p}.expression", c.get("expression"), frozenset())
    pk = spec.get("paramKind")
    if isinstance(pk, dict):
        for key in ("apiVersion", "kind"):
            if not pk.get(key):
                out.append(errors.required(f"{path}.paramKind.{key}", ""))
    return out, frozenset(names)


class ValidatingPolicyStrategy(Strategy):
    """``validatingAdmissionPolicyStrategy``: status kept apart, spec validated and compiled."""

    def prepare_for_create(self, obj: Obj) -> None:
        obj.pop("status", None)
        spec = obj.setdefault("spec", {})
        if isinstance(spec, dict):
            spec.setdefault("failurePolicy", "Fail")
            default_match_resources(spec.get("matchConstraints"))

    def prepare_for_update(self, obj: Obj, old: Obj) -> None:
        if "status" in old:
            obj["status"] = old["status"]
        else:
            obj.pop("status", None)
        spec = obj.get("spec")
        if isinstance(spec, dict):
            spec.setdefault("failurePolicy", "Fail")
            default_match_resources(spec.get("matchConstraints"))

    def validate(self, obj: Obj) -> list[FieldError]:
        spec = obj.get("spec")
        spec = spec if isinstance(spec, dict) else {}
        out, names = _validate_common(spec, "spec")
        validations = _dicts(spec.get("validations"))
        annotations = _dicts(spec.get("auditAnnotations"))
        if not validations and not annotations:
            detail = "validations or auditAnnotations must contain at least one item"
            return [*out, errors.required("spec.validations", detail), errors.required("spec.auditAnnotations", detail)]
        for i, v in enumerate(validations):
            p = f"spec.validations[{i}]"
            out += _compile_errors(f"{p}.expression", v.get("expression"), names)
            msg = v.get("message")
            if isinstance(msg, str) and "\n" in msg:
                out.append(errors.invalid(f"{p}.message", msg, "must not contain line breaks"))
            mexpr = v.get("messageExpression")
            if isinstance(mexpr, str):
                if not mexpr.strip():
                    out.append(errors.invalid(f"{p}.messageExpression", mexpr, "must be non-empty if specified"))
                else:
                    out += _compile_errors(f"{p}.messageExpression", mexpr, names)
            reason = v.get("reason")
            if reason is not None and reason not in _REASONS:
                out.append(errors.not_supported(f"{p}.reason", reason, _REASONS))
        keys: set[str] = set()
        for i, a in enumerate(annotations):
            p = f"spec.auditAnnotations[{i}]"
            key = a.get("key")
            if not key:
                out.append(errors.required(f"{p}.key", ""))
            elif key in keys:
                out.append(errors.duplicate(f"{p}.key", key))
            keys.add(str(key))
            out += _compile_errors(f"{p}.valueExpression", a.get("valueExpression"), names)
        return out

    def validate_update(self, obj: Obj, old: Obj) -> list[FieldError]:
        return self.validate(obj)


def _validate_param_ref(ref: Any, path: str) -> list[FieldError]:
    if not isinstance(ref, dict):
        return []
    out: list[FieldError] = []
    if ref.get("name") and ref.get("selector") is not None:
        out.append(errors.forbidden(f"{path}.name", "name and selector are mutually exclusive"))
    action = ref.get("parameterNotFoundAction")
    if action is None:
        out.append(errors.required(f"{path}.parameterNotFoundAction", ""))
    elif action not in _NOT_FOUND_ACTIONS:
        out.append(errors.not_supported(f"{path}.parameterNotFoundAction", action, _NOT_FOUND_ACTIONS))
    return out


class BindingStrategy(Strategy):
    """The bindings of both kinds: ``policyName`` required, ``matchResources`` defaulted."""

    def __init__(self, validating: bool) -> None:
        self.validating = validating

    def _default(self, obj: Obj) -> None:
        spec = obj.get("spec")
        if isinstance(spec, dict):
            default_match_resources(spec.get("matchResources"))

    def prepare_for_create(self, obj: Obj) -> None:
        self._default(obj)

    def prepare_for_update(self, obj: Obj, old: Obj) -> None:
        self._default(obj)

    def validate(self, obj: Obj) -> list[FieldError]:
        spec = obj.get("spec")
        spec = spec if isinstance(spec, dict) else {}
        out: list[FieldError] = []
        if not spec.get("policyName"):
            out.append(errors.required("spec.policyName", ""))
        out += _validate_match_resources(spec.get("matchResources"), "spec.matchResources")
        out += _validate_param_ref(spec.get("paramRef"), "spec.paramRef")
        if self.validating:
            actions = spec.get("validationActions")
            if not actions:
                out.append(errors.required("spec.validationActions", ""))
            seen: set[str] = set()
            for i, a in enumerate(actions or []):
                if a not in _ACTIONS:
                    out.append(errors.not_supported(f"spec.validationActions[{i}]", a, _ACTIONS))
                elif a in seen:
                    out.append(errors.duplicate(f"spec.validationActions[{i}]", a))
                seen.add(str(a))
            if "Deny" in seen and "Warn" in seen:
                out.append(errors.invalid("spec.validationActions", actions,
                                          "must not contain both Deny and Warn (repeating the same validation "
                                          "failure information in the API response and headers serves no purpose)"))
        return out


class MutatingPolicyStrategy(Strategy):
    """``mutatingAdmissionPolicyStrategy``."""

    def _default(self, obj: Obj) -> None:
        spec = obj.get("spec")
        if isinstance(spec, dict):
            spec.setdefault("failurePolicy", "Fail")
            default_match_resources(spec.get("matchConstraints"))

    def prepare_for_create(self, obj: Obj) -> None:
        obj.setdefault("spec", {})
        self._default(obj)

    def prepare_for_update(self, obj: Obj, old: Obj) -> None:
        self._default(obj)

    def validate(self, obj: Obj) -> list[FieldError]:
        spec = obj.get("spec")
        spec = spec if isinstance(spec, dict) else {}
        out, names = _validate_common(spec, "spec")
        mutations = _dicts(spec.get("mutations"))
        if not mutations:
            out.append(errors.required("spec.mutations", "mutations must contain at least one item"))
        for i, m in enumerate(mutations):
            p = f"spec.mutations[{i}]"
            pt = m.get("patchType")
            if pt not in _PATCH_TYPES:
                out.append(errors.required(f"{p}.patchType", "") if not pt
                           else errors.not_supported(f"{p}.patchType", pt, _PATCH_TYPES))
                continue
            sub = "applyConfiguration" if pt == "ApplyConfiguration" else "jsonPatch"
            body = m.get(sub)
            if not isinstance(body, dict):
                out.append(errors.required(f"{p}.{sub}", f"{sub} is required for patchType {pt}"))
                continue
            out += _compile_errors(f"{p}.{sub}.expression", body.get("expression"), names)
        rp = spec.get("reinvocationPolicy")
        if rp is not None and rp not in _REINVOCATION:
            out.append(errors.not_supported("spec.reinvocationPolicy", rp, _REINVOCATION))
        return out

    def validate_update(self, obj: Obj, old: Obj) -> list[FieldError]:
        return self.validate(obj)


def _binding_policy(o: Obj) -> str:
    spec = o.get("spec")
    return str(spec.get("policyName") or "") if isinstance(spec, dict) else ""


def _param_kind(o: Obj) -> str:
    spec = o.get("spec")
    pk = spec.get("paramKind") if isinstance(spec, dict) else None
    if not isinstance(pk, dict):
        return "<unset>"
    return f"{pk.get('apiVersion', '')}/{pk.get('kind', '')}"


def _param_ref(o: Obj) -> str:
    spec = o.get("spec")
    ref = spec.get("paramRef") if isinstance(spec, dict) else None
    if not isinstance(ref, dict):
        return "<unset>"
    return f"{ref.get('namespace', '')}/{ref.get('name', '')}".lstrip("/") or "*/*"


def resources() -> list[Resource]:
    """admissionregistration.k8s.io's policy kinds, freshly made."""
    return [
        declare(GROUP, VERSION, "ValidatingAdmissionPolicy", "validatingadmissionpolicies",
                "validatingadmissionpolicy", False, ValidatingPolicyStrategy(), categories=("api-extensions",),
                subresources=frozenset({"status"}),
                columns=(Column("Validations", "integer", lambda o: len(_dicts((o.get("spec") or {}).get(
                    "validations")))), Column("ParamKind", "string", _param_kind))),
        declare(GROUP, VERSION, "ValidatingAdmissionPolicyBinding", "validatingadmissionpolicybindings",
                "validatingadmissionpolicybinding", False, BindingStrategy(True), categories=("api-extensions",),
                columns=(Column("PolicyName", "string", _binding_policy), Column("ParamRef", "string", _param_ref))),
        declare(GROUP, VERSION, "MutatingAdmissionPolicy", "mutatingadmissionpolicies",
                "mutatingadmissionpolicy", False, MutatingPolicyStrategy(), categories=("api-extensions",),
                columns=(Column("Mutations", "integer", lambda o: len(_dicts((o.get("spec") or {}).get(
                    "mutations")))), Column("ParamKind", "string", _param_kind))),
        declare(GROUP, VERSION, "MutatingAdmissionPolicyBinding", "mutatingadmissionpolicybindings",
                "mutatingadmissionpolicybinding", False, BindingStrategy(False), categories=("api-extensions",),
                columns=(Column("PolicyName", "string", _binding_policy), Column("ParamRef", "string", _param_ref))),
    ]
