"""A small kopf operator (not setpoint's runtime) used to show setpoint.testing serving other frameworks.

It greets every ConfigMap labelled ``greet=yes`` by annotating it.
"""

from __future__ import annotations

import logging
from typing import Any

import kopf


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
