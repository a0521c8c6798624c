"""ServiceAccount admission: a new Pod runs as its namespace's ``default`` ServiceAccount and mounts
the API token, as kube-apiserver's plugin (``plugin/pkg/admission/serviceaccount``) makes it.

On a pod create (not a mirror pod): ``spec.serviceAccountName`` defaults to ``default``; unless the
pod's ``automountServiceAccountToken`` (else the ServiceAccount's) is false, every init container
and container without a mount at ``/var/run/secrets/kubernetes.io/serviceaccount`` gets one,
read-only, of a projected ``kube-api-access-<5 chars>`` volume (the bound token, the
``kube-root-ca.crt`` ConfigMap's ``ca.crt``, the namespace), added unless the pod has one
already; ``imagePullSecrets`` come from the ServiceAccount when the pod names none.

Known difference: kube refuses the pod (403 ``error looking up service account ns/default``)
while its ServiceAccount does not exist; setpoint admits it as if the account had no settings.
"""

from __future__ import annotations

from typing import Any, Final

from setpoint.apimachinery.randstr import RandomStrings
from setpoint.apimachinery.types import Obj
from setpoint.apiserver.registry.admission import Attributes
from setpoint.apiserver.registry.objectstore import ObjectStore
from setpoint.apiserver.registry.resources import Registry

__all__ = ["MOUNT_PATH", "ServiceAccountAdmission", "token_volume_source"]

DEFAULT_SERVICE_ACCOUNT: Final = "default"
VOLUME_PREFIX: Final = "kube-api-access-"
MOUNT_PATH: Final = "/var/run/secrets/kubernetes.io/serviceaccount"
#: ``serviceaccount.WarnOnlyBoundTokenExpirationSeconds``.
TOKEN_EXPIRATION_SECONDS: Final = 3607
MIRROR_POD_ANNOTATION: Final = "kubernetes.io/config.mirror"


def token_volume_source() -> Obj:
    """kube's ``TokenVolumeSource()``."""
    return {"defaultMode": 420, "sources": [
        {"serviceAccountToken": {"expirationSeconds": TOKEN_EXPIRATION_SECONDS, "path": "token"}},
        {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
        {"downwardAPI": {"items": [{"path": "namespace",
                                    "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}}]}}]}


def _automount(service_account: Obj | None, spec: Obj) -> bool:
    """``shouldAutomount``: the pod's setting, else the ServiceAccount's, else true."""
    own = spec.get("automountServiceAccountToken")
    if isinstance(own, bool):
        return own
    if service_account is not None and isinstance(service_account.get("automountServiceAccountToken"), bool):
        return bool(service_account["automountServiceAccountToken"])
    return True


class ServiceAccountAdmission:
    """The admission plugin (mutating only); it reads ServiceAccounts from ``objects``."""

    resources = frozenset({("", "pods")})
    validating = False

    def __init__(self, registry: Registry, objects: ObjectStore) -> None:
        self._registry = registry
        self._objects = objects
        self._random = RandomStrings()

    def _service_account(self, namespace: str, name: str) -> Obj | None:
        """The account as the watch cache has it now (kube's plugin reads an informer's lister)."""
        resource = self._registry.get("", "v1", "serviceaccounts")
        if resource is None:
            return None
        cached = self._objects.cacher(resource).get(resource.key(namespace, name))
        return None if cached is None else cached.obj

    async def admit(self, attrs: Attributes, obj: Obj | None, old: Obj | None) -> None:
        if (attrs.verb != "create" or attrs.subresource or attrs.group != "" or attrs.resource != "pods"
                or obj is None):
            return
        spec = obj.get("spec")
        annotations = (obj.get("metadata") or {}).get("annotations") or {}
        if not isinstance(spec, dict) or MIRROR_POD_ANNOTATION in annotations:
            return
        if not spec.get("serviceAccountName"):
            spec["serviceAccountName"] = DEFAULT_SERVICE_ACCOUNT
        name = str(spec["serviceAccountName"])
        account = self._service_account(attrs.namespace, name)
        if _automount(account, spec):
            _mount_token(spec, self._random)
        pull = (account or {}).get("imagePullSecrets")
        if not spec.get("imagePullSecrets") and isinstance(pull, list) and pull:
            spec["imagePullSecrets"] = [{"name": p.get("name", "")} for p in pull if isinstance(p, dict)]

    async def validate(self, attrs: Attributes, obj: Obj | None, old: Obj | None) -> None:
        return None


def _mount_token(spec: Obj, random_string: RandomStrings) -> None:
    """kube's ``mountServiceAccountToken``."""
    found = spec.get("volumes")
    volumes: list[Any] = found if isinstance(found, list) else []
    existing = next((v.get("name") for v in volumes
                     if isinstance(v, dict) and str(v.get("name", "")).startswith(VOLUME_PREFIX)), None)
    volume_name = existing or VOLUME_PREFIX + random_string(5)
    mount = {"name": volume_name, "readOnly": True, "mountPath": MOUNT_PATH}
    needs_volume = False
    for key in ("initContainers", "containers"):
        containers: Any = spec.get(key)
        if not isinstance(containers, list):
            continue
        for c in containers:
            if not isinstance(c, dict):
                continue
            present = c.get("volumeMounts")
            mounts: list[Any] = present if isinstance(present, list) else []
            if any(isinstance(m, dict) and m.get("mountPath") == MOUNT_PATH for m in mounts):
                continue
            c["volumeMounts"] = [*mounts, dict(mount)]
            needs_volume = True
    if existing is None and needs_volume:
        spec["volumes"] = [*volumes, {"name": volume_name, "projected": token_volume_source()}]
