"""The Certificate controller: a Certificate's Secret kept issued, valid, matching and renewed.

One level-based reconcile does what cert-manager's trigger, key manager, request manager,
issuing and readiness controllers do between them:

1. **Does the Secret need a (new) certificate?** cert-manager's policy chain, in its order and
   words: ``DoesNotExist``, ``MissingData``, ``InvalidKeyPair``, ``InvalidCertificate``,
   ``IncorrectIssuer``, ``RequestChanged`` (names, subject, isCA, duration or usages changed),
   ``SecretMismatch`` (key algorithm or size changed), ``Expired``, ``Renewing`` (at
   ``status.renewalTime``); or a manual ``Issuing`` condition (``renew``). If so, ``Issuing=True`` and an ``Issuing`` Event.
2. **Private key**: a temporary Secret ``<cert>-<random>`` labelled
   ``cert-manager.io/next-private-key`` (``status.nextPrivateKeySecretName``); with
   ``rotationPolicy: Never`` the Secret's current key is reused.
3. **CertificateRequest** ``<cert>-<random>`` for revision ``status.revision + 1`` with the CSR;
   one that no longer matches the spec is replaced.
4. **Issued**: the ``kubernetes.io/tls`` Secret gets ``tls.crt`` (leaf and chain), ``tls.key``,
   ``ca.crt``, cert-manager's annotations, ``secretTemplate`` and additional outputs; the status
   gets the revision, ``notBefore``, ``notAfter``, ``renewalTime`` and ``Ready=True``; the
   reconcile comes back at the renewal time (``requeue_after``). Old requests beyond
   ``revisionHistoryLimit`` (default 1) are deleted.
5. **Failed or denied**: ``Issuing=False`` (``Failed``), ``failedIssuanceAttempts`` + 1,
   ``lastFailureTime``, a Warning Event; the next attempt waits 1 h doubling to 32 h
   (:class:`~setpoint.certs.options.CertOptions`).

The Secret, the key Secret and the requests all wake the Certificate when they change, so a
deleted or edited Secret is put right at once.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from setpoint.apimachinery.clock import format_time, parse_duration, parse_time
from setpoint.apimachinery.types import Obj
from setpoint.certs import keypairs, pki
from setpoint.certs.names import (
    ALT_NAMES,
    CA_CERT,
    CERTIFICATE,
    CERTIFICATE_NAME,
    CERTIFICATE_REQUEST,
    CERTIFICATE_REVISION,
    COMMON_NAME,
    DOES_NOT_EXIST,
    EMAIL_SANS,
    EXPIRED,
    GROUP,
    INCORRECT_ISSUER,
    INVALID_CERTIFICATE,
    INVALID_KEY_PAIR,
    IP_SANS,
    ISSUER_GROUP,
    ISSUER_KIND,
    ISSUER_NAME,
    ISSUING,
    MISSING_DATA,
    NEXT_PRIVATE_KEY,
    PRIVATE_KEY_SECRET_NAME,
    READY,
    READY_MESSAGE,
    REASON_DENIED,
    RENEWING,
    REQUEST_CHANGED,
    SECRET,
    SECRET_FAO_LABEL,
    SECRET_MISMATCH,
    SUBJECT_ORGANIZATIONS,
    TLS_CERT,
    TLS_KEY,
    URI_SANS,
)
from setpoint.certs.options import CertOptions, backoff_delay
from setpoint.certs.requests import DEFAULT_DURATION, final
from setpoint.runtime import conditions, errors
from setpoint.runtime.builder import Builder
from setpoint.runtime.events import EventRecorder
from setpoint.runtime.manager import Manager
from setpoint.runtime.objects import mutable, owner_reference
from setpoint.runtime.reconcile import Request, Result
from setpoint.runtime.status import update_status

BY_SECRET = "secret"
BY_OWNER = "owner"
#: The Secret keys the additional outputs and keystores write (removed when no longer asked for).
OPTIONAL_KEYS = ("tls-combined.pem", "key.der", "keystore.p12", "truststore.p12")


def duration_of(spec: Mapping[str, Any]) -> float:
    return parse_duration(spec["duration"]) if spec.get("duration") else DEFAULT_DURATION


def go_duration(seconds: float) -> str:
    """Go's ``time.Duration.String`` for whole seconds (``2160h0m0s``)."""
    s = int(seconds)
    if s == 0:
        return "0s"
    h, rest = divmod(s, 3600)
    m, sec = divmod(rest, 60)
    if h:
        return f"{h}h{m}m{sec}s"
    if m:
        return f"{m}m{sec}s"
    return f"{sec}s"


def renewal_time(not_before: datetime, not_after: datetime, spec: Mapping[str, Any]) -> datetime:
    """cert-manager's ``RenewalTime``: ``renewBefore`` before expiry when it is shorter than the lifetime,
    else ``renewBeforePercentage`` (0-100) of the lifetime, else a third of it; to the second."""
    lifetime = (not_after - not_before).total_seconds()
    before = lifetime / 3
    renew_before = parse_duration(spec["renewBefore"]) if spec.get("renewBefore") else 0.0
    percentage = spec.get("renewBeforePercentage")
    if 0 < renew_before < lifetime:
        before = renew_before
    elif percentage is not None and 0 < int(percentage) < 100:
        before = lifetime * int(percentage) / 100
    return (not_after - timedelta(seconds=before)).replace(microsecond=0)


def issuer_ref(spec: Mapping[str, Any]) -> tuple[str, str, str]:
    ref = spec.get("issuerRef") or {}
    return ref.get("name", ""), ref.get("kind") or "Issuer", ref.get("group") or GROUP


def secret_annotations(cert: Obj, leaf: x509.Certificate | None) -> dict[str, str]:
    """cert-manager's annotations on a Certificate's Secret (``AnnotationsForCertificate``)."""
    spec = cert["spec"]
    name, kind, group = issuer_ref(spec)
    out = {CERTIFICATE_NAME: cert["metadata"]["name"], ISSUER_NAME: name, ISSUER_KIND: kind, ISSUER_GROUP: group}
    if leaf is not None:
        names = pki.cert_names(leaf)
        out[COMMON_NAME] = names["commonName"][0] if names["commonName"] else ""
        out[ALT_NAMES] = ",".join(names["dnsNames"])
        out[IP_SANS] = ",".join(names["ipAddresses"])
        out[URI_SANS] = ",".join(names["uris"])
        out[EMAIL_SANS] = ",".join(names["emailAddresses"])
        for key, oid in SUBJECT_ANNOTATIONS:
            out[key] = _csv([str(a.value) for a in leaf.subject.get_attributes_for_oid(oid)])
    return out


#: cert-manager's ``cert-manager.io/subject-*`` annotations and the name attributes they list.
SUBJECT_ANNOTATIONS = (
    (SUBJECT_ORGANIZATIONS, x509.NameOID.ORGANIZATION_NAME),
    ("cert-manager.io/subject-organizationalunits", x509.NameOID.ORGANIZATIONAL_UNIT_NAME),
    ("cert-manager.io/subject-countries", x509.NameOID.COUNTRY_NAME),
    ("cert-manager.io/subject-provinces", x509.NameOID.STATE_OR_PROVINCE_NAME),
    ("cert-manager.io/subject-localities", x509.NameOID.LOCALITY_NAME),
    ("cert-manager.io/subject-postalcodes", x509.NameOID.POSTAL_CODE),
    ("cert-manager.io/subject-streetaddresses", x509.NameOID.STREET_ADDRESS),
)


def _csv(values: list[str]) -> str:
    """Values joined as cert-manager's ``joinWithEscapeCSV``: a CSV record (quoted where needed)."""
    return ",".join(f'"{v.replace(chr(34), chr(34) * 2)}"' if any(c in v for c in ',"\n') else v for v in values)


class CertificateReconciler:
    """See the module docstring."""

    def __init__(self, mgr: Manager, recorder: EventRecorder, options: CertOptions) -> None:
        self.mgr = mgr
        self.cache = mgr.cache
        self.client = mgr.client
        self.recorder = recorder
        self.options = options

    # -- the decision ---------------------------------------------------------------------------

    def trigger(self, cert: Obj, secret: Obj | None, keyspec: pki.KeySpec,
                now: datetime) -> tuple[str, str] | None:
        """Why the Secret needs a new certificate (cert-manager's reason and message), or None."""
        if secret is None:
            return DOES_NOT_EXIST, "Issuing certificate as Secret does not exist"
        key_pem, cert_pem = keypairs.secret_bytes(secret, TLS_KEY), keypairs.secret_bytes(secret, TLS_CERT)
        if not key_pem:
            return MISSING_DATA, "Issuing certificate as Secret does not contain a private key"
        if not cert_pem:
            return MISSING_DATA, "Issuing certificate as Secret does not contain a certificate"
        try:
            key = pki.load_key(key_pem)
        except pki.InvalidData as e:
            return INVALID_KEY_PAIR, f"Issuing certificate as Secret contains invalid private key data: {e}"
        try:
            leaf = pki.load_certs(cert_pem)[0]
        except pki.InvalidData as e:
            return INVALID_CERTIFICATE, f"Issuing certificate as Secret contains an invalid certificate: {e}"
        if not pki.public_key_matches(key, leaf):
            return INVALID_KEY_PAIR, "Issuing certificate as Secret contains a private key that does not match the " \
                                     "certificate"
        spec = cert["spec"]
        annotations = secret["metadata"].get("annotations") or {}
        name, kind, group = issuer_ref(spec)
        if (annotations.get(ISSUER_NAME), annotations.get(ISSUER_KIND) or "Issuer",
                annotations.get(ISSUER_GROUP) or GROUP) != (name, kind, group):
            return INCORRECT_ISSUER, (f'Issuing certificate as Secret was previously issued by "'
                                      f'{annotations.get(ISSUER_KIND) or "Issuer"}.'
                                      f'{annotations.get(ISSUER_GROUP) or GROUP}/{annotations.get(ISSUER_NAME)}"')
        mismatches = pki.spec_mismatches(spec, leaf) + self._request_mismatches(cert)
        if mismatches:
            return REQUEST_CHANGED, f"Fields on existing CertificateRequest resource not up to date: [{' '.join(mismatches)}]"
        if not pki.key_matches(key, keyspec):
            field = "spec.privateKey.algorithm" if keyspec.algorithm != _algorithm(key) else "spec.privateKey.size"
            return SECRET_MISMATCH, f"Existing private key is not up to date for spec: [{field}]"
        not_after = leaf.not_valid_after_utc
        if now >= not_after:
            return EXPIRED, f"Certificate expired on {_go_time(not_after)}"
        renew = renewal_time(leaf.not_valid_before_utc, not_after, spec)
        if now >= renew:
            return RENEWING, f"Renewing certificate as renewal was scheduled at {_go_time(renew)}"
        return None

    def _request_mismatches(self, cert: Obj) -> list[str]:
        """The spec fields the current revision's CertificateRequest (when kept) no longer matches:
        duration, usages, isCA (cert-manager's ``CurrentCertificateRequestNotValidForSpec``)."""
        revision = str((cert.get("status") or {}).get("revision") or "")
        if not revision:
            return []
        expected = self._request_spec(cert["spec"], b"")
        for cr in self._requests(cert):
            if (cr["metadata"].get("annotations") or {}).get(CERTIFICATE_REVISION) == revision:
                rspec = cr.get("spec") or {}
                return [f"spec.{k}" for k in ("duration", "usages", "isCA") if rspec.get(k) != expected.get(k)]
        return []

    async def reconcile(self, req: Request) -> Result | None:
        cert = self.cache.get(CERTIFICATE, req.name, req.namespace)
        if cert is None or cert["metadata"].get("deletionTimestamp"):
            return None
        spec = cert["spec"]
        status = dict(cert.get("status") or {})
        conds = [dict(c) for c in status.get("conditions") or ()]
        generation = cert["metadata"].get("generation")
        now = self.options.clock.now()
        try:
            keyspec = pki.KeySpec.of(spec.get("privateKey"))
            duration_of(spec)
            pki.usages_of(spec)
        except ValueError as e:
            conditions.set_condition(conds, READY, conditions.FALSE, "InvalidSpec", str(e),
                                     observed_generation=generation)
            await self._write_status(cert, status, conds)
            return None
        secret = self.cache.get(SECRET, spec["secretName"], req.namespace)
        why = self.trigger(cert, secret, keyspec, now)
        issuing = conditions.get_condition(conds, ISSUING)
        if issuing is None or issuing.get("status") != conditions.TRUE:
            if why is None:
                return await self._up_to_date(cert, secret, status, conds, now)
            reason, message = why
            if reason not in (RENEWING,):
                conditions.set_condition(conds, READY, conditions.FALSE, reason, message,
                                         observed_generation=generation)
            attempts = int(status.get("failedIssuanceAttempts") or 0)
            last_failure = parse_time(status["lastFailureTime"]) if status.get("lastFailureTime") else None
            if attempts and last_failure is not None:
                delay = backoff_delay(attempts, self.options)
                wait = (last_failure + timedelta(seconds=delay) - now).total_seconds()
                if wait > 0:
                    await self._write_status(cert, status, conds)
                    return Result(requeue_after=wait)
            conditions.set_condition(conds, ISSUING, conditions.TRUE, reason, message, observed_generation=generation)
            await self._delete_failed_requests(cert, int(status.get("revision") or 0) + 1)
            await self._write_status(cert, status, conds)
            await self.recorder.normal(cert, "Issuing", message)
            return None
        return await self._issue(cert, secret, status, conds, keyspec, now)

    # -- issuing --------------------------------------------------------------------------------

    async def _issue(self, cert: Obj, secret: Obj | None, status: dict[str, Any],
                     conds: list[dict[str, Any]], keyspec: pki.KeySpec, now: datetime) -> Result | None:
        ns, name = cert["metadata"]["namespace"], cert["metadata"]["name"]
        revision = int(status.get("revision") or 0) + 1
        key_name = status.get("nextPrivateKeySecretName")
        key_secret = self.cache.get(SECRET, key_name, ns) if key_name else None
        if key_name and key_secret is None:  # the Secret's watch may be behind the Certificate's
            try:
                key_secret = await self.client.get(SECRET, key_name, ns)
            except errors.NotFound:
                key_secret = None
        key: pki.PrivateKey | None = None
        if key_secret is not None:
            try:
                key = pki.load_key(keypairs.secret_bytes(key_secret, TLS_KEY))
            except pki.InvalidData:
                key = None
            if key is None or not pki.key_matches(key, keyspec):
                await self._delete(SECRET, key_secret)
                key_secret = None
        if key_secret is None:
            # one made by an earlier reconcile whose status write did not land (or not seen yet): adopt it
            spare = [k for k in self.cache.by_index(SECRET, BY_OWNER, cert["metadata"]["uid"])
                     if (k["metadata"].get("labels") or {}).get(NEXT_PRIVATE_KEY) == "true"
                     and k["metadata"]["name"] != key_name]
            if spare:
                status["nextPrivateKeySecretName"] = spare[0]["metadata"]["name"]
                await self._write_status(cert, status, conds)
                return None
            key_pem = await self._next_key(secret, keyspec)
            created = await self.client.create({
                "apiVersion": "v1", "kind": "Secret", "type": "Opaque",
                "metadata": {"generateName": f"{name[:52]}-", "namespace": ns,
                             "labels": {NEXT_PRIVATE_KEY: "true"},
                             "ownerReferences": [owner_reference(cert)]},
                "data": {TLS_KEY: keypairs.b64(key_pem)}})
            created_name = created["metadata"]["name"]
            status["nextPrivateKeySecretName"] = created_name
            await self._write_status(cert, status, conds)
            await self.recorder.normal(cert, "Generated", f'Stored new private key in temporary Secret resource '
                                                          f'"{created_name}"')
            return None
        assert key is not None and key_name
        spec = cert["spec"]
        requests = [cr for cr in self._requests(cert)
                    if (cr["metadata"].get("annotations") or {}).get(CERTIFICATE_REVISION) == str(revision)]
        current = None
        for cr in requests:
            if current is None and self._request_matches(cr, spec, key):
                current = cr
            else:
                await self._delete(CERTIFICATE_REQUEST, cr)
        if current is None:
            csr = await asyncio.to_thread(pki.build_csr, spec, key)
            created = await self.client.create({
                "apiVersion": CERTIFICATE_REQUEST.api_version, "kind": CERTIFICATE_REQUEST.kind,
                "metadata": {"generateName": f"{name[:52]}-", "namespace": ns,
                             "labels": dict(cert["metadata"].get("labels") or {}),
                             "annotations": {CERTIFICATE_NAME: name, CERTIFICATE_REVISION: str(revision),
                                             PRIVATE_KEY_SECRET_NAME: key_name},
                             "ownerReferences": [owner_reference(cert)]},
                "spec": self._request_spec(spec, csr)})
            await self.recorder.normal(cert, "Requested", f'Created new CertificateRequest resource '
                                                          f'"{created["metadata"]["name"]}"')
            return None
        cr_status = current.get("status") or {}
        ready = conditions.get_condition(cr_status.get("conditions"), READY)
        if ready is not None and ready.get("status") == conditions.TRUE and cr_status.get("certificate"):
            return await self._store(cert, secret, status, conds, key_secret, current, now)
        if final(current):
            reason = REASON_DENIED if ready is not None and ready.get("reason") == REASON_DENIED else "Failed"
            cause = (ready or {}).get("message") or "unknown"
            message = f"The certificate request has failed to complete and will be retried: {cause}"
            attempts = int(status.get("failedIssuanceAttempts") or 0) + 1
            status["failedIssuanceAttempts"] = attempts
            status["lastFailureTime"] = format_time(now)
            conditions.set_condition(conds, ISSUING, conditions.FALSE, reason, message,
                                     observed_generation=cert["metadata"].get("generation"))
            await self._write_status(cert, status, conds)
            await self.recorder.warning(cert, "Failed", message)
            return Result(requeue_after=backoff_delay(attempts, self.options))
        return None  # pending: the request's changes wake us

    async def _next_key(self, secret: Obj | None, keyspec: pki.KeySpec) -> bytes:
        """The next private key (PEM): the Secret's own with ``rotationPolicy: Never``, else a new one."""
        if keyspec.rotation_policy == "Never" and secret is not None:
            existing = keypairs.secret_bytes(secret, TLS_KEY)
            try:
                if existing and pki.key_matches(pki.load_key(existing), keyspec):
                    return existing
            except pki.InvalidData:
                pass
        key = await asyncio.to_thread(pki.generate_key, keyspec)
        return pki.encode_key(key, keyspec.encoding)

    def _request_spec(self, spec: Mapping[str, Any], csr: bytes) -> dict[str, Any]:
        ref = spec.get("issuerRef") or {}
        out: dict[str, Any] = {"request": keypairs.b64(csr), "duration": go_duration(duration_of(spec)),
                               "issuerRef": {k: ref[k] for k in ("name", "kind", "group") if ref.get(k)},
                               "usages": pki.usages_of(spec)}
        if spec.get("isCA"):
            out["isCA"] = True
        return out

    def _request_matches(self, cr: Obj, spec: Mapping[str, Any], key: pki.PrivateKey) -> bool:
        rspec = cr.get("spec") or {}
        try:
            csr = pki.load_csr(keypairs.secret_bytes({"data": {"r": rspec.get("request")}}, "r"))
        except pki.InvalidData:
            return False
        if not pki.public_key_matches(key, csr) or pki.spec_mismatches(spec, csr):
            return False
        expected = self._request_spec(spec, b"")
        return all(rspec.get(k) == expected.get(k) for k in ("duration", "issuerRef", "usages", "isCA"))

    async def _store(self, cert: Obj, secret: Obj | None, status: dict[str, Any],
                     conds: list[dict[str, Any]], key_secret: Obj, cr: Obj,
                     now: datetime) -> Result | None:
        chain = base64.b64decode(cr["status"]["certificate"])
        ca = base64.b64decode(cr["status"].get("ca") or "")
        key_pem = keypairs.secret_bytes(key_secret, TLS_KEY)
        leaf = pki.load_certs(chain)[0]
        data = {TLS_CERT: chain, TLS_KEY: key_pem, CA_CERT: ca}
        await self._write_secret(cert, secret, data, leaf)
        for spare in self.cache.by_index(SECRET, BY_OWNER, cert["metadata"]["uid"]):
            if (spare["metadata"].get("labels") or {}).get(NEXT_PRIVATE_KEY) == "true":
                await self._delete(SECRET, spare)
        await self._delete(SECRET, key_secret)
        revision = int(status.get("revision") or 0) + 1
        for field in ("nextPrivateKeySecretName", "failedIssuanceAttempts", "lastFailureTime"):
            status.pop(field, None)
        status["revision"] = revision
        renew = self._set_times(cert, status, leaf)
        conditions.remove_condition(conds, ISSUING)
        conditions.set_condition(conds, READY, conditions.TRUE, READY, READY_MESSAGE,
                                 observed_generation=cert["metadata"].get("generation"))
        await self._write_status(cert, status, conds)
        await self.recorder.normal(cert, "Issuing", "The certificate has been successfully issued")
        await self._prune_requests(cert)
        return Result(requeue_after=max((renew - now).total_seconds(), 1.0))

    def _set_times(self, cert: Obj, status: dict[str, Any], leaf: x509.Certificate) -> datetime:
        renew = renewal_time(leaf.not_valid_before_utc, leaf.not_valid_after_utc, cert["spec"])
        status["notBefore"] = format_time(leaf.not_valid_before_utc)
        status["notAfter"] = format_time(leaf.not_valid_after_utc)
        status["renewalTime"] = format_time(renew)
        return renew

    async def _up_to_date(self, cert: Obj, secret: Obj | None, status: dict[str, Any],
                          conds: list[dict[str, Any]], now: datetime) -> Result | None:
        assert secret is not None
        leaf = pki.load_certs(keypairs.secret_bytes(secret, TLS_CERT))[0]
        data = {k: keypairs.secret_bytes(secret, k) for k in (TLS_CERT, TLS_KEY, CA_CERT)}
        await self._write_secret(cert, secret, data, leaf)
        renew = self._set_times(cert, status, leaf)
        conditions.remove_condition(conds, ISSUING)
        conditions.set_condition(conds, READY, conditions.TRUE, READY, READY_MESSAGE,
                                 observed_generation=cert["metadata"].get("generation"))
        await self._write_status(cert, status, conds)
        return Result(requeue_after=max((renew - now).total_seconds(), 1.0))

    # -- the Secret -----------------------------------------------------------------------------

    def _outputs(self, cert: Obj, data: Mapping[str, bytes],
                 current: Obj | None) -> dict[str, bytes]:
        """The additional outputs (``tls-combined.pem``, ``key.der``) and PKCS#12 keystores asked for."""
        spec = cert["spec"]
        out: dict[str, bytes] = {}
        for fmt in spec.get("additionalOutputFormats") or ():
            if fmt.get("type") == "CombinedPEM":
                out["tls-combined.pem"] = data[TLS_KEY].rstrip(b"\n") + b"\n" + data[TLS_CERT]
            elif fmt.get("type") == "DER":
                key = pki.load_key(data[TLS_KEY])
                out["key.der"] = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                                   serialization.NoEncryption())
        p12 = (spec.get("keystores") or {}).get("pkcs12") or {}
        if p12.get("create"):
            existing = keypairs.secret_bytes(current, "keystore.p12") if current is not None else b""
            same_cert = current is not None and keypairs.secret_bytes(current, TLS_CERT) == data[TLS_CERT]
            if existing and same_cert:
                out["keystore.p12"] = existing
                out["truststore.p12"] = keypairs.secret_bytes(current or {}, "truststore.p12")
            else:
                password = self._password(cert, p12)
                chain = pki.load_certs(data[TLS_CERT])
                ca = pki.load_certs(data[CA_CERT]) if data.get(CA_CERT) else []
                out["keystore.p12"], out["truststore.p12"] = pki.pkcs12_bundle(
                    pki.load_key(data[TLS_KEY]), chain, ca, password, p12.get("profile") or "")
        return out

    def _password(self, cert: Obj, p12: Mapping[str, Any]) -> bytes:
        if p12.get("password") is not None:
            return str(p12["password"]).encode()
        ref = p12.get("passwordSecretRef") or {}
        secret = self.cache.get(SECRET, ref.get("name", ""), cert["metadata"]["namespace"]) if ref else None
        return keypairs.secret_bytes(secret, ref.get("key", "")) if secret is not None else b""

    async def _write_secret(self, cert: Obj, current: Obj | None,
                            data: Mapping[str, bytes], leaf: x509.Certificate) -> None:
        spec = cert["spec"]
        template = spec.get("secretTemplate") or {}
        annotations = {**(template.get("annotations") or {}), **secret_annotations(cert, leaf)}
        labels = {**(template.get("labels") or {}), SECRET_FAO_LABEL: "true"}
        full = {**data, **self._outputs(cert, data, current)}
        encoded = {k: keypairs.b64(v) for k, v in full.items()}
        ns, name = cert["metadata"]["namespace"], spec["secretName"]
        if current is None:
            try:
                await self.client.create({"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls",
                                          "metadata": {"name": name, "namespace": ns, "annotations": annotations,
                                                       "labels": labels}, "data": encoded})
            except errors.AlreadyExists:
                pass  # the cache is behind: the Secret's event brings us back
            return
        obj = mutable(current)
        meta = obj["metadata"]
        old_data = obj.get("data") or {}
        new_data = {k: v for k, v in old_data.items() if k not in OPTIONAL_KEYS}
        new_data.update(encoded)
        new_annotations = {**(meta.get("annotations") or {}), **annotations}
        new_labels = {**(meta.get("labels") or {}), **labels}
        if new_data == old_data and new_annotations == (meta.get("annotations") or {}) \
                and new_labels == (meta.get("labels") or {}):
            return
        meta["annotations"], meta["labels"], obj["data"] = new_annotations, new_labels, new_data
        await self.client.update(obj)

    # -- requests -------------------------------------------------------------------------------

    def _requests(self, cert: Obj) -> list[Obj]:
        meta = cert["metadata"]
        return [cr for cr in self.cache.by_index(CERTIFICATE_REQUEST, BY_OWNER, meta["uid"])]

    async def _delete_failed_requests(self, cert: Obj, revision: int) -> None:
        for cr in self._requests(cert):
            if (cr["metadata"].get("annotations") or {}).get(CERTIFICATE_REVISION) == str(revision) and final(cr):
                await self._delete(CERTIFICATE_REQUEST, cr)

    async def _prune_requests(self, cert: Obj) -> None:
        """Keep the ``revisionHistoryLimit`` (default 1) newest requests."""
        limit = cert["spec"].get("revisionHistoryLimit")
        limit = 1 if limit is None else max(int(limit), 1)
        revised = []
        for cr in self._requests(cert):
            rev = (cr["metadata"].get("annotations") or {}).get(CERTIFICATE_REVISION, "")
            if rev.isdigit():
                revised.append((int(rev), cr))
        revised.sort(key=lambda pair: pair[0], reverse=True)
        for _, cr in revised[limit:]:
            await self._delete(CERTIFICATE_REQUEST, cr)

    # -- helpers --------------------------------------------------------------------------------

    async def _delete(self, kind: Any, obj: Mapping[str, Any]) -> None:
        meta = obj["metadata"]
        try:
            await self.client.delete(kind, meta["name"], meta.get("namespace"),
                                     preconditions={"uid": meta["uid"]} if meta.get("uid") else None)
        except (errors.NotFound, errors.Conflict):
            pass

    async def _write_status(self, cert: Obj, status: dict[str, Any],
                            conds: list[dict[str, Any]]) -> None:
        await update_status(self.client, cert, {**status, "conditions": conds}, optimistic=True)


def _algorithm(key: pki.PrivateKey) -> str:
    if isinstance(key, rsa.RSAPrivateKey):
        return "RSA"
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return "ECDSA"
    return "Ed25519"


def _go_time(t: datetime) -> str:
    """Go's ``time.Time.String`` of a UTC time, as cert-manager's messages print it."""
    return t.strftime("%Y-%m-%d %H:%M:%S +0000 UTC")


def _secret_index(cert: Obj) -> list[str]:
    return [f"{cert['metadata']['namespace']}/{cert['spec'].get('secretName')}"]


def _owner_index(cr: Obj) -> list[str]:
    return [r["uid"] for r in cr["metadata"].get("ownerReferences") or ()
            if r.get("controller") and r.get("kind") == "Certificate"]


def add_certificate_controller(mgr: Manager, recorder: EventRecorder, options: CertOptions) -> CertificateReconciler:
    """The Certificate controller, on ``mgr``."""
    mgr.cache.informer(CERTIFICATE, indexers={BY_SECRET: _secret_index})
    mgr.cache.informer(CERTIFICATE_REQUEST, indexers={BY_OWNER: _owner_index})
    mgr.cache.informer(SECRET, indexers={BY_OWNER: _owner_index})

    def certificates_of(secret: Mapping[str, Any]) -> list[Request]:
        meta = secret["metadata"]
        named = mgr.cache.by_index(CERTIFICATE, BY_SECRET, f"{meta['namespace']}/{meta['name']}")
        return [Request.of(c) for c in named]

    reconciler = CertificateReconciler(mgr, recorder, options)
    controller = (Builder(mgr).named("certs-certificates").for_(CERTIFICATE)
                  .owns(CERTIFICATE_REQUEST).owns(SECRET).watches(SECRET, certificates_of)
                  .with_options(max_concurrent_reconciles=options.workers).complete(reconciler))

    def clock_moved() -> None:
        for cert in mgr.cache.list(CERTIFICATE):
            controller.queue.add(Request.of(cert))
    options.clock.subscribe(clock_moved)
    return reconciler
