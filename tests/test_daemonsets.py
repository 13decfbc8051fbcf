"""DaemonSets: one pod per eligible node, pinned by node affinity; revisions; rolling updates
with maxUnavailable or maxSurge, OnDelete; nodes that come, go, fail and recover."""

import datetime

import pytest

import kubesim


def daemonset(name="agent", strategy=None, node_selector=None, image="nginx:1.25", tolerations=None):
    spec = {"containers": [{"name": "agent", "image": image}]}
    if node_selector:
        spec["nodeSelector"] = node_selector
    if tolerations:
        spec["tolerations"] = tolerations
    ds = {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": name},
        "spec": {
            "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}}, "spec": spec},
        },
    }
    if strategy:
        ds["spec"]["updateStrategy"] = strategy
    return ds


def nodes(n):
    return [{"name": f"node-{i}"} for i in range(1, n + 1)]


def set_image(c, name, image):
    c.patch("daemonset", name, {"spec": {"template": {"spec": {"containers": [{"name": "agent", "image": image}]}}}})


def test_one_pod_per_node_pinned_by_node_affinity():
    c = kubesim.Cluster(nodes=3, seed=1)
    [r] = c.apply(daemonset())
    assert str(r) == "daemonset.apps/agent created"
    ds = c.daemonset("agent")
    pods = ds.pods()
    assert sorted(p.node for p in pods) == ["node-1", "node-2", "node-3"]
    for p in pods:
        spec = p.spec
        terms = spec["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]
        assert terms == [{"matchFields": [{"key": "metadata.name", "operator": "In", "values": [p.node]}]}]
        keys = [(t["key"], t["effect"]) for t in spec["tolerations"]]
        assert keys[:2] == [
            ("node.kubernetes.io/not-ready", "NoExecute"),
            ("node.kubernetes.io/unreachable", "NoExecute"),
        ]
        assert all("tolerationSeconds" not in t for t in spec["tolerations"])
        assert p.labels["pod-template-generation"] == "1"
        assert p.labels["controller-revision-hash"] == ds.revisions()[0].labels["controller-revision-hash"]
    assert ds.annotations["deprecated.daemonset.template.generation"] == "1"
    assert ds.desired_number_scheduled == 3 and ds.current_number_scheduled == 3
    c.run_until(lambda: ds.number_available == 3, timeout="1m")
    assert ds.number_ready == 3 and ds.updated_number_scheduled == 3 and ds.number_unavailable == 0
    created = [e.message for e in c.events(ds) if e.reason == "SuccessfulCreate"]
    assert sorted(created) == sorted(f"Created pod: {p.name}" for p in pods)
    [rev] = ds.revisions()
    assert rev.revision == 1 and rev.name == f"agent-{rev.labels['controller-revision-hash']}"
    assert rev.data["spec"]["template"]["$patch"] == "replace"


def test_kubectl_get_and_describe_daemonset():
    c = kubesim.Cluster(nodes=2, seed=1)
    c.apply(daemonset(node_selector={"kubernetes.io/os": "linux"}))
    c.advance("30s")
    assert c.kubectl("get ds") == (
        "NAME    DESIRED   CURRENT   READY   UP-TO-DATE   AVAILABLE   NODE SELECTOR            AGE\n"
        "agent   2         2         2       2            2           kubernetes.io/os=linux   30s\n"
    )
    wide = c.kubectl("get daemonsets -o wide").splitlines()
    assert wide[0].split() == [
        "NAME",
        "DESIRED",
        "CURRENT",
        "READY",
        "UP-TO-DATE",
        "AVAILABLE",
        "NODE",
        "SELECTOR",
        "AGE",
        "CONTAINERS",
        "IMAGES",
        "SELECTOR",
    ]
    assert wide[1].split()[-3:] == ["agent", "nginx:1.25", "app=agent"]
    hash_ = c.daemonset("agent").revisions()[0].labels["controller-revision-hash"]
    name = f"agent-{hash_}".ljust(len(hash_) + 9)
    assert c.kubectl("get controllerrevisions") == (
        f"{'NAME'.ljust(len(name))}CONTROLLER             REVISION   AGE\n{name}daemonset.apps/agent   1          30s\n"
    )
    described = c.kubectl("describe ds agent")
    head = described.split("Pod Template:")[0]
    assert head == (
        "Name:           agent\n"
        "Selector:       app=agent\n"
        "Node-Selector:  kubernetes.io/os=linux\n"
        "Labels:         <none>\n"
        "Annotations:    deprecated.daemonset.template.generation: 1\n"
        "Desired Number of Nodes Scheduled: 2\n"
        "Current Number of Nodes Scheduled: 2\n"
        "Number of Nodes Scheduled with Up-to-date Pods: 2\n"
        "Number of Nodes Scheduled with Available Pods: 2\n"
        "Number of Nodes Misscheduled: 0\n"
        "Pods Status:  2 Running / 0 Waiting / 0 Succeeded / 0 Failed\n"
    )
    assert "Normal  SuccessfulCreate" in described


@pytest.mark.parametrize(
    ("node_labels", "selector", "tolerations", "taints", "eligible"),
    [
        ({"node-2": {"disk": "ssd"}}, {"disk": "ssd"}, None, {}, ["node-2"]),
        ({}, None, None, {"node-1": "NoSchedule"}, ["node-2", "node-3"]),
        (
            {},
            None,
            [{"key": "dedicated", "operator": "Exists"}],
            {"node-1": "NoSchedule"},
            ["node-1", "node-2", "node-3"],
        ),
        ({}, None, None, {"node-3": "PreferNoSchedule"}, ["node-1", "node-2", "node-3"]),
    ],
)
def test_eligible_nodes_follow_selector_and_taints(node_labels, selector, tolerations, taints, eligible):
    specs = []
    for n in nodes(3):
        n = dict(n)
        n["labels"] = node_labels.get(n["name"], {})
        if n["name"] in taints:
            n["taints"] = [{"key": "dedicated", "value": "x", "effect": taints[n["name"]]}]
        specs.append(n)
    c = kubesim.Cluster(nodes=specs, seed=2)
    c.apply(daemonset(node_selector=selector, tolerations=tolerations))
    ds = c.daemonset("agent")
    assert sorted(p.node for p in ds.pods()) == eligible
    assert ds.desired_number_scheduled == len(eligible)


def test_labelling_a_node_adds_its_pod_and_unlabelling_removes_it():
    c = kubesim.Cluster(nodes=3, seed=3)
    c.apply(daemonset(node_selector={"role": "edge"}))
    ds = c.daemonset("agent")
    assert ds.pods() == []
    c.kubectl("label node node-2 role=edge")
    assert [p.node for p in ds.pods()] == ["node-2"]
    c.advance("10s")
    c.kubectl("label node node-2 role-")
    # The pod is deleted (it terminates over its grace period) and the node leaves the count.
    assert ds.desired_number_scheduled == 0
    c.advance("1m")
    assert ds.pods() == []


def test_a_failed_node_keeps_its_pod_and_a_recovered_node_counts_again():
    c = kubesim.Cluster(nodes=3, seed=4)
    c.apply(daemonset())
    ds = c.daemonset("agent")
    c.run_until(lambda: ds.number_available == 3, timeout="1m")
    c.node("node-2").fail()
    c.advance("10m")
    # Unreachable: NoSchedule makes the node ineligible, the NoExecute taint is tolerated for
    # good, so the pod stays (misscheduled) and is never evicted.
    assert sorted(p.node for p in ds.pods()) == ["node-1", "node-2", "node-3"]
    assert (ds.desired_number_scheduled, ds.current_number_scheduled, ds.number_misscheduled) == (2, 2, 1)
    c.node("node-2").recover()
    c.run_until(lambda: ds.number_available == 3, timeout="2m")
    assert (ds.desired_number_scheduled, ds.number_misscheduled) == (3, 0)


def test_a_new_node_gets_a_pod_and_a_deleted_node_leaves_the_count():
    c = kubesim.Cluster(nodes=2, seed=5)
    c.apply(daemonset())
    ds = c.daemonset("agent")
    capacity = {"cpu": "4", "memory": "16Gi", "pods": "110"}
    node = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "node-9"}}
    c.apply({**node, "status": {"capacity": capacity, "allocatable": capacity}})
    assert sorted(p.node for p in ds.pods()) == ["node-1", "node-2", "node-9"]
    c.delete("node", "node-9")
    assert ds.desired_number_scheduled == 2


def wave(n_nodes, strategy):
    """The pods deleted and created in the first instant of a rollout."""
    c = kubesim.Cluster(nodes=n_nodes, seed=6)
    c.apply(daemonset(strategy=strategy))
    ds = c.daemonset("agent")
    c.run_until(lambda: ds.number_available == n_nodes, timeout="2m")
    before = {p.name for p in ds.pods()}
    set_image(c, "agent", "nginx:1.26")
    pods = ds.pods()
    deleting = sum(1 for p in pods if p.name in before and p.to_dict()["metadata"].get("deletionTimestamp"))
    created = sum(1 for p in pods if p.name not in before)
    return deleting, created


@pytest.mark.parametrize(
    ("n_nodes", "rolling_update", "deleted", "created"),
    [
        (4, {"maxUnavailable": 1}, 1, 0),
        (4, {"maxUnavailable": "50%"}, 2, 0),
        (5, {"maxUnavailable": "50%"}, 3, 0),  # 2.5 rounds up
        (3, {"maxUnavailable": "100%"}, 3, 0),
        (4, {"maxUnavailable": 0, "maxSurge": 1}, 0, 1),
        (4, {"maxUnavailable": 0, "maxSurge": "50%"}, 0, 2),
        (3, {"maxUnavailable": 0, "maxSurge": "50%"}, 0, 2),  # 1.5 rounds up
        (3, {"maxUnavailable": 0, "maxSurge": "100%"}, 0, 3),
    ],
)
def test_the_first_wave_of_a_rollout_follows_surge_and_unavailable_arithmetic(
    n_nodes, rolling_update, deleted, created
):
    strategy = {"type": "RollingUpdate", "rollingUpdate": rolling_update}
    assert wave(n_nodes, strategy) == (deleted, created)


def test_a_rolling_update_never_has_more_than_max_unavailable_nodes_down():
    c = kubesim.Cluster(nodes=5, seed=7)
    c.apply(daemonset(strategy={"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 2}}))
    ds = c.daemonset("agent")
    c.run_until(lambda: ds.number_available == 5, timeout="2m")
    set_image(c, "agent", "nginx:1.26")
    worst = 5
    while ds.updated_number_scheduled < 5 or ds.number_available < 5:
        ready = sum(1 for p in ds.pods() if p.ready and not p.to_dict()["metadata"].get("deletionTimestamp"))
        worst = min(worst, ready)
        c.advance("1s")
        assert c.elapsed < 600
    assert worst == 3
    assert {p.containers[0].image for p in ds.pods()} == {"nginx:1.26"}
    assert {p.labels["pod-template-generation"] for p in ds.pods()} == {"2"}


def test_a_surging_update_keeps_every_node_served():
    c = kubesim.Cluster(nodes=3, seed=8)
    c.apply(daemonset(strategy={"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}}))
    ds = c.daemonset("agent")
    c.run_until(lambda: ds.number_available == 3, timeout="2m")
    set_image(c, "agent", "nginx:1.26")
    most = 0
    while ds.updated_number_scheduled < 3 or len(ds.pods()) > 3:
        pods = [p for p in ds.pods() if not p.to_dict()["metadata"].get("deletionTimestamp")]
        served = {p.node for p in pods if p.ready}
        assert served == {"node-1", "node-2", "node-3"}
        most = max(most, len(pods))
        c.advance("1s")
        assert c.elapsed < 600
    assert most == 4


def test_on_delete_replaces_a_pod_only_when_it_is_deleted():
    c = kubesim.Cluster(nodes=2, seed=9)
    c.apply(daemonset(strategy={"type": "OnDelete"}))
    ds = c.daemonset("agent")
    c.advance("30s")
    set_image(c, "agent", "nginx:1.26")
    c.advance("1m")
    assert {p.containers[0].image for p in ds.pods()} == {"nginx:1.25"}
    assert ds.updated_number_scheduled == 0
    victim = next(p for p in ds.pods() if p.node == "node-1")
    c.delete("pod", victim.name)
    c.advance("1m")
    images = {p.node: p.containers[0].image for p in ds.pods()}
    assert images == {"node-1": "nginx:1.26", "node-2": "nginx:1.25"}
    r = c.kubectl("rollout status ds/agent", check=False)
    assert (r.exit_code, r.stderr) == (1, "error: rollout status is only available for RollingUpdate strategy type\n")


def test_rollout_status_history_and_undo():
    c = kubesim.Cluster(nodes=2, seed=10)
    c.apply(daemonset())
    assert c.kubectl("rollout status daemonset/agent").splitlines()[-1] == 'daemon set "agent" successfully rolled out'
    c.kubectl("annotate ds agent kubernetes.io/change-cause=v1.26")
    set_image(c, "agent", "nginx:1.26")
    lines = c.kubectl("rollout status ds/agent").splitlines()
    assert lines[0] == 'Waiting for daemon set "agent" rollout to finish: 0 out of 2 new pods have been updated...'
    assert lines[-1] == 'daemon set "agent" successfully rolled out'
    assert c.kubectl("rollout history ds/agent") == (
        "daemonset.apps/agent \nREVISION  CHANGE-CAUSE\n1         <none>\n2         v1.26\n\n"
    )
    template = c.kubectl("rollout history ds/agent --revision=1")
    assert template.startswith("daemonset.apps/agent with revision #1\nPod Template:\n")
    assert "Image:\tnginx:1.25" in template
    assert c.kubectl("rollout undo ds/agent") == "daemonset.apps/agent rolled back\n"
    ds = c.daemonset("agent")
    c.kubectl("rollout status ds/agent")
    assert {p.containers[0].image for p in ds.pods()} == {"nginx:1.25"}
    # upstream: the old revision is renumbered rather than copied.
    assert [r.revision for r in ds.rollout.history()] == [2, 3]
    assert c.kubectl("rollout undo ds/agent --to-revision=3") == (
        "daemonset.apps/agent skipped rollback (current template already matches revision 3)\n"
    )
    r = c.kubectl("rollout undo ds/agent --to-revision=7", check=False)
    assert r.stderr == "error: unable to find specified revision 7 in history\n"


def test_history_is_pruned_to_the_revision_history_limit():
    c = kubesim.Cluster(nodes=1, seed=11)
    ds_manifest = daemonset()
    ds_manifest["spec"]["revisionHistoryLimit"] = 2
    c.apply(ds_manifest)
    ds = c.daemonset("agent")
    for minor in range(26, 31):
        set_image(c, "agent", f"nginx:1.{minor}")
        c.kubectl("rollout status ds/agent")
    # The current revision plus two old ones.
    assert [r.revision for r in ds.revisions()] == [4, 5, 6]


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        (
            {"updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 1}}},
            "spec.updateStrategy.rollingUpdate.maxSurge",
        ),
        (
            {"updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0}}},
            "spec.updateStrategy.rollingUpdate.maxUnavailable",
        ),
        ({"updateStrategy": {"type": "Blue"}}, "spec.updateStrategy"),
        ({"selector": {"matchLabels": {"app": "other"}}}, "spec.template.metadata.labels"),
    ],
)
def test_bad_daemon_sets_are_rejected_with_their_field_and_change_nothing(patch, field):
    c = kubesim.Cluster(nodes=1)
    ds = daemonset()
    ds["spec"].update(patch)
    with pytest.raises(kubesim.InvalidObjectError) as e:
        c.apply(ds)
    assert e.value.field == field
    assert c.daemonsets() == [] and c.pods() == []


def test_deleting_a_daemon_set_deletes_its_pods_and_revisions():
    c = kubesim.Cluster(nodes=2, seed=12)
    c.apply(daemonset())
    c.delete("daemonset", "agent")
    c.advance("1m")
    assert c.pods() == [] and c.list("controllerrevisions") == []


def test_same_seed_same_history_for_one_and_two_threads():
    def run(threads):
        c = kubesim.Cluster(nodes=20, seed=13, threads=threads)
        c.apply(daemonset(strategy={"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "30%"}}))
        c.advance("20s")
        set_image(c, "agent", "nginx:1.26")
        c.kubectl("rollout status ds/agent")
        return [(e.type, e.kind, e.name, e.resource_version) for e in c.watch(since=0)], c.elapsed

    assert run(1) == run(2)


def test_a_daemon_pod_marked_failed_through_the_status_subresource_is_killed():
    # upstream: podsShouldBeOnNode reads the pod's status.phase, which a client may write.
    c = kubesim.Cluster(nodes=2, seed=21)
    c.apply(daemonset())
    c.advance("10s")
    [p] = [p for p in c.pods() if p.node == "node-1"]
    c.kubectl(f"""patch pod {p.name} --subresource=status --type=merge -p '{{"status":{{"phase":"Failed"}}}}'""")
    assert "deletionTimestamp" in p.to_dict()["metadata"]
    [e] = [e for e in c.events(c.daemonset("agent")) if e.reason == "FailedDaemonPod"]
    assert (e.type, e.message) == (
        "Warning",
        f"Found failed daemon pod default/{p.name} on node node-1, will try to kill it",
    )
    c.run_until(
        lambda: [q.phase for q in c.pods() if q.node == "node-1" and q.name != p.name] == ["Running"], timeout="1m"
    )
    assert p.name not in [q.name for q in c.pods()], "replaced once it was gone"


# --- The failed-pod back-off (upstream: failedPodsBackoff, NewBackOff(1s, 15m), per DaemonSet,
# observed generation and node). A daemon pod is marked Failed through the status subresource;
# the image starts at once and stops 1 s after SIGTERM, so a killed pod's replacement comes 1 s
# after the kill.


def backoff_cluster(nodes=2, threads=None, strategy=None):
    c = kubesim.Cluster(nodes=nodes, seed=21, threads=threads)
    c.images.register("agent:*", pull="0s", start="0s", stop="1s")
    c.apply(daemonset(image="agent:1", strategy=strategy))
    c.run_until(lambda: len([p for p in c.pods() if p.phase == "Running"]) == nodes, timeout="1m")
    return c


def live_pod(c, node):
    """The node's daemon pod that is not terminating."""
    [p] = [p for p in c.pods() if p.node == node and "deletionTimestamp" not in p.to_dict()["metadata"]]
    return p


def mark_failed(c, name):
    c.kubectl(f"""patch pod {name} --subresource=status --type=merge -p '{{"status":{{"phase":"Failed"}}}}'""")


def killed(c, name):
    """Whether the pod is gone or terminating."""
    return all(p.name != name or "deletionTimestamp" in p.to_dict()["metadata"] for p in c.pods())


def fail_and_time(c, node, timeout="40m"):
    """Mark the node's pod Failed now; the seconds at which it is killed and its replacement
    created (both measured from the cluster's start)."""
    p = live_pod(c, node)
    mark_failed(c, p.name)
    c.run_until(lambda: killed(c, p.name), timeout=timeout)
    kill = c.elapsed
    c.run_until(lambda: any(q.node == node and q.name != p.name for q in c.pods()), timeout="1m")
    return p.name, kill, c.elapsed


def failed_events(c):
    start = c.now - datetime.timedelta(seconds=c.elapsed)
    ds = c.daemonset("agent")
    return [
        (e.type, e.message, (e.first_timestamp - start).total_seconds())
        for e in c.events(ds)
        if e.reason == "FailedDaemonPod"
    ]


def test_a_failed_daemon_pod_waits_for_its_nodes_back_off_before_it_is_killed():
    c = backoff_cluster()
    c.advance(10 - c.elapsed)
    other = live_pod(c, "node-2").name
    got = [fail_and_time(c, "node-1") for _ in range(8)]
    # Kill n steps the node's back-off to 1 s, 2 s, 4 s …; a pod failing within it is left (no
    # replacement: the node still has its pod) and the DaemonSet synced again after the whole
    # current back-off (upstream: enqueueDaemonSetAfter(ds, Get(key)), not what is left of it).
    # Each pod here fails as soon as it runs, 1 s after the previous kill.
    assert [(kill, new) for _, kill, new in got] == [
        (10.0, 11.0),  # no entry: killed at once; back-off 1 s from 10
        (11.0, 12.0),  # 1 s after: out of it; 2 s from 11
        (14.0, 15.0),  # failed at 12, in it: synced again 2 s later
        (19.0, 20.0),  # failed at 15 within 4 s: + 4
        (28.0, 29.0),  # + 8
        (45.0, 46.0),  # + 16
        (78.0, 79.0),  # + 32
        (143.0, 144.0),  # + 64
    ]
    assert failed_events(c) == [
        ("Warning", f"Found failed daemon pod default/{name} on node node-1, will try to kill it", kill)
        for name, kill, _ in got
    ]
    assert live_pod(c, "node-2").name == other, "the other node's pod is left alone"


def test_a_failed_pod_left_by_the_back_off_stays_with_no_replacement_until_it_is_killed():
    c = backoff_cluster()
    c.advance(10 - c.elapsed)
    fail_and_time(c, "node-1")  # killed at 10: back-off 1 s
    c.advance(11.5 - c.elapsed)
    assert fail_and_time(c, "node-1")[1:] == (11.5, 12.5), "1.5 s after: out of it; now 2 s from 11.5"
    q = live_pod(c, "node-1")
    mark_failed(c, q.name)  # 1 s into the 2 s back-off
    c.advance(1.999)
    assert [(x.name, x.phase) for x in c.pods() if x.node == "node-1"] == [(q.name, "Failed")]
    assert c.daemonset("agent").current_number_scheduled == 2, "the failed pod is still the node's pod"
    c.advance(0.001)
    assert killed(c, q.name), "killed when the DaemonSet is synced again, 2 s after the failure"
    assert c.elapsed == 14.5


def test_each_nodes_back_off_is_its_own():
    c = backoff_cluster()
    c.advance(10 - c.elapsed)
    assert fail_and_time(c, "node-1")[1:] == (10.0, 11.0)
    assert fail_and_time(c, "node-1")[1:] == (11.0, 12.0)  # node-1: 2 s from 11
    # node-1's pod fails again within its back-off; node-2's first failure is killed at once.
    n1, n2 = live_pod(c, "node-1").name, live_pod(c, "node-2").name
    mark_failed(c, n1)
    mark_failed(c, n2)
    assert killed(c, n2) and not killed(c, n1)
    # node-1's back-off ends at 13, when node-2's replacement brings a sync (before the 14 the
    # requeue asked for): any sync after the back-off kills the pod.
    c.run_until(lambda: killed(c, n1), timeout="1m")
    assert c.elapsed == 13.0
    assert [m for _, m, t in failed_events(c) if t >= 12] == [
        f"Found failed daemon pod default/{n2} on node node-2, will try to kill it",
        f"Found failed daemon pod default/{n1} on node node-1, will try to kill it",
    ]


def test_the_back_off_is_capped_at_fifteen_minutes_and_starts_again_after_thirty():
    c = backoff_cluster(nodes=1)
    c.advance(10 - c.elapsed)
    kills = [fail_and_time(c, "node-1", timeout="2h")[1] for _ in range(13)]
    waits = [round(b - a - 1) for a, b in zip(kills, kills[1:], strict=False)]
    # Each pod fails 1 s after the previous kill: out of the first 1 s back-off, then within
    # each later one, which it waits out whole from its failure (2, 4 … 512 s, then 15 min).
    assert waits == [0, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900]
    # Unused for exactly 2 × 15 min since the last kill, the entry still holds (at its cap: the
    # pod is out of it and killed, but the next one, failing 1 s later, waits 15 min) …
    last = kills[-1]
    c.advance(last + 1800 - c.elapsed)
    assert fail_and_time(c, "node-1")[1] == last + 1800
    assert fail_and_time(c, "node-1", timeout="2h")[1] == last + 1801 + 900
    # … and after more than that it has expired: the back-off starts again at 1 s.
    last = last + 1801 + 900
    c.advance(round(last + 1800.001 - c.elapsed, 3))
    assert round(fail_and_time(c, "node-1")[1], 3) == round(last + 1800.001, 3)
    assert round(fail_and_time(c, "node-1")[1], 3) == round(last + 1801.001, 3), "out of a 1 s back-off"


def test_a_new_generation_has_a_back_off_of_its_own():
    # upstream: failedPodsBackoffKey names status.observedGeneration, so after a template change
    # the first failure of the new generation on a node is killed at once.
    c = backoff_cluster()
    c.advance(10 - c.elapsed)
    kills = [fail_and_time(c, "node-1")[1] for _ in range(3)]
    assert kills == [10.0, 11.0, 14.0]  # back-off 4 s from 14 for generation 1; pod running at 15
    set_image(c, "agent", "agent:2")
    ds = c.daemonset("agent")
    assert ds.to_dict()["status"]["observedGeneration"] == 2
    new_on_node_1 = lambda: [p for p in c.pods() if p.node == "node-1" and p.labels["pod-template-generation"] == "2"]  # noqa: E731
    c.run_until(lambda: new_on_node_1(), timeout="1m")
    assert c.elapsed == 16.0
    name, kill, new = fail_and_time(c, "node-1")
    assert kill == 16.0, "generation 2's first kill on node-1 (generation 1's back-off ran to 18)"
    assert failed_events(c)[-1][1:] == (
        f"Found failed daemon pod default/{name} on node node-1, will try to kill it",
        16.0,
    )
    # Generation 2's own back-off then counts: 1 s from 16.
    assert fail_and_time(c, "node-1")[1] == 17.0
    assert fail_and_time(c, "node-1")[1] == 20.0


def test_with_surge_a_pod_left_by_the_back_off_gets_a_replacement_beside_it():
    # upstream: with maxSurge, a node whose only pod is a failed one within the back-off (not
    # counted as running) gets a new pod at once; the failed pod is killed when the back-off ends.
    c = backoff_cluster(strategy={"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}})
    c.advance(10 - c.elapsed)
    assert fail_and_time(c, "node-1")[1:] == (10.0, 10.0), "killed, and replaced at once: surging"
    p = live_pod(c, "node-1")
    mark_failed(c, p.name)  # within 1 s from 10
    live = [(q.name, q.phase) for q in c.pods() if q.node == "node-1" and not killed(c, q.name)]
    assert len(live) == 2 and (p.name, "Failed") in live, "the failed pod stays, a new one beside it"
    c.run_until(lambda: killed(c, p.name), timeout="1m")
    assert c.elapsed == 11.0


def test_the_back_off_is_the_same_for_one_and_two_threads():
    def run(threads):
        c = backoff_cluster(nodes=4, threads=threads)
        c.advance(10 - c.elapsed)
        for _ in range(3):
            for node in ("node-1", "node-3"):
                p = live_pod(c, node)
                mark_failed(c, p.name)
            c.advance("3s")
        c.advance("30s")
        return [(e.type, e.kind, e.name, e.resource_version) for e in c.watch(since=0)], c.elapsed

    assert run(1) == run(2)
