//! Server-side field validation (`fieldValidation=Strict|Warn|Ignore`) over the core's strict
//! decoding.

use std::sync::Arc;

use serde_json::Value;

use super::request::Request;
use super::status::{failure, Failure};
use crate::api::Object;
use crate::cluster::Cluster;

fn core(e: crate::error::KubesimError) -> Failure {
    failure(&e)
}

/// upstream: the `fieldValidation` query parameter. Unknown fields are an error (`Strict`, what
/// kubectl sends by default), dropped with a `Warning` header (`Warn`, the server's default, which
/// the Python client gets), or dropped silently (`Ignore`, kubectl `--validate=false`).
pub struct Validation {
    strict: bool,
    warn: bool,
    pub warnings: Vec<String>,
    /// The object the write stored (what the field managers record).
    pub written: Option<Arc<Object>>,
}

impl Validation {
    pub fn of(req: &Request) -> Result<Validation, Failure> {
        let (strict, warn) = match req.param("fieldValidation").unwrap_or("Warn") {
            "Strict" => (true, false),
            "Warn" | "" => (false, true),
            "Ignore" => (false, false),
            other => {
                return Err(Failure::bad_request(format!(
                "fieldValidation: Unsupported value: \"{other}\": supported values: \"Ignore\", \"Strict\", \"Warn\""
            )))
            }
        };
        Ok(Validation { strict, warn, warnings: Vec::new(), written: None })
    }

    /// Write `body` with `write`. The core decodes strictly; when it refuses an unknown field,
    /// every unknown field is found (one decode each, without writing) and the body is written
    /// without them, unless the mode is `Strict`, which reports them all as upstream does.
    pub fn write(
        &mut self,
        c: &mut Cluster,
        body: Value,
        write: impl Fn(&mut Cluster, Value) -> Result<Arc<Object>, crate::error::KubesimError>,
    ) -> Result<Arc<Object>, Failure> {
        let first = match write(c, body.clone()) {
            Err(e) if unknown_field(&e).is_some() => e,
            other => return self.stored(other.map_err(core)),
        };
        let (mut stripped, mut fields) = (body, Vec::new());
        let mut last = first;
        while let Some(field) = unknown_field(&last) {
            if fields.len() >= 1000 || !remove_path(&mut stripped, &field) {
                return Err(core(last));
            }
            fields.push(field);
            match crate::api::Object::decode(stripped.clone()) {
                Err(e) => last = e.into(),
                Ok(_) => break,
            }
        }
        if self.strict {
            let (kind, version) = match &last {
                crate::error::KubesimError::Api(crate::api::ApiError::Decode { kind, version, .. }) => {
                    (*kind, version.clone())
                }
                _ => return Err(core(last)),
            };
            let list: Vec<String> = fields.iter().map(|f| format!("unknown field \"{f}\"")).collect();
            return Err(Failure::bad_request(format!(
                "{kind} in version \"{version}\" cannot be handled as a {kind}: strict decoding error: {}",
                list.join(", ")
            )));
        }
        if self.warn {
            self.warnings.extend(fields.iter().map(|f| format!("unknown field \"{f}\"")));
        }
        let written = write(c, stripped).map_err(core);
        self.stored(written)
    }

    fn stored(&mut self, written: Result<Arc<Object>, Failure>) -> Result<Arc<Object>, Failure> {
        if let Ok(o) = &written {
            self.written = Some(o.clone());
        }
        written
    }
}

/// The field an error says the schema does not have.
fn unknown_field(e: &crate::error::KubesimError) -> Option<String> {
    use crate::api::ApiError;
    use crate::error::KubesimError;
    let decode = match e {
        KubesimError::Api(a) | KubesimError::Store(crate::store::StoreError::Invalid(a)) => a,
        KubesimError::InDocument { error, .. } => return unknown_field(error),
        _ => return None,
    };
    match decode {
        ApiError::Decode { field, message, .. } if message.starts_with("strict decoding error: unknown field") => {
            Some(field.clone())
        }
        _ => None,
    }
}

/// Remove the value at a field path (`spec.template.spec.containers[0].bar`); false if absent.
fn remove_path(doc: &mut Value, path: &str) -> bool {
    let mut steps: Vec<Result<usize, &str>> = Vec::new();
    for part in path.split('.') {
        let (name, rest) = part.split_once('[').unwrap_or((part, ""));
        if !name.is_empty() {
            steps.push(Err(name));
        }
        for index in rest.split('[').filter(|s| !s.is_empty()) {
            match index.trim_end_matches(']').parse::<usize>() {
                Ok(i) => steps.push(Ok(i)),
                Err(_) => return false,
            }
        }
    }
    let Some((last, parents)) = steps.split_last() else { return false };
    let mut cur = doc;
    for step in parents {
        let next = match (step, cur) {
            (Err(name), Value::Object(m)) => m.get_mut(*name),
            (Ok(i), Value::Array(a)) => a.get_mut(*i),
            _ => None,
        };
        match next {
            Some(n) => cur = n,
            None => return false,
        }
    }
    match (last, cur) {
        (Err(name), Value::Object(m)) => m.remove(*name).is_some(),
        _ => false,
    }
}
