"""The API server's Prometheus metrics, with kube-apiserver's names.

Each server has its own ``CollectorRegistry`` (no process-global state), so
two servers in one process report separately.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

#: kube-apiserver's request duration buckets.
_DURATION_BUCKETS = (0.005, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1.0, 1.25, 1.5, 2, 3, 4, 5, 6, 8, 10,
                     15, 20, 30, 45, 60)

CONTENT_TYPE = CONTENT_TYPE_LATEST


#: The labels of a request's count and duration (as kube-apiserver: the dry run value too).
REQUEST_LABELS = ("verb", "dry_run", "group", "version", "resource", "subresource", "scope", "component")


class RequestStats(Collector):
    """``apiserver_request_total`` and ``apiserver_request_duration_seconds``, kept as plain
    numbers and made into metrics when scraped: counting a request is a dictionary lookup and two
    additions, where a ``prometheus_client`` child takes a lock for each (and every request is
    counted; scrapes are rare). Only the event loop's thread counts."""

    def __init__(self) -> None:
        #: labels -> (requests answered by code, [count in each bucket (not cumulative; the
        #: last is +Inf), sum of seconds])
        self._rows: dict[tuple[str, ...], tuple[dict[str, int], list[float]]] = {}

    def _row(self, labels: tuple[str, ...]) -> tuple[dict[str, int], list[float]]:
        row = self._rows.get(labels)
        if row is None:
            row = self._rows[labels] = ({}, [])
        return row

    def count(self, labels: tuple[str, ...], code: str) -> None:
        """Count one request not timed (a watch)."""
        codes = self._row(labels)[0]
        codes[code] = codes.get(code, 0) + 1

    def observe(self, labels: tuple[str, ...], code: str, seconds: float) -> None:
        """Count one request and its duration."""
        codes, timed = self._row(labels)
        codes[code] = codes.get(code, 0) + 1
        if not timed:
            timed.extend([0.0] * (len(_DURATION_BUCKETS) + 2))
        timed[bisect.bisect_left(_DURATION_BUCKETS, seconds)] += 1
        timed[-1] += seconds

    def collect(self) -> Iterator[Metric]:
        rows = list(self._rows.items())
        total = CounterMetricFamily(
            "apiserver_request", "Counter of apiserver requests broken out for each verb, dry run value, "
            "group, version, resource, scope, component, and HTTP response code.",
            labels=(*REQUEST_LABELS, "code"))
        for labels, (codes, _) in rows:
            for code, requests in list(codes.items()):
                total.add_metric((*labels, code), requests)
        yield total
        duration = HistogramMetricFamily(
            "apiserver_request_duration_seconds", "Response latency distribution in seconds for each verb, "
            "dry run value, group, version, resource, subresource, scope and component.", labels=REQUEST_LABELS)
        for labels, (_, timed) in rows:
            if not timed:
                continue
            cumulative, buckets = 0.0, []
            for bound, in_bucket in zip((*_DURATION_BUCKETS, math.inf), timed, strict=False):
                cumulative += in_bucket
                buckets.append((floatToGoString(bound), cumulative))  # type: ignore[no-untyped-call]
            duration.add_metric(labels, buckets, timed[-1])
        yield duration


class APIMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        labels = ["verb", "group", "version", "resource", "subresource", "scope", "component"]
        self.requests = RequestStats()
        self.registry.register(self.requests)
        self.longrunning = Gauge(
            "apiserver_longrunning_requests", "Gauge of all active long-running apiserver requests broken "
            "out by verb, group, version, resource, scope and component.",
            labels, registry=self.registry)
        self.inflight = Gauge(
            "apiserver_current_inflight_requests", "Maximal number of currently used inflight request "
            "limit of this apiserver per request kind in last second.",
            ["request_kind"], registry=self.registry)
        self.rejected = Counter(
            "apiserver_dropped_requests", "Number of requests dropped with 'Try again later' response.",
            ["request_kind"], registry=self.registry)

    def observe(self, labels: tuple[str, ...], code: str, seconds: float) -> None:
        """Count one request and its duration; ``labels`` are :data:`REQUEST_LABELS`' values."""
        self.requests.observe(labels, code, seconds)

    def render(self) -> bytes:
        return generate_latest(self.registry)
