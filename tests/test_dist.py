"""Image timings drawn from distributions (`kubesim.dist`): seeds differ in how long things take,
the same seed gives the same history for any thread count, and a draw belongs to its container."""

from __future__ import annotations

import datetime as _dt
import pickle
import re
import statistics

import pytest

import kubesim
from kubesim import dist
from kubesim.testing import workload

PULLED = re.compile(r'Successfully pulled image "(?P<image>[^"]+)" in (?P<took>[0-9.]+)(?P<unit>ms|s) ')


def pod(name: str, image: str, restart_policy: str = "Always") -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name},
        "spec": {"restartPolicy": restart_policy, "containers": [{"name": "main", "image": image}]},
    }


def pull_times(c: kubesim.Cluster) -> dict[str, int]:
    """Each pod's pull time in ms, from its Pulled event (each pod has an image of its own)."""
    out = {}
    for e in c.events():
        m = PULLED.search(e.message)
        if e.reason == "Pulled" and m:
            out[e.involved_object["name"]] = round(float(m["took"]) * (1 if m["unit"] == "ms" else 1000))
    return out


def pulls(timing: dist.Dist, n: int = 300, seed: int = 0) -> list[int]:
    c = kubesim.Cluster(nodes=4, seed=seed, events=True)
    c.images.register("app:*", pull=timing)
    c.apply([pod(f"p{i}", f"app:{i}") for i in range(n)])
    c.advance("10m")
    times = pull_times(c)
    assert len(times) == n
    return [times[f"p{i}"] for i in range(n)]


def quantile(values: list[int], q: float) -> int:
    v = sorted(values)
    return v[round((len(v) - 1) * q)]


@pytest.mark.parametrize(
    ("timing", "q", "want", "tolerance_ms"),
    [
        (dist.fixed("1500ms"), 0.5, 1500, 0),
        (dist.uniform("1s", "3s"), 0.0, 1000, 40),
        (dist.uniform("1s", "3s"), 0.5, 2000, 200),
        (dist.uniform("1s", "3s"), 1.0, 3000, 40),
        (dist.lognormal(median="2s", p99="20s"), 0.5, 2000, 300),
        (dist.exponential(mean="3s", min="1s"), 0.0, 1000, 30),
        (dist.normal(mean="5s", stddev="1s"), 0.5, 5000, 200),
        (dist.choice(["1s", "5s"], weights=[0, 1]), 0.0, 5000, 0),
        (dist.empirical(["1s", "2s", "7s"]), 1.0, 7000, 0),
    ],
)
def test_pull_times_follow_the_registered_distribution(timing, q, want, tolerance_ms):
    got = quantile(pulls(timing), q)
    assert abs(got - want) <= tolerance_ms, f"{timing} q{q}: {got} ms, want {want} ± {tolerance_ms}"


def test_empirical_and_choice_draw_only_their_values_and_lognormal_has_a_tail():
    assert set(pulls(dist.empirical(["1s", "2s", "7s"]), n=120)) == {1000, 2000, 7000}
    tail = pulls(dist.lognormal(median="2s", p99="20s"))
    assert quantile(tail, 0.95) > 5 * quantile(tail, 0.5) / 2
    assert len(set(tail)) > 250


def rollout_seconds(seed: int, threads: int) -> tuple[float, int]:
    c = kubesim.Cluster(nodes=6, seed=seed, threads=threads)
    c.images.register("app:*", pull=dist.lognormal(median="3s", p99="40s"), start=dist.uniform("200ms", "2s"))
    c.apply(workload(name="web", replicas=12, image="app:1"))
    c.deployment("web").rollout.status(timeout="1h")
    t0 = c.elapsed
    c.deployment("web").set_image(main="app:2")
    c.deployment("web").rollout.status(timeout="1h")
    return c.elapsed - t0, c.resource_version


def test_seeds_spread_rollout_times_and_the_same_seed_repeats_for_any_thread_count():
    runs = {seed: rollout_seconds(seed, threads=1) for seed in range(5)}
    assert len({t for t, _ in runs.values()}) >= 4, runs
    assert statistics.pstdev(t for t, _ in runs.values()) > 1.0
    for seed in (0, 3):
        assert rollout_seconds(seed, threads=2) == runs[seed]


def test_adding_an_unrelated_object_changes_no_other_draw():
    def times(extra: bool) -> dict[str, int]:
        c = kubesim.Cluster(nodes=4, seed=7)
        c.images.register("app:*", pull=dist.uniform("1s", "30s"))
        if extra:
            c.apply(workload(name="other", replicas=5, image="app:other"))
        c.apply([pod(f"p{i}", f"app:{i}") for i in range(20)])
        c.advance("5m")
        return {k: v for k, v in pull_times(c).items() if k.startswith("p")}

    assert times(False) == times(True)


def test_a_restarted_container_draws_again_and_a_loaded_cluster_draws_the_same():
    c = kubesim.Cluster(nodes=1, seed=2)
    c.images.register("crash:1", crash_after=dist.uniform("10s", "60s"))
    c.apply(pod("p", "crash:1"))
    runs = set()
    for _ in range(120):
        c.advance(15)
        last = c.pod("p").status["containerStatuses"][0].get("lastState", {}).get("terminated")
        if last:
            runs.add((last["startedAt"], last["finishedAt"]))
    lengths = [_dt.datetime.fromisoformat(b) - _dt.datetime.fromisoformat(a) for a, b in sorted(runs)]
    assert len(lengths) >= 4
    assert all(10 <= s.total_seconds() <= 61 for s in lengths), lengths
    assert len(set(lengths)) >= 3, f"each run draws its own crash time: {lengths}"
    loaded = pickle.loads(pickle.dumps(c))
    for x in (c, loaded):
        x.advance("30m")
    assert loaded.pod("p").to_dict() == c.pod("p").to_dict()


def test_bad_distributions_are_refused_with_what_and_where():
    c = kubesim.Cluster(nodes=1)
    with pytest.raises(kubesim.InvalidArgumentError, match="uniform needs low <= high"):
        dist.uniform("3s", "1s")
    with pytest.raises(kubesim.InvalidArgumentError, match="0 < median <= p99"):
        dist.lognormal(median="5s", p99="1s")
    with pytest.raises(kubesim.InvalidArgumentError, match="1 values but 2 weights"):
        dist.choice(["1s"], weights=[1, 2])
    with pytest.raises(kubesim.InvalidArgumentError, match="not all 0"):
        dist.choice(["1s", "2s"], weights=[0, 0])
    with pytest.raises(kubesim.InvalidArgumentError, match="at least one sample"):
        dist.empirical([])
    with pytest.raises(TypeError, match="start is a duration or a kubesim.dist distribution"):
        c.images.register("x", start=["1s"])
    # A distribution built by hand is checked by the core, which names the timing.
    with pytest.raises(kubesim.InvalidArgumentError, match='image "x": stop: uniform needs 0 <= low <= high'):
        c.images.register("x", stop=dist.Dist("uniform", {"low": 5, "high": 1}))
    with pytest.raises(kubesim.InvalidArgumentError, match="invalid image profile"):
        c.images.register("x", pull=dist.Dist("zipf", 3))
    # Nothing was registered by the refused calls.
    c.apply(pod("p", "x"))
    c.advance(10)
    assert pull_times(c) == {"p": 2000}
