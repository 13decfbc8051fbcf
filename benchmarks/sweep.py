"""Sweep throughput: runs per second of one small experiment, in this process and on 1 and 2
workers of a local process pool and of a Dask LocalCluster (when ``distributed`` is installed).

The experiment is a rolling update of a 200-replica Deployment on 10 nodes (one cluster per run),
swept over maxSurge × maxUnavailable × seeds. Each executor is started and warmed up (one run
per worker) before the clock starts; ``startup_s`` is what that took. Every executor's rows are
checked equal to the in-process ones. Prints one JSON object per executor, then a summary with
the machine's load average (a busy machine leaves the workers fewer cores).

    python benchmarks/sweep.py                 # 4 × 2 × 6 = 48 runs
    python benchmarks/sweep.py --seeds 12      # 96 runs
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import json
import multiprocessing
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import kubesim
from kubesim.testing import workload

GRID: dict[str, list[Any]] = {"max_surge": [5, 10, "25%", "50%"], "max_unavailable": [0, 5]}


def rollout(max_surge: int | str, max_unavailable: int | str, seed: int) -> dict[str, Any]:
    c = kubesim.Cluster(nodes=10, seed=seed, events=False)
    strategy = {"rollingUpdate": {"maxSurge": max_surge, "maxUnavailable": max_unavailable}}
    c.apply(workload("Deployment", "web", 200, container="web", strategy=strategy))
    d = c.deployment("web")
    d.rollout.status()
    start = c.elapsed
    d.set_image(web="nginx:1.26")
    d.rollout.status()
    return {"seconds": c.elapsed - start}


@contextmanager
def process_pool(workers: int) -> Iterator[cf.Executor]:
    with cf.ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("forkserver")) as pool:
        yield pool


@contextmanager
def dask(workers: int) -> Iterator[cf.Executor]:
    import distributed

    with (
        distributed.LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=40
        ) as lc,
        distributed.Client(lc) as client,
    ):
        yield client.get_executor()


def measure(name: str, workers: int, make: Callable[[int], Any], seeds: int, serial: kubesim.Rows) -> dict[str, Any]:
    t0 = time.perf_counter()
    with make(workers) as executor:
        kubesim.sweep(rollout, executor=executor, max_surge=[1] * workers, max_unavailable=[0], seeds=[0])
        startup = time.perf_counter() - t0
        t = time.perf_counter()
        rows = kubesim.sweep(rollout, executor=executor, seeds=range(seeds), **GRID)
        wall = time.perf_counter() - t
    assert rows == serial, f"{name}: rows differ from the serial run"
    return {
        "executor": name,
        "workers": workers,
        "runs": len(rows),
        "wall_s": round(wall, 3),
        "runs_per_s": round(len(rows) / wall, 1),
        "startup_s": round(startup, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=6, help="runs per grid point (default 6: 48 runs)")
    args = parser.parse_args()
    t = time.perf_counter()
    serial = kubesim.sweep(rollout, executor=False, seeds=range(args.seeds), **GRID)
    wall = time.perf_counter() - t
    results = [
        {
            "executor": "this process",
            "workers": 1,
            "runs": len(serial),
            "wall_s": round(wall, 3),
            "runs_per_s": round(len(serial) / wall, 1),
            "startup_s": 0.0,
        }
    ]
    print(json.dumps(results[0]), flush=True)
    executors: list[tuple[str, Callable[[int], Any]]] = [("process pool", process_pool)]
    try:
        import distributed  # noqa: F401

        executors.append(("dask", dask))
    except ImportError:
        pass
    for name, make in executors:
        for workers in (1, 2):
            results.append(measure(name, workers, make, args.seeds, serial))
            print(json.dumps(results[-1]), flush=True)
    summary = {
        f"{r['executor']} speed-up 2 / 1 workers": round(r2["runs_per_s"] / r["runs_per_s"], 2)
        for r, r2 in zip(results[1::2], results[2::2], strict=True)
    }
    # Other processes on the machine take cores from the workers: say how busy it was.
    print(json.dumps({"summary": summary, "load_average_1m": round(os.getloadavg()[0], 1), "cores": os.cpu_count()}))


if __name__ == "__main__":
    main()
