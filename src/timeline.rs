//! Timeline samples for the Python recorder (`c.record()`): the counts, conditions and
//! utilizations of Deployments, ReplicaSets, HorizontalPodAutoscalers and pods, each node's
//! allocation, and the events that happened.
//!
//! A sample reads only the objects written since the previous sample (the store's change feed,
//! kept while a recorder records and trimmed by each sample; else the watch log), so a sample
//! costs O(objects changed), never O(history) or O(stored). When neither reaches back that
//! far (the first sample, or after a load), the sample is a full one and says so.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::sync::Arc;

use rustc_hash::{FxHashMap, FxHashSet};

use crate::api::{Body, Kind, Object};
use crate::controllers::deployment::{max_surge, max_unavailable};
use crate::controllers::replicaset::node_of;
use crate::controllers::NodeRuntime;
use crate::sim::clock::Millis;
use crate::store::{ObjectKey, Store};

/// One recorded value.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum FieldValue {
    Int(i64),
    Str(Arc<str>),
    Bool(bool),
}

impl FieldValue {
    /// A sum that may exceed int64 (resources of pods with huge requests), capped to it.
    fn saturating(v: i128) -> FieldValue {
        FieldValue::Int(v.clamp(i64::MIN.into(), i64::MAX.into()) as i64)
    }
}

/// A recorded field's name: most are fixed words; a condition's or a metric's is made.
pub type Field = Cow<'static, str>;

/// The recorded fields of one object as it is now.
#[derive(Clone, Debug, PartialEq)]
pub struct ObjectSample {
    pub kind: Kind,
    pub namespace: Arc<str>,
    pub name: Arc<str>,
    pub fields: Vec<(Field, FieldValue)>,
}

/// One occurrence of an Event (a new Event, or a higher count of an existing one).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EventSample {
    pub namespace: Arc<str>,
    /// The Event object's own name.
    pub name: Arc<str>,
    /// The involved object's kind and name.
    pub kind: Arc<str>,
    pub object: Arc<str>,
    pub type_: Arc<str>,
    pub reason: Arc<str>,
    pub message: Arc<str>,
    pub source: Arc<str>,
    pub first: Millis,
    pub last: Millis,
    pub count: i32,
}

/// What changed since a resourceVersion.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Sample {
    pub resource_version: u64,
    /// Every recorded object is listed (not only the changed ones): an object recorded before
    /// and missing now was deleted.
    pub full: bool,
    pub objects: Vec<ObjectSample>,
    pub deleted: Vec<ObjectKey>,
    pub events: Vec<EventSample>,
}

/// One recorded change: from `time` on, `field` of the object holds `value` (the field
/// `deleted` is true from the object's deletion, false again if it comes back).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Row {
    pub time: Millis,
    pub kind: Kind,
    pub namespace: Arc<str>,
    pub name: Arc<str>,
    pub field: Field,
    pub value: FieldValue,
}

/// The recorder's history, folded from samples as they are taken: a row for each value that
/// changed (a change log, not a copy of every sample), the start of each sample's rows, and
/// each Event occurrence once. Samples are folded here, in the core, so that recording costs
/// O(values changed), and nothing is made for the caller until it reads the rows.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Log {
    pub rows: Chunked<Row>,
    /// Where each sample that recorded something starts in `rows`.
    pub starts: Vec<usize>,
    /// Event occurrences, in the order they were sampled.
    pub events: Chunked<EventSample>,
    /// The resourceVersion the last sample read up to (0: the next sample is a full one).
    pub resource_version: u64,
    /// Each recorded object's fields as last recorded.
    last: FxHashMap<ObjectKey, Vec<(Field, FieldValue)>>,
    /// Objects recorded as deleted (a row says so again if they come back).
    deleted: FxHashSet<ObjectKey>,
    /// The count last recorded for each Event (namespace, name).
    event_counts: FxHashMap<EventKey, i32>,
}

/// Whether two field names are the same: most are the same fixed word, found by address.
fn same_field(a: &str, b: &str) -> bool {
    (std::ptr::eq(a.as_ptr(), b.as_ptr()) && a.len() == b.len()) || a == b
}

/// An append-only list kept in fixed-size chunks: growing it never moves what it holds (a
/// long recording's rows are not copied again at each doubling, nor fresh pages zeroed for it).
#[derive(Clone, Debug)]
pub struct Chunked<T> {
    chunks: Vec<Vec<T>>,
    len: usize,
}

const CHUNK: usize = 1024;

impl<T> Default for Chunked<T> {
    fn default() -> Self {
        Chunked { chunks: Vec::new(), len: 0 }
    }
}

impl<T> Chunked<T> {
    pub fn push(&mut self, item: T) {
        match self.chunks.last_mut() {
            Some(last) if last.len() < CHUNK => last.push(item),
            _ => {
                let mut chunk = Vec::with_capacity(CHUNK);
                chunk.push(item);
                self.chunks.push(chunk);
            }
        }
        self.len += 1;
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn get(&self, i: usize) -> Option<&T> {
        self.chunks.get(i / CHUNK).and_then(|c| c.get(i % CHUNK))
    }

    /// The items from the `start`-th on.
    pub fn iter_from(&self, start: usize) -> impl Iterator<Item = &T> {
        let first = self.chunks.get(start / CHUNK).map(|c| c.get(start % CHUNK..).unwrap_or_default());
        first.into_iter().chain(self.chunks.iter().skip(start / CHUNK + 1).map(Vec::as_slice)).flatten()
    }
}

impl<T> FromIterator<T> for Chunked<T> {
    fn from_iter<I: IntoIterator<Item = T>>(items: I) -> Self {
        let mut out = Chunked::default();
        for item in items {
            out.push(item);
        }
        out
    }
}

impl<T: PartialEq> PartialEq for Chunked<T> {
    fn eq(&self, other: &Self) -> bool {
        self.len == other.len && self.iter_from(0).eq(other.iter_from(0))
    }
}

/// A [`Log`] as saved: keys as (kind, namespace, name), in an order that does not depend on
/// hashing.
#[derive(serde::Serialize, serde::Deserialize)]
struct SavedLog {
    rows: Vec<Row>,
    starts: Vec<usize>,
    events: Vec<EventSample>,
    resource_version: u64,
    last: Vec<(SavedKey, Vec<(Field, FieldValue)>)>,
    deleted: Vec<SavedKey>,
    event_counts: Vec<(EventKey, i32)>,
}

type SavedKey = (Kind, Arc<str>, Arc<str>);

/// An Event's namespace and name.
type EventKey = (Arc<str>, Arc<str>);

fn saved_key(k: &ObjectKey) -> SavedKey {
    (k.kind(), k.namespace.clone(), k.name.clone())
}

impl Log {
    /// Fold in a sample taken at `now`.
    pub fn take(&mut self, now: Millis, s: &Sample) {
        self.resource_version = s.resource_version;
        let start = self.rows.len();
        let mut seen: Option<FxHashSet<ObjectKey>> = s.full.then(FxHashSet::default);
        let rows = &mut self.rows;
        for o in &s.objects {
            let key = ObjectKey::shared(o.kind, &o.namespace, &o.name);
            let row = |field: Field, value: FieldValue| Row {
                time: now,
                kind: o.kind,
                namespace: key.namespace.clone(),
                name: o.name.clone(),
                field,
                value,
            };
            if let Some(seen) = &mut seen {
                seen.insert(key.clone());
            }
            let last = match self.last.get_mut(&key) {
                Some(last) => last,
                None => {
                    if self.deleted.remove(&key) {
                        rows.push(row("deleted".into(), FieldValue::Bool(false)));
                    }
                    self.last.entry(key.clone()).or_default()
                }
            };
            for (i, (field, value)) in o.fields.iter().enumerate() {
                // An object's fields come in the same order each sample: look where it was first.
                let at = match last.get(i) {
                    Some((f, _)) if same_field(f, field) => Some(i),
                    _ => last.iter().position(|(f, _)| same_field(f, field)),
                };
                match at.map(|i| &mut last[i]) {
                    Some((_, v)) if v == value => continue,
                    Some((_, v)) => *v = value.clone(),
                    None => last.push((field.clone(), value.clone())),
                }
                rows.push(row(field.clone(), value.clone()));
            }
        }
        // A full sample lists every object: one recorded before and missing now is gone.
        let mut missing: Vec<ObjectKey> = match seen {
            Some(seen) => self.last.keys().filter(|k| !seen.contains(*k)).cloned().collect(),
            None => Vec::new(),
        };
        missing.sort();
        for key in s.deleted.iter().cloned().chain(missing) {
            if key.kind() == Kind::Event {
                // An Event's name is not used again while it is stored: forgetting its count
                // keeps what the log holds for Events to those still stored.
                self.event_counts.remove(&(key.namespace.clone(), key.name.clone()));
                continue;
            }
            if self.last.remove(&key).is_some() {
                let (kind, namespace, name) = (key.kind(), key.namespace.clone(), key.name.clone());
                self.deleted.insert(key);
                let value = FieldValue::Bool(true);
                self.rows.push(Row { time: now, kind, namespace, name, field: "deleted".into(), value });
            }
        }
        if self.rows.len() > start {
            self.starts.push(start);
        }
        for e in &s.events {
            let key = (e.namespace.clone(), e.name.clone());
            if self.event_counts.get(&key) != Some(&e.count) {
                self.event_counts.insert(key, e.count);
                self.events.push(e.clone());
            }
        }
        if s.full {
            // Every stored Event is listed: the others are gone.
            let stored: FxHashSet<(&str, &str)> = s.events.iter().map(|e| (&*e.namespace, &*e.name)).collect();
            self.event_counts.retain(|(ns, name), _| stored.contains(&(&**ns, &**name)));
        }
    }

    /// The log as bytes (postcard, as snapshots are), for a saved or pickled recorder.
    pub fn save(&self) -> Vec<u8> {
        let mut last: Vec<_> = self.last.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        last.sort_by(|a, b| a.0.cmp(&b.0));
        let mut deleted: Vec<&ObjectKey> = self.deleted.iter().collect();
        deleted.sort();
        let mut event_counts: Vec<_> = self.event_counts.iter().map(|(k, v)| (k.clone(), *v)).collect();
        event_counts.sort();
        let saved = SavedLog {
            rows: self.rows.iter_from(0).cloned().collect(),
            starts: self.starts.clone(),
            events: self.events.iter_from(0).cloned().collect(),
            resource_version: self.resource_version,
            last: last.iter().map(|(k, v)| (saved_key(k), v.clone())).collect(),
            deleted: deleted.into_iter().map(saved_key).collect(),
            event_counts,
        };
        postcard::to_allocvec(&saved).expect("a timeline log serializes")
    }

    /// A log from [`save`](Self::save)'s bytes.
    pub fn load(bytes: &[u8]) -> Result<Log, postcard::Error> {
        let s: SavedLog = postcard::from_bytes(bytes)?;
        let key = |(kind, ns, name): SavedKey| ObjectKey::shared(kind, &ns, &name);
        Ok(Log {
            rows: s.rows.into_iter().collect(),
            starts: s.starts,
            events: s.events.into_iter().collect(),
            resource_version: s.resource_version,
            last: s.last.into_iter().map(|(k, v)| (key(k), v)).collect(),
            deleted: s.deleted.into_iter().map(key).collect(),
            event_counts: s.event_counts.into_iter().collect(),
        })
    }
}

/// One write a sample reads: the key, a pod's node.
type Change<'a> = (Cow<'a, ObjectKey>, Option<&'a str>);

const SAMPLED: [Kind; 4] = [Kind::Deployment, Kind::ReplicaSet, Kind::HorizontalPodAutoscaler, Kind::Pod];

/// Everything written after `since` (all objects when `since` is 0 or out of the watch log's
/// reach). A node's allocation changes without a write to the Node, but only with a write of a
/// pod bound to it: a node is listed when it or a pod on it was written.
pub fn sample(store: &Store, nodes: &NodeRuntime, since: u64, pods: bool) -> Sample {
    let wanted = |k: Kind| (k != Kind::Pod || pods) && (SAMPLED.contains(&k) || k == Kind::Event);
    let mut out = Sample { resource_version: store.resource_version(), ..Sample::default() };
    // What was written since: from the recorder's change feed, else from the watch log while it
    // reaches back that far (each as (event type, key, a pod's node)).
    let watched;
    let changed: Option<Vec<Change>> = if since == 0 {
        None
    } else if let Some(feed) = store.changes_since(since) {
        Some(feed.map(|(k, n)| (Cow::Borrowed(k), n)).collect())
    } else {
        watched = store.watch_since(since).ok();
        watched
            .as_ref()
            .map(|events| events.iter().map(|e| (Cow::Owned(ObjectKey::of(&e.object)), node_of(&e.object))).collect())
    };
    match changed {
        Some(events) => {
            // The store holds the latest state; the change list only says which keys to read.
            let mut touched: BTreeSet<&ObjectKey> = BTreeSet::new();
            let mut nodes_touched: BTreeSet<&str> = BTreeSet::new();
            for (key, node) in &events {
                let kind = key.kind();
                match kind {
                    Kind::Pod => nodes_touched.extend(*node),
                    Kind::Node => {
                        nodes_touched.insert(&key.name);
                    }
                    _ => {}
                }
                if wanted(kind) {
                    touched.insert(key);
                }
            }
            for key in touched {
                match store.get_by_key(key) {
                    Some(obj) if key.kind() == Kind::Event => out.events.extend(event_sample(obj)),
                    Some(obj) => out.objects.extend(object_sample(obj)),
                    // An expired Event is not an occurrence; it is listed as deleted (for the
                    // recorder to forget its count), like any other object.
                    None => out.deleted.push(key.clone()),
                }
            }
            for name in nodes_touched {
                match store.get(Kind::Node, "", name) {
                    Ok(n) => out.objects.extend(node_sample(&n, nodes)),
                    Err(_) => out.deleted.push(ObjectKey::new(Kind::Node, "", name)),
                }
            }
        }
        None => {
            out.full = true;
            for kind in SAMPLED.into_iter().filter(|k| wanted(*k)) {
                out.objects.extend(store.scan(kind, None).filter_map(object_sample));
            }
            out.events.extend(store.scan(Kind::Event, None).filter_map(event_sample));
            out.objects.extend(store.scan(Kind::Node, None).filter_map(|n| node_sample(n, nodes)));
        }
    }
    out
}

fn int(v: Option<i32>) -> FieldValue {
    FieldValue::Int(i64::from(v.unwrap_or(0)))
}

fn text(s: &str) -> FieldValue {
    FieldValue::Str(s.into())
}

fn controller_name(o: &Object) -> Option<&str> {
    o.meta.owner_references.iter().find(|r| r.controller == Some(true)).map(|r| &*r.name)
}

fn revision(o: &Object) -> i64 {
    o.meta.annotations.get("deployment.kubernetes.io/revision").and_then(|r| r.parse().ok()).unwrap_or(0)
}

/// `Type` → status and `Type.reason` → reason, for each condition.
fn conditions<'a>(
    fields: &mut Vec<(Field, FieldValue)>,
    conds: impl Iterator<Item = (&'a str, &'a str, Option<&'a str>)>,
) {
    for (type_, status, reason) in conds {
        let (name, reason_name): (Field, Field) = match KNOWN_CONDITIONS.iter().find(|(t, _)| *t == type_) {
            Some((t, r)) => (Cow::Borrowed(t), Cow::Borrowed(r)),
            None => (type_.to_string().into(), format!("{type_}.reason").into()),
        };
        fields.push((name, text(status)));
        fields.push((reason_name, text(reason.unwrap_or(""))));
    }
}

/// The condition types of Deployments and HPAs, and their reason fields, as fixed words.
const KNOWN_CONDITIONS: [(&str, &str); 6] = [
    ("Available", "Available.reason"),
    ("Progressing", "Progressing.reason"),
    ("ReplicaFailure", "ReplicaFailure.reason"),
    ("AbleToScale", "AbleToScale.reason"),
    ("ScalingActive", "ScalingActive.reason"),
    ("ScalingLimited", "ScalingLimited.reason"),
];

fn object_sample(o: &Arc<Object>) -> Option<ObjectSample> {
    let mut f: Vec<(Field, FieldValue)> = Vec::with_capacity(16);
    let mut put = |name: Field, v: FieldValue| f.push((name, v));
    match &o.body {
        Body::Deployment { spec, status, .. } => {
            put("desired".into(), int(Some(spec.replicas.unwrap_or(1))));
            put("current".into(), int(status.replicas));
            put("ready".into(), int(status.ready_replicas));
            put("available".into(), int(status.available_replicas));
            put("updated".into(), int(status.updated_replicas));
            put("unavailable".into(), int(status.unavailable_replicas));
            let strategy = spec.strategy.as_ref().and_then(|s| s.type_.as_deref()).unwrap_or("RollingUpdate");
            put("strategy".into(), text(strategy));
            put("max_surge".into(), int(Some(max_surge(spec))));
            put("max_unavailable".into(), int(Some(max_unavailable(spec))));
            put("paused".into(), FieldValue::Bool(spec.paused.unwrap_or(false)));
            put("revision".into(), FieldValue::Int(revision(o)));
            let conds = status.conditions.iter().flatten();
            conditions(&mut f, conds.map(|c| (c.type_.as_str(), c.status.as_str(), c.reason.as_deref())));
        }
        Body::ReplicaSet { spec, status, template } => {
            put("desired".into(), int(Some(spec.replicas.unwrap_or(1))));
            put("current".into(), int(Some(status.replicas)));
            put("ready".into(), int(status.ready_replicas));
            put("available".into(), int(status.available_replicas));
            put("revision".into(), FieldValue::Int(revision(o)));
            put("owner".into(), text(controller_name(o).unwrap_or("")));
            // The admitted spec has the same containers as the template's (admission adds none).
            let images: Vec<&str> = template.admitted.containers.iter().filter_map(|c| c.image.as_deref()).collect();
            put("image".into(), text(&images.join(",")));
        }
        Body::HorizontalPodAutoscaler { spec, status } => {
            put("min".into(), int(Some(spec.min_replicas.unwrap_or(1))));
            put("max".into(), int(Some(spec.max_replicas)));
            put("current".into(), int(status.current_replicas));
            put("desired".into(), int(Some(status.desired_replicas)));
            let target = &spec.scale_target_ref;
            put("target".into(), text(&format!("{}/{}", target.kind, target.name)));
            for m in spec.metrics.iter().flatten().filter_map(|m| m.resource.as_ref()) {
                let current = status
                    .current_metrics
                    .iter()
                    .flatten()
                    .filter_map(|c| c.resource.as_ref())
                    .find(|c| c.name == m.name)
                    .map(|c| &c.current);
                let milli = |q: Option<&k8s_openapi::apimachinery::pkg::api::resource::Quantity>| {
                    q.and_then(|q| crate::api::quantity::parse_milli(&q.0)).and_then(|v| i64::try_from(v).ok())
                };
                if m.target.type_ == "Utilization" {
                    if let Some(u) = current.and_then(|c| c.average_utilization) {
                        put(format!("{}_utilization", m.name).into(), int(Some(u)));
                    }
                    if let Some(t) = m.target.average_utilization {
                        put(format!("{}_target_utilization", m.name).into(), int(Some(t)));
                    }
                } else {
                    if let Some(v) = milli(current.and_then(|c| c.average_value.as_ref())) {
                        put(format!("{}_average_milli", m.name).into(), FieldValue::Int(v));
                    }
                    if let Some(v) = milli(m.target.average_value.as_ref()) {
                        put(format!("{}_target_average_milli", m.name).into(), FieldValue::Int(v));
                    }
                }
            }
            let conds = status.conditions.iter().flatten();
            conditions(&mut f, conds.map(|c| (c.type_.as_str(), c.status.as_str(), c.reason.as_deref())));
        }
        Body::Pod { status, .. } => {
            // The kubectl STATUS column, with "Ready" for a running pod that passes readiness.
            let (_, reason, _) = crate::kubectl::table::pod_status(o, status, 0);
            let state = if reason == "Running" && status.is_ready() { "Ready" } else { reason.as_str() };
            put("state".into(), text(state));
            put("node".into(), text(status.node_name.as_deref().unwrap_or("")));
            put("owner".into(), text(controller_name(o).unwrap_or("")));
            let restarts: u32 = status.containers.iter().map(|c| c.restart_count).sum();
            put("restarts".into(), FieldValue::Int(i64::from(restarts)));
        }
        _ => return None,
    }
    Some(ObjectSample { kind: o.kind(), namespace: o.meta.namespace.clone(), name: o.meta.name.clone(), fields: f })
}

fn node_sample(n: &Arc<Object>, nodes: &NodeRuntime) -> Option<ObjectSample> {
    let Body::Node { status, .. } = &n.body else { return None };
    let ready = status.conditions.iter().flatten().any(|c| c.type_ == "Ready" && c.status == "True");
    let held = nodes.allocated.get(&n.meta.name).cloned().unwrap_or_default();
    let info = nodes.info.get(&n.meta.name);
    let fields = vec![
        (Cow::Borrowed("ready"), FieldValue::Bool(ready)),
        (Cow::Borrowed("cpu_allocatable_milli"), FieldValue::saturating(info.map_or(0, |i| i.allocatable.cpu))),
        (Cow::Borrowed("memory_allocatable"), FieldValue::saturating(info.map_or(0, |i| i.allocatable.memory / 1000))),
        (Cow::Borrowed("cpu_requested_milli"), FieldValue::saturating(held.requested.cpu)),
        (Cow::Borrowed("memory_requested"), FieldValue::saturating(held.requested.memory / 1000)),
        (Cow::Borrowed("pods"), FieldValue::Int(held.pods)),
    ];
    Some(ObjectSample { kind: Kind::Node, namespace: "".into(), name: n.meta.name.clone(), fields })
}

fn event_sample(o: &Arc<Object>) -> Option<EventSample> {
    let Body::Event(e) = &o.body else { return None };
    let s = |t: &Option<Arc<str>>| t.clone().unwrap_or_else(|| "".into());
    let last = e.last.or(e.first).unwrap_or(o.meta.creation_timestamp);
    Some(EventSample {
        namespace: o.meta.namespace.clone(),
        name: o.meta.name.clone(),
        kind: s(&e.kind),
        object: s(&e.name),
        type_: s(&e.type_),
        reason: s(&e.reason),
        message: s(&e.message),
        source: s(&e.component),
        first: e.first.unwrap_or(last),
        last,
        count: e.count.unwrap_or(1),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::{Cluster, ClusterOptions};

    const DEPLOY: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 3\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n      - name: c\n        image: nginx:1.14.2\n";

    fn field<'a>(s: &'a Sample, kind: Kind, name: &str, field: &str) -> Option<&'a FieldValue> {
        s.objects
            .iter()
            .find(|o| o.kind == kind && &*o.name == name)
            .and_then(|o| o.fields.iter().find(|(f, _)| f == field).map(|(_, v)| v))
    }

    #[test]
    fn an_incremental_sample_lists_only_what_changed() {
        let mut c = Cluster::new(ClusterOptions::default()).unwrap();
        c.apply_text(DEPLOY, "t").unwrap();
        let first = c.timeline_sample(0, true);
        assert!(first.full);
        assert_eq!(field(&first, Kind::Deployment, "web", "desired"), Some(&FieldValue::Int(3)));
        assert_eq!(first.objects.iter().filter(|o| o.kind == Kind::Pod).count(), 3);
        let nothing = c.timeline_sample(first.resource_version, true);
        assert!(!nothing.full);
        assert!(nothing.objects.is_empty(), "nothing when nothing was written");
        c.advance(10_000).unwrap();
        let later = c.timeline_sample(first.resource_version, true);
        assert_eq!(field(&later, Kind::Deployment, "web", "available"), Some(&FieldValue::Int(3)));
        assert!(later.events.iter().any(|e| &*e.reason == "Started"));
        let pods = later.objects.iter().filter(|o| o.kind == Kind::Pod);
        assert!(pods.clone().count() == 3 && pods.clone().all(|p| p.fields[0].1 == text("Ready")));
        let cpu: i64 = later
            .objects
            .iter()
            .filter(|o| o.kind == Kind::Node)
            .map(|n| match n.fields[5].1 {
                FieldValue::Int(p) => p,
                _ => 0,
            })
            .sum();
        assert_eq!(cpu, 3, "three pods are allocated across the nodes");
    }

    #[test]
    fn incremental_node_samples_add_up_to_a_full_one() {
        // Nodes are listed only when they or a pod on them was written; folding the incremental
        // samples must give every node's allocation as a full sample reads it.
        use std::collections::BTreeMap;
        let mut c = Cluster::new(ClusterOptions::default()).unwrap();
        let mut seen: BTreeMap<Arc<str>, Vec<(Field, FieldValue)>> = BTreeMap::new();
        let mut rv = 0;
        let mut check = |c: &Cluster, step: &str| {
            let s = c.timeline_sample(rv, true);
            rv = s.resource_version;
            for o in s.objects.iter().filter(|o| o.kind == Kind::Node) {
                seen.insert(o.name.clone(), o.fields.clone());
            }
            for k in s.deleted.iter().filter(|k| k.kind() == Kind::Node) {
                seen.remove(&k.name);
            }
            let full: BTreeMap<Arc<str>, Vec<(Field, FieldValue)>> = c
                .timeline_sample(0, true)
                .objects
                .into_iter()
                .filter(|o| o.kind == Kind::Node)
                .map(|o| (o.name, o.fields))
                .collect();
            assert_eq!(seen, full, "after {step}");
        };
        check(&c, "start");
        c.apply_text(&DEPLOY.replace("replicas: 3", "replicas: 7"), "t").unwrap();
        check(&c, "apply");
        c.advance(10_000).unwrap();
        check(&c, "ready");
        c.patch(Kind::Deployment, "default", "web", &serde_json::json!({"spec": {"replicas": 2}})).unwrap();
        check(&c, "scale down");
        c.advance(60_000).unwrap();
        check(&c, "terminated");
        let node = c.store().scan(Kind::Node, None).next().unwrap().meta.name.clone();
        c.fail_node(&node).unwrap();
        c.advance(60_000).unwrap();
        check(&c, "node failed");
        c.delete(Kind::Node, "", &node).unwrap();
        check(&c, "node deleted");
        c.advance(120_000).unwrap();
        check(&c, "replaced");
    }

    #[test]
    fn the_change_feed_keeps_samples_incremental_past_the_watch_log() {
        // With the recorder's feed, a sample after more writes than the watch log holds still
        // reads only what changed; without it, the sample falls back to a full one.
        let mut c = Cluster::new(ClusterOptions::default()).unwrap();
        c.apply_text(DEPLOY, "t").unwrap();
        c.advance(10_000).unwrap();
        let first = c.timeline_sample(0, true);
        let mut other = c.fork();
        c.timeline_read(Some(first.resource_version));
        for cluster in [&mut c, &mut other] {
            cluster.store_mut().set_watch_capacity(1);
            cluster.patch(Kind::Deployment, "default", "web", &serde_json::json!({"spec": {"replicas": 5}})).unwrap();
            cluster.advance(10_000).unwrap();
        }
        let fed = c.timeline_sample(first.resource_version, true);
        assert!(!fed.full);
        assert_eq!(fed.objects.iter().filter(|o| o.kind == Kind::Pod).count(), 2, "the two new pods only");
        assert_eq!(field(&fed, Kind::Deployment, "web", "available"), Some(&FieldValue::Int(5)));
        assert!(other.timeline_sample(first.resource_version, true).full);
        // Read up to here: the feed drops what was read, and stops when asked.
        c.timeline_read(Some(fed.resource_version));
        assert!(c.store().changes_since(fed.resource_version).is_some_and(|mut e| e.next().is_none()));
        c.timeline_read(None);
        assert!(c.store().changes_since(fed.resource_version).is_none());
        // A feed longer than half the store (and 1,024) starts again: the sample after it
        // is a full one, and the one after that reads the feed again.
        c.timeline_read(Some(c.store().resource_version()));
        let rv = c.store().resource_version();
        let big = DEPLOY.replace("replicas: 3", "replicas: 1500");
        c.apply_text(&big, "t").unwrap();
        c.advance(10_000).unwrap();
        assert!(c.timeline_sample(rv, true).full, "the feed was dropped past 1,024 entries");
        let after = c.timeline_sample(0, true);
        c.timeline_read(Some(after.resource_version));
        c.patch(Kind::Deployment, "default", "web", &serde_json::json!({"spec": {"replicas": 1501}})).unwrap();
        c.advance(10_000).unwrap();
        assert!(!c.timeline_sample(after.resource_version, true).full);
    }

    fn object(kind: Kind, name: &str, fields: &[(&'static str, FieldValue)]) -> ObjectSample {
        let fields = fields.iter().map(|(f, v)| (Field::Borrowed(f), v.clone())).collect();
        ObjectSample { kind, namespace: "default".into(), name: name.into(), fields }
    }

    fn event(name: &str, count: i32) -> EventSample {
        let t = |s: &str| -> Arc<str> { s.into() };
        EventSample {
            namespace: t("default"),
            name: t(name),
            kind: t("Pod"),
            object: t("p"),
            type_: t("Normal"),
            reason: t("Pulled"),
            message: t("m"),
            source: t("kubelet"),
            first: 0,
            last: i64::from(count),
            count,
        }
    }

    /// The log's rows as (time, name, field, value), for comparing.
    fn rows(log: &Log) -> Vec<(Millis, String, String, FieldValue)> {
        log.rows.iter_from(0).map(|r| (r.time, r.name.to_string(), r.field.to_string(), r.value.clone())).collect()
    }

    #[test]
    fn the_log_keeps_a_row_per_value_that_changed() {
        use FieldValue::{Bool, Int};
        let mut log = Log::default();
        let sample =
            |rv, full, objects, deleted, events| Sample { resource_version: rv, full, objects, deleted, events };
        let a = |n: i64| object(Kind::Deployment, "a", &[("ready", Int(n)), ("paused", Bool(false))]);
        let b = object(Kind::Deployment, "b", &[("ready", Int(1))]);
        log.take(1, &sample(5, true, vec![a(0), b.clone()], vec![], vec![event("e1", 1)]));
        assert_eq!(log.resource_version, 5);
        assert_eq!(log.rows.len(), 3);
        // Unchanged values make no rows; a changed one does; a value of another type (1 and
        // true) is a change.
        log.take(2, &sample(6, false, vec![a(0)], vec![], vec![event("e1", 1)]));
        assert_eq!(log.rows.len(), 3, "nothing changed");
        assert_eq!(log.starts, [0], "a sample that recorded nothing has no start");
        log.take(3, &sample(7, false, vec![a(2)], vec![], vec![event("e1", 2), event("e2", 1)]));
        let flipped = object(Kind::Deployment, "b", &[("ready", Bool(true))]);
        log.take(4, &sample(8, false, vec![flipped], vec![], vec![]));
        // Deleted: its row; back again: `deleted` false and every field anew.
        log.take(5, &sample(9, false, vec![], vec![ObjectKey::new(Kind::Deployment, "default", "a")], vec![]));
        log.take(6, &sample(10, false, vec![a(2)], vec![], vec![]));
        // A full sample without an object: it is gone.
        log.take(7, &sample(11, true, vec![a(2)], vec![], vec![event("e1", 2), event("e2", 1)]));
        let s = |t: &str| t.to_string();
        assert_eq!(
            rows(&log),
            [
                (1, s("a"), s("ready"), Int(0)),
                (1, s("a"), s("paused"), Bool(false)),
                (1, s("b"), s("ready"), Int(1)),
                (3, s("a"), s("ready"), Int(2)),
                (4, s("b"), s("ready"), Bool(true)),
                (5, s("a"), s("deleted"), Bool(true)),
                (6, s("a"), s("deleted"), Bool(false)),
                (6, s("a"), s("ready"), Int(2)),
                (6, s("a"), s("paused"), Bool(false)),
                (7, s("b"), s("deleted"), Bool(true)),
            ]
        );
        assert_eq!(log.starts, [0, 3, 4, 5, 6, 9]);
        // An Event is recorded once per count.
        let events: Vec<(&str, i32)> = log.events.iter_from(0).map(|e| (&*e.name, e.count)).collect();
        assert_eq!(events, [("e1", 1), ("e1", 2), ("e2", 1)]);
        // Saved and loaded, it is the same log and folds the next sample the same way.
        let mut loaded = Log::load(&log.save()).unwrap();
        assert_eq!(loaded, log);
        let next = sample(12, false, vec![a(3), b], vec![], vec![event("e2", 1)]);
        log.take(8, &next);
        loaded.take(8, &next);
        assert_eq!(loaded, log);
        assert_eq!(log.rows.len(), 13, "a's ready, and b back (deleted false, ready)");
        // An expired Event's count is forgotten (no row); an Event of that name made again
        // is an occurrence, even at the same count. A full sample forgets those not listed.
        let expired = ObjectKey::new(Kind::Event, "default", "e1");
        log.take(9, &sample(13, false, vec![], vec![expired], vec![]));
        assert_eq!((log.rows.len(), log.event_counts.len()), (13, 1));
        log.take(10, &sample(14, false, vec![], vec![], vec![event("e1", 1)]));
        let names: Vec<(&str, i32)> = log.events.iter_from(0).map(|e| (&*e.name, e.count)).collect();
        assert_eq!(log.events.len(), 4, "{names:?}");
        log.take(11, &sample(15, true, vec![a(3)], vec![], vec![event("e1", 1)]));
        assert_eq!(log.event_counts.keys().map(|(_, n)| &**n).collect::<Vec<_>>(), ["e1"]);
        assert_eq!(log.events.len(), 4, "e1 at the count recorded");
        assert!(Log::load(b"not a log").is_err());
    }

    #[test]
    fn a_chunked_list_reads_from_any_start_across_its_chunks() {
        let items: Chunked<usize> = (0..2 * CHUNK + 500).collect();
        assert_eq!(items.len(), 2 * CHUNK + 500);
        for start in [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK, 2 * CHUNK + 499, 2 * CHUNK + 500, 5 * CHUNK] {
            let got: Vec<usize> = items.iter_from(start).copied().collect();
            assert_eq!(got, (start.min(items.len())..items.len()).collect::<Vec<_>>(), "from {start}");
        }
        assert_eq!(items.get(CHUNK + 7), Some(&(CHUNK + 7)));
        assert_eq!(items.get(2 * CHUNK + 500), None);
        assert!(Chunked::<usize>::default().is_empty() && Chunked::<usize>::default().iter_from(3).next().is_none());
    }

    #[test]
    fn a_deleted_object_is_reported_as_deleted() {
        let mut c = Cluster::new(ClusterOptions::default()).unwrap();
        c.apply_text(DEPLOY, "t").unwrap();
        let rv = c.timeline_sample(0, false).resource_version;
        c.delete(Kind::Deployment, "default", "web").unwrap();
        let s = c.timeline_sample(rv, false);
        assert!(s.deleted.iter().any(|k| k.kind() == Kind::Deployment && &*k.name == "web"));
        assert!(s.objects.iter().all(|o| o.kind != Kind::Pod), "pods are left out when not asked for");
    }
}
