"""CRD schema semantics driven through the real kubectl: validation messages with kube's field
paths, defaulting, pruning, fieldValidation, CEL rules, subresources, printer columns,
selectable fields, explain, CRD validation and cleanup."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml
from crd_helpers import Server, eventually, wait_established

pytestmark = pytest.mark.e2e

WIDGET_CRD = """
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget, shortNames: [wd], categories: [gadgets]}
  versions:
  - name: v1
    served: true
    storage: true
    subresources:
      status: {}
      scale: {specReplicasPath: .spec.replicas, statusReplicasPath: .status.replicas, labelSelectorPath: .status.selector}
    additionalPrinterColumns:
    - {name: Color, type: string, jsonPath: .spec.color, description: The paint.}
    - {name: Replicas, type: integer, jsonPath: .spec.replicas}
    - {name: Ready, type: string, jsonPath: '.status.conditions[?(@.type=="Ready")].status'}
    selectableFields:
    - jsonPath: .spec.color
    schema:
      openAPIV3Schema:
        type: object
        description: A widget is a thing with a color.
        properties:
          spec:
            type: object
            description: The desired state of the widget.
            x-kubernetes-validations:
            - rule: self.replicas <= self.maxReplicas
              message: replicas must not exceed maxReplicas
            - rule: "!has(self.owner) || self.owner != 'root'"
              messageExpression: "'owner ' + self.owner + ' is reserved'"
              reason: FieldValueForbidden
              fieldPath: .owner
            properties:
              color: {type: string, enum: [red, green, blue], description: The paint of the widget.}
              replicas: {type: integer, minimum: 0, maximum: 10, default: 1, description: How many.}
              maxReplicas: {type: integer, default: 5}
              owner: {type: string}
              size:
                type: string
                x-kubernetes-validations:
                - {rule: self == oldSelf, message: size is immutable}
              name: {type: string, pattern: '^[a-z]+$', minLength: 2, maxLength: 8}
              note: {type: string, nullable: true}
              when: {type: string, format: date-time}
              hosts: {type: array, minItems: 1, items: {type: string}}
              tags: {type: array, items: {type: string}, x-kubernetes-list-type: set, maxItems: 3}
              ports:
                type: array
                x-kubernetes-list-type: map
                x-kubernetes-list-map-keys: [port]
                items:
                  type: object
                  required: [port]
                  properties:
                    port: {type: integer}
                    protocol: {type: string, default: TCP}
              limits:
                type: object
                additionalProperties:
                  type: object
                  properties:
                    max: {type: integer, default: 10}
                    min: {type: integer}
              quantity: {x-kubernetes-int-or-string: true}
              config: {type: object, x-kubernetes-preserve-unknown-fields: true}
              template:
                type: object
                x-kubernetes-embedded-resource: true
                x-kubernetes-preserve-unknown-fields: true
          status:
            type: object
            properties:
              replicas: {type: integer}
              selector: {type: string}
              conditions:
                type: array
                items:
                  type: object
                  properties:
                    type: {type: string}
                    status: {type: string}
"""

NS = "default"
BASE = f"/apis/example.com/v1/namespaces/{NS}/widgets"


@pytest.fixture(scope="module")
def widgets(srv: Server) -> Server:
    srv.apply(WIDGET_CRD)
    wait_established(srv, "widgets.example.com")
    eventually(lambda: srv.request("GET", BASE).status == 200)
    return srv


def widget(obj_name: str, **spec: Any) -> dict[str, Any]:
    return {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": obj_name, "namespace": NS},
            "spec": spec}


def test_crd_status_names_and_conditions(widgets: Server) -> None:
    crd = widgets.get("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com")
    conds = {c["type"]: c for c in crd["status"]["conditions"]}
    assert conds["NamesAccepted"]["status"] == "True" and conds["NamesAccepted"]["reason"] == "NoConflicts"
    assert conds["Established"]["status"] == "True"
    assert crd["status"]["acceptedNames"]["kind"] == "Widget"
    assert crd["status"]["acceptedNames"]["shortNames"] == ["wd"]
    assert crd["status"]["storedVersions"] == ["v1"]


def test_discovery_short_names_and_categories(widgets: Server) -> None:
    res = widgets.get("/apis/example.com/v1")["resources"]
    main = next(r for r in res if r["name"] == "widgets")
    assert main["shortNames"] == ["wd"]
    assert main["categories"] == ["gadgets"]
    assert {r["name"] for r in res} >= {"widgets", "widgets/status", "widgets/scale"}
    widgets.apply(widget("cat1", color="red"))
    out = widgets.kubectl("get", "gadgets", "-n", NS).stdout
    assert "cat1" in out


def test_explain_shows_field_descriptions(widgets: Server) -> None:
    out = widgets.kubectl("explain", "widget.spec.color").stdout
    assert "FIELD: color <string>" in out
    assert "The paint of the widget." in out
    assert "red" in out and "blue" in out
    out = widgets.kubectl("explain", "widgets.spec").stdout
    assert "The desired state of the widget." in out
    assert "replicas\t<integer>" in out
    assert "How many." in out
    out = widgets.kubectl("explain", "wd").stdout
    assert "A widget is a thing with a color." in out


@pytest.mark.parametrize(("spec", "line"), [
    ({"color": "purple"}, 'spec.color: Unsupported value: "purple": supported values: "red", "green", "blue"'),
    ({"name": "ABC"}, "spec.name: Invalid value: \"ABC\": spec.name in body should match '^[a-z]+$'"),
    ({"replicas": 20, "maxReplicas": 30},
     "spec.replicas: Invalid value: 20: spec.replicas in body should be less than or equal to 10"),
    ({"replicas": -1}, "spec.replicas: Invalid value: -1: spec.replicas in body should be greater than or equal to 0"),
    ({"name": "abcdefghij"}, "spec.name: Too long: may not be more than 8 bytes"),
    ({"name": "a"}, 'spec.name: Invalid value: "a": spec.name in body should be at least 2 chars long'),
    ({"tags": ["a", "b", "c", "d"]}, "spec.tags: Too many: 4: must have at most 3 items"),
    ({"hosts": []}, "spec.hosts: Invalid value: 0: spec.hosts in body should have at least 1 items"),
    ({"ports": [{"protocol": "UDP"}]}, "spec.ports[0].port: Required value"),
    ({"replicas": "three"},
     'spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string"'),
    ({"quantity": True},
     'spec.quantity: Invalid value: "boolean": spec.quantity in body must be of type integer,string: "boolean"'),
    ({"when": "yesterday"},
     'spec.when: Invalid value: "yesterday": spec.when in body must be of type date-time: "yesterday"'),
    ({"tags": ["a", "b", "a"]}, 'spec.tags[2]: Duplicate value: "a"'),
    ({"ports": [{"port": 80}, {"port": 80, "protocol": "UDP"}]},
     'spec.ports[1]: Duplicate value: {"port":80}'),
    ({"template": {"apiVersion": "v1", "metadata": {"name": "x"}}}, "spec.template.kind: Required value: must not be empty"),
    ({"replicas": 7, "maxReplicas": 6}, 'spec: Invalid value: "object": replicas must not exceed maxReplicas'),
    ({"owner": "root"}, "spec.owner: Forbidden: owner root is reserved"),
], ids=["enum", "pattern", "maximum", "minimum", "maxLength", "minLength", "maxItems", "minItems", "required",
        "type", "int-or-string", "format", "set", "map", "embedded", "cel", "cel-reason-fieldpath"])
def test_schema_keyword_rejects(widgets: Server, spec: dict[str, Any], line: str) -> None:
    r = widgets.apply(widget("bad", **spec), check=False)
    assert r.returncode == 1, r.stdout
    assert line in r.stderr, r.stderr
    assert 'The Widget "bad" is invalid' in r.stderr
    assert widgets.request("GET", f"{BASE}/bad").status == 404


def test_schema_errors_block_cel_rules(widgets: Server) -> None:
    r = widgets.apply(widget("bad", color="purple", replicas=7, maxReplicas=6), check=False)
    assert ('<nil>: Invalid value: "null": some validation rules were not checked because the object was invalid; '
            "correct the existing errors to complete validation") in r.stderr
    assert "replicas must not exceed" not in r.stderr


def test_exact_status_body(widgets: Server) -> None:
    r = widgets.request("POST", BASE, widget("bad", color="purple"))
    assert r.status == 422
    body = r.json()
    assert body["reason"] == "Invalid"
    assert body["details"]["kind"] == "Widget" and body["details"]["group"] == "example.com"
    assert body["details"]["causes"][0] == {
        "reason": "FieldValueNotSupported", "field": "spec.color",
        "message": 'Unsupported value: "purple": supported values: "red", "green", "blue"'}


def test_defaults_appear_also_in_arrays_and_maps(widgets: Server) -> None:
    widgets.apply(widget("defaults", color="green", ports=[{"port": 80}, {"port": 53, "protocol": "UDP"}],
                         limits={"cpu": {"min": 1}}))
    spec = widgets.get(f"{BASE}/defaults")["spec"]
    assert spec["replicas"] == 1
    assert spec["maxReplicas"] == 5
    assert spec["ports"] == [{"port": 80, "protocol": "TCP"}, {"port": 53, "protocol": "UDP"}]
    assert spec["limits"] == {"cpu": {"min": 1, "max": 10}}
    out = widgets.kubectl("get", "widget", "defaults", "-n", NS, "-o", "jsonpath={.spec.replicas}").stdout
    assert out == "1"


def test_nulls_nullable_and_preserved_fields(widgets: Server) -> None:
    body = widget("nulls", color="red", note=None, owner=None, config={"any": {"thing": [1, 2]}})
    r = widgets.request("POST", BASE, body)
    assert r.status == 201, r.body
    spec = r.json()["spec"]
    assert spec["note"] is None  # nullable: kept
    assert "owner" not in spec  # not nullable, no default: dropped
    assert spec["config"] == {"any": {"thing": [1, 2]}}  # x-kubernetes-preserve-unknown-fields


def test_unknown_fields_pruned_and_field_validation(widgets: Server) -> None:
    body = widget("pruned", color="red", bogus=1)
    body["extra"] = True
    r = widgets.request("POST", f"{BASE}?fieldValidation=Strict", body)
    assert r.status == 400
    assert r.json()["message"] == 'strict decoding error: unknown field "extra", unknown field "spec.bogus"'
    r = widgets.request("POST", f"{BASE}?fieldValidation=Warn", body)
    assert r.status == 201
    assert 'unknown field' in r.headers["warning"]
    assert "extra" not in r.json() and "bogus" not in r.json()["spec"]
    body["metadata"]["name"] = "pruned2"
    r = widgets.request("POST", f"{BASE}?fieldValidation=Ignore", body)
    assert r.status == 201 and "warning" not in r.headers
    assert "bogus" not in widgets.get(f"{BASE}/pruned2")["spec"]
    # kubectl validates strictly by default.
    out = widgets.apply(widget("pruned3", color="red", bogus=1), check=False)
    assert out.returncode == 1
    assert 'unknown field "spec.bogus"' in out.stderr
    widgets.apply(widget("pruned3", color="red", bogus=1), "--validate=false")
    assert "bogus" not in widgets.get(f"{BASE}/pruned3")["spec"]


def test_duplicate_fields_and_field_validation(widgets: Server) -> None:
    body = json.dumps(widget("dup", color="red")).replace('"color": "red"', '"color": "red", "color": "blue"')
    body = body.replace('"name": "dup"', '"name": "dup", "labels": {"a": "1", "a": "2"}')
    r = widgets.request("POST", f"{BASE}?fieldValidation=Strict", body.encode())
    assert r.status == 400, r.body
    assert r.json()["message"] == ('strict decoding error: duplicate field "metadata.labels.a", '
                                   'duplicate field "spec.color"')
    assert widgets.request("GET", f"{BASE}/dup").status == 404
    r = widgets.request("POST", f"{BASE}?fieldValidation=Warn", body.encode())
    assert r.status == 201 and 'duplicate field \\"spec.color\\"' in r.headers["warning"]
    assert r.json()["spec"]["color"] == "blue"  # the last one wins, as Go's decoder keeps it
    cm = b'{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "dup"}, "data": {"k": "1", "k": "2"}}'
    r = widgets.request("POST", "/api/v1/namespaces/default/configmaps?fieldValidation=Strict", cm)
    assert r.status == 400 and r.json()["message"] == 'strict decoding error: duplicate field "data.k"'
    r = widgets.request("POST", "/api/v1/namespaces/default/configmaps?fieldValidation=Ignore", cm)
    assert r.status == 201 and "warning" not in r.headers


def test_cel_transition_rule(widgets: Server) -> None:
    widgets.apply(widget("sized", color="red", size="small"))
    r = widgets.kubectl("patch", "widget", "sized", "-n", NS, "--type=merge", "-p", '{"spec":{"size":"big"}}',
                        check=False)
    assert r.returncode == 1
    assert 'The Widget "sized" is invalid: spec.size: Invalid value: "string": size is immutable' in r.stderr
    # Unchanged: the transition rule holds; other fields may change.
    widgets.kubectl("patch", "widget", "sized", "-n", NS, "--type=merge", "-p", '{"spec":{"color":"blue"}}')
    assert widgets.get(f"{BASE}/sized")["spec"]["color"] == "blue"


def test_status_and_spec_are_separate_and_generation(widgets: Server) -> None:
    widgets.apply(widget("gen", color="red", replicas=2))
    obj = widgets.get(f"{BASE}/gen")
    assert obj["metadata"]["generation"] == 1 and "status" not in obj
    # A write to the main resource ignores status.
    widgets.kubectl("patch", "widget", "gen", "-n", NS, "--type=merge", "-p", '{"status":{"replicas":2}}')
    obj = widgets.get(f"{BASE}/gen")
    assert "status" not in obj and obj["metadata"]["generation"] == 1
    # A write to /status ignores everything else and does not move generation.
    widgets.kubectl("patch", "widget", "gen", "-n", NS, "--subresource=status", "--type=merge", "-p",
                    '{"status":{"replicas":2,"conditions":[{"type":"Ready","status":"True"}]},"spec":{"replicas":9}}')
    obj = widgets.get(f"{BASE}/gen")
    assert obj["status"]["replicas"] == 2 and obj["spec"]["replicas"] == 2
    assert obj["metadata"]["generation"] == 1
    # The status is validated too.
    r = widgets.kubectl("patch", "widget", "gen", "-n", NS, "--subresource=status", "--type=merge", "-p",
                        '{"status":{"replicas":"two"}}', check=False)
    assert 'status.replicas: Invalid value: "string": status.replicas in body must be of type integer' in r.stderr
    # A spec change moves generation.
    widgets.kubectl("patch", "widget", "gen", "-n", NS, "--type=merge", "-p", '{"spec":{"replicas":3}}')
    assert widgets.get(f"{BASE}/gen")["metadata"]["generation"] == 2


def test_kubectl_scale(widgets: Server) -> None:
    widgets.apply(widget("scaled", color="red", replicas=1))
    widgets.kubectl("patch", "widget", "scaled", "-n", NS, "--subresource=status", "--type=merge", "-p",
                    '{"status":{"replicas":1,"selector":"app=scaled"}}')
    assert widgets.kubectl("scale", "widget", "scaled", "-n", NS, "--replicas=4").stdout == \
        "widget.example.com/scaled scaled\n"
    assert widgets.get(f"{BASE}/scaled")["spec"]["replicas"] == 4
    scale = widgets.get(f"{BASE}/scaled/scale")
    assert scale["kind"] == "Scale" and scale["apiVersion"] == "autoscaling/v1"
    assert scale["spec"] == {"replicas": 4}
    assert scale["status"] == {"replicas": 1, "selector": "app=scaled"}
    # The schema still applies through /scale.
    r = widgets.kubectl("scale", "widget", "scaled", "-n", NS, "--replicas=40", check=False)
    assert r.returncode == 1
    assert "spec.replicas in body should be less than or equal to 10" in r.stderr


def test_printer_columns(widgets: Server) -> None:
    widgets.apply(widget("printed", color="green", replicas=3))
    widgets.kubectl("patch", "widget", "printed", "-n", NS, "--subresource=status", "--type=merge", "-p",
                    '{"status":{"conditions":[{"type":"Synced","status":"False"},{"type":"Ready","status":"True"}]}}')
    out = widgets.kubectl("get", "widget", "printed", "-n", NS).stdout.splitlines()
    assert out[0].split() == ["NAME", "COLOR", "REPLICAS", "READY"]
    assert out[1].split() == ["printed", "green", "3", "True"]
    wide = widgets.kubectl("get", "wd", "printed", "-n", NS, "-o", "wide").stdout.splitlines()
    assert wide[0].split() == ["NAME", "COLOR", "REPLICAS", "READY"]


def test_selectable_fields(widgets: Server) -> None:
    widgets.apply(widget("sel-red", color="red"))
    widgets.apply(widget("sel-blue", color="blue"))
    out = widgets.kubectl("get", "widgets", "-n", NS, "--field-selector", "spec.color=blue", "-o", "name").stdout
    assert "widget.example.com/sel-blue" in out.split()
    assert "widget.example.com/sel-red" not in out.split()
    r = widgets.kubectl("get", "widgets", "-n", NS, "--field-selector", "spec.owner=x", check=False)
    assert r.returncode == 1
    assert "field label not supported: spec.owner" in r.stderr


def test_crd_deletion_removes_its_objects(srv: Server) -> None:
    crd = yaml.safe_load(WIDGET_CRD)
    crd["metadata"]["name"] = "gizmos.example.com"
    crd["spec"]["names"] = {"plural": "gizmos", "kind": "Gizmo"}
    srv.apply(crd)
    wait_established(srv, "gizmos.example.com")
    path = f"/apis/example.com/v1/namespaces/{NS}/gizmos"
    eventually(lambda: srv.request("GET", path).status == 200)
    for i in range(3):
        r = srv.request("POST", path, {"apiVersion": "example.com/v1", "kind": "Gizmo",
                                       "metadata": {"name": f"g{i}"}, "spec": {"color": "red"}})
        assert r.status == 201, r.body
    srv.kubectl("delete", "crd", "gizmos.example.com")
    assert srv.request("GET", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/gizmos.example.com").status == 404
    assert srv.request("GET", path).status == 404
    # Created again: empty.
    srv.apply(crd)
    wait_established(srv, "gizmos.example.com")
    eventually(lambda: srv.request("GET", path).status == 200)
    assert srv.get(path)["items"] == []
    srv.kubectl("delete", "crd", "gizmos.example.com")


def _crd(name: str, schema: dict[str, Any], **version: Any) -> dict[str, Any]:
    return {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": f"{name}s.example.com"},
            "spec": {"group": "example.com", "scope": "Namespaced",
                     "names": {"plural": f"{name}s", "kind": name.capitalize()},
                     "versions": [{"name": "v1", "served": True, "storage": True,
                                   "schema": {"openAPIV3Schema": schema}, **version}]}}


SPEC_PATH = "spec.validation.openAPIV3Schema.properties[spec]"


@pytest.mark.parametrize(("schema", "line"), [
    ({"type": "object", "properties": {"spec": {"properties": {"a": {"type": "string"}}}}},
     f"{SPEC_PATH}.type: Required value: must not be empty for specified object fields"),
    ({"type": "object", "properties": {"spec": {"type": "array"}}},
     f"{SPEC_PATH}.items: Required value: must be specified"),
    ({"type": "object", "additionalProperties": {"type": "string"}},
     "spec.validation.openAPIV3Schema.additionalProperties: Forbidden: must not be used at the root"),
    ({"type": "object", "properties": {"spec": {"type": "object", "anyOf": [{"type": "string"}]}}},
     f"{SPEC_PATH}.anyOf[0].type: Forbidden: must be empty to be structural"),
    ({"type": "object", "properties": {"spec": {"type": "object", "x-kubernetes-validations": [
        {"rule": "self.foo > 1"}]}}},
     f"{SPEC_PATH}.x-kubernetes-validations[0].rule: Invalid value: apiextensions.ValidationRule{{"
     'Rule:"self.foo > 1", Message:"", MessageExpression:"", Reason:(*apiextensions.FieldValueErrorReason)(nil), '
     'FieldPath:"", OptionalOldSelf:(*bool)(nil)}: compilation failed: ERROR: <input>:1:5: undefined field \'foo\''),
    ({"type": "object", "properties": {"spec": {"type": "object", "properties": {"count": {
        "type": "integer", "maximum": 3, "default": 5}}}}},
     f"{SPEC_PATH}.properties[count].default: Invalid value: 5: {SPEC_PATH}.properties[count].default in body should be "
     "less than or equal to 3"),
    ({"type": "object", "properties": {"spec": {"type": "object", "properties": {"items": {
        "type": "array", "items": {"type": "string"},
        "x-kubernetes-validations": [{"rule": "self.all(x, self.all(y, x.contains(y)))"}]}}}}},
     f"{SPEC_PATH}.properties[items].x-kubernetes-validations[0].rule: Forbidden: estimated rule cost exceeds "
     "budget by factor of more than 100x (try simplifying the rule, or adding maxItems, maxProperties, and "
     "maxLength where arrays, maps, and strings are declared)"),
    ({"type": "object", "properties": {"spec": {"type": "object", "properties": {"l": {
        "type": "array", "maxItems": 5, "items": {"type": "string", "maxLength": 10,
                                                  "x-kubernetes-validations": [{"rule": "self == oldSelf"}]}}}}}},
     f"{SPEC_PATH}.properties[l].items.x-kubernetes-validations[0].rule: Invalid value: \"self == oldSelf\": "
     f"oldSelf cannot be used on the uncorrelatable portion of the schema within {SPEC_PATH}.properties[l]"),
    ({"type": "object", "properties": {"spec": {"type": "object", "properties": {"l": {
        "type": "array", "x-kubernetes-list-type": "map", "items": {"type": "object"}}}}}},
     f"{SPEC_PATH}.properties[l].x-kubernetes-list-map-keys: Required value: must not be empty if "
     "x-kubernetes-list-type is map"),
], ids=["type", "items", "root-additional", "nested-type", "cel-undefined", "default", "cost", "oldself", "listmap"])
def test_crd_schema_must_be_structural(srv: Server, schema: dict[str, Any], line: str) -> None:
    r = srv.apply(_crd("gadget", schema), "--validate=false", check=False)
    assert r.returncode == 1, r.stdout
    assert 'The CustomResourceDefinition "gadgets.example.com" is invalid' in r.stderr
    assert line in r.stderr, r.stderr


def test_crd_names_and_versions_rules(srv: Server) -> None:
    crd = _crd("gadget", {"type": "object"})
    crd["spec"]["versions"].append({"name": "v2", "served": True, "storage": True,
                                    "schema": {"openAPIV3Schema": {"type": "object"}}})
    crd["spec"]["names"]["shortNames"] = ["G!"]
    crd["spec"]["group"] = "example"
    r = srv.apply(crd, "--validate=false", check=False)
    assert r.returncode == 1
    assert "must have exactly one version marked as storage version" in r.stderr
    assert 'spec.names.shortNames[0]: Invalid value: "G!": a DNS-1035 label must consist of lower case' in r.stderr
    assert 'spec.group: Invalid value: "example": should be a domain with at least one dot' in r.stderr
    assert 'metadata.name: Invalid value: "gadgets.example.com": must be spec.names.plural+"."+spec.group' in r.stderr


def test_schema_update_applies_and_ratchets(srv: Server) -> None:
    schema: dict[str, Any] = {"type": "object", "properties": {"spec": {"type": "object", "properties": {
        "count": {"type": "integer", "maximum": 10}, "note": {"type": "string"}}}}}
    crd = _crd("sprocket", schema)
    srv.apply(crd)
    wait_established(srv, "sprockets.example.com")
    path = f"/apis/example.com/v1/namespaces/{NS}/sprockets"
    eventually(lambda: srv.request("GET", path).status == 200)
    obj = {"apiVersion": "example.com/v1", "kind": "Sprocket", "metadata": {"name": "s1", "namespace": NS},
           "spec": {"count": 8}}
    srv.apply(obj)
    schema["properties"]["spec"]["properties"]["count"]["maximum"] = 5
    schema["properties"]["spec"]["properties"]["count"]["default"] = 1
    srv.apply(crd)
    fresh = {**obj, "metadata": {"name": "s2", "namespace": NS}}
    eventually(lambda: srv.request("POST", path, fresh).status == 422)
    # Unchanged count=8 no longer fits the schema, but an update that leaves it alone is accepted.
    srv.kubectl("patch", "sprocket", "s1", "-n", NS, "--type=merge", "-p", '{"spec":{"note":"hello"}}')
    r = srv.kubectl("patch", "sprocket", "s1", "-n", NS, "--type=merge", "-p", '{"spec":{"count":7}}', check=False)
    assert "spec.count: Invalid value: 7: spec.count in body should be less than or equal to 5" in r.stderr
    srv.kubectl("delete", "crd", "sprockets.example.com")
