"""Certificates issued by the controllers against the embedded API server: the whole flow from a
Certificate to its ``kubernetes.io/tls`` Secret, the CA bootstrap, key algorithms, SANs, usages."""

from __future__ import annotations

import asyncio
import ipaddress
import shutil
import subprocess
from pathlib import Path

import pytest
from certs_helpers import (
    CERTIFICATE,
    CERTIFICATE_REQUEST,
    CLUSTER_ISSUER,
    ISSUER,
    SECRET,
    certificate,
    chain,
    condition,
    controllers,
    create_namespace,
    data,
    has_event,
    issuer,
    leaf,
    ready,
    secret_of,
)
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from setpoint.runtime import HTTPClient
from setpoint.testing import ApiServer, eventually


async def bootstrap_ca(client, namespace: str = "default") -> None:
    """cert-manager's documented bootstrap: a selfSigned issuer, a CA Certificate, a CA Issuer."""
    await client.create(issuer("selfsigned", namespace, selfSigned={}))
    await client.create(certificate("my-ca", namespace, isCA=True, commonName="my-ca", secretName="root-secret",
                                    privateKey={"algorithm": "ECDSA", "size": 256},
                                    issuerRef={"name": "selfsigned", "kind": "Issuer", "group": "cert-manager.io"}))
    await client.create(issuer("ca", namespace, ca={"secretName": "root-secret"}))


async def test_a_ca_bootstrapped_by_a_self_signed_issuer_signs_leaf_certificates(
        certs_client: HTTPClient, tmp_path: Path) -> None:
    client = certs_client
    await bootstrap_ca(client)
    ca_cert = await ready(client, CERTIFICATE, "my-ca")
    assert ca_cert["status"]["revision"] == 1
    for field in ("notBefore", "notAfter", "renewalTime"):
        assert ca_cert["status"][field].endswith("Z")
    root = await secret_of(client, "root-secret")
    assert root["type"] == "kubernetes.io/tls"
    assert data(root, "ca.crt") == data(root, "tls.crt")  # self-signed: its own CA
    root_cert = leaf(root)
    assert root_cert.issuer == root_cert.subject
    assert root_cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert isinstance(root_cert.public_key(), ec.EllipticCurvePublicKey)
    assert data(root, "tls.key").startswith(b"-----BEGIN EC PRIVATE KEY-----")  # PKCS1 (SEC1) by default

    await ready(client, ISSUER, "ca")
    ca_issuer = await client.get(ISSUER, "ca", "default")
    assert condition(ca_issuer, "Ready")["reason"] == "KeyPairVerified"
    assert condition(ca_issuer, "Ready")["message"] == "Signing CA verified"

    await client.create(certificate(
        "web", secretName="web-tls", issuerRef={"name": "ca"}, commonName="web.example.com",
        dnsNames=["web.example.com", "www.example.com"], ipAddresses=["10.0.0.1"],
        uris=["spiffe://cluster.local/ns/default/sa/web"], emailAddresses=["ops@example.com"],
        usages=["server auth", "client auth", "digital signature", "key encipherment"],
        subject={"organizations": ["Example"]}, duration="720h", renewBefore="240h",
        secretTemplate={"labels": {"app": "web"}, "annotations": {"team": "edge"}}))
    web = await ready(client, CERTIFICATE, "web")
    secret = await secret_of(client, "web-tls")
    cert = leaf(secret)
    assert [c.subject for c in chain(secret)] == [cert.subject, root_cert.subject]
    assert data(secret, "ca.crt") == data(root, "tls.crt")
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["web.example.com", "www.example.com"]
    assert san.get_values_for_type(x509.IPAddress) == [ipaddress.ip_address("10.0.0.1")]
    assert san.get_values_for_type(x509.UniformResourceIdentifier) == ["spiffe://cluster.local/ns/default/sa/web"]
    assert san.get_values_for_type(x509.RFC822Name) == ["ops@example.com"]
    assert cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == "Example"
    eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(eku) == [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
    ku = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert ku.digital_signature and ku.key_encipherment and not ku.key_cert_sign
    assert not cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert isinstance(cert.public_key(), rsa.RSAPublicKey) and cert.public_key().key_size == 2048
    lifetime = cert.not_valid_after_utc - cert.not_valid_before_utc
    assert lifetime.total_seconds() == 720 * 3600
    assert web["status"]["renewalTime"] < web["status"]["notAfter"]
    annotations = secret["metadata"]["annotations"]
    assert annotations["cert-manager.io/certificate-name"] == "web"
    assert annotations["cert-manager.io/issuer-name"] == "ca"
    assert annotations["cert-manager.io/issuer-kind"] == "Issuer"
    assert annotations["cert-manager.io/issuer-group"] == "cert-manager.io"
    assert annotations["cert-manager.io/common-name"] == "web.example.com"
    assert annotations["cert-manager.io/alt-names"] == "web.example.com,www.example.com"
    assert annotations["cert-manager.io/ip-sans"] == "10.0.0.1"
    assert annotations["cert-manager.io/subject-organizations"] == "Example"
    assert annotations["cert-manager.io/subject-countries"] == ""
    assert annotations["team"] == "edge" and secret["metadata"]["labels"]["app"] == "web"

    # the request: approved by cert-manager.io, issued, annotated, owned by the Certificate
    crs = (await client.list(CERTIFICATE_REQUEST, "default"))["items"]
    (cr,) = [c for c in crs if c["metadata"]["annotations"]["cert-manager.io/certificate-name"] == "web"]
    assert cr["metadata"]["name"].startswith("web-")
    assert cr["metadata"]["annotations"]["cert-manager.io/certificate-revision"] == "1"
    assert condition(cr, "Approved")["reason"] == "cert-manager.io"
    assert condition(cr, "Ready")["reason"] == "Issued"
    assert cr["spec"]["duration"] == "720h0m0s"
    await has_event(client, "default", "web", "Issuing", "Issuing certificate as Secret does not exist")
    await has_event(client, "default", "web", "Generated", "Stored new private key in temporary Secret")
    await has_event(client, "default", "web", "Requested", "Created new CertificateRequest resource")
    await has_event(client, "default", "web", "Issuing", "The certificate has been successfully issued")

    async def no_temporary_keys() -> bool:
        keys = await client.list(SECRET, "default", label_selector="cert-manager.io/next-private-key=true")
        return not keys["items"]
    await eventually(no_temporary_keys)

    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    (tmp_path / "ca.pem").write_bytes(data(secret, "ca.crt"))
    (tmp_path / "leaf.pem").write_bytes(data(secret, "tls.crt"))
    out = await asyncio.to_thread(subprocess.run, ["openssl", "verify", "-CAfile", str(tmp_path / "ca.pem"),
                                                   str(tmp_path / "leaf.pem")],
                                  capture_output=True, text=True, check=False)
    assert out.returncode == 0 and out.stdout.strip().endswith(": OK"), out.stdout + out.stderr


@pytest.mark.parametrize(("private_key", "expected", "header"), [
    ({"algorithm": "RSA", "size": 4096, "encoding": "PKCS8"}, (rsa.RSAPublicKey, 4096), b"-----BEGIN PRIVATE KEY"),
    ({"algorithm": "ECDSA", "size": 384}, (ec.EllipticCurvePublicKey, 384), b"-----BEGIN EC PRIVATE KEY"),
    ({"algorithm": "Ed25519"}, (ed25519.Ed25519PublicKey, 0), b"-----BEGIN PRIVATE KEY"),
    ({}, (rsa.RSAPublicKey, 2048), b"-----BEGIN RSA PRIVATE KEY"),
])
async def test_key_algorithms_sizes_and_encodings(setpoint_api: ApiServer, private_key: dict[str, object],
                                                  expected: tuple[type, int], header: bytes) -> None:
    client = setpoint_api.client
    async with controllers(client):
        await client.create(issuer("selfsigned", selfSigned={}))
        await client.create(certificate("k", commonName="k.example.com", privateKey=private_key))
        await ready(client, CERTIFICATE, "k", timeout=60)
        secret = await secret_of(client, "k-tls")
        public = leaf(secret).public_key()
        assert isinstance(public, expected[0])
        if expected[1]:
            assert getattr(public, "key_size", None) == expected[1] or public.curve.key_size == expected[1]
        key_pem = data(secret, "tls.key")
        assert key_pem.startswith(header)
        key = serialization.load_pem_private_key(key_pem, None)
        assert key.public_key().public_bytes(serialization.Encoding.DER,
                                             serialization.PublicFormat.SubjectPublicKeyInfo) == \
            public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


async def test_a_cluster_issuer_signs_for_two_namespaces(certs_client: HTTPClient) -> None:
    client = certs_client
    await create_namespace(client, "cert-manager")
    await client.create(issuer("bootstrap", None, selfSigned={}))
    await client.create(certificate("cluster-ca", "cert-manager", isCA=True, commonName="cluster-ca",
                                    secretName="cluster-ca", issuerRef={"name": "bootstrap",
                                                                        "kind": "ClusterIssuer"}))
    await ready(client, CERTIFICATE, "cluster-ca", "cert-manager")
    await client.create(issuer("cluster-ca", None, ca={"secretName": "cluster-ca"}))
    await ready(client, CLUSTER_ISSUER, "cluster-ca", None)
    root = leaf(await secret_of(client, "cluster-ca", "cert-manager"))
    for ns in ("team-a", "team-b"):
        await create_namespace(client, ns)
        await client.create(certificate("svc", ns, dnsNames=[f"svc.{ns}.svc"],
                                        issuerRef={"name": "cluster-ca", "kind": "ClusterIssuer"}))
    for ns in ("team-a", "team-b"):
        await ready(client, CERTIFICATE, "svc", ns)
        cert = leaf(await secret_of(client, "svc-tls", ns))
        assert cert.issuer == root.subject
        cert.verify_directly_issued_by(root)  # raises if the signature is not the CA's


async def test_rotation_policy_and_additional_outputs(setpoint_api: ApiServer) -> None:
    client = setpoint_api.client
    async with controllers(client):
        await client.create(issuer("selfsigned", selfSigned={}))
        await client.create(certificate("keep", dnsNames=["keep.example.com"],
                                        privateKey={"algorithm": "ECDSA", "rotationPolicy": "Never"},
                                        additionalOutputFormats=[{"type": "CombinedPEM"}, {"type": "DER"}]))
        await client.create(certificate("rotate", dnsNames=["rotate.example.com"], privateKey={"algorithm": "ECDSA"}))
        await ready(client, CERTIFICATE, "keep", revision=1)
        await ready(client, CERTIFICATE, "rotate", revision=1)
        keep = await secret_of(client, "keep-tls")
        assert data(keep, "tls-combined.pem") == data(keep, "tls.key").rstrip(b"\n") + b"\n" + data(keep, "tls.crt")
        der_key = serialization.load_der_private_key(data(keep, "key.der"), None)
        assert der_key.private_numbers() == serialization.load_pem_private_key(data(keep, "tls.key"),
                                                                               None).private_numbers()
        keys = {n: data(await secret_of(client, f"{n}-tls"), "tls.key") for n in ("keep", "rotate")}
        for name in ("keep", "rotate"):  # what `renew` does
            await client.patch(CERTIFICATE, name, {"status": {"conditions": [
                {"type": "Issuing", "status": "True", "reason": "ManuallyTriggered",
                 "message": "Certificate re-issuance manually triggered",
                 "lastTransitionTime": "2026-01-01T00:00:00Z"}]}}, "default", subresource="status")
        await ready(client, CERTIFICATE, "keep", revision=2)
        await ready(client, CERTIFICATE, "rotate", revision=2)
        assert data(await secret_of(client, "keep-tls"), "tls.key") == keys["keep"]  # Never: the same key
        assert data(await secret_of(client, "rotate-tls"), "tls.key") != keys["rotate"]  # Always: a new one

        # outputs no longer asked for leave the Secret
        await client.patch(CERTIFICATE, "keep", {"spec": {"additionalOutputFormats": None}}, "default")

        async def plain() -> bool:
            return set((await secret_of(client, "keep-tls"))["data"]) == {"tls.crt", "tls.key", "ca.crt"}
        await eventually(plain)


async def test_certificate_requests_made_by_hand(setpoint_api: ApiServer) -> None:
    """A CertificateRequest of one's own is signed by a CA issuer; one for another group's issuer is
    left to that issuer (neither approved nor signed)."""
    import base64

    client = setpoint_api.client
    async with controllers(client):
        await bootstrap_ca(client)
        await ready(client, ISSUER, "ca")
        key = ec.generate_private_key(ec.SECP256R1())
        csr = (x509.CertificateSigningRequestBuilder()
               .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "by-hand")]))
               .sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM))
        request = base64.b64encode(csr).decode()
        for name, ref in (("mine", {"name": "ca"}),
                          ("theirs", {"name": "pca", "kind": "AWSPCAIssuer", "group": "awspca.cert-manager.io"})):
            await client.create({"apiVersion": "cert-manager.io/v1", "kind": "CertificateRequest",
                                 "metadata": {"name": name, "namespace": "default"},
                                 "spec": {"request": request, "issuerRef": ref, "duration": "1h",
                                          "usages": ["client auth"]}})
        mine = await ready(client, CERTIFICATE_REQUEST, "mine")
        cert = x509.load_pem_x509_certificates(base64.b64decode(mine["status"]["certificate"]))[0]
        assert cert.subject.rfc4514_string() == "CN=by-hand"
        assert (cert.not_valid_after_utc - cert.not_valid_before_utc).total_seconds() == 3600
        assert list(cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value) == [
            ExtendedKeyUsageOID.CLIENT_AUTH]
        theirs = await client.get(CERTIFICATE_REQUEST, "theirs", "default")
        assert not (theirs.get("status") or {}).get("conditions")

        await client.create({"apiVersion": "cert-manager.io/v1", "kind": "CertificateRequest",
                             "metadata": {"name": "garbage", "namespace": "default"},
                             "spec": {"request": base64.b64encode(b"not a CSR").decode(), "issuerRef": {"name": "ca"}}})

        async def failed() -> dict | None:
            cr = await client.get(CERTIFICATE_REQUEST, "garbage", "default")
            return cr if condition(cr, "Ready").get("reason") == "Failed" else None
        bad = await eventually(failed)
        assert condition(bad, "Ready")["message"].startswith("Error generating certificate template")
        assert bad["status"]["failureTime"]


def test_subject_annotations_are_csv_records() -> None:
    from setpoint.certs.certificates import _csv
    assert _csv(["Example", "Acme, Inc.", 'The "Q"']) == 'Example,"Acme, Inc.","The ""Q"""'


async def test_name_constraints_and_signature_algorithm(setpoint_api: ApiServer) -> None:
    client = setpoint_api.client
    async with controllers(client):
        await client.create(issuer("selfsigned", selfSigned={}))
        await client.create(certificate(
            "constrained", isCA=True, commonName="constrained-ca", privateKey={"algorithm": "ECDSA"},
            signatureAlgorithm="ECDSAWithSHA384",
            nameConstraints={"critical": True, "permitted": {"dnsDomains": ["example.com"],
                                                            "ipRanges": ["10.0.0.0/8"]},
                             "excluded": {"dnsDomains": ["secret.example.com"]}}))
        await client.create(certificate("rsa384", commonName="rsa384", signatureAlgorithm="SHA384WithRSA"))
        await ready(client, CERTIFICATE, "constrained")
        await ready(client, CERTIFICATE, "rsa384")
        ca = leaf(await secret_of(client, "constrained-tls"))
        nc = ca.extensions.get_extension_for_class(x509.NameConstraints)
        assert nc.critical
        assert nc.value.permitted_subtrees == [x509.DNSName("example.com"),
                                               x509.IPAddress(ipaddress.ip_network("10.0.0.0/8"))]
        assert nc.value.excluded_subtrees == [x509.DNSName("secret.example.com")]
        assert isinstance(ca.signature_hash_algorithm, hashes.SHA384)
        assert isinstance(leaf(await secret_of(client, "rsa384-tls")).signature_hash_algorithm, hashes.SHA384)
