//! Label selectors and the label/name validation rules of apimachinery (`pkg/labels`, `util/validation`).
mod gofmt;
mod parser;
pub mod selector;
pub mod validation;

pub use selector::{
    format_label_selector, format_labels, Operator, Requirement, Selector, SelectorError,
};
