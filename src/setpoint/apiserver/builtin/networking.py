"""networking.k8s.io/v1 Ingress, IngressClass and NetworkPolicy (kube's ``pkg/registry/networking``).

Defaults are ``pkg/apis/networking/v1/defaults.go`` (a NetworkPolicy's ``policyTypes`` and ports'
``protocol``, an IngressClass parameters' ``scope``); validation is
``pkg/apis/networking/validation`` with kube's messages (``RelaxedServiceNameValidation`` on: a
backend Service's name is a DNS-1123 label); columns are ``printIngress``, ``printIngressClass``
and ``printNetworkPolicy``. An Ingress serves ``/status`` and starts with ``status: {}``.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from setpoint.apimachinery import netvalidation as net
from setpoint.apimachinery.types import Obj
from setpoint.apimachinery.validation import (
    is_dns1123_label,
    is_dns1123_subdomain,
    is_valid_path_segment_name,
)
from setpoint.apiserver.builtin import workloads as w
from setpoint.apiserver.builtin.declare import declare, description
from setpoint.apiserver.encoding import errors
from setpoint.apiserver.encoding.errors import GoLiteral
from setpoint.apiserver.registry import metadata
from setpoint.apiserver.registry.resources import Column, Resource, Strategy

_NET = "io.k8s.api.networking.v1."
_PATH_TYPES = ["Exact", "ImplementationSpecific", "Prefix"]
_INVALID_PATH_SEQUENCES = ("//", "/./", "/../", "%2f", "%2F")
_INVALID_PATH_SUFFIXES = ("/..", "/.")
_SCOPES = ["Cluster", "Namespace"]
_INGRESS_CLASS_ANNOTATION = "kubernetes.io/ingress.class"
_MAX_CONTROLLER_LENGTH = 250
_WILDCARD_FMT = r"\*\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*"
_WILDCARD = re.compile(_WILDCARD_FMT)
_WILDCARD_ERROR = ("a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which "
                   "must consist of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric "
                   f"character (e.g. '*.example.com', regex used for validation is '{_WILDCARD_FMT}')")
_HTTP_PATH_FMT = r"[A-Za-z0-9/\-._~%!$&'()*+,;=:]+"
_HTTP_PATH = re.compile(_HTTP_PATH_FMT)
_PORT_NAME_CHARS = re.compile(r"[-a-z0-9]+")


def _dicts(value: Any) -> list[Obj]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _str(value: Any) -> str:
    return value if isinstance(value, str) else "" if value is None else str(value)


def is_wildcard_dns1123_subdomain(value: str) -> list[str]:
    """``IsWildcardDNS1123Subdomain``."""
    out = []
    if len(value) > metadata.DNS1123_SUBDOMAIN_MAX_LENGTH:
        out.append(f"must be no more than {metadata.DNS1123_SUBDOMAIN_MAX_LENGTH} characters")
    if not _WILDCARD.fullmatch(value):
        out.append(_WILDCARD_ERROR)
    return out


def is_valid_port_name(port: str) -> list[str]:
    """``IsValidPortName`` (an IANA service name)."""
    out = []
    if len(port) > 15:
        out.append("must be no more than 15 characters")
    if not _PORT_NAME_CHARS.fullmatch(port):
        out.append("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")
    if not re.search("[a-z]", port):
        out.append("must contain at least one letter (a-z)")
    if "--" in port:
        out.append("must not contain consecutive hyphens")
    if port and (port[0] == "-" or port[-1] == "-"):
        out.append("must not begin or end with a hyphen")
    return out


def _host(value: str, path: str) -> list[errors.FieldError]:
    check = is_wildcard_dns1123_subdomain if "*" in value else is_dns1123_subdomain
    return [errors.invalid(path, value, m) for m in check(value)]


# --- Ingress ---------------------------------------------------------------------------


class IngressStrategy(Strategy):
    """Status reset on create and kept on update; generation moved by spec changes."""

    def prepare_for_create(self, obj: Obj) -> None:
        obj["status"] = {}

    def validate(self, obj: Obj) -> list[errors.FieldError]:
        out = self._validate(obj)
        annotation = (w.get(obj, "metadata", "annotations") or {}).get(_INGRESS_CLASS_ANNOTATION)
        class_name = w.get(obj, "spec", "ingressClassName")
        if annotation is not None and class_name is not None and annotation != class_name:
            out.append(errors.invalid(f"annotations.{_INGRESS_CLASS_ANNOTATION}", annotation,
                                      "must match `ingressClassName` when both are specified"))
        return out

    def validate_update(self, obj: Obj, old: Obj) -> list[errors.FieldError]:
        out = self._validate(obj, old)
        out.extend(_load_balancer_status(w.get(obj, "status", "loadBalancer"), "status.loadBalancer"))
        return out

    @staticmethod
    def _validate(obj: Obj, old: Obj | None = None) -> list[errors.FieldError]:
        spec = obj.get("spec")
        spec = spec if isinstance(spec, dict) else {}
        allow_invalid_secret = old is not None and any(
            _tls_secret_name(t.get("secretName")) for t in _dicts(w.get(old, "spec", "tls")))
        return _ingress_spec(spec, "spec", allow_invalid_secret=allow_invalid_secret)


def _tls_secret_name(name: Any) -> list[str]:
    return is_dns1123_subdomain(name) if isinstance(name, str) and name else []


def _ingress_spec(spec: Obj, path: str, *, allow_invalid_secret: bool) -> list[errors.FieldError]:
    """``ValidateIngressSpec``."""
    out: list[errors.FieldError] = []
    rules = spec.get("rules")
    if not rules and spec.get("defaultBackend") is None:
        bad = GoLiteral("[]networking.IngressRule{}" if isinstance(rules, list) else "[]networking.IngressRule(nil)")
        out.append(errors.invalid(path, bad, "either `defaultBackend` or `rules` must be specified"))
    if isinstance(spec.get("defaultBackend"), dict):
        out.extend(_backend(spec["defaultBackend"], f"{path}.defaultBackend"))
    for i, rule in enumerate(_dicts(rules)):
        rpath = f"{path}.rules[{i}]"
        host = _str(rule.get("host"))
        if host:
            if net.parse_ip_sloppy(host) is not None:
                out.append(errors.invalid(f"{rpath}.host", host, "must be a DNS name, not an IP address"))
            out.extend(_host(host, f"{rpath}.host"))
        http = rule.get("http")
        if isinstance(http, dict):
            paths = _dicts(http.get("paths"))
            if not paths:
                out.append(errors.required(f"{rpath}.http.paths"))
            for j, p in enumerate(paths):
                out.extend(_http_path(p, f"{rpath}.http.paths[{j}]"))
    for i, tls in enumerate(_dicts(spec.get("tls"))):
        for j, host in enumerate(tls.get("hosts") or ()):
            if isinstance(host, str):
                out.extend(_host(host, f"{path}.tls[{i}].hosts[{j}]"))
        if not allow_invalid_secret:
            secret = tls.get("secretName")
            out.extend(errors.invalid(f"{path}.tls[{i}].secretName", secret, m) for m in _tls_secret_name(secret))
    class_name = spec.get("ingressClassName")
    if isinstance(class_name, str):
        out.extend(errors.invalid(f"{path}.ingressClassName", class_name, m)
                   for m in metadata.name_is_dns_subdomain(class_name, False))
    return out


def _http_path(p: Obj, path: str) -> list[errors.FieldError]:
    """``validateHTTPIngressPath``."""
    out: list[errors.FieldError] = []
    path_type = p.get("pathType")
    if path_type is None:
        return [errors.required(f"{path}.pathType", "pathType must be specified")]
    value = _str(p.get("path"))
    if path_type in ("Exact", "Prefix"):
        if not value.startswith("/"):
            out.append(errors.invalid(f"{path}.path", value, "must be an absolute path"))
        if value:
            out.extend(errors.invalid(f"{path}.path", value, f"must not contain '{seq}'")
                       for seq in _INVALID_PATH_SEQUENCES if seq in value)
            out.extend(errors.invalid(f"{path}.path", value, f"cannot end with '{suffix}'")
                       for suffix in _INVALID_PATH_SUFFIXES if value.endswith(suffix))
    elif path_type == "ImplementationSpecific":
        if value and not value.startswith("/"):
            out.append(errors.invalid(f"{path}.path", value, "must be an absolute path"))
    else:
        out.append(errors.not_supported(f"{path}.pathType", path_type, _PATH_TYPES))
    backend = p.get("backend")
    out.extend(_backend(backend if isinstance(backend, dict) else {}, f"{path}.backend"))
    return out


def _backend(backend: Obj, path: str) -> list[errors.FieldError]:
    """``validateIngressBackend``."""
    resource, service = backend.get("resource"), backend.get("service")
    if resource is not None and service is not None:
        return [errors.invalid(path, "", "cannot set both resource and service backends")]
    if isinstance(resource, dict):
        return _typed_reference(resource, f"{path}.resource")
    if not isinstance(service, dict):
        return [errors.invalid(path, "", "resource or service backend is required")]
    out: list[errors.FieldError] = []
    name = _str(service.get("name"))
    if not name:
        out.append(errors.required(f"{path}.service.name"))
    else:
        out.extend(errors.invalid(f"{path}.service.name", name, m) for m in is_dns1123_label(name))
    port = service.get("port")
    port = port if isinstance(port, dict) else {}
    port_name, number = _str(port.get("name")), port.get("number") or 0
    if port_name and number:
        out.append(errors.invalid(path, "", "cannot set both port name & port number"))
    elif port_name:
        out.extend(errors.invalid(f"{path}.service.port.name", port_name, m) for m in is_valid_port_name(port_name))
    elif number:
        out.extend(errors.invalid(f"{path}.service.port.number", number, m) for m in net.is_valid_port_num(number))
    else:
        out.append(errors.required(path, "port name or number is required"))
    return out


def _typed_reference(ref: Obj, path: str) -> list[errors.FieldError]:
    """``validateIngressTypedLocalObjectReference``."""
    out: list[errors.FieldError] = []
    group = ref.get("apiGroup")
    if isinstance(group, str):
        out.extend(errors.invalid(f"{path}.apiGroup", group, m) for m in is_dns1123_subdomain(group))
    for key in ("kind", "name"):
        value = _str(ref.get(key))
        if not value:
            out.append(errors.required(f"{path}.{key}"))
        else:
            out.extend(errors.invalid(f"{path}.{key}", value, m) for m in is_valid_path_segment_name(value))
    return out


def _load_balancer_status(status: Any, path: str) -> list[errors.FieldError]:
    """``ValidateIngressLoadBalancerStatus``."""
    out: list[errors.FieldError] = []
    for i, ingress in enumerate(_dicts((status or {}).get("ingress") if isinstance(status, dict) else None)):
        ipath = f"{path}.ingress[{i}]"
        ip, hostname = _str(ingress.get("ip")), _str(ingress.get("hostname"))
        if ip:
            out.extend(errors.invalid(f"{ipath}.ip", ip, m) for m in net.is_valid_ip(ip))
        if hostname:
            out.extend(errors.invalid(f"{ipath}.hostname", hostname, m) for m in is_dns1123_subdomain(hostname))
            if net.parse_ip_sloppy(hostname) is not None:
                out.append(errors.invalid(f"{ipath}.hostname", hostname, "must be a DNS name, not an IP address"))
    return out


# --- IngressClass ----------------------------------------------------------------------


class IngressClassStrategy(Strategy):
    def prepare_for_create(self, obj: Obj) -> None:
        self._default(obj)

    def prepare_for_update(self, obj: Obj, old: Obj) -> None:
        self._default(obj)

    @staticmethod
    def _default(obj: Obj) -> None:
        parameters = w.get(obj, "spec", "parameters")
        if isinstance(parameters, dict) and parameters.get("scope") is None:
            parameters["scope"] = "Cluster"

    def validate(self, obj: Obj) -> list[errors.FieldError]:
        spec = obj.get("spec")
        spec = spec if isinstance(spec, dict) else {}
        out: list[errors.FieldError] = []
        controller = _str(spec.get("controller"))
        if not controller:
            out.append(errors.required("spec.controller"))
        else:
            if len(controller.encode()) > _MAX_CONTROLLER_LENGTH:
                out.append(errors.too_long("spec.controller", _MAX_CONTROLLER_LENGTH))
            out.extend(_domain_prefixed_path(controller, "spec.controller"))
        parameters = spec.get("parameters")
        if isinstance(parameters, dict):
            out.extend(_parameters(parameters, "spec.parameters"))
        return out

    def validate_update(self, obj: Obj, old: Obj) -> list[errors.FieldError]:
        out: list[errors.FieldError] = []
        new_controller, old_controller = w.get(obj, "spec", "controller"), w.get(old, "spec", "controller")
        if new_controller != old_controller:
            out.append(errors.invalid("spec.controller", _str(new_controller), "field is immutable"))
        return out + self.validate(obj)


def _domain_prefixed_path(value: str, path: str) -> list[errors.FieldError]:
    """``IsDomainPrefixedPath``."""
    host, slash, rest = value.partition("/")
    if not slash or not host or not rest:
        return [errors.invalid(path, value, 'must be a domain-prefixed path (such as "acme.io/foo")')]
    out = [errors.invalid(path, host, m) for m in is_dns1123_subdomain(host)]
    if not _HTTP_PATH.fullmatch(rest):
        out.append(errors.invalid(path, rest, f"Invalid path (regex used for validation is '{_HTTP_PATH_FMT}')"))
    return out


def _parameters(params: Obj, path: str) -> list[errors.FieldError]:
    """``validateIngressClassParametersReference``."""
    out = _typed_reference(params, path)
    scope = params.get("scope")
    if scope is None:
        out.append(errors.required(f"{path}.scope"))
        return out
    namespace = params.get("namespace")
    if scope not in _SCOPES:
        out.append(errors.not_supported(f"{path}.scope", scope, _SCOPES))
    elif scope == "Namespace":
        if namespace is None:
            out.append(errors.required(f"{path}.namespace", "`parameters.scope` is set to 'Namespace'"))
        else:
            out.extend(errors.invalid(f"{path}.namespace", namespace, m)
                       for m in metadata.validate_namespace_name(_str(namespace), False))
    elif namespace is not None:
        out.append(errors.forbidden(f"{path}.namespace", "`parameters.scope` is set to 'Cluster'"))
    return out


# --- NetworkPolicy ---------------------------------------------------------------------


class NetworkPolicyStrategy(Strategy):
    def prepare_for_create(self, obj: Obj) -> None:
        self._default(obj)

    def prepare_for_update(self, obj: Obj, old: Obj) -> None:
        self._default(obj)

    @staticmethod
    def _default(obj: Obj) -> None:
        """``SetDefaults_NetworkPolicy`` and ``SetDefaults_NetworkPolicyPort``."""
        spec = obj.get("spec")
        if not isinstance(spec, dict):
            spec = obj["spec"] = {}
        if not spec.get("policyTypes"):
            spec["policyTypes"] = ["Ingress", "Egress"] if spec.get("egress") else ["Ingress"]
        for direction in ("ingress", "egress"):
            for rule in _dicts(spec.get(direction)):
                for port in _dicts(rule.get("ports")):
                    if port.get("protocol") is None:
                        port["protocol"] = "TCP"

    def validate(self, obj: Obj) -> list[errors.FieldError]:
        return _policy_spec(obj.get("spec") if isinstance(obj.get("spec"), dict) else {}, "spec", set())

    def validate_update(self, obj: Obj, old: Obj) -> list[errors.FieldError]:
        existing: set[str] = set()  # CIDRs already stored stay allowed (ValidateNetworkPolicyUpdate)
        for direction, peers in (("ingress", "from"), ("egress", "to")):
            for rule in _dicts(w.get(old, "spec", direction)):
                for peer in _dicts(rule.get(peers)):
                    block = peer.get("ipBlock")
                    if isinstance(block, dict):
                        existing.add(_str(block.get("cidr")))
                        existing.update(_str(e) for e in block.get("except") or ())
        return _policy_spec(obj.get("spec") if isinstance(obj.get("spec"), dict) else {}, "spec", existing)


def _policy_spec(spec: Any, path: str, existing: set[str]) -> list[errors.FieldError]:
    """``ValidateNetworkPolicySpec``."""
    out = metadata.validate_label_selector(spec.get("podSelector") or {}, f"{path}.podSelector")
    for direction, peers in (("ingress", "from"), ("egress", "to")):
        for i, rule in enumerate(_dicts(spec.get(direction))):
            rpath = f"{path}.{direction}[{i}]"
            for j, port in enumerate(_dicts(rule.get("ports"))):
                out.extend(_policy_port(port, f"{rpath}.ports[{j}]"))
            for j, peer in enumerate(_dicts(rule.get(peers))):
                out.extend(_peer(peer, f"{rpath}.{peers}[{j}]", existing))
    types = spec.get("policyTypes") or []
    if len(types) > 2:
        values = ", ".join(f'"{t}"' for t in types)
        out.append(errors.invalid(f"{path}.policyTypes", GoLiteral(f"[]networking.PolicyType{{{values}}}"),
                                  "may not specify more than two policyTypes"))
        return out
    for i, kind in enumerate(types):
        if kind not in ("Ingress", "Egress"):
            out.append(errors.not_supported(f"{path}.policyTypes[{i}]", kind, ["Ingress", "Egress"]))
    return out


def _policy_port(port: Obj, path: str) -> list[errors.FieldError]:
    """``ValidateNetworkPolicyPort``."""
    out: list[errors.FieldError] = []
    protocol = port.get("protocol")
    if protocol is not None and protocol not in ("TCP", "UDP", "SCTP"):
        out.append(errors.not_supported(f"{path}.protocol", protocol, ["TCP", "UDP", "SCTP"]))
    number, end = port.get("port"), port.get("endPort")
    if number is not None:
        if isinstance(number, int):
            out.extend(errors.invalid(f"{path}.port", number, m) for m in net.is_valid_port_num(number))
            if end is not None:
                if isinstance(end, int) and end < number:
                    out.append(errors.invalid(f"{path}.endPort", end, "must be greater than or equal to `port`"))
                out.extend(errors.invalid(f"{path}.endPort", end, m) for m in net.is_valid_port_num(end))
        else:
            if end is not None:
                out.append(errors.invalid(f"{path}.endPort", end, "may not be specified when `port` is non-numeric"))
            out.extend(errors.invalid(f"{path}.port", number, m) for m in is_valid_port_name(_str(number)))
    elif end is not None:
        out.append(errors.invalid(f"{path}.endPort", end, "may not be specified when `port` is not specified"))
    return out


def _peer(peer: Obj, path: str, existing: set[str]) -> list[errors.FieldError]:
    """``ValidateNetworkPolicyPeer``."""
    out: list[errors.FieldError] = []
    count = 0
    for key in ("podSelector", "namespaceSelector"):
        if peer.get(key) is not None:
            count += 1
            out.extend(metadata.validate_label_selector(peer[key], f"{path}.{key}"))
    block = peer.get("ipBlock")
    if block is not None:
        count += 1
        out.extend(_ip_block(block if isinstance(block, dict) else {}, f"{path}.ipBlock", existing))
    if count == 0:
        out.append(errors.required(path, "must specify a peer"))
    elif count > 1 and block is not None:
        out.append(errors.forbidden(path, "may not specify both ipBlock and another peer"))
    return out


def _network(cidr: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    if net.is_valid_cidr(cidr):
        return None
    ip_text, _, bits = cidr.partition("/")
    ip = net.parse_ip_sloppy(ip_text)
    assert ip is not None
    return ipaddress.ip_network(f"{ip}/{int(bits)}", strict=False)


def _ip_block(block: Obj, path: str, existing: set[str]) -> list[errors.FieldError]:
    """``ValidateIPBlock``."""
    cidr = _str(block.get("cidr"))
    if not cidr:
        return [errors.required(f"{path}.cidr")]
    out: list[errors.FieldError] = []
    if cidr not in existing:
        out.extend(errors.invalid(f"{path}.cidr", cidr, m) for m in net.is_valid_cidr(cidr))
    outer = _network(cidr)
    if outer is None:
        return out
    for i, text in enumerate(block.get("except") or ()):
        epath = f"{path}.except[{i}]"
        text = _str(text)
        if text not in existing:
            out.extend(errors.invalid(epath, text, m) for m in net.is_valid_cidr(text))
        inner = _network(text)
        if inner is None:
            continue
        if (inner.version != outer.version or inner.network_address not in outer
                or outer.prefixlen >= inner.prefixlen):
            out.append(errors.invalid(epath, text, "must be a strict subset of `cidr`"))
    return out


# --- columns ---------------------------------------------------------------------------


def _ingress_class(obj: Obj) -> str:
    name = w.get(obj, "spec", "ingressClassName")
    return "<none>" if name is None else _str(name)


def _ingress_hosts(obj: Obj) -> str:
    """``formatHosts``: three hosts at most, ``*`` for none."""
    rules = _dicts(w.get(obj, "spec", "rules"))
    shown: list[str] = []
    more = False
    for rule in rules:
        if len(shown) == 3:
            more = True
        if not more and rule.get("host"):
            shown.append(str(rule["host"]))
    if not shown:
        return "*"
    text = ",".join(shown)
    return f"{text} + {len(rules) - 3} more..." if more else text


def _ingress_address(obj: Obj) -> str:
    """``ingressLoadBalancerStatusStringer`` (the server prints wide: nothing clipped)."""
    found: set[str] = set()
    for ingress in _dicts(w.get(obj, "status", "loadBalancer", "ingress")):
        if ingress.get("ip"):
            found.add(str(ingress["ip"]))
        elif ingress.get("hostname"):
            found.add(str(ingress["hostname"]))
    return ",".join(sorted(found))


def _ingress_ports(obj: Obj) -> str:
    return "80, 443" if w.get(obj, "spec", "tls") else "80"


def _ingress_class_parameters(obj: Obj) -> str:
    params = w.get(obj, "spec", "parameters")
    if not isinstance(params, dict):
        return "<none>"
    text = _str(params.get("kind"))
    if params.get("apiGroup") is not None:
        text += "." + _str(params["apiGroup"])
    return text + "/" + _str(params.get("name"))


_INGRESS_COLUMNS = (
    Column("Class", "string", _ingress_class,
           description="The name of the IngressClass resource that should be used for additional configuration"),
    Column("Hosts", "string", _ingress_hosts,
           description="Hosts that incoming requests are matched against before the ingress rule"),
    Column("Address", "string", _ingress_address,
           description="Address is a list containing ingress points for the load-balancer"),
    Column("Ports", "string", _ingress_ports, description="Ports of TLS configurations that open"),
)
_INGRESS_CLASS_COLUMNS = (
    Column("Controller", "string", lambda o: _str(w.get(o, "spec", "controller")),
           description="Controller that is responsible for handling this class"),
    Column("Parameters", "string", _ingress_class_parameters,
           description="A reference to a resource with additional parameters"),
)
_NETWORK_POLICY_COLUMNS = (
    Column("Pod-Selector", "string", lambda o: w.format_selector(w.get(o, "spec", "podSelector")),
           description=description(_NET + "NetworkPolicySpec", "podSelector")),
)


def resources() -> list[Resource]:
    """networking.k8s.io/v1's Ingress, IngressClass and NetworkPolicy, freshly made."""
    group = "networking.k8s.io"
    return [
        declare(group, "v1", "Ingress", "ingresses", "ingress", True, IngressStrategy(),
                short_names=("ing",), subresources=frozenset({"status"}), columns=_INGRESS_COLUMNS),
        declare(group, "v1", "IngressClass", "ingressclasses", "ingressclass", False, IngressClassStrategy(),
                columns=_INGRESS_CLASS_COLUMNS),
        declare(group, "v1", "NetworkPolicy", "networkpolicies", "networkpolicy", True, NetworkPolicyStrategy(),
                short_names=("netpol",), columns=_NETWORK_POLICY_COLUMNS),
    ]
