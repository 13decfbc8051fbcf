//! apps/v1 StatefulSet and core/v1 PersistentVolumeClaim (upstream: ValidateStatefulSet,
//! ValidateStatefulSetSpec, ValidatePersistentVolumeClaim, ValidatePersistentVolumeClaimSpec).

use k8s_openapi::api::apps::v1::{StatefulSet, StatefulSetSpec};
use k8s_openapi::api::core::v1::{PersistentVolumeClaim, PersistentVolumeClaimSpec};

use super::apps::validate_workload_template;
use super::meta::{validate_object_meta, NameRule};
use super::nonnegative;
use super::selector::validate_workload_selector;
use crate::api::field::{ErrorList, FieldError, Path, Value};

const ACCESS_MODES: [&str; 4] = ["ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"];

/// upstream: ValidatePersistentVolumeClaimSpec — access modes and a storage request.
fn validate_claim_spec(spec: &PersistentVolumeClaimSpec, path: &Path) -> ErrorList {
    let mut errs = ErrorList::new();
    let modes = spec.access_modes.as_deref().unwrap_or(&[]);
    if modes.is_empty() {
        errs.push(FieldError::required(path.child("accessModes"), "at least 1 access mode is required"));
    }
    for m in modes {
        if !ACCESS_MODES.contains(&m.as_str()) {
            errs.push(FieldError::not_supported(path.child("accessModes"), m.as_str(), &ACCESS_MODES));
        }
    }
    let storage = spec.resources.as_ref().and_then(|r| r.requests.as_ref()).and_then(|r| r.get("storage"));
    if storage.is_none() {
        errs.push(FieldError::required(path.child("resources").key("storage"), ""));
    }
    if let Some(mode) = spec.volume_mode.as_deref() {
        if !matches!(mode, "Block" | "Filesystem") {
            errs.push(FieldError::not_supported(path.child("volumeMode"), mode, &["Block", "Filesystem"]));
        }
    }
    errs
}

/// upstream: ValidatePersistentVolumeClaim (create).
pub fn validate_persistent_volume_claim(pvc: &PersistentVolumeClaim) -> ErrorList {
    let mut errs = validate_object_meta(&pvc.metadata, true, NameRule::Subdomain, &Path::root("metadata"));
    let default = PersistentVolumeClaimSpec::default();
    errs.extend(validate_claim_spec(pvc.spec.as_ref().unwrap_or(&default), &Path::root("spec")));
    errs
}

/// A rolling update strategy as Go's `%#v` prints the pointer to it.
fn go_rolling_update(ru: Option<&k8s_openapi::api::apps::v1::RollingUpdateStatefulSetStrategy>) -> String {
    let partition = ru.and_then(|r| r.partition).unwrap_or(0);
    format!(
        "&apps.RollingUpdateStatefulSetStrategy{{Partition:{partition}, MaxUnavailable:(*intstr.IntOrString)(nil)}}"
    )
}

/// upstream: ValidateStatefulSet (create).
pub fn validate_stateful_set(sts: &StatefulSet) -> ErrorList {
    let mut errs = validate_object_meta(&sts.metadata, true, NameRule::Subdomain, &Path::root("metadata"));
    let default_spec = StatefulSetSpec::default();
    let spec = sts.spec.as_ref().unwrap_or(&default_spec);
    let p = Path::root("spec");
    match spec.pod_management_policy.as_deref().unwrap_or("") {
        "OrderedReady" | "Parallel" => {}
        "" => errs.push(FieldError::required(p.child("podManagementPolicy"), "")),
        other => errs.push(FieldError::invalid(
            p.child("podManagementPolicy"),
            other,
            "must be 'OrderedReady' or 'Parallel'",
        )),
    }
    let us = spec.update_strategy.as_ref();
    let us_path = p.child("updateStrategy");
    match us.and_then(|u| u.type_.as_deref()).unwrap_or("") {
        "RollingUpdate" => {
            if let Some(partition) = us.and_then(|u| u.rolling_update.as_ref()).and_then(|r| r.partition) {
                errs.extend(nonnegative(i64::from(partition), us_path.child("rollingUpdate").child("partition")));
            }
        }
        "OnDelete" => {
            if let Some(ru) = us.and_then(|u| u.rolling_update.as_ref()) {
                errs.push(FieldError::invalid(
                    us_path.child("rollingUpdate"),
                    Value::Raw(format!("&{}", go_rolling_update(Some(ru)).trim_start_matches('&'))),
                    "only allowed for updateStrategy 'RollingUpdate'",
                ));
            }
        }
        "" => errs.push(FieldError::required(us_path, "")),
        other => {
            let ru = if us.is_some_and(|u| u.rolling_update.is_some()) { "0xc000000000" } else { "nil" };
            let v = format!(
                "apps.StatefulSetUpdateStrategy{{Type:{}, RollingUpdate:(*apps.RollingUpdateStatefulSetStrategy)({ru})}}",
                super::go_fmt::go_quote(other)
            );
            errs.push(FieldError::invalid(us_path, Value::Raw(v), "must be 'RollingUpdate' or 'OnDelete'"))
        }
    }
    if let Some(policy) = &spec.persistent_volume_claim_retention_policy {
        let rp = p.child("persistentVolumeClaimRetentionPolicy");
        for (field, value) in [("whenDeleted", &policy.when_deleted), ("whenScaled", &policy.when_scaled)] {
            if let Some(v) = value.as_deref().filter(|v| !matches!(*v, "Retain" | "Delete")) {
                errs.push(FieldError::not_supported(rp.child(field), v, &["Retain", "Delete"]));
            }
        }
    }
    if let Some(start) = spec.ordinals.as_ref().and_then(|o| o.start) {
        errs.extend(nonnegative(i64::from(start), p.child("ordinals").child("start")));
    }
    errs.extend(nonnegative(i64::from(spec.replicas.unwrap_or(0)), p.child("replicas")));
    errs.extend(nonnegative(i64::from(spec.min_ready_seconds.unwrap_or(0)), p.child("minReadySeconds")));
    if let Some(limit) = spec.revision_history_limit {
        errs.extend(nonnegative(i64::from(limit), p.child("revisionHistoryLimit")));
    }
    let t = &spec.template;
    let selector = validate_workload_selector(&spec.selector, &p, "statefulset", &mut errs);
    errs.extend(validate_workload_template(t, selector.as_ref(), &p.child("template"), "StatefulSet"));
    for (i, claim) in spec.volume_claim_templates.iter().flatten().enumerate() {
        let cp = p.child("volumeClaimTemplates").index(i);
        let default = PersistentVolumeClaimSpec::default();
        errs.extend(validate_claim_spec(claim.spec.as_ref().unwrap_or(&default), &cp.child("spec")));
    }
    errs
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::defaults::default_stateful_set;
    use serde_json::json;

    fn errors(patch: impl Fn(&mut serde_json::Value)) -> Vec<String> {
        let mut v = json!({
            "metadata": {"name": "web", "namespace": "default"},
            "spec": {"serviceName": "web", "selector": {"matchLabels": {"app": "web"}},
                "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}},
                "volumeClaimTemplates": [{"metadata": {"name": "www"},
                    "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}]}
        });
        patch(&mut v);
        let mut sts: StatefulSet = serde_json::from_value(v).expect("statefulset");
        default_stateful_set(&mut sts);
        validate_stateful_set(&sts).iter().map(ToString::to_string).collect()
    }

    #[test]
    fn stateful_set_errors_name_their_field() {
        type Patch = Box<dyn Fn(&mut serde_json::Value)>;
        let rows: Vec<(Patch, Vec<&str>)> = vec![
            (Box::new(|_| {}), vec![]),
            (
                Box::new(|v| v["spec"]["podManagementPolicy"] = json!("Random")),
                vec!["spec.podManagementPolicy: Invalid value: \"Random\": must be 'OrderedReady' or 'Parallel'"],
            ),
            (
                Box::new(|v| v["spec"]["updateStrategy"] = json!({"type": "RollingUpdate", "rollingUpdate": {"partition": -1}})),
                vec!["spec.updateStrategy.rollingUpdate.partition: Invalid value: -1: must be greater than or equal to 0"],
            ),
            (
                Box::new(|v| v["spec"]["updateStrategy"] = json!({"type": "Blue"})),
                vec!["spec.updateStrategy: Invalid value: apps.StatefulSetUpdateStrategy{Type:\"Blue\", RollingUpdate:(*apps.RollingUpdateStatefulSetStrategy)(nil)}: must be 'RollingUpdate' or 'OnDelete'"],
            ),
            (
                Box::new(|v| v["spec"]["persistentVolumeClaimRetentionPolicy"] = json!({"whenScaled": "Keep"})),
                vec!["spec.persistentVolumeClaimRetentionPolicy.whenScaled: Unsupported value: \"Keep\": supported values: \"Retain\", \"Delete\""],
            ),
            (
                Box::new(|v| v["spec"]["volumeClaimTemplates"][0]["spec"] = json!({"resources": {"requests": {"storage": "1Gi"}}})),
                vec!["spec.volumeClaimTemplates[0].spec.accessModes: Required value: at least 1 access mode is required"],
            ),
            (
                Box::new(|v| v["spec"]["volumeClaimTemplates"][0]["spec"]["resources"] = json!({})),
                vec!["spec.volumeClaimTemplates[0].spec.resources[storage]: Required value"],
            ),
            (
                Box::new(|v| v["spec"]["replicas"] = json!(-2)),
                vec!["spec.replicas: Invalid value: -2: must be greater than or equal to 0"],
            ),
        ];
        for (patch, want) in rows {
            assert_eq!(errors(patch), want);
        }
    }
}
