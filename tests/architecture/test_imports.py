"""The import graph of ``src/setpoint``: layers respected, no cycles, no hidden imports.

Layers, lowest first: ``storage`` and ``apimachinery`` (shared formatting, time,
selectors) import nothing above them; ``apiserver`` builds on both; ``runtime`` runs
against any cluster, so it needs only ``apimachinery``; built-in ``controllers`` may use
everything below them; the entry points (``cli``, ``controlplane``, ``testing``) wire it
all. Read from the source with :mod:`ast`, so nothing is imported to check it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
PACKAGE = SRC / "setpoint"

#: What each part may import (besides itself). Parts not listed may import anything.
ALLOWED: dict[str, set[str]] = {
    "storage": set(),
    "apimachinery": set(),
    "models": set(),
    "apiserver": {"storage", "apimachinery"},
    "runtime": {"apimachinery"},
    "controllers": {"storage", "apimachinery", "apiserver", "runtime"},
    # cert-manager's API as an operator: runs against any cluster, so the runtime only
    "certs": {"apimachinery", "runtime", "models"},
}


#: Imports deliberately made inside a function, with the reason.
LAZY: dict[tuple[str, str], str] = {
    ("setpoint.cli", "setpoint.models"): "pydantic costs ~150 ms of start-up; only `setpoint crd` needs it",
    ("setpoint.cli", "setpoint.certs.cli"): "pydantic and cryptography load only for `setpoint certs`",
    ("setpoint.controlplane", "setpoint.certs"): "pydantic loads only for `setpoint up --certificates`",
    ("setpoint.testing", "setpoint.controlplane"): "a pytest plugin loads in every pytest run of a project "
    "that installs setpoint; the server loads only when a test asks for it",
    ("setpoint.testing", "setpoint.apiserver.pki"): "the same: cryptography loads only when a test starts a server",
    ("setpoint.testing", "setpoint.apiserver.tls"): "the same: cryptography loads only when a test starts a server",
    ("setpoint.runtime", "setpoint.runtime.http_client"): "aiohttp costs ~150 ms of start-up; the built-in "
    "controllers drive the runtime in-process and never need the HTTP client",
    ("setpoint.nodecli", "setpoint.runtime.http_client"): "aiohttp costs ~150 ms of start-up; only "
    "`setpoint node` talks HTTP, not `setpoint up`",
    ("setpoint.runtime.manager", "setpoint.runtime.probes"): "aiohttp's server loads only for a manager "
    "given a health port (the built-in controllers' manager has none)",
    ("setpoint.storage", "setpoint.storage.etcd"): "gRPC and etcd's generated API cost ~120 ms of start-up; "
    "only an etcd:// store needs them",
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in PACKAGE.rglob("*.py")}


MODULES = _modules()


def _resolve(name: str) -> str | None:
    """The setpoint module an imported dotted name refers to (the longest that exists)."""
    while name:
        if name in MODULES:
            return name
        name = name.rpartition(".")[0]
    return None


def _imports(module: str) -> list[tuple[str, int, bool]]:
    """``(imported module, line, at module level)`` for every setpoint import of ``module``."""
    tree = ast.parse(MODULES[module].read_text())
    package = module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]
    top_level = {id(n) for n in tree.body}
    for node in tree.body:  # imports under `if TYPE_CHECKING:` at module level count as top level
        if isinstance(node, ast.If):
            top_level.update(id(n) for n in ast.walk(node))
    out: list[tuple[str, int, bool]] = []
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            names = [f"{base}.{a.name}" for a in node.names]
        for name in names:
            target = _resolve(name)
            if target is not None and target != module:
                out.append((target, node.lineno, id(node) in top_level))
    return out


GRAPH = {m: _imports(m) for m in MODULES}


def _part(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_the_graph_is_read() -> None:
    assert "setpoint.apiserver.server" in MODULES
    assert any(t == "setpoint.storage.interface" or t.startswith("setpoint.storage") for t, _, _ in
               GRAPH["setpoint.apiserver.registry.objectstore"])


def test_no_lower_layer_imports_a_higher_one() -> None:
    bad: set[str] = set()
    for module, imports in GRAPH.items():
        part = _part(module)
        allowed = ALLOWED.get(part)
        if allowed is None:
            continue
        for target, line, _ in imports:
            other = _part(target)
            if other not in (part, "") and other not in allowed:
                bad.add(f"{module}:{line} imports {target}")
    assert not bad, "layering broken:\n" + "\n".join(sorted(bad))


def test_no_function_local_imports() -> None:
    hidden = {f"{m}:{line} imports {t}" for m, imports in GRAPH.items() for t, line, top in imports
              if not top and (m, t) not in LAZY}
    assert not hidden, "imports hidden inside functions:\n" + "\n".join(sorted(hidden))


def _cycle() -> list[str] | None:
    """One import cycle, as the list of modules along it, or None."""
    edges = {m: sorted({t for t, _, _ in imports}) for m, imports in GRAPH.items()}
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> list[str] | None:
        state[m] = 1
        stack.append(m)
        for n in edges.get(m, []):
            if state.get(n) == 1:
                return [*stack[stack.index(n):], n]
            if n not in state and (found := visit(n)) is not None:
                return found
        stack.pop()
        state[m] = 2
        return None

    for m in sorted(edges):
        if m not in state and (found := visit(m)) is not None:
            return found
    return None


def test_no_import_cycles() -> None:
    cycle = _cycle()
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


@pytest.mark.parametrize("module", ["setpoint.runtime.client", "setpoint.apimachinery"])
def test_the_checks_see_what_they_guard(module: str) -> None:
    # A cycle or layering break planted in a copy of the graph is found.
    assert module in MODULES
    saved = GRAPH["setpoint.storage.interface"]
    GRAPH["setpoint.storage.interface"] = [*saved, ("setpoint.apiserver.server", 1, False)]
    try:
        with pytest.raises(AssertionError):
            test_no_lower_layer_imports_a_higher_one()
        with pytest.raises(AssertionError):
            test_no_function_local_imports()
        with pytest.raises(AssertionError):
            test_no_import_cycles()
    finally:
        GRAPH["setpoint.storage.interface"] = saved
