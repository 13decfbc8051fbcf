"""`kubectl scale` and `kubectl autoscale`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._base import Fail, Invocation, Out
from ._flags import dry_run, parse
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
        {"--replicas", "--current-replicas", "--resource-version", "--timeout", "--output", "--dry-run"},
        set(),
    )
    fmt, _ = output_format(a, ("name",))
    if a.value("--replicas") is None:
        raise Fail('error: required flag(s) "replicas" not set')
    replicas = a.int("--replicas", -1)
    if replicas < 0:
        raise Fail("error: The --replicas=COUNT flag is required, and COUNT must be greater than or equal to 0")
    current = a.int("--current-replicas", -1)
    for w in _workloads(c, a.positional, a.namespace, "scale"):
        if current >= 0 and current != w.replicas:
            raise Fail(f"error: Expected replicas to be {current}, was {w.replicas}")
        if dry_run(a):
            line = f"{w.kind.lower()}.apps/{w.name} scaled (dry run)"
        else:
            line = w.scale(replicas)
        o.out(f"{w.kind.lower()}.apps/{w.name}\n" if fmt == "name" else line + "\n")


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
