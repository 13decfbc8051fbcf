"""What `kubectl rollout …`, `set image` and `scale` do to a Deployment, client side as kubectl
does it, on top of the simulated API server."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ._time import Duration, deadline, reachable
from .errors import InvalidArgumentError, RolloutTimeoutError

if TYPE_CHECKING:
    from ._handles import Deployment, ReplicaSet

HASH_LABEL = "pod-template-hash"
REVISION = "deployment.kubernetes.io/revision"
CHANGE_CAUSE = "kubernetes.io/change-cause"
RESTARTED_AT = "kubectl.kubernetes.io/restartedAt"
# upstream: the annotations `kubectl rollout undo` keeps from the Deployment.
SKIP_ANNOTATIONS = (
    "kubectl.kubernetes.io/last-applied-configuration",
    REVISION,
    "deployment.kubernetes.io/revision-history",
    "deployment.kubernetes.io/desired-replicas",
    "deployment.kubernetes.io/max-replicas",
    "deprecated.deployment.rollback.to",
)

__all__ = ["Revision", "Rollout"]


@dataclass(frozen=True)
class Revision:
    """One line of `kubectl rollout history`: the revision, its change-cause and pod template."""

    revision: int
    change_cause: str | None
    template: dict[str, Any]
    replicaset: str


def status_message(d: dict[str, Any]) -> tuple[str, bool, bool]:
    """upstream: DeploymentStatusViewer — (message, done, failed)."""
    name = d["metadata"]["name"]
    spec, status = d.get("spec", {}), d.get("status", {})
    if d["metadata"].get("generation", 0) > status.get("observedGeneration", 0):
        return "Waiting for deployment spec update to be observed...", False, False
    for c in status.get("conditions", []):
        if c["type"] == "Progressing" and c.get("reason") == "ProgressDeadlineExceeded":
            return f'deployment "{name}" exceeded its progress deadline', False, True
    want = spec.get("replicas", 1)
    updated = status.get("updatedReplicas", 0)
    replicas = status.get("replicas", 0)
    available = status.get("availableReplicas", 0)
    prefix = f'Waiting for deployment "{name}" rollout to finish: '
    if updated < want:
        return f"{prefix}{updated} out of {want} new replicas have been updated...", False, False
    if replicas > updated:
        return f"{prefix}{replicas - updated} old replicas are pending termination...", False, False
    if available < updated:
        return f"{prefix}{available} of {updated} updated replicas are available...", False, False
    return f'deployment "{name}" successfully rolled out', True, False


def _without_hash(template: dict[str, Any]) -> dict[str, Any]:
    t = copy.deepcopy(template)
    labels = t.get("metadata", {}).get("labels", {})
    labels.pop(HASH_LABEL, None)
    return t


class Rollout:
    """`kubectl rollout` for one Deployment (``d.rollout``)."""

    def __init__(self, deployment: Deployment) -> None:
        self._d = deployment

    def status(
        self, timeout: Duration | None = None, revision: int | None = None, progress: bool | None = None
    ) -> list[str]:
        """Advance virtual time until the rollout finishes; return the messages kubectl prints
        (one per change of the Deployment). Raises :class:`kubesim.RolloutTimeoutError` with
        kubectl's message when the progress deadline is exceeded, the timeout passes, or nothing
        pending can change the outcome. ``progress=True`` shows a progress bar in virtual time
        (default: on in notebooks)."""
        c = self._d._cluster
        if revision is not None and revision < 0:
            raise InvalidArgumentError(f"revision must be a positive integer: {revision}")
        end = None if timeout is None else deadline(c._native.now_ms, timeout, "wait for")
        with c._waiting(f"rollout status {self._d.name}", end, progress):
            return self._wait(end, revision)

    def _wait(self, end: int | None, revision: int | None) -> list[str]:
        c = self._d._cluster
        native = c._native
        messages: list[str] = []
        last_rv = None
        while True:
            d = self._d.to_dict()
            if revision:
                current = int(d["metadata"].get("annotations", {}).get(REVISION, "0"))
                if current != revision:
                    raise InvalidArgumentError(
                        f"desired revision ({revision}) is different from the running revision ({current})"
                    )
            message, done, failed = status_message(d)
            if d["metadata"]["resourceVersion"] != last_rv:
                messages.append(message)
                last_rv = d["metadata"]["resourceVersion"]
            if failed:
                raise RolloutTimeoutError(message, messages=messages)
            if done:
                return messages
            nxt = reachable(native.next_event_ms)
            if (
                nxt is None
                or (end is None and reachable(native.next_change_ms) is None)
                or (end is not None and nxt > end)
            ):
                if end is not None:
                    c._run_to(end)
                    message, done, failed = status_message(self._d.to_dict())
                    if done:
                        messages.append(message)
                        return messages
                    raise RolloutTimeoutError("timed out waiting for the condition", messages=messages)
                raise RolloutTimeoutError(
                    f"{message} (nothing pending in the simulation can change this)", messages=messages
                )
            c._run_to(nxt)

    def history(self) -> list[Revision]:
        """`kubectl rollout history`: revisions of the Deployment's ReplicaSets, oldest first."""
        by_revision: dict[int, Revision] = {}
        for rs in self._d.replicasets():
            obj = rs.to_dict()
            annotations = obj["metadata"].get("annotations", {})
            try:
                rev = int(annotations.get(REVISION, "0") or 0)
            except ValueError:
                continue  # kubectl skips ReplicaSets whose revision does not parse
            by_revision[rev] = Revision(
                rev, annotations.get(CHANGE_CAUSE), _without_hash(obj["spec"]["template"]), rs.name
            )
        return [by_revision[r] for r in sorted(by_revision)]

    def undo(self, to_revision: int | None = None, dry_run: bool = False) -> str:
        """`kubectl rollout undo [--to-revision=N]`, client side as kubectl does it: the old
        ReplicaSet's template and annotations are written back to the Deployment. With
        ``dry_run`` (``--dry-run=client``) nothing changes and the old pod template is returned,
        as kubectl prints it."""
        d = self._d.to_dict()
        name = d["metadata"]["name"]
        history = {r.revision: r for r in self._d.rollout.history()}
        if to_revision:
            if to_revision < 0 or to_revision not in history:
                raise InvalidArgumentError(f"unable to find specified revision {to_revision} in history")
            target = history[to_revision]
        else:
            revisions = sorted(history)
            if len(revisions) < 2:
                raise InvalidArgumentError(f'no rollout history found for deployment "{name}"')
            target = history[revisions[-2]]
        # upstream: the revision is looked up first, then a client dry run prints its template,
        # then a paused Deployment is refused.
        if dry_run:
            native = self._d._cluster._native
            return f"deployment.apps/{name} \n" + native.describe_template(self._d.namespace, target.replicaset)
        if d["spec"].get("paused"):
            raise InvalidArgumentError(
                "you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume' and try again"
            )
        if _without_hash(d["spec"]["template"]) == target.template:
            return (
                f"deployment.apps/{name} skipped rollback (current template already matches revision {target.revision})"
            )
        rs_annotations = self._d._cluster.replicaset(target.replicaset, self._d.namespace).annotations
        annotations = {k: v for k, v in d["metadata"].get("annotations", {}).items() if k in SKIP_ANNOTATIONS}
        annotations.update({k: v for k, v in rs_annotations.items() if k not in SKIP_ANNOTATIONS})
        d["spec"]["template"] = target.template
        d["metadata"]["annotations"] = annotations
        self._d._cluster.replace(d)
        return f"deployment.apps/{name} rolled back"

    def pause(self, dry_run: bool = False) -> str:
        """`kubectl rollout pause` (``dry_run``: check and report, change nothing)."""
        if self._d.paused:
            raise InvalidArgumentError(f'deployments.apps "{self._d.name}" is already paused')
        return self._patch({"spec": {"paused": True}}, "paused", dry_run)

    def resume(self, dry_run: bool = False) -> str:
        """`kubectl rollout resume`."""
        if not self._d.paused:
            raise InvalidArgumentError(f'deployments.apps "{self._d.name}" is not paused')
        return self._patch({"spec": {"paused": None}}, "resumed", dry_run)

    def restart(self, dry_run: bool = False) -> str:
        """`kubectl rollout restart`: stamps the pod template with the restart time."""
        if self._d.paused:
            raise InvalidArgumentError(
                f'deployments.apps "{self._d.name}" can\'t restart paused deployment (run rollout resume first)'
            )
        now = self._d._cluster.now.strftime("%Y-%m-%dT%H:%M:%SZ")
        return self._patch(
            {"spec": {"template": {"metadata": {"annotations": {RESTARTED_AT: now}}}}}, "restarted", dry_run
        )

    def _patch(self, patch: dict[str, Any], verb: str, dry_run: bool) -> str:
        if dry_run:
            return f"deployment.apps/{self._d.name} {verb} (dry run)"
        self._d._cluster.patch("deployment", self._d.name, patch, self._d.namespace)
        return f"deployment.apps/{self._d.name} {verb}"


def set_image(d: Deployment, images: dict[str, str], record: bool = False) -> str:
    """`kubectl set image deployment/NAME c=image …`: prints nothing when nothing changes."""
    cause = None
    if record:
        args = " ".join(f"{k}={v}" for k, v in images.items())
        cause = f"kubectl set image deployment/{d.name} {args} --record=true"
    # The containers are changed in the core, as a merge patch of them would change them.
    if not d._cluster._native.set_image(d.namespace, d.name, list(images.items()), cause):
        return ""
    return f"deployment.apps/{d.name} image updated"


def owned_replicasets(d: Deployment) -> list[ReplicaSet]:
    return d._cluster._controlled("replicasets", d)  # type: ignore[return-value]
