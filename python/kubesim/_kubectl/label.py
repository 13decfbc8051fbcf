"""`kubectl label` and `kubectl annotate`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import _native
from ..errors import KubesimError
from ._base import Fail, Invocation, Out
from ._flags import Args, dry_run_suffix, parse
from ._manifests import documents
from ._printers import OBJECT_FORMATS, output_format, print_objects
from ._resources import Kind, kind_of, ns_for, targets

if TYPE_CHECKING:
    from .._cluster import Cluster


def _label(c: Cluster, args: Args, o: Out, stdin: str | None, field_name: str) -> None:
    """`kubectl label|annotate TYPE NAME k=v k2- [--overwrite]`, or on files with `--local`."""
    fmt, arg = output_format(args, OBJECT_FORMATS)
    what = "a label" if field_name == "labels" else "an annotation"
    both = f"error: can not both modify and remove {what} in the same command"
    changes: dict[str, str | None] = {}
    rest = []
    for p in args.positional:
        if p.endswith("-") and "=" not in p:
            if changes.get(p[:-1]) is not None:
                raise Fail(both)
            changes[p[:-1]] = None
        elif "=" in p:
            key, _, v = p.partition("=")
            if key in changes and changes[key] is None:
                raise Fail(both)
            if field_name == "labels":
                # upstream: kubectl label checks values before sending anything.
                errors = _native.label_value_errors(v)
                if errors:
                    raise Fail(f'error: invalid label value: "{p}": {";".join(errors)}')
            changes[key] = v
        else:
            rest.append(p)
    if not changes:
        raise Fail(f"error: at least one {'label' if field_name == 'labels' else 'annotation'} update is required")
    overwrite = args.bool("--overwrite")
    local = args.bool("--local")
    # upstream: ` (dry run)` / ` (server dry run)` after each object's line
    suffix = dry_run_suffix(args)
    objects: list[tuple[dict[str, Any], Kind]] = []
    if args.values("--filename"):
        if rest:
            raise Fail(
                "error: when paths, URLs, or stdin is provided as input, you may not specify a resource "
                "by argument as well"
            )
        for d, _ in documents(c, args, stdin):
            objects.append(
                (
                    d
                    if local
                    else c.get(
                        d["kind"], d["metadata"]["name"], d.get("metadata", {}).get("namespace") or args.namespace
                    ).to_dict(),
                    kind_of(d["kind"]),
                )
            )
    elif local:
        raise Fail("error: --local requires -f (the objects to change are read from files)")
    else:
        selector = args.value("--selector")
        for k, n in targets(rest, field_name[:-1]):
            if n is not None and (selector is not None or args.bool("--all")):
                raise Fail("error: name cannot be provided when a selector is specified")
            if n is not None:
                objects.append((c.get(k.kind, n, ns_for(k, args.namespace)).to_dict(), k))
            elif selector is not None or args.bool("--all"):
                objects += [
                    (obj.to_dict(), k) for obj in c.list(k.kind, selector or None, ns_for(k, args.namespace) or None)
                ]
            else:
                raise Fail("error: resource(s) were provided, but no name was specified")
    printed = False
    for d, k in objects:
        current = d.get("metadata", {}).get(field_name) or {}
        if not overwrite:
            for key, value in changes.items():
                if value is not None and key in current and current[key] != value:
                    raise Fail(f"error: '{key}' already has a value ({current[key]}), and --overwrite is false")
        updated = dict(current)
        for key, value in changes.items():
            if value is None:
                updated.pop(key, None)
            else:
                updated[key] = value
        name = d["metadata"]["name"]
        changed = updated != current
        if field_name == "labels":
            for key, value in changes.items():
                if value is None and key not in current:
                    o.out(f'label "{key}" not found.\n')  # upstream: on stdout, before the object's line
        if local:
            d.setdefault("metadata", {})[field_name] = updated
            if fmt:
                # upstream: each object printed on its own; YAML documents separated by `---`.
                o.out(("---\n" if fmt == "yaml" and printed else "") + print_objects([d], fmt, arg, True))
                printed = True
            else:
                o.out(f"{k.singular}/{name} {_changed_word(field_name, changes, changed)}\n")
            continue
        patch = {"metadata": {field_name: {key: updated.get(key) for key in changes}}}
        if changed and suffix:
            d.setdefault("metadata", {})[field_name] = updated  # a dry run shows the result, stores nothing
        elif changed:
            try:
                obj = c.patch(k.kind, name, patch, d["metadata"].get("namespace", ""))
            except KubesimError as e:
                o.error(e)
                continue
            d = obj.to_dict()
        if fmt:
            o.out(print_objects([d], fmt, arg, True))
        else:
            o.out(f"{k.singular}/{name} {_changed_word(field_name, changes, changed)}{suffix}\n")


def _changed_word(field_name: str, changes: dict[str, str | None], changed: bool) -> str:
    """upstream: label says "not labeled" when nothing changed and "unlabeled" when it only
    removed; annotate always says "annotated"."""
    if field_name != "labels":
        return "annotated"
    if not changed:
        return "not labeled"
    return "unlabeled" if all(v is None for v in changes.values()) else "labeled"


def run(inv: Invocation, o: Out) -> None:
    verb = inv.path[0]
    args = parse(
        verb,
        inv.argv,
        {"--filename", "--selector", "--output", "--dry-run"},
        {"--overwrite", "--local", "--all", "--recursive"},
    )
    _label(inv.cluster, args, o, inv.stdin, "labels" if verb == "label" else "annotations")
