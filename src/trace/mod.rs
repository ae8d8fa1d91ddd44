//! Workload traces: the canonical format that scenarios read ([`canonical`]), and the
//! importers that turn public traces into it ([`import`]; `pacsim trace import`).
//!
//! (Not to be confused with `scenario::trace`, the simpler per-instance CSV of demand
//! fractions that `demand: { trace: ... }` reads.)

pub mod canonical;
pub mod csvline;
pub mod import;
