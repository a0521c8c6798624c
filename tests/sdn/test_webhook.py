"""The Subnet admission webhook refuses a conflicting Subnet at creation; without it, the validator flags it."""

from __future__ import annotations

import pytest
from examples.sdn import api, validator
from examples.sdn.webhook import SubnetWebhook

from setpoint.runtime import Manager, errors
from setpoint.testing import ApiServer, eventually
from setpoint.webhookcerts import make_webhook_certificates


async def test_conflicting_subnets_are_refused_at_admission(setpoint_api: ApiServer) -> None:
    client = setpoint_api.client
    await api.install(client)
    await client.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "tenant-b"}})
    mgr = Manager(client)
    validator.setup(mgr)
    hook = SubnetWebhook(mgr)
    certs = make_webhook_certificates("127.0.0.1")
    async with mgr.running():
        url = await hook.start("127.0.0.1", 0, certs.server_context())
        try:
            await client.create(hook.configuration(url, certs.ca_bundle))
            await client.create(api.subnet("a", 7, "10.7.0.0/24"))
            await eventually(lambda: hook.informer.store.get_by_name("a", "default") is not None)

            async def refused(obj: dict[str, object]) -> str:
                with pytest.raises(errors.ApiError) as e:
                    await client.create(obj)
                return str(e.value)

            message = await refused(api.subnet("b", 7, "10.7.0.128/25"))
            assert 'admission webhook "subnets.network.setpoint.dev" denied the request' in message
            assert "10.7.0.128/25 overlaps 10.7.0.0/24 of Subnet default/a in VNI 7" in message
            message = await refused(api.subnet("c", 7, "10.8.0.0/24", "tenant-b"))
            assert "VNI 7 belongs to namespace default (Subnet default/a)" in message
            await client.create(api.subnet("d", 8, "10.7.0.0/24"))   # another VNI may reuse the CIDR
            await client.create(api.subnet("e", 7, "10.7.1.0/24"))   # beside a: fine
        finally:
            await hook.stop()
        # the webhook down: failurePolicy Ignore lets the Subnet in, and the validator flags it
        await client.create(api.subnet("b", 7, "10.7.0.128/25"))

        async def flagged() -> bool:
            st = (await client.get(api.SUBNET, "b", "default")).get("status") or {}
            return st.get("validated") is False and bool(st.get("errors"))

        await eventually(flagged)
