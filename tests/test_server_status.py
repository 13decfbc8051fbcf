"""Writes of the ``/status`` subresource through ``c.serve()`` (the official ``kubernetes`` client
and the real kubectl's ``--subresource=status``): only ``.status`` changes, the owning
controller writes over it on its next sync, and a pod's status written by a client never
reaches the kubelet's own record."""

from __future__ import annotations

import json
import pickle
import shutil
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest
from test_server import NGINX

import kubesim

kubernetes = pytest.importorskip("kubernetes", reason="the official kubernetes client is not installed")
from kubernetes import client, config  # noqa: E402
from kubernetes.client.rest import ApiException  # noqa: E402

KUBECTL = shutil.which("kubectl")

# The Deployment the other API-server tests serve.
WEB = NGINX


@pytest.fixture
def served() -> Iterator[tuple[kubesim.Cluster, kubesim.Server, Any]]:
    c = kubesim.Cluster(nodes=2, seed=0)
    c.apply(WEB)
    c.advance("10s")
    with c.serve() as srv:
        api_client = config.new_client_from_config(srv.kubeconfig)
        try:
            yield c, srv, api_client
        finally:
            api_client.close()


def conditions(obj: Any) -> dict[str, str]:
    return {x.type: x.status for x in obj.status.conditions or []}


def test_a_status_patch_changes_only_status(served: Any) -> None:
    c, _, api_client = served
    apps = client.AppsV1Api(api_client)
    before = apps.read_namespaced_deployment("web", "default")
    body = {
        "metadata": {"labels": {"sneaky": "yes"}},
        "spec": {"replicas": 9},
        "status": {"conditions": [{"type": "example.com/Audited", "status": "True", "reason": "Operator"}]},
    }
    written = apps.patch_namespaced_deployment_status("web", "default", body)
    # Spec and metadata in the body are ignored; the condition joins the controller's (merged by type).
    assert written.spec.replicas == 2 and "sneaky" not in (written.metadata.labels or {})
    assert conditions(written) == {"Available": "True", "Progressing": "True", "example.com/Audited": "True"}
    assert written.metadata.generation == before.metadata.generation
    assert int(written.metadata.resource_version) > int(before.metadata.resource_version)
    assert c.deployment("web").replicas == 2
    # The deployment controller keeps conditions it does not own (upstream SetDeploymentCondition).
    c.advance("1m")
    assert conditions(apps.read_namespaced_deployment_status("web", "default"))["example.com/Audited"] == "True"


def test_the_owning_controller_writes_over_a_client_status(served: Any) -> None:
    c, _, api_client = served
    apps = client.AppsV1Api(api_client)
    written = apps.patch_namespaced_deployment_status("web", "default", {"status": {"readyReplicas": 7}})
    # The answer is the status write itself; the deployment controller syncs on that update
    # and writes the counts it observes (upstream: every Deployment update is enqueued).
    assert written.status.ready_replicas == 7
    assert apps.read_namespaced_deployment("web", "default").status.ready_replicas == 2
    assert c.deployment("web").ready_replicas == 2


def test_a_main_resource_write_ignores_status(served: Any) -> None:
    c, _, api_client = served
    apps = client.AppsV1Api(api_client)
    d = apps.patch_namespaced_deployment("web", "default", {"status": {"replicas": 40}, "spec": {"replicas": 3}})
    assert d.spec.replicas == 3 and d.status.replicas != 40
    c.advance("10s")
    assert c.deployment("web").available_replicas == 3


def test_a_stale_resource_version_is_a_conflict_and_changes_nothing(served: Any) -> None:
    c, _, api_client = served
    apps = client.AppsV1Api(api_client)
    d = apps.read_namespaced_deployment_status("web", "default")
    rv = c.deployment("web").to_dict()["metadata"]["resourceVersion"]
    apps.patch_namespaced_deployment_status(
        "web", "default", {"status": {"conditions": [{"type": "A", "status": "True"}]}}
    )
    d.status.conditions = [client.V1DeploymentCondition(type="B", status="True")]
    with pytest.raises(ApiException) as e:
        apps.replace_namespaced_deployment_status("web", "default", d)
    assert e.value.status == 409
    assert "the object has been modified" in json.loads(e.value.body)["message"]
    after = c.deployment("web").to_dict()
    assert after["metadata"]["resourceVersion"] != rv
    assert "B" not in {x["type"] for x in after["status"]["conditions"]}


def test_a_client_pod_status_is_shown_until_the_kubelet_writes_and_never_reaches_its_record(served: Any) -> None:
    c, _, api_client = served
    core = client.CoreV1Api(api_client)
    pod = c.pods()[0]
    gate = {"type": "example.com/gate", "status": "True"}
    written = core.patch_namespaced_pod_status(
        pod.name, "default", {"status": {"conditions": [gate], "phase": "Failed"}}
    )
    assert conditions(written)["example.com/gate"] == "True" and written.status.phase == "Failed"
    # Shown as written (the kubelet has nothing new to report) …
    c.advance("1m")
    shown = core.read_namespaced_pod(pod.name, "default")
    assert shown.status.phase == "Failed" and conditions(shown)["Ready"] == "True"
    assert pod.phase == "Failed"
    # … while the simulation goes on from the kubelet's record: the pod is running and ready, so
    # its ReplicaSet counts it and makes no replacement (a failed pod would be replaced).
    assert c.deployment("web").available_replicas == 2 and len(c.pods()) == 2
    assert "Running" in c.kubectl(f"get pod {pod.name}")
    # A saved cluster keeps what was written, as it keeps the kubelet's record apart.
    loaded = pickle.loads(pickle.dumps(c))
    assert loaded.pod(pod.name).phase == "Failed" and loaded.pod(pod.name).ready
    assert "example.com/gate" in {x["type"] for x in loaded.pod(pod.name).to_dict()["status"]["conditions"]}
    # The kubelet's next status write (the pod stops) replaces it.
    c.delete("pod", pod.name)
    after = core.read_namespaced_pod(pod.name, "default")
    assert "example.com/gate" not in conditions(after) and after.status.phase == "Running"
    assert after.metadata.deletion_timestamp is not None


@pytest.mark.parametrize(
    ("reason", "phase", "reset"),
    [
        # upstream: nonTerminatingPodHasStaleDisruptionCondition — which conditions go stale
        ("EvictionByEvictionAPI", None, True),
        ("DeletionByTaintManager", None, True),
        ("TerminationByKubelet", None, False),  # the kubelet's own: never stale
        ("EvictionByEvictionAPI", "Failed", False),  # a finished pod's conditions are left alone
    ],
)
def test_a_stale_disruption_target_a_client_wrote_is_reset_after_two_minutes(
    served: Any, reason: str, phase: str | None, reset: bool
) -> None:
    # upstream: syncStalePodDisruption (test/integration/disruption TestStalePodDisruption
    # writes the condition through pods/status too): a DisruptionTarget=True condition on a pod
    # not deleted within stalePodDisruptionTimeout (2 min from its lastTransitionTime) is set
    # to False, with no reason or message.
    c, _, api_client = served
    core = client.CoreV1Api(api_client)
    pod = c.pods()[0]
    marked = {
        "type": "DisruptionTarget",
        "status": "True",
        "reason": reason,
        "message": "test",
        "lastTransitionTime": "2026-01-01T00:00:10Z",
    }
    status: dict[str, Any] = {"conditions": [marked]}
    if phase:
        status["phase"] = phase
    core.patch_namespaced_pod_status(pod.name, "default", {"status": status})

    def target() -> dict[str, Any]:
        (cond,) = [x for x in pod.to_dict()["status"]["conditions"] if x["type"] == "DisruptionTarget"]
        return dict(cond)

    c.advance(119.999)
    assert target() == marked
    c.advance(0.001)
    assert c.now.isoformat() == "2026-01-01T00:02:10+00:00"
    if reset:
        assert target() == {"type": "DisruptionTarget", "status": "False", "lastTransitionTime": "2026-01-01T00:02:10Z"}
    else:
        c.advance("10m")
        assert target() == marked


def test_a_bad_status_is_refused_and_changes_nothing(served: Any) -> None:
    c, _, api_client = served
    apps = client.AppsV1Api(api_client)
    rv = c.deployment("web").to_dict()["metadata"]["resourceVersion"]
    with pytest.raises(ApiException) as e:
        apps.patch_namespaced_deployment_status("web", "default", {"status": {"replicas": "many"}})
    assert e.value.status == 400
    assert "status.replicas" in json.loads(e.value.body)["message"]
    assert c.deployment("web").to_dict()["metadata"]["resourceVersion"] == rv


def test_a_service_load_balancer_status(served: Any) -> None:
    c, _, api_client = served
    core = client.CoreV1Api(api_client)
    svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "lb"}}
    svc["spec"] = {"type": "LoadBalancer", "selector": {"app": "web"}, "ports": [{"port": 80}]}
    core.create_namespaced_service("default", svc)
    ingress = {"status": {"loadBalancer": {"ingress": [{"ip": "203.0.113.7"}]}}}
    core.patch_namespaced_service_status("lb", "default", ingress)
    assert c.get("service", "lb").to_dict()["status"]["loadBalancer"]["ingress"] == [{"ip": "203.0.113.7"}]
    assert "203.0.113.7" in c.kubectl("get service lb")


@pytest.mark.skipif(KUBECTL is None, reason="the real kubectl binary is not on PATH")
def test_kubectl_get_and_patch_with_subresource_status(served: Any) -> None:
    c, srv, _ = served

    def kubectl(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [KUBECTL or "kubectl", *args], env=srv.env(), capture_output=True, text=True, timeout=60, check=False
        )

    patch = '{"status":{"conditions":[{"type":"example.com/Audited","status":"True"}]}}'
    r = kubectl("patch", "deployment", "web", "--subresource=status", "--type=merge", "-p", patch)
    assert (r.returncode, r.stdout) == (0, "deployment.apps/web patched\n"), r.stderr
    # A merge patch replaces the list: the controller puts its own conditions back on its sync.
    got = kubectl("get", "deployment", "web", "--subresource=status", "-o", "json")
    assert got.returncode == 0, got.stderr
    types = [x["type"] for x in json.loads(got.stdout)["status"]["conditions"]]
    assert "example.com/Audited" in types and "Available" in types
    r = kubectl("patch", "deployment", "web", "--subresource=status", "-p", '{"spec":{"replicas":5}}')
    assert (r.returncode, r.stdout) == (0, "deployment.apps/web patched (no change)\n"), r.stderr
    assert c.deployment("web").replicas == 2
    # `kubectl edit --subresource=status` (the editor a sed): the status is written, the spec
    # change in the edited text is ignored.
    env = dict(srv.env(), KUBE_EDITOR="sed -i -e 's/ replicas: 2/ replicas: 7/'")
    r = subprocess.run(
        [KUBECTL or "kubectl", "edit", "deployment", "web", "--subresource=status"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (r.returncode, r.stdout) == (0, "deployment.apps/web edited\n"), r.stderr
    assert c.deployment("web").replicas == 2


@pytest.mark.skipif(KUBECTL is None, reason="the real kubectl binary is not on PATH")
@pytest.mark.parametrize(
    "args",
    [
        [
            "patch",
            "deployment",
            "web",
            "--subresource=status",
            "--type=merge",
            "-p",
            '{"status":{"conditions":[{"type":"example.com/Audited","status":"True"}]}}',
        ],
        ["patch", "deployment", "web", "--subresource=status", "-p", '{"spec":{"replicas":5}}'],
        ["patch", "configmap", "settings", "--subresource=status", "-p", '{"data":{"a":"2"}}'],
        ["patch", "deployment", "web", "--subresource=foo", "-p", "{}"],
    ],
)
def test_in_process_patch_of_the_status_subresource_answers_as_the_real_kubectl(args: list[str]) -> None:
    def cluster() -> kubesim.Cluster:
        c = kubesim.Cluster(nodes=2, seed=0)
        c.apply(WEB)
        c.apply({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings"}, "data": {"a": "1"}})
        c.advance("10s")
        return c

    served, local = cluster(), cluster()
    with served.serve() as srv:
        real = subprocess.run(
            [KUBECTL or "kubectl", *args], env=srv.env(), capture_output=True, text=True, timeout=60, check=False
        )
    mine = local.kubectl(args, check=False)
    assert (mine.exit_code, mine.stdout, mine.stderr) == (real.returncode, real.stdout, real.stderr)
    assert local.kubectl("get deploy,cm -o yaml") == served.kubectl("get deploy,cm -o yaml")
