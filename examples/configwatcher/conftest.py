"""Use setpoint's pytest plugin fixture (``setpoint_api``) in this example's tests."""

from setpoint.testing import setpoint_api

__all__ = ["setpoint_api"]
