"""Authorization cost: gets/s through the in-process request pipeline (``APIServer.handle``,
no HTTP) for a user outside system:masters bound to ``view`` in one namespace, under RBAC and
under AlwaysAllow, and the authorizer's own decisions/s (cached and uncached).

    .venv/bin/python benchmarks/authz.py [--requests N]
"""

from __future__ import annotations

import argparse
import asyncio
import time

import orjson

from setpoint import storage
from setpoint.apiserver.http import Request
from setpoint.apiserver.registry.admission import ANONYMOUS_ADMIN, Attributes, UserInfo
from setpoint.apiserver.server import APIServer
from setpoint.controllers.manager import ControllerManager

USER = UserInfo("bench", ("system:authenticated",))
PODS = 100


class HeaderUser:
    def authenticate(self, request: Request) -> UserInfo:
        return USER if request.headers.get("x-user") else ANONYMOUS_ADMIN


async def run(modes: tuple[str, ...], requests: int) -> tuple[float, float, float]:
    store = await storage.open_storage("memory://", compact_interval=0)
    api = APIServer(store, authenticator=HeaderUser(), authorization_modes=modes)
    await api.start("127.0.0.1", 0)
    controllers = ControllerManager(api.registry, api.objects, controllers=("clusterrole-aggregation-controller",))
    await controllers.start()
    try:
        async def post(path: str, obj: object) -> None:
            r = await api.handle(Request("POST", path, headers={"content-type": "application/json"},
                                         body=orjson.dumps(obj)))
            assert r.status == 201, r
        await post("/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings", {
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": "bench"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"},
            "subjects": [{"kind": "User", "name": "bench"}]})
        for i in range(PODS):
            await post("/api/v1/namespaces/default/configmaps",
                       {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"cm-{i}"}})
        while True:  # the aggregation controller has filled `view`
            r = await api.handle(Request("GET", "/api/v1/namespaces/default/configmaps/cm-0",
                                         headers={"x-user": "1"}))
            if r.status == 200:
                break
            await asyncio.sleep(0.05)
        reqs = [Request("GET", f"/api/v1/namespaces/default/configmaps/cm-{i % PODS}",
                        headers={"x-user": "1", "accept": "application/json"}) for i in range(requests)]
        start = time.perf_counter()
        for req in reqs:
            r = await api.handle(req)
            assert r.status == 200
        gets = requests / (time.perf_counter() - start)
        attrs = [Attributes(USER, "get", "", "v1", "configmaps", "", "default", f"cm-{i % PODS}")
                 for i in range(requests)]
        authorize = api.authorizer.authorize
        start = time.perf_counter()
        for a in attrs:
            authorize(a)
        cached = requests / (time.perf_counter() - start)
        start = time.perf_counter()
        for a in attrs:
            api.authz.index.decisions.clear()
            authorize(a)
        uncached = requests / (time.perf_counter() - start)
        return gets, cached, uncached
    finally:
        await controllers.stop()
        await api.stop()
        await store.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=20_000)
    args = parser.parse_args()
    for modes in (("AlwaysAllow",), ("RBAC",)):
        gets, cached, uncached = asyncio.run(run(modes, args.requests))
        print(f"{','.join(modes):12} gets/s {gets:9.0f}   authorize/s {cached:10.0f} "
              f"(decision cache cleared each time: {uncached:9.0f})")


if __name__ == "__main__":
    main()
