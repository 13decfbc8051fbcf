"""`kubectl wait --for=…`, advancing virtual time."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from .. import _jsonpath
from ..errors import NotFoundError, TimeoutError
from ._base import Fail, Invocation, Out
from ._flags import parse
from ._resources import Kind, ns_for, targets

if TYPE_CHECKING:
    from .._cluster import Cluster


def _wait(c: Cluster, rest: list[str], o: Out) -> None:
    a = parse("wait", rest, {"--for", "--timeout", "--selector"}, {"--all"})
    condition = a.value("--for")
    if not condition:
        raise Fail("error: --for must be specified")
    timeout = a.value("--timeout") or "30s"
    objects: list[tuple[Kind, str]] = []
    for k, n in targets(a.positional, "wait"):
        if n is not None:
            c.get(k.kind, n, ns_for(k, a.namespace))
            objects.append((k, n))
        else:
            objects += [
                (k, obj.name) for obj in c.list(k.kind, a.value("--selector") or None, ns_for(k, a.namespace) or None)
            ]
    if not objects:
        raise Fail("error: no matching resources found")

    if condition.startswith("jsonpath="):
        expr = condition[len("jsonpath=") :].partition("=")[0]
        try:
            _jsonpath.parse(expr if expr.startswith("{") else "{" + expr + "}")
        except _jsonpath.JSONPathError as e:
            raise Fail(f"error: error parsing jsonpath {expr}, {e}") from None

    def met(k: Kind, n: str) -> bool:
        ns = ns_for(k, a.namespace)
        if condition == "delete":
            return not c._exists(k.kind, ns, n)
        try:
            d = c.get(k.kind, n, ns).to_dict()
        except NotFoundError:
            return False
        if condition.startswith("condition="):
            cond, _, want = condition[len("condition=") :].partition("=")
            want = want or "True"
            return any(
                x.get("type", "").lower() == cond.lower() and x.get("status", "").lower() == want.lower()
                for x in d.get("status", {}).get("conditions", [])
            )
        if condition.startswith("jsonpath="):
            expr, _, want = condition[len("jsonpath=") :].partition("=")
            try:
                vals = _jsonpath.evaluate(expr, d)
            except _jsonpath.JSONPathError:
                return False  # upstream: a path that does not resolve yet keeps waiting
            return bool(vals) and (not want or _jsonpath._text(vals[0]) == want)
        raise Fail(f"error: unrecognized condition: {condition!r}")

    for k, n in objects:
        try:
            c.run_until(functools.partial(met, k, n), timeout=timeout)
        except TimeoutError:
            raise Fail(f"error: timed out waiting for the condition on {k.plural}/{n}") from None
        o.out(f"{k.singular}/{n} condition met\n")


def run(inv: Invocation, o: Out) -> None:
    _wait(inv.cluster, inv.argv, o)
