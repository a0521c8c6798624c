"""setpoint: a Kubernetes-compatible API server and a level-based controller runtime."""

from setpoint import native as _native

__version__ = "0.1.0"

#: Whether the hot modules run compiled (:mod:`setpoint.native`).
COMPILED = _native.guard()
