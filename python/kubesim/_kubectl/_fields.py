"""`--field-selector`: the API server's field selectors (kubectl sends the text unparsed). Terms
`field=value`, `field==value` or `field!=value`, joined by `,` (AND); values compare as
strings. Each kind supports `metadata.name`, `metadata.namespace` and the fields its registry
lists (kubectl-everyday.md §2.2)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ._base import Fail
from ._resources import Kind


def _get(path: str) -> Callable[[dict[str, Any]], str]:
    def get(d: dict[str, Any]) -> str:
        v: Any = d
        for part in path.split("."):
            v = v.get(part) if isinstance(v, dict) else None
        return "" if v is None else str(v).lower() if isinstance(v, bool) else str(v)

    return get


def _pod_ips(d: dict[str, Any]) -> str:
    return ",".join(ip.get("ip", "") for ip in d.get("status", {}).get("podIPs", []))


# upstream: each registry's GetAttrs / field label conversion funcs.
_FIELDS: dict[str, dict[str, Callable[[dict[str, Any]], str]]] = {
    "Pod": {
        "spec.nodeName": _get("spec.nodeName"),
        "spec.host": _get("spec.nodeName"),
        "spec.restartPolicy": _get("spec.restartPolicy"),
        "spec.schedulerName": _get("spec.schedulerName"),
        "spec.serviceAccountName": _get("spec.serviceAccountName"),
        "spec.hostNetwork": lambda d: str(bool(d.get("spec", {}).get("hostNetwork"))).lower(),
        "status.phase": _get("status.phase"),
        "status.podIP": _get("status.podIP"),
        "status.podIPs": _pod_ips,
        "status.nominatedNodeName": _get("status.nominatedNodeName"),
    },
    "Node": {"spec.unschedulable": lambda d: str(bool(d.get("spec", {}).get("unschedulable"))).lower()},
    "Event": {
        **{f"involvedObject.{f}": _get(f"involvedObject.{f}") for f in ("kind", "namespace", "name", "uid")},
        **{f"involvedObject.{f}": _get(f"involvedObject.{f}") for f in ("apiVersion", "resourceVersion", "fieldPath")},
        "reason": _get("reason"),
        "reportingComponent": _get("reportingComponent"),
        "source": _get("source.component"),
        "type": _get("type"),
    },
    "Namespace": {"status.phase": _get("status.phase")},
    "Secret": {"type": _get("type")},
    "ReplicaSet": {"status.replicas": lambda d: str(d.get("status", {}).get("replicas", 0))},
}
_COMMON = {"metadata.name": _get("metadata.name"), "metadata.namespace": _get("metadata.namespace")}

Term = tuple[str, bool, str]  # field, equal (True) or not equal, value


def parse(text: str) -> list[Term]:
    """upstream: fields.ParseSelector."""
    terms: list[Term] = []
    for part in (p for p in text.split(",") if p):
        for op, equal in (("!=", False), ("==", True), ("=", True)):
            field, sep, value = part.partition(op)
            if sep:
                terms.append((field, equal, value))
                break
        else:
            raise Fail(f"error: invalid selector: '{text}'; can't understand '{part}'")
    return terms


def _resource(kind: Kind, label_selector: str, field_selector: str) -> str:
    group_version = kind.api_version if "/" in kind.api_version else f"/{kind.api_version}"
    return (
        f'Unable to find "{group_version}, Resource={kind.plural}" that match label selector '
        f'"{label_selector}", field selector "{field_selector}"'
    )


def matcher(kind: Kind, text: str, label_selector: str) -> Callable[[dict[str, Any]], bool]:
    """A test of an object (as a dict) against the selector; an unsupported field is the API
    server's BadRequest, as kubectl prints it."""
    terms = parse(text)
    fields = {**_COMMON, **_FIELDS.get(kind.kind, {})}
    for field, _, _ in terms:
        if field not in fields:
            raise Fail(
                f"Error from server (BadRequest): {_resource(kind, label_selector, text)}: "
                f"field label not supported: {field}"
            )

    def matches(d: dict[str, Any]) -> bool:
        return all((fields[f](d) == v) == equal for f, equal, v in terms)

    return matches
