"""The Rust core (built by maturin). Use the ``kubesim`` package API instead of this module."""

import builtins
from collections.abc import Callable, Sequence
from typing import Any, final

__all__ = [
    "Cluster",
    "Server",
    "TimelineLog",
    "parse_duration",
    "release_memory",
    "parse_quantity",
    "parse_selector",
    "selector_matches",
    "resolve_kind",
    "kind_info",
    "served_kinds",
    "status_kinds",
    "parse_manifest",
    "label_value_errors",
    "qualified_name_errors",
    "tabwrite",
    "to_yaml",
    "frame_snapshot",
    "unframe_snapshot",
    "__version__",
    "DEFAULT_EPOCH_MS",
]

__version__: str
DEFAULT_EPOCH_MS: int

@final
class Cluster:
    """A simulated cluster: the object store plus the virtual clock."""

    def __new__(
        cls,
        nodes_json: str | None = None,
        node_count: int = 3,
        seed: int = 0,
        start_ms: int | None = None,
        threads: int = 1,
        latency_json: str | None = None,
    ) -> Cluster: ...
    def apply(self, text: str, source: str) -> builtins.list[tuple[str, str, str, str, str | None, str] | Exception]:
        """Apply every document: ``(kind, namespace, name, action, warning, line)`` or the error for that document."""
    def create(self, manifest: str) -> tuple[str, str, str]:
        """Create one object from YAML/JSON text; returns ``(Kind, namespace, name)`` of the stored object."""
    def replace(self, manifest: str) -> tuple[str, str, str]:
        """Replace one object from YAML/JSON text; returns ``(Kind, namespace, name)``."""
    def replace_status(self, manifest: str) -> tuple[str, str, str]:
        """Replace one object's status (the ``/status`` subresource); returns ``(Kind, namespace, name)``."""
    def set_image(
        self,
        namespace: str,
        name: str,
        images: builtins.list[tuple[str, str]],
        cause: str | None = None,
    ) -> bool:
        """``kubectl set image`` on a Deployment: each named container (``*``: every one) gets its image,
        ``cause`` the change-cause annotation; whether an image changed."""
    def patch(self, kind: str, namespace: str, name: str, patch_json: str) -> tuple[str, str, str]:
        """JSON merge patch; returns ``(Kind, namespace, name)``."""
    def delete(
        self,
        kind: str,
        namespace: str,
        name: str,
        propagation: str | None = None,
        grace_period_seconds: int | None = None,
    ) -> None:
        """Delete (a pod with a grace period terminates first)."""
    def evict(self, namespace: str, name: str, grace_period_seconds: int | None = None, dry_run: bool = False) -> None:
        """The Eviction API: delete the pod unless a PodDisruptionBudget forbids it."""
    def register_image(self, pattern: str, exists: bool, exit_code: int, size_bytes: int, profile_json: str) -> None:
        """Register how an image (or a glob) behaves; timings as distributions in milliseconds."""
    def pod_log(
        self,
        namespace: str,
        name: str,
        container: str | None = None,
        previous: bool = False,
        timestamps: bool = False,
        tail_lines: int | None = None,
        since_ms: int | None = None,
        limit_bytes: int | None = None,
    ) -> str:
        """A container's log, as ``GET …/pods/{name}/log`` returns it."""
    def pod_exec(
        self, namespace: str, name: str, container: str | None, command: list[str]
    ) -> tuple[str, str, int, str | None]:
        """``…/pods/{name}/exec``: ``(stdout, stderr, exit_code, error)``; ``error`` is the
        message the connection ends with (``None`` when the command ran)."""
    def fail_node(self, name: str) -> None:
        """Stop a node's kubelet."""
    def recover_node(self, name: str) -> None:
        """Restart a node's kubelet."""
    def table_cells(
        self,
        kind: str,
        keys: builtins.list[tuple[str, str]],
        wide: bool,
        show_labels: bool,
        label_columns: builtins.list[str],
        all_namespaces: bool,
    ) -> tuple[builtins.list[str], builtins.list[builtins.list[str]]]:
        """The header and rows of a `kubectl get` table as cells, for exactly `keys`."""
    def watch_rows(
        self,
        since: int,
        kind: str,
        namespace: str | None,
        selector: str,
        wide: bool,
        show_labels: bool,
        label_columns: builtins.list[str],
        field_selector: str = "",
    ) -> tuple[builtins.list[str], builtins.list[tuple[str, int, str, str, builtins.list[str]]]]:
        """`kubectl get -w`: the header, and each watch event of `kind` after `since` as a table row."""
    def get_table(
        self,
        kind: str,
        namespace: str | None,
        names: builtins.list[str],
        selector: str,
        wide: bool,
        show_labels: bool,
        label_columns: builtins.list[str],
        qualify_names: bool = False,
        keys: builtins.list[tuple[str, str]] | None = None,
        no_headers: bool = False,
    ) -> str:
        """A `kubectl get` table ('' when nothing matched); ``keys`` fixes objects and order."""
    def set_load(
        self,
        namespace: str,
        name: str,
        cpu: builtins.list[tuple[int, int]] | Callable[[float], int] | None = None,
        memory: builtins.list[tuple[int, int]] | Callable[[float], int] | None = None,
        idle_cpu: int | None = None,
        idle_memory: int | None = None,
    ) -> None:
        """Set a Deployment's demand: [(ms since now, milli-units), …] (one point at 0 is a
        constant) or a callable of the elapsed virtual seconds returning milli-units, sampled at
        each scrape; ``idle_*`` is each running pod's baseline (milli-units)."""
    def set_usage(self, namespace: str, name: str, cpu: int | None = None, memory: int | None = None) -> None:
        """Fix a pod's usage (milli-units)."""
    def describe(self, kind: str, namespace: str, name: str) -> str:
        """`kubectl describe KIND NAME` (Pod, ReplicaSet, Deployment, HorizontalPodAutoscaler, Node, Namespace)."""
    def describe_template(self, namespace: str, name: str, kind: str | None = None) -> str:
        """A ReplicaSet's (or with ``kind="ControllerRevision"``, a revision's) pod template as
        `rollout history --revision` prints it."""
    def set_pods_metric(
        self,
        namespace: str,
        name: str,
        metric: str,
        value: builtins.list[tuple[int, int]] | Callable[[float], int] | None,
        per_pod: bool,
    ) -> None:
        """Set (None: remove) a Deployment's Pods metric; ``per_pod``: every running pod reports
        the value, else its Ready pods share it."""
    def set_pod_metric(self, namespace: str, name: str, metric: str, value: int | None) -> None:
        """Fix (None: clear) one pod's value of a Pods metric (milli-units)."""
    def set_external_metric(
        self,
        metric: str,
        labels: dict[str, str],
        value: builtins.list[tuple[int, int]] | Callable[[float], int] | None,
    ) -> None:
        """Set (None: remove) the External metric series with these labels."""
    def top_table(
        self,
        kind: str,
        namespace: str | None,
        selector: str = "",
        sort_by: str | None = None,
        name: str | None = None,
        no_headers: bool = False,
    ) -> str:
        """`kubectl top pods|nodes` output ('' when no pod matched; None namespace: all)."""
    @property
    def max_objects(self) -> int:
        """The object budget."""
    def set_max_objects(self, n: int) -> None:
        """Set the object budget: settling stops with ObjectBudgetError past it."""
    def set_events(self, on: bool) -> None:
        """Turn Event recording on or off."""
    def stats(self) -> dict[str, int]:
        """Objects per kind, pods per phase (``pods_running`` …), ``pods_ready``, ``pods_terminating``."""
    def release_memory(self) -> None:
        """`release_memory()`, also on each of this cluster's worker threads."""
    def _debug_panic(self, op: str) -> None:
        """For kubesim's own tests: an internal error (a panic on a worker thread) during ``op``."""
    @property
    def latency_json(self) -> str:
        """The latencies modelled, as JSON (see ``kubesim.Latency``)."""
    @property
    def threads(self) -> int: ...
    def get(self, kind: str, namespace: str, name: str, path: Sequence[str] | None = None) -> Any:
        """One object as a dict made from the stored value; with ``path``, only the value under
        those keys (None when one is absent)."""
    def locate(self, kind: str, namespace: str, name: str) -> tuple[str, str]:
        """``(Kind, namespace)`` of a stored object (NotFoundError if absent); serialises nothing."""
    def exists(self, kind: str, namespace: str, name: str) -> bool:
        """Whether the object is stored; serialises nothing."""
    def get_many(self, kind: str, keys: builtins.list[tuple[str, str]]) -> builtins.list[dict[str, Any]]:
        """The objects named by ``(namespace, name)`` keys, as dicts, in that order."""
    def print_objects(self, items: builtins.list[tuple[str, str, str]], single: bool, output: str) -> str:
        """`kubectl get -o json|yaml` (``output``) of ``(kind, namespace, name)`` items, in order:
        the object itself when ``single`` and there is one, else a ``List``."""
    def get_yaml(self, kind: str, namespace: str, name: str) -> str:
        """One object as YAML."""
    def list_names(
        self, kind: str, namespace: str | None, selector: str = "", field_selector: str = ""
    ) -> builtins.list[tuple[str, str]]:
        """``(namespace, name)`` of matching objects (labels and fields) in list order."""
    def controlled_names(self, kind: str, namespace: str, uid: str) -> builtins.list[tuple[str, str]]:
        """``(namespace, name)`` of the objects of ``kind`` that ``uid`` controls, in list order."""
    def event_names_about(self, uid: str, namespace: str | None) -> builtins.list[tuple[str, str]]:
        """``(namespace, name)`` of the Events whose involvedObject names ``uid``, in list order."""
    def list(self, kind: str, namespace: str | None, selector: str = "") -> builtins.list[dict[str, Any]]:
        """Matching objects as dicts, in list order."""
    def watch(self, since: int) -> builtins.list[tuple[str, int, dict[str, Any]]]:
        """Watch events after ``since``: ``(type, resourceVersion, object)``."""
    @property
    def resource_version(self) -> int: ...
    def serve(
        self,
        address: str = "127.0.0.1",
        port: int = 0,
        token: str | None = None,
        clock: str = "manual",
        speed: float = 1.0,
    ) -> Server:
        """Serve the cluster as a Kubernetes API server on a background thread."""
    @property
    def served_writes(self) -> int:
        """How many requests of an API server changed this cluster."""
    def fork(self) -> Cluster:
        """An independent copy of the cluster."""
    def snapshot(self) -> tuple[bytes, builtins.list[Callable[[float], int]]]:
        """The whole simulation as snapshot bytes, and the callables it refers to by number."""
    @staticmethod
    def restore(data: bytes, source: str, callables: builtins.list[Callable[[float], int]], threads: int) -> Cluster:
        """The cluster a snapshot holds (``source`` names it in errors)."""
    def reseed(self, seed: int) -> None:
        """Draw future uids and generated names from ``seed``."""
    @property
    def now_ms(self) -> int: ...
    @property
    def start_ms(self) -> int: ...
    @property
    def next_event_ms(self) -> int | None: ...
    @property
    def next_change_ms(self) -> int | None:
        """``next_event_ms`` without the scheduler's leftover flushes (which change nothing)."""
    def advance_ms(self, ms: int) -> None: ...
    def run_to_ms(self, t: int) -> None: ...
    def run_to_change_ms(self, t: int) -> bool:
        """``run_to_ms``, returning after the first instant that wrote something; True at ``t``."""
    def timeline_into(self, log: TimelineLog) -> None:
        """The log that ``timeline_sample`` and ``run_to_sampled_ms`` fold samples into."""
    def run_to_sampled_ms(self, t: int, pods: bool = True) -> None:
        """``run_to_change_ms`` then ``timeline_sample``, again and again until ``t``: one
        sample per instant that wrote. On an error, the samples taken before it are in the
        log."""
    def timeline_stop(self) -> None: ...
    def timeline_sample(self, pods: bool = True) -> None:
        """A sample of what was written after the log's resourceVersion (0: everything),
        folded into the log given to ``timeline_into``."""

@final
class TimelineLog:
    """The timeline recorder's rows, kept by the core: each sample folded into the values that
    changed."""

    resource_version: int
    @property
    def event_count(self) -> int: ...
    def __len__(self) -> int: ...
    def rows(self, origin_ms: int, start: int) -> builtins.list[tuple[float, str, str, str, str, int | str | bool]]:
        """The rows from ``start`` on: ``(time, kind, namespace, name, field, value)``."""
    def starts(self, start: int) -> builtins.list[int]:
        """Where each sample that recorded something starts, from the ``start``-th on."""
    def events(
        self, origin_ms: int, start: int
    ) -> builtins.list[tuple[float, str, str, str, str, str, str, str, int, float]]:
        """The event occurrences from ``start`` on (rows of ``Timeline.events``)."""
    def __copy__(self) -> TimelineLog: ...
    def __deepcopy__(self, _memo: object) -> TimelineLog: ...

@final
class Server:
    """A running API server (``Cluster.serve``)."""

    @property
    def url(self) -> str: ...
    @property
    def running(self) -> bool: ...
    def stop(self) -> None:
        """Stop serving (idempotent); open watches end."""

def release_memory() -> None:
    """Return freed memory to the operating system."""

def parse_duration(text: str) -> int:
    """Milliseconds from a duration string (``"1m30s"``, ``"250ms"``, ``"90"``)."""

def parse_quantity(text: str) -> int:
    """A quantity in milli-units."""

def parse_selector(text: str) -> str:
    """The canonical form of a label selector string."""

def selector_matches(selector: str, labels: dict[str, str]) -> bool:
    """Whether ``selector`` matches ``labels``."""

def resolve_kind(name: str) -> tuple[str, bool]:
    """``(Kind, namespaced)`` for a kind as kubectl spells it."""

def kind_info(name: str) -> tuple[str, bool, str, list[str], str, str, str]:
    """``(Kind, namespaced, plural, short names, apiVersion, qualified singular, API resource)``."""

def status_kinds() -> list[str]:
    """The kinds with a ``/status`` subresource."""

def served_kinds() -> list[str]:
    """Every kind the simulated API server serves."""

def tabwrite(rows: list[list[str]]) -> str:
    """Rows aligned like kubectl's tab writer."""

def to_yaml(json: str) -> str:
    """Any JSON value as kubectl prints YAML."""

def parse_manifest(text: str, source: str) -> list[str]:
    """The documents of a manifest text, each as JSON text."""

def label_value_errors(value: str) -> list[str]:
    """Why a label value is invalid (empty when valid)."""

def qualified_name_errors(value: str) -> list[str]:
    """Why a label key (a qualified name) is invalid (empty when valid)."""

def frame_snapshot(payload: bytes) -> bytes:
    """``payload`` behind kubesim's snapshot header (magic, format, version)."""

def unframe_snapshot(data: bytes, source: str) -> bytes:
    """The payload of bytes ``frame_snapshot`` wrote; errors name ``source``."""
