"""StatefulSets: ordinal pods created and deleted in order (or in parallel), claims made from
volume claim templates, revisions, RollingUpdate down to the partition, OnDelete, retention."""

import pytest

import kubesim


def statefulset(name="web", replicas=3, policy=None, strategy=None, retention=None, claims=True):
    spec = {
        "serviceName": "nginx",
        "replicas": replicas,
        "selector": {"matchLabels": {"app": name}},
        "template": {
            "metadata": {"labels": {"app": name}},
            "spec": {
                "containers": [
                    {"name": "nginx", "image": "nginx:1.25", "volumeMounts": [{"name": "www", "mountPath": "/www"}]}
                ]
            },
        },
    }
    if claims:
        spec["volumeClaimTemplates"] = [
            {
                "metadata": {"name": "www"},
                "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
            }
        ]
    else:
        spec["template"]["spec"]["containers"][0].pop("volumeMounts")
    if policy:
        spec["podManagementPolicy"] = policy
    if strategy:
        spec["updateStrategy"] = strategy
    if retention:
        spec["persistentVolumeClaimRetentionPolicy"] = retention
    return {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": name}, "spec": spec}


def names(objs):
    return [o.name for o in objs]


def set_image(c, image, name="web"):
    c.patch("statefulset", name, {"spec": {"template": {"spec": {"containers": [{"name": "nginx", "image": image}]}}}})


def test_ordered_ready_creates_one_pod_at_a_time_in_ordinal_order():
    c = kubesim.Cluster(nodes=3, seed=1)
    [r] = c.apply(statefulset())
    assert str(r) == "statefulset.apps/web created"
    sts = c.statefulset("web")
    assert names(sts.pods()) == ["web-0"]
    c.run_until(lambda: sts.ready_replicas == 3, timeout="2m")
    pods = sts.pods()
    assert names(pods) == ["web-0", "web-1", "web-2"]
    created = [p.creation_timestamp for p in pods]
    assert created == sorted(created) and len(set(created)) == 3, "each waits for the one before to be ready"
    messages = [e.message for e in c.events(sts)][:4]
    assert messages == [
        "create Claim www-web-0 Pod web-0 in StatefulSet web success",
        "create Pod web-0 in StatefulSet web successful",
        "create Claim www-web-1 Pod web-1 in StatefulSet web success",
        "create Pod web-1 in StatefulSet web successful",
    ]


def test_parallel_creates_every_pod_at_once():
    c = kubesim.Cluster(nodes=3, seed=2)
    c.apply(statefulset(policy="Parallel"))
    assert names(c.statefulset("web").pods()) == ["web-0", "web-1", "web-2"]


def test_pods_carry_their_identity_and_claims():
    c = kubesim.Cluster(nodes=3, seed=3)
    c.apply(statefulset(replicas=2))
    sts = c.statefulset("web")
    c.run_until(lambda: sts.ready_replicas == 2, timeout="2m")
    pod = c.pod("web-1")
    revision = sts.update_revision
    assert pod.labels == {
        "app": "web",
        "statefulset.kubernetes.io/pod-name": "web-1",
        "apps.kubernetes.io/pod-index": "1",
        "controller-revision-hash": revision,
    }
    assert (pod.spec["hostname"], pod.spec["subdomain"]) == ("web-1", "nginx")
    assert {"name": "www", "persistentVolumeClaim": {"claimName": "www-web-1"}} in pod.spec["volumes"]
    claims = c.pvcs()
    assert names(claims) == ["www-web-0", "www-web-1"]
    assert {p.phase for p in claims} == {"Bound"}
    assert claims[0].labels == {"app": "web"}
    assert claims[0].volume_name == f"pvc-{claims[0].uid}"
    assert sts.current_revision == revision and revision.startswith("web-")
    [rev] = sts.revisions()
    assert rev.name == revision and rev.labels["controller.kubernetes.io/hash"] == revision.removeprefix("web-")


def test_kubectl_get_and_describe_statefulset_and_claims():
    c = kubesim.Cluster(nodes=3, seed=4)
    c.apply(statefulset(replicas=2))
    c.advance("1m")
    assert c.kubectl("get sts") == "NAME   READY   AGE\nweb    2/2     60s\n"
    assert c.kubectl("get sts -o wide") == (
        "NAME   READY   AGE   CONTAINERS   IMAGES\nweb    2/2     60s   nginx        nginx:1.25\n"
    )
    uid0 = c.get("pvc", "www-web-0").uid
    uid1 = c.get("pvc", "www-web-1").uid
    lines = c.kubectl("get pvc").splitlines()
    assert lines[0].split() == [
        "NAME",
        "STATUS",
        "VOLUME",
        "CAPACITY",
        "ACCESS",
        "MODES",
        "STORAGECLASS",
        "VOLUMEATTRIBUTESCLASS",
        "AGE",
    ]
    assert lines[1].split() == ["www-web-0", "Bound", f"pvc-{uid0}", "1Gi", "RWO", "<unset>", "60s"]
    assert lines[2].split()[:3] == ["www-web-1", "Bound", f"pvc-{uid1}"]
    described = c.kubectl("describe sts web")
    assert "Replicas:           2 desired | 2 total\n" in described
    assert "Update Strategy:    RollingUpdate\n  Partition:        0\n" in described
    assert "Pods Status:        2 Running / 0 Waiting / 0 Succeeded / 0 Failed\n" in described
    assert "Volume Claims:\n  Name:          www\n" in described
    assert "  Capacity:      1Gi\n  Access Modes:  [ReadWriteOnce]\n" in described


def test_scale_down_removes_the_highest_ordinal_first_and_keeps_claims():
    c = kubesim.Cluster(nodes=3, seed=5)
    c.apply(statefulset())
    sts = c.statefulset("web")
    c.run_until(lambda: sts.ready_replicas == 3, timeout="2m")
    sts.scale(1)
    gone = []
    present = set(names(sts.pods()))
    while len(present) > 1:
        terminating = [p.name for p in sts.pods() if p.to_dict()["metadata"].get("deletionTimestamp")]
        assert len(terminating) <= 1, "OrderedReady deletes one pod at a time"
        now = set(names(sts.pods()))
        gone += sorted(present - now)
        present = now
        assert "web-0" in present
        c.advance("50ms")
        assert c.elapsed < 600
    assert gone == ["web-2", "web-1"]
    assert names(c.pvcs()) == ["www-web-0", "www-web-1", "www-web-2"], "whenScaled: Retain"


def test_when_scaled_delete_removes_the_claims_of_removed_pods():
    c = kubesim.Cluster(nodes=3, seed=6)
    c.apply(statefulset(policy="Parallel", retention={"whenScaled": "Delete", "whenDeleted": "Retain"}))
    sts = c.statefulset("web")
    c.run_until(lambda: sts.ready_replicas == 3, timeout="2m")
    sts.scale(1)
    c.advance("2m")
    assert names(sts.pods()) == ["web-0"]
    assert names(c.pvcs()) == ["www-web-0"]


def test_when_deleted_delete_removes_every_claim_with_the_set():
    c = kubesim.Cluster(nodes=3, seed=7)
    c.apply(statefulset(replicas=2, policy="Parallel", retention={"whenDeleted": "Delete", "whenScaled": "Retain"}))
    c.advance("30s")
    c.delete("statefulset", "web")
    c.advance("2m")
    assert c.pods() == [] and c.pvcs() == []
    kept = kubesim.Cluster(nodes=3, seed=7)
    kept.apply(statefulset(replicas=2, policy="Parallel"))
    kept.advance("30s")
    kept.delete("statefulset", "web")
    kept.advance("2m")
    assert kept.pods() == [] and names(kept.pvcs()) == ["www-web-0", "www-web-1"]


def test_a_rolling_update_replaces_pods_from_the_highest_ordinal_down():
    c = kubesim.Cluster(nodes=3, seed=8)
    c.apply(statefulset())
    sts = c.statefulset("web")
    c.kubectl("rollout status sts/web")
    old = sts.update_revision
    set_image(c, "nginx:1.26")
    new = sts.update_revision
    assert new != old and sts.current_revision == old
    order = []
    uids = {p.name: p.uid for p in sts.pods()}
    while sts.updated_replicas < 3 or sts.ready_replicas < 3:
        for p in sts.pods():
            if p.uid != uids.get(p.name):
                uids[p.name] = p.uid
                order.append(p.name)
        c.advance("1s")
        assert c.elapsed < 600
    assert order == ["web-2", "web-1", "web-0"]
    assert sts.current_revision == new and sts.current_replicas == 3
    assert {p.containers[0].image for p in sts.pods()} == {"nginx:1.26"}


def test_rollout_status_messages_for_a_rollout():
    c = kubesim.Cluster(nodes=3, seed=9)
    c.apply(statefulset())
    c.kubectl("rollout status sts/web")
    set_image(c, "nginx:1.26")
    lines = c.kubectl("rollout status statefulset/web").splitlines()
    # The status is written with the first deletion, from the pods as they were.
    assert lines[0] == "Waiting for partitioned roll out to finish: 0 out of 3 new pods have been updated..."
    assert "Waiting for 1 pods to be ready..." in lines
    assert "Waiting for partitioned roll out to finish: 1 out of 3 new pods have been updated..." in lines
    assert lines[-1] == "partitioned roll out complete: 3 new pods have been updated..."


def test_a_partition_holds_the_lower_ordinals_at_the_current_revision():
    c = kubesim.Cluster(nodes=3, seed=10)
    c.apply(statefulset(strategy={"type": "RollingUpdate", "rollingUpdate": {"partition": 2}}))
    sts = c.statefulset("web")
    c.run_until(lambda: sts.ready_replicas == 3, timeout="2m")
    set_image(c, "nginx:1.26")
    assert c.kubectl("rollout status sts/web").splitlines()[-1] == (
        "partitioned roll out complete: 1 new pods have been updated..."
    )
    images = [p.containers[0].image for p in sts.pods()]
    assert images == ["nginx:1.25", "nginx:1.25", "nginx:1.26"]
    assert sts.current_revision != sts.update_revision
    # A deleted pod below the partition comes back at the current revision.
    c.delete("pod", "web-0")
    c.run_until(lambda: sts.ready_replicas == 3, timeout="2m")
    assert c.pod("web-0").containers[0].image == "nginx:1.25"


def test_on_delete_waits_for_pods_to_be_deleted():
    c = kubesim.Cluster(nodes=3, seed=11)
    c.apply(statefulset(replicas=2, strategy={"type": "OnDelete"}))
    sts = c.statefulset("web")
    c.run_until(lambda: sts.ready_replicas == 2, timeout="2m")
    set_image(c, "nginx:1.26")
    c.advance("1m")
    assert [p.containers[0].image for p in sts.pods()] == ["nginx:1.25", "nginx:1.25"]
    old = c.pod("web-1").uid
    c.delete("pod", "web-1")
    c.run_until(lambda: c.pods(selector="app=web")[-1].uid != old and sts.ready_replicas == 2, timeout="2m")
    assert [p.containers[0].image for p in sts.pods()] == ["nginx:1.25", "nginx:1.26"]
    r = c.kubectl("rollout status sts/web", check=False)
    assert r.stderr == "error: rollout status is only available for RollingUpdate strategy type\n"


def test_rollout_history_and_undo():
    c = kubesim.Cluster(nodes=3, seed=12)
    c.apply(statefulset(replicas=2))
    c.kubectl("rollout status sts/web")
    set_image(c, "nginx:1.26")
    c.kubectl("rollout status sts/web")
    assert c.kubectl("rollout history sts/web") == (
        "statefulset.apps/web \nREVISION  CHANGE-CAUSE\n1         <none>\n2         <none>\n\n"
    )
    assert c.kubectl("rollout undo sts/web") == "statefulset.apps/web rolled back\n"
    c.kubectl("rollout status sts/web")
    sts = c.statefulset("web")
    assert [p.containers[0].image for p in sts.pods()] == ["nginx:1.25", "nginx:1.25"]
    assert [r.revision for r in sts.rollout.history()] == [2, 3]


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"podManagementPolicy": "Random"}, "spec.podManagementPolicy"),
        (
            {"updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": -1}}},
            "spec.updateStrategy.rollingUpdate.partition",
        ),
        (
            {"persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Keep"}},
            "spec.persistentVolumeClaimRetentionPolicy.whenDeleted",
        ),
        ({"selector": {"matchLabels": {"app": "db"}}}, "spec.template.metadata.labels"),
    ],
)
def test_bad_stateful_sets_are_rejected_with_their_field(patch, field):
    c = kubesim.Cluster(nodes=1)
    s = statefulset()
    s["spec"].update(patch)
    with pytest.raises(kubesim.InvalidObjectError) as e:
        c.apply(s)
    assert e.value.field == field
    assert c.statefulsets() == [] and c.pods() == [] and c.pvcs() == []


def test_only_some_spec_fields_may_change():
    c = kubesim.Cluster(nodes=1)
    c.apply(statefulset(replicas=1))
    with pytest.raises(kubesim.InvalidObjectError) as e:
        c.patch("statefulset", "web", {"spec": {"serviceName": "other"}})
    assert e.value.field == "spec"
    assert c.statefulset("web").spec["serviceName"] == "nginx"


@pytest.mark.parametrize("length", [45, 60])
def test_a_name_too_long_for_the_revision_label_gets_no_pods(length):
    # upstream: the API server validates a controller's pods as anyone's; the pods' label
    # controller-revision-hash is "<name>-<hash>", so past 63 characters every create is refused
    # and the controller records why (StatefulSetControl's recordPodEvent).
    c = kubesim.Cluster(nodes=2, seed=0)
    name = "s" * length
    c.apply(statefulset(name=name, replicas=2, claims=False))
    c.advance("1m")
    revision = c.statefulset(name).to_dict()["status"]["updateRevision"]
    if len(revision) <= 63:
        assert [p.name for p in c.pods()] == [f"{name}-0", f"{name}-1"]
        assert not [e for e in c.events() if e.reason == "FailedCreate"]
        return
    assert c.pods() == []
    failed = [e for e in c.events() if e.reason == "FailedCreate"]
    assert len(failed) == 1 and failed[0].type == "Warning"
    assert failed[0].message == (
        f'create Pod {name}-0 in StatefulSet {name} failed error: Pod "{name}-0" is invalid: '
        f'metadata.labels: Invalid value: "{revision}": must be no more than 63 characters'
    )


def test_a_claim_name_too_long_gets_upstreams_claim_event():
    # upstream: the claim of ordinal 0 is "<template>-<set>-0", past 253 characters here; the
    # StatefulSet controller records recordClaimEvent's words and makes no pod.
    c = kubesim.Cluster(nodes=1, seed=0)
    sts = statefulset(name="s" * 40, replicas=1)
    template = "w" * 220
    sts["spec"]["volumeClaimTemplates"][0]["metadata"]["name"] = template
    sts["spec"]["template"]["spec"]["containers"][0]["volumeMounts"][0]["name"] = template
    c.apply(sts)
    c.advance("10s")
    assert c.pods() == [] and c.pvcs() == []
    claim, pod, set_name = f"{template}-{'s' * 40}-0", f"{'s' * 40}-0", "s" * 40
    refusal = (
        f'PersistentVolumeClaim "{claim}" is invalid: metadata.name: Invalid value: "{claim}": '
        "must be no more than 253 characters"
    )
    assert sorted(e.message for e in c.events() if e.reason == "FailedCreate") == [
        f"create Claim {claim} for Pod {pod} in StatefulSet {set_name} failed error: {refusal}",
        f"create Pod {pod} in StatefulSet {set_name} failed error: failed to create PVC {claim}: {refusal}",
    ]
