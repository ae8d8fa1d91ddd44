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
