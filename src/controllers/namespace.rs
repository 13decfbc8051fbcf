//! The namespace controller (upstream: `pkg/controller/namespace`, its
//! `NamespacedResourcesDeleter`): a deleted namespace is Terminating until everything in it is
//! gone; then it removes its `kubernetes` finalizer and the namespace goes. Its conditions say
//! what is left, as upstream's `namespaceConditionUpdater` words them.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1 as core;

use super::{Ctx, DeleteOptions, Reconciled, Write};
use crate::api::{Body, Kind, Object};
use crate::sim::clock::Millis;
use crate::store::ObjectKey;

/// upstream: the condition types the deleter maintains, in order, with the reason and message
/// of each when nothing is wrong.
const CONDITIONS: [(&str, &str, &str); 5] = [
    ("NamespaceDeletionDiscoveryFailure", "ResourcesDiscovered", "All resources successfully discovered"),
    ("NamespaceDeletionGroupVersionParsingFailure", "ParsedGroupVersions", "All legacy kube types successfully parsed"),
    (
        "NamespaceDeletionContentFailure",
        "ContentDeleted",
        "All content successfully deleted, may be waiting on finalization",
    ),
    ("NamespaceContentRemaining", "ContentRemoved", "All content successfully removed"),
    ("NamespaceFinalizersRemaining", "ContentHasNoFinalizers", "All content-preserving finalizers finished"),
];

/// upstream: namespaceDeletionGracePeriod — the controller handles a namespace event this long
/// after it (so that every API server has seen the namespace terminating).
const EVENT_DELAY: Millis = 5_000;

pub fn reconcile(ctx: &Ctx, key: &ObjectKey) -> Reconciled {
    let Some(ns) = ctx.store.get_by_key(key) else { return Reconciled::nothing() };
    let Some(deleted_at) = ns.meta.deletion_timestamp() else { return Reconciled::nothing() };
    if ctx.now < deleted_at + EVENT_DELAY {
        return Reconciled { writes: Vec::new(), requeue_at: Some(deleted_at + EVENT_DELAY) };
    }
    let mut writes = Vec::new();
    // What stays after this pass's deletes, by `resource.group`, and the finalizers holding it.
    let mut remaining: BTreeMap<String, usize> = BTreeMap::new();
    let mut held: BTreeMap<String, usize> = BTreeMap::new();
    // upstream: estimateGracefulTermination — the longest grace period of the pods not yet
    // finished, unless that long has passed since the namespace was deleted.
    let mut estimate: Millis = 0;
    for kind in Kind::ALL.into_iter().filter(|k| k.namespaced()) {
        for obj in ctx.store.scan(kind, Some(&ns.meta.name)) {
            if obj.meta.deletion_timestamp().is_none() {
                // upstream: each resource is deleted with its default (background) propagation.
                writes.push(Write::Delete { key: ObjectKey::of(obj), options: DeleteOptions::default() });
            }
            if let Body::Pod { spec, status } = &obj.body {
                if !status.phase.is_terminal() {
                    estimate = estimate.max(spec.termination_grace_period_seconds.unwrap_or(30) * 1000);
                }
            }
            if stays(obj) {
                *remaining.entry(format!("{}.{}", kind.plural(), kind.group())).or_default() += 1;
                for f in obj.meta.finalizers() {
                    *held.entry(f.clone()).or_default() += 1;
                }
            }
        }
    }
    let mut problems: Vec<(&str, &str, String)> = Vec::new();
    if !remaining.is_empty() {
        let what: Vec<String> = remaining.iter().map(|(r, n)| format!("{r} has {n} resource instances")).collect();
        problems.push((
            "NamespaceContentRemaining",
            "SomeResourcesRemain",
            format!("Some resources are remaining: {}", what.join(", ")),
        ));
    }
    if !held.is_empty() {
        let what: Vec<String> = held.iter().map(|(f, n)| format!("{f} in {n} resource instances")).collect();
        problems.push((
            "NamespaceFinalizersRemaining",
            "SomeFinalizersRemain",
            format!("Some content in the namespace has finalizers remaining: {}", what.join(", ")),
        ));
    }
    let changed = with_conditions(ns, &problems, ctx.now);
    let updated = changed.is_some();
    if let Some(updated) = changed {
        writes.push(Write::UpdateStatus(Box::new(updated)));
    }
    if remaining.is_empty() {
        writes.push(Write::FinalizeNamespace(key.clone()));
        return Reconciled { writes, requeue_at: None };
    }
    if ctx.now - deleted_at >= estimate {
        estimate = 0;
    }
    // Content remains: look again after the estimate, or sooner when this pass changed the
    // namespace's conditions (the update is a namespace event, handled EVENT_DELAY later; a
    // failing pass is retried as soon).
    let again = match (updated, estimate) {
        (_, 0) => EVENT_DELAY,
        (true, e) => e.min(EVENT_DELAY),
        (false, e) => e,
    };
    Reconciled { writes, requeue_at: Some(ctx.now + again) }
}

/// Whether an object outlives its delete: it has finalizers, or it is a pod a kubelet still
/// has to stop (bound, not finished, a grace period), or it is already terminating.
fn stays(obj: &Object) -> bool {
    if obj.meta.deletion_timestamp().is_some() || !obj.meta.finalizers().is_empty() {
        return true;
    }
    match &obj.body {
        Body::Pod { spec, status } => {
            let bound = spec.node_name.is_some() || status.node_name.is_some();
            bound && !status.phase.is_terminal() && spec.termination_grace_period_seconds.unwrap_or(30) > 0
        }
        _ => false,
    }
}

/// The namespace with its deletion conditions set (upstream: updateConditions — a condition's
/// transition time moves only when its status does), or None when nothing changes.
fn with_conditions(ns: &Object, problems: &[(&str, &str, String)], now: Millis) -> Option<Object> {
    let mut updated = ns.clone();
    let Body::Namespace { status, .. } = &mut updated.body else { return None };
    let status = status.get_or_insert_with(Default::default);
    let conditions = status.conditions.get_or_insert_with(Vec::new);
    let mut changed = false;
    for (type_, ok_reason, ok_message) in CONDITIONS {
        let (state, reason, message) = match problems.iter().find(|p| p.0 == type_) {
            Some((_, reason, message)) => ("True", *reason, message.clone()),
            None => ("False", ok_reason, ok_message.to_string()),
        };
        let time = Some(crate::api::meta::to_time(now));
        match conditions.iter_mut().find(|c| c.type_ == type_) {
            None => {
                conditions.push(core::NamespaceCondition {
                    type_: type_.into(),
                    status: state.into(),
                    reason: Some(reason.into()),
                    message: Some(message),
                    last_transition_time: time,
                });
                changed = true;
            }
            Some(c) => {
                if c.status != state || c.reason.as_deref() != Some(reason) || c.message.as_deref() != Some(&message) {
                    if c.status != state {
                        c.last_transition_time = time;
                    }
                    c.status = state.into();
                    c.reason = Some(reason.into());
                    c.message = Some(message);
                    changed = true;
                }
            }
        }
    }
    changed.then_some(updated)
}
