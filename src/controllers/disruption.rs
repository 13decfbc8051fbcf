//! The disruption controller (upstream `pkg/controller/disruption`): each PodDisruptionBudget's
//! status — expected pods, desired and current healthy pods, disruptions allowed, the
//! DisruptionAllowed condition, and the evictions the API server granted that have not yet
//! been seen as deletions (`disruptedPods`). workloads.md §2.1.

use std::collections::BTreeMap;
use std::sync::Arc;

use k8s_openapi::api::policy::v1::{PodDisruptionBudget, PodDisruptionBudgetSpec, PodDisruptionBudgetStatus};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, LabelSelector, Time};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::{Ctx, EventRecord, Reconciled, Write};
use crate::api::meta::{from_time, to_time};
use crate::api::{Body, Kind, Object, OwnerRef, Uid};
use crate::labels::Selector;
use crate::sim::clock::Millis;
use crate::store::{ObjectKey, Store};

/// upstream: DeletionTimeout — an eviction the API server granted counts the pod as disrupted
/// for two minutes, or until the pod is seen terminating.
pub const DELETION_TIMEOUT: Millis = 2 * 60 * 1000;
/// upstream: the disruption controller's events come from `controllermanager`.
const COMPONENT: &str = "controllermanager";
pub const CONDITION: &str = "DisruptionAllowed";
/// upstream: stalePodDisruptionTimeout — how long a `DisruptionTarget=True` condition may stay
/// on a pod that is not deleted before the controller resets it.
pub const STALE_POD_DISRUPTION_TIMEOUT: Millis = 2 * 60 * 1000;

/// The pods a budget selects: upstream `getPodsForPdb` — a nil selector selects nothing, `{}`
/// every pod of the namespace (policy/v1).
pub fn pods_for(store: &Store, namespace: &str, selector: Option<&LabelSelector>) -> Vec<Arc<Object>> {
    match Selector::from_label_selector(selector) {
        Ok(sel) if !matches!(sel, Selector::Nothing) => store.list(Kind::Pod, Some(namespace), &sel),
        _ => Vec::new(),
    }
}

/// Whether a budget selects a pod with these labels (upstream: the eviction handler's
/// getPodDisruptionBudgets; an invalid selector selects nothing).
pub fn selects(pdb: &PodDisruptionBudget, labels: &crate::api::meta::StringMap) -> bool {
    let sel = pdb.spec.as_ref().and_then(|s| s.selector.as_ref());
    Selector::from_label_selector(sel).is_ok_and(|s| s.matches(labels))
}

/// The budgets of a pod's namespace that select it, in name order (upstream:
/// GetPodPodDisruptionBudgets, and the eviction handler's getPodDisruptionBudgets).
pub fn budgets_selecting<'a>(store: &'a Store, pod: &'a Object) -> impl Iterator<Item = &'a Arc<Object>> + 'a {
    store
        .scan(Kind::PodDisruptionBudget, Some(&pod.meta.namespace))
        .filter(|b| matches!(&b.body, Body::PodDisruptionBudget(p) if selects(p, &pod.meta.labels)))
}

/// Whether a pod carries a `DisruptionTarget=True` condition that goes stale if the pod is
/// not deleted (upstream: nonTerminatingPodHasStaleDisruptionCondition).
pub fn may_go_stale(pod: &Object) -> bool {
    stale_since(pod).is_some()
}

fn stale_since(pod: &Object) -> Option<Millis> {
    match &pod.body {
        Body::Pod { status, .. } if pod.meta.deletion_timestamp().is_none() => status.disruption_target_since(),
        _ => None,
    }
}

/// The disruption controller's work on one pod: upstream getPdbForPod's warning when more
/// than one budget selects it (the first by name is "chosen"; every one is synced here), and
/// syncStalePodDisruption — a `DisruptionTarget=True` condition on a pod that was not deleted
/// within [`STALE_POD_DISRUPTION_TIMEOUT`] is set to False (a timer until then).
fn reconcile_pod(ctx: &Ctx, pod: &Object) -> Reconciled {
    let mut writes = Vec::new();
    let mut budgets = budgets_selecting(ctx.store, pod);
    if let (Some(first), Some(_)) = (budgets.next(), budgets.next()) {
        let message = format!(
            "Pod {:?}/{:?} matches multiple PodDisruptionBudgets.  Chose {:?} arbitrarily.",
            &*pod.meta.namespace, &*pod.meta.name, &*first.meta.name
        );
        writes.push(Write::Event(Box::new(EventRecord::about(
            pod,
            COMPONENT,
            true,
            "MultiplePodDisruptionBudgets",
            message,
        ))));
    }
    let Some(since) = stale_since(pod) else { return Reconciled { writes, requeue_at: None } };
    let stale_at = since.saturating_add(STALE_POD_DISRUPTION_TIMEOUT);
    if stale_at > ctx.now {
        return Reconciled { writes, requeue_at: Some(stale_at) };
    }
    let mut reset = pod.clone();
    if let Body::Pod { status, .. } = &mut reset.body {
        status.reset_disruption_target(ctx.now);
    }
    writes.push(Write::UpdateStatus(Box::new(reset)));
    Reconciled { writes, requeue_at: None }
}

/// upstream: intstr.GetScaledValueFromIntOrPercent with roundUp — an integer as it is, `p%`
/// of `total` rounded up.
pub fn scaled_up(v: &IntOrString, total: i32) -> Result<i32, String> {
    match v {
        IntOrString::Int(i) => Ok(*i),
        IntOrString::String(s) => {
            let p: i64 = s
                .strip_suffix('%')
                .and_then(|d| d.parse().ok())
                .ok_or_else(|| format!("invalid value for IntOrString: invalid value {s:?}"))?;
            let scaled = (p * total as i64 + 99).div_euclid(100);
            Ok(scaled.clamp(i32::MIN as i64, i32::MAX as i64) as i32)
        }
    }
}

/// What a controller's `/scale` says: upstream's finders, tried in order for a pod's
/// controllerRef (a ReplicaSet of a Deployment counts as the Deployment; any other kind that
/// serves `/scale` by its `spec.replicas`). `Ok(None)`: no controller found.
fn controller_scale(store: &Store, namespace: &str, r: &OwnerRef) -> Result<Option<(Uid, i32)>, String> {
    let group = r.api_version.rsplit_once('/').map_or("", |(g, _)| g);
    let found = |kind: Kind| store.lookup(kind, namespace, &r.name).filter(|o| o.meta.uid == r.uid);
    if &*r.kind == "ReplicaSet" && group == "apps" {
        let Some(rs) = found(Kind::ReplicaSet) else { return Ok(None) };
        let Body::ReplicaSet { spec, .. } = &rs.body else { return Ok(None) };
        // upstream: getPodDeployment — the Deployment's replicas stand for its ReplicaSets.
        if let Some(d_ref) = rs.meta.controller_ref().filter(|d| &*d.kind == "Deployment") {
            let d = store.lookup(Kind::Deployment, namespace, &d_ref.name).filter(|d| d.meta.uid == d_ref.uid);
            if let Some(Body::Deployment { spec, .. }) = d.map(|d| &d.body) {
                return Ok(Some((d_ref.uid, spec.replicas.unwrap_or(1))));
            }
        }
        // upstream: getScaleController — a ReplicaSet's own /scale.
        return Ok(Some((rs.meta.uid, spec.replicas.unwrap_or(1))));
    }
    // upstream: the scale client refuses kinds without the subresource.
    match (group, &*r.kind) {
        ("apps", "DaemonSet") => return Err("daemonsets.apps does not implement the scale subresource".into()),
        ("batch", "Job") => return Err("jobs.batch does not implement the scale subresource".into()),
        _ => {}
    }
    let Some(kind) = Kind::from_type_meta(&r.api_version, &r.kind) else {
        // upstream: the RESTMapper knows no such kind.
        return Err(format!("no matches for kind \"{}\" in group \"{group}\"", r.kind));
    };
    if !matches!(kind.name(), "Deployment" | "StatefulSet" | "ReplicationController") {
        return Err(format!("{} does not implement the scale subresource", kind.resource()));
    }
    let Some(owner) = found(kind) else { return Ok(None) };
    let replicas = match &owner.body {
        Body::Deployment { spec, .. } => spec.replicas.unwrap_or(1),
        _ => owner.to_json().pointer("/spec/replicas").and_then(|v| v.as_i64()).unwrap_or(1) as i32,
    };
    Ok(Some((owner.meta.uid, replicas)))
}

/// upstream: getExpectedScale — the sum of the scales of the selected pods' controllers, each
/// counted once, and the names of the pods without a controller.
fn expected_scale(store: &Store, pods: &[Arc<Object>]) -> Result<(i32, Vec<Arc<str>>), String> {
    let mut scales: BTreeMap<Uid, i32> = BTreeMap::new();
    let mut unmanaged = Vec::new();
    let mut seen: Vec<Uid> = Vec::new();
    for pod in pods {
        let Some(r) = pod.meta.controller_ref() else {
            unmanaged.push(pod.meta.name.clone());
            continue;
        };
        if scales.contains_key(&r.uid) || seen.contains(&r.uid) {
            continue;
        }
        match controller_scale(store, &pod.meta.namespace, r)? {
            Some((uid, scale)) => {
                scales.insert(uid, scale);
                seen.push(r.uid);
            }
            None => return Err(format!("found no controllers for pod {:?}", &*pod.meta.name)),
        }
    }
    Ok((scales.values().map(|s| *s as i64).sum::<i64>().clamp(0, i32::MAX as i64) as i32, unmanaged))
}

/// upstream: getExpectedPodCount — (expected, desired healthy, unmanaged pods).
fn expected_pod_count(
    store: &Store,
    spec: &PodDisruptionBudgetSpec,
    pods: &[Arc<Object>],
) -> Result<(i32, i32, Vec<Arc<str>>), String> {
    if let Some(max_unavailable) = &spec.max_unavailable {
        let (expected, unmanaged) = expected_scale(store, pods)?;
        let max = scaled_up(max_unavailable, expected)?;
        return Ok((expected, (expected - max).max(0), unmanaged));
    }
    match &spec.min_available {
        // upstream: an integer minAvailable needs no controller: expected is the pods selected.
        Some(IntOrString::Int(n)) => Ok((pods.len() as i32, *n, Vec::new())),
        Some(v @ IntOrString::String(_)) => {
            let (expected, unmanaged) = expected_scale(store, pods)?;
            Ok((expected, scaled_up(v, expected)?, unmanaged))
        }
        None => Ok((0, 0, Vec::new())),
    }
}

fn pod_ready(pod: &Object) -> bool {
    matches!(&pod.body, Body::Pod { status, .. } if status.is_ready())
}

/// upstream: meta.SetStatusCondition — the transition time moves only when the status does.
fn set_condition(
    conditions: &mut Vec<Condition>,
    status: bool,
    reason: &str,
    message: &str,
    generation: i64,
    now: Millis,
) {
    let status = if status { "True" } else { "False" };
    match conditions.iter_mut().find(|c| c.type_ == CONDITION) {
        Some(c) => {
            if c.status != status {
                c.status = status.into();
                c.last_transition_time = to_time(now);
            }
            c.reason = reason.into();
            c.message = message.into();
            c.observed_generation = Some(generation);
        }
        None => conditions.push(Condition {
            type_: CONDITION.into(),
            status: status.into(),
            reason: reason.into(),
            message: message.into(),
            observed_generation: Some(generation),
            last_transition_time: to_time(now),
        }),
    }
}

/// upstream: pdbhelper.UpdateDisruptionAllowedCondition.
pub fn update_allowed_condition(status: &mut PodDisruptionBudgetStatus, now: Millis) {
    let generation = status.observed_generation.unwrap_or(0);
    let conditions = status.conditions.get_or_insert_with(Vec::new);
    if status.disruptions_allowed > 0 {
        set_condition(conditions, true, "SufficientPods", "", generation, now);
    } else {
        set_condition(conditions, false, "InsufficientPods", "", generation, now);
    }
}

/// upstream: pdbhelper.ConditionsAreUpToDate.
fn conditions_up_to_date(status: &PodDisruptionBudgetStatus, generation: i64) -> bool {
    let Some(c) = status.conditions.iter().flatten().find(|c| c.type_ == CONDITION) else { return false };
    if status.observed_generation.unwrap_or(0) != generation {
        return false;
    }
    if status.disruptions_allowed > 0 {
        c.status == "True" && c.reason == "SufficientPods"
    } else {
        c.status == "False" && c.reason == "InsufficientPods"
    }
}

pub fn reconcile(ctx: &Ctx, key: &ObjectKey) -> Reconciled {
    let Some(obj) = ctx.store.get_by_key(key) else { return Reconciled::nothing() };
    if let Body::Pod { .. } = &obj.body {
        return reconcile_pod(ctx, obj);
    }
    let Body::PodDisruptionBudget(pdb) = &obj.body else { return Reconciled::nothing() };
    if obj.meta.deletion_timestamp().is_some() {
        return Reconciled::nothing();
    }
    let now = ctx.now;
    let spec = pdb.spec.clone().unwrap_or_default();
    let old = pdb.status.clone().unwrap_or_default();
    let mut writes = Vec::new();
    let event = |warning: bool, reason: &'static str, message: String| {
        Write::Event(Box::new(EventRecord::about(obj, COMPONENT, warning, reason, message)))
    };
    let pods = pods_for(ctx.store, &obj.meta.namespace, spec.selector.as_ref());
    if pods.is_empty() {
        writes.push(event(false, "NoPods", "No matching pods found".into()));
    }
    let (expected, desired, unmanaged) = match expected_pod_count(ctx.store, &spec, &pods) {
        Ok(counts) => counts,
        Err(e) => {
            writes.push(event(
                true,
                "CalculateExpectedPodCountFailed",
                format!("Failed to calculate the number of expected pods: {e}"),
            ));
            // upstream: failSafe — no disruptions, DisruptionAllowed=False/SyncFailed with the
            // error; observedGeneration is left as it was. sync returns the fail-safe write's
            // result, so a write that lands is not retried: the next change syncs it again.
            let mut status = old.clone();
            status.disruptions_allowed = 0;
            let generation = status.observed_generation.unwrap_or(0);
            set_condition(status.conditions.get_or_insert_with(Vec::new), false, "SyncFailed", &e, generation, now);
            if status != old {
                writes.push(with_status(obj, pdb, status));
            }
            return Reconciled { writes, requeue_at: None };
        }
    };
    if !unmanaged.is_empty() {
        let selector = go_selector(spec.selector.as_ref());
        writes.push(event(
            true,
            "UnmanagedPods",
            format!(
                "Pods selected by this PodDisruptionBudget (selector: {selector}) were found to be unmanaged. As a \
                 result, the status of the PDB cannot be calculated correctly, which may result in undefined \
                 behavior. To account for these pods please set \".spec.minAvailable\" field of the PDB to an \
                 integer value."
            ),
        ));
    }
    // upstream: buildDisruptedPodMap — granted evictions still pending, until the pod is seen
    // terminating or DeletionTimeout passes (then a NotDeleted warning on the pod).
    let mut disrupted: BTreeMap<String, Time> = BTreeMap::new();
    let mut recheck: Option<Millis> = None;
    if let Some(granted) = &old.disrupted_pods {
        for pod in &pods {
            if pod.meta.deletion_timestamp().is_some() {
                continue;
            }
            let Some(at) = granted.get(&*pod.meta.name) else { continue };
            let expires = from_time(at) + DELETION_TIMEOUT;
            if expires < now {
                writes.push(Write::Event(Box::new(EventRecord::about(
                    pod,
                    COMPONENT,
                    true,
                    "NotDeleted",
                    // upstream: the budget's namespace is passed twice (pdb.Namespace, pdb.Namespace).
                    format!(
                        "Pod was expected by PDB {}/{} to be deleted but it wasn't",
                        obj.meta.namespace, obj.meta.namespace
                    ),
                ))));
            } else {
                recheck = Some(recheck.map_or(expires, |r: Millis| r.min(expires)));
                disrupted.insert(pod.meta.name.to_string(), at.clone());
            }
        }
    }
    // upstream: countHealthyPods — Ready, not terminating, not an eviction in flight.
    let current = pods
        .iter()
        .filter(|p| p.meta.deletion_timestamp().is_none())
        .filter(|p| disrupted.get(&*p.meta.name).is_none_or(|at| from_time(at) + DELETION_TIMEOUT <= now))
        .filter(|p| pod_ready(p))
        .count() as i32;
    // upstream: updatePdbStatus — nothing is allowed while no pods are expected.
    let allowed = if expected <= 0 { 0 } else { (current - desired).max(0) };
    let generation = obj.meta.generation;
    let disrupted = (!disrupted.is_empty()).then_some(disrupted);
    let unchanged = old.current_healthy == current
        && old.desired_healthy == desired
        && old.expected_pods == expected
        && old.disruptions_allowed == allowed
        && old.disrupted_pods.as_ref().filter(|m| !m.is_empty()) == disrupted.as_ref()
        && conditions_up_to_date(&old, generation);
    if !unchanged {
        let mut status = PodDisruptionBudgetStatus {
            current_healthy: current,
            desired_healthy: desired,
            expected_pods: expected,
            disruptions_allowed: allowed,
            disrupted_pods: disrupted,
            observed_generation: Some(generation),
            conditions: old.conditions.clone(),
        };
        update_allowed_condition(&mut status, now);
        writes.push(with_status(obj, pdb, status));
    }
    // upstream: the budget is synced again when its earliest pending eviction times out.
    Reconciled { writes, requeue_at: recheck.map(|t| t + 1) }
}

fn with_status(obj: &Object, pdb: &PodDisruptionBudget, status: PodDisruptionBudgetStatus) -> Write {
    let mut new = PodDisruptionBudget { status: Some(status), ..pdb.clone() };
    new.metadata = Default::default();
    Write::UpdateStatus(Box::new(Object { meta: obj.meta.clone(), body: Body::PodDisruptionBudget(Box::new(new)) }))
}

/// A `*metav1.LabelSelector` as Go's `%v` prints it in the UnmanagedPods message (the
/// generated `String()`: map entries `k: v,` in key order, requirements without their `&`).
fn go_selector(sel: Option<&LabelSelector>) -> String {
    let Some(sel) = sel else { return "nil".into() };
    let labels: String = sel.match_labels.iter().flatten().map(|(k, v)| format!("{k}: {v},")).collect();
    let exprs: String = sel
        .match_expressions
        .iter()
        .flatten()
        .map(|r| {
            let values = r.values.as_deref().unwrap_or_default().join(" ");
            format!("LabelSelectorRequirement{{Key:{},Operator:{},Values:[{values}],}},", r.key, r.operator)
        })
        .collect();
    format!("&LabelSelector{{MatchLabels:map[string]string{{{labels}}},MatchExpressions:[]LabelSelectorRequirement{{{exprs}}},}}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percents_scale_up_as_upstream() {
        // upstream: GetScaledValueFromIntOrPercent(roundUp=true).
        let p = |s: &str| IntOrString::String(s.into());
        for (v, total, want) in [
            (p("30%"), 7, 3),
            (p("30%"), 3, 1),
            (p("20%"), 10, 2),
            (p("34%"), 3, 2),
            (p("28%"), 1, 1),
            (p("0%"), 5, 0),
            (p("100%"), 5, 5),
            (IntOrString::Int(2), 7, 2),
        ] {
            assert_eq!(scaled_up(&v, total), Ok(want), "{v:?} of {total}");
        }
        assert!(scaled_up(&p("x%"), 3).is_err());
    }
}
