//! Stored objects as kubectl's `-o json` / `-o yaml` text, built from the objects' serde
//! values (their Python values are made in `to_py`): nothing crosses the boundary as JSON text
//! to be parsed again.

use std::sync::Arc;

use pyo3::prelude::*;
use serde_json::Value;

use crate::api::sorted::{object_tree, write_indent};
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
        let mut out = Vec::new();
        match self {
            Printed::Object(o) => object_tree(o).write_pretty(&mut out, 0),
            // The keys of `list_value`, in order; the items two levels deep.
            Printed::List(objects) => {
                out.extend_from_slice(b"{\n    \"apiVersion\": \"v1\",\n    \"items\": ");
                match objects {
                    [] => out.extend_from_slice(b"[]"),
                    [first, ..] => {
                        let one = object_tree(first);
                        let mut sized = Vec::new();
                        one.write_pretty(&mut sized, 2);
                        // Sized from the first object, so that a long list is not copied as
                        // its buffer grows.
                        out.reserve(sized.len() * objects.len() * 9 / 8 + 256);
                        out.push(b'[');
                        for (i, o) in objects.iter().enumerate() {
                            out.extend_from_slice(if i == 0 { b"\n" } else { b",\n" });
                            write_indent(&mut out, 2);
                            match i {
                                0 => out.extend_from_slice(&sized),
                                _ => object_tree(o).write_pretty(&mut out, 2),
                            }
                        }
                        out.extend_from_slice(b"\n    ]");
                    }
                }
                out.extend_from_slice(
                    b",\n    \"kind\": \"List\",\n    \"metadata\": {\n        \"resourceVersion\": \"\"\n    }\n}",
                );
            }
        }
        out.push(b'\n');
        // Written from `&str`s and ASCII punctuation only.
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

/// upstream: kubectl prints several objects as a `v1` `List` with an empty resourceVersion.
fn list_value(items: Vec<Value>) -> Value {
    serde_json::json!({"apiVersion": "v1", "items": items, "kind": "List", "metadata": {"resourceVersion": ""}})
}
