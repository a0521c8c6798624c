"""Random strings as kube's ``utilrand.String`` makes them (the suffix of a generated name, a
token volume's name): from the owner's own pseudo-random generator, as kube's come from
``math/rand``, not a system call for each character as ``secrets.choice`` makes."""

from __future__ import annotations

import os
import random

#: kube's ``utilrand`` alphabet: no vowels (no words), no 0, 1 or 3 (read as letters).
ALPHANUMS = "bcdfghjklmnpqrstvwxz2456789"


class RandomStrings:
    """Makes random strings over :data:`ALPHANUMS`; one per owner (not shared between threads)."""

    __slots__ = ("_choices",)

    def __init__(self) -> None:
        self._choices = random.Random(os.urandom(16)).choices

    def __call__(self, n: int) -> str:
        return "".join(self._choices(ALPHANUMS, k=n))
