"""Every CRD of the vendored real projects (``tests/data/crds``) is accepted, as on a real cluster.

Their ``x-kubernetes-validations`` rules are the test of the CEL cost estimate: Gateway API's
key checks over bounded maps, Crossplane's constant-cost rules on items of nested lists,
prometheus-operator's rules under unbounded lists. A CRD is created in-process and must be
answered 201.
"""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml

from setpoint.apiserver.http import Request, Response
from setpoint.apiserver.server import APIServer

DATA = Path(__file__).parent.parent / "data" / "crds"
CRDS = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """Go's YAML reads ``- =`` as the string "="; PyYAML as its ``value`` tag."""


_Loader.add_constructor("tag:yaml.org,2002:value", lambda loader, node: "=")


def _load() -> list[tuple[str, dict[str, Any]]]:
    out = []
    for path in sorted(DATA.glob("*.yaml.gz")):
        with gzip.open(path) as f:
            for doc in yaml.load_all(f, Loader=_Loader):
                if isinstance(doc, dict) and doc.get("kind") == "CustomResourceDefinition":
                    out.append((f"{path.name.removesuffix('.yaml.gz')}/{doc['metadata']['name']}", doc))
    return out


REAL_CRDS = _load()


def test_every_project_is_vendored() -> None:
    projects = {name.split("/")[0] for name, _ in REAL_CRDS}
    assert projects == {"argo-rollouts", "cert-manager", "crossplane", "gateway-api", "keda", "olm",
                        "prometheus-operator"}
    assert len(REAL_CRDS) >= 60


@pytest.mark.parametrize("crd", [c for _, c in REAL_CRDS], ids=[n for n, _ in REAL_CRDS])
async def test_real_crd_is_accepted(api: APIServer, crd: dict[str, Any]) -> None:
    body = orjson.dumps(crd)
    response = await api.handle(Request("POST", CRDS, query_string=b"",
                                        headers={"content-type": "application/json"}, body=body))
    assert isinstance(response, Response)
    out = orjson.loads(response.body)
    assert response.status == 201, out.get("message")
    assert out["metadata"]["name"] == crd["metadata"]["name"]
