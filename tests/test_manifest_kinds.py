"""ConfigMaps, Secrets, Services and ServiceAccounts: the kinds a real application manifest
carries beside its Deployment, through apply/get/describe/delete, printed as kubectl 1.32
prints them (kubectl-everyday.md §8, §9), and the web-app example end to end."""

from __future__ import annotations

import base64
import ipaddress
from pathlib import Path

import pytest

import kubesim

ROOT = Path(__file__).resolve().parent.parent
WEB_APP = ROOT / "examples" / "web-app" / "web-app.yaml"


@pytest.fixture
def c() -> kubesim.Cluster:
    return kubesim.Cluster(nodes=3, seed=0)


def run(c: kubesim.Cluster, command: str, stdin: str | None = None) -> tuple[str, str, int]:
    r = c.kubectl(command, check=False, input=stdin)
    return r.stdout, r.stderr, r.exit_code


def test_the_web_app_is_applied_rolled_and_deleted_through_kubectl(c):
    out, err, code = run(c, f"apply -f {WEB_APP}")
    assert (out, err, code) == (
        "namespace/shop created\nconfigmap/web-config created\nsecret/web-credentials created\n"
        "serviceaccount/web created\ndeployment.apps/web created\nservice/web created\n",
        "",
        0,
    )
    assert run(c, "-n shop rollout status deployment/web")[0].endswith('deployment "web" successfully rolled out\n')
    # The pods carry the template's references to the ConfigMap, the Secret and the ServiceAccount.
    pods = c.pods(namespace="shop")
    assert len(pods) == 3 and all(p.ready for p in pods)
    spec = pods[0].to_dict()["spec"]
    assert spec["serviceAccountName"] == "web"
    assert spec["containers"][0]["envFrom"] == [{"configMapRef": {"name": "web-config"}}]

    listing = run(c, "get all --namespace shop")[0]
    blocks = listing.split("\n\n")
    assert [b.split("\n")[1].split("/")[0] for b in blocks] == ["pod", "service", "deployment.apps", "replicaset.apps"]
    svc_row = blocks[1].splitlines()[1].split()
    assert svc_row[:2] == ["service/web", "ClusterIP"] and svc_row[3:5] == ["<none>", "80/TCP"]
    ip = ipaddress.ip_address(svc_row[2])
    assert ip in ipaddress.ip_network("10.96.0.0/12") and ip not in ipaddress.ip_network("10.96.0.0/24")

    # The Service's endpoints are the ready pods' IPs on the named container port.
    described = run(c, "describe service web -n shop")[0]
    endpoints = next(line for line in described.splitlines() if line.startswith("Endpoints:"))
    assert sorted(endpoints.split()[1].split(",")) == sorted(f"{p.to_dict()['status']['podIP']}:80" for p in pods)

    assert run(c, "-n shop set image deployment/web web=nginx:1.27.1") == (
        "deployment.apps/web image updated\n",
        "",
        0,
    )
    run(c, "-n shop rollout status deployment/web")
    serving = [p.to_dict() for p in c.pods(namespace="shop") if p.ready]
    serving = [p for p in serving if "deletionTimestamp" not in p["metadata"]]  # old ones still terminating
    assert len(serving) == 3 and {p["spec"]["containers"][0]["image"] for p in serving} == {"nginx:1.27.1"}
    # Re-applying puts the manifest's image back; the other objects are unchanged.
    assert run(c, f"apply -f {WEB_APP}")[0].splitlines() == [
        "namespace/shop unchanged",
        "configmap/web-config unchanged",
        "secret/web-credentials unchanged",
        "serviceaccount/web unchanged",
        "deployment.apps/web configured",
        "service/web unchanged",
    ]
    assert c.get("service", "web", "shop").cluster_ip == str(ip), "the allocated cluster IP is kept"

    out, err, code = run(c, f"delete -f {WEB_APP}")
    assert (err, code) == ("", 0)
    assert out.splitlines()[1:] == [
        'configmap "web-config" deleted',
        'secret "web-credentials" deleted',
        'serviceaccount "web" deleted',
        'deployment.apps "web" deleted',
        'service "web" deleted',
    ]
    for kind in ("configmap", "secret", "serviceaccount", "service", "deployment"):
        assert run(c, f"get {kind} -n shop -o name")[0] == "", kind


def test_get_columns_follow_the_server_printers(c):
    c.kubectl(
        "apply -f -",
        input="""
apiVersion: v1
kind: ConfigMap
metadata: {name: cm1}
data: {a: "1", b: two}
binaryData: {c: aGk=}
---
apiVersion: v1
kind: Secret
metadata: {name: s1}
stringData: {user: admin, password: hunter2}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: sa1}
---
apiVersion: v1
kind: Service
metadata: {name: np}
spec:
  type: NodePort
  selector: {app: x}
  ports: [{name: http, port: 80, targetPort: 8080}, {name: https, port: 443, nodePort: 30443}]
---
apiVersion: v1
kind: Service
metadata: {name: headless}
spec: {clusterIP: None, selector: {app: x}}
---
apiVersion: v1
kind: Service
metadata: {name: ext}
spec: {type: ExternalName, externalName: example.com}
""",
    )
    assert c.kubectl("get cm") == "NAME   DATA   AGE\ncm1    3      0s\n"
    assert c.kubectl("get secrets") == "NAME   TYPE     DATA   AGE\ns1     Opaque   2      0s\n"
    assert c.kubectl("get sa") == "NAME      SECRETS   AGE\ndefault   0         0s\nsa1       0         0s\n"
    rows = {line.split()[0]: line.split() for line in c.kubectl("get svc -o wide").splitlines()}
    assert rows["NAME"] == ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE", "SELECTOR"]
    node_port = c.get("service", "np").ports[0]["nodePort"]
    assert 30000 <= node_port <= 32767
    assert rows["np"][1:] == ["NodePort", c.get("service", "np").cluster_ip, "<none>",
                              f"80:{node_port}/TCP,443:30443/TCP", "0s", "app=x"]  # fmt: skip
    assert rows["headless"][1:] == ["ClusterIP", "None", "<none>", "<none>", "0s", "app=x"]
    assert rows["ext"][1:] == ["ExternalName", "<none>", "example.com", "<none>", "0s", "<none>"]
    # The API serves secret data base64-encoded, with stringData merged in and dropped.
    s = c.get("secret", "s1").to_dict()
    assert s["data"] == {"password": base64.b64encode(b"hunter2").decode(), "user": "YWRtaW4="}
    assert "stringData" not in s and s["type"] == "Opaque"
    assert c.get("secret", "s1").data == {"password": b"hunter2", "user": b"admin"}


def test_describe_layouts_are_kubectls(c):
    c.kubectl(
        "apply -f -",
        input="""
apiVersion: v1
kind: ConfigMap
metadata: {name: cm1}
data: {a: "1", long.txt: "line1\\nline2\\n"}
---
apiVersion: v1
kind: Secret
metadata: {name: s1}
stringData: {user: admin, password: hunter2}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: sa1}
---
apiVersion: v1
kind: Service
metadata: {name: web, labels: {app: web}}
spec: {selector: {app: web}, ports: [{name: http, port: 80, targetPort: 8080}]}
""",
    )
    assert c.kubectl("describe cm cm1") == (
        "Name:         cm1\nNamespace:    default\nLabels:       <none>\nAnnotations:  <none>\n\n"
        "Data\n====\na:\n----\n1\n\nlong.txt:\n----\nline1\nline2\n\n\n\nBinaryData\n====\n\nEvents:  <none>\n"
    )
    assert c.kubectl("describe secret s1") == (
        "Name:         s1\nNamespace:    default\nLabels:       <none>\nAnnotations:  <none>\n\n"
        "Type:  Opaque\n\nData\n====\npassword:  7 bytes\nuser:      5 bytes\n"
    )
    assert c.kubectl("describe sa sa1") == (
        "Name:                sa1\nNamespace:           default\nLabels:              <none>\n"
        "Annotations:         <none>\nImage pull secrets:  <none>\nMountable secrets:   <none>\n"
        "Tokens:              <none>\nEvents:              <none>\n"
    )
    ip = c.get("service", "web").cluster_ip
    assert c.kubectl("describe svc web") == (
        "Name:                     web\nNamespace:                default\nLabels:                   app=web\n"
        "Annotations:              <none>\nSelector:                 app=web\nType:                     ClusterIP\n"
        "IP Family Policy:         SingleStack\nIP Families:              IPv4\n"
        f"IP:                       {ip}\nIPs:                      {ip}\n"
        "Port:                     http  80/TCP\nTargetPort:               8080/TCP\n"
        "Endpoints:                \nSession Affinity:         None\n"
        "Internal Traffic Policy:  Cluster\nEvents:                   <none>\n"
    )


def test_an_unknown_kind_is_reported_and_the_other_documents_are_applied(c):
    manifest = """
apiVersion: v1
kind: ConfigMap
metadata: {name: before}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web, namespace: shop}
---
apiVersion: v1
kind: Service
metadata: {name: after}
spec: {ports: [{port: 80}]}
"""
    out, err, code = run(c, "apply -f -", manifest)
    # upstream: apply visits every document, applies the good ones, then reports the others.
    assert out == "configmap/before created\nservice/after created\n"
    assert err == (
        'error: resource mapping not found for name: "web" namespace: "shop" from "STDIN": '
        'no matches for kind "Ingress" in version "networking.k8s.io/v1"\nensure CRDs are installed first\n'
    )
    assert code == 1
    # Nothing else changed: the same text again leaves every object as it is.
    rv = c.get("configmap", "before").resource_version
    assert run(c, "apply -f -", manifest)[0] == "configmap/before unchanged\nservice/after unchanged\n"
    assert c.get("configmap", "before").resource_version == rv
    with pytest.raises(kubesim.ManifestError) as e:
        c.apply(manifest)
    assert [str(r) for r in e.value.applied] == ["configmap/before unchanged", "service/after unchanged"]


@pytest.mark.parametrize(
    ("manifest", "message"),
    [
        (
            "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {selector: {app: web}}\n",
            'The Service "web" is invalid: spec.ports: Required value',
        ),
        (
            "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {ports: [{port: 80, protocol: HTTP}]}\n",
            'The Service "web" is invalid: spec.ports[0].protocol: Unsupported value: "HTTP": '
            'supported values: "SCTP", "TCP", "UDP"',
        ),
        (
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {'a b': x}\n",
            'The ConfigMap "c" is invalid: data[a b]: Invalid value: "a b": a valid config key must consist of '
            "alphanumeric characters, '-', '_' or '.'",
        ),
        (
            "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata: {a: not base64!}\n",
            'Secret in version "v1" cannot be handled as a Secret',
        ),
    ],
)
def test_bad_objects_are_rejected_with_their_field_and_change_nothing(c, manifest, message):
    before = c.kubectl("get cm,secret,svc -o name")
    out, err, code = run(c, "apply -f -", manifest)
    assert code == 1 and out == ""
    assert message in err, err
    assert c.kubectl("get cm,secret,svc -o name") == before


def test_a_cluster_ip_in_use_is_refused_and_an_update_keeps_it(c):
    c.apply({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "a"}, "spec": {"ports": [{"port": 80}]}})
    ip = c.get("service", "a").cluster_ip
    with pytest.raises(kubesim.InvalidObjectError, match=f"failed to allocate IP {ip}: provided IP is already"):
        c.create(
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {"name": "b"},
                "spec": {"clusterIP": ip, "ports": [{"port": 80}]},
            }
        )
    assert c.kubectl("get svc -o name") == "service/a\nservice/kubernetes\n"
    # A replace that leaves the cluster IP out keeps the one allocated (upstream patchAllocatedValues).
    svc = c.get("service", "a").to_dict()
    del svc["spec"]["clusterIP"], svc["spec"]["clusterIPs"]
    svc["spec"]["ports"][0]["port"] = 81
    c.replace(svc)
    assert c.get("service", "a").cluster_ip == ip and c.get("service", "a").ports[0]["port"] == 81


def test_an_allocated_cluster_ip_may_not_change(c):
    c.apply({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "a"}, "spec": {"ports": [{"port": 80}]}})
    svc = c.get("service", "a").to_dict()
    svc["spec"]["clusterIP"] = svc["spec"]["clusterIPs"][0] = "10.96.0.99"
    with pytest.raises(
        kubesim.InvalidObjectError, match=r'spec.clusterIPs\[0\]: Invalid value: \[\]string\{"10.96.0.99"\}'
    ):
        c.replace(svc)


def test_create_generators_store_the_objects_they_print(c, tmp_path):
    env = tmp_path / "app.env"
    env.write_text("# comment\nK1=v1\nK2=two words\n", encoding="utf-8")
    assert run(c, f"create configmap app --from-literal=a=1 --from-env-file={env}") == (
        "configmap/app created\n",
        "",
        0,
    )
    assert c.get("configmap", "app").data == {"a": "1", "K1": "v1", "K2": "two words"}
    assert run(c, "create secret generic creds --from-literal=user=admin --from-literal=password=hunter2")[0] == (
        "secret/creds created\n"
    )
    assert c.get("secret", "creds").data == {"password": b"hunter2", "user": b"admin"}
    assert run(c, "create serviceaccount builder") == ("serviceaccount/builder created\n", "", 0)
    assert run(c, "create service nodeport web --tcp=80:8080 --node-port=30080") == ("service/web created\n", "", 0)
    assert c.get("service", "web").ports == [
        {"name": "80-8080", "nodePort": 30080, "port": 80, "protocol": "TCP", "targetPort": 8080}
    ]
    assert run(c, "create configmap app") == (
        "",
        'error: failed to create configmap: configmaps "app" already exists\n',
        1,
    )
    assert run(c, "create secret tls t --cert=a --key=b")[1].startswith(
        'error: kubesim does not model "kubectl create secret tls" yet'
    )


def test_a_file_of_unknown_kinds_changes_nothing(c, tmp_path):
    path = tmp_path / "crds.yaml"
    path.write_text(
        "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: web}\n---\n"
        "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w, namespace: shop}\n",
        encoding="utf-8",
    )
    rv = c._native.resource_version
    out, err, code = run(c, f"apply -f {path}")
    assert (out, code) == ("", 1)
    assert err == (
        f'error: resource mapping not found for name: "web" namespace: "" from "{path}": no matches for kind '
        '"Ingress" in version "networking.k8s.io/v1"\nensure CRDs are installed first\n'
        f'error: resource mapping not found for name: "w" namespace: "shop" from "{path}": no matches for kind '
        '"Widget" in version "example.com/v1"\nensure CRDs are installed first\n'
    )
    assert c._native.resource_version == rv, "nothing was written"


def test_a_pod_waits_in_create_container_config_error_until_its_config_exists(c):
    c.apply(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "p"},
            "spec": {
                "containers": [
                    {
                        "name": "c",
                        "image": "nginx",
                        "envFrom": [
                            {"configMapRef": {"name": "cfg"}},
                            {"secretRef": {"name": "opt", "optional": True}},
                        ],
                        "env": [{"name": "PW", "valueFrom": {"secretKeyRef": {"name": "s", "key": "pw"}}}],
                    }
                ]
            },
        }
    )
    c.advance("30s")
    assert c.kubectl("get pod p").splitlines()[1].split()[:3] == ["p", "0/1", "CreateContainerConfigError"]
    failed = [e for e in c.events(c.pod("p")) if e.reason == "Failed"]
    assert [(e.message, e.count) for e in failed] == [('Error: configmap "cfg" not found', 3)]
    c.kubectl("create configmap cfg --from-literal=a=1")
    c.kubectl("create secret generic s --from-literal=other=1")
    c.advance("10s")
    assert c.events(c.pod("p"))[-1].message == "Error: couldn't find key pw in Secret default/s"
    assert not c.pod("p").ready
    c.kubectl("""patch secret s -p '{"stringData":{"pw":"x"}}'""")
    c.run_until(lambda: c.pod("p").ready, timeout="15s")  # the kubelet's next sync, 10 s after the last
    assert c.pod("p").phase == "Running"
