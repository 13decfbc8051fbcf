"""The embedded API server over plain HTTP: the surface apiserver.md measured (discovery and its
content types, Tables, Status errors, watches), access control, and how time moves."""

from __future__ import annotations

import http.client
import json
import pickle
import socket
import threading
import urllib.parse
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kubesim

NGINX = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web", "labels": {"app": "web"}},
    "spec": {
        "replicas": 2,
        "selector": {"matchLabels": {"app": "web"}},
        "template": {
            "metadata": {"labels": {"app": "web"}},
            "spec": {"containers": [{"name": "nginx", "image": "nginx:1.25"}]},
        },
    },
}
TABLE = (
    "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json"
)
AGGREGATED = (
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
    "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json"
)


_OPEN: list[http.client.HTTPConnection] = []


@pytest.fixture(autouse=True)
def _close_connections() -> Iterator[None]:
    yield
    while _OPEN:
        _OPEN.pop().close()


class Http:
    """A keep-alive connection to a server, as kubectl holds one."""

    def __init__(self, url: str, token: str | None = None) -> None:
        u = urllib.parse.urlsplit(url)
        self.conn = http.client.HTTPConnection(u.hostname or "", u.port, timeout=10)
        self.token = token
        _OPEN.append(self.conn)

    def request(
        self, method: str, path: str, body: Any = None, content_type: str | None = None, accept: str | None = None
    ) -> tuple[int, dict[str, str], Any]:
        headers = {}
        if accept:
            headers["Accept"] = accept
        if content_type:
            headers["Content-Type"] = content_type
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
        self.conn.request(method, path, body=data, headers=headers)
        r = self.conn.getresponse()
        raw = r.read()
        parsed = json.loads(raw) if raw else None
        return r.status, {k.lower(): v for k, v in r.getheaders()}, parsed


@pytest.fixture
def served() -> Iterator[tuple[kubesim.Cluster, kubesim.Server, Http]]:
    c = kubesim.Cluster(nodes=3, seed=0)
    with c.serve() as srv:
        yield c, srv, Http(srv.url)


def test_version_reports_1_32_for_the_kubectl_dispatcher(served: Any) -> None:
    _, _, h = served
    code, _, v = h.request("GET", "/version?timeout=5s")
    assert code == 200
    assert (v["major"], v["minor"]) == ("1", "32")
    assert v["gitVersion"].startswith("v1.32.")


def test_aggregated_discovery_has_kubectls_exact_content_type(served: Any) -> None:
    _, _, h = served
    code, headers, body = h.request("GET", "/apis?timeout=32s", accept=AGGREGATED)
    assert code == 200
    assert headers["content-type"] == "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
    groups = {g["metadata"]["name"]: g for g in body["items"]}
    deploy = next(r for r in groups["apps"]["versions"][0]["resources"] if r["resource"] == "deployments")
    assert deploy["responseKind"] == {"group": "apps", "version": "v1", "kind": "Deployment"}
    assert deploy["shortNames"] == ["deploy"] and deploy["categories"] == ["all"]
    assert {"subresource": "scale"}.items() <= deploy["subresources"][0].items()
    code, headers, core = h.request("GET", "/api", accept=AGGREGATED)
    assert core["items"][0]["metadata"]["name"] == ""
    assert {r["resource"] for r in core["items"][0]["versions"][0]["resources"]} >= {"pods", "nodes", "events"}


def test_legacy_discovery_without_the_aggregated_accept(served: Any) -> None:
    _, srv, h = served
    code, headers, api = h.request("GET", "/api", accept="application/json")
    assert headers["content-type"] == "application/json"
    assert api["kind"] == "APIVersions" and api["versions"] == ["v1"]
    assert api["serverAddressByClientCIDRs"][0]["serverAddress"] == srv.url.removeprefix("http://")
    _, _, apis = h.request("GET", "/apis")
    assert apis["kind"] == "APIGroupList"
    assert any(g["name"] == "apps" and g["preferredVersion"]["groupVersion"] == "apps/v1" for g in apis["groups"])
    _, _, rl = h.request("GET", "/apis/apps/v1")
    names = [r["name"] for r in rl["resources"]]
    assert "deployments" in names and "deployments/scale" in names
    assert h.request("GET", "/apis/widgets.example.com/v1")[0] == 404


def test_openapi_v3_lets_kubectl_leave_validation_to_the_server(served: Any) -> None:
    _, _, h = served
    _, _, index = h.request("GET", "/openapi/v3?timeout=32s")
    url = index["paths"]["apis/apps/v1"]["serverRelativeURL"]
    code, _, doc = h.request("GET", url)
    assert code == 200
    patch = doc["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]["patch"]
    assert patch["x-kubernetes-group-version-kind"] == {"group": "apps", "version": "v1", "kind": "Deployment"}
    assert any(p["name"] == "fieldValidation" for p in patch["parameters"])
    assert h.request("GET", "/openapi/v2")[0] == 404


def test_list_get_and_table_match_the_python_api(served: Any) -> None:
    c, _, h = served
    c.apply(NGINX)
    c.advance("30s")
    code, _, lst = h.request("GET", "/apis/apps/v1/namespaces/default/deployments")
    assert code == 200 and lst["kind"] == "DeploymentList"
    assert lst["metadata"]["resourceVersion"] == str(c.resource_version)
    assert lst["items"][0] == c.deployment("web").to_dict()
    code, _, table = h.request("GET", "/apis/apps/v1/namespaces/default/deployments?limit=500", accept=TABLE)
    assert table["kind"] == "Table"
    assert [col["name"] for col in table["columnDefinitions"] if col["priority"] == 0] == [
        "NAME",
        "READY",
        "UP-TO-DATE",
        "AVAILABLE",
        "AGE",
    ]
    # AGE comes from the virtual clock.
    assert table["rows"][0]["cells"][:5] == ["web", "2/2", "2", "2", "30s"]
    assert table["rows"][0]["object"]["kind"] == "PartialObjectMetadata"
    assert table["rows"][0]["object"]["metadata"]["labels"] == {"app": "web"}
    code, _, pods = h.request("GET", "/api/v1/namespaces/default/pods?labelSelector=app%3Dweb")
    assert sorted(p["metadata"]["name"] for p in pods["items"]) == sorted(p.name for p in c.pods(selector="app=web"))
    _, _, none = h.request("GET", "/api/v1/namespaces/default/pods?labelSelector=app%20in%20(db)")
    assert none["items"] == []
    _, _, one = h.request("GET", "/apis/apps/v1/namespaces/default/deployments?fieldSelector=metadata.name%3Dweb")
    assert [d["metadata"]["name"] for d in one["items"]] == ["web"]
    _, _, all_ns = h.request("GET", "/api/v1/pods")
    assert len(all_ns["items"]) == 2


def test_limit_and_continue_page_through_a_list(served: Any) -> None:
    c, _, h = served
    c.apply({**NGINX, "spec": {**NGINX["spec"], "replicas": 5}})
    names: list[str] = []
    path = "/api/v1/namespaces/default/pods?limit=2"
    while True:
        _, _, page = h.request("GET", path)
        names += [p["metadata"]["name"] for p in page["items"]]
        token = page["metadata"].get("continue")
        if not token:
            break
        path = "/api/v1/namespaces/default/pods?limit=2&continue=" + urllib.parse.quote(token)
    assert names == sorted(p.name for p in c.pods())


def test_errors_are_status_objects_worded_as_upstream(served: Any) -> None:
    c, _, h = served
    code, _, s = h.request("GET", "/apis/apps/v1/namespaces/default/deployments/nope")
    assert code == 404
    assert s == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": 'deployments.apps "nope" not found',
        "reason": "NotFound",
        "details": {"name": "nope", "group": "apps", "kind": "deployments"},
        "code": 404,
    }
    code, _, s = h.request("POST", "/apis/apps/v1/namespaces/default/deployments", NGINX)
    assert code == 201 and s["metadata"]["uid"]
    code, _, s = h.request("POST", "/apis/apps/v1/namespaces/default/deployments", NGINX)
    assert (code, s["reason"], s["message"]) == (409, "AlreadyExists", 'deployments.apps "web" already exists')
    bad = {**NGINX, "metadata": {"name": "bad"}, "spec": {**NGINX["spec"], "replicas": -1}}
    code, _, s = h.request("POST", "/apis/apps/v1/namespaces/default/deployments", bad)
    assert (code, s["reason"]) == (422, "Invalid")
    assert s["details"]["kind"] == "Deployment"
    assert {"field": "spec.replicas", "reason": "FieldValueInvalid"}.items() <= s["details"]["causes"][0].items()
    code, _, s = h.request("POST", "/apis/apps/v1/namespaces/default/deployments", b"{not json")
    assert (code, s["reason"]) == (400, "BadRequest")
    code, _, s = h.request(
        "POST",
        "/apis/apps/v1/namespaces/other/deployments",
        {**NGINX, "metadata": {"name": "x", "namespace": "default"}},
    )
    assert code == 400 and "does not match the namespace" in s["message"]
    # protobuf: a kind without a decoder is 415 (kubectl does not retry in JSON), bad bytes 400.
    pod = b"k8s\x00\x0a\x09\x0a\x02v1\x12\x03Pod"  # (kubectl sends no pod as protobuf)
    proto = "application/vnd.kubernetes.protobuf"
    code, _, s = h.request("POST", "/api/v1/namespaces/default/widgets", pod, content_type=proto)
    assert code == 404  # no such resource
    code, _, s = h.request("POST", "/api/v1/namespaces/default/pods", pod, content_type=proto)
    assert (code, s["reason"]) == (415, "UnsupportedMediaType")
    code, _, s = h.request("POST", "/api/v1/namespaces/default/pods", b"k8s\x00\x0a", content_type=proto)
    assert (code, s["reason"]) == (400, "BadRequest")
    assert h.request("GET", "/apis/apps/v1/namespaces/default/widgets")[0] == 404
    # Nothing of the refused requests was stored.
    assert [d.name for d in c.deployments()] == ["web"]


def test_field_validation_strict_warn_and_ignore(served: Any) -> None:
    c, srv, h = served
    odd = {**NGINX, "spec": {**NGINX["spec"], "foo": 1}}
    odd["spec"]["template"] = {
        "metadata": {"labels": {"app": "web"}},
        "spec": {"containers": [{"name": "nginx", "image": "nginx", "bar": 2}]},
    }
    path = "/apis/apps/v1/namespaces/default/deployments"
    code, _, s = h.request("POST", path + "?fieldValidation=Strict", odd)
    assert (code, s["message"]) == (
        400,
        'Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: '
        'unknown field "spec.foo", unknown field "spec.template.spec.containers[0].bar"',
    )
    assert c.deployments() == []
    # No parameter is Warn, the server's default (the Python client sends none).
    u = urllib.parse.urlsplit(srv.url)
    conn = http.client.HTTPConnection(u.hostname or "", u.port, timeout=10)
    _OPEN.append(conn)
    conn.request("POST", path, body=json.dumps(odd))
    r = conn.getresponse()
    r.read()
    assert r.status == 201
    assert r.headers.get_all("Warning") == [
        '299 - "unknown field \\"spec.foo\\""',
        '299 - "unknown field \\"spec.template.spec.containers[0].bar\\""',
    ]
    assert "foo" not in c.deployment("web").to_dict()["spec"]
    code, headers, _ = h.request("POST", path + "?fieldValidation=Ignore", {**odd, "metadata": {"name": "web2"}})
    assert code == 201 and "warning" not in headers
    assert h.request("POST", path + "?fieldValidation=Loud", odd)[0] == 400


def test_a_dry_run_answers_like_the_write_and_changes_nothing(served: Any) -> None:
    c, _, h = served
    rv = c.resource_version
    path = "/apis/apps/v1/namespaces/default/deployments"
    code, _, d = h.request("POST", path + "?dryRun=All", NGINX)
    assert code == 201 and d["spec"]["strategy"]["type"] == "RollingUpdate"  # defaulted
    bad = {**NGINX, "spec": {**NGINX["spec"], "replicas": -1}}
    assert h.request("POST", path + "?dryRun=All", bad)[0] == 422
    assert c.deployments() == [] and c.resource_version == rv
    c.apply(NGINX)
    rv = c.resource_version
    code, _, d = h.request("PATCH", path + "/web?dryRun=All", {"spec": {"replicas": 7}}, "application/merge-patch+json")
    assert code == 200 and d["spec"]["replicas"] == 7
    assert h.request("DELETE", path + "/web?dryRun=All")[0] == 200
    assert c.deployment("web").replicas == 2 and c.resource_version == rv
    assert h.request("POST", path + "?dryRun=Some", NGINX)[0] == 400
    pickle.dumps(c)  # dry runs are not writes


def test_patch_types_and_the_scale_subresource(served: Any) -> None:
    c, _, h = served
    c.apply(NGINX)
    path = "/apis/apps/v1/namespaces/default/deployments/web"
    smp = {
        "spec": {
            "template": {
                "spec": {
                    "$setElementOrder/containers": [{"name": "nginx"}],
                    "containers": [{"image": "nginx:1.27", "name": "nginx"}],
                }
            }
        }
    }
    code, _, d = h.request("PATCH", path, smp, "application/strategic-merge-patch+json")
    assert code == 200
    assert c.deployment("web").to_dict()["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.27"
    code, _, d = h.request("PATCH", path, {"metadata": {"labels": {"tier": "front"}}}, "application/merge-patch+json")
    assert c.deployment("web").labels == {"app": "web", "tier": "front"}
    ops = [{"op": "add", "path": "/spec/minReadySeconds", "value": 5}]
    code, _, d = h.request("PATCH", path, ops, "application/json-patch+json")
    assert code == 200 and d["spec"]["minReadySeconds"] == 5
    code, _, s = h.request(
        "PATCH", path, [{"op": "test", "path": "/spec/replicas", "value": 9}], "application/json-patch+json"
    )
    assert code == 422
    code, _, s = h.request("PATCH", path, {"spec": {}}, "text/plain")
    assert code == 415
    code, _, scale = h.request("GET", path + "/scale")
    assert scale["kind"] == "Scale" and scale["spec"] == {"replicas": 2}
    assert scale["status"]["selector"] == "app=web"
    code, _, scale = h.request("PATCH", path + "/scale", {"spec": {"replicas": 4}}, "application/merge-patch+json")
    assert code == 200 and scale["spec"]["replicas"] == 4 and c.deployment("web").replicas == 4
    stale = {**scale, "metadata": {**scale["metadata"], "resourceVersion": "1"}, "spec": {"replicas": 1}}
    code, _, s = h.request("PUT", path + "/scale", stale)
    assert (code, s["reason"]) == (409, "Conflict")
    assert c.deployment("web").replicas == 4


def test_server_side_apply_creates_then_merges(served: Any) -> None:
    c, _, h = served
    path = "/apis/apps/v1/namespaces/default/deployments/web?fieldManager=kubectl&fieldValidation=Strict&force=false"
    code, _, d = h.request("PATCH", path, NGINX, "application/apply-patch+yaml")
    assert code == 201 and c.deployment("web").replicas == 2
    changed = {**NGINX, "spec": {**NGINX["spec"], "replicas": 3}}
    code, _, d = h.request("PATCH", path, changed, "application/apply-patch+yaml")
    assert code == 200 and c.deployment("web").replicas == 3


def test_delete_returns_a_status_or_the_terminating_object(served: Any) -> None:
    c, _, h = served
    c.apply(NGINX)
    c.advance("10s")
    pod = c.pods()[0].name
    code, _, p = h.request("DELETE", f"/api/v1/namespaces/default/pods/{pod}", {"propagationPolicy": "Background"})
    # A running pod terminates gracefully: the object comes back with its deletionTimestamp.
    assert code == 200 and p["kind"] == "Pod" and p["metadata"]["deletionTimestamp"]
    code, _, s = h.request(
        "DELETE", "/apis/apps/v1/namespaces/default/deployments/web", {"propagationPolicy": "Orphan"}
    )
    assert code == 200 and s["kind"] == "Status" and s["status"] == "Success"
    assert s["details"]["name"] == "web" and s["details"]["kind"] == "deployments"
    assert c.deployments() == [] and len(c.replicasets()) == 1


def _watch(srv: kubesim.Server, path: str, accept: str | None = None) -> Iterator[dict[str, Any]]:
    """Start a watch now (the server has taken its starting point when this returns) and
    iterate over its events."""
    u = urllib.parse.urlsplit(srv.url)
    conn = http.client.HTTPConnection(u.hostname or "", u.port, timeout=10)
    _OPEN.append(conn)
    conn.request("GET", path, headers={"Accept": accept} if accept else {})
    r = conn.getresponse()
    assert r.status == 200 and r.getheader("Transfer-Encoding") == "chunked"

    def events() -> Iterator[dict[str, Any]]:
        while line := r.readline():
            yield json.loads(line)

    return events()


def test_watch_sends_initial_adds_then_live_events_in_order(served: Any) -> None:
    c, srv, _ = served
    c.apply(NGINX)
    stream = _watch(srv, "/apis/apps/v1/namespaces/default/deployments?watch=true&timeoutSeconds=5")
    first = next(stream)
    assert first["type"] == "ADDED" and first["object"]["metadata"]["name"] == "web"
    c.deployment("web").scale(3)
    seen = []
    for e in stream:
        seen.append(e)
        if e["object"]["spec"]["replicas"] == 3:
            break
    assert all(e["type"] == "MODIFIED" for e in seen)
    rvs = [int(e["object"]["metadata"]["resourceVersion"]) for e in seen]
    assert rvs == sorted(rvs) and rvs[0] > int(first["object"]["metadata"]["resourceVersion"])


def test_watch_from_a_resource_version_replays_what_followed_it(served: Any) -> None:
    c, srv, _ = served
    rv = c.resource_version
    c.apply(NGINX)
    c.advance("10s")
    want = [(e.type, e.resource_version) for e in c.watch(since=rv) if e.kind == "Pod"]
    got = []
    for e in _watch(srv, f"/api/v1/namespaces/default/pods?watch=1&resourceVersion={rv}&timeoutSeconds=1"):
        got.append((e["type"], int(e["object"]["metadata"]["resourceVersion"])))
    assert got == want and len(got) > 4


def test_watch_of_compacted_history_is_an_expired_error_event(served: Any) -> None:
    c, srv, _ = served
    c.apply({**NGINX, "spec": {**NGINX["spec"], "replicas": 300}})
    c.advance("1m")
    events = list(_watch(srv, "/api/v1/namespaces/default/pods?watch=true&resourceVersion=2&timeoutSeconds=1"))
    assert len(events) == 1 and events[0]["type"] == "ERROR"
    assert events[0]["object"]["code"] == 410 and events[0]["object"]["reason"] == "Expired"


def test_watch_as_table_for_kubectl_get_w(served: Any) -> None:
    c, srv, _ = served
    c.apply(NGINX)
    rv = c.resource_version
    stream = _watch(srv, f"/apis/apps/v1/namespaces/default/deployments?watch=true&resourceVersion={rv}", TABLE)
    c.deployment("web").scale(1)
    e = next(stream)
    assert e["type"] == "MODIFIED" and e["object"]["kind"] == "Table"
    assert e["object"]["rows"][0]["cells"][0] == "web"


def test_bookmarks_carry_the_resource_version_when_asked(served: Any) -> None:
    c, srv, _ = served
    rv = c.resource_version
    stream = _watch(
        srv, f"/apis/apps/v1/namespaces/default/deployments?watch=1&allowWatchBookmarks=true&resourceVersion={rv}"
    )
    # A change the watch does not select: only the bookmark tells the watcher about it.
    c.apply(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "p"},
            "spec": {"containers": [{"name": "c", "image": "redis"}]},
        }
    )
    e = next(stream)
    assert e["type"] == "BOOKMARK"
    assert e["object"]["kind"] == "Deployment" and int(e["object"]["metadata"]["resourceVersion"]) == c.resource_version


def test_a_token_is_required_when_given() -> None:
    c = kubesim.Cluster(nodes=1, seed=0)
    with c.serve(token="s3cret") as srv:
        code, _, s = Http(srv.url).request("POST", "/apis/apps/v1/namespaces/default/deployments", NGINX)
        assert (code, s["reason"]) == (401, "Unauthorized")
        assert c.deployments() == []
        code, _, _ = Http(srv.url, token="s3cret").request(
            "POST", "/apis/apps/v1/namespaces/default/deployments", NGINX
        )
        assert code == 201
        with open(srv.kubeconfig) as f:
            assert 'token: "s3cret"' in f.read()


def test_a_huge_body_is_refused_and_the_server_goes_on(served: Any) -> None:
    c, srv, h = served
    u = urllib.parse.urlsplit(srv.url)
    with socket.create_connection((u.hostname, u.port), timeout=10) as s:
        s.sendall(b"POST /api/v1/namespaces/default/pods HTTP/1.1\r\nHost: x\r\nContent-Length: 4194304\r\n\r\n{")
        head = s.recv(4096).decode()
    assert head.startswith("HTTP/1.1 413") and "RequestEntityTooLarge" in head
    # A body that never comes and garbage instead of HTTP leave the server serving.
    with socket.create_connection((u.hostname, u.port), timeout=10) as s:
        s.sendall(b"\x00\x01 not http\r\n\r\n")
        assert s.recv(4096).startswith(b"HTTP/1.1 400")
    assert h.request("GET", "/version")[0] == 200
    assert c.pods() == []


def test_hpas_are_served_as_autoscaling_v2_and_v1(served: Any) -> None:
    c, _, h = served
    c.apply(NGINX)
    v1 = {
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
    code, _, hpa = h.request("POST", "/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers", v1)
    assert code == 201 and hpa["apiVersion"] == "autoscaling/v1" and hpa["spec"]["targetCPUUtilizationPercentage"] == 70
    _, _, v2 = h.request("GET", "/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers/web")
    assert v2["spec"]["metrics"][0]["resource"]["target"] == {"type": "Utilization", "averageUtilization": 70}
    path = "/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers/web"
    code, _, hpa = h.request(
        "PATCH", path, {"spec": {"targetCPUUtilizationPercentage": 50}}, "application/merge-patch+json"
    )
    assert code == 200 and hpa["spec"]["targetCPUUtilizationPercentage"] == 50
    assert c.hpas()[0].to_dict()["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"] == 50


def test_manual_clock_moves_only_when_asked(served: Any) -> None:
    c, _, h = served
    start = c.now
    h.request("GET", "/version")
    assert c.now == start
    code, _, clock = h.request("POST", "/kubesim/advance?by=90s")
    assert code == 200 and clock["elapsedSeconds"] == 90
    assert c.elapsed == 90
    assert h.request("POST", "/kubesim/advance?by=soon")[0] == 400


def test_the_same_requests_give_the_same_history() -> None:
    def run() -> list[tuple[str, int, str]]:
        c = kubesim.Cluster(nodes=3, seed=4)
        with c.serve() as srv:
            h = Http(srv.url)
            h.request("POST", "/apis/apps/v1/namespaces/default/deployments", NGINX)
            h.request("POST", "/kubesim/advance?by=20s")
            h.request(
                "PATCH",
                "/apis/apps/v1/namespaces/default/deployments/web/scale",
                {"spec": {"replicas": 5}},
                "application/merge-patch+json",
            )
            h.request("POST", "/kubesim/advance?by=20s")
        return [(e.type, e.resource_version, json.dumps(e.object, sort_keys=True)) for e in c.watch()]

    assert run() == run()


def test_a_cluster_changed_through_its_server_saves_and_continues(served: Any) -> None:
    c, _, h = served
    h.request("POST", "/apis/apps/v1/namespaces/default/deployments", NGINX)
    h.request("POST", "/kubesim/advance?by=20s")
    loaded = pickle.loads(pickle.dumps(c))
    assert loaded.deployment("web").available_replicas == 2
    for x in (c, loaded):
        x.deployment("web").set_image(nginx="nginx:1.27")
        x.advance(60)
    assert [(e.type, e.resource_version, e.object) for e in loaded.watch()] == [
        (e.type, e.resource_version, e.object) for e in c.watch()
    ]


def test_wall_clock_moves_virtual_time_with_speed() -> None:
    c = kubesim.Cluster(nodes=1, seed=0)
    with c.serve(clock="wall", speed=1000) as srv:
        h = Http(srv.url)
        for _ in range(100_000):  # 5 virtual seconds are 5 ms of wall time
            _, _, clock = h.request("GET", "/kubesim/clock")
            if clock["elapsedSeconds"] >= 5:
                break
        assert clock["elapsedSeconds"] >= 5 and c.elapsed >= 5


def test_stop_ends_the_server_and_removes_its_kubeconfig() -> None:
    import os

    c = kubesim.Cluster(nodes=1, seed=0)
    srv = c.serve()
    assert srv.running and os.path.exists(srv.kubeconfig)
    srv.stop()
    srv.stop()
    assert not srv.running and not os.path.exists(srv.kubeconfig)
    with pytest.raises(ConnectionError):
        Http(srv.url).request("GET", "/version")
    # The cluster goes on without it.
    c.apply(NGINX)


def test_stop_ends_open_watches_promptly() -> None:
    import time

    c = kubesim.Cluster(nodes=1, seed=0)
    srv = c.serve()
    stream = _watch(srv, "/api/v1/pods?watch=true")
    t0 = time.monotonic()
    srv.stop()
    assert list(stream) == []  # the stream ended
    assert time.monotonic() - t0 < 5
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(srv)


def test_serving_beyond_loopback_warns() -> None:
    c = kubesim.Cluster(nodes=1, seed=0)
    with pytest.warns(UserWarning, match="reachable from other machines"):
        srv = c.serve(address="0.0.0.0")
    srv.stop()


def test_concurrent_writers_and_watchers_see_every_change_once_in_order(served: Any) -> None:
    c, srv, _ = served
    for i in range(4):
        c.apply({**NGINX, "metadata": {"name": f"web-{i}", "labels": {"app": "web"}}})
    start = c.resource_version
    watchers: list[list[tuple[str, int]]] = [[] for _ in range(5)]
    done = threading.Event()

    def watch(out: list[tuple[str, int]]) -> None:
        for e in _watch(
            srv, f"/apis/apps/v1/namespaces/default/deployments?watch=1&resourceVersion={start}&timeoutSeconds=20"
        ):
            out.append((e["object"]["metadata"]["name"], int(e["object"]["metadata"]["resourceVersion"])))
            if done.is_set() and out[-1][1] >= final:
                return

    def write(i: int) -> None:
        h = Http(srv.url)
        for n in range(40):
            patch = {"metadata": {"labels": {"n": str(n)}}}
            code, _, _ = h.request(
                "PATCH", f"/apis/apps/v1/namespaces/default/deployments/web-{i}", patch, "application/merge-patch+json"
            )
            assert code == 200

    threads = [threading.Thread(target=watch, args=(w,)) for w in watchers]
    for t in threads:
        t.start()
    writers = [threading.Thread(target=write, args=(i,)) for i in range(4)]
    for t in writers:
        t.start()
    for t in writers:
        t.join()
    want = [(e.object["metadata"]["name"], e.resource_version) for e in c.watch(start) if e.kind == "Deployment"]
    final = want[-1][1]
    done.set()
    # Wake watchers that already saw everything: one more change past the final one.
    c.deployment("web-0").scale(3)
    for t in threads:
        t.join()
    assert len(want) == 160
    for got in watchers:
        assert [g for g in got if g[1] <= final] == want


def test_a_watch_reports_objects_entering_and_leaving_its_label_selector(served: Any) -> None:
    c, srv, _ = served
    c.apply(NGINX)
    rv = c.resource_version
    stream = _watch(
        srv, f"/apis/apps/v1/namespaces/default/deployments?watch=1&labelSelector=tier%3Dfront&resourceVersion={rv}"
    )
    c.kubectl("label deployment web tier=front")
    first = next(stream)
    assert (first["type"], first["object"]["metadata"]["labels"]["tier"]) == ("ADDED", "front")
    c.kubectl("label deployment web tier=back --overwrite")
    left = next(stream)
    # upstream: the object's state before it left, at the resourceVersion of the change.
    assert left["type"] == "DELETED" and left["object"]["metadata"]["labels"]["tier"] == "front"
    assert int(left["object"]["metadata"]["resourceVersion"]) > int(first["object"]["metadata"]["resourceVersion"])
    assert c.deployment("web").labels["tier"] == "back"


PATHS = [
    "/api/v1/namespaces/default/pods",
    "/api/v1/namespaces/default/pods/web",
    "/apis/apps/v1/namespaces/default/deployments/web",
    "/apis/apps/v1/namespaces/default/deployments/web/scale",
    "/apis/apps/v1/namespaces/default/deployments/web/status",
    "/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers",
    "/api/v1/nodes/node-1",
    "/api/v1/namespaces/x",
    "/apis/metrics.k8s.io/v1beta1/nodes",
    "/kubesim/advance",
    "/openapi/v3/apis/apps/v1",
]
CONTENT_TYPES = [
    None,
    "application/json",
    "application/yaml",
    "application/merge-patch+json",
    "application/strategic-merge-patch+json",
    "application/json-patch+json",
    "application/apply-patch+yaml",
    "application/vnd.kubernetes.protobuf",
    "text/plain",
]
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    method=st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE"]),
    path=st.sampled_from(PATHS),
    query=st.sampled_from(["", "?watch=true&timeoutSeconds=1", "?dryRun=All", "?labelSelector=a%20in", "?limit=x"]),
    content_type=st.sampled_from(CONTENT_TYPES),
    body=st.one_of(st.binary(max_size=64), JSON.map(lambda v: json.dumps(v).encode())),
)
def test_malformed_requests_get_a_4xx_and_never_break_the_server(
    served: Any, method: str, path: str, query: str, content_type: str | None, body: bytes
) -> None:
    c, srv, h = served
    if not c.deployments():
        c.apply(NGINX)
    headers = {"Content-Type": content_type} if content_type else {}
    h.conn.request(method, path + query, body=body, headers=headers)
    r = h.conn.getresponse()
    answer = r.read()
    assert r.status < 500, answer
    assert h.request("GET", "/version")[0] == 200
