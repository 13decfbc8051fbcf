//! Virtual time and (later) the discrete-event engine.
pub mod clock;
pub mod latency;
pub mod rng;
