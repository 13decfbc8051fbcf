//! Field selectors (`kubectl get pods --field-selector status.phase=Running`, a LIST's
//! `fieldSelector`): upstream's fields.ParseSelector grammar, and each kind's selectable fields
//! as its registry's GetAttrs (ToSelectableFields) gives them. One implementation serves the API
//! server and `c.kubectl()`.

use std::borrow::Cow;
use std::fmt;

use crate::api::{Body, Kind, Object};

/// One term: the field, the value it is compared with (as a string), and `=` (true) or `!=`.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Term {
    field: String,
    value: String,
    equal: bool,
}

/// A parsed field selector: its terms, all of which must hold (an empty one selects all).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FieldSelector(Vec<Term>);

/// Why a field selector cannot be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FieldSelectorError {
    /// upstream: fields.ParseSelector's error for a term without an operator.
    Parse { text: String, term: String },
    /// upstream: UnescapeValue's errors (the message as it is).
    Value(String),
    /// upstream: the kind's field label conversion refuses a field it does not select on
    /// (the message is the conversion's own).
    Unsupported { field: String, message: String },
}

impl fmt::Display for FieldSelectorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FieldSelectorError::Parse { text, term } => {
                write!(f, "invalid selector: '{text}'; can't understand '{term}'")
            }
            FieldSelectorError::Value(message) => f.write_str(message),
            FieldSelectorError::Unsupported { message, .. } => f.write_str(message),
        }
    }
}

impl std::error::Error for FieldSelectorError {}

/// upstream: the term operators, in the order each position is tried.
const OPERATORS: [(&str, bool); 3] = [("!=", false), ("==", true), ("=", true)];

impl FieldSelector {
    /// upstream: fields.ParseSelector — terms split at commas not escaped by `\\`, each at the
    /// first position where an operator starts (the field is taken as it is), the value
    /// unescaped (`\\,`, `\\=` and `\\\\`; an unescaped `,` or `=` in it is an error). Nothing is
    /// trimmed.
    pub fn parse(text: &str) -> Result<FieldSelector, FieldSelectorError> {
        let mut terms = Vec::new();
        let mut parts = split_terms(text);
        // upstream: the terms are sorted before they are read (so the first error reported is
        // the first in that order).
        parts.sort_unstable();
        for part in parts {
            if part.is_empty() {
                continue;
            }
            let Some((field, equal, value)) = split_term(part) else {
                return Err(FieldSelectorError::Parse { text: text.to_string(), term: part.to_string() });
            };
            terms.push(Term { field: field.to_string(), value: unescape_value(value)?, equal });
        }
        Ok(FieldSelector(terms))
    }

    /// [`FieldSelector::parse`], then every field checked against what `kind` selects on.
    pub fn for_kind(text: &str, kind: Kind) -> Result<FieldSelector, FieldSelectorError> {
        let s = FieldSelector::parse(text)?;
        for t in &s.0 {
            if let Err(message) = supported(kind, &t.field) {
                return Err(FieldSelectorError::Unsupported { field: t.field.clone(), message });
            }
        }
        Ok(s)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether every term is about the name or namespace (which never change for an object).
    pub fn only_identity(&self) -> bool {
        self.0.iter().all(|t| t.field == "metadata.name" || t.field == "metadata.namespace")
    }

    /// The value an equality on `field` pins, if any (`metadata.name`: a point lookup instead
    /// of a list).
    pub fn equal(&self, field: &str) -> Option<&str> {
        self.0.iter().find(|t| t.field == field && t.equal).map(|t| t.value.as_str())
    }

    /// Whether `o` has every field as the terms say (fields compare as strings).
    pub fn matches(&self, o: &Object) -> bool {
        let mut json = None;
        self.0.iter().all(|t| (*value(o, &t.field, &mut json) == *t.value) == t.equal)
    }
}

/// upstream: splitTerms — the text cut at commas not escaped by `\\` (escapes kept).
fn split_terms(text: &str) -> Vec<&str> {
    let mut terms = Vec::new();
    let (mut start, mut escaped) = (0, false);
    for (i, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            ',' => {
                terms.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    terms.push(&text[start..]);
    terms
}

/// upstream: splitTerm — the first position where `!=`, `==` or `=` starts (no escapes are
/// read in the field).
fn split_term(term: &str) -> Option<(&str, bool, &str)> {
    term.char_indices().find_map(|(i, _)| {
        OPERATORS
            .iter()
            .find(|(op, _)| term[i..].starts_with(op))
            .map(|(op, equal)| (&term[..i], *equal, &term[i + op.len()..]))
    })
}

/// upstream: UnescapeValue. (Its message prints the character with Go's `%v` of a rune: its
/// code, `61` for `=`.)
fn unescape_value(s: &str) -> Result<String, FieldSelectorError> {
    let mut out = String::with_capacity(s.len());
    let mut escaped = false;
    for c in s.chars() {
        match c {
            '\\' | ',' | '=' if escaped => {
                out.push(c);
                escaped = false;
            }
            _ if escaped => {
                return Err(FieldSelectorError::Value(format!(
                    "invalid field selector: invalid escape sequence: \\{c}"
                )))
            }
            '\\' => escaped = true,
            ',' | '=' => {
                return Err(FieldSelectorError::Value(format!(
                    "invalid field selector: unescaped character in value: {}",
                    c as u32
                )))
            }
            _ => out.push(c),
        }
    }
    if escaped {
        return Err(FieldSelectorError::Value("invalid field selector: invalid escape sequence: \\".into()));
    }
    Ok(out)
}

/// upstream: each kind's field label conversion (what it accepts in a selector), or its
/// refusal: core/v1's kinds with fields of their own, batch/v1's Job, and
/// DefaultMetaV1FieldSelectorConversion for every other kind (apps/v1 registers none, so a
/// ReplicaSet's `status.replicas`, which its registry would select on, is refused).
fn supported(kind: Kind, field: &str) -> Result<(), String> {
    let own: &[&str] = match kind {
        // (`spec.host` is the old name of `spec.nodeName`; `status.podIPs` is accepted but not
        // among the fields a pod selects on, so it compares as empty.)
        Kind::Pod => &[
            "metadata.name",
            "metadata.namespace",
            "spec.nodeName",
            "spec.host",
            "spec.restartPolicy",
            "spec.schedulerName",
            "spec.serviceAccountName",
            "spec.hostNetwork",
            "status.phase",
            "status.podIP",
            "status.podIPs",
            "status.nominatedNodeName",
        ],
        Kind::Node => &["metadata.name", "spec.unschedulable"],
        Kind::Event => &[
            "metadata.name",
            "metadata.namespace",
            "involvedObject.kind",
            "involvedObject.namespace",
            "involvedObject.name",
            "involvedObject.uid",
            "involvedObject.apiVersion",
            "involvedObject.resourceVersion",
            "involvedObject.fieldPath",
            "reason",
            "reportingComponent",
            "source",
            "type",
        ],
        Kind::Namespace => &["metadata.name", "status.phase"],
        Kind::Secret => &["metadata.name", "metadata.namespace", "type"],
        // (since 1.31)
        Kind::Service => &["metadata.name", "metadata.namespace", "spec.clusterIP", "spec.type"],
        Kind::Job => {
            return ["metadata.name", "metadata.namespace", "status.successful"]
                .contains(&field)
                .then_some(())
                .ok_or_else(|| format!("field label {field:?} not supported for batchv1.Job"));
        }
        _ => {
            return ["metadata.name", "metadata.namespace"].contains(&field).then_some(()).ok_or_else(|| {
                format!("{field:?} is not a known field selector: only \"metadata.name\", \"metadata.namespace\"")
            });
        }
    };
    own.contains(&field).then_some(()).ok_or_else(|| format!("field label not supported: {field}"))
}

/// A field's value as the kind's ToSelectableFields writes it: a missing string is empty, a
/// missing count `0`, a missing flag `false`. Pods (the kind selected on most, and in the
/// largest numbers) are read in place, without copying; the others from their JSON value, made
/// once per object.
fn value<'a>(o: &'a Object, field: &str, json: &'a mut Option<serde_json::Value>) -> Cow<'a, str> {
    match field {
        "metadata.name" => return Cow::Borrowed(&o.meta.name),
        "metadata.namespace" => return Cow::Borrowed(&o.meta.namespace),
        _ => {}
    }
    if let Body::Pod { spec, status } = &o.body {
        let text = |v: &'a Option<String>| Cow::Borrowed(v.as_deref().unwrap_or(""));
        return match field {
            // (A pod the scheduler bound shows its node in its spec.)
            "spec.nodeName" | "spec.host" => {
                Cow::Borrowed(spec.node_name.as_deref().or(status.node_name.as_deref()).unwrap_or(""))
            }
            "spec.restartPolicy" => text(&spec.restart_policy),
            "spec.schedulerName" => text(&spec.scheduler_name),
            "spec.serviceAccountName" => text(&spec.service_account_name),
            "spec.hostNetwork" => Cow::Borrowed(if spec.host_network == Some(true) { "true" } else { "false" }),
            "status.phase" => Cow::Borrowed(status.phase.as_str()),
            "status.podIP" => status.pod_ip.map_or(Cow::Borrowed(""), |ip| Cow::Owned(ip.to_string())),
            _ => Cow::Borrowed(""),
        };
    }
    let json: &'a serde_json::Value = json.get_or_insert_with(|| o.to_json());
    let path = match field {
        "source" => "source.component",
        "status.successful" => "status.succeeded",
        other => other,
    };
    let mut at = Some(json);
    for part in path.split('.') {
        at = at.and_then(|v| v.get(part));
    }
    match at {
        Some(serde_json::Value::String(s)) => Cow::Borrowed(s),
        Some(serde_json::Value::Null) | None => Cow::Borrowed(match field {
            "status.successful" => "0",
            "spec.unschedulable" => "false",
            _ => "",
        }),
        Some(v) => Cow::Owned(v.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(text: &str) -> Vec<(String, bool, String)> {
        FieldSelector::parse(text).unwrap().0.into_iter().map(|t| (t.field, t.equal, t.value)).collect()
    }

    #[test]
    fn terms_parse_as_upstreams_parse_selector() {
        let t = |f: &str, eq: bool, v: &str| (f.to_string(), eq, v.to_string());
        // (selector, terms)
        let cases = [
            ("status.phase=Running", vec![t("status.phase", true, "Running")]),
            ("a==b,c!=d", vec![t("a", true, "b"), t("c", false, "d")]),
            // The first position where an operator starts wins.
            ("a!=b", vec![t("a", false, "b")]),
            ("a=", vec![t("a", true, "")]),
            (",a=b,,", vec![t("a", true, "b")]),
            // Escapes in a value: a comma, an equals sign, a backslash.
            (r"a=b\,c", vec![t("a", true, "b,c")]),
            (r"a=b\=c\\", vec![t("a", true, "b=c\\")]),
            // The field is taken as it is, up to the first operator. Nothing is trimmed.
            (r"a\=b", vec![t(r"a\", true, "b")]),
            (" a = b", vec![t(" a ", true, " b")]),
            ("", vec![]),
        ];
        for (text, want) in cases {
            assert_eq!(terms(text), want, "{text:?}");
        }
        // (selector, error)
        let errors = [
            ("a=b,foo", "invalid selector: 'a=b,foo'; can't understand 'foo'"),
            ("a=b!=c", "invalid field selector: unescaped character in value: 61"),
            ("a==b==c", "invalid field selector: unescaped character in value: 61"),
            (r"a=b\x", r"invalid field selector: invalid escape sequence: \x"),
            (r"a=b\", r"invalid field selector: invalid escape sequence: \"),
        ];
        for (text, want) in errors {
            assert_eq!(FieldSelector::parse(text).unwrap_err().to_string(), want, "{text:?}");
        }
    }

    #[test]
    fn each_kind_selects_on_its_own_fields() {
        let core = |f: &str| Some(format!("field label not supported: {f}"));
        let default = |f: &str| {
            Some(format!("\"{f}\" is not a known field selector: only \"metadata.name\", \"metadata.namespace\""))
        };
        // (kind, field, refusal)
        let cases = [
            (Kind::Pod, "status.phase", None),
            (Kind::Pod, "spec.host", None),
            (Kind::Pod, "metadata.namespace", None),
            (Kind::Pod, "spec.containers", core("spec.containers")),
            (Kind::Node, "spec.unschedulable", None),
            (Kind::Node, "metadata.namespace", core("metadata.namespace")),
            (Kind::Service, "spec.type", None),
            (Kind::Deployment, "metadata.name", None),
            (Kind::Deployment, "spec.replicas", default("spec.replicas")),
            (Kind::ReplicaSet, "status.replicas", default("status.replicas")),
            (Kind::Job, "status.successful", None),
            (
                Kind::Job,
                "status.succeeded",
                Some("field label \"status.succeeded\" not supported for batchv1.Job".into()),
            ),
            (Kind::Event, "involvedObject.uid", None),
            (Kind::Secret, "type", None),
            (Kind::ConfigMap, "type", default("type")),
        ];
        for (kind, field, refusal) in cases {
            let got = FieldSelector::for_kind(&format!("{field}=x"), kind).err().map(|e| e.to_string());
            assert_eq!(got, refusal, "{kind} {field}");
        }
        // The first refusal in sorted order is the one reported.
        let got = FieldSelector::for_kind("z.b=1,a.b=2", Kind::Pod).unwrap_err();
        assert_eq!(got.to_string(), "field label not supported: a.b");
    }
}
