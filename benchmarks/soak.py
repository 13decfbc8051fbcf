"""Soak benchmark: autoscaled Deployments under a daily load curve for days of virtual time, with a
node failing every few hours (and recovering later) and a rollout of every Deployment each day.

Prints one JSON object: wall time, virtual seconds per wall second, peak RSS, the RSS and the
object counts at the end of every simulated day (memory must stay flat once the workload is
steady: events expire after an hour, the watch log is bounded, old ReplicaSets are cleaned up),
and the invariants checked at the end (owners, status counts, label index vs. scan, no pod
Pending while a node has room, every Deployment converged once the nodes are back). Build in
release mode first (`make bench` does).

    python benchmarks/soak.py --deployments 100 --days 7
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import sys
import time
from typing import Any

import kubesim
from kubesim._invariants import Snapshot, check_consistent, convergence_problems

DAY = 86_400
STEP = 900  # the load schedule changes every 15 minutes


def rss_bytes() -> int:
    """Current resident set size (Linux)."""
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * resource.getpagesize()


def manifest(i: int, image: str) -> dict[str, Any]:
    name = f"app-{i}"
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "replicas": 2,
            "revisionHistoryLimit": 2,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {
                    "containers": [
                        {
                            "name": "main",
                            "image": image,
                            "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}},
                            "readinessProbe": {"httpGet": {"path": "/", "port": 80}, "periodSeconds": 5},
                        }
                    ]
                },
            },
        },
    }


def daily_curve(i: int, days: int) -> list[tuple[int, str]]:
    """CPU demand of Deployment i: a daily sine between 0.1 and 0.55 cores, peaking at a time of
    day that differs per Deployment, as a schedule of 15-minute steps."""
    phase = (i * 7919) % DAY
    points = []
    for t in range(0, days * DAY + STEP, STEP):
        x = (1 - math.cos(2 * math.pi * ((t + phase) % DAY) / DAY)) / 2
        points.append((t, f"{round(100 + 450 * x)}m"))
    return points


def run(args: argparse.Namespace) -> dict[str, Any]:
    t0 = time.perf_counter()
    # No timeline: a week of recorded changes is memory that grows, and this checks it stays flat.
    c = kubesim.Cluster(nodes=args.nodes, seed=1, threads=args.threads, record=False)
    c.images.register("app:*", pull="3s", start="1s", ready_after="5s", stop="1s")
    n = args.deployments
    c.apply([manifest(i, "app:1") for i in range(n)])
    c.run_until(lambda: c.stats().get("pods_ready", 0) == 2 * n, timeout="10m")
    for i in range(n):
        d = c.deployment(f"app-{i}")
        d.autoscale(min=2, max=10, cpu_percent=60)
        d.set_load(cpu=daily_curve(i, args.days), idle={"cpu": "5m"})
    t_setup = time.perf_counter()

    # The day's plan: node failures every `fail_every` hours (recovered `down_for` minutes
    # later, after the 5-minute eviction), and each Deployment's daily rollout at its own time.
    fail_every, down_for = args.fail_every * 3600, args.down_for * 60
    actions: list[tuple[int, int, str, int]] = []  # (t, order, what, which)
    start = int(c.elapsed)
    for k, t in enumerate(range(fail_every, args.days * DAY, fail_every)):
        node = k % args.nodes + 1
        actions.append((start + t, 0, "fail", node))
        actions.append((start + t + down_for, 1, "recover", node))
    for day in range(args.days):
        for i in range(n):
            actions.append((start + day * DAY + (i * 863) % DAY, 2, "rollout", i))
    actions.sort()

    days: list[dict[str, Any]] = []
    failures = rollouts = 0
    next_day = start + DAY
    failed: set[int] = set()
    for t, _, what, which in [*actions, (start + args.days * DAY, 9, "end", 0)]:
        while next_day <= t:
            c.advance(next_day - c.elapsed)
            c._native.release_memory()
            stats = c.stats()
            days.append(
                {
                    "day": len(days) + 1,
                    "wall_seconds": round(time.perf_counter() - t_setup, 2),
                    "rss_bytes": rss_bytes(),
                    "pods": stats.get("pods", 0),
                    "replicasets": stats.get("replicasets", 0),
                    "events": stats.get("events", 0),
                    "journal_entries": len(c.journal or ()),  # none kept unless Cluster(journal=True)
                    "resource_version": c.resource_version,
                }
            )
            if args.progress:
                print(json.dumps(days[-1]), file=sys.stderr, flush=True)
            next_day += DAY
        if what == "end":
            break
        c.advance(t - c.elapsed)
        if what == "fail":
            c.node(f"node-{which}").fail()
            failed.add(which)
            failures += 1
        elif what == "recover":
            c.node(f"node-{which}").recover()
            failed.discard(which)
        elif what == "rollout":
            d = c.deployment(f"app-{which}")
            d.set_image(main=f"app:{len(days) + 2}")
            rollouts += 1
    t_run = time.perf_counter()

    # The invariants at the end: consistent now, and converged once the nodes are back.
    for node in sorted(failed):
        c.node(f"node-{node}").recover()
    problems = check_consistent(Snapshot.take(c), c)

    def converged() -> bool:
        s = Snapshot.take(c)
        return all(not convergence_problems(s, d) for d in s.deployments)

    try:
        c.run_until(converged, timeout="30m")
    except kubesim.TimeoutError:
        s = Snapshot.take(c)
        problems += [p for d in s.deployments for p in convergence_problems(s, d)]
    snap = Snapshot.take(c)
    problems += check_consistent(snap, c)
    virtual = args.days * DAY
    wall = t_run - t_setup
    stats = c.stats()
    return {
        "deployments": n,
        "nodes": args.nodes,
        "threads": c.threads,
        "virtual_days": args.days,
        "wall_seconds_setup": round(t_setup - t0, 3),
        "wall_seconds": round(wall, 2),
        "virtual_seconds_per_wall_second": round(virtual / wall, 1),
        "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "days": days,
        "node_failures": failures,
        "rollouts": rollouts,
        "rescales_in_last_hour": sum(1 for e in c.events() if e.reason == "SuccessfulRescale"),
        "pods": stats.get("pods", 0),
        "pods_ready": stats.get("pods_ready", 0),
        "replicas_wanted": sum(d["spec"]["replicas"] for d in snap.deployments),
        "invariant_problems": problems,
    }


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--deployments", type=int, default=100)
    p.add_argument("--nodes", type=int, default=30)
    p.add_argument("--days", type=int, default=7)
    p.add_argument("--fail-every", type=int, default=3, help="hours between node failures")
    p.add_argument("--down-for", type=int, default=20, help="minutes a failed node stays down")
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--progress", action="store_true", help="print each day's figures on stderr as it ends")
    args = p.parse_args()
    result = run(args)
    print(json.dumps(result))
    return 1 if result["invariant_problems"] else 0


if __name__ == "__main__":
    sys.exit(main())
