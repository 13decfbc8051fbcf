"""The pod garbage collector's orphan rule (upstream pkg/controller/podgc, gcOrphaned): pods bound
to a node that no longer exists are marked Failed with DisruptionTarget (DeletionByPodGC) and
force-deleted at the first 20 s check after a 40 s quarantine that starts at the first check to
see the node missing."""

from __future__ import annotations

import kubesim


def bound_to(c: kubesim.Cluster, node: str) -> list[str]:
    return sorted(p.name for p in c.pods() if p.to_dict()["spec"].get("nodeName") == node)


def test_pods_of_a_deleted_node_go_after_the_quarantine_and_are_replaced() -> None:
    c = kubesim.Cluster(nodes=3, seed=1)
    c.kubectl("create deployment web --image=nginx --replicas=6")
    c.advance("30s")
    doomed = bound_to(c, "node-1")
    assert len(doomed) == 2
    c.kubectl("delete node node-1")
    rv = c._native.resource_version
    # Deleted at 30 s: the 40 s check sees it gone, the 80 s check (quarantine over) deletes.
    c.advance("49.999s")
    assert bound_to(c, "node-1") == doomed, "kept through the quarantine"
    c.advance("1ms")
    assert bound_to(c, "node-1") == []
    events = [e for e in c.watch(rv, kind="Pod") if e.object["metadata"]["name"] in doomed]
    # Each pod: marked Failed, then force-deleted.
    assert [(e.object["metadata"]["name"], e.type) for e in events] == [
        (name, t) for name in doomed for t in ("MODIFIED", "DELETED")
    ]
    failed = events[0].object["status"]
    assert failed["phase"] == "Failed"
    target = [x for x in failed["conditions"] if x["type"] == "DisruptionTarget"]
    assert target == [
        {
            "type": "DisruptionTarget",
            "status": "True",
            "reason": "DeletionByPodGC",
            "message": "PodGC: node no longer exists",
            "lastTransitionTime": "2026-01-01T00:01:20Z",
        }
    ]
    c.advance("30s")
    pods = c.pods()
    assert len(pods) == 6 and all(p.ready for p in pods), "the ReplicaSet replaced them"


def test_a_node_back_before_the_check_keeps_its_pods() -> None:
    c = kubesim.Cluster(nodes=2, seed=1)
    c.kubectl("create deployment web --image=nginx --replicas=4")
    c.advance("30s")
    kept = bound_to(c, "node-1")
    node = c.node("node-1").to_dict()
    c.kubectl("delete node node-1")
    c.advance("30s")
    c.apply({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "node-1", "labels": node["metadata"]["labels"]}})
    c.advance("5m")
    assert bound_to(c, "node-1") == kept


def test_a_pod_bound_to_a_node_that_never_existed_is_collected() -> None:
    c = kubesim.Cluster(nodes=1, seed=1)
    c.advance("5s")
    c.apply(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "lost"},
            "spec": {"nodeName": "ghost", "containers": [{"name": "c", "image": "nginx"}]},
        }
    )
    # Seen missing at the 20 s check, deleted at the 60 s one.
    c.advance("54.999s")
    assert [p.name for p in c.pods()] == ["lost"]
    c.advance("1ms")
    assert c.pods() == []
