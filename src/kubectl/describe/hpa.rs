//! `kubectl describe hpa` (upstream: describeHorizontalPodAutoscalerV2, kubectl.md §7.3).

use std::sync::Arc;

use k8s_openapi::api::autoscaling::v2 as hpa;
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

use super::{annotations_multiline, events_table, labels_multiline, rfc1123z, tabwrite_padded};
use crate::api::{Body, Object};
use crate::labels::gofmt::quote;
use crate::sim::clock::Millis;

/// Go's `(*Quantity).String()`, which prints `<nil>` for a missing quantity.
fn q(v: Option<&Quantity>) -> String {
    v.map(|q| q.0.clone()).unwrap_or_else(|| "<nil>".into())
}

/// The current value of spec metric `i`. Upstream reads `status.currentMetrics[i]`, relying on
/// the controller writing one status per spec metric in spec order. kubesim's controller drops
/// the statuses of metrics it could not compute, so a status at that position that is about a
/// different resource is looked up by resource name instead.
fn current<'a>(
    status: &'a hpa::HorizontalPodAutoscalerStatus,
    i: usize,
    m: &hpa::MetricSpec,
) -> Option<&'a hpa::MetricStatus> {
    let list = status.current_metrics.as_deref().unwrap_or(&[]);
    let resource_name = |s: &hpa::MetricStatus| match (&s.resource, &s.container_resource) {
        (Some(r), _) => Some(r.name.clone()),
        (_, Some(c)) => Some(format!("{}/{}", c.container, c.name)),
        _ => None,
    };
    let wanted = match (&m.resource, &m.container_resource) {
        (Some(r), _) => Some(r.name.clone()),
        (_, Some(c)) => Some(format!("{}/{}", c.container, c.name)),
        _ => None,
    };
    match (list.get(i), &wanted) {
        (Some(s), Some(w)) if resource_name(s).as_ref() == Some(w) => Some(s),
        (_, Some(w)) => list.iter().find(|s| s.type_ == m.type_ && resource_name(s).as_ref() == Some(w)),
        (s, None) => s,
    }
}

/// One line of the `Metrics:` block (upstream writes the Resource lines in two parts, the
/// second at one more indentation level, hence `on pods  (as a percentage of request)`).
fn metric_line(o: &mut String, m: &hpa::MetricSpec, cur: Option<&hpa::MetricStatus>) {
    const UNKNOWN: &str = "<unknown>";
    match m.type_.as_str() {
        "External" => {
            let Some(e) = &m.external else { return };
            let cur = cur.and_then(|c| c.external.as_ref()).map(|c| &c.current);
            if e.target.average_value.is_some() {
                let current = cur.and_then(|c| c.average_value.as_ref()).map(|v| v.0.clone());
                o.push_str(&format!(
                    "  {} (target average value):\t{} / {}\n",
                    quote(&e.metric.name),
                    current.unwrap_or_else(|| UNKNOWN.into()),
                    q(e.target.average_value.as_ref())
                ));
            } else {
                let current = cur.map(|c| q(c.value.as_ref()));
                o.push_str(&format!(
                    "  {} (target value):\t{} / {}\n",
                    quote(&e.metric.name),
                    current.unwrap_or_else(|| UNKNOWN.into()),
                    q(e.target.value.as_ref())
                ));
            }
        }
        "Pods" => {
            let Some(p) = &m.pods else { return };
            let current = cur.and_then(|c| c.pods.as_ref()).map(|c| q(c.current.average_value.as_ref()));
            o.push_str(&format!(
                "  {} on pods:\t{} / {}\n",
                quote(&p.metric.name),
                current.unwrap_or_else(|| UNKNOWN.into()),
                q(p.target.average_value.as_ref())
            ));
        }
        "Object" => {
            let Some(ob) = &m.object else { return };
            // upstream quotes this name with plain `"…"`, not %q.
            o.push_str(&format!(
                "  \"{}\" on {}/{} ",
                ob.metric.name, ob.described_object.kind, ob.described_object.name
            ));
            let cur = cur.and_then(|c| c.object.as_ref()).map(|c| &c.current);
            if ob.target.type_ == "AverageValue" {
                let current = cur.map(|c| q(c.average_value.as_ref()));
                o.push_str(&format!(
                    "(target average value):\t{} / {}\n",
                    current.unwrap_or_else(|| UNKNOWN.into()),
                    q(ob.target.average_value.as_ref())
                ));
            } else {
                let current = cur.map(|c| q(c.value.as_ref()));
                o.push_str(&format!(
                    "(target value):\t{} / {}\n",
                    current.unwrap_or_else(|| UNKNOWN.into()),
                    q(ob.target.value.as_ref())
                ));
            }
        }
        "Resource" | "ContainerResource" => {
            let (head, target, current) = match (&m.resource, &m.container_resource) {
                (Some(r), _) if m.type_ == "Resource" => (
                    format!("resource {} on pods", r.name),
                    &r.target,
                    cur.and_then(|c| c.resource.as_ref()).map(|c| &c.current),
                ),
                (_, Some(c)) => (
                    format!("resource {} of container \"{}\" on pods", c.name, c.container),
                    &c.target,
                    cur.and_then(|s| s.container_resource.as_ref()).map(|s| &s.current),
                ),
                _ => return,
            };
            if target.average_value.is_some() {
                let current = current.map(|c| q(c.average_value.as_ref()));
                o.push_str(&format!(
                    "  {head}:\t{} / {}\n",
                    current.unwrap_or_else(|| UNKNOWN.into()),
                    q(target.average_value.as_ref())
                ));
            } else {
                let current = current
                    .and_then(|c| c.average_utilization.map(|u| format!("{u}% ({})", q(c.average_value.as_ref()))));
                let target = target.average_utilization.map(|u| format!("{u}%")).unwrap_or_else(|| "<auto>".into());
                o.push_str(&format!(
                    "  {head}  (as a percentage of request):\t{} / {target}\n",
                    current.unwrap_or_else(|| UNKNOWN.into())
                ));
            }
        }
        other => o.push_str(&format!("  <unknown metric type {}>\n", quote(other))),
    }
}

/// upstream: printDirectionBehavior.
fn direction(o: &mut String, label: &str, rules: Option<&hpa::HPAScalingRules>) {
    let Some(r) = rules else { return };
    o.push_str(&format!("  {label}:\n"));
    if let Some(w) = r.stabilization_window_seconds {
        o.push_str(&format!("    Stabilization Window: {w} seconds\n"));
    }
    let policies = r.policies.as_deref().unwrap_or(&[]);
    if !policies.is_empty() {
        o.push_str(&format!("    Select Policy: {}\n", r.select_policy.as_deref().unwrap_or("Max")));
        o.push_str("    Policies:\n");
        for p in policies {
            o.push_str(&format!(
                "      - Type: {}\tValue: {}\tPeriod: {} seconds\n",
                p.type_, p.value, p.period_seconds
            ));
        }
    }
}

/// `kubectl describe horizontalpodautoscaler NAME`.
pub(super) fn describe_hpa(h: &Object, events: &[Arc<Object>], now: Millis) -> String {
    let Body::HorizontalPodAutoscaler { spec, status } = &h.body else { return String::new() };
    let mut o = format!("Name:\t{}\nNamespace:\t{}\n", h.meta.name, h.meta.namespace);
    labels_multiline(&mut o, "Labels", h.meta.labels.iter());
    annotations_multiline(&mut o, "Annotations", &h.meta.annotations);
    o.push_str(&format!("CreationTimestamp:\t{}\n", rfc1123z(h.meta.creation_timestamp)));
    o.push_str(&format!("Reference:\t{}/{}\n", spec.scale_target_ref.kind, spec.scale_target_ref.name));
    o.push_str("Metrics:\t( current / target )\n");
    for (i, m) in spec.metrics.iter().flatten().enumerate() {
        metric_line(&mut o, m, current(status, i, m));
    }
    let min = spec.min_replicas.map(|m| m.to_string()).unwrap_or_else(|| "<unset>".into());
    o.push_str(&format!("Min replicas:\t{min}\nMax replicas:\t{}\n", spec.max_replicas));
    if let Some(b) = &spec.behavior {
        o.push_str("Behavior:\n");
        direction(&mut o, "Scale Up", b.scale_up.as_ref());
        direction(&mut o, "Scale Down", b.scale_down.as_ref());
    }
    o.push_str(&format!(
        "{} pods:\t{} current / {} desired\n",
        spec.scale_target_ref.kind,
        status.current_replicas.unwrap_or(0),
        status.desired_replicas
    ));
    if let Some(conds) = status.conditions.as_ref().filter(|c| !c.is_empty()) {
        o.push_str("Conditions:\n  Type\tStatus\tReason\tMessage\n  ----\t------\t------\t-------\n");
        for c in conds {
            o.push_str(&format!(
                "  {}\t{}\t{}\t{}\n",
                c.type_,
                c.status,
                c.reason.as_deref().unwrap_or(""),
                c.message.as_deref().unwrap_or("")
            ));
        }
    }
    o.push_str(&events_table(events, now));
    tabwrite_padded(&o, 2)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn lines(metrics: serde_json::Value, statuses: serde_json::Value) -> String {
        let metrics: Vec<hpa::MetricSpec> = serde_json::from_value(metrics).expect("metrics");
        let status: hpa::HorizontalPodAutoscalerStatus =
            serde_json::from_value(json!({"desiredReplicas": 1, "currentMetrics": statuses})).expect("status");
        let mut o = String::new();
        for (i, m) in metrics.iter().enumerate() {
            metric_line(&mut o, m, current(&status, i, m));
        }
        o
    }

    #[test]
    fn metric_lines_follow_the_target_type() {
        let utilization = |name: &str, target: serde_json::Value| json!({"type": "Resource", "resource": {"name": name, "target": target}});
        let out = lines(
            json!([
                utilization("cpu", json!({"type": "Utilization"})),
                utilization("memory", json!({"type": "AverageValue", "averageValue": "200Mi"})),
                {"type": "Pods", "pods": {"metric": {"name": "qps"}, "target": {"type": "AverageValue", "averageValue": "10"}}},
                {"type": "External", "external": {"metric": {"name": "queue"}, "target": {"type": "Value", "value": "30"}}},
                {"type": "Object", "object": {"metric": {"name": "hits"}, "describedObject": {"kind": "Service", "name": "web"},
                                              "target": {"type": "Value", "value": "5"}}},
            ]),
            json!([
                {"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": 45, "averageValue": "45m"}}},
                {"type": "Resource", "resource": {"name": "memory", "current": {"averageValue": "120Mi"}}},
            ]),
        );
        assert_eq!(
            out,
            "  resource cpu on pods  (as a percentage of request):\t45% (45m) / <auto>\n\
             \x20 resource memory on pods:\t120Mi / 200Mi\n\
             \x20 \"qps\" on pods:\t<unknown> / 10\n\
             \x20 \"queue\" (target value):\t<unknown> / 30\n\
             \x20 \"hits\" on Service/web (target value):\t<unknown> / 5\n"
        );
    }

    #[test]
    fn a_missing_status_is_not_taken_from_another_metric() {
        // kubesim drops the status of a metric it could not compute (here cpu), so the memory
        // status sits at position 0.
        let out = lines(
            json!([
                {"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}}},
                {"type": "Resource", "resource": {"name": "memory", "target": {"type": "Utilization", "averageUtilization": 70}}},
            ]),
            json!([{"type": "Resource", "resource": {"name": "memory", "current": {"averageUtilization": 50, "averageValue": "64Mi"}}}]),
        );
        assert_eq!(
            out,
            "  resource cpu on pods  (as a percentage of request):\t<unknown> / 80%\n\
             \x20 resource memory on pods  (as a percentage of request):\t50% (64Mi) / 70%\n"
        );
    }
}
