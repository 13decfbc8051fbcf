//! API-server validation on create, with upstream field paths and messages
//! (`pkg/apis/{core,apps,autoscaling}/validation`, apimachinery `api/validation`).
//!
//! Validation runs on *defaulted* objects, as in the API server: call the matching
//! `defaults::default_*` first, or fields the server always fills in (`imagePullPolicy`,
//! `restartPolicy`, …) are reported as `Required value`.
//!
//! Values are printed as a v1.33 server prints them: strings quoted, numbers bare, and anything
//! else with Go's `%#v` (`map[string]string{"app":"x"}`, `intstr.IntOrString{Type:0, …}`).
//! v1.34+ servers print those as JSON instead; kubesim follows v1.33.
//!
//! Where Go iterates a map (labels, resources), kubesim reports in key order.

mod apps;
mod autoscaling;
mod batch;
mod container;
mod core;
mod daemonset;
mod discovery;
mod env;
mod go_fmt;
mod meta;
mod node;
mod node_affinity;
mod pod;
mod pod_affinity;
mod policy;
mod probe;
mod resources;
mod selector;
mod statefulset;
#[cfg(test)]
mod test_support;
mod topology_spread;

pub(crate) use crate::api::quantity::ParsedQuantity;
pub use apps::{validate_deployment, validate_replica_set};
pub use autoscaling::validate_hpa;
pub use batch::{validate_cron_job, validate_generated_labels, validate_job, validate_job_meta, validate_job_spec};
pub use core::{validate_config_map, validate_secret, validate_service, validate_service_account};
pub use daemonset::{validate_controller_revision, validate_daemon_set};
pub use discovery::{validate_endpoint_slice, validate_endpoints};
pub use meta::{validate_created, validate_object_meta, NameRule};
pub use node::{validate_namespace, validate_node};
pub use pod::{validate_pod, validate_pod_spec};
pub use policy::validate_pod_disruption_budget;
pub use statefulset::{validate_persistent_volume_claim, validate_stateful_set};

use super::field::{FieldError, Path};

/// upstream: apimachineryvalidation.IsNegativeErrorMsg
const IS_NEGATIVE: &str = "must be greater than or equal to 0";

fn nonnegative(value: i64, path: Path) -> Option<FieldError> {
    (value < 0).then(|| FieldError::invalid(path, value, IS_NEGATIVE))
}

fn unset(s: &Option<String>) -> bool {
    s.as_deref().is_none_or(str::is_empty)
}

#[cfg(test)]
mod tests {
    use super::test_support::*;
    use serde_json::json;

    #[test]
    fn defaulted_examples_are_valid() {
        assert_eq!(deployment_errors(nginx()), Vec::<String>::new());
        assert_eq!(pod_errors(redis()), Vec::<String>::new());
        assert_eq!(hpa_errors(hpa()), Vec::<String>::new());
        let rs = json!({"metadata": {"name": "nginx-7c5ddbdf54", "namespace": "default"},
                        "spec": nginx()["spec"].clone()});
        assert_eq!(replica_set_errors(rs), Vec::<String>::new());
    }
}
