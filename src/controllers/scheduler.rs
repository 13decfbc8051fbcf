//! The scheduler (`kube-scheduler`, default profile, simplified): filter nodes by
//! unschedulable, taints, nodeSelector and resources; score by least-allocated and balanced
//! allocation; bind. Pods are scheduled one at a time, so it runs serially.

use std::collections::BTreeMap;
use std::sync::Arc;

use k8s_openapi::api::core::v1 as core;

use super::replicaset::{is_active, node_of};
use super::{Ctx, EventRecord, Reconciled, Write};
use crate::api::pod::ConditionType;
use crate::api::quantity::parse_milli;
use crate::api::{Body, Object};
use crate::sim::rng::{splitmix64, stable_hash};
use crate::store::ObjectKey;

const COMPONENT: &str = "default-scheduler";
/// upstream: scheduler util — what a container without requests counts as when scoring.
const DEFAULT_MILLI_CPU: i64 = 100;
const DEFAULT_MEMORY_MILLI: i64 = 200 * 1024 * 1024 * 1000;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Resources {
    /// Millicores.
    pub cpu: i64,
    /// Milli-bytes (Quantity.MilliValue of memory).
    pub memory: i64,
}

/// Requests of a pod (sum over containers), and the non-zero variant used for scoring.
pub fn pod_requests(spec: &core::PodSpec) -> (Resources, Resources) {
    let mut real = Resources::default();
    let mut nonzero = Resources::default();
    for c in &spec.containers {
        let req = c.resources.as_ref().and_then(|r| r.requests.as_ref());
        let get = |name: &str| req.and_then(|r| r.get(name)).and_then(|q| parse_milli(&q.0)).map(clamp_i64);
        let cpu = get("cpu");
        let mem = get("memory");
        real.cpu += cpu.unwrap_or(0);
        real.memory += mem.unwrap_or(0);
        nonzero.cpu += cpu.filter(|v| *v > 0).unwrap_or(DEFAULT_MILLI_CPU);
        nonzero.memory += mem.filter(|v| *v > 0).unwrap_or(DEFAULT_MEMORY_MILLI);
    }
    (real, nonzero)
}

struct NodeState<'a> {
    name: &'a Arc<str>,
    info: &'a NodeInfo,
    /// The node's half of the tie-break draw (hashed once per batch, not once per pod).
    draw: u64,
    requested: Resources,
    nonzero: Resources,
    pods: i64,
}

fn clamp_i64(v: i128) -> i64 {
    v.clamp(i64::MIN as i128, i64::MAX as i128) as i64
}

/// What the scheduler needs of a Node object, parsed once per change of the node.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeInfo {
    pub labels: Arc<crate::api::meta::StringMap>,
    pub taints: Vec<core::Taint>,
    pub unschedulable: bool,
    pub allocatable: Resources,
    pub max_pods: i64,
}

impl NodeInfo {
    pub fn of(n: &Object) -> Option<NodeInfo> {
        let Body::Node { spec, status } = &n.body else { return None };
        let alloc = status.allocatable.as_ref();
        let get =
            |name: &str| alloc.and_then(|a| a.get(name)).and_then(|q| parse_milli(&q.0)).map(clamp_i64).unwrap_or(0);
        Some(NodeInfo {
            labels: n.meta.labels.clone(),
            taints: spec.taints.clone().unwrap_or_default(),
            unschedulable: spec.unschedulable.unwrap_or(false),
            allocatable: Resources { cpu: get("cpu"), memory: get("memory") },
            max_pods: get("pods") / 1000,
        })
    }
}

fn node_states<'a>(ctx: &'a Ctx) -> Vec<NodeState<'a>> {
    ctx.nodes
        .info
        .iter()
        .map(|(name, info)| {
            // What bound, unfinished pods hold (kept up to date by the engine as pods bind and
            // finish; terminating pods hold their share until they are gone).
            let held = ctx.nodes.allocated.get(name).cloned().unwrap_or_default();
            NodeState {
                name,
                info,
                draw: stable_hash(0, &[name.as_bytes()]),
                requested: held.requested,
                nonzero: held.nonzero,
                pods: held.pods,
            }
        })
        .collect()
}

/// What the pods bound to a node hold.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Allocation {
    pub requested: Resources,
    pub nonzero: Resources,
    pub pods: i64,
}

impl Allocation {
    pub fn add(&mut self, real: &Resources, nonzero: &Resources, sign: i64) {
        self.requested.cpu += sign * real.cpu;
        self.requested.memory += sign * real.memory;
        self.nonzero.cpu += sign * nonzero.cpu;
        self.nonzero.memory += sign * nonzero.memory;
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

/// Why a node cannot take a pod: the first failing filter, in the default profile's order.
/// `Err` holds the reasons and whether preemption could help.
fn filter(node: &NodeState, spec: &core::PodSpec, req: &Resources) -> Result<(), (Vec<String>, bool)> {
    let tolerations = spec.tolerations.as_deref().unwrap_or(&[]);
    if node.info.unschedulable {
        let taint = core::Taint {
            key: "node.kubernetes.io/unschedulable".into(),
            effect: "NoSchedule".into(),
            ..Default::default()
        };
        if !tolerates(tolerations, &taint) {
            return Err((vec!["node(s) were unschedulable".into()], false));
        }
    }
    if let Some(t) = node
        .info
        .taints
        .iter()
        .filter(|t| t.effect == "NoSchedule" || t.effect == "NoExecute")
        .find(|t| !tolerates(tolerations, t))
    {
        return Err((
            vec![format!("node(s) had untolerated taint {{{}: {}}}", t.key, t.value.as_deref().unwrap_or(""))],
            false,
        ));
    }
    if let Some(sel) = &spec.node_selector {
        if sel.iter().any(|(k, v)| node.info.labels.get(k) != Some(v)) {
            return Err((vec!["node(s) didn't match Pod's node affinity/selector".into()], false));
        }
    }
    let mut insufficient = Vec::new();
    if node.pods + 1 > node.info.max_pods {
        insufficient.push("Too many pods".to_string());
    }
    if req.cpu > 0 && node.requested.cpu + req.cpu > node.info.allocatable.cpu {
        insufficient.push("Insufficient cpu".to_string());
    }
    if req.memory > 0 && node.requested.memory + req.memory > node.info.allocatable.memory {
        insufficient.push("Insufficient memory".to_string());
    }
    if insufficient.is_empty() {
        Ok(())
    } else {
        Err((insufficient, true))
    }
}

/// upstream: NodeResourcesFit LeastAllocated (integer arithmetic, weights 1:1) +
/// NodeResourcesBalancedAllocation (float, `(1 − std) × 100`), 0–100 each.
fn score(node: &NodeState, nonzero: &Resources) -> i64 {
    let alloc = &node.info.allocatable;
    let (cpu, mem) = (node.nonzero.cpu + nonzero.cpu, node.nonzero.memory + nonzero.memory);
    // upstream: leastRequestedScore — (capacity − requested) × 100 / capacity; 0 when over.
    let least = |used: i64, cap: i64| if cap <= 0 || used > cap { 0 } else { (cap - used) * 100 / cap };
    let least = (least(cpu, alloc.cpu) + least(mem, alloc.memory)) / 2;
    let frac = |used: i64, cap: i64| if cap <= 0 { 1.0 } else { (used as f64 / cap as f64).min(1.0) };
    let balanced = (1.0 - (frac(cpu, alloc.cpu) - frac(mem, alloc.memory)).abs() / 2.0) * 100.0;
    least + balanced as i64
}

/// Schedule the given pending pods in queue order (priority, then age).
pub fn reconcile_batch(ctx: &Ctx, keys: &[ObjectKey]) -> Vec<(ObjectKey, Reconciled)> {
    let mut pods: Vec<Arc<Object>> = keys
        .iter()
        .filter_map(|k| ctx.store.get_by_key(k).cloned())
        .filter(|p| is_active(p) && node_of(p).is_none())
        .collect();
    if pods.is_empty() {
        return Vec::new();
    }
    pods.sort_by(|a, b| {
        let prio = |o: &Object| match &o.body {
            Body::Pod { spec, .. } => spec.priority.unwrap_or(0),
            _ => 0,
        };
        prio(b)
            .cmp(&prio(a))
            .then(a.meta.creation_timestamp.cmp(&b.meta.creation_timestamp))
            .then(ObjectKey::of(a).cmp(&ObjectKey::of(b)))
    });
    let mut nodes = node_states(ctx);
    let to_find = feasible_nodes_to_find(nodes.len());
    let mut start = if nodes.is_empty() { 0 } else { ctx.nodes.scheduler_start % nodes.len() };
    let mut out = Vec::with_capacity(pods.len());
    for pod in pods {
        let Body::Pod { spec, status } = &pod.body else { continue };
        let (req, nonzero) = pod_requests(spec);
        let (best, reasons, preemption, visited) = search(&nodes, start, to_find, &pod, spec, &req, &nonzero);
        if !nodes.is_empty() {
            start = (start + visited) % nodes.len();
        }
        let mut updated = (*pod).clone();
        let mut writes = Vec::new();
        let Body::Pod { status: rt, .. } = &mut updated.body else { continue };
        match best {
            Some((_, _, i)) => {
                let node = &mut nodes[i];
                node.requested.cpu += req.cpu;
                node.requested.memory += req.memory;
                node.nonzero.cpu += nonzero.cpu;
                node.nonzero.memory += nonzero.memory;
                node.pods += 1;
                rt.node_name = Some((*node.name).clone());
                rt.set_message(None);
                rt.set_condition(ConditionType::PodScheduled, true, None, ctx.now);
                writes.push(Write::UpdateStatus(Box::new(updated)));
                writes.push(Write::Event(Box::new(EventRecord::about(
                    &pod,
                    COMPONENT,
                    false,
                    "Scheduled",
                    format!("Successfully assigned {}/{} to {}", pod.meta.namespace, pod.meta.name, node.name),
                ))));
            }
            None => {
                let message = unschedulable_message(nodes.len(), &reasons, &preemption);
                if status.message().map(|m| &**m) != Some(message.as_str())
                    || status.condition(ConditionType::PodScheduled).is_none_or(|c| c.status)
                {
                    rt.set_message(Some(message.clone().into()));
                    rt.set_condition(ConditionType::PodScheduled, false, Some("Unschedulable"), ctx.now);
                    writes.push(Write::UpdateStatus(Box::new(updated)));
                }
                writes.push(Write::Event(Box::new(EventRecord::about(
                    &pod,
                    COMPONENT,
                    true,
                    "FailedScheduling",
                    message,
                ))));
            }
        }
        out.push((ObjectKey::of(&pod), Reconciled { writes, requeue_at: None }));
    }
    if let Some((_, last)) = out.last_mut() {
        last.writes.push(Write::SchedulerCursor(start));
    }
    out
}

/// A feasible node's rank: score, then a tie-break drawn from the pod's uid and the node's name
/// (so ties do not go by list order), then its position.
type Candidate = (i64, u64, usize);

/// What one stretch of the node list says about a pod.
#[derive(Default)]
struct Window {
    feasible: usize,
    best: Option<Candidate>,
    reasons: BTreeMap<String, usize>,
    preemption: BTreeMap<&'static str, usize>,
}

impl Window {
    /// Fold in a later stretch: the earlier candidate wins a full tie, as in one sequential pass.
    fn merge(mut self, later: Window) -> Window {
        self.feasible += later.feasible;
        if let Some(c) = later.best {
            if self.best.is_none_or(|b| better(c, b)) {
                self.best = Some(c);
            }
        }
        for (r, n) in later.reasons {
            *self.reasons.entry(r).or_default() += n;
        }
        for (r, n) in later.preemption {
            *self.preemption.entry(r).or_default() += n;
        }
        self
    }
}

fn better(c: Candidate, b: Candidate) -> bool {
    (c.0, std::cmp::Reverse(c.1)) > (b.0, std::cmp::Reverse(b.1))
}

/// Filter and score the nodes at `positions` (indexes into `nodes`), in order.
fn evaluate(
    nodes: &[NodeState],
    positions: std::ops::Range<usize>,
    pod: &Object,
    spec: &core::PodSpec,
    req: &Resources,
    nonzero: &Resources,
) -> Window {
    let mut w = Window::default();
    let n = nodes.len();
    let pod_draw = splitmix64(pod.meta.uid.0 as u64 ^ (pod.meta.uid.0 >> 64) as u64);
    // The positions run round the end of the list at most once.
    let (a, b) = (positions.start % n, positions.end - positions.start);
    let (first, second) = if a + b <= n { (a..a + b, 0..0) } else { (a..n, 0..a + b - n) };
    for i in first.chain(second) {
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
                for r in why {
                    *w.reasons.entry(r).or_default() += 1;
                }
                let p = if resources {
                    "No preemption victims found for incoming pod"
                } else {
                    "Preemption is not helpful for scheduling"
                };
                *w.preemption.entry(p).or_default() += 1;
            }
        }
    }
    w
}

/// upstream: findNodesThatPassFilters — visit nodes from `start` round the list until `to_find`
/// feasible ones are found, then take the best scored. Each stretch is only as long as the
/// feasible nodes still wanted, so no node past the last one needed is looked at.
fn search(
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
    (total.best, total.reasons, total.preemption, visited)
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
    let join = |items: Vec<String>| items.join(", ");
    let main = join(reasons.iter().map(|(r, n)| format!("{n} {r}")).collect());
    let pre = join(preemption.iter().map(|(r, n)| format!("{n} {r}")).collect());
    format!("0/{total} nodes are available: {main}. preemption: 0/{total} nodes are available: {pre}.")
}

#[cfg(test)]
mod tests {
    use super::*;

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
        const MI: i64 = 1024 * 1024 * 1000; // milli-bytes
        let info = NodeInfo {
            labels: Default::default(),
            taints: Vec::new(),
            unschedulable: false,
            allocatable: Resources { cpu: 4000, memory: 16 * 1024 * MI },
            max_pods: 110,
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
