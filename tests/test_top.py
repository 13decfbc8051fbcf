"""`kubectl top pods|nodes` data (kubectl 1.32 `pkg/cmd/top`, `metricsutil` printer)."""

from __future__ import annotations

import pytest

import kubesim


def _pod(name: str, namespace: str = "default", image: str = "nginx:1.25", labels: dict | None = None) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace, "labels": labels or {"app": name}},
        "spec": {"containers": [{"name": "c", "image": image}]},
    }


@pytest.fixture
def small() -> kubesim.Cluster:
    """One 2-CPU, 1Gi node with pods `a` (250m, 12Mi) and `bb` (1500m, 100Mi), scraped."""
    c = kubesim.Cluster(nodes=[{"name": "n1", "cpu": "2", "memory": "1Gi"}], seed=0)
    c.apply([_pod("a", labels={"app": "a", "tier": "web"}), _pod("bb", labels={"app": "bb", "tier": "db"})])
    c.advance("30s")
    c.pod("a").set_usage(cpu="250m", memory="12Mi")
    c.pod("bb").set_usage(cpu=1.5, memory="100Mi")
    return c


def test_top_pods_prints_the_printer_columns(small):
    # Every cell is followed by a tab in kubectl's printer, so the last column is padded too.
    assert small.top() == (
        "NAME   CPU(cores)   MEMORY(bytes)   \n"
        "a      250m         12Mi            \n"
        "bb     1500m        100Mi           \n"
    )


def test_top_nodes_prints_usage_and_share_of_allocatable(small):
    assert small.top("nodes") == (
        "NAME   CPU(cores)   CPU(%)   MEMORY(bytes)   MEMORY(%)   \n"
        "n1     1750m        87%      112Mi           10%         \n"
    )


def test_sorting_selectors_headers_and_namespaces(small):
    assert small.top(sort_by="cpu").splitlines()[1].split() == ["bb", "1500m", "100Mi"]
    assert small.top(sort_by="memory", no_headers=True).splitlines()[0].split() == ["bb", "1500m", "100Mi"]
    assert small.top(selector="tier=web", no_headers=True) == "a     250m   12Mi   \n", "minimum width 6"
    assert small.top(selector={"tier": "db"}, no_headers=True).split() == ["bb", "1500m", "100Mi"]
    assert small.top(name="a").splitlines()[1].split() == ["a", "250m", "12Mi"]
    small.apply([{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}}, _pod("cart", "shop")])
    small.advance("30s")
    everywhere = small.top(namespace=None)
    assert everywhere.splitlines()[0].split() == ["NAMESPACE", "NAME", "CPU(cores)", "MEMORY(bytes)"]
    assert [line.split()[:2] for line in everywhere.splitlines()[1:]] == [
        ["default", "a"],
        ["default", "bb"],
        ["shop", "cart"],
    ]
    assert small.top(namespace="shop").splitlines()[1].split() == ["cart", "0m", "0Mi"]


def test_top_errors_as_kubectl_words_them(small):
    with pytest.raises(kubesim.InvalidArgumentError, match="^--sort-by accepts only cpu or memory$"):
        small.top(sort_by="name")
    with pytest.raises(kubesim.InvalidArgumentError, match="^only one of NAME or selector can be provided$"):
        small.top(name="a", selector="app=a")
    with pytest.raises(kubesim.NotFoundError, match='^pods "nope" not found$'):
        small.top(name="nope")
    with pytest.raises(kubesim.NotFoundError, match='^node "n9" not found$'):
        small.top("nodes", name="n9")
    assert small.top(namespace="kube-system") == "", "no pods: kubectl says No resources found"
    small.apply(_pod("fresh"))
    with pytest.raises(kubesim.NotFoundError, match='^podmetrics.metrics.k8s.io "default/fresh" not found$'):
        small.top(name="fresh")


def test_pods_without_samples_are_not_available_yet():
    c = kubesim.Cluster(nodes=1, seed=0)
    c.images.register("slow:1", pull="10m")
    c.apply(_pod("p", image="slow:1"))
    c.advance("1m")
    with pytest.raises(kubesim.MetricsUnavailableError, match="^metrics not available yet$"):
        c.top()
    c.advance("1m30.5s")
    with pytest.raises(
        kubesim.MetricsUnavailableError, match="^Metrics not available for pod default/p, age: 2m30.5s$"
    ):
        c.top()


def test_a_node_whose_kubelet_stopped_has_unknown_usage():
    c = kubesim.Cluster(nodes=2, seed=0)
    c.advance("30s")
    c.node("node-2").fail()
    c.advance("1m")
    lines = c.top("nodes").splitlines()
    assert lines[1].split()[0] == "node-1"
    assert lines[2].split() == ["node-2", "<unknown>", "<unknown>", "<unknown>", "<unknown>"]
    with pytest.raises(kubesim.NotFoundError, match='^nodemetrics.metrics.k8s.io "node-2" not found$'):
        c.top("nodes", name="node-2")


def test_top_shows_the_load_model(cluster):
    cluster.apply(
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web"},
            "spec": {
                "replicas": 3,
                "selector": {"matchLabels": {"app": "web"}},
                "template": {
                    "metadata": {"labels": {"app": "web"}},
                    "spec": {"containers": [{"name": "c", "image": "nginx"}]},
                },
            },
        }
    )
    d = cluster.deployment("web")
    d.rollout.status()
    d.set_load(cpu="1500m", memory="300Mi", idle={"cpu": "10m", "memory": "20Mi"})
    cluster.advance("30s")
    rows = [line.split()[1:] for line in cluster.top(no_headers=True).splitlines()]
    assert rows == [["510m", "120Mi"]] * 3, "idle plus a third of the demand each"
    nodes = [line.split() for line in cluster.top("nodes", no_headers=True).splitlines()]
    assert sum(int(n[1].rstrip("m")) for n in nodes) == 1530
