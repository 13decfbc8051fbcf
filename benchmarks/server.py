"""Load on the embedded API server over loopback: client threads send a mix of requests (Table
lists, gets, label patches) while watchers follow every Deployment change; optionally real
kubectl processes run `get deployments` in a loop meanwhile. Prints JSON: requests per second,
p50/p99 latency, and whether every watcher received every change exactly once, in
resourceVersion order.

    python benchmarks/server.py --requests 10000 --clients 8 --watchers 20 --kubectl 8
"""

from __future__ import annotations

import argparse
import http.client
import json
import shutil
import subprocess
import threading
import time
import urllib.parse
from typing import Any

import kubesim

TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"


def deployment(name: str) -> dict[str, Any]:
    labels = {"app": name}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "labels": labels},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}},
        },
    }


def connect(url: str) -> http.client.HTTPConnection:
    u = urllib.parse.urlsplit(url)
    return http.client.HTTPConnection(u.hostname or "", u.port, timeout=60)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--requests", type=int, default=10_000, help="requests across all client threads")
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--watchers", type=int, default=20)
    p.add_argument("--kubectl", type=int, default=0, help="kubectl processes looping `get deployments` meanwhile")
    p.add_argument("--deployments", type=int, default=50)
    args = p.parse_args()

    c = kubesim.Cluster(nodes=3, seed=0)
    for i in range(args.deployments):
        c.apply(deployment(f"web-{i}"))
    srv = c.serve()
    start_rv = c.resource_version
    base = "/apis/apps/v1/namespaces/default/deployments"

    received: list[list[tuple[str, int]]] = [[] for _ in range(args.watchers)]
    stop = threading.Event()
    final: list[int] = []

    def watch(out: list[tuple[str, int]]) -> None:
        conn = connect(srv.url)
        conn.request("GET", f"{base}?watch=true&resourceVersion={start_rv}&allowWatchBookmarks=true")
        r = conn.getresponse()
        while line := r.readline():
            e = json.loads(line)
            rv = int(e["object"]["metadata"]["resourceVersion"])
            if e["type"] != "BOOKMARK":
                out.append((e["object"]["metadata"]["name"], rv))
            if stop.is_set() and final and rv >= final[0]:
                break
        conn.close()

    latencies: list[list[float]] = [[] for _ in range(args.clients)]
    written: list[list[int]] = [[] for _ in range(args.clients)]
    errors: list[str] = []

    def client(k: int) -> None:
        conn = connect(srv.url)
        n = args.requests // args.clients
        for i in range(n):
            name = f"web-{(k * 7 + i) % args.deployments}"
            kind = i % 4
            t0 = time.perf_counter()
            if kind == 0:
                conn.request("GET", f"{base}?limit=500", headers={"Accept": TABLE})
            elif kind == 1:
                conn.request("GET", f"{base}/{name}")
            else:
                body = json.dumps({"metadata": {"labels": {"load": f"{k}-{i}"}}})
                headers = {"Content-Type": "application/merge-patch+json"}
                conn.request("PATCH", f"{base}/{name}", body=body, headers=headers)
            r = conn.getresponse()
            data = r.read()
            latencies[k].append(time.perf_counter() - t0)
            if r.status != 200:
                errors.append(f"{r.status} {data[:200]!r}")
            elif kind >= 2:
                written[k].append(int(json.loads(data)["metadata"]["resourceVersion"]))
        conn.close()

    kubectl = shutil.which("kubectl")
    procs_done = threading.Event()
    kubectl_runs = [0]

    def kubectl_loop() -> None:
        while not procs_done.is_set() and kubectl:
            subprocess.run([kubectl, "get", "deployments"], env=srv.env(), capture_output=True, timeout=60)
            kubectl_runs[0] += 1

    watchers = [threading.Thread(target=watch, args=(out,)) for out in received]
    for t in watchers:
        t.start()
    time.sleep(0.2)  # the watches have started (their starting point is start_rv either way)
    loops = [threading.Thread(target=kubectl_loop) for _ in range(args.kubectl if kubectl else 0)]
    for t in loops:
        t.start()
    t0 = time.perf_counter()
    clients = [threading.Thread(target=client, args=(k,)) for k in range(args.clients)]
    for t in clients:
        t.start()
    for t in clients:
        t.join()
    seconds = time.perf_counter() - t0
    procs_done.set()
    for t in loops:
        t.join()

    want = sorted(rv for w in written for rv in w)
    final.append(want[-1] if want else start_rv)
    stop.set()
    c.deployment("web-0").scale(2)  # one more change wakes watchers that already saw everything
    for t in watchers:
        t.join(timeout=60)
    srv.stop()

    all_lat = sorted(x for k in latencies for x in k)
    seen = [[rv for _, rv in w if rv <= final[0]] for w in received]
    # Every write's resourceVersion reaches every watcher once, in order, and all watchers agree.
    exactly_once = all(s == sorted(set(s)) and set(want) <= set(s) for s in seen) and all(
        s == seen[0] for s in seen[1:]
    )
    print(
        json.dumps(
            {
                "benchmark": "server",
                "requests": len(all_lat),
                "clients": args.clients,
                "watchers": args.watchers,
                "kubectl_processes": len(loops),
                "kubectl_runs": kubectl_runs[0],
                "seconds": round(seconds, 3),
                "requests_per_second": round(len(all_lat) / seconds, 1),
                "p50_ms": round(all_lat[len(all_lat) // 2] * 1000, 2),
                "p99_ms": round(all_lat[int(len(all_lat) * 0.99)] * 1000, 2),
                "writes": len(want),
                "events_per_watcher": len(seen[0]) if seen else 0,
                "every_watcher_saw_every_change_once_in_order": exactly_once,
                "errors": errors[:5],
            }
        )
    )


if __name__ == "__main__":
    main()
