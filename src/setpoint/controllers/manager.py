"""The built-in controllers, run together: what kube-controller-manager (and the
apiextensions-apiserver's CRD finalizer) do beside the API server.

:class:`ControllerManager` puts the namespace controller and the CRD cleanup
controller on one :class:`~setpoint.runtime.manager.Manager` over an
:class:`~setpoint.controllers.inprocess.InProcessClient` of the server's registry
and object store: their informers list and watch the watch cache directly.
"""

from __future__ import annotations

import asyncio

from setpoint.apiserver.registry.objectstore import ObjectStore
from setpoint.apiserver.registry.resources import Registry
from setpoint.controllers.crd_cleanup import add_crd_cleanup_controller
from setpoint.controllers.garbagecollector import add_garbage_collector
from setpoint.controllers.inprocess import InProcessClient
from setpoint.controllers.namespace import add_namespace_controller
from setpoint.runtime.manager import Manager


class ControllerManager:
    """The built-in controllers of one API server: :meth:`start` them, :meth:`stop` them."""

    def __init__(self, registry: Registry, objects: ObjectStore) -> None:
        self.client = InProcessClient(registry, objects)
        self.manager = Manager(self.client)
        add_namespace_controller(self.manager, self.client)
        add_crd_cleanup_controller(self.manager, self.client)
        add_garbage_collector(self.manager, self.client)

    async def start(self) -> None:
        """Start every controller; returns once their caches have synced."""
        running = self.manager.start()
        ready = asyncio.ensure_future(self.manager.wait_ready())
        await asyncio.wait({running, ready}, return_when=asyncio.FIRST_COMPLETED)
        if running.done():
            ready.cancel()
            running.result()  # a manager that failed to start says why
            raise RuntimeError("the built-in controllers stopped while starting")

    async def stop(self) -> None:
        """Stop gracefully: running reconciles finish, informers stop."""
        await self.manager.close()
