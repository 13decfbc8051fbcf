"""Virtual time: epoch, advance, run_until, durations."""

from __future__ import annotations

import datetime as dt

import pytest

import kubesim


def test_time_starts_at_the_fixed_epoch_and_is_configurable(cluster):
    assert cluster.now == dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    assert cluster.elapsed == 0
    c = kubesim.Cluster(start="2030-06-01T12:00:00Z")
    assert c.now == dt.datetime(2030, 6, 1, 12, tzinfo=dt.UTC)
    with pytest.raises(ValueError, match="timezone-aware"):
        kubesim.Cluster(start=dt.datetime(2030, 1, 1))


@pytest.mark.parametrize(
    ("duration", "seconds"),
    [("1m30s", 90), ("250ms", 0.25), (90, 90), (0.5, 0.5), (dt.timedelta(minutes=2), 120), ("1h", 3600)],
)
def test_advance_accepts_every_duration_form(cluster, duration, seconds):
    cluster.advance(duration)
    assert cluster.elapsed == seconds


@pytest.mark.parametrize("bad", ["abc", "5x", "1m30", "-1s", -3])
def test_bad_durations_are_invalid_arguments(cluster, bad):
    with pytest.raises(kubesim.InvalidArgumentError):
        cluster.advance(bad)
    assert cluster.elapsed == 0


def test_creation_timestamps_follow_the_virtual_clock(cluster, examples):
    cluster.advance("2m")
    cluster.apply(examples / "redis-pod.yaml")
    assert cluster.pod("redis-master").creation_timestamp == dt.datetime(2026, 1, 1, 0, 2, tzinfo=dt.UTC)


def test_run_until_returns_when_true_and_times_out_in_virtual_time(cluster):
    cluster.run_until(lambda: True)
    assert cluster.elapsed == 0
    with pytest.raises(kubesim.TimeoutError, match="within 5m"):
        cluster.run_until(lambda: False, timeout="5m")
    assert cluster.elapsed == 300
    with pytest.raises(kubesim.TimeoutError, match="nothing pending"):
        cluster.run_until(lambda: False)
    assert isinstance(kubesim.TimeoutError("x"), TimeoutError)


def test_run_until_sees_time_dependent_predicates(cluster):
    cluster.run_until(lambda: cluster.elapsed >= 60, timeout="2m")
    assert cluster.elapsed == 120  # nothing happens in between, so the wait ends at its deadline
