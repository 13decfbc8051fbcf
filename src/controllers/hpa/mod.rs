//! The HorizontalPodAutoscaler controller (`pkg/controller/podautoscaler`): Resource (cpu,
//! memory; Utilization or AverageValue), Pods and External metrics, fed by the load model and
//! the user's series. `controllers.md` §3.

mod calc;
mod memo;
mod normalize;

use k8s_openapi::api::autoscaling::v2 as hpa;
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

use super::{Ctx, EventRecord, Reconciled, Write};
use crate::api::meta::to_time;
use crate::api::quantity::milli_quantity;
use crate::api::{Body, Kind, Object};
use crate::labels::Selector;
use crate::metrics::read::{Reader, Resource};
use crate::sim::clock::Millis;
use crate::store::ObjectKey;
use calc::{go_label_selector, target_milli, Calc};
pub use memo::Memo;
use memo::{Outcome, Target};
use normalize::{normalize_legacy, normalize_with_behavior};

const COMPONENT: &str = "horizontal-pod-autoscaler";
/// kube-controller-manager defaults.
pub const SYNC_PERIOD: Millis = 15_000;
pub const TOLERANCE: f64 = 0.1;
pub const CPU_INITIALIZATION_PERIOD: Millis = 300_000;
pub const INITIAL_READINESS_DELAY: Millis = 30_000;
pub const DOWNSCALE_STABILIZATION: Millis = 300_000;

/// What the controller remembers between syncs (upstream keeps it in memory too).
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct HpaMemory {
    pub recommendations: Vec<(i32, Millis)>,
    pub up_events: Vec<(i32, Millis)>,
    pub down_events: Vec<(i32, Millis)>,
}

pub(super) fn set_condition(
    status: &mut hpa::HorizontalPodAutoscalerStatus,
    type_: &str,
    value: bool,
    reason: &str,
    message: String,
    now: Millis,
) {
    let conditions = status.conditions.get_or_insert_with(Vec::new);
    let v = if value { "True" } else { "False" };
    match conditions.iter_mut().find(|c| c.type_ == type_) {
        Some(c) => {
            if c.status != v {
                c.last_transition_time = Some(to_time(now));
            }
            c.status = v.into();
            c.reason = Some(reason.into());
            c.message = Some(message);
        }
        None => conditions.push(hpa::HorizontalPodAutoscalerCondition {
            type_: type_.into(),
            status: v.into(),
            reason: Some(reason.into()),
            message: Some(message),
            last_transition_time: Some(to_time(now)),
        }),
    }
}

pub fn reconcile(ctx: &Ctx, key: &ObjectKey) -> Reconciled {
    let Some(h) = ctx.store.get_by_key(key) else { return Reconciled::nothing() };
    let Body::HorizontalPodAutoscaler { spec, status } = &h.body else { return Reconciled::nothing() };
    let now = ctx.now;
    let mut out = Reconciled::nothing().requeue(Some(now + SYNC_PERIOD));
    // (currentMetrics is made anew below; only a failure to get the target keeps the old)
    let hpa::HorizontalPodAutoscalerStatus {
        conditions,
        current_metrics,
        current_replicas,
        desired_replicas,
        last_scale_time,
        observed_generation,
    } = &**status;
    let mut st = hpa::HorizontalPodAutoscalerStatus {
        conditions: conditions.clone(),
        current_metrics: None,
        current_replicas: *current_replicas,
        desired_replicas: *desired_replicas,
        last_scale_time: last_scale_time.clone(),
        observed_generation: *observed_generation,
    };
    let event = |warning: bool, reason: &'static str, message: String| {
        Write::Event(Box::new(EventRecord::about(h, COMPONENT, warning, reason, message)))
    };
    let target_kind = Kind::from_type_meta(
        spec.scale_target_ref.api_version.as_deref().unwrap_or("apps/v1"),
        &spec.scale_target_ref.kind,
    )
    .filter(|k| matches!(k, Kind::Deployment | Kind::ReplicaSet));
    let target = target_kind.and_then(|k| ctx.store.get(k, &h.meta.namespace, &spec.scale_target_ref.name).ok());
    let Some(target) = target else {
        let msg = format!(
            "the HPA controller was unable to get the target's current scale: {}.apps \"{}\" not found",
            spec.scale_target_ref.kind.to_ascii_lowercase() + "s",
            spec.scale_target_ref.name
        );
        set_condition(&mut st, "AbleToScale", false, "FailedGetScale", msg.clone(), now);
        out.writes.push(event(true, "FailedGetScale", msg));
        st.current_metrics = current_metrics.clone();
        return finish(out, h, status, st);
    };
    // upstream: the scale subresource — spec.replicas, status.replicas and the selector.
    let (current, status_replicas, selector) = match &target.body {
        Body::Deployment { spec, status, .. } => (
            spec.replicas.unwrap_or(1),
            status.replicas.unwrap_or(0),
            Selector::from_label_selector(Some(&spec.selector)),
        ),
        Body::ReplicaSet { spec, status, .. } => {
            (spec.replicas.unwrap_or(1), status.replicas, spec.selector.selector())
        }
        _ => return out,
    };
    set_condition(
        &mut st,
        "AbleToScale",
        true,
        "SucceededGetScale",
        "the HPA controller was able to get the target's current scale".into(),
        now,
    );
    let min = spec.min_replicas.unwrap_or(1);
    let max = spec.max_replicas;
    let mut memory = ctx
        .hpa
        .get(key)
        .cloned()
        .unwrap_or_else(|| HpaMemory { recommendations: vec![(current, now)], ..Default::default() });
    let mut desired = current;
    let mut rescale_reason = String::new();
    let mut metrics_status: Vec<hpa::MetricStatus> = Vec::new();
    if current == 0 && min != 0 {
        set_condition(
            &mut st,
            "ScalingActive",
            false,
            "ScalingDisabled",
            "scaling is disabled since the replica count of the target is zero".into(),
            now,
        );
        desired = 0;
    } else if current > max {
        desired = max;
        rescale_reason = "Current number of replicas above Spec.MaxReplicas".into();
    } else if current < min {
        desired = min;
        rescale_reason = "Current number of replicas below Spec.MinReplicas".into();
    } else {
        let namespace = &*h.meta.namespace;
        let facts = Target { uid: target.meta.uid, current, status_replicas, metrics: spec.metrics.as_ref() };
        // Every metric's outcome, worked out from the target's pods.
        let work_out = |selector: Option<&Selector>| -> (Vec<Outcome>, Option<Memo>) {
            let pods = selector.map_or_else(Vec::new, |s| ctx.store.list_refs(Kind::Pod, Some(namespace), s));
            let calc = Calc { reader: Reader::new(ctx.store, ctx.load, now).listing(&pods), namespace, now };
            let outcomes: Vec<Outcome> =
                spec.metrics.iter().flatten().map(|m| compute_metric(&calc, m, current, status_replicas)).collect();
            let memo = selector.and_then(|s| Memo::record(ctx.store, ctx.load, &calc, &facts, s, &outcomes));
            (outcomes, memo)
        };
        let selector = selector.ok();
        let kept = ctx
            .hpa_memo
            .get(key)
            .filter(|m| selector.as_ref().is_some_and(|s| m.holds(ctx.store, ctx.load, namespace, &facts, s, now)));
        let outcomes = match kept {
            Some(m) => {
                #[cfg(debug_assertions)]
                assert_eq!(work_out(selector.as_ref()).0, m.outcomes, "the kept outcomes of HPA {}", h.meta.name);
                m.outcomes.clone()
            }
            None => {
                let (outcomes, memo) = work_out(selector.as_ref());
                if memo.is_some() || ctx.hpa_memo.contains_key(key) {
                    out.writes.push(Write::HpaMemo(key.clone(), memo.map(Box::new)));
                }
                outcomes
            }
        };
        // upstream: computeReplicasForMetrics — the first largest proposal wins; statuses keep
        // their positions (an empty one for a failed metric).
        let mut best: Option<(i32, String)> = None;
        let mut failures: Vec<MetricFailure> = Vec::new();
        for outcome in outcomes {
            match outcome {
                Ok((n, name, status)) => {
                    metrics_status.push(status);
                    if best.as_ref().is_none_or(|(b, _)| *b == 0 || n > *b) {
                        best = Some((n, name));
                    }
                }
                Err(f) => {
                    metrics_status.push(hpa::MetricStatus { type_: "".into(), ..Default::default() });
                    out.writes.push(event(true, f.reason, f.message.clone()));
                    failures.push(f);
                }
            }
        }
        let blocked = match &best {
            None => true,
            Some((n, _)) => !failures.is_empty() && *n < current,
        };
        if blocked {
            if let Some(f) = failures.first() {
                set_condition(
                    &mut st,
                    "ScalingActive",
                    false,
                    f.reason,
                    format!("the HPA was unable to compute the replica count: {}", f.message),
                    now,
                );
                let total = spec.metrics.as_ref().map(|m| m.len()).unwrap_or(0);
                out.writes.push(event(
                    true,
                    "FailedComputeMetricsReplicas",
                    format!("invalid metrics ({} invalid out of {total}), first error is: {}", failures.len(), f.error),
                ));
            }
        } else if let Some((metric_desired, name)) = best {
            set_condition(
                &mut st,
                "ScalingActive",
                true,
                "ValidMetricFound",
                format!("the HPA was able to successfully calculate a replica count from {name}"),
                now,
            );
            desired = match spec.behavior.as_ref() {
                None => normalize_legacy(&mut st, &mut memory, current, metric_desired, min, max, now),
                Some(b) => normalize_with_behavior(&mut st, &mut memory, b, current, metric_desired, min, max, now),
            };
            rescale_reason =
                if desired > current { format!("{name} above target") } else { "All metrics below target".into() };
        }
    }
    if desired != current {
        let mut t = (*target).clone();
        match &mut t.body {
            Body::Deployment { spec, .. } => spec.replicas = Some(desired),
            Body::ReplicaSet { spec, .. } => spec.replicas = Some(desired),
            _ => {}
        }
        out.writes.push(Write::Update(Box::new(t)));
        out.writes.push(event(false, "SuccessfulRescale", format!("New size: {desired}; reason: {rescale_reason}")));
        set_condition(
            &mut st,
            "AbleToScale",
            true,
            "SucceededRescale",
            format!("the HPA controller was able to update the target scale to {desired}"),
            now,
        );
        st.last_scale_time = Some(to_time(now));
        if spec.behavior.is_some() {
            let change = desired - current;
            // upstream: events older than the longest policy period (at most 1800 s) are dropped.
            let list = if change > 0 { &mut memory.up_events } else { &mut memory.down_events };
            list.retain(|(_, t)| *t > now - 1_800_000);
            list.push((change.abs(), now));
        }
    }
    st.current_replicas = Some(current);
    st.desired_replicas = desired;
    st.current_metrics = (!metrics_status.is_empty()).then_some(metrics_status);
    if ctx.hpa.get(key) != Some(&memory) {
        out.writes.push(Write::HpaMemory(key.clone(), Box::new(memory)));
    }
    finish(out, h, status, st)
}

/// A metric that gave no proposal: the condition reason, the message of its event and
/// condition, and the error upstream wraps it in for `FailedComputeMetricsReplicas`.
#[derive(Clone, Debug, PartialEq)]
struct MetricFailure {
    reason: &'static str,
    message: String,
    error: String,
}

/// upstream: computeReplicasForMetric and computeStatusFor{Resource,Pods,External}Metric — one
/// metric's proposal, the name a rescale reason uses, and its `currentMetrics` entry.
fn compute_metric(
    calc: &Calc,
    m: &hpa::MetricSpec,
    current: i32,
    status_replicas: i32,
) -> Result<(i32, String, hpa::MetricStatus), MetricFailure> {
    let value = |average_value: Option<i64>, value: Option<i64>| hpa::MetricValueStatus {
        average_utilization: None,
        average_value: average_value.map(|v| Quantity(milli_quantity(v))),
        value: value.map(|v| Quantity(milli_quantity(v))),
    };
    match (m.type_.as_str(), &m.resource, &m.pods, &m.external) {
        ("Resource", Some(r), _, _) => {
            let fail = |message: String| MetricFailure {
                reason: "FailedGetResourceMetric",
                error: format!("failed to get {} resource metric value: {message}", r.name),
                message,
            };
            let Some(resource) = Resource::parse(&r.name) else {
                return Err(fail(format!(
                    "failed to get {} utilization: unable to get metrics for resource {}: no metrics returned from resource metrics API",
                    r.name, r.name
                )));
            };
            let status = |current: hpa::MetricValueStatus| hpa::MetricStatus {
                type_: "Resource".into(),
                resource: Some(hpa::ResourceMetricStatus { name: r.name.clone(), current }),
                ..Default::default()
            };
            if let Some(target) = target_milli(r.target.average_value.as_ref()) {
                let (n, raw) = calc
                    .resource_average(current, resource, target)
                    .map_err(|e| fail(format!("failed to get {} usage: {e}", r.name)))?;
                return Ok((n, format!("{} resource", r.name), status(value(Some(raw), None))));
            }
            let Some(target) = r.target.average_utilization else {
                return Err(fail("invalid resource metric source: neither an average utilization target nor an average value (usage) target was set".into()));
            };
            let (n, util, raw) = calc
                .resource_utilization(current, resource, target)
                .map_err(|e| fail(format!("failed to get {} utilization: {e}", r.name)))?;
            let mut v = value(Some(raw), None);
            v.average_utilization = Some(util);
            Ok((n, format!("{} resource utilization (percentage of request)", r.name), status(v)))
        }
        ("Pods", _, Some(p), _) => {
            let fail = |message: String| MetricFailure {
                reason: "FailedGetPodsMetric",
                error: format!("failed to get pods metric value: {message}"),
                message,
            };
            if let Some(Err(e)) = p.metric.selector.as_ref().map(|s| Selector::from_label_selector(Some(s))) {
                return Err(fail(e.to_string()));
            }
            let target = target_milli(p.target.average_value.as_ref()).unwrap_or(0);
            let (n, usage) = calc.pods_metric(current, &p.metric.name, target).map_err(fail)?;
            let status = hpa::MetricStatus {
                type_: "Pods".into(),
                pods: Some(hpa::PodsMetricStatus { metric: p.metric.clone(), current: value(Some(usage), None) }),
                ..Default::default()
            };
            Ok((n, format!("pods metric {}", p.metric.name), status))
        }
        ("External", _, _, Some(x)) => {
            let name = &x.metric.name;
            let selector = x.metric.selector.as_ref();
            let status = |current: hpa::MetricValueStatus| hpa::MetricStatus {
                type_: "External".into(),
                external: Some(hpa::ExternalMetricStatus { metric: x.metric.clone(), current }),
                ..Default::default()
            };
            let label = format!("external metric {name}({})", go_label_selector(selector));
            let fail =
                |message: String, error: String| MetricFailure { reason: "FailedGetExternalMetric", message, error };
            if let Some(target) = target_milli(x.target.average_value.as_ref()) {
                let (n, usage) = calc
                    .external_average(status_replicas, name, selector, target)
                    .map_err(|e| fail(e.clone(), format!("failed to get {name} external metric: {e}")))?;
                return Ok((n, label, status(value(Some(usage), None))));
            }
            if let Some(target) = target_milli(x.target.value.as_ref()) {
                let (n, usage) = calc
                    .external_value(current, name, selector, target)
                    .map_err(|e| fail(e.clone(), format!("failed to get external metric {name}: {e}")))?;
                return Ok((n, label, status(value(None, Some(usage)))));
            }
            let msg = "invalid external metric source: neither a value target nor an average value target was set";
            Err(fail(msg.into(), msg.into()))
        }
        (t, _, _, _) => {
            let message = format!("the HPA does not support metric source type {t:?} in kubesim yet");
            Err(MetricFailure { reason: "InvalidMetricSourceType", error: message.clone(), message })
        }
    }
}

fn finish(
    mut out: Reconciled,
    h: &Object,
    old: &hpa::HorizontalPodAutoscalerStatus,
    st: hpa::HorizontalPodAutoscalerStatus,
) -> Reconciled {
    if st != *old {
        let mut o = h.clone();
        if let Body::HorizontalPodAutoscaler { status, .. } = &mut o.body {
            **status = st;
        }
        out.writes.push(Write::UpdateStatus(Box::new(o)));
    }
    out
}
