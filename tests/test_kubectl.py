"""`c.kubectl(...)`: kubectl's command line and output formats (kubectl.md §3–§6)."""

from __future__ import annotations

import pytest

import kubesim


@pytest.fixture
def seeded(cluster, examples):
    cluster.kubectl(f"apply -f {examples / 'nginx-deployment.yaml'}")
    cluster.advance("3h2m")
    return cluster


def test_get_deployments_matches_kubectls_alignment(seeded):
    # kubectl.md §3.2: NAME column width max(6, len+3); the last column is not padded.
    out = seeded.kubectl("get deployments")
    assert out == (
        "NAME               READY   UP-TO-DATE   AVAILABLE   AGE\n"
        "nginx-deployment   3/3     3            3           3h2m\n"
    )


def test_get_pods_show_labels_and_selectors(seeded):
    out = seeded.kubectl("kubectl get pods --show-labels -l 'app in (nginx)'")
    lines = out.splitlines()
    assert lines[0].split() == ["NAME", "READY", "STATUS", "RESTARTS", "AGE", "LABELS"]
    assert len(lines) == 4
    for line in lines[1:]:
        name, ready, status, restarts, age, labels = line.split()
        assert (ready, status, restarts, age) == ("1/1", "Running", "0", "3h2m")
        assert labels.startswith("app=nginx,pod-template-hash=")
    assert not any(line.endswith(" ") for line in lines), "no trailing spaces"


def test_nothing_found_and_not_found(seeded):
    r = seeded.kubectl("get pods -l app=none", check=False)
    assert (r.stdout, r.stderr, r.exit_code) == ("", "No resources found in default namespace.\n", 0)
    with pytest.raises(kubesim.KubectlError) as info:
        seeded.kubectl("get deployment nope")
    assert str(info.value) == 'Error from server (NotFound): deployments.apps "nope" not found'
    assert info.value.exit_code == 1
    r = seeded.kubectl("get widgets", check=False)
    assert r.stderr == 'error: the server doesn\'t have a resource type "widgets"\n'


def test_multi_kind_blocks_and_output_formats(seeded):
    out = seeded.kubectl("get deploy,rs")
    blocks = out.split("\n\n")
    assert blocks[0].splitlines()[1].startswith("deployment.apps/nginx-deployment ")
    assert blocks[1].splitlines()[1].startswith("replicaset.apps/nginx-deployment-")
    assert seeded.kubectl("get deploy -o name") == "deployment.apps/nginx-deployment\n"
    assert seeded.kubectl("get deployment nginx-deployment -o yaml") == seeded.deployment("nginx-deployment").to_yaml()


def test_rollout_history_set_image_and_undo(seeded):
    r = seeded.kubectl("set image deployment/nginx-deployment nginx=nginx:1.9.1 --record", check=False)
    assert r.stdout == "deployment.apps/nginx-deployment image updated\n"
    assert r.stderr == "Flag --record has been deprecated, --record will be removed in the future\n"
    status = seeded.kubectl("rollout status deployment.v1.apps/nginx-deployment")
    assert status.endswith('deployment "nginx-deployment" successfully rolled out\n')
    assert seeded.kubectl("rollout history deployment.v1.apps/nginx-deployment") == (
        "deployment.apps/nginx-deployment \n"
        "REVISION  CHANGE-CAUSE\n"
        "1         <none>\n"
        "2         kubectl set image deployment/nginx-deployment nginx=nginx:1.9.1 --record=true\n"
        "\n"
    )
    assert (
        seeded.kubectl("rollout undo deployment.v1.apps/nginx-deployment")
        == "deployment.apps/nginx-deployment rolled back\n"
    )
    assert (
        seeded.kubectl("scale deployment.v1.apps/nginx-deployment --replicas=10")
        == "deployment.apps/nginx-deployment scaled\n"
    )
    with pytest.raises(kubesim.KubectlError, match='unable to find container named "foo"'):
        seeded.kubectl("set image deployment/nginx-deployment foo=bar")
    assert seeded.kubectl("delete deployment nginx-deployment") == 'deployment.apps "nginx-deployment" deleted\n'


def test_pod_status_column_shows_waiting_reasons_and_restarts(cluster):
    cluster.images.register("app:crash", crash_after="5s")
    cluster.apply(
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "crash"},
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": {"app": "crash"}},
                "template": {
                    "metadata": {"labels": {"app": "crash"}},
                    "spec": {"containers": [{"name": "c", "image": "app:crash"}]},
                },
            },
        }
    )
    cluster.advance("14s")  # running at 3 s, crash at 8 s (restart), crash at 13 s → back-off 10 s
    [pod] = cluster.pods()
    assert cluster.kubectl("get pods") == (
        "NAME                     READY   STATUS             RESTARTS     AGE\n"
        f"{pod.name}   0/1     CrashLoopBackOff   1 (1s ago)   14s\n"
    )


def test_describe_pod_layout(cluster, examples):
    cluster.kubectl(f"apply -f {examples / 'redis-pod.yaml'}")
    cluster.advance("11m")
    pod = cluster.pod("redis-master")
    out = cluster.kubectl("describe pod redis-master")
    lines = out.splitlines()
    assert lines[:5] == [
        "Name:             redis-master",
        "Namespace:        default",
        "Priority:         0",
        "Service Account:  default",
        f"Node:             {pod.node}/{pod.status['hostIP']}",
    ]
    assert "Annotations:      <none>" in lines, "last-applied-configuration is not shown"
    assert f"  IP:  {pod.ip}" in lines
    assert "    State:          Running" in lines
    assert "      MASTER:  true" in lines
    assert "  PodReadyToStartContainers   True " in lines, "condition rows keep their trailing space"
    assert "Tolerations:                  node.kubernetes.io/not-ready:NoExecute op=Exists for 300s" in lines
    assert lines[-7] == "  Type    Reason     Age   From               Message"
    assert lines[-1] == "  Normal  Started    10m   kubelet            Started container master"
