"""Everyday kubectl verbs beyond get/apply/rollout: cordon, uncordon, taint and `get -w` in
virtual time (kubectl-everyday.md §2, §6), printing what kubectl 1.32 prints."""

from __future__ import annotations

import pytest

import kubesim


@pytest.fixture
def c() -> kubesim.Cluster:
    return kubesim.Cluster(nodes=3, seed=0)


def run(c: kubesim.Cluster, command: str, **kw) -> tuple[str, str, int]:
    r = c.kubectl(command, check=False, **kw)
    return r.stdout, r.stderr, r.exit_code


# ----- cordon, uncordon -----


def test_cordon_marks_the_node_unschedulable_and_the_scheduler_obeys(c):
    assert run(c, "cordon node-1") == ("node/node-1 cordoned\n", "", 0)
    assert run(c, "cordon node-1") == ("node/node-1 already cordoned\n", "", 0)
    assert c.kubectl("get node node-1").splitlines()[1].split()[1] == "Ready,SchedulingDisabled"
    c.kubectl("cordon node-2 node/node-3")
    c.kubectl("create deployment web --image=nginx --replicas=2")
    c.advance("10s")
    assert {p.phase for p in c.pods()} == {"Pending"}, "no node is schedulable"
    assert run(c, "uncordon node-2 --dry-run=client") == ("node/node-2 uncordoned (dry run)\n", "", 0)
    assert c.node("node-2").to_dict()["spec"]["unschedulable"] is True
    assert run(c, "uncordon -l kubernetes.io/hostname=node-2") == ("node/node-2 uncordoned\n", "", 0)
    assert "unschedulable" not in c.node("node-2").to_dict()["spec"]
    c.advance("30s")
    assert {p.node for p in c.pods()} == {"node-2"}
    assert run(c, "uncordon node-2") == ("node/node-2 already uncordoned\n", "", 0)
    assert run(c, "cordon nope") == ("", 'Error from server (NotFound): nodes "nope" not found\n', 1)


# ----- taint -----


def test_taint_adds_overwrites_and_removes_like_kubectl(c):
    assert run(c, "taint nodes node-1 dedicated=gpu:NoSchedule") == ("node/node-1 tainted\n", "", 0)
    assert c.node("node-1").to_dict()["spec"]["taints"] == [
        {"effect": "NoSchedule", "key": "dedicated", "value": "gpu"}
    ]
    assert run(c, "taint nodes node-1 dedicated=cpu:NoSchedule") == (
        "",
        "error: node node-1 already has dedicated taint(s) with same effect(s) and --overwrite is false\n",
        1,
    )
    assert run(c, "taint node node-1 dedicated=cpu:NoSchedule --overwrite") == ("node/node-1 modified\n", "", 0)
    assert run(c, "taint node/node-1 other:PreferNoSchedule dedicated-") == ("node/node-1 modified\n", "", 0)
    assert c.node("node-1").to_dict()["spec"]["taints"] == [{"effect": "PreferNoSchedule", "key": "other"}]
    assert run(c, "taint nodes node-1 other:PreferNoSchedule-") == ("node/node-1 untainted\n", "", 0)
    assert "taints" not in c.node("node-1").to_dict()["spec"]
    assert run(c, "taint nodes node-1 dedicated:NoSchedule-") == (
        "",
        'error: taint "dedicated:NoSchedule" not found\n',
        1,
    )
    assert run(c, "taint nodes node-1 a=c:NoSchedule a-") == (
        "",
        "error: can not both modify and remove the following taint(s) in the same command: a=\n",
        1,
    )
    assert run(c, "taint pods x a=b:NoSchedule")[1] == (
        "error: invalid resource type pods, only node types are supported\n"
    )
    assert run(c, "taint nodes --all zone=a:NoSchedule -o name") == ("node/node-1\nnode/node-2\nnode/node-3\n", "", 0)


def test_a_tainted_node_takes_only_pods_that_tolerate_it(c):
    c.kubectl("taint nodes node-1 node-2 dedicated=gpu:NoSchedule")
    c.kubectl("create deployment web --image=nginx --replicas=3")
    c.advance("10s")
    assert {p.node for p in c.pods()} == {"node-3"}


# ----- get -w in virtual time -----


def test_get_watch_prints_the_rows_a_watching_kubectl_would_have_printed(c):
    c.kubectl("create deployment web --image=nginx --replicas=1")
    pod = c.pods()[0].name
    out, err, code = run(c, "get pods -w", for_="30s")
    assert (err, code) == ("", 0)
    # The list, then one row per event as the pod started (the pull ending at 2s changed
    # nothing the API shows, so no event and no row).
    assert out.splitlines() == [
        "NAME                   READY   STATUS              RESTARTS   AGE",
        f"{pod}   0/1     ContainerCreating   0          0s",
        f"{pod}   1/1     Running             0          3s",
    ]
    assert c.elapsed == 30.0, "the watch ran for the virtual time asked for"
    # A rollout seen with --output-watch-events; a later, longer name widens its column only.
    out = c.kubectl("get deploy -w --output-watch-events", for_="5s")
    assert (
        out
        == "EVENT   NAME   READY   UP-TO-DATE   AVAILABLE   AGE\nADDED   web    1/1     1            1           30s\n"
    )


def test_watch_only_prints_the_header_with_the_first_event(c):
    c.kubectl("create deployment web --image=nginx --replicas=1")
    pod = c.pods()[0].name
    out = c.kubectl("get pods --watch-only", for_="10s")
    assert out.splitlines() == [
        "NAME                   READY   STATUS    RESTARTS   AGE",
        f"{pod}   1/1     Running   0          3s",
    ]
    assert c.kubectl("get pods -w -o name", for_="1s") == f"pod/{pod}\n"
    assert c.kubectl("get pods --watch-only", for_="1m") == "", "nothing happened, nothing printed"


def test_a_watched_deletion_shows_terminating_then_the_last_state(c):
    c.apply(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "slow"},
            "spec": {"containers": [{"name": "c", "image": "busybox"}]},
        }
    )
    c.advance("1m")
    c.delete("pod", "slow", propagation="Background")
    lines = c.kubectl("get pods -w", for_="1m").splitlines()
    # busybox ignores SIGTERM: the pod terminates when its 30 s grace period runs out.
    assert lines[0].split() == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    assert lines[1].split() == ["slow", "1/1", "Terminating", "0", "60s"]
    assert lines[-1].split()[0] == "slow" and lines[-1].split()[4] == "90s"
    assert c.kubectl("get pods") == "No resources found in default namespace.\n"


def test_watch_errors_are_kubectls(c):
    assert run(c, "get pods,deploy -w", for_="1s") == ("", "error: you may only specify a single resource type\n", 1)
    assert run(c, "get pods --output-watch-events") == (
        "",
        "error: --output-watch-events option can only be used with --watch or --watch-only\n",
        1,
    )
    out, err, code = run(c, "get pods -w")
    assert (out, code) == ("", 1) and 'for_="2m"' in err, "a watch needs a stretch of virtual time"
    assert run(c, "get pods -w --sort-by=.metadata.name", for_="1s")[1] == (
        "warning: --watch requested, --sort-by will be ignored for watch events received\n"
    )


def test_kubesim_kubectl_watches_for_a_stretch_of_virtual_time(tmp_path, capsys):
    from kubesim import cli

    state = ["--state", str(tmp_path / "state"), "--clock=manual"]
    assert cli.main(["kubectl", *state, "create", "deployment", "web", "--image=nginx"]) == 0
    capsys.readouterr()
    assert cli.main(["kubectl", *state, "get", "pods", "-w", "--for=10s"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    assert [line.split()[2] for line in lines[1:]] == ["ContainerCreating", "Running"]


# ----- patch -----


def test_patch_strategic_merge_json_and_their_messages(c):
    c.kubectl("create deployment web --image=nginx --replicas=2")
    rv = c.deployment("web").resource_version
    assert run(c, """patch deployment web -p '{"spec":{"replicas":2}}'""") == (
        "deployment.apps/web patched (no change)\n",
        "",
        0,
    )
    assert c.deployment("web").resource_version == rv, "a no-op patch writes nothing"
    # Strategic merge: containers merge by name, so the sidecar joins nginx (and goes first, as
    # upstream's element order puts a new item before the live ones).
    sidecar = '{"spec":{"template":{"spec":{"containers":[{"name":"sidecar","image":"busybox"}]}}}}'
    assert run(c, f"patch deploy web -p '{sidecar}'") == ("deployment.apps/web patched\n", "", 0)
    names = c.kubectl("get deploy web -o jsonpath={.spec.template.spec.containers[*].name}")
    assert names == "sidecar nginx"
    # A merge patch replaces the list.
    c.kubectl(f"patch deploy web --type merge -p '{sidecar}'")
    assert c.kubectl("get deploy web -o jsonpath={.spec.template.spec.containers[*].name}") == "sidecar"
    assert run(c, """patch deploy web --type=json -p '[{"op":"replace","path":"/spec/replicas","value":4}]'""")[0] == (
        "deployment.apps/web patched\n"
    )
    assert c.deployment("web").replicas == 4
    # YAML is accepted too; a dry run prints plain "patched" and changes nothing.
    rv = c.deployment("web").resource_version
    assert run(c, "patch deploy web -p 'spec: {replicas: 1}' --dry-run=client") == (
        "deployment.apps/web patched\n",
        "",
        0,
    )
    assert c.deployment("web").resource_version == rv and c.deployment("web").replicas == 4


def test_a_bad_patch_changes_nothing_and_says_why(c):
    c.kubectl("create deployment web --image=nginx")
    rv = c.deployment("web").resource_version
    assert run(c, """patch deploy web -p '{"spec":{"replicas":-1}}'""") == (
        "",
        'The Deployment "web" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0\n',
        1,
    )
    out, err, code = run(c, """patch deploy web --type json -p '[{"op":"remove","path":"/spec/nope"}]'""")
    assert (out, code) == ("", 1)
    assert "Unable to remove nonexistent key: nope: missing value" in err
    assert run(c, """patch deploy nope -p '{}'""") == (
        "",
        'Error from server (NotFound): deployments.apps "nope" not found\n',
        1,
    )
    assert c.deployment("web").resource_version == rv


# ----- --field-selector -----


def test_field_selectors_filter_as_the_api_server_does(c):
    c.kubectl("create deployment web --image=nginx --replicas=3")
    c.images.register("bad:1", exists=False)
    c.apply(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "broken"},
            "spec": {"containers": [{"name": "c", "image": "bad:1"}]},
        }  # fmt: skip
    )
    c.advance("30s")
    assert c.kubectl("get pods --field-selector status.phase!=Running -o name") == "pod/broken\n"
    on_node_1 = sorted(f"pod/{p.name}" for p in c.pods() if p.node == "node-1" and p.phase == "Running")
    out = c.kubectl("get pods --field-selector=spec.nodeName=node-1,status.phase==Running -o name")
    assert out.splitlines() == on_node_1
    assert c.kubectl("get pods --field-selector metadata.name=broken -o name") == "pod/broken\n"
    assert run(c, "get deploy --field-selector spec.replicas=3") == (
        "",
        'Error from server (BadRequest): Unable to find "apps/v1, Resource=deployments" that match label selector '
        '"", field selector "spec.replicas=3": "spec.replicas" is not a known field selector: only "metadata.name", '
        '"metadata.namespace"\n',
        1,
    )
    assert run(c, "get pods --field-selector status.phase=Succeeded") == (
        "",
        "No resources found in default namespace.\n",
        0,
    )
    assert run(c, "get pods broken --field-selector status.phase=Pending")[1] == (
        "error: name cannot be provided when a selector is specified\n"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        # upstream fields.ParseSelector and UnescapeValue (Go prints the rune's code), and each
        # kind's field label conversion; kubectl wraps the server's 400 the same way for each.
        ("pods --field-selector foo", "invalid selector: 'foo'; can't understand 'foo'"),
        ("pods --field-selector status.phase=a=b", "invalid field selector: unescaped character in value: 61"),
        ("pods --field-selector spec.foo=bar", "field label not supported: spec.foo"),
        ("nodes --field-selector metadata.namespace=x", "field label not supported: metadata.namespace"),
        ("pods -w --field-selector spec.foo=1", "field label not supported: spec.foo"),
    ],
)
def test_a_refused_field_selector_reads_as_from_the_api_server(c, args, message):
    resource, selector = args.split()[0], args.split("--field-selector ")[1]
    gvr = '"/v1, Resource=pods"' if resource == "pods" else '"/v1, Resource=nodes"'
    assert run(c, f"get {args}", for_="10s") == (
        "",
        f'Error from server (BadRequest): Unable to find {gvr} that match label selector "", field selector '
        f'"{selector}": {message}\n',
        1,
    )


def test_fields_of_jobs_nodes_and_escaped_values_select_as_upstream(c):
    c.kubectl("create job done --image=busybox -- echo hi")
    c.kubectl("create job waiting --image=busybox -- sleep 600")
    c.kubectl("cordon node-2")
    c.advance("1m")
    # upstream: the Job registry selects on status.successful, the Node registry on
    # spec.unschedulable (a missing count is 0, a missing flag false).
    assert c.kubectl("get jobs --field-selector status.successful=1 -o name") == "job.batch/done\n"
    assert c.kubectl("get jobs --field-selector status.successful=0 -o name") == "job.batch/waiting\n"
    assert c.kubectl("get nodes --field-selector spec.unschedulable=true -o name") == "node/node-2\n"
    assert len(c.kubectl("get nodes --field-selector spec.unschedulable=false -o name").split()) == 2
    # The Python API selects the same way; an escaped comma is part of a value.
    assert [j.name for j in c.list("jobs", field_selector="status.successful!=0")] == ["done"]
    assert c.list("pods", field_selector=r"metadata.name=a\,b") == []
    with pytest.raises(kubesim.InvalidArgumentError, match='"spec.replicas" is not a known field selector'):
        c.list("deployments", field_selector="spec.replicas=1")
    # upstream: batch/v1's conversion words its refusal its own way.
    with pytest.raises(
        kubesim.InvalidArgumentError, match='field label "status.succeeded" not supported for batchv1.Job'
    ):
        c.list("jobs", field_selector="status.succeeded=1")


# ----- set image|env|resources, scale --all, label --dry-run -----


def test_set_image_takes_replicasets_and_pods_too(c):
    c.kubectl("create deployment web --image=nginx")
    rs = c.deployment("web").replicasets()[0].name
    pod = c.pods()[0].name
    assert run(c, f"set image rs/{rs} nginx=nginx:1.27") == (f"replicaset.apps/{rs} image updated\n", "", 0)
    assert c.replicaset(rs).to_dict()["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.27"
    assert run(c, f"set image pod {pod} nginx=nginx:1.27 --dry-run=client") == (
        f"pod/{pod} image updated (dry run)\n",
        "",
        0,
    )
    assert c.pod(pod).to_dict()["spec"]["containers"][0]["image"] == "nginx"
    assert run(c, f"set image pod/{pod} nginx=nginx:1.27") == (f"pod/{pod} image updated\n", "", 0)
    assert c.pod(pod).to_dict()["spec"]["containers"][0]["image"] == "nginx:1.27"
    assert run(c, f"set image pod/{pod} nginx=nginx:1.27") == ("", "", 0), "no change prints nothing"
    c.apply({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm"}})
    assert run(c, "set image cm/cm nginx=x") == (
        "",
        "error: configmaps/cm the object is not a pod or does not have a pod template: *v1.ConfigMap\n",
        1,
    )
    # With --all, one line per object; a failure comes after the successes.
    c.kubectl("create deployment api --image=redis")
    out, err, code = run(c, "set image deployments --all nginx=nginx:1.28")
    assert (out, err, code) == (
        "deployment.apps/web image updated\n",
        'error: unable to find container named "nginx"\n',
        1,
    )


def test_set_env_adds_replaces_removes_and_lists(c):
    c.kubectl("create deployment web --image=nginx")
    assert run(c, "set env deployment/web GREETING=hello MODE=fast") == ("deployment.apps/web env updated\n", "", 0)
    assert run(c, "set env deployment/web GREETING=hello") == ("", "", 0)
    c.kubectl("set env deployment/web MODE-")
    c.apply(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "cfg"},
            "data": {"log.level": "info", "db-host": "db"},
        }  # fmt: skip
    )
    c.kubectl("set env deploy/web --from=configmap/cfg --prefix=APP_")
    assert c.kubectl("set env deploy/web --list") == (
        "# Deployment web, container nginx\nGREETING=hello\n"
        "# APP_DB_HOST from configmap cfg, key db-host\n# APP_LOG_LEVEL from configmap cfg, key log.level\n"
    )
    assert run(c, "set env deploy/web A=1 -c nope") == (
        "",
        'Warning: Deployment/web does not have any containers matching "nope"\n',
        0,
    )
    run(c, "rollout status deploy/web")
    pod = [p for p in c.pods() if p.ready][0].to_dict()
    assert [e["name"] for e in pod["spec"]["containers"][0]["env"]] == ["GREETING", "APP_DB_HOST", "APP_LOG_LEVEL"]


def test_set_resources_updates_requests_and_limits(c):
    c.kubectl("create deployment web --image=nginx")
    assert run(c, "set resources deploy web --limits=cpu=500m,memory=256Mi --requests=cpu=100m") == (
        "deployment.apps/web resource requirements updated\n",
        "",
        0,
    )
    res = c.deployment("web").to_dict()["spec"]["template"]["spec"]["containers"][0]["resources"]
    assert res == {"limits": {"cpu": "500m", "memory": "256Mi"}, "requests": {"cpu": "100m"}}
    assert run(c, "set resources deploy web --requests=cpu=100m") == ("", "", 0)
    assert run(c, "set resources deploy web -c nope --limits=cpu=1") == (
        "",
        "error: unable to find container named nope\n",
        1,
    )


def test_scale_all_and_by_selector(c):
    c.kubectl("create deployment web --image=nginx")
    c.kubectl("create deployment api --image=nginx")
    assert run(c, "scale deploy --all --replicas=3") == (
        "deployment.apps/api scaled\ndeployment.apps/web scaled\n",
        "",
        0,
    )
    assert [c.deployment(n).replicas for n in ("api", "web")] == [3, 3]
    assert run(c, "scale deploy -l app=web --replicas=1 --dry-run=client") == (
        "deployment.apps/web scaled (dry run)\n",
        "",
        0,
    )
    assert c.deployment("web").replicas == 3
    assert run(c, "scale deploy -l app=nope --replicas=1") == ("", "error: no objects passed to scale\n", 1)


def test_label_dry_run_changes_nothing(c):
    c.kubectl("create deployment web --image=nginx")
    rv = c.deployment("web").resource_version
    assert run(c, "label deploy web tier=front --dry-run=client") == (
        "deployment.apps/web labeled (dry run)\n",
        "",
        0,
    )
    assert run(c, "label deploy web tier=front --dry-run=server -o jsonpath={.metadata.labels.tier}") == (
        "front",
        "",
        0,
    )
    assert c.deployment("web").resource_version == rv and "tier" not in c.deployment("web").labels
    assert run(c, "label deploy web env-") == ('label "env" not found.\ndeployment.apps/web not labeled\n', "", 0)


# ----- run, expose -----

# kubectl-everyday.md §7.1: `kubectl run nginx2 --image=nginx --dry-run=client -o yaml` (kubectl
# needs discovery for it, so it is not among the offline recordings).
RUN_NGINX2 = """apiVersion: v1
kind: Pod
metadata:
  creationTimestamp: null
  labels:
    run: nginx2
  name: nginx2
spec:
  containers:
  - image: nginx
    name: nginx2
    resources: {}
  dnsPolicy: ClusterFirst
  restartPolicy: Always
status: {}
"""


def test_run_creates_a_pod_as_kubectl_builds_it(c):
    assert c.kubectl("run nginx2 --image=nginx --dry-run=client -o yaml") == RUN_NGINX2
    assert c.kubectl("get pods -o name") == "", "a client dry run stores nothing"
    out = c.kubectl("run web --image=nginx --env=A=1 --env=B=two --port=8080 --restart=Never --dry-run=client -o yaml")
    container = out.split("  containers:\n")[1].split("  dnsPolicy")[0]
    assert container == (
        '  - env:\n    - name: A\n      value: "1"\n    - name: B\n      value: two\n    image: nginx\n'
        "    name: web\n    ports:\n    - containerPort: 8080\n    resources: {}\n"
    )
    assert run(c, "run nginx --image=nginx") == ("pod/nginx created\n", "", 0)
    assert c.pod("nginx").labels == {"run": "nginx"}
    c.run_until(lambda: c.pod("nginx").ready, timeout="1m")
    assert run(c, "run nginx --image=nginx") == (
        "",
        'Error from server (AlreadyExists): pods "nginx" already exists\n',
        1,
    )
    assert run(c, "run e1 --image=nginx --expose --port=80") == ("service/e1 created\npod/e1 created\n", "", 0)
    assert c.get("service", "e1").selector == {"run": "e1"}
    assert run(c, "run sleeper --image=busybox --restart=Never --command -- sleep 3600")[0] == "pod/sleeper created\n"
    assert c.pod("sleeper").to_dict()["spec"]["containers"][0]["command"] == ["sleep", "3600"]


def test_expose_builds_the_service_from_the_workload(c):
    c.kubectl("create deployment web --image=nginx --port=8080 --replicas=2")
    assert c.kubectl("expose deployment web --port=80 --target-port=8080 --dry-run=client -o yaml") == (
        "apiVersion: v1\nkind: Service\nmetadata:\n  creationTimestamp: null\n  labels:\n    app: web\n  name: web\n"
        "spec:\n  ports:\n  - port: 80\n    protocol: TCP\n    targetPort: 8080\n  selector:\n    app: web\n"
        "status:\n  loadBalancer: {}\n"
    )
    assert run(c, "expose deployment web --port=80 --target-port=8080") == ("service/web exposed\n", "", 0)
    assert run(c, "expose deployment web --port=80") == (
        "",
        'Error from server (AlreadyExists): services "web" already exists\n',
        1,
    )
    assert run(c, "expose deploy/web --name=direct") == ("service/direct exposed\n", "", 0)
    assert c.get("service", "direct").ports == [{"port": 8080, "protocol": "TCP", "targetPort": 8080}]
    c.run_until(lambda: all(p.ready for p in c.pods()), timeout="1m")
    endpoints = next(x for x in c.kubectl("describe svc web").splitlines() if x.startswith("Endpoints:"))
    assert sorted(endpoints.split()[1].split(",")) == sorted(f"{p.to_dict()['status']['podIP']}:8080" for p in c.pods())
    c.apply({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm"}})
    assert run(c, "expose cm cm --port=80") == ("", "error: cannot expose a ConfigMap\n", 1)
    c.kubectl("run bare --image=nginx")
    assert run(c, "expose pod bare") == ("", "error: couldn't find port via --port flag or introspection\n", 1)


def test_rollout_of_a_replicaset_gets_each_helpers_error(c):
    c.kubectl("create deployment web --image=nginx")
    rs = c.deployment("web").replicasets()[0].name
    errors = {sub: run(c, f"rollout {sub} rs/{rs}")[1] for sub in ("status", "history", "undo", "pause", "restart")}
    # upstream: polymorphichelpers has viewers and rollbackers for Deployments, DaemonSets and
    # StatefulSets only.
    assert errors == {
        "status": "error: no status viewer has been implemented for ReplicaSet.apps\n",
        "history": 'error: no history viewer has been implemented for "ReplicaSet.apps"\n',
        "undo": 'error: no rollbacker has been implemented for "ReplicaSet.apps"\n',
        "pause": f'error: replicasets.apps "{rs}" pausing is not supported\n',
        "restart": f'error: replicasets.apps "{rs}" restarting is not supported\n',
    }


def test_kubesim_kubectl_get_w_in_wall_mode_follows_the_wall_clock_until_ctrl_c(tmp_path, capsys, monkeypatch):
    from kubesim import cli
    from kubesim._kubectl import watch

    state = ["--state", str(tmp_path / "state")]
    assert cli.main(["kubectl", *state, "--clock=manual", "create", "deployment", "web", "--image=nginx"]) == 0
    capsys.readouterr()
    # A wall clock that moves one second per look, and a Ctrl-C after ten looks (no real sleeping).
    wall = iter(range(1000))
    looks = []

    def sleep(seconds):
        looks.append(seconds)
        if len(looks) > 10:
            raise KeyboardInterrupt

    monkeypatch.setattr(watch, "_clock", lambda: float(next(wall)))
    monkeypatch.setattr(watch, "_sleep", sleep)
    code = cli.main(["kubectl", *state, "--clock=manual", "get", "pods", "-w"])
    assert code == 1 and "--for" in capsys.readouterr().err, "a manual clock needs --for"
    code = cli.main(["kubectl", *state, "--clock=wall", "get", "pods", "-w"])
    out = capsys.readouterr().out.splitlines()
    assert code == 130
    assert [line.split()[2] for line in out[1:]] == ["ContainerCreating", "Running"]
    # The cluster was saved as it stood when Ctrl-C came: ten wall seconds later.
    assert cli.main(["kubectl", *state, "--clock=manual", "get", "pods"]) == 0
    assert capsys.readouterr().out.splitlines()[1].split()[2] == "Running"


# ----- drain -----


def test_drain_cordons_evicts_and_waits_until_the_pods_are_gone(c):
    c.kubectl("create deployment web --image=nginx --replicas=6")
    c.kubectl("run bare --image=busybox")
    c.advance("1m")
    node = c.pod("bare").node
    on_node = sorted(p.name for p in c.pods() if p.node == node)
    # A pod no controller would recreate blocks the drain, but the node stays cordoned.
    out, err, code = run(c, f"drain {node}")
    assert (out, code) == (f"node/{node} cordoned\n", 1)
    assert err == (
        f'error: unable to drain node "{node}" due to error: cannot delete cannot delete Pods that declare no '
        "controller (use --force to override): default/bare, continuing command...\n"
        f"There are pending nodes to be drained:\n {node}\n"
        "cannot delete cannot delete Pods that declare no controller (use --force to override): default/bare\n"
    )
    assert sorted(p.name for p in c.pods() if p.node == node) == on_node, "nothing was evicted"
    out, err, code = run(c, f"drain {node} --force")
    assert code == 0 and err == "Warning: deleting Pods that declare no controller: default/bare\n"
    lines = out.splitlines()
    assert lines[0] == f"node/{node} already cordoned" and lines[-1] == f"node/{node} drained"
    assert lines[1 : 1 + len(on_node)] == [f"evicting pod default/{n}" for n in on_node]
    # Each pod is reported as it disappears: busybox ignores SIGTERM, so `bare` goes last.
    evicted = lines[1 + len(on_node) : -1]
    assert sorted(evicted) == sorted(f"pod/{n} evicted" for n in on_node) and evicted[-1] == "pod/bare evicted"
    assert not [p for p in c.pods() if p.node == node]
    c.run_until(lambda: c.deployment("web").available_replicas == 6, timeout="1m")
    assert run(c, "drain") == (
        "",
        "error: USAGE: drain NODE [flags]\nSee 'kubectl drain -h' for help and examples\n",
        1,
    )


def test_get_watch_prints_objects_for_structured_output(c):
    import json

    c.kubectl("create deployment web --image=nginx")
    lines = c.kubectl("get pods -w -o json --output-watch-events", for_="5s").splitlines()
    events = [json.loads(line) for line in lines]  # one compact {type, object} per line
    assert [e["type"] for e in events] == ["ADDED", "MODIFIED"]
    assert [e["object"]["status"]["phase"] for e in events] == ["Pending", "Running"]
    assert lines[0].startswith('{"type":"ADDED","object":{"apiVersion":"v1"')
    c.kubectl("scale deploy web --replicas=2")
    out = c.kubectl("get pods -w -o yaml", for_="5s")
    docs = out.split("---\n")
    assert all(d.startswith("apiVersion: v1\nkind: Pod\n") for d in docs) and len(docs) >= 3


def test_an_unschedulable_pod_reports_its_reason_in_the_condition_only(c):
    # upstream: the scheduler writes the PodScheduled condition; status.message stays unset, so
    # kubectl 1.32's describe prints no Message: line for it.
    c.apply(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "big"},
            "spec": {"containers": [{"name": "c", "image": "nginx", "resources": {"requests": {"cpu": "100"}}}]},
        }  # fmt: skip
    )
    c.advance("5s")
    status = c.pod("big").to_dict()["status"]
    assert "message" not in status
    assert status["conditions"][0]["message"].startswith("0/3 nodes are available: 3 Insufficient cpu.")
    assert not [line for line in c.kubectl("describe pod big").splitlines() if line.startswith("Message:")]


def test_a_finished_pods_ready_condition_says_why_without_a_message(c):
    # upstream: GenerateContainersReadyCondition — PodFailed / PodCompleted for terminal phases.
    c.images.register("job:1", crash_after="5s", exit_code=1)
    c.images.register("ok:1", completes_after="5s")
    for name, image in (("failed", "job:1"), ("done", "ok:1")):
        c.apply(
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": name},
                "spec": {"restartPolicy": "Never", "containers": [{"name": "c", "image": image}]},
            }  # fmt: skip
        )
    c.advance("30s")
    for name, phase, reason in (("failed", "Failed", "PodFailed"), ("done", "Succeeded", "PodCompleted")):
        status = c.pod(name).to_dict()["status"]
        ready = {x["type"]: x for x in status["conditions"]}
        assert status["phase"] == phase
        for t in ("Ready", "ContainersReady"):
            assert (ready[t]["status"], ready[t]["reason"], ready[t].get("message")) == ("False", reason, None)
