//! Label selectors and the label/name validation rules of apimachinery (`pkg/labels`, `util/validation`).
pub mod api_validation;
pub mod fields;
pub(crate) mod gofmt;
pub mod label_keys;
mod parser;
pub mod selector;
pub mod validation;

pub use api_validation::{
    validate_annotations, validate_label_name, validate_label_selector, validate_label_selector_requirement,
    validate_label_selector_with, validate_labels, LabelSelectorValidationOptions, TOTAL_ANNOTATION_SIZE_LIMIT_B,
};
pub use fields::{FieldSelector, FieldSelectorError};
pub use label_keys::merge_label_keys;
pub use selector::{format_label_selector, format_labels, LabelSource, Operator, Requirement, Selector, SelectorError};
