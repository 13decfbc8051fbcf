//! Snapshots from Python: the bytes of a cluster, and the callables they refer to (which the
//! Python side pickles with its own state).

use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList};

use super::{contained, to_pyerr, PySeries};
use crate::cluster::Cluster;
use crate::error::KubesimError;
use crate::metrics::Series;

/// `(snapshot bytes, [callable, …])` of a cluster.
pub(super) fn snapshot<'py>(py: Python<'py>, c: &Cluster) -> PyResult<(Bound<'py, PyBytes>, Bound<'py, PyList>)> {
    let (bytes, series) = py.detach(|| c.snapshot()).map_err(to_pyerr)?;
    let callables = PyList::empty(py);
    for s in series {
        let callable = s.as_any().and_then(|a| a.downcast_ref::<PySeries>()).map(|p| p.callable.clone_ref(py));
        let callable = callable.ok_or_else(|| {
            to_pyerr(KubesimError::Simulation("internal: a load series that is not a Python callable".into()))
        })?;
        callables.append(callable)?;
    }
    Ok((PyBytes::new(py, &bytes), callables))
}

/// The cluster in `data`, its callables given back in the order [`snapshot`] returned them.
pub(super) fn restore(
    py: Python<'_>,
    data: &[u8],
    source: &str,
    callables: Vec<Py<PyAny>>,
    threads: usize,
) -> PyResult<Cluster> {
    let series: Vec<Arc<dyn Series>> =
        callables.into_iter().map(|callable| Arc::new(PySeries { callable }) as Arc<dyn Series>).collect();
    let loaded = py.detach(|| {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| Cluster::from_snapshot(data, source, series, threads)))
    });
    contained("Cluster.load", || match loaded {
        Ok(r) => r.map_err(to_pyerr),
        Err(payload) => std::panic::resume_unwind(payload),
    })
}

/// `payload` (bytes) behind kubesim's snapshot header, in a zstd frame with its checksum (the
/// cluster's own snapshot in it is compressed already: zstd stores such blocks as they are),
/// so that a truncated or damaged file is told apart from another kind of file: what `c.save`
/// writes.
#[pyfunction]
pub(super) fn frame_snapshot<'py>(py: Python<'py>, payload: &[u8]) -> PyResult<Bound<'py, PyBytes>> {
    let framed = py.detach(|| crate::snapshot::frame(payload, true)).map_err(to_pyerr)?;
    Ok(PyBytes::new(py, &framed))
}

/// The payload of bytes [`frame_snapshot`] wrote; errors name `source`.
#[pyfunction]
pub(super) fn unframe_snapshot<'py>(py: Python<'py>, data: &[u8], source: &str) -> PyResult<Bound<'py, PyBytes>> {
    let payload = py.detach(|| crate::snapshot::unframe(data, source)).map_err(|e| to_pyerr(e.into()))?;
    Ok(PyBytes::new(py, &payload))
}
