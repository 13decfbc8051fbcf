"""Write the fuzzers' seed corpora (fuzz/seeds/<target>/) from the manifests in tests/ and
examples/ and from the selectors, quantities and durations the test-suite uses.

    python3 fuzz/make_seeds.py

Run from the repository root; the seeds are committed, so this is only needed when the tests grow.
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "fuzz" / "seeds"


def python_strings() -> list[str]:
    out = []
    for path in sorted((ROOT / "tests").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                out.append(node.value)
    return out


def write(target: str, items: set[str | bytes]) -> None:
    d = SEEDS / target
    d.mkdir(parents=True, exist_ok=True)
    for old in d.iterdir():
        old.unlink()
    for item in items:
        data = item.encode() if isinstance(item, str) else item
        (d / hashlib.sha1(data).hexdigest()).write_bytes(data)
    print(f"{target}: {len(items)} seeds")


def main() -> None:
    strings = python_strings()
    manifests = {s for s in strings if "apiVersion" in s and "kind" in s}
    for d in (ROOT / "examples", ROOT.parent / "shared" / "examples"):
        manifests |= {p.read_text() for p in d.glob("*.y*ml")} if d.is_dir() else set()
    manifests |= {json.dumps(json.loads(s)) for s in strings if s.lstrip().startswith("{") and _is_json(s)}
    write("manifest", manifests)

    selectors = {s for s in strings if re.fullmatch(r"[\w./=!,()<> -]{1,80}", s) and re.search(r"[=!<>]|\bin\b", s)}
    selectors |= {"app in (nginx)", "!canary", "tier notin (a,b),env", "x>3", "a==b,c!=d", ""}
    write("selector", selectors)

    quantities = {s for s in strings if re.fullmatch(r"[+-]?[0-9.]+([eEinumkKMGTP]*[-+]?[0-9]*)", s)}
    durations = {s for s in strings if re.fullmatch(r"([0-9.]+(ns|us|ms|s|m|h|d))+", s)}
    extra = {"100m", "1.5Gi", "1e3", "0.5Ki", "8Ei", "1m30s", "250ms", "1.5h", "2h45m", "90", "0.5"}
    write("quantity_duration", quantities | durations | extra)

    patches = {
        '{"spec": {"replicas": 3}}',
        '{"spec": {"template": {"spec": {"containers": [{"name": "main", "image": "nginx:1.26"}]}}}}',
        '{"metadata": {"labels": {"team": "core", "app": null}}}',
        '{"spec": {"paused": true, "minReadySeconds": 5}}',
        '{"spec": {"strategy": {"type": "Recreate", "rollingUpdate": null}}}',
        '{"a": {"b": 1, "c": [1, 2]}} {"a": {"b": null, "d": 3}}',
        '[1, 2] {"a": 1}',
    }
    write("merge_patch", patches)


def _is_json(s: str) -> bool:
    try:
        return isinstance(json.loads(s), dict)
    except ValueError:
        return False


if __name__ == "__main__":
    main()
