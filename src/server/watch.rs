//! WATCH (apiserver.md §5): newline-delimited JSON events in chunks, fed from the store's watch
//! log. A watcher polls the log (a short lock each time, only when the resourceVersion moved),
//! so it sees a write by a request, by Python (`c.advance`) or by the wall clock alike.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use serde_json::{json, Value};
use tokio::sync::mpsc;

use super::request::{Request, Target};
use super::rest::filter_of;
use super::status::{failure, Failure};
use super::table;
use super::State;
use crate::api::{Kind, Object};
use crate::cluster::Filter;
use crate::sim::clock::Millis;
use crate::store::WatchEventType;

/// How often a watcher looks at the watch log.
const POLL: Duration = Duration::from_millis(20);
/// upstream: the reflector's bookmarks arrive about once a minute; kubesim sends one after a
/// second without events when the resourceVersion moved (cheap, and keeps clients' resume
/// points fresh).
const BOOKMARK_EVERY: Duration = Duration::from_secs(1);
/// upstream: --min-request-timeout (1800 s) bounds a watch without timeoutSeconds.
const MAX_TIMEOUT: Duration = Duration::from_secs(1800);

/// What a watch sends: a type and an object, already JSON.
struct Event {
    kind: &'static str,
    object: Value,
}

struct Spec {
    filter: Filter,
    table: bool,
    include: Option<String>,
    bookmarks: bool,
    kind: Kind,
    version: &'static str,
    api_version: String,
}

impl Spec {
    fn event(&self, kind: &'static str, o: &Object, now: Millis) -> Event {
        let object = if self.table {
            let mut t = table::table(self.kind, &[], now, None);
            t["rows"] = json!([table::table_row(o, now, self.include.as_deref())]);
            t["metadata"] = json!({"resourceVersion": o.meta.resource_version.to_string()});
            t
        } else {
            super::kinds::encode(o, self.version)
        };
        Event { kind, object }
    }

    fn bookmark(&self, rv: u64) -> Event {
        Event {
            kind: "BOOKMARK",
            object: json!({"kind": self.kind.name(), "apiVersion": self.api_version,
                           "metadata": {"resourceVersion": rv.to_string()}}),
        }
    }
}

/// upstream: `{"type":…,"object":…}` in that order, one event per line.
fn line(e: &Event) -> Bytes {
    Bytes::from(format!("{{\"type\":\"{}\",\"object\":{}}}\n", e.kind, e.object))
}

fn error_event(f: Failure) -> Event {
    Event { kind: "ERROR", object: f.body }
}

fn type_name(t: WatchEventType) -> &'static str {
    t.as_str()
}

/// What one look at the log found: events to send (already JSON) and the new cursor.
enum Poll {
    Busy,
    Events(Vec<Event>, u64),
    Gone(Event),
}

/// The objects a watch with a changeable selector has reported as present (upstream: the
/// cacher compares each event's previous and current object with the selector).
type Visible = HashMap<(Arc<str>, Arc<str>), Arc<Object>>;

fn key(o: &Object) -> (Arc<str>, Arc<str>) {
    (o.meta.namespace.clone(), o.meta.name.clone())
}

/// upstream: cacheWatcher.convertToWatchEvent — an object entering the selection is ADDED, one
/// leaving it DELETED (its previous state at the event's resourceVersion), one staying MODIFIED.
fn membership(spec: &Spec, visible: &mut Visible, e: &crate::store::WatchEvent, now: Millis) -> Option<Event> {
    if e.object.kind() != spec.kind {
        return None;
    }
    let passes = spec.filter.matches(&e.object);
    let k = key(&e.object);
    let was = visible.get(&k).cloned();
    match (e.event_type, was, passes) {
        (WatchEventType::Deleted, was, passes) => {
            visible.remove(&k);
            (was.is_some() || passes).then(|| spec.event("DELETED", &e.object, now))
        }
        (_, Some(_), true) => {
            visible.insert(k, e.object.clone());
            Some(spec.event("MODIFIED", &e.object, now))
        }
        (_, None, true) => {
            visible.insert(k, e.object.clone());
            Some(spec.event("ADDED", &e.object, now))
        }
        (_, Some(old), false) => {
            visible.remove(&k);
            let mut gone = spec.event("DELETED", &old, now);
            if let Some(m) = gone.object.get_mut("metadata") {
                m["resourceVersion"] = json!(e.resource_version.to_string());
            }
            Some(gone)
        }
        (_, None, false) => None,
    }
}

fn poll(state: &State, spec: &Spec, cursor: u64, visible: &mut Option<Visible>) -> Poll {
    let Some(c) = state.cluster.try_lock_for(Duration::from_millis(5)) else { return Poll::Busy };
    let rv = c.store().resource_version();
    if rv <= cursor {
        return Poll::Events(Vec::new(), cursor);
    }
    let now = c.now();
    let log = match c.store().watch_since(cursor) {
        Ok(log) => log,
        Err(e) => return Poll::Gone(error_event(failure(&e.into()))),
    };
    drop(c);
    let events = match visible {
        Some(v) => log.iter().filter_map(|e| membership(spec, v, e, now)).collect(),
        None => log
            .iter()
            .filter(|e| spec.filter.matches(&e.object))
            .map(|e| spec.event(type_name(e.event_type), &e.object, now))
            .collect(),
    };
    Poll::Events(events, rv)
}

/// Start a watch: the initial state (synthetic ADDED events when no resourceVersion or `0` is
/// given, as the Python client's `watch.stream` relies on) and a task that follows the log.
/// Returns the receiving end of the event stream.
pub fn start(state: Arc<State>, req: &Request, t: &Target) -> Result<mpsc::Receiver<Bytes>, Failure> {
    let filter = filter_of(req, t)?;
    let spec = Arc::new(Spec {
        filter,
        table: req.wants_table(),
        include: req.param("includeObject").map(str::to_string),
        bookmarks: req.flag("allowWatchBookmarks"),
        kind: t.kind,
        version: t.version,
        api_version: t.api_version(),
    });
    // upstream: timeoutSeconds 0 (or none) is the server's own bound.
    let timeout = req
        .param("timeoutSeconds")
        .and_then(|s| s.parse::<u64>().ok())
        .filter(|s| *s > 0)
        .map(Duration::from_secs)
        .unwrap_or(MAX_TIMEOUT)
        .min(MAX_TIMEOUT);
    let (initial, cursor, visible): (Vec<Event>, u64, Option<Visible>) = {
        let mut c = state.cluster.lock();
        state.catch_up(&mut c);
        let rv = c.store().resource_version();
        // What matches now: the initial events, and where a changeable selector starts from
        // (for a watch resumed from a resourceVersion, an approximation: what matches at its start).
        let given = req.param("resourceVersion").unwrap_or("");
        let needed = matches!(given, "" | "0") || spec.filter.can_change();
        let current: Vec<Arc<Object>> = if needed { spec.filter.list(&c) } else { Vec::new() };
        let visible = spec.filter.can_change().then(|| current.iter().map(|o| (key(o), o.clone())).collect());
        match given {
            "" | "0" => {
                let now = c.now();
                drop(c);
                (current.iter().map(|o| spec.event("ADDED", o, now)).collect(), rv, visible)
            }
            given => {
                let from = given.parse::<u64>().map_err(|_| {
                    Failure::bad_request(format!("resourceVersion: Invalid value: \"{given}\": must be an integer"))
                })?;
                match c.store().watch_since(from) {
                    Ok(_) => (Vec::new(), from, visible),
                    Err(e) => (vec![error_event(failure(&e.into()))], u64::MAX, None),
                }
            }
        }
    };
    let (tx, rx) = mpsc::channel::<Bytes>(64);
    tokio::spawn(follow(state, spec, initial, cursor, visible, timeout, tx));
    Ok(rx)
}

async fn follow(
    state: Arc<State>,
    spec: Arc<Spec>,
    initial: Vec<Event>,
    mut cursor: u64,
    mut visible: Option<Visible>,
    timeout: Duration,
    tx: mpsc::Sender<Bytes>,
) {
    let deadline = Instant::now() + timeout;
    for e in &initial {
        if tx.send(line(e)).await.is_err() {
            return;
        }
    }
    // An ERROR (410 Gone) ends the stream at once.
    if cursor == u64::MAX {
        return;
    }
    let (mut last_sent, mut bookmarked) = (Instant::now(), cursor);
    while Instant::now() < deadline && !state.stopping() {
        tokio::time::sleep(POLL.min(deadline.saturating_duration_since(Instant::now()))).await;
        let (st, sp) = (state.clone(), spec.clone());
        let mut v = visible.take();
        let (found, v) = match tokio::task::spawn_blocking(move || (poll(&st, &sp, cursor, &mut v), v)).await {
            Ok(p) => p,
            Err(_) => return,
        };
        visible = v;
        match found {
            Poll::Busy => continue,
            Poll::Gone(e) => {
                let _ = tx.send(line(&e)).await;
                return;
            }
            Poll::Events(events, rv) => {
                cursor = rv;
                for e in &events {
                    if tx.send(line(e)).await.is_err() {
                        return;
                    }
                    last_sent = Instant::now();
                }
                if spec.bookmarks && cursor != bookmarked && last_sent.elapsed() >= BOOKMARK_EVERY {
                    if tx.send(line(&spec.bookmark(cursor))).await.is_err() {
                        return;
                    }
                    bookmarked = cursor;
                    last_sent = Instant::now();
                }
                // A client that went away is noticed when a write fails; a closed channel says
                // so without waiting for one.
                if tx.is_closed() {
                    return;
                }
            }
        }
    }
}
