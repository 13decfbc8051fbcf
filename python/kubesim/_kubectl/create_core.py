"""`kubectl create configmap|secret generic|serviceaccount|service …` (upstream
pkg/cmd/create): the objects built as kubectl's generators build them, in the typed object's
field order (what `-o json` shows), created or printed (kubectl-everyday.md §7.3)."""

from __future__ import annotations

import base64
import re
from pathlib import Path
from typing import Any

from ._base import Fail, Invocation, Out, not_modelled, usage_error
from ._flags import Args, parse
from ._submit import _created

_CONFIG_KEY = re.compile(r"[-._a-zA-Z0-9]+")
_KEY_RULE = (
    "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or "
    "'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"
)


def _one_name(a: Args, command: str) -> str:
    if len(a.positional) != 1:
        raise usage_error(command, f"exactly one NAME is required, got {len(a.positional)}")
    return a.positional[0]


def _metadata(a: Args, name: str) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name}
    if a.namespace_given():
        meta["namespace"] = a.namespace
    meta["creationTimestamp"] = None
    return meta


def _sources(a: Args, kind: str, name: str) -> dict[str, bytes]:
    """upstream: handleConfigMapFromLiteralSources / FileSources / EnvFileSources, in that order."""
    data: dict[str, bytes] = {}

    def put(key: str, value: bytes) -> None:
        if not _CONFIG_KEY.fullmatch(key) or key in (".", "..") or key.startswith(".."):
            raise Fail(f'error: "{key}" is not a valid key name for a {kind}: {_KEY_RULE}')
        if key in data:
            raise Fail(
                f'error: cannot add key "{key}", another key by that name already exists in Data for {kind} "{name}"'
            )
        data[key] = value

    for literal in a.values("--from-literal"):
        key, eq, value = literal.partition("=")
        if not eq or not key:
            raise Fail(f"error: invalid literal source {literal}, expected key=value")
        put(key, value.encode())
    for source in a.values("--from-file"):
        key, eq, path = source.partition("=")
        if not eq:
            key, path = "", source
        p = Path(path)
        if p.is_dir():
            for f in sorted(x for x in p.iterdir() if x.is_file()):
                put(f.name, f.read_bytes())
            continue
        try:
            content = p.read_bytes()
        except OSError as e:
            raise Fail(f"error: error reading {path}: {(e.strerror or str(e)).lower()}") from None
        put(key or p.name, content)
    for env_file in a.values("--from-env-file"):
        try:
            lines = Path(env_file).read_text(encoding="utf-8").splitlines()
        except OSError as e:
            raise Fail(f"error: error reading {env_file}: {(e.strerror or str(e)).lower()}") from None
        for line in lines:
            line = line.lstrip()
            if not line or line.startswith("#"):
                continue
            key, eq, value = line.partition("=")
            put(key, value.encode() if eq else b"")
    return data


_SOURCE_FLAGS = {"--from-literal", "--from-file", "--from-env-file", "--dry-run", "--output"}


def _configmap(inv: Invocation, o: Out) -> None:
    a = parse(inv.name, inv.argv, _SOURCE_FLAGS, {"--append-hash", "--save-config"})
    name = _one_name(a, inv.name)
    data = _sources(a, "ConfigMap", name)
    cm: dict[str, Any] = {"kind": "ConfigMap", "apiVersion": "v1", "metadata": _metadata(a, name)}
    text = {k: v.decode() for k, v in data.items() if _utf8(v)}
    binary = {k: base64.b64encode(v).decode() for k, v in data.items() if not _utf8(v)}
    if text:
        cm["data"] = text
    if binary:
        cm["binaryData"] = binary
    _created(inv.cluster, cm, a, o, prefix="error: failed to create configmap: ")


def _utf8(b: bytes) -> bool:
    try:
        b.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _secret(inv: Invocation, o: Out) -> None:
    if inv.path[2:] != ["generic"]:
        if len(inv.path) < 3:
            a = parse("create secret", inv.argv, set(), set())
            raise usage_error("create secret", f"Unexpected args: {a.positional}".replace("'", ""))
        raise not_modelled(f"kubectl create secret {inv.path[2]}")
    a = parse(inv.name, inv.argv, _SOURCE_FLAGS | {"--type"}, {"--append-hash", "--save-config"})
    name = _one_name(a, inv.name)
    data = _sources(a, "Secret", name)
    secret: dict[str, Any] = {"kind": "Secret", "apiVersion": "v1", "metadata": _metadata(a, name)}
    if data:
        secret["data"] = {k: base64.b64encode(v).decode() for k, v in data.items()}
    if a.value("--type"):
        secret["type"] = a.value("--type")
    _created(inv.cluster, secret, a, o, prefix="error: failed to create secret ")  # upstream: no colon


def _serviceaccount(inv: Invocation, o: Out) -> None:
    a = parse(inv.name, inv.argv, {"--dry-run", "--output"}, {"--save-config"})
    name = _one_name(a, inv.name)
    sa = {"kind": "ServiceAccount", "apiVersion": "v1", "metadata": _metadata(a, name)}
    _created(inv.cluster, sa, a, o, prefix="error: failed to create serviceaccount: ")


_SERVICE_TYPES = {"clusterip": "ClusterIP", "nodeport": "NodePort", "loadbalancer": "LoadBalancer"}


def _service(inv: Invocation, o: Out) -> None:
    which = inv.path[2] if len(inv.path) > 2 else ""
    if which not in (*_SERVICE_TYPES, "externalname"):
        a = parse("create service", inv.argv, set(), set())
        raise usage_error("create service", f"Unexpected args: {a.positional}".replace("'", ""))
    a = parse(
        inv.name,
        inv.argv,
        {"--tcp", "--clusterip", "--node-port", "--external-name", "--dry-run", "--output"},
        {"--save-config"},
    )
    name = _one_name(a, inv.name)
    meta = _metadata(a, name)
    meta["labels"] = {"app": name}
    spec: dict[str, Any] = {}
    if which == "externalname":
        if not a.value("--external-name"):
            raise Fail('error: required flag(s) "external-name" not set')
        spec = {"selector": {"app": name}, "type": "ExternalName", "externalName": a.value("--external-name")}
    else:
        tcp = [t for v in a.values("--tcp") for t in v.split(",") if t]
        headless = a.value("--clusterip") == "None"
        if not tcp and not headless:
            raise Fail("error: at least one tcp port specifier must be provided")
        ports = []
        node_port = a.value("--node-port")
        for t in tcp:
            port, colon, target = t.partition(":")
            for number in (port, target) if colon else (port,):
                if not number.isdigit() or int(number) > 65535:
                    raise Fail(f'error: strconv.ParseUint: parsing "{number}": invalid syntax')
            entry: dict[str, Any] = {"name": f"{port}-{target}" if colon else port}
            if which == "nodeport" and node_port:
                entry["nodePort"] = int(node_port)
            entry |= {"protocol": "TCP", "port": int(port), "targetPort": int(target or port)}
            ports.append(entry)
        if ports:
            spec["ports"] = ports
        spec["selector"] = {"app": name}
        if a.value("--clusterip"):
            spec["clusterIP"] = a.value("--clusterip")
        spec["type"] = _SERVICE_TYPES[which]
    service = {"kind": "Service", "apiVersion": "v1", "metadata": meta, "spec": spec, "status": {"loadBalancer": {}}}
    _created(inv.cluster, service, a, o, prefix=f"error: failed to create {which} service: ")


GENERATORS = {
    "configmap": _configmap,
    "cm": _configmap,
    "secret": _secret,
    "serviceaccount": _serviceaccount,
    "sa": _serviceaccount,
    "service": _service,
    "svc": _service,
}
