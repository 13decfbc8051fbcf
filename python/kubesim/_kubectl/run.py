"""`kubectl run NAME --image=IMAGE` (upstream pkg/cmd/run): one Pod, built as kubectl builds
it (kubectl-everyday.md §7.1), optionally exposed by a Service (`--expose --port`)."""

from __future__ import annotations

import re
from typing import Any

from ._base import Fail, Invocation, Out, not_modelled, usage_error
from ._flags import parse
from ._patches import merge, strategic
from ._submit import _created

_RESTART = ("Always", "OnFailure", "Never")


def _labels(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in (p for p in text.split(",") if p):
        key, eq, value = part.partition("=")
        if not eq:
            raise Fail(f"error: unexpected label spec: {part}")
        out[key] = value
    return out


def _pod(name: str, a: Any, args: list[str], image: str) -> dict[str, Any]:
    """The Pod as the generator builds it, in the typed object's field order (what -o json shows)."""
    container: dict[str, Any] = {"name": name, "image": image}
    if args:
        container["command" if a.bool("--command") else "args"] = args
    port = a.value("--port")
    if port:
        container["ports"] = [{"containerPort": int(port)}]
    env = []
    for e in a.values("--env"):
        key, eq, value = e.partition("=")
        if not eq:
            raise Fail(f"error: invalid env: {e}")
        env.append({"name": key, "value": value})
    if env:
        container["env"] = env
    container["resources"] = {}
    labels = _labels(a.value("--labels")) if a.value("--labels") else {"run": name}
    pod: dict[str, Any] = {
        "kind": "Pod",
        "apiVersion": "v1",
        "metadata": {"name": name, "creationTimestamp": None, "labels": labels},
        "spec": {
            "containers": [container],
            "restartPolicy": a.value("--restart") or "Always",
            "dnsPolicy": "ClusterFirst",
        },
        "status": {},
    }
    if a.namespace_given():
        pod["metadata"] = {
            "name": name,
            "namespace": a.namespace,
            **{k: v for k, v in pod["metadata"].items() if k != "name"},
        }
    return pod


def run(inv: Invocation, o: Out) -> None:
    a = parse(
        "run",
        inv.argv,
        {
            "--image",
            "--labels",
            "--env",
            "--port",
            "--restart",
            "--dry-run",
            "--output",
            "--overrides",
            "--override-type",
            "--image-pull-policy",
            "--field-manager",
            "--pod-running-timeout",
        },  # fmt: skip
        {"--command", "--expose", "--rm", "--stdin", "--tty", "--attach", "--quiet", "--privileged"},
        {"-i": "--stdin", "-t": "--tty", "-q": "--quiet", "-l": "--labels"},
        dashdash_positional=False,
    )
    if a.value("--image") is None:
        raise Fail('error: required flag(s) "image" not set')
    if not a.positional:
        raise usage_error("run", "NAME is required for run")
    name, args = a.positional[0], [*a.positional[1:], *a.after_dashdash]
    restart = a.value("--restart") or "Always"
    if restart not in _RESTART:
        raise usage_error("run", f"invalid restart policy: {restart}")
    if a.bool("--rm") and not (a.bool("--stdin") or a.bool("--tty") or a.bool("--attach")):
        raise usage_error("run", "--rm should only be used for attached containers")
    if a.bool("--stdin") or a.bool("--tty") or a.bool("--attach"):
        raise not_modelled("kubectl run -i/-t/--attach (attaching to a container)")
    port = a.value("--port")
    if port is not None and not re.fullmatch(r"[+-]?[0-9]+", port):
        raise Fail(f'error: strconv.Atoi: parsing "{port}": invalid syntax')
    if a.bool("--expose") and not port:
        raise usage_error("run", "--port must be set when exposing a service")
    pod = _pod(name, a, args, a.value("--image") or "")
    overrides = a.value("--overrides")
    if overrides:
        import json

        try:
            patch = json.loads(overrides)
        except ValueError as e:
            raise Fail(f"error: unable to parse the overrides: {e}") from None
        # upstream: --override-type merge (the default), strategic or json
        pod = strategic(pod, patch) if a.value("--override-type") == "strategic" else merge(pod, patch)
    if a.bool("--expose"):
        service: dict[str, Any] = {
            "kind": "Service",
            "apiVersion": "v1",
            "metadata": {"name": name, "creationTimestamp": None},
            "spec": {
                "ports": [{"protocol": "TCP", "port": int(port or 0), "targetPort": int(port or 0)}],
                "selector": dict(pod["metadata"]["labels"]),
            },
            "status": {"loadBalancer": {}},
        }
        _created(inv.cluster, service, a, o)
        if a.value("--output") in ("yaml", "json") and a.value("--dry-run") == "client":
            o.out("---\n---\n" if a.value("--output") == "yaml" else "")  # upstream: the separator, twice
    _created(inv.cluster, pod, a, o)
