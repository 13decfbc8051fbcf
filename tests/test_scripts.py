"""A container whose command is a script kubesim can follow (echo, date, sleep, true, false,
exit; `sh -c` with `;`, `&&`, `||`) ends as the script would, with its output as its log, when
its image profile does not say how it ends: the Job and CronJob tutorials' commands work on
unregistered images. Anything else runs as the image profile says (an unregistered image until
it is stopped)."""

from __future__ import annotations

import shutil
import subprocess

import pytest

import kubesim

# The CronJob tutorial (kubernetes.io/docs/tasks/job/automated-tasks-with-cron-jobs/).
HELLO = """\
apiVersion: batch/v1
kind: CronJob
metadata:
  name: hello
spec:
  schedule: "* * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          containers:
          - name: hello
            image: busybox:1.28
            imagePullPolicy: IfNotPresent
            command:
            - /bin/sh
            - -c
            - date; echo Hello from the Kubernetes cluster
          restartPolicy: OnFailure
"""


def test_a_job_of_echo_completes_with_its_output_as_its_log():
    c = kubesim.Cluster(nodes=2, seed=0)
    assert c.kubectl("create job once --image=busybox -- echo hi") == "job.batch/once created\n"
    c.advance("1m")
    job = c.job("once")
    assert job.succeeded == 1
    assert c.kubectl("logs job/once") == "hi\n"
    pod = c.pods()[0]
    assert pod.phase == "Succeeded"
    terminated = pod.to_dict()["status"]["containerStatuses"][0]["state"]["terminated"]
    assert (terminated["exitCode"], terminated["reason"]) == (0, "Completed")
    # It ran as long as its pull and start took (2 s and 1 s unregistered): no more.
    assert terminated["startedAt"] == terminated["finishedAt"]


def test_the_cronjob_tutorial_prints_the_date_and_its_greeting():
    c = kubesim.Cluster(nodes=2, seed=0)
    c.apply(HELLO)
    c.advance("70s")  # the 00:01 run, looked at 100 ms after the minute
    [job] = c.jobs()
    assert job.succeeded == 1
    pod = c.pods()[0]
    started = pod.to_dict()["status"]["containerStatuses"][0]["state"]["terminated"]["startedAt"]
    assert started == "2026-01-01T00:01:03Z"  # scheduled, pulled (2 s), started (1 s)
    assert c.kubectl(f"logs {pod.name}") == "Thu Jan  1 00:01:03 UTC 2026\nHello from the Kubernetes cluster\n"
    assert "1/1" in c.kubectl("get jobs")


SCRIPT = "echo working; sleep 30; exit 3"


def test_sleeps_and_exit_codes_set_when_and_how_a_container_ends():
    c = kubesim.Cluster(nodes=2, seed=0)
    c.apply(
        {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {"name": "flaky"},
            "spec": {
                "backoffLimit": 0,
                "template": {
                    "spec": {
                        "restartPolicy": "Never",
                        "containers": [{"name": "c", "image": "alpine:3", "command": ["sh", "-c", SCRIPT]}],
                    }
                },
            },
        }
    )
    c.advance("20s")
    assert c.pods()[0].phase == "Running"
    c.advance("30s")
    pod = c.pods()[0]
    assert pod.phase == "Failed"
    terminated = pod.to_dict()["status"]["containerStatuses"][0]["state"]["terminated"]
    assert (terminated["exitCode"], terminated["reason"]) == (3, "Error")
    assert c.job("flaky").failed == 1
    assert c.kubectl("logs job/flaky") == "working\n"


def test_a_command_kubesim_cannot_follow_runs_as_the_image_says():
    c = kubesim.Cluster(nodes=2, seed=0)
    c.images.register("perl:*", completes_after="10s")
    c.kubectl("create job server --image=busybox -- sh -c 'while true; do date; sleep 1; done'")
    c.kubectl("create job profiled --image=perl:5 -- echo hi")
    c.advance("1h")
    assert c.job("server").succeeded == 0 and c.job("server").active == 1
    assert c.kubectl("logs job/server") == ""
    # The image profile says how the container ends: it wins over the command.
    pod = next(p for p in c.pods() if p.name.startswith("profiled"))
    terminated = pod.to_dict()["status"]["containerStatuses"][0]["state"]["terminated"]
    assert terminated["startedAt"] != terminated["finishedAt"]


KUBECTL = shutil.which("kubectl")


@pytest.mark.skipif(KUBECTL is None, reason="the real kubectl binary is not on PATH")
def test_the_real_kubectl_creates_a_job_that_completes_and_reads_its_log():
    c = kubesim.Cluster(nodes=2, seed=0)
    with c.serve() as srv:
        env = srv.env()
        r = subprocess.run(
            [KUBECTL or "kubectl", "create", "job", "once", "--image=busybox", "--", "echo", "hello world"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert r.stdout == "job.batch/once created\n", r.stderr
        c.advance("1m")
        r = subprocess.run(
            [KUBECTL or "kubectl", "logs", "job/once"], env=env, capture_output=True, text=True, timeout=60
        )
        assert r.stdout == "hello world\n", r.stderr
    assert c.job("once").succeeded == 1
