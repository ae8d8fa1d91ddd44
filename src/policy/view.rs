//! What policies may see: a read-only snapshot of each host's capacity and load, and the
//! request being placed.

use crate::scenario::CpuAmount;

/// One host as a policy sees it. CPU is in MHz, memory in bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HostView {
    pub cores: u32,
    pub core_mhz: u32,
    pub cpu_capacity_mhz: u64,
    pub mem_capacity: u64,
    /// CPU held by reservations (VMs) and requests (pods): what admission counts.
    pub cpu_reserved_mhz: u64,
    pub mem_reserved: u64,
    /// CPU the running instances want now: what "load" means.
    pub cpu_demand_mhz: u64,
    pub mem_demand: u64,
    /// Powered on and not in maintenance: may take new work.
    pub accepting: bool,
}

impl HostView {
    pub fn free_cpu_mhz(&self) -> u64 {
        self.cpu_capacity_mhz.saturating_sub(self.cpu_reserved_mhz)
    }
    pub fn free_mem(&self) -> u64 {
        self.mem_capacity.saturating_sub(self.mem_reserved)
    }
    /// Free CPU in millicores of this host's cores, rounded down.
    pub fn free_millicores(&self) -> u64 {
        self.free_cpu_mhz() * 1000 / self.core_mhz.max(1) as u64
    }
}

/// A placement request: what the instance reserves, and its vCPU count (0 for pods).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Request {
    pub cpu: CpuAmount,
    pub memory: u64,
    pub vcpus: u32,
}

impl Request {
    /// MHz this request reserves on `host` (cores are host-relative, rounded up).
    pub fn cpu_mhz_on(&self, host: &HostView) -> u64 {
        match self.cpu {
            CpuAmount::Mhz(m) => m,
            CpuAmount::Millicores(mc) => (mc * host.core_mhz as u64).div_ceil(1000),
        }
    }

    /// The Kubernetes-style "fit" filter plus vSphere's vCPU <= cores rule.
    pub fn fits(&self, host: &HostView) -> bool {
        host.accepting
            && self.vcpus <= host.cores
            && self.cpu_mhz_on(host) <= host.free_cpu_mhz()
            && self.memory <= host.free_mem()
    }
}

/// The hosts of one cluster (indexed from 0 within the cluster) and the placement index
/// the model keeps up to date for the cluster's policy.
pub struct ClusterView<'a> {
    pub hosts: &'a [HostView],
    pub index: &'a super::index::HostIndex,
}
