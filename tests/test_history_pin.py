"""The pinned history of a 2,000-pod rollout: apply, roll to a new image, scale down, run on.
Performance work must not change what happens, only how fast; this file pins the recorded
trace and a digest of every object left (pods with their names, nodes and timestamps, the
ReplicaSets, the Deployment, every Event with its time), on one worker thread and on two.
``KUBESIM_UPDATE_GOLDEN=1`` rewrites tests/golden/rollout-2000.pin after an intended change."""

from __future__ import annotations

import hashlib
import json

import pytest

import kubesim
from kubesim.testing import trace, workload

from .test_notebooks import GOLDEN, check_golden

KINDS = ("Pod", "ReplicaSet", "Deployment", "Event", "Node")


def pinned_history(threads: int) -> str:
    c = kubesim.Cluster(nodes=20, seed=7, threads=threads)
    c.record(every="1s", pods=False)
    c.apply(workload(name="web", replicas=2000, resources={"requests": {"cpu": "10m"}}))
    d = c.deployment("web")
    d.rollout.status()
    d.set_image(main="nginx:1.26")
    d.rollout.status()
    d.scale(1000)
    c.advance("1m")
    lines = [f"elapsed={c.elapsed:g}s"]
    for kind in KINDS:
        objects = [o.to_dict() for o in c.list(kind, namespace=None)]
        digest = hashlib.sha256("\n".join(json.dumps(o, sort_keys=True) for o in objects).encode()).hexdigest()
        lines.append(f"{kind}: {len(objects)} objects sha256={digest}")
    return "\n".join(lines) + "\n" + trace(c)


@pytest.mark.parametrize("threads", [1, 2])
def test_rollout_history_is_pinned(threads):
    check_golden("rollout-2000", pinned_history(threads))


def test_the_pin_is_a_real_history():
    # The pin would be worthless if it held an empty run: the rollout left 1,000 pods of the new
    # image and the old ReplicaSet scaled to 0.
    text = (GOLDEN / "rollout-2000.trace").read_text()
    assert "Pod: 1000 objects" in text and "ReplicaSet: 2 objects" in text
