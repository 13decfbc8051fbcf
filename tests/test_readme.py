"""The README's tour runs: every ```python block of "A short tour", in order, in one namespace
(from the repository root, where the examples are). A line ``expr  # value`` whose comment is a
Python literal asserts that ``expr`` equals it; ``expr  # raises kubesim.SomeError…`` asserts
that it raises that error. Other comments are prose. So the tour cannot drift from the code."""

from __future__ import annotations

import ast
import re
import tokenize
from pathlib import Path

import pytest

import kubesim

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"


def tour_blocks() -> list[tuple[int, str]]:
    """(first line number, code) of each python block between "## A short tour" and the next
    second-level heading."""
    text = README.read_text()
    start = text.index("## A short tour")
    end = text.index("\n## ", start + 1)
    blocks = []
    for m in re.finditer(r"```python\n(.*?)```", text[start:end], re.S):
        line = text[: start + m.start(1)].count("\n") + 1
        blocks.append((line, m.group(1)))
    return blocks


def split_comment(line: str) -> tuple[str, str | None]:
    """A line's code and its trailing comment (a `#` outside any string)."""
    try:
        for t in tokenize.generate_tokens(iter([line + "\n"]).__next__):
            if t.type == tokenize.COMMENT:
                return line[: t.start[1]].rstrip(), t.string[1:].strip()
    except (tokenize.TokenError, SyntaxError):
        pass  # a line inside a bracket that opens above: its comment is prose
    return line, None


def expected(comment: str) -> tuple[str, object] | None:
    """What a comment claims: ("raises", class), ("equals", value), or None for prose."""
    m = re.match(r"raises (kubesim\.\w+)", comment)
    if m:
        return "raises", eval(m.group(1), {"kubesim": kubesim})  # noqa: S307 - the README's own names
    literal = comment.split(" — ")[0].strip()
    try:
        return "equals", ast.literal_eval(literal)
    except (ValueError, SyntaxError):
        return None


def test_the_readme_tour_runs_and_its_literal_comments_hold(monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    blocks = tour_blocks()
    assert len(blocks) >= 3
    namespace: dict[str, object] = {}
    checked = 0
    for first, code in blocks:
        lines = code.splitlines()
        for stmt in ast.parse(code).body:
            source = ast.get_source_segment(code, stmt) or ""
            where = f"README.md line {first + stmt.lineno - 1}: {lines[stmt.lineno - 1].strip()}"
            comment = split_comment(lines[stmt.end_lineno - 1])[1] if stmt.end_lineno else None
            claim = expected(comment) if comment else None
            # A line of two statements (`a; b`) makes no claim about either.
            alone = (
                stmt.lineno == stmt.end_lineno
                and sum(1 for other in ast.parse(code).body if other.lineno == stmt.lineno) == 1
            )
            if claim is not None and alone and claim[0] == "raises":
                with pytest.raises(claim[1]):  # type: ignore[call-overload]
                    exec(compile(source, where, "exec"), namespace)  # noqa: S102 - the README's own code
                checked += 1
            elif claim is not None and alone and isinstance(stmt, ast.Expr):
                got = eval(compile(ast.Expression(stmt.value), where, "eval"), namespace)  # noqa: S307
                assert got == claim[1], f"{where}: got {got!r}"
                checked += 1
            else:
                exec(compile(ast.Module([stmt], []), where, "exec"), namespace)  # noqa: S102
    capsys.readouterr()
    assert checked >= 5, f"the tour's checked comments went missing ({checked})"
