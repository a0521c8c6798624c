"""The skip list of the vendored tests names only tests that exist."""

from __future__ import annotations

import importlib

import pytest

from .conftest import SKIPPED


@pytest.mark.parametrize("test_id", sorted(SKIPPED))
def test_skipped_test_exists(test_id: str) -> None:
    path, cls_name, method = test_id.split("::")
    module = importlib.import_module(
        f"{__package__}.upstream." + path.removesuffix(".py").replace("/", "."))
    cls = getattr(module, cls_name, None)
    assert cls is not None, f"{test_id}: no class {cls_name}"
    assert callable(getattr(cls, method, None)), f"{test_id}: no test {method}"

