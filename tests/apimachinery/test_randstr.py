"""Random strings over kube's utilrand alphabet, different for each owner."""

from __future__ import annotations

from setpoint.apimachinery.randstr import ALPHANUMS, RandomStrings


def test_strings_use_the_alphabet_and_differ_between_owners() -> None:
    make = RandomStrings()
    strings = [make(5) for _ in range(2000)]
    assert all(len(s) == 5 and set(s) <= set(ALPHANUMS) for s in strings)
    assert set("".join(strings)) == set(ALPHANUMS)  # every character turns up
    assert len(set(strings)) > 1990  # 27^5 = 14 million: collisions are rare
    other = RandomStrings()  # seeded from the system's randomness: another sequence
    assert [other(5) for _ in range(20)] != strings[:20]
