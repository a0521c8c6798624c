"""A controller source with a field selector watches only the objects it selects."""

from __future__ import annotations

from runtime_helpers import CM

from setpoint.runtime import Builder, Manager, Request
from setpoint.testing import ApiServer, eventually


async def test_a_field_selector_narrows_a_source(setpoint_api: ApiServer) -> None:
    client = setpoint_api.client
    for name in ("wanted", "other"):
        await client.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": "default"}})
    mgr = Manager(client)
    seen: list[str] = []

    async def reconcile(req: Request) -> None:
        seen.append(req.name)

    controller = (Builder(mgr).named("narrow").for_(CM, field_selector="metadata.name=wanted")
                  .complete(reconcile))
    async with mgr.running():
        await eventually(lambda: seen == ["wanted"])
        informer = controller.sources[0].informer
        assert informer is not None and informer.field_selector == "metadata.name=wanted"
        assert [o["metadata"]["name"] for o in informer.store] == ["wanted"]
        await client.patch(CM, "other", {"data": {"a": "1"}}, "default")
        await client.patch(CM, "wanted", {"data": {"a": "1"}}, "default")
        await eventually(lambda: seen == ["wanted", "wanted"])
