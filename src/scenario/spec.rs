//! The validated scenario: what the model is built from.

use crate::engine::rng::RngStream;
use crate::engine::SimDuration;
pub use crate::scenario::units::CpuAmount;

/// A checked scenario.
#[derive(Clone, Debug)]
pub struct Scenario {
    pub name: String,
    pub seed: u64,
    pub duration: SimDuration,
    pub sample_every: SimDuration,
    pub clusters: Vec<ClusterSpec>,
    pub images: Vec<ImageSpec>,
    pub workloads: Vec<WorkloadSpec>,
}

impl Scenario {
    pub fn host_count(&self) -> usize {
        self.clusters.iter().map(ClusterSpec::host_count).sum()
    }
}

#[derive(Clone, Debug)]
pub struct ClusterSpec {
    pub name: String,
    pub host_groups: Vec<HostGroupSpec>,
    pub datastores: Vec<DatastoreSpec>,
    pub placement: PlacementSpec,
    pub pods: PodRuntimeSpec,
}

impl ClusterSpec {
    pub fn host_count(&self) -> usize {
        self.host_groups.iter().map(|g| g.count as usize).sum()
    }
    /// Total CPU capacity in MHz.
    pub fn cpu_mhz(&self) -> f64 {
        self.host_groups
            .iter()
            .map(|g| g.count as f64 * g.cpu_mhz() as f64)
            .sum()
    }
    /// Capacity-weighted MHz of one core (the exact core speed in a homogeneous cluster).
    pub fn mean_core_mhz(&self) -> f64 {
        let cores: f64 = self
            .host_groups
            .iter()
            .map(|g| g.count as f64 * g.cores as f64)
            .sum();
        self.cpu_mhz() / cores
    }
}

#[derive(Clone, Debug)]
pub struct HostGroupSpec {
    pub name: String,
    pub count: u32,
    /// Physical cores per host.
    pub cores: u32,
    /// Clock of one core, MHz.
    pub mhz_per_core: u32,
    /// Physical memory, bytes.
    pub memory: u64,
    /// Network bandwidth, bytes per second.
    pub nic_bytes_per_s: f64,
    pub power: PowerModel,
}

impl HostGroupSpec {
    pub fn cpu_mhz(&self) -> u64 {
        self.cores as u64 * self.mhz_per_core as u64
    }
}

/// Host power draw as a function of CPU utilisation `u` in [0, 1].
#[derive(Clone, Debug, PartialEq)]
pub enum PowerModel {
    /// `P(u) = idle + (max - idle) * u` (the linear model of CloudSim, DSLab and OpenDC).
    Linear { idle_w: f64, max_w: f64 },
    /// Watts at 0%, 10%, ..., 100% load, linearly interpolated (SPECpower_ssj2008
    /// style, as CloudSim's `PowerModelSpecPower`).
    Table([f64; 11]),
}

impl PowerModel {
    pub fn watts(&self, u: f64) -> f64 {
        let u = u.clamp(0.0, 1.0);
        match self {
            PowerModel::Linear { idle_w, max_w } => idle_w + (max_w - idle_w) * u,
            PowerModel::Table(t) => {
                let x = u * 10.0;
                let i = (x.floor() as usize).min(9);
                let frac = x - i as f64;
                t[i] + (t[i + 1] - t[i]) * frac
            }
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DatastoreKind {
    Vmfs,
    Nfs,
    Vsan,
}

#[derive(Clone, Debug)]
pub struct DatastoreSpec {
    pub name: String,
    pub kind: DatastoreKind,
    pub capacity: u64,
    /// Bytes per second.
    pub throughput: f64,
}

/// Which resource a placement policy ranks hosts by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resource {
    Cpu,
    Memory,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PolicyKind {
    FirstFit,
    BestFit,
    LeastLoaded,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PlacementSpec {
    pub policy: PolicyKind,
    pub by: Resource,
}

#[derive(Clone, Debug, PartialEq)]
pub struct PodRuntimeSpec {
    pub startup_delay: SimDuration,
    /// Bytes per second at which a host pulls an image.
    pub image_pull_bandwidth: f64,
}

#[derive(Clone, Debug)]
pub struct ImageSpec {
    pub name: String,
    pub size: u64,
}

/// A value fixed for the group or drawn uniformly per instance.
#[derive(Clone, Debug, PartialEq)]
pub enum Sampled<T> {
    One(T),
    Choice(Vec<T>),
}

impl<T: Copy> Sampled<T> {
    /// Draws a value; a fixed value consumes no randomness.
    pub fn draw(&self, rng: &mut RngStream) -> T {
        match self {
            Sampled::One(v) => *v,
            Sampled::Choice(vs) => vs[rng.below(vs.len() as u64) as usize],
        }
    }

    pub fn values(&self) -> &[T] {
        match self {
            Sampled::One(v) => std::slice::from_ref(v),
            Sampled::Choice(vs) => vs,
        }
    }
}

/// How instances of a group arrive.
#[derive(Clone, Debug, PartialEq)]
pub enum Arrival {
    /// All at t = 0.
    AtStart(u64),
    /// Exponential inter-arrival times with this rate (per second), at most `limit`.
    Poisson { rate_per_s: f64, limit: Option<u64> },
    /// One instance at each of these offsets, sorted.
    Times(Vec<SimDuration>),
}

/// How long an instance runs once it is running.
#[derive(Clone, Debug, PartialEq)]
pub enum Lifetime {
    Forever,
    Fixed(SimDuration),
    Exponential {
        mean_s: f64,
    },
    /// `exp(mu + sigma * N(0,1))` seconds.
    Lognormal {
        mu: f64,
        sigma: f64,
    },
    Uniform {
        min_s: f64,
        max_s: f64,
    },
}

impl Lifetime {
    /// Draws a lifetime; `None` is forever.
    pub fn draw(&self, rng: &mut RngStream) -> Option<SimDuration> {
        let secs = match *self {
            Lifetime::Forever => return None,
            Lifetime::Fixed(d) => return Some(d),
            Lifetime::Exponential { mean_s } => rng.exponential(mean_s),
            Lifetime::Lognormal { mu, sigma } => rng.lognormal(mu, sigma),
            Lifetime::Uniform { min_s, max_s } => min_s + (max_s - min_s) * rng.uniform(),
        };
        Some(SimDuration::from_secs_f64(secs))
    }

    /// Mean in seconds (infinite for `Forever`).
    pub fn mean_s(&self) -> f64 {
        match *self {
            Lifetime::Forever => f64::INFINITY,
            Lifetime::Fixed(d) => d.as_secs_f64(),
            Lifetime::Exponential { mean_s } => mean_s,
            Lifetime::Lognormal { mu, sigma } => (mu + sigma * sigma / 2.0).exp(),
            Lifetime::Uniform { min_s, max_s } => (min_s + max_s) / 2.0,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnNoFit {
    /// Refuse the request (vCenter's "insufficient resources" for a power-on).
    Reject,
    /// Keep it pending and retry when capacity frees (Kubernetes' Pending pods).
    Wait,
}

#[derive(Clone, Debug, PartialEq)]
pub struct VmSpec {
    pub vcpus: u32,
    pub memory: u64,
    /// CPU reservation: what admission counts.
    pub reserve_cpu: Sampled<CpuAmount>,
    pub reserve_memory: Sampled<u64>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct PodSpec {
    pub request_cpu: Sampled<CpuAmount>,
    pub request_memory: Sampled<u64>,
    pub limit_cpu: Option<Sampled<CpuAmount>>,
    pub limit_memory: Option<Sampled<u64>>,
    /// Indexes into `Scenario::images`.
    pub image: Sampled<usize>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum WorkloadKind {
    Vm(VmSpec),
    Pod(PodSpec),
}

#[derive(Clone, Debug)]
pub struct WorkloadSpec {
    pub name: String,
    /// Index into `Scenario::clusters`.
    pub cluster: usize,
    pub kind: WorkloadKind,
    pub arrival: Arrival,
    pub lifetime: Lifetime,
    /// CPU demand as a fraction of the instance's CPU size (VM: vCPUs; pod: limit, else
    /// request).
    pub demand: f64,
    pub on_no_fit: OnNoFit,
}

impl WorkloadSpec {
    pub fn is_pod(&self) -> bool {
        matches!(self.kind, WorkloadKind::Pod(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_power_table_interpolates_between_steps() {
        let mut t = [0.0; 11];
        for (i, w) in t.iter_mut().enumerate() {
            *w = 100.0 + 10.0 * i as f64;
        }
        let p = PowerModel::Table(t);
        assert_eq!(p.watts(0.0), 100.0);
        assert!((p.watts(0.25) - 125.0).abs() < 1e-9);
        assert_eq!(p.watts(1.0), 200.0);
        assert_eq!(p.watts(2.0), 200.0);
    }

    #[test]
    fn linear_power() {
        let p = PowerModel::Linear {
            idle_w: 100.0,
            max_w: 300.0,
        };
        assert_eq!(p.watts(0.5), 200.0);
    }
}
