//! policy/v1 PodDisruptionBudget (`pkg/apis/policy/validation`: ValidatePodDisruptionBudget).

use k8s_openapi::api::policy::v1::{PodDisruptionBudget, PodDisruptionBudgetSpec};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::apps::{percent_value, validate_positive_int_or_percent};
use super::go_fmt::go_int_or_string;
use super::meta::{validate_object_meta, NameRule};
use crate::api::field::{ErrorList, FieldError, Path, Value};

/// upstream: supportedUnhealthyPodEvictionPolicies, listed sorted.
const EVICTION_POLICIES: [&str; 2] = ["AlwaysAllow", "IfHealthyBudget"];

/// The internal `policy.PodDisruptionBudgetSpec` as `%#v` prints it.
fn go_pdb_spec(spec: &PodDisruptionBudgetSpec) -> String {
    // unconfirmed upstream wording: Go prints each pointer's address, which is arbitrary
    let ptr = |set: bool, ty: &str| format!("({ty})({})", if set { "0xc000000000" } else { "nil" });
    format!(
        "policy.PodDisruptionBudgetSpec{{MinAvailable:{}, Selector:{}, MaxUnavailable:{}, UnhealthyPodEvictionPolicy:{}}}",
        ptr(spec.min_available.is_some(), "*intstr.IntOrString"),
        ptr(spec.selector.is_some(), "*v1.LabelSelector"),
        ptr(spec.max_unavailable.is_some(), "*intstr.IntOrString"),
        ptr(spec.unhealthy_pod_eviction_policy.is_some(), "*policy.UnhealthyPodEvictionPolicyType"),
    )
}

/// upstream: ValidatePositiveIntOrPercent then IsNotMoreThan100Percent.
fn validate_int_or_percent(v: &IntOrString, path: Path) -> ErrorList {
    let mut errs = validate_positive_int_or_percent(v, &path);
    if percent_value(v).is_some_and(|p| p > 100) {
        errs.push(FieldError::invalid(path, Value::Raw(go_int_or_string(v)), "must not be greater than 100%"));
    }
    errs
}

/// upstream: ValidatePodDisruptionBudget — metadata, then ValidatePodDisruptionBudgetSpec: at
/// most one of minAvailable / maxUnavailable, each a non-negative integer or a percent up to
/// 100%, a valid selector, a known unhealthyPodEvictionPolicy.
pub fn validate_pod_disruption_budget(pdb: &PodDisruptionBudget) -> ErrorList {
    let mut errs = validate_object_meta(&pdb.metadata, true, NameRule::Subdomain, &Path::root("metadata"));
    let default_spec = PodDisruptionBudgetSpec::default();
    let spec = pdb.spec.as_ref().unwrap_or(&default_spec);
    let path = Path::root("spec");
    if spec.min_available.is_some() && spec.max_unavailable.is_some() {
        errs.push(FieldError::invalid(
            path.clone(),
            Value::Raw(go_pdb_spec(spec)),
            "minAvailable and maxUnavailable cannot be both set",
        ));
    }
    if let Some(v) = &spec.min_available {
        errs.extend(validate_int_or_percent(v, path.child("minAvailable")));
    }
    if let Some(v) = &spec.max_unavailable {
        errs.extend(validate_int_or_percent(v, path.child("maxUnavailable")));
    }
    if let Some(sel) = &spec.selector {
        errs.extend(crate::labels::validate_label_selector(sel, &path.child("selector")));
    }
    if let Some(p) = spec.unhealthy_pod_eviction_policy.as_deref() {
        if !EVICTION_POLICIES.contains(&p) {
            errs.push(FieldError::not_supported(path.child("unhealthyPodEvictionPolicy"), p, &EVICTION_POLICIES));
        }
    }
    errs
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn errors(spec: serde_json::Value) -> Vec<String> {
        let pdb: PodDisruptionBudget =
            serde_json::from_value(json!({"metadata": {"name": "web", "namespace": "default"}, "spec": spec})).unwrap();
        validate_pod_disruption_budget(&pdb).iter().map(|e| e.to_string()).collect()
    }

    #[test]
    fn budgets_are_validated_with_upstream_paths_and_messages() {
        let sel = json!({"matchLabels": {"app": "web"}});
        let table: Vec<(serde_json::Value, Vec<&str>)> = vec![
            (json!({"minAvailable": 2, "selector": sel}), vec![]),
            (json!({"maxUnavailable": "30%", "selector": sel}), vec![]),
            (json!({"minAvailable": "100%", "selector": {}}), vec![]),
            (json!({"selector": sel}), vec![]),
            (json!({"minAvailable": -1}), vec!["spec.minAvailable: Invalid value: -1: must be greater than or equal to 0"]),
            (
                json!({"maxUnavailable": "101%"}),
                vec!["spec.maxUnavailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:\"101%\"}: must not be greater than 100%"],
            ),
            (
                json!({"minAvailable": "half"}),
                vec!["spec.minAvailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:\"half\"}: a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')"],
            ),
            (
                json!({"unhealthyPodEvictionPolicy": "Sometimes"}),
                vec!["spec.unhealthyPodEvictionPolicy: Unsupported value: \"Sometimes\": supported values: \"AlwaysAllow\", \"IfHealthyBudget\""],
            ),
        ];
        for (spec, want) in table {
            assert_eq!(errors(spec.clone()), want, "{spec}");
        }
        let both = errors(json!({"minAvailable": 1, "maxUnavailable": 1}));
        assert_eq!(both.len(), 1);
        assert!(both[0].starts_with("spec: Invalid value: policy.PodDisruptionBudgetSpec{"), "{both:?}");
        assert!(both[0].ends_with(": minAvailable and maxUnavailable cannot be both set"), "{both:?}");
    }
}
