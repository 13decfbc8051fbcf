"""`kubectl describe`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import NotFoundError
from ._base import Fail, Invocation, Out
from ._flags import Args, parse
from ._resources import ns_for, targets

if TYPE_CHECKING:
    from .._cluster import Cluster


def _describe(c: Cluster, args: Args, o: Out) -> None:
    if not args.positional:
        raise Fail(
            "error: You must specify the type of resource to describe. "
            'Use "kubectl api-resources" for a complete list of supported resources.'
        )
    ns = args.namespace
    selector = args.value("--selector") or ""
    all_ns = args.bool("--all-namespaces")
    wanted = targets(args.positional, "describe")
    if selector and any(name for _, name in wanted):
        raise Fail("error: name cannot be provided when a selector is specified")
    if all_ns and any(name for _, name in wanted):
        raise Fail("error: a resource cannot be retrieved by name across all namespaces")
    parts: list[str] = []
    for kind, name in wanted:
        if name is None:
            found = c._native.list_names(kind.kind, None if all_ns else ns_for(kind, ns), selector)
            parts += [c._native.describe(kind.kind, o_ns, o_name) for o_ns, o_name in found]
            continue
        try:
            parts.append(c._native.describe(kind.kind, ns_for(kind, ns), name))
        except NotFoundError as e:
            if len(args.positional) != 2 or "/" in args.positional[0]:
                o.error(e)
                continue
            # upstream DescribeMatchingResources: `describe TYPE NAME` with no object NAME
            # describes every object whose name starts with NAME, each followed by "\n".
            names = [n for _, n in c._native.list_names(kind.kind, ns_for(kind, ns), "") if n.startswith(name)]
            if not names:
                raise
            o.out("".join(c._native.describe(kind.kind, ns_for(kind, ns), n) + "\n" for n in names))
            return
    if not parts and not o.failed:
        o.err("No resources found" if all_ns else f"No resources found in {ns} namespace.")
        return
    # upstream prints "\n\n" before every description but the first.
    o.out("\n\n".join(parts))


def run(inv: Invocation, o: Out) -> None:
    _describe(inv.cluster, parse("describe", inv.argv, {"--selector"}, {"--all-namespaces"}), o)
