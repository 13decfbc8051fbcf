"""`kubectl rollout status|history|undo|restart daemonset/NAME|statefulset/NAME`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import InvalidArgumentError, RolloutTimeoutError
from ._base import Fail, Out
from ._flags import Args, dry_run
from ._printers import OBJECT_FORMATS, output_format, print_objects

if TYPE_CHECKING:
    from .._apps import DaemonSet, StatefulSet
    from .._cluster import Cluster


def rollout_one(c: Cluster, sub: str, a: Args, ds: DaemonSet | StatefulSet, o: Out) -> None:
    name = f"{ds.kind.lower()}.apps/{ds.name}"
    if sub == "status":
        from .._rollout_apps import status_message

        try:
            if a.value("--watch") == "false":
                o.out(status_message(ds.to_dict())[0] + "\n")
                return
            msgs = ds.rollout.status(timeout=a.value("--timeout"))
        except InvalidArgumentError as e:
            raise Fail(f"error: {e}") from None
        except RolloutTimeoutError as e:
            raise Fail(f"error: {e}", stdout="".join(f"{m}\n" for m in (e.messages or []))) from None
        o.out("".join(f"{m}\n" for m in msgs))
    elif sub == "history":
        history = ds.rollout.history()
        revision = a.int("--revision", 0)
        fmt, arg = output_format(a, OBJECT_FORMATS)
        if not history:
            o.out(f"{name} \nNo rollout history found.\n")
            return
        if revision:
            match = [h for h in history if h.revision == revision]
            if not match:
                raise Fail("error: unable to find the specified revision")
            if fmt:
                o.out(
                    print_objects(
                        [c.get("controllerrevision", match[0].replicaset, ds.namespace).to_dict()], fmt, arg, True
                    )
                )
                return
            template = c._native.describe_template(ds.namespace, match[0].replicaset, "ControllerRevision")
            o.out(f"{name} with revision #{revision}\n{template}\n")
            return
        if fmt:
            objs = [c.get("controllerrevision", h.replicaset, ds.namespace).to_dict() for h in history]
            o.out(print_objects(objs, fmt, arg, False))
            return
        width = max(len("REVISION"), *(len(str(h.revision)) for h in history)) + 2
        rows = [f"{'REVISION'.ljust(width)}CHANGE-CAUSE"] + [
            f"{str(h.revision).ljust(width)}{h.change_cause or '<none>'}" for h in history
        ]
        o.out(f"{name} \n" + "\n".join(rows) + "\n\n")
    elif sub == "undo":
        to = a.int("--to-revision", 0)
        try:
            out = ds.rollout.undo(to or None, dry_run=dry_run(a))
        except InvalidArgumentError as e:
            raise Fail(f"error: {e}") from None
        o.out(out if out.endswith("\n") else out + "\n")
    else:
        fmt, _ = output_format(a, ("name",))
        line = ds.rollout.restart(dry_run=dry_run(a))
        o.out(f"{name}\n" if fmt == "name" else line + "\n")
