"""IP, port and domain checks, as apimachinery's ``pkg/util/validation`` (``ip.go``,
``validation.go``) and ``k8s.io/utils/net`` make them.

:func:`parse_ip_sloppy` is ``netutils.ParseIPSloppy`` (Go's ``net.ParseIP`` before 1.17:
IPv4 parts may carry leading zeros, read as decimal). The ``is_*`` functions return
kube's detail strings (empty when valid), for callers to wrap in field errors.
"""

from __future__ import annotations

import ipaddress
from typing import Final

from setpoint.apimachinery.validation import is_dns1123_label, is_dns1123_subdomain

IPAddr = ipaddress.IPv4Address | ipaddress.IPv6Address

_LINK_LOCAL_MULTICAST_V4: Final = ipaddress.IPv4Network("224.0.0.0/24")


def parse_ip_sloppy(value: str) -> IPAddr | None:
    """The address, or None when Go's old ``net.ParseIP`` refuses it."""
    for ch in value:
        if ch == ".":
            return _parse_v4(value)
        if ch == ":":
            if "%" in value:
                return None
            try:
                return ipaddress.IPv6Address(value)
            except ValueError:
                return None
    return None


def _parse_v4(value: str) -> ipaddress.IPv4Address | None:
    parts = value.split(".")
    if len(parts) != 4:
        return None
    octets = []
    for p in parts:
        if not p or not p.isascii() or not p.isdigit():
            return None
        n = int(p)
        if n > 255:
            return None
        octets.append(n)
    return ipaddress.IPv4Address(bytes(octets))


def as_v4(ip: IPAddr) -> IPAddr:
    """Go's ``To4`` when it applies: an IPv4-mapped IPv6 address is its IPv4 address."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def is_valid_ip(value: str) -> list[str]:
    """``IsValidIP``."""
    if parse_ip_sloppy(value) is None:
        return ["must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"]
    return []


def is_valid_ipv4(value: str) -> list[str]:
    """``IsValidIPv4Address``."""
    ip = parse_ip_sloppy(value)
    if ip is None or not isinstance(as_v4(ip), ipaddress.IPv4Address):
        return ["must be a valid IPv4 address"]
    return []


def is_valid_ipv6(value: str) -> list[str]:
    """``IsValidIPv6Address``."""
    ip = parse_ip_sloppy(value)
    if ip is None or isinstance(as_v4(ip), ipaddress.IPv4Address):
        return ["must be a valid IPv6 address"]
    return []


def is_valid_cidr(value: str) -> list[str]:
    """``IsValidCIDR`` (``ParseCIDRSloppy``)."""
    ip_text, slash, bits = value.partition("/")
    ip = parse_ip_sloppy(ip_text) if slash else None
    width = 32 if isinstance(ip, ipaddress.IPv4Address) else 128
    if ip is None or not bits.isascii() or not bits.isdigit() or int(bits) > width or (len(bits) > 1 and bits[0] == "0"):
        return ["must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"]
    return []


def non_special_ip(value: str) -> list[str]:
    """``ValidateNonSpecialIP``'s details: no unspecified, loopback or link-local address."""
    ip = parse_ip_sloppy(value)
    if ip is None:
        return ["must be a valid IP address"]
    ip = as_v4(ip)
    out = []
    if ip.is_unspecified:
        out.append(f"may not be unspecified ({value})")
    if ip.is_loopback:
        out.append("may not be in the loopback range (127.0.0.0/8, ::1/128)")
    if ip.is_link_local:
        out.append("may not be in the link-local range (169.254.0.0/16, fe80::/10)")
    if (ip in _LINK_LOCAL_MULTICAST_V4 if isinstance(ip, ipaddress.IPv4Address)
            else (int(ip) >> 120 == 0xFF and (int(ip) >> 112) & 0x0F == 0x02)):
        out.append("may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)")
    return out


def is_valid_port_num(port: object) -> list[str]:
    """``IsValidPortNum``."""
    if isinstance(port, int) and not isinstance(port, bool) and 1 <= port <= 65535:
        return []
    return ["must be between 1 and 65535, inclusive"]


def fully_qualified_domain_name(name: str) -> tuple[str, str] | None:
    """``IsFullyQualifiedDomainName``: None when valid, else the bad value and the detail
    (an empty detail means the name is missing)."""
    if not name:
        return "", ""
    if name.endswith("."):
        name = name[:-1]
    errs = is_dns1123_subdomain(name)
    if errs:
        return name, ",".join(errs)
    labels = name.split(".")
    if len(labels) < 2:
        return name, "should be a domain with at least two segments separated by dots"
    for label in labels:
        errs = is_dns1123_label(label)
        if errs:
            return label, ",".join(errs)
    return None
