//! A small library for self-contained HTML reports: escaping ([`escape`]), numbers with
//! units ([`format`]), tables that sort ([`table`]), checked inline SVG charts ([`svg`],
//! drawn by [`chart`] or by [`crate::report::plot`]), and the page shell with its inline
//! CSS, one hashed script and a policy that forbids every fetch ([`page`]).
//!
//! Pages are built as data (sections of blocks) and rendered in one pass; every string
//! that comes from a scenario is escaped at render time, so a page builder cannot forget.

pub mod chart;
pub mod escape;
pub mod format;
pub mod page;
pub mod svg;
pub mod table;

pub use format::Unit;
pub use page::{Block, Fact, Figure, Link, Page, Section};
pub use svg::InlineSvg;
pub use table::{Cell, Column, Mark, Row, Table};
