"""batch/v1 Job and CronJob: kube's defaults, generated selector, validation messages, tables."""

from __future__ import annotations

from typing import Any

import orjson

from setpoint.apiserver.http import Request, Response
from setpoint.apiserver.server import APIServer

Obj = dict[str, Any]
JOBS = "/apis/batch/v1/namespaces/default/jobs"
CRONJOBS = "/apis/batch/v1/namespaces/default/cronjobs"
TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io"


async def call(api: APIServer, method: str, path: str, body: Obj | None = None, *,
               accept: str = "application/json") -> tuple[int, Obj]:
    request = Request(method, path, headers={"content-type": "application/json", "accept": accept},
                      body=orjson.dumps(body) if body is not None else b"")
    response = await api.handle(request)
    assert isinstance(response, Response)
    out: Obj = orjson.loads(response.body)
    return response.status, out


def job(name: str = "pi", restart: str | None = "Never", **spec: Any) -> Obj:
    pod: Obj = {"containers": [{"name": "pi", "image": "perl"}]}
    if restart is not None:
        pod["restartPolicy"] = restart
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name},
            "spec": {"template": {"spec": pod}, **spec}}


def cronjob(name: str = "tick", schedule: str = "*/1 * * * *", **spec: Any) -> Obj:
    return {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": name},
            "spec": {"schedule": schedule, "jobTemplate": {"spec": {"template": {"spec": {
                "containers": [{"name": "c", "image": "busybox"}], "restartPolicy": "OnFailure"}}}}, **spec}}


def causes(out: Obj) -> list[tuple[str, str, str]]:
    return [(c["reason"], c["field"], c["message"]) for c in out["details"]["causes"]]


async def test_job_defaults_and_generated_selector(api: APIServer) -> None:
    status, out = await call(api, "POST", JOBS, job())
    assert status == 201, out
    uid = out["metadata"]["uid"]
    spec = out["spec"]
    assert spec["completions"] == 1 and spec["parallelism"] == 1 and spec["backoffLimit"] == 6
    assert spec["completionMode"] == "NonIndexed" and spec["suspend"] is False
    assert spec["manualSelector"] is False and spec["podReplacementPolicy"] == "TerminatingOrFailed"
    assert spec["selector"] == {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}}
    expected = {"batch.kubernetes.io/controller-uid": uid, "batch.kubernetes.io/job-name": "pi",
                "controller-uid": uid, "job-name": "pi"}
    assert spec["template"]["metadata"]["labels"] == expected
    assert out["metadata"]["labels"] == expected
    assert out["status"] == {}
    assert out["metadata"]["generation"] == 1
    # A pod failure policy makes the replacement policy Failed, and patterns default to status True.
    status, out = await call(api, "POST", JOBS, job("pfp", podFailurePolicy={"rules": [
        {"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget"}]}]}))
    assert status == 201, out
    assert out["spec"]["podReplacementPolicy"] == "Failed"
    assert out["spec"]["podFailurePolicy"]["rules"][0]["onPodConditions"] == [
        {"type": "DisruptionTarget", "status": "True"}]


async def test_job_restart_policy_as_kube(api: APIServer) -> None:
    status, out = await call(api, "POST", JOBS, job(restart=None))
    assert status == 422
    assert out["message"] == ('Job.batch "pi" is invalid: spec.template.spec.restartPolicy: Required value: '
                              'valid values: "OnFailure", "Never"')
    status, out = await call(api, "POST", JOBS, job(restart="Sometimes"))
    assert causes(out) == [("FieldValueNotSupported", "spec.template.spec.restartPolicy",
                            'Unsupported value: "Sometimes": supported values: "OnFailure", "Never"')]


async def test_job_validation_messages(api: APIServer) -> None:
    status, out = await call(api, "POST", JOBS, job(parallelism=-1, backoffLimit=-2, completionMode="Indexed",
                                                     completions=None))
    assert status == 422
    assert causes(out) == [
        ("FieldValueInvalid", "spec.parallelism", "Invalid value: -1: must be greater than or equal to 0"),
        ("FieldValueInvalid", "spec.backoffLimit", "Invalid value: -2: must be greater than or equal to 0"),
        ("FieldValueRequired", "spec.completions", "Required value: when completion mode is Indexed"),
    ]
    status, out = await call(api, "POST", JOBS, job(podFailurePolicy={"rules": [
        {"action": "FailJob", "onExitCodes": {"operator": "In", "values": [3, 0, 1]}}]}))
    assert causes(out) == [
        ("FieldValueInvalid", "spec.podFailurePolicy.rules[0].onExitCodes.values[1]",
         "Invalid value: 0: must not be 0 for the In operator"),
        ("FieldValueInvalid", "spec.podFailurePolicy.rules[0].onExitCodes.values",
         "Invalid value: []int32{3, 0, 1}: must be ordered"),
    ]
    bad = job(manualSelector=True, selector={"matchLabels": {"app": "x"}})
    status, out = await call(api, "POST", JOBS, bad)
    assert causes(out) == [("FieldValueInvalid", "spec.template.metadata.labels",
                            "Invalid value: map[string]string(nil): `selector` does not match template `labels`")]
    status, out = await call(api, "POST", JOBS, job("x" * 62, completionMode="Indexed", completions=10))
    assert causes(out)[-1] == ("FieldValueInvalid", "metadata.name",
                               f'Invalid value: "{"x" * 62}": will not able to create pod with invalid DNS label: '
                               f'{"x" * 62}-9')
    status, out = await call(api, "GET", JOBS + "/pi")
    assert status == 404  # nothing was stored


async def test_job_update_keeps_selector_and_template(api: APIServer) -> None:
    status, created = await call(api, "POST", JOBS, job())
    assert status == 201
    changed = {**created, "spec": {**created["spec"], "completions": 3}}
    status, out = await call(api, "PUT", JOBS + "/pi", changed)
    assert status == 422
    assert causes(out) == [("FieldValueInvalid", "spec.completions", "Invalid value: 3: field is immutable")]
    more = {**created, "spec": {**created["spec"], "activeDeadlineSeconds": 30}}
    status, out = await call(api, "PUT", JOBS + "/pi", more)
    assert status == 200, out
    assert out["metadata"]["generation"] == 2


async def test_job_table(api: APIServer) -> None:
    await call(api, "POST", JOBS, job(parallelism=2, completions=None))
    status, table = await call(api, "GET", JOBS, accept=TABLE)
    assert status == 200
    assert [c["name"] for c in table["columnDefinitions"]] == [
        "Name", "Status", "Completions", "Duration", "Age", "Containers", "Images", "Selector"]
    assert table["rows"][0]["cells"][:4] == ["pi", "Running", "0/1 of 2", ""]


async def test_cronjob_defaults_validation_and_table(api: APIServer) -> None:
    status, out = await call(api, "POST", CRONJOBS, cronjob())
    assert status == 201, out
    spec = out["spec"]
    assert (spec["concurrencyPolicy"], spec["suspend"], spec["successfulJobsHistoryLimit"],
            spec["failedJobsHistoryLimit"]) == ("Allow", False, 3, 1)
    assert "backoffLimit" not in spec["jobTemplate"]["spec"]
    assert spec["jobTemplate"]["spec"]["template"]["spec"]["dnsPolicy"] == "ClusterFirst"
    status, table = await call(api, "GET", CRONJOBS, accept=TABLE)
    assert [c["name"] for c in table["columnDefinitions"]][:7] == [
        "Name", "Schedule", "Timezone", "Suspend", "Active", "Last Schedule", "Age"]
    assert table["rows"][0]["cells"][:6] == ["tick", "*/1 * * * *", "<none>", "False", 0, "<none>"]

    status, out = await call(api, "POST", CRONJOBS, cronjob("bad", "61 * * * *"))
    assert status == 422
    assert causes(out) == [("FieldValueInvalid", "spec.schedule",
                            'Invalid value: "61 * * * *": end of range (61) above maximum (59): 61')]
    status, out = await call(api, "POST", CRONJOBS, cronjob("tz", "CRON_TZ=UTC * * * * *"))
    assert causes(out) == [("FieldValueInvalid", "spec.schedule",
                            'Invalid value: "CRON_TZ=UTC * * * * *": cannot use TZ or CRON_TZ in schedule, '
                            "use timeZone field instead")]
    status, out = await call(api, "POST", CRONJOBS, cronjob("zone", timeZone="Mars/Olympus"))
    assert causes(out) == [("FieldValueInvalid", "spec.timeZone",
                            'Invalid value: "Mars/Olympus": unknown time zone Mars/Olympus')]
    status, out = await call(api, "POST", CRONJOBS, cronjob("x" * 53, concurrencyPolicy="Sometimes"))
    assert causes(out) == [
        ("FieldValueNotSupported", "spec.concurrencyPolicy",
         'Unsupported value: "Sometimes": supported values: "Allow", "Forbid", "Replace"'),
        ("FieldValueInvalid", "metadata.name", f'Invalid value: "{"x" * 53}": must be no more than 52 characters'),
    ]
    status, out = await call(api, "POST", CRONJOBS, cronjob("berlin", timeZone="Europe/Berlin"))
    assert status == 201, out


async def test_job_status_writes_follow_kubes_transitions(api: APIServer) -> None:
    status, created = await call(api, "POST", JOBS, job())
    assert status == 201
    t = "2026-01-01T00:00:00Z"
    complete = {"type": "Complete", "status": "True", "lastProbeTime": t, "lastTransitionTime": t}
    bad = {**created, "status": {"active": 1, "ready": 2, "conditions": [complete]}}
    status, out = await call(api, "PUT", JOBS + "/pi/status", bad)
    assert status == 422
    assert causes(out) == [
        ("FieldValueRequired", "status.completionTime", "Required value: completionTime is required for Complete jobs"),
        ("FieldValueInvalid", "status.conditions",
         "Invalid value: cannot set Complete=True condition without the SuccessCriteriaMet=true condition"),
        ("FieldValueInvalid", "status.active", "Invalid value: 1: active>0 is invalid for finished job"),
        ("FieldValueRequired", "status.startTime", "Required value: startTime is required for finished job"),
        ("FieldValueInvalid", "status.ready", "Invalid value: 2: cannot set more ready pods than active"),
    ]
    met = {**complete, "type": "SuccessCriteriaMet"}
    good = {**created, "status": {"startTime": t, "completionTime": t, "succeeded": 1, "conditions": [met, complete]}}
    status, out = await call(api, "PUT", JOBS + "/pi/status", good)
    assert status == 200, out
    back = {**out, "status": {"startTime": t, "completionTime": "2026-01-01T00:00:01Z", "conditions": [met]}}
    status, out = await call(api, "PUT", JOBS + "/pi/status", back)
    assert causes(out) == [
        ("FieldValueInvalid", "status.completionTime", "Invalid value: 2026-01-01 00:00:01 +0000 UTC: "
                                                       "cannot set completionTime when there is no Complete=True condition"),
        ("FieldValueInvalid", "status.conditions", "Invalid value: cannot disable the terminal Complete=True condition"),
        ("FieldValueInvalid", "status.succeeded", "Invalid value: 0: cannot decrease the succeeded counter"),
        ("FieldValueInvalid", "status.completionTime",
         "Invalid value: 2026-01-01 00:00:01 +0000 UTC: completionTime cannot be mutated"),
    ]


async def test_deleting_a_job_without_a_policy_warns_and_orphans(api: APIServer) -> None:
    await call(api, "POST", JOBS, job())
    request = Request("DELETE", JOBS + "/pi", headers={"accept": "application/json"})
    response = await api.handle(request)
    assert isinstance(response, Response) and response.status == 200
    warnings = [v for k, v in response.headers or () if k.lower() == "warning"]
    assert warnings == ['299 - "child pods are preserved by default when jobs are deleted; set '
                        'propagationPolicy=Background to remove them or set propagationPolicy=Orphan to suppress '
                        'this warning"']
    # batch/v1's default policy: the Job waits for the garbage collector to orphan its dependents.
    assert orjson.loads(response.body)["metadata"]["finalizers"] == ["orphan"]
    await call(api, "POST", JOBS, job("quiet"))
    response = await api.handle(Request("DELETE", JOBS + "/quiet", query_string=b"propagationPolicy=Background",
                                        headers={"accept": "application/json"}))
    assert isinstance(response, Response) and response.status == 200
    assert not [v for k, v in response.headers or () if k.lower() == "warning"]
