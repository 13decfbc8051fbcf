//! Field ownership for server-side apply (upstream: sigs.k8s.io/structured-merge-diff and
//! apimachinery's `managedfields`): who set which field of an object, `managedFields` as the
//! API server shows them, and apply conflicts.
//!
//! A field set is a set of paths whose elements are written as FieldsV1 writes them: `f:name`
//! (a field), `k:{"name":"c"}` (an item of a list keyed by its merge keys), `v:"x"` (an item of
//! a set of scalars). Granularity, as upstream: leaf fields, items of keyed lists, items of sets;
//! a list without keys, an atomic struct (a label selector, an env var's source) and an empty
//! map are owned whole.
//!
//! The rules (upstream `merge.Updater`):
//! - an **Apply** by manager M merges M's configuration into the object; the fields it changes
//!   (added or given another value) that another manager owns are conflicts: 409, unless
//!   `force`, which takes them from their owners. M then owns exactly the fields of its
//!   configuration (a field set to the value it already had is shared with its other owners),
//!   and the fields it owned before, stopped setting and nobody else owns are removed;
//! - an **Update** (create, replace, patch) by manager U takes the fields it changes from every
//!   other manager and adds them to U's own set; removed fields are owned by nobody.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Map, Value};

use crate::api::meta::to_time;
use crate::sim::clock::Millis;

/// One path of a field set, its elements in FieldsV1 syntax.
pub type Path = Vec<String>;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Operation {
    Apply,
    Update,
}

/// One `managedFields` entry.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub manager: String,
    pub operation: Operation,
    pub api_version: String,
    pub time: Millis,
    /// `status` for a write of the status subresource.
    pub subresource: Option<String>,
    pub fields: BTreeSet<Path>,
}

impl Entry {
    fn is(&self, manager: &str, operation: Operation, subresource: Option<&str>) -> bool {
        self.manager == manager && self.operation == operation && self.subresource.as_deref() == subresource
    }

    /// How a conflict names the manager (upstream `printManager`).
    fn label(&self) -> String {
        let mut s = format!("{:?}", self.manager);
        if let Some(sub) = &self.subresource {
            s.push_str(&format!(" with subresource {sub:?}"));
        }
        match self.operation {
            Operation::Apply => format!("{s} using {}", self.api_version),
            Operation::Update => format!(
                "{s} using {} at {}",
                self.api_version,
                serde_json::to_value(to_time(self.time))
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default()
            ),
        }
    }

    /// The wire entry (`metadata.managedFields[i]`).
    pub fn to_json(&self) -> Value {
        let mut e = json!({
            "manager": self.manager,
            "operation": if self.operation == Operation::Apply { "Apply" } else { "Update" },
            "apiVersion": self.api_version,
            "time": serde_json::to_value(to_time(self.time)).unwrap_or(Value::Null),
            "fieldsType": "FieldsV1",
            "fieldsV1": to_fields_v1(&self.fields),
        });
        if let Some(sub) = &self.subresource {
            e["subresource"] = json!(sub);
        }
        e
    }
}

/// The conflicts an apply met: (how the owner is named, the field's path as upstream prints it).
#[derive(Debug, PartialEq)]
pub struct Conflicts(pub Vec<(String, String)>);

impl Conflicts {
    /// upstream: `getConflictMessage`.
    pub fn message(&self) -> String {
        if let [(manager, path)] = self.0.as_slice() {
            return format!("Apply failed with 1 conflict: conflict with {manager}: {path}");
        }
        let mut by_manager: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for (m, p) in &self.0 {
            by_manager.entry(m).or_default().push(p);
        }
        let mut lines = Vec::new();
        for (m, paths) in by_manager {
            lines.push(format!("conflicts with {m}:"));
            lines.extend(paths.iter().map(|p| format!("- {p}")));
        }
        format!("Apply failed with {} conflicts: {}", self.0.len(), lines.join("\n"))
    }
}

/// upstream: list-map keys of the keyed lists of the built-in types (status lists are atomic).
fn list_keys(field: &str, items: &[Value]) -> Option<&'static [&'static str]> {
    if matches!(field, "containerStatuses" | "initContainerStatuses") {
        return None;
    }
    super::patch::list_map_keys(field, items.iter().any(|e| e.get("containerPort").is_some()))
}

/// upstream: lists of scalars merged as sets (`patchStrategy: merge`).
fn is_set(field: &str) -> bool {
    field == "finalizers"
}

/// upstream: maps of the built-in types (`map[string]…`), whose entries are fields of their own.
fn is_map(field: &str) -> bool {
    matches!(
        field,
        "labels"
            | "annotations"
            | "matchLabels"
            | "nodeSelector"
            | "data"
            | "binaryData"
            | "stringData"
            | "requests"
            | "limits"
    )
}

/// upstream: structs marked `+structType=atomic` (owned whole).
fn is_atomic_struct(field: &str, v: &Value) -> bool {
    match field {
        "selector" => v.get("matchLabels").is_some() || v.get("matchExpressions").is_some(),
        "labelSelector" | "namespaceSelector" | "configMapKeyRef" | "secretKeyRef" | "fieldRef"
        | "resourceFieldRef" => true,
        _ => false,
    }
}

/// A key's value as a keyed item carries it; upstream defaults a port's protocol to TCP.
fn key_value(item: &Value, key: &str) -> Value {
    match item.get(key) {
        Some(v) => v.clone(),
        None if key == "protocol" => json!("TCP"),
        None => Value::Null,
    }
}

/// The members of an object's field set, each with its value if it is a leaf. `maps`: count
/// maps (and keyed items) as members themselves, as a comparison does (an Update owns the map it
/// adds), not only their entries (an Apply owns what its configuration sets).
fn members(v: &Value, maps: bool) -> BTreeMap<Path, Option<Value>> {
    let mut out = BTreeMap::new();
    if let Value::Object(m) = v {
        let mut path = Vec::new();
        walk_map(m, &mut path, maps, &mut out);
    }
    out
}

fn walk_map(m: &Map<String, Value>, path: &mut Path, maps: bool, out: &mut BTreeMap<Path, Option<Value>>) {
    for (k, v) in m {
        if v.is_null() {
            continue;
        }
        path.push(format!("f:{k}"));
        walk_field(k, v, path, maps, out);
        path.pop();
    }
}

fn walk_field(field: &str, v: &Value, path: &mut Path, maps: bool, out: &mut BTreeMap<Path, Option<Value>>) {
    match v {
        Value::Object(m) if !m.is_empty() && !is_atomic_struct(field, v) => {
            if maps && is_map(field) {
                out.insert(path.clone(), None);
            }
            walk_map(m, path, maps, out);
        }
        Value::Array(items) if !items.is_empty() => {
            if let Some(keys) = list_keys(field, items).filter(|_| items.iter().all(Value::is_object)) {
                for item in items {
                    let key: Map<String, Value> = keys.iter().map(|k| (k.to_string(), key_value(item, k))).collect();
                    path.push(format!("k:{}", Value::Object(key)));
                    out.insert(path.clone(), None);
                    if let Value::Object(im) = item {
                        walk_map(im, path, maps, out);
                    }
                    path.pop();
                }
            } else if is_set(field) && items.iter().all(|i| !i.is_object() && !i.is_array()) {
                for item in items {
                    path.push(format!("v:{item}"));
                    out.insert(path.clone(), Some(item.clone()));
                    path.pop();
                }
            } else {
                out.insert(path.clone(), Some(v.clone()));
            }
        }
        _ => {
            out.insert(path.clone(), Some(v.clone()));
        }
    }
}

/// What a field set is made of: an object without what no manager owns (type, identity and
/// server-set metadata), and without `status` for the main resource or all but it for
/// `/status` (upstream: the field manager's stripped fields and each kind's reset fields).
pub fn owned_part(obj: &Value, status: bool) -> Value {
    let mut out = Map::new();
    if let Value::Object(m) = obj {
        for (k, v) in m {
            match k.as_str() {
                "apiVersion" | "kind" => {}
                "status" if !status => {}
                "status" => {
                    out.insert(k.clone(), v.clone());
                }
                _ if status => {}
                "metadata" => {
                    let mut meta = v.as_object().cloned().unwrap_or_default();
                    for server_set in [
                        "name",
                        "namespace",
                        "uid",
                        "resourceVersion",
                        "generation",
                        "creationTimestamp",
                        "deletionTimestamp",
                        "deletionGracePeriodSeconds",
                        "managedFields",
                        "selfLink",
                    ] {
                        meta.remove(server_set);
                    }
                    if !meta.is_empty() {
                        out.insert(k.clone(), Value::Object(meta));
                    }
                }
                _ => {
                    out.insert(k.clone(), v.clone());
                }
            }
        }
    }
    Value::Object(out)
}

/// The paths added or given another value from `old` to `new`, and those removed.
fn compare(old: &Value, new: &Value) -> (BTreeSet<Path>, BTreeSet<Path>) {
    let (a, b) = (members(old, true), members(new, true));
    let changed = b.iter().filter(|(p, v)| a.get(*p) != Some(v)).map(|(p, _)| p.clone()).collect();
    let removed = a.keys().filter(|p| !b.contains_key(*p)).cloned().collect();
    (changed, removed)
}

/// A path as upstream prints it in a conflict: `.spec.template.spec.containers[name="c"].image`.
pub fn path_string(path: &Path) -> String {
    let mut s = String::new();
    for e in path {
        if let Some(f) = e.strip_prefix("f:") {
            s.push('.');
            s.push_str(f);
        } else if let Some(k) = e.strip_prefix("k:") {
            let key: Map<String, Value> = serde_json::from_str(k).unwrap_or_default();
            let parts: Vec<String> = key.iter().map(|(k, v)| format!("{k}={v}")).collect();
            s.push_str(&format!("[{}]", parts.join(",")));
        } else if let Some(v) = e.strip_prefix("v:") {
            s.push_str(&format!("[={v}]"));
        }
    }
    s
}

/// FieldsV1: nested objects; a member that has members below it carries `.`.
pub fn to_fields_v1(fields: &BTreeSet<Path>) -> Value {
    fn insert(node: &mut Map<String, Value>, path: &[String]) {
        let Some((first, rest)) = path.split_first() else {
            node.insert(".".into(), json!({}));
            return;
        };
        if let Value::Object(m) = node.entry(first.clone()).or_insert_with(|| json!({})) {
            insert(m, rest);
        }
    }
    let mut root = Map::new();
    for path in fields {
        insert(&mut root, path);
    }
    tidy(&mut root);
    Value::Object(root)
}

/// A member with nothing below it is `{}`, not `{".": {}}`.
fn tidy(node: &mut Map<String, Value>) {
    if node.len() == 1 && node.contains_key(".") {
        node.remove(".");
    }
    for (k, v) in node.iter_mut() {
        if k != "." {
            if let Value::Object(m) = v {
                tidy(m);
            }
        }
    }
}

/// What a manager's write does to the object's entries.
pub struct Write<'a> {
    pub manager: &'a str,
    pub api_version: &'a str,
    pub subresource: Option<&'a str>,
    pub now: Millis,
}

/// An Apply of `config` that turns `live` into `merged` (all three as [`owned_part`]s).
/// Without `force`, fields it changes that others own are conflicts and nothing changes.
pub fn apply(
    entries: &mut Vec<Entry>,
    w: &Write,
    config: &Value,
    live: &Value,
    merged: &Value,
    force: bool,
) -> Result<(), Conflicts> {
    let (changed, _) = compare(live, merged);
    let mut conflicts = Vec::new();
    for e in entries.iter().filter(|e| !e.is(w.manager, Operation::Apply, w.subresource)) {
        for p in e.fields.intersection(&changed) {
            conflicts.push((e.label(), path_string(p)));
        }
    }
    if !conflicts.is_empty() && !force {
        return Err(Conflicts(conflicts));
    }
    for e in entries.iter_mut() {
        e.fields.retain(|p| !changed.contains(p));
    }
    let fields: BTreeSet<Path> = members(config, false).into_keys().collect();
    set_entry(entries, w, Operation::Apply, fields);
    Ok(())
}

/// An Update (create, replace or patch) from `old` to `new` (both [`owned_part`]s).
pub fn update(entries: &mut Vec<Entry>, w: &Write, old: &Value, new: &Value) {
    let (changed, removed) = compare(old, new);
    if changed.is_empty() && removed.is_empty() {
        return;
    }
    for e in entries.iter_mut() {
        e.fields.retain(|p| !changed.contains(p) && !removed.contains(p));
    }
    let mut fields = entries
        .iter()
        .find(|e| e.is(w.manager, Operation::Update, w.subresource))
        .map(|e| e.fields.clone())
        .unwrap_or_default();
    fields.extend(changed);
    set_entry(entries, w, Operation::Update, fields);
}

/// upstream: an applier that stops setting a field it owned, which no other manager owns,
/// removes it from the object. `before` and `after` are the entries around [`apply`]; the
/// paths to remove, none below another.
pub fn pruned(before: &[Entry], after: &[Entry], w: &Write) -> Vec<Path> {
    let Some(previous) = before.iter().find(|e| e.is(w.manager, Operation::Apply, w.subresource)) else {
        return Vec::new();
    };
    let owned: BTreeSet<&Path> = after.iter().flat_map(|e| e.fields.iter()).collect();
    let mut out: Vec<Path> = Vec::new();
    // Sorted: a path comes after its prefixes.
    for p in &previous.fields {
        if !owned.contains(p) && !out.iter().any(|q| p.starts_with(q)) {
            out.push(p.clone());
        }
    }
    out
}

/// Turn removals into a strategic merge patch's: `null` for a field, `$patch: delete` for a
/// keyed item, `$deleteFromPrimitiveList` for a set's item, added to an apply's body.
pub fn add_removals(body: &mut Value, paths: &[Path]) {
    for path in paths {
        remove_in(body, path);
    }
}

fn remove_in(node: &mut Value, path: &[String]) {
    let Some((first, rest)) = path.split_first() else { return };
    let Value::Object(m) = node else { return };
    let Some(field) = first.strip_prefix("f:") else { return };
    let Some(next) = rest.first() else {
        m.insert(field.to_string(), Value::Null);
        return;
    };
    if let Some(key) = next.strip_prefix("k:") {
        let Ok(Value::Object(key)) = serde_json::from_str::<Value>(key) else { return };
        let list = m.entry(field.to_string()).or_insert_with(|| json!([]));
        let Value::Array(items) = list else { return };
        let matches = |item: &Value| key.iter().all(|(k, v)| &key_value(item, k) == v);
        if rest.len() == 1 {
            let mut directive = key.clone();
            directive.insert("$patch".into(), json!("delete"));
            items.push(Value::Object(directive));
            return;
        }
        let at = match items.iter().position(matches) {
            Some(i) => i,
            None => {
                items.push(Value::Object(key.clone()));
                items.len() - 1
            }
        };
        remove_in(&mut items[at], &rest[1..]);
    } else if let Some(value) = next.strip_prefix("v:") {
        let Ok(value) = serde_json::from_str::<Value>(value) else { return };
        let gone = m.entry(format!("$deleteFromPrimitiveList/{field}")).or_insert_with(|| json!([]));
        if let Value::Array(g) = gone {
            g.push(value);
        }
    } else {
        remove_in(m.entry(field.to_string()).or_insert_with(|| json!({})), rest);
    }
}

fn set_entry(entries: &mut Vec<Entry>, w: &Write, operation: Operation, fields: BTreeSet<Path>) {
    entries.retain(|e| !e.is(w.manager, operation, w.subresource));
    entries.push(Entry {
        manager: w.manager.to_string(),
        operation,
        api_version: w.api_version.to_string(),
        time: w.now,
        subresource: w.subresource.map(str::to_string),
        fields,
    });
    entries.retain(|e| !e.fields.is_empty());
    // upstream: managedFields sorted by operation (Apply first), time, manager, apiVersion.
    entries.sort_by(|a, b| {
        (a.operation, a.time / 1000, &a.manager, &a.api_version).cmp(&(
            b.operation,
            b.time / 1000,
            &b.manager,
            &b.api_version,
        ))
    });
}

#[cfg(test)]
mod tests;
