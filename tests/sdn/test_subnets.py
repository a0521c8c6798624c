"""The Subnet API and the subnet validator: invariants between Subnets of one VNI are flagged."""

from __future__ import annotations

from typing import Any

import pytest
from examples.sdn import api
from sdn_helpers import control_plane, items

from setpoint.runtime import Kind, errors
from setpoint.testing import ApiServer, eventually

EVENT = Kind("v1", "Event")


async def status_of(client: Any, name: str, namespace: str = "default") -> dict[str, Any]:
    return (await client.get(api.SUBNET, name, namespace)).get("status") or {}


async def test_the_schema_refuses_what_one_subnet_alone_gets_wrong(setpoint_api: ApiServer) -> None:
    client = setpoint_api.client
    await api.install(client)
    for vni, cidr, message in ((0, "10.0.0.0/24", "spec.vni: Invalid value: 0"),
                               (2**21, "10.0.0.0/24", "spec.vni: Invalid value"),
                               (5, "10.0.0.1/24", "must be an IPv4 CIDR with no host bits set"),
                               (5, "fd00::/64", "must be an IPv4 CIDR"),
                               (5, "nonsense", "must be an IPv4 CIDR")):
        with pytest.raises(errors.Invalid) as e:
            await client.create(api.subnet("bad", vni, cidr))
        assert message in str(e.value), str(e.value)
    await client.create(api.subnet("good", 5, "10.0.0.0/24"))
    with pytest.raises(errors.Invalid) as e:
        await client.patch(api.SUBNET, "good", {"spec": {"ipv4": "10.0.1.0/24"}}, "default")
    assert "spec is immutable" in str(e.value)


async def test_conflicting_subnets_of_one_vni_are_flagged(setpoint_api: ApiServer) -> None:
    client = setpoint_api.client
    await api.install(client)
    await client.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "tenant-b"}})
    await client.create(api.subnet("a", 100, "10.0.0.0/24"))
    await client.create(api.subnet("b", 100, "10.0.0.128/25"))               # overlaps a
    await client.create(api.subnet("c", 100, "10.0.1.0/24", "tenant-b"))     # VNI 100 is default's
    await client.create(api.subnet("d", 200, "10.0.0.0/24"))                 # another VNI: may reuse a's CIDR
    await client.create(api.subnet("e", 100, "10.0.2.0/24"))                 # fine beside a
    async with control_plane(client):
        for name in ("a", "d", "e"):
            st = await eventually(lambda n=name: _validated(client, n))
            assert st["validated"] is True and "errors" not in st
            valid = next(c for c in st["conditions"] if c["type"] == "Valid")
            assert valid["status"] == "True"
        st = await eventually(lambda: _refused(client, "b"))
        assert st["errors"] == ["10.0.0.128/25 overlaps 10.0.0.0/24 of Subnet default/a in VNI 100"]
        valid = next(c for c in st["conditions"] if c["type"] == "Valid")
        assert (valid["status"], valid["reason"]) == ("False", "Conflict")
        st = await eventually(lambda: _refused(client, "c", "tenant-b"))
        assert st["errors"] == ["VNI 100 belongs to namespace default (Subnet default/a)"]

        async def warned() -> set[str]:
            return {e["involvedObject"]["name"] for e in await items(client, EVENT, None)
                    if e["reason"] == "SubnetConflict" and e["type"] == "Warning"}

        await eventually(lambda: _equal(warned(), {"b", "c"}))

        # an attachment on a refused Subnet gets no address, and says why
        await client.create(api.attachment("guest", "b", "node-1"))

        async def not_addressed() -> dict[str, Any] | None:
            att = await client.get(api.ATTACHMENT, "guest", "default")
            conds = (att.get("status") or {}).get("conditions") or []
            return next((c for c in conds if c["type"] == "Addressed" and c["reason"] == "SubnetNotValidated"),
                        None)

        await eventually(not_addressed)

        # the verdict follows the set of Subnets: with a gone, b is the VNI's first and valid,
        # and the waiting attachment gets an address in it
        await client.delete(api.SUBNET, "a", "default")
        await eventually(lambda: _validated(client, "b"))
        st = await status_of(client, "c", "tenant-b")
        assert st["validated"] is False  # still in the wrong namespace

        async def addressed() -> str | None:
            att = await client.get(api.ATTACHMENT, "guest", "default")
            ip: str | None = (att.get("status") or {}).get("ipv4")
            return ip

        ip = await eventually(addressed)
        assert ip.startswith("10.0.0.") and int(ip.rsplit(".", 1)[1]) > 128


async def _validated(client: Any, name: str, namespace: str = "default") -> dict[str, Any] | None:
    st = await status_of(client, name, namespace)
    return st if st.get("validated") is True else None


async def _refused(client: Any, name: str, namespace: str = "default") -> dict[str, Any] | None:
    st = await status_of(client, name, namespace)
    return st if st.get("validated") is False and st.get("errors") else None


async def _equal(value: Any, expected: Any) -> bool:
    return bool(await value == expected)
