"""authorization.k8s.io/v1 access reviews, computed on create (kube's
``pkg/registry/authorization``): SubjectAccessReview, LocalSubjectAccessReview,
SelfSubjectAccessReview (``kubectl auth can-i``) and SelfSubjectRulesReview
(``kubectl auth can-i --list``). Nothing is stored; the answer is the request with a status."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from setpoint.apimachinery.types import Obj
from setpoint.apiserver.encoding import errors
from setpoint.apiserver.endpoints.handlers import Call, decode_body, json_response, negotiate
from setpoint.apiserver.http import Response
from setpoint.apiserver.registry.admission import Attributes, Authorizer, UserInfo
from setpoint.apiserver.registry.objectstore import ObjectStore

GROUP = "authorization.k8s.io"
Handler = Callable[[ObjectStore, Call], Any]


def _attributes(spec: Obj, user: UserInfo, kind: str) -> Attributes:
    resource = spec.get("resourceAttributes")
    non_resource = spec.get("nonResourceAttributes")
    if bool(resource) == bool(non_resource):
        raise errors.invalid_object(kind, GROUP, "", [errors.invalid(
            "spec.resourceAttributes", resource,
            "exactly one of nonResourceAttributes or resourceAttributes must be specified")])
    if non_resource:
        return Attributes(user, str(non_resource.get("verb", "")), "", "", "", "", "", "",
                          path=str(non_resource.get("path", "")), resource_request=False)
    r: Obj = resource or {}
    return Attributes(user, str(r.get("verb", "")), str(r.get("group", "")), str(r.get("version", "")),
                      str(r.get("resource", "")), str(r.get("subresource", "")), str(r.get("namespace", "")),
                      str(r.get("name", "")))


def _answer(call: Call, body: Obj, status: Obj) -> Response:
    body["apiVersion"] = f"{GROUP}/v1"
    body["kind"] = call.resource.kind
    body.setdefault("metadata", {}).setdefault("creationTimestamp", None)
    body["status"] = status
    return json_response(201, body, negotiate(call.request))


def _spec_user(spec: Obj) -> UserInfo:
    extra = spec.get("extra") or {}
    return UserInfo(str(spec.get("user", "")), tuple(spec.get("groups") or ()), str(spec.get("uid", "")),
                    {k: list(v) for k, v in extra.items()})


class Reviews:
    """The create handlers of the review kinds, deciding with the server's authorizer."""

    def __init__(self, authorizer: Callable[[], Authorizer],
                 rules_for: Callable[[UserInfo, str], tuple[list[Obj], list[Obj], bool, str]]) -> None:
        self.authorizer = authorizer
        self.rules_for = rules_for

    def handlers(self) -> dict[tuple[str, str, str], Handler]:
        return {(GROUP, "subjectaccessreviews", "create"): self.subject,
                (GROUP, "localsubjectaccessreviews", "create"): self.subject,
                (GROUP, "selfsubjectaccessreviews", "create"): self.self_subject,
                (GROUP, "selfsubjectrulesreviews", "create"): self.self_rules}

    def _decide(self, attrs: Attributes) -> Obj:
        allowed, reason = self.authorizer().authorize(attrs)
        status: Obj = {"allowed": allowed}
        if reason:
            status["reason"] = reason
        return status

    async def subject(self, _objects: ObjectStore, call: Call) -> Response:
        body = decode_body(call.request, call.resource)
        spec = body.get("spec") or {}
        kind = call.resource.kind
        if not spec.get("user") and not spec.get("groups"):
            raise errors.invalid_object(kind, GROUP, "", [errors.invalid(
                "spec.user", spec.get("user", ""), "at least one of user or group must be specified")])
        attrs = _attributes(spec, _spec_user(spec), kind)
        if call.namespace is not None and attrs.namespace != call.namespace:
            raise errors.invalid_object(kind, GROUP, "", [errors.invalid(
                "spec.resourceAttributes.namespace", attrs.namespace, "must match metadata.namespace")])
        return _answer(call, body, self._decide(attrs))

    async def self_subject(self, _objects: ObjectStore, call: Call) -> Response:
        body = decode_body(call.request, call.resource)
        spec = body.get("spec") or {}
        return _answer(call, body, self._decide(_attributes(spec, call.attrs.user, call.resource.kind)))

    async def self_rules(self, _objects: ObjectStore, call: Call) -> Response:
        body = decode_body(call.request, call.resource)
        namespace = str((body.get("spec") or {}).get("namespace", ""))
        resource_rules, non_resource_rules, incomplete, error = self.rules_for(call.attrs.user, namespace)
        status: Obj = {"resourceRules": resource_rules, "nonResourceRules": non_resource_rules,
                       "incomplete": incomplete}
        if error:
            status["evaluationError"] = error
        return _answer(call, body, status)
