//! `/version`, API discovery (aggregated v2/v2beta1 and legacy, chosen by `Accept`) and the
//! OpenAPI v3 documents `kubectl apply` needs for its server-side field validation
//! (apiserver.md §2, §3).

use serde_json::{json, Value};

use super::review::{self, Review};
use super::{kinds, metrics};
use crate::api::Kind;

/// upstream: the gcloud kubectl dispatcher picks its built-in v1.32 for a server that reports
/// minor 32 (apiserver.md §0); kubesim answers as that API server. kubesim's own version (from
/// Cargo.toml, the one place it is set) follows as semver build metadata, as k3s reports
/// `v1.32.4+k3s1`, so `kubectl version` names it.
pub const GIT_VERSION: &str = concat!("v1.32.4+kubesim-", env!("CARGO_PKG_VERSION"));

pub fn version() -> Value {
    json!({
        "major": "1", "minor": "32", "gitVersion": GIT_VERSION,
        "gitCommit": "0000000000000000000000000000000000000000", "gitTreeState": "clean",
        "buildDate": "2026-01-01T00:00:00Z", "goVersion": "go1.23.6", "compiler": "gc",
        "platform": "linux/amd64",
    })
}

/// Which aggregated discovery format an `Accept` header asks for, if one: the first media range
/// that names one (upstream: kubectl 1.32 sends v2, then v2beta1, then plain JSON).
pub fn aggregated_version(accept: &str) -> Option<&'static str> {
    for range in accept.split(',') {
        let params: Vec<&str> = range.split(';').map(str::trim).collect();
        let has = |p: &str| params.contains(&p);
        if has("g=apidiscovery.k8s.io") && has("as=APIGroupDiscoveryList") {
            if has("v=v2") {
                return Some("v2");
            }
            if has("v=v2beta1") {
                return Some("v2beta1");
            }
        }
        if params.first().is_some_and(|m| *m == "application/json" || *m == "*/*") && params.len() == 1 {
            return None;
        }
    }
    None
}

/// The exact Content-Type of an aggregated answer: kubectl parses the body as the legacy
/// format unless it sees this (apiserver.md §2.1).
pub fn aggregated_content_type(version: &str) -> String {
    format!("application/json;g=apidiscovery.k8s.io;v={version};as=APIGroupDiscoveryList")
}

fn short_names(kind: Kind) -> Value {
    json!(kind.short_names())
}

fn aggregated_resource(kind: Kind, version: &str) -> Value {
    let group = kind.group();
    let mut subresources = Vec::new();
    if kinds::has_scale(kind) {
        subresources.push(json!({"subresource": "scale",
            "responseKind": {"group": "autoscaling", "version": "v1", "kind": "Scale"},
            "verbs": ["get", "patch", "update"]}));
    }
    if kinds::has_status(kind) {
        subresources.push(json!({"subresource": "status",
            "responseKind": {"group": group, "version": version, "kind": kind.name()},
            "verbs": ["get", "patch", "update"]}));
    }
    if kinds::has_eviction(kind) {
        subresources.push(json!({"subresource": "eviction",
            "responseKind": {"group": "policy", "version": "v1", "kind": "Eviction"}, "verbs": ["create"]}));
    }
    if kinds::has_token(kind) {
        subresources.push(json!({"subresource": "token",
            "responseKind": {"group": "authentication.k8s.io", "version": "v1", "kind": "TokenRequest"},
            "verbs": ["create"]}));
    }
    let mut r = json!({
        "resource": kind.plural(),
        "responseKind": {"group": group, "version": version, "kind": kind.name()},
        "scope": if kind.namespaced() { "Namespaced" } else { "Cluster" },
        "singularResource": kind.singular(),
        "verbs": kinds::VERBS,
        "shortNames": short_names(kind),
    });
    if !kinds::categories(kind).is_empty() {
        r["categories"] = json!(kinds::categories(kind));
    }
    if !subresources.is_empty() {
        r["subresources"] = Value::Array(subresources);
    }
    r
}

fn aggregated_group(group: &str) -> Value {
    let versions: Vec<Value> = kinds::versions_of(group)
        .into_iter()
        .map(|v| {
            let resources: Vec<Value> =
                kinds::kinds_of(group, v).into_iter().map(|k| aggregated_resource(k, v)).collect();
            json!({"version": v, "resources": resources, "freshness": "Current"})
        })
        .collect();
    json!({"metadata": {"name": group, "creationTimestamp": null}, "versions": versions})
}

/// The metrics API group (served from the metrics pipeline, not the store).
fn aggregated_metrics() -> Value {
    let resources: Vec<Value> = metrics::RESOURCES
        .iter()
        .map(|(plural, kind, namespaced)| {
            json!({"resource": plural, "responseKind": {"group": metrics::GROUP, "version": metrics::VERSION, "kind": kind},
                   "scope": if *namespaced { "Namespaced" } else { "Cluster" },
                   "singularResource": "", "verbs": ["get", "list"]})
        })
        .collect();
    json!({"metadata": {"name": metrics::GROUP, "creationTimestamp": null},
           "versions": [{"version": metrics::VERSION, "resources": resources, "freshness": "Current"}]})
}

/// The review groups (create-only resources answered without storing, see [`review`]).
const REVIEW_GROUPS: [&str; 2] = [review::AUTHENTICATION, review::AUTHORIZATION];

fn reviews_of(group: &str) -> impl Iterator<Item = Review> + '_ {
    Review::ALL.into_iter().filter(move |r| r.group() == group)
}

fn aggregated_reviews(group: &str) -> Value {
    let resources: Vec<Value> = reviews_of(group)
        .map(|r| {
            json!({"resource": r.plural(), "responseKind": {"group": group, "version": review::VERSION, "kind": r.kind()},
                   "scope": if r.namespaced() { "Namespaced" } else { "Cluster" },
                   "singularResource": r.plural().trim_end_matches('s'), "verbs": ["create"]})
        })
        .collect();
    json!({"metadata": {"name": group, "creationTimestamp": null},
           "versions": [{"version": review::VERSION, "resources": resources, "freshness": "Current"}]})
}

/// `GET /api` (`core` true) or `GET /apis` as an APIGroupDiscoveryList.
pub fn aggregated(core: bool, version: &str) -> Value {
    let mut groups: Vec<Value> =
        kinds::groups().into_iter().filter(|g| g.is_empty() == core).map(aggregated_group).collect();
    if !core {
        groups.extend(REVIEW_GROUPS.map(aggregated_reviews));
        groups.push(aggregated_metrics());
    }
    json!({"kind": "APIGroupDiscoveryList", "apiVersion": format!("apidiscovery.k8s.io/{version}"),
           "metadata": {}, "items": groups})
}

/// Legacy `GET /api`.
pub fn api_versions(server_address: &str) -> Value {
    json!({"kind": "APIVersions", "versions": ["v1"],
           "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}]})
}

fn api_group(group: &str) -> Value {
    let versions: Vec<Value> = kinds::versions_of(group)
        .into_iter()
        .map(|v| json!({"groupVersion": kinds::group_version(group, v), "version": v}))
        .collect();
    let preferred = versions.first().cloned().unwrap_or(Value::Null);
    json!({"name": group, "versions": versions, "preferredVersion": preferred})
}

/// Legacy `GET /apis`.
pub fn api_group_list() -> Value {
    let mut groups: Vec<Value> = kinds::groups().into_iter().filter(|g| !g.is_empty()).map(api_group).collect();
    groups.extend(REVIEW_GROUPS.map(review_group));
    groups.push(metrics_group());
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
}

fn review_group(group: &str) -> Value {
    let gv = json!({"groupVersion": format!("{group}/{}", review::VERSION), "version": review::VERSION});
    json!({"name": group, "versions": [gv.clone()], "preferredVersion": gv})
}

fn metrics_group() -> Value {
    let gv = json!({"groupVersion": format!("{}/{}", metrics::GROUP, metrics::VERSION), "version": metrics::VERSION});
    json!({"name": metrics::GROUP, "versions": [gv.clone()], "preferredVersion": gv})
}

/// Legacy `GET /apis/{group}`, if the group is served.
pub fn api_group_object(group: &str) -> Option<Value> {
    let mut g = if group == metrics::GROUP {
        metrics_group()
    } else if REVIEW_GROUPS.contains(&group) {
        review_group(group)
    } else if group.is_empty() || !kinds::groups().contains(&group) {
        return None;
    } else {
        api_group(group)
    };
    g["kind"] = json!("APIGroup");
    g["apiVersion"] = json!("v1");
    Some(g)
}

/// Legacy `GET /api/v1` or `/apis/{group}/{version}`, if served.
pub fn api_resource_list(group: &str, version: &str) -> Option<Value> {
    if (group, version) == (metrics::GROUP, metrics::VERSION) {
        let resources: Vec<Value> = metrics::RESOURCES
            .iter()
            .map(|(plural, kind, namespaced)| {
                json!({"name": plural, "singularName": "", "namespaced": namespaced, "kind": kind, "verbs": ["get", "list"]})
            })
            .collect();
        return Some(json!({"kind": "APIResourceList", "apiVersion": "v1",
                           "groupVersion": format!("{}/{}", metrics::GROUP, metrics::VERSION), "resources": resources}));
    }
    if REVIEW_GROUPS.contains(&group) && version == review::VERSION {
        let resources: Vec<Value> = reviews_of(group)
            .map(|r| {
                json!({"name": r.plural(), "singularName": r.plural().trim_end_matches('s'),
                            "namespaced": r.namespaced(), "kind": r.kind(), "verbs": ["create"]})
            })
            .collect();
        return Some(json!({"kind": "APIResourceList", "apiVersion": "v1",
                           "groupVersion": format!("{group}/{}", review::VERSION), "resources": resources}));
    }
    let served = kinds::kinds_of(group, version);
    if served.is_empty() {
        return None;
    }
    let mut resources = Vec::new();
    for kind in served {
        let mut r = json!({"name": kind.plural(), "singularName": kind.singular(),
            "namespaced": kind.namespaced(), "kind": kind.name(), "verbs": kinds::VERBS,
            "shortNames": short_names(kind)});
        if !kinds::categories(kind).is_empty() {
            r["categories"] = json!(kinds::categories(kind));
        }
        resources.push(r);
        if kinds::has_scale(kind) {
            resources.push(json!({"name": format!("{}/scale", kind.plural()), "singularName": "",
                "namespaced": kind.namespaced(), "group": "autoscaling", "version": "v1", "kind": "Scale",
                "verbs": ["get", "patch", "update"]}));
        }
        if kinds::has_status(kind) {
            resources.push(json!({"name": format!("{}/status", kind.plural()), "singularName": "",
                "namespaced": kind.namespaced(), "kind": kind.name(), "verbs": ["get", "patch", "update"]}));
        }
        if kinds::has_eviction(kind) {
            resources.push(json!({"name": format!("{}/eviction", kind.plural()), "singularName": "",
                "namespaced": true, "group": "policy", "version": "v1", "kind": "Eviction", "verbs": ["create"]}));
        }
        if kinds::has_token(kind) {
            resources.push(json!({"name": format!("{}/token", kind.plural()), "singularName": "",
                "namespaced": true, "group": "authentication.k8s.io", "version": "v1", "kind": "TokenRequest",
                "verbs": ["create"]}));
        }
    }
    Some(json!({"kind": "APIResourceList", "apiVersion": "v1",
                "groupVersion": kinds::group_version(group, version), "resources": resources}))
}

/// The OpenAPI path of a group-version (`api/v1`, `apis/apps/v1`).
fn openapi_path(group: &str, version: &str) -> String {
    if group.is_empty() {
        format!("api/{version}")
    } else {
        format!("apis/{group}/{version}")
    }
}

fn group_versions() -> Vec<(&'static str, &'static str)> {
    let mut out = Vec::new();
    for g in kinds::groups() {
        for v in kinds::versions_of(g) {
            out.push((g, v));
        }
    }
    out
}

/// Every group-version's OpenAPI path, its document's text and that text's hash: built on first
/// use, once per process (the schemas take a few hundred types to generate; a served document
/// is then a copy of bytes).
fn openapi_documents() -> &'static [(String, bytes::Bytes, String)] {
    static DOCS: std::sync::OnceLock<Vec<(String, bytes::Bytes, String)>> = std::sync::OnceLock::new();
    DOCS.get_or_init(|| {
        group_versions()
            .into_iter()
            .map(|(g, v)| {
                let text = openapi_document(g, v).to_string();
                let hash = fnv_hex(&text);
                (openapi_path(g, v), bytes::Bytes::from(text), hash)
            })
            .collect()
    })
}

/// `GET /openapi/v3`: one entry per served group-version, at a URL with the document's hash.
pub fn openapi_index() -> Value {
    let mut paths = serde_json::Map::new();
    for (path, _, hash) in openapi_documents() {
        paths.insert(path.clone(), json!({"serverRelativeURL": format!("/openapi/v3/{path}?hash={hash}")}));
    }
    json!({"paths": paths})
}

/// `GET /openapi/v3/{path}` as JSON text, if it names a served group-version.
pub fn openapi_bytes(path: &str) -> Option<bytes::Bytes> {
    openapi_documents().iter().find(|(p, _, _)| p == path).map(|(_, text, _)| text.clone())
}

/// `GET /openapi/v3/{path}`, if it names a served group-version.
#[cfg(test)]
pub fn openapi_for_path(path: &str) -> Option<Value> {
    openapi_bytes(path).and_then(|b| serde_json::from_slice(&b).ok())
}

/// A per-group-version document with, for each kind, the item path's PATCH operation carrying
/// the kind's GVK and a `fieldValidation` parameter: what kubectl's query-parameter verifier
/// looks for before it leaves validation to the server (apiserver.md §3.2); and the kinds'
/// schemas, which `kubectl explain` reads ([`super::openapi`]).
fn openapi_document(group: &str, version: &str) -> Value {
    let mut paths = serde_json::Map::new();
    let prefix = format!("/{}", openapi_path(group, version));
    for kind in kinds::kinds_of(group, version) {
        let item = if kind.namespaced() {
            format!("{prefix}/namespaces/{{namespace}}/{}/{{name}}", kind.plural())
        } else {
            format!("{prefix}/{}/{{name}}", kind.plural())
        };
        let gvk = json!({"group": group, "version": version, "kind": kind.name()});
        let params = json!([
            {"name": "dryRun", "in": "query", "schema": {"type": "string"}},
            {"name": "fieldManager", "in": "query", "schema": {"type": "string"}},
            {"name": "fieldValidation", "in": "query", "schema": {"type": "string"}},
            {"name": "force", "in": "query", "schema": {"type": "boolean"}},
        ]);
        let body = json!({"content": {
            "application/apply-patch+yaml": {}, "application/json-patch+json": {},
            "application/merge-patch+json": {}, "application/strategic-merge-patch+json": {}}});
        paths.insert(
            item,
            json!({"patch": {"operationId": format!("patch{}", kind.name()),
                "x-kubernetes-action": "patch", "x-kubernetes-group-version-kind": gvk,
                "parameters": params, "requestBody": body,
                "responses": {"200": {"description": "OK"}}}}),
        );
    }
    json!({"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": GIT_VERSION}, "paths": paths,
           "components": {"schemas": super::openapi::schemas(group, version)}})
}

/// FNV-1a, hex: a stable hash for the OpenAPI index's URLs.
fn fnv_hex(text: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016X}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_picks_the_aggregated_format_kubectl_asks_for_first() {
        let kubectl = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json";
        assert_eq!(aggregated_version(kubectl), Some("v2"));
        assert_eq!(
            aggregated_version("application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList"),
            Some("v2beta1")
        );
        assert_eq!(aggregated_version("application/json"), None);
        assert_eq!(aggregated_version("application/json, */*"), None);
    }

    #[test]
    fn aggregated_discovery_lists_scale_and_categories() {
        let apis = aggregated(false, "v2");
        let apps = apis["items"].as_array().unwrap().iter().find(|g| g["metadata"]["name"] == "apps").unwrap();
        let deploy = apps["versions"][0]["resources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["resource"] == "deployments")
            .unwrap();
        assert_eq!(deploy["shortNames"], json!(["deploy"]));
        assert_eq!(deploy["categories"], json!(["all"]));
        assert!(deploy["subresources"].as_array().unwrap().iter().any(|s| s["subresource"] == "scale"));
        let core = aggregated(true, "v2");
        assert_eq!(core["items"][0]["metadata"]["name"], "");
        assert!(core["items"][0]["versions"][0]["resources"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["resource"] == "pods"));
    }

    #[test]
    fn openapi_documents_carry_a_patch_with_field_validation_for_every_kind() {
        let index = openapi_index();
        for kind in Kind::ALL {
            let path = openapi_path(kind.group(), kinds::version(kind));
            assert!(index["paths"][&path]["serverRelativeURL"].as_str().unwrap().contains("?hash="));
            let doc = openapi_for_path(&path).unwrap();
            let op = doc["paths"]
                .as_object()
                .unwrap()
                .values()
                .find(|p| p["patch"]["x-kubernetes-group-version-kind"]["kind"] == kind.name());
            let op = op.unwrap_or_else(|| panic!("{kind} has no PATCH operation"));
            assert!(op["patch"]["parameters"].as_array().unwrap().iter().any(|p| p["name"] == "fieldValidation"));
        }
    }
}
