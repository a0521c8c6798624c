"""The first-operator tutorial, as a new user follows it.

Its labelled blocks are the files of ``examples/configwatcher`` (so the two cannot drift), and the
project they make passes its tests in a directory of its own: no conftest, no pytest settings, no
``sys.path`` help from this repository -- only setpoint installed, as the tutorial's step 0 has it.
"""

from __future__ import annotations

import importlib.metadata
import os
import subprocess
import sys
from pathlib import Path

import pytest

from doc_blocks import ROOT, blocks, project_files, write_project

TUTORIAL = ROOT / "docs" / "tutorial-first-operator.md"
EXAMPLE = ROOT / "examples" / "configwatcher"


def test_the_tutorial_shows_the_example_files_verbatim() -> None:
    shown = project_files(TUTORIAL)
    assert set(shown) == {"crd.yaml", "example.yaml", "configwatcher.py", "test_configwatcher.py"}
    for name, content in shown.items():
        assert content == (EXAMPLE / name).read_text(), f"{name}: the tutorial's blocks differ from the example's file"
    assert sorted(p.name for p in EXAMPLE.iterdir() if p.is_file()) == sorted(shown)


def test_the_plugin_is_installed_under_its_module_name() -> None:
    # pytest skips an entry-point plugin whose name is already registered: named after its module,
    # `-p setpoint.testing` and `pytest_plugins = ["setpoint.testing"]` find it instead of loading
    # it a second time (which pluggy refuses with "Plugin already registered under a different name").
    names = {ep.name for ep in importlib.metadata.entry_points(group="pytest11") if ep.value == "setpoint.testing"}
    assert names == {"setpoint.testing"}, (
        f"setpoint's installed pytest11 entry point is {names}: reinstall it (`pip install -e .`)")


def _pytest(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir",
                           str(project), *args], cwd=project, env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.slow
@pytest.mark.parametrize("enable", ["entry point", "-p", "pytest_plugins"])
def test_a_new_project_passes_its_tests(tmp_path: Path, enable: str) -> None:
    project = tmp_path / "configwatcher"
    project.mkdir()
    write_project(TUTORIAL, project)
    assert blocks(TUTORIAL, "sh")[1].strip() == "pytest"
    args: list[str] = []
    if enable == "-p":
        args = ["-p", "setpoint.testing"]
    elif enable == "pytest_plugins":
        (project / "conftest.py").write_text('pytest_plugins = ["setpoint.testing"]\n')
    result = _pytest(project, *args)
    assert result.returncode == 0, result.stdout + result.stderr
    # one async test (under pytest-asyncio's strict mode) and one plain test (the official client)
    assert "2 passed" in result.stdout.splitlines()[-1], result.stdout


ANYIO_TEST = '''
import pytest

from setpoint.runtime import Kind
from setpoint.testing import ApiServer


@pytest.mark.anyio
async def test_under_anyio(setpoint_api: ApiServer) -> None:
    client = setpoint_api.new_client()  # made in anyio's loop; the server runs on its own thread
    try:
        await client.create({"apiVersion": "v1", "kind": "ConfigMap",
                             "metadata": {"name": "a", "namespace": "default"}})
        assert (await client.get(Kind("v1", "ConfigMap"), "a", "default"))["metadata"]["name"] == "a"
    finally:
        await client.close()
'''


def test_a_test_run_by_anyio_gets_a_server_of_its_own(tmp_path: Path) -> None:
    (tmp_path / "test_anyio.py").write_text(ANYIO_TEST)
    result = _pytest(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout.splitlines()[-1], result.stdout
