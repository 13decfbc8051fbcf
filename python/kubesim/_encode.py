"""Python values as the JSON text the core reads, or a typed error saying where they are not JSON.

``json.dumps`` would write ``NaN``/``Infinity`` (not JSON), recurse until Python's stack runs out
on deep nesting, and raise ``TypeError`` for sets or dates; the core's JSON reader stops at 128
levels. This module checks a value before encoding it and names the offending field path.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

# serde_json (the core's reader) refuses a 128th level of nested objects and lists.
MAX_DEPTH = 127


class NotJSON(Exception):
    """Where (``field``, a Kubernetes field path such as ``spec.containers[0].ports``) and why a
    value cannot be sent as JSON."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}" if field else reason)
        self.field = field
        self.reason = reason


def _join(path: str, key: object) -> str:
    if isinstance(key, int) and not isinstance(key, bool):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else str(key)


def _short(path: str) -> str:
    """A field path cut to something readable (a deep one repeats itself a hundred times)."""
    return path if len(path) <= 80 else path[:77] + "..."


def check(value: Any) -> None:
    """Raise :class:`NotJSON` unless ``value`` is plain JSON data (dicts with string keys, lists,
    tuples, strings, finite numbers, booleans, None) nested at most ``MAX_DEPTH`` levels."""
    stack: list[tuple[Any, str, int]] = [(value, "", 0)]
    while stack:
        v, path, depth = stack.pop()
        if isinstance(v, float) and not math.isfinite(v):
            raise NotJSON(path, f"{v!r} is not a JSON number (JSON has no NaN or Infinity)")
        if v is None or isinstance(v, str | bool | int | float):
            continue
        if isinstance(v, Mapping | list | tuple):
            if depth >= MAX_DEPTH:
                raise NotJSON(_short(path), f"nested more than {MAX_DEPTH} levels deep")
        if isinstance(v, Mapping):
            for k, item in v.items():
                if not isinstance(k, str | int | float | bool | type(None)):  # json.dumps writes these as strings
                    raise NotJSON(path, f"key {k!r} is not a string")
                if isinstance(k, float) and not math.isfinite(k):
                    raise NotJSON(path, f"key {k!r} is not a JSON number")
                stack.append((item, _join(path, k), depth + 1))
        elif isinstance(v, list | tuple):
            stack.extend((item, _join(path, i), depth + 1) for i, item in enumerate(v))
        else:
            raise NotJSON(path, f"a {type(v).__name__} is not JSON data ({_clip(repr(v))})")


def _clip(text: str) -> str:
    return text if len(text) <= 60 else text[:57] + "..."


def dumps(value: Any) -> str:
    """``value`` as JSON text; :class:`NotJSON` (from :func:`check`) naming the field when it is
    not JSON data. The C encoder writes it first: the walk in Python runs only when that fails, or
    when the text has brackets enough to nest past ``MAX_DEPTH``. (Keys are written as
    ``json.dumps`` writes them: numbers, booleans and None as strings.)"""
    try:
        text = json.dumps(value, allow_nan=False)
    except (ValueError, TypeError, RecursionError):
        check(value)  # raises NotJSON naming the field, unless the value is JSON after all
        raise
    if text.count("{") + text.count("[") > MAX_DEPTH:
        check(value)
    return text
