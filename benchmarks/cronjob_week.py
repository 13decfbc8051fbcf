"""CronJob benchmark: one `*/5 * * * *` CronJob with one-second Jobs for a week of virtual time,
then for two weeks, so that the growth with virtual time shows (it should be linear: each run
costs the same, however many ran before). Each figure is the fastest of `--repeat` runs.

Each run makes a real Job and pod, which is scheduled, runs and completes; the Job completes
and the history limits delete old Jobs (2,016 runs a week). Prints one JSON object per
(weeks, settings): defaults (recording and Events on) and with both off. Build in release mode
first (`maturin develop --release`).

    python benchmarks/cronjob_week.py
    python benchmarks/cronjob_week.py --weeks 1 --threads 1
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

import kubesim

CRONJOB = {
    "apiVersion": "batch/v1",
    "kind": "CronJob",
    "metadata": {"name": "tick"},
    "spec": {
        "schedule": "*/5 * * * *",
        "jobTemplate": {
            "spec": {"template": {"spec": {"restartPolicy": "Never", "containers": [{"name": "c", "image": "tick:1"}]}}}
        },
    },
}


def run(weeks: int, threads: int, defaults: bool, repeat: int = 1) -> dict[str, Any]:
    options: dict[str, Any] = {} if defaults else {"record": False, "events": False}
    walls = []
    for _ in range(repeat):
        c = kubesim.Cluster(nodes=1, seed=1, threads=threads, **options)
        c.images.register("tick:*", completes_after="1s")
        c.apply(CRONJOB)
        rv = c.stats()["resource_version"]
        t = time.perf_counter()
        c.advance(f"{7 * weeks}d")
        walls.append(time.perf_counter() - t)
    wall = min(walls)
    runs = 7 * weeks * 288
    stats = c.stats()
    assert stats["jobs"] == 3, "the history keeps three finished Jobs"
    writes = stats["resource_version"] - rv
    return {
        "scenario": "cronjob-week",
        "weeks": weeks,
        "threads": threads,
        "settings": "defaults" if defaults else "record=False, events=False",
        "wall_seconds": round(wall, 4),
        "repeats": repeat,
        "runs": runs,
        "us_per_run": round(wall / runs * 1e6, 1),
        "writes_per_run": round(writes / runs, 1),
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--weeks", type=int, action="append", help="weeks of virtual time (default: 1 and 2)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeat", type=int, default=3, help="runs of each; the fastest is reported (shared machines)")
    args = p.parse_args()
    results = {}
    for defaults in (True, False):
        for weeks in args.weeks or [1, 2]:
            r = run(weeks, args.threads, defaults, args.repeat)
            results[(defaults, weeks)] = r["wall_seconds"]
            print(json.dumps(r), flush=True)
        if not args.weeks:
            ratio = results[(defaults, 2)] / results[(defaults, 1)]
            print(
                json.dumps({"scenario": "cronjob-week", "defaults": defaults, "time_ratio_2w_over_1w": round(ratio, 2)})
            )


if __name__ == "__main__":
    main()
