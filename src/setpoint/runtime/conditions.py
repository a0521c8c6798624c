"""Conditions with ``metav1.Condition`` semantics (apimachinery's ``meta.SetStatusCondition``).

A condition is ``{type, status, observedGeneration, lastTransitionTime, reason, message}``.
:func:`set_condition` adds or updates one in a list you own (a mutable status):
``lastTransitionTime`` moves only when ``status`` changes; reason, message and
observedGeneration are always updated. Setting the same values again changes nothing,
so :func:`setpoint.runtime.status.update_status` then sends nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from setpoint.apimachinery.clock import now_rfc3339

TRUE, FALSE, UNKNOWN = "True", "False", "Unknown"


def now() -> str:
    """A ``metav1.Time`` string for the current second."""
    return now_rfc3339()


def get_condition(conditions: Iterable[Mapping[str, Any]] | None, type: str) -> Mapping[str, Any] | None:
    for c in conditions or ():
        if c.get("type") == type:
            return c
    return None


def is_true(conditions: Iterable[Mapping[str, Any]] | None, type: str) -> bool:
    c = get_condition(conditions, type)
    return c is not None and c.get("status") == TRUE


def set_condition(conditions: list[dict[str, Any]], type: str, status: str, reason: str, message: str = "",
                  *, observed_generation: int | None = None, transition_time: str | None = None) -> bool:
    """Add or update the condition ``type``; returns True if anything changed."""
    if status not in (TRUE, FALSE, UNKNOWN):
        raise ValueError(f"condition status must be True, False or Unknown, not {status!r}")
    for c in conditions:
        if c.get("type") != type:
            continue
        changed = False
        if c.get("status") != status:
            c["status"] = status
            c["lastTransitionTime"] = transition_time or now()
            changed = True
        for field, value in (("reason", reason), ("message", message)):
            if c.get(field) != value:
                c[field] = value
                changed = True
        if observed_generation is not None and c.get("observedGeneration") != observed_generation:
            c["observedGeneration"] = observed_generation
            changed = True
        return changed
    new: dict[str, Any] = {"type": type, "status": status, "lastTransitionTime": transition_time or now(),
                           "reason": reason, "message": message}
    if observed_generation is not None:
        new["observedGeneration"] = observed_generation
    conditions.append(new)
    return True


def remove_condition(conditions: list[dict[str, Any]], type: str) -> bool:
    for i, c in enumerate(conditions):
        if c.get("type") == type:
            del conditions[i]
            return True
    return False
