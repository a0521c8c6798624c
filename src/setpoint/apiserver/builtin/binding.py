"""v1 Binding: assigning a pod to a node, as kube's ``BindingREST``
(``pkg/registry/core/pod/storage/storage.go``).

A Binding is not stored: ``bindings`` and ``pods/binding`` write ``spec.nodeName`` of the pod
(and its ``PodScheduled`` condition, and the binding's annotations) with a storage update that
bypasses the Pod strategy, as kube's does. :func:`bind` serves both the HTTP handler and the
in-process client of the built-in controllers.
"""

from __future__ import annotations

from setpoint.apimachinery import clock
from setpoint.apimachinery.types import Obj
from setpoint.apiserver.encoding import errors
from setpoint.apiserver.registry.admission import Attributes
from setpoint.apiserver.registry.objectstore import ObjectStore
from setpoint.apiserver.registry.resources import Resource, Strategy


class BindingStrategy(Strategy):
    """v1 Binding, served only for create (``bindings``): it writes the pod resource ``pods``."""

    def __init__(self, pods: Resource) -> None:
        self.pods = pods


def _binding_errors(body: Obj) -> list[errors.FieldError]:
    """``ValidatePodBinding``."""
    target = body.get("target") or {}
    out: list[errors.FieldError] = []
    kind = target.get("kind") or ""
    if kind and kind != "Node":
        out.append(errors.not_supported("target.kind", kind, ["Node", "<empty>"]))
    if not target.get("name"):
        out.append(errors.required("target.name", ""))
    return out


async def bind(store: ObjectStore, pods: Resource, namespace: str | None, body: Obj, *, url_name: str | None = None,
               dry_run: bool = False, attrs: Attributes | None = None) -> None:
    """``BindingREST.Create``: assign the pod named by the binding (and the URL, for
    ``pods/{name}/binding``) to ``target.name``; kube's errors as StatusErrors."""
    kind, api_version = body.get("kind"), body.get("apiVersion")
    if (kind or "Binding") != "Binding" or (api_version or "v1") != "v1":
        raise errors.bad_request(f"not a Binding object: {kind} {api_version}")
    found = body.get("metadata")
    meta: Obj = found if isinstance(found, dict) else {}
    ns = meta.get("namespace")
    if ns and ns != namespace:
        raise errors.bad_request(
            "the namespace of the provided object does not match the namespace sent on the request")
    pod_name = url_name if url_name is not None else str(meta.get("name") or "")
    if pod_name != (meta.get("name") or ""):
        raise errors.bad_request("name in URL does not match name in Binding object")
    problems = _binding_errors(body)
    if problems:
        # A plain error from the REST storage: kube answers 500 with no reason.
        text = problems[0].message() if len(problems) == 1 else "[" + ", ".join(p.message() for p in problems) + "]"
        raise errors.unknown(text)
    node = str((body.get("target") or {}).get("name"))
    want_uid, want_rv = meta.get("uid") or "", meta.get("resourceVersion") or ""
    annotations = meta.get("annotations") if isinstance(meta.get("annotations"), dict) else {}
    key = pods.key(namespace, pod_name)

    def conflict(detail: str) -> errors.StatusError:
        return errors.conflict("pods/binding", "", pod_name, detail)

    async def assign(current: Obj) -> Obj:
        cur_meta = current["metadata"]
        for label, want, have in (("UID", want_uid, cur_meta.get("uid")),
                                  ("ResourceVersion", want_rv, cur_meta.get("resourceVersion"))):
            if want and want != have:
                raise errors.conflict("pods", "", pod_name, (
                    f"StorageError: invalid object, Code: 4, Key: {key}, ResourceVersion: 0, "
                    f"AdditionalErrorMsg: Precondition failed: {label} in precondition: {want}, "
                    f"{label} in object meta: {have}"))
        spec = current.get("spec") or {}
        if cur_meta.get("deletionTimestamp"):
            raise conflict(f"pod {pod_name} is being deleted, cannot be assigned to a host")
        if spec.get("nodeName"):
            raise conflict(f'pod {pod_name} is already assigned to node "{spec["nodeName"]}"')
        if spec.get("schedulingGates"):
            raise conflict(f"pod {pod_name} has non-empty .spec.schedulingGates")
        new = dict(current)
        new["spec"] = {**spec, "nodeName": node}
        new_meta = dict(cur_meta)
        if annotations:
            new_meta["annotations"] = {**(cur_meta.get("annotations") or {}), **annotations}
        new["metadata"] = new_meta
        status = dict(current.get("status") or {})
        conditions = [c for c in status.get("conditions") or [] if isinstance(c, dict)]
        scheduled: Obj = {"type": "PodScheduled", "status": "True", "lastProbeTime": None,
                          "lastTransitionTime": clock.now_rfc3339()}
        for i, c in enumerate(conditions):
            if c.get("type") == "PodScheduled":
                if c.get("status") == "True":
                    scheduled["lastTransitionTime"] = c.get("lastTransitionTime")
                conditions[i] = scheduled
                break
        else:
            conditions.append(scheduled)
        status["conditions"] = conditions
        new["status"] = status
        return new

    await store.guaranteed_update(pods, namespace, pod_name, assign, verb="create", subresource="binding",
                                  dry_run=dry_run, attrs=attrs)
