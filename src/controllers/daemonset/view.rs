//! What a DaemonSet sync decides, node by node, and the memory that lets a sync redo only the
//! nodes whose pods changed.
//!
//! Every decision of a sync (upstream: manage, rollingUpdate, updateDaemonSetStatus) is a sum
//! over nodes: each node adds its part (a [`Part`]) to the [`Totals`], and the plan reads the
//! totals. A full sync works out every node's part; with the [`Memory`] of the previous sync
//! and the pods changed since, a sync works out again only the nodes those pods are on, so a
//! rollout over N nodes costs O(pods changed) per sync rather than O(N) — with upstream's 250
//! creates per sync, O(N²/250) for the rollout otherwise. The totals are the same either way
//! (debug builds check it on every sync).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use rustc_hash::FxHashMap;

use super::backoff::{self, Entry};
use super::update::Counts;
use super::{phase_failed, ready, Sync, COMPONENT, HASH_LABEL};
use crate::api::{Body, Object};
use crate::controllers::EventRecord;
use crate::sim::clock::Millis;
use crate::store::ObjectKey;

/// Where a pod counts: its node, existing nodes first (in name order), then the nodes that are
/// gone (upstream visits those last).
pub(super) type NodeKey = (bool, Arc<str>);

fn gone(k: &NodeKey) -> bool {
    k.0
}

/// One node's part in a sync.
#[derive(Clone, Debug, Default, PartialEq)]
pub(super) struct Part {
    /// manage(): the node needs a pod.
    create: bool,
    /// manage(): pods to delete (on a node that is gone: its unbound pods).
    delete: Vec<Arc<Object>>,
    /// manage(): the events about finished pods.
    events: Vec<EventRecord>,
    /// manage(): the node has a Failed pod that it may keep (its part depends on the back-off
    /// and the clock, so every sync works it out again).
    failed: bool,
    /// manage(): the node's back-off entry, stepped because a failed pod is killed.
    backoff: Option<(String, Entry)>,
    /// rollingUpdate without surge: the node counts as unavailable; its old pod that is not
    /// available (replaced at once) or that is (a candidate).
    unavailable: i64,
    old_unavailable: Option<Arc<Object>>,
    old_available: Option<Arc<Object>>,
    /// rollingUpdate with surge.
    surge: i64,
    available: i64,
    surge_create: bool,
    surge_delete: Option<Arc<Object>>,
    should_not_run: Option<Arc<Object>>,
    candidate: bool,
    /// updateDaemonSetStatus: desired, current, misscheduled, ready, available, updated.
    status: [i64; 6],
    requeue: Option<Millis>,
    /// The revision hashes of the node's pods (what history cleanup keeps).
    hashes: Vec<String>,
}

/// The sum of every node's part.
#[derive(Clone, Debug, Default, PartialEq)]
pub(super) struct Totals {
    create: BTreeSet<NodeKey>,
    delete: BTreeMap<NodeKey, Vec<Arc<Object>>>,
    events: BTreeMap<NodeKey, Vec<EventRecord>>,
    failed: BTreeSet<NodeKey>,
    backoff: BTreeMap<NodeKey, (String, Entry)>,
    unavailable: i64,
    old_unavailable: BTreeMap<NodeKey, Arc<Object>>,
    old_available: BTreeMap<NodeKey, Arc<Object>>,
    surge: i64,
    available: i64,
    surge_create: BTreeSet<NodeKey>,
    surge_delete: BTreeMap<NodeKey, Arc<Object>>,
    should_not_run: BTreeMap<NodeKey, Arc<Object>>,
    candidates: BTreeSet<NodeKey>,
    pub status: [i64; 6],
    /// Nodes with a requeue time (a failed pod's back-off; with minReadySeconds, when no memory
    /// is kept, a pod becoming available).
    requeue: BTreeMap<NodeKey, Millis>,
    hashes: BTreeMap<String, usize>,
}

impl Totals {
    fn add(&mut self, k: &NodeKey, p: &Part) {
        self.apply(k, p, 1);
    }
    fn remove(&mut self, k: &NodeKey, p: &Part) {
        self.apply(k, p, -1);
    }
    fn apply(&mut self, k: &NodeKey, p: &Part, sign: i64) {
        fn set<T: Clone>(m: &mut BTreeMap<NodeKey, T>, k: &NodeKey, v: Option<&T>, sign: i64) {
            if let Some(v) = v {
                if sign > 0 {
                    m.insert(k.clone(), v.clone());
                } else {
                    m.remove(k);
                }
            }
        }
        fn flag(s: &mut BTreeSet<NodeKey>, k: &NodeKey, on: bool, sign: i64) {
            if on {
                if sign > 0 {
                    s.insert(k.clone());
                } else {
                    s.remove(k);
                }
            }
        }
        flag(&mut self.create, k, p.create, sign);
        set(&mut self.delete, k, Some(&p.delete).filter(|d| !d.is_empty()), sign);
        set(&mut self.events, k, Some(&p.events).filter(|e| !e.is_empty()), sign);
        flag(&mut self.failed, k, p.failed, sign);
        set(&mut self.backoff, k, p.backoff.as_ref(), sign);
        self.unavailable += sign * p.unavailable;
        set(&mut self.old_unavailable, k, p.old_unavailable.as_ref(), sign);
        set(&mut self.old_available, k, p.old_available.as_ref(), sign);
        self.surge += sign * p.surge;
        self.available += sign * p.available;
        flag(&mut self.surge_create, k, p.surge_create, sign);
        set(&mut self.surge_delete, k, p.surge_delete.as_ref(), sign);
        set(&mut self.should_not_run, k, p.should_not_run.as_ref(), sign);
        flag(&mut self.candidates, k, p.candidate, sign);
        for (t, v) in self.status.iter_mut().zip(p.status) {
            *t += sign * v;
        }
        set(&mut self.requeue, k, p.requeue.as_ref(), sign);
        for h in &p.hashes {
            let n = self.hashes.entry(h.clone()).or_default();
            if sign > 0 {
                *n += 1;
            } else {
                *n -= 1;
                if *n == 0 {
                    self.hashes.remove(h);
                }
            }
        }
    }

    pub fn events(&self) -> impl Iterator<Item = &EventRecord> {
        self.events.values().flatten()
    }

    /// The back-off entries this sync's kills stepped, by node.
    pub fn backoffs(&self) -> impl Iterator<Item = &(String, Entry)> {
        self.backoff.values()
    }

    pub fn live_hash(&self, h: &str) -> bool {
        self.hashes.contains_key(h)
    }

    pub fn requeue(&self) -> Option<Millis> {
        self.requeue.values().min().copied()
    }

    /// upstream: manage() then, when it asked for nothing, rollingUpdate — the nodes to create
    /// a pod on and the pods to delete, the first `limit` of each (the rest wait for a later sync).
    pub fn plan(&self, s: &Sync, rolling: bool, limit: usize) -> (Vec<String>, Vec<Arc<Object>>) {
        let name = |k: &NodeKey| k.1.to_string();
        if !self.create.is_empty() || !self.delete.is_empty() || !rolling {
            let create = self.create.iter().take(limit).map(name).collect();
            let delete = self.delete.values().flatten().take(limit).cloned().collect();
            return (create, delete);
        }
        let Counts { max_surge, max_unavailable } = super::update::scaled_counts(s.spec, self.status[0]);
        if max_surge == 0 {
            // Old pods that are not available go at once; then available ones while the nodes
            // unavailable stay within maxUnavailable (upstream counts them in node order, which
            // admits candidates only while the total is below it).
            let room = (max_unavailable - self.unavailable).max(0) as usize;
            let delete = self
                .old_unavailable
                .values()
                .chain(self.old_available.values().take(room))
                .take(limit)
                .cloned()
                .collect();
            return (Vec::new(), delete);
        }
        let room = (max_surge - self.surge).max(0) as usize;
        let create = self.surge_create.iter().chain(self.candidates.iter().take(room)).take(limit).map(name).collect();
        // Old pods on nodes that should no longer run one go only while enough others are available.
        let deletable = (self.available - self.status[0]).max(0) as usize;
        let delete = self
            .surge_delete
            .values()
            .chain(self.should_not_run.values().take(deletable))
            .take(limit)
            .cloned()
            .collect();
        (create, delete)
    }
}

/// The node's part: `pods` are the DaemonSet's pods there, oldest first; `eligibility` is
/// (shouldRun, shouldContinueRunning), `None` for a node that is gone.
pub(super) fn part(s: &Sync, key: &NodeKey, eligibility: Option<(bool, bool)>, pods: &[Arc<Object>]) -> Part {
    let mut p = Part {
        hashes: pods.iter().filter_map(|p| p.meta.labels.get(HASH_LABEL).cloned()).collect(),
        ..Part::default()
    };
    let (run, keep) = eligibility.unwrap_or((false, false));
    let name = &*key.1;
    match eligibility {
        Some(_) => manage(s, name, run, keep, pods, &mut p),
        // upstream: getUnscheduledPodsWithoutNode — unbound pods whose node is gone.
        None => {
            p.delete = pods
                .iter()
                .filter(|p| super::node_bound(p).is_none() && p.meta.deletion_timestamp().is_none())
                .cloned()
                .collect();
        }
    }
    if run || !pods.is_empty() {
        if super::update::allows_surge(s.spec) {
            rolling_surge(s, run, pods, &mut p);
        } else {
            rolling(s, pods, &mut p);
        }
    }
    if eligibility.is_some() {
        status(s, run, pods, &mut p);
    }
    p
}

/// upstream: manage / podsShouldBeOnNode for one node.
fn manage(s: &Sync, name: &str, run: bool, keep: bool, pods: &[Arc<Object>], p: &mut Part) {
    if run && pods.is_empty() {
        p.create = true;
        return;
    }
    if !keep {
        p.delete.extend(pods.iter().filter(|p| p.meta.deletion_timestamp().is_none()).cloned());
        return;
    }
    let mut running = Vec::new();
    // The node's back-off entry, as this sync has stepped it (read when a pod has failed).
    let mut backoff: Option<(String, Option<Entry>)> = None;
    let now = s.ctx.now;
    for pod in pods.iter().filter(|p| p.meta.deletion_timestamp().is_none()) {
        // upstream: failed pods are killed and succeeded ones deleted, each with its event.
        match phase_failed(pod) {
            Some(failed) => {
                if failed {
                    p.failed = true;
                    let (key, entry) = backoff.get_or_insert_with(|| {
                        let key = backoff::key(s.ds.meta.uid, s.observed_generation, name);
                        let entry = s.ctx.daemon_backoff.get(&key);
                        (key, entry)
                    });
                    // upstream: podsShouldBeOnNode — a failed pod within its node's back-off
                    // is neither killed nor counted as running; the DaemonSet is requeued
                    // after the current back-off (Get: the whole back-off, not what is left).
                    if backoff::in_back_off_since_update(*entry, now) {
                        let at = now + entry.map_or(0, |e| e.backoff);
                        p.requeue = Some(p.requeue.map_or(at, |r| r.min(at)));
                        continue;
                    }
                    let stepped = backoff::next(*entry, now);
                    *entry = Some(stepped);
                    p.backoff = Some((key.clone(), stepped));
                }
                let (reason, kind, verb) = if failed {
                    ("FailedDaemonPod", "failed", "kill")
                } else {
                    ("SucceededDaemonPod", "succeeded", "delete")
                };
                let message = format!(
                    "Found {kind} daemon pod {}/{} on node {name}, will try to {verb} it",
                    pod.meta.namespace, pod.meta.name
                );
                p.events.push(EventRecord::about(s.ds, COMPONENT, failed, reason, message));
                p.delete.push(pod.clone());
            }
            None => running.push(pod.clone()),
        }
    }
    if !super::update::allows_surge(s.spec) {
        // Keep the oldest (the list is oldest first).
        p.delete.extend(running.iter().skip(1).cloned());
        return;
    }
    if running.len() <= 1 {
        p.create = running.is_empty() && run;
        return;
    }
    // Surge: keep the oldest new and the oldest old pod; the old one goes when it is not
    // ready, or once the new one is available.
    let (mut oldest_new, mut oldest_old) = (None, None);
    for pod in &running {
        let slot = if pod.meta.labels.get(HASH_LABEL) == Some(&s.hash) { &mut oldest_new } else { &mut oldest_old };
        if slot.is_none() {
            *slot = Some(pod.clone());
        } else {
            p.delete.push(pod.clone());
        }
    }
    if let (Some(new), Some(old)) = (oldest_new, oldest_old) {
        if !ready(&old) || s.available(&new) {
            p.delete.push(old);
        }
    }
}

/// A node's new pod and old pod, either possibly missing.
type NewAndOld<'a> = (Option<&'a Arc<Object>>, Option<&'a Arc<Object>>);

/// upstream: findUpdatedPodsOnNode — the node's new and old pod (not terminating); `None`
/// when it has two of either (manage() sorts that out).
fn split<'a>(s: &Sync, pods: &'a [Arc<Object>]) -> Option<NewAndOld<'a>> {
    let (mut new, mut old) = (None, None);
    for p in pods.iter().filter(|p| p.meta.deletion_timestamp().is_none()) {
        let slot = if s.is_updated(p) { &mut new } else { &mut old };
        if slot.is_some() {
            return None;
        }
        *slot = Some(p);
    }
    Some((new, old))
}

/// upstream: rollingUpdate with maxSurge 0, for one node.
fn rolling(s: &Sync, pods: &[Arc<Object>], p: &mut Part) {
    match split(s, pods) {
        None | Some((None, None) | (Some(_), Some(_))) => p.unavailable = 1,
        Some((Some(new), None)) => p.unavailable = i64::from(!s.available(new)),
        Some((None, Some(old))) => {
            if s.available(old) {
                p.old_available = Some(old.clone());
            } else {
                // An old pod that is not available is replaced at once (and counts).
                p.old_unavailable = Some(old.clone());
                p.unavailable = 1;
            }
        }
    }
}

/// upstream: rollingUpdate with maxSurge, for one node.
fn rolling_surge(s: &Sync, run: bool, pods: &[Arc<Object>], p: &mut Part) {
    let Some((new, old)) = split(s, pods) else {
        p.surge = 1;
        return;
    };
    if old.or(new).is_some_and(|pod| s.available(pod)) {
        p.available = 1;
    }
    match (new, old) {
        (_, None) => {}
        (None, Some(old)) => {
            if !s.available(old) {
                if run {
                    p.surge_create = true;
                } else {
                    p.surge_delete = Some(old.clone());
                }
            } else if !run {
                p.should_not_run = Some(old.clone());
            } else {
                p.candidate = true;
            }
        }
        (Some(new), Some(old)) => {
            if s.available(new) {
                p.surge_delete = Some(old.clone());
            } else {
                p.surge = 1;
            }
        }
    }
}

/// upstream: updateDaemonSetStatus for one node, judged by its oldest pod.
fn status(s: &Sync, run: bool, pods: &[Arc<Object>], p: &mut Part) {
    let [desired, current, misscheduled, ready_n, available, updated] = &mut p.status;
    match (run, pods.first()) {
        (true, None) => *desired = 1,
        (true, Some(pod)) => {
            *desired = 1;
            *current = 1;
            if ready(pod) {
                *ready_n = 1;
                if s.available(pod) {
                    *available = 1;
                } else if let Body::Pod { status, .. } = &pod.body {
                    // upstream: requeued after minReadySeconds while ready ≠ available.
                    let at = status.ready_since().map(|t| t.div_euclid(1000) * 1000 + s.min_ready as Millis * 1000 + 1);
                    p.requeue = match (p.requeue, at) {
                        (Some(a), Some(b)) => Some(a.min(b)),
                        (a, b) => a.or(b),
                    };
                }
            }
            *updated = i64::from(s.is_updated(pod));
        }
        (false, Some(_)) => *misscheduled = 1,
        (false, None) => {}
    }
}

/// What a sync keeps for the next: valid while the DaemonSet's spec and template, and every
/// node, stay as they were (a node's change drops it); the pods changed since are in `dirty`.
#[derive(Clone, Debug)]
pub struct Cache {
    uid: crate::api::Uid,
    generation: i64,
    hash: String,
    template_generation: Option<String>,
    eligibility: FxHashMap<Arc<str>, (bool, bool)>,
    /// Each pod counted, and where.
    pods: FxHashMap<ObjectKey, NodeKey>,
    /// Each node's pods (oldest first) and its part.
    nodes: FxHashMap<NodeKey, (Vec<Arc<Object>>, Part)>,
    pub(super) totals: Totals,
    /// Pods of this DaemonSet written since the sync that made this memory.
    dirty: Vec<ObjectKey>,
}

/// The DaemonSet controller's memory: one [`Cache`] per DaemonSet that has synced since its
/// nodes last changed.
pub type Memory = crate::controllers::memory::Memory<Cache>;

impl Memory {
    /// A pod of the DaemonSet `ds` was written (the next sync reads it again).
    pub fn pod_changed(&mut self, ds: &ObjectKey, pod: &ObjectKey) {
        if let Some(c) = self.get_mut(ds) {
            c.dirty.push(pod.clone());
        }
    }
}

/// A full sync's memory: every node's part, from the pods by node (oldest first) and every
/// existing node's eligibility.
pub(super) fn build(
    s: &Sync,
    eligibility: FxHashMap<Arc<str>, (bool, bool)>,
    by_node: FxHashMap<&str, Vec<Arc<Object>>>,
) -> Cache {
    let mut cache = Cache {
        uid: s.ds.meta.uid,
        generation: s.ds.meta.generation,
        hash: s.hash.clone(),
        template_generation: s.generation.clone(),
        pods: FxHashMap::default(),
        nodes: FxHashMap::default(),
        totals: Totals::default(),
        dirty: Vec::new(),
        eligibility,
    };
    let mut by_key: BTreeMap<NodeKey, Vec<Arc<Object>>> = BTreeMap::new();
    for (node, pods) in by_node {
        let key = cache.key_of(node);
        for p in &pods {
            cache.pods.insert(ObjectKey::of(p), key.clone());
        }
        by_key.insert(key, pods);
    }
    for (name, &(run, _)) in &cache.eligibility {
        if run {
            by_key.entry((false, name.clone())).or_default();
        }
    }
    for (key, pods) in by_key {
        let part = part(s, &key, cache.eligibility.get(&key.1).copied(), &pods);
        cache.totals.add(&key, &part);
        cache.nodes.insert(key, (pods, part));
    }
    cache
}

impl Cache {
    fn key_of(&self, node: &str) -> NodeKey {
        match self.eligibility.get_key_value(node) {
            Some((k, _)) => (false, k.clone()),
            None => (true, Arc::from(node)),
        }
    }

    /// Whether this memory was made for the DaemonSet as `s` sees it.
    pub(super) fn fits(&self, s: &Sync) -> bool {
        self.uid == s.ds.meta.uid
            && self.generation == s.ds.meta.generation
            && self.hash == s.hash
            && self.template_generation == s.generation
            // (Availability moves with the clock under minReadySeconds: every sync looks again.)
            && s.min_ready <= 0
    }

    /// Read the pods written since the last sync again and redo their nodes' parts. `false`
    /// when one of them left or joined the DaemonSet other than by being created or deleted
    /// (released or adopted: a full sync claims them).
    pub(super) fn update(&mut self, s: &Sync) -> bool {
        let mut dirty = std::mem::take(&mut self.dirty);
        dirty.sort_unstable();
        dirty.dedup();
        // Nodes with a failed pod depend on the back-off and the clock: always worked out again.
        let mut touched: BTreeSet<NodeKey> = self.totals.failed.clone();
        for key in dirty {
            let now = s
                .ctx
                .store
                .get_by_key(&key)
                .filter(|p| p.meta.controller_ref().is_some_and(|r| r.uid == s.ds.meta.uid));
            if let Some(p) = &now {
                if !s.selector.matches(&p.meta.labels) {
                    return false;
                }
            }
            if let Some(was) = self.pods.remove(&key) {
                if let Some((pods, _)) = self.nodes.get_mut(&was) {
                    pods.retain(|p| ObjectKey::of(p) != key);
                }
                touched.insert(was);
            }
            if let Some(p) = now {
                let Some(node) = super::target_node(p) else { continue };
                let at = self.key_of(node);
                let pods = &mut self.nodes.entry(at.clone()).or_default().0;
                pods.push(p.clone());
                super::oldest_first(pods);
                self.pods.insert(key, at.clone());
                touched.insert(at);
            }
        }
        for key in touched {
            let Some((pods, old)) = self.nodes.get_mut(&key) else { continue };
            let new = part(s, &key, self.eligibility.get(&key.1).copied(), pods);
            self.totals.remove(&key, old);
            self.totals.add(&key, &new);
            if gone(&key) && pods.is_empty() {
                self.nodes.remove(&key);
            } else {
                *old = new;
            }
        }
        true
    }
}
