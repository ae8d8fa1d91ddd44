//! Pod start-up: created to Running, with its percentiles, the image pulls it waited for,
//! and the distribution.

use crate::report::html::Section;
use crate::report::run_page::{facts, figure, RunOutputs};

pub fn section(run: &RunOutputs) -> Option<Section> {
    if run.m("pods_arrived") == 0.0 {
        return None;
    }
    let mut s = Section::new("startup", "Pod start-up");
    s.text("From the pod's creation to Running: any wait for capacity, the image pull on a host that lacks the image, and the start-up delay.");
    s.push(facts(
        run,
        &[
            "pod_startup_count",
            "pod_startup_p50_s",
            "pod_startup_p95_s",
            "pod_startup_p99_s",
            "pod_startup_max_s",
            "pod_startup_mean_s",
            "image_pulls",
            "image_pull_bytes",
        ],
    ));
    if let Some(f) = figure(run, "pod_startup_cdf") {
        s.push(f);
    }
    Some(s)
}
