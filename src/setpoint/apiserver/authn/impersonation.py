"""Impersonation: ``Impersonate-User``, ``-Group``, ``-Uid``, ``-Extra-*`` (``kubectl --as``).

As kube's ``WithImpersonation`` filter (after authentication, before authorization): each
thing asked for is authorized for the *requesting* user with verb ``impersonate`` -- a user
on ``users``, a ``system:serviceaccount:NS:NAME`` on ``serviceaccounts`` in NS, a group on
``groups`` (core group), a uid on ``uids`` and an extra value on ``userextras/<key>``
(``authentication.k8s.io``); the first refusal is kube's 403. The request then runs as the
impersonated user: the groups asked for (a ServiceAccount's own groups when none are), plus
``system:authenticated`` (``system:unauthenticated`` for ``system:anonymous``) unless given.
Groups, uid or extras without a user are refused, as kube does, with a 500.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import unquote

from setpoint.apiserver.authn.serviceaccount import group_names, split_username, username
from setpoint.apiserver.encoding import errors
from setpoint.apiserver.registry.admission import Attributes, Authorizer, UserInfo

if TYPE_CHECKING:
    from setpoint.apiserver.http import Request

__all__ = ["impersonate"]

_USER, _GROUP, _UID, _EXTRA = "impersonate-user", "impersonate-group", "impersonate-uid", "impersonate-extra-"
_PREFIX = "impersonate-"
AUTHN_GROUP = "authentication.k8s.io"


def impersonate(request: Request, user: UserInfo, authorizer: Authorizer) -> UserInfo:
    """The user the request acts as: ``user`` itself unless it asks to impersonate someone."""
    headers = request.headers
    for key in headers:  # (every request passes here: a plain loop, no generator)
        if key.startswith(_PREFIX):
            break
    else:
        return user
    if _USER not in headers and _GROUP not in headers and _UID not in headers and not any(
            k.startswith(_EXTRA) for k in headers):
        return user
    # (kind, namespace, name, apiVersion, fieldPath), as kube's ObjectReferences.
    wanted: list[tuple[str, str, str, str, str]] = []
    requested = headers.get(_USER, "")
    if requested:
        sa = split_username(requested)
        wanted.append(("ServiceAccount", sa[0], sa[1], "", "") if sa else ("User", "", requested, "", ""))
    groups_given = _GROUP in headers
    for group in _values(headers.get(_GROUP, "")):
        wanted.append(("Group", "", group, "", ""))
    for key in sorted(k for k in headers if k.startswith(_EXTRA)):
        extra_key = unquote(key[len(_EXTRA):])
        for value in _values(headers[key]):
            wanted.append(("UserExtra", "", value, f"{AUTHN_GROUP}/v1", extra_key))
    uid = headers.get(_UID, "")
    if uid:
        wanted.append(("UID", "", uid, f"{AUTHN_GROUP}/v1", ""))
    if not requested:
        refs = " ".join(f"{{{kind} {ns} {name}  {api}  {path}}}" for kind, ns, name, api, path in wanted)
        raise errors.internal_error(f"requested [{refs}] without impersonating a user")

    name, groups, extra = "", [], {}  # type: tuple[str, list[str], dict[str, list[str]]]
    for kind, ns, value, _api, path in wanted:
        if kind == "ServiceAccount":
            resource, group, subresource = "serviceaccounts", "", ""
            name = username(ns, value)
            if not groups_given:
                groups = list(group_names(ns))
        elif kind == "User":
            resource, group, subresource = "users", "", ""
            name = value
        elif kind == "Group":
            resource, group, subresource = "groups", "", ""
            groups.append(value)
        elif kind == "UserExtra":
            resource, group, subresource = "userextras", AUTHN_GROUP, path
            extra.setdefault(path, []).append(value)
        else:
            resource, group, subresource = "uids", AUTHN_GROUP, ""
        attrs = Attributes(user, "impersonate", group, "v1" if group else "", resource, subresource, ns, value)
        allowed, reason = authorizer.authorize(attrs)
        if not allowed:
            raise _forbidden(attrs, reason)
    if name != "system:anonymous":
        if "system:authenticated" not in groups and "system:unauthenticated" not in groups:
            groups.append("system:authenticated")
    elif "system:unauthenticated" not in groups:
        groups.append("system:unauthenticated")
    request.state["authenticated_user"] = user  # the audit log's user; the impersonated one beside it
    return UserInfo(name, tuple(groups), uid, extra)


def _values(header: str) -> list[str]:
    """The values of a header sent several times (joined with ", " by the HTTP layer)."""
    return [v for v in header.split(", ") if v] if header else []


def _forbidden(attrs: Attributes, reason: str) -> errors.StatusError:
    """kube's ``responsewriters.Forbidden`` for a resource request."""
    resource = f"{attrs.resource}/{attrs.subresource}" if attrs.subresource else attrs.resource
    where = f'in the namespace "{attrs.namespace}"' if attrs.namespace else "at the cluster scope"
    msg = (f'User "{attrs.user.name}" cannot {attrs.verb} resource "{resource}" in API group "{attrs.group}" '
           f"{where}" + (f": {reason}" if reason else ""))
    qualified = f"{attrs.resource}.{attrs.group}" if attrs.group else attrs.resource
    details: dict[str, str] = {"name": attrs.name} if attrs.name else {}
    if attrs.group:
        details["group"] = attrs.group
    details["kind"] = attrs.resource
    prefix = f'{qualified} "{attrs.name}"' if attrs.name else qualified
    return errors.StatusError(403, "Forbidden", f"{prefix} is forbidden: {msg}", details=details)
