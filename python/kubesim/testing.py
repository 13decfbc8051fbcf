"""kubesim for pytest: a ``cluster`` fixture, assertions over virtual time, and hypothesis
strategies for manifests and selectors. Installed as a pytest plugin (entry point
``pytest11``), so an experiment is an ordinary test that advances virtual time::

    from kubesim.testing import assert_eventually, assert_rollout_within_bounds

    def test_surge_keeps_capacity(cluster):
        cluster.apply("nginx-deployment.yaml")
        d = cluster.deployment("nginx-deployment")
        d.set_image(nginx="nginx:1.9.1")
        assert_eventually(cluster, lambda: d.updated_replicas == d.available_replicas == 3, within="2m")
        assert_rollout_within_bounds(cluster, "nginx-deployment")

The fixture's cluster records a timeline (``every="1s"``). ``@pytest.mark.kubesim(nodes=5,
seed=7, every="500ms")`` sets its options. The strategies need ``hypothesis``.

When a test using the fixture fails, its report has a "kubesim cluster" section: ``kubectl get
all -A``, the Warning events, and the last recorded changes of the objects the failing code held
(handles in the failing frames, and in an ``assert_eventually`` predicate).
``--kubesim-timeline=DIR`` also writes the recorded timeline of each failing test's cluster to
``DIR/<test id>.csv``.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator
from typing import TYPE_CHECKING, Any

import pytest

from ._cluster import Cluster
from ._report import cluster_report, handles_in, predicate_report, write_timeline
from ._time import Duration
from .errors import TimeoutError

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

__all__ = [
    "assert_eventually",
    "assert_rollout_within_bounds",
    "deployments",
    "label_selectors",
    "labels",
    "manifests",
    "trace",
    "workload",
]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "kubesim(**options): options for the kubesim `cluster` fixture (nodes, seed, every, …)"
    )


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("kubesim").addoption(
        "--kubesim-timeline",
        metavar="DIR",
        default=None,
        help="write the recorded timeline of each failing test's kubesim cluster to DIR/<test id>.csv",
    )


_CLUSTER = pytest.StashKey[Cluster]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """A failing test's report shows the state of the cluster its fixture gave it."""
    report = yield
    c = item.stash.get(_CLUSTER, None)
    if c is None or report.when != "call" or not report.failed or call.excinfo is None:
        return report
    objects = list(getattr(call.excinfo.value, "kubesim_objects", []))
    for entry in call.excinfo.traceback:
        objects += handles_in(entry.frame.f_locals.values())
    text = cluster_report(c, objects)
    directory = item.config.getoption("kubesim_timeline")
    if directory:
        path = write_timeline(c, directory, item.nodeid)
        text += f"\n\ntimeline: {path}" if path else "\n\ntimeline: none (the cluster recorded nothing)"
    report.sections.append(("kubesim cluster", text))
    return report


@pytest.fixture
def cluster(request: pytest.FixtureRequest) -> Iterator[Cluster]:
    """A 3-node cluster (seed 0) recording a timeline every virtual second. Options from
    ``@pytest.mark.kubesim(...)``: Cluster's arguments, plus ``every`` (None: no recording)."""
    marker = request.node.get_closest_marker("kubesim")
    options: dict[str, Any] = dict(marker.kwargs) if marker else {}
    every = options.pop("every", "1s")
    options.setdefault("nodes", 3)
    options.setdefault("seed", 0)
    options.setdefault("record", every is not None)
    c = Cluster(**options)
    if every is not None:
        c.record(every=every)
    request.node.stash[_CLUSTER] = c
    yield c


def assert_eventually(
    c: Cluster, predicate: Callable[[], object], within: Duration = "5m", message: str | None = None
) -> float:
    """Advance virtual time until ``predicate()`` holds, at most ``within``; fail the test
    otherwise, saying what the predicate saw last: its text, its last result and the values it
    compared (``d.available_replicas == 6 was last False: d.available_replicas = 4``).
    Returns the virtual seconds it took."""
    __tracebackhide__ = True  # pytest shows the test's line, not this helper's
    started = c.elapsed
    last: list[object] = [None]

    def watched() -> object:
        last[0] = predicate()
        return last[0]

    try:
        c.run_until(watched, timeout=within, progress=False)
    except TimeoutError:
        what = message or getattr(predicate, "__name__", "condition")
        seen = predicate_report(predicate, last[0])
        error = AssertionError(f"{what} did not hold within {within} of virtual time (at t={c.elapsed:g}s)\n  {seen}")
        error.kubesim_objects = handles_in([predicate])  # type: ignore[attr-defined]
        raise error from None
    return c.elapsed - started


def assert_rollout_within_bounds(c: Cluster, name: str, namespace: str = "default") -> int:
    """Check the recorded timeline of a Deployment against its strategy's guarantees:

    - RollingUpdate: at every sample the Deployment's pods number at most desired + maxSurge,
      and, from the first moment it was fully available (and until the desired count changes),
      at least desired − maxUnavailable of them are available.
    - Recreate: pods of two ReplicaSets never exist at the same time.

    Needs a recording (``c.record()``, on in the ``cluster`` fixture). Returns the number of
    samples checked (those in which the Deployment or its ReplicaSets changed); fails with the
    first violation's time and counts."""
    tl = c.timeline()
    if tl.value("Deployment", name, "desired", namespace=namespace) is None and not tl.series(
        "Deployment", name, "desired", namespace
    ):
        raise AssertionError(f'no recorded Deployment "{name}" in namespace "{namespace}" (was c.record() on?)')
    recreate = tl.value("Deployment", name, "strategy", namespace=namespace) == "Recreate"
    owned = {
        rs
        for rs in tl.names("ReplicaSet", namespace)
        if tl.value("ReplicaSet", rs, "owner", namespace=namespace) == name
    }
    state: dict[str, Any] = {}
    pods: dict[str, int] = {}
    stable_at: int | None = None  # the desired count the Deployment was last fully available at
    checked = 0
    for t, rows in tl.samples():
        touched = False
        for r in rows:
            if r["namespace"] != namespace:
                continue
            if r["kind"] == "Deployment" and r["name"] == name:
                state[r["field"]] = r["value"]
                touched = True
            elif r["kind"] == "ReplicaSet" and r["name"] in owned and r["field"] in ("current", "deleted"):
                pods[r["name"]] = 0 if r["field"] == "deleted" else r["value"]
                touched = True
        if not touched or "desired" not in state or state.get("deleted"):
            continue
        checked += 1
        if recreate:
            running = sorted(rs for rs, n in pods.items() if n > 0)
            if len(running) > 1:
                raise AssertionError(f"deployment/{name} (Recreate) at t={t:g}s: pods of {running} at once")
            continue
        desired, current, available = state["desired"], state["current"], state["available"]
        surge, unavailable = state.get("max_surge", 0), state.get("max_unavailable", 0)
        if current > desired + surge:
            raise AssertionError(
                f"deployment/{name} at t={t:g}s: {current} pods > desired {desired} + maxSurge {surge}"
            )
        if stable_at != desired:
            stable_at = desired if available >= desired else None  # scaled: wait until settled
        if stable_at is not None and available < desired - unavailable:
            raise AssertionError(
                f"deployment/{name} at t={t:g}s: {available} available < desired {desired} - maxUnavailable "
                f"{unavailable}"
            )
    return checked


def trace(c: Cluster, kinds: tuple[str, ...] = ("Deployment", "ReplicaSet", "HorizontalPodAutoscaler")) -> str:
    """The recorded timeline of ``kinds`` as text, one line per object per time it changed:
    ``t=12s ReplicaSet/web-6d4f8 current=3 ready=3``. Golden files store these traces."""
    from . import _native

    wanted = {_native.resolve_kind(k)[0] for k in kinds}
    lines: list[str] = []
    for t, rows in c.timeline().samples():
        objects: dict[tuple[str, str], list[str]] = {}
        for r in rows:
            if r["kind"] in wanted:
                objects.setdefault((r["kind"], r["name"]), []).append(f"{r['field']}={r['value']}")
        lines += [f"t={t:g}s {kind}/{name} " + " ".join(parts) for (kind, name), parts in objects.items()]
    return "\n".join(lines) + "\n"


# ----- hypothesis strategies -----


def workload(
    kind: str = "Deployment",
    name: str = "web",
    replicas: int = 3,
    image: str = "nginx:1.25",
    container: str = "main",
    labels: dict[str, str] | None = None,
    resources: dict[str, Any] | None = None,
    pod_spec: dict[str, Any] | None = None,
    **spec: Any,
) -> dict[str, Any]:
    """A Deployment or ReplicaSet manifest selecting ``app: name``, with one container; extra
    keyword arguments go into ``spec`` (``strategy=…``, ``minReadySeconds=…``), ``pod_spec`` into
    the pod template's spec and ``labels`` onto the pods."""
    c: dict[str, Any] = {"name": container, "image": image}
    if resources:
        c["resources"] = resources
    return {
        "apiVersion": "apps/v1",
        "kind": kind,
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {**(labels or {}), "app": name}},
                "spec": {"containers": [c], **(pod_spec or {})},
            },
            **spec,
        },
    }


def _st() -> Any:
    from ._optional import require

    return require("hypothesis.strategies", "kubesim.testing strategies", extra="test")


_KEY_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789"


def label_keys() -> SearchStrategy[str]:
    """Label keys: a DNS-1123 name (optionally with a prefix such as ``app.kubernetes.io/``)."""
    st = _st()
    name = st.text(_KEY_CHARS, min_size=1, max_size=12)
    prefix = st.sampled_from(["", "app.kubernetes.io/", "example.com/"])
    return st.builds(lambda p, n: p + n, prefix, name)


def label_values() -> SearchStrategy[str]:
    st = _st()
    return st.one_of(st.just(""), st.text(_KEY_CHARS, min_size=1, max_size=10))


def labels(max_size: int = 4) -> SearchStrategy[dict[str, str]]:
    """Label maps."""
    return _st().dictionaries(label_keys(), label_values(), max_size=max_size)


def label_selectors(keys: SearchStrategy[str] | None = None, max_terms: int = 3) -> SearchStrategy[str]:
    """Selector strings in kubectl's grammar: ``k=v``, ``k==v``, ``k!=v``, ``k in (a,b)``,
    ``k notin (a)``, ``k``, ``!k``, joined by commas (the empty selector matches everything)."""
    st = _st()
    key_st = keys if keys is not None else label_keys()
    value = st.text(_KEY_CHARS, min_size=1, max_size=10)

    def term(draw: Any) -> str:
        k = draw(key_st)
        op = draw(st.sampled_from(["=", "==", "!=", "in", "notin", "exists", "!exists"]))
        if op in ("=", "==", "!="):
            return f"{k}{op}{draw(value)}"
        if op in ("in", "notin"):
            values = draw(st.lists(value, min_size=1, max_size=3, unique=True))
            return f"{k} {op} ({','.join(values)})"
        return k if op == "exists" else f"!{k}"

    return st.lists(st.composite(term)(), max_size=max_terms).map(",".join)


def deployments(
    name: str = "web", max_replicas: int = 12, images: tuple[str, ...] = ("nginx:1.25", "nginx:1.26")
) -> SearchStrategy[dict[str, Any]]:
    """Valid Deployment manifests: replicas, RollingUpdate (maxSurge/maxUnavailable as counts
    or percentages, never both zero) or Recreate, minReadySeconds, an image, labels."""
    st = _st()
    amount = st.one_of(st.integers(0, 4).map(int), st.sampled_from(["0%", "10%", "25%", "50%", "100%"]))

    def zero(a: Any) -> bool:
        return a in (0, "0%")

    rolling = st.tuples(amount, amount).filter(lambda su: not (zero(su[0]) and zero(su[1])))
    strategy = st.one_of(
        rolling.map(
            lambda su: {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": su[0], "maxUnavailable": su[1]}}
        ),
        st.just({"type": "Recreate"}),
    )

    def build(replicas: int, strat: dict[str, Any], min_ready: int, image: str, extra: dict[str, str]) -> dict:
        return workload("Deployment", name, replicas, image, labels=extra, strategy=strat, minReadySeconds=min_ready)

    return st.builds(
        build,
        st.integers(0, max_replicas),
        strategy,
        st.integers(0, 5),
        st.sampled_from(images),
        st.dictionaries(st.text("abcdefgh", min_size=1, max_size=5), label_values(), max_size=2),
    )


def manifests(max_replicas: int = 12) -> SearchStrategy[dict[str, Any]]:
    """Valid manifests of the workload kinds: a Pod, a ReplicaSet or a Deployment."""
    st = _st()

    def pod(name: str, extra: dict[str, str]) -> dict[str, Any]:
        return {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": name, "labels": {**extra, "app": name}},
            "spec": {"containers": [{"name": "main", "image": "nginx:1.25"}]},
        }

    def replicaset(d: dict[str, Any]) -> dict[str, Any]:
        spec = {k: v for k, v in d["spec"].items() if k not in ("strategy",)}
        return {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "rs"}, "spec": spec}

    names = st.text("abcdefghij", min_size=1, max_size=8)
    return st.one_of(
        st.builds(pod, names, labels(2)),
        deployments(max_replicas=max_replicas).map(replicaset),
        deployments(max_replicas=max_replicas),
    )
