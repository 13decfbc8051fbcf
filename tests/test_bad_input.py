"""The bad-input corpus (tests/corpus/bad/cases.yaml): manifests and kubectl lines real users get
wrong. Each gets its typed error, with the field path (or document and line), in the API server's
words where they are known, and changes nothing. Then what "changes nothing" means when only some
documents of a manifest are bad."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

import kubesim

CORPUS = Path(__file__).resolve().parent / "corpus" / "bad"
TABLE = yaml.safe_load((CORPUS / "cases.yaml").read_text(encoding="utf-8"))
MANIFESTS: list[dict[str, Any]] = TABLE["manifests"]
KUBECTL: list[dict[str, Any]] = TABLE["kubectl"]
UNSCHEDULABLE: list[dict[str, Any]] = TABLE["unschedulable"]


def cluster() -> kubesim.Cluster:
    """What every case starts from: one node and a Deployment ``web`` with two pods."""
    c = kubesim.Cluster(nodes=1, seed=0)
    c.kubectl("create deployment web --image=nginx --replicas=2")
    return c


def state(c: kubesim.Cluster) -> tuple[Any, ...]:
    """What a rejected input must leave as it was: resourceVersion, clock and watch log."""
    return c.resource_version, c.now, [(e.type, e.resource_version, e.kind, e.name) for e in c.watch()]


def skip_pending(case: dict[str, Any]) -> None:
    if "pending" in case:
        pytest.skip(f"pending {case['pending']}")


def text_of(case: dict[str, Any]) -> str:
    return (CORPUS / "manifests" / case["file"]).read_bytes().decode("utf-8")


def check(error: kubesim.KubesimError, case: dict[str, Any]) -> None:
    assert type(error).__name__ == case["error"], f"{type(error).__name__}: {error}"
    assert case["message"] in str(error)
    if "field" in case:
        assert error.field == case["field"]
    for attr in ("document", "line"):
        if attr in case:
            assert getattr(error, attr) == case[attr], f"{attr} of {error}"


def test_the_corpus_is_large_and_every_file_is_in_the_table():
    files = {p.name for p in (CORPUS / "manifests").iterdir()}
    assert files == {case["file"] for case in MANIFESTS}
    assert len(MANIFESTS) + len(KUBECTL) >= 100
    assert {case["error"] for case in MANIFESTS} <= {
        "InvalidObjectError",
        "ManifestError",
        "NotFoundError",
    }


@pytest.mark.parametrize("case", MANIFESTS, ids=[c["file"] for c in MANIFESTS])
def test_a_bad_manifest_file_is_rejected_and_changes_nothing(case):
    skip_pending(case)
    c = cluster()
    before = state(c)
    with pytest.raises(kubesim.KubesimError) as e:
        c.apply(CORPUS / "manifests" / case["file"])
    check(e.value, case)
    if isinstance(e.value, kubesim.ManifestError) and "line" in case:
        assert e.value.source == str(CORPUS / "manifests" / case["file"])
    assert state(c) == before


@pytest.mark.parametrize("case", MANIFESTS, ids=[c["file"] for c in MANIFESTS])
def test_the_same_text_as_a_string_and_through_kubectl_stdin(case):
    skip_pending(case)
    c = cluster()
    before = state(c)
    text = text_of(case)
    with pytest.raises(kubesim.KubesimError) as e:
        c.apply(text)
    check(e.value, case)
    assert state(c) == before
    r = c.kubectl("apply -f -", input=text, check=False)
    assert (r.exit_code, r.stdout) == (1, "")
    assert case["message"] in r.stderr
    if "line" in case:
        assert f"line {case['line']}," in r.stderr
    assert state(c) == before


SINGLE_OBJECTS = [c for c in MANIFESTS if "no objects passed" not in c["message"] and "list-" not in c["file"]]


@pytest.mark.parametrize("case", SINGLE_OBJECTS, ids=[c["file"] for c in SINGLE_OBJECTS])
def test_create_of_the_same_text_gives_the_same_error(case):
    skip_pending(case)
    c = cluster()
    before = state(c)
    with pytest.raises(kubesim.KubesimError) as e:
        c.create(text_of(case))
    check(e.value, case)
    assert state(c) == before


@pytest.mark.parametrize("case", KUBECTL, ids=[c["line"][:60] + (" < stdin" if "stdin" in c else "") for c in KUBECTL])
def test_a_bad_kubectl_line_fails_like_kubectl_and_changes_nothing(case):
    skip_pending(case)
    c = cluster()
    before = state(c)
    stdin = case.get("stdin")
    if "stdin_file" in case:
        stdin = (CORPUS / "manifests" / case["stdin_file"]).read_text(encoding="utf-8")
    r = c.kubectl(case["line"], check=False, input=stdin)
    assert r.exit_code == 1, r.stdout
    if "stderr" in case:
        assert r.stderr == case["stderr"]
    else:
        assert case["stderr_contains"] in r.stderr
    assert state(c) == before
    with pytest.raises(kubesim.KubectlError, match="."):
        c.kubectl(case["line"], input=stdin)


@pytest.mark.parametrize("case", UNSCHEDULABLE, ids=[c["file"] for c in UNSCHEDULABLE])
def test_a_quantity_no_node_can_hold_leaves_the_pod_pending(case):
    skip_pending(case)
    c = kubesim.Cluster(nodes=1, seed=0)
    c.apply(CORPUS / "unschedulable" / case["file"])
    c.advance("1m")
    pod = c.pod("greedy")
    assert (pod.phase, pod.node) == ("Pending", None)
    assert any(e.reason == "FailedScheduling" and case["message"] in (e.message or "") for e in c.events(pod))


# ----- what "changes nothing" means when only some documents are bad -----

GOOD = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "shop"},
    "spec": {
        "replicas": 1,
        "selector": {"matchLabels": {"app": "shop"}},
        "template": {
            "metadata": {"labels": {"app": "shop"}},
            "spec": {"containers": [{"name": "c", "image": "nginx"}]},
        },
    },
}


def named(name: str, replicas: int = 1) -> dict[str, Any]:
    d = copy.deepcopy(GOOD)
    d["metadata"]["name"] = name
    d["spec"]["replicas"] = replicas
    return d


def test_create_and_replace_of_a_bad_dict_change_nothing():
    c = cluster()
    before = state(c)
    with pytest.raises(kubesim.InvalidObjectError) as e:
        c.create(named("shop", replicas=-1))
    assert e.value.field == "spec.replicas"
    assert e.value.causes == [("spec.replicas", "Invalid value: -1: must be greater than or equal to 0")]
    web = c.deployment("web").to_dict()
    web["spec"]["replicas"] = -1
    with pytest.raises(kubesim.InvalidObjectError, match="spec.replicas: Invalid value: -1"):
        c.replace(web)
    web["spec"]["selector"] = {"matchLabels": {"app": "other"}}
    web["spec"]["template"]["metadata"]["labels"] = {"app": "other"}
    web["spec"]["replicas"] = 2
    with pytest.raises(kubesim.InvalidObjectError, match="field is immutable") as e:
        c.replace(web)
    assert e.value.field == "spec.selector"
    assert state(c) == before
    assert c.deployment("web").replicas == 2 and c.deployment("web").generation == 1


def test_an_invalid_update_by_apply_keeps_the_stored_object():
    c = cluster()
    c.apply(named("shop", replicas=2))
    before, stored = state(c), c.deployment("shop").to_dict()
    with pytest.raises(kubesim.InvalidObjectError) as e:
        c.apply(named("shop", replicas=-1))
    assert (e.value.field, e.value.source, e.value.document) == ("spec.replicas", "<dict>", 1)
    assert state(c) == before
    assert c.deployment("shop").to_dict() == stored


def test_a_list_applies_its_good_items_and_reports_the_bad_ones():
    # Semantics: every item stands on its own; the first failure is raised after the others
    # were applied, carrying `applied` (their results) and `errors` (every failure).
    c = cluster()
    with pytest.raises(kubesim.InvalidObjectError) as e:
        c.apply([named("a"), named("b", replicas=-1), named("d"), {**named("e"), "kind": "Deploymnet"}])
    assert [str(r) for r in e.value.applied] == ["deployment.apps/a created", "deployment.apps/d created"]
    assert [(type(x).__name__, x.source, x.field) for x in e.value.errors] == [
        ("InvalidObjectError", "<list item 1>", "spec.replicas"),
        ("ManifestError", "<list item 3>", "kind"),
    ]
    assert "<list item 3>" in str(e.value), "the message lists every failure"
    assert sorted(d.name for d in c.deployments()) == ["a", "d", "web"]


MULTI = """apiVersion: apps/v1
kind: Deployment
metadata: {name: a}
spec:
  selector: {matchLabels: {app: a}}
  template:
    metadata: {labels: {app: a}}
    spec: {containers: [{name: c, image: nginx}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: b}
spec:
  replicas: -1
  selector: {matchLabels: {app: b}}
  template:
    metadata: {labels: {app: b}}
    spec: {containers: [{name: c, image: nginx}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: d}
spec:
  selector: {matchLabels: {app: d}}
  template:
    metadata: {labels: {app: d}}
    spec: {containers: [{name: c, image: nginx}]}
"""


def test_a_multi_document_file_applies_its_good_documents():
    c = cluster()
    with pytest.raises(kubesim.InvalidObjectError) as e:
        c.apply(MULTI)
    assert (e.value.document, e.value.field) == (2, "spec.replicas")
    assert [str(r) for r in e.value.applied] == ["deployment.apps/a created", "deployment.apps/d created"]
    assert not c._exists("deployment", "default", "b")
    # kubectl prints what it applied on stdout and the failure on stderr, and exits 1.
    c2 = cluster()
    r = c2.kubectl("apply -f -", input=MULTI, check=False)
    assert r.exit_code == 1
    assert r.stdout == "deployment.apps/a created\ndeployment.apps/d created\n"
    assert r.stderr.startswith('error when applying STDIN (document 2): The Deployment "b" is invalid: spec.replicas')
    assert state(c2)[:2] == state(c)[:2], "the Python API and kubectl leave the same cluster"


def test_a_syntax_error_anywhere_rejects_the_whole_file():
    c = cluster()
    before = state(c)
    broken = MULTI.replace("metadata: {name: d}", "metadata: {name: d")
    with pytest.raises(kubesim.ManifestError) as e:
        c.apply(broken)
    assert e.value.document == 3 and e.value.line is not None and e.value.line > 20
    assert state(c) == before
    r = c.kubectl("apply -f -", input=broken, check=False)
    assert (r.exit_code, r.stdout) == (1, "") and "(document 3, line " in r.stderr
    assert state(c) == before
