//! What a run measures of its supervisor clusters: enablement, the API, pod start-up
//! stage by stage, images, quotas, controllers, volumes and guest clusters. Part of the
//! [`Recorder`](super::Recorder), present only when a cluster runs Workload Management.

use crate::engine::{SimDuration, SimTime};
use crate::model::crx::Stage;
use crate::model::instance::InstanceId;
use crate::model::namespace::QuotaReason;
use crate::model::{GroupId, HostId, World};
use hdrhistogram::Histogram;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// Latencies in microseconds, up to about 11.6 days, three significant digits.
fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 1_000_000_000_000, 3).expect("valid bounds")
}

/// Most rows of `pod_startup.csv` kept (one per pod that started); later pods are
/// still measured, not listed.
pub const MAX_STARTUP_ROWS: usize = 1_000_000;

/// One started pod's row of `pod_startup.csv`, kept compact (about 80 bytes: names
/// are looked up when the file is written).
#[derive(Clone, Debug)]
pub struct StartupRow {
    pub group: GroupId,
    pub index: u32,
    pub host: HostId,
    pub created: SimTime,
    /// Microseconds per stage, in `Stage::ALL` order.
    pub stages_us: [u32; Stage::ALL.len()],
    /// The wait for an image fetch, microseconds.
    pub image_wait_us: u32,
}

impl StartupRow {
    pub fn stage_s(&self, stage: Stage) -> f64 {
        self.stages_us[stage.index()] as f64 / 1e6
    }

    /// From creation to Running (every stage but the create request).
    pub fn startup_s(&self) -> f64 {
        self.stages_us[1..].iter().map(|&u| u as f64).sum::<f64>() / 1e6
    }

    /// Start-up as the Kubernetes SLO counts it: without the wait for an image fetch
    /// (the `pod_startup_slo_*` keys take only stateless pods, without volumes).
    pub fn slo_startup_s(&self) -> f64 {
        (self.startup_s() - self.image_wait_us as f64 / 1e6).max(0.0)
    }
}

pub struct SupervisorMetrics {
    pub enable_s: f64,
    pub api_us: Histogram<u64>,
    pub refused: [u64; 3],
    pub stage_us: Vec<Histogram<u64>>,
    pub slo_startup_us: Histogram<u64>,
    pub image_fetch_us: Histogram<u64>,
    pub image_fetch_bytes: u64,
    pub image_cache_hits: u64,
    pub image_evictions: u64,
    pub image_overflows: u64,
    pub pods_succeeded: u64,
    pub pods_deleted: u64,
    pub rollout_us: Histogram<u64>,
    pub job_us: Histogram<u64>,
    pub volume_waits: u64,
    pub guest_ready_us: Histogram<u64>,
    /// Pods being started: their stage durations so far (s), and their image wait.
    partial: BTreeMap<InstanceId, ([f64; Stage::ALL.len()], f64)>,
    pub rows: Vec<StartupRow>,
}

impl Default for SupervisorMetrics {
    fn default() -> Self {
        SupervisorMetrics {
            enable_s: 0.0,
            api_us: histogram(),
            refused: [0; 3],
            stage_us: Stage::ALL.iter().map(|_| histogram()).collect(),
            slo_startup_us: histogram(),
            image_fetch_us: histogram(),
            image_fetch_bytes: 0,
            image_cache_hits: 0,
            image_evictions: 0,
            image_overflows: 0,
            pods_succeeded: 0,
            pods_deleted: 0,
            rollout_us: histogram(),
            job_us: histogram(),
            volume_waits: 0,
            guest_ready_us: histogram(),
            partial: BTreeMap::new(),
            rows: Vec::new(),
        }
    }
}

fn us(d: SimDuration) -> u64 {
    d.as_nanos() / 1000
}

impl SupervisorMetrics {
    pub fn refused(&mut self, why: QuotaReason) {
        self.refused[why as usize] += 1;
    }

    /// A stage of `pod` ended; after the status report, its row is complete.
    pub fn stage(
        &mut self,
        now: SimTime,
        world: &World,
        pod: InstanceId,
        stage: Stage,
        took: SimDuration,
    ) {
        self.stage_us[stage.index()].saturating_record(us(took));
        let entry = self
            .partial
            .entry(pod)
            .or_insert(([0.0; Stage::ALL.len()], 0.0));
        entry.0[stage.index()] += took.as_secs_f64();
        let Some(inst) = world.instances.get(pod) else {
            return;
        };
        if stage == Stage::Image {
            let cluster = world.hosts[inst.host].cluster;
            let attach = world.clusters[cluster]
                .supervisor
                .as_ref()
                .map_or(SimDuration::ZERO, |s| s.spec.crx.image_attach);
            entry.1 = (took.as_secs_f64() - attach.as_secs_f64()).max(0.0);
        }
        if stage != Stage::Status {
            return;
        }
        let (stages, wait) = self.partial.remove(&pod).expect("entered above");
        let startup = (now - inst.created).as_secs_f64();
        let slo = (startup - wait).max(0.0);
        // The SLO covers stateless pods: a pod with a persistent volume is left out.
        if world.groups[inst.group].spec.volume.is_none() {
            self.slo_startup_us
                .saturating_record((slo * 1e6).round() as u64);
        }
        if self.rows.len() < MAX_STARTUP_ROWS {
            let us = |s: f64| (s * 1e6).round().min(u32::MAX as f64) as u32;
            self.rows.push(StartupRow {
                group: inst.group,
                index: inst.index,
                host: inst.host,
                created: inst.created,
                stages_us: stages.map(us),
                image_wait_us: us(wait),
            });
        }
    }

    /// A pod that never finished starting is gone.
    pub fn forget(&mut self, pod: InstanceId) {
        self.partial.remove(&pod);
    }

    pub fn fetched(&mut self, bytes: u64, took: SimDuration, evicted: u32, overflow: bool) {
        self.image_fetch_us.saturating_record(us(took));
        self.image_fetch_bytes += bytes;
        self.image_evictions += evicted as u64;
        self.image_overflows += overflow as u64;
    }

    pub fn rollout(&mut self, took: SimDuration) {
        self.rollout_us.saturating_record(us(took));
    }

    pub fn job(&mut self, took: SimDuration) {
        self.job_us.saturating_record(us(took));
    }

    pub fn guest_ready(&mut self, took: SimDuration) {
        self.guest_ready_us.saturating_record(us(took));
    }

    /// The summary's supervisor keys.
    pub fn summarize(&self, m: &mut BTreeMap<String, Value>, r: impl Fn(f64) -> Value) {
        let q = |h: &Histogram<u64>, q: f64| {
            if h.is_empty() {
                0.0
            } else {
                h.value_at_quantile(q) as f64 / 1e6
            }
        };
        let max = |h: &Histogram<u64>| {
            if h.is_empty() {
                0.0
            } else {
                h.max() as f64 / 1e6
            }
        };
        m.insert("supervisor_enable_s".into(), r(self.enable_s));
        m.insert("api_requests".into(), json!(self.api_us.len()));
        m.insert("api_latency_p50_s".into(), r(q(&self.api_us, 0.5)));
        m.insert("api_latency_p99_s".into(), r(q(&self.api_us, 0.99)));
        m.insert("api_latency_max_s".into(), r(max(&self.api_us)));
        m.insert(
            "quota_refusals".into(),
            json!(self.refused.iter().sum::<u64>()),
        );
        for why in QuotaReason::ALL {
            m.insert(
                format!("quota_refusals_{}", why.key()),
                json!(self.refused[why as usize]),
            );
        }
        for stage in Stage::ALL {
            let h = &self.stage_us[stage.index()];
            let n = stage.name();
            m.insert(format!("pod_stage_{n}_p50_s"), r(q(h, 0.5)));
            m.insert(format!("pod_stage_{n}_p95_s"), r(q(h, 0.95)));
            m.insert(format!("pod_stage_{n}_p99_s"), r(q(h, 0.99)));
        }
        let s = &self.slo_startup_us;
        m.insert("pod_startup_slo_p50_s".into(), r(q(s, 0.5)));
        m.insert("pod_startup_slo_p95_s".into(), r(q(s, 0.95)));
        m.insert("pod_startup_slo_p99_s".into(), r(q(s, 0.99)));
        m.insert("image_fetches".into(), json!(self.image_fetch_us.len()));
        m.insert("image_fetch_bytes".into(), json!(self.image_fetch_bytes));
        m.insert("image_fetch_p50_s".into(), r(q(&self.image_fetch_us, 0.5)));
        m.insert("image_fetch_max_s".into(), r(max(&self.image_fetch_us)));
        m.insert("image_cache_hits".into(), json!(self.image_cache_hits));
        m.insert("image_evictions".into(), json!(self.image_evictions));
        m.insert("image_cache_overflows".into(), json!(self.image_overflows));
        m.insert("pods_succeeded".into(), json!(self.pods_succeeded));
        m.insert("pods_deleted".into(), json!(self.pods_deleted));
        m.insert("rollouts".into(), json!(self.rollout_us.len()));
        m.insert("rollout_duration_max_s".into(), r(max(&self.rollout_us)));
        m.insert("jobs_completed".into(), json!(self.job_us.len()));
        m.insert("job_duration_max_s".into(), r(max(&self.job_us)));
        m.insert("volume_waits".into(), json!(self.volume_waits));
        m.insert(
            "guest_clusters_ready".into(),
            json!(self.guest_ready_us.len()),
        );
        m.insert(
            "guest_cluster_ready_max_s".into(),
            r(max(&self.guest_ready_us)),
        );
    }

    /// `pod_startup.csv`: a header and one row per started pod.
    pub fn startup_csv(&self, world: &World) -> String {
        let mut out = String::from("pod,namespace,host,created_s");
        for s in Stage::ALL {
            out.push_str(&format!(",{}_s", s.name()));
        }
        out.push_str(",startup_s,slo_startup_s\n");
        for row in &self.rows {
            let g = &world.groups[row.group].spec;
            let ns = g
                .namespace
                .map_or("", |n| world.namespaces[n].spec.name.as_str());
            out.push_str(&format!(
                "{},{},{},{}",
                crate::report::csv_field(&format!("{}-{}", g.name, row.index)),
                crate::report::csv_field(ns),
                crate::report::csv_field(&world.hosts[row.host].name),
                row.created.as_secs_f64()
            ));
            for s in Stage::ALL {
                out.push_str(&format!(",{:.6}", row.stage_s(s)));
            }
            out.push_str(&format!(
                ",{:.6},{:.6}\n",
                row.startup_s(),
                row.slo_startup_s()
            ));
        }
        out
    }
}

/// Every pod ever created is in exactly one lifecycle state at the end: how many in each,
/// for the summary and its accounting check.
pub fn pod_states(world: &World) -> BTreeMap<&'static str, u64> {
    use crate::model::instance::InstanceState as S;
    let mut out: BTreeMap<&'static str, u64> =
        ["pending", "scheduled", "starting", "running", "terminating"]
            .into_iter()
            .map(|k| (k, 0))
            .collect();
    for inst in world.instances.iter().filter(|i| world.supervised(i.group)) {
        let k = match inst.state {
            S::Pending => "pending",
            S::Scheduled => "scheduled",
            S::Starting => "starting",
            S::Running => "running",
            S::Terminating => "terminating",
        };
        *out.get_mut(k).expect("listed") += 1;
    }
    out
}
