//! Values over virtual time given by the user: constants, piecewise-constant schedules, and
//! series the caller computes (in the Python binding, a callable). A computed series is sampled
//! only at scrapes, one call at a time on the thread that advances the clock, so what it returns
//! never depends on the reconcile thread count.

use std::any::Any;
use std::fmt;
use std::sync::Arc;

use crate::sim::clock::Millis;

/// A series the caller computes: its value (milli-units) `elapsed_ms` after the simulation start.
pub trait Series: Send + Sync {
    fn sample(&self, elapsed_ms: Millis) -> Result<i64, SeriesFailure>;
    /// The caller's own value behind the series (the binding's callable), for a snapshot to
    /// hand back to it.
    fn as_any(&self) -> Option<&dyn Any> {
        None
    }
}

/// Why a series gave no value: a message, and the caller's own error object if it has one.
#[derive(Clone, Debug, PartialEq)]
pub struct SeriesFailure {
    pub message: String,
    pub cause: Option<Cause>,
}

/// An error object from outside the core (the binding's exception), carried back to it as is.
#[derive(Clone)]
pub struct Cause(pub Arc<dyn Any + Send + Sync>);

impl fmt::Debug for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Cause(..)")
    }
}

impl PartialEq for Cause {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

/// A computed series failed when it was sampled; `what` names it (e.g. `load callable for
/// deployment default/web (cpu)`).
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{what} failed at t={}s: {message}", seconds(*.elapsed_ms))]
pub struct SeriesError {
    pub what: String,
    pub elapsed_ms: Millis,
    pub message: String,
    pub cause: Option<Cause>,
}

/// Seconds as a short decimal (`45`, `45.5`).
fn seconds(ms: Millis) -> String {
    if ms % 1000 == 0 {
        (ms / 1000).to_string()
    } else {
        format!("{}", ms as f64 / 1000.0)
    }
}

/// A value over time.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub enum Demand {
    Constant(i64),
    /// Piecewise constant from `(ms since the demand was set, value)` points.
    Schedule(Vec<(Millis, i64)>),
    /// Computed by the caller at each scrape; `last` is the latest sample `(scrape time, value)`.
    Function {
        #[serde(with = "crate::snapshot::shared::series")]
        series: Arc<dyn Series>,
        last: Option<(Millis, i64)>,
    },
}

impl Demand {
    pub fn function(series: Arc<dyn Series>) -> Demand {
        Demand::Function { series, last: None }
    }

    /// The value (milli-units) `elapsed` ms after the demand was set; a computed series gives
    /// its latest sample.
    pub fn at(&self, elapsed: Millis) -> i64 {
        match self {
            Demand::Constant(v) => *v,
            Demand::Schedule(points) => {
                points.iter().take_while(|(t, _)| *t <= elapsed).last().map(|(_, v)| *v).unwrap_or(0)
            }
            Demand::Function { last, .. } => last.map_or(0, |(_, v)| v),
        }
    }
}

impl fmt::Debug for Demand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Demand::Constant(v) => f.debug_tuple("Constant").field(v).finish(),
            Demand::Schedule(p) => f.debug_tuple("Schedule").field(p).finish(),
            Demand::Function { last, .. } => f.debug_struct("Function").field("last", last).finish_non_exhaustive(),
        }
    }
}

impl PartialEq for Demand {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Demand::Constant(a), Demand::Constant(b)) => a == b,
            (Demand::Schedule(a), Demand::Schedule(b)) => a == b,
            (Demand::Function { series: a, last: la }, Demand::Function { series: b, last: lb }) => {
                Arc::ptr_eq(a, b) && la == lb
            }
            _ => false,
        }
    }
}

/// A demand and when it was set (schedules count from there).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Timed {
    pub demand: Demand,
    pub since: Millis,
}

impl Timed {
    /// The value at the scrape at `scrape`.
    pub fn at(&self, scrape: Millis) -> i64 {
        self.demand.at(scrape - self.since)
    }
}

/// Take one sample of a computed series at `scrape` (a no-op for other demands).
pub(crate) fn sample(
    demand: &mut Demand,
    scrape: Millis,
    start: Millis,
    what: &dyn Fn() -> String,
) -> Result<(), SeriesError> {
    if let Demand::Function { series, last } = demand {
        let elapsed_ms = scrape - start;
        match series.sample(elapsed_ms) {
            Ok(v) => *last = Some((scrape, v)),
            Err(f) => return Err(SeriesError { what: what(), elapsed_ms, message: f.message, cause: f.cause }),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules_are_piecewise_constant() {
        let d = Demand::Schedule(vec![(0, 2000), (60_000, 5000), (120_000, 1000)]);
        assert_eq!(d.at(0), 2000);
        assert_eq!(d.at(59_999), 2000);
        assert_eq!(d.at(60_000), 5000);
        assert_eq!(d.at(500_000), 1000);
        assert_eq!(Demand::Schedule(vec![(10, 7)]).at(5), 0);
    }

    struct Double;
    impl Series for Double {
        fn sample(&self, elapsed_ms: Millis) -> Result<i64, SeriesFailure> {
            if elapsed_ms < 0 {
                return Err(SeriesFailure { message: "negative".into(), cause: None });
            }
            Ok(elapsed_ms * 2)
        }
    }

    #[test]
    fn computed_series_hold_their_latest_sample() {
        let mut d = Demand::function(Arc::new(Double));
        assert_eq!(d.at(0), 0, "nothing sampled yet");
        sample(&mut d, 16_000, 1000, &|| "x".into()).unwrap();
        assert_eq!(d.at(123), 30_000, "sampled at 15 s after the start");
        let e = sample(&mut d, 0, 1000, &|| "load callable for deployment default/web (cpu)".into()).unwrap_err();
        assert_eq!(e.to_string(), "load callable for deployment default/web (cpu) failed at t=-1s: negative");
        assert_eq!(d.at(0), 30_000, "a failed sample keeps the previous one");
    }
}
