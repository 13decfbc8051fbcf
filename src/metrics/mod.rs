//! The load model and a simulated metrics-server: a Deployment's CPU and memory demand is spread
//! over its Ready pods the way a Service spreads traffic; per-pod overrides model skew. Usage is
//! sampled at the scrape interval, so a pod that started after the last scrape has no metric yet.

use std::collections::BTreeMap;

use crate::sim::clock::Millis;
use crate::store::ObjectKey;

/// metrics-server's default resolution (and kubesim's scrape interval).
pub const SCRAPE_INTERVAL: Millis = 15_000;

/// A demand over time: constant, or piecewise constant from `(elapsed ms since set, value)` points.
#[derive(Clone, Debug, PartialEq)]
pub enum Demand {
    Constant(i64),
    Schedule(Vec<(Millis, i64)>),
}

impl Demand {
    /// The value (milli-units) `elapsed` ms after the demand was set.
    pub fn at(&self, elapsed: Millis) -> i64 {
        match self {
            Demand::Constant(v) => *v,
            Demand::Schedule(points) => {
                points.iter().take_while(|(t, _)| *t <= elapsed).last().map(|(_, v)| *v).unwrap_or(0)
            }
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Load {
    pub cpu: Option<Demand>,
    pub memory: Option<Demand>,
    /// When the load was set (schedules count from here).
    pub since: Millis,
}

/// Usage overrides for one pod (milli-units), for skew experiments.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Usage {
    pub cpu: Option<i64>,
    pub memory: Option<i64>,
}

#[derive(Clone, Debug, Default)]
pub struct LoadModel {
    /// Demand per Deployment.
    pub deployments: BTreeMap<ObjectKey, Load>,
    /// Fixed usage per pod.
    pub pods: BTreeMap<ObjectKey, Usage>,
    /// Simulation start: scrapes happen at start + k × SCRAPE_INTERVAL.
    pub start: Millis,
}

impl LoadModel {
    /// The most recent scrape at or before `now`.
    pub fn last_scrape(&self, now: Millis) -> Millis {
        self.start + (now - self.start).div_euclid(SCRAPE_INTERVAL) * SCRAPE_INTERVAL
    }
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

    #[test]
    fn scrapes_fall_on_the_interval() {
        let m = LoadModel { start: 1000, ..Default::default() };
        assert_eq!(m.last_scrape(1000), 1000);
        assert_eq!(m.last_scrape(15_999), 1000);
        assert_eq!(m.last_scrape(16_000), 16_000);
    }
}
