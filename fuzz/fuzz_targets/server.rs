//! An HTTP request → the embedded API server's router and handlers, in process
//! (`server::InProcess`: no socket, no auth, no watch), on a copy of a cluster holding a
//! Deployment and a ConfigMap. The input is `METHOD PATH[?QUERY]`, a Content-Type line, an
//! Accept line, then the body. Besides "no panic, no hang": every answer is an HTTP status, an
//! error is a `Status` object carrying the same code, and a GET or a refused request leaves the
//! store's resourceVersion as it was.
#![no_main]

#[path = "../common/mod.rs"]
mod common;

use _native::cluster::Cluster;
use _native::server::{InProcess, InProcessRequest};
use _native::sim::clock::parse_duration;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

const OBJECTS: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  labels: {app: web}\nspec:\n  replicas: 2\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n      - name: main\n        image: nginx:1.25\n        resources:\n          requests: {cpu: 100m, memory: 64Mi}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {mode: fast}\n";

thread_local! {
    static BASE: Cluster = common::cluster_with(OBJECTS, 60_000);
}

/// Replica counts and time jumps that only make the request long (see the manifest target).
fn small(text: &str) -> bool {
    let values = serde_json::Deserializer::from_str(text).into_iter::<Value>().map_while(Result::ok);
    fn ok(v: &Value) -> bool {
        match v {
            Value::Object(m) => m.iter().all(|(k, v)| {
                let count = k.to_ascii_lowercase().contains("replicas") || k == "completions" || k == "parallelism";
                !(count && v.as_f64().is_none_or(|n| n > 20.0)) && ok(v)
            }),
            Value::Array(a) => a.iter().all(ok),
            _ => true,
        }
    }
    // YAML and JSON-patch bodies can carry counts too: any "replicas" with a large number goes.
    let digits_after = |word: &str| {
        text.match_indices(word).all(|(i, _)| {
            let tail = &text[i + word.len()..];
            let n: String = tail.chars().skip_while(|c| !c.is_ascii_digit()).take_while(char::is_ascii_digit).collect();
            n.len() < 3
        })
    };
    values.into_iter().all(|v| ok(&v)) && ["eplicas", "ompletions", "arallelism"].into_iter().all(digits_after)
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let mut lines = text.splitn(4, '\n');
    let first = lines.next().unwrap_or_default();
    let (content_type, accept) = (lines.next().unwrap_or_default(), lines.next().unwrap_or_default());
    let body = lines.next().unwrap_or_default();
    let (method, target) = first.split_once(' ').unwrap_or((first, "/"));
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    // What hyper hands over: a token method, an origin-form path of visible ASCII.
    if method.is_empty() || !method.bytes().all(|b| b.is_ascii_alphabetic()) {
        return;
    }
    if !path.starts_with('/') || !target.bytes().all(|b| b.is_ascii_graphic()) || target.contains('#') {
        return;
    }
    if !small(body) {
        return;
    }
    let decoded = query.split('&').filter_map(|kv| kv.split_once('=')).find(|(k, _)| *k == "by");
    if decoded.is_some_and(|(_, by)| parse_duration(by).is_ok_and(|ms| ms > 3_600_000)) {
        return;
    }
    let server = InProcess::new(BASE.with(Cluster::clone));
    let before = server.cluster().store().resource_version();
    let request = InProcessRequest { method, path, query, accept, content_type, body: body.as_bytes() };
    let Some((code, answer)) = server.request(&request) else { return };
    assert!((200..600).contains(&code), "{code}");
    if code >= 400 {
        let status: Value = serde_json::from_slice(&answer).expect("an error answer is JSON");
        assert_eq!(status["kind"], "Status", "{status}");
        assert_eq!(status["code"], code, "{status}");
    }
    let after = server.cluster().store().resource_version();
    if method == "GET" || code >= 400 {
        assert_eq!(before, after, "{method} {path} answered {code} and wrote");
    }
});
