//! autoscaling/v2 defaults: HorizontalPodAutoscaler (`minReplicas`, the CPU metric, behavior).

use k8s_openapi::api::autoscaling::v2::{
    HPAScalingPolicy, HPAScalingRules, HorizontalPodAutoscaler, HorizontalPodAutoscalerBehavior, MetricSpec,
    MetricTarget, ResourceMetricSource,
};

use super::DEFAULT_CPU_UTILIZATION;

fn scaling_policy(type_: &str, value: i32, period_seconds: i32) -> HPAScalingPolicy {
    HPAScalingPolicy { type_: type_.to_string(), value, period_seconds }
}

/// upstream: GenerateHPAScaleUpRules / GenerateHPAScaleDownRules + copyHPAScalingRules — every
/// field the user left nil is taken from the defaults; a given field (even an empty policy
/// list) is kept. Scale-down keeps a nil stabilization window: the controller then uses its
/// `--horizontal-pod-autoscaler-downscale-stabilization` flag (300 s).
fn default_scaling_rules(rules: &mut Option<HPAScalingRules>, scale_up: bool) {
    let r = rules.get_or_insert_with(HPAScalingRules::default);
    if scale_up {
        r.stabilization_window_seconds.get_or_insert(0);
    }
    r.select_policy.get_or_insert_with(|| "Max".to_string());
    r.policies.get_or_insert_with(|| {
        if scale_up {
            vec![scaling_policy("Pods", 4, 15), scaling_policy("Percent", 100, 15)]
        } else {
            vec![scaling_policy("Percent", 100, 15)]
        }
    });
}

/// upstream: SetDefaults_HorizontalPodAutoscaler (autoscaling/v2): `minReplicas` 1, a CPU
/// utilization metric of 80% when no metric is given, and — only if `behavior` was given, even
/// as `{}` — the missing scale-up / scale-down rules.
pub fn default_hpa(hpa: &mut HorizontalPodAutoscaler) {
    let spec = hpa.spec.get_or_insert_with(Default::default);
    spec.min_replicas.get_or_insert(1);
    if spec.metrics.as_ref().is_none_or(Vec::is_empty) {
        spec.metrics = Some(vec![cpu_utilization_metric(DEFAULT_CPU_UTILIZATION)]);
    }
    if let Some(b) = spec.behavior.as_mut() {
        default_behavior(b);
    }
}

fn default_behavior(b: &mut HorizontalPodAutoscalerBehavior) {
    default_scaling_rules(&mut b.scale_up, true);
    default_scaling_rules(&mut b.scale_down, false);
}

/// A `Resource` metric on `cpu` with a `Utilization` target.
pub(crate) fn cpu_utilization_metric(percent: i32) -> MetricSpec {
    MetricSpec {
        type_: "Resource".to_string(),
        resource: Some(ResourceMetricSource {
            name: "cpu".to_string(),
            target: MetricTarget {
                type_: "Utilization".to_string(),
                average_utilization: Some(percent),
                ..Default::default()
            },
        }),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn hpa_without_metrics_targets_80_percent_cpu_and_no_behavior() {
        let mut hpa: HorizontalPodAutoscaler = serde_json::from_value(json!({
            "metadata": {"name": "h"},
            "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "d"},
                     "maxReplicas": 5}
        }))
        .expect("valid");
        default_hpa(&mut hpa);
        let spec = serde_json::to_value(&hpa.spec).expect("json");
        assert_eq!(
            spec,
            json!({
                "maxReplicas": 5,
                "metrics": [{"resource": {"name": "cpu",
                             "target": {"averageUtilization": 80, "type": "Utilization"}},
                             "type": "Resource"}],
                "minReplicas": 1,
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "d"}
            })
        );
    }

    #[test]
    fn hpa_behavior_fills_only_missing_rules() {
        let mut hpa: HorizontalPodAutoscaler = serde_json::from_value(json!({
            "metadata": {"name": "h"},
            "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "d"}, "maxReplicas": 5,
                     "behavior": {"scaleDown": {"stabilizationWindowSeconds": 60}}}
        }))
        .expect("valid");
        default_hpa(&mut hpa);
        let behavior = serde_json::to_value(hpa.spec.as_ref().and_then(|s| s.behavior.as_ref())).expect("json");
        assert_eq!(
            behavior,
            json!({
                "scaleDown": {"policies": [{"periodSeconds": 15, "type": "Percent", "value": 100}],
                              "selectPolicy": "Max", "stabilizationWindowSeconds": 60},
                "scaleUp": {"policies": [{"periodSeconds": 15, "type": "Pods", "value": 4},
                                         {"periodSeconds": 15, "type": "Percent", "value": 100}],
                            "selectPolicy": "Max", "stabilizationWindowSeconds": 0}
            })
        );

        let mut hpa: HorizontalPodAutoscaler = serde_json::from_value(json!({
            "metadata": {"name": "h"},
            "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "d"}, "maxReplicas": 5,
                     "behavior": {}}
        }))
        .expect("valid");
        default_hpa(&mut hpa);
        let down =
            hpa.spec.as_ref().and_then(|s| s.behavior.as_ref()).and_then(|b| b.scale_down.as_ref()).expect("scaleDown");
        assert_eq!(down.stabilization_window_seconds, None, "the controller flag (300 s) applies");
    }
}
