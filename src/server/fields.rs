//! The field managers of the objects written through the API server: each write's manager
//! (`fieldManager`, else the client's User-Agent up to its first `/`, as upstream), recorded as
//! [`ssa`] says, and shown as `metadata.managedFields` in what the server answers.
//!
//! Kept by the server beside the store (keyed by object and uid), not in the store: only the
//! writes that come through the API server are recorded. Writes by the simulation's controllers
//! and by the Python API own nothing, so they never conflict with an apply.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::kinds;
use super::request::{Request, Target};
use super::rest::PatchType;
use super::ssa::{self, Entry};
use super::status::Failure;
use crate::api::meta::Uid;
use crate::api::{Kind, Object};
use crate::cluster::Cluster;

type Key = (Kind, String, String);

/// Every recorded object's entries, with the uid they belong to (a new object of the same name
/// starts afresh).
#[derive(Default)]
pub struct Managed(BTreeMap<Key, (Uid, Vec<Entry>)>);

fn key_of(kind: Kind, namespace: &str, name: &str) -> Key {
    (kind, namespace.to_string(), name.to_string())
}

impl Managed {
    fn entries(&self, kind: Kind, namespace: &str, name: &str, uid: Uid) -> Vec<Entry> {
        match self.0.get(&key_of(kind, namespace, name)) {
            Some((u, e)) if *u == uid => e.clone(),
            _ => Vec::new(),
        }
    }

    /// A deleted object's entries go with it (a terminating one keeps them until a later write
    /// finds it gone).
    pub fn forget_unless_stored(&mut self, c: &Cluster, kind: Kind, namespace: &str, name: &str) {
        let key = key_of(kind, namespace, name);
        let stored = c.store().lookup(kind, namespace, name).map(|o| o.meta.uid);
        if self.0.get(&key).is_some_and(|(uid, _)| Some(*uid) != stored) {
            self.0.remove(&key);
        }
    }

    /// Put `managedFields` into an answer: an object of the kind, or a list of them.
    pub fn decorate(&self, kind: Kind, body: &mut Value) {
        if let Some(Value::Array(items)) = body.get_mut("items") {
            for item in items {
                self.decorate_one(kind, item);
            }
        } else if body.get("kind").and_then(Value::as_str) == Some(kind.name()) {
            self.decorate_one(kind, body);
        }
    }

    fn decorate_one(&self, kind: Kind, obj: &mut Value) {
        let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) else { return };
        let text = |k: &str| meta.get(k).and_then(Value::as_str).unwrap_or("").to_string();
        let (namespace, name) = (text("namespace"), text("name"));
        let Some(uid) = Uid::parse(&text("uid")) else { return };
        let Some((u, entries)) = self.0.get(&key_of(kind, &namespace, &name)) else { return };
        if *u == uid && !entries.is_empty() {
            meta.insert("managedFields".into(), Value::Array(entries.iter().map(Entry::to_json).collect()));
        }
    }
}

/// upstream: a request without `fieldManager` is managed by its User-Agent's product name.
fn manager_of(req: &Request) -> String {
    match req.param("fieldManager").filter(|m| !m.is_empty()) {
        Some(m) => m.to_string(),
        None => req.user_agent.split('/').next().unwrap_or("").trim().to_string(),
    }
}

/// What a write will record once it succeeds, worked out before it (an apply's conflicts are
/// found here, and refuse the write).
pub struct Pending {
    kind: Kind,
    namespace: String,
    name: String,
    manager: String,
    status: bool,
    api_version: String,
    /// The object before the write, as the request's version shows it.
    old: Option<(Uid, Value)>,
    /// An apply's entries, already worked out.
    applied: Option<Vec<Entry>>,
}

/// Before a POST, PUT or PATCH of an object or its `/status`: the manager, the object as it
/// was, and for an apply (`application/apply-patch+yaml`) its conflicts.
pub fn before(
    managed: &Managed,
    c: &Cluster,
    req: &Request,
    t: &Target,
    body: &mut Value,
) -> Result<Option<Pending>, Failure> {
    let status = match t.sub.as_deref() {
        None => false,
        Some("status") => true,
        Some(_) => return Ok(None),
    };
    if !matches!(req.method.as_str(), "POST" | "PUT" | "PATCH") || (req.method == "POST") != t.name.is_none() {
        return Ok(None);
    }
    let apply = req.method == "PATCH" && PatchType::of(&req.content_type) == Some(PatchType::Apply);
    let manager = manager_of(req);
    if apply && req.param("fieldManager").is_none_or(str::is_empty) {
        return Err(Failure::new(
            422,
            "Invalid",
            "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch",
        ));
    }
    let namespace = if t.kind.namespaced() { t.namespace.clone().unwrap_or_default() } else { String::new() };
    let name = t.name.clone().unwrap_or_default();
    let old = t
        .name
        .as_deref()
        .and_then(|n| c.store().lookup(t.kind, &namespace, n))
        .map(|o| (o.meta.uid, kinds::encode(o, t.version)));
    let mut pending =
        Pending { kind: t.kind, namespace, name, manager, status, api_version: t.api_version(), old, applied: None };
    if apply {
        let (live, mut entries) = match &pending.old {
            Some((uid, v)) => (v.clone(), managed.entries(t.kind, &pending.namespace, &pending.name, *uid)),
            None => (json!({}), Vec::new()),
        };
        let mut merged = live.clone();
        // The same merge the write makes (rest::patch); a bad body fails there with its message.
        if super::patch::strategic_merge(&mut merged, body).is_err() {
            return Ok(Some(pending));
        }
        let w = pending.write(c.now());
        let part = |v: &Value| ssa::owned_part(v, status);
        let previous = entries.clone();
        if let Err(conflicts) =
            ssa::apply(&mut entries, &w, &part(body), &part(&live), &part(&merged), req.flag("force"))
        {
            let causes: Vec<Value> = conflicts
                .0
                .iter()
                .map(|(m, p)| json!({"reason": "FieldManagerConflict", "message": format!("conflict with {m}"), "field": p}))
                .collect();
            return Err(Failure::with_details(409, "Conflict", conflicts.message(), json!({"causes": causes})));
        }
        // The fields this applier stopped setting, which nobody else owns, go (the write's merge
        // removes them).
        let removed = ssa::pruned(&previous, &entries, &w);
        ssa::add_removals(body, &removed);
        pending.applied = Some(entries);
    }
    Ok(Some(pending))
}

impl Pending {
    fn write(&self, now: crate::sim::clock::Millis) -> ssa::Write<'_> {
        ssa::Write {
            manager: &self.manager,
            api_version: &self.api_version,
            subresource: self.status.then_some("status"),
            now,
        }
    }

    /// After the write succeeded and stored `written`: record it.
    pub fn after(self, managed: &mut Managed, now: crate::sim::clock::Millis, written: &Object, version: &str) {
        let uid = written.meta.uid;
        let entries = match &self.applied {
            Some(applied) => applied.clone(),
            None => {
                let (mut entries, old) = match &self.old {
                    Some((u, v)) if *u == uid => {
                        (managed.entries(self.kind, &self.namespace, &self.name, uid), v.clone())
                    }
                    _ => (Vec::new(), json!({})),
                };
                let part = |v: &Value| ssa::owned_part(v, self.status);
                ssa::update(&mut entries, &self.write(now), &part(&old), &part(&kinds::encode(written, version)));
                entries
            }
        };
        let key = key_of(self.kind, &written.meta.namespace, &written.meta.name);
        managed.0.insert(key, (uid, entries));
    }
}
