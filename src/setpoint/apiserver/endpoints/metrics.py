"""The API server's Prometheus metrics, with kube-apiserver's names.

Each server has its own ``CollectorRegistry`` (no process-global state), so
two servers in one process report separately.
"""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

#: kube-apiserver's request duration buckets.
_DURATION_BUCKETS = (0.005, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1.0, 1.25, 1.5, 2, 3, 4, 5, 6, 8, 10,
                     15, 20, 30, 45, 60)

CONTENT_TYPE = CONTENT_TYPE_LATEST


class APIMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        labels = ["verb", "group", "version", "resource", "subresource", "scope", "component"]
        # As kube-apiserver: request counts and durations also carry the dry run value.
        request_labels = ["verb", "dry_run", *labels[1:]]
        self.requests = Counter(
            "apiserver_request", "Counter of apiserver requests broken out for each verb, dry run value, "
            "group, version, resource, scope, component, and HTTP response code.",
            [*request_labels, "code"], registry=self.registry)
        self.duration = Histogram(
            "apiserver_request_duration_seconds", "Response latency distribution in seconds for each verb, "
            "dry run value, group, version, resource, subresource, scope and component.",
            request_labels, buckets=_DURATION_BUCKETS, registry=self.registry)
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
        self._counters: dict[tuple[str, ...], Any] = {}
        self._histograms: dict[tuple[str, ...], Any] = {}

    def observe(self, labels: tuple[str, ...], code: str, seconds: float) -> None:
        """Count one request and its duration (metric children cached per label set).

        ``labels`` are verb, dry_run, group, version, resource, subresource, scope, component.
        """
        key = (*labels, code)
        counter = self._counters.get(key)
        if counter is None:
            counter = self._counters[key] = self.requests.labels(*key)
        counter.inc()
        histogram = self._histograms.get(labels)
        if histogram is None:
            histogram = self._histograms[labels] = self.duration.labels(*labels)
        histogram.observe(seconds)

    def render(self) -> bytes:
        return generate_latest(self.registry)
