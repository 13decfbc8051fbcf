"""The real kubectl (v1.32, found on PATH) against ``c.serve()``: the tutorial's commands print
what kubesim's own ``c.kubectl()`` prints for the same state, byte for byte where the server
renders the output (tables: AGE comes from the virtual clock)."""

from __future__ import annotations

import base64
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import kubesim

KUBECTL = shutil.which("kubectl")
pytestmark = pytest.mark.skipif(KUBECTL is None, reason="the real kubectl binary is not on PATH")

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


class Kubectl:
    def __init__(self, c: kubesim.Cluster, srv: kubesim.Server) -> None:
        self.c, self.env = c, srv.env()

    def __call__(self, *args: str, ok: bool = True, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        r = subprocess.run(
            [KUBECTL or "kubectl", *args], env=self.env, capture_output=True, text=True, timeout=60, input=stdin
        )
        if ok:
            assert r.returncode == 0, f"kubectl {' '.join(args)}: {r.stderr}"
        return r

    def waiting(self, *args: str, step: str = "1s", limit: int = 600) -> subprocess.CompletedProcess[str]:
        """Run a kubectl that waits (rollout status, delete) while Python moves virtual time on:
        the manual clock moves only when asked, one step each time kubectl has not finished."""
        p = subprocess.Popen(
            [KUBECTL or "kubectl", *args], env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(limit):
            try:
                out, err = p.communicate(timeout=0.05)
                break
            except subprocess.TimeoutExpired:
                self.c.advance(step)
        else:
            p.kill()
            out, err = p.communicate()
        return subprocess.CompletedProcess(p.args, p.returncode, out, err)


@pytest.fixture
def kubectl() -> Iterator[Kubectl]:
    c = kubesim.Cluster(nodes=3, seed=0)
    with c.serve() as srv:
        yield Kubectl(c, srv)


def same_as_kubesim(k: Kubectl, command: str) -> str:
    real = k(*command.split())
    assert real.stdout == k.c.kubectl(command), command
    return real.stdout


def test_version_and_api_resources(kubectl: Kubectl) -> None:
    out = kubectl("version").stdout
    # The dispatcher runs its built-in 1.32 for minor 32; kubesim's version rides as build metadata.
    assert f"Server Version: v1.32.4+kubesim-{kubesim.__version__}\n" in out
    resources = kubectl("api-resources").stdout
    assert re.search(r"^deployments +deploy +apps/v1 +true +Deployment$", resources, re.M), resources


def test_apply_get_scale_set_image_rollout_delete(kubectl: Kubectl) -> None:
    k = kubectl
    manifest = str(EXAMPLES / "nginx-deployment.yaml")
    assert k("apply", "-f", manifest).stdout == "deployment.apps/nginx-deployment created\n"
    assert k("apply", "-f", manifest).stdout == "deployment.apps/nginx-deployment unchanged\n"
    same_as_kubesim(k, "get deployments")
    status = k.waiting("rollout", "status", "deployment.v1.apps/nginx-deployment")
    assert status.returncode == 0, status.stderr
    assert status.stdout.splitlines()[-1] == 'deployment "nginx-deployment" successfully rolled out'
    assert k.c.deployment("nginx-deployment").available_replicas == 3
    same_as_kubesim(k, "get deployments")
    same_as_kubesim(k, "get rs")
    same_as_kubesim(k, "get pods --show-labels")
    same_as_kubesim(k, "get pods -o wide")
    same_as_kubesim(k, "get rs -o wide")
    same_as_kubesim(k, "get all")
    same_as_kubesim(k, "get nodes")

    r = k("set", "image", "deployment/nginx-deployment", "nginx=nginx:1.9.1", "--record")
    assert r.stdout == "deployment.apps/nginx-deployment image updated\n"
    assert "--record has been deprecated" in r.stderr
    status = k.waiting("rollout", "status", "deployment.v1.apps/nginx-deployment")
    assert status.returncode == 0 and "successfully rolled out" in status.stdout
    d = k.c.deployment("nginx-deployment")
    assert d.to_dict()["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.9.1"
    assert d.annotations["kubernetes.io/change-cause"].startswith("kubectl set image")
    history = k("rollout", "history", "deployment.v1.apps/nginx-deployment").stdout
    assert history == k.c.kubectl("rollout history deployment.v1.apps/nginx-deployment")
    assert k("rollout", "undo", "deployment.v1.apps/nginx-deployment").stdout == (
        "deployment.apps/nginx-deployment rolled back\n"
    )
    assert k.waiting("rollout", "status", "deployment.v1.apps/nginx-deployment").returncode == 0
    assert d.to_dict()["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.7.9"

    assert k("scale", "deployment.v1.apps/nginx-deployment", "--replicas=10").stdout == (
        "deployment.apps/nginx-deployment scaled\n"
    )
    assert d.replicas == 10
    k.c.advance("30s")
    same_as_kubesim(k, "get deployments")

    r = k("get", "deployment", "nope", ok=False)
    assert (r.returncode, r.stderr) == (1, 'Error from server (NotFound): deployments.apps "nope" not found\n')

    assert k("delete", "deployment", "nginx-deployment").stdout == 'deployment.apps "nginx-deployment" deleted\n'
    assert k.c.deployments() == []


def test_apply_of_a_changed_manifest_is_a_strategic_merge(kubectl: Kubectl, tmp_path: Path) -> None:
    k = kubectl
    text = (EXAMPLES / "nginx-deployment.yaml").read_text()
    k("apply", "-f", str(EXAMPLES / "nginx-deployment.yaml"))
    changed = tmp_path / "nginx.yaml"
    changed.write_text(text.replace("nginx:1.7.9", "nginx:1.9.1"))
    assert k("apply", "-f", str(changed)).stdout == "deployment.apps/nginx-deployment configured\n"
    spec = k.c.deployment("nginx-deployment").to_dict()["spec"]["template"]["spec"]["containers"][0]
    # The container kept what the server defaulted (ports' protocol, pull policy).
    assert spec["image"] == "nginx:1.9.1" and spec["ports"] == [{"containerPort": 80, "protocol": "TCP"}]
    r = k("apply", "--server-side", "-f", str(EXAMPLES / "redis-pod.yaml"))
    assert r.stdout == "pod/redis-master serverside-applied\n"


def test_server_dry_runs_change_nothing(kubectl: Kubectl) -> None:
    k = kubectl
    pod = str(EXAMPLES / "redis-pod.yaml")
    assert k("apply", "--dry-run=server", "-f", pod).stdout == "pod/redis-master created (server dry run)\n"
    assert k.c.pods() == []
    k("apply", "-f", pod)
    assert (
        k("delete", "pod", "redis-master", "--dry-run=server").stdout == 'pod "redis-master" deleted (server dry run)\n'
    )
    assert [p.name for p in k.c.pods()] == ["redis-master"]


def test_label_and_patch_of_every_type(kubectl: Kubectl) -> None:
    k = kubectl
    k("apply", "-f", str(EXAMPLES / "nginx-deployment.yaml"))
    name = "deployment/nginx-deployment"
    assert k("label", name, "tier=web").stdout == "deployment.apps/nginx-deployment labeled\n"
    k("patch", name, "--type=merge", "-p", '{"metadata":{"annotations":{"a":"b"}}}')
    k("patch", name, "-p", '{"spec":{"template":{"spec":{"containers":[{"name":"nginx","image":"nginx:1.25"}]}}}}')
    r = k("patch", name, "--type=json", "-p", '[{"op":"replace","path":"/spec/replicas","value":4}]')
    assert r.stdout == "deployment.apps/nginx-deployment patched\n"
    d = k.c.deployment("nginx-deployment")
    assert d.labels["tier"] == "web" and d.annotations["a"] == "b" and d.replicas == 4
    assert d.to_dict()["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.25"


def test_commands_that_send_protobuf(kubectl: Kubectl) -> None:
    k = kubectl
    k("apply", "-f", str(EXAMPLES / "nginx-deployment.yaml"))
    r = k("autoscale", "deployment.v1.apps/nginx-deployment", "--min=10", "--max=15", "--cpu-percent=80")
    assert r.stdout == "horizontalpodautoscaler.autoscaling/nginx-deployment autoscaled\n"
    same_as_kubesim(k, "get hpa")
    hpa = k.c.hpas()[0].to_dict()["spec"]
    assert (hpa["minReplicas"], hpa["maxReplicas"]) == (10, 15)
    assert k("create", "deployment", "web", "--image=nginx:1.25", "--replicas=2", "--port=80").stdout == (
        "deployment.apps/web created\n"
    )
    container = k.c.deployment("web").to_dict()["spec"]["template"]["spec"]["containers"][0]
    assert container["ports"] == [{"containerPort": 80, "protocol": "TCP"}] and k.c.deployment("web").replicas == 2
    assert k("create", "namespace", "team-a").stdout == "namespace/team-a created\n"


def test_create_of_core_kinds_sends_protobuf_that_is_stored_as_meant(kubectl: Kubectl) -> None:
    k = kubectl
    assert k("create", "configmap", "app", "--from-literal=mode=fast").stdout == "configmap/app created\n"
    assert k("create", "secret", "generic", "creds", "--from-literal=user=admin").stdout == "secret/creds created\n"
    assert k("create", "serviceaccount", "robot").stdout == "serviceaccount/robot created\n"
    assert k("create", "service", "nodeport", "web", "--tcp=80:8080").stdout == "service/web created\n"
    assert k.c.get("configmap", "app").to_dict()["data"] == {"mode": "fast"}
    assert k.c.get("secret", "creds").to_dict()["data"] == {"user": "YWRtaW4="}  # base64 of "admin"
    ports = k.c.get("service", "web").to_dict()["spec"]["ports"]
    assert [(p["port"], p["targetPort"], p["protocol"]) for p in ports] == [(80, 8080, "TCP")]
    assert 30000 <= ports[0]["nodePort"] <= 32767
    same_as_kubesim(k, "get configmaps,secrets,serviceaccounts,services")


def test_drain_deletes_the_pods_of_a_cordoned_node_and_they_come_back_elsewhere(kubectl: Kubectl) -> None:
    # upstream: with --disable-eviction, drain deletes (its DeleteOptions as protobuf).
    k = kubectl
    k("apply", "-f", str(EXAMPLES / "nginx-deployment.yaml"))
    k.c.advance("30s")
    drained = {p.name for p in k.c.pods() if p.node == "node-1"}
    assert drained, "the seed puts a pod on node-1"
    r = k.waiting("drain", "node-1", "--ignore-daemonsets", "--timeout=60s", "--disable-eviction")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "node/node-1 cordoned" and lines[-1] == "node/node-1 drained"
    assert sorted(line for line in lines[1:-1]) == sorted(f"pod/{n} deleted" for n in drained)
    k.c.advance("30s")
    pods = k.c.pods()
    assert len(pods) == 3 and all(p.node != "node-1" for p in pods) and not drained & {p.name for p in pods}
    assert k.c.node("node-1").to_dict()["spec"]["unschedulable"] is True


def test_drain_evicts_through_the_eviction_api_and_retries_while_the_budget_refuses(kubectl: Kubectl) -> None:
    # upstream: pods/eviction is in discovery, so drain POSTs policy/v1 Evictions (protobuf);
    # a 429 is printed and retried after 5 s of the wall clock, while virtual time moves on.
    k = kubectl
    k("create", "deployment", "web", "--image=nginx", "--replicas=6")
    pdb = "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: web\nspec:\n  maxUnavailable: 1\n"
    pdb += "  selector:\n    matchLabels:\n      app: web\n"
    r = subprocess.run([KUBECTL or "kubectl", "apply", "-f", "-"], env=k.env, input=pdb, capture_output=True, text=True)
    assert r.stdout == "poddisruptionbudget.policy/web created\n", r.stderr
    k.c.advance("1m")
    same_as_kubesim(k, "get pdb")
    assert k.c.pdb("web").disruptions_allowed == 1
    mine = sorted(p.name for p in k.c.pods() if p.node == "node-1")
    assert len(mine) == 2, "six pods spread over three nodes"
    r = k.waiting("drain", "node-1", "--timeout=5m", step="2s")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "node/node-1 cordoned" and lines[-1] == "node/node-1 drained"
    assert sorted(set(lines[1:-1])) == sorted(
        [f"evicting pod default/{n}" for n in mine] + [f"pod/{n} evicted" for n in mine]
    )
    refused = [line for line in r.stderr.splitlines() if line]
    assert refused, "the second eviction waited for the first pod's replacement"
    assert all(
        re.fullmatch(
            r'error when evicting pods/"web-[a-z0-9]+-[a-z0-9]+" -n "default" \(will retry after 5s\): '
            r"Cannot evict pod as it would violate the pod's disruption budget\.",
            line,
        )
        for line in refused
    ), refused
    assert sum(line.startswith("evicting pod") for line in lines) == len(mine) + len(refused)
    assert not [p for p in k.c.pods() if p.node == "node-1"]
    described = k("describe", "pdb", "web").stdout
    assert described.startswith("Name:             web\nNamespace:        default\nMax unavailable:  1\n"), described


def test_top_reads_the_metrics_api(kubectl: Kubectl) -> None:
    k = kubectl
    k("apply", "-f", str(EXAMPLES / "nginx-deployment.yaml"))
    k.c.deployment("nginx-deployment").set_load(cpu="600m")
    k.c.advance("1m")
    assert "200m" in same_as_kubesim(k, "top pods")
    same_as_kubesim(k, "top nodes")
    same_as_kubesim(k, "top pods -A --sort-by=cpu")
    r = k("top", "pod", "nope", ok=False)
    assert r.stderr == 'Error from server (NotFound): podmetrics.metrics.k8s.io "default/nope" not found\n'


def test_get_watch_streams_a_rollout(kubectl: Kubectl) -> None:
    k = kubectl
    k("apply", "-f", str(EXAMPLES / "nginx-deployment.yaml"))
    p = subprocess.Popen(
        [KUBECTL or "kubectl", "get", "deployments", "-w"],
        env=k.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        first = p.stdout.readline() if p.stdout else ""
        assert first.split() == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]
        seen: list[str] = [p.stdout.readline().split()[1] if p.stdout else ""]
        for _ in range(20):
            k.c.advance("1s")
        while seen[-1] != "3/3" and p.stdout:
            seen.append(p.stdout.readline().split()[1])
    finally:
        p.kill()
        p.communicate()
    # READY as the rollout went: from 0/3 up to 3/3, never down.
    assert seen[0] == "0/3" and seen[-1] == "3/3"
    counts = [int(s.split("/")[0]) for s in seen]
    assert counts == sorted(counts)


def test_delete_of_a_pod_waits_in_virtual_time(kubectl: Kubectl) -> None:
    k = kubectl
    k("apply", "-f", str(EXAMPLES / "redis-pod.yaml"))
    k.c.advance("10s")
    r = k.waiting("delete", "pod", "redis-master")
    assert r.returncode == 0 and r.stdout == 'pod "redis-master" deleted\n'
    assert k.c.pods() == []


def test_errors_print_as_from_a_real_server(kubectl: Kubectl, tmp_path: Path) -> None:
    k = kubectl
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        (EXAMPLES / "nginx-deployment.yaml").read_text().replace("replicas: 3", "replicas: -1"),
    )
    r = k("apply", "-f", str(bad), ok=False)
    assert r.returncode == 1
    assert 'The Deployment "nginx-deployment" is invalid: spec.replicas: Invalid value: -1' in r.stderr
    odd = tmp_path / "odd.yaml"
    odd.write_text((EXAMPLES / "redis-pod.yaml").read_text().replace("spec:\n", "spec:\n  colour: blue\n", 1))
    r = k("apply", "-f", str(odd), ok=False)
    assert r.stderr == (
        f'Error from server (BadRequest): error when creating "{odd}": Pod in version "v1" cannot be handled as a '
        'Pod: strict decoding error: unknown field "spec.colour"\n'
    )
    r = k("apply", "--validate=false", "-f", str(odd))
    assert r.stdout == "pod/redis-master created\n"
    r = k("create", "-f", str(EXAMPLES / "redis-pod.yaml"), ok=False)
    assert "Error from server (AlreadyExists): error when creating" in r.stderr
    assert 'pods "redis-master" already exists' in r.stderr


def test_the_cli_serves_in_the_foreground(tmp_path: Path) -> None:
    p = subprocess.Popen(
        [sys.executable, "-m", "kubesim", "serve", "--clock", "manual"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        kubeconfig = p.stdout.readline().strip() if p.stdout else ""
        assert kubeconfig.endswith("kubeconfig")
        env = {**os.environ, "KUBECONFIG": kubeconfig, "KUBECACHEDIR": str(tmp_path / "cache")}
        r = subprocess.run([KUBECTL or "kubectl", "get", "nodes"], env=env, capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        assert r.stdout.splitlines()[1].split()[:2] == ["node-1", "Ready"]
    finally:
        p.send_signal(signal.SIGTERM)
        p.communicate(timeout=30)
    assert p.returncode == 0
    assert not os.path.exists(kubeconfig), "stopping removes the kubeconfig"


def _mask_event_ages(text: str) -> str:
    """kubectl describe computes event ages client-side from the wall clock: the only cells
    where the served cluster's output differs from kubesim's (which measures them on the
    virtual clock). The Events table is compared cell by cell without its Age column (whose
    width moves the columns after it)."""
    out, in_events = [], False
    for line in text.splitlines():
        in_events = in_events or line.startswith("Events:")
        cells = re.split(r"\s{2,}", line.strip())
        out.append(" | ".join(cells[:2] + cells[3:]) if in_events and len(cells) >= 5 else line)
    return "\n".join(out)


def test_the_seed_walkthrough(kubectl: Kubectl) -> None:
    """The tutorial as `kubesim demo` runs it, with the real kubectl: read commands print what
    c.kubectl() prints for the same state; writes print kubectl's messages."""
    from kubesim.cli import SEED

    k = kubectl
    for command in SEED:
        args = command.split()[1:]
        args = [str(EXAMPLES / "nginx-deployment.yaml") if a.startswith("https://k8s.io/") else a for a in args]
        args = [str(EXAMPLES / a.removeprefix("examples/")) if a.startswith("examples/") else a for a in args]
        if args[:2] == ["rollout", "status"]:
            r = k.waiting(*args)
            assert r.returncode == 0 and r.stdout.endswith('deployment "nginx-deployment" successfully rolled out\n')
        elif args[0] in ("get", "describe") or args[:2] == ["rollout", "history"]:
            real = k(*args).stdout
            mine = k.c.kubectl(" ".join(args))
            if args[0] == "describe":
                real, mine = _mask_event_ages(real), _mask_event_ages(mine)
            assert real == mine, command
        else:
            r = k(*args)
            assert r.stdout.rstrip().endswith(("created", "image updated", "rolled back", "scaled", "autoscaled")), (
                command,
                r.stdout,
            )
        k.c.advance("1s")  # a user reads the output and types the next command, as in the demo


GETS = [
    "get events",
    "get all -A",
    "get ns",
    "get hpa -o wide",
    "get pods -L app",
    "get deploy --no-headers",
    "get pods -l app=nginx",
    "get rs --sort-by=.metadata.name",
    "get nodes -o wide",
    "get pods -A -o wide",
    "get deploy,rs",
    "get pod redis-master",
    "get deploy nope",
]


def test_get_prints_what_kubesim_prints(kubectl: Kubectl) -> None:
    """Server-side Tables through kubectl's own printer: the same bytes as kubesim's printers,
    for every kind and option, errors included."""
    k = kubectl
    k.c.apply(str(EXAMPLES / "nginx-deployment.yaml"))
    k.c.apply(str(EXAMPLES / "redis-pod.yaml"))
    k.c.advance("20s")
    k.c.deployment("nginx-deployment").autoscale(min=2, max=5, cpu_percent=80)
    k.c.advance("40s")
    for command in GETS:
        real = k(*command.split(), ok=False)
        mine = k.c.kubectl(command, check=False)
        assert (real.stdout, real.stderr, real.returncode) == (mine.stdout, mine.stderr, mine.exit_code), command


def test_auth_can_i_and_whoami_answer_as_an_always_allow_server(kubectl: Kubectl) -> None:
    # kubesim's server authorizes everything (upstream: --authorization-mode=AlwaysAllow) and,
    # without a token, knows every caller as upstream's anonymous user.
    k = kubectl
    assert k("auth", "can-i", "create", "pods").stdout == "yes\n"
    assert k("auth", "can-i", "delete", "nodes", "--all-namespaces").stdout == "yes\n"
    assert k("auth", "can-i", "get", "/healthz").stdout == "yes\n"
    assert k("auth", "can-i", "create", "pods", "--as=system:serviceaccount:default:bot").stdout == "yes\n"
    rules = k("auth", "can-i", "--list").stdout.splitlines()
    assert [line.split() for line in rules] == [
        ["Resources", "Non-Resource", "URLs", "Resource", "Names", "Verbs"],
        ["*.*", "[]", "[]", "[*]"],
        ["[*]", "[]", "[*]"],
    ]
    assert k("auth", "whoami").stdout == (
        "ATTRIBUTE   VALUE\nUsername    system:anonymous\nGroups      [system:unauthenticated]\n"
    )
    me = json.loads(k("auth", "whoami", "--as=jane", "--as-group=dev", "-o", "json").stdout)
    assert me["status"]["userInfo"] == {"username": "jane", "groups": ["dev", "system:authenticated"]}
    assert me["metadata"]["creationTimestamp"] == k.c.now.strftime("%Y-%m-%dT%H:%M:%SZ")
    names = k("api-resources", "--api-group=authorization.k8s.io", "-o", "name").stdout.split()
    assert names == [
        "localsubjectaccessreviews.authorization.k8s.io",
        "selfsubjectaccessreviews.authorization.k8s.io",
        "selfsubjectrulesreviews.authorization.k8s.io",
        "subjectaccessreviews.authorization.k8s.io",
    ]


def test_field_selectors_select_and_refuse_as_c_kubectl_does(kubectl: Kubectl) -> None:
    # One implementation (the core's) answers the server's LIST and c.kubectl(): the same pods,
    # and the same refusals, which the real kubectl words from the server's 400.
    k = kubectl
    k.c.kubectl("create deployment web --image=nginx --replicas=3")
    k.c.advance("30s")
    for selector in ["status.phase=Running", "status.phase!=Running", "spec.nodeName=node-1,status.phase==Running"]:
        same_as_kubesim(k, f"get pods --field-selector {selector} -o name")
    for selector in ["foo", "spec.foo=bar", "status.phase=a=b", r"status.phase=a\x"]:
        real = k("get", "pods", "--field-selector", selector, ok=False)
        mine = k.c.kubectl(f"get pods --field-selector {shlex.quote(selector)}", check=False)
        assert (real.returncode, real.stderr) == (mine.exit_code, mine.stderr), selector


def test_create_token_issues_a_token_with_upstreams_claims(kubectl: Kubectl) -> None:
    k = kubectl
    token = k("create", "token", "default", "--audience=vault", "--duration=2h").stdout.strip()
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    now = int(k.c.now.timestamp())
    uid = k.c.get("serviceaccount", "default").uid
    assert claims["aud"] == ["vault"] and (claims["iat"], claims["exp"]) == (now, now + 7200)
    assert claims["sub"] == "system:serviceaccount:default:default"
    assert claims["kubernetes.io"] == {"namespace": "default", "serviceaccount": {"name": "default", "uid": uid}}
    # kubesim signs nothing, and says so in the header.
    assert json.loads(base64.urlsafe_b64decode(header + "==")) == {"alg": "none", "typ": "JWT"} and signature == ""
    short = k("create", "token", "default", "--duration=5m", ok=False)
    assert short.stderr == (
        'error: failed to create token: TokenRequest.authentication.k8s.io "" is invalid: '
        "spec.expirationSeconds: Invalid value: 300: may not specify a duration less than 10 minutes\n"
    )
    missing = k("create", "token", "robot", ok=False)
    assert missing.stderr == 'error: failed to create token: serviceaccounts "robot" not found\n'
