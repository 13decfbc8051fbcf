//! A Job's conditions: the interim FailureTarget / SuccessCriteriaMet, the final Failed /
//! Complete, and Suspended (upstream `newCondition`, `IsJobFinished`).

use k8s_openapi::api::batch::v1::{JobCondition, JobStatus};

use crate::api::meta::{from_time, to_time};
use crate::sim::clock::Millis;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cond {
    Complete,
    Failed,
    FailureTarget,
    SuccessCriteriaMet,
    Suspended,
}

impl Cond {
    pub fn as_str(self) -> &'static str {
        match self {
            Cond::Complete => "Complete",
            Cond::Failed => "Failed",
            Cond::FailureTarget => "FailureTarget",
            Cond::SuccessCriteriaMet => "SuccessCriteriaMet",
            Cond::Suspended => "Suspended",
        }
    }
}

/// How a Job is finishing: the interim condition is set, the final one follows once no pod is
/// left running, terminating or uncounted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Finish {
    Failed { reason: &'static str, message: String },
    Complete { reason: &'static str, message: String },
}

/// The reasons the controller writes, as static text for events.
fn reason_of(text: &str) -> &'static str {
    const KNOWN: [&str; 8] = [
        "BackoffLimitExceeded",
        "DeadlineExceeded",
        "PodFailurePolicy",
        "MaxFailedIndexesExceeded",
        "FailedIndexes",
        "CompletionsReached",
        "SuccessPolicy",
        "Failed",
    ];
    KNOWN.into_iter().find(|k| *k == text).unwrap_or("Failed")
}

fn find(st: &JobStatus, c: Cond) -> Option<&JobCondition> {
    st.conditions.iter().flatten().find(|x| x.type_ == c.as_str())
}

pub fn is_true(st: &JobStatus, c: Cond) -> bool {
    find(st, c).is_some_and(|x| x.status == "True")
}

/// When the Job finished (Complete or Failed turned True), if it has.
pub fn finished_at(st: &JobStatus) -> Option<Millis> {
    [Cond::Complete, Cond::Failed]
        .into_iter()
        .filter_map(|c| find(st, c).filter(|x| x.status == "True"))
        .map(|x| x.last_transition_time.as_ref().map_or(0, from_time))
        .next()
}

/// The finish an interim condition already set is waiting on.
pub fn pending_finish(st: &JobStatus) -> Option<Finish> {
    let text = |c: Cond| {
        find(st, c)
            .filter(|x| x.status == "True")
            .map(|x| (reason_of(x.reason.as_deref().unwrap_or_default()), x.message.clone().unwrap_or_default()))
    };
    if let Some((reason, message)) = text(Cond::FailureTarget) {
        return Some(Finish::Failed { reason, message });
    }
    text(Cond::SuccessCriteriaMet).map(|(reason, message)| Finish::Complete { reason, message })
}

/// Set condition `c` True (a new one, or an update of one that was not True), both times now.
pub fn set_condition(st: &mut JobStatus, c: Cond, reason: &str, message: &str, now: Millis) {
    put(st, c, "True", reason, message, now);
}

pub fn set_condition_false(st: &mut JobStatus, c: Cond, reason: &str, message: &str, now: Millis) {
    put(st, c, "False", reason, message, now);
}

fn put(st: &mut JobStatus, c: Cond, status: &str, reason: &str, message: &str, now: Millis) {
    let cond = JobCondition {
        type_: c.as_str().to_string(),
        status: status.to_string(),
        reason: Some(reason.to_string()),
        message: Some(message.to_string()),
        last_probe_time: Some(to_time(now)),
        last_transition_time: Some(to_time(now)),
    };
    let conditions = st.conditions.get_or_insert_with(Vec::new);
    match conditions.iter_mut().find(|x| x.type_ == c.as_str()) {
        Some(existing) if existing.status == status => {}
        Some(existing) => *existing = cond,
        None => conditions.push(cond),
    }
}

/// Add the final condition (and completionTime for Complete).
pub fn finish(st: &mut JobStatus, f: &Finish, now: Millis) {
    match f {
        Finish::Failed { reason, message } => set_condition(st, Cond::Failed, reason, message, now),
        Finish::Complete { reason, message } => {
            set_condition(st, Cond::Complete, reason, message, now);
            st.completion_time = Some(to_time(now));
        }
    }
}
