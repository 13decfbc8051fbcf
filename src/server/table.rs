//! `meta.k8s.io/v1` Table responses (apiserver.md §4): the columns and cells of kubesim's own
//! `kubectl get` printers, so real kubectl prints what `c.kubectl("get …")` prints.

use std::sync::Arc;

use serde_json::{json, Value};

use crate::api::{Kind, Object};
use crate::kubectl::table::{header, row};
use crate::sim::clock::Millis;

/// upstream: kubectl prints a Table column's name upper-cased, so the printers' headers (already
/// upper case) print as they are. Columns beyond the narrow ones are `-o wide` (priority 1).
fn columns(kind: Kind) -> Vec<Value> {
    let narrow = header(kind, false).len();
    header(kind, true)
        .into_iter()
        .enumerate()
        .map(|(i, name)| {
            let format = if i == 0 && name == "NAME" { "name" } else { "" };
            json!({"name": name, "type": "string", "format": format, "description": "",
                   "priority": if i < narrow { 0 } else { 1 }})
        })
        .collect()
}

/// The object attached to each row: `includeObject=Metadata` (the default kubectl relies on for
/// `--show-labels`), `Object` or `None`.
fn row_object(o: &Object, include: Option<&str>) -> Value {
    match include {
        Some("None") => Value::Null,
        Some("Object") => o.to_json(),
        _ => json!({"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                    "metadata": serde_json::to_value(o.meta.to_object_meta()).unwrap_or(Value::Null)}),
    }
}

/// One row of a Table.
pub fn table_row(o: &Object, now: Millis, include: Option<&str>) -> Value {
    let mut r = json!({"cells": row(o, now, true)});
    let object = row_object(o, include);
    if !object.is_null() {
        r["object"] = object;
    }
    r
}

/// A Table of `objects` (all of `kind`), without its metadata (the caller sets the
/// resourceVersion).
pub fn table(kind: Kind, objects: &[Arc<Object>], now: Millis, include: Option<&str>) -> Value {
    let rows: Vec<Value> = objects.iter().map(|o| table_row(o, now, include)).collect();
    json!({"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": {}, "columnDefinitions": columns(kind),
           "rows": rows})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_columns_have_priority_one() {
        let cols = columns(Kind::Deployment);
        let names: Vec<&str> = cols.iter().map(|c| c["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE", "CONTAINERS", "IMAGES", "SELECTOR"]);
        let priorities: Vec<i64> = cols.iter().map(|c| c["priority"].as_i64().unwrap()).collect();
        assert_eq!(priorities, [0, 0, 0, 0, 0, 1, 1, 1]);
    }
}
