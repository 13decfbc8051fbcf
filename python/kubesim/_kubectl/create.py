"""`kubectl create -f` and the `create` generators (`deployment`, `namespace`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..errors import AlreadyExistsError, KubesimError
from . import create_policy
from ._base import Fail, Invocation, Out, not_modelled, usage_error
from ._flags import Args, parse
from ._manifests import documents
from ._resources import kind_of
from ._submit import _created
from .create_batch import GENERATORS as BATCH_GENERATORS
from .create_core import GENERATORS

if TYPE_CHECKING:
    from .._cluster import Cluster


def _create(c: Cluster, args: Args, o: Out, stdin: str | None) -> None:
    if args.positional[:1] == ["deployment"] or args.positional[:1] == ["deploy"]:
        _create_deployment(c, args, o)
        return
    if args.positional[:1] in (["namespace"], ["ns"]):
        if len(args.positional) != 2:
            raise Fail("error: exactly one NAME is required, got " + str(len(args.positional) - 1))
        _created(c, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": args.positional[1]}}, args, o)
        return
    if args.positional:
        raise usage_error("create", f"Unexpected args: [{' '.join(args.positional)}]")
    docs = list(documents(c, args, stdin))
    if not docs:
        raise Fail("error: no objects passed to create")
    for doc, source in docs:
        try:
            obj = c.create(doc)
        except AlreadyExistsError as e:
            o.failed = True
            o.err(f'Error from server (AlreadyExists): error when creating "{source}": {e}')
            continue
        except KubesimError as e:
            o.error(e)
            continue
        o.out(f"{kind_of(obj.kind).singular}/{obj.name} created\n")


def _container_name(image: str, suffix: Callable[[], str]) -> str:
    """upstream: kubectl create deployment names a container after its image's last path
    segment, without tag or digest; `_` and `.` become `-` plus a random suffix."""
    base = image.rsplit("/", 1)[-1].split("@", 1)[0].split(":", 1)[0]
    if "_" in base or "." in base:
        return base.replace("_", "-").replace(".", "-") + "-" + suffix()
    return base


def _create_deployment(c: Cluster, args: Args, o: Out) -> None:
    if len(args.positional) != 2:
        raise Fail(
            f"error: exactly one NAME is required, got {len(args.positional) - 1}\n"
            "See 'kubectl create deployment -h' for help and examples"
        )
    name = args.positional[1]
    images = args.values("--image")
    if not images:
        raise Fail('error: required flag(s) "image" not set')
    replicas = args.int("--replicas", 1)
    port = args.int("--port", -1)
    counter = iter(range(1, 1 << 30))

    def suffix() -> str:
        # A deterministic stand-in for kubectl's random suffix (same alphabet, five characters).
        n, out = next(counter) * 7919 + len(name), ""
        alphabet = "bcdfghjklmnpqrstvwxz2456789"
        for _ in range(5):
            n, r = divmod(n * 31 + 17, len(alphabet))
            out += alphabet[r]
        return out

    containers: list[dict[str, Any]] = []
    for i, image in enumerate(images):
        container: dict[str, Any] = {"name": _container_name(image, suffix), "image": image}
        if i == 0 and port >= 0:
            container["ports"] = [{"containerPort": port}]
        if i == 0 and args.after_dashdash:
            container["command"] = args.after_dashdash
        container["resources"] = {}
        containers.append(container)
    labels = {"app": name}
    # upstream: the typed object's field order, as kubectl prints it with -o json.
    manifest: dict[str, Any] = {
        "kind": "Deployment",
        "apiVersion": "apps/v1",
        "metadata": {"name": name, "creationTimestamp": None, "labels": labels},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": dict(labels)},
            "template": {
                "metadata": {"creationTimestamp": None, "labels": dict(labels)},
                "spec": {"containers": containers},
            },
            "strategy": {},
        },
        "status": {},
    }
    if args.namespace != "default" or args.value("--namespace"):
        manifest["metadata"] = {
            "name": name,
            "namespace": args.namespace,
            **{k: v for k, v in manifest["metadata"].items() if k != "name"},
        }
    _created(c, manifest, args, o, prefix="error: failed to create deployment: ")


def run(inv: Invocation, o: Out) -> None:
    sub = inv.path[1] if len(inv.path) > 1 else None
    if sub in GENERATORS:
        GENERATORS[sub](inv, o)
        return
    if sub in BATCH_GENERATORS:
        BATCH_GENERATORS[sub](inv, o)
        return
    if sub in ("poddisruptionbudget", "pdb"):
        create_policy.run(inv, o)
        return
    if sub not in (None, "deployment", "deploy", "namespace", "ns"):
        raise not_modelled(f"kubectl create {sub}")
    args = parse(
        inv.name,
        inv.path[1:] + inv.argv,
        {"--filename", "--image", "--replicas", "--port", "--dry-run", "--output"},
        {"--recursive", "--save-config"},
        {"-r": "--replicas"},
        dashdash_positional=False,
    )
    _create(inv.cluster, args, o, inv.stdin)
