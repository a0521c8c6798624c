"""The manager: runs many controllers in one process over one client and one shared cache.

::

    mgr = Manager(client, health_port=8081, leader_election=LeaderElection("my-operator"))
    Builder(mgr).for_(KIND).owns(CHILD).complete(reconciler)
    await mgr.run()          # until stop(), a signal, or lost leadership

It serves ``/healthz`` (alive), ``/readyz`` (200 once every controller's caches have
synced) and ``/metrics`` (Prometheus, :mod:`setpoint.runtime.metrics`) on
``health_port`` (0: a free port; ``None``: no server).

With leader election, informers start at once on every replica (a warm standby)
but controllers reconcile only on the leader; losing the lease cancels every running
reconcile immediately and :meth:`Manager.run` raises
:class:`~setpoint.runtime.leader.LeadershipLost` (restart the process, or build a new
manager, as controller-runtime exits).

Controllers can be added (:meth:`Manager.add`) and removed (:meth:`Manager.remove`)
while the manager runs: their informers start and stop with them (shared informers
stop when their last user goes).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from typing import TYPE_CHECKING, Any

from setpoint.runtime import metrics as m
from setpoint.runtime.background import Background
from setpoint.runtime.cache import Cache
from setpoint.runtime.client import Client
from setpoint.runtime.controller import DEFAULT_MAX_CONCURRENT_RECONCILES, Controller
from setpoint.runtime.leader import LeaderElection, LeaderElector, LeadershipLost

if TYPE_CHECKING:
    from setpoint.runtime.probes import ProbeServer

log = logging.getLogger(__name__)


class Manager(Background):
    """Controllers, their shared cache, health and metrics endpoints, and leader election."""

    task_name = "manager"

    def __init__(self, client: Client, *, health_port: int | None = None, health_host: str = "127.0.0.1",
                 leader_election: LeaderElection | None = None, resync: float | None = None,
                 graceful_shutdown_timeout: float = 30.0,
                 max_concurrent_reconciles: int = DEFAULT_MAX_CONCURRENT_RECONCILES) -> None:
        if max_concurrent_reconciles < 1:
            raise ValueError("max_concurrent_reconciles must be at least 1")
        self.client = client
        #: the workers of each controller built for this manager unless its builder says otherwise
        self.max_concurrent_reconciles = max_concurrent_reconciles
        self.cache = Cache(client, resync=resync)
        self.health_host = health_host
        self.health_port = health_port
        self.leader_election = leader_election
        self.elector = LeaderElector(client, leader_election) if leader_election else None
        self.graceful_shutdown_timeout = graceful_shutdown_timeout
        self._controllers: dict[str, Controller] = {}
        self._starting: dict[str, asyncio.Task[None]] = {}
        self._leading = leader_election is None
        self._running = False
        self._stop = asyncio.Event()
        self._cache_started = asyncio.Event()
        self._probes: ProbeServer | None = None
        self._task: asyncio.Task[None] | None = None
        self._lost = False
        if getattr(client, "observer", False) is None:  # an HTTPClient without one: count its requests
            client.observer = m.client_observer(client.config.host)  # type: ignore[attr-defined]

    # -- controllers ----------------------------------------------------------------------------------

    @property
    def controllers(self) -> dict[str, Controller]:
        return dict(self._controllers)

    def add(self, controller: Controller) -> None:
        """Add a controller; if the manager runs (and leads), it starts now."""
        if controller.name in self._controllers:
            raise ValueError(f"a controller named {controller.name!r} already exists; names must be unique "
                             "(they label the metrics): pick another with Builder.named()")
        self._controllers[controller.name] = controller
        controller.prepare(self.cache)
        if self._running and self._leading:
            self._start_controller(controller)

    async def remove(self, name: str) -> None:
        """Stop a controller (letting running reconciles finish) and release its informers."""
        controller = self._controllers.pop(name, None)
        if controller is None:
            raise KeyError(f"no controller named {name!r}")
        starting = self._starting.pop(name, None)
        if starting is not None and not starting.done():
            starting.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await starting
        await controller.stop(grace=self.graceful_shutdown_timeout)
        await controller.release()

    def _start_controller(self, controller: Controller) -> None:
        async def start() -> None:
            try:
                await controller.start()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("controller %s failed to start", controller.name)
        self._starting[controller.name] = asyncio.create_task(start(), name=f"start {controller.name}")

    # -- health ---------------------------------------------------------------------------------------

    @property
    def ready(self) -> bool:
        """Every controller's caches have synced (and the cache runs)."""
        return self.cache.running and all(c.has_synced for c in self._controllers.values())

    async def wait_ready(self) -> None:
        """Wait until :attr:`ready` (the manager must be running)."""
        await self._cache_started.wait()
        while not self.ready:
            pending = [s.informer for c in self._controllers.values() for s in c.sources
                       if s.informer is not None and not s.informer.has_synced]
            if not pending:
                return
            await asyncio.gather(*(inf.wait_synced() for inf in pending))

    def _unsynced(self) -> list[str]:
        """The controllers whose caches have not synced yet."""
        return [c.name for c in self._controllers.values() if not c.has_synced]

    async def _serve_health(self) -> None:
        from setpoint.runtime.probes import ProbeServer

        self._probes = ProbeServer(lambda: self.ready, self._unsynced)
        self.health_port = await self._probes.start(self.health_host, self.health_port or 0)

    # -- running --------------------------------------------------------------------------------------

    async def run(self, *, handle_signals: bool = False) -> None:
        """Run until :meth:`stop` (or SIGINT/SIGTERM with ``handle_signals``: a second one cancels the
        reconciles still running); then shut down gracefully and return (no exception: exit 0).

        Raises :class:`~setpoint.runtime.leader.LeadershipLost` if leadership is lost.
        """
        if self._running:
            raise RuntimeError("manager already running")
        self._running = True
        self._stop.clear()
        loop = asyncio.get_running_loop()
        if handle_signals:
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, self._on_signal, sig)
        hold: asyncio.Task[None] | None = None
        try:
            if self.health_port is not None:
                await self._serve_health()
            await self.cache.start()
            self._cache_started.set()
            if self.elector is not None:
                acquiring = asyncio.create_task(self.elector.acquire())
                stopping = asyncio.create_task(self._stop.wait())
                await asyncio.wait({acquiring, stopping}, return_when=asyncio.FIRST_COMPLETED)
                stopping.cancel()
                if not acquiring.done():
                    acquiring.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await acquiring
                    return
                acquiring.result()
                self._leading = True
                hold = asyncio.create_task(self.elector.hold(self._on_lost))
            for controller in self._controllers.values():
                self._start_controller(controller)
            stopping = asyncio.create_task(self._stop.wait())
            waiters: set[asyncio.Task[Any]] = {stopping} | ({hold} if hold is not None else set())
            await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
            stopping.cancel()
            if hold is not None and hold.done():
                hold.result()  # raises LeadershipLost
        finally:
            if hold is not None and not hold.done():
                hold.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await hold
            await self._shutdown()
            if handle_signals:
                for sig in (signal.SIGINT, signal.SIGTERM):
                    loop.remove_signal_handler(sig)

    def _on_signal(self, sig: signal.Signals) -> None:
        """The first SIGINT/SIGTERM stops gracefully; a second one cancels the reconciles still running."""
        if not self._stop.is_set():
            log.info("%s: stopping (running reconciles get %g s to finish; signal again to cancel them)",
                     sig.name, self.graceful_shutdown_timeout)
            self._stop.set()
            return
        log.info("%s again: cancelling the running reconciles", sig.name)
        for controller in self._controllers.values():
            controller.halt()

    def _on_lost(self) -> None:
        """Leadership is gone: cancel every reconcile now, synchronously."""
        self._lost = True
        self._leading = False
        for controller in self._controllers.values():
            controller.halt()

    async def _shutdown(self) -> None:
        for task in self._starting.values():
            if not task.done():
                task.cancel()
        await asyncio.gather(*self._starting.values(), return_exceptions=True)
        self._starting.clear()
        await asyncio.gather(*(c.stop(cancel=self._lost, grace=self.graceful_shutdown_timeout)
                               for c in self._controllers.values()))
        if self.elector is not None and not self._lost and self.leader_election is not None \
                and self.leader_election.release_on_cancel:
            await self.elector.release()
        await self.cache.stop()
        self._cache_started.clear()
        if self._probes is not None:
            await self._probes.stop()
            self._probes = None
        self._running = False
        self._leading = self.leader_election is None
        self._lost = False

    @property
    def is_leader(self) -> bool:
        return self._leading and self._running


__all__ = ["LeaderElection", "LeadershipLost", "Manager"]
