//! Controllers read an immutable view of the store and return the writes they intend; the
//! engine commits them in canonical order (controller, then object key). Controllers never call
//! each other.

pub mod cronjob;
pub mod daemonset;
pub mod deployment;
pub mod disruption;
pub mod endpoints;
pub mod endpointslice;
pub mod gc;
pub mod history;
pub mod hpa;
pub mod job;
pub mod kubernetes_service;
pub mod memory;
pub mod namespace;
pub mod node_affinity;
pub mod nodelifecycle;
pub mod pod_affinity;
pub mod podgc;
pub mod replicaset;
pub mod scheduler;
pub mod serviceaccounts;
pub mod statefulset;
pub mod topology_spread;
mod victims;

use std::sync::Arc;

use crate::api::{Body, Kind, Object, Uid};
use crate::kubelet::images::ImageRegistry;
use crate::sim::clock::Millis;
use crate::store::{ObjectKey, Prepared, PreparedCreate, Store};

/// Controllers in commit order. The kubelet is last: it acts on what the others decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub enum ControllerId {
    GarbageCollector = 0,
    NodeLifecycle = 1,
    Namespace = 2,
    HorizontalPodAutoscaler = 3,
    Deployment = 4,
    ReplicaSet = 5,
    Job = 6,
    CronJob = 7,
    DaemonSet = 8,
    StatefulSet = 9,
    Disruption = 10,
    Scheduler = 11,
    Kubelet = 12,
    ServiceAccounts = 13,
    KubernetesService = 14,
    PodGarbageCollector = 15,
    EndpointSlice = 16,
    Endpoints = 17,
}

impl ControllerId {
    pub const ALL: [ControllerId; 18] = [
        ControllerId::GarbageCollector,
        ControllerId::NodeLifecycle,
        ControllerId::Namespace,
        ControllerId::HorizontalPodAutoscaler,
        ControllerId::Deployment,
        ControllerId::ReplicaSet,
        ControllerId::Job,
        ControllerId::CronJob,
        ControllerId::DaemonSet,
        ControllerId::StatefulSet,
        ControllerId::Disruption,
        ControllerId::Scheduler,
        ControllerId::Kubelet,
        ControllerId::ServiceAccounts,
        ControllerId::KubernetesService,
        ControllerId::PodGarbageCollector,
        ControllerId::EndpointSlice,
        ControllerId::Endpoints,
    ];
    pub fn name(self) -> &'static str {
        match self {
            ControllerId::GarbageCollector => "garbage-collector",
            ControllerId::NodeLifecycle => "node-lifecycle-controller",
            ControllerId::Namespace => "namespace-controller",
            ControllerId::HorizontalPodAutoscaler => "horizontal-pod-autoscaler",
            ControllerId::Deployment => "deployment-controller",
            ControllerId::ReplicaSet => "replicaset-controller",
            ControllerId::Job => "job-controller",
            ControllerId::CronJob => "cronjob-controller",
            ControllerId::DaemonSet => "daemonset-controller",
            ControllerId::StatefulSet => "statefulset-controller",
            ControllerId::Disruption => "disruption-controller",
            ControllerId::Scheduler => "default-scheduler",
            ControllerId::Kubelet => "kubelet",
            ControllerId::ServiceAccounts => "service-account-controller",
            ControllerId::KubernetesService => "kube-apiserver",
            ControllerId::PodGarbageCollector => "pod-garbage-collector",
            ControllerId::EndpointSlice => "endpointslice-controller",
            ControllerId::Endpoints => "endpoint-controller",
        }
    }
}

pub use crate::store::{DeleteOptions, Propagation};

/// An event a component records about an object (aggregated into Event objects at commit).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventRecord {
    pub kind: Kind,
    pub namespace: Arc<str>,
    pub name: Arc<str>,
    pub uid: Uid,
    /// `spec.containers{nginx}` for container events.
    pub field_path: Option<String>,
    pub warning: bool,
    pub reason: &'static str,
    pub message: String,
    pub component: &'static str,
    /// The node, for kubelet events.
    pub host: Option<Arc<str>>,
}

impl EventRecord {
    pub fn about(obj: &Object, component: &'static str, warning: bool, reason: &'static str, message: String) -> Self {
        EventRecord {
            kind: obj.kind(),
            namespace: obj.meta.namespace.clone(),
            name: obj.meta.name.clone(),
            uid: obj.meta.uid,
            field_path: None,
            warning,
            reason,
            message,
            component,
            host: None,
        }
    }
}

/// A write a controller intends. Updates carry the resourceVersion they read; a stale one is a
/// conflict and the controller's key is requeued.
#[derive(Clone, Debug)]
pub enum Write {
    /// Create; `batch` orders slow-start batches (a failure skips later batches of the same
    /// reconcile); `event` is recorded on success with `{}` replaced by the generated name.
    Create {
        obj: Box<Object>,
        batch: u32,
        event: Option<Box<EventRecord>>,
    },
    /// A create the engine has already worked out against the round's view of the store.
    PreparedCreate {
        create: Box<PreparedCreate>,
        batch: u32,
        event: Option<Box<EventRecord>>,
    },
    // Objects and events are boxed: a write list is a few pointers wide, not a few objects wide
    // (a reconcile of every pod in a large cluster holds one list per pod until the commit).
    Update(Box<Object>),
    UpdateStatus(Box<Object>),
    /// An update the engine has already worked out against the round's view of the store.
    Prepared(Prepared),
    Delete {
        key: ObjectKey,
        options: DeleteOptions,
    },
    /// Remove an object that already has a deletionTimestamp (the kubelet's final grace-0 delete,
    /// or the garbage collector dropping its finalizer).
    Remove {
        key: ObjectKey,
        uid: Uid,
    },
    Event(Box<EventRecord>),
    /// The namespace controller's finalize of an emptied, terminating namespace.
    FinalizeNamespace(ObjectKey),
    /// HPA controller memory (recommendations and scale events) for one HPA.
    HpaMemory(ObjectKey, Box<hpa::HpaMemory>),
    /// An HPA's record of its last proposals (`None`: forget it), see [`hpa::Memo`].
    HpaMemo(ObjectKey, Option<Box<hpa::Memo>>),
    /// Job controller memory: the Job's back-off record (`None`: forget it). A record is kept
    /// only if the same reconcile's status write of the Job was committed (upstream: the
    /// record is updated after the status that counts the new pods is written).
    JobBackoff(ObjectKey, Option<job::backoff::BackoffRecord>),
    /// DaemonSet controller memory: a node's failed-pod back-off entry, stepped by a kill
    /// (upstream: failedPodsBackoff.Next, before the delete is sent, whatever becomes of it).
    DaemonSetBackoff(String, daemonset::backoff::Entry),
    /// Scheduler state: where the next node search starts.
    SchedulerCursor(usize),
    /// Scheduler state: a batch that bound nothing, and the last pod in it that fit no node,
    /// with the node state's count of changes it saw (see [`NodeRuntime::changes`]).
    SchedulerNowhere(Box<(u64, scheduler::Nowhere)>),
    /// Pod garbage collector state: since when a node that pods are bound to has been missing
    /// (`None`: no longer tracked).
    NodeGone {
        node: Arc<str>,
        since: Option<Millis>,
    },
    /// Kubelet-side state: an image is being pulled on a node until `done`.
    ImagePull {
        node: Arc<str>,
        image: Arc<str>,
        done: Millis,
    },
}

/// What one reconcile returns.
#[derive(Clone, Debug, Default)]
pub struct Reconciled {
    pub writes: Vec<Write>,
    /// Reconcile this key again at this time (timers: back-offs, probes, grace periods).
    pub requeue_at: Option<Millis>,
}

impl Reconciled {
    pub fn nothing() -> Self {
        Reconciled::default()
    }
    /// These writes made ready to commit, where they were made (on the pool): events dropped
    /// unless `events` (the cluster records none), and updates worked out against `prepare`'s
    /// store, and so are creates (at `now`).
    pub fn ready(mut self, events: bool, prepare: Option<&Store>, now: Millis) -> Self {
        let mut counters = Vec::new();
        self.writes = std::mem::take(&mut self.writes)
            .into_iter()
            .filter_map(|w| match (w, prepare) {
                (Write::Event(_), _) if !events => None,
                (Write::Create { obj, batch, event }, Some(store)) => {
                    let event = event.filter(|_| events);
                    Some(match store.prepare_create(obj, now, &mut counters) {
                        Ok(p) => Write::PreparedCreate { create: Box::new(p), batch, event },
                        Err(obj) => Write::Create { obj, batch, event },
                    })
                }
                (Write::Create { obj, batch, event }, None) => {
                    Some(Write::Create { obj, batch, event: event.filter(|_| events) })
                }
                (Write::Update(obj), Some(store)) => Some(Write::Prepared(store.prepare(*obj, false))),
                (Write::UpdateStatus(obj), Some(store)) => Some(Write::Prepared(store.prepare(*obj, true))),
                (w, _) => Some(w),
            })
            .collect();
        self
    }
    pub fn requeue(mut self, at: Option<Millis>) -> Self {
        self.requeue_at = match (self.requeue_at, at) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self
    }
}

/// Node-side state the kubelets share (not part of any API object).
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct NodeRuntime {
    /// (node, image) → when the image is (or will be) present on that node.
    pub images: std::collections::BTreeMap<(Arc<str>, Arc<str>), Millis>,
    /// Nodes whose kubelet has stopped (`node.fail()`), and since when.
    pub down: std::collections::BTreeMap<Arc<str>, Millis>,
    /// Nodes that pods are bound to but that do not exist (deleted, or never created), and
    /// since when (what the pod garbage collector's quarantine counts from).
    pub gone: std::collections::BTreeMap<Arc<str>, Millis>,
    /// Each node as the scheduler sees it (refreshed when the Node object changes).
    pub info: std::collections::BTreeMap<Arc<str>, scheduler::NodeInfo>,
    /// Resources held by the pods bound to each node.
    pub allocated: std::collections::BTreeMap<Arc<str>, scheduler::Allocation>,
    /// Where the scheduler's next node search starts.
    pub scheduler_start: usize,
    /// How many times `info` or `allocated` changed (all the scheduler's filters read of the
    /// nodes), so that a search's outcome is known to hold while it stays the same. Not kept
    /// in snapshots: a restored cluster starts with no outcome kept.
    #[serde(skip)]
    pub changes: u64,
    /// The last pod the scheduler found no node for in a batch that bound none, with `changes`
    /// as the search saw it: while `changes` is the same, a pod the filters treat alike fits
    /// nowhere for the same reasons (see [`scheduler::Nowhere`]).
    #[serde(skip)]
    pub nowhere: Option<Box<(u64, scheduler::Nowhere)>>,
    /// Bound, unfinished pods with pod (anti-)affinity terms: while there are any, every pod's
    /// placement must look at them (upstream: NodeInfo.PodsWithAffinity).
    pub affinity_pods: i64,
    /// With serialized image pulls: when each node's pull queue is free again.
    pub pulling_until: std::collections::BTreeMap<Arc<str>, Millis>,
    /// Nodes whose kubelet is not Ready yet after the node was added, and when it will be
    /// (a node template's `ready_after`).
    pub booting: std::collections::BTreeMap<Arc<str>, Millis>,
}

/// What a reconcile may read.
pub struct Ctx<'a> {
    pub store: &'a Store,
    pub now: Millis,
    pub images: &'a ImageRegistry,
    pub nodes: &'a NodeRuntime,
    pub load: &'a crate::metrics::LoadModel,
    /// The latencies modelled (see [`crate::sim::latency`]).
    pub latency: &'a crate::sim::latency::Latency,
    pub hpa: &'a std::collections::BTreeMap<ObjectKey, hpa::HpaMemory>,
    /// Each HPA's record of its last proposals (derived state: a cache, not history).
    pub hpa_memo: &'a std::collections::BTreeMap<ObjectKey, hpa::Memo>,
    /// The round runs on the engine's pool: a controller may split its own work with rayon
    /// (with the same result as doing it in order).
    pub parallel: bool,
    /// Whether the cluster records Events (when not, the controllers that emit one per pod
    /// need not word them: they would be dropped unread).
    pub events: bool,
    /// The round's pods by node, worked out the first time a reconcile asks (see [`Ctx::pods_on`]).
    pub by_node: &'a PodsByNode,
    /// The DaemonSet controller's memory of its last syncs.
    pub daemon: &'a daemonset::Memory,
    /// The EndpointSlice controller's memory of each Service's slices.
    pub slices: &'a endpointslice::Memory,
    /// The endpoints controller's memory of each Service's addresses.
    pub endpoints: &'a endpoints::Memory,
    /// The Job controller's back-off record per Job.
    pub job_backoff: &'a job::backoff::Memory,
    /// The DaemonSet controller's failed-pod back-off per DaemonSet and node.
    pub daemon_backoff: &'a daemonset::backoff::Memory,
}

/// Pods grouped by the node they are bound to, in key order within each node.
#[derive(Default)]
pub struct PodsByNode(std::sync::OnceLock<rustc_hash::FxHashMap<Arc<str>, Vec<Arc<Object>>>>);

impl Ctx<'_> {
    /// The pods bound to `node`, in key order (upstream reads them through an informer index on
    /// spec.nodeName). The grouping is made once per round, by one pass over the pods, so that
    /// the reconciles of many nodes in one round (a zone failing) share it.
    pub fn pods_on(&self, node: &str) -> &[Arc<Object>] {
        let groups = self.by_node.0.get_or_init(|| {
            let mut groups: rustc_hash::FxHashMap<Arc<str>, Vec<Arc<Object>>> = Default::default();
            for pod in self.store.scan(Kind::Pod, None) {
                let Body::Pod { spec, status } = &pod.body else { continue };
                let node = match (&spec.node_name, &status.node_name) {
                    (Some(n), _) => Arc::from(n.as_str()),
                    (None, Some(n)) => n.clone(),
                    (None, None) => continue,
                };
                groups.entry(node).or_default().push(pod.clone());
            }
            groups
        });
        groups.get(node).map_or(&[], Vec::as_slice)
    }
}
