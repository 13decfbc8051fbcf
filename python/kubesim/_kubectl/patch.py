"""`kubectl patch` (upstream pkg/cmd/patch): strategic merge (the default), `--type merge` and
`--type json`, on server objects or, with `--local`, on files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import _native
from ..errors import KubesimError
from . import _patches
from ._base import Fail, Invocation, Out, error_text, not_modelled
from ._flags import dry_run, parse
from ._manifests import documents
from ._printers import OBJECT_FORMATS, output_format, print_objects
from ._resources import kind_of, ns_for, targets

if TYPE_CHECKING:
    from .._cluster import Cluster

_TYPES = ("json", "merge", "strategic")


def _patch_value(text: str) -> Any:
    """upstream: `-p` text starting with `{` or `[` is sent as it is; anything else is YAML,
    converted to JSON first."""
    if text.lstrip().startswith(("{", "[")):
        try:
            return json.loads(text)
        except ValueError as e:
            raise Fail(f"Error from server (BadRequest): invalid JSON in the patch: {e}") from None
    try:
        docs = _native.parse_manifest(text, "patch")
    except KubesimError as e:
        raise Fail(f"error: unable to parse the patch as YAML: {e}") from None
    return json.loads(docs[0]) if docs else None


def apply_patch(kind: str, live: dict[str, Any], patch: Any, patch_type: str) -> dict[str, Any]:
    if patch_type == "json":
        return _patches.json_patch(live, patch)  # type: ignore[no-any-return]
    if not isinstance(patch, dict):
        raise _patches.PatchError("json: cannot unmarshal non-object into Go value of type map[string]interface {}")
    if patch_type == "merge":
        return _patches.merge(live, patch)  # type: ignore[no-any-return]
    return _patches.strategic(live, patch)  # type: ignore[no-any-return]


def run(inv: Invocation, o: Out) -> None:
    c = inv.cluster
    a = parse(
        "patch",
        inv.argv,
        {
            "--patch",
            "--patch-file",
            "--type",
            "--dry-run",
            "--output",
            "--filename",
            "--field-manager",
            "--subresource",
        },
        {"--local", "--recursive", "--record", "--allow-missing-template-keys"},
    )
    fmt, arg = output_format(a, OBJECT_FORMATS)
    patch_type = (a.value("--type") or "strategic").lower()
    if patch_type not in _TYPES:
        raise Fail(f'error: --type must be one of [json merge strategic], not "{a.value("--type")}"')
    text, file = a.value("--patch"), a.value("--patch-file")
    if text is None and file is None:
        raise Fail("error: must specify --patch or --patch-file containing the contents of the patch")
    if text is not None and file is not None:
        raise Fail("error: cannot specify --patch and --patch-file together")
    if file is not None:
        try:
            text = Path(file).read_text(encoding="utf-8")
        except OSError as e:
            raise Fail(f"error: unable to read patch file: open {file}: {(e.strerror or str(e)).lower()}") from None
    assert text is not None
    local = a.bool("--local")
    if local and a.positional:
        raise Fail("error: cannot specify --local and server resources")
    if local and a.value("--dry-run") == "server":
        raise Fail("error: cannot specify --local and --dry-run=server - did you mean --dry-run=client?")
    patch = _patch_value(text)
    is_dry_run = dry_run(a)
    subresource = a.value("--subresource")
    if subresource == "scale":
        raise not_modelled("kubectl patch --subresource=scale")

    objects: list[tuple[dict[str, Any], bool]] = []  # (object, from the server)
    if a.values("--filename"):
        for d, _ in documents(c, a, inv.stdin):
            if local:
                objects.append((d, False))
            else:
                k = kind_of(d["kind"])
                ns = d["metadata"].get("namespace") or ns_for(k, a.namespace)
                objects.append((c.get(k.kind, d["metadata"]["name"], ns).to_dict(), True))
    elif local:
        raise Fail("error: must specify -f when --local is set")  # kubesim's words: patch --local reads files
    else:
        for k, name in targets(a.positional, "patch"):
            if name is None:
                raise Fail("error: resource(s) were provided, but no name was specified")
            try:
                objects.append((c.get(k.kind, name, ns_for(k, a.namespace)).to_dict(), True))
            except KubesimError as e:
                o.error(e)
    for live, on_server in objects:
        if subresource and (subresource != "status" or kind_of(live["kind"]).kind not in _native.status_kinds()):
            # upstream: the API server has no such subresource for the kind
            o.error(Fail("Error from server (NotFound): the server could not find the requested resource"))
            continue
        _patch_one(c, o, live, patch, patch_type, on_server and not is_dry_run, fmt, arg, bool(subresource))


def _patch_one(
    c: Cluster,
    o: Out,
    live: dict[str, Any],
    patch: Any,
    patch_type: str,
    write: bool,
    fmt: str,
    arg: str,
    status: bool = False,
) -> None:
    k = kind_of(live["kind"])
    name = live["metadata"]["name"]
    try:
        patched = apply_patch(k.kind, live, patch, patch_type)
    except _patches.PatchError as e:
        # upstream: the server's answer to a patch it cannot apply (kubesim words it as the library does)
        o.error(Fail(f"error: {e}" if not write else f"The request is invalid: {e}"))
        return
    changed = patched != live
    if write and changed:
        try:
            if status:
                # upstream: a /status write changes the status only; what it returns is the object.
                kind, ns, _ = c._native.replace_status(json.dumps(patched))
                patched = c.get(kind, name, ns).to_dict()
            else:
                patched = c.replace(patched).to_dict()
        except KubesimError as e:
            o.error(Fail(error_text(e)))
            return
        changed = patched != live
    if fmt in ("yaml", "json", "jsonpath"):
        o.out(print_objects([patched], fmt, arg, True))
    elif fmt == "name":
        o.out(f"{k.singular}/{name}\n")
    else:
        # upstream: "(no change)" when the object came back as it was; a dry run says plain "patched"
        o.out(f"{k.singular}/{name} patched{'' if changed or not write else ' (no change)'}\n")
