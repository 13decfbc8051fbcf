//! Errors of the `api` layer: decoding manifests into objects and validating them.

use super::field::ErrorList;
use super::kind::Kind;

#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ApiError {
    /// The object decoded but failed the API server's validation (HTTP 422).
    #[error("{}", invalid_message(*kind, name, errors))]
    Invalid { kind: Kind, name: String, errors: ErrorList },
    /// A field had the wrong type or was unknown to the schema (strict decoding, HTTP 400).
    #[error("{kind} in version \"{version}\" cannot be handled as a {kind}: {message}")]
    Decode { kind: Kind, version: String, field: String, message: String },
    /// `apiVersion`/`kind` name nothing this API server serves.
    #[error("no matches for kind \"{kind}\" in version \"{api_version}\"")]
    UnknownKind { api_version: String, kind: String },
    /// A document without `apiVersion` or `kind` (kubectl's client-side check).
    #[error("error validating data: [{}]", missing.join(", "))]
    MissingTypeMeta { missing: Vec<String> },
    /// A document is not a YAML/JSON object, or the text is not YAML at all.
    #[error("{}", yaml_message(source_name, *document, *line, *column, message))]
    Syntax { source_name: String, document: usize, line: usize, column: usize, message: String },
}

impl ApiError {
    /// The message as the API server words it (upstream: apierrors.NewInvalid, `Pod "x" is
    /// invalid: …` with the group-qualified kind, the errors aggregated in brackets when more
    /// than one), which is what a controller's Event quotes; [`ApiError`]'s own text is
    /// kubectl's rendering (`The Pod "x" is invalid: …`). Other errors read the same either way.
    pub fn server_message(&self) -> String {
        let ApiError::Invalid { kind, name, errors } = self else { return self.to_string() };
        let qualified =
            if kind.group().is_empty() { kind.name().to_string() } else { format!("{}.{}", kind.name(), kind.group()) };
        if errors.is_empty() {
            return format!("{qualified} \"{name}\" is invalid");
        }
        format!("{qualified} \"{name}\" is invalid: {}", super::field::aggregate(errors))
    }

    /// The field path the error is about, if one.
    pub fn field(&self) -> Option<String> {
        match self {
            ApiError::Invalid { errors, .. } => errors.first().map(|e| e.field().to_string()),
            ApiError::Decode { field, .. } => Some(field.clone()),
            ApiError::UnknownKind { .. } => Some("kind".into()),
            ApiError::MissingTypeMeta { missing } => {
                missing.first().map(|m| if m.starts_with("apiVersion") { "apiVersion".into() } else { "kind".into() })
            }
            ApiError::Syntax { .. } => None,
        }
    }
}

/// upstream: kubectl rebuilds 422 messages from the Status causes.
fn invalid_message(kind: Kind, name: &str, errors: &ErrorList) -> String {
    match errors.as_slice() {
        [] => format!("The {kind} \"{name}\" is invalid"),
        [one] => format!("The {kind} \"{name}\" is invalid: {one}"),
        many => {
            let mut s = format!("The {kind} \"{name}\" is invalid: ");
            for e in many {
                s.push_str(&format!("\n* {e}"));
            }
            s
        }
    }
}

fn yaml_message(source: &str, document: usize, line: usize, column: usize, message: &str) -> String {
    if line > 0 {
        format!("error parsing {source} (document {document}, line {line}, column {column}): {message}")
    } else {
        format!("error parsing {source} (document {document}): {message}")
    }
}
