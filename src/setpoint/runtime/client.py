"""The client protocol: what the runtime asks of an API server.

:class:`Client` is the protocol -- the operations informers, controllers and the
helpers (status, finalizers, events, objects, leader election) use: discovery of a
kind's resource, get, list, watch, create, update, status update, patch and delete.
Anything that offers them can drive the runtime: :class:`~setpoint.runtime.http_client.HTTPClient`
(any Kubernetes API server over HTTP), setpoint's in-process client over its own API
server's registry (the built-in controllers' ``setpoint.controllers.inprocess``), or a
test's fake. Objects are plain ``dict``s.
"""

from __future__ import annotations

import asyncio
import enum
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple, Protocol

from setpoint.apimachinery.types import Obj
from setpoint.runtime import errors
from setpoint.runtime.resource import Kind, Resource

KindLike = Kind | Resource

__all__ = ["Client", "KindLike", "Observer", "PatchType", "WatchEvent", "WatchStream", "items"]


class PatchType(enum.StrEnum):
    """The ``Content-Type`` of a PATCH request."""

    MERGE = "application/merge-patch+json"
    JSON = "application/json-patch+json"
    STRATEGIC = "application/strategic-merge-patch+json"
    APPLY = "application/apply-patch+yaml"


class WatchEvent(NamedTuple):
    """One line of a watch: ``type`` is ADDED, MODIFIED, DELETED, BOOKMARK or ERROR."""

    type: str
    object: Obj


#: called after every response with (method, HTTP code); code 0 means no answer
Observer = Callable[[str, int], None]

class WatchStream(Protocol):
    """An open watch: :class:`WatchEvent` s until it ends (``async for``); :meth:`close` ends it early."""

    def __aiter__(self) -> WatchStream: ...
    async def __anext__(self) -> WatchEvent: ...
    def close(self) -> None: ...


class Client(Protocol):
    """What the runtime needs of an API server (see the module docstring).

    Errors are :class:`~setpoint.runtime.errors.ApiError` s (by meaning: ``NotFound``,
    ``Conflict``, ``Gone``...); a server that cannot be reached raises
    :class:`~setpoint.runtime.errors.ConnectionFailed`.
    """

    async def resource(self, kind: KindLike) -> Resource:
        """Where ``kind`` is served (plural, scope, subresources); ``NotFound`` if it is not."""
        ...

    async def get(self, kind: KindLike, name: str, namespace: str | None = None, *,
                  subresource: str | None = None) -> Obj: ...

    async def list(self, kind: KindLike, namespace: str | None = None, *, label_selector: str | None = None,
                   field_selector: str | None = None, limit: int | None = None,
                   continue_token: str | None = None, resource_version: str | None = None) -> Obj:
        """One page of a list (``namespace=None``: all namespaces): ``items``, ``metadata.resourceVersion``
        and ``metadata.continue``."""
        ...

    async def watch(self, kind: KindLike, namespace: str | None = None, *, resource_version: str | None = None,
                    label_selector: str | None = None, field_selector: str | None = None,
                    allow_bookmarks: bool = True, timeout_seconds: int | None = None) -> WatchStream:
        """Events after ``resource_version`` until the watch ends (after ``timeout_seconds``)."""
        ...

    async def create(self, obj: Mapping[str, Any], namespace: str | None = None, *,
                     field_manager: str | None = None) -> Obj: ...

    async def update(self, obj: Mapping[str, Any], *, subresource: str | None = None,
                     field_manager: str | None = None) -> Obj:
        """Replace the object (its ``metadata.resourceVersion`` makes it conditional)."""
        ...

    async def update_status(self, obj: Mapping[str, Any]) -> Obj:
        """Replace the object's ``status`` subresource."""
        ...

    async def patch(self, kind: KindLike, name: str, patch: Any, namespace: str | None = None, *,
                    type: PatchType = PatchType.MERGE, subresource: str | None = None,
                    field_manager: str | None = None, force: bool | None = None) -> Obj: ...

    async def apply(self, obj: Mapping[str, Any], *, field_manager: str, force: bool = False,
                    subresource: str | None = None) -> Obj:
        """Server-side apply ``obj``: the fields ``field_manager`` owns (it creates what does not
        exist; ``Conflict`` when another manager owns a field with another value, unless ``force``)."""
        ...

    async def delete(self, kind: KindLike, name: str, namespace: str | None = None, *,
                     propagation_policy: str | None = None, grace_period_seconds: int | None = None,
                     preconditions: Mapping[str, str] | None = None) -> Obj:
        """Delete (or, with finalizers, mark for deletion); the answer is the object or a Status."""
        ...

    async def close(self) -> None:
        """Release connections (and whatever else the client holds)."""
        ...


def items(listing: Mapping[str, Any]) -> Sequence[Obj]:
    """The ``items`` of a list answer (an empty list when there are none)."""
    return listing.get("items") or []


async def wait_served(client: Client, kinds: Sequence[Kind], *, timeout: float = 30.0) -> None:
    """Return once the server serves every one of ``kinds`` -- after their CRDs were created, say --
    asking discovery afresh each time; ``NotFound`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    for kind in kinds:
        while True:
            forget = getattr(client, "forget_discovery", None)
            if forget is not None:
                forget()
            try:
                await client.resource(kind)
                break
            except errors.NotFound:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.05)
