//! Stored objects as Python values (dict, list, str, int, float, bool, None), made straight from
//! the wire structs by a serde `Serializer` and from stored JSON text by a serde `Visitor`:
//! no `serde_json::Value` in between. The dicts are what `json.loads` of kubectl's `-o json`
//! gives: every map's keys sorted (as Go's encoder and serde_json's map sort them), a
//! non-finite float as None.

use std::borrow::Cow;
use std::fmt;

use parking_lot::{Mutex, MutexGuard};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyList, PyString};
use rustc_hash::FxBuildHasher;
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde::ser::{self, Serialize};

use crate::api::Object;

/// The object as a dict, as the API server shows it.
pub fn object<'py>(py: Python<'py>, obj: &Object) -> PyResult<Bound<'py, PyAny>> {
    let mut cx = Cx::new(py);
    let dict = obj.wire().serialize(Ser(&mut cx)).map_err(|e| e.0)?;
    if let Some(text) = obj.template_spec_json() {
        let spec = json_text(&mut cx, text)?;
        // `spec.template` holds only `metadata` before it, so the keys stay sorted.
        if let Some(template) = child(&dict, "spec").and_then(|s| child(&s, "template")) {
            template.set_item(cx.field("spec"), spec)?;
        }
    }
    Ok(dict)
}

/// Any serializable value (a part of an object's JSON value, a watch event's object) as
/// Python values.
pub fn value<'py, T: Serialize + ?Sized>(py: Python<'py>, value: &T) -> PyResult<Bound<'py, PyAny>> {
    value.serialize(Ser(&mut Cx::new(py))).map_err(|e| e.0)
}

fn child<'py>(dict: &Bound<'py, PyAny>, key: &str) -> Option<Bound<'py, PyDict>> {
    let dict = dict.cast::<PyDict>().ok()?;
    dict.get_item(key).ok().flatten()?.cast_into::<PyDict>().ok()
}

/// Key strings made so far, shared by every dict: the field names of Kubernetes objects are a
/// small set repeated in every object (as `json.loads` shares the keys within one document).
/// A shared key makes a Deployment's dict about a third smaller than with a new string per
/// key. Field names are `&'static str`s of the wire structs, found by address (no hashing or
/// comparing of text); other keys (labels, annotations, map keys of stored JSON text) by text,
/// at most `MAX_KEYS` of them, each at most `MAX_KEY_LEN` bytes (they are the user's own).
struct Keys {
    fields: hashbrown::HashMap<(usize, usize), Py<PyString>, FxBuildHasher>,
    texts: hashbrown::HashMap<Box<str>, Py<PyString>, FxBuildHasher>,
}

static KEYS: Mutex<Keys> = Mutex::new(Keys {
    fields: hashbrown::HashMap::with_hasher(FxBuildHasher),
    texts: hashbrown::HashMap::with_hasher(FxBuildHasher),
});
const MAX_KEYS: usize = 4096;
const MAX_KEY_LEN: usize = 64;

/// What one conversion works with: the interpreter, and the key cache unless another
/// conversion holds it (a finalizer run by a garbage collection while a dict is made may read
/// objects too; it never waits for the cache).
struct Cx<'py> {
    py: Python<'py>,
    keys: Option<MutexGuard<'static, Keys>>,
    /// The Python error a `Visitor` met (serde's error type of the text cannot carry it).
    failed: Option<PyErr>,
}

impl<'py> Cx<'py> {
    fn new(py: Python<'py>) -> Cx<'py> {
        Cx { py, keys: KEYS.try_lock(), failed: None }
    }

    fn field(&mut self, key: &'static str) -> Bound<'py, PyString> {
        let py = self.py;
        match self.keys.as_deref_mut() {
            Some(keys) => keys
                .fields
                .entry((key.as_ptr() as usize, key.len()))
                .or_insert_with(|| PyString::new(py, key).unbind())
                .bind(py)
                .clone(),
            None => PyString::new(py, key),
        }
    }

    fn text(&mut self, key: &str) -> Bound<'py, PyString> {
        let py = self.py;
        let Some(keys) = self.keys.as_deref_mut() else { return PyString::new(py, key) };
        if let Some(s) = keys.texts.get(key) {
            return s.bind(py).clone();
        }
        let s = PyString::new(py, key);
        if keys.texts.len() < MAX_KEYS && key.len() <= MAX_KEY_LEN {
            keys.texts.insert(key.into(), s.clone().unbind());
        }
        s
    }

    fn key(&mut self, key: &Cow<'static, str>) -> Bound<'py, PyString> {
        match key {
            Cow::Borrowed(k) => self.field(k),
            Cow::Owned(k) => self.text(k),
        }
    }

    /// A dict of `entries`, inserted in key order (a later duplicate wins, as in a JSON value).
    fn dict(&mut self, mut entries: Vec<(Cow<'static, str>, Bound<'py, PyAny>)>) -> PyResult<Bound<'py, PyAny>> {
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        let dict = PyDict::new(self.py);
        for (k, v) in entries {
            dict.set_item(self.key(&k), v)?;
        }
        Ok(dict.into_any())
    }

    fn none(&self) -> Bound<'py, PyAny> {
        self.py.None().into_bound(self.py)
    }

    fn float(&self, f: f64) -> Bound<'py, PyAny> {
        // As serde_json's value: a non-finite float is null.
        if f.is_finite() {
            f.into_pyobject(self.py).map(Bound::into_any).unwrap_or_else(|i| match i {})
        } else {
            self.none()
        }
    }

    fn int(&self, i: i64) -> Bound<'py, PyAny> {
        i.into_pyobject(self.py).map(Bound::into_any).unwrap_or_else(|i| match i {})
    }

    fn uint(&self, u: u64) -> Bound<'py, PyAny> {
        u.into_pyobject(self.py).map(Bound::into_any).unwrap_or_else(|i| match i {})
    }
}

/// A Python error, as serde's error type.
pub struct Error(PyErr);

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}
impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}
impl std::error::Error for Error {}
impl ser::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Error(PyValueError::new_err(msg.to_string()))
    }
}
impl From<PyErr> for Error {
    fn from(e: PyErr) -> Self {
        Error(e)
    }
}

struct Ser<'c, 'py>(&'c mut Cx<'py>);

/// A list being made.
struct Seq<'c, 'py> {
    cx: &'c mut Cx<'py>,
    items: Vec<Bound<'py, PyAny>>,
    /// Set for an enum's tuple variant: the list goes in a one-key dict under this name.
    variant: Option<&'static str>,
}

/// A dict being made: entries are gathered, then inserted sorted by key.
struct Map<'c, 'py> {
    cx: &'c mut Cx<'py>,
    entries: Vec<(Cow<'static, str>, Bound<'py, PyAny>)>,
    key: Option<Cow<'static, str>>,
    variant: Option<&'static str>,
}

impl<'py> Seq<'_, 'py> {
    fn finish(self) -> Result<Bound<'py, PyAny>, Error> {
        let list = PyList::new(self.cx.py, self.items)?.into_any();
        match self.variant {
            Some(name) => Ok(self.cx.dict(vec![(Cow::Borrowed(name), list)])?),
            None => Ok(list),
        }
    }
}

impl<'py> Map<'_, 'py> {
    fn finish(self) -> Result<Bound<'py, PyAny>, Error> {
        let dict = self.cx.dict(self.entries)?;
        match self.variant {
            Some(name) => Ok(self.cx.dict(vec![(Cow::Borrowed(name), dict)])?),
            None => Ok(dict),
        }
    }
}

macro_rules! small_int {
    ($($method:ident: $t:ty),*) => {
        $(fn $method(self, v: $t) -> Result<Bound<'py, PyAny>, Error> {
            Ok(self.0.int(v.into()))
        })*
    };
}

impl<'c, 'py> ser::Serializer for Ser<'c, 'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = Error;
    type SerializeSeq = Seq<'c, 'py>;
    type SerializeTuple = Seq<'c, 'py>;
    type SerializeTupleStruct = Seq<'c, 'py>;
    type SerializeTupleVariant = Seq<'c, 'py>;
    type SerializeMap = Map<'c, 'py>;
    type SerializeStruct = Map<'c, 'py>;
    type SerializeStructVariant = Map<'c, 'py>;

    fn serialize_bool(self, v: bool) -> Result<Self::Ok, Error> {
        Ok(PyBool::new(self.0.py, v).to_owned().into_any())
    }
    small_int!(serialize_i8: i8, serialize_i16: i16, serialize_i32: i32);
    small_int!(serialize_u8: u8, serialize_u16: u16, serialize_u32: u32);
    fn serialize_i64(self, v: i64) -> Result<Self::Ok, Error> {
        Ok(self.0.int(v))
    }
    fn serialize_i128(self, v: i128) -> Result<Self::Ok, Error> {
        match (i64::try_from(v), u64::try_from(v)) {
            (Ok(i), _) => Ok(self.0.int(i)),
            (_, Ok(u)) => Ok(self.0.uint(u)),
            _ => Err(ser::Error::custom("number out of range")),
        }
    }
    fn serialize_u64(self, v: u64) -> Result<Self::Ok, Error> {
        Ok(self.0.uint(v))
    }
    fn serialize_u128(self, v: u128) -> Result<Self::Ok, Error> {
        u64::try_from(v).map(|u| self.0.uint(u)).map_err(|_| ser::Error::custom("number out of range"))
    }
    fn serialize_f32(self, v: f32) -> Result<Self::Ok, Error> {
        Ok(self.0.float(v.into()))
    }
    fn serialize_f64(self, v: f64) -> Result<Self::Ok, Error> {
        Ok(self.0.float(v))
    }
    fn serialize_char(self, v: char) -> Result<Self::Ok, Error> {
        self.serialize_str(v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_str(self, v: &str) -> Result<Self::Ok, Error> {
        Ok(PyString::new(self.0.py, v).into_any())
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<Self::Ok, Error> {
        // As serde_json's value: an array of numbers.
        let items = v.iter().map(|b| self.0.int((*b).into()));
        Ok(PyList::new(self.0.py, items)?.into_any())
    }
    fn serialize_none(self) -> Result<Self::Ok, Error> {
        Ok(self.0.none())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<Self::Ok, Error> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<Self::Ok, Error> {
        Ok(self.0.none())
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<Self::Ok, Error> {
        Ok(self.0.none())
    }
    fn serialize_unit_variant(self, _name: &'static str, _i: u32, variant: &'static str) -> Result<Self::Ok, Error> {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<Self::Ok, Error> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _i: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<Self::Ok, Error> {
        let inner = value.serialize(Ser(&mut *self.0))?;
        Ok(self.0.dict(vec![(Cow::Borrowed(variant), inner)])?)
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<Seq<'c, 'py>, Error> {
        Ok(Seq { cx: self.0, items: Vec::with_capacity(len.unwrap_or(0)), variant: None })
    }
    fn serialize_tuple(self, len: usize) -> Result<Seq<'c, 'py>, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(self, _name: &'static str, len: usize) -> Result<Seq<'c, 'py>, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _i: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Seq<'c, 'py>, Error> {
        Ok(Seq { cx: self.0, items: Vec::with_capacity(len), variant: Some(variant) })
    }
    fn serialize_map(self, len: Option<usize>) -> Result<Map<'c, 'py>, Error> {
        Ok(Map { cx: self.0, entries: Vec::with_capacity(len.unwrap_or(0)), key: None, variant: None })
    }
    fn serialize_struct(self, _name: &'static str, len: usize) -> Result<Map<'c, 'py>, Error> {
        self.serialize_map(Some(len))
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _i: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Map<'c, 'py>, Error> {
        Ok(Map { cx: self.0, entries: Vec::with_capacity(len), key: None, variant: Some(variant) })
    }
}

macro_rules! seq_impl {
    ($trait:ident, $method:ident) => {
        impl<'py> ser::$trait for Seq<'_, 'py> {
            type Ok = Bound<'py, PyAny>;
            type Error = Error;
            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
                self.items.push(value.serialize(Ser(&mut *self.cx))?);
                Ok(())
            }
            fn end(self) -> Result<Self::Ok, Error> {
                self.finish()
            }
        }
    };
}
seq_impl!(SerializeSeq, serialize_element);
seq_impl!(SerializeTuple, serialize_element);
seq_impl!(SerializeTupleStruct, serialize_field);
seq_impl!(SerializeTupleVariant, serialize_field);

impl<'py> ser::SerializeMap for Map<'_, 'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Error> {
        self.key = Some(Cow::Owned(key.serialize(KeyText)?));
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        let key = self.key.take().ok_or_else(|| <Error as ser::Error>::custom("a map value without its key"))?;
        self.entries.push((key, value.serialize(Ser(&mut *self.cx))?));
        Ok(())
    }
    fn end(self) -> Result<Self::Ok, Error> {
        self.finish()
    }
}

macro_rules! struct_impl {
    ($trait:ident) => {
        impl<'py> ser::$trait for Map<'_, 'py> {
            type Ok = Bound<'py, PyAny>;
            type Error = Error;
            fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<(), Error> {
                self.entries.push((Cow::Borrowed(key), value.serialize(Ser(&mut *self.cx))?));
                Ok(())
            }
            fn end(self) -> Result<Self::Ok, Error> {
                self.finish()
            }
        }
    };
}
struct_impl!(SerializeStruct);
struct_impl!(SerializeStructVariant);

/// A map key as text, as serde_json's value takes it: a string, or a number or bool written out.
struct KeyText;

macro_rules! written_out {
    ($($method:ident: $t:ty),*) => {
        $(fn $method(self, v: $t) -> Result<String, Error> {
            Ok(v.to_string())
        })*
    };
}

macro_rules! refused {
    ($($method:ident: $t:ty),*) => {
        $(fn $method(self, _v: $t) -> Result<String, Error> {
            Err(key_must_be_a_string())
        })*
    };
}

impl ser::Serializer for KeyText {
    type Ok = String;
    type Error = Error;
    type SerializeSeq = ser::Impossible<String, Error>;
    type SerializeTuple = ser::Impossible<String, Error>;
    type SerializeTupleStruct = ser::Impossible<String, Error>;
    type SerializeTupleVariant = ser::Impossible<String, Error>;
    type SerializeMap = ser::Impossible<String, Error>;
    type SerializeStruct = ser::Impossible<String, Error>;
    type SerializeStructVariant = ser::Impossible<String, Error>;

    written_out!(serialize_str: &str, serialize_char: char, serialize_bool: bool);
    written_out!(serialize_i8: i8, serialize_i16: i16, serialize_i32: i32, serialize_i64: i64);
    written_out!(serialize_u8: u8, serialize_u16: u16, serialize_u32: u32, serialize_u64: u64);
    fn serialize_unit_variant(self, _name: &'static str, _i: u32, variant: &'static str) -> Result<String, Error> {
        Ok(variant.to_string())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _name: &'static str, value: &T) -> Result<String, Error> {
        value.serialize(self)
    }
    refused!(serialize_f32: f32, serialize_f64: f64, serialize_bytes: &[u8]);
    fn serialize_none(self) -> Result<String, Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, _value: &T) -> Result<String, Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_unit(self) -> Result<String, Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<String, Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _i: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<String, Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq, Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple, Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_tuple_struct(self, _name: &'static str, _len: usize) -> Result<Self::SerializeTupleStruct, Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _i: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap, Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<Self::SerializeStruct, Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _i: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, Error> {
        Err(key_must_be_a_string())
    }
}

fn key_must_be_a_string() -> Error {
    ser::Error::custom("key must be a string")
}

/// Stored JSON text (a workload's template spec) as Python values, read once.
fn json_text<'py>(cx: &mut Cx<'py>, text: &str) -> PyResult<Bound<'py, PyAny>> {
    let mut de = serde_json::Deserializer::from_str(text);
    let made = Text(&mut *cx).deserialize(&mut de);
    match (cx.failed.take(), made) {
        (Some(e), _) => Err(e),
        (None, Ok(v)) => Ok(v),
        (None, Err(e)) => Err(PyValueError::new_err(format!("stored JSON text: {e}"))),
    }
}

/// One JSON value of the text as a Python value; maps' keys sorted, as the serializer does.
struct Text<'c, 'py>(&'c mut Cx<'py>);

impl<'de, 'py> DeserializeSeed<'de> for Text<'_, 'py> {
    type Value = Bound<'py, PyAny>;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, 'py> Visitor<'de> for Text<'_, 'py> {
    type Value = Bound<'py, PyAny>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(PyBool::new(self.0.py, v).to_owned().into_any())
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(self.0.int(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(self.0.uint(v))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(self.0.float(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(PyString::new(self.0.py, v).into_any())
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(self.0.none())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(item) = seq.next_element_seed(Text(&mut *self.0))? {
            items.push(item);
        }
        PyList::new(self.0.py, items).map(Bound::into_any).map_err(|e| self.0.fail(e))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            let value = map.next_value_seed(Text(&mut *self.0))?;
            entries.push((Cow::Owned(key), value));
        }
        self.0.dict(entries).map_err(|e| self.0.fail(e))
    }
}

impl Cx<'_> {
    /// Keep `e` for the caller of the `Visitor`, and stop the reading.
    fn fail<E: de::Error>(&mut self, e: PyErr) -> E {
        self.failed = Some(e);
        E::custom("a Python error")
    }
}
