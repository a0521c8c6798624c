"""The data plane in real Linux networking: network namespaces, veths, bridges and VXLAN.

For a small cluster on one machine (root needed): every simulated host is a network namespace
joined to the others by a veth into an "underlay" namespace's bridge, where it has its host IP;
every guest is a namespace of its own whose ``eth0`` is a veth into its host's bridge for the
guest's VNI. That bridge also holds the host's VXLAN device for the VNI (VXLAN id = VNI, over
the underlay, learning off), and the agent's table becomes its forwarding entries: a guest's MAC
-> the host IP it lives on, plus one all-zero entry per remote host of the VNI so that ARP
broadcasts reach them. So a guest reaches the guests of its VNI on every host, and nothing else.

Commands run synchronously (``ip``, ``bridge``), a few milliseconds each: this is for a
demonstration and tests, not for scale (that is :class:`~examples.sdn.dataplane.MemoryDataPlane`).
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

FLOOD = "00:00:00:00:00:00"


def sh(*args: str) -> None:
    """Run a command; fail loudly with its output."""
    result = subprocess.run(args, capture_output=True, text=True, timeout=30)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(args)}: {result.stderr.strip() or result.stdout.strip()}")


def netns_usable() -> str | None:
    """None if network namespaces, veths, bridges and VXLAN can be made here; else why not."""
    name = "sp-probe"
    try:
        sh("ip", "netns", "add", name)
    except (OSError, RuntimeError) as e:
        return f"cannot create a network namespace: {e}"
    try:
        sh("ip", "-n", name, "link", "add", "vxprobe", "type", "vxlan", "id", "1", "dstport", "4789")
        sh("ip", "-n", name, "link", "add", "brprobe", "type", "bridge")
        sh("ip", "-n", name, "link", "add", "vprobe0", "type", "veth", "peer", "name", "vprobe1")
    except (OSError, RuntimeError) as e:
        return f"cannot create VXLAN, bridge or veth devices: {e}"
    finally:
        subprocess.run(["ip", "netns", "del", name], capture_output=True)
    return None


@dataclass
class Underlay:
    """The network the hosts share: a namespace with a bridge, one veth per host."""

    name: str
    prefix_length: int = 24
    hosts: list[str] = field(default_factory=list)

    def create(self) -> None:
        sh("ip", "netns", "add", self.name)
        sh("ip", "-n", self.name, "link", "add", "br0", "type", "bridge")
        sh("ip", "-n", self.name, "link", "set", "br0", "up")

    def attach(self, host_ns: str, host_ip: str) -> None:
        """Give ``host_ns`` an ``eth0`` on the underlay with ``host_ip``."""
        port = f"u{len(self.hosts)}"
        self.hosts.append(host_ns)
        sh("ip", "-n", self.name, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", host_ns)
        sh("ip", "-n", self.name, "link", "set", port, "master", "br0", "up")
        sh("ip", "-n", host_ns, "addr", "add", f"{host_ip}/{self.prefix_length}", "dev", "eth0")
        sh("ip", "-n", host_ns, "link", "set", "eth0", "up")

    def delete(self) -> None:
        subprocess.run(["ip", "netns", "del", self.name], capture_output=True)


class LinuxDataPlane:
    """One host's networking (a :class:`~examples.sdn.dataplane.DataPlane`); see the module docstring.

    ``prefix_of(vni)`` is the prefix length guests of ``vni`` configure (their Subnet's).
    """

    def __init__(self, host_ns: str, host_ip: str, underlay: Underlay, *,
                 prefix_of: Callable[[int], int] = lambda vni: 24) -> None:
        self.ns, self.host_ip, self.prefix_of = host_ns, host_ip, prefix_of
        self.guests: dict[tuple[int, str], str] = {}            # (vni, ip) -> the guest's namespace
        self.remote: dict[tuple[int, str], tuple[str, str]] = {}  # (vni, ip) -> (mac, host)
        self.vnis: set[int] = set()
        sh("ip", "netns", "add", host_ns)
        sh("ip", "-n", host_ns, "link", "set", "lo", "up")
        underlay.attach(host_ns, host_ip)

    def guest_namespace(self, ifname: str) -> str:
        return f"{self.ns}-{ifname}"

    def _ensure_vni(self, vni: int) -> None:
        if vni in self.vnis:
            return
        sh("ip", "-n", self.ns, "link", "add", f"br{vni}", "type", "bridge")
        sh("ip", "-n", self.ns, "link", "add", f"vx{vni}", "type", "vxlan", "id", str(vni), "local", self.host_ip,
           "dev", "eth0", "dstport", "4789", "nolearning")
        sh("ip", "-n", self.ns, "link", "set", f"vx{vni}", "master", f"br{vni}", "up")
        sh("ip", "-n", self.ns, "link", "set", f"br{vni}", "up")
        self.vnis.add(vni)

    def add_local(self, vni: int, ip: str, mac: str, ifname: str) -> None:
        if (vni, ip) in self.guests:
            return
        self._ensure_vni(vni)
        guest = self.guest_namespace(ifname)
        sh("ip", "netns", "add", guest)
        sh("ip", "-n", self.ns, "link", "add", ifname, "type", "veth", "peer", "name", "eth0", "netns", guest)
        sh("ip", "-n", self.ns, "link", "set", ifname, "master", f"br{vni}", "up")
        sh("ip", "-n", guest, "link", "set", "eth0", "address", mac, "mtu", "1450")
        sh("ip", "-n", guest, "addr", "add", f"{ip}/{self.prefix_of(vni)}", "dev", "eth0")
        sh("ip", "-n", guest, "link", "set", "eth0", "up")
        sh("ip", "-n", guest, "link", "set", "lo", "up")
        self.guests[(vni, ip)] = guest

    def remove_local(self, vni: int, ip: str) -> None:
        guest = self.guests.pop((vni, ip), None)
        if guest is not None:
            subprocess.run(["ip", "netns", "del", guest], capture_output=True)  # its veth goes with it

    def _hosts_of(self, vni: int) -> set[str]:
        return {host for (v, _), (_, host) in self.remote.items() if v == vni}

    def add_remote(self, vni: int, ip: str, mac: str, host_ip: str) -> None:
        if self.remote.get((vni, ip)) == (mac, host_ip):
            return
        self.remove_remote(vni, ip)
        self._ensure_vni(vni)
        if host_ip not in self._hosts_of(vni):
            sh("bridge", "-n", self.ns, "fdb", "append", FLOOD, "dev", f"vx{vni}", "dst", host_ip)
        sh("bridge", "-n", self.ns, "fdb", "replace", mac, "dev", f"vx{vni}", "dst", host_ip)
        self.remote[(vni, ip)] = (mac, host_ip)

    def remove_remote(self, vni: int, ip: str) -> None:
        entry = self.remote.pop((vni, ip), None)
        if entry is None:
            return
        mac, host_ip = entry
        subprocess.run(["bridge", "-n", self.ns, "fdb", "del", mac, "dev", f"vx{vni}", "dst", host_ip],
                       capture_output=True)
        if host_ip not in self._hosts_of(vni):
            subprocess.run(["bridge", "-n", self.ns, "fdb", "del", FLOOD, "dev", f"vx{vni}", "dst", host_ip],
                           capture_output=True)

    def drop_vni(self, vni: int) -> None:
        for key in [k for k in self.remote if k[0] == vni]:
            self.remote.pop(key)
        if vni in self.vnis and not any(v == vni for v, _ in self.guests):
            subprocess.run(["ip", "-n", self.ns, "link", "del", f"vx{vni}"], capture_output=True)
            subprocess.run(["ip", "-n", self.ns, "link", "del", f"br{vni}"], capture_output=True)
            self.vnis.discard(vni)

    def delete(self) -> None:
        """Remove the host's and its guests' namespaces."""
        for guest in self.guests.values():
            subprocess.run(["ip", "netns", "del", guest], capture_output=True)
        self.guests.clear()
        subprocess.run(["ip", "netns", "del", self.ns], capture_output=True)


def reachable(guest_ns: str, ip: str, *, timeout: float = 1.0, python: Sequence[str] = ("python3",)) -> bool:
    """Whether ``guest_ns`` reaches ``ip``: one ``ping`` (ICMP echo) where ping is installed, else a TCP
    connection attempt (a refusal counts: the peer's kernel answered); a timeout or no route means not."""
    if shutil.which("ping") is not None:
        # one reply wanted, a request every 0.2 s until one comes or the deadline (the first may wait on ARP)
        command = ["ping", "-c", "1", "-i", "0.2", "-w", str(max(2, round(2 * timeout))), ip]
    else:
        probe = ("import socket, sys\n"
                 "try:\n"
                 f"    socket.create_connection(({ip!r}, 9), timeout={timeout})\n"
                 "except ConnectionRefusedError:\n"
                 "    sys.exit(0)\n"
                 "except OSError:\n"
                 "    sys.exit(1)\n")
        command = [*python, "-c", probe]
    result = subprocess.run(["ip", "netns", "exec", guest_ns, *command], capture_output=True, timeout=timeout + 10)
    return result.returncode == 0
