"""The Python package has no import cycle, and each module imports on its own."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "python" / "kubesim"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(name: str, path: Path) -> set[str]:
    """Modules of the package that `name` imports when it runs: at the top or inside a function
    (a deferred import still closes a cycle), but not under `if TYPE_CHECKING:`."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            for alias in node.names:
                if f"{module}.{alias.name}" in MODULES:
                    found.add(f"{module}.{alias.name}")
                elif module in MODULES:
                    found.add(module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name in MODULES)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    # Importing a submodule runs its package's __init__ first; that edge is not a cycle.
    return {m for m in found if m != name and not name.startswith(m + ".")}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def dfs(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state and (found := dfs(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := dfs(node)):
            return found
    return None


def test_the_package_has_no_import_cycle():
    graph = {name: _imports(name, path) for name, path in MODULES.items()}
    # `kubesim/__init__.py` re-exports the public names: it imports everything, nothing imports it back.
    graph["kubesim"] = set()
    assert _cycle(graph) is None, " -> ".join(_cycle(graph) or [])


def test_the_cycle_check_finds_a_cycle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_kubectl_is_a_package_of_verb_modules():
    verbs = {p.stem for p in (PACKAGE / "_kubectl").glob("*.py") if not p.stem.startswith("_")}
    assert {"get", "apply", "create", "delete", "describe", "label", "rollout", "set", "scale"} <= verbs
    assert not (PACKAGE / "_kubectl.py").exists()


@pytest.mark.parametrize("module", sorted(m for m in MODULES if m != "kubesim.__main__"))
def test_each_module_imports_first_in_a_fresh_interpreter(module):
    r = subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True, text=True, check=False)
    assert r.returncode == 0, r.stderr


@pytest.mark.parametrize(("given", "seen"), [(None, "0"), ("1", "1")])
def test_import_has_the_allocator_commit_arenas_as_used_unless_told(given, seen):
    # Read by the core's allocator when it loads: set before, and a value already set wins.
    env = {k: v for k, v in os.environ.items() if k != "MIMALLOC_ARENA_EAGER_COMMIT"}
    if given is not None:
        env["MIMALLOC_ARENA_EAGER_COMMIT"] = given
    # What the environment says at the moment the core is imported (a finder that only looks).
    code = """
import os, sys
class Look:
    def find_spec(self, name, path=None, target=None):
        if name == "kubesim._native":
            print(os.environ.get("MIMALLOC_ARENA_EAGER_COMMIT"))
sys.meta_path.insert(0, Look())
import kubesim
"""
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert out.split() == [seen]
