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
    """Run each command (the line, or each non-empty line of the cell) and print kubectl's
    stdout and stderr, as a terminal would show them."""
    cluster, rest = _cluster(shell, line)
    commands = (
        [rest] if cell is None else [c for c in cell.splitlines() if c.strip() and not c.lstrip().startswith("#")]
    )
    for command in commands:
        if not shlex.split(command):
            continue
        result = cluster.kubectl(command, check=False)
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
