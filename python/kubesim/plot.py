"""Plots of a recorded timeline (matplotlib; ``pip install 'kubesim[notebook]'``).

Record first (``c.record()``), run the experiment, then plot::

    c.record(every="1s")
    d.set_image(nginx="nginx:1.9.1"); d.rollout.status()
    kubesim.plot.rollout(c, "nginx-deployment")

Every function draws on a new figure unless given ``ax`` (or ``fig``), returns what it drew on,
and works headless (any matplotlib backend, including Agg). Over an empty recording, or one that
covers no virtual time yet, a function warns and draws nothing (it returns None) rather than
show a blank axis.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

from ._optional import require

if TYPE_CHECKING:
    from ._cluster import Cluster
    from ._timeline import Timeline

__all__ = ["POD_STATE_COLORS", "autoscaling", "pods", "rollout"]

# Pod states as the Gantt chart colours them (kubectl's STATUS, with Ready for running and ready).
POD_STATE_COLORS: dict[str, str] = {
    "Pending": "#bdbdbd",
    "ContainerCreating": "#9ecae1",
    "Running": "#4292c6",
    "Ready": "#41ab5d",
    "Terminating": "#fd8d3c",
    "CrashLoopBackOff": "#cb181d",
    "Error": "#a50f15",
    "OOMKilled": "#67000d",
    "ErrImagePull": "#807dba",
    "ImagePullBackOff": "#54278f",
    "Completed": "#737373",
}
_OTHER_STATE = "#fdd0a2"


def _pyplot() -> Any:
    return require("matplotlib.pyplot", "kubesim.plot")


def _axes(ax: Any, figsize: tuple[float, float]) -> tuple[Any, Any]:
    if ax is not None:
        return ax.figure, ax
    fig, ax = _pyplot().subplots(figsize=figsize, layout="constrained")
    return fig, ax


def _steps(points: list[tuple[float, Any]], end: float) -> tuple[list[float], list[float]]:
    """A step function's x and y, held to ``end``; None (deleted) becomes a gap."""
    xs: list[float] = []
    ys: list[float] = []
    for t, v in points:
        xs.append(t)
        ys.append(float("nan") if v is None else float(v))
    if xs and xs[-1] < end:
        xs.append(end)
        ys.append(ys[-1])
    return xs, ys


def _band(lower: list[tuple[float, float]], upper: list[tuple[float, float]], end: float) -> tuple[list[float], ...]:
    """Merge two step functions onto one set of times."""
    times = sorted({t for t, _ in lower} | {t for t, _ in upper} | {end})

    def at(points: list[tuple[float, float]], t: float) -> float:
        v = float("nan")
        for pt, pv in points:
            if pt > t:
                break
            v = pv
        return v

    return times, [at(lower, t) for t in times], [at(upper, t) for t in times]


def _timeline(c: Cluster) -> Timeline:
    # Without matplotlib, say which extra brings it before looking at the recording.
    _pyplot()
    return c.timeline()


def _nothing_to_plot(tl: Timeline, what: str, since: float | None = None) -> bool:
    """Warn (and say so) when the recording has nothing to draw for ``what``: no rows, or no
    virtual time between its first value (``since``) and the end of the recording."""
    if not len(tl):
        reason = "the recording is empty"
    elif since is not None and tl.end <= since:
        reason = f"the recording covers no virtual time after t={since:g}s yet (advance time first)"
    else:
        return False
    warnings.warn(f"nothing to plot for {what}: {reason}", stacklevel=3)
    return True


def rollout(c: Cluster, name: str, namespace: str = "default", ax: Any = None) -> Any:
    """Pods per ReplicaSet of a Deployment over virtual time, with the Deployment's desired,
    available and total pod counts, and the band RollingUpdate keeps them in: total pods at most
    desired + maxSurge, available pods at least desired − maxUnavailable. Returns the Axes."""
    tl = _timeline(c)
    if _nothing_to_plot(tl, f"deployment/{name}"):
        return None
    end = tl.end
    rs_names = [
        rs
        for rs in tl.names("ReplicaSet", namespace)
        if any(v == name for _, v in tl.series("ReplicaSet", rs, "owner", namespace))
    ]
    desired = [(t, v) for t, v in tl.series("Deployment", name, "desired", namespace) if v is not None]
    if not desired:
        from .errors import InvalidArgumentError

        raise InvalidArgumentError(f'no recorded Deployment "{name}" in namespace "{namespace}": was c.record() on?')
    if _nothing_to_plot(tl, f"deployment/{name}", since=desired[0][0]):
        return None
    fig, ax = _axes(ax, (8, 4.5))
    surge = dict(tl.series("Deployment", name, "max_surge", namespace))
    unavailable = dict(tl.series("Deployment", name, "max_unavailable", namespace))
    strategy = tl.value("Deployment", name, "strategy", namespace=namespace)
    if strategy == "RollingUpdate":
        upper: list[tuple[float, float]] = []
        lower: list[tuple[float, float]] = []
        s = u = 0
        changes = sorted({t for t, _ in desired} | set(surge) | set(unavailable))
        d_at = dict(desired)
        cur_d = 0
        for t in changes:
            cur_d = d_at.get(t, cur_d)
            s = surge.get(t, s)
            u = unavailable.get(t, u)
            upper.append((t, cur_d + s))
            lower.append((t, max(cur_d - u, 0)))
        xs, lo, hi = _band(lower, upper, end)
        ax.fill_between(
            xs,
            lo,
            hi,
            step="post",
            alpha=0.15,
            color="tab:gray",
            label="bounds (desired − maxUnavailable … + maxSurge)",
        )
    for rs in rs_names:
        image = tl.value("ReplicaSet", rs, "image", namespace=namespace) or ""
        revision = tl.value("ReplicaSet", rs, "revision", namespace=namespace)
        xs, ys = _steps(tl.series("ReplicaSet", rs, "current", namespace), end)
        ax.plot(xs, ys, drawstyle="steps-post", linewidth=1.8, label=f"rev {revision}: {rs} ({image})")
    for field, style in (
        ("desired", dict(color="black", linestyle="--", linewidth=1.2)),
        ("current", dict(color="tab:gray", linestyle=":", linewidth=1.5)),
        ("available", dict(color="black", linewidth=2.2)),
    ):
        xs, ys = _steps(tl.series("Deployment", name, field, namespace), end)
        label = {"current": "total pods"}.get(field, field)
        ax.plot(xs, ys, drawstyle="steps-post", label=label, **style)
    ax.set_xlabel("virtual time (s)")
    ax.set_ylabel("pods")
    ax.set_title(f"Rollout of deployment/{name}" + (f" ({strategy})" if strategy else ""))
    ax.set_ylim(bottom=0)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize="small")
    ax.grid(alpha=0.3)
    return ax


def autoscaling(c: Cluster, name: str, namespace: str = "default", metric: str = "cpu", fig: Any = None) -> Any:
    """An autoscaled Deployment (or the HPA named ``name``): the HPA's current utilization
    against its target (top) and the replica counts — HPA desired, Deployment desired and
    available, min/max (bottom). Returns the Figure."""
    tl = _timeline(c)
    if _nothing_to_plot(tl, f"the autoscaling of {name}"):
        return None
    end = tl.end
    hpa = next(
        (
            h
            for h in tl.names("HorizontalPodAutoscaler", namespace)
            if h == name
            or tl.value("HorizontalPodAutoscaler", h, "target", namespace=namespace) == f"Deployment/{name}"
        ),
        None,
    )
    if hpa is None:
        from .errors import InvalidArgumentError

        raise InvalidArgumentError(f'no recorded HorizontalPodAutoscaler for "{name}": was c.record() on?')
    first = tl.series("HorizontalPodAutoscaler", hpa, "target", namespace)
    if _nothing_to_plot(tl, f"horizontalpodautoscaler/{hpa}", since=first[0][0] if first else None):
        return None
    target = tl.value("HorizontalPodAutoscaler", hpa, "target", namespace=namespace) or ""
    deployment = target.split("/", 1)[1] if target.startswith("Deployment/") else name
    if fig is None:
        fig = _pyplot().figure(figsize=(8, 6), layout="constrained")
    util_ax, rep_ax = fig.subplots(2, 1, sharex=True)
    series: list[tuple[str, dict[str, Any], str]] = [
        (f"{metric}_utilization", dict(color="tab:blue", linewidth=2), f"{metric} utilization (%)"),
        (f"{metric}_target_utilization", dict(color="tab:red", linestyle="--"), "target (%)"),
    ]
    for field, style, label in series:
        xs, ys = _steps(tl.series("HorizontalPodAutoscaler", hpa, field, namespace), end)
        util_ax.plot(xs, ys, drawstyle="steps-post", label=label, **style)
    util_ax.set_ylabel("utilization (% of request)")
    util_ax.set_ylim(bottom=0)
    util_ax.legend(loc="best", fontsize="small")
    util_ax.grid(alpha=0.3)
    util_ax.set_title(f"Autoscaling of {target or name} by horizontalpodautoscaler/{hpa}")
    replicas: list[tuple[str, str, str, dict[str, Any], str]] = [
        ("HorizontalPodAutoscaler", hpa, "desired", dict(color="tab:purple", linewidth=2), "HPA desired"),
        ("Deployment", deployment, "desired", dict(color="black", linestyle="--"), "deployment desired"),
        ("Deployment", deployment, "available", dict(color="tab:green", linewidth=1.5), "available"),
        ("HorizontalPodAutoscaler", hpa, "min", dict(color="tab:gray", linestyle=":"), "min"),
        ("HorizontalPodAutoscaler", hpa, "max", dict(color="tab:gray", linestyle="-."), "max"),
    ]
    for kind, obj, field, style, label in replicas:
        xs, ys = _steps(tl.series(kind, obj, field, namespace), end)
        rep_ax.plot(xs, ys, drawstyle="steps-post", label=label, **style)
    rep_ax.set_ylabel("replicas")
    rep_ax.set_xlabel("virtual time (s)")
    rep_ax.set_ylim(bottom=0)
    rep_ax.legend(loc="best", fontsize="small")
    rep_ax.grid(alpha=0.3)
    return fig


def pods(c: Cluster, namespace: str = "default", owner: str | None = None, ax: Any = None, limit: int = 200) -> Any:
    """A Gantt chart of pod lifetimes coloured by state (Pending, ContainerCreating, Running,
    Ready, Terminating, CrashLoopBackOff, …), one row per pod in order of creation; ``owner``
    keeps the pods of one ReplicaSet, or of a Deployment's ReplicaSets. At most ``limit`` pods
    (the first created). Returns the Axes."""
    tl = _timeline(c)
    end = tl.end
    names = tl.names("Pod", namespace)
    if not names:
        what = "pods" + (f" of {owner}" if owner else "")
        warnings.warn(
            f"nothing to plot for {what}: no pod states were recorded (a cluster records them after "
            "c.record(every=0, pods=True))",
            stacklevel=2,
        )
        return None
    if owner is not None:
        owners = {owner} | {
            rs
            for rs in tl.names("ReplicaSet", namespace)
            if tl.value("ReplicaSet", rs, "owner", namespace=namespace) == owner
        }
        names = [p for p in names if tl.value("Pod", p, "owner", namespace=namespace) in owners]
    names = names[:limit]
    segments: dict[str, list[tuple[float, float]]] = {}
    rows: dict[str, list[int]] = {}
    for i, pod in enumerate(names):
        points = tl.series("Pod", pod, "state", namespace)
        for (t, state), nxt in zip(points, [*points[1:], (end, None)], strict=True):
            if state is None or nxt[0] <= t:
                continue
            segments.setdefault(state, []).append((t, max(nxt[0] - t, 0.0)))
            rows.setdefault(state, []).append(i)
    fig, ax = _axes(ax, (9, max(2.5, 0.22 * len(names) + 1.2)))
    for state in sorted(segments, key=lambda s: list(POD_STATE_COLORS).index(s) if s in POD_STATE_COLORS else 99):
        color = POD_STATE_COLORS.get(state, _OTHER_STATE)
        bars = segments[state]
        ax.barh(
            rows[state],
            [w for _, w in bars],
            left=[s for s, _ in bars],
            height=0.8,
            color=color,
            label=state,
            align="center",
        )
    ax.set_yticks(range(len(names)))
    ax.set_yticklabels(names, fontsize="x-small")
    ax.set_ylim(len(names) - 0.5, -0.5)
    ax.set_xlabel("virtual time (s)")
    ax.set_title("Pods over time" + (f" ({owner})" if owner else ""))
    if segments:
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize="small", title="state")
    ax.grid(axis="x", alpha=0.3)
    return ax
