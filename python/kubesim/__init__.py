"""kubesim: a Kubernetes workload control plane in deterministic virtual time.

>>> import kubesim
>>> c = kubesim.Cluster(nodes=3, seed=0)
>>> [str(r) for r in c.apply("examples/nginx-deployment.yaml")]  # doctest: +SKIP
['deployment.apps/nginx-deployment created']
"""

from __future__ import annotations

from ._cluster import ApplyResult, Cluster, ImageRegistry, WatchEvent
from ._handles import (
    ContainerStatus,
    Deployment,
    Event,
    HorizontalPodAutoscaler,
    Namespace,
    Node,
    Object,
    Pod,
    ReplicaSet,
)
from ._native import __version__
from ._rollout import Revision
from .errors import (
    AlreadyExistsError,
    ConflictError,
    GoneError,
    InvalidArgumentError,
    InvalidObjectError,
    KubectlError,
    KubesimError,
    ManifestError,
    MetricsUnavailableError,
    NotFoundError,
    RolloutTimeoutError,
    SelectorError,
    SimulationError,
    TimeoutError,
)

__all__ = [
    "AlreadyExistsError",
    "ApplyResult",
    "Cluster",
    "ConflictError",
    "ContainerStatus",
    "Deployment",
    "Event",
    "GoneError",
    "HorizontalPodAutoscaler",
    "ImageRegistry",
    "InvalidArgumentError",
    "InvalidObjectError",
    "KubectlError",
    "KubesimError",
    "ManifestError",
    "MetricsUnavailableError",
    "Namespace",
    "Node",
    "NotFoundError",
    "Object",
    "Pod",
    "ReplicaSet",
    "Revision",
    "RolloutTimeoutError",
    "SelectorError",
    "SimulationError",
    "TimeoutError",
    "WatchEvent",
    "__version__",
]
