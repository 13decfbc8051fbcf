//! The DaemonSet controller (`pkg/controller/daemon`): one pod on every node that should run
//! one, pinned there by node affinity; revisions as ControllerRevisions; RollingUpdate
//! (maxUnavailable or maxSurge) and OnDelete; status per node.

pub mod backoff;
mod eligibility;
mod update;
mod view;

use std::collections::BTreeSet;
use std::sync::Arc;

use k8s_openapi::api::apps::v1 as apps;
use k8s_openapi::api::core::v1 as core;

use super::history;
use super::node_affinity::{pre_filter, PreFilter};
use super::replicaset::{is_available, node_of};
use super::{Ctx, DeleteOptions, EventRecord, Reconciled, Write};
use crate::api::strategy::TEMPLATE_GENERATION;
use crate::api::template::PodTemplate;
use crate::api::{Body, Kind, Object, OwnerRef};
use crate::labels::Selector;
use crate::store::ObjectKey;

pub use eligibility::{daemon_pod_tolerations, node_should_run, pinned_affinity};
pub use update::{scaled_counts, Counts};
pub use view::Memory;

const COMPONENT: &str = "daemonset-controller";
/// upstream: apps.DefaultDaemonSetUniqueLabelKey
pub const HASH_LABEL: &str = "controller-revision-hash";
/// upstream: extensions.DaemonSetTemplateGenerationKey
pub const GENERATION_LABEL: &str = "pod-template-generation";
/// upstream: BurstReplicas — at most this many creates, and as many deletes, per sync.
pub const BURST_REPLICAS: usize = 250;

/// What one sync sees of a DaemonSet.
pub(crate) struct Sync<'a> {
    ctx: &'a Ctx<'a>,
    ds: &'a Object,
    spec: &'a apps::DaemonSetSpec,
    /// The template's pod spec with the tolerations every daemon pod gets (what eligibility is
    /// judged on).
    pod_spec: core::PodSpec,
    hash: String,
    generation: Option<String>,
    min_ready: i32,
    selector: &'a Selector,
    /// The DaemonSet's `status.observedGeneration` as this sync reads it (upstream: part of
    /// failedPodsBackoffKey).
    observed_generation: i64,
}

/// A DaemonSet's pods by the node they belong to.
type ByNode<'a> = rustc_hash::FxHashMap<&'a str, Vec<Arc<Object>>>;

impl Sync<'_> {
    /// upstream: util.IsPodUpdated — the current hash, or the current template generation.
    fn is_updated(&self, pod: &Object) -> bool {
        let labels = &pod.meta.labels;
        labels.get(HASH_LABEL).is_some_and(|h| *h == self.hash)
            || self.generation.as_ref().is_some_and(|g| labels.get(GENERATION_LABEL) == Some(g))
    }
    fn available(&self, pod: &Object) -> bool {
        matches!(&pod.body, Body::Pod { status, .. } if is_available(status, self.min_ready, self.ctx.now))
    }
}

fn ready(pod: &Object) -> bool {
    matches!(&pod.body, Body::Pod { status, .. } if status.is_ready())
}

/// Whether a pod is Failed (`Some(true)`) or Succeeded (`Some(false)`), by the phase the API
/// shows (a client's `pods/status` write included: upstream reads the pod's status.phase).
fn phase_failed(pod: &Object) -> Option<bool> {
    match &pod.body {
        Body::Pod { status, .. } => match status.shown_phase() {
            crate::api::pod::Phase::Failed => Some(true),
            crate::api::pod::Phase::Succeeded => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// upstream: podByCreationTimestampAndPhase — bound pods first, then the oldest (by the
/// second the API shows), then by name.
fn oldest_first(pods: &mut [Arc<Object>]) {
    pods.sort_by(|a, b| {
        let unbound = |p: &Object| node_bound(p).is_none();
        unbound(a)
            .cmp(&unbound(b))
            .then((a.meta.creation_timestamp / 1000).cmp(&(b.meta.creation_timestamp / 1000)))
            .then(a.meta.name.cmp(&b.meta.name))
    });
}

fn node_bound(p: &Object) -> Option<&str> {
    node_of(p)
}

/// The node a daemon pod belongs to: where it is bound, or else the node its affinity names
/// (upstream: getNodesToDaemonPods via util.GetTargetNodeName).
fn target_node(p: &Object) -> Option<&str> {
    if let Some(n) = node_of(p) {
        return Some(n);
    }
    let Body::Pod { spec, .. } = &p.body else { return None };
    match pre_filter(spec) {
        PreFilter::Nodes(names) if names.len() == 1 => names.into_iter().next(),
        _ => None,
    }
}

pub fn reconcile(ctx: &Ctx, key: &ObjectKey) -> Reconciled {
    let Some(ds) = ctx.store.get_by_key(key) else { return Reconciled::nothing() };
    let Body::DaemonSet { spec, status, template } = &ds.body else { return Reconciled::nothing() };
    // upstream: a DaemonSet being deleted is left to the garbage collector.
    if ds.meta.deletion_timestamp().is_some() {
        return Reconciled::nothing();
    }
    let mut out = Reconciled::nothing();
    let sel = &spec.selector;
    if sel.match_labels.as_ref().is_none_or(|m| m.is_empty())
        && sel.match_expressions.as_ref().is_none_or(|e| e.is_empty())
    {
        out.writes.push(Write::Event(Box::new(EventRecord::about(
            ds,
            COMPONENT,
            true,
            "SelectingAll",
            "This daemon set is selecting all pods. A non-empty selector is required.".into(),
        ))));
        return out;
    }
    let Ok(selector) = Selector::from_label_selector(Some(sel)) else { return out };

    // History first (upstream: constructHistory): the current revision and the old ones.
    let Some((hash, old_revisions)) = construct_history(ctx, ds, status, template, &mut out) else {
        return out;
    };
    let mut pod_spec = template.spec();
    daemon_pod_tolerations(&mut pod_spec);
    let s = Sync {
        ctx,
        ds,
        spec,
        pod_spec,
        hash,
        generation: ds.meta.annotations.get(TEMPLATE_GENERATION).cloned(),
        min_ready: spec.min_ready_seconds.unwrap_or(0),
        selector: &selector,
        observed_generation: status.observed_generation.unwrap_or(0),
    };

    // Every node's part in the sync (see view.rs): from the last sync's memory and the pods
    // written since, or worked out whole.
    let memory = ctx.daemon.take(key).filter(|m| m.fits(&s) && !adopts_orphans(&s));
    let cache = match memory.and_then(|mut m| m.update(&s).then_some(m)) {
        Some(m) => {
            #[cfg(debug_assertions)]
            {
                let full = full_view(&s, &mut Reconciled::nothing());
                debug_assert_eq!(m.totals, full.totals, "the DaemonSet's remembered view of {key:?} is the full one");
            }
            m
        }
        _ => full_view(&s, &mut out),
    };
    let totals = &cache.totals;
    out.writes.extend(totals.events().map(|e| Write::Event(Box::new(e.clone()))));
    // upstream: failedPodsBackoff.Next — each failed pod killed steps its node's back-off.
    out.writes.extend(totals.backoffs().map(|(k, e)| Write::DaemonSetBackoff(k.clone(), *e)));
    // upstream: the rolling update runs only once what manage() asked for has been observed.
    let rolling = spec.update_strategy.as_ref().and_then(|u| u.type_.as_deref()) == Some("RollingUpdate");
    let (to_create, to_delete) = totals.plan(&s, rolling, BURST_REPLICAS);
    sync_nodes(&s, template, &to_create, &to_delete, &mut out);

    // upstream: cleanupHistory — live hashes include every pod's, terminal ones too.
    let limit = spec.revision_history_limit.unwrap_or(10).max(0) as usize;
    for cr in history::to_prune(&old_revisions, limit, HASH_LABEL, &|h| totals.live_hash(h)) {
        out.writes.push(Write::Delete {
            key: ObjectKey::of(cr),
            options: DeleteOptions { uid: Some(cr.meta.uid), ..Default::default() },
        });
    }

    let new_status = new_status(&s, status, totals);
    out = out.requeue(totals.requeue());
    if new_status != **status {
        let mut updated = (**ds).clone();
        if let Body::DaemonSet { status, .. } = &mut updated.body {
            **status = new_status;
        }
        out.writes.push(Write::UpdateStatus(Box::new(updated)));
    }
    if cache.fits(&s) {
        ctx.daemon.put(key.clone(), cache);
    }
    out
}

/// Whether a sync would adopt an orphan (then it claims everything, as a full sync).
fn adopts_orphans(s: &Sync) -> bool {
    !s.ctx.store.adoptable(Kind::Pod, &s.ds.meta.namespace, s.selector).is_empty()
}

/// The whole view: the pods claimed (upstream: getNodesToDaemonPods), grouped by node, oldest
/// first, and every node judged.
fn full_view(s: &Sync, out: &mut Reconciled) -> view::Cache {
    let pods = claim(s.ctx, s.ds, s.selector, out);
    let mut by_node: ByNode = ByNode::default();
    for p in &pods {
        // (A pod neither bound nor pinned is not a daemon pod of any node; upstream skips it.)
        if let Some(n) = target_node(p) {
            by_node.entry(n).or_default().push(p.clone());
        }
    }
    for pods in by_node.values_mut() {
        oldest_first(pods);
    }
    let eligibility =
        s.ctx.nodes.info.iter().map(|(name, info)| (name.clone(), node_should_run(&s.pod_spec, name, info))).collect();
    view::build(s, eligibility, by_node)
}

/// upstream: updateDaemonSetStatus — the counts summed over the nodes.
fn new_status(s: &Sync, old: &apps::DaemonSetStatus, totals: &view::Totals) -> apps::DaemonSetStatus {
    let [desired, current, misscheduled, ready_n, available, updated] = totals.status.map(|n| n as i32);
    apps::DaemonSetStatus {
        desired_number_scheduled: desired,
        current_number_scheduled: current,
        number_misscheduled: misscheduled,
        number_ready: ready_n,
        // (omitempty in Go: a zero is not shown.)
        number_available: Some(available).filter(|&n| n != 0),
        updated_number_scheduled: Some(updated).filter(|&n| n != 0),
        number_unavailable: Some(desired - available).filter(|&n| n != 0),
        observed_generation: Some(s.ds.meta.generation),
        collision_count: old.collision_count,
        conditions: old.conditions.clone(),
    }
}

/// upstream: constructHistory — find or create the revision of the current template, number
/// it one past the newest, and return its hash and the other (old) revisions. `None` when the
/// revision's name is taken by another template (the collision count is bumped).
fn construct_history(
    ctx: &Ctx,
    ds: &Object,
    status: &apps::DaemonSetStatus,
    template: &PodTemplate,
    out: &mut Reconciled,
) -> Option<(String, Vec<Arc<Object>>)> {
    let data = history::revision_data(template);
    let revisions = history::owned_revisions(ctx.store, ds);
    let (current, old): (Vec<Arc<Object>>, Vec<Arc<Object>>) =
        revisions.into_iter().partition(|cr| history::holds(cr, &data));
    let next = old.iter().map(|cr| history::revision_number(cr)).max().unwrap_or(0) + 1;
    match current.last() {
        Some(cur) => {
            // upstream: dedupCurHistories keeps the newest, moving pods off the others.
            for dup in &current[..current.len() - 1] {
                out.writes.push(Write::Delete {
                    key: ObjectKey::of(dup),
                    options: DeleteOptions { uid: Some(dup.meta.uid), ..Default::default() },
                });
            }
            if history::revision_number(cur) < next {
                out.writes.push(Write::Update(Box::new(history::renumbered(cur, next))));
            }
            let hash = cur
                .meta
                .labels
                .get(HASH_LABEL)
                .cloned()
                .unwrap_or_else(|| history::template_hash(template, status.collision_count));
            Some((hash, old))
        }
        None => {
            let hash = history::template_hash(template, status.collision_count);
            let name = format!("{}-{hash}", ds.meta.name);
            if ctx.store.get(Kind::ControllerRevision, &ds.meta.namespace, &name).is_ok() {
                // upstream: snapshot — a revision of that name holding another template.
                let mut bumped = ds.clone();
                if let Body::DaemonSet { status, .. } = &mut bumped.body {
                    status.collision_count = Some(status.collision_count.unwrap_or(0) + 1);
                }
                out.writes.push(Write::UpdateStatus(Box::new(bumped)));
                return None;
            }
            let cr = history::new_revision(ds, Kind::DaemonSet, template, HASH_LABEL, &hash, next);
            out.writes.push(Write::Create { obj: Box::new(cr), batch: 0, event: None });
            Some((hash, old))
        }
    }
}

/// Claim (upstream: ControllerRefManager.ClaimPods): owned pods that still match, plus
/// matching orphans (adopted); owned pods that stopped matching are released.
fn claim(ctx: &Ctx, ds: &Object, selector: &Selector, out: &mut Reconciled) -> Vec<Arc<Object>> {
    let mut claimed = Vec::new();
    for pod in ctx.store.dependents_iter(ds.meta.uid) {
        if pod.kind() != Kind::Pod || pod.meta.controller_ref().is_none_or(|r| r.uid != ds.meta.uid) {
            continue;
        }
        if selector.matches(&pod.meta.labels) {
            claimed.push(pod.clone());
        } else {
            let mut released = (**pod).clone();
            Arc::make_mut(&mut released.meta.owner_references).retain(|r| r.uid != ds.meta.uid);
            out.writes.push(Write::Update(Box::new(released)));
        }
    }
    let owner = OwnerRef::controller_of(Kind::DaemonSet, &ds.meta.name, ds.meta.uid);
    for pod in ctx.store.adoptable(Kind::Pod, &ds.meta.namespace, selector) {
        let mut adopted = (**pod).clone();
        Arc::make_mut(&mut adopted.meta.owner_references).push(owner.clone());
        out.writes.push(Write::Update(Box::new(adopted)));
        claimed.push(pod.clone());
    }
    claimed
}

/// upstream: syncNodes — create on the nodes (slow-start batches), delete the pods; at most
/// [`BURST_REPLICAS`] of each per sync.
fn sync_nodes(s: &Sync, template: &PodTemplate, create: &[String], delete: &[Arc<Object>], out: &mut Reconciled) {
    let ds = s.ds;
    if !create.is_empty() {
        let base = daemon_pod_template(s, template);
        let owner = Arc::new(vec![OwnerRef::controller_of(Kind::DaemonSet, &ds.meta.name, ds.meta.uid)]);
        let prefix = Arc::new(format!("{}-", ds.meta.name));
        let (mut batch, mut in_batch) = (0u32, 0usize);
        for node in create.iter().take(BURST_REPLICAS) {
            let mut spec = (*base.1).clone();
            spec.affinity = Some(pinned_affinity(spec.affinity.take(), node));
            let meta = crate::api::meta::Meta {
                namespace: ds.meta.namespace.clone(),
                generate_name: Some(prefix.clone()),
                labels: base.0.clone(),
                annotations: template.annotations.clone(),
                owner_references: owner.clone(),
                ..Default::default()
            };
            let pod = Object { meta, body: Body::Pod { spec: Arc::new(spec), status: Default::default() } };
            let event = EventRecord::about(ds, COMPONENT, false, "SuccessfulCreate", "Created pod: {}".into());
            out.writes.push(Write::Create { obj: Box::new(pod), batch, event: Some(Box::new(event)) });
            in_batch += 1;
            if in_batch == 1usize << batch {
                batch += 1;
                in_batch = 0;
            }
        }
    }
    let mut seen = BTreeSet::new();
    for p in delete.iter().filter(|p| seen.insert(p.meta.uid)).take(BURST_REPLICAS) {
        out.writes.push(Write::Delete {
            key: ObjectKey::of(p),
            options: DeleteOptions { uid: Some(p.meta.uid), ..Default::default() },
        });
        out.writes.push(Write::Event(Box::new(EventRecord::about(
            ds,
            COMPONENT,
            false,
            "SuccessfulDelete",
            format!("Deleted pod: {}", p.meta.name),
        ))));
    }
}

/// upstream: util.CreatePodTemplate plus the API server's admission — the labels every new
/// daemon pod carries and its spec before the node affinity is set.
fn daemon_pod_template(s: &Sync, template: &PodTemplate) -> (Arc<crate::api::meta::StringMap>, Arc<core::PodSpec>) {
    let mut labels = (*template.labels).clone();
    if let Some(g) = &s.generation {
        labels.insert(GENERATION_LABEL.into(), g.clone());
    }
    labels.insert(HASH_LABEL.into(), s.hash.clone());
    let mut pod = core::Pod { spec: Some(s.pod_spec.clone()), ..Default::default() };
    crate::api::defaults::default_pod(&mut pod);
    (Arc::new(labels), Arc::new(pod.spec.unwrap_or_default()))
}
