//! Label selectors and the label/name validation rules of apimachinery (`pkg/labels`, `util/validation`).
pub mod validation;
