"""Certificates on a real ``setpoint up --certificates``, driven with kubectl: cert-manager's own
documented manifests applied unchanged (a self-signed ClusterIssuer bootstrapping a CA, CA issuers,
the full example Certificate), the chain checked with ``openssl verify``, printer columns,
``kubectl wait``, the cmctl-like CLI, the ingress-shim, and the same controllers run as a separate
operator (``python -m setpoint.certs run``) against a server without the flag."""

from __future__ import annotations

import base64
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from e2e_helpers import Kubectl, Server, eventually, stop_server, up

pytestmark = pytest.mark.e2e

DATA = Path(__file__).resolve().parents[1] / "data" / "certs"


@pytest.fixture(scope="module")
def certs_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = up(tmp_path_factory.mktemp("setpoint-certs"), "--nodes", "0", "--certificates")
    try:
        yield srv
    finally:
        stop_server(srv.proc)


def _secret(kubectl: Kubectl, name: str, key: str, ns: str = "sandbox") -> bytes:
    out = kubectl.out("get", "secret", name, "-n", ns, "-o", "jsonpath={.data." + key.replace(".", "\\.") + "}")
    return base64.b64decode(out)


def _certs(cli: list[str], srv: Server, *args: str) -> str:
    proc = subprocess.run([*cli, *args, "--kubeconfig", str(srv.kubeconfig)], capture_output=True, text=True,
                          env=srv.env, timeout=60, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


CLI = [sys.executable, "-m", "setpoint.certs"]


def test_cert_managers_documented_manifests_issue_a_verified_chain(certs_server: Server, tmp_path: Path) -> None:
    kubectl = Kubectl(certs_server)
    kubectl("apply", "-f", str(DATA / "selfsigned-bootstrap.yaml"))
    kubectl("wait", "--for=condition=Ready", "certificate/my-selfsigned-ca", "-n", "sandbox", "--timeout=60s")
    kubectl("wait", "--for=condition=Ready", "issuer/my-ca-issuer", "-n", "sandbox", "--timeout=60s")
    kubectl("wait", "--for=condition=Ready", "clusterissuer/selfsigned-issuer", "--timeout=60s")
    table = kubectl.out("get", "certificates", "-n", "sandbox").splitlines()
    assert table[0].split() == ["NAME", "READY", "SECRET", "AGE"]
    assert table[1].split()[:3] == ["my-selfsigned-ca", "True", "root-secret"]
    wide = kubectl.out("get", "cert", "-n", "sandbox", "-o", "wide").splitlines()
    assert wide[0].split()[:5] == ["NAME", "READY", "SECRET", "ISSUER", "STATUS"]
    assert "Certificate is up to date and has not expired" in wide[1]
    assert kubectl.out("get", "issuer", "my-ca-issuer", "-n", "sandbox", "-o", "wide").split()[4:7] == \
        ["my-ca-issuer", "True", "Signing"]

    # the CA page: the user puts the CA key pair in the Secret `ca-key-pair`
    (tmp_path / "ca.crt").write_bytes(_secret(kubectl, "root-secret", "tls.crt"))
    (tmp_path / "ca.key").write_bytes(_secret(kubectl, "root-secret", "tls.key"))
    kubectl("create", "secret", "tls", "ca-key-pair", "-n", "sandbox", f"--cert={tmp_path / 'ca.crt'}",
            f"--key={tmp_path / 'ca.key'}")
    kubectl("create", "secret", "generic", "example-com-tls-keystore", "-n", "sandbox",
            "--from-literal=password=changeit")
    kubectl("apply", "-f", str(DATA / "ca-issuer.yaml"))
    kubectl("apply", "-f", str(DATA / "certificate-full.yaml"))
    kubectl("wait", "--for=condition=Ready", "certificate/example-com", "-n", "sandbox", "--timeout=90s")
    crs = kubectl.out("get", "certificaterequests", "-n", "sandbox", "-o", "wide")
    header = crs.splitlines()[0].split()
    assert header[:6] == ["NAME", "APPROVED", "DENIED", "READY", "ISSUER", "REQUESTER"]
    rows = [line.split() for line in crs.splitlines()[1:] if line.startswith("example-com-")]
    assert [row[1:5] for row in rows] == [["True", "", "True", "ca-issuer"]] or \
        [row[1:4] for row in rows] == [["True", "True", "ca-issuer"]]

    chain_pem = _secret(kubectl, "example-com-tls", "tls.crt")
    ca_pem = _secret(kubectl, "example-com-tls", "ca.crt")
    assert ca_pem == (tmp_path / "ca.crt").read_bytes()
    leaf = x509.load_pem_x509_certificates(chain_pem)[0]
    san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["example.com", "www.example.com"]
    assert [str(a) for a in san.get_values_for_type(x509.IPAddress)] == ["192.168.0.5"]
    assert san.get_values_for_type(x509.UniformResourceIdentifier) == ["spiffe://cluster.local/ns/sandbox/sa/example"]
    assert san.get_values_for_type(x509.RFC822Name) == ["john.doe@cert-manager.io"]
    (other,) = san.get_values_for_type(x509.OtherName)
    assert other.type_id.dotted_string == "1.3.6.1.4.1.311.20.2.3" and other.value.endswith(b"upn@example.local")
    assert leaf.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == "cert-manager"
    assert leaf.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "example.com"
    assert list(leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value) == [
        ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
    assert _secret(kubectl, "example-com-tls", "tls.key").startswith(b"-----BEGIN RSA PRIVATE KEY-----")
    key, cert, _ = pkcs12.load_key_and_certificates(_secret(kubectl, "example-com-tls", "keystore.p12"), b"changeit")
    assert key is not None and cert == leaf
    secret = kubectl.out("get", "secret", "example-com-tls", "-n", "sandbox", "-o",
                         "jsonpath={.type} {.metadata.labels.my-secret-label} "
                         "{.metadata.annotations.my-secret-annotation-1} "
                         "{.metadata.annotations.cert-manager\\.io/issuer-name}")
    assert secret.split() == ["kubernetes.io/tls", "foo", "foo", "ca-issuer"]

    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    (tmp_path / "chain.pem").write_bytes(chain_pem)
    out = subprocess.run(["openssl", "verify", "-CAfile", str(tmp_path / "ca.crt"), str(tmp_path / "chain.pem")],
                         capture_output=True, text=True, check=False)
    assert out.returncode == 0 and out.stdout.strip().endswith(": OK"), out.stdout + out.stderr


def test_the_cli_shows_renews_and_inspects(certs_server: Server) -> None:
    kubectl = Kubectl(certs_server)
    kubectl("apply", "-f", str(DATA / "selfsigned-bootstrap.yaml"))
    kubectl("wait", "--for=condition=Ready", "certificate/my-selfsigned-ca", "-n", "sandbox", "--timeout=60s")
    status = _certs(CLI, certs_server, "status", "certificate", "my-selfsigned-ca", "-n", "sandbox")
    assert "Ready: True, Reason: Ready, Message: Certificate is up to date and has not expired" in status
    assert "Name: root-secret" in status and "Not After:" in status
    revision = int(kubectl.out("get", "cert", "my-selfsigned-ca", "-n", "sandbox", "-o", "jsonpath={.status.revision}"))
    assert "Manually triggered issuance" in _certs(CLI, certs_server, "renew", "my-selfsigned-ca", "-n", "sandbox")
    eventually(lambda: int(kubectl.out("get", "cert", "my-selfsigned-ca", "-n", "sandbox", "-o",
                                       "jsonpath={.status.revision}")) == revision + 1, timeout=30)
    inspect = _certs(CLI, certs_server, "inspect", "secret", "root-secret", "-n", "sandbox")
    assert "Subject: CN=my-selfsigned-ca" in inspect and "cert-manager.io/certificate-name: my-selfsigned-ca" in inspect
    # the same through `setpoint certs`
    setpoint = [str(Path(sys.executable).with_name("setpoint")), "certs"]
    assert "Subject: CN=my-selfsigned-ca" in _certs(setpoint, certs_server, "inspect", "secret", "root-secret",
                                                    "-n", "sandbox")


def test_an_annotated_ingress_gets_a_certificate(certs_server: Server) -> None:
    kubectl = Kubectl(certs_server)
    kubectl("apply", "-f", str(DATA / "selfsigned-bootstrap.yaml"))
    kubectl("create", "ingress", "shop", "-n", "sandbox", "--rule=shop.example.com/=shop:80,tls=shop-tls",
            "--annotation=cert-manager.io/cluster-issuer=selfsigned-issuer")
    kubectl("wait", "--for=create", "certificate/shop-tls", "-n", "sandbox", "--timeout=30s")
    kubectl("wait", "--for=condition=Ready", "certificate/shop-tls", "-n", "sandbox", "--timeout=60s")
    names = kubectl.out("get", "secret", "shop-tls", "-n", "sandbox", "-o",
                        "jsonpath={.metadata.annotations.cert-manager\\.io/alt-names}")
    assert names == "shop.example.com"
    owner = kubectl.out("get", "certificate", "shop-tls", "-n", "sandbox", "-o",
                        "jsonpath={.metadata.ownerReferences[0].kind}/{.metadata.ownerReferences[0].name}")
    assert owner == "Ingress/shop"
    # a second TLS entry gets its Certificate; a removed one's Certificate goes
    kubectl("patch", "ingress", "shop", "-n", "sandbox", "--type=json", "-p",
            '[{"op": "replace", "path": "/spec/tls", "value": [{"hosts": ["api.example.com"], "secretName": "api-tls"}]}]')
    kubectl("wait", "--for=condition=Ready", "certificate/api-tls", "-n", "sandbox", "--timeout=60s")
    kubectl("wait", "--for=delete", "certificate/shop-tls", "-n", "sandbox", "--timeout=30s")


def test_the_controllers_run_as_an_operator_against_a_server_without_them(tmp_path: Path) -> None:
    srv = up(tmp_path, "--nodes", "0")
    operator = subprocess.Popen([*CLI, "run", "--kubeconfig", str(srv.kubeconfig)], env=srv.env,
                                stdout=subprocess.DEVNULL, stderr=open(tmp_path / "operator.log", "wb"))  # noqa: SIM115
    try:
        kubectl = Kubectl(srv)
        eventually(lambda: kubectl("get", "crd", "certificates.cert-manager.io", check=False).returncode == 0,
                   timeout=30)
        kubectl("wait", "--for=condition=Established", "crd/certificates.cert-manager.io", "--timeout=30s")
        kubectl("apply", "-f", str(DATA / "selfsigned-bootstrap.yaml"))
        kubectl("wait", "--for=condition=Ready", "certificate/my-selfsigned-ca", "-n", "sandbox", "--timeout=60s")
        kubectl("wait", "--for=condition=Ready", "issuer/my-ca-issuer", "-n", "sandbox", "--timeout=60s")
    finally:
        operator.terminate()
        operator.wait(15)
        stop_server(srv.proc)
    assert operator.returncode == 0, (tmp_path / "operator.log").read_text()


def test_certificates_survive_a_restart_and_heal(tmp_path: Path) -> None:
    """Issued once; a restart of `setpoint up --certificates` on the same data re-issues nothing; a
    deleted Secret is issued again (revision + 1)."""
    def revision(kubectl: Kubectl) -> int:
        return int(kubectl.out("get", "cert", "my-selfsigned-ca", "-n", "sandbox", "-o",
                               "jsonpath={.status.revision}") or 0)

    srv = up(tmp_path, "--nodes", "0", "--certificates")
    try:
        kubectl = Kubectl(srv)
        kubectl("apply", "-f", str(DATA / "selfsigned-bootstrap.yaml"))
        kubectl("wait", "--for=condition=Ready", "certificate/my-selfsigned-ca", "-n", "sandbox", "--timeout=60s")
        first = revision(kubectl)
        serial = x509.load_pem_x509_certificate(_secret(kubectl, "root-secret", "tls.crt")).serial_number
    finally:
        stop_server(srv.proc)
    srv = up(tmp_path, "--nodes", "0", "--certificates")
    try:
        kubectl = Kubectl(srv)
        kubectl("wait", "--for=condition=Ready", "issuer/my-ca-issuer", "-n", "sandbox", "--timeout=60s")
        kubectl("wait", "--for=condition=Ready", "certificate/my-selfsigned-ca", "-n", "sandbox", "--timeout=60s")
        assert revision(kubectl) == first
        assert x509.load_pem_x509_certificate(_secret(kubectl, "root-secret", "tls.crt")).serial_number == serial
        kubectl("delete", "secret", "root-secret", "-n", "sandbox")
        eventually(lambda: revision(kubectl) == first + 1, timeout=30)
        kubectl("wait", "--for=condition=Ready", "certificate/my-selfsigned-ca", "-n", "sandbox", "--timeout=60s")
        events = kubectl.out("get", "events", "-n", "sandbox", "--field-selector",
                             "involvedObject.name=my-selfsigned-ca", "-o", "jsonpath={.items[*].message}")
        assert "Issuing certificate as Secret does not exist" in events
    finally:
        stop_server(srv.proc)
