//! All integration tests share this one test binary (the NeXosim convention): one link
//! step instead of one per file.

mod capacity;
mod cli;
mod compare;
mod determinism;
mod golden;
mod invalid;
mod model;
mod properties;
mod sweep;
