"""ReplicaSets large enough for the store to keep their scale-down ranking (128 active pods or
more) under churn: scale-downs through and below the threshold, rollouts, node failures and
deleted pods. After every step the scenario invariants hold (owners, selectors, status counts
against a scan of the pods); a debug build (``make test``'s) also checks every scale-down's
victims taken from the ranking against the listing of every pod."""

from __future__ import annotations

import random

import pytest

import kubesim
from kubesim._invariants import Snapshot, check_consistent
from kubesim.testing import workload


@pytest.mark.parametrize("seed", range(4))
def test_large_replicasets_under_churn_stay_consistent(seed: int) -> None:
    r = random.Random(seed)
    # (Events on: the invariants read a pod's FailedScheduling events to allow its back-off.)
    c = kubesim.Cluster(nodes=r.randint(3, 6), seed=seed, threads=1 + seed % 2)
    names = [f"d{i}" for i in range(r.randint(1, 2))]
    for name in names:
        c.apply(workload("Deployment", name, r.randint(130, 260), "nginx:1.25"))
    c.advance("20s")
    for step in range(8):
        d = c.deployment(r.choice(names))
        action = r.random()
        if action < 0.35:
            d.scale(r.choice([r.randint(0, 60), r.randint(100, 140), r.randint(150, 300)]))
        elif action < 0.6:
            d.set_image(main=f"nginx:1.{20 + step}")
        elif action < 0.7:
            c.node(r.choice([n.name for n in c.nodes()])).fail()
        else:
            pods = c.pods()
            for p in r.sample(pods, min(len(pods), r.randint(1, 40))):
                c.delete("pod", p.name)
        c.advance(f"{r.randint(1, 120)}s")
        problems = check_consistent(Snapshot.take(c), c)
        assert not problems, f"seed {seed}, step {step}: {problems}"
    c.advance("10m")
    assert not check_consistent(Snapshot.take(c), c)
    # Every Deployment ends with its replicas active (pending pods count: the controllers make
    # them whether or not they fit).
    for name in names:
        d = c.deployment(name)
        active = [
            p
            for p in c.pods(selector=f"app={name}")
            if p.to_dict()["metadata"].get("deletionTimestamp") is None and p.phase not in ("Succeeded", "Failed")
        ]
        assert len(active) >= d.replicas, f"{name}: {len(active)} active pods for {d.replicas} replicas"
