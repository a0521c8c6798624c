"""Simulated pods: each bound pod played out from its declared behaviour."""

from __future__ import annotations

from setpoint.controllers.inprocess import InProcessClient
from setpoint.controllers.options import ControllerOptions
from setpoint.runtime.manager import Manager


def add_kubelet(manager: Manager, client: InProcessClient, options: ControllerOptions) -> None:
    """Run the pods bound to the cluster's nodes."""
