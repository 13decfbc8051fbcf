//! The API server without sockets: one request at a time, answered by the router and handlers
//! `handle` uses. For the fuzzer (fuzz/fuzz_targets/server.rs) and tests.
//!
//! What the HTTP layer does before routing is left out: authentication, the body limit and read
//! timeout, and watches (which stream from the runtime). A panic is not caught, unlike in
//! `handle`, so that it surfaces.

use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use parking_lot::Mutex;

use super::http::Payload;
use super::request::{self, Request, Route};
use super::{dispatch, ClockMode, State};
use crate::cluster::Cluster;

/// A request as it would arrive: `query` is the raw query string (after `?`).
pub struct InProcessRequest<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: &'a str,
    pub accept: &'a str,
    pub content_type: &'a str,
    pub body: &'a [u8],
}

/// A cluster served in process, its virtual time moved only by `POST /kubesim/advance`.
pub struct InProcess {
    state: State,
}

impl InProcess {
    pub fn new(cluster: Cluster) -> InProcess {
        let now = cluster.now();
        InProcess {
            state: State {
                cluster: Arc::new(Mutex::new(cluster)),
                token: None,
                clock: ClockMode::Manual,
                anchor: (Instant::now(), now),
                broken: Arc::default(),
                writes: Arc::default(),
                address: "127.0.0.1:0".into(),
                stopping: AtomicBool::new(false),
                managed: Mutex::default(),
            },
        }
    }

    /// The cluster, between requests.
    pub fn cluster(&self) -> parking_lot::MutexGuard<'_, Cluster> {
        self.state.cluster.lock()
    }

    /// The status code and body of the answer; `None` for a watch (not served in process).
    pub fn request(&self, r: &InProcessRequest<'_>) -> Option<(u16, Bytes)> {
        let request = Request {
            method: r.method.to_string(),
            path: r.path.to_string(),
            query: request::decode_query(r.query),
            accept: r.accept.to_string(),
            content_type: r.content_type.to_string(),
            user_agent: String::new(),
            user: super::review::User::anonymous(),
            body: Bytes::copy_from_slice(r.body),
        };
        let route = request::route(&request.path);
        if let Route::Resource(t) = &route {
            if request.method == "GET" && request.flag("watch") && t.name.is_none() {
                return None;
            }
        }
        let response = dispatch(&self.state, &request, route);
        let code = response.status().as_u16();
        let body = match response.into_body() {
            Payload::Full(b) => b.unwrap_or_default(),
            Payload::Stream(_) => Bytes::new(),
        };
        Some((code, body))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::ClusterOptions;

    fn get(server: &InProcess, path: &str) -> (u16, String) {
        let r = InProcessRequest { method: "GET", path, query: "", accept: "", content_type: "", body: b"" };
        let (code, body) = server.request(&r).expect("not a watch");
        (code, String::from_utf8(body.to_vec()).unwrap())
    }

    #[test]
    fn answers_like_the_server_over_http() {
        let server = InProcess::new(Cluster::new(ClusterOptions::default()).unwrap());
        let (code, body) = get(&server, "/api/v1/namespaces/default/pods/nope");
        assert_eq!(code, 404);
        assert!(body.contains(r#""message":"pods \"nope\" not found""#), "{body}");
        assert_eq!(get(&server, "/api/v1/nodes").0, 200);
        assert_eq!(get(&server, "/nowhere").0, 404);
        let watch = InProcessRequest {
            method: "GET",
            path: "/api/v1/pods",
            query: "watch=true",
            accept: "",
            content_type: "",
            body: b"",
        };
        assert_eq!(server.request(&watch), None);
    }
}
