//! `Cluster.serve()`: the embedded API server (src/server/) started on the binding's cluster.

use std::sync::atomic::Ordering;

use parking_lot::Mutex;
use pyo3::exceptions::PyOSError;
use pyo3::prelude::*;

use super::{to_pyerr, PyCluster};
use crate::error::KubesimError;
use crate::server::{ClockMode, Server, ServerOptions};

#[pyclass(module = "kubesim._native", name = "Server", frozen)]
pub struct PyServer {
    inner: Mutex<Option<Server>>,
    url: String,
}

#[pymethods]
impl PyServer {
    #[getter]
    fn url(&self) -> String {
        self.url.clone()
    }

    #[getter]
    fn running(&self) -> bool {
        self.inner.lock().as_ref().is_some_and(Server::is_running)
    }

    /// Stop serving (idempotent); open watches end.
    fn stop(&self, py: Python<'_>) {
        let taken = self.inner.lock().take();
        if let Some(mut server) = taken {
            // The server thread may need the GIL (a load callable while the wall clock runs).
            py.detach(move || server.stop());
        }
    }

    fn __repr__(&self) -> String {
        format!("Server(url={:?})", self.url)
    }
}

impl Drop for PyServer {
    fn drop(&mut self) {
        // Dropped without stop(): stop without the GIL, as stop() does.
        if let Some(mut server) = self.inner.get_mut().take() {
            Python::attach(|py| py.detach(move || server.stop()));
        }
    }
}

pub fn serve(
    cluster: &PyCluster,
    py: Python<'_>,
    address: &str,
    port: u16,
    token: Option<String>,
    clock: &str,
    speed: f64,
) -> PyResult<PyServer> {
    let clock = match clock {
        "manual" => ClockMode::Manual,
        "wall" if speed.is_finite() && speed > 0.0 => ClockMode::Wall { speed },
        "wall" => {
            return Err(to_pyerr(KubesimError::InvalidArgument(format!(
                "speed must be a positive number, not {speed}"
            ))))
        }
        other => {
            return Err(to_pyerr(KubesimError::InvalidArgument(format!(
                "clock must be \"manual\" or \"wall\", not {other:?}"
            ))))
        }
    };
    let options = ServerOptions {
        address: address.to_string(),
        port,
        token,
        clock,
        broken: cluster.broken.clone(),
        writes: cluster.served_writes.clone(),
    };
    let shared = cluster.inner.clone();
    let server = py
        .detach(move || Server::start(shared, options))
        .map_err(|e| PyOSError::new_err(format!("cannot serve on {address}:{port}: {e}")))?;
    let url = server.url().to_string();
    Ok(PyServer { inner: Mutex::new(Some(server)), url })
}

pub fn served_writes(cluster: &PyCluster) -> u64 {
    cluster.served_writes.load(Ordering::Relaxed)
}
