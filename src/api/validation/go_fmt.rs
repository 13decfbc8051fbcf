//! Values as a v1.33 API server prints them: Go's `%q` for strings, `%#v` for everything that
//! is not a scalar, and the message shapes upstream builds from them.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

pub(super) fn go_quote(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

pub(super) fn go_string_map(m: Option<&BTreeMap<String, String>>) -> String {
    match m {
        None => "map[string]string(nil)".to_string(),
        Some(m) => {
            let entries: Vec<String> = m.iter().map(|(k, v)| format!("{}:{}", go_quote(k), go_quote(v))).collect();
            format!("map[string]string{{{}}}", entries.join(", "))
        }
    }
}

pub(super) fn go_string_slice(v: Option<&Vec<String>>) -> String {
    match v {
        None => "[]string(nil)".to_string(),
        Some(v) => {
            let items: Vec<String> = v.iter().map(|s| go_quote(s)).collect();
            format!("[]string{{{}}}", items.join(", "))
        }
    }
}

/// An `intstr.IntOrString` value: its `String()` has a pointer receiver, so Go falls back to `%#v`.
pub(super) fn go_int_or_string(v: &IntOrString) -> String {
    match v {
        IntOrString::Int(i) => format!("intstr.IntOrString{{Type:0, IntVal:{i}, StrVal:\"\"}}"),
        IntOrString::String(s) => {
            format!("intstr.IntOrString{{Type:1, IntVal:0, StrVal:{}}}", go_quote(s))
        }
    }
}

pub(super) use crate::labels::validation::regex_error;
