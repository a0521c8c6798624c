"""Taints and tolerations, as kube's ``Toleration.ToleratesTaint`` (``k8s.io/api/core/v1``) answers
them: shared by the scheduler, the taint eviction controller and the DaemonSet controller."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def tolerates(toleration: Mapping[str, Any], taint: Mapping[str, Any]) -> bool:
    """``Toleration.ToleratesTaint``: an empty effect or key matches any; ``Exists`` any value,
    ``Equal`` (the default operator) the taint's value."""
    effect = toleration.get("effect") or ""
    if effect and effect != taint.get("effect"):
        return False
    key = toleration.get("key") or ""
    if key and key != taint.get("key"):
        return False
    operator = toleration.get("operator") or "Equal"
    if operator == "Exists":
        return True
    return operator == "Equal" and (toleration.get("value") or "") == (taint.get("value") or "")
