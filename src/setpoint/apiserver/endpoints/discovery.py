"""API discovery: ``/api``, ``/apis``, ``/api/v1``, ``/apis/<group>[/<version>]``.

Two forms, as kube-apiserver serves them:

* the unaggregated documents (``APIVersions``, ``APIGroupList``,
  ``APIGroup``, ``APIResourceList``), one request per group-version;
* aggregated discovery (``apidiscovery.k8s.io/v2 APIGroupDiscoveryList``)
  at ``/api`` and ``/apis`` when the client asks for it in ``Accept``
  (kubectl 1.37 sends ``application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json``),
  with an ETag and ``304 Not Modified`` on ``If-None-Match``.

Every document is built from the :class:`Registry` and rendered to bytes
once per ``registry.generation``.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import orjson

from setpoint.apimachinery.types import Obj
from setpoint.apiserver.encoding import errors
from setpoint.apiserver.http import Request, Response
from setpoint.apiserver.registry.resources import Registry, Resource

JSON = "application/json"
DISCOVERY_GROUP = "apidiscovery.k8s.io"
AGGREGATED_KIND = "APIGroupDiscoveryList"
#: Content-Type of aggregated discovery, by apidiscovery version.
AGGREGATED_CONTENT_TYPES = {
    "v2": f"{JSON};g={DISCOVERY_GROUP};v=v2;as={AGGREGATED_KIND}",
    "v2beta1": f"{JSON};g={DISCOVERY_GROUP};v=v2beta1;as={AGGREGATED_KIND}",
}
DEFAULT_SERVER_ADDRESS = "127.0.0.1:6443"
_MAX_RENDERED = 512

#: What to answer at /api or /apis: aggregated v2 or v2beta1, the unaggregated document, or 406.
Form = Literal["v2", "v2beta1", "legacy"]

#: kube-aggregator's GroupPriorityMinimum of the built-in groups; CRD groups get 1000.
GROUP_PRIORITY = {
    "apiregistration.k8s.io": 17700,
    "apps": 17800,
    "events.k8s.io": 17750,
    "authentication.k8s.io": 17700,
    "authorization.k8s.io": 17600,
    "autoscaling": 17500,
    "batch": 17400,
    "certificates.k8s.io": 17300,
    "networking.k8s.io": 17200,
    "policy": 17100,
    "rbac.authorization.k8s.io": 17000,
    "storage.k8s.io": 16800,
    "apiextensions.k8s.io": 16700,
    "admissionregistration.k8s.io": 16700,
    "scheduling.k8s.io": 16600,
    "coordination.k8s.io": 16500,
    "node.k8s.io": 16300,
    "discovery.k8s.io": 16200,
    "flowcontrol.apiserver.k8s.io": 16100,
    "internal.apiserver.k8s.io": 16000,
    "resource.k8s.io": 15900,
    # metrics-server's APIService.
    "metrics.k8s.io": 100,
}
CUSTOM_GROUP_PRIORITY = 1000

#: The verbs of a custom resource, in the order apiextensions-apiserver lists them.
CUSTOM_RESOURCE_VERBS = ("delete", "deletecollection", "get", "list", "patch", "create", "update", "watch")


@dataclass(frozen=True, slots=True)
class Subresource:
    """How a subresource shows in discovery: its verbs and the kind it answers with."""

    verbs: tuple[str, ...]
    #: (group, version, kind) of the response, or None for the parent's kind.
    kind: tuple[str, str, str] | None = None


SUBRESOURCES: dict[str, Subresource] = {
    "status": Subresource(("get", "patch", "update")),
    "scale": Subresource(("get", "patch", "update"), ("autoscaling", "v1", "Scale")),
    "finalize": Subresource(("update",)),
    "token": Subresource(("create",), ("authentication.k8s.io", "v1", "TokenRequest")),
    "binding": Subresource(("create",), ("", "v1", "Binding")),
    "eviction": Subresource(("create",), ("policy", "v1", "Eviction")),
    "log": Subresource(("get",), ("", "v1", "Pod")),
    "exec": Subresource(("create", "get"), ("", "v1", "PodExecOptions")),
    "attach": Subresource(("create", "get"), ("", "v1", "PodAttachOptions")),
    "portforward": Subresource(("create", "get"), ("", "v1", "PodPortForwardOptions")),
}
_DEFAULT_SUBRESOURCE = Subresource(("get", "patch", "update"))


# --- content negotiation -------------------------------------------------------


def _clauses(accept: str) -> list[tuple[float, int, str, dict[str, str]]]:
    out = []
    for index, clause in enumerate(accept.split(",")):
        pieces = [p.strip() for p in clause.split(";")]
        media = pieces[0].lower()
        if not media:
            continue
        params: dict[str, str] = {}
        q = 1.0
        for piece in pieces[1:]:
            key, sep, value = piece.partition("=")
            if not sep:
                continue
            key, value = key.strip().lower(), value.strip().strip('"')
            if key == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
            else:
                params[key] = value
        if q > 0:
            out.append((-q, index, media, params))
    out.sort(key=lambda c: (c[0], c[1]))
    return out


def negotiate(accept: str | None) -> Form | None:
    """Which discovery form answers a request to ``/api`` or ``/apis`` with this ``Accept``.

    The first acceptable clause (by ``q``, then order) wins, as in kube's
    negotiation: ``application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList``
    (or ``v2beta1``) selects aggregated discovery, plain JSON (or a wildcard)
    the unaggregated document. None means nothing offered is servable (406).
    """
    if not accept:
        return "legacy"
    for _, _, media, params in _clauses(accept):
        if media not in (JSON, "application/*", "*/*"):
            continue
        as_kind = params.get("as")
        if as_kind is None:
            if "g" in params or "v" in params:
                continue
            return "legacy"
        if as_kind == AGGREGATED_KIND and params.get("g") == DISCOVERY_GROUP:
            version = params.get("v")
            if version == "v2":
                return "v2"
            if version == "v2beta1":
                return "v2beta1"
    return None


# --- helpers --------------------------------------------------------------------

_KUBE_VERSION = re.compile(r"^v(\d+)(?:(alpha|beta)(\d+))?$")
_STABILITY = {None: 0, "beta": 1, "alpha": 2}


def version_sort_key(version: str) -> tuple[int, int, int, int, str]:
    """Sort key of kube's ``CompareKubeAwareVersionStrings``, most preferred first.

    GA before beta before alpha, higher major then higher minor first; versions
    not of the ``v<N>[alpha|beta<M>]`` form last, lexically.
    """
    m = _KUBE_VERSION.match(version)
    if m is None:
        return (1, 0, 0, 0, version)
    return (0, _STABILITY[m.group(2)], -int(m.group(1)), -int(m.group(3) or 0), "")


def storage_version_hash(group: str, version: str, kind: str) -> str:
    """kube's ``StorageVersionHash``: base64 of the first 8 bytes of sha256("group/version/kind")."""
    digest = hashlib.sha256(f"{group}/{version}/{kind}".encode()).digest()
    return base64.b64encode(digest[:8]).decode()


def _storage_hash(r: Resource) -> str:
    stored = r.storage_version or r.group_version
    group, sep, version = stored.rpartition("/")
    return storage_version_hash(group if sep else "", version, r.kind)


def _verbs(r: Resource) -> list[str]:
    if r.custom:
        order = {v: i for i, v in enumerate(CUSTOM_RESOURCE_VERBS)}
        return sorted(r.verbs, key=lambda v: (order.get(v, len(order)), v))
    return sorted(r.verbs)


def _subresource(name: str) -> Subresource:
    return SUBRESOURCES.get(name, _DEFAULT_SUBRESOURCE)


def _group_priority(group: str) -> int:
    return GROUP_PRIORITY.get(group, CUSTOM_GROUP_PRIORITY)


def _etag(body: bytes) -> str:
    return '"' + hashlib.sha512(body).hexdigest().upper() + '"'


@dataclass(frozen=True, slots=True)
class Rendered:
    """A discovery document rendered once: body, Content-Type, and (aggregated) ETag."""

    body: bytes
    content_type: str = JSON
    etag: str = ""


# --- the documents ---------------------------------------------------------------


class Discovery:
    """Discovery documents of a :class:`Registry`, cached per registry generation.

    ``server_address`` is what ``serverAddressByClientCIDRs`` advertises
    (``host:port``); when empty, the request's ``Host`` header is used.
    """

    def __init__(self, registry: Registry, server_address: str = "") -> None:
        self.registry = registry
        self.server_address = server_address
        self._generation = -1
        self._rendered: dict[tuple[str, ...], Rendered] = {}
        self._groups: dict[str, dict[str, list[Resource]]] = {}
        self._group_order: list[str] = []

    # -- the model: groups -> versions -> resources, ordered as kube orders them

    def _refresh(self) -> None:
        if self._generation == self.registry.generation:
            return
        by_group: dict[str, dict[str, list[Resource]]] = {}
        for r in self.registry.all():
            by_group.setdefault(r.group, {}).setdefault(r.version, []).append(r)
        ordered: dict[str, dict[str, list[Resource]]] = {}
        for group, versions in by_group.items():
            preferred = {v for v, rs in versions.items() if any(r.preferred for r in rs)}
            names = sorted(versions, key=lambda v: (v not in preferred, version_sort_key(v)))
            ordered[group] = {v: sorted(versions[v], key=lambda r: r.plural) for v in names}
        self._groups = ordered
        self._group_order = sorted((g for g in ordered if g), key=lambda g: (-_group_priority(g), g))
        self._rendered = {}
        self._generation = self.registry.generation

    def versions_of(self, group: str) -> list[str]:
        """The served versions of ``group``, preferred first."""
        self._refresh()
        return list(self._groups.get(group, {}))

    # -- unaggregated

    def api_versions(self, server_address: str) -> Obj:
        """``/api``: ``APIVersions`` (served without apiVersion, as kube strips it)."""
        return {
            "kind": "APIVersions",
            "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}],
        }

    def _api_group(self, group: str) -> Obj:
        versions = [{"groupVersion": f"{group}/{v}", "version": v} for v in self._groups[group]]
        return {"name": group, "versions": versions, "preferredVersion": versions[0]}

    def api_group_list(self) -> Obj:
        """``/apis``: ``APIGroupList`` of every named group, in kube's priority order."""
        self._refresh()
        return {
            "kind": "APIGroupList",
            "apiVersion": "v1",
            "groups": [self._api_group(g) for g in self._group_order],
        }

    def api_group(self, group: str) -> Obj | None:
        """``/apis/<group>``: ``APIGroup``, or None if the group is not served."""
        self._refresh()
        if not group or group not in self._groups:
            return None
        return {"kind": "APIGroup", "apiVersion": "v1", **self._api_group(group)}

    def api_resources(self, group: str, version: str) -> list[Obj] | None:
        """The ``APIResource`` entries of a group-version (subresources as ``<plural>/<sub>``)."""
        self._refresh()
        resources = self._groups.get(group, {}).get(version)
        if resources is None:
            return None
        out: list[Obj] = []
        for r in resources:
            entry: Obj = {
                "name": r.plural,
                "singularName": r.singular,
                "namespaced": r.namespaced,
                "kind": r.kind,
                "verbs": _verbs(r),
            }
            if r.short_names:
                entry["shortNames"] = list(r.short_names)
            if r.categories:
                entry["categories"] = list(r.categories)
            if not r.computed:  # only stored kinds have a storage version
                entry["storageVersionHash"] = _storage_hash(r)
            out.append(entry)
            for name in sorted(r.subresources):
                sub = _subresource(name)
                sub_entry: Obj = {
                    "name": f"{r.plural}/{name}",
                    "singularName": "",
                    "namespaced": r.namespaced,
                }
                if sub.kind is not None and (sub.kind[0], sub.kind[1]) != (r.group, r.version):
                    sub_entry["group"], sub_entry["version"] = sub.kind[0], sub.kind[1]
                sub_entry["kind"] = sub.kind[2] if sub.kind is not None else r.kind
                sub_entry["verbs"] = list(sub.verbs)
                out.append(sub_entry)
        out.sort(key=lambda e: str(e["name"]))
        return out

    def api_resource_list(self, group: str, version: str) -> Obj | None:
        """``/api/v1``, ``/apis/<group>/<version>``: ``APIResourceList``, or None if not served."""
        resources = self.api_resources(group, version)
        if resources is None:
            return None
        head: Obj = {"kind": "APIResourceList"}
        if group:
            head["apiVersion"] = "v1"  # kube strips it for the legacy group only
        head["groupVersion"] = f"{group}/{version}" if group else version
        head["resources"] = resources
        return head

    # -- aggregated

    def _resource_discovery(self, r: Resource) -> Obj:
        entry: Obj = {
            "resource": r.plural,
            # An aggregated server's APIResource names no group or version (ConvertGroupVersionIntoToDiscovery).
            "responseKind": {"group": "", "version": "", "kind": r.kind} if r.computed
            else {"group": r.group, "version": r.version, "kind": r.kind},
            "scope": "Namespaced" if r.namespaced else "Cluster",
            "singularResource": r.singular,
            "verbs": _verbs(r),
        }
        if r.short_names:
            entry["shortNames"] = list(r.short_names)
        if r.categories:
            entry["categories"] = list(r.categories)
        if r.subresources:
            subs = []
            for name in sorted(r.subresources):
                sub = _subresource(name)
                group, version, kind = sub.kind if sub.kind is not None else (r.group, r.version, r.kind)
                subs.append(
                    {
                        "subresource": name,
                        "responseKind": {"group": group, "version": version, "kind": kind},
                        "verbs": list(sub.verbs),
                    }
                )
            entry["subresources"] = subs
        return entry

    def _group_discovery(self, group: str) -> Obj:
        versions = [
            {
                "version": version,
                "resources": [self._resource_discovery(r) for r in resources],
                "freshness": "Current",
            }
            for version, resources in self._groups[group].items()
        ]
        return {"metadata": {"name": group} if group else {}, "versions": versions}

    def aggregated(self, legacy: bool, version: str = "v2") -> Obj:
        """``APIGroupDiscoveryList`` of the legacy group (``/api``) or of the named groups (``/apis``)."""
        self._refresh()
        if legacy:
            items = [self._group_discovery("")] if "" in self._groups else []
        else:
            items = [self._group_discovery(g) for g in self._group_order]
        return {
            "kind": AGGREGATED_KIND,
            "apiVersion": f"{DISCOVERY_GROUP}/{version}",
            "metadata": {},
            "items": items,
        }

    # -- rendered once per generation

    def _render(self, key: tuple[str, ...], build: Callable[[], Obj | None]) -> Rendered:
        self._refresh()
        rendered = self._rendered.get(key)
        if rendered is None:
            doc = build()
            if doc is None:
                raise _not_found()
            body = orjson.dumps(doc)
            if key[0] == "aggregated":
                rendered = Rendered(body, AGGREGATED_CONTENT_TYPES[key[2]], _etag(body))
            else:
                rendered = Rendered(body)
            self._rendered[key] = rendered
        return rendered

    def render_root(self, legacy: bool, form: Form, server_address: str = "") -> Rendered:
        """``/api`` (``legacy``) or ``/apis`` in ``form``."""
        if form != "legacy":
            which = "api" if legacy else "apis"
            return self._render(("aggregated", which, form), lambda: self.aggregated(legacy, form))
        if legacy:
            address = server_address or self.server_address or DEFAULT_SERVER_ADDRESS
            if len(self._rendered) > _MAX_RENDERED:  # one /api per Host header: keep that bounded
                self._rendered.clear()
            return self._render(("api", address), lambda: self.api_versions(address))
        return self._render(("apis",), self.api_group_list)

    def render_group(self, group: str) -> Rendered:
        """``/apis/<group>``; raises 404 if not served."""
        return self._render(("group", group), lambda: self.api_group(group))

    def render_resources(self, group: str, version: str) -> Rendered:
        """``/api/v1`` or ``/apis/<group>/<version>``; raises 404 if not served."""
        return self._render(("resources", group, version), lambda: self.api_resource_list(group, version))

    # -- HTTP

    def _address(self, request: Request) -> str:
        return self.server_address or request.headers.get("host", "") or DEFAULT_SERVER_ADDRESS

    def _root(self, request: Request, legacy: bool) -> Response:
        form = negotiate(request.headers.get("accept"))
        if form is None:
            raise errors.not_acceptable([JSON, AGGREGATED_CONTENT_TYPES["v2"]])
        rendered = self.render_root(legacy, form, self._address(request))
        if not rendered.etag:
            return Response(200, rendered.body, rendered.content_type)
        headers = [("ETag", rendered.etag), ("Vary", "Accept"), ("Cache-Control", "public")]
        if request.headers.get("if-none-match") == rendered.etag:
            return Response(304, b"", rendered.content_type, headers)
        return Response(200, rendered.body, rendered.content_type, headers)

    def legacy_root(self, request: Request) -> Response:
        """``GET /api``."""
        return self._root(request, legacy=True)

    def groups(self, request: Request) -> Response:
        """``GET /apis``."""
        return self._root(request, legacy=False)

    def group(self, request: Request, group: str) -> Response:
        """``GET /apis/<group>``."""
        rendered = self.render_group(group)
        return Response(200, rendered.body, rendered.content_type)

    def resources(self, request: Request, group: str, version: str) -> Response:
        """``GET /api/<version>`` (``group`` empty) or ``/apis/<group>/<version>``."""
        rendered = self.render_resources(group, version)
        return Response(200, rendered.body, rendered.content_type)


def _not_found() -> errors.StatusError:
    return errors.StatusError(404, "NotFound", "the server could not find the requested resource", details={})
