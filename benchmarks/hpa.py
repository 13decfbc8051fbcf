"""HPA benchmark: one hour of virtual time for a ~100-pod autoscaled Deployment under a load ramp.

Prints one JSON object. Build in release mode first (`make bench` does).
"""

from __future__ import annotations

import json
import sys
import time

import kubesim


def main() -> int:
    progress = "--progress" in sys.argv[1:]  # a progress bar in virtual time (on stderr)
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
    ramp = [(f"{m}m", f"{2 + 0.8 * m:.1f}") for m in range(11)] + [("30m", "2")]
    d.set_load(cpu=ramp)
    t1 = time.perf_counter()
    c.advance("1h", progress=progress)
    t2 = time.perf_counter()
    print(
        json.dumps(
            {
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
