//! kubesim's core: a Kubernetes workload control plane in deterministic virtual time.
pub mod api;
pub mod labels;
