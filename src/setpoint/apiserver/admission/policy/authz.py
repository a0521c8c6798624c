"""The ``authorizer`` variable of admission policy expressions (kube's CEL authz library).

``authorizer.group('apps').resource('deployments').namespace('ns').name('x').check('delete')
.allowed()``, ``authorizer.path('/healthz').check('get')``, ``authorizer.serviceAccount(ns,
name)`` and ``authorizer.requestResource`` are answered by the server's authorizer for the
request's user. Values are plain maps here (kube's are typed); ``errored()`` is always false,
as setpoint's authorizers do not fail.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from setpoint.apimachinery.types import Obj
from setpoint.apiserver.registry.admission import Attributes, UserInfo

Authorize = Callable[[Attributes], tuple[bool, str]]


def _user(value: Obj) -> UserInfo:
    u = value["__user__"]
    return UserInfo(str(u["name"]), tuple(u.get("groups") or ()), str(u.get("uid") or ""))


def authorizer_value(attrs: Attributes) -> Obj:
    """The ``authorizer`` of a request made by ``attrs.user``."""
    user = {"name": attrs.user.name, "groups": list(attrs.user.groups), "uid": attrs.user.uid}
    return {"__user__": user, "requestResource": {
        "__user__": user, "group": attrs.group, "resource": attrs.resource, "subresource": attrs.subresource,
        "namespace": attrs.namespace, "name": attrs.name}}


def _with(key: str) -> Callable[[Obj, str], Obj]:
    return lambda target, value: {**target, key: value}


def authorizer_functions(attrs: Attributes, authorize: Authorize | None) -> dict[str, Callable[..., Any]]:
    """The library's functions for one request (``check`` asks ``authorize``)."""

    def check(target: Obj, verb: str) -> Obj:
        if authorize is None:
            return {"__decision__": True, "reason": ""}
        if "path" in target:
            a = Attributes(_user(target), verb, "", "", "", "", "", str(target["path"]))
        else:
            a = Attributes(_user(target), verb, str(target.get("group", "")), "*", str(target.get("resource", "")),
                           str(target.get("subresource", "")), str(target.get("namespace", "")),
                           str(target.get("name", "")))
        allowed, reason = authorize(a)
        return {"__decision__": allowed, "reason": reason}

    def service_account(target: Obj, namespace: str, name: str) -> Obj:
        return {"__user__": {"name": f"system:serviceaccount:{namespace}:{name}",
                             "groups": ["system:serviceaccounts", f"system:serviceaccounts:{namespace}",
                                        "system:authenticated"], "uid": ""}}

    return {
        "group": _with("group"), "resource": _with("resource"), "subresource": _with("subresource"),
        "namespace": _with("namespace"), "name": _with("name"), "path": _with("path"), "check": check,
        "serviceAccount": service_account,
        "allowed": lambda d: bool(d["__decision__"]), "reason": lambda d: str(d["reason"]),
        "errored": lambda d: False, "error": lambda d: "",
    }
