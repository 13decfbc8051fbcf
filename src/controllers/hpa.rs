//! The HorizontalPodAutoscaler controller (`pkg/controller/podautoscaler`), for Resource metrics
//! (cpu, memory; Utilization or AverageValue) fed by the load model. `controllers.md` §3.

use std::sync::Arc;

use k8s_openapi::api::autoscaling::v2 as hpa;
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

use super::{Ctx, EventRecord, Reconciled, Write};
use crate::api::meta::to_time;
use crate::api::pod::{ConditionType, ContainerState};
use crate::api::quantity::parse_milli;
use crate::api::{Body, Kind, Object};
use crate::labels::Selector;
use crate::metrics::SCRAPE_INTERVAL;
use crate::sim::clock::Millis;
use crate::store::ObjectKey;

const COMPONENT: &str = "horizontal-pod-autoscaler";
/// kube-controller-manager defaults.
pub const SYNC_PERIOD: Millis = 15_000;
pub const TOLERANCE: f64 = 0.1;
pub const CPU_INITIALIZATION_PERIOD: Millis = 300_000;
pub const INITIAL_READINESS_DELAY: Millis = 30_000;
pub const DOWNSCALE_STABILIZATION: Millis = 300_000;

/// What the controller remembers between syncs (upstream keeps it in memory too).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HpaMemory {
    pub recommendations: Vec<(i32, Millis)>,
    pub up_events: Vec<(i32, Millis)>,
    pub down_events: Vec<(i32, Millis)>,
}

struct PodSample {
    usage: Option<i64>,
    request: Option<i64>,
    container_missing_request: Option<String>,
    ready: bool,
    ignored: bool,
    unready: bool,
}

fn within_tolerance(ratio: f64) -> bool {
    (1.0 - TOLERANCE..=1.0 + TOLERANCE).contains(&ratio)
}

/// Pod usage at the last scrape: an override, or the Deployment's demand spread over its Ready
/// pods without overrides; `None` if the pod was not running at the last scrape.
fn pod_usage(
    ctx: &Ctx,
    pod: &Object,
    resource: &str,
    scrape: Millis,
    share: &dyn Fn() -> Option<(i64, i64)>,
) -> Option<i64> {
    let Body::Pod { status, .. } = &pod.body else { return None };
    let started = status
        .containers
        .iter()
        .all(|c| matches!(c.state, ContainerState::Running { started_at } if started_at <= scrape));
    if status.containers.is_empty() || !started {
        return None;
    }
    let key = ObjectKey::of(pod);
    if let Some(u) = ctx.load.pods.get(&key) {
        let v = if resource == "cpu" { u.cpu } else { u.memory };
        if let Some(v) = v {
            return Some(v);
        }
    }
    if !status.is_ready() {
        return Some(0);
    }
    share().map(|(total, n)| if n > 0 { total / n } else { 0 }).or(Some(0))
}

fn requests(pod: &Object, resource: &str) -> Result<i64, String> {
    let Body::Pod { spec, .. } = &pod.body else { return Err("not a pod".into()) };
    let mut sum = 0i64;
    for c in &spec.containers {
        let q = c.resources.as_ref().and_then(|r| r.requests.as_ref()).and_then(|r| r.get(resource));
        match q.and_then(|q| parse_milli(&q.0)) {
            Some(v) => sum = sum.saturating_add(v.clamp(0, i64::MAX as i128) as i64),
            None => {
                return Err(format!("missing request for {resource} in container {} of Pod {}", c.name, pod.meta.name))
            }
        }
    }
    Ok(sum)
}

/// The Deployment a pod belongs to (pod → ReplicaSet → Deployment).
fn deployment_of(ctx: &Ctx, pod: &Object) -> Option<ObjectKey> {
    let rs = ctx.store.owner(&pod.meta.namespace, pod.meta.controller_ref()?)?;
    let d = ctx.store.owner(&rs.meta.namespace, rs.meta.controller_ref()?)?;
    (d.kind() == Kind::Deployment).then(|| ObjectKey::of(d))
}

/// upstream: GetResourceReplicas / GetRawResourceReplicas and groupPods.
fn resource_replicas(
    ctx: &Ctx,
    current: i32,
    pods: &[Arc<Object>],
    resource: &str,
    target: &hpa::MetricTarget,
) -> Result<(i32, hpa::MetricValueStatus), String> {
    let now = ctx.now;
    let scrape = ctx.load.last_scrape(now);
    let ready_count =
        pods.iter().filter(|p| matches!(&p.body, Body::Pod { status, .. } if status.is_ready())).count() as i64;
    let demand = |p: &Object| -> Option<(i64, i64)> {
        let d = deployment_of(ctx, p)?;
        let load = ctx.load.deployments.get(&d)?;
        let demand = if resource == "cpu" { load.cpu.as_ref() } else { load.memory.as_ref() }?;
        let overridden = pods
            .iter()
            .filter(|q| ctx.load.pods.contains_key(&ObjectKey::of(q)))
            .filter(|q| matches!(&q.body, Body::Pod { status, .. } if status.is_ready()))
            .count() as i64;
        Some((demand.at(scrape - load.since), (ready_count - overridden).max(0)))
    };
    let mut samples = Vec::new();
    for p in pods {
        let Body::Pod { status, .. } = &p.body else { continue };
        let usage = pod_usage(ctx, p, resource, scrape, &|| demand(p));
        let ignored = p.meta.deletion_timestamp.is_some() || status.phase == crate::api::pod::Phase::Failed;
        let mut unready = status.phase == crate::api::pod::Phase::Pending;
        if !ignored && !unready && usage.is_some() && resource == "cpu" {
            let ready_cond = status.condition(ConditionType::Ready);
            unready = match (ready_cond, status.start_time) {
                (None, _) | (_, None) => true,
                (Some(c), Some(start)) => {
                    if now < start + CPU_INITIALIZATION_PERIOD {
                        !c.status || scrape < c.last_transition + SCRAPE_INTERVAL
                    } else {
                        !c.status && start + INITIAL_READINESS_DELAY > c.last_transition
                    }
                }
            };
        }
        let (request, container_missing_request) = match requests(p, resource) {
            Ok(r) => (Some(r), None),
            Err(e) => (None, Some(e)),
        };
        samples.push(PodSample {
            usage,
            request,
            container_missing_request,
            ready: !ignored && !unready && usage.is_some(),
            ignored,
            unready,
        });
    }
    let ready: Vec<&PodSample> = samples.iter().filter(|s| s.ready).collect();
    if ready.is_empty() {
        return Err(format!(
            "unable to get metrics for resource {resource}: no metrics returned from resource metrics API"
        ));
    }
    let missing: Vec<&PodSample> = samples.iter().filter(|s| !s.ignored && !s.unready && s.usage.is_none()).collect();
    let unready_count = samples.iter().filter(|s| !s.ignored && s.unready).count();
    match (target.type_.as_str(), target.average_utilization) {
        ("Utilization", Some(target_util)) => {
            if let Some(e) = samples.iter().filter(|s| !s.ignored).find_map(|s| s.container_missing_request.clone()) {
                return Err(format!("failed to get {resource} utilization: {e}"));
            }
            let usage: i64 = ready.iter().map(|s| s.usage.unwrap_or(0)).sum();
            let request: i64 = ready.iter().map(|s| s.request.unwrap_or(0)).sum();
            if request == 0 {
                return Err(format!("failed to get {resource} utilization: no requests"));
            }
            let utilization = (usage * 100 / request) as i32;
            let ratio = utilization as f64 / target_util as f64;
            let raw_average = usage / ready.len() as i64;
            let status = hpa::MetricValueStatus {
                average_utilization: Some(utilization),
                average_value: Some(Quantity(milli_quantity(raw_average, resource))),
                value: None,
            };
            let scale_up_unready = unready_count > 0 && ratio > 1.0;
            if !scale_up_unready && missing.is_empty() {
                if within_tolerance(ratio) {
                    return Ok((current, status));
                }
                return Ok(((ratio * ready.len() as f64).ceil() as i32, status));
            }
            // upstream: fill in missing pods (0 when scaling up, max(100%, target) of request when
            // scaling down) and unready pods (0, only when scaling up), then recompute.
            let (mut u, mut r, mut n) = (usage, request, ready.len() as i64);
            for s in samples.iter().filter(|s| !s.ignored) {
                let req = s.request.unwrap_or(0);
                if s.usage.is_none() && !s.unready {
                    if ratio < 1.0 {
                        u += req * (target_util.max(100) as i64) / 100;
                    }
                    if ratio != 1.0 {
                        r += req;
                        n += 1;
                    }
                } else if s.unready && scale_up_unready {
                    r += req;
                    n += 1;
                }
            }
            let new_util = if r > 0 { (u * 100 / r) as i32 } else { 0 };
            let new_ratio = new_util as f64 / target_util as f64;
            if within_tolerance(new_ratio) || (ratio < 1.0 && new_ratio > 1.0) || (ratio > 1.0 && new_ratio < 1.0) {
                return Ok((current, status));
            }
            let replicas = (new_ratio * n as f64).ceil() as i32;
            if (new_ratio < 1.0 && replicas > current) || (new_ratio > 1.0 && replicas < current) {
                return Ok((current, status));
            }
            Ok((replicas, status))
        }
        ("AverageValue", _) => {
            let Some(target_value) = target.average_value.as_ref().and_then(|q| parse_milli(&q.0)) else {
                return Err("invalid AverageValue target".into());
            };
            let usage: i64 = ready.iter().map(|s| s.usage.unwrap_or(0)).sum();
            let average = usage / ready.len() as i64;
            let status = hpa::MetricValueStatus {
                average_utilization: None,
                average_value: Some(Quantity(milli_quantity(average, resource))),
                value: None,
            };
            let ratio = usage as f64 / (target_value as f64 * ready.len() as f64);
            if within_tolerance(ratio) {
                return Ok((current, status));
            }
            Ok(((usage as f64 / target_value as f64).ceil() as i32, status))
        }
        (t, _) => Err(format!("invalid resource metric target type {t:?}")),
    }
}

/// A milli-unit value as a Quantity string: CPU `250m`, memory in plain bytes.
fn milli_quantity(milli: i64, resource: &str) -> String {
    if resource == "cpu" {
        if milli % 1000 == 0 {
            (milli / 1000).to_string()
        } else {
            format!("{milli}m")
        }
    } else {
        (milli / 1000).to_string()
    }
}

fn set_condition(
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
    let mut st = (**status).clone();
    let event = |warning: bool, reason: &'static str, message: String| {
        Write::Event(EventRecord::about(h, COMPONENT, warning, reason, message))
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
        return finish(out, h, status, st);
    };
    let (current, selector) = match &target.body {
        Body::Deployment { spec, .. } => {
            (spec.replicas.unwrap_or(1), Selector::from_label_selector(Some(&spec.selector)))
        }
        Body::ReplicaSet { spec, .. } => {
            (spec.replicas.unwrap_or(1), Selector::from_label_selector(Some(&spec.selector)))
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
        let pods = match selector {
            Ok(sel) => ctx.store.list(Kind::Pod, Some(&h.meta.namespace), &sel),
            Err(_) => Vec::new(),
        };
        let mut proposals: Vec<(i32, String)> = Vec::new();
        let mut failures: Vec<(&'static str, String)> = Vec::new();
        for m in spec.metrics.iter().flatten() {
            let Some(r) = m.resource.as_ref().filter(|_| m.type_ == "Resource") else {
                failures.push((
                    "InvalidMetricSourceType",
                    format!("the HPA does not support metric source type {:?} in kubesim yet", m.type_),
                ));
                continue;
            };
            let name = if r.target.type_ == "Utilization" {
                format!("{} resource utilization (percentage of request)", r.name)
            } else {
                format!("{} resource", r.name)
            };
            match resource_replicas(ctx, current, &pods, &r.name, &r.target) {
                Ok((n, value)) => {
                    metrics_status.push(hpa::MetricStatus {
                        type_: "Resource".into(),
                        resource: Some(hpa::ResourceMetricStatus { name: r.name.clone(), current: value }),
                        ..Default::default()
                    });
                    proposals.push((n, name));
                }
                Err(e) => {
                    metrics_status.push(hpa::MetricStatus { type_: "".into(), ..Default::default() });
                    failures.push((
                        "FailedGetResourceMetric",
                        format!("failed to get {} resource metric value: {e}", r.name),
                    ));
                }
            }
        }
        metrics_status.retain(|m| !m.type_.is_empty());
        let best = proposals.iter().max_by_key(|(n, _)| *n).cloned();
        let blocked = match &best {
            None => true,
            Some((n, _)) => !failures.is_empty() && *n < current,
        };
        if blocked {
            if let Some((reason, msg)) = failures.first().cloned() {
                set_condition(
                    &mut st,
                    "ScalingActive",
                    false,
                    reason,
                    format!("the HPA was unable to compute the replica count: {msg}"),
                    now,
                );
                out.writes.push(event(true, reason, msg.clone()));
                let total = spec.metrics.as_ref().map(|m| m.len()).unwrap_or(0);
                out.writes.push(event(
                    true,
                    "FailedComputeMetricsReplicas",
                    format!("invalid metrics ({} invalid out of {total}), first error is: {msg}", failures.len()),
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
        out.writes.push(Write::Update(t));
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
        out.writes.push(Write::HpaMemory(key.clone(), memory));
    }
    finish(out, h, status, st)
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
        out.writes.push(Write::UpdateStatus(o));
    }
    out
}

/// upstream: normalizeDesiredReplicas (behavior nil): 5-minute max-stabilization, then the
/// scale-up limit max(2×current, 4) and min/max.
fn normalize_legacy(
    st: &mut hpa::HorizontalPodAutoscalerStatus,
    mem: &mut HpaMemory,
    current: i32,
    pre: i32,
    min: i32,
    max: i32,
    now: Millis,
) -> i32 {
    let cutoff = now - DOWNSCALE_STABILIZATION;
    let stabilized = mem.recommendations.iter().filter(|(_, t)| *t > cutoff).map(|(r, _)| *r).fold(pre, i32::max);
    match mem.recommendations.iter_mut().find(|(_, t)| *t <= cutoff) {
        Some(slot) => *slot = (pre, now),
        None => mem.recommendations.push((pre, now)),
    }
    if stabilized != pre {
        set_condition(
            st,
            "AbleToScale",
            true,
            "ScaleDownStabilized",
            "recent recommendations were higher than current one, applying the highest recent recommendation".into(),
            now,
        );
    } else {
        set_condition(st, "AbleToScale", true, "ReadyForNewScale", "recommended size matches current size".into(), now);
    }
    let scale_up_limit = (2 * current).max(4);
    let (upper, upper_reason) =
        if max > scale_up_limit { (scale_up_limit, "ScaleUpLimit") } else { (max, "TooManyReplicas") };
    let (result, reason) = if stabilized < min {
        (min, "TooFewReplicas")
    } else if stabilized > upper {
        (upper, upper_reason)
    } else {
        (stabilized, "DesiredWithinRange")
    };
    set_limited(st, result != stabilized, reason, now);
    result
}

fn set_limited(st: &mut hpa::HorizontalPodAutoscalerStatus, limited: bool, reason: &str, now: Millis) {
    let message = match reason {
        "TooManyReplicas" => "the desired replica count is more than the maximum replica count",
        "TooFewReplicas" => "the desired replica count is less than the minimum replica count",
        "ScaleUpLimit" => "the desired replica count is increasing faster than the maximum scale rate",
        "ScaleDownLimit" => "the desired replica count is decreasing faster than the maximum scale rate",
        _ => "the desired count is within the acceptable range",
    };
    set_condition(st, "ScalingLimited", limited, reason, message.into(), now);
}

/// upstream: normalizeDesiredReplicasWithBehaviors — stabilization windows, then rate policies.
#[allow(clippy::too_many_arguments)]
fn normalize_with_behavior(
    st: &mut hpa::HorizontalPodAutoscalerStatus,
    mem: &mut HpaMemory,
    b: &hpa::HorizontalPodAutoscalerBehavior,
    current: i32,
    desired: i32,
    min: i32,
    max: i32,
    now: Millis,
) -> i32 {
    let up = b.scale_up.as_ref();
    let down = b.scale_down.as_ref();
    let up_window = up.and_then(|r| r.stabilization_window_seconds).unwrap_or(0) as Millis * 1000;
    let down_window = down
        .and_then(|r| r.stabilization_window_seconds)
        .map(|s| s as Millis * 1000)
        .unwrap_or(DOWNSCALE_STABILIZATION);
    let up_rec =
        mem.recommendations.iter().filter(|(_, t)| *t > now - up_window).map(|(r, _)| *r).fold(desired, i32::min);
    let down_rec =
        mem.recommendations.iter().filter(|(_, t)| *t > now - down_window).map(|(r, _)| *r).fold(desired, i32::max);
    let mut stabilized = current;
    if stabilized < up_rec {
        stabilized = up_rec;
    }
    if stabilized > down_rec {
        stabilized = down_rec;
    }
    let oldest = now - up_window.max(down_window);
    match mem.recommendations.iter_mut().find(|(_, t)| *t <= oldest) {
        Some(slot) => *slot = (desired, now),
        None => mem.recommendations.push((desired, now)),
    }
    if stabilized != desired {
        if desired >= current {
            set_condition(
                st,
                "AbleToScale",
                true,
                "ScaleUpStabilized",
                "recent recommendations were lower than current one, applying the lowest recent recommendation".into(),
                now,
            );
        } else {
            set_condition(
                st,
                "AbleToScale",
                true,
                "ScaleDownStabilized",
                "recent recommendations were higher than current one, applying the highest recent recommendation"
                    .into(),
                now,
            );
        }
    } else {
        set_condition(st, "AbleToScale", true, "ReadyForNewScale", "recommended size matches current size".into(), now);
    }
    let period_start = |period: Millis| {
        let ups: i32 = mem.up_events.iter().filter(|(_, t)| *t > now - period).map(|(c, _)| *c).sum();
        let downs: i32 = mem.down_events.iter().filter(|(_, t)| *t > now - period).map(|(c, _)| *c).sum();
        current - ups + downs
    };
    // upstream: calculateScaleUpLimitWithScalingRules / calculateScaleDownLimitWithBehaviors —
    // each policy proposes a bound from the replicas at the start of its period; `Max` takes the
    // biggest change, `Min` the smallest, `Disabled` none.
    let limit_for = |rules: Option<&hpa::HPAScalingRules>, up: bool| -> i32 {
        let policies = rules.and_then(|r| r.policies.clone()).unwrap_or_default();
        let proposals: Vec<i32> = policies
            .iter()
            .map(|p| {
                let start = period_start(p.period_seconds as Millis * 1000);
                let v = p.value;
                match (p.type_ == "Pods", up) {
                    (true, true) => start + v,
                    (true, false) => start - v,
                    (false, true) => (start as f64 * (1.0 + v as f64 / 100.0)).ceil() as i32,
                    (false, false) => (start as f64 * (1.0 - v as f64 / 100.0)) as i32,
                }
            })
            .collect();
        let (biggest, smallest) = if up {
            (proposals.iter().copied().max(), proposals.iter().copied().min())
        } else {
            (proposals.iter().copied().min(), proposals.iter().copied().max())
        };
        match rules.and_then(|r| r.select_policy.as_deref()).unwrap_or("Max") {
            "Disabled" => current,
            "Min" => smallest.unwrap_or(current),
            _ => biggest.unwrap_or(current),
        }
    };
    let (result, reason) = if stabilized > current {
        let limit = limit_for(up, true).max(current);
        let (upper, why) = if limit < max { (limit, "ScaleUpLimit") } else { (max, "TooManyReplicas") };
        if stabilized > upper {
            (upper, why)
        } else {
            (stabilized, "DesiredWithinRange")
        }
    } else if stabilized < current {
        let limit = limit_for(down, false).min(current);
        let (lower, why) = if limit > min { (limit, "ScaleDownLimit") } else { (min, "TooFewReplicas") };
        if stabilized < lower {
            (lower, why)
        } else {
            (stabilized, "DesiredWithinRange")
        }
    } else {
        (stabilized.clamp(min, max), "DesiredWithinRange")
    };
    set_limited(st, result != stabilized, reason, now);
    result
}
