//! The domain-free simulation kernel: integer time, the event queue, seeded random
//! streams and typed ids. Nothing in here knows about VMware, hosts or pods; the model
//! (`crate::model`) builds on these pieces.

pub mod id;
pub mod queue;
pub mod rng;
pub mod sharing;
pub mod time;

pub use id::{Id, IdVec};
pub use queue::{EventKey, EventQueue};
pub use rng::{RngStream, StreamFactory};
pub use sharing::SharedLink;
pub use time::{SimDuration, SimTime};
