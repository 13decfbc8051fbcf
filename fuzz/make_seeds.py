"""Write the fuzzers' seed corpora (fuzz/seeds/<target>/) from the manifests in tests/ and
examples/, from the selectors, quantities, durations and CronJob schedules the test-suite uses,
and from the kubectl command lines of the tests and notebooks.

    python3 fuzz/make_seeds.py

Run from the repository root; the seeds are committed, so this is only needed when the tests grow.
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "fuzz" / "seeds"


def python_strings() -> list[str]:
    out = []
    for path in sorted((ROOT / "tests").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                out.append(node.value)
    return out


def kubectl_lines() -> set[str]:
    """The literal first arguments of `….kubectl(...)` calls in tests/ and notebooks/."""
    sources = [p.read_text() for p in sorted((ROOT / "tests").glob("*.py"))]
    for nb in sorted((ROOT / "notebooks").glob("*.ipynb")):
        cells = json.loads(nb.read_text()).get("cells", [])
        sources += ["".join(c["source"]) for c in cells if c.get("cell_type") == "code"]
    out = set()
    for text in sources:
        try:
            tree = ast.parse(text)
        except SyntaxError:
            continue  # a notebook cell with a magic
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and node.args):
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            arg = node.args[0]
            if name == "kubectl" and isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                out.add(arg.value)
    return out


def write(target: str, items: set[str | bytes]) -> None:
    d = SEEDS / target
    d.mkdir(parents=True, exist_ok=True)
    for old in d.iterdir():
        old.unlink()
    for item in items:
        data = item.encode() if isinstance(item, str) else item
        (d / hashlib.sha1(data).hexdigest()).write_bytes(data)
    print(f"{target}: {len(items)} seeds")


def main() -> None:
    strings = python_strings()
    manifests = {s for s in strings if "apiVersion" in s and "kind" in s}
    for d in (ROOT / "examples", ROOT.parent / "shared" / "examples"):
        manifests |= {p.read_text() for p in d.glob("*.y*ml")} if d.is_dir() else set()
    manifests |= {json.dumps(json.loads(s)) for s in strings if s.lstrip().startswith("{") and _is_json(s)}
    write("manifest", manifests)

    selectors = {s for s in strings if re.fullmatch(r"[\w./=!,()<> -]{1,80}", s) and re.search(r"[=!<>]|\bin\b", s)}
    selectors |= {"app in (nginx)", "!canary", "tier notin (a,b),env", "x>3", "a==b,c!=d", ""}
    write("selector", selectors)

    quantities = {s for s in strings if re.fullmatch(r"[+-]?[0-9.]+([eEinumkKMGTP]*[-+]?[0-9]*)", s)}
    durations = {s for s in strings if re.fullmatch(r"([0-9.]+(ns|us|ms|s|m|h|d))+", s)}
    extra = {"100m", "1.5Gi", "1e3", "0.5Ki", "8Ei", "1m30s", "250ms", "1.5h", "2h45m", "90", "0.5"}
    write("quantity_duration", quantities | durations | extra)

    patches = {
        '{"spec": {"replicas": 3}}',
        '{"spec": {"template": {"spec": {"containers": [{"name": "main", "image": "nginx:1.26"}]}}}}',
        '{"metadata": {"labels": {"team": "core", "app": null}}}',
        '{"spec": {"paused": true, "minReadySeconds": 5}}',
        '{"spec": {"strategy": {"type": "Recreate", "rollingUpdate": null}}}',
        '{"a": {"b": 1, "c": [1, 2]}} {"a": {"b": null, "d": 3}}',
        '[1, 2] {"a": 1}',
    }
    write("merge_patch", patches)

    # The cron target reads `schedule`, then optional lines: timeZone, a time, how much later
    # "now" is, startingDeadlineSeconds.
    schedules = {m for s in strings for m in re.findall(r"schedule\"?:\s*[\"']?([^\"'\n]+)", s)}
    schedules |= {"@hourly", "@daily", "@yearly", "@every 1h30m", "@every 90s", "*/5 * * * *", "0 9 * * mon-fri",
                  "30 6-16/4 * * 1-5", "0 0 13 * 5", "59 23 31 2 *", "0 0 29 2 *", "? * * * ?"}
    cron = {s.strip() for s in schedules}
    cron |= {"0 9 * * *\nAmerica/New_York", "30 2 * * *\nAmerica/New_York\n1772942400000",
             "0 * * * *\n\n1463652000000\n18000000\n60", "@every 1h\nUTC\n1463652060000\n604800000"}
    write("cron", cron)

    lines = kubectl_lines()
    lines |= {
        "get deploy,svc,cm,job,cronjob -o wide --show-labels",
        "get pods -l app=web -L app -A",
        "get deployment web -o yaml",
        "get deploy web -o jsonpath={.spec.replicas}",
        "get pods -o custom-columns=NAME:.metadata.name,NODE:.spec.nodeName",
        "get pods -o go-template='{{range .items}}{{.metadata.name}}{{end}}'",
        "describe deploy web\ndescribe cronjob hello\ndescribe job pi",
        "top pods --sort-by=cpu\ntop nodes",
        "scale deploy/web --replicas=3\nrollout history deployment/web",
        "set image deployment/web main=nginx:1.26\nget rs",
        "label deploy web tier=front\nannotate cm settings note=x\nlabel cm settings team-",
        "patch deploy web -p '{\"spec\":{\"paused\":true}}'",
        "cordon node-1\nget nodes\nuncordon node-1",
        "delete job pi\nget jobs",
        "create configmap extra --from-literal=a=b\nget cm extra -o yaml",
        "logs deploy/web --tail=5 --since=1m --timestamps\nexec deploy/web -c main -- ls /",
        "logs job/pi\nlogs cronjob/hello -p --limit-bytes=10",
    }
    write("kubectl", lines)

    # The server target reads `METHOD PATH?QUERY`, a Content-Type line, an Accept line, the body.
    deployment = json.dumps({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "api"},
                             "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "api"}},
                                      "template": {"metadata": {"labels": {"app": "api"}},
                                                   "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}})
    table = "application/json;as=Table;v=v1;g=meta.k8s.io"
    requests = {
        "GET /version\n\n\n",
        "GET /api\n\n\n",
        "GET /apis\n\napplication/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList\n",
        "GET /apis/apps/v1\n\n\n",
        "GET /openapi/v3/apis/apps/v1\n\n\n",
        f"GET /api/v1/namespaces/default/pods?labelSelector=app%3Dweb&limit=1\n\n{table}\n",
        "GET /api/v1/pods?fieldSelector=status.phase%3DRunning,spec.nodeName%3Dnode-1\n\n\n",
        "GET /apis/apps/v1/namespaces/default/deployments/web\n\n\n",
        "GET /apis/apps/v1/namespaces/default/deployments/web/scale\n\n\n",
        "GET /api/v1/namespaces/default/configmaps?resourceVersion=0&continue=x\n\n\n",
        "GET /apis/metrics.k8s.io/v1beta1/namespaces/default/pods\n\n\n",
        "GET /apis/metrics.k8s.io/v1beta1/nodes/node-1\n\n\n",
        "GET /kubesim/clock\n\n\n",
        "POST /kubesim/advance?by=30s\n\n\n",
        f"POST /apis/apps/v1/namespaces/default/deployments\napplication/json\n\n{deployment}",
        f"POST /apis/apps/v1/namespaces/default/deployments?dryRun=All&fieldManager=kubectl\n\n\n{deployment}",
        "PUT /api/v1/namespaces/default/configmaps/settings\napplication/yaml\n\n"
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {mode: slow}\n",
        "PATCH /apis/apps/v1/namespaces/default/deployments/web\napplication/merge-patch+json\n\n"
        '{"spec": {"replicas": 3}}',
        "PATCH /apis/apps/v1/namespaces/default/deployments/web\napplication/json-patch+json\n\n"
        '[{"op": "replace", "path": "/spec/replicas", "value": 1}]',
        "PATCH /apis/apps/v1/namespaces/default/deployments/web\napplication/strategic-merge-patch+json\n\n"
        '{"spec": {"template": {"spec": {"containers": [{"name": "main", "image": "nginx:1.26"}]}}}}',
        "PATCH /apis/apps/v1/namespaces/default/deployments/web?fieldManager=me&force=true\n"
        "application/apply-patch+yaml\n\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n"
        "spec: {replicas: 2}\n",
        "PUT /apis/apps/v1/namespaces/default/deployments/web/scale\n\n\n"
        '{"apiVersion": "autoscaling/v1", "kind": "Scale", "metadata": {"name": "web"}, "spec": {"replicas": 1}}',
        "DELETE /api/v1/namespaces/default/configmaps/settings\n\n\n"
        '{"propagationPolicy": "Foreground", "dryRun": ["All"]}',
        "DELETE /api/v1/namespaces/default/pods?labelSelector=app%3Dweb\n\n\n",
        "POST /api/v1/namespaces/default/pods/x/eviction\n\n\n"
        '{"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": "x"}}',
        "GET /api/v1/namespaces/default/pods/x/log?tailLines=5&sinceSeconds=10\n\n\n",
    }
    write("server", requests)


def _is_json(s: str) -> bool:
    try:
        return isinstance(json.loads(s), dict)
    except ValueError:
        return False


if __name__ == "__main__":
    main()
