//! Wire types, defaulting, validation, manifests in and out.
pub mod convert;
pub mod defaults;
pub mod field;
pub mod validation;
