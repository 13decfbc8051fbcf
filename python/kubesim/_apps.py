"""Handles for the apps/v1 kinds that keep their history as ControllerRevisions: DaemonSets
(``c.daemonset(name)``) and the revisions themselves."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._handles import HANDLES, Object, Pod, _int

if TYPE_CHECKING:
    from ._rollout_apps import AppsRollout

__all__ = ["ControllerRevision", "DaemonSet"]


class ControllerRevision(Object):
    """A snapshot of a DaemonSet's pod template (``kubectl get controllerrevisions``)."""

    kind = "ControllerRevision"

    @property
    def revision(self) -> int:
        return int(self.to_dict().get("revision", 0))

    @property
    def data(self) -> dict[str, Any]:
        return dict(self.to_dict().get("data") or {})


class DaemonSet(Object):
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

    @property
    def rollout(self) -> AppsRollout:
        from ._rollout_apps import AppsRollout

        return AppsRollout(self)

    def _controlled(self, kind: str) -> list[Any]:
        uid = self.uid
        return [
            o
            for o in self._cluster.list(kind, None, self.namespace)
            if any(r.get("uid") == uid and r.get("controller") for r in o.owner_references)
        ]

    def pods(self) -> list[Pod]:
        """The pods this DaemonSet controls, by name."""
        return self._controlled("pods")

    def revisions(self) -> list[ControllerRevision]:
        """The ControllerRevisions this DaemonSet controls, oldest revision first."""
        revisions: list[ControllerRevision] = self._controlled("controllerrevisions")
        return sorted(revisions, key=lambda r: (r.revision, r.name))


HANDLES.update({cls.kind: cls for cls in (DaemonSet, ControllerRevision)})
