"""A Certificate over time: renewed at its renewalTime, re-issued when its spec changes, healed
when its Secret is deleted or tampered with; a missing or wrong CA Secret reported and recovered
from; failed requests backing off; revision history pruned."""

from __future__ import annotations

import asyncio
import base64
from datetime import UTC, datetime, timedelta

from certs_helpers import (
    CERTIFICATE,
    CERTIFICATE_REQUEST,
    ISSUER,
    SECRET,
    certificate,
    condition,
    controllers,
    data,
    has_event,
    issuer,
    leaf,
    ready,
    secret_of,
)
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric import ec

from setpoint.apimachinery.clock import FakeClock, parse_time
from setpoint.certs.cli import main as certs_cli
from setpoint.runtime import Client, HTTPClient
from setpoint.testing import ApiServer, eventually


async def requests_of(client: Client, cert: str, namespace: str = "default") -> list[dict]:
    items = (await client.list(CERTIFICATE_REQUEST, namespace))["items"]
    return [c for c in items if c["metadata"]["annotations"].get("cert-manager.io/certificate-name") == cert]


async def test_a_short_certificate_is_renewed_at_its_renewal_time(certs_client: HTTPClient) -> None:
    client = certs_client
    await client.create(issuer("selfsigned", selfSigned={}))
    await client.create(certificate("short", commonName="short", duration="6s", renewBefore="3s",
                                    privateKey={"algorithm": "ECDSA"}, revisionHistoryLimit=2))
    first = await ready(client, CERTIFICATE, "short", revision=1)
    renewal = parse_time(first["status"]["renewalTime"])
    assert renewal == parse_time(first["status"]["notAfter"]) - timedelta(seconds=3)
    serial = leaf(await secret_of(client, "short-tls")).serial_number
    second = await ready(client, CERTIFICATE, "short", revision=2, timeout=15)
    renewed_at = datetime.now(UTC)
    assert renewed_at >= renewal  # not before it was due...
    assert renewed_at - renewal < timedelta(seconds=4)  # ...and on time
    assert parse_time(second["status"]["notBefore"]) >= renewal
    assert leaf(await secret_of(client, "short-tls")).serial_number != serial
    await has_event(client, "default", "short", "Issuing", "Renewing certificate as renewal was scheduled at")
    # revisionHistoryLimit: 2 requests kept, however many renewals
    await ready(client, CERTIFICATE, "short", revision=3, timeout=15)
    revisions = await eventually(lambda: _revisions(client, "short", {"2", "3"}))
    assert revisions == {"2", "3"}


async def _revisions(client: Client, name: str, expected: set[str]) -> set[str] | None:
    got = {c["metadata"]["annotations"]["cert-manager.io/certificate-revision"] for c in await requests_of(client, name)}
    return got if got == expected else None


async def test_an_injected_clock_drives_renewal(setpoint_api: ApiServer) -> None:
    client = setpoint_api.client
    clock = FakeClock(datetime.now(UTC).replace(microsecond=0))
    async with controllers(client, clock=clock):
        await client.create(issuer("selfsigned", selfSigned={}))
        await client.create(certificate("long", commonName="long", privateKey={"algorithm": "ECDSA"}))
        first = await ready(client, CERTIFICATE, "long", revision=1)
        # the default: 90 days, renewed when a third of it is left
        assert parse_time(first["status"]["notAfter"]) - parse_time(first["status"]["notBefore"]) == timedelta(days=90)
        assert parse_time(first["status"]["renewalTime"]) == parse_time(first["status"]["notAfter"]) - timedelta(days=30)
        clock.step(59 * 86400)
        await asyncio.sleep(0.2)
        assert (await client.get(CERTIFICATE, "long", "default"))["status"]["revision"] == 1  # not due yet
        clock.step(2 * 86400)
        await has_event(client, "default", "long", "Issuing", "Renewing certificate as renewal was scheduled at")
        second = await ready(client, CERTIFICATE, "long", revision=2)
        assert parse_time(second["status"]["notBefore"]) == clock.now()
        assert condition(second, "Ready")["reason"] == "Ready"


async def test_a_deleted_or_tampered_secret_is_healed(certs_client: HTTPClient) -> None:
    client = certs_client
    await client.create(issuer("selfsigned", selfSigned={}))
    await client.create(certificate("heal", dnsNames=["heal.example.com"], privateKey={"algorithm": "ECDSA"}))
    await ready(client, CERTIFICATE, "heal", revision=1)

    await client.delete(SECRET, "heal-tls", "default")
    healed = await ready(client, CERTIFICATE, "heal", revision=2)
    assert leaf(await secret_of(client, "heal-tls")).subject is not None
    await has_event(client, "default", "heal", "Issuing", "Issuing certificate as Secret does not exist")

    await client.patch(SECRET, "heal-tls", {"data": {"tls.key": base64.b64encode(b"garbage").decode()}}, "default")
    await ready(client, CERTIFICATE, "heal", revision=3)
    await has_event(client, "default", "heal", "Issuing",
                    "Issuing certificate as Secret contains invalid private key data")

    # a key that parses but belongs to another certificate
    other = ec.generate_private_key(ec.SECP256R1())
    from cryptography.hazmat.primitives import serialization
    pem = other.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption())
    await client.patch(SECRET, "heal-tls", {"data": {"tls.key": base64.b64encode(pem).decode()}}, "default")
    await ready(client, CERTIFICATE, "heal", revision=4)
    await has_event(client, "default", "heal", "Issuing", "private key that does not match the certificate")
    assert healed["status"]["revision"] == 2


async def test_spec_changes_that_need_it_reissue(certs_client: HTTPClient) -> None:
    client = certs_client
    await client.create(issuer("selfsigned", selfSigned={}))
    await client.create(issuer("other", selfSigned={}))
    await client.create(certificate("change", dnsNames=["a.example.com"], privateKey={"algorithm": "ECDSA"}))
    await ready(client, CERTIFICATE, "change", revision=1)

    await client.patch(CERTIFICATE, "change", {"spec": {"dnsNames": ["a.example.com", "b.example.com"]}},
                       "default")
    await ready(client, CERTIFICATE, "change", revision=2)
    names = (await secret_of(client, "change-tls"))["metadata"]["annotations"]["cert-manager.io/alt-names"]
    assert names == "a.example.com,b.example.com"
    await has_event(client, "default", "change", "Issuing", "[spec.dnsNames]")

    await client.patch(CERTIFICATE, "change", {"spec": {"privateKey": {"algorithm": "Ed25519"}}}, "default")
    await ready(client, CERTIFICATE, "change", revision=3)
    assert data(await secret_of(client, "change-tls"), "tls.key").startswith(b"-----BEGIN PRIVATE KEY")
    await has_event(client, "default", "change", "Issuing", "[spec.privateKey.algorithm]")

    await client.patch(CERTIFICATE, "change", {"spec": {"issuerRef": {"name": "other"}}}, "default")
    await ready(client, CERTIFICATE, "change", revision=4)
    secret = await secret_of(client, "change-tls")
    assert secret["metadata"]["annotations"]["cert-manager.io/issuer-name"] == "other"
    await has_event(client, "default", "change", "Issuing", 'previously issued by "Issuer.cert-manager.io/selfsigned"')

    await client.patch(CERTIFICATE, "change", {"spec": {"duration": "100h"}}, "default")
    await ready(client, CERTIFICATE, "change", revision=5)
    renewed = leaf(await secret_of(client, "change-tls"))
    assert (renewed.not_valid_after_utc - renewed.not_valid_before_utc) == timedelta(hours=100)
    await has_event(client, "default", "change", "Issuing", "[spec.duration]")

    await client.patch(CERTIFICATE, "change", {"spec": {"subject": {"organizations": ["Acme"]}}}, "default")
    await ready(client, CERTIFICATE, "change", revision=6)
    assert leaf(await secret_of(client, "change-tls")).subject.rfc4514_string() == "O=Acme"
    await has_event(client, "default", "change", "Issuing", "[spec.subject]")

    # a change that needs no new certificate (the Secret's labels) re-issues nothing
    await client.patch(CERTIFICATE, "change", {"spec": {"secretTemplate": {"labels": {"tier": "front"}}}},
                       "default")

    async def labelled() -> bool:
        return (await secret_of(client, "change-tls"))["metadata"]["labels"].get("tier") == "front"
    await eventually(labelled)
    assert (await client.get(CERTIFICATE, "change", "default"))["status"]["revision"] == 6


async def test_a_missing_or_wrong_ca_secret_is_reported_and_recovered_from(certs_client: HTTPClient) -> None:
    client = certs_client
    await client.create(issuer("selfsigned", selfSigned={}))
    await client.create(issuer("ca", ca={"secretName": "ca-key-pair"}))

    async def not_ready(reason: str, fragment: str) -> dict:
        async def check() -> dict | None:
            iss = await client.get(ISSUER, "ca", "default")
            c = condition(iss, "Ready")
            return iss if c.get("reason") == reason and fragment in c.get("message", "") else None
        return await eventually(check)

    iss = await not_ready("ErrGetKeyPair", 'Error getting keypair for CA issuer: secret "ca-key-pair" not found')
    assert condition(iss, "Ready")["status"] == "False"
    await has_event(client, "default", "ca", "ErrGetKeyPair", "not found")

    await client.create(certificate("leaf", dnsNames=["leaf.example.com"], issuerRef={"name": "ca"}))

    async def pending() -> dict | None:
        crs = await requests_of(client, "leaf")
        ok = [c for c in crs if condition(c, "Ready").get("reason") == "Pending"]
        return ok[0] if ok else None
    cr = await eventually(pending)
    assert condition(cr, "Ready")["message"] == "Referenced issuer does not have a Ready status condition"
    leaf_cert = await client.get(CERTIFICATE, "leaf", "default")
    assert condition(leaf_cert, "Ready")["reason"] == "DoesNotExist"
    assert condition(leaf_cert, "Issuing")["status"] == "True"

    # a Secret that is no CA: a leaf certificate
    await client.create(certificate("not-a-ca", secretName="ca-key-pair", commonName="not-a-ca",
                                    privateKey={"algorithm": "ECDSA"}))
    await not_ready("ErrGetKeyPair", "certificate is not a CA")
    await has_event(client, "default", "ca", "ErrGetKeyPair", "certificate is not a CA")

    # fixed: the Secret now holds a CA; the issuer recovers and the pending request is signed
    await client.patch(CERTIFICATE, "not-a-ca", {"spec": {"isCA": True}}, "default")
    await ready(client, ISSUER, "ca")
    await ready(client, CERTIFICATE, "leaf")
    assert leaf(await secret_of(client, "leaf-tls")).issuer == leaf(await secret_of(client, "ca-key-pair")).subject


async def test_failed_requests_back_off_and_are_retried(setpoint_api: ApiServer) -> None:
    client = setpoint_api.client
    async with controllers(client, auto_approve=False, backoff_initial=1.0, backoff_max=1.0):
        await client.create(issuer("selfsigned", selfSigned={}))
        await client.create(certificate("denied", commonName="denied", privateKey={"algorithm": "ECDSA"}))

        async def request() -> dict | None:
            crs = await requests_of(client, "denied")
            return crs[0] if crs else None
        cr = await eventually(request)
        assert condition(cr, "Approved") == {}  # nothing approves it: auto-approval is off
        await has_event(client, "default", cr["metadata"]["name"], "WaitingForApproval",
                        "Not signing CertificateRequest until it is Approved")
        await cli(setpoint_api, "deny", cr["metadata"]["name"], "-n", "default", "--reason", "Policy",
                  "--message", "not today")
        denied = await client.get(CERTIFICATE_REQUEST, cr["metadata"]["name"], "default")
        assert condition(denied, "Denied") | {"lastTransitionTime": ""} == {
            "type": "Denied", "status": "True", "reason": "Policy", "message": "not today", "lastTransitionTime": ""}

        async def failed() -> dict | None:
            c = await client.get(CERTIFICATE, "denied", "default")
            return c if (c.get("status") or {}).get("failedIssuanceAttempts") == 1 else None
        cert = await eventually(failed)
        issuing = condition(cert, "Issuing")
        assert issuing["status"] == "False" and issuing["reason"] == "Denied"
        assert "The certificate request has failed to complete and will be retried" in issuing["message"]
        assert cert["status"]["lastFailureTime"]
        await has_event(client, "default", "denied", "Failed", "will be retried")

        # after the back-off: a new request for the same revision; approve it by hand
        async def second() -> dict | None:
            crs = [c for c in await requests_of(client, "denied") if c["metadata"]["uid"] != cr["metadata"]["uid"]]
            return crs[0] if crs else None
        cr2 = await eventually(second, timeout=10)
        assert cr2["metadata"]["annotations"]["cert-manager.io/certificate-revision"] == "1"
        out = await cli(setpoint_api, "approve", cr2["metadata"]["name"], "-n", "default")
        assert out == f"Approved CertificateRequest 'default/{cr2['metadata']['name']}'\n"
        approved = await client.get(CERTIFICATE_REQUEST, cr2["metadata"]["name"], "default")
        assert condition(approved, "Approved")["reason"] == "cmctl.cert-manager.io"
        done = await ready(client, CERTIFICATE, "denied", revision=1)
        assert "failedIssuanceAttempts" not in done["status"]


async def cli(api: ApiServer, *args: str) -> str:
    """``python -m setpoint.certs ARGS --kubeconfig`` (click's runner, on a thread: it runs its own loop)."""
    result = await asyncio.to_thread(CliRunner().invoke, certs_cli, [*args, "--kubeconfig", str(api.kubeconfig)])
    assert result.exit_code == 0, result.output
    return str(result.output)


def test_renewal_time_as_cert_manager_computes_it() -> None:
    from setpoint.certs.certificates import renewal_time
    start = datetime(2026, 1, 1, tzinfo=UTC)
    end = start + timedelta(hours=90)
    assert renewal_time(start, end, {}) == start + timedelta(hours=60)
    assert renewal_time(start, end, {"renewBefore": "10h"}) == end - timedelta(hours=10)
    assert renewal_time(start, end, {"renewBeforePercentage": 25}) == end - timedelta(hours=22, minutes=30)
    assert renewal_time(start, end, {"renewBefore": "100h"}) == start + timedelta(hours=60)  # not shorter: default
    assert renewal_time(start, end, {"renewBeforePercentage": 100}) == start + timedelta(hours=60)


def test_the_back_off_doubles_from_an_hour_to_32_hours() -> None:
    from setpoint.certs.options import CertOptions, backoff_delay
    hours = [backoff_delay(n, CertOptions()) / 3600 for n in range(1, 9)]
    assert hours == [1, 2, 4, 8, 16, 32, 32, 32]
    assert backoff_delay(100, CertOptions(backoff_initial=0.5, backoff_max=2)) == 2
