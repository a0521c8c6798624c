"""The fenced code blocks of setpoint's Markdown documents, for the tests that run them.

A block whose fence is preceded by a line ```` `NAME`: ```` is part of the file ``NAME`` of a
document's project: the blocks of one file, joined by a blank line, are that file's content.
Other blocks are free-standing. Plain extraction (a regular expression over fences that start a
line), as the documents are setpoint's own: see docs/architecture.md, "Executed documentation".
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_FENCE = re.compile(r"^(?:`(?P<file>[\w./-]+)`:\n\n)?```(?P<lang>\w*)\n(?P<body>.*?)^```", re.S | re.M)


def blocks(doc: Path, *langs: str) -> list[str]:
    """The free-standing blocks of ``doc`` in one of ``langs``, in order."""
    return [m["body"] for m in _FENCE.finditer(doc.read_text()) if m["lang"] in langs and not m["file"]]


def project_files(doc: Path) -> dict[str, str]:
    """The files a document builds from its labelled blocks: name -> content."""
    parts: dict[str, list[str]] = {}
    for m in _FENCE.finditer(doc.read_text()):
        if m["file"]:
            parts.setdefault(m["file"], []).append(m["body"])
    return {name: "\n\n".join(bodies) for name, bodies in parts.items()}


def write_project(doc: Path, directory: Path) -> dict[str, str]:
    """Write the files of ``doc``'s project into ``directory``; return them."""
    files = project_files(doc)
    for name, content in files.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
    return files
