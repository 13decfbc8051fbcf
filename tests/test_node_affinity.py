"""Scheduler node affinity: required terms filter nodes, preferred terms score them (upstream:
the NodeAffinity plugin, weight 2 in the default profile, normalized over the feasible nodes)."""

import pytest

import kubesim

NODES = [
    {"name": "node-a", "labels": {"zone": "a", "disk": "hdd", "cores": "4"}},
    {"name": "node-b", "labels": {"zone": "b", "disk": "ssd", "cores": "16"}},
    {"name": "node-c", "labels": {"zone": "c", "disk": "ssd", "cores": "8"}},
]


def pod(name: str, affinity: dict, cpu: str | None = None) -> dict:
    container: dict = {"name": "c", "image": "nginx:1.25"}
    if cpu:
        container["resources"] = {"requests": {"cpu": cpu}}
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name},
        "spec": {"containers": [container], "affinity": {"nodeAffinity": affinity}},
    }


def required(*terms: dict) -> dict:
    return {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": list(terms)}}


def expr(key: str, op: str, *values: str) -> dict:
    e: dict = {"key": key, "operator": op}
    if values:
        e["values"] = list(values)
    return e


@pytest.mark.parametrize(
    ("terms", "nodes"),
    [
        ([{"matchExpressions": [expr("zone", "In", "b")]}], {"node-b"}),
        ([{"matchExpressions": [expr("zone", "NotIn", "a", "b")]}], {"node-c"}),
        ([{"matchExpressions": [expr("disk", "In", "ssd"), expr("cores", "Lt", "10")]}], {"node-c"}),
        ([{"matchExpressions": [expr("cores", "Gt", "5")]}], {"node-b", "node-c"}),
        ([{"matchExpressions": [expr("gpu", "DoesNotExist")]}], {"node-a", "node-b", "node-c"}),
        # Terms are ORed.
        (
            [{"matchExpressions": [expr("zone", "In", "a")]}, {"matchExpressions": [expr("zone", "In", "c")]}],
            {"node-a", "node-c"},
        ),
        ([{"matchFields": [expr("metadata.name", "In", "node-c")]}], {"node-c"}),
        ([{"matchFields": [expr("metadata.name", "NotIn", "node-a")]}], {"node-b", "node-c"}),
    ],
)
def test_required_terms_admit_only_matching_nodes(terms, nodes):
    c = kubesim.Cluster(nodes=NODES, seed=1)
    c.apply([pod(f"p{i}", required(*terms)) for i in range(12)])
    assert {p.node for p in c.pods()} == nodes


def test_a_pod_no_node_matches_stays_pending_with_upstreams_message():
    c = kubesim.Cluster(nodes=NODES)
    c.apply(pod("p", required({"matchExpressions": [expr("zone", "In", "mars")]})))
    p = c.pod("p")
    assert p.node is None
    expected = (
        "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector. "
        "preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling."
    )
    [event] = [e for e in c.events(p) if e.reason == "FailedScheduling"]
    assert event.message == expected
    # Labelling a node moves the pod back to the queue, and it is placed there.
    c.kubectl("label node node-b zone=mars --overwrite")
    c.advance("10s")
    assert p.node == "node-b"


def test_a_pod_pinned_to_a_full_node_counts_the_others_as_left_out_by_the_prefilter():
    c = kubesim.Cluster(nodes=NODES)
    c.apply(pod("p", required({"matchFields": [expr("metadata.name", "In", "node-a")]}), cpu="8"))
    [event] = [e for e in c.events(c.pod("p")) if e.reason == "FailedScheduling"]
    # upstream: findNodesThatFitPod — nodes the NodeAffinity PreFilter left out.
    assert event.message == (
        "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) didn't satisfy plugin(s) [NodeAffinity]. "
        "preemption: 0/3 nodes are available: 1 No preemption victims found for incoming pod, "
        "2 Preemption is not helpful for scheduling."
    )


def test_required_names_that_exclude_each_other_are_a_conflict():
    c = kubesim.Cluster(nodes=NODES)
    term = {"matchFields": [expr("metadata.name", "In", "node-a"), expr("metadata.name", "In", "node-b")]}
    c.apply(pod("p", required(term)))
    [event] = [e for e in c.events(c.pod("p")) if e.reason == "FailedScheduling"]
    assert event.message == (
        "0/3 nodes are available: pod affinity terms conflict. "
        "preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling."
    )


def test_preferred_terms_outweigh_resource_scores_until_the_node_is_full():
    # Each pod asks 1 CPU of 4: least-allocated plus balanced allocation differ by well under
    # the 200 points a fully preferred node gets, so the preferred node takes pods while it fits.
    c = kubesim.Cluster(nodes=NODES, seed=3)
    pref = {
        "preferredDuringSchedulingIgnoredDuringExecution": [
            {"weight": 80, "preference": {"matchExpressions": [expr("zone", "In", "c")]}},
            {"weight": 20, "preference": {"matchExpressions": [expr("disk", "In", "ssd")]}},
        ]
    }
    c.apply([pod(f"p{i}", pref, cpu="1") for i in range(6)])
    nodes = [c.pod(f"p{i}").node for i in range(6)]
    # node-c (100) until its 4 CPUs are gone, then node-b (20, normalized to 100 · 20 / 20 over
    # the feasible nodes left, against node-a's 0).
    assert nodes == ["node-c"] * 4 + ["node-b"] * 2


def test_a_preference_that_matches_no_node_leaves_resource_scoring_alone():
    spread = kubesim.Cluster(nodes=NODES, seed=5)
    spread.apply([pod(f"p{i}", {}, cpu="1") for i in range(6)])
    pref = {
        "preferredDuringSchedulingIgnoredDuringExecution": [
            {"weight": 10, "preference": {"matchExpressions": [expr("zone", "In", "mars")]}}
        ]
    }
    c = kubesim.Cluster(nodes=NODES, seed=5)
    c.apply([pod(f"p{i}", pref, cpu="1") for i in range(6)])
    assert sorted(p.node for p in c.pods()) == sorted(p.node for p in spread.pods())
    assert sorted(p.node for p in c.pods()) == ["node-a", "node-a", "node-b", "node-b", "node-c", "node-c"]


def test_invalid_node_affinity_is_rejected_with_its_field_path_and_changes_nothing():
    c = kubesim.Cluster(nodes=NODES)
    bad = pod("p", required({"matchExpressions": [expr("zone", "Near", "a")]}))
    with pytest.raises(kubesim.InvalidObjectError) as e:
        c.apply(bad)
    assert e.value.field == (
        "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution"
        ".nodeSelectorTerms[0].matchExpressions[0].operator"
    )
    assert c.pods() == []


def test_deployment_pods_with_node_affinity_place_alike_with_one_or_two_threads():
    # Many pods alike (more than a round's parallel threshold), with preferred terms (each pod's
    # search is done in full and scored with them): the same placements with one thread or two.
    nodes = [{"name": f"node-{i:02}", "labels": {"zone": "abc"[i % 3]}} for i in range(30)]
    dep = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {
            "replicas": 200,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {
                    "containers": [{"name": "c", "image": "nginx:1.25"}],
                    "affinity": {
                        "nodeAffinity": {
                            **required({"matchExpressions": [expr("zone", "NotIn", "a")]}),
                            "preferredDuringSchedulingIgnoredDuringExecution": [
                                {"weight": 50, "preference": {"matchExpressions": [expr("zone", "In", "b")]}}
                            ],
                        }
                    },
                },
            },
        },
    }
    placements = []
    for threads in (1, 2):
        c = kubesim.Cluster(nodes=nodes, seed=7, threads=threads)
        c.apply(dep)
        placements.append(sorted((p.name, p.node) for p in c.pods()))
    assert placements[0] == placements[1]
    zones = {n["name"]: n["labels"]["zone"] for n in nodes}
    # The preferred zone's 200 points outweigh what the resource scores lose as its nodes fill.
    assert {zones[node] for _, node in placements[0]} == {"b"}
    assert len(placements[0]) == 200
