//! The API server's defaulting: what a freshly created object looks like when it is read back.
//!
//! Three upstream sources are folded together, in the order the API server applies them:
//! the generated `SetDefaults_*` functions of `pkg/apis/{core,apps,autoscaling}/v1*/defaults.go`
//! (plus the declarative `+default` markers of the wire types), the v1 conversion quirks that
//! change what is read back (`serviceAccount` mirrors `serviceAccountName`, quantities come back
//! canonical), and the mutating admission plugins of a default cluster whose result is
//! deterministic (ServiceAccount, Priority, DefaultTolerationSeconds). Status is never touched.
//!
//! Every function is idempotent: defaulting a defaulted object changes nothing.

mod apps;
mod autoscaling;
mod batch;
mod container;
mod core;
mod daemonset;
mod image;
mod node;
mod pod;
mod statefulset;

pub use apps::{default_deployment, default_replica_set};
pub(crate) use autoscaling::cpu_utilization_metric;
pub use autoscaling::default_hpa;
pub use batch::{default_cron_job, default_job, default_job_labels, default_job_spec};
pub use core::{default_endpoint_slice, default_endpoints, default_secret, default_service};
pub use daemonset::default_daemon_set;
pub use image::default_image_pull_policy;
pub use node::{default_namespace, default_node};
pub use pod::{default_pod, default_pod_spec};
pub use statefulset::{default_persistent_volume_claim, default_stateful_set};

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

use super::validation::ParsedQuantity;

/// `v1.DefaultTerminationGracePeriodSeconds`.
pub const DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS: i64 = 30;
/// `autoscaling.DefaultCPUUtilization`.
pub const DEFAULT_CPU_UTILIZATION: i32 = 80;
/// DefaultTolerationSeconds admission: `--default-not-ready-toleration-seconds` and
/// `--default-unreachable-toleration-seconds`.
pub const DEFAULT_TOLERATION_SECONDS: i64 = 300;
pub const TAINT_NODE_NOT_READY: &str = "node.kubernetes.io/not-ready";
pub const TAINT_NODE_UNREACHABLE: &str = "node.kubernetes.io/unreachable";

/// Go cannot tell an unset string from an empty one, so neither can the API server.
fn is_unset(s: &Option<String>) -> bool {
    s.as_deref().is_none_or(str::is_empty)
}

fn default_str(field: &mut Option<String>, value: &str) {
    if is_unset(field) {
        *field = Some(value.to_string());
    }
}

/// Go's zero value means "unset" for the probe's integer fields.
fn default_i32(field: &mut Option<i32>, value: i32) {
    if field.is_none_or(|v| v == 0) {
        *field = Some(value);
    }
}

/// upstream: SetDefaults_ResourceList — values are rounded up to milli precision, and the server
/// returns every quantity in canonical form (`0.5` → `500m`, `1024Mi` → `1Gi`, `1000` → `1k`).
/// A value that does not parse is left for validation to report.
fn default_resource_list(list: &mut BTreeMap<String, Quantity>) {
    for q in list.values_mut() {
        if let Ok(parsed) = ParsedQuantity::parse(&q.0) {
            q.0 = parsed.round_up_to_milli().canonical();
        }
    }
}

/// An example manifest from the shared `examples/` directory.
#[cfg(test)]
fn load<T: serde::de::DeserializeOwned>(file: &str) -> T {
    let path = format!("{}/../shared/examples/{file}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path)
        .or_else(|_| std::fs::read_to_string(format!("/work/shared/examples/{file}")))
        .expect("example manifest is readable");
    serde_yaml_ng::from_str(&text).expect("example manifest parses")
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::apps::v1::Deployment;
    use k8s_openapi::api::core::v1::Pod;

    #[test]
    fn defaulting_is_idempotent() {
        let mut d: Deployment = load("nginx-deployment.yaml");
        default_deployment(&mut d);
        let once = d.clone();
        default_deployment(&mut d);
        assert_eq!(d, once);
        let mut p: Pod = load("redis-pod.yaml");
        default_pod(&mut p);
        let once = p.clone();
        default_pod(&mut p);
        assert_eq!(p, once, "tolerations must not be appended twice");
    }
}
