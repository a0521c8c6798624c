"""MutatingAdmissionPolicy: kube's ``policy/mutating`` dispatcher and patchers.

In the mutating phase, for each matching (policy, binding, param) whose matchConditions hold,
the mutations run in order on the object being written:

* ``ApplyConfiguration``: the expression builds a partial object (``Object{...}``), merged
  into the object as server-side apply merges (structured-merge-diff's typed merge with the
  kind's list and map semantics, no field ownership recorded); setting a field of an atomic
  list, map or struct is refused, as kube refuses it;
* ``JSONPatch``: the expression gives a list of ``JSONPatch{op, path, value}``, applied as an
  RFC 6902 patch.

A policy whose ``reinvocationPolicy`` is ``IfNeeded`` runs once more when a later policy
changed the object. Errors are kept or ignored by ``failurePolicy``; the first kept one refuses
the request (kube's ``policy 'NAME' with binding 'BINDING' denied request: ...``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from setpoint.apimachinery.types import Obj
from setpoint.apiserver.admission.policy import dispatch
from setpoint.apiserver.admission.policy.source import PolicySource
from setpoint.apiserver.encoding import errors
from setpoint.apiserver.encoding.patch import apply_json_patch
from setpoint.apiserver.fieldmanager import manager as fieldmanager
from setpoint.apiserver.fieldmanager import typed
from setpoint.apiserver.registry.admission import Attributes
from setpoint.apiserver.registry.objectstore import ObjectStore
from setpoint.apiserver.registry.resources import Registry


class _MutationError(Exception):
    def __init__(self, message: str, reason: str = "Invalid") -> None:
        super().__init__(message)
        self.reason = reason


def _atomics(value: Any, atom: typed.Atom, path: str, out: list[str]) -> None:
    """kube's ``findAtomics``: the paths of atomic lists, maps and structs an apply configuration sets."""
    if isinstance(value, dict) and atom.kind == "map":
        if atom.atomic:
            out.append(path)
        for k, v in value.items():
            sub = atom.field(k)
            if sub is None and atom.elem() is not typed.UNTYPED:
                sub = atom.elem()
            if sub is not None:
                _atomics(v, sub, f"{path}.{k}", out)
    elif isinstance(value, list) and atom.kind == "list":
        if atom.atomic:
            out.append(path)
        for i, v in enumerate(value):
            _atomics(v, atom.elem(), f"{path}[{i}]", out)


class MutatingPolicyAdmission:
    """The ``MutatingAdmissionPolicy`` admission plugin of one server."""

    validating = False

    def __init__(self, registry: Registry, objects: ObjectStore,
                 authorize: Callable[[Attributes], tuple[bool, str]] | None = None) -> None:
        self._registry = registry
        self.source = PolicySource(registry, objects, "mutatingadmissionpolicies", "mutatingadmissionpolicybindings")
        self.authorize = authorize

    async def validate(self, attrs: Attributes, obj: Obj | None, old: Obj | None) -> None:
        return None

    def admits(self, attrs: Attributes, obj: Obj | None, old: Obj | None) -> bool:
        return obj is not None and not self.source.idle(attrs.group, attrs.resource)

    async def admit(self, attrs: Attributes, obj: Obj | None, old: Obj | None) -> None:
        await self.source.fresh()
        hooks = self.source.hooks_for(attrs.group, attrs.resource)
        if not hooks or obj is None:
            return
        req = dispatch.Request(self.source, attrs, self.authorize, obj)
        invocations, config_errors = dispatch.invocations(self.source, hooks, req, obj, old)
        failures: list[tuple[dispatch.ConfigError, str]] = [(e, "") for e in config_errors]
        invoked: list[dispatch.Invocation] = []
        changed_after: dict[int, bool] = {}
        for inv in invocations:
            changed = self._invoke(inv, req, attrs, obj, old, failures)
            if changed:
                for k in changed_after:
                    changed_after[k] = True
            if inv.policy.reinvocation == "IfNeeded":
                changed_after[len(invoked)] = False
            invoked.append(inv)
        for index, changed in changed_after.items():
            if changed:  # reinvoked once, as kube's reinvocation of IfNeeded policies
                self._invoke(invoked[index], req, attrs, obj, old, failures)
        kept = [(e, reason) for e, reason in failures if e.policy.failure_policy != "Ignore"]
        if kept:
            first, reason = kept[0]
            err = dispatch.forbidden(attrs, obj, _text(first), "Forbidden", 403)
            err.reason = reason or "Forbidden"
            err.details = {**(err.details or {}), "causes": [{"message": _text(e)} for e, _ in kept]}
            raise err

    def _invoke(self, inv: dispatch.Invocation, req: dispatch.Request, attrs: Attributes, obj: Obj,
                old: Obj | None, failures: list[tuple[dispatch.ConfigError, str]]) -> bool:
        """Run one invocation's mutations on ``obj`` (in place); whether it changed."""
        act = req.activation(inv, obj, old)
        for _name, cond in inv.policy.conditions:
            value, err = act.run(cond)
            if err:
                failures.append((dispatch.ConfigError(inv.policy, inv.binding, err), "Invalid"))
                return False
            if value is not True:
                return False
        changed = False
        for patch_type, expr in inv.policy.mutations:
            try:
                value, err = act.run(expr)
                if err:
                    raise _MutationError(err)
                new = (self._apply(attrs, obj, value) if patch_type == "ApplyConfiguration"
                       else self._json_patch(obj, value))
            except _MutationError as exc:
                failures.append((dispatch.ConfigError(inv.policy, inv.binding, str(exc)), exc.reason))
                continue
            if new != obj:
                obj.clear()
                obj.update(new)
                changed = True
                act = req.activation(inv, obj, old)
        return changed

    def _apply(self, attrs: Attributes, obj: Obj, value: Any) -> Obj:
        if not isinstance(value, dict):
            raise _MutationError(f"unsupported return type from ApplyConfiguration expression: {type(value).__name__}")
        resource = self._registry.get(attrs.group, attrs.version, attrs.resource)
        atom = fieldmanager.for_resource(resource).atom if resource is not None else typed.root(None)
        atomics: list[str] = []
        _atomics(value, atom, "", atomics)
        if atomics:
            raise _MutationError("error applying patch: invalid ApplyConfiguration: may not mutate atomic arrays, "
                                 f"maps or structs: {', '.join(atomics)}")
        try:
            merged = typed.merge(obj, value, atom)
        except typed.TypedError as exc:
            raise _MutationError(f"error applying patch: failed to merge patch: {exc}") from None
        if not isinstance(merged, dict):
            raise _MutationError("error applying patch: the result is not an object")
        return merged

    def _json_patch(self, obj: Obj, value: Any) -> Obj:
        if not isinstance(value, list):
            raise _MutationError(f"unsupported return type from JSONPatch expression: {type(value).__name__}")
        try:
            return apply_json_patch(obj, value)
        except errors.StatusError as exc:
            raise _MutationError(f"JSON Patch: {exc.message}") from None


def _text(e: dispatch.ConfigError) -> str:
    if e.binding is not None:
        return f"policy '{e.policy.name}' with binding '{e.binding.name}' denied request: {e.message}"
    return f'policy "{e.policy.name}" denied request: {e.message}'
