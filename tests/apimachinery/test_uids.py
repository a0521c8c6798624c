"""Object UIDs are random version-4 UUIDs, all different."""

from __future__ import annotations

import uuid

from setpoint.apimachinery.uids import UidSource


def test_uids_are_version_4_rfc_4122_uuids_and_unique_across_batches() -> None:
    make = UidSource()
    uids = [make() for _ in range(1000)]  # several of its batches of random bytes
    assert len(set(uids)) == len(uids)
    for text in uids:
        parsed = uuid.UUID(text)
        assert str(parsed) == text  # canonical: lower-case hex, 8-4-4-4-12
        assert parsed.version == 4
        assert parsed.variant == uuid.RFC_4122
    # every variant digit turns up (the top bits of byte 8 are forced to 10, the rest random)
    assert {text[19] for text in uids} == set("89ab")
