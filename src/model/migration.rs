//! vMotions in the world: starting a migration that holds its slots, the bandwidth it
//! gets while others start and end, its end, and its abandonment.
//!
//! While a VM migrates it holds its reservation on both hosts (so nothing is placed into
//! the room it is about to take), and costs `cpu_overhead` of its CPU demand on each. The
//! pre-copy runs as a [`LiveMigration`]: its bandwidth is the migration share of the
//! narrower NIC of its two hosts divided by the number of migrations the busier of the
//! two takes part in, **recomputed whenever a migration starts or ends on either host**
//! (the rest of the pre-copy is re-planned at the new bandwidth and its end rescheduled).
//! When the stop-and-copy ends the VM leaves its source. A VM whose lifetime ends
//! mid-migration releases both hosts and its slot.

use super::event::Event;
use super::ids::{ClusterId, HostId};
use super::instance::InstanceId;
use super::vmotion::{LiveMigration, PrecopyParams};
use super::world::{Observer, World};
use crate::engine::{EventKey, SimDuration, SimTime};

/// A vMotion under way.
#[derive(Clone, Debug)]
pub struct InFlight {
    pub src: HostId,
    pub dst: HostId,
    /// The narrower NIC of the two hosts, bytes per second.
    pub path_bytes_per_s: f64,
    /// The bandwidth it has had since `since`.
    pub bandwidth: f64,
    pub since: SimTime,
    pub precopy: LiveMigration,
    /// Its end event, rescheduled when the bandwidth changes.
    pub done: EventKey,
}

impl World {
    /// Starts a vMotion of `vm` from `src` to `dst` that holds a slot. If the VM is gone,
    /// has moved, or the destination has no room any more, gives the slot back instead
    /// (which may start waiting migrations).
    pub(super) fn begin_migration<O: Observer>(
        &mut self,
        now: SimTime,
        vm: InstanceId,
        src: HostId,
        dst: HostId,
        obs: &mut O,
    ) {
        let dst_view = self.hosts[dst].view;
        let Some(inst) = self.instances.get(vm) else {
            return self.release_slot(now, src, dst, obs);
        };
        let (ls, ld) = (
            self.hosts[src].local as usize,
            self.hosts[dst].local as usize,
        );
        if inst.host != src
            || inst.migrating_to != HostId::NONE
            || !inst.request.fits(&dst_view)
            || !self.groups[inst.group].allows(ld, false, Some(ls))
        {
            return self.release_slot(now, src, dst, obs);
        }
        // The VM counts on its destination from now on, so rules see it coming.
        let group = inst.group;
        self.groups[group].count(ld, 1);
        let inst = self.instances.get(vm).expect("checked");
        let cpu_reserve = inst.request.cpu_mhz_on(&dst_view);
        let overhead =
            (inst.cpu_demand_mhz as f64 * PrecopyParams::default().cpu_overhead).round() as u64;
        let (mem_reserve, mem_size, dirty) = (
            inst.request.memory,
            inst.size_mem,
            self.groups[inst.group].spec.dirty_rate,
        );
        let cluster = self.hosts[src].cluster;
        // The narrower NIC, or the topology path's narrowest link when the scenario
        // gives a topology.
        let path = self.migration_path_bandwidth(src, dst);
        let params = PrecopyParams::default();
        let precopy = LiveMigration::start(mem_size, dirty, &params);
        let bandwidth = self.migration_bandwidth(cluster, src, dst, path);
        let done = self.queue.schedule_in(
            SimDuration::from_secs_f64(precopy.remaining(bandwidth)),
            Event::MigrationDone { vm },
        );
        let plan = precopy.clone().finish(bandwidth);
        // The bytes cross the topology's path as planned now (re-sharing may stretch it).
        if let Some(p) = self.host_path(src, dst) {
            obs.link_flow(now, p, plan.bytes_copied, plan.duration);
        }
        obs.migration_started(now, &plan);
        {
            let d = &mut self.hosts[dst].view;
            d.cpu_reserved_mhz += cpu_reserve;
            d.mem_reserved += mem_reserve;
            d.cpu_demand_mhz += overhead;
            self.hosts[src].view.cpu_demand_mhz += overhead;
        }
        let inst = self.instances.get_mut(vm).expect("checked");
        inst.migrating_to = dst;
        inst.migration_overhead_mhz = overhead;
        self.clusters[cluster].migrations.insert(
            vm,
            InFlight {
                src,
                dst,
                path_bytes_per_s: path,
                bandwidth,
                since: now,
                precopy,
                done,
            },
        );
        self.reshare(now, cluster, src, dst);
        obs.migration_begun(
            now,
            self,
            vm,
            PrecopyParams::default().cpu_overhead,
            overhead,
            overhead,
        );
        self.host_updated(now, src, obs);
        self.host_updated(now, dst, obs);
    }

    /// The bandwidth of a migration between `src` and `dst` over a path of `path` bytes
    /// per second: the migration share of it, split among the migrations that the busier
    /// of the two hosts takes part in (this one included once it holds its slots).
    fn migration_bandwidth(&self, cluster: ClusterId, src: HostId, dst: HostId, path: f64) -> f64 {
        let slots = &self.clusters[cluster].slots;
        let (ls, ld) = (
            self.hosts[src].local as usize,
            self.hosts[dst].local as usize,
        );
        let concurrent = slots.active(ls).max(slots.active(ld));
        PrecopyParams::default().migration_bandwidth(path, concurrent)
    }

    /// The number of migrations on `a` or `b` changed: every migration touching either
    /// host gets its new bandwidth, and its end is re-planned.
    fn reshare(&mut self, now: SimTime, cluster: ClusterId, a: HostId, b: HostId) {
        let touched: Vec<(InstanceId, f64)> = self.clusters[cluster]
            .migrations
            .iter()
            .filter(|(_, m)| [m.src, m.dst].iter().any(|h| *h == a || *h == b))
            .map(|(&vm, m)| {
                (
                    vm,
                    self.migration_bandwidth(cluster, m.src, m.dst, m.path_bytes_per_s),
                )
            })
            .collect();
        for (vm, bandwidth) in touched {
            let c = &mut self.clusters[cluster];
            let m = c.migrations.get_mut(&vm).expect("listed");
            if m.bandwidth == bandwidth {
                continue;
            }
            m.precopy
                .advance((now - m.since).as_secs_f64(), m.bandwidth);
            m.bandwidth = bandwidth;
            m.since = now;
            self.queue.cancel(m.done);
            m.done = self.queue.schedule_in(
                SimDuration::from_secs_f64(m.precopy.remaining(bandwidth)),
                Event::MigrationDone { vm },
            );
        }
    }

    /// The switch-over is done: the VM leaves its source for its destination.
    pub(super) fn on_migration_done<O: Observer>(
        &mut self,
        now: SimTime,
        vm: InstanceId,
        obs: &mut O,
    ) {
        // A VM that departed mid-migration has already released everything.
        let Some(inst) = self.instances.get(vm) else {
            return;
        };
        let (src, dst, overhead) = (inst.host, inst.migrating_to, inst.migration_overhead_mhz);
        let cluster = self.hosts[src].cluster;
        let mut m = self.clusters[cluster]
            .migrations
            .remove(&vm)
            .expect("a migrating VM has its migration");
        m.precopy
            .advance((now - m.since).as_secs_f64(), m.bandwidth);
        let outcome = m.precopy.finish(m.bandwidth);

        self.land(now, vm, overhead);
        obs.migration_ended(now, self, vm);
        obs.migration_done(now, &outcome);
        self.host_updated(now, src, obs);
        self.host_updated(now, dst, obs);
        self.release_slot(now, src, dst, obs);
        self.reshare(now, cluster, src, dst);
        if self.clusters[cluster].entering_maintenance > 0 {
            self.retry_evacuations(now, cluster, obs);
        }
    }

    /// A VM has moved (by vMotion or by the consolidation study's simple migration): its
    /// reservation and demand leave its source for its destination, the migration's extra
    /// CPU ends on both (`src_overhead` is the source's part of it), and the rules count
    /// it on its destination only. Returns `(source, destination)`.
    pub(super) fn land(
        &mut self,
        now: SimTime,
        vm: InstanceId,
        src_overhead: u64,
    ) -> (HostId, HostId) {
        let inst = self.instances.get(vm).expect("a live migrating VM");
        let (src, dst, overhead) = (inst.host, inst.migrating_to, inst.migration_overhead_mhz);
        let dst_view = self.hosts[dst].view;
        // CPU sizes in cores are host-relative: the demand in MHz follows the new host.
        let (new_demand, _) =
            inst.demand_on(&self.groups[inst.group].spec, &dst_view, now.as_secs_f64());
        let new_reserve = inst.request.cpu_mhz_on(&dst_view);
        let (old_reserve, mem_reserve, old_demand, mem_demand, group) = (
            inst.cpu_reserved_mhz,
            inst.mem_reserved,
            inst.cpu_demand_mhz,
            inst.mem_demand,
            inst.group,
        );
        {
            let s = &mut self.hosts[src];
            s.view.cpu_reserved_mhz -= old_reserve;
            s.view.mem_reserved -= mem_reserve;
            s.view.cpu_demand_mhz -= old_demand + src_overhead;
            s.view.mem_demand -= mem_demand;
            s.instances -= 1;
            let d = &mut self.hosts[dst];
            d.view.cpu_demand_mhz = d.view.cpu_demand_mhz - overhead + new_demand;
            d.view.mem_demand += mem_demand;
            d.instances += 1;
        }
        let inst = self.instances.get_mut(vm).expect("live");
        inst.host = dst;
        inst.cpu_reserved_mhz = new_reserve;
        inst.cpu_demand_mhz = new_demand;
        inst.migrating_to = HostId::NONE;
        inst.migration_overhead_mhz = 0;
        let src_local = self.hosts[src].local as usize;
        self.groups[group].count(src_local, -1);
        (src, dst)
    }

    /// A migrating VM ended: undo what the migration holds on both hosts and free its slot.
    /// (Its source's share is released by the departure itself.)
    pub(super) fn abort_migration<O: Observer>(
        &mut self,
        now: SimTime,
        vm: InstanceId,
        src: HostId,
        inst: &super::instance::Instance,
        obs: &mut O,
    ) {
        let dst = inst.migrating_to;
        let reserve = inst.request.cpu_mhz_on(&self.hosts[dst].view);
        {
            let d = &mut self.hosts[dst].view;
            d.cpu_reserved_mhz -= reserve;
            d.mem_reserved -= inst.mem_reserved;
            d.cpu_demand_mhz -= inst.migration_overhead_mhz;
            self.hosts[src].view.cpu_demand_mhz -= inst.migration_overhead_mhz;
        }
        self.groups[inst.group].count(self.hosts[dst].local as usize, -1);
        let cluster = self.hosts[src].cluster;
        if let Some(m) = self.clusters[cluster].migrations.remove(&vm) {
            self.queue.cancel(m.done);
        }
        obs.migration_aborted(now);
        self.host_updated(now, dst, obs);
        self.release_slot(now, src, dst, obs);
        self.reshare(now, cluster, src, dst);
    }

    /// Frees the slot a migration from `src` to `dst` held and starts the waiting
    /// migrations that now fit.
    fn release_slot<O: Observer>(&mut self, now: SimTime, src: HostId, dst: HostId, obs: &mut O) {
        let cluster = self.hosts[src].cluster;
        let (ls, ld) = (
            self.hosts[src].local as usize,
            self.hosts[dst].local as usize,
        );
        let ready = self.clusters[cluster].slots.finish(ls, ld);
        for (vm, from, to) in ready {
            self.begin_migration(now, vm, from, to, obs);
        }
    }
}
