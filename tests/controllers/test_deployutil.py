"""kube's deployment util functions: fencepost rounding, proportions, revision annotations."""

from __future__ import annotations

from typing import Any

import pytest

from setpoint.controllers import deployutil as du


def d(replicas: int, surge: Any = "25%", unavailable: Any = "25%", **status: Any) -> dict[str, Any]:
    return {"metadata": {"name": "web", "annotations": {}},
            "spec": {"replicas": replicas, "strategy": {"type": "RollingUpdate", "rollingUpdate": {
                "maxSurge": surge, "maxUnavailable": unavailable}}}, "status": status}


@pytest.mark.parametrize(("replicas", "surge", "unavailable", "want"), [
    (10, "25%", "25%", (3, 2)),   # surge rounds up, unavailable down
    (1, "25%", "25%", (1, 0)),
    (4, 0, 0, (0, 1)),            # both zero: one may be unavailable
    (10, 3, 2, (3, 2)),
    (3, "0%", "50%", (0, 1)),
])
def test_resolve_fenceposts(replicas: int, surge: Any, unavailable: Any, want: tuple[int, int]) -> None:
    assert du.resolve_fenceposts(d(replicas, surge, unavailable)) == want


def test_max_unavailable_is_capped_by_replicas_and_zero_for_recreate() -> None:
    assert du.max_unavailable(d(2, 0, 5)) == 2
    recreate = d(10)
    recreate["spec"]["strategy"] = {"type": "Recreate"}
    assert du.max_unavailable(recreate) == 0 and du.max_surge(recreate) == 0


def test_new_rs_new_replicas_stays_within_surge() -> None:
    dep = d(10, 3, 2)
    old = {"metadata": {"name": "a"}, "spec": {"replicas": 10}}
    new = {"metadata": {"name": "b"}, "spec": {"replicas": 0}}
    assert du.new_rs_new_replicas(dep, [old, new], new) == 3
    old["spec"]["replicas"] = 8
    new["spec"]["replicas"] = 3
    assert du.new_rs_new_replicas(dep, [old, new], new) == 5


def test_rolled_back_replica_set_keeps_its_old_revisions() -> None:
    rs: dict[str, Any] = {"metadata": {"annotations": {du.REVISION: "1"}}, "spec": {"replicas": 1}}
    dep = d(1)
    dep["metadata"]["annotations"] = {"kubernetes.io/change-cause": "why", du.REVISION: "3",
                                      "kubectl.kubernetes.io/last-applied-configuration": "{}"}
    assert du.set_new_rs_annotations(dep, rs, "4", True)
    assert rs["metadata"]["annotations"] == {du.REVISION: "4", du.REVISION_HISTORY: "1",
                                             "kubernetes.io/change-cause": "why"}
    du.set_new_rs_annotations(dep, rs, "6", True)
    assert rs["metadata"]["annotations"][du.REVISION_HISTORY] == "1,4"
    assert not du.set_new_rs_annotations(dep, rs, "6", True)


def test_proportional_fraction_rounds_half_away_from_zero() -> None:
    dep = d(20, 3, 2)
    dep["status"] = {"replicas": 13}
    rs = {"metadata": {"annotations": {du.MAX_REPLICAS: "13"}}, "spec": {"replicas": 8}}
    assert du.replica_set_fraction(rs, dep) == 14 - 8
    assert du.proportion(rs, dep, 10, 0) == 6 and du.proportion(rs, dep, 10, 8) == 2
