"""`kubectl scale` and `kubectl autoscale`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import NotFoundError
from ._base import Fail, Invocation, Out
from ._flags import dry_run_suffix, parse
from ._printers import output_format
from ._resources import ns_for, targets

if TYPE_CHECKING:
    from .._cluster import Cluster


def _workloads(c: Cluster, positional: list[str], namespace: str, command: str) -> list[Any]:
    """The Deployments and ReplicaSets a scale/autoscale command names."""
    out = []
    for kind, name in targets(positional, command):
        if name is None:
            raise Fail("error: resource(s) were provided, but no name was specified")
        if kind.kind not in ("Deployment", "ReplicaSet"):
            c.get(kind.kind, name, ns_for(kind, namespace))  # NotFound first, as the server answers
            if command == "autoscale":
                raise Fail(f'error: cannot autoscale a {kind.kind}: {kind.resource} "{name}" is not scalable')
            raise Fail("Error from server (NotFound): the server could not find the requested resource")
        out.append(c.get(kind.kind, name, namespace))
    return out


def _scale(c: Cluster, rest: list[str], o: Out) -> None:
    a = parse(
        "scale",
        rest,
        {"--replicas", "--current-replicas", "--resource-version", "--timeout", "--output", "--dry-run", "--selector"},
        {"--all"},
    )
    fmt, _ = output_format(a, ("name",))
    if a.value("--replicas") is None:
        raise Fail('error: required flag(s) "replicas" not set')
    replicas = a.int("--replicas", -1)
    if replicas < 0:
        raise Fail("error: The --replicas=COUNT flag is required, and COUNT must be greater than or equal to 0")
    current = a.int("--current-replicas", -1)
    selector = a.value("--selector")
    if a.bool("--all") and selector:
        raise Fail("error: setting 'all' parameter but found a non empty selector. ")
    workloads: list[Any] = []
    for kind, name in targets(a.positional, "scale"):
        if name is not None:
            try:
                workloads += _workloads(c, [f"{kind.plural}/{name}"], a.namespace, "scale")
            except NotFoundError as e:
                # upstream: the builder's error, run into scale's own message
                raise Fail(f"error: no objects passed to scale {e}") from None
        elif a.bool("--all") or selector is not None:
            if kind.kind not in ("Deployment", "ReplicaSet"):
                raise Fail("Error from server (NotFound): the server could not find the requested resource")
            workloads += c.list(kind.kind, selector or None, ns_for(kind, a.namespace))
        else:
            raise Fail("error: resource(s) were provided, but no name was specified")
    if not workloads:
        raise Fail("error: no objects passed to scale")
    suffix = dry_run_suffix(a)
    # upstream: a --current-replicas precondition is checked for every object before any is scaled
    for w in workloads:
        if current >= 0 and current != w.replicas:
            raise Fail(f"error: Expected replicas to be {current}, was {w.replicas}")
    for w in workloads:
        name = f"{w.kind.lower()}.apps/{w.name}"
        if not suffix:
            w.scale(replicas)
        o.out(f"{name}\n" if fmt == "name" else f"{name} scaled{suffix}\n")


def _autoscale(c: Cluster, rest: list[str], o: Out) -> None:
    a = parse("autoscale", rest, {"--min", "--max", "--cpu-percent", "--name", "--output"}, set())
    fmt, _ = output_format(a, ("name",))
    if a.value("--max") is None:
        # kubectl 1.32 logs this through klog (with a timestamp and pid); the text is the same.
        raise Fail('error: required flag(s) "max" not set')
    mn, mx, cpu = a.int("--min", -1), a.int("--max", -1), a.int("--cpu-percent", -1)
    for w in _workloads(c, a.positional, a.namespace, "autoscale"):
        hpa = w.autoscale(
            min=mn if mn > 0 else None, max=max(mx, 0), cpu_percent=cpu if cpu >= 0 else None, name=a.value("--name")
        )
        name = f"horizontalpodautoscaler.autoscaling/{hpa.name}"
        o.out(f"{name}\n" if fmt == "name" else f"{name} autoscaled\n")


def run(inv: Invocation, o: Out) -> None:
    (_scale if inv.path[0] == "scale" else _autoscale)(inv.cluster, inv.argv, o)
