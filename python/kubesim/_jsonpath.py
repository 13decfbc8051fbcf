"""kubectl's JSONPath templates (`-o jsonpath=…`, `--sort-by`, `custom-columns`), after
client-go's `util/jsonpath`: text with `{…}` actions; fields, `..`, `[*]`, indexes, slices,
unions, filters `[?(@.x == "y")]`, `{range …}…{end}` and string literals. Missing keys print
nothing, as kubectl allows them."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

__all__ = ["JSONPathError", "evaluate", "go_syntax", "go_text", "parse", "render"]


class JSONPathError(ValueError):
    pass


# ----- template → actions -----


@dataclass(frozen=True)
class _Text:
    text: str


@dataclass(frozen=True)
class _Expr:
    steps: tuple[Any, ...]


@dataclass(frozen=True)
class _Range:
    steps: tuple[Any, ...]
    body: tuple[Any, ...]


def _split_template(template: str) -> list[tuple[str, str]]:
    """[("text", s) | ("action", s)]: `{…}` actions may contain quoted braces."""
    out: list[tuple[str, str]] = []
    i, text = 0, []
    while i < len(template):
        ch = template[i]
        if ch != "{":
            text.append(ch)
            i += 1
            continue
        if text:
            out.append(("text", "".join(text)))
            text = []
        j, quote = i + 1, ""
        while j < len(template):
            c = template[j]
            if quote:
                if c == "\\":
                    j += 1
                elif c == quote:
                    quote = ""
            elif c in "\"'":
                quote = c
            elif c == "}":
                break
            j += 1
        else:
            raise JSONPathError(f"unclosed action in {template!r}")
        out.append(("action", template[i + 1 : j].strip()))
        i = j + 1
    if text:
        out.append(("text", "".join(text)))
    return out


def parse(template: str) -> tuple[Any, ...]:
    """Parse a template into a tree of text, expressions and ranges."""
    stack: list[list[Any]] = [[]]
    ranges: list[tuple[Any, ...]] = []
    for kind, s in _split_template(template):
        if kind == "text":
            stack[-1].append(_Text(s))
        elif s == "end":
            if not ranges:
                raise JSONPathError("not in range, nothing to end")
            body = tuple(stack.pop())
            stack[-1].append(_Range(ranges.pop(), body))
        elif s.startswith("range "):
            ranges.append(_steps(s[len("range ") :].strip()))
            stack.append([])
        elif s.startswith(('"', "'")) and s.endswith(s[0]) and len(s) >= 2:
            stack[-1].append(_Text(_unquote(s)))
        else:
            stack[-1].append(_Expr(_steps(s)))
    if ranges:
        raise JSONPathError("unclosed range")
    return tuple(stack[0])


def _unquote(s: str) -> str:
    try:
        return str(json.loads('"' + s[1:-1].replace('\\"', '"').replace('"', '\\"') + '"'))
    except json.JSONDecodeError as e:
        raise JSONPathError(f"invalid string literal {s}") from e


# A field name; `\.` escapes a dot inside it (`{.metadata.annotations.kubernetes\.io/x}`).
_FIELD = re.compile(r"(?:\\.|[A-Za-z0-9_\-/$@])+")


def _field(m: re.Match[str]) -> tuple[str, str]:
    return ("field", m.group().replace("\\.", "."))


def _steps(expr: str) -> tuple[Any, ...]:
    """An expression as steps: ("field", name) | ("recurse",) | ("all",) | ("index", [i…]) |
    ("slice", a, b, c) | ("keys", [k…]) | ("filter", lhs, op, rhs)."""
    steps: list[Any] = []
    i = 0
    if expr.startswith("$"):
        steps.append(("root",))
        i = 1
    elif expr.startswith("@"):
        i = 1
    while i < len(expr):
        ch = expr[i]
        if expr.startswith("..", i):
            steps.append(("recurse",))
            i += 2
            if i < len(expr) and expr[i] not in ".[":
                m = _FIELD.match(expr, i)
                if not m:
                    raise JSONPathError(f"unrecognized character in {expr!r}")
                steps.append(_field(m))
                i = m.end()
        elif ch == ".":
            i += 1
            if expr.startswith("*", i):
                steps.append(("all",))
                i += 1
                continue
            m = _FIELD.match(expr, i)
            if not m:
                if i >= len(expr):
                    continue  # a lone "." is the current object
                raise JSONPathError(f"unrecognized character in {expr!r}")
            steps.append(_field(m))
            i = m.end()
        elif ch == "[":
            j = _closing(expr, i)
            steps.append(_bracket(expr[i + 1 : j].strip(), expr))
            i = j + 1
        elif ch.isspace():
            i += 1
        else:
            m = _FIELD.match(expr, i)
            if not m:
                raise JSONPathError(f"unrecognized character in {expr!r}")
            steps.append(_field(m))
            i = m.end()
    return tuple(steps)


def _closing(expr: str, i: int) -> int:
    depth, quote = 0, ""
    for j in range(i, len(expr)):
        c = expr[j]
        if quote:
            if c == quote:
                quote = ""
        elif c in "\"'":
            quote = c
        elif c == "[":
            depth += 1
        elif c == "]":
            depth -= 1
            if depth == 0:
                return j
    raise JSONPathError(f"unterminated array in {expr!r}")


def _literal(s: str) -> Any:
    s = s.strip()
    if s[:1] in "\"'" and s[-1:] == s[:1]:
        return s[1:-1]
    try:
        return int(s)
    except ValueError:
        pass
    try:
        return float(s)
    except ValueError:
        pass
    if s in ("true", "false"):
        return s == "true"
    return ("path", _steps(s))


def _bracket(inner: str, expr: str) -> Any:
    if inner == "*":
        return ("all",)
    if inner.startswith("?(") and inner.endswith(")"):
        cond = inner[2:-1].strip()
        m = re.match(r"(.+?)\s*(==|!=|<=|>=|<|>|=~)\s*(.+)$", cond)
        if not m:
            return ("filter", _steps(cond), "exists", None)
        return ("filter", _steps(m.group(1).strip()), m.group(2), _literal(m.group(3)))
    if ":" in inner:
        parts = [p.strip() for p in inner.split(":")]
        if len(parts) > 3:
            raise JSONPathError(f"invalid array index {inner}")
        nums = [_index(p) if p else None for p in parts] + [None] * (3 - len(parts))
        return ("slice", *nums)
    items = [p.strip() for p in inner.split(",")]
    if all(p[:1] == "'" for p in items) or (len(items) == 1 and items[0][:1] == '"'):
        return ("keys", [p[1:-1] for p in items])
    return ("index", [_index(p) for p in items])


def _index(p: str) -> int:
    try:
        return int(p)
    except ValueError:
        raise JSONPathError(f"invalid array index {p}") from None


# ----- evaluation -----


def _walk(values: list[Any], steps: tuple[Any, ...], root: Any = None) -> list[Any]:
    for step in steps:
        nxt: list[Any] = []
        op = step[0]
        if op == "root":
            values = [root if root is not None else values[0]] if values else []
            continue
        if op in ("keys", "index") and len(step[1]) > 1:
            # upstream: a union evaluates each member over all the values in turn.
            values = [x for member in step[1] for x in _walk(values, ((op, [member]),), root)]
            continue
        for v in values:
            if op == "field":
                if isinstance(v, dict) and step[1] in v:
                    nxt.append(v[step[1]])
            elif op == "keys":
                nxt += [v[k] for k in step[1] if isinstance(v, dict) and k in v]
            elif op == "all":
                if isinstance(v, dict):
                    nxt += [v[k] for k in sorted(v)]
                elif isinstance(v, list):
                    nxt += v
            elif op == "index":
                if isinstance(v, list):
                    for i in step[1]:
                        if -len(v) <= i < len(v):
                            nxt.append(v[i])
                        else:
                            raise JSONPathError(f"array index out of bounds: index {i}, length {len(v)}")
            elif op == "slice":
                if isinstance(v, list):
                    nxt += _slice(v, step[1], step[2], step[3])
            elif op == "recurse":
                nxt += _descendants(v)
            elif op == "filter":
                if isinstance(v, list):
                    nxt += [item for item in v if _test(item, step[1], step[2], step[3])]
        values = nxt
    return values


def _slice(v: list[Any], start: int | None, end: int | None, step: int | None) -> list[Any]:
    """upstream: evalArray — negative bounds count from the end; out-of-range bounds and a
    non-positive step are errors, not clipped."""
    n = len(v)
    if step is not None and step <= 0:
        raise JSONPathError("step must be > 0")
    a = 0 if start is None else (start + n if start < 0 else start)
    b = n if end is None else (end + n if end < 0 else end)
    if a == b:
        return []
    if a >= n or a < 0:
        raise JSONPathError(f"array index out of bounds: index {a}, length {n}")
    if b > n or b < 0:
        raise JSONPathError(f"array index out of bounds: index {b - 1}, length {n}")
    if a > b:
        raise JSONPathError(f"starting index {a} is greater than ending index {b}")
    return v[a : b : step or 1]


def _descendants(v: Any) -> list[Any]:
    out = [v]
    if isinstance(v, dict):
        for k in sorted(v):
            out += _descendants(v[k])
    elif isinstance(v, list):
        for item in v:
            out += _descendants(item)
    return out


def _test(item: Any, lhs: tuple[Any, ...], op: str, rhs: Any) -> bool:
    left = _walk([item], lhs)
    if op == "exists":
        return bool(left)
    if isinstance(rhs, tuple) and rhs[:1] == ("path",):
        right = _walk([item], rhs[1])
        if not right:
            return False
        rhs = right[0]
    if not left:
        return False
    a = left[0]
    try:
        if op == "==":
            return bool(a == rhs)
        if op == "!=":
            return bool(a != rhs)
        if op == "<":
            return bool(a < rhs)
        if op == ">":
            return bool(a > rhs)
        if op == "<=":
            return bool(a <= rhs)
        if op == ">=":
            return bool(a >= rhs)
        if op == "=~":
            return re.search(str(rhs), str(a)) is not None
    except TypeError:
        return False
    return False


def _text(v: Any) -> str:
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return "null"
    if isinstance(v, dict | list):
        return json.dumps(v, separators=(",", ":"), sort_keys=True)
    return str(v)


def _run(nodes: tuple[Any, ...], current: Any, root: Any, out: list[str]) -> None:
    for node in nodes:
        if isinstance(node, _Text):
            out.append(node.text)
        elif isinstance(node, _Expr):
            out.append(" ".join(_text(v) for v in _walk([current], node.steps, root)))
        else:
            for item in _walk([current], node.steps, root):
                _run(node.body, item, item, out)  # upstream: inside a range, `$` is the item


def render(tree: tuple[Any, ...], data: Any) -> str:
    """Render a parsed template (errors here are execution errors, not parse errors)."""
    out: list[str] = []
    _run(tree, data, data, out)
    return "".join(out)


def go_syntax(v: Any) -> str:
    """A value as Go's `%#v` prints decoded JSON (kubectl's jsonpath error dump)."""
    if isinstance(v, dict):
        items = ", ".join(f"{json.dumps(k, ensure_ascii=False)}:{go_syntax(v[k])}" for k in sorted(v))
        return "map[string]interface {}{" + items + "}"
    if isinstance(v, list):
        return "[]interface {}{" + ", ".join(go_syntax(x) for x in v) + "}"
    if v is None:
        return "interface {}(nil)"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    return str(v)


def go_text(v: Any) -> str:
    """A value as Go's `%v` prints it (custom-columns cells): `map[k:v]`, `[a b]`."""
    if isinstance(v, dict):
        return "map[" + " ".join(f"{k}:{go_text(v[k])}" for k in sorted(v)) + "]"
    if isinstance(v, list):
        return "[" + " ".join(go_text(x) for x in v) + "]"
    if v is None:
        return "<nil>"
    return _text(v)


def evaluate(expr: str, data: Any) -> list[Any]:
    """The values an expression (`{.a.b}` or `.a.b`) selects."""
    expr = expr.strip()
    if expr.startswith("{") and expr.endswith("}"):
        expr = expr[1:-1]
    return _walk([data], _steps(expr))
