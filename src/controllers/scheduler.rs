//! The scheduler (`kube-scheduler`, default profile, simplified): filter nodes by
//! unschedulable, taints, nodeSelector and resources; score by least-allocated and balanced
//! allocation; bind. Pods are placed one at a time, each seeing the bindings before it; what
//! the filters and scores said of a node is remembered for the pods alike that follow, until a
//! pod is bound there (see [`place`]).

use std::collections::BTreeMap;
use std::sync::Arc;

use k8s_openapi::api::core::v1 as core;
use rayon::prelude::*;

use super::node_affinity;
use super::replicaset::{is_active, node_of};
use super::{pod_affinity, topology_spread, Ctx, EventRecord, Reconciled, Write};
use crate::api::pod::ConditionType;
use crate::api::quantity::parse_milli_saturating;
use crate::api::{Body, Object};
use crate::sim::rng::{splitmix64, stable_hash};
use crate::store::ObjectKey;

const COMPONENT: &str = "default-scheduler";
/// upstream: scheduler util — what a container without requests counts as when scoring.
const DEFAULT_MILLI_CPU: i128 = 100;
const DEFAULT_MEMORY_MILLI: i128 = 200 * 1024 * 1024 * 1000;

#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Resources {
    /// Millicores.
    pub cpu: i128,
    /// Milli-bytes (Quantity.MilliValue of memory).
    pub memory: i128,
}

/// Requests of a pod (sum over containers), and the non-zero variant used for scoring.
pub fn pod_requests(spec: &core::PodSpec) -> (Resources, Resources) {
    let mut real = Resources::default();
    let mut nonzero = Resources::default();
    for c in &spec.containers {
        let req = c.resources.as_ref().and_then(|r| r.requests.as_ref());
        let get = |name: &str| req.and_then(|r| r.get(name)).and_then(|q| request_milli(&q.0));
        let cpu = get("cpu");
        let mem = get("memory");
        real.cpu += cpu.unwrap_or(0);
        real.memory += mem.unwrap_or(0);
        nonzero.cpu += cpu.filter(|v| *v > 0).unwrap_or(DEFAULT_MILLI_CPU);
        nonzero.memory += mem.filter(|v| *v > 0).unwrap_or(DEFAULT_MEMORY_MILLI);
    }
    (real, nonzero)
}

pub(super) struct NodeState<'a> {
    pub(super) name: &'a Arc<str>,
    pub(super) info: &'a NodeInfo,
    /// The node's half of the tie-break draw.
    pub(super) draw: u64,
    requested: Resources,
    nonzero: Resources,
    pods: i64,
}

impl NodeState<'_> {
    /// A pod bound here holds its requests and a pod slot.
    fn take(&mut self, req: &Resources, nonzero: &Resources) {
        self.requested.cpu += req.cpu;
        self.requested.memory += req.memory;
        self.nonzero.cpu += nonzero.cpu;
        self.nonzero.memory += nonzero.memory;
        self.pods += 1;
    }
}

/// A request or allocatable in milli-units, kept within int64 as the scheduler's arithmetic is
/// (a value too large for it, e.g. `1e999` or `8Ei` of memory, counts as the largest int64, so
/// it fits nowhere rather than wrapping). Sums are i128: they cannot overflow.
fn request_milli(text: &str) -> Option<i128> {
    parse_milli_saturating(text).map(|v| v.clamp(i64::MIN as i128, i64::MAX as i128))
}

/// What the scheduler needs of a Node object, parsed once per change of the node.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct NodeInfo {
    #[serde(with = "crate::snapshot::shared::maps")]
    pub labels: Arc<crate::api::meta::StringMap>,
    #[serde(with = "crate::snapshot::shared::wire")]
    pub taints: Vec<core::Taint>,
    pub unschedulable: bool,
    pub allocatable: Resources,
    pub max_pods: i64,
    /// The network address of `spec.podCIDR` (where the CNI takes the node's pod IPs from).
    pub pod_cidr: Option<std::net::Ipv4Addr>,
    /// The node's half of the scheduler's tie-break draw (a hash of its name, worked out once).
    pub draw: u64,
}

impl NodeInfo {
    pub fn of(n: &Object) -> Option<NodeInfo> {
        let Body::Node { spec, status } = &n.body else { return None };
        let alloc = status.allocatable.as_ref();
        let get = |name: &str| alloc.and_then(|a| a.get(name)).and_then(|q| request_milli(&q.0)).unwrap_or(0);
        Some(NodeInfo {
            labels: n.meta.labels.clone(),
            taints: spec.taints.clone().unwrap_or_default(),
            unschedulable: spec.unschedulable.unwrap_or(false),
            allocatable: Resources { cpu: get("cpu"), memory: get("memory") },
            max_pods: (get("pods") / 1000) as i64,
            pod_cidr: spec.pod_cidr.as_deref().and_then(|c| c.split('/').next()).and_then(|a| a.parse().ok()),
            draw: stable_hash(0, &[n.meta.name.as_bytes()]),
        })
    }
}

/// The nodes every pod of the batch is pinned to (upstream's NodeAffinity PreFilter result),
/// when each pod is pinned and has no preferred terms; `None` otherwise.
fn pinned_nodes(pods: &[Arc<Object>]) -> Option<std::collections::BTreeSet<&str>> {
    let mut all = std::collections::BTreeSet::new();
    for p in pods {
        let Body::Pod { spec, .. } = &p.body else { return None };
        match node_affinity::pre_filter(spec) {
            node_affinity::PreFilter::Nodes(names) if !node_affinity::has_preferences(spec) => all.extend(names),
            _ => return None,
        }
    }
    Some(all)
}

/// [`node_states`] of the named nodes that exist, in name order.
fn named_node_states<'a>(ctx: &'a Ctx, names: &std::collections::BTreeSet<&str>) -> Vec<NodeState<'a>> {
    names
        .iter()
        .filter_map(|name| {
            let (name, info) = ctx.nodes.info.get_key_value(*name)?;
            Some(NodeState::of(name, info, ctx.nodes.allocated.get(&**name)))
        })
        .collect()
}

fn node_states<'a>(ctx: &'a Ctx) -> Vec<NodeState<'a>> {
    // What bound, unfinished pods hold (kept up to date by the engine as pods bind and finish;
    // terminating pods hold their share until they are gone). Both maps are by node name, so
    // they are read side by side rather than looked up node by node.
    let mut held = ctx.nodes.allocated.iter().peekable();
    ctx.nodes
        .info
        .iter()
        .map(|(name, info)| {
            // (Names are mostly the same `Arc`: compared by pointer first.)
            let same = |n: &Arc<str>| Arc::ptr_eq(n, name) || n == name;
            while held.next_if(|(n, _)| !same(n) && *n < name).is_some() {}
            NodeState::of(name, info, held.next_if(|(n, _)| same(n)).map(|(_, a)| a))
        })
        .collect()
}

impl<'a> NodeState<'a> {
    /// A node as the scheduler sees it: its info and what the pods bound to it hold.
    fn of(name: &'a Arc<str>, info: &'a NodeInfo, held: Option<&Allocation>) -> NodeState<'a> {
        NodeState {
            name,
            info,
            draw: info.draw,
            requested: held.map_or_else(Resources::default, |a| a.requested.clone()),
            nonzero: held.map_or_else(Resources::default, |a| a.nonzero.clone()),
            pods: held.map_or(0, |a| a.pods),
        }
    }
}

/// What the pods bound to a node hold.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Allocation {
    pub requested: Resources,
    pub nonzero: Resources,
    pub pods: i64,
}

impl Allocation {
    pub fn add(&mut self, real: &Resources, nonzero: &Resources, sign: i64) {
        let s = i128::from(sign);
        self.requested.cpu += s * real.cpu;
        self.requested.memory += s * real.memory;
        self.nonzero.cpu += s * nonzero.cpu;
        self.nonzero.memory += s * nonzero.memory;
        self.pods += sign;
    }
}

/// upstream: numFeasibleNodesToFind — in large clusters stop after enough feasible nodes
/// (adaptive percentage: 50% − nodes/125, at least 5%, at least 100 nodes).
pub fn feasible_nodes_to_find(total: usize) -> usize {
    if total < 100 {
        return total;
    }
    let pct = (50 - total as i64 / 125).max(5) as usize;
    (total * pct / 100).max(100)
}

/// upstream: v1helper.TolerationsTolerateTaint
pub fn tolerates(tolerations: &[core::Toleration], taint: &core::Taint) -> bool {
    tolerations.iter().any(|t| {
        let effect_ok = t.effect.as_deref().is_none_or(|e| e.is_empty() || e == taint.effect);
        let key_ok = t.key.as_deref().is_none_or(|k| k.is_empty()) && t.operator.as_deref() == Some("Exists")
            || t.key.as_deref() == Some(taint.key.as_str());
        let value_ok = match t.operator.as_deref() {
            Some("Exists") => true,
            _ => t.value.as_deref().unwrap_or("") == taint.value.as_deref().unwrap_or(""),
        };
        effect_ok && key_ok && value_ok
    })
}

/// upstream's preemption verdicts in a FitError: a node failing on resources, on anything else.
pub(super) const NO_VICTIMS: &str = "No preemption victims found for incoming pod";
pub(super) const NOT_HELPFUL: &str = "Preemption is not helpful for scheduling";

/// Why a node cannot take a pod, as upstream's filter plugins word it (kept unformatted while
/// nodes are visited: the message is built once per pod that fits nowhere).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Unfit<'a> {
    Unschedulable,
    Taint(&'a core::Taint),
    Selector,
    TooManyPods,
    InsufficientCpu,
    InsufficientMemory,
}

impl Unfit<'_> {
    fn message(self) -> String {
        match self {
            Unfit::Unschedulable => "node(s) were unschedulable".into(),
            Unfit::Taint(t) => {
                format!("node(s) had untolerated taint {{{}: {}}}", t.key, t.value.as_deref().unwrap_or(""))
            }
            Unfit::Selector => "node(s) didn't match Pod's node affinity/selector".into(),
            Unfit::TooManyPods => "Too many pods".into(),
            Unfit::InsufficientCpu => "Insufficient cpu".into(),
            Unfit::InsufficientMemory => "Insufficient memory".into(),
        }
    }
}

/// What failed on one node: one reason, or up to three of NodeResourcesFit's; and whether
/// preemption could help (only for resources).
pub(super) type Unfits<'a> = ([Option<Unfit<'a>>; 3], bool);

/// Why a node cannot take a pod: the first failing filter, in the default profile's order.
pub(super) fn filter<'a>(node: &NodeState<'a>, spec: &core::PodSpec, req: &Resources) -> Result<(), Unfits<'a>> {
    let tolerations = spec.tolerations.as_deref().unwrap_or(&[]);
    let one = |u: Unfit<'a>| Err(([Some(u), None, None], false));
    if node.info.unschedulable {
        let taint = core::Taint {
            key: "node.kubernetes.io/unschedulable".into(),
            effect: "NoSchedule".into(),
            ..Default::default()
        };
        if !tolerates(tolerations, &taint) {
            return one(Unfit::Unschedulable);
        }
    }
    let info: &'a NodeInfo = node.info;
    if let Some(t) = info
        .taints
        .iter()
        .filter(|t| t.effect == "NoSchedule" || t.effect == "NoExecute")
        .find(|t| !tolerates(tolerations, t))
    {
        return one(Unfit::Taint(t));
    }
    if let Some(sel) = &spec.node_selector {
        if sel.iter().any(|(k, v)| info.labels.get(k) != Some(v)) {
            return one(Unfit::Selector);
        }
    }
    if !node_affinity::required_matches(spec, node.name, &info.labels) {
        return one(Unfit::Selector);
    }
    let insufficient = [
        (node.pods + 1 > info.max_pods).then_some(Unfit::TooManyPods),
        (req.cpu > 0 && node.requested.cpu + req.cpu > info.allocatable.cpu).then_some(Unfit::InsufficientCpu),
        (req.memory > 0 && node.requested.memory + req.memory > info.allocatable.memory)
            .then_some(Unfit::InsufficientMemory),
    ];
    if insufficient.iter().all(Option::is_none) {
        Ok(())
    } else {
        Err((insufficient, true))
    }
}

/// upstream: NodeResourcesFit LeastAllocated (integer arithmetic, weights 1:1) +
/// NodeResourcesBalancedAllocation (float, `(1 − std) × 100`), 0–100 each.
pub(super) fn score(node: &NodeState, nonzero: &Resources) -> i64 {
    let alloc = &node.info.allocatable;
    let (cpu, mem) = (node.nonzero.cpu + nonzero.cpu, node.nonzero.memory + nonzero.memory);
    // upstream: leastRequestedScore — (capacity − requested) × 100 / capacity; 0 when over.
    let least = |used: i128, cap: i128| {
        if cap <= 0 || used > cap {
            return 0;
        }
        // (In i64 where it fits: the same quotient, without a software i128 division.)
        match (i64::try_from(cap - used).ok().and_then(|free| free.checked_mul(100)), i64::try_from(cap)) {
            (Some(free), Ok(cap)) => i128::from(free / cap),
            _ => (cap - used) * 100 / cap,
        }
    };
    let least = ((least(cpu, alloc.cpu) + least(mem, alloc.memory)) / 2) as i64;
    // (Through i64 where the value fits: the same rounding, without a software i128 conversion;
    // `black_box` keeps the optimizer from folding the two conversions back into that one.)
    let float = |v: i128| i64::try_from(v).map_or_else(|_| v as f64, |v| std::hint::black_box(v) as f64);
    let frac = |used: i128, cap: i128| if cap <= 0 { 1.0 } else { (float(used) / float(cap)).min(1.0) };
    let balanced = (1.0 - (frac(cpu, alloc.cpu) - frac(mem, alloc.memory)).abs() / 2.0) * 100.0;
    least + balanced as i64
}

/// A pod's priority (0 when it has none).
fn priority(o: &Object) -> i32 {
    match &o.body {
        Body::Pod { spec, .. } => spec.priority.unwrap_or(0),
        _ => 0,
    }
}

/// Schedule the given pending pods in queue order (priority, then age).
/// upstream: the scheduling queue's order (PrioritySort) — higher priority first, then the
/// earlier created, then by key.
pub fn queue_order(a: &Object, b: &Object) -> std::cmp::Ordering {
    // (By key: kind, namespace, name, as `ObjectKey` orders, without building the keys.)
    fn key(o: &Object) -> (u8, &str, &str) {
        (o.kind() as u8, &o.meta.namespace, &o.meta.name)
    }
    priority(b)
        .cmp(&priority(a))
        .then(a.meta.creation_timestamp.cmp(&b.meta.creation_timestamp))
        .then_with(|| key(a).cmp(&key(b)))
}

/// A pending pod's place in the scheduling queue: [`queue_order`] as a key.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct QueueKey {
    priority: std::cmp::Reverse<i32>,
    created: crate::sim::clock::Millis,
    key: ObjectKey,
}

impl QueueKey {
    pub fn of(pod: &Object) -> QueueKey {
        QueueKey {
            priority: std::cmp::Reverse(priority(pod)),
            created: pod.meta.creation_timestamp,
            key: ObjectKey::of(pod),
        }
    }

    pub fn key(&self) -> &ObjectKey {
        &self.key
    }

    /// Whether this is `pod`'s place (the pod under the key, not one made anew since).
    fn holds(&self, pod: &Object) -> bool {
        self.priority.0 == priority(pod) && self.created == pod.meta.creation_timestamp
    }
}

/// The head of the scheduling queue for a round capped at `cap` pods: the pending pods among
/// `keys` join `queue` (the pods earlier rounds of the instant left, in queue order), and `keys`
/// becomes the first `cap` still pending, in queue order; the rest wait in `queue` for the next
/// round. Each round's batch is the queue's head, as one batch's would be, and a round costs
/// its own keys and batch, not a sort of everything still waiting. `keys` come in key order (a
/// round's canonical order), so ordering them by priority and age alone, stably, puts them in
/// queue order: they merge with the queue's head, and those left over join it in one pass
/// rather than a search each.
pub fn queue_head(
    store: &crate::store::Store,
    queue: &mut std::collections::BTreeSet<QueueKey>,
    keys: &mut Vec<ObjectKey>,
    cap: usize,
) {
    let pending = |p: &&Arc<Object>| is_active(p) && node_of(p).is_none();
    let mut fresh: Vec<QueueKey> =
        keys.drain(..).filter_map(|k| store.get_by_key(&k).filter(pending).map(|p| QueueKey::of(p))).collect();
    fresh.sort_by_key(|q| (q.priority, q.created));
    if !fresh.is_sorted() {
        fresh.sort();
    }
    fresh.dedup();
    let mut fresh = fresh.into_iter().peekable();
    while keys.len() < cap {
        let from_queue = match (queue.first(), fresh.peek()) {
            (Some(q), Some(f)) => q <= f,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (None, None) => break,
        };
        if !from_queue {
            // (Looked up just now: pending.)
            keys.extend(fresh.next().map(|q| q.key));
            continue;
        }
        let Some(next) = queue.pop_first() else { break };
        if fresh.next_if_eq(&next).is_some() {
            keys.push(next.key);
            continue;
        }
        // (A pod bound or deleted since it was queued is no longer pending; one made anew under
        // its name was queued at its own place when it was created.)
        if store.get_by_key(&next.key).filter(pending).is_some_and(|p| next.holds(p)) {
            keys.push(next.key);
        }
    }
    let rest: Vec<QueueKey> = fresh.collect();
    // (Many join as one sorted tree merged in, in time linear in both; a few by a search each.)
    if rest.len() >= queue.len() / 8 {
        queue.append(&mut rest.into_iter().collect());
    } else {
        queue.extend(rest);
    }
}

pub fn reconcile_batch(ctx: &Ctx, keys: &[ObjectKey]) -> Vec<(ObjectKey, Reconciled)> {
    let pending = |k: &ObjectKey| ctx.store.get_by_key(k).filter(|p| is_active(p) && node_of(p).is_none()).cloned();
    let mut pods: Vec<Arc<Object>> = if ctx.parallel {
        keys.par_iter().filter_map(pending).collect()
    } else {
        keys.iter().filter_map(pending).collect()
    };
    if pods.is_empty() {
        return Vec::new();
    }
    if ctx.parallel {
        pods.par_sort_by(|a, b| queue_order(a, b));
    } else {
        pods.sort_by(|a, b| queue_order(a, b));
    }
    let total = ctx.nodes.info.len();
    let start = if total == 0 { 0 } else { ctx.nodes.scheduler_start % total };
    // Pod (anti-)affinity or topology spread in play: placing one pod changes where the next
    // may go, so the batch goes one by one, each pod seeing the pods placed before it.
    let constrained = ctx.nodes.affinity_pods > 0
        || pods.iter().any(|p| matches!(&p.body, Body::Pod { spec, .. } if constrained(spec)));
    // Pods pinned to named nodes (a DaemonSet's) are searched among those nodes only: the batch
    // needs only their states, not a copy of every node's (which would make a DaemonSet of N
    // nodes cost O(N) per batch of 250, O(N²) for a rollout). The cursor still moves over all.
    let named = if constrained { None } else { pinned_nodes(&pods) };
    let mut nodes = match &named {
        Some(names) => named_node_states(ctx, names),
        None => node_states(ctx),
    };
    let (placements, start, nowhere) = if constrained {
        let (placements, start) = place_constrained(ctx, &mut nodes, start, &pods);
        (placements, start, None)
    } else {
        place(&mut nodes, total, start, &pods, known_nowhere(ctx))
    };
    let write = |(pod, placement): (&Arc<Object>, Placement)| {
        let Body::Pod { status, .. } = &pod.body else { return (ObjectKey::of(pod), Reconciled::nothing()) };
        // The pod is copied only when its status changes (a pod still unschedulable for the same
        // reasons, retried again, only gets an event).
        let with_status = |f: &dyn Fn(&mut crate::api::pod::PodRuntime)| {
            let mut updated = (**pod).clone();
            if let Body::Pod { status, .. } = &mut updated.body {
                f(status);
            }
            Write::UpdateStatus(Box::new(updated))
        };
        let mut writes = Vec::new();
        match placement {
            Placement::Bound(i) => {
                let node = &nodes[i];
                writes.push(with_status(&|rt| {
                    rt.node_name = Some((*node.name).clone());
                    rt.set_message(None);
                    rt.set_condition(ConditionType::PodScheduled, true, None, ctx.now);
                }));
                if ctx.events {
                    writes.push(Write::Event(Box::new(EventRecord::about(
                        pod,
                        COMPONENT,
                        false,
                        "Scheduled",
                        format!("Successfully assigned {}/{} to {}", pod.meta.namespace, pod.meta.name, node.name),
                    ))));
                }
            }
            Placement::Unschedulable(reasons, preemption) => {
                let message = unschedulable_message(total, &reasons, &preemption);
                if status.message().map(|m| &**m) != Some(message.as_str())
                    || status.condition(ConditionType::PodScheduled).is_none_or(|c| c.status)
                {
                    writes.push(with_status(&|rt| {
                        rt.set_message(Some(message.clone().into()));
                        rt.set_condition(ConditionType::PodScheduled, false, Some("Unschedulable"), ctx.now);
                    }));
                }
                if ctx.events {
                    writes.push(Write::Event(Box::new(EventRecord::about(
                        pod,
                        COMPONENT,
                        true,
                        "FailedScheduling",
                        message,
                    ))));
                }
            }
        }
        (ObjectKey::of(pod), Reconciled { writes, requeue_at: None })
    };
    let mut out: Vec<(ObjectKey, Reconciled)> = if ctx.parallel {
        pods.par_iter().zip(placements).map(write).collect()
    } else {
        pods.iter().zip(placements).map(write).collect()
    };
    if let Some((_, last)) = out.last_mut() {
        last.writes.push(Write::SchedulerCursor(start));
        if let Some(kept) = nowhere {
            last.writes.push(Write::SchedulerNowhere(Box::new((ctx.nodes.changes, kept))));
        }
    }
    out
}

/// The pod a batch before found no node for, while the nodes are still as its search saw them.
fn known_nowhere<'a>(ctx: &'a Ctx) -> Option<&'a Nowhere> {
    ctx.nodes.nowhere.as_deref().filter(|(seen, _)| *seen == ctx.nodes.changes).map(|(_, n)| n)
}

/// Where the scheduler put a pod, or why it could not.
#[derive(Debug, PartialEq)]
enum Placement {
    /// Index of the chosen node.
    Bound(usize),
    Unschedulable(BTreeMap<String, usize>, BTreeMap<&'static str, usize>),
}

/// Place `pods` one after another (each sees the nodes as the ones before it left them),
/// visiting nodes from the cursor `start`; returns the placements and the cursor after them.
/// The node states are updated with every binding. `total` is the number of nodes the cursor
/// moves over: all of them, of which `nodes` may hold only those the pods are pinned to.
///
/// A pod whose search is the filters and the resource scores alone ([`node_affinity::memoizable`])
/// reads what they said of each node from a [`Memo`] kept for its class of pods alike, so a
/// ReplicaSet's pods each visit their stretch of nodes without filtering and scoring every
/// node in it again: only a node a pod was bound to is looked at afresh.
///
/// `known`: a pod an earlier batch found no node for, the nodes being as it saw them. The
/// returned [`Nowhere`] is the last pod of a batch that bound nothing (for the next batch).
fn place(
    nodes: &mut [NodeState],
    total: usize,
    mut start: usize,
    pods: &[Arc<Object>],
    known: Option<&Nowhere>,
) -> (Vec<Placement>, usize, Option<Nowhere>) {
    let to_find = feasible_nodes_to_find(nodes.len());
    let n = total;
    let advance = |start: usize, visited: usize| if n == 0 { 0 } else { (start + visited) % n };
    let mut out = Vec::with_capacity(pods.len());
    // (Pinned pods' batches hold only the nodes they name, and search those alone.)
    let every_node = n > 0 && nodes.len() == n;
    let mut nowhere: Option<Nowhere> = known.filter(|_| every_node).map(|k| Nowhere { checked: 0, ..k.clone() });
    let mut memo = every_node.then(|| Memo::new(n));
    for pod in pods {
        let Body::Pod { spec, .. } = &pod.body else {
            out.push(Placement::Unschedulable(BTreeMap::new(), BTreeMap::new()));
            continue;
        };
        let (req, nonzero) = pod_requests(spec);
        if let Some(known) = nowhere.as_mut() {
            if known.holds_for(&out, spec, &req, &nonzero) {
                out.push(Placement::Unschedulable(known.reasons.clone(), known.preemption.clone()));
                start = advance(start, known.visited);
                continue;
            }
        }
        let remembered = memo
            .as_mut()
            .filter(|_| node_affinity::memoizable(spec))
            .and_then(|m| m.search(nodes, start, to_find, pod, spec, &req, &nonzero));
        // What found no node is searched in full: the reasons each node failed are worded.
        let (best, visited) = match remembered {
            Some(found) => found,
            None => {
                let (best, reasons, preemption, visited) =
                    node_affinity::search(nodes, n, start, to_find, pod, spec, &req, &nonzero);
                match best {
                    Some(best) => (best, visited),
                    None => {
                        nowhere = Some(Nowhere {
                            spec: spec.clone(),
                            requests: (req, nonzero),
                            reasons: reasons.clone(),
                            preemption: preemption.clone(),
                            visited,
                            checked: out.len() + 1,
                        });
                        out.push(Placement::Unschedulable(reasons, preemption));
                        start = advance(start, visited);
                        continue;
                    }
                }
            }
        };
        let i = best.2;
        nodes[i].take(&req, &nonzero);
        if let Some(m) = memo.as_mut() {
            m.forget(i);
        }
        out.push(Placement::Bound(i));
        start = advance(start, visited);
    }
    // (A binding changed the nodes: what fit nowhere before it may fit now.)
    let kept = nowhere.filter(|_| every_node && !out.iter().any(|p| matches!(p, Placement::Bound(_))));
    (out, start, kept)
}

/// What the filters and the score said of each node for one class of pods that they treat
/// alike (same tolerations, node selector, affinity and requests: see [`filters_alike`]),
/// worked out when a search first reaches the node and forgotten when a pod is bound to it (the
/// only change a batch makes to a node). The nodes are summed up in blocks of [`Memo::BLOCK`]
/// (how many are feasible, the best score), so a search passes a block whole when the stretch
/// it still needs is longer and no node of the block can beat the best found: a pod costs the
/// blocks of its stretch and the nodes that tie for the best, not every node of the stretch.
struct Memo {
    class: Option<(Arc<core::PodSpec>, Resources, Resources)>,
    /// Per node, the generation its score was worked out in; 0: not since it last changed.
    known: Vec<u32>,
    /// Per node, its score for the class, or [`Memo::UNFIT`].
    score: Vec<i64>,
    /// Per block, the generation its summary was made in (0: a node of it changed since).
    summed: Vec<u32>,
    /// Per block, its feasible nodes and their best score ([`Memo::UNFIT`] when none).
    blocks: Vec<(usize, i64)>,
    generation: u32,
}

impl Memo {
    /// (Scores run from 0 to 200.)
    const UNFIT: i64 = i64::MIN;
    const BLOCK: usize = 32;

    fn new(n: usize) -> Memo {
        let blocks = n.div_ceil(Self::BLOCK);
        Memo {
            class: None,
            known: vec![0; n],
            score: vec![0; n],
            summed: vec![0; blocks],
            blocks: vec![(0, Self::UNFIT); blocks],
            generation: 0,
        }
    }

    fn forget(&mut self, node: usize) {
        self.known[node] = 0;
        self.summed[node / Self::BLOCK] = 0;
    }

    /// The node's score for the class, worked out unless known.
    fn score_of(
        &mut self,
        nodes: &[NodeState],
        i: usize,
        spec: &core::PodSpec,
        req: &Resources,
        nonzero: &Resources,
    ) -> i64 {
        if self.known[i] != self.generation {
            self.score[i] = match filter(&nodes[i], spec, req) {
                Ok(()) => score(&nodes[i], nonzero),
                Err(_) => Self::UNFIT,
            };
            self.known[i] = self.generation;
        }
        self.score[i]
    }

    /// Block `b`'s summary, made again if a node of it changed (or the class did).
    fn block(
        &mut self,
        nodes: &[NodeState],
        b: usize,
        spec: &core::PodSpec,
        req: &Resources,
        nonzero: &Resources,
    ) -> (usize, i64) {
        if self.summed[b] != self.generation {
            let (mut feasible, mut best) = (0, Self::UNFIT);
            for i in b * Self::BLOCK..nodes.len().min((b + 1) * Self::BLOCK) {
                let s = self.score_of(nodes, i, spec, req, nonzero);
                if s != Self::UNFIT {
                    feasible += 1;
                    best = best.max(s);
                }
            }
            self.blocks[b] = (feasible, best);
            self.summed[b] = self.generation;
        }
        self.blocks[b]
    }

    /// [`search`] for a pod of the memo's class (it becomes the class when it is not): the
    /// same visit from `start` up to the `to_find`-th feasible node, the same best candidate
    /// and tie-breaks. `None` when no node fits (the caller's full search words why).
    #[allow(clippy::too_many_arguments)]
    fn search(
        &mut self,
        nodes: &[NodeState],
        start: usize,
        to_find: usize,
        pod: &Object,
        spec: &Arc<core::PodSpec>,
        req: &Resources,
        nonzero: &Resources,
    ) -> Option<(Candidate, usize)> {
        let same = self.class.as_ref().is_some_and(|(s, r, z)| filters_alike(spec, s, || (req, nonzero) == (r, z)));
        if !same {
            self.generation = self.generation.wrapping_add(1);
            if self.generation == 0 {
                self.known.fill(0);
                self.summed.fill(0);
                self.generation = 1;
            }
            self.class = Some((spec.clone(), req.clone(), nonzero.clone()));
        }
        let n = nodes.len();
        let start = start % n;
        let pod_draw = pod_draw(pod);
        let (mut best, mut feasible, mut visited): (Option<Candidate>, usize, usize) = (None, 0, 0);
        // As `evaluate_at` ranks them, in visit order: the tie-break draw only where the score
        // can win.
        let consider = |best: &mut Option<Candidate>, s: i64, i: usize| {
            if best.is_none_or(|b| s >= b.0) {
                let cand = (s, splitmix64(nodes[i].draw ^ pod_draw), i);
                if best.is_none_or(|b| better(cand, b)) {
                    *best = Some(cand);
                }
            }
        };
        // The visit: `start` to the end, then round from the first node.
        for (from, to) in [(start, n), (0, start)] {
            let mut i = from;
            while i < to {
                let b = i / Self::BLOCK;
                let end = n.min((b + 1) * Self::BLOCK);
                if i == b * Self::BLOCK && end <= to {
                    let (count, top) = self.block(nodes, b, spec, req, nonzero);
                    // The stretch goes past this block: only its nodes of the best score can win.
                    if feasible + count < to_find {
                        if count > 0 && best.is_none_or(|b| top >= b.0) {
                            for k in i..end {
                                if self.score[k] == top {
                                    consider(&mut best, top, k);
                                }
                            }
                        }
                        feasible += count;
                        visited += end - i;
                        i = end;
                        continue;
                    }
                }
                // Part of a block, or the block the stretch ends in: node by node.
                for k in i..end.min(to) {
                    visited += 1;
                    let s = self.score_of(nodes, k, spec, req, nonzero);
                    if s == Self::UNFIT {
                        continue;
                    }
                    feasible += 1;
                    consider(&mut best, s, k);
                    if feasible == to_find {
                        return best.map(|b| (b, visited));
                    }
                }
                i = end.min(to);
            }
        }
        best.map(|b| (b, visited))
    }
}

fn constrained(spec: &core::PodSpec) -> bool {
    pod_affinity::has_terms(spec) || topology_spread::has_constraints(spec)
}

/// [`place`] for a batch with pod (anti-)affinity or topology spread constraints: one pod at a
/// time (nothing of a search remembered for the next pod), each seeing the pods bound before the batch and those the batch
/// placed before it. The filters run in the default profile's order (resources, then
/// PodTopologySpread, then InterPodAffinity); their scores (weight 2 each) add to the others.
fn place_constrained(
    ctx: &Ctx,
    nodes: &mut [NodeState],
    mut start: usize,
    pods: &[Arc<Object>],
) -> (Vec<Placement>, usize) {
    let n = nodes.len();
    let to_find = feasible_nodes_to_find(n);
    // Every node's pods that hold their place, then the batch's as it places them.
    let mut on_node: Vec<Vec<Arc<Object>>> = nodes
        .iter()
        .map(|node| ctx.pods_on(node.name).iter().filter(|p| topology_spread::holds_place(p)).cloned().collect())
        .collect();
    let mut with_terms = ctx.nodes.affinity_pods;
    let ns_labels = |ns: &str| ctx.store.lookup(crate::api::Kind::Namespace, "", ns).map(|o| o.meta.labels.clone());
    let mut out = Vec::with_capacity(pods.len());
    let mut terms = pod_affinity::TermCache::default();
    for pod in pods {
        let Body::Pod { spec, .. } = &pod.body else {
            out.push(Placement::Unschedulable(BTreeMap::new(), BTreeMap::new()));
            continue;
        };
        let (req, nonzero) = pod_requests(spec);
        if n == 0 || (with_terms == 0 && !constrained(spec)) {
            let (best, reasons, preemption, visited) =
                node_affinity::search(nodes, n, start, to_find, pod, spec, &req, &nonzero);
            start = if n == 0 { 0 } else { (start + visited) % n };
            match best {
                Some((_, _, i)) => {
                    nodes[i].take(&req, &nonzero);
                    on_node[i].push(pod.clone());
                    out.push(Placement::Bound(i));
                }
                None => out.push(Placement::Unschedulable(reasons, preemption)),
            }
            continue;
        }
        let placed = || {
            on_node.iter().zip(nodes.iter()).flat_map(|(ps, node)| {
                ps.iter().map(move |p| pod_affinity::Placed {
                    pod: p,
                    node_name: node.name,
                    node_labels: &node.info.labels,
                })
            })
        };
        // A pod without terms of its own hears only from the placed pods that have some.
        let own_terms = pod_affinity::has_terms(spec);
        let affinity = (with_terms > 0 || own_terms).then(|| {
            let relevant = placed().filter(|p| {
                own_terms || matches!(&p.pod.body, Body::Pod { spec, .. } if pod_affinity::has_terms(spec))
            });
            pod_affinity::Affinity::new(pod, relevant, &ns_labels, &mut terms)
        });
        let spread = topology_spread::has_constraints(spec).then(|| {
            topology_spread::Spread::new(pod, spec, nodes.iter().map(|n| (&**n.name, &*n.info.labels)), placed())
        });
        let (mut reasons, mut preemption) = (BTreeMap::new(), BTreeMap::new());
        // upstream: the NodeAffinity PreFilter — a pod whose terms all name nodes visits only
        // those (see node_affinity::search).
        let candidates: Option<Vec<usize>> = match node_affinity::pre_filter(spec) {
            node_affinity::PreFilter::AllNodes => None,
            node_affinity::PreFilter::Conflict => {
                reasons.insert(node_affinity::ERR_REASON_CONFLICT.to_string(), 0);
                preemption.insert(NOT_HELPFUL, n);
                out.push(Placement::Unschedulable(reasons, preemption));
                continue;
            }
            node_affinity::PreFilter::Nodes(names) => {
                Some(names.iter().filter_map(|name| nodes.binary_search_by(|s| (**s.name).cmp(name)).ok()).collect())
            }
        };
        let visit: Vec<usize> = match &candidates {
            None => round_from(n, start, n).collect(),
            Some(c) if c.is_empty() => Vec::new(),
            Some(c) => (0..c.len()).map(|k| c[(start % c.len() + k) % c.len()]).collect(),
        };
        let mut feasible: Vec<(usize, usize)> = Vec::new(); // (node, position in the visit)
        let mut visited = 0;
        for i in visit {
            if feasible.len() >= to_find {
                break;
            }
            visited += 1;
            let node = &nodes[i];
            let unfit = match filter(node, spec, &req) {
                Err((why, resources)) => Some((why.iter().flatten().map(|u| u.message()).collect(), resources)),
                Ok(()) => spread
                    .as_ref()
                    .map_or(Ok(()), |s| s.filter(&node.info.labels))
                    .and_then(|()| affinity.as_ref().map_or(Ok(()), |a| a.filter(&node.info.labels)))
                    .err()
                    .map(|(why, resolvable)| (vec![why.to_string()], resolvable)),
            };
            match unfit {
                None => feasible.push((i, visited - 1)),
                Some((why, resolvable)) => {
                    for w in why {
                        *reasons.entry(w).or_insert(0) += 1;
                    }
                    *preemption.entry(if resolvable { NO_VICTIMS } else { NOT_HELPFUL }).or_insert(0) += 1;
                }
            }
        }
        start = if n == 0 { 0 } else { (start + visited) % n };
        if feasible.is_empty() {
            if let Some(c) = candidates.as_ref().filter(|c| c.len() < n) {
                reasons.insert(node_affinity::ERR_REASON_PREFILTER.to_string(), n - c.len());
                *preemption.entry(NOT_HELPFUL).or_default() += n - c.len();
            }
            out.push(Placement::Unschedulable(reasons, preemption));
            continue;
        }
        let labels: Vec<&crate::api::meta::StringMap> = feasible.iter().map(|&(i, _)| &*nodes[i].info.labels).collect();
        let mut affinity_scores: Vec<i64> = match &affinity {
            Some(a) if a.scores() => labels.iter().map(|l| a.raw_score(l)).collect(),
            _ => vec![0; feasible.len()],
        };
        pod_affinity::normalize(&mut affinity_scores);
        let spread_scores = match &spread {
            Some(s) if s.scores() => s.normalized_scores(spec, &labels, placed()),
            _ => vec![0; feasible.len()],
        };
        // upstream: the NodeAffinity Score over the feasible nodes (preferred terms).
        let preferred: Vec<i64> = feasible
            .iter()
            .map(|&(i, _)| node_affinity::preferred_score(spec, nodes[i].name, &nodes[i].info.labels))
            .collect();
        let max_preferred = preferred.iter().copied().max().unwrap_or(0);
        let pod_draw = pod_draw(pod);
        let mut best: Option<Candidate> = None;
        for (k, &(i, _)) in feasible.iter().enumerate() {
            let total = score(&nodes[i], &nonzero)
                + 2 * affinity_scores[k]
                + 2 * spread_scores[k]
                + node_affinity::weighted(preferred[k], max_preferred);
            let cand = (total, splitmix64(nodes[i].draw ^ pod_draw), i);
            if best.is_none_or(|b| better(cand, b)) {
                best = Some(cand);
            }
        }
        let Some((_, _, i)) = best else { continue };
        nodes[i].take(&req, &nonzero);
        on_node[i].push(pod.clone());
        with_terms += i64::from(pod_affinity::has_terms(spec));
        out.push(Placement::Bound(i));
    }
    (out, start)
}

/// The last pod that fit no node. While nothing has been bound since, the nodes are as it saw
/// them, so a pod the filters treat alike (see [`filters_alike`]) fits nowhere either, for the same
/// reasons, after visiting as many nodes: a queue of pending pods alike costs one search, not
/// one per pod, when nothing frees up for them.
#[derive(Clone, Debug)]
pub struct Nowhere {
    spec: Arc<core::PodSpec>,
    requests: (Resources, Resources),
    reasons: BTreeMap<String, usize>,
    preemption: BTreeMap<&'static str, usize>,
    visited: usize,
    /// Placements up to here are known to hold no binding since this one.
    checked: usize,
}

impl Nowhere {
    /// Whether a pod with this spec and these requests, placed after `out`, fits nowhere for
    /// the same reasons (each placement is looked at once over all the calls).
    fn holds_for(
        &mut self,
        out: &[Placement],
        spec: &Arc<core::PodSpec>,
        req: &Resources,
        nonzero: &Resources,
    ) -> bool {
        if self.checked == usize::MAX {
            return false;
        }
        if out[self.checked.min(out.len())..].iter().any(|p| matches!(p, Placement::Bound(_))) {
            self.checked = usize::MAX; // a binding changed the nodes: never again
            return false;
        }
        self.checked = self.checked.max(out.len());
        filters_alike(spec, &self.spec, || (req, nonzero) == (&self.requests.0, &self.requests.1))
    }
}

/// Node indexes `start`, `start + 1`, … round the end of a list of `n`, `count` of them (at
/// most `n`).
pub(super) fn round_from(n: usize, start: usize, count: usize) -> impl Iterator<Item = usize> {
    let first = start..n.min(start + count);
    let second = 0..(start + count).saturating_sub(n);
    first.chain(second)
}

/// Whether the filters treat two pods alike: the same spec, or the same tolerations, node
/// selector, affinity and requests (`same_requests`, asked last: it may have to work them out).
fn filters_alike(a: &Arc<core::PodSpec>, b: &Arc<core::PodSpec>, same_requests: impl FnOnce() -> bool) -> bool {
    Arc::ptr_eq(a, b)
        || (a.tolerations == b.tolerations
            && a.node_selector == b.node_selector
            && a.affinity == b.affinity
            && same_requests())
}

pub(super) fn pod_draw(pod: &Object) -> u64 {
    splitmix64(pod.meta.uid.0 as u64 ^ (pod.meta.uid.0 >> 64) as u64)
}

/// A feasible node's rank: score, then a tie-break drawn from the pod's uid and the node's name
/// (so ties do not go by list order), then its position.
pub(super) type Candidate = (i64, u64, usize);

/// What one stretch of the node list says about a pod.
#[derive(Default)]
pub(super) struct Window<'a> {
    pub(super) feasible: usize,
    pub(super) best: Option<Candidate>,
    /// Each reason with the number of nodes that gave it (a handful of reasons).
    reasons: Vec<(Unfit<'a>, usize)>,
    /// Nodes failing on resources (preemption could free them) and on anything else: counted
    /// here, worded by [`Window::preemption`] (a node visited costs no map update).
    no_victims: usize,
    not_helpful: usize,
}

impl<'a> Window<'a> {
    fn count(&mut self, reason: Unfit<'a>, n: usize) {
        match self.reasons.iter_mut().find(|(r, _)| *r == reason) {
            Some((_, count)) => *count += n,
            None => self.reasons.push((reason, n)),
        }
    }

    /// Fold in a later stretch: the earlier candidate wins a full tie, as in one sequential pass.
    pub(super) fn merge(mut self, later: Window<'a>) -> Window<'a> {
        self.feasible += later.feasible;
        if let Some(c) = later.best {
            if self.best.is_none_or(|b| better(c, b)) {
                self.best = Some(c);
            }
        }
        for (r, n) in later.reasons {
            self.count(r, n);
        }
        self.no_victims += later.no_victims;
        self.not_helpful += later.not_helpful;
        self
    }

    /// The preemption verdicts as upstream words them, with the number of nodes of each.
    pub(super) fn preemption(&self) -> BTreeMap<&'static str, usize> {
        [(NO_VICTIMS, self.no_victims), (NOT_HELPFUL, self.not_helpful)].into_iter().filter(|(_, n)| *n > 0).collect()
    }

    /// The reasons as upstream's FitError counts them, by message.
    pub(super) fn messages(&self) -> BTreeMap<String, usize> {
        let mut out: BTreeMap<String, usize> = BTreeMap::new();
        for (r, n) in &self.reasons {
            *out.entry(r.message()).or_default() += n;
        }
        out
    }
}

pub(super) fn better(c: Candidate, b: Candidate) -> bool {
    (c.0, std::cmp::Reverse(c.1)) > (b.0, std::cmp::Reverse(b.1))
}

/// Filter and score the nodes at `positions` (indexes into `nodes`), in order.
fn evaluate<'a>(
    nodes: &[NodeState<'a>],
    positions: std::ops::Range<usize>,
    pod: &Object,
    spec: &core::PodSpec,
    req: &Resources,
    nonzero: &Resources,
) -> Window<'a> {
    let n = nodes.len();
    // The positions run round the end of the list at most once.
    evaluate_at(nodes, round_from(n, positions.start % n, positions.end - positions.start), pod, spec, req, nonzero)
}

/// Filter and score the nodes at these indexes, in order.
pub(super) fn evaluate_at<'a>(
    nodes: &[NodeState<'a>],
    indexes: impl Iterator<Item = usize>,
    pod: &Object,
    spec: &core::PodSpec,
    req: &Resources,
    nonzero: &Resources,
) -> Window<'a> {
    let mut w = Window::default();
    let pod_draw = pod_draw(pod);
    for i in indexes {
        let node = &nodes[i];
        match filter(node, spec, req) {
            Ok(()) => {
                w.feasible += 1;
                let score = score(node, nonzero);
                // The tie-break hash only matters when the score can win.
                if w.best.is_none_or(|b| score >= b.0) {
                    let cand = (score, splitmix64(node.draw ^ pod_draw), i);
                    if w.best.is_none_or(|b| better(cand, b)) {
                        w.best = Some(cand);
                    }
                }
            }
            Err((why, resources)) => {
                for r in why.into_iter().flatten() {
                    w.count(r, 1);
                }
                if resources {
                    w.no_victims += 1;
                } else {
                    w.not_helpful += 1;
                }
            }
        }
    }
    w
}

/// upstream: findNodesThatPassFilters — visit nodes from `start` round the list until `to_find`
/// feasible ones are found, then take the best scored. Each stretch is only as long as the
/// feasible nodes still wanted, so no node past the last one needed is looked at.
pub(super) fn search(
    nodes: &[NodeState],
    start: usize,
    to_find: usize,
    pod: &Object,
    spec: &core::PodSpec,
    req: &Resources,
    nonzero: &Resources,
) -> (Option<Candidate>, BTreeMap<String, usize>, BTreeMap<&'static str, usize>, usize) {
    let mut total = Window::default();
    let mut visited = 0;
    while total.feasible < to_find && visited < nodes.len() {
        let want = (to_find - total.feasible).min(nodes.len() - visited);
        let from = start + visited;
        let w = evaluate(nodes, from..from + want, pod, spec, req, nonzero);
        visited += want;
        total = total.merge(w);
    }
    // (What failed is worded only when nothing fits: a placed pod's caller reads neither.)
    let (reasons, preemption) =
        if total.best.is_some() { Default::default() } else { (total.messages(), total.preemption()) };
    (total.best, reasons, preemption, visited)
}

/// upstream: FitError.Error — `0/3 nodes are available: 3 Insufficient cpu. preemption: …`
pub fn unschedulable_message(
    total: usize,
    reasons: &BTreeMap<String, usize>,
    preemption: &BTreeMap<&'static str, usize>,
) -> String {
    if total == 0 {
        return "no nodes available to schedule pods".into();
    }
    // upstream: sortReasonsHistogram — the `<count> <reason>` strings, sorted as strings. (A
    // count of 0 is a PreFilter's message, said once rather than per node.)
    let join = |mut items: Vec<String>| {
        items.sort();
        items.join(", ")
    };
    let main = join(reasons.iter().map(|(r, n)| if *n == 0 { r.clone() } else { format!("{n} {r}") }).collect());
    let pre = join(preemption.iter().map(|(r, n)| format!("{n} {r}")).collect());
    format!("0/{total} nodes are available: {main}. preemption: 0/{total} nodes are available: {pre}.")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::meta::{Meta, Uid};
    use proptest::prelude::*;

    /// A pod of `class`: 0 plain, 1 tolerating the taint `k`, 2 requiring `zone=a`, 3 preferring
    /// `zone=a` (a search the scheduler does not remember); otherwise as [`pod_requesting`].
    fn pod_of_class(cpu: i64, uid: u128, class: u8) -> Arc<Object> {
        let mut pod = Arc::unwrap_or_clone(pod_requesting(cpu, uid));
        let Body::Pod { spec, .. } = &mut pod.body else { unreachable!() };
        let spec = Arc::make_mut(spec);
        let zone_a = || core::NodeSelectorTerm {
            match_expressions: Some(vec![core::NodeSelectorRequirement {
                key: "zone".into(),
                operator: "In".into(),
                values: Some(vec!["a".into()]),
            }]),
            ..Default::default()
        };
        match class {
            1 => {
                spec.tolerations = Some(vec![core::Toleration {
                    key: Some("k".into()),
                    operator: Some("Exists".into()),
                    ..Default::default()
                }])
            }
            2 => {
                spec.affinity = Some(core::Affinity {
                    node_affinity: Some(core::NodeAffinity {
                        required_during_scheduling_ignored_during_execution: Some(core::NodeSelector {
                            node_selector_terms: vec![zone_a()],
                        }),
                        ..Default::default()
                    }),
                    ..Default::default()
                })
            }
            3 => {
                spec.affinity = Some(core::Affinity {
                    node_affinity: Some(core::NodeAffinity {
                        preferred_during_scheduling_ignored_during_execution: Some(vec![
                            core::PreferredSchedulingTerm { weight: 5, preference: zone_a() },
                        ]),
                        ..Default::default()
                    }),
                    ..Default::default()
                })
            }
            _ => {}
        }
        Arc::new(pod)
    }

    /// A pod requesting `cpu` millicores (none when 0), tolerating nothing.
    fn pod_requesting(cpu: i64, uid: u128) -> Arc<Object> {
        let mut spec = core::PodSpec::default();
        let mut container = core::Container { name: "c".into(), ..Default::default() };
        if cpu > 0 {
            let q = k8s_openapi::apimachinery::pkg::api::resource::Quantity(format!("{cpu}m"));
            container.resources = Some(core::ResourceRequirements {
                requests: Some([("cpu".to_string(), q)].into()),
                ..Default::default()
            });
        }
        spec.containers.push(container);
        let meta = Meta { name: format!("p{uid}").into(), uid: Uid(uid), ..Default::default() };
        Arc::new(Object { meta, body: Body::Pod { spec: Arc::new(spec), status: Default::default() } })
    }

    /// The queue's head as a search per pod would find it: every pending pod among `keys` joins
    /// the queue, then the first `cap` still pending (and under the same place) leave it.
    fn queue_head_by_search(
        store: &crate::store::Store,
        queue: &mut std::collections::BTreeSet<QueueKey>,
        keys: &mut Vec<ObjectKey>,
        cap: usize,
    ) {
        let pending = |p: &&Arc<Object>| is_active(p) && node_of(p).is_none();
        for k in keys.drain(..) {
            if let Some(p) = store.get_by_key(&k).filter(pending) {
                queue.insert(QueueKey::of(p));
            }
        }
        while keys.len() < cap {
            let Some(next) = queue.pop_first() else { break };
            if store.get_by_key(&next.key).filter(pending).is_some_and(|p| next.holds(p)) {
                keys.push(next.key);
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        /// The queue's head merged from a round's keys equals a search per pod, through pods of
        /// two priorities in two namespaces made at a few instants, some bound, some gone, some
        /// queued under an older place (made anew since, or at another priority), with more or
        /// fewer keys than the cap, in key order or not, some twice.
        #[test]
        fn queue_head_merges_as_a_search_per_pod_would(
            pods in proptest::collection::vec((0u8..2, 0i64..4, 0u8..7, any::<bool>(), 0u8..3, any::<bool>()), 1..120),
            cap in 1usize..40,
            shuffled in any::<bool>(),
        ) {
            let mut store = crate::store::Store::new(0);
            for ns in ["default", "b"] {
                let ns = serde_json::json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}});
                store.create(Object::decode(ns).unwrap(), 0).unwrap();
            }
            let (mut queue, mut keys) = (std::collections::BTreeSet::new(), Vec::new());
            for (i, &(high, created, state, queued, marked, other_ns)) in pods.iter().enumerate() {
                let mut pod = Arc::unwrap_or_clone(pod_requesting(0, i as u128 + 1));
                pod.meta.namespace = if other_ns { "b" } else { "default" }.into();
                let Body::Pod { spec, .. } = &mut pod.body else { unreachable!() };
                let spec = Arc::make_mut(spec);
                spec.priority = Some(if high == 1 { 1000 } else { 0 });
                if state == 0 {
                    spec.node_name = Some("n1".into());
                }
                let key = ObjectKey::of(&pod);
                let made = created * 1000;
                if state != 1 {
                    store.create(pod.clone(), made).unwrap();
                }
                if queued {
                    // (State 2: queued when an earlier pod of its name was made; state 3: queued
                    // at another priority.)
                    let mut then = pod;
                    then.meta.creation_timestamp = if state == 2 { made - 500 } else { made };
                    if state == 3 {
                        let Body::Pod { spec, .. } = &mut then.body else { unreachable!() };
                        Arc::make_mut(spec).priority = Some(if high == 1 { 0 } else { 1000 });
                    }
                    queue.insert(QueueKey::of(&then));
                }
                for _ in 0..marked {
                    keys.push(key.clone());
                }
            }
            if shuffled {
                keys.reverse();
            } else {
                keys.sort();
                keys.dedup();
            }
            let (mut want_queue, mut want_keys) = (queue.clone(), keys.clone());
            queue_head_by_search(&store, &mut want_queue, &mut want_keys, cap);
            queue_head(&store, &mut queue, &mut keys, cap);
            prop_assert_eq!(&keys, &want_keys);
            prop_assert_eq!(&queue, &want_queue);
        }

        /// Runs of pods alike, placed with what the filters and scores said of each node
        /// remembered (through nodes filling up, taints, zones and scarce cpu, with runs of
        /// other classes and of pods searched in full in between), go where each pod's own
        /// full search sends it, and leave the same cursor and nodes.
        #[test]
        fn remembered_placement_matches_a_full_search_per_pod(
            node_specs in prop::collection::vec((2i64..9, 0i64..60, 0i64..20, 0u8..100), 1..400),
            runs in prop::collection::vec(
                (prop_oneof![Just(0i64), 50i64..400], 1usize..200, any::<u64>(), 0u8..4),
                0..8,
            ),
            (room, taints) in prop_oneof![Just((60, 0)), Just((6, 0)), Just((60, 2)), Just((60, 40))],
            start in 0usize..1000,
            splits in prop::collection::vec(any::<prop::sample::Index>(), 0..4),
        ) {
            // `room`: pods a node takes beyond what it holds (below ~2, nodes fill up);
            // `taints`: percent of nodes with a taint no pod tolerates.
            let node_specs: Vec<(i64, i64, i64, bool)> =
                node_specs.iter().map(|&(cpus, r, held, t)| (cpus, held + r % room, held, t < taints)).collect();
            let names: Vec<Arc<str>> = (0..node_specs.len()).map(|i| format!("node-{i}").into()).collect();
            let infos: Vec<NodeInfo> = node_specs
                .iter()
                .enumerate()
                .map(|(i, &(cpus, max_pods, _, tainted))| NodeInfo {
                    labels: Arc::new([("zone".to_string(), if i % 3 == 0 { "a" } else { "b" }.to_string())].into_iter().collect()),
                    taints: if tainted {
                        vec![core::Taint { key: "k".into(), effect: "NoSchedule".into(), ..Default::default() }]
                    } else {
                        Vec::new()
                    },
                    unschedulable: false,
                    allocatable: Resources { cpu: i128::from(cpus) * 1000, memory: 1 << 50 },
                    max_pods,
                    pod_cidr: None,
                    draw: 0,
                })
                .collect();
            let states = || -> Vec<NodeState> {
                names
                    .iter()
                    .zip(&infos)
                    .zip(&node_specs)
                    .map(|((name, info), &(_, _, held, _))| NodeState {
                        name,
                        info,
                        draw: stable_hash(0, &[name.as_bytes()]),
                        requested: Resources { cpu: i128::from(held) * 50, memory: 0 },
                        nonzero: Resources {
                            cpu: i128::from(held) * 100,
                            memory: i128::from(held) * DEFAULT_MEMORY_MILLI,
                        },
                        pods: held.min(info.max_pods),
                    })
                    .collect()
            };
            // Runs of pods alike (as a ReplicaSet makes them), each with its own uid.
            let pods: Vec<Arc<Object>> = runs
                .iter()
                // (Every third pod of a run is plain: pods asking alike but filtered apart follow
                // one another.)
                .flat_map(|&(cpu, len, hi, class)| {
                    (0..len).map(move |i| (cpu, (hi as u128) << 64 | i as u128, if i % 3 == 2 { 0 } else { class }))
                })
                .map(|(cpu, uid, class)| pod_of_class(cpu, uid, class))
                .collect();
            let start = start % names.len();
            // In batches (split at `splits`), each handed what the batch before found nowhere
            // for, as the engine keeps it: only after a batch that bound nothing.
            let mut remembered = states();
            let mut cuts: Vec<usize> = splits.iter().map(|i| i.index(pods.len() + 1)).collect();
            cuts.extend([0, pods.len()]);
            cuts.sort_unstable();
            let (mut got, mut got_cursor, mut kept) = (Vec::new(), start, None);
            for w in cuts.windows(2) {
                let batch = place(&mut remembered, names.len(), got_cursor, &pods[w[0]..w[1]], kept.as_ref());
                got.extend(batch.0);
                got_cursor = batch.1;
                kept = batch.2;
            }
            // Against every pod searched afresh (no reuse of a search that found nothing).
            let mut plain = states();
            let (mut cursor, mut fresh) = (start, Vec::new());
            for pod in &pods {
                let Body::Pod { spec, .. } = &pod.body else { unreachable!() };
                let (req, nonzero) = pod_requests(spec);
                let to_find = feasible_nodes_to_find(plain.len());
                let (best, reasons, preemption, visited) =
                    node_affinity::search(&plain, plain.len(), cursor, to_find, pod, spec, &req, &nonzero);
                fresh.push(match best {
                    Some((_, _, i)) => {
                        plain[i].take(&req, &nonzero);
                        Placement::Bound(i)
                    }
                    None => Placement::Unschedulable(reasons, preemption),
                });
                cursor = (cursor + visited) % plain.len();
            }
            prop_assert_eq!(got, fresh);
            prop_assert_eq!(got_cursor, cursor);
            let left = |v: &[NodeState]| v.iter().map(|n| (n.requested.clone(), n.nonzero.clone(), n.pods)).collect::<Vec<_>>();
            prop_assert_eq!(left(&remembered), left(&plain));
        }
    }

    /// A pod that fits nowhere is not searched again for the next pod alike, unless something
    /// was bound in between (then the reasons can differ: here a node filled up its pod slots).
    #[test]
    fn a_search_that_found_nothing_is_reused_only_while_nothing_was_bound() {
        let names: Vec<Arc<str>> = vec!["node-0".into(), "node-1".into()];
        let info = |max_pods| NodeInfo {
            labels: Default::default(),
            taints: Vec::new(),
            unschedulable: false,
            allocatable: Resources { cpu: 1000, memory: 1 << 50 },
            max_pods,
            pod_cidr: None,
            draw: 0,
        };
        let infos = [info(2), info(110)];
        let states = || -> Vec<NodeState> {
            names
                .iter()
                .zip(&infos)
                .map(|(name, info)| NodeState {
                    name,
                    info,
                    draw: stable_hash(0, &[name.as_bytes()]),
                    requested: Resources::default(),
                    nonzero: Resources::default(),
                    pods: 1,
                })
                .collect()
        };
        let mut nodes = states();
        let big = |uid| pod_requesting(2000, uid);
        let pods = [big(1), big(2), pod_requesting(0, 3), pod_requesting(0, 4), big(5)];
        let n = nodes.len();
        let (placements, ..) = place(&mut nodes, n, 0, &pods, None);
        let cpu_only = BTreeMap::from([("Insufficient cpu".to_string(), 2)]);
        let unschedulable = |p: &Placement| match p {
            Placement::Unschedulable(reasons, _) => Some(reasons.clone()),
            Placement::Bound(_) => None,
        };
        assert_eq!(unschedulable(&placements[0]), Some(cpu_only.clone()));
        assert_eq!(unschedulable(&placements[1]), Some(cpu_only));
        assert!(placements[2..4].iter().all(|p| matches!(p, Placement::Bound(_))));
        let full = BTreeMap::from([("Insufficient cpu".to_string(), 2), ("Too many pods".to_string(), 1)]);
        assert_eq!(unschedulable(&placements[4]), Some(full), "node-0 took its last pod in between");

        // In batches: one that bound nothing hands on its last pod that fit nowhere, and the
        // next places as one batch would; one that bound a pod hands on nothing.
        let mut batched = states();
        let (first, cursor, kept) = place(&mut batched, n, 0, &pods[..2], None);
        assert_eq!(first, placements[..2]);
        let kept = kept.expect("a batch that bound nothing hands on what fit nowhere");
        assert_eq!(kept.reasons, BTreeMap::from([("Insufficient cpu".to_string(), 2)]));
        let (rest, _, after) = place(&mut batched, n, cursor, &pods[2..], Some(&kept));
        assert_eq!(rest, placements[2..]);
        assert!(after.is_none(), "a batch that bound pods hands nothing on");
        // What is handed on is what the next batch's first pod alike is told, unsearched (a
        // made-up reason shows it), and only until a pod is bound.
        let told = Nowhere { reasons: BTreeMap::from([("(handed on)".to_string(), 2)]), ..kept };
        let alike = [big(6), pod_requesting(0, 7), big(8)];
        let (got, ..) = place(&mut states(), n, 0, &alike, Some(&told));
        assert_eq!(unschedulable(&got[0]), Some(told.reasons.clone()));
        assert!(matches!(got[1], Placement::Bound(_)));
        let searched = unschedulable(&got[2]).expect("a 2-cpu pod fits no node");
        assert!(searched.contains_key("Insufficient cpu"), "a pod was bound in between: searched again");
    }

    #[test]
    fn fit_error_message_is_worded_like_upstream() {
        let reasons = BTreeMap::from([("Insufficient cpu".to_string(), 3)]);
        let pre = BTreeMap::from([("No preemption victims found for incoming pod", 3)]);
        assert_eq!(
            unschedulable_message(3, &reasons, &pre),
            "0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod."
        );
    }

    #[test]
    fn scores_follow_upstream_least_allocated_and_balanced_allocation() {
        const MI: i128 = 1024 * 1024 * 1000; // milli-bytes
        let info = NodeInfo {
            labels: Default::default(),
            taints: Vec::new(),
            unschedulable: false,
            allocatable: Resources { cpu: 4000, memory: 16 * 1024 * MI },
            max_pods: 110,
            pod_cidr: None,
            draw: 0,
        };
        let name: Arc<str> = "node-1".into();
        // (already requested cpu m, memory Mi; the pod's non-zero request cpu m, memory Mi; score)
        let cases = [
            // least: (3900·100/4000 = 97 + 16184·100/16384 = 98) / 2 = 97; balanced: 99.36 → 99.
            // (Float arithmetic for the first part would give 98.1 + 99.4 = 197.)
            (0, 0, 100, 200, 196),
            // least: (1900·100/4000 = 47 + 7992·100/16384 = 48) / 2 = 47; balanced:
            // |0.525 − 0.5122| / 2 → 99.36 → 99.
            (2000, 8192, 100, 200, 146),
            // cpu over capacity: that half of least-allocated is 0 and its fraction caps at 1:
            // least (0 + 100) / 2 = 50; balanced (1 − |1 − 0| / 2) · 100 = 50.
            (4000, 0, 500, 0, 100),
        ];
        for (cpu, mem, pod_cpu, pod_mem, want) in cases {
            let node = NodeState {
                name: &name,
                info: &info,
                draw: 0,
                requested: Resources::default(),
                nonzero: Resources { cpu, memory: mem * MI },
                pods: 0,
            };
            let got = score(&node, &Resources { cpu: pod_cpu, memory: pod_mem * MI });
            assert_eq!(got, want, "requested {cpu}m/{mem}Mi, pod {pod_cpu}m/{pod_mem}Mi");
        }
    }

    #[test]
    fn tolerations_match_like_upstream() {
        let taint = core::Taint {
            key: "gpu".into(),
            value: Some("true".into()),
            effect: "NoSchedule".into(),
            ..Default::default()
        };
        let t = |key: Option<&str>, op: Option<&str>, value: Option<&str>, effect: Option<&str>| core::Toleration {
            key: key.map(Into::into),
            operator: op.map(Into::into),
            value: value.map(Into::into),
            effect: effect.map(Into::into),
            toleration_seconds: None,
        };
        assert!(tolerates(&[t(Some("gpu"), Some("Equal"), Some("true"), None)], &taint));
        assert!(tolerates(&[t(Some("gpu"), Some("Exists"), None, Some("NoSchedule"))], &taint));
        assert!(tolerates(&[t(None, Some("Exists"), None, None)], &taint));
        assert!(!tolerates(&[t(Some("gpu"), None, Some("false"), None)], &taint));
        assert!(!tolerates(&[t(Some("gpu"), Some("Exists"), None, Some("NoExecute"))], &taint));
        assert!(!tolerates(&[], &taint));
    }
}
