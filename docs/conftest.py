"""Every code block of the documentation runs as a test, so the pages cannot drift.

Sybil collects the code blocks of docs/**/*.md: a ```pycon block is a doctest (an interactive
session whose output is compared), a ```python block is executed; the blocks of one page share a
namespace, in page order. A ```console block is a shell session: each ``$ command`` runs and what
follows it, up to the next ``$``, is compared with what it printed. ``pip install`` lines are
checked, not run: they must name this project and extras it declares (the install itself is
tested on the built wheel by tests/test_dist.py). Each page runs in an empty directory of its
own, as a reader's would, so nothing leans on the source tree.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import tomllib
from doctest import ELLIPSIS
from pathlib import Path
from typing import Any

from sybil import Example, Sybil
from sybil.evaluators.python import PythonEvaluator
from sybil.parsers.markdown import CodeBlockParser, PythonCodeBlockParser, SkipParser

ROOT = Path(__file__).resolve().parent.parent
_PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
EXTRAS = set(_PYPROJECT["optional-dependencies"])


def _check_pip_install(args: list[str]) -> None:
    requirements = [a for a in args if not a.startswith("-")]
    assert requirements, f"pip install without a requirement: {args}"
    for req in requirements:
        m = re.fullmatch(r"kubesim(?:\[([a-z,]+)\])?", req)
        assert m, f"the docs install {req!r}, not kubesim"
        unknown = set((m.group(1) or "").split(",")) - EXTRAS - {""}
        assert not unknown, f"extras {sorted(unknown)} are not declared in pyproject.toml ({sorted(EXTRAS)})"


def _bin(command: str) -> str:
    """`kubesim` and `python` are the ones of the interpreter running the tests."""
    if command == "python":
        return sys.executable
    found = Path(sys.executable).parent / command
    return str(found) if found.exists() else command


class ConsoleParser(CodeBlockParser):
    """```console blocks: `$ command` lines and the output each prints."""

    language = "console"

    def evaluate(self, example: Example) -> None:
        text: str = example.parsed
        commands: list[tuple[str, list[str]]] = []
        for line in text.splitlines():
            if line.startswith("$ "):
                commands.append((line[2:], []))
            else:
                assert commands, f"output before any command in a console block:\n{text}"
                commands[-1][1].append(line)
        for command, expected in commands:
            argv = shlex.split(command, comments=True)
            if argv[:2] == ["pip", "install"]:
                _check_pip_install(argv[2:])
                assert not expected, f"{command}: its output is not checked, so the page must not show one"
                continue
            env = dict(os.environ, COLUMNS="100")
            p = subprocess.run(
                [_bin(argv[0]), *argv[1:]], capture_output=True, text=True, env=env, timeout=300, check=False
            )
            shown = p.stdout + p.stderr
            want = "\n".join(expected).rstrip("\n")
            if want.endswith("..."):
                assert shown.startswith(want[:-3]), (
                    f"$ {command}\n--- expected (start) ---\n{want}\n--- got ---\n{shown}"
                )
            else:
                assert shown.rstrip("\n") == want, f"$ {command}\n--- expected ---\n{want}\n--- got ---\n{shown}"


class PyconParser(PythonCodeBlockParser):
    """```pycon blocks (highlighted as an interactive session): doctests."""

    def __init__(self) -> None:
        super().__init__(doctest_optionflags=ELLIPSIS)
        self.codeblock_parser = CodeBlockParser("pycon", PythonEvaluator())


def _setup(namespace: dict[str, Any]) -> None:
    # Blocks that run the real kubectl are skipped where it is not installed (`skip: next if`).
    namespace["KUBECTL"] = shutil.which("kubectl")
    namespace["__cwd"] = os.getcwd()
    namespace["__tmp"] = tempfile.mkdtemp(prefix="kubesim-docs-")
    os.environ.setdefault("MPLBACKEND", "Agg")
    # As in an activated virtualenv: `kubesim` is the one installed beside this interpreter.
    bindir = str(Path(sys.executable).parent)
    if not os.environ.get("PATH", "").startswith(bindir + os.pathsep):
        os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")
    os.chdir(namespace["__tmp"])


def _teardown(namespace: dict[str, Any]) -> None:
    os.chdir(namespace["__cwd"])
    shutil.rmtree(namespace["__tmp"], ignore_errors=True)


pytest_collect_file = Sybil(
    parsers=[
        PythonCodeBlockParser(doctest_optionflags=ELLIPSIS),
        PyconParser(),
        ConsoleParser(),
        SkipParser(),
    ],
    patterns=["*.md"],
    setup=_setup,
    teardown=_teardown,
).pytest()
