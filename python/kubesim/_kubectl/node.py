"""`kubectl cordon`, `uncordon` and `taint` (upstream pkg/cmd/drain's cordon helper and
pkg/cmd/taint): they patch a Node's `spec.unschedulable` and `spec.taints`, which the
scheduler reads (kubectl-everyday.md §6.1, §6.3)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import _native
from ..errors import KubesimError
from ._base import Fail, Invocation, Out, usage_error
from ._flags import Args, dry_run, dry_run_suffix, parse
from ._printers import output_format
from ._resources import kind_of

if TYPE_CHECKING:
    from .._cluster import Cluster

_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")


def _nodes(c: Cluster, a: Args, names: list[str]) -> list[dict[str, Any]]:
    """The nodes named (`n1`, `node/n1`) or selected (`-l`, `--all`), in that order."""
    selector = a.value("--selector")
    if names:
        out = []
        for n in names:
            kind, slash, name = n.rpartition("/")
            if slash and kind_of(kind).kind != "Node":
                raise Fail(f"error: invalid resource type {kind_of(kind).plural}, only node types are supported")
            out.append(c.get("Node", name, "").to_dict())
        return out
    return [n.to_dict() for n in c.list("Node", selector or None, None)]


def _cordon(inv: Invocation, o: Out, cordon: bool) -> None:
    verb = inv.path[0]
    a = parse(verb, inv.argv, {"--selector", "--dry-run"}, set())
    if not a.positional and a.value("--selector") is None:
        raise usage_error(verb, f"USAGE: {verb} NODE [flags]")
    suffix = dry_run_suffix(a)
    is_dry_run = dry_run(a)
    for node in _nodes(inv.cluster, a, a.positional):
        name = node["metadata"]["name"]
        if bool(node.get("spec", {}).get("unschedulable")) == cordon:
            o.out(f"node/{name} already {verb}ed{suffix}\n")
            continue
        if not is_dry_run:
            # upstream: a strategic patch {"spec":{"unschedulable":true}}, or null to uncordon
            inv.cluster.patch("Node", name, {"spec": {"unschedulable": True if cordon else None}}, "")
        o.out(f"node/{name} {verb}ed{suffix}\n")


def run_cordon(inv: Invocation, o: Out) -> None:
    _cordon(inv, o, cordon=inv.path[0] == "cordon")


# ----- taint -----


def _taint_text(t: dict[str, str]) -> str:
    """upstream: Taint.ToString."""
    key, value, effect = t["key"], t.get("value", ""), t.get("effect", "")
    if not effect:
        return f"{key}=" + f"{value}:" if value else key
    return f"{key}={value}:{effect}" if value else f"{key}:{effect}"


def _parse_taint(spec: str) -> dict[str, str]:
    """upstream: parseTaint — `key=value:Effect`, `key:Effect` or `key`."""
    parts = spec.split(":")
    value = effect = ""
    if len(parts) == 1:
        key = parts[0]
    elif len(parts) == 2:
        effect = parts[1]
        if effect not in _EFFECTS:
            raise ValueError(f"invalid taint effect: {effect}, unsupported taint effect")
        kv = parts[0].split("=")
        if len(kv) > 2:
            raise ValueError(f"invalid taint spec: {spec}")
        key = kv[0]
        if len(kv) == 2:
            value = kv[1]
            errors = _native.label_value_errors(value)
            if errors:
                raise ValueError(f"invalid taint spec: {spec}, {'; '.join(errors)}")
    else:
        raise ValueError(f"invalid taint spec: {spec}")
    errors = _native.qualified_name_errors(key)
    if errors:
        raise ValueError(f"invalid taint spec: {spec}, {'; '.join(errors)}")
    return {"key": key, "value": value, "effect": effect}


def _parse_taints(specs: list[str]) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """upstream: ParseTaints — taints to add (each needing an effect, unique by key and effect)
    and taints to remove (`key-`, `key:Effect-`)."""
    add: list[dict[str, str]] = []
    remove: list[dict[str, str]] = []
    for spec in specs:
        if spec.endswith("-"):
            t = _parse_taint(spec[:-1])
            remove.append({"key": t["key"], "effect": t["effect"]})
            continue
        t = _parse_taint(spec)
        if not t["effect"]:
            raise ValueError(f"invalid taint spec: {spec}")
        if any(x["key"] == t["key"] and x["effect"] == t["effect"] for x in add):
            # upstream prints the Go struct: {Key Value Effect TimeAdded}
            raise ValueError(
                f"duplicated taints with the same key and effect: {{{t['key']} {t['value']} {t['effect']} <nil>}}"
            )
        add.append(t)
    return add, remove


def _wire(t: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in t.items() if v}


def run_taint(inv: Invocation, o: Out) -> None:
    a = parse("taint", inv.argv, {"--selector", "--output", "--dry-run"}, {"--overwrite", "--all"})
    fmt, _ = output_format(a, ("name",))
    resources: list[str] = []
    specs: list[str] = []
    for s in a.positional:
        # upstream: the first argument that looks like a taint starts the taints
        if specs or "=" in s or ":" in s or s.endswith("-"):
            specs.append(s)
        else:
            resources.append(s)
    if a.bool("--all") and a.value("--selector"):
        raise Fail("error: setting 'all' parameter but found a non empty selector. ")
    if not resources:
        raise Fail("error: one or more resources must be specified as <resource> <name>")
    if not specs:
        raise Fail("error: at least one taint update is required")
    try:
        add, remove = _parse_taints(specs)
    except ValueError as e:
        raise usage_error("taint", str(e)) from None
    conflicts = [
        f"{r['key']}={r['effect']}"
        for t in add
        for r in remove
        if t["key"] == r["key"] and (not r["effect"] or t["effect"] == r["effect"])
    ]
    if conflicts:
        raise Fail(
            "error: can not both modify and remove the following taint(s) in the same command: " + ", ".join(conflicts)
        )
    kind, slash, first = resources[0].partition("/")
    if slash:
        names = resources
    else:
        if kind_of(kind).kind != "Node":
            raise Fail(f"error: invalid resource type {kind_of(kind).plural}, only node types are supported")
        names = resources[1:]
        if not names and not (a.bool("--all") or a.value("--selector")):
            raise Fail("error: resource(s) were provided, but no name was specified")
    suffix = dry_run_suffix(a)
    is_dry_run = dry_run(a)
    for node in _nodes(inv.cluster, a, names):
        name = node["metadata"]["name"]
        old = [dict(t) for t in node.get("spec", {}).get("taints", [])]
        try:
            operation, new = _reorganize(name, old, add, remove, a.bool("--overwrite"))
        except ValueError as e:
            o.error(Fail(f"error: {e}"))
            continue
        if not is_dry_run:
            try:
                inv.cluster.patch("Node", name, {"spec": {"taints": new or None}}, "")
            except KubesimError as e:
                o.error(e)
                continue
        o.out(f"node/{name}\n" if fmt == "name" else f"node/{name} {operation}{suffix}\n")


def _reorganize(
    name: str, old: list[dict[str, Any]], add: list[dict[str, str]], remove: list[dict[str, str]], overwrite: bool
) -> tuple[str, list[dict[str, Any]]]:
    """upstream: updateTaints and reorganizeTaints — the new list (added taints first, then the
    old ones they do not replace, less the removed ones) and what happened to the node."""
    if not overwrite:
        exists = [t["key"] for t in add for x in old if t["key"] == x["key"] and t["effect"] == x.get("effect", "")]
        if exists:
            raise ValueError(
                f"node {name} already has {','.join(exists)} taint(s) with same effect(s) and --overwrite is false"
            )
    new: list[dict[str, Any]] = [_wire(t) for t in add]
    for x in old:
        if not any(t["key"] == x["key"] and t["effect"] == x.get("effect", "") for t in add):
            new.append(x)
    added = len(old) != len(new)
    deleted = False
    errors = []
    for r in remove:
        before = len(new)
        new = [x for x in new if not (x["key"] == r["key"] and (not r["effect"] or x.get("effect") == r["effect"]))]
        deleted = len(new) != before
        if not deleted:
            errors.append(f'taint "{_taint_text(r)}" not found')
    if errors:
        raise ValueError("; ".join(errors) if len(errors) == 1 else "[" + ", ".join(errors) + "]")
    if (added and deleted) or overwrite:
        return "modified", new
    return ("tainted" if added else "untainted"), new
