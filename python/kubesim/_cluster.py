"""The Python face of a simulated cluster."""

from __future__ import annotations

import builtins
import contextlib
import copy
import datetime as _dt
import json
import os
import pickle
import threading
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import _encode, _native
from ._apps import DaemonSet, PersistentVolumeClaim, StatefulSet
from ._handles import (
    HANDLES,
    CronJob,
    Deployment,
    Event,
    HorizontalPodAutoscaler,
    Job,
    Load,
    Node,
    Object,
    Pod,
    PodDisruptionBudget,
    ReplicaSet,
    _demand,
    _Listing,
)
from ._latency import Latency, parse_bytes
from ._objectlist import ObjectList
from ._progress import VirtualTimeBar
from ._progress import enabled as _progress_enabled
from ._time import Duration, deadline, from_ms, reachable, start_ms, to_ms
from .errors import InvalidArgumentError, KubesimError, ManifestError, TimeoutError

if TYPE_CHECKING:
    from ._server import Server
    from ._timeline import Recorder, Timeline
    from .dist import Dist

__all__ = ["ApplyResult", "Cluster", "ImageRegistry", "WatchEvent"]

Manifest = str | os.PathLike[str] | Mapping[str, Any] | Sequence[Mapping[str, Any]]
Selector = str | Mapping[str, str] | None

_MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")


@dataclass(frozen=True)
class ApplyResult:
    """One line of ``kubectl apply`` output; ``str(result)`` is that line."""

    kind: str
    namespace: str
    name: str
    action: str  # "created" | "configured" | "unchanged"
    warning: str | None
    line: str

    def __str__(self) -> str:
        return self.line


@dataclass(frozen=True)
class WatchEvent:
    """A watch event: ``type`` is ADDED, MODIFIED or DELETED."""

    type: str
    resource_version: int
    object: dict[str, Any]

    @property
    def kind(self) -> str:
        return str(self.object.get("kind", ""))

    @property
    def name(self) -> str:
        return str(self.object.get("metadata", {}).get("name", ""))


class ImageRegistry:
    """How images behave in this cluster (``c.images``). Unregistered images exist, pull in 2 s,
    start in 1 s, are ready as soon as they run (or when their readiness probe passes), never
    crash, and keep running after SIGTERM until the grace period ends."""

    def __init__(self, cluster: Cluster) -> None:
        self._cluster = cluster

    def register(
        self,
        ref: str,
        *,
        exists: bool = True,
        pull: Duration | Dist = "2s",
        start: Duration | Dist = "1s",
        ready_after: Duration | Dist | None = None,
        crash_after: Duration | Dist | None = None,
        exit_code: int = 1,
        completes_after: Duration | Dist | None = None,
        liveness_fails_after: Duration | Dist | None = None,
        stop: Duration | Dist | None = None,
        size: int | str = 64 * 1024 * 1024,
        logs: Sequence[str | tuple[Duration, str]] = (),
        exec: Mapping[str, str | tuple[str, int] | Mapping[str, Any]] | None = None,
    ) -> None:
        """Register an image reference or glob (``"nginx:*"``); the latest match wins.

        ``exists=False`` makes pulls fail (ErrImagePull, then ImagePullBackOff). ``pull`` is the
        pull time on a node without the image; ``start`` the time from image present to running.
        ``ready_after``: a readiness probe passes from this long after start. ``crash_after``:
        the container exits with ``exit_code`` (137 shows as OOMKilled) this long after start;
        ``completes_after``: it exits 0. ``liveness_fails_after``: liveness probes fail from then
        on. ``stop``: time to exit after SIGTERM (default: runs until the grace period ends).
        ``size``: the image's size in bytes (or ``"120MB"``, ``"64MiB"``), shown in the Pulled
        event; with ``Latency(pull_bandwidth=…)`` a pull takes ``size / pull_bandwidth`` instead
        of ``pull``.

        Each timing is a duration or a distribution from :mod:`kubesim.dist` (e.g.
        ``pull=kubesim.dist.lognormal(median="2s", p99="20s")``), drawn per container run from
        the pod's seeded uid, so that seeds differ in timings as well as in names.

        ``logs``: what a container of the image writes, for ``kubectl logs`` and
        :meth:`kubesim.Pod.logs`: each line a string (written when the container starts) or a
        ``(offset, text)`` pair (written that long after it starts). The text may name
        ``{pod}``, ``{namespace}``, ``{container}``, ``{node}``, ``{ip}`` and ``{restarts}``.

        ``exec``: the commands ``kubectl exec`` can run in a container of the image, each a
        command line (split as a shell does) mapped to what it prints on stdout (exit code 0),
        a ``(stdout, exit_code)`` pair, or a dict with ``stdout``, ``stderr`` and ``exit_code``.
        The texts may name the placeholders above (but ``{restarts}``), ``{tag}`` and ``{env}``
        (the container's environment as ``env`` prints it). Every image also answers
        ``hostname``, ``cat /etc/hostname``, ``env`` and ``printenv`` unless ``exec`` declares
        them otherwise; any other command fails as a command missing from the image does.
        """
        from .dist import spec_of

        optional = {
            "ready_after": ready_after,
            "crash_after": crash_after,
            "completes_after": completes_after,
            "liveness_fails_after": liveness_fails_after,
            "stop": stop,
        }
        profile: dict[str, Any] = {"pull": spec_of(pull, "pull"), "start": spec_of(start, "start")}
        profile.update({k: spec_of(v, k) for k, v in optional.items() if v is not None})
        profile["logs"] = [_log_line(i, line) for i, line in enumerate(logs)]
        profile["exec"] = [_exec_command(command, answer) for command, answer in (exec or {}).items()]
        size_bytes = parse_bytes(size, "size")
        self._cluster._native.register_image(ref, exists, exit_code, size_bytes, json.dumps(profile))


def _log_line(i: int, line: str | tuple[Duration, str]) -> dict[str, Any]:
    if isinstance(line, str):
        return {"offset": 0, "text": line}
    if isinstance(line, tuple) and len(line) == 2 and isinstance(line[1], str):
        return {"offset": to_ms(line[0]), "text": line[1]}
    raise TypeError(f"logs[{i}] is a string or an (offset, text) pair, not {line!r}")


def _exec_command(command: str, answer: str | tuple[str, int] | Mapping[str, Any]) -> dict[str, Any]:
    import shlex

    if not isinstance(command, str):
        raise TypeError(f"exec keys are command lines (str), not {command!r}")
    try:
        argv = shlex.split(command)
    except ValueError as e:
        raise InvalidArgumentError(f"exec[{command!r}]: {e}") from None
    if not argv:
        raise InvalidArgumentError("exec: a command line is empty")
    if isinstance(answer, str):
        return {"argv": argv, "stdout": answer}
    if isinstance(answer, tuple) and len(answer) == 2 and isinstance(answer[0], str) and isinstance(answer[1], int):
        return {"argv": argv, "stdout": answer[0], "exit_code": answer[1]}
    if isinstance(answer, Mapping) and set(answer) <= {"stdout", "stderr", "exit_code"}:
        return {"argv": argv, **answer}
    raise TypeError(
        f"exec[{command!r}] is stdout text, a (stdout, exit_code) pair or a dict of stdout, stderr and "
        f"exit_code, not {answer!r}"
    )


def _selector_string(selector: Selector) -> str:
    if selector is None:
        return ""
    if isinstance(selector, str):
        return selector
    if isinstance(selector, Mapping):
        return ",".join(f"{k}={v}" for k, v in selector.items())
    raise TypeError(f"a selector is a string or a dict of labels, not {selector!r}")


def _manifest_texts(source: Manifest) -> Iterator[tuple[str | ManifestError, str]]:
    """(text, source name) pairs for anything `apply` accepts; a dict that is not JSON data
    comes as its error instead of a text, so the other items of a list are still applied."""
    if isinstance(source, Mapping):
        yield _object_text(source, "<dict>"), "<dict>"
        return
    if isinstance(source, Sequence) and not isinstance(source, str | bytes):
        for i, item in enumerate(source):
            if not isinstance(item, Mapping):
                raise TypeError(f"manifest list item {i} is not a dict: {item!r}")
            yield _object_text(item, f"<list item {i}>"), f"<list item {i}>"
        return
    if isinstance(source, os.PathLike) or (isinstance(source, str) and not _looks_like_text(source)):
        try:
            yield from _path_texts(source)
            return
        except FileNotFoundError:
            if isinstance(source, os.PathLike) or str(source).endswith(_MANIFEST_SUFFIXES):
                # upstream: kubectl's wording for a missing -f path
                raise ManifestError(f'the path "{source}" does not exist', source=str(source)) from None
        except OSError as e:
            # A one-line string that the file system cannot even look up (too long, say) is
            # text, unless it names a manifest file.
            if isinstance(source, os.PathLike) or str(source).endswith(_MANIFEST_SUFFIXES):
                raise ManifestError(
                    f'the path "{source}" cannot be accessed: {e.strerror or e}', source=str(source)
                ) from None
    if isinstance(source, str):
        yield source, "<string>"
        return
    raise TypeError(f"cannot apply {type(source).__name__}: give a path, YAML/JSON text, a dict or a list")


def _looks_like_text(source: str) -> bool:
    """Whether a string is manifest text rather than a path: kubectl users pass file and
    directory names (``web.yaml``, ``k8s/``, ``C:\\k8s``), while text has several lines, is a
    JSON object or list, starts a YAML document or comment, or has a ``key: value`` pair."""
    head = source.lstrip("\ufeff \t")
    return (
        not source.strip()
        or "\n" in source
        or "\r" in source
        or head.startswith(("{", "[", "---", "#"))
        or ": " in source
        or source.rstrip().endswith(":")
    )


def _path_texts(source: str | os.PathLike[str]) -> Iterator[tuple[str, str]]:
    """The manifests of a file, or of a directory's .yaml/.yml/.json files; FileNotFoundError
    when it names nothing."""
    path = Path(source)
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix in _MANIFEST_SUFFIXES)
        texts = [(_read_manifest(f), str(f)) for f in files]
        yield from texts
        return
    if path.is_file():
        yield _read_manifest(path), str(source)
        return
    raise FileNotFoundError(str(source))


def _read_manifest(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise ManifestError(f"error parsing {path}: not UTF-8 text (byte {e.start})", source=str(path)) from None
    except OSError as e:
        raise ManifestError(f"cannot read {path}: {e.strerror or e}", source=str(path)) from None


def _object_text(obj: Mapping[str, Any], source: str) -> str | ManifestError:
    try:
        return _encode.dumps(obj)
    except _encode.NotJSON as e:
        return ManifestError(f"error parsing {source} (document 1): {e}", source=source, document=1, field=e.field)


# Native calls that only read: everything else changes the simulation and is journaled (when
# the cluster keeps a journal).
_READS = frozenset(
    {
        "get",
        "get_yaml",
        "get_many",
        "locate",
        "exists",
        "print_objects",
        "list",
        "list_names",
        "get_table",
        "table_cells",
        "watch",
        "watch_rows",
        "stats",
        "release_memory",
        "describe",
        "describe_template",
        "top_table",
        "timeline_sample",
        "timeline_into",
        "pod_log",
        "serve",
        "fork",
        "snapshot",
    }
)


def _node_spec(node: Mapping[str, Any], index: int) -> dict[str, Any]:
    """A node spec as the core reads it: ``ready_after`` as a distribution's spec."""
    from .dist import spec_of

    if not isinstance(node, Mapping):
        raise TypeError(f"nodes[{index}] is a node spec (a dict), not {node!r}")
    spec = dict(node)
    if spec.get("ready_after") is not None:
        spec["ready_after"] = spec_of(spec["ready_after"], f"nodes[{index}].ready_after")
    return spec


class _Journaled:
    """The native cluster, with every state-changing call recorded (name, args, kwargs) when
    ``journal`` is a list (``Cluster(journal=True)``), for audit; with ``None`` calls pass
    straight through and nothing is kept. Saving never needs the journal: a snapshot holds the
    state itself."""

    def __init__(self, native: _native.Cluster, journal: builtins.list[Any] | None) -> None:
        self._native = native
        self._journal = journal

    def __setattr__(self, name: str, value: Any) -> None:
        # The methods kept below belong to the native cluster they were taken from.
        if name in ("_native", "_journal"):
            for kept in [k for k in self.__dict__ if k not in ("_native", "_journal")]:
                del self.__dict__[kept]
        super().__setattr__(name, value)

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._native, name)
        journal = self._journal
        if not callable(attr):
            return attr  # a value (resource_version, now_ms): read anew each time
        if journal is None or name in _READS:
            # Kept on the instance, so that later calls find it without coming here: this
            # method is a Python call, about three times the cost of a native lookup.
            self.__dict__[name] = attr
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            journal.append((name, args, kwargs))
            return attr(*args, **kwargs)

        return call


class Cluster:
    """A simulated Kubernetes cluster in deterministic virtual time.

    ``nodes`` is a count (``node-1`` … ``node-N``, 4 CPU / 16Gi / 110 pods each) or a list of
    node specs (``{"name", "cpu", "memory", "pods", "labels", "taints", "ready_after"}``;
    ``ready_after``, a duration or a :mod:`kubesim.dist` distribution drawn from the seed and the
    node's name, keeps the node NotReady that long after it is added). ``seed`` fixes every
    uid and generated name. ``latency`` (a :class:`kubesim.Latency`) turns on control-plane and
    node latencies; by default there are none and controllers act at once. ``start`` is when
    virtual time begins (default 2026-01-01T00:00:00Z). ``threads`` sizes the reconcile pool
    (default: ``KUBESIM_THREADS`` or the core count); results never depend on it.
    ``events=False`` stops recording Event objects, which dominate memory in simulations of
    tens of thousands of pods. ``record=False`` records
    no timeline (by default every change is recorded from the start, see :meth:`record`, so
    :func:`kubesim.plot.rollout` works after the fact). ``max_objects`` is the
    object budget (default 5,000,000 objects of every kind, events included): a run that would
    hold more stops with :class:`kubesim.ObjectBudgetError` instead of exhausting memory.
    Ctrl-C (KeyboardInterrupt) stops a long call between two rounds of the controllers; the
    cluster stays consistent and the next call goes on from there (and it can be saved).
    ``journal=True`` keeps a list of every state-changing call (:attr:`journal`), for audit; it
    grows with every call, so it is off by default. Saving, pickling and forking never need it:
    they copy the state itself.
    """

    # The timeline recorder (``record()``) and the progress bar of the wait in progress.
    _recorder: Recorder | None = None
    _bar: VirtualTimeBar | None = None

    def __new__(cls, *args: Any, **kwargs: Any) -> Cluster:
        self = super().__new__(cls)
        # The `%kubectl` magic talks to the cluster created last.
        global _last_created
        _last_created = weakref.ref(self)
        return self

    def __init__(
        self,
        nodes: int | Sequence[Mapping[str, Any]] = 3,
        seed: int = 0,
        start: _dt.datetime | str | None = None,
        threads: int | None = None,
        events: bool = True,
        max_objects: int | None = None,
        record: bool = True,
        journal: bool = False,
        latency: Latency | None = None,
    ) -> None:
        if latency is not None and not isinstance(latency, Latency):
            raise TypeError(f"latency is a kubesim.Latency, not {latency!r}")
        if isinstance(nodes, bool) or not isinstance(nodes, int | Sequence):
            raise TypeError("nodes is a count or a list of node specs")
        if isinstance(nodes, int):
            if nodes < 0:
                raise InvalidArgumentError(f"nodes must be >= 0, got {nodes}")
            nodes_json, count = None, nodes
        else:
            nodes_json, count = json.dumps([_node_spec(n, i) for i, n in enumerate(nodes)]), 0
        if threads is None:
            env = os.environ.get("KUBESIM_THREADS")
            threads = int(env) if env else (getattr(default_threads, "value", None) or os.cpu_count() or 1)
        if threads < 1:
            raise InvalidArgumentError(f"threads must be >= 1, got {threads}")
        if not 0 <= seed < 2**64:
            raise InvalidArgumentError(f"seed must be in [0, 2**64), got {seed}")
        self.seed = seed
        latency_json = None if latency is None else json.dumps(latency.spec())
        native = _native.Cluster(nodes_json, count, seed, start_ms(start), threads, latency_json)
        self._native: Any = _Journaled(native, [] if journal else None)
        if not events:
            self._native.set_events(False)
        if max_objects is not None:
            self.max_objects = max_objects
        self.images = ImageRegistry(self)
        if record:
            self.record(every=0, pods=RECORD_PODS)

    @property
    def threads(self) -> int:
        """Reconcile threads (results never depend on it)."""
        return self._native.threads

    @property
    def latency(self) -> Latency:
        """The control-plane and node latencies modelled (see :class:`kubesim.Latency`)."""
        return Latency.from_spec(json.loads(self._native.latency_json))

    @property
    def max_objects(self) -> int:
        """The object budget (see the class docs); raising it lets a stopped runaway go on."""
        return self._native.max_objects

    @max_objects.setter
    def max_objects(self, n: int) -> None:
        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n < 2**63:
            raise InvalidArgumentError(f"max_objects must be a positive whole number, got {n!r}")
        self._native.set_max_objects(n)

    # ----- time -----

    @property
    def now(self) -> _dt.datetime:
        """Virtual time (timezone-aware UTC)."""
        return from_ms(self._native.now_ms)

    @property
    def start(self) -> _dt.datetime:
        return from_ms(self._native.start_ms)

    @property
    def elapsed(self) -> float:
        """Virtual seconds since the simulation started."""
        return (self._native.now_ms - self._native.start_ms) / 1000

    def advance(self, duration: Duration, progress: bool | None = None) -> None:
        """Move virtual time forward, running everything that falls due on the way.
        ``progress=True`` shows a progress bar in virtual time (default: on in notebooks).
        Virtual time ends at 9999-12-31T23:59:59.999Z: going past it is an
        :class:`kubesim.InvalidArgumentError`, and nothing changes."""
        target = deadline(self._native.now_ms, duration)
        with self._waiting("advance", target, progress):
            self._run_to(target)

    def run_until(
        self, predicate: Callable[[], object], timeout: Duration | None = None, progress: bool | None = None
    ) -> None:
        """Advance virtual time until ``predicate()`` is true.

        Raises :class:`kubesim.TimeoutError` when ``timeout`` passes first, or at once when no
        timeout is given and nothing pending can change the outcome. ``progress=True`` shows a
        progress bar in virtual time (default: on in notebooks).
        """
        end = None if timeout is None else deadline(self._native.now_ms, timeout, "wait for")
        with self._waiting("run_until", end, progress):
            while not predicate():
                nxt = reachable(self._native.next_event_ms)
                # (The scheduler's leftover flushes alone change nothing: they do not keep a wait
                # with no timeout going.)
                if (
                    nxt is None
                    or (end is None and reachable(self._native.next_change_ms) is None)
                    or (end is not None and nxt > end)
                ):
                    if end is None:
                        raise TimeoutError(
                            "condition not met and nothing pending in the simulation can change it "
                            f"(at {self.elapsed:g}s)"
                        )
                    self._run_to(end)
                    if predicate():
                        return
                    raise TimeoutError(f"condition not met within {timeout} of virtual time")
                self._run_to(nxt)

    @contextlib.contextmanager
    def _waiting(self, desc: str, end_ms: int | None, progress: bool | None) -> Iterator[None]:
        """Around every wait: a progress bar if asked for, and timeline samples when the wait
        starts and returns (so the timeline shows what the caller saw at both ends)."""
        if self._recorder is not None and self._recorder.active:
            self._recorder.sample()  # writes made at this instant, before time moves
        outer = self._bar is not None
        if not outer and _progress_enabled(progress):
            self._bar = VirtualTimeBar(desc, self._native.now_ms, end_ms)
        try:
            yield
        finally:
            if not outer and self._bar is not None:
                self._bar.close()
                self._bar = None
            if self._recorder is not None and self._recorder.active:
                self._recorder.sample()

    def _run_to(self, target_ms: int) -> None:
        """Every wait moves time through here: the recorder samples on its grid, the bar moves."""
        bar, rec = self._bar, self._recorder
        stops = bar.chunks(self._native.now_ms, target_ms) if bar is not None else (target_ms,)
        for t in stops:
            if rec is not None and rec.active:
                rec.run_to(t)
            else:
                self._native.run_to_ms(t)
            if bar is not None:
                bar.update(self._native.now_ms)

    # ----- timeline -----

    def record(self, every: Duration | bool | None = "1s", pods: bool = True) -> None:
        """Record a timeline from now on: every ``every`` of virtual time (``every=0``: at each
        instant something changed, which is what a new cluster does from its creation) and
        whenever a wait starts or returns, the counts and conditions of Deployments,
        ReplicaSets and HPAs, HPA utilizations, pod states (``pods=False`` leaves them out),
        node allocation, and events. ``record(False)`` stops recording (what was recorded
        stays); calling it again changes the resolution. A sample costs O(objects changed since
        the previous one)."""
        from ._timeline import Recorder

        if every is False or every is None:
            if self._recorder is not None:
                self._recorder.sample()
                self._recorder.active = False
                self._native.timeline_stop()
            return
        every_ms = to_ms("1s" if every is True else every)
        rec = self._recorder
        if rec is None:
            self._recorder = Recorder(self, every_ms, pods)
            return
        if every_ms < 0:
            raise InvalidArgumentError("every must be a duration >= 0 (0: every change)")
        rec.sample()
        if pods and not rec.pods:
            rec._rv = 0  # the next sample reads every object: the pods as they are now
        rec.every_ms, rec.pods, rec.active = every_ms, pods, True

    @property
    def recording(self) -> bool:
        """Whether a timeline is being recorded (see :meth:`record`)."""
        return self._recorder is not None and self._recorder.active

    def timeline(self) -> Timeline:
        """What :meth:`record` recorded, up to now: rows as dicts (``time``, ``kind``,
        ``namespace``, ``name``, ``field``, ``value``), ``.to_pandas()`` for a DataFrame."""
        if self._recorder is None:
            raise InvalidArgumentError(
                "nothing recorded: call c.record() (e.g. c.record(every='1s')) before advancing time"
            )
        return self._recorder.timeline()

    def events_frame(self) -> Any:
        """Events as a pandas DataFrame (``time``, ``namespace``, ``kind``, ``name``, ``type``,
        ``reason``, ``message``, ``source``, ``count``, ``first_time``; times in virtual seconds
        since the start): every occurrence recorded since :meth:`record`, or, when nothing was
        recorded, the events the cluster holds now."""
        if self._recorder is not None:
            return self._recorder.timeline().events_frame()
        from ._timeline import Recorder

        return Recorder(self, 1000, pods=False).timeline().events_frame()

    # ----- writes -----

    def apply(self, source: Manifest) -> list[ApplyResult]:
        """``kubectl apply -f``: a path (file or directory), YAML/JSON text, a dict or a list.

        Every valid object is applied; a source without objects (empty, or only comments and
        ``---``) is a :class:`kubesim.ManifestError`, as kubectl says ``no objects passed to
        apply``. If any document fails, the first failure is raised after
        the others were applied; it carries ``applied`` (the results) and ``errors`` (all
        failures), and its message lists every failure.
        """
        results: list[ApplyResult] = []
        errors: list[KubesimError] = []
        names = []
        for text, name in _manifest_texts(source):
            names.append(name)
            if isinstance(text, ManifestError):
                errors.append(text)
            else:
                self._apply_one(text, name, results, errors)
        _raise_apply_errors(results, errors)
        if not results:
            # upstream: kubectl's answer to empty files (or only comments and `---`)
            raise ManifestError("no objects passed to apply", source=", ".join(names) or None)
        return results

    def _apply_text(self, text: str, source: str) -> list[ApplyResult]:
        """`apply` of one manifest text; ``source`` names it in errors."""
        results: list[ApplyResult] = []
        errors: list[KubesimError] = []
        self._apply_one(text, source, results, errors)
        _raise_apply_errors(results, errors)
        return results

    def _apply_one(self, text: str, source: str, results: list[ApplyResult], errors: list[KubesimError]) -> None:
        for item in self._native.apply(_without_bom(text), source):
            if isinstance(item, KubesimError):
                errors.append(item)
            elif isinstance(item, BaseException):
                raise item
            else:
                results.append(ApplyResult(*item))

    def create(self, obj: Mapping[str, Any] | str) -> Object:
        """``kubectl create``: the object must not exist yet."""
        return self._handle(*self._native.create(_json(obj)))

    def replace(self, obj: Mapping[str, Any] | str) -> Object:
        """``kubectl replace``: a ``metadata.resourceVersion`` in ``obj`` must be current, else
        :class:`kubesim.ConflictError`."""
        return self._handle(*self._native.replace(_json(obj)))

    def patch(self, kind: str, name: str, patch: Mapping[str, Any], namespace: str = "default") -> Object:
        """JSON merge patch (RFC 7386) of spec and metadata."""
        try:
            text = _encode.dumps(patch)
        except _encode.NotJSON as e:
            raise InvalidArgumentError(f"invalid patch: {e}", field=e.field) from None
        return self._handle(*self._native.patch(kind, namespace, name, text))

    def delete(
        self,
        kind: str,
        name: str,
        namespace: str = "default",
        propagation: str | None = None,
        grace_period: Duration | None = None,
    ) -> None:
        """Delete an object (``kubectl delete``). ``propagation`` is ``"Background"`` (the
        default for workloads), ``"Foreground"`` or ``"Orphan"``; ``grace_period`` overrides a
        pod's terminationGracePeriodSeconds (0 removes a bound pod at once, like ``--force``)."""
        grace = None if grace_period is None else to_ms(grace_period) // 1000
        self._native.delete(kind, namespace, name, propagation, grace)

    def evict(
        self, name: str, namespace: str = "default", grace_period: Duration | None = None, dry_run: bool = False
    ) -> None:
        """Evict a pod through the Eviction API (what ``kubectl drain`` does): a Pending,
        finished or terminating pod is deleted at once; otherwise the PodDisruptionBudget that
        selects it must allow a disruption, or :class:`kubesim.TooManyRequestsError` (HTTP 429,
        "Cannot evict pod as it would violate the pod's disruption budget.") is raised and
        nothing changes. Several budgets selecting the pod raise :class:`kubesim.EvictionError`
        (500). The evicted pod gets the ``DisruptionTarget`` condition, then terminates like a
        deleted one."""
        grace = None if grace_period is None else to_ms(grace_period) // 1000
        self._native.evict(namespace, name, grace, dry_run)

    # ----- reads -----

    def get(self, kind: str, name: str, namespace: str = "default") -> Object:
        """A live handle to an existing object; :class:`kubesim.NotFoundError` if absent.

        Making the handle reads nothing of the object: whether it exists is one lookup in the
        store's index (nothing is serialised), so a missing name fails here, where it was
        named, rather than at the first property read. The handle then reads the store on each
        access; if the object is deleted later, reads raise :class:`kubesim.NotFoundError`."""
        kind_name, namespace = self._native.locate(kind, namespace, name)
        return self._handle(kind_name, namespace, name)

    def list(
        self, kind: str, selector: Selector = None, namespace: str | None = "default", field_selector: str = ""
    ) -> builtins.list[Object]:
        """Objects of ``kind`` matching ``selector``, sorted by namespace and name.
        ``namespace=None`` lists all namespaces. ``field_selector`` selects on fields as the API
        server does (``"status.phase=Running,spec.nodeName!=node-1"``: the fields each kind's
        registry selects on; another field is an InvalidArgumentError)."""
        kind_name, namespaced = _native.resolve_kind(kind)
        scope = namespace if namespaced else None
        names = self._native.list_names(kind, scope, _selector_string(selector), field_selector)
        return self._listed(kind_name, names)

    def _listed(self, kind_name: str, names: builtins.list[tuple[str, str]]) -> builtins.list[Object]:
        """Handles of ``kind_name`` for ``names``, reading their objects together when first asked."""
        cls = HANDLES[kind_name]
        listing = _Listing(self._native, kind_name, names)
        return ObjectList(cls(self, ns, name, listing, i) for i, (ns, name) in enumerate(names))

    def _controlled(self, kind: str, owner: Object) -> builtins.list[Object]:
        """The objects of ``kind`` in ``owner``'s namespace whose controller it is, by name (read
        from the core's owner index, not from every object of the kind)."""
        kind_name, _ = _native.resolve_kind(kind)
        return self._listed(kind_name, self._native.controlled_names(kind, owner.namespace, owner.uid))

    def pods(self, selector: Selector = None, namespace: str | None = "default") -> builtins.list[Pod]:
        return self.list("pods", selector, namespace)  # type: ignore[return-value]

    def replicasets(self, selector: Selector = None, namespace: str | None = "default") -> builtins.list[ReplicaSet]:
        return self.list("replicasets", selector, namespace)  # type: ignore[return-value]

    def deployments(self, selector: Selector = None, namespace: str | None = "default") -> builtins.list[Deployment]:
        return self.list("deployments", selector, namespace)  # type: ignore[return-value]

    def hpas(
        self, selector: Selector = None, namespace: str | None = "default"
    ) -> builtins.list[HorizontalPodAutoscaler]:
        return self.list("horizontalpodautoscalers", selector, namespace)  # type: ignore[return-value]

    def daemonsets(self, selector: Selector = None, namespace: str | None = "default") -> builtins.list[DaemonSet]:
        return self.list("daemonsets", selector, namespace)  # type: ignore[return-value]

    def daemonset(self, name: str, namespace: str = "default") -> DaemonSet:
        return self.get("daemonset", name, namespace)  # type: ignore[return-value]

    def statefulsets(self, selector: Selector = None, namespace: str | None = "default") -> builtins.list[StatefulSet]:
        return self.list("statefulsets", selector, namespace)  # type: ignore[return-value]

    def statefulset(self, name: str, namespace: str = "default") -> StatefulSet:
        return self.get("statefulset", name, namespace)  # type: ignore[return-value]

    def pvcs(
        self, selector: Selector = None, namespace: str | None = "default"
    ) -> builtins.list[PersistentVolumeClaim]:
        return self.list("persistentvolumeclaims", selector, namespace)  # type: ignore[return-value]

    def nodes(self, selector: Selector = None) -> builtins.list[Node]:
        return self.list("nodes", selector, None)  # type: ignore[return-value]

    def events(self, object: Object | None = None, namespace: str | None = "default") -> builtins.list[Event]:
        """Events, oldest first (by last occurrence); with ``object``, only the events about it."""
        events: builtins.list[Event]
        if object is not None:
            # Read from the core's index of Events by involvedObject.uid, not from every Event.
            names = self._native.event_names_about(object.uid, object.namespace or "default")
            events = self._listed("Event", names)  # type: ignore[assignment]
        else:
            events = self.list("events", None, namespace)  # type: ignore[assignment]
        read = self._native.get_many("Event", [(e.namespace, e.name) for e in events])
        dicts = builtins.list(zip(events, read, strict=True))
        # The resourceVersion orders events by when they last happened.
        dicts.sort(key=lambda ed: int(ed[1]["metadata"]["resourceVersion"]))
        return [e for e, _ in dicts]

    def pod(self, name: str, namespace: str = "default") -> Pod:
        return self.get("pod", name, namespace)  # type: ignore[return-value]

    def replicaset(self, name: str, namespace: str = "default") -> ReplicaSet:
        return self.get("replicaset", name, namespace)  # type: ignore[return-value]

    def deployment(self, name: str, namespace: str = "default") -> Deployment:
        return self.get("deployment", name, namespace)  # type: ignore[return-value]

    def hpa(self, name: str, namespace: str = "default") -> HorizontalPodAutoscaler:
        return self.get("hpa", name, namespace)  # type: ignore[return-value]

    def pdb(self, name: str, namespace: str = "default") -> PodDisruptionBudget:
        return self.get("poddisruptionbudget", name, namespace)  # type: ignore[return-value]

    def pdbs(self, selector: Selector = None, namespace: str | None = "default") -> builtins.list[PodDisruptionBudget]:
        return self.list("poddisruptionbudgets", selector, namespace)  # type: ignore[return-value]

    def node(self, name: str) -> Node:
        return self.get("node", name, "")  # type: ignore[return-value]

    def job(self, name: str, namespace: str = "default") -> Job:
        return self.get("job", name, namespace)  # type: ignore[return-value]

    def jobs(self, selector: Selector = None, namespace: str | None = "default") -> builtins.list[Job]:
        return self.list("jobs", selector, namespace)  # type: ignore[return-value]

    def cronjob(self, name: str, namespace: str = "default") -> CronJob:
        return self.get("cronjob", name, namespace)  # type: ignore[return-value]

    def cronjobs(self, selector: Selector = None, namespace: str | None = "default") -> builtins.list[CronJob]:
        return self.list("cronjobs", selector, namespace)  # type: ignore[return-value]

    def kubectl(
        self,
        command: str | Sequence[str],
        check: bool = True,
        input: str | None = None,
        for_: Duration | None = None,
        editor: Callable[[str], str] | str | None = None,
    ) -> Any:
        """Run a kubectl command line (with or without the leading ``kubectl``; a string is split
        like a POSIX shell does, or give the arguments as a list) and return what a terminal
        shows: stdout, with the lines kubectl writes to stderr on success (``No resources found
        in default namespace.``, deprecation warnings) where they were written. ``input`` is
        standard input (for ``-f -``). A non-zero exit raises :class:`kubesim.KubectlError`
        (message = stderr); with ``check=False`` the result object (``stdout``, ``stderr`` and
        ``exit_code`` apart, as a script piping kubectl sees them; ``output`` both) is returned
        instead. ``for_`` is how long a watch (``get -w``) runs in virtual time: the result
        holds what kubectl would have printed meanwhile. ``editor`` is what ``edit`` opens: a
        function given the object's YAML (under kubectl's comment header) that returns the
        edited text, or the edited text itself."""
        from ._kubectl import raise_for, run

        result = run(self, command if isinstance(command, str) else builtins.list(command), input, for_, editor=editor)
        if not check:
            return result
        raise_for(result)
        return result.output

    def set_external_metric(self, name: str, value: Load, labels: Mapping[str, str] | None = None) -> None:
        """One series of an External metric (what the external metrics API reports for
        ``type: External`` HPA metrics), visible from every namespace: ``value`` is a quantity,
        a schedule or a callable ``f(t)`` as for ``Deployment.set_load``; ``None`` removes the
        series. ``labels`` identify the series; an HPA's ``metric.selector`` picks series by
        them and sums their values."""
        self._native.set_external_metric(name, dict(labels or {}), _demand(value))

    def top(
        self,
        kind: str = "pods",
        namespace: str | None = "default",
        selector: Selector = None,
        sort_by: str | None = None,
        name: str | None = None,
        no_headers: bool = False,
    ) -> str:
        """What ``kubectl top pods`` / ``kubectl top nodes`` prints: usage at the last metrics
        scrape. ``namespace=None`` lists pods of all namespaces; ``sort_by`` is ``"cpu"`` or
        ``"memory"``. Returns ``""`` when no pod matches; raises
        :class:`kubesim.MetricsUnavailableError` while pods have no samples yet."""
        return self._native.top_table(kind, namespace, _selector_string(selector), sort_by, name, no_headers)

    def stats(self) -> dict[str, int]:
        """Counts without reading objects: per kind (``pods``, ``replicasets`` …), pods per phase
        (``pods_pending``, ``pods_running`` …), ``pods_ready``, ``pods_terminating``."""
        return self._native.stats()

    @property
    def resource_version(self) -> int:
        """The newest resourceVersion the store has handed out."""
        return self._native.resource_version

    def serve(
        self,
        port: int = 0,
        address: str = "127.0.0.1",
        token: str | None = None,
        clock: str = "manual",
        speed: float = 1.0,
    ) -> Server:
        """Serve this cluster as a Kubernetes API server on a background thread, for the real
        ``kubectl``, the official ``kubernetes`` client and operators. ``port=0`` picks a free
        port; an address other than loopback warns. With ``token``, every request must carry
        ``Authorization: Bearer <token>``. ``clock="manual"`` (the default): virtual time moves
        only by this object's calls (``advance``, ``run_until``, …) or ``POST
        /kubesim/advance?by=30s``, so the history depends on the order of requests, not their
        timing. ``clock="wall"``: virtual time follows the wall clock × ``speed``. Returns a
        :class:`kubesim.Server` (``url``, ``kubeconfig``, ``env()``, ``stop()``, ``with``)."""
        from ._server import serve

        return serve(self._native._native, port=port, address=address, token=token, clock=clock, speed=speed)

    def watch(self, since: int = 0, kind: str | None = None) -> builtins.list[WatchEvent]:
        """Watch events with resourceVersion greater than ``since`` (oldest first), optionally
        of one kind. History older than the watch log raises :class:`kubesim.GoneError`."""
        kind_name = _native.resolve_kind(kind)[0] if kind else None
        events = [WatchEvent(t, rv, o) for t, rv, o in self._native.watch(since)]
        return [e for e in events if kind_name is None or e.kind == kind_name]

    # ----- forks and saving -----

    def fork(self, seed: int | None = None) -> Cluster:
        """An independent copy of this cluster, at the same virtual time, that continues exactly
        as this one would with the same calls; changing either leaves the other as it was. It
        costs O(objects), not O(history): stored objects are shared until either side changes
        them. ``seed`` re-seeds the uids and generated names created from now on (what exists
        keeps its names). The fork has its own timeline recording (a copy of what was recorded)
        and no API server; forks of forks work the same way."""
        if seed is not None and not 0 <= seed < 2**64:
            raise InvalidArgumentError(f"seed must be in [0, 2**64), got {seed}")
        j = self._native
        c = Cluster.__new__(Cluster)
        forked = _Journaled(j._native.fork(), None if j._journal is None else builtins.list(j._journal))
        # The Python-side state (image registry, timeline recording) is copied with its
        # references to this cluster pointing at the fork.
        state = {k: v for k, v in self.__dict__.items() if k != "_native"}
        c.__dict__.update(copy.deepcopy(state, {id(self): c, id(j): forked}))
        c._native = forked
        if seed is not None:
            forked.reseed(seed)
            c.seed = seed
        return c

    @property
    def journal(self) -> builtins.list[tuple[str, tuple[Any, ...], dict[str, Any]]] | None:
        """The state-changing calls made on this cluster, oldest first, as ``(native method,
        args, kwargs)``, if it was created with ``journal=True`` (``None`` otherwise). A fork or
        a loaded cluster carries a copy of the journal up to that point."""
        journal = self._native._journal
        return None if journal is None else builtins.list(journal)

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the whole simulation to ``path``; :meth:`load` continues it exactly.

        The file holds the state itself (objects, clock, timers, controller memory, random
        state; compact binary, zstd-compressed) and the Python side (image registry, timeline
        recording, load and metric callables, which must be module-level functions). Loading
        takes time in proportion to the objects, not to the history; a cluster changed
        through its API server, or stopped by Ctrl-C, saves like any other."""
        data = _native.frame_snapshot(self._pickle())
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(f"{path}.tmp")
        tmp.write_bytes(data)
        tmp.replace(path)

    @classmethod
    def load(cls, path: str | os.PathLike[str], threads: int | None = None) -> Cluster:
        """A cluster saved by :meth:`save`, at the same virtual time, continuing exactly as the
        saved one would have. ``threads`` sizes its reconcile pool (default: the saved
        cluster's); results never depend on it. A file from another kubesim version, or a
        damaged or truncated one, raises :class:`kubesim.InvalidArgumentError` naming it."""
        if threads is not None and threads < 1:
            raise InvalidArgumentError(f"threads must be >= 1, got {threads}")
        try:
            data = Path(path).read_bytes()
        except OSError as e:
            raise InvalidArgumentError(f"cannot load a cluster from {path}: {e.strerror}") from None
        payload = _native.unframe_snapshot(data, str(path))
        global _loading
        _loading = (threads, str(path))
        try:
            loaded = pickle.loads(payload)  # noqa: S301 - the user's own saved cluster
        except KubesimError:
            raise
        except Exception as e:
            raise InvalidArgumentError(f"{path} is not a saved kubesim cluster ({type(e).__name__}: {e})") from None
        finally:
            _loading = None
        if not isinstance(loaded, Cluster):
            raise InvalidArgumentError(f"{path} is not a saved kubesim cluster (it holds a {type(loaded).__name__})")
        return loaded

    def _pickle(self) -> bytes:
        try:
            return pickle.dumps(self, protocol=pickle.HIGHEST_PROTOCOL)
        except (pickle.PicklingError, TypeError, AttributeError) as e:
            raise InvalidArgumentError(
                f"cannot save this cluster: {e} (a load or metric given as a lambda or local function cannot be "
                "saved; use a module-level function)"
            ) from None

    def __reduce__(self) -> tuple[Any, ...]:
        j = self._native
        data, callables = j.snapshot()
        state = {k: v for k, v in self.__dict__.items() if k != "_native"}
        journal = None if j._journal is None else builtins.list(j._journal)
        return (_restore, (data, callables, self.threads, journal), state)

    def __repr__(self) -> str:
        return f"Cluster(nodes={len(self.nodes())}, seed={self.seed}, now={self.now.isoformat()})"

    def _repr_html_(self) -> str:
        from ._display import cluster_html

        return cluster_html(self)

    # ----- helpers -----

    def _exists(self, kind: str, namespace: str, name: str) -> bool:
        return self._native.exists(kind, namespace, name)

    def _handle(self, kind: str, namespace: str, name: str) -> Object:
        """The handle of a stored object, from its Kind (as the core names it), namespace and name."""
        return HANDLES[kind](self, namespace, name)


# What a new cluster records (Cluster(record=True)): not pod states, which are most of the
# rows of a large run and would cost it about a quarter of its time; `c.record(pods=True)`.
RECORD_PODS = False

# Reconcile threads when neither `threads=` nor KUBESIM_THREADS says (`.value`, per thread: a
# sweep's run in a worker sets 1 for the clusters it creates).
default_threads = threading.local()

# `Cluster.load(path, threads=N)`: the pool size for the clusters being unpickled (None: as
# saved) and the file's name, for errors.
_loading: tuple[int | None, str] | None = None


def _restore(data: bytes, callables: builtins.list[Any], threads: int, journal: builtins.list[Any] | None) -> Cluster:
    asked, source = _loading or (None, "the pickled cluster")
    c = Cluster.__new__(Cluster)
    c._native = _Journaled(_native.Cluster.restore(data, source, builtins.list(callables), asked or threads), journal)
    return c


_last_created: weakref.ref[Cluster] | None = None


def last_created() -> Cluster | None:
    """The Cluster created most recently in this process, if it is still alive."""
    return None if _last_created is None else _last_created()


def _json(obj: Mapping[str, Any] | str) -> str:
    """YAML/JSON text of one object, for create/replace."""
    if isinstance(obj, str):
        return _without_bom(obj)
    text = _object_text(obj, "<manifest>")
    if isinstance(text, ManifestError):
        raise text
    return text


def _without_bom(text: str) -> str:
    """Text saved with a UTF-8 byte order mark (as some Windows editors do) reads as without
    one, as kubectl reads it; the YAML parser would otherwise take the mark for content."""
    return text[1:] if text.startswith("\ufeff") else text


def _raise_apply_errors(results: list[ApplyResult], errors: list[KubesimError]) -> None:
    """The first failure, carrying ``applied`` and ``errors``; its message lists every failure."""
    if errors:
        first = errors[0]
        if len(errors) > 1:
            first = type(first)("\n".join(str(e) for e in errors), **_attrs(first))
        first.applied = results  # type: ignore[attr-defined]
        first.errors = errors  # type: ignore[attr-defined]
        raise first


def _attrs(e: KubesimError) -> dict[str, Any]:
    return {k: v for k, v in vars(e).items() if k != "message"}
