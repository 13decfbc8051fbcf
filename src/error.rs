//! The one error type the core returns; the Python binding maps each variant to a class.

use crate::api::ApiError;
use crate::labels::SelectorError;
use crate::metrics::SeriesError;
use crate::sim::clock::DurationError;
use crate::store::StoreError;

#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum KubesimError {
    /// A manifest could not be read, decoded or validated.
    #[error(transparent)]
    Api(#[from] ApiError),
    /// The store refused a read or write (not found, exists, conflict, gone, invalid update).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A label selector string or LabelSelector did not parse.
    #[error(transparent)]
    Selector(#[from] SelectorError),
    /// A duration string did not parse.
    #[error(transparent)]
    Duration(#[from] DurationError),
    /// An argument names nothing kubesim knows (a resource type, a namespace scope, …).
    #[error("{0}")]
    InvalidArgument(String),
    /// A wait ran out of virtual time.
    #[error("{0}")]
    Timeout(String),
    /// The simulation could not proceed (e.g. controllers that never settle).
    #[error("{0}")]
    Simulation(String),
    /// The cluster would hold more objects than its budget allows (`Cluster(max_objects=…)`):
    /// a runaway (say, a ReplicaSet of 2147483647 replicas) stopped before memory runs out.
    #[error("{0}")]
    ObjectBudget(String),
    /// The caller asked the run to stop (Ctrl-C); it stopped between two rounds of the
    /// controllers, and the next call goes on from there.
    #[error("interrupted")]
    Interrupted,
    /// A load or metric series the user computes (a callable) failed when it was sampled.
    #[error(transparent)]
    Series(#[from] SeriesError),
    /// Something outside the object store does not exist (e.g. the metrics of a pod), worded
    /// as the API server words it: `podmetrics.metrics.k8s.io "default/web" not found`.
    #[error("{resource} \"{name}\" not found")]
    NotFound { resource: String, name: String },
    /// The metrics API has no samples yet (`kubectl top` right after pods started).
    #[error("{0}")]
    MetricsUnavailable(String),
    /// A failure of one document of a multi-document manifest, with where it came from.
    #[error("error when applying {source_name} (document {document}): {error}")]
    InDocument { source_name: String, document: usize, error: Box<KubesimError> },
    /// The Eviction API refused to evict a pod (a disruption budget forbids it: 429, or the
    /// pod has more than one budget: 500), with the HTTP code and causes the API server gives.
    #[error(transparent)]
    Eviction(#[from] crate::cluster::EvictionError),
}

pub type Result<T, E = KubesimError> = std::result::Result<T, E>;
