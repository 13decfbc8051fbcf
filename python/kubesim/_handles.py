"""Live handles: a handle names an object (kind, namespace, name) and reads the store on every
property access, so it always shows the cluster as of ``cluster.now``. Making a handle reads
nothing; each read crosses into the core once and comes back as Python values made from the
stored object (no JSON text), and a property converts only the part it reads."""

from __future__ import annotations

import datetime as _dt
import json
import math
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .errors import NotFoundError

if TYPE_CHECKING:
    from ._cluster import Cluster
    from ._rollout import Rollout

__all__ = [
    "ConfigMap",
    "ContainerStatus",
    "CronJob",
    "Deployment",
    "Event",
    "HorizontalPodAutoscaler",
    "Job",
    "Namespace",
    "Node",
    "Object",
    "Pod",
    "PodDisruptionBudget",
    "ReplicaSet",
    "Secret",
    "Service",
    "ServiceAccount",
]


def _parse_time(value: str | None) -> _dt.datetime | None:
    if not value:
        return None
    return _dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


class _Listing:
    """The handles of one list, read together: reading their dicts one after another (``[h.to_dict()
    for h in c.deployments()]``) reads them from the core in chunks of one native call each
    (growing as the reading goes on, so that no more than about twice what was read is made),
    not one call per handle. A chunk's dicts are each handed out once, and only while the store
    is as it was when the chunk was read (its resourceVersion, which every write moves): a handle
    still shows the cluster as of its read. Reading out of order reads one object at a time."""

    __slots__ = ("_dicts", "_end", "_keys", "_kind", "_native", "_read", "_version")

    def __init__(self, native: Any, kind: str, keys: Sequence[tuple[str, str]]) -> None:
        self._native = native
        self._kind = kind
        self._keys = keys
        self._version = -1
        self._dicts: dict[int, dict[str, Any]] = {}
        self._end = 0  # the index after the last one read; -1 after a chunk failed
        self._read = 0  # dicts read in chunks at this version

    def take(self, i: int) -> dict[str, Any] | None:
        """The dict of handle ``i``, or None when it is to be read on its own."""
        version = self._native.resource_version
        if version != self._version:
            self._version, self._end, self._read = version, i, 0
            self._dicts.clear()
        d = self._dicts.pop(i, None)
        if d is not None or i != self._end:
            return d
        end = min(len(self._keys), i + max(16, self._read))
        try:
            dicts = self._native.get_many(self._kind, self._keys[i:end])
        except NotFoundError:  # one of them was deleted: each is read (and fails) alone
            self._end = -1
            return None
        self._dicts.update(zip(range(i + 1, end), dicts[1:], strict=True))
        self._end, self._read = end, self._read + len(dicts)
        first: dict[str, Any] = dicts[0]
        return first


class Object:
    """A live view of one stored object."""

    kind: str = ""
    # Set on the handles a list returns (see `_Listing`).
    _listing: _Listing | None = None
    _index = 0

    def __init__(
        self, cluster: Cluster, namespace: str, name: str, listing: _Listing | None = None, index: int = 0
    ) -> None:
        self._cluster = cluster
        self._namespace = namespace
        self._name = name
        if listing is not None:
            self._listing, self._index = listing, index

    def to_dict(self) -> dict[str, Any]:
        """The object as the API server returns it (Kubernetes' camelCase keys)."""
        if self._listing is not None:
            d = self._listing.take(self._index)
            if d is not None:
                return d
        result: dict[str, Any] = self._cluster._native.get(self.kind, self._namespace, self._name)
        return result

    def __getstate__(self) -> dict[str, Any]:
        # A copy or a pickle is a handle of its own (the listing holds the native cluster).
        return {k: v for k, v in self.__dict__.items() if k not in ("_listing", "_index")}

    def _part(self, key: str) -> dict[str, Any]:
        """One top-level part of the object (``metadata``, ``spec``, ``status``), ``{}`` when it
        has none: only that part becomes Python values."""
        part: dict[str, Any] | None = self._cluster._native.get(self.kind, self._namespace, self._name, (key,))
        return {} if part is None else part

    def to_json(self, indent: int | None = 4) -> str:
        return json.dumps(self.to_dict(), indent=indent, sort_keys=True)

    def to_yaml(self) -> str:
        return self._cluster._native.get_yaml(self.kind, self._namespace, self._name)

    @property
    def exists(self) -> bool:
        return self._cluster._exists(self.kind, self._namespace, self._name)

    @property
    def name(self) -> str:
        return self._name

    @property
    def namespace(self) -> str:
        return self._namespace

    @property
    def metadata(self) -> dict[str, Any]:
        return self._part("metadata")

    @property
    def uid(self) -> str:
        return str(self.metadata["uid"])

    @property
    def labels(self) -> dict[str, str]:
        return dict(self.metadata.get("labels", {}))

    @property
    def annotations(self) -> dict[str, str]:
        return dict(self.metadata.get("annotations", {}))

    @property
    def resource_version(self) -> str:
        return str(self.metadata["resourceVersion"])

    @property
    def generation(self) -> int | None:
        gen = self.metadata.get("generation")
        return None if gen is None else int(gen)

    @property
    def creation_timestamp(self) -> _dt.datetime | None:
        return _parse_time(self.metadata.get("creationTimestamp"))

    @property
    def deletion_timestamp(self) -> _dt.datetime | None:
        return _parse_time(self.metadata.get("deletionTimestamp"))

    @property
    def owner_references(self) -> list[dict[str, Any]]:
        return list(self.metadata.get("ownerReferences", []))

    @property
    def spec(self) -> dict[str, Any]:
        return self._part("spec")

    @property
    def status(self) -> dict[str, Any]:
        return self._part("status")

    def __repr__(self) -> str:
        if self._namespace:
            return f"{type(self).__name__}({self._name!r}, namespace={self._namespace!r})"
        return f"{type(self).__name__}({self._name!r})"

    def _repr_html_(self) -> str:
        """In a notebook: the object's `kubectl get` row."""
        from ._display import objects_html

        try:
            return objects_html([self])
        except Exception:  # a display hook must not raise (the object may be gone)
            return f"<pre>{self!r}</pre>"

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Object)
            and other.kind == self.kind
            and other._cluster is self._cluster
            and (other._namespace, other._name) == (self._namespace, self._name)
        )

    def __hash__(self) -> int:
        return hash((self.kind, self._namespace, self._name))


Quantity = str | int | float
Load = Quantity | list[tuple[Any, Quantity]] | Callable[[float], Quantity] | None


# The core holds loads and metrics as signed 64-bit milli-units (as the API server's int64
# Quantity does in milli form): 9,223,372,036,854,775.807 cores, or about 8 PiB of memory.
_MAX_MILLI = 2**63 - 1


def _milli(q: Quantity) -> int:
    from . import _native
    from .errors import InvalidArgumentError

    if isinstance(q, bool) or not isinstance(q, str | int | float):
        raise TypeError(f"a quantity is a string or a number, not {q!r}")
    if isinstance(q, str):
        return _native.parse_quantity(q)
    if isinstance(q, float) and not math.isfinite(q):
        raise InvalidArgumentError(f"invalid quantity {q!r}: must be a finite number")
    milli = q * 1000 if isinstance(q, int) else round(q * 1000)
    if not -_MAX_MILLI <= milli <= _MAX_MILLI:
        raise InvalidArgumentError(
            f"invalid quantity {q!r}: out of range (at most {_MAX_MILLI}m, i.e. about 9.2e15 in whole units)"
        )
    return milli


class _Sampled:
    """A user's load or metric function, returning milli-units. A saved cluster pickles the
    function itself (by reference for a module-level function), not what it returned."""

    def __init__(self, fn: Callable[[float], Quantity]) -> None:
        self.fn = fn

    def __call__(self, t: float) -> int:
        return _milli(self.fn(t))


def _demand(load: Load) -> list[tuple[int, int]] | Callable[[float], int] | None:
    """A demand for the core: a schedule in (ms, milli-units), or a callable returning milli-units."""
    if load is None:
        return None
    if callable(load):
        return _Sampled(load)
    if isinstance(load, list):
        return [_point(i, p) for i, p in enumerate(load)]
    return [(0, _milli(load))]


def _point(i: int, point: object) -> tuple[int, int]:
    """One ``(time, value)`` step of a schedule."""
    from ._time import to_ms
    from .errors import InvalidArgumentError

    if isinstance(point, str | bytes) or not isinstance(point, Sequence) or len(point) != 2:
        raise InvalidArgumentError(
            f"schedule entry {i} is {point!r}: a schedule is a list of (time, value) pairs, "
            'e.g. [(0, "2"), ("10m", "10")]'
        )
    t, v = point
    return to_ms(t), _milli(v)


def _int(d: dict[str, Any], key: str) -> int:
    return int(d.get(key) or 0)


class _Workload(Object):
    @property
    def replicas(self) -> int:
        """``spec.replicas`` (desired)."""
        return _int(self.spec, "replicas")

    @property
    def ready_replicas(self) -> int:
        return _int(self.status, "readyReplicas")

    @property
    def available_replicas(self) -> int:
        return _int(self.status, "availableReplicas")

    @property
    def observed_generation(self) -> int:
        return _int(self.status, "observedGeneration")

    @property
    def conditions(self) -> list[dict[str, Any]]:
        return list(self.status.get("conditions", []))

    @property
    def selector(self) -> str:
        """The label selector in its canonical string form."""
        from . import _native

        sel = self.spec.get("selector") or {}
        parts = [f"{k}={v}" for k, v in sel.get("matchLabels", {}).items()]
        for expr in sel.get("matchExpressions", []):
            op, key, values = expr["operator"], expr["key"], expr.get("values", [])
            if op == "Exists":
                parts.append(key)
            elif op == "DoesNotExist":
                parts.append(f"!{key}")
            else:
                parts.append(f"{key} {op.lower()} ({','.join(values)})")
        return _native.parse_selector(",".join(parts))

    def scale(self, replicas: int) -> str:
        """`kubectl scale --replicas=N`."""
        if replicas < 0:
            from .errors import InvalidArgumentError

            raise InvalidArgumentError(
                "The --replicas=COUNT flag is required, and COUNT must be greater than or equal to 0"
            )
        self._cluster.patch(self.kind, self.name, {"spec": {"replicas": replicas}}, self.namespace)
        return f"{self.kind.lower()}.apps/{self.name} scaled"

    def autoscale(
        self, min: int | None = None, max: int = 0, cpu_percent: int | None = None, name: str | None = None
    ) -> HorizontalPodAutoscaler:
        """`kubectl autoscale` (1.32): an autoscaling/v1 HPA, named after this workload unless
        ``name`` is given."""
        from .errors import InvalidArgumentError

        if max < 1:
            raise InvalidArgumentError(f"--max=MAXPODS is required and must be at least 1, max: {max}")
        if min is not None and max < min:
            raise InvalidArgumentError(
                f"--max=MAXPODS must be larger or equal to --min=MINPODS, max: {max}, min: {min}"
            )
        spec: dict[str, Any] = {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": self.kind, "name": self.name},
            "maxReplicas": max,
        }
        if min is not None and min > 0:
            spec["minReplicas"] = min
        if cpu_percent is not None and cpu_percent >= 0:
            spec["targetCPUUtilizationPercentage"] = cpu_percent
        manifest = {
            "apiVersion": "autoscaling/v1",
            "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": name or self.name, "namespace": self.namespace},
            "spec": spec,
        }
        return self._cluster.create(manifest)  # type: ignore[return-value]


class Deployment(_Workload):
    kind = "Deployment"

    @property
    def updated_replicas(self) -> int:
        return _int(self.status, "updatedReplicas")

    @property
    def unavailable_replicas(self) -> int:
        return _int(self.status, "unavailableReplicas")

    @property
    def status_replicas(self) -> int:
        """``status.replicas``: pods of all the Deployment's ReplicaSets."""
        return _int(self.status, "replicas")

    @property
    def paused(self) -> bool:
        return bool(self.spec.get("paused", False))

    @property
    def strategy(self) -> dict[str, Any]:
        return dict(self.spec.get("strategy", {}))

    @property
    def revision(self) -> int:
        """The ``deployment.kubernetes.io/revision`` annotation (0 before the first rollout)."""
        return int(self.annotations.get("deployment.kubernetes.io/revision", "0") or 0)

    def _repr_html_(self) -> str:
        """In a notebook: status, strategy, conditions and the ReplicaSets table."""
        from ._display import deployment_html

        try:
            return deployment_html(self)
        except Exception:  # a display hook must not raise (the object may be gone)
            return f"<pre>{self!r}</pre>"

    @property
    def rollout(self) -> Rollout:
        """`kubectl rollout status|history|undo|pause|resume|restart` for this Deployment."""
        from ._rollout import Rollout

        return Rollout(self)

    def set_image(self, record: bool = False, **images: str) -> str:
        """`kubectl set image`: ``d.set_image(nginx="nginx:1.9.1", record=True)``. Returns kubectl's
        line, or "" when nothing changed (and then no new revision is made)."""
        from ._rollout import set_image

        return set_image(self, images, record)

    def set_load(self, cpu: Load = None, memory: Load = None, idle: Mapping[str, Quantity] | None = None) -> None:
        """The total demand on this Deployment, spread over its Ready pods the way a Service
        spreads traffic: a quantity (``"1500m"``, ``"2"``, ``2.5`` cores; memory ``"512Mi"``), a
        schedule ``[(time, value), …]`` (time as a duration from now; piecewise constant), or a
        callable ``f(t)`` of the elapsed virtual seconds since the simulation start returning a
        quantity. A callable is called once per metrics scrape (every 15 s of virtual time, in
        time order, never concurrently); it must not use the cluster. ``idle`` is what each
        running pod uses on top of its share, e.g. ``{"cpu": "10m", "memory": "64Mi"}``
        (default 0). ``None`` leaves a value as it was."""
        idle = dict(idle or {})
        unknown = set(idle) - {"cpu", "memory"}
        if unknown:
            from .errors import InvalidArgumentError

            raise InvalidArgumentError(f"idle takes cpu and memory, not {', '.join(sorted(unknown))}")
        idle_cpu, idle_memory = idle.get("cpu"), idle.get("memory")
        self._cluster._native.set_load(
            self.namespace,
            self.name,
            _demand(cpu),
            _demand(memory),
            None if idle_cpu is None else _milli(idle_cpu),
            None if idle_memory is None else _milli(idle_memory),
        )

    def set_metric(self, name: str, per_pod: Load = None, *, total: Load = None) -> None:
        """A Pods metric (what the custom metrics API reports for ``type: Pods`` HPA metrics) for
        this Deployment's pods: ``per_pod`` is what every running pod reports; ``total`` is
        shared by its Ready pods, like ``set_load``. Either is a quantity, a schedule or a
        callable ``f(t)`` (as for ``set_load``). With neither, the metric is removed."""
        if per_pod is not None and total is not None:
            from .errors import InvalidArgumentError

            raise InvalidArgumentError("give per_pod or total, not both")
        value = per_pod if per_pod is not None else total
        self._cluster._native.set_pods_metric(self.namespace, self.name, name, _demand(value), per_pod is not None)

    def replicasets(self) -> list[ReplicaSet]:
        """The ReplicaSets this Deployment controls, oldest first."""
        from ._rollout import owned_replicasets

        return sorted(owned_replicasets(self), key=lambda r: (r.creation_timestamp, r.name))

    def pods(self) -> list[Pod]:
        """The pods of this Deployment's ReplicaSets."""
        return sorted((p for rs in self.replicasets() for p in rs.pods()), key=lambda p: p.name)


class ReplicaSet(_Workload):
    kind = "ReplicaSet"

    def pods(self) -> list[Pod]:
        """The pods this ReplicaSet controls, by name."""
        return self._cluster._controlled("pods", self)  # type: ignore[return-value]

    @property
    def fully_labeled_replicas(self) -> int:
        return _int(self.status, "fullyLabeledReplicas")

    @property
    def status_replicas(self) -> int:
        return _int(self.status, "replicas")


class ContainerStatus:
    """One container of a pod: its spec name and image, and its status if the kubelet reported one."""

    def __init__(self, spec: dict[str, Any], status: dict[str, Any] | None) -> None:
        self.name: str = spec["name"]
        self.image: str = spec.get("image", "")
        status = status or {}
        state: dict[str, Any] = status.get("state") or {"waiting": {}}
        self.state: str = next(iter(state), "waiting")
        self.reason: str | None = state.get(self.state, {}).get("reason")
        self.ready: bool = bool(status.get("ready", False))
        self.restart_count: int = int(status.get("restartCount", 0))

    def __repr__(self) -> str:
        reason = f", reason={self.reason!r}" if self.reason else ""
        return f"ContainerStatus({self.name!r}, state={self.state!r}{reason})"


class Pod(Object):
    kind = "Pod"

    @property
    def phase(self) -> str:
        return str(self.status.get("phase", "Pending"))

    @property
    def ready(self) -> bool:
        return any(c.get("type") == "Ready" and c.get("status") == "True" for c in self.status.get("conditions", []))

    @property
    def node(self) -> str | None:
        node: str | None = self.spec.get("nodeName")
        return node

    @property
    def ip(self) -> str | None:
        ip: str | None = self.status.get("podIP")
        return ip

    @property
    def qos_class(self) -> str | None:
        qos: str | None = self.status.get("qosClass")
        return qos

    def evict(self, grace_period: Any = None, dry_run: bool = False) -> None:
        """The Eviction API: delete the pod unless its PodDisruptionBudget forbids it
        (:class:`kubesim.TooManyRequestsError`); see :meth:`kubesim.Cluster.evict`."""
        self._cluster.evict(self._name, self._namespace, grace_period=grace_period, dry_run=dry_run)

    @property
    def containers(self) -> list[ContainerStatus]:
        obj = self.to_dict()
        statuses = {s["name"]: s for s in obj.get("status", {}).get("containerStatuses", [])}
        return [ContainerStatus(c, statuses.get(c["name"])) for c in obj["spec"]["containers"]]

    def logs(
        self,
        container: str | None = None,
        previous: bool = False,
        timestamps: bool = False,
        tail: int | None = None,
    ) -> str:
        """What the container wrote (``kubectl logs``): the lines its image profile gives
        (``c.images.register(…, logs=[…])``) up to now, or up to its end; ``previous=True``: the
        run before the last restart. Raises :class:`kubesim.InvalidArgumentError` with the API
        server's message when there is no such log (e.g. the container is waiting to start)."""
        return str(
            self._cluster._native.pod_log(self.namespace, self.name, container, previous, timestamps, tail, None, None)
        )

    def set_usage(self, cpu: str | float | None = None, memory: str | float | None = None) -> None:
        """Fix this pod's reported usage (overrides its share of the Deployment's load)."""
        self._cluster._native.set_usage(
            self.namespace, self.name, None if cpu is None else _milli(cpu), None if memory is None else _milli(memory)
        )

    def set_metric(self, name: str, value: Quantity | None) -> None:
        """Fix this pod's value of the Pods metric ``name`` (overrides its Deployment's);
        ``None`` clears it."""
        self._cluster._native.set_pod_metric(self.namespace, self.name, name, None if value is None else _milli(value))

    @property
    def restarts(self) -> int:
        return sum(c.restart_count for c in self.containers)

    @property
    def conditions(self) -> list[dict[str, Any]]:
        return list(self.status.get("conditions", []))


class Node(Object):
    kind = "Node"

    @property
    def ready(self) -> bool:
        return any(c.get("type") == "Ready" and c.get("status") == "True" for c in self.status.get("conditions", []))

    @property
    def capacity(self) -> dict[str, str]:
        return dict(self.status.get("capacity", {}))

    @property
    def allocatable(self) -> dict[str, str]:
        return dict(self.status.get("allocatable", {}))

    @property
    def taints(self) -> list[dict[str, Any]]:
        return list(self.spec.get("taints", []))

    @property
    def unschedulable(self) -> bool:
        return bool(self.spec.get("unschedulable", False))

    def fail(self) -> None:
        """Stop this node's kubelet: after 40 s the node is NotReady and tainted unreachable; its
        pods are evicted when their toleration (300 s by default) runs out."""
        self._cluster._native.fail_node(self._name)

    def recover(self) -> None:
        """Restart this node's kubelet."""
        self._cluster._native.recover_node(self._name)


class HorizontalPodAutoscaler(Object):
    kind = "HorizontalPodAutoscaler"

    @property
    def min_replicas(self) -> int:
        return int(self.spec.get("minReplicas", 1))

    @property
    def max_replicas(self) -> int:
        return int(self.spec["maxReplicas"])

    @property
    def current_replicas(self) -> int:
        return _int(self.status, "currentReplicas")

    @property
    def desired_replicas(self) -> int:
        return _int(self.status, "desiredReplicas")

    @property
    def target(self) -> dict[str, str]:
        return dict(self.spec.get("scaleTargetRef", {}))

    @property
    def conditions(self) -> list[dict[str, Any]]:
        return list(self.status.get("conditions", []))


class Namespace(Object):
    kind = "Namespace"

    @property
    def phase(self) -> str:
        return str(self.status.get("phase", "Active"))


class Event(Object):
    kind = "Event"

    @property
    def reason(self) -> str | None:
        return self.to_dict().get("reason")

    @property
    def message(self) -> str | None:
        return self.to_dict().get("message")

    @property
    def type(self) -> str | None:
        return self.to_dict().get("type")

    @property
    def count(self) -> int:
        return int(self.to_dict().get("count", 1))

    @property
    def first_timestamp(self) -> _dt.datetime | None:
        return _parse_time(self.to_dict().get("firstTimestamp"))

    @property
    def last_timestamp(self) -> _dt.datetime | None:
        return _parse_time(self.to_dict().get("lastTimestamp"))

    @property
    def involved_object(self) -> dict[str, str]:
        return dict(self.to_dict().get("involvedObject", {}))

    @property
    def source(self) -> str:
        """The reporting component (``kubelet``, ``default-scheduler``, …)."""
        return str(self.to_dict().get("source", {}).get("component", ""))

    def __repr__(self) -> str:
        d = self.to_dict()
        return f"Event({d.get('type')} {d.get('reason')}: {d.get('message')!r} x{d.get('count', 1)})"


class ConfigMap(Object):
    kind = "ConfigMap"

    @property
    def data(self) -> dict[str, str]:
        return dict(self.to_dict().get("data", {}))


class Secret(Object):
    kind = "Secret"

    @property
    def type(self) -> str:
        return str(self.to_dict().get("type", "Opaque"))

    @property
    def data(self) -> dict[str, bytes]:
        """The values decoded (the API serves them base64-encoded, as ``to_dict()`` shows)."""
        import base64

        return {k: base64.b64decode(v) for k, v in self.to_dict().get("data", {}).items()}


class Service(Object):
    kind = "Service"

    @property
    def type(self) -> str:
        return str(self.spec.get("type", "ClusterIP"))

    @property
    def cluster_ip(self) -> str | None:
        return self.spec.get("clusterIP")

    @property
    def selector(self) -> dict[str, str]:
        return dict(self.spec.get("selector", {}))

    @property
    def ports(self) -> list[dict[str, Any]]:
        return list(self.spec.get("ports", []))

    def endpoint_slices(self) -> list[EndpointSlice]:
        """The EndpointSlices the EndpointSlice controller keeps for this Service."""
        selector = f"kubernetes.io/service-name={self.name}"
        return self._cluster.list("endpointslices", selector, self.namespace)  # type: ignore[return-value]

    @property
    def endpoints(self) -> list[str]:
        """The addresses of the ready endpoints (what a client of the Service reaches), sorted."""
        return sorted(a for s in self.endpoint_slices() for a in s.ready_addresses)


class EndpointSlice(Object):
    """A discovery.k8s.io/v1 EndpointSlice: up to 100 of a Service's endpoints."""

    kind = "EndpointSlice"

    @property
    def address_type(self) -> str:
        return str(self.to_dict().get("addressType", ""))

    @property
    def endpoints(self) -> list[dict[str, Any]]:
        return list(self.to_dict().get("endpoints") or [])

    @property
    def ports(self) -> list[dict[str, Any]]:
        return list(self.to_dict().get("ports") or [])

    @property
    def ready_addresses(self) -> list[str]:
        """Addresses of the endpoints whose ``ready`` condition is not false (upstream: nil is ready)."""
        return [
            a
            for e in self.endpoints
            if e.get("conditions", {}).get("ready", True) is not False
            for a in e.get("addresses", [])
        ]


class Endpoints(Object):
    """A core/v1 Endpoints: a Service's addresses, ready and not, by port set."""

    kind = "Endpoints"

    @property
    def subsets(self) -> list[dict[str, Any]]:
        return list(self.to_dict().get("subsets") or [])


class ServiceAccount(Object):
    kind = "ServiceAccount"


class Job(Object):
    """A batch/v1 Job: its counters, conditions and pods."""

    kind = "Job"

    @property
    def completions(self) -> int | None:
        value = self.spec.get("completions")
        return None if value is None else int(value)

    @property
    def parallelism(self) -> int:
        return int(self.spec.get("parallelism", 1))

    @property
    def active(self) -> int:
        return _int(self.status, "active")

    @property
    def ready(self) -> int:
        return _int(self.status, "ready")

    @property
    def succeeded(self) -> int:
        return _int(self.status, "succeeded")

    @property
    def failed(self) -> int:
        return _int(self.status, "failed")

    @property
    def completed_indexes(self) -> str:
        return str(self.status.get("completedIndexes", ""))

    @property
    def start_time(self) -> _dt.datetime | None:
        return _parse_time(self.status.get("startTime"))

    @property
    def completion_time(self) -> _dt.datetime | None:
        return _parse_time(self.status.get("completionTime"))

    @property
    def conditions(self) -> list[dict[str, Any]]:
        return list(self.status.get("conditions", []))

    def condition(self, type: str) -> bool:
        """Whether the condition of this type (``Complete``, ``Failed``, …) is True."""
        return any(c.get("type") == type and c.get("status") == "True" for c in self.conditions)

    @property
    def complete(self) -> bool:
        return self.condition("Complete")

    @property
    def failed_condition(self) -> bool:
        """Whether the Job has failed (its ``Failed`` condition is True)."""
        return self.condition("Failed")

    def pods(self) -> list[Pod]:
        """The pods this Job controls."""
        return self._cluster._controlled("pods", self)  # type: ignore[return-value]


class CronJob(Object):
    """A batch/v1 CronJob: its schedule, active Jobs and last run."""

    kind = "CronJob"

    @property
    def schedule(self) -> str:
        return str(self.spec.get("schedule", ""))

    @property
    def suspend(self) -> bool:
        return bool(self.spec.get("suspend", False))

    @property
    def active(self) -> list[str]:
        """The names of the Jobs it is running."""
        return [r.get("name", "") for r in self.status.get("active", [])]

    @property
    def last_schedule_time(self) -> _dt.datetime | None:
        return _parse_time(self.status.get("lastScheduleTime"))

    @property
    def last_successful_time(self) -> _dt.datetime | None:
        return _parse_time(self.status.get("lastSuccessfulTime"))

    def jobs(self) -> list[Job]:
        """The Jobs it made (and still has)."""
        return self._cluster._controlled("jobs", self)  # type: ignore[return-value]


class PodDisruptionBudget(Object):
    """A policy/v1 PodDisruptionBudget; the status is the disruption controller's."""

    kind = "PodDisruptionBudget"

    @property
    def min_available(self) -> int | str | None:
        value: int | str | None = self.spec.get("minAvailable")
        return value

    @property
    def max_unavailable(self) -> int | str | None:
        value: int | str | None = self.spec.get("maxUnavailable")
        return value

    def _count(self, key: str) -> int:
        return int(self.status.get(key, 0))

    @property
    def disruptions_allowed(self) -> int:
        return self._count("disruptionsAllowed")

    @property
    def current_healthy(self) -> int:
        return self._count("currentHealthy")

    @property
    def desired_healthy(self) -> int:
        return self._count("desiredHealthy")

    @property
    def expected_pods(self) -> int:
        return self._count("expectedPods")

    @property
    def observed_generation(self) -> int:
        return self._count("observedGeneration")

    @property
    def disrupted_pods(self) -> dict[str, _dt.datetime | None]:
        """Evictions granted but not yet seen as deletions: pod name → when."""
        return {k: _parse_time(v) for k, v in self.status.get("disruptedPods", {}).items()}


HANDLES: dict[str, type[Object]] = {
    cls.kind: cls
    for cls in (
        Deployment,
        ReplicaSet,
        Pod,
        Node,
        HorizontalPodAutoscaler,
        Namespace,
        Event,
        ConfigMap,
        Secret,
        Service,
        EndpointSlice,
        Endpoints,
        ServiceAccount,
        Job,
        CronJob,
        PodDisruptionBudget,
    )
}
