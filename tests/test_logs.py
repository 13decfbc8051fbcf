"""Container logs: `kubectl logs`, `Pod.logs()` and `GET …/pods/P/log` print the lines the image
profiles say a container writes, for the run the kubelet would read (upstream:
validateContainerLogStatus), with kubectl's client-side checks and messages."""

from __future__ import annotations

import shutil
import subprocess

import pytest

import kubesim
from kubesim.testing import workload

LINES = ["starting {pod} on {node}", ("2s", "listening on {ip}:8080"), ("10s", "run {restarts} ready")]


def pod(name: str, image: str, *more: tuple[str, str], restart_policy: str = "Always", annotations=None) -> dict:
    containers = [{"name": "main", "image": image}] + [{"name": n, "image": i} for n, i in more]
    meta = {"name": name, **({"annotations": annotations} if annotations else {})}
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": meta,
        "spec": {"restartPolicy": restart_policy, "containers": containers},
    }


@pytest.fixture
def c() -> kubesim.Cluster:
    c = kubesim.Cluster(nodes=2, seed=3)
    c.images.register("app:*", logs=LINES)
    c.images.register("crash:*", logs=LINES, crash_after="30s")
    c.images.register("side:*", logs=["side {container}"])
    c.images.register("missing:*", exists=False)
    return c


def run(c: kubesim.Cluster, command: str) -> str:
    return str(c.kubectl(command, check=False))


def test_a_running_container_shows_the_lines_written_so_far(c):
    c.apply(pod("p", "app:1"))
    c.advance(4)  # pulled at 2 s, started at 3 s: the first line at 3 s, the second at 5 s
    p = c.pod("p")
    assert p.logs() == f"starting p on {p.node}\n"
    c.advance(20)
    assert p.logs() == f"starting p on {p.node}\nlistening on {p.ip}:8080\nrun 0 ready\n"
    assert p.logs(tail=1) == "run 0 ready\n"
    assert p.logs(timestamps=True).splitlines()[0] == f"2026-01-01T00:00:03.000000000Z starting p on {p.node}"
    assert run(c, "logs p --tail=2") == f"listening on {p.ip}:8080\nrun 0 ready\n"
    assert run(c, "logs p --since=15s") == "run 0 ready\n"  # written at 13 s; now is 24 s
    assert run(c, "logs p --since-time=2026-01-01T00:00:04Z") == f"listening on {p.ip}:8080\nrun 0 ready\n"
    assert run(c, "logs p --limit-bytes=8") == "starting"


@pytest.mark.parametrize(
    ("image", "advance", "previous", "want"),
    [
        # (image, seconds, --previous, what the kubelet answers)
        ("app:1", 1, False, 'container "main" in pod "p" is waiting to start: ContainerCreating'),
        ("missing:1", 2, False, 'container "main" in pod "p" is waiting to start: image can\'t be pulled'),
        ("missing:1", 12, False, 'container "main" in pod "p" is waiting to start: trying and failing to pull image'),
        ("app:1", 20, True, 'previous terminated container "main" in pod "p" not found'),
        # Crashed at 33 s and restarted at once: -p reads the first run, the second run has
        # written its first lines.
        ("crash:1", 36, True, "starting p on {node}\nlistening on {ip}:8080\nrun 0 ready\n"),
        ("crash:1", 36, False, "starting p on {node}\nlistening on {ip}:8080\n"),
        # Crashed again at 63 s, back-off until 73 s: the waiting container's last run is read.
        ("crash:1", 66, False, "starting p on {node}\nlistening on {ip}:8080\nrun 1 ready\n"),
        ("crash:1", 66, True, "starting p on {node}\nlistening on {ip}:8080\nrun 1 ready\n"),
    ],
)
def test_which_run_is_read_follows_the_kubelet(c, image, advance, previous, want):
    c.apply(pod("p", image))
    c.advance(advance)
    p = c.pod("p")
    want = want.format(node=p.node, ip=p.ip)
    if want.endswith("\n"):
        assert p.logs(previous=previous) == want
    else:
        with pytest.raises(kubesim.InvalidArgumentError) as e:
            p.logs(previous=previous)
        assert str(e.value) == want
        assert run(c, "logs p" + (" -p" if previous else "")) == f"Error from server (BadRequest): {want}\n"


def test_a_restarted_container_numbers_its_runs(c):
    # Runs: 3–33 s, 33–63 s, back-off 10 s, 73–103 s, back-off 20 s, 123–153 s.
    c.apply(pod("p", "crash:1"))
    c.advance(110)
    p = c.pod("p")
    assert (p.restarts, p.containers[0].state) == (2, "waiting")
    assert p.logs(previous=True).splitlines()[-1] == p.logs().splitlines()[-1] == "run 2 ready"
    c.advance(20)
    assert (p.restarts, p.containers[0].state) == (3, "running")
    assert p.logs(previous=True).splitlines()[-1] == "run 2 ready"
    assert p.logs() == f"starting p on {p.node}\nlistening on {p.ip}:8080\n"


def test_container_choice_and_several_streams(c):
    c.apply(pod("multi", "app:1", ("sidecar", "side:1")))
    c.apply(
        pod(
            "annotated",
            "app:1",
            ("sidecar", "side:1"),
            annotations={"kubectl.kubernetes.io/default-container": "sidecar"},
        )
    )
    c.advance(20)
    out = run(c, "logs multi")
    assert out.startswith('Defaulted container "main" out of: main, sidecar\nstarting multi')
    assert run(c, "logs multi sidecar") == "side sidecar\n"
    assert run(c, "logs multi -c sidecar") == "side sidecar\n"
    assert run(c, "logs annotated") == "side sidecar\n"
    both = run(c, "logs multi --all-containers --prefix")
    assert both.splitlines()[-1] == "[pod/multi/sidecar] side sidecar"
    assert both.splitlines()[0] == f"[pod/multi/main] starting multi on {c.pod('multi').node}"
    with pytest.raises(
        kubesim.InvalidArgumentError,
        match=r"a container name must be specified for pod multi, choose one of: \[main sidecar\]",
    ):
        c._native.pod_log("default", "multi")


def test_workload_targets_and_selectors(c):
    c.images.register("chatty:*", logs=[(f"{i}s", f"line {i}") for i in range(15)])
    c.apply(workload(name="web", replicas=3, image="chatty:1"))
    c.advance(30)
    out = run(c, "logs deploy/web --tail=1")
    first = out.splitlines()[0]
    assert first.startswith("Found 3 pods, using pod/web-")
    assert out.splitlines()[1] == "line 14"
    # -l sends tailLines=10 unless --tail says otherwise: 3 pods × 10 lines.
    lines = run(c, "logs -l app=web").splitlines()
    assert len(lines) == 30 and lines[0] == "line 5"
    assert len(run(c, "logs -l app=web --tail=-1").splitlines()) == 45
    assert run(c, "logs -l app=nothing") == "No resources found in default namespace.\n"


@pytest.mark.parametrize(
    ("args", "want"),
    [
        (
            "logs",
            "error: expected 'logs [-f] [-p] (POD | TYPE/NAME) [-c CONTAINER]'.\nPOD or TYPE/NAME is a required argument for the logs command\nSee 'kubectl logs -h' for help and examples\n",  # noqa: E501
        ),
        ("logs p nope", "error: container nope is not valid for pod p\n"),
        # The real kubectl 1.32 prints both prefixes.
        ("logs nope", 'error: error from server (NotFound): pods "nope" not found in namespace "default"\n'),
        ("logs p main -c main", "error: only one of -c or an inline [CONTAINER] arg is allowed\n"),
        (
            "logs p -c main --all-containers",
            "error: --all-containers=true should not be specified with container name main\n",
        ),
        (
            "logs p --since=5s --since-time=2026-01-01T00:00:00Z",
            "error: at most one of `sinceTime` or `sinceSeconds` may be specified\n",
        ),
        ("logs p --since=-5s", "error: --since must be greater than 0\n"),
        (
            "logs p --since=abc",
            'error: invalid argument "abc" for "--since" flag: time: invalid duration "abc"\nSee \'kubectl logs -h\' for help and examples\n',  # noqa: E501
        ),
        (
            "logs p --since-time=yesterday",
            'error: parsing time "yesterday" as "2006-01-02T15:04:05Z07:00": cannot parse "yesterday" as "2006"\n',
        ),
        ("logs p --tail=-5", "error: --tail must be greater than or equal to -1\n"),
        ("logs p --limit-bytes=-1", "error: --limit-bytes must be greater than 0\n"),
        (
            "logs p -l app=web",
            "error: only a selector (-l) or a POD name is allowed\nSee 'kubectl logs -h' for help and examples\n",
        ),
    ],
)
def test_client_side_errors_are_kubectls(c, args, want):
    c.apply(pod("p", "app:1"))
    c.advance(10)
    assert run(c, args) == want


KUBECTL = shutil.which("kubectl")


@pytest.mark.skipif(KUBECTL is None, reason="the real kubectl binary is not on PATH")
def test_the_real_kubectl_reads_logs_through_the_api_server(c):
    c.apply(pod("p", "app:1"))
    c.apply(pod("crashy", "crash:1"))
    c.advance(20)
    p = c.pod("p")
    with c.serve() as srv:
        env = srv.env()

        def real(*args: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run([KUBECTL or "kubectl", *args], env=env, capture_output=True, text=True, timeout=60)

        r = real("logs", "p")
        assert r.returncode == 0 and r.stdout == p.logs()
        r = real("logs", "p", "--tail=1", "--timestamps")
        assert r.stdout == "2026-01-01T00:00:13.000000000Z run 0 ready\n"
        r = real("logs", "p", "--since=9s")
        assert r.stdout == "run 0 ready\n"
        r = real("logs", "p", "-p")
        assert r.returncode == 1
        assert r.stderr == 'Error from server (BadRequest): previous terminated container "main" in pod "p" not found\n'
        r = real("logs", "nope")
        assert (
            r.stderr
            == run(c, "logs nope")
            == 'error: error from server (NotFound): pods "nope" not found in namespace "default"\n'
        )
        assert r.stdout == ""


@pytest.mark.parametrize(
    ("image", "status", "log"),
    [
        # busybox has no ENTRYPOINT: `--` args are its whole command line.
        ("busybox:1.36", "Completed", "hi\n"),
        ("alpine", "Completed", "hi\n"),
        # An image whose entrypoint kubesim cannot know runs as its profile says.
        ("example.com/tools:1", "Running", ""),
    ],
)
def test_run_with_args_alone_runs_them_in_an_image_without_entrypoint(image, status, log):
    c = kubesim.Cluster(nodes=1, seed=0)
    c.kubectl(f"run one --image={image} --restart=Never -- echo hi")
    c.advance("1m")
    assert c.kubectl("get pod one").splitlines()[1].split()[2] == status
    assert c.kubectl("logs one") == log
