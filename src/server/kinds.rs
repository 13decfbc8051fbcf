//! The one table of what the API server serves per kind: discovery, the OpenAPI documents and
//! the routes all read it, so a kind added to [`Kind::ALL`] is served without touching the HTTP
//! code (it gets the defaults below: no categories, no subresources).

use serde_json::Value;

use crate::api::{Kind, Object};

/// The version a kind is stored in, and served in first.
pub fn version(kind: Kind) -> &'static str {
    let v = kind.api_version();
    v.rsplit('/').next().unwrap_or(v)
}

/// Every version a kind is served in, the stored one first (discovery lists the preferred
/// version first). upstream: HorizontalPodAutoscalers are served as autoscaling/v2 and v1, and
/// kubectl 1.32's `autoscale` writes v1.
pub fn versions(kind: Kind) -> Vec<&'static str> {
    let mut out = vec![version(kind)];
    if kind == Kind::HorizontalPodAutoscaler {
        out.push("v1");
    }
    out
}

/// An object as a client of `version` reads it (converted from the stored version).
pub fn encode(o: &Object, version: &str) -> Value {
    let stored = o.to_json();
    if version == self::version(o.kind()) {
        return stored;
    }
    match (o.kind(), version) {
        (Kind::HorizontalPodAutoscaler, "v1") => {
            serde_json::from_value::<k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler>(stored.clone())
                .ok()
                .and_then(|v2| serde_json::to_value(crate::api::convert::hpa_v2_to_v1(&v2)).ok())
                .unwrap_or(stored)
        }
        _ => stored,
    }
}

/// upstream: the `all` category of kubectl 1.32 (pods, services, deployments, replicasets,
/// statefulsets, daemonsets, jobs, cronjobs, horizontalpodautoscalers, replicationcontrollers).
pub fn categories(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::Pod | Kind::Deployment | Kind::ReplicaSet | Kind::HorizontalPodAutoscaler => &["all"],
        Kind::DaemonSet | Kind::StatefulSet | Kind::Job | Kind::CronJob => &["all"],
        // upstream: services are in the category too (kubectl get all lists service/kubernetes).
        Kind::Service => &["all"],
        _ => &[],
    }
}

/// Kinds whose status is written by a controller (`/status` subresource).
pub fn has_status(kind: Kind) -> bool {
    kind.has_status()
}

/// upstream: service accounts serve the authentication.k8s.io/v1 `token` subresource
/// (TokenRequest, `kubectl create token`).
pub fn has_token(kind: Kind) -> bool {
    kind == Kind::ServiceAccount
}

/// upstream: pods serve the policy/v1 `eviction` subresource (kubectl drain looks for it in
/// discovery before it evicts instead of deleting).
pub fn has_eviction(kind: Kind) -> bool {
    kind == Kind::Pod
}

/// Kinds with a `/scale` subresource (autoscaling/v1 Scale); `kubectl autoscale` needs it in
/// discovery.
pub fn has_scale(kind: Kind) -> bool {
    matches!(kind, Kind::Deployment | Kind::ReplicaSet | Kind::StatefulSet)
}

/// upstream: the verbs of a resource backed by the generic registry.
pub const VERBS: [&str; 8] = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];

/// The API groups in the order discovery lists them (first appearance in [`Kind::ALL`]); the
/// core group is `""`.
pub fn groups() -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for k in Kind::ALL {
        if !out.contains(&k.group()) {
            out.push(k.group());
        }
    }
    out
}

/// The kinds of one group-version, by resource name (upstream lists a group's resources in
/// alphabetical order, which is the order `kubectl get all` prints them in).
pub fn kinds_of(group: &str, version: &str) -> Vec<Kind> {
    let mut out: Vec<Kind> =
        Kind::ALL.into_iter().filter(|k| k.group() == group && versions(*k).contains(&version)).collect();
    out.sort_by_key(|k| k.plural());
    out
}

/// The versions of a group, preferred first.
pub fn versions_of(group: &str) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for k in Kind::ALL.into_iter().filter(|k| k.group() == group) {
        for v in versions(k) {
            if !out.contains(&v) {
                out.push(v);
            }
        }
    }
    out
}

/// The kind a REST path names (group, version and plural resource), and that version.
pub fn resolve(group: &str, version: &str, plural: &str) -> Option<(Kind, &'static str)> {
    Kind::ALL
        .into_iter()
        .filter(|k| k.group() == group && k.plural() == plural)
        .find_map(|k| versions(k).into_iter().find(|v| *v == version).map(|v| (k, v)))
}

/// `groupVersion` as discovery writes it (`v1` for the core group).
pub fn group_version(group: &str, version: &str) -> String {
    if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_resolves_from_its_own_path() {
        for k in Kind::ALL {
            assert_eq!(resolve(k.group(), version(k), k.plural()), Some((k, version(k))), "{k}");
        }
        assert_eq!(resolve("apps", "v1", "pods"), None);
        assert_eq!(resolve("", "v1", "deployments"), None);
    }

    #[test]
    fn the_core_group_comes_first() {
        assert_eq!(groups()[0], "");
        assert!(groups().contains(&"apps"));
        assert_eq!(versions_of("apps"), ["v1"]);
        assert_eq!(versions_of("autoscaling"), ["v2", "v1"]);
        assert_eq!(
            resolve("autoscaling", "v1", "horizontalpodautoscalers"),
            Some((Kind::HorizontalPodAutoscaler, "v1"))
        );
    }
}
