//! Workload groups at run time: the spec, the group's random streams, and its arrival
//! process.

use crate::engine::{RngStream, SimDuration, SimTime, StreamFactory};
use crate::scenario::{Arrival, HostMasks, VmRule, WorkloadSpec};

pub struct Group {
    pub spec: WorkloadSpec,
    /// Inter-arrival times.
    pub arrivals_rng: RngStream,
    /// Lifetimes.
    pub lifetime_rng: RngStream,
    /// Sizes, requests and images drawn per instance.
    pub size_rng: RngStream,
    /// Per-instance CPU demand (random-walk steps, bursts phases).
    pub demand_rng: RngStream,
    /// The same for memory demand: its own stream, so a memory model leaves the CPU
    /// draws as they were.
    pub memory_demand_rng: RngStream,
    /// Instances created so far.
    pub created: u64,
    /// On a supervisor cluster: creations the arrival process has asked the API for.
    pub requested: u64,
    /// For VM-VM rules: how many of the group's VMs are on (or migrating to) each host of
    /// its cluster, by host index within the cluster.
    pub on_host: Vec<u32>,
    /// For VM-host rules: which hosts of the cluster they allow.
    pub host_masks: Option<HostMasks>,
}

impl Group {
    /// Whether the group's rules let one of its VMs go to host `local` of its cluster.
    /// `with_should` applies a `should` host rule too; `leaving` is a host the VM is
    /// leaving (its presence there does not count for `together`).
    pub fn allows(&self, local: usize, with_should: bool, leaving: Option<usize>) -> bool {
        if let Some(m) = &self.host_masks {
            let mask = if with_should {
                &m.preferred
            } else {
                &m.required
            };
            if !mask[local] {
                return false;
            }
        }
        match self.spec.rules.vms {
            None => true,
            Some(VmRule::Separate) => self.on_host[local] == 0,
            Some(VmRule::Together) => {
                // Where the other VMs are (not counting the host this one leaves): if
                // anywhere, only there.
                let count = |h: usize| {
                    if Some(h) == leaving {
                        0
                    } else {
                        self.on_host[h]
                    }
                };
                count(local) > 0 || !(0..self.on_host.len()).any(|h| count(h) > 0)
            }
        }
    }

    /// A VM of the group arrives on (+1) or leaves (-1) host `local`.
    pub fn count(&mut self, local: usize, delta: i32) {
        if self.spec.rules.vms.is_some() {
            self.on_host[local] = (self.on_host[local] as i32 + delta) as u32;
        }
    }

    /// A trace-driven group's instance `index`: its vCPUs, CPU size and memory.
    pub fn trace_size(&self, index: u64) -> Option<(u32, crate::scenario::CpuAmount, u64)> {
        let t = self.spec.trace.as_ref()?;
        let row = &t.rows[*t.row_of.get(index as usize)? as usize];
        Some((row.vcpus, row.cpu, row.memory))
    }

    /// A trace-driven group's instance `index`: its lifetime (`Some(None)`: forever).
    pub fn trace_lifetime(&self, index: u32) -> Option<Option<SimDuration>> {
        let t = self.spec.trace.as_ref()?;
        let row = &t.rows[*t.row_of.get(index as usize)? as usize];
        Some(row.lifetime)
    }

    pub fn new(spec: WorkloadSpec, streams: &StreamFactory) -> Self {
        let n = &spec.name;
        Group {
            arrivals_rng: streams.stream(&format!("workload/{n}/arrivals")),
            lifetime_rng: streams.stream(&format!("workload/{n}/lifetime")),
            size_rng: streams.stream(&format!("workload/{n}/size")),
            demand_rng: streams.stream(&format!("workload/{n}/demand")),
            memory_demand_rng: streams.stream(&format!("workload/{n}/memory_demand")),
            on_host: Vec::new(),
            host_masks: None,
            spec,
            created: 0,
            requested: 0,
        }
    }

    /// When the first arrival event fires, if any.
    pub fn first_arrival(&mut self) -> Option<SimTime> {
        match &self.spec.arrival {
            Arrival::AtStart(_) => Some(SimTime::ZERO),
            Arrival::Times(ts) => ts.first().map(|d| SimTime::ZERO + *d),
            Arrival::Poisson { .. } => self.next_arrival(SimTime::ZERO),
        }
    }

    /// How many instances the arrival event at `now` creates.
    pub fn batch_size(&self) -> u64 {
        match &self.spec.arrival {
            Arrival::AtStart(n) => *n,
            Arrival::Times(_) | Arrival::Poisson { .. } => 1,
        }
    }

    /// After an arrival event at `now` (with `created` already counted), when the next
    /// one fires, if any.
    pub fn next_arrival(&mut self, now: SimTime) -> Option<SimTime> {
        self.next_arrival_after(now, self.created)
    }

    /// When the next arrival fires after `count` arrivals so far.
    pub fn next_arrival_after(&mut self, now: SimTime, count: u64) -> Option<SimTime> {
        match &self.spec.arrival {
            Arrival::AtStart(_) => None,
            Arrival::Times(ts) => ts.get(count as usize).map(|d| SimTime::ZERO + *d),
            Arrival::Poisson { rate_per_s, limit } => {
                if limit.is_some_and(|l| count >= l) {
                    return None;
                }
                let gap = self.arrivals_rng.exponential(1.0 / rate_per_s);
                Some(now + SimDuration::from_secs_f64(gap))
            }
        }
    }
}
