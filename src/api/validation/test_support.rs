//! Fixtures shared by the validation tests: the example manifests as JSON, a JSON-pointer
//! setter, and helpers that default, validate and print an object.

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::core::v1::Pod;
use serde_json::{json, Value as Json};

use super::{validate_deployment, validate_hpa, validate_pod, validate_replica_set};
use crate::api::defaults::{default_deployment, default_hpa, default_pod, default_replica_set};
use crate::api::field::ErrorList;

pub(super) const SUBDOMAIN_MSG: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

pub(super) fn strings(errs: &ErrorList) -> Vec<String> {
    errs.iter().map(ToString::to_string).collect()
}

#[track_caller]
pub(super) fn assert_has(errs: &[String], want: &str) {
    assert!(errs.iter().any(|e| e == want), "missing\n  {want}\nin\n  {}", errs.join("\n  "));
}

/// Sets `pointer` (a JSON pointer) in `v`, creating objects on the way.
pub(super) fn set(mut v: Json, pointer: &str, value: Json) -> Json {
    let mut cur = &mut v;
    for part in pointer.trim_start_matches('/').split('/') {
        cur = match cur {
            Json::Array(a) => {
                let i = part.parse::<usize>().expect("index");
                if i == a.len() {
                    a.push(Json::Null);
                }
                &mut a[i]
            }
            other => {
                if !other.is_object() {
                    *other = json!({});
                }
                other.as_object_mut().expect("object").entry(part.to_string()).or_insert(Json::Null)
            }
        };
    }
    *cur = value;
    v
}

pub(super) fn nginx() -> Json {
    json!({
        "metadata": {"name": "nginx-deployment", "namespace": "default", "labels": {"app": "nginx"}},
        "spec": {
            "replicas": 3,
            "selector": {"matchLabels": {"app": "nginx"}},
            "template": {
                "metadata": {"labels": {"app": "nginx"}},
                "spec": {"containers": [{"name": "nginx", "image": "nginx:1.7.9", "ports": [{"containerPort": 80}]}]}
            }
        }
    })
}

pub(super) fn deployment_errors(v: Json) -> Vec<String> {
    let mut d: Deployment = serde_json::from_value(v).expect("valid Deployment JSON");
    default_deployment(&mut d);
    strings(&validate_deployment(&d))
}

pub(super) fn redis() -> Json {
    json!({
        "metadata": {"name": "redis-master", "namespace": "default", "labels": {"app": "redis"}},
        "spec": {"containers": [{"name": "master", "image": "redis", "env": [{"name": "MASTER", "value": "true"}],
                                 "ports": [{"containerPort": 6379}]}]}
    })
}

pub(super) fn pod_errors(v: Json) -> Vec<String> {
    let mut p: Pod = serde_json::from_value(v).expect("valid Pod JSON");
    default_pod(&mut p);
    strings(&validate_pod(&p))
}

pub(super) fn replica_set_errors(v: Json) -> Vec<String> {
    let mut rs: ReplicaSet = serde_json::from_value(v).expect("valid ReplicaSet JSON");
    default_replica_set(&mut rs);
    strings(&validate_replica_set(&rs))
}

pub(super) fn hpa() -> Json {
    json!({
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                 "minReplicas": 1, "maxReplicas": 5}
    })
}

pub(super) fn hpa_errors(v: Json) -> Vec<String> {
    let mut h: HorizontalPodAutoscaler = serde_json::from_value(v).expect("valid HPA JSON");
    default_hpa(&mut h);
    strings(&validate_hpa(&h))
}
