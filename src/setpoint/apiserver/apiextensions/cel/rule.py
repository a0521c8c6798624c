"""A compiled ``x-kubernetes-validations`` rule, as attached to a schema node."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class CompiledRule:
    """One rule of a schema node: its source, the interpreter's programs and what the checks found."""

    rule: str
    message: str
    message_expression: str
    reason: str
    field_path: str
    program: Any
    message_program: Any = None
    uses_old_self: bool = False
    optional_old_self: bool = False
    cost: int = 0
    error: str = ""
    normalized_path: list[str] = field(default_factory=list)
