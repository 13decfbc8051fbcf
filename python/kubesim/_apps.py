"""Handles for the apps/v1 kinds that keep their history as ControllerRevisions: DaemonSets
(``c.daemonset(name)``), StatefulSets (``c.statefulset(name)``), the revisions themselves, and
the PersistentVolumeClaims StatefulSets make."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._handles import HANDLES, Object, Pod, _int

if TYPE_CHECKING:
    from ._rollout_apps import AppsRollout

__all__ = ["ControllerRevision", "DaemonSet", "PersistentVolumeClaim", "StatefulSet"]


class ControllerRevision(Object):
    """A snapshot of a DaemonSet's pod template (``kubectl get controllerrevisions``)."""

    kind = "ControllerRevision"

    @property
    def revision(self) -> int:
        return int(self.to_dict().get("revision", 0))

    @property
    def data(self) -> dict[str, Any]:
        return dict(self.to_dict().get("data") or {})


class _Revisioned(Object):
    """A workload whose pod templates are kept as ControllerRevisions."""

    @property
    def rollout(self) -> AppsRollout:
        from ._rollout_apps import AppsRollout

        return AppsRollout(self)  # type: ignore[arg-type]

    def _controlled(self, kind: str) -> list[Any]:
        return self._cluster._controlled(kind, self)

    def pods(self) -> list[Pod]:
        """The pods this workload controls, by name."""
        return self._controlled("pods")

    def revisions(self) -> list[ControllerRevision]:
        """The ControllerRevisions this workload controls, oldest revision first."""
        revisions: list[ControllerRevision] = self._controlled("controllerrevisions")
        return sorted(revisions, key=lambda r: (r.revision, r.name))


class DaemonSet(_Revisioned):
    """One pod on every node that should run one; ``rollout`` is ``kubectl rollout`` for it."""

    kind = "DaemonSet"

    @property
    def desired_number_scheduled(self) -> int:
        return _int(self.status, "desiredNumberScheduled")

    @property
    def current_number_scheduled(self) -> int:
        return _int(self.status, "currentNumberScheduled")

    @property
    def number_ready(self) -> int:
        return _int(self.status, "numberReady")

    @property
    def updated_number_scheduled(self) -> int:
        return _int(self.status, "updatedNumberScheduled")

    @property
    def number_available(self) -> int:
        return _int(self.status, "numberAvailable")

    @property
    def number_unavailable(self) -> int:
        return _int(self.status, "numberUnavailable")

    @property
    def number_misscheduled(self) -> int:
        return _int(self.status, "numberMisscheduled")


class StatefulSet(_Revisioned):
    """Pods with stable names (``web-0``, ``web-1``, …) and a claim per volume claim template."""

    kind = "StatefulSet"

    @property
    def replicas(self) -> int:
        return int(self.spec.get("replicas", 1))

    @property
    def status_replicas(self) -> int:
        return _int(self.status, "replicas")

    @property
    def ready_replicas(self) -> int:
        return _int(self.status, "readyReplicas")

    @property
    def available_replicas(self) -> int:
        return _int(self.status, "availableReplicas")

    @property
    def current_replicas(self) -> int:
        return _int(self.status, "currentReplicas")

    @property
    def updated_replicas(self) -> int:
        return _int(self.status, "updatedReplicas")

    @property
    def current_revision(self) -> str | None:
        return self.status.get("currentRevision")

    @property
    def update_revision(self) -> str | None:
        return self.status.get("updateRevision")

    def pods(self) -> list[Pod]:
        """The pods this StatefulSet controls, by ordinal."""
        pods = super().pods()
        return sorted(pods, key=lambda p: int(p.labels.get("apps.kubernetes.io/pod-index", "0")))

    def scale(self, replicas: int) -> None:
        self._cluster.patch("statefulset", self.name, {"spec": {"replicas": replicas}}, self.namespace)


class PersistentVolumeClaim(Object):
    """A claim; kubesim binds every claim to a volume of its own as it is created."""

    kind = "PersistentVolumeClaim"

    @property
    def phase(self) -> str | None:
        return self.status.get("phase")

    @property
    def volume_name(self) -> str | None:
        return self.spec.get("volumeName")


HANDLES.update({cls.kind: cls for cls in (DaemonSet, StatefulSet, ControllerRevision, PersistentVolumeClaim)})
