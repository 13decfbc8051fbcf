//! kubesim's core: a Kubernetes workload control plane in deterministic virtual time.
//!
//! A [`cluster::Cluster`] holds an object [`store::Store`] (what the API server and etcd are to a
//! real cluster) and a virtual [`sim::clock::Clock`]. Manifests go in through
//! [`cluster::Cluster::apply_text`]: each document is decoded strictly into k8s-openapi wire
//! types, defaulted and validated exactly as the API server would, then stored with a uid,
//! resourceVersion, generation and creationTimestamp.
//!
//! ```
//! use _native::cluster::{Cluster, ClusterOptions};
//! use _native::api::Kind;
//!
//! let mut c = Cluster::new(ClusterOptions::default()).unwrap();
//! let text = std::fs::read_to_string("examples/nginx-deployment.yaml").unwrap();
//! let results = c.apply_text(&text, "nginx-deployment.yaml").unwrap();
//! assert_eq!(results[0].as_ref().unwrap().to_string(), "deployment.apps/nginx-deployment created");
//! let d = c.get(Kind::Deployment, "default", "nginx-deployment").unwrap();
//! assert_eq!(d.meta.generation, 1);
//! ```
//!
//! With the `server` feature (on by default), [`server::Server`] serves a cluster held behind a
//! lock over HTTP as a Kubernetes API server, for the real `kubectl` and client libraries.
pub mod api;
pub mod cluster;
pub mod controllers;
pub mod engine;
pub mod error;
pub mod kubectl;
pub mod kubelet;
pub mod labels;
pub mod metrics;
#[cfg(feature = "server")]
pub mod server;
pub mod sim;
pub mod snapshot;
pub mod store;
pub mod timeline;

#[cfg(feature = "python")]
mod py;

/// The Python extension allocates with mimalloc (faster for kubesim's many small objects, and it
/// returns memory instead of fragmenting); the core itself does not choose an allocator.
#[cfg(feature = "python")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

pub use error::KubesimError;
