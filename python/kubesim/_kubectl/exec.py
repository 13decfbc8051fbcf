"""`kubectl exec` and `logs`: kubesim checks their arguments as kubectl does (the errors kubectl
prints before it talks to a server, then the pod's own errors). `logs` prints what the image
profiles say containers write (``c.images.register(…, logs=[…])``); `exec` runs the commands
they declare (``exec={…}``)."""

from __future__ import annotations

from .. import _native
from ..errors import KubesimError, NotFoundError
from ._base import Fail, Invocation, Out, error_text, not_modelled, usage_error
from ._flags import parse
from ._resources import kind_of


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
    if not a.positional:
        raise not_modelled("kubectl exec -f (the pod named by a file)")
    ns = a.namespace
    kind, slash, name = a.positional[0].rpartition("/")
    if not slash or kind_of(kind).kind == "Pod":
        try:
            pod = inv.cluster.get("Pod", name, ns).to_dict()
        except NotFoundError as e:
            raise Fail(error_text(e)) from None
    else:
        # upstream: `deploy/web`, `svc/web`, … resolve to one of their pods, as for logs.
        pod = _pod_of(inv, o, a.positional[0], ns)
    name = pod["metadata"]["name"]
    phase = pod.get("status", {}).get("phase")
    if phase in ("Succeeded", "Failed"):
        raise Fail(f"error: cannot exec into a container in a completed pod; current phase is {phase}")
    container = a.value("--container") or (
        _default_container(pod, Out()) if a.bool("--quiet") else _default_container(pod, o)
    )
    if a.bool("--tty"):
        # upstream: a TTY needs a terminal on stdin, which a script (and Python) has not.
        o.err("Unable to use a TTY - input is not a terminal or the right kind of file")
    try:
        stdout, stderr, code, error = inv.cluster._native.pod_exec(ns, name, container, a.after_dashdash)
    except KubesimError as e:
        raise Fail(f"Error from server (BadRequest): {e}") from None
    if error is not None:
        raise Fail(f"error: {error}")
    o.out(stdout)
    if stderr:
        o.err(stderr)
    if code != 0:
        # upstream: the remote exit code becomes kubectl's own.
        o.err(f"command terminated with exit code {code}")
        o.exit_code = code


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
        {"-c": "--container", "-p": "--previous", "-f": "--follow"},
    )
    selector = a.value("--selector")
    if not a.positional and selector is None:
        raise usage_error(
            "logs",
            "expected 'logs [-f] [-p] (POD | TYPE/NAME) [-c CONTAINER]'.\n"
            "POD or TYPE/NAME is a required argument for the logs command",
        )
    if a.positional and selector is not None:
        raise usage_error("logs", "only a selector (-l) or a POD name is allowed")
    container = a.value("--container") or ""
    if len(a.positional) > 1:
        if container:
            raise Fail("error: only one of -c or an inline [CONTAINER] arg is allowed")
        container = a.positional[1]
    all_containers = a.bool("--all-containers")
    if all_containers and container:
        raise Fail(f"error: --all-containers=true should not be specified with container name {container}")
    if a.given("--since") and a.given("--since-time"):
        raise Fail("error: at most one of `sinceTime` or `sinceSeconds` may be specified")
    since_ms = None
    if a.given("--since"):
        since_ms = inv.cluster._native.now_ms - _since(a.value("--since") or "")
    elif a.value("--since-time"):
        since_ms = _since_time(a.value("--since-time") or "")
    tail = a.int("--tail", -1)
    if tail < -1:
        raise Fail("error: --tail must be greater than or equal to -1")
    limit = a.int("--limit-bytes", 0)
    if a.given("--limit-bytes") and limit <= 0:
        raise Fail("error: --limit-bytes must be greater than 0")
    ns = a.namespace
    c = inv.cluster
    prefix = a.bool("--prefix") or a.bool("--all-pods")
    if selector is not None:
        pods = [p.to_dict() for p in c.pods(selector=selector, namespace=ns)]
        if not pods:
            o.err(f"No resources found in {ns} namespace.")
            return
        if not a.given("--tail"):
            tail = 10  # upstream: with -l and no --tail, tailLines=10 is sent
    else:
        pods = [_pod_of(inv, o, a.positional[0], ns)]
    for pod in pods:
        name = pod["metadata"]["name"]
        names = [x["name"] for x in pod["spec"]["containers"]]
        if all_containers:
            chosen = names
        elif container:
            if container not in names:
                raise Fail(f"error: container {container} is not valid for pod {name}")
            chosen = [container]
        else:
            chosen = [_default_container(pod, o)]
        for cname in chosen:
            try:
                text = c._native.pod_log(
                    ns,
                    name,
                    cname,
                    a.bool("--previous"),
                    a.bool("--timestamps"),
                    None if tail < 0 else tail,
                    since_ms,
                    limit or None,
                )
            except NotFoundError as e:
                raise Fail(f'error: error from server (NotFound): {e} in namespace "{ns}"') from None
            except KubesimError as e:
                if a.bool("--ignore-errors") and len(pods) > 1:
                    continue
                raise Fail(f"Error from server (BadRequest): {e}") from None
            if prefix:
                text = "".join(f"[pod/{name}/{cname}] {line}\n" for line in text.splitlines())
            o.out(text)


def _since(value: str) -> int:
    """`--since=5m` in milliseconds."""
    try:
        # upstream: Go's ParseDuration takes a sign; the check for > 0 comes after.
        ms = _native.parse_duration(value[1:]) * -1 if value.startswith("-") else _native.parse_duration(value)
    except KubesimError:
        raise usage_error(
            "logs", f'invalid argument "{value}" for "--since" flag: time: invalid duration "{value}"'
        ) from None
    if ms <= 0:
        raise Fail("error: --since must be greater than 0")
    return int(ms)


def _since_time(value: str) -> int:
    import datetime as _dt

    try:
        t = _dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        if t.tzinfo is None:
            raise ValueError
    except ValueError:
        first = value.split("-")[0]
        raise Fail(
            f'error: parsing time "{value}" as "2006-01-02T15:04:05Z07:00": cannot parse "{first}" as "2006"'
        ) from None
    return int(t.timestamp() * 1000)


def _pod_of(inv: Invocation, o: Out, target: str, ns: str) -> dict:
    """The pod `logs POD` or `logs TYPE/NAME` reads (upstream: GetFirstPod, by ByLogging)."""
    kind_name, slash, name = target.rpartition("/")
    kind = kind_of(kind_name) if slash else None
    c = inv.cluster
    try:
        if kind is None or kind.kind == "Pod":
            return c.get("Pod", name, ns).to_dict()
        obj = c.get(kind.kind, name, ns).to_dict()
    except NotFoundError as e:
        raise Fail(f'error: error from server (NotFound): {e} in namespace "{ns}"') from None
    spec = obj.get("spec", {})
    selector = spec.get("selector")
    if kind.kind == "Service":
        labels = selector or {}
    elif isinstance(selector, dict) and not selector.get("matchExpressions"):
        labels = selector.get("matchLabels") or {}
    else:
        labels = None
    if not labels:
        raise Fail(f"error: cannot get the logs from {kind.resource}/{name}: selector is empty")
    pods = [p.to_dict() for p in c.pods(selector=",".join(f"{k}={v}" for k, v in labels.items()), namespace=ns)]
    if not pods:
        raise Fail("error: timed out waiting for the condition")
    pods.sort(key=_by_logging)
    if len(pods) > 1:
        o.err(f"Found {len(pods)} pods, using pod/{pods[0]['metadata']['name']}")
    return pods[0]


def _by_logging(pod: dict) -> tuple:
    """upstream: podutils.ByLogging — assigned, Running, ready, ready longest, most restarts,
    oldest first."""
    status = pod.get("status", {})
    phase_rank = {"Running": 0, "Unknown": 1, "Pending": 2}.get(status.get("phase", ""), 3)
    ready = next((x for x in status.get("conditions", []) if x.get("type") == "Ready"), None)
    is_ready = ready is not None and ready.get("status") == "True"
    ready_since = ready.get("lastTransitionTime", "") if is_ready and ready else "~"
    restarts = max((x.get("restartCount", 0) for x in status.get("containerStatuses", [])), default=0)
    created = pod["metadata"].get("creationTimestamp") or "~"
    return (not pod["spec"].get("nodeName"), phase_rank, not is_ready, ready_since, -restarts, created)


def _default_container(pod: dict, o: Out) -> str:
    """upstream: the default-container annotation, else the first container, said on stderr when
    there was a choice."""
    names = [x["name"] for x in pod["spec"]["containers"]]
    annotated = pod["metadata"].get("annotations", {}).get("kubectl.kubernetes.io/default-container")
    if annotated in names:
        return str(annotated)
    if annotated:
        o.err(f'Default container name "{annotated}" not found in pod {pod["metadata"]["name"]}')
    if len(names) > 1:
        o.err(f'Defaulted container "{names[0]}" out of: {", ".join(names)}')
    return names[0]
