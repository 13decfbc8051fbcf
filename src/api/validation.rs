use super::field::ErrorList;
use k8s_openapi::api::{apps::v1 as apps, autoscaling::v2, core::v1 as core};
pub fn validate_pod(_: &core::Pod) -> ErrorList {
    vec![]
}
pub fn validate_node(_: &core::Node) -> ErrorList {
    vec![]
}
pub fn validate_namespace(_: &core::Namespace) -> ErrorList {
    vec![]
}
pub fn validate_deployment(_: &apps::Deployment) -> ErrorList {
    vec![]
}
pub fn validate_replica_set(_: &apps::ReplicaSet) -> ErrorList {
    vec![]
}
pub fn validate_hpa(_: &v2::HorizontalPodAutoscaler) -> ErrorList {
    vec![]
}
