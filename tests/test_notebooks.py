"""The notebooks run top to bottom, headless, and end where their golden scenario ends.

Each notebook is executed in a fresh kernel; any cell that raises fails the test. A last cell,
added here (the stored notebook is unchanged), prints the trace of the notebook's cluster ``c``,
which must match ``tests/golden/<notebook>.trace`` — the same file the plain-Python scenario in
tests/test_golden.py is checked against. ``KUBESIM_UPDATE_GOLDEN=1`` rewrites it.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
GOLDEN = Path(__file__).resolve().parent / "golden"
TRACE_CELL = "import kubesim.testing\nprint(kubesim.testing.trace(c), end='')"


def check_golden(name: str, trace: str) -> None:
    path = GOLDEN / f"{name}.trace"
    if os.environ.get("KUBESIM_UPDATE_GOLDEN"):
        path.write_text(trace)
    assert trace == path.read_text(), f"{name} no longer matches {path} (KUBESIM_UPDATE_GOLDEN=1 rewrites it)"


def test_the_notebooks_are_the_documented_ones():
    assert [p.stem for p in NOTEBOOKS] == [
        "01-seed-walkthrough",
        "02-rollout-strategies",
        "03-autoscaling",
        "04-failures",
        "06-more-workloads",
        "07-experiments",
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_top_to_bottom(path: Path, monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    monkeypatch.setenv("JUPYTER_PLATFORM_DIRS", "1")
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    assert all(not cell.get("outputs") for cell in nb.cells if cell.cell_type == "code"), "stored without outputs"
    nb.cells.append(nbformat.v4.new_code_cell(TRACE_CELL))
    client = NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}})
    started = time.perf_counter()
    client.execute()  # raises CellExecutionError, naming the cell, if any cell fails
    took = time.perf_counter() - started
    assert took < 60, f"{path.name} took {took:.1f} s: notebooks should run in seconds"
    figures = sum(1 for cell in nb.cells for out in cell.get("outputs", []) if "image/png" in out.get("data", {}))
    assert figures >= 2, "the notebook draws its plots"
    trace = "".join(o.get("text", "") for o in nb.cells[-1].outputs if o.output_type == "stream")
    check_golden(path.stem, trace)
