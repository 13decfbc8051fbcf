"""kubesim's exception hierarchy. Every error the core raises is one of these classes."""

from __future__ import annotations

import builtins
from typing import Any

__all__ = [
    "AlreadyExistsError",
    "ConflictError",
    "EvictionError",
    "ForbiddenError",
    "GoneError",
    "InvalidArgumentError",
    "InvalidObjectError",
    "KubectlError",
    "KubesimError",
    "ManifestError",
    "MetricsUnavailableError",
    "NotFoundError",
    "ObjectBudgetError",
    "RolloutTimeoutError",
    "SelectorError",
    "SimulationError",
    "TimeoutError",
    "TooManyRequestsError",
]


class KubesimError(Exception):
    """Base class. Attributes set by the core (``field``, ``kind``, ``name``, ``source``,
    ``document``, ``line``, ``column``, ``causes``) are present when they apply, else ``None``."""

    field: str | None = None
    kind: str | None = None
    name: str | None = None
    source: str | None = None
    document: int | None = None
    line: int | None = None
    column: int | None = None
    causes: list[tuple[str, str]] | None = None

    def __init__(self, message: str, **attrs: Any) -> None:
        super().__init__(message)
        self.message = message
        for key, value in attrs.items():
            setattr(self, key, value)


class NotFoundError(KubesimError, LookupError):
    """The object does not exist (HTTP 404)."""


class AlreadyExistsError(KubesimError):
    """An object with that name already exists (HTTP 409)."""


class ConflictError(KubesimError):
    """An update carried a stale resourceVersion (HTTP 409)."""


class ForbiddenError(KubesimError):
    """Admission refused the write (HTTP 403), e.g. new content in a namespace being deleted."""


class GoneError(KubesimError):
    """A watch asked for history older than the watch log keeps (HTTP 410)."""


class InvalidObjectError(KubesimError, ValueError):
    """The API server rejected the object; ``field`` names the first offending field path and
    ``causes`` lists every ``(field, message)``."""


class SelectorError(KubesimError, ValueError):
    """A label selector did not parse."""


class ManifestError(KubesimError, ValueError):
    """A manifest could not be read: ``source``, ``document`` (from 1), ``line``, ``column``."""


class InvalidArgumentError(KubesimError, ValueError):
    """An argument names nothing kubesim knows, or is malformed (e.g. a duration)."""


class KubectlError(KubesimError):
    """A kubectl command exited non-zero."""


class MetricsUnavailableError(KubesimError, LookupError):
    """The metrics API has no samples yet (e.g. `top` right after pods started): kubectl's
    ``metrics not available yet`` or ``Metrics not available for pod …``."""


class SimulationError(KubesimError):
    """The simulation could not proceed."""


class ObjectBudgetError(SimulationError):
    """The cluster would hold more objects than ``Cluster(max_objects=…)`` allows: a runaway
    (say, ``replicas: 2147483647``) stopped before it exhausts memory. The objects created up to
    the budget stay; what is left to do resumes if the budget is raised."""


class TimeoutError(KubesimError, builtins.TimeoutError):  # noqa: A001 - mirrors the builtin on purpose
    """A wait ran out of virtual time, or nothing pending could change its outcome."""


class RolloutTimeoutError(TimeoutError):
    """`rollout status` gave up: the progress deadline was exceeded, its timeout passed, or nothing
    pending could change the outcome. ``messages`` holds what it printed before."""

    messages: list[str] | None = None


class EvictionError(KubesimError):
    """The Eviction API refused to evict a pod: ``code`` is the HTTP code the API server gives
    (500 when several PodDisruptionBudgets select the pod, 403 for a budget it cannot honour),
    ``causes`` its ``(reason, message)`` details, ``budget`` the budget's name."""

    code: int | None = None
    retry_after_seconds: int | None = None
    budget: str | None = None


class TooManyRequestsError(EvictionError):
    """HTTP 429: evicting the pod would violate its PodDisruptionBudget ("Cannot evict pod as it
    would violate the pod's disruption budget."), or the budget is still being processed; retry
    later, as ``kubectl drain`` does every 5 seconds."""
