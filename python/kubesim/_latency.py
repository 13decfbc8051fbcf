"""Optional control-plane and node latencies: ``Cluster(latency=kubesim.Latency(...))``."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from ._time import Duration, to_ms
from .dist import Dist
from .errors import InvalidArgumentError, KubesimError

__all__ = ["Latency", "parse_bytes", "parse_bandwidth"]

# Byte units (decimal and binary); per second, also bit rates ("Mbit/s", "Mbps": an eighth of
# a byte per bit). Units are matched as written: "Mb/s" is ambiguous and refused.
_BYTES = {"": 1, "B": 1, "kB": 10**3, "KB": 10**3, "MB": 10**6, "GB": 10**9, "KiB": 2**10, "MiB": 2**20, "GiB": 2**30}
_RATES = {
    **{f"{unit}/s": n for unit, n in _BYTES.items() if unit},
    **{f"{p}bit/s": n / 8 for p, n in {"": 1, "k": 10**3, "M": 10**6, "G": 10**9}.items()},
    **{f"{p}bps": n / 8 for p, n in {"k": 10**3, "M": 10**6, "G": 10**9}.items()},
}
_AMOUNT = re.compile(r"\s*([0-9]+(?:\.[0-9]*)?|\.[0-9]+)\s*(\S*)\s*")


def _quantity(value: int | float | str, what: str, per_second: bool) -> int:
    accepted = (
        'bytes per second as a number, or a string such as "50MB/s", "1.5GiB/s", "800Mbit/s" or "1Gbps"'
        if per_second
        else 'bytes as a number, or a string such as "120MB" or "64MiB"'
    )
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise TypeError(f"{what} is {accepted}, not {value!r}")
    if isinstance(value, str):
        units = _RATES if per_second else _BYTES
        m = _AMOUNT.fullmatch(value)
        if not m or m.group(2) not in units or (per_second and not m.group(2)):
            if per_second and m and m.group(2) in _BYTES:
                raise InvalidArgumentError(f'invalid {what} {value!r}: say per second (e.g. "50MB/s")')
            raise InvalidArgumentError(f"invalid {what} {value!r}: {what} is {accepted}")
        amount = float(m.group(1)) * units[m.group(2)]
    else:
        amount = float(value)
    if not math.isfinite(amount) or amount <= 0 or amount >= 2**63:
        raise InvalidArgumentError(f"invalid {what} {value!r}: must be more than 0 (and finite)")
    return max(1, round(amount))


def parse_bytes(value: int | float | str, what: str = "size") -> int:
    """Bytes from a number or a string such as ``"120MB"`` or ``"64MiB"``."""
    return _quantity(value, what, per_second=False)


def parse_bandwidth(value: int | float | str, what: str = "pull_bandwidth") -> int:
    """Bytes per second from a number or a string such as ``"50MB/s"`` or ``"800Mbit/s"``."""
    return _quantity(value, what, per_second=True)


def _duration(value: Duration, what: str) -> float:
    """A fixed duration in seconds (a whole number of milliseconds); the error names ``what``."""
    if isinstance(value, Dist):
        raise InvalidArgumentError(f"{what} takes a fixed duration, not a distribution ({value!r})")
    try:
        ms = to_ms(value)
    except TypeError:
        raise TypeError(f'{what} is a duration (e.g. "50ms"), not {value!r}') from None
    except KubesimError as e:
        raise InvalidArgumentError(f"{what}: {e}") from None
    if ms > 86_400_000:
        raise InvalidArgumentError(f"{what} must be at most 24h, got {value!r}")
    return ms / 1000


@dataclass(frozen=True)
class Latency:
    """Control-plane and node latencies a cluster models; every knob is off by default, which
    keeps kubesim's instant behaviour (see docs/concepts/latency.md for each knob's upstream
    counterpart).

    ``informer_delay``: a controller (and the scheduler) hears of a write this long after it.
    ``scheduler_qps`` / ``scheduler_burst``: at most this many scheduling attempts per second,
    with this many at once after a pause (default 1), as a token bucket in virtual time.
    ``kubelet_sync_period``: a kubelet admits a newly bound pod at its next tick (ticks at the
    cluster's start plus whole periods). ``pull_bandwidth``: a pull takes the image's ``size``
    over this (``"50MB/s"``, ``"800Mbit/s"`` or bytes per second) instead of its ``pull`` time.
    ``serialize_image_pulls``: a node pulls one image at a time; later pulls queue.

    Durations are whole milliseconds, read back as seconds; :meth:`upstream` gives
    upstream-like values for every knob.
    """

    informer_delay: Duration = 0
    scheduler_qps: float | None = None
    scheduler_burst: int | None = None
    kubelet_sync_period: Duration = 0
    pull_bandwidth: int | str | None = None
    serialize_image_pulls: bool = False

    def __post_init__(self) -> None:
        put = object.__setattr__
        put(self, "informer_delay", _duration(self.informer_delay, "informer_delay"))
        put(self, "kubelet_sync_period", _duration(self.kubelet_sync_period, "kubelet_sync_period"))
        qps, burst = self.scheduler_qps, self.scheduler_burst
        if qps is not None:
            if isinstance(qps, bool) or not isinstance(qps, int | float):
                raise TypeError(f"scheduler_qps is a number of attempts per second, not {qps!r}")
            if not math.isfinite(qps) or not 0.001 <= qps <= 1e6:
                raise InvalidArgumentError(f"scheduler_qps must be in [0.001, 1e6] attempts per second, got {qps!r}")
            put(self, "scheduler_qps", float(qps))
        if burst is not None:
            if qps is None:
                raise InvalidArgumentError("scheduler_burst needs scheduler_qps (the rate its bucket refills at)")
            if isinstance(burst, bool) or not isinstance(burst, int) or not 1 <= burst < 2**32:
                raise InvalidArgumentError(f"scheduler_burst must be a whole number >= 1, got {burst!r}")
        elif qps is not None:
            put(self, "scheduler_burst", 1)
        if self.pull_bandwidth is not None:
            put(self, "pull_bandwidth", parse_bandwidth(self.pull_bandwidth))
        if not isinstance(self.serialize_image_pulls, bool):
            raise TypeError(f"serialize_image_pulls is True or False, not {self.serialize_image_pulls!r}")

    @classmethod
    def upstream(cls) -> Latency:
        """Upstream-like values: a 50 ms watch delay (an estimate: upstream fixes none), the
        kube-scheduler client's QPS 50 / burst 100, the kubelet's 1 s PLEG relist, 50 MB/s per
        node (an estimate: it depends on the registry) and kubelet's default
        ``serializeImagePulls: true``."""
        return cls(
            informer_delay="50ms",
            scheduler_qps=50,
            scheduler_burst=100,
            kubelet_sync_period="1s",
            pull_bandwidth="50MB/s",
            serialize_image_pulls=True,
        )

    def spec(self) -> dict[str, Any]:
        """The form the core reads (milliseconds, bytes per second)."""
        return {
            "informer_delay": to_ms(self.informer_delay),
            "scheduler_qps": self.scheduler_qps,
            "scheduler_burst": self.scheduler_burst or 0,
            "kubelet_sync_period": to_ms(self.kubelet_sync_period),
            "pull_bandwidth": self.pull_bandwidth,
            "serialize_image_pulls": self.serialize_image_pulls,
        }

    @classmethod
    def from_spec(cls, spec: dict[str, Any]) -> Latency:
        """The latencies the core reports (see :meth:`spec`)."""
        qps = spec.get("scheduler_qps")
        return cls(
            informer_delay=spec.get("informer_delay", 0) / 1000,
            scheduler_qps=qps,
            scheduler_burst=spec.get("scheduler_burst") if qps is not None else None,
            kubelet_sync_period=spec.get("kubelet_sync_period", 0) / 1000,
            pull_bandwidth=spec.get("pull_bandwidth"),
            serialize_image_pulls=bool(spec.get("serialize_image_pulls", False)),
        )
