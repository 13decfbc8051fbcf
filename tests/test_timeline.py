"""The timeline recorder: what it records, when, and what it costs."""

from __future__ import annotations

import subprocess
import sys

import pytest

import kubesim
from kubesim._optional import require
from kubesim.testing import workload


def scaled_seed(c: kubesim.Cluster, examples) -> kubesim.Deployment:
    """The seed Deployment (3 replicas) rolled out, then scaled to 10 at t=3s."""
    c.apply(examples / "nginx-deployment.yaml")
    d = c.deployment("nginx-deployment")
    d.rollout.status()
    assert c.elapsed == 3.0  # pull 2 s, start 1 s
    d.scale(10)
    c.advance("20s")
    return d


def test_scale_from_3_to_10_shows_counts_rising_at_the_right_times(cluster, examples):
    cluster.record(every="1s")
    scaled_seed(cluster, examples)
    tl = cluster.timeline()
    series = {f: tl.series("deployment", "nginx-deployment", f) for f in ("desired", "current", "available")}
    # Created at 0 (3 pods, none available); ready 3 s later; scaled at 3 s; the image is cached
    # on every node by then, so the 7 new pods start in 1 s.
    assert series["desired"] == [(0.0, 3), (3.0, 10)]
    assert series["current"] == [(0.0, 3), (3.0, 10)]
    assert series["available"] == [(0.0, 0), (3.0, 3), (4.0, 10)]
    rows = [r for r in tl if r["kind"] == "Deployment" and r["field"] == "available"]
    assert [(r["time"], r["value"]) for r in rows] == [(0.0, 0), (3.0, 3), (4.0, 10)]
    assert set(rows[0]) == {"time", "kind", "namespace", "name", "field", "value"}
    # The ReplicaSet, the pods and the nodes tell the same story.
    (rs,) = tl.names("replicaset")
    assert tl.series("replicaset", rs, "desired") == [(0.0, 3), (3.0, 10)]
    assert tl.value("replicaset", rs, "owner") == "nginx-deployment"
    states = [tl.value("pod", p, "state", at=3.0) for p in tl.names("pod")]
    assert sorted(states) == ["ContainerCreating"] * 7 + ["Ready"] * 3
    assert all(tl.value("pod", p, "state", at=4.0) == "Ready" for p in tl.names("pod"))
    pods_on_nodes = [tl.value("node", n, "pods", at=3.0, namespace="") for n in tl.names("node", None)]
    assert sum(pods_on_nodes) == 10 and len(pods_on_nodes) == 3
    scaled = [e for e in tl.events if e["reason"] == "ScalingReplicaSet"]
    assert [(e["time"], e["message"]) for e in scaled][-1] == (3.0, f"Scaled up replica set {rs} from 3 to 10")


def test_samples_fall_on_the_grid_and_when_a_wait_returns(cluster, examples):
    cluster.record(every="2s")
    cluster.apply(examples / "nginx-deployment.yaml")
    cluster.advance("2500ms")  # grid 0, 2 and the return at 2.5
    cluster.advance("10s")
    tl = cluster.timeline()
    # Ready at 3 s, seen at the next grid point (4 s).
    assert tl.series("deployment", "nginx-deployment", "available") == [(0.0, 0), (4.0, 3)]
    assert {r["time"] for r in tl} <= {0.0, 2.0, 2.5, 4.0, 6.0, 8.0, 10.0, 12.0, 12.5}
    assert (tl.start, tl.end) == (0.0, 12.5)


def test_quiet_time_costs_no_samples(cluster, examples):
    """The recorder skips grid points where nothing can change: a quiet day is not 86,400 stops."""
    cluster.record(every="1s")
    scaled_seed(cluster, examples)
    before = len(cluster.timeline())

    class Counting:
        def __init__(self, native):
            self.native, self.stops, self.samples = native, 0, 0

        def run_to_ms(self, t):
            self.stops += 1
            self.native.run_to_ms(t)

        def timeline_sample(self, *args):
            self.samples += 1
            return self.native.timeline_sample(*args)

        def __getattr__(self, name):
            return getattr(self.native, name)

    counting = Counting(cluster._native)
    cluster._native = counting
    cluster.advance("24h")
    assert counting.stops < 50, counting.stops
    assert counting.samples < 50, counting.samples
    tl = cluster.timeline()
    assert tl.end == 23.0 + 86400
    # Events expire after an hour: only Event objects change; no recorded field does.
    assert len(tl) == before
    assert tl.value("deployment", "nginx-deployment", "available") == 10


def test_deleted_objects_end_their_series(cluster, examples):
    cluster.record()
    cluster.apply(examples / "nginx-deployment.yaml")
    cluster.advance("5s")
    cluster.delete("deployment", "nginx-deployment")
    cluster.advance("1s")
    tl = cluster.timeline()
    assert tl.series("deployment", "nginx-deployment", "available")[-1] == (5.0, None)
    assert tl.filter(kind="deployment", field="deleted")[-1]["value"] is True
    assert tl.value("deployment", "nginx-deployment", "desired", at=4.0) == 3
    assert tl.value("deployment", "nginx-deployment", "desired") is None


def test_hpa_utilization_and_target_are_recorded(cluster, examples):
    cluster.record(every="5s", pods=False)
    cluster.apply(examples / "nginx-deployment.yaml")
    d = cluster.deployment("nginx-deployment")
    d.rollout.status()
    patch = {
        "spec": {
            "template": {
                "spec": {
                    "containers": [
                        {"name": "nginx", "image": "nginx:1.14.2", "resources": {"requests": {"cpu": "200m"}}}
                    ]
                }
            }
        }
    }
    cluster.patch("deployment", "nginx-deployment", patch)
    d.rollout.status()
    cluster.advance("1m")  # the old pods finish terminating
    d.set_load(cpu="900m")  # 300m a pod: 150% of the request
    d.autoscale(min=2, max=6, cpu_percent=50)
    cluster.advance("2m")
    tl = cluster.timeline()
    assert not tl.names("pod"), "pods=False leaves pods out"
    assert tl.value("hpa", "nginx-deployment", "cpu_target_utilization") == 50
    utilizations = [v for _, v in tl.series("hpa", "nginx-deployment", "cpu_utilization")]
    assert utilizations == [150, 75], "150% on 3 pods, then 75% on the 6 it scaled to"
    assert tl.value("hpa", "nginx-deployment", "desired") == 6
    assert tl.value("deployment", "nginx-deployment", "desired") == 6
    assert tl.value("hpa", "nginx-deployment", "target") == "Deployment/nginx-deployment"
    assert tl.value("hpa", "nginx-deployment", "ScalingLimited") == "True"


def test_to_pandas_tidy_and_wide(cluster, examples):
    cluster.record(every="1s")
    scaled_seed(cluster, examples)
    tl = cluster.timeline()
    tidy = tl.to_pandas()
    assert list(tidy.columns) == ["time", "kind", "namespace", "name", "field", "value"]
    assert len(tidy) == len(tl)
    wide = tl.to_pandas(wide=True)
    assert list(wide.index) == [float(t) for t in range(0, 24)], "the sampling grid"
    available = wide[("Deployment", "nginx-deployment", "available")]
    assert list(available.loc[[0.0, 2.0, 3.0, 4.0, 23.0]]) == [0, 0, 3, 10, 10], "values carried forward"
    frame = cluster.events_frame()
    assert {"time", "reason", "message", "kind", "name", "count"} <= set(frame.columns)
    assert (frame["reason"] == "ScalingReplicaSet").sum() == 2


def test_events_frame_without_recording_reads_the_store(cluster, examples):
    cluster.apply(examples / "redis-pod.yaml")
    cluster.advance("10s")
    frame = cluster.events_frame()
    assert list(frame["reason"]) == ["Scheduled", "Pulling", "Pulled", "Created", "Started"]
    assert list(frame["time"]) == [0.0, 0.0, 2.0, 3.0, 3.0]


def test_timeline_needs_a_recording():
    with pytest.raises(kubesim.InvalidArgumentError, match=r"c\.record\(\)"):
        kubesim.Cluster(record=False).timeline()


def test_a_cluster_records_every_change_from_its_creation(examples):
    c = kubesim.Cluster()
    assert c.recording
    c.apply(examples / "nginx-deployment.yaml")
    c.advance("1m")
    tl = c.timeline()
    assert tl.every == 0
    # Exact instants, not a grid: pulls take 2 s and starts 1 s, so all three are ready at 3 s.
    assert tl.series("deployment", "nginx-deployment", "available") == [(0.0, 0), (3.0, 3)]
    assert tl.names("pod") == [], "pod states only with c.record(pods=True)"
    assert {e["reason"] for e in tl.events} >= {"ScalingReplicaSet", "Scheduled", "Pulled", "Started"}
    # What a sample at each instant costs: only the instants at which something was written.
    assert len(list(tl.samples())) <= 6
    # A fork carries the recording on, each on its own.
    fork = c.fork()
    fork.deployment("nginx-deployment").scale(1)
    fork.advance("1m")
    assert fork.timeline().series("deployment", "nginx-deployment", "desired")[-1] == (60.0, 1)
    assert c.timeline().series("deployment", "nginx-deployment", "desired") == [(0.0, 3)]


def test_record_stops_and_resumes(examples):
    cluster = kubesim.Cluster(record=False)
    cluster.record()
    assert cluster.recording
    cluster.apply(examples / "nginx-deployment.yaml")
    cluster.advance("1s")
    cluster.record(False)
    assert not cluster.recording
    cluster.advance("5s")
    assert cluster.timeline().value("deployment", "nginx-deployment", "available") == 0, "not sampled while off"
    cluster.record("500ms")
    cluster.advance("1s")
    assert cluster.timeline().series("deployment", "nginx-deployment", "available")[-1] == (6.0, 3)
    with pytest.raises(kubesim.InvalidArgumentError, match="must not be negative"):
        cluster.record("-1s")


def test_core_imports_without_the_optional_packages():
    code = (
        "import sys, kubesim\n"
        "c = kubesim.Cluster(); c.record(); c.advance('1m'); c.timeline(); c._repr_html_()\n"
        "print(sorted(m for m in ('pandas', 'matplotlib', 'tqdm', 'IPython', 'hypothesis') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_a_missing_optional_package_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match=r"pip install 'kubesim\[notebook\]'"):
        require("pandas", "Timeline.to_pandas()")


class FakeBar:
    bars: list[FakeBar] = []

    def __init__(self, iterable=None, total=None, desc="", **kwargs):
        self.iterable, self.total, self.desc, self.n, self.closed = iterable, total, desc, 0.0, False
        FakeBar.bars.append(self)

    def update(self, n):
        self.n += n

    def __iter__(self):
        for item in self.iterable:
            self.n += 1
            yield item

    def close(self):
        self.closed = True


def test_progress_bar_counts_virtual_seconds(cluster, monkeypatch, capsys):
    cluster.advance("90s", progress=True)
    assert capsys.readouterr().err == "", "a wait over in less than half a second of wall time draws no bar"
    monkeypatch.setattr("kubesim._progress.DELAY", 0)
    cluster.advance("90s", progress=True)
    assert "advance" in capsys.readouterr().err, "tqdm draws on stderr"
    FakeBar.bars = []
    monkeypatch.setattr("kubesim._progress._tqdm", lambda: FakeBar)
    cluster.advance("60s", progress=True)
    (bar,) = FakeBar.bars
    assert (bar.desc, bar.total, bar.n, bar.closed) == ("advance", 60.0, 60.0, True)
    cluster.advance("10s")  # off by default under pytest
    assert len(FakeBar.bars) == 1
    cluster.run_until(lambda: cluster.elapsed >= 290, timeout="2m", progress=True)
    bar = FakeBar.bars[-1]
    assert (bar.desc, bar.total, bar.n) == ("run_until", 120.0, 120.0)
    assert cluster.elapsed == 370.0, "ran to the deadline: no timer is pending in an empty cluster"


def test_sweep_runs_every_combination(capsys, monkeypatch):
    def rollout_time(max_surge: int | str, max_unavailable: int | str) -> dict:
        c = kubesim.Cluster(nodes=3, seed=0)
        strategy = {"rollingUpdate": {"maxSurge": max_surge, "maxUnavailable": max_unavailable}}
        c.apply(workload("Deployment", "web", 4, container="web", strategy=strategy))
        d = c.deployment("web")
        d.rollout.status()
        start = c.elapsed
        d.set_image(web="nginx:1.26")
        d.rollout.status()
        return {"seconds": c.elapsed - start}

    monkeypatch.setattr("kubesim._progress.DELAY", 0)
    rows = kubesim.sweep(rollout_time, executor=False, progress=True, max_surge=[0, "100%"], max_unavailable=[1, "50%"])
    assert "sweep" in capsys.readouterr().err
    combos = [(r["max_surge"], r["max_unavailable"]) for r in rows]
    assert combos == [(0, 1), (0, "50%"), ("100%", 1), ("100%", "50%")]
    seconds = {(r["max_surge"], r["max_unavailable"]): r["seconds"] for r in rows}
    # One pod at a time is slowest; surging all four at once is fastest.
    assert seconds[(0, 1)] == max(seconds.values())
    assert seconds[("100%", "50%")] == min(seconds.values())
    assert seconds[(0, 1)] > seconds[("100%", "50%")]
    assert rows.to_pandas().shape == (4, 3)
