//! The world's state and its event handlers.

use super::event::Event;
use super::host::Host;
use super::ids::{ClusterId, GroupId, HostId, ImageId};
use super::instance::{Instance, InstanceId, InstanceState, Instances};
use super::nsx::Nsx;
use super::pending::PendingQueue;
use super::topology::{PathId, Topology};
use super::traffic::{Completion, RequestError, Traffic};
use super::vmotion::{MigrationSlots, PrecopyPlan};
use super::workload::Group;
use crate::engine::{EventQueue, Id, IdVec, SimDuration, SimTime};
use crate::policy::balance::BalancePass;
use crate::policy::index::HostIndex;
use crate::policy::{ClusterView, HostView, Placement, PlacementPolicy, RejectReason, Request};
use crate::scenario::{CpuAmount, DrsSpec, OnNoFit, PodRuntimeSpec, VmRule, WorkloadKind};

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
    /// Mandatory moves out of `host`, which is being emptied for maintenance or standby
    /// (its state says which): each VM and the destination chosen for it (the vMotion
    /// starts now or when a slot frees). Logged beside the DRS passes.
    fn evacuation(
        &mut self,
        _now: SimTime,
        _world: &World,
        _host: HostId,
        _moves: &[(InstanceId, HostId)],
    ) {
    }
    /// A vMotion started; `plan` is its outcome if its bandwidth stays as it is now.
    fn migration_started(&mut self, _now: SimTime, _plan: &PrecopyPlan) {}
    /// A vMotion ended, as `outcome` says (rounds, bytes, duration, downtime): the VM now
    /// runs on its destination.
    fn migration_done(&mut self, _now: SimTime, _outcome: &PrecopyPlan) {}
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
    /// Workload Management on `cluster` is enabled, `took` after the start.
    fn supervisor_enabled(&mut self, _now: SimTime, _cluster: ClusterId, _took: SimDuration) {}
    /// An API server of `cluster` served a request `latency` after it was submitted.
    fn api_served(&mut self, _now: SimTime, _cluster: ClusterId, _latency: SimDuration) {}
    /// The API refused a pod of `group`: its namespace's quota has no room for `why`.
    fn quota_refused(
        &mut self,
        _now: SimTime,
        _world: &World,
        _group: GroupId,
        _why: super::namespace::QuotaReason,
    ) {
    }
    /// A supervised pod's start-up stage `stage` ended after `took`.
    fn pod_stage(
        &mut self,
        _now: SimTime,
        _world: &World,
        _pod: InstanceId,
        _stage: super::crx::Stage,
        _took: SimDuration,
    ) {
    }
    /// A pod found its image in its datastore's cache.
    fn image_cache_hit(&mut self, _now: SimTime) {}
    /// An image fetcher started pulling `bytes` from the registry.
    fn image_pull_started(&mut self, _now: SimTime, _bytes: u64) {}
    /// An image fetch of `bytes` ended `took` after it began (fetcher start-up, queue and
    /// pull); storing it evicted `evicted` images, or overflowed the image space.
    fn image_fetched(
        &mut self,
        _now: SimTime,
        _bytes: u64,
        _took: SimDuration,
        _evicted: u32,
        _overflow: bool,
    ) {
    }
    /// Supervised pod `pod` of `group` ended: ran to completion (`succeeded`), or was
    /// deleted or evicted.
    fn pod_finished(&mut self, _now: SimTime, _group: GroupId, _pod: InstanceId, _succeeded: bool) {
    }
    /// A deployment's rolling update finished after `took`.
    fn rollout_done(&mut self, _now: SimTime, _group: GroupId, _took: SimDuration) {}
    /// A job's last completion, `took` after the job was created.
    fn job_done(&mut self, _now: SimTime, _group: GroupId, _took: SimDuration) {}
    /// A pod of `group` waits for room on a datastore for its volume.
    fn volume_waiting(&mut self, _now: SimTime, _group: GroupId) {}
    /// kube-scheduler decided where supervised pod `pod` goes (`host`, or nowhere):
    /// every node's filter result and DRS's scores (only with `--explain`).
    fn pod_decision(
        &mut self,
        _now: SimTime,
        _world: &World,
        _pod: InstanceId,
        _decision: &super::kube::Decision,
        _host: Option<HostId>,
    ) {
    }
    /// Every node of guest cluster `name` is up, `took` after it was created.
    fn guest_cluster_ready(&mut self, _now: SimTime, _name: &str, _took: SimDuration) {}
    /// A request of Service `service` was sent: its load balancer chose a member.
    fn request_sent(&mut self, _now: SimTime, _service: u32) {}
    /// A request was answered.
    fn request_done(&mut self, _now: SimTime, _done: &Completion) {}
    /// A request of Service `service` failed for `why`: after it was sent (`sent`), or
    /// before (no member, rate limit, no source).
    fn request_failed(&mut self, _now: SimTime, _service: u32, _why: RequestError, _sent: bool) {}
    /// Endpoint `endpoint` (a Running pod of a Service) joined its pool (`added`) or left.
    fn endpoint_changed(&mut self, _now: SimTime, _world: &World, _endpoint: u32, _added: bool) {}
    /// A health monitor took member `member` of pool `pool` out (`up` false) or back in.
    fn member_health(
        &mut self,
        _now: SimTime,
        _world: &World,
        _pool: u32,
        _member: u32,
        _up: bool,
    ) {
    }
    /// Fault `fault` started (`started`) or was repaired; it hit `hits` endpoints.
    fn fault(&mut self, _now: SimTime, _world: &World, _fault: u32, _started: bool, _hits: u32) {}
    /// `bytes` cross topology path `path` evenly over `over` from `now` (a vMotion, an
    /// image pull).
    fn link_flow(&mut self, _now: SimTime, _path: PathId, _bytes: u64, _over: SimDuration) {}
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
    /// The vMotions under way, by VM.
    pub migrations: std::collections::BTreeMap<InstanceId, super::migration::InFlight>,
    /// Workload Management, on a supervisor cluster.
    pub supervisor: Option<Box<super::supervisor::Supervisor>>,
    /// Its hosts as Kubernetes nodes (supervisor clusters).
    pub kube: Option<super::kube::KubeNodes>,
    /// Capacity-weighted MHz of one core (converts CPU requests in cores for quotas).
    pub mean_core_mhz: f64,
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
    /// vSphere Namespaces, by scenario index.
    pub namespaces: Vec<super::namespace::Namespace>,
    /// The registry and the supervisor datastores with their image caches and volumes.
    pub images: super::registry::ImageStore,
    /// The cluster of each datastore in `images`.
    pub datastore_cluster: Vec<ClusterId>,
    /// Persistent volumes: pod -> (datastore, bytes).
    pub volumes: std::collections::BTreeMap<InstanceId, (u32, u64)>,
    /// Pods waiting for room for their volume.
    pub volume_waiting: std::collections::VecDeque<InstanceId>,
    /// Deployment and job controllers, by group.
    pub controllers: Vec<Option<super::controllers::ControllerState>>,
    /// Guest clusters: name -> (nodes expected, nodes up, created).
    pub guests: std::collections::BTreeMap<String, (u32, u32, Option<SimTime>)>,
    /// Record every scheduling decision of a supervised pod (`--explain`).
    pub explain: bool,
    /// The physical network, when the scenario gives one.
    pub topology: Option<Topology>,
    /// NSX edges, load balancers and pools.
    pub nsx: Nsx,
    /// Services, their endpoints, clients and requests.
    pub traffic: Traffic,
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
            Event::VmBooted { vm } => self.on_vm_booted(now, vm, obs),
            Event::SphereletInstalled { host } => self.on_spherelet_installed(now, host, obs),
            Event::ApiArrive { cluster, request } => self.api_arrive(now, cluster, request),
            Event::ApiServed {
                cluster,
                server,
                request,
            } => self.on_api_served(now, cluster, server, request, obs),
            Event::SchedulingDone { cluster } => self.on_scheduling_done(now, cluster, obs),
            Event::PodStage { pod } => self.on_pod_stage(now, pod, obs),
            Event::FetcherUp { fetch } => self.on_fetcher_up(now, fetch, obs),
            Event::RegistryPullDone => self.on_registry_pull_done(now, obs),
            Event::VolumeReady { pod } => self.on_volume_ready(now, pod, obs),
            Event::Heartbeat { host } => self.on_heartbeat(now, host),
            Event::PodTerminated { pod } => self.on_pod_terminated(now, pod, obs),
            Event::Scale { group, replicas } => self.on_scale(now, group, replicas, obs),
            Event::Rollout { group } => self.on_rollout(now, group, obs),
            Event::ClientSend { sender } => self.on_client_send(now, sender, obs),
            Event::RequestArrive { req, gen } => self.on_request_arrive(now, req, gen, obs),
            Event::RequestDone { req, gen } => self.on_request_done(now, req, gen, obs),
            Event::EndpointNext { endpoint } => self.on_endpoint_next(now, endpoint, obs),
            Event::HealthProbe { pool } => self.on_health_probe(now, pool, obs),
            Event::ProbeTimeout { pool, member } => self.on_probe_timeout(now, pool, member, obs),
            Event::FaultStart { fault } => self.on_fault(now, fault, true, obs),
            Event::FaultEnd { fault } => self.on_fault(now, fault, false, obs),
            Event::ConsolidationPass { cluster } => self.on_consolidation_pass(now, cluster, obs),
            Event::SimpleMigrationDone { vm } => self.on_simple_migration_done(now, vm, obs),
            Event::HostAsleep { host } => self.on_host_asleep(now, host, obs),
            Event::HostAwake { host } => self.on_host_awake(now, host, obs),
        }
    }

    fn on_arrival<O: Observer>(&mut self, now: SimTime, group: GroupId, obs: &mut O) {
        let batch = self.groups[group].batch_size();
        if self.supervised(group) {
            // Pods, deployments and jobs of a supervisor cluster go through its API.
            for _ in 0..batch {
                self.supervised_arrival(now, group);
            }
            let g = &mut self.groups[group];
            if matches!(g.spec.controller, crate::scenario::Controller::Arrivals) {
                // (The API counts `created` as it creates pods; the arrival process
                // counts its own requests.)
                g.requested += batch;
                if let Some(t) = g.next_arrival_after(now, g.requested) {
                    if t <= self.end {
                        self.queue.schedule_at(t, Event::Arrival { group });
                    }
                }
            }
            return;
        }
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
    pub(super) fn new_instance(&mut self, now: SimTime, group: GroupId) -> Instance {
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
            mem_demand_state: g
                .spec
                .memory_demand
                .initial_state(g.created - 1, &mut g.memory_demand_rng)
                as f32,
            index: (g.created - 1) as u32,
            migrating_to: HostId::NONE,
            migration_overhead_mhz: 0,
            cpu_reserved_mhz: 0,
            mem_reserved: 0,
            cpu_demand_mhz: 0,
            mem_demand: 0,
            created: now,
            stage: 0,
            stage_since: now,
            revision: 0,
        }
    }

    /// Asks the cluster's policy for a host; places, queues or rejects. Returns whether
    /// the instance was placed.
    pub(super) fn try_place<O: Observer>(
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
        let supervised = self.supervised(group);
        let mut record = None;
        let feasible = if supervised {
            self.kube_feasible(group, &request, self.explain.then_some(&mut record))
        } else {
            Vec::new()
        };
        let cluster = &self.clusters[ci];
        let (decision, broke_should) = self.place_by_rules(group, &request, None, &feasible);
        if let Some(d) = &record {
            let host = match decision {
                Placement::Host(local) => Some(HostId(cluster.first_host.0 + local as u32)),
                Placement::NoFit(_) => None,
            };
            obs.pod_decision(now, self, id, d, host);
        }
        let cluster = &self.clusters[ci];
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
        (inst.cpu_demand_mhz, inst.mem_demand) =
            inst.demand_on(&self.groups[group].spec, &view, now.as_secs_f64());
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
        if is_pod && self.clusters[ci].supervisor.is_some() {
            self.host_updated(now, host, obs);
            self.pod_scheduled(now, id);
        } else if is_pod {
            self.instances.get_mut(id).expect("live").state = InstanceState::Starting;
            self.clusters[ci].pods_starting += 1;
            let ready = self.image_ready(now, host, image, obs);
            let start = ready + self.clusters[ci].pods.startup_delay;
            self.queue.schedule_at(start, Event::PodRunning { pod: id });
            self.host_updated(now, host, obs);
        } else {
            self.host_updated(now, host, obs);
            let boot = self.groups[group].spec.vm_start;
            if boot > SimDuration::ZERO {
                // Cloned and booted through vCenter before it runs.
                self.instances.get_mut(id).expect("live").state = InstanceState::Starting;
                self.queue.schedule_in(boot, Event::VmBooted { vm: id });
            } else {
                self.start_running(now, id);
            }
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
        let mut bandwidth = self.clusters[ci].pods.image_pull_bandwidth;
        let path = self.image_path(host);
        if let Some((_, bottleneck)) = path {
            bandwidth = bandwidth.min(bottleneck);
        }
        let pull = SimDuration::from_secs_f64(bytes as f64 / bandwidth);
        if let Some((p, _)) = path {
            obs.link_flow(now, p, bytes, pull);
        }
        let ready = now + pull;
        self.hosts[host].images.insert(image, ready);
        obs.image_pull(now, host, bytes);
        ready
    }

    /// Marks the instance Running and starts its lifetime. The host does not change:
    /// the instance's reservation and demand count from placement.
    pub(super) fn start_running(&mut self, now: SimTime, id: InstanceId) {
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
        self.traffic_pod_running(now, pod, obs);
    }

    /// A VM that boots before it runs is up.
    fn on_vm_booted<O: Observer>(&mut self, now: SimTime, vm: InstanceId, obs: &mut O) {
        let Some(inst) = self.instances.get(vm) else {
            return;
        };
        if inst.state != InstanceState::Starting {
            return;
        }
        let group = inst.group;
        self.start_running(now, vm);
        let ci = ClusterId::from_index(self.groups[group].spec.cluster);
        if self.clusters[ci]
            .supervisor
            .as_ref()
            .is_some_and(|s| s.control_plane == group)
        {
            self.control_plane_vm_up(now, ci, obs);
        }
        if let crate::scenario::Controller::GuestCluster { guest, .. } =
            &self.groups[group].spec.controller
        {
            let guest = guest.clone();
            let g = self.guests.get_mut(&guest).expect("a known guest cluster");
            g.1 += 1;
            if g.1 == g.0 {
                let took = now - g.2.unwrap_or(SimTime::ZERO);
                obs.guest_cluster_ready(now, &guest, took);
            }
        }
    }

    /// An instance's lifetime is over: a VM is powered off and deleted; a pod Succeeds
    /// (on a supervisor cluster it is Terminating first).
    pub(super) fn on_departure<O: Observer>(&mut self, now: SimTime, id: InstanceId, obs: &mut O) {
        match self.instances.get(id) {
            None => {}
            Some(i) if self.supervised(i.group) => self.terminate_pod(now, id, true, obs),
            Some(_) => self.remove_instance(now, id, obs),
        }
    }

    /// An instance leaves its host for good: its reservation and demand go, waiting work
    /// is retried.
    pub(super) fn remove_instance<O: Observer>(
        &mut self,
        now: SimTime,
        id: InstanceId,
        obs: &mut O,
    ) {
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
            (true, InstanceState::Running) => c.pods_running -= 1,
            (false, InstanceState::Running) => c.vms_running -= 1,
            _ => {}
        }
        self.retry_pending_soon(now, ci);
        self.host_updated(now, host, obs);
        if inst.migrating_to != HostId::NONE {
            obs.migration_ended(now, self, id);
            if self.simple_migration(id, host) {
                self.abort_simple_migration(now, id, &inst, obs);
            } else {
                self.abort_migration(now, id, host, &inst, obs);
            }
        }
        obs.departed(now, self, inst.group);
        if inst.is_pod && inst.state == InstanceState::Running {
            self.traffic_pod_gone(now, id, &inst, obs);
        }
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
            if self
                .instances
                .get(id)
                .is_none_or(|i| i.state != InstanceState::Pending)
            {
                // Deleted while it waited (a deployment scaled down).
                self.clusters[ci].pending.pop_head(&req, id);
                continue;
            }
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
            inst.demand_state =
                g.spec
                    .demand
                    .step(inst.demand_state as f64, &mut g.demand_rng) as f32;
            inst.mem_demand_state = g
                .spec
                .memory_demand
                .step(inst.mem_demand_state as f64, &mut g.memory_demand_rng)
                as f32;
            let view = &mut self.hosts[inst.host].view;
            let (cpu, mem) = inst.demand_on(&g.spec, view, t);
            if (cpu, mem) != (inst.cpu_demand_mhz, inst.mem_demand) {
                view.cpu_demand_mhz = view.cpu_demand_mhz - inst.cpu_demand_mhz + cpu;
                view.mem_demand = view.mem_demand - inst.mem_demand + mem;
                inst.cpu_demand_mhz = cpu;
                inst.mem_demand = mem;
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

    /// How many VMs break a required rule now: on a host their `must` / `must_not` rules
    /// forbid, or beyond the first of a `separate` group on one host (counting where
    /// migrating VMs are going). The model never lets this be more than 0; metrics check.
    pub fn required_rules_broken(&self) -> u64 {
        let mut broken = 0u64;
        for g in self.groups.values() {
            if g.spec.rules.vms == Some(VmRule::Separate) {
                broken += g
                    .on_host
                    .iter()
                    .map(|&n| n.saturating_sub(1) as u64)
                    .sum::<u64>();
            }
        }
        for inst in self.instances.iter() {
            let Some(masks) = &self.groups[inst.group].host_masks else {
                continue;
            };
            for h in [inst.host, inst.migrating_to] {
                if h != HostId::NONE && !masks.required[self.hosts[h].local as usize] {
                    broken += 1;
                }
            }
        }
        broken
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
        feasible: &[bool],
    ) -> (Placement, bool) {
        let g = &self.groups[group];
        let c = &self.clusters[ClusterId::from_index(g.spec.cluster)];
        let view = ClusterView {
            hosts: &c.views,
            index: &c.index,
        };
        if !feasible.is_empty() {
            // A supervised pod: among the hosts Kubernetes' filters leave.
            return (
                c.policy.place_where(&view, request, &|h| feasible[h]),
                false,
            );
        }
        let unconstrained = g.spec.rules == crate::scenario::Rules::default();
        if unconstrained {
            return (c.policy.place(&view, request), false);
        }
        let strict = c.policy.place_where(&view, request, &|h| {
            Some(h) != leaving && g.allows(h, true, leaving)
        });
        match (&strict, &g.host_masks) {
            (Placement::NoFit(_), Some(m)) if m.has_preferential => {
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
