"""ServiceAccount tokens: issued by TokenRequest, checked on every request that bears one.

As kube-apiserver (``pkg/serviceaccount/claims.go``, ``jwt.go``):

- a token is a JWT signed by the server's key, with ``iss`` (:data:`ISSUER`), ``sub``
  (``system:serviceaccount:NS:NAME``), ``aud`` (the API server's audiences unless the request
  names others), ``exp``, ``iat``, ``nbf``, ``jti`` and the private ``kubernetes.io`` claim
  naming the namespace, the ServiceAccount (name and uid) and the Pod, Secret or Node the
  token is bound to;
- a bearer token that is not a JWT of our issuer is left to the other authenticators; one of
  ours is refused when its signature does not verify, none of its audiences is one the request
  accepts, it has expired (with go-jose's one-minute leeway), or its ServiceAccount (or bound
  Pod or Secret) is gone or was re-created under another uid;
- the user is ``system:serviceaccount:NS:NAME`` with the groups ``system:serviceaccounts``
  and ``system:serviceaccounts:NS``, the ServiceAccount's uid and the extras
  ``authentication.kubernetes.io/credential-id`` (``JTI=<jti>``) and, for a pod-bound token,
  ``pod-name``/``pod-uid`` (and ``node-name``/``node-uid``).

Hot path: a verified token's claims are kept :data:`CACHE_TTL` seconds (the signature is
checked once, not per request); the existence of the ServiceAccount and its uid are looked up
in the watch cache on *every* request (a dict lookup), so a deleted ServiceAccount's tokens
stop working at once.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from setpoint.apimachinery.types import Obj
from setpoint.apiserver.authn.jwt import JWTError, SigningKey, decode_unverified
from setpoint.apiserver.registry.admission import UserInfo

__all__ = ["ISSUER", "ServiceAccountTokens", "TokenError", "group_names", "split_username", "username"]

#: kube-apiserver's ``--service-account-issuer`` in kubeadm and kind clusters; also the default API audience.
ISSUER = "https://kubernetes.default.svc.cluster.local"
USERNAME_PREFIX = "system:serviceaccount:"
ALL_SERVICE_ACCOUNTS = "system:serviceaccounts"
CREDENTIAL_ID = "authentication.kubernetes.io/credential-id"
POD_NAME = "authentication.kubernetes.io/pod-name"
POD_UID = "authentication.kubernetes.io/pod-uid"
NODE_NAME = "authentication.kubernetes.io/node-name"
NODE_UID = "authentication.kubernetes.io/node-uid"
#: go-jose's ``DefaultLeeway``: a token is still accepted this long after ``exp``.
LEEWAY = 60.0
#: How long a verified token's claims are kept (kube-apiserver's token success cache TTL).
CACHE_TTL = 10.0
_CACHE_MAX = 10_000

_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")

#: Looks an object up in the watch cache: (resource, namespace, name) -> the object or None.
Getter = Callable[[str, str, str], Obj | None]


class TokenError(Exception):
    """A token of ours that is not (or no longer) valid; the message is kube's."""


def username(namespace: str, name: str) -> str:
    return f"{USERNAME_PREFIX}{namespace}:{name}"


def group_names(namespace: str) -> tuple[str, str]:
    return ALL_SERVICE_ACCOUNTS, f"{ALL_SERVICE_ACCOUNTS}:{namespace}"


def split_username(user: str) -> tuple[str, str] | None:
    """(namespace, name) of a ServiceAccount's user name, as kube's ``SplitUsername``; None if it is none."""
    if not user.startswith(USERNAME_PREFIX):
        return None
    parts = user[len(USERNAME_PREFIX):].split(":")
    if len(parts) != 2:
        return None
    namespace, name = parts
    if len(namespace) > 63 or not _LABEL.fullmatch(namespace) or len(name) > 253 or not _SUBDOMAIN.fullmatch(name):
        return None
    return namespace, name


@dataclass(frozen=True, slots=True)
class _Verified:
    """A token whose signature and issuer were checked: what each later request still checks."""

    exp: float
    nbf: float
    namespace: str
    name: str
    uid: str
    pod: tuple[str, str] | None
    secret: tuple[str, str] | None
    audiences: tuple[str, ...]
    user: UserInfo
    cached_until: float


def _meta(obj: Obj) -> dict[str, Any]:
    meta = obj.get("metadata")
    return meta if isinstance(meta, dict) else {}


def _ref(private: dict[str, Any], key: str) -> tuple[str, str] | None:
    ref = private.get(key)
    if not isinstance(ref, dict):
        return None
    return str(ref.get("name", "")), str(ref.get("uid", ""))


class ServiceAccountTokens:
    """Issues ServiceAccount tokens and authenticates them (the bearer-token side of the union)."""

    def __init__(self, key: SigningKey, *, issuer: str = ISSUER, audiences: tuple[str, ...] = (ISSUER,),
                 now: Callable[[], float] = time.time) -> None:
        self.key = key
        self.issuer = issuer
        #: The API server's audiences (``--api-audiences``; default the issuer).
        self.audiences = audiences
        #: The clock (tests move it).
        self.now = now
        #: Set by the server: looks ServiceAccounts, Pods and Secrets up in its watch cache.
        self.get: Getter = lambda _resource, _namespace, _name: None
        self._verified: dict[str, _Verified] = {}

    # --- issuing ---------------------------------------------------------------------------

    def claims(self, sa: Obj, audiences: list[str], expiration_seconds: int, now: float, *,
               pod: Obj | None = None, secret: Obj | None = None, node: Obj | None = None) -> dict[str, Any]:
        """The claims of a token for ServiceAccount ``sa`` (kube's ``serviceaccount.Claims``)."""
        meta = _meta(sa)
        namespace, name = str(meta.get("namespace", "")), str(meta.get("name", ""))
        issued = int(now)
        k8s: dict[str, Any] = {"namespace": namespace,
                               "serviceaccount": {"name": name, "uid": str(meta.get("uid", ""))}}
        if pod is not None:
            k8s["pod"] = {"name": _meta(pod).get("name", ""), "uid": _meta(pod).get("uid", "")}
            if node is not None:
                node_ref = {"name": _meta(node).get("name", "")}
                if _meta(node).get("uid"):
                    node_ref["uid"] = _meta(node)["uid"]
                k8s["node"] = node_ref
        elif secret is not None:
            k8s["secret"] = {"name": _meta(secret).get("name", ""), "uid": _meta(secret).get("uid", "")}
        elif node is not None:
            k8s["node"] = {"name": _meta(node).get("name", ""), "uid": _meta(node).get("uid", "")}
        return {"aud": audiences, "exp": issued + expiration_seconds, "iat": issued, "iss": self.issuer,
                "jti": str(uuid.uuid4()), "kubernetes.io": k8s, "nbf": issued,
                "sub": username(namespace, name)}

    def sign(self, claims: dict[str, Any]) -> str:
        return self.key.sign(claims)

    # --- authenticating --------------------------------------------------------------------

    def authenticate_token(self, token: str, audiences: tuple[str, ...] | None = None) -> tuple[UserInfo, list[str]] | None:
        """(user, audiences accepted) of a token of ours; None if the token is not ours.

        Raises :class:`TokenError` for a token of ours that is not valid (now)."""
        now = self.now()
        verified = self._verified.get(token)
        if verified is None or now >= verified.cached_until:
            verified = self._verify(token, now)
            if verified is None:
                return None
            if len(self._verified) >= _CACHE_MAX:
                self._verified.clear()
            self._verified[token] = verified
        requested = self.audiences if audiences is None else audiences
        accepted = [a for a in verified.audiences if a in requested]
        if not accepted:
            raise TokenError(f"token audiences {_go_quote(verified.audiences)} is invalid for the target audiences "
                             f"{_go_quote(requested)}")
        self._check(verified, now)
        return verified.user, accepted

    def _verify(self, token: str, now: float) -> _Verified | None:
        """Signature and issuer (once per token and :data:`CACHE_TTL`); None if not a JWT of our issuer."""
        if token.count(".") != 2:
            return None
        try:
            header, claims, signing_input, signature = decode_unverified(token)
        except JWTError:
            return None
        if claims.get("iss") != self.issuer:
            return None
        try:
            self.key.verify(header, signing_input, signature)
        except JWTError as exc:
            raise TokenError(str(exc)) from None
        private = claims.get("kubernetes.io")
        if not isinstance(private, dict):
            raise TokenError("service account token claims could not be validated")
        aud = claims.get("aud")
        auds = tuple(aud) if isinstance(aud, list) else (aud,) if isinstance(aud, str) else ()
        if not auds:
            auds = self.audiences  # a legacy token without audiences: the API server's (as kube)
        namespace = str(private.get("namespace", ""))
        sa = _ref(private, "serviceaccount") or ("", "")
        pod, secret, node = _ref(private, "pod"), _ref(private, "secret"), _ref(private, "node")
        extra: dict[str, list[str]] = {}
        if pod is not None and pod[0] and pod[1]:
            extra[POD_NAME], extra[POD_UID] = [pod[0]], [pod[1]]
        if node is not None and node[0]:
            extra[NODE_NAME] = [node[0]]
            if node[1]:
                extra[NODE_UID] = [node[1]]
        if claims.get("jti"):
            extra[CREDENTIAL_ID] = [f"JTI={claims['jti']}"]
        user = UserInfo(username(namespace, sa[0]), (*group_names(namespace), "system:authenticated"), sa[1], extra)
        try:
            exp = float(claims["exp"]) if "exp" in claims else float("inf")
            nbf = float(claims["nbf"]) if "nbf" in claims else float("-inf")
        except (TypeError, ValueError):
            raise TokenError("service account token could not be validated") from None
        return _Verified(exp, nbf, namespace, sa[0], sa[1], pod, secret, auds, user, now + CACHE_TTL)

    def _check(self, v: _Verified, now: float) -> None:
        """What may change after a token was verified: the time, and the objects it names."""
        if now - LEEWAY > v.exp:
            raise TokenError("service account token has expired")
        if now + LEEWAY < v.nbf:
            raise TokenError("service account token could not be validated")
        sa = self.get("serviceaccounts", v.namespace, v.name)
        if sa is None:
            raise TokenError(f'serviceaccounts "{v.name}" not found')
        meta = _meta(sa)
        if _deleted_before(meta, now - LEEWAY):
            raise TokenError(f"service account {v.namespace}/{v.name} has been deleted")
        if meta.get("uid") != v.uid:
            raise TokenError(f"service account UID ({meta.get('uid', '')}) does not match claim ({v.uid})")
        for resource, ref in (("secrets", v.secret), ("pods", v.pod)):
            if ref is None:
                continue
            obj = self.get(resource, v.namespace, ref[0])
            if obj is None or _deleted_before(_meta(obj), now - LEEWAY):
                raise TokenError("token has been invalidated")
            if _meta(obj).get("uid") != ref[1]:
                kind = "secret" if resource == "secrets" else "pod"
                raise TokenError(f"{kind} UID ({_meta(obj).get('uid', '')}) does not match service account "
                                 f"{kind} ref claim ({ref[1]})")


def _deleted_before(meta: dict[str, Any], moment: float) -> bool:
    stamp = meta.get("deletionTimestamp")
    if not stamp:
        return False
    try:
        return datetime.strptime(str(stamp), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp() < moment
    except ValueError:
        return False


def _go_quote(values: tuple[str, ...] | list[str]) -> str:
    """A list of strings as Go's ``%q`` prints a ``[]string``: ``["a" "b"]``."""
    return "[" + " ".join('"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"' for v in values) + "]"
