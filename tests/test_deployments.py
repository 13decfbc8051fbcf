"""Deployments: the seed walkthrough, rolling-update arithmetic, Recreate, scaling, history."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kubesim
from kubesim.testing import workload


def deployment(name: str = "web", replicas: int = 10, image: str = "nginx:1.25", **spec) -> dict:
    return workload("Deployment", name, replicas, image, container="c", **spec)


def sizes(d: kubesim.Deployment) -> list[int]:
    return [rs.replicas for rs in d.replicasets()]


def test_seed_walkthrough(cluster, examples):
    cluster.apply(examples / "nginx-deployment.yaml")
    d = cluster.deployment("nginx-deployment")
    assert d.rollout.status()[-1] == 'deployment "nginx-deployment" successfully rolled out'
    assert (d.available_replicas, d.revision) == (3, 1)
    [first] = d.replicasets()
    assert first.name.startswith("nginx-deployment-")
    assert set(first.name.rsplit("-", 1)[1]) <= set("456789bcdf")
    assert first.labels["pod-template-hash"] == first.name.rsplit("-", 1)[1]

    assert d.set_image(nginx="nginx:1.9.1", record=True) == "deployment.apps/nginx-deployment image updated"
    d.rollout.status()
    first_rs, second = d.replicasets()
    assert (first_rs.replicas, second.replicas, d.revision) == (0, 3, 2)
    history = d.rollout.history()
    assert [(h.revision, h.change_cause) for h in history] == [
        (1, None),
        (2, "kubectl set image deployment/nginx-deployment nginx=nginx:1.9.1 --record=true"),
    ]
    assert d.set_image(nginx="nginx:1.9.1") == "", "no change, no new revision"
    assert d.revision == 2

    assert d.rollout.undo() == "deployment.apps/nginx-deployment rolled back"
    d.rollout.status()
    assert [rs.name for rs in d.replicasets()] == [first.name, second.name], "no new ReplicaSet"
    reused = cluster.replicaset(first.name)
    assert reused.annotations["deployment.kubernetes.io/revision"] == "3"
    assert reused.annotations["deployment.kubernetes.io/revision-history"] == "1"
    assert [h.revision for h in d.rollout.history()] == [2, 3]
    assert d.rollout.undo(to_revision=3).endswith("skipped rollback (current template already matches revision 3)")

    d.scale(10)
    cluster.advance("10s")
    assert (d.replicas, d.available_replicas, sizes(d)) == (10, 10, [10, 0])


def watch_bounds(c: kubesim.Cluster, d: kubesim.Deployment, until: float) -> tuple[int, int]:
    """Largest total of ReplicaSet pods and smallest availability seen, second by second."""
    most, least = 0, 10**9
    while c.elapsed < until:
        most = max(most, sum(rs.status_replicas for rs in d.replicasets()))
        least = min(least, d.available_replicas)
        c.advance("1s")
    return most, least


def test_rolling_update_first_step_and_bounds(cluster):
    cluster.images.register("app:*", ready_after=None)
    cluster.apply(deployment(image="app:1"))
    d = cluster.deployment("web")
    d.rollout.status()
    d.set_image(c="app:2")
    old, new = d.replicasets()
    # 10 replicas at 25%/25%: surge 3 (round up), unavailable 2 (round down). The first sync
    # creates the new RS at 3 and scales the old to 8; the next grows the new to 13 − 8 = 5.
    scaled = [e.message for e in cluster.events(d)][1:]
    assert scaled[:3] == [
        f"Scaled up replica set {new.name} from 0 to 3",
        f"Scaled down replica set {old.name} from 10 to 8",
        f"Scaled up replica set {new.name} from 3 to 5",
    ]
    most, least = watch_bounds(cluster, d, cluster.elapsed + 60)
    assert most <= 13 and least >= 8
    assert sizes(d) == [0, 10]


@pytest.mark.parametrize(
    ("surge", "unavailable", "first_step"),
    [
        ("25%", "25%", ["up new 0→3", "down old 10→8"]),
        ("39%", "39%", ["up new 0→4", "down old 10→7"]),
        (0, 1, ["down old 10→9"]),  # the new RS starts at 0 (no event), then grows as old shrinks
        (5, 0, ["up new 0→5"]),
        ("100%", 0, ["up new 0→10"]),
    ],
)
def test_first_step_follows_resolve_fenceposts(cluster, surge, unavailable, first_step):
    strategy = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": surge, "maxUnavailable": unavailable}}
    cluster.apply(deployment(strategy=strategy))
    d = cluster.deployment("web")
    d.rollout.status()
    d.set_image(c="nginx:1.26")
    old, new = d.replicasets()
    names = {new.name: "new", old.name: "old"}
    steps = []
    for e in cluster.events(d)[1:]:
        _, direction, _, _, rs, _, a, _, b = e.message.split(" ")
        steps.append(f"{direction} {names[rs]} {a}→{b}")
    assert steps[: len(first_step)] == first_step


def test_proportional_scaling_mid_rollout(cluster):
    cluster.images.register("never:ready", ready_after="1h")
    probe = {"exec": {"command": ["true"]}, "periodSeconds": 10}
    manifest = deployment(
        replicas=5, strategy={"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 2}}
    )
    cluster.apply(manifest)
    d = cluster.deployment("web")
    d.rollout.status()
    stuck = deployment(replicas=5, image="never:ready", strategy=manifest["spec"]["strategy"])
    stuck["spec"]["template"]["spec"]["containers"][0]["readinessProbe"] = probe
    cluster.apply(stuck)
    cluster.advance("30s")
    assert sizes(d) == [3, 2]
    d.scale(10)
    # upstream: 5 → 10 with ReplicaSets of 3 and 2 gives 6 and 4 (annotated max-replicas 5).
    assert sizes(d) == [6, 4]


def test_recreate_never_runs_old_and_new_pods_together(cluster):
    cluster.images.register("app:*", stop="5s")
    cluster.apply(deployment(replicas=4, image="app:1", strategy={"type": "Recreate"}))
    d = cluster.deployment("web")
    d.rollout.status()
    d.set_image(c="app:2")
    while cluster.elapsed < 60:
        running = {p.spec["containers"][0]["image"] for p in cluster.pods() if p.phase == "Running"}
        assert len(running) <= 1, running
        cluster.advance("500ms")
    assert d.available_replicas == 4 and sizes(d) == [0, 4]


def test_revision_history_limit_keeps_that_many_old_replicasets(cluster):
    cluster.apply(deployment(replicas=1, revisionHistoryLimit=2))
    d = cluster.deployment("web")
    for i in range(5):
        d.set_image(c=f"nginx:1.{i}")
        d.rollout.status()
    assert len(d.replicasets()) == 3, "the new one and two old ones"
    assert [h.revision for h in d.rollout.history()] == [4, 5, 6]


def test_missing_image_exceeds_the_progress_deadline_and_undo_recovers(cluster):
    cluster.images.register("nginx:1.161", exists=False)
    cluster.apply(deployment(replicas=3, progressDeadlineSeconds=60))
    d = cluster.deployment("web")
    d.rollout.status()
    started = cluster.elapsed
    d.set_image(c="nginx:1.161")
    with pytest.raises(kubesim.RolloutTimeoutError) as info:
        d.rollout.status()
    assert str(info.value) == 'deployment "web" exceeded its progress deadline'
    progressing = next(c for c in d.conditions if c["type"] == "Progressing")
    assert (progressing["status"], progressing["reason"]) == ("False", "ProgressDeadlineExceeded")
    assert progressing["message"] == f'ReplicaSet "{d.replicasets()[-1].name}" has timed out progressing.'
    # No progress after the new pods were created: the controller looks again 60 s + 1 s later.
    assert cluster.elapsed - started == 61
    d.rollout.undo()
    assert d.rollout.status()[-1] == 'deployment "web" successfully rolled out'


def test_pause_resume_and_restart(cluster):
    cluster.apply(deployment(replicas=2))
    d = cluster.deployment("web")
    d.rollout.status()
    assert d.rollout.pause() == "deployment.apps/web paused"
    with pytest.raises(kubesim.InvalidArgumentError, match='deployments.apps "web" is already paused'):
        d.rollout.pause()
    d.set_image(c="nginx:1.26")
    cluster.advance("10s")
    assert len(d.replicasets()) == 1, "paused: no new ReplicaSet"
    progressing = next(c for c in d.conditions if c["type"] == "Progressing")
    assert (progressing["status"], progressing["reason"]) == ("Unknown", "DeploymentPaused")
    # upstream: the revision to go back to is looked up before the paused check.
    with pytest.raises(kubesim.InvalidArgumentError, match='no rollout history found for deployment "web"'):
        d.rollout.undo()
    assert d.rollout.resume() == "deployment.apps/web resumed"
    d.rollout.status()
    assert len(d.replicasets()) == 2 and d.revision == 2
    cluster.advance("5s")
    expected = cluster.now.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert d.rollout.restart() == "deployment.apps/web restarted"
    d.rollout.status()
    newest = d.replicasets()[-1]
    restarted = newest.to_dict()["spec"]["template"]["metadata"]["annotations"]["kubectl.kubernetes.io/restartedAt"]
    assert restarted == expected, "RFC 3339 from the virtual clock"
    assert d.revision == 3


def test_set_image_on_an_unknown_container_is_an_error(cluster, examples):
    cluster.apply(examples / "nginx-deployment.yaml")
    with pytest.raises(kubesim.InvalidArgumentError, match='unable to find container named "foo"'):
        cluster.deployment("nginx-deployment").set_image(foo="x")


@pytest.mark.parametrize(
    ("images", "record"),
    [({"web": "nginx:1.26"}, False), ({"init": "busybox:2"}, True), ({"*": "app:9", "web": "nginx:1.27"}, True)],
)
def test_set_image_writes_what_a_merge_patch_of_the_containers_writes(images, record):
    """`set_image` changes the containers in the core: the history is the one a merge patch of
    the containers (with their images changed, as kubectl's patch has them) makes."""
    manifest = deployment(replicas=3)
    spec = manifest["spec"]["template"]["spec"]
    spec["initContainers"] = [{"name": "init", "image": "busybox:1"}]
    spec["containers"] = [{"name": "web", "image": "nginx:1.25"}, {"name": "side", "image": "app:1"}]
    patched = kubesim.Cluster(nodes=2, seed=5)
    patched.apply(manifest)
    patched.advance("20s")
    native = patched.fork()
    d = native.deployment("web")
    assert d.set_image(record=record, **images) == "deployment.apps/web image updated"
    # The same change as a merge patch of both container lists.
    tmpl = patched.deployment("web").to_dict()["spec"]["template"]["spec"]
    for c in [*tmpl["initContainers"], *tmpl["containers"]]:
        c["image"] = images.get(c["name"], images.get("*", c["image"]))
    patch: dict = {"spec": {"template": {"spec": {k: tmpl[k] for k in ("initContainers", "containers")}}}}
    if record:
        args = " ".join(f"{k}={v}" for k, v in images.items())
        cause = f"kubectl set image deployment/web {args} --record=true"
        patch["metadata"] = {"annotations": {"kubernetes.io/change-cause": cause}}
    patched.patch("deployment", "web", patch)
    for c in (native, patched):
        c.advance("2m")
    assert native.deployment("web").to_dict() == patched.deployment("web").to_dict()
    listing = "get pods,replicasets -o yaml"
    assert native.kubectl(listing) == patched.kubectl(listing)
    # Once more: nothing changes, nothing is written.
    rv = native._native.resource_version
    assert d.set_image(**images) == "" and native._native.resource_version == rv


def test_status_counts_follow_upstream(cluster):
    cluster.apply(deployment(replicas=4))
    d = cluster.deployment("web")
    st = d.status
    # Right after creation: pods exist but none is available; unavailable counts spec replicas.
    assert (st.get("replicas"), st.get("updatedReplicas"), st.get("unavailableReplicas")) == (4, 4, 4)
    available = next(c for c in d.conditions if c["type"] == "Available")
    assert (available["status"], available["reason"]) == ("False", "MinimumReplicasUnavailable")
    d.rollout.status()
    available = next(c for c in d.conditions if c["type"] == "Available")
    assert (available["status"], available["reason"]) == ("True", "MinimumReplicasAvailable")
    assert d.status.get("unavailableReplicas") is None


def fenceposts(replicas: int, surge: str | int, unavailable: str | int) -> tuple[int, int]:
    """upstream: ResolveFenceposts (surge rounds up, unavailable down, both 0 ⇒ 1)."""

    def scaled(v: str | int, up: bool) -> int:
        if isinstance(v, int):
            return v
        p = int(v.rstrip("%"))
        return -(-p * replicas // 100) if up else p * replicas // 100

    s, u = scaled(surge, True), scaled(unavailable, False)
    return (0, 1) if s == 0 and u == 0 else (s, min(u, replicas))


percent_or_int = st.one_of(st.sampled_from(["0%", "10%", "25%", "50%", "100%"]), st.integers(0, 3))


@settings(max_examples=15, deadline=None)
@given(
    replicas=st.integers(1, 12),
    surge=percent_or_int,
    unavailable=percent_or_int,
    ready_after=st.integers(0, 25),
    scale_to=st.one_of(st.none(), st.integers(0, 15)),
    seed=st.integers(0, 3),
)
def test_random_rollouts_keep_their_bounds_and_complete(replicas, surge, unavailable, ready_after, scale_to, seed):
    c = kubesim.Cluster(nodes=4, seed=seed, events=False)
    c.images.register("app:*", ready_after=f"{ready_after}s")
    strategy = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": surge, "maxUnavailable": unavailable}}
    manifest = deployment(replicas=replicas, image="app:1", strategy=strategy)
    manifest["spec"]["template"]["spec"]["containers"][0]["readinessProbe"] = {
        "exec": {"command": ["ready"]},
        "periodSeconds": 2,
    }
    try:
        c.apply(manifest)
    except kubesim.InvalidObjectError:
        return  # both 0: rejected by validation, as the API server does
    d = c.deployment("web")
    d.rollout.status(timeout="10m")
    d.set_image(c="app:2")
    want = replicas
    for step in range(120):
        if scale_to is not None and step == 5:
            d.scale(scale_to)
            want = scale_to
        s, u = fenceposts(want, surge, unavailable)
        counted = sum(rs.status_replicas for rs in d.replicasets())
        assert counted <= want + s or step <= 5, (step, counted, want, s)
        if scale_to is None and step > 0:
            assert d.available_replicas >= want - u, (step, d.available_replicas, want, u)
        c.advance("1s")
    d.rollout.status(timeout="10m")
    assert d.available_replicas == want and d.updated_replicas == want
    history = d.rollout.history()
    assert [h.revision for h in history] == [1, 2]
    assert history[-1].template["spec"]["containers"][0]["image"] == "app:2"
    assert sizes(d) == [0, want]


def test_scaling_while_paused_is_proportional_and_leftover_goes_to_the_largest(cluster):
    cluster.images.register("never:ready", ready_after="1h")
    strategy = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 3}}
    cluster.apply(deployment(replicas=7, strategy=strategy))
    d = cluster.deployment("web")
    d.rollout.status()
    stuck = deployment(replicas=7, image="never:ready", strategy=strategy)
    stuck["spec"]["template"]["spec"]["containers"][0]["readinessProbe"] = {"exec": {"command": ["x"]}}
    cluster.apply(stuck)
    cluster.advance("20s")
    assert sizes(d) == [4, 3]
    d.rollout.pause()
    d.scale(10)
    # 4*10/7 = 5.71 → 6 (+2), 3*10/7 = 4.29 → 4 (+1): 3 added, as asked; no new ReplicaSet.
    assert sizes(d) == [6, 4]
    d.scale(5)
    # 6*5/10 = 3 (-3), 4*5/10 = 2 (-2).
    assert sizes(d) == [3, 2]
    d.scale(6)
    # 3*6/5 = 3.6 → 4 (+1), 2*6/5 = 2.4 → 2 (+0); leftover 0.
    assert sizes(d) == [4, 2]


def test_a_taken_replicaset_name_bumps_the_collision_count(cluster):
    probe = kubesim.Cluster(nodes=1)
    probe.apply(deployment(replicas=1))
    [rs] = probe.deployment("web").replicasets()
    squatter = {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {"name": rs.name},
        "spec": {
            "replicas": 0,
            "selector": {"matchLabels": {"other": "x"}},
            "template": {
                "metadata": {"labels": {"other": "x"}},
                "spec": {"containers": [{"name": "c", "image": "busybox"}]},
            },
        },
    }
    cluster.apply(squatter)
    cluster.apply(deployment(replicas=1))
    d = cluster.deployment("web")
    d.rollout.status()
    assert d.status["collisionCount"] == 1
    [mine] = d.replicasets()
    assert mine.name != rs.name and mine.name.startswith("web-")


def test_rollout_status_says_when_nothing_can_change_the_outcome(cluster):
    cluster.images.register("never:ready", ready_after="100h")
    manifest = deployment(replicas=1, image="never:ready", progressDeadlineSeconds=2147483647)
    manifest["spec"]["template"]["spec"]["containers"][0]["readinessProbe"] = {
        "exec": {"command": ["x"]},
        "periodSeconds": 1,
    }
    cluster.apply(manifest)
    with pytest.raises(kubesim.RolloutTimeoutError) as info:
        cluster.deployment("web").rollout.status(timeout="2m")
    assert str(info.value) == "timed out waiting for the condition"
    assert info.value.messages[0].startswith('Waiting for deployment "web" rollout to finish')
    assert cluster.elapsed == 120


def test_min_ready_seconds_delays_availability(cluster):
    cluster.apply(deployment(replicas=2, minReadySeconds=10))
    d = cluster.deployment("web")
    cluster.run_until(lambda: d.ready_replicas == 2, timeout="1m")
    ready_at = cluster.elapsed
    assert d.available_replicas == 0
    cluster.run_until(lambda: d.available_replicas == 2, timeout="1m")
    # upstream: the ReplicaSet looks again minReadySeconds + 1 s after a pod turns Ready.
    assert cluster.elapsed - ready_at == 11


def test_a_resumed_stuck_rollout_still_times_out(cluster):
    cluster.images.register("nginx:broken", exists=False)
    cluster.apply(deployment(replicas=2, progressDeadlineSeconds=60))
    d = cluster.deployment("web")
    d.rollout.status()
    d.rollout.pause()
    d.set_image(c="nginx:broken")
    d.rollout.resume()
    with pytest.raises(kubesim.RolloutTimeoutError, match="exceeded its progress deadline"):
        d.rollout.status(timeout="10m")


def test_scaling_down_mid_rollout_never_scales_an_old_replicaset_up(cluster):
    cluster.images.register("slow:*", ready_after="20s")
    manifest = deployment(replicas=10, image="slow:1")
    manifest["spec"]["template"]["spec"]["containers"][0]["readinessProbe"] = {"exec": {"command": ["x"]}}
    cluster.apply(manifest)
    d = cluster.deployment("web")
    d.rollout.status()
    d.set_image(c="slow:2")
    cluster.advance("5s")
    d.scale(2)
    d.rollout.status(timeout="10m")
    old_name = d.replicasets()[0].name
    ups = [e.message for e in cluster.events(d) if e.message.startswith(f"Scaled up replica set {old_name}")]
    assert ups == [f"Scaled up replica set {old_name} from 0 to 10"]


def test_an_adopted_orphan_replicaset_stays_adopted(cluster):
    cluster.apply(deployment(replicas=2))
    d = cluster.deployment("web")
    d.rollout.status()
    [rs] = d.replicasets()
    cluster.delete("deployment", "web", propagation="Orphan")
    cluster.advance("1s")
    assert cluster.replicaset(rs.name).owner_references == []
    cluster.apply(deployment(replicas=2))
    d = cluster.deployment("web")
    cluster.advance("5s")
    assert [r.name for r in d.replicasets()] == [rs.name], "adopted and reused as the new ReplicaSet"
    assert cluster.replicaset(rs.name).owner_references[0]["uid"] == d.uid


def test_recreate_reports_progress_without_a_new_replicaset(cluster):
    cluster.apply(deployment(replicas=2, strategy={"type": "Recreate"}))
    d = cluster.deployment("web")
    d.rollout.status()
    d.set_image(c="nginx:1.26")
    cluster.advance("1s")
    messages = [c.get("message", "") for c in d.conditions]
    assert not any('ReplicaSet ""' in m for m in messages), messages


def test_a_name_too_long_for_its_replicaset_stops_the_rollout_with_upstreams_condition():
    # upstream: getNewReplicaSet's failed create. The ReplicaSet is named "<deployment>-<hash>",
    # and the API server refuses a name past 253 characters: the Progressing condition turns
    # False with reason ReplicaSetCreateError, and no ReplicaSet or pod is made. (Its Warning
    # Event is refused too: an Event is named "<object>.<hex>", past 253 as well.)
    c = kubesim.Cluster(nodes=2, seed=0)
    name = "a" * 250
    web = {"matchLabels": {"app": "web"}}
    template = {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}}
    spec = {"replicas": 2, "selector": web, "template": template}
    c.apply({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name}, "spec": spec})
    c.advance("1m")
    assert c.replicasets() == [] and c.pods() == []
    (cond,) = c.deployment(name).to_dict()["status"]["conditions"]
    assert (cond["type"], cond["status"], cond["reason"]) == ("Progressing", "False", "ReplicaSetCreateError")
    assert re.fullmatch(
        f'Failed to create new replica set "(?P<rs>{name}-[a-z0-9]+)": ReplicaSet.apps "(?P=rs)" is invalid: '
        'metadata.name: Invalid value: "(?P=rs)": must be no more than 253 characters',
        cond["message"],
    ), cond["message"]
    assert [e.reason for e in c.events()] == []
    with pytest.raises(kubesim.KubectlError, match="timed out"):
        c.kubectl(f"rollout status deployment/{name} --timeout=30s")
