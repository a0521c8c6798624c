"""cert-manager's ingress-shim: an Ingress annotated ``cert-manager.io/issuer`` or
``cert-manager.io/cluster-issuer`` gets a Certificate for each of its ``spec.tls`` entries
(named after the entry's ``secretName``, with its hosts as DNS names, owned by the Ingress),
kept in step with the Ingress; ``cert-manager.io/common-name``, ``duration`` and
``renew-before`` annotations are copied as cert-manager's shim copies them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from setpoint.certs.names import (
    CERTIFICATE,
    GROUP,
    INGRESS,
    INGRESS_CLUSTER_ISSUER,
    INGRESS_COMMON_NAME,
    INGRESS_DURATION,
    INGRESS_ISSUER,
    INGRESS_ISSUER_GROUP,
    INGRESS_ISSUER_KIND,
    INGRESS_RENEW_BEFORE,
)
from setpoint.certs.options import CertOptions
from setpoint.runtime.builder import Builder
from setpoint.runtime.events import EventRecorder
from setpoint.runtime.manager import Manager
from setpoint.runtime.objects import create_or_patch, owner_reference
from setpoint.runtime.predicate import Funcs
from setpoint.runtime.reconcile import Request, Result


def desired_certificates(ingress: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The Certificates' specs an Ingress asks for, by name (empty when it is not annotated)."""
    annotations = ingress["metadata"].get("annotations") or {}
    if annotations.get(INGRESS_CLUSTER_ISSUER):
        ref = {"name": annotations[INGRESS_CLUSTER_ISSUER], "kind": "ClusterIssuer", "group": GROUP}
    elif annotations.get(INGRESS_ISSUER):
        ref = {"name": annotations[INGRESS_ISSUER], "kind": annotations.get(INGRESS_ISSUER_KIND) or "Issuer",
               "group": annotations.get(INGRESS_ISSUER_GROUP) or GROUP}
    else:
        return {}
    out: dict[str, dict[str, Any]] = {}
    for tls in (ingress.get("spec") or {}).get("tls") or ():
        name = tls.get("secretName")
        if not name:
            continue
        spec: dict[str, Any] = {"secretName": name, "dnsNames": list(tls.get("hosts") or ()), "issuerRef": ref,
                                "usages": ["digital signature", "key encipherment"]}
        for annotation, field in ((INGRESS_COMMON_NAME, "commonName"), (INGRESS_DURATION, "duration"),
                                  (INGRESS_RENEW_BEFORE, "renewBefore")):
            if annotations.get(annotation):
                spec[field] = annotations[annotation]
        for annotation, field in ((f"{GROUP}/renew-before-percentage", "renewBeforePercentage"),
                                  (f"{GROUP}/revision-history-limit", "revisionHistoryLimit")):
            if (annotations.get(annotation) or "").isdigit():
                spec[field] = int(annotations[annotation])
        if annotations.get(f"{GROUP}/usages"):
            spec["usages"] = [u.strip() for u in annotations[f"{GROUP}/usages"].split(",")]
        if annotations.get(f"{GROUP}/email-sans"):
            spec["emailAddresses"] = annotations[f"{GROUP}/email-sans"].split(",")
        if annotations.get(f"{GROUP}/subject-organizations"):
            spec["subject"] = {"organizations": annotations[f"{GROUP}/subject-organizations"].split(",")}
        key: dict[str, Any] = {}
        for field in ("algorithm", "encoding", "rotation-policy", "size"):
            value = annotations.get(f"{GROUP}/private-key-{field}")
            if value:
                key["rotationPolicy" if field == "rotation-policy" else field] = \
                    int(value) if field == "size" and value.isdigit() else value
        if key:
            spec["privateKey"] = key
        out[name] = spec
    return out


class IngressShim:
    def __init__(self, mgr: Manager, recorder: EventRecorder) -> None:
        self.mgr = mgr
        self.recorder = recorder

    async def reconcile(self, req: Request) -> Result | None:
        ingress = self.mgr.cache.get(INGRESS, req.name, req.namespace)
        if ingress is None:
            return None
        desired = desired_certificates(ingress)
        if not desired:
            return None  # not (or no longer) annotated: as cert-manager's shim, its Certificates are left alone
        uid = ingress["metadata"]["uid"]
        for cert in self.mgr.cache.list(CERTIFICATE, req.namespace):
            owned = any(r.get("uid") == uid and r.get("controller") for r in cert["metadata"].get("ownerReferences") or ())
            if owned and cert["metadata"]["name"] not in desired:
                await self.mgr.client.delete(CERTIFICATE, cert["metadata"]["name"], req.namespace)
                await self.recorder.normal(ingress, "DeleteCertificate",
                                           f'Successfully deleted unrequired Certificate "{cert["metadata"]["name"]}"')
        for name, spec in desired.items():
            current = self.mgr.cache.get(CERTIFICATE, name, req.namespace)

            def mutate(obj: dict[str, Any], spec: dict[str, Any] = spec) -> None:
                obj["metadata"]["ownerReferences"] = [owner_reference(ingress)]
                obj["spec"] = {**(obj.get("spec") or {}), **spec}

            op, _ = await create_or_patch(self.mgr.client, CERTIFICATE, name, req.namespace, mutate,
                                          current=current, read_current=False)
            if op.value == "created":
                await self.recorder.normal(ingress, "CreateCertificate", f'Successfully created Certificate "{name}"')
            elif op.value == "updated":
                await self.recorder.normal(ingress, "UpdateCertificate", f'Successfully updated Certificate "{name}"')
        return None


def add_ingress_shim(mgr: Manager, recorder: EventRecorder, options: CertOptions) -> None:
    """The ingress-shim controller, on ``mgr``."""
    annotated = Funcs(create=lambda o: bool(desired_certificates(o)),
                      update=lambda o, n: bool(desired_certificates(n) or desired_certificates(o)),
                      delete=lambda _o: False, name="annotated")
    (Builder(mgr).named("certs-ingress-shim").for_(INGRESS, annotated).owns(CERTIFICATE)
     .with_options(max_concurrent_reconciles=options.workers).complete(IngressShim(mgr, recorder)))
