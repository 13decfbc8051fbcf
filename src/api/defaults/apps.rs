//! apps/v1 defaults: Deployment and ReplicaSet.

use k8s_openapi::api::apps::v1::{Deployment, DeploymentStrategy, ReplicaSet, RollingUpdateDeployment};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::default_str;
use super::pod::default_pod_spec;

/// upstream: SetDefaults_Deployment (apps/v1) plus pod-template defaults.
///
/// `minReadySeconds` and `paused` stay unset: they are `omitempty` scalars, so a v1.33 server
/// never serializes their zero values.
pub fn default_deployment(d: &mut Deployment) {
    let spec = d.spec.get_or_insert_with(Default::default);
    spec.replicas.get_or_insert(1);
    let strategy = spec.strategy.get_or_insert_with(DeploymentStrategy::default);
    default_str(&mut strategy.type_, "RollingUpdate");
    if strategy.type_.as_deref() == Some("RollingUpdate") {
        let ru = strategy.rolling_update.get_or_insert_with(RollingUpdateDeployment::default);
        ru.max_unavailable.get_or_insert_with(|| IntOrString::String("25%".to_string()));
        ru.max_surge.get_or_insert_with(|| IntOrString::String("25%".to_string()));
    }
    spec.revision_history_limit.get_or_insert(10);
    spec.progress_deadline_seconds.get_or_insert(600);
    default_pod_spec(spec.template.spec.get_or_insert_with(Default::default));
}

/// upstream: SetDefaults_ReplicaSet (apps/v1) plus pod-template defaults. The template is a
/// struct in Go, so it is always present on the wire.
pub fn default_replica_set(rs: &mut ReplicaSet) {
    let spec = rs.spec.get_or_insert_with(Default::default);
    spec.replicas.get_or_insert(1);
    let template = spec.template.get_or_insert_with(Default::default);
    default_pod_spec(template.spec.get_or_insert_with(Default::default));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::defaults::load;
    use serde_json::json;

    #[test]
    fn nginx_deployment_reads_back_like_a_v1_33_server() {
        let mut d: Deployment = load("nginx-deployment.yaml");
        default_deployment(&mut d);
        let spec = serde_json::to_value(&d.spec).expect("serializes");
        // `kubectl get deploy nginx-deployment -o json` on v1.33, `.spec` (v1.33 no longer
        // prints `creationTimestamp: null` in the template, kubernetes#130989).
        let want = json!({
            "progressDeadlineSeconds": 600,
            "replicas": 3,
            "revisionHistoryLimit": 10,
            "selector": {"matchLabels": {"app": "nginx"}},
            "strategy": {
                "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"},
                "type": "RollingUpdate"
            },
            "template": {
                "metadata": {"labels": {"app": "nginx"}},
                "spec": {
                    "containers": [{
                        "image": "nginx:1.7.9",
                        "imagePullPolicy": "IfNotPresent",
                        "name": "nginx",
                        "ports": [{"containerPort": 80, "protocol": "TCP"}],
                        "resources": {},
                        "terminationMessagePath": "/dev/termination-log",
                        "terminationMessagePolicy": "File"
                    }],
                    "dnsPolicy": "ClusterFirst",
                    "restartPolicy": "Always",
                    "schedulerName": "default-scheduler",
                    "securityContext": {},
                    "terminationGracePeriodSeconds": 30
                }
            }
        });
        assert_eq!(spec, want);
    }

    #[test]
    fn recreate_strategy_gets_no_rolling_update() {
        let mut d: Deployment = serde_json::from_value(json!({
            "metadata": {"name": "d"},
            "spec": {"selector": {"matchLabels": {"a": "b"}}, "strategy": {"type": "Recreate"},
                     "template": {"spec": {"containers": [{"name": "c", "image": "i"}]}}}
        }))
        .expect("valid");
        default_deployment(&mut d);
        let s = d.spec.as_ref().and_then(|s| s.strategy.as_ref()).expect("strategy");
        assert_eq!(s.type_.as_deref(), Some("Recreate"));
        assert!(s.rolling_update.is_none());
    }

    #[test]
    fn partial_rolling_update_keeps_the_given_field() {
        let mut d: Deployment = serde_json::from_value(json!({
            "metadata": {"name": "d"},
            "spec": {"selector": {"matchLabels": {"a": "b"}},
                     "strategy": {"rollingUpdate": {"maxSurge": 1}},
                     "template": {"spec": {"containers": [{"name": "c", "image": "i"}]}}}
        }))
        .expect("valid");
        default_deployment(&mut d);
        let s = serde_json::to_value(d.spec.as_ref().and_then(|s| s.strategy.as_ref())).expect("json");
        assert_eq!(s, json!({"rollingUpdate": {"maxSurge": 1, "maxUnavailable": "25%"}, "type": "RollingUpdate"}));
    }

    #[test]
    fn replica_set_gets_one_replica_and_template_defaults() {
        let mut rs: ReplicaSet = serde_json::from_value(json!({
            "metadata": {"name": "r"},
            "spec": {"selector": {"matchLabels": {"a": "b"}},
                     "template": {"metadata": {"labels": {"a": "b"}},
                                  "spec": {"containers": [{"name": "c", "image": "i:1"}]}}}
        }))
        .expect("valid");
        default_replica_set(&mut rs);
        let spec = rs.spec.as_ref().expect("spec");
        assert_eq!(spec.replicas, Some(1));
        let pod = spec.template.as_ref().and_then(|t| t.spec.as_ref()).expect("pod spec");
        assert_eq!(pod.restart_policy.as_deref(), Some("Always"));
        assert_eq!(pod.containers[0].image_pull_policy.as_deref(), Some("IfNotPresent"));
        assert!(pod.tolerations.is_none(), "admission defaults are for pods, not templates");
        assert!(pod.service_account_name.is_none());
    }
}
