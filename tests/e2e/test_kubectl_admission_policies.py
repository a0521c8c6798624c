"""ValidatingAdmissionPolicy and MutatingAdmissionPolicy applied with kubectl as ordinary YAML, against a
real ``setpoint up``. Every policy here is bound to the test's own namespace (its
``kubernetes.io/metadata.name`` label), so the session's other tests never meet it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from e2e_helpers import Kubectl, eventually

pytestmark = pytest.mark.e2e

POLICY = """
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata:
  name: @NAME@
spec:
  failurePolicy: Fail
  paramKind:
    apiVersion: v1
    kind: ConfigMap
  matchConstraints:
    resourceRules:
    - apiGroups: ["apps"]
      apiVersions: ["v1"]
      operations: ["CREATE", "UPDATE"]
      resources: ["deployments"]
  validations:
  - expression: "object.spec.replicas <= int(params.data.maxReplicas)"
    messageExpression: "'replicas must be no greater than ' + params.data.maxReplicas"
    reason: Invalid
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata:
  name: @NAME@
spec:
  policyName: @NAME@
  validationActions: [@ACTIONS@]
  paramRef:
    name: replica-limits
    parameterNotFoundAction: Deny
  matchResources:
    namespaceSelector:
      matchLabels:
        kubernetes.io/metadata.name: @NS@
"""

MUTATING = """
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingAdmissionPolicy
metadata:
  name: @NAME@
spec:
  matchConstraints:
    resourceRules:
    - apiGroups: [""]
      apiVersions: ["v1"]
      operations: ["CREATE"]
      resources: ["configmaps"]
  mutations:
  - patchType: ApplyConfiguration
    applyConfiguration:
      expression: "Object{metadata: Object.metadata{labels: {'owner': request.userInfo.username.replace(':', '-')}}}"
  - patchType: JSONPatch
    jsonPatch:
      expression: "[JSONPatch{op: 'add', path: '/data/stamped', value: 'yes'}]"
---
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingAdmissionPolicyBinding
metadata:
  name: @NAME@
spec:
  policyName: @NAME@
  matchResources:
    namespaceSelector:
      matchLabels:
        kubernetes.io/metadata.name: @NS@
"""


def _fill(template: str, name: str, ns: str, actions: str = "") -> str:
    return template.replace("@NAME@", name).replace("@NS@", ns).replace("@ACTIONS@", actions)


@pytest.fixture
def cleanup(kubectl: Kubectl) -> Iterator[list[str]]:
    """Names of cluster-scoped policy objects to delete afterwards (as ``kind/name``)."""
    made: list[str] = []
    yield made
    for ref in made:
        kubectl("delete", ref, "--ignore-not-found", check=False)


def _refused(kubectl: Kubectl, ns: str, replicas: int) -> str:
    r = kubectl.run("create", "deployment", "probe", "--image=nginx", f"--replicas={replicas}", "-n", ns,
                    "--dry-run=server", check=False)
    assert r.returncode != 0, r.stdout
    return r.stderr


def test_validating_policy_with_params_denies_with_kube_message(kubectl: Kubectl, ns: str,
                                                                cleanup: list[str]) -> None:
    name = f"max-replicas-{ns}"
    kubectl("create", "configmap", "replica-limits", "--from-literal=maxReplicas=3", "-n", ns)
    kubectl("apply", "-f", "-", input=_fill(POLICY, name, ns, "Deny"))
    cleanup += [f"validatingadmissionpolicybinding/{name}", f"validatingadmissionpolicy/{name}"]
    # Policies take effect once the server's watch cache has them, as on a cluster.
    stderr = eventually(lambda: _refused(kubectl, ns, 5))
    assert stderr.strip() == (
        f'error: failed to create deployment: deployments.apps "probe" is forbidden: ValidatingAdmissionPolicy '
        f"'{name}' with binding '{name}' denied request: replicas must be no greater than 3")
    r = kubectl.run("create", "deployment", "web", "--image=nginx", "--replicas=5", "-n", ns, check=False)
    assert r.returncode != 0
    assert kubectl.run("get", "deployment", "web", "-n", ns, check=False).returncode != 0  # nothing stored
    kubectl("create", "deployment", "web", "--image=nginx", "--replicas=3", "-n", ns)
    r = kubectl.run("patch", "deployment", "web", "-n", ns, "-p", '{"spec":{"replicas":4}}', check=False)
    assert r.returncode != 0 and "replicas must be no greater than 3" in r.stderr, r.stderr
    assert kubectl.out("get", "deployment", "web", "-n", ns, "-o", "jsonpath={.spec.replicas}") == "3"
    # kubectl get shows the policies with kube's columns.
    header = kubectl.out("get", "validatingadmissionpolicies", name).splitlines()[0].split()
    assert header == ["NAME", "VALIDATIONS", "PARAMKIND", "AGE"]


def test_warn_action_is_a_kubectl_warning(kubectl: Kubectl, ns: str, cleanup: list[str]) -> None:
    name = f"warn-replicas-{ns}"
    kubectl("create", "configmap", "replica-limits", "--from-literal=maxReplicas=2", "-n", ns)
    kubectl("apply", "-f", "-", input=_fill(POLICY, name, ns, "Warn"))
    cleanup += [f"validatingadmissionpolicybinding/{name}", f"validatingadmissionpolicy/{name}"]

    def warned() -> str:
        r = kubectl.run("create", "deployment", "probe", "--image=nginx", "--replicas=4", "-n", ns,
                        "--dry-run=server")
        assert "Warning:" in r.stderr, r.stderr
        return r.stderr
    stderr = eventually(warned)
    assert (f"Warning: Validation failed for ValidatingAdmissionPolicy '{name}' with binding '{name}': "
            "replicas must be no greater than 2") in stderr
    kubectl("create", "deployment", "web", "--image=nginx", "--replicas=4", "-n", ns)  # warned, not refused


def test_mutating_policy_labels_and_patches(kubectl: Kubectl, ns: str, cleanup: list[str]) -> None:
    name = f"stamp-{ns}"
    kubectl("apply", "-f", "-", input=_fill(MUTATING, name, ns))
    cleanup += [f"mutatingadmissionpolicybinding/{name}", f"mutatingadmissionpolicy/{name}"]

    def mutated() -> dict[str, object]:
        out = json.loads(kubectl.out("create", "configmap", "probe", "--from-literal=a=b", "-n", ns,
                                     "--dry-run=server", "-o", "json"))
        assert out["data"] == {"a": "b", "stamped": "yes"}, out
        return dict(out["metadata"]["labels"])
    labels = eventually(mutated)
    assert set(labels) == {"owner"}
    kubectl("create", "configmap", "real", "--from-literal=a=b", "-n", ns)
    stored = json.loads(kubectl.out("get", "configmap", "real", "-n", ns, "-o", "json"))
    assert stored["data"] == {"a": "b", "stamped": "yes"}
    assert stored["metadata"]["labels"] == labels


def test_official_client_reads_and_writes_policies(k8s: Any, ns: str, cleanup: list[str]) -> None:
    client = pytest.importorskip("kubernetes.client")
    api = client.AdmissionregistrationV1Api(k8s)
    name = f"client-{ns}"
    policy = client.V1ValidatingAdmissionPolicy(
        metadata=client.V1ObjectMeta(name=name),
        spec=client.V1ValidatingAdmissionPolicySpec(
            match_constraints=client.V1MatchResources(resource_rules=[client.V1NamedRuleWithOperations(
                api_groups=[""], api_versions=["v1"], operations=["CREATE"], resources=["configmaps"])]),
            validations=[client.V1Validation(expression="object.metadata.name != 'nope'")]))
    api.create_validating_admission_policy(policy)
    cleanup.append(f"validatingadmissionpolicy/{name}")
    read = api.read_validating_admission_policy(name)
    assert read.spec.failure_policy == "Fail"  # kube's default
    assert read.spec.match_constraints.match_policy == "Equivalent"
    assert read.spec.validations[0].expression == "object.metadata.name != 'nope'"
    names = [p.metadata.name for p in api.list_validating_admission_policy().items]
    assert name in names
