//! The replica calculator (`replica_calculator.go`): per-metric replica proposals from what the
//! metrics APIs report. `controllers.md` §3.3.

use std::sync::Arc;

use k8s_openapi::api::core::v1::PodSpec;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

use super::{CPU_INITIALIZATION_PERIOD, INITIAL_READINESS_DELAY, TOLERANCE};
use crate::api::pod::{ConditionType, Phase};
use crate::api::quantity::parse_milli_saturating;
use crate::api::{Body, Object};
use crate::labels::Selector;
use crate::metrics::read::{Reader, Resource};
use crate::metrics::SCRAPE_INTERVAL;
use crate::sim::clock::Millis;

/// upstream: Tolerances.isWithin — both bounds inclusive.
pub(super) fn within_tolerance(ratio: f64) -> bool {
    (1.0 - TOLERANCE..=1.0 + TOLERANCE).contains(&ratio)
}

/// upstream: groupPods — how each pod's sample is treated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Group {
    /// Being deleted or failed: dropped everywhere.
    Ignored,
    /// Pending, or (CPU only) not yet ready long enough for its sample to count.
    Unready,
    /// No sample.
    Missing,
    Ready,
}

/// `math.Ceil(x)` as a replica count, capped at MaxInt32 as upstream caps it.
fn ceil_replicas(x: f64) -> i32 {
    if x >= i32::MAX as f64 {
        i32::MAX
    } else {
        x.ceil() as i32
    }
}

/// One HPA sync's view of its target's pods and the metrics APIs.
pub(super) struct Calc<'a> {
    /// Reads the metrics of the target's pods, which it was given (see [`Reader::listing`]).
    pub reader: Reader<'a>,
    pub namespace: &'a str,
    pub now: Millis,
}

impl<'a> Calc<'a> {
    /// The target's pods.
    fn pods(&self) -> &'a [&'a Arc<Object>] {
        self.reader.listed()
    }

    fn group(&self, pod: &Object, sample: Option<i64>, cpu: bool) -> Group {
        let Body::Pod { status, .. } = &pod.body else { return Group::Ignored };
        if pod.meta.deletion_timestamp().is_some() || status.phase == Phase::Failed {
            return Group::Ignored;
        }
        if status.phase == Phase::Pending {
            return Group::Unready;
        }
        if sample.is_none() {
            return Group::Missing;
        }
        if cpu {
            let unready = match (status.condition(ConditionType::Ready), status.start_time()) {
                (None, _) | (_, None) => true,
                (Some(c), Some(start)) => {
                    if self.now < start + CPU_INITIALIZATION_PERIOD {
                        // The sample's window (one scrape interval) began before the pod was ready.
                        !c.status || self.reader.scrape < c.last_transition + SCRAPE_INTERVAL
                    } else {
                        !c.status && start + INITIAL_READINESS_DELAY > c.last_transition
                    }
                }
            };
            if unready {
                return Group::Unready;
            }
        }
        Group::Ready
    }

    fn no_pods() -> String {
        "no pods returned by selector while calculating replica count".into()
    }

    /// upstream: GetResourceReplicas — a Utilization target. Returns the proposal, the
    /// utilization (whole percent) and the average usage of the pods counted.
    pub fn resource_utilization(&self, current: i32, r: Resource, target: i32) -> Result<(i32, i32, i64), String> {
        let samples = self.reader.listed_resources(r);
        if samples.iter().all(Option::is_none) {
            return Err(format!(
                "unable to get metrics for resource {}: no metrics returned from resource metrics API",
                r.name()
            ));
        }
        if self.pods().is_empty() {
            return Err(Self::no_pods());
        }
        let groups: Vec<Group> =
            self.pods().iter().zip(&samples).map(|(p, s)| self.group(p, *s, r == Resource::Cpu)).collect();
        if !groups.contains(&Group::Ready) {
            return Err("did not receive metrics for targeted pods (pods might be unready)".into());
        }
        // Pods made from one template share their spec: its requests are summed once.
        let mut summed: Vec<(*const PodSpec, i64)> = Vec::new();
        let mut requests = Vec::with_capacity(self.pods().len());
        for p in self.pods() {
            let Body::Pod { spec, .. } = &p.body else { return Err("not a pod".into()) };
            let v = match summed.iter().find(|(s, _)| std::ptr::eq(*s, Arc::as_ptr(spec))) {
                Some((_, v)) => *v,
                None => {
                    let v = requests_of(spec, &p.meta.name, r.name())?;
                    if summed.len() < 8 {
                        summed.push((Arc::as_ptr(spec), v));
                    }
                    v
                }
            };
            requests.push(v);
        }
        // upstream: GetResourceUtilizationRatio over the pods with a (kept) sample.
        let utilization = |entries: &[(i64, i64)]| -> Result<(f64, i32, i64), String> {
            // Sums in i128: a pod's requests and usage may each be as large as int64.
            let usage: i128 = entries.iter().map(|e| i128::from(e.0)).sum();
            let request: i128 = entries.iter().map(|e| i128::from(e.1)).sum();
            if request == 0 {
                return Err("no metrics returned matched known pods".into());
            }
            let util = (usage * 100 / request).clamp(0, i32::MAX as i128) as i32;
            Ok((util as f64 / target as f64, util, (usage / entries.len() as i128) as i64))
        };
        let ready: Vec<(i64, i64)> = (0..self.pods().len())
            .filter(|&i| groups[i] == Group::Ready)
            .map(|i| (samples[i].unwrap_or(0), requests[i]))
            .collect();
        let (ratio, util, raw) = utilization(&ready)?;
        let unready = groups.contains(&Group::Unready);
        let missing = groups.contains(&Group::Missing);
        let scale_up_unready = unready && ratio > 1.0;
        if !scale_up_unready && !missing {
            if within_tolerance(ratio) {
                return Ok((current, util, raw));
            }
            return Ok((ceil_replicas(ratio * ready.len() as f64), util, raw));
        }
        // upstream: missing pods count as max(100 %, target) of their request on a scale-down
        // and 0 on a scale-up; unready pods count as 0, on a scale-up only.
        let mut all = ready;
        for (i, g) in groups.iter().enumerate() {
            match g {
                Group::Missing if ratio < 1.0 => {
                    all.push((requests[i] * i64::from(target.max(100)) / 100, requests[i]))
                }
                Group::Missing if ratio > 1.0 => all.push((0, requests[i])),
                Group::Unready if scale_up_unready => all.push((0, requests[i])),
                _ => {}
            }
        }
        let (new_ratio, _, _) = utilization(&all)?;
        Ok((settle(current, ratio, new_ratio, all.len()), util, raw))
    }

    /// upstream: GetRawResourceReplicas — an AverageValue target (milli-units).
    pub fn resource_average(&self, current: i32, r: Resource, target: i64) -> Result<(i32, i64), String> {
        let samples = self.reader.listed_resources(r);
        if samples.iter().all(Option::is_none) {
            return Err(format!(
                "unable to get metrics for resource {}: no metrics returned from resource metrics API",
                r.name()
            ));
        }
        self.plain(current, &samples, r == Resource::Cpu, target)
    }

    /// upstream: GetMetricReplicas — a Pods metric with an AverageValue target.
    pub fn pods_metric(&self, current: i32, name: &str, target: i64) -> Result<(i32, i64), String> {
        let wrap = |e: &str| format!("unable to get metric {name}: {e}");
        if !self.reader.pods_metric_known(name) {
            return Err(wrap(&format!(
                "unable to fetch metrics from custom metrics API: the server could not find the metric {name} for pods"
            )));
        }
        let samples = self.reader.listed_pods_metrics(name);
        if samples.iter().all(Option::is_none) {
            return Err(wrap("no metrics returned from custom metrics API"));
        }
        self.plain(current, &samples, false, target)
    }

    /// upstream: calcPlainMetricReplicas — the average of the kept samples against the target.
    fn plain(&self, current: i32, samples: &[Option<i64>], cpu: bool, target: i64) -> Result<(i32, i64), String> {
        if self.pods().is_empty() {
            return Err(Self::no_pods());
        }
        let groups: Vec<Group> = self.pods().iter().zip(samples).map(|(p, s)| self.group(p, *s, cpu)).collect();
        let ready: Vec<i64> =
            (0..self.pods().len()).filter(|&i| groups[i] == Group::Ready).map(|i| samples[i].unwrap_or(0)).collect();
        if ready.is_empty() {
            return Err("did not receive metrics for targeted pods (pods might be unready)".into());
        }
        // upstream: GetMetricUsageRatio — the integer average, then the ratio.
        let usage_ratio = |values: &[i64]| {
            let average = (values.iter().map(|v| i128::from(*v)).sum::<i128>() / values.len() as i128) as i64;
            (average as f64 / target as f64, average)
        };
        let (ratio, usage) = usage_ratio(&ready);
        let scale_up_unready = groups.contains(&Group::Unready) && ratio > 1.0;
        if !scale_up_unready && !groups.contains(&Group::Missing) {
            if within_tolerance(ratio) {
                return Ok((current, usage));
            }
            return Ok((ceil_replicas(ratio * ready.len() as f64), usage));
        }
        // upstream: missing pods count as exactly the target on a scale-down and 0 on a
        // scale-up; unready pods count as 0, on a scale-up only.
        let mut all = ready;
        for g in &groups {
            match g {
                Group::Missing if ratio < 1.0 => all.push(target),
                Group::Missing if ratio > 1.0 => all.push(0),
                Group::Unready if scale_up_unready => all.push(0),
                _ => {}
            }
        }
        let (new_ratio, _) = usage_ratio(&all);
        Ok((settle(current, ratio, new_ratio, all.len()), usage))
    }

    /// The summed values of an External metric's matching series.
    fn external_total(&self, name: &str, selector: Option<&LabelSelector>) -> Result<i64, String> {
        let sel = match selector {
            // upstream: the external metrics client sends no label selector for a nil one.
            None => Selector::everything(),
            Some(s) => Selector::from_label_selector(Some(s)).map_err(|e| e.to_string())?,
        };
        let wrap = |e: &str| {
            format!("unable to get external metric {}/{name}/{}: {e}", self.namespace, go_label_selector(selector))
        };
        let Some(values) = self.reader.external(name, &sel) else {
            return Err(wrap(&format!(
                "unable to fetch metrics from external metrics API: the server could not find the metric {name} for provided labels"
            )));
        };
        if values.is_empty() {
            return Err(wrap("no metrics returned from external metrics API"));
        }
        Ok(values.iter().fold(0i64, |a, v| a.saturating_add(*v)))
    }

    /// upstream: GetExternalMetricReplicas — a Value target: the ratio times the Ready pods.
    pub fn external_value(
        &self,
        current: i32,
        name: &str,
        selector: Option<&LabelSelector>,
        target: i64,
    ) -> Result<(i32, i64), String> {
        let usage = self.external_total(name, selector)?;
        let ratio = usage as f64 / target as f64;
        if current == 0 {
            return Ok((ceil_replicas(ratio), usage));
        }
        if within_tolerance(ratio) {
            return Ok((current, usage));
        }
        if self.pods().is_empty() {
            return Err(format!("unable to calculate ready pods: {}", Self::no_pods()));
        }
        let ready = self
            .pods()
            .iter()
            .filter(
                |p| matches!(&p.body, Body::Pod { status, .. } if status.phase == Phase::Running && status.is_ready()),
            )
            .count();
        Ok((ceil_replicas(ratio * ready as f64), usage))
    }

    /// upstream: GetExternalPerPodMetricReplicas — an AverageValue target against the target's
    /// `status.replicas`.
    pub fn external_average(
        &self,
        status_replicas: i32,
        name: &str,
        selector: Option<&LabelSelector>,
        target: i64,
    ) -> Result<(i32, i64), String> {
        let usage = self.external_total(name, selector)?;
        let mut replicas = status_replicas;
        let ratio = usage as f64 / (target as f64 * status_replicas as f64);
        if !within_tolerance(ratio) {
            replicas = ceil_replicas(usage as f64 / target as f64);
        }
        let average = if status_replicas > 0 { (usage as f64 / status_replicas as f64).ceil() as i64 } else { usage };
        Ok((replicas, average))
    }
}

/// The end of GetResourceReplicas/calcPlainMetricReplicas after filling in missing and unready
/// pods: keep `current` if the new ratio is within tolerance or flips direction, or if the new
/// count moves the other way.
fn settle(current: i32, ratio: f64, new_ratio: f64, counted: usize) -> i32 {
    if within_tolerance(new_ratio) || (ratio < 1.0 && new_ratio > 1.0) || (ratio > 1.0 && new_ratio < 1.0) {
        return current;
    }
    let replicas = ceil_replicas(new_ratio * counted as f64);
    if (new_ratio < 1.0 && replicas > current) || (new_ratio > 1.0 && replicas < current) {
        return current;
    }
    replicas
}

/// A pod's summed container requests for `resource` (milli-units).
fn requests_of(spec: &PodSpec, pod: &str, resource: &str) -> Result<i64, String> {
    let mut sum = 0i64;
    for c in &spec.containers {
        let q = c.resources.as_ref().and_then(|r| r.requests.as_ref()).and_then(|r| r.get(resource));
        match q.and_then(|q| parse_milli_saturating(&q.0)) {
            Some(v) => sum = sum.saturating_add(v.clamp(0, i64::MAX as i128) as i64),
            None => return Err(format!("missing request for {resource} in container {} of Pod {}", c.name, pod)),
        }
    }
    Ok(sum)
}

/// A target quantity in milli-units.
pub(super) fn target_milli(q: Option<&k8s_openapi::apimachinery::pkg::api::resource::Quantity>) -> Option<i64> {
    q.and_then(|q| parse_milli_saturating(&q.0)).map(|v| v.clamp(i64::MIN as i128, i64::MAX as i128) as i64)
}

/// Go's `%+v` of a `*metav1.LabelSelector` (its generated String method), as upstream puts it
/// in metric names and errors: `nil`, or
/// `&LabelSelector{MatchLabels:map[string]string{queue: jobs,},MatchExpressions:[]LabelSelectorRequirement{},}`.
pub(super) fn go_label_selector(s: Option<&LabelSelector>) -> String {
    let Some(s) = s else { return "nil".into() };
    let labels: String = s.match_labels.iter().flatten().map(|(k, v)| format!("{k}: {v},")).collect();
    let exprs: String = s
        .match_expressions
        .iter()
        .flatten()
        .map(|e| {
            format!(
                "LabelSelectorRequirement{{Key:{},Operator:{},Values:[{}],}},",
                e.key,
                e.operator,
                e.values.as_deref().unwrap_or_default().join(" ")
            )
        })
        .collect();
    format!("&LabelSelector{{MatchLabels:map[string]string{{{labels}}},MatchExpressions:[]LabelSelectorRequirement{{{exprs}}},}}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_selectors_print_like_go() {
        assert_eq!(go_label_selector(None), "nil");
        let s: LabelSelector = serde_json::from_value(serde_json::json!({
            "matchLabels": {"queue": "jobs", "app": "a"},
            "matchExpressions": [{"key": "tier", "operator": "In", "values": ["x", "y"]}]
        }))
        .unwrap();
        assert_eq!(
            go_label_selector(Some(&s)),
            "&LabelSelector{MatchLabels:map[string]string{app: a,queue: jobs,},MatchExpressions:[]LabelSelectorRequirement{LabelSelectorRequirement{Key:tier,Operator:In,Values:[x y],},},}"
        );
    }

    #[test]
    fn settling_after_fill_in_keeps_the_direction() {
        // upstream ScaleUpUnreadyNoScale: ratio 1.78 becomes 0.89 once unready pods count as 0.
        assert_eq!(settle(3, 1.78, 0.89, 3), 3);
        // within tolerance after the fill-in
        assert_eq!(settle(3, 1.5, 1.05, 4), 3);
        // a scale-down whose count would grow: keep current
        assert_eq!(settle(2, 0.5, 0.8, 4), 2);
        assert_eq!(settle(5, 0.4, 0.5, 5), 3);
        assert_eq!(ceil_replicas(1e12), i32::MAX);
    }
}
