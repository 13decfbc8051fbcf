//! Wire types, defaulting, validation, manifests in and out.
pub mod admitted_jobs;
pub mod allocate;
pub mod batch_strategy;
pub mod convert;
pub mod defaults;
pub mod error;
pub mod event;
pub mod field;
pub mod kind;
pub mod manifest;
pub mod meta;
pub mod object;
pub mod pod;
pub mod quantity;
pub mod sorted;
pub mod strategy;
pub mod template;
pub mod validation;
pub mod yaml;
pub mod yaml_limits;
pub mod yaml_value;

pub use error::ApiError;
pub use kind::Kind;
pub use meta::{Meta, OwnerRef, Uid};
pub use object::{Body, Object};
