//! Metrics as observers of the model: counters, time-integrated energy and imbalance,
//! a start-up latency histogram, and samples at the scenario's interval.

pub mod recorder;
pub mod sla;
pub mod summary;
pub mod supervisor;
pub mod traffic;

pub use recorder::{ClusterSample, Recorder, Sample};
pub use summary::summarize;
