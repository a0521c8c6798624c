"""Mistakes in the functions you hand the runtime, caught early and said plainly.

When a controller is built, :func:`check_sync_one_arg` refuses a mapping, index or predicate
function that is ``async`` (the runtime calls them synchronously, from the informer) or does not
take exactly one argument (the object; two for an update predicate), and :func:`check_predicates`
a plain function given where a predicate is expected. What it returns can only be known when it runs:
:func:`requests_of` and :func:`index_values_of` check every answer and raise
:class:`WrongReturn` -- naming the function and saying what to write instead -- for a
``str``, a single :class:`~setpoint.runtime.reconcile.Request`, a dict, a coroutine or
anything else that is not a list of the right things. (A ``str`` is iterable: without the
check an index function returning ``"ns/name"`` would index the object under each of its
characters, and the events it should map would silently wake nothing.)
"""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from setpoint.runtime.reconcile import Request


class WrongReturn(TypeError):
    """A mapping or index function returned something it must not."""


class Reported:
    """Calls ``fn`` and checks its answer with ``check``; a wrong answer is logged as an error the first
    time (DEBUG after that) and counts as no answer, so the informer that called it carries on."""

    __slots__ = ("check", "fn", "log", "reported")

    def __init__(self, fn: Callable[[Any], Any], check: Callable[[Callable[..., Any], object], Any],
                 log: logging.Logger) -> None:
        self.fn = fn
        self.check = check
        self.reported = False
        self.log = log

    def __call__(self, obj: Any) -> Any:
        try:
            return self.check(self.fn, self.fn(obj))
        except WrongReturn as e:
            if not self.reported:
                self.reported = True
                self.log.error("%s", e)
            else:
                self.log.debug("%s", e)
            return ()


def name_of(fn: Callable[..., Any]) -> str:
    """How to name ``fn`` in a message: its qualified name (through partials), else its repr."""
    target = fn.func if isinstance(fn, functools.partial) else fn
    return str(getattr(target, "__qualname__", None) or repr(fn))


def _is_async(fn: Callable[..., Any]) -> bool:
    target = fn.func if isinstance(fn, functools.partial) else fn
    if inspect.iscoroutinefunction(target) or inspect.isasyncgenfunction(target):
        return True
    if not inspect.isroutine(target) and not inspect.isclass(target) and callable(target):
        call = type(target).__call__  # an object with a __call__ method
        return inspect.iscoroutinefunction(call) or inspect.isasyncgenfunction(call)
    return False


def check_sync_one_arg(fn: Any, role: str, usage: str, *, args: int = 1) -> None:
    """Refuse ``fn`` unless it is a plain (not async) callable taking exactly ``args`` positional arguments.

    ``role`` names it in the message ("mapping function"), ``usage`` shows the right shape
    (``def f(obj) -> list[Request]``).
    """
    if not callable(fn):
        raise TypeError(f"the {role} {fn!r} is not callable: write `{usage}`")
    name = name_of(fn)
    if _is_async(fn):
        raise TypeError(f"the {role} {name} is async: setpoint calls it synchronously, from the informer; "
                        f"write `{usage}` (read the cache, which needs no await)")
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):  # a builtin without a signature: cannot tell
        return
    try:
        signature.bind(*(object() for _ in range(args)))
    except TypeError:
        what = "one argument, the object" if args == 1 else "two arguments, the old and the new object"
        raise TypeError(f"the {role} {name}({', '.join(signature.parameters)}) must take {what}: "
                        f"write `{usage}`") from None


def _what(value: object) -> str:
    text = repr(value)
    return f"a {type(value).__name__} {text if len(text) <= 60 else text[:57] + '...'}"


def requests_of(fn: Callable[..., Any], result: object) -> list[Request]:
    """``result`` of the mapping function ``fn`` as a list of requests, or :class:`WrongReturn`."""
    if type(result) is list:  # the usual answer: check the items only
        for item in result:
            if type(item) is not Request:
                break
        else:
            return result
    fix = "return a list of Request, e.g. `[Request(namespace, name)]` or `[Request.of(obj)]` ([] for none)"
    if isinstance(result, Request):
        raise WrongReturn(f"the mapping function {name_of(fn)} returned a single Request ({result}): {fix}")
    if result is None or isinstance(result, (str, bytes, Mapping)) or not isinstance(result, Iterable):
        if inspect.isawaitable(result):
            if inspect.iscoroutine(result):
                result.close()
            raise WrongReturn(f"the mapping function {name_of(fn)} returned an awaitable: it must not be async; "
                              f"{fix}")
        raise WrongReturn(f"the mapping function {name_of(fn)} returned {_what(result)}: {fix}")
    out = list(result)
    for item in out:
        if not isinstance(item, Request):
            raise WrongReturn(f"the mapping function {name_of(fn)} returned a list holding {_what(item)}: {fix}")
    return out


def index_values_of(fn: Callable[..., Any], result: object) -> Iterable[str]:
    """``result`` of the index function ``fn``, checked to be an iterable of ``str``, or :class:`WrongReturn`."""
    if type(result) is list or type(result) is tuple:  # the usual answers: check the items only
        for item in result:
            if not isinstance(item, str):
                raise WrongReturn(f"the index function {name_of(fn)} returned a list holding {_what(item)}: "
                                  "return a list of str, e.g. `[f\"{ns}/{name}\"]`")
        return result
    if isinstance(result, (str, bytes)):
        raise WrongReturn(f"the index function {name_of(fn)} returned a {type(result).__name__} ({result!r}), "
                          f"which would index the object under each character: return a list of str, "
                          f"e.g. `[{result!r}]` ([] for none)")
    if result is None or isinstance(result, Mapping) or not isinstance(result, Iterable):
        raise WrongReturn(f"the index function {name_of(fn)} returned {_what(result)}: return a list of str "
                          "([] for none)")
    values = list(result)
    for item in values:
        if not isinstance(item, str):
            raise WrongReturn(f"the index function {name_of(fn)} returned {_what(item)} among its values: "
                              "return a list of str")
    return values


def check_predicates(predicates: tuple[Any, ...], where: str) -> None:
    """Refuse anything but :class:`~setpoint.runtime.predicate.Predicate` s (a plain function, say)."""
    for p in predicates:
        if not all(callable(getattr(p, m, None)) for m in ("create", "update", "delete")):
            shown = name_of(p) if callable(p) else repr(p)
            raise TypeError(f"{where}: {shown} is not a predicate: wrap a function in one, e.g. "
                            "`predicate.matching(fn)` (every event of objects for which fn(obj) is true) or "
                            "`predicate.func(create=..., update=..., delete=...)`")
