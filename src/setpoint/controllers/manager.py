"""The built-in controllers, run together: what kube-controller-manager (and the
apiextensions-apiserver's CRD finalizer) do beside the API server.

:class:`ControllerManager` puts the controllers of :data:`CONTROLLERS` that
``--controllers`` enables, and the CRD cleanup controller (kube-apiserver's, always on), on one :class:`~setpoint.runtime.manager.Manager` over an
:class:`~setpoint.controllers.inprocess.InProcessClient` of the server's registry
and object store: their informers list and watch the watch cache directly.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable

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
from setpoint.runtime.manager import Manager

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


class ControllerManager:
    """The built-in controllers of one API server: :meth:`start` them, :meth:`stop` them."""

    def __init__(self, registry: Registry, objects: ObjectStore, *, controllers: Iterable[str] = ("*",),
                 ca_data: bytes = b"", options: ControllerOptions | None = None, scheduler: bool = False,
                 nodes: int = 0) -> None:
        self.client = InProcessClient(registry, objects, ca_data=ca_data)
        # one worker unless a controller says otherwise: the kube-controller-manager controllers
        # set their own --concurrent-*-syncs
        self.manager = Manager(self.client, max_concurrent_reconciles=1)
        #: The kube-controller-manager controllers running (``--controllers``).
        self.enabled = enabled_controllers(controllers)
        #: Periods, grace periods and the clock of the controllers.
        self.options = options or ControllerOptions()
        for name in self.enabled:
            CONTROLLERS[name](self.manager, self.client, self.options)
        #: How many simulated nodes register at start (0: none, and no scheduler or kubelet).
        self.nodes = nodes
        if scheduler or nodes:  # kube-scheduler's default profile
            add_scheduler(self.manager, self.client, self.options)
        if nodes:  # the simulated fleet: nodes that heartbeat, and a kubelet that plays their pods out
            add_node_agent(self.manager, self.client, self.options, count=nodes)
            add_kubelet(self.manager, self.client, self.options)
        # kube-apiserver's own (apiextensions), not kube-controller-manager's: always on.
        add_crd_cleanup_controller(self.manager, self.client)

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
