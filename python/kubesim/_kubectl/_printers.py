"""Printing objects: `-o yaml|json|name|jsonpath=…|custom-columns=…` and `--sort-by`."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from .. import _jsonpath, _native
from ._base import Fail
from ._flags import Args
from ._resources import kind_of

GET_FORMATS = ("wide", "yaml", "json", "name", "jsonpath", "custom-columns")
# Commands that print objects they changed (label, annotate, create, rollout history …).
OBJECT_FORMATS = ("yaml", "json", "name", "jsonpath")


def output_format(args: Args, allowed: tuple[str, ...] = GET_FORMATS) -> tuple[str, str]:
    """(`yaml` | `json` | `name` | `wide` | `jsonpath` | `custom-columns` | "", argument)."""
    output = args.value("--output") or ""
    fmt, _, arg = output.partition("=")
    fmt = fmt.lower() if fmt.lower() in ("json", "yaml") else fmt
    if fmt in ("jsonpath", "custom-columns", "jsonpath-as-json") and not arg:
        raise Fail(f"error: {fmt} template format specified but no {fmt} template given")
    if fmt and fmt not in allowed:
        names = {
            "jsonpath": "jsonpath,jsonpath-as-json,jsonpath-file",
            "custom-columns": "custom-columns,custom-columns-file",
        }
        shown = sorted(
            {n for f in allowed for n in names.get(f, f).split(",")}
            | {"go-template", "go-template-file", "template", "templatefile"}
        )
        raise Fail(
            f'error: unable to match a printer suitable for the output format "{output}", allowed formats are: '
            + ",".join(shown)
        )
    return fmt, arg


def render_jsonpath(template: str, data: Any) -> str:
    try:
        tree = _jsonpath.parse(template)
    except _jsonpath.JSONPathError as e:
        raise Fail(f"error: error parsing jsonpath {template}, {e}") from None
    try:
        return _jsonpath.render(tree, data)
    except _jsonpath.JSONPathError as e:
        raise Fail(
            f'error: error executing jsonpath "{template}": Error executing template: {e}. Printing more information'
            f" for debugging the template:\n\ttemplate was:\n\t\t{template}\n\tobject given to jsonpath engine"
            f" was:\n\t\t{_jsonpath.go_syntax(data)}\n\n\n"
        ) from None


def print_objects(dicts: list[dict[str, Any]], fmt: str, arg: str, single: bool) -> str:
    """`-o yaml|json|name|jsonpath=…|custom-columns=…` for objects given as dicts."""
    if fmt == "name":
        return "".join(f"{kind_of(d['kind']).singular}/{d['metadata']['name']}\n" for d in dicts)
    root: Any = (
        dicts[0]
        if single and len(dicts) == 1
        else {"apiVersion": "v1", "items": dicts, "kind": "List", "metadata": {"resourceVersion": ""}}
    )
    if fmt == "json":
        return json.dumps(root, indent=4, sort_keys=True, ensure_ascii=False) + "\n"
    if fmt == "yaml":
        return _native.to_yaml(json.dumps(root))
    if fmt == "jsonpath":
        return render_jsonpath(arg, root)
    if fmt == "custom-columns":
        columns = [spec.partition(":") for spec in arg.split(",")]
        for spec, sep, _ in columns:
            if not sep:
                raise Fail(f"error: unexpected custom-columns spec: {spec}, expected <header>:<json-path-expr>")
        rows = [[name for name, _, _ in columns]]
        for d in dicts:
            row = []
            for _, _, path in columns:
                try:
                    vals = _jsonpath.evaluate(path, d)
                except _jsonpath.JSONPathError as e:
                    raise Fail(f"error: {e}") from None
                row.append(",".join(_jsonpath.go_text(v) for v in vals) if vals else "<none>")
            rows.append(row)
        return _native.tabwrite(rows)
    raise Fail(f'error: unable to match a printer suitable for the output format "{fmt}"')


def sort_key(path: str) -> Callable[[dict[str, Any]], tuple[int, Any]]:
    def key(d: dict[str, Any]) -> tuple[int, Any]:
        try:
            vals = _jsonpath.evaluate(path, d)
        except _jsonpath.JSONPathError as e:
            raise Fail(f"error: {e}") from None
        if not vals:
            return (0, "")
        v = vals[0]
        if isinstance(v, bool):
            return (1, int(v))
        if isinstance(v, int | float):
            return (1, v)
        return (2, str(v))

    return key
