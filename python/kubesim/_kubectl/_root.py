"""The `kubectl` root command: global flags, finding the verb as cobra does, and kubectl's
answers to unknown commands."""

from __future__ import annotations

import shlex
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import KubectlError, KubesimError
from . import (
    apply,
    create,
    delete,
    describe,
    drain,
    edit,
    expose,
    get,
    label,
    node,
    patch,
    rollout,
    scale,
    top,
    version,
    wait,
)
from . import exec as exec_
from . import run as run_
from . import set as set_
from ._base import Fail, Invocation, KubectlResult, Out, not_modelled
from ._flags import find_command, parse

if TYPE_CHECKING:
    from .._cluster import Cluster
    from .._time import Duration

# upstream: the commands in the order `kubectl` registers them (its help groups, then the
# others); cobra suggests in this order. Each maps to the module that runs it, or to None for
# a verb kubesim does not model.
COMMANDS: dict[str, Callable[[Invocation, Out], None] | None] = {
    "create": create.run,
    "expose": expose.run,
    "run": run_.run,
    "set": set_.run,
    "explain": None,
    "get": get.run,
    "edit": edit.run_edit,
    "delete": delete.run,
    "rollout": rollout.run,
    "scale": scale.run,
    "autoscale": scale.run,
    "certificate": None,
    "cluster-info": None,
    "top": top.run,
    "cordon": node.run_cordon,
    "uncordon": node.run_cordon,
    "drain": drain.run,
    "taint": node.run_taint,
    "describe": describe.run,
    "logs": exec_.run_logs,
    "attach": None,
    "exec": exec_.run_exec,
    "port-forward": None,
    "proxy": None,
    "cp": None,
    "auth": None,
    "debug": None,
    "events": None,
    "diff": None,
    "apply": apply.run,
    "patch": patch.run,
    "replace": None,
    "wait": wait.run,
    "kustomize": None,
    "label": label.run,
    "annotate": label.run,
    "completion": None,
    "api-resources": version.run,
    "api-versions": None,
    "config": None,
    "plugin": None,
    "version": version.run,
    "options": None,
}

# Subcommands, as cobra finds them (`set image`, `rollout status`, `create deployment`).
_ROLLOUT = ("history", "pause", "restart", "resume", "status", "undo")
SUBCOMMANDS: dict[str, dict[str, dict[str, object]]] = {
    "set": {s: {} for s in ("env", "image", "resources", "selector", "serviceaccount", "subject")},
    "rollout": {s: {} for s in _ROLLOUT},
    "top": {s: {} for s in ("node", "nodes", "no", "pod", "pods", "po")},
    "create": {
        s: {}
        for s in (
            "clusterrole",
            "clusterrolebinding",
            "configmap",
            "cm",
            "cronjob",
            "cj",
            "deployment",
            "deploy",
            "ingress",
            "ing",
            "job",
            "namespace",
            "ns",
            "poddisruptionbudget",
            "pdb",
            "priorityclass",
            "pc",
            "quota",
            "resourcequota",
            "role",
            "rolebinding",
            "secret",
            "service",
            "svc",
            "serviceaccount",
            "sa",
            "token",
        )
    },
}
TREE: dict[str, dict[str, object]] = {verb: dict(SUBCOMMANDS.get(verb, {})) for verb in COMMANDS}
# `create secret generic`, `create service clusterip`: a third level.
TREE["create"]["secret"] = {s: {} for s in ("docker-registry", "generic", "tls")}
TREE["create"]["service"] = TREE["create"]["svc"] = {
    s: {} for s in ("clusterip", "externalname", "loadbalancer", "nodeport")
}

HELP = (Path(__file__).resolve().parent / "help.txt").read_text(encoding="utf-8")


def _levenshtein(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def _unknown_command(word: str) -> Fail:
    # upstream: cobra's SuggestionsFor — distance at most 2 (case-insensitive) or a prefix.
    w = word.lower()
    near = [name for name in COMMANDS if _levenshtein(w, name) <= 2 or name.startswith(w)]
    text = f'error: unknown command "{word}" for "kubectl"'
    if near:
        text += "\n\nDid you mean this?\n" + "".join(f"\t{name}\n" for name in near).rstrip("\n")
    return Fail(text)


def _dispatch(
    c: Cluster,
    args: list[str],
    stdin: str | None,
    watch_for: Duration | None,
    o: Out,
    editor: Callable[[str], str] | str | None = None,
) -> None:
    path, rest, words = find_command(args, TREE)
    if not path:
        if not words:
            # upstream: `kubectl` (or only global flags) prints the help and exits 0; the flags
            # are still parsed, so a bad one is still an error.
            parse("", rest, set(), set())
            o.out(HELP)
            return
        # upstream: kubectl looks for a plugin first, and a flag before its name is an error.
        if args[0].startswith("-"):
            raise Fail(f"Error: flags cannot be placed before plugin name: {args[0]}")
        raise _unknown_command(words[0])
    verb = path[0]
    module = COMMANDS[verb]
    if module is None:
        raise not_modelled(f"kubectl {verb}")
    module(Invocation(c, path, rest, stdin, watch_for, editor), o)


def run(
    c: Cluster,
    command: str | list[str],
    stdin: str | None = None,
    watch_for: Duration | None = None,
    sink: Callable[[str, str], None] | None = None,
    editor: Callable[[str], str] | str | None = None,
) -> KubectlResult:
    """Run one kubectl command line against ``c``; ``sink`` also receives each write as it
    happens (the `kubesim` command streams a watch through it); ``editor`` is what `edit` opens."""
    try:
        args = shlex.split(command) if isinstance(command, str) else list(command)
    except ValueError as e:
        return KubectlResult("", f"error: {e}\n", 1)
    if args and args[0] == "kubectl":
        args = args[1:]
    o = Out(sink)
    try:
        _dispatch(c, args, stdin, watch_for, o, editor)
    except Fail as e:
        o.out(e.stdout)
        o.error(e)
    except KubesimError as e:
        o.error(e)
    return o.result()


def raise_for(result: KubectlResult) -> None:
    if result.exit_code != 0:
        raise KubectlError(
            result.stderr.rstrip("\n"), stdout=result.stdout, stderr=result.stderr, exit_code=result.exit_code
        )


__all__ = ["COMMANDS", "raise_for", "run"]
