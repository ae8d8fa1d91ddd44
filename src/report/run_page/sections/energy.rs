//! Energy: the total, and per cluster the energy, mean and peak power.

use crate::report::html::{format, Block, Cell, Column, Row, Section, Table, Unit};
use crate::report::run_page::{facts, metric_cell, RunOutputs};

pub fn section(run: &RunOutputs) -> Option<Section> {
    run.metric("energy_kwh")?;
    let mut s = Section::new("energy", "Energy");
    s.text("Each host's power follows its power model at its CPU utilisation (idle to max, or a SPECpower curve), integrated exactly between events.");
    s.push(facts(run, &["energy_kwh"]));
    let duration = run.identity.duration_s;
    let mut t = Table::new(vec![
        Column::text("cluster"),
        Column::number("hosts"),
        Column::number("energy"),
        Column::number("mean power"),
        Column::number("peak power (at a sample)"),
    ]);
    let watts = |v: f64| Cell::number(format::value(v, Unit::Watts), v);
    for c in &run.clusters {
        let kwh = run.m(&format!("cluster.{c}.energy_kwh"));
        let mean = if duration > 0.0 {
            kwh * 3.6e6 / duration
        } else {
            0.0
        };
        let peak = run
            .cluster_series(c, "power_w")
            .map_or(f64::NAN, |p| p.iter().copied().fold(0.0, f64::max));
        t.push(Row::keyed(
            c,
            vec![
                Cell::text(c.clone()),
                metric_cell(run, &format!("cluster.{c}.hosts")),
                metric_cell(run, &format!("cluster.{c}.energy_kwh")),
                watts(mean),
                watts(peak),
            ],
        ));
    }
    s.push(Block::Table(t));
    Some(s)
}
