"""The ``kubesim`` command (also ``python -m kubesim``).

``kubesim demo`` narrates the seed walkthrough. ``kubesim kubectl …`` runs one kubectl command
against a cluster saved on disk (created on first use), so a tutorial can be followed line by
line in a shell; ``kubesim advance 30s`` moves its virtual time."""

from __future__ import annotations

import argparse
import datetime
import pickle
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ._cluster import Cluster
from ._native import __version__
from ._time import to_ms
from .errors import InvalidArgumentError, KubesimError

EXAMPLES = Path(__file__).resolve().parent / "examples"
DEFAULT_STATE = Path(".kubesim") / "cluster"
_STATE_FORMAT = "kubesim-state/1"

SEED = [
    "kubectl apply -f https://k8s.io/examples/controllers/nginx-deployment.yaml",
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

KUBECTL_HELP = """kubesim kubectl runs one kubectl command against a saved, simulated cluster.

Usage: kubesim kubectl [--state PATH] [--clock wall|manual] [--for DURATION] COMMAND [ARGS...]

Commands: get (also -w), describe, apply, create, delete, label, annotate, rollout (status,
history, undo, pause, resume, restart), set image|env|resources, scale, autoscale, patch, run,
expose, cordon, uncordon, taint, drain, top, wait, version, api-resources. kubectl's global
flags (-n, --context, ...) go anywhere.

--state PATH   the saved cluster (default .kubesim/cluster; a 3-node cluster is made on first use)
--clock wall   virtual time also advances by the wall time between commands (the default)
--clock manual virtual time advances only by `kubesim advance DURATION`; the mode is remembered
--for DURATION how long `get -w` watches, in virtual time (it prints what kubectl would have printed);
               without it, in wall mode, the watch follows the wall clock until Ctrl-C
"""

# A user reads the output and types the next command: one virtual second.
THINK_TIME = "1s"


def _local_example(command: str) -> str:
    """`-f examples/X` names the bundled copy, so the demo runs from any directory."""
    return command.replace(" -f examples/", f" -f {EXAMPLES}/")


def demo() -> str:
    """The seed walkthrough as kubectl commands, each with what kubectl prints, in virtual time."""
    c = Cluster(nodes=3, seed=0)
    out: list[str] = []
    for command in SEED:
        result = c.kubectl(_local_example(command), check=False)
        # As a terminal shows it: the command, then stderr and stdout exactly (kubectl warns
        # before it prints), then a blank line.
        out.append(f"$ {command}\n{result.stderr}{result.stdout}\n")
        c.advance(THINK_TIME)
    out.append(f"# {c.elapsed:g} s of virtual time\n")
    return "".join(out)


# ----- a cluster saved between shell commands -----


def _load_state(path: Path) -> tuple[Cluster, float | None, str | None]:
    """The saved cluster, when it was saved (wall clock) and its clock mode."""
    if not path.exists():
        # A cluster saved between shell commands records no timeline: nothing there reads one,
        # and the state file would grow with every command.
        return Cluster(nodes=3, seed=0, record=False), None, None
    try:
        state: Any = pickle.loads(path.read_bytes())  # noqa: S301 - the user's own state file
    except Exception as e:
        raise SystemExit(f"kubesim: {path} is not a kubesim state file ({type(e).__name__}: {e})") from None
    if not isinstance(state, dict) or state.get("format") != _STATE_FORMAT:
        raise SystemExit(f"kubesim: {path} is not a kubesim state file")
    return state["cluster"], state["wall"], state.get("clock")


def _save_state(path: Path, c: Cluster, clock: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(pickle.dumps({"format": _STATE_FORMAT, "cluster": c, "wall": time.time(), "clock": clock}))
    tmp.replace(path)


def _open(state: Path, clock: str | None) -> tuple[Cluster, str]:
    """The saved cluster, moved on by the wall time since its last command in wall mode. The mode
    sticks: a state used with --clock=manual stays manual until --clock=wall is given."""
    c, wall, saved_clock = _load_state(state)
    clock = clock or saved_clock or "wall"
    if clock == "wall" and wall is not None:
        # Virtual time follows the wall clock between invocations.
        elapsed_ms = int((time.time() - wall) * 1000)
        if elapsed_ms > 0:
            c.advance(f"{elapsed_ms}ms")
    return c, clock


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; a kubesim error ends it with exit code 1 and its message on one line."""
    try:
        return _main(argv)
    except KubesimError as e:
        print(f"kubesim: {e}", file=sys.stderr)
        return 1


def _main(argv: Sequence[str] | None) -> int:
    parser = argparse.ArgumentParser(prog="kubesim", description="A Kubernetes workload simulator.")
    parser.add_argument("--version", action="version", version=f"kubesim {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("demo", help="run the seed walkthrough as kubectl commands, in virtual time")
    state_help = f"the saved cluster (default {DEFAULT_STATE}; created on first use)"
    clock_help = "wall: virtual time advances by the wall time between commands; manual: only by `kubesim advance`"
    k = sub.add_parser("kubectl", help="run one kubectl command against a saved cluster", add_help=False)
    k.add_argument("--state", type=Path, default=DEFAULT_STATE, help=state_help)
    k.add_argument("--clock", choices=("wall", "manual"), default=None, help=clock_help)
    k.add_argument("--for", dest="watch_for", default=None, help="how long `get -w` watches, in virtual time")
    k.add_argument("args", nargs=argparse.REMAINDER)
    a = sub.add_parser("advance", help="move a saved cluster's virtual time forward")
    a.add_argument("duration", help="how far: 30s, 5m, 1h30m")
    a.add_argument("--state", type=Path, default=DEFAULT_STATE, help=state_help)
    a.add_argument("--clock", choices=("wall", "manual"), default=None, help=clock_help)
    s = sub.add_parser("serve", help="serve a cluster as a Kubernetes API server for kubectl and other clients")
    s.add_argument("--port", type=int, default=0, help="the port (default: a free one)")
    s.add_argument("--address", default="127.0.0.1", help="the address to listen on (default 127.0.0.1)")
    s.add_argument("--token", default=None, help="require `Authorization: Bearer TOKEN` on every request")
    s.add_argument("--state", type=Path, default=None, help="serve this saved cluster (it is not saved back)")
    s.add_argument(
        "--clock",
        choices=("wall", "manual"),
        default="wall",
        help="wall (default): virtual time follows the wall clock × --speed; manual: only POST /kubesim/advance?by=30s",
    )
    s.add_argument("--speed", type=float, default=1.0, help="virtual seconds per wall second (wall clock)")
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["kubectl"]:
        argv = _options_first(argv)
    args = parser.parse_args(argv)
    if args.command == "demo":
        sys.stdout.write(demo())
        return 0
    if args.command == "serve":
        return _serve(args)
    if args.command == "advance":
        try:
            ms = to_ms(args.duration)
        except (InvalidArgumentError, ValueError, TypeError) as e:
            print(f"kubesim: {e}", file=sys.stderr)
            return 2
        c, clock = _open(args.state, args.clock)
        try:
            c.advance(f"{ms}ms")
        except InvalidArgumentError as e:  # e.g. past the end of virtual time (other errors: exit 1 in main)
            print(f"kubesim: {e}", file=sys.stderr)
            return 2
        _save_state(args.state, c, clock)
        print(f"virtual time: {c.now.strftime('%Y-%m-%dT%H:%M:%SZ')} ({c.elapsed:g} s since the cluster started)")
        return 0
    command = args.args[1:] if args.args[:1] == ["--"] else args.args
    if not command or command[0] in ("-h", "--help", "help"):
        sys.stdout.write(KUBECTL_HELP)
        return 0
    c, clock = _open(args.state, args.clock)
    if args.watch_for is None and clock == "wall" and _watches(command):
        return _stream_watch(c, command, args.state, clock)
    from ._kubectl.edit import terminal_editor

    result = c.kubectl(command, check=False, for_=args.watch_for, editor=terminal_editor)
    _save_state(args.state, c, clock)
    sys.stdout.write(result.stdout)
    sys.stderr.write(result.stderr)
    return int(result.exit_code)


def _watches(command: list[str]) -> bool:
    """Whether a kubectl command line asks get to watch (`-w`, `--watch`, `--watch-only`)."""
    words = command[: command.index("--")] if "--" in command else command
    return "get" in words and any(
        w in ("-w", "--watch", "--watch-only") or w.startswith(("--watch=t", "--watch-only=t")) for w in words
    )


def _stream_watch(c: Cluster, command: list[str], state: Path, clock: str) -> int:
    """`kubesim kubectl get -w` in wall mode: rows are written as virtual time follows the wall
    clock, until Ctrl-C; the cluster is saved as it stands then."""
    from ._kubectl import run
    from ._kubectl._base import WALL_CLOCK

    def sink(stream: str, text: str) -> None:
        out = sys.stdout if stream == "stdout" else sys.stderr
        out.write(text)
        out.flush()

    code = 130  # upstream: kubectl ends on SIGINT like any process (128 + 2)
    try:
        code = run(c, command, None, WALL_CLOCK, sink).exit_code
    except KeyboardInterrupt:
        pass
    try:
        _save_state(state, c, clock)
    except InvalidArgumentError as e:  # Ctrl-C landed inside a step of the simulation
        print(f"kubesim: the cluster was not saved: {e}", file=sys.stderr)
        return 1
    return code


def _serve(args: argparse.Namespace) -> int:
    """Serve in the foreground until Ctrl-C: the kubeconfig's path on stdout (one line), how to
    use it on stderr. --state is read, never written back (what the server's clients change is
    theirs to keep: ``c.save`` in Python saves a served cluster)."""
    if args.state is not None:
        c = _load_state(args.state)[0]
    elif args.clock == "wall":
        # kubectl computes some ages (describe's events) from the wall clock: start virtual time now.
        c = Cluster(nodes=3, seed=0, start=datetime.datetime.now(datetime.UTC).replace(microsecond=0))
    else:
        c = Cluster(nodes=3, seed=0)
    srv = c.serve(port=args.port, address=args.address, token=args.token, clock=args.clock, speed=args.speed)
    # SIGTERM (a service manager, `kill`) stops it as Ctrl-C does: the kubeconfig is removed.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        print(srv.kubeconfig, flush=True)
        clock = f"wall clock x{args.speed:g}" if args.clock == "wall" else "manual clock (POST /kubesim/advance?by=30s)"
        print(
            f"kubesim: serving {srv.url} ({clock}); use it with\n  export KUBECONFIG={srv.kubeconfig}\n"
            "Ctrl-C stops the server.",
            file=sys.stderr,
            flush=True,
        )
        while srv.running:
            time.sleep(0.2)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        srv.stop()


def _options_first(argv: list[str]) -> list[str]:
    """`kubesim kubectl get pods --state X --clock=manual`: kubesim's own options may come anywhere."""
    own: list[str] = []
    rest: list[str] = []
    i = 1
    while i < len(argv):
        a = argv[i]
        if a == "--":  # everything after belongs to kubectl
            rest += argv[i:]
            break
        if a in ("--state", "--clock", "--for") and i + 1 < len(argv):
            own += [a, argv[i + 1]]
            i += 2
            continue
        if a.startswith(("--state=", "--clock=", "--for=")):
            own.append(a)
        else:
            rest.append(a)
        i += 1
    if rest[:1] == ["--"]:
        rest = rest[1:]
    if rest[:1] == ["kubectl"]:
        rest = rest[1:]
    return ["kubectl", *own, "--", *rest] if rest else ["kubectl", *own]
