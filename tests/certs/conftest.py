"""Certificate controller tests run against the real embedded API server (``setpoint.testing``)."""

from setpoint.testing import setpoint_api

__all__ = ["setpoint_api"]
