//! The timeline recorder's log (`timeline::Log`) as a Python object: the Python recorder holds
//! one and hands it to the cluster it samples (`Cluster.timeline_into`); its rows become Python
//! values only when read.

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList, PyString};
use rustc_hash::FxHashMap;

use crate::sim::clock::Millis;
use crate::timeline::{FieldValue, Log};

#[pyclass(module = "kubesim._native", name = "TimelineLog")]
#[derive(Clone, Default)]
pub struct PyTimelineLog(pub Log);

/// Python strings for the texts that repeat across rows (kinds, namespaces, field names, event
/// types, reasons and sources): each made once a read rather than once a row.
#[derive(Default)]
struct Strings<'s, 'py>(FxHashMap<&'s str, Bound<'py, PyString>>);

impl<'s, 'py> Strings<'s, 'py> {
    fn get(&mut self, py: Python<'py>, text: &'s str) -> Bound<'py, PyString> {
        self.0.entry(text).or_insert_with(|| PyString::new(py, text)).clone()
    }
}

/// Virtual seconds since `origin`.
fn seconds(t: Millis, origin: Millis) -> f64 {
    (t - origin) as f64 / 1000.0
}

#[pymethods]
impl PyTimelineLog {
    #[new]
    fn new() -> Self {
        Self::default()
    }

    /// The resourceVersion the last sample read up to (0: the next sample reads everything).
    #[getter]
    fn resource_version(&self) -> u64 {
        self.0.resource_version
    }

    #[setter]
    fn set_resource_version(&mut self, rv: u64) {
        self.0.resource_version = rv;
    }

    /// The number of rows.
    fn __len__(&self) -> usize {
        self.0.rows.len()
    }

    /// The number of event occurrences.
    #[getter]
    fn event_count(&self) -> usize {
        self.0.events.len()
    }

    /// The rows from `start` on, as `(time, kind, namespace, name, field, value)`, the time in
    /// seconds since `origin_ms`.
    fn rows<'py>(&self, py: Python<'py>, origin_ms: Millis, start: usize) -> PyResult<Bound<'py, PyList>> {
        let mut strings = Strings::default();
        let out = PyList::empty(py);
        for r in self.0.rows.iter_from(start) {
            let value = match &r.value {
                FieldValue::Int(i) => i.into_pyobject(py)?.into_any(),
                FieldValue::Str(t) => strings.get(py, t).into_any(),
                FieldValue::Bool(b) => b.into_pyobject(py)?.to_owned().into_any(),
            };
            let (kind, namespace) = (strings.get(py, r.kind.name()), strings.get(py, &r.namespace));
            out.append((seconds(r.time, origin_ms), kind, namespace, &*r.name, strings.get(py, &r.field), value))?;
        }
        Ok(out)
    }

    /// Where each sample that recorded something starts, from the `start`-th such sample on.
    fn starts(&self, start: usize) -> Vec<usize> {
        self.0.starts.get(start..).unwrap_or_default().to_vec()
    }

    /// The event occurrences from `start` on, as `(time, namespace, kind, name, type, reason,
    /// message, source, count, first_time)`: the involved object's kind and name, times in
    /// seconds since `origin_ms` (the last occurrence, the first).
    fn events<'py>(&self, py: Python<'py>, origin_ms: Millis, start: usize) -> PyResult<Bound<'py, PyList>> {
        let mut strings = Strings::default();
        let out = PyList::empty(py);
        for e in self.0.events.iter_from(start) {
            out.append((
                seconds(e.last, origin_ms),
                strings.get(py, &e.namespace),
                strings.get(py, &e.kind),
                &*e.object,
                strings.get(py, &e.type_),
                strings.get(py, &e.reason),
                &*e.message,
                strings.get(py, &e.source),
                e.count,
                seconds(e.first, origin_ms),
            ))?;
        }
        Ok(out)
    }

    fn __copy__(&self) -> Self {
        self.clone()
    }

    fn __deepcopy__(&self, _memo: &Bound<'_, PyAny>) -> Self {
        self.clone()
    }

    fn __getstate__<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.0.save())
    }

    fn __setstate__(&mut self, state: &[u8]) -> PyResult<()> {
        let log = Log::load(state)
            .map_err(|e| pyo3::exceptions::PyValueError::new_err(format!("not a saved timeline log: {e}")))?;
        self.0 = log;
        Ok(())
    }
}
