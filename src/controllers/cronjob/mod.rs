//! The CronJob controller (`cronjob_controllerv2.go`, `utils.go`): at each scheduled time make a
//! Job from the template (named for the time), under the concurrency policy and the starting
//! deadline; keep `status.active`, `lastScheduleTime` and `lastSuccessfulTime`; delete finished
//! Jobs past the history limits. It sleeps until the next scheduled time (plus 100 ms), so
//! virtual time jumps from one run to the next.

pub mod schedule;

use std::sync::Arc;

use jiff::tz::TimeZone;
use k8s_openapi::api::batch::v1::{CronJobSpec, CronJobStatus, JobSpec, JobStatus};
use k8s_openapi::api::core::v1::ObjectReference;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::{Ctx, DeleteOptions, EventRecord, Propagation, Reconciled, Write};
use crate::api::meta::{from_time, to_time, UidText};
use crate::api::{Body, Kind, Object};
use crate::sim::clock::Millis;
use crate::store::ObjectKey;
use schedule::Schedule;

/// upstream: batchv1.CronJobScheduledTimestampAnnotation.
pub const SCHEDULED_TIMESTAMP: &str = "batch.kubernetes.io/cronjob-scheduled-timestamp";
const COMPONENT: &str = "cronjob-controller";
/// upstream: nextScheduleDelta — the controller wakes a little after the scheduled time.
const NEXT_SCHEDULE_DELTA: Millis = 100;

/// How many start times were missed (upstream: missedSchedulesType).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Missed {
    None,
    Few,
    Many,
}

/// upstream: mostRecentScheduleTime — (earliest time considered, the most recent unmet start
/// time, how many were missed). `deadline` (startingDeadlineSeconds) moves the earliest time up
/// to `now − deadline` when given.
pub fn most_recent_schedule_time(
    sched: &Schedule,
    tz: &TimeZone,
    earliest: Millis,
    deadline: Option<i64>,
    now: Millis,
) -> Result<(Millis, Option<Millis>, Missed), String> {
    let mut earliest = earliest;
    if let Some(d) = deadline {
        // startingDeadlineSeconds is only validated non-negative: any i64 reaches here.
        earliest = earliest.max(now.saturating_sub(d.saturating_mul(1000)));
    }
    let too_close = || "time difference between two schedules is less than 1 second".to_string();
    let t1 = sched.next(earliest, tz).ok_or_else(too_close)?;
    if now < t1 {
        return Ok((earliest, None, Missed::None));
    }
    let t2 = sched.next(t1, tz).ok_or_else(too_close)?;
    if now < t2 {
        return Ok((earliest, Some(t1), Missed::None));
    }
    // upstream: a rough count from the first gap, then a walk from one gap before the estimate.
    let gap = ((t2 - t1) + 500).div_euclid(1000);
    if gap < 1 {
        return Err(too_close());
    }
    let elapsed = (now - t1).div_euclid(1000);
    let missed = elapsed / gap + 1;
    let mut most_recent = None;
    let mut t = sched.next(t1 + (missed - 2) * gap * 1000, tz);
    while let Some(at) = t.filter(|&at| at <= now) {
        most_recent = Some(at);
        t = sched.next(at, tz);
    }
    let kind = if missed > 100 { Missed::Many } else { Missed::Few };
    Ok((earliest, most_recent, kind))
}

/// upstream: nextScheduleTimeDuration — when to look again: the run after the most recent
/// (or after the earliest time, or after now when runs were missed), plus 100 ms.
pub fn next_wakeup(sched: &Schedule, tz: &TimeZone, earliest: Millis, now: Millis) -> Option<Millis> {
    let (earliest, recent, missed) = most_recent_schedule_time(sched, tz, earliest, None, now).ok()?;
    let base = match (recent, missed) {
        (Some(t), _) => t,
        (None, Missed::None) => earliest,
        (None, _) => now,
    };
    sched.next(base, tz).map(|t| t.saturating_add(NEXT_SCHEDULE_DELTA))
}

fn job_finished(status: &JobStatus) -> Option<&'static str> {
    let conds = status.conditions.iter().flatten();
    conds.filter(|c| c.status == "True").find_map(|c| match c.type_.as_str() {
        "Complete" => Some("Complete"),
        "Failed" => Some("Failed"),
        _ => None,
    })
}

fn job_status(job: &Object) -> Option<&JobStatus> {
    match &job.body {
        Body::Job { status, .. } => Some(status),
        _ => None,
    }
}

/// RFC 1123 with a numeric zone, in UTC (the MissSchedule event's words).
fn rfc1123z(ms: Millis) -> String {
    jiff::fmt::strtime::format("%a, %d %b %Y %H:%M:%S +0000", to_time(ms).0).unwrap_or_default()
}

pub fn reconcile(ctx: &Ctx, key: &ObjectKey) -> Reconciled {
    let Some(obj) = ctx.store.get_by_key(key) else { return Reconciled::nothing() };
    let Body::CronJob { spec, status: stored } = &obj.body else { return Reconciled::nothing() };
    let mut st = (**stored).clone();
    let mut out = Reconciled::nothing();
    let event = |out: &mut Reconciled, warning: bool, reason: &'static str, message: String| {
        out.writes.push(Write::Event(Box::new(EventRecord::about(obj, COMPONENT, warning, reason, message))));
    };
    let mut jobs: Vec<&Arc<Object>> = ctx
        .store
        .dependents_iter(obj.meta.uid)
        .filter(|j| j.kind() == Kind::Job && j.meta.controller_ref().is_some_and(|r| r.uid == obj.meta.uid))
        .collect();
    jobs.sort_by(|a, b| a.meta.name.cmp(&b.meta.name));
    // The Jobs' uids as status.active writes them, worked out once.
    let uids: Vec<UidText> = jobs.iter().map(|j| j.meta.uid.text()).collect();

    // Active entries made before their Job existed carry its name only: fill in the rest.
    for r in st.active.iter_mut().flatten() {
        if r.uid.is_none() {
            if let Some(j) = jobs.iter().find(|j| Some(&*j.meta.name) == r.name.as_deref()) {
                r.uid = Some(j.meta.uid.to_string());
                r.resource_version = Some(j.meta.resource_version.to_string());
            }
        }
    }
    let in_active = |st: &CronJobStatus, uid: &str| st.active.iter().flatten().any(|r| r.uid.as_deref() == Some(uid));
    for (j, uid) in jobs.iter().zip(&uids) {
        let Some(js) = job_status(j) else { continue };
        let finished = job_finished(js);
        let found = in_active(&st, uid);
        match (found, finished) {
            (false, None) => event(
                &mut out,
                true,
                "UnexpectedJob",
                format!("Saw a job that the controller did not create or forgot: {}", j.meta.name),
            ),
            (true, Some(how)) => {
                if let Some(active) = st.active.as_mut() {
                    active.retain(|r| r.uid.as_deref() != Some(uid));
                }
                event(&mut out, false, "SawCompletedJob", format!("Saw completed job: {}, status: {how}", j.meta.name));
            }
            (false, Some(_)) => {
                // upstream: lastSuccessfulTime follows the latest completionTime.
                if let Some(done) = js.completion_time.as_ref() {
                    let later = st.last_successful_time.as_ref().is_none_or(|t| from_time(done) > from_time(t));
                    if later {
                        st.last_successful_time = Some(done.clone());
                    }
                }
            }
            (true, None) => {}
        }
    }
    // Active Jobs that are gone.
    if let Some(active) = st.active.as_mut() {
        let mut missing = Vec::new();
        active.retain(|r| {
            let exists = r.uid.as_deref().is_none_or(|u| uids.iter().any(|t| **t == *u));
            if !exists {
                missing.push(r.name.clone().unwrap_or_default());
            }
            exists
        });
        for name in missing {
            event(&mut out, false, "MissingJob", format!("Active job went missing: {name}"));
        }
    }

    if obj.meta.deletion_timestamp().is_none() {
        schedule_run(ctx, obj, spec, &jobs, &mut st, &mut out);
        cleanup_history(spec, &jobs, &mut out, obj);
    }
    if st.active.as_ref().is_some_and(Vec::is_empty) {
        st.active = None;
    }
    if st != **stored {
        // A status update (the spec is the stored one, shared).
        let body = Body::CronJob { spec: spec.clone(), status: Box::new(st) };
        let updated = Object { meta: obj.meta.clone(), body };
        out.writes.insert(0, Write::UpdateStatus(Box::new(updated)));
        // upstream: the CronJob informer brings a status update back to the controller (which
        // then records lastSuccessfulTime of a Job it just saw complete).
        out = out.requeue(Some(ctx.now));
    }
    out
}

/// Steps 2–8 of upstream syncCronJob: start the Job of the most recent unmet time, if it is
/// due and allowed, and say when to look again.
fn schedule_run(
    ctx: &Ctx,
    obj: &Arc<Object>,
    spec: &CronJobSpec,
    jobs: &[&Arc<Object>],
    st: &mut CronJobStatus,
    out: &mut Reconciled,
) {
    let now = ctx.now;
    let event = |out: &mut Reconciled, warning: bool, reason: &'static str, message: String| {
        out.writes.push(Write::Event(Box::new(EventRecord::about(obj, COMPONENT, warning, reason, message))));
    };
    let tz = match schedule::zone(spec.time_zone.as_deref()) {
        Ok(tz) => tz,
        Err(e) => {
            let tz = spec.time_zone.as_deref().unwrap_or_default();
            event(out, true, "UnknownTimeZone", format!("invalid timeZone: {tz:?}: {e}"));
            return;
        }
    };
    if spec.suspend == Some(true) {
        return;
    }
    let sched = match schedule::parse(&spec.schedule) {
        Ok(s) => s,
        Err(e) => {
            event(out, true, "UnparseableSchedule", format!("unparseable schedule: {:?} : {e}", spec.schedule));
            return;
        }
    };
    let earliest = st.last_schedule_time.as_ref().map_or(obj.meta.creation_timestamp, from_time);
    let wake = |out: &mut Reconciled, last: Option<Millis>| {
        let base = last.unwrap_or(earliest);
        if let Some(at) = next_wakeup(&sched, &tz, base, now) {
            out.requeue_at = Some(out.requeue_at.map_or(at, |r| r.min(at)));
        }
    };
    let (scheduled, missed) =
        match most_recent_schedule_time(&sched, &tz, earliest, spec.starting_deadline_seconds, now) {
            Ok((_, t, missed)) => (t, missed),
            Err(e) => {
                event(out, true, "InvalidSchedule", format!("invalid schedule: {} : {e}", spec.schedule));
                return;
            }
        };
    if missed == Missed::Many {
        event(
            out,
            true,
            "TooManyMissedTimes",
            "too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew".into(),
        );
    }
    let Some(t) = scheduled else {
        wake(out, None);
        return;
    };
    if spec.starting_deadline_seconds.is_some_and(|d| t.saturating_add(d.saturating_mul(1000)) < now) {
        event(out, true, "MissSchedule", format!("Missed scheduled time to start a job: {}", rfc1123z(t)));
        wake(out, Some(t));
        return;
    }
    let name = format!("{}-{}", obj.meta.name, t.div_euclid(60_000));
    let last = st.last_schedule_time.as_ref().map(from_time);
    let mut active_names = st.active.iter().flatten().filter_map(|r| r.name.as_deref());
    if active_names.any(|n| n == name) || last == Some(t) {
        wake(out, Some(t));
        return;
    }
    let policy = spec.concurrency_policy.as_deref().unwrap_or("Allow");
    if policy == "Forbid" && st.active.iter().flatten().any(|r| r.name.is_some()) {
        event(
            out,
            false,
            "JobAlreadyActive",
            "Not starting job because prior execution is running and concurrency policy is Forbid".into(),
        );
        wake(out, Some(t));
        return;
    }
    if policy == "Replace" {
        for r in st.active.take().unwrap_or_default() {
            let Some(job) = jobs.iter().find(|j| r.uid.as_deref() == Some(&*j.meta.uid.text())) else { continue };
            out.writes.push(Write::Delete {
                key: ObjectKey::of(job),
                options: DeleteOptions {
                    propagation: Propagation::Background,
                    uid: Some(job.meta.uid),
                    ..Default::default()
                },
            });
            event(out, false, "SuccessfulDelete", format!("Deleted job {}", job.meta.name));
        }
    }
    match jobs.iter().find(|j| *j.meta.name == *name) {
        // upstream: AlreadyExists for a Job this CronJob owns — taken back into the active list.
        Some(existing) => {
            if job_status(existing).is_some_and(|s| job_finished(s).is_none()) {
                st.active.get_or_insert_with(Vec::new).push(reference(existing));
            }
        }
        None => match job_from_template(obj, spec, &name, t, &tz) {
            Ok(job) => {
                let created =
                    EventRecord::about(obj, COMPONENT, false, "SuccessfulCreate", format!("Created job {name}"));
                out.writes.push(Write::Create { obj: Box::new(job), batch: 0, event: Some(Box::new(created)) });
                st.active.get_or_insert_with(Vec::new).push(ObjectReference {
                    api_version: Some("batch/v1".into()),
                    kind: Some("Job".into()),
                    name: Some(name.clone()),
                    namespace: Some(obj.meta.namespace.to_string()),
                    ..Default::default()
                });
            }
            Err(e) => {
                event(out, true, "FailedCreate", format!("Error creating job: {e}"));
                return;
            }
        },
    }
    st.last_schedule_time = Some(to_time(t));
    wake(out, Some(t));
}

fn reference(job: &Object) -> ObjectReference {
    ObjectReference {
        api_version: Some("batch/v1".into()),
        kind: Some("Job".into()),
        name: Some(job.meta.name.to_string()),
        namespace: Some(job.meta.namespace.to_string()),
        uid: Some(job.meta.uid.to_string()),
        resource_version: Some(job.meta.resource_version.to_string()),
        ..Default::default()
    }
}

/// upstream: getJobFromTemplate2 — the template's labels, annotations plus the scheduled time
/// (RFC 3339 in the CronJob's zone), a controller reference, the template's spec; the API
/// server then defaults and validates it as any Job.
pub fn job_from_template(
    cj: &Object,
    spec: &CronJobSpec,
    name: &str,
    scheduled: Millis,
    tz: &TimeZone,
) -> Result<Object, String> {
    let template = &spec.job_template;
    let meta = template.metadata.clone().unwrap_or_default();
    let mut annotations = meta.annotations.unwrap_or_default();
    let at = to_time(scheduled).0.to_zoned(tz.clone());
    annotations
        .insert(SCHEDULED_TIMESTAMP.into(), at.strftime("%Y-%m-%dT%H:%M:%S%:z").to_string().replace("+00:00", "Z"));
    let owner = crate::api::OwnerRef::controller_of(Kind::CronJob, &cj.meta.name, cj.meta.uid).to_wire();
    // The template is typed already: the Job is built from it, then defaulted and validated as
    // the API server would a decoded one (a round trip through JSON would change nothing).
    let metadata = ObjectMeta {
        name: Some(name.to_string()),
        namespace: Some(cj.meta.namespace.to_string()),
        labels: Some(meta.labels.unwrap_or_default()),
        annotations: Some(annotations),
        owner_references: Some(vec![owner]),
        ..Default::default()
    };
    let default_spec = JobSpec::default();
    Object::job_from_spec(metadata, template.spec.as_ref().unwrap_or(&default_spec)).map_err(|e| e.to_string())
}

/// upstream: cleanupFinishedJobs — finished Jobs past the history limits go, oldest start first
/// (no start time last, then by name).
fn cleanup_history(spec: &CronJobSpec, jobs: &[&Arc<Object>], out: &mut Reconciled, cj: &Object) {
    let mut by_outcome = |outcome: &str, limit: Option<i32>| {
        let Some(limit) = limit else { return };
        let past = |j: &Arc<Object>| {
            job_status(j).and_then(job_finished) == Some(outcome) && j.meta.deletion_timestamp().is_none()
        };
        // Counted first: within the limits (the usual case) nothing is collected.
        let excess = jobs.iter().filter(|j| past(j)).count().saturating_sub(limit.max(0) as usize);
        if excess == 0 {
            return;
        }
        let mut finished: Vec<&Arc<Object>> = jobs.iter().copied().filter(|j| past(j)).collect();
        finished.sort_by_key(|j| {
            let start = job_status(j).and_then(|s| s.start_time.as_ref()).map(from_time);
            (start.is_none(), start, j.meta.name.clone())
        });
        for j in finished.into_iter().take(excess) {
            out.writes.push(Write::Delete {
                key: ObjectKey::of(j),
                options: DeleteOptions {
                    propagation: Propagation::Background,
                    uid: Some(j.meta.uid),
                    ..Default::default()
                },
            });
            out.writes.push(Write::Event(Box::new(EventRecord::about(
                cj,
                COMPONENT,
                false,
                "SuccessfulDelete",
                format!("Deleted job {}", j.meta.name),
            ))));
        }
    };
    by_outcome("Complete", spec.successful_jobs_history_limit);
    by_outcome("Failed", spec.failed_jobs_history_limit);
}

#[cfg(test)]
mod tests;
