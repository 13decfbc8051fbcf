"""`kubectl apply -f`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import KubesimError
from ._base import Fail, Invocation, Out
from ._flags import Args, parse
from ._manifests import read_sources
from ._printers import OBJECT_FORMATS, output_format, print_objects
from ._resources import kind_of

if TYPE_CHECKING:
    from .._cluster import Cluster


def _applied(c: Cluster, r: Any, fmt: str, arg: str) -> str:
    """One applied object as `-o` asks: its line, its name, or the object itself."""
    if not fmt:
        return f"{r.line}\n"
    if fmt == "name":
        return f"{kind_of(r.kind).singular}/{r.name}\n"
    return print_objects([c.get(r.kind, r.name, r.namespace).to_dict()], fmt, arg, True)


def _apply(c: Cluster, args: Args, o: Out, stdin: str | None) -> None:
    fmt, arg = output_format(args, OBJECT_FORMATS)
    seen = 0
    for text, source in read_sources(c, args, stdin):
        try:
            results = c._apply_text(text, source)
        except KubesimError as e:
            seen += 1
            for r in getattr(e, "applied", []):
                if r.warning:
                    o.err(r.warning)
                o.out(_applied(c, r, fmt, arg))
            for err in getattr(e, "errors", [e]):
                o.error(err)
            continue
        seen += len(results)
        for r in results:
            if r.warning:
                o.err(r.warning)
            o.out(_applied(c, r, fmt, arg))
    if not seen:
        raise Fail("error: no objects passed to apply")  # upstream: empty files, only comments or `---`


def run(inv: Invocation, o: Out) -> None:
    _apply(inv.cluster, parse("apply", inv.argv, {"--filename", "--output"}, {"--recursive"}), o, inv.stdin)
