//! Container defaults: pull and termination-message policies, port protocols, resource lists,
//! probes, lifecycle hooks and `env` sources.

use k8s_openapi::api::core::v1::{
    Container, EnvVar, EphemeralContainer, HTTPGetAction, Lifecycle, LifecycleHandler, Probe, ResourceRequirements,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

use super::image::default_image_pull_policy;
use super::{default_i32, default_resource_list, default_str, is_unset};

fn default_resources(resources: &mut Option<ResourceRequirements>) {
    // `resources` is a struct in Go, so it is always serialized, as `{}` when empty.
    let r = resources.get_or_insert_with(Default::default);
    if let Some(l) = r.limits.as_mut() {
        default_resource_list(l);
    }
    if let Some(l) = r.requests.as_mut() {
        default_resource_list(l);
    }
}

/// upstream: SetDefaults_HTTPGetAction.
fn default_http_get(h: &mut HTTPGetAction) {
    default_str(&mut h.path, "/");
    default_str(&mut h.scheme, "HTTP");
}

/// upstream: SetDefaults_Probe.
fn default_probe(p: &mut Probe) {
    default_i32(&mut p.timeout_seconds, 1);
    default_i32(&mut p.period_seconds, 10);
    default_i32(&mut p.success_threshold, 1);
    default_i32(&mut p.failure_threshold, 3);
    if let Some(h) = p.http_get.as_mut() {
        default_http_get(h);
    }
}

fn default_lifecycle(l: &mut Lifecycle) {
    for h in [l.post_start.as_mut(), l.pre_stop.as_mut()].into_iter().flatten() {
        default_lifecycle_handler(h);
    }
}

fn default_lifecycle_handler(h: &mut LifecycleHandler) {
    if let Some(g) = h.http_get.as_mut() {
        default_http_get(g);
    }
}

fn default_env(env: &mut [EnvVar]) {
    for var in env {
        let Some(from) = var.value_from.as_mut() else {
            continue;
        };
        if let Some(f) = from.field_ref.as_mut() {
            // upstream: SetDefaults_ObjectFieldSelector
            default_str(&mut f.api_version, "v1");
        }
        if let Some(r) = from.resource_field_ref.as_mut() {
            // `divisor` is a Quantity struct in Go, so an unset one is serialized as "0".
            if r.divisor.is_none() {
                r.divisor = Some(Quantity("0".to_string()));
            }
        }
    }
}

/// upstream: SetDefaults_Container plus the declarative `ContainerPort.protocol` default.
pub(super) fn default_container(c: &mut Container) {
    if is_unset(&c.image_pull_policy) {
        c.image_pull_policy = Some(default_image_pull_policy(c.image.as_deref().unwrap_or("")).to_string());
    }
    default_str(&mut c.termination_message_path, "/dev/termination-log");
    default_str(&mut c.termination_message_policy, "File");
    for port in c.ports.iter_mut().flatten() {
        default_str(&mut port.protocol, "TCP");
    }
    default_resources(&mut c.resources);
    for probe in [c.liveness_probe.as_mut(), c.readiness_probe.as_mut(), c.startup_probe.as_mut()].into_iter().flatten()
    {
        default_probe(probe);
    }
    if let Some(l) = c.lifecycle.as_mut() {
        default_lifecycle(l);
    }
    if let Some(env) = c.env.as_mut() {
        default_env(env);
    }
}

/// upstream: SetDefaults_EphemeralContainer (the same rules as a container).
pub(super) fn default_ephemeral_container(c: &mut EphemeralContainer) {
    if is_unset(&c.image_pull_policy) {
        c.image_pull_policy = Some(default_image_pull_policy(c.image.as_deref().unwrap_or("")).to_string());
    }
    default_str(&mut c.termination_message_path, "/dev/termination-log");
    default_str(&mut c.termination_message_policy, "File");
    for port in c.ports.iter_mut().flatten() {
        default_str(&mut port.protocol, "TCP");
    }
    default_resources(&mut c.resources);
    if let Some(env) = c.env.as_mut() {
        default_env(env);
    }
}

#[cfg(test)]
mod tests {
    use crate::api::defaults::default_pod_spec;
    use k8s_openapi::api::core::v1::PodSpec;
    use serde_json::json;

    #[test]
    fn probes_get_thresholds_and_http_defaults() {
        let mut spec: PodSpec = serde_json::from_value(json!({
            "containers": [{"name": "c", "image": "i",
                            "readinessProbe": {"httpGet": {"port": 80}, "periodSeconds": 5}}]
        }))
        .expect("valid");
        default_pod_spec(&mut spec);
        let probe = serde_json::to_value(&spec.containers[0].readiness_probe).expect("json");
        assert_eq!(
            probe,
            json!({"failureThreshold": 3, "httpGet": {"path": "/", "port": 80, "scheme": "HTTP"},
                   "periodSeconds": 5, "successThreshold": 1, "timeoutSeconds": 1})
        );
        assert!(spec.containers[0].liveness_probe.is_none(), "absent probes stay absent");
    }
}
