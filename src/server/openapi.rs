//! The `components.schemas` of the OpenAPI v3 documents (what `kubectl explain` reads):
//! generated from k8s-openapi's JSON schemas (its `schemars` feature: upstream's descriptions,
//! types and required fields), named and referenced as kube-apiserver publishes them
//! (`#/components/schemas/io.k8s.api.apps.v1.Deployment`), with upstream's vendor extensions
//! added: `x-kubernetes-group-version-kind` on each served kind's schema and the strategic merge
//! patch metadata (`x-kubernetes-patch-merge-key`, `x-kubernetes-patch-strategy`) on the lists
//! that have it in k8s.io/api.
//!
//! The documents are built once per process and cached with their hash (see
//! [`super::discovery`]): schema generation walks a few hundred types.

use k8s_openapi::api::apps::v1 as apps;
use k8s_openapi::api::autoscaling::{v1 as autoscaling_v1, v2 as autoscaling_v2};
use k8s_openapi::api::batch::v1 as batch;
use k8s_openapi::api::core::v1 as core;
use k8s_openapi::api::policy::v1 as policy;
use k8s_openapi::schemars::generate::{SchemaGenerator, SchemaSettings};
use serde_json::{json, Map, Value};

use super::kinds;
use crate::api::Kind;

/// The schema name of `kind` served in `version`, after adding it (and what it refers to) to
/// the generator; `None` for a kind this table does not know yet (it is served without one).
fn add_kind(g: &mut SchemaGenerator, kind: Kind, version: &str) -> Option<String> {
    let schema = match (kind, version) {
        (Kind::Namespace, _) => g.subschema_for::<core::Namespace>(),
        (Kind::Node, _) => g.subschema_for::<core::Node>(),
        (Kind::Deployment, _) => g.subschema_for::<apps::Deployment>(),
        (Kind::ReplicaSet, _) => g.subschema_for::<apps::ReplicaSet>(),
        (Kind::Pod, _) => g.subschema_for::<core::Pod>(),
        (Kind::HorizontalPodAutoscaler, "v1") => g.subschema_for::<autoscaling_v1::HorizontalPodAutoscaler>(),
        (Kind::HorizontalPodAutoscaler, _) => g.subschema_for::<autoscaling_v2::HorizontalPodAutoscaler>(),
        (Kind::Event, _) => g.subschema_for::<core::Event>(),
        (Kind::ConfigMap, _) => g.subschema_for::<core::ConfigMap>(),
        (Kind::Secret, _) => g.subschema_for::<core::Secret>(),
        (Kind::Service, _) => g.subschema_for::<core::Service>(),
        (Kind::ServiceAccount, _) => g.subschema_for::<core::ServiceAccount>(),
        (Kind::Job, _) => g.subschema_for::<batch::Job>(),
        (Kind::CronJob, _) => g.subschema_for::<batch::CronJob>(),
        (Kind::PodDisruptionBudget, _) => g.subschema_for::<policy::PodDisruptionBudget>(),
        (Kind::DaemonSet, _) => g.subschema_for::<apps::DaemonSet>(),
        (Kind::StatefulSet, _) => g.subschema_for::<apps::StatefulSet>(),
        (Kind::ControllerRevision, _) => g.subschema_for::<apps::ControllerRevision>(),
        (Kind::PersistentVolumeClaim, _) => g.subschema_for::<core::PersistentVolumeClaim>(),
        #[allow(unreachable_patterns)] // kinds added to `Kind` later are served without a schema
        _ => return None,
    };
    let reference = schema.get("$ref").and_then(Value::as_str)?;
    reference.strip_prefix(REF_PREFIX).map(str::to_string)
}

const REF_PREFIX: &str = "#/components/schemas/";

/// upstream: the `patchStrategy`/`patchMergeKey` struct tags of k8s.io/api, as the API server's
/// OpenAPI publishes them: (schema, list property, merge key, strategy).
const PATCH_LISTS: &[(&str, &str, Option<&str>, &str)] = &[
    ("io.k8s.api.core.v1.PodSpec", "containers", Some("name"), "merge"),
    ("io.k8s.api.core.v1.PodSpec", "initContainers", Some("name"), "merge"),
    ("io.k8s.api.core.v1.PodSpec", "ephemeralContainers", Some("name"), "merge"),
    ("io.k8s.api.core.v1.PodSpec", "volumes", Some("name"), "merge,retainKeys"),
    ("io.k8s.api.core.v1.PodSpec", "imagePullSecrets", Some("name"), "merge"),
    ("io.k8s.api.core.v1.PodSpec", "hostAliases", Some("ip"), "merge"),
    ("io.k8s.api.core.v1.PodSpec", "topologySpreadConstraints", Some("topologyKey"), "merge"),
    ("io.k8s.api.core.v1.PodSpec", "resourceClaims", Some("name"), "merge,retainKeys"),
    ("io.k8s.api.core.v1.PodSpec", "schedulingGates", Some("name"), "merge"),
    ("io.k8s.api.core.v1.Container", "env", Some("name"), "merge"),
    ("io.k8s.api.core.v1.Container", "ports", Some("containerPort"), "merge"),
    ("io.k8s.api.core.v1.Container", "volumeMounts", Some("mountPath"), "merge"),
    ("io.k8s.api.core.v1.Container", "volumeDevices", Some("devicePath"), "merge"),
    ("io.k8s.api.core.v1.EphemeralContainer", "env", Some("name"), "merge"),
    ("io.k8s.api.core.v1.EphemeralContainer", "ports", Some("containerPort"), "merge"),
    ("io.k8s.api.core.v1.EphemeralContainer", "volumeMounts", Some("mountPath"), "merge"),
    ("io.k8s.api.core.v1.EphemeralContainer", "volumeDevices", Some("devicePath"), "merge"),
    ("io.k8s.api.core.v1.ServiceSpec", "ports", Some("port"), "merge"),
    ("io.k8s.api.core.v1.NodeStatus", "addresses", Some("type"), "merge"),
    ("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta", "ownerReferences", Some("uid"), "merge"),
    ("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta", "finalizers", None, "merge"),
];

/// Every `status.conditions` of the served kinds is merged by `type` (upstream tags each one).
fn patch_metadata(schema: &str, property: &str) -> Option<(Option<&'static str>, &'static str)> {
    if property == "conditions" && schema.ends_with("Status") {
        return Some((Some("type"), "merge"));
    }
    PATCH_LISTS.iter().find(|(s, p, _, _)| *s == schema && *p == property).map(|(_, _, key, how)| (*key, *how))
}

/// The schemas of one group-version's kinds, and of everything they refer to.
pub fn schemas(group: &str, version: &str) -> Map<String, Value> {
    let mut g = SchemaSettings::openapi3().into_generator();
    let mut top = Vec::new();
    for kind in kinds::kinds_of(group, version) {
        if let Some(name) = add_kind(&mut g, kind, version) {
            top.push((name, kind));
        }
    }
    let mut out: Map<String, Value> = g.take_definitions(true).into_iter().collect();
    for (name, schema) in out.iter_mut() {
        drop_required_metadata(schema);
        let Some(properties) = schema.get_mut("properties").and_then(Value::as_object_mut) else { continue };
        for (property, value) in properties.iter_mut() {
            if let (Some((key, strategy)), Value::Object(v)) = (patch_metadata(name, property), value) {
                if let Some(key) = key {
                    v.insert("x-kubernetes-patch-merge-key".into(), key.into());
                }
                v.insert("x-kubernetes-patch-strategy".into(), strategy.into());
            }
        }
    }
    for (name, kind) in top {
        if let Some(Value::Object(schema)) = out.get_mut(&name) {
            schema.insert(
                "x-kubernetes-group-version-kind".into(),
                json!([{"group": group, "kind": kind.name(), "version": version}]),
            );
        }
    }
    out
}

/// k8s-openapi's Rust types require every object's `metadata`; upstream's schemas do not (a
/// client may leave it out of a patch), so `kubectl explain` shows no
/// `-required-` on it.
fn drop_required_metadata(schema: &mut Value) {
    let is_object = schema.pointer("/properties/kind").is_some() && schema.pointer("/properties/apiVersion").is_some();
    let Some(Value::Array(required)) = schema.get_mut("required").filter(|_| is_object) else { return };
    required.retain(|r| r != "metadata");
    if required.is_empty() {
        if let Some(m) = schema.as_object_mut() {
            m.remove("required");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_served_kind_has_its_schema_named_and_referenced_as_upstream_publishes_it() {
        let s = schemas("apps", "v1");
        let d = &s["io.k8s.api.apps.v1.Deployment"];
        assert_eq!(
            d["x-kubernetes-group-version-kind"],
            json!([{"group": "apps", "kind": "Deployment", "version": "v1"}])
        );
        assert_eq!(d["description"], "Deployment enables declarative updates for Pods and ReplicaSets.");
        assert_eq!(
            d["properties"]["spec"]["allOf"][0]["$ref"],
            "#/components/schemas/io.k8s.api.apps.v1.DeploymentSpec"
        );
        assert_eq!(s["io.k8s.api.apps.v1.DeploymentSpec"]["required"], json!(["selector", "template"]));
        assert!(d.get("required").is_none(), "upstream requires no field of a Deployment");
        assert_eq!(
            s["io.k8s.apimachinery.pkg.apis.meta.v1.OwnerReference"]["required"],
            json!(["apiVersion", "kind", "name", "uid"])
        );
        // Every reference resolves within the document.
        let text = Value::Object(s.clone()).to_string();
        for piece in text.split(REF_PREFIX).skip(1) {
            let name = &piece[..piece.find('"').unwrap()];
            assert!(s.contains_key(name), "{name} is referred to but absent");
        }
        // Only the kinds of the group-version carry a GVK.
        let gvks: Vec<&String> =
            s.iter().filter(|(_, v)| v.get("x-kubernetes-group-version-kind").is_some()).map(|(k, _)| k).collect();
        assert!(gvks.iter().all(|k| k.starts_with("io.k8s.api.apps.v1.")), "{gvks:?}");
    }

    #[test]
    fn lists_carry_upstream_patch_metadata() {
        let s = schemas("", "v1");
        let containers = &s["io.k8s.api.core.v1.PodSpec"]["properties"]["containers"];
        assert_eq!(containers["x-kubernetes-patch-merge-key"], "name");
        assert_eq!(containers["x-kubernetes-patch-strategy"], "merge");
        assert_eq!(
            s["io.k8s.api.core.v1.PodSpec"]["properties"]["volumes"]["x-kubernetes-patch-strategy"],
            "merge,retainKeys"
        );
        assert_eq!(
            s["io.k8s.api.core.v1.Container"]["properties"]["ports"]["x-kubernetes-patch-merge-key"],
            "containerPort"
        );
        assert_eq!(s["io.k8s.api.core.v1.ServiceSpec"]["properties"]["ports"]["x-kubernetes-patch-merge-key"], "port");
        assert_eq!(
            s["io.k8s.api.core.v1.PodStatus"]["properties"]["conditions"]["x-kubernetes-patch-merge-key"],
            "type"
        );
        // Atomic lists have none (upstream: tolerations carry no patch strategy).
        assert!(s["io.k8s.api.core.v1.PodSpec"]["properties"]["tolerations"]
            .get("x-kubernetes-patch-strategy")
            .is_none());
        let hpa_v1 = schemas("autoscaling", "v1");
        assert!(hpa_v1["io.k8s.api.autoscaling.v1.HorizontalPodAutoscaler"]["properties"]["spec"]["allOf"][0]["$ref"]
            .as_str()
            .unwrap()
            .ends_with("autoscaling.v1.HorizontalPodAutoscalerSpec"));
    }
}
