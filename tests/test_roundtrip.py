"""apply(yaml) then to_dict() equals what a v1.33 API server returns for the same manifest."""

from __future__ import annotations

import re

UID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")

# What `kubectl get deployment nginx-deployment -o yaml` shows from a v1.33 API server right after
# `kubectl apply -f nginx-deployment.yaml`, before the deployment controller acts (server-owned
# metadata checked separately below).
NGINX_SPEC = {
    "progressDeadlineSeconds": 600,
    "replicas": 3,
    "revisionHistoryLimit": 10,
    "selector": {"matchLabels": {"app": "nginx"}},
    "strategy": {"rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}, "type": "RollingUpdate"},
    "template": {
        "metadata": {"labels": {"app": "nginx"}},
        "spec": {
            "containers": [
                {
                    "image": "nginx:1.7.9",
                    "imagePullPolicy": "IfNotPresent",
                    "name": "nginx",
                    "ports": [{"containerPort": 80, "protocol": "TCP"}],
                    "resources": {},
                    "terminationMessagePath": "/dev/termination-log",
                    "terminationMessagePolicy": "File",
                }
            ],
            "dnsPolicy": "ClusterFirst",
            "restartPolicy": "Always",
            "schedulerName": "default-scheduler",
            "securityContext": {},
            "terminationGracePeriodSeconds": 30,
        },
    },
}

# The same for `kubectl get pod redis-master -o yaml` before the pod is scheduled. A real cluster's
# ServiceAccount admission also mounts a `kube-api-access-<random>` token volume, which kubesim
# does not model (README, "Not modelled yet").
REDIS_SPEC = {
    "containers": [
        {
            "env": [{"name": "MASTER", "value": "true"}],
            "image": "redis",
            "imagePullPolicy": "Always",
            "name": "master",
            "ports": [{"containerPort": 6379, "protocol": "TCP"}],
            "resources": {},
            "terminationMessagePath": "/dev/termination-log",
            "terminationMessagePolicy": "File",
        }
    ],
    "dnsPolicy": "ClusterFirst",
    "enableServiceLinks": True,
    "preemptionPolicy": "PreemptLowerPriority",
    "priority": 0,
    "restartPolicy": "Always",
    "schedulerName": "default-scheduler",
    "securityContext": {},
    "serviceAccount": "default",
    "serviceAccountName": "default",
    "terminationGracePeriodSeconds": 30,
    "tolerations": [
        {"effect": "NoExecute", "key": "node.kubernetes.io/not-ready", "operator": "Exists", "tolerationSeconds": 300},
        {
            "effect": "NoExecute",
            "key": "node.kubernetes.io/unreachable",
            "operator": "Exists",
            "tolerationSeconds": 300,
        },
    ],
}


def check_server_metadata(meta: dict, generation: bool) -> None:
    assert UID.match(meta["uid"]), meta["uid"]
    assert meta["resourceVersion"].isdigit()
    assert meta["creationTimestamp"] == "2026-01-01T00:00:00Z"
    assert meta["namespace"] == "default"
    assert ("generation" in meta) == generation
    if generation:
        assert meta["generation"] == 1


def test_seed_deployment_reads_back_as_the_api_server_returns_it(cluster, examples):
    cluster.apply(examples / "nginx-deployment.yaml")
    obj = cluster.deployment("nginx-deployment").to_dict()
    assert set(obj) == {"apiVersion", "kind", "metadata", "spec", "status"}
    assert (obj["apiVersion"], obj["kind"]) == ("apps/v1", "Deployment")
    assert obj["spec"] == NGINX_SPEC
    meta = obj["metadata"]
    check_server_metadata(meta, generation=True)
    assert meta["labels"] == {"app": "nginx"}
    # The deployment controller has already recorded the first revision.
    assert set(meta["annotations"]) == {
        "kubectl.kubernetes.io/last-applied-configuration",
        "deployment.kubernetes.io/revision",
    }
    assert meta["annotations"]["deployment.kubernetes.io/revision"] == "1"


def test_seed_pod_reads_back_as_the_api_server_returns_it(cluster, examples):
    cluster.apply(examples / "redis-pod.yaml")
    obj = cluster.pod("redis-master").to_dict()
    assert (obj["apiVersion"], obj["kind"]) == ("v1", "Pod")
    # The scheduler binds the pod at once (an immediate read shows the cluster a moment later).
    assert obj["spec"].pop("nodeName") in {"node-1", "node-2", "node-3"}
    assert obj["spec"] == REDIS_SPEC
    check_server_metadata(obj["metadata"], generation=False)
    assert obj["status"]["phase"] == "Pending"
    assert obj["status"]["qosClass"] == "BestEffort"


def test_unscheduled_pod_status_is_what_the_api_server_stores(examples):
    import kubesim

    c = kubesim.Cluster(nodes=0)
    c.apply(examples / "redis-pod.yaml")
    status = c.pod("redis-master").status
    assert status["phase"] == "Pending" and status["qosClass"] == "BestEffort"
    [cond] = status["conditions"]
    assert (cond["type"], cond["status"], cond["reason"]) == ("PodScheduled", "False", "Unschedulable")
    assert cond["message"] == "no nodes available to schedule pods"
    assert "containerStatuses" not in status


def test_to_yaml_and_to_json_carry_the_same_object(cluster, examples):
    import json

    import yaml

    cluster.apply(examples / "nginx-deployment.yaml")
    d = cluster.deployment("nginx-deployment")
    assert yaml.safe_load(d.to_yaml()) == d.to_dict()
    assert json.loads(d.to_json()) == d.to_dict()


def test_autoscaling_v1_is_accepted_and_served_as_v2(cluster):
    cluster.apply(
        {
            "apiVersion": "autoscaling/v1",
            "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": "web"},
            "spec": {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                "minReplicas": 2,
                "maxReplicas": 5,
                "targetCPUUtilizationPercentage": 70,
            },
        }
    )
    obj = cluster.hpa("web").to_dict()
    assert obj["apiVersion"] == "autoscaling/v2"
    assert obj["spec"]["metrics"] == [
        {"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}}}
    ]
    assert (obj["spec"]["minReplicas"], obj["spec"]["maxReplicas"]) == (2, 5)


def test_hpa_without_metrics_defaults_to_80_percent_cpu(cluster):
    cluster.apply(
        {
            "apiVersion": "autoscaling/v2",
            "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": "web"},
            "spec": {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                "maxReplicas": 3,
            },
        }
    )
    spec = cluster.hpa("web").spec
    assert spec["minReplicas"] == 1
    assert spec["metrics"][0]["resource"]["target"] == {"type": "Utilization", "averageUtilization": 80}
