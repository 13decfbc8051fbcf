"""Scheduler: inter-pod affinity / anti-affinity and topology spread constraints, through the
simulation (upstream plugins InterPodAffinity and PodTopologySpread)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

import kubesim

ZONE = "topology.kubernetes.io/zone"
HOST = "kubernetes.io/hostname"


def deployment(name: str, replicas: int, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "c", "image": "nginx"}], **spec},
            },
        },
    }


def term(app: str, key: str = ZONE) -> dict[str, Any]:
    return {"labelSelector": {"matchLabels": {"app": app}}, "topologyKey": key}


def zoned(zones: str = "aabbcc", **extra: Any) -> kubesim.Cluster:
    nodes = [{"name": f"n{i}", "labels": {ZONE: z}} for i, z in enumerate(zones, 1)]
    return kubesim.Cluster(nodes=nodes, seed=0, **extra)


def zones_of(c: kubesim.Cluster, app: str) -> Counter[str]:
    return Counter(c.node(p.node).labels[ZONE] for p in c.pods(f"app={app}") if p.node)


def failed_scheduling(c: kubesim.Cluster) -> set[str]:
    return {e.to_dict()["message"] for e in c.events() if e.to_dict()["reason"] == "FailedScheduling"}


def test_required_anti_affinity_puts_one_pod_per_zone_and_leaves_the_rest_pending():
    c = zoned()
    anti = {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [term("web")]}}
    c.apply(deployment("web", 4, affinity=anti))
    c.advance("30s")
    assert zones_of(c, "web") == Counter({"a": 1, "b": 1, "c": 1})
    pending = [p for p in c.pods() if p.node is None]
    assert len(pending) == 1 and pending[0].phase == "Pending"
    assert failed_scheduling(c) == {
        "0/6 nodes are available: 6 node(s) didn't match pod anti-affinity rules. preemption: 0/6 nodes are "
        "available: 6 No preemption victims found for incoming pod."
    }
    # A zone freed by a deleted pod takes the pending one.
    c.delete("pod", c.pods()[0].name if c.pods()[0].node else c.pods()[1].name)
    c.advance("30s")
    assert sum(zones_of(c, "web").values()) == 3 and max(zones_of(c, "web").values()) == 1


def test_existing_pods_anti_affinity_keeps_other_pods_off_their_nodes():
    c = kubesim.Cluster(nodes=3, seed=0)
    loner = {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [term("noisy", HOST)]}}
    c.apply(deployment("loner", 1, affinity=loner))
    c.advance("10s")
    home = c.pods("app=loner")[0].node
    c.apply(deployment("noisy", 6))
    c.advance("30s")
    assert len(c.pods("app=noisy")) == 6 and all(p.node not in (None, home) for p in c.pods("app=noisy"))


def test_required_affinity_waits_for_its_partner_then_follows_it():
    c = kubesim.Cluster(nodes=3, seed=0)
    follow = {"podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [term("db", HOST)]}}
    c.apply(deployment("cache", 2, affinity=follow))
    c.advance("10s")
    assert [p.node for p in c.pods("app=cache")] == [None, None]
    assert failed_scheduling(c) == {
        "0/3 nodes are available: 3 node(s) didn't match pod affinity rules. preemption: 0/3 nodes are "
        "available: 3 Preemption is not helpful for scheduling."
    }
    c.apply(deployment("db", 1))
    c.advance("20s")
    db = c.pods("app=db")[0].node
    assert db is not None and [p.node for p in c.pods("app=cache")] == [db, db]


def test_a_group_with_affinity_to_itself_may_start_anywhere_then_stays_together():
    # upstream: the first pod matching its own affinity terms, with no such pod anywhere, passes.
    c = zoned()
    together = {"podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [term("pack")]}}
    c.apply(deployment("pack", 4, affinity=together))
    c.advance("30s")
    zones = zones_of(c, "pack")
    assert sum(zones.values()) == 4 and len(zones) == 1


def test_affinity_terms_look_only_in_their_namespaces():
    c = kubesim.Cluster(nodes=3, seed=0)
    c.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "other"}})
    db = deployment("db", 1)
    db["metadata"]["namespace"] = "other"
    c.apply(db)
    c.advance("10s")
    follow = {"podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [term("db", HOST)]}}
    c.apply(deployment("here", 1, affinity=follow))
    c.advance("10s")
    assert c.pods("app=here")[0].node is None, "the db in another namespace does not count"
    there = {
        "podAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": [term("db", HOST) | {"namespaces": ["other"]}]
        }
    }
    c.apply(deployment("there", 1, affinity=there))
    c.advance("10s")
    assert c.pods("app=there")[0].node == c.pods("app=db", namespace="other")[0].node


@pytest.mark.parametrize(
    ("zones", "replicas", "max_skew", "want"),
    [
        ("aabbcc", 9, 1, {"a": 3, "b": 3, "c": 3}),
        ("aabbcc", 7, 1, {"a": 3, "b": 2, "c": 2}),  # any zone may hold the extra one
        ("aaaabc", 6, 1, {"a": 2, "b": 2, "c": 2}),  # four nodes in zone a do not pull pods there
        ("aaaabc", 12, 2, None),  # the resource scores may fill zone a up to the skew
    ],
)
def test_do_not_schedule_spread_keeps_zone_skew_within_max_skew(zones, replicas, max_skew, want):
    c = zoned(zones)
    spread = [
        {
            "maxSkew": max_skew,
            "topologyKey": ZONE,
            "whenUnsatisfiable": "DoNotSchedule",
            "labelSelector": {"matchLabels": {"app": "api"}},
        }
    ]
    c.apply(deployment("api", replicas, topologySpreadConstraints=spread))
    c.advance("30s")
    got = zones_of(c, "api")
    assert sum(got.values()) == replicas
    assert max(got.values()) - min(got.get(z, 0) for z in set(zones)) <= max_skew
    if want is not None:
        assert sorted(got.values()) == sorted(want.values())


def test_spread_blocks_when_the_skew_cannot_be_kept_and_names_the_constraint():
    # Zone c has no room (a taint), so zones a and b may run only one pod more than c's none.
    nodes = [{"name": f"n{i}", "labels": {ZONE: z}} for i, z in enumerate("abc", 1)]
    nodes[2]["taints"] = [{"key": "full", "value": "yes", "effect": "NoSchedule"}]
    c = kubesim.Cluster(nodes=nodes, seed=0)
    spread = [
        {
            "maxSkew": 1,
            "topologyKey": ZONE,
            "whenUnsatisfiable": "DoNotSchedule",
            "labelSelector": {"matchLabels": {"app": "api"}},
        }
    ]
    c.apply(deployment("api", 4, topologySpreadConstraints=spread))
    c.advance("30s")
    assert zones_of(c, "api") == Counter({"a": 1, "b": 1})
    assert failed_scheduling(c) == {
        "0/3 nodes are available: 1 node(s) had untolerated taint {full: yes}, 2 node(s) didn't match pod "
        "topology spread constraints. preemption: 0/3 nodes are available: 1 Preemption is not helpful for "
        "scheduling, 2 No preemption victims found for incoming pod."
    }
    # A node without the key is no domain of the constraint: the pending pods stay pending.
    c.apply(
        {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {"name": "bare"},
            "status": {"allocatable": {"cpu": "4", "memory": "16Gi", "pods": "110"}},
        }
    )
    c.advance("30s")
    assert zones_of(c, "api") == Counter({"a": 1, "b": 1}) and not [p for p in c.pods() if p.node == "bare"]
    assert (
        "0/4 nodes are available: 1 node(s) didn't match pod topology spread constraints (missing required label), "
        "1 node(s) had untolerated taint {full: yes}, 2 node(s) didn't match pod topology spread constraints."
    ) in {m.split(" preemption:")[0] for m in failed_scheduling(c)}


def test_min_domains_counts_missing_domains_as_empty():
    c = zoned("ab")
    spread = [
        {
            "maxSkew": 1,
            "minDomains": 3,
            "topologyKey": ZONE,
            "whenUnsatisfiable": "DoNotSchedule",
            "labelSelector": {"matchLabels": {"app": "api"}},
        }
    ]
    c.apply(deployment("api", 4, topologySpreadConstraints=spread))
    c.advance("30s")
    # Two domains of the three wanted: the global minimum is 0, so each zone takes one pod only.
    assert zones_of(c, "api") == Counter({"a": 1, "b": 1})


def test_schedule_anyway_and_preferred_anti_affinity_prefer_emptier_domains():
    c = zoned("aabbcc")
    soft = [
        {
            "maxSkew": 1,
            "topologyKey": ZONE,
            "whenUnsatisfiable": "ScheduleAnyway",
            "labelSelector": {"matchLabels": {"app": "soft"}},
        }
    ]
    c.apply(deployment("soft", 6, topologySpreadConstraints=soft))
    c.advance("30s")
    assert zones_of(c, "soft") == Counter({"a": 2, "b": 2, "c": 2})
    prefer = {
        "podAntiAffinity": {
            "preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 100, "podAffinityTerm": term("pref", HOST)}]
        }
    }
    c.apply(deployment("pref", 6, affinity=prefer))
    c.advance("30s")
    assert sorted(Counter(p.node for p in c.pods("app=pref")).values()) == [1] * 6


def test_placements_are_the_same_for_one_and_two_threads():
    def run(threads: int) -> list[tuple[str, str | None]]:
        c = zoned("aabbccdd", threads=threads)
        anti = {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [term("web", HOST)]}}
        spread = [
            {
                "maxSkew": 1,
                "topologyKey": ZONE,
                "whenUnsatisfiable": "DoNotSchedule",
                "labelSelector": {"matchLabels": {"app": "api"}},
            }
        ]
        c.apply([deployment("web", 10, affinity=anti), deployment("api", 40, topologySpreadConstraints=spread)])
        c.apply(deployment("plain", 80))
        c.advance("1m")
        return sorted((p.name, p.node) for p in c.pods())

    assert run(1) == run(2)


@pytest.mark.parametrize(
    ("match_label_keys", "want"), [(None, {"b": 2, "c": 1}), (["track"], {"a": 1, "b": 1, "c": 1})]
)
def test_match_label_keys_count_only_pods_with_the_same_values(match_label_keys, want):
    # Track a's three pods all run in zone a. Track b spreads over pods labelled app=api: counting
    # track a too, it keeps out of zone a; with matchLabelKeys [track] it counts only its own.
    c = zoned("abc")
    a = deployment("api-a", 3, nodeSelector={ZONE: "a"})
    a["spec"]["selector"]["matchLabels"] = a["spec"]["template"]["metadata"]["labels"] = {"app": "api", "track": "a"}
    c.apply(a)
    c.advance("10s")
    spread: dict[str, Any] = {
        "maxSkew": 1,
        "topologyKey": ZONE,
        "whenUnsatisfiable": "DoNotSchedule",
        "labelSelector": {"matchLabels": {"app": "api"}},
    }
    if match_label_keys:
        spread["matchLabelKeys"] = match_label_keys
    b = deployment("api-b", 3, topologySpreadConstraints=[spread])
    b["spec"]["selector"]["matchLabels"] = b["spec"]["template"]["metadata"]["labels"] = {"app": "api", "track": "b"}
    c.apply(b)
    c.advance("10s")
    got = Counter(c.node(p.node).labels[ZONE] for p in c.pods("track=b") if p.node)
    assert dict(got) == want


def test_spread_constraints_are_validated_as_upstream():
    c = zoned("abc")
    bad = [{"maxSkew": 0, "topologyKey": ZONE, "whenUnsatisfiable": "DoNotSchedule", "matchLabelKeys": ["track"]}]
    with pytest.raises(kubesim.InvalidObjectError) as e:
        c.apply(deployment("api", 1, topologySpreadConstraints=bad))
    assert str(e.value) == (
        'error when applying <dict> (document 1): The Deployment "api" is invalid: \n'
        "* spec.template.spec.topologySpreadConstraints[0].maxSkew: Invalid value: 0: must be greater than zero\n"
        "* spec.template.spec.topologySpreadConstraints[0].matchLabelKeys: Forbidden: must not be specified when "
        "labelSelector is not set"
    )
    assert c.deployments() == []


@pytest.mark.parametrize(("match_label_keys", "done"), [(None, False), (["pod-template-hash"], True)])
def test_anti_affinity_match_label_keys_lets_a_rollout_surge_beside_the_old_revision(match_label_keys, done):
    # upstream KEP-3633's example: one pod per node by required anti-affinity, maxUnavailable 0.
    # Counting every app=web pod, the surge pod finds no node and the rollout never moves; with
    # matchLabelKeys [pod-template-hash] each revision avoids only itself.
    c = kubesim.Cluster(nodes=3, seed=0)
    anti_term: dict[str, Any] = term("web", HOST)
    if match_label_keys:
        anti_term["matchLabelKeys"] = match_label_keys
    d = deployment(
        "web", 3, affinity={"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [anti_term]}}
    )
    d["spec"]["strategy"] = {"rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}}
    c.apply(d)
    c.advance("30s")
    assert len({p.node for p in c.pods("app=web")}) == 3
    c.kubectl("set image deployment/web c=nginx:1.27")
    c.advance("5m")
    web = c.deployment("web")
    assert (web.updated_replicas == 3 and web.available_replicas == 3 and len(c.pods()) == 3) is done
    if not done:
        assert web.updated_replicas == 1 and [p.phase for p in c.pods() if p.node is None] == ["Pending"]
        assert any("didn't match pod anti-affinity rules" in m for m in failed_scheduling(c))


def test_mismatch_label_keys_keep_each_tenant_to_its_own_nodes():
    # upstream KEP-3633's tenant example: anti-affinity to pods that have a tenant label whose
    # value differs from this pod's (`tenant NotIn (mine)` merged into the selector).
    c = kubesim.Cluster(nodes=2, seed=0)
    isolation = {
        "podAntiAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": [
                {
                    "labelSelector": {"matchExpressions": [{"key": "tenant", "operator": "Exists"}]},
                    "mismatchLabelKeys": ["tenant"],
                    "topologyKey": HOST,
                }
            ]
        }
    }

    def tenant_pod(name: str, tenant: str) -> dict[str, Any]:
        return {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": name, "labels": {"tenant": tenant}},
            "spec": {"containers": [{"name": "c", "image": "nginx"}], "affinity": isolation},
        }

    for name, tenant in [("a1", "a"), ("b1", "b"), ("a2", "a"), ("b2", "b"), ("c1", "c")]:
        c.apply(tenant_pod(name, tenant))
        c.advance("5s")
    node = {p.name: p.node for p in c.pods()}
    assert node["a1"] != node["b1"] and node["a2"] == node["a1"] and node["b2"] == node["b1"]
    assert node["c1"] is None, "every node has another tenant's pods"
    # The spec is stored as written: kubesim merges the keys when it schedules (upstream's API
    # server writes the merged requirement into the pod's selector when it creates the pod).
    assert "mismatchLabelKeys" in str(c.pod("c1").to_dict()["spec"]["affinity"])


def test_pod_affinity_terms_are_validated_as_upstream():
    c = zoned("abc")
    bad = {
        "labelSelector": {"matchLabels": {"app": "api"}},
        "topologyKey": "",
        "matchLabelKeys": ["track"],
        "mismatchLabelKeys": ["track"],
    }
    with pytest.raises(kubesim.InvalidObjectError) as e:
        c.apply(
            deployment("api", 1, affinity={"podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [bad]}})
        )
    path = "spec.template.spec.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0]"
    assert str(e.value) == (
        'error when applying <dict> (document 1): The Deployment "api" is invalid: \n'
        f'* {path}.matchLabelKeys[0]: Invalid value: "track": exists in both matchLabelKeys and mismatchLabelKeys\n'
        f"* {path}.topologyKey: Required value: can not be empty\n"
        f'* {path}.topologyKey: Invalid value: "": name part must be non-empty'
    )
    assert c.deployments() == []
