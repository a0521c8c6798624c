"""DefaultTolerationSeconds admission: every new Pod tolerates a not-ready or unreachable node
for five minutes, as kube-apiserver's plugin
(``plugin/pkg/admission/defaulttolerationseconds``) does on create.

A pod that already tolerates the taint -- a toleration with the taint's key or an empty key,
and the ``NoExecute`` or an empty effect -- is left as it is.
"""

from __future__ import annotations

from setpoint.apimachinery.types import Obj
from setpoint.apiserver.registry.admission import Attributes

NOT_READY_TAINT = "node.kubernetes.io/not-ready"
UNREACHABLE_TAINT = "node.kubernetes.io/unreachable"
#: ``--default-not-ready-toleration-seconds`` and ``--default-unreachable-toleration-seconds``.
DEFAULT_TOLERATION_SECONDS = 300


class DefaultTolerationSeconds:
    """The admission plugin (mutating only)."""

    resources = frozenset({("", "pods")})
    validating = False

    def __init__(self, not_ready_seconds: int = DEFAULT_TOLERATION_SECONDS,
                 unreachable_seconds: int = DEFAULT_TOLERATION_SECONDS) -> None:
        self.seconds = {NOT_READY_TAINT: not_ready_seconds, UNREACHABLE_TAINT: unreachable_seconds}

    async def admit(self, attrs: Attributes, obj: Obj | None, old: Obj | None) -> None:
        if (attrs.verb != "create" or attrs.subresource or attrs.group != "" or attrs.resource != "pods"
                or obj is None):
            return
        spec = obj.get("spec")
        if not isinstance(spec, dict):
            return
        found = spec.get("tolerations")
        tolerations = [t for t in found if isinstance(t, dict)] if isinstance(found, list) else []
        added = []
        for key, seconds in self.seconds.items():
            if not any(t.get("key", "") in (key, "") and t.get("effect", "") in ("NoExecute", "")
                       for t in tolerations):
                added.append({"key": key, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": seconds})
        if added:
            spec["tolerations"] = [*(found if isinstance(found, list) else []), *added]

    async def validate(self, attrs: Attributes, obj: Obj | None, old: Obj | None) -> None:
        return None
