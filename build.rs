//! Writes the JSON schemas of the kinds the API server serves into `$OUT_DIR/schemas.json`,
//! which `src/server/openapi.rs` embeds for its OpenAPI v3 documents (what `kubectl explain`
//! reads). They come from k8s-openapi's `schemars` feature (upstream's descriptions, types and
//! required fields); generating them here rather than in the extension keeps the schema code
//! (half a megabyte of it) out of the wheel: only the JSON text is shipped.

use k8s_openapi::api::apps::v1 as apps;
use k8s_openapi::api::autoscaling::{v1 as autoscaling_v1, v2 as autoscaling_v2};
use k8s_openapi::api::batch::v1 as batch;
use k8s_openapi::api::core::v1 as core;
use k8s_openapi::api::discovery::v1 as discovery;
use k8s_openapi::api::policy::v1 as policy;
use k8s_openapi::schemars::generate::SchemaSettings;
use k8s_openapi::schemars::JsonSchema;
use serde_json::{json, Map, Value};

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let mut g = SchemaSettings::openapi3().into_generator();
    let mut kinds = Map::new();
    let mut add = |kind: &str, version: &str, name: std::borrow::Cow<'static, str>| {
        kinds.insert(format!("{kind}/{version}"), Value::String(name.into_owned()));
    };
    macro_rules! kind {
        ($kind:literal, $version:literal, $t:ty) => {
            g.subschema_for::<$t>();
            add($kind, $version, <$t as JsonSchema>::schema_name());
        };
    }
    // Every kind of src/api/kind.rs, in every version src/server/kinds.rs serves it in.
    kind!("Namespace", "v1", core::Namespace);
    kind!("Node", "v1", core::Node);
    kind!("Deployment", "v1", apps::Deployment);
    kind!("ReplicaSet", "v1", apps::ReplicaSet);
    kind!("Pod", "v1", core::Pod);
    kind!("HorizontalPodAutoscaler", "v2", autoscaling_v2::HorizontalPodAutoscaler);
    kind!("HorizontalPodAutoscaler", "v1", autoscaling_v1::HorizontalPodAutoscaler);
    kind!("Event", "v1", core::Event);
    kind!("ConfigMap", "v1", core::ConfigMap);
    kind!("Secret", "v1", core::Secret);
    kind!("Service", "v1", core::Service);
    kind!("ServiceAccount", "v1", core::ServiceAccount);
    kind!("Job", "v1", batch::Job);
    kind!("CronJob", "v1", batch::CronJob);
    kind!("PodDisruptionBudget", "v1", policy::PodDisruptionBudget);
    kind!("DaemonSet", "v1", apps::DaemonSet);
    kind!("StatefulSet", "v1", apps::StatefulSet);
    kind!("ControllerRevision", "v1", apps::ControllerRevision);
    kind!("PersistentVolumeClaim", "v1", core::PersistentVolumeClaim);
    kind!("EndpointSlice", "v1", discovery::EndpointSlice);
    kind!("Endpoints", "v1", core::Endpoints);
    let definitions: Map<String, Value> = g.take_definitions(true).into_iter().collect();
    let out = json!({"kinds": kinds, "definitions": definitions});
    let path = std::path::Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("schemas.json");
    std::fs::write(path, out.to_string()).expect("OUT_DIR is writable");
}
