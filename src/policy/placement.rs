//! Initial placement: a filter-then-score pipeline over the hosts of a cluster.
//!
//! Filter: the host accepts work, has the unreserved CPU and memory the request reserves,
//! and at least as many cores as the VM has vCPUs. Score (lower is better, ties to the
//! lowest host index):
//!
//! | policy         | ranks hosts by                                   | effect  |
//! |----------------|--------------------------------------------------|---------|
//! | `first-fit`    | host index                                       | fill in order |
//! | `best-fit`     | unreserved CPU (or memory) left, smallest first  | pack    |
//! | `least-loaded` | CPU (or memory) demand / capacity, lowest first  | spread, the DRS-style choice |
//!
//! [`PlacementPolicy::place_by_scan`] is that definition, literally: it filters every host
//! and takes the best score. [`PlacementPolicy::place`] gives the same answer through the
//! cluster's [`HostIndex`](super::index::HostIndex) in O(log H) for typical loads.

use super::index::{HostIndex, RankKey, RankOrder, Shortage};
use super::view::{ClusterView, HostView, Request};
use crate::scenario::{CpuAmount, PlacementSpec, PolicyKind, Resource};

/// Why a request was not placed. The names are the `summary.json` keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum RejectReason {
    /// No host is powered on and accepting work.
    NoHostAccepting,
    /// No host has enough unreserved CPU.
    InsufficientCpu,
    /// No host has enough unreserved memory.
    InsufficientMemory,
    /// No host has as many cores as the VM has vCPUs.
    InsufficientCores,
    /// CPU and memory are free, but not on the same host.
    Fragmented,
    /// Some host has room, but none that the instance's rules allow.
    Rules,
}

impl RejectReason {
    pub const ALL: [RejectReason; 6] = [
        RejectReason::NoHostAccepting,
        RejectReason::InsufficientCpu,
        RejectReason::InsufficientMemory,
        RejectReason::InsufficientCores,
        RejectReason::Fragmented,
        RejectReason::Rules,
    ];

    pub fn key(self) -> &'static str {
        match self {
            RejectReason::NoHostAccepting => "no_host_accepting",
            RejectReason::InsufficientCpu => "insufficient_cpu",
            RejectReason::InsufficientMemory => "insufficient_memory",
            RejectReason::InsufficientCores => "insufficient_cores",
            RejectReason::Fragmented => "fragmented",
            RejectReason::Rules => "rules",
        }
    }
}

impl From<Shortage> for RejectReason {
    fn from(s: Shortage) -> Self {
        match s {
            Shortage::NoHostAccepting => RejectReason::NoHostAccepting,
            Shortage::Cpu => RejectReason::InsufficientCpu,
            Shortage::Memory => RejectReason::InsufficientMemory,
            Shortage::Cores => RejectReason::InsufficientCores,
            Shortage::NotOnOneHost => RejectReason::Fragmented,
        }
    }
}

/// The outcome of a placement decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placement {
    /// Host index within the cluster.
    Host(usize),
    NoFit(RejectReason),
}

/// A placement policy with its parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PlacementPolicy {
    pub kind: PolicyKind,
    pub by: Resource,
}

/// Name and one-line description of every placement policy, for `pacsim policies`.
pub const CATALOGUE: [(&str, &str); 3] = [
    ("first-fit", "the lowest-numbered host that fits"),
    ("best-fit", "the host left with the least unreserved CPU (`by: memory`: memory) after placement: packs hosts"),
    ("least-loaded", "the host with the lowest CPU (`by: memory`: memory) demand / capacity: spreads load, the DRS-style choice (default)"),
];

impl PlacementPolicy {
    pub fn new(spec: PlacementSpec) -> Self {
        PlacementPolicy {
            kind: spec.policy,
            by: spec.by,
        }
    }

    pub fn name(&self) -> &'static str {
        match self.kind {
            PolicyKind::FirstFit => "first-fit",
            PolicyKind::BestFit => "best-fit",
            PolicyKind::LeastLoaded => "least-loaded",
        }
    }

    /// The ranking function the cluster's index keeps (none for first-fit).
    pub fn rank_fn(&self) -> fn(&HostView, u32) -> Option<RankKey> {
        match (self.kind, self.by) {
            (PolicyKind::FirstFit, _) => |_, _| None,
            (PolicyKind::BestFit, Resource::Cpu) => |h, i| {
                Some(RankKey {
                    num: h.free_cpu_mhz(),
                    den: 1,
                    host: i,
                })
            },
            (PolicyKind::BestFit, Resource::Memory) => |h, i| {
                Some(RankKey {
                    num: h.free_mem(),
                    den: 1,
                    host: i,
                })
            },
            (PolicyKind::LeastLoaded, Resource::Cpu) => |h, i| {
                Some(RankKey {
                    num: h.cpu_demand_mhz,
                    den: h.cpu_capacity_mhz.max(1),
                    host: i,
                })
            },
            (PolicyKind::LeastLoaded, Resource::Memory) => |h, i| {
                Some(RankKey {
                    num: h.mem_demand,
                    den: h.mem_capacity.max(1),
                    host: i,
                })
            },
        }
    }

    /// A fresh index over `hosts` for this policy.
    pub fn new_index(&self, hosts: &[HostView]) -> HostIndex {
        let order = match self.kind {
            PolicyKind::FirstFit => RankOrder::Unranked,
            PolicyKind::BestFit => RankOrder::Sorted,
            PolicyKind::LeastLoaded => RankOrder::Tournament,
        };
        HostIndex::with_order(hosts, self.rank_fn(), order)
    }

    /// Chooses a host through the index.
    pub fn place(&self, view: &ClusterView, req: &Request) -> Placement {
        match self.search(view, req, &|_| true) {
            Some(h) => Placement::Host(h),
            None => Placement::NoFit(view.index.fit.shortage(req).into()),
        }
    }

    /// Like [`place`](Self::place), among the hosts that `allowed` accepts (the filters of
    /// affinity rules). When the resources exist but no allowed host has them, the reason
    /// is [`RejectReason::Rules`].
    pub fn place_where(
        &self,
        view: &ClusterView,
        req: &Request,
        allowed: &impl Fn(usize) -> bool,
    ) -> Placement {
        match self.search(view, req, allowed) {
            Some(h) => Placement::Host(h),
            None => {
                let shortage: RejectReason = view.index.fit.shortage(req).into();
                let anywhere = (0..view.hosts.len()).any(|h| req.fits(&view.hosts[h]));
                if shortage == RejectReason::Fragmented && anywhere {
                    Placement::NoFit(RejectReason::Rules)
                } else {
                    Placement::NoFit(shortage)
                }
            }
        }
    }

    /// The best-ranked host that fits and that `allowed` accepts, through the index.
    fn search(
        &self,
        view: &ClusterView,
        req: &Request,
        allowed: &impl Fn(usize) -> bool,
    ) -> Option<usize> {
        let index = view.index;
        if !index.fit.may_fit(req) {
            return None;
        }
        match self.kind {
            PolicyKind::FirstFit => index.fit.first_fit(view.hosts, req, allowed),
            PolicyKind::LeastLoaded => index.best_ranked_fit(view.hosts, req, None, allowed),
            PolicyKind::BestFit => {
                // Hosts with less free capacity than the request can be skipped at once.
                let need = match self.by {
                    Resource::Memory => req.memory,
                    Resource::Cpu => match req.cpu {
                        CpuAmount::Mhz(m) => m,
                        // Cores are host-relative: start at the slowest core's MHz (the
                        // index keeps it, so no host is scanned here).
                        CpuAmount::Millicores(mc) => mc * index.min_core_mhz() as u64 / 1000,
                    },
                };
                let from = RankKey {
                    num: need,
                    den: 1,
                    host: 0,
                };
                index.best_ranked_fit(view.hosts, req, Some(from), allowed)
            }
        }
    }

    /// The reference definition: filter every host, take the lowest score.
    pub fn place_by_scan(&self, hosts: &[HostView], req: &Request) -> Option<usize> {
        self.place_by_scan_where(hosts, req, &|_| true)
    }

    /// The reference definition with an extra filter.
    pub fn place_by_scan_where(
        &self,
        hosts: &[HostView],
        req: &Request,
        allowed: &impl Fn(usize) -> bool,
    ) -> Option<usize> {
        let rank = self.rank_fn();
        hosts
            .iter()
            .enumerate()
            .filter(|(i, h)| req.fits(h) && allowed(*i))
            .min_by(
                |(i, a), (j, b)| match (rank(a, *i as u32), rank(b, *j as u32)) {
                    (Some(x), Some(y)) => x.cmp(&y),
                    _ => i.cmp(j),
                },
            )
            .map(|(i, _)| i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A host of 4 cores x 1000 MHz and 16 units of memory.
    fn host(reserved_mhz: u64, reserved_mem: u64, demand_mhz: u64) -> HostView {
        HostView {
            cores: 4,
            core_mhz: 1000,
            cpu_capacity_mhz: 4000,
            mem_capacity: 16,
            cpu_reserved_mhz: reserved_mhz,
            mem_reserved: reserved_mem,
            cpu_demand_mhz: demand_mhz,
            mem_demand: reserved_mem,
            accepting: true,
        }
    }

    fn pod(cores_milli: u64, mem: u64) -> Request {
        Request {
            cpu: CpuAmount::Millicores(cores_milli),
            memory: mem,
            vcpus: 0,
        }
    }

    fn decide(kind: PolicyKind, by: Resource, hosts: &[HostView], req: Request) -> Placement {
        let p = PlacementPolicy { kind, by };
        let index = p.new_index(hosts);
        let got = p.place(
            &ClusterView {
                hosts,
                index: &index,
            },
            &req,
        );
        let reference = p.place_by_scan(hosts, &req);
        assert_eq!(
            got,
            reference.map_or(got, Placement::Host),
            "index and scan disagree"
        );
        got
    }

    // Three hosts: 0 is busy, 1 is half full, 2 is empty.
    fn three() -> Vec<HostView> {
        vec![host(3000, 12, 3000), host(2000, 8, 2000), host(0, 0, 0)]
    }

    #[test]
    fn first_fit_takes_the_first_host_with_room() {
        assert_eq!(
            decide(PolicyKind::FirstFit, Resource::Cpu, &three(), pod(1000, 2)),
            Placement::Host(0)
        );
        assert_eq!(
            decide(PolicyKind::FirstFit, Resource::Cpu, &three(), pod(1500, 2)),
            Placement::Host(1)
        );
    }

    #[test]
    fn best_fit_packs_onto_the_fullest_host_that_fits() {
        assert_eq!(
            decide(PolicyKind::BestFit, Resource::Cpu, &three(), pod(1000, 2)),
            Placement::Host(0)
        );
        assert_eq!(
            decide(PolicyKind::BestFit, Resource::Cpu, &three(), pod(2000, 2)),
            Placement::Host(1)
        );
        assert_eq!(
            decide(PolicyKind::BestFit, Resource::Cpu, &three(), pod(3000, 2)),
            Placement::Host(2)
        );
    }

    #[test]
    fn least_loaded_spreads_onto_the_emptiest_host() {
        assert_eq!(
            decide(
                PolicyKind::LeastLoaded,
                Resource::Cpu,
                &three(),
                pod(500, 1)
            ),
            Placement::Host(2)
        );
    }

    #[test]
    fn least_loaded_ties_go_to_the_lowest_index() {
        let hosts = vec![host(1000, 4, 1000), host(0, 0, 0), host(0, 0, 0)];
        assert_eq!(
            decide(PolicyKind::LeastLoaded, Resource::Cpu, &hosts, pod(500, 1)),
            Placement::Host(1)
        );
    }

    #[test]
    fn least_loaded_by_memory_looks_at_memory_demand() {
        // Host 0 has little CPU demand but lots of memory; host 1 the reverse.
        let mut a = host(500, 12, 500);
        a.mem_demand = 12;
        let mut b = host(3000, 2, 3000);
        b.mem_demand = 2;
        let hosts = vec![a, b];
        assert_eq!(
            decide(
                PolicyKind::LeastLoaded,
                Resource::Memory,
                &hosts,
                pod(500, 1)
            ),
            Placement::Host(1)
        );
        assert_eq!(
            decide(PolicyKind::LeastLoaded, Resource::Cpu, &hosts, pod(500, 1)),
            Placement::Host(0)
        );
    }

    #[test]
    fn a_vm_needs_as_many_cores_as_vcpus() {
        let req = Request {
            cpu: CpuAmount::Mhz(0),
            memory: 1,
            vcpus: 8,
        };
        assert_eq!(
            decide(PolicyKind::LeastLoaded, Resource::Cpu, &three(), req),
            Placement::NoFit(RejectReason::InsufficientCores)
        );
    }

    #[test]
    fn rejections_say_what_is_short() {
        let hosts = three();
        assert_eq!(
            decide(PolicyKind::FirstFit, Resource::Cpu, &hosts, pod(5000, 1)),
            Placement::NoFit(RejectReason::InsufficientCpu)
        );
        assert_eq!(
            decide(PolicyKind::FirstFit, Resource::Cpu, &hosts, pod(100, 17)),
            Placement::NoFit(RejectReason::InsufficientMemory)
        );
        let mut off = hosts.clone();
        off.iter_mut().for_each(|h| h.accepting = false);
        assert_eq!(
            decide(PolicyKind::BestFit, Resource::Cpu, &off, pod(100, 1)),
            Placement::NoFit(RejectReason::NoHostAccepting)
        );
    }

    #[test]
    fn cores_are_host_relative() {
        // One core is 1000 MHz on host 0 and 3000 MHz on host 1.
        let mut fast = host(0, 0, 0);
        fast.core_mhz = 3000;
        fast.cpu_capacity_mhz = 12_000;
        fast.cpu_reserved_mhz = 10_000; // 2000 MHz free: less than one fast core
        let slow = host(3000, 0, 3000); // 1000 MHz free: one slow core
        let hosts = vec![fast, slow];
        assert_eq!(
            decide(PolicyKind::FirstFit, Resource::Cpu, &hosts, pod(1000, 1)),
            Placement::Host(1)
        );
        assert_eq!(
            decide(PolicyKind::BestFit, Resource::Cpu, &hosts, pod(1000, 1)),
            Placement::Host(1)
        );
    }
}
