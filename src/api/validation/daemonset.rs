//! apps/v1 DaemonSet and ControllerRevision (upstream: ValidateDaemonSet, ValidateDaemonSetSpec,
//! ValidateDaemonSetUpdateStrategy, ValidateRollingUpdateDaemonSet, ValidateControllerRevision).

use k8s_openapi::api::apps::v1::{ControllerRevision, DaemonSet, DaemonSetSpec, DaemonSetUpdateStrategy};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::apps::{int_or_percent_value, percent_value, validate_positive_int_or_percent, validate_workload_template};
use super::go_fmt::go_int_or_string;
use super::meta::{validate_object_meta, NameRule};
use super::nonnegative;
use super::selector::validate_workload_selector;
use crate::api::field::{ErrorList, FieldError, Path, Value};

/// upstream: IsNotMoreThan100Percent
fn not_more_than_100_percent(v: &IntOrString, path: &Path) -> Option<FieldError> {
    percent_value(v)
        .filter(|&p| p > 100)
        .map(|_| FieldError::invalid(path.clone(), Value::Raw(go_int_or_string(v)), "must not be greater than 100%"))
}

/// upstream: ValidateDaemonSetUpdateStrategy and ValidateRollingUpdateDaemonSet.
fn validate_update_strategy(s: Option<&DaemonSetUpdateStrategy>, path: &Path) -> ErrorList {
    let mut errs = ErrorList::new();
    let t = s.and_then(|s| s.type_.as_deref()).unwrap_or("");
    match t {
        "OnDelete" => {}
        "RollingUpdate" => match s.and_then(|s| s.rolling_update.as_ref()) {
            None => errs.push(FieldError::required(path.child("rollingUpdate"), "")),
            Some(ru) => {
                let p = path.child("rollingUpdate");
                let zero = IntOrString::Int(0);
                let mu = ru.max_unavailable.as_ref().unwrap_or(&zero);
                let ms = ru.max_surge.as_ref().unwrap_or(&zero);
                errs.extend(validate_positive_int_or_percent(mu, &p.child("maxUnavailable")));
                errs.extend(validate_positive_int_or_percent(ms, &p.child("maxSurge")));
                errs.extend(not_more_than_100_percent(mu, &p.child("maxUnavailable")));
                errs.extend(not_more_than_100_percent(ms, &p.child("maxSurge")));
                // Exactly one of the two is non-zero.
                match (int_or_percent_value(mu) != 0, int_or_percent_value(ms) != 0) {
                    (true, true) => errs.push(FieldError::invalid(
                        p.child("maxSurge"),
                        Value::Raw(go_int_or_string(ms)),
                        "may not be set when maxUnavailable is non-zero",
                    )),
                    (false, false) => {
                        errs.push(FieldError::required(p.child("maxUnavailable"), "cannot be 0 when maxSurge is 0"))
                    }
                    _ => {}
                }
            }
        },
        other => {
            // upstream: the whole strategy is the value, as Go's %#v prints it.
            let ru = if s.is_some_and(|s| s.rolling_update.is_some()) { "0xc000000000" } else { "nil" };
            let v = format!(
                "apps.DaemonSetUpdateStrategy{{Type:{}, RollingUpdate:(*apps.RollingUpdateDaemonSet)({ru})}}",
                super::go_fmt::go_quote(other)
            );
            errs.push(FieldError::not_supported(path.clone(), Value::Raw(v), &["RollingUpdate", "OnDelete"]))
        }
    }
    errs
}

/// upstream: ValidateDaemonSet (create).
pub fn validate_daemon_set(ds: &DaemonSet) -> ErrorList {
    let mut errs = validate_object_meta(&ds.metadata, true, NameRule::Subdomain, &Path::root("metadata"));
    let default_spec = DaemonSetSpec::default();
    let spec = ds.spec.as_ref().unwrap_or(&default_spec);
    let p = Path::root("spec");
    let t = &spec.template;
    let selector = validate_workload_selector(&spec.selector, &p, "daemonset", &mut errs);
    errs.extend(validate_workload_template(t, selector.as_ref(), &p.child("template"), "DaemonSet"));
    errs.extend(nonnegative(i64::from(spec.min_ready_seconds.unwrap_or(0)), p.child("minReadySeconds")));
    errs.extend(validate_update_strategy(spec.update_strategy.as_ref(), &p.child("updateStrategy")));
    if let Some(limit) = spec.revision_history_limit {
        errs.extend(nonnegative(i64::from(limit), p.child("revisionHistoryLimit")));
    }
    errs
}

/// upstream: ValidateControllerRevision — a valid name and namespace, data present, a
/// non-negative revision.
pub fn validate_controller_revision(cr: &ControllerRevision) -> ErrorList {
    let mut errs = validate_object_meta(&cr.metadata, true, NameRule::Subdomain, &Path::root("metadata"));
    if cr.data.is_none() {
        errs.push(FieldError::required(Path::root("data"), "data is mandatory"));
    }
    errs.extend(nonnegative(cr.revision, Path::root("revision")));
    errs
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::defaults::default_daemon_set;
    use serde_json::json;

    fn errors(patch: impl Fn(&mut serde_json::Value)) -> Vec<String> {
        let mut v = json!({
            "metadata": {"name": "agent", "namespace": "default"},
            "spec": {"selector": {"matchLabels": {"app": "agent"}},
                "template": {"metadata": {"labels": {"app": "agent"}}, "spec": {"containers": [{"name": "a", "image": "agent:1"}]}}}
        });
        patch(&mut v);
        let mut ds: DaemonSet = serde_json::from_value(v).expect("daemon set");
        default_daemon_set(&mut ds);
        validate_daemon_set(&ds).iter().map(ToString::to_string).collect()
    }

    #[test]
    fn daemon_set_errors_name_their_field() {
        let ru = |v: serde_json::Value| move |d: &mut serde_json::Value| d["spec"]["updateStrategy"] = v.clone();
        type Patch = Box<dyn Fn(&mut serde_json::Value)>;
        let rows: Vec<(Patch, Vec<&str>)> = vec![
            (Box::new(|_| {}), vec![]),
            (
                Box::new(ru(json!({"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 0}}))),
                vec!["spec.updateStrategy.rollingUpdate.maxUnavailable: Required value: cannot be 0 when maxSurge is 0"],
            ),
            (
                Box::new(ru(json!({"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1, "maxSurge": "10%"}}))),
                vec!["spec.updateStrategy.rollingUpdate.maxSurge: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:\"10%\"}: may not be set when maxUnavailable is non-zero"],
            ),
            (
                Box::new(ru(json!({"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "120%"}}))),
                vec!["spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:\"120%\"}: must not be greater than 100%"],
            ),
            (
                Box::new(ru(json!({"type": "Sometimes"}))),
                vec!["spec.updateStrategy: Unsupported value: apps.DaemonSetUpdateStrategy{Type:\"Sometimes\", RollingUpdate:(*apps.RollingUpdateDaemonSet)(nil)}: supported values: \"RollingUpdate\", \"OnDelete\""],
            ),
            (
                Box::new(|d| d["spec"]["template"]["spec"]["restartPolicy"] = json!("OnFailure")),
                vec!["spec.template.spec.restartPolicy: Unsupported value: \"OnFailure\": supported values: \"Always\""],
            ),
            (
                Box::new(|d| d["spec"]["template"]["metadata"]["labels"] = json!({"app": "other"})),
                vec!["spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"other\"}: `selector` does not match template `labels`"],
            ),
            (
                Box::new(|d| d["spec"]["selector"] = json!({"matchLabels": {}})),
                vec!["spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for daemonset"],
            ),
            (
                Box::new(|d| d["spec"]["revisionHistoryLimit"] = json!(-1)),
                vec!["spec.revisionHistoryLimit: Invalid value: -1: must be greater than or equal to 0"],
            ),
        ];
        for (patch, want) in rows {
            assert_eq!(errors(patch), want);
        }
    }
}
