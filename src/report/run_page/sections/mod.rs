//! The run report's sections, one module each; [`super::SECTIONS`] orders them.

pub mod drs;
pub mod energy;
pub mod hosts;
pub mod overview;
pub mod placement;
pub mod startup;
pub mod utilisation;
pub mod vmotion;
