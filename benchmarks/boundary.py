"""Python boundary benchmark: the workload of an in-process mock client, on kubesim and (when it
is installed) on mockernetes, side by side.

The workload (one Python call per object, as a test suite or a controller written against the
official client does it): create N Deployments one by one, list them, get each by name and turn
it into a dict, patch each (a label), list them again. Per-phase wall seconds, then what the
issue's targets name: get by name + ``to_dict()`` in µs per call, listing every Deployment as
dicts in ms, and ``kubectl get deployments -o json`` over all of them in seconds. kubesim runs
every controller while doing this (each Deployment gets its ReplicaSet and pods, scheduled and
bound, with Events); mockernetes runs none.

Every (implementation, size) runs in a fresh child process, at N and 2N, so that its peak RSS is
its own; prints one JSON object per run, then a summary per size (2N / N time ratio, and the
mockernetes / kubesim ratio when both ran).

    python benchmarks/boundary.py                        # N = 1,000 and 10,000, each also at 2N
    python benchmarks/boundary.py --size 10000 --once    # one run, in this process

mockernetes (https://pypi.org/project/mockernetes/) patches the official ``kubernetes`` client's
API classes and needs Python >= 3.12; when ``import mockernetes`` fails, kubesim runs alone and
the summary says so. The side-by-side path uses mockernetes' API (``mock_kubernetes()``,
``AppsV1Api().create_namespaced_deployment`` and friends); it was last run with mockernetes
0.2.0 and kubernetes 37.0.3 on Python 3.12, from a virtualenv holding both with kubesim's
package on ``PYTHONPATH``.

Build in release mode first (`make bench` does).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

PATCH = {"metadata": {"labels": {"patched": "yes"}}}
DEFAULT_SIZES = (1_000, 10_000)


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize()


def peak_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def timed(phases: dict[str, float], name: str, f: Callable[[], Any]) -> Any:
    t = time.perf_counter()
    result = f()
    phases[name] = round(time.perf_counter() - t, 4)
    return result


def manifest(i: int, replicas: int) -> dict[str, Any]:
    name = f"web-{i}"
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "labels": {"app": name}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "main", "image": "nginx:1.25", "ports": [{"containerPort": 80}]}]},
            },
        },
    }


def run_kubesim(n: int, replicas: int, threads: int) -> dict[str, Any]:
    import kubesim

    c = kubesim.Cluster(nodes=max(3, math.ceil(n * replicas / 100)), seed=1, threads=threads)
    docs = [manifest(i, replicas) for i in range(n)]
    phases: dict[str, float] = {}

    def create() -> None:
        for doc in docs:
            c.create(doc)

    def list_dicts() -> list[str]:
        # The dicts are made, read and let go within the phase (as a caller that looks at each
        # object does); keeping 10,000 of them alive would make every later phase pay for the
        # garbage collector visiting them.
        return [d["metadata"]["name"] for d in [h.to_dict() for h in c.deployments()]]

    def list_patched() -> int:
        return sum(d["metadata"]["labels"].get("patched") == "yes" for d in [h.to_dict() for h in c.deployments()])

    def get_each() -> None:
        for name in names:
            c.deployment(name).to_dict()

    def patch_each() -> None:
        for name in names:
            c.patch("deployment", name, PATCH)

    timed(phases, "create", create)
    docs.clear()
    names = timed(phases, "list", list_dicts)
    timed(phases, "get", get_each)
    timed(phases, "patch", patch_each)
    assert timed(phases, "list_again", list_patched) == n
    workload = sum(phases.values())
    handles = timed(phases, "list_handles", lambda: [h.name for h in c.deployments()])
    text = timed(phases, "kubectl_get_json", lambda: c.kubectl("get deployments -o json"))
    assert len(json.loads(text)["items"]) == n == len(handles)
    del text
    stats = c.stats()
    return {
        "impl": "kubesim",
        "threads": threads,
        "pods": stats.get("pods", 0),
        "replicasets": stats.get("replicasets", 0),
        "events": stats.get("events", 0),
        "workload_seconds": round(workload, 3),
        "phases": phases,
        "get_to_dict_us": round(phases["get"] / n * 1e6, 2),
        "list_dicts_ms": round(phases["list"] * 1000, 1),
        "list_handles_ms": round(phases["list_handles"] * 1000, 1),
        "kubectl_get_json_s": phases["kubectl_get_json"],
        "release": lambda: c._native.release_memory(),
    }


def run_mockernetes(n: int, replicas: int, threads: int) -> dict[str, Any]:
    """The same workload through the official client's API classes, patched by mockernetes."""
    from kubernetes import client as k8s  # type: ignore[import-not-found]
    from mockernetes import mock_kubernetes  # type: ignore[import-not-found]

    def body(i: int) -> Any:
        name = f"web-{i}"
        return k8s.V1Deployment(
            api_version="apps/v1",
            kind="Deployment",
            metadata=k8s.V1ObjectMeta(name=name, labels={"app": name}),
            spec=k8s.V1DeploymentSpec(
                replicas=replicas,
                selector=k8s.V1LabelSelector(match_labels={"app": name}),
                template=k8s.V1PodTemplateSpec(
                    metadata=k8s.V1ObjectMeta(labels={"app": name}),
                    spec=k8s.V1PodSpec(
                        containers=[
                            k8s.V1Container(
                                name="main", image="nginx:1.25", ports=[k8s.V1ContainerPort(container_port=80)]
                            )
                        ]
                    ),
                ),
            ),
        )

    bodies = [body(i) for i in range(n)]
    phases: dict[str, float] = {}
    with mock_kubernetes():
        apps = k8s.AppsV1Api()

        def create() -> None:
            for b in bodies:
                apps.create_namespaced_deployment("default", b)

        def list_all() -> list[str]:
            return [d.metadata.name for d in apps.list_namespaced_deployment("default").items]

        def list_patched() -> int:
            items = apps.list_namespaced_deployment("default").items
            return sum((d.metadata.labels or {}).get("patched") == "yes" for d in items)

        def get_each() -> None:
            for name in names:
                apps.read_namespaced_deployment(name, "default").to_dict()

        def patch_each() -> None:
            for name in names:
                apps.patch_namespaced_deployment(name, "default", PATCH)

        timed(phases, "create", create)
        names = timed(phases, "list", list_all)
        timed(phases, "get", get_each)
        timed(phases, "patch", patch_each)
        assert timed(phases, "list_again", list_patched) == n
    return {
        "impl": "mockernetes",
        "workload_seconds": round(sum(phases.values()), 3),
        "phases": phases,
        "get_to_dict_us": round(phases["get"] / n * 1e6, 2),
    }


IMPLS = {"kubesim": run_kubesim, "mockernetes": run_mockernetes}


def one(impl: str, n: int, replicas: int, threads: int) -> dict[str, Any]:
    t0 = time.perf_counter()
    result = IMPLS[impl](n, replicas, threads)
    wall = time.perf_counter() - t0
    release = result.pop("release", None)
    peak = peak_bytes()
    if release is not None:
        release()
    settled = rss_bytes()
    return {
        "size": n,
        "replicas": replicas,
        "wall_seconds": round(wall, 3),
        "peak_rss_mb": round(peak / 2**20, 1),
        "settled_rss_mb": round(settled / 2**20, 1),
        "peak_over_settled": round(peak / settled, 2),
        **result,
    }


def mockernetes_available() -> bool:
    return importlib.util.find_spec("mockernetes") is not None and importlib.util.find_spec("kubernetes") is not None


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--size", type=int, action="append", help="N (the run also does 2N unless --once)")
    p.add_argument("--replicas", type=int, default=1, help="replicas per Deployment (kubesim runs the pods)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--impl", choices=sorted(IMPLS), action="append", help="default: kubesim (and mockernetes)")
    p.add_argument("--once", action="store_true", help="run N only, in this process")
    args = p.parse_args()
    sizes = args.size or list(DEFAULT_SIZES)
    impls = args.impl or (["kubesim", "mockernetes"] if mockernetes_available() else ["kubesim"])
    if args.once:
        for impl in impls:
            for n in sizes:
                print(json.dumps(one(impl, n, args.replicas, args.threads)), flush=True)
        return
    if "mockernetes" not in impls:
        print(json.dumps({"note": "mockernetes is not installed (it needs Python >= 3.12): kubesim runs alone"}))
    for n in sizes:
        runs: dict[tuple[str, int], dict[str, Any]] = {}
        for impl in impls:
            for size in (n, 2 * n):
                cmd = [sys.executable, __file__, "--once", "--impl", impl, "--size", str(size)]
                cmd += ["--replicas", str(args.replicas), "--threads", str(args.threads)]
                line = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.strip()
                print(line, flush=True)
                runs[impl, size] = json.loads(line)
        summary: dict[str, Any] = {"sizes": [n, 2 * n]}
        for impl in impls:
            small, big = runs[impl, n], runs[impl, 2 * n]
            summary[f"{impl}_time_ratio_2n_over_n"] = round(big["workload_seconds"] / small["workload_seconds"], 2)
        if "mockernetes" in impls and "kubesim" in impls:
            for size in (n, 2 * n):
                ratio = runs["mockernetes", size]["workload_seconds"] / runs["kubesim", size]["workload_seconds"]
                summary[f"mockernetes_over_kubesim_at_{size}"] = round(ratio, 2)
        print(json.dumps(summary), flush=True)


if __name__ == "__main__":
    main()
