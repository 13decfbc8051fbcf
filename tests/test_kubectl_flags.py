"""kubectl's command line as cobra and pflag parse it (kubectl-everyday.md §1): global flags
anywhere, value forms, `--`, and what kubesim says for verbs it does not model."""

from __future__ import annotations

import pytest

import kubesim


@pytest.fixture
def c() -> kubesim.Cluster:
    c = kubesim.Cluster(nodes=1, seed=0)
    c.kubectl("create namespace dev")
    c.kubectl("-n dev create deployment web --image=nginx")
    return c


def run(c: kubesim.Cluster, command: str) -> tuple[str, str, int]:
    r = c.kubectl(command, check=False)
    return r.stdout, r.stderr, r.exit_code


@pytest.mark.parametrize(
    "line",
    [
        "-n dev get deploy -o name",
        "get -n dev deploy -o name",
        "get deploy -n=dev -o name",
        "get deploy -ndev -oname",
        "get deploy --namespace dev --output=name",
        "--namespace=dev get deploy --output name",
        "-v 3 --request-timeout=5s -n dev get --context=kubesim deploy -o name",
        "--insecure-skip-tls-verify -n dev get deploy -o=name",
    ],
)
def test_global_flags_go_anywhere(c, line):
    assert run(c, line) == ("deployment.apps/web\n", "", 0)


def test_all_namespaces_wins_over_namespace_and_an_empty_namespace_is_the_default(c):
    out = run(c, "get deploy -n default -A")[0]
    assert out.splitlines()[0].split()[0] == "NAMESPACE" and out.splitlines()[1].split()[:2] == ["dev", "web"]
    assert run(c, "get deploy -n ''") == ("", "No resources found in default namespace.\n", 0)
    assert run(c, "get deploy --namespace=") == ("", "No resources found in default namespace.\n", 0)


def test_double_dash_ends_the_flags(c):
    # upstream: `get pods -- -n foo` looks up pods named `-n` and `foo`.
    assert run(c, "get pods -- -n foo") == (
        "",
        'Error from server (NotFound): pods "-n" not found\nError from server (NotFound): pods "foo" not found\n',
        1,
    )


def test_no_verb_prints_the_help_and_exits_0(c):
    out, err, code = run(c, "")
    assert code == 0 and err == "" and out.startswith("kubectl controls the Kubernetes cluster manager.\n")
    assert run(c, "-n dev") == (out, "", 0)


def test_connection_flags_name_the_one_simulated_cluster(c):
    assert run(c, "--cluster=prod get pods") == ("", 'error: no server found for cluster "prod"\n', 1)
    assert run(c, "--user=me get pods") == ("", 'error: auth info "me" does not exist\n', 1)
    assert run(c, "--context kubesim --cluster kubesim --user kubesim -n dev get deploy -o name")[0] == (
        "deployment.apps/web\n"
    )


@pytest.mark.parametrize("verb", ["explain", "port-forward", "replace", "attach", "cp", "diff"])
def test_verbs_kubesim_does_not_model_say_so(c, verb):
    out, err, code = run(c, f"{verb} pod/x")
    assert (out, code) == ("", 1)
    assert err == f'error: kubesim does not model "kubectl {verb}" yet (see "Not modelled yet" in kubesim\'s README)\n'


def test_exec_and_logs_check_their_arguments_then_the_pod(c):
    pod = c.pods(namespace="dev")[0].name
    # exec is modelled (tests/test_exec.py): a container still being created runs nothing yet.
    assert (
        run(c, f"-n dev exec {pod} -- ls")[1] == 'error: unable to upgrade connection: container not found ("nginx")\n'
    )
    assert run(c, "exec nope -- ls") == ("", 'Error from server (NotFound): pods "nope" not found\n', 1)
    # logs are modelled (tests/test_logs.py): a container still being created has none yet.
    assert run(c, f"-n dev logs {pod}")[1] == (
        f'Error from server (BadRequest): container "nginx" in pod "{pod}" is waiting to start: ContainerCreating\n'
    )


def test_a_typo_gets_cobras_suggestions(c):
    assert run(c, "sett image") == (
        "",
        'error: unknown command "sett" for "kubectl"\n\nDid you mean this?\n\tset\n\tget\n',
        1,
    )


def test_namespace_flag_places_manifests_and_refuses_a_different_one(c, monkeypatch):
    from pathlib import Path

    monkeypatch.chdir(Path(__file__).resolve().parent.parent)
    # upstream: RequireNamespace — with -n, an object without a namespace takes it…
    assert run(c, "-n dev apply -f examples/redis-pod.yaml") == ("pod/redis-master created\n", "", 0)
    assert c.kubectl("get pods -A -l app=redis") == (
        "NAMESPACE   NAME           READY   STATUS              RESTARTS   AGE\n"
        "dev         redis-master   0/1     ContainerCreating   0          0s\n"
    )
    assert c.pod("redis-master", "dev").namespace == "dev"
    assert run(c, "apply -f examples/redis-pod.yaml --namespace dev")[0] == "pod/redis-master unchanged\n"
    assert run(c, "get -f examples/redis-pod.yaml -n dev -o name")[0] == "pod/redis-master\n"
    assert run(c, "create -f examples/nginx-deployment.yaml -n dev")[0] == "deployment.apps/nginx-deployment created\n"
    # …and one that names another namespace is refused, the others still applied.
    out, err, code = run(c, "-n other apply -f examples/web-app/web-app.yaml")
    assert (out, code) == ("namespace/shop created\n", 1)
    assert err.splitlines()[0] == (
        'error: the namespace from the provided object "shop" does not match the namespace "other". '
        "You must pass '--namespace=shop' to perform this operation."
    )
    assert len(err.splitlines()) == 5
    # Only what the serviceaccounts controller made for the new namespace is there.
    assert c.kubectl("get cm,secret,sa,deploy,svc -n shop -o name") == "serviceaccount/default\n"
