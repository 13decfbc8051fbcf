//! The Python binding: converts arguments, calls the core, maps results and errors. The only
//! code in the crate that names pyo3.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use parking_lot::{Mutex, MutexGuard};
use pyo3::exceptions::{PyKeyboardInterrupt, PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyTuple};
use serde_json::Value;

use crate::api::{ApiError, Kind};
use crate::cluster::{ApplyAction, Cluster, ClusterOptions, NodeTemplate};
use crate::error::KubesimError;
use crate::kubelet::dist::Dist;
use crate::kubelet::exec::{ExecCommand, ExecOutcome};
use crate::kubelet::images::ImageSpec;
use crate::kubelet::logs::{LogLine, LogOptions};
use crate::labels::Selector;
use crate::metrics::{Cause, Demand, Series, SeriesFailure, Usage};
use crate::sim::clock::{parse_duration as core_parse_duration, DEFAULT_EPOCH_MS};
use crate::store::{DeleteOptions, Propagation, StoreError};

mod objects;
mod server;
mod snapshot;
mod timeline;
mod to_py;

/// A LIST's selection: labels and fields (an unsupported or malformed field selector is an
/// InvalidArgumentError with the API server's message).
fn filter(
    kind: Kind,
    namespace: Option<&str>,
    labels: &str,
    fields: &str,
) -> Result<crate::cluster::Filter, KubesimError> {
    Ok(crate::cluster::Filter {
        kind,
        namespace: namespace.map(str::to_string),
        labels: crate::labels::Selector::parse(labels)?,
        fields: crate::labels::FieldSelector::for_kind(fields, kind)
            .map_err(|e| KubesimError::InvalidArgument(e.to_string()))?,
    })
}

/// The Python class each core error becomes (classes live in `kubesim.errors`).
fn error_class(e: &KubesimError) -> &'static str {
    match e {
        KubesimError::Api(a) => api_error_class(a),
        KubesimError::Store(s) => match s {
            StoreError::NotFound { .. } => "NotFoundError",
            StoreError::AlreadyExists { .. } => "AlreadyExistsError",
            StoreError::Conflict { .. } => "ConflictError",
            StoreError::Gone { .. } => "GoneError",
            StoreError::Forbidden { .. } => "ForbiddenError",
            StoreError::Invalid(a) => api_error_class(a),
        },
        KubesimError::Selector(_) => "SelectorError",
        KubesimError::Duration(_) => "InvalidArgumentError",
        KubesimError::InvalidArgument(_) => "InvalidArgumentError",
        KubesimError::Timeout(_) => "TimeoutError",
        KubesimError::Simulation(_) => "SimulationError",
        KubesimError::ObjectBudget(_) => "ObjectBudgetError",
        // `run` raises the KeyboardInterrupt itself; this is only what another path would say.
        KubesimError::Interrupted => "SimulationError",
        KubesimError::Series(_) => "SimulationError",
        KubesimError::NotFound { .. } => "NotFoundError",
        KubesimError::MetricsUnavailable(_) => "MetricsUnavailableError",
        KubesimError::InDocument { error, .. } => error_class(error),
        KubesimError::Eviction(e) if e.code == 429 => "TooManyRequestsError",
        KubesimError::Eviction(_) => "EvictionError",
    }
}

fn api_error_class(a: &ApiError) -> &'static str {
    match a {
        ApiError::Invalid { .. } | ApiError::Decode { .. } => "InvalidObjectError",
        ApiError::UnknownKind { .. } | ApiError::MissingTypeMeta { .. } | ApiError::Syntax { .. } => "ManifestError",
    }
}

fn api_error_attrs(a: &ApiError, kw: &Bound<'_, PyDict>) -> PyResult<()> {
    kw.set_item("field", a.field())?;
    match a {
        ApiError::Invalid { kind, name, errors } => {
            kw.set_item("kind", kind.name())?;
            kw.set_item("name", name)?;
            let causes: Vec<(String, String)> =
                errors.iter().map(|e| (e.field().to_string(), e.error_body())).collect();
            kw.set_item("causes", causes)?;
        }
        ApiError::Decode { kind, .. } => kw.set_item("kind", kind.name())?,
        ApiError::Syntax { source_name, document, line, column, .. } => {
            kw.set_item("source", source_name)?;
            kw.set_item("document", document)?;
            kw.set_item("line", line)?;
            kw.set_item("column", column)?;
        }
        ApiError::UnknownKind { .. } | ApiError::MissingTypeMeta { .. } => {}
    }
    Ok(())
}

fn error_attrs(e: &KubesimError, kw: &Bound<'_, PyDict>) -> PyResult<()> {
    match e {
        KubesimError::Api(a) | KubesimError::Store(StoreError::Invalid(a)) => api_error_attrs(a, kw),
        KubesimError::Store(
            StoreError::NotFound { kind, name }
            | StoreError::AlreadyExists { kind, name }
            | StoreError::Conflict { kind, name }
            | StoreError::Forbidden { kind, name, .. },
        ) => {
            kw.set_item("kind", kind.name())?;
            kw.set_item("name", name)
        }
        KubesimError::InDocument { source_name, document, error } => {
            error_attrs(error, kw)?;
            kw.set_item("source", source_name)?;
            kw.set_item("document", document)
        }
        KubesimError::NotFound { resource, name } => {
            kw.set_item("kind", resource)?;
            kw.set_item("name", name)
        }
        KubesimError::Eviction(ev) => {
            kw.set_item("code", ev.code)?;
            kw.set_item("causes", ev.causes.clone())?;
            kw.set_item("retry_after_seconds", ev.retry_after_seconds)?;
            kw.set_item("budget", ev.budget.clone())
        }
        KubesimError::Store(StoreError::Gone { .. })
        | KubesimError::Series(_)
        | KubesimError::MetricsUnavailable(_)
        | KubesimError::Selector(_)
        | KubesimError::Duration(_)
        | KubesimError::InvalidArgument(_)
        | KubesimError::Timeout(_)
        | KubesimError::Simulation(_)
        | KubesimError::ObjectBudget(_)
        | KubesimError::Interrupted => Ok(()),
    }
}

/// Build the Python exception instance for a core error.
fn error_instance<'py>(py: Python<'py>, e: &KubesimError) -> PyResult<Bound<'py, PyAny>> {
    let cls = py.import("kubesim.errors")?.getattr(error_class(e))?;
    let kw = PyDict::new(py);
    error_attrs(e, &kw)?;
    cls.call((e.to_string(),), Some(&kw))
}

fn to_pyerr(e: KubesimError) -> PyErr {
    Python::attach(|py| match error_instance(py, &e) {
        Ok(inst) => {
            let err = PyErr::from_value(inst);
            // A callable's own exception becomes the __cause__ of the error that names it.
            if let KubesimError::Series(crate::metrics::SeriesError { cause: Some(Cause(c)), .. }) = &e {
                if let Some(original) = c.downcast_ref::<PyErr>() {
                    err.set_cause(py, Some(original.clone_ref(py)));
                }
            }
            err
        }
        Err(import_failure) => import_failure,
    })
}

thread_local! {
    /// Set while a user callable runs on this thread (the cluster is locked then).
    static IN_CALLBACK: Cell<bool> = const { Cell::new(false) };
}

/// A Python callable as a series: called with the elapsed virtual seconds, returns milli-units.
struct PySeries {
    callable: Py<PyAny>,
}

impl Series for PySeries {
    fn as_any(&self) -> Option<&dyn std::any::Any> {
        Some(self)
    }
    fn sample(&self, elapsed_ms: i64) -> Result<i64, SeriesFailure> {
        Python::attach(|py| {
            let outer = IN_CALLBACK.with(|f| f.replace(true));
            let result = self.callable.call1(py, (elapsed_ms as f64 / 1000.0,)).and_then(|v| v.extract::<i64>(py));
            IN_CALLBACK.with(|f| f.set(outer));
            result.map_err(|e| {
                let kind = e.get_type(py).name().map(|n| n.to_string()).unwrap_or_else(|_| "Exception".into());
                let text = e.value(py).str().map(|s| s.to_string()).unwrap_or_default();
                let message = if text.is_empty() { kind } else { format!("{kind}: {text}") };
                SeriesFailure { message, cause: Some(Cause(Arc::new(e))) }
            })
        })
    }
}

/// A demand from Python: None, a callable (already returning milli-units), or
/// `[(ms since now, milli-units), …]` (one point at 0 is a constant).
fn demand_arg(v: Option<&Bound<'_, PyAny>>) -> PyResult<Option<Demand>> {
    let Some(v) = v.filter(|v| !v.is_none()) else { return Ok(None) };
    if v.is_callable() {
        return Ok(Some(Demand::function(Arc::new(PySeries { callable: v.clone().unbind() }))));
    }
    let points: Vec<(i64, i64)> = v.extract()?;
    Ok(Some(match points.as_slice() {
        [(0, value)] => Demand::Constant(*value),
        _ => Demand::Schedule(points),
    }))
}

fn kind_of(name: &str) -> PyResult<Kind> {
    Kind::from_resource_name(name).ok_or_else(|| {
        to_pyerr(KubesimError::InvalidArgument(format!("the server doesn't have a resource type \"{name}\"")))
    })
}

fn json_arg(text: &str) -> PyResult<Value> {
    serde_json::from_str(text).map_err(|e| PyRuntimeError::new_err(format!("internal: bad JSON from kubesim: {e}")))
}

/// The one object of a create/replace manifest.
fn single_document(text: &str) -> PyResult<Value> {
    let mut docs = crate::api::manifest::parse_documents(text, "<manifest>").map_err(|e| to_pyerr(e.into()))?;
    match docs.len() {
        1 => Ok(docs.remove(0).value),
        n => Err(to_pyerr(KubesimError::InvalidArgument(format!("expected exactly one object, found {n}")))),
    }
}

#[pyclass(module = "kubesim._native", name = "Cluster", frozen)]
pub struct PyCluster {
    /// Shared with the API server while `serve()` runs (its requests take the same lock).
    inner: Arc<Mutex<Cluster>>,
    /// Set when a call ended in an internal error (a panic in the core): what every later call
    /// raises at once, since the cluster may have been left half-way through a change.
    broken: Arc<Mutex<Option<String>>>,
    /// Requests of the API server that changed the cluster (they are not in the journal).
    served_writes: Arc<std::sync::atomic::AtomicU64>,
    /// The log the timeline recorder samples into (`timeline_into`).
    timeline: Mutex<Option<Py<timeline::PyTimelineLog>>>,
}

impl PyCluster {
    /// The log given to `timeline_into`.
    fn timeline_log(&self, py: Python<'_>) -> PyResult<Py<timeline::PyTimelineLog>> {
        let log = self.timeline.lock().as_ref().map(|l| l.clone_ref(py));
        log.ok_or_else(|| PyRuntimeError::new_err("no timeline log: call timeline_into(log) first"))
    }

    /// A Python cluster around `cluster`, whose API server has served `writes` writes.
    fn of(cluster: Cluster, writes: u64) -> PyCluster {
        PyCluster {
            inner: Arc::new(Mutex::new(cluster)),
            broken: Arc::default(),
            served_writes: Arc::new(std::sync::atomic::AtomicU64::new(writes)),
            timeline: Mutex::new(None),
        }
    }

    /// The cluster, unless a callable of this cluster's is running on this thread (the cluster
    /// is then locked by the call that advances it, and waiting would deadlock).
    fn cluster(&self) -> PyResult<MutexGuard<'_, Cluster>> {
        let broken = || match self.broken.lock().clone() {
            Some(message) => Err(to_pyerr(KubesimError::Simulation(message))),
            None => Ok(()),
        };
        broken()?;
        if IN_CALLBACK.with(Cell::get) {
            return Err(to_pyerr(KubesimError::Simulation(
                "a load or metric callable cannot use the cluster: it runs while the cluster advances; compute the value from its argument t (virtual seconds since the start)".into(),
            )));
        }
        loop {
            if let Some(guard) = self.inner.try_lock() {
                // The call that held it may have broken the cluster while this one waited.
                broken()?;
                return Ok(guard);
            }
            // Wait without the GIL: the thread that holds the cluster may need it for a callable.
            Python::attach(|py| py.detach(|| drop(self.inner.lock())));
        }
    }
}

impl PyCluster {
    /// `f` on the cluster without the GIL (advancing, applying, writing): see [`Self::with`].
    fn run<T: Send>(
        &self,
        py: Python<'_>,
        op: &str,
        f: impl FnOnce(&mut Cluster) -> Result<T, KubesimError> + Send,
    ) -> PyResult<T> {
        let mut guard = self.cluster()?;
        let c: &mut Cluster = &mut guard;
        // Ctrl-C: Python runs its signal handlers when asked, at most every 20 ms of wall time.
        let raised: Arc<Mutex<Option<PyErr>>> = Arc::default();
        let last = Mutex::new(None::<std::time::Instant>);
        let slot = raised.clone();
        c.set_interrupt(Some(Arc::new(move || {
            let mut last = last.lock();
            if last.is_some_and(|t| t.elapsed() < std::time::Duration::from_millis(20)) {
                return false;
            }
            *last = Some(std::time::Instant::now());
            // A signal handler runs while this thread holds the cluster: as for a callable, it
            // gets an error rather than a deadlock if it touches the cluster.
            let outer = IN_CALLBACK.with(|f| f.replace(true));
            let signalled = Python::attach(|py| py.check_signals());
            IN_CALLBACK.with(|f| f.set(outer));
            signalled.map_err(|e| *slot.lock() = Some(e)).is_err()
        })));
        let result = py.detach(|| catch_unwind(AssertUnwindSafe(|| f(c))));
        c.set_interrupt(None);
        match &result {
            Ok(Err(KubesimError::Interrupted)) => {
                let raised = raised.lock().take();
                return Err(raised.unwrap_or_else(|| PyKeyboardInterrupt::new_err(())));
            }
            // Ctrl-C while a load callable ran: the KeyboardInterrupt itself, not a failed series
            // (time stopped at that scrape, as for any failed sample).
            Ok(Err(KubesimError::Series(crate::metrics::SeriesError { cause: Some(Cause(cause)), .. }))) => {
                if let Some(e) = cause.downcast_ref::<PyErr>().filter(|e| e.is_instance_of::<PyKeyboardInterrupt>(py)) {
                    return Err(e.clone_ref(py));
                }
            }
            _ => {}
        }
        self.contain(op, c, result)
    }

    /// `f` on the cluster, holding the GIL (short calls). Errors become kubesim's exceptions; a
    /// panic becomes `SimulationError` and marks the cluster broken (see [`Self::contain`]).
    fn with<T>(&self, op: &str, f: impl FnOnce(&mut Cluster) -> Result<T, KubesimError>) -> PyResult<T> {
        let mut guard = self.cluster()?;
        let c: &mut Cluster = &mut guard;
        let result = catch_unwind(AssertUnwindSafe(|| f(c)));
        self.contain(op, c, result)
    }

    /// A panic never reaches Python as `PanicException` (which `except Exception` misses): it
    /// becomes a `SimulationError` naming the operation and the virtual time, and since the
    /// cluster may be half-way through a change, every later call raises the same error.
    fn contain<T>(&self, op: &str, c: &Cluster, result: std::thread::Result<Result<T, KubesimError>>) -> PyResult<T> {
        match result {
            Ok(r) => r.map_err(to_pyerr),
            Err(payload) => Err(self.broke(op, clock_of(c), payload.as_ref())),
        }
    }

    /// `f` after the cluster lock was let go: stored objects (immutable `Arc`s taken under the
    /// lock, `at` the virtual clock then) turned into Python values or text. Python code may
    /// run while Python objects are made (a garbage collection calls finalizers), so this does
    /// not hold the lock; a panic is contained as in [`Self::contain`].
    fn outside<T>(&self, op: &str, at: (i64, i64), f: impl FnOnce() -> PyResult<T>) -> PyResult<T> {
        catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|payload| Err(self.broke(op, at, payload.as_ref())))
    }

    /// Mark the cluster broken by a panic during `op` at virtual time `at` (now, start).
    fn broke(&self, op: &str, at: (i64, i64), payload: &(dyn std::any::Any + Send)) -> PyErr {
        let message = internal_error_message(op, at.0, at.1, payload);
        *self.broken.lock() = Some(message.clone());
        to_pyerr(KubesimError::Simulation(message))
    }
}

/// The virtual clock: (now, start).
fn clock_of(c: &Cluster) -> (i64, i64) {
    (c.now(), c.clock().start())
}

/// `(Kind, namespace, name)` of an object: what a handle needs.
type Key = (&'static str, String, String);

fn key_of(o: &crate::api::Object) -> Key {
    (o.kind().name(), o.meta.namespace.to_string(), o.meta.name.to_string())
}

/// Where the last panic happened (the hook records it; the payload does not carry it).
static LAST_PANIC_LOCATION: Mutex<Option<String>> = Mutex::new(None);

/// Panics are reported through `SimulationError`, not on stderr; `KUBESIM_BACKTRACE=1` prints
/// them with a backtrace as well (for a bug report).
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        *LAST_PANIC_LOCATION.lock() = info.location().map(|l| format!("{}:{}", l.file(), l.line()));
        if std::env::var_os("KUBESIM_BACKTRACE").is_some_and(|v| v != "0" && !v.is_empty()) {
            eprintln!("kubesim: internal error: {info}\n{}", std::backtrace::Backtrace::force_capture());
        }
    }));
}

/// What panicked and where.
fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    let what = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into());
    let at = LAST_PANIC_LOCATION.lock().take().map(|l| format!(" at {l}")).unwrap_or_default();
    format!("{what}{at}")
}

fn internal_error_message(op: &str, now: i64, start: i64, payload: &(dyn std::any::Any + Send)) -> String {
    let time = crate::api::meta::to_time(now).0;
    format!(
        "internal error in {op} at virtual time {time} ({:.3} s after the start): {}. This is a bug in kubesim \
         {}; the cluster may be half-way through a change and can no longer be used (every call raises this error). \
         Set KUBESIM_BACKTRACE=1 to print a backtrace.",
        (now - start) as f64 / 1000.0,
        panic_text(payload),
        env!("CARGO_PKG_VERSION"),
    )
}

/// `f` outside any cluster (parsing arguments, module functions): a panic becomes
/// `SimulationError` ("internal error") instead of `PanicException`.
fn contained<T>(op: &str, f: impl FnOnce() -> PyResult<T>) -> PyResult<T> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|payload| {
        Err(to_pyerr(KubesimError::Simulation(format!(
            "internal error in {op}: {}. This is a bug in kubesim {}. Set KUBESIM_BACKTRACE=1 to print a backtrace.",
            panic_text(payload.as_ref()),
            env!("CARGO_PKG_VERSION"),
        ))))
    })
}

#[pymethods]
impl PyCluster {
    #[new]
    #[pyo3(signature = (nodes_json=None, node_count=3, seed=0, start_ms=None, threads=1, latency_json=None))]
    fn new(
        nodes_json: Option<&str>,
        node_count: usize,
        seed: u64,
        start_ms: Option<i64>,
        threads: usize,
        latency_json: Option<&str>,
    ) -> PyResult<Self> {
        let latency = match latency_json {
            Some(text) => serde_json::from_str(text)
                .map_err(|e| to_pyerr(KubesimError::InvalidArgument(format!("invalid latency: {e}"))))?,
            None => Default::default(),
        };
        let nodes = match nodes_json {
            Some(text) => serde_json::from_str::<Vec<NodeTemplate>>(text)
                .map_err(|e| to_pyerr(KubesimError::InvalidArgument(format!("invalid node spec: {e}"))))?,
            None => (1..=node_count).map(NodeTemplate::numbered).collect(),
        };
        let options = ClusterOptions { seed, start: start_ms.unwrap_or(DEFAULT_EPOCH_MS), nodes, threads, latency };
        let cluster = contained("Cluster", || Cluster::new(options).map_err(to_pyerr))?;
        Ok(PyCluster::of(cluster, 0))
    }

    /// Serve the cluster over HTTP as a Kubernetes API server (see src/server/).
    #[pyo3(signature = (address="127.0.0.1", port=0, token=None, clock="manual", speed=1.0))]
    fn serve(
        &self,
        py: Python<'_>,
        address: &str,
        port: u16,
        token: Option<String>,
        clock: &str,
        speed: f64,
    ) -> PyResult<server::PyServer> {
        server::serve(self, py, address, port, token, clock, speed)
    }

    /// An independent copy of the cluster (see `Cluster::fork`); requests its API server served
    /// before the fork count for the copy too (they are not in the journal either).
    fn fork(&self, py: Python<'_>) -> PyResult<PyCluster> {
        let guard = self.cluster()?;
        let c: &Cluster = &guard;
        let forked = py.detach(|| catch_unwind(AssertUnwindSafe(|| Ok(c.fork()))));
        let forked = self.contain("fork", c, forked)?;
        Ok(PyCluster::of(forked, self.served_writes.load(std::sync::atomic::Ordering::Relaxed)))
    }

    /// `(snapshot bytes, [callable, …])`: the whole simulation, and the load and metric
    /// callables it refers to by number (see src/snapshot/).
    fn snapshot<'py>(&self, py: Python<'py>) -> PyResult<(Bound<'py, PyBytes>, Bound<'py, PyList>)> {
        let guard = self.cluster()?;
        snapshot::snapshot(py, &guard)
    }

    /// The cluster a snapshot holds (`source` names it in errors), its callables given back in
    /// the order `snapshot` returned them.
    #[staticmethod]
    fn restore(
        py: Python<'_>,
        data: &[u8],
        source: &str,
        callables: Vec<Py<PyAny>>,
        threads: usize,
    ) -> PyResult<PyCluster> {
        let cluster = snapshot::restore(py, data, source, callables, threads)?;
        Ok(PyCluster::of(cluster, 0))
    }

    /// Draw future uids and generated names from `seed`.
    fn reseed(&self, seed: u64) -> PyResult<()> {
        self.with("reseed", |c| {
            c.reseed(seed);
            Ok(())
        })
    }

    /// How many requests of an API server changed this cluster.
    #[getter]
    fn served_writes(&self) -> u64 {
        server::served_writes(self)
    }

    /// Apply a manifest text: one entry per object, either
    /// `(kind, namespace, name, action, warning)` or the exception for that document.
    fn apply<'py>(&self, py: Python<'py>, text: &str, source: &str) -> PyResult<Bound<'py, PyList>> {
        let results = self.run(py, "apply", |c| c.apply_text(text, source))?;
        let out = PyList::empty(py);
        for r in results {
            match r {
                Ok(a) => {
                    let action = match a.action {
                        ApplyAction::Created => "created",
                        ApplyAction::Configured => "configured",
                        ApplyAction::Unchanged => "unchanged",
                    };
                    let line = a.to_string();
                    out.append(PyTuple::new(
                        py,
                        [
                            a.kind.name().into_pyobject(py)?.into_any(),
                            a.namespace.into_pyobject(py)?.into_any(),
                            a.name.into_pyobject(py)?.into_any(),
                            action.into_pyobject(py)?.into_any(),
                            a.warning.into_pyobject(py)?.into_any(),
                            line.into_pyobject(py)?.into_any(),
                        ],
                    )?)?;
                }
                Err(e) => out.append(error_instance(py, &e)?)?,
            }
        }
        Ok(out)
    }

    /// Create one object from YAML or JSON text: `(kind, namespace, name)` of the stored object
    /// (its name may have been generated).
    fn create(&self, py: Python<'_>, manifest: &str) -> PyResult<Key> {
        let v = contained("create", || single_document(manifest))?;
        self.run(py, "create", |c| c.create_value(v).map(|o| key_of(&o)))
    }

    /// Replace one object from YAML or JSON text: `(kind, namespace, name)`.
    fn replace(&self, py: Python<'_>, manifest: &str) -> PyResult<Key> {
        let v = contained("replace", || single_document(manifest))?;
        self.run(py, "replace", |c| c.replace_value(v).map(|o| key_of(&o)))
    }

    /// Replace one object's status (the `/status` subresource) from YAML or JSON text:
    /// `(kind, namespace, name)`.
    fn replace_status(&self, py: Python<'_>, manifest: &str) -> PyResult<Key> {
        let v = contained("replace_status", || single_document(manifest))?;
        self.run(py, "replace_status", |c| c.replace_status_value(v).map(|o| key_of(&o)))
    }

    /// JSON merge patch: `(kind, namespace, name)`.
    fn patch(&self, py: Python<'_>, kind: &str, namespace: &str, name: &str, patch_json: &str) -> PyResult<Key> {
        let kind = kind_of(kind)?;
        let p = contained("patch", || json_arg(patch_json))?;
        self.run(py, "patch", |c| c.patch(kind, namespace, name, &p).map(|o| key_of(&o)))
    }

    /// `kubectl set image` on a Deployment (see `Cluster::set_image`): whether an image changed.
    #[pyo3(signature = (namespace, name, images, cause=None))]
    fn set_image(
        &self,
        py: Python<'_>,
        namespace: &str,
        name: &str,
        images: Vec<(String, String)>,
        cause: Option<String>,
    ) -> PyResult<bool> {
        self.run(py, "set image", |c| c.set_image(namespace, name, &images, cause.as_deref()))
    }

    /// Delete; `propagation` is Background, Foreground or Orphan (None: the kind's default).
    #[pyo3(signature = (kind, namespace, name, propagation=None, grace_period_seconds=None))]
    fn delete(
        &self,
        py: Python<'_>,
        kind: &str,
        namespace: &str,
        name: &str,
        propagation: Option<&str>,
        grace_period_seconds: Option<i64>,
    ) -> PyResult<()> {
        let kind = kind_of(kind)?;
        let propagation = match propagation.map(|p| p.to_ascii_lowercase()).as_deref() {
            None => Propagation::Default,
            Some("background") => Propagation::Background,
            Some("foreground") => Propagation::Foreground,
            Some("orphan") => Propagation::Orphan,
            Some(other) => {
                return Err(to_pyerr(KubesimError::InvalidArgument(format!(
                    "invalid propagation policy {other:?}: use Background, Foreground or Orphan"
                ))))
            }
        };
        if grace_period_seconds.is_some_and(|g| g < 0) {
            return Err(to_pyerr(KubesimError::InvalidArgument("grace period must be >= 0".into())));
        }
        let options = DeleteOptions { propagation, grace_period_seconds, uid: None };
        self.run(py, "delete", |c| c.delete_with(kind, namespace, name, options).map(|_| ()))
    }

    /// The Eviction API on a pod (`POST …/pods/{name}/eviction`): deleted, or an EvictionError
    /// (TooManyRequestsError when a disruption budget forbids it).
    #[pyo3(signature = (namespace, name, grace_period_seconds=None, dry_run=false))]
    fn evict(
        &self,
        py: Python<'_>,
        namespace: &str,
        name: &str,
        grace_period_seconds: Option<i64>,
        dry_run: bool,
    ) -> PyResult<()> {
        if grace_period_seconds.is_some_and(|g| g < 0) {
            return Err(to_pyerr(KubesimError::InvalidArgument("grace period must be >= 0".into())));
        }
        let eviction = crate::cluster::Eviction {
            namespace: namespace.to_string(),
            name: name.to_string(),
            options: DeleteOptions { propagation: Propagation::Default, grace_period_seconds, uid: None },
            dry_run,
        };
        self.run(py, "evict", |c| c.evict(&eviction))
    }

    /// Register how an image (or a glob of images) behaves. `timings_json` maps each timing (`pull`, `start`,
    /// `ready_after`, `crash_after`, `completes_after`, `liveness_fails_after`, `stop`) to a
    /// distribution in milliseconds (`{"fixed": 2000}`, `{"lognormal": {"median": …, "p99": …}}`,
    /// …); absent optional timings never happen. `logs` lists `{"offset": ms, "text": …}` lines.
    fn register_image(
        &self,
        pattern: &str,
        exists: bool,
        exit_code: i32,
        size_bytes: u64,
        profile_json: &str,
    ) -> PyResult<()> {
        #[derive(serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Timings {
            #[serde(default)]
            logs: Vec<LogLine>,
            #[serde(default)]
            exec: Vec<ExecCommand>,
            pull: Dist,
            start: Dist,
            ready_after: Option<Dist>,
            crash_after: Option<Dist>,
            completes_after: Option<Dist>,
            liveness_fails_after: Option<Dist>,
            stop: Option<Dist>,
        }
        let t: Timings = serde_json::from_str(profile_json)
            .map_err(|e| to_pyerr(KubesimError::InvalidArgument(format!("invalid image profile: {e}"))))?;
        let spec = ImageSpec {
            exists,
            pull: t.pull,
            start: t.start,
            ready_after: t.ready_after,
            crash_after: t.crash_after,
            exit_code,
            completes_after: t.completes_after,
            liveness_fails_after: t.liveness_fails_after,
            stop: t.stop,
            size_bytes,
            logs: t.logs.into(),
            // Declared commands come first, so they override the defaults of the same name.
            exec: t.exec.into_iter().chain(crate::kubelet::exec::default_commands().iter().cloned()).collect(),
        };
        spec.check().map_err(|e| to_pyerr(KubesimError::InvalidArgument(format!("image {pattern:?}: {e}"))))?;
        self.with("register_image", |c| {
            c.images_mut().register(pattern, spec);
            Ok(())
        })
    }

    /// `GET …/pods/{name}/log`: the container's log text.
    #[allow(clippy::too_many_arguments)]
    #[pyo3(signature = (namespace, name, container=None, previous=false, timestamps=false, tail_lines=None, since_ms=None, limit_bytes=None))]
    fn pod_log(
        &self,
        namespace: &str,
        name: &str,
        container: Option<String>,
        previous: bool,
        timestamps: bool,
        tail_lines: Option<i64>,
        since_ms: Option<i64>,
        limit_bytes: Option<i64>,
    ) -> PyResult<String> {
        let opts = LogOptions { container, previous, timestamps, tail_lines, since: since_ms, limit_bytes };
        self.with("pod_log", |c| c.pod_log(namespace, name, &opts))
    }

    /// `…/pods/{name}/exec`: `(stdout, stderr, exit_code, error)`; `error` is the message the
    /// connection ends with (kubectl prints `error: <error>`), `None` when the command ran.
    #[pyo3(signature = (namespace, name, container, command))]
    fn pod_exec(
        &self,
        namespace: &str,
        name: &str,
        container: Option<String>,
        command: Vec<String>,
    ) -> PyResult<(String, String, i32, Option<String>)> {
        self.with("pod_exec", |c| {
            Ok(match c.pod_exec(namespace, name, container.as_deref(), &command)? {
                ExecOutcome::Ran { stdout, stderr, exit_code } => (stdout, stderr, exit_code, None),
                ExecOutcome::Failed(message) => (String::new(), String::new(), 1, Some(message)),
            })
        })
    }

    fn fail_node(&self, py: Python<'_>, name: &str) -> PyResult<()> {
        self.run(py, "fail_node", |c| c.fail_node(name))
    }

    fn recover_node(&self, py: Python<'_>, name: &str) -> PyResult<()> {
        self.run(py, "recover_node", |c| c.recover_node(name))
    }

    /// A `kubectl get` table: the named objects, or all matching `selector` in `namespace` (all
    /// namespaces for None), or exactly `keys` (`(namespace, name)`, in that order). Empty string
    /// when nothing matched.
    #[allow(clippy::too_many_arguments)]
    #[pyo3(signature = (kind, namespace, names, selector, wide, show_labels, label_columns, qualify_names=false, keys=None, no_headers=false))]
    fn get_table(
        &self,
        kind: &str,
        namespace: Option<&str>,
        names: Vec<String>,
        selector: &str,
        wide: bool,
        show_labels: bool,
        label_columns: Vec<String>,
        qualify_names: bool,
        keys: Option<Vec<(String, String)>>,
        no_headers: bool,
    ) -> PyResult<String> {
        let kind = kind_of(kind)?;
        self.with("get", |c| {
            let objects = if let Some(keys) = keys {
                keys.iter().map(|(ns, n)| c.get(kind, ns, n)).collect::<Result<Vec<_>, _>>()?
            } else if names.is_empty() {
                c.list(kind, namespace, selector)?
            } else {
                let ns = namespace.unwrap_or("default");
                names.iter().map(|n| c.get(kind, ns, n)).collect::<Result<Vec<_>, _>>()?
            };
            if objects.is_empty() {
                return Ok(String::new());
            }
            let opts = crate::kubectl::table::TableOptions {
                wide,
                show_labels,
                label_columns,
                all_namespaces: namespace.is_none() && kind.namespaced(),
                qualify_names,
                no_headers,
            };
            Ok(crate::kubectl::table::render(kind, &objects, c.now(), &opts))
        })
    }

    /// The header and the rows of a `kubectl get` table as cells, for exactly `keys`
    /// (`(namespace, name)`, in that order): what `get -w` prints before it watches.
    #[pyo3(signature = (kind, keys, wide, show_labels, label_columns, all_namespaces))]
    fn table_cells(
        &self,
        kind: &str,
        keys: Vec<(String, String)>,
        wide: bool,
        show_labels: bool,
        label_columns: Vec<String>,
        all_namespaces: bool,
    ) -> PyResult<(Vec<String>, Vec<Vec<String>>)> {
        let kind = kind_of(kind)?;
        self.with("get", |c| {
            let opts = crate::kubectl::table::TableOptions {
                wide,
                show_labels,
                label_columns,
                all_namespaces: all_namespaces && kind.namespaced(),
                qualify_names: false,
                no_headers: false,
            };
            let mut rows = Vec::with_capacity(keys.len());
            for (ns, n) in &keys {
                rows.push(crate::kubectl::table::row_cells(kind, &*c.get(kind, ns, n)?, c.now(), &opts));
            }
            Ok((crate::kubectl::table::header_cells(kind, &opts), rows))
        })
    }

    /// `kubectl get -w`: the watch events of `kind` after resourceVersion `since` (in
    /// `namespace`, all for None, matching `selector`), each as the table row of the version it
    /// carries, as of now: `(type, resourceVersion, namespace, name, cells)`; and the header.
    #[allow(clippy::too_many_arguments)]
    #[pyo3(signature = (since, kind, namespace, selector, wide, show_labels, label_columns, field_selector=""))]
    fn watch_rows(
        &self,
        since: u64,
        kind: &str,
        namespace: Option<&str>,
        selector: &str,
        wide: bool,
        show_labels: bool,
        label_columns: Vec<String>,
        field_selector: &str,
    ) -> PyResult<WatchRows> {
        let kind = kind_of(kind)?;
        self.with("watch", |c| {
            let selector = filter(kind, namespace, selector, field_selector)?;
            let opts = crate::kubectl::table::TableOptions {
                wide,
                show_labels,
                label_columns,
                all_namespaces: namespace.is_none() && kind.namespaced(),
                qualify_names: false,
                no_headers: false,
            };
            let rows = c
                .watch_since(since)?
                .into_iter()
                .filter(|e| selector.matches(&e.object))
                .map(|e| {
                    let cells = crate::kubectl::table::row_cells(kind, &e.object, c.now(), &opts);
                    let o = &e.object.meta;
                    (
                        e.event_type.as_str().to_string(),
                        e.resource_version,
                        o.namespace.to_string(),
                        o.name.to_string(),
                        cells,
                    )
                })
                .collect();
            Ok((crate::kubectl::table::header_cells(kind, &opts), rows))
        })
    }

    /// Set a Deployment's demand: each of `cpu`, `memory` is None, a schedule
    /// `[(ms since now, milli-units), …]` (one point at 0 is a constant) or a callable of the
    /// elapsed virtual seconds returning milli-units; `idle_*` is each running pod's baseline.
    #[pyo3(signature = (namespace, name, cpu=None, memory=None, idle_cpu=None, idle_memory=None))]
    fn set_load(
        &self,
        namespace: &str,
        name: &str,
        cpu: Option<&Bound<'_, PyAny>>,
        memory: Option<&Bound<'_, PyAny>>,
        idle_cpu: Option<i64>,
        idle_memory: Option<i64>,
    ) -> PyResult<()> {
        let (cpu, memory) = (demand_arg(cpu)?, demand_arg(memory)?);
        let idle = Usage { cpu: idle_cpu, memory: idle_memory };
        self.with("set_load", |c| c.set_load(namespace, name, cpu, memory, idle))
    }

    /// Fix a pod's usage (milli-units).
    #[pyo3(signature = (namespace, name, cpu=None, memory=None))]
    fn set_usage(&self, namespace: &str, name: &str, cpu: Option<i64>, memory: Option<i64>) -> PyResult<()> {
        self.with("set_usage", |c| c.set_usage(namespace, name, Usage { cpu, memory }))
    }

    /// Set a Deployment's Pods metric `metric` (a demand as for `set_load`; None removes it):
    /// every running pod reports it (`per_pod`), or its Ready pods share it.
    #[pyo3(signature = (namespace, name, metric, value, per_pod))]
    fn set_pods_metric(
        &self,
        namespace: &str,
        name: &str,
        metric: &str,
        value: Option<&Bound<'_, PyAny>>,
        per_pod: bool,
    ) -> PyResult<()> {
        let value = demand_arg(value)?.map(|d| (d, per_pod));
        self.with("set_metric", |c| c.set_pods_metric(namespace, name, metric, value))
    }

    /// Fix one pod's value of a Pods metric (milli-units); None clears it.
    fn set_pod_metric(&self, namespace: &str, name: &str, metric: &str, value: Option<i64>) -> PyResult<()> {
        self.with("set_metric", |c| c.set_pod_metric(namespace, name, metric, value))
    }

    /// Set one series (identified by its labels) of an External metric; None removes it.
    fn set_external_metric(
        &self,
        metric: &str,
        labels: BTreeMap<String, String>,
        value: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let value = demand_arg(value)?;
        self.with("set_external_metric", |c| c.set_external_metric(metric, labels, value))
    }

    /// `kubectl top pods|nodes` as kubectl prints it: `kind` is `pods` or `nodes` (any spelling
    /// kubectl accepts), `namespace` None means all namespaces (pods), `selector` a label
    /// selector, `sort_by` `cpu` or `memory`, `name` one object. `""` when no pod matched
    /// (kubectl then prints "No resources found…" on stderr).
    #[pyo3(signature = (kind, namespace, selector="", sort_by=None, name=None, no_headers=false))]
    fn top_table(
        &self,
        kind: &str,
        namespace: Option<&str>,
        selector: &str,
        sort_by: Option<&str>,
        name: Option<&str>,
        no_headers: bool,
    ) -> PyResult<String> {
        let kind = kind_of(kind)?;
        let request = crate::kubectl::top::TopRequest { name, selector, sort_by, no_headers };
        self.with("top", |c| c.top(kind, namespace, &request))
    }

    /// `kubectl describe KIND NAME`.
    fn describe(&self, kind: &str, namespace: &str, name: &str) -> PyResult<String> {
        let kind = kind_of(kind)?;
        self.with("describe", |c| c.describe(kind, namespace, name))
    }

    /// A ReplicaSet's (or with `kind="ControllerRevision"`, a revision's) pod template as
    /// `rollout history --revision` prints it.
    #[pyo3(signature = (namespace, name, kind=None))]
    fn describe_template(&self, namespace: &str, name: &str, kind: Option<&str>) -> PyResult<String> {
        match kind {
            Some("ControllerRevision") => {
                self.with("rollout history", |c| c.describe_revision_template(namespace, name))
            }
            _ => self.with("rollout history", |c| c.describe_template(namespace, name)),
        }
    }

    /// The object budget (`Cluster(max_objects=…)`).
    #[getter]
    fn max_objects(&self) -> PyResult<usize> {
        self.with("max_objects", |c| Ok(c.max_objects()))
    }

    fn set_max_objects(&self, n: usize) -> PyResult<()> {
        self.with("max_objects", |c| {
            c.set_max_objects(n);
            Ok(())
        })
    }

    /// Turn Event recording on or off.
    fn set_events(&self, on: bool) -> PyResult<()> {
        self.with("set_events", |c| {
            c.set_record_events(on);
            Ok(())
        })
    }

    /// Objects per kind, pods per phase, ready and terminating pods.
    fn stats(&self) -> PyResult<BTreeMap<String, u64>> {
        self.with("stats", |c| Ok(c.stats()))
    }

    /// The latencies modelled, as JSON (see `kubesim.Latency`).
    #[getter]
    fn latency_json(&self) -> PyResult<String> {
        self.with("latency", |c| {
            serde_json::to_string(c.latency()).map_err(|e| KubesimError::Simulation(format!("latency: {e}")))
        })
    }

    #[getter]
    fn threads(&self) -> PyResult<usize> {
        self.with("threads", |c| Ok(c.threads()))
    }

    /// One object as a dict, made from its stored value; with `path`, only the value under
    /// those keys (None when one is absent), e.g. `("status",)`.
    #[pyo3(signature = (kind, namespace, name, path=None))]
    fn get<'py>(
        &self,
        py: Python<'py>,
        kind: &str,
        namespace: &str,
        name: &str,
        path: Option<Vec<String>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let kind = kind_of(kind)?;
        let (obj, at) = self.with("get", |c| Ok((c.get(kind, namespace, name)?, clock_of(c))))?;
        self.outside("get", at, || match path.as_deref() {
            None | Some([]) => to_py::object(py, &obj),
            // A handle's status and metadata reads: the part alone, not the whole object.
            Some([part]) if part == "status" => {
                #[cfg(debug_assertions)]
                assert_eq!(serde_json::to_value(obj.status_wire()).ok(), Some(obj.to_json()["status"].clone()));
                to_py::value(py, &obj.status_wire())
            }
            Some([part]) if part == "metadata" => to_py::value(py, &obj.meta.to_object_meta()),
            Some(path) => match objects::at_path(&obj.to_json(), path) {
                Some(v) => to_py::value(py, v),
                None => Ok(py.None().into_bound(py)),
            },
        })
    }

    /// `(Kind, namespace)` of a stored object, or NotFoundError: a lookup in the store's index
    /// that serialises nothing.
    fn locate(&self, kind: &str, namespace: &str, name: &str) -> PyResult<(&'static str, String)> {
        let kind = kind_of(kind)?;
        self.with("get", |c| Ok((kind.name(), c.get(kind, namespace, name)?.meta.namespace.to_string())))
    }

    /// Whether the object is stored (a lookup, as for `locate`).
    fn exists(&self, kind: &str, namespace: &str, name: &str) -> PyResult<bool> {
        let kind = kind_of(kind)?;
        self.with("get", |c| Ok(c.get(kind, namespace, name).is_ok()))
    }

    /// The objects of one kind named by `keys` (`(namespace, name)`), as dicts, in that order.
    fn get_many<'py>(&self, py: Python<'py>, kind: &str, keys: Vec<(String, String)>) -> PyResult<Bound<'py, PyList>> {
        let kind = kind_of(kind)?;
        let (objs, at) = self.with("get", |c| {
            let objs = keys.iter().map(|(ns, n)| c.get(kind, ns, n)).collect::<Result<Vec<_>, _>>()?;
            Ok((objs, clock_of(c)))
        })?;
        self.outside("get", at, || dict_list(py, &objs))
    }

    /// `kubectl get -o json|yaml` of the objects named by `items` (`(kind, namespace, name)`), in
    /// that order: the object itself when `single` and there is one, else a `List`.
    fn print_objects(&self, items: Vec<(String, String, String)>, single: bool, output: &str) -> PyResult<String> {
        let kinds = items.iter().map(|(k, _, _)| kind_of(k)).collect::<PyResult<Vec<_>>>()?;
        let (objs, at) = self.with("get", |c| {
            let objs =
                kinds.iter().zip(&items).map(|(k, (_, ns, n))| c.get(*k, ns, n)).collect::<Result<Vec<_>, _>>()?;
            Ok((objs, clock_of(c)))
        })?;
        let printed = match objs.as_slice() {
            [one] if single => objects::Printed::Object(one),
            all => objects::Printed::List(all),
        };
        match output {
            "json" => self.outside("get", at, || Ok(printed.json())),
            "yaml" => self.outside("get", at, || Ok(printed.yaml())),
            other => Err(PyValueError::new_err(format!("print_objects writes json or yaml, not {other:?}"))),
        }
    }

    /// YAML of one object, as `kubectl get -o yaml` shows it.
    fn get_yaml(&self, kind: &str, namespace: &str, name: &str) -> PyResult<String> {
        let kind = kind_of(kind)?;
        self.with("get", |c| c.get(kind, namespace, name).map(|o| crate::api::yaml::to_yaml(&o.to_json())))
    }

    /// `(namespace, name)` of every matching object (labels, and fields as the API server
    /// selects them), in list order.
    #[pyo3(signature = (kind, namespace, selector="", field_selector=""))]
    fn list_names(
        &self,
        kind: &str,
        namespace: Option<&str>,
        selector: &str,
        field_selector: &str,
    ) -> PyResult<Vec<(String, String)>> {
        let kind = kind_of(kind)?;
        self.with("list", |c| {
            let objs = if field_selector.is_empty() {
                c.list(kind, namespace, selector)?
            } else {
                filter(kind, namespace, selector, field_selector)?.list(c)
            };
            Ok(objs.iter().map(|o| (o.meta.namespace.to_string(), o.meta.name.to_string())).collect())
        })
    }

    /// `(namespace, name)` of the Events whose involvedObject names `uid`, in `namespace` (or
    /// in all), in list order.
    fn event_names_about(&self, uid: &str, namespace: Option<&str>) -> PyResult<Vec<(String, String)>> {
        self.with("events", |c| {
            Ok(c.events_about(uid, namespace)
                .iter()
                .map(|o| (o.meta.namespace.to_string(), o.meta.name.to_string()))
                .collect())
        })
    }

    /// `(namespace, name)` of the objects of `kind` in `namespace` whose controller is `uid`,
    /// in list order (none for a uid that is not one).
    fn controlled_names(&self, kind: &str, namespace: &str, uid: &str) -> PyResult<Vec<(String, String)>> {
        let kind = kind_of(kind)?;
        let Some(uid) = crate::api::meta::Uid::parse(uid) else { return Ok(Vec::new()) };
        self.with("list", |c| {
            Ok(c.controlled(kind, namespace, uid)
                .iter()
                .map(|o| (o.meta.namespace.to_string(), o.meta.name.to_string()))
                .collect())
        })
    }

    /// Matching objects as dicts, in list order, each made from its stored value in turn.
    #[pyo3(signature = (kind, namespace, selector=""))]
    fn list<'py>(
        &self,
        py: Python<'py>,
        kind: &str,
        namespace: Option<&str>,
        selector: &str,
    ) -> PyResult<Bound<'py, PyList>> {
        let kind = kind_of(kind)?;
        let (objs, at) = self.with("list", |c| Ok((c.list(kind, namespace, selector)?, clock_of(c))))?;
        self.outside("list", at, || dict_list(py, &objs))
    }

    /// Watch events after `since`: `(type, resourceVersion, object)`, the object as a dict.
    fn watch<'py>(&self, py: Python<'py>, since: u64) -> PyResult<Bound<'py, PyList>> {
        let (events, at) = self.with("watch", |c| Ok((c.watch_since(since)?, clock_of(c))))?;
        self.outside("watch", at, || {
            let _paused = objects::GcPaused::new(py);
            let out = PyList::empty(py);
            for e in &events {
                out.append((e.event_type.as_str(), e.resource_version, to_py::object(py, &e.object)?))?;
            }
            Ok(out)
        })
    }

    #[getter]
    fn resource_version(&self) -> PyResult<u64> {
        self.with("resource_version", |c| Ok(c.store().resource_version()))
    }

    #[getter]
    fn now_ms(&self) -> PyResult<i64> {
        self.with("now", |c| Ok(c.now()))
    }

    #[getter]
    fn start_ms(&self) -> PyResult<i64> {
        self.with("start", |c| Ok(c.clock().start()))
    }

    #[getter]
    fn next_event_ms(&self) -> PyResult<Option<i64>> {
        self.with("advance", |c| Ok(c.next_event_time()))
    }

    #[getter]
    fn next_change_ms(&self) -> PyResult<Option<i64>> {
        self.with("advance", |c| Ok(c.next_change_time()))
    }

    fn advance_ms(&self, py: Python<'_>, ms: i64) -> PyResult<()> {
        self.run(py, "advance", |c| c.advance(ms))
    }

    fn run_to_ms(&self, py: Python<'_>, t: i64) -> PyResult<()> {
        self.run(py, "advance", |c| c.run_to(t))
    }

    /// `run_to_ms`, returning after the first instant that wrote something; True at `t`.
    fn run_to_change_ms(&self, py: Python<'_>, t: i64) -> PyResult<bool> {
        self.run(py, "advance", |c| c.run_to_change(t))
    }

    /// The timeline log that `timeline_sample` and `run_to_sampled_ms` fold samples into.
    fn timeline_into(&self, log: Py<timeline::PyTimelineLog>) {
        *self.timeline.lock() = Some(log);
    }

    /// A timeline sample of what was written after the log's resourceVersion (0: everything),
    /// folded into the log (`timeline_into`).
    #[pyo3(signature = (pods=true))]
    fn timeline_sample(&self, py: Python<'_>, pods: bool) -> PyResult<()> {
        let log = self.timeline_log(py)?;
        let mut log = log.bind(py).try_borrow_mut()?;
        let log = &mut log.0;
        self.with("record", |c| {
            c.sample_into(pods, log);
            Ok(())
        })
    }

    /// `run_to_change_ms` and `timeline_sample` in turn until `t`: a sample after each instant
    /// that wrote. On an error, the samples taken before it are in the log.
    #[pyo3(signature = (t, pods=true))]
    fn run_to_sampled_ms(&self, py: Python<'_>, t: i64, pods: bool) -> PyResult<()> {
        let log = self.timeline_log(py)?;
        let mut log = log.bind(py).try_borrow_mut()?;
        let log = &mut log.0;
        self.run(py, "advance", |c| c.run_to_sampled(t, pods, log))
    }

    /// Recording stopped: the store no longer keeps the keys written for the recorder.
    fn timeline_stop(&self) -> PyResult<()> {
        self.with("record", |c| {
            c.timeline_read(None);
            Ok(())
        })
    }

    /// For kubesim's own tests of the containment above: an internal error (a panic on a worker
    /// thread) in the middle of the operation named `op`.
    fn _debug_panic(&self, py: Python<'_>, op: &str) -> PyResult<()> {
        self.run(py, op, |c| {
            c.on_workers(&|| panic!("injected by _debug_panic"));
            Ok(())
        })
    }

    fn __repr__(&self) -> String {
        if self.broken.lock().is_some() {
            return "<kubesim._native.Cluster (broken by an internal error)>".into();
        }
        match self.inner.try_lock() {
            Some(c) => {
                format!("<kubesim._native.Cluster objects={} rv={}>", c.store().len(), c.store().resource_version())
            }
            None => "<kubesim._native.Cluster (busy)>".into(),
        }
    }

    /// [`release_memory`], and the same on each of this cluster's worker threads (memory they
    /// allocated and others freed is returned only from the thread that allocated it).
    fn release_memory(&self, py: Python<'_>) -> PyResult<()> {
        // SAFETY: as in `release_memory`.
        self.run(py, "release_memory", |c| {
            c.on_workers(&|| unsafe { libmimalloc_sys::mi_collect(true) });
            Ok(())
        })?;
        release_memory(py);
        Ok(())
    }
}

/// Objects as a list of dicts, one object's value at a time.
fn dict_list<'py>(py: Python<'py>, objs: &[Arc<crate::api::Object>]) -> PyResult<Bound<'py, PyList>> {
    let _paused = objects::GcPaused::new(py);
    let out = PyList::empty(py);
    for o in objs {
        out.append(to_py::object(py, o)?)?;
    }
    Ok(out)
}

/// Return freed memory to the operating system (mimalloc's `mi_collect`); the resident size
/// then reflects what the simulation holds rather than its peak.
#[pyfunction]
fn release_memory(py: Python<'_>) {
    // SAFETY: mi_collect only walks mimalloc's own heaps; it is safe to call at any time.
    py.detach(|| unsafe { libmimalloc_sys::mi_collect(true) });
}

/// Parse a duration (`"1m30s"`, `"250ms"`, `"90"`) into milliseconds.
#[pyfunction]
fn parse_duration(text: &str) -> PyResult<i64> {
    contained("parse_duration", || core_parse_duration(text).map_err(|e| to_pyerr(e.into())))
}

/// A quantity (`"1500m"`, `"2"`, `"128Mi"`) in milli-units.
#[pyfunction]
fn parse_quantity(text: &str) -> PyResult<i64> {
    contained("parse_quantity", || {
        crate::api::quantity::parse_milli(text)
            .and_then(|v| i64::try_from(v).ok())
            .ok_or_else(|| to_pyerr(KubesimError::InvalidArgument(format!("invalid quantity {text:?}"))))
    })
}

/// Parse a label selector string and return its canonical form.
#[pyfunction]
fn parse_selector(text: &str) -> PyResult<String> {
    contained("parse_selector", || Selector::parse(text).map(|s| s.to_string()).map_err(|e| to_pyerr(e.into())))
}

/// Does the selector match the labels?
#[pyfunction]
fn selector_matches(selector: &str, labels: std::collections::BTreeMap<String, String>) -> PyResult<bool> {
    contained("selector_matches", || {
        let s = Selector::parse(selector).map_err(|e| to_pyerr(e.into()))?;
        Ok(s.matches(&labels))
    })
}

/// Resolve a kind as kubectl spells it: `(Kind, namespaced)`.
#[pyfunction]
fn resolve_kind(name: &str) -> PyResult<(String, bool)> {
    let k = kind_of(name)?;
    Ok((k.name().to_string(), k.namespaced()))
}

/// `(Kind, namespaced, plural, short names, apiVersion, qualified singular, API resource)` for a
/// kind as kubectl spells it.
type KindInfo = (String, bool, String, Vec<String>, String, String, String);

#[pyfunction]
fn kind_info(name: &str) -> PyResult<KindInfo> {
    let k = kind_of(name)?;
    Ok((
        k.name().to_string(),
        k.namespaced(),
        k.plural().to_string(),
        k.short_names().iter().map(|s| s.to_string()).collect(),
        k.api_version().to_string(),
        k.qualified_singular(),
        k.resource(),
    ))
}

/// The documents of a manifest text (YAML or JSON, multi-document, `kind: List` expanded), each
/// as JSON text; syntax errors name the source, document, line and column.
#[pyfunction]
fn parse_manifest(text: &str, source: &str) -> PyResult<Vec<String>> {
    contained("parse_manifest", || {
        let docs = crate::api::manifest::parse_documents(text, source).map_err(|e| to_pyerr(e.into()))?;
        Ok(docs.into_iter().map(|d| d.value.to_string()).collect())
    })
}

/// Why a label value is invalid (empty when it is valid), in upstream's words.
#[pyfunction]
fn label_value_errors(value: &str) -> Vec<String> {
    crate::labels::validation::is_valid_label_value(value)
}

type WatchRows = (Vec<String>, Vec<(String, u64, String, String, Vec<String>)>);

/// Why a label key (a qualified name) is invalid (empty when it is valid), in upstream's words.
#[pyfunction]
fn qualified_name_errors(value: &str) -> Vec<String> {
    crate::labels::validation::is_qualified_name(value)
}

/// Every kind the simulated API server serves.
#[pyfunction]
fn served_kinds() -> Vec<&'static str> {
    crate::api::Kind::ALL.iter().map(|k| k.name()).collect()
}

/// The kinds with a `/status` subresource.
#[pyfunction]
fn status_kinds() -> Vec<&'static str> {
    crate::api::Kind::ALL.iter().filter(|k| k.has_status()).map(|k| k.name()).collect()
}

/// Rows aligned like kubectl's tab writer (padding 3, no trailing spaces).
#[pyfunction]
fn tabwrite(rows: Vec<Vec<String>>) -> String {
    crate::kubectl::tabwrite(&rows)
}

/// Any JSON value as kubectl prints YAML (`-o yaml`).
#[pyfunction]
fn to_yaml(json: &str) -> PyResult<String> {
    contained("to_yaml", || {
        let value: serde_json::Value =
            serde_json::from_str(json).map_err(|e| PyValueError::new_err(format!("not JSON: {e}")))?;
        Ok(crate::api::yaml::to_yaml(&value))
    })
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    install_panic_hook();
    m.add_class::<PyCluster>()?;
    m.add_class::<timeline::PyTimelineLog>()?;
    m.add_class::<server::PyServer>()?;
    m.add_function(wrap_pyfunction!(parse_duration, m)?)?;
    m.add_function(wrap_pyfunction!(release_memory, m)?)?;
    m.add_function(wrap_pyfunction!(parse_quantity, m)?)?;
    m.add_function(wrap_pyfunction!(parse_selector, m)?)?;
    m.add_function(wrap_pyfunction!(selector_matches, m)?)?;
    m.add_function(wrap_pyfunction!(resolve_kind, m)?)?;
    m.add_function(wrap_pyfunction!(kind_info, m)?)?;
    m.add_function(wrap_pyfunction!(served_kinds, m)?)?;
    m.add_function(wrap_pyfunction!(status_kinds, m)?)?;
    m.add_function(wrap_pyfunction!(parse_manifest, m)?)?;
    m.add_function(wrap_pyfunction!(label_value_errors, m)?)?;
    m.add_function(wrap_pyfunction!(qualified_name_errors, m)?)?;
    m.add_function(wrap_pyfunction!(tabwrite, m)?)?;
    m.add_function(wrap_pyfunction!(to_yaml, m)?)?;
    m.add_function(wrap_pyfunction!(snapshot::frame_snapshot, m)?)?;
    m.add_function(wrap_pyfunction!(snapshot::unframe_snapshot, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("DEFAULT_EPOCH_MS", DEFAULT_EPOCH_MS)?;
    Ok(())
}
