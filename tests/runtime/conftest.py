"""Runtime tests run against the real embedded API server (``setpoint.testing``), never a mock of it."""

from setpoint.testing import setpoint_api

__all__ = ["setpoint_api"]
