"""kubesim.plot draws what was recorded, headless."""

from __future__ import annotations

import matplotlib
import pytest

import kubesim
import kubesim.plot

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture
def rolled(cluster, examples) -> kubesim.Cluster:
    """The seed: create, roll out nginx:1.9.1, wait for the old pods to go. nginx is registered
    with the default profile (it ignores SIGTERM), so old pods terminate for the full 30 s."""
    cluster.images.register("nginx:*")
    cluster.record()
    cluster.apply(examples / "nginx-deployment.yaml")
    d = cluster.deployment("nginx-deployment")
    d.rollout.status()
    d.set_image(nginx="nginx:1.9.1")
    d.rollout.status()
    cluster.advance("40s")
    return cluster


def test_rollout_draws_one_line_per_replicaset_and_the_bounds(rolled):
    ax = kubesim.plot.rollout(rolled, "nginx-deployment")
    labels = [line.get_label() for line in ax.get_lines()]
    rs = rolled.deployment("nginx-deployment").replicasets()
    assert len(rs) == 2
    assert len(labels) == 2 + 3, labels
    assert labels[-3:] == ["desired", "total pods", "available"]
    assert [lab.split(": ")[1].split(" ")[0] for lab in labels[:2]] == [r.name for r in rs]
    assert "(nginx:1.9.1)" in labels[1]
    (band,) = ax.collections
    assert band.get_label().startswith("bounds")
    # The bands' top is desired + maxSurge (3 + 1), its bottom desired - maxUnavailable (3 - 0).
    ys = band.get_paths()[0].vertices[:, 1]
    assert (ys.min(), ys.max()) == (3.0, 4.0)
    # Lines run to the end of the recording; the old ReplicaSet ends at 0 pods, the new at 3.
    old, new = ax.get_lines()[:2]
    assert old.get_xdata()[-1] == new.get_xdata()[-1] == rolled.timeline().end
    assert (old.get_ydata()[-1], new.get_ydata()[-1]) == (0.0, 3.0)
    assert max(ax.get_lines()[3].get_ydata()) <= 4, "total pods stay within desired + maxSurge"


def test_pods_gantt_has_a_row_per_pod_and_a_series_per_state(rolled):
    ax = kubesim.plot.pods(rolled)
    tl = rolled.timeline()
    pods = tl.names("pod")
    assert [t.get_text() for t in ax.get_yticklabels()] == pods
    assert len(pods) == 6
    states = [c.get_label() for c in ax.containers]
    assert states == ["ContainerCreating", "Ready", "Terminating"]
    ready = ax.containers[1]
    assert len(ready) == 6, "every pod was Ready for a while"
    # Old pods end when they are gone: 30 s of Terminating each, then no bar.
    terminating = ax.containers[2]
    assert len(terminating) == 3 and all(bar.get_width() == 30.0 for bar in terminating)
    only_new = kubesim.plot.pods(rolled, owner=rolled.deployment("nginx-deployment").replicasets()[1].name)
    assert len(only_new.get_yticklabels()) == 3


def test_autoscaling_draws_utilization_against_target_and_replicas(cluster, examples):
    cluster.record(pods=False)
    cluster.apply(examples / "nginx-deployment.yaml")
    d = cluster.deployment("nginx-deployment")
    patch = {
        "spec": {
            "template": {
                "spec": {
                    "containers": [
                        {"name": "nginx", "image": "nginx:1.7.9", "resources": {"requests": {"cpu": "100m"}}}
                    ]
                }
            }
        }
    }
    cluster.patch("deployment", "nginx-deployment", patch)
    d.rollout.status()
    cluster.advance("1m")  # the first pods finish terminating
    d.set_load(cpu=[(0, "600m"), ("3m", "100m")])
    d.autoscale(min=1, max=8, cpu_percent=50)
    cluster.advance("10m")
    fig = kubesim.plot.autoscaling(cluster, "nginx-deployment")
    util_ax, rep_ax = fig.axes
    assert [line.get_label() for line in util_ax.get_lines()] == ["cpu utilization (%)", "target (%)"]
    target = util_ax.get_lines()[1].get_ydata()
    assert set(target) == {50.0}
    assert max(util_ax.get_lines()[0].get_ydata()) == 200.0, "600m over 3 pods of 100m"
    labels = [line.get_label() for line in rep_ax.get_lines()]
    assert labels == ["HPA desired", "deployment desired", "available", "min", "max"]
    desired = rep_ax.get_lines()[0].get_ydata()
    assert max(desired) == 8.0 and desired[-1] < 8.0, "scaled up to max, then down after the load dropped"


def test_plots_need_a_recording(examples):
    unrecorded = kubesim.Cluster(record=False)
    unrecorded.apply(examples / "nginx-deployment.yaml")
    with pytest.raises(kubesim.InvalidArgumentError, match="record"):
        kubesim.plot.rollout(unrecorded, "nginx-deployment")
    cluster = kubesim.Cluster()
    cluster.apply(examples / "nginx-deployment.yaml")
    with pytest.raises(kubesim.InvalidArgumentError, match="no recorded HorizontalPodAutoscaler"):
        kubesim.plot.autoscaling(cluster, "nginx-deployment")
    with pytest.raises(kubesim.InvalidArgumentError, match='no recorded Deployment "nope"'):
        kubesim.plot.rollout(cluster, "nope")


def test_plots_draw_on_given_axes(rolled):
    fig, (a, b) = plt.subplots(1, 2)
    assert kubesim.plot.rollout(rolled, "nginx-deployment", ax=a) is a
    assert kubesim.plot.pods(rolled, ax=b) is b
    fig.savefig(__import__("io").BytesIO(), format="png")


def test_a_plot_after_the_fact_without_calling_record(examples):
    c = kubesim.Cluster()  # records every change from its creation
    c.apply(examples / "nginx-deployment.yaml")
    with pytest.warns(UserWarning, match=r"nothing to plot for deployment/nginx-deployment: .*no virtual time"):
        assert kubesim.plot.rollout(c, "nginx-deployment") is None
    assert not plt.get_fignums(), "no blank figure"
    d = c.deployment("nginx-deployment")
    d.rollout.status()
    d.set_image(nginx="nginx:1.9.1")
    d.rollout.status()
    ax = kubesim.plot.rollout(c, "nginx-deployment")
    assert len(ax.get_lines()) == 2 + 3
    # Change resolution: the lines step at the instants things changed (all three pods ready at
    # 3 s, the surge pod at once after the new template), up to the end of the recording.
    total = ax.get_lines()[-2]
    points = c.timeline().series("deployment", "nginx-deployment", "current")
    assert points[:2] == [(0.0, 3), (3.0, 4)] and points[-1][1] == 3
    assert list(total.get_xdata()[: len(points)]) == [t for t, _ in points]
    with pytest.warns(UserWarning, match=r"no pod states were recorded .*c\.record\(every=0, pods=True\)"):
        assert kubesim.plot.pods(c) is None
    present = {p.name for p in c.pods()}
    c.record(every=0, pods=True)
    c.advance("1s")
    shown = {label.get_text() for label in kubesim.plot.pods(c).get_yticklabels()}
    assert shown == present, "the pods as they were when pods=True began"


def test_an_empty_recording_warns_instead_of_drawing(examples):
    c = kubesim.Cluster(nodes=0)
    with pytest.warns(UserWarning, match="nothing to plot for the autoscaling of web: the recording is empty"):
        assert kubesim.plot.autoscaling(c, "web") is None
    assert not plt.get_fignums()
