"""Real projects' CRDs and their own example resources, through server-side apply.

The CRDs of cert-manager, prometheus-operator, Gateway API (standard channel), Crossplane, KEDA,
Argo Rollouts and OLM v1 (``tests/data/crds``) and the projects' own examples
(``tests/data/examples``, see the READMEs there for origins) go through what a user runs:
``kubectl apply --server-side``, i.e. ``PATCH`` with ``application/apply-patch+yaml``. Each CRD
must install, become ``Established`` and re-apply as a no-op; each valid example must be accepted
(and re-apply as a no-op); each invalid one refused with kube's 422 and a cause on the right field.

The bulk runs in-process against one API server for the module (CRDs installed once); one test
drives a real ``setpoint up`` with the real kubectl.
"""

from __future__ import annotations

import asyncio
import gzip
import re
import tarfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import orjson
import pytest
import pytest_asyncio
import yaml
from e2e_helpers import Kubectl, Server

from setpoint import storage
from setpoint.apiserver.http import Request, Response
from setpoint.apiserver.server import APIServer

Obj = dict[str, Any]

# --- CRDs refused today ----------------------------------------------------------------------
#: CRDs setpoint would refuse because its static CEL cost estimate (``cel/cost.py``) is higher than
#: kube's, so a rule looks over budget. Every test needing one (the CRD itself, and each example of
#: its kinds) is a strict xfail, so it fails loudly once it passes. Empty since the estimate matches
#: kube's for all these projects (it held Gateway API's Gateway and HTTPRoute, Crossplane's
#: Composition, CompositionRevision, Operation, CronOperation and WatchOperation, and
#: prometheus-operator's AlertmanagerConfig before).
CEL_COST_REFUSED: frozenset[str] = frozenset()
CEL_COST_REASON = "refused for its estimated CEL cost: setpoint's estimate is above kube's"

DATA = Path(__file__).resolve().parent.parent / "data"
APPLY = "application/apply-patch+yaml"
CRDS_PATH = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
MANAGER = "fieldManager=real-crds-test"

#: Examples the projects ship that their own CRDs refuse, on a real cluster as here: (file, field,
#: message). KEDA's sample leaves ``template:`` empty (null, pruned, then required); the
#: scrape-class ServiceMonitor omits ``selector``, which prometheus-operator's CRD requires.
REFUSED_BY_THEIR_OWN_CRDS: dict[tuple[str, str], tuple[str, str]] = {
    ("keda", "config/samples/keda_v1alpha1_scaledjob.yaml"): ("spec.jobTargetRef.template", "Required value"),
    ("prometheus-operator", "example/user-guides/scrapeclass/scrapeclass-example-servicemonitor.yaml"):
        ("spec.selector", "Required value"),
}

#: Gateway API's invalid examples (``hack/invalid-examples/standard``): the project records no
#: messages, so each must be a 422 Invalid whose causes are on these fields, each message holding
#: the text given (the CRD's own rule message where a CEL rule refuses it).
NOT_CHECKED = "some validation rules were not checked because the object was invalid"
GATEWAY_INVALID: dict[str, list[tuple[str, str]]] = {
    "gateway/duplicate-listeners.yaml": [
        ("spec.listeners[1]", 'Duplicate value: {"name":"same"}'),
        ("spec.listeners", "Listener name must be unique within the Gateway")],
    "gateway/hostname-tcp.yaml": [("spec.listeners", "hostname must not be specified for protocols ['TCP', 'UDP']")],
    "gateway/hostname-udp.yaml": [("spec.listeners", "hostname must not be specified for protocols ['TCP', 'UDP']")],
    "gateway/invalid-addresses.yaml": [("spec.addresses[9]", "Hostname value must be empty or contain only valid")],
    "gateway/invalid-listener-name.yaml": [("spec.listeners[0].name", "in body should match")],
    "gateway/invalid-listener-port.yaml": [("spec.listeners[0].port", "should be less than or equal to 65535")],
    "gateway/invalid-tls-mode.yaml": [("spec.listeners", "tls mode must be Terminate for protocol HTTPS")],
    "gateway/tlsconfig-tcp.yaml": [("spec.listeners", "tls must not be specified for protocols ['HTTP', 'TCP', 'UDP']")],
    "gatewayclass/invalid-controller.yaml": [("spec.controllerName", "in body should match")],
    "httproute/duplicate-header-match.yaml": [
        ("spec.rules[0].matches[0].headers[1]", 'Duplicate value: {"name":"foo"}')],
    "httproute/duplicate-query-match.yaml": [
        ("spec.rules[0].matches[0].queryParams[1]", 'Duplicate value: {"name":"foo"}')],
    "httproute/httproute-portless-backend.yaml": [
        ("spec.rules[0].backendRefs[0]", "Must have port for Service reference")],
    "httproute/httproute-portless-service.yaml": [
        ("spec.rules[0].backendRefs[0]", "Must have port for Service reference")],
    "httproute/invalid-backend-group.yaml": [("spec.rules[0].backendRefs[0].group", "in body should match")],
    "httproute/invalid-backend-kind.yaml": [("spec.rules[0].backendRefs[0].kind", "in body should match")],
    "httproute/invalid-backend-port.yaml": [
        ("spec.rules[0].backendRefs[0].port", "should be less than or equal to 65535")],
    "httproute/invalid-filter-duplicate-header.yaml": [
        ("spec.rules[0].filters[0].requestHeaderModifier.remove[1]", 'Duplicate value: "foo"')],
    "httproute/invalid-filter-duplicate.yaml": [
        ("spec.rules[0].filters", "RequestHeaderModifier filter cannot be repeated")],
    "httproute/invalid-filter-empty.yaml": [
        ("spec.rules[0].filters[0]", "filter.requestHeaderModifier must be specified for RequestHeaderModifier")],
    "httproute/invalid-filter-wrong-field.yaml": [
        ("spec.rules[0].filters[0]", "filter.requestHeaderModifier must be specified for RequestHeaderModifier"),
        ("spec.rules[0].filters[0]", "filter.requestRedirect must be nil if the filter.type is not RequestRedirect")],
    "httproute/invalid-header-name.yaml": [("spec.rules[0].matches[0].headers[0].name", "in body should match")],
    "httproute/invalid-hostname.yaml": [
        ("spec.hostnames[0]", "in body should match"),
        ("spec.rules[0].backendRefs[0]", "Must have port for Service reference")],
    "httproute/invalid-httpredirect-hostname.yaml": [
        ("spec.rules[0].filters[0].requestRedirect.hostname", "in body should match"),
        ("spec.rules[0]", "RequestRedirect filter must not be used together with backendRefs")],
    "httproute/invalid-method.yaml": [
        ("spec.rules[0].matches[0].method", 'Unsupported value: "NOTREAL"'), ("<nil>", NOT_CHECKED)],
    "httproute/invalid-path-alphanum-specialchars-mix.yaml": [
        ("spec.rules[0].matches[0].path", "must only contain valid characters")],
    "httproute/invalid-path-specialchars.yaml": [("spec.rules[0].matches[0].path", "must only contain valid characters")],
    "httproute/invalid-request-redirect-with-backendref.yaml": [
        ("spec.rules[0]", "RequestRedirect filter must not be used together with backendRefs")],
    "referencegrant/missing-from.yaml": [("spec.from", "Required value")],
    "referencegrant/missing-ns.yaml": [("spec.from[0].namespace", "Required value")],
    "referencegrant/missing-to.yaml": [("spec.to", "Required value")],
    "tlsroute/invalid-hostname.yaml": [
        ("spec.hostnames[0]", "in body should match"),
        ("spec.hostnames", "Hostnames must be valid based on RFC-1123"),
        ("spec.rules[0].backendRefs[0]", "Must have port for Service reference")],
    "tlsroute/no-hostname.yaml": [("spec.hostnames", "Required value"), ("<nil>", NOT_CHECKED)],
}
GATEWAY_INVALID_DIR = "hack/invalid-examples/standard/"

#: Crossplane's own validation scenarios (``test/e2e/apiextensions_{xrds,mrds,compositions}_test.go``
#: at the tag): files applied in order, each accepted (None) or refused with these causes, all from
#: the CRDs' CEL rules, transition rules (``oldSelf``) included.
IMMUTABLE = "Value is immutable"
LOWERCASE = "Plural name must be lowercase"
ACTIVE = "state cannot be changed once it becomes Active"
CROSSPLANE_DIR = "test/e2e/manifests/apiextensions/"
CROSSPLANE_SCENARIOS: dict[str, list[tuple[str, list[tuple[str, str]] | None]]] = {
    "xrd": [
        ("xrd/validation/xrd-valid.yaml", None),
        ("xrd/validation/xrd-valid-updated.yaml", None),
        ("xrd/validation/xrd-valid-updated-invalid.yaml", [("spec.claimNames", IMMUTABLE),
                                                           ("spec.claimNames", LOWERCASE)]),
        ("xrd/validation/xrd-immutable-updated.yaml", [("spec.group", IMMUTABLE)]),
        ("xrd/validation/xrd-invalid.yaml", [("spec.claimNames", LOWERCASE)]),
    ],
    "mrd": [
        ("mrd/validation/mrd-valid.yaml", None),
        ("mrd/validation/mrd-valid-updated.yaml", None),  # Inactive -> Active
        ("mrd/validation/mrd-valid-updated-invalid.yaml", [("spec.names", IMMUTABLE), ("spec.names", LOWERCASE),
                                                           ("spec.state", ACTIVE)]),
        ("mrd/validation/mrd-immutable-updated.yaml", [("spec.group", IMMUTABLE), ("spec.state", ACTIVE)]),
        ("mrd/validation/mrd-invalid.yaml", [("spec.names", IMMUTABLE), ("spec.names", LOWERCASE),
                                             ("spec.state", ACTIVE)]),
        ("mrd/validation/mrd-active-to-inactive.yaml", [("spec.state", ACTIVE)]),
    ],
    "mrd-defaulted": [("mrd/validation/mrd-defaulted.yaml", None)],
    "composition": [
        ("composition/validation/composition-valid.yaml", None),
        ("composition/validation/composition-invalid-missing-pipeline.yaml",
         [("spec", "an array of pipeline steps is required in Pipeline mode")]),
        ("composition/validation/composition-invalid-empty-pipeline.yaml",
         [("spec.pipeline", "should have at least 1 items")]),
        ("composition/validation/composition-invalid-duplicate-pipeline-steps.yaml",
         [("spec.pipeline[1]", 'Duplicate value: {"step":"one"}')]),
        ("composition/validation/composition-invalid-missing-secretref.yaml",
         [("spec.pipeline[0].credentials[0]", "the Secret source requires a secretRef")]),
    ],
}


# --- the data --------------------------------------------------------------------------------


class _GoYAMLLoader(yaml.CSafeLoader):
    """PyYAML reads a plain ``=`` as YAML 1.1's ``!!value``; Go's YAML reads the string ``=``."""


_GoYAMLLoader.add_constructor("tag:yaml.org,2002:value", lambda loader, node: loader.construct_scalar(node))


def _load_all(text: bytes) -> list[Any]:
    return [d for d in yaml.load_all(text, Loader=_GoYAMLLoader) if d]


@dataclass(frozen=True)
class CRD:
    project: str
    text: bytes = field(repr=False)  # the project's YAML document, as published
    body: Obj = field(repr=False, compare=False)

    @property
    def name(self) -> str:
        return str(self.body["metadata"]["name"])


@cache
def crds() -> tuple[CRD, ...]:
    out = []
    for path in sorted((DATA / "crds").glob("*.yaml.gz")):
        project = path.name.removesuffix(".yaml.gz")
        for text in gzip.decompress(path.read_bytes()).split(b"\n---\n"):
            if text.strip(b"-\n"):
                [body] = _load_all(text)
                out.append(CRD(project, text, body))
    return tuple(out)


@dataclass(frozen=True)
class Kind:
    crd: str
    plural: str
    namespaced: bool


@cache
def kinds() -> dict[tuple[str, str], Kind]:
    """(group, kind) of every vendored CRD."""
    return {(c.body["spec"]["group"], c.body["spec"]["names"]["kind"]):
            Kind(c.name, c.body["spec"]["names"]["plural"], c.body["spec"]["scope"] == "Namespaced")
            for c in crds()}


def kind_of(doc: Obj) -> Kind | None:
    group = str(doc.get("apiVersion", "")).rpartition("/")[0]
    return kinds().get((group, str(doc.get("kind"))))


@dataclass(frozen=True)
class Example:
    project: str
    path: str
    texts: tuple[bytes, ...] = field(repr=False, compare=False)  # the file's YAML documents, as written
    docs: tuple[Any, ...] = field(repr=False, compare=False)  # ... and as loaded

    @property
    def objects(self) -> list[Obj]:
        """The documents of one of the projects' kinds (a file's Deployments, Services, ... are not,
        nor fragments without a name, as prometheus-operator's scrape-class snippets)."""
        return [d for d in self.docs if isinstance(d, dict) and kind_of(d) is not None
                and (d.get("metadata") or {}).get("name")]

    def text_of(self, doc: Obj) -> bytes:
        return self.texts[next(i for i, d in enumerate(self.docs) if d is doc)]


_DOCUMENT_START = re.compile(rb"(?m)^---[ \t]*$")


@cache
def examples() -> tuple[Example, ...]:
    out = []
    for archive in sorted((DATA / "examples").glob("*/*.tar.gz")):
        with tarfile.open(archive) as tar:
            for member in sorted(tar.getmembers(), key=lambda m: m.name):
                if member.isfile() and member.name.endswith(".yaml"):
                    data = tar.extractfile(member)
                    assert data is not None
                    texts, docs = [], []
                    for text in _DOCUMENT_START.split(data.read()):
                        for doc in _load_all(text):  # one at most
                            texts.append(text)
                            docs.append(doc)
                    out.append(Example(archive.parent.name, member.name, tuple(texts), tuple(docs)))
    return tuple(out)


def _xfail_for(crd_names: set[str]) -> list[pytest.MarkDecorator]:
    refused = sorted(crd_names & CEL_COST_REFUSED)
    return [pytest.mark.xfail(strict=True, reason=f"needs {', '.join(refused)}: {CEL_COST_REASON}")] if refused else []


def _crd_params() -> list[Any]:
    return [pytest.param(c, id=c.name, marks=_xfail_for({c.name})) for c in crds()]


def _example_params(valid: bool) -> list[Any]:
    out = []
    for ex in examples():
        if ex.path.startswith(CROSSPLANE_DIR):
            continue  # test_crossplane_validation_scenario
        invalid = ex.path.startswith(GATEWAY_INVALID_DIR) or (ex.project, ex.path) in REFUSED_BY_THEIR_OWN_CRDS
        objects = ex.objects
        if invalid == valid or not objects:
            continue
        needs = {k.crd for d in objects if (k := kind_of(d)) is not None}
        out.append(pytest.param(ex, id=f"{ex.project}:{ex.path}", marks=_xfail_for(needs)))
    return out


# --- one in-process server for the module ----------------------------------------------------


@dataclass
class Cluster:
    api: APIServer
    installed: dict[str, tuple[int, Obj]]  # CRD name -> (status, answer) of its first apply

    async def call(self, method: str, path: str, body: bytes | Obj | None = None, *, query: str = "",
                   content_type: str = "application/json") -> tuple[int, Obj]:
        headers = {"content-type": content_type} if body is not None else {}
        raw = b"" if body is None else body if isinstance(body, bytes) else orjson.dumps(body)
        response = await self.api.handle(Request(method, path, query_string=query.encode(), headers=headers,
                                                 body=raw))
        assert isinstance(response, Response)
        out: Obj = orjson.loads(response.body)
        return response.status, out

    async def apply(self, path: str, text: bytes) -> tuple[int, Obj]:
        """What ``kubectl apply --server-side`` does, but with the project's YAML document as it
        is written (kubectl would send JSON): the server's YAML decoding is on the path too."""
        return await self.call("PATCH", path, text, query=MANAGER, content_type=APPLY)


def object_path(doc: Obj, kind: Kind) -> str:
    meta = doc["metadata"]
    where = f"namespaces/{meta.get('namespace', 'default')}/" if kind.namespaced else ""
    return f"/apis/{doc['apiVersion']}/{where}{kind.plural}/{meta['name']}"


def established(crd: Obj) -> bool:
    return any(c.get("type") == "Established" and c.get("status") == "True"
               for c in (crd.get("status") or {}).get("conditions") or [])


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def cluster() -> AsyncIterator[Cluster]:
    """Every CRD applied once, the ones accepted waited for until Established, and every
    Namespace the examples create."""
    store = await storage.open_storage("memory://", compact_interval=0)
    api = APIServer(store)
    await api.start("127.0.0.1", 0)
    c = Cluster(api, {})
    try:
        for crd in crds():
            # The published YAML itself (kubectl would send it as JSON): the server reads the YAML.
            c.installed[crd.name] = await c.call("PATCH", f"{CRDS_PATH}/{crd.name}", crd.text,
                                                 query=MANAGER, content_type=APPLY)
        accepted = {name for name, (status, _) in c.installed.items() if status in (200, 201)}
        async with asyncio.timeout(30):
            while True:
                _, listed = await c.call("GET", CRDS_PATH)
                if all(established(i) for i in listed["items"] if i["metadata"]["name"] in accepted):
                    break
                await asyncio.sleep(0.05)
        for ex in examples():
            for doc in ex.docs:
                if isinstance(doc, dict) and doc.get("kind") == "Namespace" and doc.get("apiVersion") == "v1":
                    status, _ = await c.call("POST", "/api/v1/namespaces", doc)
                    assert status in (201, 409)
        yield c
    finally:
        await api.stop()
        await store.close()


module_loop = pytest.mark.asyncio(loop_scope="module")


# --- CRDs ------------------------------------------------------------------------------------


@module_loop
@pytest.mark.parametrize("crd", _crd_params())
async def test_crd_installs_by_server_side_apply_is_established_and_reapplies_as_a_no_op(
        cluster: Cluster, crd: CRD) -> None:
    status, created = cluster.installed[crd.name]
    assert status == 201, created.get("message")
    status, got = await cluster.call("GET", f"{CRDS_PATH}/{crd.name}")
    assert status == 200 and established(got), got.get("status")
    assert [e["manager"] for e in got["metadata"]["managedFields"] if e["operation"] == "Apply"] == ["real-crds-test"]
    # Applying it again (after the status writes; as JSON, as kubectl sends it) changes nothing.
    status, again = await cluster.call("PATCH", f"{CRDS_PATH}/{crd.name}", orjson.dumps(crd.body),
                                       query=MANAGER, content_type=APPLY)
    assert status == 200, again.get("message")
    assert again["metadata"]["resourceVersion"] == got["metadata"]["resourceVersion"]
    assert again["metadata"]["managedFields"] == got["metadata"]["managedFields"]
    # Every served version answers a list.
    spec = crd.body["spec"]
    for version in spec["versions"]:
        if version["served"]:
            status, listed = await cluster.call("GET", f"/apis/{spec['group']}/{version['name']}/{spec['names']['plural']}")
            assert status == 200 and listed["kind"] == spec["names"]["listKind"]


def test_cel_cost_set_names_vendored_crds() -> None:
    assert {c.name for c in crds()} >= CEL_COST_REFUSED


@module_loop
async def test_yaml_apply_body_reads_equals_items_as_go_does(cluster: Cluster) -> None:
    """AlertmanagerConfig's matcher ``matchType`` enum lists ``- =``: Go's YAML reads the string
    "=", PyYAML alone fails on it (YAML 1.1's ``!!value``). Its YAML apply body must not be a 400;
    were its CEL cost refused, that would be the only refusal."""
    crd = next(c for c in crds() if c.name == "alertmanagerconfigs.monitoring.coreos.com")
    assert b"\n                            - =\n                            - =~\n" in crd.text
    status, out = cluster.installed[crd.name]
    if status == 422:
        assert {c["reason"] for c in out["details"]["causes"]} == {"FieldValueForbidden"}
        assert all("cost" in c["message"] for c in out["details"]["causes"]), out["details"]["causes"]
    else:
        assert status == 201, out
        assert b'"enum":["!=","=","=~","!~"]' in orjson.dumps(out["spec"])


# --- examples --------------------------------------------------------------------------------


@module_loop
@pytest.mark.parametrize("example", _example_params(valid=True))
async def test_valid_example_is_accepted_and_reapplies_as_a_no_op(cluster: Cluster, example: Example) -> None:
    applied: list[tuple[str, Obj]] = []
    try:
        for doc in example.objects:
            kind = kind_of(doc)
            assert kind is not None
            path = object_path(doc, kind)
            status, out = await cluster.apply(path, example.text_of(doc))
            assert status in (200, 201), (doc["kind"], doc["metadata"]["name"], out.get("message"))
            assert out["metadata"]["managedFields"][0]["manager"] == "real-crds-test"
            applied.append((path, out))
        for (path, first), doc in zip(applied, example.objects, strict=True):
            status, again = await cluster.apply(path, example.text_of(doc))
            assert status == 200, again.get("message")
            assert again["metadata"]["resourceVersion"] == first["metadata"]["resourceVersion"], path
    finally:
        for path, _ in applied:  # the next file may use the same names with other contents
            await cluster.call("DELETE", path)


@module_loop
@pytest.mark.parametrize("example", _example_params(valid=False))
async def test_invalid_example_is_refused_with_causes_on_its_fields(cluster: Cluster, example: Example) -> None:
    if example.path.startswith(GATEWAY_INVALID_DIR):
        want = GATEWAY_INVALID[example.path.removeprefix(GATEWAY_INVALID_DIR)]
    else:
        want = [REFUSED_BY_THEIR_OWN_CRDS[example.project, example.path]]
    [doc] = example.objects
    kind = kind_of(doc)
    assert kind is not None
    path = object_path(doc, kind)
    await _refused(cluster, doc, example.text_of(doc), want)
    status, _ = await cluster.call("GET", path)  # refused means not written
    assert status == 404


async def _refused(cluster: Cluster, doc: Obj, text: bytes, want: list[tuple[str, str]]) -> None:
    """Applying ``doc`` is kube's 422 Invalid with causes on exactly ``want``'s fields, each
    message holding its text; nothing is written."""
    kind = kind_of(doc)
    assert kind is not None
    path = object_path(doc, kind)
    _, before = await cluster.call("GET", path)
    status, out = await cluster.apply(path, text)
    assert status == 422, out
    assert out["reason"] == "Invalid" and out["details"]["kind"] == doc["kind"]
    assert out["message"].startswith(f'{doc["kind"]}.{kind.crd.partition(".")[2]} "{doc["metadata"]["name"]}" is invalid: ')
    causes = sorted((c["field"], c["message"]) for c in out["details"]["causes"])
    assert [f for f, _ in causes] == sorted(f for f, _ in want), causes
    for fld, text in want:
        assert any(f == fld and text in m for f, m in causes), (fld, text, causes)
    _, after = await cluster.call("GET", path)
    assert after == before


def _scenario_params() -> list[Any]:
    return [pytest.param(name, id=name, marks=_xfail_for({"compositions.apiextensions.crossplane.io"}
                                                         if name == "composition" else set()))
            for name in CROSSPLANE_SCENARIOS]


@module_loop
@pytest.mark.parametrize("scenario", _scenario_params())
async def test_crossplane_validation_scenario(cluster: Cluster, scenario: str) -> None:
    files = {ex.path: ex for ex in examples() if ex.project == "crossplane"}
    written: set[str] = set()
    try:
        for name, want in CROSSPLANE_SCENARIOS[scenario]:
            example = files[CROSSPLANE_DIR + name]
            [doc] = example.objects
            kind = kind_of(doc)
            assert kind is not None
            if want is not None:
                await _refused(cluster, doc, example.text_of(doc), want)
                continue
            status, out = await cluster.apply(object_path(doc, kind), example.text_of(doc))
            assert status in (200, 201), (name, out.get("message"))
            assert out["metadata"]["name"] == doc["metadata"]["name"]
            written.add(object_path(doc, kind))
            if name.endswith("mrd-defaulted.yaml"):
                assert out["spec"]["state"] == "Inactive"  # the CRD's default
    finally:
        for path in written:
            await cluster.call("DELETE", path)


def test_every_gateway_invalid_example_has_expectations() -> None:
    files = {ex.path.removeprefix(GATEWAY_INVALID_DIR) for ex in examples()
             if ex.path.startswith(GATEWAY_INVALID_DIR)}
    assert files == set(GATEWAY_INVALID)
    assert {(ex.project, ex.path) for ex in examples()} >= set(REFUSED_BY_THEIR_OWN_CRDS)
    crossplane = {ex.path.removeprefix(CROSSPLANE_DIR) for ex in examples()
                  if ex.project == "crossplane" and ex.path.startswith(CROSSPLANE_DIR)}
    assert crossplane == {name for steps in CROSSPLANE_SCENARIOS.values() for name, _ in steps}


# --- through a real setpoint up and kubectl --------------------------------------------------


@pytest.fixture
def cert_manager_file(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "cert-manager.crds.yaml"
    path.write_bytes(gzip.decompress((DATA / "crds" / "cert-manager.yaml.gz").read_bytes()))
    yield path


@pytest.mark.e2e
def test_kubectl_server_side_applies_cert_manager_crds_and_examples(
        server: Server, kubectl: Kubectl, cert_manager_file: Path, tmp_path: Path) -> None:
    names = [c.name for c in crds() if c.project == "cert-manager"]
    out = kubectl.out("apply", "--server-side", "-f", str(cert_manager_file))
    assert sorted(out.split()) == sorted([f"customresourcedefinition.apiextensions.k8s.io/{n}" for n in names]
                                         + ["serverside-applied"] * len(names))
    kubectl("wait", "--for=condition=Established", "--timeout=30s", *[f"crd/{n}" for n in names])
    jsonpath = "-o=jsonpath={range .items[*]}{.metadata.name}={.metadata.resourceVersion} {end}"
    before = kubectl.out("get", "crd", *names, jsonpath)
    kubectl("apply", "--server-side", "-f", str(cert_manager_file))
    assert kubectl.out("get", "crd", *names, jsonpath) == before  # a no-op

    # The project's own resources (an Issuer and two Certificates), then kubectl's table of them.
    resources = next(ex for ex in examples() if ex.path == "test/fixtures/cert-manager-resources.yaml")
    manifest = tmp_path / "resources.yaml"
    manifest.write_bytes(b"\n---\n".join(resources.texts))
    try:
        out = kubectl.out("apply", "--server-side", "-f", str(manifest))
        assert out.split("\n")[:3] == ["issuer.cert-manager.io/selfsigned-issuer serverside-applied",
                                      "certificate.cert-manager.io/test1 serverside-applied",
                                      "certificate.cert-manager.io/test2 serverside-applied"]
        # The CRD's printer columns (Ready is empty: no controller sets the condition).
        header, row = kubectl.out("get", "certificates", "-n", "default", "-l", "test=first").splitlines()
        assert header.split() == ["NAME", "READY", "SECRET", "AGE"]
        assert row.split()[:2] == ["test1", "test1"]
    finally:
        kubectl("delete", "-f", str(manifest), "--ignore-not-found", "--wait=false")
        kubectl("delete", "-f", str(cert_manager_file), "--ignore-not-found", "--wait=false")
