"""The API-server surface: create/get/list/replace/patch/delete, errors, watch, uids."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kubesim


def pod(name: str, labels: dict[str, str] | None = None, namespace: str | None = None) -> dict:
    meta: dict = {"name": name, "labels": labels or {}}
    if namespace:
        meta["namespace"] = namespace
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": meta,
        "spec": {"containers": [{"name": "c", "image": "nginx"}]},
    }


def test_new_cluster_has_namespaces_and_ready_nodes(cluster):
    names = [n.name for n in cluster.list("namespaces", namespace=None)]
    assert names == ["default", "kube-node-lease", "kube-public", "kube-system"]
    nodes = cluster.nodes()
    assert [n.name for n in nodes] == ["node-1", "node-2", "node-3"]
    assert nodes[0].capacity == {"cpu": "4", "memory": "16Gi", "pods": "110"}
    assert nodes[1].labels["kubernetes.io/hostname"] == "node-2"


def test_custom_node_specs(cluster):
    c = kubesim.Cluster(
        nodes=[
            {"name": "big", "cpu": "16", "memory": "64Gi", "labels": {"disk": "ssd"}},
            {"name": "tainted", "taints": [{"key": "gpu", "value": "true", "effect": "NoSchedule"}]},
        ]
    )
    assert [n.name for n in c.nodes()] == ["big", "tainted"]
    assert c.node("big").capacity["cpu"] == "16"
    assert c.nodes(selector="disk=ssd") == [c.node("big")]
    assert c.node("tainted").taints == [{"key": "gpu", "value": "true", "effect": "NoSchedule"}]
    with pytest.raises(kubesim.InvalidArgumentError, match="invalid node spec"):
        kubesim.Cluster(nodes=[{"name": "x", "gpus": 1}])
    with pytest.raises(kubesim.InvalidArgumentError, match="duplicate node name"):
        kubesim.Cluster(nodes=[{"name": "x"}, {"name": "x"}])


def test_get_missing_object_is_not_found_with_the_api_servers_words(cluster):
    with pytest.raises(kubesim.NotFoundError) as info:
        cluster.deployment("nope")
    assert str(info.value) == 'deployments.apps "nope" not found'
    assert info.value.kind == "Deployment"
    with pytest.raises(kubesim.NotFoundError, match='^pods "x" not found$'):
        cluster.get("po", "x")
    with pytest.raises(kubesim.InvalidArgumentError, match='the server doesn\'t have a resource type "widgets"'):
        cluster.get("widgets", "x")


def test_create_twice_is_already_exists(cluster):
    cluster.create(pod("a"))
    with pytest.raises(kubesim.AlreadyExistsError, match='^pods "a" already exists$'):
        cluster.create(pod("a"))


def test_create_in_missing_namespace_is_not_found(cluster):
    with pytest.raises(kubesim.NotFoundError, match='namespaces "team-a" not found'):
        cluster.create(pod("a", namespace="team-a"))
    cluster.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team-a"}})
    created = cluster.create(pod("a", namespace="team-a"))
    assert created.namespace == "team-a"
    assert cluster.pods() == []
    assert [p.name for p in cluster.pods(namespace=None)] == ["a"]


def test_replace_with_stale_resource_version_conflicts(cluster):
    cluster.create(pod("a"))
    stale = cluster.pod("a").to_dict()
    fresh = cluster.pod("a").to_dict()
    fresh["metadata"]["labels"] = {"v": "1"}
    cluster.replace(fresh)
    stale["metadata"]["labels"] = {"v": "2"}
    with pytest.raises(kubesim.ConflictError) as info:
        cluster.replace(stale)
    assert str(info.value) == (
        'Operation cannot be fulfilled on pods "a": the object has been modified; '
        "please apply your changes to the latest version and try again"
    )
    assert cluster.pod("a").labels == {"v": "1"}


def test_generation_counts_spec_changes_only(cluster, examples):
    cluster.apply(examples / "nginx-deployment.yaml")
    d = cluster.deployment("nginx-deployment")
    assert d.generation == 1
    cluster.patch("deployment", "nginx-deployment", {"metadata": {"labels": {"team": "web"}}})
    assert d.generation == 1
    cluster.patch("deployment", "nginx-deployment", {"spec": {"replicas": 7}})
    assert (d.generation, d.replicas) == (2, 7)


def test_selector_immutable_and_pod_spec_mostly_immutable(cluster, examples):
    cluster.apply(examples / "nginx-deployment.yaml")
    with pytest.raises(kubesim.InvalidObjectError) as info:
        cluster.patch(
            "deployment",
            "nginx-deployment",
            {"spec": {"selector": {"matchLabels": {"app": "x"}}, "template": {"metadata": {"labels": {"app": "x"}}}}},
        )
    assert info.value.field == "spec.selector"
    assert "field is immutable" in str(info.value)
    cluster.create(pod("a"))
    # A merge patch replaces the container list; the image keeps its pull policy (Always).
    cluster.patch("pod", "a", {"spec": {"containers": [{"name": "c", "image": "nginx:latest"}]}})
    assert cluster.pod("a").spec["containers"][0]["image"] == "nginx:latest"
    with pytest.raises(kubesim.InvalidObjectError, match="pod updates may not change fields"):
        cluster.patch("pod", "a", {"spec": {"hostname": "h"}})


def test_generate_name(cluster):
    obj = pod("")
    del obj["metadata"]["name"]
    obj["metadata"]["generateName"] = "worker-"
    a = cluster.create(obj)
    b = cluster.create(obj)
    assert a.name != b.name
    for p in (a, b):
        assert p.name.startswith("worker-") and len(p.name) == len("worker-") + 5
        assert set(p.name[len("worker-") :]) <= set("bcdfghjklmnpqrstvwxz2456789")


def test_delete_removes_and_second_delete_is_not_found(cluster):
    cluster.create(pod("a"))
    cluster.delete("pod", "a")
    with pytest.raises(kubesim.NotFoundError):
        cluster.pod("a")
    with pytest.raises(kubesim.NotFoundError):
        cluster.delete("pod", "a")


def test_handles_are_live(cluster):
    cluster.create(pod("a", {"app": "x"}))
    h = cluster.pod("a")
    assert h.exists
    cluster.patch("pod", "a", {"metadata": {"labels": {"app": "y"}}})
    assert h.labels == {"app": "y"}
    cluster.delete("pod", "a")
    assert not h.exists
    assert repr(h) == "Pod('a', namespace='default')"


def test_watch_replays_adds_modifies_deletes(cluster):
    since = cluster.resource_version
    cluster.create(pod("a"))
    cluster.patch("pod", "a", {"metadata": {"labels": {"x": "1"}}})
    cluster.delete("pod", "a")
    events = cluster.watch(since=since, kind="pod")
    types = [e.type for e in events]
    assert types[0] == "ADDED" and types[-1] == "DELETED"
    assert set(types[1:-1]) == {"MODIFIED"}, "scheduler, kubelet and the label patch modify it"
    assert any(e.object["metadata"].get("labels") == {"x": "1"} for e in events if e.type == "MODIFIED")
    versions = [e.resource_version for e in cluster.watch(since=since)]
    assert versions == sorted(versions) and len(set(versions)) == len(versions)
    assert cluster.watch(since=versions[-1]) == []
    assert [e.type for e in cluster.watch(since=since, kind="deploy")] == []


def test_every_modified_event_of_a_pod_shows_a_change():
    # upstream: an update that leaves the stored object as it was is no write (no new
    # resourceVersion, no watch event), and the kubelet writes a pod's status only when what it
    # shows changed. A pull that ends (ContainerCreating before and after), SIGTERM sent to a
    # container that runs on through its grace period, a crash loop's back-off steps: each
    # changes only the kubelet's own bookkeeping, so a watcher sees no event for it.
    c = kubesim.Cluster(nodes=2, seed=4)
    c.images.register("slow:*", pull="5s", start="1s", stop="20s")
    c.images.register("crash:*", crash_after="3s")
    since = c.resource_version
    c.apply(
        [
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": name},
                "spec": {"containers": [{"name": "c", "image": image}]},
            }
            for name, image in (("slow", "slow:1"), ("crash", "crash:1"))
        ]
    )
    c.advance("2m")
    c.delete("pod", "slow")
    c.advance("1m")
    shown: dict[str, dict] = {}
    modified = 0
    for e in c.watch(since=since, kind="pod"):
        name = e.object["metadata"]["name"]
        if e.type == "MODIFIED":
            modified += 1
            before = {**shown[name], "metadata": {**shown[name]["metadata"], "resourceVersion": None}}
            after = {**e.object, "metadata": {**e.object["metadata"], "resourceVersion": None}}
            assert before != after, f"{name} at {e.resource_version}: a MODIFIED event that changed nothing"
        shown[name] = e.object
    assert "slow" not in [p.name for p in c.pods()], "the deleted pod ran its grace period out and went"
    assert c.pod("crash").restarts >= 2 and modified > 8, "the run went through the kubelet's stages"
    # The pod went through pull, start and crash loop all the same: what the API shows is intact.
    assert c.pod("crash").to_dict()["status"]["containerStatuses"][0]["restartCount"] == c.pod("crash").restarts


def test_same_seed_same_uids_and_other_seed_other_uids(examples):
    def uids(seed: int) -> list[str]:
        c = kubesim.Cluster(seed=seed)
        c.apply(examples)
        return [c.deployment("nginx-deployment").uid, c.pod("redis-master").uid] + [n.uid for n in c.nodes()]

    assert uids(0) == uids(0)
    assert uids(1) == uids(1)
    assert set(uids(0)).isdisjoint(uids(1))


def test_list_by_selector_string_or_dict(cluster):
    for name, labels in [("a", {"app": "web", "tier": "fe"}), ("b", {"app": "web"}), ("c", {"app": "db"})]:
        cluster.create(pod(name, labels))
    assert [p.name for p in cluster.pods(selector="app=web")] == ["a", "b"]
    assert [p.name for p in cluster.pods(selector={"app": "web", "tier": "fe"})] == ["a"]
    assert [p.name for p in cluster.pods(selector="tier notin (fe)")] == ["b", "c"]
    assert [p.name for p in cluster.pods(selector="!tier,app")] == ["b", "c"]
    with pytest.raises(kubesim.SelectorError, match=r"found '', expected: identifier after ','"):
        cluster.pods(selector="app=web,")


LABEL_KEYS = ["app", "tier", "env"]
LABEL_VALUES = ["a", "b", ""]


@st.composite
def requirement(draw) -> str:
    key = draw(st.sampled_from(LABEL_KEYS))
    value = draw(st.sampled_from(LABEL_VALUES))
    values = ",".join(draw(st.lists(st.sampled_from(LABEL_VALUES), max_size=3)))
    return draw(
        st.sampled_from(
            [f"{key}={value}", f"{key}!={value}", f"{key} in ({values})", f"{key} notin ({values})", key, f"!{key}"]
        )
    )


@settings(max_examples=60, deadline=None)
@given(
    labelsets=st.lists(
        st.dictionaries(st.sampled_from(LABEL_KEYS), st.sampled_from(LABEL_VALUES), max_size=3), max_size=12
    ),
    selectors=st.lists(st.lists(requirement(), max_size=3).map(",".join), min_size=1, max_size=5),
)
def test_selector_queries_agree_with_a_scan(labelsets, selectors):
    c = kubesim.Cluster(nodes=0)
    for i, labels in enumerate(labelsets):
        c.create(pod(f"p{i}", labels))
    for sel in selectors:
        expected = [f"p{i}" for i, labels in enumerate(labelsets) if kubesim._native.selector_matches(sel, labels)]
        assert sorted(p.name for p in c.pods(selector=sel)) == sorted(expected), sel
