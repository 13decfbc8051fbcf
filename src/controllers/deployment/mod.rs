//! The Deployment controller (`pkg/controller/deployment`): one new ReplicaSet per pod template,
//! rolled out by RollingUpdate or Recreate, scaled proportionally, revisions and history kept
//! in annotations, progress reported in conditions. `controllers.md` §1 is the specification.

mod newrs;
mod rollout;
mod status;
#[cfg(test)]
mod tests;

use std::sync::Arc;

use k8s_openapi::api::apps::v1 as apps;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::{Ctx, EventRecord, Reconciled, Write};
use crate::api::meta::{from_time, to_time, Meta, StringMap};
use crate::api::object::{ReplicaSetSpec, StoredSelector};
use crate::api::template::PodTemplate;
use crate::api::{Body, Kind, Object, OwnerRef};
use crate::labels::Selector;
use crate::sim::clock::Millis;
use crate::store::ObjectKey;
use newrs::ensure_new_rs;
use rollout::{cleanup, deployment_complete, rollout_recreate, rollout_rolling, scale_proportionally};
use status::{check_paused_conditions, progress_deadline, progressing, sync_status};

pub(super) const COMPONENT: &str = "deployment-controller";
pub const HASH_LABEL: &str = "pod-template-hash";
pub const REVISION: &str = "deployment.kubernetes.io/revision";
pub const REVISION_HISTORY: &str = "deployment.kubernetes.io/revision-history";
pub const DESIRED_REPLICAS: &str = "deployment.kubernetes.io/desired-replicas";
pub const MAX_REPLICAS: &str = "deployment.kubernetes.io/max-replicas";
pub const CHANGE_CAUSE: &str = "kubernetes.io/change-cause";
pub(super) const ROLLBACK_TO: &str = "deprecated.deployment.rollback.to";
/// upstream: annotationsToSkip — never copied between a Deployment and its ReplicaSets.
pub const SKIP_ANNOTATIONS: [&str; 6] = [
    "kubectl.kubernetes.io/last-applied-configuration",
    REVISION,
    REVISION_HISTORY,
    DESIRED_REPLICAS,
    MAX_REPLICAS,
    ROLLBACK_TO,
];
pub(super) const MAX_INT32: i32 = i32::MAX;

/// upstream: intstr.GetScaledValueFromIntOrPercent
pub fn scaled_value(v: Option<&IntOrString>, total: i32, round_up: bool) -> i32 {
    match v {
        None => 0,
        Some(IntOrString::Int(n)) => *n,
        Some(IntOrString::String(s)) => {
            let p: i64 = s.trim_end_matches('%').parse().unwrap_or(0);
            let x = p * total as i64;
            (if round_up { (x + 99).div_euclid(100) } else { x.div_euclid(100) }) as i32
        }
    }
}

pub(super) fn rolling(spec: &apps::DeploymentSpec) -> Option<&apps::RollingUpdateDeployment> {
    let s = spec.strategy.as_ref()?;
    if s.type_.as_deref().unwrap_or("RollingUpdate") != "RollingUpdate" {
        return None;
    }
    s.rolling_update.as_ref()
}

pub(super) fn is_rolling(spec: &apps::DeploymentSpec) -> bool {
    spec.strategy.as_ref().and_then(|s| s.type_.as_deref()).unwrap_or("RollingUpdate") == "RollingUpdate"
}

/// upstream: ResolveFenceposts — surge rounds up, unavailable rounds down, both 0 ⇒ unavailable 1.
pub fn resolve_fenceposts(surge: Option<&IntOrString>, unavailable: Option<&IntOrString>, desired: i32) -> (i32, i32) {
    let s = scaled_value(surge, desired, true);
    let u = scaled_value(unavailable, desired, false);
    if s == 0 && u == 0 {
        (0, 1)
    } else {
        (s, u)
    }
}

pub fn max_surge(spec: &apps::DeploymentSpec) -> i32 {
    match rolling(spec) {
        Some(r) if is_rolling(spec) => {
            resolve_fenceposts(r.max_surge.as_ref(), r.max_unavailable.as_ref(), replicas_of(spec)).0
        }
        _ => 0,
    }
}

pub fn max_unavailable(spec: &apps::DeploymentSpec) -> i32 {
    let desired = replicas_of(spec);
    match rolling(spec) {
        Some(r) if desired > 0 => {
            resolve_fenceposts(r.max_surge.as_ref(), r.max_unavailable.as_ref(), desired).1.min(desired)
        }
        _ => 0,
    }
}

pub(super) fn replicas_of(spec: &apps::DeploymentSpec) -> i32 {
    spec.replicas.unwrap_or(1)
}

/// A stable 32-bit FNV-1a of the template (plus collisionCount as upstream feeds it), written in
/// decimal and mapped through the name alphabet: upstream's shape (`456789bcdf`), kubesim's hash.
pub fn pod_template_hash(template: &PodTemplate, collision_count: Option<i32>) -> String {
    let mut h: u32 = 0x811c_9dc5;
    let mut feed = |bytes: &[u8]| {
        for b in bytes {
            h ^= *b as u32;
            h = h.wrapping_mul(0x0100_0193);
        }
    };
    feed(template.canonical().as_bytes());
    if let Some(c) = collision_count {
        let mut buf = [0u8; 8];
        buf[..4].copy_from_slice(&(c as u32).to_le_bytes());
        feed(&buf);
    }
    h.to_string().bytes().map(|d| crate::sim::rng::NAME_ALPHABET[(d as usize) % 27] as char).collect()
}

pub(super) fn rs_parts(o: &Object) -> Option<(&ReplicaSetSpec, &apps::ReplicaSetStatus, &PodTemplate)> {
    match &o.body {
        Body::ReplicaSet { spec, status, template } => Some((spec, status, template)),
        _ => None,
    }
}

pub(super) fn revision_of(o: &Object) -> i64 {
    o.meta.annotations.get(REVISION).and_then(|r| r.parse().ok()).unwrap_or(0)
}

/// A ReplicaSet as this sync sees it: the stored object plus the size and annotations the
/// sync has decided on.
#[derive(Clone)]
pub(super) struct Rs {
    obj: Arc<Object>,
    replicas: i32,
    annotations: Arc<StringMap>,
    created_here: bool,
    /// The new ReplicaSet: the one whose minReadySeconds follows the Deployment's.
    is_new: bool,
}

impl Rs {
    fn of(obj: Arc<Object>) -> Rs {
        let replicas = rs_parts(&obj).and_then(|(s, _, _)| s.replicas).unwrap_or(1);
        let annotations = obj.meta.annotations.clone();
        Rs { obj, replicas, annotations, created_here: false, is_new: false }
    }
    /// The ReplicaSet's status as stored (one created in this sync has none yet), read in place.
    fn status(&self) -> &apps::ReplicaSetStatus {
        static NONE: std::sync::LazyLock<apps::ReplicaSetStatus> = std::sync::LazyLock::new(Default::default);
        match rs_parts(&self.obj) {
            Some((_, s, _)) if !self.created_here => s,
            _ => &NONE,
        }
    }
    fn spec_replicas(&self) -> i32 {
        rs_parts(&self.obj).and_then(|(s, _, _)| s.replicas).unwrap_or(1)
    }
    fn available(&self) -> i32 {
        self.status().available_replicas.unwrap_or(0)
    }
    fn name(&self) -> &str {
        &self.obj.meta.name
    }
}

pub(super) struct Sync<'a> {
    ctx: &'a Ctx<'a>,
    d: &'a Object,
    spec: &'a apps::DeploymentSpec,
    status: &'a apps::DeploymentStatus,
    template: &'a PodTemplate,
    out: Reconciled,
    /// The Deployment's annotations as this sync leaves them.
    d_annotations: Arc<StringMap>,
    new_status: apps::DeploymentStatus,
    /// The sync went through syncRolloutStatus (a rollout path), which alone requeues a
    /// Deployment that may get stuck; a paused one or a scaling event never does.
    rollout_status: bool,
}

impl Sync<'_> {
    fn event(&mut self, reason: &'static str, message: String, warning: bool) {
        self.out.writes.push(Write::Event(Box::new(EventRecord::about(self.d, COMPONENT, warning, reason, message))));
    }

    /// upstream: scaleReplicaSet — size and the desired/max annotations in one update.
    fn scale(&mut self, rs: &mut Rs, to: i32) -> bool {
        let desired = replicas_of(self.spec);
        let max = desired.saturating_add(max_surge(self.spec));
        let need_annotations = rs.annotations.get(DESIRED_REPLICAS) != Some(&desired.to_string())
            || rs.annotations.get(MAX_REPLICAS) != Some(&max.to_string());
        if rs.replicas == to && !need_annotations {
            return false;
        }
        let from = rs.replicas;
        let a = Arc::make_mut(&mut rs.annotations);
        a.insert(DESIRED_REPLICAS.into(), desired.to_string());
        a.insert(MAX_REPLICAS.into(), max.to_string());
        rs.replicas = to;
        if from != to {
            let dir = if to > from { "up" } else { "down" };
            self.event(
                "ScalingReplicaSet",
                format!("Scaled {dir} replica set {} from {from} to {to}", rs.name()),
                false,
            );
        }
        from != to
    }

    /// upstream: scaleReplicaSetAndRecordEvent — nothing to do when the size is already right.
    fn scale_if_changed(&mut self, rs: &mut Rs, to: i32) -> bool {
        rs.replicas != to && self.scale(rs, to)
    }

    fn flush(&mut self, rss: &[Rs]) {
        for rs in rss {
            if rs.created_here {
                continue;
            }
            let min_ready_differs = rs.is_new
                && rs_parts(&rs.obj).is_some_and(|(sp, _, _)| sp.min_ready_seconds != self.spec.min_ready_seconds);
            if rs.replicas != rs.spec_replicas() || rs.annotations != rs.obj.meta.annotations || min_ready_differs {
                let mut o = (*rs.obj).clone();
                o.meta.annotations = rs.annotations.clone();
                if let Body::ReplicaSet { spec, .. } = &mut o.body {
                    spec.replicas = Some(rs.replicas);
                    if rs.is_new {
                        spec.min_ready_seconds = self.spec.min_ready_seconds;
                    }
                }
                self.out.writes.push(Write::Update(Box::new(o)));
            }
        }
    }
}

pub fn reconcile(ctx: &Ctx, key: &ObjectKey) -> Reconciled {
    let Some(d) = ctx.store.get_by_key(key) else { return Reconciled::nothing() };
    let Body::Deployment { spec, status, template } = &d.body else { return Reconciled::nothing() };
    let mut s = Sync {
        ctx,
        d,
        spec,
        status,
        template,
        out: Reconciled::nothing(),
        d_annotations: d.meta.annotations.clone(),
        new_status: (**status).clone(),
        rollout_status: false,
    };
    let Ok(selector) = Selector::from_label_selector(Some(&spec.selector)) else { return s.out };
    if selector.is_everything() {
        s.event(
            "SelectingAll",
            "This deployment is selecting all pods. A non-empty selector is required.".into(),
            true,
        );
        return s.out;
    }
    let deleting = d.meta.deletion_timestamp().is_some();
    // Claim ReplicaSets (upstream: ClaimReplicaSets).
    let mut rss: Vec<Rs> = Vec::new();
    for rs in ctx.store.dependents(d.meta.uid) {
        if rs.kind() != Kind::ReplicaSet || rs.meta.controller_ref().is_none_or(|r| r.uid != d.meta.uid) {
            continue;
        }
        if selector.matches(&rs.meta.labels) {
            rss.push(Rs::of(rs));
        } else if !deleting {
            let mut released = (*rs).clone();
            Arc::make_mut(&mut released.meta.owner_references).retain(|r| r.uid != d.meta.uid);
            s.out.writes.push(Write::Update(Box::new(released)));
        }
    }
    if !deleting {
        for rs in ctx.store.adoptable(Kind::ReplicaSet, &d.meta.namespace, &selector) {
            let mut adopted = (**rs).clone();
            Arc::make_mut(&mut adopted.meta.owner_references).push(OwnerRef::controller_of(
                Kind::Deployment,
                &d.meta.name,
                d.meta.uid,
            ));
            s.out.writes.push(Write::Update(Box::new(adopted.clone())));
            // Later writes in this sync build on the adopted object, not the orphan.
            rss.push(Rs::of(Arc::new(adopted)));
        }
    }
    rss.sort_by(|a, b| {
        a.obj.meta.creation_timestamp.cmp(&b.obj.meta.creation_timestamp).then(a.obj.meta.name.cmp(&b.obj.meta.name))
    });
    let new_idx =
        rss.iter().position(|r| rs_parts(&r.obj).is_some_and(|(_, _, t)| t.equal_ignoring(template, HASH_LABEL)));

    // upstream: sync() and syncStatusOnly() also bring the new RS's revision and annotations up
    // to date (getAllReplicaSetsAndSyncRevision with createIfNotExisted=false).
    let sync_revision = |s: &mut Sync, rss: &mut Vec<Rs>| ensure_new_rs(s, rss, new_idx, false).ok().flatten();
    if deleting {
        let new_idx = sync_revision(&mut s, &mut rss);
        sync_status(&mut s, &rss, new_idx, false);
        return finish(s, &rss);
    }
    check_paused_conditions(&mut s);
    if spec.paused == Some(true) {
        let new_idx = sync_revision(&mut s, &mut rss);
        scale_proportionally(&mut s, &mut rss, new_idx);
        cleanup(&mut s, &rss, new_idx);
        sync_status(&mut s, &rss, new_idx, false);
        return finish(s, &rss);
    }
    let desired = replicas_of(spec);
    let scaling_event = rss
        .iter()
        .filter(|r| r.replicas > 0)
        .any(|r| r.annotations.get(DESIRED_REPLICAS).and_then(|v| v.parse::<i32>().ok()).is_some_and(|v| v != desired));
    if scaling_event {
        let new_idx = sync_revision(&mut s, &mut rss);
        scale_proportionally(&mut s, &mut rss, new_idx);
        sync_status(&mut s, &rss, new_idx, false);
        return finish(s, &rss);
    }
    if is_rolling(spec) {
        rollout_rolling(&mut s, &mut rss, new_idx);
    } else {
        rollout_recreate(&mut s, &mut rss, new_idx);
    }
    finish(s, &rss)
}

fn finish(mut s: Sync, rss: &[Rs]) -> Reconciled {
    s.flush(rss);
    if s.d_annotations != s.d.meta.annotations {
        let mut o = s.d.clone();
        o.meta.annotations = s.d_annotations.clone();
        s.out.writes.push(Write::Update(Box::new(o)));
    }
    if s.new_status != *s.status {
        let mut o = s.d.clone();
        if let Body::Deployment { status, .. } = &mut o.body {
            **status = s.new_status.clone();
        }
        s.out.writes.push(Write::UpdateStatus(Box::new(o)));
    }
    // upstream: requeueStuckDeployment (called from syncRolloutStatus only) — look again when
    // the progress deadline would pass. A paused Deployment is never checked against it.
    if let Some(deadline) = progress_deadline(s.spec).filter(|_| s.rollout_status) {
        if let Some(c) = progressing(&s.new_status) {
            let settled = matches!(c.reason.as_deref(), Some("NewReplicaSetAvailable" | "ProgressDeadlineExceeded"));
            if !settled && !deployment_complete(s.d, s.spec, &s.new_status) {
                if let Some(t) = c.last_update_time.as_ref().map(from_time) {
                    s.out = std::mem::take(&mut s.out).requeue(Some(t + deadline as Millis * 1000 + 1000));
                }
            }
        }
    }
    s.out
}
