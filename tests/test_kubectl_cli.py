"""kubectl commands beyond get/rollout, side-by-side checks with the real kubectl, the `kubesim`
command (demo golden output, the shell tutorial on a saved cluster) and saved clusters."""

from __future__ import annotations

import copy
import json
import os
import pickle
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kubesim
from kubesim import cli
from kubesim._kubectl import CLIENT_VERSION

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden"
RECORDED = json.loads((GOLDEN / "kubectl_offline.json").read_text(encoding="utf-8"))


@pytest.fixture
def c() -> kubesim.Cluster:
    return kubesim.Cluster(nodes=3, seed=0)


def run(c: kubesim.Cluster, command: str, stdin: str | None = None) -> tuple[str, str, int]:
    r = c.kubectl(command, check=False, input=stdin)
    return r.stdout, r.stderr, r.exit_code


# ----- the real kubectl, side by side -----


@pytest.mark.parametrize("command", sorted(RECORDED))
def test_output_is_identical_to_the_real_kubectl(command, monkeypatch):
    monkeypatch.chdir(ROOT)
    want = RECORDED[command]
    assert run(kubesim.Cluster(), command) == (want["stdout"], want["stderr"], want["exit_code"])


@pytest.mark.parametrize("command", sorted(RECORDED))
def test_recorded_outputs_are_what_the_installed_kubectl_prints(command, real_kubectl):
    want = RECORDED[command]
    assert real_kubectl(command) == (want["stdout"], want["stderr"], want["exit_code"])


# ----- `kubesim demo` -----


def test_demo_output_is_the_reviewed_golden_transcript():
    # Reviewed line by line against kubectl.md: headers and spacing, AGE from the virtual clock,
    # rollout messages, the history table (`deployment.apps/NAME ` with its trailing space,
    # `<none>`, the closing blank line), describe pod sections and the Events table.
    # Regenerate after an intended change with: kubesim demo > tests/golden/demo.txt
    assert cli.demo() == (GOLDEN / "demo.txt").read_text(encoding="utf-8")


def test_python_m_kubesim_demo_prints_the_same_transcript(tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "kubesim", "demo"], cwd=tmp_path, capture_output=True, text=True, check=True
    ).stdout
    assert out == (GOLDEN / "demo.txt").read_text(encoding="utf-8")


# ----- the shell tutorial: one saved cluster, one command per process -----


def _shell(tmp_path: Path, capsys, *argv: str) -> tuple[str, str, int]:
    code = cli.main([*argv[:1], "--state", str(tmp_path / "state"), "--clock=manual", *argv[1:]])
    out = capsys.readouterr()
    return out.out, out.err, code


def test_the_seed_commands_in_a_shell_print_what_the_demo_prints(tmp_path, capsys, monkeypatch):
    # Every command loads the saved cluster, runs, and saves it again; `kubesim advance` stands
    # for the user's think time. The transcript must equal the single-process demo's.
    monkeypatch.chdir(cli.EXAMPLES.parent)
    transcript = []
    for command in cli.SEED:
        out, err, code = _shell(tmp_path, capsys, "kubectl", *command.split()[1:])
        assert code == 0, err
        transcript.append(f"$ {command}\n{err}{out}\n")
        out, _, code = _shell(tmp_path, capsys, "advance", cli.THINK_TIME)
        assert code == 0 and out.startswith("virtual time: ")
    assert "".join(transcript) == cli.demo().rsplit("# ", 1)[0]


def test_shell_errors_exit_like_kubectl(tmp_path, capsys):
    out, err, code = _shell(tmp_path, capsys, "kubectl", "get", "deploy", "nope")
    assert (out, err, code) == ("", 'Error from server (NotFound): deployments.apps "nope" not found\n', 1)
    _, err, code = _shell(tmp_path, capsys, "advance", "soon")
    assert code == 2 and "soon" in err


def test_wall_clock_mode_advances_by_the_time_between_commands(tmp_path, capsys):
    state = tmp_path / "state"
    cli.main(["kubectl", "--state", str(state), "create", "deployment", "web", "--image=nginx"])
    capsys.readouterr()
    saved = pickle.loads(state.read_bytes())
    saved["wall"] -= 90  # as if the user came back 90 s later
    state.write_bytes(pickle.dumps(saved))
    cli.main(["kubectl", "--state", str(state), "get", "deploy", "web"])
    row = capsys.readouterr().out.splitlines()[1].split()
    assert row[:4] == ["web", "1/1", "1", "1"]
    assert row[4] in ("90s", "91s")  # the wall time between the two commands, floored


def test_console_script_runs_against_a_state_file(tmp_path):
    exe = Path(sys.executable).with_name("kubesim")
    state = tmp_path / "s"
    r = subprocess.run(
        [str(exe), "kubectl", "create", "deployment", "web", "--image=nginx", "--state", str(state)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (r.stdout, r.returncode) == ("deployment.apps/web created\n", 0)
    saved = pickle.loads(state.read_bytes())["cluster"]
    assert saved.deployment("web").replicas == 1, "the state file holds the cluster the command changed"


def test_state_file_that_is_not_a_cluster_is_refused(tmp_path, capsys):
    (tmp_path / "state").write_text("hello")
    with pytest.raises(SystemExit, match="not a kubesim state file"):
        _shell(tmp_path, capsys, "kubectl", "get", "pods")


# ----- saved clusters -----


def _in_flight() -> kubesim.Cluster:
    c = kubesim.Cluster(nodes=3, seed=7)
    c.apply(ROOT / "examples" / "nginx-deployment.yaml")
    c.deployment("nginx-deployment").rollout.status()
    c.images.register("nginx:1.9.1", pull="5s")
    c.kubectl("set image deployment/nginx-deployment nginx=nginx:1.9.1")
    c.advance("4s")  # the rollout is half way
    return c


def _continue(c: kubesim.Cluster) -> tuple[list[tuple[str, int, str]], str]:
    c.deployment("nginx-deployment").rollout.status()
    c.kubectl("scale deployment nginx-deployment --replicas=5")
    c.advance("2m")
    watch = [(e.type, e.resource_version, json.dumps(e.object, sort_keys=True)) for e in c.watch(since=0)]
    return watch, c.kubectl("get pods -o wide")


def test_save_load_continue_gives_the_history_of_never_saving(tmp_path):
    original = _in_flight()
    assert original.deployment("nginx-deployment").updated_replicas < 3, "the rollout must be in flight"
    original.save(tmp_path / "c.kubesim")
    loaded = kubesim.Cluster.load(tmp_path / "c.kubesim")
    assert loaded.now == original.now and loaded.resource_version == original.resource_version
    expected = _continue(original)
    assert _continue(loaded) == expected
    assert _continue(_in_flight()) == expected, "and both equal a run that never saved"


def test_pickle_and_deepcopy_continue_identically():
    original = _in_flight()
    clones = [pickle.loads(pickle.dumps(original)), copy.deepcopy(original)]
    expected = _continue(original)
    for clone in clones:
        assert _continue(clone) == expected


def test_a_loaded_cluster_keeps_image_profiles_and_the_thread_count_does_not_matter(tmp_path):
    c = kubesim.Cluster(seed=1, threads=2)
    c.images.register("app:*", crash_after="5s")
    c.save(tmp_path / "c")
    loaded = kubesim.Cluster.load(tmp_path / "c", threads=1)
    loaded.kubectl("create deployment app --image=app:1")
    c.kubectl("create deployment app --image=app:1")
    for x in (c, loaded):
        x.advance("1m")
    assert loaded.kubectl("get pods") == c.kubectl("get pods")
    assert "CrashLoopBackOff" in c.kubectl("get pods") or "Error" in c.kubectl("get pods")


def test_loading_garbage_or_a_missing_file_is_a_clear_error(tmp_path):
    (tmp_path / "bad").write_bytes(b"not a pickle")
    with pytest.raises(kubesim.InvalidArgumentError, match="is not a saved kubesim cluster"):
        kubesim.Cluster.load(tmp_path / "bad")
    (tmp_path / "pickle").write_bytes(pickle.dumps({"a": 1}))
    with pytest.raises(kubesim.InvalidArgumentError, match="pickle is not a saved kubesim cluster"):
        kubesim.Cluster.load(tmp_path / "pickle")
    (tmp_path / "other").write_bytes(kubesim._native.frame_snapshot(pickle.dumps({"a": 1})))
    with pytest.raises(kubesim.InvalidArgumentError, match="it holds a dict"):
        kubesim.Cluster.load(tmp_path / "other")
    with pytest.raises(kubesim.InvalidArgumentError, match="cannot load a cluster from"):
        kubesim.Cluster.load(tmp_path / "missing")


def _other_version(data: bytes) -> bytes:
    """``data`` with every snapshot header naming another kubesim version (of the same length)."""
    version = kubesim.__version__.encode()
    magic = b"\x93KUBESIM"
    # The snapshot format (u16, little-endian) follows the magic; any format will do here.
    fmt = data[data.index(magic) + len(magic) :][:2]
    header = magic + fmt + bytes([len(version)]) + version
    assert header in data
    return data.replace(header, header[: -len(version)] + b"9" * len(version))


def test_a_cluster_saved_by_another_version_is_refused(tmp_path):
    c = kubesim.Cluster()
    c.save(tmp_path / "c")
    (tmp_path / "c").write_bytes(_other_version((tmp_path / "c").read_bytes()))
    other = "9" * len(kubesim.__version__)
    with pytest.raises(kubesim.InvalidArgumentError, match=f"c was saved by kubesim {other} .*cannot continue it"):
        kubesim.Cluster.load(tmp_path / "c")
    with pytest.raises(kubesim.InvalidArgumentError, match=f"saved by kubesim {other}"):
        pickle.loads(_other_version(pickle.dumps(c)))


def test_a_truncated_or_damaged_file_is_refused_with_its_name(tmp_path):
    c = kubesim.Cluster(seed=3)
    c.kubectl("create deployment web --image=nginx --replicas=20")
    c.advance("1m")
    c.save(tmp_path / "c")
    data = (tmp_path / "c").read_bytes()
    for name, damaged, problem in [
        ("head", data[:10], "is truncated"),
        ("half", data[: len(data) // 2], "is truncated"),
        ("tail", data[:-3], "is truncated"),
        ("empty", b"", "is not a saved kubesim cluster"),
    ]:
        (tmp_path / name).write_bytes(damaged)
        with pytest.raises(kubesim.InvalidArgumentError, match=f"{name} ({problem})"):
            kubesim.Cluster.load(tmp_path / name)
    # A damaged byte inside the compressed state fails its checksum.
    flipped = bytearray(data)
    flipped[len(data) // 2] ^= 0xFF
    (tmp_path / "flipped").write_bytes(bytes(flipped))
    with pytest.raises(kubesim.InvalidArgumentError, match="flipped is corrupt"):
        kubesim.Cluster.load(tmp_path / "flipped")
    blob, _ = c._native.snapshot()
    flipped = bytearray(blob)
    flipped[len(blob) // 2] ^= 0xFF
    with pytest.raises(kubesim.InvalidArgumentError, match="is corrupt|is truncated"):
        kubesim._native.Cluster.restore(bytes(flipped), "blob", [], 1)
    assert kubesim.Cluster.load(tmp_path / "c").kubectl("get pods") == c.kubectl("get pods")


# ----- commands -----


def test_apply_from_the_tutorial_url_uses_the_bundled_copy(c):
    out, _, code = run(c, "apply -f https://k8s.io/examples/controllers/nginx-deployment.yaml")
    assert (out, code) == ("deployment.apps/nginx-deployment created\n", 0)
    assert c.deployment("nginx-deployment").spec["template"]["spec"]["containers"][0]["image"] == "nginx:1.7.9"


def test_apply_reads_stdin_directories_and_recurses_with_r(c, tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "a.yaml").write_text("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n")
    (tmp_path / "sub" / "b.yaml").write_text("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: b\n")
    (tmp_path / "notes.txt").write_text("not a manifest")
    assert run(c, f"apply -f {tmp_path}")[0] == "namespace/a created\n"
    assert run(c, f"apply -R -f {tmp_path}")[0] == "namespace/a unchanged\nnamespace/b created\n"
    doc = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: c\n"
    assert run(c, "apply -f -", stdin=doc) == ("namespace/c created\n", "", 0)
    assert run(c, "apply -f nowhere.yaml") == ("", 'error: the path "nowhere.yaml" does not exist\n', 1)


def test_create_from_file_refuses_existing_objects_like_the_api_server(c):
    path = ROOT / "examples" / "redis-pod.yaml"
    assert run(c, f"create -f {path}") == ("pod/redis-master created\n", "", 0)
    assert run(c, f"create -f {path}") == (
        "",
        f'Error from server (AlreadyExists): error when creating "{path}": pods "redis-master" already exists\n',
        1,
    )


def test_create_deployment_stores_what_the_dry_run_prints_plus_server_defaults(c):
    assert run(c, "create deployment web --image=nginx:1.25 --replicas=2 --port=8080") == (
        "deployment.apps/web created\n",
        "",
        0,
    )
    d = c.deployment("web")
    assert d.replicas == 2 and d.labels == {"app": "web"} and d.strategy["type"] == "RollingUpdate"
    [container] = d.spec["template"]["spec"]["containers"]
    assert container["ports"] == [{"containerPort": 8080, "protocol": "TCP"}]
    assert container["name"] == "nginx" and container["imagePullPolicy"] == "IfNotPresent"
    assert run(c, "create deployment web --image=nginx") == (
        "",
        'error: failed to create deployment: deployments.apps "web" already exists\n',
        1,
    )


def test_label_and_annotate_follow_kubectl_rules(c):
    c.kubectl("create deployment web --image=nginx")
    assert run(c, "label deploy web tier=fe") == ("deployment.apps/web labeled\n", "", 0)
    assert run(c, "label deploy web tier=be") == (
        "",
        "error: 'tier' already has a value (fe), and --overwrite is false\n",
        1,
    )
    assert c.deployment("web").labels["tier"] == "fe", "a refused label changes nothing"
    assert run(c, "label deploy web tier=be --overwrite")[0] == "deployment.apps/web labeled\n"
    assert run(c, "label deploy web tier=be")[0] == "deployment.apps/web not labeled\n"
    assert run(c, "label deploy/web tier-")[0] == "deployment.apps/web unlabeled\n"
    assert "tier" not in c.deployment("web").labels
    assert run(c, "annotate deployment web note=hi")[0] == "deployment.apps/web annotated\n"
    assert c.deployment("web").annotations["note"] == "hi"
    out, err, code = run(c, "label deploy web Bad_Key!=x")
    assert code == 1 and "Invalid value" in err and "Bad_Key!" in err


def test_label_with_a_selector_labels_every_match(c):
    c.kubectl("create deployment web --image=nginx --replicas=3")
    out, _, code = run(c, "label pods -l app=web team=core")
    assert code == 0 and out.count("labeled\n") == 3
    assert len(c.pods(selector="team=core")) == 3


def test_delete_forms_messages_and_waiting(c):
    c.kubectl("create deployment web --image=app:1 --replicas=2")
    c.advance("10s")
    pods = c.pods()
    out, err, code = run(c, f"delete pod {pods[0].name}")
    assert (out, err, code) == (f'pod "{pods[0].name}" deleted\n', "", 0)
    assert c.elapsed == 40, "delete waits for the 30 s grace period, in virtual time"
    out, err, code = run(c, f"delete pod {pods[1].name} --grace-period=0 --force")
    assert out == f'pod "{pods[1].name}" force deleted\n' and err.startswith("Warning: Immediate deletion")
    assert c.elapsed == 40 and not pods[1].exists
    out, _, _ = run(c, "delete pods -l app=web --wait=false")
    assert out.count('" deleted\n') == 2 and c.elapsed == 40
    assert run(c, "delete deploy nope") == ("", 'Error from server (NotFound): deployments.apps "nope" not found\n', 1)
    assert run(c, "delete deploy nope --ignore-not-found") == ("", "", 0)
    assert run(c, "delete pods")[1] == "error: resource(s) were provided, but no name was specified\n"
    assert run(c, "delete deploy web --cascade=orphan -o name")[0] == "deployment.apps/web\n"
    assert c.replicasets(), "orphaned ReplicaSets stay"


def test_delete_by_selector_or_all_ignores_objects_the_garbage_collector_removed_first(c):
    # upstream: --all and -l make --ignore-not-found default to true; deleting the Deployment
    # takes its ReplicaSet with it before kubectl's turn comes.
    c.kubectl("create deployment web --image=nginx --replicas=2")
    assert run(c, "delete deploy,rs -l app=web") == ('deployment.apps "web" deleted\n', "", 0)
    assert not c.replicasets() and not c.deployments()
    c.kubectl("create deployment web --image=nginx --replicas=2")
    pods = sorted(p.name for p in c.pods())
    out, err, code = run(c, "delete all --all")
    assert (err, code) == ("", 0)
    # The kubernetes Service is in the `all` category too, as on a real cluster.
    assert out == (
        "".join(f'pod "{p}" deleted\n' for p in pods)
        + 'service "kubernetes" deleted\n'
        + 'deployment.apps "web" deleted\n'
    )
    assert not c.deployments() and not c.replicasets()
    # An explicit --ignore-not-found=false is kept: the vanished ReplicaSet is reported.
    c.kubectl("create deployment web --image=nginx")
    rs = c.replicasets()[0].name
    assert run(c, "delete deploy,rs -l app=web --ignore-not-found=false") == (
        'deployment.apps "web" deleted\n',
        f'Error from server (NotFound): replicasets.apps "{rs}" not found\n',
        1,
    )
    # Named deletes still report a missing name; nothing matching goes to stdout, exit 0.
    assert run(c, "delete rs nope")[2] == 1
    assert run(c, "delete deploy -l app=web") == ("No resources found\n", "", 0)
    rv = c.resource_version
    assert run(c, "delete pods --all -l app=web") == (
        "",
        "error: setting 'all' parameter but found a non empty selector. \n",
        1,
    )
    assert c.resource_version == rv


def test_wait_advances_virtual_time_until_the_condition_holds(c):
    c.kubectl("create deployment web --image=nginx")
    assert run(c, "wait --for=condition=Available deployment/web --timeout=1m") == (
        "deployment.apps/web condition met\n",
        "",
        0,
    )
    assert 0 < c.elapsed <= 5
    c.images.register("broken:*", exists=False)
    c.kubectl("create deployment bad --image=broken:1")
    assert run(c, "wait --for=condition=Available deploy/bad --timeout=30s") == (
        "",
        "error: timed out waiting for the condition on deployments/bad\n",
        1,
    )
    assert run(c, "wait --for=jsonpath={.status.readyReplicas}=1 deployment/web")[2] == 0
    pod = c.pods(selector="app=web")[0].name
    assert run(c, f"wait --for=delete pod/{pod} --timeout=1s")[2] == 1


def test_get_jsonpath_sort_by_custom_columns_and_no_headers(c):
    c.kubectl("create deployment b --image=nginx --replicas=2")
    c.advance("5s")
    c.kubectl("create deployment a --image=redis:7")
    c.advance("5s")
    names = run(c, "get deploy -o jsonpath={.items[*].metadata.name}")[0]
    assert names == "a b"
    assert run(c, "get deploy b -o jsonpath={.spec.replicas}")[0] == "2"
    newest_first = run(c, "get deploy --sort-by=.metadata.creationTimestamp -o name")[0]
    assert newest_first == "deployment.apps/b\ndeployment.apps/a\n"
    by_replicas = run(c, "get deploy --sort-by={.spec.replicas} --no-headers")[0].splitlines()
    assert [line.split()[0] for line in by_replicas] == ["a", "b"]
    table = run(c, "get deploy -o custom-columns=NAME:.metadata.name,IMAGE:.spec.template.spec.containers[0].image")
    assert table[0] == "NAME   IMAGE\na      redis:7\nb      nginx\n"
    assert run(c, "get deploy -o foo")[1].startswith(
        'error: unable to match a printer suitable for the output format "foo"'
    )


def test_get_filters_by_files_and_names_several_kinds(c, monkeypatch):
    monkeypatch.chdir(ROOT)
    c.kubectl("apply -f examples/")
    out = run(c, "get -f examples/ -o name")[0]
    assert out == "deployment.apps/nginx-deployment\npod/redis-master\n"
    out = run(c, "get deploy/nginx-deployment pod/redis-master")[0]
    assert out.startswith("NAME ") and "\n\nNAME " in out and "pod/redis-master" in out
    assert (
        run(c, "get pods redis-master -l app=x")[1] == "error: name cannot be provided when a selector is specified\n"
    )


def test_empty_results_are_reported_on_stderr_with_exit_0(c):
    assert run(c, "get hpa") == ("", "No resources found in default namespace.\n", 0)
    assert run(c, "get pods -A") == ("", "No resources found\n", 0)
    assert run(c, "get pods -n dev") == ("", "No resources found in dev namespace.\n", 0)


def test_version_and_api_resources(c):
    out = run(c, "version")[0]
    server = f"v1.33.0+kubesim-{kubesim.__version__}"
    assert out == f"Client Version: {CLIENT_VERSION}\nKustomize Version: v5.5.0\nServer Version: {server}\n"
    assert "Server" not in run(c, "version --client")[0]
    table = run(c, "api-resources")[0].splitlines()
    assert table[0].split() == ["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"]
    assert table[1].split() == ["configmaps", "cm", "v1", "true", "ConfigMap"]
    assert ["services", "svc", "v1", "true", "Service"] in [row.split() for row in table]
    rows = [row.split() for row in table]
    assert ["horizontalpodautoscalers", "hpa", "autoscaling/v2", "true", "HorizontalPodAutoscaler"] in rows
    assert rows.index(["jobs", "batch/v1", "true", "Job"]) > rows.index(
        ["deployments", "deploy", "apps/v1", "true", "Deployment"]
    )
    # Groups in discovery order: policy comes after autoscaling.
    assert table[-1].split() == ["poddisruptionbudgets", "pdb", "policy/v1", "true", "PodDisruptionBudget"]
    assert run(c, "api-resources --namespaced=false -o name")[0] == "namespaces\nnodes\n"


def test_unknown_commands_types_and_flags_are_kubectl_errors(c):
    assert run(c, "get widgets") == ("", 'error: the server doesn\'t have a resource type "widgets"\n', 1)
    assert run(c, "rollout sideways deploy/x") == (
        "",
        "error: unknown command \"sideways deploy/x\"\nSee 'kubectl rollout -h' for help and examples\n",
        1,
    )
    assert run(c, "scale deploy web --replicas=x")[1].startswith('error: invalid argument "x" for "--replicas" flag')
    assert run(c, "get pods -o")[1] == "error: flag needs an argument: 'o' in -o\nSee 'kubectl get --help' for usage.\n"
    assert run(c, "get pods --output")[1].startswith("error: flag needs an argument: --output\n")
    assert run(c, "get pods --show-labels=yes")[1].startswith(
        'error: invalid argument "yes" for "--show-labels" flag: strconv.ParseBool: parsing "yes": invalid syntax'
    )
    assert run(c, "scale deploy web --replicas=３")[1].startswith('error: invalid argument "３" for "--replicas" flag')
    with pytest.raises(kubesim.KubectlError) as e:
        c.kubectl("get pods --wacth")
    assert e.value.exit_code == 1 and e.value.stderr.startswith("error: unknown flag: --wacth")


def test_set_image_record_keeps_the_command_as_typed(c):
    c.kubectl("create deployment web --image=nginx:1.25")
    c.kubectl("set image deploy web nginx=nginx:1.26 --record")
    assert c.deployment("web").annotations["kubernetes.io/change-cause"] == (
        "kubectl set image deploy web nginx=nginx:1.26 --record=true"
    )
    assert run(c, "set image deploy web foo=bar") == ("", 'error: unable to find container named "foo"\n', 1)
    assert run(c, "set image deploy web nginx=nginx:1.26") == ("", "", 0), "no change prints nothing"


def test_examples_are_bundled_with_the_package():
    assert (ROOT / "examples").resolve() == cli.EXAMPLES
    assert sorted(p.name for p in cli.EXAMPLES.iterdir()) == ["nginx-deployment.yaml", "redis-pod.yaml", "web-app"]
    assert (cli.EXAMPLES / "web-app" / "web-app.yaml").is_file()
    assert os.access(cli.EXAMPLES / "nginx-deployment.yaml", os.R_OK)


def test_scale_and_autoscale_take_replicasets_too(c):
    c.kubectl("create deployment web --image=nginx")
    [rs] = c.replicasets()
    c.kubectl("delete deploy web --cascade=orphan")
    assert run(c, f"scale rs/{rs.name} --replicas=3") == (f"replicaset.apps/{rs.name} scaled\n", "", 0)
    assert c.replicaset(rs.name).replicas == 3
    assert run(c, f"scale rs {rs.name} --replicas=1 --current-replicas=2")[1] == (
        "error: Expected replicas to be 2, was 3\n"
    )
    assert run(c, f"autoscale rs {rs.name} --max=4 --name=small")[0] == (
        "horizontalpodautoscaler.autoscaling/small autoscaled\n"
    )
    hpa = c.hpa("small")
    assert hpa.spec["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": rs.name}
    assert (
        run(c, "autoscale deploy/web --max=0")[1] == 'Error from server (NotFound): deployments.apps "web" not found\n'
    )
    c.kubectl("create deployment web --image=nginx")
    assert run(c, "autoscale deploy/web --max=0")[1] == (
        "error: --max=MAXPODS is required and must be at least 1, max: 0\n"
    )


def test_rollout_history_revision_prints_the_template_with_raw_tabs(c):
    c.kubectl("create deployment web --image=nginx:1.25 --port=80")
    c.kubectl("set image deploy/web nginx=nginx:1.26")
    rs = next(r for r in c.replicasets() if r.annotations["deployment.kubernetes.io/revision"] == "2")
    out = c.kubectl("rollout history deploy/web --revision=2")
    assert out == (
        "deployment.apps/web with revision #2\n"
        "Pod Template:\n"
        "  Labels:\tapp=web\n"
        f"\tpod-template-hash={rs.labels['pod-template-hash']}\n"
        "  Containers:\n"
        "   nginx:\n"
        "    Image:\tnginx:1.26\n"
        "    Port:\t80/TCP\n"
        "    Host Port:\t0/TCP\n"
        "    Environment:\t<none>\n"
        "    Mounts:\t<none>\n"
        "  Volumes:\t<none>\n"
        "  Node-Selectors:\t<none>\n"
        "  Tolerations:\t<none>\n"
        "\n"
    )
    assert run(c, "rollout history deploy/web --revision=7") == (
        "",
        "error: unable to find the specified revision\n",
        1,
    )
    assert run(c, "rollout history deploy/web --revision=2 -o name")[0] == f"replicaset.apps/{rs.name}\n"


def test_rollout_undo_dry_run_prints_the_old_template_and_changes_nothing(c):
    c.kubectl("create deployment web --image=nginx:1.25")
    c.kubectl("set image deploy/web nginx=nginx:1.26")
    c.advance("1m")
    rv = c.deployment("web").resource_version
    out = c.kubectl("rollout undo deploy/web --dry-run=client")
    assert out.startswith("deployment.apps/web \nPod Template:\n  Labels:\tapp=web\n\tpod-template-hash=")
    assert "    Image:\tnginx:1.25\n" in out and out.endswith("  Tolerations:\t<none>\n")
    assert c.deployment("web").resource_version == rv
    c.kubectl("rollout pause deploy/web")
    assert (
        run(c, "rollout undo deploy/web --to-revision=5")[1]
        == "error: unable to find specified revision 5 in history\n"
    )
    assert run(c, "rollout undo deploy/web")[1].startswith("error: you cannot rollback a paused deployment")
    assert run(c, "rollout undo deploy/web --dry-run=client")[2] == 0, "a dry run comes before the paused check"


def test_a_recording_cluster_keeps_its_timeline_across_pickling():
    c = kubesim.Cluster(seed=2)
    c.record(every="1s")
    c.kubectl("create deployment web --image=nginx --replicas=3")
    c.advance("10s")
    clone = pickle.loads(pickle.dumps(c))
    for x in (c, clone):
        x.kubectl("scale deploy web --replicas=5")
        x.advance("10s")
    assert list(clone.timeline()) == list(c.timeline())
    assert any(r["field"] == "ready" and r["value"] == 5 for r in c.timeline())


def test_top_is_wired_to_the_metrics_pipeline(c):
    c.kubectl("create deployment web --image=nginx --replicas=2")
    c.deployment("web").set_load(cpu="600m", memory="256Mi")
    assert run(c, "top pods") == ("", "error: metrics not available yet\n", 1), "no scrape has happened yet"
    c.advance("1m")
    out = run(c, "top pods -l app=web --sort-by=cpu")[0].splitlines()
    assert out[0].split() == ["NAME", "CPU(cores)", "MEMORY(bytes)"]
    assert [line.split()[1:] for line in out[1:]] == [["300m", "128Mi"], ["300m", "128Mi"]]
    nodes = run(c, "top nodes --no-headers")[0].splitlines()
    assert len(nodes) == 3 and sum(int(line.split()[1].rstrip("m")) for line in nodes) == 600
    assert run(c, "top pods -l app=none") == ("", "No resources found in default namespace.\n", 0)
    assert run(c, "top deployments")[1] == 'error: unknown command "deployments" for "kubectl top"\n'


def _ramp(t: float) -> float:
    return 0.5 + t / 600


def test_saving_a_callable_load_needs_a_picklable_function(tmp_path):
    c = kubesim.Cluster(seed=4)
    c.kubectl("create deployment web --image=nginx --replicas=2")
    c.deployment("web").set_load(cpu=lambda t: 1.0)
    with pytest.raises(kubesim.InvalidArgumentError, match="cannot save this cluster: .*module-level function"):
        c.save(tmp_path / "c")
    assert not (tmp_path / "c").exists(), "a failed save writes nothing"
    # Once the lambda is replaced, the cluster saves: the file holds the state, not the calls.
    c.deployment("web").set_load(cpu=_ramp)
    c.advance("1m")
    c.save(tmp_path / "c")
    loaded = kubesim.Cluster.load(tmp_path / "c")
    for x in (c, loaded):
        x.advance("2m")
    assert loaded.kubectl("top pods") == c.kubectl("top pods")
    d = kubesim.Cluster(seed=4)
    d.kubectl("create deployment web --image=nginx --replicas=2")
    d.deployment("web").set_load(cpu=_ramp)
    d.advance("1m")
    d.save(tmp_path / "d")
    loaded = kubesim.Cluster.load(tmp_path / "d")
    for x in (d, loaded):
        x.advance("2m")
    assert loaded.kubectl("top pods") == d.kubectl("top pods")


def test_apply_fetches_manifests_over_http(c, tmp_path):
    import functools
    import http.server
    import threading

    (tmp_path / "ns.yaml").write_text("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: fetched\n")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        assert run(c, f"apply -f {base}/ns.yaml") == ("namespace/fetched created\n", "", 0)
        assert run(c, f"apply -f {base}/missing.yaml") == (
            "",
            f'error: unable to read URL "{base}/missing.yaml", server reported 404 File not found, status code=404\n',
            1,
        )
    finally:
        server.shutdown()
        server.server_close()


class _Noisy:
    """A load with state: each call draws the next value from its own random sequence."""

    def __init__(self) -> None:
        import random

        self.rng = random.Random(7)

    def __call__(self, t: float) -> float:
        return self.rng.uniform(0.2, 2.0)


def test_a_stateful_load_function_continues_from_its_saved_state(tmp_path):
    c = kubesim.Cluster(seed=5)
    c.kubectl("create deployment web --image=nginx --replicas=2")
    c.kubectl("autoscale deploy web --min=1 --max=6 --cpu-percent=50")
    d = c.deployment("web")
    c.patch(
        "deployment",
        "web",
        {
            "spec": {
                "template": {
                    "spec": {
                        "containers": [{"name": "nginx", "image": "nginx", "resources": {"requests": {"cpu": "200m"}}}]
                    }
                }
            }
        },
    )
    d.set_load(cpu=_Noisy())
    c.advance("5m")
    c.save(tmp_path / "c")
    loaded = kubesim.Cluster.load(tmp_path / "c", threads=1)
    assert loaded.resource_version == c.resource_version
    for x in (c, loaded):
        x.advance("5m")
    assert loaded.kubectl("top pods") == c.kubectl("top pods")
    assert [(e.type, e.resource_version) for e in loaded.watch(since=0)] == [
        (e.type, e.resource_version) for e in c.watch(since=0)
    ]


def test_review_edge_cases_behave_like_kubectl(c):
    c.kubectl("create deployment web --image=nginx --replicas=2")
    c.kubectl("create deployment api --image=nginx")
    assert run(c, "label deploy web a=b a-")[1] == "error: can not both modify and remove a label in the same command\n"
    out, err, code = run(c, "label deploy web 'a=bad value'")
    assert code == 1 and err.startswith('error: invalid label value: "a=bad value": a valid label must be')
    assert "a" not in c.deployment("web").labels
    assert (
        run(c, "label deploy web -l app=web x=y")[1] == "error: name cannot be provided when a selector is specified\n"
    )
    assert run(c, "rollout pause deploy/web --dry-run=client") == ("deployment.apps/web paused (dry run)\n", "", 0)
    assert not c.deployment("web").paused
    assert (
        run(c, "rollout pause deploy/web deploy/api")[0] == "deployment.apps/web paused\ndeployment.apps/api paused\n"
    )
    assert c.deployment("api").paused
    assert run(c, "scale deploy web --replicas=3 -o name") == ("deployment.apps/web\n", "", 0)
    assert run(c, "scale deploy web --replicas=5 --dry-run=client")[0] == "deployment.apps/web scaled (dry run)\n"
    assert c.deployment("web").replicas == 3
    assert run(c, "version -o name")[1] == "error: --output must be 'yaml' or 'json'\n"
    assert run(c, "api-resources extra")[1] == "error: unexpected arguments: [extra]\n"
    assert run(c, "get deploy -Ao name")[0] == "deployment.apps/api\ndeployment.apps/web\n"
    assert run(c, "get pods -- web")[1] == 'Error from server (NotFound): pods "web" not found\n'
    assert run(c, "label deploy web -o wide x=y")[1].startswith(
        'error: unable to match a printer suitable for the output format "wide", allowed formats are:'
    )
    assert run(c, "get deploy -o custom-columns=LABELS:.metadata.labels")[0].splitlines()[1] == "map[app:api]"
    assert (
        run(c, "get deploy web -o jsonpath='{.metadata.annotations.deployment\\.kubernetes\\.io/revision}'")[0] == "1"
    )


TOKENS = [
    "get",
    "describe",
    "delete",
    "label",
    "annotate",
    "rollout",
    "status",
    "undo",
    "pause",
    "scale",
    "set",
    "image",
    "wait",
    "top",
    "pods",
    "deploy",
    "deploy/web",
    "web",
    "nope",
    "-o",
    "name",
    "yaml",
    "wide",
    "jsonpath={.x",
    "jsonpath={.items[*].metadata.name}",
    "-l",
    "app=web",
    "-n",
    "-A",
    "--",
    "--replicas=2",
    "--replicas=x",
    "a=b",
    "a-",
    "nginx=nginx:2",
    "--for=condition=Available",
    "--timeout=1s",
    "-f",
    "-",
    "--dry-run=client",
    "--overwrite",
    "--sort-by=.metadata.name",
    "-Ao",
    "--show-labels",
    "''",
    "é",
    "=",
    "-",
    "--record",
]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(TOKENS), min_size=1, max_size=7))
def test_any_command_line_gives_a_result_not_an_exception(words):
    c = kubesim.Cluster(nodes=1, seed=0)
    c.kubectl("create deployment web --image=nginx")
    r = c.kubectl(" ".join(words), check=False, input="")
    assert r.exit_code in (0, 1) and isinstance(r.stdout, str) and isinstance(r.stderr, str)
    assert r.exit_code == 0 or r.stderr, "a failure says why"


def test_kubesim_kubectl_help_and_sticky_manual_clock(tmp_path, capsys):
    assert cli.main(["kubectl", "--help"]) == 0
    assert "kubesim kubectl runs one kubectl command" in capsys.readouterr().out
    state = tmp_path / "s"
    cli.main(["kubectl", "--state", str(state), "--clock=manual", "version", "--client"])
    capsys.readouterr()
    saved = pickle.loads(state.read_bytes())
    assert saved["clock"] == "manual"
    saved["wall"] -= 3600
    state.write_bytes(pickle.dumps(saved))
    cli.main(["kubectl", "--state", str(state), "get", "ns", "default"])  # no --clock: stays manual
    assert capsys.readouterr().out.splitlines()[1].split()[-1] == "0s"


def test_kubesim_version_is_cargos(capsys):
    cargo = (Path(__file__).resolve().parent.parent / "Cargo.toml").read_text(encoding="utf-8")
    version = re.search(r'^version = "([^"]+)"', cargo, re.MULTILINE)
    assert version is not None and kubesim.__version__ == version.group(1)
    with pytest.raises(SystemExit) as exit_:
        cli.main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out == f"kubesim {version.group(1)}\n"


def test_the_shell_tutorial_with_global_flags_first(tmp_path, capsys):
    # What a daily kubectl user types: the namespace (and other global flags) before the verb.
    assert _shell(tmp_path, capsys, "kubectl", "create", "namespace", "dev") == ("namespace/dev created\n", "", 0)
    out, err, code = _shell(tmp_path, capsys, "kubectl", "-n", "dev", "create", "deployment", "web", "--image=nginx")
    assert (out, err, code) == ("deployment.apps/web created\n", "", 0)
    out, _, code = _shell(tmp_path, capsys, "kubectl", "--namespace=dev", "rollout", "status", "deployment/web")
    assert code == 0 and out.endswith('deployment "web" successfully rolled out\n')
    out, _, _ = _shell(tmp_path, capsys, "kubectl", "-ndev", "--context", "kubesim", "get", "deploy", "-o", "name")
    assert out == "deployment.apps/web\n"
    out, err, code = _shell(tmp_path, capsys, "kubectl", "-n", "kube-system", "get", "pods")
    assert (out, err, code) == ("", "No resources found in kube-system namespace.\n", 0)
    assert _shell(tmp_path, capsys, "kubectl", "-n", "dev", "frob") == (
        "",
        "Error: flags cannot be placed before plugin name: -n\n",
        1,
    )
