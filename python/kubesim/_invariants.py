"""Invariants of a simulated cluster, checked from the outside: the stored objects read back as
JSON and compared with what the controllers promise. The random-scenario tests and the soak
benchmark use them.

Every check here is computed in Python from the objects themselves (upstream's arithmetic for
surge and unavailability, a plain scan for selectors), never from numbers the core derived, so
a wrong core fails them."""

from __future__ import annotations

import datetime as _dt
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._cluster import Cluster

__all__ = [
    "Snapshot",
    "check_consistent",
    "convergence_problems",
    "fenceposts",
    "rollout_bound_problems",
]

HASH_LABEL = "pod-template-hash"
_TERMINAL = ("Succeeded", "Failed")


def _parse_time(value: str) -> _dt.datetime:
    return _dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


@dataclass
class Snapshot:
    """The objects of the workload kinds (all namespaces) at one instant."""

    now: _dt.datetime
    pods: list[dict[str, Any]]
    replicasets: list[dict[str, Any]]
    deployments: list[dict[str, Any]]
    nodes: list[dict[str, Any]]
    hpas: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def take(cls, c: Cluster, pods: bool = True) -> Snapshot:
        native = c._native

        def objects(kind: str) -> list[dict[str, Any]]:
            objs: list[dict[str, Any]] = native.list(kind, None, "")
            return objs

        return cls(
            now=c.now,
            pods=objects("pods") if pods else [],
            replicasets=objects("replicasets"),
            deployments=objects("deployments"),
            nodes=objects("nodes"),
            hpas=objects("horizontalpodautoscalers"),
        )

    def owned(self, owner: dict[str, Any], objects: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
        """``objects`` whose controller reference is ``owner``."""
        uid = owner["metadata"]["uid"]
        return [o for o in objects if controller_uid(o) == uid]


def controller_uid(obj: dict[str, Any]) -> str | None:
    refs = [r for r in obj["metadata"].get("ownerReferences", []) if r.get("controller")]
    return refs[0]["uid"] if refs else None


def _key(obj: dict[str, Any]) -> tuple[str, str]:
    meta = obj["metadata"]
    return meta.get("namespace", ""), meta["name"]


def fenceposts(replicas: int, max_surge: int | str, max_unavailable: int | str) -> tuple[int, int]:
    """upstream: ResolveFenceposts — a percentage of replicas, surge rounded up and unavailable
    rounded down; both 0 makes unavailable 1. Then MaxUnavailable caps unavailable at replicas."""

    def scaled(v: int | str, up: bool) -> int:
        if isinstance(v, int):
            return v
        pct = int(v.rstrip("%"))
        return math.ceil(pct * replicas / 100) if up else pct * replicas // 100

    surge, unavailable = scaled(max_surge, True), scaled(max_unavailable, False)
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, min(unavailable, replicas)


def deployment_fenceposts(d: dict[str, Any]) -> tuple[int, int] | None:
    """(maxSurge, maxUnavailable) of a RollingUpdate Deployment at its current replicas; None
    for Recreate."""
    strategy = d["spec"].get("strategy", {})
    if strategy.get("type") != "RollingUpdate":
        return None
    ru = strategy.get("rollingUpdate", {})
    return fenceposts(d["spec"].get("replicas", 1), ru.get("maxSurge", "25%"), ru.get("maxUnavailable", "25%"))


def _ready_since(pod: dict[str, Any]) -> _dt.datetime | None:
    for cond in pod.get("status", {}).get("conditions", []):
        if cond.get("type") == "Ready":
            return _parse_time(cond["lastTransitionTime"]) if cond.get("status") == "True" else None
    return None


def is_active(pod: dict[str, Any]) -> bool:
    """upstream: controller.IsPodActive — not finished and not being deleted."""
    return pod.get("status", {}).get("phase") not in _TERMINAL and not pod["metadata"].get("deletionTimestamp")


def is_ready(pod: dict[str, Any]) -> bool:
    return _ready_since(pod) is not None


def available_bounds(pods: Iterable[dict[str, Any]], min_ready_seconds: int, now: _dt.datetime) -> tuple[int, int]:
    """How many of the active ``pods`` a ReplicaSet's ``availableReplicas`` may count now: at
    least those surely available, at most those possibly available.

    upstream: IsPodAvailable — Ready with ``lastTransitionTime + minReadySeconds`` strictly
    before now; the status is recomputed when the ReplicaSet syncs, and a pod turning Ready
    requeues it after minReadySeconds + 1 s. The stored lastTransitionTime has whole seconds
    (the true time is up to 1 s later), so a pod is surely counted from ltt + minReadySeconds
    + 2 s and possibly from just after ltt + minReadySeconds."""
    low = high = 0
    for p in pods:
        since = _ready_since(p)
        if since is None:
            continue
        if min_ready_seconds == 0:
            low, high = low + 1, high + 1
            continue
        ready_for = (now - since).total_seconds()
        low += ready_for >= min_ready_seconds + 2
        high += ready_for > min_ready_seconds
    return low, high


def rollout_bound_problems(snap: Snapshot, d: dict[str, Any]) -> list[str]:
    """The RollingUpdate surge bound: the ReplicaSets of a Deployment whose spec the controller
    has observed ask for at most replicas + maxSurge pods in all (upstream keeps it through
    rollouts, proportional scaling and pausing alike)."""
    fp = deployment_fenceposts(d)
    if fp is None or d["metadata"].get("deletionTimestamp"):
        return []
    if d["metadata"].get("generation") != d.get("status", {}).get("observedGeneration"):
        return []
    replicas = d["spec"].get("replicas", 1)
    total = sum(rs["spec"].get("replicas", 1) for rs in snap.owned(d, snap.replicasets))
    if total > replicas + fp[0]:
        return [f"deployment/{d['metadata']['name']}: ReplicaSets ask for {total} > {replicas} + maxSurge {fp[0]}"]
    return []


def check_consistent(snap: Snapshot, c: Cluster, selectors: Iterable[str] = ()) -> list[str]:
    """What must hold at the end of every instant, whatever happened before:

    - every active pod's and every ReplicaSet's controller owner exists, with that uid;
    - a ReplicaSet's pods carry its pod-template-hash and match its selector;
    - ``status.replicas`` of a ReplicaSet counts its active pods, ``readyReplicas`` the ready
      ones and ``availableReplicas`` those ready for minReadySeconds;
    - ``c.pods(selector=s)`` and ``c.replicasets(selector=s)`` answer what a plain scan with a
      reference matcher finds, for each selector of ``selectors`` (plus every ReplicaSet's
      own selector);
    - no unbound pod waits while a Ready, untainted, schedulable node has room for its requests.

    Returns the problems found (empty when consistent)."""
    problems: list[str] = []
    rs_by_uid = {rs["metadata"]["uid"]: rs for rs in snap.replicasets}
    d_by_uid = {d["metadata"]["uid"]: d for d in snap.deployments}
    for rs in snap.replicasets:
        owner = controller_uid(rs)
        if owner is not None and owner not in d_by_uid:
            problems.append(f"replicaset/{rs['metadata']['name']}: controller {owner} does not exist")
    pods_of: dict[str, list[dict[str, Any]]] = {}
    for p in snap.pods:
        owner = controller_uid(p)
        if owner is None:
            continue
        if owner not in rs_by_uid:
            # A terminating pod may outlive its owner: a Background deletion removes the owner
            # first and the garbage collector then deletes the dependents (upstream too).
            if is_active(p):
                problems.append(f"pod/{p['metadata']['name']}: controller {owner} does not exist")
            continue
        pods_of.setdefault(owner, []).append(p)
    for uid, rs in rs_by_uid.items():
        name = rs["metadata"]["name"]
        match = rs["spec"]["selector"].get("matchLabels", {})
        pods = pods_of.get(uid, [])
        for p in pods:
            labels = p["metadata"].get("labels", {})
            if any(labels.get(k) != v for k, v in match.items()):
                problems.append(f"pod/{p['metadata']['name']}: labels {labels} do not match its owner {name}")
        active = [p for p in pods if is_active(p)]
        low, high = available_bounds(active, rs["spec"].get("minReadySeconds", 0), snap.now)
        status = rs.get("status", {})
        counted = (status.get("replicas", 0), status.get("readyReplicas", 0))
        available = status.get("availableReplicas", 0)
        if status.get("observedGeneration") == rs["metadata"].get("generation") and (
            counted != (len(active), sum(is_ready(p) for p in active)) or not low <= available <= high
        ):
            problems.append(
                f"replicaset/{name}: status (replicas, ready, available) {(*counted, available)}, its pods "
                f"{(len(active), sum(is_ready(p) for p in active))} with {low}..{high} available"
            )
    all_selectors = list(selectors) + [
        ",".join(f"{k}={v}" for k, v in sorted(rs["spec"]["selector"].get("matchLabels", {}).items()))
        for rs in snap.replicasets
    ]
    for sel in dict.fromkeys(all_selectors):
        for kind, objects in (("pods", snap.pods), ("replicasets", snap.replicasets)):
            indexed = sorted((o.namespace, o.name) for o in c.list(kind, sel, namespace=None))
            scanned = sorted(_key(o) for o in objects if reference_matches(sel, o["metadata"].get("labels", {})))
            if indexed != scanned:
                problems.append(f"{kind} selected by {sel!r}: index {indexed}, scan {scanned}")
    problems += _pending_with_room(snap, c)
    return problems


def reference_matches(selector: str, labels: dict[str, str]) -> bool:
    """A plain evaluator for the selector forms the checks use: ``k=v``, ``k!=v``, ``k``, ``!k``,
    ``k in (a,b)``, ``k notin (a,b)``, joined by commas outside parentheses."""
    terms, depth, start = [], 0, 0
    for i, ch in enumerate(selector):
        depth += ch == "("
        depth -= ch == ")"
        if ch == "," and depth == 0:
            terms.append(selector[start:i])
            start = i + 1
    terms.append(selector[start:])
    for term in (t.strip() for t in terms if t.strip()):
        if " notin " in term or " in " in term:
            op = " notin " if " notin " in term else " in "
            key, values = term.split(op)
            allowed = {v.strip() for v in values.strip()[1:-1].split(",")}
            if (op == " in ") != (key.strip() in labels and labels[key.strip()] in allowed):
                return False
        elif "!=" in term:
            key, value = term.split("!=")
            if labels.get(key) == value:
                return False
        elif "=" in term:
            key, value = term.split("=", 1)
            if labels.get(key) != value.lstrip("="):
                return False
        elif term.startswith("!"):
            if term[1:] in labels:
                return False
        elif term not in labels:
            return False
    return True


def _milli_cpu(q: str | int | None) -> int:
    from . import _native

    return 0 if q is None else _native.parse_quantity(str(q))


def _requests(pod: dict[str, Any]) -> tuple[int, int]:
    cpu = mem = 0
    for ctr in pod["spec"].get("containers", []):
        req = ctr.get("resources", {}).get("requests", {})
        cpu += _milli_cpu(req.get("cpu"))
        mem += _milli_cpu(req.get("memory"))
    return cpu, mem


def _pending_with_room(snap: Snapshot, c: Cluster) -> list[str]:
    """upstream: the scheduler retries unschedulable pods when capacity frees up, so no unbound
    pod fits on a Ready, untainted, schedulable node — but for one that failed an attempt in
    the last 10 s, which may be waiting out its back-off (1 s doubling to 10 s; told by its
    FailedScheduling Event, so this check needs Events recorded). A bound pod holds its
    requests until it has finished or is gone (terminating pods included)."""
    held: dict[str, list[int]] = {}
    for p in snap.pods:
        node = p["spec"].get("nodeName")
        if node and p.get("status", {}).get("phase") not in _TERMINAL:
            cpu, mem = _requests(p)
            h = held.setdefault(node, [0, 0, 0])
            h[0], h[1], h[2] = h[0] + cpu, h[1] + mem, h[2] + 1
    room = []
    for n in snap.nodes:
        ready = any(
            cond.get("type") == "Ready" and cond.get("status") == "True" for cond in n["status"].get("conditions", [])
        )
        if not ready or n["spec"].get("unschedulable") or n["spec"].get("taints"):
            continue
        alloc = n["status"]["allocatable"]
        h = held.get(n["metadata"]["name"], [0, 0, 0])
        room.append(
            (
                n["metadata"]["name"],
                _milli_cpu(alloc["cpu"]) - h[0],
                _milli_cpu(alloc["memory"]) - h[1],
                int(alloc["pods"]) - h[2],
            )
        )
    problems = []
    for p in snap.pods:
        if p["spec"].get("nodeName") or not is_active(p):
            continue
        cpu, mem = _requests(p)
        fits = [name for name, c, m, n in room if n >= 1 and (cpu == 0 or c >= cpu) and (mem == 0 or m >= mem)]
        if fits and not _backing_off(c, p, snap.now):
            problems.append(f"pod/{p['metadata']['name']} is Pending (requests cpu {cpu}m) while {fits} have room")
    return problems


def _backing_off(c: Cluster, pod: dict[str, Any], now: _dt.datetime) -> bool:
    # Event times are whole seconds: a failure up to 11 s ago may be within the last 10.
    meta = pod["metadata"]
    handle = c.pod(meta["name"], namespace=meta["namespace"])
    return any(
        e.reason == "FailedScheduling"
        and e.last_timestamp is not None
        and (now - e.last_timestamp).total_seconds() <= 11
        for e in c.events(handle, namespace=meta["namespace"])
    )


def template_without_hash(template: dict[str, Any]) -> dict[str, Any]:
    t = json.loads(json.dumps(template))
    t.get("metadata", {}).get("labels", {}).pop(HASH_LABEL, None)
    return t


def convergence_problems(snap: Snapshot, d: dict[str, Any]) -> list[str]:
    """Why Deployment ``d`` has not (yet) converged: exactly ``spec.replicas`` active pods, all
    Ready, all of the ReplicaSet whose template is the Deployment's; every older ReplicaSet
    scaled to 0; the status saying so."""
    name = d["metadata"]["name"]
    replicas = d["spec"].get("replicas", 1)
    template = template_without_hash(d["spec"]["template"])
    owned = snap.owned(d, snap.replicasets)
    newest = [rs for rs in owned if template_without_hash(rs["spec"]["template"]) == template]
    if len(newest) != 1:
        return [f"deployment/{name}: {len(newest)} ReplicaSets with its template"]
    new = newest[0]
    problems = []
    old = {rs["metadata"]["name"]: rs["spec"].get("replicas", 1) for rs in owned if rs is not new}
    if any(old.values()):
        problems.append(f"deployment/{name}: old ReplicaSets still asked for pods: {old}")
    pods = [p for rs in owned for p in snap.owned(rs, snap.pods) if is_active(p)]
    of_new = [p for p in pods if controller_uid(p) == new["metadata"]["uid"]]
    ready = [p for p in of_new if is_ready(p)]
    if not (len(pods) == len(of_new) == len(ready) == replicas):
        problems.append(
            f"deployment/{name}: {len(pods)} pods, {len(of_new)} of the newest template, {len(ready)} ready; "
            f"want {replicas}"
        )
    status = d.get("status", {})
    counts = {k: status.get(k, 0) for k in ("replicas", "updatedReplicas", "readyReplicas", "availableReplicas")}
    if set(counts.values()) != {replicas}:
        problems.append(f"deployment/{name}: status {counts}, want {replicas} each")
    return problems
