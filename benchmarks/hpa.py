"""HPA benchmark: one hour of virtual time for a ~100-pod autoscaled Deployment under a load ramp.

Prints one JSON object. Build in release mode first (`make bench` does). `--callable` gives the
same ramp as a Python function of the elapsed time (called once per 15 s scrape).
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import kubesim


def ramp_cores(t: float) -> float:
    """The schedule below as a function: 2 → 10 cores over 10 minutes (stepwise), 2 from 30 minutes."""
    minutes = int(t // 60)
    if t >= 30 * 60:
        return 2.0
    return round(2 + 0.8 * min(minutes, 10), 1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--callable", action="store_true", help="give the load as a Python callable")
    parser.add_argument("--progress", action="store_true", help="a progress bar in virtual time (on stderr)")
    args = parser.parse_args()
    progress = args.progress
    t0 = time.perf_counter()
    c = kubesim.Cluster(nodes=4, seed=1)
    c.apply(
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web"},
            "spec": {
                "replicas": 100,
                "selector": {"matchLabels": {"app": "web"}},
                "template": {
                    "metadata": {"labels": {"app": "web"}},
                    "spec": {
                        "containers": [{"name": "c", "image": "nginx", "resources": {"requests": {"cpu": "100m"}}}]
                    },
                },
            },
        }
    )
    d = c.deployment("web")
    d.rollout.status()
    d.autoscale(min=50, max=150, cpu_percent=60)
    # 2 → 10 cores over 10 minutes, hold, then back down.
    if args.callable:
        start = c.elapsed
        d.set_load(cpu=lambda t: ramp_cores(t - start))
    else:
        ramp = [(f"{m}m", f"{2 + 0.8 * m:.1f}") for m in range(11)] + [("30m", "2")]
        d.set_load(cpu=ramp)
    t1 = time.perf_counter()
    c.advance("1h", progress=progress)
    t2 = time.perf_counter()
    print(
        json.dumps(
            {
                "load": "callable" if args.callable else "schedule",
                "virtual_seconds": c.elapsed,
                "wall_seconds_setup": round(t1 - t0, 3),
                "wall_seconds_one_hour": round(t2 - t1, 3),
                "final_replicas": d.replicas,
                "rescales": sum(1 for e in c.events(c.hpa("web")) if e.reason == "SuccessfulRescale"),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
