"""Scale benchmark: N ReplicaSets x M replicas applied, run until every pod is Ready.

Prints one JSON object per run. Build in release mode first (`make bench` does).

    python benchmarks/scale.py --replicasets 10000 --replicas 10 --threads 1
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import sys
import time

import kubesim


def rss_bytes() -> int:
    """Current resident set size (Linux)."""
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * resource.getpagesize()


def manifests(n: int, replicas: int) -> str:
    docs = []
    for i in range(n):
        docs.append(
            f"""apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: app-{i}
spec:
  replicas: {replicas}
  selector:
    matchLabels:
      app: app-{i}
  template:
    metadata:
      labels:
        app: app-{i}
    spec:
      containers:
      - name: main
        image: nginx:1.25
"""
        )
    return "---\n".join(docs)


def run(n: int, replicas: int, threads: int, events: bool, progress: bool = False) -> dict:
    pods = n * replicas
    nodes = max(3, math.ceil(pods / 100))  # 110 pods fit a node; leave headroom
    text = manifests(n, replicas)
    base_rss = rss_bytes()
    t0 = time.perf_counter()
    c = kubesim.Cluster(nodes=nodes, seed=1, threads=threads, events=events, record=False)
    t_measure = time.perf_counter()
    c._native.release_memory()
    cluster_rss = rss_bytes()
    t_measure = time.perf_counter() - t_measure  # not counted: a measurement, not simulation work
    c.apply(text)
    t_apply = time.perf_counter()
    c.run_until(lambda: c.stats().get("pods_ready", 0) == pods, timeout="10m", progress=progress)
    t_ready = time.perf_counter()
    stats = c.stats()
    c._native.release_memory()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    rss = rss_bytes()
    return {
        "replicasets": n,
        "replicas": replicas,
        "pods": pods,
        "nodes": nodes,
        "threads": threads,
        "events_recorded": events,
        "event_objects": stats.get("events", 0),
        "virtual_seconds": c.elapsed,
        "wall_seconds_apply": round(t_apply - t0 - t_measure, 3),
        "wall_seconds_total": round(t_ready - t0 - t_measure, 3),
        "pods_per_wall_second": round(pods / (t_ready - t0 - t_measure), 1),
        "peak_rss_bytes": peak,
        "rss_bytes": rss,
        # Everything the process grew by (cluster, nodes, one-time start-up included) …
        "bytes_per_pod": round((rss - base_rss) / pods, 1),
        # … and what the workload alone added to the cluster with its nodes.
        "workload_bytes_per_pod": round((rss - cluster_rss) / pods, 1),
    }


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--replicasets", type=int, default=1000)
    p.add_argument("--replicas", type=int, default=10)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--no-events", action="store_true", help="do not record Event objects")
    p.add_argument("--progress", action="store_true", help="a progress bar in virtual time (on stderr)")
    a = p.parse_args()
    print(json.dumps(run(a.replicasets, a.replicas, a.threads, not a.no_events, a.progress)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
