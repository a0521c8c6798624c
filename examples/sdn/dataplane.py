"""The data plane an agent programs: for each VNI, its local interfaces and where remote guests live.

:class:`DataPlane` is the small interface an agent drives; :class:`MemoryDataPlane` keeps the
tables in dictionaries (for simulation and scale tests) and remembers when each entry was
first programmed, which is how the benchmark measures dissemination latency. A Linux
implementation would turn the same calls into veths, bridge ports and VXLAN forwarding entries.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Protocol


class DataPlane(Protocol):
    """What a node agent asks of its host's networking."""

    def add_local(self, vni: int, ip: str, mac: str, ifname: str) -> None:
        """A guest on this host: its interface exists and answers ``ip``."""

    def remove_local(self, vni: int, ip: str) -> None:
        """The guest with ``ip`` left this host."""

    def add_remote(self, vni: int, ip: str, mac: str, host_ip: str) -> None:
        """Frames for ``ip`` (``mac``) in ``vni`` go to the host ``host_ip``."""

    def remove_remote(self, vni: int, ip: str) -> None:
        """Forget where ``ip`` of ``vni`` lives."""

    def drop_vni(self, vni: int) -> None:
        """This host has no guest in ``vni`` any more: forget its remote entries."""


@dataclass
class MemoryDataPlane:
    """The tables in memory; ``programmed`` holds when each (vni, ip) was first programmed."""

    local: dict[int, dict[str, tuple[str, str]]] = field(default_factory=dict)   # vni -> ip -> (mac, ifname)
    remote: dict[int, dict[str, tuple[str, str]]] = field(default_factory=dict)  # vni -> ip -> (mac, host)
    programmed: dict[tuple[int, str], float] = field(default_factory=dict)

    def add_local(self, vni: int, ip: str, mac: str, ifname: str) -> None:
        self.local.setdefault(vni, {})[ip] = (mac, ifname)

    def remove_local(self, vni: int, ip: str) -> None:
        table = self.local.get(vni, {})
        table.pop(ip, None)
        if not table:
            self.local.pop(vni, None)

    def add_remote(self, vni: int, ip: str, mac: str, host_ip: str) -> None:
        self.remote.setdefault(vni, {})[ip] = (mac, host_ip)
        self.programmed.setdefault((vni, ip), time.monotonic())

    def remove_remote(self, vni: int, ip: str) -> None:
        table = self.remote.get(vni, {})
        table.pop(ip, None)
        self.programmed.pop((vni, ip), None)
        if not table:
            self.remote.pop(vni, None)

    def drop_vni(self, vni: int) -> None:
        for ip in self.remote.pop(vni, {}):
            self.programmed.pop((vni, ip), None)

    def route(self, vni: int, ip: str) -> str | None:
        """Where a frame for ``ip`` in ``vni`` goes: ``local:<ifname>``, a host IP, or None (dropped)."""
        if ip in self.local.get(vni, {}):
            return f"local:{self.local[vni][ip][1]}"
        entry = self.remote.get(vni, {}).get(ip)
        return entry[1] if entry else None
