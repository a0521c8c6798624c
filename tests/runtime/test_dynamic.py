"""Dynamic controllers, both patterns from the talks, against the real embedded server.

1. A manager re-created when a Secret changes: the Secret says how to reach (and which
   namespace to serve in) a target cluster; an outer controller stops the inner manager and
   starts a new one whenever it changes.
2. A dynamic set of informers kept per tenant: each Tenant gets a controller (and so a
   namespace-scoped informer) of its own, added and removed as tenants come and go.
"""

from __future__ import annotations

import base64
from typing import Any

from runtime_helpers import CM, install_crd

from setpoint.runtime import Builder, HTTPClient, Kind, Manager, Request
from setpoint.testing import ApiServer, eventually

SECRET = Kind("v1", "Secret")


def configmap(name: str, ns: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": ns}}


async def test_manager_recreated_when_its_secret_changes(setpoint_api: ApiServer) -> None:
    outer_client = setpoint_api.client
    outer = Manager(outer_client)
    handled: list[tuple[int, str]] = []
    inner: dict[str, Any] = {"generation": 0, "manager": None, "client": None, "secret_rv": None}

    async def start_inner(secret: Any) -> None:
        data = {k: base64.b64decode(v).decode() for k, v in (secret.get("data") or {}).items()}
        namespace = data["namespace"]
        inner["generation"] += 1
        generation = inner["generation"]
        client = HTTPClient.from_url(data["server"], token=data.get("token"))
        mgr = Manager(client)

        async def reconcile(req: Request) -> None:
            handled.append((generation, f"{req.namespace}/{req.name}"))

        Builder(mgr).named("target").for_(CM, namespace=namespace).complete(reconcile)
        mgr.start()
        inner.update(manager=mgr, client=client)

    async def stop_inner() -> None:
        if inner["manager"] is not None:
            await inner["manager"].close()
            await inner["client"].close()
            inner.update(manager=None, client=None)

    async def reconcile_secret(req: Request) -> None:
        secret = outer.cache.get(SECRET, req.name, req.namespace)
        rv = secret["metadata"]["resourceVersion"] if secret else None
        if rv == inner["secret_rv"]:
            return
        await stop_inner()
        inner["secret_rv"] = rv
        if secret is not None:
            await start_inner(secret)

    Builder(outer).named("credentials").for_(SECRET, namespace="default").complete(reconcile_secret)
    for ns in ("team-a", "team-b"):
        await outer_client.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
    admin_token = (setpoint_api.data_dir / "pki" / "admin.token").read_text()
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "target", "namespace": "default"},
              "stringData": {"server": setpoint_api.url, "token": admin_token, "namespace": "team-a"}}
    try:
        async with outer.running():
            await outer_client.create(secret)
            await eventually(lambda: inner["generation"] == 1 and inner["manager"] is not None)
            await outer_client.create(configmap("one", "team-a"))
            await eventually(lambda: (1, "team-a/one") in handled)

            # the Secret changes: the inner manager is replaced, its informers with it
            await outer_client.patch(SECRET, "target", {"stringData": {"namespace": "team-b"}},
                                     "default")
            await eventually(lambda: inner["generation"] == 2)
            await outer_client.create(configmap("two", "team-b"))
            await outer_client.create(configmap("three", "team-a"))
            await eventually(lambda: (2, "team-b/two") in handled)
            assert not any(name == "team-a/three" for _, name in handled), "the old manager is gone"
    finally:
        await stop_inner()


async def test_informers_kept_per_tenant(setpoint_api: ApiServer) -> None:
    client = setpoint_api.client
    tenant_kind = await install_crd(client, kind="Tenant", plural="tenants", scope="Cluster")
    mgr = Manager(client)
    seen: dict[str, list[str]] = {}

    def tenant_controller(name: str, namespace: str) -> None:
        async def reconcile(req: Request) -> None:
            if req.name != "kube-root-ca.crt":  # the root-CA publisher's, in every namespace
                seen.setdefault(name, []).append(req.name)
        Builder(mgr).named(f"tenant-{name}").for_(CM, namespace=namespace).complete(reconcile)

    async def reconcile_tenant(req: Request) -> None:
        tenant = mgr.cache.get(tenant_kind, req.name)
        controller = f"tenant-{req.name}"
        if tenant is None:
            if controller in mgr.controllers:
                await mgr.remove(controller)
            return
        if controller not in mgr.controllers:
            tenant_controller(req.name, tenant["spec"]["namespace"])

    Builder(mgr).for_(tenant_kind).complete(reconcile_tenant)

    def namespaced_informers() -> set[str]:
        return {i.namespace for i in mgr.cache.informers if i.kind == CM and i.running and i.namespace}

    async with mgr.running():
        await mgr.wait_ready()
        for name in ("acme", "globex"):
            await client.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
            await client.create({"apiVersion": tenant_kind.api_version, "kind": "Tenant",
                                 "metadata": {"name": name}, "spec": {"namespace": name}})
        await eventually(lambda: namespaced_informers() == {"acme", "globex"})
        await client.create(configmap("cfg", "acme"))
        await eventually(lambda: seen.get("acme") == ["cfg"])

        await client.delete(tenant_kind, "acme")
        await eventually(lambda: namespaced_informers() == {"globex"})
        assert "tenant-acme" not in mgr.controllers
        await client.create(configmap("late", "acme"))
        await client.create(configmap("cfg", "globex"))
        await eventually(lambda: seen.get("globex") == ["cfg"])
        assert seen["acme"] == ["cfg"], "no informer, no events for a removed tenant"
