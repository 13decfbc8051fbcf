//! What the kubelet checks before it creates a container: every ConfigMap and Secret the
//! container's environment names must exist (with the key asked for), unless the reference is
//! `optional` (upstream `kubelet_pods.go` makeEnvironmentVariables). Otherwise the container
//! waits in `CreateContainerConfigError` and the pod's next sync tries again.

use k8s_openapi::api::core::v1 as core;

use crate::api::{Body, Kind};
use crate::sim::clock::Millis;
use crate::store::Store;

/// upstream: the pod worker's back-off after a failed sync (`backOffPeriod`, 10 s).
pub const CONFIG_RETRY: Millis = 10_000;

enum Source {
    ConfigMap,
    Secret,
}

/// Whether the object exists and, when `key` is given, has that key.
fn lookup(store: &Store, source: &Source, namespace: &str, name: &str, key: Option<&str>) -> Result<(), String> {
    let (kind, what, title) = match source {
        Source::ConfigMap => (Kind::ConfigMap, "configmap", "ConfigMap"),
        Source::Secret => (Kind::Secret, "secret", "Secret"),
    };
    let Ok(obj) = store.get(kind, namespace, name) else { return Err(format!("{what} \"{name}\" not found")) };
    let Some(key) = key else { return Ok(()) };
    let has = match &obj.body {
        Body::ConfigMap(cm) => {
            cm.data.as_ref().is_some_and(|d| d.contains_key(key))
                || cm.binary_data.as_ref().is_some_and(|d| d.contains_key(key))
        }
        Body::Secret(s) => s.data.as_ref().is_some_and(|d| d.contains_key(key)),
        _ => false,
    };
    if has {
        Ok(())
    } else {
        Err(format!("couldn't find key {key} in {title} {namespace}/{name}"))
    }
}

/// The first reason the container cannot be configured, in the kubelet's words.
pub fn missing_config(store: &Store, namespace: &str, c: &core::Container) -> Option<String> {
    for from in c.env_from.iter().flatten() {
        let refs = [
            from.config_map_ref.as_ref().map(|r| (Source::ConfigMap, r.name.as_str(), r.optional)),
            from.secret_ref.as_ref().map(|r| (Source::Secret, r.name.as_str(), r.optional)),
        ];
        for (source, name, optional) in refs.into_iter().flatten() {
            if optional != Some(true) {
                if let Err(e) = lookup(store, &source, namespace, name, None) {
                    return Some(e);
                }
            }
        }
    }
    for env in c.env.iter().flatten() {
        let Some(value_from) = &env.value_from else { continue };
        let refs = [
            value_from
                .config_map_key_ref
                .as_ref()
                .map(|r| (Source::ConfigMap, r.name.as_str(), r.key.as_str(), r.optional)),
            value_from.secret_key_ref.as_ref().map(|r| (Source::Secret, r.name.as_str(), r.key.as_str(), r.optional)),
        ];
        for (source, name, key, optional) in refs.into_iter().flatten() {
            if optional != Some(true) {
                if let Err(e) = lookup(store, &source, namespace, name, Some(key)) {
                    return Some(e);
                }
            }
        }
    }
    None
}
