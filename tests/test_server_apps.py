"""The real kubectl (v1.32) against ``c.serve()`` for DaemonSets, StatefulSets, their
ControllerRevisions and claims: the same tables ``c.kubectl()`` prints, and kubectl's own
rollout logic (status viewers, history from ControllerRevisions, undo by patch) working."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest
from test_server_kubectl import Kubectl

import kubesim

KUBECTL = shutil.which("kubectl")
pytestmark = pytest.mark.skipif(KUBECTL is None, reason="the real kubectl binary is not on PATH")

DAEMONSET = """
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: agent
spec:
  selector:
    matchLabels: {app: agent}
  template:
    metadata:
      labels: {app: agent}
    spec:
      containers:
      - name: agent
        image: nginx:1.25
"""

STATEFULSET = """
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: web
spec:
  serviceName: nginx
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: nginx
        image: nginx:1.25
  volumeClaimTemplates:
  - metadata: {name: www}
    spec:
      accessModes: [ReadWriteOnce]
      resources: {requests: {storage: 1Gi}}
"""


@pytest.fixture
def kubectl() -> Iterator[Kubectl]:
    c = kubesim.Cluster(nodes=3, seed=0)
    with c.serve() as srv:
        yield Kubectl(c, srv)


def test_daemonset_tables_rollout_history_and_undo_through_the_server(kubectl):
    c = kubectl.c
    assert kubectl("apply", "-f", "-", stdin=DAEMONSET).stdout == "daemonset.apps/agent created\n"
    c.advance("30s")
    for args in (["get", "ds"], ["get", "ds", "-o", "wide"], ["get", "controllerrevisions"], ["get", "all"]):
        r = kubectl(*args)
        assert (r.returncode, r.stdout) == (0, c.kubectl(" ".join(args))), args
    r = kubectl("set", "image", "ds/agent", "agent=nginx:1.26")
    assert r.stdout == "daemonset.apps/agent image updated\n", r.stderr
    r = kubectl.waiting("rollout", "status", "ds/agent")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[-1] == 'daemon set "agent" successfully rolled out'
    r = kubectl("rollout", "history", "ds/agent")
    assert r.stdout == c.kubectl("rollout history ds/agent")
    assert kubectl("rollout", "undo", "ds/agent").stdout == "daemonset.apps/agent rolled back\n"
    kubectl.waiting("rollout", "status", "ds/agent")
    assert {p.containers[0].image for p in c.daemonset("agent").pods()} == {"nginx:1.25"}
    assert [r.revision for r in c.daemonset("agent").rollout.history()] == [2, 3]


def test_statefulset_and_claims_through_the_server(kubectl):
    c = kubectl.c
    assert kubectl("apply", "-f", "-", stdin=STATEFULSET).stdout == "statefulset.apps/web created\n"
    r = kubectl.waiting("rollout", "status", "sts/web")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[-1] == "partitioned roll out complete: 2 new pods have been updated..."
    for args in (["get", "sts"], ["get", "pvc"], ["get", "pvc", "-o", "wide"]):
        r = kubectl(*args)
        assert (r.returncode, r.stdout) == (0, c.kubectl(" ".join(args))), args
    assert kubectl("scale", "sts/web", "--replicas=3").stdout == "statefulset.apps/web scaled\n"
    kubectl.waiting("rollout", "status", "sts/web")
    assert [p.name for p in c.statefulset("web").pods()] == ["web-0", "web-1", "web-2"]
