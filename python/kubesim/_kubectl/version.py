"""`kubectl version` and `kubectl api-resources`."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from .. import _native
from ._base import CLIENT_VERSION, KUSTOMIZE_VERSION, SERVER_VERSION, Fail, Invocation, Out
from ._flags import parse
from ._resources import kind_of

if TYPE_CHECKING:
    pass


def _version(rest: list[str], o: Out) -> None:
    a = parse("version", rest, {"--output"}, {"--client"})
    fmt = a.value("--output")
    if fmt not in (None, "json", "yaml"):
        raise Fail("error: --output must be 'yaml' or 'json'")
    if a.positional:
        raise Fail(f"error: unexpected arguments: [{' '.join(a.positional)}]")
    info = {"clientVersion": CLIENT_VERSION, "kustomizeVersion": KUSTOMIZE_VERSION, "serverVersion": SERVER_VERSION}
    if fmt in ("json", "yaml"):
        doc: dict[str, Any] = {
            "clientVersion": {"gitVersion": CLIENT_VERSION, "major": "1", "minor": "32"},
            "kustomizeVersion": KUSTOMIZE_VERSION,
        }
        if not a.bool("--client"):
            doc["serverVersion"] = {"gitVersion": SERVER_VERSION, "major": "1", "minor": "33"}
        o.out(json.dumps(doc, indent=2) + "\n" if fmt == "json" else _native.to_yaml(json.dumps(doc)))
        return
    o.out(f"Client Version: {info['clientVersion']}\nKustomize Version: {info['kustomizeVersion']}\n")
    if not a.bool("--client"):
        o.out(f"Server Version: {info['serverVersion']}\n")


def _api_resources(rest: list[str], o: Out) -> None:
    a = parse("api-resources", rest, {"--output", "--api-group"}, {"--no-headers", "--namespaced"})
    if a.positional:
        raise Fail(f"error: unexpected arguments: [{' '.join(a.positional)}]")
    if a.value("--output") not in (None, "", "wide", "name"):
        raise Fail(f"error: --output {a.value('--output')} is not available")
    kinds = [kind_of(k) for k in _native.served_kinds()]
    # upstream: core group first, then by group; by name within a group.
    kinds.sort(key=lambda k: ("/" in k.api_version, k.api_version.split("/")[0], k.plural))
    if a.value("--namespaced") is not None:
        kinds = [k for k in kinds if k.namespaced == a.bool("--namespaced")]
    if a.value("--api-group") is not None:
        group = a.value("--api-group")
        kinds = [k for k in kinds if (k.api_version.split("/")[0] if "/" in k.api_version else "") == group]
    if a.value("--output") == "name":
        o.out("".join(f"{k.resource}\n" for k in kinds))
        return
    rows = [] if a.bool("--no-headers") else [["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"]]
    rows += [[k.plural, ",".join(k.short_names), k.api_version, str(k.namespaced).lower(), k.kind] for k in kinds]
    o.out(_native.tabwrite(rows))


def run(inv: Invocation, o: Out) -> None:
    (_version if inv.path[0] == "version" else _api_resources)(inv.argv, o)
