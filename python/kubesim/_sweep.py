"""Parameter sweeps: one run of an experiment per combination of parameters (and per seed), on a
pool of local processes or on any :class:`concurrent.futures.Executor` (a Dask cluster's
``client.get_executor()``, an Executor over Ray, …), collected in grid order.

The simulation is deterministic, so where a run happens changes nothing: a sweep on any executor
returns exactly the rows of the same sweep run serially. A run that raises becomes a row carrying
its parameters and the error instead of ending the sweep.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import functools
import itertools
import multiprocessing
import os
import pickle
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Literal

from ._optional import require
from ._progress import iterate, quiet
from .errors import InvalidArgumentError

__all__ = ["Rows", "sweep"]


class Rows(list[dict[str, Any]]):
    """A list of result rows (dicts) that converts to a DataFrame and shows as a table."""

    def to_pandas(self) -> Any:
        return require("pandas", "Rows.to_pandas()").DataFrame(list(self))

    @property
    def errors(self) -> Rows:
        """The rows of the runs that raised (they have ``error`` and ``error_message``)."""
        return Rows(r for r in self if "error" in r)

    def _repr_html_(self) -> str:
        from ._display import rows_html

        columns: dict[str, None] = {}
        for r in self:
            columns.update(dict.fromkeys(r))
        return rows_html(self, list(columns))

    def __reduce__(self) -> tuple[Any, ...]:
        return (Rows, (list(self),))


# What a run sends back: (True, result) or (False, error type, error message). Errors travel as
# text, so an exception that does not pickle still reaches the row.
Outcome = tuple[Literal[True], Any] | tuple[Literal[False], str, str]


def sweep(
    experiment: Callable[..., Any],
    executor: cf.Executor | Literal[False] | None = None,
    seeds: Sequence[int] | None = None,
    progress: bool | None = None,
    **grid: Sequence[Any],
) -> Rows:
    """Run ``experiment(**params)`` for every combination of the ``grid`` values and return one
    row per run: the parameters plus the result (a dict's items, or ``result``)::

        kubesim.sweep(rollout_time, max_surge=["0", "25%", "100%"], max_unavailable=["0", "25%"])

    ``seeds=[0, 1, 2]`` runs each combination once per seed, as ``experiment(**params, seed=s)``
    (so the experiment takes a ``seed`` keyword, typically for ``Cluster(seed=seed)``); the row
    has a ``seed`` column. Rows come in grid order (the first parameter varies slowest), then
    seed order, whatever order the runs finished in.

    ``executor``: None (default) runs on a pool of local processes, one per core (one process
    in all when there is one run or one core); ``False`` runs in this process, one run after
    another; any :class:`concurrent.futures.Executor` runs there, e.g. a Dask cluster's
    ``client.get_executor()`` (``pip install 'kubesim[dask]'``) or, for Ray, an Executor over it
    such as ``ray.util.concurrent.futures.RayExecutor``; the
    sweep does not shut down an executor it was given. In other processes the experiment and its
    results travel by pickle (cloudpickle where it is installed, which also sends functions
    defined in a notebook or a lambda), and each run's clusters use one reconcile thread unless
    ``KUBESIM_THREADS`` or ``threads=`` say otherwise: the pool already uses the cores.

    A run that raises gives a row with its parameters, ``error`` (the exception's type name) and
    ``error_message``; ``rows.errors`` lists them. ``progress=True`` shows a bar over the runs
    when the sweep takes more than half a second (default: on in notebooks); waits inside the
    runs never show their own bars.
    """
    if executor is not None and executor is not False and not callable(getattr(executor, "submit", None)):
        raise InvalidArgumentError(
            f"executor must be a concurrent.futures.Executor, None (a local process pool) or False (this process), "
            f"got {executor!r}"
        )
    keys = list(grid)
    if seeds is not None and "seed" in grid:
        raise InvalidArgumentError("give the seeds either as seeds= or as a grid parameter named seed, not both")
    seed_list: list[int | None] = [None] if seeds is None else list(seeds)
    runs = [
        (dict(zip(keys, values, strict=True)), seed)
        for values in itertools.product(*(grid[k] for k in keys))
        for seed in seed_list
    ]
    if executor is None and (len(runs) <= 1 or (os.cpu_count() or 1) <= 1):
        executor = False
    if executor is False:
        outcomes = (_call(experiment, params, seed) for params, seed in runs)
        results = list(iterate(outcomes, "sweep", progress, total=len(runs)))
    else:
        blob = _dumps(experiment)
        with _executor(executor, len(runs)) as pool:
            results = _gather(pool, blob, runs, progress)
    return Rows(_row(params, seed, outcome) for (params, seed), outcome in zip(runs, results, strict=True))


def _row(params: dict[str, Any], seed: int | None, outcome: Outcome) -> dict[str, Any]:
    row = dict(params)
    if seed is not None:
        row["seed"] = seed
    if outcome[0]:
        result = outcome[1]
        if isinstance(result, dict):
            row.update(result)
        else:
            row["result"] = result
    else:
        row["error"], row["error_message"] = outcome[1], outcome[2]
    return row


def _call(experiment: Callable[..., Any], params: dict[str, Any], seed: int | None) -> Outcome:
    """One run, with waits inside it drawing no progress bars (never nested in the sweep's)."""
    kwargs = params if seed is None else {**params, "seed": seed}
    with quiet():
        try:
            return (True, experiment(**kwargs))
        except Exception as e:  # noqa: BLE001 - a failing run is a row, not a lost sweep
            return (False, type(e).__name__, str(e))


def _remote(blob: bytes, params: dict[str, Any], seed: int | None, origin_pid: int) -> Outcome:
    """A run in a worker: unpickle the experiment (once per worker), run it single-threaded."""
    from . import _cluster

    try:
        experiment = _loads(blob)
    except Exception as e:  # noqa: BLE001 - e.g. a module the worker cannot import
        return (False, type(e).__name__, f"cannot load the experiment in the worker: {e}")
    local = _cluster.default_threads
    saved = getattr(local, "value", None)
    if os.getpid() != origin_pid:
        local.value = 1
    try:
        return _call(experiment, params, seed)
    finally:
        local.value = saved


@functools.lru_cache(maxsize=8)
def _loads(blob: bytes) -> Callable[..., Any]:
    experiment: Callable[..., Any] = pickle.loads(blob)  # noqa: S301 - sent by the sweep itself
    return experiment


def _dumps(experiment: Callable[..., Any]) -> bytes:
    try:
        import cloudpickle  # type: ignore[import-not-found, import-untyped, unused-ignore]

        dumps = cloudpickle.dumps
    except ImportError:
        dumps = functools.partial(pickle.dumps, protocol=pickle.HIGHEST_PROTOCOL)
    try:
        data: bytes = dumps(experiment)
    except Exception as e:  # noqa: BLE001 - pickle raises several types
        raise InvalidArgumentError(
            f"the experiment cannot be sent to other processes ({type(e).__name__}: {e}): define it at module "
            "level, install cloudpickle, or run the sweep in this process with executor=False"
        ) from None
    return data


@contextlib.contextmanager
def _executor(executor: cf.Executor | None, runs: int) -> Iterator[cf.Executor]:
    """The given executor, or a local process pool for this sweep, shut down afterwards."""
    if executor is not None:
        yield executor
        return
    # Workers start from a fresh interpreter (forkserver, or spawn where there is none): forking
    # this process would copy its reconcile threads' locks mid-use.
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
    pool = cf.ProcessPoolExecutor(max_workers=min(os.cpu_count() or 1, runs), mp_context=context)
    try:
        yield pool
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _gather(
    pool: cf.Executor, blob: bytes, runs: list[tuple[dict[str, Any], int | None]], progress: bool | None
) -> list[Outcome]:
    pid = os.getpid()
    futures = {pool.submit(_remote, blob, params, seed, pid): i for i, (params, seed) in enumerate(runs)}
    results: list[Outcome | None] = [None] * len(runs)
    try:
        for future in iterate(cf.as_completed(futures), "sweep", progress, total=len(runs)):
            try:
                results[futures[future]] = future.result()
            except Exception as e:  # noqa: BLE001 - e.g. a result that does not pickle, a worker that died
                results[futures[future]] = (False, type(e).__name__, str(e))
    finally:
        for future in futures:
            future.cancel()
    return [r for r in results if r is not None]
