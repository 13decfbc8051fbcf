"""Resource types as kubectl names them (`deploy`, `deployments.apps`, `pod/x`) and the
`TYPE NAME…` / `TYPE/NAME…` argument forms."""

from __future__ import annotations

from dataclasses import dataclass

from .. import _native
from ..errors import KubesimError
from ._base import Fail


@dataclass(frozen=True)
class Kind:
    kind: str
    namespaced: bool
    plural: str
    short_names: tuple[str, ...]
    api_version: str
    singular: str  # `deployment.apps`, `pod`: kubectl's name printer
    resource: str  # `deployments.apps`, `pods`: API error messages


def kind_of(name: str) -> Kind:
    try:
        k, namespaced, plural, shorts, api_version, singular, resource = _native.kind_info(name)
    except KubesimError:
        raise Fail(f'error: the server doesn\'t have a resource type "{name}"') from None
    return Kind(k, namespaced, plural, tuple(shorts), api_version, singular, resource)


# upstream: the "all" category, in kubectl's printing order.
ALL_CATEGORY = (
    "pods",
    "services",
    "daemonsets",
    "deployments",
    "replicasets",
    "statefulsets",
    "horizontalpodautoscalers",
    "cronjobs",
    "jobs",
)


def targets(positional: list[str], command: str = "get") -> list[tuple[Kind, str | None]]:
    """`TYPE NAME…`, `TYPE/NAME…` or `TYPE[,TYPE…]` → [(kind, name or None)]."""
    if not positional:
        raise Fail(
            f'You must specify the type of resource to {command}. Use "kubectl api-resources" for a complete list '
            "of supported resources.\n\nerror: Required resource not specified.\n"
            'Use "kubectl explain <resource>" for a detailed description of that resource (e.g. kubectl explain '
            f"pods).\nSee 'kubectl {command} -h' for help and examples"
        )
    if "/" in positional[0]:
        out: list[tuple[Kind, str | None]] = []
        for p in positional:
            kind, slash, name = p.partition("/")
            if not slash or not name:
                raise Fail(
                    "error: there is no need to specify a resource type as a separate argument when "
                    "passing arguments in resource/name form (e.g. 'kubectl get resource/<resource_name>' "
                    "instead of 'kubectl get resource resource/<resource_name>'"
                )
            out.append((kind_of(kind), name))
        return out
    kinds = [kind_of(k) for t in positional[0].split(",") for k in (ALL_CATEGORY if t == "all" else (t,))]
    names = positional[1:]
    if any("/" in n for n in names):
        raise Fail(
            "error: there is no need to specify a resource type as a separate argument when passing "
            "arguments in resource/name form (e.g. 'kubectl get resource/<resource_name>' instead of "
            "'kubectl get resource resource/<resource_name>'"
        )
    if names:
        return [(k, n) for k in kinds for n in names]
    return [(k, None) for k in kinds]


def ns_for(kind: Kind, namespace: str) -> str:
    return namespace if kind.namespaced else ""
