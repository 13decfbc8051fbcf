"""lightkube (typed models over httpx, a different style from the official client) against
``c.serve()``: create, list with a selector, patch, the scale subresource and a watch."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

import kubesim

lightkube = pytest.importorskip("lightkube", reason="lightkube is not installed")
from lightkube import Client, KubeConfig  # noqa: E402
from lightkube.models.apps_v1 import DeploymentSpec  # noqa: E402
from lightkube.models.core_v1 import Container, PodSpec, PodTemplateSpec  # noqa: E402
from lightkube.models.meta_v1 import LabelSelector, ObjectMeta  # noqa: E402
from lightkube.resources.apps_v1 import Deployment  # noqa: E402
from lightkube.resources.core_v1 import Pod  # noqa: E402


@pytest.fixture
def served() -> Iterator[tuple[kubesim.Cluster, Any]]:
    c = kubesim.Cluster(nodes=3, seed=0)
    with c.serve() as srv:
        client = Client(KubeConfig.from_file(srv.kubeconfig))
        try:
            yield c, client
        finally:
            client.close()


def web(name: str = "web", replicas: int = 2) -> Deployment:
    labels = {"app": name}
    return Deployment(
        metadata=ObjectMeta(name=name, labels=labels),
        spec=DeploymentSpec(
            replicas=replicas,
            selector=LabelSelector(matchLabels=labels),
            template=PodTemplateSpec(
                metadata=ObjectMeta(labels=labels), spec=PodSpec(containers=[Container(name="nginx", image="nginx")])
            ),
        ),
    )


def test_create_list_patch_scale(served: Any) -> None:
    c, client = served
    created = client.create(web())
    assert created.metadata.uid == c.deployment("web").uid
    c.advance("10s")
    pods = client.list(Pod, namespace="default", labels={"app": "web"})
    assert sorted(p.metadata.name for p in pods) == sorted(p.name for p in c.pods())
    assert client.patch(Deployment, "web", {"spec": {"replicas": 3}}, namespace="default").spec.replicas == 3
    assert client.get(Deployment.Scale, "web", namespace="default").spec.replicas == 3
    assert c.deployment("web").replicas == 3


def test_watch_sees_each_new_deployment(served: Any) -> None:
    c, client = served
    rv = str(c.resource_version)
    seen: list[tuple[str, str]] = []

    def follow() -> None:
        stream = client.watch(Deployment, namespace="default", resource_version=rv)
        for op, d in stream:
            seen.append((op, d.metadata.name))
            if op == "ADDED" and d.metadata.name == "c":
                break
        stream.close()  # type: ignore[attr-defined]

    t = threading.Thread(target=follow)
    t.start()
    for name in ("a", "b", "c"):
        c.apply(web(name, replicas=1).to_dict())
    t.join(timeout=15)
    assert [n for op, n in seen if op == "ADDED"] == ["a", "b", "c"]
