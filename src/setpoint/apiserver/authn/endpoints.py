"""``authentication.k8s.io/v1``: TokenRequest, TokenReview and SelfSubjectReview.

As kube-apiserver's REST handlers:

- ``POST .../serviceaccounts/NAME/token`` (``kubectl create token``;
  ``pkg/registry/core/serviceaccount/storage/token.go``): a name or namespace in the body must
  match the URL's (422); the ServiceAccount must exist (404); ``expirationSeconds`` defaults to
  3600 and must be at least 600 and at most 2^32 (422, kube's message); ``audiences`` default
  to the API server's; ``boundObjectRef`` may name a Pod (running as that ServiceAccount), a
  Secret or a Node, whose uid, when given, must match (409). Answers 201 with
  ``status.token`` and ``status.expirationTimestamp``.
- ``POST tokenreviews``: ``spec.token`` is required (400); the token is authenticated as
  a bearer token would be, for ``spec.audiences`` (default the API server's).
- ``POST selfsubjectreviews`` (``kubectl auth whoami``): who the request is from (after
  impersonation).

None is stored: the resources are computed, like ``metrics.k8s.io``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from setpoint.apimachinery.clock import format_time
from setpoint.apimachinery.types import Obj
from setpoint.apiserver.builtin import definitions
from setpoint.apiserver.encoding import errors
from setpoint.apiserver.endpoints.handlers import Call, decode_body, json_response, negotiate
from setpoint.apiserver.http import Response
from setpoint.apiserver.registry.admission import UserInfo
from setpoint.apiserver.registry.objectstore import ObjectStore
from setpoint.apiserver.registry.resources import Registry, Resource

if TYPE_CHECKING:
    from setpoint.apiserver.authn.serviceaccount import ServiceAccountTokens
    from setpoint.apiserver.authn.union import UnionAuthenticator

__all__ = ["AuthenticationAPI", "resources"]

GROUP, VERSION = "authentication.k8s.io", "v1"
API_VERSION = f"{GROUP}/{VERSION}"
DEFAULT_EXPIRATION = 3600
MIN_EXPIRATION = 600
MAX_EXPIRATION = 1 << 32


def resources() -> list[Resource]:
    """TokenReview and SelfSubjectReview: cluster-scoped, create only, never stored."""
    return [Resource(GROUP, VERSION, kind, plural, kind.lower(), False, verbs=("create",),
                     schema=definitions.BUILTIN_SCHEMAS[(GROUP, VERSION, kind)], computed=True)
            for kind, plural in (("TokenReview", "tokenreviews"), ("SelfSubjectReview", "selfsubjectreviews"))]


def user_info(user: UserInfo) -> dict[str, Any]:
    """``authentication/v1 UserInfo`` as JSON (empty fields left out)."""
    out: dict[str, Any] = {"username": user.name}
    if user.uid:
        out["uid"] = user.uid
    if user.groups:
        out["groups"] = list(user.groups)
    if user.extra:
        out["extra"] = {k: list(v) for k, v in user.extra.items()}
    return out


def _stamp(t: float) -> str:
    return format_time(datetime.fromtimestamp(int(t), UTC))


def _check_kind(body: Obj, kind: str) -> None:
    if body.get("kind") not in (None, "", kind):
        raise errors.bad_request(f"Object 'Kind' is not {kind}: {body.get('kind')}")
    if body.get("apiVersion") not in (None, "", API_VERSION):
        raise errors.bad_request(f"the API version in the data ({body.get('apiVersion')}) does not match the "
                                 f"expected API version ({API_VERSION})")


class AuthenticationAPI:
    """The handlers, over one server's registry, object store and authenticators."""

    def __init__(self, registry: Registry, objects: ObjectStore, tokens: ServiceAccountTokens,
                 union: UnionAuthenticator | None) -> None:
        self.registry = registry
        self.objects = objects
        self.tokens = tokens
        self.union = union

    async def _get(self, plural: str, namespace: str | None, name: str) -> Obj:
        resource = self.registry.get("", "v1", plural)
        assert resource is not None
        return (await self.objects.get(resource, namespace, name)).obj

    async def token_request(self, _objects: ObjectStore, call: Call) -> Response:
        out = negotiate(call.request)
        body = decode_body(call.request)
        _check_kind(body, "TokenRequest")
        assert call.name is not None and call.namespace is not None
        name, namespace = call.name, call.namespace
        meta = body.get("metadata") if isinstance(body.get("metadata"), dict) else {}
        assert isinstance(meta, dict)
        for field, given, want, what in (("name", meta.get("name"), name, "name"),
                                         ("namespace", meta.get("namespace"), namespace, "namespace")):
            if given and given != want:
                raise errors.invalid_object("TokenRequest", GROUP, name, [errors.invalid(
                    f"metadata.{field}", given, f"must match the service account {what} if specified")])
        sa = await self._get("serviceaccounts", namespace, name)
        spec = body.get("spec") if isinstance(body.get("spec"), dict) else {}
        assert isinstance(spec, dict)
        audiences = spec.get("audiences") or list(self.tokens.audiences)
        if not isinstance(audiences, list) or not all(isinstance(a, str) for a in audiences):
            raise errors.bad_request('TokenRequest in version "v1" cannot be handled as a TokenRequest: '
                                     "spec.audiences must be a list of strings")
        expiration = spec.get("expirationSeconds")
        if expiration is None:
            expiration = DEFAULT_EXPIRATION
        if isinstance(expiration, bool) or not isinstance(expiration, int):
            raise errors.bad_request('TokenRequest in version "v1" cannot be handled as a TokenRequest: '
                                     "spec.expirationSeconds must be an integer")
        now = self.tokens.now()
        problems = []
        if expiration < MIN_EXPIRATION:
            problems.append(errors.invalid("spec.expirationSeconds", expiration,
                                           "may not specify a duration less than 10 minutes"))
        if expiration > MAX_EXPIRATION:
            problems.append(errors.invalid("spec.expirationSeconds", expiration,
                                           "may not specify a duration larger than 2^32 seconds"))
        if problems:
            raise errors.invalid_object("TokenRequest", GROUP, "", problems)
        bound: dict[str, Obj | None] = {}
        ref = spec.get("boundObjectRef")
        if isinstance(ref, dict):
            bound = await self._bound(name, namespace, ref)
        claims = self.tokens.claims(sa, audiences, expiration, now, **bound)
        token = self.tokens.sign(claims)
        sa_meta = sa.get("metadata") or {}
        out_spec: dict[str, Any] = {"audiences": audiences, "expirationSeconds": expiration}
        if isinstance(ref, dict):
            out_spec["boundObjectRef"] = ref
        result = {"kind": "TokenRequest", "apiVersion": API_VERSION,
                  "metadata": {"name": name, "namespace": namespace, "uid": sa_meta.get("uid", ""),
                               "creationTimestamp": _stamp(now)},
                  "spec": out_spec,
                  "status": {"token": token, "expirationTimestamp": _stamp(now + expiration)}}
        return json_response(201, result, out)

    async def _bound(self, sa_name: str, namespace: str, ref: Obj) -> dict[str, Obj | None]:
        """The object a token is bound to, checked as kube's TokenREST does."""
        api_version, kind, name = str(ref.get("apiVersion", "")), str(ref.get("kind", "")), str(ref.get("name", ""))
        group, _, version = api_version.rpartition("/")
        out: dict[str, Obj | None] = {}
        if group == "" and kind == "Pod":
            pod = await self._get("pods", namespace, name)
            if (pod.get("spec") or {}).get("serviceAccountName") != sa_name:
                raise errors.bad_request(f'cannot bind token for serviceaccount "{sa_name}" to pod running with '
                                         "different serviceaccount name.")
            out["pod"] = target = pod
            node_name = (pod.get("spec") or {}).get("nodeName")
            if node_name:
                try:
                    out["node"] = await self._get("nodes", None, node_name)
                except errors.StatusError as exc:
                    if exc.code != 404:
                        raise
                    out["node"] = {"metadata": {"name": node_name}}
        elif group == "" and kind == "Secret":
            out["secret"] = target = await self._get("secrets", namespace, name)
        elif group == "" and kind == "Node":
            out["node"] = target = await self._get("nodes", None, name)
        else:
            raise errors.bad_request(f"cannot bind token to object of type {group}/{version}, Kind={kind}")
        uid = (target.get("metadata") or {}).get("uid", "")
        if ref.get("uid") and ref["uid"] != uid:
            raise errors.conflict(kind, group, name, f"the UID in the bound object reference ({ref['uid']}) does "
                                  "not match the UID in record. The object might have been deleted and then recreated")
        return out

    async def token_review(self, _objects: ObjectStore, call: Call) -> Response:
        out = negotiate(call.request)
        body = decode_body(call.request)
        _check_kind(body, "TokenReview")
        spec = body.get("spec") if isinstance(body.get("spec"), dict) else {}
        assert isinstance(spec, dict)
        token = spec.get("token")
        if not token or not isinstance(token, str):
            raise errors.bad_request("token is required for TokenReview in authentication")
        requested = spec.get("audiences") or []
        audiences = tuple(requested) if requested else self.tokens.audiences
        status: dict[str, Any] = {}
        if self.union is not None:
            user, accepted, error = self.union.authenticate_token(token, audiences)
            status["authenticated"] = user is not None
            if user is not None:
                status["user"] = user_info(user)
                status["audiences"] = accepted
            if error:
                status["error"] = error
        metadata = body.get("metadata") if isinstance(body.get("metadata"), dict) else {}
        result = {"kind": "TokenReview", "apiVersion": API_VERSION, "metadata": metadata or {"creationTimestamp": None},
                  "spec": spec, "status": status}
        return json_response(201, result, out)

    async def self_subject_review(self, _objects: ObjectStore, call: Call) -> Response:
        out = negotiate(call.request)
        _check_kind(decode_body(call.request), "SelfSubjectReview")
        result = {"kind": "SelfSubjectReview", "apiVersion": API_VERSION,
                  "metadata": {"creationTimestamp": _stamp(self.tokens.now())},
                  "status": {"userInfo": user_info(call.attrs.user)}}
        return json_response(201, result, out)
