//! batch/v1 defaults: Job (upstream `SetDefaults_Job`).

use k8s_openapi::api::batch::v1::{CronJob, Job, JobSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::default_str;
use super::pod::default_pod_spec;

/// upstream: SetDefaults_Job plus the pod template's defaults.
pub fn default_job(j: &mut Job) {
    let spec = j.spec.get_or_insert_with(Default::default);
    default_job_labels(&mut j.metadata, spec);
    default_job_spec(spec);
}

/// The part of a Job's defaults that touches its metadata: upstream, a Job without labels takes
/// its template's (the generated ones are added when the object is stored, and read back the
/// same way: see `batch_strategy::generate_selector`).
pub fn default_job_labels(meta: &mut ObjectMeta, spec: &JobSpec) {
    let template_labels = spec.template.metadata.as_ref().and_then(|m| m.labels.as_ref());
    if let Some(labels) = template_labels.filter(|l| !l.is_empty()) {
        let meta_labels = meta.labels.get_or_insert_with(Default::default);
        if meta_labels.is_empty() {
            *meta_labels = labels.clone();
        }
    }
}

/// The Job spec's defaults (shared with a CronJob's job template).
pub fn default_job_spec(spec: &mut JobSpec) {
    // upstream: completions defaults to 1 only when parallelism is unset too.
    if spec.completions.is_none() && spec.parallelism.is_none() {
        spec.completions = Some(1);
    }
    spec.parallelism.get_or_insert(1);
    // upstream: with backoffLimitPerIndex the global limit is MaxInt32 (each index has its own).
    let backoff = if spec.backoff_limit_per_index.is_some() { i32::MAX } else { 6 };
    spec.backoff_limit.get_or_insert(backoff);
    default_str(&mut spec.completion_mode, "NonIndexed");
    spec.suspend.get_or_insert(false);
    if let Some(policy) = spec.pod_failure_policy.as_mut() {
        // upstream: an onPodConditions pattern's status defaults to True.
        for rule in policy.rules.iter_mut() {
            for pattern in rule.on_pod_conditions.iter_mut().flatten() {
                if pattern.status.is_empty() {
                    pattern.status = "True".into();
                }
            }
        }
    }
    let replacement = if spec.pod_failure_policy.is_some() { "Failed" } else { "TerminatingOrFailed" };
    default_str(&mut spec.pod_replacement_policy, replacement);
    default_pod_spec(spec.template.spec.get_or_insert_with(Default::default));
}

/// upstream: SetDefaults_CronJob — the job template's Job fields are not defaulted (that
/// happens when a Job is made from it); its pod template is.
pub fn default_cron_job(cj: &mut CronJob) {
    let spec = cj.spec.get_or_insert_with(Default::default);
    default_str(&mut spec.concurrency_policy, "Allow");
    spec.suspend.get_or_insert(false);
    spec.successful_jobs_history_limit.get_or_insert(3);
    spec.failed_jobs_history_limit.get_or_insert(1);
    let job = spec.job_template.spec.get_or_insert_with(Default::default);
    default_pod_spec(job.template.spec.get_or_insert_with(Default::default));
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn defaulted(spec: serde_json::Value) -> serde_json::Value {
        let mut j: Job = serde_json::from_value(json!({"metadata": {"name": "pi"}, "spec": spec})).unwrap();
        default_job(&mut j);
        let mut s = serde_json::to_value(j.spec).unwrap();
        s.as_object_mut().unwrap().remove("template");
        s
    }

    #[test]
    fn job_defaults_follow_set_defaults_job() {
        let template = json!({"spec": {"containers": [{"name": "c", "image": "perl"}], "restartPolicy": "Never"}});
        let rows = [
            (
                json!({}),
                json!({"completions": 1, "parallelism": 1, "backoffLimit": 6,
                "completionMode": "NonIndexed", "suspend": false, "podReplacementPolicy": "TerminatingOrFailed"}),
                "both unset: completions and parallelism 1",
            ),
            (
                json!({"parallelism": 3}),
                json!({"parallelism": 3, "backoffLimit": 6,
                "completionMode": "NonIndexed", "suspend": false, "podReplacementPolicy": "TerminatingOrFailed"}),
                "parallelism alone: completions stays unset (a work queue)",
            ),
            (
                json!({"completions": 5}),
                json!({"completions": 5, "parallelism": 1, "backoffLimit": 6,
                "completionMode": "NonIndexed", "suspend": false, "podReplacementPolicy": "TerminatingOrFailed"}),
                "completions alone: parallelism 1",
            ),
            (
                json!({"completions": 2, "completionMode": "Indexed", "backoffLimitPerIndex": 1}),
                json!({"completions": 2, "parallelism": 1, "backoffLimit": 2147483647, "backoffLimitPerIndex": 1,
                "completionMode": "Indexed", "suspend": false, "podReplacementPolicy": "TerminatingOrFailed"}),
                "a per-index limit: the global one is MaxInt32",
            ),
            (
                json!({"podFailurePolicy": {"rules": [{"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget"}]}]}}),
                json!({"completions": 1, "parallelism": 1, "backoffLimit": 6, "completionMode": "NonIndexed",
                "suspend": false, "podReplacementPolicy": "Failed", "podFailurePolicy": {"rules": [{"action": "Ignore",
                "onPodConditions": [{"type": "DisruptionTarget", "status": "True"}]}]}}),
                "a pod failure policy: replacement Failed, pattern status True",
            ),
        ];
        for (input, want, why) in rows {
            let mut input = input;
            input["template"] = template.clone();
            assert_eq!(defaulted(input), want, "{why}");
        }
    }
}
