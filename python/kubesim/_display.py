"""Rich (HTML) display for notebooks: clusters, Deployments, object lists, kubectl output.
The tables are kubectl's own: its column layout is parsed back into HTML cells."""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._cluster import Cluster
    from ._handles import Deployment, Object

__all__ = ["cluster_html", "deployment_html", "kubectl_table_html", "objects_html", "rows_html"]

_STYLE = "border-collapse:collapse;font-family:monospace;font-size:12px"


def _esc(v: object) -> str:
    return html.escape(str(v))


def rows_html(rows: Iterable[dict[str, Any]], columns: Sequence[str]) -> str:
    head = "".join(f"<th>{_esc(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{_esc(r.get(c, ''))}</td>" for c in columns) + "</tr>" for r in rows)
    return f'<table style="{_STYLE}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def kubectl_table_html(text: str) -> str:
    """A `kubectl get` table as HTML: columns start where the header's names start (kubectl's
    tab writer pads every cell, so no cell runs into the next column)."""
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return "<p><i>No resources found.</i></p>"
    header = lines[0]
    starts = [i for i, ch in enumerate(header) if ch != " " and (i == 0 or header[i - 1] == " ")]
    # A header such as "NOMINATED NODE" is one column: its words are one space apart.
    starts = [s for s in starts if s == 0 or header[s - 2 : s] == "  "]
    bounds = list(zip(starts, starts[1:] + [None], strict=True))
    cells = [[line[a:b].strip() for a, b in bounds] for line in lines]
    head = "".join(f"<th>{_esc(c)}</th>" for c in cells[0])
    body = "".join("<tr>" + "".join(f"<td>{_esc(c)}</td>" for c in row) + "</tr>" for row in cells[1:])
    return f'<table style="{_STYLE}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def objects_html(objects: list[Object]) -> str:
    """One kubectl table per kind (and namespace) of the objects, in their order."""
    if not objects:
        return "<p><i>No resources found.</i></p>"
    groups: dict[tuple[str, str], list[str]] = {}
    for o in objects:
        groups.setdefault((o.kind, o.namespace), []).append(o.name)
    native = objects[0]._cluster._native
    parts = []
    for (kind, ns), names in groups.items():
        table = native.get_table(kind, ns or None, names, "", False, False, [], len(groups) > 1)
        parts.append(kubectl_table_html(table))
    return "".join(parts)


def _conditions_html(conditions: list[dict[str, Any]]) -> str:
    if not conditions:
        return ""
    return rows_html(conditions, ["type", "status", "reason", "message"])


def deployment_html(d: Deployment) -> str:
    obj = d.to_dict()
    spec, status = obj.get("spec", {}), obj.get("status", {})
    strategy = spec.get("strategy", {})
    kind = strategy.get("type", "RollingUpdate")
    if kind == "RollingUpdate":
        ru = strategy.get("rollingUpdate", {})
        kind += f" (maxSurge {ru.get('maxSurge', '25%')}, maxUnavailable {ru.get('maxUnavailable', '25%')})"
    containers = obj["spec"]["template"]["spec"]["containers"]
    images = ", ".join(f"{c['name']}={c.get('image', '')}" for c in containers)
    counts = (
        f"{spec.get('replicas', 1)} desired | {status.get('updatedReplicas', 0)} updated | "
        f"{status.get('replicas', 0)} total | {status.get('availableReplicas', 0)} available | "
        f"{status.get('unavailableReplicas', 0)} unavailable"
    )
    from ._rollout import status_message

    message = status_message(obj)[0]
    revision = d.annotations.get("deployment.kubernetes.io/revision", "")
    rs_names = [rs.name for rs in d.replicasets()]
    rs_table = ""
    if rs_names:
        rs_table = kubectl_table_html(
            d._cluster._native.get_table("replicasets", d.namespace, rs_names, "", True, False, [], False)
        )
    paused = " <b>(paused)</b>" if spec.get("paused") else ""
    return (
        f"<div><b>deployment.apps/{_esc(d.name)}</b> <span>namespace {_esc(d.namespace)}, "
        f"revision {_esc(revision)}</span>{paused}<br>"
        f"<span>Replicas: {_esc(counts)}</span><br><span>Strategy: {_esc(kind)}</span><br>"
        f"<span>Images: {_esc(images)}</span><br><span><i>{_esc(message)}</i></span>"
        f"<p><b>Conditions</b></p>{_conditions_html(status.get('conditions', []))}"
        f"<p><b>ReplicaSets</b></p>{rs_table}</div>"
    )


def cluster_html(c: Cluster) -> str:
    native = c._native
    stats = c.stats()
    summary = (
        f"seed {c.seed}, virtual time {c.now.isoformat()} ({c.elapsed:g} s elapsed), "
        f"{stats.get('pods', 0)} pods ({stats.get('pods_ready', 0)} ready), "
        f"{'recording a timeline' if c.recording else 'not recording'}"
    )
    nodes = native.get_table("nodes", None, [], "", False, False, [], False)
    parts = [f"<div><b>{_esc(repr(c))}</b><br><span>{_esc(summary)}</span>", "<p><b>Nodes</b></p>"]
    parts.append(kubectl_table_html(nodes))
    for kind, title in (("deployments", "Deployments"), ("replicasets", "ReplicaSets"), ("hpa", "Autoscalers")):
        table = native.get_table(kind, None, [], "", False, False, [], False)
        if table:
            parts.append(f"<p><b>{title}</b></p>{kubectl_table_html(table)}")
    parts.append("</div>")
    return "".join(parts)
