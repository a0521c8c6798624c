"""setpoint's controller runtime: level-based controllers over any Kubernetes API server.

The stages, each its own module, composed in this order::

    client -> watcher -> informer (store) -> cache -> controller (workqueue) -> reconcile

* :mod:`~setpoint.runtime.config`, :mod:`~setpoint.runtime.client`,
  :mod:`~setpoint.runtime.http_client` -- kubeconfig / in-cluster configuration; the Client
  protocol and its HTTP implementation (dynamic, any kind in discovery);
* :mod:`~setpoint.runtime.watcher` -- list+watch as a state machine with a step function;
* :mod:`~setpoint.runtime.store`, :mod:`~setpoint.runtime.informer`, :mod:`~setpoint.runtime.cache`
  -- the shared, indexed, read-only object cache;
* :mod:`~setpoint.runtime.workqueue`, :mod:`~setpoint.runtime.ratelimit`,
  :mod:`~setpoint.runtime.backoff` -- queueing, retries and backoff as client-go does them;
* :mod:`~setpoint.runtime.predicate`, :mod:`~setpoint.runtime.handler`,
  :mod:`~setpoint.runtime.controller`, :mod:`~setpoint.runtime.builder`,
  :mod:`~setpoint.runtime.reconcile` -- controllers;
* :mod:`~setpoint.runtime.pipeline` -- optional stages between sources and the work queue
  (filter, buffer, schedule by priority, retry), each with its metrics;
* :mod:`~setpoint.runtime.manager`, :mod:`~setpoint.runtime.leader`,
  :mod:`~setpoint.runtime.metrics`, :mod:`~setpoint.runtime.probes` -- running many
  controllers, one leader, Prometheus, the health and metrics endpoints;
* :mod:`~setpoint.runtime.fleet` -- one manager per member cluster, from kubeconfig Secrets;
* helpers: :mod:`~setpoint.runtime.status`, :mod:`~setpoint.runtime.conditions`,
  :mod:`~setpoint.runtime.finalizers`, :mod:`~setpoint.runtime.events`,
  :mod:`~setpoint.runtime.objects`, :mod:`~setpoint.runtime.labels`.

The most used names are re-exported here. ``HTTPClient`` is loaded on first use: it
brings aiohttp (~150 ms), which code driving the runtime in-process never needs.
"""

from typing import TYPE_CHECKING, Any

from setpoint.runtime.builder import Builder
from setpoint.runtime.cache import Cache
from setpoint.runtime.client import Client, PatchType
from setpoint.runtime.config import Config
from setpoint.runtime.controller import Controller
from setpoint.runtime.errors import ApiError, Conflict, NotFound
from setpoint.runtime.leader import LeaderElection, LeadershipLost
from setpoint.runtime.manager import Manager
from setpoint.runtime.reconcile import Request, Result, TerminalError
from setpoint.runtime.resource import Kind

if TYPE_CHECKING:
    from setpoint.runtime.http_client import HTTPClient

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


def __getattr__(name: str) -> Any:
    if name == "HTTPClient":
        from setpoint.runtime.http_client import HTTPClient

        return HTTPClient
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
