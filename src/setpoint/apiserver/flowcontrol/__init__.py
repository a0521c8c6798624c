"""API Priority and Fairness (kube's ``k8s.io/apiserver/pkg/util/flowcontrol``).

:mod:`.controller` (configuration and the request filter), :mod:`.rules` (FlowSchema
matching), :mod:`.queueset` (seats, shuffle-sharded fair queues), :mod:`.estimate` (seats per
request), :mod:`.bootstrap` (kube's default objects, ``bootstrap.json``), :mod:`.metrics`.
"""

from setpoint.apiserver.flowcontrol.controller import FlowControl

__all__ = ["FlowControl"]
