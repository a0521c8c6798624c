"""The network API: Subnet, NetworkAttachment and IPLock in ``network.setpoint.dev``, from Python models.

A :class:`Subnet` is a block of IPv4 addresses of one virtual network (a VNI); a
:class:`NetworkAttachment` is a guest's interface on a Subnet, placed on a node; an
:class:`IPLock` is one allocated address: its *name* is the VNI and the address, so two
attachments can never hold one address -- the API server's "already exists" settles the race.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import Field

from setpoint.models import CRDModel, CustomResource, PrinterColumn, Rule, crd_for
from setpoint.runtime import Client, Kind, errors
from setpoint.runtime.client import wait_served

GROUP = "network.setpoint.dev"
VERSION = "v1alpha1"
API_VERSION = f"{GROUP}/{VERSION}"

#: The label carrying an attachment's VNI (set by the IPAM controller), so agents can select by it.
VNI_LABEL = f"{GROUP}/vni"
#: The largest VNI (VXLAN's 24 bits would allow more; KOS kept 21).
MAX_VNI = 2**21 - 1


class Condition(CRDModel):
    """A ``metav1.Condition``."""

    type: str
    status: str
    reason: str = ""
    message: str = ""
    last_transition_time: str | None = None
    observed_generation: int | None = None


CIDR = Annotated[str, Rule("isCIDR(self) && cidr(self).ip().family() == 4 && cidr(self) == cidr(self).masked()",
                           message="must be an IPv4 CIDR with no host bits set, such as 10.0.8.0/21")]


class SubnetSpec(CRDModel):
    """A block of addresses of one virtual network; immutable once created."""

    vni: int = Field(ge=1, le=MAX_VNI, description="The virtual network (VXLAN network identifier).")
    ipv4: CIDR = Field(description="The block, an IPv4 CIDR such as 10.0.8.0/21.")

    __validations__ = (Rule("self == oldSelf", message="spec is immutable"),)


class SubnetStatus(CRDModel):
    """What the subnet validator found."""

    validated: bool = False
    errors: list[str] | None = None
    conditions: list[Condition] | None = None


class Subnet(CustomResource, group=GROUP, version=VERSION, short_names=("sn",), categories=("network",),
             printer_columns=(PrinterColumn("VNI", ".spec.vni", "integer"), PrinterColumn("IPv4", ".spec.ipv4"),
                              PrinterColumn("Validated", ".status.validated", "boolean"))):
    """A Subnet of a virtual network. All Subnets of one VNI live in one namespace and never overlap."""

    spec: SubnetSpec
    status: SubnetStatus | None = None


class NetworkAttachmentSpec(CRDModel):
    """A guest interface: which Subnet it is on and which node hosts it; immutable."""

    subnet: str = Field(min_length=1, description="The Subnet's name (same namespace).")
    node: str = Field(min_length=1, description="The Node that hosts the guest.")

    __validations__ = (Rule("self == oldSelf", message="spec is immutable"),)


class NetworkAttachmentStatus(CRDModel):
    """Written by the IPAM controller (address, MAC) and the node's agent (host IP, interface)."""

    ipv4: str | None = Field(default=None, description="The guest's address, allocated by IPAM.")
    mac: str | None = None
    host_ip: str | None = Field(default=None, alias="hostIP", description="Where the guest lives.")
    ifname: str | None = None
    conditions: list[Condition] | None = None


class NetworkAttachment(CustomResource, group=GROUP, version=VERSION, short_names=("na",),
                        categories=("network",), selectable_fields=(".spec.node", ".spec.subnet"),
                        printer_columns=(PrinterColumn("Subnet", ".spec.subnet"), PrinterColumn("Node", ".spec.node"),
                                         PrinterColumn("IPv4", ".status.ipv4"),
                                         PrinterColumn("Host", ".status.hostIP"))):
    """A guest's interface on a Subnet."""

    spec: NetworkAttachmentSpec
    status: NetworkAttachmentStatus | None = None


class IPLockSpec(CRDModel):
    """One allocated address of one VNI."""

    vni: int = Field(ge=1, le=MAX_VNI)
    ipv4: str
    subnet: str = Field(description="The Subnet the address was taken from.")

    __validations__ = (Rule("self == oldSelf", message="spec is immutable"),)


class IPLock(CustomResource, group=GROUP, version=VERSION, short_names=("ipl",), categories=("network",),
             printer_columns=(PrinterColumn("VNI", ".spec.vni", "integer"), PrinterColumn("IPv4", ".spec.ipv4"),
                              PrinterColumn("Holder", ".metadata.ownerReferences[0].name"))):
    """An address taken: named ``<vni>-<a>-<b>-<c>-<d>``, owned by the attachment that holds it."""

    spec: IPLockSpec


SUBNET = Kind(API_VERSION, "Subnet")
ATTACHMENT = Kind(API_VERSION, "NetworkAttachment")
IPLOCK = Kind(API_VERSION, "IPLock")
MODELS: tuple[type[CustomResource], ...] = (Subnet, NetworkAttachment, IPLock)


def crds() -> list[dict[str, Any]]:
    """The three CRDs, as dicts."""
    return [crd_for(m) for m in MODELS]


async def install(client: Client, *, timeout: float = 30.0) -> None:
    """Create (or keep) the CRDs and wait until the server serves all three kinds."""

    for crd in crds():
        try:
            await client.create(crd)
        except errors.AlreadyExists:
            pass
    await wait_served(client, (SUBNET, ATTACHMENT, IPLOCK), timeout=timeout)


# --- addresses -----------------------------------------------------------------------------------


def lock_name(vni: int, address: ipaddress.IPv4Address | str) -> str:
    """The IPLock's name for ``address`` in ``vni``: ``42-10-0-8-17``."""
    return f"{vni}-{str(address).replace('.', '-')}"


def mac_for(vni: int, address: ipaddress.IPv4Address | str) -> str:
    """A locally administered MAC made of the VNI's low byte and the address: unique within a VNI."""
    octets = [0x02, vni & 0xFF, *ipaddress.IPv4Address(address).packed]
    return ":".join(f"{o:02x}" for o in octets)


def vni_of(obj: Mapping[str, Any]) -> int | None:
    """The VNI label of an attachment, or None when IPAM has not set it yet."""
    value = (obj["metadata"].get("labels") or {}).get(VNI_LABEL)
    return int(value) if value and value.isdigit() else None


def subnet(name: str, vni: int, cidr: str, namespace: str = "default") -> dict[str, Any]:
    """A Subnet object to create (the API server validates it)."""
    return {"apiVersion": API_VERSION, "kind": "Subnet", "metadata": {"name": name, "namespace": namespace},
            "spec": {"vni": vni, "ipv4": cidr}}


def attachment(name: str, subnet: str, node: str, namespace: str = "default") -> dict[str, Any]:
    """A NetworkAttachment object to create (the API server validates it)."""
    return {"apiVersion": API_VERSION, "kind": "NetworkAttachment", "metadata": {"name": name, "namespace": namespace},
            "spec": {"subnet": subnet, "node": node}}
