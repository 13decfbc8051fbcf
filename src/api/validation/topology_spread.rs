//! `spec.topologySpreadConstraints` (upstream: validateTopologySpreadConstraints with
//! ValidateMaxSkew, ValidateTopologyKey, ValidateWhenUnsatisfiable,
//! ValidateSpreadConstraintNotRepeat, validateMinDomains, validateNodeInclusionPolicy and
//! validateMatchLabelKeysInTopologySpread).

use std::collections::BTreeSet;

use k8s_openapi::api::core::v1::TopologySpreadConstraint;

use crate::api::field::{ErrorList, FieldError, Path};
use crate::labels::api_validation::{validate_label_name, validate_label_selector};

/// upstream: isNotPositiveErrorMsg.
const NOT_POSITIVE: &str = "must be greater than zero";

pub(super) fn validate_topology_spread(constraints: &[TopologySpreadConstraint], path: &Path) -> ErrorList {
    let mut errs = ErrorList::new();
    for (i, c) in constraints.iter().enumerate() {
        let p = path.index(i);
        if c.max_skew <= 0 {
            errs.push(FieldError::invalid(p.child("maxSkew"), i64::from(c.max_skew), NOT_POSITIVE));
        }
        if c.topology_key.is_empty() {
            errs.push(FieldError::required(p.child("topologyKey"), "can not be empty"));
        }
        let when = c.when_unsatisfiable.as_str();
        if !matches!(when, "DoNotSchedule" | "ScheduleAnyway") {
            errs.push(FieldError::not_supported(
                p.child("whenUnsatisfiable"),
                when,
                &["DoNotSchedule", "ScheduleAnyway"],
            ));
        }
        // The pair {topologyKey, whenUnsatisfiable} names one kind of constraint.
        if constraints[i + 1..]
            .iter()
            .any(|r| r.topology_key == c.topology_key && r.when_unsatisfiable == c.when_unsatisfiable)
        {
            errs.push(FieldError::duplicate(
                p.child("{topologyKey, whenUnsatisfiable}"),
                format!("{{{}, {}}}", c.topology_key, c.when_unsatisfiable),
            ));
        }
        if let Some(m) = c.min_domains {
            if m <= 0 {
                errs.push(FieldError::invalid(p.child("minDomains"), i64::from(m), NOT_POSITIVE));
            }
            if when != "DoNotSchedule" {
                errs.push(FieldError::invalid(
                    p.child("minDomains"),
                    i64::from(m),
                    format!("can only use minDomains if whenUnsatisfiable=DoNotSchedule, not {when}"),
                ));
            }
        }
        for (field, policy) in
            [("nodeAffinityPolicy", &c.node_affinity_policy), ("nodeTaintsPolicy", &c.node_taints_policy)]
        {
            if let Some(v) = policy.as_deref().filter(|v| !matches!(*v, "Honor" | "Ignore")) {
                errs.push(FieldError::not_supported(p.child(field), v, &["Honor", "Ignore"]));
            }
        }
        errs.extend(match_label_keys(c, &p.child("matchLabelKeys")));
        if let Some(sel) = &c.label_selector {
            errs.extend(validate_label_selector(sel, &p.child("labelSelector")));
        }
    }
    errs
}

fn match_label_keys(c: &TopologySpreadConstraint, path: &Path) -> ErrorList {
    let keys = c.match_label_keys.as_deref().unwrap_or(&[]);
    let mut errs = ErrorList::new();
    if keys.is_empty() {
        return errs;
    }
    let mut selector_keys: BTreeSet<&str> = BTreeSet::new();
    match &c.label_selector {
        Some(sel) => {
            selector_keys.extend(sel.match_labels.iter().flatten().map(|(k, _)| k.as_str()));
            selector_keys.extend(sel.match_expressions.iter().flatten().map(|e| e.key.as_str()));
        }
        None => errs.push(FieldError::forbidden(path.clone(), "must not be specified when labelSelector is not set")),
    }
    for (i, key) in keys.iter().enumerate() {
        errs.extend(validate_label_name(key, &path.index(i)));
        if selector_keys.contains(key.as_str()) {
            errs.push(FieldError::invalid(
                path.index(i),
                key.as_str(),
                "exists in both matchLabelKeys and labelSelector",
            ));
        }
    }
    errs
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn constraints_are_checked_as_upstream_words_it() {
        let rows = [
            (json!({"maxSkew": 0, "topologyKey": "zone", "whenUnsatisfiable": "DoNotSchedule"}),
             "spec.topologySpreadConstraints[0].maxSkew: Invalid value: 0: must be greater than zero"),
            (json!({"maxSkew": 1, "topologyKey": "", "whenUnsatisfiable": "DoNotSchedule"}),
             "spec.topologySpreadConstraints[0].topologyKey: Required value: can not be empty"),
            (json!({"maxSkew": 1, "topologyKey": "zone", "whenUnsatisfiable": "Never"}),
             "spec.topologySpreadConstraints[0].whenUnsatisfiable: Unsupported value: \"Never\": supported values: \"DoNotSchedule\", \"ScheduleAnyway\""),
            (json!({"maxSkew": 1, "topologyKey": "zone", "whenUnsatisfiable": "ScheduleAnyway", "minDomains": 2}),
             "spec.topologySpreadConstraints[0].minDomains: Invalid value: 2: can only use minDomains if whenUnsatisfiable=DoNotSchedule, not ScheduleAnyway"),
            (json!({"maxSkew": 1, "topologyKey": "zone", "whenUnsatisfiable": "DoNotSchedule", "minDomains": 0}),
             "spec.topologySpreadConstraints[0].minDomains: Invalid value: 0: must be greater than zero"),
            (json!({"maxSkew": 1, "topologyKey": "zone", "whenUnsatisfiable": "DoNotSchedule", "nodeTaintsPolicy": "Always"}),
             "spec.topologySpreadConstraints[0].nodeTaintsPolicy: Unsupported value: \"Always\": supported values: \"Honor\", \"Ignore\""),
            (json!({"maxSkew": 1, "topologyKey": "zone", "whenUnsatisfiable": "DoNotSchedule", "matchLabelKeys": ["pod-template-hash"]}),
             "spec.topologySpreadConstraints[0].matchLabelKeys: Forbidden: must not be specified when labelSelector is not set"),
            (json!({"maxSkew": 1, "topologyKey": "zone", "whenUnsatisfiable": "DoNotSchedule",
                    "labelSelector": {"matchLabels": {"app": "web"}}, "matchLabelKeys": ["app"]}),
             "spec.topologySpreadConstraints[0].matchLabelKeys[0]: Invalid value: \"app\": exists in both matchLabelKeys and labelSelector"),
        ];
        for (c, want) in rows {
            let c: TopologySpreadConstraint = serde_json::from_value(c).unwrap();
            let errs = validate_topology_spread(&[c], &Path::root("spec").child("topologySpreadConstraints"));
            let got: Vec<String> = errs.iter().map(|e| e.to_string()).collect();
            assert_eq!(got, [want]);
        }
        let twice: Vec<TopologySpreadConstraint> = (0..2)
            .map(|_| {
                serde_json::from_value(
                    json!({"maxSkew": 1, "topologyKey": "zone", "whenUnsatisfiable": "DoNotSchedule"}),
                )
                .unwrap()
            })
            .collect();
        let errs = validate_topology_spread(&twice, &Path::root("spec").child("topologySpreadConstraints"));
        assert_eq!(
            errs.iter().map(|e| e.to_string()).collect::<Vec<_>>(),
            ["spec.topologySpreadConstraints[0].{topologyKey, whenUnsatisfiable}: Duplicate value: \"{zone, DoNotSchedule}\""]
        );
    }
}
