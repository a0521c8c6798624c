"""Hot modules compiled to C extensions with mypyc, and the guard that keeps them honest.

The modules in :data:`MODULES` are plain typed Python; ``python -m setpoint.nativebuild`` (which
``make up`` and ``make test`` run) compiles them with mypyc into extension modules beside their
sources, where Python imports them first. Nothing else changes: where no C compiler, Python
headers or mypy is found, setpoint runs the same sources as Python.

A compiled module older than its source would run old code, so :func:`guard` (run when the
``setpoint`` package is imported) imports every one of them from source, with a warning, as soon
as any source is newer than its extension (or ``SETPOINT_PURE_PYTHON`` is set). All or none: the
compiled modules call one another directly.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys
import warnings
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from pathlib import Path
from types import ModuleType

#: The modules compiled, by name: the field manager, metadata validation, the typed decoding
#: checks of built-in kinds and the duplicate-field finder (what every write runs, pure
#: functions and small classes over JSON trees).
MODULES: tuple[str, ...] = (
    "setpoint.apimachinery.validation",
    "setpoint.apiserver.builtin.decoding",
    "setpoint.apiserver.encoding.strictjson",
    "setpoint.apiserver.fieldmanager.fieldpath",
    "setpoint.apiserver.fieldmanager.manager",
    "setpoint.apiserver.fieldmanager.typed",
    "setpoint.apiserver.registry.metadata",
)
#: The shared library holding the compiled code of every module (each module's own extension is a
#: small shim into it), at the top of the source tree.
GROUP = "setpoint_native"
#: Set (to anything but empty) to run every module from source.
PURE_ENV = "SETPOINT_PURE_PYTHON"

#: The directory holding the ``setpoint`` package (``src/`` in a checkout).
ROOT = Path(__file__).resolve().parent.parent


def source(module: str, root: Path = ROOT) -> Path:
    return root.joinpath(*module.split(".")).with_suffix(".py")


def _extension(base: Path) -> Path | None:
    """The extension module at ``base`` (a path without suffix) for this interpreter, if built."""
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        path = base.with_name(base.name + suffix)
        if path.exists():
            return path
    return None


def native(module: str, root: Path = ROOT) -> Path | None:
    """The module's compiled extension, if there is one."""
    return _extension(root.joinpath(*module.split(".")))


def group_library(root: Path = ROOT) -> Path | None:
    return _extension(root / f"{GROUP}__mypyc")


def state(root: Path = ROOT, modules: Sequence[str] = MODULES) -> tuple[bool, list[str]]:
    """(whether any module is compiled, the modules whose compiled code cannot be used: older than
    their source, or missing beside others that are compiled)."""
    built = {m: native(m, root) for m in modules}
    if not any(built.values()):
        return False, []
    group = group_library(root)
    unusable = []
    for m, ext in built.items():
        if ext is None or group is None:
            unusable.append(m)
            continue
        built_at = min(ext.stat().st_mtime, group.stat().st_mtime)
        if source(m, root).stat().st_mtime > built_at:
            unusable.append(m)
    return True, unusable


class _FromSource(importlib.abc.MetaPathFinder):
    """Imports the named modules from their ``.py`` sources, whatever extensions lie beside them."""

    def __init__(self, names: Sequence[str], root: Path) -> None:
        self.names = frozenset(names)
        self.root = root

    def find_spec(self, fullname: str, path: Sequence[str] | None,
                  target: ModuleType | None = None) -> ModuleSpec | None:
        if fullname not in self.names:
            return None
        return importlib.util.spec_from_file_location(fullname, source(fullname, self.root))


def guard(root: Path = ROOT, modules: Sequence[str] = MODULES) -> bool:
    """Make the compiled modules run from source when they cannot be trusted (or the environment
    asks for it); whether the compiled code is used."""
    compiled, unusable = state(root, modules)
    if not compiled:
        return False
    if os.environ.get(PURE_ENV) or unusable:
        if unusable and not os.environ.get(PURE_ENV):
            warnings.warn(f"setpoint: the compiled {unusable[0]} is missing or older than its source; running "
                          "every compiled module from source (`python -m setpoint.nativebuild` compiles them again)",
                          RuntimeWarning, stacklevel=2)
        sys.meta_path.insert(0, _FromSource(modules, root))
        return False
    return True


def remove(root: Path = ROOT) -> None:
    """Delete every compiled extension (setpoint then runs from source)."""
    for m in MODULES:
        while (ext := native(m, root)) is not None:
            ext.unlink()
    while (group := group_library(root)) is not None:
        group.unlink()
