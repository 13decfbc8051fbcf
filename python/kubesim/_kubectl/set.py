"""`kubectl set image|env|resources` (upstream pkg/cmd/set): they edit the pod template of
Deployments and ReplicaSets, or a Pod's own spec, on the server or (`--local -f`) in files,
printing what kubectl 1.32 prints (kubectl-everyday.md §10.1–10.3)."""

from __future__ import annotations

import copy
import re
from typing import TYPE_CHECKING, Any

from .. import _native
from ..errors import KubesimError
from ._base import Fail, Invocation, Out, error_text, not_modelled, usage_error
from ._flags import Args, dry_run_suffix, parse
from ._manifests import documents
from ._printers import output_format, print_objects
from ._resources import kind_of, ns_for, targets

if TYPE_CHECKING:
    from .._cluster import Cluster

_LOCAL_NEEDS_FILES = (
    "error: you must specify resources by --filename when --local is set.\n"
    "Example resource specifications include:\n   '-f rsrc.yaml'\n   '--filename=rsrc.json'"
)


def _pod_spec(d: dict[str, Any]) -> dict[str, Any] | None:
    """upstream: polymorphichelpers.updatePodSpecForObject — the kinds with a pod template."""
    kind = d.get("kind")
    if kind == "Pod":
        return d.setdefault("spec", {})  # type: ignore[no-any-return]
    if kind in ("Deployment", "ReplicaSet", "DaemonSet", "StatefulSet", "ReplicationController", "Job"):
        return d.setdefault("spec", {}).setdefault("template", {}).setdefault("spec", {})  # type: ignore[no-any-return]
    return None


def _typed(d: dict[str, Any]) -> dict[str, Any]:
    """The object as kubectl prints it after decoding it into its Go type: empty structs and
    the zero creationTimestamp come back (`creationTimestamp: null`, `resources: {}`,
    `status: {}`, a Deployment's `strategy: {}`)."""
    d = copy.deepcopy(d)
    d.setdefault("metadata", {}).setdefault("creationTimestamp", None)
    kind = d.get("kind")
    spec = d.get("spec", {})
    if kind in ("Deployment", "ReplicaSet"):
        if kind == "Deployment":
            spec.setdefault("strategy", {})
        spec.setdefault("template", {}).setdefault("metadata", {}).setdefault("creationTimestamp", None)
    pod_spec = _pod_spec(d)
    if pod_spec is not None:
        for c in [*pod_spec.get("initContainers", []), *pod_spec.get("containers", [])]:
            c.setdefault("resources", {})
    d.setdefault("status", {"replicas": 0} if kind == "ReplicaSet" else {})
    return d


def _objects(c: Cluster, a: Args, resources: list[str], stdin: str | None) -> list[tuple[dict[str, Any], bool]]:
    """(object, whether it lives on the server): from `-f` files, `TYPE NAME`, `TYPE/NAME`, or
    every object of a type with `--all` / `-l`."""
    local = a.bool("--local")
    if a.values("--filename"):
        if resources:
            raise Fail(
                "error: when paths, URLs, or stdin is provided as input, you may not specify a resource by "
                "argument as well"
            )
        out = []
        for d, _ in documents(c, a, stdin):
            if local:
                out.append((d, False))
            else:
                k = kind_of(d["kind"])
                ns = d["metadata"].get("namespace") or ns_for(k, a.namespace)
                out.append((c.get(k.kind, d["metadata"]["name"], ns).to_dict(), True))
        return out
    if local:
        raise Fail(_LOCAL_NEEDS_FILES)
    selector = a.value("--selector")
    out = []
    for k, name in targets(resources, f"set {a.command.split()[-1]}"):
        if name is not None:
            out.append((c.get(k.kind, name, ns_for(k, a.namespace)).to_dict(), True))
        elif a.bool("--all") or selector is not None:
            found = c.list(k.kind, selector or None, ns_for(k, a.namespace) or None)
            out += [(obj.to_dict(), True) for obj in found]
        else:
            raise Fail("error: resource(s) were provided, but no name was specified")
    return out


def _finish(
    c: Cluster, o: Out, a: Args, original: dict[str, Any], changed: dict[str, Any], on_server: bool, what: str
) -> None:
    """Store the change (unless a dry run or --local) and print kubectl's line or the object."""
    fmt, arg = output_format(a, ("yaml", "json", "name", "jsonpath"))
    k = kind_of(changed["kind"])
    name = changed["metadata"]["name"]
    if changed == original and not fmt:
        return  # upstream: nothing to change, nothing printed (and nothing sent)
    suffix = dry_run_suffix(a)
    if on_server and not suffix and changed != original:
        try:
            changed = c.replace(changed).to_dict()
        except KubesimError as e:
            o.error(Fail(error_text(e)))
            return
    if fmt == "name":
        o.out(f"{k.singular}/{name}\n")
    elif fmt:
        o.out(print_objects([changed if on_server else _typed(changed)], fmt, arg, True))
    else:
        o.out(f"{k.singular}/{name} {what}{suffix}\n")


def _no_template(d: dict[str, Any]) -> Fail:
    k = kind_of(d["kind"])
    return Fail(
        f"error: {k.plural}/{d['metadata']['name']} the object is not a pod or does not have a pod template: "
        f"*v1.{d['kind']}"
    )


# ----- set image -----


def _set_image(inv: Invocation, o: Out) -> None:
    c = inv.cluster
    a = parse(
        "set image", inv.argv, {"--selector", "--output", "--dry-run", "--filename"}, {"--record", "--all", "--local"}
    )
    resources = [p for p in a.positional if "=" not in p]
    images = dict(p.split("=", 1) for p in a.positional if "=" in p)
    if not images:
        raise Fail("error: at least one image update is required")
    record = a.bool("--record")
    if "--record" in a.flags:
        o.err("Flag --record has been deprecated, --record will be removed in the future")
    # upstream: --record stores the command line with the flags re-rendered as --name=value.
    cause = " ".join(["kubectl", "set", "image", *a.positional, "--record=true"]) if record else None
    errors: list[Fail] = []
    for d, on_server in _objects(c, a, resources, inv.stdin):
        changed = copy.deepcopy(d)
        spec = _pod_spec(changed)
        if spec is None:
            errors.append(_no_template(d))
            continue
        containers = [*spec.get("initContainers", []), *spec.get("containers", [])]
        missing = next((n for n in images if n != "*" and n not in {x["name"] for x in containers}), None)
        if missing is not None:
            errors.append(Fail(f'error: unable to find container named "{missing}"'))
            continue
        for x in containers:
            image = images.get(x["name"], images.get("*"))
            if image is not None:
                x["image"] = image
        if cause is not None and changed != d:
            changed["metadata"].setdefault("annotations", {})["kubernetes.io/change-cause"] = cause
        _finish(c, o, a, d, changed, on_server, "image updated")
    for e in errors:  # upstream: failures are reported after the objects that were updated
        o.error(e)


# ----- set env -----

_ENV_NAME = re.compile(r"[-._a-zA-Z][-._a-zA-Z0-9]*")


def _env_ref(value_from: dict[str, Any]) -> str:
    """upstream: envutil.GetEnvVarRefString."""
    if "configMapKeyRef" in value_from:
        ref = value_from["configMapKeyRef"]
        return f"configmap {ref.get('name', '')}, key {ref.get('key', '')}"
    if "secretKeyRef" in value_from:
        ref = value_from["secretKeyRef"]
        return f"secret {ref.get('name', '')}, key {ref.get('key', '')}"
    if "fieldRef" in value_from:
        return f"field path {value_from['fieldRef'].get('fieldPath', '')}"
    if "resourceFieldRef" in value_from:
        return f"resource {value_from['resourceFieldRef'].get('resource', '')}"
    return "invalid reference"


def _env_from_source(c: Cluster, source: str, namespace: str, prefix: str) -> list[dict[str, Any]]:
    """`--from=configmap/NAME|secret/NAME`: one variable per key, named as upstream does."""
    kind, _, name = source.partition("/")
    k = kind_of(kind)
    if k.kind not in ("ConfigMap", "Secret"):
        raise Fail(f"error: unsupported resource specified in --from: {source}")
    obj = c.get(k.kind, name, namespace).to_dict()
    ref = "configMapKeyRef" if k.kind == "ConfigMap" else "secretKeyRef"
    keys = sorted({*obj.get("data", {}), *obj.get("binaryData", {})})
    # upstream: the key upper-cased, `.` and `-` as `_`, after --prefix.
    return [
        {"name": prefix + re.sub(r"[.-]", "_", key.upper()), "valueFrom": {ref: {"key": key, "name": name}}}
        for key in keys
    ]


def _set_env(inv: Invocation, o: Out) -> None:
    c = inv.cluster
    a = parse(
        "set env",
        inv.argv,
        {"--selector", "--output", "--dry-run", "--filename", "--containers", "--env", "--from", "--prefix"},
        {"--all", "--local", "--list", "--overwrite", "--resolve", "--recursive"},
    )
    # upstream: SplitEnvironmentFromResources — the first KEY=VALUE or KEY- starts the variables
    resources: list[str] = []
    specs: list[str] = []
    for p in a.positional:
        if specs or "=" in p or p.endswith("-"):
            specs.append(p)
        else:
            resources.append(p)
    specs += a.values("--env")
    updates: list[tuple[str, str]] = []
    removals: list[str] = []
    for spec in specs:
        if "=" in spec:
            name, _, value = spec.partition("=")
            if not _ENV_NAME.fullmatch(name):
                raise Fail(
                    f'error: "{name}" is not a valid key name: a valid environment variable name must consist of '
                    "alphabetic characters, digits, '_', '-', or '.', and must not start with a digit (e.g. "
                    "'my.env-name',  or 'MY_ENV.NAME',  or 'MyEnvName1', regex used for validation is "
                    "'[-._a-zA-Z][-._a-zA-Z0-9]*')"
                )
            updates.append((name, value))
        elif spec.endswith("-"):
            removals.append(spec[:-1])
        else:
            raise Fail(f"error: environment variables must be of the form key=value, not {spec}")
    if not a.bool("--list") and not updates and not removals and a.value("--from") is None:
        raise Fail("error: at least one environment variable must be provided")
    pattern = a.value("--containers") or "*"
    for d, on_server in _objects(c, a, resources, inv.stdin):
        changed = copy.deepcopy(d)
        cspec = _pod_spec(changed)
        if cspec is None:
            o.error(_no_template(d))
            continue
        matching = [x for x in cspec.get("containers", []) if _glob(pattern, x["name"])]
        if not matching:
            # upstream: a warning on stderr, exit code 0
            o.err(f'Warning: {d["kind"]}/{d["metadata"]["name"]} does not have any containers matching "{pattern}"')
            continue
        if a.bool("--list"):
            for x in matching:
                o.out(f"# {d['kind']} {d['metadata']['name']}, container {x['name']}\n")
                for env in x.get("env", []):
                    if "valueFrom" in env:
                        o.out(f"# {env['name']} from {_env_ref(env['valueFrom'])}\n")
                    else:
                        o.out(f"{env['name']}={env.get('value', '')}\n")
            continue
        from_vars = []
        if a.value("--from") is not None:
            ns = changed["metadata"].get("namespace") or a.namespace
            from_vars = _env_from_source(c, a.value("--from") or "", ns, a.value("--prefix") or "")
        for x in matching:
            env = x.setdefault("env", [])
            for name, value in updates:
                at = next((i for i, e in enumerate(env) if e["name"] == name), None)
                if at is None:
                    env.append({"name": name, "value": value})
                else:
                    env[at] = {"name": name, "value": value}
            for var in from_vars:
                at = next((i for i, e in enumerate(env) if e["name"] == var["name"]), None)
                if at is None:
                    env.append(var)
                else:
                    env[at] = var
            env[:] = [e for e in env if e["name"] not in removals]
            if not env:
                del x["env"]
        _finish(c, o, a, d, changed, on_server, "env updated")


def _glob(pattern: str, name: str) -> bool:
    import fnmatch

    return fnmatch.fnmatchcase(name, pattern)


# ----- set resources -----

_QUANTITY = re.compile(r"^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$")


def _requirements(text: str | None) -> dict[str, str]:
    """upstream: `--limits=cpu=200m,memory=512Mi` (each quantity checked by its pattern)."""
    out: dict[str, str] = {}
    for part in (p for p in (text or "").split(",") if p):
        name, eq, value = part.partition("=")
        if not eq or not _QUANTITY.match(value) or _native_quantity_invalid(value):
            raise Fail(
                "error: quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
            )
        out[name] = value
    return out


def _native_quantity_invalid(value: str) -> bool:
    try:
        _native.parse_quantity(value)
    except (KubesimError, ValueError):
        return True
    return False


def _set_resources(inv: Invocation, o: Out) -> None:
    c = inv.cluster
    a = parse(
        "set resources",
        inv.argv,
        {"--selector", "--output", "--dry-run", "--filename", "--containers", "--limits", "--requests"},
        {"--all", "--local", "--recursive"},
    )
    limits, requests = _requirements(a.value("--limits")), _requirements(a.value("--requests"))
    if not limits and not requests:
        raise Fail("error: you must specify an update to requests or limits (in the form of --requests/--limits)")
    pattern = a.value("--containers") or "*"
    for d, on_server in _objects(c, a, a.positional, inv.stdin):
        changed = copy.deepcopy(d)
        spec = _pod_spec(changed)
        if spec is None:
            o.error(_no_template(d))
            continue
        matching = [
            x for x in [*spec.get("initContainers", []), *spec.get("containers", [])] if _glob(pattern, x["name"])
        ]
        if not matching:
            o.error(Fail(f"error: unable to find container named {pattern}"))  # upstream: unquoted
            continue
        for x in matching:
            res = x.setdefault("resources", {})
            if limits:
                res.setdefault("limits", {}).update(limits)
            if requests:
                res.setdefault("requests", {}).update(requests)
        _finish(c, o, a, d, changed, on_server, "resource requirements updated")


def run(inv: Invocation, o: Out) -> None:
    if len(inv.path) < 2:
        # upstream: `set` without a known subcommand rejects its arguments (its flags parsed first)
        a = parse("set", inv.argv, set(), set())
        raise usage_error("set", f'unknown command "{" ".join(a.positional)}"')
    sub = inv.path[1]
    if sub == "image":
        _set_image(inv, o)
    elif sub == "env":
        _set_env(inv, o)
    elif sub == "resources":
        _set_resources(inv, o)
    else:
        raise not_modelled(f"kubectl set {sub}")
