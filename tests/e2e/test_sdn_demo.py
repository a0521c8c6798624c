"""The software-defined network example against a real ``setpoint up``: its demo run as a user runs it,
an agent for each of the server's simulated nodes, then what it made, seen with kubectl."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from e2e_helpers import Kubectl, Server

from doc_blocks import ROOT

pytestmark = pytest.mark.e2e


def test_the_demo_runs_against_setpoint_up(cluster: Server, cluster_kubectl: Kubectl) -> None:
    server, kubectl = cluster, cluster_kubectl
    nodes = {n["metadata"]["name"]: next(a["address"] for a in n["status"]["addresses"] if a["type"] == "InternalIP")
             for n in json.loads(kubectl.out("get", "nodes", "-o", "json"))["items"]}
    assert len(nodes) == 3
    env = {**server.env, "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT / "src"), str(ROOT),
                                                                    os.environ.get("PYTHONPATH")) if p)}
    result = subprocess.run([sys.executable, "-m", "examples.sdn", "demo", "--kubeconfig", str(server.kubeconfig),
                             "--use-nodes", "--vnis", "2", "--attachments", "30", "--nodes-per-vni", "2"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "addressed     30/30  in every table of its VNI     30/30" in result.stdout, result.stdout

    # the CRDs made from the models are served with their columns, schema and short names
    subnets = kubectl.out("get", "sn", "-n", "tenant-1")
    assert subnets.split("\n")[0].split() == ["NAME", "VNI", "IPV4", "VALIDATED"]
    assert subnets.split("\n")[1].split()[:4] == ["net-1", "1", "10.0.16.0/20", "true"]
    assert "The virtual network (VXLAN network identifier)." in kubectl.out("explain", "subnet.spec.vni")
    attachments = json.loads(kubectl.out("get", "networkattachments", "-A", "-o", "json"))["items"]
    locks = json.loads(kubectl.out("get", "iplocks", "-A", "-o", "json"))["items"]
    assert len(attachments) == len(locks) == 30
    assert len({a["status"]["ipv4"] for a in attachments}) == 30
    assert all(a["status"]["hostIP"] == nodes[a["spec"]["node"]] for a in attachments)
    # what one object alone gets wrong the schema refuses (a CEL rule of the model)
    bad = kubectl.run("create", "-f", "-", check=False, input=json.dumps({
        "apiVersion": "network.setpoint.dev/v1alpha1", "kind": "Subnet",
        "metadata": {"name": "bad", "namespace": "tenant-1"}, "spec": {"vni": 1, "ipv4": "10.0.16.1/20"}}))
    assert bad.returncode != 0 and "must be an IPv4 CIDR with no host bits set" in bad.stderr
