//! How many pods a Job runs and which (upstream `manageJob`): the excess goes first, then new
//! pods are created once the failure back-off allows — for Indexed Jobs at the lowest free
//! indexes, each pod carrying its index.

use std::collections::BTreeSet;
use std::sync::Arc;

use k8s_openapi::api::core::v1::{EnvVar, EnvVarSource, ObjectFieldSelector};

use super::backoff::{delay, finish_time, DEFAULT_BACKOFF, MAX_BACKOFF};
use super::indexes::{self, COMPLETION_INDEX};
use super::policy::{self, Action};
use super::{phase, Sync, COMPONENT, MAX_PER_SYNC, TRACKING_FINALIZER};
use crate::api::{Body, Kind, Object, OwnerRef};
use crate::controllers::replicaset::{pod_from_template, pods_to_delete};
use crate::controllers::{EventRecord, Write};
use crate::sim::clock::Millis;

/// upstream: batch.JobIndexFailureCountAnnotation and JobIndexIgnoredFailureCountAnnotation.
pub const INDEX_FAILURE_COUNT: &str = "batch.kubernetes.io/job-index-failure-count";
pub const INDEX_IGNORED_FAILURE_COUNT: &str = "batch.kubernetes.io/job-index-ignored-failure-count";
/// The environment variable an Indexed Job's containers read their index from.
pub const JOB_COMPLETION_INDEX_ENV: &str = "JOB_COMPLETION_INDEX";
/// The API server cuts a generateName to this many characters before the random suffix.
const MAX_GENERATE_NAME: usize = 58;
/// A DNS label: a pod's hostname fits in 63 characters.
const MAX_HOSTNAME: usize = 63;

/// A pod's (failure count, ignored failure count) annotations.
pub fn failure_counts(pod: &Object) -> (i32, i32) {
    let get = |k: &str| pod.meta.annotations.get(k).and_then(|v| v.parse::<i32>().ok()).unwrap_or(0);
    (get(INDEX_FAILURE_COUNT), get(INDEX_IGNORED_FAILURE_COUNT))
}

/// `<name><suffix>` with the name cut so that the whole fits in `max` characters.
fn fit(name: &str, suffix: &str, max: usize) -> String {
    let keep = max.saturating_sub(suffix.len()).min(name.len());
    format!("{}{suffix}", &name[..keep])
}

impl<'a> Sync<'a> {
    /// Create or delete pods toward the wanted number; returns (deleted, created).
    pub(super) fn manage(
        &mut self,
        active: &[&'a Arc<Object>],
        terminating: i32,
        succeeded: i32,
        completed: &BTreeSet<i32>,
        failed_indexes: &BTreeSet<i32>,
    ) -> (i32, i32) {
        let spec = self.spec;
        let now = self.ctx.now;
        let indexed = spec.completion_mode.as_deref() == Some("Indexed");
        let parallelism = spec.parallelism.unwrap_or(1).max(0);
        let completions = spec.completions.unwrap_or(0);
        let a = active.len() as i32;
        // upstream: wantActive — without completions no new pod after the first success.
        let want = match spec.completions {
            None if succeeded > 0 => a,
            None => parallelism,
            Some(c) => (c - succeeded).clamp(0, parallelism),
        };
        // Indexed: pods with a missing, out-of-range, duplicate or finished index go first.
        let mut doomed: Vec<&'a Arc<Object>> = Vec::new();
        let mut keep: Vec<&'a Arc<Object>> = Vec::new();
        if indexed {
            let mut seen = BTreeSet::new();
            for &p in active {
                match indexes::of_pod(p).filter(|&i| i < completions) {
                    Some(i) if !completed.contains(&i) && !failed_indexes.contains(&i) && seen.insert(i) => {
                        keep.push(p)
                    }
                    _ => doomed.push(p),
                }
            }
        } else {
            keep = active.to_vec();
        }
        let excess = keep.len() as i32 - want;
        if excess > 0 {
            doomed.extend(pods_to_delete(&keep, &[], excess as usize, now));
        }
        if !doomed.is_empty() {
            // A sync either deletes or creates; deleting wins.
            let n = doomed.len().min(MAX_PER_SYNC);
            for p in doomed.into_iter().take(n) {
                self.delete_pod(p, true);
            }
            return (n as i32, 0);
        }
        // Terminating pods hold their place when only failed pods are replaced.
        let blocked = if self.only_failed_replaced() { terminating } else { 0 };
        let diff = (want - keep.len() as i32 - blocked).min(MAX_PER_SYNC as i32);
        if diff <= 0 {
            return (0, 0);
        }
        let plan: Vec<(Option<i32>, (i32, i32))> = if indexed {
            let mut held: BTreeSet<i32> = keep.iter().filter_map(|p| indexes::of_pod(p)).collect();
            if self.only_failed_replaced() {
                held.extend(
                    self.pods
                        .iter()
                        .filter(|p| p.meta.deletion_timestamp().is_some() && !phase(p).is_terminal())
                        .filter_map(|p| indexes::of_pod(p)),
                );
            }
            let free = (0..completions)
                .filter(|i| !completed.contains(i) && !failed_indexes.contains(i) && !held.contains(i))
                .take(diff as usize);
            if self.spec.backoff_limit_per_index.is_some() {
                let mut ready = Vec::new();
                for i in free {
                    let (remaining, counts) = self.index_backoff(i);
                    if remaining > 0 {
                        self.requeue(now + remaining.max(1000));
                    } else {
                        ready.push((Some(i), counts));
                    }
                }
                ready
            } else {
                let free: Vec<_> = free.map(|i| (Some(i), (0, 0))).collect();
                if self.global_backoff_running(!free.is_empty()) {
                    return (0, 0);
                }
                free
            }
        } else {
            if self.global_backoff_running(true) {
                return (0, 0);
            }
            vec![(None, (0, 0)); diff as usize]
        };
        self.create(&plan);
        (0, plan.len() as i32)
    }

    /// Whether the Job-wide back-off still runs (then requeue for when it ends).
    fn global_backoff_running(&mut self, wanted: bool) -> bool {
        if !wanted {
            return false;
        }
        // upstream: the remaining time of the record this sync made (newBackoffRecord).
        let remaining = self.backoff.remaining(self.ctx.now, DEFAULT_BACKOFF, MAX_BACKOFF);
        if remaining > 0 {
            // upstream: the sync is requeued after what is left, at least a second.
            self.requeue(self.ctx.now + remaining.max(1000));
        }
        remaining > 0
    }

    /// The back-off left for index `i` (upstream getRemainingTimePerIndex: n = failures +
    /// ignored failures + 1 of its last failed pod) and the counts its next pod carries.
    fn index_backoff(&self, i: i32) -> (Millis, (i32, i32)) {
        let last = self
            .pods
            .iter()
            .filter(|p| indexes::of_pod(p) == Some(i) && self.is_failed(p))
            .max_by_key(|p| (finish_time(p), p.meta.creation_timestamp));
        let Some(last) = last else { return (0, (0, 0)) };
        let (count, ignored) = failure_counts(last);
        let was_ignored = self
            .spec
            .pod_failure_policy
            .as_ref()
            .and_then(|pol| policy::match_pod_failure_policy(pol, last))
            .is_some_and(|a| a == Action::Ignore);
        let next = if was_ignored { (count, ignored + 1) } else { (count + 1, ignored) };
        let d = delay((count + ignored + 1) as u32, DEFAULT_BACKOFF, MAX_BACKOFF);
        let remaining = (d - (self.ctx.now - finish_time(last))).clamp(0, d);
        (remaining, next)
    }

    /// Create one pod per plan entry (its index and failure counts), in slow-start batches.
    fn create(&mut self, plan: &[(Option<i32>, (i32, i32))]) {
        let job = self.job;
        let owner = Arc::new(vec![OwnerRef::controller_of(Kind::Job, &job.meta.name, job.meta.uid)]);
        let prefix = Arc::new(fit(&job.meta.name, "-", MAX_GENERATE_NAME));
        let per_index = self.spec.backoff_limit_per_index.is_some();
        let (mut batch, mut in_batch) = (0u32, 0usize);
        for &(index, counts) in plan {
            let mut pod = pod_from_template(&job.meta, self.template, &owner, &prefix);
            pod.meta.finalizers_mut().push(TRACKING_FINALIZER.to_string());
            if let Some(i) = index {
                self.index_pod(&mut pod, i, per_index.then_some(counts));
            }
            let event = EventRecord::about(job, COMPONENT, false, "SuccessfulCreate", "Created pod: {}".into());
            self.out.writes.push(Write::Create { obj: Box::new(pod), batch, event: Some(Box::new(event)) });
            in_batch += 1;
            if in_batch == 1usize << batch {
                batch += 1;
                in_batch = 0;
            }
        }
    }

    /// upstream: addCompletionIndexEnvVariables, addCompletionIndexAnnotation, the index
    /// label, the hostname and the `<job>-<i>-` name prefix.
    fn index_pod(&self, pod: &mut Object, i: i32, counts: Option<(i32, i32)>) {
        let name = &self.job.meta.name;
        let index = i.to_string();
        pod.meta.generate_name = Some(Arc::new(fit(name, &format!("-{i}-"), MAX_GENERATE_NAME)));
        Arc::make_mut(&mut pod.meta.labels).insert(COMPLETION_INDEX.to_string(), index.clone());
        let annotations = Arc::make_mut(&mut pod.meta.annotations);
        annotations.insert(COMPLETION_INDEX.to_string(), index);
        if let Some((count, ignored)) = counts {
            annotations.insert(INDEX_FAILURE_COUNT.to_string(), count.to_string());
            if ignored > 0 {
                annotations.insert(INDEX_IGNORED_FAILURE_COUNT.to_string(), ignored.to_string());
            }
        }
        let mut spec = (*self.template.admitted).clone();
        spec.hostname = Some(fit(name, &format!("-{i}"), MAX_HOSTNAME));
        let env = EnvVar {
            name: JOB_COMPLETION_INDEX_ENV.to_string(),
            value: None,
            value_from: Some(EnvVarSource {
                field_ref: Some(ObjectFieldSelector {
                    api_version: Some("v1".into()),
                    field_path: format!("metadata.labels['{COMPLETION_INDEX}']"),
                }),
                ..Default::default()
            }),
        };
        for c in spec.containers.iter_mut().chain(spec.init_containers.iter_mut().flatten()) {
            let vars = c.env.get_or_insert_with(Vec::new);
            if !vars.iter().any(|v| v.name == JOB_COMPLETION_INDEX_ENV) {
                vars.push(env.clone());
            }
        }
        if let Body::Pod { spec: s, .. } = &mut pod.body {
            *s = Arc::new(spec);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fit;

    #[test]
    fn long_job_names_are_cut_so_the_index_survives() {
        assert_eq!(fit("pi", "-3-", 58), "pi-3-");
        let long = "j".repeat(70);
        let prefix = fit(&long, "-12-", 58);
        assert_eq!(prefix.len(), 58);
        assert!(prefix.ends_with("j-12-"));
        assert_eq!(fit(&long, "-12", 63).len(), 63, "a hostname is a DNS label");
    }
}
