//! The Deployment controller (`pkg/controller/deployment`): one new ReplicaSet per pod template,
//! rolled out by RollingUpdate or Recreate, scaled proportionally, revisions and history kept
//! in annotations, progress reported in conditions. `controllers.md` §1 is the specification.

use std::sync::Arc;

use k8s_openapi::api::apps::v1 as apps;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::{Ctx, EventRecord, Reconciled, Write};
use crate::api::meta::{from_time, to_time, Meta, StringMap};
use crate::api::object::ReplicaSetSpec;
use crate::api::template::PodTemplate;
use crate::api::{Body, Kind, Object, OwnerRef};
use crate::labels::Selector;
use crate::sim::clock::Millis;
use crate::store::ObjectKey;

const COMPONENT: &str = "deployment-controller";
pub const HASH_LABEL: &str = "pod-template-hash";
pub const REVISION: &str = "deployment.kubernetes.io/revision";
pub const REVISION_HISTORY: &str = "deployment.kubernetes.io/revision-history";
pub const DESIRED_REPLICAS: &str = "deployment.kubernetes.io/desired-replicas";
pub const MAX_REPLICAS: &str = "deployment.kubernetes.io/max-replicas";
pub const CHANGE_CAUSE: &str = "kubernetes.io/change-cause";
const ROLLBACK_TO: &str = "deprecated.deployment.rollback.to";
/// upstream: annotationsToSkip — never copied between a Deployment and its ReplicaSets.
pub const SKIP_ANNOTATIONS: [&str; 6] = [
    "kubectl.kubernetes.io/last-applied-configuration",
    REVISION,
    REVISION_HISTORY,
    DESIRED_REPLICAS,
    MAX_REPLICAS,
    ROLLBACK_TO,
];
const MAX_INT32: i32 = i32::MAX;

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

fn rolling(spec: &apps::DeploymentSpec) -> Option<&apps::RollingUpdateDeployment> {
    let s = spec.strategy.as_ref()?;
    if s.type_.as_deref().unwrap_or("RollingUpdate") != "RollingUpdate" {
        return None;
    }
    s.rolling_update.as_ref()
}

fn is_rolling(spec: &apps::DeploymentSpec) -> bool {
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

fn replicas_of(spec: &apps::DeploymentSpec) -> i32 {
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

fn rs_parts(o: &Object) -> Option<(&ReplicaSetSpec, &apps::ReplicaSetStatus, &PodTemplate)> {
    match &o.body {
        Body::ReplicaSet { spec, status, template } => Some((spec, status, template)),
        _ => None,
    }
}

fn revision_of(o: &Object) -> i64 {
    o.meta.annotations.get(REVISION).and_then(|r| r.parse().ok()).unwrap_or(0)
}

/// A ReplicaSet as this sync sees it: the stored object plus the size and annotations the
/// sync has decided on.
#[derive(Clone)]
struct Rs {
    obj: Arc<Object>,
    replicas: i32,
    annotations: Arc<StringMap>,
    created_here: bool,
}

impl Rs {
    fn of(obj: Arc<Object>) -> Rs {
        let replicas = rs_parts(&obj).and_then(|(s, _, _)| s.replicas).unwrap_or(1);
        let annotations = obj.meta.annotations.clone();
        Rs { obj, replicas, annotations, created_here: false }
    }
    fn status(&self) -> apps::ReplicaSetStatus {
        if self.created_here {
            return Default::default();
        }
        rs_parts(&self.obj).map(|(_, s, _)| s.clone()).unwrap_or_default()
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

struct Sync<'a> {
    ctx: &'a Ctx<'a>,
    d: &'a Object,
    spec: &'a apps::DeploymentSpec,
    status: &'a apps::DeploymentStatus,
    template: &'a PodTemplate,
    out: Reconciled,
    /// The Deployment's annotations as this sync leaves them.
    d_annotations: Arc<StringMap>,
    new_status: apps::DeploymentStatus,
}

impl Sync<'_> {
    fn event(&mut self, reason: &'static str, message: String, warning: bool) {
        self.out.writes.push(Write::Event(EventRecord::about(self.d, COMPONENT, warning, reason, message)));
    }

    /// upstream: scaleReplicaSet — size and the desired/max annotations in one update.
    fn scale(&mut self, rs: &mut Rs, to: i32) -> bool {
        let desired = replicas_of(self.spec);
        let max = desired + max_surge(self.spec);
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

    fn flush(&mut self, rss: &[Rs]) {
        for rs in rss {
            if rs.created_here {
                continue;
            }
            if rs.replicas != rs.spec_replicas() || rs.annotations != rs.obj.meta.annotations {
                let mut o = (*rs.obj).clone();
                o.meta.annotations = rs.annotations.clone();
                if let Body::ReplicaSet { spec, .. } = &mut o.body {
                    spec.replicas = Some(rs.replicas);
                    spec.min_ready_seconds = self.spec.min_ready_seconds;
                }
                self.out.writes.push(Write::Update(o));
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
    let deleting = d.meta.deletion_timestamp.is_some();
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
            s.out.writes.push(Write::Update(released));
        }
    }
    if !deleting {
        for rs in ctx.store.list(Kind::ReplicaSet, Some(&d.meta.namespace), &selector) {
            if rs.meta.controller_ref().is_some() || rs.meta.deletion_timestamp.is_some() {
                continue;
            }
            let mut adopted = (*rs).clone();
            Arc::make_mut(&mut adopted.meta.owner_references).push(OwnerRef::controller_of(
                Kind::Deployment,
                &d.meta.name,
                d.meta.uid,
            ));
            s.out.writes.push(Write::Update(adopted));
            rss.push(Rs::of(rs));
        }
    }
    rss.sort_by(|a, b| {
        a.obj.meta.creation_timestamp.cmp(&b.obj.meta.creation_timestamp).then(a.obj.meta.name.cmp(&b.obj.meta.name))
    });
    let new_idx =
        rss.iter().position(|r| rs_parts(&r.obj).is_some_and(|(_, _, t)| t.equal_ignoring(template, HASH_LABEL)));

    if deleting {
        sync_status(&mut s, &rss, new_idx, false);
        return finish(s, &rss);
    }
    check_paused_conditions(&mut s);
    if spec.paused == Some(true) {
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
        s.out.writes.push(Write::Update(o));
    }
    if s.new_status != *s.status {
        let mut o = s.d.clone();
        if let Body::Deployment { status, .. } = &mut o.body {
            **status = s.new_status.clone();
        }
        s.out.writes.push(Write::UpdateStatus(o));
    }
    // upstream: requeueStuckDeployment — look again when the progress deadline would pass.
    if let Some(deadline) = progress_deadline(s.spec) {
        if let Some(c) = progressing(&s.new_status) {
            if c.status == "True" && c.reason.as_deref() != Some("NewReplicaSetAvailable") {
                if let Some(t) = c.last_update_time.as_ref().map(from_time) {
                    s.out = std::mem::take(&mut s.out).requeue(Some(t + deadline as Millis * 1000 + 1000));
                }
            }
        }
    }
    s.out
}

fn progress_deadline(spec: &apps::DeploymentSpec) -> Option<i32> {
    spec.progress_deadline_seconds.filter(|d| *d != MAX_INT32)
}

fn progressing(status: &apps::DeploymentStatus) -> Option<&apps::DeploymentCondition> {
    status.conditions.iter().flatten().find(|c| c.type_ == "Progressing")
}

/// upstream: SetDeploymentCondition.
fn set_condition(
    status: &mut apps::DeploymentStatus,
    type_: &str,
    value: &str,
    reason: &str,
    message: String,
    now: Millis,
) {
    let conditions = status.conditions.get_or_insert_with(Vec::new);
    let existing = conditions.iter().position(|c| c.type_ == type_);
    if let Some(i) = existing {
        let c = &conditions[i];
        if c.status == value && c.reason.as_deref() == Some(reason) {
            return;
        }
    }
    let transition = match existing {
        Some(i) if conditions[i].status == value => conditions[i].last_transition_time.clone(),
        _ => Some(to_time(now)),
    };
    if let Some(i) = existing {
        conditions.remove(i);
    }
    conditions.push(apps::DeploymentCondition {
        type_: type_.into(),
        status: value.into(),
        reason: Some(reason.into()),
        message: Some(message),
        last_update_time: Some(to_time(now)),
        last_transition_time: transition,
    });
}

fn check_paused_conditions(s: &mut Sync) {
    if progress_deadline(s.spec).is_none() {
        return;
    }
    let current = progressing(&s.new_status).and_then(|c| c.reason.clone());
    if current.as_deref() == Some("ProgressDeadlineExceeded") {
        return;
    }
    let paused = s.spec.paused == Some(true);
    let now = s.ctx.now;
    if paused && current.as_deref() != Some("DeploymentPaused") {
        set_condition(
            &mut s.new_status,
            "Progressing",
            "Unknown",
            "DeploymentPaused",
            "Deployment is paused".into(),
            now,
        );
    } else if !paused && current.as_deref() == Some("DeploymentPaused") {
        set_condition(
            &mut s.new_status,
            "Progressing",
            "Unknown",
            "DeploymentResumed",
            "Deployment is resumed".into(),
            now,
        );
    }
}

/// upstream: getNewReplicaSet — find (and re-annotate) or create the new ReplicaSet.
/// `Err(())`: this sync wrote the ReplicaSet's annotations (or hit a name collision) and stops.
fn ensure_new_rs(s: &mut Sync, rss: &mut Vec<Rs>, new_idx: Option<usize>, create: bool) -> Result<Option<usize>, ()> {
    let max_old = rss
        .iter()
        .enumerate()
        .filter(|(i, _)| Some(*i) != new_idx)
        .map(|(_, r)| revision_of(&r.obj))
        .max()
        .unwrap_or(0);
    let new_revision = max_old + 1;
    let now = s.ctx.now;
    if let Some(i) = new_idx {
        let rs = &mut rss[i];
        let mut a = (*rs.annotations).clone();
        copy_annotations(&s.d_annotations, &mut a);
        let old: i64 = match a.get(REVISION) {
            None => 0,
            Some(v) => v.parse().unwrap_or(-1),
        };
        if old >= 0 && old < new_revision {
            let had = a.contains_key(REVISION);
            a.insert(REVISION.into(), new_revision.to_string());
            if had {
                append_history(&mut a, old);
            }
        }
        let min_ready_differs =
            rs_parts(&rs.obj).is_some_and(|(sp, _, _)| sp.min_ready_seconds != s.spec.min_ready_seconds);
        if a != *rs.annotations || min_ready_differs {
            rs.annotations = Arc::new(a);
            // upstream: the updated RS is written and the sync returns without touching the D.
            let mut o = (*rs.obj).clone();
            o.meta.annotations = rs.annotations.clone();
            if let Body::ReplicaSet { spec, .. } = &mut o.body {
                spec.min_ready_seconds = s.spec.min_ready_seconds;
            }
            s.out.writes.push(Write::Update(o));
            return Err(());
        }
        if let Some(r) = rs.annotations.get(REVISION) {
            Arc::make_mut(&mut s.d_annotations).insert(REVISION.into(), r.clone());
        }
        if progress_deadline(s.spec).is_some() && progressing(&s.new_status).is_none() {
            let msg = format!("Found new replica set \"{}\"", rs.name());
            set_condition(&mut s.new_status, "Progressing", "True", "FoundNewReplicaSet", msg, now);
        }
        return Ok(Some(i));
    }
    if !create {
        return Ok(None);
    }
    let hash = pod_template_hash(s.template, s.status.collision_count);
    let name = format!("{}-{}", s.d.meta.name, hash);
    if let Ok(existing) = s.ctx.store.get(Kind::ReplicaSet, &s.d.meta.namespace, &name) {
        // upstream: a hash collision with an RS that is not ours (or not our template) bumps
        // collisionCount and tries again on the next sync.
        let ours = existing.meta.controller_ref().is_some_and(|r| r.uid == s.d.meta.uid)
            && rs_parts(&existing).is_some_and(|(_, _, t)| t.equal_ignoring(s.template, HASH_LABEL));
        if !ours {
            s.new_status.collision_count = Some(s.status.collision_count.unwrap_or(0) + 1);
        }
        return Err(());
    }
    let template = s.template.with_label(HASH_LABEL, &hash);
    let mut selector = s.spec.selector.clone();
    selector.match_labels.get_or_insert_with(Default::default).insert(HASH_LABEL.into(), hash.clone());
    let desired = replicas_of(s.spec);
    let mut annotations = StringMap::new();
    copy_annotations(&s.d_annotations, &mut annotations);
    annotations.insert(REVISION.into(), new_revision.to_string());
    annotations.insert(DESIRED_REPLICAS.into(), desired.to_string());
    annotations.insert(MAX_REPLICAS.into(), (desired + max_surge(s.spec)).to_string());
    let mut rs = Rs {
        obj: Arc::new(Object {
            meta: Meta {
                name: name.clone().into(),
                namespace: s.d.meta.namespace.clone(),
                labels: template.labels.clone(),
                annotations: Arc::new(annotations.clone()),
                owner_references: Arc::new(vec![OwnerRef::controller_of(
                    Kind::Deployment,
                    &s.d.meta.name,
                    s.d.meta.uid,
                )]),
                ..Default::default()
            },
            body: Body::ReplicaSet {
                spec: ReplicaSetSpec { replicas: Some(0), min_ready_seconds: s.spec.min_ready_seconds, selector },
                status: Default::default(),
                template,
            },
        }),
        replicas: 0,
        annotations: Arc::new(annotations),
        created_here: true,
    };
    let size = new_rs_new_replicas(s.spec, rss, Some(&rs));
    rs.replicas = size;
    let mut obj = (*rs.obj).clone();
    if let Body::ReplicaSet { spec, .. } = &mut obj.body {
        spec.replicas = Some(size);
    }
    rs.obj = Arc::new(obj.clone());
    let event = (size > 0).then(|| {
        EventRecord::about(
            s.d,
            COMPONENT,
            false,
            "ScalingReplicaSet",
            format!("Scaled up replica set {name} from 0 to {size}"),
        )
    });
    s.out.writes.push(Write::Create { obj, batch: 0, event });
    Arc::make_mut(&mut s.d_annotations).insert(REVISION.into(), new_revision.to_string());
    if progress_deadline(s.spec).is_some() {
        let msg = format!("Created new replica set \"{name}\"");
        set_condition(&mut s.new_status, "Progressing", "True", "NewReplicaSetCreated", msg, now);
    }
    rss.push(rs);
    Ok(Some(rss.len() - 1))
}

fn copy_annotations(from: &StringMap, to: &mut StringMap) {
    for (k, v) in from {
        if !SKIP_ANNOTATIONS.contains(&k.as_str()) && to.get(k) != Some(v) {
            to.insert(k.clone(), v.clone());
        }
    }
}

/// upstream: revision-history keeps at most 2000 characters, dropping the oldest entries.
fn append_history(a: &mut StringMap, old: i64) {
    let entry = old.to_string();
    let mut list: Vec<String> = a
        .get(REVISION_HISTORY)
        .filter(|h| !h.is_empty())
        .map(|h| h.split(',').map(str::to_string).collect())
        .unwrap_or_default();
    while !list.is_empty() && list.join(",").len() + 1 + entry.len() > 2000 {
        list.remove(0);
    }
    if list.join(",").len() + entry.len() + usize::from(!list.is_empty()) <= 2000 {
        list.push(entry);
        a.insert(REVISION_HISTORY.into(), list.join(","));
    }
}

/// upstream: NewRSNewReplicas.
fn new_rs_new_replicas(spec: &apps::DeploymentSpec, rss: &[Rs], new_rs: Option<&Rs>) -> i32 {
    let desired = replicas_of(spec);
    if !is_rolling(spec) {
        return desired;
    }
    let new_replicas = new_rs.map(|r| r.replicas).unwrap_or(0);
    let surge = scaled_value(rolling(spec).and_then(|r| r.max_surge.as_ref()), desired, true);
    let current: i32 = rss.iter().map(|r| r.replicas).sum::<i32>()
        + new_rs.filter(|r| r.created_here).map(|r| r.replicas).unwrap_or(0);
    let max_total = desired + surge;
    if current >= max_total {
        return new_replicas;
    }
    new_replicas + (max_total - current).min(desired - new_replicas)
}

fn rollout_rolling(s: &mut Sync, rss: &mut Vec<Rs>, new_idx: Option<usize>) {
    let Ok(Some(n)) = ensure_new_rs(s, rss, new_idx, true) else { return };
    let desired = replicas_of(s.spec);
    // reconcileNewReplicaSet (a ReplicaSet created by this sync already has its size).
    if !rss[n].created_here {
        let size = rss[n].replicas;
        let target = match size.cmp(&desired) {
            std::cmp::Ordering::Greater => Some(desired),
            std::cmp::Ordering::Less => Some(new_rs_new_replicas(s.spec, rss, Some(&rss[n]))),
            std::cmp::Ordering::Equal => None,
        };
        if let Some(t) = target {
            if s.scale(&mut rss[n], t) {
                sync_status(s, rss, Some(n), true);
                return;
            }
        }
    }
    if reconcile_old(s, rss, n) {
        sync_status(s, rss, Some(n), true);
        return;
    }
    if deployment_complete(s.d, s.spec, s.status) {
        cleanup(s, rss, Some(n));
    }
    sync_status(s, rss, Some(n), true);
}

/// upstream: reconcileOldReplicaSets with cleanupUnhealthyReplicas and
/// scaleDownOldReplicaSetsForRollingUpdate.
fn reconcile_old(s: &mut Sync, rss: &mut [Rs], n: usize) -> bool {
    let old_pods: i32 =
        rss.iter().enumerate().filter(|(i, r)| *i != n && r.replicas > 0).map(|(_, r)| r.replicas).sum();
    if old_pods == 0 {
        return false;
    }
    let all_pods: i32 = rss.iter().map(|r| r.replicas).sum();
    let min_available = replicas_of(s.spec) - max_unavailable(s.spec);
    let new_unavailable = rss[n].replicas - rss[n].available();
    let max_scaled_down = all_pods - min_available - new_unavailable;
    if max_scaled_down <= 0 {
        return false;
    }
    // Oldest first (rss is sorted by creation), the unhealthy part of each old RS goes first.
    let mut cleaned = 0;
    for (i, rs) in rss.iter_mut().enumerate() {
        if i == n || cleaned >= max_scaled_down {
            continue;
        }
        let (replicas, available) = (rs.replicas, rs.available());
        if replicas == 0 || replicas == available {
            continue;
        }
        let down = (max_scaled_down - cleaned).min(replicas - available);
        s.scale(rs, replicas - down);
        cleaned += down;
    }
    // scaleDownOldReplicaSetsForRollingUpdate, with the sizes just decided.
    let available: i32 = rss.iter().map(|r| r.available()).sum();
    let mut scaled = 0;
    if available > min_available {
        let mut budget = available - min_available;
        for (i, rs) in rss.iter_mut().enumerate() {
            if i == n || budget <= 0 || rs.replicas == 0 {
                continue;
            }
            let down = rs.replicas.min(budget);
            s.scale(rs, rs.replicas - down);
            budget -= down;
            scaled += down;
        }
    }
    cleaned + scaled > 0
}

fn rollout_recreate(s: &mut Sync, rss: &mut Vec<Rs>, new_idx: Option<usize>) {
    let Ok(new_idx) = ensure_new_rs(s, rss, new_idx, false) else { return };
    let mut scaled = false;
    for (i, rs) in rss.iter_mut().enumerate() {
        if Some(i) != new_idx && rs.replicas > 0 {
            scaled |= s.scale(rs, 0);
        }
    }
    if scaled {
        sync_status(s, rss, new_idx, true);
        return;
    }
    // upstream: oldPodsRunning — old pods must be gone (or finished), not just terminating.
    let old_running = rss.iter().enumerate().filter(|(i, _)| Some(*i) != new_idx).any(|(_, r)| {
        r.status().replicas > 0
            || s.ctx.store.dependents(r.obj.meta.uid).iter().any(|p| match &p.body {
                Body::Pod { status, .. } => !status.phase.is_terminal(),
                _ => false,
            })
    });
    if old_running {
        sync_status(s, rss, new_idx, true);
        return;
    }
    let n = match new_idx {
        Some(n) => n,
        None => match ensure_new_rs(s, rss, None, true) {
            Ok(Some(n)) => n,
            _ => return,
        },
    };
    if !rss[n].created_here {
        s.scale(&mut rss[n], replicas_of(s.spec));
    }
    if deployment_complete(s.d, s.spec, s.status) {
        cleanup(s, rss, Some(n));
    }
    sync_status(s, rss, Some(n), true);
}

/// upstream: scale() — scaling events and paused deployments.
fn scale_proportionally(s: &mut Sync, rss: &mut [Rs], new_idx: Option<usize>) {
    let desired = replicas_of(s.spec);
    let active: Vec<usize> = (0..rss.len()).filter(|i| rss[*i].replicas > 0).collect();
    // FindActiveOrLatest
    let single = match active.len() {
        0 => new_idx.or_else(|| {
            (0..rss.len()).max_by_key(|i| (rss[*i].obj.meta.creation_timestamp, rss[*i].obj.meta.name.clone()))
        }),
        1 => Some(active[0]),
        _ => None,
    };
    if let Some(i) = single {
        s.scale(&mut rss[i], desired);
        return;
    }
    if let Some(n) = new_idx {
        let saturated = rss[n].replicas == desired
            && rss[n].annotations.get(DESIRED_REPLICAS).and_then(|v| v.parse::<i32>().ok()) == Some(desired)
            && rss[n].available() == desired;
        if saturated {
            for &i in &active {
                if i != n {
                    s.scale(&mut rss[i], 0);
                }
            }
            return;
        }
    }
    if !is_rolling(s.spec) {
        return;
    }
    let surge = max_surge(s.spec);
    let allowed = if desired > 0 { desired + surge } else { 0 };
    let current: i32 = active.iter().map(|i| rss[*i].replicas).sum();
    let to_add = allowed - current;
    let mut order = active.clone();
    // ReplicaSetsBySizeNewer (scaling up) / BySizeOlder (down): larger first, then by age.
    order.sort_by(|a, b| {
        let (ra, rb) = (&rss[*a], &rss[*b]);
        rb.replicas.cmp(&ra.replicas).then_with(|| {
            let age = ra.obj.meta.creation_timestamp.cmp(&rb.obj.meta.creation_timestamp);
            if to_add > 0 {
                age.reverse()
            } else {
                age
            }
        })
    });
    let mut added = 0;
    let mut sizes: Vec<(usize, i32)> = Vec::new();
    for &i in &order {
        let p = proportion(&rss[i], s.spec, s.status, to_add, added);
        sizes.push((i, rss[i].replicas + p));
        added += p;
    }
    if let Some(first) = sizes.first_mut() {
        let leftover = to_add - added;
        if leftover != 0 {
            first.1 = (first.1 + leftover).max(0);
        }
    }
    for (i, size) in sizes {
        s.scale(&mut rss[i], size);
    }
}

/// upstream: GetProportion / getReplicaSetFraction, rounding half away from zero.
fn proportion(rs: &Rs, spec: &apps::DeploymentSpec, status: &apps::DeploymentStatus, to_add: i32, added: i32) -> i32 {
    if rs.replicas == 0 || to_add == 0 || to_add == added {
        return 0;
    }
    let desired = replicas_of(spec);
    let fraction = if desired == 0 {
        -rs.replicas
    } else {
        let target = desired + max_surge(spec);
        let annotated = rs
            .annotations
            .get(MAX_REPLICAS)
            .and_then(|v| v.parse::<i32>().ok())
            .filter(|v| *v > 0)
            .unwrap_or(status.replicas.unwrap_or(0));
        if annotated == 0 {
            0
        } else {
            let exact = rs.replicas as f64 * target as f64 / annotated as f64;
            ((exact.abs() + 0.5).floor() * exact.signum()) as i32 - rs.replicas
        }
    };
    let left = to_add - added;
    if to_add > 0 {
        fraction.min(left)
    } else {
        fraction.max(left)
    }
}

/// upstream: DeploymentComplete, on the given status.
fn deployment_complete(d: &Object, spec: &apps::DeploymentSpec, status: &apps::DeploymentStatus) -> bool {
    let want = replicas_of(spec);
    status.updated_replicas.unwrap_or(0) == want
        && status.replicas.unwrap_or(0) == want
        && status.available_replicas.unwrap_or(0) == want
        && status.observed_generation.unwrap_or(0) >= d.meta.generation
}

/// upstream: cleanupDeployment — keep revisionHistoryLimit old ReplicaSets.
fn cleanup(s: &mut Sync, rss: &[Rs], new_idx: Option<usize>) {
    let Some(limit) = s.spec.revision_history_limit.filter(|l| *l != MAX_INT32) else { return };
    let mut old: Vec<&Rs> = rss
        .iter()
        .enumerate()
        .filter(|(i, r)| Some(*i) != new_idx && r.obj.meta.deletion_timestamp.is_none() && !r.created_here)
        .map(|(_, r)| r)
        .collect();
    let diff = old.len() as i64 - limit as i64;
    if diff <= 0 {
        return;
    }
    old.sort_by(|a, b| {
        revision_of(&a.obj)
            .cmp(&revision_of(&b.obj))
            .then(a.obj.meta.creation_timestamp.cmp(&b.obj.meta.creation_timestamp))
            .then(a.obj.meta.name.cmp(&b.obj.meta.name))
    });
    for rs in old.into_iter().take(diff as usize) {
        let st = rs.status();
        if st.replicas != 0
            || rs.replicas != 0
            || rs.spec_replicas() != 0
            || rs.obj.meta.generation > st.observed_generation.unwrap_or(0)
        {
            continue;
        }
        s.out.writes.push(Write::Delete {
            key: ObjectKey::of(&rs.obj),
            options: crate::store::DeleteOptions { uid: Some(rs.obj.meta.uid), ..Default::default() },
        });
    }
}

/// upstream: calculateStatus, then syncRolloutStatus's Progressing logic when `rollout`.
fn sync_status(s: &mut Sync, rss: &[Rs], new_idx: Option<usize>, rollout: bool) {
    let now = s.ctx.now;
    let desired = replicas_of(s.spec);
    let sum = |f: &dyn Fn(&apps::ReplicaSetStatus) -> i32| rss.iter().map(|r| f(&r.status())).sum::<i32>();
    let replicas = sum(&|st| st.replicas);
    let ready = sum(&|st| st.ready_replicas.unwrap_or(0));
    let available = sum(&|st| st.available_replicas.unwrap_or(0));
    let updated = new_idx.map(|n| rss[n].status().replicas).unwrap_or(0);
    let spec_total: i32 = rss.iter().map(|r| r.replicas).sum();
    let prev = s.new_status.clone();
    let st = &mut s.new_status;
    st.observed_generation = Some(s.d.meta.generation);
    st.replicas = Some(replicas);
    st.updated_replicas = Some(updated);
    st.ready_replicas = Some(ready);
    st.available_replicas = Some(available);
    // upstream: unavailableReplicas uses spec replicas, not status.
    st.unavailable_replicas = Some((spec_total - available).max(0));
    let zero_none = |v: Option<i32>| v.filter(|x| *x != 0);
    st.replicas = zero_none(st.replicas);
    st.updated_replicas = zero_none(st.updated_replicas);
    st.ready_replicas = zero_none(st.ready_replicas);
    st.available_replicas = zero_none(st.available_replicas);
    st.unavailable_replicas = zero_none(st.unavailable_replicas);
    if available >= desired - max_unavailable(s.spec) {
        set_condition(
            st,
            "Available",
            "True",
            "MinimumReplicasAvailable",
            "Deployment has minimum availability.".into(),
            now,
        );
    } else {
        set_condition(
            st,
            "Available",
            "False",
            "MinimumReplicasUnavailable",
            "Deployment does not have minimum availability.".into(),
            now,
        );
    }
    if !rollout {
        return;
    }
    if progress_deadline(s.spec).is_none() {
        if let Some(c) = st.conditions.as_mut() {
            c.retain(|c| c.type_ != "Progressing");
        }
        return;
    }
    let rs_name = new_idx.map(|n| rss[n].name().to_string());
    let cur = progressing(st).cloned();
    let complete_already =
        replicas == updated && cur.as_ref().and_then(|c| c.reason.as_deref()) == Some("NewReplicaSetAvailable");
    if !complete_already {
        let complete = updated == desired
            && replicas == desired
            && available == desired
            && st.observed_generation.unwrap_or(0) >= s.d.meta.generation;
        let old = |f: fn(&apps::DeploymentStatus) -> Option<i32>| f(&prev).unwrap_or(0);
        let progressed = updated > old(|x| x.updated_replicas)
            || (replicas - updated) < (old(|x| x.replicas) - old(|x| x.updated_replicas))
            || ready > old(|x| x.ready_replicas)
            || available > old(|x| x.available_replicas);
        if complete {
            let msg = match &rs_name {
                Some(n) => format!("ReplicaSet \"{n}\" has successfully progressed."),
                None => format!("Deployment \"{}\" has successfully progressed.", s.d.meta.name),
            };
            set_condition(st, "Progressing", "True", "NewReplicaSetAvailable", msg, now);
        } else if progressed {
            let msg = format!("ReplicaSet \"{}\" is progressing.", rs_name.clone().unwrap_or_default());
            // upstream: the condition is always replaced, so lastUpdateTime moves to now.
            let keep = cur.as_ref().filter(|c| c.status == "True").and_then(|c| c.last_transition_time.clone());
            if let Some(c) = st.conditions.as_mut() {
                c.retain(|c| c.type_ != "Progressing");
            }
            st.conditions.get_or_insert_with(Vec::new).push(apps::DeploymentCondition {
                type_: "Progressing".into(),
                status: "True".into(),
                reason: Some("ReplicaSetUpdated".into()),
                message: Some(msg),
                last_update_time: Some(to_time(now)),
                last_transition_time: keep.or(Some(to_time(now))),
            });
        } else if let (Some(c), Some(deadline)) = (&cur, progress_deadline(s.spec)) {
            let timed_out = match c.reason.as_deref() {
                Some("NewReplicaSetAvailable") => false,
                Some("ProgressDeadlineExceeded") => true,
                _ => c.last_update_time.as_ref().map(from_time).is_some_and(|t| t + deadline as Millis * 1000 < now),
            };
            if timed_out {
                let msg = format!("ReplicaSet \"{}\" has timed out progressing.", rs_name.unwrap_or_default());
                set_condition(st, "Progressing", "False", "ProgressDeadlineExceeded", msg, now);
            }
        }
    }
    // ReplicaFailure copied up from the ReplicaSets.
    let failure = new_idx.and_then(|n| rs_failure(&rss[n])).or_else(|| rss.iter().find_map(rs_failure));
    match failure {
        Some(c) => set_condition(
            st,
            "ReplicaFailure",
            &c.status,
            c.reason.as_deref().unwrap_or(""),
            c.message.clone().unwrap_or_default(),
            now,
        ),
        None => {
            if let Some(c) = st.conditions.as_mut() {
                c.retain(|c| c.type_ != "ReplicaFailure");
            }
        }
    }
    if st.conditions.as_ref().is_some_and(|c| c.is_empty()) {
        st.conditions = None;
    }
}

fn rs_failure(rs: &Rs) -> Option<apps::ReplicaSetCondition> {
    rs.status().conditions.into_iter().flatten().find(|c| c.type_ == "ReplicaFailure")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ios(s: &str) -> IntOrString {
        match s.parse::<i32>() {
            Ok(n) => IntOrString::Int(n),
            Err(_) => IntOrString::String(s.into()),
        }
    }

    #[test]
    fn fenceposts_match_upstream_worked_values() {
        for (surge, unavailable, desired, want) in [
            ("25%", "25%", 10, (3, 2)),
            ("25%", "25%", 1, (1, 0)),
            ("39%", "39%", 10, (4, 3)),
            ("0%", "0%", 0, (0, 1)),
            ("0", "0", 5, (0, 1)),
            ("2", "50%", 3, (2, 1)),
        ] {
            assert_eq!(
                resolve_fenceposts(Some(&ios(surge)), Some(&ios(unavailable)), desired),
                want,
                "{surge}/{unavailable} of {desired}"
            );
        }
    }

    fn spec(replicas: i32, surge: &str) -> apps::DeploymentSpec {
        apps::DeploymentSpec {
            replicas: Some(replicas),
            strategy: Some(apps::DeploymentStrategy {
                type_: Some("RollingUpdate".into()),
                rolling_update: Some(apps::RollingUpdateDeployment {
                    max_surge: Some(ios(surge)),
                    max_unavailable: Some(ios("0")),
                }),
            }),
            ..Default::default()
        }
    }

    fn rs(replicas: i32, max_replicas: Option<i32>) -> Rs {
        let mut a = StringMap::new();
        if let Some(m) = max_replicas {
            a.insert(MAX_REPLICAS.into(), m.to_string());
        }
        Rs {
            obj: Arc::new(Object {
                meta: Meta::default(),
                body: Body::ReplicaSet {
                    spec: Default::default(),
                    status: Default::default(),
                    template: Default::default(),
                },
            }),
            replicas,
            annotations: Arc::new(a),
            created_here: false,
        }
    }

    /// (D.replicas, maxSurge, rs.replicas, annotated max-replicas, toAdd, added) → proportion
    #[test]
    fn proportions_round_half_away_from_zero() {
        let status = apps::DeploymentStatus { replicas: Some(5), ..Default::default() };
        for (desired, surge, size, annotated, to_add, added, want) in [
            (10, "0", 2, Some(5), 5, 0, 2),   // 2*10/5 = 4 → +2
            (10, "0", 3, Some(5), 5, 2, 3),   // 3*10/5 = 6 → +3
            (10, "0", 3, Some(5), 5, 4, 1),   // capped by what is left to add
            (7, "0", 3, Some(5), 2, 0, 1),    // 3*7/5 = 4.2 → 4 → +1
            (5, "0", 6, Some(10), -5, 0, -3), // 6*5/10 = 3 → -3
            (10, "0", 2, None, 5, 0, 2),      // no annotation: D.status.replicas (5)
            (0, "0", 4, Some(5), -4, 0, -4),  // scaling to zero takes everything
        ] {
            let p = proportion(&rs(size, annotated), &spec(desired, surge), &status, to_add, added);
            assert_eq!(p, want, "D={desired} rs={size} annotated={annotated:?} toAdd={to_add} added={added}");
        }
    }

    #[test]
    fn template_hash_has_the_upstream_shape_and_moves_with_collisions() {
        let t = PodTemplate::default();
        let h = pod_template_hash(&t, None);
        assert!((1..=10).contains(&h.len()) && h.chars().all(|c| "456789bcdf".contains(c)), "{h}");
        assert_eq!(h, pod_template_hash(&t, None));
        assert_ne!(h, pod_template_hash(&t, Some(0)), "nil and 0 collisionCount differ");
        assert_ne!(pod_template_hash(&t, Some(0)), pod_template_hash(&t, Some(1)));
    }

    #[test]
    fn revision_history_drops_oldest_entries_past_2000_characters() {
        let mut a = StringMap::new();
        append_history(&mut a, 1);
        append_history(&mut a, 2);
        assert_eq!(a[REVISION_HISTORY], "1,2");
        a.insert(REVISION_HISTORY.into(), vec!["9"; 1000].join(","));
        append_history(&mut a, 12);
        let h = &a[REVISION_HISTORY];
        assert!(h.len() <= 2000 && h.ends_with(",12"), "{}", h.len());
    }
}
