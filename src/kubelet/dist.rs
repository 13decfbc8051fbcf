//! Distributions of image timings (pull, start, readiness, crash, completion, stop), drawn per
//! container from a key that depends only on the pod's uid (itself drawn from the cluster seed),
//! the container, what is drawn and the container's restart count. A draw is a pure function of
//! that key, so the same seed gives the same history for any thread count, the kubelet can
//! re-derive a container's timeline at every look, and an unrelated object changes no draw.

use std::sync::Arc;

use rand::SeedableRng;
use rand_distr::Distribution;
use serde::Deserialize;

use crate::sim::clock::Millis;
use crate::sim::rng::stable_hash;

/// A duration in milliseconds: fixed, or drawn from a distribution.
#[derive(Clone, Debug, PartialEq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase", deny_unknown_fields)]
pub enum Dist {
    Fixed(Millis),
    /// Uniform on [low, high].
    Uniform {
        low: Millis,
        high: Millis,
    },
    /// Normal, drawn again below zero (a truncated normal).
    Normal {
        mean: Millis,
        stddev: Millis,
    },
    /// Log-normal with the given median and 99th percentile (σ = ln(p99 / median) / z₀.₉₉).
    LogNormal {
        median: Millis,
        p99: Millis,
    },
    /// `min` plus an exponential with mean `mean - min`.
    Exponential {
        mean: Millis,
        min: Millis,
    },
    /// One of the values, with the given weights (equal when absent).
    Choice {
        values: Arc<[Millis]>,
        weights: Option<Arc<[f64]>>,
    },
    /// One of the samples, each equally likely.
    Empirical(Arc<[Millis]>),
}

/// The longest duration a parameter may be (about 30,000 years): timings are added to the clock.
const MAX: Millis = 1_000_000_000_000_000;

/// z such that Φ(z) = 0.99.
const Z99: f64 = 2.326_347_874_040_841;

impl Default for Dist {
    fn default() -> Self {
        Dist::Fixed(0)
    }
}

impl From<Millis> for Dist {
    fn from(ms: Millis) -> Self {
        Dist::Fixed(ms)
    }
}

impl Dist {
    /// Why the parameters cannot be drawn from, if they cannot.
    pub fn check(&self) -> Result<(), String> {
        let bad = |why: String| Err(why);
        if let Some(v) = self.values().find(|v| *v > MAX) {
            return bad(format!("{v} ms is longer than the longest duration ({MAX} ms)"));
        }
        match self {
            Dist::Fixed(v) if *v < 0 => bad(format!("must not be negative, got {v} ms")),
            Dist::Uniform { low, high } if *low < 0 || high < low => {
                bad(format!("uniform needs 0 <= low <= high, got low={low} ms, high={high} ms"))
            }
            Dist::Normal { mean, stddev } if *mean < 0 || *stddev < 0 => {
                bad(format!("normal needs mean >= 0 and stddev >= 0, got mean={mean} ms, stddev={stddev} ms"))
            }
            Dist::LogNormal { median, p99 } if *median <= 0 || p99 < median => {
                bad(format!("lognormal needs 0 < median <= p99, got median={median} ms, p99={p99} ms"))
            }
            Dist::Exponential { mean, min } if *min < 0 || mean < min => {
                bad(format!("exponential needs 0 <= min <= mean, got min={min} ms, mean={mean} ms"))
            }
            Dist::Choice { values, weights } => {
                if values.is_empty() {
                    return bad("choice needs at least one value".into());
                }
                if let Some(v) = values.iter().find(|v| **v < 0) {
                    return bad(format!("choice values must not be negative, got {v} ms"));
                }
                match weights {
                    Some(w) if w.len() != values.len() => {
                        bad(format!("choice has {} values but {} weights", values.len(), w.len()))
                    }
                    Some(w) if w.iter().any(|x| !x.is_finite() || *x < 0.0) || w.iter().sum::<f64>() <= 0.0 => {
                        bad("choice weights must be finite, >= 0, and not all 0".into())
                    }
                    _ => Ok(()),
                }
            }
            Dist::Empirical(samples) if samples.is_empty() => bad("empirical needs at least one sample".into()),
            Dist::Empirical(samples) if samples.iter().any(|v| *v < 0) => {
                bad("empirical samples must not be negative".into())
            }
            _ => Ok(()),
        }
    }

    /// The value for `key` (see [`DrawKey`]); a fixed value draws nothing.
    pub fn draw(&self, key: u64) -> Millis {
        let rng = || rand_pcg::Pcg64Mcg::seed_from_u64(key);
        let v: f64 = match self {
            Dist::Fixed(v) => return *v,
            Dist::Uniform { low, high } => return *low + (key % ((high - low) as u64 + 1)) as Millis,
            Dist::Normal { mean, stddev } => {
                let Ok(n) = rand_distr::Normal::new(*mean as f64, *stddev as f64) else { return *mean };
                let mut r = rng();
                // A truncated normal: draw again below zero (at most a few times in practice;
                // the mean is not negative, so each draw is at least as likely to be kept).
                (0..64).map(|_| n.sample(&mut r)).find(|x| *x >= 0.0).unwrap_or(*mean as f64)
            }
            Dist::LogNormal { median, p99 } => {
                let sigma = (*p99 as f64 / *median as f64).ln() / Z99;
                match rand_distr::LogNormal::new((*median as f64).ln(), sigma) {
                    Ok(d) => d.sample(&mut rng()),
                    Err(_) => *median as f64,
                }
            }
            Dist::Exponential { mean, min } => {
                if mean == min {
                    return *min;
                }
                match rand_distr::Exp::new(1.0 / (mean - min) as f64) {
                    Ok(d) => *min as f64 + d.sample(&mut rng()),
                    Err(_) => *mean as f64,
                }
            }
            Dist::Choice { values, weights: None } | Dist::Empirical(values) => {
                return values[(key % values.len() as u64) as usize];
            }
            Dist::Choice { values, weights: Some(w) } => {
                return match rand_distr::weighted::WeightedIndex::new(w.iter().copied()) {
                    Ok(d) => values[d.sample(&mut rng())],
                    Err(_) => values[0],
                };
            }
        };
        // Whole milliseconds, as every time in the simulation; clamped (to about 30,000 years)
        // so that a heavy tail cannot overflow the clock.
        v.round().clamp(0.0, MAX as f64) as Millis
    }

    /// Every duration among the parameters.
    fn values(&self) -> Box<dyn Iterator<Item = Millis> + '_> {
        match self {
            Dist::Fixed(v) => Box::new(std::iter::once(*v)),
            Dist::Uniform { low, high } => Box::new([*low, *high].into_iter()),
            Dist::Normal { mean, stddev } => Box::new([*mean, *stddev].into_iter()),
            Dist::LogNormal { median, p99 } => Box::new([*median, *p99].into_iter()),
            Dist::Exponential { mean, min } => Box::new([*mean, *min].into_iter()),
            Dist::Choice { values, .. } | Dist::Empirical(values) => Box::new(values.iter().copied()),
        }
    }

    pub fn is_fixed(&self) -> bool {
        matches!(self, Dist::Fixed(_))
    }
}

/// What a draw is for: one timing of one container of one pod, in one run of the container.
#[derive(Clone, Copy, Debug)]
pub struct DrawKey<'a> {
    pub pod_uid: u128,
    pub container: &'a str,
    pub restarts: u32,
}

impl DrawKey<'_> {
    /// The key of the timing `what` (a distinct tag per field, so two timings of one container
    /// are drawn independently).
    pub fn of(&self, what: &str) -> u64 {
        stable_hash(
            0x6b75_6265_7369_6d21,
            &[&self.pod_uid.to_le_bytes(), self.container.as_bytes(), what.as_bytes(), &self.restarts.to_le_bytes()],
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draws(d: &Dist, n: usize) -> Vec<Millis> {
        (0..n as u32)
            .map(|i| d.draw(DrawKey { pod_uid: i as u128 * 7919, container: "main", restarts: 0 }.of("pull")))
            .collect()
    }

    fn quantile(v: &mut [Millis], q: f64) -> Millis {
        v.sort_unstable();
        v[((v.len() - 1) as f64 * q).round() as usize]
    }

    #[test]
    fn draws_follow_their_distributions() {
        let n = 20_000;
        // (distribution, quantile, expected value, tolerance in ms)
        let cases: Vec<(Dist, f64, Millis, Millis)> = vec![
            (Dist::Fixed(1234), 0.5, 1234, 0),
            (Dist::Uniform { low: 1000, high: 3000 }, 0.5, 2000, 40),
            (Dist::Uniform { low: 1000, high: 3000 }, 0.0, 1000, 0),
            (Dist::Uniform { low: 1000, high: 3000 }, 1.0, 3000, 0),
            (Dist::LogNormal { median: 2000, p99: 20_000 }, 0.5, 2000, 80),
            (Dist::LogNormal { median: 2000, p99: 20_000 }, 0.99, 20_000, 2_000),
            (Dist::Exponential { mean: 3000, min: 1000 }, 0.0, 1000, 5),
            // median of min + Exp(mean − min): min + (mean − min)·ln 2
            (Dist::Exponential { mean: 3000, min: 1000 }, 0.5, 1000 + (2000.0 * std::f64::consts::LN_2) as Millis, 60),
            (Dist::Normal { mean: 5000, stddev: 1000 }, 0.5, 5000, 40),
            (Dist::Normal { mean: 5000, stddev: 1000 }, 0.8413, 6000, 60),
        ];
        for (d, q, want, tol) in cases {
            let got = quantile(&mut draws(&d, n), q);
            assert!((got - want).abs() <= tol, "{d:?} q{q}: got {got}, want {want} ± {tol}");
        }
    }

    #[test]
    fn choices_follow_their_weights_and_draws_are_pure_functions_of_the_key() {
        let d = Dist::Choice { values: Arc::from([1, 2, 3]), weights: Some(Arc::from([1.0, 0.0, 3.0])) };
        let v = draws(&d, 8_000);
        assert_eq!(v.iter().filter(|x| **x == 2).count(), 0);
        let threes = v.iter().filter(|x| **x == 3).count() as f64 / v.len() as f64;
        assert!((threes - 0.75).abs() < 0.02, "{threes}");
        let e = Dist::Empirical(Arc::from([10, 20]));
        assert_eq!(draws(&e, 100), draws(&e, 100));
        let key = |restarts, what| DrawKey { pod_uid: 42, container: "main", restarts }.of(what);
        assert_ne!(key(0, "pull"), key(1, "pull"));
        assert_ne!(key(0, "pull"), key(0, "start"));
        let ln = Dist::LogNormal { median: 1000, p99: 9000 };
        assert_eq!(ln.draw(key(0, "pull")), ln.draw(key(0, "pull")));
    }

    #[test]
    fn bad_parameters_are_named() {
        let cases = [
            (Dist::Fixed(-1), "must not be negative"),
            (Dist::Uniform { low: 5, high: 1 }, "low <= high"),
            (Dist::LogNormal { median: 0, p99: 1 }, "0 < median <= p99"),
            (Dist::LogNormal { median: 5, p99: 1 }, "0 < median <= p99"),
            (Dist::Exponential { mean: 1, min: 2 }, "min <= mean"),
            (Dist::Choice { values: Arc::from([]), weights: None }, "at least one value"),
            (Dist::Choice { values: Arc::from([1]), weights: Some(Arc::from([1.0, 2.0])) }, "1 values but 2 weights"),
            (Dist::Choice { values: Arc::from([1]), weights: Some(Arc::from([0.0])) }, "not all 0"),
            (Dist::Empirical(Arc::from([])), "at least one sample"),
        ];
        for (d, want) in cases {
            let err = d.check().unwrap_err();
            assert!(err.contains(want), "{d:?}: {err}");
        }
        assert!(Dist::Normal { mean: 0, stddev: 0 }.check().is_ok());
        let too_long = Dist::Empirical(Arc::from([1, i64::MAX])).check().unwrap_err();
        assert!(too_long.contains("longer than the longest duration"), "{too_long}");
    }
}
