"""ValidatingAdmissionPolicy: kube's ``policy/validating`` dispatcher and validator.

In the validating phase, for each matching (policy, binding, param): the matchConditions,
then every validation. A failed validation (or, with ``failurePolicy: Fail``, one that could
not be evaluated) is a decision the binding's ``validationActions`` route: ``Deny`` refuses
the request with kube's message and the validation's reason (``Invalid``/422 by default),
``Warn`` adds a ``Warning`` header, ``Audit`` records the
``validation.policy.admission.k8s.io/validation_failure`` audit annotation.
``auditAnnotations`` become ``<policy>/<key>`` annotations.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from setpoint.apimachinery.types import Obj
from setpoint.apiserver.admission.policy import dispatch
from setpoint.apiserver.admission.policy.expressions import MAX_MESSAGE_BYTES, Activation
from setpoint.apiserver.admission.policy.source import PolicySource, Validation
from setpoint.apiserver.registry.admission import Attributes
from setpoint.apiserver.registry.objectstore import ObjectStore
from setpoint.apiserver.registry.resources import Registry

_REASON_CODES = {"Unauthorized": 401, "Forbidden": 403, "Invalid": 422, "RequestEntityTooLarge": 413}
_MAX_AUDIT_VALUE = 10 * 1024


@dataclass
class _Denial:
    policy: str
    binding: str | None
    message: str
    reason: str


class ValidatingPolicyAdmission:
    """The ``ValidatingAdmissionPolicy`` admission plugin of one server."""

    mutating = False

    def __init__(self, registry: Registry, objects: ObjectStore,
                 authorize: Callable[[Attributes], tuple[bool, str]] | None = None) -> None:
        self.source = PolicySource(registry, objects, "validatingadmissionpolicies",
                                   "validatingadmissionpolicybindings")
        #: How ``authorizer`` checks in expressions are answered (the server's authorizer).
        self.authorize = authorize

    async def admit(self, attrs: Attributes, obj: Obj | None, old: Obj | None) -> None:
        return None

    def validates(self, attrs: Attributes, obj: Obj | None, old: Obj | None) -> bool:
        return not self.source.idle(attrs.group, attrs.resource)

    async def validate(self, attrs: Attributes, obj: Obj | None, old: Obj | None) -> None:
        await self.source.fresh()
        hooks = self.source.hooks_for(attrs.group, attrs.resource)
        if not hooks:
            return
        req = dispatch.Request(self.source, attrs, self.authorize, obj)
        invocations, config_errors = dispatch.invocations(self.source, hooks, req, obj, old)
        denials = [_Denial(e.policy.name, e.binding.name if e.binding else None, e.message, "")
                   for e in config_errors if e.policy.failure_policy != "Ignore"]
        annotations: dict[str, list[str]] = {}
        for inv in invocations:
            self._evaluate(inv, req, obj, old, denials, annotations)
        for key, values in annotations.items():
            attrs.annotations[key] = ", ".join(values)
        if denials:
            d = denials[0]
            message = (f"ValidatingAdmissionPolicy '{d.policy}' with binding '{d.binding}' denied request: {d.message}"
                       if d.binding is not None else
                       f"ValidatingAdmissionPolicy '{d.policy}' denied request: {d.message}")
            reason = d.reason or "Invalid"
            raise dispatch.forbidden(attrs, obj, message, reason, _REASON_CODES.get(reason, 422))

    def _evaluate(self, inv: dispatch.Invocation, req: dispatch.Request, obj: Obj | None, old: Obj | None,
                  denials: list[_Denial], annotations: dict[str, list[str]]) -> None:
        policy, binding = inv.policy, inv.binding
        fail = policy.failure_policy != "Ignore"
        act = req.activation(inv, obj, old)
        decisions: list[tuple[int, str, str]] = []  # (index, message, reason) of each failure
        # matchConditions: any false skips the policy; otherwise an error is a failure.
        errors: list[str] = []
        for _name, cond in policy.conditions:
            value, err = act.run(cond)
            if err:
                errors.append(err)
            elif value is False:
                return
        if errors:
            if fail:
                decisions.append((0, "; ".join(errors), ""))
        else:
            for i, v in enumerate(policy.validations):
                value, err = act.run(v.expression)
                if err:
                    if fail:
                        decisions.append((i, err, ""))
                    continue
                if value is True:
                    continue
                decisions.append((i, _message(act, v), v.reason or "Invalid"))
            for key, expr in policy.audit_annotations:
                value, err = act.run(expr)
                if err or not (value is None or isinstance(value, str)):
                    if fail:
                        denials.append(_Denial(policy.name, binding.name, err or (
                            f"valueExpression '{expr.source}' resulted in unsupported return type: "
                            f"{type(value).__name__}. Return type must be either string or null."), ""))
                    continue
                if isinstance(value, str) and value.strip():
                    values = annotations.setdefault(f"{policy.name}/{key}", [])
                    text = value.strip()[:_MAX_AUDIT_VALUE]
                    if text not in values:
                        values.append(text)
        for index, message, reason in decisions:
            for action in binding.actions:
                if action == "Deny":
                    denials.append(_Denial(policy.name, binding.name, message, reason))
                elif action == "Warn":
                    req.attrs.warnings.append(f"Validation failed for ValidatingAdmissionPolicy '{policy.name}' "
                                              f"with binding '{binding.name}': {message}")
                elif action == "Audit":
                    req.attrs.annotations["validation.policy.admission.k8s.io/validation_failure"] = json.dumps(
                        [{"message": message, "policy": policy.name, "binding": binding.name,
                          "expressionIndex": index, "validationActions": list(binding.actions)}],
                        separators=(",", ":"))


def _message(act: Activation, v: Validation) -> str:
    """The failure message: the messageExpression's, else ``message``, else the expression."""
    if v.message_expression is not None:
        value, err = act.run(v.message_expression)
        if not err and isinstance(value, str):
            text = value.strip()
            if text and len(text.encode()) <= MAX_MESSAGE_BYTES and "\n" not in text:
                return text
    if v.message.strip():
        return v.message.strip()
    return f"failed expression: {v.expression.source.strip()}"
