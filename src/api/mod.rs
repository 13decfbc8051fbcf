//! Wire types, defaulting, validation, manifests in and out.
pub mod field;
