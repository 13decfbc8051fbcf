use k8s_openapi::api::{apps::v1 as apps, autoscaling::v2, core::v1 as core};
pub fn default_pod(_: &mut core::Pod) {}
pub fn default_node(_: &mut core::Node) {}
pub fn default_deployment(_: &mut apps::Deployment) {}
pub fn default_replica_set(_: &mut apps::ReplicaSet) {}
pub fn default_hpa(_: &mut v2::HorizontalPodAutoscaler) {}
