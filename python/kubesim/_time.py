"""Durations and instants on the virtual clock."""

from __future__ import annotations

import datetime as _dt

from . import _native

Duration = str | int | float | _dt.timedelta


def to_ms(duration: Duration) -> int:
    """Milliseconds from ``"1m30s"``, ``"250ms"``, seconds as a number, or a ``timedelta``."""
    if isinstance(duration, bool):
        raise TypeError("a duration is a string, a number of seconds or a timedelta, not a bool")
    if isinstance(duration, _dt.timedelta):
        ms = duration // _dt.timedelta(milliseconds=1)
    elif isinstance(duration, int | float):
        ms = _native.parse_duration(repr(float(duration)))
    elif isinstance(duration, str):
        ms = _native.parse_duration(duration)
    else:
        raise TypeError(f"a duration is a string, a number of seconds or a timedelta, not {duration!r}")
    if ms < 0:
        from .errors import InvalidArgumentError

        raise InvalidArgumentError(f"invalid duration {duration!r}: must not be negative")
    return int(ms)


def from_ms(ms: int) -> _dt.datetime:
    """A UTC datetime for Unix milliseconds on the virtual clock."""
    return _dt.datetime.fromtimestamp(ms / 1000, tz=_dt.UTC)


def start_ms(start: _dt.datetime | str | None) -> int | None:
    if start is None:
        return None
    if isinstance(start, str):
        start = _dt.datetime.fromisoformat(start.replace("Z", "+00:00"))
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware (e.g. datetime(2026, 1, 1, tzinfo=UTC))")
    return int(start.timestamp() * 1000)
