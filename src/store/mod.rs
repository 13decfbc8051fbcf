//! The object store: what the API server and etcd are to a cluster. Objects are immutable
//! `Arc`s; every write bumps one cluster-wide resourceVersion and appends to the watch log.
//! A label index answers selector queries from the index rather than a scan whenever the
//! selector has a requirement that needs a key to be present.

pub mod census;
mod error;
mod index;
mod snapshot;
pub mod tally;

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

pub use error::StoreError;
use index::{KeyOrder, KeySets};
pub use index::{LabelIndex, NameKey, Stamp};
pub use snapshot::KeyIn;

use crate::api::meta::Uid;
use crate::api::{strategy, ApiError, Body, Kind, Object};
use crate::labels::Selector;
use crate::sim::clock::Millis;
use crate::sim::rng::{name_suffix, stable_hash};

/// Where an object lives: kind, namespace ("" for cluster-scoped kinds), name. Ordered by kind,
/// namespace, then name. The kind and the first seven bytes of the name are packed into one
/// inline word, so most comparisons (in the store's B-trees and the engine's queues) never read
/// the name's heap allocation, and the key stays five words wide. The string fields are public
/// to read; build keys with [`ObjectKey::new`], [`ObjectKey::shared`] or [`ObjectKey::of`].
#[derive(Clone, Debug)]
pub struct ObjectKey {
    pub namespace: Arc<str>,
    pub name: Arc<str>,
    /// Kind in the top byte, then the name's first seven bytes (zero-padded), big-endian: the
    /// low 56 bits order like the name.
    packed: u64,
}

const NAME_BITS: u64 = (1 << 56) - 1;

fn pack(kind: Kind, name: &str) -> u64 {
    let mut bytes = [0u8; 8];
    bytes[0] = kind as u8;
    let n = name.len().min(7);
    bytes[1..1 + n].copy_from_slice(&name.as_bytes()[..n]);
    u64::from_be_bytes(bytes)
}

fn packed_kind(packed: u64) -> Kind {
    Kind::ALL[(packed >> 56) as usize]
}

impl ObjectKey {
    pub fn new(kind: Kind, namespace: &str, name: &str) -> ObjectKey {
        let namespace = if kind.namespaced() { namespace } else { "" };
        ObjectKey { namespace: namespace.into(), packed: pack(kind, name), name: name.into() }
    }
    /// A key sharing the given strings (no allocation), for a namespaced kind.
    pub fn shared(kind: Kind, namespace: &Arc<str>, name: &Arc<str>) -> ObjectKey {
        let namespace = if kind.namespaced() { namespace.clone() } else { "".into() };
        ObjectKey { namespace, packed: pack(kind, name), name: name.clone() }
    }
    pub fn of(obj: &Object) -> ObjectKey {
        ObjectKey {
            namespace: obj.meta.namespace.clone(),
            packed: pack(obj.kind(), &obj.meta.name),
            name: obj.meta.name.clone(),
        }
    }
    pub fn kind(&self) -> Kind {
        packed_kind(self.packed)
    }
}

impl PartialEq for ObjectKey {
    fn eq(&self, other: &Self) -> bool {
        self.packed == other.packed
            && self.name == other.name
            && (Arc::ptr_eq(&self.namespace, &other.namespace) || self.namespace == other.namespace)
    }
}

impl Eq for ObjectKey {}

impl Ord for ObjectKey {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        compare(self, other)
    }
}

/// Kind, namespace, then name; the name's first seven bytes come from the inline word, and
/// shared strings compare by pointer first.
fn compare(a: &ObjectKey, b: &ObjectKey) -> std::cmp::Ordering {
    let shared = |x: &Arc<str>, y: &Arc<str>| if Arc::ptr_eq(x, y) { std::cmp::Ordering::Equal } else { x.cmp(y) };
    let (pa, pb) = (a.packed, b.packed);
    (pa >> 56)
        .cmp(&(pb >> 56))
        .then_with(|| shared(&a.namespace, &b.namespace))
        .then_with(|| (pa & NAME_BITS).cmp(&(pb & NAME_BITS)))
        .then_with(|| shared(&a.name, &b.name))
}

impl PartialOrd for ObjectKey {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl std::hash::Hash for ObjectKey {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.packed.hash(state);
        self.namespace.hash(state);
        self.name.hash(state);
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WatchEventType {
    Added,
    Modified,
    Deleted,
}

impl WatchEventType {
    pub fn as_str(self) -> &'static str {
        match self {
            WatchEventType::Added => "ADDED",
            WatchEventType::Modified => "MODIFIED",
            WatchEventType::Deleted => "DELETED",
        }
    }
}

#[derive(Clone, Debug)]
pub struct WatchEvent {
    pub event_type: WatchEventType,
    pub resource_version: u64,
    pub object: Arc<Object>,
}

/// `propagationPolicy` of a delete.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Propagation {
    /// The kind's default (Background for apps/v1 workloads and pods).
    #[default]
    Default,
    Background,
    Foreground,
    Orphan,
}

/// `metav1.DeleteOptions`, as far as kubesim models them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DeleteOptions {
    pub propagation: Propagation,
    /// Overrides the pod's terminationGracePeriodSeconds; 0 removes a bound pod at once (force).
    pub grace_period_seconds: Option<i64>,
    /// Precondition: only delete the object with this uid.
    pub uid: Option<Uid>,
}

/// Orphans a controller's look for what it may adopt reads one by one (see
/// [`Store::adoptable`]): below this, weighing the label index costs about what it saves.
const ORPHANS_SCANNED: usize = 32;

/// upstream: metav1.FinalizerDeleteDependents / FinalizerOrphanDependents.
pub const FOREGROUND_FINALIZER: &str = "foregroundDeletion";
pub const ORPHAN_FINALIZER: &str = "orphan";

/// The point index's hash of a key (FxHasher: lookups only, so its order never shows).
fn key_hash(kind: Kind, namespace: &str, name: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = rustc_hash::FxHasher::default();
    (kind as u8).hash(&mut h);
    namespace.hash(&mut h);
    name.hash(&mut h);
    h.finish()
}

/// `a == b`, without reading the text when both are the same (a key made from the stored
/// object shares its strings).
fn same_text(a: &str, b: &str) -> bool {
    (std::ptr::eq(a.as_ptr(), b.as_ptr()) && a.len() == b.len()) || a == b
}

fn object_hash(obj: &Object) -> u64 {
    key_hash(obj.kind(), &obj.meta.namespace, &obj.meta.name)
}

/// The uid an Event's involvedObject names (none for other kinds).
fn involved_uid(obj: &Object) -> Option<&Arc<str>> {
    match &obj.body {
        Body::Event(ev) => ev.uid.as_ref(),
        _ => None,
    }
}

/// An object a controller could adopt: a pod or ReplicaSet with no controller reference
/// (upstream: ClaimObject adopts only objects whose controllerRef is nil).
fn is_orphan(obj: &Object) -> bool {
    matches!(obj.kind(), Kind::Pod | Kind::ReplicaSet) && obj.meta.controller_ref().is_none()
}

/// Default number of watch events kept (older ones answer `Gone`, as etcd compaction does).
pub const DEFAULT_WATCH_CAPACITY: usize = 1_000;

#[derive(Clone, Debug)]
pub struct Store {
    seed: u64,
    /// The stored keys in order (lists and scans walk them).
    objects: KeyOrder,
    /// The objects, by key (the point index): a lookup or an update reads one name, where a
    /// search of the key order compares names that often share a long prefix (a ReplicaSet's
    /// pods). 9 bytes an object.
    by_key: hashbrown::HashTable<Arc<Object>>,
    resource_version: u64,
    labels: LabelIndex,
    /// owner uid → dependents (ownerReferences), for garbage collection and adoption.
    owners: KeySets<Uid>,
    /// controller uid → what its pods add up to (see [`tally`]).
    tallies: rustc_hash::FxHashMap<Uid, tally::PodTally>,
    /// Events by the uid their involvedObject names (a Node's events name its name there), so
    /// the events about one object are read without reading every Event.
    involved: KeySets<Arc<str>>,
    /// Objects of the kinds controllers adopt (pods, ReplicaSets) that have no controller
    /// reference, so adoption reads the orphans rather than every object its selector matches.
    orphans: KeySets<Kind>,
    /// How many times a key has been deleted at this instant, so an object recreated at the same
    /// instant gets a new uid (the uid also draws on the creation time, so a count is needed only
    /// within one instant: the map is emptied when time moves, and does not grow with history).
    incarnations: HashMap<u64, u32>,
    /// The instant `incarnations` counts for (None: the first, before the clock was read).
    incarnations_at: Option<Millis>,
    /// Namespaces removed or set terminating so far (a prepared create checks its namespace is
    /// still there and still takes new content).
    namespaces_removed: u64,
    /// Per-(kind, namespace, generateName) attempt counters for generated names.
    generated: HashMap<u64, u64>,
    watch: VecDeque<WatchEvent>,
    watch_capacity: usize,
    /// What was written since the timeline recorder's last sample, while one records (the
    /// watch log keeps only the last 1,000 events; this keeps keys, not object versions).
    changes: Option<ChangeLog>,
    /// The index clock: one tick per write that changes what the API shows (a create, an
    /// update, a delete). The label and owner indexes' slots and the pod tallies hold the tick
    /// of their last change, so a reader can tell whether what it read has changed since
    /// without reading it again (see [`Store::selector_stamp`]). It only grows.
    ticks: u64,
    /// The tick of the last write of a Node.
    nodes_written: u64,
    /// Objects per kind, pods per phase (see [`census`]).
    census: census::Census,
}

/// The keys written after `base`: (resourceVersion, event type, key, a pod's node).
#[derive(Clone, Debug, Default)]
pub struct ChangeLog {
    base: u64,
    /// (resourceVersion, key, a pod's node) of each write.
    entries: Vec<(u64, ObjectKey, Option<Arc<str>>)>,
}

/// What an update did: the version it replaced, and the one stored (the same `Arc` when it
/// changed nothing).
pub type Written = (Arc<Object>, Arc<Object>);

/// A create worked out by [`Store::prepare_create`]: the object as [`Store::create`] would
/// store it (but for its resourceVersion), waiting for [`Store::commit_create`].
#[derive(Clone, Debug)]
pub struct PreparedCreate {
    obj: Arc<Object>,
    key: ObjectKey,
    took: Took,
}

impl PreparedCreate {
    /// The object as it will be stored.
    pub fn object(&self) -> &Object {
        &self.obj
    }
}

/// What a prepared create took from the store, for the commit to check.
#[derive(Clone, Copy, Debug)]
struct Took {
    /// Namespaces removed before (the object's namespace was there).
    namespaces_removed: u64,
    /// The key's hash and how many times it had been deleted (the uid depends on it).
    incarnation: (u64, u32),
    /// A generated name's counter: its key, and its value before and after.
    counter: Option<(u64, Option<u64>, u64)>,
}

/// An update worked out by [`Store::prepare`], waiting for [`Store::commit_prepared`].
#[derive(Clone, Debug)]
pub enum Prepared {
    /// `new` replaces `old` (the same `Arc` when the update changes nothing), if `old` is still
    /// the stored version; `client_version` is the resourceVersion the client sent; `hash` is
    /// the key's in the point index (worked out where the update was, not on the commit).
    /// `retally`: what the update changes in the pod tallies ([`Retally::of`]), also worked out
    /// where the update was.
    Ready { old: Arc<Object>, new: Arc<Object>, client_version: u64, status: bool, hash: u64, retally: Retally },
    /// To be written in full, in order (not found, a conflict, invalid, or its last finalizer
    /// going: outcomes the commit must decide against the store as it is then).
    Later { obj: Box<Object>, status: bool },
}

/// What replacing one version of an object with another changes in the controllers' pod
/// tallies: nothing (`None`), or the contribution the old version takes away and the one the
/// new version adds (boxed: most writes are not of controlled pods, or change nothing there).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Retally(Option<Box<[Option<tally::Contribution>; 2]>>);

impl Retally {
    pub fn of(old: &Object, obj: &Object) -> Retally {
        let (before, after) = (tally::Contribution::of(old), tally::Contribution::of(obj));
        if before.is_none() && after.is_none() {
            return Retally(None);
        }
        let same_owner = old.meta.controller_ref().map(|r| r.uid) == obj.meta.controller_ref().map(|r| r.uid);
        if before != after || !same_owner || old.meta.labels != obj.meta.labels {
            Retally(Some(Box::new([before, after])))
        } else {
            Retally(None)
        }
    }
}

impl Prepared {
    /// The version a prepared status update will store, if `wants` it amended in commit order
    /// (the CNI's pod address). A prepared update that changed nothing has no version of its
    /// own: it becomes one to write in full (which sees the amendment) and this gives `None`.
    /// The amendment must leave what the pod tallies read as it is (labels, owners, deletion,
    /// the deletion-cost annotation, node, phase, readiness, restarts, creation): the update
    /// carries its [`Retally`], worked out before (debug builds check it at the commit).
    pub fn status_version_mut(&mut self, wants: impl Fn(&Object) -> bool) -> Option<&mut Object> {
        let Prepared::Ready { new, client_version, status: true, .. } = self else { return None };
        if !wants(new) {
            return None;
        }
        if Arc::get_mut(new).is_none() {
            let mut obj = Box::new((**new).clone());
            obj.meta.resource_version = *client_version;
            *self = Prepared::Later { obj, status: true };
            return None;
        }
        match self {
            Prepared::Ready { new, .. } => Arc::get_mut(new),
            Prepared::Later { .. } => None,
        }
    }
}

impl Store {
    pub fn new(seed: u64) -> Store {
        Store {
            seed,
            objects: KeyOrder::default(),
            by_key: hashbrown::HashTable::new(),
            resource_version: 0,
            labels: LabelIndex::default(),
            owners: KeySets::default(),
            involved: KeySets::default(),
            orphans: KeySets::default(),
            tallies: Default::default(),
            incarnations: HashMap::new(),
            incarnations_at: None,
            namespaces_removed: 0,
            generated: HashMap::new(),
            watch: VecDeque::new(),
            watch_capacity: DEFAULT_WATCH_CAPACITY,
            changes: None,
            ticks: 0,
            nodes_written: 0,
            census: census::Census::default(),
        }
    }

    /// The clock reads `now`: once it has moved on, deletions counted at earlier instants no
    /// longer matter to uids.
    pub fn begin_instant(&mut self, now: Millis) {
        // Counts kept past their instant only make later uids differ: never the same twice.
        let moved = self.incarnations_at.is_some_and(|t| t != now);
        self.incarnations_at = Some(now);
        if moved && !self.incarnations.is_empty() {
            self.incarnations.clear();
            self.incarnations.shrink_to(64);
        }
    }

    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Draw future uids and generated names from `seed`; what is stored keeps its names.
    pub fn reseed(&mut self, seed: u64) {
        self.seed = seed;
    }

    /// The newest resourceVersion handed out.
    pub fn resource_version(&self) -> u64 {
        self.resource_version
    }

    pub fn len(&self) -> usize {
        self.by_key.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }

    pub fn set_watch_capacity(&mut self, capacity: usize) {
        self.watch_capacity = capacity;
        self.trim_watch();
    }

    pub fn get(&self, kind: Kind, namespace: &str, name: &str) -> Result<Arc<Object>, StoreError> {
        self.lookup(kind, namespace, name).cloned().ok_or_else(|| StoreError::NotFound { kind, name: name.to_string() })
    }

    pub fn get_by_key(&self, key: &ObjectKey) -> Option<&Arc<Object>> {
        self.lookup(key.kind(), &key.namespace, &key.name)
    }

    /// The object stored under (kind, namespace, name), without building a key (the namespace
    /// of a cluster-scoped kind is ignored, as [`ObjectKey::new`] ignores it).
    pub fn lookup(&self, kind: Kind, namespace: &str, name: &str) -> Option<&Arc<Object>> {
        let namespace = if kind.namespaced() { namespace } else { "" };
        self.by_key.find(key_hash(kind, namespace, name), |o| {
            o.kind() == kind && same_text(&o.meta.name, name) && same_text(&o.meta.namespace, namespace)
        })
    }

    /// The object an owner reference points at, if it still exists with that uid. Owners live
    /// in the dependent's namespace, or are cluster-scoped.
    pub fn owner(&self, namespace: &str, r: &crate::api::OwnerRef) -> Option<&Arc<Object>> {
        let kind = Kind::ALL.into_iter().find(|k| k.name() == &*r.kind)?;
        self.lookup(kind, namespace, &r.name).filter(|o| o.meta.uid == r.uid)
    }

    /// Objects of `kind` (in `namespace`, or all namespaces for `None`) matching `selector`,
    /// sorted by namespace then name, as the API server lists them.
    pub fn list(&self, kind: Kind, namespace: Option<&str>, selector: &Selector) -> Vec<Arc<Object>> {
        self.list_refs(kind, namespace, selector).into_iter().cloned().collect()
    }

    /// [`Store::list`], borrowed from the store.
    pub fn list_refs<'a>(
        &'a self,
        kind: Kind,
        namespace: Option<&'a str>,
        selector: &Selector,
    ) -> Vec<&'a Arc<Object>> {
        match self.labels.candidates(kind, namespace.filter(|_| kind.namespaced()), selector) {
            Some(candidates) => self.candidates_matching(kind, candidates, selector),
            None => self.scan(kind, namespace).filter(|o| selector.matches(&o.meta.labels)).collect(),
        }
    }

    /// The objects of the label index's candidates that `selector` matches (`met`: the
    /// requirement every candidate meets already).
    fn candidates_matching<'a>(
        &'a self,
        kind: Kind,
        (keys, met): (index::Candidates<'a>, Option<usize>),
        selector: &Selector,
    ) -> Vec<&'a Arc<Object>> {
        let matches = |o: &&Arc<Object>| match met {
            Some(known) => selector.matches_besides(&o.meta.labels, known),
            None => selector.matches(&o.meta.labels),
        };
        keys.into_iter().filter_map(|(ns, name)| self.lookup(kind, ns, name)).filter(matches).collect()
    }

    /// How many objects of `kind` in `namespace` carry the label `key=value` (from the index).
    pub fn label_count(&self, kind: Kind, namespace: &Arc<str>, key: &str, value: &str) -> usize {
        self.labels.count(kind, namespace, key, value)
    }

    /// Every object of `kind` in key order, without consulting the index (used by `list` for
    /// selectors with no positive requirement, and by tests as the reference answer).
    pub fn scan<'a>(&'a self, kind: Kind, namespace: Option<&'a str>) -> impl Iterator<Item = &'a Arc<Object>> + 'a {
        let namespace = namespace.filter(|_| kind.namespaced());
        self.objects.of_kind(kind, namespace).map(move |(ns, name)| self.stored_object(kind, ns, name))
    }

    /// The object under a key the key order holds (the point index holds every one).
    fn stored_object(&self, kind: Kind, namespace: &str, name: &str) -> &Arc<Object> {
        match self.lookup(kind, namespace, name) {
            Some(o) => o,
            None => unreachable!("{kind:?} {namespace}/{name} is ordered but not stored"),
        }
    }

    /// Panics unless the point index holds exactly the stored objects (the same `Arc`s) and the
    /// orphan index exactly the pods and ReplicaSets without a controller (tests call it after
    /// random writes).
    #[cfg(test)]
    pub fn check_indexes(&self) {
        let recount = self.recount_tallies();
        assert_eq!(self.tallies.len(), recount.len(), "pod tallies");
        for (uid, kept) in &self.tallies {
            let want = &recount[uid];
            assert_eq!((&kept.groups, kept.active), (&want.groups, want.active), "pod tally of {uid}");
            match &kept.ranking {
                Some(ranking) => {
                    assert_eq!(Some(ranking), want.ranking.as_ref(), "ranking of {uid}");
                    assert!(kept.active >= tally::RANKED_FROM / 2, "a ranking kept below half the threshold");
                }
                None => assert!(kept.active < tally::RANKED_FROM, "no ranking at {} active pods", kept.active),
            }
        }
        assert_eq!(self.by_key.len(), self.objects.len(), "point index size");
        let mut orphans = 0;
        for (kind, namespace, name) in self.objects.all() {
            let key = ObjectKey::new(kind, namespace, name);
            let found = self.get_by_key(&key).unwrap_or_else(|| panic!("{key:?} missing from the point index"));
            assert!(*found.meta.name == *name && *found.meta.namespace == *namespace && found.kind() == kind);
            let orphan = self.orphans.names_in(key.kind(), &key.namespace).any(|(_, _, n)| *n == *key.name);
            assert_eq!(orphan, is_orphan(found), "{key:?} in the orphan index");
            orphans += usize::from(orphan);
        }
        // Nor does the orphan index hold anything else.
        let indexed: usize = [Kind::Pod, Kind::ReplicaSet].iter().map(|&k| self.orphans.names(k).count()).sum();
        assert_eq!(indexed, orphans, "orphan index size");
        let involved: usize = self
            .objects
            .all()
            .filter(|&(k, ns, n)| {
                let obj = self.stored_object(k, ns, n);
                involved_uid(obj).is_some_and(|uid| self.events_about(uid, Some(ns)).any(|e| Arc::ptr_eq(e, obj)))
            })
            .count();
        let events_with_uid = self.scan(Kind::Event, None).filter(|e| involved_uid(e).is_some()).count();
        assert_eq!(involved, events_with_uid, "every Event with an involved uid is indexed under it");
        assert_eq!(self.involved.len(), events_with_uid, "involved index size");
        let mut census = census::Census::default();
        for (kind, namespace, name) in self.objects.all() {
            census.add(self.stored_object(kind, namespace, name));
        }
        assert_eq!(self.census, census, "census");
    }

    /// The tallies worked out afresh from every pod (what the kept ones must equal).
    #[cfg(test)]
    fn recount_tallies(&self) -> rustc_hash::FxHashMap<Uid, tally::PodTally> {
        let mut out: rustc_hash::FxHashMap<Uid, tally::PodTally> = Default::default();
        for p in self.scan(Kind::Pod, None) {
            if let (Some(c), Some(r)) = (tally::Contribution::of(p), p.meta.controller_ref()) {
                // (Every ranking, kept or not, to compare the kept ones with.)
                out.entry(r.uid)
                    .or_insert_with(|| tally::PodTally { ranking: Some(Default::default()), ..Default::default() })
                    .add(p, c);
            }
        }
        out
    }

    /// When the objects of `kind` in `namespace` that `selector` can match last came, went or
    /// changed labels (see [`LabelIndex::stamp`]); `None` for a selector without a requirement
    /// that needs its key present.
    pub fn selector_stamp(&self, kind: Kind, namespace: &str, selector: &Selector) -> Option<Stamp> {
        self.labels.stamp(kind, Some(namespace), selector)
    }

    /// When the set of objects naming `owner` in their ownerReferences last changed.
    pub fn dependents_stamp(&self, owner: Uid) -> Stamp {
        self.owners.stamp(&owner, None)
    }

    /// The tick of the last write of a pod `controller` controls (none: it controls no pod).
    /// With [`Store::selector_stamp`], a reader of some pods knows they are as it read them.
    pub fn pods_written(&self, controller: Uid) -> Option<u64> {
        self.tallies.get(&controller).map(|t| t.written)
    }

    /// The tick of the last write of a Node.
    pub fn nodes_written(&self) -> u64 {
        self.nodes_written
    }

    /// Objects per kind and pods per phase, as stored now.
    pub fn census(&self) -> &census::Census {
        &self.census
    }

    /// What the pods controlled by `owner` add up to (none: it controls no pod).
    pub fn pod_tally(&self, owner: Uid) -> Option<&tally::PodTally> {
        self.tallies.get(&owner)
    }

    fn tally(&mut self, obj: &Object) {
        self.tally_with(obj, tally::Contribution::of(obj));
    }

    /// [`Store::tally`] with the pod's contribution worked out.
    fn tally_with(&mut self, obj: &Object, contribution: Option<tally::Contribution>) {
        let (Some(c), Some(r)) = (contribution, obj.meta.controller_ref()) else { return };
        let t = self.tallies.entry(r.uid).or_default();
        t.add(obj, c);
        if t.ranking.is_none() && t.active >= tally::RANKED_FROM {
            let ranking = self.ranking_of(r.uid, obj);
            if let Some(t) = self.tallies.get_mut(&r.uid) {
                t.ranking = Some(ranking);
            }
        }
    }

    /// The ranking of the active pods `owner` controls (in any namespace, as its tally counts
    /// them), worked out from the store while `obj` (one of them) is being indexed: the owner
    /// index may not know `obj` yet, so it is put in on its own.
    fn ranking_of(&self, owner: Uid, obj: &Object) -> tally::Ranking {
        let mut ranking = tally::Ranking::new();
        let controlled = self
            .owners
            .names(owner)
            .filter_map(|(kind, ns, name)| self.lookup(kind, ns, name))
            .filter(|p| p.meta.controller_ref().is_some_and(|r| r.uid == owner));
        for p in controlled.map(|p| &**p).chain([obj]) {
            if let Some(key) = tally::Contribution::of(p).and_then(|c| c.rank) {
                tally::rank(&mut ranking, p, key);
            }
        }
        ranking
    }

    fn untally(&mut self, obj: &Object) {
        self.untally_with(obj, tally::Contribution::of(obj));
    }

    /// [`Store::untally`] with the pod's contribution worked out.
    fn untally_with(&mut self, obj: &Object, contribution: Option<tally::Contribution>) {
        if let (Some(c), Some(r)) = (contribution, obj.meta.controller_ref()) {
            if let Some(t) = self.tallies.get_mut(&r.uid) {
                t.remove(obj, c);
                if t.active < tally::RANKED_FROM / 2 {
                    t.ranking = None;
                }
                if t.is_empty() {
                    self.tallies.remove(&r.uid);
                }
            }
        }
    }

    /// The Events whose involvedObject names `uid` (in `namespace`, or in any), in key order.
    pub fn events_about<'a>(
        &'a self,
        uid: &str,
        namespace: Option<&'a str>,
    ) -> impl Iterator<Item = &'a Arc<Object>> + 'a {
        self.involved
            .names(Arc::from(uid))
            .filter(move |(_, ns, _)| namespace.is_none_or(|want| *ns == want))
            .filter_map(|(kind, ns, name)| self.lookup(kind, ns, name))
    }

    /// Objects of `kind` in `namespace` without a controller reference, in key order: what a
    /// controller may adopt (only pods and ReplicaSets are indexed; none for other kinds).
    pub fn orphans(&self, kind: Kind, namespace: &Arc<str>) -> impl Iterator<Item = &Arc<Object>> + '_ {
        self.orphans.names_in(kind, namespace).filter_map(move |(kind, ns, name)| self.lookup(kind, ns, name))
    }

    /// What a controller with `selector` would adopt (upstream ClaimObject's orphan branch):
    /// orphans of `kind` in `namespace` that `selector` matches and that are not being deleted,
    /// in key order. Read from the orphan index; past `ORPHANS_SCANNED` (32) orphans, from the
    /// label index instead when it narrows the selector to fewer objects (a Job's generated
    /// selector meets only its own pods, however many bare pods share the namespace), so a sync
    /// costs what the controller could claim rather than every orphan stored.
    pub fn adoptable<'a>(&'a self, kind: Kind, namespace: &'a Arc<str>, selector: &Selector) -> Vec<&'a Arc<Object>> {
        let orphans = self.orphans.count_in(kind, namespace);
        let adoptable = |o: &&Arc<Object>| o.meta.deletion_timestamp().is_none() && is_orphan(o);
        if orphans > ORPHANS_SCANNED {
            if let Some(fewer) = self.labels.candidates_fewer_than(kind, Some(namespace), selector, orphans) {
                return self.candidates_matching(kind, fewer, selector).into_iter().filter(adoptable).collect();
            }
        }
        self.orphans(kind, namespace).filter(|o| adoptable(o) && selector.matches(&o.meta.labels)).collect()
    }

    /// [`Store::dependents_iter`] of one kind (an owner's revisions without its pods).
    pub fn dependents_of_kind(&self, owner: Uid, kind: Kind) -> impl Iterator<Item = &Arc<Object>> + '_ {
        self.owners.names_of_kind(owner, kind).filter_map(move |(kind, ns, name)| self.lookup(kind, ns, name))
    }

    /// Objects whose ownerReferences name `owner`, in key order.
    pub fn dependents(&self, owner: Uid) -> Vec<Arc<Object>> {
        self.dependents_iter(owner).cloned().collect()
    }

    /// How many objects (in any namespace) name `owner` in their ownerReferences.
    pub fn dependents_count(&self, owner: Uid) -> usize {
        self.owners.count(&owner)
    }

    /// [`Store::dependents`] without collecting them.
    pub fn dependents_iter(&self, owner: Uid) -> impl Iterator<Item = &Arc<Object>> + '_ {
        self.owners.names(owner).filter_map(move |(kind, ns, name)| self.lookup(kind, ns, name))
    }

    /// Store a new object: defaults the namespace, generates a name from `generateName`,
    /// assigns uid, resourceVersion, generation and creationTimestamp, resets status.
    pub fn create(&mut self, mut obj: Object, now: Millis) -> Result<Arc<Object>, StoreError> {
        let (key, took) = self.shape_new(&mut obj, now, |counter| self.generated.get(&counter).copied())?;
        if let Some((counter, _, after)) = took.counter {
            self.generated.insert(counter, after);
        }
        self.resource_version += 1;
        obj.meta.resource_version = self.resource_version;
        let obj = Arc::new(obj);
        self.insert(key, obj.clone(), WatchEventType::Added);
        Ok(obj)
    }

    /// Work a create out against the store as it is now, without changing it (so on many
    /// threads at once): see [`Store::commit_create`]. `counters` holds the name counters this
    /// client's earlier prepared creates advanced. An object `create` would refuse is handed
    /// back as it came (but for its namespace defaulted), for `create` to refuse.
    pub fn prepare_create(
        &self,
        mut obj: Box<Object>,
        now: Millis,
        counters: &mut Vec<(u64, u64)>,
    ) -> Result<PreparedCreate, Box<Object>> {
        let advanced = |counter| counters.iter().find(|(c, _)| *c == counter).map(|(_, n)| *n);
        match self
            .shape_new(&mut obj, now, |counter| advanced(counter).or_else(|| self.generated.get(&counter).copied()))
        {
            Ok((key, took)) => {
                if let Some((counter, _, after)) = took.counter {
                    match counters.iter_mut().find(|(c, _)| *c == counter) {
                        Some(entry) => entry.1 = after,
                        None => counters.push((counter, after)),
                    }
                }
                Ok(PreparedCreate { obj: Arc::new(*obj), key, took })
            }
            Err(_) => Err(obj),
        }
    }

    /// Store a prepared create if what it took from the store is unchanged: its namespace
    /// (none removed since), its key's deletion count (the uid), its name counter, and its name
    /// still free. A generated name must be the counter's next draw: names it skipped as taken
    /// may have been freed since, and `create` would take them. Otherwise the object is created
    /// afresh, as `create` would have from the start; either way the answer is `create`'s.
    pub fn commit_create(&mut self, prepared: PreparedCreate) -> Result<Arc<Object>, StoreError> {
        let PreparedCreate { mut obj, key, took } = prepared;
        let current = took.namespaces_removed == self.namespaces_removed
            && self.incarnations.get(&took.incarnation.0).copied().unwrap_or(0) == took.incarnation.1
            && took.counter.is_none_or(|(c, before, after)| {
                after == before.unwrap_or(0) + 1 && self.generated.get(&c).copied() == before
            });
        if let Some(o) = Arc::get_mut(&mut obj).filter(|_| current) {
            o.meta.resource_version = self.resource_version + 1;
            if self.get_by_key(&key).is_none() {
                self.objects.insert(&ObjectKey::of(&obj));
                self.resource_version += 1;
                if let Some((counter, _, after)) = took.counter {
                    self.generated.insert(counter, after);
                }
                self.index_new(&key, obj.clone(), WatchEventType::Added);
                return Ok(obj);
            }
        }
        let mut obj = Arc::unwrap_or_clone(obj);
        if took.counter.is_some() {
            obj.meta.name = "".into();
        }
        let now = obj.meta.creation_timestamp;
        self.create(obj, now)
    }

    /// What `create` makes of `obj` before it stores it, reading the store alone (`counter`
    /// tells how far a generated name's counter has gone): the key, and what was taken from
    /// the store. Nothing of `obj` but its namespace changes when it is refused.
    fn shape_new(
        &self,
        obj: &mut Object,
        now: Millis,
        counter: impl Fn(u64) -> Option<u64>,
    ) -> Result<(ObjectKey, Took), StoreError> {
        let kind = obj.kind();
        if kind.namespaced() && obj.meta.namespace.is_empty() {
            obj.meta.namespace = "default".into();
        }
        if kind.namespaced() {
            let Some(ns) = self.get_by_key(&ObjectKey::new(Kind::Namespace, "", &obj.meta.namespace)) else {
                return Err(StoreError::NotFound { kind: Kind::Namespace, name: obj.meta.namespace.to_string() });
            };
            // upstream: the NamespaceLifecycle admission plugin (named by the prefix when the
            // name is still to be generated).
            if ns.meta.deletion_timestamp().is_some() {
                let name =
                    if obj.meta.name.is_empty() { obj.meta.generate_name().unwrap_or("") } else { &obj.meta.name };
                return Err(StoreError::Forbidden {
                    kind,
                    name: name.to_string(),
                    reason: format!(
                        "unable to create new content in namespace {} because it is being terminated",
                        ns.meta.name
                    ),
                });
            }
            // Objects share their namespace's name: keys in one namespace compare by pointer.
            obj.meta.namespace = ns.meta.name.clone();
        }
        let mut generated = None;
        if obj.meta.name.is_empty() {
            let prefix = obj.meta.generate_name().unwrap_or("");
            let (name, taken) = self.generate_name(kind, &obj.meta.namespace, prefix, counter);
            obj.meta.name = name;
            generated = Some(taken);
        }
        let errors = crate::api::validation::validate_created(kind, &obj.meta);
        if !errors.is_empty() {
            let name = obj.meta.name.to_string();
            if generated.is_some() {
                // (Refused as it came: a name drawn here is handed back undrawn.)
                obj.meta.name = "".into();
            }
            return Err(StoreError::Invalid(ApiError::Invalid { kind, name, errors }));
        }
        let key = ObjectKey::of(obj);
        // (A generated name is free already.)
        if generated.is_none() && self.get_by_key(&key).is_some() {
            return Err(StoreError::AlreadyExists { kind, name: key.name.to_string() });
        }
        strategy::prepare_for_create(obj);
        let hash = self.key_hash(&key);
        let incarnation = self.incarnations.get(&hash).copied().unwrap_or(0);
        obj.meta.uid = self.uid_for(&key, now, incarnation);
        strategy::prepare_after_uid(obj);
        obj.meta.creation_timestamp = now;
        obj.meta.set_deletion_timestamp(None);
        obj.meta.set_deletion_grace_period_seconds(None);
        obj.meta.generation = if Object::has_generation(kind) { 1 } else { 0 };
        let took =
            Took { namespaces_removed: self.namespaces_removed, incarnation: (hash, incarnation), counter: generated };
        Ok((key, took))
    }

    /// Replace an object's spec and metadata (status is kept: it has its own subresource).
    /// A non-zero resourceVersion in `obj` must be current. A write that changes nothing keeps
    /// the stored object and its resourceVersion, as the API server does.
    pub fn update(&mut self, obj: Object) -> Result<Arc<Object>, StoreError> {
        self.write(obj, false).map(|(_, new)| new)
    }

    /// Replace an object's status (spec and metadata other than resourceVersion are kept).
    pub fn update_status(&mut self, obj: Object) -> Result<Arc<Object>, StoreError> {
        self.write(obj, true).map(|(_, new)| new)
    }

    /// An update (`status`: a status update), returning the object it replaced and the one
    /// stored: the same `Arc` twice when nothing changed (or the object went away because its
    /// last finalizer did).
    pub fn write(&mut self, mut obj: Object, status: bool) -> Result<Written, StoreError> {
        let key = ObjectKey::of(&obj);
        let old = self.current(&key, &obj)?.clone();
        Self::merge(&mut obj, &old, status)?;
        if obj.same(&old) {
            return Ok((old.clone(), old));
        }
        // The stored key (merge shares the stored namespace with the new version).
        let key = ObjectKey::of(&old);
        if takes_last_finalizer(&obj, &old) {
            // The object goes away now.
            return self.remove(&key).map(|_| (old.clone(), old));
        }
        let quiet = obj.changes_nothing_shown(&old);
        if !quiet {
            obj.meta.resource_version = self.resource_version + 1;
        }
        let obj = Arc::new(obj);
        self.stored(&key, &old, obj.clone(), quiet);
        Ok((old, obj))
    }

    /// The store's count and indexes when `obj` replaces `old` (same key): a new
    /// resourceVersion, the indexes and the watch log; or, for a `quiet` version (one whose
    /// change the API does not show, see [`Object::changes_nothing_shown`]), the point index
    /// alone. upstream: an update that leaves the stored bytes as they were is no write (no new
    /// resourceVersion, no watch event); the kubelet's own bookkeeping, kept here in the pod,
    /// lives in the kubelet's memory there.
    fn stored(&mut self, key: &ObjectKey, old: &Arc<Object>, obj: Arc<Object>, quiet: bool) {
        self.repoint(old, obj.clone());
        self.took_place(key, old, obj, quiet, None);
    }

    /// The rest of [`Store::stored`] once `obj` has taken `old`'s place in the point index: a
    /// quiet version stops there; another takes the next resourceVersion and the indexes.
    /// `retally`: [`Retally::of`] the two versions, if already worked out.
    fn took_place(
        &mut self,
        key: &ObjectKey,
        old: &Arc<Object>,
        obj: Arc<Object>,
        quiet: bool,
        retally: Option<Retally>,
    ) {
        if quiet {
            #[cfg(debug_assertions)]
            assert_eq!(old.to_json(), obj.to_json(), "a quiet version must show as the stored one");
        } else {
            self.resource_version += 1;
            let retally = retally.unwrap_or_else(|| Retally::of(old, &obj));
            self.indexed_anew(key, old, obj, retally);
        }
    }

    /// Work an update out against the store as it is now, without changing it (so on many
    /// threads at once): see [`Store::commit_prepared`].
    pub fn prepare(&self, mut obj: Object, status: bool) -> Prepared {
        let key = ObjectKey::of(&obj);
        let client_version = obj.meta.resource_version;
        // A pod's binding read back into spec.nodeName is dropped or kept depending on the
        // stored binding (see `strategy::prepare_for_update`): merged twice, it could be
        // dropped against one binding and kept against another. Such updates wait.
        let read_back = matches!(&obj.body, Body::Pod { spec, .. } if !status && spec.node_name.is_some());
        let current = self.current(&key, &obj).ok().filter(|_| !read_back);
        let Some(old) = current else { return Prepared::Later { obj: Box::new(obj), status } };
        let later = |mut obj: Object| {
            obj.meta.resource_version = client_version;
            Prepared::Later { obj: Box::new(obj), status }
        };
        if Self::merge(&mut obj, old, status).is_err() {
            return later(obj);
        }
        let hash = object_hash(old);
        if obj.same(old) {
            let retally = Retally::default();
            return Prepared::Ready { old: old.clone(), new: old.clone(), client_version, status, hash, retally };
        }
        if takes_last_finalizer(&obj, old) {
            return later(obj);
        }
        let retally = Retally::of(old, &obj);
        Prepared::Ready { old: old.clone(), new: Arc::new(obj), client_version, status, hash, retally }
    }

    /// Store a prepared update if the version it was worked out against is still the stored
    /// one (every write stores a new `Arc`, and `prepared` keeps the old one alive, so pointer
    /// equality says nothing wrote the object since). Otherwise hand the update back to be
    /// written in full with [`Store::write`]: the merged object with the client's
    /// resourceVersion, which merges again into what the client's own object would have (what
    /// the update strategies overwrite they take from the stored version alone; `prepare` keeps
    /// back the one update that is not so).
    pub fn commit_prepared(&mut self, prepared: Prepared) -> Result<Written, (Box<Object>, bool)> {
        let (old, mut new, client_version, status, hash, retally) = match prepared {
            Prepared::Later { obj, status } => return Err((obj, status)),
            Prepared::Ready { old, new, client_version, status, hash, retally } => {
                (old, new, client_version, status, hash, retally)
            }
        };
        // (One probe that compares pointers: the stored version is found and replaced in place,
        // without hashing the key's text or reading the objects the probe passes.)
        let later = |new: Arc<Object>| {
            let mut obj = Box::new(Arc::unwrap_or_clone(new));
            obj.meta.resource_version = client_version;
            Err((obj, status))
        };
        let Some(slot) = self.by_key.find_mut(hash, |o| Arc::ptr_eq(o, &old)) else { return later(new) };
        if Arc::ptr_eq(&old, &new) {
            return Ok((old.clone(), old));
        }
        let Some(obj) = Arc::get_mut(&mut new) else { return later(new) };
        let quiet = obj.changes_nothing_shown(&old);
        if !quiet {
            obj.meta.resource_version = self.resource_version + 1;
        }
        *slot = new.clone();
        debug_assert_eq!(retally, Retally::of(&old, &new), "the tallies' change as the commit would work it out");
        self.took_place(&ObjectKey::of(&old), &old, new.clone(), quiet, Some(retally));
        Ok((old, new))
    }

    /// The stored version an update of `obj` would replace: it must exist, and a non-zero
    /// resourceVersion in `obj` must be its own.
    fn current(&self, key: &ObjectKey, obj: &Object) -> Result<&Arc<Object>, StoreError> {
        // The point index: one hash and one name compare, where the ordered set compares names
        // that share a long prefix all the way down.
        let kind = key.kind();
        let stored = self.get_by_key(key).ok_or_else(|| StoreError::NotFound { kind, name: key.name.to_string() })?;
        if obj.meta.resource_version != 0 && obj.meta.resource_version != stored.meta.resource_version {
            return Err(StoreError::Conflict { kind, name: key.name.to_string() });
        }
        Ok(stored)
    }

    /// An update's new version as the API server makes it from the client's object and the
    /// stored one (`status`: through the status subresource); resourceVersion still the old one.
    fn merge(obj: &mut Object, old: &Object, status: bool) -> Result<(), StoreError> {
        let kind = old.kind();
        // Server-owned metadata is never taken from the client.
        obj.meta.uid = old.meta.uid;
        obj.meta.namespace = old.meta.namespace.clone();
        obj.meta.creation_timestamp = old.meta.creation_timestamp;
        obj.meta.generate_name = old.meta.generate_name.clone();
        obj.meta.generation = old.meta.generation;
        if old.meta.deletion_timestamp().is_some() {
            obj.meta.set_deletion_timestamp(old.meta.deletion_timestamp());
            obj.meta.set_deletion_grace_period_seconds(old.meta.deletion_grace_period_seconds());
        }
        if status {
            strategy::prepare_for_status_update(obj, old);
            obj.meta.labels = old.meta.labels.clone();
            obj.meta.annotations = old.meta.annotations.clone();
            obj.meta.owner_references = old.meta.owner_references.clone();
            obj.meta.set_finalizers(old.meta.finalizers().to_vec());
        } else {
            strategy::prepare_for_update(obj, old);
            let errors = strategy::validate_update(obj, old);
            if !errors.is_empty() {
                return Err(crate::api::ApiError::Invalid { kind, name: old.meta.name.to_string(), errors }.into());
            }
            if Object::has_generation(kind) && !obj.same_spec(old) {
                obj.meta.generation = old.meta.generation + 1;
            }
        }
        obj.meta.resource_version = old.meta.resource_version;
        Ok(())
    }

    /// Delete an object with the API server's rules (`DeleteOptions`): a pod bound to a node
    /// gets a deletionTimestamp `grace` seconds ahead and stays until its kubelet is done; an
    /// unbound or finished pod, or a grace of 0, goes now. Foreground and Orphan propagation add
    /// their finalizer; any finalizer keeps the object until it is removed.
    pub fn delete_with(
        &mut self,
        key: &ObjectKey,
        options: &DeleteOptions,
        now: Millis,
    ) -> Result<Arc<Object>, StoreError> {
        let old = self
            .get_by_key(key)
            .cloned()
            .ok_or_else(|| StoreError::NotFound { kind: key.kind(), name: key.name.to_string() })?;
        if options.uid.is_some_and(|u| u != old.meta.uid) {
            return Err(StoreError::Conflict { kind: key.kind(), name: key.name.to_string() });
        }
        let mut obj = (*old).clone();
        match options.propagation {
            Propagation::Foreground => add_finalizer(&mut obj, FOREGROUND_FINALIZER),
            Propagation::Orphan => add_finalizer(&mut obj, ORPHAN_FINALIZER),
            Propagation::Background | Propagation::Default => {}
        }
        // upstream: the namespace REST Delete — a namespace with spec finalizers turns
        // Terminating and stays until the namespace controller has emptied and finalized it.
        if let crate::api::Body::Namespace { spec, status } = &mut obj.body {
            if spec.as_ref().and_then(|s| s.finalizers.as_ref()).is_some_and(|f| !f.is_empty()) {
                if old.meta.deletion_timestamp().is_some() {
                    return Ok(old);
                }
                status.get_or_insert_with(Default::default).phase = Some("Terminating".into());
                // Creates prepared against the namespace while it was active are now refused.
                self.namespaces_removed += 1;
                obj.meta.set_deletion_timestamp(Some(now));
                obj.meta.set_deletion_grace_period_seconds(Some(0));
                return Ok(self.store_version(&old, obj));
            }
        }
        let (deadline, grace) = match &obj.body {
            crate::api::Body::Pod { spec, status } => {
                let bound = spec.node_name.is_some() || status.node_name.is_some();
                let grace = options
                    .grace_period_seconds
                    .or(obj.meta.deletion_grace_period_seconds())
                    .or(spec.termination_grace_period_seconds)
                    .unwrap_or(30)
                    .max(0);
                if !bound || status.phase.is_terminal() || grace == 0 {
                    (None, 0)
                } else {
                    (Some(now + grace * 1000), grace)
                }
            }
            _ => (Some(now), 0),
        };
        if obj.meta.finalizers().is_empty() && (deadline.is_none() || key.kind() != Kind::Pod) {
            return self.remove(key);
        }
        if let Some(existing) = old.meta.deletion_timestamp() {
            // Already terminating: a shorter grace period may still bring the deadline forward.
            if deadline.is_none_or(|d| d >= existing) && obj.meta.finalizers() == old.meta.finalizers() {
                return Ok(old);
            }
        }
        obj.meta.set_deletion_timestamp(Some(deadline.unwrap_or(now)));
        obj.meta.set_deletion_grace_period_seconds(Some(grace));
        Ok(self.store_version(&old, obj))
    }

    /// Store `obj` as the next version of `old` (a server-side change: a new resourceVersion).
    fn store_version(&mut self, old: &Arc<Object>, mut obj: Object) -> Arc<Object> {
        self.resource_version += 1;
        obj.meta.resource_version = self.resource_version;
        let obj = Arc::new(obj);
        self.replace_indexed(old, obj.clone());
        obj
    }

    /// The namespace controller's finalize of an emptied, terminating namespace: the
    /// `kubernetes` spec finalizer goes, and with no finalizer left the namespace goes too.
    /// Returns the namespace as it is after (None: removed).
    pub fn finalize_namespace(&mut self, key: &ObjectKey) -> Result<Option<Arc<Object>>, StoreError> {
        let old = self
            .get_by_key(key)
            .cloned()
            .ok_or_else(|| StoreError::NotFound { kind: key.kind(), name: key.name.to_string() })?;
        let mut obj = (*old).clone();
        let crate::api::Body::Namespace { spec, .. } = &mut obj.body else {
            return Err(StoreError::NotFound { kind: key.kind(), name: key.name.to_string() });
        };
        let finalizers = spec.as_mut().and_then(|s| s.finalizers.as_mut());
        if let Some(f) = finalizers {
            f.retain(|f| f != crate::api::strategy::NAMESPACE_FINALIZER);
        }
        let left = spec.as_ref().and_then(|s| s.finalizers.as_ref()).is_some_and(|f| !f.is_empty());
        if left || !obj.meta.finalizers().is_empty() {
            return Ok(Some(self.store_version(&old, obj)));
        }
        self.remove(key)?;
        Ok(None)
    }

    /// Remove an object now (the kubelet's final grace-0 delete), if it still has this uid.
    pub fn remove_now(&mut self, key: &ObjectKey, uid: Uid) -> Result<Arc<Object>, StoreError> {
        match self.get_by_key(key) {
            Some(o) if o.meta.uid == uid => self.remove(key),
            Some(_) => Err(StoreError::Conflict { kind: key.kind(), name: key.name.to_string() }),
            None => Err(StoreError::NotFound { kind: key.kind(), name: key.name.to_string() }),
        }
    }

    /// Delete with default options (`kubectl delete` without flags).
    pub fn delete(&mut self, kind: Kind, namespace: &str, name: &str, now: Millis) -> Result<Arc<Object>, StoreError> {
        self.delete_with(&ObjectKey::new(kind, namespace, name), &Default::default(), now)
    }

    fn remove(&mut self, key: &ObjectKey) -> Result<Arc<Object>, StoreError> {
        let old = self
            .get_by_key(key)
            .cloned()
            .ok_or_else(|| StoreError::NotFound { kind: key.kind(), name: key.name.to_string() })?;
        let ordered = self.objects.remove(key);
        debug_assert!(ordered, "the key order holds every stored key");
        if let Ok(entry) = self.by_key.find_entry(object_hash(&old), |o| Arc::ptr_eq(o, &old)) {
            entry.remove();
        }
        let tick = self.tick();
        self.labels.remove(key, &old.meta.labels, tick);
        for r in old.meta.owner_references.iter() {
            self.owners.remove(r.uid, key, tick);
        }
        if is_orphan(&old) {
            self.orphans.remove(key.kind(), key, tick);
        }
        if let Some(uid) = involved_uid(&old) {
            self.involved.remove(uid.clone(), key, tick);
        }
        self.untally(&old);
        self.note_write(&old, tick);
        self.census.remove(&old);
        *self.incarnations.entry(self.key_hash(key)).or_insert(0) += 1;
        if key.kind() == Kind::Namespace {
            self.namespaces_removed += 1;
        }
        self.resource_version += 1;
        // upstream: a DELETED watch event carries the object at its deletion resourceVersion.
        let mut gone = (*old).clone();
        gone.meta.resource_version = self.resource_version;
        self.push_watch(WatchEventType::Deleted, Arc::new(gone));
        Ok(old)
    }

    fn insert(&mut self, key: ObjectKey, obj: Arc<Object>, event: WatchEventType) {
        self.objects.insert(&ObjectKey::of(&obj));
        self.index_new(&key, obj, event);
    }

    /// The indexes and the watch log after `obj` was stored under `key`.
    fn index_new(&mut self, key: &ObjectKey, obj: Arc<Object>, event: WatchEventType) {
        self.by_key.insert_unique(object_hash(&obj), obj.clone(), |o| object_hash(o));
        let tick = self.tick();
        self.tally(&obj);
        self.note_write(&obj, tick);
        self.census.add(&obj);
        self.labels.insert(key, &obj.meta.labels, tick);
        self.index_owners(key, &obj, tick);
        if let Some(uid) = involved_uid(&obj) {
            self.involved.insert(uid.clone(), key, tick);
        }
        self.push_watch(event, obj);
    }

    fn replace_indexed(&mut self, old: &Arc<Object>, obj: Arc<Object>) {
        let key = ObjectKey::of(&obj);
        debug_assert!(self.get_by_key(&key).is_some_and(|o| Arc::ptr_eq(o, old)), "only a stored object is replaced");
        self.reindex(&key, old, obj);
    }

    /// Put `obj` in the point index in place of `old` (same key).
    fn repoint(&mut self, old: &Arc<Object>, obj: Arc<Object>) {
        match self.by_key.find_mut(object_hash(old), |o| Arc::ptr_eq(o, old)) {
            Some(entry) => *entry = obj,
            None => debug_assert!(false, "the point index holds every stored object"),
        }
    }

    /// Put `obj` in place of `old` (same key), with the indexes and the watch log.
    fn reindex(&mut self, key: &ObjectKey, old: &Arc<Object>, obj: Arc<Object>) {
        self.repoint(old, obj.clone());
        let retally = Retally::of(old, &obj);
        self.indexed_anew(key, old, obj, retally);
    }

    /// The indexes and the watch log after `obj` took `old`'s place in the point index.
    fn indexed_anew(&mut self, key: &ObjectKey, old: &Arc<Object>, obj: Arc<Object>, retally: Retally) {
        if let Some([before, after]) = retally.0.map(|b| *b) {
            self.untally_with(old, before);
            self.tally_with(&obj, after);
        }
        let tick = self.tick();
        self.note_write(&obj, tick);
        self.census.replace(old, &obj);
        if old.meta.labels != obj.meta.labels {
            self.labels.remove(key, &old.meta.labels, tick);
            self.labels.insert(key, &obj.meta.labels, tick);
        }
        if old.meta.owner_references != obj.meta.owner_references {
            for r in old.meta.owner_references.iter() {
                self.owners.remove(r.uid, key, tick);
            }
            if is_orphan(old) {
                self.orphans.remove(key.kind(), key, tick);
            }
            self.index_owners(key, &obj, tick);
        }
        let (before, after) = (involved_uid(old), involved_uid(&obj));
        if before != after {
            if let Some(uid) = before {
                self.involved.remove(uid.clone(), key, tick);
            }
            if let Some(uid) = after {
                self.involved.insert(uid.clone(), key, tick);
            }
        }
        self.push_watch(WatchEventType::Modified, obj);
    }

    fn index_owners(&mut self, key: &ObjectKey, obj: &Object, tick: u64) {
        for r in obj.meta.owner_references.iter() {
            if !r.uid.is_nil() {
                self.owners.insert(r.uid, key, tick);
            }
        }
        if is_orphan(obj) {
            self.orphans.insert(key.kind(), key, tick);
        }
    }

    /// The next tick of the index clock (see [`Store::ticks`]).
    fn tick(&mut self) -> u64 {
        self.ticks += 1;
        self.ticks
    }

    /// Note a write of `obj` (a version stored or removed) at `tick`: in its controller's pod
    /// tally if it is a controlled pod, and in `nodes_written` if it is a Node.
    fn note_write(&mut self, obj: &Object, tick: u64) {
        match obj.kind() {
            Kind::Pod => {
                if let Some(t) = obj.meta.controller_ref().and_then(|r| self.tallies.get_mut(&r.uid)) {
                    t.written = tick;
                }
            }
            Kind::Node => self.nodes_written = tick,
            _ => {}
        }
    }

    fn push_watch(&mut self, event_type: WatchEventType, object: Arc<Object>) {
        if let Some(log) = &mut self.changes {
            // Past half as many entries as objects stored, reading everything costs about what
            // reading the feed would: it starts again from here (the next sample is a full one),
            // so it never holds more than O(objects).
            if log.entries.len() >= self.objects.len() / 2 + 1024 {
                log.entries = Vec::new();
                log.base = self.resource_version;
            }
            // A pod's node as the shared text its status holds, else (a spec naming it) a copy.
            let node = match &object.body {
                crate::api::Body::Pod { spec, status } => match (&spec.node_name, &status.node_name) {
                    (Some(n), Some(shared)) if **n == **shared => Some(shared.clone()),
                    (Some(n), _) => Some(Arc::from(n.as_str())),
                    (None, shared) => shared.clone(),
                },
                _ => None,
            };
            log.entries.push((self.resource_version, ObjectKey::of(&object), node));
        }
        self.watch.push_back(WatchEvent { event_type, resource_version: self.resource_version, object });
        self.trim_watch();
    }

    /// Keep the keys written from now on (after resourceVersion `since`, which the caller has
    /// read up to), dropping what is kept up to it: the recorder's change feed.
    pub fn track_changes(&mut self, since: u64) {
        let log = self.changes.get_or_insert_with(|| ChangeLog { base: since, entries: Vec::new() });
        let keep = log.entries.partition_point(|e| e.0 <= since);
        log.entries.drain(..keep);
        log.base = log.base.max(since);
    }

    /// Stop keeping the keys written.
    pub fn untrack_changes(&mut self) {
        self.changes = None;
    }

    /// The keys written after `since`, if they are kept that far back.
    pub fn changes_since(&self, since: u64) -> Option<impl Iterator<Item = (&ObjectKey, Option<&str>)>> {
        let log = self.changes.as_ref().filter(|l| since >= l.base)?;
        let from = log.entries.partition_point(|e| e.0 <= since);
        Some(log.entries[from..].iter().map(|(_, k, n)| (k, n.as_deref())))
    }

    fn trim_watch(&mut self) {
        while self.watch.len() > self.watch_capacity {
            self.watch.pop_front();
        }
    }

    /// Watch events with resourceVersion greater than `since`, oldest first. Asking for history
    /// the log no longer holds is `Gone` (HTTP 410), as with a real API server.
    pub fn watch_since(&self, since: u64) -> Result<Vec<WatchEvent>, StoreError> {
        let oldest = self.watch.front().map(|e| e.resource_version).unwrap_or(self.resource_version + 1);
        if since + 1 < oldest && since < self.resource_version {
            return Err(StoreError::Gone { requested: since, oldest });
        }
        let start = self.watch.partition_point(|e| e.resource_version <= since);
        Ok(self.watch.range(start..).cloned().collect())
    }

    fn key_hash(&self, key: &ObjectKey) -> u64 {
        stable_hash(self.seed, &[key.kind().name().as_bytes(), key.namespace.as_bytes(), key.name.as_bytes()])
    }

    /// A uid that depends on the seed, the object's key, when it was created and how many
    /// times that key was deleted before (`incarnation`) — never on unrelated objects.
    fn uid_for(&self, key: &ObjectKey, now: Millis, incarnation: u32) -> Uid {
        let base = [key.kind().name().as_bytes(), key.namespace.as_bytes(), key.name.as_bytes()];
        let extra = [now.to_le_bytes(), (incarnation as i64).to_le_bytes()];
        let parts: Vec<&[u8]> = base.iter().copied().chain(extra.iter().map(|b| &b[..])).collect();
        let hi = stable_hash(self.seed, &parts);
        let lo = stable_hash(self.seed ^ 0x5555_5555_5555_5555, &parts);
        // 122 random bits: a collision is not a practical concern.
        Uid::from_random(hi, lo)
    }

    /// upstream: SimpleNameGenerator — prefix truncated to 58 characters plus 5 random ones;
    /// a collision is retried. The draws follow a counter per (kind, namespace, prefix), which
    /// `counter` says how far has gone: the name, with the counter's key, value before and after.
    fn generate_name(
        &self,
        kind: Kind,
        namespace: &str,
        prefix: &str,
        counter: impl Fn(u64) -> Option<u64>,
    ) -> (Arc<str>, (u64, Option<u64>, u64)) {
        let base: String = prefix.chars().take(58).collect();
        let counter_key = stable_hash(self.seed, &[kind.name().as_bytes(), namespace.as_bytes(), prefix.as_bytes()]);
        let before = counter(counter_key);
        let mut n = before.unwrap_or(0);
        loop {
            n += 1;
            let draw = stable_hash(counter_key, &[&n.to_le_bytes()]);
            let name = format!("{base}{}", name_suffix(draw, 5));
            if self.lookup(kind, namespace, &name).is_none() {
                return (name.into(), (counter_key, before, n));
            }
        }
    }
}

#[cfg(test)]
mod tests;

/// Whether an update of a terminating object takes its last finalizer away. A bound pod that
/// is still stopping stays until its kubelet is done (graceful deletion), finalizers or not.
fn takes_last_finalizer(obj: &Object, old: &Object) -> bool {
    let stopping = matches!(&obj.body, Body::Pod { spec, status }
        if !status.phase.is_terminal() && (spec.node_name.is_some() || status.node_name.is_some()))
        // A namespace stays while its spec finalizers do (the namespace controller's finalize).
        || matches!(&obj.body, Body::Namespace { spec: Some(spec), .. }
            if spec.finalizers.as_ref().is_some_and(|f| !f.is_empty()));
    obj.meta.deletion_timestamp().is_some()
        && obj.meta.finalizers().is_empty()
        && !old.meta.finalizers().is_empty()
        && !stopping
}

fn add_finalizer(obj: &mut Object, finalizer: &str) {
    if !obj.meta.finalizers().iter().any(|f| f == finalizer) {
        obj.meta.finalizers_mut().push(finalizer.to_string());
    }
}
