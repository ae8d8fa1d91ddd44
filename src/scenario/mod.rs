//! The YAML scenario format: parsing (`raw`), units (`units`), the source map that turns a
//! field path into a line and column (`source`), validation into the typed [`Scenario`]
//! (`validate`), and the loader that chains them (`load`).
//!
//! A [`Scenario`] is fully checked: every reference resolved, every size positive, every
//! workload able to fit at least one host. The model can trust it without re-checking.

pub mod companion;
pub mod diagnostic;
pub mod kube;
pub mod load;
pub mod overrides;
pub mod raw;
pub mod raw_net;
pub mod source;
pub mod spec;
pub mod spec_net;
pub mod structure;
pub mod trace;
pub mod units;
pub mod validate;
pub mod yaml;

pub use diagnostic::{Diagnostic, ScenarioError};
pub use load::{load_file, load_str, Limits};
pub use spec::*;
pub use spec_net::*;
