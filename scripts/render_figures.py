"""Render the figures of notebooks 01–03 to docs/img/ (the README shows them).

    .venv/bin/python scripts/render_figures.py        # or: make figures

Each notebook is executed headless (as `make test` does) and every figure it draws is saved as
docs/img/<notebook>-<n>.png, n counting from 1 in the order the notebook draws them.
"""

from __future__ import annotations

import base64
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ["01-seed-walkthrough", "02-rollout-strategies", "03-autoscaling"]
OUT = ROOT / "docs" / "img"


def render(name: str) -> list[Path]:
    import nbformat
    from nbclient import NotebookClient

    path = ROOT / "notebooks" / f"{name}.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells.insert(
        0,
        nbformat.v4.new_code_cell(
            "%config InlineBackend.figure_formats = ['png']\n%config InlineBackend.rc = {'figure.dpi': 90}"
        ),
    )
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    written = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            png = out.get("data", {}).get("image/png")
            if png:
                target = OUT / f"{name}-{len(written) + 1}.png"
                target.write_bytes(base64.b64decode(png))
                written.append(target)
    return written


def main() -> int:
    os.environ.setdefault("JUPYTER_PLATFORM_DIRS", "1")
    os.environ["KUBESIM_PROGRESS"] = "0"
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("0[1-3]-*.png"):
        old.unlink()
    for name in NOTEBOOKS:
        for p in render(name):
            print(p.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
