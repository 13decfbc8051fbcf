//! The ReplicaSet controller (`pkg/controller/replicaset`): claim pods, create or delete to
//! match `spec.replicas`, report status.

use std::cmp::Ordering;
use std::sync::Arc;

use super::{Ctx, DeleteOptions, EventRecord, Reconciled, Write};
use crate::api::meta::Meta;
use crate::api::pod::{ConditionType, Phase, PodRuntime};
use crate::api::template::PodTemplate;
use crate::api::{Body, Kind, Object, OwnerRef};
use crate::sim::clock::Millis;
use crate::store::ObjectKey;

/// upstream: burstReplicas — at most this many creates or deletes per sync.
pub const BURST_REPLICAS: usize = 500;
const COMPONENT: &str = "replicaset-controller";
/// upstream: the pod-deletion-cost annotation (PodDeletionCost, on by default).
pub const POD_DELETION_COST: &str = "controller.kubernetes.io/pod-deletion-cost";

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

/// upstream: IsPodAvailable — ready for longer than minReadySeconds (strictly).
pub fn is_available(rt: &PodRuntime, min_ready_seconds: i32, now: Millis) -> bool {
    match rt.ready_since() {
        None => false,
        Some(_) if min_ready_seconds <= 0 => true,
        Some(t) => t + min_ready_seconds as Millis * 1000 < now,
    }
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

    // Claim (upstream: ControllerRefManager.ClaimPods): owned pods that still match, plus
    // matching orphans (adopted); owned pods that stopped matching are released.
    let mut claimed: Vec<Arc<Object>> = Vec::new();
    for pod in ctx.store.dependents(rs.meta.uid) {
        if pod.kind() != Kind::Pod || pod.meta.controller_ref().is_none_or(|r| r.uid != rs.meta.uid) {
            continue;
        }
        if selector.matches(&pod.meta.labels) {
            claimed.push(pod);
        } else if !deleting {
            let mut released = (*pod).clone();
            Arc::make_mut(&mut released.meta.owner_references).retain(|r| r.uid != rs.meta.uid);
            out.writes.push(Write::Update(Box::new(released)));
        }
    }
    if !deleting {
        let owner = OwnerRef::controller_of(Kind::ReplicaSet, &rs.meta.name, rs.meta.uid);
        for pod in ctx.store.list(Kind::Pod, Some(&rs.meta.namespace), &selector) {
            if pod.meta.controller_ref().is_some() || pod.meta.deletion_timestamp().is_some() {
                continue;
            }
            let mut adopted = (*pod).clone();
            Arc::make_mut(&mut adopted.meta.owner_references).push(owner.clone());
            out.writes.push(Write::Update(Box::new(adopted)));
            claimed.push(pod);
        }
    }
    let active: Vec<&Arc<Object>> = claimed.iter().filter(|p| is_active(p)).collect();
    let replicas = spec.replicas.unwrap_or(1).max(0) as usize;

    if !deleting {
        let diff = active.len() as i64 - replicas as i64;
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
            let related = related_pods(ctx, rs);
            for victim in pods_to_delete(&active, &related, n, ctx.now) {
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
    let min_ready = spec.min_ready_seconds.unwrap_or(0);
    let template_labels = &template.labels;
    let mut ready = 0;
    let mut available = 0;
    let mut fully_labeled = 0;
    for p in &active {
        let Some(rt) = pod_runtime(p) else { continue };
        if template_labels.iter().all(|(k, v)| p.meta.labels.get(k) == Some(v)) {
            fully_labeled += 1;
        }
        if rt.is_ready() {
            ready += 1;
            if is_available(rt, min_ready, ctx.now) {
                available += 1;
            } else if let Some(t) = rt.ready_since() {
                // upstream: a pod turning Ready requeues its RS after minReadySeconds + 1 s.
                out = out.requeue(Some(t + min_ready as Millis * 1000 + 1000));
            }
        }
    }
    let mut new_status = (**status).clone();
    new_status.replicas = active.len() as i32;
    new_status.fully_labeled_replicas = Some(fully_labeled);
    new_status.ready_replicas = Some(ready);
    new_status.available_replicas = Some(available);
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
    let mut ranked: Vec<(usize, &'a Arc<Object>)> =
        active.iter().map(|p| (per_node.get(node_of(p).unwrap_or("")).copied().unwrap_or(0), *p)).collect();
    ranked.sort_by(|a, b| delete_first(a, b, now));
    ranked.into_iter().take(n).map(|(_, p)| p).collect()
}

/// upstream: ActivePodsWithRanks.Less — `Less` means "delete first".
pub fn delete_first(a: &(usize, &Arc<Object>), b: &(usize, &Arc<Object>), now: Millis) -> Ordering {
    let (rank_a, pa) = a;
    let (rank_b, pb) = b;
    let (Some(ra), Some(rb)) = (pod_runtime(pa), pod_runtime(pb)) else { return pa.meta.uid.cmp(&pb.meta.uid) };
    let phase_rank = |p: Phase| match p {
        Phase::Pending => 0,
        Phase::Unknown => 1,
        Phase::Running => 2,
        _ => 0,
    };
    let cost = |o: &Object| o.meta.annotations.get(POD_DELETION_COST).and_then(|v| v.parse::<i32>().ok()).unwrap_or(0);
    let max_restarts = |rt: &PodRuntime| rt.containers.iter().map(|c| c.restart_count).max().unwrap_or(0);
    // 1. unassigned first
    node_of(pa)
        .is_some()
        .cmp(&node_of(pb).is_some())
        // 2. Pending < Unknown < Running
        .then(phase_rank(ra.phase).cmp(&phase_rank(rb.phase)))
        // 3. not ready first
        .then(ra.is_ready().cmp(&rb.is_ready()))
        // 4. lower deletion cost first
        .then(cost(pa).cmp(&cost(pb)))
        // 5. higher rank (more co-located siblings) first
        .then(rank_b.cmp(rank_a))
        // 6. more recently ready first, in log2 buckets, uid breaking ties
        .then_with(|| {
            if ra.is_ready() && rb.is_ready() {
                let ta = ra.condition(ConditionType::Ready).map(|c| c.last_transition).unwrap_or(0);
                let tb = rb.condition(ConditionType::Ready).map(|c| c.last_transition).unwrap_or(0);
                newer_first(ta, tb, now, pa, pb)
            } else {
                Ordering::Equal
            }
        })
        // 7. more restarts first
        .then(max_restarts(rb).cmp(&max_restarts(ra)))
        // 8. newer first, in log2 buckets
        .then_with(|| newer_first(pa.meta.creation_timestamp, pb.meta.creation_timestamp, now, pa, pb))
        // Stable, total order for determinism.
        .then_with(|| pa.meta.uid.to_string().cmp(&pb.meta.uid.to_string()))
}

/// upstream: LogarithmicScaleDown — compare floor(log2(now − t)) in nanoseconds, the smaller
/// (more recent) first; equal buckets break ties by uid string.
fn newer_first(ta: Millis, tb: Millis, now: Millis, pa: &Object, pb: &Object) -> Ordering {
    if ta == tb {
        return Ordering::Equal;
    }
    if ta == 0 || tb == 0 {
        // Zero time sorts first.
        return if ta == 0 { Ordering::Less } else { Ordering::Greater };
    }
    let bucket = |t: Millis| {
        let d = (now - t).saturating_mul(1_000_000);
        if d <= 0 {
            -1
        } else {
            63 - d.leading_zeros() as i64
        }
    };
    match bucket(ta).cmp(&bucket(tb)) {
        Ordering::Equal => pa.meta.uid.to_string().cmp(&pb.meta.uid.to_string()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::pod::PodRuntime;
    use crate::api::Uid;

    const NOW: Millis = 10_000_000;

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
                "same bucket: uid decides",
                P { ready_since: Some(NOW - 1_000), uid: 1, ..P::default() },
                P { ready_since: Some(NOW - 1_100), uid: 2, ..P::default() },
                1,
                1,
            ),
            ("more restarts first", P { restarts: 4, uid: 2, ..P::default() }, P { restarts: 1, ..P::default() }, 1, 1),
            (
                "newer first",
                P { created: NOW - 10, uid: 2, ..P::default() },
                P { created: NOW - 1_000_000, ..P::default() },
                1,
                1,
            ),
        ];
        for (why, first, second, rank_first, rank_second) in rows {
            let (a, b) = (pod(first), pod(second));
            assert_eq!(delete_first(&(rank_first, &a), &(rank_second, &b), NOW), Ordering::Less, "{why}");
            assert_eq!(delete_first(&(rank_second, &b), &(rank_first, &a), NOW), Ordering::Greater, "{why} (reversed)");
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
    }
}
