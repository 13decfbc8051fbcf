//! The resource routes: GET/LIST (JSON or Table), POST, PUT, PATCH, DELETE and the `/scale`
//! and `/status` subresources, each translated to the cluster operation the Python API uses
//! (one path for defaulting, validation, admission and errors).

use std::sync::Arc;

use serde_json::{json, Value};

use super::kinds;
use super::patch;
use super::request::{Request, Target};
use super::status::{failure, Failure};
use super::table;
pub use super::validation::Validation;
use crate::api::Object;
use crate::cluster::{merge_patch, Cluster, Filter};
use crate::labels::{FieldSelector, Selector};
use crate::store::{DeleteOptions, Propagation};

/// A successful answer: HTTP code and JSON body.
pub type Answer = Result<(u16, Value), Failure>;

pub fn core(e: crate::error::KubesimError) -> Failure {
    failure(&e)
}

/// What a LIST or WATCH of `t` selects, from its `labelSelector` and `fieldSelector`.
pub fn filter_of(req: &Request, t: &Target) -> Result<Filter, Failure> {
    let labels = Selector::parse(req.param("labelSelector").unwrap_or("")).map_err(|e| core(e.into()))?;
    // upstream: a bad or unsupported field selector is a 400 (kubectl wraps the message).
    let fields = FieldSelector::for_kind(req.param("fieldSelector").unwrap_or(""), t.kind)
        .map_err(|e| Failure::bad_request(e.to_string()))?;
    Ok(Filter { kind: t.kind, namespace: t.namespace.clone(), labels, fields })
}

/// `metadata.continue` of a page: the key of the last object sent.
fn continue_token(o: &Object) -> String {
    format!("{}/{}", o.meta.namespace, o.meta.name)
}

/// GET on a collection: a List, or a Table when asked (apiserver.md §4). `limit` pages the list;
/// `continue` resumes after the key the previous page ended with.
pub fn list(c: &Cluster, req: &Request, t: &Target) -> Answer {
    let filter = filter_of(req, t)?;
    let mut items = filter.list(c);
    if let Some(after) = req.param("continue").filter(|s| !s.is_empty()) {
        items.retain(|o| continue_token(o).as_str() > after);
    }
    let mut metadata = json!({"resourceVersion": c.store().resource_version().to_string()});
    if let Some(limit) = req.param("limit").and_then(|l| l.parse::<usize>().ok()).filter(|l| *l > 0) {
        if items.len() > limit {
            items.truncate(limit);
            metadata["continue"] = json!(items.last().map(|o| continue_token(o)));
        }
    }
    if req.wants_table() {
        let mut tbl = table::table(t.kind, &items, c.now(), req.param("includeObject"));
        tbl["metadata"] = metadata;
        return Ok((200, tbl));
    }
    let items: Vec<Value> = items.iter().map(|o| kinds::encode(o, t.version)).collect();
    Ok((
        200,
        json!({"kind": format!("{}List", t.kind.name()), "apiVersion": t.api_version(),
                    "metadata": metadata, "items": items}),
    ))
}

fn namespace_of(t: &Target) -> &str {
    if t.kind.namespaced() {
        t.namespace.as_deref().unwrap_or("")
    } else {
        ""
    }
}

fn live(c: &Cluster, t: &Target, name: &str) -> Result<Arc<Object>, Failure> {
    c.get(t.kind, namespace_of(t), name).map_err(core)
}

/// GET of one object (or its `/status`, or its `/scale`).
pub fn get(c: &Cluster, req: &Request, t: &Target, name: &str) -> Answer {
    let o = live(c, t, name)?;
    match t.sub.as_deref() {
        Some("scale") if kinds::has_scale(t.kind) => Ok((200, scale_of(&o))),
        Some("status") if kinds::has_status(t.kind) => Ok((200, kinds::encode(&o, t.version))),
        Some(_) => Err(Failure::no_route()),
        None if req.wants_table() => {
            let mut tbl = table::table(t.kind, std::slice::from_ref(&o), c.now(), req.param("includeObject"));
            tbl["metadata"] = json!({"resourceVersion": o.meta.resource_version.to_string()});
            Ok((200, tbl))
        }
        None => Ok((200, kinds::encode(&o, t.version))),
    }
}

/// Fill in or check what the path says about a body: apiVersion, kind, namespace, name.
fn reconcile_body(t: &Target, body: &mut Value, name: Option<&str>) -> Result<(), Failure> {
    let Value::Object(m) = body else {
        return Err(Failure::bad_request("the body of the request must be a JSON object"));
    };
    let api_version = t.api_version();
    match m.get("apiVersion").and_then(Value::as_str) {
        None | Some("") => {
            m.insert("apiVersion".into(), api_version.into());
        }
        // upstream: a body of another version is converted; kubesim serves one version a kind.
        Some(v) if v != api_version.as_str() => {
            return Err(Failure::bad_request(format!(
                "the API version in the data ({v}) does not match the expected API version ({api_version})"
            )))
        }
        Some(_) => {}
    }
    match m.get("kind").and_then(Value::as_str) {
        None | Some("") => {
            m.insert("kind".into(), t.kind.name().into());
        }
        Some(k) if k != t.kind.name() => {
            return Err(Failure::bad_request(format!(
                "the kind in the data ({k}) does not match the expected kind ({})",
                t.kind.name()
            )))
        }
        Some(_) => {}
    }
    let meta = m.entry("metadata").or_insert_with(|| json!({}));
    let Value::Object(meta) = meta else { return Err(Failure::bad_request("metadata must be an object")) };
    if t.kind.namespaced() {
        let ns = namespace_of(t);
        match meta.get("namespace").and_then(Value::as_str) {
            None | Some("") => {
                meta.insert("namespace".into(), ns.into());
            }
            // upstream: rest.BeforeCreate / BeforeUpdate.
            Some(n) if n != ns => {
                return Err(Failure::bad_request(
                    "the namespace of the provided object does not match the namespace sent on the request",
                ))
            }
            Some(_) => {}
        }
    }
    if let Some(name) = name {
        match meta.get("name").and_then(Value::as_str) {
            None | Some("") => {
                meta.insert("name".into(), name.into());
            }
            Some(n) if n != name => {
                return Err(Failure::bad_request(format!(
                    "the name of the object ({n}) does not match the name on the URL ({name})"
                )))
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// The object as stored now: the controllers already ran at this instant after the write (a
/// status update bumped its resourceVersion), and a client that writes back what it was given
/// must hold the current resourceVersion.
fn latest(c: &Cluster, written: Arc<Object>) -> Arc<Object> {
    c.store().get_by_key(&crate::store::ObjectKey::of(&written)).cloned().unwrap_or(written)
}

/// POST to a collection.
pub fn create(c: &mut Cluster, v: &mut Validation, t: &Target, mut body: Value) -> Answer {
    reconcile_body(t, &mut body, None)?;
    let o = v.write(c, body, Cluster::create_value)?;
    Ok((201, kinds::encode(&o, t.version)))
}

/// PUT of an object (or its `/scale`). A stale `metadata.resourceVersion` is a 409 Conflict.
pub fn replace(c: &mut Cluster, v: &mut Validation, t: &Target, name: &str, mut body: Value) -> Answer {
    match t.sub.as_deref() {
        None => {
            reconcile_body(t, &mut body, Some(name))?;
            let o = v.write(c, body, Cluster::replace_value)?;
            Ok((200, kinds::encode(&latest(c, o), t.version)))
        }
        Some("scale") if kinds::has_scale(t.kind) => set_scale(c, t, name, body),
        Some("status") if kinds::has_status(t.kind) => write_status(c, v, t, name, body),
        Some(_) => Err(Failure::no_route()),
    }
}

/// A write of `/status` (PUT, or PATCH as the patched object): only `.status` changes. The
/// answer is the object as the status write stored it (upstream answers before any controller
/// reacts; the owning controller may write over it at the same instant).
fn write_status(c: &mut Cluster, v: &mut Validation, t: &Target, name: &str, mut body: Value) -> Answer {
    reconcile_body(t, &mut body, Some(name))?;
    let o = v.write(c, body, Cluster::replace_status_value)?;
    Ok((200, kinds::encode(&o, t.version)))
}

/// The patch types of PATCH (apiserver.md §3, §6).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum PatchType {
    Merge,
    Strategic,
    Json,
    Apply,
}

impl PatchType {
    pub fn of(content_type: &str) -> Option<PatchType> {
        let media = content_type.split(';').next().unwrap_or("").trim();
        match media {
            "application/merge-patch+json" => Some(PatchType::Merge),
            "application/strategic-merge-patch+json" => Some(PatchType::Strategic),
            "application/json-patch+json" => Some(PatchType::Json),
            "application/apply-patch+yaml" | "application/apply-patch+cbor" => Some(PatchType::Apply),
            _ => None,
        }
    }
}

fn apply_patch(doc: &mut Value, kind: PatchType, body: &Value) -> Result<(), Failure> {
    let invalid = |e: String| Failure::new(422, "Invalid", e);
    match kind {
        PatchType::Merge => {
            if !body.is_object() {
                return Err(Failure::bad_request("a merge patch must be a JSON object"));
            }
            merge_patch(doc, body);
            Ok(())
        }
        // upstream: server-side apply without field ownership is a merge of the applied
        // configuration (lists merged by their keys); fields another manager set are kept.
        PatchType::Strategic | PatchType::Apply => patch::strategic_merge(doc, body).map_err(invalid),
        PatchType::Json => patch::json_patch(doc, body).map_err(invalid),
    }
}

/// PATCH of an object (or its `/scale`). `apply-patch+yaml` creates what is missing (201).
pub fn patch(c: &mut Cluster, v: &mut Validation, t: &Target, name: &str, kind: PatchType, body: Value) -> Answer {
    match t.sub.as_deref() {
        None => {}
        Some("scale") if kinds::has_scale(t.kind) => {
            let mut doc = scale_of(&*live(c, t, name)?);
            apply_patch(&mut doc, kind, &body)?;
            return set_scale(c, t, name, doc);
        }
        Some("status") if kinds::has_status(t.kind) => {
            // upstream: the patch applies to the whole object read through `/status`; the status
            // strategy then keeps everything but `.status` from the stored object.
            let mut doc = kinds::encode(&*live(c, t, name)?, t.version);
            apply_patch(&mut doc, kind, &body)?;
            return write_status(c, v, t, name, doc);
        }
        Some(_) => return Err(Failure::no_route()),
    }
    let current = match c.get(t.kind, namespace_of(t), name) {
        Err(crate::error::KubesimError::Store(crate::store::StoreError::NotFound { .. }))
            if kind == PatchType::Apply =>
        {
            let mut body = body;
            reconcile_body(t, &mut body, Some(name))?;
            let o = v.write(c, body, Cluster::create_value)?;
            return Ok((201, kinds::encode(&o, t.version)));
        }
        other => other.map_err(core)?,
    };
    let mut doc = kinds::encode(&current, t.version);
    apply_patch(&mut doc, kind, &body)?;
    reconcile_body(t, &mut doc, Some(name))?;
    let o = v.write(c, doc, Cluster::replace_value)?;
    Ok((200, kinds::encode(&latest(c, o), t.version)))
}

/// autoscaling/v1 Scale of a Deployment or ReplicaSet (apiserver.md §6).
pub fn scale_of(o: &Object) -> Value {
    let j = o.to_json();
    let selector = j
        .pointer("/spec/selector")
        .and_then(|s| {
            serde_json::from_value::<k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector>(s.clone()).ok()
        })
        .and_then(|s| Selector::from_label_selector(Some(&s)).ok())
        .map(|s| s.to_string())
        .unwrap_or_default();
    json!({
        "kind": "Scale", "apiVersion": "autoscaling/v1",
        "metadata": {"name": j["metadata"]["name"], "namespace": j["metadata"]["namespace"],
                     "uid": j["metadata"]["uid"], "resourceVersion": j["metadata"]["resourceVersion"],
                     "creationTimestamp": j["metadata"]["creationTimestamp"]},
        "spec": {"replicas": j.pointer("/spec/replicas").cloned().unwrap_or(json!(1))},
        "status": {"replicas": j.pointer("/status/replicas").cloned().unwrap_or(json!(0)), "selector": selector},
    })
}

/// Write a Scale: its resourceVersion, when given, must be the object's (409 otherwise).
fn set_scale(c: &mut Cluster, t: &Target, name: &str, scale: Value) -> Answer {
    let o = live(c, t, name)?;
    if let Some(rv) = scale.pointer("/metadata/resourceVersion").and_then(Value::as_str).filter(|s| !s.is_empty()) {
        if rv != o.meta.resource_version.to_string() {
            return Err(core(crate::store::StoreError::Conflict { kind: t.kind, name: name.to_string() }.into()));
        }
    }
    let replicas = scale.pointer("/spec/replicas").cloned().unwrap_or(json!(0));
    if !replicas.is_i64() {
        return Err(Failure::bad_request("spec.replicas of a Scale must be an integer"));
    }
    let updated = c.patch(t.kind, namespace_of(t), name, &json!({"spec": {"replicas": replicas}})).map_err(core)?;
    Ok((200, scale_of(&latest(c, updated))))
}

/// `DeleteOptions` from the body (kubectl sends one) and the query (the Python client may).
fn delete_options(req: &Request, body: &Value) -> Result<(DeleteOptions, Option<String>), Failure> {
    let mut o = DeleteOptions::default();
    let policy = body.get("propagationPolicy").and_then(Value::as_str).or(req.param("propagationPolicy"));
    o.propagation = match policy {
        None | Some("") => Propagation::Default,
        Some("Background") => Propagation::Background,
        Some("Foreground") => Propagation::Foreground,
        Some("Orphan") => Propagation::Orphan,
        Some(p) => {
            return Err(Failure::new(
                422,
                "Invalid",
                format!("propagationPolicy: Unsupported value: \"{p}\": supported values: \"Foreground\", \"Background\", \"Orphan\""),
            ))
        }
    };
    if body.get("orphanDependents").and_then(Value::as_bool) == Some(true) {
        o.propagation = Propagation::Orphan;
    }
    o.grace_period_seconds = body
        .get("gracePeriodSeconds")
        .and_then(Value::as_i64)
        .or_else(|| req.param("gracePeriodSeconds").and_then(|g| g.parse().ok()));
    if let Some(uid) = body.pointer("/preconditions/uid").and_then(Value::as_str) {
        o.uid =
            Some(crate::api::meta::Uid::parse(uid).ok_or_else(|| Failure::bad_request(format!("invalid uid {uid}")))?);
    }
    let rv = body.pointer("/preconditions/resourceVersion").and_then(Value::as_str).map(str::to_string);
    Ok((o, rv))
}

/// DELETE of an object: the object while it is still there (graceful deletion, finalizers),
/// otherwise a Success Status naming it.
pub fn delete(c: &mut Cluster, req: &Request, t: &Target, name: &str, body: &Value) -> Answer {
    if t.sub.is_some() {
        return Err(Failure::method_not_allowed("DELETE"));
    }
    let (options, rv) = delete_options(req, body)?;
    let before = live(c, t, name)?;
    if let Some(rv) = rv {
        if rv != before.meta.resource_version.to_string() {
            return Err(core(crate::store::StoreError::Conflict { kind: t.kind, name: name.to_string() }.into()));
        }
    }
    if options.uid.is_some_and(|u| u != before.meta.uid) {
        // upstream: a failed uid precondition is a Conflict.
        return Err(Failure::with_details(
            409,
            "Conflict",
            format!(
                "Operation cannot be fulfilled on {} \"{name}\": Precondition failed: UID in precondition: {}, UID in object meta: {}",
                t.kind.resource(),
                body.pointer("/preconditions/uid").and_then(Value::as_str).unwrap_or(""),
                before.meta.uid
            ),
            json!({"name": name, "group": t.kind.group(), "kind": t.kind.plural()}),
        ));
    }
    c.delete_with(t.kind, namespace_of(t), name, options).map_err(core)?;
    match c.store().lookup(t.kind, namespace_of(t), name) {
        Some(o) if o.meta.uid == before.meta.uid => Ok((200, kinds::encode(o, t.version))),
        _ => Ok((
            200,
            json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                   "details": {"name": name, "group": t.kind.group(), "kind": t.kind.plural(),
                               "uid": before.meta.uid.to_string()}}),
        )),
    }
}

/// POST of a pod's `eviction` subresource (policy/v1 Eviction, v1beta1 accepted): the pod is
/// deleted unless a disruption budget forbids it (429). upstream: EvictionREST.Create answers a
/// Success Status, with the create's 201.
pub fn evict(c: &mut Cluster, req: &Request, t: &Target, name: &str, body: &Value) -> Answer {
    match body.get("apiVersion").and_then(Value::as_str) {
        None | Some("policy/v1" | "policy/v1beta1") => {}
        Some(v) => return Err(Failure::bad_request(format!("unsupported Eviction version {v:?}"))),
    }
    if body.pointer("/metadata/name").and_then(Value::as_str).is_some_and(|n| n != name) {
        return Err(Failure::bad_request("name in URL does not match name in Eviction object"));
    }
    let none = json!({});
    let (options, _) = delete_options(req, body.get("deleteOptions").unwrap_or(&none))?;
    let eviction = crate::cluster::Eviction {
        namespace: namespace_of(t).to_string(),
        name: name.to_string(),
        options,
        // A dry run (in the query or the body's DeleteOptions) already runs on a copy.
        dry_run: false,
    };
    c.evict(&eviction).map_err(core)?;
    Ok((201, json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201})))
}

/// DELETE of a collection (deletecollection): every selected object, then the list of them.
pub fn delete_collection(c: &mut Cluster, req: &Request, t: &Target, body: &Value) -> Answer {
    let (options, _) = delete_options(req, body)?;
    let filter = filter_of(req, t)?;
    let chosen = filter.list(c);
    let mut items = Vec::with_capacity(chosen.len());
    for o in chosen {
        c.delete_with(t.kind, &o.meta.namespace, &o.meta.name, options).map_err(core)?;
        items.push(kinds::encode(&o, t.version));
    }
    Ok((
        200,
        json!({"kind": format!("{}List", t.kind.name()), "apiVersion": t.api_version(),
                    "metadata": {"resourceVersion": c.store().resource_version().to_string()}, "items": items}),
    ))
}
