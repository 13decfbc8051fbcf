//! Stored objects as kubectl's `-o json` / `-o yaml` text, built from the objects' serde
//! values (their Python values are made in `to_py`): nothing crosses the boundary as JSON text
//! to be parsed again.

use std::sync::Arc;

use pyo3::prelude::*;
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};
use serde_json::Value;

use crate::api::sorted::object_tree;
use crate::api::Object;

/// The cyclic garbage collector, paused while many objects are made at once (a list, a
/// watch) and resumed when this is dropped (also on a panic), if it was running. What is made
/// is trees of dicts and lists without cycles, so a collection in the middle finds nothing to
/// free; but each full collection visits every live object, and the growth of a big list
/// triggers several: listing 10,000 Deployments spent about as long in the collector as in
/// making the dicts. The objects are then collected (once) as usual.
pub struct GcPaused(bool);

impl GcPaused {
    pub fn new(_py: Python<'_>) -> GcPaused {
        // SAFETY: the GIL is held (`_py` proves it); available in the stable ABI since 3.10.
        GcPaused(unsafe { pyo3::ffi::PyGC_Disable() } == 1)
    }
}

impl Drop for GcPaused {
    fn drop(&mut self) {
        if self.0 {
            // SAFETY: dropped where it was made, with the GIL held.
            unsafe { pyo3::ffi::PyGC_Enable() };
        }
    }
}

/// The value under `path` (object keys from the top), if every key is there.
pub fn at_path<'v>(value: &'v Value, path: &[String]) -> Option<&'v Value> {
    path.iter().try_fold(value, |v, key| v.get(key.as_str()))
}

/// How kubectl prints what it got: one named object alone, anything else as a `List`.
pub enum Printed<'a> {
    Object(&'a Object),
    List(&'a [Arc<Object>]),
}

impl Printed<'_> {
    /// `kubectl get -o json`, one object's value at a time (only one is held at once).
    // upstream: JSONPrinter indents the unstructured object by four spaces and Go's encoder sorts
    // map keys (serde_json's map is sorted too). Text is written as kubesim always wrote it:
    // json.dumps(indent=4, sort_keys=True, ensure_ascii=False), which tests hold it to.
    pub fn json(&self) -> String {
        // Sized from the first object (a list's items are indented two levels deeper), so that a
        // long list is not copied as its buffer grows.
        let capacity = match self {
            Printed::List(all @ [first, ..]) => {
                let one = pretty(&object_tree(first));
                let lines = one.iter().filter(|b| **b == b'\n').count() + 1;
                (one.len() + 8 * lines + 16) * all.len() * 9 / 8 + 256
            }
            _ => 0,
        };
        let mut out = Vec::with_capacity(capacity);
        let mut ser =
            serde_json::Serializer::with_formatter(&mut out, serde_json::ser::PrettyFormatter::with_indent(b"    "));
        // Serializing JSON values into a Vec cannot fail (string keys, no non-finite numbers).
        let _ = self.serialize(&mut ser);
        out.push(b'\n');
        String::from_utf8(out).unwrap_or_default()
    }

    /// `kubectl get -o yaml`.
    pub fn yaml(&self) -> String {
        let value = match self {
            Printed::Object(o) => o.to_json(),
            Printed::List(objects) => list_value(objects.iter().map(|o| o.to_json()).collect()),
        };
        crate::api::yaml::to_yaml(&value)
    }
}

fn pretty(value: &impl Serialize) -> Vec<u8> {
    let mut out = Vec::new();
    let mut ser =
        serde_json::Serializer::with_formatter(&mut out, serde_json::ser::PrettyFormatter::with_indent(b"    "));
    let _ = value.serialize(&mut ser);
    out
}

/// upstream: kubectl prints several objects as a `v1` `List` with an empty resourceVersion.
fn list_value(items: Vec<Value>) -> Value {
    serde_json::json!({"apiVersion": "v1", "items": items, "kind": "List", "metadata": {"resourceVersion": ""}})
}

impl Serialize for Printed<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Printed::Object(o) => object_tree(o).serialize(s),
            // The keys of `list_value`, in order.
            Printed::List(objects) => {
                let mut map = s.serialize_map(Some(4))?;
                map.serialize_entry("apiVersion", "v1")?;
                map.serialize_entry("items", &Items(objects))?;
                map.serialize_entry("kind", "List")?;
                map.serialize_entry("metadata", &serde_json::json!({"resourceVersion": ""}))?;
                map.end()
            }
        }
    }
}

struct Items<'a>(&'a [Arc<Object>]);

impl Serialize for Items<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for o in self.0 {
            seq.serialize_element(&object_tree(o))?;
        }
        seq.end()
    }
}
