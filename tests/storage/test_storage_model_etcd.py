"""The model test on etcd: random operation sequences, EtcdStorage must behave exactly like MemoryStorage.

The machine of ``test_storage_model`` unchanged, its second store an :class:`EtcdStorage` on the
session's 3-member cluster (each example under a key prefix of its own, revisions counted from
the cluster's revision when it opened).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings
from test_storage_model import SameAsMemory

from etcd_cluster import EtcdCluster, etcd_prefix
from setpoint.storage import Storage
from setpoint.storage.etcd import EtcdStorage

_endpoints: list[str] = []


@pytest.fixture(autouse=True)
def _cluster(etcd_cluster: EtcdCluster) -> Iterator[None]:
    _endpoints[:] = etcd_cluster.endpoints
    yield


class SameOnEtcd(SameAsMemory):
    async def _open_sqlite(self) -> Storage:
        return await EtcdStorage.open(_endpoints, prefix=etcd_prefix(), relative_revisions=True, compact_interval=0)


SameOnEtcd.TestCase.settings = settings(
    max_examples=30,
    stateful_step_count=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestSameOnEtcd = SameOnEtcd.TestCase
