//! The consolidation study's SLA metrics (Beloglazov & Buyya 2012, section 6.2), each
//! integrated exactly between host changes, as energy is:
//!
//! - **SLATAH**, SLA violation time per active host: the time hosts spent at 100 % CPU
//!   (demand, migration overheads included, at or above capacity) over the time they
//!   were active (powered on with some CPU demand), summed over hosts.
//! - **PDM**, performance degradation due to migrations: the CPU the migrating VMs lost
//!   (their `degradation`, 10 % of their demand, while they move) over the CPU all
//!   instances requested, both summed over the run (CloudSim's `Helper.getSlaMetrics`
//!   divides the totals; the paper writes the mean of the per-VM ratios).
//! - **SLATAH as CloudSim counts it** (`slatah_cloudsim`): CloudSim's host history
//!   records a VM migrating in as requesting all of its CPU on its destination while it
//!   is given a tenth, so a destination counts as violating for every second a VM moves
//!   to it. This variant adds that time, to compare with CloudSim's published figures.

use crate::engine::{Id, SimTime};
use crate::model::instance::InstanceId;
use crate::model::{HostId, World};
use std::collections::BTreeMap;

#[derive(Clone, Copy, Debug)]
struct Mig {
    src: usize,
    dst: usize,
    degradation: f64,
    src_overhead: u64,
    dst_overhead: u64,
}

#[derive(Clone, Copy, Debug, Default)]
struct Track {
    last_t: SimTime,
    active: bool,
    full: bool,
    migrating_in: u32,
    /// CPU the host's instances request (MHz), overheads excluded.
    requested: f64,
    /// CPU lost by VMs migrating off it (MHz).
    degraded: f64,
    /// Migration overheads it carries (MHz).
    overhead: u64,
}

/// Integrates the SLA metrics. Fed by the recorder's hooks.
#[derive(Clone, Debug, Default)]
pub struct SlaTracker {
    hosts: Vec<Track>,
    migrating: BTreeMap<InstanceId, Mig>,
    /// VMs migrating off each host.
    out_of: Vec<Vec<InstanceId>>,
    pub active_s: f64,
    pub full_s: f64,
    pub cloudsim_violation_s: f64,
    pub requested_mhz_s: f64,
    pub degraded_mhz_s: f64,
}

impl SlaTracker {
    pub fn new(hosts: usize) -> Self {
        SlaTracker {
            hosts: vec![Track::default(); hosts],
            out_of: vec![Vec::new(); hosts],
            ..Default::default()
        }
    }

    fn close(&mut self, h: usize, now: SimTime) {
        let t = &mut self.hosts[h];
        let dt = (now - t.last_t).as_secs_f64();
        t.last_t = now;
        if dt == 0.0 {
            return;
        }
        if t.active {
            self.active_s += dt;
            if t.full {
                self.full_s += dt;
            }
            if t.full || t.migrating_in > 0 {
                self.cloudsim_violation_s += dt;
            }
        }
        self.requested_mhz_s += t.requested * dt;
        self.degraded_mhz_s += t.degraded * dt;
    }

    /// Re-reads the host's state after a change.
    pub fn host_changed(&mut self, now: SimTime, world: &World, host: HostId) {
        self.close(host.index(), now);
        self.refresh(host.index(), world);
    }

    fn refresh(&mut self, i: usize, world: &World) {
        let h = &world.hosts[HostId::from_index(i)];
        let degraded: f64 = self.out_of[i]
            .iter()
            .filter_map(|vm| {
                let m = self.migrating.get(vm)?;
                let inst = world.instances.get(*vm)?;
                Some(m.degradation * inst.cpu_demand_mhz as f64)
            })
            .sum();
        let t = &mut self.hosts[i];
        let demand = h.view.cpu_demand_mhz;
        t.active = h.powered_on() && demand > 0;
        t.full = demand >= h.view.cpu_capacity_mhz;
        t.requested = demand.saturating_sub(t.overhead) as f64;
        t.degraded = degraded;
    }

    pub fn migration_begun(
        &mut self,
        now: SimTime,
        world: &World,
        vm: InstanceId,
        degradation: f64,
        src_overhead: u64,
        dst_overhead: u64,
    ) {
        let Some(inst) = world.instances.get(vm) else {
            return;
        };
        let (src, dst) = (inst.host.index(), inst.migrating_to.index());
        self.close(src, now);
        self.close(dst, now);
        self.hosts[src].overhead += src_overhead;
        self.hosts[dst].overhead += dst_overhead;
        self.hosts[dst].migrating_in += 1;
        self.out_of[src].push(vm);
        self.migrating.insert(
            vm,
            Mig {
                src,
                dst,
                degradation,
                src_overhead,
                dst_overhead,
            },
        );
    }

    pub fn migration_ended(&mut self, now: SimTime, world: &World, vm: InstanceId) {
        let Some(m) = self.migrating.remove(&vm) else {
            return;
        };
        self.close(m.src, now);
        self.close(m.dst, now);
        self.hosts[m.src].overhead -= m.src_overhead;
        let d = &mut self.hosts[m.dst];
        d.overhead -= m.dst_overhead;
        d.migrating_in -= 1;
        self.out_of[m.src].retain(|v| *v != vm);
        self.refresh(m.src, world);
        self.refresh(m.dst, world);
    }

    pub fn finish(&mut self, end: SimTime) {
        for h in 0..self.hosts.len() {
            self.close(h, end);
        }
    }

    /// SLATAH (0 when no host was ever active).
    pub fn slatah(&self) -> f64 {
        ratio(self.full_s, self.active_s)
    }

    pub fn slatah_cloudsim(&self) -> f64 {
        ratio(self.cloudsim_violation_s, self.active_s)
    }

    /// PDM (0 when nothing requested CPU).
    pub fn pdm(&self) -> f64 {
        ratio(self.degraded_mhz_s, self.requested_mhz_s)
    }
}

fn ratio(a: f64, b: f64) -> f64 {
    if b > 0.0 {
        a / b
    } else {
        0.0
    }
}
