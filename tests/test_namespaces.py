"""Namespace lifecycle (upstream: the namespace REST delete, the NamespaceLifecycle admission
plugin and the namespace controller): a deleted namespace is Terminating, refuses new content,
has its content deleted 5 s later, reports what remains in its conditions, and goes once empty."""

from __future__ import annotations

import shutil
import subprocess

import pytest

import kubesim

WEB_APP = "examples/web-app/web-app.yaml"


@pytest.fixture
def c(monkeypatch) -> kubesim.Cluster:
    from pathlib import Path

    monkeypatch.chdir(Path(__file__).resolve().parent.parent)
    c = kubesim.Cluster(nodes=2, seed=1)
    c.kubectl("create namespace team")
    return c


def conditions(c: kubesim.Cluster, name: str) -> dict[str, tuple[str, str, str]]:
    ns = c.get("namespace", name, namespace="").to_dict()
    return {x["type"]: (x["status"], x["reason"], x["message"]) for x in ns["status"].get("conditions", [])}


def test_a_new_namespace_carries_the_kubernetes_finalizer_which_updates_cannot_remove(c):
    ns = c.get("namespace", "team", namespace="").to_dict()
    assert ns["spec"] == {"finalizers": ["kubernetes"]}
    assert ns["status"] == {"phase": "Active"}
    c.replace({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team"}, "spec": {"finalizers": []}})
    assert c.get("namespace", "team", namespace="").to_dict()["spec"] == {"finalizers": ["kubernetes"]}


def test_deleting_a_namespace_empties_it_then_removes_it(c):
    # A pod that ignores SIGTERM: it keeps its namespace for its whole 30 s grace period.
    c.images.register("stubborn:*")
    c.kubectl("-n team create deployment web --image=stubborn:1 --replicas=2")
    c.kubectl("-n team create configmap settings --from-literal=a=b")
    c.advance(10)
    c.delete("namespace", "team", namespace="")
    ns = c.get("namespace", "team", namespace="")
    assert ns.to_dict()["status"]["phase"] == "Terminating"
    assert c.kubectl("get ns team --no-headers").split()[:2] == ["team", "Terminating"]
    # Nothing happens for 5 s (upstream: namespaceDeletionGracePeriod)…
    c.advance(4)
    assert len(c.pods(namespace="team")) == 2 and conditions(c, "team") == {}
    # …then the content is deleted; the pods take their grace period.
    c.advance(1)
    assert c.list("configmaps", namespace="team") == [] and c.deployments(namespace="team") == []
    assert all(p.deletion_timestamp is not None for p in c.pods(namespace="team"))
    got = conditions(c, "team")
    assert got["NamespaceContentRemaining"] == (
        "True",
        "SomeResourcesRemain",
        "Some resources are remaining: pods. has 2 resource instances",
    )
    assert got["NamespaceDeletionDiscoveryFailure"] == (
        "False",
        "ResourcesDiscovered",
        "All resources successfully discovered",
    )
    assert got["NamespaceFinalizersRemaining"] == (
        "False",
        "ContentHasNoFinalizers",
        "All content-preserving finalizers finished",
    )
    # The pods go at 35 s; the controller, back at 10 s (its status update) and then after the
    # pods' 30 s grace estimate (at 40 s), finds the namespace empty and finalizes it.
    c.advance(29)
    assert c._exists("Namespace", "", "team")
    c.advance(1)
    assert c.pods(namespace="team") == [] and c._exists("Namespace", "", "team")
    c.advance(5)
    assert not c._exists("Namespace", "", "team")
    # The name is free again.
    c.kubectl("create namespace team")
    assert c.get("namespace", "team", namespace="").to_dict()["status"] == {"phase": "Active"}


def test_kubectl_delete_waits_for_the_namespace_and_prompt_pods_let_it_go_in_ten_seconds(c):
    c.apply(WEB_APP)
    c.advance(30)
    t = c.elapsed
    assert c.kubectl("delete namespace shop") == 'namespace "shop" deleted\n'
    assert c.elapsed - t == pytest.approx(10.0)
    assert "shop" not in c.kubectl("get ns")


def test_a_terminating_namespace_refuses_new_content(c):
    c.kubectl("-n team create deployment web --image=nginx --replicas=1")
    c.advance(5)
    c.delete("namespace", "team", namespace="")
    message = (
        'configmaps "x" is forbidden: unable to create new content in namespace team because it is being terminated'
    )
    with pytest.raises(kubesim.ForbiddenError) as e:
        c.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x", "namespace": "team"}})
    assert str(e.value) == message and (e.value.kind, e.value.name) == ("ConfigMap", "x")
    r = c.kubectl("-n team create configmap x", check=False)
    assert (r.stderr, r.exit_code) == (f"error: failed to create configmap: {message}\n", 1)
    # A generated name is refused under its prefix; updates of what is there still work.
    with pytest.raises(kubesim.ForbiddenError, match='pods "web-" is forbidden'):
        c.create({"apiVersion": "v1", "kind": "Pod", "metadata": {"generateName": "web-", "namespace": "team"},
                  "spec": {"containers": [{"name": "c", "image": "nginx"}]}})  # fmt: skip
    c.kubectl("-n team label deployment web tier=front")
    assert c.deployment("web", "team").labels["tier"] == "front"


def test_a_finalizer_on_content_holds_the_namespace_until_it_is_removed(c):
    c.create(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "held", "namespace": "team", "finalizers": ["example.com/hold"]},
        }
    )
    c.delete("namespace", "team", namespace="")
    c.advance(60)
    assert c._exists("Namespace", "", "team")
    got = conditions(c, "team")
    assert got["NamespaceContentRemaining"][2] == "Some resources are remaining: configmaps. has 1 resource instances"
    assert got["NamespaceFinalizersRemaining"] == (
        "True",
        "SomeFinalizersRemain",
        "Some content in the namespace has finalizers remaining: example.com/hold in 1 resource instances",
    )
    c.patch("configmap", "held", {"metadata": {"finalizers": None}}, namespace="team")
    assert not c._exists("ConfigMap", "team", "held")
    c.advance(5)
    assert not c._exists("Namespace", "", "team")


def test_same_history_for_one_and_two_threads():
    def history(threads: int) -> list:
        c = kubesim.Cluster(nodes=2, seed=5, threads=threads)
        c.apply(WEB_APP)
        c.advance(20)
        c.delete("namespace", "shop", namespace="")
        c.advance(60)
        return [(e.type, e.resource_version, e.kind, e.name) for e in c.watch(since=0)]

    assert history(1) == history(2)


KUBECTL = shutil.which("kubectl")


@pytest.mark.skipif(KUBECTL is None, reason="the real kubectl binary is not on PATH")
def test_the_real_kubectl_sees_terminating_and_forbidden(c):
    c.kubectl("-n team create deployment web --image=nginx --replicas=1")
    c.advance(5)
    with c.serve() as srv:
        env = srv.env()

        def real(*args: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run([KUBECTL or "kubectl", *args], env=env, capture_output=True, text=True, timeout=60)

        r = real("delete", "namespace", "team", "--wait=false")
        assert r.stdout == 'namespace "team" deleted\n'
        assert real("get", "namespace", "team", "--no-headers").stdout.split()[:2] == ["team", "Terminating"]
        r = real("-n", "team", "create", "configmap", "x")
        assert r.returncode == 1
        assert r.stderr == (
            'error: failed to create configmap: configmaps "x" is forbidden: unable to create new content in '
            "namespace team because it is being terminated\n"
        )
        r = real("delete", "namespace", "default")
        assert (
            r.stderr
            == 'Error from server (Forbidden): namespaces "default" is forbidden: this namespace may not be deleted\n'
        )


def test_a_foreground_delete_of_a_namespace_still_waits_for_its_content(c):
    c.kubectl("-n team create configmap settings --from-literal=a=b")
    c.delete("namespace", "team", namespace="", propagation="Foreground")
    c.advance(1)
    # The garbage collector drops the foregroundDeletion finalizer (a namespace has no
    # dependents), but the namespace stays Terminating until its controller finalizes it.
    ns = c.get("namespace", "team", namespace="").to_dict()
    assert ns["status"]["phase"] == "Terminating" and ns["spec"]["finalizers"] == ["kubernetes"]
    c.advance(5)
    assert not c._exists("Namespace", "", "team")
