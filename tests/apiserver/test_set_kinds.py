"""apps/v1 StatefulSet, DaemonSet, ControllerRevision and core/v1 PersistentVolumeClaim:
defaults, validation, tables, /scale."""

from __future__ import annotations

from typing import Any

import orjson

from setpoint.apiserver.http import Request, Response
from setpoint.apiserver.server import APIServer

Obj = dict[str, Any]
STS = "/apis/apps/v1/namespaces/default/statefulsets"
DS = "/apis/apps/v1/namespaces/default/daemonsets"
CR = "/apis/apps/v1/namespaces/default/controllerrevisions"
PVC = "/api/v1/namespaces/default/persistentvolumeclaims"
TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io"


async def call(api: APIServer, method: str, path: str, body: Obj | None = None, *,
               content_type: str = "application/json", accept: str = "application/json") -> tuple[int, Obj]:
    request = Request(method, path, query_string=b"", headers={"content-type": content_type, "accept": accept},
                      body=orjson.dumps(body) if body is not None else b"")
    response = await api.handle(request)
    assert isinstance(response, Response)
    out: Obj = orjson.loads(response.body)
    return response.status, out


def workload(kind: str, name: str = "web", **spec: Any) -> Obj:
    return {"apiVersion": "apps/v1", "kind": kind, "metadata": {"name": name},
            "spec": {"selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [{"name": "nginx", "image": "nginx:1.27"}]}}, **spec}}


def causes(out: Obj) -> list[tuple[str, str]]:
    return [(c["field"], c["message"]) for c in out["details"]["causes"]]


async def test_statefulset_defaults_as_kube(api: APIServer) -> None:
    claim = {"metadata": {"name": "www"},
             "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}
    status, out = await call(api, "POST", STS, workload("StatefulSet", serviceName="web",
                                                        volumeClaimTemplates=[claim]))
    assert status == 201, out
    spec = out["spec"]
    assert spec["replicas"] == 1 and spec["podManagementPolicy"] == "OrderedReady"
    assert spec["updateStrategy"] == {"type": "RollingUpdate",
                                       "rollingUpdate": {"partition": 0, "maxUnavailable": 1}}
    assert spec["persistentVolumeClaimRetentionPolicy"] == {"whenDeleted": "Retain", "whenScaled": "Retain"}
    assert spec["revisionHistoryLimit"] == 10
    assert spec["volumeClaimTemplates"] == [{
        "apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "www"},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}},
                 "volumeMode": "Filesystem"},
        "status": {"phase": "Pending"}}]
    assert out["status"] == {"replicas": 0, "availableReplicas": 0} and out["metadata"]["generation"] == 1
    # OnDelete gets no rollingUpdate.
    status, out = await call(api, "POST", STS, workload("StatefulSet", "db", updateStrategy={"type": "OnDelete"}))
    assert status == 201 and out["spec"]["updateStrategy"] == {"type": "OnDelete"}


async def test_statefulset_validation_messages(api: APIServer) -> None:
    body = workload("StatefulSet", podManagementPolicy="Sometimes", replicas=-1,
                    updateStrategy={"type": "OnDelete", "rollingUpdate": {"partition": 2}},
                    persistentVolumeClaimRetentionPolicy={"whenDeleted": "Keep"})
    body["spec"]["template"]["spec"]["restartPolicy"] = "Never"
    status, out = await call(api, "POST", STS, body)
    assert status == 422
    assert causes(out) == [
        ("spec.podManagementPolicy", "Invalid value: \"Sometimes\": must be 'OrderedReady' or 'Parallel'"),
        ("spec.updateStrategy.rollingUpdate",
         "Invalid value: apps.RollingUpdateStatefulSetStrategy{Partition:2, MaxUnavailable:(*intstr.IntOrString)(nil)}: "
         "only allowed for updateStrategy 'RollingUpdate'"),
        ("spec.persistentVolumeClaimRetentionPolicy.whenDeleted",
         'Unsupported value: "Keep": supported values: "Retain", "Delete"'),
        ("spec.replicas", "Invalid value: -1: must be greater than or equal to 0"),
        ("spec.template.spec.restartPolicy", 'Unsupported value: "Never": supported values: "Always"'),
    ]
    status, out = await call(api, "POST", STS, workload("StatefulSet", "Bad_Name"))
    assert status == 422 and causes(out)[0][0] == "metadata.name"
    assert "a lowercase RFC 1123 label" in causes(out)[0][1]


async def test_statefulset_spec_is_immutable_but_for_some_fields(api: APIServer) -> None:
    status, sts = await call(api, "POST", STS, workload("StatefulSet", serviceName="web"))
    assert status == 201
    sts["spec"]["replicas"] = 3
    sts["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.28"
    sts["spec"]["updateStrategy"] = {"type": "RollingUpdate", "rollingUpdate": {"partition": 2}}
    status, out = await call(api, "PUT", STS + "/web", sts)
    assert status == 200, out
    assert out["metadata"]["generation"] == 2
    out["spec"]["serviceName"] = "other"
    status, err = await call(api, "PUT", STS + "/web", out)
    assert status == 422
    assert causes(err) == [("spec", "Forbidden: updates to statefulset spec for fields other than 'replicas', "
                                    "'ordinals', 'template', 'updateStrategy', "
                                    "'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden")]
    status, got = await call(api, "GET", STS + "/web")
    assert got["spec"]["serviceName"] == "web"


async def test_statefulset_scale_and_table(api: APIServer) -> None:
    await call(api, "POST", STS, workload("StatefulSet", replicas=2))
    status, scale = await call(api, "GET", STS + "/web/scale")
    assert status == 200
    assert scale["spec"] == {"replicas": 2} and scale["status"] == {"replicas": 0, "selector": "app=web"}
    scale["spec"]["replicas"] = 5
    status, _ = await call(api, "PUT", STS + "/web/scale", scale)
    assert status == 200
    status, table = await call(api, "GET", STS, accept=TABLE)
    assert [c["name"] for c in table["columnDefinitions"]] == ["Name", "Ready", "Age", "Containers", "Images"]
    assert table["rows"][0]["cells"][:2] == ["web", "0/5"]
    assert table["rows"][0]["cells"][3:] == ["nginx", "nginx:1.27"]


async def test_daemonset_defaults_template_generation_and_table(api: APIServer) -> None:
    body = workload("DaemonSet")
    body["spec"]["template"]["spec"]["nodeSelector"] = {"disk": "ssd"}
    status, ds = await call(api, "POST", DS, body)
    assert status == 201, ds
    assert ds["spec"]["updateStrategy"] == {"type": "RollingUpdate",
                                            "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0}}
    assert ds["spec"]["revisionHistoryLimit"] == 10
    assert ds["metadata"]["annotations"] == {"deprecated.daemonset.template.generation": "1"}
    assert ds["status"] == {"currentNumberScheduled": 0, "numberMisscheduled": 0, "desiredNumberScheduled": 0,
                            "numberReady": 0}
    ds["spec"]["minReadySeconds"] = 5
    status, ds = await call(api, "PUT", DS + "/web", ds)
    assert ds["metadata"]["annotations"]["deprecated.daemonset.template.generation"] == "1"
    assert ds["metadata"]["generation"] == 2
    ds["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.28"
    status, ds = await call(api, "PUT", DS + "/web", ds)
    assert ds["metadata"]["annotations"]["deprecated.daemonset.template.generation"] == "2"
    status, table = await call(api, "GET", DS, accept=TABLE)
    assert [c["name"] for c in table["columnDefinitions"]] == [
        "Name", "Desired", "Current", "Ready", "Up-to-date", "Available", "Node Selector", "Age",
        "Containers", "Images", "Selector"]
    cells = table["rows"][0]["cells"]
    assert cells[:7] == ["web", 0, 0, 0, 0, 0, "disk=ssd"]
    assert cells[8:] == ["nginx", "nginx:1.28", "app=web"]


async def test_daemonset_validation_messages(api: APIServer) -> None:
    body = workload("DaemonSet", updateStrategy={"type": "RollingUpdate",
                                                 "rollingUpdate": {"maxUnavailable": "x", "maxSurge": 2}})
    status, out = await call(api, "POST", DS, body)
    assert status == 422
    assert causes(out) == [
        ("spec.updateStrategy.rollingUpdate.maxUnavailable",
         'Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"x"}: a valid percent string must be a numeric '
         "string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')"),
    ]
    body["spec"]["updateStrategy"]["rollingUpdate"] = {"maxUnavailable": 0, "maxSurge": 0}
    status, out = await call(api, "POST", DS, body)
    assert causes(out) == [("spec.updateStrategy.rollingUpdate.maxUnavailable",
                            "Required value: cannot be 0 when maxSurge is 0")]
    body["spec"]["updateStrategy"]["rollingUpdate"] = {"maxUnavailable": 1, "maxSurge": "10%"}
    status, out = await call(api, "POST", DS, body)
    assert causes(out) == [("spec.updateStrategy.rollingUpdate.maxSurge",
                            'Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"10%"}: '
                            "may not be set when maxUnavailable is non-zero")]
    status, ds = await call(api, "POST", DS, workload("DaemonSet"))
    assert status == 201
    ds["spec"]["selector"] = {"matchLabels": {"app": "web", "x": "y"}}
    ds["spec"]["template"]["metadata"]["labels"]["x"] = "y"
    status, out = await call(api, "PUT", DS + "/web", ds)
    assert status == 422 and causes(out)[0][0] == "spec.selector"
    assert causes(out)[0][1].endswith("field is immutable")


async def test_controllerrevision_data_is_required_and_immutable(api: APIServer) -> None:
    body: Obj = {"apiVersion": "apps/v1", "kind": "ControllerRevision", "metadata": {"name": "web-1"}, "revision": -1}
    status, out = await call(api, "POST", CR, body)
    assert status == 422
    assert causes(out) == [("data", "Required value: data is mandatory"),
                           ("revision", "Invalid value: -1: must be greater than or equal to 0")]
    body.update(revision=1, data={"spec": {"template": {"$patch": "replace"}}})
    body["metadata"]["ownerReferences"] = [{"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "web",
                                            "uid": "u1", "controller": True}]
    status, cr = await call(api, "POST", CR, body)
    assert status == 201, cr
    assert "generation" not in cr["metadata"]
    cr["data"] = {"spec": {}}
    status, out = await call(api, "PUT", CR + "/web-1", cr)
    assert status == 422 and causes(out)[0][0] == "data" and causes(out)[0][1].endswith("field is immutable")
    status, table = await call(api, "GET", CR, accept=TABLE)
    assert [c["name"] for c in table["columnDefinitions"]] == ["Name", "Controller", "Revision", "Age"]
    assert table["rows"][0]["cells"][:3] == ["web-1", "statefulset.apps/web", 1]


async def test_persistentvolumeclaim_defaults_validation_and_table(api: APIServer) -> None:
    body: Obj = {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "data"},
                 "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}},
                          "storageClassName": "standard"}}
    status, pvc = await call(api, "POST", PVC, body)
    assert status == 201, pvc
    assert pvc["spec"]["volumeMode"] == "Filesystem" and pvc["status"] == {"phase": "Pending"}
    status, out = await call(api, "POST", PVC, {"apiVersion": "v1", "kind": "PersistentVolumeClaim",
                                               "metadata": {"name": "bad"},
                                               "spec": {"accessModes": ["Sometimes"]}})
    assert status == 422
    assert causes(out) == [
        ("spec.accessModes", 'Unsupported value: "Sometimes": supported values: "ReadOnlyMany", "ReadWriteMany", '
                             '"ReadWriteOnce", "ReadWriteOncePod"'),
        ("spec.resources.requests.storage", "Required value"),
    ]
    pvc["spec"]["storageClassName"] = "fast"
    status, out = await call(api, "PUT", PVC + "/data", pvc)
    assert status == 422 and causes(out)[0][0] == "spec"
    status, table = await call(api, "GET", PVC, accept=TABLE)
    assert [c["name"] for c in table["columnDefinitions"]] == [
        "Name", "Status", "Volume", "Capacity", "Access Modes", "StorageClass", "VolumeAttributesClass", "Age",
        "VolumeMode"]
    cells = table["rows"][0]["cells"]
    assert cells[:7] == ["data", "Pending", "", "", "", "standard", "<unset>"] and cells[8] == "Filesystem"


async def test_status_writes_are_validated(api: APIServer) -> None:
    await call(api, "POST", STS, workload("StatefulSet", replicas=2))
    status, out = await call(api, "PATCH", STS + "/web/status",
                             {"status": {"replicas": 1, "readyReplicas": 2, "collisionCount": 1}},
                             content_type="application/merge-patch+json")
    assert status == 422
    assert causes(out) == [("status.readyReplicas", "Invalid value: 2: cannot be greater than status.replicas")]
    status, _ = await call(api, "PATCH", STS + "/web/status", {"status": {"replicas": 1, "collisionCount": 2}},
                           content_type="application/merge-patch+json")
    assert status == 200
    status, out = await call(api, "PATCH", STS + "/web/status", {"status": {"collisionCount": 1}},
                             content_type="application/merge-patch+json")
    assert causes(out) == [("status.collisionCount", "Invalid value: 1: cannot be decremented")]
    await call(api, "POST", DS, workload("DaemonSet"))
    status, out = await call(api, "PATCH", DS + "/web/status", {"status": {"numberReady": -1}},
                             content_type="application/merge-patch+json")
    assert causes(out) == [("status.numberReady", "Invalid value: -1: must be greater than or equal to 0")]
