"""Progress bars in virtual time for long waits (``progress=True``; on by default in a Jupyter
notebook, off in tests and scripts). ``KUBESIM_PROGRESS=0|1`` overrides the default.

A bar appears only once its wait has taken ``DELAY`` seconds of wall time (a wait that is over
sooner draws nothing), and never inside another bar's work: the runs of a sweep draw none."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

from ._optional import require

__all__ = ["VirtualTimeBar", "enabled", "iterate", "quiet"]

T = TypeVar("T")

# Wall seconds a wait runs before its bar appears.
DELAY = 0.5

# Above zero while a sweep's run is in progress: no bar then, whatever was asked.
_quiet = 0


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """No progress bars inside (a sweep's runs: their bars would nest in the sweep's, or come
    from a worker process)."""
    global _quiet
    _quiet += 1
    try:
        yield
    finally:
        _quiet -= 1


def in_notebook() -> bool:
    """True inside a Jupyter kernel (not a terminal IPython)."""
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    shell = ipython.get_ipython()
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


def enabled(progress: bool | None) -> bool:
    if _quiet:
        return False
    if progress is not None:
        return progress
    env = os.environ.get("KUBESIM_PROGRESS")
    if env:
        return env.lower() not in ("0", "false", "no", "off")
    if "PYTEST_CURRENT_TEST" in os.environ:
        return False
    return in_notebook()


def _tqdm() -> Any:
    """tqdm's notebook widget where ipywidgets is there, else the text bar on stderr."""
    require("tqdm", "progress=True")
    if in_notebook():
        try:
            import ipywidgets  # type: ignore[import-not-found]  # noqa: F401
            from tqdm.notebook import tqdm as notebook_tqdm

            return notebook_tqdm
        except ImportError:
            pass
    from tqdm import tqdm

    return tqdm


class VirtualTimeBar:
    """A bar counting virtual seconds from ``start_ms`` to ``end_ms`` (unbounded when None)."""

    def __init__(self, desc: str, start_ms: int, end_ms: int | None) -> None:
        total = None if end_ms is None else max(end_ms - start_ms, 0) / 1000
        fmt = (
            "{desc}: {percentage:3.0f}%|{bar}| {n:.0f}/{total:.0f} s virtual [{elapsed} wall]"
            if total is not None
            else "{desc}: {n:.0f} s virtual [{elapsed} wall]"
        )
        self._bar = _tqdm()(total=total, desc=desc, bar_format=fmt, leave=False, file=sys.stderr, delay=DELAY)
        self.start_ms = start_ms
        self.end_ms = end_ms
        self._shown = 0.0

    def chunks(self, now_ms: int, target_ms: int) -> Iterator[int]:
        """Intermediate stopping points, so a long advance moves the bar about 100 times."""
        span = (self.end_ms - self.start_ms) if self.end_ms is not None else target_ms - now_ms
        step = max(span // 100, 1)
        t = now_ms
        while t + step < target_ms:
            t += step
            yield t
        yield target_ms

    def update(self, now_ms: int) -> None:
        done = (now_ms - self.start_ms) / 1000
        if done > self._shown:
            self._bar.update(done - self._shown)
            self._shown = done

    def close(self) -> None:
        self._bar.close()


def iterate(items: Iterable[T], desc: str, progress: bool | None, total: int | None = None) -> Iterator[T]:
    """``items`` with a bar over them when progress is on (sweeps and benchmark loops)."""
    if not enabled(progress):
        yield from items
        return
    bar = _tqdm()(items, desc=desc, total=total, leave=False, file=sys.stderr, delay=DELAY)
    try:
        yield from bar
    finally:
        bar.close()
