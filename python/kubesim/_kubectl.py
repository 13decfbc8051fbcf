"""`c.kubectl("…")`: kubectl's command line, run against the simulated cluster, printing what
kubectl prints. It covers get, describe pod, apply, delete, rollout, set image, scale and autoscale."""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass
from typing import TYPE_CHECKING

from . import _native
from .errors import KubectlError, KubesimError, NotFoundError

if TYPE_CHECKING:
    from ._cluster import Cluster

__all__ = ["KubectlResult", "run"]


@dataclass(frozen=True)
class KubectlResult:
    stdout: str
    stderr: str
    exit_code: int

    def __str__(self) -> str:
        return self.stdout

    def _repr_html_(self) -> str:
        """In a notebook: stdout as a terminal shows it, stderr in red, a non-zero exit code."""
        import html

        out = f"<pre>{html.escape(self.stdout)}</pre>" if self.stdout else ""
        err = f'<pre style="color:#b00">{html.escape(self.stderr)}</pre>' if self.stderr else ""
        code = f"<p><small>exit code {self.exit_code}</small></p>" if self.exit_code else ""
        return out + err + code or "<pre></pre>"


class _Fail(Exception):
    def __init__(self, stderr: str, stdout: str = "") -> None:
        super().__init__(stderr)
        self.stderr = stderr
        self.stdout = stdout


def _flags(args: list[str], with_value: set[str], boolean: set[str]) -> tuple[list[str], dict[str, list[str]]]:
    """Split positional arguments from flags (`-o wide`, `-owide`, `--output=wide`, `--record`)."""
    positional: list[str] = []
    flags: dict[str, list[str]] = {}
    i = 0
    while i < len(args):
        a = args[i]
        if a.startswith("-") and a != "-":
            name, eq, value = a.partition("=")
            if not eq and len(name) > 2 and not name.startswith("--") and name[:2] in with_value:
                name, value, eq = name[:2], name[2:], "="
            if name in boolean:
                flags.setdefault(name, []).append(value if eq else "true")
            elif name in with_value:
                if not eq:
                    i += 1
                    if i >= len(args):
                        raise _Fail(f"error: flag needs an argument: {name}")
                    value = args[i]
                flags.setdefault(name, []).append(value)
            else:
                raise _Fail(f"error: unknown flag: {name}")
        else:
            positional.append(a)
        i += 1
    return positional, flags


def _one(flags: dict[str, list[str]], *names: str) -> str | None:
    for n in names:
        if n in flags:
            return flags[n][-1]
    return None


def _resolve(kind: str) -> tuple[str, bool]:
    try:
        return _native.resolve_kind(kind)
    except KubesimError:
        raise _Fail(f'error: the server doesn\'t have a resource type "{kind}"') from None


def _targets(positional: list[str]) -> list[tuple[str, str | None]]:
    """`TYPE NAME…`, `TYPE/NAME…` or `TYPE[,TYPE]` → [(kind, name or None)]."""
    if not positional:
        raise _Fail("error: You must specify the type of resource to get.")
    if "/" in positional[0]:
        out: list[tuple[str, str | None]] = []
        for p in positional:
            kind, _, name = p.partition("/")
            out.append((_resolve(kind)[0], name))
        return out
    kinds = [_resolve(k)[0] for k in positional[0].split(",")]
    names = positional[1:]
    if names:
        return [(kinds[0], n) for n in names]
    return [(k, None) for k in kinds]


def _name(kind: str, name: str) -> str:
    qualified = {
        "Deployment": "deployment.apps",
        "ReplicaSet": "replicaset.apps",
        "HorizontalPodAutoscaler": "horizontalpodautoscaler.autoscaling",
    }
    return f"{qualified.get(kind, kind.lower())}/{name}"


def _get(c: Cluster, args: list[str]) -> str:
    positional, flags = _flags(
        args,
        {"-o", "--output", "-l", "--selector", "-L", "--label-columns", "-n", "--namespace"},
        {"--show-labels", "-A", "--all-namespaces"},
    )
    targets = _targets(positional)
    output = _one(flags, "-o", "--output") or ""
    selector = _one(flags, "-l", "--selector") or ""
    all_ns = "-A" in flags or "--all-namespaces" in flags
    namespace = None if all_ns else (_one(flags, "-n", "--namespace") or "default")
    label_columns = [k for v in flags.get("-L", []) + flags.get("--label-columns", []) for k in v.split(",")]
    kinds = list(dict.fromkeys(k for k, _ in targets))
    named = {k: [n for kk, n in targets if kk == k and n] for k in kinds}
    if output in ("yaml", "json", "name"):
        objs = []
        for k in kinds:
            if named[k]:
                objs += [c.get(k, n, namespace or "default") for n in named[k]]
            else:
                objs += c.list(k, selector or None, namespace)
        if output == "name":
            return "".join(f"{_name(o.kind, o.name)}\n" for o in objs)
        if output == "json":
            dicts = [o.to_dict() for o in objs]
            doc = (
                dicts[0]
                if len(dicts) == 1 and any(named.values())
                else {"apiVersion": "v1", "items": dicts, "kind": "List", "metadata": {"resourceVersion": ""}}
            )
            return json.dumps(doc, indent=4, sort_keys=True) + "\n"
        if len(objs) == 1 and any(named.values()):
            return objs[0].to_yaml()
        items = "".join("- " + "\n  ".join(o.to_yaml().rstrip("\n").split("\n")) + "\n" for o in objs)
        return f'apiVersion: v1\nitems:\n{items}kind: List\nmetadata:\n  resourceVersion: ""\n'
    if output not in ("", "wide"):
        raise _Fail(f'error: unable to match a printer suitable for the output format "{output}"')
    blocks = []
    for k in kinds:
        table = c._native.get_table(
            k, namespace, named[k], selector, output == "wide", "--show-labels" in flags, label_columns, len(kinds) > 1
        )
        if table:
            blocks.append(table)
    if not blocks:
        where = f" in {namespace} namespace" if namespace else ""
        raise _NoResources(f"No resources found{where}.")
    return "\n".join(blocks)


class _NoResources(Exception):
    """kubectl prints this on stderr and exits 0."""


def _deployment(c: Cluster, positional: list[str], namespace: str):
    targets = _targets(positional)
    kind, name = targets[0]
    if kind != "Deployment":
        raise _Fail(f"error: no status viewer has been implemented for {kind}.apps")
    if name is None:
        raise _Fail("error: required resource not specified")
    return c.deployment(name, namespace)


def _rollout(c: Cluster, args: list[str]) -> str:
    if not args:
        raise _Fail("error: Required resource not specified.")
    sub, rest = args[0], args[1:]
    positional, flags = _flags(
        rest, {"--timeout", "--revision", "--to-revision", "-n", "--namespace"}, {"--watch", "-w"}
    )
    d = _deployment(c, positional, _one(flags, "-n", "--namespace") or "default")
    name = f"deployment.apps/{d.name}"
    if sub == "status":
        from .errors import RolloutTimeoutError

        revision = _one(flags, "--revision")
        if _one(flags, "--watch", "-w") == "false":
            from ._rollout import status_message

            return status_message(d.to_dict())[0] + "\n"
        try:
            msgs = d.rollout.status(timeout=_one(flags, "--timeout"), revision=int(revision) if revision else None)
        except RolloutTimeoutError as e:
            raise _Fail(f"error: {e}", stdout="".join(f"{m}\n" for m in (e.messages or []))) from None
        return "".join(f"{m}\n" for m in msgs)
    if sub == "history":
        history = d.rollout.history()
        if not history:
            return f"{name} \nNo rollout history found.\n"
        width = max(len("REVISION"), *(len(str(h.revision)) for h in history)) + 2
        rows = [f"{'REVISION'.ljust(width)}CHANGE-CAUSE"] + [
            f"{str(h.revision).ljust(width)}{h.change_cause or '<none>'}" for h in history
        ]
        return f"{name} \n" + "\n".join(rows) + "\n\n"
    if sub == "undo":
        to = _one(flags, "--to-revision")
        return d.rollout.undo(int(to) if to else None) + "\n"
    if sub in ("pause", "resume", "restart"):
        return getattr(d.rollout, sub)() + "\n"
    raise _Fail(f'error: unknown command "{sub}" for "kubectl rollout"')


def run(c: Cluster, command: str) -> KubectlResult:
    try:
        args = shlex.split(command)
    except ValueError as e:
        return KubectlResult("", f"error: {e}\n", 1)
    if args and args[0] == "kubectl":
        args = args[1:]
    if not args:
        return KubectlResult("", "error: no command given\n", 1)
    verb, rest = args[0], args[1:]
    stderr = ""
    try:
        if verb == "get":
            out = _get(c, rest)
        elif verb == "apply" or verb == "create":
            positional, flags = _flags(rest, {"-f", "--filename"}, {"-R", "--recursive"})
            out = "".join(f"{r}\n" for src in flags.get("-f", []) + flags.get("--filename", []) for r in c.apply(src))
        elif verb == "delete":
            positional, flags = _flags(rest, {"-n", "--namespace", "--cascade", "--grace-period"}, {"--force"})
            ns = _one(flags, "-n", "--namespace") or "default"
            lines = []
            for kind, name in _targets(positional):
                if name is None:
                    raise _Fail("error: resource(s) were provided, but no name was specified")
                cascade = (_one(flags, "--cascade") or "background").capitalize()
                grace = _one(flags, "--grace-period")
                c.delete(kind, name, ns, propagation=cascade, grace_period=int(grace) if grace else None)
                resource, _, short = _name(kind, name).partition("/")
                lines.append(f'{resource} "{short}" deleted\n')
            out = "".join(lines)
        elif verb == "describe":
            positional, flags = _flags(rest, {"-n", "--namespace"}, set())
            ns = _one(flags, "-n", "--namespace") or "default"
            parts = []
            for kind, name in _targets(positional):
                if kind != "Pod" or name is None:
                    raise _Fail(f"error: describe is only built for pods so far in kubesim, not {kind}")
                parts.append(c._native.describe_pod(ns, name))
            out = "\n\n".join(parts)
        elif verb == "rollout":
            out = _rollout(c, rest)
        elif verb == "set" and rest[:1] == ["image"]:
            positional, flags = _flags(rest[1:], {"-n", "--namespace"}, {"--record"})
            targets = [p for p in positional if "=" not in p]
            images = dict(p.split("=", 1) for p in positional if "=" in p)
            d = _deployment(c, targets, _one(flags, "-n", "--namespace") or "default")
            record = "--record" in flags
            if record:
                stderr += "Flag --record has been deprecated, --record will be removed in the future\n"
            line = d.set_image(record=record, **images)
            out = f"{line}\n" if line else ""
        elif verb == "autoscale":
            positional, flags = _flags(rest, {"--min", "--max", "--cpu-percent", "-n", "--namespace", "--name"}, set())
            d = _deployment(c, positional, _one(flags, "-n", "--namespace") or "default")
            mx, mn, cpu = _one(flags, "--max"), _one(flags, "--min"), _one(flags, "--cpu-percent")
            d.autoscale(min=int(mn) if mn else None, max=int(mx) if mx else 0, cpu_percent=int(cpu) if cpu else None)
            out = f"horizontalpodautoscaler.autoscaling/{d.name} autoscaled\n"
        elif verb == "scale":
            positional, flags = _flags(rest, {"--replicas", "-n", "--namespace", "--current-replicas"}, set())
            replicas = _one(flags, "--replicas")
            if replicas is None or int(replicas) < 0:
                raise _Fail(
                    "error: The --replicas=COUNT flag is required, and COUNT must be greater than or equal to 0"
                )
            d = _deployment(c, positional, _one(flags, "-n", "--namespace") or "default")
            current = _one(flags, "--current-replicas")
            if current is not None and int(current) != d.replicas:
                raise _Fail(f"error: Expected replicas to be {current}, was {d.replicas}")
            out = d.scale(int(replicas)) + "\n"
        else:
            raise _Fail(f'error: unknown command "{verb}" for "kubectl"')
    except _NoResources as e:
        return KubectlResult("", f"{e}\n", 0)
    except _Fail as e:
        return KubectlResult(e.stdout, stderr + e.stderr + "\n", 1)
    except NotFoundError as e:
        return KubectlResult("", f"{stderr}Error from server (NotFound): {e}\n", 1)
    except KubesimError as e:
        return KubectlResult("", f"{stderr}error: {e}\n", 1)
    return KubectlResult(out, stderr, 0)


def raise_for(result: KubectlResult) -> None:
    if result.exit_code != 0:
        raise KubectlError(
            result.stderr.rstrip("\n"), stdout=result.stdout, stderr=result.stderr, exit_code=result.exit_code
        )
