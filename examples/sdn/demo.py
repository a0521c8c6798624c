"""A whole virtual network, simulated: the control plane, N node agents, subnets and guests.

:func:`run` installs the API, starts the subnet validator, the IPAM replicas and one agent
per node (each in a manager of its own, as on its own host; all in this process), creates one
Subnet per VNI (each VNI a tenant namespace placed on a few nodes) and the attachments, all
at once, and measures until every attachment has an address and every host that runs a guest
of its VNI has it in its table. ``python -m examples.sdn demo`` prints the progress and writes
a plot; ``benchmarks/sdn.py`` runs it at scale.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from setpoint.runtime import Client, Kind, Manager, errors
from setpoint.runtime.informer import FuncHandler, Informer

from . import agent, api, ipam, validator
from .dataplane import MemoryDataPlane

NAMESPACE = Kind("v1", "Namespace")
NODE = Kind("v1", "Node")


@dataclass
class Scenario:
    """What to simulate."""

    nodes: int = 10
    vnis: int = 5
    attachments: int = 200
    nodes_per_vni: int = 3     # the hosts a tenant's guests are spread over
    ipam_replicas: int = 2
    seed: int = 1
    #: one agent per Node object of the cluster (its name, its InternalIP; e.g. `setpoint up`'s simulated
    #: nodes) instead of ``nodes`` made-up ones
    use_nodes: bool = False


@dataclass
class Outcome:
    """What was measured; times in seconds from the first create."""

    scenario: Scenario
    created: float = 0.0
    addressed: float = 0.0
    disseminated: float = 0.0
    #: per attachment and other host of its VNI: from when both the guest was addressed and the host
    #: started watching the VNI, to the entry in the host's table
    latencies: list[float] = field(default_factory=list)
    timeline: list[tuple[float, int, int]] = field(default_factory=list)  # (t, addressed, disseminated)
    #: per attachment: (when it was addressed, its slowest host's dissemination latency)
    samples: list[tuple[float, float]] = field(default_factory=list)
    informers_per_agent: list[int] = field(default_factory=list)
    events_per_agent: list[int] = field(default_factory=list)
    objects_per_agent: list[int] = field(default_factory=list)
    events_cluster_wide: int = 0  # what one cluster-wide informer received: each naive agent's share
    locks: int = 0

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]

    def summary(self) -> list[str]:
        s = self.scenario
        n = s.nodes
        return [
            f"{s.attachments} attachments, {s.vnis} VNIs on {s.nodes_per_vni} nodes each, {s.nodes} nodes, "
            f"{s.ipam_replicas} IPAM replicas",
            f"created in {self.created:.1f} s; all addressed after {self.addressed:.1f} s; "
            f"all disseminated after {self.disseminated:.1f} s",
            f"dissemination latency (addressed, or host joined the VNI -> in the host's table): p50 {self.percentile(50) * 1000:.0f} ms, "
            f"p99 {self.percentile(99) * 1000:.0f} ms",
            f"watches: {sum(self.informers_per_agent)} for {n} agents "
            f"({statistics.mean(self.informers_per_agent):.1f} each: 1 local + 1 per VNI) against {n} naive "
            f"(one cluster-wide informer each)",
            f"per agent: {statistics.mean(self.events_per_agent):.0f} events received and "
            f"{statistics.mean(self.objects_per_agent):.0f} objects cached, against {self.events_cluster_wide} and "
            f"{s.attachments} with one cluster-wide informer",
        ]


def made_up_nodes(s: Scenario) -> dict[str, str]:
    """``s.nodes`` node names and host IPs: node-0 is 172.16.0.1, and so on."""
    return {f"node-{i}": f"172.16.{i // 250}.{i % 250 + 1}" for i in range(s.nodes)}


async def cluster_nodes(client: Client) -> dict[str, str]:
    """The cluster's Node objects with an address: name -> host IP."""
    found = {}
    for node in (await client.list(NODE))["items"]:
        ip = agent.host_ip_of(node)
        if ip:
            found[node["metadata"]["name"]] = ip
    return found


def plan(s: Scenario, nodes: list[str] | None = None) -> tuple[dict[int, list[str]], list[tuple[str, int, str]]]:
    """The nodes of each VNI, and the attachments as (name, vni, node)."""
    rng = random.Random(s.seed)
    nodes = sorted(nodes if nodes is not None else made_up_nodes(s))
    placement = {v: rng.sample(nodes, min(s.nodes_per_vni, len(nodes))) for v in range(1, s.vnis + 1)}
    guests = []
    for i in range(s.attachments):
        vni = i % s.vnis + 1
        guests.append((f"guest-{i}", vni, rng.choice(placement[vni])))
    return placement, guests


def tenant(vni: int) -> str:
    return f"tenant-{vni}"


def cidr(vni: int) -> str:
    """A /20 per VNI (4,094 addresses): 10.<vni/16>.<vni%16*16>.0/20."""
    return f"10.{vni // 16}.{vni % 16 * 16}.0/20"


class Stalled(TimeoutError):
    """The network did not converge in time; the message says what is missing where."""


async def run(client: Client, s: Scenario, *, agent_client: Client | None = None,
              progress: Callable[[str], None] | None = None, interval: float = 1.0,
              timeout: float | None = None) -> Outcome:
    """Simulate ``s`` against the server behind ``client``; see the module docstring.

    Raises :class:`Stalled` if it has not converged after ``timeout`` seconds."""
    say = progress or (lambda line: None)
    await api.install(client)
    hosts = await cluster_nodes(client) if s.use_nodes else made_up_nodes(s)
    if not hosts:
        raise ValueError("no Node object with an address in this cluster")
    s.nodes = len(hosts)
    placement, guests = plan(s, list(hosts))
    for vni in placement:
        with contextlib.suppress(errors.AlreadyExists):
            await client.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": tenant(vni)}})
        await client.create(api.subnet(f"net-{vni}", vni, cidr(vni), tenant(vni)))

    addressed_at: dict[str, float] = {}
    watched: dict[str, tuple[int, str, str]] = {}  # key -> (vni, ip, node)
    events = 0
    started = time.monotonic()

    def seen(obj: dict[str, Any]) -> None:
        nonlocal events
        events += 1
        st = obj.get("status") or {}
        key = f"{obj['metadata']['namespace']}/{obj['metadata']['name']}"
        if st.get("ipv4") and key not in addressed_at:
            addressed_at[key] = time.monotonic()
            vni = int(obj["metadata"]["labels"][api.VNI_LABEL])
            watched[key] = (vni, st["ipv4"], obj["spec"]["node"])

    observer = Informer(client, api.ATTACHMENT)  # the cluster-wide view a naive agent would have
    observer.add_handler(FuncHandler(on_add=seen, on_update=lambda _, new: seen(new), on_delete=lambda _: None))

    validating = Manager(client)
    validator.setup(validating)
    replicas = [Manager(client) for _ in range(s.ipam_replicas)]
    for i, m in enumerate(replicas):
        ipam.setup(m, identity=f"ipam-{i}")
    agents: dict[str, agent.NodeAgent] = {}
    agent_managers = []
    for node, host_ip in hosts.items():
        m = Manager(agent_client or client)
        agents[node] = agent.setup(m, node, host_ip)
        agent_managers.append(m)

    hosting: dict[int, set[str]] = {}  # the nodes with a guest of each VNI: they must learn its guests
    for _, vni, node in guests:
        hosting.setdefault(vni, set()).add(node)

    pairs: dict[str, list[float]] = {}  # key -> per other host: addressed (or host joined) -> programmed

    def disseminated(key: str) -> float | None:
        """When the last other host with a guest of the attachment's VNI programmed it."""
        vni, ip, node = watched[key]
        last = addressed_at[key]
        delays = []
        for other in hosting[vni]:
            if other == node:
                continue
            a = agents[other]
            dp = a.dataplane
            assert isinstance(dp, MemoryDataPlane)
            at = dp.programmed.get((vni, ip))
            if at is None:
                return None
            last = max(last, at)
            # (the observer's watch may see the address a little after a host's watch does: 0 then)
            delays.append(max(0.0, at - max(addressed_at[key], a.joined.get(vni, 0.0))))
        pairs[key] = delays
        return last

    async with contextlib.AsyncExitStack() as stack:
        observer.start()
        stack.push_async_callback(observer.stop)
        for m in (validating, *replicas, *agent_managers):
            await stack.enter_async_context(m.running())
        await observer.wait_synced()
        say(f"{s.nodes} agents, {s.ipam_replicas} IPAM replicas and the subnet validator running; "
            f"creating {s.attachments} attachments in {s.vnis} VNIs")
        started = time.monotonic()
        sem = asyncio.Semaphore(64)

        async def create(name: str, vni: int, node: str) -> None:
            async with sem:
                await client.create(api.attachment(name, f"net-{vni}", node, tenant(vni)))

        out = Outcome(s)
        creating = asyncio.gather(*(create(*g) for g in guests))
        done: dict[str, float] = {}
        while True:
            await asyncio.sleep(interval if creating.done() else min(interval, 0.5))
            if creating.done() and not out.created:
                creating.result()
                out.created = time.monotonic() - started
            for key in watched.keys() - done.keys():
                at = disseminated(key)
                if at is not None:
                    done[key] = at
            t = time.monotonic() - started
            out.timeline.append((t, len(addressed_at), len(done)))
            say(f"{t:6.1f} s  addressed {len(addressed_at):6d}/{s.attachments}  "
                f"in every table of its VNI {len(done):6d}/{s.attachments}")
            if len(addressed_at) == s.attachments and not out.addressed:
                out.addressed = max(addressed_at.values()) - started
            if len(done) == s.attachments:
                break
            if timeout is not None and t > timeout:
                raise Stalled(_missing(s, addressed_at, watched, done, hosting, agents))
        out.disseminated = max(done.values()) - started
        out.latencies = [d for k in done for d in pairs[k]]
        out.samples = sorted((addressed_at[k] - started, max(pairs[k], default=0.0)) for k in done)
        out.events_cluster_wide = events
        for a in agents.values():
            local = a.local_informer
            out.informers_per_agent.append(1 + len(a.vnis))
            out.events_per_agent.append(a.events + len(local.store))
            out.objects_per_agent.append(len(local.store) + sum(len(w.informer.store) for w in a.vnis.values()))
        for v in placement:
            out.locks += len((await client.list(api.IPLOCK, tenant(v)))["items"])
        for a in agents.values():
            await a.stop()
    return out


def _missing(s: Scenario, addressed_at: dict[str, float], watched: dict[str, tuple[int, str, str]],
             done: dict[str, float], hosting: dict[int, set[str]], agents: dict[str, agent.NodeAgent]) -> str:
    lines = [f"{s.attachments - len(addressed_at)} attachments not addressed, "
             f"{len(addressed_at) - len(done)} addressed but missing from a table:"]
    for key in sorted(watched.keys() - done.keys())[:10]:
        vni, ip, node = watched[key]
        for other in sorted(hosting[vni] - {node}):
            a = agents[other]
            dp = a.dataplane
            if isinstance(dp, MemoryDataPlane) and (vni, ip) in dp.programmed:
                continue
            watch = a.vnis.get(vni)
            cached = watch.informer.store.get_by_name(key.split("/")[1], key.split("/")[0]) if watch else None
            lines.append(f"  {key} (VNI {vni}, {ip}, on {node}) not on {other}: informer "
                         f"{'running' if watch and watch.informer.running else 'absent'}, "
                         f"synced={watch.informer.has_synced if watch else None}, "
                         f"cached status={cached.get('status') if cached else None}")
    return "\n".join(lines)


def svg(out: Outcome, title: str = "setpoint SDN demo") -> str:
    """Two SVG charts (no plotting library): attachments addressed and in every table over time; and
    each attachment's dissemination latency (its slowest host) against when it was addressed."""
    w, h, left, bottom, top, right = 720, 620, 70, 40, 40, 20
    mid = 330  # the first chart's bottom; the second spans mid + 40 .. h - bottom
    t_max = max((t for t, _, _ in out.timeline), default=1.0) or 1.0
    n = out.scenario.attachments or 1
    lat_max = max((lat for _, lat in out.samples), default=0.0) or 1.0

    def x(t: float) -> float:
        return left + (w - left - right) * t / t_max

    def y(v: float, v_max: float, y0: float, y1: float) -> float:
        return y1 - (y1 - y0) * v / v_max

    def axes(y0: float, y1: float, high: str) -> list[str]:
        return [f'<line x1="{left}" y1="{y1}" x2="{w - right}" y2="{y1}" stroke="black"/>',
                f'<line x1="{left}" y1="{y0}" x2="{left}" y2="{y1}" stroke="black"/>',
                f'<text x="{w - right}" y="{y1 + 16}" text-anchor="end">{t_max:.0f} s</text>',
                f'<text x="{left}" y="{y1 + 16}">0 s</text>',
                f'<text x="{left - 5}" y="{y0 + 4}" text-anchor="end">{high}</text>',
                f'<text x="{left - 5}" y="{y1}" text-anchor="end">0</text>']

    s = out.scenario
    lines = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" '
             f'font-size="12"><rect width="{w}" height="{h}" fill="white"/>',
             f'<text x="{left}" y="22" font-size="14">{title}: {s.attachments} attachments, {s.nodes} nodes, '
             f'{s.vnis} VNIs</text>', *axes(top, mid, str(n))]
    for index, (label, color) in enumerate((("addressed", "#1f77b4"), ("in every table of its VNI", "#d62728"))):
        points = " ".join(f"{x(t):.1f},{y(row[index], n, top, mid):.1f}" for t, *row in out.timeline)
        lines.append(f'<polyline fill="none" stroke="{color}" stroke-width="2" '
                     f'points="{x(0):.1f},{mid} {points}"/>')
        lines.append(f'<text x="{left + 10}" y="{top + 16 + 16 * index}" fill="{color}">{label}</text>')
    y0 = mid + 40
    lines.append(f'<text x="{left}" y="{y0 - 10}" font-size="13">dissemination latency (slowest host) by time '
                 f'addressed; all hosts: p50 {out.percentile(50) * 1000:.0f} ms, '
                 f'p99 {out.percentile(99) * 1000:.0f} ms</text>')
    lines.extend(axes(y0, h - bottom, f"{lat_max:.1f} s"))
    lines.extend(f'<circle cx="{x(t):.1f}" cy="{y(lat, lat_max, y0, h - bottom):.1f}" r="1.5" fill="#2ca02c"/>'
                 for t, lat in out.samples)
    lines.append("</svg>")
    return "\n".join(lines) + "\n"
