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


SEED = [
    "kubectl apply -f examples/nginx-deployment.yaml",
    "kubectl get deployments",
    "kubectl rollout status deployment.v1.apps/nginx-deployment",
    "kubectl get rs",
    "kubectl get pods --show-labels",
    "kubectl set image deployment/nginx-deployment nginx=nginx:1.9.1 --record",
    "kubectl rollout status deployment.v1.apps/nginx-deployment",
    "kubectl rollout history deployment.v1.apps/nginx-deployment",
    "kubectl rollout undo deployment.v1.apps/nginx-deployment",
    "kubectl rollout status deployment.v1.apps/nginx-deployment",
    "kubectl scale deployment.v1.apps/nginx-deployment --replicas=10",
    "kubectl get deployments",
    "kubectl apply -f examples/redis-pod.yaml",
    "kubectl get pods -o wide",
    "kubectl autoscale deployment.v1.apps/nginx-deployment --min=10 --max=15 --cpu-percent=80",
    "kubectl get hpa",
    "kubectl describe pod redis-master",
]


def demo() -> str:
    """The seed walkthrough as kubectl commands, each with what kubectl prints, in virtual time
    (a user reading the output between commands is modelled as 30 s)."""
    c = Cluster(nodes=3, seed=0)
    out: list[str] = []
    for command in SEED:
        if " -f examples/" in command:
            command_run = command.replace("examples/", f"{_example(command.rsplit('/', 1)[1]).parent}/")
        else:
            command_run = command
        result = c.kubectl(command_run, check=False)
        out.append(f"$ {command}")
        text = result.stderr + result.stdout  # kubectl warns before it prints
        out.append(text.rstrip("\n"))
        out.append("")
        c.advance("30s")
    out.append(f"# {c.elapsed:g} s of virtual time")
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kubesim", description="A Kubernetes workload simulator.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("demo", help="apply the seed manifests and show what is stored")
    args = parser.parse_args(argv)
    if args.command == "demo":
        sys.stdout.write(demo() + "\n")
    return 0
