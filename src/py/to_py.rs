//! Stored objects as Python values (dict, list, str, int, float, bool, None), made straight from
//! the wire structs by the core's sorted serializer (`crate::api::sorted`): no
//! `serde_json::Value` in between. The dicts are what `json.loads` of kubectl's `-o json` gives:
//! every map's keys sorted (as Go's encoder and serde_json's map sort them), a non-finite
//! float as None.

use std::borrow::Cow;

use parking_lot::{Mutex, MutexGuard};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyList, PyString};
use rustc_hash::FxBuildHasher;
use serde::Serialize;

use crate::api::sorted::{self, Key, Tree, TreeBuild};
use crate::api::Object;

/// The object as a dict, as the API server shows it.
pub fn object<'py>(py: Python<'py>, obj: &Object) -> PyResult<Bound<'py, PyAny>> {
    Cx::new(py).tree(sorted::object_tree(obj))
}

/// Any serializable value (a part of an object's JSON value, a watch event's object) as
/// Python values.
pub fn value<'py, T: Serialize + ?Sized>(py: Python<'py>, value: &T) -> PyResult<Bound<'py, PyAny>> {
    let tree = sorted::value(&mut TreeBuild, value).map_err(|e| match e {
        sorted::Error::Build(never) => match never {},
        sorted::Error::Invalid(message) => PyValueError::new_err(message),
    })?;
    Cx::new(py).tree(tree)
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

    fn key(&mut self, key: &Key) -> Bound<'py, PyString> {
        match key {
            Cow::Borrowed(k) => self.field(k),
            Cow::Owned(k) => self.text(k),
        }
    }
}

impl<'py> Cx<'py> {
    /// A tree as Python values (the one builder the wire structs are serialized with, shared
    /// with kubectl's `-o json`, so their serializers exist once in the extension).
    fn tree(&mut self, t: Tree) -> PyResult<Bound<'py, PyAny>> {
        let py = self.py;
        Ok(match t {
            Tree::Null => py.None().into_bound(py),
            Tree::Bool(v) => PyBool::new(py, v).to_owned().into_any(),
            Tree::Int(v) => v.into_pyobject(py).map(Bound::into_any).unwrap_or_else(|i| match i {}),
            Tree::Uint(v) => v.into_pyobject(py).map(Bound::into_any).unwrap_or_else(|i| match i {}),
            Tree::Float(v) => v.into_pyobject(py).map(Bound::into_any).unwrap_or_else(|i| match i {}),
            Tree::Str(v) => PyString::new(py, &v).into_any(),
            Tree::List(items) => {
                let items = items.into_iter().map(|i| self.tree(i)).collect::<PyResult<Vec<_>>>()?;
                PyList::new(py, items)?.into_any()
            }
            Tree::Map(entries) => {
                let dict = PyDict::new(py);
                for (k, v) in entries {
                    let v = self.tree(v)?;
                    dict.set_item(self.key(&k), v)?;
                }
                dict.into_any()
            }
        })
    }
}
