"""Jobs (batch/v1): the API server's defaults and validation, and the Job controller's
arithmetic run through the simulation — completions and parallelism, the failure back-off,
Indexed pods, the finish conditions, suspend, deadlines, TTL and the pod failure policy."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

import kubesim


def job(name: str = "pi", image: str = "work:1", restart: str = "Never", **spec: Any) -> dict:
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name},
        "spec": {
            **spec,
            "template": {"spec": {"restartPolicy": restart, "containers": [{"name": "c", "image": image}]}},
        },
    }


@pytest.fixture
def c() -> kubesim.Cluster:
    cluster = kubesim.Cluster(nodes=2, seed=0)
    # Instant pulls and starts, so that the times below are the controller's own.
    cluster.images.register("work:*", completes_after="10s", pull="0s", start="0s")
    cluster.images.register("fail:*", crash_after="1s", exit_code=3, pull="0s", start="0s")
    cluster.images.register("forever:*", pull="0s", start="0s")
    return cluster


def created_at(j: kubesim.Job) -> list[float]:
    """When each of the Job's pods was created, in seconds since the cluster started."""
    start = j._cluster.now - __import__("datetime").timedelta(seconds=j._cluster.elapsed)
    return sorted((p.creation_timestamp - start).total_seconds() for p in j.pods())


def test_defaults_generated_selector_and_labels(c):
    c.apply(job())
    j = c.job("pi")
    d = j.to_dict()
    spec = d["spec"]
    assert {k: spec[k] for k in ("completions", "parallelism", "backoffLimit", "completionMode", "suspend")} == {
        "completions": 1,
        "parallelism": 1,
        "backoffLimit": 6,
        "completionMode": "NonIndexed",
        "suspend": False,
    }
    assert spec["podReplacementPolicy"] == "TerminatingOrFailed"
    uid = d["metadata"]["uid"]
    assert spec["selector"] == {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}}
    want = {
        "batch.kubernetes.io/controller-uid": uid,
        "batch.kubernetes.io/job-name": "pi",
        "controller-uid": uid,
        "job-name": "pi",
    }
    assert spec["template"]["metadata"]["labels"] == want
    assert d["metadata"]["labels"] == want, "a Job without labels takes its template's"
    assert d["metadata"]["generation"] == 1
    [pod] = j.pods()
    assert pod.to_dict()["metadata"]["finalizers"] == ["batch.kubernetes.io/job-tracking"]
    assert pod.labels == want
    assert pod.name.startswith("pi-")
    ref = pod.owner_references[0]
    assert (ref["apiVersion"], ref["kind"], ref["name"], ref["controller"]) == ("batch/v1", "Job", "pi", True)


def test_parallel_job_runs_completions_with_parallelism_at_a_time(c):
    c.apply(job(completions=5, parallelism=2))
    j = c.job("pi")
    assert j.active == 2
    c.run_until(lambda: j.complete, timeout="5m")
    # Two waves of 2 at 0 s and 11 s (pods finish at 10 s, the Job hears a second later),
    # then the fifth at 22 s; it finishes at 32 s and the Job completes at 33 s.
    assert created_at(j) == [0, 0, 11, 11, 22]
    assert c.elapsed == 33
    assert (j.succeeded, j.failed, j.active) == (5, 0, 0)
    conds = [(x["type"], x["reason"]) for x in j.conditions]
    assert conds == [("SuccessCriteriaMet", "CompletionsReached"), ("Complete", "CompletionsReached")]
    assert j.completion_time == c.now
    assert all(p.to_dict()["metadata"].get("finalizers") is None for p in j.pods()), "counted: finalizers gone"
    assert [e.reason for e in c.events(j)][-1] == "Completed"
    out = c.kubectl("get jobs")
    assert out.splitlines() == [
        "NAME   STATUS     COMPLETIONS   DURATION   AGE",
        "pi     Complete   5/5           33s        33s",
    ]


def test_work_queue_job_stops_creating_after_the_first_success(c):
    c.apply(job(parallelism=3))
    j = c.job("pi")
    assert j.completions is None and j.active == 3
    c.run_until(lambda: j.complete, timeout="5m")
    assert (j.succeeded, len(j.pods())) == (3, 3)
    assert "3/1 of 3" in c.kubectl("get job pi")


@pytest.mark.parametrize(
    ("limit", "created", "failed_at"),
    [
        # upstream: 10 s doubling after each failure (fN = the Nth failure, at 1 s after start).
        (0, [0], 2),
        (1, [0, 11], 13),
        (2, [0, 11, 32], 34),
        (3, [0, 11, 32, 73], 75),
    ],
)
def test_backoff_limit_and_exponential_pod_back_off(c, limit, created, failed_at):
    c.apply(job(image="fail:1", backoffLimit=limit))
    j = c.job("pi")
    c.run_until(lambda: j.failed_condition, timeout="1h")
    assert created_at(j) == created
    assert c.elapsed == failed_at
    assert j.failed == limit + 1
    reasons = {x["type"]: (x["reason"], x["message"]) for x in j.conditions}
    want = ("BackoffLimitExceeded", "Job has reached the specified backoff limit")
    assert reasons == {"FailureTarget": want, "Failed": want}
    assert j.completion_time is None, "a failed Job has no completionTime"
    last = c.events(j)[-1]
    assert (last.type, last.reason, last.message) == ("Warning", *want)
    assert c.kubectl("get job pi").splitlines()[1].split()[1] == "Failed"


@pytest.mark.parametrize("delete_failed", [False, True])
def test_deleting_failed_pods_does_not_reset_the_back_off(c, delete_failed):
    # upstream backoffRecordStore: the Job controller remembers failuresAfterLastSuccess and
    # lastFailureTime in memory, updated as pods finish, so a client deleting the failed pods
    # (kubectl delete, a cleanup operator) leaves the 10, 20, 40 s back-off as it was.
    c.apply(job(image="fail:1", backoffLimit=3))
    j = c.job("pi")
    created: dict[str, float] = {}
    while not j.failed_condition and c.elapsed < 300:
        for p in j.pods():
            created.setdefault(p.name, c.elapsed)
            if delete_failed and p.phase == "Failed" and "deletionTimestamp" not in p.to_dict()["metadata"]:
                c.delete("pod", p.name)
        c.advance("1s")
    assert sorted(created.values()) == [0, 11, 32, 73]
    assert j.failed == 4 and c.elapsed == 75
    if delete_failed:
        assert j.pods() == [], "every failed pod was deleted"


def test_a_job_made_again_under_the_same_name_starts_without_the_old_back_off(c):
    # upstream: syncJob of a Job no longer found removes its back-off record.
    c.apply(job(image="fail:1", backoffLimit=5))
    c.advance("14s")
    assert c.job("pi").failed == 2
    c.delete("job", "pi")
    c.advance("1s")
    assert not c._exists("Job", "default", "pi")
    # The old Job's record (2 failures, the last at 12 s) would hold pods back until 32 s.
    c.apply(job(image="fail:1", backoffLimit=5))
    start = c.elapsed
    c.advance("12s")
    assert created_at(c.job("pi")) == [start, start + 11], "at once, then 10 s after its own first failure"


def test_back_off_is_capped_at_ten_minutes(c):
    c.apply(job(image="fail:1", backoffLimit=9))
    j = c.job("pi")
    c.run_until(lambda: j.failed_condition, timeout="2h")
    times = created_at(j)
    gaps = [round(b - a) for a, b in zip(times, times[1:], strict=False)]
    # A pod fails 1 s after it starts; its replacement comes the back-off after that failure.
    assert [g - 1 for g in gaps] == [10, 20, 40, 80, 160, 320, 600, 600, 600]


def test_on_failure_restarts_count_toward_the_backoff_limit(c):
    c.apply(job(image="fail:1", restart="OnFailure", backoffLimit=2))
    j = c.job("pi")
    c.run_until(lambda: j.failed_condition, timeout="1h")
    assert j.conditions[-1]["reason"] == "BackoffLimitExceeded"
    # OnFailure restarts the container in its one pod; at the limit that pod is deleted and
    # counted as failed once it has stopped (then it goes, its finalizer removed).
    assert j.failed == 1 and j.pods() == []
    assert [e.reason for e in c.events(j)].count("SuccessfulCreate") == 1


def test_indexed_job_gives_each_pod_its_index(c):
    c.apply(job(completions=3, parallelism=2, completionMode="Indexed"))
    j = c.job("pi")
    pods = sorted(j.pods(), key=lambda p: p.name)
    assert [p.labels["batch.kubernetes.io/job-completion-index"] for p in pods] == ["0", "1"]
    for p in pods:
        i = p.labels["batch.kubernetes.io/job-completion-index"]
        d = p.to_dict()
        assert p.name.startswith(f"pi-{i}-")
        assert d["metadata"]["annotations"]["batch.kubernetes.io/job-completion-index"] == i
        assert d["spec"]["hostname"] == f"pi-{i}"
        [env] = d["spec"]["containers"][0]["env"]
        assert env == {
            "name": "JOB_COMPLETION_INDEX",
            "valueFrom": {
                "fieldRef": {
                    "apiVersion": "v1",
                    "fieldPath": "metadata.labels['batch.kubernetes.io/job-completion-index']",
                }
            },
        }
    c.run_until(lambda: j.complete, timeout="5m")
    assert j.completed_indexes == "0-2"
    assert j.succeeded == 3
    assert "Completed Indexes:  0-2" in c.kubectl("describe job pi")


def test_indexed_job_replaces_a_failed_index_at_the_lowest_free_index(c):
    c.apply(job(completions=3, parallelism=3, completionMode="Indexed"))
    j = c.job("pi")
    victim = next(p for p in j.pods() if p.labels["batch.kubernetes.io/job-completion-index"] == "1")
    c.advance("5s")
    c.delete("pod", victim.name)
    c.advance("2s")

    def running() -> list[str]:
        live = [p for p in j.pods() if "deletionTimestamp" not in p.to_dict()["metadata"]]
        return sorted(p.labels["batch.kubernetes.io/job-completion-index"] for p in live)

    assert j.failed == 1, "a deleted running pod counts as failed (TerminatingOrFailed)"
    # upstream: that failure (at deletionTimestamp − grace, i.e. 5 s) starts the 10 s back-off
    # in the controller's record; the other indexes' successes at 10 s reset it (newBackoffRecord).
    assert running() == ["0", "2"], "no replacement during the back-off"
    c.advance("4s")
    assert running() == ["0", "1", "2"], "index 1 got a new pod once the successes ended the back-off"
    c.run_until(lambda: j.complete, timeout="5m")
    assert j.completed_indexes == "0-2"


def index_counts(j: kubesim.Job) -> list[tuple[str, str]]:
    return sorted(
        (
            p.labels["batch.kubernetes.io/job-completion-index"],
            p.annotations["batch.kubernetes.io/job-index-failure-count"],
        )
        for p in j.pods()
    )


def test_backoff_limit_per_index_fails_each_index_then_the_job(c):
    c.apply(job(image="fail:1", completions=2, parallelism=2, completionMode="Indexed", backoffLimitPerIndex=1))
    j = c.job("pi")
    assert j.to_dict()["spec"]["backoffLimit"] == 2147483647, "the global limit is MaxInt32"
    c.run_until(lambda: j.failed_condition, timeout="10m")
    # Each index gets one retry: its replacement carries a failure count of 1, 10 s later.
    assert index_counts(j) == [("0", "0"), ("0", "1"), ("1", "0"), ("1", "1")]
    assert created_at(j) == [0, 0, 11, 11]
    assert j.status["failedIndexes"] == "0,1"
    assert j.failed == 4
    failed = next(x for x in j.conditions if x["type"] == "Failed")
    assert (failed["reason"], failed["message"]) == ("FailedIndexes", "Job has failed indexes")


def test_max_failed_indexes_fails_the_job_at_once(c):
    spec = job(image="fail:1", completions=3, parallelism=1, completionMode="Indexed")
    spec["spec"].update(backoffLimitPerIndex=0, maxFailedIndexes=0)
    c.apply(spec)
    j = c.job("pi")
    c.run_until(lambda: j.failed_condition, timeout="10m")
    assert j.status["failedIndexes"] == "0"
    failed = next(x for x in j.conditions if x["type"] == "Failed")
    assert failed["reason"] == "MaxFailedIndexesExceeded"


def test_suspend_deletes_pods_and_resume_resets_start_time(c):
    c.apply(job(image="forever:1", parallelism=2, completions=4))
    j = c.job("pi")
    c.advance("30s")
    c.kubectl('patch job pi --type merge -p \'{"spec":{"suspend":true}}\'')
    c.advance("40s")
    assert j.active == 0 and j.pods() == []
    assert j.failed == 0, "pods deleted for a suspend are not counted as failures"
    assert [(x["type"], x["status"], x["reason"]) for x in j.conditions] == [("Suspended", "True", "JobSuspended")]
    assert c.kubectl("get job pi").splitlines()[1].split()[1] == "Suspended"
    c.kubectl('patch job pi --type merge -p \'{"spec":{"suspend":false}}\'')
    assert j.active == 2
    assert j.start_time == c.now
    assert [(x["type"], x["status"], x["reason"]) for x in j.conditions] == [("Suspended", "False", "JobResumed")]
    assert [e.reason for e in c.events(j)].count("Suspended") == 1
    assert [e.reason for e in c.events(j)][-3:] == ["Resumed", "SuccessfulCreate", "SuccessfulCreate"]


def test_created_suspended_has_no_start_time(c):
    c.apply(job(suspend=True))
    j = c.job("pi")
    assert j.start_time is None and j.pods() == []
    # No start time: an empty DURATION cell.
    assert c.kubectl("get job pi").splitlines()[1].split() == ["pi", "Suspended", "0/1", "0s"]


def test_active_deadline_fails_the_job_and_stops_its_pods(c):
    c.apply(job(image="forever:1", activeDeadlineSeconds=30, parallelism=2, completions=2))
    j = c.job("pi")
    c.run_until(lambda: j.failed_condition, timeout="5m")
    target = next(x for x in j.conditions if x["type"] == "FailureTarget")
    assert target["reason"] == "DeadlineExceeded"
    assert target["message"] == "Job was active longer than specified deadline"
    assert target["lastTransitionTime"] == "2026-01-01T00:00:30Z"
    # The pods got 30 s to stop (grace period) and count as failed.
    assert j.failed == 2 and j.active == 0
    assert c.elapsed == pytest.approx(61, abs=1)


def test_ttl_after_finished_deletes_the_job_and_its_pods(c):
    c.apply(job(ttlSecondsAfterFinished=100))
    j = c.job("pi")
    c.run_until(lambda: j.complete, timeout="5m")
    done = c.elapsed
    c.advance("99s")
    assert c.jobs() != []
    c.advance("2s")
    assert c.jobs() == [] and c.pods() == []
    assert done == 11


def test_pod_failure_policy_fail_job_on_exit_code(c):
    policy = {"rules": [{"action": "FailJob", "onExitCodes": {"containerName": "c", "operator": "In", "values": [3]}}]}
    c.apply(job(image="fail:1", podFailurePolicy=policy))
    j = c.job("pi")
    assert j.to_dict()["spec"]["podReplacementPolicy"] == "Failed"
    c.run_until(lambda: j.failed_condition, timeout="5m")
    [pod] = j.pods()
    failed = next(x for x in j.conditions if x["type"] == "Failed")
    assert failed["reason"] == "PodFailurePolicy"
    assert failed["message"] == (
        f"Container c for pod default/{pod.name} failed with exit code 3 matching FailJob rule at index 0"
    )


def test_pod_failure_policy_ignore_does_not_count(c):
    policy = {"rules": [{"action": "Ignore", "onExitCodes": {"operator": "In", "values": [3]}}]}
    c.apply(job(image="fail:1", podFailurePolicy=policy, backoffLimit=0))
    j = c.job("pi")
    c.advance("2m")
    assert not j.failed_condition
    assert j.failed == 0
    # Ignored failures are not counted, but they still feed the back-off: 10, 20, 40 s.
    assert created_at(j) == [0, 11, 32, 73]


def test_success_policy_completes_an_indexed_job_early(c):
    c.images.register("slow:*", completes_after="1h", pull="0s", start="0s")
    spec = job(completions=3, parallelism=3, completionMode="Indexed", successPolicy={"rules": [{"succeededCount": 1}]})
    c.apply(spec)
    j = c.job("pi")
    c.run_until(lambda: j.complete, timeout="10m")
    met = next(x for x in j.conditions if x["type"] == "SuccessCriteriaMet")
    assert (met["reason"], met["message"]) == ("SuccessPolicy", "Matched rules at index 0")
    assert j.failed == 0, "pods deleted after success are not failures"


def test_deleting_a_job_deletes_its_pods_and_their_finalizers(c):
    c.apply(job(image="forever:1", parallelism=3, completions=3))
    c.advance("5s")
    c.delete("job", "pi")
    c.advance("1m")
    assert c.pods() == []


def test_kubectl_wait_for_complete_and_describe(c):
    c.apply(job(completions=2))
    out = c.kubectl("wait --for=condition=complete job/pi --timeout=2m")
    assert out.strip() == "job.batch/pi condition met"
    text = c.kubectl("describe job pi")
    lines = text.splitlines()
    assert lines[0] == "Name:             pi"
    assert "Completions:      2" in lines
    assert "Pods Statuses:    0 Active (0 Ready) / 2 Succeeded / 0 Failed" in lines
    assert "Duration:         22s" in lines
    assert lines[-1].split()[:5] == ["Normal", "Completed", "0s", "job-controller", "Job"]


BAD = [
    ({"completions": -1}, "spec.completions: Invalid value: -1: must be greater than or equal to 0"),
    ({"parallelism": -2}, "spec.parallelism: Invalid value: -2: must be greater than or equal to 0"),
    ({"backoffLimit": -1}, "spec.backoffLimit: Invalid value: -1: must be greater than or equal to 0"),
    (
        {"completionMode": "Sorted"},
        'spec.completionMode: Unsupported value: "Sorted": supported values: "NonIndexed", "Indexed"',
    ),
    (
        {"completionMode": "Indexed", "parallelism": 2},
        "spec.completions: Required value: when completion mode is Indexed",
    ),
    ({"backoffLimitPerIndex": 1}, "spec.backoffLimitPerIndex: Invalid value: 1: requires indexed completion mode"),
    ({"selector": {"matchLabels": {"a": "b"}}}, "spec.selector: Invalid value: "),
    (
        {"podReplacementPolicy": "Sometimes"},
        'spec.podReplacementPolicy: Unsupported value: "Sometimes": supported values: "Failed", "TerminatingOrFailed"',
    ),
]


@pytest.mark.parametrize(("spec", "message"), BAD)
def test_bad_jobs_are_rejected_with_the_field_path(c, spec, message):
    with pytest.raises(kubesim.InvalidObjectError) as e:
        c.apply(job(**spec))
    assert message in str(e.value)
    assert c.jobs() == [] and c.pods() == []


def test_restart_policy_always_is_rejected(c):
    with pytest.raises(kubesim.InvalidObjectError) as e:
        c.apply(job(restart="Always"))
    assert (
        'spec.template.spec.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never"'
        in str(e.value)
    )


def test_pod_failure_policy_needs_restart_never(c):
    policy = {"rules": [{"action": "Ignore", "onExitCodes": {"operator": "In", "values": [0]}}]}
    with pytest.raises(kubesim.InvalidObjectError) as e:
        c.apply(job(restart="OnFailure", podFailurePolicy=policy))
    msg = str(e.value)
    assert 'spec.template.spec.restartPolicy: Invalid value: "OnFailure": only "Never" is supported' in msg
    assert (
        "spec.podFailurePolicy.rules[0].onExitCodes.values[0]: Invalid value: 0: must not be 0 for the In operator"
        in msg
    )


def test_template_is_immutable_and_reapply_keeps_the_generated_selector(c):
    c.apply(job(completions=2))
    assert str(c.apply(job(completions=2))[0]) == "job.batch/pi unchanged"
    with pytest.raises(kubesim.InvalidObjectError) as e:
        c.apply(job(completions=2, image="work:2"))
    assert "spec.template: Invalid value:" in str(e.value) and "field is immutable" in str(e.value)


def test_same_seed_same_history_for_one_and_two_threads():
    def run(threads: int) -> list[tuple]:
        cl = kubesim.Cluster(nodes=3, seed=7, threads=threads)
        cl.images.register("fail:*", crash_after="3s", exit_code=1)
        cl.images.register("work:*", completes_after="7s")
        for i in range(40):
            image = "fail:1" if i % 5 == 0 else "work:1"
            mode = {"completionMode": "Indexed"} if i % 2 else {}
            cl.apply(job(f"j{i}", image=image, completions=4, parallelism=2, backoffLimit=2, **mode))
        cl.advance("10m")
        pods = [(p.name, p.phase, p.node, p.resource_version) for p in cl.pods()]
        jobs = [(x.name, x.succeeded, x.failed, str(x.conditions)) for x in cl.jobs()]
        return [*pods, *jobs, *((e.reason, e.message) for e in cl.events())]

    assert run(1) == run(2)


@pytest.mark.parametrize(
    ("policy", "replaced_after", "failed_at_once"),
    [
        # A deleted pod counts as failed while it terminates, at deletionTimestamp − grace (the
        # moment of the delete): its replacement waits out the 10 s pod-failure back-off...
        ("TerminatingOrFailed", 10, 1),
        # ...or only once it has stopped (the 30 s grace period of a container that ignores
        # SIGTERM), failed when its container was killed: 30 s, then the 10 s back-off.
        ("Failed", 40, 0),
    ],
)
def test_pod_replacement_policy(c, policy, replaced_after, failed_at_once):
    c.apply(job(image="forever:1", parallelism=2, completions=2, podReplacementPolicy=policy))
    j = c.job("pi")
    c.advance("5s")
    victim = j.pods()[0]
    c.delete("pod", victim.name)
    c.advance("1s")
    assert j.failed == failed_at_once
    assert j.status["terminating"] == 1
    live = lambda: [p for p in j.pods() if "deletionTimestamp" not in p.to_dict()["metadata"]]  # noqa: E731
    c.advance(f"{replaced_after - 2}s")
    assert len(live()) == 1, "the terminating pod holds its place, or the back-off runs"
    c.advance("1s")
    assert len(live()) == 2
    assert j.failed == 1


def test_elastic_indexed_job_scales_completions_with_parallelism(c):
    # upstream validateCompletions (elastic Indexed Jobs, GA in 1.31): completions of an Indexed
    # Job may change only in tandem with parallelism; other Jobs keep them immutable.
    c.apply(job("ix", completions=6, parallelism=3, completionMode="Indexed"))
    c.advance("5s")
    with pytest.raises(kubesim.InvalidObjectError, match="can only be modified in tandem with spec.parallelism"):
        c.patch("job", "ix", {"spec": {"completions": 4}})
    c.patch("job", "ix", {"spec": {"completions": 2, "parallelism": 2}})
    c.advance("1ms")
    terminating = [p.name for p in c.pods() if p.to_dict()["metadata"].get("deletionTimestamp")]
    assert [n.rsplit("-", 1)[0] for n in terminating] == ["ix-2"], "the out-of-range index goes"
    c.advance("40s")  # (Complete waits for the deleted pod's 30 s grace period)
    status = c.job("ix").to_dict()["status"]
    assert (status["completedIndexes"], status["succeeded"]) == ("0,1", 2)
    assert c.kubectl("get job ix --no-headers").split()[1:3] == ["Complete", "2/2"]
    # Growing again is allowed the same way.
    c.apply(job("grow", completions=1, parallelism=1, completionMode="Indexed"))
    c.patch("job", "grow", {"spec": {"completions": 3, "parallelism": 3}})
    c.advance("1ms")
    assert sorted(p.name.rsplit("-", 1)[0] for p in c.pods() if p.name.startswith("grow")) == [
        "grow-0",
        "grow-1",
        "grow-2",
    ]
    c.apply(job("plain", completions=2))
    with pytest.raises(kubesim.InvalidObjectError, match="spec.completions: Invalid value: 3: field is immutable"):
        c.patch("job", "plain", {"spec": {"completions": 3}})


def test_suspended_job_never_started_may_change_its_pods_scheduling(c):
    # upstream validatePodTemplateUpdate with AllowMutableSchedulingDirectives (strategy.go): a
    # Job suspended and without a startTime may change its template's node affinity,
    # nodeSelector, tolerations, schedulingGates, labels and annotations (what a queueing
    # controller such as Kueue does before it lets the Job start); nothing else of the template.
    c.apply(job(suspend=True, completions=1))
    c.advance("5s")
    pin = {
        "metadata": {"labels": {"queue": "gold"}, "annotations": {"admitted-by": "queue"}},
        "spec": {
            "nodeSelector": {"kubernetes.io/hostname": "node-2"},
            "tolerations": [{"key": "dedicated", "operator": "Exists", "effect": "NoSchedule"}],
            "affinity": {
                "nodeAffinity": {
                    "requiredDuringSchedulingIgnoredDuringExecution": {
                        "nodeSelectorTerms": [
                            {"matchExpressions": [{"key": "kubernetes.io/os", "operator": "In", "values": ["linux"]}]}
                        ]
                    }
                }
            },
        },
    }
    before = c.job("pi").to_dict()["metadata"]["generation"]
    c.patch("job", "pi", {"spec": {"template": pin}})
    template = c.job("pi").to_dict()["spec"]["template"]
    assert template["spec"]["nodeSelector"] == {"kubernetes.io/hostname": "node-2"}
    assert template["metadata"]["labels"]["queue"] == "gold"
    assert c.job("pi").to_dict()["metadata"]["generation"] == before + 1
    # The image is still immutable, suspended or not; so is pod affinity, which is not a
    # scheduling directive the rule lets change.
    with pytest.raises(kubesim.InvalidObjectError, match="spec.template: Invalid value: .*field is immutable"):
        c.patch("job", "pi", {"spec": {"template": {"spec": {"containers": [{"name": "c", "image": "work:2"}]}}}})
    anti = {"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": []}}
    with pytest.raises(kubesim.InvalidObjectError, match="spec.template: Invalid value"):
        c.patch("job", "pi", {"spec": {"template": {"spec": {"affinity": anti}}}})
    # Resumed: the pod runs where the changed template says.
    c.patch("job", "pi", {"spec": {"suspend": False}})
    c.advance("2s")
    [pod] = c.job("pi").pods()
    assert pod.node == "node-2" and pod.labels["queue"] == "gold"
    # The labels the server generated stay, whatever else of the labels changes.
    c.apply(job("held", suspend=True))
    uid = c.job("held").uid
    with pytest.raises(kubesim.InvalidObjectError) as e:
        c.patch("job", "held", {"spec": {"template": {"metadata": {"labels": {"controller-uid": None}}}}})
    assert f"spec.template.metadata.labels[controller-uid]: Required value: must be '{uid}'" in str(e.value)
    with pytest.raises(kubesim.InvalidObjectError) as e:
        c.patch(
            "job", "held", {"spec": {"template": {"metadata": {"labels": {"batch.kubernetes.io/controller-uid": "x"}}}}}
        )
    assert (
        "spec.template.metadata.labels[batch.kubernetes.io/controller-uid]: Invalid value: map[string]string{"
        in str(e.value)
    )
    assert "`selector` does not match template `labels`" in str(e.value)
    # Started (a startTime), then suspended again: the template is frozen once more.
    c.patch("job", "pi", {"spec": {"suspend": True}})
    c.advance("1s")
    assert c.job("pi").start_time is not None
    with pytest.raises(kubesim.InvalidObjectError, match="spec.template: Invalid value: .*field is immutable"):
        c.patch("job", "pi", {"spec": {"template": {"spec": {"nodeSelector": {"kubernetes.io/hostname": "node-1"}}}}})


def test_a_running_job_keeps_its_scheduling_directives(c):
    c.apply(job(image="forever:1"))
    c.advance("2s")
    with pytest.raises(kubesim.InvalidObjectError, match="spec.template: Invalid value: .*field is immutable"):
        c.patch("job", "pi", {"spec": {"template": {"spec": {"nodeSelector": {"kubernetes.io/hostname": "node-1"}}}}})


@pytest.mark.parametrize(
    ("created", "change", "message"),
    [
        # upstream ValidateJobSpecUpdate: each of these is immutable, printed as Go's ErrorBody
        # prints the new value (a pointer's value, or null).
        (
            {"completionMode": "NonIndexed"},
            {"completionMode": "Indexed", "completions": 1},
            'spec.completionMode: Invalid value: "Indexed": field is immutable',
        ),
        (
            {"completionMode": "Indexed", "completions": 2, "backoffLimitPerIndex": 1},
            {"backoffLimitPerIndex": 3},
            "spec.backoffLimitPerIndex: Invalid value: 3: field is immutable",
        ),
        (
            {"completionMode": "Indexed", "completions": 2, "backoffLimitPerIndex": 1},
            {"backoffLimitPerIndex": None},
            "spec.backoffLimitPerIndex: Invalid value: null: field is immutable",
        ),
        (
            {"managedBy": "example.com/queue"},
            {"managedBy": "example.com/other"},
            'spec.managedBy: Invalid value: "example.com/other": field is immutable',
        ),
        (
            {},
            {
                "podReplacementPolicy": "Failed",
                "podFailurePolicy": {
                    "rules": [{"action": "FailJob", "onExitCodes": {"operator": "In", "values": [1]}}]
                },
            },
            "spec.podFailurePolicy: Invalid value: {",
        ),
        (
            {"completionMode": "Indexed", "completions": 2},
            {"successPolicy": {"rules": [{"succeededIndexes": "0"}]}},
            "spec.successPolicy: Invalid value: {",
        ),
    ],
)
def test_job_spec_fields_that_are_immutable(c, created, change, message):
    c.apply(job(suspend=True, **created))
    before = c.job("pi").to_dict()
    with pytest.raises(kubesim.InvalidObjectError) as e:
        c.patch("job", "pi", {"spec": change})
    assert message in str(e.value)
    if "podFailurePolicy" in change or "successPolicy" in change:
        assert "field is immutable" in str(e.value)
    assert c.job("pi").to_dict() == before, "a refused update changes nothing"


@pytest.mark.parametrize(
    ("managed_by", "message"),
    [
        # upstream validateJobSpec: managedBy is a domain-prefixed path of at most 63 bytes.
        ("queue", 'spec.managedBy: Invalid value: "queue": must be a domain-prefixed path (such as "acme.io/foo")'),
        ("", "spec.managedBy: Required value"),
        ("Example.com/q", 'spec.managedBy: Invalid value: "Example.com": a lowercase RFC 1123 subdomain'),
        ("example.com/a b", 'spec.managedBy: Invalid value: "a b": Invalid path (regex used for validation is'),
        ("example.com/" + "q" * 60, "spec.managedBy: Too long: may not be more than 63 bytes"),
    ],
)
def test_bad_managed_by_is_rejected(c, managed_by, message):
    with pytest.raises(kubesim.InvalidObjectError) as e:
        c.apply(job(managedBy=managed_by))
    assert message in str(e.value)
    assert c.jobs() == []


def test_a_job_managed_by_another_controller_is_left_to_it(c):
    # upstream syncJob: a Job whose managedBy names another controller is skipped (no pods, no
    # status); the TTL-after-finished controller still deletes it once finished.
    c.apply(job("ext", managedBy="example.com/queue", ttlSecondsAfterFinished=30))
    c.apply(job("own", managedBy="kubernetes.io/job-controller"))
    c.advance("1m")
    ext = c.job("ext")
    assert ext.pods() == [] and ext.to_dict().get("status", {}) == {}
    assert c.job("own").to_dict()["status"]["succeeded"] == 1
    assert c.kubectl("get job ext --no-headers").split()[1:3] == ["Running", "0/1"]
    # The other controller finishes it through the status subresource.
    done = "2026-01-01T00:01:00Z"
    status = {
        "status": {
            "startTime": "2026-01-01T00:00:00Z",
            "completionTime": done,
            "succeeded": 1,
            "conditions": [
                {"type": "SuccessCriteriaMet", "status": "True", "lastTransitionTime": done},
                {"type": "Complete", "status": "True", "lastTransitionTime": done},
            ],
        }
    }
    c.kubectl(f"patch job ext --subresource=status --type=merge -p '{json.dumps(status)}'")
    assert c.kubectl("get job ext --no-headers").split()[1:3] == ["Complete", "1/1"]
    c.advance("29s")
    assert [j.name for j in c.jobs()] == ["ext", "own"] and c.job("ext").pods() == []
    c.advance("2s")
    assert [j.name for j in c.jobs()] == ["own"]


def test_a_job_claims_pods_as_its_selector_says(c):
    # upstream getPodsForJob (ClaimPods with the tracking finalizer): an orphan pod matching a
    # manual selector is adopted and counts toward the Job; a pod of the Job that stops matching
    # is released (owner reference and finalizer removed) and replaced.
    c.apply(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "early", "labels": {"app": "batch"}},
            "spec": {"restartPolicy": "Never", "containers": [{"name": "c", "image": "work:1"}]},
        }
    )
    c.advance("3s")
    manual = job(completions=2, parallelism=2, manualSelector=True, selector={"matchLabels": {"app": "batch"}})
    manual["spec"]["template"]["metadata"] = {"labels": {"app": "batch"}}
    c.apply(manual)
    j = c.job("pi")
    early = c.pod("early").to_dict()["metadata"]
    assert [(r["kind"], r["name"], r["controller"]) for r in early["ownerReferences"]] == [("Job", "pi", True)]
    assert early["finalizers"] == ["batch.kubernetes.io/job-tracking"]
    assert sorted(p.name == "early" for p in j.pods()) == [False, True], "one new pod beside the adopted one"
    c.advance("15s")
    assert j.to_dict()["status"]["succeeded"] == 2 and "finalizers" not in c.pod("early").to_dict()["metadata"]
    # A pod relabeled out of a Job's (generated) selector is let go, and replaced.
    c.apply(job("gen", image="forever:1"))
    c.advance("1s")
    [mine] = c.job("gen").pods()
    c.kubectl(f"label pod {mine.name} batch.kubernetes.io/controller-uid-")
    c.advance("2s")
    meta = c.pod(mine.name).to_dict()["metadata"]
    assert "ownerReferences" not in meta and "finalizers" not in meta
    [replacement] = c.job("gen").pods()
    assert replacement.name != mine.name and replacement.name.startswith("gen-")


@pytest.mark.parametrize(
    ("selector", "error"),
    [
        # upstream ValidateJobSpec: required, but (unlike a Deployment's) an empty one is valid.
        # (a missing selector selects nothing, so the template's labels do not match it either)
        (None, "spec.selector: Required value\n* spec.template.metadata.labels: Invalid value: "),
        ({}, None),
        ({"matchLabels": {"app": "other"}}, "`selector` does not match template `labels`"),
        ({"matchLabels": {"app": "batch"}}, None),
    ],
)
def test_a_manual_selector_is_validated_as_upstream(c, selector, error):
    manual = job(completions=1, manualSelector=True)
    if selector is not None:
        manual["spec"]["selector"] = selector
    manual["spec"]["template"]["metadata"] = {"labels": {"app": "batch"}}
    if error is None:
        c.apply(manual)
        c.advance("15s")
        assert c.job("pi").to_dict()["status"]["succeeded"] == 1
    else:
        with pytest.raises(kubesim.InvalidObjectError, match=re.escape(error)):
            c.apply(manual)
        assert c.jobs() == []


def test_an_empty_manual_selector_adopts_every_orphan_of_the_namespace(c):
    # upstream: `selector: {}` matches every pod; ClaimPods adopts each orphan that matches.
    bare = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "bare", "labels": {"any": "thing"}}}
    bare["spec"] = {"restartPolicy": "Never", "containers": [{"name": "c", "image": "work:1"}]}
    c.apply(bare)
    c.advance("1s")
    greedy = job(completions=2, manualSelector=True, selector={})
    greedy["spec"]["template"]["metadata"] = {"labels": {"app": "batch"}}
    c.apply(greedy)
    refs = c.pod("bare").to_dict()["metadata"]["ownerReferences"]
    assert [(r["kind"], r["name"]) for r in refs] == [("Job", "pi")]
