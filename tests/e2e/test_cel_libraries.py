"""CRDs whose rules use kube's CEL libraries and optional selection, and whose patterns are Go
regexps, through kubectl."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from e2e_helpers import Kubectl

GROUP, PLURAL, KIND = "cellib.e2e.example.com", "endpoints", "Endpoint"

SPEC_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "address": {"type": "string", "maxLength": 64,
                    "x-kubernetes-validations": [{"rule": "isIP(self)", "message": "must be an IP"}]},
        "network": {"type": "string", "maxLength": 64,
                    "x-kubernetes-validations": [{"rule": "isCIDR(self) && cidr(self).prefixLength() >= 8",
                                                  "message": "must be a CIDR of /8 or longer"}]},
        "severity": {"type": "string", "pattern": "^(?i)(abort|warn)?$"},  # prometheus-operator
        "version": {"type": "string", "maxLength": 32,
                    "x-kubernetes-validations": [{"rule": "isSemver(self, true)"}]},
    },
    "x-kubernetes-validations": [
        {"rule": "!has(self.address) || !has(self.network) || cidr(self.network).containsIP(self.address)",
         "message": "address must be in network"},
        {"rule": "self.?version.orValue('1.0.0') != '0.0.0'", "message": "version 0.0.0 is reserved"},
    ],
}


def _crd() -> dict[str, Any]:
    return {
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{PLURAL}.{GROUP}"},
        "spec": {"group": GROUP, "scope": "Namespaced",
                 "names": {"plural": PLURAL, "singular": "endpoint", "kind": KIND},
                 "versions": [{"name": "v1", "served": True, "storage": True, "schema": {"openAPIV3Schema": {
                     "type": "object", "properties": {"spec": SPEC_SCHEMA}}}}]},
    }


def _cr(ns: str, name: str, spec: dict[str, Any]) -> str:
    return yaml.safe_dump({"apiVersion": f"{GROUP}/v1", "kind": KIND,
                           "metadata": {"name": name, "namespace": ns}, "spec": spec})


def test_ip_cidr_semver_rules_and_go_patterns(kubectl: Kubectl, ns: str, tmp_path: Path) -> None:
    f = tmp_path / "crd.yaml"
    f.write_text(yaml.safe_dump(_crd()))
    kubectl("apply", "-f", str(f))
    try:
        kubectl("wait", "--for", "condition=Established", f"crd/{PLURAL}.{GROUP}", "--timeout=30s")
        good = {"address": "10.1.2.3", "network": "10.0.0.0/8", "severity": "WARN", "version": "v1.2"}
        assert kubectl.out("apply", "-f", "-", input=_cr(ns, "good", good)) == f"endpoint.{GROUP}/good created\n"

        bad = {"address": "10.1.2.300", "network": "11.0.0.0/4", "severity": "page", "version": "one"}
        r = kubectl("apply", "-f", "-", input=_cr(ns, "bad", bad), check=False)
        assert r.returncode == 1
        assert "spec.address: Invalid value: \"string\": must be an IP" in r.stderr
        assert "spec.network: Invalid value: \"string\": must be a CIDR of /8 or longer" in r.stderr
        assert "spec.severity: Invalid value: \"page\": spec.severity in body should match '^(?i)(abort|warn)?$'" \
            in r.stderr
        assert "spec.version: Invalid value: \"string\": failed rule: isSemver(self, true)" in r.stderr

        outside = {"address": "192.168.0.1", "network": "10.0.0.0/8"}
        r = kubectl("apply", "-f", "-", input=_cr(ns, "outside", outside), check=False)
        assert r.returncode == 1
        assert "spec: Invalid value: \"object\": address must be in network" in r.stderr
        r = kubectl("apply", "-f", "-", input=_cr(ns, "reserved", {"version": "0.0.0"}), check=False)
        assert r.returncode == 1
        assert "spec: Invalid value: \"object\": version 0.0.0 is reserved" in r.stderr
        assert kubectl.out("apply", "-f", "-", input=_cr(ns, "bare", {})) == f"endpoint.{GROUP}/bare created\n"
        assert kubectl.out("get", f"{PLURAL}.{GROUP}", "-n", ns, "-o", "name") == (
            f"endpoint.{GROUP}/bare\nendpoint.{GROUP}/good\n")
    finally:
        kubectl("delete", "crd", f"{PLURAL}.{GROUP}", check=False)
