"""The namespace controller: empties a terminating namespace, then releases it.

As kube-controller-manager's namespace controller: when a namespace has a
deletionTimestamp, every namespaced object in it is deleted; once none is
left, the ``kubernetes`` finalizer is removed from ``spec.finalizers`` and the
namespace goes away.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from setpoint.apiserver.encoding import errors
from setpoint.apiserver.registry import cacher as cache
from setpoint.apiserver.registry.resources import Obj, Resource
from setpoint.apiserver.server import APIServer

log = logging.getLogger(__name__)

#: How often a namespace whose content is still finalizing is looked at again.
RECHECK_SECONDS = 0.5


class NamespaceController:
    def __init__(self, server: APIServer) -> None:
        self._server = server
        self._task: asyncio.Task[None] | None = None
        self._queue: asyncio.Queue[str] = asyncio.Queue()
        self._timers: dict[str, asyncio.TimerHandle] = {}

    async def start(self) -> None:
        ns = self._server.registry.get("", "v1", "namespaces")
        assert ns is not None
        self._resource = ns
        self._task = asyncio.create_task(self._run(), name="namespace controller")

    async def stop(self) -> None:
        for t in self._timers.values():
            t.cancel()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        c = self._server.objects.cacher(self._resource)
        await c.wait_ready()
        worker = asyncio.create_task(self._work())
        try:
            while True:
                watcher, _ = c.watch(self._resource.prefix(None), 0, None, initial_events=True)
                try:
                    while True:
                        for _, event, _ in await watcher.next_batch(None):
                            if (event is not None and event.type != cache.DELETED
                                    and (event.obj.obj.get("metadata") or {}).get("deletionTimestamp")):
                                self._queue.put_nowait(event.obj.obj["metadata"]["name"])
                except cache.WatcherGone:
                    continue
                finally:
                    watcher.close()
        finally:
            worker.cancel()

    async def _work(self) -> None:
        while True:
            name = await self._queue.get()
            try:
                done = await self.reconcile(name)
            except Exception as exc:
                log.warning("namespace %s: %s", name, exc)
                done = False
            if not done:
                self._later(name)

    def _later(self, name: str) -> None:
        old = self._timers.pop(name, None)
        if old is not None:
            old.cancel()
        self._timers[name] = asyncio.get_running_loop().call_later(RECHECK_SECONDS, self._queue.put_nowait, name)

    def _namespaced_resources(self) -> list[Resource]:
        """One served resource per storage prefix of namespaced kinds."""
        seen: dict[str, Resource] = {}
        for r in self._server.registry.all():
            if r.namespaced and r.key_prefix not in seen:
                seen[r.key_prefix] = r
        return list(seen.values())

    async def reconcile(self, name: str) -> bool:
        """Delete the namespace's content; True once the namespace is released."""
        objects = self._server.objects
        c = objects.cacher(self._resource)
        await c.wait_consistent()
        cobj = c.get(self._resource.key(None, name))
        if cobj is None or not (cobj.obj.get("metadata") or {}).get("deletionTimestamp"):
            return True
        remaining = 0
        for r in self._namespaced_resources():
            listed = await objects.list(r, name)
            for item in listed.items:
                meta = item.obj["metadata"]
                remaining += 1
                if not meta.get("deletionTimestamp"):
                    with contextlib.suppress(errors.StatusError):
                        _, gone = await objects.delete(r, name, meta["name"])
                        if gone:
                            remaining -= 1
        if remaining:
            return False

        async def finalize(current: Obj) -> Obj:
            spec = dict(current.get("spec") or {})
            spec["finalizers"] = [f for f in spec.get("finalizers") or [] if f != "kubernetes"]
            return {**current, "spec": spec}

        with contextlib.suppress(errors.StatusError):
            await objects.guaranteed_update(self._resource, None, name, finalize, subresource="finalize")
        return True
