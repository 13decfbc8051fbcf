//! The ReplicaSet controller (`pkg/controller/replicaset`): claim pods, create or delete to
//! match `spec.replicas`, report status.

use std::cmp::Reverse;
use std::sync::Arc;

use super::{Ctx, DeleteOptions, EventRecord, Reconciled, Write};
use crate::api::meta::Meta;
use crate::api::pod::PodRuntime;
use crate::api::template::PodTemplate;
use crate::api::{Body, Kind, Object, OwnerRef};
use crate::labels::Selector;
use crate::sim::clock::Millis;
use crate::store::tally::RankKey;
pub use crate::store::tally::POD_DELETION_COST;
use crate::store::ObjectKey;

/// upstream: burstReplicas — at most this many creates or deletes per sync.
pub const BURST_REPLICAS: usize = 500;
const COMPONENT: &str = "replicaset-controller";

pub fn pod_runtime(o: &Object) -> Option<&PodRuntime> {
    match &o.body {
        Body::Pod { status, .. } => Some(status),
        _ => None,
    }
}

/// upstream: FilterActivePods — not terminal and not being deleted.
pub fn is_active(o: &Object) -> bool {
    o.meta.deletion_timestamp().is_none() && pod_runtime(o).is_some_and(|s| !s.phase.is_terminal())
}

/// upstream: IsPodAvailable — ready for longer than minReadySeconds (strictly), counted from
/// the Ready condition's lastTransitionTime as the API carries it (whole seconds).
pub fn is_available(rt: &PodRuntime, min_ready_seconds: i32, now: Millis) -> bool {
    match ready_since_second(rt) {
        None => false,
        Some(_) if min_ready_seconds <= 0 => true,
        Some(t) => t + min_ready_seconds as Millis * 1000 < now,
    }
}

/// When the pod became Ready, truncated to the whole second the API shows.
fn ready_since_second(rt: &PodRuntime) -> Option<Millis> {
    rt.ready_since().map(|t| t.div_euclid(1000) * 1000)
}

pub fn node_of(o: &Object) -> Option<&str> {
    match &o.body {
        Body::Pod { spec, status } => spec.node_name.as_deref().or(status.node_name.as_deref()),
        _ => None,
    }
}

pub fn reconcile(ctx: &Ctx, key: &ObjectKey) -> Reconciled {
    let Some(rs) = ctx.store.get_by_key(key) else { return Reconciled::nothing() };
    let Body::ReplicaSet { spec, status, template } = &rs.body else { return Reconciled::nothing() };
    let Ok(selector) = spec.selector.selector() else { return Reconciled::nothing() };
    let deleting = rs.meta.deletion_timestamp().is_some();
    let mut out = Reconciled::nothing();
    let replicas = spec.replicas.unwrap_or(1).max(0) as usize;
    let min_ready = spec.min_ready_seconds.unwrap_or(0);

    // A sync with nothing to adopt or release reads the store's tally of the pods (O(label
    // sets)), and takes the pods to delete from its ranking groups; otherwise it lists them, as
    // upstream does on every sync.
    let tallied = if deleting { None } else { tallied_counts(ctx, rs, &selector, template, min_ready) };
    let (counts, active) = match tallied {
        Some(counts) => {
            debug_assert_eq!(counts, counted(ctx, rs, &selector, template, min_ready), "tally of {}", rs.meta.name);
            (counts, None)
        }
        None => {
            let active = claim(ctx, rs, &selector, deleting, &mut out);
            (count(&active, template, min_ready, ctx.now), Some(active))
        }
    };
    if !deleting {
        let diff = counts.active as i64 - replicas as i64;
        if diff < 0 {
            let n = ((-diff) as usize).min(BURST_REPLICAS);
            // One owner-reference list shared by all the pods created here.
            let owner = Arc::new(vec![OwnerRef::controller_of(Kind::ReplicaSet, &rs.meta.name, rs.meta.uid)]);
            let prefix = pod_name_prefix(&rs.meta.name);
            // upstream: slowStartBatch — batches of 1, 2, 4, …; a failed batch stops the rest.
            let mut batch = 0u32;
            let mut in_batch = 0usize;
            for _ in 0..n {
                let pod = pod_from_template(&rs.meta, template, &owner, &prefix);
                out.writes.push(Write::Create { obj: Box::new(pod), batch, event: Some(Box::new(created_event(rs))) });
                in_batch += 1;
                if in_batch == 1usize << batch {
                    batch += 1;
                    in_batch = 0;
                }
            }
        } else if diff > 0 {
            let n = (diff as usize).min(BURST_REPLICAS);
            for victim in &victims(ctx, rs, &selector, active.as_deref(), counts.active, n) {
                out.writes.push(Write::Delete {
                    key: ObjectKey::of(victim),
                    options: DeleteOptions { uid: Some(victim.meta.uid), ..Default::default() },
                });
                out.writes.push(Write::Event(Box::new(EventRecord::about(
                    rs,
                    COMPONENT,
                    false,
                    "SuccessfulDelete",
                    format!("Deleted pod: {}", victim.meta.name),
                ))));
            }
        }
    }

    // Status (upstream: calculateStatus).
    out = out.requeue(counts.requeue_at);
    let mut new_status = (**status).clone();
    new_status.replicas = counts.active as i32;
    new_status.fully_labeled_replicas = Some(counts.fully_labeled as i32);
    new_status.ready_replicas = Some(counts.ready as i32);
    new_status.available_replicas = Some(counts.available as i32);
    new_status.observed_generation = Some(rs.meta.generation);
    if new_status != **status {
        let mut updated = (**rs).clone();
        if let Body::ReplicaSet { status, .. } = &mut updated.body {
            **status = new_status;
        }
        out.writes.push(Write::UpdateStatus(Box::new(updated)));
    }
    out
}

/// What a ReplicaSet's status counts of its active pods, and when a Ready pod not yet
/// available will be (upstream: a pod turning Ready requeues its RS after minReadySeconds + 1 s).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Counts {
    active: usize,
    fully_labeled: usize,
    ready: usize,
    available: usize,
    requeue_at: Option<Millis>,
}

/// Claim (upstream: ControllerRefManager.ClaimPods): owned pods that still match, plus matching
/// orphans (adopted); owned pods that stopped matching are released. Returns the active ones.
fn claim(ctx: &Ctx, rs: &Object, selector: &Selector, deleting: bool, out: &mut Reconciled) -> Vec<Arc<Object>> {
    let mut claimed: Vec<Arc<Object>> = Vec::new();
    for pod in ctx.store.dependents_iter(rs.meta.uid) {
        if pod.kind() != Kind::Pod || pod.meta.controller_ref().is_none_or(|r| r.uid != rs.meta.uid) {
            continue;
        }
        if selector.matches(&pod.meta.labels) {
            claimed.push(pod.clone());
        } else if !deleting {
            let mut released = (**pod).clone();
            Arc::make_mut(&mut released.meta.owner_references).retain(|r| r.uid != rs.meta.uid);
            out.writes.push(Write::Update(Box::new(released)));
        }
    }
    if !deleting {
        let owner = OwnerRef::controller_of(Kind::ReplicaSet, &rs.meta.name, rs.meta.uid);
        for pod in adoptable(ctx, rs, selector) {
            let mut adopted = (**pod).clone();
            Arc::make_mut(&mut adopted.meta.owner_references).push(owner.clone());
            out.writes.push(Write::Update(Box::new(adopted)));
            claimed.push(pod.clone());
        }
    }
    claimed.retain(|p| is_active(p));
    claimed
}

/// Orphan pods the ReplicaSet would adopt: matching its selector and not being deleted.
fn adoptable<'a>(ctx: &'a Ctx, rs: &'a Object, selector: &Selector) -> Vec<&'a Arc<Object>> {
    ctx.store.adoptable(Kind::Pod, &rs.meta.namespace, selector)
}

/// [`Counts`] of the active pods, one by one.
fn count(active: &[Arc<Object>], template: &PodTemplate, min_ready: i32, now: Millis) -> Counts {
    let mut c = Counts { active: active.len(), fully_labeled: 0, ready: 0, available: 0, requeue_at: None };
    for p in active {
        let Some(rt) = pod_runtime(p) else { continue };
        if template.labels.iter().all(|(k, v)| p.meta.labels.get(k) == Some(v)) {
            c.fully_labeled += 1;
        }
        if rt.is_ready() {
            c.ready += 1;
            if is_available(rt, min_ready, now) {
                c.available += 1;
            } else if let Some(t) = ready_since_second(rt) {
                let at = t + min_ready as Millis * 1000 + 1000;
                c.requeue_at = Some(c.requeue_at.map_or(at, |r| r.min(at)));
            }
        }
    }
    c
}

/// [`Counts`] from the store's tally of the ReplicaSet's pods, when the sync has nothing to
/// claim: no orphan to adopt and every label set it controls matching its selector.
fn tallied_counts(
    ctx: &Ctx,
    rs: &Object,
    selector: &Selector,
    template: &PodTemplate,
    min_ready: i32,
) -> Option<Counts> {
    if !adoptable(ctx, rs, selector).is_empty() {
        return None;
    }
    let mut c = Counts { active: 0, fully_labeled: 0, ready: 0, available: 0, requeue_at: None };
    let Some(tally) = ctx.store.pod_tally(rs.meta.uid) else { return Some(c) };
    for (labels, g) in &tally.groups {
        if !selector.matches(&**labels) {
            return None;
        }
        c.active += g.active as usize;
        if template.labels.iter().all(|(k, v)| labels.get(k) == Some(v)) {
            c.fully_labeled += g.active as usize;
        }
        c.ready += g.ready as usize;
        if min_ready <= 0 {
            c.available += g.ready as usize;
            continue;
        }
        // Ready at second t: available once t + minReadySeconds < now.
        let not_yet = ctx.now - min_ready as Millis * 1000;
        let waiting: u32 = g.ready_at.range(not_yet..).map(|(_, n)| n).sum();
        c.available += (g.ready - waiting) as usize;
        if let Some((&t, _)) = g.ready_at.range(not_yet..).next() {
            let at = t + min_ready as Millis * 1000 + 1000;
            c.requeue_at = Some(c.requeue_at.map_or(at, |r| r.min(at)));
        }
    }
    Some(c)
}

/// [`Counts`] as the slow path works them out (debug builds check the tally against it).
fn counted(ctx: &Ctx, rs: &Object, selector: &Selector, template: &PodTemplate, min_ready: i32) -> Counts {
    let mut scratch = Reconciled::nothing();
    count(&claim(ctx, rs, selector, false, &mut scratch), template, min_ready, ctx.now)
}

fn created_event(rs: &Object) -> EventRecord {
    // The pod's name is known only once the API server has generated it; `{}` is filled in then.
    EventRecord::about(rs, COMPONENT, false, "SuccessfulCreate", "Created pod: {}".into())
}

/// upstream: GetPodFromTemplate — generateName `<rs>-` (falls back to `<rs>` when that is not
/// a valid prefix); the API server truncates it to 58 characters.
fn pod_name_prefix(rs_name: &str) -> Arc<String> {
    Arc::new(format!("{rs_name}-"))
}

/// A pod from the template; labels, annotations and spec are shared, not copied.
pub fn pod_from_template(
    owner_meta: &Meta,
    template: &PodTemplate,
    owner: &Arc<Vec<OwnerRef>>,
    prefix: &Arc<String>,
) -> Object {
    let mut meta = Meta {
        namespace: owner_meta.namespace.clone(),
        generate_name: Some(prefix.clone()),
        labels: template.labels.clone(),
        annotations: template.annotations.clone(),
        owner_references: owner.clone(),
        ..Default::default()
    };
    meta.set_finalizers(template.other_meta.as_ref().and_then(|m| m.finalizers.clone()).unwrap_or_default());
    Object { meta, body: Body::Pod { spec: template.admitted.clone(), status: PodRuntime::default() } }
}

/// The `n` pods to delete first among the `active` pods (`None`: not listed, the sync read the
/// tally, which counted `n_active`).
fn victims(
    ctx: &Ctx,
    rs: &Object,
    selector: &Selector,
    active: Option<&[Arc<Object>]>,
    n_active: usize,
    n: usize,
) -> Vec<Arc<Object>> {
    let listed = |active: &[Arc<Object>]| {
        if n >= active.len() {
            // All of them: no ranking, so no related pods to count.
            return active.to_vec();
        }
        let active: Vec<&Arc<Object>> = active.iter().collect();
        pods_to_delete(&active, &related_pods(ctx, rs), n, ctx.now).into_iter().cloned().collect::<Vec<_>>()
    };
    if let Some(active) = active {
        return listed(active);
    }
    let tally = ctx.store.pod_tally(rs.meta.uid);
    let indexed = tally.filter(|_| n < n_active).and_then(|t| super::victims::indexed(ctx, rs, t, n));
    let mut scratch = Reconciled::nothing();
    match indexed {
        Some(v) => {
            debug_assert_eq!(
                v.iter().map(|p| p.meta.uid).collect::<Vec<_>>(),
                listed(&claim(ctx, rs, selector, false, &mut scratch)).iter().map(|p| p.meta.uid).collect::<Vec<_>>(),
                "victims of {}",
                rs.meta.name
            );
            v
        }
        // The tally showed nothing to adopt or release, so claiming writes nothing.
        None => listed(&claim(ctx, rs, selector, false, &mut scratch)),
    }
}

/// Pods of every ReplicaSet that shares this one's controller (upstream: getIndirectlyRelatedPods).
fn related_pods(ctx: &Ctx, rs: &Object) -> Vec<Arc<Object>> {
    let Some(controller) = rs.meta.controller_ref() else { return Vec::new() };
    let mut pods: Vec<Arc<Object>> = Vec::new();
    for sibling in ctx.store.dependents(controller.uid) {
        if let Body::ReplicaSet { spec, .. } = &sibling.body {
            if let Ok(sel) = spec.selector.selector() {
                pods.extend(ctx.store.list(Kind::Pod, Some(&rs.meta.namespace), &sel));
            }
        }
    }
    pods.sort_by_key(|p| p.meta.uid);
    pods.dedup_by_key(|p| p.meta.uid);
    pods
}

/// upstream: getPodsToDelete with ActivePodsWithRanks — the `n` pods to remove first.
pub fn pods_to_delete<'a>(
    active: &[&'a Arc<Object>],
    related: &[Arc<Object>],
    n: usize,
    now: Millis,
) -> Vec<&'a Arc<Object>> {
    if n >= active.len() {
        return active.to_vec();
    }
    // Rank: active related pods on the same node (unscheduled pods share "").
    let mut per_node: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    for p in related.iter().filter(|p| is_active(p)) {
        *per_node.entry(node_of(p).unwrap_or("")).or_default() += 1;
    }
    let mut ranked: Vec<RankedPod<'a>> = active
        .iter()
        .map(|p| RankedPod::new(p, per_node.get(node_of(p).unwrap_or("")).copied().unwrap_or(0), now))
        .collect();
    deletion_order(&mut ranked);
    ranked.into_iter().take(n).map(|r| r.pod).collect()
}

/// What upstream's `ActivePodsWithRanks.Less` reads of one pod, worked out once per sort.
/// Times are whole seconds: the API carries timestamps at second precision, so that is what
/// the controller compares.
#[derive(Clone)]
pub struct RankedPod<'a> {
    pub pod: &'a Arc<Object>,
    /// Rules 1–5, then the log2 bucket of the Ready time (rule 6): smaller goes first.
    class: Class,
    /// When the pod became Ready (rule 6 compares these before bucketing them).
    ready_s: Option<i64>,
    /// Rules 7 and 8, then the uid.
    rest: (Rest, u128),
}

/// Assigned, phase, Ready, deletion cost, related pods on the node, Ready-time bucket.
pub(crate) type Class = (bool, u8, bool, i32, Reverse<usize>, i64);

impl<'a> RankedPod<'a> {
    pub fn new(pod: &'a Arc<Object>, rank: usize, now: Millis) -> Self {
        RankedPod::with_key(pod, &RankKey::of(pod).unwrap_or_default(), rank, now)
    }

    /// The ranking of `pod` whose key is `key`, with `rank` related pods on its node.
    pub(crate) fn with_key(pod: &'a Arc<Object>, key: &RankKey, rank: usize, now: Millis) -> Self {
        RankedPod {
            pod,
            class: class_of(key, rank, now),
            ready_s: key.ready_s,
            rest: (rest_of(key, now), pod.meta.uid.0),
        }
    }
}

/// Rules 1–6 of upstream's ranking for a pod of this key (see [`RankedPod::class`]).
pub(crate) fn class_of(key: &RankKey, rank: usize, now: Millis) -> Class {
    (
        key.node.is_some(),
        key.phase,
        key.ready_s.is_some(),
        key.cost,
        Reverse(rank),
        key.ready_s.map_or(0, |t| log2_bucket(t, now)),
    )
}

/// Rules 7 and 8: more restarts first, then the newer creation bucket.
pub(crate) type Rest = (Reverse<u32>, i64);

/// [`Rest`] for a pod of this key.
pub(crate) fn rest_of(key: &RankKey, now: Millis) -> Rest {
    (Reverse(key.restarts), log2_bucket(key.created_s, now))
}

/// Put pods in upstream's scale-down order (`ActivePodsWithRanks.Less`: "delete first").
///
/// Upstream's `Less` is not a strict weak order: two Ready pods whose Ready times differ inside
/// one log2 bucket are ordered by uid, but pods with equal Ready times go on to restart counts
/// and creation times, so three pods can form a cycle. Go's sort tolerates that; Rust's may
/// panic. The order built here is total and deterministic, and whenever upstream's relation
/// is consistent on the pods at hand it is one of the orders upstream's sort could produce:
/// within one class of rules 1–6 the pods are laid out by uid (how pods with different Ready
/// times compare), and each run of consecutive pods with the same Ready time is then sorted by
/// rules 7 and 8 (how pods with equal Ready times compare).
pub fn deletion_order(pods: &mut [RankedPod<'_>]) {
    pods.sort_unstable_by(|a, b| a.class.cmp(&b.class).then(a.rest.1.cmp(&b.rest.1)));
    for class in pods.chunk_by_mut(|a, b| a.class == b.class) {
        for run in class.chunk_by_mut(|a, b| a.ready_s == b.ready_s) {
            run.sort_unstable_by_key(|r| r.rest);
        }
    }
}

/// upstream: LogarithmicScaleDown — floor(log2(now − t)) with the duration in nanoseconds (−1
/// when it is not positive); the zero time sorts before every bucket (upstream: afterOrZero).
fn log2_bucket(t_s: i64, now: Millis) -> i64 {
    if t_s == 0 {
        return i64::MIN;
    }
    let d = now.saturating_sub(t_s.saturating_mul(1000)).saturating_mul(1_000_000);
    if d <= 0 {
        -1
    } else {
        63 - i64::from(d.leading_zeros())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::pod::{ConditionType, Phase, PodRuntime};
    use crate::api::Uid;
    use proptest::prelude::*;

    const NOW: Millis = 10_000_000;

    #[derive(Debug, Clone)]
    struct P {
        node: Option<&'static str>,
        phase: Phase,
        ready_since: Option<Millis>,
        cost: Option<i32>,
        restarts: u32,
        created: Millis,
        uid: u128,
    }

    impl Default for P {
        fn default() -> Self {
            P {
                node: Some("n1"),
                phase: Phase::Running,
                ready_since: Some(0),
                cost: None,
                restarts: 0,
                created: 1,
                uid: 1,
            }
        }
    }

    fn pod(p: P) -> Arc<Object> {
        let mut rt = PodRuntime { phase: p.phase, node_name: p.node.map(Into::into), ..Default::default() };
        rt.containers =
            vec![crate::api::pod::ContainerRuntime { restart_count: p.restarts, ..Default::default() }].into();
        if let Some(t) = p.ready_since {
            rt.set_condition(ConditionType::Ready, true, None, t);
        }
        let mut meta = Meta {
            name: format!("p{}", p.uid).into(),
            uid: Uid(p.uid),
            creation_timestamp: p.created,
            ..Default::default()
        };
        if let Some(c) = p.cost {
            Arc::make_mut(&mut meta.annotations).insert(POD_DELETION_COST.into(), c.to_string());
        }
        Arc::new(Object { meta, body: Body::Pod { spec: Default::default(), status: rt } })
    }

    /// upstream's `ActivePodsWithRanks.Less`, rule for rule, as the reference the order is
    /// checked against (times at second precision, as the controller reads them).
    fn upstream_less(a: &(usize, Arc<Object>), b: &(usize, Arc<Object>), now: Millis) -> bool {
        let ((rank_a, pa), (rank_b, pb)) = (a, b);
        let (ra, rb) = (pod_runtime(pa).unwrap(), pod_runtime(pb).unwrap());
        let (na, nb) = (node_of(pa).unwrap_or(""), node_of(pb).unwrap_or(""));
        if na != nb && (na.is_empty() || nb.is_empty()) {
            return na.is_empty();
        }
        let ord = |p: Phase| match p {
            Phase::Unknown => 1,
            Phase::Running => 2,
            _ => 0,
        };
        if ord(ra.phase) != ord(rb.phase) {
            return ord(ra.phase) < ord(rb.phase);
        }
        if ra.is_ready() != rb.is_ready() {
            return !ra.is_ready();
        }
        let cost =
            |o: &Object| o.meta.annotations.get(POD_DELETION_COST).and_then(|v| v.parse::<i32>().ok()).unwrap_or(0);
        if cost(pa) != cost(pb) {
            return cost(pa) < cost(pb);
        }
        if rank_a != rank_b {
            return rank_a > rank_b;
        }
        // afterOrZero / logarithmicRankDiff on whole seconds, uid string as the tie-break.
        let by_time = |ta: i64, tb: i64| -> Option<bool> {
            if ta == tb {
                return None;
            }
            if ta == 0 || tb == 0 {
                return Some(ta == 0);
            }
            let r = |t: i64| {
                let d = (now - t * 1000) * 1_000_000;
                if d > 0 {
                    (d as f64).log2() as i64
                } else {
                    -1
                }
            };
            if r(ta) == r(tb) {
                Some(pa.meta.uid.to_string() < pb.meta.uid.to_string())
            } else {
                Some(r(ta) < r(tb))
            }
        };
        if ra.is_ready() && rb.is_ready() {
            let (ta, tb) = (ra.ready_since().unwrap() / 1000, rb.ready_since().unwrap() / 1000);
            if let Some(less) = by_time(ta, tb) {
                return less;
            }
        }
        let restarts = |rt: &PodRuntime| rt.containers.iter().map(|c| c.restart_count).max().unwrap_or(0);
        if restarts(ra) != restarts(rb) {
            return restarts(ra) > restarts(rb);
        }
        by_time(pa.meta.creation_timestamp / 1000, pb.meta.creation_timestamp / 1000).unwrap_or(false)
    }

    fn order(pods: &[(usize, Arc<Object>)], now: Millis) -> Vec<u128> {
        let mut ranked: Vec<RankedPod> = pods.iter().map(|(r, p)| RankedPod::new(p, *r, now)).collect();
        deletion_order(&mut ranked);
        ranked.iter().map(|r| r.pod.meta.uid.0).collect()
    }

    /// Each row: two pods that differ in one ranking rule; the first must be deleted first.
    #[test]
    fn scale_down_ranking_follows_upstream_rules() {
        let rows: Vec<(&str, P, P, usize, usize)> = vec![
            ("unassigned before assigned", P { node: None, uid: 2, ..P::default() }, P::default(), 1, 1),
            (
                "pending before running",
                P { phase: Phase::Pending, ready_since: None, uid: 2, ..P::default() },
                P::default(),
                1,
                1,
            ),
            ("unknown before running", P { phase: Phase::Unknown, uid: 2, ..P::default() }, P::default(), 1, 1),
            ("not ready before ready", P { ready_since: None, uid: 2, ..P::default() }, P::default(), 1, 1),
            (
                "lower deletion cost first",
                P { cost: Some(-5), uid: 2, ..P::default() },
                P { cost: Some(10), ..P::default() },
                1,
                1,
            ),
            ("more co-located siblings first", P { uid: 2, ..P::default() }, P::default(), 3, 1),
            (
                "recently ready first (other log2 bucket)",
                P { ready_since: Some(NOW - 1_000), uid: 2, ..P::default() },
                P { ready_since: Some(NOW - 100_000), ..P::default() },
                1,
                1,
            ),
            (
                "same bucket, other second: uid decides before restarts",
                P { ready_since: Some(NOW - 70_000), uid: 1, ..P::default() },
                P { ready_since: Some(NOW - 72_000), restarts: 5, uid: 2, ..P::default() },
                1,
                1,
            ),
            (
                "same Ready second: restarts decide before uid",
                P { ready_since: Some(NOW - 1_000), restarts: 5, uid: 2, ..P::default() },
                P { ready_since: Some(NOW - 1_400), uid: 1, ..P::default() },
                1,
                1,
            ),
            ("more restarts first", P { restarts: 4, uid: 2, ..P::default() }, P { restarts: 1, ..P::default() }, 1, 1),
            (
                "newer first",
                P { created: NOW - 10_000, uid: 2, ..P::default() },
                P { created: NOW - 1_000_000, ..P::default() },
                1,
                1,
            ),
            (
                "same creation bucket: uid decides",
                P { created: NOW - 100_000, uid: 1, ..P::default() },
                P { created: NOW - 90_000, uid: 2, ..P::default() },
                1,
                1,
            ),
        ];
        for (why, first, second, rank_first, rank_second) in rows {
            let (a, b) = ((rank_first, pod(first)), (rank_second, pod(second)));
            let expected = vec![a.1.meta.uid.0, b.1.meta.uid.0];
            assert!(upstream_less(&a, &b, NOW) && !upstream_less(&b, &a, NOW), "{why}: the reference disagrees");
            assert_eq!(order(&[a.clone(), b.clone()], NOW), expected, "{why}");
            assert_eq!(order(&[b, a], NOW), expected, "{why} (reversed)");
        }
    }

    /// Three Ready pods in one log2 bucket: A and B, A and C differ in their Ready second (uid
    /// decides), B and C share it (restarts decide). Upstream's relation is a cycle here; the
    /// order is still one, whatever order the pods come in.
    #[test]
    fn upstream_ranking_can_cycle_and_the_order_stays_total() {
        let a = (1, pod(P { ready_since: Some(NOW - 70_000), uid: 2, ..P::default() }));
        let b = (1, pod(P { ready_since: Some(NOW - 72_000), uid: 1, ..P::default() }));
        let c = (1, pod(P { ready_since: Some(NOW - 72_000), restarts: 3, uid: 3, ..P::default() }));
        assert!(upstream_less(&c, &b, NOW) && upstream_less(&b, &a, NOW) && upstream_less(&a, &c, NOW));
        let expected = order(&[a.clone(), b.clone(), c.clone()], NOW);
        for perm in [[&a, &c, &b], [&b, &a, &c], [&b, &c, &a], [&c, &a, &b], [&c, &b, &a]] {
            assert_eq!(order(&perm.map(|p| p.clone()), NOW), expected);
        }
    }

    /// upstream's relation is consistent on the pods at hand (a strict weak order).
    fn is_strict_weak_order(pods: &[(usize, Arc<Object>)], now: Millis) -> bool {
        let n = pods.len();
        let less = |i: usize, j: usize| upstream_less(&pods[i], &pods[j], now);
        let incomparable = |i: usize, j: usize| !less(i, j) && !less(j, i);
        for i in 0..n {
            if less(i, i) {
                return false;
            }
            for j in 0..n {
                for k in 0..n {
                    if less(i, j) && less(j, k) && !less(i, k) {
                        return false;
                    }
                    if incomparable(i, j) && incomparable(j, k) && !incomparable(i, k) {
                        return false;
                    }
                }
            }
        }
        true
    }

    fn arb_pod() -> impl Strategy<Value = (usize, P)> {
        (
            0usize..2,
            prop_oneof![1 => Just(None), 4 => Just(Some("n1"))],
            prop_oneof![1 => Just(Phase::Pending), 6 => Just(Phase::Running), 1 => Just(Phase::Unknown)],
            prop::option::weighted(0.8, 0i64..6),
            prop::option::weighted(0.2, -1i32..2),
            0u32..3,
            0i64..6,
        )
            .prop_map(|(rank, node, phase, ready, cost, restarts, created)| {
                // Ready and creation seconds spread over a few log2 buckets before NOW.
                let ago = |k: i64| NOW - [1_000, 70_000, 71_000, 72_000, 140_000, 141_000][k as usize];
                let p =
                    P { node, phase, ready_since: ready.map(ago), cost, restarts, created: ago(created) - 500, uid: 0 };
                (rank, p)
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]

        /// Whenever upstream's relation is consistent on a set of pods, the order is one upstream's
        /// sort could produce: no pod is placed before one upstream deletes first. Whatever the
        /// input order, the result is the same.
        #[test]
        fn deletion_order_extends_upstream_wherever_it_is_consistent(
            specs in prop::collection::vec(arb_pod(), 2..7),
            seed in any::<u64>(),
        ) {
            let pods: Vec<(usize, Arc<Object>)> = specs
                .into_iter()
                .enumerate()
                .map(|(i, (rank, p))| (rank, pod(P { uid: (i as u128 + 1) * 7919 % 101, ..p })))
                .collect();
            let got = order(&pods, NOW);
            let mut shuffled = pods.clone();
            let len = shuffled.len();
            shuffled.rotate_left(seed as usize % len);
            if seed % 2 == 0 {
                shuffled.reverse();
            }
            prop_assert_eq!(&order(&shuffled, NOW), &got);
            if is_strict_weak_order(&pods, NOW) {
                let at = |uid: u128| pods.iter().find(|(_, p)| p.meta.uid.0 == uid).unwrap();
                for i in 0..got.len() {
                    for j in i + 1..got.len() {
                        prop_assert!(
                            !upstream_less(at(got[j]), at(got[i]), NOW),
                            "pod {} placed before {}, which upstream deletes first", got[i], got[j]
                        );
                    }
                }
            }
        }

        /// Large sets full of ties (where the old comparator could make the sort panic).
        #[test]
        fn victims_of_a_large_replicaset_never_panic(specs in prop::collection::vec(arb_pod(), 200..400)) {
            let pods: Vec<Arc<Object>> =
                specs.into_iter().enumerate().map(|(i, (_, p))| pod(P { uid: i as u128 + 1, ..p })).collect();
            let active: Vec<&Arc<Object>> = pods.iter().collect();
            let victims = pods_to_delete(&active, &pods, 100, NOW);
            prop_assert_eq!(victims.len(), 100);
        }
    }

    /// A Deployment's two ReplicaSets ("old", "new") in a store, with pods as `specs` say:
    /// which ReplicaSet controls each (2: none), and whether it is being deleted.
    fn rollout_store(specs: &[(usize, P, bool)]) -> (crate::store::Store, Vec<Arc<Object>>) {
        use serde_json::json;
        let mut store = crate::store::Store::new(1);
        let ns = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "default"}});
        store.create(Object::decode(ns).unwrap(), 0).unwrap();
        let labels = |hash: &str| json!({"app": "web", "pod-template-hash": hash});
        let mut sets = Vec::new();
        // A stray pod (owner 2) carries the old ReplicaSet's labels.
        for hash in ["old", "new"] {
            let rs = json!({
                "apiVersion": "apps/v1", "kind": "ReplicaSet",
                "metadata": {"name": format!("web-{hash}"), "namespace": "default", "ownerReferences": [{
                    "apiVersion": "apps/v1", "kind": "Deployment", "name": "web",
                    "uid": "00000000-0000-4000-8000-000000000007", "controller": true}]},
                "spec": {"replicas": 1, "selector": {"matchLabels": labels(hash)}, "template": {
                    "metadata": {"labels": labels(hash)}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}}},
            });
            sets.push(store.create(Object::decode(rs).unwrap(), 0).unwrap());
        }
        for (i, (owner, p, deleting)) in specs.iter().enumerate() {
            let mut meta = json!({"name": format!("p{i}"), "namespace": "default", "labels": labels(["old", "new", "old"][*owner])});
            if let Some(rs) = sets.get(*owner) {
                meta["ownerReferences"] = json!([{"apiVersion": "apps/v1", "kind": "ReplicaSet",
                    "name": &*rs.meta.name, "uid": rs.meta.uid.to_string(), "controller": true}]);
            }
            if let Some(c) = p.cost {
                meta["annotations"] = json!({POD_DELETION_COST: c.to_string()});
            }
            let obj = json!({"apiVersion": "v1", "kind": "Pod", "metadata": meta,
                "spec": {"containers": [{"name": "c", "image": "nginx"}]}});
            let created = store.create(Object::decode(obj).unwrap(), p.created).unwrap();
            let mut updated = (*created).clone();
            let Body::Pod { status, .. } = &mut updated.body else { unreachable!() };
            let Body::Pod { status: wanted, .. } = &pod(p.clone()).body else { unreachable!() };
            *status = wanted.clone();
            let stored = store.update_status(updated).unwrap();
            if *deleting {
                store.delete_with(&ObjectKey::of(&stored), &DeleteOptions::default(), NOW - 500).unwrap();
            }
        }
        (store, sets)
    }

    fn arb_stored_pod() -> impl Strategy<Value = (usize, P, bool)> {
        (
            prop_oneof![Just(0usize), Just(1)],
            arb_pod(),
            prop_oneof![Just(None), Just(Some("n1")), Just(Some("n2")), Just(Some("n3"))],
            prop::bool::weighted(0.1),
        )
            .prop_map(|(owner, (_, p), node, deleting)| (owner, P { node, ..p }, deleting))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// The victims taken from the store's ranking groups are the listed ranking's, in its
        /// order, for any number of them (whether the sibling keeps a ranking or not); and none
        /// are taken from the groups when a stray pod carries a ReplicaSet's labels (the related
        /// pods must then be listed).
        #[test]
        fn victims_from_the_ranking_groups_are_the_listed_ones(
            mut specs in prop::collection::vec(arb_stored_pod(), 100..400),
            stray in prop::option::weighted(0.2, arb_stored_pod()),
        ) {
            specs.extend(stray.map(|(_, p, deleting)| (2, p, deleting)));
            let (store, sets) = rollout_store(&specs);
            store.check_indexes();
            let (images, nodes, load, hpa) = Default::default();
            let ctx = Ctx { store: &store, now: NOW, images: &images, nodes: &nodes, load: &load, latency: &Default::default(), hpa: &hpa, hpa_memo: &Default::default(), parallel: false, events: true, by_node: &Default::default(), daemon: &Default::default(), slices: &Default::default(), endpoints: &Default::default(), job_backoff: &Default::default(), daemon_backoff: &Default::default() };
            // (A stray pod that was not bound is gone at once when deleted.)
            let strays = store.orphans(Kind::Pod, &Arc::from("default")).next().is_some();
            for rs in &sets {
                let Body::ReplicaSet { spec, .. } = &rs.body else { unreachable!() };
                let selector = spec.selector.selector().unwrap();
                let mut scratch = Reconciled::nothing();
                let active = claim(&ctx, rs, &selector, true, &mut scratch);
                let Some(tally) = store.pod_tally(rs.meta.uid) else { continue };
                let related = related_pods(&ctx, rs);
                let refs: Vec<&Arc<Object>> = active.iter().collect();
                let step = (active.len() / 24).max(1);
                for n in (1..active.len()).step_by(step).chain(active.len().checked_sub(1)) {
                    let indexed = super::super::victims::indexed(&ctx, rs, tally, n);
                    // (Only a ReplicaSet with many active pods keeps a ranking.)
                    prop_assert_eq!(indexed.is_none(), strays || tally.ranking.is_none());
                    let Some(indexed) = indexed else { break };
                    let listed = pods_to_delete(&refs, &related, n, NOW);
                    prop_assert_eq!(
                        indexed.iter().map(|p| &*p.meta.name).collect::<Vec<_>>(),
                        listed.iter().map(|p| &*p.meta.name).collect::<Vec<_>>(),
                        "{} victims", n
                    );
                }
            }
        }
    }

    #[test]
    fn victims_are_taken_in_rank_order() {
        let running = pod(P { uid: 1, ..P::default() });
        let pending = pod(P { uid: 2, node: None, phase: Phase::Pending, ready_since: None, ..P::default() });
        let unready = pod(P { uid: 3, ready_since: None, ..P::default() });
        let active = vec![&running, &pending, &unready];
        let victims = pods_to_delete(&active, &[], 2, NOW);
        assert_eq!(victims.iter().map(|p| p.meta.uid.0).collect::<Vec<_>>(), [2, 3]);
        assert_eq!(pods_to_delete(&active, &[], 3, NOW).len(), 3);
    }

    #[test]
    fn availability_needs_min_ready_seconds_strictly_passed() {
        let mut rt = PodRuntime::default();
        rt.set_condition(ConditionType::Ready, true, None, 1_000);
        assert!(is_available(&rt, 0, 1_000));
        assert!(!is_available(&rt, 5, 6_000), "exactly minReadySeconds is not enough");
        assert!(is_available(&rt, 5, 6_001));
        let mut rt = PodRuntime::default();
        rt.set_condition(ConditionType::Ready, true, None, 1_700);
        assert!(is_available(&rt, 5, 6_001), "Ready at 00:00:01 as the API shows it, not 1.7 s");
    }
}
