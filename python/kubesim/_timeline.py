"""The timeline recorder (``c.record()``) and what it hands back (``c.timeline()``).

Samples are taken at every instant at which something was written (``every=0``, change
resolution, what a cluster records from its creation) or on a grid of virtual time (every
``every``, aligned to the simulation start), and whenever a wait starts or returns to the caller.
A sample asks the core for the objects written since the previous sample (by resourceVersion),
so it costs O(objects changed); an instant at which nothing was written costs nothing. A row is
kept only when a value changed, so the history is a change log: a value holds until its next row.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, overload

from . import _native
from ._optional import require

if TYPE_CHECKING:
    from ._cluster import Cluster

__all__ = ["Recorder", "Timeline"]

Row = tuple[float, str, str, str, str, Any]  # time, kind, namespace, name, field, value
EventRow = tuple[float, str, str, str, str, str, str, str, int, float]
COLUMNS = ("time", "kind", "namespace", "name", "field", "value")
EVENT_COLUMNS = ("time", "namespace", "kind", "name", "type", "reason", "message", "source", "count", "first_time")


class Recorder:
    """Samples a cluster into rows. One per cluster; ``Cluster.record`` makes it.

    The rows are kept by the core (a ``TimelineLog``, which folds each sample into the values
    that changed) and made into Python tuples when they are read, the new ones only."""

    def __init__(self, cluster: Cluster, every_ms: int, pods: bool = True) -> None:
        if every_ms < 0:
            from .errors import InvalidArgumentError

            raise InvalidArgumentError("every must be a duration >= 0 (0: every change)")
        self.cluster = cluster
        self.every_ms = every_ms
        self.pods = pods
        self.active = True
        self._log = _native.TimelineLog()
        # The rows, sample starts and events read from the log so far.
        self._rows: list[Row] = []
        self._starts: list[int] = []
        self._events: list[EventRow] = []
        native = cluster._native
        self.origin_ms = native.start_ms
        self.first_ms = native.now_ms
        # The grid point at or before the last sample: the next sample is due one step later.
        self._cursor_ms = native.now_ms
        self.sample()

    @property
    def _rv(self) -> int:
        """The resourceVersion sampled up to (0: the next sample reads every object)."""
        return self._log.resource_version

    @_rv.setter
    def _rv(self, rv: int) -> None:
        self._log.resource_version = rv

    @property
    def rows(self) -> list[Row]:
        log = self._log
        if len(log) > len(self._rows):
            self._rows += log.rows(self.origin_ms, len(self._rows))
        return self._rows

    @property
    def sample_starts(self) -> list[int]:
        """Where each sample's rows start (samples that changed nothing have none)."""
        self._starts += self._log.starts(len(self._starts))
        return self._starts

    @property
    def events(self) -> list[EventRow]:
        log = self._log
        if log.event_count > len(self._events):
            self._events += log.events(self.origin_ms, len(self._events))
        return self._events

    @property
    def last_ms(self) -> int:
        return self._cursor_ms

    def next_due(self) -> int:
        k = (self._cursor_ms - self.origin_ms) // self.every_ms + 1
        return self.origin_ms + k * self.every_ms

    def run_to(self, target_ms: int) -> None:
        """Advance the simulation to ``target_ms``, sampling on the way: after each instant at
        which timers fired (change resolution), or on the grid. Grid points where nothing can
        have changed (no write since the last sample, no timer due) are skipped without stopping
        there, so a quiet hour costs nothing."""
        native = self.cluster._native
        if self.every_ms == 0:
            # The core samples each instant that wrote into the log, with no return per instant.
            native.timeline_into(self._log)
            try:
                native.run_to_sampled_ms(target_ms, self.pods)
            finally:
                self._cursor_ms = max(self._cursor_ms, native.now_ms)
            return
        while (due := self.next_due()) <= target_ms:
            if native.resource_version == self._rv:
                nxt = native.next_event_ms
                if nxt is None or nxt > target_ms:
                    break
                if nxt > due:
                    # Nothing fires before nxt: the samples up to it would repeat the last one.
                    self._cursor_ms = self.origin_ms + (nxt - 1 - self.origin_ms) // self.every_ms * self.every_ms
                    continue
            native.run_to_ms(due)
            self.sample()
        native.run_to_ms(target_ms)

    def sample(self) -> None:
        """Record what changed since the previous sample, at the current virtual time."""
        native = self.cluster._native
        self._cursor_ms = max(self._cursor_ms, native.now_ms)
        if native.resource_version == self._rv:
            return
        native.timeline_into(self._log)
        native.timeline_sample(self.pods)

    def __getstate__(self) -> dict[str, Any]:
        # What was read from the log is read again after loading.
        return {k: v for k, v in self.__dict__.items() if k not in ("_rows", "_starts", "_events")}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._rows, self._starts, self._events = [], [], []

    def __deepcopy__(self, memo: dict[int, Any]) -> Recorder:
        """A fork's copy: the log is copied in the core; the rows read from it are immutable
        tuples, so those lists are copied, not their rows."""
        new = Recorder.__new__(Recorder)
        new.__dict__.update(self.__dict__)
        new.cluster = memo.get(id(self.cluster), self.cluster)
        new._log = copy.copy(self._log)
        new._rows, new._starts, new._events = self._rows[:], self._starts[:], self._events[:]
        return new

    def timeline(self) -> Timeline:
        if self.active:
            self.sample()
        return Timeline(
            self.rows[:],
            sorted(self.events, key=lambda e: e[0]),
            starts=self.sample_starts[:],
            start=(self.first_ms - self.origin_ms) / 1000,
            end=(self._cursor_ms - self.origin_ms) / 1000,
            every=self.every_ms / 1000,
        )


def _time_starts(rows: list[Row]) -> list[int]:
    return [i for i, r in enumerate(rows) if i == 0 or rows[i - 1][0] != r[0]]


def _row_dict(r: Row) -> dict[str, Any]:
    return dict(zip(COLUMNS, r, strict=True))


class Timeline(Sequence[dict[str, Any]]):
    """Recorded rows, oldest first, as plain dicts: ``time`` (virtual seconds since the cluster
    started), ``kind``, ``namespace``, ``name``, ``field``, ``value``.

    A row is recorded when a value changes, so a value holds until the object's next row for
    that field. Fields: Deployment ``desired current ready available updated unavailable
    max_surge max_unavailable strategy paused revision`` and one per condition (``Available`` →
    status, ``Available.reason``); ReplicaSet ``desired current ready available revision owner
    image``; HorizontalPodAutoscaler ``min max current desired target`` and, per resource metric,
    ``cpu_utilization``/``cpu_target_utilization`` (percent) or ``cpu_average_milli``/
    ``cpu_target_average_milli``, plus conditions; Pod ``state`` (kubectl's STATUS, ``Ready`` when
    running and ready), ``node owner restarts``; Node ``ready cpu_allocatable_milli
    memory_allocatable cpu_requested_milli memory_requested pods``. When an object is deleted its
    ``deleted`` field becomes True.
    """

    def __init__(
        self,
        rows: list[Row],
        events: list[EventRow],
        start: float,
        end: float,
        every: float,
        starts: list[int] | None = None,
    ) -> None:
        self._rows = rows
        self._events = events
        self._starts = starts
        self.start = start
        self.end = end
        self.every = every

    def __len__(self) -> int:
        return len(self._rows)

    @overload
    def __getitem__(self, i: int) -> dict[str, Any]: ...
    @overload
    def __getitem__(self, i: slice) -> list[dict[str, Any]]: ...
    def __getitem__(self, i: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        if isinstance(i, slice):
            return [_row_dict(r) for r in self._rows[i]]
        return _row_dict(self._rows[i])

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return (_row_dict(r) for r in self._rows)

    def samples(self) -> Iterator[tuple[float, list[dict[str, Any]]]]:
        """``(time, rows)`` per sample that changed something, oldest first. Two samples can
        share a time: before and after a write made at that instant."""
        starts = self._starts if self._starts is not None else _time_starts(self._rows)
        for a, b in zip(starts, [*starts[1:], len(self._rows)], strict=True):
            if b > a:
                yield self._rows[a][0], [_row_dict(r) for r in self._rows[a:b]]

    def filter(
        self, kind: str | None = None, name: str | None = None, field: str | None = None, namespace: str | None = None
    ) -> Timeline:
        """The rows of one kind, object, field and/or namespace."""
        from . import _native

        kind = _native.resolve_kind(kind)[0] if kind else None
        rows = [
            r
            for r in self._rows
            if (kind is None or r[1] == kind)
            and (namespace is None or r[2] == namespace)
            and (name is None or r[3] == name)
            and (field is None or r[4] == field)
        ]
        return Timeline(rows, self._events, self.start, self.end, self.every)

    def names(self, kind: str, namespace: str | None = "default") -> list[str]:
        """Names of the recorded objects of ``kind``, in order of first appearance."""
        from . import _native

        kind = _native.resolve_kind(kind)[0]
        seen: dict[str, None] = {}
        for r in self._rows:
            if r[1] == kind and (namespace is None or r[2] == namespace or not r[2]):
                seen.setdefault(r[3], None)
        return list(seen)

    def series(self, kind: str, name: str, field: str, namespace: str = "default") -> list[tuple[float, Any]]:
        """``[(time, value), …]`` for one field: the value from each time on (a step function).
        After a deletion the value is None."""
        from . import _native

        kind = _native.resolve_kind(kind)[0]
        ns = namespace if _native.resolve_kind(kind)[1] else ""
        out: list[tuple[float, Any]] = []
        for t, k, n, nm, f, v in self._rows:
            if k == kind and n == ns and nm == name:
                if f == field:
                    out.append((t, v))
                elif f == "deleted" and v is True:
                    out.append((t, None))
        return out

    def value(self, kind: str, name: str, field: str, at: float | None = None, namespace: str = "default") -> Any:
        """The value of a field at virtual time ``at`` (seconds; default: the end), None if it
        was not recorded by then."""
        current = None
        for t, v in self.series(kind, name, field, namespace):
            if at is not None and t > at:
                break
            current = v
        return current

    @property
    def events(self) -> list[dict[str, Any]]:
        """Recorded event occurrences, oldest first: ``time`` (last occurrence), ``namespace``,
        ``kind`` and ``name`` of the involved object, ``type``, ``reason``, ``message``,
        ``source``, ``count``, ``first_time``."""
        return [dict(zip(EVENT_COLUMNS, e, strict=True)) for e in self._events]

    def to_pandas(self, wide: bool = False) -> Any:
        """A pandas DataFrame. Tidy (default): one row per change, columns ``time kind namespace
        name field value``. ``wide=True``: indexed by time on the sampling grid (plus every
        time something changed), one column per ``(kind, name, field)`` (``name`` is
        ``namespace/name`` outside the default namespace), values carried forward; an object's
        columns are empty while it does not exist."""
        pd = require("pandas", "Timeline.to_pandas()")
        tidy = pd.DataFrame(self._rows, columns=list(COLUMNS))
        if not wide:
            return tidy
        if tidy.empty:
            return pd.DataFrame(index=pd.Index([], name="time"))
        label = tidy["name"].where(tidy["namespace"].isin(["default", ""]), tidy["namespace"] + "/" + tidy["name"])
        tidy = tidy.assign(name=label).drop(columns="namespace")
        tidy = tidy.drop_duplicates(subset=["time", "kind", "name", "field"], keep="last")
        wide_df = tidy.pivot(index="time", columns=["kind", "name", "field"], values="value")
        steps = int((self.end - self.start) // self.every) if self.every > 0 else 0
        grid = [round(self.start + i * self.every, 3) for i in range(steps + 1)]
        index = sorted(set(grid) | set(wide_df.index))
        wide_df = wide_df.reindex(index).ffill()
        wide_df.index.name = "time"
        deleted_cols = [c for c in wide_df.columns if c[2] == "deleted"]
        for col in deleted_cols:
            gone = wide_df[col].eq(True)
            cols = [c for c in wide_df.columns if c[:2] == col[:2]]
            wide_df.loc[gone, cols] = None
        wide_df = wide_df.drop(columns=deleted_cols)
        return wide_df.sort_index(axis=1)

    def events_frame(self) -> Any:
        """The recorded events as a pandas DataFrame (see :attr:`events`)."""
        pd = require("pandas", "Timeline.events_frame()")
        return pd.DataFrame(self._events, columns=list(EVENT_COLUMNS))

    def __repr__(self) -> str:
        return f"Timeline({len(self._rows)} rows, {len(self._events)} events, {self.start:g}s–{self.end:g}s)"

    def _repr_html_(self) -> str:
        from ._display import rows_html

        head = [_row_dict(r) for r in self._rows[:10]]
        more = f"… {len(self._rows) - 10} more rows" if len(self._rows) > 10 else ""
        return f"<p><b>{self!r}</b></p>" + rows_html(head, COLUMNS) + (f"<p>{more}</p>" if more else "")
