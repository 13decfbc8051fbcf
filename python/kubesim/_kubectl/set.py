"""`kubectl set image`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._base import Fail, Invocation, Out, not_modelled, usage_error
from ._flags import dry_run, parse
from ._printers import output_format
from .rollout import _deployments

if TYPE_CHECKING:
    from .._cluster import Cluster


def _set_image(c: Cluster, rest: list[str], o: Out) -> None:
    a = parse("set image", rest, {"--selector", "--output", "--dry-run"}, {"--record", "--all", "--local"})
    if a.bool("--local"):
        raise Fail("error: kubesim does not model set image --local (editing files without a cluster)")
    fmt, _ = output_format(a, ("name",))
    targets = [p for p in a.positional if "=" not in p]
    images = dict(p.split("=", 1) for p in a.positional if "=" in p)
    if not images:
        raise Fail("error: at least one image update is required")
    record = a.bool("--record")
    if "--record" in a.flags:
        o.err("Flag --record has been deprecated, --record will be removed in the future")
    # upstream: --record stores the command line with the flags re-rendered as --name=value.
    cause = " ".join(["kubectl", "set", "image", *a.positional, "--record=true"]) if record else None
    from .._rollout import set_image

    for d in _deployments(c, targets, a.namespace, "set image"):
        line = set_image(d, images, record=record, cause=cause, dry_run=dry_run(a))
        if line:
            o.out(f"deployment.apps/{d.name}\n" if fmt == "name" else f"{line}\n")


def run(inv: Invocation, o: Out) -> None:
    if len(inv.path) < 2:
        # upstream: `set` without a known subcommand rejects the first argument (its flags parsed first)
        a = parse("set", inv.argv, set(), set())
        raise usage_error("set", f'unknown command "{" ".join(a.positional)}"')
    if inv.path[1] != "image":
        raise not_modelled(f"kubectl set {inv.path[1]}")
    _set_image(inv.cluster, inv.argv, o)
