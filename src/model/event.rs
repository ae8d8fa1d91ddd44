//! Every event of the model, in one closed enum: a forgotten handler is a compile error.
//! Each variant reads "sender -> receiver: effect".

use super::ids::{ClusterId, GroupId, HostId};
use super::instance::InstanceId;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// Workload generator -> vCenter / Kubernetes API: the next instance(s) of workload
    /// group `group` are created and ask to be placed.
    Arrival { group: GroupId },
    /// Spherelet -> pod: the image is on the host and the start-up delay has passed;
    /// the pod is Running and starts its lifetime.
    PodRunning { pod: InstanceId },
    /// Lifetime -> VM or pod: the instance ends (VM powered off and deleted, pod
    /// Succeeded); its reservation and demand leave the host.
    Departure { instance: InstanceId },
    /// Host -> scheduler: capacity was freed in cluster `cluster`; retry the Pending
    /// instances (coalesced: at most one scheduled per cluster at a time).
    RetryPending { cluster: ClusterId },
    /// Demand model -> instances of `group`: re-evaluate their CPU demand (groups with a
    /// time-varying demand only, every `demand.every`).
    DemandTick { group: GroupId },
    /// DRS -> cluster: a load-balancing pass; its recommendations start vMotions.
    DrsPass { cluster: ClusterId },
    /// vMotion -> VM: the last pre-copy round and the switch-over are done; the VM runs
    /// on its destination and leaves its source.
    MigrationDone { vm: InstanceId },
    /// Scenario -> host: enter maintenance mode (evacuate, then hold nothing).
    EnterMaintenance { host: HostId },
    /// Scenario -> host: leave maintenance mode and take work again.
    ExitMaintenance { host: HostId },
    /// DPM -> host: the host has booted and takes work.
    HostPoweredOn { host: HostId },
    /// DPM -> host: the emptied host is in standby.
    HostInStandby { host: HostId },
    /// Boot -> VM: a VM that boots before it runs (a guest-cluster node, a supervisor
    /// control-plane VM) is up.
    VmBooted { vm: InstanceId },
    /// Workload Management -> host: the Spherelet is installed; the host becomes a node.
    SphereletInstalled { host: HostId },
    /// Token Exchange Service -> API load balancer: a user request, its SAML token
    /// exchanged for a JWT, reaches the API servers of `cluster`.
    ApiArrive { cluster: ClusterId, request: u32 },
    /// API server -> caller: `server` of `cluster` has served `request`.
    ApiServed {
        cluster: ClusterId,
        server: u8,
        request: u32,
    },
    /// kube-scheduler -> pod: the scheduling cycle of the pod at the head of `cluster`'s
    /// scheduling queue is over; it is bound to a host or left Pending.
    SchedulingDone { cluster: ClusterId },
    /// Spherelet -> pod: the pod's current CRX start-up stage is over.
    PodStage { pod: InstanceId },
    /// Image fetcher -> registry: the fetcher pod of fetch `fetch` is up and starts its
    /// pull.
    FetcherUp { fetch: u32 },
    /// Registry -> image fetchers: the pull that finishes first at this time is done
    /// (rescheduled whenever the pulls sharing the registry change).
    RegistryPullDone,
    /// CNS -> pod: the pod's persistent volume is provisioned.
    VolumeReady { pod: InstanceId },
    /// Spherelet -> API: the node Lease of `host` is renewed (every heartbeat).
    Heartbeat { host: HostId },
    /// Spherelet -> pod: a Terminating pod's CRX VM is gone; its resources are free.
    PodTerminated { pod: InstanceId },
    /// Scenario -> deployment controller: the deployment's replica count changes.
    Scale { group: GroupId, replicas: u32 },
    /// Scenario -> deployment controller: a rolling update to a new revision starts.
    Rollout { group: GroupId },
    /// Client -> Service: sender `sender` (an open-loop stream or a closed-loop user)
    /// sends its next request, which its load balancer gives to a pool member.
    ClientSend { sender: u32 },
    /// Network -> endpoint pod: request `req` (generation `gen`) reaches its endpoint.
    RequestArrive { req: u32, gen: u32 },
    /// Endpoint pod (FIFO) -> client: request `req`'s service is done; the answer leaves.
    RequestDone { req: u32, gen: u32 },
    /// Endpoint pod (processor sharing) -> itself: the request in service that finishes
    /// first is done.
    EndpointNext { endpoint: u32 },
    /// Health monitor -> pool `pool`: a round of probes, one per member.
    HealthProbe { pool: u32 },
    /// Health monitor -> pool: a probe of a silent member timed out.
    ProbeTimeout { pool: u32, member: u32 },
    /// Scenario -> target: fault `fault` starts.
    FaultStart { fault: u32 },
    /// Scenario -> target: fault `fault` is repaired.
    FaultEnd { fault: u32 },
    /// Consolidation -> cluster: a control pass (overload detection, VM selection,
    /// placement, underload); its decisions start migrations.
    ConsolidationPass { cluster: ClusterId },
    /// Simple migration -> VM: the memory is copied; the VM runs on its destination.
    SimpleMigrationDone { vm: InstanceId },
    /// Consolidation -> host: the emptied host has reached its sleep state.
    HostAsleep { host: HostId },
    /// Consolidation -> host: the woken host is up; the work sent to it goes ahead.
    HostAwake { host: HostId },
}
