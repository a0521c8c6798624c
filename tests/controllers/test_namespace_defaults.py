"""What every namespace gets: the ``default`` ServiceAccount and the ``kube-root-ca.crt`` ConfigMap;
and ``--controllers`` as kube-controller-manager reads it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from cryptography import x509

from setpoint.apimachinery.types import Obj
from setpoint.apiserver import pki
from setpoint.apiserver.server import APIServer
from setpoint.controllers.inprocess import InProcessClient
from setpoint.controllers.manager import CONTROLLERS, ControllerManager, enabled_controllers
from setpoint.controllers.rootca import DESCRIPTION
from setpoint.runtime import errors
from setpoint.runtime.resource import Kind
from setpoint.testing import eventually

NAMESPACE = Kind("v1", "Namespace")
CONFIG_MAP = Kind("v1", "ConfigMap")
SERVICE_ACCOUNT = Kind("v1", "ServiceAccount")
CA = pki.generate_ca()
TIMEOUT = 10.0


@pytest.fixture
async def controllers(api: APIServer) -> AsyncIterator[ControllerManager]:
    cm = ControllerManager(api.registry, api.objects, ca_data=CA.cert_pem)
    await cm.start()
    try:
        yield cm
    finally:
        await cm.stop()


async def _get(client: InProcessClient, kind: Kind, name: str, ns: str) -> Obj:
    try:
        return await client.get(kind, name, ns)
    except errors.NotFound as e:
        raise AssertionError(str(e)) from None


async def _root_ca(client: InProcessClient, ns: str) -> Obj:
    cm = await _get(client, CONFIG_MAP, "kube-root-ca.crt", ns)
    assert cm["data"] == {"ca.crt": CA.cert_pem.decode()}
    assert cm["metadata"]["annotations"]["kubernetes.io/description"] == DESCRIPTION
    return cm


async def test_a_new_namespace_gets_both_and_they_come_back(
        client: InProcessClient, controllers: ControllerManager) -> None:
    await client.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "fresh"}})
    sa = await eventually(lambda: _get(client, SERVICE_ACCOUNT, "default", "fresh"), timeout=TIMEOUT)
    assert set(sa) == {"apiVersion", "kind", "metadata"}
    cm = await eventually(lambda: _root_ca(client, "fresh"), timeout=TIMEOUT)
    assert x509.load_pem_x509_certificate(cm["data"]["ca.crt"].encode()).subject.rfc4514_string() == "CN=setpoint-ca"

    await client.delete(SERVICE_ACCOUNT, "default", "fresh")
    await client.delete(CONFIG_MAP, "kube-root-ca.crt", "fresh")

    async def recreated() -> bool:
        again = await _get(client, SERVICE_ACCOUNT, "default", "fresh")
        assert again["metadata"]["uid"] != sa["metadata"]["uid"]
        assert (await _root_ca(client, "fresh"))["metadata"]["uid"] != cm["metadata"]["uid"]
        return True
    await eventually(recreated, timeout=TIMEOUT)

    changed = await client.get(CONFIG_MAP, "kube-root-ca.crt", "fresh")
    await client.update({**changed, "data": {"ca.crt": "tampered"}, "metadata": {
        **changed["metadata"], "annotations": {}}})
    await eventually(lambda: _root_ca(client, "fresh"), timeout=TIMEOUT)


async def test_a_terminating_namespace_gets_nothing_new(
        client: InProcessClient, controllers: ControllerManager) -> None:
    await client.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "going"}})
    await client.create({"apiVersion": "v1", "kind": "ConfigMap",
                         "metadata": {"name": "held", "namespace": "going", "finalizers": ["example.com/hold"]}})
    await eventually(lambda: _root_ca(client, "going"), timeout=TIMEOUT)
    await eventually(lambda: _get(client, SERVICE_ACCOUNT, "default", "going"), timeout=TIMEOUT)
    await client.delete(NAMESPACE, "going")

    async def emptied() -> bool:
        names = [(o["kind"], o["metadata"]["name"]) for k in (CONFIG_MAP, SERVICE_ACCOUNT)
                 for o in (await client.list(k, "going"))["items"]]
        assert names == [("ConfigMap", "held")]
        return True
    await eventually(emptied, timeout=TIMEOUT)
    # Reconciled again (both watch namespace updates): still nothing is created.
    await client.patch(NAMESPACE, "going", {"metadata": {"labels": {"poke": "1"}}})
    for _ in range(20):
        await emptied()
        await client.get(NAMESPACE, "going")
    with pytest.raises(errors.NotFound):
        await client.get(SERVICE_ACCOUNT, "default", "going")
    await client.patch(CONFIG_MAP, "held", {"metadata": {"finalizers": None}}, "going")


async def test_disabled_controllers_do_not_run(api: APIServer, client: InProcessClient) -> None:
    cm = ControllerManager(api.registry, api.objects, controllers=["*", "-serviceaccount"], ca_data=CA.cert_pem)
    await cm.start()
    try:
        await client.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "nosa"}})
        await eventually(lambda: _root_ca(client, "nosa"), timeout=TIMEOUT)
        assert (await client.list(SERVICE_ACCOUNT, "nosa"))["items"] == []
    finally:
        await cm.stop()


#: The controllers this table switches; every other one is on by default and follows ``*`` alone.
NAMED = ["namespace-controller", "serviceaccount-controller", "root-ca-certificate-publisher-controller",
         "garbage-collector-controller"]


@pytest.mark.parametrize(("flags", "enabled"), [
    (["*"], NAMED),
    (["*", "-serviceaccount", "-garbagecollector"],
     ["namespace-controller", "root-ca-certificate-publisher-controller"]),
    (["-serviceaccount-controller", "-garbage-collector-controller", "*"],
     ["namespace-controller", "root-ca-certificate-publisher-controller"]),
    (["namespace"], ["namespace-controller"]),
    (["root-ca-cert-publisher", "-root-ca-cert-publisher"], ["root-ca-certificate-publisher-controller"]),
    ([], []),
])
def test_controllers_flag_as_kube_reads_it(flags: list[str], enabled: list[str]) -> None:
    others = [n for n in CONTROLLERS if n not in NAMED]
    got = enabled_controllers(flags)
    assert [n for n in got if n in NAMED] == enabled
    assert [n for n in got if n not in NAMED] == (others if "*" in flags else [])
    assert got == [n for n in CONTROLLERS if n in got], "in CONTROLLERS' order"


def test_unknown_controllers_are_refused() -> None:
    with pytest.raises(ValueError, match=r'^"garbage" is not in the list of known controllers$'):
        enabled_controllers(["*", "-garbage"])
    with pytest.raises(ValueError, match="customresourcecleanup"):
        enabled_controllers(["customresourcecleanup"])


def test_the_ca_is_kept_in_the_data_dir(tmp_path: pki.Path) -> None:
    first = pki.load_or_create_ca(tmp_path)
    assert pki.load_or_create_ca(tmp_path) == first
    assert (tmp_path / "pki" / "ca.key").stat().st_mode & 0o777 == 0o600
    cert = x509.load_pem_x509_certificate(first.cert_pem)
    assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
