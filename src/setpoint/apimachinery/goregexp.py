"""Go's regular expressions (``regexp``): RE2 syntax and semantics, Go's error messages.

CRD ``pattern`` fields and CEL's ``matches``/``find``/``findAll`` are Go regexps on a real
cluster. Python's ``re`` differs (``^(?i)x`` is an error there, ``\\z`` is unknown, matching
can backtrack without bound), so patterns are compiled by RE2 itself through Google's
binding (``google-re2``), with the options Go uses (Perl classes, word boundaries, UTF-8), and
its errors are reworded as Go's ``regexp/syntax`` words them.
"""

from __future__ import annotations

import functools
import re
from typing import Any

import re2

__all__ = ["GoRegexpError", "Regexp", "compile"]

#: RE2's (C++) error texts as Go's ``regexp/syntax.ErrorCode`` words them.
_GO_CODES = {
    "invalid escape sequence": "invalid escape sequence",
    "invalid character class": "invalid character class",
    "invalid character class range": "invalid character class range",
    "missing ]": "missing closing ]",
    "missing )": "missing closing )",
    "unexpected )": "unexpected )",
    "trailing \\": "trailing backslash at end of expression",
    "no argument for repetition operator": "missing argument to repetition operator",
    "invalid repetition size": "invalid repeat count",
    "bad repetition operator": "invalid nested repetition operator",
    "invalid perl operator": "invalid or unsupported Perl syntax",
    "invalid UTF-8": "invalid UTF-8",
    "invalid named capture group": "invalid named capture",
    "pattern too large - compile failed": "expression too large",
}

# RE2 accepts \C (any byte); Go does not.
_BYTE_ESCAPE = re.compile(r"(?<!\\)(?:\\\\)*\\C")


class GoRegexpError(ValueError):
    """A pattern Go's ``regexp.Compile`` refuses; ``str()`` is Go's message."""


Regexp = Any  # re2._Regexp: search/match/finditer/findall like re.Pattern


def _options() -> Any:
    opts = re2.Options()
    opts.log_errors = False
    opts.perl_classes = True
    opts.word_boundary = True
    return opts


_OPTIONS = _options()


def _go_error(pattern: str, exc: Exception) -> GoRegexpError:
    raw = exc.args[0] if exc.args else b""
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    code, _, arg = text.partition(": ")
    if code == "trailing \\":
        arg = ""
    go_code = _GO_CODES.get(code)
    if go_code is None:
        return GoRegexpError(f"error parsing regexp: {text}")
    return GoRegexpError(f"error parsing regexp: {go_code}: `{arg}`")


@functools.lru_cache(maxsize=4096)
def compile(pattern: str) -> Regexp:
    """``pattern`` compiled as Go's ``regexp.Compile`` would (cached); GoRegexpError otherwise."""
    m = _BYTE_ESCAPE.search(pattern)
    if m is not None:
        raise GoRegexpError("error parsing regexp: invalid escape sequence: `\\C`")
    try:
        return re2.compile(pattern, _OPTIONS)
    except re2.error as exc:
        raise _go_error(pattern, exc) from None
