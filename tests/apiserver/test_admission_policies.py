"""ValidatingAdmissionPolicy and MutatingAdmissionPolicy through the in-process server's HTTP handler."""

from __future__ import annotations

from typing import Any

import orjson

from setpoint.apiserver.http import Request, Response
from setpoint.apiserver.server import APIServer
from setpoint.testing import eventually

Obj = dict[str, Any]
AR = "/apis/admissionregistration.k8s.io/v1"
DEPLOYS = "/apis/apps/v1/namespaces/default/deployments"
CMS = "/api/v1/namespaces/default/configmaps"


async def call(api: APIServer, method: str, path: str, body: Obj | None = None) -> tuple[int, Obj, list[str]]:
    path, _, query = path.partition("?")
    request = Request(method, path, query_string=query.encode(),
                      headers={"content-type": "application/json", "accept": "application/json"},
                      body=orjson.dumps(body) if body is not None else b"")
    response = await api.handle(request)
    assert isinstance(response, Response)
    warnings = [v for k, v in (response.headers or []) if k.lower() == "warning"]
    return response.status, orjson.loads(response.body), warnings


def deployment(name: str, replicas: int = 1, labels: dict[str, str] | None = None) -> Obj:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "labels": labels or {}},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [{"name": "app", "image": "nginx"}]}}}}


def vap(name: str, *validations: Obj, **spec: Any) -> Obj:
    base: Obj = {"matchConstraints": {"resourceRules": [{"apiGroups": ["apps"], "apiVersions": ["v1"],
                                                         "operations": ["CREATE", "UPDATE"],
                                                         "resources": ["deployments"]}]},
                 "validations": list(validations)}
    return {"apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingAdmissionPolicy",
            "metadata": {"name": name}, "spec": {**base, **spec}}


def binding(name: str, policy: str, actions: list[str] | None = None, **spec: Any) -> Obj:
    return {"apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingAdmissionPolicyBinding",
            "metadata": {"name": name},
            "spec": {"policyName": policy, "validationActions": actions or ["Deny"], **spec}}


async def install(api: APIServer, policy: Obj, bind: Obj, probe: Obj | None = None, path: str = DEPLOYS) -> None:
    """Create the policy and its binding, and wait until ``probe`` (a write the policy refuses) is refused."""
    status, out, _ = await call(api, "POST", f"{AR}/validatingadmissionpolicies", policy)
    assert status == 201, out
    status, out, _ = await call(api, "POST", f"{AR}/validatingadmissionpolicybindings", bind)
    assert status == 201, out
    if probe is not None:
        async def refused() -> bool:
            status, out, _ = await call(api, "POST", path + "?dryRun=All", probe)
            assert status in (201, 403, 422), out
            return status != 201
        await eventually(refused)


REPLICAS = {"expression": "object.spec.replicas <= 5", "message": "at most 5 replicas"}


async def test_deny_with_kube_message_and_nothing_stored(api: APIServer) -> None:
    await install(api, vap("max-replicas", REPLICAS), binding("max-replicas-binding", "max-replicas"),
                  deployment("probe", 9))
    status, out, _ = await call(api, "POST", DEPLOYS, deployment("web", 6))
    assert status == 422, out
    cause = "ValidatingAdmissionPolicy 'max-replicas' with binding 'max-replicas-binding' denied request: at most 5 replicas"
    assert out["reason"] == "Invalid"
    assert out["message"] == f'deployments.apps "web" is forbidden: {cause}'
    assert out["details"] == {"name": "web", "group": "apps", "kind": "deployments", "causes": [{"message": cause}]}
    status, _, _ = await call(api, "GET", f"{DEPLOYS}/web")
    assert status == 404  # a refused create stores nothing
    status, out, _ = await call(api, "POST", DEPLOYS, deployment("web", 5))
    assert status == 201, out
    # updates are checked too, and a refused update changes nothing
    request = Request("PATCH", f"{DEPLOYS}/web", headers={"content-type": "application/merge-patch+json"},
                      body=b'{"spec":{"replicas":7}}')
    response = await api.handle(request)
    assert isinstance(response, Response) and response.status == 422
    status, out, _ = await call(api, "GET", f"{DEPLOYS}/web")
    assert out["spec"]["replicas"] == 5


async def test_message_expression_reason_and_variables(api: APIServer) -> None:
    policy = vap("named", {"expression": "variables.prefixed", "reason": "Forbidden",
                           "messageExpression": "'name ' + object.metadata.name + ' must start with ' + variables.p"},
                 variables=[{"name": "p", "expression": "'team-'"},
                            {"name": "prefixed", "expression": "object.metadata.name.startsWith(variables.p)"}])
    await install(api, policy, binding("named", "named"), deployment("probe"))
    status, out, _ = await call(api, "POST", DEPLOYS, deployment("web"))
    assert status == 403 and out["reason"] == "Forbidden"
    assert out["details"]["causes"][0]["message"].endswith("denied request: name web must start with team-")
    status, out, _ = await call(api, "POST", DEPLOYS, deployment("team-web"))
    assert status == 201, out


async def test_params_from_a_configmap(api: APIServer) -> None:
    status, out, _ = await call(api, "POST", CMS, {"apiVersion": "v1", "kind": "ConfigMap",
                                                   "metadata": {"name": "limits"}, "data": {"max": "3"}})
    assert status == 201, out
    policy = vap("param-replicas", {"expression": "object.spec.replicas <= int(params.data.max)",
                                    "messageExpression": "'replicas must be at most ' + params.data.max"},
                 paramKind={"apiVersion": "v1", "kind": "ConfigMap"})
    bind = binding("param-replicas", "param-replicas",
                   paramRef={"name": "limits", "namespace": "default", "parameterNotFoundAction": "Deny"})
    await install(api, policy, bind, deployment("probe", 4))
    status, out, _ = await call(api, "POST", DEPLOYS, deployment("web", 4))
    assert status == 422
    assert out["details"]["causes"][0]["message"] == (
        "ValidatingAdmissionPolicy 'param-replicas' with binding 'param-replicas' denied request: "
        "replicas must be at most 3")
    status, out, _ = await call(api, "POST", DEPLOYS, deployment("web", 3))
    assert status == 201, out
    # A missing param with parameterNotFoundAction: Deny refuses every request the binding matches.
    status, out, _ = await call(api, "DELETE", f"{CMS}/limits")
    assert status == 200

    async def no_params() -> bool:
        status, out, _ = await call(api, "POST", DEPLOYS + "?dryRun=All", deployment("other", 1))
        assert status == 422, out
        assert out["details"]["causes"][0]["message"] == (
            "ValidatingAdmissionPolicy 'param-replicas' with binding 'param-replicas' denied request: failed to "
            "configure binding: no params found for policy binding with `Deny` parameterNotFoundAction")
        return True
    await eventually(no_params)


async def test_warn_action_gives_a_warning_header(api: APIServer) -> None:
    await install(api, vap("warn-replicas", REPLICAS), binding("warn-replicas", "warn-replicas", ["Warn", "Audit"]))

    async def warned() -> bool:
        status, out, warnings = await call(api, "POST", DEPLOYS + "?dryRun=All", deployment("web", 8))
        assert status == 201, out
        assert warnings == ['299 - "Validation failed for ValidatingAdmissionPolicy \'warn-replicas\' with binding '
                            '\'warn-replicas\': at most 5 replicas"']
        return True
    await eventually(warned)


async def test_match_conditions_and_namespace_selector_exclude(api: APIServer) -> None:
    status, out, _ = await call(api, "POST", "/api/v1/namespaces", {
        "apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "prod", "labels": {"env": "prod"}}})
    assert status == 201, out
    policy = vap("cond", REPLICAS, matchConditions=[
        {"name": "not-exempt", "expression": "!has(object.metadata.labels) || !('exempt' in object.metadata.labels)"}])
    bind = binding("cond", "cond", matchResources={"namespaceSelector": {"matchLabels": {"env": "prod"}}})
    await install(api, policy, bind, deployment("probe", 9), path="/apis/apps/v1/namespaces/prod/deployments")
    prod = "/apis/apps/v1/namespaces/prod/deployments"
    status, _, _ = await call(api, "POST", prod, deployment("big", 9))
    assert status == 422
    status, out, _ = await call(api, "POST", prod, deployment("big", 9, {"exempt": "yes"}))
    assert status == 201, out  # matchConditions exclude it
    status, out, _ = await call(api, "POST", DEPLOYS, deployment("big", 9))
    assert status == 201, out  # the namespaceSelector excludes default


async def test_failure_policy_on_runtime_error(api: APIServer) -> None:
    broken = {"expression": "object.spec.missing > 1"}
    await install(api, vap("fail", broken), binding("fail", "fail"), deployment("probe"))
    status, out, _ = await call(api, "POST", DEPLOYS, deployment("web"))
    assert status == 422
    assert out["details"]["causes"][0]["message"] == (
        "ValidatingAdmissionPolicy 'fail' with binding 'fail' denied request: "
        "expression 'object.spec.missing > 1' resulted in error: no such key: missing")
    _, current, _ = await call(api, "GET", f"{AR}/validatingadmissionpolicies/fail")
    current["spec"]["failurePolicy"] = "Ignore"
    status, out, _ = await call(api, "PUT", f"{AR}/validatingadmissionpolicies/fail", current)
    assert status == 200, out

    async def ignored() -> bool:
        status, out, _ = await call(api, "POST", DEPLOYS + "?dryRun=All", deployment("web"))
        assert status == 201, out
        return True
    await eventually(ignored)


async def test_policy_validation_and_defaults(api: APIServer) -> None:
    status, out, _ = await call(api, "POST", f"{AR}/validatingadmissionpolicies",
                                vap("bad", {"expression": "object.spec.replicas <"}, failurePolicy="Sometimes"))
    assert status == 422
    fields = {c["field"]: c["message"] for c in out["details"]["causes"]}
    assert fields["spec.failurePolicy"] == 'Unsupported value: "Sometimes": supported values: "Fail", "Ignore"'
    assert fields["spec.validations[0].expression"].startswith(
        'Invalid value: "object.spec.replicas <": compilation failed: ERROR: <input>:1:')
    status, out, _ = await call(api, "POST", f"{AR}/validatingadmissionpolicies", vap("ok", REPLICAS))
    assert status == 201
    assert out["spec"]["failurePolicy"] == "Fail"
    assert out["spec"]["matchConstraints"]["matchPolicy"] == "Equivalent"
    assert out["spec"]["matchConstraints"]["resourceRules"][0]["scope"] == "*"
    nothing = binding("nothing", "")
    del nothing["spec"]["validationActions"]
    status, out, _ = await call(api, "POST", f"{AR}/validatingadmissionpolicybindings", nothing)
    assert status == 422
    assert [c["field"] for c in out["details"]["causes"]] == ["spec.policyName", "spec.validationActions"]


def mutating_policy(name: str, *mutations: Obj, **spec: Any) -> Obj:
    return {"apiVersion": "admissionregistration.k8s.io/v1", "kind": "MutatingAdmissionPolicy",
            "metadata": {"name": name},
            "spec": {"matchConstraints": {"resourceRules": [{"apiGroups": ["apps"], "apiVersions": ["v1"],
                                                             "operations": ["CREATE"],
                                                             "resources": ["deployments"]}]},
                     "mutations": list(mutations), **spec}}


async def test_mutating_policy_apply_configuration_and_json_patch(api: APIServer) -> None:
    policy = mutating_policy(
        "defaults",
        {"patchType": "ApplyConfiguration", "applyConfiguration": {"expression": (
            "Object{metadata: Object.metadata{labels: {'team': 'platform'}}}")}},
        {"patchType": "JSONPatch", "jsonPatch": {"expression": (
            "[JSONPatch{op: 'replace', path: '/spec/replicas', value: object.spec.replicas > 3 ? 3 : "
            "object.spec.replicas}, JSONPatch{op: 'add', path: '/metadata/annotations', value: {}}, "
            "JSONPatch{op: 'add', path: '/metadata/annotations/' + jsonpatch.escapeKey('example.com/mutated'), "
            "value: 'true'}]")}})
    status, out, _ = await call(api, "POST", f"{AR}/mutatingadmissionpolicies", policy)
    assert status == 201, out
    bind = {"apiVersion": "admissionregistration.k8s.io/v1", "kind": "MutatingAdmissionPolicyBinding",
            "metadata": {"name": "defaults"}, "spec": {"policyName": "defaults"}}
    status, out, _ = await call(api, "POST", f"{AR}/mutatingadmissionpolicybindings", bind)
    assert status == 201, out

    async def mutated() -> Obj:
        status, out, _ = await call(api, "POST", DEPLOYS + "?dryRun=All", deployment("probe", 9, {"app": "probe"}))
        assert status == 201, out
        assert out["metadata"]["labels"] == {"app": "probe", "team": "platform"}
        return out
    await eventually(mutated)
    status, out, _ = await call(api, "POST", DEPLOYS, deployment("web", 9, {"app": "web"}))
    assert status == 201, out
    assert out["metadata"]["labels"] == {"app": "web", "team": "platform"}
    assert out["spec"]["replicas"] == 3
    assert out["metadata"]["annotations"] == {"example.com/mutated": "true"}


async def test_mutating_policy_refuses_atomic_apply_and_reports_errors(api: APIServer) -> None:
    policy = mutating_policy("atomic", {"patchType": "ApplyConfiguration", "applyConfiguration": {"expression": (
        "Object{spec: Object.spec{selector: Object.spec.selector{matchLabels: {'a': 'b'}}}}")}})
    status, out, _ = await call(api, "POST", f"{AR}/mutatingadmissionpolicies", policy)
    assert status == 201, out
    bind = {"apiVersion": "admissionregistration.k8s.io/v1", "kind": "MutatingAdmissionPolicyBinding",
            "metadata": {"name": "atomic"}, "spec": {"policyName": "atomic"}}
    status, out, _ = await call(api, "POST", f"{AR}/mutatingadmissionpolicybindings", bind)
    assert status == 201, out

    async def refused() -> bool:
        status, out, _ = await call(api, "POST", DEPLOYS + "?dryRun=All", deployment("web"))
        assert status == 403, out
        return True
    await eventually(refused)
    status, out, _ = await call(api, "POST", DEPLOYS, deployment("web"))
    assert status == 403, out
    assert out["reason"] == "Invalid"
    assert out["message"] == (
        'deployments.apps "web" is forbidden: policy \'atomic\' with binding \'atomic\' denied request: error '
        "applying patch: invalid ApplyConfiguration: may not mutate atomic arrays, maps or structs: .spec.selector")
    status, _, _ = await call(api, "GET", f"{DEPLOYS}/web")
    assert status == 404


async def test_authorizer_and_request_variables(api: APIServer) -> None:
    policy = vap("authz", {"expression": (
        "authorizer.group('apps').resource('deployments').namespace(request.namespace).check('delete').allowed() && "
        "authorizer.requestResource.check(request.operation == 'CREATE' ? 'create' : 'update').allowed() && "
        "request.userInfo.username == 'system:admin' && namespaceObject.metadata.name == 'default' && "
        "object.metadata.name != 'forbidden'")})
    await install(api, policy, binding("authz", "authz"), deployment("forbidden"))
    status, out, _ = await call(api, "POST", DEPLOYS, deployment("web"))
    assert status == 201, out  # the default authorizer allows everything
    status, out, _ = await call(api, "POST", DEPLOYS, deployment("forbidden"))
    assert status == 422, out


async def test_delete_sees_old_object_and_is_refused(api: APIServer) -> None:
    status, out, _ = await call(api, "POST", CMS, {"apiVersion": "v1", "kind": "ConfigMap",
                                                   "metadata": {"name": "keep", "labels": {"protected": "true"}}})
    assert status == 201, out
    policy = vap("protect", {"expression": "object == null && oldObject.metadata.labels['protected'] != 'true'",
                             "message": "protected"},
                 matchConstraints={"resourceRules": [{"apiGroups": [""], "apiVersions": ["v1"],
                                                      "operations": ["DELETE"], "resources": ["configmaps"]}]})
    await install(api, policy, binding("protect", "protect"))

    async def refused() -> Obj:
        status, out, _ = await call(api, "DELETE", f"{CMS}/keep?dryRun=All")
        assert status == 422, out
        return out
    out = await eventually(refused)
    assert out["message"] == ('configmaps "keep" is forbidden: ValidatingAdmissionPolicy \'protect\' with binding '
                              "'protect' denied request: protected")
    status, out, _ = await call(api, "GET", f"{CMS}/keep")
    assert status == 200
