//! The load model and what the metrics APIs report. A Deployment's CPU and memory demand is
//! spread over its Ready pods the way a Service spreads traffic, on top of an idle baseline per
//! running pod; per-pod overrides model skew. Pods metrics (the custom metrics API) and External
//! metrics are series the user gives. Everything is sampled at the scrape interval, so a pod that
//! started after the last scrape has no metric yet.

pub mod read;
mod series;

use std::collections::BTreeMap;

pub use series::{Cause, Demand, Series, SeriesError, SeriesFailure, Timed};

use crate::sim::clock::Millis;
use crate::store::ObjectKey;

/// metrics-server's default resolution (and kubesim's scrape interval for every metrics API).
pub const SCRAPE_INTERVAL: Millis = 15_000;

/// CPU and memory in milli-units (millicores, millibytes); `None` leaves a value unset.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Usage {
    pub cpu: Option<i64>,
    pub memory: Option<i64>,
}

/// What a Deployment's pods do.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Load {
    /// Total demand, shared by the Ready pods.
    pub cpu: Option<Timed>,
    pub memory: Option<Timed>,
    /// What every running pod uses before any demand (default 0).
    pub idle: Usage,
    /// Pods metrics (custom metrics API) by metric name.
    pub metrics: BTreeMap<String, PodsSeries>,
}

/// A Pods metric of a Deployment.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PodsSeries {
    pub value: Timed,
    /// Every running pod reports `value` (per pod), or the Ready pods share it (a total).
    pub per_pod: bool,
}

/// One series of an External metric: its labels (what an HPA's `metric.selector` matches).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ExternalSeries {
    pub labels: BTreeMap<String, String>,
    pub value: Timed,
}

#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct LoadModel {
    /// Demand per Deployment.
    pub deployments: BTreeMap<ObjectKey, Load>,
    /// Fixed usage per pod.
    pub pods: BTreeMap<ObjectKey, Usage>,
    /// Fixed Pods-metric values per pod.
    pub pod_metrics: BTreeMap<ObjectKey, BTreeMap<String, i64>>,
    /// External metrics by name (visible from every namespace).
    pub external: BTreeMap<String, Vec<ExternalSeries>>,
    /// Simulation start: scrapes happen at start + k × SCRAPE_INTERVAL.
    pub start: Millis,
    /// How many computed series are set (sampling is skipped when there are none).
    functions: usize,
}

impl LoadModel {
    /// The most recent scrape at or before `now`.
    pub fn last_scrape(&self, now: Millis) -> Millis {
        self.start + (now - self.start).div_euclid(SCRAPE_INTERVAL) * SCRAPE_INTERVAL
    }

    /// Set a Deployment's demand; `None` leaves a resource as it is. A computed series is
    /// sampled at once at the latest scrape; if that fails nothing changes.
    pub fn set_load(
        &mut self,
        deployment: ObjectKey,
        cpu: Option<Demand>,
        memory: Option<Demand>,
        idle: Usage,
        now: Millis,
    ) -> Result<(), SeriesError> {
        let describe =
            |r: &str| format!("load callable for deployment {}/{} ({r})", deployment.namespace, deployment.name);
        let cpu = cpu.map(|d| self.prime(d, now, &|| describe("cpu"))).transpose()?;
        let memory = memory.map(|d| self.prime(d, now, &|| describe("memory"))).transpose()?;
        let load = self.deployments.entry(deployment).or_default();
        if let Some(t) = cpu {
            load.cpu = Some(t);
        }
        if let Some(t) = memory {
            load.memory = Some(t);
        }
        if idle.cpu.is_some() {
            load.idle.cpu = idle.cpu;
        }
        if idle.memory.is_some() {
            load.idle.memory = idle.memory;
        }
        self.recount();
        Ok(())
    }

    /// Set (or with `None` remove) a Deployment's Pods metric `name`.
    pub fn set_pods_metric(
        &mut self,
        deployment: ObjectKey,
        name: &str,
        value: Option<(Demand, bool)>,
        now: Millis,
    ) -> Result<(), SeriesError> {
        match value {
            Some((demand, per_pod)) => {
                let what =
                    || format!("metric callable {name:?} for deployment {}/{}", deployment.namespace, deployment.name);
                let value = self.prime(demand, now, &what)?;
                let load = self.deployments.entry(deployment).or_default();
                load.metrics.insert(name.to_string(), PodsSeries { value, per_pod });
            }
            None => {
                if let Some(load) = self.deployments.get_mut(&deployment) {
                    load.metrics.remove(name);
                }
            }
        }
        self.recount();
        Ok(())
    }

    /// Set (or with `None` remove) the External metric series `name` with these labels.
    pub fn set_external(
        &mut self,
        name: &str,
        labels: BTreeMap<String, String>,
        value: Option<Demand>,
        now: Millis,
    ) -> Result<(), SeriesError> {
        let value = match value {
            Some(d) => {
                let what = || format!("external metric callable {name:?}{}", braces(&labels));
                Some(self.prime(d, now, &what)?)
            }
            None => None,
        };
        let series = self.external.entry(name.to_string()).or_default();
        series.retain(|s| s.labels != labels);
        if let Some(value) = value {
            series.push(ExternalSeries { labels, value });
        }
        if series.is_empty() {
            self.external.remove(name);
        }
        self.recount();
        Ok(())
    }

    fn prime(&self, mut demand: Demand, now: Millis, what: &dyn Fn() -> String) -> Result<Timed, SeriesError> {
        series::sample(&mut demand, self.last_scrape(now), self.start, what)?;
        Ok(Timed { demand, since: now })
    }

    fn recount(&mut self) {
        let mut n = 0;
        self.for_each_function(|_, _| {
            n += 1;
            Ok(())
        })
        .ok();
        self.functions = n;
    }

    /// Visit every computed series with a description of it, in a fixed order.
    fn for_each_function(
        &mut self,
        mut f: impl FnMut(&dyn Fn() -> String, &mut Demand) -> Result<(), SeriesError>,
    ) -> Result<(), SeriesError> {
        let is_fn = |d: &Demand| matches!(d, Demand::Function { .. });
        for (key, load) in self.deployments.iter_mut() {
            for (r, t) in [("cpu", &mut load.cpu), ("memory", &mut load.memory)] {
                if let Some(t) = t.as_mut().filter(|t| is_fn(&t.demand)) {
                    f(&|| format!("load callable for deployment {}/{} ({r})", key.namespace, key.name), &mut t.demand)?;
                }
            }
            for (name, s) in load.metrics.iter_mut().filter(|(_, s)| is_fn(&s.value.demand)) {
                f(
                    &|| format!("metric callable {name:?} for deployment {}/{}", key.namespace, key.name),
                    &mut s.value.demand,
                )?;
            }
        }
        for (name, all) in self.external.iter_mut() {
            for s in all.iter_mut().filter(|s| is_fn(&s.value.demand)) {
                let labels = &s.labels;
                f(&|| format!("external metric callable {name:?}{}", braces(labels)), &mut s.value.demand)?;
            }
        }
        Ok(())
    }

    /// Sample every computed series at each scrape up to `now` it has not seen yet, scrape by
    /// scrape (and in a fixed order within one scrape). Called serially before time moves on.
    pub fn sample_until(&mut self, now: Millis) -> Result<(), SeriesError> {
        if self.functions == 0 {
            return Ok(());
        }
        let target = self.last_scrape(now);
        let start = self.start;
        let due = |d: &Demand| match d {
            Demand::Function { last: Some((t, _)), .. } => t + SCRAPE_INTERVAL,
            _ => target,
        };
        loop {
            let mut next: Option<Millis> = None;
            self.for_each_function(|_, d| {
                next = Some(next.map_or(due(d), |n| n.min(due(d))));
                Ok(())
            })?;
            let Some(scrape) = next.filter(|t| *t <= target) else { return Ok(()) };
            self.for_each_function(|what, d| {
                if due(d) <= scrape {
                    series::sample(d, scrape, start, what)?;
                }
                Ok(())
            })?;
        }
    }
}

/// Labels as `{a=b,c=d}` (empty for none), for messages.
fn braces(labels: &BTreeMap<String, String>) -> String {
    if labels.is_empty() {
        return String::new();
    }
    let inner: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!("{{{}}}", inner.join(","))
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};

    use super::*;
    use crate::api::Kind;

    #[test]
    fn scrapes_fall_on_the_interval() {
        let m = LoadModel { start: 1000, ..Default::default() };
        assert_eq!(m.last_scrape(1000), 1000);
        assert_eq!(m.last_scrape(15_999), 1000);
        assert_eq!(m.last_scrape(16_000), 16_000);
    }

    /// Records each call; fails at one chosen time.
    struct Recorder {
        calls: Mutex<Vec<Millis>>,
        fail_at: Option<Millis>,
        count: AtomicUsize,
    }
    impl Series for Recorder {
        fn sample(&self, elapsed_ms: Millis) -> Result<i64, SeriesFailure> {
            self.count.fetch_add(1, Ordering::SeqCst);
            if Some(elapsed_ms) == self.fail_at {
                return Err(SeriesFailure { message: "boom".into(), cause: None });
            }
            self.calls.lock().unwrap().push(elapsed_ms);
            Ok(elapsed_ms / 1000)
        }
    }

    #[test]
    fn computed_loads_are_sampled_once_per_scrape_in_time_order() {
        let rec = Arc::new(Recorder { calls: Mutex::new(vec![]), fail_at: None, count: AtomicUsize::new(0) });
        let mut m = LoadModel::default();
        let key = ObjectKey::new(Kind::Deployment, "default", "web");
        m.set_load(key.clone(), Some(Demand::function(rec.clone())), None, Usage::default(), 20_000).unwrap();
        assert_eq!(*rec.calls.lock().unwrap(), [15_000], "primed at the latest scrape");
        m.sample_until(59_999).unwrap();
        m.sample_until(59_999).unwrap();
        assert_eq!(*rec.calls.lock().unwrap(), [15_000, 30_000, 45_000]);
        assert_eq!(m.deployments[&key].cpu.as_ref().unwrap().at(45_000), 45);
    }

    #[test]
    fn a_failing_sample_names_the_series_and_is_retried() {
        let rec = Arc::new(Recorder { calls: Mutex::new(vec![]), fail_at: Some(30_000), count: AtomicUsize::new(0) });
        let mut m = LoadModel::default();
        let key = ObjectKey::new(Kind::Deployment, "shop", "web");
        m.set_pods_metric(key, "rps", Some((Demand::function(rec.clone()), true)), 0).unwrap();
        let e = m.sample_until(50_000).unwrap_err();
        assert_eq!(e.to_string(), "metric callable \"rps\" for deployment shop/web failed at t=30s: boom");
        assert!(m.sample_until(50_000).is_err(), "the failed scrape is tried again");
        assert_eq!(rec.count.load(Ordering::SeqCst), 4, "0 s, 15 s, then 30 s twice");
    }

    #[test]
    fn external_series_are_replaced_by_labels_and_removed_with_none() {
        let mut m = LoadModel::default();
        let labels: BTreeMap<String, String> = [("queue".to_string(), "jobs".to_string())].into();
        m.set_external("depth", labels.clone(), Some(Demand::Constant(5)), 0).unwrap();
        m.set_external("depth", labels.clone(), Some(Demand::Constant(7)), 0).unwrap();
        m.set_external("depth", BTreeMap::new(), Some(Demand::Constant(1)), 0).unwrap();
        assert_eq!(m.external["depth"].len(), 2);
        assert_eq!(m.external["depth"][0].value.at(0), 7);
        m.set_external("depth", labels, None, 0).unwrap();
        m.set_external("depth", BTreeMap::new(), None, 0).unwrap();
        assert!(m.external.is_empty());
    }
}
