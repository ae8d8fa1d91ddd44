//! The validated scenario: what the model is built from.

use crate::engine::rng::RngStream;
use crate::engine::SimDuration;
pub use crate::scenario::units::CpuAmount;

/// A checked scenario.
#[derive(Clone, Debug)]
pub struct Scenario {
    pub name: String,
    pub seed: u64,
    pub duration: SimDuration,
    pub sample_every: SimDuration,
    pub clusters: Vec<ClusterSpec>,
    pub images: Vec<ImageSpec>,
    pub workloads: Vec<WorkloadSpec>,
    pub maintenance: Vec<MaintenanceSpec>,
    /// vSphere Namespaces of the supervisor clusters.
    pub namespaces: Vec<NamespaceSpec>,
    /// The registry images are pulled from.
    pub registry: RegistrySpec,
    /// FNV-1a hash of the scenario document after `--set` overrides, in canonical JSON
    /// (keys sorted): it names the input, and stays the same when the program's types
    /// change. (Files the scenario refers to, such as traces, are not part of it.)
    pub hash: u64,
    /// Topology, NSX edges and load balancers, segments.
    pub network: crate::scenario::spec_net::NetworkSpec,
    /// Kubernetes Services with their clients.
    pub services: Vec<crate::scenario::spec_net::ServiceSpec>,
    /// Fault windows.
    pub faults: Vec<crate::scenario::spec_net::FaultSpec>,
}

/// A host's maintenance window.
#[derive(Clone, Debug, PartialEq)]
pub struct MaintenanceSpec {
    /// Host index over the whole scenario (clusters' hosts in order, groups in order).
    pub host: usize,
    pub at: SimDuration,
    pub until: Option<SimDuration>,
}

impl Scenario {
    pub fn host_count(&self) -> usize {
        self.clusters.iter().map(ClusterSpec::host_count).sum()
    }
}

#[derive(Clone, Debug)]
pub struct ClusterSpec {
    pub name: String,
    pub host_groups: Vec<HostGroupSpec>,
    pub datastores: Vec<DatastoreSpec>,
    pub placement: PlacementSpec,
    pub pods: PodRuntimeSpec,
    /// DRS load balancing, if enabled.
    pub drs: Option<DrsSpec>,
    /// Distributed Power Management, if enabled.
    pub dpm: Option<DpmSpec>,
    /// Workload Management, if enabled: a supervisor cluster.
    pub supervisor: Option<SupervisorSpec>,
    /// Dynamic VM consolidation (the alternative to DRS), if enabled.
    pub consolidation: Option<ConsolidationSpec>,
}

/// A supervisor cluster's control plane, API path and pod start-up. The defaults and
/// their sources are in `validate/supervisor.rs`.
#[derive(Clone, Debug, PartialEq)]
pub struct SupervisorSpec {
    /// Time to install the Spherelet on one host (hosts in parallel).
    pub spherelet_install: SimDuration,
    /// The three control-plane VMs' size, and the time to deploy and boot them.
    pub control_plane: VmClassSpec,
    pub control_plane_deploy: SimDuration,
    /// Requests one API server works on at once, and its time per request.
    pub api_inflight: u32,
    pub api_service_time: SimDuration,
    /// Token Exchange Service latency of a user request.
    pub tes_latency: SimDuration,
    /// Spherelet node heartbeat interval.
    pub heartbeat: SimDuration,
    /// One scheduling cycle of a pod (one pod at a time), then the DRS call (overlapping).
    pub scheduling: SimDuration,
    pub drs_call: SimDuration,
    pub crx: CrxStages,
    /// Image-fetcher system pod start-up, before its pull.
    pub fetcher_startup: SimDuration,
    /// CNS volume provisioning time.
    pub volume_provision: SimDuration,
    /// Time a deleted pod spends Terminating.
    pub termination: SimDuration,
    /// Guest-cluster node VMs: clone from the template, then boot and join.
    pub guest_node_clone: SimDuration,
    pub guest_node_boot: SimDuration,
}

/// The CRX start-up stages of a native pod after it is bound to a host, in order.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CrxStages {
    pub create_vm: SimDuration,
    pub power_on: SimDuration,
    /// Attach the cached image disk (after any fetch).
    pub image_attach: SimDuration,
    pub disk_and_nic: SimDuration,
    pub kernel_boot: SimDuration,
    pub agent_start: SimDuration,
    pub container_start: SimDuration,
    pub readiness: SimDuration,
}

/// A VM class: vCPUs and memory, and whether it reserves all of them.
#[derive(Clone, Debug, PartialEq)]
pub struct VmClassSpec {
    pub name: String,
    pub vcpus: u32,
    pub memory: u64,
    pub guaranteed: bool,
}

/// A vSphere Namespace.
#[derive(Clone, Debug, PartialEq)]
pub struct NamespaceSpec {
    pub name: String,
    /// Index into `Scenario::clusters` (a supervisor cluster).
    pub cluster: usize,
    /// CPU limit on the sum of requests, in MHz of the cluster's mean core (cores
    /// are converted), memory and storage in bytes; `None`: unlimited.
    pub cpu_mhz: Option<u64>,
    pub memory: Option<u64>,
    pub storage: Option<u64>,
    /// Storage policies its volumes may use; `None`: all.
    pub storage_policies: Option<Vec<String>>,
}

/// The registry (Harbor).
#[derive(Clone, Debug, PartialEq)]
pub struct RegistrySpec {
    /// Bytes per second shared by the pulls under way.
    pub bandwidth: f64,
    /// Pulls served at once; the rest wait in FIFO order.
    pub concurrent_pulls: u32,
}

/// Host overload detection of a consolidation cluster (Beloglazov & Buyya 2012).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OverloadDetector {
    /// Static threshold: overloaded above `safety` utilisation.
    Thr,
    /// Adaptive threshold `1 - safety x IQR` of the host's utilisation history.
    Iqr,
    /// Adaptive threshold `1 - safety x MAD` of the host's utilisation history.
    Mad,
    /// Local regression: overloaded when `safety x` the predicted utilisation >= 1.
    Lr,
    /// Robust local regression (bisquare re-weighting), same test.
    Lrr,
}

/// Which VM leaves an overloaded host first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VmSelection {
    /// Minimum migration time: the VM with the least memory.
    Mmt,
    /// Random selection.
    Rs,
    /// Maximum correlation: the VM whose utilisation history the others' predict best.
    Mc,
}

/// When consolidation checks that a VM's memory fits its destination.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemoryCheck {
    /// At placement and at every migration.
    Always,
    /// Only when a VM is first placed (CloudSim: a VM asks for its RAM only while it is
    /// being created; afterwards RAM is not a constraint).
    Placement,
    /// Never (CPU only).
    Never,
}

/// Where an emptied host goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SleepState {
    Standby,
    Off,
}

/// How consolidation moves VMs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum MigrationModel {
    /// vMotion as DRS does it: iterative pre-copy within vCenter's concurrency slots.
    Vmotion,
    /// The study's model (CloudSim): time = memory / (`bandwidth_share` x the narrower
    /// NIC), no concurrency limit; the VM loses `degradation` of its CPU while it moves
    /// and the destination carries that share of its demand.
    Simple {
        bandwidth_share: f64,
        degradation: f64,
    },
}

/// Dynamic VM consolidation of a cluster: every `interval`, hosts found overloaded shed
/// VMs (selection policy) to the hosts whose power grows least (PABFD), and the least-used
/// hosts are emptied when their VMs fit elsewhere and go to sleep.
#[derive(Clone, Debug, PartialEq)]
pub struct ConsolidationSpec {
    pub interval: SimDuration,
    pub detector: OverloadDetector,
    /// The detector's parameter: THR's threshold, IQR's and MAD's safety, LR's and LRR's
    /// safety multiplier.
    pub safety: f64,
    /// Static threshold used while a host's history is too short for the detector.
    pub fallback_threshold: f64,
    pub selection: VmSelection,
    pub memory: MemoryCheck,
    pub sleep: SleepState,
    pub migration: MigrationModel,
}

/// DPM of a cluster (evaluated at every DRS pass).
#[derive(Clone, Debug, PartialEq)]
pub struct DpmSpec {
    pub target: f64,
    pub tolerance: f64,
    pub power_on_window: SimDuration,
    pub power_off_window: SimDuration,
    pub power_on_time: SimDuration,
    pub power_off_time: SimDuration,
}

/// DRS load balancing of a cluster.
#[derive(Clone, Debug, PartialEq)]
pub struct DrsSpec {
    /// How passes choose moves.
    pub policy: DrsPolicy,
    pub interval: SimDuration,
    /// Migration threshold level 1..=5.
    pub level: u8,
    pub max_moves: usize,
}

/// The DRS balancing policy of a cluster.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DrsPolicy {
    /// Classic DRS (vSphere ≤ 6.7): keep the standard deviation of host loads under the
    /// threshold's target (`policy::balance`); a pass every 5 minutes by default.
    Imbalance,
    /// vSphere 7's VM DRS score (`policy::drs_score`); a pass every minute by default.
    Score,
}

impl ClusterSpec {
    pub fn host_count(&self) -> usize {
        self.host_groups.iter().map(|g| g.count as usize).sum()
    }
    /// Total CPU capacity in MHz.
    pub fn cpu_mhz(&self) -> f64 {
        self.host_groups
            .iter()
            .map(|g| g.count as f64 * g.cpu_mhz() as f64)
            .sum()
    }
    /// Capacity-weighted MHz of one core (the exact core speed in a homogeneous cluster).
    pub fn mean_core_mhz(&self) -> f64 {
        let cores: f64 = self
            .host_groups
            .iter()
            .map(|g| g.count as f64 * g.cores as f64)
            .sum();
        self.cpu_mhz() / cores
    }
}

#[derive(Clone, Debug)]
pub struct HostGroupSpec {
    pub name: String,
    pub count: u32,
    /// Physical cores per host.
    pub cores: u32,
    /// Clock of one core, MHz.
    pub mhz_per_core: u32,
    /// Physical memory, bytes.
    pub memory: u64,
    /// Network bandwidth, bytes per second.
    pub nic_bytes_per_s: f64,
    pub power: PowerModel,
    /// Watts drawn in standby.
    pub standby_w: f64,
    /// Kubernetes node labels, taints and pod limit of the hosts.
    pub node: super::kube::NodeTemplate,
    /// Watts drawn when powered off.
    pub off_w: f64,
    /// How long the host takes to enter and leave standby and off.
    pub transitions: PowerTransitions,
}

/// Times a host takes between power states (it draws its idle power meanwhile).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PowerTransitions {
    pub to_standby: SimDuration,
    pub from_standby: SimDuration,
    pub to_off: SimDuration,
    pub from_off: SimDuration,
}

impl HostGroupSpec {
    pub fn cpu_mhz(&self) -> u64 {
        self.cores as u64 * self.mhz_per_core as u64
    }
}

/// Host power draw as a function of CPU utilisation `u` in [0, 1].
#[derive(Clone, Debug, PartialEq)]
pub enum PowerModel {
    /// `P(u) = idle + (max - idle) * u` (the linear model of CloudSim, DSLab and OpenDC).
    Linear { idle_w: f64, max_w: f64 },
    /// Watts at 0%, 10%, ..., 100% load, linearly interpolated (SPECpower_ssj2008
    /// style, as CloudSim's `PowerModelSpecPower`).
    Table([f64; 11]),
}

impl PowerModel {
    pub fn watts(&self, u: f64) -> f64 {
        let u = u.clamp(0.0, 1.0);
        match self {
            PowerModel::Linear { idle_w, max_w } => idle_w + (max_w - idle_w) * u,
            PowerModel::Table(t) => {
                let x = u * 10.0;
                let i = (x.floor() as usize).min(9);
                let frac = x - i as f64;
                t[i] + (t[i + 1] - t[i]) * frac
            }
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DatastoreKind {
    Vmfs,
    Nfs,
    Vsan,
}

#[derive(Clone, Debug)]
pub struct DatastoreSpec {
    pub name: String,
    pub kind: DatastoreKind,
    pub capacity: u64,
    /// Bytes per second.
    pub throughput: f64,
    /// Storage policies it satisfies.
    pub policies: Vec<String>,
    /// Space for cached images (supervisor clusters).
    pub image_cache: u64,
    /// One such datastore per host, seen by that host only.
    pub per_host: bool,
}

/// Which resource a placement policy ranks hosts by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resource {
    Cpu,
    Memory,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PolicyKind {
    FirstFit,
    BestFit,
    LeastLoaded,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PlacementSpec {
    pub policy: PolicyKind,
    pub by: Resource,
}

#[derive(Clone, Debug, PartialEq)]
pub struct PodRuntimeSpec {
    pub startup_delay: SimDuration,
    /// Bytes per second at which a host pulls an image.
    pub image_pull_bandwidth: f64,
}

#[derive(Clone, Debug)]
pub struct ImageSpec {
    pub name: String,
    pub size: u64,
    /// In every supervisor datastore's image cache from the start.
    pub cached: bool,
}

/// A value fixed for the group or drawn uniformly per instance.
#[derive(Clone, Debug, PartialEq)]
pub enum Sampled<T> {
    One(T),
    Choice(Vec<T>),
}

impl<T: Copy> Sampled<T> {
    /// Draws a value; a fixed value consumes no randomness.
    pub fn draw(&self, rng: &mut RngStream) -> T {
        match self {
            Sampled::One(v) => *v,
            Sampled::Choice(vs) => vs[rng.below(vs.len() as u64) as usize],
        }
    }

    pub fn values(&self) -> &[T] {
        match self {
            Sampled::One(v) => std::slice::from_ref(v),
            Sampled::Choice(vs) => vs,
        }
    }
}

/// How instances of a group arrive.
#[derive(Clone, Debug, PartialEq)]
pub enum Arrival {
    /// All at t = 0.
    AtStart(u64),
    /// Exponential inter-arrival times with this rate (per second), at most `limit`.
    Poisson { rate_per_s: f64, limit: Option<u64> },
    /// One instance at each of these offsets, sorted.
    Times(Vec<SimDuration>),
}

/// How long an instance runs once it is running.
#[derive(Clone, Debug, PartialEq)]
pub enum Lifetime {
    Forever,
    Fixed(SimDuration),
    Exponential {
        mean_s: f64,
    },
    /// `exp(mu + sigma * N(0,1))` seconds.
    Lognormal {
        mu: f64,
        sigma: f64,
    },
    Uniform {
        min_s: f64,
        max_s: f64,
    },
}

impl Lifetime {
    /// Draws a lifetime; `None` is forever.
    pub fn draw(&self, rng: &mut RngStream) -> Option<SimDuration> {
        let secs = match *self {
            Lifetime::Forever => return None,
            Lifetime::Fixed(d) => return Some(d),
            Lifetime::Exponential { mean_s } => rng.exponential(mean_s),
            Lifetime::Lognormal { mu, sigma } => rng.lognormal(mu, sigma),
            Lifetime::Uniform { min_s, max_s } => min_s + (max_s - min_s) * rng.uniform(),
        };
        Some(SimDuration::from_secs_f64(secs))
    }

    /// Mean in seconds (infinite for `Forever`).
    pub fn mean_s(&self) -> f64 {
        match *self {
            Lifetime::Forever => f64::INFINITY,
            Lifetime::Fixed(d) => d.as_secs_f64(),
            Lifetime::Exponential { mean_s } => mean_s,
            Lifetime::Lognormal { mu, sigma } => (mu + sigma * sigma / 2.0).exp(),
            Lifetime::Uniform { min_s, max_s } => (min_s + max_s) / 2.0,
        }
    }
}

/// CPU demand of each instance of a group, as a fraction of its CPU size, over time.
///
/// `state` is one number per instance: the random walk's current value, or the bursts'
/// phase in [0, 1). Group-level curves (constant, diurnal) ignore it.
#[derive(Clone, Debug, PartialEq)]
pub enum DemandModel {
    Constant(f64),
    /// `min + (max - min) * (1 + cos(2 pi (t - peak_at) / period)) / 2`: at `max` at
    /// `peak_at` (mod period), at `min` half a period later.
    Diurnal {
        min: f64,
        max: f64,
        peak_at_s: f64,
        period_s: f64,
    },
    /// Per instance: `x <- clamp(x + U(-step, step), min, max)` at every update.
    RandomWalk {
        start: f64,
        step: f64,
        min: f64,
        max: f64,
    },
    /// Per instance: `peak` for `on` seconds, then `base` for `off` seconds, repeating,
    /// shifted by the instance's random phase.
    Bursts {
        base: f64,
        peak: f64,
        on_s: f64,
        off_s: f64,
    },
    /// Per instance: a measured series, one value per `interval_s`, repeating; instance k
    /// of the group follows column k modulo the column count.
    Trace(std::sync::Arc<DemandTrace>),
}

/// A demand trace read from a CSV file: `columns[c][row]`, fractions in [0, 1].
#[derive(Clone, Debug, PartialEq)]
pub struct DemandTrace {
    pub columns: Vec<Vec<f32>>,
    pub interval_s: f64,
    /// Per column, when its first sample starts (seconds of the run; may be negative for
    /// a workload already running at the start). Empty: every column starts at 0.
    pub starts_s: Vec<f64>,
    /// Per column, its sample interval. Empty: `interval_s` for every column.
    pub intervals_s: Vec<f64>,
    /// The column of each instance (in creation order). Empty: instance k follows
    /// column k modulo the column count.
    pub column_of: Vec<u32>,
    /// What follows a column's last sample.
    pub on_short: OnShort,
}

impl DemandTrace {
    /// A trace of equal columns that all start at 0 and repeat (the CSV demand trace).
    pub fn repeating(columns: Vec<Vec<f32>>, interval_s: f64) -> Self {
        DemandTrace {
            columns,
            interval_s,
            starts_s: Vec::new(),
            intervals_s: Vec::new(),
            column_of: Vec::new(),
            on_short: OnShort::Repeat,
        }
    }
}

/// What a trace-driven demand does after its series ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnShort {
    /// Start the series again.
    Repeat,
    /// Keep the last value.
    HoldLast,
    /// Refused at validation (a series must cover its workload's time in the run); at
    /// run time the last value is held.
    Error,
}

/// Per-instance sizes and lifetimes of a trace-driven VM group, in creation order:
/// instance k comes from `rows[row_of[k]]`.
#[derive(Clone, Debug, PartialEq)]
pub struct TraceInstances {
    /// The trace file, as the scenario names it.
    pub file: String,
    pub rows: Vec<TraceInstance>,
    pub row_of: Vec<u32>,
}

/// One trace row's instances.
#[derive(Clone, Debug, PartialEq)]
pub struct TraceInstance {
    pub vcpus: u32,
    /// What a utilisation of 1.0 means: an absolute clock or cores of the host.
    pub cpu: CpuAmount,
    pub memory: u64,
    /// `None`: runs to the end.
    pub lifetime: Option<SimDuration>,
}

impl DemandModel {
    /// Whether the demand changes over time (and needs periodic updates).
    pub fn varies(&self) -> bool {
        !matches!(self, DemandModel::Constant(_))
    }

    /// The per-instance state of the group's `index`-th instance (0-based).
    pub fn initial_state(&self, index: u64, rng: &mut RngStream) -> f64 {
        match self {
            DemandModel::RandomWalk { start, .. } => *start,
            DemandModel::Bursts { .. } => rng.uniform(),
            DemandModel::Trace(t) => match t.column_of.get(index as usize) {
                Some(c) => *c as f64,
                None => (index % t.columns.len() as u64) as f64,
            },
            DemandModel::Constant(_) | DemandModel::Diurnal { .. } => 0.0,
        }
    }

    /// Advances an instance's state by one update (only the random walk has one).
    pub fn step(&self, state: f64, rng: &mut RngStream) -> f64 {
        match *self {
            DemandModel::RandomWalk { step, min, max, .. } => {
                (state + step * (2.0 * rng.uniform() - 1.0)).clamp(min, max)
            }
            _ => state,
        }
    }

    /// The demand fraction at time `t_s` (seconds) for an instance in `state`.
    pub fn fraction(&self, t_s: f64, state: f64) -> f64 {
        if let DemandModel::Trace(t) = self {
            let c = state as usize;
            let column = &t.columns[c];
            let start = t.starts_s.get(c).copied().unwrap_or(0.0);
            let interval = t.intervals_s.get(c).copied().unwrap_or(t.interval_s);
            let k = ((t_s - start) / interval).floor().max(0.0) as usize;
            let row = match t.on_short {
                OnShort::Repeat => k % column.len(),
                OnShort::HoldLast | OnShort::Error => k.min(column.len() - 1),
            };
            return column[row] as f64;
        }
        match *self {
            DemandModel::Constant(c) => c,
            DemandModel::Diurnal {
                min,
                max,
                peak_at_s,
                period_s,
            } => {
                let phase = std::f64::consts::TAU * (t_s - peak_at_s) / period_s;
                min + (max - min) * (1.0 + phase.cos()) / 2.0
            }
            DemandModel::RandomWalk { .. } => state,
            DemandModel::Bursts {
                base,
                peak,
                on_s,
                off_s,
            } => {
                let cycle = on_s + off_s;
                let pos = (t_s + state * cycle).rem_euclid(cycle);
                if pos < on_s {
                    peak
                } else {
                    base
                }
            }
            DemandModel::Trace(_) => unreachable!("handled above"),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnNoFit {
    /// Refuse the request (vCenter's "insufficient resources" for a power-on).
    Reject,
    /// Keep it pending and retry when capacity frees (Kubernetes' Pending pods).
    Wait,
}

#[derive(Clone, Debug, PartialEq)]
pub struct VmSpec {
    pub vcpus: u32,
    pub memory: u64,
    /// CPU reservation: what admission counts.
    pub reserve_cpu: Sampled<CpuAmount>,
    pub reserve_memory: Sampled<u64>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct PodSpec {
    pub request_cpu: Sampled<CpuAmount>,
    pub request_memory: Sampled<u64>,
    pub limit_cpu: Option<Sampled<CpuAmount>>,
    pub limit_memory: Option<Sampled<u64>>,
    /// Indexes into `Scenario::images`.
    pub image: Sampled<usize>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum WorkloadKind {
    Vm(VmSpec),
    Pod(PodSpec),
}

#[derive(Clone, Debug)]
pub struct WorkloadSpec {
    pub name: String,
    /// Index into `Scenario::clusters`.
    pub cluster: usize,
    pub kind: WorkloadKind,
    pub arrival: Arrival,
    pub lifetime: Lifetime,
    /// CPU demand as a fraction of the instance's CPU size (VM: vCPUs; pod: limit, else
    /// request), over time.
    pub demand: DemandModel,
    /// Memory demand as a fraction of the instance's memory size (VM: configured memory;
    /// pod: its request), over time.
    pub memory_demand: DemandModel,
    /// How often a time-varying demand (CPU or memory) is re-evaluated.
    pub demand_every: SimDuration,
    pub on_no_fit: OnNoFit,
    /// Bytes a running VM dirties per second (what each pre-copy round re-sends).
    pub dirty_rate: f64,
    pub rules: Rules,
    /// Index into `Scenario::namespaces` (supervisor clusters).
    pub namespace: Option<usize>,
    /// What creates the instances: arrivals, or a Kubernetes controller.
    pub controller: Controller,
    /// A persistent volume per pod.
    pub volume: Option<VolumeSpec>,
    /// Time from placement to Running for a VM (clone and boot); 0: at once.
    pub vm_start: SimDuration,
    /// Kubernetes scheduling constraints of the pods (supervisor clusters).
    pub scheduling: super::kube::PodScheduling,
    /// For a trace-driven VM group: each instance's size and lifetime.
    pub trace: Option<std::sync::Arc<TraceInstances>>,
}

/// What creates a group's instances.
#[derive(Clone, Debug, PartialEq)]
pub enum Controller {
    /// The arrival process (vm-group, pod-group).
    Arrivals,
    /// A Deployment: created at its arrival time, keeps `replicas` pods.
    Deployment(DeploymentSpec),
    /// A Job: runs pods until `completions` succeed, `parallelism` at a time.
    Job { completions: u32, parallelism: u32 },
    /// Node VMs of a guest (Tanzu Kubernetes) cluster, all created at its arrival.
    GuestCluster {
        /// The guest cluster's name (its two node groups share it).
        guest: String,
        control_plane: bool,
        nodes: u32,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub struct DeploymentSpec {
    pub replicas: u32,
    /// `(at, replicas)`, sorted by time.
    pub scale: Vec<(SimDuration, u32)>,
    pub rollout: Option<RolloutSpec>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct RolloutSpec {
    pub at: SimDuration,
    /// The new revision's image (index into `Scenario::images`), if it changes.
    pub image: Option<usize>,
    /// Kubernetes' `maxSurge` and `maxUnavailable`, as resolved counts of pods.
    pub max_surge: u32,
    pub max_unavailable: u32,
}

#[derive(Clone, Debug, PartialEq)]
pub struct VolumeSpec {
    pub size: u64,
    /// The storage class = storage policy.
    pub policy: String,
}

/// VM-VM rule of a group.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VmRule {
    /// Anti-affinity: no two VMs of the group on one host.
    Separate,
    /// Affinity: all VMs of the group on one host.
    Together,
}

/// How a VM-host rule binds the group's VMs to its hosts (vSphere's "Must run on hosts
/// in group", "Should run on…", "Must not run on…", "Should not run on…").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HostRuleKind {
    Must,
    Should,
    MustNot,
    ShouldNot,
}

impl HostRuleKind {
    /// Required (never broken) rather than preferential.
    pub fn required(self) -> bool {
        matches!(self, HostRuleKind::Must | HostRuleKind::MustNot)
    }
}

/// A VM-host rule: indexes (within the group's cluster) of the rule's hosts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostRule {
    pub hosts: Vec<usize>,
    pub kind: HostRuleKind,
}

/// DRS rules of a workload group's VMs.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Rules {
    pub vms: Option<VmRule>,
    /// VM-host rules; all hold together.
    pub hosts: Vec<HostRule>,
}

/// Which hosts of a cluster the VM-host rules allow, per host index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostMasks {
    /// Allowed by the required rules (`must`, `must_not`): never broken.
    pub required: Vec<bool>,
    /// Allowed by every rule, the preferential ones too; within `required`.
    pub preferred: Vec<bool>,
    /// There is a preferential rule (so `preferred` may be dropped when nothing fits).
    pub has_preferential: bool,
}

impl Rules {
    /// The masks of the VM-host rules over a cluster of `hosts` hosts; `None` without
    /// VM-host rules.
    pub fn host_masks(&self, hosts: usize) -> Option<HostMasks> {
        if self.hosts.is_empty() {
            return None;
        }
        let mut required = vec![true; hosts];
        let mut preferred = vec![true; hosts];
        for rule in &self.hosts {
            let mut listed = vec![false; hosts];
            rule.hosts.iter().for_each(|&h| listed[h] = true);
            let positive = matches!(rule.kind, HostRuleKind::Must | HostRuleKind::Should);
            let mask = if rule.kind.required() {
                &mut required
            } else {
                &mut preferred
            };
            for (m, l) in mask.iter_mut().zip(&listed) {
                *m &= *l == positive;
            }
        }
        for (p, r) in preferred.iter_mut().zip(&required) {
            *p &= *r;
        }
        Some(HostMasks {
            required,
            preferred,
            has_preferential: self.hosts.iter().any(|r| !r.kind.required()),
        })
    }
}

impl WorkloadSpec {
    pub fn is_pod(&self) -> bool {
        matches!(self.kind, WorkloadKind::Pod(_))
    }
}

/// The default output folder.
impl Scenario {
    /// The scenario's name as one safe path component, for `results/<name>/`: `/` and
    /// `\` become `_`, and a name that is only dots gets a leading `_`, so no name can
    /// reach outside `results/` or nest folders. Names of letters, digits, `-` and `_`
    /// are kept as they are.
    pub fn folder_name(&self) -> String {
        let s: String = self
            .name
            .chars()
            .map(|c| if c == '/' || c == '\\' { '_' } else { c })
            .collect();
        if s.chars().all(|c| c == '.') {
            format!("_{s}")
        } else {
            s
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_power_table_interpolates_between_steps() {
        let mut t = [0.0; 11];
        for (i, w) in t.iter_mut().enumerate() {
            *w = 100.0 + 10.0 * i as f64;
        }
        let p = PowerModel::Table(t);
        assert_eq!(p.watts(0.0), 100.0);
        assert!((p.watts(0.25) - 125.0).abs() < 1e-9);
        assert_eq!(p.watts(1.0), 200.0);
        assert_eq!(p.watts(2.0), 200.0);
    }

    #[test]
    fn diurnal_demand_peaks_at_its_hour_and_bottoms_half_a_period_later() {
        let d = DemandModel::Diurnal {
            min: 0.2,
            max: 0.8,
            peak_at_s: 14.0 * 3600.0,
            period_s: 86_400.0,
        };
        assert!((d.fraction(14.0 * 3600.0, 0.0) - 0.8).abs() < 1e-12);
        assert!((d.fraction(2.0 * 3600.0, 0.0) - 0.2).abs() < 1e-12);
        assert!((d.fraction(8.0 * 3600.0, 0.0) - 0.5).abs() < 1e-12);
        assert!(
            (d.fraction(38.0 * 3600.0, 0.0) - 0.8).abs() < 1e-12,
            "periodic"
        );
    }

    #[test]
    fn bursts_are_on_for_their_share_of_the_cycle() {
        let b = DemandModel::Bursts {
            base: 0.1,
            peak: 0.9,
            on_s: 60.0,
            off_s: 240.0,
        };
        let on = (0..3000)
            .filter(|i| b.fraction(*i as f64, 0.0) == 0.9)
            .count();
        assert_eq!(on, 600, "60 s on in every 300 s");
        assert_eq!(b.fraction(0.0, 0.0), 0.9);
        assert_eq!(
            b.fraction(0.0, 0.5),
            0.1,
            "a phase of half a cycle starts off"
        );
    }

    #[test]
    fn a_random_walk_stays_in_bounds() {
        let w = DemandModel::RandomWalk {
            start: 0.5,
            step: 0.3,
            min: 0.1,
            max: 0.7,
        };
        let mut rng = crate::engine::StreamFactory::new(1, 0).stream("walk");
        let mut x = w.initial_state(0, &mut rng);
        for _ in 0..10_000 {
            x = w.step(x, &mut rng);
            assert!((0.1..=0.7).contains(&w.fraction(0.0, x)));
        }
    }

    #[test]
    fn a_trace_is_followed_per_instance_and_repeats() {
        let t = DemandTrace::repeating(vec![vec![0.1, 0.2, 0.3], vec![0.9, 0.8, 0.7]], 60.0);
        let d = DemandModel::Trace(std::sync::Arc::new(t));
        let mut rng = crate::engine::StreamFactory::new(1, 0).stream("t");
        let (a, b, c) = (
            d.initial_state(0, &mut rng),
            d.initial_state(1, &mut rng),
            d.initial_state(2, &mut rng),
        );
        assert_eq!(
            (a, b, c),
            (0.0, 1.0, 0.0),
            "instance k takes column k mod 2"
        );
        assert_eq!(d.fraction(0.0, a) as f32, 0.1);
        assert_eq!(d.fraction(119.0, a) as f32, 0.2);
        assert_eq!(d.fraction(150.0, b) as f32, 0.7);
        assert_eq!(d.fraction(180.0, a) as f32, 0.1, "repeats after three rows");
    }

    #[test]
    fn linear_power() {
        let p = PowerModel::Linear {
            idle_w: 100.0,
            max_w: 300.0,
        };
        assert_eq!(p.watts(0.5), 200.0);
    }
}
