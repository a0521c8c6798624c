"""One copy of what objects held as JSON encode alike: their managedFields, and the metadata around
their names.

Objects written alike (by one manager, with one operation, over one field set, in the same second)
carry byte-identical ``metadata.managedFields``: ~250 of a ~650-byte ConfigMap. What comes before it
in the encoding is the same too, but for the name: ``{"apiVersion":"v1","kind":"ConfigMap",
"metadata":{"name":`` and ``,"namespace":"ns","labels":{...},"managedFields":``. For an object
held as JSON, :meth:`SharedParts.split` cuts its encoding in four:

* ``before``: up to the name's value (shared);
* the name's value, ``"cm-000001"`` (the object's own);
* ``around``: from the name's value to the end of managedFields' value (shared);
* the rest (the object's own).

The four one after the other are byte for byte the object's encoding, wherever the cuts fall: each
is taken from the encoding itself, and the name is looked for only to make the shared parts alike.
Shared parts are held once, as one tuple for all objects that have both (``around`` holds
managedFields: objects share it when they share their namespace, labels...).

Parts seen for the first time are only remembered: that object keeps its whole encoding (parts no
other object shares would cost more cut than whole); the next object with the same parts is cut,
and so are all after it. Parts no object holds any more are dropped whenever the table has doubled.
"""

from __future__ import annotations

import sys

import orjson

from setpoint.apimachinery.types import Obj

#: ``(before, around, comma_before)``: the parts of an encoding before and after the name that
#: objects share, and ``b"," + before`` (what a list of encodings writes before an object's name).
Shared = tuple[bytes, bytes, bytes]

_FIELDS = b'"managedFields":'
_NAME = b'"name":'


class SharedParts:
    """The parts of the encodings of objects held as JSON that they have alike, each held once."""

    __slots__ = ("_purge_at", "_shared")

    def __init__(self) -> None:
        #: The shared parts seen, by ``(before, around)``.
        self._shared: dict[tuple[bytes, bytes], Shared] = {}
        self._purge_at = 4096

    def split(self, obj: Obj) -> tuple[bytes, Shared | None, bytes]:
        """``obj``'s encoding as (the name's value, the shared parts, the rest): ``before + name +
        around + rest`` is the encoding. Or (``b""``, None, the whole encoding): no managedFields or
        name, or parts not seen before."""
        encoded = orjson.dumps(obj)  # its buffer is larger than its length: never kept as it is
        meta = obj.get("metadata")
        if not isinstance(meta, dict):
            return b"", None, memoryview(encoded).tobytes()
        managed, name = meta.get("managedFields"), meta.get("name")
        if not managed or not isinstance(name, str):
            return b"", None, memoryview(encoded).tobytes()
        # orjson encodes a value alike wherever it stands; a cut anywhere is exact, but only cuts at
        # the object's own name and managedFields make parts that other objects have too.
        value = orjson.dumps(managed)
        encoded_name = orjson.dumps(name)
        end = encoded.find(_FIELDS) + len(_FIELDS)
        name_at = encoded.find(_NAME + encoded_name, 0, end) + len(_NAME)
        if end < len(_FIELDS) or name_at < len(_NAME) or not encoded.startswith(value, end):
            return b"", None, memoryview(encoded).tobytes()
        name_end = name_at + len(encoded_name)
        rest_at = end + len(value)
        found = (encoded[:name_at], encoded[name_end:rest_at])
        shared = self._shared.get(found)
        if shared is None:
            self._shared[found] = (*found, b"," + found[0])
            if len(self._shared) >= self._purge_at:
                self._purge()
            return b"", None, memoryview(encoded).tobytes()
        return encoded[name_at:name_end], shared, encoded[rest_at:]

    def __len__(self) -> int:
        return len(self._shared)

    def _purge(self) -> None:
        table = self._shared
        for found in list(table):
            if sys.getrefcount(table[found]) <= 2:  # the table's reference and the call's
                del table[found]
        self._purge_at = max(4096, 2 * len(self._shared))
