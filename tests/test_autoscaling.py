"""HorizontalPodAutoscaler on the load model (controllers.md §3)."""

from __future__ import annotations

import pytest

import kubesim
from kubesim.testing import workload


def deployment(replicas: int = 3, cpu_request: str | None = "500m", name: str = "web") -> dict:
    requests = {"requests": {"cpu": cpu_request}} if cpu_request else None
    return workload("Deployment", name, replicas, container="c", resources=requests)


def cpu_utilization(percent: int) -> dict:
    return {
        "type": "Resource",
        "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": percent}},
    }


def resource_average(name: str, value: str) -> dict:
    return {"type": "Resource", "resource": {"name": name, "target": {"type": "AverageValue", "averageValue": value}}}


def pods_metric(name: str, average: str) -> dict:
    return {
        "type": "Pods",
        "pods": {"metric": {"name": name}, "target": {"type": "AverageValue", "averageValue": average}},
    }


def external_metric(name: str, *, value: str | None = None, average: str | None = None, labels=None) -> dict:
    metric: dict = {"name": name}
    if labels is not None:
        metric["selector"] = {"matchLabels": labels}
    target = (
        {"type": "Value", "value": value} if value is not None else {"type": "AverageValue", "averageValue": average}
    )
    return {"type": "External", "external": {"metric": metric, "target": target}}


def hpa_v2(
    name: str,
    kind: str,
    min_replicas: int,
    max_replicas: int,
    cpu_percent: int | None = None,
    behavior: dict | None = None,
    metrics: list[dict] | None = None,
) -> dict:
    """An autoscaling/v2 HPA: on CPU utilization, or on the given metrics; `behavior` if given."""
    spec: dict = {
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": kind, "name": name},
        "minReplicas": min_replicas,
        "maxReplicas": max_replicas,
        "metrics": metrics if metrics is not None else [cpu_utilization(cpu_percent or 80)],
    }
    if behavior is not None:
        spec["behavior"] = behavior
    return {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": name}, "spec": spec}


def running(cluster, replicas: int = 2) -> kubesim.Deployment:
    """Deployment `web`, rolled out, with a scrape whose window began after its pods were
    Ready (so their CPU samples count during the initialization period)."""
    cluster.apply(deployment(replicas=replicas))
    d = cluster.deployment("web")
    d.rollout.status()
    cluster.advance("30s")
    return d


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


# --- The replica calculator, through the simulation ---------------------------------------
#
# Cases from upstream replica_calculator_test.go. Each pod is (state, value): "ready" and
# "unready" (running, never Ready) report `value`; "missing" pods started after the last scrape,
# so the metrics API has no sample of them; "pending" pods never started; "deleting" pods are
# being deleted (the ReplicaSet scaled them away). Pods past the first `current` live ones belong
# to a second ReplicaSet, as during a rolling update with surge. Upstream's pods have two
# containers; here one container carries both, so raw averages are halved, ratios unchanged.

IMAGES = {
    "ready": "app:ready",
    "unready": "app:never-ready",
    "missing": "app:late",
    "pending": "app:stuck",
    "deleting": "app:never-ready",
}

NO_LIMITS = {
    "scaleDown": {
        "stabilizationWindowSeconds": 0,
        "policies": [{"type": "Percent", "value": 100, "periodSeconds": 15}],
    },
    "scaleUp": {"policies": [{"type": "Percent", "value": 900, "periodSeconds": 15}]},
}


def _pod(name: str, state: str, request: str = "1", surge: bool = False) -> dict:
    container = {
        "name": "c",
        "image": IMAGES[state],
        "resources": {"requests": {"cpu": request, "memory": "100Mi"}},
        "readinessProbe": {"exec": {"command": ["check"]}, "periodSeconds": 5},
    }
    labels = {"app": "calc", **({"surge": "yes"} if surge else {})}
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": labels},
        "spec": {"containers": [container]},
    }


def _replicaset(name: str, replicas: int, labels: dict) -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels}, "spec": _pod("x", "ready")["spec"]},
        },
    }


def calculator_cluster(current: int, pods: list[tuple[str, object]], requests: list[str] | None = None):
    """Pods p0… in the given states under ReplicaSet `calc` (spec.replicas = `current`), at 362 s:
    past the CPU initialization period, one second after the `missing` pods started and two
    after the last scrape."""
    states = [state for state, _ in pods]
    assert not ("unready" in states and "deleting" in states), "the ReplicaSet must delete exactly the deleting pods"
    c = kubesim.Cluster(nodes=3, seed=1)
    c.images.register("app:never-ready", ready_after="100h")
    c.images.register("app:late", pull="6m", start="1s")
    c.images.register("app:stuck", pull="100h")
    live = 0
    surge = []
    for i, state in enumerate(states):
        is_surge = state != "deleting" and live >= current
        live += state != "deleting"
        surge.append(is_surge)
        c.apply(_pod(f"p{i}", state, (requests or ["1"] * len(pods))[i], is_surge))
    if any(surge):
        c.apply(_replicaset("calc-surge", sum(surge), {"app": "calc", "surge": "yes"}))
    c.apply(_replicaset("calc", current + states.count("deleting"), {"app": "calc"}))
    c.advance("6m2s")
    assert [p.name for p in c.pods()] == [f"p{i}" for i in range(len(pods))], "all adopted, none created"
    if "deleting" in states:
        c.patch("replicaset", "calc", {"spec": {"replicas": current}})
        assert all(
            (p.deletion_timestamp is not None) == (s == "deleting") for p, s in zip(c.pods(), states, strict=True)
        )
    return c


def run_calculator(c, metrics: list[dict]) -> int:
    c.apply(hpa_v2("calc", "ReplicaSet", 1, 40, behavior=NO_LIMITS, metrics=metrics))
    c.advance("1s")
    return c.replicaset("calc").replicas


R, U, M, P, D = "ready", "unready", "missing", "pending", "deleting"

CPU_CASES = [
    # name, current, pods (state, usage in m), target %, expected, per-pod requests
    ("ScaleUp", 3, [(R, 300), (R, 500), (R, 700)], 30, 5, None),
    ("ScaleDown", 5, [(R, 100), (R, 300), (R, 500), (R, 250), (R, 250)], 50, 3, None),
    ("ScaleUpUnreadyLessScale", 3, [(U, 300), (R, 500), (R, 700)], 30, 4, None),
    ("ScaleUpUnreadyNoScale", 3, [(R, 400), (U, 500), (U, 700)], 30, 3, None),
    ("ScaleDownIgnoresUnreadyPods", 5, [(R, 100), (R, 300), (R, 500), (U, 250), (U, 250)], 50, 2, None),
    ("Tolerance", 3, [(R, 1010), (R, 1030), (R, 1020)], 100, 3, None),
    # missing metrics: 100 % of the request (or the target above 100 %) on a scale-down, 0 on a scale-up
    ("MissingMetrics", 4, [(R, 400), (R, 95), (M, None), (M, None)], 100, 3, None),
    ("MissingMetricsNoChangeEq", 2, [(R, 1000), (M, None)], 100, 2, None),
    ("MissingMetricsNoChangeGt", 2, [(R, 1900), (M, None)], 100, 2, None),
    ("MissingMetricsNoChangeLt", 2, [(R, 600), (M, None)], 100, 2, None),
    ("MissingMetricsUnreadyChange", 3, [(U, 100), (R, 450), (M, None)], 50, 3, None),
    ("MissingMetricsUnreadyScaleUp", 3, [(U, 100), (R, 2000), (M, None)], 50, 4, None),
    ("MissingMetricsUnreadyScaleDown", 4, [(U, 100), (R, 100), (R, 100), (M, None)], 50, 3, None),
    (
        "MissingMetricsScaleDownTargetOver100",
        4,
        [(U, 200), (R, 100), (R, 100), (M, None)],
        300,
        2,
        ["1", "1", "2", "2"],
    ),
    ("DuringRollingUpdateWithMaxSurge", 2, [(R, 100), (R, 100), (M, None)], 50, 2, None),
    # pods being deleted and pending pods
    ("ScaleUpIgnoresDeletingPods", 2, [(R, 500), (R, 700), (D, 0), (D, 0)], 30, 4, None),
    (
        "ScaleDownIgnoresDeletingPods",
        5,
        [(R, 100), (R, 300), (R, 500), (R, 250), (R, 250), (D, 0), (D, 0)],
        50,
        3,
        None,
    ),
    ("ScaleDownExcludesUnscheduledPods", 5, [(R, 100), (P, None), (P, None), (P, None), (P, None)], 50, 1, None),
]


@pytest.mark.parametrize(
    ("current", "pods", "target", "expected", "requests"),
    [c[1:] for c in CPU_CASES],
    ids=[c[0] for c in CPU_CASES],
)
def test_upstream_replica_calculator_cases(current, pods, target, expected, requests):
    c = calculator_cluster(current, pods, requests)
    for i, (_, usage) in enumerate(pods):
        if usage is not None:
            c.pod(f"p{i}").set_usage(cpu=f"{usage}m")
    assert run_calculator(c, [cpu_utilization(target)]) == expected


PODS_METRIC_CASES = [
    # name, current, pods (state, value in m), target (m), expected replicas, expected average
    ("ScaleUpCM", 3, [(R, 20000), (R, 10000), (R, 30000)], 15000, 4, "20"),
    # Not CPU: pods that are running but not Ready still count.
    ("ScaleUpCMUnreadyHotCpuNoLessScale", 3, [(R, 50000), (R, 10000), (U, 30000)], 15000, 6, "30"),
    ("ScaleUpCMUnreadyHotCpuScaleWouldScaleDown", 3, [(U, 50000), (R, 15000), (U, 30000)], 15000, 7, "31666m"),
    ("ScaleDownCM", 5, [(R, 12000)] * 5, 20000, 3, "12"),
    ("ToleranceCM", 3, [(R, 20000), (R, 21000), (R, 21000)], 20000, 3, "20666m"),
    ("MissingMetricsNoChangeEqCM", 5, [(R, 20000), (R, 19000), (R, 21000), (M, None), (M, None)], 20000, 5, "20"),
    ("DuringRollingUpdateWithMaxSurgeCM", 2, [(R, 10000), (R, 10000), (M, None)], 17000, 2, "10"),
    ("ScaleUpIgnoresDeletingPodsCM", 2, [(R, 20000), (R, 40000), (D, 0), (D, 0)], 10000, 6, "30"),
]


@pytest.mark.parametrize(
    ("current", "pods", "target", "expected", "average"),
    [c[1:] for c in PODS_METRIC_CASES],
    ids=[c[0] for c in PODS_METRIC_CASES],
)
def test_upstream_pods_metric_cases(current, pods, target, expected, average):
    c = calculator_cluster(current, pods)
    for i, (_, value) in enumerate(pods):
        if value is not None:
            c.pod(f"p{i}").set_metric("qps", f"{value}m")
    assert run_calculator(c, [pods_metric("qps", f"{target}m")]) == expected
    [status] = c.hpa("calc").status["currentMetrics"]
    assert status == {"type": "Pods", "pods": {"metric": {"name": "qps"}, "current": {"averageValue": average}}}


EXTERNAL_CASES = [
    # name, current, pods, total (m), target kind, target (m), expected replicas, current value
    # Value targets: the ratio times the Ready pods (unready ones do not count).
    ("ScaleUpCMExternalIgnoresUnreadyPods", 3, [U, R, U], 8600, "value", 4400, 2, {"value": "8600m"}),
    ("ScaleDownCMExternal", 5, [R] * 5, 8600, "value", 14334, 3, {"value": "8600m"}),
    ("ToleranceCMExternal", 3, [R] * 3, 8600, "value", 8888, 3, {"value": "8600m"}),
    # AverageValue targets: ceil(total / target) against the target's status.replicas.
    ("ScaleUpPerPodCMExternal", 3, [R] * 3, 8600, "average", 2150, 4, {"averageValue": "2867m"}),
    ("ScaleDownPerPodCMExternal", 5, [R] * 5, 8600, "average", 2867, 3, {"averageValue": "1720m"}),
    ("TolerancePerPodCMExternal", 3, [R] * 3, 8600, "average", 2900, 3, {"averageValue": "2867m"}),
]


@pytest.mark.parametrize(
    ("current", "states", "total", "kind", "target", "expected", "current_value"),
    [c[1:] for c in EXTERNAL_CASES],
    ids=[c[0] for c in EXTERNAL_CASES],
)
def test_upstream_external_metric_cases(current, states, total, kind, target, expected, current_value):
    c = calculator_cluster(current, [(s, None) for s in states])
    # Two series match the selector and are summed; a third does not.
    c.set_external_metric("qps", f"{total - 600}m", labels={"label": "value", "shard": "a"})
    c.set_external_metric("qps", "600m", labels={"label": "value", "shard": "b"})
    c.set_external_metric("qps", "1000", labels={"label": "other"})
    target_kw = {"value": f"{target}m"} if kind == "value" else {"average": f"{target}m"}
    assert run_calculator(c, [external_metric("qps", labels={"label": "value"}, **target_kw)]) == expected
    [status] = c.hpa("calc").status["currentMetrics"]
    assert status["external"]["current"] == current_value
    assert status["external"]["metric"] == {"name": "qps", "selector": {"matchLabels": {"label": "value"}}}


# --- Memory ----------------------------------------------------------------------------------

MEMORY_CASES = [
    # name, pods (state, usage), metric, expected replicas, current status
    # Memory has no readiness rule: a running pod that is not Ready still counts.
    ("UtilizationCountsUnreadyPods", [(U, "150Mi"), (R, "50Mi"), (R, "50Mi")], 60, 5, {"averageUtilization": 83}),
    ("AverageValue", [(U, "150Mi"), (R, "50Mi"), (R, "40Mi")], "40Mi", 6, {"averageValue": "83886080"}),
    # A missing pod counts as exactly the target on a scale-down (not as its request).
    (
        "AverageValueMissingPodOnScaleDown",
        [(R, "20Mi"), (R, "20Mi"), (M, None)],
        "40Mi",
        2,
        {"averageValue": "20971520"},
    ),
    ("AverageValueWithinTolerance", [(R, "42Mi"), (R, "40Mi"), (R, "38Mi")], "40Mi", 3, {"averageValue": "41943040"}),
]


@pytest.mark.parametrize(
    ("pods", "metric", "expected", "current"), [c[1:] for c in MEMORY_CASES], ids=[c[0] for c in MEMORY_CASES]
)
def test_memory_metrics(pods, metric, expected, current):
    c = calculator_cluster(3, pods)
    for i, (_, usage) in enumerate(pods):
        if usage is not None:
            c.pod(f"p{i}").set_usage(memory=usage)
    if isinstance(metric, int):
        spec = {
            "type": "Resource",
            "resource": {"name": "memory", "target": {"type": "Utilization", "averageUtilization": metric}},
        }
    else:
        spec = resource_average("memory", metric)
    assert run_calculator(c, [spec]) == expected
    [status] = c.hpa("calc").status["currentMetrics"]
    assert status["resource"]["name"] == "memory"
    assert current.items() <= status["resource"]["current"].items()


def test_memory_average_value_targets_column(cluster):
    cluster.apply(deployment(replicas=2))
    d = cluster.deployment("web")
    d.rollout.status()
    d.set_load(memory="200Mi")
    cluster.advance("15s")  # a scrape after the pods started
    cluster.apply(hpa_v2("web", "Deployment", 2, 10, metrics=[resource_average("memory", "200Mi")]))
    cluster.advance("1s")
    row = cluster.kubectl("get hpa").splitlines()[1].split()
    assert row[2:4] == ["memory:", "104857600/200Mi"], "100Mi each, as DecimalSI bytes"


# --- Pods and External metrics in scenarios ---------------------------------------------------


def test_pods_metric_total_is_shared_by_ready_pods(cluster):
    d = running(cluster)
    d.set_metric("requests_per_second", total="300")
    cluster.apply(hpa_v2("web", "Deployment", 1, 10, metrics=[pods_metric("requests_per_second", "50")]))
    cluster.advance("1s")
    assert cluster.kubectl("get hpa").splitlines()[1].split()[2] == "150/50"
    assert d.replicas == 4, "ceil(3 × 2) = 6, held to the legacy limit max(2 × 2, 4)"
    [rescale] = [e.message for e in cluster.events(cluster.hpa("web")) if e.reason == "SuccessfulRescale"]
    assert rescale == "New size: 4; reason: pods metric requests_per_second above target"
    cluster.advance("2m")
    assert d.replicas == 6, "300 over 6 pods is the target"
    assert cluster.hpa("web").status["currentMetrics"][0]["pods"]["current"] == {"averageValue": "50"}


def test_pods_metric_per_pod_and_overrides(cluster):
    d = running(cluster)
    d.set_metric("queue_length", per_pod=7)
    p0, p1 = d.pods()
    p0.set_metric("queue_length", "1")  # (1 + 7) / 2 = 4
    cluster.apply(hpa_v2("web", "Deployment", 1, 10, metrics=[pods_metric("queue_length", "5")]))
    cluster.advance("1s")
    h = cluster.hpa("web")
    assert h.status["currentMetrics"][0]["pods"]["current"] == {"averageValue": "4"}
    assert d.replicas == 2, "4/5 = 0.8 → ceil(1.6) = 2"
    p0.set_metric("queue_length", None)
    cluster.advance("15s")
    assert d.replicas == 3, "7/5 → ceil(2.8)"
    with pytest.raises(kubesim.InvalidArgumentError, match="give per_pod or total, not both"):
        d.set_metric("queue_length", per_pod=1, total=2)
    d.set_metric("queue_length")  # neither: removed
    cluster.advance("15s")
    active = next(c for c in h.conditions if c["type"] == "ScalingActive")
    assert (active["reason"], d.replicas) == ("FailedGetPodsMetric", 3)


def test_pods_metric_total_skips_overridden_pods(cluster):
    d = running(cluster)
    d.set_metric("rps", total="300")
    d.pods()[0].set_metric("rps", "30")
    cluster.apply(hpa_v2("web", "Deployment", 2, 2, metrics=[pods_metric("rps", "100")]))
    cluster.advance("1s")
    assert cluster.hpa("web").status["currentMetrics"][0]["pods"]["current"] == {"averageValue": "165"}


def test_missing_pods_metric_is_failed_get_pods_metric(cluster):
    running(cluster)
    cluster.apply(hpa_v2("web", "Deployment", 1, 10, metrics=[pods_metric("nope", "5")]))
    cluster.advance("1s")
    h = cluster.hpa("web")
    active = next(c for c in h.conditions if c["type"] == "ScalingActive")
    cause = (
        "unable to get metric nope: unable to fetch metrics from custom metrics API: "
        "the server could not find the metric nope for pods"
    )
    assert (active["status"], active["reason"]) == ("False", "FailedGetPodsMetric")
    assert active["message"] == f"the HPA was unable to compute the replica count: {cause}"
    events = {e.reason: e.message for e in cluster.events(h)}
    assert events["FailedGetPodsMetric"] == cause
    assert events["FailedComputeMetricsReplicas"] == (
        f"invalid metrics (1 invalid out of 1), first error is: failed to get pods metric value: {cause}"
    )
    assert h.status["currentMetrics"] == [{"type": ""}], "upstream keeps an empty status for a failed metric"


def test_external_metric_value_and_rescale_reason(cluster):
    d = running(cluster)
    cluster.set_external_metric("queue_depth", 30, labels={"queue": "jobs"})
    cluster.set_external_metric("queue_depth", 1000, labels={"queue": "other"})
    metric = external_metric("queue_depth", average="5", labels={"queue": "jobs"})
    cluster.apply(hpa_v2("web", "Deployment", 1, 10, metrics=[metric]))
    cluster.advance("1s")
    assert cluster.kubectl("get hpa").splitlines()[1].split()[2:4] == ["15/5", "(avg)"]
    [rescale] = [e.message for e in cluster.events(cluster.hpa("web")) if e.reason == "SuccessfulRescale"]
    selector = (
        "&LabelSelector{MatchLabels:map[string]string{queue: jobs,},MatchExpressions:[]LabelSelectorRequirement{},}"
    )
    assert rescale == f"New size: 4; reason: external metric queue_depth({selector}) above target"
    cluster.advance("1m")
    assert d.replicas == 6, "ceil(30 / 5)"
    cluster.set_external_metric("queue_depth", None, labels={"queue": "jobs"})
    cluster.advance("15s")
    active = next(c for c in cluster.hpa("web").conditions if c["type"] == "ScalingActive")
    assert active["reason"] == "FailedGetExternalMetric"
    assert active["message"].endswith(
        f"unable to get external metric default/queue_depth/{selector}: no metrics returned from external metrics API"
    )


def test_unknown_external_metric_is_failed_get_external_metric(cluster):
    running(cluster)
    cluster.apply(hpa_v2("web", "Deployment", 1, 10, metrics=[external_metric("queue", value="10")]))
    cluster.advance("1s")
    h = cluster.hpa("web")
    cause = (
        "unable to get external metric default/queue/nil: unable to fetch metrics from external metrics API: "
        "the server could not find the metric queue for provided labels"
    )
    events = {e.reason: e.message for e in cluster.events(h)}
    assert events["FailedGetExternalMetric"] == cause
    assert events["FailedComputeMetricsReplicas"].endswith(
        f"first error is: failed to get external metric queue: {cause}"
    )


@pytest.mark.parametrize(
    ("rps", "expected", "active"),
    [
        ("300", 6, "ValidMetricFound"),  # the valid metric scales up: proceed despite the failure
        ("10", 2, "FailedGetExternalMetric"),  # it would scale down: hold, report the failure
    ],
)
def test_a_failing_metric_blocks_only_scale_down(cluster, rps, expected, active):
    d = running(cluster)
    d.set_metric("rps", total=rps)
    metrics = [external_metric("missing", value="1"), pods_metric("rps", "50")]
    cluster.apply(
        hpa_v2("web", "Deployment", 1, 10, behavior=NO_LIMITS, metrics=metrics),
    )
    cluster.advance("1s")
    h = cluster.hpa("web")
    assert d.replicas == expected
    assert next(c for c in h.conditions if c["type"] == "ScalingActive")["reason"] == active
    assert [e.reason for e in cluster.events(h)].count("FailedGetExternalMetric") == 1
    assert [m["type"] for m in h.status["currentMetrics"]] == ["", "Pods"], "statuses keep the spec's positions"


# --- Loads and metrics given as callables ----------------------------------------------------


def _callable_run(threads: int):
    c = kubesim.Cluster(nodes=3, seed=0, threads=threads)
    c.apply(deployment(replicas=2))
    d = c.deployment("web")
    d.rollout.status()
    calls: list[float] = []

    def load(t: float) -> str:
        calls.append(t)
        return "3" if 120 <= t < 600 else "200m"

    d.set_load(cpu=load)
    d.autoscale(min=2, max=10, cpu_percent=50)
    history = []
    for _ in range(60):
        c.advance("20s")
        history.append(d.replicas)
    return calls, history, [e.message for e in c.events(c.hpa("web"))]


def test_a_callable_load_is_sampled_once_per_scrape_and_drives_scaling():
    calls, history, events = _callable_run(threads=1)
    assert calls == [calls[0] + 15 * i for i in range(len(calls))], "every scrape, in order, once"
    assert all(t % 15 == 0 for t in calls), "t is a scrape time in elapsed virtual seconds"
    assert max(history) > 2 and history[-1] == 2, history
    assert (calls, history, events) == _callable_run(threads=2), "same result whatever the thread count"


def test_a_raising_callable_names_the_deployment_and_keeps_its_exception():
    c = kubesim.Cluster(nodes=1, seed=0)
    c.apply(deployment(replicas=1))
    d = c.deployment("web")
    d.set_load(cpu=lambda t: 1 / (t // 60 - 1))  # fine at 0 s, fails at 60 s
    with pytest.raises(kubesim.SimulationError) as e:
        c.advance("5m")
    assert str(e.value) == (
        "load callable for deployment default/web (cpu) failed at t=60s: ZeroDivisionError: float division by zero"
    )
    assert isinstance(e.value.__cause__, ZeroDivisionError)
    assert c.elapsed == 60, "time stops at the scrape that failed"
    d.set_load(cpu="100m")
    c.advance("5m")
    assert c.elapsed == 360


def test_callables_for_metrics_and_their_errors(cluster):
    cluster.apply(deployment(replicas=1))
    d = cluster.deployment("web")
    with pytest.raises(
        kubesim.SimulationError, match=r'metric callable "rps" for deployment default/web failed at t=0s: '
    ):
        d.set_metric("rps", per_pod=lambda t: None)
    with pytest.raises(kubesim.SimulationError, match="TypeError: a quantity is a string or a number, not None"):
        cluster.set_external_metric("depth", lambda t: None, labels={"q": "a"})
    with pytest.raises(kubesim.SimulationError, match="cannot use the cluster"):
        d.set_load(cpu=lambda t: cluster.elapsed)
    cluster.set_external_metric("depth", lambda t: 40 if t >= 60 else 10)
    d.rollout.status()
    cluster.apply(
        hpa_v2("web", "Deployment", 1, 10, behavior=NO_LIMITS, metrics=[external_metric("depth", average="10")])
    )
    cluster.advance("30s")
    assert d.replicas == 1
    cluster.advance("45s")
    assert d.replicas == 4


# --- Idle baseline and pods that just started -----------------------------------------------


@pytest.mark.parametrize(("idle", "expected"), [(None, 1), ({"cpu": "80m"}, 4)])
def test_idle_baseline_counts_for_every_running_pod(idle, expected):
    c = kubesim.Cluster(nodes=3, seed=0)
    c.apply(deployment(replicas=2, cpu_request="100m"))
    d = c.deployment("web")
    d.rollout.status()
    c.advance("5m")
    d.set_load(cpu="0", idle=idle)
    c.apply(hpa_v2("web", "Deployment", 1, 10, cpu_percent=50, behavior=NO_LIMITS))
    c.advance("1s")
    assert d.replicas == expected, "0 % scales down to 1; 80 % of the request → ceil(1.6 × 2)"


def test_idle_is_rejected_for_unknown_resources(cluster):
    cluster.apply(deployment(replicas=1))
    with pytest.raises(kubesim.InvalidArgumentError, match="idle takes cpu and memory, not gpu"):
        cluster.deployment("web").set_load(idle={"gpu": "1"})


def test_pods_that_just_started_have_no_metrics_until_the_next_scrape(cluster):
    cluster.images.register("nginx:1.25", pull="0s", start="0s")
    cluster.apply(deployment(replicas=1))
    d = cluster.deployment("web")
    d.rollout.status()
    d.set_load(cpu="1")
    cluster.advance(15 - cluster.elapsed % 15 + 1)  # one second past a scrape
    d.scale(2)
    cluster.advance("1s")
    new = next(p for p in d.pods() if p.phase == "Running" and p.name not in cluster.top())
    assert new.ready, "running and Ready, but scraped before it started"
    cluster.advance("15s")
    assert new.name in cluster.top()


# --- Behavior and the legacy path, through the simulation -------------------------------------


def _syncs(cluster, d, n: int) -> list[int]:
    """Replicas right after each of the next `n` HPA syncs (every 15 s from its creation)."""
    seen = []
    for _ in range(n):
        cluster.advance("15s")
        seen.append(d.replicas)
    return seen


def test_legacy_scale_up_doubles_per_sync(cluster):
    d = running(cluster)
    d.set_load(cpu="100")
    cluster.apply(hpa_v2("web", "Deployment", 2, 20, cpu_percent=50))
    cluster.advance("1s")
    assert [d.replicas, *_syncs(cluster, d, 3)] == [4, 8, 16, 20], "max(2 × current, 4) per sync, then maxReplicas"
    limited = next(c for c in cluster.hpa("web").conditions if c["type"] == "ScalingLimited")
    assert (limited["status"], limited["reason"]) == ("True", "TooManyReplicas")


def test_scale_up_stabilization_window_waits_for_every_recommendation(cluster):
    d = running(cluster)
    d.set_load(cpu="2")
    behavior = {"scaleUp": {"stabilizationWindowSeconds": 60}}
    cluster.apply(hpa_v2("web", "Deployment", 2, 20, cpu_percent=50, behavior=behavior))
    cluster.advance("1s")
    able = next(c for c in cluster.hpa("web").conditions if c["type"] == "AbleToScale")
    assert able["reason"] == "ScaleUpStabilized"
    # The first recommendation (the current 2) ages out at 60 s; then the default scale-up
    # policies (4 pods or 100 % per 15 s, the larger) allow 2 → 6 of the 8 recommended.
    assert [d.replicas, *_syncs(cluster, d, 4)] == [2, 2, 2, 2, 6]
    # The new pods' samples count once a scrape window starts after they were Ready; then a
    # full minute of recommendations of 8 (2 cores at 250m per pod) is needed.
    cluster.advance("2m")
    assert d.replicas == 8


def test_percent_scale_down_policy_halves_per_period(cluster):
    d = running(cluster, replicas=8)
    d.set_load(cpu="0")
    behavior = {
        "scaleDown": {
            "stabilizationWindowSeconds": 0,
            "policies": [{"type": "Percent", "value": 50, "periodSeconds": 60}],
        }
    }
    cluster.apply(hpa_v2("web", "Deployment", 1, 20, cpu_percent=50, behavior=behavior))
    cluster.advance("1s")
    assert [d.replicas, *_syncs(cluster, d, 8)] == [4, 4, 4, 4, 2, 2, 2, 2, 1]


def test_disabled_scale_down_holds_replicas(cluster):
    d = running(cluster, replicas=4)
    d.set_load(cpu="0")
    behavior = {"scaleDown": {"stabilizationWindowSeconds": 0, "selectPolicy": "Disabled"}}
    cluster.apply(hpa_v2("web", "Deployment", 1, 20, cpu_percent=50, behavior=behavior))
    assert set(_syncs(cluster, d, 40)) == {4}
    limited = next(c for c in cluster.hpa("web").conditions if c["type"] == "ScalingLimited")
    assert (limited["status"], limited["reason"]) == ("True", "ScaleDownLimit")


def test_legacy_downscale_waits_five_minutes_after_the_last_high_recommendation(cluster):
    d = running(cluster, replicas=4)
    d.set_load(cpu="1")  # 4 × 500m at 50 %: 50 % each, exactly on target
    cluster.apply(hpa_v2("web", "Deployment", 1, 20, cpu_percent=50))
    cluster.advance("1m")
    d.set_load(cpu="0")
    drop = cluster.elapsed
    seen = []
    while cluster.elapsed < drop + 6 * 60:
        cluster.advance("5s")
        seen.append((cluster.elapsed - drop, d.replicas))
    assert all(r == 4 for t, r in seen if t < 5 * 60 - 15), seen
    assert seen[-1][1] == 1


def test_a_missing_target_is_failed_get_scale_and_keeps_the_last_metrics(cluster):
    # upstream reconcileAutoscaler: the event, AbleToScale False, and the status written with
    # only that condition changed (currentMetrics and the replica counts stay).
    d = running(cluster, replicas=2)
    d.set_load(cpu="600m")
    d.autoscale(min=2, max=5, cpu_percent=80)
    cluster.advance("1m")
    before = cluster.hpa("web").status
    assert before["currentMetrics"][0]["resource"]["current"]["averageUtilization"] > 0
    cluster.delete("deployment", "web")
    cluster.advance("30s")
    h = cluster.hpa("web")
    able = next(c for c in h.conditions if c["type"] == "AbleToScale")
    message = 'the HPA controller was unable to get the target\'s current scale: deployments.apps "web" not found'
    assert (able["status"], able["reason"], able["message"]) == ("False", "FailedGetScale", message)
    assert any(e.reason == "FailedGetScale" and e.type == "Warning" for e in cluster.events(h))
    after = h.status
    for field in ("currentMetrics", "currentReplicas", "desiredReplicas"):
        assert after[field] == before[field], field
