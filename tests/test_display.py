"""Notebook display (_repr_html_) and the %kubectl magic."""

from __future__ import annotations

import re

import pytest

import kubesim
from kubesim._display import kubectl_table_html
from kubesim._magic import kubectl_magic, load_ipython_extension


def cells(html: str) -> list[list[str]]:
    return [re.findall(r"<t[hd]>(.*?)</t[hd]>", row) for row in re.findall(r"<tr>(.*?)</tr>", html)]


@pytest.fixture
def seeded(cluster, examples) -> kubesim.Cluster:
    cluster.images.register("nginx:*")  # old pods stay Terminating for their 30 s grace period
    cluster.apply(examples / "nginx-deployment.yaml")
    d = cluster.deployment("nginx-deployment")
    d.rollout.status()
    d.set_image(nginx="nginx:1.9.1")
    d.rollout.status()
    return cluster


def test_kubectl_tables_become_html_cells():
    text = (
        "NAME    READY   STATUS             RESTARTS      AGE   NOMINATED NODE\n"
        "web-1   0/1     CrashLoopBackOff   3 (20s ago)   2m    <none>\n"
    )
    assert cells(kubectl_table_html(text)) == [
        ["NAME", "READY", "STATUS", "RESTARTS", "AGE", "NOMINATED NODE"],
        ["web-1", "0/1", "CrashLoopBackOff", "3 (20s ago)", "2m", "&lt;none&gt;"],
    ]


def test_object_lists_show_as_kubectl_tables(seeded):
    pods = seeded.pods()
    assert isinstance(pods, list) and isinstance(pods, kubesim.ObjectList)
    rows = cells(pods._repr_html_())
    assert rows[0] == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    assert [r[0] for r in rows[1:]] == [p.name for p in pods]
    assert len(rows) == 1 + 6
    assert cells(seeded.replicasets()._repr_html_())[0] == ["NAME", "DESIRED", "CURRENT", "READY", "AGE"]
    assert "No resources" in kubesim.ObjectList()._repr_html_()


def test_deployment_html_has_status_conditions_and_replicasets(seeded):
    d = seeded.deployment("nginx-deployment")
    html = d._repr_html_()
    assert "deployment.apps/nginx-deployment" in html and "revision 2" in html
    assert "3 desired | 3 updated | 3 total | 3 available | 0 unavailable" in html
    assert "maxSurge 25%, maxUnavailable 25%" in html and "nginx=nginx:1.9.1" in html
    tables = re.findall(r"<table.*?</table>", html)
    conditions, replicasets = cells(tables[0]), cells(tables[1])
    assert [r[:3] for r in conditions[1:]] == [
        ["Available", "True", "MinimumReplicasAvailable"],
        ["Progressing", "True", "NewReplicaSetAvailable"],
    ]
    assert [r[0] for r in replicasets[1:]] == [rs.name for rs in d.replicasets()]
    assert "IMAGES" in replicasets[0], "the wide table"
    assert repr(d) == "Deployment('nginx-deployment', namespace='default')", "plain repr stays short"


def test_cluster_html_lists_nodes_and_workloads(seeded):
    html = seeded._repr_html_()
    tables = [cells(t) for t in re.findall(r"<table.*?</table>", html)]
    nodes, deployments = tables[0], tables[1]
    assert [r[0] for r in nodes[1:]] == ["node-1", "node-2", "node-3"]
    assert deployments[1][:3] == ["default", "nginx-deployment", "3/3"]
    assert "6 pods (6 ready)" in html
    assert repr(seeded).startswith("Cluster(nodes=3, seed=0, now=2026-01-01T00:00:")


def test_a_pod_shows_its_row_even_once_deleted(seeded):
    pod = seeded.pods()[0]
    assert cells(pod._repr_html_())[1][0] == pod.name
    seeded.delete("pod", pod.name, grace_period=0)
    assert pod._repr_html_() == f"<pre>{pod!r}</pre>"


def test_kubectl_results_show_stdout_and_stderr(seeded):
    ok = seeded.kubectl("get deploy", check=False)
    assert ok._repr_html_().startswith("<pre>NAME ")
    bad = seeded.kubectl("get deploy nope", check=False)
    html = bad._repr_html_()
    assert 'color:#b00">Error from server (NotFound)' in html and "exit code 1" in html


class FakeShell:
    def __init__(self, **user_ns):
        self.user_ns = user_ns
        self.magics: dict[tuple[str, str], object] = {}

    def register_magic_function(self, func, magic_kind, magic_name):
        self.magics[(magic_kind, magic_name)] = func


def test_kubectl_magic_prints_like_a_terminal(examples, capsys):
    first = kubesim.Cluster(nodes=1, seed=0)
    c = kubesim.Cluster(nodes=2, seed=0)  # the last created
    shell = FakeShell(first=first)
    load_ipython_extension(shell)
    magic = shell.magics[("line_cell", "kubectl")]
    magic("get nodes")
    out = capsys.readouterr()
    assert out.out.splitlines()[1:] == [
        "node-1   Ready    <none>   0s    v1.33.0",
        "node-2   Ready    <none>   0s    v1.33.0",
    ]
    magic(f"apply -f {examples / 'nginx-deployment.yaml'}")
    assert capsys.readouterr().out == "deployment.apps/nginx-deployment created\n"
    assert c.deployment("nginx-deployment").replicas == 3
    magic("get deploy nope")
    out = capsys.readouterr()
    assert out.out == "" and out.err == 'Error from server (NotFound): deployments.apps "nope" not found\n'
    magic("--cluster=first", cell="# a comment\nget nodes\n\nkubectl get pods\n")
    out = capsys.readouterr()
    assert "node-1" in out.out and "node-2" not in out.out
    assert out.err == "No resources found in default namespace.\n"
    with pytest.raises(NameError, match="no kubesim.Cluster named 'nope'"):
        kubectl_magic("--cluster nope get pods", shell=shell)
    del first


def test_cell_magic_with_arguments_reads_the_cell_as_stdin(capsys):
    c = kubesim.Cluster(nodes=1, seed=0)
    shell = FakeShell(c=c)
    load_ipython_extension(shell)
    magic = shell.magics[("line_cell", "kubectl")]
    body = (
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n---\n"
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  namespace: shop\n"
        "spec:\n  containers:\n  - name: web\n    image: nginx\n"
    )
    # The magic line's arguments are kept; the body is standard input, not commands.
    magic("--cluster=c apply -f -", cell=body)
    out = capsys.readouterr()
    assert (out.out, out.err) == ("namespace/shop created\npod/web created\n", "")
    assert c.pod("web", "shop").namespace == "shop"
    magic("-n shop get pods -o name", cell="")
    assert capsys.readouterr().out == "pod/web\n"


def test_an_empty_get_shows_no_resources_found_where_people_look():
    c = kubesim.Cluster(nodes=1, seed=0)
    # kubectl writes it to stderr with exit code 0; a terminal shows it, so c.kubectl() returns it
    # and the result's display holds it, while the result keeps the streams apart.
    assert c.kubectl("get pods") == "No resources found in default namespace.\n"
    r = c.kubectl("get pods", check=False)
    assert (r.stdout, r.stderr, r.exit_code) == ("", "No resources found in default namespace.\n", 0)
    assert str(r) == r.output == "No resources found in default namespace.\n"
    assert "No resources found in default namespace." in r._repr_html_()
