"""`kubectl create poddisruptionbudget|pdb NAME --selector=… --min-available=N|--max-unavailable=N`
(upstream pkg/cmd/create/create_pdb.go)."""

from __future__ import annotations

import re
from typing import Any

from .. import _native
from ..errors import SelectorError
from ._base import Fail, Invocation, Out
from ._flags import parse
from ._submit import _created
from .create_core import _metadata, _one_name

# upstream: Validate's pattern for the two counts — a number or a percentage.
_COUNT = re.compile(r"^[0-9]+%?$")


def _int_or_string(value: str) -> int | str:
    """upstream: intstr.Parse — an integer if Atoi takes it, else the string."""
    return int(value) if re.fullmatch(r"[+-]?[0-9]+", value) else value


def _label_selector(text: str) -> dict[str, Any]:
    """upstream: metav1.ParseToLabelSelector — `=`/`==` become matchLabels, `in`, `notin`,
    exists and `!` matchExpressions; `!=`, `>` and `<` are refused."""
    try:
        canonical = _native.parse_selector(text)
    except SelectorError as e:
        raise Fail(f"error: {e}") from None
    match_labels: dict[str, str] = {}
    expressions: list[dict[str, Any]] = []
    for term in re.findall(r"(?:[^,(]|\([^)]*\))+", canonical):
        term = term.strip()
        if m := re.fullmatch(r"(\S+) (in|notin) \((.*)\)", term):
            values = [v for v in m.group(3).split(",") if v]
            expressions.append(
                {"key": m.group(1), "operator": "In" if m.group(2) == "in" else "NotIn", "values": values}
            )
        elif re.fullmatch(r"([^!=<>\s]+)!=(.*)", term):
            raise Fail('error: "!=" is not a valid label selector operator')
        elif m := re.fullmatch(r"([^!=<>\s]+)==?(.*)", term):
            match_labels[m.group(1)] = m.group(2)
        elif m := re.fullmatch(r"([^!=<>\s]+)\s*([<>])\s*(.*)", term):
            raise Fail(f'error: "{"gt" if m.group(2) == ">" else "lt"}" isn\'t supported in label selectors')
        elif term.startswith("!"):
            expressions.append({"key": term[1:], "operator": "DoesNotExist"})
        elif term:
            expressions.append({"key": term, "operator": "Exists"})
    selector: dict[str, Any] = {}
    if match_labels:
        selector["matchLabels"] = match_labels
    if expressions:
        selector["matchExpressions"] = expressions
    return selector


def run(inv: Invocation, o: Out) -> None:
    a = parse(
        inv.name,
        inv.argv,
        {"--selector", "--min-available", "--max-unavailable", "--dry-run", "--output"},
        {"--save-config"},
    )
    name = _one_name(a, inv.name)
    selector = a.value("--selector") or ""
    min_available = a.value("--min-available") or ""
    max_unavailable = a.value("--max-unavailable") or ""
    # upstream: PodDisruptionBudgetOpts.Validate, in its order.
    if not selector:
        raise Fail("error: a selector must be specified")
    if not min_available and not max_unavailable:
        raise Fail("error: one of min-available or max-unavailable must be specified")
    if min_available and max_unavailable:
        raise Fail("error: min-available and max-unavailable cannot be both specified")
    if min_available and not _COUNT.match(min_available):
        raise Fail("error: invalid format specified for min-available")
    if max_unavailable and not _COUNT.match(max_unavailable):
        raise Fail("error: invalid format specified for max-unavailable")
    spec: dict[str, Any] = {}
    if min_available:
        spec["minAvailable"] = _int_or_string(min_available)
    spec["selector"] = _label_selector(selector)
    if max_unavailable:
        spec["maxUnavailable"] = _int_or_string(max_unavailable)
    # upstream: the typed object's field order, as a client dry run prints it.
    manifest = {
        "kind": "PodDisruptionBudget",
        "apiVersion": "policy/v1",
        "metadata": _metadata(a, name),
        "spec": spec,
        "status": {"disruptionsAllowed": 0, "currentHealthy": 0, "desiredHealthy": 0, "expectedPods": 0},
    }
    _created(inv.cluster, manifest, a, o, prefix="error: failed to create poddisruptionbudgets: ")
