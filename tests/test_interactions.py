"""Features that meet: namespace deletion with workload controllers, node affinity with pod
affinity, forks with the engine's own counters."""

from __future__ import annotations

import kubesim
from kubesim.testing import workload


def test_a_refused_create_in_a_terminating_namespace_waits_instead_of_spinning():
    c = kubesim.Cluster(nodes=2, seed=1)
    c.kubectl("create namespace team")
    c.kubectl("-n team create deployment web --image=nginx --replicas=1")
    c.advance(10)
    c.delete("namespace", "team", namespace="")
    # Within the namespace controller's 5 s, the ReplicaSet must replace a deleted pod and is
    # refused (its FailedCreate event is refused too): it tries again a second later, not in
    # every round of the instant (which would stop the run: "controllers did not settle").
    c.delete("pod", c.pods(namespace="team")[0].name, namespace="team", grace_period=0)
    c.advance(3)
    assert c.pods(namespace="team") == [] and c.replicasets(namespace="team")[0].replicas == 1
    c.advance(30)
    assert not c._exists("Namespace", "", "team")


def test_deleting_a_namespace_releases_the_finalizers_of_pending_job_pods():
    c = kubesim.Cluster(nodes=[{"name": "small", "cpu": "2"}], seed=2)
    c.kubectl("create namespace batch")
    c.apply(
        {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {"name": "wide", "namespace": "batch"},
            "spec": {
                "parallelism": 6,
                "completions": 6,
                "template": {
                    "spec": {
                        "restartPolicy": "Never",
                        "containers": [{"name": "c", "image": "work:1", "resources": {"requests": {"cpu": "1"}}}],
                    }
                },
            },
        }
    )
    c.advance(5)
    pending = [p for p in c.pods(namespace="batch") if p.phase == "Pending" and p.node is None]
    assert len(pending) >= 4, "most pods cannot be placed"
    assert all("batch.kubernetes.io/job-tracking" in p.metadata.get("finalizers", []) for p in pending)
    c.delete("namespace", "batch", namespace="")
    c.advance("2m")
    assert not c._exists("Namespace", "", "batch")


def zoned_nodes() -> list[dict]:
    zones = ["a", "a", "b", "b", "c", "c"]
    return [{"name": f"n{i}", "labels": {"zone": z}} for i, z in enumerate(zones)]


def test_preferred_node_affinity_holds_when_pod_affinity_makes_the_scheduler_place_one_by_one():
    c = kubesim.Cluster(nodes=zoned_nodes(), seed=3)
    # One running pod anywhere with anti-affinity terms: every later batch is placed one pod at
    # a time, with the placed pods' terms in view.
    loner = workload(name="loner", replicas=1)
    loner["spec"]["template"]["spec"]["affinity"] = {
        "podAntiAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": [
                {"labelSelector": {"matchLabels": {"app": "loner"}}, "topologyKey": "kubernetes.io/hostname"}
            ]
        }
    }
    c.apply(loner)
    c.advance(10)
    web = workload(name="web", replicas=4)
    web["spec"]["template"]["spec"]["affinity"] = {
        "nodeAffinity": {
            "preferredDuringSchedulingIgnoredDuringExecution": [
                {
                    "weight": 100,
                    "preference": {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a"]}]},
                }
            ]
        }
    }
    c.apply(web)
    c.advance(10)
    assert {p.node for p in c.pods(selector="app=web")} <= {"n0", "n1"}


def test_pinned_pods_on_the_one_by_one_path_visit_only_their_node_and_say_so():
    c = kubesim.Cluster(nodes=zoned_nodes(), seed=4)
    loner = workload(name="loner", replicas=1)
    loner["spec"]["template"]["spec"]["affinity"] = {
        "podAffinity": {
            "preferredDuringSchedulingIgnoredDuringExecution": [
                {
                    "weight": 1,
                    "podAffinityTerm": {"labelSelector": {"matchLabels": {"app": "x"}}, "topologyKey": "zone"},
                }
            ]
        }
    }
    c.apply(loner)
    c.advance(5)
    pinned = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "pinned"},
        "spec": {
            "affinity": {
                "nodeAffinity": {
                    "requiredDuringSchedulingIgnoredDuringExecution": {
                        "nodeSelectorTerms": [
                            {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["n3"]}]}
                        ]
                    }
                }
            },
            "containers": [{"name": "c", "image": "nginx", "resources": {"requests": {"cpu": "100"}}}],
        },
    }
    c.apply(pinned)
    c.advance(5)
    message = c.pod("pinned").conditions[0]["message"]
    assert message == (
        "0/6 nodes are available: 1 Insufficient cpu, 5 node(s) didn't satisfy plugin(s) [NodeAffinity]. "
        "preemption: 0/6 nodes are available: 1 No preemption victims found for incoming pod, "
        "5 Preemption is not helpful for scheduling."
    )


def test_a_fork_and_its_original_advance_side_by_side_on_threads():
    import threading

    c = kubesim.Cluster(nodes=4, seed=5, threads=2)
    c.apply(workload(name="web", replicas=300))
    c.advance(30)
    f = c.fork()
    for x in (c, f):
        x.deployment("web").set_image(main="nginx:1.26")
    errors: list[BaseException] = []

    def roll(x: kubesim.Cluster) -> None:
        try:
            x.deployment("web").rollout.status(timeout="1h")
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=roll, args=(x,)) for x in (c, f)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors and not any(t.is_alive() for t in threads)
    assert c.resource_version == f.resource_version and c.now == f.now


def test_topology_spread_counts_only_the_zones_required_node_affinity_allows():
    # upstream: nodeAffinityPolicy Honor — zone c, excluded by the required affinity, is not an
    # empty domain that holds the skew at 0.
    c = kubesim.Cluster(nodes=zoned_nodes(), seed=6)
    web = workload(name="web", replicas=6)
    web["spec"]["template"]["spec"]["affinity"] = {
        "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [{"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a", "b"]}]}]
            }
        }
    }
    web["spec"]["template"]["spec"]["topologySpreadConstraints"] = [
        {
            "maxSkew": 1,
            "topologyKey": "zone",
            "whenUnsatisfiable": "DoNotSchedule",
            "labelSelector": {"matchLabels": {"app": "web"}},
        }
    ]
    c.apply(web)
    c.advance(10)
    nodes = [p.node for p in c.pods(selector="app=web")]
    assert None not in nodes
    assert sum(n in ("n0", "n1") for n in nodes) == sum(n in ("n2", "n3") for n in nodes) == 3
