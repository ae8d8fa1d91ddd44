//! Service traffic: clients send requests to Kubernetes Services; a load balancer (the
//! distributed one on the client's host, or a central one on an edge node) gives each to
//! an endpoint pod; the pod queues and serves it; the answer travels back.
//!
//! - **Endpoints** are the Running pods of the pod groups a Service names (selection is
//!   by pod-group name: pacsim has no labels yet). A pod that becomes Running joins the
//!   pool (up, in slow start); one that leaves is removed, and requests it held fail.
//! - **An endpoint pod is a queue** with `workers` servers: first come first served, or
//!   processor sharing (every request in service progresses at `min(1, workers / n)`,
//!   kept with a virtual clock so each arrival or departure costs O(log n)). A request's
//!   work is drawn from the Service's service-time distribution at `reference_clock` and
//!   divided by the pod's speed: its host's core clock over that reference.
//! - **Clients** are open-loop (Poisson arrivals, optionally scaled by a day curve by
//!   thinning) or closed-loop (users who send, wait for the answer, think, send again);
//!   they are outside (entering at the load balancer's edge) or the pods of a pod group
//!   (the request leaves from the pod's host).
//! - **The path** of a request: client host -> endpoint host directly (distributed load
//!   balancer, same segment); via the tier-1 gateway's edge (distributed, other segment);
//!   or via the load balancer's edge (central). Each edge crossed is a traversal of its
//!   shared queue (`nsx.rs`); each leg has its topology path's latency. The answer takes
//!   the reverse route. Each request is one connection (no keep-alive), which its
//!   balancer counts from the choice until the answer leaves the pod.
//!
//! The hot path allocates nothing per request: requests live in a slab of fixed-size
//! records with a free list; queues are ring buffers and heaps of slab indexes that keep
//! their capacity; paths are looked up in the topology's cache. An event costs O(1)
//! apart from the load balancer's O(log n) and a processor-sharing heap's O(log n).

use super::event::Event;
use super::ids::{GroupId, HostId};
use super::instance::{Instance, InstanceId};
use super::nsx::{Answers, Pool};
use super::topology::{PathId, Topology};
use super::world::{Observer, World};
use crate::engine::{EventKey, Id, RngStream, SimDuration, SimTime, StreamFactory};
use crate::policy::lb::mix64;
use crate::scenario::{
    Balancing, ClientLoad, ClientSource, DemandModel, Discipline, FaultMode, FaultTarget, Lifetime,
    Scenario,
};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

/// "None" for the u32 indexes below.
pub const NONE: u32 = u32::MAX;

/// Why a request failed (or could not be sent).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestError {
    /// The pool had no member up.
    NoHealthyMember,
    /// The chosen pod's queue was full.
    QueueFull,
    /// The chosen pod had failed and its monitor had not noticed yet (or the pod failed
    /// while holding the request).
    MemberFailed,
    /// The pod left (evicted or ended) while the request was on its way or queued there.
    MemberRemoved,
    /// The load balancer's connections-per-second cap was reached.
    RateLimited,
    /// The topology has no path between the client and the pod.
    NoRoute,
    /// A client pod group had no Running pod to send from.
    NoSource,
}

impl RequestError {
    pub const ALL: [RequestError; 7] = [
        RequestError::NoHealthyMember,
        RequestError::QueueFull,
        RequestError::MemberFailed,
        RequestError::MemberRemoved,
        RequestError::RateLimited,
        RequestError::NoRoute,
        RequestError::NoSource,
    ];

    /// Its name in `summary.json` keys.
    pub fn key(self) -> &'static str {
        match self {
            RequestError::NoHealthyMember => "no_healthy_member",
            RequestError::QueueFull => "queue_full",
            RequestError::MemberFailed => "member_failed",
            RequestError::MemberRemoved => "member_removed",
            RequestError::RateLimited => "lb_rate_limited",
            RequestError::NoRoute => "no_route",
            RequestError::NoSource => "no_source",
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

/// A request that was answered, as observers see it.
#[derive(Clone, Copy, Debug)]
pub struct Completion {
    pub service: u32,
    pub endpoint: u32,
    /// The client address it came from (a source index or a pod's number).
    pub client: u32,
    /// From sending to the answer's arrival at the client.
    pub latency: SimDuration,
    /// The answer's trip back (part of `latency`).
    pub back: SimDuration,
    /// Topology paths the request took (up to two legs) and the answer took back, or
    /// `NONE`.
    pub paths: [PathId; 4],
    pub request_bytes: u64,
    pub response_bytes: u64,
}

/// Where a request is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    Free,
    /// On its way to the pod.
    Network,
    /// In the pod's queue.
    Waiting,
    /// Being served.
    InService,
}

#[derive(Clone, Copy, Debug)]
struct Req {
    sent: SimTime,
    gen: u32,
    stage: Stage,
    service: u32,
    endpoint: u32,
    ep_gen: u32,
    balancer: u32,
    member: u32,
    /// Client address number (for observers).
    client: u32,
    /// The closed-loop user waiting for it, or NONE.
    sender: u32,
    /// Topology nodes of the client and of the edge it crosses (or NONE).
    src: u32,
    via: u32,
    fwd: [PathId; 2],
}

/// An endpoint pod: one pool member of one Service, and its queue.
#[derive(Clone, Debug)]
pub struct Endpoint {
    pub live: bool,
    pub gen: u32,
    pub service: u32,
    pub member: u32,
    pub pod: InstanceId,
    pub group: GroupId,
    /// The pod's number in its group (`<group>-<index>`).
    pub index: u32,
    pub host: HostId,
    node: u32,
    segment: u16,
    /// Real time per unit of work: the reference clock over the host's core clock.
    slowness: f64,
    /// Answers requests (false while a fault holds it).
    pub alive: bool,
    busy: u32,
    waiting: VecDeque<u32>,
    /// Processor sharing: (finish tag in virtual ns, request), smallest first.
    jobs: BinaryHeap<Reverse<(u64, u32)>>,
    vtime: f64,
    vlast: SimTime,
    next: Option<EventKey>,
}

/// Where a request comes from: a topology node (NONE: none), the client's host (NONE
/// for outside), its address hash and number, and its segment.
#[derive(Clone, Copy, Debug)]
struct Origin {
    node: u32,
    host: HostId,
    key: u64,
    number: u32,
    segment: u16,
}

/// A client's address source: a Running pod of the client group.
#[derive(Clone, Copy, Debug)]
struct Source {
    pod: InstanceId,
    host: HostId,
    node: u32,
    key: u64,
    number: u32,
    segment: u16,
}

struct Client {
    service: u32,
    /// External clients: how many addresses (0 for pod clients).
    external: u32,
    pods: Vec<Source>,
    salt: u64,
    /// Open loop: rate and optional day curve; closed loop: think time.
    rate_per_s: f64,
    diurnal: Option<DemandModel>,
    think: Option<Lifetime>,
    /// Inter-arrival and think times.
    times: RngStream,
    /// Sources and thinning.
    picks: RngStream,
}

/// A Service at run time.
pub struct Service {
    pub name: String,
    pub pool: u32,
    /// Load balancer index when balanced centrally.
    pub central: Option<u32>,
    /// Edge of the central load balancer (NONE for distributed).
    edge: u32,
    /// Endpoint of each pool member slot.
    member_endpoint: Vec<u32>,
    /// Distributed load balancer instance (pool balancer) by client host.
    dlb: Vec<u32>,
    service_time: Lifetime,
    times: RngStream,
    workers: u32,
    sharing: bool,
    queue_limit: u32,
    reference_mhz: f64,
    pub request_bytes: u64,
    pub response_bytes: u64,
    weights: Vec<u32>,
}

/// The traffic part of the world.
#[derive(Default)]
pub struct Traffic {
    pub services: Vec<Service>,
    pub endpoints: Vec<Endpoint>,
    free_endpoints: Vec<u32>,
    clients: Vec<Client>,
    /// Each sender is a client (open loop) or one user of a client (closed loop).
    senders: Vec<u32>,
    requests: Vec<Req>,
    free_requests: Vec<u32>,
    /// By workload group: the Services whose endpoints its pods are.
    services_of_group: Vec<Vec<u32>>,
    /// By workload group: the clients that send from its pods.
    clients_of_group: Vec<Vec<u32>>,
    /// By workload group: its segment (0: the default segment).
    segment_of_group: Vec<u16>,
    /// By host: its host group, flattened over clusters.
    host_group: Vec<u32>,
    faults: Vec<crate::scenario::FaultSpec>,
    /// Requests in the slab (high-water mark).
    pub peak_requests: usize,
}

impl Traffic {
    pub fn is_empty(&self) -> bool {
        self.services.is_empty()
    }

    /// Requests of Service `service` sent and not yet answered or failed.
    pub fn in_flight(&self, service: u32) -> u64 {
        self.requests
            .iter()
            .filter(|r| r.stage != Stage::Free && r.service == service)
            .count() as u64
    }

    pub fn faults_is_empty(&self) -> bool {
        self.faults.is_empty()
    }

    /// Fault `f` of the scenario.
    pub fn fault(&self, f: u32) -> &crate::scenario::FaultSpec {
        &self.faults[f as usize]
    }

    /// The Service whose pool is `pool`.
    pub fn service_of_pool(&self, pool: u32) -> Option<usize> {
        self.services.iter().position(|s| s.pool == pool)
    }

    /// The endpoint that is member `member` of Service `service`'s pool.
    pub fn member_endpoint(&self, service: usize, member: u32) -> Option<u32> {
        self.services[service]
            .member_endpoint
            .get(member as usize)
            .copied()
            .filter(|&e| e != NONE)
    }

    /// The `<group>-<index>` name of an endpoint's pod, given the group names.
    pub fn endpoint_name(&self, world: &World, ep: u32) -> String {
        let e = &self.endpoints[ep as usize];
        format!("{}-{}", world.groups[e.group].spec.name, e.index)
    }
}

/// A stable address for `name`'s `n`-th thing.
fn address(name: &str, n: u32) -> u64 {
    mix64(crate::engine::rng::fnv1a64(name.as_bytes()) ^ ((n as u64) << 1 | 1))
}

/// Builds the traffic model and NSX pools of `scenario` into `world` and schedules the
/// first client sends, health probes and faults.
pub fn install(world: &mut World, scenario: &Scenario, streams: &StreamFactory) {
    let groups = world.groups.len();
    let t = &mut world.traffic;
    t.services_of_group = vec![Vec::new(); groups];
    t.clients_of_group = vec![Vec::new(); groups];
    t.segment_of_group = vec![0; groups];
    // A pod group of a vSphere Namespace is on its namespace's segment (NCP gives each
    // namespace its own), unless `network.segments` names it.
    let named = scenario.network.segments.len();
    for (g, w) in scenario.workloads.iter().enumerate() {
        if let Some(ns) = w.namespace {
            t.segment_of_group[g] = (named + 1 + ns) as u16;
        }
    }
    for (si, seg) in scenario.network.segments.iter().enumerate() {
        for &g in &seg.groups {
            t.segment_of_group[g] = (si + 1) as u16;
        }
    }
    t.host_group = scenario
        .clusters
        .iter()
        .flat_map(|c| c.host_groups.iter())
        .enumerate()
        .flat_map(|(gi, g)| std::iter::repeat_n(gi as u32, g.count as usize))
        .collect();
    t.faults = scenario.faults.clone();
    let hosts = world.hosts.len();
    for (si, s) in scenario.services.iter().enumerate() {
        let pool = world.add_pool(
            SimTime::ZERO,
            Pool::new(
                s.name.clone(),
                s.pool.algorithm,
                s.pool.monitor,
                s.pool.slow_start,
            ),
        );
        let (central, edge) = match s.balancing {
            Balancing::Distributed => (None, NONE),
            Balancing::Central(lb) => (Some(lb as u32), world.nsx.lbs[lb].edge),
        };
        if central.is_some() {
            world.nsx.pools[pool as usize].add_balancer(SimTime::ZERO);
        }
        let t = &mut world.traffic;
        for &g in &s.endpoints {
            t.services_of_group[g].push(si as u32);
        }
        t.services.push(Service {
            name: s.name.clone(),
            pool,
            central,
            edge,
            member_endpoint: Vec::new(),
            dlb: if central.is_none() {
                vec![NONE; hosts]
            } else {
                Vec::new()
            },
            service_time: s.server.service_time.clone(),
            times: streams.stream(&format!("traffic/{}/service-time", s.name)),
            workers: s.server.workers,
            sharing: s.server.discipline == Discipline::ProcessorSharing,
            queue_limit: s.server.queue_limit,
            reference_mhz: s.server.reference_mhz,
            request_bytes: s.request_bytes,
            response_bytes: s.response_bytes,
            weights: s.pool.weights.clone(),
        });
        for (ci, c) in s.clients.iter().enumerate() {
            let name = format!("traffic/{}/client-{ci}", s.name);
            let (external, group) = match c.source {
                ClientSource::External { sources } => (sources, GroupId(NONE)),
                ClientSource::Pods(g) => (0, GroupId::from_index(g)),
            };
            let (rate_per_s, diurnal, think, users) = match &c.load {
                ClientLoad::Open {
                    rate_per_s,
                    diurnal,
                } => (*rate_per_s, diurnal.clone(), None, 0),
                ClientLoad::Closed { users, think } => (0.0, None, Some(think.clone()), *users),
            };
            let c_start = c.start;
            let client = Client {
                service: si as u32,
                external,
                pods: Vec::new(),
                salt: crate::engine::rng::fnv1a64(name.as_bytes()),
                rate_per_s,
                diurnal,
                think,
                times: streams.stream(&format!("{name}/times")),
                picks: streams.stream(&format!("{name}/picks")),
            };
            let cid = world.traffic.clients.len() as u32;
            if group.0 != NONE {
                world.traffic.clients_of_group[group.index()].push(cid);
            }
            world.traffic.clients.push(client);
            let first_sender = world.traffic.senders.len() as u32;
            let n = if users == 0 { 1 } else { users };
            for _ in 0..n {
                world.traffic.senders.push(cid);
            }
            for u in 0..n {
                let c = &mut world.traffic.clients[cid as usize];
                let first = match &c.think {
                    None => ns(c.times.exponential(1e9 / c.rate_per_s)),
                    // Users start after a think time each, not all at once.
                    Some(th) => ns(draw_ns(th, &mut c.times)),
                };
                let at = SimTime::ZERO + c_start + first;
                if at <= world.end {
                    world.queue.schedule_at(
                        at,
                        Event::ClientSend {
                            sender: first_sender + u,
                        },
                    );
                }
            }
        }
    }
    for (f, spec) in scenario.faults.iter().enumerate() {
        let at = SimTime::ZERO + spec.at;
        if at <= world.end {
            world
                .queue
                .schedule_at(at, Event::FaultStart { fault: f as u32 });
        }
        if let Some(r) = spec.repair_after {
            let end = at + r;
            if end <= world.end {
                world
                    .queue
                    .schedule_at(end, Event::FaultEnd { fault: f as u32 });
            }
        }
    }
}

/// A draw of a duration distribution in nanoseconds, unrounded (`Lifetime::draw`'s
/// forms; never `Forever`, which validation keeps out of service and think times).
#[inline]
fn draw_ns(d: &Lifetime, rng: &mut RngStream) -> f64 {
    match *d {
        Lifetime::Fixed(x) => x.0 as f64,
        Lifetime::Exponential { mean_s } => rng.exponential(mean_s) * 1e9,
        Lifetime::Lognormal { mu, sigma } => rng.lognormal(mu, sigma) * 1e9,
        Lifetime::Uniform { min_s, max_s } => (min_s + (max_s - min_s) * rng.uniform()) * 1e9,
        Lifetime::Forever => 0.0,
    }
}

/// Nanoseconds as a duration, rounded to the nearest (non-negative input).
#[inline]
fn ns(x: f64) -> SimDuration {
    SimDuration((x + 0.5) as u64)
}

/// Latency and path from node `a` to node `b` (nothing without a topology or a node).
#[inline]
fn leg(topo: &mut Option<Topology>, a: u32, b: u32) -> Result<(SimDuration, PathId), RequestError> {
    match topo {
        Some(t) if a != NONE && b != NONE => match t.path(a, b) {
            Some(p) => Ok((t.path_info(p).latency, p)),
            None => Err(RequestError::NoRoute),
        },
        _ => Ok((SimDuration::ZERO, NONE)),
    }
}

impl World {
    fn edge_node(&self, edge: u32) -> u32 {
        self.topology
            .as_ref()
            .and_then(|t| t.edge(edge))
            .unwrap_or(NONE)
    }

    /// Bytes from node `src` to node `dst` at `now`, crossing edge `via` (or not):
    /// when they arrive and the paths of the legs.
    #[inline]
    fn carry(
        &mut self,
        now: SimTime,
        src: u32,
        via: u32,
        dst: u32,
        bytes: u64,
    ) -> Result<(SimTime, [PathId; 2]), RequestError> {
        if via == NONE {
            let (lat, p) = leg(&mut self.topology, src, dst)?;
            return Ok((now + lat, [p, NONE]));
        }
        let en = self.edge_node(via);
        let (l1, p1) = leg(&mut self.topology, src, en)?;
        let (l2, p2) = leg(&mut self.topology, en, dst)?;
        let out = self.nsx.edges[via as usize].traverse(now + l1, bytes);
        Ok((out + l2, [p1, p2]))
    }

    /// Client -> Service: the next request of a sender.
    pub(super) fn on_client_send<O: Observer>(&mut self, now: SimTime, sender: u32, obs: &mut O) {
        let cid = self.traffic.senders[sender as usize];
        let end = self.end;
        let c = &mut self.traffic.clients[cid as usize];
        let service = c.service;
        let closed = c.think.is_some();
        if !closed {
            let gap = ns(c.times.exponential(1e9 / c.rate_per_s));
            let next = now + gap;
            if next <= end {
                self.queue.schedule_at(next, Event::ClientSend { sender });
            }
            if let Some(d) = &c.diurnal {
                // Thinning (Lewis & Shedler): keep an arrival of the peak-rate process with
                // probability rate(t) / peak rate.
                if c.picks.uniform() >= d.fraction(now.as_secs_f64(), 0.0) {
                    return;
                }
            }
        }
        let from = if c.external > 0 {
            let n = c.picks.below(c.external as u64) as u32;
            let key = mix64(c.salt ^ n as u64);
            let edge = self.traffic.services[service as usize].edge;
            Origin {
                node: self.edge_node(edge),
                host: HostId::NONE,
                key,
                number: n,
                segment: u16::MAX,
            }
        } else if c.pods.is_empty() {
            let user = if closed { sender } else { NONE };
            return self.refuse(now, service, user, RequestError::NoSource, obs);
        } else {
            let s = c.pods[c.picks.below(c.pods.len() as u64) as usize];
            Origin {
                node: s.node,
                host: s.host,
                key: s.key,
                number: s.number,
                segment: s.segment,
            }
        };
        let user = if closed { sender } else { NONE };
        self.send(now, service, user, from, obs);
    }

    /// A request of `service` leaves `from`; `user` is the closed-loop user waiting for it
    /// (or NONE).
    #[inline]
    fn send<O: Observer>(
        &mut self,
        now: SimTime,
        service: u32,
        user: u32,
        from: Origin,
        obs: &mut O,
    ) {
        let Origin {
            node: src,
            host,
            key,
            number,
            segment,
        } = from;
        let s = service as usize;
        let (balancer, central_edge) = match self.traffic.services[s].central {
            Some(lb) => {
                if !self.nsx.lbs[lb as usize].admit(now) {
                    return self.refuse(now, service, user, RequestError::RateLimited, obs);
                }
                (0, self.traffic.services[s].edge)
            }
            None => {
                let b = self.traffic.services[s].dlb[host.index()];
                let b = if b == NONE {
                    let pool = self.traffic.services[s].pool as usize;
                    let b = self.nsx.pools[pool].add_balancer(now);
                    self.traffic.services[s].dlb[host.index()] = b;
                    b
                } else {
                    b
                };
                (b, NONE)
            }
        };
        let pool = self.traffic.services[s].pool;
        let Some(member) = self.nsx.pools[pool as usize].pick(now, balancer, key) else {
            return self.refuse(now, service, user, RequestError::NoHealthyMember, obs);
        };
        let ep = self.traffic.services[s].member_endpoint[member as usize];
        let (dst, ep_gen, ep_segment) = {
            let e = &self.traffic.endpoints[ep as usize];
            (e.node, e.gen, e.segment)
        };
        let via = if central_edge != NONE {
            central_edge
        } else if segment != ep_segment {
            self.nsx.gateway
        } else {
            NONE
        };
        let bytes = self.traffic.services[s].request_bytes;
        let (arrive, fwd) = match self.carry(now, src, via, dst, bytes) {
            Ok(x) => x,
            Err(why) => {
                self.nsx.pools[pool as usize].close(balancer, member);
                return self.refuse(now, service, user, why, obs);
            }
        };
        let req = Req {
            sent: now,
            gen: 0,
            stage: Stage::Network,
            service,
            endpoint: ep,
            ep_gen,
            balancer,
            member,
            client: number,
            sender: user,
            src,
            via,
            fwd,
        };
        let (id, gen) = self.alloc_request(req);
        self.queue
            .schedule_at(arrive, Event::RequestArrive { req: id, gen });
        obs.request_sent(now, service);
    }

    fn alloc_request(&mut self, mut r: Req) -> (u32, u32) {
        let t = &mut self.traffic;
        let id = match t.free_requests.pop() {
            Some(i) => {
                r.gen = t.requests[i as usize].gen.wrapping_add(1);
                t.requests[i as usize] = r;
                i
            }
            None => {
                r.gen = 1;
                t.requests.push(r);
                t.peak_requests = t.requests.len();
                (t.requests.len() - 1) as u32
            }
        };
        (id, r.gen)
    }

    fn free_request(&mut self, id: u32) {
        let r = &mut self.traffic.requests[id as usize];
        r.stage = Stage::Free;
        r.gen = r.gen.wrapping_add(1);
        self.traffic.free_requests.push(id);
    }

    /// A request that never reached a pod: counted, and a closed-loop user thinks again.
    fn refuse<O: Observer>(
        &mut self,
        now: SimTime,
        service: u32,
        user: u32,
        why: RequestError,
        obs: &mut O,
    ) {
        obs.request_failed(now, service, why, false);
        self.user_next(now, user);
    }

    /// Closed-loop user `user` (NONE: none) got an answer or an error at `at`: it sends
    /// again after thinking.
    #[inline]
    fn user_next(&mut self, at: SimTime, user: u32) {
        if user == NONE {
            return;
        }
        let cid = self.traffic.senders[user as usize];
        let c = &mut self.traffic.clients[cid as usize];
        let think = c
            .think
            .as_ref()
            .map_or(SimDuration::ZERO, |t| ns(draw_ns(t, &mut c.times)));
        let next = at + think;
        if next <= self.end {
            self.queue
                .schedule_at(next, Event::ClientSend { sender: user });
        }
    }

    /// A request that reached (or was held by) a pod fails: its connection closes.
    fn fail<O: Observer>(&mut self, now: SimTime, id: u32, why: RequestError, obs: &mut O) {
        let r = self.traffic.requests[id as usize];
        let e = &self.traffic.endpoints[r.endpoint as usize];
        if e.live && e.gen == r.ep_gen {
            let pool = self.traffic.services[r.service as usize].pool as usize;
            self.nsx.pools[pool].close(r.balancer, r.member);
        }
        self.free_request(id);
        obs.request_failed(now, r.service, why, true);
        self.user_next(now, r.sender);
    }

    /// Work of one request at endpoint `ep`, as time at the pod's speed (drawn in
    /// nanoseconds and rounded once, after scaling).
    #[inline]
    fn draw_service(&mut self, ep: u32) -> SimDuration {
        let e = &self.traffic.endpoints[ep as usize];
        let slowness = e.slowness;
        let s = &mut self.traffic.services[e.service as usize];
        let work_ns = draw_ns(&s.service_time, &mut s.times);
        SimDuration((work_ns * slowness + 0.5) as u64)
    }

    /// Network -> pod: a request arrives.
    pub(super) fn on_request_arrive<O: Observer>(
        &mut self,
        now: SimTime,
        id: u32,
        gen: u32,
        obs: &mut O,
    ) {
        let r = self.traffic.requests[id as usize];
        if r.gen != gen {
            return;
        }
        let ep = r.endpoint;
        let (live, alive, sharing, workers, limit) = {
            let e = &self.traffic.endpoints[ep as usize];
            let s = &self.traffic.services[r.service as usize];
            (
                e.live && e.gen == r.ep_gen,
                e.alive,
                s.sharing,
                s.workers,
                s.queue_limit,
            )
        };
        if !live {
            return self.fail(now, id, RequestError::MemberRemoved, obs);
        }
        if !alive {
            return self.fail(now, id, RequestError::MemberFailed, obs);
        }
        if sharing {
            let e = &self.traffic.endpoints[ep as usize];
            if e.jobs.len() as u32 >= workers + limit {
                return self.fail(now, id, RequestError::QueueFull, obs);
            }
            let work = self.draw_service(ep);
            self.ps_advance(now, ep, workers);
            let e = &mut self.traffic.endpoints[ep as usize];
            let tag = e.vtime + work.0 as f64;
            e.jobs.push(Reverse((tag.to_bits(), id)));
            self.traffic.requests[id as usize].stage = Stage::InService;
            self.ps_schedule(now, ep, workers);
            return;
        }
        let e = &self.traffic.endpoints[ep as usize];
        if e.busy < workers {
            self.start_service(now, id, ep);
        } else if (e.waiting.len() as u32) < limit {
            self.traffic.endpoints[ep as usize].waiting.push_back(id);
            self.traffic.requests[id as usize].stage = Stage::Waiting;
        } else {
            self.fail(now, id, RequestError::QueueFull, obs);
        }
    }

    fn start_service(&mut self, now: SimTime, id: u32, ep: u32) {
        let d = self.draw_service(ep);
        self.traffic.endpoints[ep as usize].busy += 1;
        let r = &mut self.traffic.requests[id as usize];
        r.stage = Stage::InService;
        let gen = r.gen;
        self.queue
            .schedule_at(now + d, Event::RequestDone { req: id, gen });
    }

    /// Pod (FIFO) -> client: a request's service is done.
    pub(super) fn on_request_done<O: Observer>(
        &mut self,
        now: SimTime,
        id: u32,
        gen: u32,
        obs: &mut O,
    ) {
        if self.traffic.requests[id as usize].gen != gen {
            return; // failed while in service
        }
        let ep = self.traffic.requests[id as usize].endpoint;
        self.answer(now, id, obs);
        let e = &mut self.traffic.endpoints[ep as usize];
        e.busy -= 1;
        if let Some(next) = e.waiting.pop_front() {
            self.start_service(now, next, ep);
        }
    }

    /// The pod answers request `id`: the answer travels back, the connection closes.
    #[inline]
    fn answer<O: Observer>(&mut self, now: SimTime, id: u32, obs: &mut O) {
        let r = self.traffic.requests[id as usize];
        let (node, service) = {
            let e = &self.traffic.endpoints[r.endpoint as usize];
            (e.node, r.service as usize)
        };
        let pool = self.traffic.services[service].pool as usize;
        self.nsx.pools[pool].close(r.balancer, r.member);
        let bytes = self.traffic.services[service].response_bytes;
        let (back_at, back) = self
            .carry(now, node, r.via, r.src, bytes)
            .unwrap_or((now, [NONE; 2]));
        let done = Completion {
            service: r.service,
            endpoint: r.endpoint,
            client: r.client,
            latency: back_at - r.sent,
            back: back_at - now,
            paths: [r.fwd[0], r.fwd[1], back[0], back[1]],
            request_bytes: self.traffic.services[service].request_bytes,
            response_bytes: bytes,
        };
        self.free_request(id);
        obs.request_done(now, &done);
        self.user_next(back_at, r.sender);
    }

    /// Processor sharing: moves endpoint `ep`'s virtual clock to `now`.
    #[inline]
    fn ps_advance(&mut self, now: SimTime, ep: u32, workers: u32) {
        let e = &mut self.traffic.endpoints[ep as usize];
        let n = e.jobs.len() as f64;
        if n == 0.0 {
            e.vtime = 0.0; // empty: restart the clock, keeping it small and exact
        } else {
            let rate = (workers as f64 / n).min(1.0);
            e.vtime += now.since(e.vlast).0 as f64 * rate;
        }
        e.vlast = now;
    }

    /// Processor sharing: (re)schedules endpoint `ep`'s next completion.
    #[inline]
    fn ps_schedule(&mut self, now: SimTime, ep: u32, workers: u32) {
        let e = &mut self.traffic.endpoints[ep as usize];
        if let Some(k) = e.next.take() {
            self.queue.cancel(k);
        }
        if let Some(Reverse((tag, _))) = e.jobs.peek() {
            let rate = (workers as f64 / e.jobs.len() as f64).min(1.0);
            let left = (f64::from_bits(*tag) - e.vtime).max(0.0);
            let at = now + SimDuration((left / rate).ceil() as u64);
            e.next = Some(
                self.queue
                    .schedule_at(at, Event::EndpointNext { endpoint: ep }),
            );
        }
    }

    /// Pod (processor sharing) -> client: the request that finishes first is done (and
    /// any that finish at the same instant).
    pub(super) fn on_endpoint_next<O: Observer>(&mut self, now: SimTime, ep: u32, obs: &mut O) {
        let workers = {
            let e = &mut self.traffic.endpoints[ep as usize];
            e.next = None;
            self.traffic.services[e.service as usize].workers
        };
        self.ps_advance(now, ep, workers);
        loop {
            let e = &mut self.traffic.endpoints[ep as usize];
            match e.jobs.peek() {
                Some(Reverse((tag, id))) if f64::from_bits(*tag) <= e.vtime + 1e-3 => {
                    let id = *id;
                    e.jobs.pop();
                    self.answer(now, id, obs);
                }
                _ => break,
            }
        }
        self.ps_schedule(now, ep, workers);
    }

    /// A pod became Running: it joins the pools of the Services that select its group and
    /// the sources of clients that send from it.
    pub(super) fn traffic_pod_running<O: Observer>(
        &mut self,
        now: SimTime,
        pod: InstanceId,
        obs: &mut O,
    ) {
        let Some(inst) = self.instances.get(pod) else {
            return;
        };
        let (group, host, index) = (inst.group, inst.host, inst.index);
        if self.traffic.services.is_empty() {
            return;
        }
        let node = self.topology.as_ref().map_or(NONE, |t| t.host(host));
        let segment = self.traffic.segment_of_group[group.index()];
        let name = &self.groups[group].spec.name;
        let key = address(name, index);
        for ci in self.traffic.clients_of_group[group.index()].clone() {
            self.traffic.clients[ci as usize].pods.push(Source {
                pod,
                host,
                node,
                key,
                number: index,
                segment,
            });
        }
        let core_mhz = self.hosts[host].view.core_mhz as f64;
        let host_group = self.traffic.host_group[host.index()] as usize;
        for si in self.traffic.services_of_group[group.index()].clone() {
            let s = &self.traffic.services[si as usize];
            let (pool, weight, slowness) = (
                s.pool as usize,
                s.weights.get(host_group).copied().unwrap_or(1),
                s.reference_mhz / core_mhz,
            );
            let member = self.nsx.pools[pool].add_member(now, weight, key);
            let e = Endpoint {
                live: true,
                gen: 0,
                service: si,
                member,
                pod,
                group,
                index,
                host,
                node,
                segment,
                slowness,
                alive: true,
                busy: 0,
                waiting: VecDeque::new(),
                jobs: BinaryHeap::new(),
                vtime: 0.0,
                vlast: now,
                next: None,
            };
            let t = &mut self.traffic;
            let ep = match t.free_endpoints.pop() {
                Some(i) => {
                    let gen = t.endpoints[i as usize].gen.wrapping_add(1);
                    t.endpoints[i as usize] = Endpoint { gen, ..e };
                    i
                }
                None => {
                    t.endpoints.push(e);
                    (t.endpoints.len() - 1) as u32
                }
            };
            let me = &mut t.services[si as usize].member_endpoint;
            if me.len() <= member as usize {
                me.resize(member as usize + 1, NONE);
            }
            me[member as usize] = ep;
            obs.endpoint_changed(now, self, ep, true);
        }
    }

    /// A pod left: its endpoints leave their pools (requests they held fail) and it stops
    /// being a client source.
    pub(super) fn traffic_pod_gone<O: Observer>(
        &mut self,
        now: SimTime,
        pod: InstanceId,
        inst: &Instance,
        obs: &mut O,
    ) {
        if self.traffic.services.is_empty() {
            return;
        }
        let g = inst.group.index();
        for ci in self.traffic.clients_of_group[g].clone() {
            let pods = &mut self.traffic.clients[ci as usize].pods;
            if let Some(i) = pods.iter().position(|s| s.pod == pod) {
                pods.remove(i);
            }
        }
        for si in self.traffic.services_of_group[g].clone() {
            let Some(ep) = self
                .traffic
                .endpoints
                .iter()
                .position(|e| e.live && e.pod == pod && e.service == si)
            else {
                continue; // it never became Running
            };
            let ep = ep as u32;
            self.drop_held(now, ep, RequestError::MemberRemoved, obs);
            let (member, pool) = {
                let e = &mut self.traffic.endpoints[ep as usize];
                e.live = false;
                (e.member, self.traffic.services[si as usize].pool)
            };
            self.nsx.pools[pool as usize].remove_member(now, member);
            self.traffic.services[si as usize].member_endpoint[member as usize] = NONE;
            self.traffic.free_endpoints.push(ep);
            obs.endpoint_changed(now, self, ep, false);
        }
    }

    /// Fails every request queued at or being served by endpoint `ep`.
    fn drop_held<O: Observer>(&mut self, now: SimTime, ep: u32, why: RequestError, obs: &mut O) {
        let held: Vec<u32> = (0..self.traffic.requests.len() as u32)
            .filter(|&i| {
                let r = &self.traffic.requests[i as usize];
                r.endpoint == ep && matches!(r.stage, Stage::Waiting | Stage::InService)
            })
            .collect();
        {
            let e = &mut self.traffic.endpoints[ep as usize];
            e.waiting.clear();
            e.jobs.clear();
            e.busy = 0;
            e.vtime = 0.0;
            e.vlast = now;
            if let Some(k) = e.next.take() {
                self.queue.cancel(k);
            }
        }
        for id in held {
            self.fail(now, id, why, obs);
        }
    }

    /// Scenario -> pod: fault `fault` starts (`start`) or is repaired.
    pub(super) fn on_fault<O: Observer>(
        &mut self,
        now: SimTime,
        fault: u32,
        start: bool,
        obs: &mut O,
    ) {
        let spec = self.traffic.faults[fault as usize].clone();
        let FaultTarget::Pod { group, index } = spec.target;
        let hit: Vec<u32> = (0..self.traffic.endpoints.len() as u32)
            .filter(|&i| {
                let e = &self.traffic.endpoints[i as usize];
                e.live && e.group.index() == group && e.index == index
            })
            .collect();
        for &ep in &hit {
            let (si, member) = {
                let e = &mut self.traffic.endpoints[ep as usize];
                e.alive = !start;
                (e.service, e.member)
            };
            let pool = self.traffic.services[si as usize].pool as usize;
            let answers = match (start, spec.mode) {
                (false, _) => Answers::Yes,
                (true, FaultMode::Crash) => Answers::Refuses,
                (true, FaultMode::Hang) => Answers::Silent,
            };
            self.nsx.pools[pool].set_answers(member, answers);
            if start {
                self.drop_held(now, ep, RequestError::MemberFailed, obs);
            }
        }
        obs.fault(now, self, fault, start, hit.len() as u32);
    }
}
