//! The StatefulSet controller (`pkg/controller/statefulset`, MaxUnavailableStatefulSet off as
//! in 1.32): pods with stable ordinal names created and deleted in order (OrderedReady) or all
//! at once (Parallel), a claim per volume claim template made before its pod, revisions as
//! ControllerRevisions with currentRevision / updateRevision, RollingUpdate from the highest
//! ordinal down to the partition, OnDelete, and the claim retention policy.

use std::collections::BTreeMap;
use std::sync::Arc;

use k8s_openapi::api::apps::v1 as apps;
use k8s_openapi::api::core::v1 as core;

use super::history;
use super::replicaset::is_available;
use super::{Ctx, DeleteOptions, EventRecord, Reconciled, Write};
use crate::api::meta::{Meta, StringMap};
use crate::api::pod::Phase;
use crate::api::template::PodTemplate;
use crate::api::{Body, Kind, Object, OwnerRef};
use crate::labels::Selector;
use crate::sim::clock::Millis;
use crate::store::ObjectKey;

const COMPONENT: &str = "statefulset-controller";
/// upstream: apps.StatefulSetRevisionLabel — the pod's revision, the ControllerRevision's name.
pub const REVISION_LABEL: &str = "controller-revision-hash";
/// upstream: history.ControllerRevisionHashLabel — the revision's own hash label.
pub const HASH_LABEL: &str = "controller.kubernetes.io/hash";
pub const POD_NAME_LABEL: &str = "statefulset.kubernetes.io/pod-name";
pub const POD_INDEX_LABEL: &str = "apps.kubernetes.io/pod-index";

/// The spec parts the controller reads.
struct Set<'a> {
    ctx: &'a Ctx<'a>,
    sts: &'a Object,
    spec: &'a apps::StatefulSetSpec,
    min_ready: i32,
}

fn pod_parts(p: &Object) -> Option<&crate::api::pod::PodRuntime> {
    match &p.body {
        Body::Pod { status, .. } => Some(status),
        _ => None,
    }
}

fn terminating(p: &Object) -> bool {
    p.meta.deletion_timestamp().is_some()
}

/// upstream: isRunningAndReady
fn running_and_ready(p: &Object) -> bool {
    pod_parts(p).is_some_and(|s| s.phase == Phase::Running && s.is_ready())
}

impl Set<'_> {
    /// upstream: isRunningAndAvailable
    fn available(&self, p: &Object) -> bool {
        pod_parts(p).is_some_and(|s| s.phase == Phase::Running && is_available(s, self.min_ready, self.ctx.now))
    }
    /// upstream: isHealthy — running, ready, available and not terminating.
    fn healthy(&self, p: &Object) -> bool {
        running_and_ready(p) && self.available(p) && !terminating(p)
    }
}

fn failed_or_succeeded(p: &Object) -> bool {
    pod_parts(p).is_some_and(|s| matches!(s.phase, Phase::Failed | Phase::Succeeded))
}

/// upstream: getParentNameAndOrdinal — `(.*)-([0-9]+)$`.
pub fn ordinal_of(name: &str, set: &str) -> Option<i64> {
    let (parent, ord) = name.rsplit_once('-')?;
    (parent == set && !ord.is_empty() && ord.bytes().all(|b| b.is_ascii_digit())).then(|| ord.parse().ok()).flatten()
}

fn claim_name(template: &str, set: &str, ordinal: i64) -> String {
    format!("{template}-{set}-{ordinal}")
}

fn event(sts: &Object, warning: bool, reason: &'static str, message: String) -> Write {
    Write::Event(Box::new(EventRecord::about(sts, COMPONENT, warning, reason, message)))
}

/// The pod's delete and the event that reports it (upstream: StatefulPodControl.DeleteStatefulPod).
fn delete_pod(sts: &Object, p: &Object) -> [Write; 2] {
    let message = format!("delete Pod {} in StatefulSet {} successful", p.meta.name, sts.meta.name);
    [delete(p), event(sts, false, "SuccessfulDelete", message)]
}

fn delete(p: &Object) -> Write {
    Write::Delete { key: ObjectKey::of(p), options: DeleteOptions { uid: Some(p.meta.uid), ..Default::default() } }
}

fn policy(spec: &apps::StatefulSetSpec) -> (&str, &str) {
    let p = spec.persistent_volume_claim_retention_policy.as_ref();
    (
        p.and_then(|p| p.when_deleted.as_deref()).unwrap_or("Retain"),
        p.and_then(|p| p.when_scaled.as_deref()).unwrap_or("Retain"),
    )
}

pub fn reconcile(ctx: &Ctx, key: &ObjectKey) -> Reconciled {
    let Some(sts) = ctx.store.get_by_key(key) else { return Reconciled::nothing() };
    let Body::StatefulSet { spec, status, template } = &sts.body else { return Reconciled::nothing() };
    if sts.meta.deletion_timestamp().is_some() {
        return Reconciled::nothing();
    }
    let mut out = Reconciled::nothing();
    let Ok(selector) = Selector::from_label_selector(Some(&spec.selector)) else { return out };
    let s = Set { ctx, sts, spec, min_ready: spec.min_ready_seconds.unwrap_or(0) };

    // Revisions (upstream: getStatefulSetRevisions).
    let Some((current, update, old)) = revisions(&s, status, template, &mut out) else { return out };

    // The pods it owns (claiming orphans as the ReplicaSet does is left out: a StatefulSet's
    // pods are named for it).
    let mut pods: BTreeMap<i64, Arc<Object>> = BTreeMap::new();
    for p in ctx.store.dependents_iter(sts.meta.uid) {
        if p.kind() == Kind::Pod
            && p.meta.controller_ref().is_some_and(|r| r.uid == sts.meta.uid)
            && selector.matches(&p.meta.labels)
        {
            if let Some(o) = ordinal_of(&p.meta.name, &sts.meta.name) {
                pods.insert(o, p.clone());
            }
        }
    }
    let start = spec.ordinals.as_ref().and_then(|o| o.start).unwrap_or(0).max(0) as i64;
    let replicas = i64::from(spec.replicas.unwrap_or(1).max(0));
    let end = start + replicas;
    let monotonic = spec.pod_management_policy.as_deref() != Some("Parallel");
    let rolling = spec.update_strategy.as_ref().and_then(|u| u.type_.as_deref()) != Some("OnDelete");
    let partition = spec
        .update_strategy
        .as_ref()
        .and_then(|u| u.rolling_update.as_ref())
        .and_then(|r| r.partition)
        .unwrap_or(0)
        .max(0) as i64;

    let mut requeue = None;
    let status_counts =
        sync_pods(&s, &pods, start, end, monotonic, rolling, partition, &current, &update, &mut out, &mut requeue);
    out = out.requeue(requeue);

    // upstream: truncateHistory — revisions not current, update or on a pod, oldest first.
    let limit = spec.revision_history_limit.unwrap_or(10).max(0) as usize;
    let live = |name: &str| {
        name == &*current.meta.name
            || name == &*update.meta.name
            || pods.values().any(|p| p.meta.labels.get(REVISION_LABEL).is_some_and(|r| r == name))
    };
    let prunable: Vec<Arc<Object>> = old.iter().filter(|cr| !live(&cr.meta.name)).cloned().collect();
    for cr in prunable.iter().take(prunable.len().saturating_sub(limit)) {
        out.writes.push(delete(cr));
    }

    // Status (upstream: updateStatefulSetStatus, completeRollingUpdate).
    let mut new_status = (**status).clone();
    new_status.replicas = status_counts.replicas;
    new_status.ready_replicas = Some(status_counts.ready).filter(|&n| n != 0);
    new_status.available_replicas = Some(status_counts.available);
    new_status.current_replicas = Some(status_counts.current).filter(|&n| n != 0);
    new_status.updated_replicas = Some(status_counts.updated).filter(|&n| n != 0);
    new_status.current_revision = Some(current.meta.name.to_string());
    new_status.update_revision = Some(update.meta.name.to_string());
    new_status.observed_generation = Some(sts.meta.generation);
    let replicas32 = replicas as i32;
    if rolling
        && status_counts.updated == replicas32
        && status_counts.ready == replicas32
        && status_counts.replicas == replicas32
    {
        new_status.current_revision = new_status.update_revision.clone();
        new_status.current_replicas = new_status.updated_replicas;
    }
    if new_status != **status {
        let mut updated = (**sts).clone();
        if let Body::StatefulSet { status, .. } = &mut updated.body {
            **status = new_status;
        }
        out.writes.push(Write::UpdateStatus(Box::new(updated)));
    }
    out
}

/// The current revision, the update revision, and the others.
type Revisions = (Arc<Object>, Arc<Object>, Vec<Arc<Object>>);

/// upstream: getStatefulSetRevisions — the current revision (status.currentRevision if it
/// still exists, else the update revision), the update revision (the current template's,
/// made or renumbered as needed) and every other revision, oldest first.
fn revisions(
    s: &Set,
    status: &apps::StatefulSetStatus,
    template: &PodTemplate,
    out: &mut Reconciled,
) -> Option<Revisions> {
    let all = history::owned_revisions(s.ctx.store, s.sts);
    let data = history::revision_data(template);
    let newest = all.iter().map(|cr| history::revision_number(cr)).max().unwrap_or(0);
    let equal: Vec<&Arc<Object>> = all.iter().filter(|cr| history::holds(cr, &data)).collect();
    let update: Arc<Object> = match equal.last() {
        // upstream: the newest revision is equal — reused as is.
        Some(cr) if history::revision_number(cr) == newest => (*cr).clone(),
        // An older equal revision (a rollback) gets the next number.
        Some(cr) => {
            let renumbered = Arc::new(history::renumbered(cr, newest + 1));
            out.writes.push(Write::Update(Box::new((*renumbered).clone())));
            renumbered
        }
        None => {
            let hash = history::template_hash(template, status.collision_count);
            let name = format!("{}-{hash}", s.sts.meta.name);
            if s.ctx.store.get(Kind::ControllerRevision, &s.sts.meta.namespace, &name).is_ok() {
                let mut bumped = s.sts.clone();
                if let Body::StatefulSet { status, .. } = &mut bumped.body {
                    status.collision_count = Some(status.collision_count.unwrap_or(0) + 1);
                }
                out.writes.push(Write::UpdateStatus(Box::new(bumped)));
                return None;
            }
            let cr = history::new_revision(s.sts, Kind::StatefulSet, template, HASH_LABEL, &hash, newest + 1);
            out.writes.push(Write::Create { obj: Box::new(cr.clone()), batch: 0, event: None });
            Arc::new(cr)
        }
    };
    let current = status
        .current_revision
        .as_deref()
        .and_then(|name| all.iter().find(|cr| &*cr.meta.name == name))
        .cloned()
        .unwrap_or_else(|| update.clone());
    let old =
        all.into_iter().filter(|cr| cr.meta.name != update.meta.name && cr.meta.name != current.meta.name).collect();
    Some((current, update, old))
}

#[derive(Default)]
struct Counts {
    replicas: i32,
    ready: i32,
    available: i32,
    current: i32,
    updated: i32,
}

/// upstream: updateStatefulSet (processReplica, processCondemned, the rolling update) — the
/// writes of one sync, and what the status counts of the pods as they were.
#[allow(clippy::too_many_arguments)]
fn sync_pods(
    s: &Set,
    pods: &BTreeMap<i64, Arc<Object>>,
    start: i64,
    end: i64,
    monotonic: bool,
    rolling: bool,
    partition: i64,
    current: &Object,
    update: &Object,
    out: &mut Reconciled,
    requeue: &mut Option<Millis>,
) -> Counts {
    let mut counts = Counts::default();
    for p in pods.values() {
        let Some(rt) = pod_parts(p) else { continue };
        counts.replicas += 1;
        if running_and_ready(p) {
            counts.ready += 1;
            if s.available(p) {
                counts.available += 1;
            } else if let Some(t) = rt.ready_since() {
                let at = t.div_euclid(1000) * 1000 + s.min_ready as Millis * 1000 + 1;
                *requeue = Some(requeue.map_or(at, |r: Millis| r.min(at)));
            }
        }
        if !terminating(p) {
            let rev = p.meta.labels.get(REVISION_LABEL);
            if rev.is_some_and(|r| *r == *current.meta.name) {
                counts.current += 1;
            }
            if rev.is_some_and(|r| *r == *update.meta.name) {
                counts.updated += 1;
            }
        }
    }
    let sts = s.sts;
    let name = &sts.meta.name;
    let (_, when_scaled) = policy(s.spec);
    let mut batch = 0u32;
    let mut in_batch = 0usize;
    // Replicas in ascending order.
    for ordinal in start..end {
        match pods.get(&ordinal) {
            None => {
                // Claims first, then the pod; with a current revision below the partition.
                let rev = if rolling && ordinal < start + partition { current } else { update };
                // upstream: CreateStatefulPod makes the claims, and the pod only if they were
                // made: a failed claim's batch (2k) stops its pod's (2k + 1) and later ones. (A
                // pod beside it in the same slow-start batch, which upstream makes in parallel,
                // is stopped too.)
                create_claims(s, ordinal, 2 * batch, out);
                let pod = new_pod(s, rev, ordinal);
                let msg = format!("create Pod {name}-{ordinal} in StatefulSet {name} successful");
                let ev = EventRecord::about(sts, COMPONENT, false, "SuccessfulCreate", msg);
                out.writes.push(Write::Create { obj: Box::new(pod), batch: 2 * batch + 1, event: Some(Box::new(ev)) });
                if monotonic {
                    return counts;
                }
                in_batch += 1;
                if in_batch == 1usize << batch {
                    batch += 1;
                    in_batch = 0;
                }
            }
            Some(p) if failed_or_succeeded(p) && !terminating(p) => {
                // upstream: deleted now, made again on a later sync once it is gone.
                out.writes.extend(delete_pod(sts, p));
                if monotonic {
                    return counts;
                }
            }
            Some(p) => {
                if monotonic && (terminating(p) || !running_and_ready(p) || !s.available(p)) {
                    return counts;
                }
            }
        }
    }
    // Condemned pods, highest ordinal first.
    let condemned: Vec<&Arc<Object>> =
        pods.iter().filter(|(o, _)| **o < start || **o >= end).map(|(_, p)| p).rev().collect();
    for p in &condemned {
        if terminating(p) {
            if monotonic {
                return counts;
            }
            continue;
        }
        if when_scaled == "Delete" {
            // upstream: a condemned pod owns its claims, so they go with it.
            own_claims(s, p, out);
        }
        out.writes.extend(delete_pod(sts, p));
        if monotonic {
            return counts;
        }
    }
    if !rolling {
        return counts;
    }
    // RollingUpdate: from the highest ordinal down to the partition, one pod at a time.
    for ordinal in (start + partition..end).rev() {
        let Some(p) = pods.get(&ordinal) else { continue };
        if p.meta.labels.get(REVISION_LABEL).map(String::as_str) != Some(&*update.meta.name) && !terminating(p) {
            out.writes.extend(delete_pod(sts, p));
            return counts;
        }
        if !s.healthy(p) {
            return counts;
        }
    }
    counts
}

/// The template a revision holds.
fn revision_pod_template(rev: &Object) -> PodTemplate {
    PodTemplate::from_wire(history::revision_template(rev).and_then(|t| serde_json::from_value(t).ok()))
}

/// upstream: newVersionedStatefulSetPod — the revision's template with the pod's identity
/// (name, hostname, subdomain, labels) and its claims in place of the template's volumes.
fn new_pod(s: &Set, rev: &Object, ordinal: i64) -> Object {
    let sts = s.sts;
    let template = match &sts.body {
        Body::StatefulSet { template, .. } if history::holds(rev, &history::revision_data(template)) => {
            template.clone()
        }
        _ => revision_pod_template(rev),
    };
    let pod_name = format!("{}-{ordinal}", sts.meta.name);
    let mut labels: StringMap = (*template.labels).clone();
    labels.insert(POD_NAME_LABEL.into(), pod_name.clone());
    labels.insert(POD_INDEX_LABEL.into(), ordinal.to_string());
    labels.insert(REVISION_LABEL.into(), rev.meta.name.to_string());
    let mut spec = (*template.admitted).clone();
    spec.hostname = Some(pod_name.clone());
    if let Some(svc) = s.spec.service_name.as_ref().filter(|n| !n.is_empty()) {
        spec.subdomain = Some(svc.clone());
    }
    for claim in s.spec.volume_claim_templates.iter().flatten() {
        let tname = claim.metadata.name.clone().unwrap_or_default();
        let volume = core::Volume {
            name: tname.clone(),
            persistent_volume_claim: Some(core::PersistentVolumeClaimVolumeSource {
                claim_name: claim_name(&tname, &sts.meta.name, ordinal),
                read_only: None,
            }),
            ..Default::default()
        };
        let volumes = spec.volumes.get_or_insert_with(Vec::new);
        match volumes.iter_mut().find(|v| v.name == tname) {
            Some(v) => *v = volume,
            None => volumes.push(volume),
        }
    }
    let meta = Meta {
        name: pod_name.into(),
        namespace: sts.meta.namespace.clone(),
        labels: Arc::new(labels),
        annotations: template.annotations.clone(),
        owner_references: Arc::new(vec![OwnerRef::controller_of(Kind::StatefulSet, &sts.meta.name, sts.meta.uid)]),
        ..Default::default()
    };
    Object { meta, body: Body::Pod { spec: Arc::new(spec), status: Default::default() } }
}

/// upstream: createPersistentVolumeClaims — the pod's missing claims, labelled with the
/// template's and the selector's labels; owned by the set when whenDeleted is Delete.
fn create_claims(s: &Set, ordinal: i64, batch: u32, out: &mut Reconciled) {
    let sts = s.sts;
    let (when_deleted, _) = policy(s.spec);
    for t in s.spec.volume_claim_templates.iter().flatten() {
        let tname = t.metadata.name.clone().unwrap_or_default();
        let cname = claim_name(&tname, &sts.meta.name, ordinal);
        if s.ctx.store.get(Kind::PersistentVolumeClaim, &sts.meta.namespace, &cname).is_ok() {
            continue;
        }
        let mut labels: StringMap = t.metadata.labels.clone().unwrap_or_default().into_iter().collect();
        for (k, v) in s.spec.selector.match_labels.iter().flatten() {
            labels.insert(k.clone(), v.clone());
        }
        let owners = if when_deleted == "Delete" {
            vec![OwnerRef {
                controller: None,
                block_owner_deletion: None,
                ..OwnerRef::controller_of(Kind::StatefulSet, &sts.meta.name, sts.meta.uid)
            }]
        } else {
            Vec::new()
        };
        let meta = Meta {
            name: cname.clone().into(),
            namespace: sts.meta.namespace.clone(),
            labels: Arc::new(labels),
            annotations: Arc::new(t.metadata.annotations.clone().unwrap_or_default().into_iter().collect()),
            owner_references: Arc::new(owners),
            ..Default::default()
        };
        let claim = core::PersistentVolumeClaim { spec: t.spec.clone(), ..Default::default() };
        let obj = Object { meta, body: Body::PersistentVolumeClaim(Box::new(claim)) };
        let msg =
            format!("create Claim {cname} Pod {}-{ordinal} in StatefulSet {} success", sts.meta.name, sts.meta.name);
        let ev = EventRecord::about(sts, COMPONENT, false, "SuccessfulCreate", msg);
        out.writes.push(Write::Create { obj: Box::new(obj), batch, event: Some(Box::new(ev)) });
    }
}

/// upstream: updateClaimOwnerRefForSetAndPod with whenScaled=Delete — a condemned pod becomes
/// an owner of its claims (a claim with another controller is left alone, with a warning).
fn own_claims(s: &Set, pod: &Object, out: &mut Reconciled) {
    let sts = s.sts;
    let Some(ordinal) = ordinal_of(&pod.meta.name, &sts.meta.name) else { return };
    for t in s.spec.volume_claim_templates.iter().flatten() {
        let cname = claim_name(&t.metadata.name.clone().unwrap_or_default(), &sts.meta.name, ordinal);
        let Ok(claim) = s.ctx.store.get(Kind::PersistentVolumeClaim, &sts.meta.namespace, &cname) else { continue };
        if claim.meta.owner_references.iter().any(|r| r.uid == pod.meta.uid) {
            continue;
        }
        if claim.meta.controller_ref().is_some_and(|r| r.uid != sts.meta.uid) {
            let msg = format!(
                "PersistentVolumeClaim {cname} has a conflicting OwnerReference that acts as a manging controller, the retention policy is ignored for this claim"
            );
            out.writes.push(event(sts, true, "ConflictingController", msg));
            continue;
        }
        let mut owned = (*claim).clone();
        let r = OwnerRef {
            controller: None,
            block_owner_deletion: None,
            ..OwnerRef::controller_of(Kind::Pod, &pod.meta.name, pod.meta.uid)
        };
        Arc::make_mut(&mut owned.meta.owner_references).push(r);
        out.writes.push(Write::Update(Box::new(owned)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinals_parse_like_get_parent_name_and_ordinal() {
        assert_eq!(ordinal_of("web-0", "web"), Some(0));
        assert_eq!(ordinal_of("web-12", "web"), Some(12));
        assert_eq!(ordinal_of("my-web-3", "my-web"), Some(3));
        assert_eq!(ordinal_of("web-3", "db"), None);
        assert_eq!(ordinal_of("web-x", "web"), None);
        assert_eq!(ordinal_of("web-", "web"), None);
    }
}
