//! The world's state and its event handlers.

use super::event::Event;
use super::host::Host;
use super::ids::{ClusterId, GroupId, HostId, ImageId};
use super::instance::{Instance, InstanceId, InstanceState, Instances};
use super::pending::PendingQueue;
use super::vmotion::{MigrationSlots, PrecopyPlan};
use super::workload::Group;
use crate::engine::{EventQueue, Id, IdVec, SimDuration, SimTime};
use crate::policy::balance::BalancePass;
use crate::policy::index::HostIndex;
use crate::policy::{ClusterView, HostView, Placement, PlacementPolicy, RejectReason, Request};
use crate::scenario::{CpuAmount, DrsSpec, OnNoFit, PodRuntimeSpec, WorkloadKind};

/// What metrics observe. Every hook has an empty default, so an observer implements only
/// what it records. The model calls hooks; it never computes a metric itself.
pub trait Observer {
    /// An instance of `group` was created and asks for a host.
    fn arrived(&mut self, _now: SimTime, _world: &World, _group: GroupId) {}
    /// It was placed on `host`.
    fn placed(&mut self, _now: SimTime, _world: &World, _group: GroupId, _host: HostId) {}
    /// It fitted nowhere and was refused.
    fn rejected(&mut self, _now: SimTime, _world: &World, _group: GroupId, _why: RejectReason) {}
    /// It fitted nowhere and waits (Pending).
    fn pending(&mut self, _now: SimTime, _world: &World, _group: GroupId, _why: RejectReason) {}
    /// A host started pulling an image of `bytes`.
    fn image_pull(&mut self, _now: SimTime, _host: HostId, _bytes: u64) {}
    /// A pod became Running `startup` after it was created.
    fn pod_running(&mut self, _now: SimTime, _group: GroupId, _startup: SimDuration) {}
    /// A DRS pass on `cluster` decided `pass`; `vms[i]` is the instance the pass calls
    /// VM `i`.
    fn drs_pass(
        &mut self,
        _now: SimTime,
        _world: &World,
        _cluster: ClusterId,
        _pass: &BalancePass,
        _vms: &[InstanceId],
    ) {
    }
    /// A vMotion started with this plan.
    fn migration_started(&mut self, _now: SimTime, _plan: &PrecopyPlan) {}
    /// A vMotion ended: the VM now runs on its destination.
    fn migration_done(&mut self, _now: SimTime) {}
    /// DPM woke `host` (`on`) or sent it to standby (not `on`).
    fn dpm(&mut self, _now: SimTime, _host: HostId, _on: bool) {}
    /// A pod of `group` was evicted (its host entered maintenance).
    fn evicted(&mut self, _now: SimTime, _group: GroupId) {}
    /// Host `host` is empty and in maintenance, `took` after it started entering.
    fn maintenance_entered(&mut self, _now: SimTime, _host: HostId, _took: SimDuration) {}
    /// A VM of `group` was placed against its `should` host rule: nothing else fitted.
    fn rule_broken(&mut self, _now: SimTime, _group: GroupId) {}
    /// A VM's lifetime ended during its vMotion; the migration was abandoned.
    fn migration_aborted(&mut self, _now: SimTime) {}
    /// An instance ended.
    fn departed(&mut self, _now: SimTime, _world: &World, _group: GroupId) {}
    /// A migration of `vm` began (after the hosts' loads changed, before they are
    /// reported): it loses `degradation` of its CPU demand until it ends; its source and
    /// destination carry `src_overhead_mhz` and `dst_overhead_mhz` for it.
    fn migration_begun(
        &mut self,
        _now: SimTime,
        _world: &World,
        _vm: InstanceId,
        _degradation: f64,
        _src_overhead_mhz: u64,
        _dst_overhead_mhz: u64,
    ) {
    }
    /// The migration of `vm` ended (done, or abandoned because the VM left).
    fn migration_ended(&mut self, _now: SimTime, _world: &World, _vm: InstanceId) {}
    /// Consolidation sent `host` to sleep (`waking` false) or woke it.
    fn host_power(&mut self, _now: SimTime, _host: HostId, _waking: bool) {}
    /// A consolidation pass on `cluster` decided `pass`.
    fn consolidation_pass(
        &mut self,
        _now: SimTime,
        _world: &World,
        _cluster: ClusterId,
        _pass: &super::consolidation::PassSummary,
    ) {
    }
    /// Host `host`'s reservation, demand or state changed (its new state is in `world`).
    fn host_changed(&mut self, _now: SimTime, _world: &World, _host: HostId) {}
    /// A sampling instant: the state after every event at `now`.
    fn sample(&mut self, _now: SimTime, _world: &World) {}
    /// The run ended at `end`.
    fn finish(&mut self, _end: SimTime, _world: &World) {}
}

/// No-op observer, for tests and benchmarks of the model alone.
impl Observer for () {}

/// A vSphere cluster: a contiguous range of hosts, its placement policy and index, and
/// the instances waiting for room.
pub struct Cluster {
    pub name: String,
    /// Global index of its first host.
    pub first_host: HostId,
    pub host_count: u32,
    pub policy: PlacementPolicy,
    pub index: HostIndex,
    /// A copy of the hosts' views, in cluster order, for policies.
    pub views: Vec<HostView>,
    pub pending: PendingQueue,
    pub retry_scheduled: bool,
    pub pods: PodRuntimeSpec,
    /// DRS load balancing, if enabled.
    pub drs: Option<DrsSpec>,
    /// Hosts being emptied for maintenance or standby (evacuations under way).
    pub entering_maintenance: u32,
    /// DPM, if enabled, and the utilisation it saw at recent DRS passes.
    pub dpm: Option<crate::scenario::DpmSpec>,
    pub dpm_history: std::collections::VecDeque<(SimTime, f64)>,
    /// vCenter's concurrent-vMotion slots, by host index within the cluster; a waiting
    /// migration is (VM, source, destination).
    pub slots: MigrationSlots<(InstanceId, HostId, HostId)>,
    /// Dynamic consolidation, if the cluster has it (instead of DRS).
    pub consolidation: Option<Box<super::consolidation::ConsolidationState>>,
    /// Instances by state, for sampling.
    pub vms_running: u64,
    pub pods_starting: u64,
    pub pods_running: u64,
}

/// Everything that is simulated.
pub struct World {
    pub queue: EventQueue<Event>,
    pub end: SimTime,
    pub sample_every: SimDuration,
    pub hosts: IdVec<HostId, Host>,
    pub clusters: IdVec<ClusterId, Cluster>,
    pub groups: IdVec<GroupId, Group>,
    pub instances: Instances,
    /// Image sizes in bytes, by image index.
    pub image_sizes: IdVec<ImageId, u64>,
    pub events_processed: u64,
    /// Set while a maintenance evacuation runs (see `maintenance.rs`).
    pub evacuating: bool,
}

impl World {
    /// Handles one event.
    pub fn handle<O: Observer>(&mut self, now: SimTime, event: Event, obs: &mut O) {
        self.events_processed += 1;
        match event {
            Event::Arrival { group } => self.on_arrival(now, group, obs),
            Event::PodRunning { pod } => self.on_pod_running(now, pod, obs),
            Event::Departure { instance } => self.on_departure(now, instance, obs),
            Event::RetryPending { cluster } => self.on_retry_pending(now, cluster, obs),
            Event::DemandTick { group } => self.on_demand_tick(now, group, obs),
            Event::DrsPass { cluster } => self.on_drs_pass(now, cluster, obs),
            Event::MigrationDone { vm } => self.on_migration_done(now, vm, obs),
            Event::EnterMaintenance { host } => self.on_enter_maintenance(now, host, obs),
            Event::ExitMaintenance { host } => self.on_exit_maintenance(now, host, obs),
            Event::HostPoweredOn { host } => self.on_host_powered_on(now, host, obs),
            Event::HostInStandby { host } => self.on_host_in_standby(now, host, obs),
            Event::ConsolidationPass { cluster } => self.on_consolidation_pass(now, cluster, obs),
            Event::SimpleMigrationDone { vm } => self.on_simple_migration_done(now, vm, obs),
            Event::HostAsleep { host } => self.on_host_asleep(now, host, obs),
            Event::HostAwake { host } => self.on_host_awake(now, host, obs),
        }
    }

    fn on_arrival<O: Observer>(&mut self, now: SimTime, group: GroupId, obs: &mut O) {
        let batch = self.groups[group].batch_size();
        for _ in 0..batch {
            self.groups[group].created += 1;
            let inst = self.new_instance(now, group);
            let id = self.instances.insert(inst);
            obs.arrived(now, self, group);
            self.try_place(now, id, obs, true);
        }
        if let Some(t) = self.groups[group].next_arrival(now) {
            if t <= self.end {
                self.queue.schedule_at(t, Event::Arrival { group });
            }
        }
    }

    /// Draws the instance's size from its group.
    fn new_instance(&mut self, now: SimTime, group: GroupId) -> Instance {
        let g = &mut self.groups[group];
        let (request, image, size_cpu, size_mem) = match &g.spec.kind {
            WorkloadKind::Vm(vm) => {
                let cpu = vm.reserve_cpu.draw(&mut g.size_rng);
                let memory = vm.reserve_memory.draw(&mut g.size_rng);
                // A trace-driven group sizes each instance from its trace row.
                let (vcpus, size, mem) = g.trace_size(g.created - 1).unwrap_or((
                    vm.vcpus,
                    CpuAmount::Millicores(vm.vcpus as u64 * 1000),
                    vm.memory,
                ));
                (Request { cpu, memory, vcpus }, ImageId(0), size, mem)
            }
            WorkloadKind::Pod(p) => {
                let cpu = p.request_cpu.draw(&mut g.size_rng);
                let memory = p.request_memory.draw(&mut g.size_rng);
                let image = ImageId::from_index(p.image.draw(&mut g.size_rng));
                // A pod may use up to its CPU limit; without one, its request.
                let size = match &p.limit_cpu {
                    Some(l) => l.draw(&mut g.size_rng),
                    None => cpu,
                };
                (
                    Request {
                        cpu,
                        memory,
                        vcpus: 0,
                    },
                    image,
                    size,
                    memory,
                )
            }
        };
        Instance {
            gen: 0,
            group,
            is_pod: g.spec.is_pod(),
            state: InstanceState::Pending,
            host: HostId::NONE,
            image,
            request,
            size_cpu,
            size_mem,
            demand_state: g
                .spec
                .demand
                .initial_state(g.created - 1, &mut g.demand_rng) as f32,
            index: (g.created - 1) as u32,
            migrating_to: HostId::NONE,
            migration_overhead_mhz: 0,
            cpu_reserved_mhz: 0,
            mem_reserved: 0,
            cpu_demand_mhz: 0,
            mem_demand: 0,
            created: now,
        }
    }

    /// Asks the cluster's policy for a host; places, queues or rejects. Returns whether
    /// the instance was placed.
    fn try_place<O: Observer>(
        &mut self,
        now: SimTime,
        id: InstanceId,
        obs: &mut O,
        first_try: bool,
    ) -> bool {
        let (group, request) = {
            let inst = self.instances.get(id).expect("live instance");
            (inst.group, inst.request)
        };
        let spec = &self.groups[group].spec;
        let ci = ClusterId::from_index(spec.cluster);
        let on_no_fit = spec.on_no_fit;
        // A consolidation cluster places VMs power-aware (`consolidation.rs`); what
        // finds no room that way goes to the cluster's policy.
        if !spec.is_pod()
            && self.clusters[ci].consolidation.is_some()
            && self.consolidation_arrival(now, id, obs)
        {
            return true;
        }
        let cluster = &self.clusters[ci];
        let (decision, broke_should) = self.place_by_rules(group, &request, None);
        if broke_should && matches!(decision, Placement::Host(_)) {
            obs.rule_broken(now, group);
        }
        match decision {
            Placement::Host(local) => {
                let host = HostId(cluster.first_host.0 + local as u32);
                self.place_on(now, id, host, obs);
                true
            }
            Placement::NoFit(why) => {
                if first_try {
                    match on_no_fit {
                        OnNoFit::Reject => {
                            self.instances.remove(id);
                            obs.rejected(now, self, group, why);
                        }
                        OnNoFit::Wait => {
                            self.clusters[ci].pending.push(id, request);
                            obs.pending(now, self, group, why);
                        }
                    }
                }
                false
            }
        }
    }

    pub(super) fn place_on<O: Observer>(
        &mut self,
        now: SimTime,
        id: InstanceId,
        host: HostId,
        obs: &mut O,
    ) {
        let h = &self.hosts[host];
        let view = h.view;
        let ci = h.cluster;
        let inst = self.instances.get_mut(id).expect("live instance");
        let group = inst.group;
        inst.host = host;
        inst.cpu_reserved_mhz = inst.request.cpu_mhz_on(&view);
        inst.mem_reserved = inst.request.memory;
        let demand = self.groups[group]
            .spec
            .demand
            .fraction(now.as_secs_f64(), inst.demand_state as f64);
        let size_mhz = Request {
            cpu: inst.size_cpu,
            ..inst.request
        }
        .cpu_mhz_on(&view);
        inst.cpu_demand_mhz = (size_mhz as f64 * demand).round() as u64;
        inst.mem_demand = inst.size_mem;
        let (cpu_r, mem_r) = (inst.cpu_reserved_mhz, inst.mem_reserved);
        let (cpu_d, mem_d) = (inst.cpu_demand_mhz, inst.mem_demand);
        let is_pod = inst.is_pod;
        let image = inst.image;
        {
            // Demand counts from placement, not from Running: a starting pod is already
            // committed to its host, and a spreading policy that ignored it would send a
            // burst of arrivals all to the same idle host.
            let h = &mut self.hosts[host];
            h.view.cpu_reserved_mhz += cpu_r;
            h.view.mem_reserved += mem_r;
            h.view.cpu_demand_mhz += cpu_d;
            h.view.mem_demand += mem_d;
            h.instances += 1;
        }
        let local = self.hosts[host].local as usize;
        self.groups[group].count(local, 1);
        obs.placed(now, self, group, host);
        if is_pod {
            self.instances.get_mut(id).expect("live").state = InstanceState::Starting;
            self.clusters[ci].pods_starting += 1;
            let ready = self.image_ready(now, host, image, obs);
            let start = ready + self.clusters[ci].pods.startup_delay;
            self.queue.schedule_at(start, Event::PodRunning { pod: id });
            self.host_updated(now, host, obs);
        } else {
            self.host_updated(now, host, obs);
            self.start_running(now, id);
        }
    }

    /// When `image` is on `host`, starting a pull if the host never had it.
    fn image_ready<O: Observer>(
        &mut self,
        now: SimTime,
        host: HostId,
        image: ImageId,
        obs: &mut O,
    ) -> SimTime {
        if let Some(t) = self.hosts[host].images.ready_by(image, now) {
            return t;
        }
        let bytes = self.image_sizes[image];
        let ci = self.hosts[host].cluster;
        let pull =
            SimDuration::from_secs_f64(bytes as f64 / self.clusters[ci].pods.image_pull_bandwidth);
        let ready = now + pull;
        self.hosts[host].images.insert(image, ready);
        obs.image_pull(now, host, bytes);
        ready
    }

    /// Marks the instance Running and starts its lifetime. The host does not change:
    /// the instance's reservation and demand count from placement.
    fn start_running(&mut self, now: SimTime, id: InstanceId) {
        let inst = self.instances.get_mut(id).expect("live instance");
        inst.state = InstanceState::Running;
        let (host, group, is_pod) = (inst.host, inst.group, inst.is_pod);
        let ci = self.hosts[host].cluster;
        if is_pod {
            self.clusters[ci].pods_running += 1;
        } else {
            self.clusters[ci].vms_running += 1;
        }
        let index = inst.index;
        let g = &mut self.groups[group];
        let life = match g.trace_lifetime(index) {
            Some(traced) => traced,
            None => g.spec.lifetime.draw(&mut g.lifetime_rng),
        };
        if let Some(life) = life {
            let t = now + life;
            if t <= self.end {
                self.queue.schedule_at(t, Event::Departure { instance: id });
            }
        }
    }

    fn on_pod_running<O: Observer>(&mut self, now: SimTime, pod: InstanceId, obs: &mut O) {
        let Some(inst) = self.instances.get(pod) else {
            return;
        };
        let (group, created, host) = (inst.group, inst.created, inst.host);
        let ci = self.hosts[host].cluster;
        self.clusters[ci].pods_starting -= 1;
        obs.pod_running(now, group, now - created);
        self.start_running(now, pod);
    }

    pub(super) fn on_departure<O: Observer>(&mut self, now: SimTime, id: InstanceId, obs: &mut O) {
        let Some(inst) = self.instances.remove(id) else {
            return;
        };
        let host = inst.host;
        let h = &mut self.hosts[host];
        h.view.cpu_reserved_mhz -= inst.cpu_reserved_mhz;
        h.view.mem_reserved -= inst.mem_reserved;
        h.view.cpu_demand_mhz -= inst.cpu_demand_mhz;
        h.view.mem_demand -= inst.mem_demand;
        h.instances -= 1;
        let ci = h.cluster;
        let local = h.local as usize;
        self.groups[inst.group].count(local, -1);
        let c = &mut self.clusters[ci];
        match (inst.is_pod, inst.state) {
            (true, InstanceState::Starting) => c.pods_starting -= 1,
            (true, _) => c.pods_running -= 1,
            (false, _) => c.vms_running -= 1,
        }
        self.retry_pending_soon(now, ci);
        self.host_updated(now, host, obs);
        if inst.migrating_to != HostId::NONE {
            obs.migration_ended(now, self, id);
            if self.simple_migration(id, host) {
                self.abort_simple_migration(now, id, &inst, obs);
            } else {
                self.abort_migration(now, host, &inst, obs);
            }
        }
        obs.departed(now, self, inst.group);
        if self.clusters[ci].entering_maintenance > 0 {
            self.retry_evacuations(now, ci, obs);
        }
    }

    /// Places waiting instances, oldest first, skipping request classes that still fit
    /// nowhere (see `pending.rs`). One pass over the class heads suffices: placing only
    /// takes capacity, so a head that did not fit earlier in the pass still does not,
    /// and the next instance of a class that was just placed is a later head.
    fn on_retry_pending<O: Observer>(&mut self, now: SimTime, cluster: ClusterId, obs: &mut O) {
        let ci = cluster;
        self.clusters[ci].retry_scheduled = false;
        let mut from = 0;
        while let Some((seq, id, req)) = self.clusters[ci].pending.next_head(from) {
            from = seq + 1;
            if !self.clusters[ci].index.fit.may_fit(&req) {
                continue;
            }
            if self.try_place(now, id, obs, false) {
                self.clusters[ci].pending.pop_head(&req, id);
            }
        }
    }

    /// Moves every placed instance of `group` to its demand at `now`, then schedules the
    /// next update.
    fn on_demand_tick<O: Observer>(&mut self, now: SimTime, group: GroupId, obs: &mut O) {
        let g = &mut self.groups[group];
        let t = now.as_secs_f64();
        let mut changed: Vec<HostId> = Vec::new();
        for inst in self.instances.iter_mut() {
            if inst.group != group || inst.host == HostId::NONE {
                continue;
            }
            let state = g
                .spec
                .demand
                .step(inst.demand_state as f64, &mut g.demand_rng);
            inst.demand_state = state as f32;
            let view = &mut self.hosts[inst.host].view;
            let size_mhz = Request {
                cpu: inst.size_cpu,
                ..inst.request
            }
            .cpu_mhz_on(view);
            let cpu = (size_mhz as f64 * g.spec.demand.fraction(t, state)).round() as u64;
            if cpu != inst.cpu_demand_mhz {
                view.cpu_demand_mhz = view.cpu_demand_mhz - inst.cpu_demand_mhz + cpu;
                inst.cpu_demand_mhz = cpu;
                changed.push(inst.host);
            }
        }
        let next = now + g.spec.demand_every;
        changed.sort_unstable();
        changed.dedup();
        for host in changed {
            self.host_updated(now, host, obs);
        }
        if next <= self.end {
            self.queue.schedule_at(next, Event::DemandTick { group });
        }
    }

    /// Capacity may have freed in `cluster`: retry its waiting instances now (at most one
    /// retry is scheduled at a time).
    pub(super) fn retry_pending_soon(&mut self, now: SimTime, cluster: ClusterId) {
        let c = &mut self.clusters[cluster];
        if !c.pending.is_empty() && !c.retry_scheduled {
            c.retry_scheduled = true;
            self.queue.schedule_at(now, Event::RetryPending { cluster });
        }
    }

    /// Asks the cluster's policy for a host that the group's rules allow (`leaving`: a
    /// host the VM is leaving). A `should` host rule is dropped when nothing else fits;
    /// the second value says so.
    pub(super) fn place_by_rules(
        &self,
        group: GroupId,
        request: &Request,
        leaving: Option<usize>,
    ) -> (Placement, bool) {
        let g = &self.groups[group];
        let c = &self.clusters[ClusterId::from_index(g.spec.cluster)];
        let view = ClusterView {
            hosts: &c.views,
            index: &c.index,
        };
        let unconstrained = g.spec.rules == crate::scenario::Rules::default();
        if unconstrained {
            return (c.policy.place(&view, request), false);
        }
        let strict = c.policy.place_where(&view, request, &|h| {
            Some(h) != leaving && g.allows(h, true, leaving)
        });
        match (&strict, &g.host_mask) {
            (Placement::NoFit(_), Some((_, false))) => {
                let relaxed = c.policy.place_where(&view, request, &|h| {
                    Some(h) != leaving && g.allows(h, false, leaving)
                });
                let broke = matches!(relaxed, Placement::Host(_));
                (relaxed, broke)
            }
            _ => (strict, false),
        }
    }

    /// Copies a host's new state into its cluster's view and index, and tells observers.
    pub(super) fn host_updated<O: Observer>(&mut self, now: SimTime, host: HostId, obs: &mut O) {
        let h = &self.hosts[host];
        let c = &mut self.clusters[h.cluster];
        let local = h.local as usize;
        c.views[local] = h.view;
        c.index.update(local, &h.view);
        obs.host_changed(now, self, host);
    }

    /// Hosts of cluster `ci`.
    pub fn cluster_hosts(&self, ci: ClusterId) -> &[Host] {
        let c = &self.clusters[ci];
        let first = c.first_host.index();
        &self.hosts.as_slice()[first..first + c.host_count as usize]
    }

    /// Instances waiting, over all clusters.
    pub fn pending_count(&self) -> usize {
        self.clusters.iter().map(|c| c.pending.len()).sum()
    }
}
