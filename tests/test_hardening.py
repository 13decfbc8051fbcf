"""Hardening: ordinary scenarios that once panicked, stopped the clock or changed half a cluster."""

from __future__ import annotations

import pytest

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


def test_huge_requests_fit_no_node_and_are_stored_as_the_api_server_stores_them():
    # An unconvertible request once counted as 0 and a saturated one overflowed the fit check.
    c = kubesim.Cluster(nodes=[{"name": "node-1", "cpu": "4", "memory": "16Gi"}], seed=0)
    cases = [
        ("cpu", "1e18", "1e18", "Insufficient cpu"),
        ("cpu", "9223372036854775807", "9223372036854775807", "Insufficient cpu"),
        ("memory", "1e999", "1e999", "Insufficient memory"),
        # upstream: binary quantities are capped at MaxInt64 when parsed
        ("memory", "8Ei", "9223372036854775807", "Insufficient memory"),
    ]
    # Something already holds cpu and memory on the node, so a saturated request would overflow.
    c.apply(workload("Deployment", "small", 2, "nginx:1.25", resources={"requests": {"cpu": "1", "memory": "1Gi"}}))
    for i, (resource, value, _, _) in enumerate(cases):
        c.apply(
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": f"p{i}"},
                "spec": {"containers": [{"name": "c", "image": "nginx", "resources": {"requests": {resource: value}}}]},
            }
        )
    c.advance("1m")
    for i, (resource, _, stored, reason) in enumerate(cases):
        pod = c.pod(f"p{i}")
        assert (pod.phase, pod.node) == ("Pending", None), pod.name
        assert pod.to_dict()["spec"]["containers"][0]["resources"]["requests"][resource] == stored
        [message] = {e.to_dict()["message"] for e in c.events(pod) if e.reason == "FailedScheduling"}
        assert message.startswith(f"0/1 nodes are available: 1 {reason}."), message
    assert c.deployment("small").available_replicas == 2, "the huge requests hold nothing on the node"


@pytest.mark.parametrize(
    ("field", "value", "literal"),
    [
        ("replicas", ".inf", ".inf"),
        ("replicas", "-.inf", "-.inf"),
        ("minReadySeconds", ".nan", ".nan"),
        ("revisionHistoryLimit", ".NaN", ".nan"),
    ],
)
def test_yaml_floats_json_cannot_hold_are_rejected_at_their_field(field, value, literal):
    # serde_json turns them into null, which silently dropped the field (replicas: .inf gave 1).
    c = kubesim.Cluster(seed=0)
    rv = c.resource_version
    text = f"""apiVersion: apps/v1
kind: Deployment
metadata: {{name: web}}
spec:
  {field}: {value}
  selector: {{matchLabels: {{app: web}}}}
  template:
    metadata: {{labels: {{app: web}}}}
    spec: {{containers: [{{name: c, image: nginx}}]}}
"""
    with pytest.raises(kubesim.InvalidObjectError) as e:
        c.apply(text)
    assert e.value.field == f"spec.{field}"
    assert f"spec.{field}: invalid value: {literal}, expected a finite number" in str(e.value)
    assert c.resource_version == rv and c.deployments() == []


def test_an_internal_error_is_a_simulation_error_and_breaks_the_cluster_for_good(capfd):
    c = kubesim.Cluster(seed=0, threads=2)
    c.apply(workload("Deployment", "web", 3, "nginx:1.25"))
    c.advance("10s")
    with pytest.raises(kubesim.SimulationError) as e:
        c._native._debug_panic("advance")
    message = str(e.value)
    assert isinstance(e.value, Exception), "except Exception catches it (PanicException does not)"
    assert message.startswith("internal error in advance at virtual time 2026-01-01T00:00:10Z (10.000 s after")
    assert "injected by _debug_panic" in message and "can no longer be used" in message
    # Half-way through a change is no state to go on from: every later call raises the same.
    for later in (c.pods, lambda: c.advance("1s"), lambda: c.save("/nonexistent")):
        with pytest.raises(kubesim.SimulationError) as again:
            later()
        assert message in str(again.value)
    r = c.kubectl("get pods", check=False)  # as a server error: kubectl prints it and exits 1
    assert (r.exit_code, r.stderr) == (1, f"error: {message}\n")
    assert "broken" in repr(c._native._native)
    assert "panicked" not in capfd.readouterr().err, "no Rust panic report unless KUBESIM_BACKTRACE is set"
    other = kubesim.Cluster(seed=0)
    other.apply(workload("Deployment", "web", 3, "nginx:1.25"))
    assert len(other.pods()) == 3, "other clusters are not affected"


def test_kubesim_backtrace_prints_the_panic_with_a_backtrace(capfd, monkeypatch):
    monkeypatch.setenv("KUBESIM_BACKTRACE", "1")
    c = kubesim.Cluster(seed=0)
    with pytest.raises(kubesim.SimulationError):
        c._native._debug_panic("apply")
    err = capfd.readouterr().err
    assert "kubesim: internal error: panicked at" in err and "injected by _debug_panic" in err
    assert "_debug_panic" in err.split("injected", 1)[1], "a backtrace follows"


def test_the_cli_reports_an_internal_error_on_one_line_with_exit_code_1(tmp_path, capfd, monkeypatch):
    from kubesim import cli

    def broken_kubectl(self, command, check=True, input=None, for_=None, editor=None):
        self._native._debug_panic("kubectl")

    monkeypatch.setattr(kubesim.Cluster, "kubectl", broken_kubectl)
    code = cli.main(["kubectl", "--state", str(tmp_path / "state"), "get", "pods"])
    out, err = capfd.readouterr()
    assert code == 1 and out == ""
    assert err.startswith("kubesim: internal error in kubectl at virtual time ") and err.count("\n") == 1, err


def test_a_runaway_replicaset_stops_at_the_object_budget_and_the_cluster_recovers():
    c = kubesim.Cluster(seed=0, max_objects=3000, events=False)
    assert c._native.max_objects == 3000
    with pytest.raises(kubesim.ObjectBudgetError) as e:
        c.apply(workload("ReplicaSet", "big", 2147483647, "nginx:1.25"))
    assert "its budget is 3000" in str(e.value) and "pods" in str(e.value)
    pods = c.stats()["pods"]
    assert 2500 <= pods <= 3000 + 500, "stopped within one round (500 creates) of the budget"
    assert c.replicaset("big").replicas == 2147483647, "the apply itself took effect"
    c.delete("replicaset", "big")  # a round that only shrinks the store goes on
    c.advance("2m")
    assert c.stats()["pods"] == 0 and c.stats()["replicasets"] == 0


def test_with_events_on_deleting_the_runaway_works_and_a_raised_budget_lets_it_go_on():
    c = kubesim.Cluster(seed=0, max_objects=4000)
    with pytest.raises(kubesim.ObjectBudgetError):
        c.apply(workload("ReplicaSet", "big", 3000, "nginx:1.25"))
    stopped = c.stats()["pods"]
    c.max_objects = 100_000
    c.advance("1s")
    assert c.stats()["pods"] == 3000 > stopped, "raising the budget lets the ReplicaSet finish"
    c.max_objects = c.stats()["pods"]  # at the budget: deleting (which records Events) still works
    c.delete("replicaset", "big")
    c.advance("2m")
    assert c.stats()["pods"] == 0
    with pytest.raises(kubesim.InvalidArgumentError):
        kubesim.Cluster(max_objects=0)


def test_the_default_object_budget_is_generous_and_creates_beyond_it_are_refused():
    assert kubesim.Cluster()._native.max_objects == 5_000_000
    # 4 namespaces, their 4 default ServiceAccounts, the kubernetes Service and 1 node, then 3
    # Deployments and 3 ReplicaSets.
    c = kubesim.Cluster(nodes=1, max_objects=16)
    c.apply([workload("Deployment", f"d{i}", 0, "nginx") for i in range(3)])
    with pytest.raises(kubesim.ObjectBudgetError):
        c.create(workload("Deployment", "one-more", 0, "nginx"))
    assert c.stats()["deployments"] == 3


INTERRUPTED = """
import signal, sys, kubesim
from kubesim.testing import workload
c = kubesim.Cluster(seed=0, nodes=2, events=False)
c.apply(workload("Deployment", "web", 4, "nginx:1.25"))
d = c.deployment("web")
d.autoscale(min=2, max=8, cpu_percent=50)
told = []
def load(t):
    if t >= 3600 and not told:
        told.append(t)
        print("started", flush=True)  # the parent sends SIGINT now, while the day runs
    return 1000 + 500 * ((t // 600) % 3)
d.set_load(cpu=load)
try:
    c.advance("30d")
    print("not interrupted")
except KeyboardInterrupt:
    stopped = c.elapsed
    c.advance("1h")  # consistent: it goes on from where it stopped
    went_on = c.elapsed == stopped + 3600
    c.save(sys.argv[1])  # the state is the state: a stopped call leaves a cluster that saves
    loaded = kubesim.Cluster.load(sys.argv[1])
    for x in (c, loaded):
        x.advance("1h")
    saved = loaded.kubectl("get pods,hpa") == c.kubectl("get pods,hpa") and loaded.watch(0) == c.watch(0)
    print(f"interrupted {0 < stopped < 30 * 86400} {went_on} {len(c.pods()) >= 2} {saved}")
"""


def test_ctrl_c_interrupts_a_long_advance_and_leaves_a_cluster_that_goes_on(tmp_path):
    import signal
    import subprocess
    import sys

    script = tmp_path / "long.py"
    script.write_text(INTERRUPTED)
    saved = tmp_path / "saved"
    child = subprocess.Popen([sys.executable, str(script), str(saved)], stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    assert child.stdout.readline() == "started\n"
    child.send_signal(signal.SIGINT)
    out, _ = child.communicate(timeout=120)
    assert out == "interrupted True True True True\n"
    assert child.returncode == 0 and saved.exists()


def test_the_hpa_sums_int64_sized_requests_and_usage_exactly():
    # Two pods each requesting (and using) nearly int64 milli-cores: the sums once overflowed.
    nodes = [{"name": f"big-{i}", "cpu": "1e18", "memory": "1Ei", "pods": 110} for i in range(3)]
    c = kubesim.Cluster(nodes=nodes, seed=0)
    c.apply(workload("Deployment", "web", 2, "nginx:1.25", resources={"requests": {"cpu": "9223372036854775"}}))
    d = c.deployment("web")
    d.rollout.status()
    hpa = d.autoscale(min=1, max=5, cpu_percent=50)
    d.set_load(cpu="9223372036854775")
    c.advance("2m")
    [metric] = hpa.to_dict()["status"]["currentMetrics"]
    assert metric["resource"]["current"]["averageUtilization"] == 50
    assert d.replicas == 2
