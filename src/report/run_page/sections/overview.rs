//! The key results: what a reader wants to know first, each with its unit and meaning.

use crate::report::html::{Block, Section};
use crate::report::run_page::{fact, RunOutputs};

pub fn section(run: &RunOutputs) -> Option<Section> {
    let mut keys = vec!["hosts"];
    if run.m("vms_arrived") > 0.0 {
        keys.extend(["vms_placed", "vms_rejected"]);
    }
    if run.m("pods_arrived") > 0.0 {
        keys.extend([
            "pods_placed",
            "pods_rejected",
            "pods_pending_at_end",
            "pod_startup_p50_s",
            "pod_startup_p99_s",
        ]);
    }
    keys.extend([
        "cpu_util_mean",
        "cpu_util_p95",
        "mem_util_mean",
        "imbalance_mean",
    ]);
    if run.m("drs_passes") > 0.0 {
        keys.push("migrations");
    }
    keys.push("energy_kwh");
    let mut s = Section::new("results", "Key results");
    s.push(Block::Facts(
        keys.iter().filter_map(|k| fact(run, k)).collect(),
    ));
    Some(s)
}
