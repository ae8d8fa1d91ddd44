//! An ESXi host: its capacity, what is reserved and demanded on it, its power model and
//! the images it holds.

use super::ids::ClusterId;
use super::image::ImageCache;
use crate::policy::HostView;
use crate::scenario::PowerModel;

#[derive(Clone, Debug)]
pub struct Host {
    /// `<group>-<n>`.
    pub name: String,
    pub cluster: ClusterId,
    /// Index within its cluster (the policies' host number).
    pub local: u32,
    pub view: HostView,
    pub power: PowerModel,
    pub images: ImageCache,
    /// Instances placed here (starting or running).
    pub instances: u32,
    /// Network bandwidth, bytes per second (vMotion's path).
    pub nic_bytes_per_s: f64,
}

impl Host {
    /// CPU utilisation in [0, 1]: demand over capacity, capped (demand above capacity is
    /// contention, not more work done).
    pub fn cpu_util(&self) -> f64 {
        if !self.view.accepting {
            return 0.0;
        }
        (self.view.cpu_demand_mhz as f64 / self.view.cpu_capacity_mhz as f64).min(1.0)
    }

    pub fn mem_util(&self) -> f64 {
        if !self.view.accepting {
            return 0.0;
        }
        (self.view.mem_demand as f64 / self.view.mem_capacity as f64).min(1.0)
    }

    /// Power draw now: the model at the current utilisation; 0 W when off.
    pub fn watts(&self) -> f64 {
        if self.view.accepting {
            self.power.watts(self.cpu_util())
        } else {
            0.0
        }
    }
}
