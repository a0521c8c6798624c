"""The API server's request count and duration metrics, as a scrape reads them."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from setpoint.apiserver.endpoints.metrics import APIMetrics

GET = ("GET", "", "", "v1", "configmaps", "", "resource", "apiserver")


def _samples(metrics: APIMetrics) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(metrics.render().decode()):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def test_requests_are_counted_by_code_and_timed_in_kubes_buckets() -> None:
    metrics = APIMetrics()
    for seconds, code in ((0.001, "200"), (0.005, "200"), (0.03, "200"), (61.0, "404")):
        metrics.observe(GET, code, seconds)
    metrics.requests.count(("WATCH", *GET[1:]), "200")  # a watch is counted, not timed
    samples = _samples(metrics)
    labels = dict(zip(("verb", "dry_run", "group", "version", "resource", "subresource", "scope", "component"),
                      GET, strict=True))

    def key(name: str, **extra: str) -> tuple[str, tuple[tuple[str, str], ...]]:
        return name, tuple(sorted({**labels, **extra}.items()))

    assert samples[key("apiserver_request_total", code="200")] == 3
    assert samples[key("apiserver_request_total", code="404")] == 1
    assert samples[key("apiserver_request_total", code="200", verb="WATCH")] == 1
    bucket = "apiserver_request_duration_seconds_bucket"
    # A duration equal to a bound is in that bucket; buckets are cumulative; 61 s is only in +Inf.
    assert samples[key(bucket, le="0.005")] == 2
    assert samples[key(bucket, le="0.025")] == 2
    assert samples[key(bucket, le="0.05")] == 3
    assert samples[key(bucket, le="60.0")] == 3
    assert samples[key(bucket, le="+Inf")] == 4
    assert samples[key("apiserver_request_duration_seconds_count")] == 4
    assert abs(samples[key("apiserver_request_duration_seconds_sum")] - 61.036) < 1e-9
    assert not any(name.startswith("apiserver_request_duration_seconds") and dict(lbl).get("verb") == "WATCH"
                   for name, lbl in samples)
