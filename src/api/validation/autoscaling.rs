//! autoscaling/v2: HorizontalPodAutoscaler — replica bounds, the scale target, metrics, behavior.

use k8s_openapi::api::autoscaling::v2::{
    CrossVersionObjectReference, HPAScalingRules, HorizontalPodAutoscaler, HorizontalPodAutoscalerSpec,
    MetricIdentifier, MetricSpec, MetricTarget,
};

use super::meta::{validate_object_meta, NameRule};
use super::resources::validate_container_resource_name;
use crate::api::field::{ErrorList, FieldError, Path};
use crate::api::quantity::ParsedQuantity;
use crate::labels::validation::is_dns1123_label;

/// upstream: path.IsValidPathSegmentName.
fn path_segment_errors(name: &str) -> Vec<String> {
    if name == "." || name == ".." {
        return vec![format!("may not be '{name}'")];
    }
    ["/", "%"].iter().filter(|c| name.contains(**c)).map(|c| format!("may not contain '{c}'")).collect()
}

fn validate_cross_version_ref(r: &CrossVersionObjectReference, path: &Path) -> ErrorList {
    let mut errs = ErrorList::new();
    for (field, v) in [("kind", &r.kind), ("name", &r.name)] {
        if v.is_empty() {
            errs.push(FieldError::required(path.child(field), ""));
        } else {
            errs.extend(
                path_segment_errors(v).into_iter().map(|m| FieldError::invalid(path.child(field), v.as_str(), m)),
            );
        }
    }
    errs
}

fn validate_metric_identifier(id: &MetricIdentifier, path: &Path) -> ErrorList {
    if id.name.is_empty() {
        return vec![FieldError::required(path.child("name"), "must specify a metric name")];
    }
    path_segment_errors(&id.name)
        .into_iter()
        .map(|m| FieldError::invalid(path.child("name"), id.name.as_str(), m))
        .collect()
}

/// upstream: validateMetricTarget.
fn validate_metric_target(t: &MetricTarget, path: &Path) -> ErrorList {
    let mut errs = ErrorList::new();
    if t.type_.is_empty() {
        errs.push(FieldError::required(path.child("type"), "must specify a metric target type"));
    }
    if !matches!(t.type_.as_str(), "Utilization" | "Value" | "AverageValue") {
        errs.push(FieldError::invalid(
            path.child("type"),
            t.type_.as_str(),
            "must be either Utilization, Value, or AverageValue",
        ));
    }
    for (field, q) in [("value", &t.value), ("averageValue", &t.average_value)] {
        let Some(q) = q else { continue };
        let p = path.child(field);
        match ParsedQuantity::parse(&q.0) {
            Err(msg) => errs.push(FieldError::invalid(p, q.0.as_str(), msg)),
            // unconfirmed upstream wording of the value (Go prints the Quantity struct)
            Ok(v) if v.is_negative() || v.is_zero() => {
                errs.push(FieldError::invalid(p, v.canonical(), "must be positive"))
            }
            Ok(_) => {}
        }
    }
    if let Some(u) = t.average_utilization.filter(|&u| u < 1) {
        errs.push(FieldError::invalid(path.child("averageUtilization"), u, "must be greater than 0"));
    }
    errs
}

/// Resource and ContainerResource sources need exactly one of utilization and raw value.
fn utilization_or_value(t: &MetricTarget, path: &Path) -> ErrorList {
    let tp = path.child("target");
    match (t.average_utilization.is_some(), t.average_value.is_some()) {
        (false, false) => vec![FieldError::required(
            tp.child("averageUtilization"),
            "must set either a target raw value or a target utilization",
        )],
        (true, true) => vec![FieldError::forbidden(
            tp.child("averageValue"),
            "may not set both a target raw value and a target utilization",
        )],
        _ => vec![],
    }
}

const METRIC_SOURCE_TYPES: [&str; 5] = ["ContainerResource", "External", "Object", "Pods", "Resource"];

/// upstream: validateMetricSpec.
fn validate_metric_spec(m: &MetricSpec, path: &Path) -> ErrorList {
    let mut errs = ErrorList::new();
    if m.type_.is_empty() {
        errs.push(FieldError::required(path.child("type"), "must specify a metric source type"));
    }
    if !METRIC_SOURCE_TYPES.contains(&m.type_.as_str()) {
        errs.push(FieldError::not_supported(path.child("type"), m.type_.as_str(), &METRIC_SOURCE_TYPES));
    }
    // Only the first source present is validated in depth.
    let mut present: Vec<&str> = Vec::new();
    if let Some(o) = &m.object {
        present.push("object");
        let p = path.child("object");
        errs.extend(validate_cross_version_ref(&o.described_object, &p.child("describedObject")));
        errs.extend(validate_metric_identifier(&o.metric, &p.child("metric")));
        errs.extend(validate_metric_target(&o.target, &p.child("target")));
        if o.target.value.is_none() && o.target.average_value.is_none() {
            errs.push(FieldError::required(
                p.child("target").child("averageValue"),
                "must set either a target value or averageValue",
            ));
        }
    }
    if let Some(e) = &m.external {
        present.push("external");
        if present.len() == 1 {
            let p = path.child("external");
            errs.extend(validate_metric_identifier(&e.metric, &p.child("metric")));
            errs.extend(validate_metric_target(&e.target, &p.child("target")));
            let tp = p.child("target");
            match (e.target.value.is_some(), e.target.average_value.is_some()) {
                (false, false) => errs.push(FieldError::required(
                    tp.child("averageValue"),
                    "must set either a target value for metric or a per-pod target",
                )),
                (true, true) => errs.push(FieldError::forbidden(
                    tp.child("value"),
                    "may not set both a target value for metric and a per-pod target",
                )),
                _ => {}
            }
        }
    }
    if let Some(pods) = &m.pods {
        present.push("pods");
        if present.len() == 1 {
            let p = path.child("pods");
            errs.extend(validate_metric_identifier(&pods.metric, &p.child("metric")));
            errs.extend(validate_metric_target(&pods.target, &p.child("target")));
            if pods.target.average_value.is_none() {
                errs.push(FieldError::required(
                    p.child("target").child("averageValue"),
                    "must specify a positive target averageValue",
                ));
            }
        }
    }
    if let Some(r) = &m.resource {
        present.push("resource");
        if present.len() == 1 {
            let p = path.child("resource");
            if r.name.is_empty() {
                errs.push(FieldError::required(p.child("name"), "must specify a resource name"));
            }
            errs.extend(validate_metric_target(&r.target, &p.child("target")));
            errs.extend(utilization_or_value(&r.target, &p));
        }
    }
    if let Some(c) = &m.container_resource {
        present.push("containerResource");
        if present.len() == 1 {
            let p = path.child("containerResource");
            if c.name.is_empty() {
                errs.push(FieldError::required(p.child("name"), "must specify a resource name"));
            } else {
                errs.extend(validate_container_resource_name(&c.name, &p.child("name")));
            }
            if c.container.is_empty() {
                errs.push(FieldError::required(p.child("container"), "must specify a container"));
            } else {
                errs.extend(
                    is_dns1123_label(&c.container)
                        .into_iter()
                        .map(|msg| FieldError::invalid(p.child("container"), c.container.as_str(), msg)),
                );
            }
            errs.extend(validate_metric_target(&c.target, &p.child("target")));
            errs.extend(utilization_or_value(&c.target, &p));
        }
    }
    let expected = match m.type_.as_str() {
        "Object" => Some(("object", m.object.is_some())),
        "Pods" => Some(("pods", m.pods.is_some())),
        "Resource" => Some(("resource", m.resource.is_some())),
        "External" => Some(("external", m.external.is_some())),
        "ContainerResource" => Some(("containerResource", m.container_resource.is_some())),
        _ => None,
    };
    match expected {
        Some((field, false)) => {
            errs.push(FieldError::required(path.child(field), "must populate information for the given metric source"))
        }
        Some(_) => {}
        // upstream reports an unknown type twice
        None => errs.push(FieldError::not_supported(path.child("type"), m.type_.as_str(), &METRIC_SOURCE_TYPES)),
    }
    if present.len() > 1 {
        let mut others: Vec<&str> = present.into_iter().filter(|f| Some(*f) != expected.map(|e| e.0)).collect();
        others.sort_unstable();
        for f in others {
            errs.push(FieldError::forbidden(path.child(f), "must populate the given metric source only"));
        }
    }
    errs
}

/// upstream: MaxStabilizationWindowSeconds, MaxPeriodSeconds.
const MAX_STABILIZATION_WINDOW_SECONDS: i32 = 3600;
const MAX_PERIOD_SECONDS: i32 = 1800;

/// upstream: validateScalingRules.
fn validate_scaling_rules(rules: &HPAScalingRules, path: &Path) -> ErrorList {
    let mut errs = ErrorList::new();
    if let Some(w) = rules.stabilization_window_seconds {
        if w < 0 {
            errs.push(FieldError::invalid(
                path.child("stabilizationWindowSeconds"),
                w,
                "must be greater than or equal to zero",
            ));
        }
        if w > MAX_STABILIZATION_WINDOW_SECONDS {
            errs.push(FieldError::invalid(
                path.child("stabilizationWindowSeconds"),
                w,
                format!("must be less than or equal to {MAX_STABILIZATION_WINDOW_SECONDS}"),
            ));
        }
    }
    if let Some(sp) = rules.select_policy.as_deref().filter(|s| !matches!(*s, "Max" | "Min" | "Disabled")) {
        errs.push(FieldError::not_supported(path.child("selectPolicy"), sp, &["Disabled", "Max", "Min"]));
    }
    let policies_path = path.child("policies");
    let policies = rules.policies.as_deref().unwrap_or(&[]);
    if policies.is_empty() {
        errs.push(FieldError::required(policies_path.clone(), "must specify at least one Policy"));
    }
    for (i, policy) in policies.iter().enumerate() {
        let p = policies_path.index(i);
        if !matches!(policy.type_.as_str(), "Pods" | "Percent") {
            errs.push(FieldError::not_supported(p.child("type"), policy.type_.as_str(), &["Percent", "Pods"]));
        }
        if policy.value <= 0 {
            errs.push(FieldError::invalid(p.child("value"), policy.value, "must be greater than zero"));
        }
        if policy.period_seconds <= 0 {
            errs.push(FieldError::invalid(
                p.child("periodSeconds"),
                policy.period_seconds,
                "must be greater than zero",
            ));
        }
        if policy.period_seconds > MAX_PERIOD_SECONDS {
            errs.push(FieldError::invalid(
                p.child("periodSeconds"),
                policy.period_seconds,
                format!("must be less than or equal to {MAX_PERIOD_SECONDS}"),
            ));
        }
    }
    errs
}

/// upstream: ValidateHorizontalPodAutoscaler (HPAScaleToZero off: `minReplicas` ≥ 1).
pub fn validate_hpa(hpa: &HorizontalPodAutoscaler) -> ErrorList {
    let mut errs = validate_object_meta(&hpa.metadata, true, NameRule::Subdomain, &Path::root("metadata"));
    let default_spec = HorizontalPodAutoscalerSpec::default();
    let spec = hpa.spec.as_ref().unwrap_or(&default_spec);
    let p = Path::root("spec");
    if let Some(min) = spec.min_replicas.filter(|&m| m < 1) {
        errs.push(FieldError::invalid(p.child("minReplicas"), min, "must be greater than or equal to 1"));
    }
    if spec.max_replicas < 1 {
        errs.push(FieldError::invalid(p.child("maxReplicas"), spec.max_replicas, "must be greater than 0"));
    }
    if spec.min_replicas.is_some_and(|min| spec.max_replicas < min) {
        errs.push(FieldError::invalid(
            p.child("maxReplicas"),
            spec.max_replicas,
            "must be greater than or equal to `minReplicas`",
        ));
    }
    errs.extend(validate_cross_version_ref(&spec.scale_target_ref, &p.child("scaleTargetRef")));
    let metrics_path = p.child("metrics");
    let metrics = spec.metrics.as_deref().unwrap_or(&[]);
    for (i, m) in metrics.iter().enumerate() {
        errs.extend(validate_metric_spec(m, &metrics_path.index(i)));
    }
    if spec.min_replicas == Some(0) && !metrics.iter().any(|m| m.type_ == "Object" || m.type_ == "External") {
        errs.push(FieldError::forbidden(
            metrics_path,
            "must specify at least one Object or External metric to support scaling to zero replicas",
        ));
    }
    if let Some(b) = &spec.behavior {
        let bp = p.child("behavior");
        if let Some(up) = &b.scale_up {
            errs.extend(validate_scaling_rules(up, &bp.child("scaleUp")));
        }
        if let Some(down) = &b.scale_down {
            errs.extend(validate_scaling_rules(down, &bp.child("scaleDown")));
        }
    }
    errs
}

#[cfg(test)]
mod tests {
    use crate::api::validation::test_support::*;
    use serde_json::{json, Value as Json};

    #[test]
    fn scale_target_ref_needs_kind_and_name() {
        let errs = hpa_errors(set(hpa(), "/spec/scaleTargetRef", json!({"kind": "", "name": ""})));
        assert_eq!(errs, vec!["spec.scaleTargetRef.kind: Required value", "spec.scaleTargetRef.name: Required value"]);
        let errs = hpa_errors(set(hpa(), "/spec/scaleTargetRef/name", json!("a/b")));
        assert_eq!(errs, vec!["spec.scaleTargetRef.name: Invalid value: \"a/b\": may not contain '/'"]);
    }

    #[test]
    fn min_replicas_must_be_at_least_one() {
        let errs = hpa_errors(set(hpa(), "/spec/minReplicas", json!(0)));
        assert_eq!(
            errs,
            vec![
                "spec.minReplicas: Invalid value: 0: must be greater than or equal to 1",
                "spec.metrics: Forbidden: must specify at least one Object or External metric to support scaling to zero replicas",
            ]
        );
    }

    #[test]
    fn max_replicas_must_be_positive_and_at_least_min() {
        let errs = hpa_errors(set(set(hpa(), "/spec/minReplicas", json!(3)), "/spec/maxReplicas", json!(2)));
        assert_eq!(errs, vec!["spec.maxReplicas: Invalid value: 2: must be greater than or equal to `minReplicas`"]);
        let errs = hpa_errors(set(hpa(), "/spec/maxReplicas", json!(0)));
        assert_has(&errs, "spec.maxReplicas: Invalid value: 0: must be greater than 0");
    }

    #[test]
    fn resource_metric_needs_a_name_and_a_target() {
        let m = |resource: Json| set(hpa(), "/spec/metrics", json!([{"type": "Resource", "resource": resource}]));
        assert_eq!(
            hpa_errors(m(json!({"name": "", "target": {"type": "Utilization", "averageUtilization": 50}}))),
            vec!["spec.metrics[0].resource.name: Required value: must specify a resource name"]
        );
        assert_eq!(
            hpa_errors(m(json!({"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 0}}))),
            vec!["spec.metrics[0].resource.target.averageUtilization: Invalid value: 0: must be greater than 0"]
        );
        assert_eq!(
            hpa_errors(m(json!({"name": "cpu", "target": {"type": "Utilization"}}))),
            vec!["spec.metrics[0].resource.target.averageUtilization: Required value: must set either a target raw value or a target utilization"]
        );
        assert_eq!(
            hpa_errors(m(json!({"name": "cpu", "target": {"type": "Percent", "averageUtilization": 50}}))),
            vec!["spec.metrics[0].resource.target.type: Invalid value: \"Percent\": must be either Utilization, Value, or AverageValue"]
        );
    }

    #[test]
    fn metric_source_must_match_its_type() {
        let pods = json!({"metric": {"name": "qps"}, "target": {"type": "AverageValue", "averageValue": "1"}});
        let v = set(hpa(), "/spec/metrics", json!([{"type": "Resource", "pods": pods.clone()}]));
        assert_eq!(
            hpa_errors(v),
            vec!["spec.metrics[0].resource: Required value: must populate information for the given metric source"]
        );
        let cpu = json!({"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 50}});
        let v = set(hpa(), "/spec/metrics", json!([{"type": "Resource", "resource": cpu, "pods": pods}]));
        assert_eq!(hpa_errors(v), vec!["spec.metrics[0].pods: Forbidden: must populate the given metric source only"]);
        let v = set(hpa(), "/spec/metrics", json!([{"type": "Memory"}]));
        let unsupported = "spec.metrics[0].type: Unsupported value: \"Memory\": supported values: \"ContainerResource\", \"External\", \"Object\", \"Pods\", \"Resource\"";
        assert_eq!(hpa_errors(v), vec![unsupported, unsupported], "upstream reports an unknown type twice");
    }

    #[test]
    fn behavior_policies_are_bounded() {
        let v = set(
            hpa(),
            "/spec/behavior",
            json!({
                "scaleUp": {"stabilizationWindowSeconds": 3601, "selectPolicy": "Maximum",
                            "policies": [{"type": "Nodes", "value": 0, "periodSeconds": 1801}]},
                "scaleDown": {"stabilizationWindowSeconds": -1, "policies": [{"type": "Pods", "value": 1, "periodSeconds": 0}]}
            }),
        );
        assert_eq!(
            hpa_errors(v),
            vec![
                "spec.behavior.scaleUp.stabilizationWindowSeconds: Invalid value: 3601: must be less than or equal to 3600",
                "spec.behavior.scaleUp.selectPolicy: Unsupported value: \"Maximum\": supported values: \"Disabled\", \"Max\", \"Min\"",
                "spec.behavior.scaleUp.policies[0].type: Unsupported value: \"Nodes\": supported values: \"Percent\", \"Pods\"",
                "spec.behavior.scaleUp.policies[0].value: Invalid value: 0: must be greater than zero",
                "spec.behavior.scaleUp.policies[0].periodSeconds: Invalid value: 1801: must be less than or equal to 1800",
                "spec.behavior.scaleDown.stabilizationWindowSeconds: Invalid value: -1: must be greater than or equal to zero",
                "spec.behavior.scaleDown.policies[0].periodSeconds: Invalid value: 0: must be greater than zero",
            ]
        );
        let v = set(hpa(), "/spec/behavior", json!({"scaleUp": {"policies": []}}));
        assert_eq!(
            hpa_errors(v),
            vec!["spec.behavior.scaleUp.policies: Required value: must specify at least one Policy"]
        );
    }
}
