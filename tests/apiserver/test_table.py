"""Server-side printing: Table, PartialObjectMetadata and kube's duration format."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from setpoint.apiserver import builtin
from setpoint.apiserver.endpoints.table import (
    DEFAULT_COLUMNS,
    age_since,
    column_definitions,
    human_duration,
    partial_object_metadata,
    partial_object_metadata_list,
    render_table,
)
from setpoint.apiserver.registry.resources import Column, Resource

Obj = dict[str, Any]

#: The built-in kinds' columns, by kind ("events.k8s.io/Event" for that group's), and the CRD's.
BUILTIN_COLUMNS = {
    ("events.k8s.io/" if r.group == "events.k8s.io" else "") + r.kind: r.columns for r in builtin.builtin_resources()
}
BUILTIN_COLUMNS["CustomResourceDefinition"] = DEFAULT_COLUMNS

S = timedelta(seconds=1)
MS = timedelta(milliseconds=1)
US = timedelta(microseconds=1)
M = timedelta(minutes=1)
H = timedelta(hours=1)
D = timedelta(days=1)


# --- HumanDuration: the cases of apimachinery's duration_test.go ---------------------

HUMAN = [
    (S, "1s"),
    (70 * S, "70s"),
    (190 * S, "3m10s"),
    (70 * M, "70m"),
    (47 * H, "47h"),
    (49 * H, "2d1h"),
    ((8 * 24 + 2) * H, "8d"),
    ((367 * 24) * H, "367d"),
    ((365 * 2 * 24 + 25) * H, "2y1d"),
    ((365 * 8 * 24 + 2) * H, "8y"),
]

BOUNDARIES = [
    (-2 * S, "<invalid>"),
    (-2 * S + US, "0s"),  # Go's case is -2s+1ns; a timedelta's unit is 1µs
    (timedelta(0), "0s"),
    (S - MS, "0s"),
    (2 * M - MS, "119s"),
    (2 * M, "2m"),
    (2 * M + S, "2m1s"),
    (10 * M - MS, "9m59s"),
    (10 * M, "10m"),
    (10 * M + S, "10m"),
    (3 * H - MS, "179m"),
    (3 * H, "3h"),
    (3 * H + M, "3h1m"),
    (8 * H - MS, "7h59m"),
    (8 * H, "8h"),
    (8 * H + 59 * M, "8h"),
    (2 * 24 * H - MS, "47h"),
    (2 * 24 * H, "2d"),
    (2 * 24 * H + H, "2d1h"),
    (8 * 24 * H - MS, "7d23h"),
    (8 * 24 * H, "8d"),
    (8 * 24 * H + 23 * H, "8d"),
    (2 * 365 * 24 * H - MS, "729d"),
    (2 * 365 * 24 * H, "2y"),
    (2 * 365 * 24 * H + 23 * H, "2y"),
    (2 * 365 * 24 * H + 23 * H + 59 * M, "2y"),
    (2 * 365 * 24 * H + 24 * H - MS, "2y"),
    (2 * 365 * 24 * H + 24 * H, "2y1d"),
    (3 * 365 * 24 * H, "3y"),
    (4 * 365 * 24 * H, "4y"),
    (5 * 365 * 24 * H, "5y"),
    (6 * 365 * 24 * H, "6y"),
    (7 * 365 * 24 * H, "7y"),
    (8 * 365 * 24 * H - MS, "7y364d"),
    (8 * 365 * 24 * H, "8y"),
    (8 * 365 * 24 * H + 364 * 24 * H, "8y"),
    (9 * 365 * 24 * H, "9y"),
]


@pytest.mark.parametrize(("d", "want"), HUMAN + BOUNDARIES)
def test_human_duration(d: timedelta, want: str) -> None:
    assert human_duration(d) == want


def test_human_duration_accepts_seconds() -> None:
    assert human_duration(190) == "3m10s"
    assert human_duration(-1.5) == "0s"
    assert human_duration(-2.0) == "<invalid>"
    assert human_duration(-1.999999999) == "0s"


NOW = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)


def _ts(delta: timedelta) -> str:
    return (NOW - delta).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_age_since() -> None:
    assert age_since(_ts(5 * M), NOW) == "5m"
    assert age_since(_ts(3 * H + 2 * M), NOW) == "3h2m"
    assert age_since(_ts(2 * D), NOW) == "2d"
    assert age_since("2024-05-01T11:59:30.123456Z", NOW) == "29s"
    assert age_since("2024-05-01T13:59:30+02:00", NOW) == "30s"
    for unknown in (None, "", "0001-01-01T00:00:00Z", "garbage", 12):
        assert age_since(unknown, NOW) == "<unknown>"


def _now_ts(delta: timedelta) -> str:
    return (datetime.now(UTC) - delta).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- Table -------------------------------------------------------------------------


def _configmaps() -> Resource:
    return Resource(
        "", "v1", "ConfigMap", "configmaps", "configmap", True, columns=BUILTIN_COLUMNS["ConfigMap"]
    )


def _cm(name: str, rv: str = "7", **extra: Any) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": name,
            "namespace": "default",
            "resourceVersion": rv,
            "creationTimestamp": _now_ts(5 * M),
        },
        **extra,
    }


def test_configmap_table() -> None:
    objs = [_cm("a", data={"x": "1", "y": "2"}, binaryData={"z": "AA=="}), _cm("b")]
    t = render_table(_configmaps(), objs, list_meta={"resourceVersion": "42", "continue": "c"})
    assert t["kind"] == "Table"
    assert t["apiVersion"] == "meta.k8s.io/v1"
    assert t["metadata"] == {"resourceVersion": "42", "continue": "c"}
    assert [c["name"] for c in t["columnDefinitions"]] == ["Name", "Data", "Age"]
    name, data, age = t["columnDefinitions"]
    assert name["format"] == "name"
    assert name["type"] == "string"
    assert name["priority"] == 0
    assert name["description"].startswith("Name must be unique within a namespace.")
    assert data == {
        "name": "Data",
        "type": "string",
        "format": "",
        "description": data["description"],
        "priority": 0,
    }
    assert data["description"].startswith("Data contains the configuration data.")
    assert age["description"].startswith("CreationTimestamp is a timestamp")
    assert [r["cells"] for r in t["rows"]] == [["a", 3, "5m"], ["b", 0, "5m"]]
    assert t["rows"][0]["object"] == {
        "kind": "PartialObjectMetadata",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": objs[0]["metadata"],
    }


def test_include_object() -> None:
    obj = _cm("a")
    assert render_table(_configmaps(), [obj], include_object="Object")["rows"][0]["object"] is obj
    assert render_table(_configmaps(), [obj], include_object="None")["rows"][0]["object"] is None


def test_single_object_resource_version() -> None:
    assert render_table(_configmaps(), [_cm("a", rv="99")])["metadata"] == {"resourceVersion": "99"}
    assert render_table(_configmaps(), [])["metadata"] == {}
    assert render_table(_configmaps(), [], list_meta={"resourceVersion": "3"})["rows"] == []


def test_custom_columns_replace_age() -> None:
    col = Column("Spec", "string", lambda o: o.get("spec", {}).get("cronSpec"))
    age = Column("Age", "date", lambda o: age_since(o["metadata"].get("creationTimestamp")))
    r = Resource(
        "stable.example.com",
        "v1",
        "CronTab",
        "crontabs",
        "crontab",
        True,
        columns=(col, age),
        columns_replace_age=True,
        custom=True,
    )
    t = render_table(r, [{"metadata": {"name": "c", "creationTimestamp": _now_ts(5 * H)}, "spec": {}}])
    assert [c["name"] for c in t["columnDefinitions"]] == ["Name", "Spec", "Age"]
    assert t["rows"][0]["cells"] == ["c", None, "5h"]
    plain = Resource("stable.example.com", "v1", "CronTab", "crontabs", "crontab", True, custom=True)
    assert [c["name"] for c in column_definitions(plain)] == ["Name", "Age"]


def test_partial_object_metadata() -> None:
    obj = _cm("a")
    assert partial_object_metadata(obj) == {
        "kind": "PartialObjectMetadata",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": obj["metadata"],
    }
    assert partial_object_metadata({})["metadata"] == {}
    lst = partial_object_metadata_list([obj], {"resourceVersion": "5"})
    assert lst["kind"] == "PartialObjectMetadataList"
    assert lst["apiVersion"] == "meta.k8s.io/v1"
    assert lst["metadata"] == {"resourceVersion": "5"}
    assert lst["items"] == [partial_object_metadata(obj)]


# --- the built-in kinds (printers.go) ----------------------------------------------


def _cells(kind: str, obj: Obj) -> list[Any]:
    return [c.value(obj) for c in BUILTIN_COLUMNS[kind]]


def _names(kind: str) -> list[str]:
    return [c.name for c in BUILTIN_COLUMNS[kind]]


def test_simple_kinds() -> None:
    assert _names("Namespace") == ["Status"]
    assert _cells("Namespace", {"status": {"phase": "Active"}}) == ["Active"]
    assert _cells("Namespace", {}) == [""]
    assert _names("ConfigMap") == ["Data"]
    assert _names("Secret") == ["Type", "Data"]
    assert _cells("Secret", {"type": "Opaque", "data": {"a": "", "b": ""}}) == ["Opaque", 2]
    assert _names("ServiceAccount") == ["Secrets"]
    assert _cells("ServiceAccount", {"secrets": [{"name": "a"}]}) == [1]
    assert _cells("ServiceAccount", {}) == [0]
    assert _names("Lease") == ["Holder"]
    assert _cells("Lease", {"spec": {"holderIdentity": "me"}}) == ["me"]
    assert _cells("Lease", {"spec": {}}) == [""]


def test_crd_default_table() -> None:
    r = Resource(
        "apiextensions.k8s.io",
        "v1",
        "CustomResourceDefinition",
        "customresourcedefinitions",
        "customresourcedefinition",
        False,
        columns=BUILTIN_COLUMNS["CustomResourceDefinition"],
    )
    defs = column_definitions(r)
    assert [(c["name"], c["type"], c["format"]) for c in defs] == [
        ("Name", "string", "name"),
        ("Created At", "date", ""),
    ]
    obj = {"metadata": {"name": "crontabs.stable.example.com", "creationTimestamp": "2024-01-02T03:04:05Z"}}
    assert render_table(r, [obj])["rows"][0]["cells"] == [
        "crontabs.stable.example.com",
        "2024-01-02T03:04:05Z",
    ]
    assert render_table(r, [{"metadata": {"name": "x"}}])["rows"][0]["cells"] == ["x", "0001-01-01T00:00:00Z"]


EVENT_COLUMNS = [
    ("Last Seen", 0),
    ("Type", 0),
    ("Reason", 0),
    ("Object", 0),
    ("Subobject", 1),
    ("Source", 1),
    ("Message", 0),
    ("First Seen", 1),
    ("Count", 1),
    ("Name", 1),
]


@pytest.mark.parametrize("kind", ["Event", "events.k8s.io/Event"])
def test_event_columns(kind: str) -> None:
    cols = BUILTIN_COLUMNS[kind]
    assert [(c.name, c.priority) for c in cols] == EVENT_COLUMNS
    assert cols[-1].format == "name"
    group = "events.k8s.io" if "/" in kind else ""
    r = Resource(group, "v1", "Event", "events", "event", True, columns=cols)
    # The Event columns are the whole table: Name is the last, wide one; no Age.
    assert [c["name"] for c in column_definitions(r)] == [n for n, _ in EVENT_COLUMNS]


def test_core_event_cells() -> None:
    obj = {
        "metadata": {"name": "ev1", "namespace": "default"},
        "involvedObject": {"kind": "Pod", "name": "p1", "fieldPath": "spec.containers{c}"},
        "reason": "Started",
        "message": "  Started container \n",
        "type": "Normal",
        "count": 3,
        "firstTimestamp": _now_ts(3 * H + 2 * M),
        "lastTimestamp": _now_ts(5 * M),
        "source": {"component": "kubelet", "host": "node1"},
    }
    assert _cells("Event", obj) == [
        "5m",
        "Normal",
        "Started",
        "pod/p1",
        "spec.containers{c}",
        "kubelet, node1",
        "Started container",
        "3h2m",
        3,
        "ev1",
    ]


def test_core_event_new_style() -> None:
    # Written through events.k8s.io: eventTime, series, reporting*; no first/last/count.
    obj = {
        "metadata": {"name": "ev2"},
        "involvedObject": {"kind": "Node"},
        "eventTime": (datetime.now(UTC) - 10 * M).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "reportingComponent": "ctrl",
        "reportingInstance": "ctrl-1",
        "type": "Warning",
        "reason": "R",
        "message": "m",
    }
    cells = _cells("Event", obj)
    assert cells == ["10m", "Warning", "R", "node", "", "ctrl, ctrl-1", "m", "10m", 1, "ev2"]
    obj["series"] = {
        "count": 7,
        "lastObservedTime": (datetime.now(UTC) - 30 * S).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
    }
    cells = _cells("Event", obj)
    assert cells[0] == "30s"
    assert cells[8] == 7


def test_events_k8s_io_cells() -> None:
    obj = {
        "metadata": {"name": "ev3"},
        "regarding": {"kind": "Deployment", "name": "web"},
        "note": "Scaled up",
        "reason": "ScalingReplicaSet",
        "type": "Normal",
        "eventTime": (datetime.now(UTC) - 4 * M).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "reportingController": "deployment-controller",
        "deprecatedSource": {"component": "old"},
        "deprecatedCount": 2,
    }
    assert _cells("events.k8s.io/Event", obj) == [
        "4m",
        "Normal",
        "ScalingReplicaSet",
        "deployment/web",
        "",
        "old",
        "Scaled up",
        "4m",
        2,
        "ev3",
    ]
