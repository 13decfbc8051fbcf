"""`kubectl exec`, `logs` and `edit`: kubesim checks their arguments as kubectl does (the errors
kubectl prints before it talks to a server, then the pod's own errors), and then says plainly
that it does not run commands in containers, keep container logs or open an editor yet."""

from __future__ import annotations

from ..errors import NotFoundError
from ._base import Fail, Invocation, Out, error_text, not_modelled, usage_error
from ._flags import parse
from ._resources import kind_of

_NO_RESOURCES = (
    "error: You must provide one or more resources by argument or filename.\n"
    "Example resource specifications include:\n   '-f rsrc.yaml'\n   '--filename=rsrc.json'\n"
    "   '<resource> <name>'\n   '<resource>'"
)


def run_exec(inv: Invocation, o: Out) -> None:
    a = parse(
        "exec",
        inv.argv,
        {"--container", "--filename", "--pod-running-timeout"},
        {"--stdin", "--tty", "--quiet"},
        {"-c": "--container", "-i": "--stdin", "-t": "--tty", "-q": "--quiet"},
        dashdash_positional=False,
    )
    if not a.positional and not a.values("--filename"):
        raise Fail("error: pod, type/name or --filename must be specified")
    if len(a.positional) > 1:
        # upstream 1.32: the command must come after `--`
        raise usage_error("exec", "exec [POD] [COMMAND] is not supported anymore. Use exec [POD] -- [COMMAND] instead")
    if not a.after_dashdash:
        raise Fail("error: you must specify at least one command for the container")
    if a.positional:
        kind, slash, name = a.positional[0].rpartition("/")
        if not slash or kind_of(kind).kind == "Pod":
            try:
                pod = inv.cluster.get("Pod", name, a.namespace).to_dict()
            except NotFoundError as e:
                raise Fail(error_text(e)) from None
            phase = pod.get("status", {}).get("phase")
            if phase in ("Succeeded", "Failed"):
                raise Fail(f"error: cannot exec into a container in a completed pod; current phase is {phase}")
    raise not_modelled("kubectl exec (running commands in containers)")


def run_logs(inv: Invocation, o: Out) -> None:
    a = parse(
        "logs",
        inv.argv,
        {
            "--container",
            "--selector",
            "--since",
            "--since-time",
            "--tail",
            "--limit-bytes",
            "--max-log-requests",
            "--pod-running-timeout",
        },  # fmt: skip
        {
            "--follow",
            "--previous",
            "--timestamps",
            "--all-containers",
            "--all-pods",
            "--prefix",
            "--ignore-errors",
            "--insecure-skip-tls-verify-backend",
        },  # fmt: skip
        {"-c": "--container", "-p": "--previous"},
    )
    if not a.positional and a.value("--selector") is None:
        raise usage_error(
            "logs",
            "expected 'logs [-f] [-p] (POD | TYPE/NAME) [-c CONTAINER]'.\n"
            "POD or TYPE/NAME is a required argument for the logs command",
        )
    raise not_modelled("kubectl logs (container output)")


def run_edit(inv: Invocation, o: Out) -> None:
    a = parse("edit", inv.argv, {"--filename", "--output"}, {"--recursive", "--output-patch"})
    if not a.positional and not a.values("--filename"):
        raise Fail(_NO_RESOURCES)
    raise not_modelled("kubectl edit (an editor on the object); use kubectl patch, set or apply")
