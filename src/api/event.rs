//! Events stored compactly: shared strings instead of a full wire `Event` per occurrence.
//! Events are the most numerous objects in a busy simulation (several per pod).

use std::sync::{Arc, Mutex, OnceLock};

use k8s_openapi::api::core::v1 as core;

use super::meta::{from_time, to_time};
use crate::sim::clock::Millis;

type Text = Option<Arc<str>>;

/// Repeated texts (reasons, components, node names, common messages) are shared.
pub fn intern(s: &str) -> Arc<str> {
    type Table = (std::collections::HashMap<Box<str>, std::sync::Weak<str>, rustc_hash::FxBuildHasher>, usize);
    static TABLE: OnceLock<Mutex<Table>> = OnceLock::new();
    let table = TABLE.get_or_init(|| Mutex::new((Default::default(), 4096)));
    let Ok(mut guard) = table.lock() else { return s.into() };
    let (t, sweep_at) = &mut *guard;
    if let Some(existing) = t.get(s).and_then(std::sync::Weak::upgrade) {
        return existing;
    }
    // Dead entries are swept when the table has doubled since the last sweep (amortized O(1)).
    if t.len() >= *sweep_at {
        t.retain(|_, w| w.strong_count() > 0);
        *sweep_at = (t.len() * 2).max(4096);
    }
    let value: Arc<str> = s.into();
    t.insert(s.into(), Arc::downgrade(&value));
    value
}

/// [`intern`] for a text of the program itself (a kind, a reason, a component), found by its
/// address: an Event names several, and its recording is on the serial commit. The program's
/// texts are few, and each is kept for the life of the process.
pub fn intern_static(s: &'static str) -> Arc<str> {
    type Table = std::collections::HashMap<(usize, usize), Arc<str>, rustc_hash::FxBuildHasher>;
    static TABLE: OnceLock<Mutex<Table>> = OnceLock::new();
    let table = TABLE.get_or_init(Default::default);
    let Ok(mut t) = table.lock() else { return intern(s) };
    t.entry((s.as_ptr() as usize, s.len())).or_insert_with(|| intern(s)).clone()
}

fn text(s: Option<String>) -> Text {
    s.map(|s| intern(&s))
}

fn string(t: &Text) -> Option<String> {
    t.as_deref().map(str::to_string)
}

#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EventBody {
    #[serde(with = "crate::snapshot::shared::strs::option")]
    pub kind: Text,
    #[serde(with = "crate::snapshot::shared::strs::option")]
    pub api_version: Text,
    #[serde(with = "crate::snapshot::shared::strs::option")]
    pub name: Text,
    #[serde(with = "crate::snapshot::shared::strs::option")]
    pub namespace: Text,
    #[serde(with = "crate::snapshot::shared::strs::option")]
    pub uid: Text,
    #[serde(with = "crate::snapshot::shared::strs::option")]
    pub field_path: Text,
    #[serde(with = "crate::snapshot::shared::strs::option")]
    pub involved_resource_version: Text,
    #[serde(with = "crate::snapshot::shared::strs::option")]
    pub reason: Text,
    #[serde(with = "crate::snapshot::shared::strs::option")]
    pub message: Text,
    #[serde(with = "crate::snapshot::shared::strs::option")]
    pub type_: Text,
    #[serde(with = "crate::snapshot::shared::strs::option")]
    pub component: Text,
    #[serde(with = "crate::snapshot::shared::strs::option")]
    pub host: Text,
    #[serde(with = "crate::snapshot::shared::strs::option")]
    pub reporting_component: Text,
    #[serde(with = "crate::snapshot::shared::strs::option")]
    pub reporting_instance: Text,
    pub first: Option<Millis>,
    pub last: Option<Millis>,
    pub count: Option<i32>,
    /// Rarely used fields (action, eventTime, related, series), kept as written.
    #[serde(with = "crate::snapshot::shared::wire")]
    pub rest: Option<Box<core::Event>>,
}

impl EventBody {
    pub fn from_wire(mut e: core::Event) -> EventBody {
        let o = std::mem::take(&mut e.involved_object);
        let source = e.source.take().unwrap_or_default();
        let rest =
            (e.action.is_some() || e.event_time.is_some() || e.related.is_some() || e.series.is_some()).then(|| {
                Box::new(core::Event {
                    action: e.action.take(),
                    event_time: e.event_time.take(),
                    related: e.related.take(),
                    series: e.series.take(),
                    ..Default::default()
                })
            });
        EventBody {
            kind: text(o.kind),
            api_version: text(o.api_version),
            name: o.name.map(|n| Arc::from(n.as_str())),
            namespace: text(o.namespace),
            uid: o.uid.map(|u| Arc::from(u.as_str())),
            field_path: text(o.field_path),
            involved_resource_version: o.resource_version.map(|r| Arc::from(r.as_str())),
            reason: text(e.reason),
            message: text(e.message),
            type_: text(e.type_),
            component: text(source.component),
            host: text(source.host),
            reporting_component: text(e.reporting_component),
            reporting_instance: text(e.reporting_instance),
            first: e.first_timestamp.as_ref().map(from_time),
            last: e.last_timestamp.as_ref().map(from_time),
            count: e.count,
            rest,
        }
    }

    pub fn to_wire(&self) -> core::Event {
        let rest = self.rest.as_deref().cloned().unwrap_or_default();
        core::Event {
            involved_object: core::ObjectReference {
                kind: string(&self.kind),
                api_version: string(&self.api_version),
                name: string(&self.name),
                namespace: string(&self.namespace),
                uid: string(&self.uid),
                field_path: string(&self.field_path),
                resource_version: string(&self.involved_resource_version),
            },
            reason: string(&self.reason),
            message: string(&self.message),
            type_: string(&self.type_),
            source: (self.component.is_some() || self.host.is_some())
                .then(|| core::EventSource { component: string(&self.component), host: string(&self.host) }),
            reporting_component: string(&self.reporting_component),
            reporting_instance: string(&self.reporting_instance),
            first_timestamp: self.first.map(to_time),
            last_timestamp: self.last.map(to_time),
            count: self.count,
            ..rest
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_round_trip_keeps_every_field() {
        let e = core::Event {
            involved_object: core::ObjectReference {
                kind: Some("Pod".into()),
                name: Some("web-1".into()),
                namespace: Some("default".into()),
                uid: Some("u".into()),
                field_path: Some("spec.containers{c}".into()),
                ..Default::default()
            },
            reason: Some("Pulled".into()),
            message: Some("Container image \"nginx\" already present on machine".into()),
            type_: Some("Normal".into()),
            source: Some(core::EventSource { component: Some("kubelet".into()), host: Some("node-1".into()) }),
            first_timestamp: Some(to_time(1_000)),
            last_timestamp: Some(to_time(5_000)),
            count: Some(3),
            action: Some("Pull".into()),
            ..Default::default()
        };
        assert_eq!(EventBody::from_wire(e.clone()).to_wire(), e);
    }

    #[test]
    fn repeated_texts_are_shared() {
        let a = intern("Scheduled");
        let b = intern("Scheduled");
        assert!(Arc::ptr_eq(&a, &b));
        // The program's own texts share with the texts made at run time.
        let c = intern_static("Scheduled");
        assert!(Arc::ptr_eq(&a, &c) && Arc::ptr_eq(&c, &intern_static("Scheduled")));
        let made = String::from("Sched") + "uled";
        assert!(Arc::ptr_eq(&intern(&made), &c));
    }
}
