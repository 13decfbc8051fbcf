"""The official ``kubernetes`` Python client (37.x, strict pydantic models) against
``c.serve()``: typed calls, the scale subresource, conflicts, watches and the DynamicClient."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest

import kubesim

kubernetes = pytest.importorskip("kubernetes", reason="the official kubernetes client is not installed")
from kubernetes import client, config, watch  # noqa: E402
from kubernetes.dynamic import DynamicClient  # noqa: E402

WEB = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web", "labels": {"app": "web"}},
    "spec": {
        "replicas": 3,
        "selector": {"matchLabels": {"app": "web"}},
        "template": {
            "metadata": {"labels": {"app": "web"}},
            "spec": {"containers": [{"name": "nginx", "image": "nginx:1.25"}]},
        },
    },
}

# A budget for WEB's pods (app=web): one may be disrupted at a time.
BUDGET = {
    "apiVersion": "policy/v1",
    "kind": "PodDisruptionBudget",
    "metadata": {"name": "web"},
    "spec": {"maxUnavailable": 1, "selector": {"matchLabels": {"app": "web"}}},
}


@pytest.fixture
def api() -> Iterator[tuple[kubesim.Cluster, Any]]:
    c = kubesim.Cluster(nodes=3, seed=0)
    with c.serve() as srv:
        api_client = config.new_client_from_config(srv.kubeconfig)
        try:
            yield c, api_client
        finally:
            api_client.close()


def test_create_list_read_patch_scale_delete(api: Any) -> None:
    c, api_client = api
    apps, core = client.AppsV1Api(api_client), client.CoreV1Api(api_client)
    created = apps.create_namespaced_deployment("default", WEB)
    assert created.metadata.uid == c.deployment("web").uid
    c.advance("10s")
    assert [d.metadata.name for d in apps.list_namespaced_deployment("default").items] == ["web"]
    pods = core.list_namespaced_pod("default", label_selector="app=web").items
    assert sorted(p.metadata.name for p in pods) == sorted(p.name for p in c.pods())
    assert core.list_namespaced_pod("default", label_selector="app!=web").items == []
    d = apps.read_namespaced_deployment("web", "default")
    assert d.status.available_replicas == 3 and d.spec.strategy.rolling_update.max_surge == "25%"

    patched = apps.patch_namespaced_deployment(
        "web", "default", {"spec": {"template": {"spec": {"containers": [{"name": "nginx", "image": "nginx:1.27"}]}}}}
    )
    assert patched.spec.template.spec.containers[0].image == "nginx:1.27"
    assert patched.spec.template.spec.containers[0].image_pull_policy == "IfNotPresent"

    # `d` was read before the patch: replacing with it is a 409 Conflict, and nothing changes.
    d.spec.replicas = 1
    with pytest.raises(client.ApiException) as e:
        apps.replace_namespaced_deployment("web", "default", d)
    assert e.value.status == 409 and json.loads(e.value.body)["reason"] == "Conflict"
    assert c.deployment("web").replicas == 3

    scale = apps.read_namespaced_deployment_scale("web", "default")
    assert (scale.spec.replicas, scale.status.selector) == (3, "app=web")
    scale = apps.patch_namespaced_deployment_scale("web", "default", {"spec": {"replicas": 5}})
    assert scale.spec.replicas == 5 and c.deployment("web").replicas == 5
    scale.spec.replicas = 2
    apps.replace_namespaced_deployment_scale("web", "default", scale)
    assert c.deployment("web").replicas == 2

    with pytest.raises(client.ApiException) as e:
        apps.read_namespaced_deployment("nope", "default")
    assert e.value.status == 404
    apps.delete_namespaced_deployment("web", "default")
    assert c.deployments() == []


def test_a_watch_stream_sees_a_rollout_in_order(api: Any) -> None:
    c, api_client = api
    apps = client.AppsV1Api(api_client)
    c.apply(WEB)
    c.advance("10s")
    events: list[tuple[str, str, int]] = []
    ready = threading.Event()

    def follow() -> None:
        w = watch.Watch()
        for e in w.stream(apps.list_namespaced_replica_set, "default", timeout_seconds=2):
            rs = e["object"]
            events.append((e["type"], rs.metadata.name, int(rs.metadata.resource_version)))
            ready.set()

    t = threading.Thread(target=follow)
    t.start()
    assert ready.wait(10), "the initial ADDED event"
    c.deployment("web").set_image(nginx="nginx:1.27")
    c.deployment("web").rollout.status()
    t.join()
    rss = {rs.name for rs in c.replicasets()}
    assert events[0][0] == "ADDED" and len(rss) == 2
    # Every change of the rollout, once each, in resourceVersion order.
    rvs = [rv for _, _, rv in events[1:]]
    assert rvs == sorted(set(rvs))
    want = [
        (e.type, e.object["metadata"]["name"], e.resource_version)
        for e in c.watch(events[0][2])
        if e.kind == "ReplicaSet"
    ]
    assert events[1:] == want and len(want) > 5


def test_the_dynamic_client_uses_legacy_discovery(api: Any) -> None:
    c, api_client = api
    c.apply(WEB)
    dyn = DynamicClient(api_client)
    deployments = dyn.resources.get(api_version="apps/v1", kind="Deployment")
    assert [d.metadata.name for d in deployments.get(namespace="default").items] == ["web"]
    pods = dyn.resources.get(api_version="v1", kind="Pod")
    assert len(pods.get(namespace="default", label_selector="app=web").items) == 3


def test_an_operator_on_the_official_client_acts_in_the_simulation(api: Any) -> None:
    """A plain watch loop, the shape of every operator: label each new Deployment and scale it
    to two replicas. Its writes go through the server and the controllers act on them."""
    c, api_client = api
    apps = client.AppsV1Api(api_client)
    handled: list[str] = []

    def operator() -> None:
        w = watch.Watch()
        for e in w.stream(apps.list_namespaced_deployment, "default", timeout_seconds=10):
            d = e["object"]
            if e["type"] == "ADDED" and "operator" not in (d.metadata.labels or {}):
                apps.patch_namespaced_deployment(
                    d.metadata.name, "default", {"metadata": {"labels": {"operator": "seen"}}}
                )
                apps.patch_namespaced_deployment_scale(d.metadata.name, "default", {"spec": {"replicas": 2}})
                handled.append(d.metadata.name)
            if len(handled) == 3:
                w.stop()

    t = threading.Thread(target=operator)
    t.start()
    for name in ("a", "b", "c"):
        manifest = json.loads(json.dumps(WEB).replace('"web"', json.dumps(name)))
        c.apply({**manifest, "spec": {**manifest["spec"], "replicas": 1}})
    t.join(timeout=15)
    assert sorted(handled) == ["a", "b", "c"]
    c.advance("30s")
    for name in ("a", "b", "c"):
        d = c.deployment(name)
        assert d.labels["operator"] == "seen" and d.available_replicas == 2


def test_pod_disruption_budgets_and_evictions(api: Any) -> None:
    c, api_client = api
    apps, core, policy = client.AppsV1Api(api_client), client.CoreV1Api(api_client), client.PolicyV1Api(api_client)
    apps.create_namespaced_deployment("default", WEB)
    policy.create_namespaced_pod_disruption_budget("default", BUDGET)
    c.advance("1m")
    read = policy.read_namespaced_pod_disruption_budget("web", "default")
    assert (read.status.disruptions_allowed, read.status.current_healthy, read.status.expected_pods) == (1, 3, 3)
    first, second = (p.name for p in c.pods()[:2])
    eviction = {"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": first, "namespace": "default"}}
    core.create_namespaced_pod_eviction(first, "default", eviction)
    assert "deletionTimestamp" in c.pod(first).to_dict()["metadata"]
    with pytest.raises(client.ApiException) as e:
        core.create_namespaced_pod_eviction(second, "default", eviction | {"metadata": {"name": second}})
    assert e.value.status == 429
    body = json.loads(e.value.body)
    assert body["message"] == "Cannot evict pod as it would violate the pod's disruption budget."
    assert body["details"]["causes"] == [
        {"reason": "DisruptionBudget", "message": "The disruption budget web needs 2 healthy pods and has 2 currently"}
    ]
    # upstream: checkAndDecrement's NewTooManyRequests(…, 0) — no retryAfterSeconds, no header.
    assert "retryAfterSeconds" not in body["details"] and "Retry-After" not in e.value.headers
    assert "deletionTimestamp" not in c.pod(second).to_dict()["metadata"]


def test_an_eviction_refused_while_the_budget_is_processed_says_retry_after_10_seconds(api: Any) -> None:
    # upstream: createTooManyRequestsError — NewTooManyRequests(…, 10) while the budget's
    # observedGeneration lags (here the controller fails safe on an owner without /scale), and
    # ErrorNegotiated puts details.retryAfterSeconds in a Retry-After header too.
    c, api_client = api
    core, policy = client.CoreV1Api(api_client), client.PolicyV1Api(api_client)
    c.kubectl("create configmap owner --from-literal=a=b")
    owner = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "name": "owner",
        "uid": c.get("configmap", "owner").uid,
        "controller": True,
    }
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "owned", "labels": {"app": "web"}, "ownerReferences": [owner]},
        "spec": {"containers": [{"name": "c", "image": "nginx"}]},
    }
    core.create_namespaced_pod("default", pod)
    c.advance("30s")
    policy.create_namespaced_pod_disruption_budget("default", BUDGET)
    eviction = {"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": "owned", "namespace": "default"}}
    with pytest.raises(client.ApiException) as e:
        core.create_namespaced_pod_eviction("owned", "default", eviction)
    assert e.value.status == 429 and e.value.headers["Retry-After"] == "10"
    details = json.loads(e.value.body)["details"]
    assert details["retryAfterSeconds"] == 10
    assert details["causes"] == [
        {"reason": "DisruptionBudget", "message": "The disruption budget web is still being processed by the server."}
    ]


def test_access_and_self_reviews_answer_as_an_always_allow_server() -> None:
    # An operator that checks its permissions at start (a SelfSubjectAccessReview) is allowed,
    # as by an API server run with --authorization-mode=AlwaysAllow; the token's user is named.
    c = kubesim.Cluster(nodes=1, seed=0)
    with c.serve(token="s3cret") as srv:
        api_client = config.new_client_from_config(srv.kubeconfig)
        try:
            authz, authn = client.AuthorizationV1Api(api_client), client.AuthenticationV1Api(api_client)
            attrs = client.V1ResourceAttributes(verb="patch", group="apps", resource="deployments", namespace="default")
            review = authz.create_self_subject_access_review(
                client.V1SelfSubjectAccessReview(spec=client.V1SelfSubjectAccessReviewSpec(resource_attributes=attrs))
            )
            assert review.status.allowed is True and review.spec.resource_attributes.resource == "deployments"
            me = authn.create_self_subject_review(client.V1SelfSubjectReview()).status.user_info
            assert (me.username, me.groups) == ("kubesim", ["system:masters", "system:authenticated"])
            local = authz.create_namespaced_local_subject_access_review(
                "team",
                client.V1LocalSubjectAccessReview(
                    metadata=client.V1ObjectMeta(namespace="team"),
                    spec=client.V1SubjectAccessReviewSpec(
                        user="jane", resource_attributes=client.V1ResourceAttributes(verb="get", namespace="team")
                    ),
                ),
            )
            assert local.status.allowed is True
            # upstream: ValidateSubjectAccessReviewSpec — a review of nobody is refused (422).
            with pytest.raises(client.ApiException) as e:
                authz.create_subject_access_review(
                    client.V1SubjectAccessReview(
                        spec=client.V1SubjectAccessReviewSpec(
                            resource_attributes=client.V1ResourceAttributes(verb="get")
                        )
                    )
                )
            assert e.value.status == 422
            assert json.loads(e.value.body)["details"]["causes"][0]["field"] == "spec.user"
        finally:
            api_client.close()
