//! `Status` objects: how the API server answers a failure (apiserver.md §8). kubectl prints
//! `Error from server (<reason>): <message>`, except for 422 where it rebuilds the message from
//! `details.causes`.

use serde_json::{json, Value};

use crate::api::field::ErrorKind;
use crate::api::{ApiError, Kind};
use crate::error::KubesimError;
use crate::store::StoreError;

/// An HTTP failure: the code and the Status body.
#[derive(Debug)]
pub struct Failure {
    pub code: u16,
    pub body: Value,
}

impl Failure {
    pub fn new(code: u16, reason: &str, message: impl Into<String>) -> Failure {
        Failure { code, body: status(code, reason, &message.into(), None) }
    }

    pub fn with_details(code: u16, reason: &str, message: impl Into<String>, details: Value) -> Failure {
        Failure { code, body: status(code, reason, &message.into(), Some(details)) }
    }

    pub fn bad_request(message: impl Into<String>) -> Failure {
        Failure::new(400, "BadRequest", message)
    }

    /// upstream: a path that names no route (the apiserver's NotFound handler).
    pub fn no_route() -> Failure {
        Failure::new(404, "NotFound", "the server could not find the requested resource")
    }

    pub fn method_not_allowed(method: &str) -> Failure {
        Failure::new(
            405,
            "MethodNotAllowed",
            format!("the server does not allow this method on the requested resource ({method})"),
        )
    }

    pub fn internal(message: &str) -> Failure {
        Failure::new(500, "InternalError", format!("Internal error occurred: {message}"))
    }
}

pub fn status(code: u16, reason: &str, message: &str, details: Option<Value>) -> Value {
    let mut s = json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                       "message": message, "reason": reason, "code": code});
    if let Some(d) = details {
        s["details"] = d;
    }
    s
}

/// upstream: `details.kind` of 404 and 409 is the plural resource, with its group beside it.
fn resource_details(kind: Kind, name: &str) -> Value {
    json!({"name": name, "group": kind.group(), "kind": kind.plural()})
}

/// upstream: field.ErrorType → metav1.CauseType.
fn cause_reason(kind: &ErrorKind) -> &'static str {
    match kind {
        ErrorKind::Required => "FieldValueRequired",
        ErrorKind::Invalid(_) => "FieldValueInvalid",
        ErrorKind::Forbidden => "FieldValueForbidden",
        ErrorKind::NotSupported(..) => "FieldValueNotSupported",
        ErrorKind::Duplicate(_) => "FieldValueDuplicate",
        ErrorKind::TooLong => "FieldValueTooLong",
        ErrorKind::TooMany(..) => "FieldValueTooMany",
    }
}

fn api_failure(e: &ApiError) -> Failure {
    match e {
        ApiError::Invalid { kind, name, errors } => {
            let causes: Vec<Value> = errors
                .iter()
                .map(|f| json!({"reason": cause_reason(&f.kind), "message": f.error_body(), "field": f.field()}))
                .collect();
            // upstream: 422 details name the Kind (not the resource), and kubectl rebuilds the
            // message from the causes.
            let details = json!({"name": name, "group": kind.group(), "kind": kind.name(), "causes": causes});
            Failure::with_details(422, "Invalid", e.to_string(), details)
        }
        ApiError::Decode { .. }
        | ApiError::UnknownKind { .. }
        | ApiError::MissingTypeMeta { .. }
        | ApiError::Syntax { .. } => Failure::bad_request(e.to_string()),
    }
}

/// The Status a core error becomes.
pub fn failure(e: &KubesimError) -> Failure {
    match e {
        KubesimError::Api(a) => api_failure(a),
        KubesimError::Store(s) => match s {
            StoreError::NotFound { kind, name } => {
                Failure::with_details(404, "NotFound", e.to_string(), resource_details(*kind, name))
            }
            StoreError::AlreadyExists { kind, name } => {
                Failure::with_details(409, "AlreadyExists", e.to_string(), resource_details(*kind, name))
            }
            StoreError::Conflict { kind, name } => {
                Failure::with_details(409, "Conflict", e.to_string(), resource_details(*kind, name))
            }
            StoreError::Gone { .. } => Failure::new(410, "Expired", e.to_string()),
            StoreError::Forbidden { kind, name, .. } => {
                Failure::with_details(403, "Forbidden", e.to_string(), resource_details(*kind, name))
            }
            StoreError::Invalid(a) => api_failure(a),
        },
        KubesimError::Selector(_) | KubesimError::Duration(_) => Failure::bad_request(e.to_string()),
        // upstream: admission refusals (NamespaceLifecycle) are 403 Forbidden.
        KubesimError::InvalidArgument(m) if m.contains("is forbidden") => Failure::new(403, "Forbidden", m.clone()),
        KubesimError::InvalidArgument(m) => Failure::bad_request(m.clone()),
        // upstream: like an exceeded ResourceQuota, a refusal to store more.
        KubesimError::ObjectBudget(m) => Failure::new(403, "Forbidden", m.clone()),
        KubesimError::NotFound { resource, name } => {
            Failure::with_details(404, "NotFound", e.to_string(), json!({"name": name, "kind": resource}))
        }
        KubesimError::InDocument { error, .. } => failure(error),
        KubesimError::Timeout(m) | KubesimError::Simulation(m) | KubesimError::MetricsUnavailable(m) => {
            Failure::internal(m)
        }
        KubesimError::Series(s) => Failure::internal(&s.to_string()),
        KubesimError::Interrupted => Failure::internal("interrupted"),
        KubesimError::Eviction(ev) => eviction_failure(ev),
    }
}

/// upstream: the eviction handler's refusals — NewTooManyRequests (causes, retryAfterSeconds
/// when not 0), NewForbidden on the budget, and its bare 500 Status (no reason).
fn eviction_failure(e: &crate::cluster::EvictionError) -> Failure {
    let mut details = serde_json::Map::new();
    if e.code == 403 {
        details.insert("name".into(), json!(e.budget));
        details.insert("group".into(), json!("policy"));
        details.insert("kind".into(), json!("poddisruptionbudget"));
    }
    if !e.causes.is_empty() {
        let causes: Vec<Value> = e.causes.iter().map(|(r, m)| json!({"reason": r, "message": m})).collect();
        details.insert("causes".into(), Value::Array(causes));
    }
    if let Some(s) = e.retry_after_seconds.filter(|s| *s > 0) {
        details.insert("retryAfterSeconds".into(), json!(s));
    }
    let mut body = status(e.code, e.reason, &e.message, (!details.is_empty()).then_some(Value::Object(details)));
    if e.reason.is_empty() {
        if let Some(m) = body.as_object_mut() {
            m.remove("reason");
        }
    }
    Failure { code: e.code, body }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_found_reads_as_kubectl_prints_it() {
        let e = KubesimError::Store(StoreError::NotFound { kind: Kind::Deployment, name: "nope".into() });
        let f = failure(&e);
        assert_eq!(f.code, 404);
        assert_eq!(f.body["message"], "deployments.apps \"nope\" not found");
        assert_eq!(f.body["details"], json!({"name": "nope", "group": "apps", "kind": "deployments"}));
        let e = KubesimError::Store(StoreError::NotFound { kind: Kind::Pod, name: "x".into() });
        assert_eq!(failure(&e).body["message"], "pods \"x\" not found");
    }
}
