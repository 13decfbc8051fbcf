"""`kubectl top pods|nodes`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._base import Fail, Invocation, Out
from ._flags import parse

if TYPE_CHECKING:
    from .._cluster import Cluster


def _top(c: Cluster, rest: list[str], o: Out) -> None:
    if not rest or rest[0].startswith("-"):
        raise Fail("error: you must specify a resource type to top: pod or node")
    what, rest = rest[0], rest[1:]
    kind = {"pod": "pods", "pods": "pods", "po": "pods", "node": "nodes", "nodes": "nodes", "no": "nodes"}.get(what)
    if kind is None:
        raise Fail(f'error: unknown command "{what}" for "kubectl top"')
    a = parse(f"top {what}", rest, {"--selector", "--sort-by"}, {"--all-namespaces", "--no-headers"})
    if len(a.positional) > 1:
        raise Fail(f"error: unexpected arguments: {a.positional[1:]}")
    all_ns = kind == "pods" and a.bool("--all-namespaces")
    table = c._native.top_table(
        kind,
        None if all_ns else a.namespace,
        a.value("--selector") or "",
        a.value("--sort-by"),
        a.positional[0] if a.positional else None,
        a.bool("--no-headers"),
    )
    if not table:
        o.err("No resources found" if all_ns else f"No resources found in {a.namespace} namespace.")
        return
    o.out(table)


def run(inv: Invocation, o: Out) -> None:
    _top(inv.cluster, inv.path[1:] + inv.argv, o)
