"""``metrics.k8s.io/v1beta1``: NodeMetrics and PodMetrics, as metrics-server serves them.

metrics-server answers from its listers and the usage it scraped; setpoint answers from the
watch caches of Pods, Nodes and the ``kube-system/setpoint-behaviors`` ConfigMap, with the
simulated usage of :mod:`setpoint.apimachinery.podusage` (the same the autoscaler reads).
As metrics-server (``pkg/api/pod.go``, ``node.go``, ``table.go``, ``filter.go``):

- a list selects pods or nodes by label, and by ``metadata.name``/``metadata.namespace``
  field selectors only; pods without metrics (not ``Running``) are left out; items are sorted
  by namespace and name and carry no ``kind``; the list metadata is empty;
- a get of an object that does not exist is the lister's 404 (``pods "x" not found``,
  ``node "x" not found``); of one without metrics ``podmetrics.metrics.k8s.io "ns/x" not
  found`` (``nodemetrics.metrics.k8s.io "x" not found``);
- each item has the object's name, namespace and labels, ``creationTimestamp`` now, a
  ``timestamp`` (now) and a ``window`` (:data:`WINDOW`, metrics-server's default resolution);
  cpu is a decimal quantity, memory a binary one;
- as a Table: ``Name``, one column per resource (``cpu``, ``memory``) and ``Window``; an
  empty list has no columns.

A node has metrics unless its ``Ready`` condition is ``False`` or ``Unknown`` (metrics-server
cannot scrape a kubelet that is down); its usage is its running pods' plus the system share.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from setpoint.apimachinery import podbehavior, podusage, quantity
from setpoint.apimachinery.clock import format_time
from setpoint.apimachinery.podbehavior import ImageRule
from setpoint.apimachinery.types import Obj
from setpoint.apiserver.builtin.metrics import GROUP, VERSION
from setpoint.apiserver.encoding import errors
from setpoint.apiserver.endpoints import table
from setpoint.apiserver.endpoints.handlers import Call, Output, json_response, negotiate
from setpoint.apiserver.http import Response
from setpoint.apiserver.registry.cacher import CachedObject
from setpoint.apiserver.registry.objectstore import ObjectStore
from setpoint.apiserver.registry.resources import Registry, Resource
from setpoint.apiserver.registry.selectors import selector_filter

__all__ = ["WINDOW", "ResourceMetrics"]

#: The window of every sample: metrics-server's default ``--metric-resolution``.
WINDOW = "15s"
API_VERSION = f"{GROUP}/{VERSION}"
#: At most this many pods' usages are kept between reads.
_MAX_CACHED = 200_000


def _cpu(milli: int) -> str:
    return quantity.canonical(Decimal(milli) / 1000)


def _memory(amount: int) -> str:
    return quantity.canonical(Decimal(amount), "BinarySI")


def _usage(cpu_milli: int, memory_bytes: int) -> dict[str, str]:
    return {"cpu": _cpu(cpu_milli), "memory": _memory(memory_bytes)}


def _not_ready(node: Obj) -> bool:
    for c in (node.get("status") or {}).get("conditions") or []:
        if isinstance(c, dict) and c.get("type") == "Ready":
            return c.get("status") != "True"
    return False


class ResourceMetrics:
    """The handlers of ``metrics.k8s.io`` over one server's registry and object store."""

    def __init__(self, registry: Registry, objects: ObjectStore, now: Callable[[], float] = time.time) -> None:
        self.registry = registry
        self.objects = objects
        self.now = now
        self._rules: tuple[int, list[ImageRule]] = (-1, [])
        #: Each pod's usage by its key, with the pod's revision and the rules' it was computed at.
        self._usages: dict[str, tuple[int, int, podusage.PodUsage | None]] = {}

    def handlers(self) -> dict[tuple[str, str, str], Callable[[ObjectStore, Call], Any]]:
        """(group, plural, verb) -> handler, for the server's dispatch."""
        return {(GROUP, "nodes", "get"): self.get_node, (GROUP, "nodes", "list"): self.list_nodes,
                (GROUP, "pods", "get"): self.get_pod, (GROUP, "pods", "list"): self.list_pods}

    # -- sources

    def _core(self, plural: str) -> Resource:
        r = self.registry.get("", "v1", plural)
        assert r is not None
        return r

    async def rules(self) -> list[ImageRule]:
        """The image rules of ``kube-system/setpoint-behaviors``, parsed once a revision (0: none)."""
        try:
            cobj = await self.objects.get(self._core("configmaps"), podbehavior.RULES_NAMESPACE,
                                          podbehavior.RULES_CONFIGMAP)
        except errors.StatusError as exc:
            if exc.code != 404:
                raise
            self._rules = (0, [])
            return []
        if cobj.revision != self._rules[0]:
            self._rules = (cobj.revision, podusage.rules_of(cobj.obj))
        return self._rules[1]

    def _usage(self, cobj: CachedObject) -> podusage.PodUsage | None:
        """The pod's usage, computed again only when the pod or the rules changed."""
        rules_revision, rules = self._rules
        cached = self._usages.get(cobj.key)
        if cached is not None and cached[0] == cobj.revision and cached[1] == rules_revision:
            return cached[2]
        usage = podusage.pod_usage(cobj.obj, rules)
        if len(self._usages) >= _MAX_CACHED:
            self._usages.clear()
        self._usages[cobj.key] = (cobj.revision, rules_revision, usage)
        return usage

    def _stamp(self) -> tuple[str, str]:
        now = format_time(datetime.fromtimestamp(self.now(), UTC))
        return now, now

    # -- objects

    def _pod_metrics(self, cobj: CachedObject, stamp: tuple[str, str]) -> Obj | None:
        usage = self._usage(cobj)
        if usage is None:
            return None
        meta = cobj.obj.get("metadata") or {}
        out_meta: Obj = {"name": meta.get("name", ""), "namespace": meta.get("namespace", ""),
                         "creationTimestamp": stamp[0]}
        if meta.get("labels"):
            out_meta["labels"] = meta["labels"]
        return {"metadata": out_meta, "timestamp": stamp[1], "window": WINDOW,
                "containers": [{"name": c.name, "usage": _usage(c.cpu_milli, c.memory_bytes)}
                               for c in usage.containers]}

    def _node_metrics(self, node: Obj, pods: list[CachedObject], stamp: tuple[str, str]) -> Obj | None:
        if _not_ready(node):
            return None
        usage = podusage.node_usage(self._usage(c) for c in pods)
        meta = node.get("metadata") or {}
        out_meta: Obj = {"name": meta.get("name", ""), "creationTimestamp": stamp[0]}
        if meta.get("labels"):
            out_meta["labels"] = meta["labels"]
        return {"metadata": out_meta, "timestamp": stamp[1], "window": WINDOW,
                "usage": _usage(usage.cpu_milli, usage.memory_bytes)}

    async def _pods_by_node(self) -> dict[str, list[CachedObject]]:
        listed = await self.objects.list(self._core("pods"), None)
        by_node: dict[str, list[CachedObject]] = {}
        for c in listed.items:
            node = (c.obj.get("spec") or {}).get("nodeName")
            if node:
                by_node.setdefault(node, []).append(c)
        # Forget the pods that are gone.
        live = {c.key for c in listed.items}
        self._usages = {k: v for k, v in self._usages.items() if k in live}
        return by_node

    # -- verbs

    async def get_pod(self, _objects: ObjectStore, call: Call) -> Response:
        out = negotiate(call.request)
        assert call.name is not None and call.namespace is not None
        pod = await self.objects.get(self._core("pods"), call.namespace, call.name)
        await self.rules()
        item = self._pod_metrics(pod, self._stamp())
        if item is None:
            raise errors.not_found("podmetrics", GROUP, f"{call.namespace}/{call.name}")
        return self._one(call, item, out)

    async def list_pods(self, _objects: ObjectStore, call: Call) -> Response:
        out = negotiate(call.request)
        matches = self._matcher(call)
        listed = await self.objects.list(self._core("pods"), call.namespace, matches)
        await self.rules()
        stamp = self._stamp()
        items = [m for c in listed.items if (m := self._pod_metrics(c, stamp)) is not None]
        items.sort(key=lambda m: (m["metadata"]["namespace"], m["metadata"]["name"]))
        return self._many(call, items, out)

    async def get_node(self, _objects: ObjectStore, call: Call) -> Response:
        out = negotiate(call.request)
        assert call.name is not None
        try:
            node = (await self.objects.get(self._core("nodes"), None, call.name)).obj
        except errors.StatusError as exc:
            if exc.code == 404:  # the typed node lister's NotFound
                raise errors.not_found("node", "", call.name) from None
            raise
        pods = (await self._pods_by_node()).get(call.name, [])
        await self.rules()
        item = self._node_metrics(node, pods, self._stamp())
        if item is None:
            raise errors.not_found("nodemetrics", GROUP, call.name)
        return self._one(call, item, out)

    async def list_nodes(self, _objects: ObjectStore, call: Call) -> Response:
        out = negotiate(call.request)
        matches = self._matcher(call)
        listed = await self.objects.list(self._core("nodes"), None, matches)
        by_node = await self._pods_by_node()
        await self.rules()
        stamp = self._stamp()
        items = [m for c in listed.items
                 if (m := self._node_metrics(c.obj, by_node.get(c.obj["metadata"]["name"], []), stamp)) is not None]
        items.sort(key=lambda m: m["metadata"]["name"])
        return self._many(call, items, out)

    # -- encoding

    @staticmethod
    def _matcher(call: Call) -> Any:
        # The metrics resource's field labels (metadata only), applied to the pods or nodes.
        return selector_filter(call.resource, call.request.query_one("labelSelector"),
                               call.request.query_one("fieldSelector"))

    @staticmethod
    def _one(call: Call, item: Obj, out: Output) -> Response:
        if out.table:
            return json_response(200, _table(call.resource, [item], out.include_object), out)
        return json_response(200, {"kind": call.resource.kind, "apiVersion": API_VERSION, **item}, out)

    @staticmethod
    def _many(call: Call, items: list[Obj], out: Output) -> Response:
        if out.table:
            return json_response(200, _table(call.resource, items, out.include_object), out)
        return json_response(200, {"kind": call.resource.list_kind, "apiVersion": API_VERSION, "metadata": {},
                                   "items": items}, out)


def _table(r: Resource, items: list[Obj], include_object: str) -> Obj:
    """metrics-server's ``addPodMetricsToTable``/``addNodeMetricsToTable``."""
    columns: list[Obj] | None = None
    rows: list[Obj] = []
    for item in items:
        if "containers" in item:
            usage: dict[str, Decimal] = {}
            for c in item["containers"]:
                for k, v in c["usage"].items():
                    usage[k] = usage.get(k, Decimal(0)) + quantity.value(v)
            cells = {k: quantity.canonical(v, "BinarySI" if k == "memory" else "DecimalSI") for k, v in usage.items()}
        else:
            cells = dict(item["usage"])
        names = sorted(cells)
        if columns is None:
            columns = [{"name": "Name", "type": "string", "format": "name", "description": "Name of the resource",
                        "priority": 0}]
            columns += [{"name": n, "type": "string", "format": "quantity", "description": "", "priority": 0}
                        for n in names]
            columns.append({"name": "Window", "type": "string", "format": "duration", "description": "",
                            "priority": 0})
        obj = {"kind": r.kind, "apiVersion": API_VERSION, **item}
        if include_object == "Object":
            row_object: Obj | None = obj
        elif include_object == "None":
            row_object = None
        else:
            row_object = table.partial_object_metadata(obj)
        rows.append({"cells": [item["metadata"]["name"], *(cells[n] for n in names), item["window"]],
                     "object": row_object})
    return {"kind": "Table", "apiVersion": table.TABLE_API_VERSION, "metadata": {},
            "columnDefinitions": columns, "rows": rows or None}
