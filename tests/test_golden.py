"""The notebooks' scenarios as plain tests, checked against the golden traces in tests/golden/
(tests/test_notebooks.py checks each notebook's own run against the same file, so a notebook
and its scenario cannot drift apart). ``KUBESIM_UPDATE_GOLDEN=1`` rewrites the traces."""

from __future__ import annotations

import pytest

import kubesim
from kubesim.testing import trace

from .test_notebooks import check_golden


def test_01_seed_walkthrough(examples):
    c = kubesim.Cluster(nodes=3, seed=0)
    c.record(every="1s")
    c.apply(examples / "redis-pod.yaml")
    pod = c.pod("redis-master")
    c.run_until(lambda: pod.ready, timeout="1m")
    frontend = {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {"name": "frontend"},
        "spec": {
            "replicas": 3,
            "selector": {"matchLabels": {"tier": "frontend"}},
            "template": {
                "metadata": {"labels": {"tier": "frontend"}},
                "spec": {"containers": [{"name": "php-redis", "image": "gcr.io/google_samples/gb-frontend:v3"}]},
            },
        },
    }
    c.apply(frontend)
    c.advance("10s")
    c.delete("pod", c.pods(selector="tier=frontend")[0].name, grace_period=0)
    c.advance("5s")
    c.delete("replicaset", "frontend")
    c.delete("pod", "redis-master", grace_period=0)
    c.apply(examples / "nginx-deployment.yaml")
    d = c.deployment("nginx-deployment")
    d.rollout.status()
    d.set_image(nginx="nginx:1.9.1", record=True)
    d.rollout.status()
    c.advance("40s")
    d.rollout.undo()
    d.rollout.status()
    d.scale(10)
    c.run_until(lambda: d.available_replicas == 10, timeout="1m")
    container = {"name": "nginx", "image": "nginx:1.7.9", "resources": {"requests": {"cpu": "250m"}}}
    c.patch("deployment", "nginx-deployment", {"spec": {"template": {"spec": {"containers": [container]}}}})
    d.rollout.status()
    d.set_load(cpu=[(0, "2"), ("3m", "3.5"), ("8m", "1")])
    d.autoscale(min=10, max=15, cpu_percent=80)
    c.advance("15m")
    assert d.replicas == 10 and c.hpa("nginx-deployment").current_replicas == 10
    check_golden("01-seed-walkthrough", trace(c))


def web(replicas: int, strategy: dict, image: str, progress_deadline: int = 600, cpu: str | None = None) -> dict:
    container: dict = {"name": "web", "image": image}
    if cpu:
        container["resources"] = {"requests": {"cpu": cpu}}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {
            "replicas": replicas,
            "strategy": strategy,
            "progressDeadlineSeconds": progress_deadline,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [container]}},
        },
    }


def test_02_broken_image_and_the_progress_deadline():
    c = kubesim.Cluster(nodes=3, seed=0)
    c.record(every="1s")
    c.images.register("nginx:1.161", exists=False)
    c.apply(web(4, {"rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}}, "nginx:1.25", progress_deadline=60))
    d = c.deployment("web")
    d.rollout.status()
    d.set_image(web="nginx:1.161")
    with pytest.raises(kubesim.RolloutTimeoutError, match="exceeded its progress deadline"):
        d.rollout.status(timeout="5m")
    assert d.available_replicas == 4, "maxUnavailable 0: the old pods keep serving"
    d.rollout.undo()
    d.rollout.status()
    check_golden("02-rollout-strategies", trace(c))


def test_03_autoscaling_a_load_curve():
    c = kubesim.Cluster(nodes=4, seed=0)
    c.apply(web(4, {}, "nginx:1.25", cpu="200m"))
    c.deployment("web").rollout.status()
    c.record(every="5s", pods=False)
    ramp = [(f"{m}m", round(0.5 + 0.19 * m, 2)) for m in range(11)] + [("20m", 0.5)]
    c.deployment("web").set_load(cpu=ramp)
    target = {"type": "Utilization", "averageUtilization": 60}
    c.apply(
        {
            "apiVersion": "autoscaling/v2",
            "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": "web"},
            "spec": {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                "minReplicas": 2,
                "maxReplicas": 20,
                "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": target}}],
            },
        }
    )
    c.advance("30m")
    check_golden("03-autoscaling", trace(c))


def test_04_node_death_mid_rollout():
    c = kubesim.Cluster(nodes=3, seed=0)
    c.record(every="1s")
    c.images.register("app:2", pull="10s")
    c.apply(web(9, {"rollingUpdate": {"maxSurge": 1, "maxUnavailable": 1}}, "app:1"))
    d = c.deployment("web")
    d.rollout.status()
    d.set_image(web="app:2")
    c.advance("5s")
    c.node("node-2").fail()
    d.rollout.status(timeout="15m")
    c.advance("40s")
    assert d.updated_replicas == d.available_replicas == 9
    check_golden("04-failures", trace(c))
