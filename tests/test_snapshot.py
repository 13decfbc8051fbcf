"""Snapshots: ``c.save`` / ``Cluster.load``, ``pickle`` and ``copy.deepcopy`` write the state itself,
and the loaded copy continues exactly as the original does under the same calls — whatever the
thread count, mid-rollout, with autoscalers and load callables."""

from __future__ import annotations

import copy
import json
import os
import pickle
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, note, settings
from hypothesis import strategies as st
from test_fork import step
from test_scenarios import SCENARIO_SETTINGS, Scenario, new_cluster, scenarios

import kubesim
from kubesim.testing import workload


def copied(c: kubesim.Cluster, how: str, threads: int, tmp: Path) -> kubesim.Cluster:
    if how == "save":
        c.save(tmp / "c.kubesim")
        return kubesim.Cluster.load(tmp / "c.kubesim", threads=threads)
    if how == "pickle":
        return pickle.loads(pickle.dumps(c))
    return copy.deepcopy(c)


def everything(c: kubesim.Cluster) -> tuple[Any, ...]:
    """What a user can see: every stored object as YAML, the events, the clock and the watch log."""
    objects = [o.to_yaml() for kind in ("pods", "replicasets", "deployments", "hpa", "nodes") for o in c.list(kind)]
    events = [(e.reason, e.message, e.count) for e in c.events()]
    watch = [(e.type, e.resource_version, json.dumps(e.object, sort_keys=True)) for e in c.watch(0)]
    return (c.now, c.resource_version, objects, events, watch, c.kubectl("get all -o wide"))


@settings(max_examples=25, **SCENARIO_SETTINGS)
@given(
    sc=scenarios(max_steps=8),
    at=st.integers(0, 8),
    how=st.sampled_from(["save", "pickle", "deepcopy"]),
    threads=st.sampled_from([1, 2]),
)
def test_a_loaded_cluster_continues_exactly_as_the_original(sc: Scenario, at, how, threads, tmp_path_factory):
    note(repr(sc))
    original = new_cluster(sc, threads=1)
    original.apply(list(sc.manifests))
    steps = list(sc.steps)
    for action, seconds in steps[:at]:
        step(original, action, seconds)
    loaded = copied(original, how, threads, tmp_path_factory.mktemp("snap"))
    assert everything(loaded) == everything(original)
    assert loaded.threads == (threads if how == "save" else original.threads)
    for i, (action, seconds) in enumerate(steps[at:]):
        a = step(original, action, seconds)
        b = step(loaded, action, seconds)
        assert a == b, f"step {at + i} ({action}): original {a} != {how}d copy {b}"
    assert everything(loaded) == everything(original)


def _load(t: float) -> float:
    """A load that changes every minute (a module-level function: it pickles by name)."""
    return 0.4 + 0.3 * ((t // 60) % 4)


def test_mid_rollout_with_an_autoscaler_and_a_load_callable(tmp_path):
    c = kubesim.Cluster(nodes=3, seed=11)
    c.images.register("app:2", pull="40s", start="5s", ready_after="10s")
    c.apply(workload("Deployment", "web", 6, "app:1", resources={"requests": {"cpu": "200m"}}))
    d = c.deployment("web")
    d.autoscale(min=3, max=12, cpu_percent=60)
    d.set_load(cpu=_load)
    c.advance("3m")
    d.set_image(main="app:2")
    c.advance("20s")
    assert 0 < d.updated_replicas < d.replicas, "mid-rollout"
    c.save(tmp_path / "web")
    loaded = kubesim.Cluster.load(tmp_path / "web", threads=2)
    assert everything(loaded) == everything(c)
    for x in (c, loaded):
        x.deployment("web").rollout.status(timeout="10m")
        x.node("node-1").fail()
        x.advance("8m")
    assert everything(loaded) == everything(c)
    assert [(r.revision, r.change_cause) for r in loaded.deployment("web").rollout.history()] == [
        (r.revision, r.change_cause) for r in c.deployment("web").rollout.history()
    ]


@pytest.mark.parametrize("every", ["10s", 0])
def test_the_python_side_is_saved_too(tmp_path, every):
    c = kubesim.Cluster(nodes=2, seed=2, journal=True)
    c.images.register("app:slow", pull="90s")
    c.record(every=every)
    c.apply(workload("Deployment", "web", 2, "app:slow"))
    c.advance("30s")
    loaded = pickle.loads(pickle.dumps(c))
    assert loaded.images._cluster is loaded and loaded._recorder.cluster is loaded
    assert list(loaded.timeline()) == list(c.timeline())
    assert loaded.journal == c.journal and loaded.seed == 2
    for x in (c, loaded):
        x.deployment("web").scale(4)
        x.advance("2m")  # the registered pull time still applies
    assert list(loaded.timeline()) == list(c.timeline())
    assert loaded.timeline().events == c.timeline().events and len(c.timeline().events) > 5
    assert loaded.kubectl("get pods") == c.kubectl("get pods")


@pytest.mark.parametrize("how", ["save", "pickle", "deepcopy", "fork"])
def test_a_jobs_back_off_record_survives_a_copy_after_its_failed_pods_are_deleted(how, tmp_path):
    # The Job controller's back-off record lives in its memory (upstream backoffRecordStore),
    # not in the store: with the failed pods deleted, only the saved record knows that the next
    # pod waits 20 s after the second failure.
    c = kubesim.Cluster(nodes=1, seed=3)
    c.images.register("fail:*", crash_after="1s", exit_code=3, pull="0s", start="0s")
    c.apply(
        {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {"name": "pi"},
            "spec": {
                "backoffLimit": 4,
                "template": {"spec": {"restartPolicy": "Never", "containers": [{"name": "c", "image": "fail:1"}]}},
            },
        }
    )
    c.advance("14s")  # the second pod (created at 11 s) failed at 12 s
    assert [p.phase for p in c.pods()] == ["Failed", "Failed"]
    for p in c.pods():
        c.delete("pod", p.name)
    c.advance("1s")
    assert c.pods() == []
    copy_ = c.fork() if how == "fork" else copied(c, how, 1, tmp_path)
    for x in (c, copy_):
        x.advance("30s")
    created = lambda x: sorted(p.to_dict()["metadata"]["creationTimestamp"] for p in x.pods())  # noqa: E731
    assert created(copy_) == created(c) == ["2026-01-01T00:00:32Z"], "20 s after the failure at 12 s"
    assert everything(copy_) == everything(c)


def test_load_time_and_size_follow_the_objects_not_the_history(tmp_path):
    """A long history of changes to few objects saves as few objects."""
    c = kubesim.Cluster(nodes=1, seed=0, events=False)
    c.apply(workload("Deployment", "web", 1, "nginx"))
    c.advance("10s")
    c.save(tmp_path / "short")
    for i in range(200):
        c.deployment("web").scale(2 + i % 2)
        c.advance("5s")
    c.save(tmp_path / "long")
    short, long = (tmp_path / "short").stat().st_size, (tmp_path / "long").stat().st_size
    # The watch log (at most 1,000 events) is all that grows; nothing per call is kept.
    assert long < 20 * short, (short, long)
    assert c.journal is None


def test_a_lambda_load_cannot_be_saved_and_the_error_says_why(tmp_path):
    c = kubesim.Cluster(nodes=1)
    c.apply(workload("Deployment", "web", 1, "nginx"))
    c.deployment("web").set_load(cpu=lambda t: 1)
    with pytest.raises(kubesim.InvalidArgumentError, match="lambda or local function cannot be saved"):
        c.save(tmp_path / "c")


EVERY_KIND = """
apiVersion: batch/v1
kind: Job
metadata: {name: once}
spec:
  completions: 3
  parallelism: 2
  backoffLimit: 2
  template:
    spec:
      restartPolicy: Never
      containers: [{name: main, image: "job:ok"}]
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: tick}
spec:
  schedule: "*/2 * * * *"
  timeZone: Europe/Paris
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers: [{name: main, image: "job:ok"}]
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      tolerations: [{operator: Exists}]
      containers: [{name: main, image: "nginx:1.25"}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  serviceName: db
  replicas: 3
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers: [{name: main, image: "redis:7"}]
  volumeClaimTemplates:
  - metadata: {name: data}
    spec:
      accessModes: [ReadWriteOnce]
      resources: {requests: {storage: 1Gi}}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: db}
spec:
  minAvailable: 2
  selector: {matchLabels: {app: db}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
data: {mode: fast}
---
apiVersion: v1
kind: Secret
metadata: {name: token}
stringData: {token: s3cr3t}
---
apiVersion: v1
kind: Service
metadata: {name: db}
spec:
  selector: {app: db}
  ports: [{port: 6379}]
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: robot}
"""


def test_every_kind_survives_a_save_and_goes_on_alike(tmp_path):
    c = kubesim.Cluster(nodes=3, seed=9)
    c.images.register("job:ok", completes_after="20s", logs=["done {pod}"])
    c.apply(EVERY_KIND)
    c.apply(workload("Deployment", "web", 3, "nginx:1.25"))
    c.advance("3m")
    c.kubectl("drain node-3 --ignore-daemonsets --delete-emptydir-data")
    c.advance("10s")
    c.save(tmp_path / "all")
    loaded = kubesim.Cluster.load(tmp_path / "all", threads=2)
    assert everything(loaded) == everything(c)
    kinds = (
        "jobs,cronjobs,daemonsets,statefulsets,pdb,configmaps,secrets,services,serviceaccounts,pvc,controllerrevisions"
    )
    assert loaded.kubectl(f"get {kinds} -o yaml") == c.kubectl(f"get {kinds} -o yaml")
    for x in (c, loaded):
        x.kubectl("uncordon node-3")
        x.patch("statefulset", "db", {"spec": {"replicas": 4}})
        x.advance("7m")
    assert everything(loaded) == everything(c)
    assert loaded.kubectl(f"get {kinds} -o yaml") == c.kubectl(f"get {kinds} -o yaml")
    assert [e.name for e in loaded.watch(0)] == [e.name for e in c.watch(0)]
    job_pod = next(p for p in c.pods() if p.name.startswith("once-"))
    assert loaded.pod(job_pod.name).logs() == job_pod.logs()


@pytest.mark.parametrize("how", ["save", "pickle", "deepcopy", "fork"])
def test_a_daemon_sets_failed_pod_back_off_survives_a_copy(how, tmp_path):
    # The DaemonSet controller's back-off (upstream failedPodsBackoff) lives in its memory, not
    # in the store: only the copied entry (2 s from the kill at 11) knows that a pod failing at
    # 12.5 waits until 14.5 rather than being killed at once.
    c = kubesim.Cluster(nodes=1, seed=5)
    c.images.register("agent:*", pull="0s", start="0s", stop="1s")
    c.apply(
        {
            "apiVersion": "apps/v1",
            "kind": "DaemonSet",
            "metadata": {"name": "agent"},
            "spec": {
                "selector": {"matchLabels": {"app": "agent"}},
                "template": {
                    "metadata": {"labels": {"app": "agent"}},
                    "spec": {"containers": [{"name": "agent", "image": "agent:1"}]},
                },
            },
        }
    )

    def fail_live_pod(x: kubesim.Cluster) -> str:
        [p] = [p for p in x.pods() if "deletionTimestamp" not in p.to_dict()["metadata"]]
        x.kubectl(f"""patch pod {p.name} --subresource=status --type=merge -p '{{"status":{{"phase":"Failed"}}}}'""")
        return p.name

    for at in (10, 11):  # killed at once: the back-off is 1 s from 10, then 2 s from 11
        c.advance(at - c.elapsed)
        fail_live_pod(c)
    c.advance(12.25 - c.elapsed)  # the last replacement runs from 12
    copy_ = c.fork() if how == "fork" else copied(c, how, 1, tmp_path)
    for x in (c, copy_):
        x.advance("0.25s")
        name = fail_live_pod(x)
        x.advance("1.999s")
        assert x.pod(name).phase == "Failed" and "deletionTimestamp" not in x.pod(name).to_dict()["metadata"]
        x.advance("0.001s")
        assert "deletionTimestamp" in x.pod(name).to_dict()["metadata"], "killed 2 s after it failed, at 14.5"
    assert everything(copy_) == everything(c)


SAVE_SCRIPT = """
import sys
import kubesim
from kubesim.testing import workload

c = kubesim.Cluster(nodes=4, seed=5, threads=2)
c.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "other"}})
for ns in ("default", "other"):
    for i in range(4):
        m = workload("Deployment", f"web-{i}", 3, "nginx:1.25")
        m["metadata"]["namespace"] = ns
        c.apply(m)
c.advance("2s")
c.deployment("web-0").set_image(main="nginx:1.26")
c.advance("800ms")
c.save(sys.argv[1])
"""


def test_the_same_cluster_saved_in_two_processes_writes_the_same_file(tmp_path):
    # The same state writes the same bytes: no table is written in an order drawn at random
    # for each process (std's hash maps, Python's string hashing). Two processes, two seeds of
    # Python's own hash; 10 ReplicaSets' generated-name counters among what is written.
    script = tmp_path / "save.py"
    script.write_text(SAVE_SCRIPT)
    saved = []
    for seed in ("1", "2"):
        path = tmp_path / f"saved-{seed}.kubesim"
        env = {**os.environ, "PYTHONHASHSEED": seed}
        subprocess.run([sys.executable, str(script), str(path)], env=env, check=True, timeout=300)
        saved.append(path.read_bytes())
    assert saved[0] == saved[1]
