"""What a failing test's report says about its cluster (the pytest plugin's part): the state as
``kubectl get all -A`` prints it, the Warning events, the last recorded changes of the objects
the failing code held, and what an ``assert_eventually`` predicate saw last."""

from __future__ import annotations

import ast
import csv
import inspect
import linecache
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._handles import Object

if TYPE_CHECKING:
    from ._cluster import Cluster

__all__ = ["cluster_report", "handles_in", "predicate_report", "write_timeline"]

# Recorded changes shown per object, newest last; rows of a table shown.
LAST_CHANGES = 8
MAX_LINES = 60


def _kubectl(c: Cluster, command: str) -> str:
    try:
        return str(c.kubectl(command, check=False).output).rstrip("\n")
    except Exception as e:  # noqa: BLE001 - a report must never hide the test's own failure
        return f"({type(e).__name__}: {e})"


def _cap(text: str, lines: int, last: bool = False) -> str:
    """At most ``lines`` lines of a table (the header kept; the last ones when ``last``)."""
    rows = text.split("\n")
    if len(rows) <= lines + 1:
        return text
    cut = len(rows) - 1 - lines
    kept = rows[1:][-lines:] if last else rows[1 : lines + 1]
    note = f"… {cut} more line{'s' * (cut != 1)}"
    return "\n".join([rows[0], note, *kept] if last else [rows[0], *kept, note])


def cluster_report(c: Cluster, objects: Iterable[Object] = ()) -> str:
    """The cluster's state for a failure report (long tables cut to ``MAX_LINES`` rows)."""
    parts = [
        f"virtual time {c.now.isoformat().replace('+00:00', 'Z')} (t={c.elapsed:g}s)",
        "$ kubectl get all -A",
        _cap(_kubectl(c, "get all -A"), MAX_LINES),
        "",
        "$ kubectl get events -A --field-selector type=Warning",
        _cap(_kubectl(c, "get events -A --field-selector type=Warning"), MAX_LINES // 2, last=True),
    ]
    changes = last_changes(c, objects)
    if changes:
        parts += ["", *changes]
    return "\n".join(parts)


def last_changes(c: Cluster, objects: Iterable[Object]) -> list[str]:
    """The last recorded changes of each object, one line per instant it changed."""
    seen: dict[tuple[str, str, str], None] = {}
    for o in objects:
        if o._cluster is c:
            seen.setdefault((o.kind, o.namespace, o.name), None)
    if not seen:
        return []
    if c._recorder is None:
        return ["(no timeline recorded: the last changes of " + ", ".join(f"{k.lower()}/{n}" for k, _, n in seen) + ")"]
    changes: dict[tuple[str, str, str], list[str]] = {key: [] for key in seen}
    for t, rows in c.timeline().samples():
        fields: dict[tuple[str, str, str], list[str]] = {}
        for r in rows:
            key = (r["kind"], r["namespace"], r["name"])
            if key in changes:
                fields.setdefault(key, []).append(f"{r['field']}={r['value']}")
        for key, parts in fields.items():
            changes[key].append(f"  t={t:g}s " + " ".join(parts))
    lines: list[str] = []
    for (kind, ns, name), found in changes.items():
        where = f" -n {ns}" if ns and ns != "default" else ""
        lines.append(f"last changes of {kind.lower()}/{name}{where} (recorded):")
        if not found:
            lines.append("  (none recorded)")
        if len(found) > LAST_CHANGES:
            lines.append(f"  … {len(found) - LAST_CHANGES} earlier")
        lines += found[-LAST_CHANGES:]
    return lines


def handles_in(values: Iterable[Any]) -> list[Object]:
    """Object handles among ``values``, in lists, and in the closures of callables."""
    found: list[Object] = []
    for v in values:
        if isinstance(v, Object):
            found.append(v)
        elif isinstance(v, list | tuple) and len(v) <= 20:
            found += [x for x in v if isinstance(x, Object)]
        elif callable(v) and getattr(v, "__closure__", None):
            found += handles_in(cell.cell_contents for cell in v.__closure__ if _filled(cell))
    return found


def _filled(cell: Any) -> bool:
    try:
        cell.cell_contents  # noqa: B018 - an empty cell raises
    except ValueError:
        return False
    return True


def write_timeline(c: Cluster, directory: str, test_id: str) -> Path | None:
    """The recorded timeline as CSV (``time,kind,namespace,name,field,value``), named after the
    test; None when nothing was recorded."""
    if c._recorder is None:
        return None
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", test_id).strip("_") + ".csv"
    path = Path(directory) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["time", "kind", "namespace", "name", "field", "value"])
        for r in c.timeline():
            out.writerow([r["time"], r["kind"], r["namespace"], r["name"], r["field"], r["value"]])
    return path


# ----- what a predicate saw -----


def predicate_report(predicate: Callable[[], object], result: object) -> str:
    """``<source> was <result>: <operand> = <value>, …`` — the predicate's own text and the
    values of what it compared, evaluated once more as it last saw them."""
    source, tree = _source(predicate)
    what = source or getattr(predicate, "__qualname__", "the condition")
    text = f"{what} was last {_short(result)}"
    if tree is None:
        return text
    try:
        scope = inspect.getclosurevars(predicate)
    except (TypeError, ValueError):
        return text
    namespace = {**scope.builtins, **scope.globals, **scope.nonlocals}
    values: list[str] = []
    for node in _operands(tree):
        expr = ast.unparse(node)
        try:
            value = eval(compile(ast.Expression(node), "<predicate>", "eval"), namespace)  # noqa: S307
        except Exception as e:  # noqa: BLE001 - what failed is worth saying too
            values.append(f"{expr} raised {type(e).__name__}: {e}")
            continue
        values.append(f"{expr} = {_short(value)}")
    if values:
        text += ": " + ", ".join(dict.fromkeys(values))
    return text


def _short(value: object, limit: int = 200) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _source(predicate: Callable[[], object]) -> tuple[str | None, ast.AST | None]:
    """A lambda's body (from its code's positions) or a function's return expressions."""
    code = getattr(predicate, "__code__", None)
    if code is None:
        return None, None
    if code.co_name == "<lambda>":
        spans = [
            p
            for p in code.co_positions()
            if None not in p and not (p[2] == 0 and p[3] == 0)  # the function's own entry
        ]
        lines = linecache.getlines(code.co_filename)
        if not spans or not lines:
            return None, None
        start = min((p[0], p[2]) for p in spans)  # type: ignore[type-var]
        end = max((p[1], p[3]) for p in spans)  # type: ignore[type-var]
        chunk = lines[start[0] - 1 : end[0]]
        if not chunk:
            return None, None
        chunk[-1] = chunk[-1][: end[1]] if len(chunk) > 1 else chunk[-1][start[1] : end[1]]
        if len(chunk) > 1:
            chunk[0] = chunk[0][start[1] :]
        text = " ".join(line.strip() for line in chunk)
        try:
            return text, ast.parse(f"({text})", mode="eval").body
        except SyntaxError:
            return text, None
    try:
        import textwrap

        tree = ast.parse(textwrap.dedent(inspect.getsource(predicate)))
    except (OSError, TypeError, SyntaxError):
        return None, None
    returns = [n.value for n in ast.walk(tree) if isinstance(n, ast.Return) and n.value is not None]
    if len(returns) != 1:
        return None, None
    return ast.unparse(returns[0]), returns[0]


def _operands(tree: ast.AST) -> list[ast.expr]:
    """The non-constant operands of comparisons, and the bare values tested for truth."""
    out: list[ast.expr] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.Compare):
            for operand in [node.left, *node.comparators]:
                visit_operand(operand)
        elif isinstance(node, ast.BoolOp):
            for v in node.values:
                visit(v)
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            visit(node.operand)
        elif isinstance(node, ast.Name | ast.Attribute | ast.Call | ast.Subscript):
            out.append(node)  # type: ignore[arg-type]

    def visit_operand(node: ast.expr) -> None:
        if not isinstance(node, ast.Constant):
            out.append(node)

    visit(tree)
    return out
