"""`c.kubectl(...)`: kubectl's command line and output formats (kubectl.md §3–§6)."""

from __future__ import annotations

import pytest

import kubesim


@pytest.fixture
def seeded(cluster, examples):
    cluster.kubectl(f"apply -f {examples / 'nginx-deployment.yaml'}")
    cluster.advance("3h2m")
    return cluster


def test_get_deployments_matches_kubectls_alignment(seeded):
    # kubectl.md §3.2: NAME column width max(6, len+3); the last column is not padded.
    out = seeded.kubectl("get deployments")
    assert out == (
        "NAME               READY   UP-TO-DATE   AVAILABLE   AGE\n"
        "nginx-deployment   3/3     3            3           3h2m\n"
    )


def test_get_pods_show_labels_and_selectors(seeded):
    out = seeded.kubectl("kubectl get pods --show-labels -l 'app in (nginx)'")
    lines = out.splitlines()
    assert lines[0].split() == ["NAME", "READY", "STATUS", "RESTARTS", "AGE", "LABELS"]
    assert len(lines) == 4
    for line in lines[1:]:
        name, ready, status, restarts, age, labels = line.split()
        assert (ready, status, restarts, age) == ("1/1", "Running", "0", "3h2m")
        assert labels.startswith("app=nginx,pod-template-hash=")
    assert not any(line.endswith(" ") for line in lines), "no trailing spaces"


def test_nothing_found_and_not_found(seeded):
    r = seeded.kubectl("get pods -l app=none", check=False)
    assert (r.stdout, r.stderr, r.exit_code) == ("", "No resources found in default namespace.\n", 0)
    with pytest.raises(kubesim.KubectlError) as info:
        seeded.kubectl("get deployment nope")
    assert str(info.value) == 'Error from server (NotFound): deployments.apps "nope" not found'
    assert info.value.exit_code == 1
    r = seeded.kubectl("get widgets", check=False)
    assert r.stderr == 'error: the server doesn\'t have a resource type "widgets"\n'


def test_multi_kind_blocks_and_output_formats(seeded):
    out = seeded.kubectl("get deploy,rs")
    blocks = out.split("\n\n")
    assert blocks[0].splitlines()[1].startswith("deployment.apps/nginx-deployment ")
    assert blocks[1].splitlines()[1].startswith("replicaset.apps/nginx-deployment-")
    assert seeded.kubectl("get deploy -o name") == "deployment.apps/nginx-deployment\n"
    assert seeded.kubectl("get deployment nginx-deployment -o yaml") == seeded.deployment("nginx-deployment").to_yaml()


def test_rollout_history_set_image_and_undo(seeded):
    r = seeded.kubectl("set image deployment/nginx-deployment nginx=nginx:1.9.1 --record", check=False)
    assert r.stdout == "deployment.apps/nginx-deployment image updated\n"
    assert r.stderr == "Flag --record has been deprecated, --record will be removed in the future\n"
    status = seeded.kubectl("rollout status deployment.v1.apps/nginx-deployment")
    assert status.endswith('deployment "nginx-deployment" successfully rolled out\n')
    assert seeded.kubectl("rollout history deployment.v1.apps/nginx-deployment") == (
        "deployment.apps/nginx-deployment \n"
        "REVISION  CHANGE-CAUSE\n"
        "1         <none>\n"
        "2         kubectl set image deployment/nginx-deployment nginx=nginx:1.9.1 --record=true\n"
        "\n"
    )
    assert (
        seeded.kubectl("rollout undo deployment.v1.apps/nginx-deployment")
        == "deployment.apps/nginx-deployment rolled back\n"
    )
    assert (
        seeded.kubectl("scale deployment.v1.apps/nginx-deployment --replicas=10")
        == "deployment.apps/nginx-deployment scaled\n"
    )
    with pytest.raises(kubesim.KubectlError, match='unable to find container named "foo"'):
        seeded.kubectl("set image deployment/nginx-deployment foo=bar")
    assert seeded.kubectl("delete deployment nginx-deployment") == 'deployment.apps "nginx-deployment" deleted\n'


def test_pod_status_column_shows_waiting_reasons_and_restarts(cluster):
    cluster.images.register("app:crash", crash_after="5s")
    cluster.apply(
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "crash"},
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": {"app": "crash"}},
                "template": {
                    "metadata": {"labels": {"app": "crash"}},
                    "spec": {"containers": [{"name": "c", "image": "app:crash"}]},
                },
            },
        }
    )
    cluster.advance("14s")  # running at 3 s, crash at 8 s (restart), crash at 13 s → back-off 10 s
    [pod] = cluster.pods()
    assert cluster.kubectl("get pods") == (
        "NAME                     READY   STATUS             RESTARTS     AGE\n"
        f"{pod.name}   0/1     CrashLoopBackOff   1 (1s ago)   14s\n"
    )


def test_describe_pod_layout(cluster, examples):
    cluster.kubectl(f"apply -f {examples / 'redis-pod.yaml'}")
    cluster.advance("11m")
    pod = cluster.pod("redis-master")
    out = cluster.kubectl("describe pod redis-master")
    lines = out.splitlines()
    assert lines[:5] == [
        "Name:             redis-master",
        "Namespace:        default",
        "Priority:         0",
        "Service Account:  default",
        f"Node:             {pod.node}/{pod.status['hostIP']}",
    ]
    assert "Annotations:      <none>" in lines, "last-applied-configuration is not shown"
    assert f"  IP:  {pod.ip}" in lines
    assert "    State:          Running" in lines
    assert "      MASTER:  true" in lines
    assert "  PodReadyToStartContainers   True " in lines, "condition rows keep their trailing space"
    assert "Tolerations:                  node.kubernetes.io/not-ready:NoExecute op=Exists for 300s" in lines
    assert lines[-7] == "  Type    Reason     Age   From               Message"
    assert lines[-1] == "  Normal  Started    10m   kubelet            Started container master"


# kubectl describe for workloads, HPAs and nodes (kubectl.md §7). The layouts follow upstream's
# describers (k8s.io/kubectl pkg/describe/describe.go): every `Label:<TAB>value` line goes
# through Go's tabwriter (padding 2) and a line without a TAB ends the column block, so each
# section aligns on its own. The expected texts below were derived from that source, not from a
# run of a real kubectl against a real cluster.

POD_TEMPLATE_NGINX = (
    "Pod Template:\n"
    "  Labels:  app=nginx\n"
    "  Containers:\n"
    "   nginx:\n"
    "    Image:         nginx:{image}\n"
    "    Port:          80/TCP\n"
    "    Host Port:     0/TCP\n"
    "    Environment:   <none>\n"
    "    Mounts:        <none>\n"
    "  Volumes:         <none>\n"
    "  Node-Selectors:  <none>\n"
    "  Tolerations:     <none>\n"
)


def test_describe_deployment_mid_rollout_and_settled(cluster, examples):
    cluster.kubectl(f"apply -f {examples / 'nginx-deployment.yaml'}")
    cluster.advance("10m")
    cluster.kubectl("set image deployment/nginx-deployment nginx=nginx:1.9.1")
    cluster.advance("6s")
    old, new = (rs.name for rs in cluster.deployment("nginx-deployment").replicasets())
    head = (
        "Name:                   nginx-deployment\n"
        "Namespace:              default\n"
        "CreationTimestamp:      Thu, 01 Jan 2026 00:00:00 +0000\n"
        "Labels:                 app=nginx\n"
        "Annotations:            deployment.kubernetes.io/revision: 2\n"
        "Selector:               app=nginx\n"
        "Replicas:               3 desired | 3 updated | {total} total | 3 available | {unavailable} unavailable\n"
        "StrategyType:           RollingUpdate\n"
        "MinReadySeconds:        0\n"
        "RollingUpdateStrategy:  25% max unavailable, 25% max surge\n"
    )
    events = (
        # The Age column is as wide as its `----` underline plus the padding.
        "  Type    Reason             Age   From                   Message\n"
        "  ----    ------             ----  ----                   -------\n"
        f"  Normal  ScalingReplicaSet  {{a:<6}}deployment-controller  Scaled up replica set {old} from 0 to 3\n"
        f"  Normal  ScalingReplicaSet  {{b:<6}}deployment-controller  Scaled up replica set {new} from 0 to 1\n"
        f"  Normal  ScalingReplicaSet  {{c:<6}}deployment-controller  Scaled down replica set {old} from 3 to 2\n"
        f"  Normal  ScalingReplicaSet  {{c:<6}}deployment-controller  Scaled up replica set {new} from 1 to 2\n"
        f"  Normal  ScalingReplicaSet  {{d:<6}}deployment-controller  Scaled down replica set {old} from 2 to 1\n"
        f"  Normal  ScalingReplicaSet  {{d:<6}}deployment-controller  Scaled up replica set {new} from 2 to 3\n"
    )
    # Mid-rollout: the old ReplicaSet still has a pod; one new pod is not available yet.
    assert cluster.kubectl("describe deployment nginx-deployment") == (
        head.format(total=4, unavailable=1) + POD_TEMPLATE_NGINX.format(image="1.9.1") + "Conditions:\n"
        "  Type           Status  Reason\n"
        "  ----           ------  ------\n"
        "  Available      True    MinimumReplicasAvailable\n"
        "  Progressing    True    ReplicaSetUpdated\n"
        f"OldReplicaSets:  {old} (1/1 replicas created)\n"
        f"NewReplicaSet:   {new} (3/3 replicas created)\n"
        "Events:\n" + events.format(a="10m", b="6s", c="3s", d="0s")
    )
    # Settled: the old ReplicaSet is kept at 0 and still listed; Events align on their own.
    cluster.advance("2m")
    assert cluster.kubectl("describe deploy/nginx-deployment") == (
        head.format(total=3, unavailable=0) + POD_TEMPLATE_NGINX.format(image="1.9.1") + "Conditions:\n"
        "  Type           Status  Reason\n"
        "  ----           ------  ------\n"
        "  Available      True    MinimumReplicasAvailable\n"
        "  Progressing    True    NewReplicaSetAvailable\n"
        f"OldReplicaSets:  {old} (0/0 replicas created)\n"
        f"NewReplicaSet:   {new} (3/3 replicas created)\n"
        "Events:\n"
        + events.format(a="12m", b="2m6s", c="2m3s", d="2m")
        + f"  Normal  ScalingReplicaSet  117s  deployment-controller  Scaled down replica set {old} from 1 to 0\n"
    )


def test_describe_replicaset_counts_pods_by_phase_and_renders_its_template(cluster):
    cluster = kubesim.Cluster(nodes=[{"name": "small", "cpu": "2"}], seed=0)
    container = {
        "name": "api",
        "image": "nginx:1.25",
        "command": ["nginx", "-g", "daemon off;"],
        "ports": [{"containerPort": 80}, {"containerPort": 443}],
        "env": [{"name": "MODE", "value": "fast"}],
        "resources": {"requests": {"cpu": "800m", "memory": "64Mi"}, "limits": {"memory": "128Mi"}},
    }
    cluster.apply(
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "api", "labels": {"tier": "backend"}},
            "spec": {
                "replicas": 3,
                "selector": {"matchLabels": {"app": "api"}},
                "template": {"metadata": {"labels": {"app": "api"}}, "spec": {"containers": [container]}},
            },
        }
    )
    cluster.advance("30s")  # two pods fit in 2 CPUs; the third stays Pending
    [rs] = cluster.replicasets()
    h = rs.labels["pod-template-hash"]
    created = [e.message for e in cluster.events(rs)]
    assert len(created) == 3
    assert cluster.kubectl(f"describe rs {rs.name}") == (
        f"Name:           {rs.name}\n"
        "Namespace:      default\n"
        f"Selector:       app=api,pod-template-hash={h}\n"
        "Labels:         app=api\n"
        f"                pod-template-hash={h}\n"
        "Annotations:    deployment.kubernetes.io/desired-replicas: 3\n"
        "                deployment.kubernetes.io/max-replicas: 4\n"
        "                deployment.kubernetes.io/revision: 1\n"
        "Controlled By:  Deployment/api\n"
        "Replicas:       3 current / 3 desired\n"
        "Pods Status:    2 Running / 1 Waiting / 0 Succeeded / 0 Failed\n"
        "Pod Template:\n"
        "  Labels:  app=api\n"
        f"           pod-template-hash={h}\n"
        "  Containers:\n"
        "   api:\n"
        "    Image:       nginx:1.25\n"
        "    Ports:       80/TCP, 443/TCP\n"
        "    Host Ports:  0/TCP, 0/TCP\n"
        "    Command:\n"
        "      nginx\n"
        "      -g\n"
        "      daemon off;\n"
        "    Limits:\n"
        "      memory:  128Mi\n"
        "    Requests:\n"
        "      cpu:     800m\n"
        "      memory:  64Mi\n"
        "    Environment:\n"
        "      MODE:        fast\n"
        "    Mounts:        <none>\n"
        "  Volumes:         <none>\n"
        "  Node-Selectors:  <none>\n"
        "  Tolerations:     <none>\n"
        "Events:\n"
        "  Type    Reason            Age   From                   Message\n"
        "  ----    ------            ----  ----                   -------\n"
        + "".join(f"  Normal  SuccessfulCreate  30s   replicaset-controller  {m}\n" for m in created)
    )


def _autoscaled(cluster, name: str, cpu_request: str | None) -> None:
    container: dict = {"name": "c", "image": "nginx:1.25"}
    if cpu_request:
        container["resources"] = {"requests": {"cpu": cpu_request}}
    cluster.apply(
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": name},
            "spec": {
                "replicas": 3,
                "selector": {"matchLabels": {"app": name}},
                "template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": [container]}},
            },
        }
    )
    cluster.deployment(name).rollout.status()


def test_describe_hpa_shows_current_over_target_utilization(cluster):
    _autoscaled(cluster, "web", "500m")
    cluster.advance("5m")  # past the CPU initialization period
    d = cluster.deployment("web")
    for pod in d.pods():
        pod.set_usage(cpu="300m")
    d.autoscale(min=1, max=10, cpu_percent=50)
    cluster.advance("16s")
    # The metric line is one cell (`on pods` + two spaces + the second half), so the whole top
    # block aligns at its width; Conditions and Events align on their own.
    assert cluster.kubectl("describe hpa web") == (
        "Name:                                                  web\n"
        "Namespace:                                             default\n"
        "Labels:                                                <none>\n"
        "Annotations:                                           <none>\n"
        "CreationTimestamp:                                     Thu, 01 Jan 2026 00:05:03 +0000\n"
        "Reference:                                             Deployment/web\n"
        "Metrics:                                               ( current / target )\n"
        "  resource cpu on pods  (as a percentage of request):  60% (300m) / 50%\n"
        "Min replicas:                                          1\n"
        "Max replicas:                                          10\n"
        "Deployment pods:                                       4 current / 4 desired\n"
        "Conditions:\n"
        "  Type            Status  Reason              Message\n"
        "  ----            ------  ------              -------\n"
        "  AbleToScale     True    ReadyForNewScale    recommended size matches current size\n"
        "  ScalingActive   True    ValidMetricFound    the HPA was able to successfully calculate a replica count"
        " from cpu resource utilization (percentage of request)\n"
        "  ScalingLimited  False   DesiredWithinRange  the desired count is within the acceptable range\n"
        "Events:\n"
        "  Type    Reason             Age   From                       Message\n"
        "  ----    ------             ----  ----                       -------\n"
        "  Normal  SuccessfulRescale  16s   horizontal-pod-autoscaler  New size: 4;"
        " reason: cpu resource utilization (percentage of request) above target\n"
    )


def test_describe_hpa_without_requests_shows_unknown_current(cluster):
    _autoscaled(cluster, "bare", None)
    cluster.kubectl("autoscale deployment bare --max=5")
    cluster.advance("1m")
    active = next(c for c in cluster.hpa("bare").conditions if c["type"] == "ScalingActive")
    # upstream: the condition and the FailedGetResourceMetric event carry the utilization error;
    # FailedComputeMetricsReplicas wraps it once more as "failed to get cpu resource metric value".
    error = active["message"].removeprefix("the HPA was unable to compute the replica count: ")
    assert error.startswith("failed to get cpu utilization: missing request")
    # For the first 30 s the pods have no metrics yet.
    no_metrics = (
        "failed to get cpu utilization: unable to get metrics for resource cpu:"
        " no metrics returned from resource metrics API"
    )
    # 15 s later the pods exist but have not been scraped since they started.
    unready = "failed to get cpu utilization: did not receive metrics for targeted pods (pods might be unready)"
    wrap = "failed to get cpu resource metric value: "
    assert cluster.kubectl("describe horizontalpodautoscaler bare") == (
        "Name:                                                  bare\n"
        "Namespace:                                             default\n"
        "Labels:                                                <none>\n"
        "Annotations:                                           <none>\n"
        "CreationTimestamp:                                     Thu, 01 Jan 2026 00:00:03 +0000\n"
        "Reference:                                             Deployment/bare\n"
        "Metrics:                                               ( current / target )\n"
        "  resource cpu on pods  (as a percentage of request):  <unknown> / 80%\n"
        "Min replicas:                                          1\n"
        "Max replicas:                                          5\n"
        "Deployment pods:                                       3 current / 3 desired\n"
        "Conditions:\n"
        "  Type           Status  Reason                   Message\n"
        "  ----           ------  ------                   -------\n"
        "  AbleToScale    True    SucceededGetScale        the HPA controller was able to get the target's"
        " current scale\n"
        f"  ScalingActive  False   FailedGetResourceMetric  {active['message']}\n"
        # Repeated events: `<last> (xN over <first>)`, sorted by when they last happened.
        "Events:\n"
        "  Type     Reason                        Age               From                       Message\n"
        "  ----     ------                        ----              ----                       -------\n"
        f"  Warning  FailedGetResourceMetric       60s               horizontal-pod-autoscaler  {no_metrics}\n"
        "  Warning  FailedComputeMetricsReplicas  60s               horizontal-pod-autoscaler"
        f"  invalid metrics (1 invalid out of 1), first error is: {wrap}{no_metrics}\n"
        f"  Warning  FailedGetResourceMetric       45s               horizontal-pod-autoscaler  {unready}\n"
        "  Warning  FailedComputeMetricsReplicas  45s               horizontal-pod-autoscaler"
        f"  invalid metrics (1 invalid out of 1), first error is: {wrap}{unready}\n"
        f"  Warning  FailedGetResourceMetric       0s (x3 over 30s)  horizontal-pod-autoscaler  {error}\n"
        "  Warning  FailedComputeMetricsReplicas  0s (x3 over 30s)  horizontal-pod-autoscaler"
        f"  invalid metrics (1 invalid out of 1), first error is: {wrap}{error}\n"
    )


def _pod(name: str, namespace: str = "default", resources: dict | None = None, **spec) -> dict:
    container = {"name": "c", "image": spec.pop("image", "nginx:1.25"), "resources": resources or {}}
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"containers": [container], **spec},
    }


WORKER = {
    "name": "worker",
    "cpu": "2",
    "memory": "4Gi",
    "pods": 10,
    "labels": {"node-role.kubernetes.io/worker": ""},
    "taints": [
        {"key": "zone", "value": "b", "effect": "PreferNoSchedule"},
        {"key": "dedicated", "effect": "PreferNoSchedule"},
    ],
}

NODE_INFO = (
    "Addresses:\n"
    "  InternalIP:  10.0.0.2\n"
    "  Hostname:    worker\n"
    "Capacity:\n"
    "  cpu:     2\n"
    "  memory:  4Gi\n"
    "  pods:    10\n"
    "Allocatable:\n"
    "  cpu:     2\n"
    "  memory:  4Gi\n"
    "  pods:    10\n"
    "System Info:\n"
    "  Machine ID:                 \n"
    "  System UUID:                \n"
    "  Boot ID:                    \n"
    "  Kernel Version:             6.1.0\n"
    "  OS Image:                   kubesim\n"
    "  Operating System:           linux\n"
    "  Architecture:               amd64\n"
    "  Container Runtime Version:  containerd://2.0.0\n"
    "  Kubelet Version:            v1.33.0\n"
    "  Kube-Proxy Version:         \n"
    "PodCIDR:                      10.244.1.0/24\n"
    "PodCIDRs:                     10.244.1.0/24\n"
    # The pod table stays in the System Info block (its lines have a TAB in that column), and
    # has an empty column after Name.
    "Non-terminated Pods:          (3 in total)\n"
    "  Namespace                   Name     CPU Requests  CPU Limits  Memory Requests  Memory Limits  Age\n"
    "  ---------                   ----     ------------  ----------  ---------------  -------------  ---\n"
    "  default                     api      250m (12%)    500m (25%)  64Mi (1%)        128Mi (3%)     {age}\n"
    "  default                     db       1 (50%)       0 (0%)      1Gi (25%)        0 (0%)         {age}\n"
    "  kube-system                 agent    0 (0%)        0 (0%)      0 (0%)           0 (0%)         {age}\n"
    "Allocated resources:\n"
    "  (Total limits may be over 100 percent, i.e., overcommitted.)\n"
    "  Resource           Requests      Limits\n"
    "  --------           --------      ------\n"
    # 1250m of 2 CPUs is 62.5% and 1088Mi of 4Gi is 26.6%: percentages are truncated.
    "  cpu                1250m (62%)   500m (25%)\n"
    "  memory             1088Mi (26%)  128Mi (3%)\n"
    "  ephemeral-storage  0 (0%)        0 (0%)\n"
)


def test_describe_node_lists_its_pods_and_allocated_resources():
    cluster = kubesim.Cluster(nodes=[WORKER], seed=0)
    cluster.images.register("job:fail", crash_after="1s")
    api = {"requests": {"cpu": "250m", "memory": "64Mi"}, "limits": {"cpu": "500m", "memory": "128Mi"}}
    cluster.apply(_pod("api", resources=api))
    cluster.apply(_pod("db", resources={"requests": {"cpu": "1", "memory": "1Gi"}}))
    cluster.apply(_pod("agent", "kube-system"))
    cluster.apply(_pod("once", image="job:fail", restartPolicy="Never"))  # Failed: not counted
    cluster.advance("90s")
    assert cluster.pod("once").phase == "Failed"
    assert cluster.kubectl("describe node worker") == (
        "Name:               worker\n"
        "Roles:              worker\n"
        "Labels:             kubernetes.io/arch=amd64\n"
        "                    kubernetes.io/hostname=worker\n"
        "                    kubernetes.io/os=linux\n"
        "                    node-role.kubernetes.io/worker=\n"
        "Annotations:        <none>\n"
        "CreationTimestamp:  Thu, 01 Jan 2026 00:00:00 +0000\n"
        "Taints:             dedicated:PreferNoSchedule\n"
        "                    zone=b:PreferNoSchedule\n"
        "Unschedulable:      false\n"
        "Lease:\n"
        "  HolderIdentity:  worker\n"
        "  AcquireTime:     <unset>\n"
        "  RenewTime:       Thu, 01 Jan 2026 00:01:30 +0000\n"
        "Conditions:\n"
        "  Type             Status  LastHeartbeatTime                 LastTransitionTime"
        "                Reason                       Message\n"
        "  ----             ------  -----------------                 ------------------"
        "                ------                       -------\n"
        "  MemoryPressure   False   Thu, 01 Jan 2026 00:00:00 +0000   Thu, 01 Jan 2026 00:00:00 +0000"
        "   KubeletHasSufficientMemory   kubelet has sufficient memory available\n"
        "  DiskPressure     False   Thu, 01 Jan 2026 00:00:00 +0000   Thu, 01 Jan 2026 00:00:00 +0000"
        "   KubeletHasNoDiskPressure     kubelet has no disk pressure\n"
        "  PIDPressure      False   Thu, 01 Jan 2026 00:00:00 +0000   Thu, 01 Jan 2026 00:00:00 +0000"
        "   KubeletHasSufficientPID      kubelet has sufficient PID available\n"
        "  Ready            True    Thu, 01 Jan 2026 00:00:00 +0000   Thu, 01 Jan 2026 00:00:00 +0000"
        "   KubeletReady                 kubelet is posting ready status\n"
        + NODE_INFO.format(age="90s")
        + "Events:              <none>\n"
    )


def test_describe_node_after_its_kubelet_stops():
    cluster = kubesim.Cluster(nodes=[WORKER], seed=0)
    cluster.apply(_pod("api"))
    cluster.advance("95s")
    cluster.node("worker").fail()
    cluster.advance("2m")
    lines = cluster.kubectl("describe node worker").splitlines()
    # Taints sort by effect, then key; the Lease stopped being renewed at the last 10 s tick.
    assert lines[8:12] == [
        "Taints:             node.kubernetes.io/unreachable:NoExecute",
        "                    node.kubernetes.io/unreachable:NoSchedule",
        "                    dedicated:PreferNoSchedule",
        "                    zone=b:PreferNoSchedule",
    ]
    assert "  RenewTime:       Thu, 01 Jan 2026 00:01:30 +0000" in lines
    assert (
        "  Ready            Unknown   Thu, 01 Jan 2026 00:02:15 +0000   Thu, 01 Jan 2026 00:02:15 +0000"
        "   NodeStatusUnknown   Kubelet stopped posting node status."
    ) in lines
    # upstream: tryUpdateNodeHealth marks every condition the kubelet posts Unknown, not only Ready.
    for pressure in ("MemoryPressure", "DiskPressure", "PIDPressure"):
        row = next(line.split() for line in lines if line.startswith(f"  {pressure} "))
        assert row[1] == "Unknown" and row[-6:] == [
            "NodeStatusUnknown",
            "Kubelet",
            "stopped",
            "posting",
            "node",
            "status.",
        ]
    assert lines[-3].split() == ["Type", "Reason", "Age", "From", "Message"]
    assert lines[-1].startswith("  Normal  NodeNotReady  80s")
    assert lines[-1].endswith("node-controller  Node worker status is now: NodeNotReady")


def test_a_recovered_node_reports_no_pressure_again():
    cluster = kubesim.Cluster(nodes=1, seed=0)
    cluster.node("node-1").fail()
    cluster.advance("1m")
    unknown = {c["type"]: c["status"] for c in cluster.get("node", "node-1").to_dict()["status"]["conditions"]}
    assert unknown == dict.fromkeys(("MemoryPressure", "DiskPressure", "PIDPressure", "Ready"), "Unknown")
    cluster.node("node-1").recover()
    cluster.advance("10s")
    conditions = {c["type"]: c for c in cluster.get("node", "node-1").to_dict()["status"]["conditions"]}
    assert [c["status"] for c in conditions.values()] == ["False", "False", "False", "True"]
    assert conditions["DiskPressure"]["reason"] == "KubeletHasNoDiskPressure"


def test_describe_without_a_name_selectors_prefixes_and_not_found(seeded):
    names = [rs.name for rs in seeded.replicasets()]
    pods = [p.name for p in seeded.pods()]
    # Every object of the kind, "\n\n" before each description but the first.
    out = seeded.kubectl("describe pods")
    assert out == "\n\n".join(seeded.kubectl(f"describe pod/{p}") for p in pods)
    assert out.count("\n\n\nName:") == 2
    assert seeded.kubectl("describe rs -l app=nginx") == seeded.kubectl(f"describe rs {names[0]}")
    r = seeded.kubectl("describe deploy -l app=none", check=False)
    assert (r.stdout, r.stderr, r.exit_code) == ("", "No resources found in default namespace.\n", 0)
    # No object is named `nginx-deployment`: every pod whose name starts with it, each followed
    # by an empty line (upstream DescribeMatchingResources).
    assert seeded.kubectl("describe pods nginx-deployment") == "".join(
        seeded.kubectl(f"describe pod {p}") + "\n" for p in pods
    )
    with pytest.raises(kubesim.KubectlError) as info:
        seeded.kubectl("describe deployment x")
    assert str(info.value) == 'Error from server (NotFound): deployments.apps "x" not found'
    r = seeded.kubectl(f"describe pod {pods[0]} nope", check=False)
    assert r.stdout == seeded.kubectl(f"describe pod {pods[0]}")
    assert (r.stderr, r.exit_code) == ('Error from server (NotFound): pods "nope" not found\n', 1)
    assert seeded.kubectl("describe nodes").count("\n\n\nName:") == 2
    # Like a real API server, kubesim labels every namespace `kubernetes.io/metadata.name=<name>`.
    assert seeded.kubectl("describe namespace default") == (
        "Name:         default\n"
        "Labels:       kubernetes.io/metadata.name=default\n"
        "Annotations:  <none>\n"
        "Status:       Active\n"
        "\n"
        "No resource quota.\n"
        "\n"
        "No LimitRange resource.\n"
    )
