"""The real kubectl (v1.32, found on PATH) against ``c.serve()`` for Jobs and CronJobs: apply,
get (tables rendered by the server), describe, wait and delete print what ``c.kubectl()``
prints for the same state."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator

import pytest

import kubesim
from kubesim.testing import workload

KUBECTL = shutil.which("kubectl")
pytestmark = pytest.mark.skipif(KUBECTL is None, reason="the real kubectl binary is not on PATH")

MANIFEST = """\
apiVersion: batch/v1
kind: Job
metadata:
  name: pi
spec:
  completions: 2
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: pi
        image: perl:5.34
---
apiVersion: batch/v1
kind: CronJob
metadata:
  name: hello
spec:
  schedule: "*/5 * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers:
          - name: hello
            image: busybox:1.28
"""


@pytest.fixture
def served() -> Iterator[tuple[kubesim.Cluster, dict[str, str]]]:
    c = kubesim.Cluster(nodes=2, seed=0)
    c.images.register("perl:*", completes_after="10s")
    c.images.register("busybox*", completes_after="5s")
    with c.serve() as srv:
        yield c, srv.env()


def run(env: dict[str, str], *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [KUBECTL or "kubectl", *args], env=env, input=stdin, capture_output=True, text=True, timeout=60
    )


def without_events(text: str) -> str:
    # Event ages in describe are the client's wall clock against virtual timestamps.
    return text.split("Events:")[0]


def test_apply_get_describe_and_wait(served):
    c, env = served
    r = run(env, "apply", "-f", "-", stdin=MANIFEST)
    assert r.stdout == "job.batch/pi created\ncronjob.batch/hello created\n", r.stderr
    c.advance("6m")
    for command in ("get jobs", "get cronjobs", "get all", "get jobs -o wide", "get cj -o wide"):
        r = run(env, *command.split())
        assert r.returncode == 0, r.stderr
        assert r.stdout == c.kubectl(command), command
    everything = run(env, "get", "all").stdout
    assert everything.index("cronjob.batch/hello") < everything.index("\njob.batch/"), "cronjobs first, as upstream"
    for command in ("describe job pi", "describe cronjob hello"):
        r = run(env, *command.split())
        assert without_events(r.stdout) == without_events(c.kubectl(command)), command
    r = run(env, "wait", "--for=condition=complete", "job/pi", "--timeout=5s")
    assert r.stdout == "job.batch/pi condition met\n", r.stderr
    r = run(env, "get", "job", "pi", "-o", "jsonpath={.status.succeeded}/{.spec.completions}")
    assert r.stdout == "2/2"


def test_delete_a_job_through_the_server(served):
    c, env = served
    run(env, "apply", "-f", "-", stdin=MANIFEST)
    c.advance("1m")
    r = run(env, "delete", "job", "pi", "--wait=false")
    assert r.stdout == 'job.batch "pi" deleted\n', r.stderr
    c.advance("1m")
    assert c.jobs() == [] and [p for p in c.pods() if p.name.startswith("pi-")] == []


def spec_of(job: kubesim.Job) -> dict:
    """A Job's spec without what depends on its uid and name (the generated selector and labels)."""
    spec = job.to_dict()["spec"]
    spec.pop("selector")
    labels = spec["template"]["metadata"]["labels"]
    spec["template"]["metadata"]["labels"] = {k: v for k, v in labels.items() if "uid" not in k and "job-name" not in k}
    return spec


def test_create_job_from_a_cronjob_is_decoded_from_protobuf(served):
    # kubectl sends `create job` as protobuf: every field a job template can carry must arrive
    # (distinct values, so a wrong field number would show).
    c, env = served
    template = {
        "metadata": {"labels": {"team": "a"}, "annotations": {"note": "x"}},
        "spec": {
            "parallelism": 3,
            "completions": 5,
            "activeDeadlineSeconds": 100,
            "backoffLimit": 4,
            "ttlSecondsAfterFinished": 50,
            "completionMode": "Indexed",
            "suspend": True,
            "backoffLimitPerIndex": 2,
            "maxFailedIndexes": 1,
            "podReplacementPolicy": "Failed",
            "template": {
                "metadata": {"labels": {"x": "y"}},
                "spec": {
                    "restartPolicy": "Never",
                    "nodeSelector": {"disk": "ssd"},
                    "containers": [
                        {
                            "name": "c",
                            "image": "busybox:1.28",
                            "command": ["date"],
                            "env": [{"name": "A", "value": "1"}],
                        }
                    ],
                },
            },
        },
    }
    c.apply(
        {
            "apiVersion": "batch/v1",
            "kind": "CronJob",
            "metadata": {"name": "cj"},
            "spec": {"schedule": "@daily", "jobTemplate": template},
        }
    )
    r = run(env, "create", "job", "served", "--from=cronjob/cj")
    assert r.stdout == "job.batch/served created\n", r.stderr
    c.kubectl("create job local --from=cronjob/cj")
    served, local = c.job("served"), c.job("local")
    assert spec_of(served) == spec_of(local)
    assert served.annotations == local.annotations == {"cronjob.kubernetes.io/instantiate": "manual", "note": "x"}
    assert served.owner_references == local.owner_references
    r = run(env, "create", "job", "once", "--image=busybox", "--", "date")
    assert r.stdout == "job.batch/once created\n", r.stderr
    assert c.job("once").to_dict()["spec"]["template"]["spec"]["containers"][0]["command"] == ["date"]


@pytest.mark.parametrize(
    "args",
    [
        [
            "create",
            "cronjob",
            "tick",
            "--image=busybox:1.28",
            "--schedule=*/5 * * * *",
            "--restart=OnFailure",
            "--",
            "date",
        ],
        ["create", "poddisruptionbudget", "tick", "--selector=app=web", "--min-available=50%"],
        ["create", "pdb", "tick", "--selector=app=web", "--max-unavailable=1"],
    ],
)
def test_create_cronjob_and_pdb_through_the_server_make_what_kubectl_makes_locally(served, args):
    # kubectl sends both as protobuf: the object the server stores is the one the same command
    # makes in a cluster of its own (`c.kubectl`), and it works there.
    c, env = served
    r = run(env, *args)
    local = kubesim.Cluster(nodes=2, seed=0)
    assert r.stdout == local.kubectl(subprocess.list2cmdline(args)), r.stderr
    kind = "cronjob" if args[1] == "cronjob" else "pdb"
    assert c.get(kind, "tick").to_dict()["spec"] == local.get(kind, "tick").to_dict()["spec"]
    if kind == "cronjob":
        c.advance("6m")  # (upstream: the first run is looked at 100 ms after 00:05)
        assert [j.owner_references[0]["name"] for j in c.jobs()] == ["tick"]
    else:
        c.apply(workload("Deployment", "web", 2, "nginx"))
        c.advance("1m")
        assert c.pdb("tick").disruptions_allowed == 1
