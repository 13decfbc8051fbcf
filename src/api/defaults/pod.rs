//! Pod-spec defaults (Pods and pod templates), and what only a Pod gets: SetDefaults_Pod and the
//! deterministic admission plugins.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Container, Pod, PodSecurityContext, PodSpec, Toleration, Volume};

use super::container::{default_container, default_ephemeral_container};
use super::{
    default_resource_list, default_str, is_unset, DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS, DEFAULT_TOLERATION_SECONDS,
    TAINT_NODE_NOT_READY, TAINT_NODE_UNREACHABLE,
};

/// upstream: SetDefaults_Volume and the per-source `defaultMode` defaults (0644).
fn default_volume(v: &mut Volume) {
    const DEFAULT_MODE: i32 = 0o644;
    // A volume with no source becomes an emptyDir. Checked through JSON so that a source added
    // to a future k8s-openapi is not mistaken for "no source".
    let only_name = serde_json::to_value(&*v)
        .ok()
        .and_then(|j| j.as_object().map(|o| o.keys().all(|k| k == "name")))
        .unwrap_or(false);
    if only_name {
        v.empty_dir = Some(Default::default());
    }
    if let Some(s) = v.secret.as_mut() {
        s.default_mode.get_or_insert(DEFAULT_MODE);
    }
    if let Some(s) = v.config_map.as_mut() {
        s.default_mode.get_or_insert(DEFAULT_MODE);
    }
    if let Some(s) = v.downward_api.as_mut() {
        s.default_mode.get_or_insert(DEFAULT_MODE);
    }
    if let Some(s) = v.projected.as_mut() {
        s.default_mode.get_or_insert(DEFAULT_MODE);
        for src in s.sources.iter_mut().flatten() {
            if let Some(t) = src.service_account_token.as_mut() {
                // upstream: SetDefaults_ServiceAccountTokenProjection — one hour
                t.expiration_seconds.get_or_insert(3600);
            }
        }
    }
    if let Some(h) = v.host_path.as_mut() {
        // upstream: SetDefaults_HostPathVolumeSource — HostPathUnset is ""
        h.type_.get_or_insert_with(String::new);
    }
}

/// Defaults of a pod spec, as applied to a Pod and to every pod template (Deployment,
/// ReplicaSet): upstream SetDefaults_PodSpec, container/probe/volume defaults, resource-list
/// canonicalization, and the `serviceAccount` ↔ `serviceAccountName` alias of the v1 conversion.
pub fn default_pod_spec(spec: &mut PodSpec) {
    default_str(&mut spec.dns_policy, "ClusterFirst");
    default_str(&mut spec.restart_policy, "Always");
    if spec.security_context.is_none() {
        spec.security_context = Some(PodSecurityContext::default());
    }
    if spec.termination_grace_period_seconds.is_none() {
        spec.termination_grace_period_seconds = Some(DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS);
    }
    default_str(&mut spec.scheduler_name, "default-scheduler");
    for c in spec.containers.iter_mut().chain(spec.init_containers.iter_mut().flatten()) {
        default_container(c);
    }
    for c in spec.ephemeral_containers.iter_mut().flatten() {
        default_ephemeral_container(c);
    }
    for v in spec.volumes.iter_mut().flatten() {
        default_volume(v);
    }
    if let Some(o) = spec.overhead.as_mut() {
        default_resource_list(o);
    }
    // upstream: Convert_v1_PodSpec_To_core_PodSpec reads `serviceAccount` when
    // `serviceAccountName` is empty; the reverse conversion writes it back as a mirror.
    if is_unset(&spec.service_account_name) && !is_unset(&spec.service_account) {
        spec.service_account_name = spec.service_account.clone();
    }
    sync_deprecated_service_account(spec);
}

fn sync_deprecated_service_account(spec: &mut PodSpec) {
    spec.service_account = if is_unset(&spec.service_account_name) { None } else { spec.service_account_name.clone() };
}

/// upstream: SetDefaults_Pod — requests default to limits for every resource that has a limit
/// and no request (pods only, not templates).
fn default_requests_from_limits(c: &mut Container) {
    let Some(r) = c.resources.as_mut() else {
        return;
    };
    let Some(limits) = r.limits.as_ref() else {
        return;
    };
    let requests = r.requests.get_or_insert_with(BTreeMap::new);
    for (k, v) in limits {
        requests.entry(k.clone()).or_insert_with(|| v.clone());
    }
}

/// The priority of the built-in PriorityClasses (`scheduling.SystemCriticalPriority` + n).
fn builtin_priority(class: &str) -> Option<i32> {
    match class {
        "system-cluster-critical" => Some(2_000_000_000),
        "system-node-critical" => Some(2_000_001_000),
        _ => None,
    }
}

/// upstream: DefaultTolerationSeconds admission — a toleration with an empty key (or the
/// taint's key) and an empty effect (or NoExecute) already covers the taint.
fn tolerates(tolerations: &[Toleration], key: &str) -> bool {
    tolerations.iter().any(|t| {
        (is_unset(&t.key) || t.key.as_deref() == Some(key))
            && (is_unset(&t.effect) || t.effect.as_deref() == Some("NoExecute"))
    })
}

fn no_execute_toleration(key: &str) -> Toleration {
    Toleration {
        key: Some(key.to_string()),
        operator: Some("Exists".to_string()),
        effect: Some("NoExecute".to_string()),
        toleration_seconds: Some(DEFAULT_TOLERATION_SECONDS),
        value: None,
    }
}

/// A Pod as the API server stores it on create: pod-spec defaults, SetDefaults_Pod, and the
/// deterministic admission plugins (ServiceAccount's name, Priority, DefaultTolerationSeconds).
///
/// Not done here: the ServiceAccount plugin's `kube-api-access-<random>` token volume and its
/// mounts (random name), `nodeName` (scheduler), and `status`.
pub fn default_pod(pod: &mut Pod) {
    let spec = pod.spec.get_or_insert_with(Default::default);
    default_pod_spec(spec);

    for c in spec.containers.iter_mut().chain(spec.init_containers.iter_mut().flatten()) {
        default_requests_from_limits(c);
    }
    if spec.enable_service_links.is_none() {
        spec.enable_service_links = Some(true);
    }
    if spec.host_network == Some(true) {
        for c in spec.containers.iter_mut().chain(spec.init_containers.iter_mut().flatten()) {
            for p in c.ports.iter_mut().flatten() {
                if p.host_port.is_none_or(|h| h == 0) {
                    p.host_port = Some(p.container_port);
                }
            }
        }
    }
    // upstream (1.27+, kubernetes#115606): a negative grace period is treated as 1 second.
    if spec.termination_grace_period_seconds.is_some_and(|g| g < 0) {
        spec.termination_grace_period_seconds = Some(1);
    }

    // ServiceAccount admission: the namespace's `default` account.
    default_str(&mut spec.service_account_name, "default");
    sync_deprecated_service_account(spec);

    // Priority admission: no PriorityClass and no global default class → priority 0; the
    // preemption policy comes from the class, PreemptLowerPriority by default.
    if spec.priority.is_none() {
        spec.priority = match spec.priority_class_name.as_deref() {
            None | Some("") => Some(0),
            Some(class) => builtin_priority(class),
        };
    }
    default_str(&mut spec.preemption_policy, "PreemptLowerPriority");

    // DefaultTolerationSeconds admission: not-ready first, then unreachable.
    let tolerations = spec.tolerations.get_or_insert_with(Vec::new);
    for key in [TAINT_NODE_NOT_READY, TAINT_NODE_UNREACHABLE] {
        if !tolerates(tolerations, key) {
            tolerations.push(no_execute_toleration(key));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::defaults::load;
    use serde_json::json;

    #[test]
    fn redis_pod_reads_back_like_a_v1_33_server() {
        let mut p: Pod = load("redis-pod.yaml");
        default_pod(&mut p);
        let spec = serde_json::to_value(&p.spec).expect("serializes");
        // `kubectl get pod redis-master -o json` on v1.33, `.spec`, minus what is not
        // deterministic or not ours: the kube-api-access-xxxxx volume and mount, nodeName.
        let want = json!({
            "containers": [{
                "env": [{"name": "MASTER", "value": "true"}],
                "image": "redis",
                "imagePullPolicy": "Always",
                "name": "master",
                "ports": [{"containerPort": 6379, "protocol": "TCP"}],
                "resources": {},
                "terminationMessagePath": "/dev/termination-log",
                "terminationMessagePolicy": "File"
            }],
            "dnsPolicy": "ClusterFirst",
            "enableServiceLinks": true,
            "preemptionPolicy": "PreemptLowerPriority",
            "priority": 0,
            "restartPolicy": "Always",
            "schedulerName": "default-scheduler",
            "securityContext": {},
            "serviceAccount": "default",
            "serviceAccountName": "default",
            "terminationGracePeriodSeconds": 30,
            "tolerations": [
                {"effect": "NoExecute", "key": "node.kubernetes.io/not-ready",
                 "operator": "Exists", "tolerationSeconds": 300},
                {"effect": "NoExecute", "key": "node.kubernetes.io/unreachable",
                 "operator": "Exists", "tolerationSeconds": 300}
            ]
        });
        assert_eq!(spec, want);
        assert!(p.status.is_none(), "defaulting never writes status");
    }

    #[test]
    fn pod_requests_default_to_limits_and_quantities_come_back_canonical() {
        let mut p: Pod = serde_json::from_value(json!({
            "metadata": {"name": "p"},
            "spec": {"containers": [{"name": "c", "image": "i",
                "resources": {"limits": {"cpu": "0.5", "memory": "1024Mi"},
                              "requests": {"memory": "1000"}}}]}
        }))
        .expect("valid");
        default_pod(&mut p);
        let r = serde_json::to_value(&p.spec.as_ref().expect("spec").containers[0].resources).expect("json");
        assert_eq!(r, json!({"limits": {"cpu": "500m", "memory": "1Gi"}, "requests": {"cpu": "500m", "memory": "1k"}}));
    }

    #[test]
    fn templates_do_not_default_requests_from_limits() {
        let mut spec: PodSpec = serde_json::from_value(json!({
            "containers": [{"name": "c", "image": "i", "resources": {"limits": {"cpu": "1"}}}]
        }))
        .expect("valid");
        default_pod_spec(&mut spec);
        let r = spec.containers[0].resources.as_ref().expect("resources");
        assert!(r.requests.is_none());
    }

    #[test]
    fn existing_wildcard_toleration_suppresses_the_default_ones() {
        let mut p: Pod = serde_json::from_value(json!({
            "metadata": {"name": "p"},
            "spec": {"containers": [{"name": "c", "image": "i"}],
                     "tolerations": [{"operator": "Exists"}]}
        }))
        .expect("valid");
        default_pod(&mut p);
        assert_eq!(p.spec.as_ref().and_then(|s| s.tolerations.as_ref()).map(Vec::len), Some(1));

        let mut p: Pod = serde_json::from_value(json!({
            "metadata": {"name": "p"},
            "spec": {"containers": [{"name": "c", "image": "i"}],
                     "tolerations": [{"key": "node.kubernetes.io/unreachable", "operator": "Exists",
                                      "effect": "NoExecute", "tolerationSeconds": 10}]}
        }))
        .expect("valid");
        default_pod(&mut p);
        let keys: Vec<_> = p
            .spec
            .as_ref()
            .and_then(|s| s.tolerations.as_ref())
            .expect("tolerations")
            .iter()
            .map(|t| (t.key.clone().unwrap_or_default(), t.toleration_seconds))
            .collect();
        assert_eq!(
            keys,
            vec![
                ("node.kubernetes.io/unreachable".to_string(), Some(10)),
                ("node.kubernetes.io/not-ready".to_string(), Some(300)),
            ]
        );
    }

    #[test]
    fn deprecated_service_account_is_an_alias() {
        let mut p: Pod = serde_json::from_value(json!({
            "metadata": {"name": "p"},
            "spec": {"containers": [{"name": "c", "image": "i"}], "serviceAccount": "builder"}
        }))
        .expect("valid");
        default_pod(&mut p);
        let s = p.spec.as_ref().expect("spec");
        assert_eq!(s.service_account_name.as_deref(), Some("builder"));
        assert_eq!(s.service_account.as_deref(), Some("builder"));
    }

    #[test]
    fn negative_grace_period_on_a_pod_becomes_one_second() {
        let mut p: Pod = serde_json::from_value(json!({
            "metadata": {"name": "p"},
            "spec": {"containers": [{"name": "c", "image": "i"}], "terminationGracePeriodSeconds": -5}
        }))
        .expect("valid");
        default_pod(&mut p);
        assert_eq!(p.spec.as_ref().and_then(|s| s.termination_grace_period_seconds), Some(1));
    }
}
