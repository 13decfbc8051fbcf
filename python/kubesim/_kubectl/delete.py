"""`kubectl delete`: by name, `-f`, `-l` or `--all`; it waits, in virtual time, until the objects are gone."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import NotFoundError, TimeoutError
from ._base import Fail, Invocation, Out
from ._flags import Args, parse
from ._manifests import documents
from ._printers import output_format
from ._resources import Kind, kind_of, ns_for, targets

if TYPE_CHECKING:
    from .._cluster import Cluster


def _delete(c: Cluster, args: Args, o: Out, stdin: str | None) -> None:
    fmt, _ = output_format(args, ("name",))
    selector = args.value("--selector") or ""
    namespace = args.namespace
    cascade = (args.value("--cascade") or "background").lower()
    if cascade in ("true", "false"):
        o.err(
            f"warning: --cascade={cascade} is deprecated (boolean value) and can be replaced with "
            f"--cascade={'background' if cascade == 'true' else 'orphan'}."
        )
        cascade = "background" if cascade == "true" else "orphan"
    if cascade not in ("background", "foreground", "orphan"):
        raise Fail(f'error: invalid cascade value ({cascade}). Must be "background", "foreground", or "orphan"')
    grace = args.int("--grace-period", -1)
    force = args.bool("--force")
    if args.bool("--now"):
        if grace != -1:
            raise Fail("error: --now and --grace-period cannot be specified together")
        grace = 1
    # upstream: --grace-period=0 means 1 unless forced; --force alone means 0.
    if grace == 0 and not force:
        grace = 1
    if force and grace < 0:
        grace = 0
    if force and grace == 0:
        o.err(
            "Warning: Immediate deletion does not wait for confirmation that the running resource has been "
            "terminated. The resource may continue to run on the cluster indefinitely."
        )
    if args.bool("--all") and selector:
        raise Fail("error: setting 'all' parameter but found a non empty selector. ")
    # upstream: with --all or -l, --ignore-not-found defaults to true (an object listed may be
    # gone by its turn: deleting a Deployment takes its ReplicaSets with it); an explicit
    # --ignore-not-found=false is kept.
    if args.value("--ignore-not-found") is None:
        ignore_not_found = args.bool("--all") or bool(selector)
    else:
        ignore_not_found = args.bool("--ignore-not-found")
    doomed: list[tuple[Kind, str, str]] = []
    if args.values("--filename"):
        for d, _ in documents(c, args, stdin):
            k = kind_of(d["kind"])
            doomed.append((k, d.get("metadata", {}).get("namespace") or ns_for(k, namespace), d["metadata"]["name"]))
    else:
        for k, n in targets(args.positional, "delete"):
            if n is not None:
                if selector:
                    raise Fail("error: name cannot be provided when a selector is specified")
                doomed.append((k, ns_for(k, namespace), n))
            elif selector or args.bool("--all"):
                doomed += [
                    (k, obj.namespace, obj.name)
                    for obj in c.list(k.kind, selector or None, ns_for(k, namespace) or None)
                ]
            else:
                raise Fail("error: resource(s) were provided, but no name was specified")
        if not doomed:
            o.out("No resources found\n")  # upstream: on stdout, unlike get's
            return
    waiting = []
    for k, ns, name in doomed:
        try:
            c.delete(k.kind, name, ns, propagation=cascade.capitalize(), grace_period=None if grace < 0 else grace)
        except NotFoundError as e:
            if not ignore_not_found:
                o.error(e)
            continue
        if fmt == "name":
            o.out(f"{k.singular}/{name}\n")
        else:
            o.out(f'{k.singular} "{name}" {"force deleted" if force and grace == 0 else "deleted"}\n')
        waiting.append((k, ns, name))
    if (args.value("--wait") or "true") == "true":
        # upstream: delete waits until the objects are gone (graceful termination, finalizers).
        def gone() -> bool:
            return not any(c._exists(k.kind, ns, n) for k, ns, n in waiting)

        try:
            c.run_until(
                gone, timeout=args.value("--timeout") if args.value("--timeout") not in (None, "0s", "0") else None
            )
        except TimeoutError:
            pass


def run(inv: Invocation, o: Out) -> None:
    args = parse(
        "delete",
        inv.argv,
        {"--filename", "--selector", "--cascade", "--grace-period", "--output", "--timeout"},
        {"--force", "--now", "--all", "--ignore-not-found", "--recursive", "--wait"},
    )
    _delete(inv.cluster, args, o, inv.stdin)
