"""`kubectl rollout status|history|undo|restart` for the kinds whose history is kept as
ControllerRevisions (DaemonSets and StatefulSets), client side as kubectl's polymorphic helpers
do it."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from ._rollout import CHANGE_CAUSE, RESTARTED_AT, Revision
from ._time import Duration, deadline, reachable
from .errors import InvalidArgumentError, RolloutTimeoutError

if TYPE_CHECKING:
    from ._apps import ControllerRevision, DaemonSet, StatefulSet

__all__ = ["AppsRollout", "daemonset_status_message", "statefulset_status_message", "status_message"]


def daemonset_status_message(ds: dict[str, Any]) -> tuple[str, bool]:
    """upstream: DaemonSetStatusViewer — (message, done); an OnDelete DaemonSet has no status."""
    name = ds["metadata"]["name"]
    spec, status = ds.get("spec", {}), ds.get("status", {})
    if spec.get("updateStrategy", {}).get("type") != "RollingUpdate":
        raise InvalidArgumentError("rollout status is only available for RollingUpdate strategy type")
    if ds["metadata"].get("generation", 0) > status.get("observedGeneration", 0):
        return "Waiting for daemon set spec update to be observed...", False
    desired = status.get("desiredNumberScheduled", 0)
    updated = status.get("updatedNumberScheduled", 0)
    available = status.get("numberAvailable", 0)
    prefix = f'Waiting for daemon set "{name}" rollout to finish: '
    if updated < desired:
        return f"{prefix}{updated} out of {desired} new pods have been updated...", False
    if available < desired:
        return f"{prefix}{available} of {desired} updated pods are available...", False
    return f'daemon set "{name}" successfully rolled out', True


def statefulset_status_message(sts: dict[str, Any]) -> tuple[str, bool]:
    """upstream: StatefulSetStatusViewer — (message, done); an OnDelete set has no status."""
    spec, status = sts.get("spec", {}), sts.get("status", {})
    strategy = spec.get("updateStrategy", {})
    if strategy.get("type") != "RollingUpdate":
        raise InvalidArgumentError("rollout status is only available for RollingUpdate strategy type")
    observed = status.get("observedGeneration", 0)
    if observed == 0 or sts["metadata"].get("generation", 0) > observed:
        return "Waiting for statefulset spec update to be observed...", False
    replicas = spec.get("replicas", 1)
    ready = status.get("readyReplicas", 0)
    if ready < replicas:
        return f"Waiting for {replicas - ready} pods to be ready...", False
    updated = status.get("updatedReplicas", 0)
    partition = strategy.get("rollingUpdate", {}).get("partition")
    if partition is not None and updated < replicas - partition:
        return (
            f"Waiting for partitioned roll out to finish: {updated} out of {replicas - partition} "
            "new pods have been updated...",
            False,
        )
    return f"partitioned roll out complete: {updated} new pods have been updated...", True


def status_message(obj: dict[str, Any]) -> tuple[str, bool]:
    """The status viewer of the object's kind."""
    if obj.get("kind") == "StatefulSet":
        return statefulset_status_message(obj)
    return daemonset_status_message(obj)


def _template(revision: ControllerRevision) -> dict[str, Any]:
    template = copy.deepcopy(revision.data.get("spec", {}).get("template", {}))
    template.pop("$patch", None)
    return template


class AppsRollout:
    """`kubectl rollout` for one DaemonSet or StatefulSet (``ds.rollout``)."""

    def __init__(self, workload: DaemonSet | StatefulSet) -> None:
        self._w = workload

    @property
    def _ref(self) -> str:
        return f"{self._w.kind.lower()}.apps/{self._w.name}"

    def status(self, timeout: Duration | None = None, progress: bool | None = None) -> list[str]:
        """Advance virtual time until the rollout finishes; return the messages kubectl prints
        (one per change of the DaemonSet). Raises :class:`kubesim.RolloutTimeoutError` when the
        timeout passes or nothing pending can change the outcome."""
        c = self._w._cluster
        end = None if timeout is None else deadline(c._native.now_ms, timeout, "wait for")
        with c._waiting(f"rollout status {self._w.name}", end, progress):
            messages: list[str] = []
            last_rv = None
            while True:
                obj = self._w.to_dict()
                message, done = status_message(obj)
                if obj["metadata"]["resourceVersion"] != last_rv:
                    messages.append(message)
                    last_rv = obj["metadata"]["resourceVersion"]
                if done:
                    return messages
                nxt = reachable(c._native.next_event_ms)
                if (
                    nxt is None
                    or (end is None and reachable(c._native.next_change_ms) is None)
                    or (end is not None and nxt > end)
                ):
                    if end is not None:
                        c._run_to(end)
                        message, done = status_message(self._w.to_dict())
                        if done:
                            messages.append(message)
                            return messages
                        raise RolloutTimeoutError("timed out waiting for the condition", messages=messages)
                    raise RolloutTimeoutError(
                        f"{message} (nothing pending in the simulation can change this)", messages=messages
                    )
                c._run_to(nxt)

    def history(self) -> list[Revision]:
        """`kubectl rollout history`: the workload's revisions, oldest first (``replicaset``
        names the ControllerRevision)."""
        by_revision = {
            r.revision: Revision(r.revision, r.annotations.get(CHANGE_CAUSE), _template(r), r.name)
            for r in self._w.revisions()
        }
        return [by_revision[n] for n in sorted(by_revision)]

    def undo(self, to_revision: int | None = None, dry_run: bool = False) -> str:
        """`kubectl rollout undo [--to-revision=N]` (upstream: DaemonSetRollbacker): the
        revision's template is patched back onto the workload."""
        history = {r.revision: r for r in self.history()}
        if to_revision:
            target = history.get(to_revision)
        else:
            revisions = sorted(history)
            target = history[revisions[-2]] if len(revisions) > 1 else None
        if target is None:
            raise InvalidArgumentError(f"unable to find specified revision {to_revision or 0} in history")
        native = self._w._cluster._native
        if dry_run:
            return f"{self._ref} \n" + native.describe_template(
                self._w.namespace, target.replicaset, "ControllerRevision"
            )
        obj = self._w.to_dict()
        if obj["spec"]["template"] == target.template:
            return f"{self._ref} skipped rollback (current template already matches revision {target.revision})"
        # The revision's data is a `$patch: replace` of the whole template.
        obj["spec"]["template"] = target.template
        self._w._cluster.replace(obj)
        return f"{self._ref} rolled back"

    def restart(self, dry_run: bool = False) -> str:
        """`kubectl rollout restart`: stamps the pod template with the restart time."""
        if dry_run:
            return f"{self._ref} restarted (dry run)"
        now = self._w._cluster.now.strftime("%Y-%m-%dT%H:%M:%SZ")
        patch = {"spec": {"template": {"metadata": {"annotations": {RESTARTED_AT: now}}}}}
        self._w._cluster.patch(self._w.kind.lower(), self._w.name, patch, self._w.namespace)
        return f"{self._ref} restarted"
