"""What kube-controller-manager's flags set for the built-in controllers: periods, grace
periods, tolerances -- and the clock they read, so tests can move time instead of waiting."""

from __future__ import annotations

from dataclasses import dataclass

from setpoint.apimachinery.clock import REAL_CLOCK, Clock


@dataclass
class ControllerOptions:
    """Settings of the built-in controllers (kube's defaults)."""

    #: The time the controllers go by.
    clock: Clock = REAL_CLOCK
    #: ``--node-monitor-period``: how often each node's health is looked at.
    node_monitor_period: float = 5.0
    #: ``--node-monitor-grace-period``: a node whose kubelet has not posted (Lease or Ready
    #: heartbeat) for this long is unreachable.
    node_monitor_grace_period: float = 40.0
    #: ``--node-startup-grace-period``: the same, for a node that never posted.
    node_startup_grace_period: float = 60.0
    #: How often a pending taint eviction is looked at again (kube's timed queue fires at the time).
    eviction_poll_period: float = 1.0
    #: ``--horizontal-pod-autoscaler-sync-period``.
    hpa_sync_period: float = 15.0
    #: ``--horizontal-pod-autoscaler-downscale-stabilization``.
    hpa_downscale_stabilization: float = 300.0
    #: ``--horizontal-pod-autoscaler-tolerance``.
    hpa_tolerance: float = 0.1
    #: ``--terminated-pod-gc-threshold``: terminated pods kept before the pod GC deletes the oldest (0: no limit).
    terminated_pod_gc_threshold: int = 12500
    #: kube-scheduler's ``podInitialBackoffSeconds``: the first retry of a pod that failed.
    scheduler_initial_backoff: float = 1.0
    #: kube-scheduler's ``podMaxBackoffSeconds``: retries back off up to this.
    scheduler_max_backoff: float = 10.0
