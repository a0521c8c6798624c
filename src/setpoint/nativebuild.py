"""``python -m setpoint.nativebuild [build [--force] | clean]``: compile the modules of
:data:`setpoint.native.MODULES` with mypyc, in place (or delete what was compiled)."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from collections.abc import Sequence
from pathlib import Path

from setpoint.native import GROUP, MODULES, ROOT, remove, source, state


def toolchain() -> str | None:
    """What is missing to compile (None: nothing)."""
    if importlib.util.find_spec("mypyc") is None:
        return "mypy (mypyc) is not installed"
    compiler = (sysconfig.get_config_var("CC") or "cc").split()[0]
    if shutil.which(compiler) is None:
        return "no C compiler"
    if not (Path(sysconfig.get_paths()["include"]) / "Python.h").exists():
        return "no Python headers (Python.h)"
    return None


_SETUP = """
import sys
from setuptools import setup
from mypyc.build import mypycify
group, target, temp, files = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
setup(name="setpoint-native", ext_modules=mypycify(files, opt_level="3", group_name=group,
      target_dir=target), script_args=["build_ext", "--inplace", "--build-temp", temp, "--build-lib", temp])
"""


def build(root: Path = ROOT, *, force: bool = False) -> int:
    """Compile :data:`MODULES` in place; 0 when done, up to date, or impossible here (then
    setpoint runs from source), 1 when the compiler refused."""
    compiled, unusable = state(root)
    if compiled and not unusable and not force:
        print("setpoint: compiled modules are up to date")
        return 0
    missing = toolchain()
    if missing is not None:
        remove(root)
        print(f"setpoint: not compiling ({missing}); running from source")
        return 0
    remove(root)
    with tempfile.TemporaryDirectory() as tmp:
        # Untyped third-party imports (aetcd) are Any to mypyc, wherever mypy's configuration is.
        files = ["--ignore-missing-imports", *(str(source(m, root).relative_to(root)) for m in MODULES)]
        done = subprocess.run([sys.executable, "-c", _SETUP, GROUP, f"{tmp}/c", f"{tmp}/o", *files], cwd=root,
                              env={**os.environ, "MYPY_CACHE_DIR": f"{tmp}/mypy"}, capture_output=True, text=True)
    if done.returncode != 0:
        remove(root)
        print(done.stdout[-3000:], done.stderr[-3000:], sep="\n", file=sys.stderr)
        print("setpoint: compiling failed; running from source", file=sys.stderr)
        return 1
    print(f"setpoint: compiled {len(MODULES)} modules")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args == ["clean"]:
        remove()
        return 0
    if args in ([], ["build"], ["build", "--force"]):
        return build(force="--force" in args)
    print("usage: python -m setpoint.nativebuild [build [--force] | clean]", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
