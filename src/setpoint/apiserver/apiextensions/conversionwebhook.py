"""CRD conversion webhooks (``spec.conversion.strategy: Webhook``).

kube's ``apiextensions-apiserver/pkg/apiserver/conversion/webhook_converter.go``: objects read
or written in a version other than the one they are in are sent to the CRD's webhook in an
``apiextensions.k8s.io/v1`` (or ``v1beta1``, by ``conversionReviewVersions``) ConversionReview,
a list's items in one review. The answer is checked as kube checks it (the review's kind and
uid, ``result.status``, as many objects as sent, each of the desired version, the same kind,
name, namespace and uid); the converted objects keep their original metadata but for labels and
annotations. Failures are kube's plain errors (500):
``conversion webhook for stable.example.com/v1, Kind=CronTab failed: Post "https://...": ...``.

One :class:`WebhookConverter` serves every version of one CRD (built when its spec changes).
Its async :meth:`~WebhookConverter.convert` is the resource's ``convert_batch``; it remembers what
it converted by (uid, resourceVersion, version), so that the synchronous ``convert``
(:meth:`~WebhookConverter.cached`) answers the same objects afterwards — the request handlers
convert once, asynchronously, before they encode.
"""

from __future__ import annotations

import collections
import copy
import uuid
from typing import Any

from setpoint.apimachinery.types import Obj
from setpoint.apiserver.admission.webhookclient import CallError, WebhookClient
from setpoint.apiserver.encoding import errors

#: kube's conversion webhook client timeout.
TIMEOUT_SECONDS = 30.0
_MEMO_SIZE = 4096


class WebhookConverter:
    """The conversion webhook of one CRD."""

    def __init__(self, crd: Obj, client: WebhookClient) -> None:
        spec = crd.get("spec") or {}
        conversion = spec.get("conversion") or {}
        webhook = conversion.get("webhook") or {}
        config = webhook.get("clientConfig") or conversion.get("webhookClientConfig")
        self._client = client
        self._target = client.target(config)
        self._review_versions = [str(v) for v in webhook.get("conversionReviewVersions")
                                 or conversion.get("conversionReviewVersions") or []]
        self.kind = str((spec.get("names") or {}).get("kind") or "")
        self._memo: collections.OrderedDict[tuple[str, str, str], Obj] = collections.OrderedDict()

    def _key(self, obj: Obj, api_version: str) -> tuple[str, str, str] | None:
        meta = obj.get("metadata") or {}
        uid, rv = meta.get("uid"), meta.get("resourceVersion")
        return (str(uid), str(rv), api_version) if uid and rv else None

    def cached(self, obj: Obj, api_version: str) -> Obj:
        """``obj`` as :meth:`convert` last converted it to ``api_version``; objects it has not
        seen (a field selector's view before the handler converted) keep their fields."""
        key = self._key(obj, api_version)
        hit = self._memo.get(key) if key is not None else None
        return hit if hit is not None else {**obj, "apiVersion": api_version}

    async def convert(self, objs: list[Obj], api_version: str) -> list[Obj]:
        """``objs`` (none of them in ``api_version``) converted by the webhook, in one review."""
        out: list[Obj | None] = []
        todo: list[Obj] = []
        for o in objs:
            key = self._key(o, api_version)
            hit = self._memo.get(key) if key is not None else None
            out.append(hit)
            if hit is None:
                todo.append(o)
        if not todo:
            return [o for o in out if o is not None]
        converted = iter(await self._call(todo, api_version))
        result = []
        for original, hit in zip(objs, out, strict=True):
            if hit is None:
                hit = next(converted)
                key = self._key(original, api_version)
                if key is not None:
                    self._memo[key] = hit
                    if len(self._memo) > _MEMO_SIZE:
                        self._memo.popitem(last=False)
            result.append(hit)
        return result

    async def _call(self, objs: list[Obj], api_version: str) -> list[Obj]:
        source = f"{objs[0].get('apiVersion', '')}, Kind={self.kind}"
        review_version = next((v for v in self._review_versions if v in ("v1", "v1beta1")), "")
        if not review_version:
            raise errors.unknown("no supported conversion review versions")
        uid = str(uuid.uuid4())
        review = {"kind": "ConversionReview", "apiVersion": f"apiextensions.k8s.io/{review_version}",
                  "request": {"uid": uid, "desiredAPIVersion": api_version, "objects": objs}}
        try:
            answer = await self._client.post(self._target, review, TIMEOUT_SECONDS)
        except CallError as exc:
            raise errors.unknown(f"conversion webhook for {source} failed: {exc}") from None
        try:
            converted = _converted_objects(answer, uid, review_version)
        except ValueError as exc:
            raise errors.unknown(f"conversion webhook for {source} failed: {exc}") from None
        if len(converted) != len(objs):
            raise errors.unknown(f"conversion webhook for {source} returned {len(converted)} objects, "
                                 f"expected {len(objs)}")
        out = []
        for i, (original, new) in enumerate(zip(objs, converted, strict=True)):
            where = f"invalid converted object at index {i}" if len(objs) > 1 else "invalid object"
            if not isinstance(new, dict):
                raise errors.unknown(f"conversion webhook for {source} returned {where}: not an object")
            if new.get("apiVersion") != api_version:
                raise errors.unknown(f"conversion webhook for {source} returned {where}: invalid groupVersion "
                                     f"(expected {api_version}, received {new.get('apiVersion', '')})")
            problem = _compare(original, new)
            if problem:
                raise errors.unknown(f"conversion webhook for {source} returned {where}: {problem}")
            out.append(_restore_metadata(original, new))
        return out


def _converted_objects(answer: Any, uid: str, review_version: str) -> list[Any]:
    """kube's ``getConvertedObjectsFromResponse`` (ValueError with its words)."""
    if not isinstance(answer, dict):
        raise ValueError("unrecognized response type")
    if review_version == "v1":
        got = f"{answer.get('apiVersion', '')}, Kind={answer.get('kind', '')}"
        if answer.get("apiVersion") != "apiextensions.k8s.io/v1" or answer.get("kind") != "ConversionReview":
            raise ValueError(f"expected webhook response of apiextensions.k8s.io/v1, Kind=ConversionReview, got "
                             f"{got.lstrip('/')}")
    response = answer.get("response")
    if not isinstance(response, dict):
        raise ValueError("no response provided")
    if review_version == "v1" and response.get("uid") != uid:
        raise ValueError(f'expected response.uid="{uid}", got "{response.get("uid", "")}"')
    result = response.get("result") or {}
    if result.get("status") != "Success":
        if result.get("message"):
            raise ValueError(str(result["message"]))
        raise ValueError(f"response.result.status was '{result.get('status', '')}', not 'Success'")
    return list(response.get("convertedObjects") or [])


def _compare(original: Obj, new: Obj) -> str:
    """``validateConvertedObject``: the same kind, name, namespace and uid."""
    if original.get("kind") != new.get("kind"):
        return f"must have the same kind: {original.get('kind', '')} != {new.get('kind', '')}"
    a, b = original.get("metadata") or {}, new.get("metadata") or {}
    for field, label in (("name", "name"), ("namespace", "namespace"), ("uid", "UID")):
        if (a.get(field) or "") != (b.get(field) or ""):
            return f"must have the same {label}: {a.get(field) or ''} != {b.get(field) or ''}"
    return ""


def _restore_metadata(original: Obj, new: Obj) -> Obj:
    """``restoreObjectMeta``: the original metadata, with the webhook's labels and annotations."""
    answered: Obj = new["metadata"] if isinstance(new.get("metadata"), dict) else {}
    meta = copy.deepcopy(original.get("metadata") or {})
    for field in ("labels", "annotations"):
        value = answered.get(field)
        if value is None:
            meta.pop(field, None)
        else:
            meta[field] = value
    return {**new, "metadata": meta}
