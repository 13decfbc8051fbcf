//! The Job controller's pod-failure back-off (upstream `backoff_utils.go`): after n failures
//! since the last success, no new pod for 10 s·2^(n−1), at most 10 minutes, counted from the
//! last failure's finish time.

use std::collections::BTreeMap;

use crate::api::pod::{ConditionType, ContainerState};
use crate::api::{Body, Object};
use crate::sim::clock::Millis;
use crate::store::ObjectKey;

/// upstream: DefaultJobPodFailureBackOff.
pub const DEFAULT_BACKOFF: Millis = 10_000;
/// upstream: MaxJobPodFailureBackOff (the docs' "six minutes" is stale; the code caps at 10).
pub const MAX_BACKOFF: Millis = 600_000;

/// upstream: backoffRecord — failures since the last success and when the last one finished.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BackoffRecord {
    pub failures: u32,
    pub last_failure: Option<Millis>,
}

/// upstream: backoffStore — the Job controller's record per Job, kept in memory (so deleting
/// a Job's failed pods does not reset its back-off), updated when a sync has written the newly
/// finished pods into the Job's status, dropped when the Job finishes or is deleted.
pub type Memory = BTreeMap<ObjectKey, BackoffRecord>;

impl BackoffRecord {
    /// upstream: newBackoffRecord — this record after the pods that finished since the last
    /// sync (their finish times): failures only add up, from the latest one's time; a success
    /// starts again, keeping only the failures that finished after the last success.
    pub fn after(self, mut succeeded: Vec<Millis>, mut failed: Vec<Millis>) -> BackoffRecord {
        succeeded.sort_unstable();
        failed.sort_unstable();
        let Some(&last_success) = succeeded.last() else {
            let Some(&last) = failed.last() else { return self };
            return BackoffRecord { failures: self.failures + failed.len() as u32, last_failure: Some(last) };
        };
        let after: Vec<Millis> = failed.into_iter().filter(|&t| t > last_success).collect();
        BackoffRecord { failures: after.len() as u32, last_failure: after.last().copied() }
    }

    /// upstream: getRemainingTime — what is left of the back-off at `now` (0 when none).
    pub fn remaining(&self, now: Millis, base: Millis, max: Millis) -> Millis {
        let Some(last) = self.last_failure.filter(|_| self.failures > 0) else { return 0 };
        let delay = delay(self.failures, base, max);
        (delay - (now - last)).clamp(0, delay)
    }
}

/// base·2^(n−1), capped at `max`.
pub fn delay(failures: u32, base: Millis, max: Millis) -> Millis {
    if failures == 0 {
        return 0;
    }
    let shift = (failures - 1).min(40);
    base.saturating_mul(1i64 << shift).min(max)
}

/// upstream: getFinishedTime — the last container's finishedAt when all have terminated, else
/// the time Ready turned False, else the deletion time less its grace, else the creation time.
/// Whole seconds, as the API carries them.
pub fn finish_time(pod: &Object) -> Millis {
    let Body::Pod { status, .. } = &pod.body else { return pod.meta.creation_timestamp };
    let mut latest: Option<Millis> = None;
    let mut all = !status.containers.is_empty();
    for c in status.containers.iter() {
        match c.state {
            ContainerState::Terminated { finished_at, .. } => {
                latest = Some(latest.map_or(finished_at, |l| l.max(finished_at)))
            }
            _ => all = false,
        }
    }
    let t = match (all, latest) {
        (true, Some(t)) => t,
        _ => match status.condition(ConditionType::Ready).filter(|c| !c.status) {
            Some(c) => c.last_transition,
            None => match pod.meta.deletion_timestamp() {
                Some(d) => d - pod.meta.deletion_grace_period_seconds().unwrap_or(0) * 1000,
                None => pod.meta.creation_timestamp,
            },
        },
    };
    t.div_euclid(1000) * 1000
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remaining_back_off_matches_upstream_rows() {
        // upstream TestGetRemainingBackoffTime (default 5 s, max 700 s): (failures, seconds
        // since the last failure) → remaining seconds.
        let rows = [(0, 0, 0), (1, 0, 5), (1, 1, 4), (1, 5, 0), (1, 6, 0), (3, 0, 20), (8, 0, 640), (9, 0, 700)];
        for (failures, since, want) in rows {
            let r = BackoffRecord { failures, last_failure: Some(1_000_000) };
            let got = r.remaining(1_000_000 + since * 1000, 5_000, 700_000);
            assert_eq!(got, want * 1000, "{failures} failures, {since} s ago");
        }
    }

    #[test]
    fn kubernetes_defaults_double_from_ten_seconds_to_ten_minutes() {
        let want = [10, 20, 40, 80, 160, 320, 600, 600, 600];
        for (n, w) in want.iter().enumerate() {
            assert_eq!(delay(n as u32 + 1, DEFAULT_BACKOFF, MAX_BACKOFF), w * 1000, "after {} failures", n + 1);
        }
    }

    #[test]
    fn new_finished_pods_update_the_record_as_upstream_new_backoff_record() {
        // upstream TestNewBackoffRecord: (record before, new successes, new failures) → after.
        let r = |failures, last: Option<Millis>| BackoffRecord { failures, last_failure: last };
        let rows = [
            (r(0, None), vec![], vec![], r(0, None), "nothing new"),
            (r(2, Some(5000)), vec![], vec![], r(2, Some(5000)), "nothing new keeps the record"),
            (r(0, None), vec![], vec![3000, 1000], r(2, Some(3000)), "failures add up, latest time"),
            (r(2, Some(5000)), vec![], vec![9000], r(3, Some(9000)), "on top of the record"),
            (r(2, Some(5000)), vec![6000], vec![], r(0, None), "a success starts again"),
            (r(4, Some(5000)), vec![6000], vec![4000, 7000, 8000], r(2, Some(8000)), "only failures after the success"),
            (r(4, Some(5000)), vec![6000], vec![6000], r(0, None), "a failure at the success's time does not count"),
        ];
        for (before, succeeded, failed, want, why) in rows {
            assert_eq!(before.after(succeeded, failed), want, "{why}");
        }
        assert_eq!(r(1, Some(1000)).remaining(1000, DEFAULT_BACKOFF, MAX_BACKOFF), 10_000);
        assert_eq!(r(0, None).remaining(1000, DEFAULT_BACKOFF, MAX_BACKOFF), 0);
    }
}
