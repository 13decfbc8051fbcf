"""`kubectl edit` (kubectl-everyday.md §5.2): an editor function or text from Python, `$KUBE_EDITOR`
on the command line; kubectl's messages for no change, success, invalid results (reopened with
the errors on top), a changed name, and a conflict."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

import kubesim
from kubesim import cli
from kubesim._kubectl.edit import HEADER


@pytest.fixture
def c(tmp_path, monkeypatch) -> kubesim.Cluster:
    # A failed edit keeps a copy in the temp directory, as kubectl does: keep it in tmp_path.
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    c = kubesim.Cluster(nodes=1, seed=0)
    c.kubectl("create deployment web --image=nginx")
    return c


def run(c: kubesim.Cluster, command: str, editor) -> tuple[str, str, int]:
    r = c.kubectl(command, editor=editor, check=False)
    return r.stdout, r.stderr, r.exit_code


def test_the_editor_gets_the_object_under_kubectls_header(c):
    seen: list[str] = []
    assert run(c, "edit deploy/web", lambda t: seen.append(t) or t) == ("", "Edit cancelled, no changes made.\n", 0)
    assert seen == [HEADER + c.kubectl("get deploy web -o yaml")]
    assert seen[0].startswith("# Please edit the object below. Lines beginning with a '#' will be ignored,\n")
    # -o json hands over JSON, under the same header.
    seen.clear()
    run(c, "edit deployment web -o json", lambda t: seen.append(t) or t)
    assert seen == [HEADER + c.kubectl("get deploy web -o json")]


def test_an_edit_is_written_and_only_comment_changes_are_no_change(c):
    rv = c.get("deployment", "web").to_dict()["metadata"]["resourceVersion"]
    assert run(c, "edit deploy/web", lambda t: "# mine\n" + t) == ("", "Edit cancelled, no changes made.\n", 0)
    assert c.get("deployment", "web").to_dict()["metadata"]["resourceVersion"] == rv
    assert run(c, "edit deploy/web", lambda t: t.replace("replicas: 1\n", "replicas: 3\n", 1)) == (
        "deployment.apps/web edited\n",
        "",
        0,
    )
    assert c.deployment("web").replicas == 3
    assert len(c.pods(selector="app=web")) == 3
    # The edited text itself works too.
    text = HEADER + c.kubectl("get deploy web -o yaml").replace(
        "app: web\n  name: web", "app: web\n    tier: a\n  name: web"
    )
    assert run(c, "edit deploy web", text) == ("deployment.apps/web edited\n", "", 0)
    assert c.deployment("web").labels == {"app": "web", "tier": "a"}
    assert run(c, "edit deploy/web", "") == ("", "Edit cancelled, saved file was empty.\n", 0)


def test_an_invalid_edit_is_reopened_with_the_errors_on_top(c):
    rounds: list[str] = []

    def editor(text: str) -> str:
        rounds.append(text)
        if len(rounds) == 1:
            return text.replace("replicas: 1\n", "replicas: -1\n", 1)
        return text.replace("replicas: -1\n", "replicas: 2\n", 1)

    assert run(c, "edit deploy/web", editor) == (
        "deployment.apps/web edited\n",
        'error: deployments.apps "web" is invalid\n',
        0,
    )
    assert rounds[1].startswith(
        HEADER + '# deployments.apps "web" was not valid:\n'
        "# * spec.replicas: Invalid value: -1: must be greater than or equal to 0\n#\napiVersion: apps/v1\n"
    )
    assert "replicas: -1\n" in rounds[1]
    assert c.deployment("web").replicas == 2


def test_a_reopened_file_saved_unchanged_cancels_the_edit(c, tmp_path):
    out, err, code = run(
        c, "edit deploy/web", lambda t: t if "was not valid" in t else t.replace("replicas: 1\n", "replicas: -1\n", 1)
    )
    assert (out, code) == ("", 1)
    m = re.fullmatch(
        r'error: deployments\.apps "web" is invalid\n'
        r'A copy of your changes has been stored to "(.+/kubectl-edit-\w+\.yaml)"\n'
        r"error: Edit cancelled, no valid changes were saved\.\n",
        err,
    )
    assert m, err
    assert os.path.dirname(m.group(1)) == str(tmp_path)
    assert "replicas: -1\n" in Path(m.group(1)).read_text(encoding="utf-8")
    assert c.deployment("web").replicas == 1


def test_yaml_that_does_not_parse_is_reported_in_the_reopened_file(c):
    rounds: list[str] = []

    def editor(text: str) -> str:
        rounds.append(text)
        return text.replace("spec:\n", "spec: {\n", 1) if len(rounds) == 1 else text

    assert run(c, "edit deploy/web", editor)[2] == 1
    assert '# * <nil>: Invalid value: "The edited file failed validation": yaml: ' in rounds[1]


def test_changing_the_name_and_a_stale_resource_version_fail_as_kubectl_does(c):
    assert run(c, "edit deploy/web", lambda t: t.replace("name: web\n", "name: other\n", 1)) == (
        "",
        "error: At least one of apiVersion, kind and name was changed\n",
        1,
    )

    def meanwhile(text: str) -> str:
        c.kubectl("scale deploy/web --replicas=5")  # the object changes while the editor is open
        return text.replace("replicas: 1\n", "replicas: 3\n", 1)

    out, err, code = run(c, "edit deploy/web", meanwhile)
    assert (out, code) == ("", 1)
    assert re.fullmatch(
        r'error: deployments\.apps "web" could not be patched: Operation cannot be fulfilled on deployments\.apps '
        r'"web": the object has been modified; please apply your changes to the latest version and try again\n'
        r"You can run `kubectl replace -f .+/kubectl-edit-\w+\.yaml` to try this update again\.\n",
        err,
    ), err
    assert c.deployment("web").replicas == 5


def test_argument_errors(c):
    assert run(c, "edit", "x")[1].startswith("error: You must provide one or more resources by argument or filename.")
    assert run(c, "edit deploy/web -o name", "x") == (
        "",
        'error: unable to match a printer suitable for the output format "name", allowed formats are: json,yaml\n',
        1,
    )
    assert run(c, "edit deploy/nope", "x") == (
        "",
        'Error from server (NotFound): deployments.apps "nope" not found\n',
        1,
    )
    _, err, code = run(c, "edit deploy/web", None)
    assert code == 1 and "editor=" in err


def test_the_command_line_opens_kube_editor(c, tmp_path, monkeypatch, capsys):
    state = tmp_path / "state"
    cli.main(["kubectl", "--state", str(state), "create", "deployment", "web", "--image=nginx"])
    capsys.readouterr()
    script = tmp_path / "ed.sh"
    script.write_text("#!/bin/sh\nsed -i 's/replicas: 1$/replicas: 4/' \"$1\"\n")
    script.chmod(0o755)
    monkeypatch.setenv("KUBE_EDITOR", str(script))
    assert cli.main(["kubectl", "--state", str(state), "edit", "deploy/web"]) == 0
    assert capsys.readouterr().out == "deployment.apps/web edited\n"
    cli.main(["kubectl", "--state", str(state), "get", "deploy", "web", "-o", "jsonpath={.spec.replicas}"])
    assert capsys.readouterr().out == "4"
    monkeypatch.setenv("KUBE_EDITOR", "false")
    assert cli.main(["kubectl", "--state", str(state), "edit", "deploy/web"]) == 1
    assert capsys.readouterr().err == 'error: there was a problem with the editor "false"\n'


KUBECTL = shutil.which("kubectl")


@pytest.mark.skipif(KUBECTL is None, reason="the real kubectl binary is not on PATH")
def test_the_real_kubectl_prints_the_same_through_the_api_server(c, tmp_path):
    script = tmp_path / "ed.sh"
    script.write_text("#!/bin/sh\nsed -i 's/replicas: 3$/replicas: 2/' \"$1\"\n")
    script.chmod(0o755)
    twin = kubesim.Cluster(nodes=1, seed=0)
    twin.kubectl("create deployment web --image=nginx --replicas=3")
    c.kubectl("scale deploy/web --replicas=3")
    invalid = tmp_path / "invalid.sh"
    invalid.write_text("#!/bin/sh\nsed -i 's/replicas: 3$/replicas: -1/' \"$1\"\n")
    invalid.chmod(0o755)
    with twin.serve() as srv:
        # Round two of the invalid edit finds nothing left to change: saved unchanged, cancelled.
        real = subprocess.run(
            [KUBECTL or "kubectl", "edit", "deploy/web"],
            env={**srv.env(), "KUBE_EDITOR": str(invalid), "TMPDIR": str(tmp_path)},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert real.returncode == 1
        ours = run(c, "edit deploy/web", lambda t: re.sub(r"(?m)replicas: 3$", "replicas: -1", t))
        path = re.compile(r"/\S+/kubectl-edit-\w+\.yaml")
        assert ours[2] == 1
        assert path.sub("PATH", ours[1]) == path.sub("PATH", real.stderr), real.stderr
        for editor in ("true", str(script)):
            real = subprocess.run(
                [KUBECTL or "kubectl", "edit", "deploy/web"],
                env={**srv.env(), "KUBE_EDITOR": editor},
                capture_output=True,
                text=True,
                timeout=60,
            )

            def sed(text: str, editor: str = editor) -> str:
                return re.sub(r"(?m)replicas: 3$", "replicas: 2", text) if editor != "true" else text

            assert run(c, "edit deploy/web", sed) == (real.stdout, real.stderr, real.returncode)
    assert twin.deployment("web").replicas == c.deployment("web").replicas == 2
