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
    """The seed walkthrough: apply, roll out, set image, history, undo, scale — in virtual time.
    Lines under `$ kubectl …` are what kubectl prints; `>>>` lines show the Python handles."""
    c = Cluster(nodes=3, seed=0)
    out: list[str] = []

    def say(command: str, *lines: str) -> None:
        out.append(command if command.startswith(">>>") else f"$ {command}")
        out.extend(lines)
        out.append("")

    say(
        "kubectl apply -f examples/nginx-deployment.yaml",
        *(str(r) for r in c.apply(_example("nginx-deployment.yaml"))),
    )
    d = c.deployment("nginx-deployment")
    say("kubectl rollout status deployment.v1.apps/nginx-deployment", *d.rollout.status())
    say(
        ">>> d.replicasets()",
        *(f"{rs.name}  desired={rs.replicas} ready={rs.ready_replicas}" for rs in d.replicasets()),
    )
    say(
        ">>> d.pods()",
        *(f"{p.name}  {p.phase}  {','.join(f'{k}={v}' for k, v in sorted(p.labels.items()))}" for p in d.pods()),
    )
    say(
        "kubectl set image deployment/nginx-deployment nginx=nginx:1.9.1 --record",
        d.set_image(nginx="nginx:1.9.1", record=True),
    )
    say("kubectl rollout status deployment.v1.apps/nginx-deployment", *d.rollout.status())
    say(
        ">>> d.rollout.history()",
        *(f"{h.revision}  {h.change_cause or '<none>'}" for h in d.rollout.history()),
    )
    say("kubectl rollout undo deployment.v1.apps/nginx-deployment", d.rollout.undo())
    d.rollout.status()
    say("kubectl scale deployment.v1.apps/nginx-deployment --replicas=10", d.scale(10))
    c.run_until(lambda: d.available_replicas == 10, timeout="5m")
    say(
        ">>> d",
        f"{d.name}  ready={d.ready_replicas}/{d.replicas} up-to-date={d.updated_replicas} "
        f"available={d.available_replicas}",
    )
    say(
        "kubectl apply -f examples/redis-pod.yaml",
        *(str(r) for r in c.apply(_example("redis-pod.yaml"))),
    )
    pod = c.pod("redis-master")
    c.run_until(lambda: pod.ready, timeout="5m")
    say(
        ">>> c.events(pod)",
        *(f"{e.type:<8}{e.reason:<10}{e.message}" for e in c.events(pod)),
    )
    say("kubectl get pod redis-master -o yaml", pod.to_yaml().rstrip("\n"))
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
