//! `summary.json`: the run's identity and a flat map of named metrics. Key names are a
//! stable contract (documented in the README); sweeps, `compare` and SLOs refer to them.

use super::recorder::Recorder;
use crate::engine::Id;
use crate::model::instance::InstanceState;
use crate::model::{ClusterId, World};
use crate::policy::RejectReason;
use crate::scenario::Scenario;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// Rounds to 9 significant decimals so that summaries read cleanly; the value is still
/// deterministic to the last bit before rounding.
pub(crate) fn r(x: f64) -> Value {
    if !x.is_finite() {
        return Value::Null;
    }
    let rounded: f64 = format!("{x:.9e}").parse().unwrap_or(x);
    json!(rounded)
}

fn mean(v: &[f64]) -> f64 {
    if v.is_empty() {
        0.0
    } else {
        v.iter().sum::<f64>() / v.len() as f64
    }
}

/// Nearest-rank percentile of a sample.
pub fn percentile(v: &[f64], q: f64) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let rank = ((q * s.len() as f64).ceil() as usize).clamp(1, s.len());
    s[rank - 1]
}

/// The whole `summary.json` document.
pub fn summarize(scenario: &Scenario, world: &World, rec: &Recorder) -> Value {
    let mut m: BTreeMap<String, Value> = BTreeMap::new();
    let duration_s = rec.end.as_secs_f64();

    // Instances still around at the end, by kind and state.
    // [kind][pending, starting (scheduled too), running, terminating]
    let mut at_end = [[0u64; 4]; 2];
    for inst in world.instances.iter() {
        let s = match inst.state {
            InstanceState::Pending => 0,
            InstanceState::Scheduled | InstanceState::Starting => 1,
            InstanceState::Running => 2,
            InstanceState::Terminating => 3,
        };
        at_end[inst.is_pod as usize][s] += 1;
    }
    for (k, prefix) in [(0usize, "vms"), (1, "pods")] {
        let c = &rec.kinds[k];
        m.insert(format!("{prefix}_arrived"), json!(c.arrived));
        m.insert(format!("{prefix}_placed"), json!(c.placed));
        m.insert(
            format!("{prefix}_rejected"),
            json!(c.rejected.iter().sum::<u64>()),
        );
        for (i, why) in RejectReason::ALL.iter().enumerate() {
            m.insert(
                format!("{prefix}_rejected_{}", why.key()),
                json!(c.rejected[i]),
            );
        }
        m.insert(format!("{prefix}_waited"), json!(c.waited));
        m.insert(format!("{prefix}_departed"), json!(c.departed));
        m.insert(format!("{prefix}_pending_at_end"), json!(at_end[k][0]));
        m.insert(format!("{prefix}_running_at_end"), json!(at_end[k][2]));
    }
    m.insert("pods_starting_at_end".into(), json!(at_end[1][1]));

    let h = &rec.startup_us;
    let us = |q: f64| {
        if h.is_empty() {
            0.0
        } else {
            h.value_at_quantile(q) as f64 / 1e6
        }
    };
    m.insert("pod_startup_count".into(), json!(h.len()));
    m.insert("pod_startup_p50_s".into(), r(us(0.50)));
    m.insert("pod_startup_p95_s".into(), r(us(0.95)));
    m.insert("pod_startup_p99_s".into(), r(us(0.99)));
    m.insert(
        "pod_startup_max_s".into(),
        r(if h.is_empty() {
            0.0
        } else {
            h.max() as f64 / 1e6
        }),
    );
    m.insert(
        "pod_startup_mean_s".into(),
        r(if h.is_empty() { 0.0 } else { h.mean() / 1e6 }),
    );
    m.insert("image_pulls".into(), json!(rec.image_pulls));
    let v = &rec.vmotion_us;
    let vq = |q: f64| {
        if v.is_empty() {
            0.0
        } else {
            v.value_at_quantile(q) as f64 / 1e6
        }
    };
    m.insert("drs_passes".into(), json!(rec.drs_passes));
    m.insert("drs_recommendations".into(), json!(rec.drs_recommendations));
    m.insert("drs_mandatory_moves".into(), json!(rec.drs_mandatory_moves));
    if rec.drs_score_passes > 0 {
        let mean = rec.drs_score_sum / rec.drs_score_passes as f64;
        m.insert("drs_score_mean".into(), r(mean));
        m.insert("drs_score_min".into(), r(rec.drs_score_min));
    }
    if let Some(sup) = &rec.sup {
        sup.summarize(&mut m, r);
        for (state, n) in super::supervisor::pod_states(world) {
            m.insert(format!("supervisor_pods_{state}_at_end"), json!(n));
        }
    }
    m.insert("migrations".into(), json!(rec.migrations_done));
    m.insert("migrations_aborted".into(), json!(rec.migrations_aborted));
    m.insert("pods_evicted".into(), json!(rec.pods_evicted));
    m.insert("rule_should_broken".into(), json!(rec.rule_should_broken));
    m.insert("rule_must_broken".into(), json!(rec.rule_must_broken));
    m.insert("dpm_power_ons".into(), json!(rec.dpm_power_ons));
    m.insert("dpm_power_offs".into(), json!(rec.dpm_power_offs));
    let hosts_on: Vec<f64> = rec
        .samples
        .iter()
        .map(|s| s.clusters.iter().map(|c| c.hosts_on as f64).sum())
        .collect();
    m.insert("hosts_on_mean".into(), r(mean(&hosts_on)));
    m.insert("maintenance_entered".into(), json!(rec.maintenance_entered));
    m.insert(
        "maintenance_evacuation_max_s".into(),
        r(rec.maintenance_evacuation_max_s),
    );
    m.insert("vmotion_duration_p50_s".into(), r(vq(0.5)));
    m.insert("vmotion_duration_p99_s".into(), r(vq(0.99)));
    m.insert(
        "vmotion_duration_max_s".into(),
        r(if v.is_empty() {
            0.0
        } else {
            v.max() as f64 / 1e6
        }),
    );
    m.insert("vmotion_downtime_total_s".into(), r(rec.vmotion_downtime_s));
    m.insert("vmotion_bytes".into(), json!(rec.vmotion_bytes));
    m.insert("image_pull_bytes".into(), json!(rec.image_pull_bytes));
    m.insert("hosts".into(), json!(world.hosts.len()));
    m.insert("events_processed".into(), json!(rec.events_processed));

    // Per cluster, then datacenter-wide (capacity-weighted over clusters).
    let mut dc_cpu = vec![0.0; rec.samples.len()];
    let mut dc_mem = vec![0.0; rec.samples.len()];
    let mut dc_cap_cpu = 0.0;
    let mut dc_cap_mem = 0.0;
    let mut energy_j = 0.0;
    let mut imbalance_weighted = 0.0;
    for (ci, name) in rec.cluster_names.iter().enumerate() {
        let hosts = world.cluster_hosts(ClusterId::from_index(ci));
        let cap_cpu: f64 = hosts.iter().map(|h| h.view.cpu_capacity_mhz as f64).sum();
        let cap_mem: f64 = hosts.iter().map(|h| h.view.mem_capacity as f64).sum();
        let cpu: Vec<f64> = rec
            .samples
            .iter()
            .map(|s| s.clusters[ci].cpu_util)
            .collect();
        let mem: Vec<f64> = rec
            .samples
            .iter()
            .map(|s| s.clusters[ci].mem_util)
            .collect();
        for (i, s) in rec.samples.iter().enumerate() {
            dc_cpu[i] += s.clusters[ci].cpu_util * cap_cpu;
            dc_mem[i] += s.clusters[ci].mem_util * cap_mem;
        }
        dc_cap_cpu += cap_cpu;
        dc_cap_mem += cap_mem;
        let imbalance = if duration_s > 0.0 {
            rec.cluster_imbalance_area[ci] / duration_s
        } else {
            0.0
        };
        imbalance_weighted += imbalance * hosts.len() as f64;
        energy_j += rec.cluster_energy_j[ci];
        let p = format!("cluster.{name}.");
        m.insert(format!("{p}hosts"), json!(hosts.len()));
        m.insert(format!("{p}cpu_util_mean"), r(mean(&cpu)));
        m.insert(format!("{p}cpu_util_p95"), r(percentile(&cpu, 0.95)));
        m.insert(format!("{p}mem_util_mean"), r(mean(&mem)));
        m.insert(format!("{p}mem_util_p95"), r(percentile(&mem, 0.95)));
        m.insert(format!("{p}imbalance_mean"), r(imbalance));
        m.insert(
            format!("{p}energy_kwh"),
            r(rec.cluster_energy_j[ci] / 3.6e6),
        );
    }
    let dc_cpu: Vec<f64> = dc_cpu.iter().map(|x| x / dc_cap_cpu.max(1.0)).collect();
    let dc_mem: Vec<f64> = dc_mem.iter().map(|x| x / dc_cap_mem.max(1.0)).collect();
    m.insert("cpu_util_mean".into(), r(mean(&dc_cpu)));
    m.insert("cpu_util_p95".into(), r(percentile(&dc_cpu, 0.95)));
    m.insert("mem_util_mean".into(), r(mean(&dc_mem)));
    m.insert("mem_util_p95".into(), r(percentile(&dc_mem, 0.95)));
    m.insert(
        "imbalance_mean".into(),
        r(imbalance_weighted / world.hosts.len().max(1) as f64),
    );
    m.insert("energy_kwh".into(), r(energy_j / 3.6e6));
    if rec.traffic.active() {
        super::traffic::summarize_into(&mut m, world, &rec.traffic, rec.end);
    }

    // The consolidation study's metrics (Beloglazov & Buyya 2012; see `sla.rs`).
    let (slatah, pdm) = (rec.sla.slatah(), rec.sla.pdm());
    let slav = slatah * pdm;
    m.insert("slatah".into(), r(slatah));
    m.insert("slatah_cloudsim".into(), r(rec.sla.slatah_cloudsim()));
    m.insert("pdm".into(), r(pdm));
    m.insert("slav".into(), r(slav));
    m.insert("esv".into(), r(energy_j / 3.6e6 * slav));
    m.insert(
        "hosts_active_mean".into(),
        r(if duration_s > 0.0 {
            rec.sla.active_s / duration_s
        } else {
            0.0
        }),
    );
    m.insert("host_sleeps".into(), json!(rec.host_sleeps));
    m.insert("host_wakes".into(), json!(rec.host_wakes));
    m.insert(
        "consolidation_passes".into(),
        json!(rec.consolidation_passes),
    );
    m.insert(
        "consolidation_overloaded".into(),
        json!(rec.consolidation_overloaded),
    );

    let metrics: Map<String, Value> = m.into_iter().collect();
    json!({
        "pacsim_version": env!("CARGO_PKG_VERSION"),
        "scenario": {
            "name": scenario.name,
            "seed": scenario.seed,
            "duration_s": scenario.duration.as_secs_f64(),
            "hash": format!("{:016x}", scenario.hash),
        },
        "metrics": Value::Object(metrics),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&v, 0.95), 95.0);
        assert_eq!(percentile(&v, 0.5), 50.0);
        assert_eq!(percentile(&[3.0], 0.99), 3.0);
        assert_eq!(percentile(&[], 0.99), 0.0);
    }
}
