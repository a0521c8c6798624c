"""metrics.k8s.io/v1beta1 NodeMetrics and PodMetrics, as metrics-server declares them.

On a cluster these come from metrics-server behind kube-aggregator (its APIService has
``groupPriorityMinimum: 100``); setpoint serves them itself, computed on each read
(:mod:`setpoint.apiserver.endpoints.resourcemetrics`). In discovery they look as
metrics-server's installer lists them: ``nodes`` and ``pods``, verbs ``get`` and ``list``,
an empty singular name, no storage version hash. The schemas are ``k8s.io/metrics``'s types.
"""

from __future__ import annotations

from setpoint.apimachinery.types import Obj
from setpoint.apiserver.builtin import definitions
from setpoint.apiserver.registry.resources import Resource

__all__ = ["GROUP", "VERSION", "resources"]

GROUP = "metrics.k8s.io"
VERSION = "v1beta1"

_QUANTITY = definitions.DEFINITIONS["io.k8s.apimachinery.pkg.api.resource.Quantity"]
_TIMES: Obj = {
    "timestamp": {**definitions.DEFINITIONS[definitions.TIME],
                  "description": "The following fields define time interval from which metrics were collected "
                                 "from the interval [Timestamp-Window, Timestamp]."},
    "window": {"type": "string"},
}
_USAGE: Obj = {"type": "object", "additionalProperties": _QUANTITY,
               "description": "The memory usage is the memory working set."}

NODE_METRICS_SCHEMA: Obj = {
    "description": "NodeMetrics sets resource usage metrics of a node.",
    "type": "object",
    "required": ["timestamp", "window", "usage"],
    "properties": {**_TIMES, "usage": _USAGE},
}
POD_METRICS_SCHEMA: Obj = {
    "description": "PodMetrics sets resource usage metrics of a pod.",
    "type": "object",
    "required": ["timestamp", "window", "containers"],
    "properties": {**_TIMES, "containers": {
        "description": "Metrics for all containers are collected within the same time window.",
        "type": "array",
        "x-kubernetes-list-type": "atomic",
        "items": {"description": "ContainerMetrics sets resource usage metrics of a container.",
                  "type": "object", "required": ["name", "usage"],
                  "properties": {"name": {"description": "Container name corresponding to the one from pod.spec.containers.",
                                          "type": "string"},
                                 "usage": _USAGE}}}},
}


def resources() -> list[Resource]:
    """NodeMetrics (``nodes``, cluster-scoped) and PodMetrics (``pods``)."""
    return [
        Resource(GROUP, VERSION, "NodeMetrics", "nodes", "", False, verbs=("get", "list"),
                 schema=NODE_METRICS_SCHEMA, computed=True),
        Resource(GROUP, VERSION, "PodMetrics", "pods", "", True, verbs=("get", "list"),
                 schema=POD_METRICS_SCHEMA, computed=True),
    ]
