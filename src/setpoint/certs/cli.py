"""``python -m setpoint.certs`` (also ``setpoint certs``): run the certificate controllers against
any cluster, and a few commands in the manner of cert-manager's ``cmctl``.

* ``run [--kubeconfig PATH]`` -- install the CRDs and run the controllers until Ctrl-C;
* ``crds`` -- print the CRDs' YAML (``| kubectl apply -f -``);
* ``status certificate NAME`` -- conditions, issuer, Secret (validity, names), request, Events;
* ``renew NAME`` -- re-issue now (the ``Issuing`` condition ``ManuallyTriggered``, as ``cmctl renew``);
* ``approve NAME`` / ``deny NAME`` -- decide a CertificateRequest by hand;
* ``inspect secret NAME`` -- what a ``kubernetes.io/tls`` Secret holds.
"""

from __future__ import annotations

import asyncio
import base64
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import click
import yaml
from cryptography import x509

from setpoint.apimachinery.clock import format_time, parse_duration
from setpoint.certs import CertOptions, install_crds, setup
from setpoint.certs.api import crds
from setpoint.certs.names import (
    APPROVED,
    CERTIFICATE,
    CERTIFICATE_NAME,
    CERTIFICATE_REQUEST,
    CERTIFICATE_REVISION,
    CLUSTER_ISSUER,
    DENIED,
    ISSUER,
    ISSUING,
    MANUALLY_TRIGGERED,
    SECRET,
)
from setpoint.runtime import Kind, Manager, errors
from setpoint.runtime.config import Config
from setpoint.runtime.http_client import HTTPClient

EVENT = Kind("v1", "Event")
#: The reason cmctl writes on the conditions it sets.
CMCTL_REASON = "cmctl.cert-manager.io"

kubeconfig_option = click.option("--kubeconfig", default=None, help="kubeconfig file (default: $KUBECONFIG, "
                                 "~/.kube/config, in-cluster)")
namespace_option = click.option("-n", "--namespace", default=None, help="The namespace (default: the context's).")


def _client(kubeconfig: str | None) -> HTTPClient:
    return HTTPClient(Config.from_kubeconfig(kubeconfig) if kubeconfig else Config.load())


def _run(kubeconfig: str | None, body: Callable[[HTTPClient], Awaitable[None]]) -> None:
    async def main() -> None:
        client = _client(kubeconfig)
        try:
            await body(client)
        except errors.ApiError as e:
            raise click.ClickException(str(e)) from None
        finally:
            await client.close()
    asyncio.run(main())


@click.group()
def main() -> None:
    """Certificates as a control plane: cert-manager's API (cert-manager.io/v1) served by setpoint."""


@main.command()
@kubeconfig_option
@click.option("--health-port", default=None, type=int, help="Serve /healthz, /readyz and /metrics on this port.")
@click.option("--cluster-resource-namespace", default="cert-manager", show_default=True,
              help="Where the Secrets of ClusterIssuers are read.")
@click.option("--auto-approve/--no-auto-approve", default=True, show_default=True,
              help="Approve CertificateRequests for cert-manager.io issuers (off: approve or deny by hand).")
@click.option("--backoff", default="1h", show_default=True,
              help="The delay after a failed issuance; it doubles with each further failure, up to 32 times it.")
@click.option("--install-crds/--no-install-crds", "install", default=True, show_default=True,
              help="Apply the CRDs at start (server-side apply).")
@click.option("--log-level", default="info", show_default=True, type=click.Choice(["debug", "info", "warning", "error"]))
def run(kubeconfig: str | None, health_port: int | None, cluster_resource_namespace: str, auto_approve: bool,
        backoff: str, install: bool, log_level: str) -> None:
    """Run the controllers against a cluster until Ctrl-C or SIGTERM."""
    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    initial = parse_duration(backoff)
    options = CertOptions(cluster_resource_namespace=cluster_resource_namespace, auto_approve=auto_approve,
                          backoff_initial=initial, backoff_max=32 * initial)

    async def body(client: HTTPClient) -> None:
        if install:
            await install_crds(client)
        mgr = Manager(client, health_port=health_port)
        setup(mgr, options)
        await mgr.run(handle_signals=True)
    _run(kubeconfig, body)


@main.command("crds")
def print_crds() -> None:
    """Print the CRDs (Issuer, ClusterIssuer, Certificate, CertificateRequest) as YAML."""
    click.echo("---\n".join(yaml.safe_dump(c, sort_keys=False) for c in crds()), nl=False)


@main.group()
def status() -> None:
    """Show the status of a resource."""


def _conditions(obj: dict[str, Any]) -> list[str]:
    return [f"  {c['type']}: {c['status']}, Reason: {c.get('reason', '')}, Message: {c.get('message', '')}"
            for c in (obj.get("status") or {}).get("conditions") or ()]


def _secret_lines(secret: dict[str, Any]) -> list[str]:
    lines = [f"  Name: {secret['metadata']['name']}"]
    pem = base64.b64decode((secret.get("data") or {}).get("tls.crt") or "")
    try:
        certs = x509.load_pem_x509_certificates(pem) if pem else []
    except ValueError as e:
        return [*lines, f"  tls.crt does not parse: {e}"]
    for cert in certs[:1]:
        lines += [f"  Subject: {cert.subject.rfc4514_string()}", f"  Issuer: {cert.issuer.rfc4514_string()}",
                  f"  Not Before: {format_time(cert.not_valid_before_utc)}",
                  f"  Not After: {format_time(cert.not_valid_after_utc)}",
                  f"  Serial Number: {cert.serial_number:x}"]
        try:
            san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
            lines.append(f"  DNS Names: {', '.join(san.get_values_for_type(x509.DNSName))}")
        except x509.ExtensionNotFound:
            pass
    if len(certs) > 1:
        lines.append(f"  Chain: {len(certs)} certificates")
    return lines


@status.command("certificate")
@kubeconfig_option
@namespace_option
@click.argument("name")
def status_certificate(kubeconfig: str | None, namespace: str | None, name: str) -> None:
    """A Certificate's conditions, issuer, Secret, current request and Events."""
    async def body(client: HTTPClient) -> None:
        ns = namespace or client.namespace
        cert = await client.get(CERTIFICATE, name, ns)
        st = cert.get("status") or {}
        out = [f"Name: {name}", f"Namespace: {ns}", f"Created at: {cert['metadata'].get('creationTimestamp')}",
               "Conditions:", *_conditions(cert)]
        dns = cert["spec"].get("dnsNames") or []
        if dns:
            out += ["DNS Names:", *(f"- {d}" for d in dns)]
        for field, label in (("notBefore", "Not Before"), ("notAfter", "Not After"),
                             ("renewalTime", "Renewal Time"), ("revision", "Revision")):
            if field in st:
                out.append(f"{label}: {st[field]}")
        ref = cert["spec"].get("issuerRef") or {}
        kind = CLUSTER_ISSUER if ref.get("kind") == "ClusterIssuer" else ISSUER
        out += ["Issuer:", f"  Name: {ref.get('name')}", f"  Kind: {kind.kind}"]
        try:
            iss = await client.get(kind, ref.get("name", ""), None if kind is CLUSTER_ISSUER else ns)
            out += ["  Conditions:", *("  " + line for line in _conditions(iss))]
        except errors.NotFound:
            out.append(f"  error when getting {kind.kind}: not found")
        out.append("Secret:")
        try:
            out += _secret_lines(await client.get(SECRET, cert["spec"]["secretName"], ns))
        except errors.NotFound:
            out.append(f"  Name: {cert['spec']['secretName']} (not found)")
        revision = str(int(st.get("revision") or 0) + 1) if any(
            c["type"] == ISSUING and c["status"] == "True" for c in st.get("conditions") or ()) else \
            str(st.get("revision") or "")
        requests = [r for r in (await client.list(CERTIFICATE_REQUEST, ns))["items"]
                    if (r["metadata"].get("annotations") or {}).get(CERTIFICATE_NAME) == name
                    and r["metadata"]["annotations"].get(CERTIFICATE_REVISION) == revision]
        for r in requests:
            out += ["CertificateRequest:", f"  Name: {r['metadata']['name']}", "  Conditions:",
                    *("  " + line for line in _conditions(r))]
        events = [e for e in (await client.list(EVENT, ns))["items"]
                  if e["involvedObject"].get("kind") == "Certificate" and e["involvedObject"].get("name") == name]
        if events:
            out.append("Events:")
            out += [f"  {e['type']}\t{e['reason']}\t{e['message']}" for e in events]
        click.echo("\n".join(out))
    _run(kubeconfig, body)


def _now() -> str:
    return format_time(datetime.now(UTC))


async def _set_condition(client: HTTPClient, kind: Kind, name: str, ns: str, condition: dict[str, str]) -> None:
    obj = await client.get(kind, name, ns)
    conds = [c for c in (obj.get("status") or {}).get("conditions") or () if c["type"] != condition["type"]]
    conds.append({**condition, "lastTransitionTime": _now()})
    await client.patch(kind, name, {"metadata": {"resourceVersion": obj["metadata"]["resourceVersion"]},
                                    "status": {"conditions": conds}}, ns, subresource="status")


@main.command()
@kubeconfig_option
@namespace_option
@click.argument("names", nargs=-1, required=True)
def renew(kubeconfig: str | None, namespace: str | None, names: tuple[str, ...]) -> None:
    """Re-issue Certificates now."""
    async def body(client: HTTPClient) -> None:
        ns = namespace or client.namespace
        for name in names:
            await _set_condition(client, CERTIFICATE, name, ns, {
                "type": ISSUING, "status": "True", "reason": MANUALLY_TRIGGERED,
                "message": "Certificate re-issuance manually triggered"})
            click.echo(f"Manually triggered issuance of Certificate {ns}/{name}")
    _run(kubeconfig, body)


def _decide(kind_of_decision: str, verb: str, doc: str) -> Any:
    @kubeconfig_option
    @namespace_option
    @click.option("--reason", default=CMCTL_REASON, show_default=True, help="The condition's reason.")
    @click.option("--message", default=f"manually {verb} by cmctl", show_default=True, help="The condition's message.")
    @click.argument("name")
    def command(kubeconfig: str | None, namespace: str | None, reason: str, message: str, name: str) -> None:
        async def body(client: HTTPClient) -> None:
            ns = namespace or client.namespace
            cr = await client.get(CERTIFICATE_REQUEST, name, ns)
            for c in (cr.get("status") or {}).get("conditions") or ():
                if c["type"] in (APPROVED, DENIED) and c["status"] == "True":
                    raise click.ClickException(f'CertificateRequest {ns}/{name} already has a "{c["type"]}" '
                                               "condition")
            await _set_condition(client, CERTIFICATE_REQUEST, name, ns, {
                "type": kind_of_decision, "status": "True", "reason": reason, "message": message})
            click.echo(f"{verb.capitalize()} CertificateRequest '{ns}/{name}'")
        _run(kubeconfig, body)
    command.__doc__ = doc
    return command


main.command("approve")(_decide(APPROVED, "approved", "Approve a CertificateRequest (an Approved condition)."))
main.command("deny")(_decide(DENIED, "denied", "Deny a CertificateRequest (a Denied condition)."))


@main.group()
def inspect() -> None:
    """Show what a resource holds."""


@inspect.command("secret")
@kubeconfig_option
@namespace_option
@click.argument("name")
def inspect_secret(kubeconfig: str | None, namespace: str | None, name: str) -> None:
    """The certificate (and chain) a TLS Secret holds, and cert-manager's annotations."""
    async def body(client: HTTPClient) -> None:
        ns = namespace or client.namespace
        secret = await client.get(SECRET, name, ns)
        out = ["Certificate:", *_secret_lines(secret)]
        annotations = {k: v for k, v in (secret["metadata"].get("annotations") or {}).items()
                       if k.startswith("cert-manager.io/")}
        if annotations:
            out += ["Annotations:", *(f"  {k}: {v}" for k, v in sorted(annotations.items()))]
        out.append(f"Keys: {', '.join(sorted(secret.get('data') or {}))}")
        click.echo("\n".join(out))
    _run(kubeconfig, body)
