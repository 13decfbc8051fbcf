"""Workloads come alive: scheduling, the kubelet, the ReplicaSet controller, GC, events."""

from __future__ import annotations

import json
import pickle

import pytest

import kubesim
from kubesim.testing import workload


def replicaset(name: str = "web", replicas: int = 3, image: str = "nginx:1.25", **pod_spec) -> dict:
    return workload("ReplicaSet", name, replicas, image, container="c", pod_spec=pod_spec)


def owned(cluster: kubesim.Cluster, rs: str = "web") -> list[kubesim.Pod]:
    return [p for p in cluster.pods() if any(r["name"] == rs for r in p.owner_references)]


def test_redis_pod_goes_pending_to_running_with_kubelet_events(cluster, examples):
    cluster.apply(examples / "redis-pod.yaml")
    pod = cluster.pod("redis-master")
    assert pod.phase == "Pending"
    assert pod.node is not None, "scheduled at once"
    [c] = pod.containers
    assert (c.state, c.reason) == ("waiting", "ContainerCreating")
    cluster.run_until(lambda: pod.phase == "Running", timeout="1m")
    # redis is pulled (2 s) then started (1 s): Running 3 virtual seconds after apply.
    assert cluster.elapsed == 3
    [c] = pod.containers
    assert c.state == "running" and c.ready and pod.ready
    assert [e.reason for e in cluster.events(pod)] == ["Scheduled", "Pulling", "Pulled", "Created", "Started"]
    scheduled = cluster.events(pod)[0]
    assert scheduled.message == f"Successfully assigned default/redis-master to {pod.node}"
    assert scheduled.source == "default-scheduler"
    assert pod.ip.startswith("10.244.")
    conditions = {c["type"]: c["status"] for c in pod.conditions}
    assert conditions == {
        "PodReadyToStartContainers": "True",
        "Initialized": "True",
        "Ready": "True",
        "ContainersReady": "True",
        "PodScheduled": "True",
    }


def test_nginx_exits_promptly_on_sigterm_unlike_an_unknown_image(cluster):
    # Built-in profile: nginx stops within 100 ms of SIGTERM; other images use the whole grace period.
    cluster.apply(replicaset("fast", replicas=1, image="nginx:1.25"))
    cluster.apply(replicaset("slow", replicas=1, image="app:1"))
    cluster.advance("10s")
    [fast] = cluster.pods(selector="app=fast")
    [slow] = cluster.pods(selector="app=slow")
    cluster.delete("pod", fast.name)
    cluster.delete("pod", slow.name)
    cluster.advance("1s")
    assert not fast.exists and slow.exists
    cluster.advance("29s")
    assert not slow.exists


def test_image_already_on_the_node_is_not_pulled_again():
    c = kubesim.Cluster(nodes=1)
    c.apply(replicaset(replicas=1))
    c.advance("10s")
    c.patch("replicaset", "web", {"spec": {"replicas": 2}})
    newest = max(c.pods(), key=lambda p: p.creation_timestamp)
    messages = [e.message for e in c.events(newest) if e.reason == "Pulled"]
    assert messages == ['Container image "nginx:1.25" already present on machine']


def test_replicaset_replaces_a_deleted_pod(cluster):
    cluster.apply(replicaset())
    cluster.advance("10s")
    rs = cluster.replicaset("web")
    assert (rs.status_replicas, rs.ready_replicas, rs.available_replicas) == (3, 3, 3)
    victim = owned(cluster)[0]
    cluster.delete("pod", victim.name)
    # The terminating pod stops counting at once and a replacement is created.
    assert victim.exists and victim.deletion_timestamp is not None
    active = [p for p in owned(cluster) if p.deletion_timestamp is None]
    assert len(active) == 3 and victim not in active
    assert rs.status_replicas == 3
    cluster.advance("31s")
    assert not victim.exists, "gone once the 30 s grace period has passed"
    assert rs.ready_replicas == 3
    reasons = [e.reason for e in cluster.events(rs)]
    assert reasons.count("SuccessfulCreate") == 4


def test_replicaset_adopts_a_matching_orphan_and_creates_only_the_rest(cluster):
    orphan = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "stray", "labels": {"app": "web"}},
        "spec": {"containers": [{"name": "c", "image": "nginx:1.25"}]},
    }
    cluster.apply(orphan)
    cluster.apply(replicaset())
    pods = owned(cluster)
    assert len(pods) == 3
    assert "stray" in {p.name for p in pods}
    ref = cluster.pod("stray").owner_references[0]
    assert (ref["kind"], ref["name"], ref["controller"], ref["blockOwnerDeletion"]) == ("ReplicaSet", "web", True, True)
    assert [e.reason for e in cluster.events(cluster.replicaset("web"))] == ["SuccessfulCreate"] * 2


def test_replicaset_releases_a_relabelled_pod_and_replaces_it(cluster):
    cluster.apply(replicaset())
    cluster.advance("10s")
    moved = owned(cluster)[0]
    cluster.patch("pod", moved.name, {"metadata": {"labels": {"app": "debug"}}})
    assert moved.owner_references == []
    assert len(owned(cluster)) == 3
    assert moved not in owned(cluster)
    assert moved.exists and moved.phase == "Running"


def test_scale_down_removes_pending_pods_before_running_ones():
    # One pod per node: the fourth replica cannot be scheduled and stays Pending.
    c = kubesim.Cluster(nodes=[{"name": f"node-{i}", "pods": 1} for i in (1, 2, 3)])
    c.apply(replicaset(replicas=4))
    c.advance("10s")
    pending = [p for p in c.pods() if p.node is None]
    assert len(pending) == 1 and pending[0].phase == "Pending"
    c.patch("replicaset", "web", {"spec": {"replicas": 3}})
    assert not pending[0].exists, "an unscheduled pod is deleted at once"
    assert all(p.phase == "Running" for p in c.pods())
    [deleted] = [e for e in c.events(c.replicaset("web")) if e.reason == "SuccessfulDelete"]
    assert deleted.message == f"Deleted pod: {pending[0].name}"


def test_unschedulable_pod_stays_pending_with_failed_scheduling(cluster):
    big = replicaset(replicas=1)
    big["spec"]["template"]["spec"]["containers"][0]["resources"] = {"requests": {"cpu": "8"}}
    cluster.apply(big)
    cluster.advance("1m")
    [pod] = cluster.pods()
    assert pod.phase == "Pending" and pod.node is None
    scheduled = next(c for c in pod.conditions if c["type"] == "PodScheduled")
    assert (scheduled["status"], scheduled["reason"]) == ("False", "Unschedulable")
    expected = (
        "0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: "
        "3 No preemption victims found for incoming pod."
    )
    assert scheduled["message"] == expected
    [event] = cluster.events(pod)
    assert (event.type, event.reason, event.message) == ("Warning", "FailedScheduling", expected)


def test_unschedulable_pod_is_placed_when_capacity_frees_up():
    c = kubesim.Cluster(nodes=[{"name": "only", "cpu": "2"}])
    hog = replicaset("hog", replicas=1, image="app:ignores-sigterm")
    hog["spec"]["template"]["spec"]["containers"][0]["resources"] = {"requests": {"cpu": "1500m"}}
    want = replicaset("want", replicas=1)
    want["spec"]["template"]["spec"]["containers"][0]["resources"] = {"requests": {"cpu": "1"}}
    c.apply(hog)
    c.apply(want)
    [waiting] = c.pods(selector="app=want")
    c.advance("10s")
    assert waiting.node is None
    c.delete("replicaset", "hog")
    c.run_until(lambda: waiting.node == "only", timeout="2m")
    # The hog's running pod holds its CPU until it has terminated (30 s grace period).
    assert c.elapsed == 40


def pod_requesting(name: str, cpu: str) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name},
        "spec": {"containers": [{"name": "c", "image": "nginx:1.25", "resources": {"requests": {"cpu": cpu}}}]},
    }


@pytest.mark.parametrize(
    ("frees_at", "failures", "placed_at"),
    [
        # upstream: an unschedulable pod moved by a change waits out its back-off, 1 s after
        # its first failed attempt, doubled per attempt (calculateBackoffDuration).
        (0.4, 1, 1.0),  # room at 0.4 s: retried when the 1 s back-off is over
        (1.5, 1, 1.5),  # room after the back-off: retried at once
        (1.2, 2, 3.0),  # a change at 0.5 s brings a second failed attempt at 1 s: 2 s more
    ],
)
def test_unschedulable_pods_are_retried_after_their_back_off(frees_at, failures, placed_at):
    c = kubesim.Cluster(nodes=[{"name": "only", "cpu": "2"}])
    c.apply([pod_requesting("hog", "1500m"), pod_requesting("crumb", "100m")])
    c.apply(pod_requesting("want", "1"))
    want = c.pod("want")
    if failures == 2:
        # Freeing 100m is a change that moves the pod, but not room enough for it.
        c.advance("500ms")
        c.delete("pod", "crumb", grace_period=0)
    c.advance(f"{round((frees_at - c.elapsed) * 1000)}ms")
    assert want.node is None and c.elapsed == frees_at
    c.delete("pod", "hog", grace_period=0)
    c.run_until(lambda: want.node == "only", timeout="1m")
    assert c.elapsed == placed_at
    tried = [e for e in c.events(want) if e.reason == "FailedScheduling"]
    assert sum(e.count for e in tried) == failures


@pytest.mark.parametrize(
    ("created_at", "change_at", "reload", "tried_at"),
    [
        # upstream: flushUnschedulablePodsLeftover runs every 30 s from the scheduler's start
        # and moves the pods unschedulable for more than 5 min since their last attempt
        # (DefaultPodMaxInUnschedulablePodsDuration); their back-off is over, so each is tried
        # at that tick.
        (0, None, False, [0, 330, 660, 990]),  # 300 s is not more than 5 min: the 330 s tick
        (7, None, False, [7, 330, 660]),
        (30, None, False, [30, 360, 690]),
        (31, None, True, [31, 360, 690]),  # a saved cluster keeps the flush it was waiting for
        # A change at 100 s tries the pod again (and fails): the 5 min count from there.
        (0, 100, False, [0, 100, 420, 750]),
    ],
)
def test_a_pod_left_unschedulable_is_tried_again_by_the_five_minute_flush(created_at, change_at, reload, tried_at):
    c = kubesim.Cluster(nodes=[{"name": "only", "cpu": "2"}])
    c.apply(pod_requesting("crumb", "100m"))
    if created_at:
        c.advance(f"{created_at}s")
    c.apply(pod_requesting("want", "4"))

    def tried() -> int:
        return sum(e.count for e in c.events(c.pod("want")) if e.reason == "FailedScheduling")

    seen: list[float] = []
    while len(seen) < len(tried_at):
        c.run_until(lambda: tried() > len(seen), timeout="6m")
        seen.append(c.elapsed)
        if change_at is not None and c.elapsed < change_at:
            c.advance(f"{round((change_at - c.elapsed) * 1000)}ms")
            c.delete("pod", "crumb", grace_period=0)  # room for nothing, but a change
        if reload and len(seen) == 1:
            c = pickle.loads(pickle.dumps(c))
    assert seen == tried_at
    assert c.pod("want").node is None


def test_a_wait_without_a_timeout_ends_when_only_the_five_minute_flush_is_pending():
    c = kubesim.Cluster(nodes=[{"name": "only", "cpu": "2"}])
    c.apply(pod_requesting("want", "4"))
    c.advance("10s")
    # The flush would only try the pod again in a cluster that has not changed.
    with pytest.raises(kubesim.TimeoutError, match="nothing pending"):
        c.run_until(lambda: c.pod("want").node is not None)
    assert c.elapsed == 10
    c.apply(workload("StatefulSet", "db", 1, resources={"requests": {"cpu": "4"}}))
    with pytest.raises(kubesim.RolloutTimeoutError, match="nothing pending"):
        c.statefulset("db").rollout.status()
    assert c.elapsed == 10
    # With a timeout, the wait stops at the flush that tries the pod again.
    c.run_until(
        lambda: sum(e.count for e in c.events(c.pod("want")) if e.reason == "FailedScheduling") == 2, timeout="10m"
    )
    assert c.elapsed == 330


def test_a_pod_that_finishes_makes_room_for_an_unschedulable_one():
    c = kubesim.Cluster(nodes=[{"name": "only", "cpu": "2"}])
    c.images.register("job:1", completes_after="5s")
    done = pod_requesting("done", "1500m")
    done["spec"]["restartPolicy"] = "Never"
    done["spec"]["containers"][0]["image"] = "job:1"
    c.apply(done)
    c.apply(pod_requesting("want", "1"))
    want = c.pod("want")
    c.advance("7s")
    assert want.node is None and c.pod("done").phase == "Running"
    # Nothing else changes: the finished pod's release alone brings the pending one back, at
    # once (pulled in 2 s, started in 1 s, done 5 s later).
    c.run_until(lambda: want.node == "only", timeout="1m")
    assert c.elapsed == 8 and c.pod("done").phase == "Succeeded"


def test_node_selector_and_taints_filter_nodes():
    c = kubesim.Cluster(
        nodes=[
            {"name": "plain"},
            {
                "name": "gpu",
                "labels": {"accel": "gpu"},
                "taints": [{"key": "gpu", "value": "true", "effect": "NoSchedule"}],
            },
        ]
    )
    c.apply(replicaset("picky", replicas=1, nodeSelector={"accel": "gpu"}))
    [p] = c.pods()
    assert p.node is None
    msg = next(cond["message"] for cond in p.conditions if cond["type"] == "PodScheduled")
    assert msg == (
        "0/2 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, "
        "1 node(s) had untolerated taint {gpu: true}. preemption: 0/2 nodes are available: "
        "2 Preemption is not helpful for scheduling."
    )
    c.apply(
        replicaset(
            "picky",
            replicas=1,
            nodeSelector={"accel": "gpu"},
            tolerations=[{"key": "gpu", "operator": "Equal", "value": "true", "effect": "NoSchedule"}],
        )
    )
    # A ReplicaSet does not touch existing pods when its template changes: replace the pod.
    assert p.node is None
    c.delete("pod", p.name)
    [q] = c.pods()
    assert q.node == "gpu"


def restart_times(cluster: kubesim.Cluster, pod: kubesim.Pod, restarts: int) -> list[float]:
    times = []
    for n in range(1, restarts + 1):
        cluster.run_until(lambda n=n: pod.restarts >= n, timeout="20m")
        times.append(cluster.elapsed)
    return times


def test_crash_loop_restarts_on_the_upstream_back_off_schedule(cluster):
    cluster.images.register("app:crash", crash_after="5s", exit_code=1)
    cluster.apply(replicaset(image="app:crash", replicas=1))
    [pod] = cluster.pods()
    # Running at 3 s (pull 2 s + start 1 s); each run lasts 5 s; back-off 0, 10, 20, 40, 80, 160, 300 s.
    expected, t = [], 3.0
    for backoff in [0, 10, 20, 40, 80, 160, 300, 300]:
        t += 5 + backoff
        expected.append(t)
    assert restart_times(cluster, pod, 8) == expected
    assert pod.phase == "Running", "a crash-looping pod under restartPolicy Always stays Running"
    cluster.advance("6s")  # crashed again, now waiting out 300 s
    [c] = pod.containers
    assert (c.state, c.reason, c.restart_count) == ("waiting", "CrashLoopBackOff", 8)
    assert not pod.ready
    status = pod.status["containerStatuses"][0]
    assert status["lastState"]["terminated"]["exitCode"] == 1
    assert status["lastState"]["terminated"]["reason"] == "Error"
    assert status["state"]["waiting"]["message"].startswith("back-off 5m0s restarting failed container=c pod=")
    backoffs = [e for e in cluster.events(pod) if e.reason == "BackOff"]
    assert backoffs and backoffs[0].type == "Warning"
    assert backoffs[0].message.startswith(f"Back-off restarting failed container c in pod {pod.name}_default(")


def test_missing_image_shows_err_image_pull_then_back_off_and_stays_pending(cluster):
    cluster.images.register("nginx:1.161", exists=False)
    cluster.apply(replicaset(image="nginx:1.161", replicas=1))
    [pod] = cluster.pods()
    cluster.advance("2s")
    [c] = pod.containers
    assert (c.state, c.reason) == ("waiting", "ErrImagePull")
    cluster.advance("1s")
    [c] = pod.containers
    assert (c.state, c.reason) == ("waiting", "ImagePullBackOff")
    cluster.advance("5m")
    assert pod.phase == "Pending" and not pod.ready
    reasons = {(e.reason, e.message.split(":")[0]) for e in cluster.events(pod)}
    assert ("Failed", "Error") in reasons
    failed = [e for e in cluster.events(pod) if e.reason == "Failed" and e.message.startswith("Failed to pull")]
    assert failed[0].message.startswith('Failed to pull image "nginx:1.161": rpc error: code = NotFound')
    assert failed[0].count > 2, "retried with back-off"


def test_readiness_probe_waits_for_the_app(cluster):
    cluster.images.register("slow:1", ready_after="12s")
    probe = {"httpGet": {"path": "/healthz", "port": 8080}, "periodSeconds": 5, "initialDelaySeconds": 2}
    rs = replicaset(image="slow:1", replicas=1)
    rs["spec"]["template"]["spec"]["containers"][0]["readinessProbe"] = probe
    cluster.apply(rs)
    [pod] = cluster.pods()
    cluster.run_until(lambda: pod.ready, timeout="1m")
    # Started at 3 s; probes at 3+5k s from k=1 (initial delay 2 s); the app answers from 15 s on.
    assert cluster.elapsed == 18
    unhealthy = [e for e in cluster.events(pod) if e.reason == "Unhealthy"]
    assert len(unhealthy) == 1 and unhealthy[0].count == 2
    assert unhealthy[0].message.startswith('Readiness probe failed: Get "http://10.244.')


def test_deleting_a_replicaset_deletes_its_pods_in_the_background(cluster):
    cluster.apply(replicaset())
    cluster.advance("10s")
    pods = owned(cluster)
    rs = cluster.replicaset("web")
    cluster.delete("replicaset", "web")
    assert not rs.exists, "Background: the owner is removed at once"
    assert all(p.deletion_timestamp is not None for p in pods), "pods are terminating"
    cluster.advance("31s")
    assert cluster.pods() == []


def test_a_workloads_pods_are_those_it_controls_whatever_else_is_there():
    c = kubesim.Cluster(nodes=2)
    c.apply([workload(replicas=3), workload(name="web2", replicas=2)])
    c.advance("10s")
    d = c.deployment("web")
    (rs,) = d.replicasets()
    # A pod that names the ReplicaSet as an owner but not as its controller is not its pod.
    bystander = pod_requesting("bystander", "10m")
    bystander["metadata"]["ownerReferences"] = [
        {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": rs.name, "uid": rs.uid, "controller": False}
    ]
    c.apply(bystander)
    mine = sorted(p.name for p in c.pods() if p.name.startswith(rs.name))
    assert [p.name for p in d.pods()] == [p.name for p in rs.pods()] == mine and len(mine) == 3
    d.set_image(main="nginx:1.26")
    c.advance("2s")  # mid-rollout: pods of two ReplicaSets, by name
    both = {r.name for r in d.replicasets()}
    want = sorted(p.name for p in c.pods() if p.name.rsplit("-", 1)[0] in both)
    assert len(both) == 2 and [p.name for p in d.pods()] == want
    assert [p.name for p in c.deployment("web2").pods()] == sorted(p.name for p in c.pods("app=web2"))


def test_orphan_deletion_leaves_the_pods_ownerless(cluster):
    cluster.apply(replicaset())
    cluster.advance("10s")
    names = {p.name for p in owned(cluster)}
    cluster.delete("replicaset", "web", propagation="Orphan")
    cluster.advance("1m")
    assert {p.name for p in cluster.pods()} == names
    assert all(p.owner_references == [] and p.deletion_timestamp is None for p in cluster.pods())


def test_foreground_deletion_waits_for_the_pods(cluster):
    cluster.apply(replicaset(image="app:ignores-sigterm"))
    cluster.advance("10s")
    cluster.delete("replicaset", "web", propagation="Foreground")
    rs = cluster.replicaset("web")
    assert rs.deletion_timestamp is not None and "foregroundDeletion" in rs.metadata["finalizers"]
    cluster.advance("29s")
    assert rs.exists, "the owner stays while its pods terminate"
    cluster.advance("2s")
    assert not rs.exists and cluster.pods() == []


def test_node_failure_evicts_pods_after_the_toleration_and_replaces_them():
    c = kubesim.Cluster(nodes=3)
    c.apply(replicaset(replicas=6))
    c.advance("10s")
    on_node2 = [p for p in c.pods() if p.node == "node-2"]
    assert on_node2
    c.node("node-2").fail()
    c.advance("41s")
    node = c.node("node-2")
    assert not node.ready
    assert {t["key"] for t in node.taints} == {"node.kubernetes.io/unreachable"}
    assert all(not p.ready for p in on_node2)
    c.advance("300s")
    # Evicted: terminating forever (the kubelet is gone), replaced elsewhere.
    assert all(p.deletion_timestamp is not None for p in on_node2)
    active = [p for p in owned(c) if p.deletion_timestamp is None]
    assert len(active) == 6 and all(p.node != "node-2" for p in active)
    c.advance("1m")
    assert all(p.ready for p in active)
    c.node("node-2").recover()
    c.advance("35s")
    assert c.node("node-2").ready
    assert not any(p.exists for p in on_node2), "the returning kubelet finishes the evicted pods"


def dump(cluster: kubesim.Cluster) -> str:
    return json.dumps([(e.type, e.resource_version, e.object) for e in cluster.watch(since=0)], sort_keys=True)


def scenario(threads: int, seed: int = 7) -> str:
    c = kubesim.Cluster(nodes=4, seed=seed, threads=threads)
    c.images.register("app:crash", crash_after="20s")
    c.apply(replicaset("web", replicas=12))
    c.apply(replicaset("crash", replicas=3, image="app:crash"))
    c.advance("30s")
    c.patch("replicaset", "web", {"spec": {"replicas": 5}})
    c.node("node-3").fail()
    c.advance("7m")
    c.delete("replicaset", "crash")
    c.advance("1m")
    return dump(c)


def test_history_is_identical_for_repeated_runs_and_thread_counts():
    one = scenario(threads=1)
    assert one == scenario(threads=1)
    assert one == scenario(threads=2)
    assert one != scenario(threads=1, seed=8)


def busy_scenario(threads: int) -> list[str]:
    """Enough pods that rounds run on the pool (rollouts, a crash loop, a failed node, every
    deletion propagation), with the whole state taken after each step."""
    c = kubesim.Cluster(nodes=6, seed=3, threads=threads)
    c.images.register("app:crash", crash_after="20s")
    for i in range(6):
        c.apply(workload("Deployment", f"web-{i}", 25, "nginx:1.25", container="c"))
    c.apply(replicaset("crash", replicas=30, image="app:crash"))
    states = []

    def state() -> None:
        kinds = ["pod", "replicaset", "deployment", "event"]
        states.append(json.dumps([o.to_dict() for k in kinds for o in c.list(k, namespace=None)], sort_keys=True))

    c.advance("30s")
    state()
    for i in range(3):
        c.deployment(f"web-{i}").set_image(c="nginx:1.27")
    c.advance("20s")
    state()
    c.replicaset("crash").scale(10)
    c.node("node-2").fail()
    c.advance("6m")
    state()
    c.delete("deployment", "web-0", propagation="Foreground")
    c.delete("deployment", "web-1", propagation="Orphan")
    c.delete("deployment", "web-2")
    c.advance("1m")
    state()
    return states


def test_a_busy_history_is_identical_whatever_the_thread_count():
    one = busy_scenario(threads=1)
    assert len(json.loads(one[0])) > 200
    assert one == busy_scenario(threads=2)


def test_liveness_failure_kills_and_restarts_the_container(cluster):
    cluster.images.register("leaky:1", liveness_fails_after="30s")
    probe = {"tcpSocket": {"port": 80}, "periodSeconds": 10, "failureThreshold": 3}
    rs = replicaset(image="leaky:1", replicas=1)
    rs["spec"]["template"]["spec"]["containers"][0]["livenessProbe"] = probe
    cluster.apply(rs)
    [pod] = cluster.pods()
    cluster.run_until(lambda: pod.restarts == 1, timeout="5m")
    # Started at 3 s; probes fail from the tick at 3+30 s; the third failure (3+50 s) kills it.
    assert cluster.elapsed == 53
    reasons = [e.reason for e in cluster.events(pod)]
    assert "Unhealthy" in reasons and "Killing" in reasons
    killing = next(e for e in cluster.events(pod) if e.reason == "Killing")
    assert killing.message == "Container c failed liveness probe, will be restarted"
    assert pod.status["containerStatuses"][0]["lastState"]["terminated"]["exitCode"] == 137


def test_oom_killed_and_completed_exits_are_reported(cluster):
    cluster.images.register("hog:1", crash_after="4s", exit_code=137)
    cluster.images.register("job:1", completes_after="4s")
    cluster.apply(replicaset("hog", image="hog:1", replicas=1))
    cluster.apply(replicaset("job", image="job:1", replicas=1))
    cluster.advance("7s")
    for name, reason, code in [("hog", "OOMKilled", 137), ("job", "Completed", 0)]:
        [p] = cluster.pods(selector=f"app={name}")
        last = p.status["containerStatuses"][0]["lastState"]["terminated"]
        assert (last["reason"], last["exitCode"]) == (reason, code)
        assert p.restarts == 1, "restartPolicy Always restarts even a clean exit"


def test_many_replicas_are_created_in_bursts_of_at_most_500(cluster):
    c = kubesim.Cluster(nodes=[{"name": f"n{i}", "pods": 500} for i in range(3)], events=False)
    c.apply(replicaset(replicas=1200))
    assert c.stats()["pods"] == 1200
    c.advance("5s")
    assert c.stats()["pods_ready"] == 1200


def test_stats_count_what_is_stored_through_rollouts_failures_deletes_and_a_reload():
    c = kubesim.Cluster(nodes=3, seed=3)
    c.apply(workload(replicas=6))
    job = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "flaky"},
        "spec": {
            "backoffLimit": 2,
            "template": {"spec": {"restartPolicy": "Never", "containers": [{"name": "c", "image": "fail:1"}]}},
        },
    }
    c.apply(job)

    def recount(c):
        want = {}
        for kind in ("namespaces", "nodes", "deployments", "replicasets", "pods", "events", "jobs", "endpoints"):
            want[kind] = len(c.kubectl(f"get {kind} -A -o name").split())
        pods = c.pods()
        for p in pods:
            key = f"pods_{p.phase.lower()}"
            want[key] = want.get(key, 0) + 1
        for key, n in (
            ("pods_ready", sum(p.ready for p in pods)),
            ("pods_terminating", sum(p.deletion_timestamp is not None for p in pods)),
        ):
            if n:
                want[key] = n
        return want

    def check(c):
        stats = c.stats()
        want = recount(c)
        assert {k: stats.get(k, 0) for k in want} == want
        assert {k for k in stats if k.startswith("pods_")} == {k for k in want if k.startswith("pods_")}

    for step in ("apply", "ready", "rollout", "failed node", "evicted", "deleted", "reload"):
        if step == "ready":
            c.advance("30s")
        elif step == "rollout":
            c.deployment("web").set_image(main="nginx:1.26")
            c.advance("2s")
        elif step == "failed node":
            c.node(c.pods()[0].node).fail()
            c.advance("1m")
        elif step == "evicted":
            c.advance("6m")
            assert c.stats().get("pods_terminating", 0) > 0, "the failed node's pods are terminating"
        elif step == "deleted":
            c.delete("deployment", "web")
            c.advance("1s")
        elif step == "reload":
            c = pickle.loads(pickle.dumps(c))
            c.advance("1m")
        check(c)


def test_events_of_an_object_are_those_about_its_uid_not_an_earlier_one_of_that_name():
    c = kubesim.Cluster(nodes=1)
    c.apply(pod_requesting("p", "100m"))
    c.advance("10s")
    first = [e.reason for e in c.events(c.pod("p"))]
    assert "Scheduled" in first and "Started" in first
    c.delete("pod", "p", grace_period=0)
    c.apply(pod_requesting("p", "100"))  # the same name, a new uid, and room for none
    c.advance("1s")
    assert [e.reason for e in c.events(c.pod("p"))] == ["FailedScheduling"]
    assert {e.reason for e in c.events()} >= set(first) | {"FailedScheduling"}


def test_events_expire_an_hour_after_they_last_happened(cluster, examples):
    cluster.apply(examples / "redis-pod.yaml")
    pod = cluster.pod("redis-master")
    cluster.advance("30m")
    assert len(cluster.events(pod)) == 5
    cluster.advance("31m")
    assert cluster.events(pod) == [], "kube-apiserver's default --event-ttl is 1h"


def test_a_failed_node_is_reported_once_and_its_status_is_not_reverted(cluster):
    # upstream: the node's status changes only through the status subresource, so the taint
    # update that follows cannot put the old Ready condition back (and the event is not repeated).
    rv = cluster.resource_version
    cluster.node("node-2").fail()
    cluster.advance("1m")
    ready = [
        next(x["status"] for x in e.object["status"]["conditions"] if x["type"] == "Ready")
        for e in cluster.watch(since=rv, kind="node")
    ]
    assert ready and all(s == "Unknown" for s in ready), ready
    [event] = [e for e in cluster.events(cluster.node("node-2"), namespace="default") if e.reason == "NodeNotReady"]
    assert event.to_dict()["count"] == 1


def test_a_dependent_whose_owner_does_not_exist_is_collected_and_one_whose_owner_does_stays(cluster):
    cluster.apply(replicaset(replicas=0))
    uid = cluster.replicaset("web").uid

    def bare(name: str, owner_uid: str) -> dict:
        ref = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web", "uid": owner_uid}
        return {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": name, "ownerReferences": [ref]},
            "spec": {"containers": [{"name": "c", "image": "nginx:1.25"}]},
        }

    # upstream: the garbage collector deletes a dependent once none of its owners exist (a
    # ReplicaSet named "web" exists, but not with this uid).
    cluster.apply(bare("ghost-owned", "0d1f6e9a-0000-4000-8000-000000000000"))
    cluster.apply(bare("really-owned", uid))
    cluster.advance("1m")
    assert [p.name for p in cluster.pods()] == ["really-owned"]


def test_foreground_deletion_of_a_deployment_cascades_through_its_replicaset(cluster, examples):
    # The ReplicaSet goes when the garbage collector takes its last finalizer away; its owner,
    # waiting in the foreground for it, must then go too.
    cluster.apply(examples / "nginx-deployment.yaml")
    cluster.advance("30s")
    cluster.delete("deployment", "nginx-deployment", propagation="Foreground")
    cluster.advance("2m")
    assert cluster.pods() == []
    assert cluster.replicasets() == []
    assert cluster.deployments() == []


def test_a_user_taking_the_last_finalizer_off_a_deleted_owner_removes_it_and_its_dependents(cluster, examples):
    cluster.apply(examples / "nginx-deployment.yaml")
    cluster.patch("deployment", "nginx-deployment", {"metadata": {"finalizers": ["example.com/keep"]}})
    cluster.advance("30s")
    cluster.delete("deployment", "nginx-deployment")
    cluster.advance("1m")
    # upstream: a finalizer holds the owner (and, in the background, its dependents) in place.
    assert cluster.deployment("nginx-deployment").deletion_timestamp is not None
    assert len(cluster.replicasets()) == 1
    cluster.patch("deployment", "nginx-deployment", {"metadata": {"finalizers": None}})
    assert cluster.deployments() == []
    cluster.advance("1m")
    assert cluster.replicasets() == []
    assert cluster.pods() == []
