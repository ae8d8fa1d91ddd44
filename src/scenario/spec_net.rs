//! The validated network part of a scenario: topology, NSX edges and load balancers,
//! segments, Services with their clients, and the fault windows that serve them.

use crate::engine::SimDuration;
use crate::policy::lb::{Algorithm, MonitorParams};
use crate::scenario::spec::Lifetime;

/// The datacenter network. Always present: a scenario without a `network` section gets
/// no topology (network latency zero, links unmodelled), one edge node and one load
/// balancer of size SMALL on it.
#[derive(Clone, Debug, PartialEq)]
pub struct NetworkSpec {
    pub topology: Option<TopologySpec>,
    pub edges: Vec<EdgeSpec>,
    pub load_balancers: Vec<LbSpec>,
    pub segments: Vec<SegmentSpec>,
    /// The edge that runs the tier-1 gateway (cross-segment traffic).
    pub gateway: usize,
    /// Where image pulls come from, when the topology should carry them.
    pub image_source: Option<NodeRef>,
}

/// A node of the topology, by kind and index: hosts over the whole scenario, switches in
/// `TopologySpec::switches`, edges in `NetworkSpec::edges`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum NodeRef {
    Host(usize),
    Switch(usize),
    Edge(usize),
}

/// An explicit topology (a generated leaf-spine is expanded into one by validation).
#[derive(Clone, Debug, PartialEq)]
pub struct TopologySpec {
    pub switches: Vec<String>,
    pub links: Vec<LinkSpec>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct LinkSpec {
    pub a: NodeRef,
    pub b: NodeRef,
    /// Bytes per second in each direction.
    pub bytes_per_s: f64,
    pub latency: SimDuration,
}

/// An NSX edge node: where centralised services (the load balancers, the tier-1
/// gateway's service router) run.
#[derive(Clone, Debug, PartialEq)]
pub struct EdgeSpec {
    pub name: String,
    /// Forwarding capacity, bytes per second, shared by everything that crosses it.
    pub bytes_per_s: f64,
}

/// The NSX load balancer's size (NCP's `SMALL`, `MEDIUM`, `LARGE`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LbSize {
    Small,
    Medium,
    Large,
}

impl LbSize {
    pub const NAMES: [&'static str; 3] = ["SMALL", "MEDIUM", "LARGE"];

    pub fn name(self) -> &'static str {
        Self::NAMES[self as usize]
    }

    /// Virtual servers a load balancer of this size hosts: 20, 100, 1000 (vSphere
    /// Automation API, `NamespaceManagement.Networks.Edges.LoadBalancerSize`).
    pub fn max_virtual_servers(self) -> usize {
        [20, 100, 1000][self as usize]
    }

    /// Load-balancer processes of this size: 1, 3, 6 (Broadcom KB 316296, "Load
    /// Balancer Performance: Key Considerations").
    pub fn processes(self) -> u32 {
        [1, 3, 6][self as usize]
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct LbSpec {
    pub name: String,
    pub edge: usize,
    pub size: LbSize,
    /// New connections per second it accepts.
    pub cps: f64,
}

/// A network segment (a namespace's virtual switch); its pods are the pod groups listed.
#[derive(Clone, Debug, PartialEq)]
pub struct SegmentSpec {
    pub name: String,
    /// Workload indexes (pod groups).
    pub groups: Vec<usize>,
}

/// Kubernetes Service type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServiceKind {
    /// In-cluster: balanced by the distributed load balancer on each client's host, or by
    /// a central load balancer when one is named.
    ClusterIp,
    /// A virtual server on an NSX load balancer on an edge node.
    LoadBalancer,
}

/// Where a Service's connections are balanced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Balancing {
    /// NSX's distributed load balancer, on the client's own host.
    Distributed,
    /// Load balancer `lb` (an index into `NetworkSpec::load_balancers`) on an edge node.
    Central(usize),
}

/// How an endpoint pod serves its queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Discipline {
    /// First come, first served by `workers` servers.
    Fifo,
    /// Processor sharing: all requests in service progress at `min(1, workers / n)`.
    ProcessorSharing,
}

#[derive(Clone, Debug, PartialEq)]
pub struct PoolSpec {
    pub algorithm: Algorithm,
    /// Member weight by host group (flattened over clusters, in order); 1 where not set.
    pub weights: Vec<u32>,
    pub slow_start: SimDuration,
    pub monitor: MonitorParams,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ServerSpec {
    /// Work per request, as time on a core of `reference_mhz` (a duration distribution of
    /// the same forms as lifetimes).
    pub service_time: Lifetime,
    pub workers: u32,
    pub discipline: Discipline,
    /// Requests that may wait beyond those in service; more are refused (queue full).
    pub queue_limit: u32,
    /// Clock at which `service_time` holds; a pod on a host with faster cores is faster in
    /// proportion.
    pub reference_mhz: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ClientSource {
    /// Outside the datacenter, entering at the load balancer's edge; `sources` distinct
    /// client addresses, each request from one drawn uniformly.
    External { sources: u32 },
    /// The Running pods of this pod group (a workload index); each request from one drawn
    /// uniformly, the pod's address its client address.
    Pods(usize),
}

#[derive(Clone, Debug, PartialEq)]
pub enum ClientLoad {
    /// Poisson arrivals at `rate_per_s`, times `diurnal`'s fraction when given.
    Open {
        rate_per_s: f64,
        diurnal: Option<crate::scenario::spec::DemandModel>,
    },
    /// `users` users, each sending a request, waiting for its answer, then thinking.
    Closed { users: u32, think: Lifetime },
}

#[derive(Clone, Debug, PartialEq)]
pub struct ClientSpec {
    pub source: ClientSource,
    pub load: ClientLoad,
    /// When the clients start sending.
    pub start: SimDuration,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ServiceSpec {
    pub name: String,
    pub kind: ServiceKind,
    pub port: u16,
    pub balancing: Balancing,
    /// Workload indexes (pod groups) whose Running pods are the endpoints.
    pub endpoints: Vec<usize>,
    pub pool: PoolSpec,
    pub server: ServerSpec,
    pub request_bytes: u64,
    pub response_bytes: u64,
    pub clients: Vec<ClientSpec>,
}

/// How a failed member behaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultMode {
    /// The process died: connections are refused at once, probes fail at once.
    Crash,
    /// The process hangs: nothing answers, so probes fail only after their timeout.
    Hang,
}

/// What a fault hits.
#[derive(Clone, Debug, PartialEq)]
pub enum FaultTarget {
    /// Pod number `index` of pod group `group` (its `<group>-<index>` name).
    Pod { group: usize, index: u32 },
}

/// A fault window: the target fails at `at` and is repaired `repair_after` later (never,
/// if `None`).
#[derive(Clone, Debug, PartialEq)]
pub struct FaultSpec {
    pub at: SimDuration,
    pub repair_after: Option<SimDuration>,
    pub target: FaultTarget,
    pub mode: FaultMode,
}
