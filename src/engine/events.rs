//! Events as the components' event recorders write them: one Event object per distinct
//! (object, source, type, reason, message), with `count` and `lastTimestamp` bumped on repeats
//! (upstream: EventCorrelator / EventLogger).

use rustc_hash::FxHashMap;
use std::sync::Arc;

use crate::api::event::EventBody;
use crate::api::meta::Meta;
use crate::api::{Body, Object};
use crate::controllers::EventRecord;
use crate::sim::clock::Millis;
use crate::sim::rng::stable_hash;
use crate::store::{ObjectKey, Store};

/// upstream: kube-apiserver --event-ttl — an Event is removed an hour after it last happened.
pub const EVENT_TTL: Millis = 3_600_000;

#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct EventLog {
    /// Aggregation key → the Event object that holds it. (Written in key order: the same
    /// state writes the same bytes, however the table grew.)
    #[serde(serialize_with = "crate::snapshot::shared::sorted_map")]
    index: FxHashMap<u64, ObjectKey>,
    /// Last nanosecond stamp handed out, so names stay unique within a millisecond.
    last_ns: i128,
    /// Events by creation, with their aggregation keys, for expiry.
    created: std::collections::VecDeque<(Millis, ObjectKey, u64)>,
}

impl EventLog {
    /// Events recorded and not yet expired.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// Remove events whose last occurrence is more than the TTL ago. Returns what was removed.
    pub fn expire(&mut self, store: &mut Store, now: Millis) -> Vec<Arc<Object>> {
        let mut removed = Vec::new();
        while let Some((created, key, agg)) = self.created.front().cloned() {
            if created + EVENT_TTL > now {
                break;
            }
            self.created.pop_front();
            let Some(obj) = store.get_by_key(&key).cloned() else {
                self.index.remove(&agg);
                continue;
            };
            let last = match &obj.body {
                Body::Event(e) => e.last.unwrap_or(created),
                _ => created,
            };
            if last + EVENT_TTL > now {
                // Repeated since: look again when its own TTL runs out.
                self.created.push_back((last, key, agg));
                continue;
            }
            self.index.remove(&agg);
            if let Ok(gone) = store.remove_now(&key, obj.meta.uid) {
                removed.push(gone);
            }
        }
        removed
    }

    pub fn record(&mut self, store: &mut Store, e: EventRecord, now: Millis) {
        let field_path = e.field_path.as_deref().unwrap_or("");
        let host = e.host.as_deref().unwrap_or("");
        let agg = stable_hash(
            0,
            &[
                e.kind.name().as_bytes(),
                e.namespace.as_bytes(),
                e.name.as_bytes(),
                &e.uid.0.to_le_bytes(),
                field_path.as_bytes(),
                e.component.as_bytes(),
                host.as_bytes(),
                &[e.warning as u8],
                e.reason.as_bytes(),
                e.message.as_bytes(),
            ],
        );
        if let Some(key) = self.index.get(&agg) {
            if let Some(existing) = store.get_by_key(key).cloned() {
                let mut updated = (*existing).clone();
                if let Body::Event(ev) = &mut updated.body {
                    ev.count = Some(ev.count.unwrap_or(1) + 1);
                    ev.last = Some(now);
                }
                if store.update(updated).is_ok() {
                    return;
                }
            }
        }
        let ns_stamp = (now as i128 * 1_000_000).max(self.last_ns + 1);
        self.last_ns = ns_stamp;
        // Events about cluster-scoped objects (nodes) live in `default`, as upstream records them.
        let namespace: Arc<str> = if e.namespace.is_empty() { "default".into() } else { e.namespace.clone() };
        let name = event_name(&e.name, ns_stamp);
        use crate::api::event::{intern, intern_static};
        let event = EventBody {
            kind: Some(intern_static(e.kind.name())),
            api_version: Some(intern_static(e.kind.api_version())),
            name: Some(e.name.clone()),
            namespace: (!e.namespace.is_empty()).then(|| e.namespace.clone()),
            uid: Some(e.uid.to_string().into()),
            field_path: e.field_path.as_deref().map(intern),
            involved_resource_version: None,
            reason: Some(intern_static(e.reason)),
            message: Some(e.message.as_str().into()),
            type_: Some(intern_static(if e.warning { "Warning" } else { "Normal" })),
            component: Some(intern_static(e.component)),
            host: e.host.clone(),
            reporting_component: Some(intern_static(e.component)),
            reporting_instance: Some(intern(host)),
            first: Some(now),
            last: Some(now),
            count: Some(1),
            rest: None,
        };
        let obj = Object {
            meta: Meta { name: name.into(), namespace, ..Default::default() },
            body: Body::Event(Box::new(event)),
        };
        if let Ok(created) = store.create(obj, now) {
            let key = ObjectKey::of(&created);
            self.created.push_back((now, key.clone(), agg));
            self.index.insert(agg, key);
        }
    }
}

/// upstream: the recorder's `fmt.Sprintf("%v.%x", ref.Name, t.UnixNano())` — the object's
/// name, a dot and the nanosecond stamp in lower-case hex (written here without the
/// formatting machinery: every Event is named on the serial commit).
fn event_name(name: &str, ns_stamp: i128) -> String {
    let mut out = String::with_capacity(name.len() + 1 + 32);
    out.push_str(name);
    out.push('.');
    // (As `{:x}` writes an i128: a negative one in two's complement.)
    let v = ns_stamp as u128;
    let digits = (128 - v.leading_zeros()).div_ceil(4).max(1);
    for i in (0..digits).rev() {
        out.push(char::from(b"0123456789abcdef"[((v >> (4 * i)) & 0xf) as usize]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{event_name, FxHashMap, ObjectKey};

    #[test]
    fn event_names_are_the_object_name_and_the_stamp_in_hex() {
        for stamp in
            [0i128, 1, 15, 16, 255, 1_767_225_600_000_000_000, 1_767_225_600_123_456_789, i64::MAX as i128 * 4, -1]
        {
            assert_eq!(event_name("web-1", stamp), format!("web-1.{stamp:x}"));
        }
    }

    /// The aggregation index is written in key order: two tables with the same entries, one
    /// grown large first, write the same bytes (their own orders differ).
    #[test]
    fn the_index_writes_the_same_bytes_however_its_table_grew() {
        #[derive(serde::Serialize)]
        struct Index<'a>(
            #[serde(serialize_with = "crate::snapshot::shared::sorted_map")] &'a FxHashMap<u64, ObjectKey>,
        );
        let entries: Vec<(u64, ObjectKey)> = (0..40u64)
            .map(|i| {
                (
                    i.wrapping_mul(0x9E37_79B9_7F4A_7C15),
                    ObjectKey::new(crate::api::Kind::Event, "default", &format!("e{i}")),
                )
            })
            .collect();
        let small: FxHashMap<u64, ObjectKey> = entries.iter().cloned().collect();
        let mut grown: FxHashMap<u64, ObjectKey> = FxHashMap::with_capacity_and_hasher(4096, Default::default());
        grown.extend(entries.iter().rev().cloned());
        assert_ne!(small.keys().collect::<Vec<_>>(), grown.keys().collect::<Vec<_>>(), "the tables' own orders differ");
        let write = |m| postcard::to_stdvec(&Index(m)).unwrap();
        assert_eq!(write(&small), write(&grown));
    }
}
