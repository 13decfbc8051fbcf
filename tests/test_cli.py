"""`kubesim demo` (what `make demo` runs)."""

from __future__ import annotations

import subprocess
import sys

from kubesim.cli import demo

ROOT = __import__("pathlib").Path(__file__).resolve().parent.parent


def test_demo_walks_the_seed_and_is_deterministic():
    text = demo()
    assert text == demo(), "same seed, same story"
    for line in [
        "deployment.apps/nginx-deployment created",
        'deployment "nginx-deployment" successfully rolled out',
        "deployment.apps/nginx-deployment image updated",
        "REVISION  CHANGE-CAUSE",
        "deployment.apps/nginx-deployment rolled back",
        "deployment.apps/nginx-deployment scaled",
        "nginx-deployment   10/10   10           10          ",
        "pod/redis-master created",
    ]:
        assert line in text, line
    assert "error" not in text.lower()


def test_python_m_kubesim_demo_runs():
    out = subprocess.run(
        [sys.executable, "-m", "kubesim", "demo"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert out.startswith("$ kubectl apply -f examples/nginx-deployment.yaml\n")
