//! Hosts taken out of service and put back: maintenance mode and DPM standby, with the
//! range of hosts powered on per cluster.

use crate::report::html::{format, Block, Cell, Column, Row, Section, Table, Unit};
use crate::report::run_page::{facts, RunOutputs};

pub fn section(run: &RunOutputs) -> Option<Section> {
    let keys = [
        "maintenance_entered",
        "pods_evicted",
        "maintenance_evacuation_max_s",
        "dpm_power_ons",
        "dpm_power_offs",
    ];
    if keys.iter().all(|k| run.m(k) == 0.0) {
        return None;
    }
    let mut s = Section::new("hosts", "Maintenance and DPM");
    s.text("Hosts entering maintenance are emptied by vMotion (their pods evicted); DPM empties idle hosts into standby and wakes them when load returns.");
    let mut all = keys.to_vec();
    all.push("hosts_on_mean");
    s.push(facts(run, &all));
    let mut t = Table::new(vec![
        Column::text("cluster"),
        Column::number("hosts"),
        Column::number("fewest on"),
        Column::number("most on"),
    ])
    .caption("Hosts powered on and taking work, over the samples");
    for c in &run.clusters {
        let Some(on) = run.cluster_series(c, "hosts_on") else {
            continue;
        };
        let (lo, hi) = on
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| {
                (a.min(x), b.max(x))
            });
        let n = run.m(&format!("cluster.{c}.hosts"));
        let cell = |v: f64| Cell::number(format::value(v, Unit::Count), v);
        t.push(Row::keyed(
            c,
            vec![Cell::text(c.clone()), cell(n), cell(lo), cell(hi)],
        ));
    }
    if !t.rows.is_empty() {
        s.push(Block::Table(t));
    }
    Some(s)
}
