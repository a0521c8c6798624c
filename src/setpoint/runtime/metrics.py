"""Prometheus metrics with controller-runtime's names, so existing dashboards work.

Controller: ``controller_runtime_reconcile_total{controller,result}`` (result is
success, error, requeue_after), ``controller_runtime_reconcile_errors_total``,
``controller_runtime_terminal_reconcile_errors_total``,
``controller_runtime_reconcile_time_seconds`` (controller-runtime's buckets),
``controller_runtime_max_concurrent_reconciles``, ``controller_runtime_active_workers``.

Work queue (labels ``name`` and ``controller``): ``workqueue_depth``,
``workqueue_adds_total``, ``workqueue_retries_total``,
``workqueue_queue_duration_seconds``, ``workqueue_work_duration_seconds``
(buckets 10 ns .. 1000 s), and, computed when scraped,
``workqueue_unfinished_work_seconds`` and ``workqueue_longest_running_processor_seconds``.

Client: ``rest_client_requests_total{code,method,host}``. Leader election:
``leader_election_master_status{name}``.

Event pipeline (:mod:`setpoint.runtime.pipeline`, labels ``controller`` and ``stage``):
``setpoint_pipeline_depth``, ``setpoint_pipeline_latency_seconds``, ``setpoint_pipeline_passed_total``,
``setpoint_pipeline_dropped_total``, ``setpoint_pipeline_coalesced_total``; its retries (label
``controller``): ``setpoint_pipeline_retries_total``, ``setpoint_pipeline_backoff_seconds``. Fleet
(:mod:`setpoint.runtime.fleet`): ``setpoint_fleet_member_ready{cluster}``.

All live in :data:`REGISTRY` (not prometheus_client's global one); the manager
serves it on ``/metrics``.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector

REGISTRY = CollectorRegistry(auto_describe=True)
CONTENT_TYPE = CONTENT_TYPE_LATEST

_RECONCILE_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8,
                      0.9, 1.0, 1.25, 1.5, 1.75, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5, 6, 7, 8, 9, 10, 15, 20, 25, 30,
                      40, 50, 60)
_QUEUE_BUCKETS = tuple(1e-8 * 10**i for i in range(12))

reconcile_total = Counter("controller_runtime_reconcile_total", "Total number of reconciliations per controller",
                          ["controller", "result"], registry=REGISTRY)
reconcile_errors = Counter("controller_runtime_reconcile_errors_total",
                           "Total number of reconciliation errors per controller", ["controller"], registry=REGISTRY)
terminal_errors = Counter("controller_runtime_terminal_reconcile_errors_total",
                          "Total number of terminal reconciliation errors per controller", ["controller"],
                          registry=REGISTRY)
reconcile_time = Histogram("controller_runtime_reconcile_time_seconds",
                           "Length of time per reconciliation per controller", ["controller"],
                           buckets=_RECONCILE_BUCKETS, registry=REGISTRY)
max_concurrent = Gauge("controller_runtime_max_concurrent_reconciles",
                       "Maximum number of concurrent reconciles per controller", ["controller"], registry=REGISTRY)
active_workers = Gauge("controller_runtime_active_workers", "Number of currently used workers per controller",
                       ["controller"], registry=REGISTRY)

queue_depth = Gauge("workqueue_depth", "Current depth of workqueue", ["name", "controller"], registry=REGISTRY)
queue_adds = Counter("workqueue_adds", "Total number of adds handled by workqueue", ["name", "controller"],
                     registry=REGISTRY)
queue_retries = Counter("workqueue_retries", "Total number of retries handled by workqueue", ["name", "controller"],
                        registry=REGISTRY)
queue_latency = Histogram("workqueue_queue_duration_seconds",
                          "How long in seconds an item stays in workqueue before being requested",
                          ["name", "controller"], buckets=_QUEUE_BUCKETS, registry=REGISTRY)
queue_work = Histogram("workqueue_work_duration_seconds",
                       "How long in seconds processing an item from workqueue takes.", ["name", "controller"],
                       buckets=_QUEUE_BUCKETS, registry=REGISTRY)

rest_requests = Counter("rest_client_requests", "Number of HTTP requests, partitioned by status code, method, "
                        "and host.", ["code", "method", "host"], registry=REGISTRY)
leader_status = Gauge("leader_election_master_status", "Gauge of if the reporting system is master of the "
                      "relevant lease, 0 indicates backup, 1 indicates master. 'name' is the string used to "
                      "identify the lease.", ["name"], registry=REGISTRY)


class QueueMetrics:
    """The :class:`~setpoint.runtime.workqueue.QueueMetrics` of one named queue."""

    def __init__(self, name: str) -> None:
        self._depth = queue_depth.labels(name, name)
        self._adds = queue_adds.labels(name, name)
        self._retries = queue_retries.labels(name, name)
        self._latency = queue_latency.labels(name, name)
        self._work = queue_work.labels(name, name)

    def added(self) -> None:
        self._adds.inc()

    def depth(self, n: int) -> None:
        self._depth.set(n)

    def waited(self, seconds: float) -> None:
        self._latency.observe(seconds)

    def worked(self, seconds: float) -> None:
        self._work.observe(seconds)

    def retried(self) -> None:
        self._retries.inc()


class ControllerMetrics:
    """The reconcile metrics of one controller."""

    def __init__(self, name: str, workers: int) -> None:
        self.success = reconcile_total.labels(name, "success")
        self.error = reconcile_total.labels(name, "error")
        self.requeue_after = reconcile_total.labels(name, "requeue_after")
        self.requeue = reconcile_total.labels(name, "requeue")
        self.errors = reconcile_errors.labels(name)
        self.terminal = terminal_errors.labels(name)
        self.time = reconcile_time.labels(name)
        self.active = active_workers.labels(name)
        max_concurrent.labels(name).set(workers)


class _UnfinishedWork(Collector):
    """Computes the two stuck-worker gauges at scrape time from the live queues."""

    def __init__(self) -> None:
        self.queues: weakref.WeakSet[Any] = weakref.WeakSet()

    def collect(self) -> Iterator[GaugeMetricFamily]:
        unfinished = GaugeMetricFamily(
            "workqueue_unfinished_work_seconds", "How many seconds of work has been done that is in progress "
            "and hasn't been observed by work_duration.", labels=["name", "controller"])
        longest = GaugeMetricFamily(
            "workqueue_longest_running_processor_seconds", "How many seconds has the longest running processor "
            "for workqueue been running.", labels=["name", "controller"])
        for q in list(self.queues):
            try:
                running = q.in_flight_seconds()
            except RuntimeError:  # no running loop to read the clock from
                continue
            unfinished.add_metric([q.name, q.name], sum(running))
            longest.add_metric([q.name, q.name], max(running, default=0.0))
        yield unfinished
        yield longest

    def describe(self) -> Iterator[GaugeMetricFamily]:
        return iter(())


unfinished_work = _UnfinishedWork()
REGISTRY.register(unfinished_work)


def track_queue(queue: Any) -> None:
    """Report ``queue`` in the unfinished-work gauges while it lives."""
    unfinished_work.queues.add(queue)


def client_observer(host: str) -> Any:
    """An observer for :class:`~setpoint.runtime.client.Client` counting ``rest_client_requests_total``."""
    children: dict[tuple[str, int], Any] = {}

    def observe(method: str, code: int) -> None:
        child = children.get((method, code))
        if child is None:
            child = children[(method, code)] = rest_requests.labels(str(code) if code else "<error>", method, host)
        child.inc()
    return observe


fleet_member_ready = Gauge("setpoint_fleet_member_ready", "Whether a fleet's member cluster runs with its caches "
                           "synced (1) or not (0).", ["cluster"], registry=REGISTRY)

pipeline_depth = Gauge("setpoint_pipeline_depth", "Requests held in a stage of a controller's event pipeline",
                       ["controller", "stage"], registry=REGISTRY)
pipeline_latency = Histogram("setpoint_pipeline_latency_seconds", "How long a request stayed in a stage of a "
                             "controller's event pipeline", ["controller", "stage"], buckets=_QUEUE_BUCKETS,
                             registry=REGISTRY)
pipeline_passed = Counter("setpoint_pipeline_passed", "Requests a pipeline stage passed on", ["controller", "stage"],
                          registry=REGISTRY)
pipeline_dropped = Counter("setpoint_pipeline_dropped", "Requests a pipeline stage dropped",
                           ["controller", "stage"], registry=REGISTRY)
pipeline_coalesced = Counter("setpoint_pipeline_coalesced", "Requests a pipeline stage merged into one it held",
                             ["controller", "stage"], registry=REGISTRY)
pipeline_retries = Counter("setpoint_pipeline_retries", "Requests sent back with back-off after a failed reconcile",
                           ["controller"], registry=REGISTRY)
pipeline_backoff = Histogram("setpoint_pipeline_backoff_seconds", "The back-off given to a failed request",
                             ["controller"], buckets=_QUEUE_BUCKETS, registry=REGISTRY)


class StageMetrics:
    """The metrics of one stage of one controller's event pipeline."""

    def __init__(self, controller: str, stage: str) -> None:
        self.depth = pipeline_depth.labels(controller, stage)
        self.latency = pipeline_latency.labels(controller, stage)
        self.passed = pipeline_passed.labels(controller, stage)
        self.dropped = pipeline_dropped.labels(controller, stage)
        self.coalesced = pipeline_coalesced.labels(controller, stage)


class RetryMetrics:
    """The failure path's metrics of one controller."""

    def __init__(self, controller: str) -> None:
        self.retries = pipeline_retries.labels(controller)
        self.backoff = pipeline_backoff.labels(controller)


def render() -> bytes:
    return generate_latest(REGISTRY)
