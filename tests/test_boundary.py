"""The Python boundary: handles read nothing until asked, each read crosses into the core once
and comes back as Python values made from the stored object (no JSON text), and kubectl's
`-o json` / `-o yaml` print exactly what they printed when they were written in Python."""

from __future__ import annotations

import gc
import json
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import kubesim
from kubesim._kubectl._printers import print_objects as _print_objects
from kubesim.testing import workload

TRICKY = 'quote " backslash \\ newline \n tab \t bell \x07 é 中文 😀 \u2028 </script>'


class Spy:
    """Stands in for the native cluster and records the name of every call made on it."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.calls: list[tuple[str, tuple[Any, ...]]] = []

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.real, name)
        if not callable(attr):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            self.calls.append((name, args))
            return attr(*args, **kwargs)

        return call


@pytest.fixture
def c() -> kubesim.Cluster:
    c = kubesim.Cluster(nodes=2, seed=3)
    c.apply(
        workload(
            name="web",
            replicas=2,
            labels={"tier": "web"},
            resources={"requests": {"cpu": "100m", "memory": "64Mi"}},
            pod_spec={"terminationGracePeriodSeconds": 5},
            strategy={"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": "50%"}},
        )
    )
    c.apply(workload(name="api", replicas=1, labels={"tier": "api"}))
    c.patch("deployment", "web", {"metadata": {"annotations": {"note": TRICKY}, "labels": {"tier": "web"}}})
    c.advance("10s")
    return c


def spy_on(c: kubesim.Cluster) -> Spy:
    spy = Spy(c._native._native)
    c._native._native = spy
    return spy


def old_print(dicts: list[dict[str, Any]], output: str, single: bool) -> str:
    """What `kubectl get -o json|yaml` printed when it was written in Python: the printer the
    other commands' `-o json|yaml` still use."""
    return _print_objects(dicts, output, "", single)


# ----- handles are lazy and live -----


def test_making_a_handle_reads_nothing_of_the_object(c):
    spy = spy_on(c)
    d = c.deployment("web")
    p = c.get("pods", c.pods()[0].name)
    n = c.node("node-1")
    assert [name for name, _ in spy.calls if name not in ("locate", "list_names")] == []
    assert (d.name, d.namespace, n.namespace) == ("web", "default", "")
    assert isinstance(p, kubesim.Pod)


def test_a_handle_of_a_missing_object_is_not_found_at_once(c):
    spy = spy_on(c)
    with pytest.raises(kubesim.NotFoundError, match='^deployments.apps "nope" not found$') as info:
        c.deployment("nope")
    assert (info.value.kind, info.value.name) == ("Deployment", "nope")
    with pytest.raises(kubesim.NotFoundError, match='^pods "web" not found$'):
        c.pod("web")
    with pytest.raises(kubesim.NotFoundError, match='^deployments.apps "web" not found$'):
        c.deployment("web", namespace="other")
    # Deciding that took a lookup, not a read of an object.
    assert {name for name, _ in spy.calls} == {"locate"}


def test_a_handle_made_before_a_change_shows_the_change(c):
    d = c.deployment("web")
    rv = d.resource_version
    c.patch("deployment", "web", {"metadata": {"labels": {"stage": "two"}}})
    assert d.labels["stage"] == "two" and d.resource_version != rv
    d.scale(4)
    assert d.replicas == 4 and d.to_dict()["spec"]["replicas"] == 4
    c.delete("deployment", "web")
    assert not d.exists
    with pytest.raises(kubesim.NotFoundError, match='^deployments.apps "web" not found$'):
        d.to_dict()
    with pytest.raises(kubesim.NotFoundError):
        _ = d.replicas


def test_a_property_reads_its_part_once(c):
    d = c.deployment("web")
    spy = spy_on(c)
    assert d.replicas == 2
    assert d.ready_replicas == d.to_dict()["status"]["readyReplicas"]
    assert d.uid == d.to_dict()["metadata"]["uid"]
    assert [(name, args[3:]) for name, args in spy.calls] == [
        ("get", (("spec",),)),
        ("get", (("status",),)),
        ("get", ()),
        ("get", (("metadata",),)),
        ("get", ()),
    ]


def test_writes_return_handles_without_reading_the_object_back(c):
    spy = spy_on(c)
    made = c.create(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"generateName": "w-"},
            "spec": workload()["spec"]["template"]["spec"],
        }
    )
    patched = c.patch("deployment", "api", {"spec": {"replicas": 2}})
    assert [name for name, _ in spy.calls] == ["create", "patch"]
    assert isinstance(made, kubesim.Pod) and made.name.startswith("w-") and made.exists
    assert patched == c.deployment("api") and patched.replicas == 2
    obj = patched.to_dict()
    obj["spec"]["replicas"] = 3
    replaced = c.replace(obj)
    assert isinstance(replaced, kubesim.Deployment) and replaced.replicas == 3


def test_a_write_to_one_object_reads_nothing_else(c):
    # Whatever else is stored, set_image, scale, patch and apply of one object make the same
    # calls: none of them lists or reads other objects.
    c.apply([workload(name=f"other-{i}", replicas=1) for i in range(30)])
    d = c.deployment("web")
    spy = spy_on(c)
    d.set_image(main="nginx:1.26")
    assert [name for name, _ in spy.calls] == ["set_image"]
    spy.calls.clear()
    d.scale(3)
    c.patch("deployment", "api", {"metadata": {"labels": {"x": "y"}}})
    c.apply(workload(name="other-7", replicas=2))
    assert [name for name, _ in spy.calls] == ["patch", "patch", "apply"]


# ----- reads: the object as JSON, as Python values -----


def test_to_dict_is_the_object_as_kubectl_prints_it(c):
    for h in [c.deployment("web"), *c.replicasets(), *c.pods(), c.node("node-1"), *c.events()[:5]]:
        d = h.to_dict()
        assert d == json.loads(c.kubectl(f"get {h.kind.lower()} {h.name} -o json")), h
        # An independent reader of the YAML text gives the same value (YAML itself cannot carry
        # all of TRICKY: a YAML reader takes U+2028 for a line break).
        from_yaml = yaml.safe_load(h.to_yaml())
        for both in (d, from_yaml):
            both["metadata"].get("annotations", {}).pop("note", None)
        assert d == from_yaml, h


def test_types_survive_the_crossing(c):
    d = c.deployment("web").to_dict()
    spec = d["spec"]
    assert type(spec["replicas"]) is int and type(d["metadata"]["generation"]) is int
    assert spec["strategy"]["rollingUpdate"] == {"maxSurge": 1, "maxUnavailable": "50%"}
    container = spec["template"]["spec"]["containers"][0]
    assert container["resources"] == {"requests": {"cpu": "100m", "memory": "64Mi"}}
    assert isinstance(spec["template"]["spec"]["containers"], list)
    assert type(spec["template"]["spec"]["terminationGracePeriodSeconds"]) is int
    assert d["metadata"]["annotations"]["note"] == TRICKY
    assert isinstance(d["metadata"]["resourceVersion"], str)
    pod = c.pods(selector="app=web")[0].to_dict()
    assert pod["status"]["containerStatuses"][0]["ready"] is True
    assert type(pod["status"]["containerStatuses"][0]["restartCount"]) is int
    assert all(type(cond["status"]) is str for cond in pod["status"]["conditions"])
    # Every read is a new value: changing one does not change the next.
    d["metadata"]["labels"]["mine"] = "x"
    assert "mine" not in c.deployment("web").labels


def test_every_read_is_a_new_value_though_made_from_shared_parts(c):
    # The Deployment and its ReplicaSet store one pod template spec; the core makes its dicts
    # once and copies them for each read. No read may see what a caller did to an earlier one,
    # in the shared part or elsewhere.
    d = c.deployment("web")
    first, second = d.to_dict(), d.to_dict()
    rs = c.replicasets(selector="app=web")[0].to_dict()
    pristine = json.dumps(first)
    specs = [x["spec"]["template"]["spec"] for x in (first, second, rs)]
    assert specs[0] == specs[1] == specs[2]
    for container in specs[0]["containers"]:
        container["image"] = "changed"
        container["resources"]["requests"].clear()
    specs[0]["containers"].append({"name": "extra"})
    specs[0]["dnsPolicy"] = "None"
    first["spec"]["replicas"] = 99
    first["spec"]["strategy"]["rollingUpdate"]["maxSurge"] = 7
    first["status"].clear()
    first["metadata"]["uid"] = "x"
    assert json.dumps(second) == pristine
    assert specs[2]["containers"] == specs[1]["containers"] and specs[2]["dnsPolicy"] == "ClusterFirst"
    assert json.dumps(d.to_dict()) == pristine
    assert json.dumps(c._native.list("deployment", "default", "tier=web")[0]) == pristine


def test_keys_of_any_length_and_number_come_back(c):
    # More keys than the core keeps made (4,096), and keys longer than it keeps (64 bytes).
    many = {f"k{i}": str(i) for i in range(5000)}
    many |= {".".join(["s" + "x" * 40] * (i % 5 + 1)) + f".example.com/k{i}": str(i) for i in range(50)}
    c.patch("deployment", "api", {"metadata": {"annotations": many}})
    annotations = c.deployment("api").annotations
    assert {k: v for k, v in annotations.items() if k in many} == many
    assert c.deployment("web").annotations["note"] == TRICKY


def test_values_of_any_number_come_back_each_its_own(c):
    # Short values are shared from a table of 4,096 slots, a newer value replacing an older one
    # in its slot: many more distinct values than slots (and values that differ in one byte, or
    # only past the table's 64 bytes, or in non-ASCII text) each come back as written.
    values = [f"v{i}" for i in range(6000)] + ["é" * (i % 40) + "ü" for i in range(40)]
    values += ["x" * 63 + str(i % 10) for i in range(10)] + ["y" * 70 + str(i) for i in range(10)]
    data = {f"k{i}": v for i, v in enumerate(values)}
    c.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "many"}, "data": data})
    for _ in range(2):  # the second read is served from the table the first one filled
        got = c.get("configmap", "many").to_dict()["data"]
        assert got == data and [got[f"k{i}"] for i in range(len(values))] == values
    # A shared value is still a value of its own to the caller: str cannot be changed in place.
    first, second = c.deployment("web").to_dict(), c.deployment("web").to_dict()
    assert first["kind"] == second["kind"] == "Deployment"
    first["kind"] = "Changed"
    assert c.deployment("web").to_dict()["kind"] == "Deployment"


def test_lists_come_in_store_order_with_selectors(c):
    c.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "aaa"}})
    c.apply({**workload(name="zeta", labels={"tier": "web"}), "metadata": {"name": "zeta", "namespace": "aaa"}})
    everywhere = c._native.list("deployments", None, "")
    assert [(o["metadata"]["namespace"], o["metadata"]["name"]) for o in everywhere] == [
        ("aaa", "zeta"),
        ("default", "api"),
        ("default", "web"),
    ]
    pods = c._native.list("pods", "default", "tier=web")
    assert [p["metadata"]["name"] for p in pods] == sorted(h.name for h in c.pods(selector={"tier": "web"}))
    assert pods == [h.to_dict() for h in c.pods(selector="tier=web")]
    assert all(p["metadata"]["labels"]["tier"] == "web" for p in pods) and len(pods) == 2
    assert c._native.list("pods", "default", "tier=none") == []
    keys = [("default", "web"), ("aaa", "zeta")]
    assert c._native.get_many("Deployment", keys) == [
        c.deployment("web").to_dict(),
        c.get("deploy", "zeta", "aaa").to_dict(),
    ]
    with pytest.raises(kubesim.NotFoundError, match='"gone" not found'):
        c._native.get_many("Deployment", [("default", "web"), ("default", "gone")])


def test_watch_events_carry_the_object_at_their_version(c):
    since = c.resource_version
    c.create(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "solo"},
            "spec": workload()["spec"]["template"]["spec"],
        }
    )
    c.patch("pod", "solo", {"metadata": {"labels": {"step": "1"}}})
    c.advance("5s")
    events = c.watch(since=since)
    assert events and [e.resource_version for e in events] == sorted(e.resource_version for e in events)
    for e in events:
        assert isinstance(e.object, dict)
        assert int(e.object["metadata"]["resourceVersion"]) == e.resource_version
    solo = [e for e in events if e.kind == "Pod" and e.name == "solo"]
    assert solo[0].type == "ADDED" and "labels" not in solo[0].object["metadata"]
    assert solo[-1].object == c.pod("solo").to_dict()
    c.delete("pod", "solo", grace_period=0)
    last = [e for e in c.watch(since=solo[-1].resource_version, kind="pod") if e.name == "solo"]
    assert last[-1].type == "DELETED" and last[-1].object["metadata"]["labels"] == {"step": "1"}


def test_bulk_reads_leave_the_garbage_collector_as_they_found_it(c):
    assert gc.isenabled()
    c._native.list("pods", None, "")
    c.watch(since=0)
    c.events()
    assert gc.isenabled()
    gc.disable()
    try:
        c._native.list("pods", None, "")
        c.watch(since=0)
        assert not gc.isenabled()
    finally:
        gc.enable()


# ----- kubectl -o json / -o yaml: the same text as before -----


def by(path: str) -> Any:
    def key(h: kubesim.Object) -> Any:
        d = h.to_dict()
        for part in path.split("."):
            d = d[part]
        return d

    return key


# kubectl arguments, and the objects it prints in their order.
LISTED = {
    "get deployments": lambda c: c.deployments(),
    "get deploy web api": lambda c: [c.deployment("web"), c.deployment("api")],
    "get deploy,rs": lambda c: c.deployments() + c.replicasets(),
    "get pods -l tier=web": lambda c: c.pods(selector="tier=web"),
    "get pods -A": lambda c: c.pods(namespace=None),
    "get nodes": lambda c: c.nodes(),
    "get events": lambda c: c.list("events"),
    "get deploy --sort-by=.spec.replicas": lambda c: sorted(c.deployments(), key=by("spec.replicas")),
    "get pods -A --sort-by=.metadata.name": lambda c: sorted(c.pods(namespace=None), key=by("metadata.name")),
}


@pytest.mark.parametrize("command", list(LISTED))
def test_kubectl_json_and_yaml_print_what_they_printed_before(c, command):
    c.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "aaa"}})
    c.apply({**workload(name="zeta"), "metadata": {"name": "zeta", "namespace": "aaa"}})
    c.advance("5s")
    dicts = [h.to_dict() for h in LISTED[command](c)]
    assert dicts
    assert c.kubectl(f"{command} -o json") == old_print(dicts, "json", False)
    assert c.kubectl(f"{command} -o yaml") == old_print(dicts, "yaml", False)


@pytest.mark.parametrize("output", ["json", "yaml"])
def test_kubectl_prints_one_named_object_alone(c, output):
    for h in [c.deployment("web"), c.pods()[0], c.node("node-2")]:
        text = c.kubectl(f"get {h.kind.lower()} {h.name} -o {output}")
        assert text == old_print([h.to_dict()], output, True)
    assert c.kubectl(f"get node node-2 -o {output}") == c.kubectl(f"get nodes node-2 -n elsewhere -o {output}")


def test_kubectl_json_of_nothing_is_an_empty_list(c):
    assert c.kubectl("get pods -l tier=none -o json") == old_print([], "json", False)


@settings(max_examples=60, deadline=None)
@given(text=st.text(max_size=40))
def test_kubectl_json_writes_any_text_as_python_did(text):
    c = _text_cluster()
    c.patch("deployment", "web", {"metadata": {"annotations": {"note": text}}})
    d = c.deployment("web").to_dict()
    assert d["metadata"]["annotations"]["note"] == text
    assert c.kubectl("get deployment web -o json") == old_print([d], "json", True)
    assert c.kubectl("get deployments -o json") == old_print([d], "json", False)


_TEXT_CLUSTER: list[kubesim.Cluster] = []


def _text_cluster() -> kubesim.Cluster:
    if not _TEXT_CLUSTER:
        c = kubesim.Cluster(nodes=0, seed=0, events=False)
        c.apply(workload(name="web", replicas=0))
        _TEXT_CLUSTER.append(c)
    return _TEXT_CLUSTER[0]


def test_print_objects_refuses_other_formats(c):
    with pytest.raises(ValueError, match='json or yaml, not "name"'):
        c._native.print_objects([("Deployment", "default", "web")], True, "name")
    with pytest.raises(kubesim.NotFoundError, match='"gone" not found'):
        c._native.print_objects([("Deployment", "default", "gone")], True, "json")
    with pytest.raises(kubesim.InvalidArgumentError, match='resource type "widgets"'):
        c._native.print_objects([("widgets", "default", "x")], True, "json")


# ----- dicts of every kind: the values `kubectl get -o json` prints, key for key, in order -----

QUANTITIES = ["0.5", "500m", "1", "1.5Gi", "2k", "1e3", "100Mi", "0", "123456789012"]


def every_kind(c: kubesim.Cluster, text: str, cpu: str, memory: str) -> None:
    """One object (or more) of every kind the core serves, with odd values where they can go:
    quantities as written, int-or-string fields both ways, empty maps, nulls, any text."""
    template = {
        "metadata": {"labels": {"app": "all"}, "annotations": {"note": text, "empty": ""}},
        "spec": {
            "nodeSelector": None,
            "containers": [
                {
                    "name": "c",
                    "image": "nginx:1.25",
                    "env": [{"name": "TEXT", "value": text}, {"name": "EMPTY", "value": ""}],
                    "ports": [{"name": "http", "containerPort": 8080}],
                    "resources": {"requests": {"cpu": cpu, "memory": memory}, "limits": {}},
                    "readinessProbe": {"httpGet": {"path": "/", "port": "http"}},
                }
            ],
        },
    }
    selector = {"matchLabels": {"app": "all"}}
    meta = {"name": "all", "labels": {}, "annotations": {"note": text}}
    c.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "odd", "annotations": {"t": text}}})
    c.apply(
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": meta,
            "spec": {"selector": selector, "template": template},
        }
    )
    c.apply({"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": {"text": text, "empty": ""}})
    c.apply({"apiVersion": "v1", "kind": "Secret", "metadata": meta, "stringData": {"text": text}, "data": {}})
    c.apply({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta})
    c.apply(
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": meta,
            "spec": {
                "selector": {"app": "all"},
                "ports": [{"name": "h", "port": 80, "targetPort": "http"}, {"name": "n", "port": 81, "targetPort": 9}],
            },
        }
    )
    job_template = {**template, "spec": {**template["spec"], "restartPolicy": "Never"}}
    c.apply({"apiVersion": "batch/v1", "kind": "Job", "metadata": meta, "spec": {"template": job_template}})
    c.apply(
        {
            "apiVersion": "batch/v1",
            "kind": "CronJob",
            "metadata": meta,
            "spec": {"schedule": "*/5 * * * *", "jobTemplate": {"spec": {"template": job_template}}},
        }
    )
    c.apply(
        {
            "apiVersion": "apps/v1",
            "kind": "DaemonSet",
            "metadata": {"name": "ds"},
            "spec": {
                "selector": {"matchLabels": {"app": "ds"}},
                "template": {**template, "metadata": {"labels": {"app": "ds"}}},
            },
        }
    )
    c.apply(
        {
            "apiVersion": "apps/v1",
            "kind": "StatefulSet",
            "metadata": {"name": "db"},
            "spec": {
                "serviceName": "db",
                "replicas": 1,
                "selector": {"matchLabels": {"app": "db"}},
                "template": {**template, "metadata": {"labels": {"app": "db"}}},
                "volumeClaimTemplates": [
                    {
                        "metadata": {"name": "data"},
                        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": memory}}},
                    }
                ],
            },
        }
    )
    c.apply(
        {
            "apiVersion": "policy/v1",
            "kind": "PodDisruptionBudget",
            "metadata": meta,
            "spec": {"minAvailable": "50%", "selector": selector},
        }
    )
    c.apply(
        {
            "apiVersion": "autoscaling/v2",
            "kind": "HorizontalPodAutoscaler",
            "metadata": meta,
            "spec": {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "all"},
                "minReplicas": 1,
                "maxReplicas": 3,
                "metrics": [
                    {
                        "type": "Resource",
                        "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}},
                    }
                ],
            },
        }
    )
    c.advance("40s")


@settings(max_examples=8, deadline=None)
@given(
    text=st.text(max_size=20) | st.just(TRICKY),
    cpu=st.sampled_from(QUANTITIES),
    memory=st.sampled_from(QUANTITIES),
)
def test_dicts_of_every_kind_are_what_kubectl_json_prints(text, cpu, memory):
    c = kubesim.Cluster(nodes=2, seed=1)
    every_kind(c, text, cpu, memory)
    kinds = _native_kinds()
    seen = set()
    for kind in kinds:
        printed = json.loads(c.kubectl(f"get {kind.lower()} -A -o json"))["items"]
        handles = c.list(kind, namespace=None)
        dicts = [h.to_dict() for h in handles]
        # json.dumps without sort_keys writes the keys in the dicts' own order, and tells an int
        # from a float or a string, and True from 1.
        assert [json.dumps(d) for d in dicts] == [json.dumps(p) for p in printed], kind
        assert [json.dumps(d) for d in c._native.list(kind, None, "")] == [json.dumps(p) for p in printed], kind
        for h, p in zip(handles, printed, strict=True):
            assert json.dumps(h.spec if "spec" in p else {}) == json.dumps(p.get("spec", {})), kind
            # A part read alone (the status and metadata are made without the rest).
            for part in ("status", "metadata"):
                assert json.dumps(h._part(part)) == json.dumps(p.get(part, {})), (kind, part)
        seen |= {kind} if printed else set()
    assert seen == set(kinds)


def _native_kinds() -> list[str]:
    from kubesim import _native

    return list(_native.served_kinds())


# ----- a list's handles read together -----


@pytest.fixture
def maps() -> kubesim.Cluster:
    c = kubesim.Cluster(nodes=1, seed=3)
    for i in range(100):
        c.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"m{i:03}"}, "data": {"i": str(i)}})
    return c


def test_a_lists_dicts_are_read_in_growing_chunks(maps):
    handles = maps.list("configmaps")
    alone = [maps.get("configmap", h.name).to_dict() for h in handles]
    spy = spy_on(maps)
    assert [h.to_dict() for h in handles] == alone
    chunks = [len(args[1]) for name, args in spy.calls if name == "get_many"]
    assert chunks == [16, 16, 32, 36] and {name for name, _ in spy.calls} == {"get_many"}
    # Read again: the chunks were handed out; each read is a new value.
    again = handles[0].to_dict()
    assert again == alone[0] and again is not handles[0].to_dict()
    again["data"]["i"] = "changed"
    assert handles[0].to_dict()["data"]["i"] == "0"


def test_a_lists_handles_show_writes_made_between_reads(maps):
    handles = maps.list("configmaps")
    assert handles[0].to_dict()["data"] == {"i": "0"}
    maps.patch("configmap", "m001", {"data": {"i": "one"}})
    maps.delete("configmap", "m002")
    assert handles[1].to_dict()["data"] == {"i": "one"}
    with pytest.raises(kubesim.NotFoundError, match='"m002" not found'):
        handles[2].to_dict()
    # A chunk that holds a deleted object is not read; the others are read one by one.
    assert [h.to_dict()["data"]["i"] for h in handles[3:6]] == ["3", "4", "5"]
    assert handles[99].to_dict()["data"] == {"i": "99"} and handles[50].to_dict()["data"] == {"i": "50"}


def test_a_listed_handle_copies_and_pickles_without_its_list(maps):
    import copy
    import pickle

    h = maps.list("configmaps")[7]
    h.to_dict()
    for other in (copy.deepcopy(h), pickle.loads(pickle.dumps(h))):
        assert other.name == "m007" and other._listing is None
        assert other.to_dict()["data"] == {"i": "7"}
