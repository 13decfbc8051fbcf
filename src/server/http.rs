//! HTTP plumbing: reading a request (auth, body limits and timeouts, content types) and the
//! response bodies (whole, or a stream of chunks for a watch).

use std::convert::Infallible;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::{Frame, Incoming, SizeHint};
use serde_json::Value;
use tokio::sync::mpsc;

use super::request::{self, Request, Route};
use super::review::{self, User};
use super::status::Failure;
use super::{dispatch, protobuf, watch, State, MAX_BODY, READ_TIMEOUT};

/// A response body: whole (with Content-Length) or a stream of chunks (a watch).
pub enum Payload {
    Full(Option<Bytes>),
    Stream(mpsc::Receiver<Bytes>),
}

impl hyper::body::Body for Payload {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        match self.get_mut() {
            Payload::Full(b) => Poll::Ready(b.take().map(|b| Ok(Frame::data(b)))),
            Payload::Stream(rx) => rx.poll_recv(cx).map(|o| o.map(|b| Ok(Frame::data(b)))),
        }
    }

    fn is_end_stream(&self) -> bool {
        matches!(self, Payload::Full(None))
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            Payload::Full(Some(b)) => SizeHint::with_exact(b.len() as u64),
            Payload::Full(None) => SizeHint::with_exact(0),
            Payload::Stream(_) => SizeHint::default(),
        }
    }
}

pub type Response = hyper::Response<Payload>;

pub fn respond(code: u16, content_type: &str, body: Bytes) -> Response {
    let mut r = hyper::Response::new(Payload::Full(Some(body)));
    *r.status_mut() = hyper::StatusCode::from_u16(code).unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    if let Ok(v) = hyper::header::HeaderValue::from_str(content_type) {
        r.headers_mut().insert(hyper::header::CONTENT_TYPE, v);
    }
    r
}

pub fn json_response(code: u16, body: &Value) -> Response {
    respond(code, "application/json", Bytes::from(body.to_string()))
}

/// upstream: responsewriters.ErrorNegotiated — a Status whose details suggest a wait
/// (`retryAfterSeconds` > 0) also says so in a `Retry-After` header.
pub fn failure_response(f: Failure) -> Response {
    let mut r = json_response(f.code, &f.body);
    let wait = f.body.pointer("/details/retryAfterSeconds").and_then(Value::as_u64).filter(|s| *s > 0);
    if let Some(v) = wait.and_then(|s| hyper::header::HeaderValue::from_str(&s.to_string()).ok()) {
        r.headers_mut().insert(hyper::header::RETRY_AFTER, v);
    }
    r
}

pub async fn handle(state: Arc<State>, req: hyper::Request<Incoming>) -> Result<Response, Infallible> {
    let (parts, body) = req.into_parts();
    let header = |name: hyper::header::HeaderName| {
        parts.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_string()
    };
    if let Some(token) = &state.token {
        if header(hyper::header::AUTHORIZATION) != format!("Bearer {token}") {
            return Ok(failure_response(Failure::new(401, "Unauthorized", "Unauthorized")));
        }
    }
    let too_large = || {
        failure_response(Failure::new(
            413,
            "RequestEntityTooLarge",
            format!("Request entity too large: limit is {MAX_BODY}"),
        ))
    };
    // A declared length over the limit is refused before any of the body is read.
    if header(hyper::header::CONTENT_LENGTH).parse::<u64>().is_ok_and(|n| n > MAX_BODY as u64) {
        return Ok(too_large());
    }
    let limited = http_body_util::Limited::new(body, MAX_BODY);
    let body = match tokio::time::timeout(READ_TIMEOUT, limited.collect()).await {
        Ok(Ok(collected)) => collected.to_bytes(),
        Ok(Err(e)) if e.downcast_ref::<http_body_util::LengthLimitError>().is_some() => return Ok(too_large()),
        Ok(Err(_)) => return Ok(failure_response(Failure::bad_request("the request body could not be read"))),
        Err(_) => return Ok(failure_response(Failure::new(408, "Timeout", "the request body was not sent in time"))),
    };
    // upstream: the authenticator's user (the token's, else anonymous), then impersonation.
    let named = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
    let as_groups: Vec<String> =
        parts.headers.get_all("impersonate-group").iter().filter_map(|v| v.to_str().ok()).map(str::to_string).collect();
    let (as_user, as_uid) = (named("impersonate-user"), named("impersonate-uid"));
    if let Some(f) = review::impersonation_error(as_user, &as_groups, as_uid) {
        return Ok(failure_response(f));
    }
    let user = if state.token.is_some() { User::token_user() } else { User::anonymous() };
    let request = Request {
        user: user.impersonated(as_user, as_groups, as_uid),
        method: parts.method.as_str().to_string(),
        path: parts.uri.path().to_string(),
        query: request::decode_query(parts.uri.query().unwrap_or("")),
        accept: header(hyper::header::ACCEPT),
        content_type: header(hyper::header::CONTENT_TYPE),
        user_agent: header(hyper::header::USER_AGENT),
        body,
    };
    if let Some(message) = state.broken.lock().clone() {
        return Ok(failure_response(Failure::internal(&message)));
    }
    let route = request::route(&request.path);
    if let Route::Resource(t) = &route {
        if request.method == "GET" && request.flag("watch") && t.name.is_none() {
            let st = state.clone();
            let t = t.clone();
            let started =
                tokio::task::spawn_blocking(move || catch_unwind(AssertUnwindSafe(|| watch::start(st, &request, &t))));
            return Ok(match started.await {
                Ok(Ok(Ok(rx))) => {
                    let mut r = hyper::Response::new(Payload::Stream(rx));
                    r.headers_mut().insert(
                        hyper::header::CONTENT_TYPE,
                        hyper::header::HeaderValue::from_static("application/json"),
                    );
                    r
                }
                Ok(Ok(Err(f))) => failure_response(f),
                _ => failure_response(Failure::internal("the watch could not start")),
            });
        }
    }
    let st = state.clone();
    let answer = tokio::task::spawn_blocking(move || {
        let what = format!("{} {}", request.method, request.path);
        match catch_unwind(AssertUnwindSafe(|| dispatch(&st, &request, route))) {
            Ok(r) => r,
            Err(payload) => {
                let text = payload
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "panic".into());
                let message = format!("internal error in the API server during {what}: {text}");
                *st.broken.lock() = Some(message.clone());
                failure_response(Failure::internal(&message))
            }
        }
    })
    .await;
    Ok(answer.unwrap_or_else(|_| failure_response(Failure::internal("the request was cancelled"))))
}

/// A body as JSON: JSON when there is no Content-Type (the Python client sends none) or it says
/// JSON, YAML when it says so, protobuf for the kinds kubectl's typed clients send (others get
/// the 415 upstream answers to what it cannot read).
pub fn body_json(req: &Request, patch: bool) -> Result<Value, Failure> {
    let media = req.content_type.split(';').next().unwrap_or("").trim();
    if media == "application/vnd.kubernetes.protobuf" && !patch {
        return protobuf::decode(&req.body).map_err(|e| match e {
            protobuf::ProtoError::Unsupported(m) => Failure::new(
                415,
                "UnsupportedMediaType",
                format!("the body of the request was in an unknown format - accepted media types include: application/json, application/yaml ({m})"),
            ),
            protobuf::ProtoError::Malformed(m) => Failure::bad_request(format!("the body of the request could not be decoded: {m}")),
        });
    }
    let text = std::str::from_utf8(&req.body).map_err(|_| Failure::bad_request("the request body is not UTF-8"))?;
    let yaml = matches!(media, "application/yaml" | "application/apply-patch+yaml");
    let json_ok = media.is_empty() || media == "application/json" || (patch && media.ends_with("+json"));
    if !json_ok && !yaml {
        let accepted = if patch {
            "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json"
        } else {
            "application/json, application/yaml"
        };
        return Err(Failure::new(
            415,
            "UnsupportedMediaType",
            format!("the body of the request was in an unknown format - accepted media types include: {accepted}"),
        ));
    }
    if text.trim().is_empty() {
        return Ok(Value::Null);
    }
    match serde_json::from_str::<Value>(text) {
        Ok(v) => Ok(v),
        Err(e) if !yaml => Err(Failure::bad_request(format!("the body of the request could not be decoded: {e}"))),
        Err(_) => serde_yaml_ng::from_str::<Value>(text)
            .map_err(|e| Failure::bad_request(format!("the body of the request could not be decoded: {e}"))),
    }
}
