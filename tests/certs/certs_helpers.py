"""Helpers of the certificate tests: the controllers on a manager, objects, waiting, parsing."""

from __future__ import annotations

import base64
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from cryptography import x509

from setpoint.apimachinery.types import Obj
from setpoint.certs import CertOptions, install_crds, setup
from setpoint.certs.names import CERTIFICATE, CERTIFICATE_REQUEST, CLUSTER_ISSUER, ISSUER, SECRET
from setpoint.runtime import Client, Kind, Manager, errors
from setpoint.testing import eventually

EVENT = Kind("v1", "Event")
NAMESPACE = Kind("v1", "Namespace")

__all__ = ["CERTIFICATE", "CERTIFICATE_REQUEST", "CLUSTER_ISSUER", "EVENT", "ISSUER", "SECRET"]


@contextlib.asynccontextmanager
async def controllers(client: Client, **options: Any) -> AsyncIterator[Manager]:
    """The CRDs installed and the certificate controllers running (short back-off by default)."""
    await install_crds(client)
    opts = CertOptions(**{"backoff_initial": 0.5, "backoff_max": 2.0, **options})
    mgr = Manager(client)
    setup(mgr, opts)
    async with mgr.running():
        yield mgr


def issuer(name: str, namespace: str | None = "default", **spec: Any) -> Obj:
    meta: dict[str, Any] = {"name": name}
    if namespace:
        meta["namespace"] = namespace
    return {"apiVersion": "cert-manager.io/v1", "kind": "Issuer" if namespace else "ClusterIssuer",
            "metadata": meta, "spec": spec}


def certificate(name: str, namespace: str = "default", **spec: Any) -> Obj:
    spec.setdefault("secretName", f"{name}-tls")
    spec.setdefault("issuerRef", {"name": "selfsigned"})
    return {"apiVersion": "cert-manager.io/v1", "kind": "Certificate",
            "metadata": {"name": name, "namespace": namespace}, "spec": spec}


def condition(obj: Obj, type_: str) -> dict[str, Any]:
    for c in (obj.get("status") or {}).get("conditions") or ():
        if c["type"] == type_:
            return dict(c)
    return {}


async def ready(client: Client, kind: Kind, name: str, namespace: str | None = "default", *,
                timeout: float = 20.0, revision: int | None = None) -> Obj:
    """Wait until the object is Ready=True (and at ``revision``); answer it."""
    async def check() -> Obj | None:
        obj = await client.get(kind, name, namespace)
        if condition(obj, "Ready").get("status") != "True":
            return None
        if revision is not None and (obj.get("status") or {}).get("revision") != revision:
            return None
        return obj
    result: Obj = await eventually(check, timeout=timeout)
    return result


async def secret_of(client: Client, name: str, namespace: str = "default") -> Obj:
    return await client.get(SECRET, name, namespace)


def data(secret: Obj, key: str) -> bytes:
    return base64.b64decode(secret["data"][key])


def leaf(secret: Obj) -> x509.Certificate:
    return x509.load_pem_x509_certificates(data(secret, "tls.crt"))[0]


def chain(secret: Obj) -> list[x509.Certificate]:
    return x509.load_pem_x509_certificates(data(secret, "tls.crt"))


async def events(client: Client, namespace: str, name: str) -> list[Obj]:
    listing = await client.list(EVENT, namespace)
    return [e for e in listing["items"] if e["involvedObject"].get("name") == name]


async def has_event(client: Client, namespace: str, name: str, reason: str, fragment: str = "") -> Obj:
    async def check() -> Obj | None:
        for e in await events(client, namespace, name):
            if e["reason"] == reason and fragment in e["message"]:
                return e
        return None
    result: Obj = await eventually(check, timeout=20)
    return result


async def create_namespace(client: Client, name: str) -> None:
    with contextlib.suppress(errors.AlreadyExists):
        await client.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
