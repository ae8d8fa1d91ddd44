//! Typed ids of the model's things, so that a host number can never index the workload
//! groups. Each is a dense index into its `IdVec` in the [`World`](super::World).

use crate::define_id;

define_id!(
    /// An ESXi host, numbered over the whole datacenter (clusters' hosts are contiguous).
    HostId
);
define_id!(
    /// A vSphere cluster.
    ClusterId
);
define_id!(
    /// A workload group of the scenario (a vm-group or a pod-group).
    GroupId
);
define_id!(
    /// A container image of the scenario.
    ImageId
);

impl HostId {
    /// "Not placed yet".
    pub const NONE: HostId = HostId(u32::MAX);
}
