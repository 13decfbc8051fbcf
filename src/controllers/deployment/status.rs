//! Status, conditions and progress (upstream: calculateStatus, syncRolloutStatus).

use k8s_openapi::api::apps::v1 as apps;

use super::*;

pub(super) fn progress_deadline(spec: &apps::DeploymentSpec) -> Option<i32> {
    spec.progress_deadline_seconds.filter(|d| *d != MAX_INT32)
}

pub(super) fn progressing(status: &apps::DeploymentStatus) -> Option<&apps::DeploymentCondition> {
    status.conditions.iter().flatten().find(|c| c.type_ == "Progressing")
}

/// upstream: SetDeploymentCondition.
pub(super) fn set_condition(
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

pub(super) fn check_paused_conditions(s: &mut Sync) {
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

/// upstream: calculateStatus, then syncRolloutStatus's Progressing logic when `rollout`.
pub(super) fn sync_status(s: &mut Sync, rss: &[Rs], new_idx: Option<usize>, rollout: bool) {
    let now = s.ctx.now;
    let desired = replicas_of(s.spec);
    let sum =
        |f: &dyn Fn(&apps::ReplicaSetStatus) -> i32| rss.iter().map(|r| f(r.status())).fold(0i32, i32::saturating_add);
    let replicas = sum(&|st| st.replicas);
    let ready = sum(&|st| st.ready_replicas.unwrap_or(0));
    let available = sum(&|st| st.available_replicas.unwrap_or(0));
    let updated = new_idx.map(|n| rss[n].status().replicas).unwrap_or(0);
    let spec_total: i32 = rss.iter().map(|r| r.replicas).fold(0i32, i32::saturating_add);
    // (What the progress check compares with: the counts as they were.)
    let prev = {
        let p = &s.new_status;
        (p.replicas, p.updated_replicas, p.ready_replicas, p.available_replicas)
    };
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
    s.rollout_status = true;
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
        let old = |v: Option<i32>| v.unwrap_or(0);
        let (old_replicas, old_updated, old_ready, old_available) = prev;
        let progressed = updated > old(old_updated)
            || (replicas - updated) < (old(old_replicas) - old(old_updated))
            || ready > old(old_ready)
            || available > old(old_available);
        if complete {
            let msg = match &rs_name {
                Some(n) => format!("ReplicaSet \"{n}\" has successfully progressed."),
                None => format!("Deployment \"{}\" has successfully progressed.", s.d.meta.name),
            };
            set_condition(st, "Progressing", "True", "NewReplicaSetAvailable", msg, now);
        } else if progressed {
            let msg = match &rs_name {
                Some(n) => format!("ReplicaSet \"{n}\" is progressing."),
                None => format!("Deployment \"{}\" is progressing.", s.d.meta.name),
            };
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
                let msg = match &rs_name {
                    Some(n) => format!("ReplicaSet \"{n}\" has timed out progressing."),
                    None => format!("Deployment \"{}\" has timed out progressing.", s.d.meta.name),
                };
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

pub(super) fn rs_failure(rs: &Rs) -> Option<apps::ReplicaSetCondition> {
    rs.status().conditions.iter().flatten().find(|c| c.type_ == "ReplicaFailure").cloned()
}
