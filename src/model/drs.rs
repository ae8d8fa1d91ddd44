//! DRS in the world: the periodic load-balancing pass, and the vMotions it starts.
//!
//! A pass computes every VM's and pod's CPU entitlement on its host
//! ([`entitlements`](super::entitlement::entitlements)), asks the balance policy
//! ([`crate::policy::balance`]) for moves, and starts a vMotion for each, within vCenter's
//! concurrent-migration slots (excess moves wait for a slot). Native pods count in the
//! loads but are never moved (vSphere Pods do not vMotion).
//!
//! While a VM migrates it holds its reservation on both hosts (so nothing is placed into
//! the room it is about to take), and costs `cpu_overhead` of its CPU demand on each. When
//! the pre-copy ends (`vmotion::precopy`: its duration includes the switch-over) the VM
//! leaves its source. The migration's bandwidth is the narrower NIC of the two hosts, the
//! migration share of it, divided among the migrations the busier host is running when
//! this one starts (fixed for the migration: not re-shared when others start or end).
//! A VM whose lifetime ends mid-migration releases both hosts and its slot.

use super::entitlement::{entitlements, Claim, NORMAL_SHARES_PER_VCPU};
use super::event::Event;
use super::ids::{ClusterId, HostId};
use super::instance::{InstanceId, InstanceState};
use super::vmotion::{precopy, PrecopyParams};
use super::world::{Observer, World};
use crate::engine::{Id, SimTime};
use crate::policy::balance::{balance, BalanceHost, BalanceParams, BalanceView, BalanceVm};
use crate::policy::Request;
use crate::scenario::VmRule;

impl World {
    /// One DRS pass over `cluster`, then the next one is scheduled.
    pub(super) fn on_drs_pass<O: Observer>(
        &mut self,
        now: SimTime,
        cluster: ClusterId,
        obs: &mut O,
    ) {
        let Some(drs) = self.clusters[cluster].drs.clone() else {
            return;
        };
        let c = &self.clusters[cluster];
        let first = c.first_host.index();
        let n = c.host_count as usize;
        let hosts: Vec<BalanceHost> = c
            .views
            .iter()
            .map(|v| BalanceHost {
                cpu_capacity_mhz: v.cpu_capacity_mhz,
                mem_capacity: v.mem_capacity,
                accepting: v.accepting,
            })
            .collect();

        // Every placed instance of the cluster, grouped by host, with its claim on the CPU.
        let mut on_host: Vec<Vec<(InstanceId, Claim)>> = vec![Vec::new(); n];
        for (id, inst) in self.instances.iter_with_ids() {
            let h = inst.host.index();
            if inst.host == HostId::NONE || h < first || h >= first + n {
                continue;
            }
            let view = &self.hosts[inst.host].view;
            let size_mhz = Request {
                cpu: inst.size_cpu,
                ..inst.request
            }
            .cpu_mhz_on(view) as f64;
            let shares = match inst.size_cpu {
                crate::scenario::CpuAmount::Millicores(m) => {
                    m as f64 / 1000.0 * NORMAL_SHARES_PER_VCPU
                }
                crate::scenario::CpuAmount::Mhz(m) => {
                    m as f64 / view.core_mhz.max(1) as f64 * NORMAL_SHARES_PER_VCPU
                }
            };
            let claim = Claim {
                reservation: inst.cpu_reserved_mhz as f64,
                limit: size_mhz.max(inst.cpu_reserved_mhz as f64),
                demand: inst.cpu_demand_mhz as f64,
                shares: shares.max(1.0),
            };
            on_host[h - first].push((id, claim));
        }
        let mut vms = Vec::new();
        let mut ids = Vec::new();
        for (local, list) in on_host.iter().enumerate() {
            let claims: Vec<Claim> = list.iter().map(|(_, c)| *c).collect();
            let e = entitlements(hosts[local].cpu_capacity_mhz as f64, &claims);
            for ((id, _), ent) in list.iter().zip(e) {
                let inst = self.instances.get(*id).expect("listed above");
                vms.push(BalanceVm {
                    host: local,
                    cpu_mhz: ent.round() as u64,
                    mem: inst.mem_demand,
                    mem_size: inst.size_mem,
                    movable: !inst.is_pod
                        && inst.state == InstanceState::Running
                        && inst.migrating_to == HostId::NONE
                        // VMs kept together move only as a group, which DRS does not do.
                        && self.groups[inst.group].spec.rules.vms != Some(VmRule::Together),
                });
                ids.push(*id);
            }
        }
        let path = self
            .cluster_hosts(cluster)
            .iter()
            .map(|h| h.nic_bytes_per_s)
            .fold(f64::INFINITY, f64::min);
        let params = BalanceParams {
            level: drs.level,
            max_moves: drs.max_moves,
            migration_bandwidth: PrecopyParams::default().migration_bandwidth(path, 1),
            ..BalanceParams::default()
        };
        let pass = balance(
            &BalanceView {
                hosts: &hosts,
                vms: &vms,
            },
            &params,
        );
        obs.drs_pass(now, self, cluster, &pass, &ids);
        for r in &pass.recommendations {
            let (vm, src, dst) = (
                ids[r.vm],
                HostId((first + r.from) as u32),
                HostId((first + r.to) as u32),
            );
            // DRS never breaks a rule, `should` rules included: such moves are dropped.
            let group = self.instances.get(vm).expect("listed").group;
            if !self.groups[group].allows(r.to, true, Some(r.from)) {
                continue;
            }
            if self.clusters[cluster]
                .slots
                .try_start((vm, src, dst), r.from, r.to)
            {
                self.begin_migration(now, vm, src, dst, obs);
            }
        }
        self.dpm_evaluate(now, cluster, obs);
        let next = now + drs.interval;
        if next <= self.end {
            self.queue.schedule_at(next, Event::DrsPass { cluster });
        }
    }

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
        let (ls, ld) = (
            self.hosts[src].local as usize,
            self.hosts[dst].local as usize,
        );
        let slots = &self.clusters[cluster].slots;
        let concurrent = slots.active(ls).max(slots.active(ld));
        let path = self.hosts[src]
            .nic_bytes_per_s
            .min(self.hosts[dst].nic_bytes_per_s);
        let params = PrecopyParams::default();
        let plan = precopy(
            mem_size,
            dirty,
            params.migration_bandwidth(path, concurrent),
            &params,
        );
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
        self.queue
            .schedule_in(plan.duration, Event::MigrationDone { vm });
        obs.migration_started(now, &plan);
        obs.migration_begun(now, self, vm, params.cpu_overhead, overhead, overhead);
        self.host_updated(now, src, obs);
        self.host_updated(now, dst, obs);
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
        let fraction = self.groups[inst.group]
            .spec
            .demand
            .fraction(now.as_secs_f64(), inst.demand_state as f64);
        let dst_view = self.hosts[dst].view;
        let size_mhz = Request {
            cpu: inst.size_cpu,
            ..inst.request
        }
        .cpu_mhz_on(&dst_view);
        let new_demand = (size_mhz as f64 * fraction).round() as u64;
        let new_reserve = inst.request.cpu_mhz_on(&dst_view);
        let (old_reserve, mem_reserve, old_demand, mem_demand) = (
            inst.cpu_reserved_mhz,
            inst.mem_reserved,
            inst.cpu_demand_mhz,
            inst.mem_demand,
        );
        {
            let s = &mut self.hosts[src];
            s.view.cpu_reserved_mhz -= old_reserve;
            s.view.mem_reserved -= mem_reserve;
            s.view.cpu_demand_mhz -= old_demand + overhead;
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
        let (group, src_local) = (
            self.instances.get(vm).expect("live").group,
            self.hosts[src].local as usize,
        );
        self.groups[group].count(src_local, -1);
        obs.migration_ended(now, self, vm);
        obs.migration_done(now);
        self.host_updated(now, src, obs);
        self.host_updated(now, dst, obs);
        self.release_slot(now, src, dst, obs);
        let cluster = self.hosts[src].cluster;
        if self.clusters[cluster].entering_maintenance > 0 {
            self.retry_evacuations(now, cluster, obs);
        }
    }

    /// A migrating VM ended: undo what the migration holds on both hosts and free its slot.
    /// (Its source's share is released by the departure itself.)
    pub(super) fn abort_migration<O: Observer>(
        &mut self,
        now: SimTime,
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
        obs.migration_aborted(now);
        self.host_updated(now, dst, obs);
        self.release_slot(now, src, dst, obs);
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
