"""setpoint's controller runtime: level-based controllers over any Kubernetes API server.

The stages, each its own module, composed in this order::

    client -> watcher -> informer (store) -> cache -> controller (workqueue) -> reconcile

* :mod:`~setpoint.runtime.config`, :mod:`~setpoint.runtime.client` -- kubeconfig / in-cluster
  configuration; the Client protocol and its HTTP implementation (dynamic, any kind in discovery);
* :mod:`~setpoint.runtime.watcher` -- list+watch as a state machine with a step function;
* :mod:`~setpoint.runtime.store`, :mod:`~setpoint.runtime.informer`, :mod:`~setpoint.runtime.cache`
  -- the shared, indexed, read-only object cache;
* :mod:`~setpoint.runtime.workqueue`, :mod:`~setpoint.runtime.ratelimit`,
  :mod:`~setpoint.runtime.backoff` -- queueing, retries and backoff as client-go does them;
* :mod:`~setpoint.runtime.predicate`, :mod:`~setpoint.runtime.handler`,
  :mod:`~setpoint.runtime.controller`, :mod:`~setpoint.runtime.builder`,
  :mod:`~setpoint.runtime.reconcile` -- controllers;
* :mod:`~setpoint.runtime.manager`, :mod:`~setpoint.runtime.leader`,
  :mod:`~setpoint.runtime.metrics` -- running many controllers, one leader, Prometheus;
* helpers: :mod:`~setpoint.runtime.status`, :mod:`~setpoint.runtime.conditions`,
  :mod:`~setpoint.runtime.finalizers`, :mod:`~setpoint.runtime.events`,
  :mod:`~setpoint.runtime.objects`, :mod:`~setpoint.runtime.labels`.

The most used names are re-exported here.
"""

from setpoint.runtime.builder import Builder
from setpoint.runtime.cache import Cache
from setpoint.runtime.client import Client, HTTPClient, PatchType
from setpoint.runtime.config import Config
from setpoint.runtime.controller import Controller
from setpoint.runtime.errors import ApiError, Conflict, NotFound
from setpoint.runtime.leader import LeaderElection, LeadershipLost
from setpoint.runtime.manager import Manager
from setpoint.runtime.reconcile import Request, Result, TerminalError
from setpoint.runtime.resource import Kind

__all__ = [
    "ApiError",
    "Builder",
    "Cache",
    "Client",
    "Config",
    "Conflict",
    "Controller",
    "HTTPClient",
    "Kind",
    "LeaderElection",
    "LeadershipLost",
    "Manager",
    "NotFound",
    "PatchType",
    "Request",
    "Result",
    "TerminalError",
]
