//! # pacsim
//!
//! A deterministic discrete-event simulator of a vSphere datacenter that runs Kubernetes
//! natively (VMware's Project Pacific): ESXi hosts, vCenter placement, native pods with
//! their start-up cost, metrics and plots.
//!
//! ```text
//! scenario.yaml ──► scenario::load ──► Scenario (typed, validated, every error at once)
//!                                         │
//!                                         ▼
//!                           model::build (the only Scenario -> World mapping)
//!                                         │
//!                                         ▼
//!       engine::EventQueue ◄── model::World handles Events, asks policy::* for
//!       (clock, (time, seq)     decisions through a read-only view
//!        order, rng streams)            │ observed by
//!                                         ▼
//!                           metrics::Recorder ──► summary + time series
//!                                         │
//!                                         ▼
//!                  report (JSON, CSV, written atomically) ──► plot (PNG, SVG)
//! ```
//!
//! ## The determinism contract
//!
//! The same scenario and seed give byte-identical outputs (all files but `run.json`, which
//! holds wall-clock figures). This holds because time is an integer (nanoseconds), events
//! fire in `(time, emission sequence)` order, every random draw comes from a named ChaCha8
//! stream (`engine::rng`), and the model never iterates a hash map.
//!
//! Module dependencies point one way: `engine` imports nothing from the crate; `policy`
//! sees `engine` and its own views; `model` uses `engine`, `policy` and the validated
//! `scenario`; only `cli` touches files, the terminal, the environment and the clock.

pub mod cli;
pub mod engine;
pub mod metrics;
pub mod model;
pub mod policy;
pub mod report;
pub mod scenario;
