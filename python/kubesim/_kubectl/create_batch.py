"""`kubectl create job NAME --image=… [-- COMMAND…]`, `kubectl create job NAME
--from=cronjob/X` (upstream pkg/cmd/create/create_job.go) and `kubectl create cronjob NAME
--image=… --schedule=… [--restart=…] [-- COMMAND…]` (create_cronjob.go): the object built as
kubectl builds it, created or printed."""

from __future__ import annotations

from typing import Any

from ..errors import KubesimError
from ._base import Fail, Invocation, Out, error_text, usage_error
from ._flags import parse
from ._submit import _created


def _job(inv: Invocation, o: Out) -> None:
    a = parse(inv.name, inv.argv, {"--image", "--from", "--dry-run", "--output"}, {"--save-config"})
    if not a.positional:
        raise usage_error(inv.name, "NAME is required")
    name, command = a.positional[0], a.positional[1:]
    image, source = a.value("--image") or "", a.value("--from") or ""
    if not image and not source:
        raise Fail("error: either --image or --from must be specified")
    if command and source:
        raise Fail("error: cannot specify --from and command")
    meta: dict[str, Any] = {"name": name}
    if a.namespace_given():
        meta["namespace"] = a.namespace
    meta["creationTimestamp"] = None
    if source:
        kind, _, cj_name = source.partition("/")
        if kind.lower() not in ("cronjob", "cronjobs", "cj", "cronjob.batch", "cronjobs.batch") or not cj_name:
            raise Fail("error: from must be an existing cronjob")
        try:
            cj = inv.cluster.get("cronjob", cj_name, a.namespace).to_dict()
        except KubesimError as e:
            raise Fail(error_text(e)) from None
        template = cj["spec"]["jobTemplate"]
        # upstream: createJobFromCronJob — marked manual, owned (controller) by the CronJob.
        meta["annotations"] = {
            "cronjob.kubernetes.io/instantiate": "manual",
            **template.get("metadata", {}).get("annotations", {}),
        }
        labels = template.get("metadata", {}).get("labels")
        if labels:
            meta["labels"] = labels
        meta["ownerReferences"] = [
            {
                "apiVersion": "batch/v1",
                "kind": "CronJob",
                "name": cj_name,
                "uid": cj["metadata"]["uid"],
                "controller": True,
            }
        ]
        spec = template["spec"]
    else:
        # The typed object's field order, as `-o json` shows it.
        container: dict[str, Any] = {"name": name, "image": image}
        if command:
            container["command"] = command
        container["resources"] = {}
        template = {
            "metadata": {"creationTimestamp": None},
            "spec": {"containers": [container], "restartPolicy": "Never"},
        }
        spec = {"template": template}
    job = {"kind": "Job", "apiVersion": "batch/v1", "metadata": meta, "spec": spec, "status": {}}
    _created(inv.cluster, job, a, o, prefix="error: failed to create job: ")


def _cronjob(inv: Invocation, o: Out) -> None:
    a = parse(inv.name, inv.argv, {"--image", "--schedule", "--restart", "--dry-run", "--output"}, {"--save-config"})
    # cobra checks the required flags first, then kubectl the NAME (the arguments before `--`).
    for flag in ("image", "schedule"):
        if a.value(f"--{flag}") is None:
            raise Fail(f'error: required flag(s) "{flag}" not set')
    names = a.dashdash_at if a.dashdash_at >= 0 else len(a.positional)
    if names != 1:
        raise usage_error(inv.name, f"exactly one NAME is required, got {names}")
    name, command = a.positional[0], a.positional[1:]
    meta: dict[str, Any] = {"name": name}
    if a.namespace_given():
        meta["namespace"] = a.namespace
    meta["creationTimestamp"] = None
    # The typed object's field order, as `-o json` shows it; the restart policy is not checked
    # here (the API server refuses one a Job cannot have).
    container: dict[str, Any] = {"name": name, "image": a.value("--image")}
    if command:
        container["command"] = command
    container["resources"] = {}
    template = {
        "metadata": {"creationTimestamp": None},
        "spec": {"containers": [container], "restartPolicy": a.value("--restart") or "OnFailure"},
    }
    spec = {
        "schedule": a.value("--schedule"),
        "jobTemplate": {"metadata": {"name": name, "creationTimestamp": None}, "spec": {"template": template}},
    }
    cronjob = {"kind": "CronJob", "apiVersion": "batch/v1", "metadata": meta, "spec": spec, "status": {}}
    _created(inv.cluster, cronjob, a, o, prefix="error: failed to create cronjob: ")


GENERATORS = {"job": _job, "cronjob": _cronjob, "cj": _cronjob}
