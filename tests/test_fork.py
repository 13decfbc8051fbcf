"""Forks: ``Cluster.fork()`` copies a cluster in memory, and the copy continues exactly as the
original does under the same calls, while changes to either leave the other as it was."""

from __future__ import annotations

import pickle

import pytest
from hypothesis import given, note, settings
from hypothesis import strategies as st
from test_scenarios import SCENARIO_SETTINGS, Scenario, act, history_digest, new_cluster, scenarios

import kubesim
from kubesim.testing import workload


def image(c: kubesim.Cluster) -> str:
    return c.deployment("web").spec["template"]["spec"]["containers"][0]["image"]


def step(c: kubesim.Cluster, action: tuple, seconds: int) -> tuple:
    """One scenario step on ``c`` and what it did: the outcome, the clock and what changed."""
    rv = c.resource_version
    outcome = act(c, action) if action[0] != "save" else None
    c.advance(seconds)
    return (outcome, c._native.now_ms, c.resource_version, history_digest(c, rv))


@settings(max_examples=25, **SCENARIO_SETTINGS)
@given(sc=scenarios(max_steps=8), at=st.integers(0, 8), threads=st.sampled_from([1, 2]))
def test_a_fork_continues_exactly_as_the_original_and_neither_sees_the_others_changes(sc: Scenario, at, threads):
    note(repr(sc))
    original = new_cluster(sc, threads=1)
    original.apply(list(sc.manifests))
    steps = list(sc.steps)
    for action, seconds in steps[:at]:
        step(original, action, seconds)
    fork = original.fork()
    before = (original.resource_version, original._native.now_ms, history_digest(original, 0))
    # A change to the fork only: the original is untouched.
    probe = fork.fork()
    probe.apply(workload(name="probe", replicas=2))
    probe.advance(30)
    assert (original.resource_version, original._native.now_ms, history_digest(original, 0)) == before
    assert not original._exists("Deployment", "default", "probe")
    # The same calls give the same history on both (the fork with another thread count).
    fork = fork.fork() if threads == 1 else fork
    for i, (action, seconds) in enumerate(steps[at:]):
        a = step(original, action, seconds)
        b = step(fork, action, seconds)
        assert a == b, f"step {at + i} ({action}): original {a} != fork {b}"


def test_forks_of_forks_are_independent_and_keep_their_own_images_and_recording():
    c = kubesim.Cluster(nodes=2, seed=4)
    c.images.register("app:slow", pull="60s")
    c.record(every="5s")
    c.apply(workload(name="web", replicas=4, image="app:slow"))
    c.advance(10)
    recorded = len(c.timeline())
    f1 = c.fork()
    f1.images.register("app:slow", pull="1s")
    f1.deployment("web").set_image(main="app:slow2")
    f2 = f1.fork()
    f2.deployment("web").scale(1)
    c.advance(120)
    f1.advance(120)
    f2.advance(120)
    assert image(c) == "app:slow"
    assert image(f1) == "app:slow2" and f1.deployment("web").replicas == 4
    assert f2.deployment("web").replicas == 1 and len(f2.pods()) == 1
    # The registry and the recorder belong to each copy.
    assert f1.images._cluster is f1 and f2._recorder.cluster is f2
    assert c._recorder.last_ms == f1._recorder.last_ms == c._native.now_ms
    f2.record(False)
    assert c.recording and f1.recording and not f2.recording
    # The copies were made before the later calls: what was recorded before the fork is shared,
    # what came after is each copy's own.
    images = lambda x: {r["value"] for r in x.timeline() if r["kind"] == "ReplicaSet" and r["field"] == "image"}  # noqa: E731
    assert images(c) == {"app:slow"}
    assert images(f1) == images(f2) == {"app:slow", "app:slow2"}
    assert list(c.timeline())[:recorded] == list(f1.timeline())[:recorded] == list(f2.timeline())[:recorded]


def test_a_reseeded_fork_keeps_what_exists_and_draws_new_names_and_uids():
    c = kubesim.Cluster(nodes=2, seed=1)
    c.apply(workload(name="web", replicas=3))
    c.advance(30)
    same = c.fork()
    other = c.fork(seed=99)
    assert other.seed == 99
    for x in (c, same, other):
        x.deployment("web").scale(6)
        x.advance(30)
    names = {x: sorted(p.name for p in x.pods()) for x in (c, same, other)}
    assert names[c] == names[same]
    kept = set(names[c]) & set(names[other])
    assert len(kept) == 3, "the pods that existed keep their names"
    assert set(names[c]) != set(names[other]), "new pods draw their names from the new seed"
    # Only names differ: the same timings and counts.
    assert c.resource_version == other.resource_version and c.now == other.now
    # A saved reseeded fork replays the reseed.
    loaded = pickle.loads(pickle.dumps(other))
    assert sorted(p.name for p in loaded.pods()) == names[other]
    loaded.deployment("web").scale(8)
    other.deployment("web").scale(8)
    loaded.advance(30)
    other.advance(30)
    assert sorted(p.name for p in loaded.pods()) == sorted(p.name for p in other.pods())


def test_fork_rejects_a_bad_seed_and_is_not_journaled():
    c = kubesim.Cluster(nodes=1, journal=True)
    c.advance(1)
    with pytest.raises(kubesim.InvalidArgumentError, match="seed must be in"):
        c.fork(seed=-1)
    fork = c.fork()
    assert fork.resource_version == c.resource_version
    # The fork is not journaled on the original; the fork has a copy of the journal.
    assert c.journal and all(name != "fork" for name, _, _ in c.journal)
    assert fork.journal == c.journal
    fork.advance(1)
    assert len(fork.journal) > len(c.journal) and fork.journal[: len(c.journal)] == c.journal
    # Without journal=True nothing is kept, however many calls are made.
    assert kubesim.Cluster(nodes=1).journal is None
