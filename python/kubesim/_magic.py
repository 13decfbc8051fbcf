"""``%kubectl`` and ``%%kubectl``: kubectl command lines in IPython, against the cluster created
last (or the one named with ``--cluster=NAME``, a variable of the notebook)."""

from __future__ import annotations

import shlex
import sys
from typing import Any

__all__ = ["kubectl_magic", "load_ipython_extension"]


def _cluster(shell: Any, line: str) -> tuple[Any, str]:
    """Split ``--cluster=NAME`` / ``--cluster NAME`` off the front of the line."""
    from ._cluster import Cluster, last_created

    name = None
    rest = line.strip()
    if rest.startswith("--cluster"):
        head, _, tail = rest.partition(" ")
        if "=" in head:
            name, rest = head.split("=", 1)[1], tail
        else:
            name, _, rest = tail.strip().partition(" ")
    if name is not None:
        cluster = (shell.user_ns if shell is not None else {}).get(name)
        if not isinstance(cluster, Cluster):
            raise NameError(f"--cluster={name}: no kubesim.Cluster named {name!r} in the notebook")
        return cluster, rest
    cluster = last_created()
    if cluster is None:
        raise NameError("%kubectl: no kubesim.Cluster has been created yet (kubesim.Cluster(...))")
    return cluster, rest


def kubectl_magic(line: str, cell: str | None = None, shell: Any = None) -> None:
    """Run kubectl and print its stdout and stderr, as a terminal would show them.

    ``%kubectl get pods`` runs the line. ``%%kubectl`` with arguments on its line runs that one
    command with the cell body as standard input (``%%kubectl apply -f -`` and a manifest, as
    ``kubectl apply -f - <<EOF`` in a shell); ``%%kubectl`` alone runs each non-empty, non-``#``
    line of the cell as a command."""
    cluster, rest = _cluster(shell, line)
    stdin: str | None = None
    if cell is None or shlex.split(rest):
        commands = [rest]
        stdin = cell
    else:
        commands = [c for c in cell.splitlines() if c.strip() and not c.lstrip().startswith("#")]
    for command in commands:
        if not shlex.split(command):
            continue
        result = cluster.kubectl(command, check=False, input=stdin)
        if result.stdout:
            sys.stdout.write(result.stdout)
            sys.stdout.flush()
        if result.stderr:
            sys.stderr.write(result.stderr)
            sys.stderr.flush()


def load_ipython_extension(ipython: Any) -> None:
    def kubectl(line: str, cell: str | None = None) -> None:
        kubectl_magic(line, cell, shell=ipython)

    kubectl.__doc__ = kubectl_magic.__doc__
    ipython.register_magic_function(kubectl, magic_kind="line_cell", magic_name="kubectl")
