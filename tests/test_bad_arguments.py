"""Bad Python arguments (not manifests: see test_bad_input.py) raise a typed kubesim error, say
what and where, and change nothing."""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Callable
from typing import Any

import pytest

import kubesim

END = dt.datetime(9999, 12, 31, 23, 59, 59, 999000, tzinfo=dt.UTC)


def state(c: kubesim.Cluster) -> tuple[Any, ...]:
    """Everything a failed call must leave as it was: resourceVersion, clock, watch log."""
    return c.resource_version, c.now, [(e.type, e.resource_version, e.name) for e in c.watch()]


@pytest.fixture
def web() -> kubesim.Cluster:
    c = kubesim.Cluster(nodes=1, seed=0)
    c.kubectl("create deployment web --image=nginx --replicas=2")
    return c


def deep(levels: int) -> dict[str, Any]:
    d: dict[str, Any] = {}
    for _ in range(levels - 1):
        d = {"a": d}
    return d


# ----- patch -----


@pytest.mark.parametrize(
    ("patch", "field", "message"),
    [
        ({"spec": {"replicas": math.nan}}, "spec.replicas", "nan is not a JSON number"),
        ({"spec": {"replicas": math.inf}}, "spec.replicas", "inf is not a JSON number"),
        (
            {"spec": {"template": {"spec": {"containers": [{"name": "c", "x": -math.inf}]}}}},
            "spec.template.spec.containers[0].x",
            "-inf is not a JSON number",
        ),
        ({"metadata": {"labels": {"a": {1, 2}}}}, "metadata.labels.a", "a set is not JSON data"),
        ({"metadata": {"labels": {(1, 2): "x"}}}, "metadata.labels", "is not a string"),
        ({"metadata": {"labels": {math.nan: "x"}}}, "metadata.labels", "key nan is not a JSON number"),
        ({"metadata": deep(127)}, "metadata.a.a.a", "nested more than 127 levels deep"),
        ({"metadata": deep(5000)}, "metadata.a.a.a", "nested more than 127 levels deep"),
    ],
    ids=["nan", "inf", "-inf-in-a-list", "set", "tuple-key", "nan-key", "128-levels", "5000-levels"],
)
def test_patch_that_is_not_json_is_an_invalid_argument(web, patch, field, message):
    before = state(web)
    with pytest.raises(kubesim.InvalidArgumentError, match=f"^invalid patch: .*{message}") as e:
        web.patch("deployment", "web", patch)
    assert e.value.field.startswith(field)
    assert state(web) == before
    assert web.deployment("web").replicas == 2


def test_brackets_in_text_are_not_nesting(web):
    # Enough brackets to look deep, but inside a string: the patch is JSON and lands.
    web.patch("deployment", "web", {"metadata": {"annotations": {"text": "[{" * 200}}})
    assert web.deployment("web").annotations["text"] == "[{" * 200


def test_patch_nesting_up_to_the_limit_reaches_the_api_server(web):
    # 127 levels is still JSON the core reads: the API server then rejects the unknown field.
    with pytest.raises(kubesim.InvalidObjectError, match='unknown field "metadata.a"'):
        web.patch("deployment", "web", {"metadata": deep(126)})


# ----- apply: text or path -----

POD = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "p", "annotations": {"note": "x" * 400}},
    "spec": {"containers": [{"name": "c", "image": "nginx"}]},
}


@pytest.mark.parametrize(
    "text",
    [
        json.dumps(POD),
        "\ufeff" + json.dumps(POD),
        "{apiVersion: v1, kind: Pod, metadata: {name: p, annotations: {note: " + "x" * 400 + "}}, "
        "spec: {containers: [{name: c, image: nginx}]}}",
        "apiVersion: v1",  # a one-line YAML mapping: text, rejected as a manifest, not as a path
    ],
    ids=["json", "bom-json", "yaml-flow", "yaml-line"],
)
def test_a_one_line_manifest_is_text_not_a_path(text):
    c = kubesim.Cluster(nodes=1)
    if text == "apiVersion: v1":
        with pytest.raises(kubesim.ManifestError, match="kind"):
            c.apply(text)
        return
    if text.startswith("{apiVersion"):
        # Text that starts with `{` is JSON to kubectl's decoder (flow-style YAML is not).
        with pytest.raises(kubesim.ManifestError, match=r"\(document 1, line 1, column 2\): key must be a string"):
            c.apply(text)
        return
    assert [str(r) for r in c.apply(text)] == ["pod/p created"]
    assert c.pod("p").annotations["note"] == "x" * 400


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("a" * 300, "expected an object, found a string"),
        ("a" * 300 + ".yaml", 'the path "a+\\.yaml" cannot be accessed: File name too long'),
        ("missing.yaml", 'the path "missing.yaml" does not exist'),
    ],
    ids=["long-word", "long-path", "missing"],
)
def test_a_path_that_cannot_be_read_is_a_manifest_error(web, source, message):
    before = state(web)
    with pytest.raises(kubesim.ManifestError, match=message):
        web.apply(source)
    assert state(web) == before


def test_kubectl_apply_of_a_path_too_long_to_stat_says_so(web):
    path = "a" * 300
    before = state(web)
    r = web.kubectl(f"apply -f {path}", check=False)
    # kubectl 1.32 prints exactly this (checked with the real binary).
    assert (r.exit_code, r.stdout) == (1, "")
    assert r.stderr == f'error: the path "{path}" cannot be accessed: stat {path}: file name too long\n'
    assert state(web) == before


def test_a_list_item_that_is_not_json_is_reported_and_the_others_are_applied():
    c = kubesim.Cluster(nodes=1)
    bad = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "q"}, "spec": {"x": math.nan}}
    with pytest.raises(kubesim.ManifestError, match=r"<list item 1> \(document 1\): spec.x: nan") as e:
        c.apply([POD, bad])
    assert (e.value.field, e.value.source, e.value.document) == ("spec.x", "<list item 1>", 1)
    assert [str(r) for r in e.value.applied] == ["pod/p created"]
    assert c.pod("p").exists and not c._exists("pod", "default", "q")


@pytest.mark.parametrize("call", ["create", "replace"])
def test_create_and_replace_of_a_dict_that_is_not_json(web, call):
    before = state(web)
    obj = web.deployment("web").to_dict()
    obj["spec"]["replicas"] = math.inf
    with pytest.raises(kubesim.ManifestError, match="spec.replicas: inf is not a JSON number") as e:
        getattr(web, call)(obj)
    assert e.value.field == "spec.replicas"
    obj["spec"]["replicas"] = 3
    obj["metadata"]["labels"] = deep(300)
    with pytest.raises(kubesim.ManifestError, match="nested more than 127 levels deep"):
        getattr(web, call)(obj)
    assert state(web) == before


# ----- virtual time has an end -----


@pytest.mark.parametrize(
    "duration",
    ["9223372036854775807ms", dt.timedelta(days=999_999_999), 10**30, "3000000d", 1e17],
    ids=["max-ms", "timedelta", "huge-int", "days", "huge-float"],
)
def test_durations_beyond_the_end_of_virtual_time_are_invalid(web, duration):
    before = state(web)
    with pytest.raises(kubesim.InvalidArgumentError, match="too large|must be a finite"):
        web.advance(duration)
    with pytest.raises(kubesim.InvalidArgumentError):
        web.run_until(lambda: False, timeout=duration)
    with pytest.raises(kubesim.InvalidArgumentError):
        web.deployment("web").rollout.status(timeout=duration)
    assert state(web) == before


def test_virtual_time_ends_at_the_last_instant_a_datetime_holds():
    c = kubesim.Cluster(nodes=1, start="9999-12-31T23:59:00Z")
    c.apply("examples/redis-pod.yaml")
    c.advance("59.999s")
    assert c.now == END
    before = state(c)
    with pytest.raises(kubesim.InvalidArgumentError, match="would pass 9999-12-31T23:59:59.999Z"):
        c.advance("1ms")
    with pytest.raises(kubesim.InvalidArgumentError, match="would pass"):
        c.run_until(lambda: False, timeout="1s")
    assert state(c) == before
    # A wait without a timeout stops at the end: timers past it can never fire.
    with pytest.raises(kubesim.TimeoutError, match="nothing pending"):
        c.run_until(lambda: False)
    assert c.now == END
    with pytest.raises(kubesim.InvalidArgumentError, match="virtual time ends"):
        kubesim.Cluster(start=dt.datetime(9999, 12, 31, 23, 0, tzinfo=dt.timezone(-dt.timedelta(hours=2))))


# ----- loads and metrics -----

SETTERS: dict[str, Callable[[kubesim.Cluster, Any], None]] = {
    "set_load(cpu)": lambda c, v: c.deployment("web").set_load(cpu=v),
    "set_load(memory)": lambda c, v: c.deployment("web").set_load(memory=v),
    "set_load(idle)": lambda c, v: c.deployment("web").set_load(idle={"cpu": v}),
    "Deployment.set_metric": lambda c, v: c.deployment("web").set_metric("rps", v),
    "Deployment.set_metric(total)": lambda c, v: c.deployment("web").set_metric("rps", total=v),
    "Pod.set_usage": lambda c, v: c.pods()[0].set_usage(cpu=v),
    "Pod.set_metric": lambda c, v: c.pods()[0].set_metric("rps", v),
    "set_external_metric": lambda c, v: c.set_external_metric("queue", v),
}
BAD_QUANTITIES = [
    (math.nan, "must be a finite number"),
    (math.inf, "must be a finite number"),
    (-math.inf, "must be a finite number"),
    (1e300, "out of range"),
    (10**19, "out of range"),
    ("1e999", "invalid quantity"),
    ("9223372036854775808m", "invalid quantity"),
    ("lots", "invalid quantity"),
]


@pytest.mark.parametrize("setter", sorted(SETTERS))
@pytest.mark.parametrize(("value", "message"), BAD_QUANTITIES, ids=[repr(v) for v, _ in BAD_QUANTITIES])
def test_quantities_that_do_not_fit_are_invalid_arguments(web, setter, value, message):
    before = state(web)
    with pytest.raises(kubesim.InvalidArgumentError, match=message):
        SETTERS[setter](web, value)
    assert state(web) == before


@pytest.mark.parametrize(
    "schedule",
    [[(1,)], [5], [(0, "1"), ("1m", "2", "3")], ["0"]],
    ids=["one-element", "bare-number", "three-elements", "string"],
)
@pytest.mark.parametrize("setter", ["set_load(cpu)", "Deployment.set_metric", "set_external_metric"])
def test_a_malformed_schedule_is_an_invalid_argument(web, setter, schedule):
    with pytest.raises(kubesim.InvalidArgumentError, match="a schedule is a list of \\(time, value\\) pairs"):
        SETTERS[setter](web, schedule)


def test_a_rejected_load_leaves_the_previous_one_in_place(web):
    d = web.deployment("web")
    d.set_load(cpu="2")
    with pytest.raises(kubesim.InvalidArgumentError):
        d.set_load(cpu=[(0, "1"), ("1m", math.nan)])
    web.advance("1m")
    usage = web.top("pods")
    assert sorted(line.split()[1] for line in usage.splitlines()[1:]) == ["1000m", "1000m"]


def test_the_largest_quantity_is_accepted(web):
    web.deployment("web").set_load(cpu="9223372036854775807m")
    web.pods()[0].set_usage(cpu=9_223_372_036_854_775)


def test_a_load_callable_returning_nan_is_a_simulation_error_naming_it(web):
    before = state(web)
    with pytest.raises(kubesim.SimulationError, match=r"load callable for deployment default/web \(cpu\)") as e:
        web.deployment("web").set_load(cpu=lambda t: math.nan)
    assert isinstance(e.value.__cause__, kubesim.InvalidArgumentError)
    assert "must be a finite number" in str(e.value)
    assert state(web) == before
