//! An embedded Kubernetes API server: real `kubectl` and the official clients talk to a
//! simulated cluster over HTTP (apiserver.md is the surface it follows).
//!
//! The server runs on its own thread with a current-thread tokio runtime and hyper 1.x
//! (HTTP/1.1, keep-alive, chunked watches). Every request that touches the cluster runs on
//! tokio's blocking pool and takes the cluster lock once, so requests are serialized with each
//! other and with Python's calls: in `manual` clock mode, the simulation's history depends only
//! on the order of requests and calls, never on their timing.
//!
//! Time: [`ClockMode::Manual`] moves virtual time only when Python calls `advance`/`run_until`
//! or a client sends `POST /kubesim/advance?by=30s`. [`ClockMode::Wall`] makes virtual time
//! follow the wall clock (× speed) from the moment the server started: before each request and
//! every 50 ms the cluster runs up to that point, so watches see rollouts progress.

mod discovery;
mod fields;
mod http;
mod in_process;
mod kinds;
mod metrics;
mod openapi;
mod patch;
mod protobuf;
mod request;
mod rest;
mod review;
mod ssa;
mod status;
mod table;
mod token;
mod validation;
mod watch;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use parking_lot::Mutex;
use serde_json::{json, Value};

use crate::cluster::Cluster;
use crate::kubelet::logs::LogOptions;
use crate::sim::clock::Millis;
use http::{body_json, failure_response, json_response, respond, Response};
use request::{Request, Route};
use rest::PatchType;
use status::Failure;

pub use in_process::{InProcess, InProcessRequest};

/// How virtual time moves while serving.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ClockMode {
    /// Only by Python or `POST /kubesim/advance`.
    Manual,
    /// With the wall clock, `speed` virtual seconds per wall second, from when serving started.
    Wall { speed: f64 },
}

pub struct ServerOptions {
    pub address: String,
    /// 0 picks a free port.
    pub port: u16,
    /// When set, every request must carry `Authorization: Bearer <token>` (401 otherwise).
    pub token: Option<String>,
    pub clock: ClockMode,
    /// Shared with whoever else drives the cluster: a panic while serving marks the cluster
    /// broken (every later call fails with this message), as a panic in a Python call does.
    pub broken: Arc<Mutex<Option<String>>>,
    /// Counts the requests that changed the cluster (and wall-clock advances): such a cluster's
    /// history is not a replay of Python calls.
    pub writes: Arc<AtomicU64>,
}

/// upstream: the API server's default --max-request-bytes for a request body (3 MiB).
const MAX_BODY: usize = 3 * 1024 * 1024;
/// A client has this long to send its headers, and then its body.
const READ_TIMEOUT: Duration = Duration::from_secs(30);
/// How often the wall clock moves the cluster on.
const TICK: Duration = Duration::from_millis(50);

pub struct State {
    cluster: Arc<Mutex<Cluster>>,
    token: Option<String>,
    clock: ClockMode,
    /// Wall mode: the wall instant and virtual time serving started at.
    anchor: (Instant, Millis),
    broken: Arc<Mutex<Option<String>>>,
    writes: Arc<AtomicU64>,
    address: String,
    stopping: AtomicBool,
    /// Who set which fields of the objects written through this server.
    managed: Mutex<fields::Managed>,
}

impl State {
    /// Wall mode: run the cluster up to the virtual time the wall clock has reached. A Python
    /// `advance` beyond it simply leaves the cluster ahead until the wall clock catches up.
    fn catch_up(&self, c: &mut Cluster) {
        let ClockMode::Wall { speed } = self.clock else { return };
        let elapsed = self.anchor.0.elapsed().as_secs_f64() * 1000.0 * speed;
        let target = self.anchor.1.saturating_add(elapsed.min(1e15) as Millis);
        if target > c.now() {
            self.writes.fetch_add(1, Ordering::Relaxed);
            if let Err(e) = c.run_to(target) {
                // The cluster stays where the failure stopped it; requests report it.
                *self.broken.lock() = Some(format!("the wall clock could not advance the cluster: {e}"));
            }
        }
    }

    fn stopping(&self) -> bool {
        self.stopping.load(Ordering::Relaxed)
    }
}

/// A running server; stopping it (or dropping it) ends its thread.
pub struct Server {
    url: String,
    state: Arc<State>,
    shutdown: Option<tokio::sync::watch::Sender<bool>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    /// Bind `address:port` and serve `cluster` from a new thread.
    pub fn start(cluster: Arc<Mutex<Cluster>>, options: ServerOptions) -> std::io::Result<Server> {
        let listener = std::net::TcpListener::bind((options.address.as_str(), options.port))?;
        listener.set_nonblocking(true)?;
        let addr: SocketAddr = listener.local_addr()?;
        let now = cluster.lock().now();
        let state = Arc::new(State {
            cluster,
            token: options.token,
            clock: options.clock,
            anchor: (Instant::now(), now),
            broken: options.broken,
            writes: options.writes,
            address: addr.to_string(),
            stopping: AtomicBool::new(false),
            managed: Mutex::default(),
        });
        let (tx, rx) = tokio::sync::watch::channel(false);
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        let st = state.clone();
        let thread = std::thread::Builder::new().name("kubesim-apiserver".into()).spawn(move || {
            runtime.block_on(serve(listener, st, rx));
            runtime.shutdown_timeout(Duration::from_secs(2));
        })?;
        Ok(Server { url: format!("http://{addr}"), state, shutdown: Some(tx), thread: Some(thread) })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn is_running(&self) -> bool {
        self.thread.as_ref().is_some_and(|t| !t.is_finished())
    }

    /// Stop accepting, end open watches and connections, and join the thread.
    pub fn stop(&mut self) {
        self.state.stopping.store(true, Ordering::Relaxed);
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(true);
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

async fn serve(listener: std::net::TcpListener, state: Arc<State>, mut shutdown: tokio::sync::watch::Receiver<bool>) {
    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else { return };
    if matches!(state.clock, ClockMode::Wall { .. }) {
        let st = state.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(TICK).await;
                let s = st.clone();
                let _ = tokio::task::spawn_blocking(move || {
                    if let Some(mut c) = s.cluster.try_lock_for(Duration::from_millis(5)) {
                        // Only when something falls due: requests catch up by themselves.
                        if s.broken.lock().is_none() {
                            let target_due = c.next_event_time().is_some();
                            if target_due {
                                s.catch_up(&mut c);
                            }
                        }
                    }
                })
                .await;
            }
        });
    }
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let _ = stream.set_nodelay(true);
                let st = state.clone();
                let mut stop = shutdown.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |req| http::handle(st.clone(), req));
                    let conn = hyper::server::conn::http1::Builder::new()
                        .timer(hyper_util::rt::TokioTimer::new())
                        .header_read_timeout(READ_TIMEOUT)
                        .serve_connection(hyper_util::rt::TokioIo::new(stream), service);
                    tokio::pin!(conn);
                    tokio::select! {
                        _ = conn.as_mut() => {}
                        _ = stop.changed() => {}
                    }
                });
            }
            _ = shutdown.changed() => break,
        }
    }
}

fn dispatch(state: &State, req: &Request, route: Route) -> Response {
    let get = req.method == "GET";
    match route {
        Route::Version if get => json_response(200, &discovery::version()),
        Route::Root(core) if get => match discovery::aggregated_version(&req.accept) {
            Some(v) => respond(
                200,
                &discovery::aggregated_content_type(v),
                Bytes::from(discovery::aggregated(core, v).to_string()),
            ),
            None if core => json_response(200, &discovery::api_versions(&state.address)),
            None => json_response(200, &discovery::api_group_list()),
        },
        Route::Group(g) if get => discovery::api_group_object(&g)
            .map(|v| json_response(200, &v))
            .unwrap_or_else(|| failure_response(Failure::no_route())),
        Route::GroupVersion(g, v) if get => discovery::api_resource_list(&g, &v)
            .map(|v| json_response(200, &v))
            .unwrap_or_else(|| failure_response(Failure::no_route())),
        Route::OpenApiIndex if get => json_response(200, &discovery::openapi_index()),
        Route::OpenApi(path) if get => discovery::openapi_bytes(&path)
            .map(|b| respond(200, "application/json", b))
            .unwrap_or_else(|| failure_response(Failure::no_route())),
        // upstream: the health endpoints' checks; kubesim has one, ping, always passing.
        Route::Health(endpoint, check) if get => match check.as_deref() {
            None if req.param("verbose").is_some() => {
                respond(200, "text/plain; charset=utf-8", Bytes::from(format!("[+]ping ok\n{endpoint} check passed\n")))
            }
            None | Some("ping") => respond(200, "text/plain; charset=utf-8", Bytes::from_static(b"ok")),
            Some(_) => failure_response(Failure::no_route()),
        },
        Route::Clock if get => {
            let mut c = state.cluster.lock();
            state.catch_up(&mut c);
            json_response(200, &clock_json(&c))
        }
        Route::Advance if req.method == "POST" => {
            let by = req.param("by").unwrap_or("");
            let ms = match crate::sim::clock::parse_duration(by) {
                Ok(ms) => ms,
                Err(e) => return failure_response(status::failure(&e.into())),
            };
            let mut c = state.cluster.lock();
            state.catch_up(&mut c);
            state.writes.fetch_add(1, Ordering::Relaxed);
            match c.advance(ms) {
                Ok(()) => json_response(200, &clock_json(&c)),
                Err(e) => failure_response(status::failure(&e)),
            }
        }
        Route::Metrics(plural, ns, name) if get => {
            let mut c = state.cluster.lock();
            state.catch_up(&mut c);
            let selector = req.param("labelSelector").unwrap_or("");
            match metrics::get(&c, &plural, ns.as_deref(), name.as_deref(), selector) {
                Ok(v) => json_response(200, &v),
                Err(f) => failure_response(f),
            }
        }
        Route::Resource(t) => resource(state, req, &t),
        Route::Review(r, namespace) if req.method == "POST" => {
            let answer = body_json(req, false).and_then(|body| {
                // (Only the SelfSubjectReview reads the cluster: its creation time is now.)
                let now = if r == review::Review::SelfSubject {
                    let mut c = state.cluster.lock();
                    state.catch_up(&mut c);
                    serde_json::to_value(crate::api::meta::to_time(c.now())).unwrap_or(Value::Null)
                } else {
                    Value::Null
                };
                review::create(r, namespace.as_deref(), body, &req.user, now)
            });
            match answer {
                Ok(v) => json_response(201, &v),
                Err(f) => failure_response(f),
            }
        }
        Route::Unknown => failure_response(Failure::no_route()),
        _ => failure_response(Failure::method_not_allowed(&req.method)),
    }
}

/// `GET …/pods/{name}/log` (upstream: the pod log REST, PodLogOptions): the text as is.
fn pod_log(state: &State, req: &Request, t: &request::Target) -> Response {
    if req.method != "GET" {
        return failure_response(Failure::method_not_allowed(&req.method));
    }
    let int = |name: &str| -> Result<Option<i64>, Failure> {
        req.param(name)
            .filter(|v| !v.is_empty())
            .map(|v| v.parse::<i64>().map_err(|_| Failure::bad_request(format!("{name}: Invalid value: \"{v}\""))))
            .transpose()
    };
    let mut guard = state.cluster.lock();
    state.catch_up(&mut guard);
    let now = guard.now();
    let opts = (|| -> Result<LogOptions, Failure> {
        let since_seconds = int("sinceSeconds")?;
        let since_time = match req.param("sinceTime").filter(|v| !v.is_empty()) {
            Some(v) => Some(
                v.parse::<k8s_openapi::jiff::Timestamp>()
                    .map_err(|_| Failure::bad_request(format!("sinceTime: Invalid value: \"{v}\"")))?
                    .as_millisecond(),
            ),
            None => None,
        };
        if since_seconds.is_some() && since_time.is_some() {
            return Err(Failure::bad_request("at most one of `sinceTime` or `sinceSeconds` may be specified"));
        }
        Ok(LogOptions {
            container: req.param("container").filter(|c| !c.is_empty()).map(str::to_string),
            previous: req.flag("previous"),
            timestamps: req.flag("timestamps"),
            tail_lines: int("tailLines")?,
            since: since_time.or(since_seconds.map(|s| now.saturating_sub(s.saturating_mul(1000)))),
            limit_bytes: int("limitBytes")?,
        })
    })();
    let answer = opts.and_then(|o| {
        guard
            .pod_log(t.namespace.as_deref().unwrap_or("default"), t.name.as_deref().unwrap_or(""), &o)
            .map_err(rest::core)
    });
    drop(guard);
    match answer {
        Ok(text) => respond(200, "text/plain", Bytes::from(text)),
        Err(f) => failure_response(f),
    }
}

fn clock_json(c: &Cluster) -> Value {
    json!({"now": serde_json::to_value(crate::api::meta::to_time(c.now())).unwrap_or(Value::Null),
           "elapsedSeconds": c.clock().elapsed() as f64 / 1000.0,
           "resourceVersion": c.store().resource_version().to_string()})
}

fn resource(state: &State, req: &Request, t: &request::Target) -> Response {
    if t.sub.as_deref() == Some("log") {
        return pod_log(state, req, t);
    }
    let writes = !matches!(req.method.as_str(), "GET" | "HEAD");
    let body = if matches!(req.method.as_str(), "POST" | "PUT" | "PATCH" | "DELETE") {
        match body_json(req, req.method == "PATCH") {
            Ok(b) => b,
            Err(f) => return failure_response(f),
        }
    } else {
        Value::Null
    };
    let mut validation = match rest::Validation::of(req) {
        Ok(v) => v,
        Err(f) => return failure_response(f),
    };
    let v = &mut validation;
    // upstream: DELETE carries it in its DeleteOptions body (`"dryRun": ["All"]`).
    // (An eviction carries it in its deleteOptions.)
    let in_body = [body.get("dryRun"), body.pointer("/deleteOptions/dryRun")]
        .into_iter()
        .any(|d| d.and_then(Value::as_array).is_some_and(|a| a.iter().any(|d| d == "All")));
    let dry_run = match req.param("dryRun") {
        None | Some("") => in_body,
        Some("All") => true,
        Some(other) => {
            return failure_response(Failure::bad_request(format!(
                "dryRun: Unsupported value: \"{other}\": supported values: \"All\""
            )))
        }
    };
    let mut guard = state.cluster.lock();
    state.catch_up(&mut guard);
    let mut body = body;
    let pending = match fields::before(&state.managed.lock(), &guard, req, t, &mut body) {
        Ok(p) => p,
        Err(f) => return failure_response(f),
    };
    // upstream: a dry run is defaulted, admitted and validated like the write, and stores
    // nothing. Here it is the write on a copy of the cluster (a copy of every index: O(objects),
    // acceptable for what dry runs are used for).
    let mut scratch = (dry_run && writes).then(|| guard.clone());
    let c: &mut Cluster = match scratch.as_mut() {
        Some(copy) => copy,
        None => &mut guard,
    };
    let answer = match (req.method.as_str(), t.name.as_deref()) {
        ("GET", None) => rest::list(c, req, t),
        ("GET", Some(name)) => rest::get(c, req, t, name),
        ("POST", None) if t.sub.is_none() => rest::create(c, v, t, body),
        ("POST", Some(name)) if t.sub.as_deref() == Some("eviction") => rest::evict(c, req, t, name, &body),
        ("POST", Some(name)) if t.sub.as_deref() == Some("token") => {
            token::create(c, t.namespace.as_deref().unwrap_or("default"), name, body)
        }
        ("PUT", Some(name)) => rest::replace(c, v, t, name, body),
        ("PATCH", Some(name)) => match PatchType::of(&req.content_type) {
            Some(kind) => rest::patch(c, v, t, name, kind, body),
            None => Err(Failure::new(
                415,
                "UnsupportedMediaType",
                format!("the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json (got {:?})", req.content_type),
            )),
        },
        ("DELETE", Some(name)) => rest::delete(c, req, t, name, &body),
        ("DELETE", None) => rest::delete_collection(c, req, t, &body),
        (m, _) => Err(Failure::method_not_allowed(m)),
    };
    drop(scratch);
    // Recorded under the cluster lock, so the next request's apply sees this write's owners.
    let mut managed = state.managed.lock();
    if let (Ok(_), Some(p), Some(o), false) = (&answer, pending, validation.written.as_ref(), dry_run) {
        p.after(&mut managed, guard.now(), o, t.version);
    }
    if let (Ok(_), "DELETE", Some(name)) = (&answer, req.method.as_str(), t.name.as_deref()) {
        let namespace = if t.kind.namespaced() { t.namespace.as_deref().unwrap_or("") } else { "" };
        managed.forget_unless_stored(&guard, t.kind, namespace, name);
    }
    drop(guard);
    match answer {
        Ok((code, mut body)) => {
            managed.decorate(t.kind, &mut body);
            drop(managed);
            if writes && !dry_run {
                state.writes.fetch_add(1, Ordering::Relaxed);
            }
            let mut r = json_response(code, &body);
            // upstream: each warning is a `Warning: 299 - "…"` header; kubectl prints `Warning: …`.
            for w in &validation.warnings {
                let value = format!("299 - {}", Value::String(w.clone()));
                if let Ok(h) = hyper::header::HeaderValue::from_str(&value) {
                    r.headers_mut().append(hyper::header::WARNING, h);
                }
            }
            r
        }
        Err(f) => failure_response(f),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::ClusterOptions;
    use std::io::{Read, Write};

    fn start(clock: ClockMode) -> (Server, Arc<Mutex<Cluster>>) {
        let cluster = Arc::new(Mutex::new(Cluster::new(ClusterOptions::default()).unwrap()));
        let options = ServerOptions {
            address: "127.0.0.1".into(),
            port: 0,
            token: None,
            clock,
            broken: Arc::default(),
            writes: Arc::default(),
        };
        (Server::start(cluster.clone(), options).unwrap(), cluster)
    }

    /// One HTTP/1.1 exchange on a fresh connection: the status line and the body.
    fn exchange(server: &Server, method: &str, path: &str, body: &str) -> (String, String) {
        let addr = server.url().trim_start_matches("http://");
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        let req = format!(
            "{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        s.write_all(req.as_bytes()).unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        let (head, body) = out.split_once("\r\n\r\n").unwrap();
        (head.lines().next().unwrap().to_string(), body.to_string())
    }

    const DEPLOYMENT: &str = r#"{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},"spec":{"replicas":2,"selector":{"matchLabels":{"app":"web"}},"template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"c","image":"nginx"}]}}}}"#;

    #[test]
    fn health_endpoints_answer_as_the_api_servers_do() {
        let (server, _cluster) = start(ClockMode::Manual);
        for path in ["/healthz", "/livez", "/readyz", "/readyz/ping", "/livez/ping?exclude=etcd"] {
            assert_eq!(exchange(&server, "GET", path, ""), ("HTTP/1.1 200 OK".into(), "ok".into()), "{path}");
        }
        let (status, body) = exchange(&server, "GET", "/readyz?verbose", "");
        assert_eq!((status.as_str(), body.as_str()), ("HTTP/1.1 200 OK", "[+]ping ok\nreadyz check passed\n"));
        assert_eq!(exchange(&server, "GET", "/livez/etcd", "").0, "HTTP/1.1 404 Not Found");
        assert_eq!(exchange(&server, "POST", "/healthz", "").0, "HTTP/1.1 405 Method Not Allowed");
    }

    #[test]
    fn serves_version_create_get_and_a_chunked_watch() {
        let (mut server, cluster) = start(ClockMode::Manual);
        let (status, body) = exchange(&server, "GET", "/version", "");
        assert_eq!(status, "HTTP/1.1 200 OK");
        assert!(body.contains(concat!(r#""gitVersion":"v1.32.4+kubesim-"#, env!("CARGO_PKG_VERSION"), '"')), "{body}");
        let rv = cluster.lock().store().resource_version();
        let (status, _) = exchange(&server, "POST", "/apis/apps/v1/namespaces/default/deployments", DEPLOYMENT);
        assert_eq!(status, "HTTP/1.1 201 Created");
        assert_eq!(
            cluster.lock().get(crate::api::Kind::Deployment, "default", "web").unwrap().meta.name.as_ref(),
            "web"
        );
        let (status, body) = exchange(&server, "GET", "/apis/apps/v1/namespaces/default/deployments/nope", "");
        assert_eq!(status, "HTTP/1.1 404 Not Found");
        assert!(body.contains(r#""message":"deployments.apps \"nope\" not found""#), "{body}");
        // Chunked: every event is one JSON line; the stream ends at timeoutSeconds.
        let (status, body) = exchange(
            &server,
            "GET",
            &format!("/api/v1/namespaces/default/pods?watch=true&resourceVersion={rv}&timeoutSeconds=1"),
            "",
        );
        assert_eq!(status, "HTTP/1.1 200 OK");
        let added = body.lines().filter(|l| l.contains(r#"{"type":"ADDED","object":{"apiVersion":"v1","kind":"Pod""#));
        assert_eq!(added.count(), 2, "{body}");
        server.stop();
        assert!(!server.is_running());
    }

    #[test]
    fn the_wall_clock_moves_virtual_time() {
        let (server, cluster) = start(ClockMode::Wall { speed: 1000.0 });
        let start = cluster.lock().now();
        let mut moved = false;
        for _ in 0..200 {
            exchange(&server, "GET", "/kubesim/clock", "");
            if cluster.lock().now() >= start + 2_000 {
                moved = true;
                break;
            }
        }
        assert!(moved, "2 virtual seconds are 2 ms of wall time");
    }
}
