"""`kubectl rollout status|history|undo|pause|resume|restart`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import RolloutTimeoutError
from ._base import Fail, Invocation, Out, usage_error
from ._flags import Args, dry_run, parse
from ._printers import OBJECT_FORMATS, output_format, print_objects
from ._resources import ns_for, targets

if TYPE_CHECKING:
    from .._apps import DaemonSet, StatefulSet
    from .._cluster import Cluster
    from .._handles import Deployment


def _deployments(
    c: Cluster, positional: list[str], namespace: str, command: str
) -> list[Deployment | DaemonSet | StatefulSet]:
    """The Deployments a rollout or set image command names (kubectl visits each in turn)."""
    out: list[Deployment | DaemonSet | StatefulSet] = []
    for kind, name in targets(positional, command):
        if name is None:
            raise Fail("error: required resource not specified")
        if kind.kind in ("DaemonSet", "StatefulSet") and command in (
            "rollout status",
            "rollout history",
            "rollout undo",
            "rollout restart",
        ):
            out.append(c.get(kind.kind, name, ns_for(kind, namespace)))  # type: ignore[arg-type]
            continue
        if kind.kind != "Deployment":
            c.get(kind.kind, name, ns_for(kind, namespace))  # NotFound first, as the server answers
            group = kind.api_version.split("/")[0] if "/" in kind.api_version else ""
            group_kind = f"{kind.kind}{'.' + group if group else ''}"
            # upstream: polymorphichelpers — only Deployments, DaemonSets and StatefulSets roll out
            # (kubesim serves Deployments of those); the other kinds get each helper's own error.
            messages = {
                "rollout status": f"no status viewer has been implemented for {group_kind}",
                "rollout history": f'no history viewer has been implemented for "{group_kind}"',
                "rollout undo": f'no rollbacker has been implemented for "{group_kind}"',
            }
            doing = {"rollout pause": "pausing", "rollout resume": "resuming", "rollout restart": "restarting"}
            default = f'{kind.resource} "{name}" {doing.get(command, command)} is not supported'
            raise Fail(f"error: {messages.get(command, default)}")
        out.append(c.deployment(name, namespace))
    return out


def _rollout(c: Cluster, args: list[str], o: Out) -> None:
    if not args:
        raise Fail("error: Required resource not specified.")
    sub, rest = args[0], args[1:]
    if sub not in ("status", "history", "undo", "pause", "resume", "restart"):
        raise usage_error("rollout", f'unknown command "{" ".join(parse("rollout", args, set(), set()).positional)}"')
    a = parse(
        f"rollout {sub}",
        rest,
        {"--timeout", "--revision", "--to-revision", "--output", "--selector", "--dry-run"},
        {"--watch"} if sub == "status" else set(),
    )
    for d in _deployments(c, a.positional, a.namespace, f"rollout {sub}"):
        _rollout_one(c, sub, a, d, o)


def _rollout_one(c: Cluster, sub: str, a: Args, d: Deployment | DaemonSet | StatefulSet, o: Out) -> None:
    from .. import _apps

    if isinstance(d, (_apps.DaemonSet, _apps.StatefulSet)):
        from .rollout_apps import rollout_one

        rollout_one(c, sub, a, d, o)
        return
    name = f"deployment.apps/{d.name}"
    if sub == "status":
        revision = a.int("--revision", 0)
        if revision < 0:
            raise Fail(f"error: revision must be a positive integer: {revision}")
        if a.value("--watch") == "false":
            from .._rollout import status_message

            message, _, failed = status_message(d.to_dict())
            if failed:
                raise Fail(f"error: {message}")
            o.out(message + "\n")
            return
        try:
            msgs = d.rollout.status(timeout=a.value("--timeout"), revision=revision or None)
        except RolloutTimeoutError as e:
            raise Fail(f"error: {e}", stdout="".join(f"{m}\n" for m in (e.messages or []))) from None
        o.out("".join(f"{m}\n" for m in msgs))
    elif sub == "history":
        history = d.rollout.history()
        revision = a.int("--revision", 0)
        fmt, arg = output_format(a, OBJECT_FORMATS)
        if revision:
            match = [h for h in history if h.revision == revision]
            if not match:
                raise Fail("error: unable to find the specified revision")
            if fmt:
                o.out(print_objects([c.replicaset(match[0].replicaset, d.namespace).to_dict()], fmt, arg, True))
                return
            template = c._native.describe_template(d.namespace, match[0].replicaset)
            o.out(f"{name} with revision #{revision}\n{template}\n")
            return
        if fmt:
            o.out(print_objects([c.replicaset(h.replicaset, d.namespace).to_dict() for h in history], fmt, arg, False))
            return
        if not history:
            o.out(f"{name} \nNo rollout history found.\n")
            return
        width = max(len("REVISION"), *(len(str(h.revision)) for h in history)) + 2
        rows = [f"{'REVISION'.ljust(width)}CHANGE-CAUSE"] + [
            f"{str(h.revision).ljust(width)}{h.change_cause or '<none>'}" for h in history
        ]
        o.out(f"{name} \n" + "\n".join(rows) + "\n\n")
    elif sub == "undo":
        is_dry_run = dry_run(a)
        to = a.int("--to-revision", 0)
        if to < 0:
            raise Fail(f"error: unable to find specified revision {to} in history")
        out = d.rollout.undo(to or None, dry_run=is_dry_run)
        o.out(out if out.endswith("\n") else out + "\n")
    else:
        fmt, _ = output_format(a, ("name",))
        line = getattr(d.rollout, sub)(dry_run=dry_run(a))
        o.out(f"{name}\n" if fmt == "name" else line + "\n")


def run(inv: Invocation, o: Out) -> None:
    _rollout(inv.cluster, inv.path[1:] + inv.argv, o)
