"""`kubectl exec`: the commands image profiles declare, kubectl's errors otherwise
(kubectl-everyday.md §4)."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

import kubesim


def pod(name: str, image: str, **extra: object) -> dict:
    container = {"name": extra.pop("container", "main"), "image": image, **extra}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": {"containers": [container]}}


def run(c: kubesim.Cluster, command: str) -> tuple[str, str, int]:
    r = c.kubectl(command, check=False)
    return r.stdout, r.stderr, r.exit_code


@pytest.fixture
def c() -> kubesim.Cluster:
    c = kubesim.Cluster(nodes=1, seed=0)
    c.images.register(
        "app:*",
        exec={
            "sh -c 'exit 3'": ("", 3),
            "cat /missing": {"stderr": "cat: /missing: No such file or directory\n", "exit_code": 1},
            "whoami": "app on {node} at {ip}\n",
            "hostname": "overridden\n",
        },
    )
    return c


def test_builtin_images_answer_hostname_env_and_their_own_commands(c):
    env = [{"name": "MODE", "value": "prod"}, {"name": "ME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}]
    c.apply(pod("web", "nginx:1.25", container="nginx", env=env))
    c.apply(pod("cache", "redis"))
    c.advance("1m")
    assert run(c, "exec web -- hostname") == ("web\n", "", 0)
    assert run(c, "exec web -- cat /etc/hostname") == ("web\n", "", 0)
    assert run(c, "exec web -- env")[0] == (
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\nHOSTNAME=web\nMODE=prod\nME=web\nHOME=/root\n"
    )
    # nginx -v writes its version (the image's tag) on stderr and exits 0.
    assert run(c, "exec web -- nginx -v") == ("", "nginx version: nginx/1.25\n", 0)
    assert run(c, "exec cache -- redis-cli ping") == ("PONG\n", "", 0)
    assert run(c, "exec cache -- nginx -v")[2] == 1


def test_declared_commands_exit_codes_and_placeholders(c):
    c.apply(pod("app", "app:2"))
    c.advance("1m")
    ip = c.pod("app").to_dict()["status"]["podIP"]
    assert run(c, "exec app -- whoami") == (f"app on node-1 at {ip}\n", "", 0)
    # A declaration overrides the default of the same command; the other defaults stay.
    assert run(c, "exec app -- hostname") == ("overridden\n", "", 0)
    assert run(c, "exec app -- printenv")[0].startswith("PATH=")
    # upstream: a non-zero remote exit becomes kubectl's exit code, with this line on stderr.
    assert run(c, "exec app -- sh -c 'exit 3'") == ("", "command terminated with exit code 3\n", 3)
    assert run(c, "exec app -- cat /missing") == (
        "",
        "cat: /missing: No such file or directory\ncommand terminated with exit code 1\n",
        1,
    )
    with pytest.raises(kubesim.KubectlError) as e:
        c.kubectl("exec app -- sh -c 'exit 3'")
    assert e.value.exit_code == 3


def test_an_undeclared_command_fails_as_containerd_does(c):
    c.apply(pod("app", "app:2"))
    c.advance("1m")
    out, err, code = run(c, "exec app -- ls /")
    assert (out, code) == ("", 1)
    assert re.fullmatch(
        r"error: Internal error occurred: error executing command in container: failed to exec in container: "
        r'failed to start exec "[0-9a-f]{64}": OCI runtime exec failed: exec failed: unable to start container '
        r'process: exec: "ls": executable file not found in \$PATH: unknown\n',
        err,
    ), err


def test_container_choice_tty_and_resolving_a_deployment(c):
    two = pod("multi", "app:1", container="app")
    two["spec"]["containers"].append({"name": "side", "image": "nginx"})
    c.apply(two)
    c.kubectl("create deployment web --image=nginx --replicas=2")
    c.advance("1m")
    # upstream: the first container is the default, said on stderr; -q keeps quiet.
    assert run(c, "exec multi -- whoami")[1] == 'Defaulted container "app" out of: app, side\n'
    assert run(c, "exec -q multi -- whoami")[1] == ""
    assert run(c, "exec multi -c side -- nginx -v") == ("", "nginx version: nginx/latest\n", 0)
    assert run(c, "exec multi -c nope -- ls") == (
        "",
        "Error from server (BadRequest): container nope is not valid for pod multi\n",
        1,
    )
    # -it is accepted; without a terminal kubectl says so and runs the command anyway.
    assert run(c, "exec -it multi -c side -- hostname") == (
        "multi\n",
        "Unable to use a TTY - input is not a terminal or the right kind of file\n",
        0,
    )
    names = {p.name for p in c.pods(selector="app=web")}
    out, _, code = run(c, "exec deploy/web -- hostname")
    assert code == 0 and out.strip() in names


def test_a_pod_not_running_cannot_be_exec_ed_into(c):
    assert run(c, "exec nope -- ls") == ("", 'Error from server (NotFound): pods "nope" not found\n', 1)
    c.apply(pod("slow", "app:1"))
    assert run(c, "exec slow -- whoami") == (
        "",
        'error: unable to upgrade connection: container not found ("main")\n',
        1,
    )
    c.images.register("job:*", completes_after="5s")
    done = pod("done", "job:1")
    done["spec"]["restartPolicy"] = "Never"
    c.apply(done)
    c.advance("1m")
    assert run(c, "exec done -- hostname") == (
        "",
        "error: cannot exec into a container in a completed pod; current phase is Succeeded\n",
        1,
    )


def test_bad_exec_declarations_name_the_command():
    c = kubesim.Cluster(nodes=0)
    with pytest.raises(TypeError, match=r"exec\['ls'\] is stdout text"):
        c.images.register("x", exec={"ls": 3})  # type: ignore[dict-item]
    with pytest.raises(kubesim.InvalidArgumentError, match="No closing quotation"):
        c.images.register("x", exec={"sh -c 'x": ""})


def test_declared_commands_survive_save_and_load(c, tmp_path):
    c.apply(pod("app", "app:2"))
    c.advance("1m")
    c.save(tmp_path / "c.kubesim")
    loaded = kubesim.Cluster.load(tmp_path / "c.kubesim")
    assert run(loaded, "exec app -- sh -c 'exit 3'")[2] == 3


KUBECTL = shutil.which("kubectl")


@pytest.mark.skipif(KUBECTL is None, reason="the real kubectl binary is not on PATH")
@pytest.mark.parametrize("args", [["exec", "web", "ls"], ["exec", "web", "--"], ["exec"]])
def test_usage_errors_match_the_real_kubectl(c, args, tmp_path):
    # These are checked before kubectl contacts a server, so the real one can print them offline.
    real = subprocess.run(
        [KUBECTL or "kubectl", *args],
        env={"KUBECONFIG": str(tmp_path / "none"), "PATH": "", "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run(c, " ".join(args)) == (real.stdout, real.stderr, real.returncode)
