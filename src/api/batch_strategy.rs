//! The API server's registry rules for Jobs (`pkg/registry/batch/job/strategy.go`): the
//! generated selector and labels, and what an update may change.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Affinity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

use super::field::{ErrorList, FieldError, Path, Value};
use super::object::{Body, Object};
use super::template::PodTemplate;

/// The labels a Job's pods carry so that its generated selector matches only them.
pub const CONTROLLER_UID: &str = "batch.kubernetes.io/controller-uid";
pub const JOB_NAME: &str = "batch.kubernetes.io/job-name";
pub const LEGACY_CONTROLLER_UID: &str = "controller-uid";
pub const LEGACY_JOB_NAME: &str = "job-name";

/// upstream: generateSelector — unless `manualSelector` is true, the template gets the
/// controller-uid and job-name labels (current and legacy keys), and the selector matches the uid.
pub fn generate_selector(obj: &mut Object) {
    let uid = obj.meta.uid.to_string();
    let name = obj.meta.name.to_string();
    let Body::Job { spec, template, .. } = &mut obj.body else { return };
    if spec.manual_selector == Some(true) {
        return;
    }
    let mut labeled = template.clone();
    let pairs = [(CONTROLLER_UID, &uid), (JOB_NAME, &name), (LEGACY_CONTROLLER_UID, &uid), (LEGACY_JOB_NAME, &name)];
    if pairs.iter().any(|(k, v)| labeled.labels.get(*k) != Some(*v)) {
        // One copy of the label map (if shared), the four labels set in it.
        let labels = std::sync::Arc::make_mut(&mut labeled.labels);
        for (k, v) in pairs {
            if labels.get(k) != Some(v) {
                labels.insert(k.to_string(), v.clone());
            }
        }
    }
    // upstream: SetDefaults_Job — a Job without labels takes its template's (as read back,
    // the generated ones included).
    if obj.meta.labels.is_empty() {
        obj.meta.labels = labeled.labels.clone();
    }
    *template = labeled;
    if spec.selector.is_none() {
        std::sync::Arc::make_mut(spec).selector = Some(LabelSelector {
            match_labels: Some([(CONTROLLER_UID.to_string(), uid)].into_iter().collect()),
            match_expressions: None,
        });
    }
}

/// upstream: jobStrategy.PrepareForUpdate — status is kept; a client that sends the Job back
/// without the generated selector and labels (a manifest applied again) keeps them.
pub fn prepare_job_update(new: &mut Object, old: &Object) {
    let (Body::Job { spec, status, template }, Body::Job { spec: old_spec, status: old_status, .. }) =
        (&mut new.body, &old.body)
    else {
        return;
    };
    *status = old_status.clone();
    if spec.manual_selector != Some(true) && spec.selector.is_none() {
        std::sync::Arc::make_mut(spec).selector = old_spec.selector.clone();
        let uid = old.meta.uid.to_string();
        let name = old.meta.name.to_string();
        for (k, v) in
            [(CONTROLLER_UID, &uid), (JOB_NAME, &name), (LEGACY_CONTROLLER_UID, &uid), (LEGACY_JOB_NAME, &name)]
        {
            if !template.labels.contains_key(k) {
                *template = template.with_label(k, v);
            }
        }
    }
}

/// upstream: ValidateJobSpecUpdate — completions (but see below), the selector, the pod template,
/// completionMode, podFailurePolicy, backoffLimitPerIndex, managedBy and successPolicy are
/// immutable, in that order. An Indexed Job's completions may change together with parallelism
/// (elastic Indexed Jobs, GA in 1.31: validateCompletions). A Job that is suspended and has
/// never started may change its pods' scheduling directives (validatePodTemplateUpdate, with
/// the strategy's AllowMutableSchedulingDirectives): what a queueing controller such as Kueue
/// sets before it lets the Job start.
pub fn validate_job_update(new: &Object, old: &Object) -> ErrorList {
    let mut errs = ErrorList::new();
    let (Body::Job { spec: a, template: ta, .. }, Body::Job { spec: b, template: tb, status: old_status }) =
        (&new.body, &old.body)
    else {
        return errs;
    };
    if a.manual_selector != Some(true) {
        let labels: BTreeMap<String, String> = ta.labels.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        let prefixed = tb.labels.contains_key(CONTROLLER_UID) && tb.labels.contains_key(JOB_NAME);
        errs.extend(super::validation::validate_generated_labels(
            &old.meta.uid.to_string(),
            &old.meta.name,
            &labels,
            a.selector.as_ref(),
            prefixed,
        ));
    }
    let p = Path::root("spec");
    let immutable = |path: Path, value: String| FieldError::invalid(path, Value::Raw(value), "field is immutable");
    let indexed = a.completion_mode.as_deref() == Some("Indexed");
    if a.completions != b.completions && !indexed {
        errs.push(immutable(p.child("completions"), a.completions.map_or("null".into(), |c| c.to_string())));
    } else if let Some(c) = a.completions.filter(|_| a.completions != b.completions) {
        // (An Indexed Job without completions is refused by the spec's own validation.)
        if a.parallelism != Some(c) {
            errs.push(FieldError::invalid(
                p.child("completions"),
                Value::Raw(c.to_string()),
                "can only be modified in tandem with spec.parallelism",
            ));
        }
    }
    if a.selector != b.selector {
        errs.push(immutable(p.child("selector"), serde_json::to_string(&a.selector).unwrap_or_default()));
    }
    // upstream (strategy.go): suspended, and no startTime yet.
    let scheduling_mutable = b.suspend == Some(true) && old_status.start_time.is_none();
    if template_changed(ta, tb, scheduling_mutable) {
        errs.push(immutable(p.child("template"), serde_json::to_string(&ta.to_wire()).unwrap_or_default()));
    }
    // A field error shows a pointer's value, or null (Go's ErrorBody). Struct values are shown
    // as their JSON: Go's `%#v` of them prints pointer addresses, which no two servers share.
    let quoted = |v: &Option<String>| v.as_deref().map_or("null".into(), |s| serde_json::Value::from(s).to_string());
    let json = |v: Option<String>| v.unwrap_or_else(|| "null".into());
    if a.completion_mode != b.completion_mode {
        errs.push(immutable(p.child("completionMode"), quoted(&a.completion_mode)));
    }
    if a.pod_failure_policy != b.pod_failure_policy {
        let shown = a.pod_failure_policy.as_ref().and_then(|v| serde_json::to_string(v).ok());
        errs.push(immutable(p.child("podFailurePolicy"), json(shown)));
    }
    if a.backoff_limit_per_index != b.backoff_limit_per_index {
        let shown = a.backoff_limit_per_index.map(|v| v.to_string());
        errs.push(immutable(p.child("backoffLimitPerIndex"), json(shown)));
    }
    if a.managed_by != b.managed_by {
        errs.push(immutable(p.child("managedBy"), quoted(&a.managed_by)));
    }
    if a.success_policy != b.success_policy {
        let shown = a.success_policy.as_ref().and_then(|v| serde_json::to_string(v).ok());
        errs.push(immutable(p.child("successPolicy"), json(shown)));
    }
    errs
}

/// upstream: validatePodTemplateUpdate — whether `new` differs from `old` in more than it may.
/// With `scheduling_mutable`, the template's labels and annotations, and its spec's node
/// affinity, nodeSelector, tolerations and schedulingGates may change; the rest of affinity
/// may only go away when node affinity was all it held.
fn template_changed(new: &PodTemplate, old: &PodTemplate, scheduling_mutable: bool) -> bool {
    if !scheduling_mutable {
        return new != old;
    }
    if new.other_meta != old.other_meta {
        return true;
    }
    let (a, mut b) = (new.spec(), old.spec());
    match (&a.affinity, b.affinity.as_mut()) {
        (None, Some(was)) => {
            was.node_affinity = None;
            if *was == Affinity::default() {
                b.affinity = None;
            }
        }
        (Some(now), None) => {
            b.affinity = Some(Affinity { node_affinity: now.node_affinity.clone(), ..Default::default() });
        }
        (Some(now), Some(was)) => was.node_affinity = now.node_affinity.clone(),
        (None, None) => {}
    }
    b.node_selector = a.node_selector.clone();
    b.tolerations = a.tolerations.clone();
    b.scheduling_gates = a.scheduling_gates.clone();
    a != b
}
