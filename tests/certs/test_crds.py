"""setpoint's cert-manager CRDs, declared from Python models, held to cert-manager's published ones
(``tests/data/crds/cert-manager.yaml.gz``, v1.21.1): names, scope, printer columns, subresources,
and every field's type, enum, list type and required-ness; cert-manager's own example manifests
are accepted by the server with setpoint's CRDs installed."""

from __future__ import annotations

import gzip
import io
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from certs_helpers import CERTIFICATE, controllers, ready

from setpoint.certs import install_crds
from setpoint.certs.api import crds
from setpoint.runtime import errors
from setpoint.testing import ApiServer

DATA = Path(__file__).resolve().parents[1] / "data"
#: Free-form in setpoint (issuer kinds it does not implement): their contents are not compared.
FREE_FORM = {"spec.acme", "spec.vault", "spec.venafi", "status.acme"}


def published() -> dict[str, dict[str, Any]]:
    docs = yaml.safe_load_all(gzip.decompress((DATA / "crds" / "cert-manager.yaml.gz").read_bytes()))
    return {d["spec"]["names"]["kind"]: d for d in docs if d and d["spec"]["group"] == "cert-manager.io"}


OURS = {c["spec"]["names"]["kind"]: c for c in crds()}
THEIRS = published()
KINDS = ["Certificate", "CertificateRequest", "Issuer", "ClusterIssuer"]


def _fields(schema: dict[str, Any], path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    for name, sub in (schema.get("properties") or {}).items():
        here = f"{path}.{name}" if path else name
        yield here, sub
        if here in FREE_FORM:
            continue
        yield from _fields(sub, here)
        if "items" in sub:
            yield from _fields(sub["items"], f"{here}[]")
        if isinstance(sub.get("additionalProperties"), dict):
            yield from _fields(sub["additionalProperties"], f"{here}{{}}")


def _version(crd: dict[str, Any]) -> dict[str, Any]:
    (version,) = crd["spec"]["versions"]
    result: dict[str, Any] = version
    return result


@pytest.mark.parametrize("kind", KINDS)
def test_names_scope_columns_and_subresources_are_cert_managers(kind: str) -> None:
    ours, theirs = OURS[kind], THEIRS[kind]
    assert ours["metadata"]["name"] == theirs["metadata"]["name"]
    assert ours["spec"]["names"] == theirs["spec"]["names"]
    assert ours["spec"]["scope"] == theirs["spec"]["scope"]
    ov, tv = _version(ours), _version(theirs)
    assert ov["name"] == tv["name"] == "v1" and ov["served"] and ov["storage"]
    assert ov["subresources"] == tv["subresources"]

    def columns(v: dict[str, Any]) -> list[tuple[str, str, str, int]]:
        return [(c["name"], c["jsonPath"], c["type"], c.get("priority", 0)) for c in v["additionalPrinterColumns"]]
    assert columns(ov) == columns(tv)


@pytest.mark.parametrize("kind", KINDS)
def test_every_field_of_cert_managers_schema_is_declared_alike(kind: str) -> None:
    ours = dict(_fields(_version(OURS[kind])["schema"]["openAPIV3Schema"]))
    theirs = dict(_fields(_version(THEIRS[kind])["schema"]["openAPIV3Schema"]))
    problems = []
    for path, t in theirs.items():
        o = ours.get(path)
        if o is None:
            problems.append(f"{path}: missing")
            continue
        if path.rsplit(".", 1)[0] in FREE_FORM and path not in FREE_FORM:
            continue
        for key in ("type", "format", "x-kubernetes-list-type", "x-kubernetes-list-map-keys", "pattern",
                    "minLength"):
            if t.get(key) != o.get(key) and not (key == "format" and path in FREE_FORM):
                problems.append(f"{path}: {key} {o.get(key)!r}, cert-manager {t.get(key)!r}")
        if sorted(map(str, t.get("enum") or ())) != sorted(map(str, o.get("enum") or ())):
            problems.append(f"{path}: enum {o.get('enum')}, cert-manager {t.get('enum')}")
        items_t, items_o = t.get("items") or {}, o.get("items") or {}
        if sorted(map(str, items_t.get("enum") or ())) != sorted(map(str, items_o.get("enum") or ())):
            problems.append(f"{path}[]: enum differs")
        if path not in FREE_FORM and sorted(t.get("required") or ()) != sorted(o.get("required") or ()):
            problems.append(f"{path}: required {o.get('required')}, cert-manager {t.get('required')}")
    extra = sorted(set(ours) - set(theirs))
    assert not problems, "\n".join(problems)
    assert not extra, f"fields cert-manager does not have: {extra}"


def _examples() -> list[dict[str, Any]]:
    out = []
    with tarfile.open(fileobj=io.BytesIO((DATA / "examples" / "cert-manager" / "v1.21.1.tar.gz").read_bytes())) as tar:
        for member in tar.getmembers():
            if member.isfile() and member.name.endswith(".yaml"):
                f = tar.extractfile(member)
                assert f is not None
                out += [d for d in yaml.safe_load_all(f.read()) if d]
    return out


async def test_cert_managers_example_manifests_are_accepted_and_issued(setpoint_api: ApiServer) -> None:
    client = setpoint_api.client
    async with controllers(client):
        docs = _examples()
        assert {d["kind"] for d in docs} >= {"Issuer", "Certificate"}
        for doc in docs:
            await client.create(doc, doc["metadata"].get("namespace", "default"))
        for name in ("test1", "test2"):
            await ready(client, CERTIFICATE, name)


@pytest.mark.parametrize(("obj", "message"), [
    ({"kind": "Issuer", "spec": {}}, "at least one issuer must be configured"),
    ({"kind": "Issuer", "spec": {"selfSigned": {}, "ca": {"secretName": "x"}}},
     "may not specify more than one issuer type"),
    ({"kind": "Certificate", "spec": {"secretName": "s", "issuerRef": {"name": "i"}}},
     "at least one of commonName (from the commonName field or from a literalSubject), dnsNames, emailSANs, "
     "ipAddresses, otherNames, or uriSANs must be set"),
    ({"kind": "Certificate", "spec": {"secretName": "s", "issuerRef": {"name": "i"}, "commonName": "a",
                                      "renewBefore": "1h", "renewBeforePercentage": 10}},
     "renewBefore and renewBeforePercentage are mutually exclusive and cannot both be set"),
    ({"kind": "Certificate", "spec": {"secretName": "s", "issuerRef": {"name": "i"}, "commonName": "a",
                                      "duration": "1h", "renewBefore": "2h"}},
     "certificate duration must be greater than renewBefore"),
    ({"kind": "Certificate", "spec": {"secretName": "s", "issuerRef": {"name": "i"}, "commonName": "a",
                                      "privateKey": {"size": 1024}}},
     "must be between 2048 and 8192 for rsa keyAlgorithm"),
    ({"kind": "Certificate", "spec": {"secretName": "s", "issuerRef": {"name": "i"}, "commonName": "a",
                                      "privateKey": {"algorithm": "ECDSA", "size": 2048}}},
     'supported values: "256", "384", "521"'),
    ({"kind": "Certificate", "spec": {"secretName": "s", "issuerRef": {"name": "i"}, "dnsNames": ["a"],
                                      "usages": ["teleport"]}}, "spec.usages[0]"),
])
async def test_what_cert_managers_webhook_refuses_is_refused(setpoint_api: ApiServer, obj: dict[str, Any],
                                                             message: str) -> None:
    client = setpoint_api.client
    await install_crds(client)
    body = {"apiVersion": "cert-manager.io/v1", "metadata": {"name": "bad", "namespace": "default"}, **obj}
    with pytest.raises(errors.ApiError) as refused:
        await client.create(body)
    assert refused.value.code == 422
    assert message in str(refused.value)
    # the same with the fields cert-manager accepts: created
    ok = {"Issuer": {"selfSigned": {}}, "Certificate": {"secretName": "s", "issuerRef": {"name": "i"},
                                                        "dnsNames": ["a.example.com"], "duration": "1h",
                                                        "renewBefore": "30m", "privateKey": {"algorithm": "ECDSA",
                                                                                             "size": 384}}}
    await client.create({**body, "spec": ok[obj["kind"]]})
