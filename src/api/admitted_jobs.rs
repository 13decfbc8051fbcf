//! Job specs admitted before, by content. Defaulting and validating a Job's spec (its pod
//! template above all) depends on the spec alone unless it carries a selector (then the
//! selector is checked against the Job's own name and uid), so the Jobs a CronJob makes from
//! one template are admitted once; [`super::Object::from_job`] then defaults and validates only
//! their metadata. A hit gives what admitting the spec in full gives, with label and
//! annotation maps of its own (a snapshot writes a map shared between objects once, so sharing
//! must not depend on what this table held).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, OnceLock};

use k8s_openapi::api::batch::v1::JobSpec;

use super::template::PodTemplate;

/// Distinct specs remembered (process-wide, strong references); the oldest goes first.
const CAPACITY: usize = 32;

/// (the spec as given, the admitted spec without its template, the admitted template).
type Entry = (JobSpec, Arc<JobSpec>, PodTemplate);

fn table() -> &'static Mutex<VecDeque<Entry>> {
    static TABLE: OnceLock<Mutex<VecDeque<Entry>>> = OnceLock::new();
    TABLE.get_or_init(|| Mutex::new(VecDeque::with_capacity(CAPACITY)))
}

/// Whether admitting `raw` depends on nothing but `raw`: without a selector, `validate_job`
/// reads nothing of the Job's metadata but what `validate_job_meta` checks.
pub fn memoizable(raw: &JobSpec) -> bool {
    raw.selector.is_none()
}

/// The template with label and annotation maps of its own; the spec texts and the admitted
/// pod spec are interned by content, so sharing them depends on content alone.
fn unshared(t: &PodTemplate) -> PodTemplate {
    let mut t = t.clone();
    t.labels = Arc::new((*t.labels).clone());
    t.annotations = Arc::new((*t.annotations).clone());
    t
}

/// What admitting `raw` gave before, if it is remembered.
pub fn get(raw: &JobSpec) -> Option<(Arc<JobSpec>, PodTemplate)> {
    if !memoizable(raw) {
        return None;
    }
    let table = table().lock().ok()?;
    table.iter().find(|(r, ..)| r == raw).map(|(_, spec, template)| (spec.clone(), unshared(template)))
}

/// Remember what admitting `raw` gave (`raw` passed defaulting and validation).
pub fn put(raw: JobSpec, spec: &Arc<JobSpec>, template: &PodTemplate) {
    let Ok(mut table) = table().lock() else { return };
    if table.iter().any(|(r, ..)| *r == raw) {
        return;
    }
    if table.len() == CAPACITY {
        table.pop_front();
    }
    table.push_back((raw, spec.clone(), unshared(template)));
}
