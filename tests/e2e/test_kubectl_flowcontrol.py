"""API Priority and Fairness seen from kubectl against ``setpoint up``: kube's bootstrap
configuration with kube's columns, and the PF headers on every response."""

from __future__ import annotations

from e2e_helpers import Kubectl


def test_bootstrap_configuration_in_kubes_columns(kubectl: Kubectl) -> None:
    lines = kubectl.out("get", "flowschemas").splitlines()
    assert lines[0].split() == ["NAME", "PRIORITYLEVEL", "MATCHINGPRECEDENCE", "DISTINGUISHERMETHOD", "AGE",
                                "MISSINGPL"]
    rows = {line.split()[0]: line.split() for line in lines[1:]}
    assert rows["exempt"][1:4] == ["exempt", "1", "<none>"]
    assert rows["system-leader-election"][1:4] == ["leader-election", "100", "ByUser"]
    assert rows["global-default"][1:4] == ["global-default", "9900", "ByUser"]
    assert rows["global-default"][-1] == "False"
    lines = kubectl.out("get", "prioritylevelconfigurations").splitlines()
    rows = {line.split()[0]: line.split() for line in lines[1:]}
    assert rows["exempt"][1:6] == ["Exempt", "<none>", "<none>", "<none>", "<none>"]
    assert rows["workload-low"][1:6] == ["Limited", "100", "128", "6", "50"]
    assert rows["catch-all"][1:6] == ["Limited", "5", "<none>", "<none>", "<none>"]


def test_responses_name_their_flow_schema_and_priority_level(kubectl: Kubectl) -> None:
    schemas = set(kubectl.out("get", "flowschemas", "-o", "jsonpath={.items[*].metadata.uid}").split())
    levels = set(kubectl.out("get", "prioritylevelconfigurations", "-o",
                             "jsonpath={.items[*].metadata.uid}").split())
    out = kubectl.run("get", "namespaces", "-v=8").stderr
    seen = {line.split(": ", 1)[0].split()[-1].lower(): line.split(": ", 1)[1].strip()
            for line in out.splitlines() if "X-Kubernetes-Pf-" in line and ": " in line}
    assert seen["x-kubernetes-pf-flowschema-uid"] in schemas, seen
    assert seen["x-kubernetes-pf-prioritylevel-uid"] in levels, seen
