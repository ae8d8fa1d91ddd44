//! vMotion: how many migrations, how long they took, how much they copied and stunned.

use crate::report::html::Section;
use crate::report::run_page::{facts, figure, RunOutputs};

pub fn section(run: &RunOutputs) -> Option<Section> {
    if run.m("migrations") + run.m("migrations_aborted") == 0.0
        && !run.plots.contains_key("vmotion_duration_cdf")
    {
        return None;
    }
    let mut s = Section::new("vmotion", "vMotion");
    s.text("Live migrations for DRS balancing, maintenance evacuations and DPM: iterative pre-copy of memory, then a switch-over that stuns the VM.");
    s.push(facts(
        run,
        &[
            "migrations",
            "migrations_aborted",
            "vmotion_duration_p50_s",
            "vmotion_duration_p99_s",
            "vmotion_duration_max_s",
            "vmotion_downtime_total_s",
            "vmotion_bytes",
        ],
    ));
    if let Some(f) = figure(run, "vmotion_duration_cdf") {
        s.push(f);
    }
    Some(s)
}
