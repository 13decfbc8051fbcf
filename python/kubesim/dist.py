"""Distributions for image timings, so that the seed changes how long things take.

Every timing of :meth:`kubesim.ImageRegistry.register` (``pull``, ``start``, ``ready_after``,
``crash_after``, ``completes_after``, ``liveness_fails_after``, ``stop``) takes a fixed duration
or one of these::

    c.images.register("app:*", pull=kubesim.dist.lognormal(median="2s", p99="20s"),
                      start=kubesim.dist.uniform("500ms", "2s"))

Each container run draws its own values, from its pod's uid (itself drawn from the cluster's
seed), the container's name and its restart count: the same seed gives the same history for any
thread count, another seed gives other timings, a restarted container draws again, and adding an
unrelated object changes no other draw. Values are whole milliseconds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ._time import Duration, to_ms
from .errors import InvalidArgumentError

__all__ = ["Dist", "choice", "empirical", "exponential", "fixed", "lognormal", "normal", "uniform"]


@dataclass(frozen=True)
class Dist:
    """A distribution of durations (build one with the functions of :mod:`kubesim.dist`)."""

    kind: str
    params: Any

    def spec(self) -> Any:
        """The form the core reads: ``{kind: params}`` in milliseconds."""
        return {self.kind: self.params}

    def __repr__(self) -> str:
        return f"kubesim.dist.{self.kind}({self.params!r})"


def fixed(value: Duration) -> Dist:
    """Always ``value``."""
    return Dist("fixed", to_ms(value))


def uniform(low: Duration, high: Duration) -> Dist:
    """Uniform between ``low`` and ``high`` (inclusive)."""
    lo, hi = to_ms(low), to_ms(high)
    if hi < lo:
        raise InvalidArgumentError(f"uniform needs low <= high, got low={low!r}, high={high!r}")
    return Dist("uniform", {"low": lo, "high": hi})


def normal(mean: Duration, stddev: Duration) -> Dist:
    """Normal with ``mean`` and ``stddev``, drawn again below zero (truncated at 0)."""
    return Dist("normal", {"mean": to_ms(mean), "stddev": to_ms(stddev)})


def lognormal(median: Duration, p99: Duration) -> Dist:
    """Log-normal with the given median and 99th percentile: most values near ``median``, a
    long tail up to about ``p99`` (image pulls and start-ups look like this)."""
    m, p = to_ms(median), to_ms(p99)
    if not 0 < m <= p:
        raise InvalidArgumentError(f"lognormal needs 0 < median <= p99, got median={median!r}, p99={p99!r}")
    return Dist("lognormal", {"median": m, "p99": p})


def exponential(mean: Duration, min: Duration = 0) -> Dist:  # noqa: A002 - the parameter's name
    """``min`` plus an exponential wait, with ``mean`` the mean of the whole."""
    mu, lo = to_ms(mean), to_ms(min)
    if mu < lo:
        raise InvalidArgumentError(f"exponential needs min <= mean, got min={min!r}, mean={mean!r}")
    return Dist("exponential", {"mean": mu, "min": lo})


def choice(values: Sequence[Duration], weights: Sequence[float] | None = None) -> Dist:
    """One of ``values``, with the given ``weights`` (equally likely when absent)."""
    ms = [to_ms(v) for v in values]
    if not ms:
        raise InvalidArgumentError("choice needs at least one value")
    if weights is not None:
        w = [float(x) for x in weights]
        if len(w) != len(ms):
            raise InvalidArgumentError(f"choice has {len(ms)} values but {len(w)} weights")
        if any(not x >= 0 or x == float("inf") for x in w) or sum(w) <= 0:
            raise InvalidArgumentError("choice weights must be finite, >= 0, and not all 0")
        return Dist("choice", {"values": ms, "weights": w})
    return Dist("choice", {"values": ms, "weights": None})


def empirical(samples: Sequence[Duration]) -> Dist:
    """One of the observed ``samples``, each equally likely (e.g. pull times from real logs)."""
    ms = [to_ms(v) for v in samples]
    if not ms:
        raise InvalidArgumentError("empirical needs at least one sample")
    return Dist("empirical", ms)


def spec_of(value: Duration | Dist, what: str) -> Any:
    """The core's form of a timing given as a duration or a :class:`Dist`."""
    if isinstance(value, Dist):
        return value.spec()
    try:
        return {"fixed": to_ms(value)}
    except TypeError:
        raise TypeError(f"{what} is a duration or a kubesim.dist distribution, not {value!r}") from None
