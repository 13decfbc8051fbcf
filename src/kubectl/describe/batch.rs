//! `kubectl describe job` (upstream describeJob).

use std::sync::Arc;

use super::workload::pod_template;
use super::{annotations_multiline, events_table, labels_multiline, rfc1123z, tabwrite_padded, Context};
use crate::api::meta::from_time;
use crate::api::{Body, Object};
use crate::kubectl::human_duration;
use crate::labels::Selector;

/// upstream: capIndexesListOrNone — `<none>`, or the list cut at the first comma past
/// `soft_limit` characters, followed by `...`.
pub(crate) fn cap_indexes(indexes: &str, soft_limit: usize) -> String {
    if indexes.is_empty() {
        return "<none>".into();
    }
    match indexes.char_indices().skip(soft_limit).find(|(_, c)| *c == ',') {
        Some((i, _)) => format!("{}...", &indexes[..=i]),
        None => indexes.to_string(),
    }
}

/// `kubectl describe job NAME`.
pub(super) fn describe_job(ctx: &Context, job: &Object, events: &[Arc<Object>]) -> String {
    let Body::Job { spec, status, template } = &job.body else { return String::new() };
    let mut o = format!("Name:\t{}\nNamespace:\t{}\n", job.meta.name, job.meta.namespace);
    let selector = Selector::from_label_selector(spec.selector.as_ref()).map(|s| s.to_string());
    o.push_str(&format!("Selector:\t{}\n", selector.unwrap_or_default()));
    labels_multiline(&mut o, "Labels", job.meta.labels.iter());
    annotations_multiline(&mut o, "Annotations", &job.meta.annotations);
    if let Some(r) = job.meta.controller_ref() {
        o.push_str(&format!("Controlled By:\t{}/{}\n", r.kind, r.name));
    }
    if let Some(p) = spec.parallelism {
        o.push_str(&format!("Parallelism:\t{p}\n"));
    }
    match spec.completions {
        Some(c) => o.push_str(&format!("Completions:\t{c}\n")),
        None => o.push_str("Completions:\t<unset>\n"),
    }
    if let Some(m) = &spec.completion_mode {
        o.push_str(&format!("Completion Mode:\t{m}\n"));
    }
    if let Some(s) = spec.suspend {
        o.push_str(&format!("Suspend:\t{s}\n"));
    }
    if let Some(b) = spec.backoff_limit {
        o.push_str(&format!("Backoff Limit:\t{b}\n"));
    }
    if let Some(t) = spec.ttl_seconds_after_finished {
        o.push_str(&format!("TTL Seconds After Finished:\t{t}\n"));
    }
    let start = status.start_time.as_ref().map(from_time);
    let done = status.completion_time.as_ref().map(from_time);
    if let Some(s) = start {
        o.push_str(&format!("Start Time:\t{}\n", rfc1123z(s)));
    }
    if let Some(d) = done {
        o.push_str(&format!("Completed At:\t{}\n", rfc1123z(d)));
    }
    if let (Some(s), Some(d)) = (start, done) {
        o.push_str(&format!("Duration:\t{}\n", human_duration(d - s)));
    }
    if let Some(a) = spec.active_deadline_seconds {
        o.push_str(&format!("Active Deadline Seconds:\t{a}s\n"));
    }
    let (active, succeeded, failed) =
        (status.active.unwrap_or(0), status.succeeded.unwrap_or(0), status.failed.unwrap_or(0));
    match status.ready {
        Some(r) => o.push_str(&format!(
            "Pods Statuses:\t{active} Active ({r} Ready) / {succeeded} Succeeded / {failed} Failed\n"
        )),
        None => o.push_str(&format!("Pods Statuses:\t{active} Active / {succeeded} Succeeded / {failed} Failed\n")),
    }
    if spec.completion_mode.as_deref() == Some("Indexed") {
        let indexes = status.completed_indexes.as_deref().unwrap_or("");
        o.push_str(&format!("Completed Indexes:\t{}\n", cap_indexes(indexes, 50)));
    }
    pod_template(&mut o, template);
    o.push_str(&events_table(events, ctx.now));
    tabwrite_padded(&o, 2)
}

/// `kubectl describe cronjob NAME` (upstream describeCronJob and describeJobTemplate).
pub(super) fn describe_cron_job(ctx: &Context, cj: &Object, events: &[Arc<Object>]) -> String {
    let Body::CronJob { spec, status } = &cj.body else { return String::new() };
    let mut o = format!("Name:\t{}\nNamespace:\t{}\n", cj.meta.name, cj.meta.namespace);
    labels_multiline(&mut o, "Labels", cj.meta.labels.iter());
    annotations_multiline(&mut o, "Annotations", &cj.meta.annotations);
    o.push_str(&format!("Schedule:\t{}\n", spec.schedule));
    o.push_str(&format!("Concurrency Policy:\t{}\n", spec.concurrency_policy.as_deref().unwrap_or("")));
    o.push_str(&format!(
        "Suspend:\t{}\n",
        spec.suspend.map_or("<unset>".to_string(), |s| if s { "True".into() } else { "False".into() })
    ));
    let opt = |v: Option<String>| v.unwrap_or_else(|| "<unset>".into());
    o.push_str(&format!(
        "Successful Job History Limit:\t{}\n",
        opt(spec.successful_jobs_history_limit.map(|v| v.to_string()))
    ));
    o.push_str(&format!("Failed Job History Limit:\t{}\n", opt(spec.failed_jobs_history_limit.map(|v| v.to_string()))));
    o.push_str(&format!(
        "Starting Deadline Seconds:\t{}\n",
        opt(spec.starting_deadline_seconds.map(|v| format!("{v}s")))
    ));
    let job = spec.job_template.spec.clone().unwrap_or_default();
    let selector =
        job.selector.as_ref().and_then(|s| Selector::from_label_selector(Some(s)).ok()).map(|s| s.to_string());
    o.push_str(&format!("Selector:\t{}\n", opt(selector)));
    o.push_str(&format!("Parallelism:\t{}\n", opt(job.parallelism.map(|v| v.to_string()))));
    o.push_str(&format!("Completions:\t{}\n", opt(job.completions.map(|v| v.to_string()))));
    if let Some(a) = job.active_deadline_seconds {
        o.push_str(&format!("Active Deadline Seconds:\t{a}s\n"));
    }
    pod_template(&mut o, &crate::api::template::PodTemplate::from_wire(Some(job.template.clone())));
    let last = status.last_schedule_time.as_ref().map(|t| rfc1123z(from_time(t)));
    o.push_str(&format!("Last Schedule Time:\t{}\n", opt(last)));
    let active: Vec<String> = status.active.iter().flatten().filter_map(|r| r.name.clone()).collect();
    let active = if active.is_empty() { "<none>".to_string() } else { active.join(", ") };
    o.push_str(&format!("Active Jobs:\t{active}\n"));
    o.push_str(&events_table(events, ctx.now));
    tabwrite_padded(&o, 2)
}

#[cfg(test)]
mod tests {
    use super::cap_indexes;

    #[test]
    fn completed_indexes_are_capped_at_a_comma() {
        assert_eq!(cap_indexes("", 50), "<none>");
        assert_eq!(cap_indexes("0-9", 50), "0-9");
        let long: Vec<String> = (0..40).map(|i| (i * 2).to_string()).collect();
        let long = long.join(",");
        let capped = cap_indexes(&long, 50);
        assert!(capped.ends_with(",..."), "{capped}");
        assert!(capped.len() >= 50 && capped.len() < 56, "{capped}");
    }
}
