"""PodDisruptionBudgets, the Eviction API and drain by eviction, through the simulation
(workloads.md §2; the status rows are upstream disruption_test.go's, §6)."""

from __future__ import annotations

from typing import Any

import pytest

import kubesim

Status = tuple[int, int, int, int]  # (disruptionsAllowed, currentHealthy, desiredHealthy, expectedPods)


def pdb(name: str = "web", selector: dict[str, Any] | None = None, **spec: Any) -> dict[str, Any]:
    body: dict[str, Any] = dict(spec)
    body["selector"] = {"matchLabels": {"app": "web"}} if selector is None else selector
    return {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": name}, "spec": body}


def pod(name: str, image: str = "nginx", labels: dict[str, str] | None = None, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": {"app": "web"} if labels is None else labels},
        "spec": {"containers": [{"name": "c", "image": image}], **spec},
    }


def replicaset(replicas: int, cpu: str | None = None) -> dict[str, Any]:
    container: dict[str, Any] = {"name": "c", "image": "nginx"}
    if cpu:
        container["resources"] = {"requests": {"cpu": cpu}}
    return {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {"name": "web"},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [container]}},
        },
    }


def status(c: kubesim.Cluster, name: str = "web") -> Status:
    b = c.pdb(name)
    return (b.disruptions_allowed, b.current_healthy, b.desired_healthy, b.expected_pods)


def condition(c: kubesim.Cluster, name: str = "web") -> dict[str, Any]:
    conditions = c.pdb(name).to_dict()["status"]["conditions"]
    assert [x["type"] for x in conditions] == ["DisruptionAllowed"]
    return dict(conditions[0])


def reasons(c: kubesim.Cluster, obj: kubesim.Object) -> list[tuple[str, str, str]]:
    return [(e.to_dict()["type"], e.to_dict()["reason"], e.to_dict()["message"]) for e in c.events(obj)]


# ----- the disruption controller's arithmetic -----


def test_an_integer_min_available_counts_the_selected_pods_as_they_become_ready():
    # upstream TestBasicFinderFunctions/TestNoSelector rows: minAvailable 3, pods added and made
    # Ready one at a time → (0,i,3,i); a fourth → (1,4,3,4); one unready again → (0,3,3,4).
    c = kubesim.Cluster(nodes=3, seed=0)
    c.images.register("crashy:1", start="1s", crash_after="60s", exit_code=1)
    c.apply(pdb(minAvailable=3))
    assert status(c) == (0, 0, 3, 0)
    assert reasons(c, c.pdb("web")) == [("Normal", "NoPods", "No matching pods found")]
    for i in range(1, 5):
        c.apply(pod(f"p{i}", image="crashy:1" if i == 4 else "nginx"))
        assert status(c)[3] == i, "a pod counts as expected when it is created"
        c.run_until(lambda i=i: c.pod(f"p{i}").ready, timeout="1m")
        assert status(c) == ((0, i, 3, i) if i < 4 else (1, 4, 3, 4))
    assert condition(c)["reason"] == "SufficientPods" and condition(c)["status"] == "True"
    c.run_until(lambda: not c.pod("p4").ready, timeout="2m")
    assert status(c) == (0, 3, 3, 4)
    cond = condition(c)
    assert (cond["status"], cond["reason"], cond["message"], cond["observedGeneration"]) == (
        "False",
        "InsufficientPods",
        "",
        1,
    )


def test_an_empty_selector_selects_every_pod_of_the_namespace_and_a_null_one_none():
    c = kubesim.Cluster(nodes=3, seed=0)
    c.apply(pod("p1", labels={"other": "x"}))
    c.apply(pod("elsewhere", labels={"other": "x"}) | {"metadata": {"name": "elsewhere", "namespace": "kube-public"}})
    c.apply(pdb("all", selector={}, minAvailable=3))
    c.apply(
        {
            "apiVersion": "policy/v1",
            "kind": "PodDisruptionBudget",
            "metadata": {"name": "none"},
            "spec": {"minAvailable": 3},
        }
    )
    c.run_until(lambda: c.pod("p1").ready, timeout="1m")
    assert status(c, "all") == (0, 1, 3, 1)
    assert status(c, "none") == (0, 0, 3, 0)


def capped(nodes: int = 1) -> kubesim.Cluster:
    """Nodes with room for one 600m pod each: a ReplicaSet's other pods stay Pending."""
    return kubesim.Cluster(nodes=[{"name": f"n{i}", "cpu": "1"} for i in range(1, nodes + 1)], seed=0)


@pytest.mark.parametrize(
    ("spec", "replicas", "room", "want"),
    [
        # upstream TestReplicaSet / TestScaleResource / TestMultipleControllers style rows:
        ({"maxUnavailable": 2}, 7, 1, (0, 1, 5, 7)),
        ({"maxUnavailable": 2}, 5, 1, (0, 1, 3, 5)),
        ({"maxUnavailable": "30%"}, 7, 7, (3, 7, 4, 7)),  # 30% of 7 rounds up to 3
        ({"maxUnavailable": "30%"}, 3, 3, (1, 3, 2, 3)),  # 30% of 3 rounds up to 1
        ({"minAvailable": "20%"}, 10, 1, (0, 1, 2, 10)),
        ({"minAvailable": "34%"}, 3, 3, (1, 3, 2, 3)),  # 34% of 3 rounds up to 2
        ({"minAvailable": 2}, 3, 3, (1, 3, 2, 3)),
        ({"maxUnavailable": 0}, 3, 3, (0, 3, 3, 3)),
        ({"minAvailable": "100%"}, 3, 3, (0, 3, 3, 3)),
    ],
)
def test_controller_scale_and_percents_give_upstream_status(spec, replicas, room, want):
    c = capped(room)
    c.apply(replicaset(replicas, cpu="600m"))
    c.apply(pdb(**spec))
    c.advance("1m")
    assert status(c) == want
    assert c.pdb("web").observed_generation == 1


def test_a_replica_set_of_a_deployment_counts_as_the_deployment_and_scaling_follows():
    c = kubesim.Cluster(nodes=3, seed=0)
    c.kubectl("create deployment web --image=nginx --replicas=7")
    c.apply(pdb(maxUnavailable="30%"))
    c.advance("1m")
    assert status(c) == (3, 7, 4, 7)
    c.deployment("web").scale(3)
    c.advance("1m")
    assert status(c) == (1, 3, 2, 3)


def test_minavailable_percent_as_pods_become_ready_one_at_a_time():
    # upstream TestStatefulSetController / TestReplicationController rows with a controller of
    # 3 (here a ReplicaSet adopting three pods that start 10 s apart): no pods (0,0,0,0), then
    # (0,1,2,3), (0,2,2,3), (1,3,2,3).
    c = kubesim.Cluster(nodes=3, seed=0)
    for i in (1, 2, 3):
        c.images.register(f"slow:{i}", pull="0s", start=f"{10 * i}s")
    c.apply(pdb(minAvailable="34%"))
    assert status(c) == (0, 0, 0, 0)
    c.apply([pod(f"p{i}", image=f"slow:{i}") for i in (1, 2, 3)] + [replicaset(3)])
    assert all(p.to_dict()["metadata"]["ownerReferences"][0]["kind"] == "ReplicaSet" for p in c.pods())
    seen = []
    for _ in range(4):
        seen.append(status(c))
        c.advance("10s")
    assert seen == [(0, 0, 2, 3), (0, 1, 2, 3), (0, 2, 2, 3), (1, 3, 2, 3)]


@pytest.mark.parametrize("spec", [{"maxUnavailable": 1}, {"minAvailable": "28%"}])
def test_naked_pods_allow_no_disruption_and_are_reported_unmanaged(spec):
    c = kubesim.Cluster(nodes=3, seed=0)
    c.apply(pod("naked"))
    c.apply(pdb(**spec))
    c.run_until(lambda: c.pod("naked").ready, timeout="1m")
    assert status(c)[0] == 0 and status(c)[3] == 0
    warnings = [r for r in reasons(c, c.pdb("web")) if r[1] == "UnmanagedPods"]
    assert warnings and warnings[0][2].startswith(
        "Pods selected by this PodDisruptionBudget (selector: &LabelSelector{MatchLabels:map[string]string{app: web,},"
        "MatchExpressions:[]LabelSelectorRequirement{},}) were found to be unmanaged."
    ), warnings
    assert warnings[0][2].endswith('please set ".spec.minAvailable" field of the PDB to an integer value.')


def test_an_owner_without_a_scale_subresource_fails_safe():
    # upstream failSafe: no disruptions, DisruptionAllowed=False/SyncFailed with the error, and
    # observedGeneration left behind (so an eviction hears the budget is still being processed).
    c = kubesim.Cluster(nodes=3, seed=0)
    c.kubectl("create deployment web --image=nginx --replicas=2")
    c.advance("30s")
    victim = c.pods()[0]
    c.kubectl("create configmap owner --from-literal=a=b")
    owned = pod("owned")
    owned["metadata"]["ownerReferences"] = [
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "name": "owner",
            "uid": c.get("configmap", "owner").uid,
            "controller": True,
        }
    ]
    c.apply(owned)
    c.apply(pdb(maxUnavailable=1))
    cond = condition(c)
    assert (cond["status"], cond["reason"], cond["message"]) == (
        "False",
        "SyncFailed",
        "configmaps does not implement the scale subresource",
    )
    assert c.pdb("web").disruptions_allowed == 0 and c.pdb("web").observed_generation == 0
    assert (
        "Warning",
        "CalculateExpectedPodCountFailed",
        "Failed to calculate the number of expected pods: configmaps does not implement the scale subresource",
    ) in reasons(c, c.pdb("web"))
    with pytest.raises(kubesim.TooManyRequestsError) as e:
        victim.evict()
    assert e.value.causes == [("DisruptionBudget", "The disruption budget web is still being processed by the server.")]
    assert e.value.retry_after_seconds == 10

    # upstream sync returns the fail-safe write's result: a write that lands is not retried, so
    # with nothing changing the warning is not recorded again (a retry with back-off would
    # record it again and again).
    def failures() -> int:
        [failed] = [e for e in c.events(c.pdb("web")) if e.to_dict()["reason"] == "CalculateExpectedPodCountFailed"]
        return int(failed.to_dict()["count"])

    c.advance("5m")  # (the pods' own changes sync it again meanwhile)
    seen = failures()
    c.advance("50m")  # (an Event lives an hour)
    assert failures() == seen


def test_bad_budgets_are_refused_with_their_field_path_and_nothing_is_stored():
    c = kubesim.Cluster(nodes=1, seed=0)
    for spec, field in [
        ({"minAvailable": -1}, "spec.minAvailable"),
        ({"maxUnavailable": "150%"}, "spec.maxUnavailable"),
        ({"minAvailable": "half"}, "spec.minAvailable"),
        ({"minAvailable": 1, "maxUnavailable": 1}, "spec"),
        ({"unhealthyPodEvictionPolicy": "Never"}, "spec.unhealthyPodEvictionPolicy"),
        ({"selector": {"matchLabels": {"app": "-bad-"}}}, "spec.selector.matchLabels"),
    ]:
        with pytest.raises(kubesim.InvalidObjectError) as e:
            c.create(pdb(**{"selector": {"matchLabels": {"app": "web"}}, **spec}))
        assert e.value.field is not None and e.value.field.startswith(field), (spec, e.value.field)
    assert c.pdbs() == []


# ----- the Eviction API -----


def evictable(replicas: int = 3, **spec: Any) -> kubesim.Cluster:
    c = kubesim.Cluster(nodes=3, seed=0)
    c.kubectl(f"create deployment web --image=nginx --replicas={replicas}")
    c.apply(pdb(**spec))
    c.advance("1m")
    return c


def test_an_allowed_eviction_marks_the_pod_records_it_and_spends_the_budget():
    c = evictable(minAvailable=2)
    assert status(c) == (1, 3, 2, 3)
    victim = c.pods()[0]
    uid = victim.uid
    victim.evict()
    b = c.pdb("web")
    assert list(b.disrupted_pods) == [] or list(b.disrupted_pods) == [victim.name]
    assert status(c)[0] == 0 and condition(c)["reason"] == "InsufficientPods"
    after = c.get("pod", victim.name).to_dict()
    assert after["metadata"]["uid"] == uid and "deletionTimestamp" in after["metadata"], "terminating, not gone"
    target = [x for x in after["status"]["conditions"] if x["type"] == "DisruptionTarget"]
    assert target == [
        {
            "type": "DisruptionTarget",
            "status": "True",
            "reason": "EvictionByEvictionAPI",
            "message": "Eviction API: evicting",
            "lastTransitionTime": "2026-01-01T00:01:00Z",
        }
    ]


def test_a_refused_eviction_is_a_429_and_changes_nothing():
    c = evictable(minAvailable=3)
    before = c.pdb("web").to_dict()
    victim = c.pods()[0]
    with pytest.raises(kubesim.TooManyRequestsError) as e:
        victim.evict()
    assert str(e.value) == "Cannot evict pod as it would violate the pod's disruption budget."
    assert e.value.code == 429 and e.value.budget == "web" and e.value.retry_after_seconds is None
    assert e.value.causes == [
        ("DisruptionBudget", "The disruption budget web needs 3 healthy pods and has 3 currently")
    ]
    assert c.pdb("web").to_dict() == before
    assert "deletionTimestamp" not in c.pod(victim.name).to_dict()["metadata"]


@pytest.mark.parametrize(
    ("setup", "outcome"),
    [
        # (what the budget and pod look like, what the eviction does) — upstream eviction_test.go
        ("no budget", "deleted"),
        ("two budgets", "500"),
        ("pending pod, budget 0", "deleted"),
        ("unready pod, healthy budget", "deleted"),
        ("unready pod, AlwaysAllow, budget 0", "deleted"),
        ("unready pod, IfHealthyBudget, unhealthy budget", "429"),
        ("dry run, budget 1", "unchanged"),
    ],
)
def test_eviction_decisions(setup, outcome):
    c = kubesim.Cluster(nodes=3, seed=0)
    c.images.register("never-ready:1", start="1s", ready_after="1h")
    c.images.register("stuck:1", exists=False)
    c.kubectl("create deployment web --image=nginx --replicas=3")
    c.advance("1m")
    victim = c.pods()[0].name
    dry_run = False
    if setup == "two budgets":
        c.apply([pdb("a", minAvailable=1), pdb("b", minAvailable=1)])
    elif setup == "pending pod, budget 0":
        c.apply(pdb(maxUnavailable=0))
        c.apply(pod("pending", image="stuck:1"))
        victim = "pending"
    elif setup.startswith("unready pod"):
        unready = pod("unready", image="never-ready:1")
        unready["spec"]["containers"][0]["readinessProbe"] = {"exec": {"command": ["true"]}}
        c.apply(unready)
        c.advance("10s")
        victim = "unready"
        assert c.pod("unready").phase == "Running" and not c.pod("unready").ready
        policy = "AlwaysAllow" if "AlwaysAllow" in setup else "IfHealthyBudget"
        min_available = {"healthy budget": 2, "AlwaysAllow, budget 0": 3, "IfHealthyBudget, unhealthy budget": 4}
        wanted = min_available[setup.removeprefix("unready pod, ")]
        c.apply(pdb(minAvailable=wanted, unhealthyPodEvictionPolicy=policy))
    elif setup == "dry run, budget 1":
        c.apply(pdb(minAvailable=2))
        dry_run = True
    budgets_before = {b.name: b.to_dict() for b in c.pdbs()}
    if outcome == "500":
        with pytest.raises(kubesim.EvictionError) as e:
            c.evict(victim)
        assert e.value.code == 500 and not isinstance(e.value, kubesim.TooManyRequestsError)
        assert str(e.value) == (
            "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support."
        )
    elif outcome == "429":
        with pytest.raises(kubesim.TooManyRequestsError):
            c.evict(victim)
    else:
        c.evict(victim, dry_run=dry_run)
    meta = c.pod(victim).to_dict()["metadata"] if c._exists("Pod", "default", victim) else None
    if outcome == "deleted":
        assert meta is None or "deletionTimestamp" in meta
        # Unready pods and pods that need no budget leave the budget as it was.
        assert {b.name: b.to_dict()["status"] for b in c.pdbs()} == {n: d["status"] for n, d in budgets_before.items()}
    else:
        assert meta is not None and "deletionTimestamp" not in meta
        assert {b.name: b.to_dict() for b in c.pdbs()} == budgets_before


def test_a_pod_two_budgets_select_is_warned_about_and_drain_reports_its_500():
    # upstream: getPdbForPod warns on the pod (two spaces before "Chose"); the eviction REST
    # refuses such a pod with a bare 500, which kubectl drain reports without retrying.
    c = kubesim.Cluster(nodes=3, seed=0)
    c.kubectl("create deployment web --image=nginx --replicas=3")
    c.apply([pdb("b", maxUnavailable=1), pdb("a", maxUnavailable=1)])
    c.apply(pod("lone", labels={"app": "lone"}))
    c.apply(pdb("c", selector={"matchLabels": {"app": "lone"}}, minAvailable=0))
    c.advance("1m")
    for p in c.pods("app=web"):
        warnings = [r for r in reasons(c, p) if r[0] == "Warning"]
        assert warnings == [
            (
                "Warning",
                "MultiplePodDisruptionBudgets",
                f'Pod "default"/"{p.name}" matches multiple PodDisruptionBudgets.  Chose "a" arbitrarily.',
            )
        ]
    assert [r for r in reasons(c, c.pod("lone")) if r[0] == "Warning"] == [], "one budget: no warning"
    assert status(c, "a") == status(c, "b") == (1, 3, 2, 3), "both budgets are synced"
    node = c.pod("lone").node
    web = next(p.name for p in c.pods("app=web") if p.node == node)
    r = c.kubectl(f"drain {node} --force", check=False)
    assert r.exit_code == 1
    assert r.stdout.splitlines() == [
        f"node/{node} cordoned",
        "evicting pod default/lone",
        f"evicting pod default/{web}",
        "pod/lone evicted",
    ]
    err = (
        f'error when evicting pods/"{web}" -n "default": '
        "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support."
    )
    assert r.stderr == (
        "Warning: deleting Pods that declare no controller: default/lone\n"
        + f'There are pending pods in node "{node}" when an error occurred: {err}\n'
        + f"pod/{web}\n"
        + f'error: unable to drain node "{node}" due to error: {err}, continuing command...\n'
        + f"There are pending nodes to be drained:\n {node}\n{err}\n"
    )
    assert "deletionTimestamp" not in c.pod(web).to_dict()["metadata"]


def test_disrupted_pods_keep_counting_as_unhealthy_until_seen_terminating():
    # upstream: a granted eviction is in disruptedPods; the pod is not counted healthy while it
    # is there (at most DeletionTimeout, 2 min), and drops out once it is seen terminating.
    c = evictable(replicas=4, minAvailable=2)
    assert status(c) == (2, 4, 2, 4)
    first, second = c.pods()[0], c.pods()[1]
    first.evict()
    assert status(c)[:2] == (1, 3)
    second.evict()
    assert status(c)[:2] == (0, 2)
    assert c.pdb("web").disrupted_pods == {}, "both are terminating, so neither is pending any more"
    c.advance("1m")
    assert status(c) == (2, 4, 2, 4)


# ----- kubectl -----


def test_get_and_describe_pdb_print_as_kubectl():
    c = evictable(minAvailable=2)
    c.apply(
        pdb(
            "spare",
            selector={
                "matchLabels": {"app": "web"},
                "matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["db"]}],
            },
            maxUnavailable="50%",
        )
    )
    assert c.kubectl("get pdb") == (
        "NAME    MIN AVAILABLE   MAX UNAVAILABLE   ALLOWED DISRUPTIONS   AGE\n"
        "spare   N/A             50%               2                     0s\n"
        "web     2               N/A               1                     60s\n"
    )
    assert c.kubectl("describe pdb web") == (
        "Name:           web\n"
        "Namespace:      default\n"
        "Min available:  2\n"
        "Selector:       app=web\n"
        "Status:\n"
        "    Allowed disruptions:  1\n"
        "    Current:              3\n"
        "    Desired:              2\n"
        "    Total:                3\n"
        "Events:                   <none>\n"
    )
    assert "Max unavailable:  50%\nSelector:         app=web,tier notin (db)\n" in c.kubectl(
        "describe poddisruptionbudget spare"
    )


def test_drain_retries_a_refused_eviction_every_five_seconds_in_virtual_time():
    c = kubesim.Cluster(nodes=3, seed=0)
    c.kubectl("create deployment web --image=nginx --replicas=6")
    c.apply(pdb(maxUnavailable=1))
    c.advance("1m")
    node = c.pods()[0].node
    mine = sorted(p.name for p in c.pods() if p.node == node)
    assert len(mine) == 2 and status(c)[0] == 1
    start = c.elapsed
    r = c.kubectl(f"drain {node} --ignore-daemonsets", check=False)
    a, b = mine
    refused = (
        f'error when evicting pods/"{b}" -n "default" (will retry after 5s): '
        "Cannot evict pod as it would violate the pod's disruption budget.\n"
    )
    assert r.exit_code == 0
    assert r.stderr == refused * (r.stdout.count(f"evicting pod default/{b}\n") - 1)
    lines = r.stdout.splitlines()
    assert lines[:3] == [f"node/{node} cordoned", f"evicting pod default/{a}", f"evicting pod default/{b}"]
    assert lines[-3:] == [f"evicting pod default/{b}", f"pod/{b} evicted", f"node/{node} drained"]
    assert f"pod/{a} evicted" in lines
    retries = lines.count(f"evicting pod default/{b}") - 1
    assert retries >= 1
    # The last retry came 5 s after the one before; the pod was gone within a second or two.
    assert retries * 5 <= c.elapsed - start <= retries * 5 + 3


def test_drain_gives_up_at_its_timeout_with_kubectls_messages():
    c = evictable(minAvailable=3)
    node = c.pods()[0].node
    victim = next(p.name for p in c.pods() if p.node == node)
    r = c.kubectl(f"drain {node} --timeout=12s", check=False)
    assert r.exit_code == 1
    assert r.stdout == f"node/{node} cordoned\n" + f"evicting pod default/{victim}\n" * 4
    refused = (
        f'error when evicting pods/"{victim}" -n "default" (will retry after 5s): '
        "Cannot evict pod as it would violate the pod's disruption budget.\n"
    )
    timeout = f'error when evicting pods/"{victim}" -n "default": global timeout reached: 12s'
    assert r.stderr == (
        refused * 3
        + f'There are pending pods in node "{node}" when an error occurred: {timeout}\n'
        + f"pod/{victim}\n"
        + f'error: unable to drain node "{node}" due to error: {timeout}, continuing command...\n'
        + f"There are pending nodes to be drained:\n {node}\n{timeout}\n"
    )
    assert c.elapsed == 60 + 15, "attempts at 0, 5, 10 and 15 s; the fourth finds the timeout passed"


def test_drain_with_eviction_disabled_deletes_whatever_the_budget_says():
    c = evictable(minAvailable=3)
    node = c.pods()[0].node
    victim = next(p.name for p in c.pods() if p.node == node)
    r = c.kubectl(f"drain {node} --disable-eviction")
    assert r == f"node/{node} cordoned\npod/{victim} deleted\nnode/{node} drained\n"


@pytest.mark.parametrize(
    ("args", "out"),
    [
        # Recorded from kubectl v1.32 (`--dry-run=client -o json`).
        (
            "x --selector='app in (a,b),!legacy' --max-unavailable=1",
            '{\n    "kind": "PodDisruptionBudget",\n    "apiVersion": "policy/v1",\n    "metadata": {\n'
            '        "name": "x",\n        "creationTimestamp": null\n    },\n    "spec": {\n'
            '        "selector": {\n            "matchExpressions": [\n                {\n'
            '                    "key": "app",\n                    "operator": "In",\n'
            '                    "values": [\n                        "a",\n                        "b"\n'
            "                    ]\n                },\n                {\n"
            '                    "key": "legacy",\n                    "operator": "DoesNotExist"\n'
            "                }\n            ]\n        },\n"
            '        "maxUnavailable": 1\n    },\n    "status": {\n        "disruptionsAllowed": 0,\n'
            '        "currentHealthy": 0,\n        "desiredHealthy": 0,\n        "expectedPods": 0\n    }\n}\n',
        ),
    ],
)
def test_create_pdb_dry_run_prints_the_object_kubectl_builds(args, out):
    c = kubesim.Cluster(nodes=1, seed=0)
    assert c.kubectl(f"create poddisruptionbudget {args} --dry-run=client -o json") == out


def test_create_pdb_creates_and_checks_its_flags_as_kubectl():
    c = kubesim.Cluster(nodes=1, seed=0)
    assert (
        c.kubectl("create pdb web --selector=app=web --min-available=50%") == "poddisruptionbudget.policy/web created\n"
    )
    assert c.pdb("web").min_available == "50%"
    assert c.pdb("web").to_dict()["spec"]["selector"] == {"matchLabels": {"app": "web"}}
    for args, err in [
        ("y --min-available=1", "error: a selector must be specified"),
        ("y --selector=a=b", "error: one of min-available or max-unavailable must be specified"),
        (
            "y --selector=a=b --min-available=1 --max-unavailable=1",
            "error: min-available and max-unavailable cannot be both specified",
        ),
        ("y --selector=a=b --min-available=1Gi", "error: invalid format specified for min-available"),
        ("y --selector=a!=b --min-available=1", 'error: "!=" is not a valid label selector operator'),
        ("y --selector=a<1 --min-available=1", 'error: "lt" isn\'t supported in label selectors'),
    ]:
        r = c.kubectl(f"create pdb {args}", check=False)
        assert (r.exit_code, r.stderr) == (1, err + "\n"), args
    assert [b.name for b in c.pdbs()] == ["web"]
