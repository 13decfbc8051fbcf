//! Stored objects as Python values (dict, list, str, int, float, bool, None), made straight from
//! the wire structs by the core's sorted serializer (`crate::api::sorted`): no
//! `serde_json::Value` in between. The dicts are what `json.loads` of kubectl's `-o json` gives:
//! every map's keys sorted (as Go's encoder and serde_json's map sort them), a non-finite
//! float as None.

use std::borrow::Cow;
use std::hash::BuildHasher;
use std::sync::Arc;

use parking_lot::{Mutex, MutexGuard};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyList, PyString};
use rustc_hash::FxBuildHasher;
use serde::Serialize;

use crate::api::sorted::{self, Build, Key, SharedTexts};
use crate::api::Object;

/// The object as a dict, as the API server shows it.
pub fn object<'py>(py: Python<'py>, obj: &Object) -> PyResult<Bound<'py, PyAny>> {
    sorted::object(&mut Cx::new(py), obj).map_err(py_err)
}

/// Any serializable value (a part of an object's JSON value, a watch event's object) as
/// Python values.
pub fn value<'py, T: Serialize + ?Sized>(py: Python<'py>, value: &T) -> PyResult<Bound<'py, PyAny>> {
    sorted::value(&mut Cx::new(py), value).map_err(py_err)
}

fn py_err(e: sorted::Error<PyErr>) -> PyErr {
    match e {
        sorted::Error::Build(e) => e,
        sorted::Error::Invalid(message) => PyValueError::new_err(message),
    }
}

/// Key strings made so far, shared by every dict: the field names of Kubernetes objects are a
/// small set repeated in every object (as `json.loads` shares the keys within one document).
/// A shared key makes a Deployment's dict about a third smaller than with a new string per
/// key. Field names are `&'static str`s of the wire structs, found by address (no hashing or
/// comparing of text); other keys (labels, annotations, map keys of stored JSON text) by text,
/// at most `MAX_KEYS` of them, each at most `MAX_KEY_LEN` bytes (they are the user's own).
///
/// Short string values are shared too, through `values`: most of an object's values repeat
/// from object to object (`"apps/v1"`, `"RollingUpdate"`, `"25%"`, `"TCP"`, `"IfNotPresent"`,
/// condition types and reasons, the timestamps of one instant). A value's hash picks one slot
/// of the table and a different value there is replaced, so the table stays `VALUE_SLOTS`
/// strings however many distinct values pass (names, uids). A `str` is immutable: a caller
/// cannot tell a shared one from a new one.
struct Keys {
    fields: hashbrown::HashMap<(usize, usize), Py<PyString>, FxBuildHasher>,
    texts: hashbrown::HashMap<Box<str>, Py<PyString>, FxBuildHasher>,
    values: Vec<Option<(u64, Py<PyString>)>>,
}

static KEYS: Mutex<Keys> = Mutex::new(Keys {
    fields: hashbrown::HashMap::with_hasher(FxBuildHasher),
    texts: hashbrown::HashMap::with_hasher(FxBuildHasher),
    values: Vec::new(),
});
const MAX_KEYS: usize = 4096;
const MAX_KEY_LEN: usize = 64;
/// Slots of the value table (a power of two), and the longest value put in it.
const VALUE_SLOTS: usize = 4096;
const MAX_VALUE_LEN: usize = 64;

/// What one conversion works with: the interpreter, and the key cache unless another
/// conversion holds it (a finalizer run by a garbage collection while a dict is made may read
/// objects too; it never waits for the cache).
struct Cx<'py> {
    py: Python<'py>,
    keys: Option<MutexGuard<'static, Keys>>,
}

impl<'py> Cx<'py> {
    fn new(py: Python<'py>) -> Cx<'py> {
        Cx { py, keys: KEYS.try_lock() }
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

    fn value(&mut self, v: &str) -> Bound<'py, PyString> {
        let py = self.py;
        let Some(keys) = self.keys.as_deref_mut().filter(|_| v.len() <= MAX_VALUE_LEN) else {
            return PyString::new(py, v);
        };
        if keys.values.is_empty() {
            keys.values.resize_with(VALUE_SLOTS, || None);
        }
        let hash = FxBuildHasher.hash_one(v);
        let slot = &mut keys.values[hash as usize & (VALUE_SLOTS - 1)];
        if let Some((h, s)) = slot {
            let s = s.bind(py);
            if *h == hash && s.to_str().is_ok_and(|t| t == v) {
                return s.clone();
            }
        }
        let s = PyString::new(py, v);
        *slot = Some((hash, s.clone().unbind()));
        s
    }

    fn key(&mut self, key: &Key) -> Bound<'py, PyString> {
        match key {
            Cow::Borrowed(k) => self.field(k),
            Cow::Owned(k) => self.text(k),
        }
    }
}

impl<'py> Build for Cx<'py> {
    type Out = Bound<'py, PyAny>;
    type Error = PyErr;

    fn null(&mut self) -> Self::Out {
        self.py.None().into_bound(self.py)
    }
    fn bool(&mut self, v: bool) -> Self::Out {
        PyBool::new(self.py, v).to_owned().into_any()
    }
    fn int(&mut self, v: i64) -> Self::Out {
        v.into_pyobject(self.py).map(Bound::into_any).unwrap_or_else(|i| match i {})
    }
    fn uint(&mut self, v: u64) -> Self::Out {
        v.into_pyobject(self.py).map(Bound::into_any).unwrap_or_else(|i| match i {})
    }
    fn float(&mut self, v: f64) -> Self::Out {
        v.into_pyobject(self.py).map(Bound::into_any).unwrap_or_else(|i| match i {})
    }
    fn str(&mut self, v: &str) -> Self::Out {
        self.value(v).into_any()
    }
    fn list(&mut self, items: Vec<Self::Out>) -> PyResult<Self::Out> {
        Ok(PyList::new(self.py, items)?.into_any())
    }
    fn map(&mut self, entries: Vec<(Key, Self::Out)>) -> PyResult<Self::Out> {
        let dict = PyDict::new(self.py);
        for (k, v) in entries {
            dict.set_item(self.key(&k), v)?;
        }
        Ok(dict.into_any())
    }
    /// A pod template spec made once per interned text and copied for each object that shows it:
    /// a copy of a dict shares its keys' table and its immutable values (a fresh dict and list
    /// for each of the spec's maps and lists, as a parse would give), without reading the text
    /// again. The kept value itself is never handed out. At most 256 specs are kept (with their
    /// text), for the life of the process.
    fn shared_text(&mut self, text: &Arc<str>) -> Result<Self::Out, sorted::Error<PyErr>> {
        static TEMPLATES: Mutex<SharedTexts<Py<PyAny>>> = Mutex::new(SharedTexts::new());
        let py = self.py;
        let make = || sorted::json_text(self, text).map(Bound::unbind);
        SharedTexts::through(&TEMPLATES, text, make, |spec| deep_copy(spec.bind(py)).map_err(sorted::Error::Build))
    }
    fn append_at(&mut self, top: &mut Self::Out, path: &[&str], key: &'static str, value: Self::Out) -> PyResult<()> {
        let mut at = top.clone();
        for step in path {
            match at.cast::<PyDict>().ok().and_then(|d| d.get_item(step).ok().flatten()) {
                Some(next) => at = next,
                None => return Ok(()),
            }
        }
        if let Ok(dict) = at.cast::<PyDict>() {
            dict.set_item(self.field(key), value)?;
        }
        Ok(())
    }
}

/// A copy of a value made of dicts, lists and immutable leaves: every dict and list new, the
/// leaves (str, int, float, bool, None) shared.
fn deep_copy<'py>(v: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    if let Ok(dict) = v.cast_exact::<PyDict>() {
        let copy = dict.copy()?;
        for (key, item) in dict.iter() {
            if item.is_exact_instance_of::<PyDict>() || item.is_exact_instance_of::<PyList>() {
                copy.set_item(key, deep_copy(&item)?)?;
            }
        }
        Ok(copy.into_any())
    } else if let Ok(list) = v.cast_exact::<PyList>() {
        let items = list.iter().map(|item| deep_copy(&item)).collect::<PyResult<Vec<_>>>()?;
        Ok(PyList::new(v.py(), items)?.into_any())
    } else {
        Ok(v.clone())
    }
}
