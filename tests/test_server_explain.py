"""``kubectl explain`` against ``c.serve()``: the OpenAPI v3 documents carry the served kinds'
schemas (upstream's descriptions, from k8s-openapi), so the real kubectl prints what it prints
against a real API server; ``kubectl apply`` still validates through the same documents."""

from __future__ import annotations

import json
import shutil
import subprocess
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

import kubesim

KUBECTL = shutil.which("kubectl")
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[kubesim.Cluster, kubesim.Server]]:
    c = kubesim.Cluster(nodes=2, seed=0)
    with c.serve() as srv:
        yield c, srv


def kubectl(srv: kubesim.Server, *args: str) -> str:
    r = subprocess.run([KUBECTL or "kubectl", *args], env=srv.env(), capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, f"kubectl {' '.join(args)}: {r.stderr}"
    return r.stdout


needs_kubectl = pytest.mark.skipif(KUBECTL is None, reason="the real kubectl binary is not on PATH")

# What kubectl 1.32 prints against a real API server (upstream's descriptions of apps/v1).
DEPLOYMENT_SPEC = """\
GROUP:      apps
KIND:       Deployment
VERSION:    v1

FIELD: spec <DeploymentSpec>


DESCRIPTION:
    Specification of the desired behavior of the Deployment.
    DeploymentSpec is the specification of the desired behavior of the
    Deployment.
{blank}
FIELDS:
  minReadySeconds\t<integer>
    Minimum number of seconds for which a newly created pod should be ready
    without any of its container crashing, for it to be considered available.
    Defaults to 0 (pod will be considered available as soon as it is ready)

  paused\t<boolean>
    Indicates that the deployment is paused.
""".format(blank="    ")  # kubectl prints the description's indent on its blank last line


@needs_kubectl
def test_explain_deployment_spec(served: tuple[kubesim.Cluster, kubesim.Server]) -> None:
    _, srv = served
    out = kubectl(srv, "explain", "deployment.spec")
    assert out.startswith(DEPLOYMENT_SPEC), out[:1500]
    assert "  selector\t<LabelSelector> -required-\n" in out
    assert "  template\t<PodTemplateSpec> -required-\n" in out
    assert "  strategy\t<DeploymentStrategy>\n" in out


@needs_kubectl
def test_explain_recursive_follows_references(served: tuple[kubesim.Cluster, kubesim.Server]) -> None:
    _, srv = served
    out = kubectl(srv, "explain", "pods.spec.containers", "--recursive")
    assert out.startswith("KIND:       Pod\nVERSION:    v1\n\nFIELD: containers <[]Container>\n"), out[:300]
    for line in [
        "  env\t<[]EnvVar>",
        "    name\t<string> -required-",
        "    valueFrom\t<EnvVarSource>",
        "      configMapKeyRef\t<ConfigMapKeySelector>",
        "  image\t<string>",
        "  name\t<string> -required-",
        "  ports\t<[]ContainerPort>",
        "    containerPort\t<integer> -required-",
        "  resources\t<ResourceRequirements>",
        "        port\t<IntOrString> -required-",
    ]:
        assert line + "\n" in out, line


@needs_kubectl
def test_explain_top_level_and_other_versions(served: tuple[kubesim.Cluster, kubesim.Server]) -> None:
    _, srv = served
    out = kubectl(srv, "explain", "deployment")
    # upstream requires no top-level field of an object.
    assert "  metadata\t<ObjectMeta>\n" in out and "  spec\t<DeploymentSpec>\n" in out
    assert "Deployment enables declarative updates for Pods and ReplicaSets." in out
    v1 = kubectl(srv, "explain", "hpa.spec", "--api-version=autoscaling/v1")
    assert "VERSION:    v1\n" in v1 and "  targetCPUUtilizationPercentage\t<integer>\n" in v1
    v2 = kubectl(srv, "explain", "hpa.spec")
    assert "VERSION:    v2\n" in v2 and "  metrics\t<[]MetricSpec>\n" in v2
    assert "  ports\t<[]ServicePort>\n" in kubectl(srv, "explain", "svc.spec")
    assert "  schedule\t<string> -required-\n" in kubectl(srv, "explain", "cronjob.spec")


@needs_kubectl
def test_apply_still_validates_through_the_documents(served: tuple[kubesim.Cluster, kubesim.Server]) -> None:
    c, srv = served
    manifest = str(EXAMPLES / "nginx-deployment.yaml")
    assert kubectl(srv, "apply", "-f", manifest) == "deployment.apps/nginx-deployment created\n"
    bad = subprocess.run(
        [KUBECTL or "kubectl", "apply", "-f", "-"],
        input=Path(manifest).read_text().replace("replicas:", "replicaz:"),
        env=srv.env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 1 and 'unknown field "spec.replicaz"' in bad.stderr
    assert c.deployment("nginx-deployment").replicas == 3


def test_documents_are_cached_and_hashed(served: tuple[kubesim.Cluster, kubesim.Server]) -> None:
    _, srv = served
    index = json.load(urllib.request.urlopen(srv.url + "/openapi/v3"))
    url = index["paths"]["apis/apps/v1"]["serverRelativeURL"]
    first = urllib.request.urlopen(srv.url + url).read()
    assert urllib.request.urlopen(srv.url + url).read() == first
    schemas = json.loads(first)["components"]["schemas"]
    gvk = schemas["io.k8s.api.apps.v1.Deployment"]["x-kubernetes-group-version-kind"]
    assert gvk == [{"group": "apps", "kind": "Deployment", "version": "v1"}]
    assert (
        json.load(urllib.request.urlopen(srv.url + "/openapi/v3"))["paths"]["apis/apps/v1"]["serverRelativeURL"] == url
    )
