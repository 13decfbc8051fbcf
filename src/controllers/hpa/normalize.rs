//! Normalization of the metrics' proposal: stabilization windows, then scale limits — the
//! legacy path (behavior nil) and `behavior` policies. `controllers.md` §3.5.

use k8s_openapi::api::autoscaling::v2 as hpa;

use super::{set_condition, HpaMemory, DOWNSCALE_STABILIZATION};
use crate::sim::clock::Millis;

/// upstream: normalizeDesiredReplicas (behavior nil): 5-minute max-stabilization, then the
/// scale-up limit max(2×current, 4) and min/max.
pub(super) fn normalize_legacy(
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
pub(super) fn normalize_with_behavior(
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
        let sum = |events: &[(i32, Millis)]| {
            events.iter().filter(|(_, t)| *t > now - period).fold(0i32, |a, (c, _)| a.saturating_add(*c))
        };
        current.saturating_sub(sum(&mem.up_events)).saturating_add(sum(&mem.down_events))
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

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::*;

    const NOW: Millis = 10_000_000;

    fn reasons(st: &hpa::HorizontalPodAutoscalerStatus) -> (String, String) {
        let reason = |t: &str| {
            st.conditions.iter().flatten().find(|c| c.type_ == t).and_then(|c| c.reason.clone()).unwrap_or_default()
        };
        (reason("AbleToScale"), reason("ScalingLimited"))
    }

    fn policy(kind: &str, value: i32, period: i32) -> Value {
        json!({"type": kind, "value": value, "periodSeconds": period})
    }

    /// Behavior with the given scale-up and scale-down rules (no stabilization unless given).
    fn behavior(up: Value, down: Value) -> hpa::HorizontalPodAutoscalerBehavior {
        let defaults = |r: Value, window: i64| {
            let mut r = r;
            let o = r.as_object_mut().unwrap();
            o.entry("stabilizationWindowSeconds").or_insert(json!(window));
            o.entry("selectPolicy").or_insert(json!("Max"));
            o.entry("policies").or_insert(json!([policy("Percent", 100, 15)]));
            r
        };
        serde_json::from_value(json!({"scaleUp": defaults(up, 0), "scaleDown": defaults(down, 0)})).unwrap()
    }

    fn ago(seconds: i64) -> Millis {
        NOW - seconds * 1000
    }

    struct Row {
        name: &'static str,
        behavior: hpa::HorizontalPodAutoscalerBehavior,
        current: i32,
        desired: i32,
        min: i32,
        max: i32,
        memory: HpaMemory,
        expected: i32,
        able: &'static str,
        limited: &'static str,
    }

    #[test]
    fn behavior_policies_limit_and_stabilize() {
        let up =
            |policies: Value, select: &str| behavior(json!({"policies": policies, "selectPolicy": select}), json!({}));
        let down =
            |policies: Value, select: &str| behavior(json!({}), json!({"policies": policies, "selectPolicy": select}));
        let none = HpaMemory::default();
        let ups = |events: Vec<(i32, Millis)>| HpaMemory { up_events: events, ..Default::default() };
        let downs = |events: Vec<(i32, Millis)>| HpaMemory { down_events: events, ..Default::default() };
        let recs = |r: Vec<(i32, Millis)>| HpaMemory { recommendations: r, ..Default::default() };
        let (pods4, pct100) = (policy("Pods", 4, 60), policy("Percent", 100, 60));
        let (pods3, pct50) = (policy("Pods", 3, 60), policy("Percent", 50, 60));
        #[rustfmt::skip]
        let rows = vec![
            Row { name: "a Pods policy adds at most its value", behavior: up(json!([pods4]), "Max"), current: 5, desired: 20, min: 1, max: 100, memory: none.clone(), expected: 9, able: "ReadyForNewScale", limited: "ScaleUpLimit" },
            Row { name: "a Percent policy multiplies (rounding up)", behavior: up(json!([policy("Percent", 50, 60)]), "Max"), current: 5, desired: 20, min: 1, max: 100, memory: none.clone(), expected: 8, able: "ReadyForNewScale", limited: "ScaleUpLimit" },
            Row { name: "Max takes the larger rise", behavior: up(json!([pods4, pct100]), "Max"), current: 5, desired: 20, min: 1, max: 100, memory: none.clone(), expected: 10, able: "ReadyForNewScale", limited: "ScaleUpLimit" },
            Row { name: "Min takes the smaller rise", behavior: up(json!([pods4, pct100]), "Min"), current: 5, desired: 20, min: 1, max: 100, memory: none.clone(), expected: 9, able: "ReadyForNewScale", limited: "ScaleUpLimit" },
            Row { name: "Disabled never scales up", behavior: up(json!([pods4, pct100]), "Disabled"), current: 5, desired: 20, min: 1, max: 100, memory: none.clone(), expected: 5, able: "ReadyForNewScale", limited: "ScaleUpLimit" },
            Row { name: "scale-ups within the period use up the budget", behavior: up(json!([pods4]), "Max"), current: 10, desired: 20, min: 1, max: 100, memory: ups(vec![(5, ago(30))]), expected: 10, able: "ReadyForNewScale", limited: "ScaleUpLimit" },
            Row { name: "scale-ups older than the period do not count", behavior: up(json!([pods4]), "Max"), current: 10, desired: 20, min: 1, max: 100, memory: ups(vec![(5, ago(60))]), expected: 14, able: "ReadyForNewScale", limited: "ScaleUpLimit" },
            Row { name: "maxReplicas below the rate limit", behavior: up(json!([policy("Percent", 900, 15)]), "Max"), current: 5, desired: 20, min: 1, max: 12, memory: none.clone(), expected: 12, able: "ReadyForNewScale", limited: "TooManyReplicas" },
            Row { name: "within the rate", behavior: up(json!([pods4]), "Max"), current: 5, desired: 8, min: 1, max: 100, memory: none.clone(), expected: 8, able: "ReadyForNewScale", limited: "DesiredWithinRange" },
            Row { name: "a Percent policy removes a share (rounding down)", behavior: down(json!([pct50]), "Max"), current: 9, desired: 1, min: 1, max: 100, memory: none.clone(), expected: 4, able: "ReadyForNewScale", limited: "ScaleDownLimit" },
            Row { name: "a Pods policy removes at most its value", behavior: down(json!([pods3]), "Max"), current: 10, desired: 1, min: 1, max: 100, memory: none.clone(), expected: 7, able: "ReadyForNewScale", limited: "ScaleDownLimit" },
            Row { name: "Max takes the larger fall", behavior: down(json!([pods3, pct50]), "Max"), current: 10, desired: 1, min: 1, max: 100, memory: none.clone(), expected: 5, able: "ReadyForNewScale", limited: "ScaleDownLimit" },
            Row { name: "Min takes the smaller fall", behavior: down(json!([pods3, pct50]), "Min"), current: 10, desired: 1, min: 1, max: 100, memory: none.clone(), expected: 7, able: "ReadyForNewScale", limited: "ScaleDownLimit" },
            Row { name: "Disabled never scales down", behavior: down(json!([pods3]), "Disabled"), current: 10, desired: 1, min: 1, max: 100, memory: none.clone(), expected: 10, able: "ReadyForNewScale", limited: "ScaleDownLimit" },
            Row { name: "scale-downs within the period use up the budget", behavior: down(json!([pods3]), "Max"), current: 7, desired: 1, min: 1, max: 100, memory: downs(vec![(3, ago(30))]), expected: 7, able: "ReadyForNewScale", limited: "ScaleDownLimit" },
            Row { name: "minReplicas above the rate limit", behavior: down(json!([policy("Percent", 100, 15)]), "Max"), current: 10, desired: 1, min: 4, max: 100, memory: none.clone(), expected: 4, able: "ReadyForNewScale", limited: "TooFewReplicas" },
            Row { name: "up window: every recent recommendation must be higher", behavior: behavior(json!({"stabilizationWindowSeconds": 60}), json!({})), current: 3, desired: 8, min: 1, max: 100, memory: recs(vec![(3, ago(30)), (9, ago(20))]), expected: 3, able: "ScaleUpStabilized", limited: "DesiredWithinRange" },
            Row { name: "up window: the lowest recent recommendation applies", behavior: behavior(json!({"stabilizationWindowSeconds": 60}), json!({})), current: 3, desired: 8, min: 1, max: 100, memory: recs(vec![(5, ago(30)), (3, ago(61))]), expected: 5, able: "ScaleUpStabilized", limited: "DesiredWithinRange" },
            Row { name: "down window: the highest recent recommendation applies", behavior: behavior(json!({}), json!({"stabilizationWindowSeconds": 300})), current: 10, desired: 2, min: 1, max: 100, memory: recs(vec![(6, ago(100)), (10, ago(301))]), expected: 6, able: "ScaleDownStabilized", limited: "DesiredWithinRange" },
            Row { name: "down window 0: no stabilization", behavior: behavior(json!({}), json!({"stabilizationWindowSeconds": 0})), current: 10, desired: 2, min: 1, max: 100, memory: recs(vec![(10, ago(1))]), expected: 2, able: "ReadyForNewScale", limited: "DesiredWithinRange" },
        ];
        for row in rows {
            let mut st = hpa::HorizontalPodAutoscalerStatus::default();
            let mut mem = row.memory.clone();
            let got = normalize_with_behavior(
                &mut st,
                &mut mem,
                &row.behavior,
                row.current,
                row.desired,
                row.min,
                row.max,
                NOW,
            );
            assert_eq!(got, row.expected, "{}", row.name);
            assert_eq!(reasons(&st), (row.able.to_string(), row.limited.to_string()), "{}", row.name);
            assert!(
                mem.recommendations.contains(&(row.desired, NOW)),
                "{}: the unstabilized value is recorded",
                row.name
            );
        }
    }

    #[test]
    fn an_unset_scale_down_window_is_the_five_minute_flag() {
        let b: hpa::HorizontalPodAutoscalerBehavior = serde_json::from_value(json!({
            "scaleUp": {"stabilizationWindowSeconds": 0, "selectPolicy": "Max", "policies": [policy("Percent", 100, 15)]},
            "scaleDown": {"selectPolicy": "Max", "policies": [policy("Percent", 100, 15)]},
        }))
        .unwrap();
        for (age, expected) in [(299, 10), (300, 2)] {
            let mut mem = HpaMemory { recommendations: vec![(10, ago(age))], ..Default::default() };
            let got = normalize_with_behavior(&mut Default::default(), &mut mem, &b, 10, 2, 1, 100, NOW);
            assert_eq!(got, expected, "recommendation {age} s old");
        }
    }

    /// name, current, proposal, min, max, memory, expected, AbleToScale, ScalingLimited
    type LegacyRow = (&'static str, i32, i32, i32, i32, HpaMemory, i32, &'static str, &'static str);

    #[test]
    fn legacy_normalization_table() {
        let recs = |r: Vec<(i32, Millis)>| HpaMemory { recommendations: r, ..Default::default() };
        #[rustfmt::skip]
        let rows: Vec<LegacyRow> = vec![
            ("scale-up limit is twice the current count", 3, 20, 1, 100, recs(vec![]), 6, "ReadyForNewScale", "ScaleUpLimit"),
            ("scale-up limit is at least 4", 1, 20, 1, 100, recs(vec![]), 4, "ReadyForNewScale", "ScaleUpLimit"),
            ("maxReplicas below the scale-up limit", 3, 20, 1, 5, recs(vec![]), 5, "ReadyForNewScale", "TooManyReplicas"),
            ("minReplicas", 3, 1, 2, 10, recs(vec![]), 2, "ReadyForNewScale", "TooFewReplicas"),
            ("5-minute downscale stabilization holds", 10, 3, 1, 100, recs(vec![(10, ago(299))]), 10, "ScaleDownStabilized", "DesiredWithinRange"),
            ("a recommendation exactly 5 minutes old has expired", 10, 3, 1, 100, recs(vec![(10, ago(300))]), 3, "ReadyForNewScale", "DesiredWithinRange"),
            ("the window's maximum can lift a scale-up", 5, 6, 1, 100, recs(vec![(8, ago(60))]), 8, "ScaleDownStabilized", "DesiredWithinRange"),
        ];
        for (name, current, pre, min, max, memory, expected, able, limited) in rows {
            let mut st = hpa::HorizontalPodAutoscalerStatus::default();
            let mut mem = memory;
            let got = normalize_legacy(&mut st, &mut mem, current, pre, min, max, NOW);
            assert_eq!(got, expected, "{name}");
            assert_eq!(reasons(&st), (able.to_string(), limited.to_string()), "{name}");
        }
        // The expired slot is reused for the new recommendation.
        let mut mem = recs(vec![(10, ago(300)), (7, ago(10))]);
        normalize_legacy(&mut Default::default(), &mut mem, 10, 3, 1, 100, NOW);
        assert_eq!(mem.recommendations, vec![(3, NOW), (7, ago(10))]);
    }
}
