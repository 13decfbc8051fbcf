//! The Job controller's pod-failure back-off (upstream `backoff_utils.go`): after n failures
//! since the last success, no new pod for 10 s·2^(n−1), at most 10 minutes, counted from the
//! last failure's finish time.

use crate::api::pod::{ConditionType, ContainerState};
use crate::api::{Body, Object};
use crate::sim::clock::Millis;

/// upstream: DefaultJobPodFailureBackOff.
pub const DEFAULT_BACKOFF: Millis = 10_000;
/// upstream: MaxJobPodFailureBackOff (the docs' "six minutes" is stale; the code caps at 10).
pub const MAX_BACKOFF: Millis = 600_000;

/// upstream: backoffRecord — failures since the last success and when the last one finished.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BackoffRecord {
    pub failures: u32,
    pub last_failure: Option<Millis>,
}

impl BackoffRecord {
    /// The record of finished pods given as (finish time, failed): sorted by finish time, a
    /// success resets the count (upstream: newBackoffRecord over the finished pods).
    pub fn of(mut finished: Vec<(Millis, bool)>) -> BackoffRecord {
        finished.sort_unstable();
        let mut r = BackoffRecord::default();
        for (t, failed) in finished {
            if failed {
                r.failures += 1;
                r.last_failure = Some(r.last_failure.map_or(t, |l| l.max(t)));
            } else {
                r.failures = 0;
            }
        }
        r
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
    fn a_success_resets_the_count() {
        let r = BackoffRecord::of(vec![(1000, true), (2000, true), (3000, false), (4000, true)]);
        assert_eq!(r, BackoffRecord { failures: 1, last_failure: Some(4000) });
        let r = BackoffRecord::of(vec![(5000, true), (1000, true), (3000, true)]);
        assert_eq!(r, BackoffRecord { failures: 3, last_failure: Some(5000) });
        assert_eq!(BackoffRecord::of(vec![(1000, false)]).remaining(1000, DEFAULT_BACKOFF, MAX_BACKOFF), 0);
    }
}
