"""What a new cluster and a new namespace hold before anyone applies anything, as on a real
cluster: a `default` ServiceAccount in every namespace (the serviceaccounts controller) and the
`kubernetes` Service in `default` (the API server's own)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

import kubesim

WEB_APP = Path(__file__).resolve().parent.parent / "examples" / "web-app" / "web-app.yaml"


def test_every_namespace_has_a_default_service_account():
    c = kubesim.Cluster(nodes=1, seed=0)
    assert c.kubectl("get sa -A").splitlines() == [
        "NAMESPACE         NAME      SECRETS   AGE",
        "default           default   0         0s",
        "kube-node-lease   default   0         0s",
        "kube-public       default   0         0s",
        "kube-system       default   0         0s",
    ]
    c.advance("1m")
    c.kubectl("create namespace dev")
    # Created right after the namespace, at the same instant.
    assert c.kubectl("get sa -n dev") == "NAME      SECRETS   AGE\ndefault   0         0s\n"
    # Deleted, it comes back (the controller watches ServiceAccounts too).
    uid = c.get("serviceaccount", "default", "dev").uid
    assert c.kubectl("delete sa default -n dev") == 'serviceaccount "default" deleted\n'
    assert c.get("serviceaccount", "default", "dev").uid != uid
    # A terminating namespace gets none back: it goes, and its ServiceAccount with it.
    c.kubectl("delete namespace dev")
    c.advance("10s")
    assert c.kubectl("get sa -n dev", check=False).stderr == "No resources found in dev namespace.\n"
    assert c.kubectl("get ns dev", check=False).exit_code == 1


def test_pods_run_as_the_default_service_account():
    c = kubesim.Cluster(nodes=1, seed=0)
    c.kubectl("run p --image=nginx")
    assert c.get("pod", "p").to_dict()["spec"]["serviceAccountName"] == "default"
    assert "Service Account:  default" in c.kubectl("describe pod p")


def test_the_kubernetes_service_is_the_first_ip_of_the_service_cidr():
    c = kubesim.Cluster(nodes=1, seed=0)
    svc = c.get("service", "kubernetes").to_dict()
    assert svc["metadata"]["labels"] == {"component": "apiserver", "provider": "kubernetes"}
    assert svc["spec"]["clusterIP"] == "10.96.0.1" and "selector" not in svc["spec"]
    assert svc["spec"]["ports"] == [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": 6443}]
    assert c.kubectl("get svc") == (
        "NAME         TYPE        CLUSTER-IP   EXTERNAL-IP   PORT(S)   AGE\n"
        "kubernetes   ClusterIP   10.96.0.1    <none>        443/TCP   0s\n"
    )
    # No other Service is given its address.
    c.kubectl("create service clusterip web --tcp=80:8080")
    assert c.get("service", "web").cluster_ip != "10.96.0.1"


def test_a_deleted_kubernetes_service_comes_back_at_the_api_servers_next_tick():
    c = kubesim.Cluster(nodes=1, seed=0)
    c.advance("3s")
    uid = c.get("service", "kubernetes").uid
    assert c.kubectl("delete svc kubernetes") == 'service "kubernetes" deleted\n'
    c.advance("6s")  # t=9s: the API server's 10 s loop has not come round yet
    assert c.kubectl("get svc", check=False).stderr == "No resources found in default namespace.\n"
    c.advance("1s")
    svc = c.get("service", "kubernetes")
    assert svc.uid != uid and svc.cluster_ip == "10.96.0.1"
    assert c.kubectl("get svc kubernetes").splitlines()[1].split()[-1] == "0s"


def test_the_web_app_example_shows_the_defaults():
    c = kubesim.Cluster(nodes=3, seed=0)
    c.apply(WEB_APP)
    assert [line.split()[0] for line in c.kubectl("get sa -n shop").splitlines()] == ["NAME", "default", "web"]
    assert c.kubectl("get svc -n default -o name") == "service/kubernetes\n"
    assert c.kubectl("get all").splitlines()[1].split()[:3] == ["service/kubernetes", "ClusterIP", "10.96.0.1"]


KUBECTL = shutil.which("kubectl")


@pytest.mark.skipif(KUBECTL is None, reason="the real kubectl binary is not on PATH")
def test_the_real_kubectl_lists_them_through_the_api_server():
    c = kubesim.Cluster(nodes=1, seed=0)
    with c.serve() as srv:
        for command in ("get all", "get sa -A", "get svc kubernetes -o wide"):
            real = subprocess.run(
                [KUBECTL or "kubectl", *command.split()], env=srv.env(), capture_output=True, text=True, timeout=60
            )
            assert real.stdout == c.kubectl(command), command
