"""core/v1 Service and Node (kube's ``pkg/registry/core/service`` and ``.../node``).

Service defaults are ``SetDefaults_Service`` of ``pkg/apis/core/v1/defaults.go``
plus what the service REST storage allocates: a cluster IP from the service
CIDR (``10.96.0.0/12``, ``10.96.0.1`` kept for ``kubernetes``), ``clusterIPs``,
``ipFamilies`` and ``ipFamilyPolicy``.  Columns are ``printService`` and ``printNode``.
"""

from __future__ import annotations

import ipaddress
import random
from typing import Any

from setpoint.apimachinery.types import Obj
from setpoint.apiserver.builtin import workloads as w
from setpoint.apiserver.builtin.declare import declare, description, field
from setpoint.apiserver.encoding import errors
from setpoint.apiserver.endpoints.table import AGE_COLUMN, NAME_COLUMN
from setpoint.apiserver.registry.resources import Column, Resource, Strategy

_CORE = "io.k8s.api.core.v1."
#: kube-apiserver's default ``--service-cluster-ip-range``.
SERVICE_CIDR = ipaddress.IPv4Network("10.96.0.0/12")
_SERVICE_TYPES = ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"]
_PROTOCOLS = ["SCTP", "TCP", "UDP"]


class ServiceStrategy(Strategy):
    has_generation = False
    #: kube's service storage answers a DELETE with the deleted Service.
    return_deleted_object = True

    def __init__(self) -> None:
        self._random = random.Random()

    def _allocate_ip(self) -> str:
        """A random address of the service CIDR, as kube's allocator picks one.

        Not checked against the Services already stored: the range has a
        million addresses.
        """
        first = int(SERVICE_CIDR.network_address) + 2  # .0 is the network, .1 is `kubernetes`
        last = int(SERVICE_CIDR.broadcast_address) - 1
        return str(ipaddress.IPv4Address(self._random.randint(first, last)))

    @staticmethod
    def _default(obj: Obj) -> Obj:
        spec = obj.get("spec")
        if not isinstance(spec, dict):
            spec = obj["spec"] = {}
        spec.setdefault("sessionAffinity", "None")
        kind = spec.setdefault("type", "ClusterIP")
        for port in spec.get("ports") or []:
            if isinstance(port, dict):
                port.setdefault("protocol", "TCP")
                if port.get("targetPort") in (None, 0, ""):
                    port["targetPort"] = port.get("port")
        if kind in ("ClusterIP", "NodePort", "LoadBalancer"):
            spec.setdefault("internalTrafficPolicy", "Cluster")
        if kind in ("NodePort", "LoadBalancer"):
            spec.setdefault("externalTrafficPolicy", "Cluster")
        return spec

    def prepare_for_create(self, obj: Obj) -> None:
        spec = self._default(obj)
        obj["status"] = {"loadBalancer": {}}
        if spec.get("type") == "ExternalName":
            return
        ip = spec.get("clusterIP")
        if ip in (None, ""):
            ips = spec.get("clusterIPs")
            ip = ips[0] if isinstance(ips, list) and ips and isinstance(ips[0], str) and ips[0] else None
        if ip is None:
            ip = self._allocate_ip()
        spec["clusterIP"] = ip
        if not spec.get("clusterIPs"):
            spec["clusterIPs"] = [ip]
        spec.setdefault("ipFamilies", ["IPv4"])
        spec.setdefault("ipFamilyPolicy", "SingleStack")

    def prepare_for_update(self, obj: Obj, old: Obj) -> None:
        spec = self._default(obj)
        obj["status"] = old.get("status", {"loadBalancer": {}})
        old_spec = old.get("spec") or {}
        # patchAllocatedValues: what the server allocated stays when the update leaves it out.
        if spec.get("type") != "ExternalName" and old_spec.get("type") != "ExternalName":
            for key in ("clusterIP", "clusterIPs", "ipFamilies", "ipFamilyPolicy"):
                if spec.get(key) in (None, "", []) and key in old_spec:
                    spec[key] = old_spec[key]
        old_ports = {(p.get("port"), p.get("protocol")): p for p in old_spec.get("ports") or [] if isinstance(p, dict)}
        for port in spec.get("ports") or []:
            if isinstance(port, dict) and not port.get("nodePort"):
                prev = old_ports.get((port.get("port"), port.get("protocol")))
                if prev is not None and prev.get("nodePort"):
                    port["nodePort"] = prev["nodePort"]

    def validate(self, obj: Obj) -> list[errors.FieldError]:
        spec = obj.get("spec")
        if not isinstance(spec, dict):
            return [errors.required("spec", "")]
        out: list[errors.FieldError] = []
        kind = spec.get("type")
        if kind not in _SERVICE_TYPES:
            out.append(errors.not_supported("spec.type", kind, _SERVICE_TYPES))
        ports = spec.get("ports")
        headless = spec.get("clusterIP") == "None"
        if kind != "ExternalName" and not headless and not ports:
            out.append(errors.required("spec.ports", ""))
        names: set[str] = set()
        multiple = isinstance(ports, list) and len(ports) > 1
        for i, port in enumerate(ports if isinstance(ports, list) else ()):
            path = f"spec.ports[{i}]"
            if not isinstance(port, dict):
                continue
            name = port.get("name") or ""
            if multiple and not name:
                out.append(errors.required(f"{path}.name", ""))
            elif name:
                if name in names:
                    out.append(errors.duplicate(f"{path}.name", name))
                names.add(name)
            number = port.get("port")
            if not isinstance(number, int) or isinstance(number, bool) or not 1 <= number <= 65535:
                out.append(errors.invalid(f"{path}.port", number, "must be between 1 and 65535, inclusive"))
            if port.get("protocol") not in _PROTOCOLS:
                out.append(errors.not_supported(f"{path}.protocol", port.get("protocol"), _PROTOCOLS))
        if spec.get("sessionAffinity") not in ("ClientIP", "None"):
            out.append(errors.not_supported("spec.sessionAffinity", spec.get("sessionAffinity"), ["ClientIP", "None"]))
        return out

    def validate_update(self, obj: Obj, old: Obj) -> list[errors.FieldError]:
        out = self.validate(obj)
        new_spec, old_spec = obj.get("spec") or {}, old.get("spec") or {}
        old_ip = old_spec.get("clusterIP")
        if (old_ip and new_spec.get("type") != "ExternalName" and old_spec.get("type") != "ExternalName"
                and new_spec.get("clusterIP") != old_ip):
            out.append(errors.invalid("spec.clusterIPs[0]", new_spec.get("clusterIP"),
                                      "may not change once set"))
        return out


class NodeStrategy(Strategy):
    has_generation = False

    def spec_changed(self, obj: Obj, old: Obj) -> bool:
        return False


# --- columns ------------------------------------------------------------------------


def _service_external_ip(obj: Obj) -> str:
    """``getServiceExternalIP``."""
    spec = obj.get("spec") or {}
    kind = spec.get("type")
    external = [ip for ip in spec.get("externalIPs") or [] if isinstance(ip, str)]
    if kind in ("ClusterIP", "NodePort"):
        return ",".join(external) if external else "<none>"
    if kind == "LoadBalancer":
        ingress = w.get(obj, "status", "loadBalancer", "ingress")
        ips = [i.get("ip") or i.get("hostname") for i in ingress or [] if isinstance(i, dict)]
        found = [str(i) for i in ips if i] + external
        return ",".join(found) if found else "<pending>"
    if kind == "ExternalName":
        return str(spec.get("externalName", ""))
    return "<unknown>"


def _service_ports(obj: Obj) -> str:
    """``makePortString``: ``port[:nodePort]/protocol``, comma-joined, ``<none>`` for none."""
    out = []
    for p in w.get(obj, "spec", "ports") or []:
        if not isinstance(p, dict):
            continue
        text = str(p.get("port", 0))
        if p.get("nodePort"):
            text += f":{p['nodePort']}"
        out.append(f"{text}/{p.get('protocol', '')}")
    return ",".join(out) if out else "<none>"


def _service_selector(obj: Obj) -> str:
    """``labels.FormatLabels``: ``k=v`` sorted, ``<none>`` when empty."""
    selector = w.get(obj, "spec", "selector")
    if not isinstance(selector, dict) or not selector:
        return "<none>"
    return ",".join(f"{k}={v}" for k, v in sorted(selector.items()))


def _str(value: Any) -> str:
    return value if isinstance(value, str) else "" if value is None else str(value)


_SERVICE_COLUMNS = (
    NAME_COLUMN,
    Column("Type", "string", lambda o: _str(w.get(o, "spec", "type")),
           description=description(_CORE + "ServiceSpec", "type")),
    Column("Cluster-IP", "string", lambda o: _str(w.get(o, "spec", "clusterIP")) or "<none>",
           description=description(_CORE + "ServiceSpec", "clusterIP")),
    Column("External-IP", "string", _service_external_ip,
           description=description(_CORE + "ServiceSpec", "externalIPs")),
    Column("Port(s)", "string", _service_ports, description=description(_CORE + "ServiceSpec", "ports")),
    AGE_COLUMN,
    Column("Selector", "string", _service_selector, priority=1,
           description=description(_CORE + "ServiceSpec", "selector")),
)


def _node_status(obj: Obj) -> str:
    conditions = w.get(obj, "status", "conditions")
    status = "Unknown"
    for c in conditions if isinstance(conditions, list) else ():
        if isinstance(c, dict) and c.get("type") == "Ready":
            status = "Ready" if c.get("status") == "True" else "NotReady"
    if w.get(obj, "spec", "unschedulable"):
        status += ",SchedulingDisabled"
    return status


_ROLE_PREFIX = "node-role.kubernetes.io/"


def _node_roles(obj: Obj) -> str:
    """``findNodeRoles``: ``node-role.kubernetes.io/<role>`` and ``kubernetes.io/role`` labels."""
    labels = w.get(obj, "metadata", "labels")
    roles: set[str] = set()
    for k, v in (labels or {}).items() if isinstance(labels, dict) else ():
        if k.startswith(_ROLE_PREFIX) and k[len(_ROLE_PREFIX):]:
            roles.add(k[len(_ROLE_PREFIX):])
        elif k == "kubernetes.io/role" and v:
            roles.add(str(v))
    return ",".join(sorted(roles)) if roles else "<none>"


def _node_address(kind: str) -> Any:
    def cell(obj: Obj) -> str:
        for a in w.get(obj, "status", "addresses") or []:
            if isinstance(a, dict) and a.get("type") == kind:
                return _str(a.get("address"))
        return "<none>"
    return cell


def _node_info(key: str, unknown: str) -> Any:
    def cell(obj: Obj) -> str:
        return _str(w.get(obj, "status", "nodeInfo", key)) or unknown
    return cell


_NODE_COLUMNS = (
    NAME_COLUMN,
    Column("Status", "string", _node_status, description="The status of the node"),
    Column("Roles", "string", _node_roles, description="The roles of the node"),
    AGE_COLUMN,
    Column("Version", "string", _node_info("kubeletVersion", ""),
           description=description(_CORE + "NodeSystemInfo", "kubeletVersion")),
    Column("Internal-IP", "string", _node_address("InternalIP"), priority=1,
           description=description(_CORE + "NodeStatus", "addresses")),
    Column("External-IP", "string", _node_address("ExternalIP"), priority=1,
           description=description(_CORE + "NodeStatus", "addresses")),
    Column("OS-Image", "string", _node_info("osImage", "<unknown>"), priority=1,
           description=description(_CORE + "NodeSystemInfo", "osImage")),
    Column("Kernel-Version", "string", _node_info("kernelVersion", "<unknown>"), priority=1,
           description=description(_CORE + "NodeSystemInfo", "kernelVersion")),
    Column("Container-Runtime", "string", _node_info("containerRuntimeVersion", "<unknown>"), priority=1,
           description=description(_CORE + "NodeSystemInfo", "containerRuntimeVersion")),
)


def resources() -> list[Resource]:
    """core/v1 Service and Node, freshly made."""
    return [
        declare("", "v1", "Service", "services", "service", True, ServiceStrategy(),
                short_names=("svc",), categories=("all",), subresources=frozenset({"status"}),
                field_getters={"spec.clusterIP": field("spec", "clusterIP"), "spec.type": field("spec", "type")},
                columns=_SERVICE_COLUMNS),
        declare("", "v1", "Node", "nodes", "node", False, NodeStrategy(),
                short_names=("no",), subresources=frozenset({"status"}),
                field_getters={"spec.unschedulable": field("spec", "unschedulable")},
                columns=_NODE_COLUMNS),
    ]
