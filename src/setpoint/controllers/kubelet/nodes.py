"""Simulated nodes: registration, status and Lease heartbeats."""

from __future__ import annotations

from setpoint.controllers.inprocess import InProcessClient
from setpoint.controllers.options import ControllerOptions
from setpoint.runtime.manager import Manager


def add_node_agent(manager: Manager, client: InProcessClient, options: ControllerOptions, *, count: int) -> None:
    """Register ``count`` simulated nodes and keep every Node of the cluster alive."""
