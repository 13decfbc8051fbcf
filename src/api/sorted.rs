//! Objects as JSON-shaped values with every map's keys sorted, built straight from the wire
//! structs by a serde `Serializer` (and from stored JSON text by a serde `Visitor`) into any
//! [`Build`]er: Python objects (src/py/), or a [`Tree`] that kubectl's `-o json` writes. This is
//! what `serde_json::to_value` gives (its map is a B-tree: sorted keys, a later duplicate wins,
//! a non-finite float is null), without a B-tree node and a `String` per key on the way.

use std::borrow::Cow;
use std::fmt;
use std::hash::BuildHasher;
use std::sync::Arc;

use parking_lot::Mutex;
use rustc_hash::FxBuildHasher;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde::ser::{self, Serialize, Serializer};

use super::Object;

/// A map key: a wire struct's field name, or a map's own key (labels, annotations, …).
pub type Key = Cow<'static, str>;

/// Makes values of some output from what the serializer reads.
pub trait Build {
    type Out;
    type Error;
    fn null(&mut self) -> Self::Out;
    fn bool(&mut self, v: bool) -> Self::Out;
    fn int(&mut self, v: i64) -> Self::Out;
    fn uint(&mut self, v: u64) -> Self::Out;
    /// A finite float (a non-finite one is [`Build::null`]).
    fn float(&mut self, v: f64) -> Self::Out;
    fn str(&mut self, v: &str) -> Self::Out;
    fn list(&mut self, items: Vec<Self::Out>) -> Result<Self::Out, Self::Error>;
    /// A map of `entries`, sorted by key, each key once.
    fn map(&mut self, entries: Vec<(Key, Self::Out)>) -> Result<Self::Out, Self::Error>;
    /// `value` put under `key` in the map at `path` (keys from the top), if there is one; the
    /// key sorts after the keys that map holds.
    fn append_at(
        &mut self,
        top: &mut Self::Out,
        path: &[&str],
        key: &'static str,
        value: Self::Out,
    ) -> Result<(), Self::Error>;
    /// The value of stored JSON text that many objects share (a workload's interned pod
    /// template spec, see [`Object::template_spec_json`]): [`json_text`] unless the builder
    /// keeps what it made from the same text before.
    fn shared_text(&mut self, text: &Arc<str>) -> Result<Self::Out, Error<Self::Error>>
    where
        Self: Sized,
        Self::Error: fmt::Debug,
    {
        json_text(self, text)
    }
}

/// Values made from shared stored text (see [`Build::shared_text`]), found by the text's
/// allocation in a table of `SHARED_SLOTS` slots: a text's slot holds the value made last from
/// it, until another text that hashes to the slot replaces it. An entry holds its text, so the
/// allocation cannot be freed and reused for another text while the entry is there; the table
/// keeps at most `SHARED_SLOTS` texts alive that nothing else holds.
pub struct SharedTexts<V> {
    slots: Vec<Option<(Arc<str>, V)>>,
}

const SHARED_SLOTS: usize = 256;

impl<V> SharedTexts<V> {
    pub const fn new() -> Self {
        SharedTexts { slots: Vec::new() }
    }

    /// The slot `text` is kept in.
    fn slot_of(text: &Arc<str>) -> usize {
        FxBuildHasher.hash_one(Arc::as_ptr(text) as *const u8 as usize) as usize % SHARED_SLOTS
    }

    /// The value kept for `text`, made by `make` (and kept) if the table has none.
    pub fn get_or_make<E>(&mut self, text: &Arc<str>, make: impl FnOnce() -> Result<V, E>) -> Result<&V, E> {
        if self.slots.is_empty() {
            self.slots.resize_with(SHARED_SLOTS, || None);
        }
        let slot = &mut self.slots[Self::slot_of(text)];
        if !matches!(slot, Some((kept, _)) if Arc::ptr_eq(kept, text)) {
            *slot = None;
        }
        let (_, value) = match slot {
            Some(entry) => entry,
            None => slot.insert((text.clone(), make()?)),
        };
        Ok(value)
    }

    /// `then` of the value `table` keeps for `text` (made by `make` and kept if it has none).
    /// When the table is held (by another thread, or by this one in a finalizer run while it
    /// makes a value), `then` gets a value made for this call alone: the same answer.
    pub fn through<T, E>(
        table: &Mutex<SharedTexts<V>>,
        text: &Arc<str>,
        make: impl FnOnce() -> Result<V, E>,
        then: impl FnOnce(&V) -> Result<T, E>,
    ) -> Result<T, E> {
        match table.try_lock() {
            Some(mut kept) => then(kept.get_or_make(text, make)?),
            None => then(&make()?),
        }
    }
}

impl<V> Default for SharedTexts<V> {
    fn default() -> Self {
        Self::new()
    }
}

/// The builder's error, or a value serde cannot make JSON of (a map key that is not a string).
#[derive(Debug)]
pub enum Error<E> {
    Build(E),
    Invalid(String),
}

impl<E: fmt::Debug> fmt::Display for Error<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Build(e) => write!(f, "{e:?}"),
            Error::Invalid(m) => f.write_str(m),
        }
    }
}

impl<E: fmt::Debug> std::error::Error for Error<E> {}

impl<E: fmt::Debug> ser::Error for Error<E> {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Error::Invalid(msg.to_string())
    }
}

/// The object as the API server shows it (see [`Object::wire`]).
pub fn object<B: Build>(b: &mut B, obj: &Object) -> Result<B::Out, Error<B::Error>>
where
    B::Error: fmt::Debug,
{
    let mut top = obj.wire().serialize(Ser(&mut *b))?;
    if let Some(text) = obj.template_spec_json() {
        let spec = b.shared_text(text)?;
        // `spec.template` holds only `metadata`, which sorts before `spec`.
        b.append_at(&mut top, &["spec", "template"], "spec", spec).map_err(Error::Build)?;
    }
    Ok(top)
}

/// Any serializable value (a part of an object's JSON value, …).
pub fn value<B: Build, T: Serialize + ?Sized>(b: &mut B, value: &T) -> Result<B::Out, Error<B::Error>>
where
    B::Error: fmt::Debug,
{
    value.serialize(Ser(b))
}

/// A JSON value with its maps as sorted vectors: what kubectl's `-o json` writes, serialized
/// with the calls `serde_json::Value` makes, so the text is the same byte for byte.
#[derive(Clone, Debug, PartialEq)]
pub enum Tree {
    Null,
    Bool(bool),
    Int(i64),
    Uint(u64),
    Float(f64),
    Str(String),
    List(Vec<Tree>),
    Map(Vec<(Key, Tree)>),
    /// A value shared with other trees (a workload's pod template spec, see
    /// [`Build::shared_text`]).
    Shared(Arc<Tree>),
}

impl Serialize for Tree {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Tree::Null => s.serialize_unit(),
            Tree::Bool(b) => s.serialize_bool(*b),
            // As serde_json's number: a non-negative integer is a u64, a negative one an i64.
            Tree::Int(i) if *i >= 0 => s.serialize_u64(*i as u64),
            Tree::Int(i) => s.serialize_i64(*i),
            Tree::Uint(u) => s.serialize_u64(*u),
            Tree::Float(f) => s.serialize_f64(*f),
            Tree::Str(t) => s.serialize_str(t),
            Tree::List(items) => s.collect_seq(items),
            Tree::Map(entries) => s.collect_map(entries.iter().map(|(k, v)| (k.as_ref(), v))),
            Tree::Shared(tree) => tree.serialize(s),
        }
    }
}

impl Tree {
    /// The tree as JSON text indented by four spaces a level, starting at `depth` levels (the
    /// first line is not indented): byte for byte what serde_json's `PrettyFormatter` with a
    /// four-space indent writes, as kubectl's `-o json` prints it, without serde's calls per
    /// token.
    pub fn write_pretty(&self, out: &mut Vec<u8>, depth: usize) {
        match self {
            Tree::Null => out.extend_from_slice(b"null"),
            Tree::Bool(true) => out.extend_from_slice(b"true"),
            Tree::Bool(false) => out.extend_from_slice(b"false"),
            Tree::Int(i) => out.extend_from_slice(itoa::Buffer::new().format(*i).as_bytes()),
            Tree::Uint(u) => out.extend_from_slice(itoa::Buffer::new().format(*u).as_bytes()),
            // As serde_json writes a float (ryu); a tree holds only finite ones.
            Tree::Float(f) => {
                let _ = serde_json::to_writer(&mut *out, f);
            }
            Tree::Str(t) => write_json_str(out, t),
            Tree::List(items) if items.is_empty() => out.extend_from_slice(b"[]"),
            Tree::List(items) => {
                out.push(b'[');
                for (i, item) in items.iter().enumerate() {
                    out.extend_from_slice(if i == 0 { b"\n" } else { b",\n" });
                    write_indent(out, depth + 1);
                    item.write_pretty(out, depth + 1);
                }
                out.push(b'\n');
                write_indent(out, depth);
                out.push(b']');
            }
            Tree::Map(entries) if entries.is_empty() => out.extend_from_slice(b"{}"),
            Tree::Map(entries) => {
                out.push(b'{');
                for (i, (key, value)) in entries.iter().enumerate() {
                    out.extend_from_slice(if i == 0 { b"\n" } else { b",\n" });
                    write_indent(out, depth + 1);
                    write_json_str(out, key);
                    out.extend_from_slice(b": ");
                    value.write_pretty(out, depth + 1);
                }
                out.push(b'\n');
                write_indent(out, depth);
                out.push(b'}');
            }
            Tree::Shared(tree) => tree.write_pretty(out, depth),
        }
    }
}

/// Four spaces a level, written a run at a time.
pub fn write_indent(out: &mut Vec<u8>, depth: usize) {
    const SPACES: &[u8; 64] = &[b' '; 64];
    let mut n = depth * 4;
    while n > 0 {
        let run = n.min(SPACES.len());
        out.extend_from_slice(&SPACES[..run]);
        n -= run;
    }
}

/// A JSON string as serde_json writes it: `"` and `\\` escaped, the control characters as
/// `\b \t \n \f \r` or `\u00xx` (lower-case hex), everything else (non-ASCII too) as it is.
pub fn write_json_str(out: &mut Vec<u8>, text: &str) {
    /// For each byte, 0 if it stands as it is, else the letter after its backslash (`u`: the
    /// `\u00xx` form).
    const ESCAPE: [u8; 256] = {
        let mut table = [0u8; 256];
        let mut b = 0;
        while b < 0x20 {
            table[b] = b'u';
            b += 1;
        }
        table[0x08] = b'b';
        table[b'\t' as usize] = b't';
        table[b'\n' as usize] = b'n';
        table[0x0c] = b'f';
        table[b'\r' as usize] = b'r';
        table[b'"' as usize] = b'"';
        table[b'\\' as usize] = b'\\';
        table
    };
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    let bytes = text.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escape = ESCAPE[usize::from(b)];
        if escape == 0 {
            continue;
        }
        out.extend_from_slice(&bytes[start..i]);
        match escape {
            b'u' => {
                out.extend_from_slice(&[b'\\', b'u', b'0', b'0', HEX[usize::from(b >> 4)], HEX[usize::from(b & 0xf)]])
            }
            letter => out.extend_from_slice(&[b'\\', letter]),
        }
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// Builds [`Tree`]s.
pub struct TreeBuild;

impl Build for TreeBuild {
    type Out = Tree;
    type Error = std::convert::Infallible;
    fn null(&mut self) -> Tree {
        Tree::Null
    }
    fn bool(&mut self, v: bool) -> Tree {
        Tree::Bool(v)
    }
    fn int(&mut self, v: i64) -> Tree {
        Tree::Int(v)
    }
    fn uint(&mut self, v: u64) -> Tree {
        Tree::Uint(v)
    }
    fn float(&mut self, v: f64) -> Tree {
        Tree::Float(v)
    }
    fn str(&mut self, v: &str) -> Tree {
        Tree::Str(v.to_string())
    }
    fn list(&mut self, items: Vec<Tree>) -> Result<Tree, Self::Error> {
        Ok(Tree::List(items))
    }
    fn map(&mut self, entries: Vec<(Key, Tree)>) -> Result<Tree, Self::Error> {
        Ok(Tree::Map(entries))
    }
    fn append_at(&mut self, top: &mut Tree, path: &[&str], key: &'static str, value: Tree) -> Result<(), Self::Error> {
        let at = path.iter().try_fold(top, |t, step| match t {
            Tree::Map(entries) => entries.iter_mut().find(|(k, _)| k == step).map(|(_, v)| v),
            _ => None,
        });
        if let Some(Tree::Map(entries)) = at {
            entries.push((Cow::Borrowed(key), value));
        }
        Ok(())
    }
    fn shared_text(&mut self, text: &Arc<str>) -> Result<Tree, Error<Self::Error>> {
        static TREES: Mutex<SharedTexts<Arc<Tree>>> = Mutex::new(SharedTexts::new());
        let make = || json_text(&mut TreeBuild, text).map(Arc::new);
        SharedTexts::through(&TREES, text, make, |tree| Ok(Tree::Shared(tree.clone())))
    }
}

/// The object as a [`Tree`] (kubectl's `-o json` of it).
pub fn object_tree(obj: &Object) -> Tree {
    // Building a tree cannot fail, and the wire structs are JSON (string keys).
    object(&mut TreeBuild, obj).unwrap_or(Tree::Null)
}

struct Ser<'b, B>(&'b mut B);

/// A list being made.
pub struct Seq<'b, B: Build> {
    b: &'b mut B,
    items: Vec<B::Out>,
    /// Set for an enum's tuple variant: the list goes in a one-key map under this name.
    variant: Option<&'static str>,
}

/// A map being made: entries are gathered, then sorted by key.
pub struct Map<'b, B: Build> {
    b: &'b mut B,
    entries: Vec<(Key, B::Out)>,
    key: Option<Key>,
    variant: Option<&'static str>,
}

/// Entries sorted by key, a later duplicate winning (as in a B-tree map).
fn sorted<V>(mut entries: Vec<(Key, V)>) -> Vec<(Key, V)> {
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    if entries.windows(2).any(|w| w[0].0 == w[1].0) {
        let mut kept: Vec<(Key, V)> = Vec::with_capacity(entries.len());
        for (k, v) in entries {
            match kept.last_mut() {
                Some(last) if last.0 == k => last.1 = v,
                _ => kept.push((k, v)),
            }
        }
        return kept;
    }
    entries
}

fn map_of<B: Build>(b: &mut B, entries: Vec<(Key, B::Out)>) -> Result<B::Out, Error<B::Error>> {
    b.map(sorted(entries)).map_err(Error::Build)
}

fn variant_of<B: Build>(b: &mut B, variant: Option<&'static str>, v: B::Out) -> Result<B::Out, Error<B::Error>> {
    match variant {
        Some(name) => map_of(b, vec![(Cow::Borrowed(name), v)]),
        None => Ok(v),
    }
}

macro_rules! small_int {
    ($($method:ident: $t:ty),*) => {
        $(fn $method(self, v: $t) -> Result<B::Out, Self::Error> {
            Ok(self.0.int(v.into()))
        })*
    };
}

impl<'b, B: Build> Serializer for Ser<'b, B>
where
    B::Error: fmt::Debug,
{
    type Ok = B::Out;
    type Error = Error<B::Error>;
    type SerializeSeq = Seq<'b, B>;
    type SerializeTuple = Seq<'b, B>;
    type SerializeTupleStruct = Seq<'b, B>;
    type SerializeTupleVariant = Seq<'b, B>;
    type SerializeMap = Map<'b, B>;
    type SerializeStruct = Map<'b, B>;
    type SerializeStructVariant = Map<'b, B>;

    fn serialize_bool(self, v: bool) -> Result<B::Out, Self::Error> {
        Ok(self.0.bool(v))
    }
    small_int!(serialize_i8: i8, serialize_i16: i16, serialize_i32: i32);
    small_int!(serialize_u8: u8, serialize_u16: u16, serialize_u32: u32);
    fn serialize_i64(self, v: i64) -> Result<B::Out, Self::Error> {
        Ok(self.0.int(v))
    }
    fn serialize_i128(self, v: i128) -> Result<B::Out, Self::Error> {
        match (i64::try_from(v), u64::try_from(v)) {
            (Ok(i), _) => Ok(self.0.int(i)),
            (_, Ok(u)) => Ok(self.0.uint(u)),
            _ => Err(ser::Error::custom("number out of range")),
        }
    }
    fn serialize_u64(self, v: u64) -> Result<B::Out, Self::Error> {
        Ok(self.0.uint(v))
    }
    fn serialize_u128(self, v: u128) -> Result<B::Out, Self::Error> {
        u64::try_from(v).map(|u| self.0.uint(u)).map_err(|_| ser::Error::custom("number out of range"))
    }
    fn serialize_f32(self, v: f32) -> Result<B::Out, Self::Error> {
        self.serialize_f64(v.into())
    }
    fn serialize_f64(self, v: f64) -> Result<B::Out, Self::Error> {
        Ok(if v.is_finite() { self.0.float(v) } else { self.0.null() })
    }
    fn serialize_char(self, v: char) -> Result<B::Out, Self::Error> {
        Ok(self.0.str(v.encode_utf8(&mut [0; 4])))
    }
    fn serialize_str(self, v: &str) -> Result<B::Out, Self::Error> {
        Ok(self.0.str(v))
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<B::Out, Self::Error> {
        // As serde_json's value: an array of numbers.
        let items = v.iter().map(|b| self.0.int((*b).into())).collect();
        self.0.list(items).map_err(Error::Build)
    }
    fn serialize_none(self) -> Result<B::Out, Self::Error> {
        Ok(self.0.null())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<B::Out, Self::Error> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<B::Out, Self::Error> {
        Ok(self.0.null())
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<B::Out, Self::Error> {
        Ok(self.0.null())
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _i: u32,
        variant: &'static str,
    ) -> Result<B::Out, Self::Error> {
        Ok(self.0.str(variant))
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<B::Out, Self::Error> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _i: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<B::Out, Self::Error> {
        let inner = value.serialize(Ser(&mut *self.0))?;
        variant_of(self.0, Some(variant), inner)
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<Seq<'b, B>, Self::Error> {
        Ok(Seq { b: self.0, items: Vec::with_capacity(len.unwrap_or(0)), variant: None })
    }
    fn serialize_tuple(self, len: usize) -> Result<Seq<'b, B>, Self::Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(self, _name: &'static str, len: usize) -> Result<Seq<'b, B>, Self::Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _i: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Seq<'b, B>, Self::Error> {
        Ok(Seq { b: self.0, items: Vec::with_capacity(len), variant: Some(variant) })
    }
    fn serialize_map(self, len: Option<usize>) -> Result<Map<'b, B>, Self::Error> {
        Ok(Map { b: self.0, entries: Vec::with_capacity(len.unwrap_or(0)), key: None, variant: None })
    }
    fn serialize_struct(self, _name: &'static str, len: usize) -> Result<Map<'b, B>, Self::Error> {
        self.serialize_map(Some(len))
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _i: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Map<'b, B>, Self::Error> {
        Ok(Map { b: self.0, entries: Vec::with_capacity(len), key: None, variant: Some(variant) })
    }
}

macro_rules! seq_impl {
    ($trait:ident, $method:ident) => {
        impl<B: Build> ser::$trait for Seq<'_, B>
        where
            B::Error: fmt::Debug,
        {
            type Ok = B::Out;
            type Error = Error<B::Error>;
            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Self::Error> {
                self.items.push(value.serialize(Ser(&mut *self.b))?);
                Ok(())
            }
            fn end(self) -> Result<B::Out, Self::Error> {
                let list = self.b.list(self.items).map_err(Error::Build)?;
                variant_of(self.b, self.variant, list)
            }
        }
    };
}
seq_impl!(SerializeSeq, serialize_element);
seq_impl!(SerializeTuple, serialize_element);
seq_impl!(SerializeTupleStruct, serialize_field);
seq_impl!(SerializeTupleVariant, serialize_field);

impl<B: Build> ser::SerializeMap for Map<'_, B>
where
    B::Error: fmt::Debug,
{
    type Ok = B::Out;
    type Error = Error<B::Error>;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Self::Error> {
        self.key = Some(Cow::Owned(key.serialize(KeyText)?));
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Self::Error> {
        let key = self.key.take().ok_or_else(|| Error::Invalid("a map value without its key".into()))?;
        self.entries.push((key, value.serialize(Ser(&mut *self.b))?));
        Ok(())
    }
    fn end(self) -> Result<B::Out, Self::Error> {
        let map = map_of(self.b, self.entries)?;
        variant_of(self.b, self.variant, map)
    }
}

macro_rules! struct_impl {
    ($trait:ident) => {
        impl<B: Build> ser::$trait for Map<'_, B>
        where
            B::Error: fmt::Debug,
        {
            type Ok = B::Out;
            type Error = Error<B::Error>;
            fn serialize_field<T: Serialize + ?Sized>(
                &mut self,
                key: &'static str,
                value: &T,
            ) -> Result<(), Self::Error> {
                self.entries.push((Cow::Borrowed(key), field_value(&mut *self.b, value)?));
                Ok(())
            }
            fn end(self) -> Result<B::Out, Self::Error> {
                let map = map_of(self.b, self.entries)?;
                variant_of(self.b, self.variant, map)
            }
        }
    };
}
struct_impl!(SerializeStruct);
struct_impl!(SerializeStructVariant);

/// A struct field's value. A Kubernetes `Time` is made from its text, written here: its own
/// `Serialize` writes it through jiff's strftime, which costs about 2,000 instructions a time (a
/// Deployment shows five, a pod eight), and the text is the same.
fn field_value<B: Build, T: Serialize + ?Sized>(b: &mut B, value: &T) -> Result<B::Out, Error<B::Error>>
where
    B::Error: fmt::Debug,
{
    if let Some(text) = as_time(value).and_then(time_text) {
        return Ok(b.str(text.as_str()));
    }
    value.serialize(Ser(b))
}

/// `value` as a `Time`, if that is its type.
fn as_time<T: ?Sized>(value: &T) -> Option<&Time> {
    if typeid::of::<T>() != typeid::of::<Time>() {
        return None;
    }
    // SAFETY: `T` is `Time` (the same type id, and `Time` has no lifetimes), so the pointer
    // points at a `Time`; it keeps the borrow's lifetime.
    Some(unsafe { &*(value as *const T as *const Time) })
}

/// A `Time`'s text as its `Serialize` writes it (`%Y-%m-%dT%H:%M:%SZ`, UTC, the fraction of a
/// second dropped), for years 0 to 9999 (four digits); `None` for others (left to it).
pub fn time_text(t: &Time) -> Option<TimeText> {
    let at = k8s_openapi::jiff::tz::Offset::UTC.to_datetime(t.0);
    let year = u16::try_from(at.year()).ok().filter(|y| *y <= 9999)?;
    let mut text = *b"0000-00-00T00:00:00Z";
    let mut put = |at: usize, width: usize, mut v: u16| {
        for i in (at..at + width).rev() {
            text[i] = b'0' + (v % 10) as u8;
            v /= 10;
        }
    };
    put(0, 4, year);
    // Month, day, hour, minute and second are small non-negative numbers.
    put(5, 2, at.month() as u16);
    put(8, 2, at.day() as u16);
    put(11, 2, at.hour() as u16);
    put(14, 2, at.minute() as u16);
    put(17, 2, at.second() as u16);
    Some(TimeText(text))
}

/// The text of a `Time` (ASCII digits and punctuation).
pub struct TimeText([u8; 20]);

impl TimeText {
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

/// A map key as text, as serde_json's value takes it: a string, or a number or bool written out.
struct KeyText;

macro_rules! written_out {
    ($($method:ident: $t:ty),*) => {
        $(fn $method(self, v: $t) -> Result<String, Self::Error> {
            Ok(v.to_string())
        })*
    };
}

macro_rules! refused {
    ($($method:ident: $t:ty),*) => {
        $(fn $method(self, _v: $t) -> Result<String, Self::Error> {
            Err(key_must_be_a_string())
        })*
    };
}

fn key_must_be_a_string() -> KeyError {
    KeyError
}

/// A map key serde_json would refuse.
#[derive(Debug)]
struct KeyError;

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("key must be a string")
    }
}
impl std::error::Error for KeyError {}
impl ser::Error for KeyError {
    fn custom<T: fmt::Display>(_msg: T) -> Self {
        KeyError
    }
}
impl<E> From<KeyError> for Error<E> {
    fn from(e: KeyError) -> Self {
        Error::Invalid(e.to_string())
    }
}

impl Serializer for KeyText {
    type Ok = String;
    type Error = KeyError;
    type SerializeSeq = ser::Impossible<String, KeyError>;
    type SerializeTuple = ser::Impossible<String, KeyError>;
    type SerializeTupleStruct = ser::Impossible<String, KeyError>;
    type SerializeTupleVariant = ser::Impossible<String, KeyError>;
    type SerializeMap = ser::Impossible<String, KeyError>;
    type SerializeStruct = ser::Impossible<String, KeyError>;
    type SerializeStructVariant = ser::Impossible<String, KeyError>;

    written_out!(serialize_str: &str, serialize_char: char, serialize_bool: bool);
    written_out!(serialize_i8: i8, serialize_i16: i16, serialize_i32: i32, serialize_i64: i64);
    written_out!(serialize_u8: u8, serialize_u16: u16, serialize_u32: u32, serialize_u64: u64);
    fn serialize_unit_variant(self, _name: &'static str, _i: u32, variant: &'static str) -> Result<String, KeyError> {
        Ok(variant.to_string())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<String, KeyError> {
        value.serialize(self)
    }
    refused!(serialize_f32: f32, serialize_f64: f64, serialize_bytes: &[u8]);
    fn serialize_none(self) -> Result<String, KeyError> {
        Err(key_must_be_a_string())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, _value: &T) -> Result<String, KeyError> {
        Err(key_must_be_a_string())
    }
    fn serialize_unit(self) -> Result<String, KeyError> {
        Err(key_must_be_a_string())
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<String, KeyError> {
        Err(key_must_be_a_string())
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _i: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<String, KeyError> {
        Err(key_must_be_a_string())
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq, KeyError> {
        Err(key_must_be_a_string())
    }
    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple, KeyError> {
        Err(key_must_be_a_string())
    }
    fn serialize_tuple_struct(self, _name: &'static str, _len: usize) -> Result<Self::SerializeTupleStruct, KeyError> {
        Err(key_must_be_a_string())
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _i: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, KeyError> {
        Err(key_must_be_a_string())
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap, KeyError> {
        Err(key_must_be_a_string())
    }
    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<Self::SerializeStruct, KeyError> {
        Err(key_must_be_a_string())
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _i: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, KeyError> {
        Err(key_must_be_a_string())
    }
}

/// Stored JSON text (a workload's template spec), read once into the builder's values.
pub fn json_text<B: Build>(b: &mut B, text: &str) -> Result<B::Out, Error<B::Error>> {
    let mut cx = Cx { b, failed: None };
    let mut de = serde_json::Deserializer::from_str(text);
    let made = Text(&mut cx).deserialize(&mut de);
    match (cx.failed.take(), made) {
        (Some(e), _) => Err(Error::Build(e)),
        (None, Ok(v)) => Ok(v),
        (None, Err(e)) => Err(Error::Invalid(format!("stored JSON text: {e}"))),
    }
}

/// A builder, and the error it met inside a `Visitor` (whose error type cannot carry it).
struct Cx<'b, B: Build> {
    b: &'b mut B,
    failed: Option<B::Error>,
}

impl<B: Build> Cx<'_, B> {
    fn fail<E: de::Error>(&mut self, e: B::Error) -> E {
        self.failed = Some(e);
        E::custom("the builder failed")
    }
}

/// One JSON value of the text; maps' keys sorted, as the serializer does.
struct Text<'c, 'b, B: Build>(&'c mut Cx<'b, B>);

impl<'de, B: Build> DeserializeSeed<'de> for Text<'_, '_, B> {
    type Value = B::Out;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, B: Build> Visitor<'de> for Text<'_, '_, B> {
    type Value = B::Out;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(self.0.b.bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(self.0.b.int(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(self.0.b.uint(v))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(if v.is_finite() { self.0.b.float(v) } else { self.0.b.null() })
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(self.0.b.str(v))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(self.0.b.null())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(item) = seq.next_element_seed(Text(&mut *self.0))? {
            items.push(item);
        }
        self.0.b.list(items).map_err(|e| self.0.fail(e))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            let value = map.next_value_seed(Text(&mut *self.0))?;
            entries.push((Cow::Owned(key), value));
        }
        self.0.b.map(sorted(entries)).map_err(|e| self.0.fail(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_tree_writes_the_json_text_of_the_objects_value() {
        let template = json!({"metadata": {"labels": {"app": "w"}},
            "spec": {"containers": [{"name": "c", "image": "i", "ports": [{"containerPort": 80}],
                "resources": {"requests": {"cpu": "0.5", "memory": "1e3"}}}]}});
        let manifests = [
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "w", "annotations": {"note": "é 中文 \u{2028}"}},
                "spec": {"selector": {"matchLabels": {"app": "w"}}, "template": template}}),
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "m"}, "data": {"b": "", "a": "x"}}),
            json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"},
                "spec": {"ports": [{"name": "h", "port": 80, "targetPort": "http"}, {"name": "n", "port": 81, "targetPort": 9}]}}),
        ];
        for m in manifests {
            let o = Object::decode(m).unwrap();
            let tree = serde_json::to_string_pretty(&object_tree(&o)).unwrap();
            assert_eq!(tree, serde_json::to_string_pretty(&o.to_json()).unwrap(), "{:?}", o.kind());
        }
    }

    #[test]
    fn a_shared_text_is_made_once_while_its_slot_holds_it() {
        let mut table = SharedTexts::new();
        let text: Arc<str> = Arc::from(r#"{"b": [1, {"c": null}], "a": "x"}"#);
        let mut made = 0;
        for _ in 0..3 {
            let v = table.get_or_make(&text, || -> Result<_, ()> {
                made += 1;
                Ok(json_text(&mut TreeBuild, &text).unwrap())
            });
            assert_eq!(v, Ok(&json_text(&mut TreeBuild, &text).unwrap()));
        }
        assert_eq!(made, 1);
        // The same content in another allocation is another text; a failure keeps nothing.
        let copy: Arc<str> = Arc::from(&*text);
        assert_eq!(table.get_or_make(&copy, || Err::<Tree, _>("no")), Err("no"));
        assert_eq!(table.get_or_make(&copy, || Ok::<_, ()>(Tree::Null)), Ok(&Tree::Null));
        // Another text kept in its slot: the first is made again.
        // (Each candidate is kept, so that the next is another allocation.)
        let mut candidates: Vec<Arc<str>> = Vec::new();
        while candidates.last().is_none_or(|t| SharedTexts::<Tree>::slot_of(t) != SharedTexts::<Tree>::slot_of(&text)) {
            candidates.push(Arc::from(candidates.len().to_string()));
        }
        let other = candidates.pop().unwrap();
        let _ = table.get_or_make(&other, || Ok::<_, ()>(Tree::Null));
        let _ = table.get_or_make(&text, || -> Result<_, ()> {
            made += 1;
            Ok(Tree::Null)
        });
        assert_eq!(made, 2);
    }

    #[test]
    fn a_workloads_shared_template_spec_writes_as_its_text_parsed() {
        let template = json!({"metadata": {"labels": {"app": "w"}},
            "spec": {"containers": [{"name": "c", "image": "i", "env": [{"name": "Z", "value": "\u{7}"}]}]}});
        let d = Object::decode(json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "w"},
            "spec": {"selector": {"matchLabels": {"app": "w"}}, "template": template}}))
        .unwrap();
        let text = d.template_spec_json().unwrap();
        let first = object_tree(&d);
        let again = object_tree(&d);
        let shared = |t: &Tree| match t {
            Tree::Map(top) => match &top.iter().find(|(k, _)| k == "spec").unwrap().1 {
                Tree::Map(spec) => match &spec.iter().find(|(k, _)| k == "template").unwrap().1 {
                    Tree::Map(tm) => tm.iter().find(|(k, _)| k == "spec").unwrap().1.clone(),
                    _ => Tree::Null,
                },
                _ => Tree::Null,
            },
            _ => Tree::Null,
        };
        // (Whether the two reads shared one tree depends on the process-wide table, which
        // tests running alongside fill too.)
        match (shared(&first), shared(&again)) {
            (Tree::Shared(a), Tree::Shared(b)) => {
                assert_eq!(*a, json_text(&mut TreeBuild, text).unwrap());
                assert_eq!(a, b);
            }
            other => panic!("not shared: {other:?}"),
        }
        assert_eq!(serde_json::to_value(&first).unwrap(), d.to_json());
    }

    fn any_tree() -> impl proptest::strategy::Strategy<Value = Tree> {
        use proptest::prelude::*;
        // Text with the characters JSON escapes, and non-ASCII.
        let text = || proptest::string::string_regex("[\\x00-\\x1f\"\\\\a-z\u{7f}é中\u{2028}\u{1F600}]{0,6}").unwrap();
        let leaf = prop_oneof![
            Just(Tree::Null),
            any::<bool>().prop_map(Tree::Bool),
            any::<i64>().prop_map(Tree::Int),
            any::<u64>().prop_map(Tree::Uint),
            any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Tree::Float),
            text().prop_map(Tree::Str),
        ];
        leaf.prop_recursive(4, 48, 5, move |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..5).prop_map(Tree::List),
                proptest::collection::vec((text(), inner.clone()), 0..5)
                    .prop_map(|entries| Tree::Map(entries.into_iter().map(|(k, v)| (Cow::Owned(k), v)).collect())),
                inner.prop_map(|t| Tree::Shared(Arc::new(t))),
            ]
        })
    }

    proptest::proptest! {
        #[test]
        fn pretty_text_is_serde_jsons_with_a_four_space_indent(tree in any_tree()) {
            let mut ours = Vec::new();
            tree.write_pretty(&mut ours, 0);
            let mut theirs = Vec::new();
            let pretty = serde_json::ser::PrettyFormatter::with_indent(b"    ");
            tree.serialize(&mut serde_json::Serializer::with_formatter(&mut theirs, pretty)).unwrap();
            proptest::prop_assert_eq!(String::from_utf8(ours).unwrap(), String::from_utf8(theirs).unwrap());
        }
    }

    fn strftime(t: &Time) -> String {
        k8s_openapi::jiff::fmt::strtime::format("%Y-%m-%dT%H:%M:%SZ", t.0).unwrap()
    }

    #[test]
    fn a_times_text_is_what_its_serialize_writes() {
        use k8s_openapi::jiff::Timestamp;
        let at = |s: i64, ns: i32| Time(Timestamp::new(s, ns).unwrap());
        let table = [
            (at(0, 0), "1970-01-01T00:00:00Z"),
            (at(1_767_225_600, 0), "2026-01-01T00:00:00Z"),
            (at(1_709_251_199, 999_999_999), "2024-02-29T23:59:59Z"),
            (at(-1, 500_000_000), "1969-12-31T23:59:59Z"),
            (at(-62_167_219_200, 0), "0000-01-01T00:00:00Z"),
            // The last instant jiff (and so `Time`) holds.
            (at(253_402_207_200, 0), "9999-12-30T22:00:00Z"),
        ];
        for (t, text) in table {
            assert_eq!(time_text(&t).unwrap().as_str(), text);
            assert_eq!(strftime(&t), text);
            // Through the serializer, as a field and alone (`Time`'s own `Serialize`).
            let field = value(
                &mut TreeBuild,
                &k8s_openapi::api::core::v1::PodStatus { start_time: Some(t.clone()), ..Default::default() },
            );
            assert_eq!(field.unwrap(), Tree::Map(vec![(Cow::Borrowed("startTime"), Tree::Str(text.into()))]));
            assert_eq!(value(&mut TreeBuild, &t).unwrap(), Tree::Str(text.into()));
        }
        // Only a `Time` is taken for one.
        let t = at(0, 0);
        assert!(as_time(&t).is_some_and(|same| std::ptr::eq(same, &t)));
        assert!(as_time(&t.0).is_none() && as_time("1970-01-01T00:00:00Z").is_none() && as_time(&Some(t)).is_none());
        // Years past four digits are left to `Time`'s own `Serialize`.
        assert!(time_text(&at(-62_167_219_201, 0)).is_none());
        assert!(time_text(&Time(Timestamp::MIN)).is_none());
        let before_year_zero = at(-62_167_219_201, 0);
        let field = value(
            &mut TreeBuild,
            &k8s_openapi::api::core::v1::PodStatus { start_time: Some(before_year_zero.clone()), ..Default::default() },
        );
        assert_eq!(
            field.unwrap(),
            Tree::Map(vec![(Cow::Borrowed("startTime"), Tree::Str(strftime(&before_year_zero)))])
        );
    }

    proptest::proptest! {
        #[test]
        fn a_times_text_is_strftimes_in_years_0_to_9999(s in -62_167_219_200i64..=253_402_207_200, ns in 0i32..1_000_000_000) {
            let t = Time(k8s_openapi::jiff::Timestamp::new(s, ns).unwrap());
            let text = time_text(&t).unwrap();
            proptest::prop_assert_eq!(text.as_str(), strftime(&t));
        }
    }

    #[test]
    fn keys_are_sorted_and_a_later_duplicate_wins() {
        let entries = vec![
            (Cow::Borrowed("b"), 1),
            (Cow::Owned("a".to_string()), 2),
            (Cow::Borrowed("B"), 3),
            (Cow::Borrowed("a"), 4),
        ];
        assert_eq!(sorted(entries), vec![(Cow::Borrowed("B"), 3), (Cow::Borrowed("a"), 4), (Cow::Borrowed("b"), 1)]);
    }

    #[test]
    fn values_are_what_a_json_value_holds() {
        let v = value(&mut TreeBuild, &(f64::NAN, 1.5f32, -3i8, u64::MAX, 'x', ())).unwrap();
        assert_eq!(
            v,
            Tree::List(vec![
                Tree::Null,
                Tree::Float(1.5),
                Tree::Int(-3),
                Tree::Uint(u64::MAX),
                Tree::Str("x".into()),
                Tree::Null
            ])
        );
        let refused = std::collections::BTreeMap::from([((1, 2), 3)]);
        assert!(matches!(value(&mut TreeBuild, &refused), Err(Error::Invalid(m)) if m == "key must be a string"));
    }
}
