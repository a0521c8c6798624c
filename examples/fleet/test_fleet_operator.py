"""The fleet operator's mirror controller: a ConfigMap on one member is copied to the others."""

from __future__ import annotations

import base64
import contextlib
from typing import Any

import yaml
from fleet_operator import CONFIG_MAP, MIRROR, ORIGIN, mirror_controller

from setpoint.runtime import errors
from setpoint.runtime.fleet import Fleet
from setpoint.testing import eventually, start_api_server


async def get(client: Any, name: str) -> dict[str, Any] | None:
    try:
        obj: dict[str, Any] = await client.get(CONFIG_MAP, name, "default")
        return obj
    except errors.NotFound:
        return None


async def test_a_mirrored_configmap_reaches_every_member_and_goes_with_its_source() -> None:
    async with contextlib.AsyncExitStack() as stack:
        host = await stack.enter_async_context(start_api_server())
        members = [await stack.enter_async_context(start_api_server()) for _ in range(3)]
        await host.client.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "fleet"}})
        fleet = Fleet(host.client, namespace="fleet", label_selector="setpoint.dev/fleet-member=true")
        fleet.for_members(lambda member: mirror_controller(fleet, member))
        await stack.enter_async_context(fleet.running())
        for i, api in enumerate(members):
            kubeconfig = base64.b64encode(yaml.safe_dump(api.control_plane.kubeconfig).encode()).decode()
            await host.client.create({"apiVersion": "v1", "kind": "Secret",  # cluster-api's shape
                                      "metadata": {"name": f"m{i}-kubeconfig", "namespace": "fleet",
                                                   "labels": {"setpoint.dev/fleet-member": "true",
                                                              "cluster.x-k8s.io/cluster-name": f"m{i}"}},
                                      "data": {"value": kubeconfig}})
        for i in range(3):
            await fleet.wait_member(f"m{i}")

        source = {"apiVersion": "v1", "kind": "ConfigMap",
                  "metadata": {"name": "settings", "namespace": "default", "labels": {MIRROR: "true"}},
                  "data": {"color": "blue"}}
        await members[0].client.create(source)
        for api in members[1:]:
            copy = await eventually(lambda api=api: get(api.client, "settings"))
            assert copy["data"] == {"color": "blue"} and copy["metadata"]["annotations"][ORIGIN] == "m0"
        await members[0].client.patch(CONFIG_MAP, "settings", {"data": {"color": "green"}}, "default")

        async def all_green() -> bool:
            copies = [await get(api.client, "settings") for api in members[1:]]
            return all(c is not None and c["data"] == {"color": "green"} for c in copies)

        await eventually(all_green)
        await members[0].client.delete(CONFIG_MAP, "settings", "default")

        async def all_gone() -> bool:
            return all([await get(api.client, "settings") is None for api in members[1:]])

        await eventually(all_gone)
