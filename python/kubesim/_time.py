"""Durations and instants on the virtual clock."""

from __future__ import annotations

import datetime as _dt

from . import _native
from .errors import InvalidArgumentError

Duration = str | int | float | _dt.timedelta

# Virtual time ends at 9999-12-31T23:59:59.999Z, the last instant a Python datetime holds
# (`c.now` must always be one). A simulation cannot be advanced past it, and no duration is
# longer than the whole range, so `now + duration` never overflows the core's 64-bit milliseconds.
END_MS = 253_402_300_799_999
END = "9999-12-31T23:59:59.999Z"


def to_ms(duration: Duration) -> int:
    """Milliseconds from ``"1m30s"``, ``"250ms"``, seconds as a number, or a ``timedelta``."""
    if isinstance(duration, bool):
        raise TypeError("a duration is a string, a number of seconds or a timedelta, not a bool")
    if isinstance(duration, _dt.timedelta):
        ms = duration // _dt.timedelta(milliseconds=1)
    elif isinstance(duration, int | float):
        try:
            text = repr(float(duration))
        except OverflowError:  # an int beyond any float
            raise InvalidArgumentError(f"invalid duration {duration!r}: too large") from None
        ms = _native.parse_duration(text)
    elif isinstance(duration, str):
        ms = _native.parse_duration(duration)
    else:
        raise TypeError(f"a duration is a string, a number of seconds or a timedelta, not {duration!r}")
    if ms < 0:
        raise InvalidArgumentError(f"invalid duration {duration!r}: must not be negative")
    if ms > END_MS:
        raise InvalidArgumentError(
            f"invalid duration {duration!r}: too large (virtual time ends at {END}; "
            f"the longest duration is {END_MS // 86_400_000}d)"
        )
    return int(ms)


def deadline(now_ms: int, duration: Duration, what: str = "advance") -> int:
    """``now + duration`` in milliseconds, which must not pass the end of virtual time."""
    target = now_ms + to_ms(duration)
    if target > END_MS:
        raise InvalidArgumentError(
            f"cannot {what} {duration!r}: virtual time would pass {END}, the latest instant a simulation "
            f"can reach (it is {from_ms(now_ms).isoformat()} now)"
        )
    return target


def reachable(ms: int | None) -> int | None:
    """A pending timer's time, or None when it falls after the end of virtual time (a wait can
    never get there, so for it nothing is pending)."""
    return None if ms is None or ms > END_MS else ms


def from_ms(ms: int) -> _dt.datetime:
    """A UTC datetime for Unix milliseconds on the virtual clock."""
    return _dt.datetime(1970, 1, 1, tzinfo=_dt.UTC) + _dt.timedelta(milliseconds=ms)


def start_ms(start: _dt.datetime | str | None) -> int | None:
    if start is None:
        return None
    if isinstance(start, str):
        try:
            start = _dt.datetime.fromisoformat(start.replace("Z", "+00:00"))
        except ValueError as e:
            raise InvalidArgumentError(f"invalid start {start!r}: {e}") from None
    if not isinstance(start, _dt.datetime):
        raise TypeError(f"start is a datetime or an ISO 8601 string, not {start!r}")
    if start.tzinfo is None:
        raise InvalidArgumentError("start must be timezone-aware (e.g. datetime(2026, 1, 1, tzinfo=UTC))")
    ms = (start - _dt.datetime(1970, 1, 1, tzinfo=_dt.UTC)) // _dt.timedelta(milliseconds=1)
    if ms > END_MS:
        raise InvalidArgumentError(f"invalid start {start.isoformat()}: virtual time ends at {END}")
    return ms
