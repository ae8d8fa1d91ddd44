//! The supervisor cluster's control plane: enabling Workload Management, the
//! Kubernetes API path, and kube-scheduler with its DRS extension.
//!
//! **Enablement.** At the start the Workload Platform Service installs a Spherelet on
//! every host (`spherelet_install` each, in parallel) and deploys three control-plane VMs
//! (API server, etcd and scheduler each) kept on distinct hosts by anti-affinity and
//! placed by DRS like any VM; they boot in `control_plane_deploy`. The cluster is enabled
//! — accepts Kubernetes objects — once every Spherelet is installed and the three VMs
//! are up; what users submit before is held and submitted then.
//!
//! **API path.** A user's request goes through the Token Exchange Service (SAML to JWT,
//! `tes_latency`), then the control plane's NSX L4 load balancer (a pool of the three API
//! servers, `ROUND_ROBIN` — NSX's default — with NSX's default active monitor;
//! `model/nsx.rs`) sends it to one of them; a connection is open while its request is in
//! the server. Controllers, the scheduler and Spherelets are inside the cluster and skip
//! the token exchange. Each API server works on `api_inflight` requests at once, each
//! taking `api_service_time`; the rest queue in FIFO order, so a burst of requests waits.
//!
//! **Scheduling.** Created pods enter the scheduling queue; kube-scheduler takes them one
//! at a time, `scheduling` each (its filtering and the scheduler extension's call to
//! DRS). The host is the cluster placement policy's choice (DRS's) among the hosts that
//! pass Kubernetes' filters. A pod no host can take stays Pending and is retried when
//! capacity frees (`pending.rs`); one that fits is bound through the API.

use super::event::Event;
use super::ids::{ClusterId, GroupId, HostId};
use super::instance::InstanceId;
use super::nsx::Pool;
use super::world::{Observer, World};
use crate::engine::{Id, SimDuration, SimTime};
use crate::policy::lb::{Algorithm, MonitorParams};
use crate::scenario::SupervisorSpec;
use std::collections::VecDeque;

/// What a request to the Kubernetes API asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ApiCall {
    /// Create one pod of `group` (a bare pod, or a controller's, from `revision`).
    CreatePod { group: GroupId, revision: u8 },
    /// Create a deployment or job object (its controller then creates the pods).
    CreateObject { group: GroupId },
    /// Bind a scheduled pod to its host.
    Bind { pod: InstanceId },
    /// Report a pod Running (the Spherelet's status update).
    Status { pod: InstanceId },
    /// Renew a node's Lease (the Spherelet's heartbeat).
    Lease { host: HostId },
}

#[derive(Clone, Copy, Debug)]
struct ApiRequest {
    call: ApiCall,
    submitted: SimTime,
}

/// One kube-apiserver: requests in service and waiting.
#[derive(Clone, Debug, Default)]
struct ApiServer {
    busy: u32,
    queue: VecDeque<u32>,
}

/// The three API servers behind the control plane's load balancer.
#[derive(Clone, Debug)]
pub struct Api {
    servers: Vec<ApiServer>,
    /// The NSX pool of the three servers (its member `i` is server `i`), once enabled.
    pub pool: Option<u32>,
    requests: Vec<Option<ApiRequest>>,
    free: Vec<u32>,
}

impl Api {
    fn new() -> Self {
        Api {
            servers: vec![ApiServer::default(); 3],
            pool: None,
            requests: Vec::new(),
            free: Vec::new(),
        }
    }

    fn insert(&mut self, r: ApiRequest) -> u32 {
        match self.free.pop() {
            Some(i) => {
                self.requests[i as usize] = Some(r);
                i
            }
            None => {
                self.requests.push(Some(r));
                (self.requests.len() - 1) as u32
            }
        }
    }

    fn take(&mut self, id: u32) -> ApiRequest {
        self.free.push(id);
        self.requests[id as usize].take().expect("a live request")
    }

    /// Requests waiting or in service, over all servers.
    pub fn outstanding(&self) -> usize {
        self.requests.len() - self.free.len()
    }
}

/// A supervisor cluster's control plane at run time.
pub struct Supervisor {
    pub spec: SupervisorSpec,
    /// When Workload Management was enabled (`None`: still enabling).
    pub enabled_at: Option<SimTime>,
    /// Hosts whose Spherelet is installed, by host index within the cluster.
    pub nodes: Vec<bool>,
    spherelets_left: u32,
    /// The control-plane VMs' group, and how many are up.
    pub control_plane: GroupId,
    pub control_plane_up: u32,
    pub api: Api,
    /// Pods waiting for a scheduling cycle, and whether one is under way.
    pub scheduling: VecDeque<InstanceId>,
    scheduler_busy: bool,
    /// What users submitted before the cluster was enabled.
    held: Vec<ApiCall>,
}

impl Supervisor {
    pub fn new(spec: SupervisorSpec, hosts: usize, control_plane: GroupId) -> Self {
        Supervisor {
            spec,
            enabled_at: None,
            nodes: vec![false; hosts],
            spherelets_left: hosts as u32,
            control_plane,
            control_plane_up: 0,
            api: Api::new(),
            scheduling: VecDeque::new(),
            scheduler_busy: false,
            held: Vec::new(),
        }
    }
}

impl World {
    fn supervisor(&mut self, cluster: ClusterId) -> &mut Supervisor {
        self.clusters[cluster]
            .supervisor
            .as_deref_mut()
            .expect("a supervisor cluster")
    }

    /// Whether `group`'s instances are Kubernetes pods of a supervisor cluster.
    pub fn supervised(&self, group: GroupId) -> bool {
        let g = &self.groups[group];
        g.spec.is_pod()
            && self.clusters[ClusterId::from_index(g.spec.cluster)]
                .supervisor
                .is_some()
    }

    pub(super) fn on_spherelet_installed<O: Observer>(
        &mut self,
        now: SimTime,
        host: HostId,
        obs: &mut O,
    ) {
        let (cluster, local) = (self.hosts[host].cluster, self.hosts[host].local as usize);
        let s = self.supervisor(cluster);
        s.nodes[local] = true;
        s.spherelets_left -= 1;
        self.check_enabled(now, cluster, obs);
    }

    /// A control-plane VM is up.
    pub(super) fn control_plane_vm_up<O: Observer>(
        &mut self,
        now: SimTime,
        cluster: ClusterId,
        obs: &mut O,
    ) {
        self.supervisor(cluster).control_plane_up += 1;
        self.check_enabled(now, cluster, obs);
    }

    fn check_enabled<O: Observer>(&mut self, now: SimTime, cluster: ClusterId, obs: &mut O) {
        let s = self.supervisor(cluster);
        if s.enabled_at.is_some() || s.spherelets_left > 0 || s.control_plane_up < 3 {
            return;
        }
        s.enabled_at = Some(now);
        let heartbeat = s.spec.heartbeat;
        let held = std::mem::take(&mut s.held);
        obs.supervisor_enabled(now, cluster, now - SimTime::ZERO);
        // The control plane's load balancer: an NSX pool of the three API servers.
        let mut pool = Pool::new(
            format!("{}/kube-api", self.clusters[cluster].name),
            Algorithm::RoundRobin,
            MonitorParams::default(),
            SimDuration::ZERO,
        );
        pool.add_balancer(now);
        for server in 0..3 {
            pool.add_member(now, 1, server);
        }
        let p = self.add_pool(now, pool);
        self.supervisor(cluster).api.pool = Some(p);
        // Heartbeats start, spread over the interval so that nodes do not renew in step.
        let c = &self.clusters[cluster];
        let (first, n) = (c.first_host.0, c.host_count);
        for i in 0..n {
            let offset = SimDuration(heartbeat.as_nanos() * i as u64 / n.max(1) as u64);
            let t = now + offset;
            if t <= self.end {
                self.queue.schedule_at(
                    t,
                    Event::Heartbeat {
                        host: HostId(first + i),
                    },
                );
            }
        }
        for call in held {
            self.api_submit(now, cluster, call, true);
        }
    }

    /// Sends `call` to the API of `cluster`: through the Token Exchange Service if it is a
    /// user's (`user`), else straight to the load balancer. Held until the cluster is
    /// enabled.
    pub(super) fn api_submit(
        &mut self,
        now: SimTime,
        cluster: ClusterId,
        call: ApiCall,
        user: bool,
    ) {
        let s = self.supervisor(cluster);
        if s.enabled_at.is_none() {
            s.held.push(call);
            return;
        }
        let request = s.api.insert(ApiRequest {
            call,
            submitted: now,
        });
        if user {
            let tes = s.spec.tes_latency;
            self.queue
                .schedule_in(tes, Event::ApiArrive { cluster, request });
        } else {
            self.api_arrive(now, cluster, request);
        }
    }

    pub(super) fn api_arrive(&mut self, now: SimTime, cluster: ClusterId, request: u32) {
        // The control plane's NSX load balancer picks a server (balancer 0 of its pool).
        let pool = self.supervisor(cluster).api.pool.expect("enabled") as usize;
        let server = match self.nsx.pools[pool].pick(now, 0, request as u64) {
            Some(m) => m as usize,
            // No API server is up: the request waits at the first (the HA issue fails
            // control-plane VMs; until then all three stay up).
            None => 0,
        };
        let s = self.supervisor(cluster);
        let (inflight, service) = (s.spec.api_inflight, s.spec.api_service_time);
        let srv = &mut s.api.servers[server];
        if srv.busy < inflight {
            srv.busy += 1;
            self.queue.schedule_at(
                now + service,
                Event::ApiServed {
                    cluster,
                    server: server as u8,
                    request,
                },
            );
        } else {
            srv.queue.push_back(request);
        }
    }

    pub(super) fn on_api_served<O: Observer>(
        &mut self,
        now: SimTime,
        cluster: ClusterId,
        server: u8,
        request: u32,
        obs: &mut O,
    ) {
        let pool = self.supervisor(cluster).api.pool.expect("enabled");
        self.nsx.pools[pool as usize].close(0, server as u32);
        let s = self.supervisor(cluster);
        let service = s.spec.api_service_time;
        let r = s.api.take(request);
        let srv = &mut s.api.servers[server as usize];
        match srv.queue.pop_front() {
            Some(next) => {
                self.queue.schedule_at(
                    now + service,
                    Event::ApiServed {
                        cluster,
                        server,
                        request: next,
                    },
                );
            }
            None => srv.busy -= 1,
        }
        obs.api_served(now, cluster, now - r.submitted);
        match r.call {
            ApiCall::CreatePod { group, revision } => {
                self.pod_created(now, group, revision, r.submitted, obs)
            }
            ApiCall::CreateObject { group } => self.object_created(now, group, obs),
            ApiCall::Bind { pod } => self.pod_bound(now, pod, obs),
            ApiCall::Status { pod } => self.pod_reported_running(now, pod, obs),
            ApiCall::Lease { .. } => {}
        }
    }

    pub(super) fn on_heartbeat(&mut self, now: SimTime, host: HostId) {
        let cluster = self.hosts[host].cluster;
        if self.hosts[host].powered_on() {
            self.api_submit(now, cluster, ApiCall::Lease { host }, false);
        }
        let next = now + self.supervisor(cluster).spec.heartbeat;
        if next <= self.end {
            self.queue.schedule_at(next, Event::Heartbeat { host });
        }
    }

    /// A created pod joins the scheduling queue.
    pub(super) fn enqueue_for_scheduling(
        &mut self,
        now: SimTime,
        cluster: ClusterId,
        pod: InstanceId,
    ) {
        let s = self.supervisor(cluster);
        s.scheduling.push_back(pod);
        if !s.scheduler_busy {
            s.scheduler_busy = true;
            let cycle = s.spec.scheduling;
            self.queue
                .schedule_at(now + cycle, Event::SchedulingDone { cluster });
        }
    }

    pub(super) fn on_scheduling_done<O: Observer>(
        &mut self,
        now: SimTime,
        cluster: ClusterId,
        obs: &mut O,
    ) {
        let s = self.supervisor(cluster);
        let pod = s.scheduling.pop_front();
        if s.scheduling.is_empty() {
            s.scheduler_busy = false;
        } else {
            let cycle = s.spec.scheduling;
            self.queue
                .schedule_at(now + cycle, Event::SchedulingDone { cluster });
        }
        let Some(pod) = pod else { return };
        if self
            .instances
            .get(pod)
            .is_some_and(|i| i.state == super::instance::InstanceState::Pending)
        {
            self.schedule_pod(now, pod, obs);
        }
    }
}
