//! Compact object metadata. Every stored object carries one; label and annotation maps are
//! `Arc`-shared so that the pods of a ReplicaSet point at their template's maps.

use std::collections::BTreeMap;
use std::sync::Arc;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference, Time};

use super::kind::Kind;
use k8s_openapi::jiff::Timestamp;

use crate::sim::clock::Millis;

/// Labels and annotations: a sorted vector, not a B-tree (a one-entry `BTreeMap<String, String>`
/// allocates a 544-byte node; most objects carry one to three entries).
pub type StringMap = litemap::LiteMap<String, String>;

/// A wire map (`metadata.labels`, …) as a [`StringMap`]; absent is empty.
pub fn string_map(m: Option<BTreeMap<String, String>>) -> StringMap {
    let m = m.unwrap_or_default();
    // Sized exactly: a map usually lives as long as its object. (Sorted input appends.)
    let mut out = StringMap::with_capacity(m.len());
    for (k, v) in m {
        out.insert(k, v);
    }
    out
}

/// A [`StringMap`] as a wire map; empty is absent.
pub fn wire_map(m: &StringMap) -> Option<BTreeMap<String, String>> {
    (!m.is_empty()).then(|| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
}

/// A uid as the API server assigns it: a random (here seeded) version-4 UUID. Aligned to 8
/// bytes, not 16, so that it adds no padding to the metadata of every object.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[repr(C, packed(8))]
pub struct Uid(pub u128);

impl Uid {
    pub fn from_random(hi: u64, lo: u64) -> Uid {
        let mut v = ((hi as u128) << 64) | lo as u128;
        // RFC 4122 version 4, variant 10xx.
        v &= !(0xF000u128 << 64);
        v |= 0x4000u128 << 64;
        v &= !(0xC000_0000_0000_0000u128);
        v |= 0x8000_0000_0000_0000u128;
        Uid(v)
    }
    pub fn parse(s: &str) -> Option<Uid> {
        uuid::Uuid::parse_str(s).ok().map(|u| Uid(u.as_u128()))
    }
    pub fn is_nil(self) -> bool {
        self.0 == 0
    }
    /// The uid as the API writes it (lowercase, hyphenated), without allocating.
    pub fn text(self) -> UidText {
        let mut buf = [0u8; 36];
        uuid::Uuid::from_u128(self.0).hyphenated().encode_lower(&mut buf);
        UidText(buf)
    }
}

/// A uid's text, held inline (see [`Uid::text`]).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct UidText([u8; 36]);

impl std::ops::Deref for UidText {
    type Target = str;
    fn deref(&self) -> &str {
        // Written by `encode_lower`: hex digits and hyphens only.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

impl std::fmt::Display for Uid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text())
    }
}

#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Meta {
    pub name: Arc<str>,
    /// Set on every pod a ReplicaSet creates (shared with its siblings), so kept inline, behind
    /// a one-word pointer (an `Arc<str>` is two): read it through [`Meta::generate_name`].
    #[serde(with = "crate::snapshot::shared::strings::option")]
    pub generate_name: Option<Arc<String>>,
    /// Empty for cluster-scoped kinds.
    #[serde(with = "crate::snapshot::shared::strs")]
    pub namespace: Arc<str>,
    pub uid: Uid,
    pub resource_version: u64,
    /// 0 when the kind has no generation (pods, nodes, namespaces, events).
    pub generation: i64,
    /// Absolute Unix milliseconds (virtual clock); 0 before the object is stored.
    pub creation_timestamp: Millis,
    #[serde(with = "crate::snapshot::shared::maps")]
    pub labels: Arc<StringMap>,
    #[serde(with = "crate::snapshot::shared::maps")]
    pub annotations: Arc<StringMap>,
    /// Shared: every pod of a ReplicaSet carries the same list.
    #[serde(with = "crate::snapshot::shared::owners")]
    pub owner_references: Arc<Vec<OwnerRef>>,
    /// What most objects never have (deletion, finalizers), out of line; read and write it
    /// through the accessors below.
    pub extra: Extra,
}

/// The rarely set metadata fields, boxed so that an object without them is 48 bytes smaller.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
struct MetaExtra {
    deletion_timestamp: Option<Millis>,
    deletion_grace_period_seconds: Option<i64>,
    finalizers: Vec<String>,
}

/// `None` and a box of defaults are the same metadata.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct Extra(Option<Box<MetaExtra>>);

impl PartialEq for Extra {
    fn eq(&self, other: &Self) -> bool {
        let default = MetaExtra::default();
        self.0.as_deref().unwrap_or(&default) == other.0.as_deref().unwrap_or(&default)
    }
}

impl Extra {
    fn get(&self) -> Option<&MetaExtra> {
        self.0.as_deref()
    }
    fn get_mut(&mut self) -> &mut MetaExtra {
        self.0.get_or_insert_with(Default::default)
    }
}

pub fn to_time(ms: Millis) -> Time {
    // Kubernetes timestamps carry whole seconds.
    Time(Timestamp::from_second(ms.div_euclid(1000)).unwrap_or(Timestamp::UNIX_EPOCH))
}

/// upstream: `time.RFC3339Nano` of a virtual instant (what annotations holding a time carry):
/// the fraction of a second only when there is one, without trailing zeros.
pub fn rfc3339_nano(ms: Millis) -> String {
    Timestamp::from_millisecond(ms).unwrap_or(Timestamp::UNIX_EPOCH).to_string()
}

pub fn from_time(t: &Time) -> Millis {
    t.0.as_millisecond()
}

impl Meta {
    /// Take the metadata of a decoded manifest. Server-owned fields (uid, resourceVersion,
    /// generation, timestamps) are kept so that `replace` can check them; `create` resets them.
    pub fn from_object_meta(m: ObjectMeta) -> Meta {
        let mut meta = Meta {
            name: m.name.unwrap_or_default().into(),
            namespace: m.namespace.unwrap_or_default().into(),
            uid: m.uid.as_deref().and_then(Uid::parse).unwrap_or_default(),
            resource_version: m.resource_version.as_deref().and_then(|s| s.parse().ok()).unwrap_or(0),
            generation: m.generation.unwrap_or(0),
            creation_timestamp: m.creation_timestamp.as_ref().map(from_time).unwrap_or(0),
            labels: Arc::new(string_map(m.labels)),
            annotations: Arc::new(string_map(m.annotations)),
            owner_references: Arc::new(
                m.owner_references.unwrap_or_default().into_iter().map(OwnerRef::from_wire).collect(),
            ),
            generate_name: m.generate_name.map(Arc::new),
            extra: Extra::default(),
        };
        meta.set_deletion_timestamp(m.deletion_timestamp.as_ref().map(from_time));
        meta.set_deletion_grace_period_seconds(m.deletion_grace_period_seconds);
        meta.set_finalizers(m.finalizers.unwrap_or_default());
        meta
    }

    pub fn generate_name(&self) -> Option<&str> {
        self.generate_name.as_deref().map(String::as_str)
    }
    pub fn deletion_timestamp(&self) -> Option<Millis> {
        self.extra.get().and_then(|e| e.deletion_timestamp)
    }
    pub fn set_deletion_timestamp(&mut self, v: Option<Millis>) {
        if v.is_some() || self.extra.get().is_some() {
            self.extra.get_mut().deletion_timestamp = v;
        }
    }
    pub fn deletion_grace_period_seconds(&self) -> Option<i64> {
        self.extra.get().and_then(|e| e.deletion_grace_period_seconds)
    }
    pub fn set_deletion_grace_period_seconds(&mut self, v: Option<i64>) {
        if v.is_some() || self.extra.get().is_some() {
            self.extra.get_mut().deletion_grace_period_seconds = v;
        }
    }
    pub fn finalizers(&self) -> &[String] {
        self.extra.get().map_or(&[], |e| e.finalizers.as_slice())
    }
    pub fn finalizers_mut(&mut self) -> &mut Vec<String> {
        &mut self.extra.get_mut().finalizers
    }
    pub fn set_finalizers(&mut self, v: Vec<String>) {
        if !v.is_empty() || self.extra.get().is_some() {
            self.extra.get_mut().finalizers = v;
        }
    }

    pub fn to_object_meta(&self) -> ObjectMeta {
        fn non_empty<T: Clone>(v: &[T]) -> Option<Vec<T>> {
            (!v.is_empty()).then(|| v.to_vec())
        }
        ObjectMeta {
            name: (!self.name.is_empty()).then(|| self.name.to_string()),
            generate_name: self.generate_name().map(|g| g.to_string()),
            namespace: (!self.namespace.is_empty()).then(|| self.namespace.to_string()),
            uid: (!self.uid.is_nil()).then(|| self.uid.to_string()),
            resource_version: (self.resource_version > 0).then(|| self.resource_version.to_string()),
            generation: (self.generation > 0).then_some(self.generation),
            creation_timestamp: (self.creation_timestamp != 0).then(|| to_time(self.creation_timestamp)),
            deletion_timestamp: self.deletion_timestamp().map(to_time),
            deletion_grace_period_seconds: self.deletion_grace_period_seconds(),
            labels: wire_map(&self.labels),
            annotations: wire_map(&self.annotations),
            owner_references: (!self.owner_references.is_empty())
                .then(|| self.owner_references.iter().map(OwnerRef::to_wire).collect()),
            finalizers: non_empty(self.finalizers()),
            managed_fields: None,
            self_link: None,
        }
    }

    /// The metadata as the API shows it, serialized from the stored fields: the value of
    /// [`Meta::to_object_meta`] (the same fields in k8s-openapi's order) without copying
    /// anything into an `ObjectMeta` first.
    pub fn wire(&self) -> MetaWire<'_> {
        MetaWire(self)
    }

    /// The owner reference with `controller: true`, if any.
    pub fn controller_ref(&self) -> Option<&OwnerRef> {
        self.owner_references.iter().find(|r| r.controller == Some(true))
    }
}

/// An ownerReference, compact: strings are shared `Arc`s and the uid is parsed.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OwnerRef {
    #[serde(with = "crate::snapshot::shared::strs")]
    pub api_version: Arc<str>,
    #[serde(with = "crate::snapshot::shared::strs")]
    pub kind: Arc<str>,
    pub name: Arc<str>,
    /// The uid as written; `Uid::default()` if it did not parse.
    pub uid: Uid,
    pub uid_text: Option<Arc<str>>,
    pub controller: Option<bool>,
    pub block_owner_deletion: Option<bool>,
}

impl OwnerRef {
    /// The controller reference a controller sets on what it creates or adopts.
    pub fn controller_of(kind: Kind, name: &Arc<str>, uid: Uid) -> OwnerRef {
        OwnerRef {
            api_version: kind.api_version().into(),
            kind: kind.name().into(),
            name: name.clone(),
            uid,
            uid_text: None,
            controller: Some(true),
            block_owner_deletion: Some(true),
        }
    }

    pub fn from_wire(r: OwnerReference) -> OwnerRef {
        let uid = Uid::parse(&r.uid);
        OwnerRef {
            api_version: r.api_version.into(),
            kind: r.kind.into(),
            name: r.name.into(),
            uid: uid.unwrap_or_default(),
            uid_text: if uid.is_some() { None } else { Some(r.uid.into()) },
            controller: r.controller,
            block_owner_deletion: r.block_owner_deletion,
        }
    }

    pub fn to_wire(&self) -> OwnerReference {
        OwnerReference {
            api_version: self.api_version.to_string(),
            kind: self.kind.to_string(),
            name: self.name.to_string(),
            uid: self.uid_text.as_deref().map(str::to_string).unwrap_or_else(|| self.uid.to_string()),
            controller: self.controller,
            block_owner_deletion: self.block_owner_deletion,
        }
    }
}

/// See [`Meta::wire`].
pub struct MetaWire<'a>(&'a Meta);

impl serde::Serialize for MetaWire<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let m = self.0;
        let created = (m.creation_timestamp != 0).then(|| to_time(m.creation_timestamp));
        let deleted = m.deletion_timestamp().map(to_time);
        let grace = m.deletion_grace_period_seconds();
        let mut version = itoa::Buffer::new();
        let resource_version = (m.resource_version > 0).then(|| version.format(m.resource_version));
        let uid = (!m.uid.is_nil()).then(|| m.uid.text());
        let present = [
            !m.annotations.is_empty(),
            created.is_some(),
            grace.is_some(),
            deleted.is_some(),
            !m.finalizers().is_empty(),
            m.generate_name.is_some(),
            m.generation > 0,
            !m.labels.is_empty(),
            !m.name.is_empty(),
            !m.namespace.is_empty(),
            !m.owner_references.is_empty(),
            resource_version.is_some(),
            uid.is_some(),
        ];
        // The fields of k8s-openapi's ObjectMeta in its order (managedFields and selfLink are
        // never set).
        let mut st = s.serialize_struct("ObjectMeta", present.iter().filter(|p| **p).count())?;
        if !m.annotations.is_empty() {
            st.serialize_field("annotations", &Sorted(&m.annotations))?;
        }
        if let Some(t) = &created {
            st.serialize_field("creationTimestamp", t)?;
        }
        if let Some(g) = &grace {
            st.serialize_field("deletionGracePeriodSeconds", g)?;
        }
        if let Some(t) = &deleted {
            st.serialize_field("deletionTimestamp", t)?;
        }
        if !m.finalizers().is_empty() {
            st.serialize_field("finalizers", m.finalizers())?;
        }
        if let Some(g) = m.generate_name() {
            st.serialize_field("generateName", g)?;
        }
        if m.generation > 0 {
            st.serialize_field("generation", &m.generation)?;
        }
        if !m.labels.is_empty() {
            st.serialize_field("labels", &Sorted(&m.labels))?;
        }
        if !m.name.is_empty() {
            st.serialize_field("name", &*m.name)?;
        }
        if !m.namespace.is_empty() {
            st.serialize_field("namespace", &*m.namespace)?;
        }
        if !m.owner_references.is_empty() {
            st.serialize_field("ownerReferences", &OwnersWire(&m.owner_references))?;
        }
        if let Some(v) = resource_version {
            st.serialize_field("resourceVersion", v)?;
        }
        if let Some(uid) = &uid {
            st.serialize_field("uid", &**uid)?;
        }
        st.end()
    }
}

/// A [`StringMap`] as a JSON object (its keys are kept sorted, as a wire map's are).
struct Sorted<'a>(&'a StringMap);

impl serde::Serialize for Sorted<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter())
    }
}

/// Owner references as [`OwnerRef::to_wire`] gives them, serialized in place.
struct OwnersWire<'a>(&'a [OwnerRef]);

impl serde::Serialize for OwnersWire<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(OwnerWire))
    }
}

struct OwnerWire<'a>(&'a OwnerRef);

impl serde::Serialize for OwnerWire<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let r = self.0;
        let parsed;
        let uid: &str = match r.uid_text.as_deref() {
            Some(text) => text,
            None => {
                parsed = r.uid.text();
                &parsed
            }
        };
        // k8s-openapi's OwnerReference, in its order.
        let n = 4 + usize::from(r.block_owner_deletion.is_some()) + usize::from(r.controller.is_some());
        let mut st = s.serialize_struct("OwnerReference", n)?;
        st.serialize_field("apiVersion", &*r.api_version)?;
        if let Some(b) = &r.block_owner_deletion {
            st.serialize_field("blockOwnerDeletion", b)?;
        }
        if let Some(c) = &r.controller {
            st.serialize_field("controller", c)?;
        }
        st.serialize_field("kind", &*r.kind)?;
        st.serialize_field("name", &*r.name)?;
        st.serialize_field("uid", uid)?;
        st.end()
    }
}
