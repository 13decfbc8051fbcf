//! The store in a snapshot: its objects (each written once, the watch log referring to them),
//! counters and random state. The indexes are not written: they are rebuilt from the objects,
//! which costs less than reading them and cannot disagree with them.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{
    is_orphan, object_hash, pack, KeyOrder, KeySets, LabelIndex, ObjectKey, Store, WatchEvent, WatchEventType,
};
use crate::api::meta::Uid;
use crate::api::{Kind, Object};
use crate::sim::clock::Millis;
use crate::snapshot::shared;

/// How a key is written: kind, namespace (shared), name.
#[derive(Serialize)]
struct K<'a>(Kind, #[serde(with = "shared::strs")] &'a Arc<str>, &'a str);

impl Serialize for ObjectKey {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        K(self.kind(), &self.namespace, &self.name).serialize(s)
    }
}

/// A key given as its namespace and the rest ([`NameKey`]), written as the whole
/// [`ObjectKey`] is.
pub struct KeyIn<'a>(pub &'a Arc<str>, pub &'a super::NameKey);

impl Serialize for KeyIn<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        K(self.1.kind(), self.0, self.1.name()).serialize(s)
    }
}

impl<'de> Deserialize<'de> for ObjectKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct K(Kind, #[serde(with = "shared::strs")] Arc<str>, Arc<str>);
        let K(kind, namespace, name) = K::deserialize(d)?;
        let namespace = if kind.namespaced() { namespace } else { "".into() };
        Ok(ObjectKey { packed: pack(kind, &name), namespace, name })
    }
}

#[derive(Serialize, Deserialize)]
#[serde(remote = "WatchEventType")]
enum WatchEventTypeDef {
    Added,
    Modified,
    Deleted,
}

#[derive(Serialize, Deserialize)]
struct Watched(
    #[serde(with = "WatchEventTypeDef")] WatchEventType,
    u64,
    #[serde(with = "shared::objects")] Arc<Object>,
);

#[derive(Serialize, Deserialize)]
struct Obj(#[serde(with = "shared::objects")] Arc<Object>);

/// What a store writes: (seed, resourceVersion, objects in key order, incarnations and the
/// instant they count for, namespaces removed, generated-name counters, watch log, capacity).
type Parts = (u64, u64, Vec<Obj>, HashMap<u64, u32>, Option<Millis>, u64, HashMap<u64, u64>, Vec<Watched>, usize);

impl Serialize for Store {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeTuple;
        let mut t = s.serialize_tuple(9)?;
        t.serialize_element(&self.seed)?;
        t.serialize_element(&self.resource_version)?;
        let objects: Vec<Obj> =
            self.objects.all().map(|(kind, ns, name)| Obj(self.stored_object(kind, ns, name).clone())).collect();
        t.serialize_element(&objects)?;
        t.serialize_element(&shared::Sorted(&self.incarnations))?;
        t.serialize_element(&self.incarnations_at)?;
        t.serialize_element(&self.namespaces_removed)?;
        t.serialize_element(&shared::Sorted(&self.generated))?;
        let watch: Vec<Watched> =
            self.watch.iter().map(|e| Watched(e.event_type, e.resource_version, e.object.clone())).collect();
        t.serialize_element(&watch)?;
        t.serialize_element(&self.watch_capacity)?;
        t.end()
    }
}

impl<'de> Deserialize<'de> for Store {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let (seed, resource_version, objects, incarnations, incarnations_at, namespaces_removed, generated, watch, cap): Parts =
            Deserialize::deserialize(d)?;
        let mut store = Store::new(seed);
        store.resource_version = resource_version;
        store.incarnations = incarnations;
        store.incarnations_at = incarnations_at;
        store.namespaces_removed = namespaces_removed;
        store.generated = generated;
        store.watch_capacity = cap;
        store.watch = watch
            .into_iter()
            .map(|Watched(event_type, resource_version, object)| WatchEvent { event_type, resource_version, object })
            .collect::<VecDeque<_>>();
        let keyed: Vec<(ObjectKey, Arc<Object>)> = objects.into_iter().map(|Obj(o)| (ObjectKey::of(&o), o)).collect();
        if keyed.windows(2).any(|w| w[0].0 >= w[1].0) {
            return Err(D::Error::custom("the stored objects are not in key order"));
        }
        store.index(&keyed, shared::threads() > 1);
        Ok(store)
    }
}

impl Store {
    /// Build the object set and every index from `keyed` (in key order): the independent ones
    /// side by side when `parallel`, then the pod tallies, which read the others.
    fn index(&mut self, keyed: &[(ObjectKey, Arc<Object>)], parallel: bool) {
        let objects = || {
            let mut order = KeyOrder::default();
            for (_, o) in keyed {
                order.insert(&ObjectKey::of(o));
            }
            order
        };
        let by_key = || {
            let mut t = hashbrown::HashTable::with_capacity(keyed.len());
            for (_, o) in keyed {
                t.insert_unique(object_hash(o), o.clone(), |o: &Arc<Object>| object_hash(o));
            }
            t
        };
        let labels = || {
            let mut index = LabelIndex::default();
            for (key, obj) in keyed {
                index.insert(key, &obj.meta.labels, 0);
            }
            index
        };
        let owners = || {
            let (mut owners, mut orphans, mut involved) = (KeySets::default(), KeySets::default(), KeySets::default());
            for (key, obj) in keyed {
                index_owners(&mut owners, &mut orphans, key, obj);
                if let Some(uid) = super::involved_uid(obj) {
                    involved.insert(uid.clone(), key, 0);
                }
            }
            (owners, orphans, involved)
        };
        if parallel {
            std::thread::scope(|s| {
                let objects = s.spawn(objects);
                let labels = s.spawn(labels);
                self.by_key = by_key();
                (self.owners, self.orphans, self.involved) = owners();
                // (A panic in a builder is a bug; it reaches the binding's containment as one.)
                self.objects = objects.join().unwrap_or_else(|e| std::panic::resume_unwind(e));
                self.labels = labels.join().unwrap_or_else(|e| std::panic::resume_unwind(e));
            });
        } else {
            self.objects = objects();
            self.by_key = by_key();
            self.labels = labels();
            (self.owners, self.orphans, self.involved) = owners();
        }
        for (_, obj) in keyed {
            self.tally(obj);
            self.census.add(obj);
        }
    }
}

/// [`Store::index_owners`] into the given indexes.
fn index_owners(owners: &mut KeySets<Uid>, orphans: &mut KeySets<Kind>, key: &ObjectKey, obj: &Object) {
    for r in obj.meta.owner_references.iter() {
        if !r.uid.is_nil() {
            owners.insert(r.uid, key, 0);
        }
    }
    if is_orphan(obj) {
        orphans.insert(key.kind(), key, 0);
    }
}
