"""Experiments the sweep tests send to other processes: module-level, so workers import them."""

from __future__ import annotations

import os
from typing import Any

import kubesim
from kubesim.testing import workload


def rollout(max_surge: int | str, max_unavailable: int | str, seed: int = 0) -> dict[str, Any]:
    """A 4-replica rolling update: how long it took, the most pods at once, and the names of the
    new pods (which depend on the seed)."""
    c = kubesim.Cluster(nodes=3, seed=seed)
    strategy = {"rollingUpdate": {"maxSurge": max_surge, "maxUnavailable": max_unavailable}}
    c.apply(workload("Deployment", "web", 4, container="web", strategy=strategy))
    d = c.deployment("web")
    d.rollout.status()
    start = c.elapsed
    d.set_image(web="nginx:1.26")
    most = 0
    while not d.updated_replicas == d.available_replicas == d.status_replicas == 4:
        c.advance("1s", progress=True)  # a bar a sweep must keep quiet
        most = max(most, d.status_replicas)
    return {"seconds": c.elapsed - start, "max pods": most, "pods": sorted(p.name for p in d.pods())}


def where(n: int) -> dict[str, Any]:
    """Which process ran, and how many reconcile threads a cluster there gets by default."""
    return {"pid": os.getpid(), "threads": kubesim.Cluster(nodes=0).threads, "square": n * n}


class Unpicklable(Exception):
    """An exception that cannot travel back from a worker."""

    def __init__(self, handle: Any) -> None:
        super().__init__("no way back")
        self.handle = handle

    def __reduce__(self) -> Any:
        raise TypeError("cannot pickle this exception")


def raises_unpicklable(n: int) -> int:
    if n:
        raise Unpicklable(lambda: n)
    return n
