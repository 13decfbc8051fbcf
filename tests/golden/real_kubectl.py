"""Where the upstream kubectl 1.32 client is, and how to run it offline the way the recordings
were made: as `kubectl` (some messages print the program's name), with an empty HOME and a
kubeconfig that does not exist, so nothing on the machine changes what it prints.

The `kubectl` on PATH may be the Google Cloud SDK dispatcher, which words flag errors
`Error:` where the upstream client prints `error:` (kubectl-everyday.md §1.4); the SDK ships
the upstream client beside it as `kubectl.1.32`. `KUBECTL_1_32=/path` overrides the search."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import tempfile
from pathlib import Path


def find() -> Path | None:
    explicit = os.environ.get("KUBECTL_1_32")
    if explicit:
        return Path(explicit)
    for name in ("kubectl.1.32", "kubectl"):
        found = shutil.which(name)
        if found is None:
            continue
        path = Path(found).resolve()
        sibling = path.parent / "kubectl.1.32"
        for candidate in (sibling, path):
            if candidate.is_file() and _is_upstream_1_32(candidate):
                return candidate
    return None


def _is_upstream_1_32(path: Path) -> bool:
    out = subprocess.run([str(path), "version", "--client"], capture_output=True, text=True, check=False).stdout
    return "Client Version: v1.32." in out and "dispatcher" not in out


def run(binary: Path, command: str, cwd: Path, stdin: str | None = None) -> tuple[str, str, int]:
    with tempfile.TemporaryDirectory() as home:
        link = Path(home) / "bin" / "kubectl"
        link.parent.mkdir()
        link.symlink_to(binary)
        env = {"HOME": home, "KUBECONFIG": str(Path(home) / "none"), "PATH": os.environ.get("PATH", "")}
        r = subprocess.run(
            [str(link), *shlex.split(command)],
            capture_output=True,
            text=True,
            cwd=cwd,
            env=env,
            input=stdin,
            check=False,
        )
    return r.stdout, r.stderr, r.returncode
