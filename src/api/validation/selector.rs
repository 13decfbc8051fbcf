//! The label selector of a Deployment or ReplicaSet: validated, converted, and matched against
//! the pod template's labels.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

use super::go_fmt::{go_quote, go_string_map, go_string_slice};
use crate::api::field::{ErrorList, FieldError, Path, Value};

/// A `*metav1.LabelSelector` as `field.Invalid` prints it (dereferenced, then `%#v`).
fn go_label_selector(sel: &LabelSelector) -> String {
    let exprs = match &sel.match_expressions {
        None => "[]v1.LabelSelectorRequirement(nil)".to_string(),
        Some(reqs) => {
            let items: Vec<String> = reqs
                .iter()
                .map(|r| {
                    format!(
                        "v1.LabelSelectorRequirement{{Key:{}, Operator:{}, Values:{}}}",
                        go_quote(&r.key),
                        go_quote(&r.operator),
                        go_string_slice(r.values.as_ref())
                    )
                })
                .collect();
            format!("[]v1.LabelSelectorRequirement{{{}}}", items.join(", "))
        }
    };
    format!("v1.LabelSelector{{MatchLabels:{}, MatchExpressions:{}}}", go_string_map(sel.match_labels.as_ref()), exprs)
}

/// upstream: metav1validation.ValidateLabelSelector (invalid label values not allowed).
pub(super) fn validate_label_selector(sel: &LabelSelector, path: &Path) -> ErrorList {
    crate::labels::validate_label_selector(sel, path)
}

/// What `metav1.LabelSelectorAsSelector` makes of a selector that validated.
pub(super) enum WorkloadSelector<'a> {
    /// A nil selector selects nothing.
    Nothing,
    /// `{}` selects everything.
    Everything,
    Match(&'a LabelSelector),
}

impl WorkloadSelector<'_> {
    pub(super) fn matches(&self, labels: Option<&BTreeMap<String, String>>) -> bool {
        let sel = match self {
            WorkloadSelector::Nothing => return false,
            WorkloadSelector::Everything => return true,
            WorkloadSelector::Match(sel) => sel,
        };
        let get = |k: &str| labels.and_then(|l| l.get(k));
        let eq = sel.match_labels.iter().flatten().all(|(k, v)| get(k) == Some(v));
        let exprs = sel.match_expressions.iter().flatten().all(|r| {
            let vals = r.values.as_deref().unwrap_or(&[]);
            match r.operator.as_str() {
                "In" => get(&r.key).is_some_and(|v| vals.contains(v)),
                "NotIn" => get(&r.key).is_none_or(|v| !vals.contains(v)),
                "Exists" => get(&r.key).is_some(),
                "DoesNotExist" => get(&r.key).is_none(),
                _ => false,
            }
        });
        eq && exprs
    }
}

/// The selector checks shared by Deployments and ReplicaSets. Returns the selector the template
/// is matched against, or `None` when it does not convert (the template is then not validated,
/// as upstream).
///
/// k8s-openapi cannot tell an omitted `selector` from `selector: {}`; both arrive with neither
/// `matchLabels` nor `matchExpressions`, and are treated as omitted (`Required value`), the
/// common mistake. `matchLabels: {}` is an explicit empty selector.
pub(super) fn validate_workload_selector<'a>(
    sel: &'a LabelSelector,
    spec_path: &Path,
    owner: &str,
    errs: &mut ErrorList,
) -> Option<WorkloadSelector<'a>> {
    let path = spec_path.child("selector");
    if sel.match_labels.is_none() && sel.match_expressions.is_none() {
        errs.push(FieldError::required(path, ""));
        return Some(WorkloadSelector::Nothing);
    }
    let sel_errs = validate_label_selector(sel, &path);
    let convertible = sel_errs.is_empty();
    errs.extend(sel_errs);
    let empty =
        sel.match_labels.as_ref().map_or(0, BTreeMap::len) + sel.match_expressions.as_ref().map_or(0, Vec::len) == 0;
    if empty {
        // upstream: ReplicaSets reuse the Deployment wording
        errs.push(FieldError::invalid(
            path.clone(),
            Value::Raw(go_label_selector(sel)),
            format!("empty selector is invalid for {owner}"),
        ));
    }
    if !convertible {
        errs.push(FieldError::invalid(path, Value::Raw(go_label_selector(sel)), "invalid label selector"));
        return None;
    }
    Some(if empty { WorkloadSelector::Everything } else { WorkloadSelector::Match(sel) })
}

#[cfg(test)]
mod tests {
    use crate::api::validation::test_support::*;
    use serde_json::{json, Value as Json};

    #[test]
    fn selector_is_required() {
        assert_eq!(
            deployment_errors(set(nginx(), "/spec/selector", Json::Null)),
            vec![
                "spec.selector: Required value",
                "spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"nginx\"}: `selector` does not match template `labels`",
            ]
        );
    }

    #[test]
    fn empty_selector_is_invalid() {
        assert_eq!(
            deployment_errors(set(nginx(), "/spec/selector", json!({"matchLabels": {}}))),
            vec!["spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment"]
        );
    }

    #[test]
    fn selector_must_match_template_labels() {
        let v = set(nginx(), "/spec/template/metadata/labels", json!({"app": "web", "tier": "fe"}));
        assert_eq!(
            deployment_errors(v),
            vec!["spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"web\", \"tier\":\"fe\"}: `selector` does not match template `labels`"]
        );
        let v = set(nginx(), "/spec/template/metadata", json!({}));
        assert_eq!(
            deployment_errors(v),
            vec!["spec.template.metadata.labels: Invalid value: map[string]string(nil): `selector` does not match template `labels`"]
        );
    }

    #[test]
    fn match_expressions_select_like_the_apiserver() {
        let v = set(
            nginx(),
            "/spec/selector/matchExpressions",
            json!([{"key": "tier", "operator": "NotIn", "values": ["db"]}, {"key": "app", "operator": "Exists"}]),
        );
        assert_eq!(deployment_errors(v), Vec::<String>::new(), "NotIn matches a missing key");
        let v = set(
            nginx(),
            "/spec/selector/matchExpressions",
            json!([{"key": "tier", "operator": "In", "values": ["fe"]}]),
        );
        assert_eq!(deployment_errors(v).len(), 1);
    }

    #[test]
    fn invalid_selector_skips_template_validation() {
        let v = set(
            nginx(),
            "/spec/selector/matchExpressions",
            json!([{"key": "app", "operator": "Equals", "values": ["x"]}]),
        );
        let v = set(v, "/spec/template/spec/containers/0/image", Json::Null);
        assert_eq!(
            deployment_errors(v),
            vec![
                "spec.selector.matchExpressions[0].operator: Invalid value: \"Equals\": not a valid selector operator",
                "spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{\"app\":\"nginx\"}, MatchExpressions:[]v1.LabelSelectorRequirement{v1.LabelSelectorRequirement{Key:\"app\", Operator:\"Equals\", Values:[]string{\"x\"}}}}: invalid label selector",
            ]
        );
        let v = set(nginx(), "/spec/selector/matchExpressions", json!([{"key": "app", "operator": "In"}]));
        assert_has(&deployment_errors(v), "spec.selector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'");
    }
}
