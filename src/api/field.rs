//! Field-path errors worded like the API server's `field.Error` (apimachinery `validation/field`).

use std::fmt;

/// A path into an object, rendered as the API server renders it: `spec.template.spec.containers[0].name`,
/// `metadata.labels[app]`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Path(String);

impl Path {
    pub fn root(name: &str) -> Self {
        Path(name.to_string())
    }
    /// An empty path: errors print without the `field: ` prefix (upstream prints `<nil>` for some).
    pub fn none() -> Self {
        Path(String::new())
    }
    // Paths are made for every field validated, most never printed: built by appending, not
    // through the formatting machinery.
    pub fn child(&self, name: &str) -> Self {
        if self.0.is_empty() {
            return Path(name.to_string());
        }
        self.joined(&[".", name])
    }
    pub fn index(&self, i: usize) -> Self {
        self.joined(&["[", itoa::Buffer::new().format(i), "]"])
    }
    pub fn key(&self, k: &str) -> Self {
        self.joined(&["[", k, "]"])
    }
    fn joined(&self, parts: &[&str]) -> Self {
        let mut s = String::with_capacity(self.0.len() + parts.iter().map(|p| p.len()).sum::<usize>());
        s.push_str(&self.0);
        parts.iter().for_each(|p| s.push_str(p));
        Path(s)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A value shown in an `Invalid value:` message: Go prints strings with `%q` and numbers bare.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Str(String),
    Int(i64),
    Raw(String),
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Str(s) => write!(f, "{}", serde_json::Value::String(s.clone())),
            Value::Int(i) => write!(f, "{i}"),
            Value::Raw(s) => f.write_str(s),
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::Str(s.to_string())
    }
}
impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::Str(s)
    }
}
impl From<i64> for Value {
    fn from(i: i64) -> Self {
        Value::Int(i)
    }
}
impl From<i32> for Value {
    fn from(i: i32) -> Self {
        Value::Int(i as i64)
    }
}

/// The kinds of `field.Error` (`ErrorType.String()` gives the words before the detail).
#[derive(Clone, Debug, PartialEq)]
pub enum ErrorKind {
    Required,
    Invalid(Value),
    Forbidden,
    NotSupported(Value, Vec<String>),
    Duplicate(Value),
    /// `field.TooLong`: the value is never shown, the limit is in the detail.
    TooLong,
    /// `field.TooMany`: the count and the most allowed.
    TooMany(i64, i64),
}

#[derive(Clone, Debug, PartialEq)]
pub struct FieldError {
    pub path: Path,
    pub kind: ErrorKind,
    pub detail: String,
}

impl FieldError {
    pub fn required(path: Path, detail: impl Into<String>) -> Self {
        FieldError { path, kind: ErrorKind::Required, detail: detail.into() }
    }
    pub fn invalid(path: Path, value: impl Into<Value>, detail: impl Into<String>) -> Self {
        FieldError { path, kind: ErrorKind::Invalid(value.into()), detail: detail.into() }
    }
    pub fn forbidden(path: Path, detail: impl Into<String>) -> Self {
        FieldError { path, kind: ErrorKind::Forbidden, detail: detail.into() }
    }
    pub fn not_supported(path: Path, value: impl Into<Value>, supported: &[&str]) -> Self {
        FieldError {
            path,
            kind: ErrorKind::NotSupported(value.into(), supported.iter().map(|s| s.to_string()).collect()),
            detail: String::new(),
        }
    }
    pub fn too_many(path: Path, actual: usize, max: usize) -> Self {
        FieldError { path, kind: ErrorKind::TooMany(actual as i64, max as i64), detail: String::new() }
    }
    /// upstream (apimachinery 1.32+): field.TooLong — `Too long: may not be more than 63 bytes`.
    pub fn too_long(path: Path, max_bytes: usize) -> Self {
        FieldError { path, kind: ErrorKind::TooLong, detail: format!("may not be more than {max_bytes} bytes") }
    }
    pub fn duplicate(path: Path, value: impl Into<Value>) -> Self {
        FieldError { path, kind: ErrorKind::Duplicate(value.into()), detail: String::new() }
    }
    /// The field path as a string (`spec.replicas`).
    pub fn field(&self) -> &str {
        self.path.as_str()
    }
    /// The message without the field path (`Invalid value: -1: must be …`).
    pub fn error_body(&self) -> String {
        // upstream: field.Error.ErrorBody
        let mut s = match &self.kind {
            ErrorKind::Required => "Required value".to_string(),
            ErrorKind::Forbidden => "Forbidden".to_string(),
            ErrorKind::Invalid(v) => format!("Invalid value: {v}"),
            ErrorKind::Duplicate(v) => format!("Duplicate value: {v}"),
            ErrorKind::TooLong => "Too long".to_string(),
            // upstream: field.TooMany — `Too many: 1001: must have at most 1000 items`.
            ErrorKind::TooMany(actual, max) => format!("Too many: {actual}: must have at most {max} items"),
            ErrorKind::NotSupported(v, supported) => {
                let list: Vec<String> =
                    supported.iter().map(|s| serde_json::Value::String(s.clone()).to_string()).collect();
                format!("Unsupported value: {v}: supported values: {}", list.join(", "))
            }
        };
        if !self.detail.is_empty() {
            s.push_str(": ");
            s.push_str(&self.detail);
        }
        s
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.as_str().is_empty() {
            write!(f, "{}", self.error_body())
        } else {
            write!(f, "{}: {}", self.path, self.error_body())
        }
    }
}

pub type ErrorList = Vec<FieldError>;

/// upstream: `ErrorList.ToAggregate().Error()` — the messages once each, in order; one alone,
/// more in brackets joined by `, `.
pub fn aggregate(errors: &[FieldError]) -> String {
    let mut seen: Vec<String> = Vec::new();
    for e in errors {
        let m = e.to_string();
        if !seen.contains(&m) {
            seen.push(m);
        }
    }
    match seen.as_slice() {
        [one] => one.clone(),
        many => format!("[{}]", many.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_value_quotes_strings_and_prints_numbers_bare() {
        let p = Path::root("spec").child("replicas");
        assert_eq!(
            FieldError::invalid(p, -1, "must be greater than or equal to 0").to_string(),
            "spec.replicas: Invalid value: -1: must be greater than or equal to 0"
        );
        let p = Path::root("metadata").child("name");
        assert_eq!(FieldError::invalid(p, "Web_1", "bad").to_string(), "metadata.name: Invalid value: \"Web_1\": bad");
    }

    #[test]
    fn paths_render_indexes_and_keys() {
        let p = Path::root("spec").child("containers").index(1).child("name");
        assert_eq!(p.as_str(), "spec.containers[1].name");
        assert_eq!(Path::root("metadata").child("labels").key("a/b").as_str(), "metadata.labels[a/b]");
    }

    #[test]
    fn not_supported_lists_values() {
        let e = FieldError::not_supported(Path::root("spec").child("x"), "Foo", &["A", "B"]);
        assert_eq!(e.to_string(), "spec.x: Unsupported value: \"Foo\": supported values: \"A\", \"B\"");
    }
}
