use k8s_openapi::api::autoscaling::{v1, v2};
pub fn hpa_v1_to_v2(_: v1::HorizontalPodAutoscaler) -> v2::HorizontalPodAutoscaler {
    Default::default()
}
