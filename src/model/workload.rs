//! Workload groups at run time: the spec, the group's random streams, and its arrival
//! process.

use crate::engine::{RngStream, SimDuration, SimTime, StreamFactory};
use crate::scenario::{Arrival, WorkloadSpec};

pub struct Group {
    pub spec: WorkloadSpec,
    /// Inter-arrival times.
    pub arrivals_rng: RngStream,
    /// Lifetimes.
    pub lifetime_rng: RngStream,
    /// Sizes, requests and images drawn per instance.
    pub size_rng: RngStream,
    /// Per-instance demand (random-walk steps, bursts phases).
    pub demand_rng: RngStream,
    /// Instances created so far.
    pub created: u64,
}

impl Group {
    pub fn new(spec: WorkloadSpec, streams: &StreamFactory) -> Self {
        let n = &spec.name;
        Group {
            arrivals_rng: streams.stream(&format!("workload/{n}/arrivals")),
            lifetime_rng: streams.stream(&format!("workload/{n}/lifetime")),
            size_rng: streams.stream(&format!("workload/{n}/size")),
            demand_rng: streams.stream(&format!("workload/{n}/demand")),
            spec,
            created: 0,
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
        match &self.spec.arrival {
            Arrival::AtStart(_) => None,
            Arrival::Times(ts) => ts.get(self.created as usize).map(|d| SimTime::ZERO + *d),
            Arrival::Poisson { rate_per_s, limit } => {
                if limit.is_some_and(|l| self.created >= l) {
                    return None;
                }
                let gap = self.arrivals_rng.exponential(1.0 / rate_per_s);
                Some(now + SimDuration::from_secs_f64(gap))
            }
        }
    }
}
