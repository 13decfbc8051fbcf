"""Experiment benchmarks: forking and saving a cluster, at N and 2N pods in one run.

Each size runs in a fresh child process (its peak RSS is its own) and prints one JSON object:

- ``fork_s``: ``Cluster.fork()`` of a settled cluster of N pods (one Deployment per 100 pods),
  the median of 5 forks; ``fork_rss_bytes``: resident memory a fork adds (objects are shared);
- ``fork_then_rollout_s``: a rollout of one Deployment in the fork (copy on write: the fork pays
  for what it changes);
- ``save_s`` / ``load_s`` / ``file_bytes`` / ``file_bytes_per_pod``: ``Cluster.save`` and
  ``Cluster.load`` (a snapshot of the state: postcard + zstd), and their sum ``save_load_s``;
  ``pickle_s``: ``pickle.loads(pickle.dumps(c))`` in memory. The loaded copy is checked to
  continue as the original (the same watch events after one more rollout step).

Then a summary line with the 2N / N ratios.

    python benchmarks/experiments.py                  # N = 100,000 and 200,000
    python benchmarks/experiments.py --size 10000 --threads 2
"""

from __future__ import annotations

import argparse
import json
import pickle
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import kubesim
from kubesim.testing import workload


def rss_bytes() -> int:
    import resource

    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize()


def run(size: int, threads: int) -> dict[str, Any]:
    deployments = max(1, size // 100)
    per = size // deployments
    nodes = max(1, size // 100)
    c = kubesim.Cluster(
        nodes=[{"name": f"n{i}", "pods": 110, "cpu": "64"} for i in range(nodes)], threads=threads, events=False
    )
    t0 = time.perf_counter()
    c.apply([workload(name=f"d{i}", replicas=per) for i in range(deployments)])
    c.run_until(lambda: len(c.pods()) == deployments * per, timeout="1h")
    c.advance(60)
    create_s = time.perf_counter() - t0
    times = []
    before = rss_bytes()
    forks = []
    for _ in range(5):
        t = time.perf_counter()
        forks.append(c.fork())
        times.append(time.perf_counter() - t)
    fork_rss = (rss_bytes() - before) // len(forks)
    fork = forks.pop()
    forks.clear()
    t = time.perf_counter()
    fork.deployment("d0").set_image(main="nginx:1.26")
    fork.deployment("d0").rollout.status(timeout="1h")
    rollout_s = time.perf_counter() - t
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "cluster.kubesim"
        t = time.perf_counter()
        c.save(path)
        save_s = time.perf_counter() - t
        size_bytes = path.stat().st_size
        t = time.perf_counter()
        loaded = kubesim.Cluster.load(path, threads=threads)
        load_s = time.perf_counter() - t
    assert loaded.resource_version == c.resource_version
    t = time.perf_counter()
    pickled = pickle.loads(pickle.dumps(c))
    pickle_s = time.perf_counter() - t
    del pickled
    rv = c.resource_version
    for x in (c, loaded):
        x.deployment("d1").set_image(main="nginx:1.27")
        x.advance(5)
    assert [(e.type, e.resource_version, e.name) for e in loaded.watch(rv)] == [
        (e.type, e.resource_version, e.name) for e in c.watch(rv)
    ], "the loaded cluster continues as the original"
    return {
        "size": size,
        "threads": threads,
        "create_s": round(create_s, 3),
        "fork_s": round(statistics.median(times), 4),
        "fork_rss_bytes": fork_rss,
        "fork_then_rollout_s": round(rollout_s, 3),
        "save_s": round(save_s, 3),
        "load_s": round(load_s, 3),
        "save_load_s": round(save_s + load_s, 3),
        "pickle_s": round(pickle_s, 3),
        "file_bytes": size_bytes,
        "file_bytes_per_pod": round(size_bytes / size, 1),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", type=int, default=100_000, help="N (also runs 2N)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(run(args.size, args.threads)))
        return
    results = []
    for size in (args.size, 2 * args.size):
        out = subprocess.run(
            [sys.executable, __file__, "--one", "--size", str(size), "--threads", str(args.threads)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        results.append(json.loads(out.strip().splitlines()[-1]))
        print(json.dumps(results[-1]), flush=True)
    a, b = results
    print(
        json.dumps(
            {
                "summary": "2N / N",
                **{
                    k: round(b[k] / a[k], 2)
                    for k in ("fork_s", "fork_then_rollout_s", "save_s", "load_s", "file_bytes")
                    if a[k]
                },
            }
        )
    )


if __name__ == "__main__":
    main()
