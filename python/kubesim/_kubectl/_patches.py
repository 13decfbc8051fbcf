"""The three patch types kubectl sends (kubectl-everyday.md §5.1): JSON merge patch (RFC 7386),
JSON patch (RFC 6902) and strategic merge patch, where lists of built-in kinds merge by their
`patchMergeKey` (containers by name, ports by containerPort, …) and `$patch: delete|replace`
directives apply, as apimachinery's strategicpatch does for the types kubesim serves."""

from __future__ import annotations

import copy
from typing import Any


class PatchError(Exception):
    """A patch that cannot be applied, in the words of the library kubectl and the API server use."""


def merge(target: Any, patch: Any) -> Any:
    """upstream: RFC 7386 JSON merge patch (evanphx/json-patch MergePatch)."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = dict(target) if isinstance(target, dict) else {}
    for k, v in patch.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = merge(out.get(k), v)
    return out


# upstream: the patchMergeKey tags of the core/v1, apps/v1 and autoscaling types kubesim serves,
# by the field's name (the same field name merges by the same key in every type that has it).
MERGE_KEYS = {
    "containers": "name",
    "initContainers": "name",
    "ephemeralContainers": "name",
    "env": "name",
    "volumes": "name",
    "volumeMounts": "mountPath",
    "volumeDevices": "devicePath",
    "imagePullSecrets": "name",
    "hostAliases": "ip",
    "topologySpreadConstraints": "topologyKey",
    "resourceClaims": "name",
    "conditions": "type",
    "taints": "key",
    "ownerReferences": "uid",
    "addresses": "type",
}
# Lists of ports merge by their number: a container's by containerPort, a Service's by port.
_PORT_KEYS = ("containerPort", "port")


def _merge_key(field: str, items: list[Any]) -> str | None:
    if field == "ports":
        for key in _PORT_KEYS:
            if all(isinstance(i, dict) and key in i for i in items if i is not None):
                return key
        return None
    return MERGE_KEYS.get(field)


def strategic(target: Any, patch: Any, field: str = "") -> Any:
    """upstream: strategicpatch.StrategicMergePatch for the built-in types."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    directive = patch.get("$patch")
    if directive == "replace":
        return {k: copy.deepcopy(v) for k, v in patch.items() if k != "$patch"}
    if directive == "delete":
        return None
    out = dict(target) if isinstance(target, dict) else {}
    for k, v in patch.items():
        if k.startswith("$"):
            continue  # $retainKeys, $setElementOrder/…: ordering hints kubesim does not need
        if v is None:
            out.pop(k, None)
        elif isinstance(v, list) and isinstance(out.get(k), list):
            out[k] = _merge_list(out[k], v, k)
        else:
            merged = strategic(out.get(k), v, k)
            if merged is None:
                out.pop(k, None)
            else:
                out[k] = merged
    return out


def _merge_list(live: list[Any], patch: list[Any], field: str) -> list[Any]:
    key = _merge_key(field, [*live, *patch])
    if key is None or not all(isinstance(i, dict) for i in live):
        # upstream: a list without a merge key is replaced (a `$patch: replace` item says so too)
        return [copy.deepcopy(i) for i in patch if not (isinstance(i, dict) and i.get("$patch"))]
    if any(isinstance(i, dict) and i.get("$patch") == "replace" for i in patch):
        return [copy.deepcopy(i) for i in patch if not (isinstance(i, dict) and i.get("$patch"))]
    server_keys = [x.get(key) for x in live]
    patched: list[Any] = []  # the patch's items, merged with the live ones they name, in patch order
    deleted = set()
    for item in patch:
        if not isinstance(item, dict) or key not in item:
            raise PatchError(f"map: {item} does not contain declared merge key: {key}")
        if item.get("$patch") == "delete":
            deleted.add(item[key])
            continue
        at = next((n for n, x in enumerate(live) if x.get(key) == item[key]), None)
        patched.append(strategic({} if at is None else live[at], item, field))
    named = {x.get(key) for x in patched} | deleted
    server_only = [copy.deepcopy(x) for x in live if x.get(key) not in named]
    # upstream: normalizeElementOrder / mergeSortedSlice — two ordered lists merged by the live
    # order; an item the live list does not have goes first.
    out: list[Any] = []
    i = j = 0
    while i < len(patched) or j < len(server_only):
        if i >= len(patched):
            out.append(server_only[j])
            j += 1
        elif j >= len(server_only):
            out.append(patched[i])
            i += 1
        else:
            li, ri = patched[i].get(key), server_only[j].get(key)
            if li in server_keys and server_keys.index(li) > server_keys.index(ri):
                out.append(server_only[j])
                j += 1
            else:
                out.append(patched[i])
                i += 1
    return out


def _pointer(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise PatchError(f'JSON pointer must be empty or start with a "/": {path}')
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _container(doc: Any, parts: list[str], op: str, path: str) -> tuple[Any, str]:
    return _get(doc, parts[:-1], path, op), parts[-1]


def json_patch(doc: Any, ops: Any) -> Any:
    """upstream: RFC 6902 (evanphx/json-patch), with its error texts."""
    if not isinstance(ops, list):
        raise PatchError("json: cannot unmarshal object into Go value of type jsonpatch.Patch")
    doc = copy.deepcopy(doc)
    for op in ops:
        if not isinstance(op, dict):
            raise PatchError("json: cannot unmarshal array into Go value of type jsonpatch.Operation")
        kind, path = op.get("op"), op.get("path", "")
        parts = _pointer(path)
        if kind in ("add", "replace", "test") and "value" not in op:
            raise PatchError(f"missing value for {kind} operation")
        if kind == "test":
            if _get(doc, parts, path, "test") != op["value"]:
                raise PatchError(f"testing value {path} failed: test failed")
            continue
        if kind in ("move", "copy"):
            value = copy.deepcopy(_get(doc, _pointer(op.get("from", "")), op.get("from", ""), kind))
            if kind == "move":
                doc = _remove(doc, _pointer(op.get("from", "")), op.get("from", ""), "move")
            doc = _add(doc, parts, value, path, kind)
        elif kind == "add":
            doc = _add(doc, parts, copy.deepcopy(op["value"]), path, "add")
        elif kind == "remove":
            doc = _remove(doc, parts, path, "remove")
        elif kind == "replace":
            _get(doc, parts, path, "replace")
            if not parts:
                doc = copy.deepcopy(op["value"])
                continue
            node, last = _container(doc, parts, "replace", path)
            if isinstance(node, list):
                node[int(last)] = copy.deepcopy(op["value"])
            else:
                node[last] = copy.deepcopy(op["value"])
        else:
            raise PatchError(f"Unexpected kind: {kind}")
    return doc


def _get(doc: Any, parts: list[str], path: str, op: str) -> Any:
    node = doc
    for p in parts:
        if isinstance(node, dict) and p in node:
            node = node[p]
        elif isinstance(node, list) and p.isdigit() and int(p) < len(node):
            node = node[int(p)]
        else:
            raise PatchError(f'{op} operation does not apply: doc is missing path: "{path}": missing value')
    return node


def _add(doc: Any, parts: list[str], value: Any, path: str, op: str) -> Any:
    if not parts:
        return value
    node, last = _container(doc, parts, op, path)
    if isinstance(node, dict):
        node[last] = value
    elif isinstance(node, list):
        if last == "-":
            node.append(value)
        elif last.isdigit() and int(last) <= len(node):
            node.insert(int(last), value)
        else:
            raise PatchError(
                f"error in {op} for path: '{path}': Unable to access invalid index: {last}: invalid index referenced"
            )
    else:
        raise PatchError(f'{op} operation does not apply: doc is missing path: "{path}": missing value')
    return doc


def _remove(doc: Any, parts: list[str], path: str, op: str) -> Any:
    node, last = _container(doc, parts, op, path)
    if isinstance(node, dict) and last in node:
        del node[last]
    elif isinstance(node, list) and last.isdigit() and int(last) < len(node):
        del node[int(last)]
    else:
        raise PatchError(f"error in {op} for path: '{path}': Unable to remove nonexistent key: {last}: missing value")
    return doc
