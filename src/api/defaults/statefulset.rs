//! apps/v1 defaults: StatefulSet; core/v1: PersistentVolumeClaim.

use k8s_openapi::api::apps::v1::{
    RollingUpdateStatefulSetStrategy, StatefulSet, StatefulSetPersistentVolumeClaimRetentionPolicy,
    StatefulSetUpdateStrategy,
};
use k8s_openapi::api::core::v1::{PersistentVolumeClaim, PersistentVolumeClaimSpec, PersistentVolumeClaimStatus};

use super::default_str;
use super::pod::default_pod_spec;

/// upstream: SetDefaults_PersistentVolumeClaimSpec — volumeMode Filesystem.
fn default_claim_spec(spec: &mut PersistentVolumeClaimSpec) {
    default_str(&mut spec.volume_mode, "Filesystem");
}

/// upstream: SetDefaults_PersistentVolumeClaim — the spec's defaults, phase Pending.
pub fn default_persistent_volume_claim(pvc: &mut PersistentVolumeClaim) {
    default_claim_spec(pvc.spec.get_or_insert_with(Default::default));
    let status = pvc.status.get_or_insert_with(PersistentVolumeClaimStatus::default);
    default_str(&mut status.phase, "Pending");
}

/// upstream: SetDefaults_StatefulSet (apps/v1) — OrderedReady, RollingUpdate with partition 0,
/// replicas 1, revisionHistoryLimit 10, claims retained; claim templates defaulted as claims
/// (and shown with their apiVersion and kind); pod-template defaults.
pub fn default_stateful_set(sts: &mut StatefulSet) {
    let spec = sts.spec.get_or_insert_with(Default::default);
    default_str(&mut spec.pod_management_policy, "OrderedReady");
    let strategy = spec.update_strategy.get_or_insert_with(StatefulSetUpdateStrategy::default);
    default_str(&mut strategy.type_, "RollingUpdate");
    if strategy.type_.as_deref() == Some("RollingUpdate") {
        let ru = strategy.rolling_update.get_or_insert_with(RollingUpdateStatefulSetStrategy::default);
        ru.partition.get_or_insert(0);
    }
    spec.replicas.get_or_insert(1);
    spec.revision_history_limit.get_or_insert(10);
    let retention = spec
        .persistent_volume_claim_retention_policy
        .get_or_insert_with(StatefulSetPersistentVolumeClaimRetentionPolicy::default);
    default_str(&mut retention.when_deleted, "Retain");
    default_str(&mut retention.when_scaled, "Retain");
    for claim in spec.volume_claim_templates.iter_mut().flatten() {
        default_persistent_volume_claim(claim);
    }
    default_pod_spec(spec.template.spec.get_or_insert_with(Default::default));
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_stateful_set_reads_back_with_upstreams_defaults() {
        let mut sts: StatefulSet = serde_json::from_value(json!({
            "metadata": {"name": "web"},
            "spec": {"serviceName": "nginx", "selector": {"matchLabels": {"app": "web"}},
                "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}},
                "volumeClaimTemplates": [{"metadata": {"name": "www"},
                    "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}]}
        }))
        .expect("statefulset");
        default_stateful_set(&mut sts);
        let spec = serde_json::to_value(&sts.spec).expect("serializes");
        assert_eq!(spec["podManagementPolicy"], json!("OrderedReady"));
        assert_eq!(spec["updateStrategy"], json!({"type": "RollingUpdate", "rollingUpdate": {"partition": 0}}));
        assert_eq!(spec["replicas"], json!(1));
        assert_eq!(spec["revisionHistoryLimit"], json!(10));
        assert_eq!(
            spec["persistentVolumeClaimRetentionPolicy"],
            json!({"whenDeleted": "Retain", "whenScaled": "Retain"})
        );
        assert_eq!(spec["volumeClaimTemplates"][0]["spec"]["volumeMode"], json!("Filesystem"));
        assert_eq!(spec["volumeClaimTemplates"][0]["status"], json!({"phase": "Pending"}));
    }
}
