"""`kubectl drain NODE` (upstream pkg/cmd/drain and pkg/drain): cordon the node, then evict
its pods through the Eviction API, retrying every 5 s while a PodDisruptionBudget refuses, and
wait, in virtual time, until they are gone (kubectl-everyday.md §6.2, workloads.md §2.3)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .._time import to_ms
from ..errors import KubesimError
from ._base import Invocation, Out, usage_error
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


def _pods_on(c: Cluster, a: Any, node: str) -> list[dict[str, Any]]:
    """upstream: GetPodsForDeletion's list — the pods bound to the node (all namespaces)."""
    listed = (p.to_dict() for p in c.list("Pod", a.value("--pod-selector") or None, None))
    return [p for p in listed if p.get("spec", {}).get("nodeName") == node]


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
        going, errors, warnings = _filter(_pods_on(c, a, name), a)
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
        failures = _evict(c, o, a, going, suffix, grace)
        if failures:
            # upstream: deleteOrEvictPodsSimple lists what is left, then RunDrain reports the node.
            err = failures[0] if len(failures) == 1 else "[" + ", ".join(failures) + "]"
            left = [p["metadata"]["name"] for p in _pods_on(c, a, name) if _filter([p], a)[0]]
            if left:
                o.err(f'There are pending pods in node "{name}" when an error occurred: {err}')
                for n in left:
                    o.err(f"pod/{n}")
            o.err(f'error: unable to drain node "{name}" due to error: {err}, continuing command...')
            trailer = "\n".join(failures)  # as for the filters' errors above: one line each
            o.err(f"There are pending nodes to be drained:\n {name}\n{trailer}")
            o.failed = True
            continue
        o.out(f"node/{name} drained{suffix}\n")


def _go_duration(ms: int) -> str:
    """Go's time.Duration.String() of a whole number of milliseconds (``30s``, ``1m0s``, ``1.5s``)."""
    if ms == 0:
        return "0s"
    if ms < 1000:
        return f"{ms}ms"
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    sec, milli = divmod(rest, 1000)
    seconds = f"{sec}.{milli:03d}".rstrip("0") if milli else str(sec)
    if h:
        return f"{h}h{m}m{seconds}s"
    if m:
        return f"{m}m{seconds}s"
    return f"{seconds}s"


# upstream: pkg/drain — a refused eviction is retried after 5 s; deletions are polled every 1 s.
_RETRY_MS = 5_000
_POLL_MS = 1_000


def _evict(c: Cluster, o: Out, a: Any, pods: list[dict[str, Any]], suffix: str, grace: int) -> list[str]:
    """Evict (or with --disable-eviction delete) each pod, then wait until they are gone, in
    virtual time, as kubectl's drain helper does (upstream evictPods / deletePods): a refused
    eviction (429) is printed and retried every 5 s; a pod is polled every second from its
    eviction until it is gone (``pod/<p> evicted``); the global ``--timeout`` ends both.
    Returns the errors, in pod order."""
    from ..errors import NotFoundError, TooManyRequestsError

    pods = sorted(pods, key=_key)
    evict = not a.bool("--disable-eviction")
    grace_period = None if grace < 0 else grace
    if suffix:
        # upstream: a client dry run lists the pods as evictions, whatever --disable-eviction says.
        for p in pods:
            o.out(f"evicting pod {_key(p)}{suffix}\n")
        return []
    timeout = to_ms(a.value("--timeout") or "0")
    start = c._native.now_ms
    end = None if timeout <= 0 else start + timeout
    verb = "evicted" if evict else "deleted"
    # Per pod: (namespace, name, uid) and what it waits for next — ("evict", at) or ("poll", at).
    state: dict[tuple[str, str], tuple[str, int]] = {}
    uids: dict[tuple[str, str], str] = {}
    errors: dict[tuple[str, str], str] = {}
    for p in pods:
        key = (p["metadata"].get("namespace", ""), p["metadata"]["name"])
        uids[key] = p["metadata"].get("uid", "")
        state[key] = ("evict", start)
    if not evict:
        # upstream: deletePods deletes every pod first, then waits for them all.
        for ns, n in state:
            try:
                c.delete("Pod", n, ns, grace_period=grace_period)
            except NotFoundError:
                pass
            state[(ns, n)] = ("poll", start)

    def gone(ns: str, n: str) -> bool:
        if not c._exists("Pod", ns, n):
            return True
        return str(c.get("Pod", n, ns).uid) != uids[(ns, n)]

    def step(now: int) -> None:
        for (ns, n), (what, at) in sorted(state.items()):
            if at != now:
                continue
            if what == "evict":
                o.out(f"evicting pod {ns}/{n}\n")
                if end is not None and now >= end:
                    errors[(ns, n)] = (
                        f'error when evicting pods/"{n}" -n "{ns}": global timeout reached: {_go_duration(timeout)}'
                    )
                    del state[(ns, n)]
                    continue
                try:
                    c.evict(n, ns, grace_period=grace_period)
                except NotFoundError:
                    del state[(ns, n)]  # upstream: a pod already gone is done, silently
                    continue
                except TooManyRequestsError as e:
                    o.err(f'error when evicting pods/"{n}" -n "{ns}" (will retry after 5s): {e.message}')
                    state[(ns, n)] = ("evict", now + _RETRY_MS)
                    continue
                except KubesimError as e:
                    errors[(ns, n)] = f'error when evicting pods/"{n}" -n "{ns}": {e.message}'
                    del state[(ns, n)]
                    continue
            # upstream: waitForDelete polls at once, then every second, until the pod is gone or
            # replaced (another uid), or the global timeout has passed.
            if gone(ns, n):
                o.out(f"pod/{n} {verb}\n")
                del state[(ns, n)]
            elif end is not None and now >= end:
                why = f"global timeout reached: {_go_duration(timeout)}"
                if evict:
                    errors[(ns, n)] = f'error when waiting for pod "{n}" in namespace "{ns}" to terminate: {why}'
                else:
                    errors[(ns, n)] = why
                del state[(ns, n)]
            else:
                state[(ns, n)] = ("poll", now + _POLL_MS)

    step(start)
    with c._waiting("drain", end, None):
        while state:
            nxt = min(at for _, at in state.values())
            if nxt > c._native.now_ms:
                c._run_to(nxt)
            step(nxt)
    return [errors[k] for k in sorted(errors)]
