"""Helpers of the fleet tests: member servers and the kubeconfig Secrets that name them."""

from __future__ import annotations

import base64
from typing import Any

import yaml

from setpoint.testing import ApiServer

__all__ = ["kubeconfig_secret", "member_kubeconfig"]

FLEET_LABEL = "setpoint.dev/fleet-member"


def member_kubeconfig(api: ApiServer, *, host: str = "127.0.0.1") -> bytes:
    """The kubeconfig of a member server, reached at ``host`` (``localhost`` is a new endpoint)."""
    config: dict[str, Any] = dict(api.control_plane.kubeconfig)
    url = api.url.replace("127.0.0.1", host)
    config["clusters"] = [{"name": "setpoint", "cluster": {**c["cluster"], "server": url}}
                          for c in config["clusters"]]  # type: ignore[attr-defined]
    return yaml.safe_dump(config).encode()


def kubeconfig_secret(name: str, kubeconfig: bytes, *, namespace: str = "fleet", capi: bool = False) -> dict[str, Any]:
    """A labelled Secret holding ``kubeconfig``: cluster-api's shape (``<name>-kubeconfig``, key ``value``)
    or the plain one (key ``kubeconfig``)."""
    data = base64.b64encode(kubeconfig).decode()
    labels = {FLEET_LABEL: "true"}
    if capi:
        labels["cluster.x-k8s.io/cluster-name"] = name
    return {"apiVersion": "v1", "kind": "Secret", "type": "cluster.x-k8s.io/secret" if capi else "Opaque",
            "metadata": {"name": f"{name}-kubeconfig" if capi else name, "namespace": namespace, "labels": labels},
            "data": {"value" if capi else "kubeconfig": data}}
