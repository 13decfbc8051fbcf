"""Parameter sweeps: run one experiment per combination of parameters, collect the results."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import Any

from ._optional import require
from ._progress import iterate

__all__ = ["Rows", "sweep"]


class Rows(list[dict[str, Any]]):
    """A list of result rows (dicts) that converts to a DataFrame and shows as a table."""

    def to_pandas(self) -> Any:
        return require("pandas", "Rows.to_pandas()").DataFrame(list(self))

    def _repr_html_(self) -> str:
        from ._display import rows_html

        columns: dict[str, None] = {}
        for r in self:
            columns.update(dict.fromkeys(r))
        return rows_html(self, list(columns))

    def __reduce__(self) -> tuple[Any, ...]:
        return (Rows, (list(self),))


def sweep(experiment: Callable[..., Any], progress: bool | None = None, **grid: Sequence[Any]) -> Rows:
    """Run ``experiment(**params)`` for every combination of the ``grid`` values (in order) and
    return one row per run: the parameters plus the result (a dict's items, or ``result``).
    ``progress=True`` shows a bar over the runs (default: on in notebooks)::

        kubesim.sweep(rollout_time, max_surge=["0", "25%", "100%"], max_unavailable=["0", "25%"])
    """
    keys = list(grid)
    combos = list(itertools.product(*(grid[k] for k in keys)))
    rows = Rows()
    for values in iterate(combos, "sweep", progress, total=len(combos)):
        params = dict(zip(keys, values, strict=True))
        result = experiment(**params)
        row = dict(params)
        if isinstance(result, dict):
            row.update(result)
        else:
            row["result"] = result
        rows.append(row)
    return rows
