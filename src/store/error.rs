use crate::api::{ApiError, Kind};

#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum StoreError {
    /// get/update/delete of an object that does not exist.
    #[error("{} \"{name}\" not found", kind.resource())]
    NotFound { kind: Kind, name: String },
    /// create of a name that is taken.
    #[error("{} \"{name}\" already exists", kind.resource())]
    AlreadyExists { kind: Kind, name: String },
    /// An update carried a resourceVersion that is no longer current.
    #[error("Operation cannot be fulfilled on {} \"{name}\": the object has been modified; please apply your changes to the latest version and try again", kind.resource())]
    Conflict { kind: Kind, name: String },
    /// A watch asked for history older than the watch log keeps.
    #[error("too old resource version: {requested} ({oldest})")]
    Gone { requested: u64, oldest: u64 },
    /// Admission refused the write (HTTP 403), e.g. new content in a terminating namespace.
    #[error("{} \"{name}\" is forbidden: {reason}", kind.resource())]
    Forbidden { kind: Kind, name: String, reason: String },
    /// The write was rejected by validation (create, update or an update-only rule).
    #[error(transparent)]
    Invalid(#[from] ApiError),
}
