"""Server-side apply's field ownership through ``c.serve()``: ``managedFields``, conflicts
between field managers with upstream's message, ``--force-conflicts``; with the real kubectl
and with the official ``kubernetes`` client."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_server import NGINX

import kubesim

KUBECTL = shutil.which("kubectl")
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
needs_kubectl = pytest.mark.skipif(KUBECTL is None, reason="the real kubectl binary is not on PATH")


@pytest.fixture
def served() -> Iterator[tuple[kubesim.Cluster, kubesim.Server]]:
    c = kubesim.Cluster(nodes=2, seed=0)
    with c.serve() as srv:
        yield c, srv


def run(srv: kubesim.Server, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [KUBECTL or "kubectl", *args], env=srv.env(), capture_output=True, text=True, timeout=60, input=stdin
    )


def manifest(replicas: int, image: str = "nginx:1.7.9") -> str:
    text = (EXAMPLES / "nginx-deployment.yaml").read_text()
    return text.replace("replicas: 3", f"replicas: {replicas}").replace("nginx:1.7.9", image)


@needs_kubectl
def test_kubectl_server_side_apply_conflicts_and_force(served: tuple[kubesim.Cluster, kubesim.Server]) -> None:
    c, srv = served
    r = run(srv, "apply", "--server-side", "-f", "-", stdin=manifest(3))
    assert r.stdout == "deployment.apps/nginx-deployment serverside-applied\n", r.stderr
    # Another manager setting the same value shares the field: no conflict.
    r = run(srv, "apply", "--server-side", "--field-manager=ci", "-f", "-", stdin=manifest(3))
    assert r.returncode == 0, r.stderr
    # Another value of a field both own: 409 naming each owner; nothing changes.
    r = run(srv, "apply", "--server-side", "--field-manager=other", "-f", "-", stdin=manifest(5))
    assert r.returncode == 1
    assert r.stderr.startswith(
        'error: Apply failed with 2 conflicts: conflicts with "ci" using apps/v1:\n- .spec.replicas\n'
        'conflicts with "kubectl" using apps/v1:\n- .spec.replicas\n'
    ), r.stderr
    assert "--force-conflicts" in r.stderr
    assert c.deployment("nginx-deployment").replicas == 3
    # Forced, the field changes hands.
    r = run(srv, "apply", "--server-side", "--field-manager=other", "--force-conflicts", "-f", "-", stdin=manifest(5))
    assert r.returncode == 0, r.stderr
    assert c.deployment("nginx-deployment").replicas == 5
    got = json.loads(run(srv, "get", "deployment", "nginx-deployment", "-o", "json", "--show-managed-fields").stdout)
    entries = {e["manager"]: e for e in got["metadata"]["managedFields"]}
    assert set(entries) == {"kubectl", "ci", "other"}
    for e in entries.values():
        assert (e["operation"], e["apiVersion"], e["fieldsType"]) == ("Apply", "apps/v1", "FieldsV1")
    assert "f:replicas" in entries["other"]["fieldsV1"]["f:spec"]
    assert "f:replicas" not in entries["kubectl"]["fieldsV1"]["f:spec"], "forced away from kubectl"
    assert "f:replicas" not in entries["ci"]["fieldsV1"]["f:spec"]
    container = entries["kubectl"]["fieldsV1"]["f:spec"]["f:template"]["f:spec"]["f:containers"]
    assert container['k:{"name":"nginx"}'] == {
        ".": {},
        "f:image": {},
        "f:name": {},
        "f:ports": {'k:{"containerPort":80,"protocol":"TCP"}': {".": {}, "f:containerPort": {}}},
    }
    # kubectl hides them unless asked.
    plain = json.loads(run(srv, "get", "deployment", "nginx-deployment", "-o", "json").stdout)
    assert "managedFields" not in plain["metadata"]


@needs_kubectl
def test_an_update_takes_ownership_and_a_later_apply_conflicts(served: tuple[kubesim.Cluster, kubesim.Server]) -> None:
    c, srv = served
    assert run(srv, "apply", "--server-side", "-f", "-", stdin=manifest(3)).returncode == 0
    r = run(srv, "set", "image", "deployment/nginx-deployment", "nginx=nginx:1.9.1")
    assert r.returncode == 0, r.stderr
    r = run(srv, "apply", "--server-side", "-f", "-", stdin=manifest(3))
    assert r.returncode == 1
    first = r.stderr.splitlines()[0]
    assert first.startswith('error: Apply failed with 1 conflict: conflict with "kubectl-set" using apps/v1 at ')
    assert first.endswith(': .spec.template.spec.containers[name="nginx"].image'), first
    # Re-applying what kubectl-set wrote is no change, so no conflict.
    assert run(srv, "apply", "--server-side", "-f", "-", stdin=manifest(3, "nginx:1.9.1")).returncode == 0
    image = c.deployment("nginx-deployment").to_dict()["spec"]["template"]["spec"]["containers"][0]["image"]
    assert image == "nginx:1.9.1"


@needs_kubectl
def test_an_apply_removes_what_its_manager_stopped_setting(served: tuple[kubesim.Cluster, kubesim.Server]) -> None:
    c, srv = served
    tiered = manifest(3).replace("  labels:\n    app: nginx\n", "  labels:\n    app: nginx\n    tier: web\n", 1)
    assert "tier: web" in tiered
    assert run(srv, "apply", "--server-side", "-f", "-", stdin=tiered).returncode == 0
    # A label another manager set is theirs: the applier's removal leaves it.
    assert run(srv, "label", "deployment", "nginx-deployment", "team=a").returncode == 0
    assert c.deployment("nginx-deployment").labels == {"app": "nginx", "tier": "web", "team": "a"}
    assert run(srv, "apply", "--server-side", "-f", "-", stdin=manifest(3)).returncode == 0
    assert c.deployment("nginx-deployment").labels == {"app": "nginx", "team": "a"}


kubernetes = pytest.importorskip("kubernetes", reason="the official kubernetes client is not installed")
from kubernetes import client, config  # noqa: E402
from kubernetes.client.rest import ApiException  # noqa: E402

# The Deployment the other API-server tests serve, without its labels.
WEB = {**NGINX, "metadata": {"name": "web"}}


def test_official_client_apply_conflict_and_force(served: tuple[kubesim.Cluster, kubesim.Server]) -> None:
    c, srv = served
    api_client = config.new_client_from_config(srv.kubeconfig)
    try:
        apps = client.AppsV1Api(api_client)
        ssa = {"_content_type": "application/apply-patch+yaml"}
        apps.patch_namespaced_deployment("web", "default", WEB, field_manager="operator-a", **ssa)
        other = json.loads(json.dumps(WEB))
        other["spec"]["replicas"] = 4
        with pytest.raises(ApiException) as e:
            apps.patch_namespaced_deployment("web", "default", other, field_manager="operator-b", **ssa)
        assert e.value.status == 409
        status = json.loads(e.value.body)
        assert status["reason"] == "Conflict"
        assert (
            status["message"]
            == 'Apply failed with 1 conflict: conflict with "operator-a" using apps/v1: .spec.replicas'
        )
        assert status["details"]["causes"] == [
            {
                "reason": "FieldManagerConflict",
                "message": 'conflict with "operator-a" using apps/v1',
                "field": ".spec.replicas",
            }
        ]
        assert c.deployment("web").replicas == 2
        d = apps.patch_namespaced_deployment("web", "default", other, field_manager="operator-b", force=True, **ssa)
        assert d.spec.replicas == 4
        managers = {(m.manager, m.operation) for m in d.metadata.managed_fields}
        assert managers == {("operator-a", "Apply"), ("operator-b", "Apply")}
        # An update without fieldManager is managed by the client's User-Agent product.
        apps.patch_namespaced_deployment("web", "default", {"metadata": {"labels": {"team": "a"}}})
        d = apps.read_namespaced_deployment("web", "default")
        update = [m for m in d.metadata.managed_fields if m.operation == "Update"]
        assert [m.manager for m in update] == ["OpenAPI-Generator"]
        assert update[0].fields_v1 == {"f:metadata": {"f:labels": {".": {}, "f:team": {}}}}
        # An apply without a field manager is refused.
        with pytest.raises(ApiException) as e:
            apps.patch_namespaced_deployment("web", "default", other, **ssa)
        assert e.value.status == 422 and "fieldManager: Required value" in json.loads(e.value.body)["message"]
    finally:
        api_client.close()
