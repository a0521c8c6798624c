"""The built-in controllers, run together: what kube-controller-manager (and the
apiextensions-apiserver's CRD finalizer) do beside the API server.

:class:`ControllerManager` puts the controllers of :data:`CONTROLLERS` that
``--controllers`` enables, and the CRD cleanup controller (kube-apiserver's, always on), on one :class:`~setpoint.runtime.manager.Manager` over an
:class:`~setpoint.controllers.inprocess.InProcessClient` of the server's registry
and object store: their informers list and watch the watch cache directly.

With ``leader_elect`` (``setpoint up --leader-elect``, on by default on etcd, where several
servers share the state) they run in one server at a time, as kube-controller-manager and
kube-scheduler do: under the Leases ``kube-system/kube-controller-manager`` (the controllers,
the ``kubernetes`` Service's controller and the simulated node fleet) and
``kube-system/kube-scheduler`` (the scheduler), each on a manager of its own that stands by with
warm caches, leads once it holds its Lease and, when it loses the Lease, stops reconciling at
once and stands by again (where kube's processes exit to be restarted). The CRD cleanup is the
API server's own: every server runs it, as every kube-apiserver does.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Callable, Iterable
from typing import Any

from setpoint.apiserver.registry.objectstore import ObjectStore
from setpoint.apiserver.registry.resources import Registry
from setpoint.controllers.clusterroleaggregation import add_clusterrole_aggregation_controller
from setpoint.controllers.crd_cleanup import add_crd_cleanup_controller
from setpoint.controllers.cronjob import add_cronjob_controller
from setpoint.controllers.daemonset import add_daemonset_controller
from setpoint.controllers.deployment import add_deployment_controller
from setpoint.controllers.disruption import add_disruption_controller
from setpoint.controllers.endpoints import add_endpoints_controller
from setpoint.controllers.endpointslice import add_endpointslice_controller
from setpoint.controllers.garbagecollector import add_garbage_collector
from setpoint.controllers.inprocess import InProcessClient
from setpoint.controllers.job import add_job_controller
from setpoint.controllers.kubelet.nodes import add_node_agent
from setpoint.controllers.kubelet.pods import add_kubelet
from setpoint.controllers.namespace import add_namespace_controller
from setpoint.controllers.nodelifecycle import add_node_lifecycle_controller
from setpoint.controllers.options import ControllerOptions
from setpoint.controllers.podautoscaler import add_hpa_controller
from setpoint.controllers.podgc import add_pod_gc_controller
from setpoint.controllers.replicaset import add_replicaset_controller
from setpoint.controllers.resourcequota import add_resourcequota_controller
from setpoint.controllers.rootca import add_root_ca_publisher
from setpoint.controllers.scheduler import add_scheduler
from setpoint.controllers.serviceaccount import add_serviceaccount_controller
from setpoint.controllers.statefulset import add_statefulset_controller
from setpoint.controllers.tainteviction import add_taint_eviction_controller
from setpoint.controllers.ttlafterfinished import add_ttl_after_finished_controller
from setpoint.runtime.leader import LeaderElection, LeadershipLost, default_identity
from setpoint.runtime.manager import Manager

log = logging.getLogger(__name__)

#: The Leases of the elected parts, as kube's components name theirs (in ``kube-system``).
CONTROLLER_MANAGER_LEASE = "kube-controller-manager"
SCHEDULER_LEASE = "kube-scheduler"
LEASE_NAMESPACE = "kube-system"

AddController = Callable[[Manager, InProcessClient, ControllerOptions], object]


def _plain(add: Callable[[Manager, InProcessClient], object]) -> AddController:
    """An add function that takes no options."""
    return lambda manager, client, _options: add(manager, client)


#: kube-controller-manager's controllers that setpoint runs, by kube's canonical name.
CONTROLLERS: dict[str, AddController] = {
    "namespace-controller": _plain(add_namespace_controller),
    "serviceaccount-controller": _plain(add_serviceaccount_controller),
    "root-ca-certificate-publisher-controller": _plain(add_root_ca_publisher),
    "garbage-collector-controller": _plain(add_garbage_collector),
    "replicaset-controller": _plain(add_replicaset_controller),
    "deployment-controller": _plain(add_deployment_controller),
    "job-controller": lambda manager, client, options: add_job_controller(manager, client, clock=options.clock),
    "cronjob-controller": lambda manager, client, options: add_cronjob_controller(manager, client,
                                                                                  clock=options.clock),
    "ttl-after-finished-controller": lambda manager, client, options: add_ttl_after_finished_controller(
        manager, client, clock=options.clock),
    "endpoints-controller": _plain(add_endpoints_controller),
    "endpointslice-controller": _plain(add_endpointslice_controller),
    "disruption-controller": _plain(add_disruption_controller),
    "resourcequota-controller": _plain(add_resourcequota_controller),
    "statefulset-controller": _plain(add_statefulset_controller),
    "daemonset-controller": _plain(add_daemonset_controller),
    "node-lifecycle-controller": add_node_lifecycle_controller,
    "taint-eviction-controller": add_taint_eviction_controller,
    "horizontal-pod-autoscaler-controller": add_hpa_controller,
    "pod-garbage-collector-controller": add_pod_gc_controller,
    "clusterrole-aggregation-controller": _plain(add_clusterrole_aggregation_controller),
}
#: kube's older names, still accepted by ``--controllers``.
ALIASES: dict[str, str] = {
    "namespace": "namespace-controller",
    "serviceaccount": "serviceaccount-controller",
    "root-ca-cert-publisher": "root-ca-certificate-publisher-controller",
    "garbagecollector": "garbage-collector-controller",
    "replicaset": "replicaset-controller",
    "deployment": "deployment-controller",
    "job": "job-controller",
    "cronjob": "cronjob-controller",
    "ttl-after-finished": "ttl-after-finished-controller",
    "endpoint": "endpoints-controller",
    "endpointslice": "endpointslice-controller",
    "disruption": "disruption-controller",
    "resourcequota": "resourcequota-controller",
    "statefulset": "statefulset-controller",
    "daemonset": "daemonset-controller",
    "nodelifecycle": "node-lifecycle-controller",
    "horizontalpodautoscaling": "horizontal-pod-autoscaler-controller",
    "podgc": "pod-garbage-collector-controller",
    "clusterrole-aggregation": "clusterrole-aggregation-controller",
}
#: Controllers ``*`` leaves off (none yet).
DISABLED_BY_DEFAULT: frozenset[str] = frozenset()


def enabled_controllers(selectors: Iterable[str]) -> list[str]:
    """The controllers ``--controllers`` turns on, as kube-controller-manager reads it: ``*`` all
    on by default, ``name`` on, ``-name`` off, the first mention of a name wins. Unknown names
    raise :class:`ValueError` with kube's message."""
    canonical: list[str] = []
    unknown: list[str] = []
    for selector in selectors:
        if selector == "*":
            canonical.append(selector)
            continue
        bare = selector.removeprefix("-")
        name = ALIASES.get(bare, bare)
        if name not in CONTROLLERS:
            unknown.append(f"{bare!r} is not in the list of known controllers".replace("'", '"'))
        canonical.append(("-" if selector.startswith("-") else "") + name)
    if unknown:
        raise ValueError(unknown[0] if len(unknown) == 1 else "[" + ", ".join(unknown) + "]")
    return [name for name in CONTROLLERS if _enabled(name, canonical)]


def _enabled(name: str, selectors: list[str]) -> bool:
    """k8s.io/controller-manager's ``IsControllerEnabled``."""
    star = False
    for s in selectors:
        if s == name:
            return True
        if s == "-" + name:
            return False
        star = star or s == "*"
    return star and name not in DISABLED_BY_DEFAULT


def _add_one(add: AddController, client: InProcessClient, options: ControllerOptions, manager: Manager) -> object:
    return add(manager, client, options)


class ControllerManager:
    """The built-in controllers of one API server: :meth:`start` them, :meth:`stop` them.

    Without ``leader_elect`` every controller runs on :attr:`manager`. With it, :attr:`manager`
    runs the API server's own (the CRD cleanup) and the rest runs under the Leases of
    :attr:`elected` (``election`` sets the identity and timings; its name is replaced).
    """

    def __init__(self, registry: Registry, objects: ObjectStore, *, controllers: Iterable[str] = ("*",),
                 ca_data: bytes = b"", options: ControllerOptions | None = None, scheduler: bool = False,
                 nodes: int = 0, leader_elect: bool = False, election: LeaderElection | None = None) -> None:
        self.client = InProcessClient(registry, objects, ca_data=ca_data)
        # one worker unless a controller says otherwise: the kube-controller-manager controllers
        # set their own --concurrent-*-syncs
        self.manager = Manager(self.client, max_concurrent_reconciles=1)
        #: The kube-controller-manager controllers running (``--controllers``).
        self.enabled = enabled_controllers(controllers)
        #: Periods, grace periods and the clock of the controllers.
        self.options = options or ControllerOptions()
        #: Whether the controllers run under leader election.
        self.leader_elect = leader_elect
        #: This server's candidacy (identity, timings), the same for every Lease.
        self.election = election or LeaderElection(CONTROLLER_MANAGER_LEASE, LEASE_NAMESPACE,
                                                   identity=default_identity())
        #: With leader election: what runs under each Lease (added to each new manager of it).
        self._parts: dict[str, list[Callable[[Manager], object]]] = {
            CONTROLLER_MANAGER_LEASE: [], SCHEDULER_LEASE: []}
        #: With leader election: the current manager of each Lease, and the tasks running them.
        self.elected: dict[str, Manager] = {}
        self._electing: list[asyncio.Task[None]] = []
        self._stopping = False
        for name in self.enabled:
            self.add_elected(functools.partial(_add_one, CONTROLLERS[name], self.client, self.options))
        #: How many simulated nodes register at start (0: none, and no scheduler or kubelet).
        self.nodes = nodes
        if scheduler or nodes:  # kube-scheduler's default profile
            self.add_elected(lambda m: add_scheduler(m, self.client, self.options), SCHEDULER_LEASE)
        if nodes:  # the simulated fleet: nodes that heartbeat, and a kubelet that plays their pods out
            self.add_elected(lambda m: add_node_agent(m, self.client, self.options, count=nodes))
            self.add_elected(lambda m: add_kubelet(m, self.client, self.options))
        # kube-apiserver's own (apiextensions), not kube-controller-manager's: always on.
        add_crd_cleanup_controller(self.manager, self.client)

    def add_elected(self, add: Callable[[Manager], object], lease: str = CONTROLLER_MANAGER_LEASE) -> None:
        """Run the controllers ``add(manager)`` adds with the holder of ``lease`` (at once on
        :attr:`manager` without leader election). Before :meth:`start`."""
        if self.leader_elect:
            self._parts[lease].append(add)
        else:
            add(self.manager)

    async def start(self) -> None:
        """Start every controller (the elected ones standing by until their Lease is held);
        returns once their caches have synced."""
        managers = [self.manager]
        if self.leader_elect:
            for lease, parts in self._parts.items():
                if parts:
                    self.elected[lease] = self._new_manager(lease)
                    self._electing.append(asyncio.create_task(self._elect(lease), name=f"lease {lease}"))
            managers += self.elected.values()
        running = [m.start() for m in managers]
        ready: asyncio.Future[list[None]] = asyncio.ensure_future(asyncio.gather(*(m.wait_ready() for m in managers)))
        waiting: set[asyncio.Future[Any]] = {*running, *self._electing, ready}
        await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
        if not ready.done():
            ready.cancel()
            for task in (*running, *self._electing):
                if task.done():
                    task.result()  # a manager that failed to start says why
            raise RuntimeError("the built-in controllers stopped while starting")

    def _new_manager(self, lease: str) -> Manager:
        election = LeaderElection(lease, LEASE_NAMESPACE, identity=self.election.identity,
                                  lease_duration=self.election.lease_duration,
                                  renew_deadline=self.election.renew_deadline,
                                  retry_period=self.election.retry_period)
        manager = Manager(self.client, leader_election=election)
        for add in self._parts[lease]:
            add(manager)
        return manager

    async def _elect(self, lease: str) -> None:
        """Run the managers of ``lease`` one after the other: a new one (standing by) each time
        the last one lost the Lease."""
        while True:
            manager = self.elected[lease]
            try:
                await manager.start()
                return  # stopped
            except LeadershipLost as exc:
                log.warning("%s; standing by", exc)
            if self._stopping:
                return
            self.elected[lease] = self._new_manager(lease)

    async def stop(self) -> None:
        """Stop gracefully: running reconciles finish, a held Lease is released, informers stop."""
        self._stopping = True
        await asyncio.sleep(0)  # a manager started just now first runs (a stop before that would be missed)
        for manager in list(self.elected.values()):
            with contextlib.suppress(LeadershipLost):
                await manager.close()
        for task in self._electing:
            with contextlib.suppress(asyncio.CancelledError, LeadershipLost):
                await task
        self._electing = []
        await self.manager.close()
