//! All integration tests share this one test binary (the NeXosim convention): one link
//! step instead of one per file.

mod cli;
mod determinism;
mod golden;
mod invalid;
mod model;
mod properties;
mod sweep;
