//! `spec.affinity.nodeAffinity` (upstream: validateNodeAffinity, ValidateNodeSelector,
//! ValidateNodeSelectorRequirement, validateNodeFieldSelectorRequirement,
//! ValidatePreferredSchedulingTerms).

use k8s_openapi::api::core::v1::{NodeAffinity, NodeSelectorRequirement, NodeSelectorTerm};

use crate::api::field::{ErrorList, FieldError, Path};
use crate::labels::api_validation::validate_label_name;
use crate::labels::validation::{is_dns1123_subdomain, is_valid_label_value};

pub(super) fn validate_node_affinity(na: &NodeAffinity, path: &Path) -> ErrorList {
    let mut errs = ErrorList::new();
    if let Some(req) = &na.required_during_scheduling_ignored_during_execution {
        let terms_path = path.child("requiredDuringSchedulingIgnoredDuringExecution").child("nodeSelectorTerms");
        if req.node_selector_terms.is_empty() {
            errs.push(FieldError::required(terms_path.clone(), "must have at least one node selector term"));
        }
        for (i, term) in req.node_selector_terms.iter().enumerate() {
            errs.extend(validate_term(term, &terms_path.index(i)));
        }
    }
    let pref_path = path.child("preferredDuringSchedulingIgnoredDuringExecution");
    for (i, term) in na.preferred_during_scheduling_ignored_during_execution.iter().flatten().enumerate() {
        let p = pref_path.index(i);
        if !(1..=100).contains(&term.weight) {
            errs.push(FieldError::invalid(p.child("weight"), i64::from(term.weight), "must be in the range 1-100"));
        }
        errs.extend(validate_term(&term.preference, &p.child("preference")));
    }
    errs
}

fn validate_term(term: &NodeSelectorTerm, path: &Path) -> ErrorList {
    let mut errs = ErrorList::new();
    for (j, r) in term.match_expressions.iter().flatten().enumerate() {
        errs.extend(validate_expression(r, &path.child("matchExpressions").index(j)));
    }
    for (j, r) in term.match_fields.iter().flatten().enumerate() {
        errs.extend(validate_field(r, &path.child("matchFields").index(j)));
    }
    errs
}

fn validate_expression(r: &NodeSelectorRequirement, path: &Path) -> ErrorList {
    let mut errs = ErrorList::new();
    let values = r.values.as_deref().unwrap_or(&[]);
    match r.operator.as_str() {
        "In" | "NotIn" if values.is_empty() => errs
            .push(FieldError::required(path.child("values"), "must be specified when `operator` is 'In' or 'NotIn'")),
        "Exists" | "DoesNotExist" if !values.is_empty() => errs.push(FieldError::forbidden(
            path.child("values"),
            "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
        )),
        "Gt" | "Lt" if values.len() != 1 => errs.push(FieldError::required(
            path.child("values"),
            "must be specified single value when `operator` is 'Lt' or 'Gt'",
        )),
        "In" | "NotIn" | "Exists" | "DoesNotExist" | "Gt" | "Lt" => {}
        op => errs.push(FieldError::invalid(path.child("operator"), op, "not a valid selector operator")),
    }
    errs.extend(validate_label_name(&r.key, &path.child("key")));
    for (i, v) in values.iter().enumerate() {
        for msg in is_valid_label_value(v) {
            errs.push(FieldError::invalid(path.child("values").index(i), v.as_str(), msg));
        }
    }
    errs
}

fn validate_field(r: &NodeSelectorRequirement, path: &Path) -> ErrorList {
    let mut errs = ErrorList::new();
    let values = r.values.as_deref().unwrap_or(&[]);
    match r.operator.as_str() {
        "In" | "NotIn" if values.len() != 1 => errs.push(FieldError::required(
            path.child("values"),
            "must be only one value when `operator` is 'In' or 'NotIn' for node field selector",
        )),
        "In" | "NotIn" => {}
        op => errs.push(FieldError::invalid(path.child("operator"), op, "not a valid selector operator")),
    }
    if r.key != "metadata.name" {
        errs.push(FieldError::invalid(path.child("key"), r.key.as_str(), "not a valid field selector key"));
    } else {
        // upstream: ValidateNodeName is a DNS-1123 subdomain check.
        for (i, v) in values.iter().enumerate() {
            for msg in is_dns1123_subdomain(v) {
                errs.push(FieldError::invalid(path.child("values").index(i), v.as_str(), msg));
            }
        }
    }
    errs
}

#[cfg(test)]
mod tests {
    use crate::api::validation::test_support::*;
    use serde_json::json;

    fn with_affinity(affinity: serde_json::Value) -> Vec<String> {
        pod_errors(set(redis(), "/spec/affinity", json!({"nodeAffinity": affinity})))
    }

    fn required(expr: serde_json::Value) -> serde_json::Value {
        json!({"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [{"matchExpressions": [expr]}]}})
    }

    #[test]
    fn node_affinity_errors_name_the_field_path() {
        const TERM: &str =
            "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms";
        let rows = [
            (required(json!({"key": "zone", "operator": "In", "values": ["a"]})), None),
            (
                required(json!({"key": "zone", "operator": "In"})),
                Some(format!("{TERM}[0].matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'")),
            ),
            (
                required(json!({"key": "zone", "operator": "Exists", "values": ["a"]})),
                Some(format!("{TERM}[0].matchExpressions[0].values: Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'")),
            ),
            (
                required(json!({"key": "cores", "operator": "Gt", "values": ["1", "2"]})),
                Some(format!("{TERM}[0].matchExpressions[0].values: Required value: must be specified single value when `operator` is 'Lt' or 'Gt'")),
            ),
            (
                required(json!({"key": "zone", "operator": "Near", "values": ["a"]})),
                Some(format!("{TERM}[0].matchExpressions[0].operator: Invalid value: \"Near\": not a valid selector operator")),
            ),
            (
                json!({"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [{"matchFields": [{"key": "spec.nodeName", "operator": "In", "values": ["n"]}]}]}}),
                Some(format!("{TERM}[0].matchFields[0].key: Invalid value: \"spec.nodeName\": not a valid field selector key")),
            ),
            (
                json!({"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [{"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["a", "b"]}]}]}}),
                Some(format!("{TERM}[0].matchFields[0].values: Required value: must be only one value when `operator` is 'In' or 'NotIn' for node field selector")),
            ),
            (
                json!({"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": []}}),
                Some(format!("{TERM}: Required value: must have at least one node selector term")),
            ),
            (
                json!({"preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 101, "preference": {"matchExpressions": [{"key": "zone", "operator": "Exists"}]}}]}),
                Some("spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight: Invalid value: 101: must be in the range 1-100".to_string()),
            ),
        ];
        for (affinity, want) in rows {
            let errs = with_affinity(affinity.clone());
            match want {
                None => assert_eq!(errs, Vec::<String>::new(), "{affinity}"),
                Some(w) => assert_eq!(errs, vec![w], "{affinity}"),
            }
        }
    }
}
