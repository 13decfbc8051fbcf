from __future__ import annotations

from pathlib import Path

import pytest

import kubesim

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


@pytest.fixture
def cluster() -> kubesim.Cluster:
    return kubesim.Cluster(nodes=3, seed=0)


@pytest.fixture
def examples() -> Path:
    return EXAMPLES
