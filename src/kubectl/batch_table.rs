//! `kubectl get jobs` (upstream printJob): STATUS, COMPLETIONS, DURATION.

use k8s_openapi::api::batch::v1::{JobSpec, JobStatus};

use super::human_duration;
use crate::api::meta::from_time;
use crate::api::Object;
use crate::sim::clock::Millis;

fn has(status: &JobStatus, t: &str) -> bool {
    status.conditions.iter().flatten().any(|c| c.type_ == t && c.status == "True")
}

/// STATUS: the first of Complete, Failed, Terminating, Suspended, FailureTarget, else Running.
pub fn job_status(o: &Object, status: &JobStatus) -> &'static str {
    if has(status, "Complete") {
        "Complete"
    } else if has(status, "Failed") {
        "Failed"
    } else if o.meta.deletion_timestamp().is_some() {
        "Terminating"
    } else if has(status, "Suspended") {
        "Suspended"
    } else if has(status, "FailureTarget") {
        "FailureTarget"
    } else {
        "Running"
    }
}

/// COMPLETIONS: `<succeeded>/<completions>`, or for a work queue `<s>/1` (`of <parallelism>`).
pub fn completions(spec: &JobSpec, status: &JobStatus) -> String {
    let s = status.succeeded.unwrap_or(0);
    match spec.completions {
        Some(c) => format!("{s}/{c}"),
        None => match spec.parallelism.unwrap_or(0) {
            p if p > 1 => format!("{s}/1 of {p}"),
            _ => format!("{s}/1"),
        },
    }
}

/// DURATION: empty before the start, running time until completion, then the time it took.
pub fn duration(status: &JobStatus, now: Millis) -> String {
    let start = status.start_time.as_ref().map(from_time);
    let done = status.completion_time.as_ref().map(from_time);
    match (start, done) {
        (None, _) => String::new(),
        (Some(s), None) => human_duration(now - s),
        (Some(s), Some(d)) => human_duration(d - s),
    }
}

/// upstream printCronJob: SCHEDULE, TIMEZONE, SUSPEND, ACTIVE, LAST SCHEDULE (AGE is added by
/// the caller), and with `-o wide` the job template's containers, images and selector.
pub fn cron_job_cells(
    spec: &k8s_openapi::api::batch::v1::CronJobSpec,
    status: &k8s_openapi::api::batch::v1::CronJobStatus,
    now: Millis,
    wide: bool,
) -> Vec<String> {
    let last = status.last_schedule_time.as_ref().map_or("<none>".to_string(), |t| human_duration(now - from_time(t)));
    let suspend = spec.suspend.map_or("<unset>".to_string(), |s| if s { "True".into() } else { "False".into() });
    let mut r = vec![
        spec.schedule.clone(),
        spec.time_zone.clone().unwrap_or_else(|| "<none>".into()),
        suspend,
        status.active.as_ref().map_or(0, Vec::len).to_string(),
        last,
    ];
    if wide {
        let job = spec.job_template.spec.clone().unwrap_or_default();
        let pod = job.template.spec.clone().unwrap_or_default();
        let names: Vec<&str> = pod.containers.iter().map(|c| c.name.as_str()).collect();
        let images: Vec<&str> = pod.containers.iter().map(|c| c.image.as_deref().unwrap_or("")).collect();
        r.push(names.join(","));
        r.push(images.join(","));
        r.push(crate::labels::format_label_selector(job.selector.as_ref()));
    }
    r
}
