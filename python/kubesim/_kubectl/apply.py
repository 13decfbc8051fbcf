"""`kubectl apply -f`."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from .. import _native
from ..errors import KubesimError, ManifestError
from ._base import Fail, Invocation, Out, error_text
from ._flags import Args, parse
from ._manifests import in_namespace, read_sources, unknown_kind_error
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
    # upstream: apply visits every document (ContinueOnError), applies the good ones and reports
    # the failures together after them.
    errors: list[str] = []
    for text, source in read_sources(c, args, stdin):
        if args.namespace_given():
            text, refused = in_namespace(text, source, args.namespace)
            errors += refused
            seen += len(refused)
            if not text:
                continue
        try:
            results = c._apply_text(text, source)
        except KubesimError as e:
            seen += 1
            results = list(getattr(e, "applied", []))
            errors += [_apply_error(err, text, source) for err in getattr(e, "errors", [e])]
        seen += len(results)
        for r in results:
            if r.warning:
                o.err(r.warning)
            o.out(_applied(c, r, fmt, arg))
    for text in errors:
        o.failed = True
        o.err(text)
    if not seen:
        raise Fail("error: no objects passed to apply")  # upstream: empty files, only comments or `---`


def _apply_error(e: KubesimError, text: str, source: str) -> str:
    """A document's failure as kubectl words it; a kind the server does not serve is a mapping
    error of kubectl's resource builder, naming the object and the file."""
    if isinstance(e, ManifestError) and e.field == "kind" and e.document and "no matches for kind" in str(e):
        try:
            doc = json.loads(_native.parse_manifest(text.removeprefix("\ufeff"), source)[e.document - 1])
        except (KubesimError, IndexError, ValueError):
            doc = {}
        meta = doc.get("metadata") if isinstance(doc, dict) else None
        meta = meta if isinstance(meta, dict) else {}
        return unknown_kind_error(str(meta.get("name", "")), str(meta.get("namespace", "")), source, doc)
    return error_text(e)


def run(inv: Invocation, o: Out) -> None:
    _apply(inv.cluster, parse("apply", inv.argv, {"--filename", "--output"}, {"--recursive"}), o, inv.stdin)
