"""The demo, small: every guest addressed and known to every host of its VNI, and nowhere else."""

from __future__ import annotations

from examples.sdn import demo

from setpoint.testing import ApiServer


async def test_the_demo_converges_and_plots(setpoint_api: ApiServer) -> None:
    scenario = demo.Scenario(nodes=6, vnis=4, attachments=60, nodes_per_vni=2, ipam_replicas=2)
    lines: list[str] = []
    out = await demo.run(setpoint_api.client, scenario, progress=lines.append, interval=0.2)
    assert out.locks == 60
    assert out.addressed <= out.disseminated
    placement, guests = demo.plan(scenario)
    hosting = {vni: {g[2] for g in guests if g[1] == vni} for vni in placement}
    # one latency per attachment and other host of its VNI
    assert len(out.latencies) == sum(len(hosting[vni]) - 1 for _, vni, _ in guests)
    # an agent watches its own node's attachments and one informer per VNI it hosts, no more
    for node, informers in zip((f"node-{i}" for i in range(6)), out.informers_per_agent, strict=True):
        hosted = {vni for vni, nodes in placement.items() if node in nodes and any(g[2] == node and g[1] == vni
                                                                                   for g in guests)}
        assert informers == 1 + len(hosted)
    assert max(out.objects_per_agent) < 60  # a naive agent caches all 60
    assert lines and "addressed     60/60" in lines[-1]
    plot = demo.svg(out)
    assert plot.startswith("<svg") and plot.count("<polyline") == 2 and plot.count("<circle") == 60
