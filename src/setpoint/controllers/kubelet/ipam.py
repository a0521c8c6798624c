"""Pod IPs for simulated nodes, as a host-local CNI plugin gives them: from the node's
``spec.podCIDR`` (its first address is the node's bridge, so pods start at the second), each
in use once; nodes without a pod CIDR share containerd's default ``10.88.0.0/16``."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any, Final

#: The range of nodes without ``spec.podCIDR`` (containerd's default bridge network).
FALLBACK_CIDR: Final = "10.88.0.0/16"

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def host_ip(node: Mapping[str, Any]) -> str:
    """The node's ``InternalIP`` (else its first address), as the kubelet reports ``hostIP``."""
    addresses = [a for a in (node.get("status") or {}).get("addresses") or [] if isinstance(a, dict)]
    for a in addresses:
        if a.get("type") == "InternalIP" and isinstance(a.get("address"), str):
            return str(a["address"])
    for a in addresses:
        if a.get("type") in ("ExternalIP",) and isinstance(a.get("address"), str):
            return str(a["address"])
    return ""


class _Pool:
    """The addresses of one range: the ones in use, and where the next search starts."""

    def __init__(self, network: Network) -> None:
        self.network = network
        self.first = int(network.network_address) + 2  # .0 the network, .1 the bridge
        self.last = int(network.broadcast_address) - (1 if network.version == 4 else 0)
        self.next = self.first
        self.used: set[int] = set()

    def take(self) -> str | None:
        size = self.last - self.first + 1
        if size <= 0 or len(self.used) >= size:
            return None
        candidate = self.next
        while candidate in self.used:
            candidate = self.first if candidate >= self.last else candidate + 1
        self.used.add(candidate)
        self.next = self.first if candidate >= self.last else candidate + 1
        return str(ipaddress.ip_address(candidate))


class IPAM:
    """Which pod holds which IP, per range."""

    def __init__(self) -> None:
        self._pools: dict[str, _Pool] = {}
        self._given: dict[tuple[str, str], tuple[_Pool, int]] = {}  # pod -> (range, address)

    def _pool(self, cidr: str) -> _Pool | None:
        pool = self._pools.get(cidr)
        if pool is None:
            try:
                network = ipaddress.ip_network(cidr, strict=False)
            except ValueError:
                return None
            pool = self._pools[cidr] = _Pool(network)
        return pool

    def claim(self, pod: tuple[str, str], node: Mapping[str, Any], current: str | None) -> str | None:
        """The pod's IP on ``node``: the one it holds, ``current`` (already in its status) when
        it is in the node's range and free, else a new one (None when the range is full)."""
        given = self._given.get(pod)
        if given is not None:
            return str(ipaddress.ip_address(given[1]))
        cidr = (node.get("spec") or {}).get("podCIDR")
        pool = self._pool(cidr if isinstance(cidr, str) and cidr else FALLBACK_CIDR) or self._pool(FALLBACK_CIDR)
        assert pool is not None
        if current:
            try:
                address = ipaddress.ip_address(current)
            except ValueError:
                address = None
            if address is not None and address in pool.network and int(address) not in pool.used:
                pool.used.add(int(address))
                self._given[pod] = (pool, int(address))
                return current
        ip = pool.take()
        if ip is not None:
            self._given[pod] = (pool, int(ipaddress.ip_address(ip)))
        return ip

    def release(self, pod: tuple[str, str]) -> None:
        given = self._given.pop(pod, None)
        if given is not None:
            given[0].used.discard(given[1])
