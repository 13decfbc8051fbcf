from __future__ import annotations

import importlib.util
from collections.abc import Callable
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


def _load_real_kubectl():  # tests/golden/real_kubectl.py, shared with the capture script
    spec = importlib.util.spec_from_file_location("real_kubectl", Path(__file__).parent / "golden" / "real_kubectl.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def real_kubectl() -> Callable[..., tuple[str, str, int]]:
    """Run the upstream kubectl 1.32 client offline from the repository root:
    ``real_kubectl("create deployment web --image=nginx --dry-run=client -o yaml", stdin=None)``
    → (stdout, stderr, exit code). Skips the test when no such client is installed."""
    module = _load_real_kubectl()
    binary = module.find()
    if binary is None:
        pytest.skip("no upstream kubectl 1.32 client on this machine (set KUBECTL_1_32=/path/to/kubectl)")
    return lambda command, stdin=None: module.run(binary, command, ROOT, stdin)
