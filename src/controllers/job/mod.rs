//! The Job controller (`pkg/controller/job`): run pods to `completions` with `parallelism` at a
//! time (NonIndexed or Indexed), count finished pods through the
//! `batch.kubernetes.io/job-tracking` finalizer, back off after failures, and finish the Job
//! (FailureTarget → Failed, SuccessCriteriaMet → Complete) under backoffLimit,
//! activeDeadlineSeconds, podFailurePolicy, backoffLimitPerIndex and successPolicy; suspend
//! and ttlSecondsAfterFinished.

pub mod backoff;
pub mod indexes;
mod pods;
pub mod policy;
mod status;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use k8s_openapi::api::batch::v1::{JobSpec, JobStatus, UncountedTerminatedPods};

use super::{Ctx, DeleteOptions, EventRecord, Propagation, Reconciled, Write};
use crate::api::meta::{OwnerRef, Uid};
use crate::api::pod::Phase;
use crate::api::template::PodTemplate;
use crate::api::{Body, Kind, Object};
use crate::labels::Selector;
use crate::sim::clock::Millis;
use crate::store::ObjectKey;
use backoff::BackoffRecord;
use policy::Action;
use status::{Cond, Finish};

/// upstream: batch.JobTrackingFinalizer — a finished pod is counted before it goes.
pub const TRACKING_FINALIZER: &str = "batch.kubernetes.io/job-tracking";
/// upstream: syncJobBatchPeriod — pod events reach the Job a second later, batched.
pub const SYNC_BATCH: Millis = 1_000;
const COMPONENT: &str = "job-controller";
/// upstream: maxUncountedPods and MaxPodCreateDeletePerSync.
const MAX_UNCOUNTED: usize = 500;
const MAX_PER_SYNC: usize = 500;

pub fn has_finalizer(pod: &Object) -> bool {
    pod.meta.finalizers().iter().any(|f| f == TRACKING_FINALIZER)
}

fn without_finalizer(pod: &Object) -> Write {
    let mut p = pod.clone();
    p.meta.finalizers_mut().retain(|f| f != TRACKING_FINALIZER);
    Write::Update(Box::new(p))
}

fn phase(pod: &Object) -> Phase {
    match &pod.body {
        Body::Pod { status, .. } => status.phase,
        _ => Phase::Unknown,
    }
}

pub fn reconcile(ctx: &Ctx, key: &ObjectKey) -> Reconciled {
    if key.kind() == Kind::Pod {
        return release_orphan(ctx, key);
    }
    let Some(job) = ctx.store.get_by_key(key) else { return Reconciled::nothing() };
    let Body::Job { spec, status, template } = &job.body else { return Reconciled::nothing() };
    if managed_elsewhere(spec) {
        // upstream: syncJob skips a Job another controller manages (JobManagedBy, beta and on
        // in 1.32), its pods and their finalizers included; the TTL-after-finished controller
        // does not look at managedBy.
        if job.meta.deletion_timestamp().is_some() {
            return Reconciled::nothing();
        }
        return ttl_after_finished(ctx, key, job, spec, status);
    }
    let mut pods: Vec<&Arc<Object>> = ctx
        .store
        .dependents_iter(job.meta.uid)
        .filter(|p| p.kind() == Kind::Pod && p.meta.controller_ref().is_some_and(|r| r.uid == job.meta.uid))
        .collect();
    pods.sort_by(|a, b| (a.meta.creation_timestamp, &a.meta.name).cmp(&(b.meta.creation_timestamp, &b.meta.name)));
    let mut out = Reconciled::nothing();
    if job.meta.deletion_timestamp().is_some() {
        // A Job being deleted lets go of its pods' finalizers.
        out.writes.extend(pods.iter().filter(|p| has_finalizer(p)).map(|p| without_finalizer(p)));
        return out;
    }
    if status::finished_at(status).is_some() {
        out.writes.extend(pods.iter().filter(|p| has_finalizer(p)).map(|p| without_finalizer(p)));
        // upstream: syncJob of a finished Job removes its back-off record.
        if ctx.job_backoff.contains_key(key) {
            out.writes.push(Write::JobBackoff(key.clone(), None));
        }
        let ttl = ttl_after_finished(ctx, key, job, spec, status);
        out.writes.extend(ttl.writes);
        out.requeue_at = ttl.requeue_at;
        return out;
    }
    claim(ctx, job, spec, &mut pods, &mut out);
    if !out.writes.is_empty() {
        // The claim's writes go alone, and the Job syncs again at this instant with the pods
        // as claimed: another controller may claim the same orphan in this round, and then
        // this adoption fails (upstream: AdoptPod fails, getPodsForJob returns the error, and
        // the sync counts nothing).
        return out.requeue(Some(ctx.now));
    }
    let backoff = ctx.job_backoff.get(key).copied().unwrap_or_default();
    Sync { ctx, job, spec, template, pods, out, backoff }.run(status)
}

/// upstream: getPodsForJob's ClaimPods (with the tracking finalizer) — the Job's pods that no
/// longer match its selector are released (owner reference and finalizer removed); orphan
/// pods that match, and are not being deleted, are adopted (a controller reference and the
/// finalizer added), as writes in `out`; the released ones are taken out of `pods`. A
/// generated selector matches the Job's own pods alone; a manual one (`manualSelector: true`)
/// can match pods made before the Job.
fn claim(ctx: &Ctx, job: &Object, spec: &JobSpec, pods: &mut Vec<&Arc<Object>>, out: &mut Reconciled) {
    let Ok(selector) = Selector::from_label_selector(spec.selector.as_ref()) else { return };
    pods.retain(|p| {
        if selector.matches(&p.meta.labels) {
            return true;
        }
        let mut released = (***p).clone();
        Arc::make_mut(&mut released.meta.owner_references).retain(|r| r.uid != job.meta.uid);
        released.meta.finalizers_mut().retain(|f| f != TRACKING_FINALIZER);
        out.writes.push(Write::Update(Box::new(released)));
        false
    });
    let owner = OwnerRef::controller_of(Kind::Job, &job.meta.name, job.meta.uid);
    for p in ctx.store.adoptable(Kind::Pod, &job.meta.namespace, &selector) {
        let mut pod = (**p).clone();
        // (A reference to the Job that is not a controller one becomes it: one entry per uid.)
        let refs = Arc::make_mut(&mut pod.meta.owner_references);
        refs.retain(|r| r.uid != job.meta.uid);
        refs.push(owner.clone());
        if !has_finalizer(&pod) {
            pod.meta.finalizers_mut().push(TRACKING_FINALIZER.to_string());
        }
        out.writes.push(Write::Update(Box::new(pod)));
    }
}

/// upstream: batch.JobControllerName — the `managedBy` value of Jobs this controller syncs.
pub const JOB_CONTROLLER_NAME: &str = "kubernetes.io/job-controller";

/// upstream: managedByExternalController — `spec.managedBy` names another controller.
pub fn managed_elsewhere(spec: &JobSpec) -> bool {
    spec.managed_by.as_deref().is_some_and(|by| by != JOB_CONTROLLER_NAME)
}

/// upstream: the TTL-after-finished controller — a finished Job with ttlSecondsAfterFinished is
/// deleted (Foreground, uid-checked) that long after it finished; until then it is requeued.
fn ttl_after_finished(ctx: &Ctx, key: &ObjectKey, job: &Object, spec: &JobSpec, status: &JobStatus) -> Reconciled {
    let mut out = Reconciled::nothing();
    let (Some(done), Some(ttl)) = (status::finished_at(status), spec.ttl_seconds_after_finished) else { return out };
    let expires = done + ttl as Millis * 1000;
    if ctx.now >= expires {
        out.writes.push(Write::Delete {
            key: key.clone(),
            options: DeleteOptions {
                propagation: Propagation::Foreground,
                uid: Some(job.meta.uid),
                ..Default::default()
            },
        });
    } else {
        out.requeue_at = Some(expires);
    }
    out
}

/// A pod still holding the tracking finalizer whose Job is gone: let it go.
fn release_orphan(ctx: &Ctx, key: &ObjectKey) -> Reconciled {
    let Some(pod) = ctx.store.get_by_key(key) else { return Reconciled::nothing() };
    let owned = pod.meta.controller_ref().is_some_and(|r| ctx.store.owner(&pod.meta.namespace, r).is_some());
    if owned || !has_finalizer(pod) {
        return Reconciled::nothing();
    }
    Reconciled { writes: vec![without_finalizer(pod)], requeue_at: None }
}

struct Sync<'a> {
    ctx: &'a Ctx<'a>,
    job: &'a Arc<Object>,
    spec: &'a Arc<JobSpec>,
    template: &'a PodTemplate,
    pods: Vec<&'a Arc<Object>>,
    out: Reconciled,
    /// The Job's back-off record: the remembered one, then with the pods this sync counts.
    backoff: BackoffRecord,
}

impl<'a> Sync<'a> {
    fn event(&mut self, warning: bool, reason: &'static str, message: String) {
        self.out.writes.push(Write::Event(Box::new(EventRecord::about(self.job, COMPONENT, warning, reason, message))));
    }

    fn requeue(&mut self, at: Millis) {
        self.out = std::mem::take(&mut self.out).requeue(Some(at));
    }

    /// Whether only failed pods are replaced (podReplacementPolicy Failed, or a pod failure
    /// policy): a terminating pod then holds its place and counts as failed only once Failed.
    fn only_failed_replaced(&self) -> bool {
        self.spec.pod_replacement_policy.as_deref() == Some("Failed") || self.spec.pod_failure_policy.is_some()
    }

    /// upstream: isPodFailed — Failed, or terminating and not Succeeded (unless only failed
    /// pods are replaced).
    fn is_failed(&self, pod: &Object) -> bool {
        let p = phase(pod);
        p == Phase::Failed
            || (!self.only_failed_replaced() && pod.meta.deletion_timestamp().is_some() && p != Phase::Succeeded)
    }

    fn run(mut self, stored: &JobStatus) -> Reconciled {
        let now = self.ctx.now;
        let spec = self.spec;
        let indexed = spec.completion_mode.as_deref() == Some("Indexed");
        let completions = spec.completions;
        let per_index = spec.backoff_limit_per_index.filter(|_| indexed);
        let mut st = stored.clone();
        let uncounted = st.uncounted_terminated_pods.take().unwrap_or_default();
        let mut unc_s = uncounted.succeeded.unwrap_or_default();
        let mut unc_f = uncounted.failed.unwrap_or_default();
        // The stored uids as uids: an entry that is not a pod uid's text matches no pod.
        let as_uid = |s: &String| Uid::parse(s).filter(|u| *u.text() == **s);
        let stored_uncounted: BTreeSet<Uid> = unc_s.iter().chain(unc_f.iter()).filter_map(as_uid).collect();
        let by_uid: BTreeMap<Uid, &Arc<Object>> = if stored_uncounted.is_empty() {
            BTreeMap::new()
        } else {
            self.pods.iter().map(|p| (p.meta.uid, *p)).collect()
        };
        let mut succeeded = st.succeeded.unwrap_or(0);
        let mut failed = st.failed.unwrap_or(0);

        // Uncounted pods whose finalizer is gone (or that are gone) are counted now.
        let pending = |uid: &String| as_uid(uid).and_then(|u| by_uid.get(&u)).is_some_and(|p| has_finalizer(p));
        let (before_s, before_f) = (unc_s.len(), unc_f.len());
        unc_s.retain(pending);
        unc_f.retain(pending);
        if !indexed {
            succeeded += (before_s - unc_s.len()) as i32;
        }
        failed += (before_f - unc_f.len()) as i32;

        let mut completed = indexes::parse(st.completed_indexes.as_deref().unwrap_or(""), completions.unwrap_or(0));
        let mut failed_indexes = indexes::parse(st.failed_indexes.as_deref().unwrap_or(""), completions.unwrap_or(0));

        // Newly finished pods go into uncountedTerminatedPods; their finalizers come off at the
        // next sync, once that is stored (upstream: trackJobStatusAndRemoveFinalizers).
        let mut active: Vec<&'a Arc<Object>> = Vec::new();
        let (mut ready, mut terminating) = (0i32, 0i32);
        let mut fail_job: Option<String> = None;
        let mut release: Vec<&'a Arc<Object>> = Vec::new();
        let pods = self.pods.clone();
        // upstream: getNewFinishedPods — finished pods still holding the finalizer and not yet
        // in uncountedTerminatedPods (each is seen new once its uid is stored there).
        let (mut new_succeeded, mut new_failed) = (Vec::new(), Vec::new());
        for &pod in &pods {
            let index_ok = !indexed || indexes::of_pod(pod).is_some_and(|i| completions.is_some_and(|c| i < c));
            if !has_finalizer(pod) || stored_uncounted.contains(&pod.meta.uid) || !index_ok {
                continue;
            }
            if phase(pod) == Phase::Succeeded {
                new_succeeded.push(backoff::finish_time(pod));
            } else if self.is_failed(pod) {
                new_failed.push(backoff::finish_time(pod));
            }
        }
        self.backoff = self.backoff.after(new_succeeded, new_failed);
        let remembered = self.ctx.job_backoff.get(&ObjectKey::of(self.job)).copied().unwrap_or_default();
        for &pod in &pods {
            let p = phase(pod);
            let deleting = pod.meta.deletion_timestamp().is_some();
            if !p.is_terminal() && !deleting {
                active.push(pod);
                if matches!(&pod.body, Body::Pod { status, .. } if status.is_ready()) {
                    ready += 1;
                }
            }
            if deleting && !p.is_terminal() {
                terminating += 1;
            }
            if !has_finalizer(pod) {
                continue;
            }
            if stored_uncounted.contains(&pod.meta.uid) {
                release.push(pod);
                continue;
            }
            if unc_s.len() + unc_f.len() >= MAX_UNCOUNTED {
                continue;
            }
            let index = indexes::of_pod(pod).filter(|&i| completions.is_some_and(|c| i < c));
            if p == Phase::Succeeded {
                if let (true, Some(i)) = (indexed, index) {
                    completed.insert(i);
                }
                unc_s.push(pod.meta.uid.to_string());
            } else if self.is_failed(pod) {
                let action =
                    spec.pod_failure_policy.as_ref().and_then(|pol| policy::match_pod_failure_policy(pol, pod));
                match action {
                    Some(Action::Ignore) => {
                        // upstream: an ignored failure is not counted; its finalizer just goes.
                        release.push(pod);
                        continue;
                    }
                    Some(Action::FailJob(message)) => {
                        fail_job.get_or_insert(message);
                    }
                    Some(Action::FailIndex) => failed_indexes.extend(index.filter(|_| per_index.is_some())),
                    Some(Action::Count) | None => {}
                }
                if let (Some(limit), Some(i)) = (per_index, index) {
                    // upstream: isIndexFailed — the index has used up its retries.
                    if pods::failure_counts(pod).0 >= limit {
                        failed_indexes.insert(i);
                    }
                }
                unc_f.push(pod.meta.uid.to_string());
            }
        }
        if indexed {
            succeeded = completed.len() as i32;
        }
        let succeeded_total = if indexed { succeeded } else { succeeded + unc_s.len() as i32 };
        let failed_total = failed + unc_f.len() as i32;

        // How the Job finishes, if it does (upstream syncJob's order of checks).
        let mut finish = status::pending_finish(&st);
        if finish.is_none() {
            let backoff_exceeded = self.exceeds_backoff_limit(failed_total, &active);
            let deadline = spec
                .active_deadline_seconds
                .filter(|_| spec.suspend != Some(true))
                .and_then(|ads| st.start_time.as_ref().map(|s| crate::api::meta::from_time(s) + ads * 1000));
            let failure = if let Some(message) = fail_job {
                Some(("PodFailurePolicy", message))
            } else if backoff_exceeded {
                Some(("BackoffLimitExceeded", "Job has reached the specified backoff limit".to_string()))
            } else if per_index.is_some() && spec.max_failed_indexes.is_some_and(|m| failed_indexes.len() as i32 > m) {
                Some((
                    "MaxFailedIndexesExceeded",
                    "Job has exceeded the specified maximal number of failed indexes".to_string(),
                ))
            } else if per_index.is_some()
                && !failed_indexes.is_empty()
                && (failed_indexes.len() + completed.len()) as i32 >= completions.unwrap_or(0)
            {
                Some(("FailedIndexes", "Job has failed indexes".to_string()))
            } else if deadline.is_some_and(|d| now >= d) {
                Some(("DeadlineExceeded", "Job was active longer than specified deadline".to_string()))
            } else {
                if let Some(d) = deadline {
                    self.requeue(d);
                }
                None
            };
            finish = match failure {
                Some((reason, message)) => {
                    status::set_condition(&mut st, Cond::FailureTarget, reason, &message, now);
                    Some(Finish::Failed { reason, message })
                }
                None => self.success(&mut st, indexed, succeeded_total, &completed, &active),
            };
        }

        let mut deleted = 0;
        let mut created = 0;
        match &finish {
            Some(f) => {
                // Finishing: the remaining pods go. On failure they keep their finalizer and are
                // counted as failed; on success they are not counted.
                let success = matches!(f, Finish::Complete { .. });
                for &pod in active.iter().take(MAX_PER_SYNC) {
                    self.delete_pod(pod, success);
                    deleted += 1;
                }
                let settled = unc_s.is_empty() && unc_f.is_empty() && release.is_empty() && active.is_empty();
                if settled && terminating == 0 {
                    status::finish(&mut st, f, now);
                    match f {
                        Finish::Failed { reason, message } => self.event(true, reason, message.clone()),
                        Finish::Complete { .. } => {
                            self.event(false, "Completed", "Job completed".into());
                            if completions.is_some_and(|c| succeeded_total > c) {
                                self.event(
                                    true,
                                    "TooManySucceededPods",
                                    "Too many succeeded pods running after completion count reached".into(),
                                );
                            }
                        }
                    }
                }
            }
            None if spec.suspend == Some(true) => {
                if !status::is_true(&st, Cond::Suspended) {
                    status::set_condition(&mut st, Cond::Suspended, "JobSuspended", "Job suspended", now);
                    self.event(false, "Suspended", "Job suspended".into());
                }
                for &pod in active.iter().take(MAX_PER_SYNC) {
                    self.delete_pod(pod, true);
                    deleted += 1;
                }
            }
            None => {
                if status::is_true(&st, Cond::Suspended) {
                    status::set_condition_false(&mut st, Cond::Suspended, "JobResumed", "Job resumed", now);
                    self.event(false, "Resumed", "Job resumed".into());
                    // upstream: a resumed Job's active deadline counts from the resume.
                    st.start_time = Some(crate::api::meta::to_time(now));
                }
                if st.start_time.is_none() {
                    st.start_time = Some(crate::api::meta::to_time(now));
                    if let Some(ads) = spec.active_deadline_seconds {
                        self.requeue(now + ads * 1000);
                    }
                }
                let (d, c) = self.manage(&active, terminating, succeeded_total, &completed, &failed_indexes);
                deleted = d;
                created = c;
            }
        }

        st.active = Some(active.len() as i32 - deleted + created).filter(|&a| a > 0);
        st.ready = Some(ready);
        st.terminating = Some(terminating + deleted);
        st.succeeded = Some(succeeded).filter(|&s| s > 0);
        st.failed = Some(failed).filter(|&f| f > 0);
        st.uncounted_terminated_pods = Some(UncountedTerminatedPods {
            succeeded: (!unc_s.is_empty()).then_some(unc_s.clone()),
            failed: (!unc_f.is_empty()).then_some(unc_f.clone()),
        });
        if indexed {
            st.completed_indexes = Some(indexes::format(&completed)).filter(|s| !s.is_empty());
            if per_index.is_some() {
                st.failed_indexes = Some(indexes::format(&failed_indexes));
            }
        }
        let mut writes = std::mem::take(&mut self.out.writes);
        if st != *stored {
            // The spec and template are the stored ones, shared; only the status is new.
            let body = Body::Job { spec: self.spec.clone(), status: Box::new(st), template: self.template.clone() };
            let updated = Object { meta: self.job.meta.clone(), body };
            self.out.writes.push(Write::UpdateStatus(Box::new(updated)));
            if self.backoff != remembered {
                // Kept once that status write is committed (upstream: updateBackoffRecord
                // after flushUncountedAndRemoveFinalizers' status update).
                self.out.writes.push(Write::JobBackoff(ObjectKey::of(self.job), Some(self.backoff)));
            }
        }
        // The finalizers of pods counted in the stored status come off after the status write.
        self.out.writes.extend(release.iter().map(|p| without_finalizer(p)));
        self.out.writes.append(&mut writes);
        if !unc_s.is_empty() || !unc_f.is_empty() || !release.is_empty() {
            self.requeue(now);
        }
        self.out
    }

    /// upstream: exceedsBackoffLimit — more failures than backoffLimit, or with OnFailure as
    /// many container restarts in the active pods (any, for a limit of 0).
    fn exceeds_backoff_limit(&self, failed_total: i32, active: &[&Arc<Object>]) -> bool {
        // (With backoffLimitPerIndex the limit defaults to MaxInt32: the indexes decide.)
        let limit = self.spec.backoff_limit.unwrap_or(6);
        if failed_total > limit {
            return true;
        }
        let on_failure = self.template.admitted.restart_policy.as_deref() == Some("OnFailure");
        if on_failure {
            let restarts: i64 = active
                .iter()
                .filter_map(|p| match &p.body {
                    Body::Pod { status, .. } => {
                        Some(status.containers.iter().map(|c| c.restart_count as i64).sum::<i64>())
                    }
                    _ => None,
                })
                .sum();
            return if limit == 0 { restarts > 0 } else { restarts >= limit as i64 };
        }
        false
    }

    /// The success criteria, if met now: a matching successPolicy rule, or enough completions.
    fn success(
        &mut self,
        st: &mut JobStatus,
        indexed: bool,
        succeeded_total: i32,
        completed: &BTreeSet<i32>,
        active: &[&Arc<Object>],
    ) -> Option<Finish> {
        let now = self.ctx.now;
        let completions = self.spec.completions;
        let by_policy = self
            .spec
            .success_policy
            .as_ref()
            .filter(|_| indexed)
            .and_then(|p| policy::match_success_policy(p, completions.unwrap_or(0), completed));
        let (reason, message) = if let Some(i) = by_policy {
            ("SuccessPolicy", format!("Matched rules at index {i}"))
        } else {
            let complete = match completions {
                _ if indexed => completed.len() as i32 >= completions.unwrap_or(0),
                None => succeeded_total > 0 && active.is_empty(),
                Some(c) => succeeded_total >= c && active.is_empty(),
            };
            if !complete {
                return None;
            }
            ("CompletionsReached", "Reached expected number of succeeded pods".to_string())
        };
        status::set_condition(st, Cond::SuccessCriteriaMet, reason, &message, now);
        Some(Finish::Complete { reason, message })
    }

    /// Delete an active pod; `uncounted` takes its finalizer off first, so its end is not
    /// counted as a failure.
    fn delete_pod(&mut self, pod: &Arc<Object>, uncounted: bool) {
        if uncounted && has_finalizer(pod) {
            self.out.writes.push(without_finalizer(pod));
        }
        self.out.writes.push(Write::Delete {
            key: ObjectKey::of(pod),
            options: DeleteOptions { uid: Some(pod.meta.uid), ..Default::default() },
        });
        self.event(false, "SuccessfulDelete", format!("Deleted pod: {}", pod.meta.name));
    }
}
