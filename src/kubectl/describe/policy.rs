//! `kubectl describe poddisruptionbudget` (upstream describePodDisruptionBudgetV1): the budget,
//! its selector and status counts, then the events about it — no labels or annotations.

use std::sync::Arc;

use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::{events_table, tabwrite_padded};
use crate::api::{Body, Object};
use crate::labels::Selector;
use crate::sim::clock::Millis;

/// upstream: IntOrString.String().
pub fn int_or_string(v: &IntOrString) -> String {
    match v {
        IntOrString::Int(i) => i.to_string(),
        IntOrString::String(s) => s.clone(),
    }
}

pub fn describe_pod_disruption_budget(obj: &Object, events: &[Arc<Object>], now: Millis) -> String {
    let Body::PodDisruptionBudget(pdb) = &obj.body else { return String::new() };
    let spec = pdb.spec.clone().unwrap_or_default();
    let status = pdb.status.clone().unwrap_or_default();
    let mut o = format!("Name:\t{}\nNamespace:\t{}\n", obj.meta.name, obj.meta.namespace);
    if let Some(v) = &spec.min_available {
        o.push_str(&format!("Min available:\t{}\n", int_or_string(v)));
    } else if let Some(v) = &spec.max_unavailable {
        o.push_str(&format!("Max unavailable:\t{}\n", int_or_string(v)));
    }
    // upstream: the selector's String(); a nil selector (Nothing) and `{}` (Everything) print
    // as an empty string.
    let selector = match Selector::from_label_selector(spec.selector.as_ref()) {
        Ok(Selector::Nothing) => String::new(),
        Ok(s) => s.to_string(),
        Err(_) => "<unset>".into(),
    };
    o.push_str(&format!("Selector:\t{selector}\n"));
    o.push_str("Status:\n");
    o.push_str(&format!("    Allowed disruptions:\t{}\n", status.disruptions_allowed));
    o.push_str(&format!("    Current:\t{}\n", status.current_healthy));
    o.push_str(&format!("    Desired:\t{}\n", status.desired_healthy));
    o.push_str(&format!("    Total:\t{}\n", status.expected_pods));
    o.push_str(&events_table(events, now));
    tabwrite_padded(&o, 2)
}
