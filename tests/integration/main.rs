//! All integration tests share this one test binary (the NeXosim convention): one link
//! step instead of one per file.

mod browser;
mod capacity;
mod cli;
mod compare;
mod consolidation;
mod determinism;
mod golden;
mod invalid;
mod model;
mod properties;
mod report;
mod supervisor;
mod sweep;
mod traces;
mod traffic;
