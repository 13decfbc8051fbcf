"""`kubectl get -w` / `--watch-only` / `--output-watch-events` in virtual time.

A real `get -w` lists, then prints a row for every watch event until it is interrupted. In
kubesim the watch runs for a stretch of virtual time the caller names
(`c.kubectl("get pods -w", for_="2m")`, or `--for=2m` on `kubesim kubectl`; there, in wall
mode without `--for`, virtual time follows the wall clock until Ctrl-C): time advances
from one pending instant to the next, and after each the rows of the events that happened
there are printed, each showing the object as that event carried it (a pod deleted
gracefully reads `Terminating` first, then its DELETED row shows its last state), with AGE
as of that instant. The result is the lines a watching kubectl would have printed."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

from .. import _native
from .._time import reachable, to_ms
from . import _fields as fields
from ._base import WALL_CLOCK, Fail, Invocation, Out, not_modelled
from ._flags import Args
from ._printers import output_format
from ._resources import Kind, kind_of, ns_for, targets

if TYPE_CHECKING:
    from .._cluster import Cluster

WATCH_FOR_HELP = (
    'error: kubesim runs "get --watch" in virtual time: say for how long, '
    'c.kubectl("get pods -w", for_="2m") or kubesim kubectl get pods -w --for=2m'
)


# Tests replace these to follow a wall clock without sleeping.
_clock = time.monotonic
_sleep = time.sleep
WALL_TICK = 0.25  # seconds between looks at the wall clock


class _Columns:
    """kubectl's watch printer: rows are flushed one at a time, column widths never shrink and a
    wider cell widens its column from that line on; the last column is not padded."""

    def __init__(self) -> None:
        self.widths: list[int] = []

    def line(self, cells: list[str]) -> str:
        for i, cell in enumerate(cells[:-1]):
            if i >= len(self.widths):
                self.widths.append(0)
            self.widths[i] = max(self.widths[i], len(cell) + 3)
        return "".join(cell.ljust(self.widths[i]) for i, cell in enumerate(cells[:-1])) + cells[-1] + "\n"

    def block(self, rows: list[list[str]]) -> str:
        """Rows printed together (the initial list): aligned as one table."""
        for row in rows:
            self.line(row)
        return "".join(self.line(row) for row in rows)


def run(inv: Invocation, a: Args, o: Out) -> None:
    c = inv.cluster
    fmt, _ = output_format(a)
    if fmt not in ("", "wide", "name", "yaml", "json"):
        raise not_modelled(f"kubectl get --watch -o {fmt}")
    structured = fmt in ("yaml", "json")
    printed = 0
    if a.values("--filename"):
        raise not_modelled("kubectl get --watch -f")
    if inv.watch_for is None:
        raise Fail(WATCH_FOR_HELP)
    follow_wall_clock = inv.watch_for == WALL_CLOCK
    end = c._native.now_ms + (0 if follow_wall_clock else to_ms(inv.watch_for))
    wanted = targets(a.positional)
    kinds = list(dict.fromkeys(k for k, _ in wanted))
    if len(kinds) != 1:
        raise Fail("error: you may only specify a single resource type")
    kind = kinds[0]
    names = [n for _, n in wanted if n is not None]
    all_ns = a.bool("--all-namespaces")
    if all_ns and names:
        raise Fail("error: a resource cannot be retrieved by name across all namespaces")
    namespace = None if all_ns or not kind.namespaced else a.namespace
    selector = a.value("--selector") or ""
    if a.value("--sort-by"):
        which = "--watch-only" if a.bool("--watch-only") else "--watch"
        received = " for watch events received" if which == "--watch" else ""
        o.err(f"warning: {which} requested, --sort-by will be ignored{received}")
    events_col = a.bool("--output-watch-events")
    opts = (fmt == "wide", a.bool("--show-labels"), [k for v in a.values("--label-columns") for k in v.split(",")])
    columns = _Columns()
    header: list[str] | None = None

    def show_object(event: str, obj: dict[str, Any]) -> None:
        """upstream: -o json prints objects one after another, -o yaml separates them with
        `---`; with --output-watch-events each is wrapped as {type, object} (JSON on one line)."""
        nonlocal printed
        if fmt == "json":
            text = json.dumps(obj, indent=4, sort_keys=True, ensure_ascii=False) + "\n"
            if events_col:
                compact = json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
                text = f'{{"type":{json.dumps(event)},"object":{compact}}}\n'
        else:
            text = ("---\n" if printed else "") + _native.to_yaml(
                json.dumps({"object": obj, "type": event} if events_col else obj)
            )
        printed += 1
        o.out(text)

    def show(event: str, cells: list[str], name: str) -> None:
        nonlocal header
        if fmt == "name":
            o.out(f"{kind.singular}/{name}\n")
            return
        row = [event, *cells] if events_col else cells
        if header is not None:
            o.out(columns.block([header, row]))  # the header takes the first event's widths
            header = None
            return
        o.out(columns.line(row))

    field_selector = a.value("--field-selector") or ""
    rv = c._native.resource_version
    with fields.refused(kind, selector, field_selector):
        head, rows = _initial(c, kind, namespace, selector, field_selector, names, a, opts)
    if a.bool("--no-headers"):
        head = []
    if events_col and head:
        head = ["EVENT", *head]
    if structured:
        if not a.bool("--watch-only"):
            ns_of = namespace or ns_for(kind, a.namespace)
            keys = [(r[0] if namespace is None and kind.namespaced else ns_of, n) for n, r in rows]
            for d in c._native.get_many(kind.kind, keys):
                show_object("ADDED", d)
    elif a.bool("--watch-only") or not rows:
        header = head or None  # upstream: printed with the first event, at that event's widths
    elif fmt == "name":
        o.out("".join(f"{kind.singular}/{k}\n" for k, _ in rows))
    else:
        o.out(columns.block(([head] if head else []) + [["ADDED", *r] if events_col else r for _, r in rows]))
    if len(names) > 1:
        raise Fail("error: you may only watch a single resource or type of resource at a time")

    def emit() -> None:
        nonlocal rv
        _, events = c._native.watch_rows(rv, kind.kind, namespace, selector, *opts, field_selector)
        objects = {e_rv: d for _, e_rv, d in c._native.watch(rv)} if structured and events else {}
        for event, e_rv, _ns, name, cells in events:
            if names and name not in names:
                continue
            if structured:
                show_object(event, objects[e_rv])
            else:
                show(event, cells, name)
        rv = c._native.resource_version

    def run_to(end: int) -> None:
        while True:
            nxt = reachable(c._native.next_event_ms)
            if nxt is None or nxt > end:
                break
            c._run_to(nxt)
            emit()
        c._run_to(end)
        emit()

    if not follow_wall_clock:
        with c._waiting("watch", end, None):
            run_to(end)
        return
    # `kubesim kubectl get -w` in wall mode: virtual time follows the wall clock, rows are
    # written as their instants pass, until Ctrl-C (KeyboardInterrupt reaches the caller).
    start_wall, start_virtual = _clock(), c._native.now_ms
    while True:
        _sleep(WALL_TICK)
        run_to(start_virtual + int((_clock() - start_wall) * 1000))


def _initial(
    c: Cluster,
    kind: Kind,
    namespace: str | None,
    selector: str,
    field_selector: str,
    names: list[str],
    a: Args,
    opts: tuple[bool, bool, list[str]],
) -> tuple[list[str], list[tuple[str, list[str]]]]:
    """The list a watch starts from: the header, and (name, cells) per object."""
    if names:
        ns = ns_for(kind, a.namespace)
        keys = [(ns, c.get(kind.kind, n, ns).name) for n in names]
    else:
        keys = [(o.namespace, o.name) for o in c.list(kind.kind, selector or None, namespace, field_selector)]
    head, rows = c._native.table_cells(kind.kind, keys, *opts, namespace is None)
    return head, [(name, r) for (_, name), r in zip(keys, rows, strict=True)]


__all__ = ["WATCH_FOR_HELP", "kind_of", "run"]
