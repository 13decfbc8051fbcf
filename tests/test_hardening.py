"""Hardening: ordinary scenarios that once panicked, stopped the clock or changed half a cluster."""

from __future__ import annotations

import kubesim
from kubesim.testing import workload


def test_scale_down_after_a_large_rollout_picks_victims_without_panicking():
    # A rollout leaves thousands of Ready pods whose Ready times fall in a few log2 buckets;
    # upstream's ranking is not a total order on them and Rust's sort used to panic.
    c = kubesim.Cluster(nodes=20, seed=0, events=False)
    c.apply(workload("Deployment", "web", 2000, "nginx:1.25", container="main"))
    d = c.deployment("web")
    d.rollout.status(timeout="1h")
    d.set_image(main="nginx:1.26")
    d.rollout.status(timeout="1h")
    d.scale(1000)
    c.run_until(lambda: d.available_replicas == 1000 and c.stats()["pods"] == 1000, timeout="5m")
    d.rollout.undo()
    d.rollout.status(timeout="1h")
    assert (d.ready_replicas, d.updated_replicas) == (1000, 1000)


def test_a_paused_deployment_with_a_pending_template_change_lets_time_pass():
    # upstream: only syncRolloutStatus requeues a Deployment against its progress deadline; a
    # paused one is never checked against it (it used to requeue itself forever at 601 s).
    c = kubesim.Cluster(seed=0)
    c.apply(workload("Deployment", "web", 3, "nginx:1.25", container="main"))
    d = c.deployment("web")
    d.rollout.status()
    d.rollout.pause()
    d.set_image(main="nginx:1.26")
    c.advance("15m")
    conditions = {x["type"]: x["reason"] for x in d.to_dict()["status"]["conditions"]}
    assert conditions["Progressing"] == "DeploymentPaused"
    assert d.updated_replicas == 0 and d.available_replicas == 3
    r = c.kubectl("rollout status deployment/web --timeout=1m", check=False)
    assert r.exit_code == 1 and "0 out of 3 new replicas have been updated" in r.stdout
    d.rollout.resume()
    assert d.rollout.status()[-1] == 'deployment "web" successfully rolled out'
    assert d.updated_replicas == 3
