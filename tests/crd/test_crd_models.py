"""Python models as CRDs: model -> CRD -> kubectl apply -> objects read back through the model."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from crd_helpers import BIN, Server, eventually, wait_established
from crd_models import Backup, BackupSpec, BackupStatus, Condition, Schedule, Target
from pydantic import Field

from setpoint.apiserver.apiextensions import crd_validation
from setpoint.models import (
    CRDModel,
    CustomResource,
    ObjectMeta,
    Rule,
    SchemaError,
    crd_for,
    crd_yaml,
    schema_for,
)

HERE = Path(__file__).parent
PATH = "/apis/db.example.com/v1/namespaces/default/backups"


def test_schema_is_structural_with_descriptions_defaults_enums_required() -> None:
    crd = crd_for(Backup)
    assert crd["metadata"]["name"] == "backups.db.example.com"
    assert crd["spec"]["names"] == {"plural": "backups", "singular": "backup", "kind": "Backup",
                                    "listKind": "BackupList", "shortNames": ["bk"], "categories": ["db"]}
    version = crd["spec"]["versions"][0]
    assert version["subresources"] == {"status": {}, "scale": {"specReplicasPath": ".spec.replicas",
                                                               "statusReplicasPath": ".status.replicas"}}
    assert version["selectableFields"] == [{"jsonPath": ".spec.database"}]
    schema = version["schema"]["openAPIV3Schema"]
    assert schema["description"] == "A Backup keeps copies of a database on a schedule."
    assert schema["required"] == ["spec"]
    spec = schema["properties"]["spec"]
    assert spec["required"] == ["database", "target"]
    assert spec["x-kubernetes-validations"] == [{"rule": "self.replicas <= self.keep",
                                                 "message": "replicas cannot exceed keep"}]
    props = spec["properties"]
    assert props["schedule"] == {"type": "string", "enum": ["hourly", "daily", "weekly"], "default": "daily",
                                 "description": "How often."}
    assert props["keep"]["x-kubernetes-validations"] == [{"rule": "self <= 30", "message": "keep at most 30 backups"}]
    assert props["keep"]["minimum"] == 1 and props["keep"]["default"] == 7
    assert props["target"]["properties"]["bucket"]["pattern"] == "^[a-z0-9-]+$"
    assert props["excludedTables"]["x-kubernetes-list-type"] == "set"
    assert "uniqueItems" not in props["excludedTables"]
    assert props["retention"]["x-kubernetes-int-or-string"] is True
    assert props["labels"]["additionalProperties"] == {"type": "string"}
    assert props["compression"]["enum"] == ["none", "gzip", "zstd"]
    # It is a valid CRD as the apiextensions-apiserver sees it.
    assert crd_validation.validate_crd(crd) == []


def test_recursive_and_unsupported_unions_are_refused() -> None:
    class Node(CRDModel):
        children: list[Node] = []

    class Tree(CustomResource, group="t.example.com"):
        spec: Node

    with pytest.raises(SchemaError, match="recursive"):
        schema_for(Tree)

    class Mixed(CRDModel):
        value: int | list[str]

    with pytest.raises(SchemaError, match="unions"):
        schema_for(Mixed)


def test_multi_version_crd() -> None:
    class SpecV1(CRDModel):
        size: int = Field(default=1, description="Size.")

    class ThingV1(CustomResource, group="things.example.com", version="v1", kind="Thing"):
        spec: SpecV1

    class ThingV1beta1(CustomResource, group="things.example.com", version="v1beta1", kind="Thing", storage=False):
        spec: dict[str, Any] = {}

    crd = crd_for(ThingV1, ThingV1beta1)
    assert [(v["name"], v["storage"]) for v in crd["spec"]["versions"]] == [("v1", True), ("v1beta1", False)]
    assert "subresources" not in crd["spec"]["versions"][0]
    assert crd_validation.validate_crd(crd) == []
    with pytest.raises(SchemaError, match="exactly one"):
        crd_for(ThingV1beta1)


def test_cli_generate_prints_the_yaml() -> None:
    exe = BIN / "setpoint"
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "setpoint"]
    proc = subprocess.run([*cmd, "crd", "generate", "crd_models:Backup"], cwd=HERE, capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert yaml.safe_load(proc.stdout) == crd_for(Backup)
    assert proc.stdout == crd_yaml(Backup)
    proc = subprocess.run([*cmd, "crd", "generate", "crd_models:Nope"], cwd=HERE, capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 1
    assert "Nope" in proc.stderr


@pytest.mark.e2e
def test_model_crd_apply_and_round_trip(srv: Server) -> None:
    srv.apply(crd_yaml(Backup))
    wait_established(srv, "backups.db.example.com")
    eventually(lambda: srv.request("GET", PATH).status == 200)
    backup = Backup(metadata=ObjectMeta(name="nightly", namespace="default"),
                    spec=BackupSpec(database="orders", target=Target(bucket="db-backups"),
                                    excluded_tables={"sessions"}, labels={"team": "shop"}))
    srv.apply(backup.to_dict())
    out = srv.kubectl("get", "backup", "nightly", "-o", "json").stdout
    import json

    read = Backup.parse(json.loads(out))
    # Server-side defaults came back through the model.
    assert read.spec.schedule is Schedule.DAILY
    assert read.spec.keep == 7
    assert read.spec.target.prefix == "backups/"
    assert read.spec.compression == "gzip"
    assert read.spec.retention == "7d"
    assert read.spec.excluded_tables == {"sessions"}
    assert read.metadata.uid and read.metadata.generation == 1
    assert read.api_version == "db.example.com/v1" and read.kind == "Backup"
    # kubectl sees the printer columns and short name.
    lines = srv.kubectl("get", "bk").stdout.splitlines()
    assert lines[0].split() == ["NAME", "DATABASE", "SCHEDULE", "KEEP"]
    assert lines[1].split() == ["nightly", "orders", "daily", "7"]
    # The rules declared on the model are enforced.
    bad = backup.model_copy(update={"spec": backup.spec.model_copy(update={"keep": 40})})
    r = srv.apply(bad.to_dict(), check=False)
    assert "spec.keep: Invalid value: \"integer\": keep at most 30 backups" in r.stderr
    bad = backup.model_copy(update={"spec": backup.spec.model_copy(update={"replicas": 5, "keep": 3})})
    r = srv.apply(bad.to_dict(), check=False)
    assert 'spec: Invalid value: "object": replicas cannot exceed keep' in r.stderr
    # A controller writes status through the model.
    read.status = BackupStatus(last_backup="2026-01-01T00:00:00Z", replicas=1,
                               conditions=[Condition(type="Ready", status="True")])
    resp = srv.request("PUT", f"{PATH}/nightly/status", read.to_dict())
    assert resp.status == 200, resp.body
    again = Backup.parse(srv.get(f"{PATH}/nightly"))
    assert again.status is not None and again.status.conditions[0].status == "True"
    assert again.status.last_backup == "2026-01-01T00:00:00Z"
    # kubectl scale through the declared scale subresource.
    srv.kubectl("scale", "backup", "nightly", "--replicas=2")
    assert Backup.parse(srv.get(f"{PATH}/nightly")).spec.replicas == 2


def test_rule_on_nested_model_field() -> None:
    class Inner(CRDModel):
        a: int = 0

    class Outer(CRDModel):
        inner: Inner = Field(default_factory=Inner)
        ruled: Inner | None = Field(default=None, json_schema_extra={"x-kubernetes-validations": [{"rule": "self.a > 0"}]})

    schema = schema_for(Outer)
    assert schema["properties"]["ruled"]["x-kubernetes-validations"] == [{"rule": "self.a > 0"}]
    assert schema["properties"]["ruled"]["properties"] == {"a": {"type": "integer", "default": 0}}
    assert Rule("x", reason="FieldValueForbidden", field_path=".a").to_dict() == {
        "rule": "x", "reason": "FieldValueForbidden", "fieldPath": ".a"}
