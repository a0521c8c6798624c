"""A generated name that is taken is generated again, as kube-apiserver's RetryGenerateName."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from setpoint.apiserver.encoding import errors
from setpoint.apiserver.registry import objectstore
from setpoint.apiserver.server import APIServer


def _names(*names: str) -> Iterator[str]:
    yield from names


async def test_a_taken_generated_name_is_made_again(api: APIServer, monkeypatch: pytest.MonkeyPatch) -> None:
    r = api.registry.get("", "v1", "configmaps")
    assert r is not None
    await api.objects.create(r, "default", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm-aaaaa"}})
    names = _names("cm-aaaaa", "cm-aaaaa", "cm-bbbbb")
    monkeypatch.setattr(objectstore, "_generate_name", lambda prefix, random_string: next(names))
    made = await api.objects.create(r, "default", {"apiVersion": "v1", "kind": "ConfigMap",
                                                    "metadata": {"generateName": "cm-"}, "data": {"a": "1"}})
    assert made["metadata"]["name"] == "cm-bbbbb" and made["data"] == {"a": "1"}
    # Eight collisions in a row: the last one is answered.
    monkeypatch.setattr(objectstore, "_generate_name", lambda prefix, random_string: "cm-aaaaa")
    with pytest.raises(errors.StatusError) as e:
        await api.objects.create(r, "default", {"apiVersion": "v1", "kind": "ConfigMap",
                                                "metadata": {"generateName": "cm-"}})
    assert e.value.reason == "AlreadyExists"
