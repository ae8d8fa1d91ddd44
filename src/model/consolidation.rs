//! Consolidation in the world: the control loop that runs the pure decisions of
//! [`crate::policy::consolidation`] every interval on a cluster that has a
//! `consolidation` section (the alternative to DRS), and carries them out.
//!
//! - **History.** At every pass each VM records the utilisation (demand over its CPU
//!   size) it had over the interval that just ended, most recent first, at most 30
//!   values (CloudSim's `PowerVm`); a host's history is the sum of its VMs' histories
//!   weighted by their size over the host's capacity.
//! - **Arrivals** are placed by power-aware best fit at their *full* CPU size (and
//!   memory, unless `memory: never`), as CloudSim places a VM that is being created;
//!   a sleeping host may be chosen and is woken.
//! - **Migrations** either go through vMotion (pre-copy within vCenter's slots, as DRS)
//!   or follow the study's simple model: memory / (share x the narrower NIC), no
//!   concurrency limit, the VM losing `degradation` of its CPU meanwhile and the
//!   destination carrying that share of its demand (CloudSim's `PowerDatacenter`).
//! - **Power states.** A consolidation cluster starts with every host asleep (standby or
//!   off, as `sleep` says). A host that holds nothing goes to sleep (at the end of the
//!   migration that emptied it, else at the next pass), taking the host's `to_standby`
//!   / `to_off` time; a sleeping host chosen for work wakes, taking `from_standby` /
//!   `from_off`, and what was sent to it waits until it is up. In transition a host
//!   draws its idle power.

use super::event::Event;
use super::host::HostState;
use super::ids::{ClusterId, HostId};
use super::instance::{Instance, InstanceId, InstanceState};
use super::vmotion::PrecopyPlan;
use super::world::{Observer, World};
use crate::engine::{Id, RngStream, SimDuration, SimTime};
use crate::policy::consolidation::{
    self as policy, Detector, HostState as PlanState, PlanHost, PlanParams, PlanVm,
};
use crate::policy::Request;
use crate::scenario::{
    ConsolidationSpec, CpuAmount, MemoryCheck, MigrationModel, SleepState, VmRule,
};

/// Work sent to a host that was asleep, done once it is up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Deferred {
    /// Place this arriving VM there.
    Place(InstanceId),
    /// Migrate this VM there from `src`.
    Migrate(InstanceId, HostId),
}

/// A cluster's consolidation state.
pub struct ConsolidationState {
    pub spec: ConsolidationSpec,
    rng: RngStream,
    /// Per instance slot: the instance's generation and its utilisation history, most
    /// recent first.
    history: Vec<(u32, Vec<f32>)>,
    /// Per host of the cluster: work waiting for it to wake, and the CPU (MHz, full
    /// sizes) and memory that work will bring.
    waiting: Vec<Vec<Deferred>>,
    waiting_load: Vec<(u64, u64)>,
    /// VMs moving under the simple migration model.
    simple: std::collections::BTreeMap<InstanceId, PrecopyPlan>,
}

/// What one pass did, for observers.
#[derive(Clone, Debug, PartialEq)]
pub struct PassSummary {
    pub overloaded: usize,
    pub evacuated: usize,
    pub migrations: usize,
    pub hosts_awake: usize,
    /// VM names and host names of each migration started.
    pub moves: Vec<(String, String, String)>,
}

impl ConsolidationState {
    pub fn new(spec: ConsolidationSpec, hosts: usize, rng: RngStream) -> Self {
        ConsolidationState {
            spec,
            rng,
            history: Vec::new(),
            waiting: vec![Vec::new(); hosts],
            waiting_load: vec![(0, 0); hosts],
            simple: Default::default(),
        }
    }

    fn history_of(&self, id: InstanceId) -> &[f32] {
        match self.history.get(id.slot as usize) {
            Some((gen, h)) if *gen == id.gen => h,
            _ => &[],
        }
    }

    fn push_history(&mut self, id: InstanceId, u: f32) {
        let slot = id.slot as usize;
        if self.history.len() <= slot {
            self.history.resize(slot + 1, (0, Vec::new()));
        }
        let entry = &mut self.history[slot];
        if entry.0 != id.gen {
            *entry = (id.gen, Vec::with_capacity(policy::HISTORY_LENGTH));
        }
        entry.1.insert(0, u);
        entry.1.truncate(policy::HISTORY_LENGTH);
    }

    /// Whether this VM is moving under the simple model.
    pub fn owns_migration(&self, vm: InstanceId) -> bool {
        self.simple.contains_key(&vm)
    }
}

/// The MHz a CPU amount means on a host with cores of `core_mhz`.
fn mhz_on(amount: CpuAmount, core_mhz: u32) -> u64 {
    match amount {
        CpuAmount::Mhz(m) => m,
        CpuAmount::Millicores(mc) => (mc * core_mhz as u64).div_ceil(1000),
    }
}

impl World {
    fn cons(&self, ci: ClusterId) -> &ConsolidationState {
        self.clusters[ci]
            .consolidation
            .as_deref()
            .expect("a consolidation cluster")
    }

    fn cons_mut(&mut self, ci: ClusterId) -> &mut ConsolidationState {
        self.clusters[ci]
            .consolidation
            .as_deref_mut()
            .expect("a consolidation cluster")
    }

    /// A VM arriving in a consolidation cluster: power-aware best fit at its full size.
    /// Returns whether it was placed (or sent to a host that is waking up for it); if
    /// not, the cluster's placement policy gets its turn.
    pub(super) fn consolidation_arrival<O: Observer>(
        &mut self,
        now: SimTime,
        id: InstanceId,
        obs: &mut O,
    ) -> bool {
        let Some(inst) = self.instances.get(id) else {
            return false;
        };
        let (group, request, size_cpu, size_mem) =
            (inst.group, inst.request, inst.size_cpu, inst.size_mem);
        let ci = ClusterId::from_index(self.groups[group].spec.cluster);
        let cons = self.cons(ci);
        let check_memory = cons.spec.memory != MemoryCheck::Never;
        let first = self.clusters[ci].first_host.index();
        let mut best: Option<(usize, f64)> = None;
        for (local, h) in self.cluster_hosts(ci).iter().enumerate() {
            let usable = match h.state {
                HostState::On => h.view.accepting,
                HostState::Standby | HostState::Off | HostState::PoweringOn => true,
                _ => false,
            };
            if !usable || !self.groups[group].allows(local, true, None) {
                continue;
            }
            let v = &h.view;
            let (wait_cpu, wait_mem) = cons.waiting_load[local];
            let full = mhz_on(size_cpu, v.core_mhz);
            let load = v.cpu_demand_mhz + wait_cpu;
            let fits = request.vcpus <= v.cores
                && request.cpu_mhz_on(v) <= v.free_cpu_mhz()
                && request.memory <= v.free_mem()
                && load + full <= v.cpu_capacity_mhz
                && (!check_memory || v.mem_demand + wait_mem + size_mem <= v.mem_capacity);
            if !fits {
                continue;
            }
            let cap = v.cpu_capacity_mhz as f64;
            let before = load as f64 / cap;
            let after = ((load + full) as f64 / cap).min(1.0);
            let growth = h.power.watts(after) - h.power.watts(before);
            if best.is_none_or(|(_, g)| growth < g) {
                best = Some((local, growth));
            }
        }
        let Some((local, _)) = best else {
            return false;
        };
        let host = HostId::from_index(first + local);
        if self.hosts[host].state == HostState::On {
            self.place_on(now, id, host, obs);
        } else {
            let full = mhz_on(size_cpu, self.hosts[host].view.core_mhz);
            let cons = self.cons_mut(ci);
            cons.waiting[local].push(Deferred::Place(id));
            cons.waiting_load[local].0 += full;
            cons.waiting_load[local].1 += size_mem;
            self.wake(now, host, obs);
        }
        true
    }

    /// One control pass of `cluster`, then the next is scheduled.
    pub(super) fn on_consolidation_pass<O: Observer>(
        &mut self,
        now: SimTime,
        cluster: ClusterId,
        obs: &mut O,
    ) {
        let ci = cluster;
        let spec = self.cons(ci).spec.clone();
        let first = self.clusters[ci].first_host.index();
        let n = self.clusters[ci].host_count as usize;

        // Histories: each VM's utilisation over the interval that just ended.
        if now > SimTime::ZERO {
            let prev = SimTime(now.0.saturating_sub(spec.interval.0));
            let t = prev.as_secs_f64();
            let mut updates: Vec<(InstanceId, f32)> = Vec::new();
            for (id, inst) in self.instances.iter_with_ids() {
                let h = inst.host.index();
                if inst.is_pod || inst.host == HostId::NONE || h < first || h >= first + n {
                    continue;
                }
                if inst.created > prev {
                    continue;
                }
                let g = &self.groups[inst.group].spec;
                let u = g.demand.fraction(t, inst.demand_state as f64);
                updates.push((id, u as f32));
            }
            let cons = self.cons_mut(ci);
            for (id, u) in updates {
                cons.push_history(id, u);
            }
        }

        // The snapshot.
        let (bandwidth_share, check_memory) = (
            match spec.migration {
                MigrationModel::Simple {
                    bandwidth_share, ..
                } => bandwidth_share,
                MigrationModel::Vmotion => super::vmotion::PrecopyParams::default().bandwidth_share,
            },
            spec.memory == MemoryCheck::Always,
        );
        let mut pinned = vec![false; n];
        let mut ids: Vec<InstanceId> = Vec::new();
        let mut vm_list: Vec<PlanVm> = Vec::new();
        let cons = self.cons(ci);
        for (id, inst) in self.instances.iter_with_ids() {
            let h = inst.host.index();
            if inst.host == HostId::NONE || h < first || h >= first + n {
                continue;
            }
            let local = h - first;
            let together = self.groups[inst.group].spec.rules.vms == Some(VmRule::Together);
            if inst.is_pod || together {
                pinned[local] = true;
                continue;
            }
            let view = &self.hosts[inst.host].view;
            let size_mhz = Request {
                cpu: inst.size_cpu,
                ..inst.request
            }
            .cpu_mhz_on(view) as f64;
            ids.push(id);
            vm_list.push(PlanVm {
                host: local,
                demand_mhz: inst.cpu_demand_mhz as f64,
                size_mhz: size_mhz.max(1.0),
                vcpus: inst.request.vcpus,
                memory: inst.size_mem,
                reserve_cpu: inst.request.cpu,
                reserve_mem: inst.request.memory,
                movable: inst.state == InstanceState::Running && inst.migrating_to == HostId::NONE,
                history: cons.history_of(id),
            });
        }
        let hosts: Vec<PlanHost> = self
            .cluster_hosts(ci)
            .iter()
            .enumerate()
            .map(|(local, h)| PlanHost {
                state: match h.state {
                    HostState::On if h.view.accepting && cons.waiting[local].is_empty() => {
                        PlanState::Awake
                    }
                    HostState::Standby | HostState::Off => PlanState::Asleep,
                    _ => PlanState::Unavailable,
                },
                capacity_mhz: h.view.cpu_capacity_mhz as f64,
                core_mhz: h.view.core_mhz as f64,
                mem_capacity: h.view.mem_capacity,
                cpu_reserved_mhz: h.view.cpu_reserved_mhz as f64,
                mem_reserved: h.view.mem_reserved,
                utilisation_mhz: h.view.cpu_demand_mhz as f64,
                power: &h.power,
                migration_bandwidth: h.nic_bytes_per_s * bandwidth_share,
                pinned: pinned[local],
            })
            .collect();
        let params = PlanParams {
            detector: Detector {
                kind: spec.detector,
                safety: spec.safety,
                fallback_threshold: spec.fallback_threshold,
                interval_s: spec.interval.as_secs_f64(),
            },
            selection: spec.selection,
            check_memory,
        };
        let groups: Vec<_> = ids
            .iter()
            .map(|id| self.instances.get(*id).expect("listed").group)
            .collect();
        let allowed = |vm: usize, host: usize| {
            let g = &self.groups[groups[vm]];
            g.spec.rules == crate::scenario::Rules::default()
                || g.allows(host, true, Some(vm_list[vm].host))
        };
        let any_rules = groups
            .iter()
            .any(|g| self.groups[*g].spec.rules != crate::scenario::Rules::default());
        let mut rng = cons.rng.clone();
        let plan = policy::plan(
            &hosts,
            &vm_list,
            params,
            any_rules.then_some(&allowed as &dyn Fn(usize, usize) -> bool),
            &mut rng,
        );
        let sources: Vec<usize> = vm_list.iter().map(|v| v.host).collect();
        drop(hosts);
        drop(vm_list);
        self.cons_mut(ci).rng = rng;

        // Carry it out.
        let mut moves = Vec::with_capacity(plan.migrations.len());
        for &(vm, dst) in &plan.migrations {
            let (id, src) = (ids[vm], HostId::from_index(first + sources[vm]));
            let dst = HostId::from_index(first + dst);
            if let Some(inst) = self.instances.get(id) {
                moves.push((
                    format!("{}-{}", self.groups[inst.group].spec.name, inst.index),
                    self.hosts[src].name.clone(),
                    self.hosts[dst].name.clone(),
                ));
            }
            self.send_migration(now, id, src, dst, obs);
        }
        self.sleep_idle_hosts(now, ci, obs);
        let hosts_awake = self
            .cluster_hosts(ci)
            .iter()
            .filter(|h| h.state == HostState::On)
            .count();
        obs.consolidation_pass(
            now,
            self,
            ci,
            &PassSummary {
                overloaded: plan.overloaded.len(),
                evacuated: plan.evacuated.len(),
                migrations: plan.migrations.len(),
                hosts_awake,
                moves,
            },
        );
        let next = now + spec.interval;
        if next <= self.end {
            self.queue
                .schedule_at(next, Event::ConsolidationPass { cluster });
        }
    }

    /// Sends `vm` from `src` to `dst`: now if `dst` is up, else once it has woken.
    fn send_migration<O: Observer>(
        &mut self,
        now: SimTime,
        vm: InstanceId,
        src: HostId,
        dst: HostId,
        obs: &mut O,
    ) {
        if self.hosts[dst].state == HostState::On {
            return self.start_move(now, vm, src, dst, obs);
        }
        let ci = self.hosts[dst].cluster;
        let local = self.hosts[dst].local as usize;
        let Some(inst) = self.instances.get(vm) else {
            return;
        };
        let full = mhz_on(inst.size_cpu, self.hosts[dst].view.core_mhz);
        let mem = inst.size_mem;
        let cons = self.cons_mut(ci);
        cons.waiting[local].push(Deferred::Migrate(vm, src));
        cons.waiting_load[local].0 += full;
        cons.waiting_load[local].1 += mem;
        self.wake(now, dst, obs);
    }

    /// Starts a migration by the cluster's model (if the VM is still where it was).
    fn start_move<O: Observer>(
        &mut self,
        now: SimTime,
        vm: InstanceId,
        src: HostId,
        dst: HostId,
        obs: &mut O,
    ) {
        let Some(inst) = self.instances.get(vm) else {
            return;
        };
        if inst.host != src || inst.migrating_to != HostId::NONE {
            return;
        }
        let ci = self.hosts[src].cluster;
        match self.cons(ci).spec.migration {
            MigrationModel::Vmotion => {
                let (ls, ld) = (
                    self.hosts[src].local as usize,
                    self.hosts[dst].local as usize,
                );
                if self.clusters[ci].slots.try_start((vm, src, dst), ls, ld) {
                    self.begin_migration(now, vm, src, dst, obs);
                }
            }
            MigrationModel::Simple {
                bandwidth_share,
                degradation,
            } => self.begin_simple_migration(now, vm, src, dst, bandwidth_share, degradation, obs),
        }
    }

    /// The study's migration: memory / (share x the narrower NIC).
    #[allow(clippy::too_many_arguments)]
    fn begin_simple_migration<O: Observer>(
        &mut self,
        now: SimTime,
        vm: InstanceId,
        src: HostId,
        dst: HostId,
        share: f64,
        degradation: f64,
        obs: &mut O,
    ) {
        let inst = self.instances.get(vm).expect("checked by the caller");
        let dst_view = self.hosts[dst].view;
        let reserve = inst.request.cpu_mhz_on(&dst_view);
        let overhead = (inst.cpu_demand_mhz as f64 * degradation).round() as u64;
        let (memory, mem_reserve, group) = (inst.size_mem, inst.request.memory, inst.group);
        let bandwidth = self.hosts[src]
            .nic_bytes_per_s
            .min(self.hosts[dst].nic_bytes_per_s)
            * share;
        let duration = SimDuration::from_secs_f64(memory as f64 / bandwidth);
        {
            let d = &mut self.hosts[dst].view;
            d.cpu_reserved_mhz += reserve;
            d.mem_reserved += mem_reserve;
            d.cpu_demand_mhz += overhead;
        }
        let ld = self.hosts[dst].local as usize;
        self.groups[group].count(ld, 1);
        let inst = self.instances.get_mut(vm).expect("checked");
        inst.migrating_to = dst;
        inst.migration_overhead_mhz = overhead;
        let ci = self.hosts[src].cluster;
        let plan = PrecopyPlan {
            rounds: 1,
            bytes_copied: memory,
            stop_copy_bytes: 0,
            duration,
            downtime: SimDuration::ZERO,
            converged: true,
        };
        self.cons_mut(ci).simple.insert(vm, plan);
        self.queue
            .schedule_in(duration, Event::SimpleMigrationDone { vm });
        obs.migration_started(now, &plan);
        obs.migration_begun(now, self, vm, degradation, 0, overhead);
        self.host_updated(now, src, obs);
        self.host_updated(now, dst, obs);
    }

    /// A simple migration is done: the VM runs on its destination; an emptied source
    /// goes to sleep.
    pub(super) fn on_simple_migration_done<O: Observer>(
        &mut self,
        now: SimTime,
        vm: InstanceId,
        obs: &mut O,
    ) {
        if self.instances.get(vm).is_none() {
            return;
        }
        // The simple model charges the source nothing extra (CloudSim's degradation is
        // of the VM itself, recorded by the SLA metrics).
        let (src, dst) = self.land(now, vm, 0);
        let ci = self.hosts[src].cluster;
        let plan = self
            .cons_mut(ci)
            .simple
            .remove(&vm)
            .expect("a simple migration");
        obs.migration_ended(now, self, vm);
        obs.migration_done(now, &plan);
        self.host_updated(now, src, obs);
        self.host_updated(now, dst, obs);
        self.retry_pending_soon(now, ci);
        if self.idle(src) {
            self.sleep(now, src, obs);
        }
    }

    /// A VM moving under the simple model ended: undo what its destination holds.
    pub(super) fn abort_simple_migration<O: Observer>(
        &mut self,
        now: SimTime,
        vm: InstanceId,
        inst: &Instance,
        obs: &mut O,
    ) {
        let dst = inst.migrating_to;
        let reserve = inst.request.cpu_mhz_on(&self.hosts[dst].view);
        {
            let d = &mut self.hosts[dst].view;
            d.cpu_reserved_mhz -= reserve;
            d.mem_reserved -= inst.mem_reserved;
            d.cpu_demand_mhz -= inst.migration_overhead_mhz;
        }
        self.groups[inst.group].count(self.hosts[dst].local as usize, -1);
        let ci = self.hosts[dst].cluster;
        self.cons_mut(ci).simple.remove(&vm);
        obs.migration_aborted(now);
        self.host_updated(now, dst, obs);
    }

    /// Whether the VM's cluster consolidates and moves it under the simple model.
    pub(super) fn simple_migration(&self, vm: InstanceId, host: HostId) -> bool {
        let ci = self.hosts[host].cluster;
        self.clusters[ci]
            .consolidation
            .as_deref()
            .is_some_and(|c| c.owns_migration(vm))
    }

    /// An awake host with nothing on it, coming to it or waiting for it.
    fn idle(&self, host: HostId) -> bool {
        let h = &self.hosts[host];
        let ci = h.cluster;
        h.state == HostState::On
            && h.instances == 0
            && h.view.cpu_reserved_mhz == 0
            && h.view.mem_reserved == 0
            && h.view.cpu_demand_mhz == 0
            && self.clusters[ci]
                .consolidation
                .as_deref()
                .is_some_and(|c| c.waiting[h.local as usize].is_empty())
    }

    fn sleep_idle_hosts<O: Observer>(&mut self, now: SimTime, ci: ClusterId, obs: &mut O) {
        let first = self.clusters[ci].first_host.0;
        for h in first..first + self.clusters[ci].host_count {
            if self.idle(HostId(h)) {
                self.sleep(now, HostId(h), obs);
            }
        }
    }

    /// Sends an empty host to its cluster's sleep state.
    fn sleep<O: Observer>(&mut self, now: SimTime, host: HostId, obs: &mut O) {
        let ci = self.hosts[host].cluster;
        let sleep = self.cons(ci).spec.sleep;
        let h = &mut self.hosts[host];
        h.state = HostState::PoweringOff;
        h.view.accepting = false;
        let t = match sleep {
            SleepState::Standby => h.transitions.to_standby,
            SleepState::Off => h.transitions.to_off,
        };
        obs.host_power(now, host, false);
        self.host_updated(now, host, obs);
        self.queue.schedule_in(t, Event::HostAsleep { host });
    }

    pub(super) fn on_host_asleep<O: Observer>(&mut self, now: SimTime, host: HostId, obs: &mut O) {
        let ci = self.hosts[host].cluster;
        let sleep = self.cons(ci).spec.sleep;
        self.hosts[host].state = match sleep {
            SleepState::Standby => HostState::Standby,
            SleepState::Off => HostState::Off,
        };
        self.host_updated(now, host, obs);
    }

    /// Wakes a sleeping host (a waking one is left alone).
    fn wake<O: Observer>(&mut self, now: SimTime, host: HostId, obs: &mut O) {
        let h = &mut self.hosts[host];
        let t = match h.state {
            HostState::Standby => h.transitions.from_standby,
            HostState::Off => h.transitions.from_off,
            _ => return,
        };
        h.state = HostState::PoweringOn;
        obs.host_power(now, host, true);
        self.host_updated(now, host, obs);
        self.queue.schedule_in(t, Event::HostAwake { host });
    }

    /// A woken host is up: it takes work, and what waited for it goes ahead.
    pub(super) fn on_host_awake<O: Observer>(&mut self, now: SimTime, host: HostId, obs: &mut O) {
        self.return_to_service(now, host, obs);
        let ci = self.hosts[host].cluster;
        let local = self.hosts[host].local as usize;
        let cons = self.cons_mut(ci);
        let work = std::mem::take(&mut cons.waiting[local]);
        cons.waiting_load[local] = (0, 0);
        for w in work {
            match w {
                Deferred::Place(id) => {
                    if self
                        .instances
                        .get(id)
                        .is_some_and(|i| i.host == HostId::NONE)
                    {
                        self.place_on(now, id, host, obs);
                    }
                }
                Deferred::Migrate(id, src) => self.start_move(now, id, src, host, obs),
            }
        }
        if self.idle(host) {
            self.sleep(now, host, obs);
        }
    }
}
