"""kubectl apply semantics: created / configured / unchanged, last-applied, multi-document."""

from __future__ import annotations

import json

import pytest

import kubesim

POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: web
  labels: {app: web}
spec:
  containers:
  - name: c
    image: nginx:1.25
"""


def test_apply_creates_then_reports_unchanged_then_configured(cluster, examples):
    path = examples / "nginx-deployment.yaml"
    [first] = cluster.apply(path)
    assert str(first) == "deployment.apps/nginx-deployment created"
    assert first.action == "created"
    [again] = cluster.apply(path)
    assert str(again) == "deployment.apps/nginx-deployment unchanged"
    rv = cluster.deployment("nginx-deployment").resource_version
    changed = path.read_text().replace("replicas: 3", "replicas: 5")
    [third] = cluster.apply(changed)
    assert str(third) == "deployment.apps/nginx-deployment configured"
    d = cluster.deployment("nginx-deployment")
    assert d.replicas == 5
    assert d.generation == 2
    assert int(d.resource_version) > int(rv)


def test_apply_stores_last_applied_configuration_like_kubectl(cluster, examples):
    cluster.apply(examples / "nginx-deployment.yaml")
    annotation = cluster.deployment("nginx-deployment").annotations["kubectl.kubernetes.io/last-applied-configuration"]
    assert annotation.endswith("}\n")
    assert "\n" not in annotation[:-1]
    applied = json.loads(annotation)
    assert applied["metadata"] == {
        "annotations": {},
        "labels": {"app": "nginx"},
        "name": "nginx-deployment",
        "namespace": "default",
    }
    # Keys are sorted at every level, as Go's JSON encoding of a map sorts them.
    assert annotation.index('"apiVersion"') < annotation.index('"kind"') < annotation.index('"metadata"')


def test_fields_dropped_from_the_manifest_are_removed(cluster):
    with_label = POD.replace("labels: {app: web}", "labels: {app: web, tier: fe}")
    cluster.apply(with_label)
    assert cluster.pod("web").labels == {"app": "web", "tier": "fe"}
    [r] = cluster.apply(POD)
    assert r.action == "configured"
    assert cluster.pod("web").labels == {"app": "web"}


def test_labels_added_by_others_survive_apply(cluster):
    cluster.apply(POD)
    cluster.patch("pod", "web", {"metadata": {"labels": {"owner": "ops"}}})
    [r] = cluster.apply(POD)
    assert r.action == "unchanged"
    assert cluster.pod("web").labels == {"app": "web", "owner": "ops"}


def test_apply_over_a_created_object_warns_and_configures(cluster):
    cluster.create(POD)
    [r] = cluster.apply(POD)
    assert r.action == "configured"
    assert r.warning is not None
    assert "is missing the kubectl.kubernetes.io/last-applied-configuration annotation" in r.warning


def test_multi_document_apply_lands_good_documents_and_reports_the_bad(cluster):
    text = POD + "---\n" + POD.replace("name: web", "name: Bad_Name") + "---\n" + POD.replace("name: web", "name: two")
    with pytest.raises(kubesim.InvalidObjectError) as info:
        cluster.apply(text)
    err = info.value
    assert err.document == 2
    assert err.field == "metadata.name"
    assert [str(r) for r in err.applied] == ["pod/web created", "pod/two created"]
    assert {p.name for p in cluster.pods()} == {"web", "two"}


@pytest.mark.parametrize("threads", [1, 2])
def test_many_documents_decoded_together_report_each_bad_one_in_order(threads):
    # Enough documents to be decoded on the pool, in more than one chunk: results and errors
    # keep document order.
    docs = [f"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team-{i}\n" for i in range(1100)]
    bad = {70: "Bad_Name", 530: "also_bad", 1030: "-nope"}
    for i, name in bad.items():
        docs[i] = docs[i].replace(f"team-{i}", name)
    cluster = kubesim.Cluster(threads=threads)
    with pytest.raises(kubesim.InvalidObjectError) as info:
        cluster.apply("---\n".join(docs))
    err = info.value
    assert (err.document, err.field) == (71, "metadata.name")
    assert [e.document for e in err.errors] == [i + 1 for i in bad]
    assert [str(r) for r in err.applied] == [f"namespace/team-{i} created" for i in range(1100) if i not in bad]


@pytest.mark.parametrize("threads", [1, 2])
def test_a_long_manifest_parsed_in_pieces_numbers_documents_and_errors_as_one_stream(threads):
    # Over a megabyte: parsed a piece at a time on the pool (with 2 threads). Empty documents
    # and comments between markers still count as the whole text counts them.
    doc = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team-{i}\n  annotations:\n    pad: '{pad}'\n"
    docs = [doc.format(i=i, pad="x" * 300) for i in range(4000)]
    docs[1000] = "# nothing here\n"
    docs[3990] = docs[3990].replace("team-3990", "Bad_Name")
    text = "# a long manifest\n---\n" + "---\n".join(docs)
    with pytest.raises(kubesim.InvalidObjectError) as info:
        kubesim.Cluster(threads=threads).apply(text)
    assert (info.value.document, info.value.field) == (3991, "metadata.name")
    assert len(info.value.applied) == 3998
    broken = text.replace("name: team-3500\n", "name: [team-3500\n")
    with pytest.raises(kubesim.ManifestError) as info:
        kubesim.Cluster(threads=threads).apply(broken)
    assert info.value.document == 3501
    # The open list runs on into the next line; its colon is where the parser gives up.
    name_line = text.count("\n", 0, text.index("name: team-3500\n")) + 1
    assert (info.value.line, info.value.column) == (name_line + 1, len("  annotations:"))


def test_yaml_syntax_error_names_source_document_and_position(cluster, tmp_path):
    f = tmp_path / "broken.yaml"
    f.write_text(POD + "---\napiVersion: v1\nkind: [Pod\n")
    with pytest.raises(kubesim.ManifestError) as info:
        cluster.apply(f)
    err = info.value
    assert err.source == str(f)
    assert err.document == 2
    assert err.line >= 12
    assert err.column >= 1
    assert f"error parsing {f} (document 2, line {err.line}, column {err.column})" in str(err)
    assert cluster.pods() == [], "a syntax error applies nothing"


def test_missing_path_is_reported_like_kubectl(cluster):
    with pytest.raises(kubesim.ManifestError, match='the path "nope.yaml" does not exist'):
        cluster.apply("nope.yaml")


def test_apply_accepts_dicts_lists_json_and_directories(cluster, examples, tmp_path):
    obj = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "from-dict"},
        "spec": {"containers": [{"name": "c", "image": "busybox"}]},
    }
    assert [r.action for r in cluster.apply(obj)] == ["created"]
    obj2 = json.loads(json.dumps(obj))
    obj2["metadata"]["name"] = "from-list"
    assert [r.name for r in cluster.apply([obj2])] == ["from-list"]
    obj3 = json.loads(json.dumps(obj))
    obj3["metadata"]["name"] = "from-json"
    assert [r.name for r in cluster.apply(json.dumps(obj3))] == ["from-json"]
    results = cluster.apply(examples)
    assert sorted(str(r) for r in results) == ["deployment.apps/nginx-deployment created", "pod/redis-master created"]


def test_unknown_kind_and_version_are_manifest_errors(cluster):
    with pytest.raises(kubesim.ManifestError, match='no matches for kind "Deploymnt" in version "apps/v1"'):
        cluster.apply({"apiVersion": "apps/v1", "kind": "Deploymnt", "metadata": {"name": "x"}})
    with pytest.raises(kubesim.ManifestError, match='no matches for kind "Deployment" in version "extensions/v1beta1"'):
        cluster.apply({"apiVersion": "extensions/v1beta1", "kind": "Deployment", "metadata": {"name": "x"}})
    with pytest.raises(kubesim.ManifestError, match=r"apiVersion not set, kind not set"):
        cluster.apply({"metadata": {"name": "x"}})


def test_unknown_fields_and_wrong_types_name_the_field(cluster):
    bad = POD.replace("image: nginx:1.25", "image: nginx:1.25\n    imagePullPolicyy: Always")
    with pytest.raises(kubesim.InvalidObjectError) as info:
        cluster.apply(bad)
    assert info.value.field == "spec.containers[0].imagePullPolicyy"
    assert 'strict decoding error: unknown field "spec.containers[0].imagePullPolicyy"' in str(info.value)
    with pytest.raises(kubesim.InvalidObjectError) as info:
        cluster.apply(POD.replace("labels: {app: web}", "labels: {app: true}"))
    assert info.value.field == "metadata.labels.app"
    assert cluster.pods() == []


def test_namespaces_get_the_metadata_name_label():
    # upstream: SetDefaults_Namespace adds the immutable kubernetes.io/metadata.name label.
    c = kubesim.Cluster()
    c.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "dev", "labels": {"team": "a"}}})
    assert c.get("namespace", "dev", "").labels == {"kubernetes.io/metadata.name": "dev", "team": "a"}
    assert c.get("namespace", "default", "").labels == {"kubernetes.io/metadata.name": "default"}


def test_an_apply_that_takes_the_last_finalizer_off_a_deleted_object_configures_it_away(cluster, examples):
    manifest = (examples / "nginx-deployment.yaml").read_text()
    name = "  name: nginx-deployment\n"
    held = manifest.replace(name, name + "  finalizers: [example.com/keep]\n", 1)
    assert held != manifest
    cluster.apply(held)
    cluster.delete("deployment", "nginx-deployment")
    cluster.advance("1m")
    assert cluster.deployment("nginx-deployment").deletion_timestamp is not None
    [result] = cluster.apply(manifest)
    assert result.action == "configured"
    assert cluster.deployments() == []
