"""Record what the real kubectl prints for commands that run offline, for
tests/test_kubectl_cli.py to compare kubesim against. Run from the repository root with a
kubectl 1.32 client (see real_kubectl.py):  python tests/golden/capture_kubectl.py"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import real_kubectl  # noqa: E402

HERE = Path(__file__).resolve().parent
E = "examples"

# Commands whose output needs no API server (client-side dry runs, --local edits of files, and
# cobra's usage errors).
CASES = [
    "create deployment web --image=nginx:1.14.2 --replicas=3 --port=80 --dry-run=client -o yaml",
    "create deployment web --image=nginx:1.14.2 --dry-run=client -o json",
    "create deployment my-app --image=my.registry:5000/team/app:1.0 --image=redis --dry-run=client -o yaml",
    "create deployment web --image=busybox --dry-run=client -o yaml -- sleep 3600",
    "create deployment web --image=nginx --dry-run=client",
    "create deployment web --image=nginx --dry-run=client -o name",
    "create deployment web --image=nginx -r 2 -n dev --dry-run=client -o yaml",
    "create deployment web --image=nginx --image=redis:7 --dry-run=client "
    "-o jsonpath={.spec.template.spec.containers[*].name}",
    "create deployment web --image=nginx --dry-run=client -o "
    """'jsonpath={range .spec.template.spec.containers[*]}{.name}{"\\t"}{.image}{"\\n"}{end}'""",
    "create deployment web extra --image=nginx",
    "create cronjob tick --image=busybox --schedule='*/5 * * * *' --dry-run=client -o yaml -- echo hi",
    "create cronjob tick --image=busybox --schedule='*/5 * * * *' --restart=Never --dry-run=client -o json",
    "create cj tick --image=busybox --schedule=@hourly -n kube-system --dry-run=client -o yaml",
    "create cronjob tick --image=busybox --schedule=@daily --dry-run=client",
    "create cronjob a b --image=busybox --schedule=@daily",
    # JSONPath slices, unions and a runtime error (with kubectl's dump of the object).
    "create deployment web --image=a --image=b:2 --image=c:3 --dry-run=client "
    "-o \"jsonpath={.spec.template.spec.containers[*]['name','image']}\"",
    "create deployment web --image=a --dry-run=client -o jsonpath={.spec.template.spec.containers[*][name,x]}",
    "create deployment web --image=a --image=b:2 --dry-run=client "
    "-o jsonpath={.spec.template.spec.containers[-1:].name}",
    "create deployment web --image=a --dry-run=client -o jsonpath={.spec.template.spec.containers[1:5].name}",
    f"label -f {E}/redis-pod.yaml --local tier=cache -o yaml",
    f"label -f {E}/nginx-deployment.yaml --local app=web --overwrite -o json",
    f"label -f {E}/redis-pod.yaml --local app=x -o yaml",
    f"label -f {E}/redis-pod.yaml --local app- -o yaml",
    f"label -f {E}/redis-pod.yaml --local tier=cache",
    f"label -f {E}/redis-pod.yaml --local tier=cache -o jsonpath={{.metadata.labels}}",
    f"annotate -f {E}/redis-pod.yaml --local note=hello -o yaml",
    f"annotate -f {E}/redis-pod.yaml --local a=b -o name",
    # A directory, and a selector, which kubectl 1.32 does not apply to --local objects.
    f"label -f {E}/ --local -l app=redis tier=x -o name",
    f"annotate -f {E}/ --local -l 'app in (nginx)' a=b -o yaml",
    "create job once --image=busybox --dry-run=client -o yaml -- date",
    "create job once --image=busybox --dry-run=client -o json",
    "create job once --image=busybox -n batch --dry-run=client -o yaml",
    "create job once --image=busybox --dry-run=client",
    "create job once --dry-run=client",
    "create job once --from=cronjob/x --dry-run=client -- date",
    "get pods --foo",
    "get pods -x",
    "frob",
    "get",
    # Global flags anywhere (pflag), and cobra's answers to unknown commands and flags.
    "-n dev create deployment web --image=nginx --dry-run=client -o yaml",
    "--namespace=dev create deployment web --image=nginx --dry-run=client -o yaml",
    "create deployment web --image=nginx --dry-run=client -o yaml --namespace dev",
    "create deployment web -ndev --image=nginx --dry-run=client -oyaml",
    "-n dev frob",
    "--namespace=dev frob",
    "frob -n dev",
    "gte pods",
    "sett",
    "lable pods",
    "get pods -n",
    "get pods --namespace",
    "get pods --watch=maybe",
    "get pods -w=maybe",
    "get pods --all-namespaces=x",
    "-v abc get pods",
    "get pods -v abc",
    "get --context=nope pods",
    "get --request-timeout=abc pods",
    "set foo",
    "set -n x foo",
    "rollout foo",
    "set image --foo",
    "rollout status -x",
    "top pod --foo",
    "create deployment --foo",
    "create deployment web --image=nginx --dry-run=client -- sleep 1 -n x",
    "-n foo",
    "cordon",
    "uncordon",
    # taint's argument checks run before kubectl talks to a server.
    "taint nodes node-1 foo=bar",
    "taint nodes node-1 a=b:Bogus",
    "taint nodes node-1 a=c:NoSchedule a=d:NoSchedule",
    "taint nodes node-1",
    "get pods --output-watch-events",
    "scale deploy web",
    # patch: its checks, and --local on files (strategic merge by the containers' names).
    "patch deploy web --type=foo -p {}",
    "patch deploy web",
    "patch deploy web -p x --patch-file y",
    "patch deploy web --patch-file nope.json",
    "patch deploy web --local -p {}",
    f'patch -f {E}/nginx-deployment.yaml --local -p \'{{"spec":{{"replicas":5}}}}\' -o yaml',
    f"patch -f {E}/nginx-deployment.yaml --local -p 'spec: {{replicas: 2}}'",
    f'patch -f {E}/nginx-deployment.yaml --local --type=json -p \'[{{"op":"remove","path":"/spec/nope"}}]\'',
    f"patch -f {E}/nginx-deployment.yaml --local --type=json "
    '-p \'[{"op":"replace","path":"/spec/template/spec/containers/0/image","value":"nginx:1.27"}]\' -o json',
    f"patch -f {E}/redis-pod.yaml --local "
    '-p \'{"spec":{"containers":[{"name":"sidecar","image":"busybox"}]}}\' -o json',
    f"patch -f {E}/redis-pod.yaml --local "
    '-p \'{"spec":{"containers":[{"name":"master","image":"redis:7"}]}}\' -o yaml',
    f'patch -f {E}/redis-pod.yaml --local --type=merge -p \'{{"metadata":{{"labels":null}}}}\' -o yaml',
    f"patch -f {E}/redis-pod.yaml --local -p "
    '\'{"spec":{"containers":[{"name":"master","$patch":"delete"}]}}\' -o yaml',
    # set image|env|resources on files (--local), and their argument errors.
    f"set image -f {E}/nginx-deployment.yaml nginx=nginx:1.9 --local",
    f"set image -f {E}/nginx-deployment.yaml nginx=nginx:1.7.9 --local",
    f"set image -f {E}/nginx-deployment.yaml nope=nginx:1.9 --local",
    f"set image -f {E}/nginx-deployment.yaml '*=busybox' --local -o yaml",
    f"set image -f {E}/redis-pod.yaml master=redis:7 --local -o yaml",
    f"set image -f {E}/nginx-deployment.yaml nginx=nginx:1.9 --local -o name",
    "set image deploy/web nginx=x --local",
    f"set env -f {E}/redis-pod.yaml FOO=bar --local -o yaml",
    f"set env -f {E}/redis-pod.yaml MASTER- --local",
    f"set env -f {E}/redis-pod.yaml MASTER=false --local -o yaml",
    f"set env -f {E}/redis-pod.yaml --list --local",
    f"set env -f {E}/redis-pod.yaml 1X=y --local",
    f"set env -f {E}/redis-pod.yaml A=1 -c nope --local",
    f"set env -f {E}/redis-pod.yaml MASTER=true --local",
    f"set env -f {E}/nginx-deployment.yaml -e A=1 -e B=two --local -o yaml",
    f"set resources -f {E}/nginx-deployment.yaml --limits=cpu=200m,memory=512Mi --requests=cpu=100m --local -o yaml",
    f"set resources -f {E}/nginx-deployment.yaml --local",
    f"set resources -f {E}/nginx-deployment.yaml --limits=cpu=2x --local",
    f"set resources -f {E}/nginx-deployment.yaml -c nope --limits=cpu=1 --local",
    f"set resources -f {E}/nginx-deployment.yaml --limits=cpu=1 --local",
    # run's and expose's argument checks.
    "run",
    "run --image=nginx",
    "run x --image=nginx --restart=Bogus",
    "run x --image=nginx --rm",
    "run x --image=nginx --expose",
    "run x --image=nginx --port=abc",
    "run x --image=nginx --env=NOEQ",
    "run x --image=nginx --labels=bad",
    "expose",
    # create's generators for the objects an application manifest carries.
    "create configmap cm1 --from-literal=a=1 --from-literal=b=two --dry-run=client -o yaml",
    "create configmap cm1 --from-literal=a=1 --from-literal=b=two --dry-run=client -o json",
    f"create configmap cm2 --from-file={E}/redis-pod.yaml --from-file=renamed={E}/redis-pod.yaml "
    "--dry-run=client -o yaml",
    "create configmap cm3 -n dev --dry-run=client -o yaml",
    "create configmap cm4 --from-literal=a=1 --dry-run=client",
    "create configmap cm5 --from-literal=a=1 --from-literal=a=2 --dry-run=client",
    "create configmap cm6 --from-literal=bad --dry-run=client",
    "create configmap cm7 '--from-literal=x y=1' --dry-run=client",
    "create configmap --dry-run=client",
    "create secret generic s1 --from-literal=user=admin --dry-run=client -o yaml",
    "create secret generic s1 --from-literal=user=admin --type=kubernetes.io/basic-auth --dry-run=client -o json",
    "create secret generic s9 --dry-run=client",
    "create serviceaccount sa1 --dry-run=client -o yaml",
    "create sa sa1 --dry-run=client -o json",
    "create serviceaccount sa1 --dry-run=client",
    "create service clusterip my-svc --tcp=80:8080 --dry-run=client -o yaml",
    "create service clusterip my-svc --tcp=80:8080 --dry-run=client -o json",
    "create service clusterip s2 --tcp=80,443:8443 --dry-run=client -o yaml",
    "create service nodeport np2 --tcp=80:8080 --node-port=30080 --dry-run=client -o yaml",
    "create service loadbalancer lb --tcp=80 --dry-run=client -o yaml",
    "create service clusterip headless --clusterip=None --dry-run=client -o yaml",
    "create service externalname ext --external-name=example.com --dry-run=client -o yaml",
    "create service clusterip s --dry-run=client",
    "create service clusterip s --tcp=abc --dry-run=client",
    "create svc clusterip s --tcp=80 --dry-run=client",
    "create foo",
    "drain",
    "drain --foo",
    # exec, logs and edit: the argument checks kubesim runs before it says what it does not model.
    "exec",
    "exec web",
    "exec web ls",
    "exec web --",
    "logs",
    "edit",
]


def main() -> None:
    binary = real_kubectl.find()
    if binary is None:
        raise SystemExit("no upstream kubectl 1.32 client found (set KUBECTL_1_32=/path/to/kubectl)")
    recorded = {}
    for command in CASES:
        out, err, code = real_kubectl.run(binary, command, HERE.parent.parent)
        recorded[command] = {"stdout": out, "stderr": err, "exit_code": code}
    (HERE / "kubectl_offline.json").write_text(json.dumps(recorded, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
