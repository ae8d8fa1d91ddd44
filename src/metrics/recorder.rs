//! The [`Recorder`]: what a run measured.

use crate::engine::Id;
use crate::engine::{SimDuration, SimTime};
use crate::model::crx::Stage;
use crate::model::host::HostState;
use crate::model::instance::InstanceId;
use crate::model::namespace::QuotaReason;
use crate::model::topology::PathId;
use crate::model::traffic::{Completion, RequestError};
use crate::model::vmotion::PrecopyPlan;
use crate::model::{ClusterId, GroupId, HostId, Observer, World};
use crate::policy::balance::{BalancePass, Reason};
use crate::policy::RejectReason;
use hdrhistogram::Histogram;

/// Fixed-point scale of a host's load when computing the imbalance exactly.
const LOAD_ONE: u64 = 1 << 20;
/// Start-up latencies are recorded in microseconds, up to about 11.6 days, with three
/// significant digits (HdrHistogram's usual precision).
const HIST_MAX_US: u64 = 1_000_000_000_000;
/// Most cells of the per-host time series (`host_cpu.csv`): beyond this, neighbouring hosts
/// are averaged into one column.
const MAX_HOST_CELLS: usize = 20_000_000;

/// One cluster at one sampling instant.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ClusterSample {
    pub hosts_on: u32,
    /// Sum of capped CPU demand over capacity of the hosts that are on.
    pub cpu_util: f64,
    pub mem_util: f64,
    /// Reserved (admission-counted) share of CPU and memory.
    pub cpu_reserved: f64,
    pub mem_reserved: f64,
    /// Standard deviation over hosts of CPU load (demand / capacity).
    pub imbalance: f64,
    pub vms_running: u64,
    pub pods_starting: u64,
    pub pods_running: u64,
    pub pending: u64,
    pub power_w: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    pub time: SimTime,
    pub clusters: Vec<ClusterSample>,
}

/// One DRS pass, as the plots need it.
#[derive(Clone, Debug, PartialEq)]
pub struct DrsPassPoint {
    pub time: SimTime,
    pub cluster: usize,
    pub imbalance: f64,
    /// `None` at level 1.
    pub target: Option<f64>,
    pub moves: usize,
}

/// Counters kept per kind: index 0 for VMs, 1 for pods.
#[derive(Clone, Debug, Default)]
pub struct KindCounters {
    pub arrived: u64,
    pub placed: u64,
    pub rejected: [u64; RejectReason::ALL.len()],
    /// Instances that found no room at first and waited (Pending).
    pub waited: u64,
    pub departed: u64,
}

/// What the recorder tracks of one host.
#[derive(Clone, Copy, Debug)]
struct HostTrack {
    /// End of the last closed piece of the energy integral.
    last_t: SimTime,
    /// Power draw since `last_t`.
    watts: f64,
    /// Load (demand / capacity) in fixed point, as counted in the cluster sums.
    load: u64,
    cluster: ClusterId,
    /// Counted in the cluster sums (powered on).
    on: bool,
    /// The host's CPU demand and capacity that `watts` and `load` were computed from.
    demand_mhz: u64,
    capacity_mhz: u64,
}

/// Records everything a run reports. Attach it to `model::run` as the observer.
pub struct Recorder {
    pub cluster_names: Vec<String>,
    pub host_names: Vec<String>,
    group_is_pod: Vec<bool>,
    pub kinds: [KindCounters; 2],
    pub startup_us: Histogram<u64>,
    pub image_pulls: u64,
    pub image_pull_bytes: u64,
    /// vMotions: durations (including switch-over) in microseconds, as for start-up.
    pub vmotion_us: Histogram<u64>,
    pub vmotion_downtime_s: f64,
    pub vmotion_bytes: u64,
    pub migrations_done: u64,
    pub migrations_aborted: u64,
    /// Pods evicted by maintenance mode (also counted as departed).
    pub pods_evicted: u64,
    /// VMs placed against their `should` host rule because nothing else fitted.
    pub rule_should_broken: u64,
    /// The most VMs seen breaking a required rule at a sampling instant (always 0: a check).
    pub rule_must_broken: u64,
    /// Whether any group has rules (else the check is skipped).
    has_rules: bool,
    /// DPM transitions: hosts woken and hosts sent to standby.
    pub dpm_power_ons: u64,
    pub dpm_power_offs: u64,
    /// Hosts that reached maintenance mode, and the longest evacuation.
    pub maintenance_entered: u64,
    pub maintenance_evacuation_max_s: f64,
    pub drs_passes: u64,
    pub drs_recommendations: u64,
    /// Mandatory moves: rule repairs in passes, and evacuations for maintenance or standby.
    pub drs_mandatory_moves: u64,
    /// The cluster DRS score before each pass: sum, count and lowest.
    pub drs_score_sum: f64,
    pub drs_score_passes: u64,
    pub drs_score_min: f64,
    /// One JSON object per DRS pass, for `drs.jsonl`.
    pub drs_log: Vec<String>,
    /// Per DRS pass, for plots: (time, cluster, imbalance before, target, moves).
    pub drs_passes_log: Vec<DrsPassPoint>,
    /// Per-host state of the energy and imbalance integrals, one record per host so
    /// that a host change touches one cache line.
    host: Vec<HostTrack>,
    // Energy, integrated exactly between host changes.
    pub cluster_energy_j: Vec<f64>,
    // Imbalance, integrated exactly between host changes.
    cl_sum: Vec<u64>,
    cl_sumsq: Vec<u128>,
    cl_n: Vec<u64>,
    cl_last_t: Vec<SimTime>,
    cl_imbalance_now: Vec<f64>,
    pub cluster_imbalance_area: Vec<f64>,
    pub samples: Vec<Sample>,
    /// Per-host CPU utilisation at each sample: `samples.len()` rows of `host_columns()`
    /// values; a column averages `hosts_per_column` neighbouring hosts.
    pub host_cpu: Vec<f32>,
    pub hosts_per_column: usize,
    pub end: SimTime,
    pub events_processed: u64,
    /// Most instances alive at once (slab high-water mark).
    pub peak_live_instances: usize,
    /// Supervisor clusters' metrics, when a cluster runs Workload Management.
    pub sup: Option<Box<super::supervisor::SupervisorMetrics>>,
    /// With `--explain`: one JSON line per scheduling decision of a supervised pod.
    pub explain_log: Vec<String>,
    /// Service traffic, links and the load balancers' log.
    pub traffic: super::traffic::TrafficRecorder,
    /// The consolidation study's SLA metrics (`sla.rs`).
    pub sla: super::sla::SlaTracker,
    /// Hosts sent to sleep (standby or off) and woken, by DPM or consolidation.
    pub host_sleeps: u64,
    pub host_wakes: u64,
    /// Consolidation passes, and hosts they found overloaded (summed over passes).
    pub consolidation_passes: u64,
    pub consolidation_overloaded: u64,
    /// One JSON object per consolidation pass, for `consolidation.jsonl`.
    pub consolidation_log: Vec<String>,
}

impl Recorder {
    pub fn new(world: &World) -> Self {
        let n_hosts = world.hosts.len();
        let n_cl = world.clusters.len();
        let samples_expected = (world.end.0 / world.sample_every.0.max(1)) as usize + 2;
        let hosts_per_column = (n_hosts * samples_expected).div_ceil(MAX_HOST_CELLS).max(1);
        let mut r = Recorder {
            cluster_names: world.clusters.iter().map(|c| c.name.clone()).collect(),
            host_names: world.hosts.iter().map(|h| h.name.clone()).collect(),
            group_is_pod: world.groups.iter().map(|g| g.spec.is_pod()).collect(),
            kinds: Default::default(),
            startup_us: Histogram::new_with_bounds(1, HIST_MAX_US, 3)
                .expect("valid histogram bounds"),
            image_pulls: 0,
            image_pull_bytes: 0,
            vmotion_us: Histogram::new_with_bounds(1, HIST_MAX_US, 3)
                .expect("valid histogram bounds"),
            vmotion_downtime_s: 0.0,
            vmotion_bytes: 0,
            migrations_done: 0,
            migrations_aborted: 0,
            pods_evicted: 0,
            rule_should_broken: 0,
            rule_must_broken: 0,
            has_rules: world
                .groups
                .iter()
                .any(|g| g.spec.rules != crate::scenario::Rules::default()),
            dpm_power_ons: 0,
            dpm_power_offs: 0,
            maintenance_entered: 0,
            maintenance_evacuation_max_s: 0.0,
            drs_passes: 0,
            drs_recommendations: 0,
            drs_mandatory_moves: 0,
            drs_score_sum: 0.0,
            drs_score_passes: 0,
            drs_score_min: f64::INFINITY,
            drs_log: Vec::new(),
            drs_passes_log: Vec::new(),
            host: world
                .hosts
                .iter()
                .map(|h| HostTrack {
                    last_t: SimTime::ZERO,
                    watts: h.watts(),
                    load: 0,
                    cluster: h.cluster,
                    on: false,
                    demand_mhz: h.view.cpu_demand_mhz,
                    capacity_mhz: h.view.cpu_capacity_mhz,
                })
                .collect(),
            cluster_energy_j: vec![0.0; n_cl],
            cl_sum: vec![0; n_cl],
            cl_sumsq: vec![0; n_cl],
            cl_n: vec![0; n_cl],
            cl_last_t: vec![SimTime::ZERO; n_cl],
            cl_imbalance_now: vec![0.0; n_cl],
            cluster_imbalance_area: vec![0.0; n_cl],
            samples: Vec::with_capacity(samples_expected),
            host_cpu: Vec::new(),
            hosts_per_column,
            end: SimTime::ZERO,
            events_processed: 0,
            peak_live_instances: 0,
            explain_log: Vec::new(),
            sup: world
                .clusters
                .iter()
                .any(|c| c.supervisor.is_some())
                .then(Box::default),
            traffic: super::traffic::TrafficRecorder::new(world),
            sla: super::sla::SlaTracker::new(n_hosts),
            host_sleeps: 0,
            host_wakes: 0,
            consolidation_passes: 0,
            consolidation_overloaded: 0,
            consolidation_log: Vec::new(),
        };
        for (i, h) in world.hosts.iter().enumerate() {
            let c = h.cluster.index();
            let t = &mut r.host[i];
            t.on = h.view.accepting;
            t.load = load_fp(h.view.cpu_demand_mhz, h.view.cpu_capacity_mhz);
            if t.on {
                r.cl_n[c] += 1;
                r.cl_sum[c] += t.load;
                r.cl_sumsq[c] += (t.load as u128).pow(2);
            }
        }
        for c in 0..n_cl {
            r.cl_imbalance_now[c] = r.stdev(c);
        }
        r
    }

    pub fn host_columns(&self) -> usize {
        self.host_names.len().div_ceil(self.hosts_per_column)
    }

    fn kind(&mut self, group: GroupId) -> &mut KindCounters {
        &mut self.kinds[self.group_is_pod[group.index()] as usize]
    }

    /// Population standard deviation of the loads of the hosts that are on.
    fn stdev(&self, c: usize) -> f64 {
        let n = self.cl_n[c];
        if n == 0 {
            return 0.0;
        }
        // n * sumsq - sum^2 is exact in integers; divide once at the end.
        let num = n as u128 * self.cl_sumsq[c] - (self.cl_sum[c] as u128).pow(2);
        // The same rounding either way; u64 -> f64 is one instruction, u128 -> f64 a call.
        let num = match u64::try_from(num) {
            Ok(small) => small as f64,
            Err(_) => num as f64,
        };
        num.sqrt() / n as f64 / LOAD_ONE as f64
    }

    fn close_host(&mut self, host: usize, now: SimTime) {
        let t = &mut self.host[host];
        let dt = (now - t.last_t).as_secs_f64();
        self.cluster_energy_j[t.cluster.index()] += t.watts * dt;
        t.last_t = now;
    }

    fn close_cluster(&mut self, c: usize, now: SimTime) {
        let dt = (now - self.cl_last_t[c]).as_secs_f64();
        self.cluster_imbalance_area[c] += self.cl_imbalance_now[c] * dt;
        self.cl_last_t[c] = now;
    }
}

fn load_fp(demand: u64, capacity: u64) -> u64 {
    (demand.min(capacity) as u128 * LOAD_ONE as u128 / capacity.max(1) as u128) as u64
}

impl Observer for Recorder {
    fn arrived(&mut self, _now: SimTime, world: &World, group: GroupId) {
        self.kind(group).arrived += 1;
        self.peak_live_instances = self.peak_live_instances.max(world.instances.len());
    }

    fn placed(&mut self, _now: SimTime, _world: &World, group: GroupId, _host: HostId) {
        self.kind(group).placed += 1;
    }

    fn rejected(&mut self, _now: SimTime, _world: &World, group: GroupId, why: RejectReason) {
        let i = RejectReason::ALL
            .iter()
            .position(|r| *r == why)
            .expect("listed");
        self.kind(group).rejected[i] += 1;
    }

    fn pending(&mut self, _now: SimTime, _world: &World, group: GroupId, _why: RejectReason) {
        self.kind(group).waited += 1;
    }

    fn drs_pass(
        &mut self,
        now: SimTime,
        world: &World,
        cluster: ClusterId,
        pass: &BalancePass,
        vms: &[InstanceId],
    ) {
        self.drs_passes += 1;
        self.drs_recommendations += pass.recommendations.len() as u64;
        self.drs_mandatory_moves += pass
            .recommendations
            .iter()
            .filter(|r| r.priority == 1)
            .count() as u64;
        let first = world.clusters[cluster].first_host.index();
        let host_name = |local: usize| world.hosts[HostId::from_index(first + local)].name.as_str();
        let recs: Vec<serde_json::Value> = pass
            .recommendations
            .iter()
            .map(|r| {
                let vm = vm_name(world, vms[r.vm]);
                let mut rec = serde_json::json!({
                    "vm": vm,
                    "from": host_name(r.from),
                    "to": host_name(r.to),
                    "reason": r.reason,
                    "priority": r.priority,
                    "gain": r.gain,
                });
                if let (Some(from), Some(to)) = (r.score_from, r.score_to) {
                    rec["score_from"] = from.into();
                    rec["score_to"] = to.into();
                }
                rec
            })
            .collect();
        let line = serde_json::json!({
            "time_s": now.as_secs_f64(),
            "cluster": world.clusters[cluster].name,
            "kind": "balance",
            "policy": pass.policy,
            "level": pass.level,
            "hosts": pass.hosts,
            "imbalance_before": pass.imbalance_before,
            "target": pass.target,
            "imbalance_after": pass.imbalance_after,
            "score_before": pass.score_before,
            "score_after": pass.score_after,
            "recommendations": recs,
        });
        if let Some(score) = pass.score_before {
            self.drs_score_sum += score;
            self.drs_score_passes += 1;
            self.drs_score_min = self.drs_score_min.min(score);
        }
        self.drs_log.push(line.to_string());
        self.drs_passes_log.push(DrsPassPoint {
            time: now,
            cluster: cluster.index(),
            imbalance: pass.imbalance_before,
            target: pass.target,
            moves: pass.recommendations.len(),
        });
    }

    fn evacuation(
        &mut self,
        now: SimTime,
        world: &World,
        host: HostId,
        moves: &[(InstanceId, HostId)],
    ) {
        let h = &world.hosts[host];
        let reason = if h.state == HostState::EnteringStandby {
            Reason::Standby
        } else {
            Reason::Maintenance
        };
        self.drs_mandatory_moves += moves.len() as u64;
        let recs: Vec<serde_json::Value> = moves
            .iter()
            .map(|&(vm, to)| {
                serde_json::json!({
                    "vm": vm_name(world, vm),
                    "from": h.name,
                    "to": world.hosts[to].name,
                    "reason": reason,
                    "priority": 1,
                })
            })
            .collect();
        let line = serde_json::json!({
            "time_s": now.as_secs_f64(),
            "cluster": world.clusters[h.cluster].name,
            "kind": "evacuation",
            "host": h.name,
            "recommendations": recs,
        });
        self.drs_log.push(line.to_string());
    }

    fn supervisor_enabled(&mut self, _now: SimTime, _cluster: ClusterId, took: SimDuration) {
        if let Some(s) = self.sup.as_mut() {
            s.enable_s = s.enable_s.max(took.as_secs_f64());
        }
    }

    fn api_served(&mut self, _now: SimTime, _cluster: ClusterId, latency: SimDuration) {
        if let Some(s) = self.sup.as_mut() {
            s.api_us.saturating_record(latency.as_nanos() / 1000);
        }
    }

    fn quota_refused(&mut self, _now: SimTime, _world: &World, _group: GroupId, why: QuotaReason) {
        if let Some(s) = self.sup.as_mut() {
            s.refused(why);
        }
    }

    fn pod_stage(
        &mut self,
        now: SimTime,
        world: &World,
        pod: InstanceId,
        stage: Stage,
        took: SimDuration,
    ) {
        if let Some(s) = self.sup.as_mut() {
            s.stage(now, world, pod, stage, took);
        }
    }

    fn image_cache_hit(&mut self, _now: SimTime) {
        if let Some(s) = self.sup.as_mut() {
            s.image_cache_hits += 1;
        }
    }

    fn image_fetched(
        &mut self,
        _now: SimTime,
        bytes: u64,
        took: SimDuration,
        evicted: u32,
        overflow: bool,
    ) {
        if let Some(s) = self.sup.as_mut() {
            s.fetched(bytes, took, evicted, overflow);
        }
    }

    fn pod_finished(&mut self, _now: SimTime, _group: GroupId, pod: InstanceId, succeeded: bool) {
        if let Some(s) = self.sup.as_mut() {
            s.forget(pod);
            if succeeded {
                s.pods_succeeded += 1;
            } else {
                s.pods_deleted += 1;
            }
        }
    }

    fn rollout_done(&mut self, _now: SimTime, _group: GroupId, took: SimDuration) {
        if let Some(s) = self.sup.as_mut() {
            s.rollout(took);
        }
    }

    fn job_done(&mut self, _now: SimTime, _group: GroupId, took: SimDuration) {
        if let Some(s) = self.sup.as_mut() {
            s.job(took);
        }
    }

    fn volume_waiting(&mut self, _now: SimTime, _group: GroupId) {
        if let Some(s) = self.sup.as_mut() {
            s.volume_waits += 1;
        }
    }

    fn pod_decision(
        &mut self,
        now: SimTime,
        world: &World,
        pod: InstanceId,
        d: &crate::model::kube::Decision,
        host: Option<HostId>,
    ) {
        let drs: serde_json::Map<String, serde_json::Value> = d
            .drs_scores
            .iter()
            .map(|(h, s)| (h.clone(), serde_json::json!(s)))
            .collect();
        let line = serde_json::json!({
            "time_s": now.as_secs_f64(),
            "pod": vm_name(world, pod),
            "host": host.map(|h| world.hosts[h].name.as_str()),
            "kube": d.explanation,
            "drs_score": drs,
        });
        self.explain_log.push(line.to_string());
    }

    fn guest_cluster_ready(&mut self, _now: SimTime, _name: &str, took: SimDuration) {
        if let Some(s) = self.sup.as_mut() {
            s.guest_ready(took);
        }
    }

    fn migration_done(&mut self, _now: SimTime, outcome: &PrecopyPlan) {
        self.migrations_done += 1;
        self.vmotion_us
            .saturating_record(outcome.duration.as_nanos() / 1000);
        self.vmotion_downtime_s += outcome.downtime.as_secs_f64();
        self.vmotion_bytes += outcome.bytes_copied;
    }

    fn migration_aborted(&mut self, _now: SimTime) {
        self.migrations_aborted += 1;
    }

    fn dpm(&mut self, _now: SimTime, _host: HostId, on: bool) {
        if on {
            self.dpm_power_ons += 1;
            self.host_wakes += 1;
        } else {
            self.dpm_power_offs += 1;
            self.host_sleeps += 1;
        }
    }

    fn host_power(&mut self, _now: SimTime, _host: HostId, waking: bool) {
        if waking {
            self.host_wakes += 1;
        } else {
            self.host_sleeps += 1;
        }
    }

    fn migration_begun(
        &mut self,
        now: SimTime,
        world: &World,
        vm: InstanceId,
        degradation: f64,
        src_overhead_mhz: u64,
        dst_overhead_mhz: u64,
    ) {
        self.sla.migration_begun(
            now,
            world,
            vm,
            degradation,
            src_overhead_mhz,
            dst_overhead_mhz,
        );
    }

    fn migration_ended(&mut self, now: SimTime, world: &World, vm: InstanceId) {
        self.sla.migration_ended(now, world, vm);
    }

    fn consolidation_pass(
        &mut self,
        now: SimTime,
        world: &World,
        cluster: ClusterId,
        pass: &crate::model::consolidation::PassSummary,
    ) {
        self.consolidation_passes += 1;
        self.consolidation_overloaded += pass.overloaded as u64;
        let moves: Vec<serde_json::Value> = pass
            .moves
            .iter()
            .map(|(vm, from, to)| serde_json::json!({ "vm": vm, "from": from, "to": to }))
            .collect();
        let line = serde_json::json!({
            "time_s": now.as_secs_f64(),
            "cluster": world.clusters[cluster].name,
            "overloaded": pass.overloaded,
            "evacuated": pass.evacuated,
            "hosts_awake": pass.hosts_awake,
            "migrations": moves,
        });
        self.consolidation_log.push(line.to_string());
    }

    fn rule_broken(&mut self, _now: SimTime, _group: GroupId) {
        self.rule_should_broken += 1;
    }

    fn evicted(&mut self, _now: SimTime, _group: GroupId) {
        self.pods_evicted += 1;
    }

    fn maintenance_entered(&mut self, _now: SimTime, _host: HostId, took: SimDuration) {
        self.maintenance_entered += 1;
        self.maintenance_evacuation_max_s =
            self.maintenance_evacuation_max_s.max(took.as_secs_f64());
    }

    fn image_pull(&mut self, _now: SimTime, _host: HostId, bytes: u64) {
        self.image_pulls += 1;
        self.image_pull_bytes += bytes;
    }

    fn pod_running(&mut self, _now: SimTime, _group: GroupId, startup: SimDuration) {
        self.startup_us.saturating_record(startup.as_nanos() / 1000);
    }

    fn departed(&mut self, _now: SimTime, _world: &World, group: GroupId) {
        self.kind(group).departed += 1;
    }

    fn host_changed(&mut self, now: SimTime, world: &World, host: HostId) {
        self.sla.host_changed(now, world, host);
        let i = host.index();
        let h = &world.hosts[host];
        self.close_host(i, now);
        let c = h.cluster.index();
        self.close_cluster(c, now);
        let v = &h.view;
        let t = &mut self.host[i];
        // Power also depends on the host's state (standby), so it is always refreshed.
        t.watts = h.watts();
        if v.accepting == t.on
            && v.cpu_demand_mhz == t.demand_mhz
            && v.cpu_capacity_mhz == t.capacity_mhz
        {
            // The load is a function of these three: the imbalance integral goes on at
            // the same rate (its piece was closed above, as for any change).
            return;
        }
        let on = v.accepting;
        let load = load_fp(v.cpu_demand_mhz, v.cpu_capacity_mhz);
        let (was_on, old) = (t.on, t.load);
        t.on = on;
        t.load = load;
        t.demand_mhz = v.cpu_demand_mhz;
        t.capacity_mhz = v.cpu_capacity_mhz;
        if was_on {
            self.cl_n[c] -= 1;
            self.cl_sum[c] -= old;
            self.cl_sumsq[c] -= (old as u128).pow(2);
        }
        if on {
            self.cl_n[c] += 1;
            self.cl_sum[c] += load;
            self.cl_sumsq[c] += (load as u128).pow(2);
        }
        self.cl_imbalance_now[c] = self.stdev(c);
    }

    fn sample(&mut self, now: SimTime, world: &World) {
        if self.has_rules {
            self.rule_must_broken = self.rule_must_broken.max(world.required_rules_broken());
        }
        let mut clusters = Vec::with_capacity(world.clusters.len());
        for (id, c) in world.clusters.iter_enumerated() {
            let ci = id.index();
            let mut s = ClusterSample::default();
            let (mut cap_cpu, mut cap_mem) = (0.0, 0.0);
            for h in world.cluster_hosts(id) {
                s.power_w += h.watts();
                if !h.powered_on() {
                    continue;
                }
                s.hosts_on += 1;
                cap_cpu += h.view.cpu_capacity_mhz as f64;
                cap_mem += h.view.mem_capacity as f64;
                s.cpu_util += h.view.cpu_demand_mhz.min(h.view.cpu_capacity_mhz) as f64;
                s.mem_util += h.view.mem_demand.min(h.view.mem_capacity) as f64;
                s.cpu_reserved += h.view.cpu_reserved_mhz as f64;
                s.mem_reserved += h.view.mem_reserved as f64;
            }
            if s.hosts_on > 0 {
                s.cpu_util /= cap_cpu;
                s.mem_util /= cap_mem;
                s.cpu_reserved /= cap_cpu;
                s.mem_reserved /= cap_mem;
            }
            s.imbalance = self.cl_imbalance_now[ci];
            s.vms_running = c.vms_running;
            s.pods_starting = c.pods_starting;
            s.pods_running = c.pods_running;
            s.pending = c.pending.len() as u64;
            clusters.push(s);
        }
        self.samples.push(Sample {
            time: now,
            clusters,
        });
        self.traffic.sample(now, world);
        let per = self.hosts_per_column;
        for chunk in world.hosts.as_slice().chunks(per) {
            let sum: f64 = chunk.iter().map(|h| h.cpu_util()).sum();
            self.host_cpu.push((sum / chunk.len() as f64) as f32);
        }
    }

    fn request_sent(&mut self, now: SimTime, service: u32) {
        self.traffic.sent(now, service);
    }

    fn request_done(&mut self, now: SimTime, done: &Completion) {
        self.traffic.done(now, done);
    }

    fn request_failed(&mut self, now: SimTime, service: u32, why: RequestError, sent: bool) {
        self.traffic.failed(now, service, why, sent);
    }

    fn endpoint_changed(&mut self, now: SimTime, world: &World, endpoint: u32, added: bool) {
        self.traffic.endpoint(now, world, endpoint, added);
    }

    fn member_health(&mut self, now: SimTime, world: &World, pool: u32, member: u32, up: bool) {
        self.traffic.health(now, world, pool, member, up);
    }

    fn fault(&mut self, now: SimTime, world: &World, fault: u32, started: bool, hits: u32) {
        self.traffic.fault(now, world, fault, started, hits);
    }

    fn link_flow(&mut self, now: SimTime, path: PathId, bytes: u64, over: SimDuration) {
        self.traffic.flow(now, path, bytes, over);
    }

    fn finish(&mut self, end: SimTime, world: &World) {
        self.traffic.finish(end, world);
        for h in 0..self.host.len() {
            self.close_host(h, end);
        }
        for c in 0..self.cl_last_t.len() {
            self.close_cluster(c, end);
        }
        self.sla.finish(end);
        self.end = end;
        self.events_processed = world.events_processed;
    }
}

/// `<group>-<index>`: how logs name a VM or pod.
fn vm_name(world: &World, id: InstanceId) -> String {
    world.instances.get(id).map_or_else(
        || "?".to_string(),
        |i| format!("{}-{}", world.groups[i.group].spec.name, i.index),
    )
}
