//! Optional control-plane and node latencies (`Cluster(latency=kubesim.Latency(…))`). Each knob
//! is off by default, which keeps the instant behaviour: every controller sees a write at once,
//! the scheduler binds every pod it can in the instant it is created, a kubelet starts a pod the
//! instant it is bound and pulls run side by side for the profile's pull time.
//!
//! - `informer_delay`: a controller hears of a write this long after it (its informer's watch).
//! - `scheduler_qps` / `scheduler_burst`: the scheduler's API client rate limit, a token bucket
//!   in virtual time; each scheduling attempt spends a token (a binding or a status write).
//! - `kubelet_sync_period`: a kubelet first syncs a newly bound pod at its next tick (ticks at
//!   the cluster's start plus whole periods).
//! - `pull_bandwidth`: an image pull takes its size over the node's bandwidth.
//! - `serialize_image_pulls`: a node pulls one image at a time; later pulls queue.

use serde::{Deserialize, Serialize};

use crate::sim::clock::Millis;

/// The latencies a cluster models; `Latency::default()` models none.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Latency {
    /// How long after a write a controller is told of it (0: at once).
    pub informer_delay: Millis,
    /// Scheduling attempts per second (`None`: unlimited).
    pub scheduler_qps: Option<f64>,
    /// Attempts the scheduler may make at once after being idle (at least 1).
    pub scheduler_burst: u32,
    /// The kubelet's sync tick for a newly bound pod (0: at once).
    pub kubelet_sync_period: Millis,
    /// Bytes per second each node pulls at (`None`: the image profile's pull time).
    pub pull_bandwidth: Option<u64>,
    /// One pull at a time per node (upstream's serialized image puller).
    pub serialize_image_pulls: bool,
}

/// The longest delay or period accepted (a day: longer ones are surely a unit mistake).
const MAX_DELAY: Millis = 86_400_000;

impl Latency {
    /// Why the knobs cannot be used, naming the first bad one.
    pub fn check(&self) -> Result<(), String> {
        for (name, v) in [("informer_delay", self.informer_delay), ("kubelet_sync_period", self.kubelet_sync_period)] {
            if !(0..=MAX_DELAY).contains(&v) {
                return Err(format!("{name} must be between 0 and 24h, got {v} ms"));
            }
        }
        if let Some(q) = self.scheduler_qps {
            if !q.is_finite() || !(0.001..=1_000_000.0).contains(&q) {
                return Err(format!("scheduler_qps must be a number of attempts per second in [0.001, 1e6], got {q}"));
            }
        }
        if self.scheduler_qps.is_some() && self.scheduler_burst == 0 {
            return Err("scheduler_burst must be at least 1".into());
        }
        if self.pull_bandwidth == Some(0) {
            return Err("pull_bandwidth must be more than 0 bytes per second".into());
        }
        Ok(())
    }

    /// Whether any knob is on.
    pub fn any(&self) -> bool {
        *self != Latency::default()
    }

    /// How long pulling an image of `size_bytes` takes: its size over the bandwidth, or the
    /// profile's `pull` time when no bandwidth is set.
    pub fn pull_time(&self, size_bytes: u64, profile_pull: Millis) -> Millis {
        match self.pull_bandwidth {
            None => profile_pull,
            // Rounded up to the next millisecond: a pull of any size takes some time.
            Some(bw) => {
                let ms = (u128::from(size_bytes) * 1000).div_ceil(u128::from(bw));
                Millis::try_from(ms).unwrap_or(Millis::MAX / 4)
            }
        }
    }

    /// The first kubelet tick at or after `now`, ticks falling at `start` plus whole periods.
    pub fn kubelet_tick(&self, start: Millis, now: Millis) -> Millis {
        let p = self.kubelet_sync_period;
        if p <= 0 || now <= start {
            return now.max(start);
        }
        start + (now - start + p - 1) / p * p
    }
}

/// The scheduler's rate limit as a token bucket in virtual time (upstream: client-go's
/// `flowcontrol.NewTokenBucketRateLimiter(qps, burst)`), kept as the generic cell-rate
/// algorithm's theoretical arrival time in microseconds so that it stays exact in integers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenBucket {
    tat_us: i64,
}

impl TokenBucket {
    /// Take a token for an attempt asked for at `now` (ms): when it may go (`now` if a token is
    /// there, else when the next one will be). The bucket is spent either way: a later attempt
    /// queues behind this one (upstream: `Wait` reserves, then sleeps).
    pub fn reserve(&mut self, qps: f64, burst: u32, now: Millis) -> Millis {
        let interval = ((1e6 / qps).round() as i64).max(1);
        let now_us = now.saturating_mul(1000);
        let tat = self.tat_us.max(now_us);
        let allowed_from = tat - interval * (i64::from(burst.max(1)) - 1);
        self.tat_us = tat + interval;
        if allowed_from <= now_us {
            now
        } else {
            // Rounded up to the millisecond: never before a token is there.
            (allowed_from + 999).div_euclid(1000)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_bucket_lets_burst_through_then_one_per_interval() {
        // (qps, burst, attempts at 0) → when each may go, ms.
        let table: [(f64, u32, usize, &[Millis]); 4] = [
            (2.0, 1, 5, &[0, 500, 1000, 1500, 2000]),
            (2.0, 3, 5, &[0, 0, 0, 500, 1000]),
            (50.0, 100, 102, &[]),
            (3.0, 1, 3, &[0, 334, 667]),
        ];
        for (qps, burst, n, want) in table {
            let mut b = TokenBucket::default();
            let got: Vec<Millis> = (0..n).map(|_| b.reserve(qps, burst, 0)).collect();
            if want.is_empty() {
                // upstream scheduler client: 100 at once, then one every 20 ms.
                assert!(got[..100].iter().all(|t| *t == 0), "qps {qps} burst {burst}: the burst goes at once");
                assert_eq!(&got[100..], &[20, 40], "qps {qps} burst {burst}: then one per 1/qps");
            } else {
                assert_eq!(got, want, "qps {qps} burst {burst}");
            }
        }
    }

    #[test]
    fn token_bucket_refills_while_idle_up_to_the_burst() {
        let mut b = TokenBucket::default();
        assert_eq!(b.reserve(1.0, 2, 0), 0);
        assert_eq!(b.reserve(1.0, 2, 0), 0);
        assert_eq!(b.reserve(1.0, 2, 0), 1000, "empty: the next token comes after 1 s");
        // Idle for 10 s: the bucket holds only `burst` tokens, not ten.
        let at: Vec<Millis> = (0..3).map(|_| b.reserve(1.0, 2, 11_000)).collect();
        assert_eq!(at, [11_000, 11_000, 12_000]);
    }

    #[test]
    fn pull_time_is_size_over_bandwidth_rounded_up() {
        let table = [
            (None, 100_000_000, 2_000, 2_000, "no bandwidth: the profile's pull time"),
            (Some(50_000_000), 100_000_000, 2_000, 2_000, "100 MB at 50 MB/s"),
            (Some(50_000_000), 1, 2_000, 1, "a byte still takes a millisecond"),
            (Some(3), 1, 0, 334, "rounded up"),
            (Some(1), u64::MAX, 0, Millis::MAX / 4, "absurd sizes are capped, not overflowed"),
        ];
        for (bw, size, pull, want, why) in table {
            let l = Latency { pull_bandwidth: bw, ..Default::default() };
            assert_eq!(l.pull_time(size, pull), want, "{why}");
        }
    }

    #[test]
    fn kubelet_ticks_fall_on_whole_periods_from_the_start() {
        let l = Latency { kubelet_sync_period: 1_000, ..Default::default() };
        for (now, want) in [(100, 100), (100 + 1, 1_100), (1_100, 1_100), (1_101, 2_100), (2_099, 2_100)] {
            assert_eq!(l.kubelet_tick(100, now), want, "start 100, now {now}");
        }
        assert_eq!(Latency::default().kubelet_tick(100, 1_234), 1_234, "off: at once");
    }

    #[test]
    fn bad_knobs_are_named() {
        let table = [
            (Latency { informer_delay: -1, ..Default::default() }, "informer_delay"),
            (Latency { kubelet_sync_period: MAX_DELAY + 1, ..Default::default() }, "kubelet_sync_period"),
            (Latency { scheduler_qps: Some(0.0), scheduler_burst: 1, ..Default::default() }, "scheduler_qps"),
            (Latency { scheduler_qps: Some(f64::NAN), scheduler_burst: 1, ..Default::default() }, "scheduler_qps"),
            (Latency { scheduler_qps: Some(5.0), scheduler_burst: 0, ..Default::default() }, "scheduler_burst"),
            (Latency { pull_bandwidth: Some(0), ..Default::default() }, "pull_bandwidth"),
        ];
        for (l, name) in table {
            let err = l.check().expect_err(name);
            assert!(err.starts_with(name), "{err}");
        }
        assert!(Latency::default().check().is_ok());
        assert!(!Latency::default().any());
    }
}
