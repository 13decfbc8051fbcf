//! Finding, annotating and creating the new ReplicaSet (upstream: getNewReplicaSet).

use std::sync::Arc;

use k8s_openapi::api::apps::v1 as apps;

use super::status::{progressing, set_condition};
use super::*;

/// upstream: getNewReplicaSet — find (and re-annotate) or create the new ReplicaSet.
/// `Err(())`: the new ReplicaSet's name is taken (collisionCount was bumped), or the API server
/// would refuse it; the sync stops.
pub(super) fn ensure_new_rs(
    s: &mut Sync,
    rss: &mut Vec<Rs>,
    new_idx: Option<usize>,
    create: bool,
) -> Result<Option<usize>, ()> {
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
        let old: i64 = match a.get(REVISION).map(String::as_str) {
            None | Some("") => 0,
            Some(v) => v.parse().unwrap_or(-1),
        };
        if old >= 0 && old < new_revision {
            let had = a.contains_key(REVISION);
            a.insert(REVISION.into(), new_revision.to_string());
            if had {
                append_history(&mut a, old);
            }
        }
        rs.is_new = true;
        let min_ready_differs =
            rs_parts(&rs.obj).is_some_and(|(sp, _, _)| sp.min_ready_seconds != s.spec.min_ready_seconds);
        if a != *rs.annotations || min_ready_differs {
            // upstream: the RS is updated (flush writes it) and the D is left alone this sync.
            rs.annotations = Arc::new(a);
            return Ok(Some(i));
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
    annotations.insert(MAX_REPLICAS.into(), desired.saturating_add(max_surge(s.spec)).to_string());
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
                spec: ReplicaSetSpec {
                    replicas: Some(0),
                    min_ready_seconds: s.spec.min_ready_seconds,
                    selector: StoredSelector::from_wire(selector),
                },
                status: Default::default(),
                template,
            },
        }),
        replicas: 0,
        annotations: Arc::new(annotations),
        created_here: true,
        is_new: true,
    };
    // upstream: getNewReplicaSet's failed create — the API server refuses a name past 253
    // characters (a Deployment name of more than 242): the Progressing condition says so (with
    // a progress deadline), a Warning Event too, and the rollout goes no further. (Upstream
    // retries the sync 15 times with back-off, recording the Event each time; kubesim records
    // it once and tries again when the Deployment changes.)
    let errors = crate::api::validation::validate_created(Kind::ReplicaSet, &rs.obj.meta);
    if !errors.is_empty() {
        let err = crate::api::ApiError::Invalid { kind: Kind::ReplicaSet, name: name.clone(), errors };
        let msg = format!("Failed to create new replica set \"{name}\": {}", err.server_message());
        if progress_deadline(s.spec).is_some() {
            set_condition(&mut s.new_status, "Progressing", "False", "ReplicaSetCreateError", msg.clone(), now);
        }
        s.event("ReplicaSetCreateError", msg, true);
        return Err(());
    }
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
    s.out.writes.push(Write::Create { obj: Box::new(obj), batch: 0, event: event.map(Box::new) });
    Arc::make_mut(&mut s.d_annotations).insert(REVISION.into(), new_revision.to_string());
    if progress_deadline(s.spec).is_some() {
        let msg = format!("Created new replica set \"{name}\"");
        set_condition(&mut s.new_status, "Progressing", "True", "NewReplicaSetCreated", msg, now);
    }
    rss.push(rs);
    Ok(Some(rss.len() - 1))
}

pub(super) fn copy_annotations(from: &StringMap, to: &mut StringMap) {
    for (k, v) in from {
        if !SKIP_ANNOTATIONS.contains(&k.as_str()) && to.get(k) != Some(v) {
            to.insert(k.clone(), v.clone());
        }
    }
}

/// upstream: revision-history keeps at most 2000 characters, dropping the oldest entries.
pub(super) fn append_history(a: &mut StringMap, old: i64) {
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
pub(super) fn new_rs_new_replicas(spec: &apps::DeploymentSpec, rss: &[Rs], new_rs: Option<&Rs>) -> i32 {
    let desired = replicas_of(spec);
    if !is_rolling(spec) {
        return desired;
    }
    let new_replicas = new_rs.map(|r| r.replicas).unwrap_or(0);
    let surge = scaled_value(rolling(spec).and_then(|r| r.max_surge.as_ref()), desired, true);
    let current: i32 = rss
        .iter()
        .map(|r| r.replicas)
        .fold(0i32, i32::saturating_add)
        .saturating_add(new_rs.filter(|r| r.created_here).map(|r| r.replicas).unwrap_or(0));
    let max_total = desired.saturating_add(surge);
    if current >= max_total {
        return new_replicas;
    }
    new_replicas + (max_total - current).min(desired - new_replicas)
}
