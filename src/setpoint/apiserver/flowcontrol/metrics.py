"""``apiserver_flowcontrol_*`` metrics with kube's names and labels.

Gauges and counters are plain integers on the priority levels and kept per (flow schema,
priority level); they are read when ``/metrics`` is scraped, so a request pays one dict
lookup, not a Prometheus label lookup. The wait histogram is a real one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

#: kube's ``apiserver_flowcontrol_request_wait_duration_seconds`` buckets.
WAIT_BUCKETS = (0, 0.005, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30)


class FlowStats:
    """Counts of one (flow schema, priority level) pair."""

    __slots__ = ("dispatched", "executing", "inqueue", "rejected", "seats")

    def __init__(self) -> None:
        self.dispatched = 0
        self.executing = 0
        self.seats = 0
        self.inqueue = 0
        #: Rejections by reason.
        self.rejected: dict[str, int] = {}


class FlowControlMetrics(Collector):
    def __init__(self, registry: CollectorRegistry, levels: Callable[[], dict[str, Any]]) -> None:
        self._levels = levels
        #: By (flow schema, priority level).
        self.flows: dict[tuple[str, str], FlowStats] = {}
        self.wait = Histogram(
            "apiserver_flowcontrol_request_wait_duration_seconds",
            "Length of time a request spent waiting in its queue",
            ["flow_schema", "priority_level", "execute"], buckets=WAIT_BUCKETS, registry=registry)
        self._wait_children: dict[tuple[str, str, str], Any] = {}
        registry.register(self)

    def stats(self, flow_schema: str, priority_level: str) -> FlowStats:
        key = (flow_schema, priority_level)
        s = self.flows.get(key)
        if s is None:
            s = self.flows[key] = FlowStats()
        return s

    def observe_wait(self, flow_schema: str, priority_level: str, execute: bool, seconds: float) -> None:
        key = (flow_schema, priority_level, "true" if execute else "false")
        child = self._wait_children.get(key)
        if child is None:
            child = self._wait_children[key] = self.wait.labels(*key)
        child.observe(seconds)

    def describe(self) -> list[Any]:
        return []

    def collect(self) -> Iterator[Any]:
        fl = ["flow_schema", "priority_level"]
        inqueue = GaugeMetricFamily("apiserver_flowcontrol_current_inqueue_requests",
                                    "Number of requests currently pending in queues of the API Priority and "
                                    "Fairness subsystem", labels=fl)
        executing = GaugeMetricFamily("apiserver_flowcontrol_current_executing_requests",
                                      "Number of requests in initial (for a WATCH) or any (for a non-WATCH) "
                                      "execution stage in the API Priority and Fairness subsystem", labels=fl)
        seats = GaugeMetricFamily("apiserver_flowcontrol_current_executing_seats",
                                  "Concurrency (number of seats) occupied by the currently executing (initial "
                                  "stage for a WATCH, any stage otherwise) requests in the API Priority and "
                                  "Fairness subsystem", labels=fl)
        dispatched = CounterMetricFamily("apiserver_flowcontrol_dispatched_requests",
                                         "Number of requests executed by API Priority and Fairness subsystem",
                                         labels=fl)
        rejected = CounterMetricFamily("apiserver_flowcontrol_rejected_requests",
                                       "Number of requests rejected by API Priority and Fairness subsystem",
                                       labels=[*fl, "reason"])
        for (fs, pl), s in sorted(self.flows.items()):
            inqueue.add_metric([fs, pl], s.inqueue)
            executing.add_metric([fs, pl], s.executing)
            seats.add_metric([fs, pl], s.seats)
            dispatched.add_metric([fs, pl], s.dispatched)
            for reason, n in sorted(s.rejected.items()):
                rejected.add_metric([fs, pl, reason], n)
        nominal = GaugeMetricFamily("apiserver_flowcontrol_nominal_limit_seats",
                                    "Nominal number of execution seats configured for each priority level",
                                    labels=["priority_level"])
        in_use = GaugeMetricFamily("apiserver_flowcontrol_current_limit_seats",
                                   "current derived number of execution seats available to each priority level",
                                   labels=["priority_level"])
        for name, level in sorted(self._levels().items()):
            nominal.add_metric([name], level.nominal_limit)
            in_use.add_metric([name], level.nominal_limit)
        yield from (inqueue, executing, seats, dispatched, rejected, nominal, in_use)
