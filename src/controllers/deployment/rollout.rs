//! RollingUpdate, Recreate, proportional scaling and history cleanup.

use k8s_openapi::api::apps::v1 as apps;

use super::newrs::{ensure_new_rs, new_rs_new_replicas};
use super::status::sync_status;
use super::*;

pub(super) fn rollout_rolling(s: &mut Sync, rss: &mut Vec<Rs>, new_idx: Option<usize>) {
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
            if s.scale_if_changed(&mut rss[n], t) {
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
pub(super) fn reconcile_old(s: &mut Sync, rss: &mut [Rs], n: usize) -> bool {
    let old_pods: i32 = rss
        .iter()
        .enumerate()
        .filter(|(i, r)| *i != n && r.replicas > 0)
        .map(|(_, r)| r.replicas)
        .fold(0i32, i32::saturating_add);
    if old_pods == 0 {
        return false;
    }
    let all_pods: i32 = rss.iter().map(|r| r.replicas).fold(0i32, i32::saturating_add);
    let min_available = replicas_of(s.spec) - max_unavailable(s.spec);
    let new_unavailable = rss[n].replicas - rss[n].available();
    let max_scaled_down = all_pods - min_available - new_unavailable;
    if max_scaled_down <= 0 {
        return false;
    }
    // The RSs that count for the scale-down budget: the new one and the old ones still active.
    let counted: Vec<bool> = rss.iter().enumerate().map(|(i, r)| i == n || r.replicas > 0).collect();
    // upstream: cleanupUnhealthyReplicas errors (and nothing is scaled this sync) when an RS
    // reports more available pods than it asks for (a status not yet caught up with a scale).
    if rss.iter().enumerate().any(|(i, r)| i != n && r.replicas > 0 && r.replicas < r.available()) {
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
    let available: i32 =
        rss.iter().zip(&counted).filter(|(_, c)| **c).map(|(r, _)| r.available()).fold(0i32, i32::saturating_add);
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

pub(super) fn rollout_recreate(s: &mut Sync, rss: &mut Vec<Rs>, new_idx: Option<usize>) {
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
        s.scale_if_changed(&mut rss[n], replicas_of(s.spec));
    }
    if deployment_complete(s.d, s.spec, s.status) {
        cleanup(s, rss, Some(n));
    }
    sync_status(s, rss, Some(n), true);
}

/// upstream: scale() — scaling events and paused deployments.
pub(super) fn scale_proportionally(s: &mut Sync, rss: &mut [Rs], new_idx: Option<usize>) {
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
        s.scale_if_changed(&mut rss[i], desired);
        return;
    }
    if let Some(n) = new_idx {
        let saturated = rss[n].replicas == desired
            && rss[n].annotations.get(DESIRED_REPLICAS).and_then(|v| v.parse::<i32>().ok()) == Some(desired)
            && rss[n].available() == desired;
        if saturated {
            for &i in &active {
                if i != n {
                    s.scale_if_changed(&mut rss[i], 0);
                }
            }
            return;
        }
    }
    if !is_rolling(s.spec) {
        return;
    }
    let surge = max_surge(s.spec);
    let allowed = if desired > 0 { desired.saturating_add(surge) } else { 0 };
    let current: i32 = active.iter().map(|i| rss[*i].replicas).fold(0i32, i32::saturating_add);
    let to_add = allowed - current;
    let mut order = active.clone();
    // ReplicaSetsBySizeNewer (scaling up) / BySizeOlder (down): larger first, then by age.
    order.sort_by(|a, b| {
        let (ra, rb) = (&rss[*a], &rss[*b]);
        rb.replicas.cmp(&ra.replicas).then_with(|| {
            let age = ra
                .obj
                .meta
                .creation_timestamp
                .cmp(&rb.obj.meta.creation_timestamp)
                .then_with(|| ra.obj.meta.name.cmp(&rb.obj.meta.name));
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
pub(super) fn proportion(
    rs: &Rs,
    spec: &apps::DeploymentSpec,
    status: &apps::DeploymentStatus,
    to_add: i32,
    added: i32,
) -> i32 {
    if rs.replicas == 0 || to_add == 0 || to_add == added {
        return 0;
    }
    let desired = replicas_of(spec);
    let fraction = if desired == 0 {
        -rs.replicas
    } else {
        let target = desired.saturating_add(max_surge(spec));
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
pub(super) fn deployment_complete(d: &Object, spec: &apps::DeploymentSpec, status: &apps::DeploymentStatus) -> bool {
    let want = replicas_of(spec);
    status.updated_replicas.unwrap_or(0) == want
        && status.replicas.unwrap_or(0) == want
        && status.available_replicas.unwrap_or(0) == want
        && status.observed_generation.unwrap_or(0) >= d.meta.generation
}

/// upstream: cleanupDeployment — keep revisionHistoryLimit old ReplicaSets.
pub(super) fn cleanup(s: &mut Sync, rss: &[Rs], new_idx: Option<usize>) {
    let Some(limit) = s.spec.revision_history_limit.filter(|l| *l != MAX_INT32) else { return };
    let mut old: Vec<&Rs> = rss
        .iter()
        .enumerate()
        .filter(|(i, r)| Some(*i) != new_idx && r.obj.meta.deletion_timestamp().is_none() && !r.created_here)
        .map(|(_, r)| r)
        .collect();
    let diff = old.len() as i64 - limit as i64;
    if diff <= 0 {
        return;
    }
    // upstream: ReplicaSetsByRevision — unparseable or equal revisions fall back to age, then
    // name (a missing annotation is revision 0, upstream's Revision()). With some revisions
    // unparseable that relation can cycle (a sort may then panic), so there the order is by age
    // alone: what upstream says of every pair with an unparseable one.
    let parsed = |r: &Rs| match r.obj.meta.annotations.get(REVISION) {
        None => Some(0),
        Some(v) => v.parse::<i64>().ok(),
    };
    let age = |r: &Rs| (r.obj.meta.creation_timestamp, r.obj.meta.name.clone());
    if old.iter().all(|r| parsed(r).is_some()) {
        old.sort_by_key(|r| (parsed(r), age(r)));
    } else {
        old.sort_by_key(|r| age(r));
    }
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
