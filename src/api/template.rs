//! Pod templates stored once and shared: every pod a ReplicaSet creates points at the same
//! label map, annotation map and (admitted) pod spec.

use std::sync::Arc;

use k8s_openapi::api::core::v1 as core;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::defaults;
use super::meta::StringMap;

#[derive(Clone, Debug)]
pub struct PodTemplate {
    pub labels: Arc<StringMap>,
    pub annotations: Arc<StringMap>,
    /// Template metadata other than labels and annotations (rarely set; kept as written).
    pub other_meta: Option<Box<ObjectMeta>>,
    /// The spec as the workload shows it (API defaults applied).
    pub spec: Arc<core::PodSpec>,
    /// The spec its pods carry: pod defaults and admission (service account, default
    /// tolerations, priority) applied on top, as the API server does when a pod is created.
    pub admitted: Arc<core::PodSpec>,
}

impl PartialEq for PodTemplate {
    fn eq(&self, other: &Self) -> bool {
        self.labels == other.labels
            && self.annotations == other.annotations
            && self.other_meta == other.other_meta
            && self.spec == other.spec
    }
}

impl Default for PodTemplate {
    fn default() -> Self {
        PodTemplate::from_wire(None)
    }
}

impl PodTemplate {
    pub fn from_wire(t: Option<core::PodTemplateSpec>) -> PodTemplate {
        let t = t.unwrap_or_default();
        let mut meta = t.metadata.unwrap_or_default();
        let labels = Arc::new(meta.labels.take().unwrap_or_default());
        let annotations = Arc::new(meta.annotations.take().unwrap_or_default());
        let other_meta = (meta != ObjectMeta::default()).then(|| Box::new(meta));
        let spec = t.spec.unwrap_or_default();
        let mut pod = core::Pod { spec: Some(spec.clone()), ..Default::default() };
        defaults::default_pod(&mut pod);
        PodTemplate {
            labels,
            annotations,
            other_meta,
            spec: Arc::new(spec),
            admitted: Arc::new(pod.spec.unwrap_or_default()),
        }
    }

    pub fn to_wire(&self) -> core::PodTemplateSpec {
        let mut meta = self.other_meta.as_deref().cloned().unwrap_or_default();
        meta.labels = (!self.labels.is_empty()).then(|| (*self.labels).clone());
        meta.annotations = (!self.annotations.is_empty()).then(|| (*self.annotations).clone());
        core::PodTemplateSpec { metadata: Some(meta), spec: Some((*self.spec).clone()) }
    }
}
