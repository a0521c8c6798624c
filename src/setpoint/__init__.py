"""setpoint: a Kubernetes-compatible API server and a level-based controller runtime."""

__version__ = "0.1.0"
