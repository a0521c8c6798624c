"""The Issuer and ClusterIssuer controllers: a ``Ready`` condition saying whether the issuer can sign.

As cert-manager's ``pkg/issuer/ca`` and ``pkg/issuer/selfsigned`` setup: a self-signed issuer
is ready at once (``IsReady``); a CA issuer is ready when its Secret (in the issuer's namespace,
or the cluster resource namespace for a ClusterIssuer) holds a CA certificate and its matching
key (``KeyPairVerified``, "Signing CA verified"), else ``ErrGetKeyPair`` / ``ErrInvalidKeyPair``
with a Warning Event; a change of the Secret is seen at once and the issuer recovers. Other
issuer kinds (ACME, Vault, Venafi) are stored but not served: ``NotSupported``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from setpoint.certs import keypairs, pki
from setpoint.certs.names import (
    CLUSTER_ISSUER,
    ERR_GET_KEY_PAIR,
    ERR_INVALID_KEY_PAIR,
    IS_READY,
    ISSUER,
    KEY_PAIR_VERIFIED,
    NOT_SUPPORTED,
    READY,
    SECRET,
)
from setpoint.certs.options import CertOptions
from setpoint.runtime import conditions
from setpoint.runtime.builder import Builder
from setpoint.runtime.events import EventRecorder
from setpoint.runtime.manager import Manager
from setpoint.runtime.reconcile import Request, Result
from setpoint.runtime.resource import Kind
from setpoint.runtime.status import update_status

BY_SECRET = "ca-secret"


def secret_namespace(issuer: Mapping[str, Any], options: CertOptions) -> str:
    """Where an issuer's Secrets are read: its own namespace, or the cluster resource namespace."""
    return str(issuer["metadata"].get("namespace") or options.cluster_resource_namespace)


def readiness(issuer: Mapping[str, Any], secret: Mapping[str, Any] | None, namespace: str) -> tuple[str, str, str]:
    """``(status, reason, message)`` of the issuer's Ready condition."""
    spec = issuer.get("spec") or {}
    if "selfSigned" in spec:
        return conditions.TRUE, IS_READY, ""
    ca = spec.get("ca")
    if ca is None:
        kinds = [k for k in ("acme", "vault", "venafi") if k in spec] or ["none"]
        return (conditions.FALSE, NOT_SUPPORTED,
                f"setpoint signs with selfSigned and ca issuers only; this issuer is {', '.join(kinds)}")
    name = ca.get("secretName", "")
    if secret is None:
        return conditions.FALSE, ERR_GET_KEY_PAIR, f'Error getting keypair for CA issuer: secret "{name}" not found'
    try:
        keypairs.ca_key_pair(secret)
    except pki.InvalidData as e:
        reason = ERR_INVALID_KEY_PAIR if "does not match" in str(e) else ERR_GET_KEY_PAIR
        prefix = "Invalid signing key pair: " if reason == ERR_INVALID_KEY_PAIR else \
            "Error getting keypair for CA issuer: "
        return conditions.FALSE, reason, prefix + str(e)
    return conditions.TRUE, KEY_PAIR_VERIFIED, "Signing CA verified"


class IssuerReconciler:
    """Keeps one issuer kind's Ready condition."""

    def __init__(self, mgr: Manager, kind: Kind, recorder: EventRecorder, options: CertOptions) -> None:
        self.mgr = mgr
        self.kind = kind
        self.recorder = recorder
        self.options = options

    async def reconcile(self, req: Request) -> Result | None:
        issuer = self.mgr.cache.get(self.kind, req.name, req.namespace or None)
        if issuer is None:
            return None
        ns = secret_namespace(issuer, self.options)
        ca = (issuer.get("spec") or {}).get("ca") or {}
        secret = self.mgr.cache.get(SECRET, ca["secretName"], ns) if ca.get("secretName") else None
        status, reason, message = readiness(issuer, secret, ns)
        current = dict(issuer.get("status") or {})
        conds = [dict(c) for c in current.get("conditions") or ()]
        before = dict(conditions.get_condition(conds, READY) or {})
        changed = conditions.set_condition(conds, READY, status, reason, message,
                                           observed_generation=issuer["metadata"].get("generation"))
        if changed:
            await update_status(self.mgr.client, issuer, {**current, "conditions": conds})
            if before.get("reason") != reason or before.get("message") != message:
                if status == conditions.TRUE:
                    if reason == KEY_PAIR_VERIFIED:
                        await self.recorder.normal(issuer, reason, message)
                else:
                    await self.recorder.warning(issuer, reason, message)
        return None


def _ca_secret_key(options: CertOptions) -> Any:
    def index(issuer: Mapping[str, Any]) -> list[str]:
        name = ((issuer.get("spec") or {}).get("ca") or {}).get("secretName")
        return [f"{secret_namespace(issuer, options)}/{name}"] if name else []
    return index


def _issuers_of(mgr: Manager, kind: Kind) -> Any:
    def issuers_of(secret: Mapping[str, Any]) -> list[Request]:
        meta = secret["metadata"]
        return [Request.of(i) for i in mgr.cache.by_index(kind, BY_SECRET, f"{meta['namespace']}/{meta['name']}")]
    return issuers_of


def add_issuer_controllers(mgr: Manager, recorder: EventRecorder, options: CertOptions) -> None:
    """The Issuer and ClusterIssuer controllers, on ``mgr``."""
    index = _ca_secret_key(options)
    for kind, name in ((ISSUER, "issuers"), (CLUSTER_ISSUER, "clusterissuers")):
        mgr.cache.informer(kind, indexers={BY_SECRET: index})

        (Builder(mgr).named(f"certs-{name}").for_(kind).watches(SECRET, _issuers_of(mgr, kind))
         .with_options(max_concurrent_reconciles=options.workers)
         .complete(IssuerReconciler(mgr, kind, recorder, options)))
