"""The workload controllers' Events: written in the background, folded and rate limited with
client-go's EventCorrelator defaults."""

from __future__ import annotations

from workload_helpers import EVENT

from setpoint.controllers.eventlimit import LimitedRecorder
from setpoint.controllers.inprocess import InProcessClient
from setpoint.runtime.client import items


async def test_similar_events_fold_and_a_burst_is_capped(client: InProcessClient) -> None:
    owner = await client.create({"apiVersion": "v1", "kind": "ConfigMap",
                                 "metadata": {"name": "owner", "namespace": "default"}})
    recorder = LimitedRecorder(client, "replicaset-controller")
    for i in range(40):
        recorder.normal(owner, "SuccessfulCreate", f"Created pod: p{i}")
    await recorder.flush()
    events = [e for e in items(await client.list(EVENT, "default")) if e["involvedObject"]["name"] == "owner"]
    # nine distinct messages, then one Event "(combined from similar events)" counting the rest of
    # the 25 the spam filter lets through; the last 15 are dropped
    plain = sorted(e["message"] for e in events if e["count"] == 1 and not e["message"].startswith("("))
    assert plain == sorted(f"Created pod: p{i}" for i in range(9))
    (combined,) = [e for e in events if e["message"].startswith("(combined from similar events): ")]
    assert combined["message"] == "(combined from similar events): Created pod: p24"  # the latest
    assert combined["count"] == 16
    assert combined["source"]["component"] == "replicaset-controller"
