//! apps/v1: Deployment and ReplicaSet — replicas, the pod template, the rollout strategy.

use k8s_openapi::api::apps::v1::{
    Deployment, DeploymentSpec, DeploymentStrategy, ReplicaSet, ReplicaSetSpec, RollingUpdateDeployment,
};
use k8s_openapi::api::core::v1::{PodSpec, PodTemplateSpec};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::go_fmt::{go_int_or_string, go_quote, go_string_map, regex_error};
use super::meta::{validate_annotations, validate_labels, validate_object_meta, NameRule};
use super::nonnegative;
use super::pod::{validate_pod_annotations, validate_pod_spec};
use super::selector::{validate_workload_selector, WorkloadSelector};
use crate::api::field::{ErrorList, FieldError, Path, Value};

/// upstream: ValidatePodTemplateSpecForReplicaSet (Deployments, ReplicaSets) and the same rules
/// in ValidateDaemonSetSpec and ValidateStatefulSetSpec: the template's labels match the
/// selector (when it converted), ValidatePodTemplateSpec, restartPolicy Always, and no
/// activeDeadlineSeconds (`kind` names the workload in that message).
pub(super) fn validate_workload_template(
    t: &PodTemplateSpec,
    selector: Option<&WorkloadSelector<'_>>,
    path: &Path,
    kind: &str,
) -> ErrorList {
    let mut errs = ErrorList::new();
    let labels = t.metadata.as_ref().and_then(|m| m.labels.as_ref());
    let annotations = t.metadata.as_ref().and_then(|m| m.annotations.as_ref());
    if selector.is_some_and(|s| !matches!(s, WorkloadSelector::Everything) && !s.matches(labels)) {
        errs.push(FieldError::invalid(
            path.child("metadata").child("labels"),
            Value::Raw(go_string_map(labels)),
            "`selector` does not match template `labels`",
        ));
    }
    // upstream: ValidatePodTemplateSpec — note `template.labels`, not `template.metadata.labels`.
    errs.extend(validate_labels(labels, &path.child("labels")));
    errs.extend(validate_annotations(annotations, &path.child("annotations")));
    errs.extend(validate_pod_annotations(annotations, &path.child("annotations")));
    let default_spec = PodSpec::default();
    let spec = t.spec.as_ref().unwrap_or(&default_spec);
    let spec_path = path.child("spec");
    errs.extend(validate_pod_spec(spec, &spec_path));
    if spec.ephemeral_containers.as_ref().is_some_and(|e| !e.is_empty()) {
        errs.push(FieldError::forbidden(
            spec_path.child("ephemeralContainers"),
            "ephemeral containers not allowed in pod template",
        ));
    }
    let restart = spec.restart_policy.as_deref().unwrap_or("");
    if restart != "Always" {
        errs.push(FieldError::not_supported(spec_path.child("restartPolicy"), restart, &["Always"]));
    }
    if spec.active_deadline_seconds.is_some() {
        errs.push(FieldError::forbidden(
            spec_path.child("activeDeadlineSeconds"),
            format!("activeDeadlineSeconds in {kind} is not Supported"),
        ));
    }
    errs
}

/// upstream: validation.IsValidPercent.
fn percent_errors(s: &str) -> Vec<String> {
    let ok = s.strip_suffix('%').is_some_and(|d| !d.is_empty() && d.bytes().all(|c| c.is_ascii_digit()));
    if ok {
        vec![]
    } else {
        vec![regex_error(
            "a valid percent string must be a numeric string followed by an ending '%'",
            "[0-9]+%",
            &["1%", "93%"],
        )]
    }
}

/// upstream: getPercentValue.
pub(super) fn percent_value(v: &IntOrString) -> Option<i64> {
    match v {
        IntOrString::String(s) if percent_errors(s).is_empty() => {
            Some(s.trim_end_matches('%').parse().unwrap_or(i64::MAX))
        }
        _ => None,
    }
}

/// upstream: getIntOrPercentValue (a non-percent string goes through Atoi, failing to 0).
pub(super) fn int_or_percent_value(v: &IntOrString) -> i64 {
    percent_value(v).unwrap_or(match v {
        IntOrString::Int(i) => *i as i64,
        IntOrString::String(s) => s.parse().unwrap_or(0),
    })
}

/// upstream: ValidatePositiveIntOrPercent.
pub(super) fn validate_positive_int_or_percent(v: &IntOrString, path: &Path) -> ErrorList {
    match v {
        IntOrString::String(s) => percent_errors(s)
            .into_iter()
            .map(|m| FieldError::invalid(path.clone(), Value::Raw(go_int_or_string(v)), m))
            .collect(),
        IntOrString::Int(i) => nonnegative(*i as i64, path.clone()).into_iter().collect(),
    }
}

/// upstream: ValidateRollingUpdateDeployment. A missing field is Go's zero value, `0`.
fn validate_rolling_update(ru: &RollingUpdateDeployment, path: &Path) -> ErrorList {
    let zero = IntOrString::Int(0);
    let max_unavailable = ru.max_unavailable.as_ref().unwrap_or(&zero);
    let max_surge = ru.max_surge.as_ref().unwrap_or(&zero);
    let mu_path = path.child("maxUnavailable");
    let mut errs = validate_positive_int_or_percent(max_unavailable, &mu_path);
    errs.extend(validate_positive_int_or_percent(max_surge, &path.child("maxSurge")));
    if int_or_percent_value(max_unavailable) == 0 && int_or_percent_value(max_surge) == 0 {
        errs.push(FieldError::invalid(
            mu_path.clone(),
            Value::Raw(go_int_or_string(max_unavailable)),
            "may not be 0 when `maxSurge` is 0",
        ));
    }
    if percent_value(max_unavailable).is_some_and(|p| p > 100) {
        errs.push(FieldError::invalid(
            mu_path,
            Value::Raw(go_int_or_string(max_unavailable)),
            "must not be greater than 100%",
        ));
    }
    errs
}

/// The internal `apps.DeploymentStrategy` as `%#v` prints it.
fn go_deployment_strategy(s: Option<&DeploymentStrategy>) -> String {
    let t = s.and_then(|s| s.type_.as_deref()).unwrap_or("");
    // unconfirmed upstream wording: Go prints the pointer's address, which is arbitrary
    let ru = if s.is_some_and(|s| s.rolling_update.is_some()) { "0xc000000000" } else { "nil" };
    format!("apps.DeploymentStrategy{{Type:{}, RollingUpdate:(*apps.RollingUpdateDeployment)({ru})}}", go_quote(t))
}

/// upstream: ValidateDeploymentStrategy.
fn validate_deployment_strategy(s: Option<&DeploymentStrategy>, path: &Path) -> ErrorList {
    let rolling_update = s.and_then(|s| s.rolling_update.as_ref());
    match s.and_then(|s| s.type_.as_deref()).unwrap_or("") {
        "Recreate" => match rolling_update {
            Some(_) => vec![FieldError::forbidden(
                path.child("rollingUpdate"),
                "may not be specified when strategy `type` is 'Recreate'",
            )],
            None => vec![],
        },
        "RollingUpdate" => match rolling_update {
            None => {
                vec![FieldError::required(path.child("rollingUpdate"), "this should be defaulted and never be nil")]
            }
            Some(ru) => validate_rolling_update(ru, &path.child("rollingUpdate")),
        },
        _ => vec![FieldError::not_supported(
            path.clone(),
            Value::Raw(go_deployment_strategy(s)),
            &["Recreate", "RollingUpdate"],
        )],
    }
}

/// upstream: ValidateDeployment (create).
pub fn validate_deployment(d: &Deployment) -> ErrorList {
    let mut errs = validate_object_meta(&d.metadata, true, NameRule::Subdomain, &Path::root("metadata"));
    let default_spec = DeploymentSpec::default();
    let spec = d.spec.as_ref().unwrap_or(&default_spec);
    let p = Path::root("spec");
    errs.extend(nonnegative(spec.replicas.unwrap_or(0) as i64, p.child("replicas")));
    if let Some(selector) = validate_workload_selector(&spec.selector, &p, "deployment", &mut errs) {
        errs.extend(validate_workload_template(&spec.template, Some(&selector), &p.child("template"), "ReplicaSet"));
    }
    errs.extend(validate_deployment_strategy(spec.strategy.as_ref(), &p.child("strategy")));
    let min_ready = spec.min_ready_seconds.unwrap_or(0);
    errs.extend(nonnegative(min_ready as i64, p.child("minReadySeconds")));
    if let Some(limit) = spec.revision_history_limit {
        errs.extend(nonnegative(limit as i64, p.child("revisionHistoryLimit")));
    }
    if let Some(deadline) = spec.progress_deadline_seconds {
        errs.extend(nonnegative(deadline as i64, p.child("progressDeadlineSeconds")));
        if deadline <= min_ready {
            errs.push(FieldError::invalid(
                p.child("progressDeadlineSeconds"),
                deadline,
                "must be greater than minReadySeconds",
            ));
        }
    }
    errs
}

/// upstream: ValidateReplicaSet (create).
pub fn validate_replica_set(rs: &ReplicaSet) -> ErrorList {
    let mut errs = validate_object_meta(&rs.metadata, true, NameRule::Subdomain, &Path::root("metadata"));
    let default_spec = ReplicaSetSpec::default();
    let spec = rs.spec.as_ref().unwrap_or(&default_spec);
    let p = Path::root("spec");
    errs.extend(nonnegative(spec.replicas.unwrap_or(0) as i64, p.child("replicas")));
    errs.extend(nonnegative(spec.min_ready_seconds.unwrap_or(0) as i64, p.child("minReadySeconds")));
    if let Some(selector) = validate_workload_selector(&spec.selector, &p, "deployment", &mut errs) {
        let default_template = PodTemplateSpec::default();
        let template = spec.template.as_ref().unwrap_or(&default_template);
        errs.extend(validate_workload_template(template, Some(&selector), &p.child("template"), "ReplicaSet"));
    }
    errs
}

#[cfg(test)]
mod tests {
    use crate::api::validation::test_support::*;
    use serde_json::{json, Value as Json};

    #[test]
    fn replicas_must_not_be_negative() {
        assert_eq!(
            deployment_errors(set(nginx(), "/spec/replicas", json!(-1))),
            vec!["spec.replicas: Invalid value: -1: must be greater than or equal to 0"]
        );
    }

    #[test]
    fn template_restart_policy_must_be_always() {
        let errs = deployment_errors(set(nginx(), "/spec/template/spec/restartPolicy", json!("Never")));
        assert_eq!(
            errs,
            vec!["spec.template.spec.restartPolicy: Unsupported value: \"Never\": supported values: \"Always\""]
        );
    }

    #[test]
    fn template_errors_carry_the_template_path() {
        let errs = deployment_errors(set(nginx(), "/spec/template/spec/containers/0/image", Json::Null));
        assert_eq!(errs, vec!["spec.template.spec.containers[0].image: Required value"]);
        // upstream checks template labels at `template.labels`
        let v = set(nginx(), "/spec/template/metadata/labels/bad key", json!("x"));
        assert_has(&deployment_errors(v), "spec.template.labels: Invalid value: \"bad key\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')");
        let errs = deployment_errors(set(nginx(), "/spec/template/spec/activeDeadlineSeconds", json!(30)));
        assert_eq!(errs, vec!["spec.template.spec.activeDeadlineSeconds: Forbidden: activeDeadlineSeconds in ReplicaSet is not Supported"]);
    }

    #[test]
    fn strategy_type_must_be_supported() {
        let errs = deployment_errors(set(nginx(), "/spec/strategy", json!({"type": "BlueGreen"})));
        assert_eq!(
            errs,
            vec!["spec.strategy: Unsupported value: apps.DeploymentStrategy{Type:\"BlueGreen\", RollingUpdate:(*apps.RollingUpdateDeployment)(nil)}: supported values: \"Recreate\", \"RollingUpdate\""]
        );
    }

    #[test]
    fn recreate_forbids_rolling_update() {
        let errs = deployment_errors(set(
            nginx(),
            "/spec/strategy",
            json!({"type": "Recreate", "rollingUpdate": {"maxSurge": 1}}),
        ));
        assert_eq!(
            errs,
            vec!["spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'"]
        );
    }

    #[test]
    fn surge_and_unavailable_must_be_int_or_percent() {
        let errs = deployment_errors(set(nginx(), "/spec/strategy", json!({"rollingUpdate": {"maxSurge": "25"}})));
        assert_eq!(
            errs,
            vec!["spec.strategy.rollingUpdate.maxSurge: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:\"25\"}: a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')"]
        );
        let errs = deployment_errors(set(nginx(), "/spec/strategy", json!({"rollingUpdate": {"maxSurge": -1}})));
        assert_eq!(
            errs,
            vec!["spec.strategy.rollingUpdate.maxSurge: Invalid value: -1: must be greater than or equal to 0"]
        );
    }

    #[test]
    fn max_unavailable_may_not_exceed_100_percent() {
        let errs =
            deployment_errors(set(nginx(), "/spec/strategy", json!({"rollingUpdate": {"maxUnavailable": "110%"}})));
        assert_eq!(errs, vec!["spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:\"110%\"}: must not be greater than 100%"]);
    }

    #[test]
    fn surge_and_unavailable_may_not_both_be_zero() {
        let errs = deployment_errors(set(
            nginx(),
            "/spec/strategy",
            json!({"rollingUpdate": {"maxSurge": 0, "maxUnavailable": 0}}),
        ));
        assert_eq!(errs, vec!["spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:0, IntVal:0, StrVal:\"\"}: may not be 0 when `maxSurge` is 0"]);
        let errs = deployment_errors(set(
            nginx(),
            "/spec/strategy",
            json!({"rollingUpdate": {"maxSurge": "0%", "maxUnavailable": "0%"}}),
        ));
        assert_eq!(errs, vec!["spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:\"0%\"}: may not be 0 when `maxSurge` is 0"]);
    }

    #[test]
    fn revision_history_limit_and_min_ready_must_not_be_negative() {
        let errs = deployment_errors(set(nginx(), "/spec/revisionHistoryLimit", json!(-1)));
        assert_eq!(errs, vec!["spec.revisionHistoryLimit: Invalid value: -1: must be greater than or equal to 0"]);
        let errs = deployment_errors(set(nginx(), "/spec/minReadySeconds", json!(-5)));
        assert_eq!(errs, vec!["spec.minReadySeconds: Invalid value: -5: must be greater than or equal to 0"]);
    }

    #[test]
    fn progress_deadline_must_exceed_min_ready_seconds() {
        let v = set(set(nginx(), "/spec/minReadySeconds", json!(10)), "/spec/progressDeadlineSeconds", json!(10));
        assert_eq!(
            deployment_errors(v),
            vec!["spec.progressDeadlineSeconds: Invalid value: 10: must be greater than minReadySeconds"]
        );
    }

    #[test]
    fn replica_set_reuses_the_deployment_selector_rules() {
        let rs = |spec: Json| json!({"metadata": {"name": "web-abc", "namespace": "default"}, "spec": spec});
        let base = nginx()["spec"].clone();
        assert_eq!(
            replica_set_errors(rs(set(base.clone(), "/selector", json!({"matchLabels": {}})))),
            vec!["spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment"]
        );
        assert_eq!(
            replica_set_errors(rs(set(base.clone(), "/replicas", json!(-2)))),
            vec!["spec.replicas: Invalid value: -2: must be greater than or equal to 0"]
        );
        assert_eq!(
            replica_set_errors(rs(set(base, "/template/metadata/labels/app", json!("other")))),
            vec!["spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"other\"}: `selector` does not match template `labels`"]
        );
        let errs = replica_set_errors(rs(json!({"selector": {"matchLabels": {"app": "x"}}})));
        assert_has(&errs, "spec.template.spec.containers: Required value");
    }
}
