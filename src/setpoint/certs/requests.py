"""The CertificateRequest controllers: the approver and the signer of setpoint's issuers.

* **approver** (cert-manager's internal approver): a request for an issuer of group
  ``cert-manager.io`` with neither ``Approved`` nor ``Denied`` gets ``Approved=True``
  (reason ``cert-manager.io``). Off with ``CertOptions(auto_approve=False)``: then a person
  approves or denies (``python -m setpoint.certs approve|deny``).
* **signer** (cert-manager's ``certificaterequests-issuer-ca`` and ``-selfsigned``): an approved
  request whose issuer is Ready is signed with the CA key of the issuer's Secret, or with the
  request's own private key (the Secret its ``cert-manager.io/private-key-secret-name``
  annotation names) for a self-signed issuer; ``status.certificate`` (leaf and chain),
  ``status.ca`` and ``Ready=True`` (``Issued``). Until it can: ``Ready=False`` ``Pending`` with
  cert-manager's messages and Events; a denied request is ``Failed`` for good (``Denied``).
  Issuers' changes wake their pending requests.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from setpoint.apimachinery.clock import format_time, parse_duration
from setpoint.apimachinery.types import Obj
from setpoint.certs import keypairs, pki
from setpoint.certs.issuers import secret_namespace
from setpoint.certs.names import (
    APPROVED,
    APPROVED_MESSAGE,
    APPROVER,
    CERTIFICATE_REQUEST,
    CLUSTER_ISSUER,
    DENIED,
    GROUP,
    INVALID_REQUEST,
    ISSUED_MESSAGE,
    ISSUER,
    PRIVATE_KEY_SECRET_NAME,
    READY,
    REASON_DENIED,
    REASON_FAILED,
    REASON_ISSUED,
    REASON_PENDING,
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

#: cert-manager's default certificate duration (90 days).
DEFAULT_DURATION = 2160 * 3600.0
BY_ISSUER = "issuer"


def issuer_kind(ref: Mapping[str, Any]) -> Kind | None:
    """The issuer kind an ``issuerRef`` names, or None when it is not one of cert-manager.io's."""
    if (ref.get("group") or GROUP) != GROUP:
        return None
    kind = ref.get("kind") or "Issuer"
    return {"Issuer": ISSUER, "ClusterIssuer": CLUSTER_ISSUER}.get(kind)


def issuer_key(ref: Mapping[str, Any], namespace: str) -> str:
    """An index key for the issuer a reference names (``Issuer/ns/name`` or ``ClusterIssuer/name``)."""
    kind = issuer_kind(ref)
    if kind is CLUSTER_ISSUER:
        return f"ClusterIssuer/{ref.get('name')}"
    return f"Issuer/{namespace}/{ref.get('name')}"


def final(cr: Obj) -> bool:
    """Whether a request has ended (issued, failed or denied): nothing changes it any more."""
    conds = (cr.get("status") or {}).get("conditions")
    ready = conditions.get_condition(conds, READY)
    if ready is not None and (ready.get("status") == conditions.TRUE
                              or ready.get("reason") in (REASON_FAILED, REASON_DENIED)):
        return True
    return conditions.is_true(conds, INVALID_REQUEST)


class Approver:
    """Approves the requests of cert-manager.io issuers."""

    def __init__(self, mgr: Manager, recorder: EventRecorder) -> None:
        self.mgr = mgr
        self.recorder = recorder

    async def reconcile(self, req: Request) -> Result | None:
        cr = self.mgr.cache.get(CERTIFICATE_REQUEST, req.name, req.namespace)
        if cr is None or issuer_kind(cr["spec"].get("issuerRef") or {}) is None:
            return None
        status = dict(cr.get("status") or {})
        conds = [dict(c) for c in status.get("conditions") or ()]
        if conditions.get_condition(conds, APPROVED) or conditions.get_condition(conds, DENIED):
            return None
        conditions.set_condition(conds, APPROVED, conditions.TRUE, APPROVER, APPROVED_MESSAGE)
        await update_status(self.mgr.client, cr, {**status, "conditions": conds}, optimistic=True)
        await self.recorder.normal(cr, APPROVER, APPROVED_MESSAGE)
        return None


class Signer:
    """Signs approved requests for selfSigned and ca issuers."""

    def __init__(self, mgr: Manager, recorder: EventRecorder, options: CertOptions) -> None:
        self.mgr = mgr
        self.recorder = recorder
        self.options = options

    async def reconcile(self, req: Request) -> Result | None:
        cr = self.mgr.cache.get(CERTIFICATE_REQUEST, req.name, req.namespace)
        if cr is None or final(cr):
            return None
        ref = cr["spec"].get("issuerRef") or {}
        kind = issuer_kind(ref)
        if kind is None:
            return None  # another issuer's request
        conds = (cr.get("status") or {}).get("conditions")
        if conditions.is_true(conds, DENIED):
            await self._set(cr, conditions.FALSE, REASON_DENIED, "The CertificateRequest was denied by an approval "
                            "controller", failed=True)
            return None
        if not conditions.is_true(conds, APPROVED):
            await self.recorder.normal(cr, "WaitingForApproval", "Not signing CertificateRequest until it is Approved")
            return None
        issuer = self.mgr.cache.get(kind, ref.get("name", ""), None if kind is CLUSTER_ISSUER else req.namespace)
        if issuer is None:
            group = f"{kind.kind.lower()}.{GROUP}"
            await self._pending(cr, "IssuerNotFound", f'Referenced "{kind.kind}" not found: {group} '
                                f'"{ref.get("name")}" not found')
            return None
        spec = issuer.get("spec") or {}
        if "selfSigned" not in spec and "ca" not in spec:
            return None  # an issuer kind setpoint does not sign for
        if not conditions.is_true((issuer.get("status") or {}).get("conditions"), READY):
            await self._pending(cr, "IssuerNotReady", "Referenced issuer does not have a Ready status condition")
            return None
        try:
            duration = parse_duration(cr["spec"]["duration"]) if cr["spec"].get("duration") else DEFAULT_DURATION
        except ValueError as e:
            await self._fail(cr, "ErrorParsingDuration", f"Failed to parse requested duration: {e}")
            return None
        csr = keypairs.secret_bytes({"data": {"r": cr["spec"].get("request")}}, "r")
        if "selfSigned" in spec:
            signed = await self._self_signed(cr, spec["selfSigned"] or {}, csr, duration)
        else:
            signed = await self._ca(cr, issuer, spec["ca"], csr, duration)
        if signed is None:
            return None
        chain, ca = signed
        status = dict(cr.get("status") or {})
        status["certificate"] = keypairs.b64(chain)
        status["ca"] = keypairs.b64(ca)
        c = [dict(x) for x in status.get("conditions") or ()]
        conditions.set_condition(c, READY, conditions.TRUE, REASON_ISSUED, ISSUED_MESSAGE)
        await update_status(self.mgr.client, cr, {**status, "conditions": c}, optimistic=True)
        await self.recorder.normal(cr, "CertificateIssued", ISSUED_MESSAGE)
        return None

    async def _self_signed(self, cr: Obj, issuer_spec: Mapping[str, Any], csr: bytes,
                           duration: float) -> tuple[bytes, bytes] | None:
        ns = cr["metadata"]["namespace"]
        name = (cr["metadata"].get("annotations") or {}).get(PRIVATE_KEY_SECRET_NAME)
        if not name:
            await self._fail(cr, "ErrorAnnotation", f'Annotation "{PRIVATE_KEY_SECRET_NAME}" missing or reference '
                             "empty: secret name missing")
            return None
        secret = self.mgr.cache.get(SECRET, name, ns)
        if secret is None:
            await self._pending(cr, "MissingSecret", f"Referenced secret {ns}/{name} not found")
            return None
        try:
            key = pki.load_key(keypairs.secret_bytes(secret, "tls.key"))
            cert = pki.sign(csr, cr["spec"], key, None, now=self.options.clock.now(), duration=duration,
                            crl_distribution_points=issuer_spec.get("crlDistributionPoints") or ())
        except (pki.InvalidData, ValueError) as e:
            await self._fail(cr, "ErrorSigning", f"Error signing certificate: {e}")
            return None
        return pki.pem(cert), pki.pem(cert)

    async def _ca(self, cr: Obj, issuer: Mapping[str, Any], ca_spec: Mapping[str, Any], csr: bytes,
                  duration: float) -> tuple[bytes, bytes] | None:
        ns = secret_namespace(issuer, self.options)
        name = ca_spec.get("secretName", "")
        secret = self.mgr.cache.get(SECRET, name, ns)
        if secret is None:
            await self._pending(cr, "MissingSecret", f"Referenced secret {ns}/{name} not found")
            return None
        try:
            chain, key = keypairs.ca_key_pair(secret)
        except pki.InvalidData as e:
            await self._pending(cr, "ErrorParsingSecret",
                                f"Failed to parse signing CA keypair from secret {ns}/{name}: {e}")
            return None
        try:
            pki.load_csr(csr)
        except pki.InvalidData as e:
            await self._fail(cr, "ErrorSigning", f"Error generating certificate template: {e}")
            return None
        try:
            cert = pki.sign(csr, cr["spec"], key, chain[0], now=self.options.clock.now(), duration=duration,
                            crl_distribution_points=ca_spec.get("crlDistributionPoints") or (),
                            ocsp_servers=ca_spec.get("ocspServers") or (),
                            issuing_certificate_urls=ca_spec.get("issuingCertificateURLs") or ())
        except (pki.InvalidData, ValueError) as e:
            await self._fail(cr, "ErrorSigning", f"Error signing certificate: {e}")
            return None
        # As cert-manager: the leaf and the CA's chain in tls.crt; ca.crt the chain's root (or the
        # Secret's own ca.crt when the chain does not end in a self-signed root).
        root = keypairs.secret_bytes(secret, "ca.crt")
        last = chain[-1]
        if last.issuer == last.subject or not root:
            root = pki.pem(last)
        return pki.pem(cert) + b"".join(pki.pem(c) for c in chain), root

    async def _pending(self, cr: Obj, event: str, message: str) -> None:
        if await self._set(cr, conditions.FALSE, REASON_PENDING, message):
            await self.recorder.warning(cr, event, message)

    async def _fail(self, cr: Obj, event: str, message: str) -> None:
        await self._set(cr, conditions.FALSE, REASON_FAILED, message, failed=True)
        await self.recorder.warning(cr, event, message)

    async def _set(self, cr: Obj, status_: str, reason: str, message: str, *,
                   failed: bool = False) -> bool:
        status = dict(cr.get("status") or {})
        c = [dict(x) for x in status.get("conditions") or ()]
        changed = conditions.set_condition(c, READY, status_, reason, message)
        if failed and not status.get("failureTime"):
            status["failureTime"] = format_time(self.options.clock.now())
            changed = True
        if changed:
            await update_status(self.mgr.client, cr, {**status, "conditions": c}, optimistic=True)
        return changed


def _requests_of(mgr: Manager, kind: Kind) -> Any:
    def requests_of(issuer: Mapping[str, Any]) -> list[Request]:
        meta = issuer["metadata"]
        key = f"ClusterIssuer/{meta['name']}" if kind is CLUSTER_ISSUER else f"Issuer/{meta['namespace']}/{meta['name']}"
        return [Request.of(cr) for cr in mgr.cache.by_index(CERTIFICATE_REQUEST, BY_ISSUER, key) if not final(cr)]
    return requests_of


def _index(cr: Obj) -> list[str]:
    return [issuer_key(cr["spec"].get("issuerRef") or {}, cr["metadata"].get("namespace", ""))]


def add_request_controllers(mgr: Manager, recorder: EventRecorder, options: CertOptions) -> None:
    """The approver (unless ``options.auto_approve`` is off) and the signer, on ``mgr``."""
    mgr.cache.informer(CERTIFICATE_REQUEST, indexers={BY_ISSUER: _index})
    if options.auto_approve:
        (Builder(mgr).named("certs-approver").for_(CERTIFICATE_REQUEST)
         .with_options(max_concurrent_reconciles=options.workers).complete(Approver(mgr, recorder)))
    (Builder(mgr).named("certs-signer").for_(CERTIFICATE_REQUEST)
     .watches(ISSUER, _requests_of(mgr, ISSUER)).watches(CLUSTER_ISSUER, _requests_of(mgr, CLUSTER_ISSUER))
     .with_options(max_concurrent_reconciles=options.workers).complete(Signer(mgr, recorder, options)))
