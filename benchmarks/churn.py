"""Churn benchmarks: what users run after creation, each scenario at N and 2N in one run.

Every (scenario, size) runs in a fresh child process, so that its peak RSS is its own. Prints one
JSON object per run, then a summary line per scenario with the 2N / N time ratio (the cost model
asks for at most about 2.2: cost grows with what changes, not with what is stored).

    python benchmarks/churn.py                      # every scenario at its default sizes
    python benchmarks/churn.py --scenario rollout --size 10000 --threads 2

Scenarios (N is the number of pods unless said):
- rollout: one Deployment of N replicas: apply → Ready; set image → rollout complete; scale to
  N/2 → settled; scale back to N → Ready. Times per phase, and the rollout against creation.
- many: N/10 Deployments × 10: apply → Ready; set_image on each (one Python call each) → all
  rolled out.
- nodefail: N pods on N/80 nodes; fail a tenth of the nodes → after eviction, every pod
  replaced and Ready.
- hpa: N/50 autoscaled Deployments (about 50 pods each at peak) under a daily load curve for
  24 h of virtual time.
- get: `kubectl get pods` over N pods.
- calls: 200 calls each of scale, set_image, patch, get + to_dict, apply, events of a pod and
  `kubectl describe pod` on a 2-replica Deployment beside one of N replicas, Events on
  (microseconds a call: what it changes or reads, not what is stored).
- pending: one ReplicaSet of N replicas on 3 nodes (all but a few hundred pods Pending):
  apply → settled; then, ten times, 100 running pods deleted and a second of virtual time
  (each delete moves every pending pod back to the scheduler).
- daemonset: one DaemonSet over N nodes (N pods): apply → every pod Ready; set image with
  maxUnavailable 10% → rolled out (upstream syncs at most 250 creates and 250 deletes a
  sync, and each sync judges every node).
- service: the rollout scenario with a Service selecting the Deployment's pods, so the
  EndpointSlice and endpoints controllers keep N endpoints (N/100 slices) through it.
- jobs: N Jobs (not pods) of 2 completions each, a quarter Indexed: apply → all Complete; then
  N/2 Jobs whose pods fail (backoffLimit 2, the 10 s and 20 s back-offs) → all Failed; then
  the completed Jobs deleted → their pods gone. On 100 nodes at every size.
- cronjobs: N CronJobs (not pods) on `*/5 * * * *` with one-second Jobs, for a day of virtual
  time (288 runs each; the history keeps three Jobs each), on 10 nodes at every size (the
  runs of one instant fit; scoring more nodes would cost more per pod).
- bare: N bare pods (no controller: what `kubectl run` makes), then 1,000 Deployments of 2
  and 1,000 Jobs of 2 completions created beside them in the same namespace → all Ready and
  Complete. The second phase is the same work at every N: a controller's look for orphans to
  adopt reads what its selector can match, not every bare pod.
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import subprocess
import sys
import time
from typing import Any

import kubesim
from kubesim.testing import workload

DEFAULT_SIZES = {
    "rollout": 10_000,
    "many": 10_000,
    "nodefail": 10_000,
    "hpa": 2_500,
    "get": 10_000,
    "pending": 25_000,
    "calls": 50_000,
    "daemonset": 10_000,
    "jobs": 1_000,
    "cronjobs": 200,
    "service": 10_000,
    "bare": 10_000,
}


# Whether clusters record their timeline (on by default, as for users; --no-record).
RECORD = True


def new_cluster(*args: Any, **kwargs: Any) -> kubesim.Cluster:
    c = kubesim.Cluster(*args, record=RECORD, **kwargs)
    CLUSTERS.append(c)
    return c


# The run's clusters: memory they freed is handed back before a phase's peak is measured.
CLUSTERS: list[kubesim.Cluster] = []


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize()


def peak_bytes() -> int:
    return max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024, max(PHASE_PEAKS.values(), default=0))


# The peak RSS of each timed phase (Linux: VmHWM, reset through /proc/self/clear_refs before
# the phase), so that a rollout's own peak is told apart from the creation's before it.
PHASE_PEAKS: dict[str, int] = {}


def _reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def _hwm_bytes() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


def ready(c: kubesim.Cluster, pods: int) -> None:
    c.run_until(lambda: c.stats().get("pods_ready", 0) == pods and c.stats().get("pods", 0) == pods, timeout="2h")


def timed(phases: dict[str, float], name: str, f: Any) -> None:
    before = _hwm_bytes()
    for c in CLUSTERS:
        c._native.release_memory()
    reset = _reset_peak()
    t = time.perf_counter()
    f()
    phases[name] = round(time.perf_counter() - t, 3)
    if reset:
        PHASE_PEAKS[name] = _hwm_bytes()
    else:
        PHASE_PEAKS.pop(name, None)
    PHASE_PEAKS.setdefault("before " + name, before)


def scenario_rollout(n: int, threads: int) -> dict[str, Any]:
    c = new_cluster(nodes=max(3, math.ceil(n / 100)), seed=1, threads=threads, events=False)
    phases: dict[str, float] = {}
    timed(phases, "create", lambda: (c.apply(workload("Deployment", "web", n, "nginx:1.25")), ready(c, n)))
    d = c.deployment("web")
    timed(phases, "rollout", lambda: (d.set_image(main="nginx:1.26"), d.rollout.status(timeout="10h")))
    timed(phases, "scale_down", lambda: (d.scale(n // 2), ready(c, n // 2)))
    timed(phases, "scale_up", lambda: (d.scale(n), ready(c, n)))
    return {"phases": phases, "rollout_vs_create": round(phases["rollout"] / phases["create"], 2), "cluster": c}


def scenario_service(n: int, threads: int) -> dict[str, Any]:
    c = new_cluster(nodes=max(3, math.ceil(n / 100)), seed=1, threads=threads, events=False)
    phases: dict[str, float] = {}
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web"},
        "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]},
    }
    timed(phases, "create", lambda: (c.apply([service, workload("Deployment", "web", n, "nginx:1.25")]), ready(c, n)))
    d = c.deployment("web")
    timed(phases, "rollout", lambda: (d.set_image(main="nginx:1.26"), d.rollout.status(timeout="10h")))
    timed(phases, "scale_down", lambda: (d.scale(n // 2), ready(c, n // 2)))
    timed(phases, "scale_up", lambda: (d.scale(n), ready(c, n)))
    listed = sum(len(s.endpoints) for s in c.list("endpointslices", "kubernetes.io/service-name=web"))
    assert listed == n, f"{listed} endpoints for {n} pods"
    return {"phases": phases, "rollout_vs_create": round(phases["rollout"] / phases["create"], 2), "cluster": c}


def scenario_many(n: int, threads: int) -> dict[str, Any]:
    count = n // 10
    c = new_cluster(nodes=max(3, math.ceil(n / 100)), seed=1, threads=threads, events=False)
    phases: dict[str, float] = {}
    docs = [workload("Deployment", f"web-{i}", 10, "nginx:1.25") for i in range(count)]
    timed(phases, "create", lambda: (c.apply(docs), ready(c, n)))
    handles = c.deployments()

    def roll() -> None:
        for d in handles:
            d.set_image(main="nginx:1.26")
        c.run_until(lambda: all(d.updated_replicas == 10 and d.available_replicas == 10 for d in handles), "2h")
        ready(c, n)

    timed(phases, "set_image_all", roll)
    return {"phases": phases, "rollout_vs_create": round(phases["set_image_all"] / phases["create"], 2), "cluster": c}


def scenario_nodefail(n: int, threads: int) -> dict[str, Any]:
    nodes = max(10, math.ceil(n / 80))  # room for the failed tenth's pods elsewhere
    c = new_cluster(nodes=nodes, seed=1, threads=threads, events=False)
    phases: dict[str, float] = {}
    docs = [workload("Deployment", f"web-{i}", 100, "nginx:1.25") for i in range(n // 100)]
    timed(phases, "create", lambda: (c.apply(docs), ready(c, n)))

    failed = {f"node-{i}" for i in range(1, nodes // 10 + 1)}

    def fail() -> None:
        for name in sorted(failed):
            c.node(name).fail()
        # upstream: NotReady after the 40 s grace period, pods evicted 300 s later (tolerations);
        # the evicted ones stay Terminating on the unreachable node while replacements start.
        c.advance("6m")
        c.run_until(lambda: c.stats().get("pods_ready", 0) == n, timeout="2h")

    timed(phases, "fail_tenth_of_nodes", fail)
    replaced = sum(1 for p in c.pods(namespace=None) if p.node in failed)
    assert replaced > 0 and c.stats().get("pods_terminating", 0) >= replaced, "the failed nodes' pods were evicted"
    return {
        "phases": phases,
        "rollout_vs_create": round(phases["fail_tenth_of_nodes"] / phases["create"], 2),
        "cluster": c,
    }


def daily(t: float) -> float:
    """Cores of demand over a day: quiet at night, a peak in the afternoon."""
    hour = (t / 3600) % 24
    return 2 + 18 * max(0.0, math.sin(math.pi * (hour - 6) / 16)) if 6 <= hour <= 22 else 2


def scenario_hpa(n: int, threads: int) -> dict[str, Any]:
    count = max(1, n // 50)
    c = new_cluster(nodes=max(3, math.ceil(n / 80)), seed=1, threads=threads, events=False)
    phases: dict[str, float] = {}
    docs = [
        workload("Deployment", f"web-{i}", 5, "nginx:1.25", resources={"requests": {"cpu": "200m"}})
        for i in range(count)
    ]
    timed(phases, "create", lambda: (c.apply(docs), ready(c, 5 * count)))
    for d in c.deployments():
        d.autoscale(min=5, max=60, cpu_percent=80)
        d.set_load(
            cpu=[(h * 3600 + m * 600, f"{daily(h * 3600 + m * 600) * 1000:.0f}m") for h in range(24) for m in range(6)]
        )
    timed(phases, "day", lambda: c.advance("24h"))
    return {"phases": phases, "virtual_seconds_per_wall_second": round(86400 / phases["day"]), "cluster": c}


def scenario_get(n: int, threads: int) -> dict[str, Any]:
    c = new_cluster(nodes=max(3, math.ceil(n / 100)), seed=1, threads=threads, events=False)
    phases: dict[str, float] = {}
    docs = [workload("Deployment", f"web-{i}", 100, "nginx:1.25") for i in range(max(1, n // 100))]
    timed(phases, "create", lambda: (c.apply(docs), ready(c, n)))
    out: list[str] = []
    timed(phases, "kubectl_get_pods", lambda: out.append(c.kubectl("get pods")))
    return {"phases": phases, "lines": out[0].count("\n"), "cluster": c}


def scenario_pending(n: int, threads: int) -> dict[str, Any]:
    c = new_cluster(nodes=3, seed=1, threads=threads, events=False)
    phases: dict[str, float] = {"churn": 0.0}
    timed(phases, "apply", lambda: (c.apply(workload("ReplicaSet", "web", n, "nginx:1.25")), c.advance("1m")))
    running = c.stats().get("pods_running", 0)
    for _ in range(10):
        # 100 bound pods deleted at once (found outside the timing, by a field selector: a table
        # of every pending pod would be the run's peak), then a second of virtual time: each
        # delete is a change that moves every pending pod back to the scheduler.
        running_pods = c.kubectl("get pods --field-selector=status.phase=Running -o name").split()
        bound = [name.removeprefix("pod/") for name in running_pods][:100]
        t = time.perf_counter()
        for name in bound:
            c.delete("pod", name, grace_period=0)
        c.advance("1s")
        phases["churn"] += time.perf_counter() - t
    phases["churn"] = round(phases["churn"], 3)
    c.advance("1m")
    assert c.stats().get("pods_running", 0) == running, "the room made was taken by pending pods"
    return {"phases": phases, "running": running, "cluster": c}


def scenario_calls(n: int, threads: int) -> dict[str, Any]:
    # One call on a 2-replica Deployment while another of N replicas exists: each phase is 200
    # calls of one kind, so its time at N and 2N shows whether a call costs what it changes.
    # Events on (the default): the Events of N pods are stored, and reading one pod's must not
    # read them all.
    c = new_cluster(nodes=max(3, math.ceil(n / 100)), seed=1, threads=threads)
    phases: dict[str, float] = {}
    timed(
        phases,
        "create",
        lambda: (
            c.apply([workload("Deployment", "big", n, "nginx:1.25"), workload("Deployment", "small", 2, "nginx:1.25")]),
            ready(c, n + 2),
        ),
    )
    d = c.deployment("small")
    calls = {
        "scale": lambda i: d.scale(2 + i % 2),
        "set_image": lambda i: d.set_image(main=f"nginx:1.{i}"),
        "patch": lambda i: c.patch("deployment", "small", {"metadata": {"labels": {"n": str(i)}}}),
        "get_to_dict": lambda i: c.deployment("small").to_dict(),
        "apply": lambda i: c.apply(workload("Deployment", "small", 2 + i % 2, "nginx:1.25")),
        "events": lambda i: c.events(c.pods("app=small")[0]),
        "describe_pod": lambda i: c.kubectl(f"describe pod {c.pods('app=small')[0].name}"),
    }
    for name, call in calls.items():
        timed(phases, name, lambda call=call: [call(i) for i in range(200)])
    per_call = {k: round(v / 200 * 1e6, 1) for k, v in phases.items() if k != "create"}
    return {"phases": phases, "us_per_call": per_call, "cluster": c}


def scenario_daemonset(n: int, threads: int) -> dict[str, Any]:
    c = new_cluster(nodes=n, seed=1, threads=threads, events=False)
    phases: dict[str, float] = {}
    ds = workload("Deployment", "agent", 1, "nginx:1.25")
    ds["kind"] = "DaemonSet"
    ds["spec"].pop("replicas", None)
    ds["spec"]["updateStrategy"] = {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "10%"}}
    timed(phases, "create", lambda: (c.apply(ds), ready(c, n)))
    handle = c.daemonset("agent")
    image = {"spec": {"template": {"spec": {"containers": [{"name": "main", "image": "nginx:1.26"}]}}}}
    timed(phases, "rollout", lambda: (c.patch("daemonset", "agent", image), handle.rollout.status(timeout="10h")))
    return {"phases": phases, "rollout_vs_create": round(phases["rollout"] / phases["create"], 2), "cluster": c}


def batch_job(name: str, image: str, indexed: bool, **spec: Any) -> dict[str, Any]:
    mode = {"completionMode": "Indexed"} if indexed else {}
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name},
        "spec": {
            **spec,
            **mode,
            "template": {"spec": {"restartPolicy": "Never", "containers": [{"name": "c", "image": image}]}},
        },
    }


def scenario_jobs(n: int, threads: int) -> dict[str, Any]:
    # A fixed 100 nodes (room for every pod at both sizes): the scheduler scores every node for
    # each pod, so nodes growing with N would make each pod cost more at 2N.
    c = new_cluster(nodes=100, seed=1, threads=threads, events=False)
    c.images.register("work:*", completes_after="10s")
    c.images.register("fail:*", crash_after="2s", exit_code=1)
    phases: dict[str, float] = {}
    docs = [batch_job(f"ok-{i}", "work:1", i % 4 == 0, completions=2, parallelism=2) for i in range(n)]
    timed(phases, "complete", lambda: (c.apply(docs), c.advance("1m")))
    done = [line.split()[1] for line in c.kubectl("get jobs --no-headers").splitlines()]
    assert done.count("Complete") == n, "every Job completed within a minute"
    bad = [batch_job(f"bad-{i}", "fail:1", False, backoffLimit=2) for i in range(n // 2)]
    timed(phases, "fail", lambda: (c.apply(bad), c.advance("2m")))
    statuses = [line.split()[1] for line in c.kubectl("get jobs --no-headers").splitlines()]
    assert statuses.count("Failed") == n // 2, "every failing Job failed after its back-offs"
    ok = [f"ok-{i}" for i in range(n)]
    timed(phases, "delete", lambda: ([c.delete("job", name) for name in ok], c.advance("1m")))
    assert c.stats()["jobs"] == n // 2 and c.stats()["pods"] == 3 * (n // 2)
    return {"phases": phases, "cluster": c}


def scenario_cronjobs(n: int, threads: int) -> dict[str, Any]:
    c = new_cluster(nodes=10, seed=1, threads=threads, events=False)
    c.images.register("tick:*", completes_after="1s")
    phases: dict[str, float] = {}
    docs = [
        {
            "apiVersion": "batch/v1",
            "kind": "CronJob",
            "metadata": {"name": f"tick-{i}"},
            "spec": {
                "schedule": "*/5 * * * *",
                "jobTemplate": {
                    "spec": {
                        "template": {
                            "spec": {"restartPolicy": "Never", "containers": [{"name": "c", "image": "tick:1"}]}
                        }
                    }
                },
            },
        }
        for i in range(n)
    ]
    timed(phases, "day", lambda: (c.apply(docs), c.advance("1d1m")))
    assert c.stats()["jobs"] == 3 * n, "the history keeps three finished Jobs per CronJob"
    return {"phases": phases, "runs": 288 * n, "cluster": c}


def scenario_bare(n: int, threads: int) -> dict[str, Any]:
    c = new_cluster(nodes=100, seed=1, threads=threads, events=False)
    c.images.register("work:*", completes_after="10s")
    phases: dict[str, float] = {}
    bare = [
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": f"bare-{i}", "labels": {"app": "bare"}},
            "spec": {"containers": [{"name": "main", "image": "nginx:1.25"}]},
        }
        for i in range(n)
    ]
    timed(phases, "bare", lambda: (c.apply(bare), c.advance("30s")))
    owned = [workload("Deployment", f"web-{i}", 2, "nginx:1.25") for i in range(1000)]
    owned += [batch_job(f"job-{i}", "work:1", False, completions=2, parallelism=2) for i in range(1000)]
    timed(phases, "controllers", lambda: (c.apply(owned), c.advance("1m")))
    assert c.stats()["pods"] == n + 4000
    return {"phases": phases, "cluster": c}


SCENARIOS = {
    "rollout": scenario_rollout,
    "service": scenario_service,
    "many": scenario_many,
    "nodefail": scenario_nodefail,
    "hpa": scenario_hpa,
    "get": scenario_get,
    "pending": scenario_pending,
    "calls": scenario_calls,
    "daemonset": scenario_daemonset,
    "jobs": scenario_jobs,
    "cronjobs": scenario_cronjobs,
    "bare": scenario_bare,
}


def one(name: str, n: int, threads: int) -> dict[str, Any]:
    t0 = time.perf_counter()
    result = SCENARIOS[name](n, threads)
    wall = time.perf_counter() - t0
    c = result.pop("cluster")
    peak = peak_bytes()
    c._native.release_memory()
    settled = rss_bytes()
    return {
        "scenario": name,
        "size": n,
        "threads": threads,
        "wall_seconds": round(wall, 3),
        "virtual_seconds": c.elapsed,
        "virtual_per_wall": round(c.elapsed / wall, 1),
        "peak_rss_mb": round(peak / 2**20, 1),
        "settled_rss_mb": round(settled / 2**20, 1),
        "peak_over_settled": round(peak / settled, 2),
        "phase_peak_over_settled": {
            k: round(v / settled, 2) for k, v in PHASE_PEAKS.items() if not k.startswith("before ")
        },
        **result,
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--scenario", choices=sorted(SCENARIOS), action="append")
    p.add_argument("--size", type=int, help="N (the run also does 2N unless --once)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--once", action="store_true", help="run N only, in this process")
    p.add_argument("--no-record", action="store_true", help="clusters record no timeline (Cluster(record=False))")
    args = p.parse_args()
    global RECORD
    RECORD = not args.no_record
    names = args.scenario or list(SCENARIOS)
    if args.once:
        for name in names:
            print(json.dumps(one(name, args.size or DEFAULT_SIZES[name], args.threads)), flush=True)
        return
    for name in names:
        n = args.size or DEFAULT_SIZES[name]
        runs = []
        for size in (n, 2 * n):
            cmd = [sys.executable, __file__, "--once", "--scenario", name, "--size", str(size)]
            cmd += ["--threads", str(args.threads)] + ["--no-record"] * args.no_record
            line = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.strip()
            print(line, flush=True)
            runs.append(json.loads(line))
        ratio = runs[1]["wall_seconds"] / runs[0]["wall_seconds"]
        summary = {"scenario": name, "sizes": [n, 2 * n], "time_ratio_2n_over_n": round(ratio, 2)}
        summary["phase_ratios"] = {
            k: round(runs[1]["phases"][k] / runs[0]["phases"][k], 2) for k in runs[0]["phases"] if runs[0]["phases"][k]
        }
        print(json.dumps(summary), flush=True)


if __name__ == "__main__":
    main()
