"""Sending an object a `create` generator (or `run`, `expose`) built: printed as the typed
object kubectl built for a client dry run, else created, with the verb's line or `-o`."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from .. import _native
from ..errors import KubesimError
from ._base import Fail, Out, error_text
from ._flags import Args
from ._printers import OBJECT_FORMATS, output_format, print_objects, render_jsonpath
from ._resources import kind_of

if TYPE_CHECKING:
    from .._cluster import Cluster


def _created(c: Cluster, manifest: dict[str, Any], args: Args, o: Out, prefix: str = "", word: str = "created") -> None:
    dry_run = args.value("--dry-run", "none")
    if dry_run not in ("none", "client", "server"):
        raise Fail(f'error: Invalid dry-run value ({dry_run}). Must be "none", "server", or "client".')
    fmt, arg = output_format(args, OBJECT_FORMATS)
    singular = kind_of(manifest["kind"]).singular
    name = manifest["metadata"]["name"]
    if dry_run == "client":
        # upstream: a client dry run prints the typed object kubectl built, in its field order.
        if fmt == "json":
            o.out(json.dumps(manifest, indent=4, ensure_ascii=False) + "\n")
        elif fmt == "yaml":
            o.out(_native.to_yaml(json.dumps(manifest)))
        elif fmt == "jsonpath":
            o.out(render_jsonpath(arg, manifest))
        else:
            o.out(f"{singular}/{name}\n" if fmt == "name" else f"{singular}/{name} {word} (dry run)\n")
        return
    if dry_run == "server":
        # kubesim has no dry-run mode in its store: a server dry run is checked as a client one
        o.out(f"{singular}/{name}\n" if fmt == "name" else f"{singular}/{name} {word} (server dry run)\n")
        return
    try:
        obj = c.create({k: v for k, v in manifest.items() if k != "status"})
    except KubesimError as e:
        raise Fail(prefix + str(e) if prefix else error_text(e)) from None
    if fmt in ("yaml", "json", "jsonpath"):
        o.out(print_objects([obj.to_dict()], fmt, arg, True))
    else:
        o.out(f"{singular}/{name}\n" if fmt == "name" else f"{singular}/{name} {word}\n")
