//! Conversions between API versions, as the API server performs them when a client reads or
//! writes a version other than the stored one.
//!
//! HorizontalPodAutoscalers are stored as autoscaling/v2; `kubectl autoscale` (v1.32) writes
//! autoscaling/v1. upstream: `pkg/apis/autoscaling/v1/conversion.go`. The
//! `autoscaling.alpha.kubernetes.io/*` annotations with which v1 round-trips the metrics and
//! conditions it cannot express are not produced or read.
//!
//! k8s-openapi types carry no `apiVersion`/`kind` fields: they are written at serialization
//! from the Rust type, so the result of a conversion serializes with the right apiVersion.

use k8s_openapi::api::autoscaling::{v1, v2};

use super::defaults::{cpu_utilization_metric, DEFAULT_CPU_UTILIZATION};

fn is_cpu_resource_metric(type_: &str, name: Option<&str>) -> bool {
    type_ == "Resource" && name == Some("cpu")
}

/// autoscaling/v1 → autoscaling/v2: `targetCPUUtilizationPercentage` becomes a Resource `cpu`
/// metric with a Utilization target, and `currentCPUUtilizationPercentage` the matching current
/// metric. With no target, the CPU 80% metric that v1 always implied is made explicit (as the
/// upstream conversion does). `minReplicas` is not defaulted here; run `default_hpa`.
pub fn hpa_v1_to_v2(hpa: v1::HorizontalPodAutoscaler) -> v2::HorizontalPodAutoscaler {
    let spec = hpa.spec.map(|s| {
        let target = s.target_cpu_utilization_percentage.unwrap_or(DEFAULT_CPU_UTILIZATION);
        v2::HorizontalPodAutoscalerSpec {
            scale_target_ref: v2::CrossVersionObjectReference {
                api_version: s.scale_target_ref.api_version,
                kind: s.scale_target_ref.kind,
                name: s.scale_target_ref.name,
            },
            min_replicas: s.min_replicas,
            max_replicas: s.max_replicas,
            metrics: Some(vec![cpu_utilization_metric(target)]),
            behavior: None,
        }
    });
    let status = hpa.status.map(|s| v2::HorizontalPodAutoscalerStatus {
        observed_generation: s.observed_generation,
        last_scale_time: s.last_scale_time,
        current_replicas: Some(s.current_replicas),
        desired_replicas: s.desired_replicas,
        current_metrics: s.current_cpu_utilization_percentage.map(|u| {
            vec![v2::MetricStatus {
                type_: "Resource".to_string(),
                resource: Some(v2::ResourceMetricStatus {
                    name: "cpu".to_string(),
                    current: v2::MetricValueStatus { average_utilization: Some(u), ..Default::default() },
                }),
                ..Default::default()
            }]
        }),
        conditions: None,
    });
    v2::HorizontalPodAutoscaler { metadata: hpa.metadata, spec, status }
}

/// autoscaling/v2 → autoscaling/v1: the first Resource `cpu` metric gives
/// `targetCPUUtilizationPercentage` (only if it has a Utilization target); the last Resource
/// `cpu` current metric with a utilization gives `currentCPUUtilizationPercentage`. Other
/// metrics, behavior and conditions have no v1 field and are dropped.
pub fn hpa_v2_to_v1(hpa: &v2::HorizontalPodAutoscaler) -> v1::HorizontalPodAutoscaler {
    let spec = hpa.spec.as_ref().map(|s| v1::HorizontalPodAutoscalerSpec {
        scale_target_ref: v1::CrossVersionObjectReference {
            api_version: s.scale_target_ref.api_version.clone(),
            kind: s.scale_target_ref.kind.clone(),
            name: s.scale_target_ref.name.clone(),
        },
        min_replicas: s.min_replicas,
        max_replicas: s.max_replicas,
        // upstream: the loop breaks at the first cpu Resource metric, utilization or not
        target_cpu_utilization_percentage: s
            .metrics
            .iter()
            .flatten()
            .find(|m| is_cpu_resource_metric(&m.type_, m.resource.as_ref().map(|r| r.name.as_str())))
            .and_then(|m| m.resource.as_ref())
            .and_then(|r| r.target.average_utilization),
    });
    let status = hpa.status.as_ref().map(|s| v1::HorizontalPodAutoscalerStatus {
        observed_generation: s.observed_generation,
        last_scale_time: s.last_scale_time.clone(),
        current_replicas: s.current_replicas.unwrap_or(0),
        desired_replicas: s.desired_replicas,
        current_cpu_utilization_percentage: s
            .current_metrics
            .iter()
            .flatten()
            .filter(|m| is_cpu_resource_metric(&m.type_, m.resource.as_ref().map(|r| r.name.as_str())))
            .filter_map(|m| m.resource.as_ref().and_then(|r| r.current.average_utilization))
            .next_back(),
    });
    v1::HorizontalPodAutoscaler { metadata: hpa.metadata.clone(), spec, status }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::defaults::default_hpa;
    use k8s_openapi::Resource;
    use serde_json::json;

    fn v1_hpa(spec: serde_json::Value) -> v1::HorizontalPodAutoscaler {
        serde_json::from_value(json!({"metadata": {"name": "web", "namespace": "default"}, "spec": spec}))
            .expect("valid v1 HPA")
    }

    #[test]
    fn kubectl_autoscale_v1_reads_back_as_v2_with_a_cpu_metric() {
        let hpa = v1_hpa(json!({
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
            "minReplicas": 10, "maxReplicas": 15, "targetCPUUtilizationPercentage": 70
        }));
        let mut v2 = hpa_v1_to_v2(hpa);
        default_hpa(&mut v2);
        let got = serde_json::to_value(&v2).expect("json");
        assert_eq!(got["apiVersion"], "autoscaling/v2");
        assert_eq!(
            got["spec"],
            json!({
                "maxReplicas": 15,
                "metrics": [{"resource": {"name": "cpu", "target": {"averageUtilization": 70, "type": "Utilization"}},
                             "type": "Resource"}],
                "minReplicas": 10,
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}
            })
        );
    }

    #[test]
    fn v1_without_target_gets_the_implied_80_percent() {
        let hpa = v1_hpa(json!({"scaleTargetRef": {"kind": "Deployment", "name": "web"}, "maxReplicas": 3}));
        let v2 = hpa_v1_to_v2(hpa);
        let spec = v2.spec.as_ref().expect("spec");
        assert_eq!(spec.metrics.as_ref().map(Vec::len), Some(1));
        let target = spec.metrics.as_ref().and_then(|m| m[0].resource.as_ref()).map(|r| r.target.average_utilization);
        assert_eq!(target, Some(Some(80)));
        assert_eq!(spec.min_replicas, None, "minReplicas is defaulting's job");
    }

    #[test]
    fn v2_status_and_target_read_back_as_v1() {
        let v2: v2::HorizontalPodAutoscaler = serde_json::from_value(json!({
            "metadata": {"name": "web"},
            "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "web"}, "minReplicas": 1, "maxReplicas": 5,
                     "metrics": [
                        {"type": "Pods", "pods": {"metric": {"name": "qps"}, "target": {"type": "AverageValue", "averageValue": "10"}}},
                        {"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 60}}}
                     ]},
            "status": {"currentReplicas": 2, "desiredReplicas": 3,
                       "currentMetrics": [{"type": "Resource", "resource": {"name": "cpu",
                                           "current": {"averageUtilization": 85, "averageValue": "170m"}}}]}
        }))
        .expect("valid v2 HPA");
        let v1 = hpa_v2_to_v1(&v2);
        let got = serde_json::to_value(&v1).expect("json");
        assert_eq!(got["apiVersion"], v1::HorizontalPodAutoscaler::API_VERSION);
        assert_eq!(got["spec"]["targetCPUUtilizationPercentage"], 60);
        assert_eq!(
            got["status"],
            json!({"currentCPUUtilizationPercentage": 85, "currentReplicas": 2, "desiredReplicas": 3})
        );
    }

    #[test]
    fn first_cpu_metric_wins_even_without_utilization() {
        let v2: v2::HorizontalPodAutoscaler = serde_json::from_value(json!({
            "metadata": {"name": "web"},
            "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "web"}, "maxReplicas": 5,
                     "metrics": [
                        {"type": "Resource", "resource": {"name": "cpu", "target": {"type": "AverageValue", "averageValue": "500m"}}},
                        {"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 50}}}
                     ]}
        }))
        .expect("valid v2 HPA");
        let v1 = hpa_v2_to_v1(&v2);
        assert_eq!(v1.spec.and_then(|s| s.target_cpu_utilization_percentage), None);
    }

    #[test]
    fn round_trip_keeps_the_v1_fields() {
        let hpa = v1_hpa(json!({
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
            "minReplicas": 2, "maxReplicas": 9, "targetCPUUtilizationPercentage": 55
        }));
        let back = hpa_v2_to_v1(&hpa_v1_to_v2(hpa.clone()));
        assert_eq!(back, hpa);
    }
}
