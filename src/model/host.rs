//! An ESXi host: its capacity, what is reserved and demanded on it, its power model and
//! the images it holds.

use super::ids::ClusterId;
use super::image::ImageCache;
use crate::engine::SimTime;
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
    pub state: HostState,
    /// Watts drawn in standby.
    pub standby_w: f64,
    /// Watts drawn when powered off.
    pub off_w: f64,
    /// How long it takes to enter and leave standby and off.
    pub transitions: crate::scenario::PowerTransitions,
    /// When the host last started entering maintenance mode.
    pub maintenance_since: SimTime,
}

/// Where a host is in its life. Every state is powered on (standby comes with DPM).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HostState {
    /// Takes new work.
    On,
    /// Takes nothing new; its VMs are being moved away and its pods were evicted.
    EnteringMaintenance,
    /// Empty, and takes nothing until it leaves maintenance.
    Maintenance,
    /// DPM chose it for standby: takes nothing new; its VMs are being moved away.
    EnteringStandby,
    /// Empty, shutting down to standby.
    PoweringOff,
    /// In standby: draws standby watts, runs nothing.
    Standby,
    /// DPM woke it; it takes work once booted.
    PoweringOn,
    /// Powered off (consolidation's `sleep: off`): draws its off watts, runs nothing.
    Off,
}

impl HostState {
    /// Being emptied (for maintenance or standby).
    pub fn draining(self) -> bool {
        matches!(
            self,
            HostState::EnteringMaintenance | HostState::EnteringStandby
        )
    }
}

impl Host {
    /// CPU utilisation in [0, 1]: demand over capacity, capped (demand above capacity is
    /// contention, not more work done).
    pub fn cpu_util(&self) -> f64 {
        (self.view.cpu_demand_mhz as f64 / self.view.cpu_capacity_mhz as f64).min(1.0)
    }

    pub fn mem_util(&self) -> f64 {
        (self.view.mem_demand as f64 / self.view.mem_capacity as f64).min(1.0)
    }

    /// Power draw now: the model at the current utilisation (a host in maintenance, or
    /// booting, idles); the standby draw in standby.
    pub fn watts(&self) -> f64 {
        match self.state {
            HostState::Standby => self.standby_w,
            HostState::Off => self.off_w,
            _ => self.power.watts(self.cpu_util()),
        }
    }

    /// Powered on (not in standby or off).
    pub fn powered_on(&self) -> bool {
        !matches!(self.state, HostState::Standby | HostState::Off)
    }
}
