"""`kubectl get`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import _jsonpath
from ..errors import NotFoundError
from . import _fields as fields
from . import watch
from ._base import Fail, Invocation, Out
from ._flags import Args, parse
from ._manifests import documents
from ._printers import output_format, print_objects, sort_key
from ._resources import Kind, kind_of, ns_for, targets

if TYPE_CHECKING:
    from .._cluster import Cluster
    from .._handles import Object

_GET_VALUES = {"--output", "--selector", "--label-columns", "--sort-by", "--filename", "--field-selector"}
_GET_BOOLS = {
    "--show-labels",
    "--all-namespaces",
    "--no-headers",
    "--recursive",
    "--watch",
    "--watch-only",
    "--output-watch-events",
    "--ignore-not-found",
}


def _get(c: Cluster, args: Args, o: Out, stdin: str | None) -> None:
    fmt, arg = output_format(args)
    selector = args.value("--selector") or ""
    all_ns = args.bool("--all-namespaces")
    namespace = args.namespace
    # (kind, namespace, name or None for "every match")
    items: list[tuple[Kind, str, str | None]] = []
    if args.values("--filename"):
        if args.positional:
            raise Fail(
                "error: when paths, URLs, or stdin is provided as input, you may not specify a resource by "
                "argument as well"
            )
        for d, _ in documents(c, args, stdin):
            k = kind_of(d["kind"])
            items.append((k, d.get("metadata", {}).get("namespace") or ns_for(k, namespace), d["metadata"]["name"]))
    else:
        items = [(k, ns_for(k, namespace), n) for k, n in targets(args.positional)]
    items = list(dict.fromkeys(items))  # upstream: `get deploy,deploy` lists once
    if (selector or args.value("--field-selector")) and any(n for _, _, n in items):
        raise Fail("error: name cannot be provided when a selector is specified")
    if all_ns and any(n for _, _, n in items) and not args.values("--filename"):
        raise Fail("error: a resource cannot be retrieved by name across all namespaces")
    if fmt == "name" and args.bool("--show-labels"):
        raise Fail("error: --show-labels option cannot be used with name printer")
    kinds: list[Kind] = list(dict.fromkeys(k for k, _, _ in items))
    single = len(items) == 1 and items[0][2] is not None

    # Objects per kind, in list order (or the order they were named).
    found: dict[Kind, list[Object]] = {k: [] for k in kinds}
    field_selector = args.value("--field-selector") or ""
    for k, ns, n in items:
        if n is None:
            scope = None if all_ns or not k.namespaced else ns
            with fields.refused(k, selector, field_selector):
                found[k] += c.list(k.kind, selector or None, scope, field_selector)
            continue
        try:
            found[k].append(c.get(k.kind, n, ns))
        except NotFoundError as e:
            if not args.bool("--ignore-not-found"):
                o.error(e)
    sort_by = args.value("--sort-by")
    dicts: dict[Kind, list[dict[str, Any]]] = {}
    # -o json and -o yaml are written by the core from the stored objects; the other printers
    # and --sort-by read dicts.
    if sort_by or fmt not in ("", "wide", "json", "yaml"):
        for k in kinds:
            dicts[k] = c._native.get_many(k.kind, [(obj.namespace, obj.name) for obj in found[k]])
            if sort_by:
                dicts[k].sort(key=sort_key(sort_by))

    if sort_by and any(dicts.values()):
        path = sort_by if sort_by.startswith("{") else "{" + sort_by + "}"
        if not any(_jsonpath.evaluate(sort_by, d) for ds in dicts.values() for d in ds):
            raise Fail(f'error: couldn\'t find any field with path "{path}" in the list of objects')
    if not any(found.values()):
        if not o.failed:
            if fmt in ("json", "yaml", "jsonpath", "name", "custom-columns"):
                # upstream: these printers print an empty list (or nothing), not "No resources found".
                o.out(print_objects([], fmt, arg, False))
                return
            scoped = all(k.namespaced for k in kinds) and not all_ns
            if args.bool("--ignore-not-found"):
                return
            o.err(f"No resources found in {namespace} namespace." if scoped else "No resources found")
        return
    if fmt in ("json", "yaml"):
        printed = (
            [(k.kind, d["metadata"].get("namespace", ""), d["metadata"]["name"]) for k in kinds for d in dicts[k]]
            if sort_by
            else [(k.kind, obj.namespace, obj.name) for k in kinds for obj in found[k]]
        )
        o.out(c._native.print_objects(printed, single, fmt))
        return
    if fmt not in ("", "wide"):
        o.out(print_objects([d for k in kinds for d in dicts[k]], fmt, arg, single))
        return
    blocks = []
    for k in kinds:
        if not found[k]:
            continue
        keys = (
            [(d["metadata"].get("namespace", ""), d["metadata"]["name"]) for d in dicts[k]]
            if sort_by
            else [(obj.namespace, obj.name) for obj in found[k]]
        )
        blocks.append(
            c._native.get_table(
                k.kind,
                None if all_ns else namespace,
                [],
                "",
                fmt == "wide",
                args.bool("--show-labels"),
                [key for v in args.values("--label-columns") for key in v.split(",")],
                len(kinds) > 1,
                keys=keys,
                no_headers=args.bool("--no-headers"),
            )
        )
    o.out("\n".join(blocks))


def run(inv: Invocation, o: Out) -> None:
    args = parse("get", inv.argv, _GET_VALUES, _GET_BOOLS)
    if args.bool("--output-watch-events") and not (args.bool("--watch") or args.bool("--watch-only")):
        raise Fail("error: --output-watch-events option can only be used with --watch or --watch-only")
    if args.bool("--watch") or args.bool("--watch-only"):
        watch.run(inv, args, o)
        return
    _get(inv.cluster, args, o, inv.stdin)
