//! Pure decisions over read-only views. A policy never changes the world: it reads a
//! [`view::ClusterView`] and returns a decision that the model carries out.

pub mod balance;
pub mod consolidation;
pub mod drs_score;
pub mod entitlement;
pub mod index;
pub mod kube;
pub mod lb;
pub mod placement;
pub mod view;

pub use placement::{Placement, PlacementPolicy, RejectReason};
pub use view::{ClusterView, HostView, Request};
