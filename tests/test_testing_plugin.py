"""kubesim.testing: the pytest plugin's fixture, the assertion helpers and the strategies."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kubesim
from kubesim import _native
from kubesim._invariants import reference_matches
from kubesim.testing import (
    assert_eventually,
    assert_rollout_within_bounds,
    deployments,
    label_selectors,
    labels,
    manifests,
    trace,
    workload,
)

pytest_plugins = ["pytester"]

EXPERIMENT = """
import pytest
from kubesim.testing import assert_eventually, assert_rollout_within_bounds

MANIFEST = {
    "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
    "spec": {"replicas": 6, "strategy": {"rollingUpdate": {"maxSurge": 2, "maxUnavailable": 1}},
             "selector": {"matchLabels": {"app": "web"}},
             "template": {"metadata": {"labels": {"app": "web"}},
                          "spec": {"containers": [{"name": "web", "image": "nginx:1.25"}]}}},
}

@pytest.mark.kubesim(nodes=2, seed=7)
def test_rollout_experiment(cluster):
    assert len(cluster.nodes()) == 2 and cluster.seed == 7 and cluster.recording
    cluster.apply(MANIFEST)
    d = cluster.deployment("web")
    took = assert_eventually(cluster, lambda: d.available_replicas == 6, within="1m")
    assert took == 3.0
    d.set_image(web="nginx:1.26")
    assert_eventually(cluster, lambda: d.updated_replicas == d.available_replicas == 6 == d.status_replicas)
    assert assert_rollout_within_bounds(cluster, "web") >= 3

def test_default_cluster(cluster):
    assert len(cluster.nodes()) == 3 and cluster.recording

@pytest.mark.kubesim(every=None)
def test_no_recording(cluster):
    assert not cluster.recording

def test_never(cluster):
    cluster.apply(MANIFEST)
    assert_eventually(cluster, lambda: cluster.deployment("web").replicas == 7, within="30s", message="seven")
"""


def test_the_plugin_gives_any_project_a_cluster_fixture(pytester):
    pytester.makepyfile(test_experiment=EXPERIMENT)
    result = pytester.runpytest("-p", "no:cacheprovider", "--strict-markers", "-W", "error")
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines(["*AssertionError: seven did not hold within 30s of virtual time*"])


def rolling(name: str = "web", replicas: int = 6, surge: int | str = 1, unavailable: int | str = 1) -> dict:
    strategy = {"rollingUpdate": {"maxSurge": surge, "maxUnavailable": unavailable}}
    return workload("Deployment", name, replicas, container="web", strategy=strategy)


@pytest.fixture
def cluster(cluster):
    """The repository's fixture, recording (as the plugin's fixture does)."""
    cluster.record()
    return cluster


def test_bounds_hold_through_a_rollout_and_a_scale(cluster):
    cluster.apply(rolling())
    d = cluster.deployment("web")
    d.rollout.status()
    d.set_image(web="nginx:1.26")
    d.rollout.status()
    d.scale(12)  # availability may drop below desired − maxUnavailable while new pods start
    d.set_image(web="nginx:1.27")
    d.rollout.status()
    assert assert_rollout_within_bounds(cluster, "web") >= 10


def test_a_node_dying_mid_rollout_breaks_the_availability_bound(cluster):
    cluster.images.register("nginx:*")  # old pods take their whole grace period to go
    cluster.apply(rolling(replicas=6, surge=1, unavailable=1))
    d = cluster.deployment("web")
    d.rollout.status()
    d.set_image(web="nginx:1.26")
    cluster.node("node-1").fail()
    cluster.advance("2m")
    with pytest.raises(AssertionError, match=r"available < desired 6 - maxUnavailable 1"):
        assert_rollout_within_bounds(cluster, "web")


def test_recreate_never_runs_two_replicasets(cluster):
    manifest = rolling()
    manifest["spec"]["strategy"] = {"type": "Recreate"}
    cluster.apply(manifest)
    d = cluster.deployment("web")
    d.rollout.status()
    d.set_image(web="nginx:1.26")
    d.rollout.status()
    assert assert_rollout_within_bounds(cluster, "web") > 3
    # The same history under RollingUpdate would overlap: the check is not vacuous.
    other = kubesim.Cluster(seed=0)
    other.record()
    other.apply(rolling())
    other.deployment("web").rollout.status()
    other.deployment("web").set_image(web="nginx:1.26")
    other.deployment("web").rollout.status()
    tl = other.timeline()
    rs = tl.names("replicaset")
    overlap = [
        t
        for t, _ in tl.series("replicaset", rs[1], "current")
        if (tl.value("replicaset", rs[0], "current", at=t) or 0) > 0
    ]
    assert overlap


def test_assert_eventually_reports_the_virtual_time(cluster):
    cluster.apply(rolling())
    d = cluster.deployment("web")
    assert assert_eventually(cluster, lambda: d.available_replicas == 6) == 3.0
    with pytest.raises(AssertionError, match=r"<lambda> did not hold within 10s of virtual time \(at t=13s\)"):
        assert_eventually(cluster, lambda: d.replicas == 7, within="10s")


def test_trace_is_one_line_per_change(cluster):
    cluster.apply(rolling(replicas=2))
    cluster.advance("5s")
    lines = trace(cluster).splitlines()
    assert lines[0].startswith("t=0s Deployment/web desired=2 current=2 ready=0 available=0 updated=2")
    assert re.fullmatch(r"t=3s ReplicaSet/web-\w+ ready=2 available=2", lines[-1])


@given(selector=label_selectors(keys=st.sampled_from(["app", "tier", "example.com/team"])), pod_labels=labels())
def test_selector_strategy_matches_a_reference_evaluator(selector, pod_labels):
    assert _native.parse_selector(selector) is not None
    assert _native.selector_matches(selector, pod_labels) == reference_matches(selector, pod_labels)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(manifest=manifests())
def test_generated_manifests_are_valid(manifest):
    c = kubesim.Cluster(nodes=2, seed=0)
    (result,) = c.apply(manifest)
    assert result.action == "created"


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(manifest=deployments(max_replicas=8))
def test_any_generated_rollout_completes_within_its_bounds(manifest):
    """An experiment as a property: any strategy, any size, the guarantees hold."""
    c = kubesim.Cluster(nodes=3, seed=0)
    c.record()
    c.apply(manifest)
    d = c.deployment("web")
    d.rollout.status(timeout="10m")
    d.set_image(main="nginx:1.27")
    d.rollout.status(timeout="10m")
    assert_rollout_within_bounds(c, "web")
    assert d.updated_replicas == d.replicas


FAILING = """
import pytest
from kubesim.testing import assert_eventually, workload

def test_stuck_rollout(cluster):
    cluster.images.register("web:broken", exists=False)
    cluster.apply(workload("Deployment", "web", 2, container="web"))
    d = cluster.deployment("web")
    assert_eventually(cluster, lambda: d.available_replicas == 2, within="1m")
    d.set_image(web="web:broken")
    assert_eventually(cluster, lambda: d.updated_replicas == d.available_replicas == 2, within="2m")

def test_plain_assert(cluster):
    cluster.apply(workload("Deployment", "api", 3))
    api = cluster.deployment("api")
    cluster.advance("10s")
    assert api.ready_replicas == 4

def test_passes(cluster):
    cluster.apply(workload("Deployment", "ok", 1))
"""


def test_a_failing_test_reports_its_cluster_and_what_the_predicate_saw(pytester, tmp_path):
    pytester.makepyfile(test_failing=FAILING)
    out = tmp_path / "timelines"
    result = pytester.runpytest("-p", "no:cacheprovider", "-W", "error", f"--kubesim-timeline={out}")
    result.assert_outcomes(passed=1, failed=2)
    text = result.stdout.str()
    # What the predicate saw last: its own text, its value, the values it compared.
    result.stdout.fnmatch_lines(
        [
            "*AssertionError: <lambda> did not hold within 2m of virtual time (at t=*s)",
            "*d.updated_replicas == d.available_replicas == 2 was last False: "
            "d.updated_replicas = 1, d.available_replicas = 2",
        ]
    )
    # The cluster's state, its Warning events, the last changes of what the test held.
    stuck = text[text.index("_ test_stuck_rollout _") : text.index("_ test_plain_assert _")]
    assert "- kubesim cluster -" in stuck
    assert re.search(r"default +deployment.apps/web +2/2 +1 +2 ", stuck), "get all -A"
    assert re.search(r"Warning +Failed +pod/web-\w+-\w+ +Error: ImagePullBackOff", stuck), "Warning events"
    assert "last changes of deployment/web (recorded):" in stuck
    assert re.search(r"t=\d+s .*updated=1", stuck)
    plain = text[text.index("_ test_plain_assert _") :]
    assert "assert 3 == 4" in plain and "last changes of deployment/api (recorded):" in plain
    assert "deployment/web" not in plain.split("short test summary")[0]
    # On request, each failing test's timeline as a file; none for the passing test.
    files = sorted(p.name for p in out.iterdir())
    assert files == ["test_failing.py_test_plain_assert.csv", "test_failing.py_test_stuck_rollout.csv"]
    csv_text = (out / files[1]).read_text()
    assert csv_text.startswith("time,kind,namespace,name,field,value\n")
    assert ",Deployment,default,web,updated,1\n" in csv_text
    assert f"timeline: {out / files[1]}" in stuck


def test_assert_eventually_reports_what_a_function_predicate_saw(cluster):
    cluster.apply(workload("Deployment", "web", 2))
    d = cluster.deployment("web")

    def scaled_up():
        return len(d.pods()) > 3

    with pytest.raises(AssertionError) as info:
        assert_eventually(cluster, scaled_up, within="10s")
    assert str(info.value).endswith("len(d.pods()) > 3 was last False: len(d.pods()) = 2")
    assert info.value.kubesim_objects == [d]
