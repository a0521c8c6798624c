"""Generate ``setpoint/apiserver/encoding/protobuf_messages.py`` from kube's sources.

The tables that :mod:`setpoint.apiserver.encoding.protobuf` decodes kube protobuf
request bodies with come from two places of kube's API packages:

* ``generated.proto`` (written by go-to-protobuf): each message's field numbers and
  types, and whether a field is ``repeated`` or a ``map<string, T>``;
* the Go structs (``types.go`` and the package's other Go files): each field's JSON
  name and ``omitempty``/``omitzero`` options, whether it is a pointer, and whether it
  is an embedded struct inlined into its parent (``json:""`` / ``json:",inline"``).
  A Go field is matched to its proto field by the number in its ``protobuf:"..."`` tag.

Every message reachable from the kinds of :data:`GROUP_VERSIONS` (the stable groups a
Kubernetes 1.37 kube-apiserver serves by default, plus apiextensions.k8s.io/v1) and
from meta/v1 ``DeleteOptions`` and ``Status`` is written out, except the types that
have a hand-written JSON form in the decoder (:data:`BUILTINS`).  A kind is a type
that the group version's ``register.go`` adds to the scheme and that has an
``ObjectMeta`` (so lists and ``*Options`` are left out), less :data:`NOT_SERVED`.
The few messages whose Go type has no JSON tags (a custom ``MarshalJSON`` or a named
``[]string``) get theirs from :data:`JSON_TAGS`; a reachable message that has neither
tags nor an entry there stops the generator.

Messages are named ``group.Name`` for a v1 package (``apps.Deployment``, ``core.Pod``),
``groupversion.Name`` for others (``autoscalingv2.MetricSpec``,
``schedulingv1alpha3.TopologyConstraint``), ``meta.Name`` and ``apiext.Name``.

Run it from the repository root with the three repositories as git directories (bare
or not; ``--X-ref`` picks the commit, ``HEAD`` by default, ``WORKTREE`` reads the
checked-out files of a non-bare clone) or as plain directories of files, e.g. at the
v0.37.x tags::

    python scripts/gen_protobuf_messages.py \\
        --api /path/to/kubernetes/api --api-ref v0.37.0 \\
        --apimachinery /path/to/kubernetes/apimachinery --apimachinery-ref v0.37.0 \\
        --apiextensions /path/to/kubernetes/apiextensions-apiserver --apiextensions-ref v0.37.0 \\
        -o src/setpoint/apiserver/encoding/protobuf_messages.py

The module it writes names the commits it read and is already ``ruff format``-clean.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

#: The group versions whose kinds get tables: Kubernetes 1.37's stable APIs
#: (``stableAPIGroupVersionsEnabledByDefault`` of kube-apiserver; no beta API is on by
#: default) plus apiextensions.k8s.io/v1.  (apiVersion, repository key, package dir).
GROUP_VERSIONS: list[tuple[str, str, str]] = [
    ("v1", "api", "core/v1"),
    ("admissionregistration.k8s.io/v1", "api", "admissionregistration/v1"),
    ("apps/v1", "api", "apps/v1"),
    ("authentication.k8s.io/v1", "api", "authentication/v1"),
    ("authorization.k8s.io/v1", "api", "authorization/v1"),
    ("autoscaling/v1", "api", "autoscaling/v1"),
    ("autoscaling/v2", "api", "autoscaling/v2"),
    ("batch/v1", "api", "batch/v1"),
    ("certificates.k8s.io/v1", "api", "certificates/v1"),
    ("coordination.k8s.io/v1", "api", "coordination/v1"),
    ("discovery.k8s.io/v1", "api", "discovery/v1"),
    ("events.k8s.io/v1", "api", "events/v1"),
    ("flowcontrol.apiserver.k8s.io/v1", "api", "flowcontrol/v1"),
    ("networking.k8s.io/v1", "api", "networking/v1"),
    ("node.k8s.io/v1", "api", "node/v1"),
    ("policy/v1", "api", "policy/v1"),
    ("rbac.authorization.k8s.io/v1", "api", "rbac/v1"),
    ("resource.k8s.io/v1", "api", "resource/v1"),
    ("scheduling.k8s.io/v1", "api", "scheduling/v1"),
    ("storage.k8s.io/v1", "api", "storage/v1"),
    ("apiextensions.k8s.io/v1", "apiextensions", "pkg/apis/apiextensions/v1"),
]

#: Kinds with an ObjectMeta that register.go adds but no API serves.
NOT_SERVED: frozenset[tuple[str, str]] = frozenset({("v1", "RangeAllocation")})

#: Kinds every group version has (``metav1.AddToGroupVersion``): kind -> meta/v1 message.
ANY_VERSION_KINDS: list[str] = ["DeleteOptions", "Status"]

META = "k8s.io.apimachinery.pkg.apis.meta.v1"
APIEXT = "k8s.io.apiextensions_apiserver.pkg.apis.apiextensions.v1"

#: Proto messages the decoder reads by hand (their JSON is not their fields').
BUILTINS: dict[str, str] = {
    f"{META}.Time": "time",
    f"{META}.MicroTime": "microtime",
    f"{META}.Duration": "duration",
    f"{META}.FieldsV1": "fieldsv1",
    "k8s.io.apimachinery.pkg.api.resource.Quantity": "quantity",
    "k8s.io.apimachinery.pkg.util.intstr.IntOrString": "intorstr",
    "k8s.io.apimachinery.pkg.runtime.RawExtension": "rawext",
    f"{APIEXT}.JSON": "json",
}

#: Messages whose Go type has no JSON tags: the tags they are given (proto field number
#: -> tag) and the short form the decoder turns the decoded dict into (its ``_FORMS``).
#: JSONSchemaPropsOr* have their own MarshalJSON (the list or the schema, the schema or
#: the boolean, the strings or the schema); the others are named ``[]string`` types,
#: whose JSON is the plain list.
JSON_TAGS: dict[str, tuple[dict[int, str], str]] = {
    f"{APIEXT}.JSONSchemaPropsOrArray": ({1: "schema,omitempty", 2: "schemas,omitempty"}, "or_array"),
    f"{APIEXT}.JSONSchemaPropsOrBool": ({1: "allows", 2: "schema,omitempty"}, "or_bool"),
    f"{APIEXT}.JSONSchemaPropsOrStringArray": (
        {1: "schema,omitempty", 2: "property,omitempty"},
        "or_string_array",
    ),
    "k8s.io.api.authentication.v1.ExtraValue": ({1: "items,omitempty"}, "items"),
    "k8s.io.api.authentication.v1.AttestationValue": ({1: "items,omitempty"}, "items"),
    "k8s.io.api.authorization.v1.ExtraValue": ({1: "items,omitempty"}, "items"),
    "k8s.io.api.certificates.v1.ExtraValue": ({1: "items,omitempty"}, "items"),
}

#: Proto package prefix -> repository key; the rest of the package is the directory
#: (``k8s.io.apimachinery.pkg.apis.meta.v1`` -> apimachinery's ``pkg/apis/meta/v1``).
PACKAGE_ROOTS: list[tuple[str, str]] = [
    ("k8s.io.api.", "api"),
    ("k8s.io.apimachinery.", "apimachinery"),
    ("k8s.io.apiextensions_apiserver.", "apiextensions"),
]

SCALARS = frozenset({"string", "bytes", "int32", "int64", "bool", "double"})


# --- reading the sources ------------------------------------------------------------


class Source:
    """A repository as a git directory at a ref, or as a work tree."""

    def __init__(self, path: str, ref: str) -> None:
        self.path = Path(path)
        self.ref = ref
        self.git_dir: Path | None = None
        if (self.path / "objects").is_dir() and (self.path / "HEAD").is_file():
            self.git_dir = self.path
        elif (self.path / ".git").is_dir() and ref != "WORKTREE":
            self.git_dir = self.path / ".git"

    def _git(self, *args: str) -> str:
        assert self.git_dir is not None
        return subprocess.run(
            ["git", "--git-dir", str(self.git_dir), *args], check=True, capture_output=True, text=True
        ).stdout

    def commit(self) -> str | None:
        """The commit read (None for a work tree)."""
        if self.git_dir is None:
            return None
        return self._git("rev-parse", f"{self.ref}^{{commit}}").strip()

    def describe(self) -> str:
        commit = self.commit()
        if commit is None:
            return f"work tree {self.path}"
        return f"{self.ref} = {commit}" if commit != self.ref else commit

    def read(self, path: str) -> str | None:
        if self.git_dir is None:
            file = self.path / path
            return file.read_text() if file.is_file() else None
        try:
            return self._git("show", f"{self.ref}:{path}")
        except subprocess.CalledProcessError:
            return None

    def list_dir(self, path: str) -> list[str]:
        if self.git_dir is None:
            return sorted(p.name for p in (self.path / path).iterdir() if p.is_file())
        out = self._git("ls-tree", "--name-only", f"{self.ref}", f"{path}/")
        return sorted(line.rsplit("/", 1)[-1] for line in out.splitlines())


# --- generated.proto ----------------------------------------------------------------


@dataclass
class ProtoField:
    num: int
    name: str
    type: str  # a scalar or a fully qualified message name (no leading dot)
    cont: str  # "", "[]" or "map"


@dataclass
class ProtoMessage:
    package: str
    name: str
    fields: list[ProtoField] = field(default_factory=list)

    @property
    def full(self) -> str:
        return f"{self.package}.{self.name}"


_MESSAGE_RE = re.compile(r"^message (\w+) \{$")
_FIELD_RE = re.compile(r"^\s*(optional|repeated) (\S+) (\w+) = (\d+);")
_MAP_RE = re.compile(r"^\s*map<string, (\S+)> (\w+) = (\d+);")


def parse_proto(text: str) -> tuple[str, dict[str, ProtoMessage]]:
    """The package and the messages of a go-to-protobuf ``generated.proto``."""
    package = re.search(r"^package ([\w.]+);", text, re.M)
    if package is None:
        raise ValueError("generated.proto without a package")
    pkg = package.group(1)
    msgs: dict[str, ProtoMessage] = {}
    current: ProtoMessage | None = None
    for line in text.splitlines():
        if current is None:
            m = _MESSAGE_RE.match(line)
            if m:
                current = msgs[m.group(1)] = ProtoMessage(pkg, m.group(1))
            continue
        if line == "}":
            current = None
            continue
        if line.lstrip().startswith("//") or not line.strip():
            continue
        if m := _FIELD_RE.match(line):
            label, typ, name, num = m.groups()
            cont = "[]" if label == "repeated" else ""
        elif m := _MAP_RE.match(line):
            typ, name, num = m.groups()
            cont = "map"
        else:
            raise ValueError(f"{pkg}.{current.name}: cannot read {line.strip()!r}")
        if typ not in SCALARS:
            typ = typ[1:] if typ.startswith(".") else f"{pkg}.{typ}"
        current.fields.append(ProtoField(int(num), name, typ, cont))
    return pkg, msgs


# --- Go structs ---------------------------------------------------------------------


@dataclass
class GoField:
    name: str  # the Go field name ("" when embedded)
    type: str
    json: str | None  # the json tag, None when there is none
    proto_num: int | None


_TYPE_RE = re.compile(r"^type (\w+) (?:struct ?\{(\}?)|\[\](\S+)$)")
_TAG_RE = re.compile(r'(\w+):"([^"]*)"')
_GO_FIELD_RE = re.compile(r"^\s*(?:(\w+)\s+)?([\w.*\[\]]+)\s*(?:`([^`]*)`)?\s*(?://.*)?$")


def parse_go(text: str) -> tuple[dict[str, list[GoField] | str], dict[str, str]]:
    """The structs (their fields in order, or why they cannot be read) and the named
    slices of a Go file.
    """
    structs: dict[str, list[GoField] | str] = {}
    slices: dict[str, str] = {}
    lines = re.sub(r"/\*.*?\*/", "", text, flags=re.S).splitlines()
    i = 0
    while i < len(lines):
        m = _TYPE_RE.match(lines[i])
        i += 1
        if not m:
            continue
        if m.group(3) is not None:
            slices[m.group(1)] = m.group(3)
            continue
        if m.group(2):  # struct{}
            structs[m.group(1)] = []
            continue
        fields: list[GoField] = []
        problem = ""
        while lines[i] != "}":
            line = lines[i]
            i += 1
            stripped = line.strip()
            if stripped.startswith("//") or not stripped:
                continue
            fm = _GO_FIELD_RE.match(line)
            if fm is None:  # not an API type (API types have no anonymous structs)
                problem = problem or f"cannot read {stripped!r}"
                continue
            name, typ, tags = fm.groups()
            tag = dict(_TAG_RE.findall(tags or ""))
            parts = tag.get("protobuf", "").split(",")
            num = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
            fields.append(GoField(name or "", typ, tag.get("json"), num))
        i += 1
        structs[m.group(1)] = problem or fields
    return structs, slices


# --- the table ----------------------------------------------------------------------


@dataclass
class Package:
    proto: dict[str, ProtoMessage]
    structs: dict[str, list[GoField] | str]
    slices: dict[str, str]
    register: str


class Generator:
    def __init__(self, sources: dict[str, Source]) -> None:
        self.sources = sources
        self.packages: dict[str, Package] = {}

    def locate(self, package: str) -> tuple[Source, str]:
        for prefix, key in PACKAGE_ROOTS:
            if package.startswith(prefix):
                return self.sources[key], package[len(prefix) :].replace(".", "/")
        raise ValueError(f"no source for proto package {package}")

    def package(self, package: str) -> Package:
        if package not in self.packages:
            source, directory = self.locate(package)
            text = source.read(f"{directory}/generated.proto")
            if text is None:
                raise ValueError(f"{directory}/generated.proto not found")
            pkg, proto = parse_proto(text)
            if pkg != package:
                raise ValueError(f"{directory}/generated.proto is package {pkg}, not {package}")
            structs: dict[str, list[GoField] | str] = {}
            slices: dict[str, str] = {}
            for name in source.list_dir(directory):
                if not name.endswith(".go") or name.endswith("_test.go"):
                    continue
                if name.startswith(("zz_generated", "generated.")) or "_generated" in name:
                    continue
                go = source.read(f"{directory}/{name}") or ""
                more_structs, more_slices = parse_go(go)
                structs.update(more_structs)
                slices.update(more_slices)
            register = source.read(f"{directory}/register.go") or ""
            self.packages[package] = Package(proto, structs, slices, register)
        return self.packages[package]

    def message(self, full: str) -> ProtoMessage:
        package, _, name = full.rpartition(".")
        msg = self.package(package).proto.get(name)
        if msg is None:
            raise ValueError(f"no message {full}")
        return msg

    def kinds(self, api_version: str, key: str, directory: str) -> list[tuple[str, str]]:
        """(kind, full message name) of the served kinds of one group version."""
        source = self.sources[key]
        text = source.read(f"{directory}/generated.proto")
        if text is None:
            raise ValueError(f"{directory}/generated.proto not found")
        package = parse_proto(text)[0]
        pkg = self.package(package)
        block = re.search(r"AddKnownTypes\(SchemeGroupVersion,(.*?)\n\t\)", pkg.register, re.S)
        if block is None:
            raise ValueError(f"{directory}/register.go: no AddKnownTypes")
        out = []
        for kind in re.findall(r"&(\w+)\{\}", block.group(1)):
            if (api_version, kind) in NOT_SERVED:
                continue
            fields = pkg.structs.get(kind, [])
            if isinstance(fields, list) and any(
                f.type == "metav1.ObjectMeta" and (f.json or "").split(",")[0] == "metadata" for f in fields
            ):
                out.append((kind, f"{package}.{kind}"))
        return out

    def spec(self, full: str) -> tuple[str, list[str], str | None]:
        """A message's table entry, the messages it refers to and its short form."""
        msg = self.message(full)
        pkg = self.package(msg.package)
        by_num = {f.num: f for f in msg.fields}
        override = JSON_TAGS.get(full)
        go_fields: list[GoField]
        struct = pkg.structs.get(msg.name)
        if isinstance(struct, str):
            raise ValueError(f"{full}: Go struct: {struct}")
        if override is not None:
            tags, short = override
            if msg.name in pkg.slices:  # a named slice: one repeated field
                go_fields = [GoField("Items", "[]" + pkg.slices[msg.name], tags[1], 1)]
            else:
                if struct is None:
                    raise ValueError(f"{full}: no Go type")
                go_fields = [GoField(f.name, f.type, tags.get(f.proto_num or 0), f.proto_num) for f in struct]
        else:
            short = None
            if struct is None:
                raise ValueError(f"{full}: no Go struct and no entry in JSON_TAGS")
            go_fields = struct
        tokens: list[str] = []
        refs: list[str] = []
        seen: set[int] = set()
        for gf in go_fields:
            if gf.proto_num is None:
                if gf.json is not None and gf.json.split(",")[0] != "" and gf.json != "-":
                    raise ValueError(f"{full}.{gf.name}: a JSON field with no protobuf tag")
                continue  # TypeMeta and the like: not on the wire, not in JSON here
            pf = by_num.get(gf.proto_num)
            if pf is None:
                raise ValueError(f"{full}.{gf.name}: protobuf field {gf.proto_num} not in the proto")
            if gf.json is None:
                if gf.name:
                    raise ValueError(f"{full}.{gf.name}: no JSON tag and no entry in JSON_TAGS")
                gf_json = ""  # an embedded struct without a tag is inlined
            else:
                gf_json = gf.json
            if gf_json == "-":
                raise ValueError(f'{full}.{gf.name}: json:"-" on a protobuf field')
            name, *opts = gf_json.split(",")
            inline = not name and (not gf.name or "inline" in opts)
            if not name and not inline:
                name = gf.name
            flags = ""
            if "omitempty" in opts:
                flags += "o"
            if "omitzero" in opts:
                flags += "z"
            if gf.type.startswith("*"):
                flags += "p"
            if inline:
                flags += "i"
            typ = pf.type
            if typ not in SCALARS:
                if typ in BUILTINS:
                    typ = BUILTINS[typ]
                else:
                    refs.append(typ)
                    typ = "@" + short_name(typ)
            if pf.cont == "[]":
                typ = f"[{typ}]"
            elif pf.cont == "map":
                typ = f"{{{typ}}}"
            token = f"{pf.num}:{name}:{typ}"
            tokens.append(f"{token}:{flags}" if flags else token)
            seen.add(pf.num)
        missing = sorted(set(by_num) - seen)
        if missing:
            raise ValueError(f"{full}: proto fields {missing} have no Go field")
        return " ".join(tokens), refs, short

    def generate(self) -> tuple[dict[str, str], dict[tuple[str, str], str], dict[str, str], dict[str, str]]:
        kinds: dict[tuple[str, str], str] = {}
        roots: list[str] = []
        for api_version, key, directory in GROUP_VERSIONS:
            for kind, full in self.kinds(api_version, key, directory):
                kinds[(api_version, kind)] = short_name(full)
                roots.append(full)
        any_version = {kind: short_name(f"{META}.{kind}") for kind in ANY_VERSION_KINDS}
        roots += [f"{META}.{kind}" for kind in ANY_VERSION_KINDS]
        messages: dict[str, str] = {}
        shorts: dict[str, str] = {}
        todo = list(roots)
        done: set[str] = set()
        while todo:
            full = todo.pop()
            if full in done:
                continue
            done.add(full)
            spec, refs, short = self.spec(full)
            messages[short_name(full)] = spec
            if short is not None:
                shorts[short_name(full)] = short
            todo.extend(refs)
        return dict(sorted(messages.items())), kinds, any_version, dict(sorted(shorts.items()))


def short_name(full: str) -> str:
    """``k8s.io.api.apps.v1.Deployment`` -> ``apps.Deployment``; other versions than v1
    keep theirs (``autoscalingv2.MetricSpec``); meta/v1 is ``meta``, apiextensions ``apiext``.
    """
    package, _, name = full.rpartition(".")
    if package == META:
        return f"meta.{name}"
    if package == APIEXT:
        return f"apiext.{name}"
    if package.startswith("k8s.io.api."):
        group, version = package[len("k8s.io.api.") :].split(".")
        return f"{group}.{name}" if version == "v1" else f"{group}{version}.{name}"
    raise ValueError(f"no short name for {full}")


# --- output -------------------------------------------------------------------------

WIDTH = 110


def _entry(key: str, spec: str) -> list[str]:
    """One ``"key": "spec",`` item, split into a parenthesized string when long."""
    one = f'    "{key}": "{spec}",'
    if len(one) <= WIDTH:
        return [one]
    out = [f'    "{key}": (']
    line = ""
    for token in spec.split(" "):
        piece = token if not line else " " + token
        if line and len(line) + len(piece) + 10 > WIDTH:
            out.append(f'        "{line}"')
            line = " " + token
        else:
            line += piece
    out.append(f'        "{line}"')
    out.append("    ),")
    return out


def render(
    sources: str,
    command: str,
    messages: dict[str, str],
    kinds: dict[tuple[str, str], str],
    any_version: dict[str, str],
    shorts: dict[str, str],
) -> str:
    out = [
        '"""Kube protobuf message tables for :mod:`setpoint.apiserver.encoding.protobuf` (generated).',
        "",
        "Written by ``scripts/gen_protobuf_messages.py`` from kube's generated.proto files and the",
        "Go structs' JSON tags; do not edit by hand.  Sources:",
        "",
        *[f"* {line}" for line in sources.splitlines()],
        "",
        "Regenerate with::",
        "",
        *[f"    {line}" for line in command.splitlines()],
        '"""',
        "",
        "from __future__ import annotations",
        "",
        "from typing import Final",
        "",
        "#: One entry per proto message: space-separated fields ``number:jsonName:type[:flags]``, in",
        "#: the Go struct's order.  ``type`` is a scalar (``string bytes int32 int64 bool double``),",
        "#: a builtin with a hand-written JSON form (``time microtime duration quantity intorstr",
        "#: fieldsv1 rawext json``) or ``@package.Message``; ``[T]`` is a repeated field and ``{T}``",
        "#: a ``map<string, T>``.  Flags: ``o`` omitempty, ``z`` omitzero, ``p`` a Go pointer, ``i``",
        "#: an embedded struct whose fields are inlined.",
        "MESSAGES: Final[dict[str, str]] = {",
    ]
    for key, spec in messages.items():
        out += _entry(key, spec)
    out += ["}", "", "#: (apiVersion, kind) -> message.", "KINDS: Final[dict[tuple[str, str], str]] = {"]
    for (api_version, kind), name in kinds.items():
        one = f'    ("{api_version}", "{kind}"): "{name}",'
        if len(one) <= WIDTH:
            out.append(one)
        else:  # as ruff format splits it
            out += ["    (", f'        "{api_version}",', f'        "{kind}",', f'    ): "{name}",']
    out += [
        "}",
        "",
        "#: Kinds that every group version carries (``metav1.AddToGroupVersion``).",
        "ANY_VERSION_KINDS: Final[dict[str, str]] = {",
    ]
    out += [f'    "{kind}": "{name}",' for kind, name in any_version.items()]
    out += [
        "}",
        "",
        "#: Messages whose JSON is a short form of their fields (a custom MarshalJSON, or a",
        "#: named ``[]string`` whose one field is ``items``): message -> form.",
        "SHORT_FORMS: Final[dict[str, str]] = {",
    ]
    out += [f'    "{name}": "{form}",' for name, form in shorts.items()]
    out += ["}", ""]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for key, repo in (
        ("api", "kubernetes/api"),
        ("apimachinery", "kubernetes/apimachinery"),
        ("apiextensions", "kubernetes/apiextensions-apiserver"),
    ):
        parser.add_argument(f"--{key}", required=True, help=f"{repo}: a git directory or a work tree")
        parser.add_argument(
            f"--{key}-ref", default="HEAD", help="the commit to read (WORKTREE: the checked-out files)"
        )
    parser.add_argument("-o", "--output", required=True, help="the module to write")
    args = parser.parse_args(argv)
    repos = {"api": "kubernetes/api", "apimachinery": "kubernetes/apimachinery",
             "apiextensions": "kubernetes/apiextensions-apiserver"}  # fmt: skip
    sources = {key: Source(getattr(args, key), getattr(args, f"{key}_ref")) for key in repos}
    messages, kinds, any_version, shorts = Generator(sources).generate()
    described = "\n".join(f"{repos[key]} {source.describe()}" for key, source in sources.items())
    command = (
        "python scripts/gen_protobuf_messages.py \\\n"
        + " \\\n".join(
            f"    --{key} <{repos[key]}> --{key}-ref {(sources[key].commit() or 'WORKTREE')[:12]}"
            for key in repos
        )
        + f" \\\n    -o {args.output}"
    )
    Path(args.output).write_text(render(described, command, messages, kinds, any_version, shorts))
    print(f"{args.output}: {len(messages)} messages, {len(kinds)} kinds", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
