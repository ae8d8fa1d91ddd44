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
//!                                         │ read back from the files
//!                                         ▼
//!                  report::run_page ──► report.html (report::html: one self-contained page)
//! ```
//!
//! Above one run: `sweep` runs many `(scenario, seed)` points of that pipeline in
//! parallel and merges their summaries by index, `capacity` searches one field for the
//! smallest value meeting objectives, and `compare` gates one result against another.
//!
//! ## The determinism contract
//!
//! The same scenario and seed give byte-identical outputs (all files but `run.json`, which
//! holds wall-clock figures). This holds because time is an integer (nanoseconds), events
//! fire in `(time, emission sequence)` order, every random draw comes from a named ChaCha8
//! stream (`engine::rng`), and the model never iterates a hash map.
//!
//! ## Using it as a library
//!
//! ```
//! use pacsim::metrics::{summarize, Recorder};
//!
//! let yaml = r#"
//! name: doc
//! duration: 1h
//! clusters:
//!   - name: c
//!     hosts: [ { name: esx, count: 2, cores: 8, mhz: 2600, memory: 64GiB } ]
//! images: [ { name: app, size: 100MB } ]
//! workloads:
//!   - kind: pod-group
//!     name: web
//!     image: app
//!     arrival: { at_start: 4 }
//!     requests: { cpu: 1, memory: 2GiB }
//! "#;
//! let scenario = pacsim::scenario::load_str("doc.yaml", yaml, &[]).expect("valid");
//! let mut world = pacsim::model::build(&scenario, 0);
//! let mut recorder = Recorder::new(&world);
//! pacsim::model::run(&mut world, &mut recorder, &mut |_| {});
//! let summary = summarize(&scenario, &world, &recorder);
//! assert_eq!(summary["metrics"]["pods_placed"], 4);
//! ```
//!
//! Module dependencies point one way: `engine` imports nothing from the crate; `policy`
//! sees `engine` and its own views; `model` uses `engine`, `policy` and the validated
//! `scenario`; only `cli` touches files, the terminal, the environment and the clock.

pub mod capacity;
pub mod cli;
pub mod compare;
pub mod engine;
pub mod metrics;
pub mod model;
pub mod policy;
pub mod report;
pub mod scenario;
pub mod sweep;
pub mod trace;
