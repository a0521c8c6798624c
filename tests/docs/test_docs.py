"""The code in the README and in docs/ runs: each document's free-standing Python blocks execute
in order as one module (imports resolve, definitions build; ``mgr`` is a real Manager) and a
document's ``async def example(client)`` runs against a real server, its YAML parses, and the
files its commands name exist. Blocks labelled with a file name build a project: those are
checked and run by ``test_tutorial_project.py`` (and the e2e test of the tutorial's commands)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from doc_blocks import ROOT, blocks, project_files
from setpoint.runtime import Manager
from setpoint.testing import ApiServer

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def _ids(docs: list[Path]) -> list[str]:
    return [d.relative_to(ROOT).as_posix() for d in docs]


PYTHON_DOCS = [d for d in DOCS if blocks(d, "python")]
YAML_DOCS = [d for d in DOCS if blocks(d, "yaml") or project_files(d)]


def test_every_document_has_its_fences_closed() -> None:
    for doc in DOCS:
        assert doc.read_text().count("\n```") % 2 == 0, doc


@pytest.mark.parametrize("doc", PYTHON_DOCS, ids=_ids(PYTHON_DOCS))
async def test_python_blocks_run(doc: Path, setpoint_api: ApiServer) -> None:
    source = "\n\n".join(blocks(doc, "python"))
    namespace = {"__name__": f"docs_{doc.stem.replace('-', '_')}", "mgr": Manager(setpoint_api.client)}
    exec(compile(source, str(doc), "exec"), namespace)
    example = namespace.get("example")
    if example is not None:  # a document's worked example runs against the server
        await example(setpoint_api.client)


@pytest.mark.parametrize("doc", YAML_DOCS, ids=_ids(YAML_DOCS))
def test_yaml_blocks_parse(doc: Path) -> None:
    for body in blocks(doc, "yaml"):
        assert list(yaml.safe_load_all(body)), body
    for name, content in project_files(doc).items():
        if name.endswith((".yaml", ".yml")):
            assert list(yaml.safe_load_all(content)), name


def test_files_named_by_commands_exist() -> None:
    for doc in DOCS:
        for body in blocks(doc, "", "sh", "bash", "console"):
            for path in re.findall(r"(?:-f|pytest|python)\s+((?:examples|benchmarks|docs|tests)/[\w./-]+)", body):
                assert (ROOT / path).exists(), f"{doc.name}: {path}"
