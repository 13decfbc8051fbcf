//! Timeline samples for the Python recorder (`c.record()`): the counts, conditions and
//! utilizations of Deployments, ReplicaSets, HorizontalPodAutoscalers and pods, each node's
//! allocation, and the events that happened.
//!
//! A sample reads only the objects written since the previous sample (the store's change feed,
//! kept while a recorder records and trimmed by each sample; else the watch log), so a sample
//! costs O(objects changed), never O(history) or O(stored). When neither reaches back that
//! far (the first sample, or after a load), the sample is a full one and says so.

use std::collections::BTreeSet;
use std::sync::Arc;

use crate::api::{Body, Kind, Object};
use crate::controllers::deployment::{max_surge, max_unavailable};
use crate::controllers::replicaset::node_of;
use crate::controllers::NodeRuntime;
use crate::sim::clock::Millis;
use crate::store::{ObjectKey, Store, WatchEventType};

/// One recorded value.
#[derive(Clone, Debug, PartialEq)]
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

/// The recorded fields of one object as it is now.
#[derive(Clone, Debug, PartialEq)]
pub struct ObjectSample {
    pub kind: Kind,
    pub namespace: Arc<str>,
    pub name: Arc<str>,
    pub fields: Vec<(String, FieldValue)>,
}

/// One occurrence of an Event (a new Event, or a higher count of an existing one).
#[derive(Clone, Debug, PartialEq)]
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

/// One write a sample reads: its event type, the key, a pod's node.
type Change = (WatchEventType, ObjectKey, Option<Arc<str>>);

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
        Some(feed.map(|(t, k, n)| (t, k.clone(), n.map(Arc::from))).collect())
    } else {
        watched = store.watch_since(since).ok();
        watched.as_ref().map(|events| {
            events.iter().map(|e| (e.event_type, ObjectKey::of(&e.object), node_of(&e.object).map(Arc::from))).collect()
        })
    };
    match changed {
        Some(events) => {
            // The store holds the latest state; the change list only says which keys to read.
            let mut touched: BTreeSet<ObjectKey> = BTreeSet::new();
            let mut nodes_touched: BTreeSet<Arc<str>> = BTreeSet::new();
            for (event_type, key, node) in events {
                let kind = key.kind();
                match kind {
                    Kind::Pod => nodes_touched.extend(node),
                    Kind::Node => {
                        nodes_touched.insert(key.name.clone());
                    }
                    _ => {}
                }
                if wanted(kind) {
                    if kind == Kind::Event && event_type == WatchEventType::Deleted {
                        continue; // an expired Event is not an occurrence
                    }
                    touched.insert(key);
                }
            }
            for key in touched {
                match store.get_by_key(&key) {
                    Some(obj) if key.kind() == Kind::Event => out.events.extend(event_sample(obj)),
                    Some(obj) => out.objects.extend(object_sample(obj)),
                    None if key.kind() == Kind::Event => {}
                    None => out.deleted.push(key),
                }
            }
            for name in nodes_touched {
                match store.get(Kind::Node, "", &name) {
                    Ok(n) => out.objects.extend(node_sample(&n, nodes)),
                    Err(_) => out.deleted.push(ObjectKey::new(Kind::Node, "", &name)),
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
    fields: &mut Vec<(String, FieldValue)>,
    conds: impl Iterator<Item = (&'a str, &'a str, Option<&'a str>)>,
) {
    for (type_, status, reason) in conds {
        fields.push((type_.to_string(), text(status)));
        fields.push((format!("{type_}.reason"), text(reason.unwrap_or(""))));
    }
}

fn object_sample(o: &Arc<Object>) -> Option<ObjectSample> {
    let mut f: Vec<(String, FieldValue)> = Vec::new();
    let mut put = |name: &str, v: FieldValue| f.push((name.to_string(), v));
    match &o.body {
        Body::Deployment { spec, status, .. } => {
            put("desired", int(Some(spec.replicas.unwrap_or(1))));
            put("current", int(status.replicas));
            put("ready", int(status.ready_replicas));
            put("available", int(status.available_replicas));
            put("updated", int(status.updated_replicas));
            put("unavailable", int(status.unavailable_replicas));
            let strategy = spec.strategy.as_ref().and_then(|s| s.type_.as_deref()).unwrap_or("RollingUpdate");
            put("strategy", text(strategy));
            put("max_surge", int(Some(max_surge(spec))));
            put("max_unavailable", int(Some(max_unavailable(spec))));
            put("paused", FieldValue::Bool(spec.paused.unwrap_or(false)));
            put("revision", FieldValue::Int(revision(o)));
            let conds = status.conditions.iter().flatten();
            conditions(&mut f, conds.map(|c| (c.type_.as_str(), c.status.as_str(), c.reason.as_deref())));
        }
        Body::ReplicaSet { spec, status, template } => {
            put("desired", int(Some(spec.replicas.unwrap_or(1))));
            put("current", int(Some(status.replicas)));
            put("ready", int(status.ready_replicas));
            put("available", int(status.available_replicas));
            put("revision", FieldValue::Int(revision(o)));
            put("owner", text(controller_name(o).unwrap_or("")));
            let images: Vec<String> = template.spec().containers.into_iter().filter_map(|c| c.image).collect();
            put("image", text(&images.join(",")));
        }
        Body::HorizontalPodAutoscaler { spec, status } => {
            put("min", int(Some(spec.min_replicas.unwrap_or(1))));
            put("max", int(Some(spec.max_replicas)));
            put("current", int(status.current_replicas));
            put("desired", int(Some(status.desired_replicas)));
            let target = &spec.scale_target_ref;
            put("target", text(&format!("{}/{}", target.kind, target.name)));
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
                        put(&format!("{}_utilization", m.name), int(Some(u)));
                    }
                    if let Some(t) = m.target.average_utilization {
                        put(&format!("{}_target_utilization", m.name), int(Some(t)));
                    }
                } else {
                    if let Some(v) = milli(current.and_then(|c| c.average_value.as_ref())) {
                        put(&format!("{}_average_milli", m.name), FieldValue::Int(v));
                    }
                    if let Some(v) = milli(m.target.average_value.as_ref()) {
                        put(&format!("{}_target_average_milli", m.name), FieldValue::Int(v));
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
            put("state", text(state));
            put("node", text(status.node_name.as_deref().unwrap_or("")));
            put("owner", text(controller_name(o).unwrap_or("")));
            let restarts: u32 = status.containers.iter().map(|c| c.restart_count).sum();
            put("restarts", FieldValue::Int(i64::from(restarts)));
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
        ("ready".to_string(), FieldValue::Bool(ready)),
        ("cpu_allocatable_milli".to_string(), FieldValue::saturating(info.map_or(0, |i| i.allocatable.cpu))),
        ("memory_allocatable".to_string(), FieldValue::saturating(info.map_or(0, |i| i.allocatable.memory / 1000))),
        ("cpu_requested_milli".to_string(), FieldValue::saturating(held.requested.cpu)),
        ("memory_requested".to_string(), FieldValue::saturating(held.requested.memory / 1000)),
        ("pods".to_string(), FieldValue::Int(held.pods)),
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
        let mut seen: BTreeMap<Arc<str>, Vec<(String, FieldValue)>> = BTreeMap::new();
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
            let full: BTreeMap<Arc<str>, Vec<(String, FieldValue)>> = c
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
