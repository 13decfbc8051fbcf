"""`kubectl drain NODE` (upstream pkg/cmd/drain and pkg/drain): cordon the node, then evict
its pods (kubesim has no PodDisruptionBudgets, so no eviction is refused) and wait, in virtual
time, until they are gone (kubectl-everyday.md §6.2)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .._time import reachable, to_ms
from ._base import Fail, Invocation, Out, usage_error
from ._flags import dry_run_suffix, parse

if TYPE_CHECKING:
    from .._cluster import Cluster

_NO_CONTROLLER = "cannot delete Pods that declare no controller (use --force to override)"
_DAEMONSET = "cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore)"
_LOCAL_STORAGE = "cannot delete Pods with local storage (use --delete-emptydir-data to override)"


def _key(p: dict[str, Any]) -> str:
    return f"{p['metadata'].get('namespace', '')}/{p['metadata']['name']}"


def _filter(
    pods: list[dict[str, Any]], a: Any
) -> tuple[list[dict[str, Any]], dict[str, list[str]], dict[str, list[str]]]:
    """upstream: drain's pod filters — which pods go, which block the drain (errors) and which
    are warned about, each by reason."""
    going: list[dict[str, Any]] = []
    errors: dict[str, list[str]] = {}
    warnings: dict[str, list[str]] = {}
    for p in pods:
        phase = p.get("status", {}).get("phase")
        if p["metadata"].get("annotations", {}).get("kubernetes.io/config.mirror"):
            continue  # mirror pods are the kubelet's; drain skips them
        owners = [r for r in p["metadata"].get("ownerReferences", []) if r.get("controller")]
        finished = phase in ("Succeeded", "Failed")
        if owners and owners[0].get("kind") == "DaemonSet":
            (warnings if a.bool("--ignore-daemonsets") else errors).setdefault(
                "ignoring DaemonSet-managed Pods" if a.bool("--ignore-daemonsets") else _DAEMONSET, []
            ).append(_key(p))
            continue
        if not owners and not finished:
            if not a.bool("--force"):
                errors.setdefault(_NO_CONTROLLER, []).append(_key(p))
                continue
            warnings.setdefault("deleting Pods that declare no controller", []).append(_key(p))
        if any("emptyDir" in v for v in p.get("spec", {}).get("volumes", [])) and not finished:
            if not a.bool("--delete-emptydir-data"):
                errors.setdefault(_LOCAL_STORAGE, []).append(_key(p))
                continue
            warnings.setdefault("deleting Pods with local storage", []).append(_key(p))
        going.append(p)
    return going, errors, warnings


def run(inv: Invocation, o: Out) -> None:
    c = inv.cluster
    a = parse(
        "drain",
        inv.argv,
        {
            "--selector",
            "--pod-selector",
            "--grace-period",
            "--timeout",
            "--dry-run",
            "--skip-wait-for-delete-timeout",
            "--chunk-size",
        },  # fmt: skip
        {"--force", "--ignore-daemonsets", "--delete-emptydir-data", "--disable-eviction", "--delete-local-data"},
    )
    if not a.positional and a.value("--selector") is None:
        raise usage_error("drain", "USAGE: drain NODE [flags]")
    suffix = dry_run_suffix(a)
    grace = a.int("--grace-period", -1)
    names = [n.rpartition("/")[2] for n in a.positional]
    nodes = (
        [c.get("Node", n, "").to_dict() for n in names]
        if names
        else [n.to_dict() for n in c.list("Node", a.value("--selector") or None, None)]
    )
    failed_nodes: list[str] = []
    for node in nodes:
        name = node["metadata"]["name"]
        if node.get("spec", {}).get("unschedulable"):
            o.out(f"node/{name} already cordoned{suffix}\n")
        else:
            if not suffix:
                c.patch("Node", name, {"spec": {"unschedulable": True}}, "")
            o.out(f"node/{name} cordoned{suffix}\n")
        listed = (p.to_dict() for p in c.list("Pod", a.value("--pod-selector") or None, None))
        pods = [p for p in listed if p.get("spec", {}).get("nodeName") == name]
        going, errors, warnings = _filter(pods, a)
        if errors:
            parts = [f"cannot delete {reason}: {', '.join(sorted(keys))}" for reason, keys in errors.items()]
            joined = parts[0] if len(parts) == 1 else "[" + ", ".join(parts) + "]"
            # upstream: "cannot delete" really appears twice
            o.err(f'error: unable to drain node "{name}" due to error: {joined}, continuing command...')
            failed_nodes.append(name)
            o.failed = True
            trailer = "\n".join(parts)
            o.err(f"There are pending nodes to be drained:\n {name}\n{trailer}")
            continue
        if warnings:
            o.err("Warning: " + "; ".join(f"{r}: {', '.join(sorted(k))}" for r, k in warnings.items()))
        _evict(c, o, a, going, suffix, grace)
        o.out(f"node/{name} drained{suffix}\n")


def _evict(c: Cluster, o: Out, a: Any, pods: list[dict[str, Any]], suffix: str, grace: int) -> None:
    """Evict (or with --disable-eviction delete) each pod, then wait until they are gone,
    printing each as it disappears."""
    pods = sorted(pods, key=_key)
    evict = not a.bool("--disable-eviction")
    for p in pods:
        ns, n = p["metadata"].get("namespace", ""), p["metadata"]["name"]
        if evict:
            o.out(f"evicting pod {ns}/{n}{suffix}\n")
        if not suffix:
            c.delete("Pod", n, ns, grace_period=None if grace < 0 else grace)
    if suffix:
        return
    waiting = {(p["metadata"].get("namespace", ""), p["metadata"]["name"]) for p in pods}
    timeout = a.value("--timeout")
    end = None if timeout in (None, "0", "0s") else c._native.now_ms + to_ms(timeout)

    def report() -> None:
        for ns, n in sorted(waiting):
            if not c._exists("Pod", ns, n):
                waiting.discard((ns, n))
                o.out(f"pod/{n} {'evicted' if evict else 'deleted'}\n")

    report()
    with c._waiting("drain", end, None):
        while waiting:
            nxt = reachable(c._native.next_event_ms)
            if nxt is None or (end is not None and nxt > end):
                break
            c._run_to(nxt)
            report()
    if waiting:
        left = ", ".join(f"{ns}/{n}" for ns, n in sorted(waiting))
        raise Fail(f"error: drain did not complete within {timeout}: pods still terminating: {left}")
