"""What a reconciler gets and gives back: a :class:`Request` in, a :class:`Result` out.

The request names an object -- nothing else. The reconciler is not told why it
runs (created? changed? a child changed? a resync?): it reads the current state
(from the cache) and makes the world match it. That is what makes it level-based.

* return ``None`` or ``Result()``: done; run again when something changes;
* return ``Result(requeue_after=30)``: run again in 30 s (even if nothing changes);
* raise an exception: retried with per-item exponential backoff (rate-limited);
* raise :class:`TerminalError`: logged and counted, not retried until a change.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol


class Request(NamedTuple):
    """The object to reconcile: ``namespace`` is ``""`` for cluster-scoped objects."""

    namespace: str
    name: str

    def __str__(self) -> str:
        return f"{self.namespace}/{self.name}" if self.namespace else self.name

    @classmethod
    def of(cls, obj: Mapping[str, Any]) -> Request:
        meta = obj["metadata"]
        return cls(meta.get("namespace") or "", meta["name"])


@dataclass(frozen=True, slots=True)
class Result:
    """The outcome of a reconcile: ``requeue_after`` seconds, or ``None`` to wait for a change."""

    requeue_after: float | None = None


class TerminalError(Exception):
    """A failure that retrying cannot fix: counted, logged, and not requeued."""


ReconcileFunc = Callable[[Request], Awaitable[Result | None]]


class Reconciler(Protocol):
    async def reconcile(self, request: Request) -> Result | None: ...


def as_func(reconciler: Reconciler | ReconcileFunc) -> ReconcileFunc:
    """Accept an object with an async ``reconcile`` method, or an async function; refuse a plain
    function at once (it would fail on every run with "object NoneType can't be used in 'await'")."""
    method = getattr(reconciler, "reconcile", None)
    if method is not None and callable(method):
        fn: ReconcileFunc = method
        _check_async(fn, f"{type(reconciler).__name__}.reconcile")
        return fn
    if callable(reconciler):
        _check_async(reconciler, getattr(reconciler, "__qualname__", repr(reconciler)))
        return reconciler
    raise TypeError(f"{reconciler!r} is neither an async function nor has a reconcile() method")


def _check_async(fn: Callable[..., Any], name: str) -> None:
    target = fn.func if isinstance(fn, functools.partial) else fn
    call = None if inspect.isroutine(target) else type(target).__call__  # an object with async __call__
    if inspect.iscoroutinefunction(target) or (call is not None and inspect.iscoroutinefunction(call)):
        return
    raise TypeError(f"the reconciler {name} is not async: define it as `async def {name.rpartition('.')[2]}"
                    f"(request)` (setpoint awaits it)")
