"""Optional latencies (`kubesim.Latency`) and node templates' drawn `ready_after`: each knob's
exact effect in virtual time, its errors, and that it survives forks, saves and pickling and
gives the same history for any thread count."""

from __future__ import annotations

import copy
import dataclasses
import pickle
from collections.abc import Callable

import pytest

import kubesim
from kubesim import dist
from kubesim.testing import workload


def pod(name: str, image: str) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name},
        "spec": {"containers": [{"name": "main", "image": image}]},
    }


def arrivals(c: kubesim.Cluster, count: Callable[[], int], until: float, step: float) -> list[float]:
    """The virtual time (seconds) at which each unit of ``count()`` appeared, looking every ``step``."""
    seen: list[float] = [round(c.elapsed, 3)] * count()
    while c.elapsed < until:
        c.advance(step)
        seen += [round(c.elapsed, 3)] * (count() - len(seen))
    return seen


def test_knobs_are_off_by_default_and_upstream_names_upstreams_values():
    assert kubesim.Cluster(nodes=1).latency == kubesim.Latency()
    assert kubesim.Latency() == kubesim.Latency(
        informer_delay=0, scheduler_qps=None, kubelet_sync_period=0, pull_bandwidth=None, serialize_image_pulls=False
    )
    up = kubesim.Latency.upstream()
    assert (up.informer_delay, up.scheduler_qps, up.scheduler_burst) == (0.05, 50.0, 100)
    assert (up.kubelet_sync_period, up.pull_bandwidth, up.serialize_image_pulls) == (1.0, 50_000_000, True)
    assert kubesim.Latency(scheduler_qps=2).scheduler_burst == 1, "a qps alone: a bucket of one"
    for copied in (pickle.loads(pickle.dumps(up)), copy.deepcopy(up), eval(f"kubesim.{up!r}")):
        assert copied == up


@pytest.mark.parametrize(
    ("given", "bytes_per_second"),
    [
        ("50MB/s", 50_000_000),
        ("1.5GiB/s", 1_610_612_736),
        ("800Mbit/s", 100_000_000),
        ("100Mbps", 12_500_000),
        (1234, 1234),
        ("64 KiB/s", 65_536),
    ],
)
def test_pull_bandwidth_units(given, bytes_per_second):
    assert kubesim.Latency(pull_bandwidth=given).pull_bandwidth == bytes_per_second


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"informer_delay": "-5ms"}, kubesim.InvalidArgumentError, "informer_delay"),
        ({"informer_delay": "5 parsecs"}, kubesim.InvalidArgumentError, "informer_delay"),
        (
            {"informer_delay": dist.uniform("1ms", "5ms")},
            kubesim.InvalidArgumentError,
            "informer_delay takes a fixed duration, not a distribution",
        ),
        ({"kubelet_sync_period": "25h"}, kubesim.InvalidArgumentError, "kubelet_sync_period must be at most 24h"),
        ({"kubelet_sync_period": [1]}, TypeError, "kubelet_sync_period is a duration"),
        ({"scheduler_qps": 0}, kubesim.InvalidArgumentError, "scheduler_qps must be in"),
        ({"scheduler_qps": float("inf")}, kubesim.InvalidArgumentError, "scheduler_qps must be in"),
        ({"scheduler_qps": "50"}, TypeError, "scheduler_qps is a number"),
        (
            {"scheduler_qps": 5, "scheduler_burst": 0},
            kubesim.InvalidArgumentError,
            "scheduler_burst must be a whole number >= 1",
        ),
        ({"scheduler_burst": 10}, kubesim.InvalidArgumentError, "scheduler_burst needs scheduler_qps"),
        ({"pull_bandwidth": "50MB"}, kubesim.InvalidArgumentError, "say per second"),
        ({"pull_bandwidth": "50 parsecs/s"}, kubesim.InvalidArgumentError, "invalid pull_bandwidth"),
        ({"pull_bandwidth": 0}, kubesim.InvalidArgumentError, "pull_bandwidth"),
        ({"pull_bandwidth": -1}, kubesim.InvalidArgumentError, "pull_bandwidth"),
        ({"pull_bandwidth": True}, TypeError, "pull_bandwidth"),
        ({"serialize_image_pulls": "yes"}, TypeError, "serialize_image_pulls is True or False"),
    ],
)
def test_bad_knobs_are_refused_naming_the_argument(kwargs, error, message):
    with pytest.raises(error, match=message):
        kubesim.Latency(**kwargs)


def test_bad_latency_or_node_ready_after_is_refused_naming_it():
    with pytest.raises(TypeError, match="latency is a kubesim.Latency"):
        kubesim.Cluster(nodes=1, latency={"informer_delay": "50ms"})  # type: ignore[arg-type]
    with pytest.raises(kubesim.InvalidArgumentError, match="must not be negative"):
        kubesim.Cluster(nodes=[{"name": "n1", "ready_after": "-1s"}])
    with pytest.raises(TypeError, match=r"nodes\[0\].ready_after is a duration or a kubesim.dist distribution"):
        kubesim.Cluster(nodes=[{"name": "n1", "ready_after": [5]}])
    with pytest.raises(kubesim.InvalidArgumentError, match="size"):
        kubesim.Cluster(nodes=1).images.register("app:1", size="big")


def test_scheduler_qps_binds_two_pods_a_second():
    c = kubesim.Cluster(nodes=3, latency=kubesim.Latency(scheduler_qps=2))
    c.apply(workload(replicas=10))
    bound = arrivals(c, lambda: sum(p.node is not None for p in c.pods()), until=6, step=0.25)
    assert bound == [0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5]


def test_serialized_pulls_of_three_100mb_images_at_50mb_s_end_at_2_4_6_seconds():
    def ready_at(serialize: bool) -> list[float]:
        latency = kubesim.Latency(pull_bandwidth="50MB/s", serialize_image_pulls=serialize)
        c = kubesim.Cluster(nodes=1, latency=latency)
        c.images.register("app:*", size="100MB", start=0)
        c.apply([pod(f"p-{i}", f"app:{i}") for i in "abc"])
        return arrivals(c, lambda: sum(p.ready for p in c.pods()), until=8, step=0.5)

    assert ready_at(serialize=True) == [2.0, 4.0, 6.0]
    assert ready_at(serialize=False) == [2.0, 2.0, 2.0]


def test_an_image_on_the_node_is_not_pulled_again_with_serialized_pulls():
    c = kubesim.Cluster(nodes=1, latency=kubesim.Latency(pull_bandwidth="50MB/s", serialize_image_pulls=True))
    c.images.register("app:*", size="100MB", start=0)
    c.apply(pod("first", "app:a"))
    c.advance("5s")
    c.apply([pod("again", "app:a"), pod("other", "app:b")])
    ready = arrivals(c, lambda: sum(p.ready for p in c.pods()), until=10, step=0.5)
    assert ready == [5.0, 5.0, 7.0], "app:a is present: only app:b is pulled (2 s)"


def test_kubelet_sync_period_starts_a_pod_at_the_next_tick():
    c = kubesim.Cluster(nodes=1, latency=kubesim.Latency(kubelet_sync_period="1s"))
    c.advance("300ms")
    c.apply(pod("p", "nginx:1.25"))
    assert c.pod("p").node == "node-1"
    assert c.pod("p").to_dict()["status"].get("startTime") is None, "bound, not yet seen by its kubelet"
    # Seen at 1 s; pulled (2 s) and started (1 s) after that.
    assert arrivals(c, lambda: int(c.pod("p").ready), until=5, step=0.1) == [4.0]


def test_informer_delay_postpones_every_controller_hop():
    c = kubesim.Cluster(nodes=1, latency=kubesim.Latency(informer_delay="100ms"))
    c.apply(workload(replicas=2))
    # Deployment → ReplicaSet (0.1 s) → pods (0.2 s) → bound (0.3 s).
    assert c.replicasets() == [] and c.pods() == []
    assert arrivals(c, lambda: sum(p.node is not None for p in c.pods()), until=1, step=0.1) == [0.3, 0.3]


def history(c: kubesim.Cluster) -> tuple[int, list[dict]]:
    """What a run left: the resourceVersion it reached, and every pod, node and event in full
    (their timestamps, uids and names tell one history from another)."""
    objects = [*c.pods(namespace=None), *c.nodes(), *c.events(namespace=None)]
    return c.resource_version, [o.to_dict() for o in objects]


# Every knob on, the scheduler slower than upstream's, so that pods wait for tokens.
SLOW = dataclasses.replace(kubesim.Latency.upstream(), scheduler_qps=20, scheduler_burst=5)


def busy(threads: int = 1, latency: kubesim.Latency = SLOW, until: str = "20s") -> kubesim.Cluster:
    c = kubesim.Cluster(nodes=4, seed=4, threads=threads, latency=latency)
    c.images.register("app:*", pull=dist.lognormal(median="3s", p99="30s"), size="200MB")
    c.apply([workload(name=f"web-{i}", replicas=30, image=f"app:{i}") for i in range(3)])
    c.advance(until)
    return c


@pytest.mark.parametrize("latency", [SLOW, kubesim.Latency.upstream()])
def test_latencies_give_the_same_history_for_one_and_two_threads(latency):
    a, b = busy(threads=1, latency=latency), busy(threads=2, latency=latency)
    for c in (a, b):
        c.deployment("web-0").set_image(main="app:new")
        c.advance("2m")
    assert history(a) == history(b)
    assert all(p.ready for p in a.pods()), "the run finishes"


def test_latencies_survive_fork_save_and_pickle(tmp_path):
    a = busy(until="1500ms")
    assert any(p.node is None for p in a.pods()), "mid-way: pods wait for scheduler tokens"
    assert any(p.node is not None and not p.ready for p in a.pods()), "and for their pulls"
    path = tmp_path / "c.kubesim"
    a.save(path)
    copies = [a.fork(), kubesim.Cluster.load(path), pickle.loads(pickle.dumps(a)), copy.deepcopy(a)]
    for c in [a, *copies]:
        assert c.latency == SLOW
        c.advance("1m")
    for c in copies:
        assert history(c) == history(a)


def test_nodes_become_ready_after_their_drawn_time():
    def run(seed: int, threads: int) -> tuple[list[float], list]:
        nodes = [{"name": f"n{i}", "ready_after": dist.uniform("5s", "60s")} for i in range(4)]
        c = kubesim.Cluster(nodes=nodes, seed=seed, threads=threads)
        assert "NotReady" in c.kubectl("get nodes")
        c.apply(workload(replicas=8))
        ready = arrivals(
            c,
            lambda: sum(n.to_dict()["status"]["conditions"][-1]["status"] == "True" for n in c.nodes()),
            until=61,
            step=0.5,
        )
        return ready, history(c)

    (ready, h1), (same, h2) = run(1, 1), run(1, 2)
    assert (ready, h1) == (same, h2), "the same seed: the same history for 1 and 2 threads"
    assert len(set(ready)) > 1 and all(5 <= t <= 60.5 for t in ready), ready
    assert run(2, 1)[0] != ready, "another seed draws other times"


def test_a_node_ready_after_a_fixed_time_takes_pods_only_then():
    c = kubesim.Cluster(nodes=[{"name": "late", "ready_after": "10s"}])
    c.apply(workload(replicas=2))
    assert [p.phase for p in c.pods()] == ["Pending", "Pending"]
    bound = arrivals(c, lambda: sum(p.node is not None for p in c.pods()), until=12, step=1)
    assert bound == [10.0, 10.0]
    assert "Ready" in c.kubectl("get node late") and "NotReady" not in c.kubectl("get node late")


def test_the_same_knobs_as_off_change_nothing():
    def run(latency: kubesim.Latency | None) -> list:
        c = kubesim.Cluster(nodes=2, seed=3, latency=latency)
        c.apply(workload(replicas=5))
        c.advance("30s")
        return history(c)

    assert run(kubesim.Latency()) == run(None)
