//! What-if sweeps: many `(scenario, seed)` runs of one base scenario, each a
//! single-threaded simulation, run in parallel or spread over machines, and merged by
//! index.
//!
//! - [`spec`]: the sweep file (base scenario, axes, replications, plots) and its checks;
//! - [`plan`]: the fixed order of runs, `index -> (axis values, seed)`;
//! - [`shard`]: which runs one process takes (all, an index, a shard, the scheduler's);
//! - [`run`]: running runs on a rayon pool into [`RunRecord`]s;
//! - [`merge`]: records -> the merged table, with [`stats`] over replications.
//!
//! Nothing here writes files: `cli::sweep` does, each through a temporary name.

pub mod merge;
pub mod plan;
pub mod run;
pub mod shard;
pub mod spec;
pub mod stats;

pub use merge::{merge, MergedSweep, SweepInfo};
pub use plan::RunPoint;
pub use run::{execute, simulate, RunRecord};
pub use shard::Selection;
pub use spec::{load_input, load_sweep, Axis, BaseScenario, Input, Sweep, MAX_RUNS};
