"""EndpointSlices: the EndpointSlice controller's rules (pkg/controller/endpointslice and the
k8s.io/endpointslice reconciler) run through the simulation, kubectl's printing of them
(kubectl-everyday.md §8, §9.1), user-made slices and Endpoints, and that a sync from memory
stays what a sync from scratch gives across saves, forks and thread counts."""

from __future__ import annotations

import hashlib
import os
import pickle
import shutil
import subprocess

import pytest

import kubesim
from kubesim.errors import InvalidObjectError


def deployment(
    name: str, replicas: int, *, port: int = 80, labels: dict[str, str] | None = None, probe: bool = False
) -> str:
    labels = labels or {"app": name}
    label_text = ", ".join(f"{k}: {v}" for k, v in labels.items())
    readiness = "\n        readinessProbe: {httpGet: {path: /, port: http}, periodSeconds: 5}" if probe else ""
    return f"""
apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}}}
spec:
  replicas: {replicas}
  selector: {{matchLabels: {{{label_text}}}}}
  template:
    metadata: {{labels: {{{label_text}}}}}
    spec:
      containers:
      - name: app
        image: nginx:1.25
        ports: [{{containerPort: {port}, name: http}}]{readiness}
"""


def service(name: str = "web", selector: str = "{app: web}", extra: str = "", labels: str = "{}") -> str:
    return f"""
apiVersion: v1
kind: Service
metadata: {{name: {name}, labels: {labels}}}
spec:
  selector: {selector}
  ports: [{{name: web, port: 80, targetPort: http}}]
{extra}"""


def slices(c: kubesim.Cluster, svc: str = "web", namespace: str = "default") -> list[dict]:
    return [s.to_dict() for s in c.list("endpointslices", f"kubernetes.io/service-name={svc}", namespace)]


def endpoints_by_pod(c: kubesim.Cluster, svc: str = "web") -> dict[str, dict]:
    out = {}
    for s in slices(c, svc):
        for e in s.get("endpoints") or []:
            assert e["targetRef"]["name"] not in out, "a pod is in one slice only"
            out[e["targetRef"]["name"]] = e
    return out


def test_a_service_lists_its_ready_pods_with_the_resolved_port():
    c = kubesim.Cluster(nodes=3, seed=1)
    c.apply(deployment("web", 3, port=8080) + "---" + service(labels="{tier: front}"))
    c.advance("1m")
    (s,) = slices(c)
    assert s["addressType"] == "IPv4"
    assert s["ports"] == [{"name": "web", "port": 8080, "protocol": "TCP"}]
    assert s["metadata"]["generateName"] == "web-" and s["metadata"]["name"].startswith("web-")
    assert s["metadata"]["labels"] == {
        "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io",
        "kubernetes.io/service-name": "web",
        "tier": "front",
    }
    (owner,) = s["metadata"]["ownerReferences"]
    assert (owner["kind"], owner["name"], owner["controller"]) == ("Service", "web", True)
    pods = {p.name: p.to_dict() for p in c.pods()}
    eps = endpoints_by_pod(c)
    assert set(eps) == set(pods)
    for name, e in eps.items():
        p = pods[name]
        assert e["addresses"] == [p["status"]["podIP"]]
        assert e["nodeName"] == p["spec"]["nodeName"]
        assert e["conditions"] == {"ready": True, "serving": True, "terminating": False}
        assert e["targetRef"] == {"kind": "Pod", "namespace": "default", "name": name, "uid": p["metadata"]["uid"]}
    svc = c.get("service", "web")
    assert svc.endpoints == sorted(p["status"]["podIP"] for p in pods.values())  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("case", "publish", "want"),
    [
        # upstream: podToEndpoint — serving is readiness, ready also needs the pod not terminating.
        ("ready", False, {"ready": True, "serving": True, "terminating": False}),
        ("not ready", False, {"ready": False, "serving": False, "terminating": False}),
        ("terminating", False, {"ready": False, "serving": True, "terminating": True}),
        ("not ready", True, {"ready": True, "serving": False, "terminating": False}),
        ("terminating", True, {"ready": True, "serving": True, "terminating": True}),
    ],
)
def test_endpoint_conditions_follow_upstream(case, publish, want):
    c = kubesim.Cluster(nodes=1, seed=0)
    c.images.register("slow:*", ready_after="30s", stop="20s")
    image = "slow:1" if case == "not ready" else "nginx:1.25"
    c.images.register("nginx:*", stop="20s")
    c.apply(
        deployment("web", 1, probe=True).replace("nginx:1.25", image)
        + "---"
        + service(extra=f"  publishNotReadyAddresses: {str(publish).lower()}")
    )
    c.advance("10s" if case == "not ready" else "1m")
    (pod,) = c.pods()
    if case == "terminating":
        c.delete("pod", pod.name)
        c.advance("1s")
    assert endpoints_by_pod(c)[pod.name]["conditions"] == want


def test_pods_without_an_ip_or_finished_are_left_out_and_a_placeholder_stands_in():
    c = kubesim.Cluster(nodes=1, seed=0)
    c.apply(service())
    c.advance("1s")
    (s,) = slices(c)
    assert s["endpoints"] == [] and s["ports"] == []
    assert c.kubectl("get endpointslices").splitlines()[1].split()[1:4] == ["IPv4", "<unset>", "<unset>"]
    # A pod that is not scheduled has no IP, so no endpoint.
    c.apply(deployment("web", 1).replace("containers:", "nodeSelector: {disk: ssd}\n      containers:"))
    c.advance("10s")
    # The placeholder stays as it was (upstream keeps an equal placeholder rather than remake it).
    assert slices(c) == [s]
    assert endpoints_by_pod(c) == {}


def test_slices_hold_at_most_100_and_scale_down_reuses_the_first_as_placeholder():
    c = kubesim.Cluster(nodes=3, seed=2)
    c.apply(deployment("web", 250) + "---" + service())
    c.advance("2m")
    got = slices(c)
    assert sorted(len(s["endpoints"]) for s in got) == [50, 100, 100]
    assert len(endpoints_by_pod(c)) == 250
    c.deployment("web").scale(0)
    c.advance("2m")
    (placeholder,) = slices(c)
    # upstream: finalize turns the placeholder's create into an update of a slice being deleted.
    assert placeholder["metadata"]["name"] in {s["metadata"]["name"] for s in got}
    assert placeholder["endpoints"] == [] and placeholder["ports"] == []


def test_new_endpoints_fill_an_unchanged_slice_they_fit_in():
    # upstream: getSliceToFill — 20 new endpoints go into the unchanged slice of 80 (making it
    # full) rather than into a new slice.
    c = kubesim.Cluster(nodes=3, seed=3)
    c.apply(deployment("web", 180) + "---" + service())
    c.advance("2m")
    assert sorted(len(s["endpoints"]) for s in slices(c)) == [80, 100]
    c.deployment("web").scale(200)
    c.advance("1m")
    assert sorted(len(s["endpoints"]) for s in slices(c)) == [100, 100]


def test_a_named_target_port_resolving_differently_gives_one_slice_group_per_port():
    c = kubesim.Cluster(nodes=2, seed=0)
    c.apply(
        deployment("a", 2, port=8080, labels={"app": "a", "tier": "web"})
        + "---"
        + deployment("b", 2, port=9090, labels={"app": "b", "tier": "web"})
        + "---"
        + service(selector="{tier: web}")
    )
    c.advance("1m")
    by_port = {s["ports"][0]["port"]: sorted(e["targetRef"]["name"][:1] for e in s["endpoints"]) for s in slices(c)}
    assert by_port == {8080: ["a", "a"], 9090: ["b", "b"]}
    # The Service's Endpoints line in describe lists every ready endpoint, each on its port.
    line = next(x for x in c.kubectl("describe svc web").splitlines() if x.startswith("Endpoints:"))
    assert sorted(p.split(":")[1] for p in line.split()[1].split(",")) == ["8080", "8080", "9090"]
    assert line.endswith(" + 1 more...")


def test_headless_services_and_service_label_changes():
    c = kubesim.Cluster(nodes=1, seed=0)
    c.apply(deployment("web", 1) + "---" + service(extra="  clusterIP: None"))
    c.advance("1m")
    (s,) = slices(c)
    assert s["metadata"]["labels"]["service.kubernetes.io/headless"] == ""
    c.kubectl("label service web team=blue")
    c.advance("1s")
    (s2,) = slices(c)
    assert s2["metadata"]["name"] == s["metadata"]["name"] and s2["metadata"]["labels"]["team"] == "blue"


def test_services_without_a_selector_get_no_slices_and_take_user_made_ones():
    c = kubesim.Cluster(nodes=1, seed=0)
    c.apply(
        """
apiVersion: v1
kind: Service
metadata: {name: db}
spec:
  ports: [{port: 5432}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: db-1
  labels: {kubernetes.io/service-name: db}
addressType: IPv4
ports: [{name: "", port: 5432}]
endpoints:
- addresses: ["10.1.2.3"]
---
apiVersion: v1
kind: Endpoints
metadata: {name: db}
subsets:
- addresses: [{ip: 10.1.2.3}, {ip: 10.1.2.4}, {ip: 10.1.2.5}, {ip: 10.1.2.6}]
  ports: [{port: 5432}]
"""
    )
    c.advance("10s")
    (s,) = slices(c, "db")
    assert s["metadata"]["name"] == "db-1" and s["ports"] == [{"name": "", "port": 5432, "protocol": "TCP"}]
    assert c.kubectl("get endpointslices").splitlines() == [
        "NAME   ADDRESSTYPE   PORTS   ENDPOINTS   AGE",
        "db-1   IPv4          5432    10.1.2.3    10s",
    ]
    header, row = c.kubectl("get ep db").splitlines()
    assert header.split() == ["NAME", "ENDPOINTS", "AGE"] and header.index("AGE") == row.index("10s")
    assert row.split("   ")[1].strip() == "10.1.2.3:5432,10.1.2.4:5432,10.1.2.5:5432 + 1 more..."
    line = next(x for x in c.kubectl("describe svc db").splitlines() if x.startswith("Endpoints:"))
    assert line.split()[1] == "10.1.2.3:5432"


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        (
            "addressType: IPv5\nendpoints: []",
            'The EndpointSlice "bad" is invalid: addressType: Unsupported value: "IPv5": '
            'supported values: "FQDN", "IPv4", "IPv6"',
        ),
        (
            "addressType: IPv4\nendpoints: [{addresses: ['127.0.0.1']}]",
            'The EndpointSlice "bad" is invalid: endpoints[0].addresses[0]: Invalid value: "127.0.0.1": '
            "may not be in the loopback range (127.0.0.0/8, ::1/128)",
        ),
        (
            "addressType: IPv4\nendpoints: [{addresses: []}]",
            'The EndpointSlice "bad" is invalid: endpoints[0].addresses: Required value: '
            "must contain at least 1 address",
        ),
    ],
)
def test_invalid_slices_are_refused_naming_the_field(doc, message):
    c = kubesim.Cluster(nodes=1, seed=0)
    before = c.kubectl("get endpointslices -A -o name")
    with pytest.raises(InvalidObjectError) as e:
        c.apply(f"apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {{name: bad}}\n{doc}\n")
    assert message in str(e.value)
    assert c.kubectl("get endpointslices -A -o name") == before


def test_a_slice_changed_by_someone_else_is_put_back():
    c = kubesim.Cluster(nodes=2, seed=0)
    c.apply(deployment("web", 4) + "---" + service())
    c.advance("1m")
    (s,) = slices(c)
    name = s["metadata"]["name"]
    c.kubectl(f"""patch endpointslice {name} --type=json -p '[{{"op":"remove","path":"/endpoints/0"}}]'""")
    c.advance("1s")
    assert len(endpoints_by_pod(c)) == 4
    c.kubectl(f"delete endpointslice {name}")
    c.advance("1s")
    assert len(endpoints_by_pod(c)) == 4 and len(slices(c)) == 1
    # Deleting the Service takes its slices with it (they are owned by it).
    c.kubectl("delete service web")
    c.advance("5s")
    assert slices(c) == []


def test_a_rollout_keeps_every_ready_pod_listed_and_no_other():
    c = kubesim.Cluster(nodes=4, seed=5)
    c.apply(deployment("web", 120, probe=True) + "---" + service())
    c.advance("2m")
    d = c.deployment("web")
    d.set_image(app="nginx:1.26")
    for _ in range(40):
        c.advance("5s")
        ready = {p.name for p in c.pods() if p.ready and p.to_dict()["metadata"].get("deletionTimestamp") is None}
        listed = {n for n, e in endpoints_by_pod(c).items() if e["conditions"]["ready"]}
        assert listed == ready
    d.rollout.status()
    assert all(len(s["endpoints"]) <= 100 for s in slices(c))
    assert len(endpoints_by_pod(c)) == 120


def endpoints_split(c: kubesim.Cluster) -> tuple[dict, set[str], set[str], set[str], set[str]]:
    """The Endpoints' one subset, its ready and not-ready pods, and what the pods say they should be."""
    (subset,) = c.get("endpoints", "web").to_dict()["subsets"]
    pods = {p.name: p for p in c.pods()}
    live = {n for n, p in pods.items() if not p.to_dict()["metadata"].get("deletionTimestamp")}
    listed = {a["targetRef"]["name"] for a in subset.get("addresses", [])}
    listed_not_ready = {a["targetRef"]["name"] for a in subset.get("notReadyAddresses", [])}
    want = {n for n in live if pods[n].ready}
    return subset, listed, listed_not_ready, want, live - want


def test_endpoints_list_ready_and_not_ready_addresses_by_ip_and_go_with_the_service():
    c = kubesim.Cluster(nodes=2, seed=4)
    c.images.register("slow:*", ready_after="30s", stop="20s")
    c.images.register("nginx:*", stop="20s")
    c.apply(deployment("web", 3, port=8080, probe=True) + "---" + service(labels="{tier: front}"))
    c.advance("1m")
    c.apply(deployment("web", 5, port=8080, probe=True).replace("nginx:1.25", "slow:1"))
    c.advance("12s")
    ep = c.get("endpoints", "web").to_dict()
    assert ep["metadata"]["labels"] == {"tier": "front"} and "ownerReferences" not in ep["metadata"]
    subset, ready, not_ready, want_ready, want_not_ready = endpoints_split(c)
    assert subset["ports"] == [{"name": "web", "port": 8080, "protocol": "TCP"}]
    # upstream: terminating pods are left out of Endpoints (they stay in slices, not ready).
    assert (ready, not_ready) == (want_ready, want_not_ready) and not_ready
    gone = sorted(ready)[0]
    c.delete("pod", gone)
    c.advance("1s")
    _, ready, not_ready, _, _ = endpoints_split(c)
    assert gone not in ready | not_ready and endpoints_by_pod(c)[gone]["conditions"]["terminating"]
    for addresses in (subset["addresses"], subset["notReadyAddresses"]):
        assert [a["ip"] for a in addresses] == sorted(a["ip"] for a in addresses)
    # Deleted by someone else, it is made again.
    c.kubectl("delete endpoints web")
    c.advance("1s")
    assert c.get("endpoints", "web").uid != ep["metadata"]["uid"]
    _, ready, not_ready, want_ready, want_not_ready = endpoints_split(c)
    assert (ready, not_ready) == (want_ready, want_not_ready)
    c.kubectl("delete service web")
    c.advance("1s")
    assert c.kubectl("get endpoints,endpointslices", check=False).stdout == ""


def test_endpoints_past_1000_addresses_are_truncated_and_annotated():
    c = kubesim.Cluster(nodes=12, seed=0)
    c.apply(deployment("web", 1050) + "---" + service())
    c.advance("3m")
    ep = c.get("endpoints", "web").to_dict()
    assert ep["metadata"]["annotations"]["endpoints.kubernetes.io/over-capacity"] == "truncated"
    assert sum(len(s.get("addresses", [])) + len(s.get("notReadyAddresses", [])) for s in ep["subsets"]) == 1000
    assert len(endpoints_by_pod(c)) == 1050  # slices are not capped
    c.deployment("web").scale(900)
    c.advance("2m")
    ep = c.get("endpoints", "web").to_dict()
    assert "endpoints.kubernetes.io/over-capacity" not in ep["metadata"]["annotations"]
    assert len(ep["subsets"][0]["addresses"]) == 900


def history(threads: int, save: bool = False) -> str:
    c = kubesim.Cluster(nodes=4, seed=7, threads=threads)
    c.apply(deployment("web", 300, probe=True) + "---" + service())
    c.advance("1m")
    if save:
        c = pickle.loads(pickle.dumps(c))
    c.deployment("web").set_image(app="nginx:1.26")
    c.advance("30s")
    c.deployment("web").scale(130)
    c.advance("3m")
    return hashlib.sha256(c.kubectl("get endpointslices,endpoints -o yaml").encode()).hexdigest()


def test_same_slices_for_any_thread_count_and_after_a_save():
    # A loaded cluster has no memory of its slices: its next sync starts from the stored ones.
    assert history(1) == history(2) == history(1, save=True)


def test_the_official_client_and_kubectl_read_slices_through_the_api_server():
    kubernetes = pytest.importorskip("kubernetes", reason="the official kubernetes client is not installed")
    c = kubesim.Cluster(nodes=2, seed=0)
    c.apply(deployment("web", 5) + "---" + service())
    c.advance("1m")
    with c.serve() as srv:
        api_client = kubernetes.config.new_client_from_config(srv.kubeconfig)
        try:
            api = kubernetes.client.DiscoveryV1Api(api_client)
            listed = api.list_namespaced_endpoint_slice("default", label_selector="kubernetes.io/service-name=web")
            assert [len(s.endpoints) for s in listed.items] == [5]
            assert listed.items[0].endpoints[0].conditions.ready is True
        finally:
            api_client.close()
        kubectl = shutil.which("kubectl")
        if kubectl is None:
            pytest.skip("the real kubectl is not installed")
        env = {**os.environ, "KUBECONFIG": str(srv.kubeconfig)}
        out = subprocess.run([kubectl, "get", "endpointslices"], env=env, capture_output=True, text=True, check=True)
        # The server's Table has the same columns and cells as kubesim's own printer.
        assert out.stdout == c.kubectl("get endpointslices")


@pytest.mark.parametrize(
    "args",
    [
        "describe endpoints web",
        "describe endpointslices -l kubernetes.io/service-name=web",
        "describe endpoints empty",
        "describe endpointslice -l kubernetes.io/service-name=empty",
        "describe service web",
        "describe service both",
        "describe endpoints both",
        "get endpoints,endpointslices -o wide",
    ],
)
def test_describe_and_get_print_what_the_real_kubectl_prints(args):
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("the real kubectl is not installed")
    c = kubesim.Cluster(nodes=3, seed=1)
    c.apply(
        deployment("web", 5, port=8080)
        + "---"
        + service(labels="{tier: front}")
        + "---"
        + service("empty", selector="{app: none}")
        + "---"
        + service("both", extra="  - {name: alt, port: 81, targetPort: 8080}").replace(
            "ports: [{name: web, port: 80, targetPort: http}]", "ports:\n  - {name: web, port: 80, targetPort: http}"
        )
    )
    c.advance("1m")
    with c.serve() as srv:
        env = {**os.environ, "KUBECONFIG": str(srv.kubeconfig)}
        real = subprocess.run([kubectl, *args.split()], env=env, capture_output=True, text=True, check=True).stdout
    assert c.kubectl(args) == real


def test_pods_on_a_deleted_node_leave_the_slices_before_they_are_collected():
    c = kubesim.Cluster(nodes=2, seed=0)
    c.apply(deployment("web", 4) + "---" + service())
    c.advance("1m")
    on = {p.name for p in c.pods() if p.to_dict()["spec"]["nodeName"] == "node-1"}
    assert on and on < set(endpoints_by_pod(c))
    c.delete("node", "node-1")
    c.advance("1s")
    # upstream: a pod whose node is not found is skipped (the pod GC removes it 40 s later).
    assert {p.name for p in c.pods()} >= on
    assert not on & set(endpoints_by_pod(c))


def test_a_node_relabelled_into_a_zone_gives_its_endpoints_the_zone():
    c = kubesim.Cluster(nodes=2, seed=0)
    c.apply(deployment("web", 4) + "---" + service())
    c.advance("1m")
    c.kubectl("label node node-2 topology.kubernetes.io/zone=z2")
    c.advance("1s")
    zones = {e["nodeName"]: e.get("zone") for e in endpoints_by_pod(c).values()}
    assert zones == {"node-1": None, "node-2": "z2"}


def test_an_empty_selector_is_no_selector():
    # upstream: "if empty or not present, the service is assumed to have an external process
    # managing its endpoints" (the API server stores {} as nil).
    c = kubesim.Cluster(nodes=1, seed=0)
    c.apply(deployment("web", 2) + "---" + service(selector="{}"))
    c.advance("1m")
    assert slices(c) == [] and c.kubectl("get endpoints", check=False).stdout == ""


def test_a_pod_relabelled_and_a_selector_changed_move_endpoints_between_services():
    c = kubesim.Cluster(nodes=2, seed=0)
    c.apply(deployment("web", 3) + "---" + service() + "---" + service("canary", selector="{track: canary}"))
    c.advance("1m")
    pod = c.pods()[0].name
    c.kubectl(f"label pod {pod} track=canary app-")
    c.advance("1s")
    assert set(endpoints_by_pod(c, "canary")) == {pod} and pod not in endpoints_by_pod(c)
    c.kubectl(
        """patch service web --type=json -p '[{"op":"replace","path":"/spec/selector","value":{"track":"canary"}}]'"""
    )
    c.advance("1s")
    assert set(endpoints_by_pod(c)) == {pod}


def test_slices_follow_the_pods_with_an_informer_delay():
    c = kubesim.Cluster(nodes=2, seed=0, latency=kubesim.Latency(informer_delay="200ms"))
    c.apply(deployment("web", 6, probe=True) + "---" + service())
    c.advance("1m")
    c.deployment("web").set_image(app="nginx:1.26")
    c.deployment("web").rollout.status()
    c.advance("5s")
    ready = {p.name for p in c.pods() if p.ready}
    assert {n for n, e in endpoints_by_pod(c).items() if e["conditions"]["ready"]} == ready
    _, listed, _, want, _ = endpoints_split(c)
    assert listed == want
