"""kubesim.sweep: grid and seed order, failing runs as rows, and the same rows on any executor
(this process, a local process pool, a Dask cluster)."""

from __future__ import annotations

import concurrent.futures as cf
import os
import pickle
import threading

import pytest
from sweep_experiments import raises_unpicklable, rollout, where

import kubesim
from kubesim import _progress

GRID = {"max_surge": [0, "100%", "bad"], "max_unavailable": [1, "50%"]}
SEEDS = [3, 11]


@pytest.fixture(scope="module")
def serial() -> kubesim.Rows:
    return kubesim.sweep(rollout, executor=False, seeds=SEEDS, **GRID)


def test_rows_come_in_grid_order_then_seed_order(serial):
    assert [(r["max_surge"], r["max_unavailable"], r["seed"]) for r in serial] == [
        (s, u, seed) for s in GRID["max_surge"] for u in GRID["max_unavailable"] for seed in SEEDS
    ]
    ok = [r for r in serial if "error" not in r]
    assert len(ok) == 8
    seconds = {(r["max_surge"], r["max_unavailable"]): r["seconds"] for r in ok}
    # One pod at a time is slowest; surging all four at once is fastest.
    assert seconds[(0, 1)] == max(seconds.values()) > seconds[("100%", "50%")] == min(seconds.values())
    assert max(r["max pods"] for r in ok if r["max_surge"] == 0) == 4
    assert min(r["max pods"] for r in ok if r["max_surge"] == "100%") > 4
    # The seed is passed to the experiment: it names the pods.
    by_seed = {r["seed"]: r["pods"] for r in ok if (r["max_surge"], r["max_unavailable"]) == (0, 1)}
    assert by_seed[3] != by_seed[11]


def test_a_failing_run_is_a_row_with_its_parameters_and_error(serial):
    failed = serial.errors
    assert [(r["max_surge"], r["max_unavailable"], r["seed"]) for r in failed] == [
        ("bad", 1, 3),
        ("bad", 1, 11),
        ("bad", "50%", 3),
        ("bad", "50%", 11),
    ]
    assert {r["error"] for r in failed} == {"InvalidObjectError"}
    assert all("spec.strategy.rollingUpdate.maxSurge" in r["error_message"] for r in failed)
    assert "seconds" not in failed[0]
    frame = serial.to_pandas()
    assert frame.shape == (12, 8)
    assert frame["error"].notna().sum() == 4


def test_rows_pickle(serial):
    again = pickle.loads(pickle.dumps(serial))
    assert type(again) is kubesim.Rows and again == serial


def test_a_local_process_pool_gives_the_serial_rows(serial):
    assert kubesim.sweep(rollout, seeds=SEEDS, **GRID) == serial


def test_runs_in_workers_use_one_thread_and_lambdas_travel():
    rows = kubesim.sweep(where, n=[1, 2, 3])
    assert [r["square"] for r in rows] == [1, 4, 9]
    assert all(r["pid"] != os.getpid() and r["threads"] == 1 for r in rows)
    # In this process a cluster gets the default (the cores); cloudpickle sends a lambda.
    assert kubesim.sweep(where, executor=False, n=[2])[0]["threads"] == (os.cpu_count() or 1)
    assert kubesim.sweep(lambda n: {"double": 2 * n}, n=[1, 2]) == [{"n": 1, "double": 2}, {"n": 2, "double": 4}]


def test_what_cannot_travel():
    lock = threading.Lock()
    with pytest.raises(kubesim.InvalidArgumentError, match="cannot be sent to other processes.*executor=False"):
        kubesim.sweep(lambda n: lock and n, n=[1, 2])
    # An exception that does not pickle still reaches its row, as text.
    rows = kubesim.sweep(raises_unpicklable, n=[0, 1])
    assert rows == [{"n": 0, "result": 0}, {"n": 1, "error": "Unpicklable", "error_message": "no way back"}]


def test_any_executor_and_one_it_is_given_stays_open(serial):
    with cf.ThreadPoolExecutor(2) as pool:
        assert kubesim.sweep(rollout, executor=pool, seeds=SEEDS, **GRID) == serial
        assert pool.submit(int, "7").result() == 7


def test_an_executor_must_submit():
    with pytest.raises(kubesim.InvalidArgumentError, match="executor must be a concurrent.futures.Executor"):
        kubesim.sweep(where, True, n=[1])


def test_seeds_twice_is_an_error():
    with pytest.raises(kubesim.InvalidArgumentError, match="seeds= or as a grid parameter"):
        kubesim.sweep(rollout, seeds=[1], seed=[2], max_surge=[1], max_unavailable=[0])


class FakeBar:
    bars: list[FakeBar] = []

    def __init__(self, items=None, desc="", total=None, **kwargs):
        self.items, self.desc, self.total, self.kwargs = items, desc, total, kwargs
        FakeBar.bars.append(self)

    def __iter__(self):
        return iter(self.items)

    def update(self, n):
        pass

    def close(self):
        pass


def test_a_sweep_draws_one_bar_and_its_runs_none(monkeypatch):
    FakeBar.bars = []
    monkeypatch.setattr(_progress, "_tqdm", lambda: FakeBar)
    rows = kubesim.sweep(rollout, executor=False, progress=True, max_surge=[1], max_unavailable=[0, 1])
    assert len(rows) == 2
    assert [(b.desc, b.total, b.kwargs["delay"]) for b in FakeBar.bars] == [("sweep", 2, _progress.DELAY)]
    # Outside a sweep the same wait draws its bar.
    c = kubesim.Cluster()
    c.advance("1s", progress=True)
    assert [b.desc for b in FakeBar.bars] == ["sweep", "advance"]


def test_a_quick_sweep_shows_no_bar(capsys):
    kubesim.sweep(where, executor=False, progress=True, n=[1, 2])
    assert capsys.readouterr().err == ""


def test_a_two_worker_dask_cluster_gives_the_serial_rows(serial):
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=50
        ) as lc,
        distributed.Client(lc) as client,
    ):
        rows = kubesim.sweep(rollout, executor=client.get_executor(), seeds=SEEDS, **GRID)
        ran = kubesim.sweep(where, executor=client.get_executor(), n=[1, 2, 3, 4])
        workers = client.run(os.getpid)
    assert rows == serial
    assert {r["pid"] for r in ran} <= set(workers.values())
    assert all(r["threads"] == 1 for r in ran)
