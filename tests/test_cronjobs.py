"""CronJobs (batch/v1): schedules in virtual time, the concurrency policies, the starting
deadline and the missed-start rule, history limits, time zones, kubectl get/describe and
`kubectl create job --from=cronjob/…`."""

from __future__ import annotations

import pickle
from typing import Any

import pytest

import kubesim

# The cluster's clock starts at 2026-01-01T00:00:00Z, a Thursday.


def cronjob(name: str = "hello", schedule: str = "*/5 * * * *", image: str = "work:1", **spec: Any) -> dict:
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": name},
        "spec": {
            "schedule": schedule,
            **spec,
            "jobTemplate": {
                "metadata": {"labels": {"team": "a"}, "annotations": {"note": "x"}},
                "spec": {
                    "template": {"spec": {"restartPolicy": "Never", "containers": [{"name": "c", "image": image}]}}
                },
            },
        },
    }


@pytest.fixture
def c() -> kubesim.Cluster:
    cluster = kubesim.Cluster(nodes=2, seed=0)
    cluster.images.register("work:*", completes_after="10s", pull="0s", start="0s")
    cluster.images.register("fail:*", crash_after="1s", exit_code=1, pull="0s", start="0s")
    cluster.images.register("forever:*", pull="0s", start="0s")
    return cluster


def reasons(c: kubesim.Cluster, obj: kubesim.Object) -> list[str]:
    return [e.reason for e in c.events(obj)]


def test_defaults_and_the_first_runs(c):
    c.apply(cronjob())
    cj = c.cronjob("hello")
    spec = cj.to_dict()["spec"]
    assert (spec["concurrencyPolicy"], spec["suspend"]) == ("Allow", False)
    assert (spec["successfulJobsHistoryLimit"], spec["failedJobsHistoryLimit"]) == (3, 1)
    assert "completions" not in spec["jobTemplate"]["spec"], "the template's Job fields are defaulted per Job"
    assert c.kubectl("get cronjobs").splitlines() == [
        "NAME    SCHEDULE      TIMEZONE   SUSPEND   ACTIVE   LAST SCHEDULE   AGE",
        "hello   */5 * * * *   <none>     False     0        <none>          0s",
    ]
    c.advance("5m1s")
    [job] = cj.jobs()
    # upstream: <cronjob>-<scheduled unix time in minutes>; 00:05Z is 29453765 minutes.
    assert job.name == "hello-29453765"
    assert job.annotations == {"note": "x", "batch.kubernetes.io/cronjob-scheduled-timestamp": "2026-01-01T00:05:00Z"}
    assert job.labels["team"] == "a"
    ref = job.owner_references[0]
    assert (ref["kind"], ref["name"], ref["controller"]) == ("CronJob", "hello", True)
    assert cj.active == ["hello-29453765"]
    assert cj.to_dict()["status"]["active"][0]["uid"] == job.uid
    assert cj.last_schedule_time.isoformat() == "2026-01-01T00:05:00+00:00"
    c.advance("20s")
    assert job.complete and cj.active == []
    assert cj.last_successful_time == job.completion_time
    assert reasons(c, cj) == ["SuccessfulCreate", "SawCompletedJob"]
    assert c.events(cj)[1].message == "Saw completed job: hello-29453765, status: Complete"
    assert c.kubectl("get cj hello").splitlines()[1].split()[-5:] == ["<none>", "False", "0", "21s", "5m21s"]


def test_history_limits_keep_the_newest_finished_jobs(c):
    c.apply(cronjob(schedule="* * * * *"))
    c.advance("10m")
    # Runs at 00:01 … 00:09 have finished (00:10's starts at 00:10:00.1): the newest three stay.
    names = sorted(j.name for j in c.jobs())
    assert names == [f"hello-{29453760 + m}" for m in (7, 8, 9)]
    deleted = [e for e in c.events(c.cronjob("hello")) if e.reason == "SuccessfulDelete"]
    assert sorted(e.message for e in deleted) == [f"Deleted job hello-{29453760 + m}" for m in range(1, 7)]


def test_failed_jobs_history_limit(c):
    c.apply(cronjob(schedule="*/10 * * * *", image="fail:1", failedJobsHistoryLimit=1))
    c.advance("1h")
    failed = [j for j in c.jobs() if j.failed_condition]
    assert len(failed) == 1


def test_forbid_skips_runs_while_one_is_active(c):
    c.apply(cronjob(image="forever:1", concurrencyPolicy="Forbid"))
    c.advance("16m")
    cj = c.cronjob("hello")
    assert [j.name for j in c.jobs()] == ["hello-29453765"]
    skipped = next(e for e in c.events(cj) if e.reason == "JobAlreadyActive")
    assert skipped.to_dict()["count"] == 2, "00:10 and 00:15"
    assert skipped.message == "Not starting job because prior execution is running and concurrency policy is Forbid"


def test_replace_deletes_the_running_job_for_the_new_one(c):
    c.apply(cronjob(image="forever:1", concurrencyPolicy="Replace"))
    c.advance("10m1s")
    cj = c.cronjob("hello")
    assert cj.active == ["hello-29453770"]
    assert "Deleted job hello-29453765" in [e.message for e in c.events(cj)]
    c.advance("1m")
    assert [j.name for j in c.jobs()] == ["hello-29453770"]


def test_allow_lets_runs_overlap(c):
    c.apply(cronjob(image="forever:1"))
    c.advance("15m1s")
    assert len(c.cronjob("hello").active) == 3


def test_suspend_and_resume_start_the_most_recent_missed_run(c):
    c.apply(cronjob(suspend=True))
    c.advance("1h")
    assert c.jobs() == []
    assert c.kubectl("get cj").splitlines()[1].split()[7] == "True"
    c.kubectl('patch cronjob hello --type merge -p \'{"spec":{"suspend":false}}\'')
    # One Job for the most recent missed time (01:00), not one per missed time.
    assert [j.name for j in c.jobs()] == ["hello-29453820"]


def test_starting_deadline_skips_runs_missed_too_long_ago(c):
    c.apply(cronjob(suspend=True, startingDeadlineSeconds=60))
    c.advance("1h2m")
    c.kubectl('patch cronjob hello --type merge -p \'{"spec":{"suspend":false}}\'')
    assert c.jobs() == [], "01:00 is more than 60 s ago"
    c.advance("3m1s")
    assert [j.name for j in c.jobs()] == ["hello-29453825"]


def test_too_many_missed_start_times_warns_and_still_starts(c):
    c.apply(cronjob(schedule="* * * * *", suspend=True))
    c.advance("3h")
    c.kubectl('patch cronjob hello --type merge -p \'{"spec":{"suspend":false}}\'')
    cj = c.cronjob("hello")
    warning = next(e for e in c.events(cj) if e.reason == "TooManyMissedTimes")
    assert warning.type == "Warning"
    assert warning.message == (
        "too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew"
    )
    assert len(c.jobs()) == 1


def test_time_zone_runs_at_local_time(c):
    c.apply(cronjob(schedule="0 9 * * *", timeZone="America/New_York"))
    c.advance("14h1s")  # 09:00 in New York is 14:00Z in January
    [job] = c.jobs()
    assert job.annotations["batch.kubernetes.io/cronjob-scheduled-timestamp"] == "2026-01-01T09:00:00-05:00"
    assert c.kubectl("get cj").splitlines()[1].split()[6:8] == ["America/New_York", "False"]


def test_a_week_of_runs_jumps_from_schedule_to_schedule(c):
    c.images.register("quick:*", completes_after="1s", pull="0s", start="0s")
    c.apply(cronjob(image="quick:1"))
    c.advance("7d10s")
    cj = c.cronjob("hello")
    # 2016 runs in a week; the history keeps three.
    assert len(c.jobs()) == 3
    assert cj.last_schedule_time.isoformat() == "2026-01-08T00:00:00+00:00"
    assert cj.last_successful_time is not None


def test_create_job_from_cronjob(c):
    c.apply(cronjob())
    out = c.kubectl("create job manual --from=cronjob/hello")
    assert out == "job.batch/manual created\n"
    job = c.job("manual")
    assert job.annotations == {"cronjob.kubernetes.io/instantiate": "manual", "note": "x"}
    assert job.labels["team"] == "a"
    ref = job.owner_references[0]
    assert (ref["kind"], ref["name"], ref.get("blockOwnerDeletion")) == ("CronJob", "hello", None)
    c.advance("2s")
    warning = next(e for e in c.events(c.cronjob("hello")) if e.reason == "UnexpectedJob")
    assert warning.message == "Saw a job that the controller did not create or forgot: manual"


@pytest.mark.parametrize(
    ("command", "error"),
    [
        ("create job x", "error: either --image or --from must be specified"),
        ("create job x --from=deploy/web", "error: from must be an existing cronjob"),
        ("create job x --from=cronjob/nope", 'Error from server (NotFound): cronjobs.batch "nope" not found'),
        ("create job x --from=cronjob/hello -- sleep 1", "error: cannot specify --from and command"),
    ],
)
def test_create_job_errors(c, command, error):
    c.apply(cronjob())
    r = c.kubectl(command, check=False)
    assert r.exit_code == 1 and r.stderr.strip() == error


def test_create_job_with_an_image(c):
    assert c.kubectl("create job once --image=work:1") == "job.batch/once created\n"
    job = c.job("once")
    spec = job.to_dict()["spec"]["template"]["spec"]
    assert (spec["restartPolicy"], spec["containers"][0]["name"]) == ("Never", "once")


def test_create_cronjob_runs_on_its_schedule(c):
    assert (
        c.kubectl("create cronjob tick --image=work:1 --schedule='*/10 * * * *' -- run")
        == "cronjob.batch/tick created\n"
    )
    template = c.cronjob("tick").to_dict()["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    assert template["restartPolicy"] == "OnFailure" and template["containers"][0]["command"] == ["run"]
    c.advance("25m")
    jobs = sorted(j.name for j in c.jobs())
    # Runs at 10 and 20 minutes past the start (the Job name is the scheduled minute).
    start = int(c.start.timestamp()) // 60
    assert jobs == [f"tick-{start + 10}", f"tick-{start + 20}"]
    bad = c.kubectl("create cronjob bad --image=work:1 --schedule=@daily --restart=Always", check=False)
    assert bad.exit_code == 1 and 'Unsupported value: "Always"' in bad.stderr
    assert [cj.name for cj in c.cronjobs()] == ["tick"], "nothing created when refused"


def test_describe_cronjob(c):
    c.apply(cronjob(startingDeadlineSeconds=30))
    c.advance("5m1s")
    lines = c.kubectl("describe cronjob hello").splitlines()
    for want in [
        "Schedule:                      */5 * * * *",
        "Concurrency Policy:            Allow",
        "Suspend:                       False",
        "Successful Job History Limit:  3",
        "Failed Job History Limit:      1",
        "Starting Deadline Seconds:     30s",
        "Selector:                      <unset>",
        "Parallelism:                   <unset>",
        "Completions:                   <unset>",
        # After the pod template the tab writer starts a new block, as kubectl's does.
        "Last Schedule Time:  Thu, 01 Jan 2026 00:05:00 +0000",
        "Active Jobs:         hello-29453765",
    ]:
        assert want in lines, want


BAD = [
    (
        {"schedule": "61 * * * *"},
        'spec.schedule: Invalid value: "61 * * * *": end of range (61) above maximum (59): 61',
    ),
    ({"schedule": "* * * *"}, 'spec.schedule: Invalid value: "* * * *": expected exactly 5 fields, found 4: [* * * *]'),
    ({"schedule": "* * * * 7"}, "end of range (7) above maximum (6): 7"),
    ({"schedule": "@fortnightly"}, "unrecognized descriptor: @fortnightly"),
    (
        {"schedule": "TZ=UTC * * * * *"},
        'spec.schedule: Invalid value: "TZ=UTC * * * * *": '
        "cannot use TZ or CRON_TZ in schedule, use timeZone field instead",
    ),
    ({"timeZone": "Europe/Pariss"}, 'spec.timeZone: Invalid value: "Europe/Pariss": unknown time zone Europe/Pariss'),
    ({"timeZone": ""}, 'spec.timeZone: Invalid value: "": timeZone must be nil or non-empty string'),
    ({"timeZone": "Local"}, "timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones"),
    ({"concurrencyPolicy": "Sometimes"}, 'spec.concurrencyPolicy: Unsupported value: "Sometimes"'),
    (
        {"startingDeadlineSeconds": -1},
        "spec.startingDeadlineSeconds: Invalid value: -1: must be greater than or equal to 0",
    ),
]


@pytest.mark.parametrize(("spec", "message"), BAD)
def test_bad_cronjobs_are_rejected_with_the_field_path(c, spec, message):
    manifest = cronjob()
    manifest["spec"].update(spec)
    with pytest.raises(kubesim.InvalidObjectError) as e:
        c.apply(manifest)
    assert message in str(e.value)
    assert c.cronjobs() == []


def test_long_names_and_template_selectors_are_rejected(c):
    with pytest.raises(kubesim.InvalidObjectError) as e:
        c.apply(cronjob(name="x" * 53))
    assert "metadata.name: Invalid value:" in str(e.value) and "must be no more than 52 characters" in str(e.value)
    manifest = cronjob()
    manifest["spec"]["jobTemplate"]["spec"]["selector"] = {"matchLabels": {"a": "b"}}
    with pytest.raises(kubesim.InvalidObjectError) as e:
        c.apply(manifest)
    assert "spec.jobTemplate.spec.selector" in str(e.value) and "`selector` will be auto-generated" in str(e.value)


def test_a_saved_cluster_goes_on_with_the_same_runs(c):
    c.apply(cronjob(image="fail:1", schedule="*/7 * * * *"))
    c.apply(cronjob(name="other", schedule="@hourly"))
    c.advance("40m")
    copy = pickle.loads(pickle.dumps(c))
    c.advance("3h")
    copy.advance("3h")
    assert copy.kubectl("get cronjobs,jobs,pods -o wide") == c.kubectl("get cronjobs,jobs,pods -o wide")
    assert copy.stats() == c.stats()
