"""The watcher: list, then watch, forever -- a state machine moved by one step function.

States (kube-rs ``watcher.rs`` shape):

* :class:`Empty` -- nothing known; the next step lists (first page);
* :class:`Listing` -- paging through the list (``continue`` tokens, 500 a page);
* :class:`ListDone` -- the last page was handed out; the next step reports it done;
* :class:`Listed` -- the list (or the last watch) ended at ``resource_version``;
  the next step opens a watch from there;
* :class:`Watching` -- a watch stream is open; each step reads one event.

:func:`step` takes a state, performs at most one request or read, and returns
``(event or None, next state)``; ``None`` means "call again" (a trampoline).
Events: :class:`Init` (a list begins), :class:`Page` (objects of the list),
:class:`InitDone` (the list is complete: swap it in), :class:`Apply`,
:class:`Delete`, and :class:`Failed` (an error, after which the driver backs off).

Recovery: a watch that ends is reopened from the last resourceVersion seen
(bookmarks move it too); a 410 Gone -- as an ERROR event or an answer -- or a
watch the server refuses for any other reason starts over with a list; a
connection failure retries the same step after a backoff.

:func:`watch` drives the machine with the default backoff (client-go's 800 ms ->
30 s with jitter; reset once a watch delivers events). Tests drive :func:`step`
with a fake :class:`ListWatch`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from setpoint.apimachinery.types import Obj
from setpoint.runtime import errors
from setpoint.runtime.backoff import Backoff
from setpoint.runtime.client import Client, KindLike
from setpoint.runtime.errors import ConnectionFailed

log = logging.getLogger(__name__)



class Stream(Protocol):
    """An open watch: ``(type, object)`` pairs until it ends."""

    def __aiter__(self) -> Stream: ...
    async def __anext__(self) -> tuple[str, Obj]: ...
    def close(self) -> None: ...


class ListWatch(Protocol):
    """The two requests a watcher needs (the HTTP seam that unit tests fake)."""

    async def list(self, continue_token: str | None) -> Mapping[str, Any]:
        """One page of the list: ``items``, ``metadata.resourceVersion``, ``metadata.continue``."""
        ...

    async def watch(self, resource_version: str) -> Stream:
        """Open a watch starting after ``resource_version`` (bookmarks allowed)."""
        ...


# -- states ---------------------------------------------------------------------------------------

@dataclass(slots=True)
class Empty:
    pass


@dataclass(slots=True)
class Listing:
    continue_token: str | None = None


@dataclass(slots=True)
class ListDone:
    """The last page has been handed out; the next step reports :class:`InitDone`."""

    resource_version: str


@dataclass(slots=True)
class Listed:
    resource_version: str


@dataclass(slots=True)
class Watching:
    resource_version: str
    stream: Stream
    opened_at: float = field(default_factory=time.monotonic)
    events: int = 0


State = Empty | Listing | ListDone | Listed | Watching


# -- events ---------------------------------------------------------------------------------------

@dataclass(slots=True)
class Init:
    """A (re)list begins: buffer what follows until :class:`InitDone`."""


@dataclass(slots=True)
class Page:
    objects: list[Obj]


@dataclass(slots=True)
class InitDone:
    resource_version: str


@dataclass(slots=True)
class Apply:
    """Created or modified (``type`` is ADDED or MODIFIED)."""

    object: Obj
    type: str = "MODIFIED"


@dataclass(slots=True)
class Delete:
    object: Obj


@dataclass(slots=True)
class Failed:
    """A request or stream failed; the driver waits a backoff before the next step."""

    error: Exception


Event = Init | Page | InitDone | Apply | Delete | Failed

_CONNECTION_ERRORS = (ConnectionFailed, OSError, asyncio.TimeoutError)

#: a watch that ends sooner than this without an event counts as a failure (no hot loop)
QUICK_CLOSE = 1.0


def _is_gone(e: Exception) -> bool:
    if isinstance(e, errors.Gone):
        return True
    if isinstance(e, errors.ApiError) and e.code == 504:
        causes = (e.status.get("details") or {}).get("causes") or ()
        return any(c.get("reason") == "ResourceVersionTooLarge" for c in causes)
    return False


async def step(lw: ListWatch, state: State, *, kind: str = "", api_version: str = "") -> tuple[Event | None, State]:
    """Advance the watcher by one request or one read. ``kind``/``api_version`` fill list items that lack them."""
    if isinstance(state, Empty):
        return Init(), Listing()

    if isinstance(state, Listing):
        try:
            page = await lw.list(state.continue_token)
        except errors.ApiError as e:
            return Failed(e), Empty()
        meta = page.get("metadata") or {}
        items: list[Obj] = page.get("items") or []
        if kind:
            for item in items:
                if "kind" not in item:
                    item["kind"] = kind
                    item["apiVersion"] = api_version
        token = meta.get("continue") or None
        rv = meta.get("resourceVersion") or ""
        if token:
            return (Page(items) if items else None), Listing(token)
        if not rv:
            return Failed(errors.ApiError(0, None, message="list returned no resourceVersion")), Empty()
        if items:
            # deliver the last page now, finish on the next step
            return Page(items), ListDone(rv)
        return InitDone(rv), Listed(rv)

    if isinstance(state, ListDone):
        return InitDone(state.resource_version), Listed(state.resource_version)

    if isinstance(state, Listed):
        try:
            stream = await lw.watch(state.resource_version)
        except _CONNECTION_ERRORS as e:
            return Failed(e), state
        except errors.ApiError as e:
            if not _is_gone(e):
                log.debug("watch refused (%s); listing again", e)
            return Failed(e), Empty()
        return None, Watching(state.resource_version, stream)

    # Watching
    try:
        etype, obj = await state.stream.__anext__()
    except StopAsyncIteration:
        state.stream.close()
        if state.events == 0 and time.monotonic() - state.opened_at < QUICK_CLOSE:
            return Failed(errors.ApiError(0, None, message="watch closed at once")), Listed(state.resource_version)
        return None, Listed(state.resource_version)
    except _CONNECTION_ERRORS as e:
        state.stream.close()
        return Failed(e), Listed(state.resource_version)
    state.events += 1
    if etype == "BOOKMARK":
        rv = (obj.get("metadata") or {}).get("resourceVersion")
        if rv:
            state.resource_version = rv
        return None, state
    if etype == "ERROR":
        state.stream.close()
        code = int(obj.get("code") or 0)
        err = errors.from_status(code, obj)
        if _is_gone(err):
            return Failed(err), Empty()
        return Failed(err), Listed(state.resource_version)
    rv = (obj.get("metadata") or {}).get("resourceVersion")
    if not rv:
        state.stream.close()
        return Failed(errors.ApiError(0, None, message=f"{etype} event without resourceVersion")), Empty()
    state.resource_version = rv
    if etype == "DELETED":
        return Delete(obj), state
    return Apply(obj, etype), state



def close(state: State) -> None:
    """Release the state's open stream, if any."""
    if isinstance(state, Watching):
        state.stream.close()


async def watch(lw: ListWatch, *, backoff: Backoff | None = None, kind: str = "", api_version: str = "",
                sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> AsyncGenerator[Event, None]:
    """Drive :func:`step` forever, sleeping a backoff after every :class:`Failed` event (which is yielded)."""
    backoff = backoff if backoff is not None else Backoff()
    state: State = Empty()
    try:
        while True:
            event, state = await step(lw, state, kind=kind, api_version=api_version)
            if event is None:
                continue
            if isinstance(event, Failed):
                yield event
                await sleep(next(backoff))
                continue
            if isinstance(event, (Apply, Delete)):
                backoff.reset()
            yield event
    finally:
        close(state)


class ClientListWatch:
    """The :class:`ListWatch` of a kind through a :class:`~setpoint.runtime.client.Client`."""

    def __init__(self, client: Client, resource: KindLike, *, namespace: str | None = None,
                 label_selector: str | None = None, field_selector: str | None = None,
                 page_size: int = 500, timeout_seconds: int | None = None) -> None:
        self.client = client
        self.resource = resource
        self.namespace = namespace
        self.label_selector = label_selector
        self.field_selector = field_selector
        self.page_size = page_size
        self.timeout_seconds = timeout_seconds

    async def list(self, continue_token: str | None) -> Mapping[str, Any]:
        result: Mapping[str, Any] = await self.client.list(
            self.resource, self.namespace, label_selector=self.label_selector,
            field_selector=self.field_selector, limit=self.page_size, continue_token=continue_token)
        return result

    async def watch(self, resource_version: str) -> Stream:
        stream: Stream = await self.client.watch(
            self.resource, self.namespace, resource_version=resource_version,
            label_selector=self.label_selector, field_selector=self.field_selector,
            allow_bookmarks=True, timeout_seconds=self.timeout_seconds)
        return stream
