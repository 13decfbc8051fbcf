//! The resource metrics API (`metrics.k8s.io/v1beta1`, what metrics-server serves), from the
//! simulation's metrics pipeline: `kubectl top` reads it, as do HPA dashboards. Values are those
//! of the last scrape, as the HPA controller sees them.

use serde_json::{json, Value};

use super::status::Failure;
use crate::api::{Kind, Object};
use crate::cluster::Cluster;
use crate::labels::Selector;
use crate::metrics::read::{Reader, Resource};

pub const GROUP: &str = "metrics.k8s.io";
pub const VERSION: &str = "v1beta1";
/// upstream: metrics-server's default --metric-resolution.
const WINDOW: &str = "15s";

/// The resources of the group: (plural, kind, namespaced).
pub const RESOURCES: [(&str, &str, bool); 2] = [("nodes", "NodeMetrics", false), ("pods", "PodMetrics", true)];

fn time(ms: i64) -> Value {
    serde_json::to_value(crate::api::meta::to_time(ms)).unwrap_or(Value::Null)
}

/// A quantity in milli-units, exact: kubectl top prints `MilliValue()m` and `Value()/2^20 Mi`.
fn quantity(milli: i64) -> String {
    if milli % 1000 == 0 {
        (milli / 1000).to_string()
    } else {
        format!("{milli}m")
    }
}

fn usage(cpu: i64, memory: i64) -> Value {
    json!({"cpu": quantity(cpu), "memory": quantity(memory)})
}

fn pod_metrics(reader: &Reader, pod: &Object, now: i64) -> Option<Value> {
    let (cpu, memory) = (reader.resource(pod, Resource::Cpu)?, reader.resource(pod, Resource::Memory)?);
    // kubesim models a pod's usage, not each container's: it is reported on the first one.
    let container = match &pod.body {
        crate::api::Body::Pod { spec, .. } => spec.containers.first().map(|c| c.name.to_string()),
        _ => None,
    }
    .unwrap_or_default();
    Some(json!({
        "kind": "PodMetrics", "apiVersion": "metrics.k8s.io/v1beta1",
        "metadata": {"name": &*pod.meta.name, "namespace": &*pod.meta.namespace, "creationTimestamp": time(now),
                     "labels": serde_json::to_value(crate::api::meta::wire_map(&pod.meta.labels)).unwrap_or(Value::Null)},
        "timestamp": time(reader.scrape), "window": WINDOW,
        "containers": [{"name": container, "usage": usage(cpu, memory)}],
    }))
}

/// GET on `pods` or `nodes` of the metrics API (a list, or one object by name).
pub fn get(
    c: &Cluster,
    plural: &str,
    namespace: Option<&str>,
    name: Option<&str>,
    selector: &str,
) -> Result<Value, Failure> {
    let selector = Selector::parse(selector).map_err(|e| super::status::failure(&e.into()))?;
    let now = c.now();
    let reader = c.metrics_reader();
    let not_found = |resource: &str, name: String| {
        Failure::with_details(
            404,
            "NotFound",
            format!("{resource}.metrics.k8s.io \"{name}\" not found"),
            json!({"name": name, "group": GROUP, "kind": resource}),
        )
    };
    let items: Vec<Value> = match (plural, name) {
        ("pods", Some(name)) => {
            let ns = namespace.unwrap_or("default");
            let one = c.store().lookup(Kind::Pod, ns, name).and_then(|p| pod_metrics(&reader, p, now));
            // upstream: metrics-server names a missing pod's metrics `namespace/name`.
            return one.ok_or_else(|| not_found("podmetrics", format!("{ns}/{name}")));
        }
        ("pods", None) => c
            .store()
            .list(Kind::Pod, namespace, &selector)
            .iter()
            .filter_map(|p| pod_metrics(&reader, p, now))
            .collect(),
        ("nodes", _) => {
            let nodes = reader.nodes();
            let mut out = Vec::new();
            for (node, (cpu, memory)) in &nodes {
                if name.is_some_and(|n| n != &**node) {
                    continue;
                }
                let Some(obj) = c.store().lookup(Kind::Node, "", node) else { continue };
                if !selector.matches(&obj.meta.labels) {
                    continue;
                }
                out.push(json!({
                    "kind": "NodeMetrics", "apiVersion": "metrics.k8s.io/v1beta1",
                    "metadata": {"name": &**node, "creationTimestamp": time(now),
                                 "labels": serde_json::to_value(crate::api::meta::wire_map(&obj.meta.labels)).unwrap_or(Value::Null)},
                    "timestamp": time(reader.scrape), "window": WINDOW, "usage": usage(*cpu, *memory),
                }));
            }
            if let Some(name) = name {
                return out.pop().ok_or_else(|| not_found("nodemetrics", name.to_string()));
            }
            out
        }
        _ => return Err(Failure::no_route()),
    };
    let kind = if plural == "pods" { "PodMetricsList" } else { "NodeMetricsList" };
    Ok(json!({"kind": kind, "apiVersion": "metrics.k8s.io/v1beta1", "metadata": {}, "items": items}))
}
