"""HorizontalPodAutoscaler on the load model (controllers.md §3)."""

from __future__ import annotations

import pytest

import kubesim


def deployment(replicas: int = 3, cpu_request: str | None = "500m", name: str = "web") -> dict:
    container: dict = {"name": "c", "image": "nginx:1.25"}
    if cpu_request:
        container["resources"] = {"requests": {"cpu": cpu_request}}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": [container]}},
        },
    }


def hpa_v2(name: str, kind: str, min_replicas: int, max_replicas: int, cpu_percent: int, behavior: dict) -> dict:
    """An autoscaling/v2 HPA on CPU utilization with the given behavior."""
    target = {"type": "Utilization", "averageUtilization": cpu_percent}
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": name},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": kind, "name": name},
            "minReplicas": min_replicas,
            "maxReplicas": max_replicas,
            "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": target}}],
            "behavior": behavior,
        },
    }


def test_seed_autoscale_without_requests_shows_unknown_targets(cluster, examples):
    cluster.kubectl(f"apply -f {examples / 'nginx-deployment.yaml'}")
    cluster.advance("1m")
    out = cluster.kubectl("autoscale deployment.v1.apps/nginx-deployment --min=10 --max=15 --cpu-percent=80")
    assert out == "horizontalpodautoscaler.autoscaling/nginx-deployment autoscaled\n"
    cluster.advance("1m")
    line = cluster.kubectl("get hpa").splitlines()[1]
    assert line.split()[:7] == [
        "nginx-deployment",
        "Deployment/nginx-deployment",
        "cpu:",
        "<unknown>/80%",
        "10",
        "15",
        "10",
    ]
    h = cluster.hpa("nginx-deployment")
    active = next(c for c in h.conditions if c["type"] == "ScalingActive")
    assert (active["status"], active["reason"]) == ("False", "FailedGetResourceMetric")
    assert "missing request for cpu in container nginx" in active["message"]
    assert cluster.deployment("nginx-deployment").replicas == 10, "raised to minReplicas"
    [rescale] = [e for e in cluster.events(h) if e.reason == "SuccessfulRescale"]
    assert rescale.message == "New size: 10; reason: Current number of replicas below Spec.MinReplicas"


@pytest.mark.parametrize(
    ("usages", "target", "expected"),
    [
        # upstream replica calculator: utilization is a truncated whole percent of the requests.
        (["300m", "300m", "300m"], 50, 4),  # 60% / 50% = 1.2 → ceil(1.2 × 3) = 4
        (["250m", "260m", "240m"], 50, 3),  # exactly 50%: within tolerance
        (["270m", "270m", "270m"], 50, 3),  # 54% → ratio 1.08 ≤ 1.1: no change
        (["100m", "100m", "100m"], 50, 3),  # 20% → ceil(0.4 × 3) = 2, but scale-down waits 5 minutes
    ],
)
def test_replica_calculator_through_the_simulation(cluster, usages, target, expected):
    cluster.apply(deployment(replicas=3))
    d = cluster.deployment("web")
    d.rollout.status()
    cluster.advance("5m")  # past the CPU initialization period
    for pod, usage in zip(d.pods(), usages, strict=True):
        pod.set_usage(cpu=usage)
    d.autoscale(min=1, max=10, cpu_percent=target)
    cluster.advance("16s")
    assert d.replicas == expected


def test_load_ramp_scales_up_in_steps_and_down_after_stabilization(cluster):
    cluster.apply(deployment(replicas=2, cpu_request="500m"))
    d = cluster.deployment("web")
    d.rollout.status()
    d.autoscale(min=2, max=10, cpu_percent=50)
    d.set_load(cpu=[(0, "500m"), ("2m", "4"), ("12m", "500m")])
    history = []
    for _ in range(60):  # 30 minutes in 30 s steps
        cluster.advance("30s")
        history.append((cluster.elapsed, d.replicas))
    replicas = [r for _, r in history]
    assert max(replicas) == 10 and min(replicas) == 2
    assert all(2 <= r <= 10 for r in replicas)
    # Legacy scale-up limit: at most max(2 × current, 4) per sync, so the climb takes steps.
    ups = [b for a, b in zip(replicas, replicas[1:], strict=False) if b > a]
    assert len(ups) >= 2
    # The load drops at 12 min (+ start); replicas stay up for the 5-minute stabilization window.
    drop = 12 * 60 + history[0][0] - 30
    held = [(t, r) for t, r in history if drop < t < drop + 5 * 60]
    assert held and all(r == 10 for _, r in held), held
    assert next(r for t, r in history if t >= drop + 5 * 60 + 15) == 2
    assert history[-1][1] == 2
    rescales = [e.message for e in cluster.events(cluster.hpa("web")) if e.reason == "SuccessfulRescale"]
    assert any(m.endswith("reason: cpu resource utilization (percentage of request) above target") for m in rescales)
    assert any(m.endswith("reason: All metrics below target") for m in rescales)


def test_behavior_policies_limit_the_scale_up_rate(cluster):
    cluster.apply(deployment(replicas=2))
    d = cluster.deployment("web")
    d.rollout.status()
    behavior = {"scaleUp": {"policies": [{"type": "Pods", "value": 1, "periodSeconds": 60}]}}
    cluster.apply(hpa_v2("web", "Deployment", 2, 10, 50, behavior))
    d.set_load(cpu="10")
    seen = []
    for _ in range(8):
        cluster.advance("30s")
        seen.append(d.replicas)
    # One pod per minute at most.
    assert all(b - a <= 1 for a, b in zip([2, *seen], seen, strict=False)), seen
    assert seen[-1] >= 5
    limited = next(c for c in cluster.hpa("web").conditions if c["type"] == "ScalingLimited")
    assert limited["reason"] in {"ScaleUpLimit", "TooManyReplicas"}


def _pod(name: str, ready: bool) -> dict:
    container = {
        "name": "c",
        "image": "app:ready" if ready else "app:never-ready",
        "resources": {"requests": {"cpu": "1"}},
        "readinessProbe": {"exec": {"command": ["check"]}, "periodSeconds": 5},
    }
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": {"app": "calc"}},
        "spec": {"containers": [container]},
    }


# Cases from upstream replica_calculator_test.go (requests of 1 CPU per pod), run through the
# simulation: pods adopted by a ReplicaSet that the HPA targets, usages set per pod.
CALCULATOR_CASES = [
    # name, current, readiness, usages (m), target %, expected replicas
    ("ScaleUp", 3, [True, True, True], [300, 500, 700], 30, 5),
    ("ScaleDown", 5, [True] * 5, [100, 300, 500, 250, 250], 50, 3),
    ("ScaleUpUnreadyLessScale", 3, [False, True, True], [300, 500, 700], 30, 4),
    ("ScaleUpUnreadyNoScale", 3, [True, False, False], [400, 500, 700], 30, 3),
    ("ScaleDownIgnoresUnreadyPods", 5, [True, True, True, False, False], [100, 300, 500, 250, 250], 50, 2),
    ("Tolerance", 3, [True, True, True], [1010, 1030, 1020], 100, 3),
]


@pytest.mark.parametrize(
    ("current", "readiness", "usages", "target", "expected"),
    [c[1:] for c in CALCULATOR_CASES],
    ids=[c[0] for c in CALCULATOR_CASES],
)
def test_upstream_replica_calculator_cases(current, readiness, usages, target, expected):
    c = kubesim.Cluster(nodes=3, seed=1)
    c.images.register("app:never-ready", ready_after="100h")
    for i, ready in enumerate(readiness):
        c.apply(_pod(f"p{i}", ready))
    c.apply(
        {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "metadata": {"name": "calc"},
            "spec": {
                "replicas": current,
                "selector": {"matchLabels": {"app": "calc"}},
                "template": {"metadata": {"labels": {"app": "calc"}}, "spec": _pod("x", True)["spec"]},
            },
        }
    )
    c.advance("6m")  # running and past the CPU initialization period
    assert [p.name for p in c.pods()] == [f"p{i}" for i in range(current)], "all adopted, none created"
    for i, usage in enumerate(usages):
        c.pod(f"p{i}").set_usage(cpu=f"{usage}m")
    # No stabilization or rate limits: the calculator's answer is applied as is.
    behavior = {
        "scaleDown": {
            "stabilizationWindowSeconds": 0,
            "policies": [{"type": "Percent", "value": 100, "periodSeconds": 15}],
        },
        "scaleUp": {"policies": [{"type": "Percent", "value": 900, "periodSeconds": 15}]},
    }
    c.apply(hpa_v2("calc", "ReplicaSet", 1, 20, target, behavior))
    c.advance("1s")
    assert c.replicaset("calc").replicas == expected
