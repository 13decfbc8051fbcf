"""The ``kubesim`` command (also ``python -m kubesim``)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from ._cluster import Cluster

EXAMPLES = Path(__file__).resolve().parent / "examples"


def _example(name: str) -> Path:
    """A seed manifest: from the package, or from a source checkout's examples/."""
    for base in (EXAMPLES, Path.cwd() / "examples"):
        if (base / name).is_file():
            return base / name
    raise SystemExit(f"kubesim: example manifest {name} not found")


def demo() -> str:
    """Apply the seed manifests to a fresh cluster, wait for the pod, and show what is stored."""
    c = Cluster(nodes=3, seed=0)
    lines: list[str] = []
    for name in ("nginx-deployment.yaml", "redis-pod.yaml"):
        lines.append(f"$ kubectl apply -f examples/{name}")
        lines.extend(str(r) for r in c.apply(_example(name)))
        lines.append("")
    pod = c.pod("redis-master")
    c.run_until(lambda: pod.ready, timeout="5m")
    lines.append(f"# {c.elapsed:g} s of virtual time later, redis-master is {pod.phase} on {pod.node}")
    for e in c.events(pod):
        lines.append(f"#   {e.type:<8}{e.reason:<10}{e.message}")
    lines.append("")
    for handle in (c.deployment("nginx-deployment"), pod):
        kind = handle.kind.lower()
        lines.append(f"$ kubectl get {kind} {handle.name} -o yaml")
        lines.append(handle.to_yaml().rstrip("\n"))
        lines.append("")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kubesim", description="A Kubernetes workload simulator.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("demo", help="apply the seed manifests and show what is stored")
    args = parser.parse_args(argv)
    if args.command == "demo":
        sys.stdout.write(demo() + "\n")
    return 0
