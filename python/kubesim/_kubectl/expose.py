"""`kubectl expose (-f FILE | TYPE NAME)` (upstream pkg/cmd/expose): a Service whose selector,
port and labels come from a Deployment, ReplicaSet, Pod or Service (kubectl-everyday.md §7.2)."""

from __future__ import annotations

from typing import Any

from ._base import Fail, Invocation, Out
from ._flags import parse
from ._manifests import documents
from ._resources import kind_of, ns_for, targets
from ._submit import _created

_NO_RESOURCES = (
    "error: You must provide one or more resources by argument or filename.\n"
    "Example resource specifications include:\n   '-f rsrc.yaml'\n   '--filename=rsrc.json'\n"
    "   '<resource> <name>'\n   '<resource>'"
)


def _introspect(obj: dict[str, Any]) -> tuple[dict[str, str] | None, list[tuple[int, str]]]:
    """upstream: polymorphichelpers MapBasedSelectorForObject and PortsForObject/ProtocolsForObject."""
    kind = obj["kind"]
    if kind == "Pod":
        labels = obj.get("metadata", {}).get("labels")
        if not labels:
            raise Fail(
                "error: couldn't retrieve selectors via --selector flag or introspection: "
                "the pod has no labels and cannot be exposed"
            )
        containers = obj.get("spec", {}).get("containers", [])
        selector = dict(labels)
    elif kind in ("Deployment", "ReplicaSet"):
        match = obj.get("spec", {}).get("selector", {})
        if match.get("matchExpressions"):
            raise Fail(
                "error: couldn't retrieve selectors via --selector flag or introspection: "
                f"{kind.lower()} has expressions and cannot be exposed"
            )
        selector = dict(match.get("matchLabels", {}))
        containers = obj.get("spec", {}).get("template", {}).get("spec", {}).get("containers", [])
    elif kind == "Service":
        spec = obj.get("spec", {})
        return spec.get("selector"), [(p["port"], p.get("protocol", "TCP")) for p in spec.get("ports", [])]
    else:
        group = kind_of(kind).api_version.split("/")[0] if "/" in kind_of(kind).api_version else ""
        raise Fail(f"error: cannot expose a {kind}{'.' + group if group else ''}")
    ports = [(p["containerPort"], p.get("protocol", "TCP")) for c in containers for p in c.get("ports", [])]
    return selector, ports


def run(inv: Invocation, o: Out) -> None:
    c = inv.cluster
    a = parse(
        "expose",
        inv.argv,
        {
            "--port",
            "--target-port",
            "--protocol",
            "--name",
            "--type",
            "--selector",
            "--labels",
            "--external-ip",
            "--dry-run",
            "--output",
            "--filename",
            "--session-affinity",
            "--cluster-ip",
            "--load-balancer-ip",
        },  # fmt: skip
        {"--recursive"},
        {"-l": "--labels"},
    )
    sources: list[dict[str, Any]] = []
    if a.values("--filename"):
        for d, _ in documents(c, a, inv.stdin):
            k = kind_of(d["kind"])
            sources.append(
                c.get(k.kind, d["metadata"]["name"], d["metadata"].get("namespace") or a.namespace).to_dict()
            )
    elif a.positional:
        for k, name in targets(a.positional, "expose"):
            if name is None:
                raise Fail("error: resource(s) were provided, but no name was specified")
            sources.append(c.get(k.kind, name, ns_for(k, a.namespace)).to_dict())
    else:
        raise Fail(_NO_RESOURCES)
    for obj in sources:
        selector, found_ports = _introspect(obj)
        if a.value("--selector"):
            selector = dict(p.split("=", 1) for p in (a.value("--selector") or "").split(",") if "=" in p)
        if not selector:
            raise Fail("error: couldn't retrieve selectors via --selector flag or introspection")
        if a.value("--port"):
            ports = [(int(p), a.value("--protocol") or "TCP") for p in (a.value("--port") or "").split(",")]
        else:
            ports = [(p, a.value("--protocol") or proto) for p, proto in found_ports]
        if not ports:
            raise Fail("error: couldn't find port via --port flag or introspection")
        target = a.value("--target-port")
        spec_ports: list[dict[str, Any]] = []
        for i, (port, protocol) in enumerate(ports):
            entry: dict[str, Any] = {}
            if len(ports) > 1:
                entry["name"] = f"port-{i + 1}"  # upstream: several ports are named port-1, port-2, …
            entry |= {"protocol": protocol, "port": port}
            t: Any = target if target is not None else port
            entry["targetPort"] = int(t) if str(t).isdigit() else t
            spec_ports.append(entry)
        labels = obj.get("metadata", {}).get("labels")
        if a.value("--labels"):
            labels = dict(p.split("=", 1) for p in (a.value("--labels") or "").split(",") if "=" in p)
        metadata: dict[str, Any] = {"name": a.value("--name") or obj["metadata"]["name"], "creationTimestamp": None}
        if obj["metadata"].get("namespace") and a.namespace_given():
            metadata = {"name": metadata["name"], "namespace": obj["metadata"]["namespace"], "creationTimestamp": None}
        if labels:
            metadata["labels"] = dict(labels)
        # upstream: ServiceSpec's field order (ports, selector, clusterIP, type, externalIPs), as -o json shows
        spec: dict[str, Any] = {"ports": spec_ports, "selector": selector}
        if a.value("--cluster-ip"):
            spec["clusterIP"] = a.value("--cluster-ip")
        if a.value("--type"):
            spec["type"] = a.value("--type")
        if a.value("--external-ip"):
            spec["externalIPs"] = [a.value("--external-ip")]
        service = {
            "kind": "Service",
            "apiVersion": "v1",
            "metadata": metadata,
            "spec": spec,
            "status": {"loadBalancer": {}},
        }
        _created(c, service, a, o, word="exposed")
