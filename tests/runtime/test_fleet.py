"""The fleet: one manager per member cluster, started, re-created and stopped from kubeconfig Secrets.

Three in-process member servers and a host server holding their Secrets; every client is a real
HTTP client over TLS.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import weakref
from collections.abc import AsyncIterator
from typing import Any

import pytest
from fleet_helpers import FLEET_LABEL, kubeconfig_secret, member_kubeconfig
from runtime_helpers import CM

from setpoint.runtime import Builder, Kind, NotFound, Request
from setpoint.runtime import metrics as m
from setpoint.runtime.errors import AlreadyExists
from setpoint.runtime.fleet import Fleet, Member, kubeconfig_of, member_name
from setpoint.testing import ApiServer, eventually, start_api_server

SECRET = Kind("v1", "Secret")
EVENT = Kind("v1", "Event")
NS = Kind("v1", "Namespace")


@contextlib.asynccontextmanager
async def servers(n: int) -> AsyncIterator[list[ApiServer]]:
    async with contextlib.AsyncExitStack() as stack:
        yield [await stack.enter_async_context(start_api_server()) for _ in range(n)]


async def host_namespace(host: ApiServer) -> None:
    await host.client.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "fleet"}})


def cm(name: str, **data: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": "default"},
            "data": data}


async def events_on(host: ApiServer, secret: str) -> list[tuple[str, str]]:
    listed = await host.client.list(EVENT, "fleet", field_selector=f"involvedObject.name={secret}")
    return [(e["type"], e["reason"]) for e in listed["items"]]


def test_member_names_and_kubeconfig_keys() -> None:
    capi = kubeconfig_secret("east", b"apiVersion: v1\n", capi=True)
    plain = kubeconfig_secret("west", b"apiVersion: v1\n")
    assert capi["metadata"]["name"] == "east-kubeconfig" and member_name(capi) == "east"
    del capi["metadata"]["labels"]["cluster.x-k8s.io/cluster-name"]
    assert member_name(capi) == "east"  # the Secret's name without -kubeconfig
    assert member_name(plain) == "west"
    assert kubeconfig_of(capi) == kubeconfig_of(plain) == b"apiVersion: v1\n"
    assert kubeconfig_of({"metadata": {"name": "x"}, "data": {"other": "eA=="}}) is None


async def test_rotation_recreates_only_that_member_and_reconcilers_reach_every_member() -> None:
    async with servers(4) as (host, a, b, c):
        await host_namespace(host)
        fleet = Fleet(host.client, namespace="fleet", label_selector=f"{FLEET_LABEL}=true")
        seen: list[tuple[str, str]] = []

        @fleet.for_members
        def setup(member: Member) -> None:
            async def reconcile(req: Request) -> None:
                seen.append((member.name, req.name))
                obj = member.cache.get(CM, req.name, req.namespace)
                if obj is None or member.name != "a" or req.name != "copy-me":
                    return
                # write to another member by name, and read a third one's cache
                other = fleet.cluster("c").cache.get(CM, "from-c", "default")
                with contextlib.suppress(AlreadyExists):  # a second event on copy-me
                    await fleet.cluster("b").client.create(cm("copied", origin="a", c=other["data"]["v"]))

            Builder(member.manager).named(f"cm-{member.name}").for_(CM, namespace="default").complete(reconcile)

        async with fleet.running():
            await host.client.create(kubeconfig_secret("a", member_kubeconfig(a)))
            await host.client.create(kubeconfig_secret("b", member_kubeconfig(b), capi=True))
            await host.client.create(kubeconfig_secret("c", member_kubeconfig(c)))
            ma, mb, mc = [await fleet.wait_member(n) for n in "abc"]
            assert set(fleet.members) == {"a", "b", "c"}

            await c.client.create(cm("from-c", v="7"))
            await eventually(lambda: ("c", "from-c") in seen)
            await a.client.create(cm("copy-me"))
            copied = await eventually(lambda: b.client.get(CM, "copied", "default"))
            assert copied["data"] == {"origin": "a", "c": "7"}
            await eventually(lambda: ("b", "copied") in seen)
            assert ("a", "copied") not in seen and ("b", "copy-me") not in seen

            informers_a, informers_c = ma.cache.informers, mc.cache.informers
            lists_a = await a.request_count(verb="LIST", resource="configmaps")
            lists_c = await c.request_count(verb="LIST", resource="configmaps")
            lists_b = await b.request_count(verb="LIST", resource="configmaps")
            assert lists_a == lists_c == lists_b == 1

            # rotate b: a new endpoint (same server, reached by name)
            secret = await host.client.get(SECRET, "b-kubeconfig", "fleet")
            secret["data"] = kubeconfig_secret("b", member_kubeconfig(b, host="localhost"), capi=True)["data"]
            await host.client.update(secret)
            await eventually(lambda: fleet.generations.get("b") == 2)
            new_b = await fleet.wait_member("b")
            assert new_b is not mb and new_b.manager is not mb.manager
            assert "localhost" in new_b.client.config.host  # type: ignore[attr-defined]
            assert await b.request_count(verb="LIST", resource="configmaps") == 2
            await eventually(lambda: seen.count(("b", "copied")) >= 2)  # the new manager's initial list

            # a and c: the same managers, informers and stores; never listed again
            assert fleet.cluster("a") is ma and fleet.cluster("c") is mc
            assert fleet.generations["a"] == fleet.generations["c"] == 1
            assert ma.cache.informers == informers_a and mc.cache.informers == informers_c
            assert all(inf.lists == 1 for inf in informers_a + informers_c)
            await a.client.create(cm("after-rotation"))
            await eventually(lambda: ("a", "after-rotation") in seen)
            assert await a.request_count(verb="LIST", resource="configmaps") == lists_a
            assert await c.request_count(verb="LIST", resource="configmaps") == lists_c

            # a change that leaves the kubeconfig as it was restarts nothing
            secret = await host.client.get(SECRET, "c", "fleet")
            secret["metadata"].setdefault("annotations", {})["note"] = "relabelled"
            await host.client.update(secret)
            await a.client.create(cm("barrier"))
            await eventually(lambda: ("a", "barrier") in seen)
            assert fleet.cluster("c") is mc and fleet.generations["c"] == 1

            reasons = await eventually(lambda: events_on(host, "b-kubeconfig"))
            assert reasons.count(("Normal", "MemberReady")) >= 1
            assert fleet.status("b") is not None and fleet.status("b").ready  # type: ignore[union-attr]


async def test_deleting_a_secret_stops_its_manager_and_frees_it() -> None:
    async with servers(3) as (host, a, c):
        await host_namespace(host)
        fleet = Fleet(host.client, namespace="fleet", label_selector=f"{FLEET_LABEL}=true")
        reconciled: list[tuple[str, str]] = []

        @fleet.for_members
        def setup(member: Member) -> None:
            async def reconcile(req: Request) -> None:
                reconciled.append((member.name, req.name))

            Builder(member.manager).named(f"cm-{member.name}").for_(CM, namespace="default").complete(reconcile)

        async with fleet.running():
            await host.client.create(kubeconfig_secret("a", member_kubeconfig(a)))
            await host.client.create(kubeconfig_secret("c", member_kubeconfig(c)))
            ma = await fleet.wait_member("a")
            mc = await fleet.wait_member("c")
            informers = mc.cache.informers
            refs = [weakref.ref(mc), weakref.ref(mc.manager), weakref.ref(mc.client), weakref.ref(mc.cache),
                    *(weakref.ref(inf) for inf in informers)]
            del mc, informers
            assert 'setpoint_fleet_member_ready{cluster="c"} 1.0' in m.render().decode()

            await host.client.delete(SECRET, "c", "fleet")
            await eventually(lambda: "c" not in fleet.members)
            with pytest.raises(KeyError, match="running: \\['a'\\]"):
                fleet.cluster("c")
            assert fleet.status("c") is None and "c" not in fleet.generations
            assert 'cluster="c"' not in m.render().decode()

            def freed() -> bool:
                gc.collect()
                return all(r() is None for r in refs)

            await eventually(freed)
            # no watch of c's is left open; a still works
            await c.client.create(cm("unwatched"))
            await a.client.create(cm("watched"))
            await eventually(lambda: ("a", "watched") in reconciled)
            assert ("c", "unwatched") not in reconciled
            assert fleet.cluster("a") is ma
            assert ("Warning", "MemberStopped") in await eventually(lambda: events_on(host, "c"))


async def silent_server() -> tuple[asyncio.Server, int]:
    """A TCP server that accepts connections and never answers (a member behind a black hole)."""
    held: list[asyncio.StreamWriter] = []

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


async def test_an_unreachable_member_backs_off_reports_and_does_not_slow_the_others() -> None:
    async with servers(2) as (host, a):
        await host_namespace(host)
        silent, port = await silent_server()
        fleet = Fleet(host.client, namespace="fleet", label_selector=f"{FLEET_LABEL}=true",
                      probe_timeout=3.0, retry_base=0.2, retry_max=1.0)

        async def reconcile(req: Request) -> None:
            return None

        @fleet.for_members
        def setup(member: Member) -> None:
            Builder(member.manager).named(f"cm-{member.name}").for_(CM).complete(reconcile)

        async with fleet.running():
            dead = member_kubeconfig(a).replace(f":{a.port}".encode(), f":{port}".encode())
            await host.client.create(kubeconfig_secret("dead", dead))
            await eventually(lambda: fleet._queue is not None and "dead" in fleet._queue.processing)
            await host.client.create(kubeconfig_secret("a", member_kubeconfig(a)))
            await fleet.wait_member("a", timeout=10)
            # a ran while the probe of dead still waited for an answer
            assert fleet.status("dead") is None and "dead" not in fleet.members

            status = await eventually(lambda: fleet.status("dead"), timeout=15)
            assert not status.ready and status.reason == "MemberUnreachable"
            assert f"127.0.0.1:{port}" in status.message and "no answer" in status.message
            assert ("Warning", "MemberUnreachable") in await eventually(lambda: events_on(host, "dead"))
            # tried again, with back-off
            await eventually(lambda: fleet.status("dead").attempts >= 2, timeout=20)  # type: ignore[union-attr]

            # fixed: pointed at a live server, it starts
            secret = await host.client.get(SECRET, "dead", "fleet")
            secret["data"] = kubeconfig_secret("dead", member_kubeconfig(a))["data"]
            await host.client.update(secret)
            await fleet.wait_member("dead", timeout=15)
            # (a probe of the old endpoint still in flight when the Secret changed may report after it)
            status = await eventually(lambda: fleet.status("dead") if fleet.status("dead").ready else None)  # type: ignore[union-attr]
            assert status.reason == "MemberReady"

            # a rotation to an endpoint that does not answer leaves the running manager as it was
            ma = fleet.cluster("a")
            secret = await host.client.get(SECRET, "a", "fleet")
            secret["data"] = kubeconfig_secret("a", dead)["data"]
            await host.client.update(secret)
            status = await eventually(lambda: fleet.status("a") if not fleet.status("a").ready else None,  # type: ignore[union-attr]
                                      timeout=15)
            assert status.reason == "MemberUnreachable"
            assert fleet.cluster("a") is ma and ma.manager.ready and fleet.generations["a"] == 1
        silent.close()


async def test_a_secret_without_a_kubeconfig_is_reported() -> None:
    async with servers(1) as (host,):
        await host_namespace(host)
        fleet = Fleet(host.client, namespace="fleet")
        async with fleet.running():
            await host.client.create({"apiVersion": "v1", "kind": "Secret",
                                      "metadata": {"name": "broken", "namespace": "fleet"},
                                      "data": {"kubeconfig": "bm90IHlhbWw6IFs="}})  # "not yaml: ["
            status = await eventually(lambda: fleet.status("broken"))
            assert status.reason == "InvalidKubeconfig" and not status.ready
            assert ("Warning", "InvalidKubeconfig") in await eventually(lambda: events_on(host, "broken"))
            with pytest.raises(KeyError):
                fleet.cluster("broken")
        with pytest.raises(NotFound):
            await host.client.get(NS, "nowhere")
