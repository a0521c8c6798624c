"""The compiled hot modules (setpoint.native): used only when every one is there and newer than its
source; otherwise, or when asked, every one runs from source."""

from __future__ import annotations

import importlib
import importlib.machinery
import os
import subprocess
import sys
from pathlib import Path

import pytest

from setpoint import native

_SUFFIX = importlib.machinery.EXTENSION_SUFFIXES[0]


def _layout(root: Path, *, stale: bool) -> None:
    """A package ``fakepkg`` with two modules "compiled" (extensions that are not loadable: garbage)."""
    pkg = root / "fakepkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    for name in ("one", "two"):
        (pkg / f"{name}.py").write_text(f"WHERE = 'source {name}'\n")
    for path in (pkg / f"one{_SUFFIX}", pkg / f"two{_SUFFIX}", root / f"{native.GROUP}__mypyc{_SUFFIX}"):
        path.write_bytes(b"not an ELF file")
    if stale:
        later = (pkg / f"one{_SUFFIX}").stat().st_mtime + 10
        os.utime(pkg / "two.py", (later, later))
    else:
        earlier = (pkg / f"one{_SUFFIX}").stat().st_mtime - 10
        for name in ("one", "two"):
            os.utime(pkg / f"{name}.py", (earlier, earlier))


MODULES = ("fakepkg.one", "fakepkg.two")


def test_state_tells_compiled_from_stale_and_missing(tmp_path: Path) -> None:
    assert native.state(tmp_path, MODULES) == (False, [])
    _layout(tmp_path, stale=False)
    assert native.state(tmp_path, MODULES) == (True, [])
    os.utime(tmp_path / "fakepkg" / "two.py")  # edited now: newer than its extension
    assert native.state(tmp_path, MODULES) == (True, ["fakepkg.two"])
    (tmp_path / f"fakepkg/one{_SUFFIX}").unlink()
    assert native.state(tmp_path, MODULES) == (True, ["fakepkg.one", "fakepkg.two"])


@pytest.fixture
def importable(tmp_path: Path):  # type: ignore[no-untyped-def]
    sys.path.insert(0, str(tmp_path))
    finders = list(sys.meta_path)
    yield tmp_path
    sys.path.remove(str(tmp_path))
    sys.meta_path[:] = finders
    for name in [*MODULES, "fakepkg"]:
        sys.modules.pop(name, None)
    importlib.invalidate_caches()


def test_a_stale_build_runs_every_module_from_source_with_a_warning(importable: Path) -> None:
    _layout(importable, stale=True)
    with pytest.warns(RuntimeWarning, match="fakepkg.two is missing or older than its source"):
        assert native.guard(importable, MODULES) is False
    # Both from source, the one whose extension is not older too: the extensions are never loaded.
    assert importlib.import_module("fakepkg.one").WHERE == "source one"
    assert importlib.import_module("fakepkg.two").WHERE == "source two"


def test_a_fresh_build_is_used_unless_pure_python_is_asked_for(importable: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    _layout(importable, stale=False)
    monkeypatch.delenv(native.PURE_ENV, raising=False)
    assert native.guard(importable, MODULES) is True
    with pytest.raises(ImportError):  # Python takes the extension first: here, garbage
        importlib.import_module("fakepkg.one")
    monkeypatch.setenv(native.PURE_ENV, "1")
    assert native.guard(importable, MODULES) is False
    sys.modules.pop("fakepkg.one", None)
    assert importlib.import_module("fakepkg.one").WHERE == "source one"


def _where(env: dict[str, str]) -> list[str]:
    code = ("import setpoint, setpoint.apiserver.fieldmanager.typed as t; "
            "print(setpoint.COMPILED, t.__file__.rpartition('.')[2])")
    out = subprocess.run([sys.executable, "-W", "error", "-c", code], env=env, capture_output=True, text=True,
                         check=True)
    return out.stdout.split()


def test_setpoint_runs_its_compiled_modules_and_its_sources_when_asked() -> None:
    env = {k: v for k, v in os.environ.items() if k != native.PURE_ENV}
    assert _where({**env, native.PURE_ENV: "1"}) == ["False", "py"]
    compiled, unusable = native.state()
    if not compiled:
        pytest.skip("setpoint is not compiled here (`python -m setpoint.nativebuild` says why)")
    assert unusable == []
    assert _where(env) == ["True", "so"]
