//! Pod templates stored once and shared. Every pod a ReplicaSet creates points at the same
//! label map, annotation map and admitted pod spec, and identical specs across workloads are
//! interned, so ten thousand ReplicaSets of the same image hold one copy.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex, OnceLock, Weak};

use k8s_openapi::api::core::v1 as core;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use parking_lot::Mutex as ParkingMutex;

use super::defaults;
use super::meta::StringMap;
use super::sorted::SharedTexts;
use crate::sim::rng::stable_hash;

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct PodTemplate {
    #[serde(with = "crate::snapshot::shared::maps")]
    pub labels: Arc<StringMap>,
    #[serde(with = "crate::snapshot::shared::maps")]
    pub annotations: Arc<StringMap>,
    /// Template metadata other than labels and annotations (rarely set; kept as written).
    #[serde(with = "crate::snapshot::shared::wire")]
    pub other_meta: Option<Box<ObjectMeta>>,
    /// The spec as the workload shows it (API defaults applied), as compact JSON: it is only
    /// read back for output and compared for equality.
    #[serde(with = "crate::snapshot::shared::strs")]
    spec_json: Arc<str>,
    /// The spec its pods carry: pod defaults and admission (service account, default
    /// tolerations, priority) applied on top, as the API server does when a pod is created.
    #[serde(with = "crate::snapshot::shared::pod_specs")]
    pub admitted: Arc<core::PodSpec>,
}

impl PartialEq for PodTemplate {
    fn eq(&self, other: &Self) -> bool {
        self.labels == other.labels
            && self.annotations == other.annotations
            && self.other_meta == other.other_meta
            && self.spec_json == other.spec_json
    }
}

impl Default for PodTemplate {
    fn default() -> Self {
        PodTemplate::from_wire(None)
    }
}

/// Content-addressed sharing of immutable values. Entries are weak: a value nobody holds any
/// more is dropped, and dead entries are swept as the table grows.
struct Interner<T: ?Sized> {
    table: HashMap<u64, Vec<Weak<T>>>,
    sweep_at: usize,
}

impl<T: ?Sized + PartialEq> Interner<T> {
    fn new() -> Self {
        Interner { table: HashMap::new(), sweep_at: 1024 }
    }
    fn intern(&mut self, hash: u64, value: Arc<T>) -> Arc<T> {
        let bucket = self.table.entry(hash).or_default();
        if let Some(existing) = bucket.iter().filter_map(Weak::upgrade).find(|e| **e == *value) {
            return existing;
        }
        bucket.push(Arc::downgrade(&value));
        if self.table.len() >= self.sweep_at {
            self.table.retain(|_, b| {
                b.retain(|w| w.strong_count() > 0);
                !b.is_empty()
            });
            self.sweep_at = (self.table.len() * 2).max(1024);
        }
        value
    }
}

fn specs() -> &'static Mutex<Interner<core::PodSpec>> {
    static SPECS: OnceLock<Mutex<Interner<core::PodSpec>>> = OnceLock::new();
    SPECS.get_or_init(|| Mutex::new(Interner::new()))
}

fn texts() -> &'static Mutex<Interner<str>> {
    static TEXTS: OnceLock<Mutex<Interner<str>>> = OnceLock::new();
    TEXTS.get_or_init(|| Mutex::new(Interner::new()))
}

fn intern_text(s: String) -> Arc<str> {
    let hash = stable_hash(0, &[s.as_bytes()]);
    let value: Arc<str> = s.into();
    match texts().lock() {
        Ok(mut t) => t.intern(hash, value),
        Err(_) => value,
    }
}

/// One shared copy of a pod spec per distinct content. `json` is its serialization.
pub(crate) fn intern_spec(spec: core::PodSpec, json: &str) -> Arc<core::PodSpec> {
    let hash = stable_hash(1, &[json.as_bytes()]);
    let value = Arc::new(spec);
    match specs().lock() {
        Ok(mut t) => t.intern(hash, value),
        Err(_) => value,
    }
}

/// A copy of what `make` makes from the interned text `text`, kept for the next call with the
/// same text (see [`SharedTexts::through`]).
fn made_from<V: Clone>(table: &ParkingMutex<SharedTexts<V>>, text: &Arc<str>, make: impl FnOnce() -> V) -> V {
    let made = SharedTexts::through(table, text, || Ok::<V, Infallible>(make()), |v| Ok(v.clone()));
    match made {
        Ok(v) => v,
    }
}

impl PodTemplate {
    pub fn from_wire(t: Option<core::PodTemplateSpec>) -> PodTemplate {
        let t = t.unwrap_or_default();
        let mut meta = t.metadata.unwrap_or_default();
        let labels = Arc::new(super::meta::string_map(meta.labels.take()));
        let annotations = Arc::new(super::meta::string_map(meta.annotations.take()));
        let other_meta = (meta != ObjectMeta::default()).then(|| Box::new(meta));
        let spec = t.spec.unwrap_or_default();
        // k8s-openapi types serialize infallibly to JSON.
        let spec_json = intern_text(serde_json::to_string(&spec).unwrap_or_default());
        // The admitted spec depends on the spec alone: one text, one admission.
        static ADMITTED: ParkingMutex<SharedTexts<Arc<core::PodSpec>>> = ParkingMutex::new(SharedTexts::new());
        let admitted = made_from(&ADMITTED, &spec_json, || {
            let mut pod = core::Pod { spec: Some(spec), ..Default::default() };
            defaults::default_pod(&mut pod);
            let admitted = pod.spec.unwrap_or_default();
            let admitted_json = serde_json::to_string(&admitted).unwrap_or_default();
            intern_spec(admitted, &admitted_json)
        });
        PodTemplate { labels, annotations, other_meta, spec_json, admitted }
    }

    /// The spec as the workload shows it.
    pub fn spec(&self) -> core::PodSpec {
        static SPECS: ParkingMutex<SharedTexts<core::PodSpec>> = ParkingMutex::new(SharedTexts::new());
        made_from(&SPECS, &self.spec_json, || serde_json::from_str(&self.spec_json).unwrap_or_default())
    }

    /// The spec as the workload shows it, as a JSON value.
    pub fn spec_value(&self) -> serde_json::Value {
        static VALUES: ParkingMutex<SharedTexts<serde_json::Value>> = ParkingMutex::new(SharedTexts::new());
        made_from(&VALUES, &self.spec_json, || {
            serde_json::from_str(&self.spec_json).unwrap_or_else(|_| serde_json::json!({}))
        })
    }

    /// The spec as the workload shows it, as the compact JSON text it is stored as (written
    /// from the typed spec, so its fields come in the typed spec's order).
    pub fn spec_json(&self) -> &Arc<str> {
        &self.spec_json
    }

    /// [`PodTemplate::to_wire`] without its spec (to be filled in from [`PodTemplate::spec_json`]).
    pub fn to_wire_without_spec(&self) -> core::PodTemplateSpec {
        let mut meta = self.other_meta.as_deref().cloned().unwrap_or_default();
        meta.labels = super::meta::wire_map(&self.labels);
        meta.annotations = super::meta::wire_map(&self.annotations);
        core::PodTemplateSpec { metadata: Some(meta), spec: None }
    }

    /// The same template with one more label (the Deployment's `pod-template-hash`); everything
    /// else stays shared.
    pub fn with_label(&self, key: &str, value: &str) -> PodTemplate {
        let mut t = self.clone();
        Arc::make_mut(&mut t.labels).insert(key.to_string(), value.to_string());
        t
    }

    /// upstream: EqualIgnoreHash — equal after removing `pod-template-hash` from both.
    pub fn equal_ignoring(&self, other: &PodTemplate, label: &str) -> bool {
        let strip = |m: &StringMap| {
            m.iter().filter(|(k, _)| *k != label).map(|(k, v)| (k.clone(), v.clone())).collect::<StringMap>()
        };
        self.spec_json == other.spec_json
            && self.annotations == other.annotations
            && self.other_meta == other.other_meta
            && strip(&self.labels) == strip(&other.labels)
    }

    /// A stable text of the whole template (labels, annotations, spec), for hashing.
    pub fn canonical(&self) -> String {
        format!(
            "{}|{}|{}|{}",
            serde_json::to_string(&super::meta::wire_map(&self.labels).unwrap_or_default()).unwrap_or_default(),
            serde_json::to_string(&super::meta::wire_map(&self.annotations).unwrap_or_default()).unwrap_or_default(),
            self.other_meta.as_ref().map(|m| serde_json::to_string(m).unwrap_or_default()).unwrap_or_default(),
            self.spec_json
        )
    }

    pub fn to_wire(&self) -> core::PodTemplateSpec {
        core::PodTemplateSpec { spec: Some(self.spec()), ..self.to_wire_without_spec() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn template(image: &str) -> core::PodTemplateSpec {
        core::PodTemplateSpec {
            metadata: None,
            spec: Some(core::PodSpec {
                containers: vec![core::Container { name: "c".into(), image: Some(image.into()), ..Default::default() }],
                ..Default::default()
            }),
        }
    }

    #[test]
    fn identical_templates_share_one_admitted_spec() {
        let a = PodTemplate::from_wire(Some(template("nginx:1")));
        let b = PodTemplate::from_wire(Some(template("nginx:1")));
        let c = PodTemplate::from_wire(Some(template("nginx:2")));
        assert!(Arc::ptr_eq(&a.admitted, &b.admitted));
        assert!(!Arc::ptr_eq(&a.admitted, &c.admitted));
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(a.spec().containers[0].image.as_deref(), Some("nginx:1"));
        assert_eq!(a.admitted.service_account_name.as_deref(), Some("default"));
        assert!(a.spec().service_account_name.is_none(), "admission fields are not shown on the template");
    }

    /// What is kept per spec text (the admitted spec, the typed spec, its JSON value) is what
    /// working it out afresh gives, for more texts than the tables keep, met again out of order.
    #[test]
    fn what_is_kept_per_spec_text_is_what_is_made_afresh() {
        let images: Vec<String> = (0..600).map(|i| format!("nginx:1.{i}")).collect();
        for image in images.iter().chain(images.iter().rev()).chain(images.iter().step_by(7)) {
            let t = PodTemplate::from_wire(Some(template(image)));
            let mut pod = core::Pod { spec: template(image).spec, ..Default::default() };
            defaults::default_pod(&mut pod);
            assert_eq!(*t.admitted, pod.spec.unwrap(), "{image}");
            let shown: core::PodSpec = serde_json::from_str(t.spec_json()).unwrap();
            assert_eq!(t.spec(), shown, "{image}");
            assert_eq!(t.spec().containers[0].image.as_deref(), Some(image.as_str()));
            assert_eq!(t.spec_value(), serde_json::to_value(&shown).unwrap(), "{image}");
        }
    }
}
