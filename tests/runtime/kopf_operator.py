"""A small kopf operator (not setpoint's runtime) used to show setpoint.testing serving other frameworks.

It greets every ConfigMap labelled ``greet=yes`` by annotating it, and gives every
ConfigMap labelled ``parent=yes`` an adopted child ConfigMap (``kopf.adopt``), which the
garbage collector deletes with its parent.
"""

from __future__ import annotations

import logging
import os
from typing import Any

import kopf
import kubernetes


@kopf.on.login()
def login(**kwargs: Any) -> kopf.ConnectionInfo | None:
    """In a pod, the service account; elsewhere, $KUBECONFIG (read when the operator starts)."""
    return kopf.login_with_service_account(**kwargs) or kopf.login_with_kubeconfig(**kwargs)


@kopf.on.startup()
def configure(settings: kopf.OperatorSettings, **_: Any) -> None:
    # kopf >= 1.45 posts log messages (e.g. "Handler 'greet' succeeded.") as k8s Events only
    # with posting.loggers=True (default False, on any cluster); kopf.event()/info() always post.
    settings.posting.loggers = True
    settings.posting.level = logging.INFO
    settings.watching.server_timeout = 30
    settings.networking.request_timeout = 10


@kopf.on.create("v1", "configmaps", labels={"greet": "yes"})
def greet(name: str, patch: kopf.Patch, **_: Any) -> None:
    patch.metadata.annotations["greeting"] = f"hello, {name}"


@kopf.on.create("v1", "configmaps", labels={"parent": "yes"})
def make_child(name: str, namespace: str, **_: Any) -> None:
    child: dict[str, Any] = {"apiVersion": "v1", "kind": "ConfigMap",
                             "metadata": {"name": f"{name}-child"}, "data": {"parent": name}}
    kopf.adopt(child)
    kubernetes.config.load_kube_config(config_file=os.environ["KUBECONFIG"])
    with kubernetes.client.ApiClient() as api:
        kubernetes.client.CoreV1Api(api).create_namespaced_config_map(namespace, child)
