//! The discrete-event engine. At each instant it runs the controllers to a fixpoint: take the
//! dirty keys, reconcile them in parallel against one immutable view of the store, then commit
//! their writes one by one in canonical order (controller, then key). A write whose
//! precondition went stale is a conflict and its key is requeued. Timers bring keys back at a
//! later virtual time. The result never depends on the thread count.

mod events;
mod latency;
pub mod snapshot;
mod timers;

use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};

use crate::api::pod::ConditionType;
use crate::api::{Body, Kind, Object};
use crate::controllers::replicaset::node_of;
use crate::controllers::{
    cronjob, daemonset, deployment, disruption, endpoints, endpointslice, gc, hpa, job, kubernetes_service, namespace,
    nodelifecycle, replicaset, scheduler, serviceaccounts, statefulset, ControllerId, Ctx, NodeRuntime, Reconciled,
    Write,
};
use crate::error::KubesimError;
use crate::kubelet;
use crate::kubelet::images::ImageRegistry;
use crate::labels::Selector;
use crate::sim::clock::Millis;
use crate::sim::latency::{Latency, TokenBucket};
use crate::store::{ObjectKey, Prepared, Store, StoreError, Written};

pub use events::EventLog;

/// Rounds per instant before the engine gives up and names what keeps changing.
pub const MAX_ROUNDS: usize = 1000;
/// The default object budget (`Cluster(max_objects=…)`): room for a million pods with their
/// events, well below what exhausts a laptop's memory (about 1 KiB a pod, 1.5 KiB an event).
pub const DEFAULT_MAX_OBJECTS: usize = 5_000_000;
/// Rounds with fewer dirty keys than this run on the calling thread (see
/// [`Engine::parallel_threshold`]).
const PARALLEL_THRESHOLD: usize = 64;
/// How long a controller whose create was refused waits before it tries again (upstream's
/// controllers requeue with a rate limiter; one second keeps a refused create from spinning).
const CREATE_RETRY: Millis = 1_000;
/// upstream: DefaultControllerRateLimiter's per-item cap.
const MAX_RETRY: Millis = 1_000_000;
const N: usize = ControllerId::ALL.len();
/// upstream: DefaultPodInitialBackoffDuration (1 s) doubled per failed attempt up to
/// DefaultPodMaxBackoffDuration (10 s) — calculateBackoffDuration.
fn scheduling_backoff(attempts: u32) -> Millis {
    let doublings = attempts.saturating_sub(1).min(4);
    (1000 << doublings).min(10_000)
}

/// upstream: PriorityQueue.Run calls flushUnschedulablePodsLeftover every 30 s (wait.Until),
/// which moves the pods that have stayed unschedulable for more than
/// DefaultPodMaxInUnschedulablePodsDuration (5 min) since their last attempt.
const LEFTOVER_FLUSH_PERIOD: Millis = 30_000;
const MAX_IN_UNSCHEDULABLE: Millis = 300_000;

/// The flush that moves a pod left unschedulable at `since`: the first of the scheduler's 30 s
/// ticks (counted from `start`, when the scheduler started) more than 5 minutes later.
fn leftover_flush_at(since: Millis, start: Millis) -> Millis {
    let after = since.saturating_sub(start).max(0).saturating_add(MAX_IN_UNSCHEDULABLE);
    start.saturating_add((after / LEFTOVER_FLUSH_PERIOD + 1).saturating_mul(LEFTOVER_FLUSH_PERIOD))
}

/// A round reconciles at most this many keys of a controller, or an eighth of what is stored if
/// that is more (see [`Engine::defer_beyond_cap`]).
const ROUND_KEYS_MIN: usize = 1 << 14;
const ROUND_SHARE: usize = 8;

/// Key buffer capacity kept per controller between instants.
const SPARE_KEYS: usize = 1024;
/// Replaced versions handed to the pool to free at a time.
const FREE_BATCH: usize = 4096;

#[derive(Clone)]
pub struct Engine {
    pool: Arc<rayon::ThreadPool>,
    threads: usize,
    /// Rounds with at least this many dirty keys go to the pool (when it has more than one
    /// thread), and so do sorting them and `map`s of this many items; tests lower it so that
    /// every round does.
    pub parallel_threshold: usize,
    /// The most keys of a controller a round reconciles, if not worked out from the store (see
    /// [`Engine::defer_beyond_cap`]); tests lower it.
    pub round_cap: Option<usize>,
    /// Writes worked out on the pool: updates stored as prepared, updates written in full
    /// after all (their object written earlier in the round, or an outcome only the commit
    /// can decide), and creates.
    pub prepared: [u64; 3],
    /// Keys marked since the round began, per controller, in marking order and possibly
    /// repeated (sorted and deduplicated when the round takes them): a vector, not a B-tree,
    /// so a round's marks do not scatter short-lived tree nodes among the store's.
    dirty: [Vec<ObjectKey>; N],
    /// Last round's key buffers, emptied, to take the next round's marks without regrowing.
    spare: [Vec<ObjectKey>; N],
    /// Keys that come back to a controller at a later instant.
    timers: timers::Timers,
    /// Pending pods a round's cap left for the next rounds of the instant, in queue order (see
    /// [`Engine::defer_beyond_cap`]); the scheduler's marks, as far as settling goes.
    queued: BTreeSet<scheduler::QueueKey>,
    pub images: ImageRegistry,
    pub nodes: NodeRuntime,
    /// Pods the scheduler could not place, waiting for a change that may make room (upstream's
    /// unschedulablePods): a change moves them all out, each retried once its back-off is over.
    /// (Hashed, as are the other sets of pending pods below: only looked up, and moved in key
    /// order; see [`in_key_order`].)
    unschedulable: FxHashSet<ObjectKey>,
    /// The unschedulable pods with pod (anti-)affinity or topology spread constraints: a pod
    /// bound elsewhere may make room for them (upstream: the AssignedPodAdd event their
    /// plugins register), so a binding moves these (and only these) to be retried.
    waiting_for_pods: FxHashSet<ObjectKey>,
    /// A pod was bound since the round began: `waiting_for_pods` are moved at the next round.
    retry_waiting: bool,
    /// How many PodDisruptionBudgets are stored (none: a pod change looks for none).
    budgets: usize,
    /// Failed scheduling attempts of each pending pod and when the last one failed (upstream:
    /// QueuedPodInfo's Attempts and Timestamp), for its back-off.
    attempts: FxHashMap<ObjectKey, (u32, Millis)>,
    /// The unschedulable pods by the flush that moves them if nothing else has by then (see
    /// [`leftover_flush_at`]): each pod of `unschedulable` once, under the flush its last
    /// attempt gives. Worked out again from those two when a snapshot is loaded.
    leftover: BTreeMap<Millis, FxHashSet<ObjectKey>>,
    /// When the scheduler started (the cluster's start): its leftover flushes tick from here.
    scheduler_start: Millis,
    /// Capacity or nodes changed since the round began: the unschedulable pods are moved once
    /// at the next round, however many changes asked for it (not once per change).
    retry_pending: bool,
    events: EventLog,
    /// Pod IPs in use per node (the CNI's host-local IPAM): next host number, addresses in use.
    ips: FxHashMap<Arc<str>, (u32, BTreeSet<u32>)>,
    /// Record Event objects (on by default; off for very large experiments).
    pub record_events: bool,
    /// Load model and metrics (what metrics-server would report).
    pub load: crate::metrics::LoadModel,
    /// HPA controller memory per HPA.
    hpa_memory: BTreeMap<ObjectKey, hpa::HpaMemory>,
    /// Each HPA's record of its last proposals: a cache, not history (not in snapshots).
    hpa_memo: BTreeMap<ObjectKey, hpa::Memo>,
    /// DaemonSet controller memory (each DaemonSet's view of its nodes at its last sync).
    daemon_memory: crate::controllers::daemonset::Memory,
    /// EndpointSlice controller memory (which slice holds each pod of each Service).
    endpoint_memory: endpointslice::Memory,
    /// Endpoints controller memory (each Service's addresses by port set).
    endpoints_v1_memory: endpoints::Memory,
    /// Job controller memory: each Job's pod-failure back-off record.
    job_backoff: job::backoff::Memory,
    /// DaemonSet controller memory: the failed-pod back-off per DaemonSet and node.
    daemon_backoff: crate::controllers::daemonset::backoff::Memory,
    /// The work queue's failures in a row per reconcile (controller, key) whose writes were
    /// refused, for its back-off (see [`Engine::retry_later`]); forgotten when one succeeds.
    failures: FxHashMap<(ControllerId, ObjectKey), u32>,
    /// Whether the reconcile being committed had a write refused (so it is not forgotten).
    failed_now: bool,
    /// What one reconcile's updates changed (key, resourceVersion before, after), so its later
    /// writes to the same object build on them (a buffer kept between commits).
    rewritten: Vec<(ObjectKey, u64, u64)>,
    /// Versions replaced in this commit, freed on the pool a batch at a time while the commit
    /// goes on (with more than one thread; the commit is the serial part of a round).
    replaced: Vec<Arc<Object>>,
    /// Batches of `replaced` the pool has not finished freeing (waited for when settled, so
    /// memory is back before anyone measures or trims it).
    freeing: FreeCounter,
    /// How many objects the store may hold: past it, settling stops with
    /// [`KubesimError::ObjectBudget`] between two rounds.
    pub max_objects: usize,
    /// Asked between rounds and instants whether the caller wants the run stopped (Ctrl-C).
    pub interrupt: Option<Arc<dyn Fn() -> bool + Send + Sync>>,
    /// Jobs whose pods changed, synced [`job::SYNC_BATCH`] later (upstream's batched pod events).
    job_batch: Vec<ObjectKey>,
    /// The latencies modelled (none by default; see [`crate::sim::latency`]).
    pub latency: Latency,
    /// Changes heard by the controllers since the round began, told to them
    /// `latency.informer_delay` later (when that is not zero).
    informing: Vec<(ControllerId, ObjectKey)>,
    /// The scheduler's rate limit (with `latency.scheduler_qps`).
    bucket: TokenBucket,
    /// Pending pods whose scheduling attempt waits for its token, and when it has it.
    reserved: FxHashMap<ObjectKey, Millis>,
}

/// The count of batches being freed on the pool. A copy of the engine (a fork, a dry run's
/// scratch cluster) counts its own: it starts at zero rather than sharing the original's.
#[derive(Default)]
struct FreeCounter(Arc<std::sync::atomic::AtomicUsize>);

impl Clone for FreeCounter {
    fn clone(&self) -> Self {
        FreeCounter::default()
    }
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine").field("threads", &self.threads).finish_non_exhaustive()
    }
}

fn idx(c: ControllerId) -> usize {
    c as usize
}

/// Mark `key` dirty for `c` in the round's key buffers.
fn mark(dirty: &mut [Vec<ObjectKey>; N], c: ControllerId, key: ObjectKey) {
    let keys = &mut dirty[idx(c)];
    // Writes are committed in key order, so marks of one key often come in a row (a
    // ReplicaSet's pods marking it): kept once, the buffer stays short.
    if keys.last() != Some(&key) {
        keys.push(key);
    }
}

/// Give back a hashed map's memory once it holds under a quarter of what it has room for (a
/// burst of timers or pending pods is not kept for good); rehashing what is left then costs
/// no more than the removals that emptied it.
fn trim(table: &mut impl Trim) {
    trim_from(table, SPARE_KEYS);
}

/// [`trim`] for a table whose room counts from `floor` entries up (one of many small tables).
fn trim_from(table: &mut impl Trim, floor: usize) {
    let (len, capacity) = table.fill();
    if capacity > floor && len < capacity / 4 {
        table.shrink(len * 2);
    }
}

/// A hashed set's keys in key order: the timers set from them queue in this order, which a
/// snapshot writes, so it must not depend on how the table grew (a loaded engine's is rebuilt).
fn in_key_order(keys: FxHashSet<ObjectKey>) -> Vec<ObjectKey> {
    let mut keys: Vec<ObjectKey> = keys.into_iter().collect();
    keys.sort_unstable();
    keys
}

/// A hashed map or set, as [`trim`] sees it.
trait Trim {
    fn fill(&self) -> (usize, usize);
    fn shrink(&mut self, to: usize);
}

impl<K: std::hash::Hash + Eq, V> Trim for FxHashMap<K, V> {
    fn fill(&self) -> (usize, usize) {
        (self.len(), self.capacity())
    }
    fn shrink(&mut self, to: usize) {
        self.shrink_to(to);
    }
}

impl<K: std::hash::Hash + Eq> Trim for FxHashSet<K> {
    fn fill(&self) -> (usize, usize) {
        (self.len(), self.capacity())
    }
    fn shrink(&mut self, to: usize) {
        self.shrink_to(to);
    }
}

impl Engine {
    pub fn new(threads: usize) -> Result<Engine, KubesimError> {
        let threads = threads.max(1);
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(|i| format!("kubesim-{i}"))
            .build()
            .map_err(|e| KubesimError::Simulation(format!("cannot start {threads} threads: {e}")))?;
        Ok(Engine {
            pool: Arc::new(pool),
            threads,
            parallel_threshold: PARALLEL_THRESHOLD,
            round_cap: None,
            prepared: [0; 3],
            dirty: Default::default(),
            spare: Default::default(),
            timers: timers::Timers::default(),
            queued: BTreeSet::new(),
            images: ImageRegistry::with_builtins(),
            nodes: NodeRuntime::default(),
            unschedulable: FxHashSet::default(),
            waiting_for_pods: FxHashSet::default(),
            retry_waiting: false,
            budgets: 0,
            attempts: FxHashMap::default(),
            leftover: BTreeMap::new(),
            scheduler_start: 0,
            retry_pending: false,
            events: EventLog::default(),
            ips: FxHashMap::default(),
            record_events: true,
            load: crate::metrics::LoadModel::default(),
            hpa_memory: BTreeMap::new(),
            hpa_memo: BTreeMap::new(),
            daemon_memory: Default::default(),
            endpoint_memory: Default::default(),
            endpoints_v1_memory: Default::default(),
            job_backoff: Default::default(),
            daemon_backoff: Default::default(),
            failures: FxHashMap::default(),
            failed_now: false,
            rewritten: Vec::new(),
            replaced: Vec::new(),
            freeing: Default::default(),
            max_objects: DEFAULT_MAX_OBJECTS,
            interrupt: None,
            job_batch: Vec::new(),
            latency: Latency::default(),
            informing: Vec::new(),
            bucket: TokenBucket::default(),
            reserved: FxHashMap::default(),
        })
    }

    /// The pending pods a round's cap left for the next rounds of the instant, in queue order.
    pub fn queued(&self) -> impl Iterator<Item = &ObjectKey> + '_ {
        self.queued.iter().map(scheduler::QueueKey::key)
    }

    pub fn threads(&self) -> usize {
        self.threads
    }

    /// Run `f` once on every worker thread of the pool (e.g. to trim per-thread allocator caches).
    pub fn on_workers(&self, f: &(dyn Fn() + Sync)) {
        self.pool.broadcast(|_| f());
    }

    /// `f` over `items`, in order: on the pool, or on the calling thread for one thread or a
    /// few items (the answers are the same either way).
    pub fn map<T: Send, R: Send>(&self, items: Vec<T>, f: impl Fn(T) -> R + Sync + Send) -> Vec<R> {
        if self.threads == 1 || items.len() < self.parallel_threshold {
            items.into_iter().map(f).collect()
        } else {
            self.pool.install(|| items.into_par_iter().map(f).collect())
        }
    }

    pub fn next_timer(&self) -> Option<Millis> {
        let flush = self.leftover.first_key_value().map(|(&t, _)| t);
        match (self.timers.next_time(), flush) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// When the next timer fires, leaving out the scheduler's leftover flushes: what can change
    /// the cluster. A flush alone only tries again pods that failed in a cluster that has not
    /// changed since, which fail the same way (their FailedScheduling count grows).
    pub fn next_change_timer(&self) -> Option<Millis> {
        self.timers.next_time()
    }

    /// The scheduler starts with the cluster at `start` (its leftover flushes tick from there);
    /// the leftover index is worked out again from the unschedulable pods' last attempts.
    pub fn start_scheduler(&mut self, start: Millis) {
        self.scheduler_start = start;
        self.leftover.clear();
        for k in &self.unschedulable {
            if let Some(&(_, last)) = self.attempts.get(k) {
                self.leftover.entry(leftover_flush_at(last, start)).or_default().insert(k.clone());
            }
        }
    }

    /// A controller's dirty keys, each once, in key order (the canonical reconcile order).
    fn take_dirty(&mut self, c: ControllerId) -> Vec<ObjectKey> {
        let mut keys = self.take_marked(c);
        canonical(&mut keys, false);
        keys
    }

    /// A controller's marks as they came; marking goes on into last round's buffer.
    fn take_marked(&mut self, c: ControllerId) -> Vec<ObjectKey> {
        std::mem::replace(&mut self.dirty[idx(c)], std::mem::take(&mut self.spare[idx(c)]))
    }

    /// The dirty keys of every controller that has any, in controller order, each key once and
    /// in key order; sorted on the pool when there are many. A controller with nothing marked
    /// is left out of the round (most rounds concern two or three of the eighteen), so a round
    /// costs what it reconciles, not a visit to every controller.
    fn take_round(&mut self) -> Vec<(ControllerId, Vec<ObjectKey>)> {
        let mut jobs: Vec<(ControllerId, Vec<ObjectKey>)> = Vec::new();
        for c in ControllerId::ALL {
            if !self.dirty[idx(c)].is_empty() || (c == ControllerId::Scheduler && !self.queued.is_empty()) {
                jobs.push((c, self.take_marked(c)));
            }
        }
        let marks: usize = jobs.iter().map(|(_, k)| k.len()).sum();
        let parallel = self.threads > 1 && marks >= self.parallel_threshold;
        let sort = |(_, keys): &mut (ControllerId, Vec<ObjectKey>)| canonical(keys, parallel);
        if parallel {
            self.pool.install(|| jobs.par_iter_mut().for_each(sort));
        } else {
            jobs.iter_mut().for_each(sort);
        }
        jobs
    }

    /// Leave the keys of a controller beyond the round's cap (in its order: key order, or the
    /// scheduling queue's) for the next round at the same instant. A round's new versions exist
    /// beside the stored ones until it commits, so an instant that changes every pod (a million
    /// bound at once) would otherwise hold twice the pods; capped, it holds an eighth more. The
    /// cap depends on the store alone (not the threads), so histories stay the same for any
    /// thread count; rounds below it are as they were. The pending pods left over wait in
    /// `queued`, in queue order, so that each round takes its batch from the front instead of
    /// sorting everything still waiting again (which made a wave of N pods retried at once
    /// cost N²/cap).
    fn defer_beyond_cap(&mut self, store: &Store, jobs: &mut [(ControllerId, Vec<ObjectKey>)]) {
        let cap = self.round_cap.unwrap_or_else(|| ROUND_KEYS_MIN.max(store.len() / ROUND_SHARE));
        for (c, keys) in jobs.iter_mut() {
            match c {
                ControllerId::Scheduler if keys.len() > cap || !self.queued.is_empty() => {
                    scheduler::queue_head(store, &mut self.queued, keys, cap)
                }
                ControllerId::Scheduler => {}
                _ if keys.len() > cap => {
                    let rest = keys.split_off(cap);
                    self.dirty[idx(*c)].extend(rest);
                }
                _ => {}
            }
        }
    }

    /// Give a round's key buffers back for marking, emptied (and trimmed to twice their use,
    /// so a burst's capacity is not kept for good). Controllers left out of the round kept
    /// theirs.
    fn recycle(&mut self, jobs: Vec<(ControllerId, Vec<ObjectKey>)>) {
        for (c, mut keys) in jobs {
            let used = keys.len();
            keys.clear();
            keys.shrink_to(used * 2);
            self.spare[idx(c)] = keys;
        }
    }

    pub fn mark(&mut self, c: ControllerId, key: ObjectKey) {
        mark(&mut self.dirty, c, key);
    }

    fn schedule(&mut self, c: ControllerId, key: ObjectKey, at: Millis, now: Millis) {
        if at <= now {
            self.mark(c, key);
            return;
        }
        self.timers.set(c, key, at);
    }

    /// Move every timer due at or before `now` into the dirty sets, and the pods left
    /// unschedulable for the flushes due to the scheduler (their back-off is long over).
    pub fn fire_due(&mut self, now: Millis) {
        while let Some(entry) = self.leftover.first_entry().filter(|e| *e.key() <= now) {
            for k in in_key_order(entry.remove()) {
                self.unschedulable.remove(&k);
                self.waiting_for_pods.remove(&k);
                self.mark(ControllerId::Scheduler, k);
            }
            trim(&mut self.unschedulable);
            trim(&mut self.waiting_for_pods);
        }
        let dirty = &mut self.dirty;
        self.timers.fire_due(now, |c, key| mark(dirty, c, key));
    }

    /// Tell the controllers about a change (an informer event).
    pub fn observe(
        &mut self,
        store: &Store,
        origin: Option<(ControllerId, &ObjectKey)>,
        old: Option<&Object>,
        new: Option<&Object>,
    ) {
        let Some(any) = new.or(old) else { return };
        let key = ObjectKey::of(any);
        // A controller's write of an object does not bring that object back to it — except the
        // Deployment controller, which (like upstream's informer) takes a second look after
        // writing status: history cleanup waits for the status that says "complete".
        let skip =
            |c: ControllerId| c != ControllerId::Deployment && origin.is_some_and(|(oc, ok)| oc == c && *ok == key);
        match key.kind() {
            Kind::Pod => self.observe_pod(store, &key, old, new, &skip),
            Kind::ReplicaSet => {
                if !skip(ControllerId::ReplicaSet) {
                    self.notify(ControllerId::ReplicaSet, key.clone());
                }
                self.mark_deployments_of(store, old, new);
            }
            Kind::Deployment if !skip(ControllerId::Deployment) => self.notify(ControllerId::Deployment, key.clone()),
            Kind::Job => {
                if new.is_some() && !skip(ControllerId::Job) {
                    self.notify(ControllerId::Job, key.clone());
                }
                if new.is_none() {
                    // upstream: syncJob of a Job no longer found removes its back-off record.
                    self.job_backoff.remove(&key);
                }
                // upstream: the Job controller's deleteJob handler — the pods of a removed Job that
                // still hold its tracking finalizer are released (a deleting or finished pod
                // would otherwise never change again to ask).
                if let (Some(o), None) = (old, new) {
                    for pod in store.dependents_iter(o.meta.uid).filter(|p| job::has_finalizer(p)) {
                        self.notify(ControllerId::Job, ObjectKey::of(pod));
                    }
                }
                // The CronJob that made it hears of its Jobs' changes.
                for o in concerned(old, new).into_iter().flatten() {
                    if let Some(r) = o.meta.controller_ref().filter(|r| &*r.kind == "CronJob") {
                        self.notify(
                            ControllerId::CronJob,
                            ObjectKey::shared(Kind::CronJob, &o.meta.namespace, &r.name),
                        );
                    }
                }
            }
            Kind::CronJob if new.is_some() && !skip(ControllerId::CronJob) => {
                self.notify(ControllerId::CronJob, key.clone())
            }
            Kind::Namespace
                if new.is_some_and(|n| n.meta.deletion_timestamp().is_some()) && !skip(ControllerId::Namespace) =>
            {
                self.notify(ControllerId::Namespace, key.clone())
            }
            Kind::HorizontalPodAutoscaler => {
                if new.is_none() {
                    self.hpa_memory.remove(&key);
                    self.hpa_memo.remove(&key);
                } else if !skip(ControllerId::HorizontalPodAutoscaler) {
                    // Besides changes, the HPA syncs on its own 15 s period.
                    self.notify(ControllerId::HorizontalPodAutoscaler, key.clone());
                }
            }
            Kind::PodDisruptionBudget => {
                match (old, new) {
                    (None, Some(_)) => self.budgets += 1,
                    (Some(_), None) => self.budgets = self.budgets.saturating_sub(1),
                    _ => {}
                }
                if new.is_some() && !skip(ControllerId::Disruption) {
                    self.notify(ControllerId::Disruption, key.clone())
                }
            }
            Kind::Node => {
                let info = new.and_then(scheduler::NodeInfo::of);
                if self.nodes.info.get(&key.name) != info.as_ref() {
                    self.nodes.changes += 1;
                }
                match info {
                    Some(info) => self.nodes.info.insert(key.name.clone(), info),
                    None => self.nodes.info.remove(&key.name),
                };
                if new.is_some() {
                    self.nodes.gone.remove(&key.name);
                } else {
                    self.nodes.booting.remove(&key.name);
                    // upstream: the pod garbage collector's orphan check (for the pods bound to it).
                    self.notify(ControllerId::PodGarbageCollector, key.clone());
                }
                self.notify(ControllerId::NodeLifecycle, key.clone());
                self.retry_unschedulable();
                // An endpoint names its node's zone and is left out while its node is missing:
                // a node that comes, goes or changes zone syncs every Service from scratch.
                let zone = |o: Option<&Object>| o.map(|n| n.meta.labels.get(endpointslice::ZONE_LABEL).cloned());
                if old.is_none() || new.is_none() || zone(old) != zone(new) {
                    self.endpoint_memory.forget(None);
                    for svc in store.scan(Kind::Service, None) {
                        if matches!(&svc.body, Body::Service(s) if endpointslice::manages(s).is_some()) {
                            self.notify(ControllerId::EndpointSlice, ObjectKey::of(svc));
                        }
                    }
                }
                // upstream: the DaemonSet controller's node handlers enqueue the DaemonSets.
                self.daemon_memory.forget(None);
                for ds in store.scan(Kind::DaemonSet, None) {
                    self.notify(ControllerId::DaemonSet, ObjectKey::of(ds));
                }
            }
            Kind::DaemonSet => {
                if new.is_none() {
                    self.daemon_memory.forget(Some(&key));
                } else if !skip(ControllerId::DaemonSet) {
                    self.notify(ControllerId::DaemonSet, key.clone())
                }
            }
            Kind::StatefulSet if !skip(ControllerId::StatefulSet) => {
                self.notify(ControllerId::StatefulSet, key.clone())
            }
            Kind::ControllerRevision => {
                for o in [old, new].into_iter().flatten() {
                    match o.meta.controller_ref() {
                        Some(r) if &*r.kind == "DaemonSet" => self.notify(
                            ControllerId::DaemonSet,
                            ObjectKey::shared(Kind::DaemonSet, &o.meta.namespace, &r.name),
                        ),
                        Some(r) if &*r.kind == "StatefulSet" => self.notify(
                            ControllerId::StatefulSet,
                            ObjectKey::shared(Kind::StatefulSet, &o.meta.namespace, &r.name),
                        ),
                        _ => {}
                    }
                }
            }
            // upstream: the serviceaccounts controller watches namespaces and ServiceAccounts.
            Kind::Namespace if new.is_some() => self.notify(ControllerId::ServiceAccounts, key.clone()),
            Kind::ServiceAccount if new.is_none() && &*key.name == serviceaccounts::DEFAULT => {
                self.notify(ControllerId::ServiceAccounts, ObjectKey::new(Kind::Namespace, "", &key.namespace))
            }
            Kind::Service => {
                if new.is_none()
                    && &*key.name == kubernetes_service::NAME
                    && &*key.namespace == kubernetes_service::NAMESPACE
                {
                    self.notify(ControllerId::KubernetesService, key.clone())
                }
                // upstream: the EndpointSlice and endpoints controllers' service handlers (the
                // endpoints controller also deletes a gone Service's Endpoints).
                self.endpoint_memory.forget(Some(&key));
                self.endpoints_v1_memory.forget(Some(&key));
                if new.is_some() {
                    self.notify(ControllerId::EndpointSlice, key.clone());
                }
                self.notify(ControllerId::Endpoints, key.clone());
            }
            Kind::EndpointSlice => {
                // upstream: onEndpointSliceUpdate — a change to a slice the controller manages
                // that it did not make itself syncs its Service again (the version before and
                // after: a slice that stops being managed is the controller's business too).
                for o in [old, new].into_iter().flatten() {
                    // (Slices someone else manages are not the controller's business.)
                    let Some(svc) = endpointslice::service_of(o).filter(|_| endpointslice::managed(o)) else {
                        continue;
                    };
                    if origin.is_some_and(|(c, k)| c == ControllerId::EndpointSlice && *k == svc) {
                        self.endpoint_memory.slice_written(&svc, old, new);
                        break;
                    }
                    self.endpoint_memory.forget(Some(&svc));
                    self.notify(ControllerId::EndpointSlice, svc);
                }
            }
            // upstream: onEndpointsDelete — an Endpoints deleted by someone else is made again.
            Kind::Endpoints if new.is_none() && origin.is_none_or(|(c, _)| c != ControllerId::Endpoints) => {
                self.notify(ControllerId::Endpoints, ObjectKey::shared(Kind::Service, &key.namespace, &key.name))
            }
            _ => {}
        }
        // Garbage collection: finalizers to process, dependents of vanished owners, dangling refs.
        if let Some(n) = new {
            let gc_finalizer = n.meta.deletion_timestamp().is_some() && !n.meta.finalizers().is_empty();
            // A new dependent is checked for a missing owner, unless the owner's own controller
            // just created it (a ReplicaSet making its pods): that owner is known to exist.
            let by_owner = |n: &Object| {
                origin.and_then(|(_, ok)| store.get_by_key(ok)).is_some_and(|owner| {
                    n.meta.owner_references.iter().all(|r| r.uid == owner.meta.uid && *r.name == *owner.meta.name)
                })
            };
            if gc_finalizer || (old.is_none() && !n.meta.owner_references.is_empty() && !by_owner(n)) {
                self.notify(ControllerId::GarbageCollector, key.clone());
            }
        } else if let Some(o) = old {
            for d in store.dependents(o.meta.uid) {
                self.notify(ControllerId::GarbageCollector, ObjectKey::of(&d));
            }
            for r in o.meta.owner_references.iter() {
                if let Some(owner) = store.owner(&o.meta.namespace, r) {
                    if owner.meta.deletion_timestamp().is_some() {
                        self.notify(ControllerId::GarbageCollector, ObjectKey::of(owner));
                    }
                }
            }
        }
    }

    fn observe_pod(
        &mut self,
        store: &Store,
        key: &ObjectKey,
        old: Option<&Object>,
        new: Option<&Object>,
        skip: &dyn Fn(ControllerId) -> bool,
    ) {
        // A pod bound to a node that does not exist goes to the pod garbage collector.
        if let Some(n) = new.and_then(node_of).filter(|n| old.and_then(node_of) != Some(*n)) {
            if !self.nodes.info.contains_key(n) {
                self.notify(ControllerId::PodGarbageCollector, ObjectKey::new(Kind::Node, "", n));
            }
        }
        // The owning ReplicaSet(s), before and after; orphans go to every matching ReplicaSet.
        for o in concerned(old, new).into_iter().flatten() {
            match o.meta.controller_ref() {
                Some(r) if &*r.kind == "ReplicaSet" => {
                    self.notify(
                        ControllerId::ReplicaSet,
                        ObjectKey::shared(Kind::ReplicaSet, &o.meta.namespace, &r.name),
                    );
                }
                Some(r) if &*r.kind == "DaemonSet" => {
                    let ds = ObjectKey::shared(Kind::DaemonSet, &o.meta.namespace, &r.name);
                    self.daemon_memory.pod_changed(&ds, key);
                    self.notify(ControllerId::DaemonSet, ds);
                }
                Some(r) if &*r.kind == "StatefulSet" => {
                    self.notify(
                        ControllerId::StatefulSet,
                        ObjectKey::shared(Kind::StatefulSet, &o.meta.namespace, &r.name),
                    );
                }
                Some(r) if &*r.kind == "Job" => {
                    self.job_batch.push(ObjectKey::shared(Kind::Job, &o.meta.namespace, &r.name));
                }
                Some(_) => {}
                None => {
                    for ds in store.scan(Kind::DaemonSet, Some(&o.meta.namespace)) {
                        if let Body::DaemonSet { spec, .. } = &ds.body {
                            if Selector::from_label_selector(Some(&spec.selector))
                                .is_ok_and(|s| s.matches(&o.meta.labels))
                            {
                                self.notify(ControllerId::DaemonSet, ObjectKey::of(ds));
                            }
                        }
                    }
                    for rs in store.scan(Kind::ReplicaSet, Some(&o.meta.namespace)) {
                        if let Body::ReplicaSet { spec, .. } = &rs.body {
                            if spec.selector.selector().is_ok_and(|s| s.matches(&o.meta.labels)) {
                                self.notify(ControllerId::ReplicaSet, ObjectKey::of(rs));
                            }
                        }
                    }
                }
            }
        }
        // upstream: the Job controller's addPod/updatePod queue, batched, every Job whose
        // selector matches a pod that is new or became an orphan, or an orphan whose labels
        // changed (getPodJobs, which finds no Job for a pod without labels), to claim it.
        let orphan = |p: &&Object| p.meta.controller_ref().is_none() && p.meta.deletion_timestamp().is_none();
        if let Some(p) = new.filter(|p| orphan(p) && !p.meta.labels.is_empty()) {
            if old.is_none_or(|o| o.meta.labels != p.meta.labels || o.meta.controller_ref().is_some()) {
                for job in store.scan(Kind::Job, Some(&p.meta.namespace)) {
                    if let Body::Job { spec, .. } = &job.body {
                        let selector = Selector::from_label_selector(spec.selector.as_ref());
                        if selector.is_ok_and(|s| s.matches(&p.meta.labels)) {
                            self.job_batch.push(ObjectKey::of(job));
                        }
                    }
                }
            }
        }
        if let Some(p) = new.filter(|p| job::has_finalizer(p)) {
            // A pod whose Job is gone still holds the Job's finalizer: the Job controller lets go.
            if p.meta.controller_ref().is_none_or(|r| store.owner(&p.meta.namespace, r).is_none()) {
                self.notify(ControllerId::Job, key.clone());
            }
        }
        self.account(old, new);
        self.mark_budgets_of(store, old, new);
        self.mark_services_of(store, key, old, new);
        // upstream: the disruption controller's pod handlers queue a pod whose DisruptionTarget
        // condition may go stale (stalePodDisruptionQueue), whatever budgets there are.
        if new.is_some_and(disruption::may_go_stale) && !skip(ControllerId::Disruption) {
            self.notify(ControllerId::Disruption, key.clone());
        }
        match new {
            Some(p) => {
                let bound = node_of(p).is_some();
                let deleting = p.meta.deletion_timestamp().is_some();
                if !bound && !deleting && !skip(ControllerId::Scheduler) {
                    self.notify(ControllerId::Scheduler, key.clone());
                }
                if bound && old.is_some_and(|o| node_of(o).is_none()) && !self.waiting_for_pods.is_empty() {
                    // upstream: a pod assigned to a node may satisfy a waiting pod's affinity
                    // or spread (anti-affinity and skew only loosen as pods go).
                    self.retry_waiting = true;
                }
                if bound {
                    self.forget_pending(key);
                    if !skip(ControllerId::Kubelet) {
                        self.notify(ControllerId::Kubelet, key.clone());
                    }
                }
                // Capacity frees up when a pod finishes (upstream: the scheduler's informer drops
                // a finished pod, a delete to its queue) or is removed (below); a terminating pod
                // holds its requests until then, so its deletion starting moves nothing.
                let finished = |o: &Object| matches!(&o.body, Body::Pod { status, .. } if status.phase.is_terminal());
                let freed = finished(p) && old.is_some_and(|o| !finished(o));
                if freed {
                    self.retry_unschedulable();
                }
            }
            None => {
                self.forget_pending(key);
                if let Some(o) = old {
                    self.release_ip(o);
                    if let Some(r) = o.meta.controller_ref() {
                        if let Some(rs) = store.owner(&o.meta.namespace, r).cloned() {
                            self.mark_deployments_of(store, None, Some(&rs));
                        }
                    }
                }
                self.retry_unschedulable();
            }
        }
    }

    /// Keep per-node allocations in step with the pod: bound and unfinished pods hold their
    /// requests; finished or removed pods release them (and their IP).
    fn account(&mut self, old: Option<&Object>, new: Option<&Object>) {
        fn holding(p: Option<&Object>) -> Option<(&str, &k8s_openapi::api::core::v1::PodSpec)> {
            let p = p?;
            match &p.body {
                Body::Pod { spec, status } if !status.phase.is_terminal() => node_of(p).map(|n| (n, &**spec)),
                _ => None,
            }
        }
        let (before, after) = (holding(old), holding(new));
        if before.map(|b| b.0) == after.map(|a| a.0) {
            return;
        }
        let terms = |h: Option<(&str, &k8s_openapi::api::core::v1::PodSpec)>| {
            i64::from(h.is_some_and(|(_, spec)| crate::controllers::pod_affinity::has_terms(spec)))
        };
        self.nodes.affinity_pods += terms(after) - terms(before);
        if let Some((node, spec)) = before {
            self.allocate(node, spec, -1);
        }
        if let Some((node, spec)) = after {
            self.allocate(node, spec, 1);
        }
    }

    /// Add what a pod requests to (`sign` 1) or take it from (−1) what the pods bound to `node`
    /// hold, keyed by the node info's own name (no allocation once it exists; the scheduler's
    /// walk over both maps then matches names by pointer). One search when the node holds pods
    /// already, as it mostly does.
    fn allocate(&mut self, node: &str, spec: &k8s_openapi::api::core::v1::PodSpec, sign: i64) {
        let (real, nonzero) = scheduler::pod_requests(spec);
        self.nodes.changes += 1;
        match self.nodes.allocated.get_mut(node) {
            Some(a) => a.add(&real, &nonzero, sign),
            None => {
                let key = self.nodes.info.get_key_value(node).map_or_else(|| Arc::from(node), |(k, _)| k.clone());
                let mut a = scheduler::Allocation::default();
                a.add(&real, &nonzero, sign);
                self.nodes.allocated.insert(key, a);
            }
        }
    }

    /// The Deployment(s) a ReplicaSet change concerns: its controller, or for an orphan every
    /// Deployment whose selector matches it.
    fn mark_deployments_of(&mut self, store: &Store, old: Option<&Object>, new: Option<&Object>) {
        for o in concerned(old, new).into_iter().flatten() {
            match o.meta.controller_ref() {
                Some(r) if &*r.kind == "Deployment" => {
                    self.notify(
                        ControllerId::Deployment,
                        ObjectKey::shared(Kind::Deployment, &o.meta.namespace, &r.name),
                    );
                }
                Some(_) => {}
                None => {
                    for d in store.scan(Kind::Deployment, Some(&o.meta.namespace)) {
                        if let Body::Deployment { spec, .. } = &d.body {
                            if Selector::from_label_selector(Some(&spec.selector))
                                .is_ok_and(|s| !s.is_everything() && s.matches(&o.meta.labels))
                            {
                                self.notify(ControllerId::Deployment, ObjectKey::of(d));
                            }
                        }
                    }
                }
            }
        }
    }

    /// upstream: the EndpointSlice controller's pod handlers — a pod write that can change an
    /// endpoint syncs the Services selecting the pod before or after it.
    fn mark_services_of(&mut self, store: &Store, key: &ObjectKey, old: Option<&Object>, new: Option<&Object>) {
        if let (Some(o), Some(n)) = (old, new) {
            if !endpointslice::pod_write_matters(o, n) {
                return;
            }
        }
        let Some(ns) = new.or(old).map(|p| &p.meta.namespace) else { return };
        if store.census().selecting_services(ns) == 0 {
            return;
        }
        let keys: Vec<ObjectKey> = store
            .scan(Kind::Service, Some(ns))
            .filter(|s| match &s.body {
                Body::Service(svc) => endpointslice::manages(svc).is_some_and(|sel| {
                    [old, new].into_iter().flatten().any(|p| endpointslice::selects(sel, &p.meta.labels))
                }),
                _ => false,
            })
            .map(|s| ObjectKey::of(s))
            .collect();
        for k in keys {
            self.endpoint_memory.pod_changed(&k, &key.name);
            self.endpoints_v1_memory.pod_changed(&k, &key.name);
            self.notify(ControllerId::EndpointSlice, k.clone());
            self.notify(ControllerId::Endpoints, k);
        }
    }

    /// The PodDisruptionBudgets a pod change concerns (upstream: the disruption controller's pod
    /// handlers): those selecting the pod before or after, when what a budget counts changed —
    /// the pod came or went, or its labels, owner, readiness or deletion changed. (Upstream
    /// queues only the first matching budget; every one is synced here.)
    fn mark_budgets_of(&mut self, store: &Store, old: Option<&Object>, new: Option<&Object>) {
        if self.budgets == 0 {
            return;
        }
        let Some(ns) = new.or(old).map(|p| &p.meta.namespace) else { return };
        let mut budgets = store.scan(Kind::PodDisruptionBudget, Some(ns)).peekable();
        if budgets.peek().is_none() {
            return;
        }
        if let (Some(o), Some(n)) = (old, new) {
            let ready = |p: &Object| matches!(&p.body, Body::Pod { status, .. } if status.is_ready());
            if o.meta.labels == n.meta.labels
                && o.meta.controller_ref() == n.meta.controller_ref()
                && ready(o) == ready(n)
                && o.meta.deletion_timestamp() == n.meta.deletion_timestamp()
            {
                return;
            }
        }
        let keys: Vec<ObjectKey> = budgets
            .filter(|b| match &b.body {
                Body::PodDisruptionBudget(pdb) => {
                    [old, new].into_iter().flatten().any(|p| disruption::selects(pdb, &p.meta.labels))
                }
                _ => false,
            })
            .map(|b| ObjectKey::of(b))
            .collect();
        // upstream: getPdbForPod warns about a pod that more than one budget selects; the
        // disruption controller's pod reconcile records that on the pod.
        let several = new.filter(|p| keys.len() > 1 && disruption::budgets_selecting(store, p).nth(1).is_some());
        if let Some(p) = several {
            self.notify(ControllerId::Disruption, ObjectKey::of(p));
        }
        for k in keys {
            self.notify(ControllerId::Disruption, k);
        }
    }

    fn retry_unschedulable(&mut self) {
        self.retry_pending = true;
    }

    /// Move the unschedulable pods to be retried if something asked to (upstream:
    /// MoveAllToActiveOrBackoffQueue): at once if their back-off is over, else when it is.
    fn flush_retry(&mut self, now: Millis) {
        if std::mem::take(&mut self.retry_waiting) && !self.retry_pending {
            for k in in_key_order(std::mem::take(&mut self.waiting_for_pods)) {
                if self.unschedulable.remove(&k) {
                    self.unindex_leftover(&k);
                    let at = self.attempts.get(&k).map_or(now, |&(n, last)| last + scheduling_backoff(n));
                    self.schedule(ControllerId::Scheduler, k, at, now);
                }
            }
            trim(&mut self.unschedulable);
        }
        if std::mem::take(&mut self.retry_pending) {
            self.waiting_for_pods = FxHashSet::default();
            self.leftover.clear();
            for k in in_key_order(std::mem::take(&mut self.unschedulable)) {
                let at = self.attempts.get(&k).map_or(now, |&(n, last)| last + scheduling_backoff(n));
                self.schedule(ControllerId::Scheduler, k, at, now);
            }
        }
    }

    /// The scheduler tried the pod and could not place it: it waits among the unschedulable
    /// pods for a change, or for the flush of pods left there five minutes.
    fn scheduling_failed(&mut self, key: &ObjectKey, now: Millis) {
        if self.unschedulable.contains(key) {
            self.unindex_leftover(key);
        }
        let tried = self.attempts.entry(key.clone()).or_insert((0, now));
        *tried = (tried.0.saturating_add(1), now);
        self.unschedulable.insert(key.clone());
        self.leftover.entry(leftover_flush_at(now, self.scheduler_start)).or_default().insert(key.clone());
    }

    /// Take an unschedulable pod out of the leftover index (under the flush its last attempt
    /// gives), before it leaves the unschedulable pods or is tried again.
    fn unindex_leftover(&mut self, key: &ObjectKey) {
        let Some(&(_, last)) = self.attempts.get(key) else { return };
        let at = leftover_flush_at(last, self.scheduler_start);
        if let Some(keys) = self.leftover.get_mut(&at) {
            keys.remove(key);
            if keys.is_empty() {
                self.leftover.remove(&at);
            }
        }
    }

    /// A pod bound or gone: no longer the scheduler's.
    fn forget_pending(&mut self, key: &ObjectKey) {
        // (Every bound pod passes here: an empty table is not asked, which would hash the key.)
        if !self.reserved.is_empty() && self.reserved.remove(key).is_some() {
            trim(&mut self.reserved);
        }
        if !self.waiting_for_pods.is_empty() {
            self.waiting_for_pods.remove(key);
        }
        if !self.unschedulable.is_empty() && self.unschedulable.contains(key) {
            self.unindex_leftover(key);
            self.unschedulable.remove(key);
            trim(&mut self.unschedulable);
            trim(&mut self.waiting_for_pods);
        }
        if !self.attempts.is_empty() && self.attempts.remove(key).is_some() {
            trim(&mut self.attempts);
        }
    }

    /// [`KubesimError::Interrupted`] if the caller asked the run to stop.
    pub fn check_interrupt(&self) -> Result<(), KubesimError> {
        match &self.interrupt {
            Some(asked) if asked() => Err(KubesimError::Interrupted),
            _ => Ok(()),
        }
    }

    /// The object budget: an error if the store would hold more than it with `adding` more.
    pub fn check_budget(&self, store: &Store, adding: usize) -> Result<(), KubesimError> {
        if store.len().saturating_add(adding) <= self.max_objects {
            return Ok(());
        }
        let counts: Vec<String> = Kind::ALL
            .iter()
            .map(|&k| (k, store.scan(k, None).count()))
            .filter(|(_, n)| *n > 0)
            .map(|(k, n)| format!("{n} {}", k.plural()))
            .collect();
        Err(KubesimError::ObjectBudget(format!(
            "the cluster holds {} objects ({}); its budget is {}: it stopped before creating more (raise \
             Cluster(max_objects=…) for a larger simulation, or look for a runaway such as a huge replicas)",
            store.len(),
            counts.join(", "),
            self.max_objects
        )))
    }

    /// Run the controllers to a fixpoint at `now`. Between rounds it stops, leaving what is left
    /// to do marked for the next call, when the caller interrupts or a round grew the store past
    /// its budget of objects.
    pub fn settle(&mut self, store: &mut Store, now: Millis) -> Result<(), KubesimError> {
        self.events.expire(store, now);
        for _round in 0..MAX_ROUNDS {
            self.flush_retry(now);
            self.flush_informing(now);
            for k in std::mem::take(&mut self.job_batch) {
                self.schedule(ControllerId::Job, k, now + job::SYNC_BATCH + self.latency.informer_delay, now);
            }
            if self.dirty.iter().all(Vec::is_empty) && self.queued.is_empty() {
                self.freed();
                // Settled: what a burst of marks grew the buffers to is not kept past it. (The
                // timers' table is trimmed here, not as its timers fire: an instant whose timers
                // each set the next one — a million pods' kubelet ticks, then their readiness —
                // fills again the room the fired ones left, instead of rehashing into it.)
                for keys in self.dirty.iter_mut().chain(self.spare.iter_mut()) {
                    keys.shrink_to(SPARE_KEYS);
                }
                self.timers.trim();
                return Ok(());
            }
            // What the round adds besides Events (which a round deleting pods records too).
            let stored_before = store.len() - self.events.len().min(store.len());
            let mut jobs = self.take_round();
            let scheduling = jobs.iter().position(|(c, _)| *c == ControllerId::Scheduler);
            if let Some(i) = scheduling.filter(|_| self.latency.scheduler_qps.is_some()) {
                let mut keys = std::mem::take(&mut jobs[i].1);
                self.throttle_scheduler(store, &mut keys, now);
                jobs[i].1 = keys;
            }
            self.defer_beyond_cap(store, &mut jobs);
            // Small rounds are not worth waking the pool; the results are the same either way.
            let work: usize = jobs.iter().map(|(_, k)| k.len()).sum();
            let parallel = self.threads > 1 && work >= self.parallel_threshold;
            let by_node = crate::controllers::PodsByNode::default();
            let results = {
                let ctx = Ctx {
                    store,
                    now,
                    images: &self.images,
                    nodes: &self.nodes,
                    load: &self.load,
                    latency: &self.latency,
                    hpa: &self.hpa_memory,
                    hpa_memo: &self.hpa_memo,
                    parallel,
                    events: self.record_events,
                    by_node: &by_node,
                    daemon: &self.daemon_memory,
                    slices: &self.endpoint_memory,
                    endpoints: &self.endpoints_v1_memory,
                    job_backoff: &self.job_backoff,
                    daemon_backoff: &self.daemon_backoff,
                };
                // What can be done before the commit is done where the writes are made: events
                // not recorded dropped; in parallel rounds, creates and updates worked out (the
                // CNI's address is added in the commit). One thread works each write out as it
                // commits it: the same answer, without a round's new versions allocated before
                // its old ones are freed.
                let events = self.record_events;
                let ready = |r: Reconciled| r.ready(events, parallel.then_some(ctx.store), now);
                let run = |(c, keys): &(ControllerId, Vec<ObjectKey>)| match c {
                    ControllerId::Scheduler => {
                        scheduler::reconcile_batch(&ctx, keys).into_par_iter().map(|(k, r)| (k, ready(r))).collect()
                    }
                    _ => keys.par_iter().map(|k| (k.clone(), ready(reconcile(*c, &ctx, k)))).collect(),
                };
                if !parallel {
                    jobs.iter()
                        .map(|(c, keys)| match c {
                            ControllerId::Scheduler => {
                                scheduler::reconcile_batch(&ctx, keys).into_iter().map(|(k, r)| (k, ready(r))).collect()
                            }
                            _ => keys.iter().map(|k| (k.clone(), ready(reconcile(*c, &ctx, k)))).collect(),
                        })
                        .collect::<Vec<_>>()
                } else {
                    self.pool.install(|| jobs.par_iter().map(run).collect::<Vec<Vec<(ObjectKey, Reconciled)>>>())
                }
            };
            for ((c, _), per_key) in jobs.iter().zip(results) {
                // What the pool made is in its cores' caches: ask for the next results ahead of
                // their commit (the write list two ahead, the new versions one ahead).
                let mut per_key = per_key.into_iter();
                while let Some((key, rec)) = per_key.next() {
                    let ahead = per_key.as_slice();
                    if let Some((_, r)) = ahead.get(1) {
                        prefetch(r.writes.as_ptr());
                    }
                    if let Some((_, r)) = ahead.first() {
                        r.writes.iter().take(4).for_each(prefetch_write);
                    }
                    self.commit(store, *c, &key, rec, now);
                }
            }
            self.recycle(jobs);
            // After each round (so every call makes progress): stop if asked to, or if the round
            // grew the store past the budget (one that only shrinks or changes it, or records
            // Events, goes on, so deleting the runaway works).
            let grew = store.len() - self.events.len().min(store.len()) > stored_before;
            if let Err(e) =
                self.check_interrupt().and_then(|()| if grew { self.check_budget(store, 0) } else { Ok(()) })
            {
                self.freed();
                return Err(e);
            }
        }
        self.freed();
        let queued = std::mem::take(&mut self.queued);
        self.dirty[idx(ControllerId::Scheduler)].extend(queued.iter().map(|q| q.key().clone()));
        let stuck: Vec<String> = ControllerId::ALL
            .iter()
            .flat_map(|&c| {
                self.take_dirty(c).into_iter().take(5).map(move |k| format!("{} {}/{}", c.name(), k.kind(), k.name))
            })
            .take(10)
            .collect();
        Err(KubesimError::Simulation(format!(
            "controllers did not settle after {MAX_ROUNDS} rounds at one instant; still changing: {}",
            stuck.join(", ")
        )))
    }

    fn commit(&mut self, store: &mut Store, c: ControllerId, key: &ObjectKey, rec: Reconciled, now: Millis) {
        if let Some(t) = rec.requeue_at {
            self.schedule(c, key.clone(), t, now);
        }
        self.failed_now = false;
        // Every pod the scheduler answers for was tried: placed, or not.
        let tried = c == ControllerId::Scheduler;
        let mut failed_batch: Option<u32> = None;
        // Later writes of one reconcile to an object it already wrote build on that write (a
        // controller updating a Deployment's annotations, then its status).
        let mut rewritten = std::mem::take(&mut self.rewritten);
        rewritten.clear();
        for w in rec.writes {
            let origin = Some((c, key));
            match w {
                Write::Create { obj, batch, event } if failed_batch.is_none_or(|b| batch <= b) => {
                    let attempted = attempted(c, &obj);
                    let made = store.create(*obj, now);
                    if !self.created(store, (c, key), made, event, now, attempted) {
                        failed_batch = Some(batch);
                    }
                }
                Write::PreparedCreate { create, batch, event } if failed_batch.is_none_or(|b| batch <= b) => {
                    self.prepared[2] += 1;
                    let attempted = attempted(c, create.object());
                    let made = store.commit_create(*create);
                    if !self.created(store, (c, key), made, event, now, attempted) {
                        failed_batch = Some(batch);
                    }
                }
                // A later slow-start batch than one that failed is not tried.
                Write::Create { .. } | Write::PreparedCreate { .. } => {}
                Write::Update(obj) => self.write_update(store, origin, *obj, false, &mut rewritten, now),
                Write::UpdateStatus(obj) => self.write_update(store, origin, *obj, true, &mut rewritten, now),
                Write::Prepared(mut p) => {
                    // The CNI's address, in commit order, as `write_update` gives it.
                    if let Some(obj) = p.status_version_mut(wants_ip) {
                        self.assign_ip(obj);
                    }
                    match store.commit_prepared(p) {
                        Ok(written) => {
                            self.prepared[0] += 1;
                            self.wrote(store, origin, Ok(written), &mut rewritten, now)
                        }
                        Err((obj, status)) => {
                            self.prepared[1] += 1;
                            self.write_update(store, origin, *obj, status, &mut rewritten, now)
                        }
                    }
                }
                Write::Delete { key: target, options } => {
                    let old = store.get_by_key(&target).cloned();
                    match store.delete_with(&target, &options, now) {
                        Ok(after) => {
                            let gone = store.get_by_key(&target).is_none();
                            self.observe(store, origin, old.as_deref(), if gone { None } else { Some(&after) });
                        }
                        Err(e) => self.write_failed(c, key, &e, now),
                    }
                }
                Write::Remove { key: target, uid } => {
                    if let Ok(old) = store.remove_now(&target, uid) {
                        self.observe(store, origin, Some(&old), None);
                    }
                }
                Write::FinalizeNamespace(target) => {
                    let old = store.get_by_key(&target).cloned();
                    if let Ok(after) = store.finalize_namespace(&target) {
                        self.observe(store, origin, old.as_deref(), after.as_deref());
                    }
                }
                Write::Event(e) if self.record_events => self.events.record(store, *e, now),
                Write::Event(_) => {}
                Write::SchedulerCursor(n) => self.nodes.scheduler_start = n,
                Write::SchedulerNowhere(kept) => self.nodes.nowhere = Some(kept),
                // (not for an HPA deleted earlier in the round: its memory went with it)
                Write::HpaMemory(k, m) if store.get_by_key(&k).is_some() => {
                    self.hpa_memory.insert(k, *m);
                }
                Write::HpaMemory(..) => {}
                Write::HpaMemo(k, Some(m)) if store.get_by_key(&k).is_some() => {
                    self.hpa_memo.insert(k, *m);
                }
                Write::HpaMemo(k, _) => {
                    self.hpa_memo.remove(&k);
                }
                Write::JobBackoff(k, Some(r)) => {
                    if rewritten.iter().any(|(w, ..)| *w == k) {
                        self.job_backoff.insert(k, r);
                    }
                }
                Write::JobBackoff(k, None) => {
                    self.job_backoff.remove(&k);
                }
                Write::DaemonSetBackoff(k, e) => self.daemon_backoff.set(k, e, now),
                Write::NodeGone { node, since: Some(t) } => {
                    self.nodes.gone.entry(node).or_insert(t);
                }
                Write::NodeGone { node, since: None } => {
                    self.nodes.gone.remove(&node);
                }
                Write::ImagePull { node, image, done } if self.latency.serialize_image_pulls => {
                    self.queue_pull(node, image, done - now, key, now)
                }
                Write::ImagePull { node, image, done } => {
                    self.nodes.images.entry((node, image)).or_insert(done);
                }
            }
        }
        self.rewritten = rewritten;
        // upstream: a sync that returns no error is forgotten by the rate limiter.
        if !self.failed_now && !self.failures.is_empty() {
            self.failures.remove(&(c, key.clone()));
        }
        if tried && store.get_by_key(key).is_some_and(|p| replicaset::is_active(p) && node_of(p).is_none()) {
            self.scheduling_failed(key, now);
            let constrained = |p: &Object| match &p.body {
                Body::Pod { spec, .. } => {
                    crate::controllers::pod_affinity::has_terms(spec)
                        || crate::controllers::topology_spread::has_constraints(spec)
                }
                _ => false,
            };
            if store.get_by_key(key).is_some_and(|p| constrained(p)) {
                self.waiting_for_pods.insert(key.clone());
            }
        }
    }

    /// Tell the controllers about a create, or record its failure and requeue its writer
    /// (false).
    fn created(
        &mut self,
        store: &mut Store,
        (c, key): (ControllerId, &ObjectKey),
        made: Result<Arc<Object>, StoreError>,
        event: Option<Box<crate::controllers::EventRecord>>,
        now: Millis,
        attempted: Option<(Kind, Arc<str>)>,
    ) -> bool {
        match made {
            Ok(created) => {
                self.observe(store, Some((c, key)), None, Some(&created));
                if let Some(mut e) = event.filter(|_| self.record_events) {
                    e.message = e.message.replace("{}", &created.meta.name);
                    self.events.record(store, *e, now);
                }
                true
            }
            Err(err) => {
                if c == ControllerId::EndpointSlice {
                    self.endpoint_memory.forget(Some(key));
                }
                if let Some(owner) = store.get_by_key(key).cloned().filter(|_| self.record_events) {
                    let said = match &err {
                        StoreError::Invalid(a) => a.server_message(),
                        other => other.to_string(),
                    };
                    let set = &owner.meta.name;
                    let messages = match attempted {
                        // upstream: StatefulSetControl's recordPodEvent, and for a claim its
                        // recordClaimEvent, then CreateStatefulPod's event for the pod.
                        Some((Kind::Pod, pod)) => {
                            vec![format!("create Pod {pod} in StatefulSet {set} failed error: {said}")]
                        }
                        Some((Kind::PersistentVolumeClaim, claim)) => {
                            let ordinal = claim.rsplit_once(&format!("-{set}-")).map_or("", |(_, o)| o);
                            vec![
                                format!("create Claim {claim} for Pod {set}-{ordinal} in StatefulSet {set} failed error: {said}"),
                                format!("create Pod {set}-{ordinal} in StatefulSet {set} failed error: failed to create PVC {claim}: {said}"),
                            ]
                        }
                        // upstream: the pod control's "Error creating: %v".
                        _ => vec![format!("Error creating: {said}")],
                    };
                    for message in messages {
                        let e = crate::controllers::EventRecord::about(&owner, c.name(), true, "FailedCreate", message);
                        self.events.record(store, e, now);
                    }
                }
                // A name clash is retried at once (the next draw is free); a refusal that only
                // time can lift (a terminating namespace, an object budget) after a second, as
                // upstream's rate-limited work queue would, not in every round of this instant.
                if matches!(err, StoreError::AlreadyExists { .. } | StoreError::Conflict { .. }) {
                    self.mark(c, key.clone());
                } else {
                    self.retry_later(c, key, now);
                }
                false
            }
        }
    }

    fn write_update(
        &mut self,
        store: &mut Store,
        origin: Option<(ControllerId, &ObjectKey)>,
        mut obj: Object,
        status: bool,
        rewritten: &mut Vec<(ObjectKey, u64, u64)>,
        now: Millis,
    ) {
        let key = ObjectKey::of(&obj);
        for (k, before, after) in rewritten.iter() {
            if *k == key && obj.meta.resource_version == *before {
                obj.meta.resource_version = *after;
            }
        }
        if status {
            self.assign_ip(&mut obj);
            // The kubelet's own bookkeeping in a pod is the kubelet's: another writer's status,
            // worked out against an earlier version, keeps what is stored (a change of that
            // bookkeeping alone takes no resourceVersion, so it would not conflict).
            if origin.is_some_and(|(c, _)| c != ControllerId::Kubelet) {
                if let (Body::Pod { status: mine, .. }, Some(Body::Pod { status: stored, .. })) =
                    (&mut obj.body, store.get_by_key(&key).map(|o| &o.body))
                {
                    mine.keep_private(stored);
                }
            }
        }
        let written = store.write(obj, status);
        self.wrote(store, origin, written, rewritten, now);
    }

    /// Tell the controllers what an update did (or requeue its writer on a conflict).
    fn wrote(
        &mut self,
        store: &Store,
        origin: Option<(ControllerId, &ObjectKey)>,
        written: Result<Written, StoreError>,
        rewritten: &mut Vec<(ObjectKey, u64, u64)>,
        now: Millis,
    ) {
        match written {
            Ok((old, new)) => {
                let key = ObjectKey::of(&old);
                // A version with the same resourceVersion changed nothing the API shows (the
                // kubelet's own bookkeeping): no informer hears of it.
                if !Arc::ptr_eq(&old, &new) && old.meta.resource_version != new.meta.resource_version {
                    self.observe(store, origin, Some(&old), Some(&new));
                } else if Arc::ptr_eq(&old, &new) && store.get_by_key(&key).is_none() {
                    // The update took the last finalizer away and the object went with it.
                    self.observe(store, origin, Some(&old), None);
                }
                rewritten.push((key, old.meta.resource_version, new.meta.resource_version));
                self.free(old);
            }
            Err(e) => {
                if let Some((c, k)) = origin {
                    self.write_failed(c, k, &e, now);
                }
            }
        }
    }

    /// A write of `c`'s reconcile of `key` did not go through, and a controller that remembers
    /// what it wrote forgets, as its memory no longer says what is stored. `c` tries again as
    /// upstream's rate-limited work queue would have it: after a conflict at once (the next
    /// reconcile reads what is stored); after a refusal that a new read does not lift (an
    /// update the API server finds invalid) a second later, not in every round of this
    /// instant, which would end the settle at its round limit; after the object went away,
    /// not at all.
    fn write_failed(&mut self, c: ControllerId, key: &ObjectKey, err: &StoreError, now: Millis) {
        if c == ControllerId::EndpointSlice {
            self.endpoint_memory.forget(Some(key));
        }
        match err {
            StoreError::NotFound { .. } => {}
            StoreError::Conflict { .. } | StoreError::AlreadyExists { .. } => self.mark(c, key.clone()),
            _ => self.retry_later(c, key, now),
        }
    }

    /// Reconcile `key` again after a refusal that time may lift, as upstream's work queue
    /// (ItemExponentialFailureRateLimiter) would: after a delay that doubles with each failure
    /// in a row, up to 1000 s. kubesim's first delay is a second (upstream's is 5 ms, which in
    /// virtual time would be a burst of retries at nearly one instant).
    fn retry_later(&mut self, c: ControllerId, key: &ObjectKey, now: Millis) {
        self.failed_now = true;
        let n = self.failures.entry((c, key.clone())).or_insert(0);
        let delay = CREATE_RETRY.saturating_mul(1 << (*n).min(10)).min(MAX_RETRY);
        *n = n.saturating_add(1);
        self.schedule(c, key.clone(), now + delay, now);
    }

    /// Let go of a replaced version: at once with one thread, else on the pool with a batch of
    /// others (a spare worker frees them while this thread commits).
    fn free(&mut self, old: Arc<Object>) {
        if self.threads == 1 {
            return;
        }
        self.replaced.push(old);
        if self.replaced.len() >= FREE_BATCH {
            self.free_replaced();
        }
    }

    fn free_replaced(&mut self) {
        if !self.replaced.is_empty() {
            let batch = std::mem::replace(&mut self.replaced, Vec::with_capacity(FREE_BATCH));
            let freeing = self.freeing.0.clone();
            freeing.fetch_add(1, Ordering::AcqRel);
            self.pool.spawn(move || {
                drop(batch);
                freeing.fetch_sub(1, Ordering::AcqRel);
            });
        }
    }

    /// Replaced versions still held or being freed (none once settled).
    pub fn replaced_held(&self) -> usize {
        self.replaced.len() + self.freeing.0.load(Ordering::Acquire)
    }

    /// Free the replaced versions still held, here, and wait for the batches on the pool.
    fn freed(&mut self) {
        self.replaced = Vec::new();
        while self.freeing.0.load(Ordering::Acquire) > 0 {
            std::thread::yield_now();
        }
    }

    /// The CNI: a pod whose sandbox is up gets the next free address of its node's pod CIDR.
    fn assign_ip(&mut self, obj: &mut Object) {
        if !wants_ip(obj) {
            return;
        }
        let Some(node) = node_of(obj) else { return };
        let base = self.nodes.info.get(node).and_then(|n| n.pod_cidr).unwrap_or(Ipv4Addr::new(10, 244, 0, 0));
        let base = u32::from(base);
        if !self.ips.contains_key(node) {
            self.ips.insert(node.into(), (1, BTreeSet::new()));
        }
        let Some((next, used)) = self.ips.get_mut(node) else { return };
        let Body::Pod { status, .. } = &mut obj.body else { return };
        // Round-robin over .1–.254, skipping addresses in use.
        for _ in 0..254 {
            let host = *next;
            *next = if *next >= 254 { 1 } else { *next + 1 };
            if used.insert(base + host) {
                status.pod_ip = Some(Ipv4Addr::from(base + host));
                return;
            }
        }
    }

    fn release_ip(&mut self, pod: &Object) {
        let (Some(node), Body::Pod { status, .. }) = (node_of(pod), &pod.body) else { return };
        if let (Some(ip), Some((_, used))) = (status.pod_ip, self.ips.get_mut(node)) {
            used.remove(&u32::from(ip));
        }
    }
}

/// The versions of a changed object whose owner (or, for an orphan, whose labels) say which
/// controllers it concerns: both, unless the new one says the same as the old.
fn concerned<'a>(old: Option<&'a Object>, new: Option<&'a Object>) -> [Option<&'a Object>; 2] {
    match (old, new) {
        (Some(o), Some(n))
            if o.meta.controller_ref() == n.meta.controller_ref()
                && (o.meta.controller_ref().is_some() || o.meta.labels == n.meta.labels) =>
        {
            [None, new]
        }
        _ => [old, new],
    }
}

/// Start loading the cache line at `p` (a hint to the CPU: nothing is read that the program
/// sees, and the results are the same without it).
#[inline(always)]
fn prefetch<T>(p: *const T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch reads nothing the program sees and cannot fault, whatever `p` is.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(p.cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// Prefetch what committing `w` reads first: the version an update stores, a create's
/// preparation.
fn prefetch_write(w: &Write) {
    match w {
        Write::Prepared(Prepared::Ready { new, .. }) => {
            let p = Arc::as_ptr(new).cast::<u8>();
            prefetch(p);
            prefetch(p.wrapping_add(64));
        }
        Write::PreparedCreate { create, .. } => prefetch(&**create),
        _ => {}
    }
}

/// Keys in the canonical reconcile order, each once (sorted on the pool when `parallel`).
fn canonical(keys: &mut Vec<ObjectKey>, parallel: bool) {
    if parallel {
        keys.par_sort_unstable();
    } else {
        keys.sort_unstable();
    }
    keys.dedup();
}

/// Whether the CNI has an address to give this pod: its sandbox is up and it has none yet.
fn wants_ip(obj: &Object) -> bool {
    let Body::Pod { status, .. } = &obj.body else { return false };
    status.pod_ip.is_none() && status.condition(ConditionType::PodReadyToStartContainers).is_some_and(|c| c.status)
}

fn reconcile(c: ControllerId, ctx: &Ctx, key: &ObjectKey) -> Reconciled {
    match c {
        ControllerId::GarbageCollector => gc::reconcile(ctx, key),
        ControllerId::NodeLifecycle => nodelifecycle::reconcile(ctx, key),
        ControllerId::Namespace => namespace::reconcile(ctx, key),
        ControllerId::HorizontalPodAutoscaler => hpa::reconcile(ctx, key),
        ControllerId::Deployment => deployment::reconcile(ctx, key),
        ControllerId::ReplicaSet => replicaset::reconcile(ctx, key),
        ControllerId::Job => job::reconcile(ctx, key),
        ControllerId::CronJob => cronjob::reconcile(ctx, key),
        ControllerId::Disruption => disruption::reconcile(ctx, key),
        ControllerId::DaemonSet => daemonset::reconcile(ctx, key),
        ControllerId::StatefulSet => statefulset::reconcile(ctx, key),
        ControllerId::Scheduler => Reconciled::nothing(),
        ControllerId::Kubelet => kubelet::reconcile(ctx, key),
        ControllerId::ServiceAccounts => serviceaccounts::reconcile(ctx, key),
        ControllerId::KubernetesService => kubernetes_service::reconcile(ctx, key),
        ControllerId::EndpointSlice => endpointslice::reconcile(ctx, key),
        ControllerId::Endpoints => endpoints::reconcile(ctx, key),
        ControllerId::PodGarbageCollector => crate::controllers::podgc::reconcile(ctx, key),
    }
}

/// What a StatefulSet's failed create is worded by (its Events name the pod or claim); other
/// controllers' Events do not, so nothing is kept for them.
fn attempted(c: ControllerId, obj: &Object) -> Option<(Kind, Arc<str>)> {
    (c == ControllerId::StatefulSet).then(|| (obj.kind(), obj.meta.name.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The controllers of a round and their keys, by name.
    fn taken(round: &[(ControllerId, Vec<ObjectKey>)]) -> Vec<(ControllerId, Vec<&str>)> {
        round.iter().map(|(c, keys)| (*c, keys.iter().map(|k| &*k.name).collect())).collect()
    }

    /// A burst of timers fired keeps its table's room through the instant (the timers its
    /// reconciles set fill it again without rehashing), and the settled engine gives it back.
    #[test]
    fn the_timers_table_is_trimmed_once_the_instant_settles() {
        let mut e = Engine::new(1).unwrap();
        let mut store = Store::new(0);
        for i in 0..20_000 {
            e.schedule(ControllerId::Kubelet, ObjectKey::new(Kind::Pod, "default", &format!("p{i}")), 5_000, 0);
        }
        assert!(e.timers.capacity() >= 20_000);
        e.fire_due(5_000);
        assert_eq!(e.timers.len(), 0);
        // (Removals leave markers that the table's reported capacity counts out.)
        let room = e.timers.capacity();
        assert!(room >= 20_000, "{room} kept while the instant's reconciles may set timers");
        e.settle(&mut store, 5_000).unwrap();
        assert!(e.timers.capacity() < SPARE_KEYS, "{} kept after settling", e.timers.capacity());
    }

    #[test]
    fn a_round_takes_every_controller_with_marks_and_only_those_in_controller_order() {
        use ControllerId::*;
        let mut e = Engine::new(1).unwrap();
        assert!(e.take_round().is_empty(), "nothing marked: nothing to reconcile");
        let key = |name: &str| ObjectKey::new(Kind::Pod, "default", name);
        // The first and the last controllers, one between, marked out of order and repeated.
        e.mark(Endpoints, key("b"));
        e.mark(GarbageCollector, key("z"));
        e.mark(Scheduler, key("c"));
        e.mark(GarbageCollector, key("a"));
        e.mark(GarbageCollector, key("z"));
        let round = e.take_round();
        assert_eq!(taken(&round), [(GarbageCollector, vec!["a", "z"]), (Scheduler, vec!["c"]), (Endpoints, vec!["b"])]);
        // Marks made while a round runs (its commits) go to the next round, whoever made them.
        e.mark(Kubelet, key("d"));
        e.mark(GarbageCollector, key("e"));
        e.recycle(round);
        let next = e.take_round();
        assert_eq!(taken(&next), [(GarbageCollector, vec!["e"]), (Kubelet, vec!["d"])]);
        e.recycle(next);
        assert!(e.take_round().is_empty(), "every mark was taken once");
        // Every controller, in the canonical order, when every one has a mark.
        for c in ControllerId::ALL.iter().rev() {
            e.mark(*c, key("k"));
        }
        let all: Vec<ControllerId> = e.take_round().into_iter().map(|(c, _)| c).collect();
        assert_eq!(all, ControllerId::ALL);
    }

    /// A change of the kubelet's own bookkeeping alone is stored quietly (no resourceVersion, no
    /// watch event); another controller's status, worked out against the version before it,
    /// then does not conflict, and must not take the bookkeeping back.
    #[test]
    fn another_writers_status_keeps_the_kubelets_bookkeeping() {
        use crate::api::pod::{ContainerRuntime, PodRuntime, Stage};
        let decode = |v: serde_json::Value| Object::decode(v).unwrap();
        let mut store = Store::new(1);
        store
            .create(
                decode(serde_json::json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "default"}})),
                0,
            )
            .unwrap();
        let mut pod = decode(serde_json::json!({
            "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "default"},
            "spec": {"containers": [{"name": "c", "image": "nginx"}]},
        }));
        if let Body::Pod { status, .. } = &mut pod.body {
            status.containers = vec![ContainerRuntime::default()].into();
        }
        let read = store.create(pod, 0).unwrap();
        let (key, rv) = (ObjectKey::of(&read), read.meta.resource_version);
        let version = |change: &dyn Fn(&mut PodRuntime)| {
            let mut o = (*read).clone();
            if let Body::Pod { status, .. } = &mut o.body {
                change(status);
            }
            Box::new(o)
        };
        let status = |o: &Object| match &o.body {
            Body::Pod { status, .. } => status.clone(),
            _ => unreachable!(),
        };
        let starting = Stage::Starting { until: 5_000 };
        let mut e = Engine::new(1).unwrap();
        let write = |o| Reconciled { writes: vec![Write::UpdateStatus(o)], requeue_at: None };
        e.commit(&mut store, ControllerId::Kubelet, &key, write(version(&|s| s.containers[0].stage = starting)), 1_000);
        let quiet = store.get_by_key(&key).unwrap().clone();
        assert_eq!((quiet.meta.resource_version, store.resource_version()), (rv, rv), "no write the API shows");
        assert_eq!(status(&quiet).containers[0].stage, starting);
        assert!(store.watch_since(rv).unwrap().is_empty(), "no watch event");
        // The node lifecycle controller's status, from the version it read before.
        let ip = Some(Ipv4Addr::new(10, 0, 0, 9));
        e.commit(&mut store, ControllerId::NodeLifecycle, &key, write(version(&|s| s.host_ip = ip)), 1_000);
        let after = store.get_by_key(&key).unwrap();
        assert_eq!(after.meta.resource_version, rv + 1);
        assert_eq!((status(after).host_ip, status(after).containers[0].stage), (ip, starting));
    }

    #[test]
    fn scheduling_backoff_doubles_from_one_second_to_ten() {
        // upstream calculateBackoffDuration with the default 1 s initial and 10 s maximum.
        let table = [(1, 1_000), (2, 2_000), (3, 4_000), (4, 8_000), (5, 10_000), (6, 10_000), (u32::MAX, 10_000)];
        for (attempts, ms) in table {
            assert_eq!(scheduling_backoff(attempts), ms, "after {attempts} failed attempts");
        }
    }
    impl Engine {
        /// Panics unless the leftover index holds exactly the unschedulable pods, each under
        /// the flush its last attempt gives.
        fn check_leftover(&self) {
            let mut want: BTreeMap<Millis, FxHashSet<ObjectKey>> = BTreeMap::new();
            for k in &self.unschedulable {
                let (_, last) = self.attempts[k];
                want.entry(leftover_flush_at(last, self.scheduler_start)).or_default().insert(k.clone());
            }
            assert_eq!(self.leftover, want);
            assert!(self.waiting_for_pods.is_subset(&self.unschedulable));
        }
    }

    /// A write refused for what it says is tried again a second later, as upstream's
    /// rate-limited queue would, not in every round of the instant; a conflict at once.
    #[test]
    fn a_refused_update_is_retried_later_and_a_conflict_at_once() {
        let decode = |v: serde_json::Value| Object::decode(v).unwrap();
        let mut store = Store::new(1);
        let ns = serde_json::json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "default"}});
        store.create(decode(ns), 0).unwrap();
        let pod = decode(serde_json::json!({
            "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "default"},
            "spec": {"containers": [{"name": "c", "image": "nginx"}]},
        }));
        let stored = store.create(pod, 0).unwrap();
        let owner = ObjectKey::new(Kind::ReplicaSet, "default", "rs");
        // upstream: a pod's containers cannot be added to by an update (ValidatePodUpdate).
        let mut invalid = (*stored).clone();
        if let Body::Pod { spec, .. } = &mut invalid.body {
            let spec = Arc::make_mut(spec);
            let mut second = spec.containers[0].clone();
            second.name = "d".into();
            spec.containers.push(second);
        }
        let mut stale = (*stored).clone();
        stale.meta.resource_version += 7;
        for (obj, at_once) in [(invalid.clone(), false), (stale, true)] {
            let mut e = Engine::new(1).unwrap();
            let rec = Reconciled { writes: vec![Write::Update(Box::new(obj))], requeue_at: None };
            e.commit(&mut store, ControllerId::ReplicaSet, &owner, rec, 5_000);
            let marked = e.take_marked(ControllerId::ReplicaSet);
            assert_eq!(marked.contains(&owner), at_once, "{marked:?}");
            assert_eq!(e.next_timer(), if at_once { None } else { Some(6_000) });
        }
        // Failures in a row back off: 1 s, 2 s, 4 s … up to 1000 s; a reconcile whose writes
        // all land is forgotten, and the next failure waits a second again.
        let mut e = Engine::new(1).unwrap();
        let mut now = 0;
        let mut waits = Vec::new();
        for _ in 0..13 {
            let rec = Reconciled { writes: vec![Write::Update(Box::new(invalid.clone()))], requeue_at: None };
            e.commit(&mut store, ControllerId::ReplicaSet, &owner, rec, now);
            let next = e.next_timer().unwrap();
            waits.push((next - now) / 1000);
            e.fire_due(next);
            e.take_marked(ControllerId::ReplicaSet);
            now = next;
        }
        assert_eq!(waits, [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1000, 1000, 1000]);
        e.commit(&mut store, ControllerId::ReplicaSet, &owner, Reconciled::nothing(), now);
        let rec = Reconciled { writes: vec![Write::Update(Box::new(invalid))], requeue_at: None };
        e.commit(&mut store, ControllerId::ReplicaSet, &owner, rec, now);
        assert_eq!(e.next_timer(), Some(now + 1000));
    }

    #[test]
    fn the_leftover_index_follows_the_unschedulable_pods_through_every_move() {
        let key = |i: i64| ObjectKey::new(Kind::Pod, "default", &format!("p-{i}"));
        let mut e = Engine::new(1).unwrap();
        e.start_scheduler(0);
        for i in 0..6 {
            e.scheduling_failed(&key(i), 1_000 * i);
        }
        e.waiting_for_pods.extend([key(1), key(2)]);
        e.check_leftover();
        assert_eq!(e.next_timer(), Some(330_000));
        assert_eq!(e.next_change_timer(), None, "a flush alone changes nothing");
        e.forget_pending(&key(0)); // bound
        e.check_leftover();
        e.scheduling_failed(&key(3), 100_000); // tried again on a change, and failed
        e.check_leftover();
        // A pod bound elsewhere moves the pods waiting for pods (to their back-off timers).
        e.retry_waiting = true;
        e.flush_retry(101_000);
        e.check_leftover();
        assert!(!e.unschedulable.contains(&key(1)) && !e.unschedulable.contains(&key(2)));
        // The flush at 330 s moves the pods whose last attempt was more than 5 min before.
        e.fire_due(330_000);
        e.check_leftover();
        assert_eq!(e.unschedulable.iter().cloned().collect::<Vec<_>>(), [key(3)]);
        let marked = e.take_marked(ControllerId::Scheduler);
        assert!([key(4), key(5)].iter().all(|k| marked.contains(k)), "{marked:?}");
        assert_eq!(e.next_timer(), Some(420_000));
        // A change moves them all.
        e.retry_unschedulable();
        e.flush_retry(331_000);
        e.check_leftover();
        assert!(e.leftover.is_empty() && e.unschedulable.is_empty());
    }

    #[test]
    fn a_pod_left_unschedulable_is_flushed_at_the_first_30_s_tick_more_than_5_min_later() {
        // upstream: flushUnschedulablePodsLeftover every 30 s from the scheduler's start moves
        // the pods whose last attempt is more than (not exactly) 5 min old.
        let table = [
            // (scheduler start, last attempt, flush)
            (0, 0, 330_000),
            (0, 1, 330_000),
            (0, 29_999, 330_000),
            (0, 30_000, 360_000),
            (0, 7_000, 330_000),
            (1_000, 1_000, 331_000),
            (1_000, 31_000, 361_000),
            (1_000, 31_001, 361_000),
            (-45_000, 0, 315_000),
        ];
        for (start, last, flush) in table {
            assert_eq!(leftover_flush_at(last, start), flush, "start {start}, last attempt {last}");
        }
    }

    /// The pending pods' hashed tables show no trace of how they grew: two engines holding
    /// the same pods (one of whose tables grew past thousands of other pods first) write the
    /// same snapshot bytes, before and after the pods are moved to be retried (the timers they
    /// set queue in key order).
    #[test]
    fn pending_tables_write_the_same_snapshot_however_they_grew() {
        let key = |i: usize| ObjectKey::new(Kind::Pod, "default", &format!("web-{i:05}"));
        let bytes = |e: &Engine| postcard::to_stdvec(&snapshot::Written(e)).expect("postcard");
        let (mut plain, mut grown) = (Engine::new(1).unwrap(), Engine::new(1).unwrap());
        for i in (0..4_000).filter(|i| i % 7 != 0) {
            grown.scheduling_failed(&key(i), 1_000);
        }
        for i in (0..4_000).rev().filter(|i| i % 7 == 0) {
            plain.scheduling_failed(&key(i), 1_000);
            grown.scheduling_failed(&key(i), 1_000);
        }
        for i in (0..4_000).filter(|i| i % 7 != 0) {
            grown.forget_pending(&key(i));
        }
        for e in [&mut plain, &mut grown] {
            e.schedule(ControllerId::Deployment, key(3), 9_000, 1_000);
            e.retry_unschedulable();
        }
        assert_eq!(plain.unschedulable, grown.unschedulable);
        assert_eq!(bytes(&plain), bytes(&grown));
        plain.flush_retry(1_000);
        grown.flush_retry(1_000);
        assert!(plain.unschedulable.is_empty() && plain.timers.next_time().is_some());
        assert_eq!(bytes(&plain), bytes(&grown));
    }
}
