//! What a snapshot writes once however often it is referenced: stored objects (held by the
//! store and its watch log), pod specs (shared by a ReplicaSet's pods and its template), label
//! and owner lists, namespace and node names, and the caller's series (Python callables).
//!
//! While a snapshot is written or read, a table per thread maps each shared value to its
//! number: the first reference writes the value, later ones its number. The reader meets the
//! references in the same order, so it rebuilds the same sharing (one `Arc` for one value).

use std::any::Any;
use std::cell::RefCell;
use std::marker::PhantomData;
use std::sync::Arc;

use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::metrics::Series;

/// A hashed map or set written in key order (as the B-trees it replaced wrote it), so that the
/// same state writes the same bytes however its table grew, and whatever order std's hasher
/// drew for it.
pub struct Sorted<'a, T>(pub &'a T);

impl<K: Ord + Serialize, V: Serialize, H> Serialize for Sorted<'_, std::collections::HashMap<K, V, H>> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        sorted_map(self.0, s)
    }
}

impl<K: Ord + Serialize, H> Serialize for Sorted<'_, std::collections::HashSet<K, H>> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut keys: Vec<&K> = self.0.iter().collect();
        keys.sort_unstable();
        s.collect_seq(keys)
    }
}

/// [`Sorted`] as a field's `serialize_with`.
pub fn sorted_map<K: Ord + Serialize, V: Serialize, H, S: Serializer>(
    map: &std::collections::HashMap<K, V, H>,
    s: S,
) -> Result<S::Ok, S::Error> {
    let mut entries: Vec<(&K, &V)> = map.iter().collect();
    entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
    s.collect_map(entries)
}

/// One kind of shared value: how it is written in full and read back.
pub trait Codec: 'static {
    type Value: ?Sized + 'static;
    /// Which table (unique per codec).
    const TABLE: usize;
    fn write<S: Serializer>(v: &Self::Value, s: S) -> Result<S::Ok, S::Error>;
    fn read<'de, D: Deserializer<'de>>(d: D) -> Result<Arc<Self::Value>, D::Error>;
}

const TABLES: usize = 8;

#[derive(Default)]
struct Writing {
    numbers: rustc_hash::FxHashMap<(usize, usize), u32>,
    counts: [u32; TABLES],
    series: Vec<Arc<dyn Series>>,
}

struct Reading {
    tables: Vec<Option<Box<dyn Any>>>,
    series: Vec<Arc<dyn Series>>,
    threads: usize,
}

thread_local! {
    static WRITING: RefCell<Option<Writing>> = const { RefCell::new(None) };
    static READING: RefCell<Option<Reading>> = const { RefCell::new(None) };
}

/// Run `f` (which serializes a snapshot) with fresh tables; returns its result and the series
/// it met, in the order of their numbers.
pub fn writing<T>(f: impl FnOnce() -> T) -> (T, Vec<Arc<dyn Series>>) {
    let outer = WRITING.with(|w| w.borrow_mut().replace(Writing::default()));
    let out = f();
    let done = WRITING.with(|w| std::mem::replace(&mut *w.borrow_mut(), outer));
    (out, done.map(|w| w.series).unwrap_or_default())
}

/// Run `f` (which deserializes a snapshot) with fresh tables; `series` are the caller's series
/// by number (as [`writing`] returned them); `threads` is how many threads the loaded cluster
/// may use (rebuilding its indexes side by side).
pub fn reading<T>(series: Vec<Arc<dyn Series>>, threads: usize, f: impl FnOnce() -> T) -> T {
    let fresh = Reading { tables: (0..TABLES).map(|_| None).collect(), series, threads };
    let outer = READING.with(|r| r.borrow_mut().replace(fresh));
    let out = f();
    READING.with(|r| *r.borrow_mut() = outer);
    out
}

/// The threads the snapshot being read may use (1 outside [`reading`]).
pub fn threads() -> usize {
    READING.with(|r| r.borrow().as_ref().map_or(1, |r| r.threads))
}

/// The number of an already written value, or `None` after giving it the next number.
fn number_of<C: Codec>(v: &Arc<C::Value>) -> Option<u32> {
    let ptr = Arc::as_ptr(v) as *const () as usize;
    WRITING.with(|w| {
        let mut w = w.borrow_mut();
        let w = w.as_mut()?;
        if let Some(&n) = w.numbers.get(&(C::TABLE, ptr)) {
            return Some(n);
        }
        let n = w.counts[C::TABLE];
        w.counts[C::TABLE] += 1;
        w.numbers.insert((C::TABLE, ptr), n);
        None
    })
}

fn with_table<C: Codec, T>(f: impl FnOnce(&mut Vec<Arc<C::Value>>) -> T) -> Option<T> {
    READING.with(|r| {
        let mut r = r.borrow_mut();
        let slot = r.as_mut()?.tables.get_mut(C::TABLE)?;
        let table = slot.get_or_insert_with(|| Box::new(Vec::<Arc<C::Value>>::new()));
        table.downcast_mut::<Vec<Arc<C::Value>>>().map(f)
    })
}

struct Full<'a, C: Codec>(&'a C::Value, PhantomData<C>);

impl<C: Codec> Serialize for Full<'_, C> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        C::write(self.0, s)
    }
}

struct Read<C: Codec>(Arc<C::Value>);

impl<'de, C: Codec> Deserialize<'de> for Read<C> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        C::read(d).map(Read)
    }
}

#[derive(Serialize)]
#[serde(bound = "")]
enum Out<'a, C: Codec> {
    New(Full<'a, C>),
    Seen(u32),
}

#[derive(Deserialize)]
#[serde(bound = "")]
enum In<C: Codec> {
    New(Read<C>),
    Seen(u32),
}

pub fn serialize<C: Codec, S: Serializer>(v: &Arc<C::Value>, s: S) -> Result<S::Ok, S::Error> {
    match number_of::<C>(v) {
        Some(n) => Out::<C>::Seen(n).serialize(s),
        None => Out::<C>::New(Full(&**v, PhantomData)).serialize(s),
    }
}

pub fn deserialize<'de, C: Codec, D: Deserializer<'de>>(d: D) -> Result<Arc<C::Value>, D::Error> {
    match In::<C>::deserialize(d)? {
        In::New(Read(v)) => {
            with_table::<C, _>(|t| t.push(v.clone())).ok_or_else(|| D::Error::custom("no snapshot being read"))?;
            Ok(v)
        }
        In::Seen(n) => with_table::<C, _>(|t| t.get(n as usize).cloned())
            .flatten()
            .ok_or_else(|| D::Error::custom(format!("reference to shared value {n} before it was written"))),
    }
}

/// `#[serde(with = "…")]` modules for one codec, over `Arc<Value>` and `Option<Arc<Value>>`.
macro_rules! codec_module {
    ($module:ident, $codec:ty) => {
        pub mod $module {
            use super::*;
            pub fn serialize<S: Serializer>(v: &Arc<<$codec as Codec>::Value>, s: S) -> Result<S::Ok, S::Error> {
                super::serialize::<$codec, S>(v, s)
            }
            pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Arc<<$codec as Codec>::Value>, D::Error> {
                super::deserialize::<$codec, D>(d)
            }
            pub mod option {
                use super::*;
                #[derive(Serialize)]
                struct W<'a>(#[serde(with = "super")] &'a Arc<<$codec as Codec>::Value>);
                #[derive(Deserialize)]
                struct R(#[serde(with = "super")] Arc<<$codec as Codec>::Value>);
                pub fn serialize<S: Serializer>(
                    v: &Option<Arc<<$codec as Codec>::Value>>,
                    s: S,
                ) -> Result<S::Ok, S::Error> {
                    v.as_ref().map(W).serialize(s)
                }
                pub fn deserialize<'de, D: Deserializer<'de>>(
                    d: D,
                ) -> Result<Option<Arc<<$codec as Codec>::Value>>, D::Error> {
                    Ok(Option::<R>::deserialize(d)?.map(|r| r.0))
                }
            }
        }
    };
}

/// A wire (k8s-openapi) value as its JSON: those types serialize for self-describing formats
/// only (they skip absent fields), so inside the binary snapshot they are JSON bytes.
pub mod wire {
    use super::*;
    pub fn serialize<T: Serialize, S: Serializer>(v: &T, s: S) -> Result<S::Ok, S::Error> {
        let bytes = serde_json::to_vec(v).map_err(serde::ser::Error::custom)?;
        s.serialize_bytes(&bytes)
    }
    pub fn deserialize<'de, T: DeserializeOwned, D: Deserializer<'de>>(d: D) -> Result<T, D::Error> {
        with_bytes(d, |b| serde_json::from_slice(b).map_err(|e| e.to_string()))
    }

    /// `f` over the bytes `d` holds (borrowed from the input when it can).
    pub fn with_bytes<'de, T, D: Deserializer<'de>>(
        d: D,
        f: impl FnOnce(&[u8]) -> Result<T, String>,
    ) -> Result<T, D::Error> {
        struct Visit<F>(F);
        impl<'de, T, F: FnOnce(&[u8]) -> Result<T, String>> serde::de::Visitor<'de> for Visit<F> {
            type Value = T;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("JSON bytes")
            }
            fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> Result<T, E> {
                (self.0)(v).map_err(E::custom)
            }
        }
        d.deserialize_bytes(Visit(f))
    }
}

/// A `&'static str` (a reason from the code's own tables): read back as the one leaked copy
/// per distinct text, so a process reading many snapshots leaks each reason once.
pub mod static_str {
    use super::*;
    use std::collections::HashSet;
    use std::sync::{Mutex, OnceLock};

    pub fn leak(s: &str) -> &'static str {
        static TEXTS: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
        let mut texts = TEXTS.get_or_init(Default::default).lock().unwrap_or_else(|e| e.into_inner());
        if let Some(t) = texts.get(s) {
            return t;
        }
        let t: &'static str = Box::leak(s.to_string().into_boxed_str());
        texts.insert(t);
        t
    }
    pub fn serialize<S: Serializer>(v: &&'static str, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(v)
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<&'static str, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Ok(leak(&s))
    }
    pub mod option {
        use super::*;
        pub fn serialize<S: Serializer>(v: &Option<&'static str>, s: S) -> Result<S::Ok, S::Error> {
            v.serialize(s)
        }
        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<&'static str>, D::Error> {
            let s = Option::<std::borrow::Cow<'de, str>>::deserialize(d)?;
            Ok(s.map(|s| leak(&s)))
        }
    }
}

pub struct PodSpecs;
impl Codec for PodSpecs {
    type Value = k8s_openapi::api::core::v1::PodSpec;
    const TABLE: usize = 0;
    fn write<S: Serializer>(v: &Self::Value, s: S) -> Result<S::Ok, S::Error> {
        wire::serialize(v, s)
    }
    /// Read through the templates' interner, so that templates created later share it.
    fn read<'de, D: Deserializer<'de>>(d: D) -> Result<Arc<Self::Value>, D::Error> {
        wire::with_bytes(d, |json| {
            let text = std::str::from_utf8(json).map_err(|e| e.to_string())?;
            let spec = serde_json::from_str(text).map_err(|e| e.to_string())?;
            Ok(crate::api::template::intern_spec(spec, text))
        })
    }
}

pub struct Objects;
impl Codec for Objects {
    type Value = crate::api::Object;
    const TABLE: usize = 1;
    fn write<S: Serializer>(v: &Self::Value, s: S) -> Result<S::Ok, S::Error> {
        v.serialize(s)
    }
    fn read<'de, D: Deserializer<'de>>(d: D) -> Result<Arc<Self::Value>, D::Error> {
        crate::api::Object::deserialize(d).map(Arc::new)
    }
}

pub struct Maps;
impl Codec for Maps {
    type Value = crate::api::meta::StringMap;
    const TABLE: usize = 2;
    fn write<S: Serializer>(v: &Self::Value, s: S) -> Result<S::Ok, S::Error> {
        v.serialize(s)
    }
    fn read<'de, D: Deserializer<'de>>(d: D) -> Result<Arc<Self::Value>, D::Error> {
        Self::Value::deserialize(d).map(Arc::new)
    }
}

pub struct Owners;
impl Codec for Owners {
    type Value = Vec<crate::api::OwnerRef>;
    const TABLE: usize = 3;
    fn write<S: Serializer>(v: &Self::Value, s: S) -> Result<S::Ok, S::Error> {
        v.serialize(s)
    }
    fn read<'de, D: Deserializer<'de>>(d: D) -> Result<Arc<Self::Value>, D::Error> {
        Self::Value::deserialize(d).map(Arc::new)
    }
}

/// Namespaces, node names and other strings many values share (not object names: each is
/// its own, and numbering them would only cost).
pub struct Strs;
impl Codec for Strs {
    type Value = str;
    const TABLE: usize = 4;
    fn write<S: Serializer>(v: &str, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(v)
    }
    fn read<'de, D: Deserializer<'de>>(d: D) -> Result<Arc<str>, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Ok(Arc::from(&*s))
    }
}

pub struct Strings;
impl Codec for Strings {
    type Value = String;
    const TABLE: usize = 5;
    fn write<S: Serializer>(v: &String, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(v)
    }
    fn read<'de, D: Deserializer<'de>>(d: D) -> Result<Arc<String>, D::Error> {
        String::deserialize(d).map(Arc::new)
    }
}

/// The caller's series: written as their number in the list [`writing`] returns, read from
/// the list given to [`reading`].
pub mod series {
    use super::*;
    pub fn serialize<S: Serializer>(v: &Arc<dyn Series>, s: S) -> Result<S::Ok, S::Error> {
        let ptr = Arc::as_ptr(v) as *const () as usize;
        let n = WRITING.with(|w| {
            let mut w = w.borrow_mut();
            let w = w.as_mut()?;
            let next = w.series.len() as u32;
            let n = *w.numbers.entry((TABLES, ptr)).or_insert(next);
            if n == next {
                w.series.push(v.clone());
            }
            Some(n)
        });
        n.ok_or_else(|| serde::ser::Error::custom("no snapshot being written"))?.serialize(s)
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Arc<dyn Series>, D::Error> {
        let n = u32::deserialize(d)?;
        READING
            .with(|r| r.borrow().as_ref().and_then(|r| r.series.get(n as usize).cloned()))
            .ok_or_else(|| D::Error::custom(format!("the snapshot refers to load callable {n}, which was not given")))
    }
}

codec_module!(pod_specs, PodSpecs);
codec_module!(objects, Objects);
codec_module!(maps, Maps);
codec_module!(owners, Owners);
codec_module!(strs, Strs);
codec_module!(strings, Strings);
