"""Where a Service's backends are listed: core/v1 Endpoints and discovery.k8s.io/v1 EndpointSlice.

Defaults are ``SetDefaults_Endpoints`` (``pkg/apis/core/v1/defaults.go``) and
``SetDefaults_EndpointPort`` (``pkg/apis/discovery/v1/defaults.go``); validation is
``ValidateEndpoints`` (``pkg/apis/core/validation``) and ``ValidateEndpointSlice``
(``pkg/apis/discovery/validation``); the EndpointSlice strategy is
``pkg/registry/discovery/endpointslice/strategy.go``; columns are ``printEndpoints``
and ``printEndpointSlice``. Every request to v1 Endpoints carries kube's deprecation
warning (deprecated in 1.33 for EndpointSlice).
"""

from __future__ import annotations

from typing import Any

from setpoint.apimachinery import netvalidation as net
from setpoint.apimachinery.types import Obj
from setpoint.apimachinery.validation import is_dns1123_label, is_dns1123_subdomain, is_qualified_name
from setpoint.apiserver.builtin import workloads as w
from setpoint.apiserver.builtin.declare import declare, description
from setpoint.apiserver.encoding import errors
from setpoint.apiserver.registry.resources import Column, Resource, Strategy

_PROTOCOLS = ["SCTP", "TCP", "UDP"]
_ADDRESS_TYPES = ["FQDN", "IPv4", "IPv6"]
#: On update, the deprecated ``IP`` type is still accepted (``deprecatedAddressTypes``).
_ADDRESS_TYPES_ON_UPDATE = ["FQDN", "IP", "IPv4", "IPv6"]
_MAX_ADDRESSES = 100
_MAX_PORTS = 100
_MAX_ENDPOINTS = 1000
ENDPOINTS_DEPRECATION = "v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 EndpointSlice"


def _dicts(value: Any) -> list[Obj]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _label(value: Any, path: str) -> list[errors.FieldError]:
    """``ValidateDNS1123Label``."""
    return [errors.invalid(path, value, m) for m in is_dns1123_label(value)] if isinstance(value, str) else []


def _node_name(value: Any, path: str) -> list[errors.FieldError]:
    """``ValidateNodeName`` (a DNS subdomain)."""
    if not isinstance(value, str):
        return []
    return [errors.invalid(path, value, m) for m in is_dns1123_subdomain(value)]


def _default_protocols(ports: Any) -> None:
    for port in _dicts(ports):
        if not port.get("protocol"):
            port["protocol"] = "TCP"


# --- core/v1 Endpoints ----------------------------------------------------------------


class EndpointsStrategy(Strategy):
    has_generation = False
    deprecation_warning = ENDPOINTS_DEPRECATION

    def prepare_for_create(self, obj: Obj) -> None:
        for subset in _dicts(obj.get("subsets")):
            _default_protocols(subset.get("ports"))

    def prepare_for_update(self, obj: Obj, old: Obj) -> None:
        self.prepare_for_create(obj)

    def validate(self, obj: Obj) -> list[errors.FieldError]:
        out: list[errors.FieldError] = []
        subsets = obj.get("subsets")
        for i, subset in enumerate(subsets if isinstance(subsets, list) else ()):
            path = f"subsets[{i}]"
            if not isinstance(subset, dict):
                continue
            addresses = _dicts(subset.get("addresses"))
            not_ready = _dicts(subset.get("notReadyAddresses"))
            if not addresses and not not_ready:
                out.append(errors.required(path, "must specify `addresses` or `notReadyAddresses`"))
            for j, address in enumerate(addresses):
                out.extend(_endpoint_address(address, f"{path}.addresses[{j}]"))
            for j, address in enumerate(not_ready):
                out.extend(_endpoint_address(address, f"{path}.notReadyAddresses[{j}]"))
            ports = _dicts(subset.get("ports"))
            for j, port in enumerate(ports):
                out.extend(_endpoint_port(port, len(ports) > 1, f"{path}.ports[{j}]"))
        return out


def _endpoint_address(address: Obj, path: str) -> list[errors.FieldError]:
    """``validateEndpointAddress``."""
    ip = address.get("ip")
    ip = ip if isinstance(ip, str) else ""
    out = [errors.invalid(f"{path}.ip", ip, m) for m in net.is_valid_ip(ip)]
    if address.get("hostname"):
        out.extend(_label(address["hostname"], f"{path}.hostname"))
    if address.get("nodeName") is not None:
        out.extend(_node_name(address["nodeName"], f"{path}.nodeName"))
    out.extend(errors.invalid(f"{path}.ip", ip, m) for m in net.non_special_ip(ip))
    return out


def _endpoint_port(port: Obj, require_name: bool, path: str) -> list[errors.FieldError]:
    """``validateEndpointPort``."""
    out: list[errors.FieldError] = []
    name = port.get("name") or ""
    if require_name and not name:
        out.append(errors.required(f"{path}.name"))
    elif name:
        out.extend(_label(name, f"{path}.name"))
    number = port.get("port", 0)
    out.extend(errors.invalid(f"{path}.port", number, m) for m in net.is_valid_port_num(number))
    protocol = port.get("protocol") or ""
    if not protocol:
        out.append(errors.required(f"{path}.protocol"))
    elif protocol not in _PROTOCOLS:
        out.append(errors.not_supported(f"{path}.protocol", protocol, _PROTOCOLS))
    app_protocol = port.get("appProtocol")
    if isinstance(app_protocol, str):
        out.extend(errors.invalid(f"{path}.appProtocol", app_protocol, m) for m in is_qualified_name(app_protocol))
    return out


def _join_host_port(host: str, port: Any) -> str:
    """Go's ``net.JoinHostPort``."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def format_endpoints(obj: Obj) -> str:
    """``formatEndpoints(endpoints, nil)``: ready addresses (with each port), three at most."""
    subsets = _dicts(obj.get("subsets"))
    if not subsets:
        return "<none>"
    shown: list[str] = []
    limit, more, count = 3, False, 0
    for subset in subsets:
        addresses = [str(a.get("ip", "")) for a in _dicts(subset.get("addresses"))]
        ports = _dicts(subset.get("ports"))
        if not ports:  # a headless service's endpoints may have no ports
            count += len(addresses)
            for ip in addresses:
                if len(shown) == limit:
                    more = True
                    break
                shown.append(ip)
            continue
        for port in ports:
            count += len(addresses)
            for ip in addresses:
                if len(shown) == limit:
                    more = True
                    break
                shown.append(_join_host_port(ip, port.get("port", 0)))
    text = ",".join(shown)
    return f"{text} + {count - limit} more..." if more else text


# --- discovery.k8s.io/v1 EndpointSlice ------------------------------------------------


class EndpointSliceStrategy(Strategy):
    """Generation 1 on create, moved by any change but to metadata (labels excepted)."""

    def prepare_for_create(self, obj: Obj) -> None:
        self._default(obj)
        for endpoint in _dicts(obj.get("endpoints")):
            endpoint.pop("deprecatedTopology", None)  # dropTopologyOnV1

    def prepare_for_update(self, obj: Obj, old: Obj) -> None:
        self._default(obj)
        if obj.get("endpoints") != old.get("endpoints"):
            for endpoint in _dicts(obj.get("endpoints")):
                endpoint.pop("deprecatedTopology", None)

    @staticmethod
    def _default(obj: Obj) -> None:
        for port in _dicts(obj.get("ports")):
            if port.get("name") is None:
                port["name"] = ""
            if port.get("protocol") is None:
                port["protocol"] = "TCP"

    def spec_changed(self, obj: Obj, old: Obj) -> bool:
        if super().spec_changed(obj, old):
            return True
        return bool((w.get(obj, "metadata", "labels") or {}) != (w.get(old, "metadata", "labels") or {}))

    def validate(self, obj: Obj) -> list[errors.FieldError]:
        return _validate_slice(obj, _ADDRESS_TYPES)

    def validate_update(self, obj: Obj, old: Obj) -> list[errors.FieldError]:
        out = _validate_slice(obj, _ADDRESS_TYPES_ON_UPDATE)
        if obj.get("addressType") != old.get("addressType"):
            out.append(errors.invalid("addressType", obj.get("addressType", ""), "field is immutable"))
        return out


def _validate_slice(obj: Obj, address_types: list[str]) -> list[errors.FieldError]:
    """``ValidateEndpointSlice``."""
    out: list[errors.FieldError] = []
    address_type = obj.get("addressType") or ""
    if not address_type:
        out.append(errors.required("addressType"))
    elif address_type not in address_types:
        out.append(errors.not_supported("addressType", address_type, address_types))
    out.extend(_slice_endpoints(obj.get("endpoints"), address_type))
    out.extend(_slice_ports(obj.get("ports")))
    return out


def _slice_endpoints(value: Any, address_type: str) -> list[errors.FieldError]:
    endpoints = value if isinstance(value, list) else []
    if len(endpoints) > _MAX_ENDPOINTS:
        return [errors.too_many("endpoints", len(endpoints), _MAX_ENDPOINTS)]
    out: list[errors.FieldError] = []
    for i, endpoint in enumerate(endpoints):
        if not isinstance(endpoint, dict):
            continue
        path = f"endpoints[{i}]"
        addresses = endpoint.get("addresses")
        addresses = addresses if isinstance(addresses, list) else []
        if not addresses:
            out.append(errors.required(f"{path}.addresses", "must contain at least 1 address"))
        elif len(addresses) > _MAX_ADDRESSES:
            out.append(errors.too_many(f"{path}.addresses", len(addresses), _MAX_ADDRESSES))
        for j, address in enumerate(addresses):
            if isinstance(address, str):
                out.extend(_slice_address(address, address_type, f"{path}.addresses[{j}]"))
        if endpoint.get("nodeName") is not None:
            out.extend(_node_name(endpoint["nodeName"], f"{path}.nodeName"))
        if endpoint.get("hostname") is not None:
            out.extend(_label(endpoint["hostname"], f"{path}.hostname"))
    return out


def _slice_address(address: str, address_type: str, path: str) -> list[errors.FieldError]:
    if address_type == "IP":
        return [errors.invalid(path, address, m) for m in net.is_valid_ip(address)]
    if address_type in ("IPv4", "IPv6"):
        check = net.is_valid_ipv4 if address_type == "IPv4" else net.is_valid_ipv6
        out = [errors.invalid(path, address, m) for m in check(address)]
        out.extend(errors.invalid(path, address, m) for m in net.non_special_ip(address))
        return out
    if address_type == "FQDN":
        bad = net.fully_qualified_domain_name(address)
        if bad is None:
            return []
        return [errors.required(path) if not bad[1] else errors.invalid(path, bad[0], bad[1])]
    return []


def _slice_ports(value: Any) -> list[errors.FieldError]:
    ports = value if isinstance(value, list) else []
    if len(ports) > _MAX_PORTS:
        return [errors.too_many("ports", len(ports), _MAX_PORTS)]
    out: list[errors.FieldError] = []
    names: set[str] = set()
    for i, port in enumerate(ports):
        if not isinstance(port, dict):
            continue
        path = f"ports[{i}]"
        found = port.get("name")
        name = found if isinstance(found, str) else ""
        if name:
            out.extend(_label(name, f"{path}.name"))
        if name in names:
            out.append(errors.duplicate(f"{path}.name", name))
        names.add(name)
        protocol = port.get("protocol")
        if protocol is None:
            out.append(errors.required(f"{path}.protocol"))
        elif protocol not in _PROTOCOLS:
            out.append(errors.not_supported(f"{path}.protocol", protocol, _PROTOCOLS))
        app_protocol = port.get("appProtocol")
        if isinstance(app_protocol, str):
            out.extend(errors.invalid(f"{path}.appProtocol", app_protocol, m) for m in is_qualified_name(app_protocol))
    return out


def _more(shown: list[str], more: bool, count: int, limit: int) -> str:
    """``listWithMoreString``."""
    text = ",".join(shown)
    if more:
        return f"{text} + {count - limit} more..."
    return text or "<unset>"


def format_slice_ports(obj: Obj) -> str:
    """``formatDiscoveryPorts``: numbers (or names, ``*`` for all ports), three at most."""
    shown: list[str] = []
    limit, more, count = 3, False, 0
    for port in _dicts(obj.get("ports")):
        if len(shown) < limit:
            number = port.get("port")
            shown.append(str(number) if number is not None else str(port["name"]) if port.get("name") is not None
                         else "*")
        elif len(shown) == limit:
            more = True
        count += 1
    return _more(shown, more, count, limit)


def format_slice_endpoints(obj: Obj) -> str:
    """``formatDiscoveryEndpoints``: the addresses, three at most."""
    shown: list[str] = []
    limit, more, count = 3, False, 0
    for endpoint in _dicts(obj.get("endpoints")):
        for address in endpoint.get("addresses") or ():
            if len(shown) < limit:
                shown.append(str(address))
            elif len(shown) == limit:
                more = True
            count += 1
    return _more(shown, more, count, limit)


_SLICE = "io.k8s.api.discovery.v1.EndpointSlice"
_ENDPOINTS_COLUMNS = (
    Column("Endpoints", "string", format_endpoints, description=description("io.k8s.api.core.v1.Endpoints", "subsets")),
)
_SLICE_COLUMNS = (
    Column("AddressType", "string", lambda o: str(o.get("addressType", "")),
           description=description(_SLICE, "addressType")),
    Column("Ports", "string", format_slice_ports, description=description(_SLICE, "ports")),
    Column("Endpoints", "string", format_slice_endpoints, description=description(_SLICE, "endpoints")),
)


def resources() -> list[Resource]:
    """core/v1 Endpoints and discovery.k8s.io/v1 EndpointSlice, freshly made."""
    return [
        declare("", "v1", "Endpoints", "endpoints", "endpoints", True, EndpointsStrategy(),
                short_names=("ep",), columns=_ENDPOINTS_COLUMNS),
        declare("discovery.k8s.io", "v1", "EndpointSlice", "endpointslices", "endpointslice", True,
                EndpointSliceStrategy(), columns=_SLICE_COLUMNS),
    ]
