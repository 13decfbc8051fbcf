//! A request as the handlers see it (its body read, its query decoded) and the route its path
//! names (apiserver.md §1: namespaced and cluster paths, subresources).

use bytes::Bytes;

use super::kinds;
use super::review::{self, Review, User};
use crate::api::Kind;

pub struct Request {
    pub method: String,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub accept: String,
    pub content_type: String,
    /// `User-Agent`: names the field manager of a write without `fieldManager`.
    pub user_agent: String,
    /// Who the request is from, as the reviews answer it.
    pub user: User,
    pub body: Bytes,
}

impl Request {
    /// The first value of a query parameter (unknown parameters are ignored, as upstream).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    pub fn flag(&self, name: &str) -> bool {
        matches!(self.param(name), Some("true" | "1"))
    }

    /// kubectl get asks for `application/json;as=Table;v=v1;g=meta.k8s.io`.
    pub fn wants_table(&self) -> bool {
        self.accept.split(',').any(|r| {
            let p: Vec<&str> = r.split(';').map(str::trim).collect();
            p.contains(&"as=Table") && p.contains(&"g=meta.k8s.io")
        })
    }
}

/// upstream: url.ParseQuery — `+` is a space, `%XX` a byte.
pub fn decode_query(q: &str) -> Vec<(String, String)> {
    q.split('&')
        .filter(|kv| !kv.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (unescape(k), unescape(v))
        })
        .collect()
}

fn unescape(s: &str) -> String {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = match bytes[i] {
            b'%' if i + 2 < bytes.len() => hex(bytes[i + 1]).zip(hex(bytes[i + 2])).map(|(h, l)| h * 16 + l),
            _ => None,
        };
        match (bytes[i], escaped) {
            (_, Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b'+', None) => {
                out.push(b' ');
                i += 1;
            }
            (b, None) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl Target {
    /// `apiVersion` of what the path serves (`apps/v1`, `v1`, `autoscaling/v1`).
    pub fn api_version(&self) -> String {
        kinds::group_version(self.kind.group(), self.version)
    }
}

/// A resource path: kind, namespace, name and subresource.
#[derive(Clone, Debug, PartialEq)]
pub struct Target {
    pub kind: Kind,
    /// The version the path names (objects are converted to it).
    pub version: &'static str,
    pub namespace: Option<String>,
    pub name: Option<String>,
    pub sub: Option<String>,
}

#[derive(Debug, PartialEq)]
pub enum Route {
    Version,
    /// `/api` (true) or `/apis`.
    Root(bool),
    Group(String),
    GroupVersion(String, String),
    OpenApiIndex,
    OpenApi(String),
    Resource(Target),
    /// The metrics API: plural (`pods`, `nodes`), namespace, name.
    Metrics(String, Option<String>, Option<String>),
    /// A review (create only), and the namespace of a LocalSubjectAccessReview.
    Review(Review, Option<String>),
    /// `POST /kubesim/advance?by=30s`: move virtual time.
    Advance,
    /// `GET /kubesim/clock`: the virtual clock.
    Clock,
    /// `/healthz`, `/livez`, `/readyz` (the endpoint), or one named check of it.
    Health(&'static str, Option<String>),
    Unknown,
}

pub fn route(path: &str) -> Route {
    let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
    match segs.as_slice() {
        ["version"] => Route::Version,
        ["api"] => Route::Root(true),
        ["apis"] => Route::Root(false),
        ["api", "v1"] => Route::GroupVersion(String::new(), "v1".into()),
        ["api", "v1", rest @ ..] => resource("", "v1", rest),
        ["apis", g] => Route::Group((*g).into()),
        ["apis", g, v] => Route::GroupVersion((*g).into(), (*v).into()),
        ["apis", "metrics.k8s.io", "v1beta1", rest @ ..] => metrics(rest),
        ["apis", g @ (review::AUTHORIZATION | review::AUTHENTICATION), v, rest @ ..] => {
            Review::of(g, v, rest).map_or(Route::Unknown, |(r, ns)| Route::Review(r, ns))
        }
        ["apis", g, v, rest @ ..] => resource(g, v, rest),
        ["openapi", "v3"] => Route::OpenApiIndex,
        ["openapi", "v3", rest @ ..] => Route::OpenApi(rest.join("/")),
        ["kubesim", "advance"] => Route::Advance,
        ["kubesim", "clock"] => Route::Clock,
        [endpoint @ ("healthz" | "livez" | "readyz"), check @ ..] if check.len() <= 1 => {
            let endpoint = match *endpoint {
                "healthz" => "healthz",
                "livez" => "livez",
                _ => "readyz",
            };
            Route::Health(endpoint, check.first().map(|c| c.to_string()))
        }
        _ => Route::Unknown,
    }
}

fn metrics(rest: &[&str]) -> Route {
    let route = |ns: Option<&str>, plural: &str, name: Option<&&str>| {
        Route::Metrics(plural.to_string(), ns.map(str::to_string), name.map(|n| n.to_string()))
    };
    match rest {
        ["namespaces", ns, "pods", more @ ..] if more.len() <= 1 => route(Some(ns), "pods", more.first()),
        ["pods" | "nodes", more @ ..] if more.len() <= 1 => route(None, rest[0], more.first()),
        _ => Route::Unknown,
    }
}

fn resource(group: &str, version: &str, rest: &[&str]) -> Route {
    let target = |ns: Option<&str>, plural: &str, more: &[&str]| -> Route {
        let Some((kind, version)) = kinds::resolve(group, version, plural) else { return Route::Unknown };
        let known_sub = more.get(1).is_none_or(|s| matches!(*s, "status" | "scale"))
            || (kind == Kind::Pod && matches!(more.get(1), Some(&"log" | &"eviction")))
            || (kinds::has_token(kind) && more.get(1) == Some(&"token"));
        if more.len() > 2 || !known_sub || (ns.is_some() && !kind.namespaced()) {
            return Route::Unknown;
        }
        Route::Resource(Target {
            kind,
            version,
            namespace: ns.map(str::to_string),
            name: more.first().map(|s| s.to_string()),
            sub: more.get(1).map(|s| s.to_string()),
        })
    };
    match rest {
        // upstream: `namespaces/X` followed by at least one more segment is a namespace prefix,
        // except for a Namespace's own subresources.
        ["namespaces", ns, plural, more @ ..] if kinds::resolve(group, version, plural).is_some() => {
            target(Some(ns), plural, more)
        }
        [plural, more @ ..] if !plural.is_empty() => target(None, plural, more),
        _ => Route::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(kind: Kind, ns: Option<&str>, name: Option<&str>, sub: Option<&str>) -> Route {
        Route::Resource(Target {
            kind,
            version: kinds::version(kind),
            namespace: ns.map(Into::into),
            name: name.map(Into::into),
            sub: sub.map(Into::into),
        })
    }

    #[test]
    fn paths_route_like_the_api_server() {
        assert_eq!(route("/api/v1/namespaces/default/pods"), t(Kind::Pod, Some("default"), None, None));
        assert_eq!(route("/api/v1/pods"), t(Kind::Pod, None, None, None));
        assert_eq!(route("/api/v1/namespaces/kube-system"), t(Kind::Namespace, None, Some("kube-system"), None));
        assert_eq!(route("/api/v1/namespaces/x/status"), t(Kind::Namespace, None, Some("x"), Some("status")));
        assert_eq!(
            route("/apis/apps/v1/namespaces/default/deployments/web/scale"),
            t(Kind::Deployment, Some("default"), Some("web"), Some("scale"))
        );
        assert_eq!(route("/apis/apps/v1/deployments"), t(Kind::Deployment, None, None, None));
        assert_eq!(route("/api/v1/nodes/node-1"), t(Kind::Node, None, Some("node-1"), None));
        assert_eq!(route("/api/v1/namespaces/default/nodes/node-1"), Route::Unknown);
        assert_eq!(route("/api/v1/namespaces/default/configmaps"), t(Kind::ConfigMap, Some("default"), None, None));
        assert_eq!(route("/api/v1/persistentvolumes"), Route::Unknown);
        assert_eq!(route("/apis/apps/v1/namespaces/default/widgets"), Route::Unknown);
        assert_eq!(route("/apis/apps/v1"), Route::GroupVersion("apps".into(), "v1".into()));
        assert_eq!(route("/version"), Route::Version);
        assert_eq!(route("/readyz"), Route::Health("readyz", None));
        assert_eq!(route("/livez/ping"), Route::Health("livez", Some("ping".into())));
        assert_eq!(route("/healthz/a/b"), Route::Unknown);
        assert_eq!(
            route("/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/web"),
            Route::Metrics("pods".into(), Some("default".into()), Some("web".into()))
        );
        assert_eq!(route("/apis/metrics.k8s.io/v1beta1/nodes"), Route::Metrics("nodes".into(), None, None));
        assert_eq!(route("/apis/metrics.k8s.io/v1beta1/namespaces/default/nodes"), Route::Unknown);
    }

    #[test]
    fn queries_decode_like_go() {
        let q = decode_query("fieldSelector=metadata.name%3Dweb&labelSelector=a+in+(x%2Cy)&watch=true&bad=%zz");
        assert_eq!(q[0], ("fieldSelector".into(), "metadata.name=web".into()));
        assert_eq!(q[1], ("labelSelector".into(), "a in (x,y)".into()));
        assert_eq!(q[2], ("watch".into(), "true".into()));
        assert_eq!(q[3], ("bad".into(), "%zz".into()));
    }
}
